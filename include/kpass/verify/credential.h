/* SPDX-License-Identifier: ISC */
/*
 * The credential check (doc/kp1-token.md §4.4): the verdict on a scanned
 * KP1 token, and the recheck of a credential at a later step of a desk
 * verification.  kp1.c checks the token itself (format, key, signature,
 * time); this service adds the record's checks (step 10): the serial is
 * known, the token matches its record (the CNIC's last 4 digits are the
 * citizen's; key, issue time and days are the record's), it is not
 * revoked, and the citizen is active.  The store only hands over the rows
 * (store_credential_get, store_citizen_get_by_id): the verdict is a rule,
 * and a second storage backend must not have to repeat it.
 */
#ifndef KPASS_VERIFY_CREDENTIAL_H
#define KPASS_VERIFY_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/kp1.h"
#include "kpass/store/store.h"
#include "kpass/store/citizen.h"
#include "kpass/store/credential.h"
#include "kpass/id/trust.h"

/* What a verification found; the names are the HTTP API's reasons (doc/http-api.md). */
enum verify_credential_verdict {
    VERIFY_CREDENTIAL_VALID = 0,
    VERIFY_CREDENTIAL_FORMAT,           /* not a KP1 token, damaged, or invalid fields */
    VERIFY_CREDENTIAL_SIGNATURE,        /* the signature does not verify */
    VERIFY_CREDENTIAL_UNKNOWN_KEY,      /* signed by a key not in the trust list */
    VERIFY_CREDENTIAL_RETIRED_KEY,      /* signed by a retired key */
    VERIFY_CREDENTIAL_EXPIRED,          /* past issued at + valid days */
    VERIFY_CREDENTIAL_NOT_YET_VALID,    /* issued in the future (beyond the skew) */
    VERIFY_CREDENTIAL_REVOKED,          /* the serial was revoked */
    VERIFY_CREDENTIAL_UNKNOWN_SERIAL,   /* no credential with this serial */
    VERIFY_CREDENTIAL_CITIZEN_MISMATCH, /* the token does not match its record */
    VERIFY_CREDENTIAL_CITIZEN_INACTIVE, /* the citizen is blocked or deceased */
    VERIFY_CREDENTIAL_SUSPENDED,        /* its citizen suspended it (issue 15) */
};

/* "valid", "format", "signature", "unknown_key", ... ; never NULL. */
const char *verify_credential_verdict_name(enum verify_credential_verdict v);
/* An English sentence for v ("the credential was revoked"); never NULL. */
const char *verify_credential_verdict_text(enum verify_credential_verdict v);
/* The verdict for a kp1_decode / kp1_check / kp1_verify return value (0: VALID). */
enum verify_credential_verdict verify_credential_verdict_of(int kp1_rc);

/* Everything a verification found (zeroed, then filled as far as it got). */
struct verify_credential_result {
    enum verify_credential_verdict verdict;
    int kp1_rc;  /* kp1_verify's return: 0 when the token itself held */
    int decoded; /* token holds the decoded body */
    struct kp1_token token;
    int found; /* cred and citizen hold the rows for token's serial */
    struct store_credential cred;
    struct store_citizen citizen;
};

/*
 * The database's checks on a token whose signature and times held
 * (doc/kp1-token.md §4.4 step 10): r->token is t, and r->cred and
 * r->citizen are filled when the serial is known.  In order:
 * UNKNOWN_SERIAL, CITIZEN_MISMATCH (the token's CNIC last 4 digits are
 * not the citizen's, or its key, issue time or days are not the
 * record's), REVOKED, SUSPENDED, CITIZEN_INACTIVE, else VALID.
 * Returns the verdict (also in r->verdict), or -KP_ERR_DB.
 */
int verify_credential_check(struct store *st, const struct kp1_token *t,
                            struct verify_credential_result *r);

/*
 * Verify token text[0..len) completely: kp1_verify (format, key through
 * lookup/ctx, signature, time at now with KP1_SKEW_S), then
 * verify_credential_check.  A token whose signature held but whose time
 * did not (EXPIRED, NOT_YET_VALID) still has its rows looked up, for
 * display; the verdict stays kp1's.  Returns the verdict (also in
 * r->verdict) or -KP_ERR_DB.
 */
