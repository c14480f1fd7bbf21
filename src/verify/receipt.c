/* SPDX-License-Identifier: ISC */
/*
 * Receipts looked up by id (see verify/receipt.h): the record, the
 * signed text checked against the trust list and against the record,
 * and the audit row of the lookup (in the daemon's group commit, or a
 * transaction of its own in kpass).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/directory.h"
#include "kpass/verify/receipt.h"

static const char *const verify_receipt_verdicts[VERIFY_RECEIPT_VERDICT_MAX] = {
    [VERIFY_RECEIPT_VALID] = "valid",
    [VERIFY_RECEIPT_NOT_KEPT] = "not_kept",
    [VERIFY_RECEIPT_MALFORMED] = "malformed",
    [VERIFY_RECEIPT_UNKNOWN_KEY] = "unknown_key",
    [VERIFY_RECEIPT_RETIRED_KEY] = "retired_key",
    [VERIFY_RECEIPT_BAD_SIGNATURE] = "bad_signature",
    [VERIFY_RECEIPT_MISMATCH] = "mismatch",
};

const char *verify_receipt_verdict_name(enum verify_receipt_verdict v)
{
    return (unsigned)v < KP_ARRAY_LEN(verify_receipt_verdicts) ? verify_receipt_verdicts[v] : "?";
}

/*
 * Does the signed receipt r name this record: its verification id, its
 * card's serial, the time it was verified (the row's last change: a
 * verified row changes no more), and the id it is filed under?
 */
static int verify_receipt_agrees(const struct receipt *r, const struct store_verification *v)
{
    char vid[2 * RECEIPT_VID_BYTES + 1], serial[2 * sizeof(r->serial) + 1], id[RECEIPT_ID_SIZE];

    sodium_bin2hex(vid, sizeof(vid), r->verification_id, sizeof(r->verification_id));
    sodium_bin2hex(serial, sizeof(serial), r->serial, sizeof(r->serial));
    receipt_id(r, id);
    return strcmp(vid, v->id) == 0 && strcmp(serial, v->serial) == 0 &&
           strcmp(id, v->receipt_id) == 0 && (int64_t)r->verified_at == v->updated_at;
}

static enum verify_receipt_verdict verify_receipt_check(struct verify_receipt_view *o,
                                                        trust_lookup_fn lookup, void *ctx)
{
    int rc;

    if (o->v.receipt[0] == '\0')
        return VERIFY_RECEIPT_NOT_KEPT;
    rc = receipt_verify(o->v.receipt, strlen(o->v.receipt), lookup, ctx, &o->r);
    if (rc == -KP_ERR_NOTFOUND)
        return VERIFY_RECEIPT_UNKNOWN_KEY;
    if (rc == -KP_ERR_DENIED)
        return VERIFY_RECEIPT_RETIRED_KEY;
    if (rc == -KP_ERR_CRYPTO)
        return VERIFY_RECEIPT_BAD_SIGNATURE;
    if (rc < 0)
        return VERIFY_RECEIPT_MALFORMED;
    return verify_receipt_agrees(&o->r, &o->v) ? VERIFY_RECEIPT_VALID : VERIFY_RECEIPT_MISMATCH;
}

int verify_receipt_find(struct store *st, const char *rid, const char *office,
                        trust_lookup_fn lookup, void *ctx, const char *actor, int64_t now,
                        struct verify_receipt_view *out)
{
    int denied;
    struct store_dir_office o;
    enum store_scope scope;
    char detail[96];
    int rc;

    memset(out, 0, sizeof(*out));
    if (strlen(rid) != RECEIPT_ID_LEN)
        return -KP_ERR_NOTFOUND;
    if ((rc = store_verification_by_receipt(st, rid, &out->v)) < 0)
        return rc;
    if (store_citizen_get_by_id(st, out->v.citizen_id, &out->c) < 0)
        return -KP_ERR_DB;
    denied = office != NULL && strcmp(office, out->v.office) != 0;
    if (denied) {
        snprintf(detail, sizeof(detail), "receipt=%s reason=other_office", out->v.receipt_id);
    } else {
        snprintf(out->office_name, sizeof(out->office_name), "%s",
                 store_dir_office_get(st, out->v.office, &o) == 0 ? o.name.en : out->v.office);
        out->verdict = verify_receipt_check(out, lookup, ctx);
        snprintf(detail, sizeof(detail), "receipt=%s verification=%.8s signature=%s",
                 out->v.receipt_id, out->v.id, verify_receipt_verdict_name(out->verdict));
    }
    if (store_scope_begin(st, &scope) < 0)
        return -KP_ERR_DB;
    /* The new row's id, or < 0. */
    int64_t row = audit_append(st, now, denied ? "receipt.refused" : "receipt.viewed", actor,
                               out->c.cnic_index, detail);
    if (store_scope_end(st, scope, row > 0) < 0 || row <= 0)
        return -KP_ERR_DB;
    return denied ? -KP_ERR_DENIED : 0;
}
