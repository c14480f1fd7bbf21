/* SPDX-License-Identifier: ISC */
/*
 * The citizen registry above the store (registry/citizen.c): nothing
 * before a key; the row the store gets carries the index, the sealed box
 * and the last 4 digits and nothing else of the CNIC; the store refuses a
 * row whose last 4 digits are not digits; a box opens only under its key
 * and only on its own row.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/registry/registry.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "testutil.h"

static char *dir;
static struct store *st;
static struct registry *reg;
static uint8_t ckey[CNIC_KEY_BYTES], akey[AUDIT_KEY_BYTES];

static void rg_setup(void)
{
    char path[512];

    dir = tu_tmpdir("registry");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(ckey, sizeof(ckey));
    randombytes_buf(akey, sizeof(akey));
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    audit_use_key(st, akey);
    reg = registry_new(st);
}

static void rg_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    registry_free(reg);
    store_close(st);
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

static void rg_fill(struct store_citizen *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name_en, sizeof(c->name_en), "%s", "Ahmad Khan");
    snprintf(c->name_ur, sizeof(c->name_ur), "%s", "احمد");
    snprintf(c->district, sizeof(c->district), "%s", "PSH");
}

START_TEST(test_no_key)
{
    struct store_citizen c;
    struct registry_import row = {.cnic = "3520212345671"};
    char cnic[CNIC_SIZE];

    rg_fill(&c);
    row.fields = c;
    ck_assert_int_eq(registry_citizen_add(reg, "3520212345671", &c, "kpass", 1), -KP_ERR_STATE);
    ck_assert_int_eq(registry_citizen_get(reg, "3520212345671", &c), -KP_ERR_STATE);
    ck_assert_int_eq(registry_citizen_cnic(reg, 1, cnic), -KP_ERR_STATE);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 1), -KP_ERR_STATE);
}
END_TEST

START_TEST(test_row_made_above)
{
    struct store_citizen c, got;
    uint8_t box[STORE_CITIZEN_BOX_BYTES], index[CNIC_INDEX_BYTES], want[CNIC_INDEX_BYTES];
    char cnic[CNIC_SIZE];

    ck_assert_int_eq(registry_use_key(reg, ckey), 0);
    rg_fill(&c);
    ck_assert_int_eq(registry_citizen_add(reg, "3520212345671", &c, "kpass", 1), 0);
    ck_assert_str_eq(c.last4, "5671");
    ck_assert_int_eq(cnic_index("3520212345671", ckey, want), 0);
    ck_assert(memcmp(c.cnic_index, want, sizeof(want)) == 0);
    /* The store finds it by the index alone, and keeps the box as given. */
    ck_assert_int_eq(store_citizen_get_by_index(st, want, &got), 0);
    ck_assert_int_eq(got.id, c.id);
    ck_assert_int_eq(store_citizen_box(st, c.id, box, index), 0);
    ck_assert(memcmp(index, want, sizeof(want)) == 0);
    ck_assert_ptr_null(memmem(box, sizeof(box), "3520212345671", 13));
    ck_assert_int_eq(registry_citizen_cnic(reg, c.id, cnic), 0);
    ck_assert_str_eq(cnic, "3520212345671");
    ck_assert_int_eq(store_citizen_box(st, c.id + 1, box, index), -KP_ERR_NOTFOUND);
}
END_TEST

START_TEST(test_store_checks_last4)
{
    struct store_citizen c;
    uint8_t box[STORE_CITIZEN_BOX_BYTES] = {0};

    rg_fill(&c);
    memset(c.cnic_index, 1, sizeof(c.cnic_index));
    snprintf(c.last4, sizeof(c.last4), "%s", "56a1");
    ck_assert_int_eq(store_citizen_insert(st, &c, box, 1), -KP_ERR_INVAL);
    snprintf(c.last4, sizeof(c.last4), "%s", "567");
    ck_assert_int_eq(store_citizen_insert(st, &c, box, 1), -KP_ERR_INVAL);
    snprintf(c.last4, sizeof(c.last4), "%s", "5671");
    ck_assert_int_eq(store_citizen_insert(st, &c, box, 1), 0);
}
END_TEST

/* Another registry with another key: the CNIC is not found, its box does not open. */
START_TEST(test_other_key)
{
    struct store_citizen c;
    struct registry *other = registry_new(st);
    uint8_t okey[CNIC_KEY_BYTES];
    char cnic[CNIC_SIZE];

    ck_assert_int_eq(registry_use_key(reg, ckey), 0);
    rg_fill(&c);
    ck_assert_int_eq(registry_citizen_add(reg, "3520212345671", &c, "kpass", 1), 0);
    memcpy(okey, ckey, sizeof(okey));
    okey[0] ^= 1;
    ck_assert_int_eq(registry_use_key(other, okey), 0);
    ck_assert_int_eq(registry_citizen_get(other, "3520212345671", &c), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(registry_citizen_cnic(other, c.id, cnic), -KP_ERR_CRYPTO);
    ck_assert_str_eq(cnic, "");
    registry_free(other);
}
END_TEST

Suite *suite_registry(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("citizen");

    if (sodium_init() < 0)
        return s;
    tcase_add_checked_fixture(tc, rg_setup, rg_teardown);
    tcase_add_test(tc, test_no_key);
    tcase_add_test(tc, test_row_made_above);
    tcase_add_test(tc, test_store_checks_last4);
    tcase_add_test(tc, test_other_key);
    suite_add_tcase(s, tc);
    return s;
}
