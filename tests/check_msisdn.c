/* SPDX-License-Identifier: ISC */
/*
 * MSISDN: a table of the forms people write (accepted to E.164, or refused
 * with the exact fault), masks, and SMPP address conversion by TON/NPI
 * (SMPP 3.4 §5.2.5, §5.2.6).
 */
#include <check.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "testutil.h"

static const struct {
    const char *in;
    const char *e164; /* NULL: refused */
    enum msisdn_fault fault;
} msisdn_cases[] = {
    {"03001234567", "+923001234567", MSISDN_FAULT_NONE},
    {"923001234567", "+923001234567", MSISDN_FAULT_NONE},
    {"+923001234567", "+923001234567", MSISDN_FAULT_NONE},
    {"+92 300 1234567", "+923001234567", MSISDN_FAULT_NONE},
    {"0092 300-1234567", "+923001234567", MSISDN_FAULT_NONE},
    {"3001234567", "+923001234567", MSISDN_FAULT_NONE},
    {" 0345-6789012\t", "+923456789012", MSISDN_FAULT_NONE},
    {"0300-123-4567", "+923001234567", MSISDN_FAULT_NONE},
    {"+447700900123", "+447700900123", MSISDN_FAULT_NONE},
    {"+44 7700 900123", "+447700900123", MSISDN_FAULT_NONE},
    {"+12025550123", "+12025550123", MSISDN_FAULT_NONE},
    {"+97150123", "+97150123", MSISDN_FAULT_NONE},               /* 8 digits: the shortest */
    {"+861234567890123", "+861234567890123", MSISDN_FAULT_NONE}, /* 15 digits: the longest */
    {"", NULL, MSISDN_FAULT_EMPTY},
    {"  ", NULL, MSISDN_FAULT_EMPTY},
    {"0300123456", NULL, MSISDN_FAULT_SHORT},
    {"030012345678", NULL, MSISDN_FAULT_LONG},
    {"+92300123456", NULL, MSISDN_FAULT_SHORT},
    {"+9230012345678", NULL, MSISDN_FAULT_LONG},
    {"+92", NULL, MSISDN_FAULT_SHORT},
    {"+", NULL, MSISDN_FAULT_SHORT},
    {"0", NULL, MSISDN_FAULT_SHORT},
    {"300123456", NULL, MSISDN_FAULT_SHORT},
    {"0511234567", NULL, MSISDN_FAULT_NOT_MOBILE}, /* Islamabad landline */
    {"+92511234567", NULL, MSISDN_FAULT_NOT_MOBILE},
    {"92511234567", NULL, MSISDN_FAULT_NOT_MOBILE},
    {"5112345678", NULL, MSISDN_FAULT_NOT_MOBILE},
    {"447700900123", NULL, MSISDN_FAULT_NOT_MOBILE}, /* foreign without '+' */
    {"00447700900123", NULL, MSISDN_FAULT_COUNTRY},  /* foreign with 00: write +44 */
    {"+0447700900123", NULL, MSISDN_FAULT_COUNTRY},
    {"+4477009", NULL, MSISDN_FAULT_SHORT},         /* 7 digits */
    {"+4477009001234567", NULL, MSISDN_FAULT_LONG}, /* 16 digits */
    {"0300123456789012345678", NULL, MSISDN_FAULT_LONG},
    {"0300l234567", NULL, MSISDN_FAULT_CHAR},
    {"0300.1234567", NULL, MSISDN_FAULT_CHAR},
    {"(0300) 1234567", NULL, MSISDN_FAULT_CHAR},
    {"92+3001234567", NULL, MSISDN_FAULT_CHAR},
    {"++923001234567", NULL, MSISDN_FAULT_CHAR},
    {"+ 923001234567", NULL, MSISDN_FAULT_SEPARATOR},
    {"0300  1234567", NULL, MSISDN_FAULT_SEPARATOR},
    {"0300 -1234567", NULL, MSISDN_FAULT_SEPARATOR},
    {"-03001234567", NULL, MSISDN_FAULT_SEPARATOR},
    {"03001234567-", NULL, MSISDN_FAULT_SEPARATOR},
    {"---", NULL, MSISDN_FAULT_SEPARATOR},
};

START_TEST(test_msisdn_parse)
{
    char out[MSISDN_SIZE];
    enum msisdn_fault fault = (enum msisdn_fault) - 1;
    const char *in = msisdn_cases[_i].in;
    int rc = msisdn_parse(in, strlen(in), out, &fault);

    if (msisdn_cases[_i].e164 != NULL) {
        ck_assert_msg(rc == 0, "'%s' refused: %s", in, msisdn_fault_text(fault));
        ck_assert_str_eq(out, msisdn_cases[_i].e164);
        ck_assert_int_eq(msisdn_is_e164(out), 1);
    } else {
        ck_assert_msg(rc == -KP_ERR_PARSE, "'%s' accepted as %s", in, out);
    }
    ck_assert_msg(fault == msisdn_cases[_i].fault, "'%s': fault %d (%s), expected %d", in, fault,
                  msisdn_fault_text(fault), msisdn_cases[_i].fault);
    ck_assert_int_eq(msisdn_parse(in, strlen(in), out, NULL), rc);
}
END_TEST

