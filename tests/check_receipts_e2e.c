/* SPDX-License-Identifier: ISC */
/*
 * Receipts looked up by id, end to end (issue 11): a verification at desk
 * A through the real kpassd, then GET /v1/receipts/{id} (the desk's own
 * office only: another office 403, no session 401, an unknown id 404) and
 * `kpass receipt show ID` (who, where, when, purpose, the signed KPR1
 * text, the signature's verdict).  A receipt altered in the database, and
 * one whose text was not kept, are not called valid.  Every lookup is in
 * the audit log; nothing shown holds a full CNIC or number.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static struct tu_daemon d;
static struct tu_desk_world w;

static void rc_teardown(void)
{
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

static const char *rc_db(void)
{
    static char path[600];

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    return path;
}

/* Run SQL on the database while kpassd has it open (waits for its lock). */
static void rc_sql(const char *sql)
{
    char *argv[] = {strdup("/usr/bin/sqlite3"),
                    strdup("-cmd"),
                    strdup(".timeout 5000"),
                    strdup(rc_db()),
                    strdup(sql),
                    NULL};
    char *out = NULL;
    int rc = tu_run(argv, NULL, &out, 10000);

    ck_assert_msg(rc == 0, "sqlite3: %s", out ? out : "");
    free(out);
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
}

static long long rc_audit(const char *event)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE event = '%s'", event);
    return tu_sql_int(rc_db(), sql);
}

