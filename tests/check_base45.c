/* SPDX-License-Identifier: ISC */
/*
 * Base45 (RFC 9285): every example of the RFC, the decoding errors of
 * RFC 9285 §4.2/§6 with their exact error values, boundary values of pairs
 * and triplets, round trips of random data, and short output buffers.
 */
#include <check.h>
#include <sodium.h>
#include <string.h>

#include "kpass/id/base45.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "testutil.h"

/* RFC 9285 §4.3 and §4.4 examples, and edge values of pairs and triplets. */
static const struct {
    const char *raw; /* hex */
    const char *text;
} b45_good[] = {
    {"4142", "BB8"},                   /* "AB", RFC 9285 §4.3 */
    {"48656c6c6f2121", "%69 VD92EX0"}, /* "Hello!!", §4.3 */
    {"626173652d3435", "UJCLQE7W581"}, /* "base-45", §4.3 */
    {"6965746621", "QED8WEX0"},        /* "ietf!", §4.4 */
    {"", ""},
    {"00", "00"},
    {"ff", "U5"}, /* 255 = 30 + 5*45: the largest pair */
    {"0000", "000"},
    {"ffff", "FGW"}, /* 65535 = 15 + 16*45 + 32*2025 */
    {"ffffff", "FGWU5"},
    {"0100", "V50"}, /* 256 = 31 + 5*45 */
};

START_TEST(test_b45_good)
{
    uint8_t raw[32], dec[32];
    char enc[64];
    int n = tu_hex(b45_good[_i].raw, raw, sizeof(raw));
    size_t tl = strlen(b45_good[_i].text);

    ck_assert_int_ge(n, 0);
    ck_assert_int_eq(base45_encode(raw, (size_t)n, enc, sizeof(enc)), (int)tl);
    ck_assert_str_eq(enc, b45_good[_i].text);
    ck_assert_uint_eq(base45_encoded_len((size_t)n), tl);
    ck_assert_uint_eq(base45_decoded_len(tl), (size_t)n);
    ck_assert_int_eq(base45_decode(b45_good[_i].text, tl, dec, sizeof(dec), NULL), n);
    ck_assert_mem_eq(dec, raw, (size_t)n);
}
END_TEST

static const struct {
    const char *text;
    int rc;
    size_t pos;
} b45_bad[] = {
    {"GGW", -KP_ERR_RANGE, 0}, /* 65536: RFC 9285 §4.2 */
    {"ZZZ", -KP_ERR_RANGE, 0}, /* 35 + 35*45 + 35*2025 */
    {"000GGW", -KP_ERR_RANGE, 3},
    {"V5", -KP_ERR_RANGE, 0}, /* 256 in a final pair */
    {"::", -KP_ERR_RANGE, 0}, /* 44 + 44*45 */
    {"000V5", -KP_ERR_RANGE, 3},
    {"0", -KP_ERR_TRUNC, 0}, /* a lone trailing character */
    {"BB8B", -KP_ERR_TRUNC, 3},
    {"bb8", -KP_ERR_ENCODING, 0}, /* lower case is not in the alphabet */
    {"BB8b", -KP_ERR_ENCODING, 3},
    {"BB#", -KP_ERR_ENCODING, 2},
    {"BB=", -KP_ERR_ENCODING, 2},
    {"BB\n", -KP_ERR_ENCODING, 2},
    {"B,B", -KP_ERR_ENCODING, 1},
    {"%69 VD92EX0_", -KP_ERR_ENCODING, 11},
};

START_TEST(test_b45_bad)
{
    uint8_t out[32];
    size_t pos = 999;
    const char *t = b45_bad[_i].text;

    ck_assert_int_eq(base45_decode(t, strlen(t), out, sizeof(out), &pos), b45_bad[_i].rc);
    ck_assert_uint_eq(pos, b45_bad[_i].pos);
    ck_assert_int_eq(base45_decode(t, strlen(t), out, sizeof(out), NULL), b45_bad[_i].rc);
}
END_TEST

START_TEST(test_b45_nul)
{
    static const char t[] = {'B', 'B', '\0', '8'};
    uint8_t out[8];

    /* Length-delimited input: an embedded NUL is a bad character, not an end. */
    ck_assert_int_eq(base45_decode(t, sizeof(t), out, sizeof(out), NULL), -KP_ERR_ENCODING);
}
END_TEST

START_TEST(test_b45_roundtrip)
{
    uint8_t raw[200], dec[200];
    char enc[301];

    for (size_t n = 0; n <= sizeof(raw); n++) {
        randombytes_buf(raw, n);
        ck_assert_int_eq(base45_encode(raw, n, enc, sizeof(enc)), (int)base45_encoded_len(n));
        ck_assert_int_eq(base45_decode(enc, strlen(enc), dec, sizeof(dec), NULL), (int)n);
        ck_assert_mem_eq(dec, raw, n);
        /* Every character of the output is in the alphabet, and never a
           trailing space (the last of a triplet is at most 'W'). */
        ck_assert_uint_eq(strspn(enc, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"),
                          strlen(enc));
        if (n > 0)
            ck_assert_int_ne(enc[strlen(enc) - 1], ' ');
    }
}
END_TEST

START_TEST(test_b45_small_buffers)
{
    uint8_t out[7];
    char enc[12];

    /* "Hello!!" needs 11 characters and a NUL. */
    ck_assert_int_eq(base45_encode((const uint8_t *)"Hello!!", 7, enc, 11), -KP_ERR_TOOLONG);
    ck_assert_int_eq(base45_encode((const uint8_t *)"Hello!!", 7, enc, 12), 11);
    ck_assert_int_eq(base45_decode("%69 VD92EX0", 11, out, 6, NULL), -KP_ERR_TOOLONG);
    ck_assert_int_eq(base45_decode("%69 VD92EX0", 11, out, 7, NULL), 7);
    ck_assert_int_eq(base45_decode("", 0, NULL, 0, NULL), 0);
}
END_TEST

Suite *suite_base45(void)
{
    Suite *s = suite_create("base45");
    TCase *tc = tcase_create("rfc9285");

    if (sodium_init() < 0)
        return s;
    tcase_add_loop_test(tc, test_b45_good, 0, (int)KP_ARRAY_LEN(b45_good));
    tcase_add_loop_test(tc, test_b45_bad, 0, (int)KP_ARRAY_LEN(b45_bad));
    tcase_add_test(tc, test_b45_nul);
    tcase_add_test(tc, test_b45_roundtrip);
    tcase_add_test(tc, test_b45_small_buffers);
    suite_add_tcase(s, tc);
    return s;
}
