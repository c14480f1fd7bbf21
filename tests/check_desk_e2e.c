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

#include "kpass/receipt.h"
#include "kpass/smpp_pdu.h"
#include "kpass/text.h"
#include "smpputil.h"
#include "testutil.h"

struct world {
    char *token_a, *token_b; /* desk tokens at two offices */
    char *qr;                /* the citizen's KP1 token text */
    char *serial;
};

static struct tu_daemon d;
static int sms_fd = -1;
static struct world *cur_world; /* freed by the teardown */

static void desk_teardown(void)
{
    if (sms_fd >= 0)
        close(sms_fd);
    sms_fd = -1;
    if (cur_world) {
        free(cur_world->token_a);
        free(cur_world->token_b);
        free(cur_world->qr);
        free(cur_world->serial);
        cur_world = NULL;
    }
    tu_daemon_cleanup(&d);
}

/* Run kpass and return its output (asserting success). */
static char *kp(const char *in, ...)
{
    char *argv[32], *out = NULL;
    int argc = 0, rc;
    va_list ap;

    argv[argc++] = strdup(tu_bin("kpass"));
    argv[argc++] = strdup("-c");
    argv[argc++] = strdup(d.conf);
    va_start(ap, in);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    rc = tu_run(argv, in, &out, 60000);
    ck_assert_msg(rc == 0, "kpass %s %s failed (%d): %s", argv[3], argc > 4 ? argv[4] : "", rc,
                  out);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return out;
}

/* The value after "prefix" on a line of text (up to the line's end). */
static char *line_after(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    size_t n;

    ck_assert_msg(p != NULL, "no '%s' in: %s", prefix, text);
    p += strlen(prefix);
    n = strcspn(p, "\n");
    return strndup(p, n);
}

/* One HTTP request with curl; returns the parsed JSON body and the status. */
static json_t *http(const char *method, const char *path, const char *bearer, const char *body,
                    int *status)
{
    char url[256], auth[300], *out = NULL, m[8], *b = body ? strdup(body) : NULL;
    char *argv[20];
    int i = 0;
    json_error_t jerr;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", d.http_port, path);
    argv[i++] = (char *)"/usr/bin/curl";
    argv[i++] = (char *)"-s";
    argv[i++] = (char *)"-w";
    argv[i++] = (char *)"\n%{http_code}";
    snprintf(m, sizeof(m), "%s", method);
    argv[i++] = (char *)"-X";
    argv[i++] = m;
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        argv[i++] = (char *)"-H";
        argv[i++] = auth;
    }
    if (body) {
        argv[i++] = (char *)"--data-binary";
        argv[i++] = b;
    }
    argv[i++] = url;
    argv[i] = NULL;
    ck_assert_int_eq(tu_run(argv, NULL, &out, 20000), 0);
    free(b);
    char *nl = strrchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    *status = atoi(nl + 1);
    *nl = '\0';
    json_t *j = json_loads(out, 0, &jerr);
    if (j == NULL)
        j = json_string(out); /* /metrics is text */
    free(out);
    return j;
}

static const char *js(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    ck_assert_msg(s != NULL, "no '%s' in the answer", key);
    return s;
}

/* Read SMS (deliver_sm) on the test partner's bind until one contains want. */
static char *sms_wait(const char *want)
{
    for (int i = 0; i < 20; i++) {
        struct smpp_pdu p, r;
        struct kp_buf t = KP_BUF_INIT;
        if (tu_smpp_recv(sms_fd, &p, 5000) < 0)
            break;
        if (p.command_id == SMPP_ENQUIRE_LINK) {
            smpp_pdu_init(&r, SMPP_ENQUIRE_LINK_RESP, p.sequence_number);
            tu_smpp_send(sms_fd, &r);
            continue;
        }
        if (p.command_id != SMPP_DELIVER_SM)
            continue;
        smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, p.sequence_number);
        tu_smpp_send(sms_fd, &r);
        text_decode(p.sm.short_message, p.sm.sm_length, p.sm.data_coding, &t);
        if (t.data && strstr(t.data, want))
            return kp_buf_steal(&t);
        kp_buf_free(&t);
    }
    ck_abort_msg("no SMS with '%s' arrived", want);
    return NULL;
}

static char *code_of(const char *sms)
{
    const char *p = strstr(sms, " is ");
    ck_assert_ptr_nonnull(p);
    return strndup(p + 4, 6);
}

/* A daemon with the seed, a partner "sms" carrying SMS bound as receiver,
   two desks at two offices, a staff member at each, one credential. */
