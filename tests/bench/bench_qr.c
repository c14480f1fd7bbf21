/* SPDX-License-Identifier: ISC */
/*
 * Speed of QR credentials: a full verification as `kpass qr verify` and a
 * desk scan make it (verify_credential_verify: decode, Ed25519, times,
 * then the serial's record and its citizen from SQLite, over 1,000
 * issued tokens on a file in /tmp), issuing (sign + record + audit row,
 * one transaction each), and drawing: the QR symbol, the PNG, the
 * terminal text, and reading a PNG back with zbar.  One core, a tight
 * loop per operation; prints one line per operation and a final JSON
 * line.  Not a test: nothing is asserted beyond each call's success.
 *
 *   make bench && build/bench/bench_qr
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/core/clock.h"
#include "kpass/id/kp1.h"
#include "kpass/core/log.h"
#include "kpass/id/qr.h"
#include "kpass/store/audit.h"
#include "kpass/store/credential.h"
#include "kpass/verify/credential.h"

#define BENCH_MS 2000 /* run each operation for about this long */
#define TOKENS   1000

static struct keys_signer signer;
static struct trust_list trust;
static struct store *st;
static struct registry *reg; /* over st */
static struct store_citizen citizen;
static char tokens[TOKENS][KP1_TEXT_SIZE];
static struct qr_code *code;
static struct kp_buf png_bytes;
static unsigned long counter;

static int op_verify(void)
{
    struct verify_credential_result r;
    const char *t = tokens[counter++ % TOKENS];

    return verify_credential_verify(st, t, KP1_TEXT_LEN, trust_list_lookup, &trust, 1735776000,
                                    &r) == VERIFY_CREDENTIAL_VALID
               ? 0
               : -1;
}

/* Sign a token for the citizen and record it (its own transaction and audit row). */
static int issue_one(char text[KP1_TEXT_SIZE])
{
    struct store_credential c;
    struct kp1_token t;

    memset(&t, 0, sizeof(t));
    kp1_serial_generate(t.serial);
    cnic_last4_parse(citizen.last4, 4, t.cnic_last4);
    t.issued_at = 1735689600;
    t.valid_days = 365;
    if (kp1_encode(&signer, &t, text) != KP1_TEXT_LEN)
        return -1;
    store_credential_from_token(&t, citizen.id, &c);
    return verify_credential_issue(st, &c, "kpass", 1735689600);
}

static int op_issue(void)
{
    char text[KP1_TEXT_SIZE];

    return issue_one(text);
}

static int op_qr_encode(void)
{
    struct qr_code *q;
    int rc = qr_encode(tokens[counter++ % TOKENS], KP1_TEXT_LEN, QR_KP1_VERSION, &q);

    qr_free(q);
    return rc;
}

static int op_png(void)
{
    struct kp_buf out = KP_BUF_INIT;
    struct qr_code *q;
    int rc = qr_encode(tokens[counter++ % TOKENS], KP1_TEXT_LEN, QR_KP1_VERSION, &q);

    if (rc == 0)
        rc = qr_png(q, QR_PNG_SCALE, &out);
    qr_free(q);
    kp_buf_free(&out);
    return rc;
}

static int op_png_only(void)
{
    struct kp_buf out = KP_BUF_INIT;
    int rc = qr_png(code, QR_PNG_SCALE, &out);

    kp_buf_free(&out);
    return rc;
}

static int op_terminal(void)
{
    struct kp_buf out = KP_BUF_INIT;

    qr_terminal(code, 0, &out);
    kp_buf_free(&out);
    return 0;
}

static int op_decode(void)
{
    struct kp_buf out = KP_BUF_INIT;
    int rc = qr_png_decode((const uint8_t *)png_bytes.data, png_bytes.len, &out);

    if (rc == 0 && strcmp(out.data, tokens[0]) != 0)
        rc = -1;
    kp_buf_free(&out);
    return rc;
}

