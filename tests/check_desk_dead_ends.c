/* SPDX-License-Identifier: ISC */
/*
 * The office desk without dead ends (issue 11), end to end: the real
 * kpassd, the SMS partner that receives the codes, and `kpass desk run`
 * driven line by line over pipes as staff would use it.  A Caps Lock
 * scanner with a Tab suffix; "r" before the first SMS while the rules
 * allow no second code, which keeps the first code; five wrong codes and
 * an expired code, each followed by a new code in the same verification
 * and VERIFIED; a citizen locked out, shown as such at the scan with the
 * lockout's true end.  The API's side of each: the verification's state,
 * 409/423 answers, locked_until.  The program checks the URL before the
 * staff id (nobody there: it stops at once), and finds kpassd from
 * [http] listen without --url.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kpass/core/mem.h"
#include "testutil.h"

static struct tu_daemon d;
static struct tu_desk_world w;
static struct tu_proc p;

static void de_teardown(void)
{
    if (p.pid > 0)
        tu_proc_stop(&p);
    memset(&p, 0, sizeof(p));
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

static const char *de_db(void)
{
    static char path[600];

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    return path;
}

/* Start `kpass desk run` for desk A at the daemon's API (stdin, stdout as pipes):
   with --url, or (url_given 0) at the URL of [http] listen in the configuration. */
static void de_desk_start_url(int url_given)
{
    char file[600], url[64];

    snprintf(file, sizeof(file), "%s/desk-a.token", d.dir);
    ck_assert_int_eq(tu_write_file(file, w.token_a), 0);
    ck_assert_int_eq(chmod(file, 0600), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", d.http_port);
    char *argv[] = {strdup(tu_bin("kpass")),
                    strdup("-c"),
                    strdup(d.conf),
                    strdup("desk"),
                    strdup("run"),
                    strdup("--token-file"),
                    strdup(file),
                    url_given ? strdup("--url") : NULL,
                    strdup(url),
                    NULL};
    tu_proc_start(&p, argv);
    for (size_t i = 0; i < KP_ARRAY_LEN(argv); i++)
        free(argv[i]);
}

static void de_desk_start(void)
{
    de_desk_start_url(1);
}

/* Wait (bounded) for a line of the desk program holding want; the line, malloc'd. */
static char *de_expect(const char *want)
{
    char *line = tu_proc_expect(&p, 15000, want, NULL);

    ck_assert_msg(line != NULL, "the desk program never said '%s'", want);
    tu_assert_masked(line);
    return line;
}

#define EXPECT(want) free(de_expect(want))

static void de_sign_in(void)
{
    EXPECT("Connected to kpassd at http://127.0.0.1:");
    EXPECT("Staff id (q to quit):");
    tu_proc_send(&p, "PSH-0042");
    EXPECT("PIN:");
    tu_proc_send(&p, "4821");
    EXPECT("Signed in: PSH-0042 at desk PSHEX1-1");
    EXPECT("Scan a QR card");
}

/* Sign out with q: the program ends with 0. */
static void de_quit(void)
{
    EXPECT("Scan a QR card");
    tu_proc_send(&p, "q");
    EXPECT("Signed out.");
    ck_assert_int_eq(tu_proc_stop(&p), 0);
    memset(&p, 0, sizeof(p));
}

/* The code of the next code SMS (malloc'd). */
static char *de_code(void)
{
    char *sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check at Excise");
    char *code = tu_desk_code_of(sms);

    free(sms);
    return code;
}

/* A 6-digit code other than code. */
static void de_wrong(const char *code, int k, char out[8])
{
    snprintf(out, 8, "%06d", (atoi(code) + 1 + k) % 1000000);
}

static long long de_count(const char *state)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM verification WHERE state = '%s'", state);
    return tu_sql_int(de_db(), sql);
}

/* Run SQL on the database while kpassd has it open (waits for its lock). */
static void de_sql(const char *sql)
{
    char *argv[] = {strdup("/usr/bin/sqlite3"),
                    strdup("-cmd"),
                    strdup(".timeout 5000"),
                    strdup(de_db()),
                    strdup(sql),
                    NULL};
    char *out = NULL;
    int rc = tu_run(argv, NULL, &out, 10000);

    ck_assert_msg(rc == 0, "sqlite3: %s", out ? out : "");
    free(out);
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
}

