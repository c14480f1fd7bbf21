/* SPDX-License-Identifier: ISC */
/*
 * CNIC: a table of accepted and refused forms with the exact fault, the
 * display and mask forms, the BCD last-4 field, and the keyed index
 * against vectors computed independently (Python hashlib.blake2b).
 */
#include <check.h>
#include <sodium.h>
#include <string.h>

#include "kpass/id/cnic.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "testutil.h"

static const struct {
    const char *in;
    const char *norm; /* NULL: refused */
    enum cnic_fault fault;
} cnic_cases[] = {
    {"35202-1234567-1", "3520212345671", CNIC_FAULT_NONE},
    {"3520212345671", "3520212345671", CNIC_FAULT_NONE},
    {"  35202-1234567-1 ", "3520212345671", CNIC_FAULT_NONE},
    {"\t3520212345671\t", "3520212345671", CNIC_FAULT_NONE},
    {"17301-7654321-9", "1730176543219", CNIC_FAULT_NONE},
    {"71234-0000000-0", "7123400000000", CNIC_FAULT_NONE},
    {"", NULL, CNIC_FAULT_EMPTY},
    {"   ", NULL, CNIC_FAULT_EMPTY},
    {"352021234567", NULL, CNIC_FAULT_SHORT},
    {"35202-123456-1", NULL, CNIC_FAULT_SHORT},
    {"35202123456712", NULL, CNIC_FAULT_LONG},
    {"35202-1234567-12", NULL, CNIC_FAULT_LONG},
    {"35202-12345671", NULL, CNIC_FAULT_DASH},
    {"352021234567-1", NULL, CNIC_FAULT_DASH},
    {"3520-21234567-1", NULL, CNIC_FAULT_DASH},
    {"35202--1234567-1", NULL, CNIC_FAULT_DASH},
    {"-35202-1234567-1", NULL, CNIC_FAULT_DASH},
    {"35202-1234567-1-", NULL, CNIC_FAULT_DASH},
    {"35202-I234567-1", NULL, CNIC_FAULT_CHAR},
    {"35202-1234567-X", NULL, CNIC_FAULT_CHAR},
    {"35202 1234567 1", NULL, CNIC_FAULT_CHAR},
    {"35202.1234567.1", NULL, CNIC_FAULT_CHAR},
    {"cnic", NULL, CNIC_FAULT_CHAR},
    {"05202-1234567-1", NULL, CNIC_FAULT_REGION},
    {"85202-1234567-1", NULL, CNIC_FAULT_REGION},
    {"9520212345671", NULL, CNIC_FAULT_REGION},
};

START_TEST(test_cnic_parse)
{
    char out[CNIC_SIZE];
    enum cnic_fault fault = (enum cnic_fault) - 1;
    const char *in = cnic_cases[_i].in;
    int rc = cnic_parse(in, strlen(in), out, &fault);

    if (cnic_cases[_i].norm != NULL) {
        ck_assert_msg(rc == 0, "'%s' refused: %s", in, cnic_fault_text(fault));
        ck_assert_str_eq(out, cnic_cases[_i].norm);
        ck_assert_int_eq(cnic_is_normal(out), 1);
    } else {
        ck_assert_msg(rc == -KP_ERR_PARSE, "'%s' accepted", in);
    }
    ck_assert_int_eq(fault, cnic_cases[_i].fault);
    ck_assert_ptr_nonnull(cnic_fault_text(fault));
    /* The fault pointer is optional. */
    ck_assert_int_eq(cnic_parse(in, strlen(in), out, NULL), rc);
}
END_TEST

START_TEST(test_cnic_parse_len)
{
    char out[CNIC_SIZE];

    /* The length bounds the input: no reading past it, no NUL needed. */
    ck_assert_int_eq(cnic_parse("3520212345671999", 13, out, NULL), 0);
    ck_assert_str_eq(out, "3520212345671");
    ck_assert_int_eq(cnic_parse("3520212345671", 12, out, NULL), -KP_ERR_PARSE);
}
END_TEST

static const struct {
    const char *cnic;
    const char *text; /* NULL: refused */
    const char *mask;
    const char *last4;
    uint8_t bcd[2];
} cnic_forms[] = {
    {"3520212345671", "35202-1234567-1", "*****-****567-1", "5671", {0x56, 0x71}},
    {"1730176543219", "17301-7654321-9", "*****-****321-9", "3219", {0x32, 0x19}},
    {"7123400000000", "71234-0000000-0", "*****-****000-0", "0000", {0x00, 0x00}},
    {"352021234567", NULL, NULL, NULL, {0, 0}},
    {"35202123456711", NULL, NULL, NULL, {0, 0}},
    {"35202-1234567-1", NULL, NULL, NULL, {0, 0}},
    {"0520212345671", NULL, NULL, NULL, {0, 0}},
    {"", NULL, NULL, NULL, {0, 0}},
};

