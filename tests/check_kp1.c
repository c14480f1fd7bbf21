/* SPDX-License-Identifier: ISC */
/*
 * The KP1 token: the worked example of doc/kp1-token.md byte for byte
 * (checked against the doc too; the values were also reproduced by an
 * independent Python implementation), round trips, every single-bit flip
 * of the decoded bytes and every single-character change of the text,
 * every truncation, prefixes, trailing characters, keys unknown, retired
 * or wrong, validity at its boundaries, and the key folder end to end.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/id/base45.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/id/kp1.h"
#include "kpass/core/mem.h"
#include "kpass/id/receipt.h"
#include "kpass/id/trust.h"
#include "testutil.h"

/* doc/kp1-token.md, "Worked example". */
#define EX_PK   "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define EX_ID   "9d24e2ee"
#define EX_BODY "019d24e2ee00112233445566778899aabb567167748580072201"
#define EX_SIG                                                                                     \
    "01f564452c11f2f3d85757d306bf9d84d6ac90a788b935069a4051e69095679845931fb250d726cc7971202599ae" \
    "a70d02c3f14f50c6cfe225ba3c714953be05"
#define EX_TEXT                                                                                    \
    "KP1:890$T4/3UL72TL6$ZA05F8JJXUN6FE*WEF8GKD46B0JUCVP55WUXFRS4BH%04-JB6R-CI CHTV6NMJ-FANCIF4D " \
    "Z8E04+9AW+4*FF*24CJJF5LWF0ZMUN9ASCQSY4%S76C901O"
#define EX_ISSUED 1735689600u /* 2025-01-01T00:00:00Z */
#define EX_DAYS   1826

static struct keys_signer signer_a, signer_b;
static struct trust_list trust; /* A active, B retired */

static void kp1_setup(void)
{
    tu_signers(&signer_a, &signer_b, &trust);
}

static void kp1_teardown(void)
{
    keys_signer_clear(&signer_a);
    keys_signer_clear(&signer_b);
    trust_list_free(&trust);
}

static void example_token(struct kp1_token *t)
{
    memset(t, 0, sizeof(*t));
    tu_hex("00112233445566778899aabb", t->serial, sizeof(t->serial));
    t->cnic_last4[0] = 0x56; /* 35202-1234567-1 */
    t->cnic_last4[1] = 0x71;
    t->issued_at = EX_ISSUED;
    t->valid_days = EX_DAYS;
    t->flags = KP1_FLAG_DEMO;
}

START_TEST(test_kp1_example)
{
    struct kp1_token t, d;
    uint8_t body[KP1_BODY_BYTES], want[KP1_SIG_BYTES];
    char text[KP1_TEXT_SIZE], path[1024];
    char *doc;

    example_token(&t);
    ck_assert_int_eq(kp1_encode(&signer_a, &t, text), KP1_TEXT_LEN);
    ck_assert_str_eq(text, EX_TEXT);
    ck_assert_uint_eq(strlen(EX_TEXT), 139);
    kp1_body_pack(&t, body);
    tu_hex(EX_BODY, want, sizeof(want));
    ck_assert_mem_eq(body, want, KP1_BODY_BYTES);
    tu_hex(EX_SIG, want, sizeof(want));
    ck_assert_mem_eq(t.sig, want, KP1_SIG_BYTES);
    ck_assert_int_eq(kp1_verify(EX_TEXT, strlen(EX_TEXT), trust_list_lookup, &trust,
                                EX_ISSUED + 86400, KP1_SKEW_S, &d),
                     0);
    ck_assert_mem_eq(d.serial, t.serial, 12);
    ck_assert_int_eq(d.issued_at, EX_ISSUED);
    ck_assert_int_eq(d.valid_days, EX_DAYS);
    ck_assert_int_eq(d.flags, KP1_FLAG_DEMO);
    ck_assert_int_eq(kp1_expires_at(&d), 1735689600 + 1826 * 86400);

    /* The document shows the same bytes. */
    snprintf(path, sizeof(path), "%s/doc/kp1-token.md", tu_top());
    doc = (char *)tu_read_file(path, NULL);
    ck_assert_msg(doc != NULL, "cannot read %s", path);
    static const char *const shown[] = {EX_PK, EX_ID, EX_BODY, EX_TEXT, "KP1-token"};
    for (size_t i = 0; i < KP_ARRAY_LEN(shown); i++)
        ck_assert_msg(strstr(doc, shown[i]) != NULL, "doc lacks %s", shown[i]);
    /* The signature is shown in two lines of 64 hex digits. */
    ck_assert_ptr_nonnull(
        strstr(doc, "01f564452c11f2f3d85757d306bf9d84d6ac90a788b935069a4051e690956798"));
    ck_assert_ptr_nonnull(
        strstr(doc, "45931fb250d726cc7971202599aea70d02c3f14f50c6cfe225ba3c714953be05"));
    free(doc);
}
END_TEST

