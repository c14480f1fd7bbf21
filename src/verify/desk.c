/* SPDX-License-Identifier: ISC */
/*
 * The desk verification workflow: its transition table, the one function
 * that applies an event, the citizen's "verified at" notice and the
 * signed receipt (see verify_desk.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/audit.h"
#include "kpass/store/desk.h"
#include "kpass/store/sms.h"
#include "kpass/verify/codes.h"
#include "kpass/verify/desk.h"

/* What a transition does besides setting the state. */
enum verify_desk_action {
    VERIFY_ACT_NONE = 0,
    VERIFY_ACT_RECORD,  /* add the verification's row (the first event) */
    VERIFY_ACT_PURPOSE, /* note the purpose the code was sent for */
    VERIFY_ACT_RECEIPT, /* note the receipt and biometric; notify the citizen by SMS */
};

/* How the change is committed. */
enum verify_desk_commit {
    VERIFY_COMMIT_GROUP = 0, /* in the store's group commit (store_batch) */
    VERIFY_COMMIT_NOW,       /* its own transaction, committed before the answer */
};

static const struct verify_desk_transition {
    int from; /* a store state, or VERIFY_DESK_NEW */
    enum verify_desk_event event;
    enum store_verification_state to;
    enum verify_desk_action action;
    const char *audit; /* the audit event written, or NULL (the step's caller audits) */
    enum verify_desk_commit commit;
} verify_desk_table[] = {
    {VERIFY_DESK_NEW, VERIFY_DESK_SCAN, STORE_VERIF_SCANNED, VERIFY_ACT_RECORD, "desk.scan",
     VERIFY_COMMIT_NOW},
    /* codes.c audits the code itself (code.issued) */
    {STORE_VERIF_SCANNED, VERIFY_DESK_SEND_CODE, STORE_VERIF_CODE_SENT, VERIFY_ACT_PURPOSE, NULL,
     VERIFY_COMMIT_GROUP},
    {STORE_VERIF_CODE_SENT, VERIFY_DESK_SEND_CODE, STORE_VERIF_CODE_SENT, VERIFY_ACT_PURPOSE, NULL,
     VERIFY_COMMIT_GROUP},
    {STORE_VERIF_CODE_SENT, VERIFY_DESK_CONFIRM_OK, STORE_VERIF_VERIFIED, VERIFY_ACT_RECEIPT,
     "desk.verified", VERIFY_COMMIT_NOW},
    /* the refusals below are audited by the step that found them (desk.refused) */
    {STORE_VERIF_CODE_SENT, VERIFY_DESK_CONFIRM_DEAD, STORE_VERIF_FAILED, VERIFY_ACT_NONE, NULL,
     VERIFY_COMMIT_GROUP},
    {STORE_VERIF_SCANNED, VERIFY_DESK_CREDENTIAL_REFUSED, STORE_VERIF_FAILED, VERIFY_ACT_NONE, NULL,
     VERIFY_COMMIT_GROUP},
    {STORE_VERIF_CODE_SENT, VERIFY_DESK_CREDENTIAL_REFUSED, STORE_VERIF_FAILED, VERIFY_ACT_NONE,
     NULL, VERIFY_COMMIT_GROUP},
    {STORE_VERIF_SCANNED, VERIFY_DESK_EXPIRE, STORE_VERIF_EXPIRED, VERIFY_ACT_NONE, NULL,
     VERIFY_COMMIT_GROUP},
    {STORE_VERIF_CODE_SENT, VERIFY_DESK_EXPIRE, STORE_VERIF_EXPIRED, VERIFY_ACT_NONE, NULL,
     VERIFY_COMMIT_GROUP},
    /* codes.c audits the tries that killed the code (code.failed) */
    {STORE_VERIF_CODE_SENT, VERIFY_DESK_CODE_VOID, STORE_VERIF_SCANNED, VERIFY_ACT_NONE, NULL,
     VERIFY_COMMIT_GROUP},
};

static const char *const verify_desk_event_names[VERIFY_DESK_EVENT_MAX] = {
    [VERIFY_DESK_SCAN] = "scan",
    [VERIFY_DESK_SEND_CODE] = "send_code",
    [VERIFY_DESK_CONFIRM_OK] = "confirm_ok",
    [VERIFY_DESK_CONFIRM_DEAD] = "confirm_dead",
    [VERIFY_DESK_CREDENTIAL_REFUSED] = "credential_refused",
    [VERIFY_DESK_EXPIRE] = "expire",
    [VERIFY_DESK_CODE_VOID] = "code_void",
};

const char *verify_desk_event_name(enum verify_desk_event ev)
{
    return (size_t)ev < KP_ARRAY_LEN(verify_desk_event_names) ? verify_desk_event_names[ev]
                                                              : "unknown";
}

static const struct verify_desk_transition *verify_desk_find(int state, enum verify_desk_event ev)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(verify_desk_table); i++)
        if (verify_desk_table[i].from == state && verify_desk_table[i].event == ev)
            return &verify_desk_table[i];
    return NULL;
}

int verify_desk_allows(int state, enum verify_desk_event ev)
{
    return verify_desk_find(state, ev) != NULL;
}

int verify_desk_overdue(const struct store_verification *v, unsigned ttl_s, int64_t now)
{
    /* Still under way exactly when the table lets it expire. */
    return verify_desk_allows((int)v->state, VERIFY_DESK_EXPIRE) &&
           now - v->created_at >= (int64_t)ttl_s;
}

