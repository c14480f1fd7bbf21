/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: KP1 token decode and verify on arbitrary text, against the
 * trust list of doc/kp1-token.md's example key.  Nothing may crash; a text
 * that verifies must be exactly what kp1_encode writes for its fields.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/id/kp1.h"

#define FUZZ_KP1_NOW 1735776000 /* 2025-01-02: the example token is valid */

static struct keys_signer fuzz_kp1_signer;
static struct trust_list fuzz_kp1_trust;

static void fuzz_kp1_init(void)
{
    static int ready;
    uint8_t seed[KEYS_SEED_BYTES];

    if (ready)
        return;
    if (sodium_init() < 0)
        abort();
    for (int i = 0; i < KEYS_SEED_BYTES; i++)
        seed[i] = (uint8_t)i;
    if (keys_signer_from_seed(&fuzz_kp1_signer, seed) < 0)
        abort();
    if (keys_signer_trust(&fuzz_kp1_signer, TRUST_ACTIVE, &fuzz_kp1_trust) < 0)
        abort();
    ready = 1;
}

KP_FUZZ_TARGET(kp1)
{
    struct kp1_token t, again;
    char text[KP1_TEXT_SIZE];
    int rc;

    fuzz_kp1_init();
    rc = kp1_decode((const char *)data, size, &t);
    if (rc == 0 && size != KP1_TEXT_LEN)
        abort();
    rc = kp1_verify((const char *)data, size, trust_list_lookup, &fuzz_kp1_trust, FUZZ_KP1_NOW,
                    KP1_SKEW_S, &t);
    if (kp1_strerror(rc) == NULL)
        abort();
    if (rc == 0) {
        again = t;
        if (kp1_encode(&fuzz_kp1_signer, &again, text) != KP1_TEXT_LEN ||
            memcmp(text, data, KP1_TEXT_LEN) != 0 || memcmp(again.sig, t.sig, KP1_SIG_BYTES) != 0)
            abort();
    }
    return 0;
}
