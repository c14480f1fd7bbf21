/* SPDX-License-Identifier: ISC */
/*
 * Attacks on the office desk (issue 8, items 1 to 3), each against the
 * real kpassd over HTTP on 127.0.0.1: a stolen desk or a locked, removed
 * or re-PINned staff member keeps a session; a desk cannot sign out; a
 * credential revoked after its scan still completes a verification; a
 * verification never expires; a retired key is accepted until SIGHUP
 * while the CLI says otherwise.  And the defences that already held, so
 * that they keep holding: brute force of codes across offices, altered
 * KP1 tokens, staff PIN lockout.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static struct tu_daemon d;
static struct tu_desk_world w;

static void sec_teardown(void)
{
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

static char *sec_db(void)
{
    static char path[600];

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    return path;
}

/* A request with the session on a route that needs one: its status. */
static int sec_status(const char *method, const char *path, const char *session, const char *body)
{
    int status;

    json_decref(tu_http(&d, method, path, session, body, &status));
    return status;
}

/* Scan w.qr with session: the status; the id in *id (malloc'd) when 201. */
static int sec_scan(const char *session, char **id)
{
    int status;
    char *v = tu_desk_scan(&d, session, w.qr, &status, NULL);

    if (id)
        *id = v;
    else
        free(v);
    return status;
}

/* Sign in at desk A as PSH-0042; the session must work. */
static char *sec_signin_a(void)
{
    int status;
    char *s = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);

    ck_assert_int_eq(status, 201);
    ck_assert_int_eq(sec_scan(s, NULL), 201);
    return s;
}

/* Two verifications of the card at desk A, the second with its code sent:
 *id1 and *id2, and the code the phone got (malloc'd). */
static char *sec_two_with_code(const char *session, char **id1, char **id2)
{
    char path[128], *sms, *code;

    ck_assert_int_eq(sec_scan(session, id1), 201);
    ck_assert_int_eq(sec_scan(session, id2), 201);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", *id2);
    ck_assert_int_eq(sec_status("POST", path, session, "{\"purpose\":\"identity\"}"), 202);
    sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check");
    code = tu_desk_code_of(sms);
    free(sms);
    return code;
}

/* ---- item 1: sessions end with what they stand on ---- */

START_TEST(test_desk_revoked_mid_session)
{
    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    free(tu_kpass_ok(&d, NULL, "desk", "revoke", "PSHEX1-1", NULL));
    /* The stolen desk's session is over at once, on every route. */
    ck_assert_int_eq(sec_scan(s, NULL), 401);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM desk_session WHERE desk = "
                                          "'PSHEX1-1'"),
                     0);
    free(s);
}
END_TEST

START_TEST(test_staff_locked_mid_session)
{
    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    char *id = NULL;
    ck_assert_int_eq(sec_scan(s, &id), 201);
    free(tu_kpass_ok(&d, NULL, "staff", "lock", "PSH-0042", "--reason", "left", NULL));
    char path[128];
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    ck_assert_int_eq(sec_status("POST", path, s, "{\"purpose\":\"identity\"}"), 401);
    ck_assert_int_eq(sec_scan(s, NULL), 401);
    /* Unlocking does not bring the old session back. */
    free(tu_kpass_ok(&d, NULL, "staff", "unlock", "PSH-0042", NULL));
    ck_assert_int_eq(sec_scan(s, NULL), 401);
    free(id);
    free(s);
}
END_TEST

START_TEST(test_pin_changed_mid_session)
{
    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    free(tu_kpass_ok(&d, "5937\n", "staff", "pin", "PSH-0042", NULL));
    ck_assert_int_eq(sec_scan(s, NULL), 401);
    /* The new PIN signs in, and that session works. */
    int status;
    char *s2 = tu_desk_signin(&d, w.token_a, "PSH-0042", "5937", &status);
    ck_assert_int_eq(status, 201);
    ck_assert_int_eq(sec_scan(s2, NULL), 201);
    free(s2);
    free(s);
}
END_TEST

START_TEST(test_staff_removed_mid_session)
{
    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    char *out = tu_kpass_ok(&d, NULL, "staff", "remove", "PSH-0042", NULL);
    ck_assert_msg(strstr(out, "PSH-0042") != NULL, "remove said: %s", out);
    free(out);
    ck_assert_int_eq(sec_scan(s, NULL), 401);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM staff WHERE id = 'PSH-0042'"), 0);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM audit WHERE event = "
                                          "'staff.removed'"),
                     1);
    int status;
    free(tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 401);
    free(s);
}
END_TEST

