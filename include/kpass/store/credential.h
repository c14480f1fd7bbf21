/* SPDX-License-Identifier: ISC */
/*
 * Credentials (DESIGN.md §7): the record behind every KP1 token kpass
 * issues.
 *
 * The token carries a 12-octet random serial (never derived from the
 * CNIC); the credential table is keyed by it (24 lower-case hex digits)
 * and holds the citizen, the signing key's id, issued at, valid days,
 * expires at, and the revocation (time and reason) if any.  The verdict
 * on a token is the verification service's (verify_credential.h); the
 * store only keeps and hands over the rows.
 *
 * People see a serial as three groups of 8 hex digits joined by ':'
 * ("0a1b2c3d:4e5f6071:8293a4b5"): 24 hex digits in a row contain 10 or
 * more decimal digits in a row about one time in 18, which the audit
 * log's guard (store_audit_detail_check) would take for a CNIC or a phone
 * number; groups of 8 never do.
 *
 * Every change writes an audit row (credential.issued, credential.revoked)
 * whose subject is the citizen's CNIC index, in the same transaction.
 * Times are passed in by the caller.
 */
#ifndef KPASS_STORE_CREDENTIAL_H
#define KPASS_STORE_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/kp1.h"
#include "kpass/store/store.h"
#include "kpass/store/citizen.h"
#include "kpass/id/trust.h"

#define STORE_CREDENTIAL_SERIAL_HEX  25  /* 24 lower-case hex digits + NUL */
#define STORE_CREDENTIAL_SERIAL_TEXT 27  /* "0a1b2c3d:4e5f6071:8293a4b5" + NUL */
#define STORE_CREDENTIAL_REASON_MAX  150 /* octets */
#define STORE_CREDENTIAL_LIST_MAX    1000

struct store_credential {
    uint8_t serial[KP1_SERIAL_BYTES];
    int64_t citizen_id;
    uint8_t key_id[TRUST_ID_BYTES];
    int64_t issued_at;   /* Unix seconds, 0 .. 2^32 - 1 (the token's field) */
    unsigned valid_days; /* 1 .. 65535 */
    int64_t expires_at;  /* issued_at + 86400 * valid_days */
    int revoked;
    int64_t revoked_at;                                  /* when revoked */
    char revoke_reason[STORE_CREDENTIAL_REASON_MAX + 1]; /* "" when none given */
    int suspended;        /* by its citizen (issue 15), until an office lifts it */
    int64_t suspended_at; /* when suspended */
};

/* The serial as 24 lower-case hex digits (the table's key), NUL-terminated. */
void store_credential_serial_hex(const uint8_t serial[KP1_SERIAL_BYTES],
                                 char out[STORE_CREDENTIAL_SERIAL_HEX]);
/* The serial as people see it: "0a1b2c3d:4e5f6071:8293a4b5". */
void store_credential_serial_text(const uint8_t serial[KP1_SERIAL_BYTES],
                                  char out[STORE_CREDENTIAL_SERIAL_TEXT]);
/*
 * Parse a serial: 24 hex digits of either case, alone or in the three
 * groups of 8 joined by ':' that store_credential_serial_text writes.
 * 0 or -KP_ERR_PARSE.
 */
int store_credential_serial_parse(const char *s, uint8_t serial[KP1_SERIAL_BYTES]);

/* The record of token t (signed, so version, key id and serial are set) for citizen_id. */
void store_credential_from_token(const struct kp1_token *t, int64_t citizen_id,
                                 struct store_credential *out);

/* "revoked", "suspended", "expired", "not yet valid" or "valid", at now (revocation first). */
const char *store_credential_status(const struct store_credential *c, int64_t now);

/*
 * Insert the row for credential c (its revocation fields are ignored).
 * No rule beyond the row's own consistency (expires_at is issued_at plus
 * valid_days): who may hold a credential, and the audit row, are
 * verify_credential_issue's.  0, -KP_ERR_INVAL (fields), -KP_ERR_EXISTS
 * (the serial is taken), -KP_ERR_DB (also: no such citizen).
 */
int store_credential_insert(struct store *st, const struct store_credential *c);

/*
 * Is c's row consistent on its own (a citizen id, issued_at in KP1's
 * range, 1 to 65535 days, expires_at = issued_at + valid_days days)?
 * Pure; store_credential_insert applies the same check.  Callers check
 * it first so that a malformed credential is INVAL whatever else is
 * wrong.  0 or -KP_ERR_INVAL.
 */
int store_credential_check(const struct store_credential *c);

/* The credential with serial.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_credential_get(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                         struct store_credential *out);

/*
 * Citizen citizen_id's credentials, newest first, at most
 * STORE_CREDENTIAL_LIST_MAX.  *out is malloc'd (NULL when none; free it).
 * Returns the count or -KP_ERR_DB.
 */
int store_credential_list(struct store *st, int64_t citizen_id, struct store_credential **out);

/*
 * Mark the unrevoked credential with serial revoked at now, with reason
 * (not NULL).  The row only; verify_credential_revoke writes the audit
 * row.  0, -KP_ERR_NOTFOUND (no such serial, or already revoked),
 * -KP_ERR_DB.
 */
int store_credential_mark_revoked(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                                  const char *reason, int64_t now);

/*
 * Mark the credential with serial suspended at now: it must be neither
 * revoked nor suspended already.  The row only; verify_credential_suspend
 * writes the audit row.  0, -KP_ERR_NOTFOUND (no such serial, revoked or
 * already suspended), -KP_ERR_DB.
 */
int store_credential_mark_suspended(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                                    int64_t now);
/*
 * Lift the suspension of the credential with serial (not revoked since).
 * The row only (verify_credential_resume audits).  0, -KP_ERR_NOTFOUND
 * (no such serial, not suspended, or revoked), -KP_ERR_DB.
 */
int store_credential_mark_resumed(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES]);

#endif
