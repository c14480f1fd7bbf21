/* SPDX-License-Identifier: ISC */
/*
 * ussd/app_proto.c: the pure half of the department apps.  The CON/END
 * parser over a table of good and bad answers; the form encoding; the
 * signature against a vector computed apart (Python's hmac module); the
 * pseudonyms (stable per department, unrelated across departments and
 * kinds, never the value itself).
 */
#include <check.h>
#include <string.h>

#include "kpass/core/buf.h"
#include "kpass/core/err.h"
#include "kpass/ussd/app.h"
#include "testutil.h"

static const struct {
    const char *body;
    int ok, end;
    const char *text;
} replies[] = {
    {"CON Enter vehicle number", 1, 0, "Enter vehicle number"},
    {"END Tax due: Rs 4,500\n", 1, 1, "Tax due: Rs 4,500"},
    {"END Done\r\n", 1, 1, "Done"},
    {"CON a\nb", 1, 0, "a\nb"},
    {"CON\nline", 1, 0, "line"},
    {"END", 1, 1, ""},
    {"CON ", 1, 0, ""},
    {"CON ایکسائز", 1, 0, "ایکسائز"},
    {"CONTINUE", 0, 0, NULL},
    {"con lower", 0, 0, NULL},
    {" CON x", 0, 0, NULL},
    {"CO", 0, 0, NULL},
    {"", 0, 0, NULL},
    {"END a\tb", 0, 0, NULL},
    {"END a\rb", 0, 0, NULL},
    {"END \xff", 0, 0, NULL},
    {"HTTP/1.1 200 OK", 0, 0, NULL},
};

START_TEST(test_reply_table)
{
    const char *text;
    size_t len;
    int end, rc;

    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        rc = ussd_app_reply_parse(replies[i].body, strlen(replies[i].body), &end, &text, &len);
        ck_assert_msg((rc == 0) == replies[i].ok, "case %zu '%s': %d", i, replies[i].body, rc);
        if (!replies[i].ok)
            continue;
        ck_assert_int_eq(end, replies[i].end);
        ck_assert_uint_eq(len, strlen(replies[i].text));
        ck_assert(memcmp(text, replies[i].text, len) == 0);
    }
}
END_TEST

START_TEST(test_reply_nul_and_size)
{
    char big[USSD_APP_REPLY_MAX + 2];
    const char *text;
    size_t len;
    int end;

    ck_assert_int_eq(ussd_app_reply_parse("END a\0b", 7, &end, &text, &len), -KP_ERR_PARSE);
    memset(big, 'x', sizeof(big));
    memcpy(big, "CON ", 4);
    ck_assert_int_eq(ussd_app_reply_parse(big, USSD_APP_REPLY_MAX, &end, &text, &len), 0);
    ck_assert_int_eq(ussd_app_reply_parse(big, USSD_APP_REPLY_MAX + 1, &end, &text, &len),
                     -KP_ERR_PARSE);
}
END_TEST

START_TEST(test_form_and_signature)
{
    struct kp_buf b = KP_BUF_INIT;
    char sig[3 + USSD_APP_SIG_HEX + 1];

    ussd_app_form_add(&b, "sessionId", "a");
    ussd_app_form_add(&b, "text", "1*2");
    ck_assert_str_eq(b.data, "sessionId=a&text=1%2A2");
    /* python3: hmac.new(b'0123456789abcdef', b'1700000000.' + body, sha256).hexdigest() */
    ussd_app_sign((const uint8_t *)"0123456789abcdef", 16, 1700000000, b.data, b.len, sig);
    ck_assert_str_eq(sig, "v1=81d1b9e13e85cb33bd6fb353a8bdbc80a6e100c4b619d59b3321ddb9b5429fd1");
    kp_buf_reset(&b);
    ussd_app_form_add(&b, "t", "a b&c=ü");
    ck_assert_str_eq(b.data, "t=a%20b%26c%3D%C3%BC");
    kp_buf_free(&b);
}
END_TEST

START_TEST(test_pseudonyms)
{
    uint8_t cnic_key[32], key[USSD_APP_KEY_BYTES];
    char a[USSD_APP_PSEUDO_HEX + 1], b[USSD_APP_PSEUDO_HEX + 1], c[USSD_APP_PSEUDO_HEX + 1];
    const char *num = "+923001234567";

    memset(cnic_key, 7, sizeof(cnic_key));
    ussd_app_pseudo_key(cnic_key, key);
    ussd_app_pseudonym(key, "msisdn", "EXC", (const uint8_t *)num, strlen(num), a);
    ussd_app_pseudonym(key, "msisdn", "EXC", (const uint8_t *)num, strlen(num), b);
    ck_assert_str_eq(a, b); /* stable: a department can link its own requests */
    ck_assert_uint_eq(strlen(a), USSD_APP_PSEUDO_HEX);
    ussd_app_pseudonym(key, "msisdn", "HLT", (const uint8_t *)num, strlen(num), c);
    ck_assert_str_ne(a, c); /* two departments cannot join their records */
    ussd_app_pseudonym(key, "cnic", "EXC", (const uint8_t *)num, strlen(num), c);
    ck_assert_str_ne(a, c);
    /* "EX" + "C..." must not collide with "EXC" + "...": the NULs separate them */
    ussd_app_pseudonym(key, "msisdn", "EX", (const uint8_t *)"C+923001234567", 14, c);
    ck_assert_str_ne(a, c);
    ck_assert_ptr_null(strstr(a, "3001234567"));
    memset(cnic_key, 8, sizeof(cnic_key)); /* another deployment's key: other pseudonyms */
    ussd_app_pseudo_key(cnic_key, key);
    ussd_app_pseudonym(key, "msisdn", "EXC", (const uint8_t *)num, strlen(num), c);
    ck_assert_str_ne(a, c);
}
END_TEST

Suite *suite_app_proto(void)
{
    Suite *s = suite_create("app_proto");
    TCase *tc = tcase_create("proto");

    tcase_add_test(tc, test_reply_table);
    tcase_add_test(tc, test_reply_nul_and_size);
    tcase_add_test(tc, test_form_and_signature);
    tcase_add_test(tc, test_pseudonyms);
    suite_add_tcase(s, tc);
    return s;
}