START_TEST(test_signout)
{
    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    int st = sec_status("DELETE", "/v1/desk/sessions", s, NULL);
    ck_assert_msg(st == 204 || st == 200, "sign-out: %d", st);
    ck_assert_int_eq(sec_scan(s, NULL), 401);
    ck_assert_int_eq(sec_status("DELETE", "/v1/desk/sessions", s, NULL), 401);
    ck_assert_int_eq(sec_status("DELETE", "/v1/desk/sessions", NULL, NULL), 401);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM audit WHERE event = "
                                          "'desk.signout'"),
                     1);
    free(s);
}
END_TEST

/* The desk program signs out on q: its session ends on the server. */
START_TEST(test_desk_program_signs_out)
{
    char tokfile[600], url[64], *out = NULL;

    tu_desk_world_start(&w, &d, NULL);
    snprintf(tokfile, sizeof(tokfile), "%s/desk-a.token", d.dir);
    ck_assert_int_eq(tu_write_file(tokfile, w.token_a), 0);
    ck_assert_int_eq(chmod(tokfile, 0600), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", d.http_port);
    int rc = tu_kpass(&d, "PSH-0042\n4821\nq\n", &out, "desk", "run", "--token-file", tokfile,
                      "--url", url, NULL);
    ck_assert_msg(rc == 0, "desk run: %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "Signed out"));
    free(out);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM desk_session"), 0);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM audit WHERE event = "
                                          "'desk.signout'"),
                     1);
}
END_TEST

/* ---- item 2: the credential is checked at every step; verifications expire ---- */

START_TEST(test_revoked_after_scan)
{
    char path[128], body[64];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 0\n");
    char *s = sec_signin_a();
    char *id1 = NULL, *id2 = NULL;
    /* id2 gets its code, then the card is reported stolen and revoked. */
    char *code = sec_two_with_code(s, &id1, &id2);
    free(tu_kpass_ok(&d, NULL, "qr", "revoke", w.serial, "--reason", "stolen", NULL));
    /* No code for the other verification of that card... */
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id1);
    j = tu_http(&d, "POST", path, s, "{\"purpose\":\"identity\"}", &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "error"), "credential");
    ck_assert_str_eq(tu_js(j, "reason"), "revoked");
    json_decref(j);
    /* ...and the right code no longer completes the one under way. */
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id2);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    j = tu_http(&d, "POST", path, s, body, &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "reason"), "revoked");
    ck_assert_ptr_null(json_object_get(j, "receipt"));
    json_decref(j);
    /* Both failed, for good. */
    snprintf(path, sizeof(path), "/v1/verifications/%s", id1);
    j = tu_http(&d, "GET", path, s, NULL, &status);
    ck_assert_str_eq(tu_js(j, "state"), "failed");
    json_decref(j);
    snprintf(path, sizeof(path), "/v1/verifications/%s", id2);
    j = tu_http(&d, "GET", path, s, NULL, &status);
    ck_assert_str_eq(tu_js(j, "state"), "failed");
    json_decref(j);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM audit WHERE event = "
                                          "'desk.verified'"),
                     0);
    free(code);
    free(id1);
    free(id2);
    free(s);
}
END_TEST

START_TEST(test_blocked_citizen_after_scan)
{
    char path[128];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    char *id = NULL;
    ck_assert_int_eq(sec_scan(s, &id), 201);
    free(tu_kpass_ok(&d, NULL, "citizen", "block", "10000-0000002-2", NULL));
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    j = tu_http(&d, "POST", path, s, "{\"purpose\":\"identity\"}", &status);
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "reason"), "citizen_inactive");
    json_decref(j);
    free(id);
    free(s);
}
END_TEST

START_TEST(test_verification_expires)
{
    char path[128];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, "verification_ttl = 2s\n");
    char *s = sec_signin_a();
    char *id1 = NULL, *id2 = NULL;
    /* id2 gets its code. */
    char *code = sec_two_with_code(s, &id1, &id2);
    /* The housekeeping tick marks all three (sec_signin_a scanned one) once the 2 s have
       passed, before anyone asked: wait for it (bounded), asking nothing of the daemon. */
    for (int i = 0; i < 60 && tu_sql_int(sec_db(), "SELECT count(*) FROM verification WHERE "
                                                   "state = 'expired'") < 3;
         i++)
        usleep(100000);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM verification WHERE state = "
                                          "'expired'"),
                     3);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id1);
    j = tu_http(&d, "POST", path, s, "{\"purpose\":\"identity\"}", &status);
    ck_assert_int_eq(status, 410);
    ck_assert_str_eq(tu_js(j, "error"), "expired");
    json_decref(j);
    char body[64];
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id2);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    j = tu_http(&d, "POST", path, s, body, &status);
    ck_assert_int_eq(status, 410);
    ck_assert_str_eq(tu_js(j, "error"), "expired");
    json_decref(j);
    snprintf(path, sizeof(path), "/v1/verifications/%s", id2);
    j = tu_http(&d, "GET", path, s, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(j, "state"), "expired");
    json_decref(j);
    free(code);
    free(id1);
    free(id2);
    free(s);
}
END_TEST

