/* SPDX-License-Identifier: ISC */
/*
 * kpass receipt show ID: a desk receipt looked up by the id on the
 * citizen's slip (verify/receipt.h), on the database: who (masked), where,
 * when, for what, the signed KPR1 text, and whether it verifies against
 * the key folder's trust list and agrees with the record.  Audited as
 * receipt.viewed by the operator.  Exit 0 only for a valid receipt.
 */
#include <stdio.h>
#include <string.h>

#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/cnic.h"
#include "kpass/id/keys.h"
#include "kpass/store/citizen.h"
#include "kpass/verify/codes.h"
#include "kpass/verify/receipt.h"

static const char receipt_usage_text[] = "kpass receipt show ID";

/* The signing key's line: its id and what the trust list says of it. */
static void receipt_key(const struct verify_receipt_view *rv, const struct keys_ring *ring)
{
    char key[TRUST_ID_HEX];
    const struct trust_key *k;

    if (rv->verdict == VERIFY_RECEIPT_NOT_KEPT || rv->verdict == VERIFY_RECEIPT_MALFORMED)
        return;
    trust_id_hex(rv->r.key_id, key);
    k = trust_list_find(&ring->trust, rv->r.key_id);
    printf("key:          %s (%s)\n", key,
           k ? trust_status_name(k->status) : "not in the trust list");
}

static void receipt_print(const struct verify_receipt_view *rv, const struct keys_ring *ring)
{
    static const char *const verdict_text[VERIFY_RECEIPT_VERDICT_MAX] = {
        [VERIFY_RECEIPT_VALID] = "valid: signed by a trusted key, and it agrees with the record",
        [VERIFY_RECEIPT_NOT_KEPT] = "not checked: the signed text was not kept (verified before "
                                    "this version)",
        [VERIFY_RECEIPT_MALFORMED] = "NOT VALID: the kept text is not a KPR1 receipt",
        [VERIFY_RECEIPT_UNKNOWN_KEY] = "NOT VALID: signed by a key not in the trust list",
        [VERIFY_RECEIPT_RETIRED_KEY] = "not checked: its key has been retired since",
        [VERIFY_RECEIPT_BAD_SIGNATURE] = "NOT VALID: the signature does not verify (altered)",
        [VERIFY_RECEIPT_MISMATCH] = "NOT VALID: it names another verification, card or id",
    };
    char masked[CNIC_TEXT_SIZE], when[CLI_TIME_SIZE];
    const char *label = codes_purpose_label(rv->v.purpose);

    store_citizen_mask(&rv->c, masked);
    printf("receipt:      %s\n", rv->v.receipt_id);
    printf("signature:    %s\n", verdict_text[rv->verdict]);
    receipt_key(rv, ring);
    printf("who:          %s, CNIC %s, district %s\n", rv->c.name_en, masked, rv->c.district);
    printf("where:        %s (%s), desk %s, staff %s\n", rv->office_name, rv->v.office, rv->v.desk,
           rv->v.staff);
    printf("when:         %s\n", cli_time(rv->v.updated_at, when));
    printf("purpose:      %s%s%s%s\n", rv->v.purpose, label ? " (" : "", label ? label : "",
           label ? ")" : "");
    printf("biometric:    %s\n", rv->v.biometric[0] ? rv->v.biometric : "not done");
    printf("verification: %s\n", rv->v.id);
    printf("text:         %s\n", rv->v.receipt[0] ? rv->v.receipt : "(not kept)");
}

static int receipt_show(struct kp_cli *cli, const char *id)
{
    struct verify_receipt_view rv;
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    if ((rc = keys_ring_open(cli->cfg.keys_dir, 0, &ring, &err)) < 0) {
        if (err.len > 0)
            fputs(err.data, stderr);
        kp_buf_free(&err);
        return cli_fail("cannot load the trust list: %s", kp_strerror(rc));
    }
    kp_buf_free(&err);
    rc = verify_receipt_find(cli->st, id, NULL, keys_ring_lookup, ring, cli_actor(), kp_time_s(),
                             &rv);
    if (rc == -KP_ERR_NOTFOUND) {
        keys_ring_free(ring);
        return cli_fail("no receipt %s", id);
    }
    if (rc < 0) {
        keys_ring_free(ring);
        return cli_fail("cannot read the receipt: %s", kp_strerror(rc));
    }
    receipt_print(&rv, ring);
    keys_ring_free(ring);
    return rv.verdict == VERIFY_RECEIPT_VALID ? 0 : 1;
}

int cmd_receipt(struct kp_cli *cli, int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return receipt_show(cli, argv[2]);
    return cli_usage(receipt_usage_text);
}
