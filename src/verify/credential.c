/* SPDX-License-Identifier: ISC */
/*
 * The credential check: verdict names, kp1's return values as verdicts,
 * and the record's half of verifying a token (see verify_credential.h).
 * Reads rows through the store.  Issuing and revoking are here too: the
 * rule for who may hold a credential and the audit row (and change count)
 * each change writes, the store only writing the credential's row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/id/cnic.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/verify/credential.h"

static const struct {
    const char *name, *text;
} cred_verdicts[] = {
    [VERIFY_CREDENTIAL_VALID] = {"valid", "the credential is valid"},
    [VERIFY_CREDENTIAL_FORMAT] = {"format", "not a valid KP1 token"},
    [VERIFY_CREDENTIAL_SIGNATURE] = {"signature", "the signature does not verify (forged or "
                                                  "altered)"},
    [VERIFY_CREDENTIAL_UNKNOWN_KEY] = {"unknown_key", "signed by a key that is not trusted"},
    [VERIFY_CREDENTIAL_RETIRED_KEY] = {"retired_key", "signed by a retired key"},
    [VERIFY_CREDENTIAL_EXPIRED] = {"expired", "the credential has expired"},
    [VERIFY_CREDENTIAL_NOT_YET_VALID] = {"not_yet_valid", "the credential is not valid yet"},
    [VERIFY_CREDENTIAL_REVOKED] = {"revoked", "the credential was revoked"},
    [VERIFY_CREDENTIAL_UNKNOWN_SERIAL] = {"unknown_serial", "no credential with this serial "
                                                            "was issued here"},
    [VERIFY_CREDENTIAL_CITIZEN_MISMATCH] = {"citizen_mismatch", "the token does not match the "
                                                                "credential on record"},
    [VERIFY_CREDENTIAL_CITIZEN_INACTIVE] = {"citizen_inactive", "the citizen is blocked or "
                                                                "deceased"},
    [VERIFY_CREDENTIAL_SUSPENDED] = {"suspended", "the citizen suspended the credential: an "
                                                  "office lifts it after an in-person check"},
};

const char *verify_credential_verdict_name(enum verify_credential_verdict v)
{
    return (size_t)v < KP_ARRAY_LEN(cred_verdicts) ? cred_verdicts[v].name : "unknown";
}

const char *verify_credential_verdict_text(enum verify_credential_verdict v)
{
    return (size_t)v < KP_ARRAY_LEN(cred_verdicts) ? cred_verdicts[v].text : "unknown verdict";
}

enum verify_credential_verdict verify_credential_verdict_of(int kp1_rc)
{
    switch (kp1_rc) {
    case 0:
        return VERIFY_CREDENTIAL_VALID;
    case -KP_ERR_NOTFOUND:
        return VERIFY_CREDENTIAL_UNKNOWN_KEY;
    case -KP_ERR_DENIED:
        return VERIFY_CREDENTIAL_RETIRED_KEY;
    case -KP_ERR_CRYPTO:
        return VERIFY_CREDENTIAL_SIGNATURE;
    case -KP_ERR_RANGE:
        return VERIFY_CREDENTIAL_NOT_YET_VALID;
    case -KP_ERR_EXPIRED:
        return VERIFY_CREDENTIAL_EXPIRED;
    default: /* PARSE, TRUNC, TOOLONG, ENCODING, UNSUPPORTED, INVAL */
        return VERIFY_CREDENTIAL_FORMAT;
    }
}

/* Does token t say what its record and citizen say? */
static int cred_matches(const struct kp1_token *t, const struct store_credential *c,
                        const struct store_citizen *cit)
{
    char last4[5];

    return cnic_last4_text(t->cnic_last4, last4) == 0 && strcmp(last4, cit->last4) == 0 &&
           memcmp(t->key_id, c->key_id, TRUST_ID_BYTES) == 0 && t->issued_at == c->issued_at &&
           t->valid_days == c->valid_days;
}

int verify_credential_check(struct store *st, const struct kp1_token *t,
                            struct verify_credential_result *r)
{
    struct kp1_token tok = *t; /* t may be r->token */
    int rc;