/* Caps Lock, a Tab suffix; "r" too soon; five wrong codes; a new code; VERIFIED. */
START_TEST(test_desk_keeps_the_check)
{
    char typed[256], wrong[8], line[64];

    /* A second code only 4 s after the first. */
    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 4\n");
    de_desk_start();
    de_sign_in();
    /* The scanner types with Caps Lock on and ends with a Tab. */
    snprintf(typed, sizeof(typed), "%s\t", w.qr);
    for (char *c = typed; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    tu_proc_send(&p, typed);
    EXPECT("  CNIC:      *****-****002-2");
    EXPECT("Choose 1-");
    tu_proc_send(&p, "1");
    EXPECT("Code sent by SMS to +92311****102");
    time_t first = time(NULL);
    /* r before the SMS arrived: the rules allow no second code yet, and the first stands. */
    EXPECT("Code from the citizen");
    tu_proc_send(&p, "r");
    EXPECT("NO CODE SENT: the citizen has had too many codes; a new one can be sent in ");
    EXPECT("The code already sent still works until ");
    char *code = de_code();
    ck_assert_int_eq(de_count("code_sent"), 1);
    /* Five wrong codes: the code is dead, the verification is not. */
    for (int k = 0; k < 5; k++) {
        de_wrong(code, k, wrong);
        tu_proc_send(&p, wrong);
        if (k < 4) {
            snprintf(line, sizeof(line), "Wrong code: %d %s left.", 4 - k,
                     4 - k == 1 ? "try" : "tries");
            EXPECT(line);
        }
    }
    EXPECT("NOT VERIFIED YET: too many wrong codes: that code can no longer be used.");
    EXPECT("Send the citizen a new code? (y: yes, 0: cancel)");
    ck_assert_int_eq(de_count("scanned"), 1);
    ck_assert_int_eq(de_count("failed"), 0);
    while (time(NULL) < first + 5)
        usleep(100000);
    tu_proc_send(&p, "y");
    EXPECT("Code sent by SMS to +92311****102");
    char *code2 = de_code();
    tu_proc_send(&p, code2);
    EXPECT("VERIFIED");
    EXPECT("Receipt: ");
    de_quit();
    /* All of it was one verification, now verified. */
    ck_assert_int_eq(tu_sql_int(de_db(), "SELECT count(*) FROM verification"), 1);
    ck_assert_int_eq(de_count("verified"), 1);
    free(code);
    free(code2);
}
END_TEST

/* An expired code: a new one in the same verification, then VERIFIED. */
START_TEST(test_desk_expired_code)
{
    char typed[256];

    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 0\n");
    /* Nobody at the URL: said before any staff id or PIN is asked for. */
    char url[64], *out = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", tu_free_port());
    snprintf(typed, sizeof(typed), "%s/desk-a.token", d.dir);
    ck_assert_int_eq(tu_write_file(typed, w.token_a), 0);
    ck_assert_int_eq(chmod(typed, 0600), 0);
    ck_assert_int_eq(tu_kpass(&d, "PSH-0042\n4821\n", &out, "desk", "run", "--token-file", typed,
                              "--url", url, NULL),
                     1);
    ck_assert_msg(strstr(out, "Cannot reach kpassd at ") && strstr(out, "Is kpassd running?"), "%s",
                  out);
    ck_assert_ptr_null(strstr(out, "Staff id"));
    free(out);
    /* The URL from the configuration's [http] listen this time. */
    de_desk_start_url(0);
    de_sign_in();
    snprintf(typed, sizeof(typed), "   %s  ", w.qr);
    tu_proc_send(&p, typed);
    EXPECT("Choose 1-");
    tu_proc_send(&p, "1");
    EXPECT("Code sent by SMS");
    char *code = de_code();
    /* Ten minutes pass for the code (not for the verification). */
    de_sql("UPDATE otp_code SET issued_at = issued_at - 600, expires_at = expires_at - 600");
    tu_proc_send(&p, code);
    EXPECT("NOT VERIFIED YET: the code has expired.");
    EXPECT("Send the citizen a new code?");
    ck_assert_int_eq(de_count("scanned"), 1);
    tu_proc_send(&p, "y");
    EXPECT("Code sent by SMS");
    char *code2 = de_code();
    tu_proc_send(&p, code2);
    EXPECT("VERIFIED");
    de_quit();
    ck_assert_int_eq(tu_sql_int(de_db(), "SELECT count(*) FROM verification"), 1);
    ck_assert_int_eq(de_count("verified"), 1);
    free(code);
    free(code2);
}
END_TEST

/* POST path with body; its status, and *j (may be NULL) the answer. */
static int de_post(const char *session, const char *id, const char *what, const char *body,
                   json_t **j)
{
    char path[160];
    int status;
    json_t *a;

    snprintf(path, sizeof(path), "/v1/verifications/%s/%s", id, what);
    a = tu_http(&d, "POST", path, session, body, &status);
    if (j)
        *j = a;
    else
        json_decref(a);
    return status;
}

/* Ten wrong codes on one verification lock the citizen out; the scan says until when. */
START_TEST(test_locked_out_at_scan)
{
    char body[64], wrong[8], typed[256], when[32], want[128];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 0\n");
    char *s = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    char *id = tu_desk_scan(&d, s, w.qr, &status, &j);
    ck_assert_int_eq(status, 201);
    ck_assert_ptr_null(json_object_get(j, "locked_until"));
    json_decref(j);
    int64_t until = 0;
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(de_post(s, id, "code", "{\"purpose\":\"identity\"}", NULL), 202);
        char *code = de_code();
        for (int k = 0; k < 5; k++) {
            de_wrong(code, k, wrong);
            snprintf(body, sizeof(body), "{\"code\":\"%s\"}", wrong);
            status = de_post(s, id, "confirm", body, &j);
            if (round == 0 && k == 4) {
                /* The code is dead; the verification waits for a new one. */
                ck_assert_int_eq(status, 422);
                ck_assert_str_eq(tu_js(j, "result"), "wrong");
                ck_assert_str_eq(tu_js(j, "state"), "scanned");
            } else if (round == 1 && k == 4) {
                /* The tenth failure in a row: locked out, and the verification ends. */
                ck_assert_int_eq(status, 423);
                ck_assert_str_eq(tu_js(j, "state"), "failed");
                until = json_integer_value(json_object_get(j, "until"));
            } else {
                ck_assert_int_eq(status, 422);
                ck_assert_str_eq(tu_js(j, "state"), "code_sent");
            }
            json_decref(j);
        }
        if (round == 0) {
            /* Even the right code: there is no live code now. */
            snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
            ck_assert_int_eq(de_post(s, id, "confirm", body, NULL), 409);
        }
        free(code);
    }
    ck_assert_int_gt(until, (int64_t)time(NULL) + 3000); /* [otp] lockout: an hour */
    /* A new scan (Caps Lock, a Tab before and a CR after, JSON-escaped) says so, with the
       lockout's end... */
    snprintf(typed, sizeof(typed), "\\t%s\\r", w.qr);
    for (char *c = typed; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    char *id2 = tu_desk_scan(&d, s, typed, &status, &j);
    ck_assert_int_eq(status, 201);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "locked_until")), until);
    json_decref(j);
    /* ...and so does a request for a code. */
    ck_assert_int_eq(de_post(s, id2, "code", "{\"purpose\":\"identity\"}", &j), 423);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "until")), until);
    json_decref(j);
    /* The desk program shows it at the scan, at the lockout's local time. */
    time_t t = (time_t)until, now = time(NULL);
    struct tm tm, today;
    localtime_r(&t, &tm);
    localtime_r(&now, &today);
    strftime(when, sizeof(when),
             tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year ? "%H:%M."
                                                                        : "%H:%M on %-d %b.",
             &tm);
    snprintf(want, sizeof(want), "cannot get a code until %s Ask them", when);
    de_desk_start();
    de_sign_in();
    tu_proc_send(&p, w.qr);
    EXPECT("  CNIC:      *****-****002-2");
    EXPECT(want);
    de_quit();
    free(s);
    free(id);
    free(id2);
}
END_TEST

