/* SPDX-License-Identifier: ISC */
/*
 * GET /v1/receipts/{id} (doc/http-api.md, "Receipts"): a desk session
 * looks up a receipt of its own office by the id on the citizen's slip:
 * who (masked), where, when, for what, the signed KPR1 text and whether
 * it verifies.  The lookup, and a refused one, are audited
 * (verify_receipt_find).
 */
#include <stdio.h>
#include <string.h>

#include "http_internal.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/cnic.h"
#include "kpass/id/keys.h"
#include "kpass/store/citizen.h"
#include "kpass/verify/receipt.h"

/* The receipt's answer: nothing that is not already on the desk's screen at a scan. */
static json_t *http_receipt_json(const struct verify_receipt_view *rv)
{
    char masked[CNIC_TEXT_SIZE];

    store_citizen_mask(&rv->c, masked);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}, s:s, s:s, s:s, s:s, "
                     "s:{s:s, s:s, s:s}}",
                     "receipt_id", rv->v.receipt_id, "signature",
                     verify_receipt_verdict_name(rv->verdict), "receipt", rv->v.receipt,
                     "verification", rv->v.id, "verified_at", (json_int_t)rv->v.updated_at,
                     "office", "code", rv->v.office, "name", rv->office_name, "desk", rv->v.desk,
                     "staff", rv->v.staff, "purpose", rv->v.purpose, "biometric", rv->v.biometric,
                     "citizen", "name", rv->c.name_en, "cnic", masked, "district", rv->c.district);
}

void http_receipt_get(struct http_req *r)
{
    struct verify_receipt_view rv;
    char actor[48];
    int rc;

    if (http_auth(r) < 0)
        return;
    snprintf(actor, sizeof(actor), "desk:%s", r->session.desk);
    rc = verify_receipt_find(r->api->d.st, r->id, r->session.office, keys_ring_lookup,
                             r->api->d.keys, actor, kp_time_s(), &rv);
    if (rc == -KP_ERR_NOTFOUND)
        http_reply_error(r, 404, "not_found", "no such receipt");
    else if (rc == -KP_ERR_DENIED)
        http_reply_error(r, 403, "forbidden", "this receipt belongs to another office");
    else if (rc < 0)
        http_reply_error(r, 500, "internal", "store");
    else
        http_reply_json(r, 200, http_receipt_json(&rv));
}