START_TEST(test_kp1_roundtrip)
{
    for (int i = 0; i < 200; i++) {
        struct kp1_token t, d;
        char text[KP1_TEXT_SIZE];

        memset(&t, 0, sizeof(t));
        kp1_serial_generate(t.serial);
        t.cnic_last4[0] = (uint8_t)((i % 10) << 4 | (i / 10 % 10));
        t.cnic_last4[1] = 0x99;
        t.issued_at = randombytes_uniform(0x7FFFFFFF);
        t.valid_days = (uint16_t)(1 + randombytes_uniform(65535));
        t.flags = (uint8_t)(i & KP1_FLAGS_KNOWN);
        ck_assert_int_eq(kp1_encode(&signer_a, &t, text), KP1_TEXT_LEN);
        ck_assert_uint_eq(strlen(text), KP1_TEXT_LEN);
        ck_assert_int_eq(
            kp1_verify(text, strlen(text), trust_list_lookup, &trust, t.issued_at, KP1_SKEW_S, &d),
            0);
        ck_assert_int_eq(d.version, 1);
        ck_assert_mem_eq(d.key_id, signer_a.id, 4);
        ck_assert_mem_eq(d.serial, t.serial, 12);
        ck_assert_mem_eq(d.cnic_last4, t.cnic_last4, 2);
        ck_assert_int_eq(d.issued_at, t.issued_at);
        ck_assert_int_eq(d.valid_days, t.valid_days);
        ck_assert_int_eq(d.flags, t.flags);
        ck_assert_mem_eq(d.sig, t.sig, 64);
        /* Never a trailing space: a scanner's line may be trimmed safely. */
        ck_assert_int_ne(text[KP1_TEXT_LEN - 1], ' ');
        /* As a scanner with Caps Lock on types it, with a blank and a Tab and
           CR around it: normalised back to the token, which verifies. */
        char typed[KP1_TEXT_SIZE + 8], back[KP1_TEXT_SIZE];
        int n = snprintf(typed, sizeof(typed), " %s\t\r", text);
        for (int k = 0; k < n; k++)
            if (typed[k] >= 'A' && typed[k] <= 'Z')
                typed[k] = (char)(typed[k] - 'A' + 'a');
        ck_assert_int_ne(
            kp1_verify(typed, (size_t)n, trust_list_lookup, &trust, t.issued_at, KP1_SKEW_S, &d),
            0);
        ck_assert_int_eq(kp1_text_normalise(typed, (size_t)n, back, sizeof(back)), KP1_TEXT_LEN);
        ck_assert_str_eq(back, text);
    }
}
END_TEST

