/* SPDX-License-Identifier: ISC */
/*
 * store/limits.h and the code counters of store/otp.h on both backends
 * (KP_TEST_STORE): each count is one statement whose answer is the count
 * after it, so that nodes counting on one row never lose a count.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/store/limits.h"
#include "kpass/store/otp.h"
#include "testutil.h"

static struct store *st;
static char *dir;

static void limits_setup(void)
{
    char path[512];

    dir = tu_tmpdir("limits");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
}

static void limits_teardown(void)
{
    store_close(st);
    st = NULL;
    free(dir);
}

/* Places taken and given back within a window; a new window after 60 s. */
START_TEST(test_bind_failure_window)
{
    const int64_t t0 = 1795737600000;
    unsigned n;
    int64_t w, w0;

    for (unsigned i = 1; i <= 3; i++) {
        ck_assert_int_eq(store_bind_failure_take(st, "127.0.0.1", t0 + i, 60000, &n, &w), 0);
        ck_assert_uint_eq(n, i);
        ck_assert_int_eq(w, t0 + 1); /* the window starts at its first attempt */
    }
    w0 = w;
    /* a bind that did not fail gives its place back */
    ck_assert_int_eq(store_bind_failure_give(st, "127.0.0.1", w0), 0);
    ck_assert_int_eq(store_bind_failure_take(st, "127.0.0.1", t0 + 10, 60000, &n, &w), 0);
    ck_assert_uint_eq(n, 3);
    /* another address has its own count */
    ck_assert_int_eq(store_bind_failure_take(st, "::1", t0 + 10, 60000, &n, &w), 0);
    ck_assert_uint_eq(n, 1);
    /* the minute is over: a new window, counted from 1 */
    ck_assert_int_eq(store_bind_failure_take(st, "127.0.0.1", t0 + 60001, 60000, &n, &w), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(w, t0 + 60001);
    /* a place of the old window given back late changes nothing */
    ck_assert_int_eq(store_bind_failure_give(st, "127.0.0.1", w0), 0);
    ck_assert_int_eq(store_bind_failure_take(st, "127.0.0.1", t0 + 60002, 60000, &n, &w), 0);
    ck_assert_uint_eq(n, 2);
}
END_TEST

/* Wrong tries counted on the row: the fifth kills the code, a sixth is
   told what the code became; a consumed code counts nothing. */
START_TEST(test_otp_wrong_counts)
{
    struct store_otp p;
    unsigned tries = 0;

    memset(&p, 0, sizeof(p));
    p.citizen_id = 7;
    snprintf(p.purpose, sizeof(p.purpose), "identity");
    snprintf(p.msisdn, sizeof(p.msisdn), "+923001234567");
    p.issued_at = 1795737600;
    p.expires_at = p.issued_at + 300;
    ck_assert_int_eq(store_otp_insert(st, &p), 0);
    for (unsigned i = 1; i <= 5; i++) {
        ck_assert_int_eq(store_otp_wrong(st, p.id, 5, &tries), 0);
        ck_assert_uint_eq(tries, i);
    }
    ck_assert_int_eq(store_otp_wrong(st, p.id, 5, &tries), -KP_ERR_LIMIT);
    ck_assert_int_eq(store_otp_consume(st, p.id), -KP_ERR_USED);
    ck_assert_int_eq(store_otp_gone(st, p.id), -KP_ERR_LIMIT);

    /* a new code supersedes the dead one; consumed, it takes no wrong try */
    ck_assert_int_eq(store_otp_insert(st, &p), 0);
    ck_assert_int_eq(store_otp_consume(st, p.id), 0);
    ck_assert_int_eq(store_otp_wrong(st, p.id, 5, &tries), -KP_ERR_USED);
}
END_TEST

/* The citizen's record: counted by the upsert, a lockout started on it,
   cleared by a success only when no lockout is in force. */
START_TEST(test_otp_lock_counts)
{
    struct otp_lock l;
    const int64_t now = 1795737600;

    for (unsigned i = 1; i <= 3; i++) {
        ck_assert_int_eq(store_otp_lock_fail(st, 9, &l), 0);
        ck_assert_uint_eq(l.failures, i);
        ck_assert_uint_eq(l.lockouts, 0);
    }
    ck_assert_int_eq(store_otp_lock_start(st, 9, now + 3600), 0);
    ck_assert_int_eq(store_otp_lock_get(st, 9, &l), 0);
    ck_assert_uint_eq(l.failures, 0);
    ck_assert_uint_eq(l.lockouts, 1);
    ck_assert_int_eq(l.locked_until, now + 3600);
    /* a success while locked out clears nothing */
    ck_assert_int_eq(store_otp_lock_clear(st, 9, now), 0);
    ck_assert_int_eq(store_otp_lock_get(st, 9, &l), 0);
    ck_assert_uint_eq(l.lockouts, 1);
    /* after it, everything */
    ck_assert_int_eq(store_otp_lock_clear(st, 9, now + 3600), 0);
    ck_assert_int_eq(store_otp_lock_get(st, 9, &l), 0);
    ck_assert_uint_eq(l.lockouts, 0);
    ck_assert_int_eq(l.locked_until, 0);
}
END_TEST

Suite *suite_limits_store(void)
{
    Suite *s = suite_create("limits_store");
    TCase *tc = tcase_create("counts");

    tcase_add_checked_fixture(tc, limits_setup, limits_teardown);
    tcase_add_test(tc, test_bind_failure_window);
    tcase_add_test(tc, test_otp_wrong_counts);
    tcase_add_test(tc, test_otp_lock_counts);
    suite_add_tcase(s, tc);
    return s;
}
