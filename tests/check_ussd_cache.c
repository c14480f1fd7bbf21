/* SPDX-License-Identifier: ISC */
/*
 * ussd: the dialogs the loop holds (src/ussd/dialog_cache.c).  Written
 * only by the store's before-commit hook, in multi-row statements, inside
 * the group transaction; read back from memory; deletions and misses; the
 * bound on entries.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ussd/dialog_cache.h"
#include "kpass/core/err.h"
#include "kpass/store/dialog.h"
#include "kpass/store/partner.h"
#include "kpass/store/store.h"
#include "testutil.h"

static char *dir;
static char path[512];
static struct store *st;
static int64_t pid;

static void cache_setup(void)
{
    struct store_partner p;

    dir = tu_tmpdir("ussdcache");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    memset(&p, 0, sizeof(p));
    strcpy(p.system_id, "gw1");
    strcpy(p.mode, "server");
    strcpy(p.pwhash, "x");
    ck_assert_int_eq(store_partner_add(st, &p), 0);
    pid = p.id;
    store_group_mode(st, 1);
}

static void cache_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    store_close(st);
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

static void cache_dialog(struct store_dialog *d, int i, const uint8_t *state, size_t n)
{
    memset(d, 0, sizeof(*d));
    d->partner_id = pid;
    snprintf(d->key, sizeof(d->key), "k%d", i);
    snprintf(d->msisdn, sizeof(d->msisdn), "9230000%05d", i);
    strcpy(d->version, "v1");
    strcpy(d->screen, "main");
    strcpy(d->lang, "en");
    d->resumable = 1;
    d->started_at = 1000;
    d->updated_at = 1000 + i;
    d->state = state;
    d->state_len = n;
}

static long long cache_rows(void)
{
    return tu_sql_int(path, "SELECT count(*) FROM dialog");
}

/* 40 dialogs: nothing written before the commit, then 32 + 8 rows in two
   statements (plus COMMIT), each with its state. */
START_TEST(test_cache_written_at_commit)
{
    struct ussd_cache c;
    struct store_dialog d, got;
    uint8_t state[3] = {1, 2, 3};
    uint64_t q0;
    struct kp_buf buf = {0};

    ussd_cache_init(&c, st, 0);
    ck_assert_int_eq(store_batch(st), 0);
    for (int i = 0; i < 40; i++) {
        state[0] = (uint8_t)i;
        cache_dialog(&d, i, state, sizeof(state));
        ussd_cache_put(&c, &d);
    }
    ck_assert_int_eq(cache_rows(), 0);
    q0 = store_commit_stats(st)->statements;
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_uint_eq(store_commit_stats(st)->statements - q0, 3);
    ck_assert_int_eq(cache_rows(), 40);
    ck_assert_int_eq(store_dialog_get(st, pid, "k17", &got, &buf), 0);
    ck_assert_uint_eq(got.state_len, 3);
    ck_assert_uint_eq(got.state[0], 17);
    ck_assert_str_eq(got.msisdn, "923000000017");
    /* Held: read back without the database. */
    q0 = store_commit_stats(st)->statements;
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k17", &got), USSD_CACHE_HELD);
    ck_assert_uint_eq(got.state[0], 17);
    ck_assert_uint_eq(store_commit_stats(st)->statements, q0);
    kp_buf_free(&buf);
    ussd_cache_free(&c);
}
END_TEST

START_TEST(test_cache_delete)
{
    struct ussd_cache c;
    struct store_dialog d, got;
    uint8_t state[1] = {9};

    ussd_cache_init(&c, st, 0);
    store_batch(st);
    cache_dialog(&d, 1, state, 1);
    ussd_cache_put(&c, &d);
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_int_eq(cache_rows(), 1);
    store_batch(st);
    ussd_cache_delete(&c, pid, "k1");
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k1", &got), USSD_CACHE_GONE);
    ck_assert_int_eq(cache_rows(), 1); /* not before the commit */
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_int_eq(cache_rows(), 0);
    /* Deleted and forgotten: the next question goes to the database. */
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k1", &got), USSD_CACHE_UNKNOWN);
    /* A deletion then a write in one pass: the write wins. */
    store_batch(st);
    ussd_cache_delete(&c, pid, "k1");
    ussd_cache_put(&c, &d);
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_int_eq(cache_rows(), 1);
    ussd_cache_free(&c);
}
END_TEST

