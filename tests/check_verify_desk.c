/* SPDX-License-Identifier: ISC */
/*
 * The desk verification workflow's table (verify/desk.c): which events
 * each state allows, written out here independently of the table; that
 * verify_desk_apply writes the state, the event's fields and the audit
 * row the table names; that it refuses, writing nothing, what the table
 * lacks; and when a verification is overdue.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/id/cnic.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/verification.h"
#include "kpass/verify/desk.h"
#include "testutil.h"

#define T0 1735689600 /* 2025-01-01T00:00:00Z */

static char *dir;
static struct store *st;
static struct registry *reg; /* over st */
static uint8_t ckey[CNIC_KEY_BYTES], akey[AUDIT_KEY_BYTES];
static struct store_citizen ahmad;

static void vd_setup(void)
{
    char path[512];

    dir = tu_tmpdir("vdesk");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(ckey, sizeof(ckey));
    randombytes_buf(akey, sizeof(akey));
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    reg = registry_new(st);
    ck_assert_int_eq(registry_use_key(reg, ckey), 0);
    audit_use_key(st, akey);
    memset(&ahmad, 0, sizeof(ahmad));
    snprintf(ahmad.name_en, sizeof(ahmad.name_en), "%s", "Ahmad Khan");
    snprintf(ahmad.name_ur, sizeof(ahmad.name_ur), "%s", "احمد");
    snprintf(ahmad.district, sizeof(ahmad.district), "%s", "PSH");
    ck_assert_int_eq(registry_citizen_add(reg, "3520212345671", &ahmad, "kpass", T0), 0);
}

static void vd_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    registry_free(reg);
    reg = NULL;
    store_close(st);
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

/* The audit rows named event, newest first (at most 10). */
static int vd_audit(const char *event, struct store_audit_row **rows)
{
    struct store_audit_filter f = {.event = event, .limit = 10};

    return store_audit_list(st, &f, rows);
}

static int vd_audit_count(void)
{
    struct store_audit_row *rows;
    struct store_audit_filter f = {.limit = 10000};
    int n = store_audit_list(st, &f, &rows);

    free(rows);
    return n;
}

static void vd_new(struct store_verification *v)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->id, sizeof(v->id), "%s", "00112233445566778899aabbccddeeff");
    snprintf(v->office, sizeof(v->office), "%s", "PSH-01");
    snprintf(v->desk, sizeof(v->desk), "%s", "d1");
    snprintf(v->staff, sizeof(v->staff), "%s", "s1");
    snprintf(v->serial, sizeof(v->serial), "%s", "0a1b2c3d4e5f60718293a4b5");
    v->citizen_id = ahmad.id;
}

/* The workflow as doc/http-api.md describes it, one row per state. */
static const struct {
    int state;
    unsigned allowed; /* bit per event */
} allow_cases[] = {
    {VERIFY_DESK_NEW, 1u << VERIFY_DESK_SCAN},
    {STORE_VERIF_SCANNED,
     1u << VERIFY_DESK_SEND_CODE | 1u << VERIFY_DESK_CREDENTIAL_REFUSED | 1u << VERIFY_DESK_EXPIRE},
    {STORE_VERIF_CODE_SENT, 1u << VERIFY_DESK_SEND_CODE | 1u << VERIFY_DESK_CONFIRM_OK |
                                1u << VERIFY_DESK_CONFIRM_DEAD |
                                1u << VERIFY_DESK_CREDENTIAL_REFUSED | 1u << VERIFY_DESK_EXPIRE |
                                1u << VERIFY_DESK_CODE_VOID},
    {STORE_VERIF_VERIFIED, 0},
    {STORE_VERIF_FAILED, 0},
    {STORE_VERIF_EXPIRED, 0},
};

START_TEST(test_allows)
{
    for (int ev = 0; ev < VERIFY_DESK_EVENT_MAX; ev++)
        ck_assert_msg(verify_desk_allows(allow_cases[_i].state, (enum verify_desk_event)ev) ==
                          (int)((allow_cases[_i].allowed >> ev) & 1),
                      "state %d event %s", allow_cases[_i].state,
                      verify_desk_event_name((enum verify_desk_event)ev));
}
END_TEST