    memset(r, 0, sizeof(*r));
    r->token = tok;
    r->decoded = 1;
    rc = store_credential_get(st, tok.serial, &r->cred);
    if (rc == -KP_ERR_NOTFOUND)
        return (int)(r->verdict = VERIFY_CREDENTIAL_UNKNOWN_SERIAL);
    if (rc < 0)
        return rc;
    if ((rc = store_citizen_get_by_id(st, r->cred.citizen_id, &r->citizen)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc; /* the foreign key forbids it */
    r->found = 1;
    if (!cred_matches(&tok, &r->cred, &r->citizen))
        r->verdict = VERIFY_CREDENTIAL_CITIZEN_MISMATCH;
    else if (r->cred.revoked)
        r->verdict = VERIFY_CREDENTIAL_REVOKED;
    else if (r->cred.suspended)
        r->verdict = VERIFY_CREDENTIAL_SUSPENDED;
    else if (r->citizen.status != STORE_CITIZEN_ACTIVE)
        r->verdict = VERIFY_CREDENTIAL_CITIZEN_INACTIVE;
    else
        r->verdict = VERIFY_CREDENTIAL_VALID;
    return (int)r->verdict;
}

int verify_credential_verify(struct store *st, const char *text, size_t len, trust_lookup_fn lookup,
                             void *ctx, int64_t now, struct verify_credential_result *r)
{
    struct verify_credential_result rows;
    enum verify_credential_verdict v;
    int rc;

    memset(r, 0, sizeof(*r));
    rc = kp1_verify(text, len, lookup, ctx, now, KP1_SKEW_S, &r->token);
    if (rc == 0)
        return verify_credential_check(st, &r->token, r);
    r->kp1_rc = rc;
    v = verify_credential_verdict_of(rc);
    r->decoded = v != VERIFY_CREDENTIAL_FORMAT;
    /* The signature held, only the time did not: say whose credential it is. */
    if (v == VERIFY_CREDENTIAL_EXPIRED || v == VERIFY_CREDENTIAL_NOT_YET_VALID) {
        if ((rc = verify_credential_check(st, &r->token, &rows)) < 0)
            return rc;
        r->found = rows.found;
        r->cred = rows.cred;
        r->citizen = rows.citizen;
    }
    r->verdict = v;
    return (int)v;
}

int verify_credential_recheck(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                              const struct store_citizen *known, trust_lookup_fn lookup, void *ctx,
                              int64_t now, struct verify_credential_result *r)
{
    uint8_t pk[TRUST_PK_BYTES];
    int rc;

    memset(r, 0, sizeof(*r));
    rc = store_credential_get(st, serial, &r->cred);
    if (rc == -KP_ERR_NOTFOUND)
        return (int)(r->verdict = VERIFY_CREDENTIAL_UNKNOWN_SERIAL);
    if (rc < 0)
        return rc;
    if (known != NULL && known->id == r->cred.citizen_id)
        r->citizen = *known;
    else if ((rc = store_citizen_get_by_id(st, r->cred.citizen_id, &r->citizen)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc;
    r->found = 1;
    /* kp1_check's order and its verdicts: the key, then the time. */
    rc = lookup(ctx, r->cred.key_id, pk);
    if (rc < 0)
        r->kp1_rc = rc == -KP_ERR_DENIED ? rc : -KP_ERR_NOTFOUND;
    else if (now >= r->cred.expires_at)
        r->kp1_rc = -KP_ERR_EXPIRED;
    if (r->kp1_rc < 0)
        r->verdict = verify_credential_verdict_of(r->kp1_rc);
    else if (r->cred.revoked)
        r->verdict = VERIFY_CREDENTIAL_REVOKED;
    else if (r->cred.suspended)
        r->verdict = VERIFY_CREDENTIAL_SUSPENDED;
    else if (r->citizen.status != STORE_CITIZEN_ACTIVE)
        r->verdict = VERIFY_CREDENTIAL_CITIZEN_INACTIVE;
    else
        r->verdict = VERIFY_CREDENTIAL_VALID;
    return (int)r->verdict;
}

static int cred_revoke_do(struct store *st, const struct store_credential *c, const char *reason,
                          const char *actor, int64_t now);

/* A new card replaces a suspended one: revoke the citizen's suspended credentials. */
static int cred_replace_suspended(struct store *st, int64_t citizen_id, const char *actor,
                                  int64_t now)
{
    struct store_credential *v = NULL;
    int n = store_credential_list(st, citizen_id, &v), rc = 0;

    for (int i = 0; i < n && rc >= 0; i++)
        if (v[i].suspended && !v[i].revoked)
            rc = cred_revoke_do(st, &v[i], "replaced while suspended", actor, now);
    free(v);
    return n < 0 ? n : rc < 0 ? rc : 0;
}

/* The audit row and, on revocation, the change count, in the caller's scope. */
static int cred_issue_do(struct store *st, const struct store_credential *c, const char *actor,
                         int64_t now)
{
    struct store_citizen cit;
    char serial[STORE_CREDENTIAL_SERIAL_TEXT], key[TRUST_ID_HEX], detail[80];
    int64_t id;
    int rc;

    if ((rc = store_citizen_get_by_id(st, c->citizen_id, &cit)) < 0)
        return rc;
    if (cit.status != STORE_CITIZEN_ACTIVE)
        return -KP_ERR_DENIED;
    if ((rc = cred_replace_suspended(st, c->citizen_id, actor, now)) < 0)
        return rc;
    if ((rc = store_credential_insert(st, c)) < 0)
        return rc;
    store_credential_serial_text(c->serial, serial);
    trust_id_hex(c->key_id, key);
    snprintf(detail, sizeof(detail), "serial %s, key %s, %u day%s", serial, key, c->valid_days,
             c->valid_days == 1 ? "" : "s");
    id = audit_append(st, now, "credential.issued", actor, cit.cnic_index, detail);
    return id < 0 ? (int)id : 0;
}

int verify_credential_issue(struct store *st, const struct store_credential *c, const char *actor,
                            int64_t now)
{
    enum store_scope own;
    int rc, end;

    /* Malformed fields are INVAL before anything is read: whether the
       citizen may hold a credential is a question about a valid one. */
    if ((rc = store_credential_check(c)) < 0)
        return rc;
    if (!audit_ready(st))
        return -KP_ERR_STATE; /* before reading anything, as the store did */
    if ((rc = store_scope_begin(st, &own)) < 0)
        return rc;
    rc = cred_issue_do(st, c, actor, now);
    end = store_scope_end(st, own, rc >= 0);
    return end < 0 ? end : rc;
}

/* Mark c revoked, write its audit row, count the change.  1 or an error. */
static int cred_revoke_do(struct store *st, const struct store_credential *c, const char *reason,
                          const char *actor, int64_t now)
{
    struct store_citizen cit;
    char serial[STORE_CREDENTIAL_SERIAL_TEXT], detail[STORE_AUDIT_DETAIL_MAX + 1];
    int64_t id;
    int rc;

    if ((rc = store_citizen_get_by_id(st, c->citizen_id, &cit)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc; /* the foreign key forbids it */
    if ((rc = store_credential_mark_revoked(st, c->serial, reason, now)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc; /* read unrevoked in this scope */
    store_credential_serial_text(c->serial, serial);
    snprintf(detail, sizeof(detail), "serial %s%s%s", serial, reason[0] ? ": " : "", reason);
    id = audit_append(st, now, "credential.revoked", actor, cit.cnic_index, detail);
    if (id < 0)
        return (int)id;
    /* A running daemon confirms it has passed the change (store_change.h). */
    return store_change_bump(st, STORE_CHANGE_STATE) < 0 ? -KP_ERR_DB : 1;
}

int verify_credential_revoke(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                             const char *reason, const char *actor, int64_t now)
{
    struct store_credential c;
    enum store_scope own;
    int rc, end;

    if (reason == NULL)
        reason = "";
    if (strlen(reason) > STORE_CREDENTIAL_REASON_MAX)
        return -KP_ERR_INVAL;
    if ((rc = store_audit_detail_check(reason)) < 0)
        return rc;
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_scope_begin(st, &own)) < 0)
        return rc;
    if ((rc = store_credential_get(st, serial, &c)) == 0)
        rc = c.revoked ? 0 : cred_revoke_do(st, &c, reason, actor, now);
    end = store_scope_end(st, own, rc >= 0);
    return end < 0 ? end : rc;
}

/* Suspend what still holds of citizen cit's credentials; how many, or an error. */
static int cred_suspend_do(struct store *st, const struct store_citizen *cit, const char *actor,
                           int64_t now)
{
    struct store_credential *v = NULL;
    char serial[STORE_CREDENTIAL_SERIAL_TEXT], detail[80];
    int n = store_credential_list(st, cit->id, &v), done = 0, rc = 0;

    for (int i = 0; i < n && rc >= 0; i++) {
        if (v[i].revoked || v[i].suspended || now >= v[i].expires_at)
            continue;
        if ((rc = store_credential_mark_suspended(st, v[i].serial, now)) < 0)
            break;
        store_credential_serial_text(v[i].serial, serial);
        snprintf(detail, sizeof(detail), "serial %s, by the citizen", serial);
        if (audit_append(st, now, "credential.suspended", actor, cit->cnic_index, detail) < 0)
            rc = -KP_ERR_DB;
        done++;
    }
    free(v);
    if (n < 0 || rc < 0)
        return n < 0 ? n : rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc;
    if (done == 0 && audit_append(st, now, "credential.suspended", actor, cit->cnic_index,
                                  "none in use, by the citizen") < 0)
        return -KP_ERR_DB;
    /* A running daemon confirms it has passed the change (store_change.h). */
    if (done > 0 && store_change_bump(st, STORE_CHANGE_STATE) < 0)
        return -KP_ERR_DB;
    return done;
}

int verify_credential_suspend_citizen(struct store *st, int64_t citizen_id, const char *actor,
                                      int64_t now)
{
    struct store_citizen cit;
    enum store_scope own;
    int rc, end;

    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_scope_begin(st, &own)) < 0)
        return rc;
    if ((rc = store_citizen_get_by_id(st, citizen_id, &cit)) == 0)
        rc = cred_suspend_do(st, &cit, actor, now);
    end = store_scope_end(st, own, rc >= 0);
    return end < 0 ? end : rc;
}

/* Lift c's suspension, write its audit row, count the change.  1 or an error. */
static int cred_resume_do(struct store *st, const struct store_credential *c, const char *detail,
                          const char *actor, int64_t now)
{
    struct store_citizen cit;
    char serial[STORE_CREDENTIAL_SERIAL_TEXT], text[STORE_AUDIT_DETAIL_MAX + 1];
    int rc;

    if ((rc = store_citizen_get_by_id(st, c->citizen_id, &cit)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc;
    if ((rc = store_credential_mark_resumed(st, c->serial)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_DB : rc;
    store_credential_serial_text(c->serial, serial);
    snprintf(text, sizeof(text), "serial %s%s%s", serial, detail[0] ? ", " : "", detail);
    if (audit_append(st, now, "credential.resumed", actor, cit.cnic_index, text) < 0)
        return -KP_ERR_DB;
    return store_change_bump(st, STORE_CHANGE_STATE) < 0 ? -KP_ERR_DB : 1;
}

int verify_credential_resume(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                             const char *detail, const char *actor, int64_t now)
{
    struct store_credential c;
    enum store_scope own;
    int rc, end;

    if (detail == NULL)
        detail = "";
    if (strlen(detail) > 120 || store_audit_detail_check(detail) < 0)
        return -KP_ERR_INVAL;
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_scope_begin(st, &own)) < 0)
        return rc;
    if ((rc = store_credential_get(st, serial, &c)) == 0)
        rc = c.suspended && !c.revoked ? cred_resume_do(st, &c, detail, actor, now) : 0;
    end = store_scope_end(st, own, rc >= 0);
    return end < 0 ? end : rc;
}
