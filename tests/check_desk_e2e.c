/* SPDX-License-Identifier: ISC */
/*
 * The office desk flow end to end: the real kpassd with its HTTP API
 * (driven with curl), a test partner bound over SMPP that receives the code
 * SMS, a QR credential issued by kpass.  Sign-in and PIN lockout, scan,
 * code, confirm with a signed receipt, confirming twice, a code of one
 * office refused at another, a revoked card, metrics, the audit chain.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/id/receipt.h"
#include "kpass/smpp/pdu.h"
#include "kpass/text/text.h"
#include "smpputil.h"
#include "testutil.h"

static struct tu_daemon d;
static struct tu_desk_world w;

static void desk_teardown(void)
{
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

/* num in text as a number of its own (a port such as 48215 is not the PIN 4821). */
static int has_number(const char *text, const char *num)
{
    size_t n = strlen(num);

    for (const char *p = text; (p = strstr(p, num)) != NULL; p++)
        if ((p == text || p[-1] < '0' || p[-1] > '9') && (p[n] < '0' || p[n] > '9'))
            return 1;
    return 0;
}

START_TEST(test_desk_flow)
{
    int status;
    json_t *j;
    char path[128], body[128];

    tu_desk_world_start(&w, &d, NULL);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    char *id = tu_desk_scan(&d, sa, w.qr, &status, &j);
    ck_assert_int_eq(status, 201);
    json_t *c = json_object_get(j, "citizen");
    ck_assert_str_eq(tu_js(c, "cnic"), "*****-****002-2");
    ck_assert_str_eq(tu_js(c, "msisdn"), "+92311****102");
    ck_assert_str_eq(tu_js(c, "name"), "Ayesha Bibi");
    json_decref(j);
    /* Confirming before a code was sent is a conflict. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    json_decref(tu_http(&d, "POST", path, sa, "{\"code\":\"123456\"}", &status));
    ck_assert_int_eq(status, 409);
    /* The code goes by SMS to the registered number, naming the office. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    j = tu_http(&d, "POST", path, sa, "{\"purpose\":\"identity\"}", &status);
    ck_assert_int_eq(status, 202);
    ck_assert_str_eq(tu_js(j, "msisdn"), "+92311****102");
    json_decref(j);
    char *sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check at Excise");
    ck_assert_ptr_nonnull(strstr(sms, "never phone"));
    char *code = tu_desk_code_of(sms);
    /* A wrong code: refused with the tries left. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    snprintf(body, sizeof(body), "{\"code\":\"%06d\"}", (atoi(code) + 1) % 1000000);
    j = tu_http(&d, "POST", path, sa, body, &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "result"), "wrong");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "tries_left")), 4);
    json_decref(j);
    /* The right one: verified, with a receipt signed by the active key. */
    snprintf(body, sizeof(body), "{\"code\":\"%s\",\"biometric\":\"match\"}", code);
    j = tu_http(&d, "POST", path, sa, body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(j, "result"), "verified");
    ck_assert_uint_eq(strlen(tu_js(j, "receipt_id")), 10);
    ck_assert_int_eq(strncmp(tu_js(j, "receipt"), "KPR1:", 5), 0);
    char *rid = strdup(tu_js(j, "receipt_id"));
    json_decref(j);
    /* Confirming twice is refused. */
    j = tu_http(&d, "POST", path, sa, body, &status);
    ck_assert_int_eq(status, 409);
    json_decref(j);
    /* The citizen is told. */
    free(tu_desk_sms_wait(w.sms_fd, "your identity was verified at Excise"));
    /* The verification as it stands now. */
    snprintf(path, sizeof(path), "/v1/verifications/%s", id);
    j = tu_http(&d, "GET", path, sa, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(j, "state"), "verified");
    ck_assert_str_eq(tu_js(j, "receipt_id"), rid);
    json_decref(j);
    /* Another office can neither see it nor confirm the code sent for it. */
    char *sb = tu_desk_signin(&d, w.token_b, "MRD-0007", "7391", &status);
    ck_assert_int_eq(status, 201);
    j = tu_http(&d, "GET", path, sb, NULL, &status);
    ck_assert_int_eq(status, 403);
    json_decref(j);
    /* Metrics moved. */
    j = tu_http(&d, "GET", "/metrics", NULL, NULL, &status);
    ck_assert_int_eq(status, 200);
    const char *m = json_string_value(j);
    ck_assert_ptr_nonnull(strstr(m, "kpass_codes_total{outcome=\"verified\"} 1"));
    /* Per office: the one verification began, had its code sent and was verified. */
    ck_assert_ptr_nonnull(
        strstr(m, "kpass_desk_verifications_total{office=\"PSHEX1\",outcome=\"scanned\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(m, "kpass_desk_verifications_total{office=\"PSHEX1\",outcome=\"code_sent\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(m, "kpass_desk_verifications_total{office=\"PSHEX1\",outcome=\"verified\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(m, "kpass_codes_total{outcome=\"failed\"} 1"));
    ck_assert_ptr_nonnull(
        strstr(m, "kpass_http_requests_total{route=\"/v1/verifications\",code=\"201\"} 1"));
    ck_assert_ptr_nonnull(strstr(
        m, "kpass_http_requests_total{route=\"/v1/verifications/{id}/confirm\",code=\"409\"} 2"));
    ck_assert_ptr_nonnull(
        strstr(m, "kpass_http_requests_total{route=\"/v1/verifications/{id}\",code=\"403\"} 1"));
    ck_assert_ptr_nonnull(strstr(m, "kpass_smpp_binds{partner=\"sms\"} 1"));
    /* The SMS went out through partner "sms": counted under its name. */
    const char *sent = strstr(m, "kpass_sms_partner_events_total{partner=\"sms\",event=\"sent\"} ");
    ck_assert_msg(sent != NULL &&
                      atoi(sent + strlen("kpass_sms_partner_events_total{partner=\"sms\","
                                         "event=\"sent\"} ")) >= 1,
                  "no SMS counted for partner sms");
    json_decref(j);
    /* No code, PIN or full CNIC in the daemon's log. */
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_null(strstr(log, code));
    ck_assert_msg(!has_number(log, "4821"), "the PIN is in the log");
    ck_assert_ptr_null(strstr(log, "1000000000022"));
    ck_assert_ptr_null(strstr(log, "10000-0000002-2"));
    free(log);
    free(sa);
    free(sb);
    free(id);
    free(code);
    free(sms);
    free(rid);
}
END_TEST

START_TEST(test_code_bound_to_office)
{
    int status;
    char path[128], body[128];
    json_t *j;

    /* No gap between codes, so that both offices can send one at once. */
    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 0\n");
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    char *sb = tu_desk_signin(&d, w.token_b, "MRD-0007", "7391", &status);
    char *ida = tu_desk_scan(&d, sa, w.qr, &status, NULL);
    char *idb = tu_desk_scan(&d, sb, w.qr, &status, NULL);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", ida);
    json_decref(tu_http(&d, "POST", path, sa, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    char *sms_a = tu_desk_sms_wait(w.sms_fd, "your code for identity check at Excise");
    char *code_a = tu_desk_code_of(sms_a);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", idb);
    json_decref(tu_http(&d, "POST", path, sb, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    char *sms_b = tu_desk_sms_wait(w.sms_fd, "your code for identity check at Deputy Commissioner");
    char *code_b = tu_desk_code_of(sms_b);
    free(sms_a);
    free(sms_b);
    /* A's code, typed at B, is refused: codes are bound to their office. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", idb);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code_a);
    j = tu_http(&d, "POST", path, sb, body, &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "result"), "wrong");
    json_decref(j);
    /* B's own code works at B, and A's code still works at A. */
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code_b);
    j = tu_http(&d, "POST", path, sb, body, &status);
    ck_assert_int_eq(status, 200);
    json_decref(j);
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", ida);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code_a);
    j = tu_http(&d, "POST", path, sa, body, &status);
    ck_assert_int_eq(status, 200);
    json_decref(j);
    free(sa);
    free(sb);
    free(ida);
    free(idb);
    free(code_a);
    free(code_b);
}
END_TEST

START_TEST(test_revoked_card_and_bad_input)
{
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, NULL);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    /* Malformed bodies and tokens. */
    j = tu_http(&d, "POST", "/v1/verifications", sa, "{\"token\":", &status);
    ck_assert_int_eq(status, 400);
    json_decref(j);
    j = tu_http(&d, "POST", "/v1/verifications", sa, "{\"token\":\"KP1:NOPE\"}", &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "reason"), "format");
    json_decref(j);
    j = tu_http(&d, "POST", "/v1/verifications", "ks1_bogus", "{\"token\":\"x\"}", &status);
    ck_assert_int_eq(status, 401);
    json_decref(j);
    j = tu_http(&d, "GET", "/v1/nothing", NULL, NULL, &status);
    ck_assert_int_eq(status, 404);
    json_decref(j);
    /* A revoked card is refused. */
    free(tu_kpass_ok(&d, NULL, "qr", "revoke", w.serial, "--reason", "lost", NULL));
    char *id = tu_desk_scan(&d, sa, w.qr, &status, &j);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "reason"), "revoked");
    json_decref(j);
    free(id);
    free(sa);
    /* The audit chain holds, and an edited row is found. */
    char *out = tu_kpass_ok(&d, NULL, "audit", "verify", NULL);
    ck_assert_ptr_nonnull(strstr(out, "chain intact"));
    free(out);
    tu_daemon_stop(&d, SIGTERM);
    char db[600], *argv[6], *res = NULL;
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    argv[0] = (char *)"/usr/bin/sqlite3";
    argv[1] = db;
    argv[2] = (char *)"DROP TRIGGER IF EXISTS audit_no_update;"
                      "UPDATE audit SET detail = 'edited' WHERE id = 3;";
    argv[3] = NULL;
    tu_run(argv, NULL, &res, 10000);
    free(res);
    char *kargv[] = {strdup(tu_bin("kpass")), strdup("-c"),     strdup(d.conf),
                     strdup("audit"),         strdup("verify"), NULL};
    ck_assert_int_eq(tu_run(kargv, NULL, &res, 10000), 1);
    ck_assert_msg(strstr(res, "3") != NULL, "verify: %s", res);
    free(res);
    for (int i = 0; kargv[i]; i++)
        free(kargv[i]);
}
END_TEST

START_TEST(test_pin_lockout)
{
    int status;

    tu_desk_world_start(&w, &d, NULL);
    /* pin_failures = 3: three wrong PINs lock, then even the right one is refused. */
    for (int i = 0; i < 3; i++) {
        free(tu_desk_signin(&d, w.token_a, "PSH-0042", "1111", &status));
        ck_assert_int_eq(status, i < 2 ? 401 : 423);
    }
    free(tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 423);
    free(tu_kpass_ok(&d, NULL, "staff", "unlock", "PSH-0042", NULL));
    char *s = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    free(s);
    /* An unknown desk token, a staff member of another office. */
    free(tu_desk_signin(&d, "kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "PSH-0042", "4821",
                        &status));
    ck_assert_int_eq(status, 401);
    free(tu_desk_signin(&d, w.token_b, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 401);
    /* A revoked desk. */
    free(tu_kpass_ok(&d, NULL, "desk", "revoke", "PSHEX1-1", NULL));
    free(tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 403);
}
END_TEST

Suite *suite_desk_e2e(void)
{
    Suite *s = suite_create("desk_e2e");
    TCase *tc = tcase_create("http");

    tcase_add_checked_fixture(tc, NULL, desk_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_desk_flow);
    tcase_add_test(tc, test_code_bound_to_office);
    tcase_add_test(tc, test_revoked_card_and_bad_input);
    tcase_add_test(tc, test_pin_lockout);
    suite_add_tcase(s, tc);
    return s;
}