/* The citizen's "Verified at <office>, <time>. Not you? ..." SMS, queued in the open tx. */
static int verify_desk_notice(struct store *st, const struct store_citizen *c,
                              const struct verify_desk_step *step, int64_t now)
{
    char nums[1][MSISDN_SIZE], text[400], when[40], subject[65];
    time_t t = (time_t)(now + 5 * 3600); /* Pakistan Standard Time, UTC+5, no DST */
    struct tm tm;

    if (store_citizen_msisdns(st, c->id, nums, 1) != 1)
        return 0;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%d %b %Y %H:%M PKT", &tm);
    snprintf(text, sizeof(text),
             "Khyber Pass: your identity was verified at %s, %s. Not you? Call %s.",
             step->office_name, when, step->helpline);
    sodium_bin2hex(subject, sizeof(subject), c->cnic_index, sizeof(c->cnic_index));
    return store_sms_queue(st, nums[0], text, 0, subject, now + 24 * 3600, now, NULL);
}

/* The row's write and the table's action and audit row, in the caller's transaction. */
static int verify_desk_write(struct store *st, const struct store_verification *v,
                             const struct store_citizen *c, const struct verify_desk_transition *t,
                             const struct verify_desk_step *step, int64_t now)
{
    int rc = t->action == VERIFY_ACT_RECORD ? store_verification_add(st, v)
                                            : store_verification_update(st, v);

    if (rc < 0)
        return -KP_ERR_DB;
    if (t->action == VERIFY_ACT_RECEIPT && verify_desk_notice(st, c, step, now) < 0)
        return -KP_ERR_DB;
    if (t->audit != NULL &&
        audit_append(st, now, t->audit, step->actor, c->cnic_index, step->detail) < 0)
        return -KP_ERR_DB;
    return 0;
}

int verify_desk_apply(struct store *st, struct store_verification *v, const struct store_citizen *c,
                      enum verify_desk_event ev, const struct verify_desk_step *step, int64_t now)
{
    const struct verify_desk_transition *t =
        verify_desk_find(ev == VERIFY_DESK_SCAN ? VERIFY_DESK_NEW : (int)v->state, ev);
    struct store_verification next = *v;
    int rc;

    if (t == NULL || ((t->audit != NULL || t->action == VERIFY_ACT_RECEIPT) && c == NULL))
        return -KP_ERR_STATE;
    next.state = t->to;
    next.updated_at = now;
    if (t->action == VERIFY_ACT_RECORD)
        next.created_at = now;
    if (t->action == VERIFY_ACT_PURPOSE)
        snprintf(next.purpose, sizeof(next.purpose), "%s", step->purpose);
    if (t->action == VERIFY_ACT_RECEIPT) {
        snprintf(next.receipt_id, sizeof(next.receipt_id), "%s", step->receipt_id);
        snprintf(next.receipt, sizeof(next.receipt), "%s", step->receipt ? step->receipt : "");
        snprintf(next.biometric, sizeof(next.biometric), "%s", step->biometric);
    }
    if (t->commit == VERIFY_COMMIT_GROUP) {
        store_batch(st);
        rc = verify_desk_write(st, &next, c, t, step, now);
    } else if ((rc = store_tx_begin(st)) == 0) {
        if ((rc = verify_desk_write(st, &next, c, t, step, now)) < 0 ||
            (rc = store_tx_commit(st)) < 0)
            store_tx_rollback(st);
    }
    /* A group commit's row is kept as the state the answer reports even if
       its write failed: the handlers never depended on it. */
    if (rc == 0 || t->commit == VERIFY_COMMIT_GROUP)
        *v = next;
    return rc < 0 ? -KP_ERR_DB : 0;
}

int verify_desk_receipt(struct store *st, const struct keys_signer *signer,
                        const struct store_verification *v, enum receipt_bio bio, int64_t now,
                        char text[RECEIPT_TEXT_SIZE], char id[RECEIPT_ID_SIZE])
{
    struct receipt rc;
    const char *const *purposes = codes_purposes();
    struct store_desk desk;
    uint8_t h[4];
    size_t n;

    memset(&rc, 0, sizeof(rc));
    sodium_hex2bin(rc.verification_id, sizeof(rc.verification_id), v->id, strlen(v->id), NULL, &n,
                   NULL);
    sodium_hex2bin(rc.serial, sizeof(rc.serial), v->serial, strlen(v->serial), NULL, &n, NULL);
    /* The office as 32 bits: the first octets of BLAKE2b of its code (doc/kp1-token.md). */
    crypto_generichash(h, sizeof(h), (const uint8_t *)v->office, strlen(v->office), NULL, 0);
    rc.office_id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    rc.desk_id = store_desk_get(st, v->desk, &desk) == 0 ? desk.seq : 0;
    for (unsigned i = 0; purposes[i]; i++)
        if (strcmp(purposes[i], v->purpose) == 0)
            rc.purpose = (uint16_t)i;
    rc.verified_at = (uint32_t)now;
    rc.code_confirmed = 1;
    rc.bio = bio;
    if (receipt_encode(signer, &rc, text) < 0)
        return -KP_ERR_CRYPTO;
    receipt_id(&rc, id);
    return 0;
}