/* Scanner input made canonical, and what stays as it is. */
START_TEST(test_kp1_normalise)
{
    static const struct {
        const char *in, *out;
        int rc;
    } cases[] = {
        {"KP1:ABC", "KP1:ABC", 7},
        {"kp1:abc", "KP1:ABC", 7},                /* Caps Lock: letters inverted */
        {"kP1:aBc", "KP1:ABC", 7},                /* Shift and Caps Lock mixed */
        {"  KP1:A B\t\r\n", "KP1:A B", 7},        /* blanks inside stay */
        {"\t\tKP1:$%*+-./:", "KP1:$%*+-./:", 12}, /* symbols untouched */
        {" \t\r\n", "", 0},
        {"", "", 0},
        {"KP1:ABCDEFGHIJKL", NULL, -KP_ERR_TOOLONG},
    };
    char out[16];

    for (size_t i = 0; i < KP_ARRAY_LEN(cases); i++) {
        int rc = kp1_text_normalise(cases[i].in, strlen(cases[i].in), out, sizeof(out));
        ck_assert_msg(rc == cases[i].rc, "case %zu: %d", i, rc);
        if (rc >= 0)
            ck_assert_str_eq(out, cases[i].out);
    }
}
END_TEST

/* Base45 text for raw (90 octets) with the KP1 prefix. */
static void text_of(const uint8_t *raw, char text[KP1_TEXT_SIZE])
{
    memcpy(text, KP1_PREFIX, 4);
    ck_assert_int_eq(base45_encode(raw, KP1_RAW_BYTES, text + 4, KP1_TEXT_SIZE - 4), KP1_B45_LEN);
}

