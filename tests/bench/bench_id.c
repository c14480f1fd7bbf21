/* SPDX-License-Identifier: ISC */
/*
 * Speed of the identity primitives: KP1 verify (decode + Ed25519 verify +
 * time checks), KP1 encode (sign), receipt encode, one-time code hash and
 * the CNIC index.  A tight loop per operation, one core; prints one line
 * per operation and a final JSON line.  Not a test: nothing is asserted
 * beyond correctness of each call.
 *
 *   make bench && build/bench/bench_id
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/clock.h"
#include "kpass/id/cnic.h"
#include "kpass/id/kp1.h"
#include "kpass/id/otp.h"
#include "kpass/id/receipt.h"

#define BENCH_MS 2000 /* run each operation for about this long */

static struct keys_signer signer;
static struct trust_list trust;
static char token[KP1_TEXT_SIZE];

static int op_kp1_verify(void)
{
    struct kp1_token t;

    return kp1_verify(token, KP1_TEXT_LEN, trust_list_lookup, &trust, 1735776000, KP1_SKEW_S, &t);
}

static int op_kp1_encode(void)
{
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];

    memset(&t, 0, sizeof(t));
    kp1_serial_generate(t.serial);
    t.issued_at = 1735689600;
    t.valid_days = 1826;
    return kp1_encode(&signer, &t, text) == KP1_TEXT_LEN ? 0 : -1;
}

static int op_receipt_encode(void)
{
    struct receipt r;
    char text[RECEIPT_TEXT_SIZE];

    memset(&r, 0, sizeof(r));
    receipt_vid_generate(r.verification_id);
    r.code_confirmed = 1;
    return receipt_encode(&signer, &r, text) == RECEIPT_TEXT_LEN ? 0 : -1;
}

static int op_otp_hash(void)
{
    static const uint8_t key[OTP_KEY_BYTES] = {1};
    struct otp_binding b = {"123456", "tax", "3", "9"};
    uint8_t h[OTP_HASH_BYTES];

    return otp_code_hash(key, "004217", &b, h);
}

static int op_cnic_index(void)
{
    static const uint8_t key[CNIC_KEY_BYTES] = {1};
    uint8_t h[CNIC_INDEX_BYTES];

    return cnic_index("3520212345671", key, h);
}

static double bench(const char *name, int (*op)(void))
{
    uint64_t start = kp_clock_us(), now;
    unsigned long n = 0;
    double rate;

    do {
        for (int i = 0; i < 256; i++) {
            if (op() != 0) {
                fprintf(stderr, "%s failed\n", name);
                exit(1);
            }
        }
        n += 256;
        now = kp_clock_us();
    } while (now - start < (uint64_t)BENCH_MS * 1000);
    rate = (double)n * 1e6 / (double)(now - start);
    printf("%-16s %10.0f /s  (%.2f us each)\n", name, rate, 1e6 / rate);
    return rate;
}

int main(void)
{
    uint8_t seed[KEYS_SEED_BYTES];
    struct kp1_token t;
    double r[5];

    if (sodium_init() < 0)
        return 1;
    for (int i = 0; i < KEYS_SEED_BYTES; i++)
        seed[i] = (uint8_t)i;
    if (keys_signer_from_seed(&signer, seed) < 0)
        return 1;
    keys_signer_trust(&signer, TRUST_ACTIVE, &trust);
    memset(&t, 0, sizeof(t));
    t.issued_at = 1735689600;
    t.valid_days = 1826;
    if (kp1_encode(&signer, &t, token) != KP1_TEXT_LEN)
        return 1;
    r[0] = bench("kp1_verify", op_kp1_verify);
    r[1] = bench("kp1_encode", op_kp1_encode);
    r[2] = bench("receipt_encode", op_receipt_encode);
    r[3] = bench("otp_code_hash", op_otp_hash);
    r[4] = bench("cnic_index", op_cnic_index);
    printf("{\"kp1_verify_per_s\":%.0f,\"kp1_encode_per_s\":%.0f,\"receipt_encode_per_s\":%.0f,"
           "\"otp_hash_per_s\":%.0f,\"cnic_index_per_s\":%.0f}\n",
           r[0], r[1], r[2], r[3], r[4]);
    keys_signer_clear(&signer);
    trust_list_free(&trust);
    return 0;
}