static void world_conf(struct world *w, const char *extra)
{
    char *out;
    uint32_t st;
    char conf[256];

    memset(w, 0, sizeof(*w));
    cur_world = w;
    snprintf(conf, sizeof(conf), "[http]\npin_failures = 3\n%s", extra ? extra : "");
    tu_daemon_prepare(&d, conf);
    free(kp(NULL, "import", "seed", NULL));
    char cit[1024];
    snprintf(cit, sizeof(cit), "%s/etc/seed/citizens.csv", tu_top());
    free(kp(NULL, "import", "citizens", cit, NULL));
    free(kp("smspw\n", "partner", "add", "sms", "--sms", NULL));
    out = kp(NULL, "desk", "add", "PSHEX1", NULL);
    w->token_a = line_after(out, "token: ");
    free(out);
    out = kp(NULL, "desk", "add", "MRDDC1", NULL);
    w->token_b = line_after(out, "token: ");
    free(out);
    free(kp("4821\n", "staff", "add", "PSHEX1", "PSH-0042", "--name", "Sana Gul", NULL));
    free(kp("7391\n", "staff", "add", "MRDDC1", "MRD-0007", "--name", "Imran Ali", NULL));
    out = kp(NULL, "qr", "issue", "10000-0000002-2", NULL);
    w->qr = line_after(out, "KP1:");
    char *t = malloc(strlen(w->qr) + 5);
    sprintf(t, "KP1:%s", w->qr);
    free(w->qr);
    w->qr = t;
    char *ser = line_after(out, "credential ");
    ser[strcspn(ser, " ")] = '\0';
    w->serial = ser;
    ck_assert_ptr_null(strstr(out, "10000-0000002-2")); /* never the full CNIC */
    free(out);
    tu_daemon_start(&d);
    sms_fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_RECEIVER, "sms", "smspw", &st);
    ck_assert_int_eq(st, 0);
}

static void world(struct world *w)
{
    world_conf(w, NULL);
}

static char *signin(const char *token, const char *staff, const char *pin, int *status)
{
    char body[300];
    json_t *j;
    char *s = NULL;

    snprintf(body, sizeof(body), "{\"desk_token\":\"%s\",\"staff_id\":\"%s\",\"pin\":\"%s\"}", token,
             staff, pin);
    j = http("POST", "/v1/desk/sessions", NULL, body, status);
    if (*status == 201)
        s = strdup(js(j, "session"));
    json_decref(j);
    return s;
}

static char *scan(const char *session, const char *qr, int *status, json_t **ans)
{
    char body[400];
    json_t *j;
    char *id = NULL;

    snprintf(body, sizeof(body), "{\"token\":\"%s\"}", qr);
    j = http("POST", "/v1/verifications", session, body, status);
    if (*status == 201)
        id = strdup(js(j, "id"));
    if (ans)
        *ans = j;
    else
        json_decref(j);
    return id;
}