START_TEST(test_kp1_bitflips)
{
    uint8_t raw[KP1_RAW_BYTES];
    char text[KP1_TEXT_SIZE];
    struct kp1_token d;
    int seen[64] = {0};

    ck_assert_int_eq(base45_decode(EX_TEXT + 4, KP1_B45_LEN, raw, sizeof(raw), NULL), 90);
    for (int bit = 0; bit < KP1_RAW_BYTES * 8; bit++) {
        raw[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        text_of(raw, text);
        int rc =
            kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d);
        ck_assert_msg(rc < 0, "bit %d flipped and still valid", bit);
        seen[(-rc) % 64] = 1;
        raw[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    /* Refused for the right reasons: version, fields, key id, signature. */
    ck_assert_int_eq(seen[KP_ERR_UNSUPPORTED % 64], 1);
    ck_assert_int_eq(seen[KP_ERR_INVAL % 64], 1);
    ck_assert_int_eq(seen[KP_ERR_NOTFOUND % 64], 1);
    ck_assert_int_eq(seen[KP_ERR_CRYPTO % 64], 1);
    text_of(raw, text);
    ck_assert_str_eq(text, EX_TEXT);
}
END_TEST

START_TEST(test_kp1_charflips)
{
    char text[KP1_TEXT_SIZE];
    struct kp1_token d;
    int n = 0;

    /* Every other octet value at every position (high-bit octets too). */
    memcpy(text, EX_TEXT, sizeof(text));
    for (int pos = 0; pos < KP1_TEXT_LEN; pos++) {
        for (int c = 0; c < 256; c++) {
            if (c == (unsigned char)EX_TEXT[pos])
                continue;
            text[pos] = (char)c;
            ck_assert_msg(kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED,
                                     KP1_SKEW_S, &d) < 0,
                          "0x%02x at %d accepted", c, pos);
            n++;
        }
        text[pos] = EX_TEXT[pos];
    }
    ck_assert_int_eq(n, 139 * 255);
}
END_TEST

START_TEST(test_kp1_truncated)
{
    struct kp1_token d;

    for (size_t len = 0; len < KP1_TEXT_LEN; len++) {
        int rc = kp1_verify(EX_TEXT, len, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d);
        ck_assert_int_eq(rc, len < 4 ? -KP_ERR_PARSE : -KP_ERR_TRUNC);
        ck_assert_int_eq(kp1_decode(EX_TEXT, len, &d), rc);
    }
}
END_TEST

static const struct {
    const char *before, *after; /* around the example's Base45 */
    int rc;
} kp1_texts[] = {
    {"KP1:", "", 0},
    {"kp1:", "", -KP_ERR_PARSE},
    {"Kp1:", "", -KP_ERR_PARSE},
    {"KP2:", "", -KP_ERR_PARSE},
    {"KP1-", "", -KP_ERR_PARSE},
    {" KP1:", "", -KP_ERR_PARSE},
    {"KPR1:", "", -KP_ERR_PARSE},
    {"", "", -KP_ERR_PARSE},
    {"KP1:", "0", -KP_ERR_TOOLONG},
    {"KP1:", "00", -KP_ERR_TOOLONG},
    {"KP1:", " ", -KP_ERR_TOOLONG},
    {"KP1:", "\n", -KP_ERR_TOOLONG},
    {"KP1:", "KP1:", -KP_ERR_TOOLONG},
    {"KP1:0", "", -KP_ERR_TOOLONG},
};

START_TEST(test_kp1_texts)
{
    char text[512];
    struct kp1_token d;

    snprintf(text, sizeof(text), "%s%s%s", kp1_texts[_i].before, EX_TEXT + 4, kp1_texts[_i].after);
    ck_assert_int_eq(
        kp1_verify(text, strlen(text), trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d),
        kp1_texts[_i].rc);
    ck_assert_ptr_nonnull(kp1_strerror(kp1_texts[_i].rc));
}
END_TEST

/* A token with chosen body octets, signed by s (tag given). */
static void forge(const struct keys_signer *s, const char *tag, size_t taglen,
                  const uint8_t body[KP1_BODY_BYTES], char text[KP1_TEXT_SIZE])
{
    uint8_t raw[KP1_RAW_BYTES];

    memcpy(raw, body, KP1_BODY_BYTES);
    ck_assert_int_eq(keys_signer_sign(s, tag, taglen, body, KP1_BODY_BYTES, raw + KP1_BODY_BYTES),
                     0);
    text_of(raw, text);
}

static const struct {
    int off;
    uint8_t value;
    int rc;
} kp1_fields[] = {
    {0, 0, -KP_ERR_UNSUPPORTED},
    {0, 2, -KP_ERR_UNSUPPORTED},
    {0, 0xFF, -KP_ERR_UNSUPPORTED},
    {17, 0x5A, -KP_ERR_INVAL},
    {18, 0xA1, -KP_ERR_INVAL},
    {25, 0x02, -KP_ERR_INVAL},
    {25, 0x80, -KP_ERR_INVAL},
    {25, 0x00, 0},
    {17, 0x99, 0},
    {24, 0x00, 0}, /* 0x0700 days: still valid */
};

START_TEST(test_kp1_fields)
{
    uint8_t body[KP1_BODY_BYTES];
    char text[KP1_TEXT_SIZE];
    struct kp1_token d;

    /* Properly signed, so only the field rule can refuse it. */
    tu_hex(EX_BODY, body, sizeof(body));
    body[kp1_fields[_i].off] = kp1_fields[_i].value;
    forge(&signer_a, KP1_TAG, KP1_TAG_LEN, body, text);
    ck_assert_int_eq(
        kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d),
        kp1_fields[_i].rc);
}
END_TEST

START_TEST(test_kp1_zero_days)
{
    uint8_t body[KP1_BODY_BYTES];
    char text[KP1_TEXT_SIZE];
    struct kp1_token d;

    tu_hex(EX_BODY, body, sizeof(body));
    body[23] = body[24] = 0;
    forge(&signer_a, KP1_TAG, KP1_TAG_LEN, body, text);
    ck_assert_int_eq(kp1_decode(text, KP1_TEXT_LEN, &d), -KP_ERR_INVAL);
}
END_TEST

static int lookup_wrong(void *ctx, const uint8_t id[TRUST_ID_BYTES], uint8_t pk[TRUST_PK_BYTES])
{
    (void)id;
    memcpy(pk, ((const struct keys_signer *)ctx)->pk, TRUST_PK_BYTES);
    return 0;
}