START_TEST(test_walk)
{
    struct store_verification v, got;
    struct store_audit_row *rows;
    struct verify_desk_step scan = {.actor = "desk:d1", .detail = "verification=00112233"};
    struct verify_desk_step code = {.purpose = "land"};
    struct verify_desk_step ok = {.actor = "desk:d1",
                                  .detail = "receipt=r1",
                                  .receipt_id = "ABCDEFGHJK",
                                  .biometric = "match",
                                  .office_name = "Peshawar",
                                  .helpline = "1234"};

    vd_new(&v);
    ck_assert_int_eq(verify_desk_apply(st, &v, &ahmad, VERIFY_DESK_SCAN, &scan, T0), 0);
    ck_assert_int_eq(v.state, STORE_VERIF_SCANNED);
    ck_assert_int_eq(v.created_at, T0);
    ck_assert_int_eq(store_verification_get(st, v.id, &got), 0);
    ck_assert_int_eq(got.state, STORE_VERIF_SCANNED);
    ck_assert_int_eq(vd_audit("desk.scan", &rows), 1);
    ck_assert_str_eq(rows[0].actor, "desk:d1");
    ck_assert(rows[0].has_subject && memcmp(rows[0].subject, ahmad.cnic_index, 32) == 0);
    free(rows);

    ck_assert_int_eq(verify_desk_apply(st, &v, &ahmad, VERIFY_DESK_SEND_CODE, &code, T0 + 5), 0);
    ck_assert_int_eq(store_verification_get(st, v.id, &got), 0);
    ck_assert_int_eq(got.state, STORE_VERIF_CODE_SENT);
    ck_assert_str_eq(got.purpose, "land");
    ck_assert_int_eq(got.updated_at, T0 + 5);

    /* The code dies (or expires): back to waiting for one, nothing audited here. */
    int audits = vd_audit_count();
    ck_assert_int_eq(verify_desk_apply(st, &v, NULL, VERIFY_DESK_CODE_VOID, &code, T0 + 6), 0);
    ck_assert_int_eq(store_verification_get(st, v.id, &got), 0);
    ck_assert_int_eq(got.state, STORE_VERIF_SCANNED);
    ck_assert_str_eq(got.purpose, "land");
    ck_assert_int_eq(vd_audit_count(), audits);
    ck_assert_int_eq(verify_desk_apply(st, &v, &ahmad, VERIFY_DESK_SEND_CODE, &code, T0 + 7), 0);
    ck_assert_int_eq(v.state, STORE_VERIF_CODE_SENT);

    ck_assert_int_eq(verify_desk_apply(st, &v, &ahmad, VERIFY_DESK_CONFIRM_OK, &ok, T0 + 9), 0);
    ck_assert_int_eq(store_verification_get(st, v.id, &got), 0);
    ck_assert_int_eq(got.state, STORE_VERIF_VERIFIED);
    ck_assert_str_eq(got.receipt_id, "ABCDEFGHJK");
    ck_assert_str_eq(got.biometric, "match");
    ck_assert_int_eq(vd_audit("desk.verified", &rows), 1);
    ck_assert_str_eq(rows[0].detail, "receipt=r1");
    free(rows);
}
END_TEST

/* A finished verification takes no event: refused, nothing written, *v as it was. */
START_TEST(test_refused)
{
    struct store_verification v, before, got;
    struct verify_desk_step scan = {.actor = "desk:d1", .detail = "verification=00112233"};
    struct verify_desk_step none = {.actor = "desk:d1", .detail = "x", .purpose = "land"};
    int audits;

    vd_new(&v);
    ck_assert_int_eq(verify_desk_apply(st, &v, &ahmad, VERIFY_DESK_SCAN, &scan, T0), 0);
    ck_assert_int_eq(verify_desk_apply(st, &v, NULL, VERIFY_DESK_CREDENTIAL_REFUSED, &none, T0 + 1),
                     0);
    ck_assert_int_eq(v.state, STORE_VERIF_FAILED);
    audits = vd_audit_count();
    before = v;
    for (int ev = VERIFY_DESK_SEND_CODE; ev < VERIFY_DESK_EVENT_MAX; ev++)
        ck_assert_int_eq(
            verify_desk_apply(st, &v, &ahmad, (enum verify_desk_event)ev, &none, T0 + 2),
            -KP_ERR_STATE);
    ck_assert(memcmp(&v, &before, sizeof(v)) == 0);
    ck_assert_int_eq(store_verification_get(st, v.id, &got), 0);
    ck_assert_int_eq(got.state, STORE_VERIF_FAILED);
    ck_assert_int_eq(got.updated_at, T0 + 1);
    ck_assert_int_eq(vd_audit_count(), audits);
    /* A step that writes an audit row needs its subject. */
    vd_new(&v);
    v.id[0] = 'f';
    ck_assert_int_eq(verify_desk_apply(st, &v, NULL, VERIFY_DESK_SCAN, &scan, T0), -KP_ERR_STATE);
    ck_assert_int_eq(store_verification_get(st, v.id, &got), -KP_ERR_NOTFOUND);
}
END_TEST

START_TEST(test_overdue)
{
    struct store_verification v;

    vd_new(&v);
    v.created_at = T0;
    v.state = STORE_VERIF_SCANNED;
    ck_assert(!verify_desk_overdue(&v, 600, T0 + 599));
    ck_assert(verify_desk_overdue(&v, 600, T0 + 600));
    v.state = STORE_VERIF_CODE_SENT;
    ck_assert(verify_desk_overdue(&v, 600, T0 + 601));
    v.state = STORE_VERIF_VERIFIED;
    ck_assert(!verify_desk_overdue(&v, 600, T0 + 6000));
    v.state = STORE_VERIF_EXPIRED;
    ck_assert(!verify_desk_overdue(&v, 600, T0 + 6000));
}
END_TEST

Suite *suite_verify_desk(void)
{
    Suite *s = suite_create("verify_desk");
    TCase *tc = tcase_create("table");

    if (sodium_init() < 0)
        return s;
    tcase_add_checked_fixture(tc, vd_setup, vd_teardown);
    tcase_add_loop_test(tc, test_allows, 0, (int)KP_ARRAY_LEN(allow_cases));
    tcase_add_test(tc, test_walk);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_overdue);
    suite_add_tcase(s, tc);
    return s;
}
