/* SPDX-License-Identifier: ISC */
/*
 * The seam between office/ and the store (issue 9: the store does
 * storage): the store's desk and staff writers leave no audit row and no
 * change count, and never lock on their own; office_* functions write
 * the row, its audit row and the change count in one transaction, or
 * none of them; the token's keyed hash and the lockout rule are office's.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/office/office.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/store/desk.h"
#include "kpass/store/directory.h"
#include "testutil.h"

static char *dir;
static struct store *st;
static uint8_t audit_key[AUDIT_KEY_BYTES], key[STORE_DESK_KEY_BYTES];

static void office_setup(void)
{
    struct store_dir_district d;
    struct store_dir_office o;
    uint8_t partner[32];
    char path[512];

    dir = tu_tmpdir("office");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(audit_key, sizeof(audit_key));
    randombytes_buf(partner, sizeof(partner));
    ck_assert_int_eq(office_desk_key_derive(partner, key), 0);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    audit_use_key(st, audit_key);
    memset(&d, 0, sizeof(d));
    strcpy(d.code, "PSH");
    strcpy(d.name.en, "Peshawar");
    strcpy(d.name.ur, "پشاور");
    strcpy(d.division, "Peshawar");
    ck_assert_int_ge(store_dir_district_put(st, &d), 0);
    memset(&o, 0, sizeof(o));
    strcpy(o.code, "PSHDC1");
    strcpy(o.district, "PSH");
    strcpy(o.name.en, "Office PSHDC1");
    strcpy(o.name.ur, "دفتر");
    strcpy(o.address, "Main road");
    strcpy(o.hours, "Mon-Fri 09:00-16:00");
    strcpy(o.phone, "091-0000101");
    ck_assert_int_ge(store_dir_office_put(st, &o), 0);
}

static void office_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    store_close(st);
    st = NULL;
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

/* Audit rows so far (any event). */
static int audit_rows(void)
{
    struct store_audit_filter f = {NULL, NULL, 0, 0, 1000};
    struct store_audit_row *v;
    int n = store_audit_list(st, &f, &v);

    ck_assert_int_ge(n, 0);
    free(v);
    return n;
}

static int64_t changes(void)
{
    struct store_change c;

    ck_assert_int_eq(store_change_get(st, &c), 0);
    return c.version;
}

static void staff_row(struct store_staff *s, const char *id)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", id);
    strcpy(s->office, "PSHDC1");
    strcpy(s->name, "Staff");
}

/* The store's writers: rows only. */
START_TEST(test_store_rows_only)
{
    uint8_t hash[STORE_DESK_HASH_BYTES];
    struct store_desk d, found;
    struct store_staff s;
    int64_t v0 = changes();

    randombytes_buf(hash, sizeof(hash));
    ck_assert_int_eq(store_desk_insert(st, "PSHDC1", NULL, hash, 100, &d), 0);
    ck_assert_str_eq(d.id, "PSHDC1-1");
    ck_assert_int_eq(store_desk_by_hash(st, hash, &found), 0);
    ck_assert_str_eq(found.id, "PSHDC1-1");
    ck_assert_int_eq(store_desk_mark_revoked(st, "PSHDC1-1", 200), 0);
    ck_assert_int_eq(store_desk_mark_revoked(st, "PSHDC1-1", 300), -KP_ERR_NOTFOUND);
    char pin_hash[STORE_STAFF_HASH_SIZE];

    /* Any crypto_pwhash_str string: the store does not know how it was made. */
    ck_assert_int_eq(
        crypto_pwhash_str(pin_hash, "x", 1, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN),
        0);
    staff_row(&s, "PSH-0001");
    ck_assert_int_eq(store_staff_insert(st, &s, pin_hash, 100), 0);
    /* Counting wrong PINs is storage; locking at a limit is office's rule. */
    for (int i = 0; i < 2 * STORE_STAFF_FAILURES; i++)
        ck_assert_int_eq(store_staff_failures_add(st, "PSH-0001", 100 + i), 0);
    ck_assert_int_eq(store_staff_get(st, "PSH-0001", &s), 0);
    ck_assert_uint_eq(s.failed_pins, 2 * STORE_STAFF_FAILURES);
    ck_assert_int_eq(s.locked, 0);
    ck_assert_int_eq(store_staff_set_locked(st, "PSH-0001", 1, 200), 0);
    ck_assert_int_eq(store_staff_set_locked(st, "PSH-0001", 1, 200), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_staff_delete(st, "PSH-0001"), 0);
    ck_assert_int_eq(store_staff_delete(st, "PSH-0001"), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(audit_rows(), 0);
    ck_assert_int_eq(changes(), v0);
}
END_TEST

/* office_*: the row, its audit row and the change count together, or nothing. */
START_TEST(test_office_one_transaction)
{
    char token[STORE_DESK_TOKEN_SIZE];
    struct store_desk d, *list;
    struct store_staff s;
    int64_t v0 = changes();

    /* An actor the audit guard refuses: no desk row is left behind. */
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "Bad Actor", 100, &d, token),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(store_desk_list(st, NULL, &list), 0);
    ck_assert_int_eq(audit_rows(), 0);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 100, &d, token), 0);
    ck_assert_int_eq(audit_rows(), 1);
    ck_assert_int_eq(changes(), v0); /* adding a desk is not counted */
    /* Revoking with a refused actor leaves the desk as it was. */
    ck_assert_int_eq(office_desk_revoke(st, d.id, "Bad Actor", 200), -KP_ERR_INVAL);
    ck_assert_int_eq(office_desk_authenticate(st, key, token, &d), 0);
    ck_assert_int_eq(changes(), v0);
    ck_assert_int_eq(office_desk_revoke(st, d.id, "kpass", 200), 1);
    ck_assert_int_eq(audit_rows(), 2);
    ck_assert_int_eq(changes(), v0 + 1);
    ck_assert_int_eq(office_desk_authenticate(st, key, token, &d), -KP_ERR_DENIED);
    staff_row(&s, "PSH-0002");
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "Bad Actor", 100), -KP_ERR_INVAL);
    ck_assert_int_eq(store_staff_get(st, "PSH-0002", &s), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(audit_rows(), 2);
}
END_TEST

