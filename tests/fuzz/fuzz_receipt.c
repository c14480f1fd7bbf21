/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: KPR1 receipt decode and verify on arbitrary text, against
 * the example key of doc/kp1-token.md.  A text that verifies must be
 * exactly what receipt_encode writes for its fields.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/id/receipt.h"

static struct keys_signer fuzz_receipt_signer;
static struct trust_list fuzz_receipt_trust;

static void fuzz_receipt_init(void)
{
    static int ready;
    uint8_t seed[KEYS_SEED_BYTES];

    if (ready)
        return;
    if (sodium_init() < 0)
        abort();
    for (int i = 0; i < KEYS_SEED_BYTES; i++)
        seed[i] = (uint8_t)i;
    if (keys_signer_from_seed(&fuzz_receipt_signer, seed) < 0)
        abort();
    if (keys_signer_trust(&fuzz_receipt_signer, TRUST_ACTIVE, &fuzz_receipt_trust) < 0)
        abort();
    ready = 1;
}

KP_FUZZ_TARGET(receipt)
{
    struct receipt r, again;
    char text[RECEIPT_TEXT_SIZE], id[RECEIPT_ID_SIZE];
    int rc;

    fuzz_receipt_init();
    rc = receipt_decode((const char *)data, size, &r);
    if (rc == 0) {
        if (size != RECEIPT_TEXT_LEN || (unsigned)r.bio > RECEIPT_BIO_FAILED)
            abort();
        receipt_id(&r, id);
    }
    rc = receipt_verify((const char *)data, size, trust_list_lookup, &fuzz_receipt_trust, &r);
    if (rc == 0) {
        again = r;
        if (receipt_encode(&fuzz_receipt_signer, &again, text) != RECEIPT_TEXT_LEN ||
            memcmp(text, data, RECEIPT_TEXT_LEN) != 0)
            abort();
    }
    return 0;
}
