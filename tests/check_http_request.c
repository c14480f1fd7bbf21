/* SPDX-License-Identifier: ISC */
/*
 * http: the desk API's request bodies, a table of good and bad JSON with
 * the reason each bad one gets (doc/http-api.md).
 */
#include <check.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/http/request.h"
#include "kpass/core/mem.h"
#include "testutil.h"

static const struct {
    const char *body;
    const char *reason; /* NULL: accepted */
} sessions[] = {
    {"{\"desk_token\":\"kd1_abc\",\"staff_id\":\"PSH-0042\",\"pin\":\"4821\"}", NULL},
    {"{\"pin\":\"12345678\",\"staff_id\":\"X\",\"desk_token\":\"t\"}", NULL},
    {"", "body is not valid JSON"},
    {"{", "body is not valid JSON"},
    {"[]", "body is not a JSON object"},
    {"\"x\"", "body is not a JSON object"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"s\"}", "field pin must be a string of 4 to 8 digits"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"s\",\"pin\":\"123\"}",
     "field pin must be a string of 4 to 8 digits"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"s\",\"pin\":\"123456789\"}",
     "field pin must be a string of 4 to 8 digits"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"s\",\"pin\":1234}",
     "field pin must be a string of 4 to 8 digits"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"s\",\"pin\":\"12a4\"}",
     "field pin must be a string of 4 to 8 digits"},
    {"{\"desk_token\":\"t t\",\"staff_id\":\"s\",\"pin\":\"1234\"}",
     "field desk_token must be the desk's token"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"\",\"pin\":\"1234\"}",
     "field staff_id must be a staff id"},
    {"{\"desk_token\":\"t\",\"staff_id\":\"s\",\"pin\":\"1234\",\"x\":1}", "unknown field"},
    {"{\"desk_token\":\"t\",\"desk_token\":\"u\",\"staff_id\":\"s\",\"pin\":\"1234\"}",
     "body is not valid JSON"}, /* duplicate keys refused */
};

START_TEST(test_session)
{
    struct http_session_req r;
    const char *reason = NULL;
    int rc = http_parse_session(sessions[_i].body, strlen(sessions[_i].body), &r, &reason);

    if (sessions[_i].reason == NULL) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, reason);
        ck_assert_str_ne(r.pin, "");
    } else {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        ck_assert_str_eq(reason, sessions[_i].reason);
        ck_assert_str_eq(r.pin, ""); /* nothing of a refused body is kept */
    }
}
END_TEST

static const struct {
    const char *body;
    const char *code;
    enum http_biometric bio;
    const char *reason;
} confirms[] = {
    {"{\"code\":\"123456\"}", "123456", HTTP_BIO_NONE, NULL},
    {"{\"code\":\"123 456\",\"biometric\":\"match\"}", "123 456", HTTP_BIO_MATCH, NULL},
    {"{\"biometric\":\"no_match\",\"code\":\"123-456\"}", "123-456", HTTP_BIO_NO_MATCH, NULL},
    {"{\"code\":\"123456\",\"biometric\":\"not_done\"}", "123456", HTTP_BIO_NOT_DONE, NULL},
    {"{\"code\":\"12345\"}", NULL, 0, "field code must be the 6-digit code"},
    {"{\"code\":\"1234567\"}", NULL, 0, "field code must be the 6-digit code"},
    {"{\"code\":\"12345a\"}", NULL, 0, "field code must be the 6-digit code"},
    {"{\"code\":123456}", NULL, 0, "field code must be the 6-digit code"},
    {"{\"code\":\"123456\",\"biometric\":\"maybe\"}", NULL, 0,
     "field biometric must be match, no_match or not_done"},
    {"{\"code\":\"123456\",\"biometric\":true}", NULL, 0,
     "field biometric must be match, no_match or not_done"},
    {"{}", NULL, 0, "field code must be the 6-digit code"},
};

START_TEST(test_confirm)
{
    struct http_confirm_req r;
    const char *reason = NULL;
    int rc = http_parse_confirm(confirms[_i].body, strlen(confirms[_i].body), &r, &reason);

    if (confirms[_i].reason == NULL) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, reason);
        ck_assert_str_eq(r.code, confirms[_i].code);
        ck_assert_int_eq(r.biometric, confirms[_i].bio);
    } else {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        ck_assert_str_eq(reason, confirms[_i].reason);
    }
}
END_TEST

START_TEST(test_scan_and_code)
{
    struct http_scan_req s;
    struct http_code_req c;
    const char *reason;
    char big[HTTP_BODY_MAX + 10];

    static const char ok[] = "{\"token\":\"KP1:AB CD\"}";
    ck_assert_int_eq(http_parse_scan(ok, sizeof(ok) - 1, &s, &reason), 0);
    ck_assert_str_eq(s.token, "KP1:AB CD");
    ck_assert_int_eq(http_parse_scan("{\"token\":\"\"}", 12, &s, &reason), -KP_ERR_PARSE);
    ck_assert_int_eq(http_parse_scan("{\"token\":\"a\\u0001\"}", 18, &s, &reason), -KP_ERR_PARSE);
    /* A scanner's Tab, CR or LF around the text is accepted (and dropped at the scan)... */
    static const char blanks[] = "{\"token\":\"\\tKP1:AB\\t\\r\\n\"}";
    ck_assert_int_eq(http_parse_scan(blanks, sizeof(blanks) - 1, &s, &reason), 0);
    ck_assert_str_eq(s.token, "\tKP1:AB\t\r\n");
    /* ...but not inside it, nor as the whole text. */
    static const char inside[] = "{\"token\":\"KP1:A\\tB\"}", only[] = "{\"token\":\" \\t\"}";
    ck_assert_int_eq(http_parse_scan(inside, sizeof(inside) - 1, &s, &reason), -KP_ERR_PARSE);
    ck_assert_int_eq(http_parse_scan(only, sizeof(only) - 1, &s, &reason), -KP_ERR_PARSE);
    ck_assert_int_eq(http_parse_code("{\"purpose\":\"sehat\"}", 19, &c, &reason), 0);
    ck_assert_str_eq(c.purpose, "sehat");
    ck_assert_int_eq(http_parse_code("{\"purpose\":\"Sehat Card\"}", 24, &c, &reason),
                     -KP_ERR_PARSE);
    ck_assert_str_eq(reason, "field purpose must be a purpose code");
    memset(big, ' ', sizeof(big));
    ck_assert_int_eq(http_parse_code(big, sizeof(big), &c, &reason), -KP_ERR_PARSE);
    ck_assert_str_eq(reason, "body too large");
}
END_TEST

Suite *suite_http_request(void)
{
    Suite *s = suite_create("http_request");
    TCase *tc = tcase_create("json");

    tcase_add_loop_test(tc, test_session, 0, (int)KP_ARRAY_LEN(sessions));
    tcase_add_loop_test(tc, test_confirm, 0, (int)KP_ARRAY_LEN(confirms));
    tcase_add_test(tc, test_scan_and_code);
    suite_add_tcase(s, tc);
    return s;
}