START_TEST(test_cache_pending_msisdn)
{
    struct ussd_cache c;
    struct store_dialog d;
    uint8_t state[1] = {0};

    ussd_cache_init(&c, st, 0);
    store_batch(st);
    cache_dialog(&d, 5, state, 1);
    ussd_cache_put(&c, &d);
    ck_assert(ussd_cache_pending_msisdn(&c, pid, "923000000005"));
    ck_assert(!ussd_cache_pending_msisdn(&c, pid, "923000000006"));
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert(!ussd_cache_pending_msisdn(&c, pid, "923000000005"));
    /* A deletion of a dialog never held: its number is unknown, so any. */
    store_batch(st);
    ussd_cache_delete(&c, pid, "never-seen");
    ck_assert(ussd_cache_pending_msisdn(&c, pid, "923000000006"));
    ck_assert_int_eq(store_flush(st), 0);
    ussd_cache_free(&c);
}
END_TEST

START_TEST(test_cache_bounded)
{
    struct ussd_cache c;
    struct store_dialog d, got;
    uint8_t state[1] = {0};

    ussd_cache_init(&c, st, 4);
    store_batch(st);
    for (int i = 0; i < 10; i++) {
        cache_dialog(&d, i, state, 1);
        ussd_cache_put(&c, &d);
        ck_assert_uint_le(c.count, 4);
    }
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_int_eq(cache_rows(), 10); /* evicted ones were written first */
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k0", &got), USSD_CACHE_UNKNOWN);
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k9", &got), USSD_CACHE_HELD);
    /* Reaped: clean entries older than the bound are forgotten. */
    ussd_cache_reap(&c, 1000 + 10);
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k9", &got), USSD_CACHE_UNKNOWN);
    ussd_cache_free(&c);
}
END_TEST

/* Deletions go in multi-row statements too: 40 in two (32 + 8). */
START_TEST(test_cache_deletes_batched)
{
    struct ussd_cache c;
    struct store_dialog d;
    uint8_t state[1] = {0};
    uint64_t q0;

    ussd_cache_init(&c, st, 0);
    store_batch(st);
    for (int i = 0; i < 41; i++) {
        cache_dialog(&d, i, state, 1);
        ussd_cache_put(&c, &d);
    }
    ck_assert_int_eq(store_flush(st), 0);
    store_batch(st);
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        ussd_cache_delete(&c, pid, key);
    }
    q0 = store_commit_stats(st)->statements;
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_uint_eq(store_commit_stats(st)->statements - q0, 3); /* and COMMIT */
    ck_assert_int_eq(cache_rows(), 1);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM dialog WHERE session_key = 'k40'"), 1);
    ussd_cache_free(&c);
}
END_TEST

/* The one dialog a number has: known once said, unsaid by a write or a read
   of another of its dialogs, "none" once that one is deleted; per partner. */
