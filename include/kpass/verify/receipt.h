/* SPDX-License-Identifier: ISC */
/*
 * A signed desk receipt looked up by the id people read out
 * (GET /v1/receipts/{id}, `kpass receipt show`): the verification it
 * records, whose it is, where and when, for what, its signed KPR1 text,
 * and whether that text verifies and agrees with the record.  Each
 * lookup that finds one is audited (receipt.viewed): it tells who was
 * where.
 */
#ifndef KPASS_VERIFY_RECEIPT_H
#define KPASS_VERIFY_RECEIPT_H

#include <stdint.h>

#include "kpass/id/receipt.h"
#include "kpass/id/trust.h"
#include "kpass/store/citizen.h"
#include "kpass/store/store.h"
#include "kpass/store/verification.h"

/* What the stored text says, checked against the trust list and the record. */
enum verify_receipt_verdict {
    VERIFY_RECEIPT_VALID = 0,     /* signed by a trusted key, and it agrees with the record */
    VERIFY_RECEIPT_NOT_KEPT,      /* verified before the text was kept (schema 16) */
    VERIFY_RECEIPT_MALFORMED,     /* not a KPR1 text */
    VERIFY_RECEIPT_UNKNOWN_KEY,   /* its key is not in the trust list */
    VERIFY_RECEIPT_RETIRED_KEY,   /* its key has been retired since */
    VERIFY_RECEIPT_BAD_SIGNATURE, /* the signature does not verify: altered */
    VERIFY_RECEIPT_MISMATCH,      /* it verifies, but names another verification, card or id */
    VERIFY_RECEIPT_VERDICT_MAX
};

struct verify_receipt_view {
    struct store_verification v; /* v.receipt: the signed text ("" when not kept) */
    struct store_citizen c;
    char office_name[260]; /* English, or the code when the directory has none */
    struct receipt r;      /* decoded from v.receipt (when it decodes) */
    enum verify_receipt_verdict verdict;
};

/* "valid", "not_kept", "malformed", "unknown_key", "retired_key", "bad_signature",
   "mismatch"; never NULL. */
const char *verify_receipt_verdict_name(enum verify_receipt_verdict v);

/*
 * Find the receipt with id rid (10 characters as issued, RFC 4648 Base32)
 * and check its text through lookup/ctx (a trust_lookup_fn).  office
 * (may be NULL: any) is the asker's: another office's receipt is
 * -KP_ERR_DENIED, audited as receipt.refused.  When found,
 * audits receipt.viewed by actor (subject: the citizen) as an atomic
 * change (store_scope_begin: the daemon's group commit, which is on disk
 * before the answer leaves; kpass's own transaction).  0 (*out filled),
 * -KP_ERR_NOTFOUND (no such receipt; nothing audited), -KP_ERR_DENIED,
 * -KP_ERR_DB.
 */
int verify_receipt_find(struct store *st, const char *rid, const char *office,
                        trust_lookup_fn lookup, void *ctx, const char *actor, int64_t now,
                        struct verify_receipt_view *out);

#endif