/* Verify the world's citizen at desk A; the receipt id and text (malloc'd). */
static void rc_verify(const char *session, char **rid, char **text)
{
    char path[128], body[64];
    int status;
    json_t *j;

    char *id = tu_desk_scan(&d, session, w.qr, &status, NULL);
    ck_assert_int_eq(status, 201);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    json_decref(tu_http(&d, "POST", path, session, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    char *sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check");
    char *code = tu_desk_code_of(sms);
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    snprintf(body, sizeof(body), "{\"code\":\"%s\",\"biometric\":\"match\"}", code);
    j = tu_http(&d, "POST", path, session, body, &status);
    ck_assert_int_eq(status, 200);
    *rid = strdup(tu_js(j, "receipt_id"));
    *text = strdup(tu_js(j, "receipt"));
    json_decref(j);
    free(sms);
    free(code);
    free(id);
}

/* kpass receipt show rid: its exit status; the output (malloc'd, checked masked) in *out. */
static int rc_show(const char *rid, char **out)
{
    return tu_kpass_masked(&d, NULL, out, "receipt", "show", rid, NULL);
}

START_TEST(test_receipt_lookup)
{
    char path[64], *rid, *text, *out = NULL, want[256];
    int status;
    json_t *j;

    tu_desk_world_start(&w, &d, NULL);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    char *sb = tu_desk_signin(&d, w.token_b, "MRD-0007", "7391", &status);
    ck_assert_int_eq(status, 201);
    rc_verify(sa, &rid, &text);
    snprintf(path, sizeof(path), "/v1/receipts/%s", rid);

    /* The desk's own office: who, where, when, for what, the text, valid. */
    j = tu_http(&d, "GET", path, sa, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(j, "receipt_id"), rid);
    ck_assert_str_eq(tu_js(j, "receipt"), text);
    ck_assert_str_eq(tu_js(j, "signature"), "valid");
    ck_assert_str_eq(tu_js(j, "purpose"), "identity");
    ck_assert_str_eq(tu_js(j, "desk"), "PSHEX1-1");
    ck_assert_str_eq(tu_js(j, "staff"), "PSH-0042");
    ck_assert_str_eq(tu_js(j, "biometric"), "match");
    ck_assert_str_eq(tu_js(json_object_get(j, "office"), "code"), "PSHEX1");
    ck_assert_str_eq(tu_js(json_object_get(j, "citizen"), "cnic"), "*****-****002-2");
    ck_assert_str_eq(tu_js(json_object_get(j, "citizen"), "name"), "Ayesha Bibi");
    ck_assert_int_gt(json_integer_value(json_object_get(j, "verified_at")), 0);
    json_decref(j);
    ck_assert_int_eq(rc_audit("receipt.viewed"), 1);
    /* Another office, no session, an unknown id, not an id. */
    j = tu_http(&d, "GET", path, sb, NULL, &status);
    ck_assert_int_eq(status, 403);
    ck_assert_ptr_null(json_object_get(j, "receipt"));
    json_decref(j);
    ck_assert_int_eq(rc_audit("receipt.refused"), 1);
    json_decref(tu_http(&d, "GET", path, NULL, NULL, &status));
    ck_assert_int_eq(status, 401);
    json_decref(tu_http(&d, "GET", "/v1/receipts/AAAAAAAAAA", sa, NULL, &status));
    ck_assert_int_eq(status, 404);
    json_decref(tu_http(&d, "GET", "/v1/receipts/a1", sa, NULL, &status));
    ck_assert_int_eq(status, 404);
    ck_assert_int_eq(rc_audit("receipt.viewed"), 1);

    /* kpass receipt show: the same, on the database, exit 0. */
    ck_assert_int_eq(rc_show(rid, &out), 0);
    snprintf(want, sizeof(want), "receipt:      %s\n", rid);
    ck_assert_ptr_nonnull(strstr(out, want));
    ck_assert_ptr_nonnull(strstr(out, "signature:    valid: signed by a trusted key"));
    ck_assert_ptr_nonnull(strstr(out, "(active)\n"));
    ck_assert_ptr_nonnull(strstr(out, "who:          Ayesha Bibi, CNIC *****-****002-2"));
    ck_assert_ptr_nonnull(strstr(out, "(PSHEX1), desk PSHEX1-1, staff PSH-0042\n"));
    ck_assert_ptr_nonnull(strstr(out, "when:         20"));
    ck_assert_ptr_nonnull(strstr(out, "purpose:      identity (identity check)\n"));
    snprintf(want, sizeof(want), "text:         %s\n", text);
    ck_assert_ptr_nonnull(strstr(out, want));
    free(out);
    ck_assert_int_eq(rc_audit("receipt.viewed"), 2);
    ck_assert_int_eq(rc_show("AAAAAAAAAA", &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "no receipt AAAAAAAAAA"));
    free(out);

    /* One character of the kept signature changed: not valid, anywhere. */
    rc_sql("UPDATE verification SET receipt = substr(receipt, 1, 100) || "
           "CASE substr(receipt, 101, 1) WHEN 'A' THEN 'B' ELSE 'A' END || "
           "substr(receipt, 102) WHERE receipt != ''");
    ck_assert_int_eq(rc_show(rid, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "signature:    NOT VALID: the signature does not verify"));
    free(out);
    j = tu_http(&d, "GET", path, sa, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(tu_js(j, "signature"), "bad_signature");
    json_decref(j);
    /* A receipt from before the text was kept. */
    rc_sql("UPDATE verification SET receipt = ''");
    ck_assert_int_eq(rc_show(rid, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "not checked: the signed text was not kept"));
    free(out);
    j = tu_http(&d, "GET", path, sa, NULL, &status);
    ck_assert_str_eq(tu_js(j, "signature"), "not_kept");
    json_decref(j);
    ck_assert_int_eq(rc_show("x", &out), 1);
    free(out);
    out = tu_kpass_ok(&d, NULL, "audit", "verify", NULL);
    ck_assert_ptr_nonnull(strstr(out, "chain intact"));
    free(out);
    free(rid);
    free(text);
    free(sa);
    free(sb);
}
END_TEST

Suite *suite_receipts_e2e(void)
{
    Suite *s = suite_create("receipts_e2e");
    TCase *tc = tcase_create("e2e");

    tcase_add_checked_fixture(tc, NULL, rc_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_receipt_lookup);
    suite_add_tcase(s, tc);
    return s;
}