/* A code the database fails to check (a failing statement: a trigger the
   test adds) is answered 500, not refused as "no_code", which sent the
   desk for a new code and hid the failure; once the database works again
   the same code confirms. */
START_TEST(test_confirm_db_failure)
{
    char body[64], wrong[8];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 0\n");
    char *s = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    char *id = tu_desk_scan(&d, s, w.qr, &status, &j);
    ck_assert_int_eq(status, 201);
    json_decref(j);
    ck_assert_int_eq(de_post(s, id, "code", "{\"purpose\":\"identity\"}", NULL), 202);
    char *code = de_code();
    tu_sql_int(de_db(), "CREATE TRIGGER kp_test_fail BEFORE UPDATE ON otp_code "
                        "BEGIN SELECT RAISE(ABORT, 'the disk failed'); END");
    de_wrong(code, 0, wrong);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", wrong);
    status = de_post(s, id, "confirm", body, &j);
    ck_assert_msg(status == 500, "a code the database could not check: %d %s", status,
                  tu_js(j, "result") ? tu_js(j, "result") : "");
    ck_assert_str_eq(tu_js(j, "error"), "internal");
    json_decref(j);
    tu_sql_int(de_db(), "DROP TRIGGER kp_test_fail");
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    status = de_post(s, id, "confirm", body, &j);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(j, "result"), "verified");
    json_decref(j);
    free(code);
    free(id);
    free(s);
}
END_TEST

Suite *suite_desk_dead_ends(void)
{
    Suite *s = suite_create("desk_dead_ends");
    TCase *tc = tcase_create("e2e");

    tcase_add_checked_fixture(tc, NULL, de_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_desk_keeps_the_check);
    tcase_add_test(tc, test_desk_expired_code);
    tcase_add_test(tc, test_locked_out_at_scan);
    tcase_add_test(tc, test_confirm_db_failure);
    suite_add_tcase(s, tc);
    return s;
}