static double bench(const char *name, int (*op)(void), int batch)
{
    uint64_t start = kp_clock_us(), now;
    unsigned long n = 0;
    double rate;

    do {
        for (int i = 0; i < batch; i++) {
            if (op() != 0) {
                fprintf(stderr, "%s failed\n", name);
                exit(1);
            }
        }
        n += (unsigned long)batch;
        now = kp_clock_us();
    } while (now - start < (uint64_t)BENCH_MS * 1000);
    rate = (double)n * 1e6 / (double)(now - start);
    printf("%-18s %10.0f /s  (%.1f us each)\n", name, rate, 1e6 / rate);
    return rate;
}

static int setup(const char *path)
{
    static uint8_t ckey[CNIC_KEY_BYTES], akey[AUDIT_KEY_BYTES];
    uint8_t seed[KEYS_SEED_BYTES];

    randombytes_buf(ckey, sizeof(ckey));
    randombytes_buf(akey, sizeof(akey));
    memset(seed, 7, sizeof(seed));
    if (store_open(path, STORE_CREATE, &st) < 0 ||
        registry_use_key(reg = registry_new(st), ckey) < 0 ||
        keys_signer_from_seed(&signer, seed) < 0)
        return -1;
    audit_use_key(st, akey);
    keys_signer_trust(&signer, TRUST_ACTIVE, &trust);
    memset(&citizen, 0, sizeof(citizen));
    strcpy(citizen.name_en, "Ahmad Khan");
    strcpy(citizen.name_ur, "احمد خان");
    strcpy(citizen.district, "PSH");
    if (registry_citizen_add(reg, "3520212345671", &citizen, "kpass", 1735689600) < 0)
        return -1;
    if (store_tx_begin(st) < 0)
        return -1;
    for (int i = 0; i < TOKENS; i++)
        if (issue_one(tokens[i]) < 0)
            return -1;
    if (store_tx_commit(st) < 0 || qr_encode(tokens[0], KP1_TEXT_LEN, 6, &code) < 0 ||
        qr_png(code, QR_PNG_SCALE, &png_bytes) < 0)
        return -1;
    return 0;
}

int main(void)
{
    char path[] = "/tmp/kpass-bench-qr-XXXXXX", db[64];
    double r[7] = {0};

    log_init("bench_qr", KP_LOG_STDERR, KP_LOG_WARN);
    if (sodium_init() < 0 || mkdtemp(path) == NULL)
        return 1;
    snprintf(db, sizeof(db), "%s/bench.db", path);
    if (setup(db) < 0) {
        fprintf(stderr, "bench_qr: setup failed\n");
        return 1;
    }
    r[0] = bench("credential_verify", op_verify, 64);
    r[1] = bench("credential_issue", op_issue, 16);
    r[2] = bench("qr_encode", op_qr_encode, 16);
    r[3] = bench("qr_encode+png", op_png, 16);
    r[4] = bench("png_only", op_png_only, 16);
    r[5] = bench("qr_terminal", op_terminal, 64);
    if (qr_can_decode())
        r[6] = bench("qr_png_decode", op_decode, 4);
    printf("{\"verify_per_s\":%.0f,\"issue_per_s\":%.0f,\"qr_encode_per_s\":%.0f,"
           "\"encode_png_per_s\":%.0f,\"png_only_per_s\":%.0f,\"terminal_per_s\":%.0f,"
           "\"zbar_decode_per_s\":%.0f,\"png_bytes\":%zu}\n",
           r[0], r[1], r[2], r[3], r[4], r[5], r[6], png_bytes.len);
    qr_free(code);
    kp_buf_free(&png_bytes);
    registry_free(reg);
    store_close(st);
    keys_signer_clear(&signer);
    trust_list_free(&trust);
    unlink(db);
    snprintf(db, sizeof(db), "%s/bench.db-wal", path);
    unlink(db);
    snprintf(db, sizeof(db), "%s/bench.db-shm", path);
    unlink(db);
    rmdir(path);
    return 0;
}