START_TEST(test_cnic_forms)
{
    char text[CNIC_TEXT_SIZE], mask[CNIC_TEXT_SIZE], l4[5];
    uint8_t bcd[2];
    const char *c = cnic_forms[_i].cnic;

    if (cnic_forms[_i].text == NULL) {
        ck_assert_int_eq(cnic_is_normal(c), 0);
        ck_assert_int_eq(cnic_format(c, text), -KP_ERR_INVAL);
        ck_assert_int_eq(cnic_mask(c, mask), -KP_ERR_INVAL);
        ck_assert_int_eq(cnic_mask_short(c, mask), -KP_ERR_INVAL);
        ck_assert_int_eq(cnic_last4_bcd(c, bcd), -KP_ERR_INVAL);
        return;
    }
    ck_assert_int_eq(cnic_format(c, text), 0);
    ck_assert_str_eq(text, cnic_forms[_i].text);
    ck_assert_int_eq(cnic_mask(c, mask), 0);
    ck_assert_str_eq(mask, cnic_forms[_i].mask);
    /* Never more than the last 4 digits visible. */
    ck_assert_uint_eq(strspn(mask, "*-"), 10);
    /* The short form: the last 2 digits, in their places. */
    ck_assert_int_eq(cnic_mask_short(c, mask), 0);
    ck_assert_uint_eq(strspn(mask, "*-"), 12);
    ck_assert_int_eq(mask[12], text[12]);
    ck_assert_int_eq(mask[14], text[14]);
    ck_assert_int_eq(cnic_last4_bcd(c, bcd), 0);
    ck_assert_mem_eq(bcd, cnic_forms[_i].bcd, 2);
    ck_assert_int_eq(cnic_last4_text(bcd, l4), 0);
    ck_assert_str_eq(l4, cnic_forms[_i].last4);
    memset(bcd, 0xAA, 2);
    ck_assert_int_eq(cnic_last4_parse(cnic_forms[_i].last4, 4, bcd), 0);
    ck_assert_mem_eq(bcd, cnic_forms[_i].bcd, 2);
}
END_TEST

START_TEST(test_cnic_last4_bad)
{
    static const uint8_t bad[][2] = {{0x5A, 0x71}, {0xA5, 0x71}, {0x56, 0x7F}, {0x56, 0xF1}};
    static const char *const badtext[] = {"567", "56712", "56a1", "56 1", "-567"};
    uint8_t bcd[2];
    char l4[5];

    for (size_t i = 0; i < KP_ARRAY_LEN(bad); i++)
        ck_assert_int_eq(cnic_last4_text(bad[i], l4), -KP_ERR_PARSE);
    for (size_t i = 0; i < KP_ARRAY_LEN(badtext); i++)
        ck_assert_int_eq(cnic_last4_parse(badtext[i], strlen(badtext[i]), bcd), -KP_ERR_PARSE);
}
END_TEST

START_TEST(test_cnic_index)
{
    uint8_t key[CNIC_KEY_BYTES], raw[CNIC_INDEX_BYTES], unkeyed[32];
    char hex[CNIC_INDEX_HEX];

    for (int i = 0; i < CNIC_KEY_BYTES; i++)
        key[i] = (uint8_t)i;
    /* Vectors from Python: hashlib.blake2b(cnic, key=key, digest_size=32). */
    ck_assert_int_eq(cnic_index_hex("3520212345671", key, hex), 0);
    ck_assert_str_eq(hex, "85e1aeaa5d29b918feb2c5a15c4f857c47378b6f94d936abfc011d64b30fa27f");
    ck_assert_int_eq(cnic_index("3520212345671", key, raw), 0);
    ck_assert_int_eq(raw[0], 0x85);
    memset(key, 0xFF, sizeof(key));
    ck_assert_int_eq(cnic_index_hex("3520212345671", key, hex), 0);
    ck_assert_str_eq(hex, "fd1b4233c2bca9e30c78537a57d67e9d5b252cb4600d151c5bce65a8ef67607c");
    /* Not the unkeyed hash (which anyone could brute-force). */
    crypto_generichash(unkeyed, sizeof(unkeyed), (const uint8_t *)"3520212345671", 13, NULL, 0);
    ck_assert_int_ne(memcmp(unkeyed, raw, 32), 0);
    /* Only normalised input. */
    ck_assert_int_eq(cnic_index_hex("35202-1234567-1", key, hex), -KP_ERR_INVAL);
    ck_assert_int_eq(cnic_index("352021234567", key, raw), -KP_ERR_INVAL);
}
END_TEST

Suite *suite_cnic(void)
{
    Suite *s = suite_create("cnic");
    TCase *tc = tcase_create("cnic");

    if (sodium_init() < 0)
        return s;
    tcase_add_loop_test(tc, test_cnic_parse, 0, (int)KP_ARRAY_LEN(cnic_cases));
    tcase_add_test(tc, test_cnic_parse_len);
    tcase_add_loop_test(tc, test_cnic_forms, 0, (int)KP_ARRAY_LEN(cnic_forms));
    tcase_add_test(tc, test_cnic_last4_bad);
    tcase_add_test(tc, test_cnic_index);
    suite_add_tcase(s, tc);
    return s;
}