/* ---- item 3: a retired key is refused by the running daemon, and the CLI tells the truth ---- */

/* The id of the key listed with status (first match), malloc'd. */
static char *sec_key_id(const char *status)
{
    char *out = tu_kpass_ok(&d, NULL, "keys", "list", NULL), *id = NULL;

    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        char a[16], b[16];
        if (sscanf(l, "%15s %15s", a, b) == 2 && strcmp(b, status) == 0) {
            id = strdup(a);
            break;
        }
    }
    free(out);
    ck_assert_msg(id != NULL, "no %s key", status);
    return id;
}

START_TEST(test_key_retired_live)
{
    tu_desk_world_start(&w, &d, NULL);
    char *s = sec_signin_a();
    free(tu_kpass_ok(&d, NULL, "keys", "rotate", NULL));
    char *old = sec_key_id("verify");
    ck_assert_int_eq(sec_scan(s, NULL), 201); /* verify-only keys still verify */
    char *out = tu_kpass_ok(&d, NULL, "keys", "retire", old, NULL);
    ck_assert_msg(strstr(out, "refused from now on") != NULL, "retire said: %s", out);
    free(out);
    /* At once: no SIGHUP, no wait. */
    int status;
    json_t *j;
    free(tu_desk_scan(&d, s, w.qr, &status, &j));
    ck_assert_int_eq(status, 422);
    ck_assert_str_eq(tu_js(j, "reason"), "retired_key");
    json_decref(j);
    free(old);
    free(s);
}
END_TEST

START_TEST(test_key_retired_daemon_down)
{
    tu_desk_world_start(&w, &d, NULL);
    free(tu_kpass_ok(&d, NULL, "keys", "rotate", NULL));
    char *old = sec_key_id("verify");
    tu_daemon_stop(&d, SIGTERM);
    /* No daemon to confirm: the CLI must not claim what it cannot know. */
    char *out = tu_kpass_ok(&d, NULL, "keys", "retire", old, NULL);
    ck_assert_msg(strstr(out, "refused from now on") == NULL, "retire said: %s", out);
    ck_assert_msg(strstr(out, "kpassd") != NULL, "retire said: %s", out);
    free(out);
    /* And the daemon, started again, refuses it. */
    tu_daemon_start(&d);
    int status;
    char *s = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    ck_assert_int_eq(sec_scan(s, NULL), 422);
    free(old);
    free(s);
}
END_TEST

/* Revoking a desk and locking staff also say whether the daemon has it. */
START_TEST(test_cli_confirms_live)
{
    tu_desk_world_start(&w, &d, NULL);
    char *out = tu_kpass_ok(&d, NULL, "desk", "revoke", "MRDDC1-1", NULL);
    ck_assert_msg(strstr(out, "from now on") != NULL, "revoke said: %s", out);
    free(out);
    tu_daemon_stop(&d, SIGTERM);
    out = tu_kpass_ok(&d, NULL, "staff", "lock", "PSH-0042", NULL);
    ck_assert_msg(strstr(out, "from now on") == NULL, "lock said: %s", out);
    free(out);
}
END_TEST

/* ---- what already held ---- */