START_TEST(test_kp1_keys)
{
    struct trust_list only_b = TRUST_LIST_INIT;
    struct kp1_token t, d;
    uint8_t body[KP1_BODY_BYTES];
    char text[KP1_TEXT_SIZE];

    /* Unknown key id. */
    ck_assert_int_eq(keys_signer_trust(&signer_b, TRUST_ACTIVE, &only_b), 0);
    ck_assert_int_eq(
        kp1_verify(EX_TEXT, KP1_TEXT_LEN, trust_list_lookup, &only_b, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_NOTFOUND);
    trust_list_free(&only_b);
    /* A retired key. */
    example_token(&t);
    ck_assert_int_eq(kp1_encode(&signer_b, &t, text), KP1_TEXT_LEN);
    ck_assert_int_eq(
        kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_DENIED);
    /* The key id says A, the lookup hands out B's key: the signature fails. */
    ck_assert_int_eq(
        kp1_verify(EX_TEXT, KP1_TEXT_LEN, lookup_wrong, &signer_b, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_CRYPTO);
    /* B signs a body naming A's key id. */
    tu_hex(EX_BODY, body, sizeof(body));
    forge(&signer_b, KP1_TAG, KP1_TAG_LEN, body, text);
    ck_assert_int_eq(
        kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_CRYPTO);
    /* A's signature under another domain tag (a receipt's, or none). */
    forge(&signer_a, RECEIPT_TAG, RECEIPT_TAG_LEN, body, text);
    ck_assert_int_eq(
        kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_CRYPTO);
    forge(&signer_a, "", 0, body, text);
    ck_assert_int_eq(
        kp1_verify(text, KP1_TEXT_LEN, trust_list_lookup, &trust, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_CRYPTO);
    forge(&signer_a, KP1_TAG, KP1_TAG_LEN, body, text);
    ck_assert_str_eq(text, EX_TEXT);
}
END_TEST

static const struct {
    int64_t now;
    uint32_t skew;
    int rc;
} kp1_times[] = {
    {EX_ISSUED - 301, KP1_SKEW_S, -KP_ERR_RANGE},
    {EX_ISSUED - 300, KP1_SKEW_S, 0},
    {EX_ISSUED - 1, 0, -KP_ERR_RANGE},
    {EX_ISSUED, 0, 0},
    {0, KP1_SKEW_S, -KP_ERR_RANGE},
    {EX_ISSUED + (int64_t)EX_DAYS * 86400 - 1, KP1_SKEW_S, 0},
    {EX_ISSUED + (int64_t)EX_DAYS * 86400, KP1_SKEW_S, -KP_ERR_EXPIRED},
    {INT64_MAX / 2, KP1_SKEW_S, -KP_ERR_EXPIRED},
};

START_TEST(test_kp1_times)
{
    struct kp1_token d;

    ck_assert_int_eq(kp1_verify(EX_TEXT, KP1_TEXT_LEN, trust_list_lookup, &trust, kp1_times[_i].now,
                                kp1_times[_i].skew, &d),
                     kp1_times[_i].rc);
}
END_TEST

START_TEST(test_kp1_encode_errors)
{
    struct kp1_token t;
    struct keys_signer none;
    char text[KP1_TEXT_SIZE];

    example_token(&t);
    t.cnic_last4[1] = 0x7A;
    ck_assert_int_eq(kp1_encode(&signer_a, &t, text), -KP_ERR_INVAL);
    example_token(&t);
    t.valid_days = 0;
    ck_assert_int_eq(kp1_encode(&signer_a, &t, text), -KP_ERR_INVAL);
    example_token(&t);
    t.flags = 0x04;
    ck_assert_int_eq(kp1_encode(&signer_a, &t, text), -KP_ERR_INVAL);
    example_token(&t);
    memset(&none, 0, sizeof(none));
    ck_assert_int_eq(kp1_encode(&none, &t, text), -KP_ERR_STATE);
}
END_TEST

/* End to end with a key folder: issue, rotate (old tokens still verify), retire. */
START_TEST(test_kp1_key_folder)
{
    char *top = tu_tmpdir("kp1"), dir[512], old_text[KP1_TEXT_SIZE], new_text[KP1_TEXT_SIZE];
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", top, NULL};
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    struct kp1_token t, d;
    uint8_t old_id[TRUST_ID_BYTES];

    snprintf(dir, sizeof(dir), "%s/keys", top);
    ck_assert_int_eq(keys_dir_init(dir, EX_ISSUED, &err),
                     6); /* otp cnic partner audit keys, a signing key, the trust list */
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    example_token(&t);
    ck_assert_int_eq(kp1_encode(keys_ring_signer(ring), &t, old_text), KP1_TEXT_LEN);
    memcpy(old_id, t.key_id, 4);
    ck_assert_int_eq(
        kp1_verify(old_text, KP1_TEXT_LEN, keys_ring_lookup, ring, EX_ISSUED, KP1_SKEW_S, &d), 0);
    keys_ring_free(ring);

    ck_assert_int_eq(keys_dir_rotate(dir, EX_ISSUED + 10, NULL, &err), 0);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    ck_assert_int_eq(kp1_encode(keys_ring_signer(ring), &t, new_text), KP1_TEXT_LEN);
    ck_assert_int_ne(memcmp(t.key_id, old_id, 4), 0);
    ck_assert_int_eq(
        kp1_verify(old_text, KP1_TEXT_LEN, keys_ring_lookup, ring, EX_ISSUED, KP1_SKEW_S, &d), 0);
    ck_assert_int_eq(
        kp1_verify(new_text, KP1_TEXT_LEN, keys_ring_lookup, ring, EX_ISSUED, KP1_SKEW_S, &d), 0);
    keys_ring_free(ring);

    ck_assert_int_eq(keys_dir_retire(dir, old_id, &err), 0);
    ck_assert_int_eq(keys_ring_open(dir, 0, &ring, &err), 0);
    ck_assert_int_eq(
        kp1_verify(old_text, KP1_TEXT_LEN, keys_ring_lookup, ring, EX_ISSUED, KP1_SKEW_S, &d),
        -KP_ERR_DENIED);
    ck_assert_int_eq(
        kp1_verify(new_text, KP1_TEXT_LEN, keys_ring_lookup, ring, EX_ISSUED, KP1_SKEW_S, &d), 0);
    keys_ring_free(ring);
    kp_buf_free(&err);
    tu_run(argv, NULL, NULL, 10000);
    free(top);
}
END_TEST

Suite *suite_kp1(void)
{
    Suite *s = suite_create("kp1");
    TCase *tc = tcase_create("token");

    if (sodium_init() < 0)
        return s;
    tcase_add_checked_fixture(tc, kp1_setup, kp1_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kp1_example);
    tcase_add_test(tc, test_kp1_roundtrip);
    tcase_add_test(tc, test_kp1_normalise);
    tcase_add_test(tc, test_kp1_bitflips);
    tcase_add_test(tc, test_kp1_charflips);
    tcase_add_test(tc, test_kp1_truncated);
    tcase_add_loop_test(tc, test_kp1_texts, 0, (int)KP_ARRAY_LEN(kp1_texts));
    tcase_add_loop_test(tc, test_kp1_fields, 0, (int)KP_ARRAY_LEN(kp1_fields));
    tcase_add_test(tc, test_kp1_zero_days);
    tcase_add_test(tc, test_kp1_keys);
    tcase_add_loop_test(tc, test_kp1_times, 0, (int)KP_ARRAY_LEN(kp1_times));
    tcase_add_test(tc, test_kp1_encode_errors);
    tcase_add_test(tc, test_kp1_key_folder);
    suite_add_tcase(s, tc);
    return s;
}