static const struct {
    const char *e164;
    const char *mask; /* NULL: refused */
    int pk;
} msisdn_masks[] = {
    {"+923001234567", "+92300****567", 1},
    {"+923456789012", "+92345****012", 1},
    {"+447700900123", "+44770****123", 0},
    {"+12025550123", "+1202****123", 0}, /* 11 digits: 4 kept, 4 hidden */
    {"+97150123", "+9****123", 0},       /* 8 digits: at least 4 still hidden */
    {"+861234567890123", "+86123*******123", 0},
    {"03001234567", NULL, 0},
    {"+92300123456a", NULL, 0},
    {"+0923001234567", NULL, 0},
    {"+9230", NULL, 0},
    {"", NULL, 0},
};

START_TEST(test_msisdn_mask)
{
    char out[MSISDN_SIZE];
    const char *e = msisdn_masks[_i].e164;

    ck_assert_int_eq(msisdn_is_pakistani(e), msisdn_masks[_i].pk);
    if (msisdn_masks[_i].mask == NULL) {
        ck_assert_int_eq(msisdn_is_e164(e), 0);
        ck_assert_int_eq(msisdn_mask(e, out), -KP_ERR_INVAL);
        return;
    }
    ck_assert_int_eq(msisdn_mask(e, out), 0);
    ck_assert_str_eq(out, msisdn_masks[_i].mask);
    ck_assert_ptr_nonnull(strstr(out, "****"));
}
END_TEST

static const struct {
    uint8_t ton, npi;
    const char *addr;
    const char *e164; /* NULL: refused */
    enum msisdn_fault fault;
} smpp_cases[] = {
    {1, 1, "923001234567", "+923001234567", MSISDN_FAULT_NONE},
    {1, 1, "+923001234567", "+923001234567", MSISDN_FAULT_NONE},
    {1, 0, "923001234567", "+923001234567", MSISDN_FAULT_NONE},
    {1, 1, "447700900123", "+447700900123", MSISDN_FAULT_NONE},
    {1, 1, "03001234567", NULL, MSISDN_FAULT_COUNTRY},
    {1, 1, "92511234567", NULL, MSISDN_FAULT_NOT_MOBILE},
    {1, 1, "92 3001234567", NULL, MSISDN_FAULT_CHAR},
    {1, 1, "1234567890123456789", NULL, MSISDN_FAULT_LONG},
    {2, 1, "03001234567", "+923001234567", MSISDN_FAULT_NONE},
    {2, 1, "3001234567", "+923001234567", MSISDN_FAULT_NONE},
    {2, 1, "+923001234567", NULL, MSISDN_FAULT_CHAR},
    {0, 1, "923001234567", "+923001234567", MSISDN_FAULT_NONE},
    {0, 0, "03001234567", "+923001234567", MSISDN_FAULT_NONE},
    {0, 1, "+447700900123", "+447700900123", MSISDN_FAULT_NONE},
    {0, 1, "447700900123", NULL, MSISDN_FAULT_NOT_MOBILE},
    {5, 0, "KPASS", NULL, MSISDN_FAULT_TON},        /* alphanumeric sender */
    {3, 1, "789", NULL, MSISDN_FAULT_TON},          /* network specific */
    {6, 1, "789", NULL, MSISDN_FAULT_TON},          /* abbreviated */
    {1, 9, "923001234567", NULL, MSISDN_FAULT_TON}, /* private numbering plan */
    {0, 0, "", NULL, MSISDN_FAULT_EMPTY},
};

START_TEST(test_msisdn_smpp)
{
    char out[MSISDN_SIZE], back[MSISDN_SMPP_SIZE];
    enum msisdn_fault fault = (enum msisdn_fault) - 1;
    uint8_t ton = 9, npi = 9;
    int rc =
        msisdn_from_smpp(smpp_cases[_i].ton, smpp_cases[_i].npi, smpp_cases[_i].addr, out, &fault);

    ck_assert_msg(fault == smpp_cases[_i].fault, "case %d: fault %d", _i, fault);
    if (smpp_cases[_i].e164 == NULL) {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        return;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, smpp_cases[_i].e164);
    ck_assert_int_eq(msisdn_to_smpp(out, &ton, &npi, back), 0);
    ck_assert_int_eq(ton, MSISDN_TON_INTERNATIONAL);
    ck_assert_int_eq(npi, MSISDN_NPI_E164);
    ck_assert_str_eq(back, out + 1);
}
END_TEST

START_TEST(test_msisdn_to_smpp_bad)
{
    char back[MSISDN_SMPP_SIZE];
    uint8_t ton, npi;

    ck_assert_int_eq(msisdn_to_smpp("03001234567", &ton, &npi, back), -KP_ERR_INVAL);
    ck_assert_int_eq(msisdn_to_smpp("+1234567890123456", &ton, &npi, back), -KP_ERR_INVAL);
}
END_TEST

Suite *suite_msisdn(void)
{
    Suite *s = suite_create("msisdn");
    TCase *tc = tcase_create("msisdn");

    tcase_add_loop_test(tc, test_msisdn_parse, 0, (int)KP_ARRAY_LEN(msisdn_cases));
    tcase_add_loop_test(tc, test_msisdn_mask, 0, (int)KP_ARRAY_LEN(msisdn_masks));
    tcase_add_loop_test(tc, test_msisdn_smpp, 0, (int)KP_ARRAY_LEN(smpp_cases));
    tcase_add_test(tc, test_msisdn_to_smpp_bad);
    suite_add_tcase(s, tc);
    return s;
}