int verify_credential_verify(struct store *st, const char *text, size_t len, trust_lookup_fn lookup,
                             void *ctx, int64_t now, struct verify_credential_result *r);

/*
 * Check again, at a later step, a credential whose token was verified
 * (verify_credential_verify) when it was scanned: the signature and the
 * token's match with its record held then and cannot change (the record's
 * fields are fixed), but everything else can.  By the same rules and in
 * the same order as a scan: UNKNOWN_SERIAL, UNKNOWN_KEY or RETIRED_KEY
 * (the record's key through lookup/ctx, as kp1_check asks it), EXPIRED
 * (at now), REVOKED, SUSPENDED, CITIZEN_INACTIVE, else VALID.  r->cred and r->citizen
 * are filled when found.  known (may be NULL) is the credential's citizen
 * when the caller has just read it (the desk has, to check the office):
 * used as it is instead of being read again.  Returns the verdict (also in r->verdict) or
 * -KP_ERR_DB.
 */
int verify_credential_recheck(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                              const struct store_citizen *known, trust_lookup_fn lookup, void *ctx,
                              int64_t now, struct verify_credential_result *r);

/*
 * Record credential c (its revocation fields are ignored) for its
 * citizen, who must be active, with its audit row: credential.issued
 * ("serial S, key K, N days").  A new card replaces a suspended one: the
 * citizen's suspended credentials are revoked in the same transaction
 * (verify_credential_revoke's rows, reason "replaced while suspended").  Inside the caller's
 * transaction (as a savepoint) or in its own.  0, -KP_ERR_INVAL (fields or actor), -KP_ERR_NOTFOUND
 * (no such citizen), -KP_ERR_DENIED (the citizen is blocked or deceased), -KP_ERR_EXISTS (the
 * serial is taken), -KP_ERR_STATE (no audit key), -KP_ERR_DB.
 */
int verify_credential_issue(struct store *st, const struct store_credential *c, const char *actor,
                            int64_t now);

/*
 * Revoke the credential with serial; every later verification refuses it.
 * reason (may be NULL or "") goes into the record and the audit row
 * (credential.revoked, "serial S: reason") and must pass
 * store_audit_detail_check; the change is counted (store_change.h).
 * 1 revoked, 0 already revoked (nothing written), -KP_ERR_NOTFOUND,
 * -KP_ERR_INVAL (reason too long or with control characters),
 * -KP_ERR_DENIED (reason refused by the audit guard), -KP_ERR_STATE (no
 * audit key), -KP_ERR_DB.
 */
int verify_credential_revoke(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                             const char *reason, const char *actor, int64_t now);

/*
 * The citizen's own "suspend my card" (issue 15): every credential of
 * citizen_id that still holds (not revoked, not suspended, not expired at
 * now) is suspended at once, each with an audit row credential.suspended
 * ("serial S, by the citizen"), and the change is counted
 * (store_change.h) so that a running daemon confirms it.  When none holds,
 * one row credential.suspended ("none in use, by the citizen") says the
 * request came.  Inside the caller's transaction or in its own.  Returns
 * how many were suspended, -KP_ERR_NOTFOUND (no such citizen),
 * -KP_ERR_STATE (no audit key), -KP_ERR_DB.
 */
int verify_credential_suspend_citizen(struct store *st, int64_t citizen_id, const char *actor,
                                      int64_t now);

/*
 * Lift the suspension of the credential with serial, after an office
 * checked its holder in person (a desk, or `kpass qr resume`): audit row
 * credential.resumed ("serial S" and detail, may be NULL), change
 * counted.  1 resumed, 0 it was not suspended (nothing written; revoked
 * credentials are never resumed), -KP_ERR_NOTFOUND, -KP_ERR_INVAL
 * (detail refused by the audit guard), -KP_ERR_STATE, -KP_ERR_DB.
 */
int verify_credential_resume(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                             const char *detail, const char *actor, int64_t now);

#endif