START_TEST(test_desk_flow)
{
    static struct world w;
    int status;
    json_t *j;
    char path[128], body[128];

    world(&w);
    char *sa = signin(w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    char *id = scan(sa, w.qr, &status, &j);
    ck_assert_int_eq(status, 201);
    json_t *c = json_object_get(j, "citizen");
    ck_assert_str_eq(js(c, "cnic"), "*****-****002-2");
    ck_assert_str_eq(js(c, "msisdn"), "+92311****102");
    ck_assert_str_eq(js(c, "name"), "Ayesha Bibi");
    json_decref(j);
    /* Confirming before a code was sent is a conflict. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    json_decref(http("POST", path, sa, "{\"code\":\"123456\"}", &status));
    ck_assert_int_eq(status, 409);
    /* The code goes by SMS to the registered number, naming the office. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    j = http("POST", path, sa, "{\"purpose\":\"identity\"}", &status);
    ck_assert_int_eq(status, 202);
    ck_assert_str_eq(js(j, "msisdn"), "+92311****102");
    json_decref(j);
    char *sms = sms_wait("your code for identity check at Excise");
    ck_assert_ptr_nonnull(strstr(sms, "never phone"));
    char *code = code_of(sms);
    /* A wrong code: refused with the tries left. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    snprintf(body, sizeof(body), "{\"code\":\"%06d\"}", (atoi(code) + 1) % 1000000);
    j = http("POST", path, sa, body, &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(js(j, "result"), "wrong");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "tries_left")), 4);
    json_decref(j);
    /* The right one: verified, with a receipt signed by the active key. */
    snprintf(body, sizeof(body), "{\"code\":\"%s\",\"biometric\":\"match\"}", code);
    j = http("POST", path, sa, body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(js(j, "result"), "verified");
    ck_assert_uint_eq(strlen(js(j, "receipt_id")), 10);
    ck_assert_int_eq(strncmp(js(j, "receipt"), "KPR1:", 5), 0);
    char *rid = strdup(js(j, "receipt_id"));
    json_decref(j);
    /* Confirming twice is refused. */
    j = http("POST", path, sa, body, &status);
    ck_assert_int_eq(status, 409);
    json_decref(j);
    /* The citizen is told. */
    free(sms_wait("your identity was verified at Excise"));
    /* The verification as it stands now. */
    snprintf(path, sizeof(path), "/v1/verifications/%s", id);
    j = http("GET", path, sa, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(js(j, "state"), "verified");
    ck_assert_str_eq(js(j, "receipt_id"), rid);
    json_decref(j);
    /* Another office can neither see it nor confirm the code sent for it. */
    char *sb = signin(w.token_b, "MRD-0007", "7391", &status);
    ck_assert_int_eq(status, 201);
    j = http("GET", path, sb, NULL, &status);
    ck_assert_int_eq(status, 403);
    json_decref(j);
    /* Metrics moved. */
    j = http("GET", "/metrics", NULL, NULL, &status);
    ck_assert_int_eq(status, 200);
    const char *m = json_string_value(j);
    ck_assert_ptr_nonnull(strstr(m, "kpass_codes_total{outcome=\"verified\"} 1"));
    ck_assert_ptr_nonnull(strstr(m, "kpass_codes_total{outcome=\"failed\"} 1"));
    ck_assert_ptr_nonnull(
        strstr(m, "kpass_http_requests_total{route=\"/v1/verifications\",code=\"201\"} 1"));
    ck_assert_ptr_nonnull(strstr(
        m, "kpass_http_requests_total{route=\"/v1/verifications/{id}/confirm\",code=\"409\"} 2"));
    ck_assert_ptr_nonnull(strstr(m, "kpass_http_requests_total{route=\"/v1/verifications/{id}\",code=\"403\"} 1"));
    ck_assert_ptr_nonnull(strstr(m, "kpass_smpp_binds{partner=\"sms\"} 1"));
    json_decref(j);
    /* No code, PIN or full CNIC in the daemon's log. */
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_null(strstr(log, code));
    ck_assert_ptr_null(strstr(log, "4821"));
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
    static struct world w;
    int status;
    char path[128], body[128];
    json_t *j;

    /* No gap between codes, so that both offices can send one at once. */
    world_conf(&w, "[otp]\nissue_gap = 0\n");
    char *sa = signin(w.token_a, "PSH-0042", "4821", &status);
    char *sb = signin(w.token_b, "MRD-0007", "7391", &status);
    char *ida = scan(sa, w.qr, &status, NULL);
    char *idb = scan(sb, w.qr, &status, NULL);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", ida);
    json_decref(http("POST", path, sa, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    char *sms_a = sms_wait("your code for identity check at Excise");
    char *code_a = code_of(sms_a);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", idb);
    json_decref(http("POST", path, sb, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    char *sms_b = sms_wait("your code for identity check at Deputy Commissioner");
    char *code_b = code_of(sms_b);
    free(sms_a);
    free(sms_b);
    /* A's code, typed at B, is refused: codes are bound to their office. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", idb);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code_a);
    j = http("POST", path, sb, body, &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(js(j, "result"), "wrong");
    json_decref(j);
    /* B's own code works at B, and A's code still works at A. */
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code_b);
    j = http("POST", path, sb, body, &status);
    ck_assert_int_eq(status, 200);
    json_decref(j);
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", ida);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code_a);
    j = http("POST", path, sa, body, &status);
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
    static struct world w;
    int status;
    json_t *j;

    world(&w);
    char *sa = signin(w.token_a, "PSH-0042", "4821", &status);
    /* Malformed bodies and tokens. */
    j = http("POST", "/v1/verifications", sa, "{\"token\":", &status);
    ck_assert_int_eq(status, 400);
    json_decref(j);
    j = http("POST", "/v1/verifications", sa, "{\"token\":\"KP1:NOPE\"}", &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(js(j, "reason"), "format");
    json_decref(j);
    j = http("POST", "/v1/verifications", "ks1_bogus", "{\"token\":\"x\"}", &status);
    ck_assert_int_eq(status, 401);
    json_decref(j);
    j = http("GET", "/v1/nothing", NULL, NULL, &status);
    ck_assert_int_eq(status, 404);
    json_decref(j);
    /* A revoked card is refused. */
    free(kp(NULL, "qr", "revoke", w.serial, "--reason", "lost", NULL));
    char *id = scan(sa, w.qr, &status, &j);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(js(j, "reason"), "revoked");
    json_decref(j);
    free(id);
    free(sa);
    /* The audit chain holds, and an edited row is found. */
    char *out = kp(NULL, "audit", "verify", NULL);
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
    char *kargv[] = {strdup(tu_bin("kpass")), strdup("-c"), strdup(d.conf), strdup("audit"),
                     strdup("verify"), NULL};
    ck_assert_int_eq(tu_run(kargv, NULL, &res, 10000), 1);
    ck_assert_msg(strstr(res, "3") != NULL, "verify: %s", res);
    free(res);
    for (int i = 0; kargv[i]; i++)
        free(kargv[i]);
}
END_TEST

START_TEST(test_pin_lockout)
{
    static struct world w;
    int status;

    world(&w);
    /* pin_failures = 3: three wrong PINs lock, then even the right one is refused. */
    for (int i = 0; i < 3; i++) {
        free(signin(w.token_a, "PSH-0042", "1111", &status));
        ck_assert_int_eq(status, i < 2 ? 401 : 423);
    }
    free(signin(w.token_a, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 423);
    free(kp(NULL, "staff", "unlock", "PSH-0042", NULL));
    char *s = signin(w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    free(s);
    /* An unknown desk token, a staff member of another office. */
    free(signin("kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 401);
    free(signin(w.token_b, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 401);
    /* A revoked desk. */
    free(kp(NULL, "desk", "revoke", "PSHEX1-1", NULL));
    free(signin(w.token_a, "PSH-0042", "4821", &status));
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