START_TEST(test_cache_sole)
{
    struct ussd_cache c;
    struct store_dialog d;
    uint8_t state[1] = {0};
    const char *k;

    ussd_cache_init(&c, st, 0);
    cache_dialog(&d, 1, state, 1); /* k1 of 923000000001 */
    ck_assert_ptr_null(ussd_cache_sole(&c, pid, d.msisdn));
    store_batch(st);
    ussd_cache_sole_set(&c, pid, d.msisdn, "k1");
    ck_assert_ptr_null(ussd_cache_sole(&c, pid + 1, d.msisdn));
    ussd_cache_put(&c, &d); /* its own dialog: still the only one */
    ck_assert_ptr_nonnull(k = ussd_cache_sole(&c, pid, d.msisdn));
    ck_assert_str_eq(k, "k1");
    ck_assert_int_eq(store_flush(st), 0);
    /* another dialog of the number written: not known any more */
    store_batch(st);
    strcpy(d.key, "k1b");
    ussd_cache_put(&c, &d);
    ck_assert_ptr_null(ussd_cache_sole(&c, pid, d.msisdn));
    ck_assert_int_eq(store_flush(st), 0);
    /* nor after a read of another one */
    ussd_cache_sole_set(&c, pid, d.msisdn, "k1");
    strcpy(d.key, "k1c");
    ussd_cache_load(&c, &d);
    ck_assert_ptr_null(ussd_cache_sole(&c, pid, d.msisdn));
    /* deleted: the number has none */
    ussd_cache_sole_set(&c, pid, d.msisdn, "k1");
    store_batch(st);
    ussd_cache_delete(&c, pid, "k1");
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_ptr_nonnull(k = ussd_cache_sole(&c, pid, d.msisdn));
    ck_assert_str_eq(k, "");
    ussd_cache_sole_drop(&c, pid, d.msisdn);
    ck_assert_ptr_null(ussd_cache_sole(&c, pid, d.msisdn));
    ussd_cache_free(&c);
}
END_TEST

/* Forgetting a number lets its dialogs go, pending writes too: nothing of
   it is written at the commit (the caller deleted its rows by number). */
START_TEST(test_cache_forget)
{
    struct ussd_cache c;
    struct store_dialog d, got;
    uint8_t state[1] = {0};

    ussd_cache_init(&c, st, 0);
    store_batch(st);
    cache_dialog(&d, 1, state, 1);
    ussd_cache_put(&c, &d);
    ck_assert_int_eq(store_flush(st), 0);
    store_batch(st);
    strcpy(d.key, "k1b");
    ussd_cache_put(&c, &d);
    cache_dialog(&d, 2, state, 1);
    ussd_cache_put(&c, &d);
    ussd_cache_forget(&c, pid, "923000000001");
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k1", &got), USSD_CACHE_UNKNOWN);
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k1b", &got), USSD_CACHE_UNKNOWN);
    ck_assert_int_eq(store_dialog_forget(st, pid, "923000000001"), 0);
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_int_eq(cache_rows(), 1); /* k2 only */
    ck_assert_int_eq(ussd_cache_find(&c, pid, "k2", &got), USSD_CACHE_HELD);
    ussd_cache_free(&c);
}
END_TEST

/* Languages by number: unknown until read or written, "" for none. */
START_TEST(test_cache_lang)
{
    struct ussd_cache c;
    char lang[STORE_LANG_SIZE];

    ussd_cache_init(&c, st, 0);
    ck_assert_int_eq(ussd_cache_lang(&c, "+923000000001", lang), 0);
    ussd_cache_lang_set(&c, "+923000000001", "");
    ck_assert_int_eq(ussd_cache_lang(&c, "+923000000001", lang), 1);
    ck_assert_str_eq(lang, "");
    ussd_cache_lang_set(&c, "+923000000001", "ur");
    ck_assert_int_eq(ussd_cache_lang(&c, "+923000000001", lang), 1);
    ck_assert_str_eq(lang, "ur");
    ck_assert_int_eq(ussd_cache_lang(&c, "+923000000002", lang), 0);
    ussd_cache_free(&c);
}
END_TEST

Suite *suite_ussd_cache(void);
Suite *suite_ussd_cache(void)
{
    Suite *s = suite_create("ussd_cache");
    TCase *tc = tcase_create("cache");

    tcase_add_checked_fixture(tc, cache_setup, cache_teardown);
    tcase_add_test(tc, test_cache_written_at_commit);
    tcase_add_test(tc, test_cache_delete);
    tcase_add_test(tc, test_cache_pending_msisdn);
    tcase_add_test(tc, test_cache_bounded);
    tcase_add_test(tc, test_cache_deletes_batched);
    tcase_add_test(tc, test_cache_sole);
    tcase_add_test(tc, test_cache_forget);
    tcase_add_test(tc, test_cache_lang);
    suite_add_tcase(s, tc);
    return s;
}