/* Five wrong codes kill a code; ten failures across desks and offices lock the citizen. */
START_TEST(test_brute_force_across_offices)
{
    char path[128];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, "[otp]\nissue_gap = 0\n");
    char *sa = sec_signin_a();
    char *sb = tu_desk_signin(&d, w.token_b, "MRD-0007", "7391", &status);
    ck_assert_int_eq(status, 201);
    for (int round = 0; round < 2; round++) {
        char *s = round ? sb : sa, *id = NULL, *sms, *code;
        ck_assert_int_eq(sec_scan(s, &id), 201);
        snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
        ck_assert_int_eq(sec_status("POST", path, s, "{\"purpose\":\"identity\"}"), 202);
        sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check");
        code = tu_desk_code_of(sms);
        snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
        for (int t = 0; t < 5; t++) {
            char body[64];
            snprintf(body, sizeof(body), "{\"code\":\"%06d\"}", (atoi(code) + 1 + t) % 1000000);
            j = tu_http(&d, "POST", path, s, body, &status);
            const char *res = json_string_value(json_object_get(j, "result"));
            ck_assert_ptr_nonnull(res);
            if (t < 4)
                ck_assert_msg(status == 422 && strcmp(res, "wrong") == 0, "round %d try %d: %d %s",
                              round, t, status, res);
            else
                ck_assert_msg(status == 422 || status == 423, "round %d: %d %s", round, status,
                              res);
            json_decref(j);
        }
        /* The right code is dead now too. */
        snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
        char body[64];
        snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
        ck_assert_int_ne(sec_status("POST", path, s, body), 200);
        free(sms);
        free(code);
        free(id);
    }
    /* After ten failures the citizen is locked out of codes at every office. */
    char *id = NULL;
    ck_assert_int_eq(sec_scan(sa, &id), 201);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    ck_assert_int_eq(sec_status("POST", path, sa, "{\"purpose\":\"identity\"}"), 423);
    free(id);
    free(sa);
    free(sb);
}
END_TEST

/* Single-character and single-bit changes of a real token are all refused at scan. */
START_TEST(test_altered_tokens_refused)
{
    static const char b45[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    int status, tried = 0;

    tu_desk_world_start(&w, &d,
                        "rate_per_desk = 100000\nburst_per_desk = 100000\n"
                        "rate_per_address = 100000\nburst_per_address = 100000\n");
    char *s = sec_signin_a();
    size_t len = strlen(w.qr);
    for (size_t i = 0; i < len; i++) {
        for (int kind = 0; kind < 2; kind++) {
            char *t = strdup(w.qr);
            if (kind == 0) {
                const char *p = strchr(b45, t[i]);
                t[i] = p && p[1] ? p[1] : b45[0];
            } else {
                t[i] ^= (char)(1 << (i % 7));
            }
            /* A letter's case flipped is what a Caps Lock scanner types: the
               same token (Base45 has no lower case; kp1_text_normalise), accepted
               by test_desk_keeps_the_check (check_desk_dead_ends.c). */
            int case_only = t[i] >= 'a' && t[i] <= 'z' && t[i] - 'a' + 'A' == w.qr[i];
            if (t[i] < 0x21 || t[i] > 0x7e || strcmp(t, w.qr) == 0 || case_only) {
                free(t);
                continue;
            }
            json_t *body = json_pack("{s:s}", "token", t);
            char *text = json_dumps(body, JSON_COMPACT);
            json_t *j = tu_http(&d, "POST", "/v1/verifications", s, text, &status);
            ck_assert_msg(status == 422, "altered at %zu (%s): %d", i, t, status);
            json_decref(j);
            json_decref(body);
            free(text);
            free(t);
            tried++;
        }
    }
    ck_assert_int_ge(tried, 200);
    ck_assert_int_eq(tu_sql_int(sec_db(), "SELECT count(*) FROM verification"), 1);
    free(s);
}
END_TEST

START_TEST(test_pin_lockout_holds)
{
    int status;

    tu_desk_world_start(&w, &d, NULL);
    /* pin_failures = 3 (the world's configuration). */
    for (int i = 0; i < 3; i++) {
        free(tu_desk_signin(&d, w.token_a, "PSH-0042", "1357", &status));
        ck_assert_int_eq(status, i < 2 ? 401 : 423);
    }
    free(tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status));
    ck_assert_int_eq(status, 423);
}
END_TEST

Suite *suite_sec_desk(void)
{
    Suite *s = suite_create("sec_desk");
    TCase *tc = tcase_create("desk");

    tcase_add_checked_fixture(tc, NULL, sec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_desk_revoked_mid_session);
    tcase_add_test(tc, test_staff_locked_mid_session);
    tcase_add_test(tc, test_pin_changed_mid_session);
    tcase_add_test(tc, test_staff_removed_mid_session);
    tcase_add_test(tc, test_signout);
    tcase_add_test(tc, test_desk_program_signs_out);
    tcase_add_test(tc, test_revoked_after_scan);
    tcase_add_test(tc, test_blocked_citizen_after_scan);
    tcase_add_test(tc, test_verification_expires);
    tcase_add_test(tc, test_key_retired_live);
    tcase_add_test(tc, test_key_retired_daemon_down);
    tcase_add_test(tc, test_cli_confirms_live);
    tcase_add_test(tc, test_brute_force_across_offices);
    tcase_add_test(tc, test_altered_tokens_refused);
    tcase_add_test(tc, test_pin_lockout_holds);
    suite_add_tcase(s, tc);
    return s;
}