/* The token's hash is keyed: the same token under another desk key finds nothing. */
START_TEST(test_token_hash_keyed)
{
    char token[STORE_DESK_TOKEN_SIZE];
    uint8_t other[STORE_DESK_KEY_BYTES], partner[32];
    struct store_desk d;

    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", "Front", "kpass", 100, &d, token), 0);
    randombytes_buf(partner, sizeof(partner));
    ck_assert_int_eq(office_desk_key_derive(partner, other), 0);
    ck_assert_int_eq(office_desk_authenticate(st, other, token, &d), -KP_ERR_AUTH);
    ck_assert_int_eq(office_desk_authenticate(st, key, token, &d), 0);
    ck_assert_str_eq(d.name, "Front");
}
END_TEST

/* The lockout rule with a limit of 2: office locks, audits and counts nothing more. */
START_TEST(test_lockout_rule)
{
    struct store_staff s;

    staff_row(&s, "PSH-0003");
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "kpass", 100), 0);
    ck_assert_int_eq(
        office_staff_check_pin(st, key, "PSHDC1", "PSH-0003", "1111", 2, "kpass", 101, &s),
        -KP_ERR_WRONG);
    ck_assert_int_eq(s.locked, 0);
    ck_assert_int_eq(
        office_staff_check_pin(st, key, "PSHDC1", "PSH-0003", "2222", 2, "kpass", 102, &s),
        -KP_ERR_LOCKED);
    ck_assert_int_eq(store_staff_get(st, "PSH-0003", &s), 0);
    ck_assert_int_eq(s.locked, 1);
    ck_assert_uint_eq(s.failed_pins, 2);
    ck_assert_int_eq(office_staff_unlock(st, "PSH-0003", NULL, "kpass", 103), 1);
    ck_assert_int_eq(store_staff_get(st, "PSH-0003", &s), 0);
    ck_assert_uint_eq(s.failed_pins, 0);
    ck_assert_int_eq(
        office_staff_check_pin(st, key, "PSHDC1", "PSH-0003", "4821", 2, "kpass", 104, &s), 0);
}
END_TEST

Suite *suite_office(void)
{
    Suite *s = suite_create("office");
    TCase *tc = tcase_create("seam");

    tcase_add_checked_fixture(tc, office_setup, office_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_store_rows_only);
    tcase_add_test(tc, test_office_one_transaction);
    tcase_add_test(tc, test_token_hash_keyed);
    tcase_add_test(tc, test_lockout_rule);
    suite_add_tcase(s, tc);
    return s;
}
