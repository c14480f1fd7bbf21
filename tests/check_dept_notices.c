/* SPDX-License-Identifier: ISC */
/*
 * Departments as API clients, end to end through kpassd (issue 13): a
 * notice by CNIC sent in the citizen's language (Urdu) from the
 * department's template, its state, the refusals (no token, another
 * department's notice, an unknown template, a missing parameter, the
 * daily quota), the audit rows; and a signed callback to a department
 * whose server is down at first, retried until it answers
 * (tests/peers/apps/dept_callback.js checks the signature).
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

#define CITIZEN_CNIC "10000-0000002-2" /* +923110000102 in etc/seed/citizens.csv */
#define CITIZEN_NUM  "+923110000102"
#define NOBODY_CNIC  "17301-7654321-9" /* a CNIC kpass has no number for */
#define SECRET       "the Excise department's callback secret"

static struct tu_daemon d;
static struct tu_desk_world w;
static struct tu_proc cb;
static int cb_running;
static char token[80], secret[600];

static long long dsql(const char *sql)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    return tu_sql_int(path, sql);
}

static void dexec(const char *sql)
{
    char path[1024];
    sqlite3 *db;

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The desk world (extra: more configuration), department EXCISE with its
   templates, callbacks to port. */
static void world_start_with(int port, unsigned quota, const char *extra)
{
    char path[1024], url[96], q[16], conf[256], *out, *t;

    snprintf(conf, sizeof(conf), "webhook_backoff = 1s\n%s", extra);
    tu_desk_world_start(&w, &d, conf);
    snprintf(secret, sizeof(secret), "%s/excise.secret", d.dir);
    ck_assert_int_eq(tu_write_file(secret, SECRET "\n"), 0);
    chmod(secret, 0600);
    snprintf(path, sizeof(path), "%s/excise.token", d.dir);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/kpass", port);
    snprintf(q, sizeof(q), "%u", quota);
    free(tu_kpass_ok(&d, NULL, "department", "add", "EXCISE", "--token-file", path, "--quota", q,
                     "--callback", url, "--secret-file", secret, NULL));
    t = (char *)tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(t);
    t[strcspn(t, "\n")] = '\0';
    snprintf(token, sizeof(token), "%s", t);
    free(t);
    free(tu_kpass_ok(&d, NULL, "department", "template", "EXCISE", "tax_due", "--lang", "en",
                     "Token tax of Rs {amount} is due on {vehicle}.", NULL));
    out = tu_kpass_ok(&d, NULL, "department", "template", "EXCISE", "tax_due", "--lang", "ur",
                      "گاڑی {vehicle} کا ٹوکن ٹیکس {amount} روپے واجب الادا ہے۔", NULL);
    free(out);
    cb_running = 0;
}

static void world_start(int port, unsigned quota)
{
    world_start_with(port, quota, "");
}

static void world_stop(void)
{
    if (cb_running)
        tu_proc_stop(&cb);
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

static json_t *notice(const char *bearer, const char *cnic, const char *tpl, int *status)
{
    char body[512];

    snprintf(body, sizeof(body),
             "{\"cnic\":\"%s\",\"template\":\"%s\",\"params\":{\"amount\":\"4,500\","
             "\"vehicle\":\"LEA1234\"}}",
             cnic, tpl);
    return tu_http(&d, "POST", "/v1/notices", bearer, body, status);
}

START_TEST(test_notice_in_urdu)
{
    char path[128], *sms, *dump;
    json_t *j, *g;
    int status;
    char id[40];

    world_start(tu_free_port(), 3);
    /* the citizen chose Urdu on USSD */
    dexec("INSERT INTO msisdn_lang (msisdn, lang, updated_at) VALUES ('" CITIZEN_NUM "', 'ur', 0)");
    j = notice(token, CITIZEN_CNIC, "tax_due", &status);
    ck_assert_int_eq(status, 202);
    ck_assert_str_eq(tu_js(j, "state"), "accepted");
    snprintf(id, sizeof(id), "%s", tu_js(j, "id"));
    dump = json_dumps(j, 0);
    ck_assert_ptr_null(strstr(dump, "3110000102")); /* never the number */
    free(dump);
    json_decref(j);
    sms = tu_desk_sms_wait(w.sms_fd, "LEA1234");
    ck_assert_msg(strstr(sms, "ٹوکن ٹیکس 4,500 روپے") != NULL, "sms: %s", sms);
    free(sms);
    snprintf(path, sizeof(path), "/v1/notices/%s", id);
    g = tu_http(&d, "GET", path, token, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(g, "template"), "tax_due");
    ck_assert(strcmp(tu_js(g, "state"), "sent") == 0 || strcmp(tu_js(g, "state"), "sending") == 0);
    json_decref(g);
    ck_assert_int_eq(dsql("SELECT count(*) FROM audit WHERE event = 'notice.queued' AND "
                          "actor = 'dept:EXCISE' AND subject IS NOT NULL"),
                     1);

    /* refusals */
    json_decref(notice("not-a-token", CITIZEN_CNIC, "tax_due", &status));
    ck_assert_int_eq(status, 401);
    json_decref(tu_http(&d, "GET", path, "not-a-token", NULL, &status));
    ck_assert_int_eq(status, 401);
    json_decref(notice(token, CITIZEN_CNIC, "no_such", &status));
    ck_assert_int_eq(status, 422);
    json_decref(notice(token, "12345", "tax_due", &status));
    ck_assert_int_eq(status, 422);
    json_decref(tu_http(&d, "POST", "/v1/notices", token,
                        "{\"cnic\":\"" CITIZEN_CNIC "\",\"template\":\"tax_due\"}", &status));
    ck_assert_int_eq(status, 422); /* {amount} without a value */
    json_decref(
        tu_http(&d, "GET", "/v1/notices/00000000000000000000000000000000", token, NULL, &status));
    ck_assert_int_eq(status, 404);
    /* another department cannot read EXCISE's notices */
    snprintf(secret, sizeof(secret), "%s/health.token", d.dir);
    free(tu_kpass_ok(&d, NULL, "department", "add", "HEALTH", "--token-file", secret, NULL));
    char *t2 = (char *)tu_read_file(secret, NULL);
    t2[strcspn(t2, "\n")] = '\0';
    json_decref(tu_http(&d, "GET", path, t2, NULL, &status));
    ck_assert_int_eq(status, 404);
    free(t2);
    /* the quota: 3 a day, one used; the refused ones did not count */
    json_decref(notice(token, CITIZEN_CNIC, "tax_due", &status));
    ck_assert_int_eq(status, 202);
    json_decref(notice(token, NOBODY_CNIC, "tax_due", &status));
    ck_assert_int_eq(status, 202); /* the same answer for a CNIC without a number */
    json_decref(notice(token, CITIZEN_CNIC, "tax_due", &status));
    ck_assert_int_eq(status, 429);
    world_stop();
}
END_TEST

/* A callback to a department whose server is down, then up: retried, signed, once delivered. */
START_TEST(test_callback_retried)
{
    int port = tu_free_port(), status;
    char portstr[16], path[128], id[40], *line, *out;
    json_t *j;

    world_start(port, 10);
    j = notice(token, NOBODY_CNIC, "tax_due", &status); /* undeliverable: final at once */
    ck_assert_int_eq(status, 202);
    snprintf(id, sizeof(id), "%s", tu_js(j, "id"));
    json_decref(j);
    snprintf(path, sizeof(path), "/v1/notices/%s", id);
    j = tu_http(&d, "GET", path, token, NULL, &status);
    ck_assert_str_eq(tu_js(j, "state"), "undeliverable");
    json_decref(j);
    /* nobody listens: attempts fail (1 s, then 2 s later) */
    for (int i = 0; i < 60 && dsql("SELECT max(attempts) FROM webhook") < 2; i++)
        usleep(100000);
    ck_assert_int_ge(dsql("SELECT max(attempts) FROM webhook"), 2);
    ck_assert_int_eq(dsql("SELECT count(*) FROM webhook WHERE state = 0"), 1);
    out = tu_kpass_ok(&d, NULL, "webhook", "list", NULL);
    ck_assert_ptr_nonnull(strstr(out, "pending"));
    free(out);
    /* the department's server comes back; kpass webhook retry makes it due now */
    snprintf(portstr, sizeof(portstr), "%d", port);
    tu_peer_start(&cb, "apps/dept_callback.js", "--port", portstr, "--secret-file", secret, NULL);
    cb_running = 1;
    free(tu_proc_expect(&cb, 5000, "\"listening\"", NULL));
    free(tu_kpass_ok(&d, NULL, "webhook", "retry", "1", NULL));
    line = tu_proc_expect(&cb, 8000, "\"callback\"", NULL);
    ck_assert_msg(line != NULL, "no callback; log:\n%s", tu_daemon_log(&d));
    ck_assert_ptr_nonnull(strstr(line, "\"type\":\"notice\""));
    ck_assert_ptr_nonnull(strstr(line, id));
    ck_assert_ptr_nonnull(strstr(line, "\"state\":\"undeliverable\""));
    ck_assert_ptr_nonnull(strstr(line, "\"delivery\":\"kpass-1\""));
    free(line);
    for (int i = 0; i < 30 && dsql("SELECT state FROM webhook WHERE id = 1") != 1; i++)
        usleep(100000);
    ck_assert_int_eq(dsql("SELECT state FROM webhook WHERE id = 1"), 1); /* delivered */
    out = tu_kpass_ok(&d, NULL, "webhook", "show", "1", NULL);
    ck_assert_ptr_nonnull(strstr(out, "delivered"));
    ck_assert_ptr_null(strstr(out, "7654321")); /* no CNIC in what went out */
    free(out);
    /* delivered once: not again */
    ck_assert_ptr_null(tu_proc_expect(&cb, 2500, "\"callback\"", NULL));
    world_stop();
}
END_TEST

/* A desk verification for a purpose EXCISE subscribed to ends VERIFIED:
   EXCISE gets the signed receipt, which both example verifiers accept. */
START_TEST(test_verification_callback)
{
    int port = tu_free_port(), status;
    char portstr[16], path[256], body[96], trust[600], *line, *out, *sa, *id, *sms, *code, *receipt,
        *p;
    json_t *j;

    world_start(port, 10);
    snprintf(trust, sizeof(trust), "%s/trust.list", d.dir);
    out = tu_kpass_ok(&d, NULL, "keys", "export-public", NULL);
    ck_assert_int_eq(tu_write_file(trust, out), 0);
    free(out);
    snprintf(portstr, sizeof(portstr), "%d", port);
    tu_peer_start(&cb, "apps/dept_callback.js", "--port", portstr, "--secret-file", secret,
                  "--trust", trust, NULL);
    cb_running = 1;
    free(tu_proc_expect(&cb, 5000, "\"listening\"", NULL));
    free(tu_kpass_ok(&d, NULL, "department", "subscribe", "EXCISE", "identity", "PSHEX1", NULL));
    /* a department without a callback URL cannot subscribe */
    snprintf(path, sizeof(path), "%s/health.token", d.dir);
    free(tu_kpass_ok(&d, NULL, "department", "add", "HEALTH", "--token-file", path, NULL));
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "department", "subscribe", "HEALTH", "identity", "all", NULL), 1);
    free(out);

    sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    id = tu_desk_scan(&d, sa, w.qr, &status, NULL);
    ck_assert_int_eq(status, 201);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    json_decref(tu_http(&d, "POST", path, sa, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check");
    code = tu_desk_code_of(sms);
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    j = tu_http(&d, "POST", path, sa, body, &status);
    ck_assert_int_eq(status, 200);
    receipt = strdup(tu_js(j, "receipt"));
    json_decref(j);

    line = tu_proc_expect(&cb, 8000, "\"callback\"", NULL);
    ck_assert_msg(line != NULL, "no callback; log:\n%s", tu_daemon_log(&d));
    ck_assert_ptr_nonnull(strstr(line, "\"type\":\"verification\""));
    ck_assert_ptr_nonnull(strstr(line, "\"purpose\":\"identity\""));
    ck_assert_ptr_nonnull(strstr(line, "\"result\":\"verified\""));
    ck_assert_ptr_nonnull(strstr(line, receipt));
    ck_assert_ptr_nonnull(strstr(line, "\"receipt_ok\":true"));
    ck_assert_ptr_null(strstr(line, "0000002"));    /* no CNIC */
    ck_assert_ptr_null(strstr(line, "3110000102")); /* no number */
    ck_assert_ptr_nonnull(p = strstr(line, "\"citizenId\":\""));
    ck_assert_uint_eq(strspn(p + 13, "0123456789abcdef"), 32);
    free(line);
    /* The Python verifier of doc/departments.md accepts it, and not a changed one. */
    snprintf(path, sizeof(path), "%s/contrib/departments/verify_receipt.py", tu_top());
    char *argv[] = {"/usr/bin/python3", path, trust, receipt, NULL};
    ck_assert_int_eq(tu_run(argv, NULL, &out, 10000), 0);
    ck_assert_ptr_nonnull(strstr(out, "'code_confirmed': True"));
    free(out);
    receipt[100] = receipt[100] == 'A' ? 'B' : 'A';
    ck_assert_int_ne(tu_run(argv, NULL, &out, 10000), 0);
    ck_assert_ptr_nonnull(strstr(out, "refused"));
    free(out);
    /* one callback only: the other department was not subscribed */
    ck_assert_int_eq(dsql("SELECT count(*) FROM webhook WHERE kind = 'verification'"), 1);
    free(receipt);
    free(sms);
    free(code);
    free(id);
    free(sa);
    world_stop();
}
END_TEST

/* Verify the citizen at desk A; returns the verification id (malloc'd). */
static char *desk_verify(void)
{
    char path[256], body[96], *sa, *id, *sms, *code;
    int status;

    sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    id = tu_desk_scan(&d, sa, w.qr, &status, NULL);
    ck_assert_int_eq(status, 201);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    json_decref(tu_http(&d, "POST", path, sa, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check");
    code = tu_desk_code_of(sms);
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    json_decref(tu_http(&d, "POST", path, sa, body, &status));
    ck_assert_int_eq(status, 200);
    free(sms);
    free(code);
    free(sa);
    return id;
}

/* A department hears of the verifications at the offices it named only:
   subscribed at desk B's office, a verification at desk A's (PSHEX1) queues nothing;
   "all" takes every office. */
START_TEST(test_callback_office_scope)
{
    char *id;

    world_start(tu_free_port(), 10);
    free(tu_kpass_ok(&d, NULL, "department", "subscribe", "EXCISE", "identity", "MRDDC1", NULL));
    id = desk_verify();
    free(id);
    ck_assert_int_eq(dsql("SELECT count(*) FROM webhook WHERE kind = 'verification'"), 0);
    free(tu_kpass_ok(&d, NULL, "department", "subscribe", "EXCISE", "identity", "all", NULL));
    ck_assert_int_eq(dsql("SELECT count(*) FROM dept_subscription WHERE office = '*'"), 1);
    world_stop();
}
END_TEST

/* "Was this you?" over the operator's gateway (push_gw.js, npm smpp), answered per answer. */
static void push_run(const char *answer, const char *want_end)
{
    struct tu_proc gw;
    char port[16], *line, *id, *m;
    int status;

    world_start_with(tu_free_port(), 10, "[ussd]\npush_partner = gw\npush_timeout = 20s\n");
    free(tu_kpass_ok(&d, "gw-pw\n", "partner", "add", "gw", NULL));
    snprintf(port, sizeof(port), "%d", d.smpp_port);
    tu_peer_start(&gw, "push_gw.js", "--port", port, "--system-id", "gw", "--password", "gw-pw",
                  "--answer", answer, NULL);
    line = tu_proc_expect(&gw, 5000, "\"bound\"", NULL);
    ck_assert_ptr_nonnull(line);
    free(line);
    id = desk_verify();
    line = tu_proc_expect(&gw, 5000, "\"push\"", NULL);
    ck_assert_msg(line != NULL, "no push; log:\n%s", tu_daemon_log(&d));
    ck_assert_ptr_nonnull(strstr(line, "\"msisdn\":\"923110000102\""));
    ck_assert_ptr_nonnull(strstr(line, "Your identity was checked at "));
    ck_assert_ptr_nonnull(strstr(line, "\\n1 It was me\\n2 It was not me"));
    free(line);
    line = tu_proc_expect(&gw, 5000, "\"end\"", NULL);
    ck_assert_msg(line != NULL, "no end; log:\n%s", tu_daemon_log(&d));
    ck_assert_ptr_nonnull(strstr(line, want_end));
    ck_assert_ptr_nonnull(strstr(line, "\"op\":17"));
    ck_assert_ptr_nonnull(strstr(line, "\"session_end\":true"));
    free(line);
    /* the SMS notice is sent in any case */
    free(tu_desk_sms_wait(w.sms_fd, "your identity was verified at Excise"));
    m = tu_http_get(d.http_port, "/metrics", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_ptr_nonnull(strstr(m, "kpass_ussd_push_total{result=\"sent\"} 1"));
    if (strcmp(answer, "2") == 0) {
        ck_assert_ptr_nonnull(strstr(m, "kpass_ussd_push_total{result=\"not_me\"} 1"));
        ck_assert_int_eq(dsql("SELECT count(*) FROM verification_dispute"), 1);
        ck_assert_int_eq(dsql("SELECT count(*) FROM audit WHERE event = 'verification.disputed' "
                              "AND subject IS NOT NULL"),
                         1);
        char *log = tu_daemon_log(&d);
        ck_assert_ptr_nonnull(strstr(log, "disputed by the citizen"));
        free(log);
    } else {
        ck_assert_ptr_nonnull(strstr(m, "kpass_ussd_push_total{result=\"me\"} 1"));
        ck_assert_int_eq(dsql("SELECT count(*) FROM verification_dispute"), 0);
    }
    free(m);
    free(id);
    tu_proc_stop(&gw);
    world_stop();
}

/* With [ussd] push_code_purposes, a desk code for that purpose is asked about too. */
START_TEST(test_push_after_code)
{
    struct tu_proc gw;
    char port[16], *line, *id;

    world_start_with(tu_free_port(), 10,
                     "[ussd]\npush_partner = gw\npush_code_purposes = land, identity\n");
    free(tu_kpass_ok(&d, "gw-pw\n", "partner", "add", "gw", NULL));
    snprintf(port, sizeof(port), "%d", d.smpp_port);
    tu_peer_start(&gw, "push_gw.js", "--port", port, "--system-id", "gw", "--password", "gw-pw",
                  "--answer", "2", NULL);
    free(tu_proc_expect(&gw, 5000, "\"bound\"", NULL));
    id = desk_verify();
    line = tu_proc_expect(&gw, 5000, "\"push\"", NULL);
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(line, "A code for identity was sent to you from "));
    free(line);
    free(tu_proc_expect(&gw, 5000, "\"end\"", NULL));
    line = tu_proc_expect(&gw, 5000, "\"push\"", NULL); /* then the verification's own */
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(line, "Your identity was checked at "));
    free(line);
    free(tu_proc_expect(&gw, 5000, "\"end\"", NULL));
    ck_assert_int_eq(dsql("SELECT count(*) FROM verification_dispute"), 2);
    free(id);
    tu_proc_stop(&gw);
    world_stop();
}
END_TEST

START_TEST(test_push_not_me)
{
    push_run("2", "Noted: it was not you. Call 1700 now.");
}
END_TEST

START_TEST(test_push_it_was_me)
{
    push_run("1", "\"text\":\"Thank you.\"");
}
END_TEST

/* Scan, then ask for a code: the status of the code step (body in *ans). */
static int desk_code_after_scan(json_t **ans)
{
    char path[256], *sa, *id;
    int status;

    sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    id = tu_desk_scan(&d, sa, w.qr, &status, NULL);
    ck_assert_int_eq(status, 201);
    usleep(300000); /* the staff member picks the purpose */
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    *ans = tu_http(&d, "POST", path, sa, "{\"purpose\":\"identity\"}", &status);
    free(id);
    free(sa);
    return status;
}

/* The operator says the citizen's SIM was swapped: the desk's code is held,
   audited; not swapped: it is sent; no answer in time: the row decides. */
START_TEST(test_simswap_holds_code)
{
    struct tu_proc op;
    char port[16], url[96], tok[700], *line;
    json_t *j;

    world_start(tu_free_port(), 10);
    snprintf(tok, sizeof(tok), "%s/op.token", d.dir);
    ck_assert_int_eq(tu_write_file(tok, "operator-token-123\n"), 0);
    chmod(tok, 0600);
    tu_peer_start(&op, "apps/simswap.js", "--token", "operator-token-123", "--swapped", CITIZEN_NUM,
                  NULL);
    line = tu_proc_expect(&op, 5000, "\"listening\"", NULL);
    ck_assert_ptr_nonnull(line);
    snprintf(port, sizeof(port), "%ld", tu_json_int(line, "port"));
    free(line);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/sim-swap/v0/check", port);
    free(tu_kpass_ok(&d, NULL, "simswap", "set", "ufone", "--url", url, "--prefixes",
                     "+92311,+92333", "--token-file", tok, "--max-age", "48", "--timeout", "1s",
                     "--on-timeout", "hold", NULL));
    /* swapped: held, the citizen gets no code */
    ck_assert_int_eq(desk_code_after_scan(&j), 409);
    ck_assert_str_eq(tu_js(j, "error"), "sim_swap");
    ck_assert_str_eq(tu_js(j, "reason"), "SIM changed recently: verify by other means");
    json_decref(j);
    line = tu_proc_expect(&op, 2000, "\"check\"", NULL);
    ck_assert_ptr_nonnull(strstr(line, "\"phoneNumber\":\"" CITIZEN_NUM "\""));
    ck_assert_ptr_nonnull(strstr(line, "\"maxAge\":48"));
    free(line);
    ck_assert_int_eq(dsql("SELECT count(*) FROM audit WHERE event = 'code.held' AND subject IS "
                          "NOT NULL"),
                     1);
    ck_assert_int_eq(dsql("SELECT count(*) FROM sms_outbox WHERE body LIKE '%identity check%'"), 0);
    /* the operator is slow: no answer by the code step, and the row says hold */
    tu_proc_send(&op, "{\"cmd\":\"delay\",\"ms\":3000}");
    free(tu_proc_expect(&op, 2000, "\"ok\"", NULL));
    ck_assert_int_eq(desk_code_after_scan(&j), 409);
    ck_assert_str_eq(tu_js(j, "error"), "sim_unchecked");
    json_decref(j);
    /* ... and with send, the code goes */
    free(tu_kpass_ok(&d, NULL, "simswap", "set", "ufone", "--url", url, "--prefixes",
                     "+92311,+92333", "--token-file", tok, "--timeout", "1s", "--on-timeout",
                     "send", NULL));
    ck_assert_int_eq(desk_code_after_scan(&j), 202);
    json_decref(j);
    free(tu_desk_sms_wait(w.sms_fd, "your code for identity check"));
    tu_proc_stop(&op);
    world_stop();
}
END_TEST

/* Not swapped: the code goes as before. */
START_TEST(test_simswap_not_swapped)
{
    struct tu_proc op;
    char port[16], url[96], *line;
    json_t *j;

    world_start(tu_free_port(), 10);
    tu_peer_start(&op, "apps/simswap.js", "--swapped", "+923330000000", NULL);
    line = tu_proc_expect(&op, 5000, "\"listening\"", NULL);
    ck_assert_ptr_nonnull(line);
    snprintf(port, sizeof(port), "%ld", tu_json_int(line, "port"));
    free(line);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/sim-swap/v0/check", port);
    free(tu_kpass_ok(&d, NULL, "simswap", "set", "ufone", "--url", url, "--prefixes", "+92311",
                     NULL));
    ck_assert_int_eq(desk_code_after_scan(&j), 202);
    json_decref(j);
    free(tu_desk_sms_wait(w.sms_fd, "your code for identity check"));
    ck_assert_ptr_nonnull(line = tu_proc_expect(&op, 2000, "\"check\"", NULL));
    free(line);
    tu_proc_stop(&op);
    world_stop();
}
END_TEST

/* A USSD code request from a swapped SIM: the caller hears what every
   caller hears, and the code is held (audited), never sent. */
START_TEST(test_simswap_ussd_same_reply)
{
    struct tu_proc op;
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char port[16], url[96], *line, other[1200];

    world_start(tu_free_port(), 10);
    free(tu_kpass_ok(&d, "gw-pw\n", "partner", "add", "gw", NULL));
    tu_peer_start(&op, "apps/simswap.js", "--swapped", CITIZEN_NUM, NULL);
    line = tu_proc_expect(&op, 5000, "\"listening\"", NULL);
    ck_assert_ptr_nonnull(line);
    snprintf(port, sizeof(port), "%ld", tu_json_int(line, "port"));
    free(line);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/sim-swap/v0/check", port);
    free(tu_kpass_ok(&d, NULL, "simswap", "set", "ufone", "--url", url, "--prefixes",
                     "+92311,+92345", NULL));
    ug_bind(&g, &d, "gw", "gw-pw");
    /* someone whose number is not registered at all */
    ug_dlg_init(&u, "923459999999", 8);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*4*1#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1234", &h);
    snprintf(other, sizeof(other), "%s", h.text);
    int other_op = h.op;
    ck_assert_ptr_nonnull(strstr(other, "If this number is registered"));
    /* the registered citizen, whose SIM was swapped: the same answer */
    ug_dlg_init(&u, "923110000102", 9);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*4*1#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0022", &h);
    ck_assert_str_eq(h.text, other);
    ck_assert_int_eq(h.op, other_op); /* the dialog goes on alike (the digits again) */
    line = tu_proc_expect(&op, 5000, "\"check\"", NULL);
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(line, CITIZEN_NUM));
    free(line);
    for (int i = 0; i < 30 && dsql("SELECT count(*) FROM audit WHERE event = 'code.held'") < 1; i++)
        usleep(100000);
    ck_assert_int_eq(dsql("SELECT count(*) FROM audit WHERE event = 'code.held' AND actor = "
                          "'ussd' AND subject IS NOT NULL"),
                     1);
    ck_assert_int_eq(dsql("SELECT count(*) FROM sms_outbox WHERE is_code = 1"), 0);
    /* the unregistered number was never asked about: no citizen, no question */
    ck_assert_ptr_null(tu_proc_expect(&op, 500, "\"check\"", NULL));
    close(g.fd);
    tu_proc_stop(&op);
    world_stop();
}
END_TEST

Suite *suite_dept_notices(void)
{
    Suite *s = suite_create("dept_notices");
    TCase *tc = tcase_create("e2e");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_notice_in_urdu);
    tcase_add_test(tc, test_callback_retried);
    tcase_add_test(tc, test_verification_callback);
    tcase_add_test(tc, test_callback_office_scope);
    tcase_add_test(tc, test_push_not_me);
    tcase_add_test(tc, test_push_it_was_me);
    tcase_add_test(tc, test_push_after_code);
    tcase_add_test(tc, test_simswap_holds_code);
    tcase_add_test(tc, test_simswap_not_swapped);
    tcase_add_test(tc, test_simswap_ussd_same_reply);
    suite_add_tcase(s, tc);
    return s;
}
