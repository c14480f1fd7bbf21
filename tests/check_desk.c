/* SPDX-License-Identifier: ISC */
/*
 * Desks and staff in the store: the pure checks (tokens, office codes,
 * names, staff ids, PINs) as tables of good and bad inputs; desk ids and
 * tokens; the token never stored in clear (the database and WAL files are
 * scanned for it); authenticate good, wrong, malformed, revoked and under
 * another key; the PIN counted, locked after N wrong ones, unlocked, reset
 * by a right one and by a new PIN; unknown and other-office staff; the
 * audit rows every change leaves; desk sessions that end with their desk,
 * staff member or PIN; the change counter; and concurrent checks from
 * worker threads, each with its own store, counting every failure.
 */
#include <check.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/office/office.h"
#include "kpass/store/desk.h"
#include "kpass/store/directory.h"
#include "kpass/store/verification.h"
#include "testutil.h"

static char *dir;
static char path[512];
static struct store *st;
static uint8_t audit_key[AUDIT_KEY_BYTES], partner_key[32], key[STORE_DESK_KEY_BYTES];

static void put_office(const char *code, const char *district)
{
    struct store_dir_office o;

    memset(&o, 0, sizeof(o));
    snprintf(o.code, sizeof(o.code), "%s", code);
    snprintf(o.district, sizeof(o.district), "%s", district);
    snprintf(o.name.en, sizeof(o.name.en), "Office %s", code);
    snprintf(o.name.ur, sizeof(o.name.ur), "دفتر");
    snprintf(o.address, sizeof(o.address), "Main road");
    snprintf(o.hours, sizeof(o.hours), "Mon-Fri 09:00-16:00");
    snprintf(o.phone, sizeof(o.phone), "091-0000101");
    ck_assert_int_ge(store_dir_office_put(st, &o), 0);
}

static void desk_setup(void)
{
    struct store_dir_district d;

    dir = tu_tmpdir("desk");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(audit_key, sizeof(audit_key));
    randombytes_buf(partner_key, sizeof(partner_key));
    ck_assert_int_eq(office_desk_key_derive(partner_key, key), 0);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    audit_use_key(st, audit_key);
    memset(&d, 0, sizeof(d));
    strcpy(d.code, "PSH");
    strcpy(d.name.en, "Peshawar");
    strcpy(d.name.ur, "پشاور");
    strcpy(d.division, "Peshawar");
    ck_assert_int_ge(store_dir_district_put(st, &d), 0);
    put_office("PSHDC1", "PSH");
    put_office("PSHEX1", "PSH");
}

static void desk_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    store_close(st);
    st = NULL;
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

/* How many audit rows have event (newest first in rows when not NULL). */
static int audit_count(const char *event, struct store_audit_row **rows)
{
    struct store_audit_filter f = {NULL, event, 0, 0, 1000};
    struct store_audit_row *v;
    int n = store_audit_list(st, &f, &v);

    ck_assert_int_ge(n, 0);
    if (rows)
        *rows = v;
    else
        free(v);
    return n;
}

static void assert_chain(void)
{
    struct audit_report rep;

    ck_assert_int_eq(audit_verify(st, &rep), 0);
}

/* ---- the pure checks ---- */

static const struct {
    const char *text;
    int ok;
} token_cases[] = {
    {"kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1},
    {"kd1_____________________________________________", 0}, /* 44 characters */
    {"kd1___________________________________________8", 1},  /* all 0xff: the spare bits are 0 */
    {"kd1___________________________________________9", 0},  /* spare bits set: not canonical */
    {"kd1___________________________________________-", 0},
    {"kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0}, /* 42 */
    {"kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0},
    {"kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", 0}, /* base64, not base64url */
    {"kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/", 0},
    {"kd1_AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA", 0},
    {"kd2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
    {"KD1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
    {" kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
    {"kd1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 0},
    {"", 0},
    {"kd1_", 0},
};

START_TEST(test_token_parse)
{
    uint8_t raw[STORE_DESK_TOKEN_BYTES];

    for (size_t i = 0; i < KP_ARRAY_LEN(token_cases); i++) {
        int rc = office_desk_token_parse(token_cases[i].text, raw);
        ck_assert_msg((rc == 0) == token_cases[i].ok, "'%s': %d", token_cases[i].text, rc);
        if (!token_cases[i].ok) {
            ck_assert_int_eq(rc, -KP_ERR_PARSE);
            for (size_t j = 0; j < sizeof(raw); j++)
                ck_assert_uint_eq(raw[j], 0); /* wiped */
        }
    }
    /* A value that decodes: all-zero octets are "A" x 43. */
    ck_assert_int_eq(office_desk_token_parse(token_cases[0].text, raw), 0);
    for (size_t j = 0; j < sizeof(raw); j++)
        ck_assert_uint_eq(raw[j], 0);
}
END_TEST

static const struct {
    const char *text;
    int ok;
} staff_id_cases[] = {
    {"PSH-0042", 1},     {"PS-1", 1},        {"PSHDC1-42", 1}, {"ABCDEFGH-123456", 1},
    {"A1234567-12", 1},  /* 9 digits in all */
    {"A1234567-123", 0}, /* 10 digits: would look like a phone number */
    {"P-1", 0},          {"ABCDEFGHI-1", 0}, {"PSH-", 0},      {"PSH-1234567", 0},
    {"PSH0042", 0},      {"psh-0042", 0},    {"1SH-0042", 0},  {"PSH-00A2", 0},
    {"PSH--42", 0},      {"PSH-42 ", 0},     {"", 0},          {"PSH_0042", 0},
};

START_TEST(test_staff_id_valid)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(staff_id_cases); i++) {
        int rc = store_staff_id_valid(staff_id_cases[i].text);
        ck_assert_msg(rc == (staff_id_cases[i].ok ? 0 : -KP_ERR_INVAL), "'%s': %d",
                      staff_id_cases[i].text, rc);
        /* Every valid id passes the audit log's actor check. */
        if (staff_id_cases[i].ok) {
            char actor[64];
            snprintf(actor, sizeof(actor), "staff:%s", staff_id_cases[i].text);
            ck_assert_int_eq(store_audit_actor_check(actor), 0);
        }
    }
}
END_TEST

static const struct {
    const char *pin;
    int rc;
} pin_cases[] = {
    {"4821", 0},
    {"48213", 0},
    {"90210001", 0},
    {"1359", 0},
    {"1243", 0},
    {"0001", 0},
    {"0000", -KP_ERR_DENIED},
    {"99999999", -KP_ERR_DENIED},
    {"1234", -KP_ERR_DENIED},
    {"12345678", -KP_ERR_DENIED},
    {"4321", -KP_ERR_DENIED},
    {"98765", -KP_ERR_DENIED},
    {"0123", -KP_ERR_DENIED},
    {"123", -KP_ERR_INVAL},
    {"482", -KP_ERR_INVAL},
    {"123456789", -KP_ERR_INVAL},
    {"48a1", -KP_ERR_INVAL},
    {"4821 ", -KP_ERR_INVAL},
    {" 4821", -KP_ERR_INVAL},
    {"", -KP_ERR_INVAL},
    {"-482", -KP_ERR_INVAL},
    {"٤٨٢١", -KP_ERR_INVAL}, /* Arabic-Indic digits are not ASCII digits */
};

START_TEST(test_pin_valid)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(pin_cases); i++)
        ck_assert_msg(store_staff_pin_valid(pin_cases[i].pin) == pin_cases[i].rc, "'%s': %d",
                      pin_cases[i].pin, store_staff_pin_valid(pin_cases[i].pin));
}
END_TEST

static const struct {
    const char *text;
    unsigned max;
    int ok;
} name_cases[] = {
    {"Front counter", 40, 1},
    {"Ayesha Khan", 64, 1},
    {"عائشہ خان", 64, 1},
    {"x", 40, 1},
    {"1234567890123456789012345678901234567890", 40, 1},
    {"12345678901234567890123456789012345678901", 40, 0},
    {"", 40, 0},
    {" Front", 40, 0},
    {"Front ", 40, 0},
    {"Front\tcounter", 40, 0},
    {"Front\x1b[31mcounter", 40, 0}, /* a terminal escape */
    {"Front\xc2\x9b"
     "31m",
     40, 0}, /* C1 CSI */
    {"Front\xe2\x80\xae"
     "rats",
     40, 0},              /* U+202E right-to-left override */
    {"Front\xff", 40, 0}, /* not UTF-8 */
};

START_TEST(test_name_and_office_valid)
{
    static const char *const good_offices[] = {"PSHDC1", "AB", "ABCDEFGH"};
    static const char *const bad_offices[] = {"A", "ABCDEFGHI", "pshdc1", "PSH-1", "", "PSH DC"};

    for (size_t i = 0; i < KP_ARRAY_LEN(name_cases); i++)
        ck_assert_msg((store_desk_name_valid(name_cases[i].text, name_cases[i].max) == 0) ==
                          name_cases[i].ok,
                      "case %zu", i);
    for (size_t i = 0; i < KP_ARRAY_LEN(good_offices); i++)
        ck_assert_int_eq(store_desk_office_valid(good_offices[i]), 0);
    for (size_t i = 0; i < KP_ARRAY_LEN(bad_offices); i++)
        ck_assert_int_eq(store_desk_office_valid(bad_offices[i]), -KP_ERR_INVAL);
}
END_TEST

/* ---- desks ---- */

START_TEST(test_desk_add_list_get)
{
    struct store_desk d, *v;
    char token[STORE_DESK_TOKEN_SIZE], token2[STORE_DESK_TOKEN_SIZE];
    uint8_t raw[STORE_DESK_TOKEN_BYTES];
    int n;

    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", "Front counter", "kpass", 1000, &d, token),
                     0);
    ck_assert_str_eq(d.id, "PSHDC1-1");
    ck_assert_str_eq(d.office, "PSHDC1");
    ck_assert_str_eq(d.name, "Front counter");
    ck_assert_uint_eq(d.seq, 1);
    ck_assert_uint_eq(strlen(token), STORE_DESK_TOKEN_LEN);
    ck_assert_int_eq(strncmp(token, "kd1_", 4), 0);
    ck_assert_int_eq(office_desk_token_parse(token, raw), 0);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1001, &d, token2), 0);
    ck_assert_str_eq(d.id, "PSHDC1-2");
    ck_assert_str_eq(d.name, "Desk 2");
    ck_assert_str_ne(token, token2);
    ck_assert_int_eq(office_desk_add(st, key, "PSHEX1", NULL, "kpass", 1002, &d, token2), 0);
    ck_assert_str_eq(d.id, "PSHEX1-1");
    /* Refusals write nothing and show no token. */
    ck_assert_int_eq(office_desk_add(st, key, "NOSUCH", NULL, "kpass", 1003, &d, token2),
                     -KP_ERR_NOTFOUND);
    ck_assert_str_eq(token2, "");
    ck_assert_int_eq(office_desk_add(st, key, "pshdc1", NULL, "kpass", 1003, &d, token2),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", "bad\nname", "kpass", 1003, &d, token2),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(audit_count("desk.added", NULL), 3);

    ck_assert_int_eq((n = store_desk_list(st, NULL, &v)), 3);
    ck_assert_str_eq(v[0].id, "PSHDC1-1");
    ck_assert_str_eq(v[1].id, "PSHDC1-2");
    ck_assert_str_eq(v[2].id, "PSHEX1-1");
    free(v);
    ck_assert_int_eq(store_desk_list(st, "PSHEX1", &v), 1);
    ck_assert_str_eq(v[0].id, "PSHEX1-1");
    free(v);
    ck_assert_int_eq(store_desk_list(st, "NOSUCH", &v), 0);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(store_desk_get(st, "PSHDC1-2", &d), 0);
    ck_assert_int_eq(d.created_at, 1001);
    ck_assert_int_eq(d.revoked_at, 0);
    ck_assert_int_eq(store_desk_get(st, "PSHDC1-9", &d), -KP_ERR_NOTFOUND);
    /* The office cannot go while its desks are on record. */
    ck_assert_int_lt(store_dir_office_remove(st, "PSHEX1"), 0);
    assert_chain();
}
END_TEST

/* Does the file hold needle anywhere? */
static int file_has(const char *file, const void *needle, size_t n)
{
    size_t len = 0;
    uint8_t *data = tu_read_file(file, &len);
    int found = 0;

    if (data == NULL)
        return 0;
    for (size_t i = 0; i + n <= len && !found; i++)
        found = memcmp(data + i, needle, n) == 0;
    free(data);
    return found;
}

START_TEST(test_token_not_stored)
{
    struct store_desk d;
    char token[STORE_DESK_TOKEN_SIZE], wal[600];
    uint8_t raw[STORE_DESK_TOKEN_BYTES], plain[32];

    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1000, &d, token), 0);
    ck_assert_int_eq(office_desk_token_parse(token, raw), 0);
    crypto_generichash(plain, sizeof(plain), raw, sizeof(raw), NULL, 0);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    /* While open (the row may still be in the WAL) and after closing. */
    for (int pass = 0; pass < 2; pass++) {
        const char *files[] = {path, wal};
        for (size_t i = 0; i < KP_ARRAY_LEN(files); i++) {
            ck_assert_msg(!file_has(files[i], token, strlen(token)), "token text in %s", files[i]);
            ck_assert_msg(!file_has(files[i], token + 4, 20), "token's base64 in %s", files[i]);
            ck_assert_msg(!file_has(files[i], raw, sizeof(raw)), "raw token in %s", files[i]);
            ck_assert_msg(!file_has(files[i], plain, sizeof(plain)), "unkeyed hash in %s",
                          files[i]);
        }
        store_close(st);
        ck_assert_int_eq(tu_store_open(path, 0, &st), 0);
        audit_use_key(st, audit_key);
    }
    /* What is stored still opens the desk: the scan looked at the right place. */
    ck_assert_int_eq(office_desk_authenticate(st, key, token, &d), 0);
    ck_assert_str_eq(d.id, "PSHDC1-1");
}
END_TEST

START_TEST(test_authenticate)
{
    struct store_desk d, got;
    char token[STORE_DESK_TOKEN_SIZE], other[STORE_DESK_TOKEN_SIZE], forged[64];
    uint8_t other_key[STORE_DESK_KEY_BYTES], pk[32], raw[STORE_DESK_TOKEN_BYTES];

    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1000, &d, token), 0);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1000, &d, other), 0);
    ck_assert_int_eq(office_desk_authenticate(st, key, token, &got), 0);
    ck_assert_str_eq(got.id, "PSHDC1-1");
    ck_assert_int_eq(office_desk_authenticate(st, key, other, &got), 0);
    ck_assert_str_eq(got.id, "PSHDC1-2");
    /* One octet different; malformed; empty; a random well-formed token. */
    snprintf(forged, sizeof(forged), "%s", token);
    forged[10] = forged[10] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(office_desk_authenticate(st, key, forged, &got), -KP_ERR_AUTH);
    ck_assert_str_eq(got.id, "");
    ck_assert_int_eq(office_desk_authenticate(st, key, "kd1_nope", &got), -KP_ERR_AUTH);
    ck_assert_int_eq(office_desk_authenticate(st, key, "", &got), -KP_ERR_AUTH);
    randombytes_buf(raw, sizeof(raw));
    memcpy(forged, "kd1_", 4);
    sodium_bin2base64(forged + 4, sizeof(forged) - 4, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ck_assert_int_eq(office_desk_authenticate(st, key, forged, &got), -KP_ERR_AUTH);
    /* Another partner.key: nothing opens. */
    randombytes_buf(pk, sizeof(pk));
    ck_assert_int_eq(office_desk_key_derive(pk, other_key), 0);
    ck_assert_int_eq(office_desk_authenticate(st, other_key, token, &got), -KP_ERR_AUTH);
    /* Revoked: refused as such, and named. */
    ck_assert_int_eq(office_desk_revoke(st, "PSHDC1-1", "kpass", 2000), 1);
    ck_assert_int_eq(office_desk_authenticate(st, key, token, &got), -KP_ERR_DENIED);
    ck_assert_str_eq(got.id, "PSHDC1-1");
    ck_assert_int_eq(got.revoked_at, 2000);
    ck_assert_int_eq(office_desk_authenticate(st, key, other, &got), 0);
    /* Revoking twice, and an unknown desk. */
    ck_assert_int_eq(office_desk_revoke(st, "PSHDC1-1", "kpass", 3000), 0);
    ck_assert_int_eq(store_desk_get(st, "PSHDC1-1", &got), 0);
    ck_assert_int_eq(got.revoked_at, 2000);
    ck_assert_int_eq(office_desk_revoke(st, "PSHDC1-7", "kpass", 3000), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(audit_count("desk.revoked", NULL), 1);
    /* Numbers are not reused after a revocation. */
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 4000, &d, other), 0);
    ck_assert_str_eq(d.id, "PSHDC1-3");
    assert_chain();
}
END_TEST

START_TEST(test_no_audit_key)
{
    struct store_desk d, *v;
    struct store_staff s = {"PSH-0042", "PSHDC1", "Ayesha", 0, 0, 0, 0, 0};
    char token[STORE_DESK_TOKEN_SIZE];

    audit_use_key(st, NULL);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1, &d, token),
                     -KP_ERR_STATE);
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "kpass", 1), -KP_ERR_STATE);
    ck_assert_int_eq(
        office_staff_check_pin(st, key, NULL, "PSH-0042", "4821", 0, "desk:X-1", 1, &s),
        -KP_ERR_STATE);
    ck_assert_int_eq(store_desk_list(st, NULL, &v), 0); /* reading needs no key */
}
END_TEST

/* Inside the caller's transaction a change is a savepoint: the caller's rollback undoes it. */
START_TEST(test_inside_caller_tx)
{
    struct store_desk d, *v;
    char token[STORE_DESK_TOKEN_SIZE];

    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1000, &d, token), 0);
    /* A refused change inside leaves the rest of the transaction alone. */
    ck_assert_int_eq(office_desk_add(st, key, "NOSUCH", NULL, "kpass", 1000, &d, token),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_desk_list(st, NULL, &v), 1);
    free(v);
    store_tx_rollback(st);
    ck_assert_int_eq(store_desk_list(st, NULL, &v), 0);
    ck_assert_int_eq(audit_count("desk.added", NULL), 0);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1000, &d, token), 0);
    ck_assert_int_eq(office_desk_revoke(st, d.id, "kpass", 1001), 1);
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(store_desk_get(st, "PSHDC1-1", &d), 0);
    ck_assert_int_eq(d.revoked_at, 1001);
    ck_assert_int_eq(audit_count("desk.added", NULL), 1);
    assert_chain();
}
END_TEST

/* ---- staff ---- */

static void add_staff(const char *id, const char *office, const char *pin)
{
    struct store_staff s;

    memset(&s, 0, sizeof(s));
    snprintf(s.id, sizeof(s.id), "%s", id);
    snprintf(s.office, sizeof(s.office), "%s", office);
    snprintf(s.name, sizeof(s.name), "Staff %s", id);
    ck_assert_int_eq(office_staff_add(st, key, &s, pin, "kpass", 1000), 0);
    ck_assert_int_eq(s.created_at, 1000);
}

START_TEST(test_staff_add_list)
{
    struct store_staff s, *v;
    struct store_audit_row *rows;

    add_staff("PSH-0042", "PSHDC1", "4821");
    add_staff("PSH-0007", "PSHDC1", "7305");
    add_staff("PSH-0100", "PSHEX1", "1359");
    memset(&s, 0, sizeof(s));
    strcpy(s.id, "PSH-0042");
    strcpy(s.office, "PSHEX1");
    strcpy(s.name, "Someone else");
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "kpass", 1), -KP_ERR_EXISTS);
    strcpy(s.id, "PSH-0043");
    strcpy(s.office, "NOSUCH");
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "kpass", 1), -KP_ERR_NOTFOUND);
    strcpy(s.office, "PSHDC1");
    ck_assert_int_eq(office_staff_add(st, key, &s, "1234", "kpass", 1), -KP_ERR_DENIED);
    ck_assert_int_eq(office_staff_add(st, key, &s, "12", "kpass", 1), -KP_ERR_INVAL);
    strcpy(s.id, "psh-43");
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "kpass", 1), -KP_ERR_INVAL);
    strcpy(s.id, "PSH-0043");
    strcpy(s.name, "");
    ck_assert_int_eq(office_staff_add(st, key, &s, "4821", "kpass", 1), -KP_ERR_INVAL);

    ck_assert_int_eq(store_staff_list(st, NULL, &v), 3);
    ck_assert_str_eq(v[0].id, "PSH-0007");
    ck_assert_str_eq(v[1].id, "PSH-0042");
    ck_assert_str_eq(v[2].id, "PSH-0100");
    free(v);
    ck_assert_int_eq(store_staff_list(st, "PSHEX1", &v), 1);
    ck_assert_str_eq(v[0].name, "Staff PSH-0100");
    free(v);
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    ck_assert_str_eq(s.office, "PSHDC1");
    ck_assert_int_eq(s.locked, 0);
    ck_assert_uint_eq(s.failed_pins, 0);
    ck_assert_int_eq(store_staff_get(st, "PSH-9999", &s), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(audit_count("staff.added", &rows), 3);
    ck_assert_str_eq(rows[0].detail, "staff PSH-0100 at office PSHEX1");
    ck_assert_str_eq(rows[0].actor, "kpass");
    free(rows);
    assert_chain();
}
END_TEST

static int check(const char *office, const char *id, const char *pin, unsigned max,
                 struct store_staff *out)
{
    return office_staff_check_pin(st, key, office, id, pin, max, "desk:PSHDC1-1", 5000, out);
}

START_TEST(test_pin_lockout)
{
    struct store_staff s;
    struct store_audit_row *rows;

    add_staff("PSH-0042", "PSHDC1", "4821");
    /* Two wrong, then right: the count goes back to 0. */
    ck_assert_int_eq(check("PSHDC1", "PSH-0042", "4822", 3, &s), -KP_ERR_WRONG);
    ck_assert_uint_eq(s.failed_pins, 1);
    ck_assert_int_eq(check("PSHDC1", "PSH-0042", "0000", 3, &s), -KP_ERR_WRONG);
    ck_assert_uint_eq(s.failed_pins, 2);
    ck_assert_int_eq(check("PSHDC1", "PSH-0042", "4821", 3, &s), 0);
    ck_assert_uint_eq(s.failed_pins, 0);
    ck_assert_str_eq(s.name, "Staff PSH-0042");
    /* N consecutive wrong ones lock; then even the right PIN is refused. */
    ck_assert_int_eq(check(NULL, "PSH-0042", "1111", 3, &s), -KP_ERR_WRONG);
    ck_assert_int_eq(check(NULL, "PSH-0042", "", 3, &s), -KP_ERR_WRONG);
    ck_assert_int_eq(check(NULL, "PSH-0042", "48210", 3, &s), -KP_ERR_LOCKED);
    ck_assert_int_eq(s.locked, 1);
    ck_assert_uint_eq(s.failed_pins, 3);
    ck_assert_int_eq(check(NULL, "PSH-0042", "4821", 3, &s), -KP_ERR_LOCKED);
    ck_assert_int_eq(check(NULL, "PSH-0042", "9999", 3, &s), -KP_ERR_LOCKED);
    ck_assert_uint_eq(s.failed_pins, 3); /* a locked check counts nothing more */
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    ck_assert_int_eq(s.locked, 1);
    /* Unlock: the count is cleared and the right PIN works. */
    ck_assert_int_eq(office_staff_unlock(st, "PSH-0042", "called the office", "kpass", 6000), 1);
    ck_assert_int_eq(office_staff_unlock(st, "PSH-0042", NULL, "kpass", 6000), 0);
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    ck_assert_int_eq(s.locked, 0);
    ck_assert_uint_eq(s.failed_pins, 0);
    ck_assert_int_eq(check(NULL, "PSH-0042", "4821", 3, &s), 0);
    /* The default N is 5. */
    for (int i = 1; i < STORE_STAFF_FAILURES; i++)
        ck_assert_int_eq(check(NULL, "PSH-0042", "5555", 0, &s), -KP_ERR_WRONG);
    ck_assert_int_eq(check(NULL, "PSH-0042", "5555", 0, &s), -KP_ERR_LOCKED);

    ck_assert_int_eq(audit_count("staff.pin_failed", &rows), 2 + 3 + STORE_STAFF_FAILURES);
    ck_assert_str_eq(rows[0].actor, "desk:PSHDC1-1");
    ck_assert_str_eq(rows[0].detail, "staff PSH-0042 wrong PIN 5 of 5");
    free(rows);
    ck_assert_int_eq(audit_count("staff.locked", &rows), 2);
    ck_assert_str_eq(rows[1].detail, "staff PSH-0042 after 3 wrong PINs");
    free(rows);
    ck_assert_int_eq(audit_count("staff.unlocked", &rows), 1);
    ck_assert_str_eq(rows[0].detail, "staff PSH-0042 reason: called the office");
    free(rows);
    assert_chain();
}
END_TEST

START_TEST(test_pin_unknown_and_other_office)
{
    struct store_staff s;

    add_staff("PSH-0042", "PSHDC1", "4821");
    /* Another office's staff, even with the right PIN: unknown here, nothing counted. */
    ck_assert_int_eq(check("PSHEX1", "PSH-0042", "4821", 3, &s), -KP_ERR_NOTFOUND);
    ck_assert_str_eq(s.id, "");
    ck_assert_int_eq(check("PSHEX1", "PSH-0042", "4822", 3, &s), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(check(NULL, "PSH-0043", "4821", 3, &s), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(check(NULL, "nonsense that is long and no id at all", "x", 3, &s),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    ck_assert_uint_eq(s.failed_pins, 0);
    ck_assert_int_eq(audit_count("staff.pin_failed", NULL), 0);
    /* Another desk key (another partner.key): the right PIN is wrong. */
    {
        uint8_t pk[32], other[STORE_DESK_KEY_BYTES];
        randombytes_buf(pk, sizeof(pk));
        ck_assert_int_eq(office_desk_key_derive(pk, other), 0);
        ck_assert_int_eq(
            office_staff_check_pin(st, other, NULL, "PSH-0042", "4821", 3, "kpass", 1, &s),
            -KP_ERR_WRONG);
    }
}
END_TEST

START_TEST(test_lock_and_set_pin)
{
    struct store_staff s;
    struct store_audit_row *rows;

    add_staff("PSH-0042", "PSHDC1", "4821");
    ck_assert_int_eq(check(NULL, "PSH-0042", "1111", 5, &s), -KP_ERR_WRONG);
    /* A new PIN: the old one is wrong, the count is cleared. */
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0042", "7305", "kpass", 2000), 0);
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    ck_assert_uint_eq(s.failed_pins, 0);
    ck_assert_int_eq(s.updated_at, 2000);
    ck_assert_int_eq(check(NULL, "PSH-0042", "4821", 5, &s), -KP_ERR_WRONG);
    ck_assert_int_eq(check(NULL, "PSH-0042", "7305", 5, &s), 0);
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0042", "1234", "kpass", 2000),
                     -KP_ERR_DENIED);
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0042", "12a4", "kpass", 2000),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0043", "7305", "kpass", 2000),
                     -KP_ERR_NOTFOUND);
    /* An operator's lock: a new PIN does not lift it. */
    ck_assert_int_eq(office_staff_lock(st, "PSH-0042", NULL, "kpass", 3000), 1);
    ck_assert_int_eq(office_staff_lock(st, "PSH-0042", NULL, "kpass", 3000), 0);
    ck_assert_int_eq(office_staff_lock(st, "PSH-0043", NULL, "kpass", 3000), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(office_staff_lock(st, "PSH-0042", "CNIC 35202-1234567-1", "kpass", 3000),
                     -KP_ERR_DENIED);
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0042", "9021", "kpass", 4000), 0);
    ck_assert_int_eq(check(NULL, "PSH-0042", "9021", 5, &s), -KP_ERR_LOCKED);
    ck_assert_int_eq(audit_count("staff.pin_changed", &rows), 2);
    ck_assert_str_eq(rows[0].detail, "staff PSH-0042");
    free(rows);
    ck_assert_int_eq(audit_count("staff.locked", NULL), 1);
    assert_chain();
}
END_TEST

/* A session for staff at desk, made with the PIN of version pin_version; returns it in *s. */
static void add_session(uint8_t tag, const char *desk, const char *staff, int64_t pin_version,
                        struct store_session *s)
{
    memset(s, 0, sizeof(*s));
    memset(s->hash, tag, sizeof(s->hash));
    snprintf(s->desk, sizeof(s->desk), "%s", desk);
    snprintf(s->staff, sizeof(s->staff), "%s", staff);
    snprintf(s->office, sizeof(s->office), "PSHDC1");
    s->created_at = 1000;
    s->expires_at = 90000;
    s->pin_version = pin_version;
    ck_assert_int_eq(store_session_add(st, s), 0);
}

static int session_stands(const struct store_session *s)
{
    struct store_session out;

    return store_session_get(st, s->hash, 2000, &out) == 0;
}

/*
 * A session stands on its desk, its staff member and their PIN: each
 * change ends it (the rows are deleted and the look-up checks anyway), and
 * a session made with a PIN that changed meanwhile (a sign-in whose
 * Argon2id check raced a PIN change) never stands.  Each change counts.
 */
START_TEST(test_sessions_end_with_desk_and_staff)
{
    struct store_session a, b, c, late;
    struct store_staff s;
    struct store_desk d;
    struct store_change ch;
    char token[STORE_DESK_TOKEN_SIZE];

    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1, &d, token), 0);
    ck_assert_int_eq(office_desk_add(st, key, "PSHDC1", NULL, "kpass", 1, &d, token), 0);
    add_staff("PSH-0042", "PSHDC1", "4821");
    add_staff("PSH-0043", "PSHDC1", "4821");
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    add_session(1, "PSHDC1-1", "PSH-0042", s.pin_version, &a);
    add_session(2, "PSHDC1-2", "PSH-0042", s.pin_version, &b);
    add_session(3, "PSHDC1-2", "PSH-0043", 0, &c);
    ck_assert(session_stands(&a) && session_stands(&b) && session_stands(&c));
    ck_assert_int_eq(store_change_get(st, &ch), 0);
    int64_t v0 = ch.version;
    /* A new PIN: both of PSH-0042's sessions end, the other stays. */
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0042", "7305", "kpass", 1500), 0);
    ck_assert(!session_stands(&a) && !session_stands(&b) && session_stands(&c));
    /* The sign-in race: checked against the old PIN, stored after the change. */
    add_session(4, "PSHDC1-1", "PSH-0042", s.pin_version, &late);
    ck_assert(!session_stands(&late));
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    add_session(5, "PSHDC1-1", "PSH-0042", s.pin_version, &a);
    ck_assert(session_stands(&a));
    /* Locking ends them; unlocking brings none back. */
    ck_assert_int_eq(office_staff_lock(st, "PSH-0042", NULL, "kpass", 1600), 1);
    ck_assert(!session_stands(&a));
    ck_assert_int_eq(office_staff_unlock(st, "PSH-0042", NULL, "kpass", 1700), 1);
    ck_assert(!session_stands(&a));
    /* A revoked desk ends every session at it, whoever signed in. */
    ck_assert_int_eq(office_desk_revoke(st, "PSHDC1-2", "kpass", 1800), 1);
    ck_assert(!session_stands(&c));
    /* A removed staff member's sessions end; a second removal finds nobody. */
    add_session(6, "PSHDC1-1", "PSH-0043", 0, &c);
    ck_assert(session_stands(&c));
    ck_assert_int_eq(office_staff_remove(st, "PSH-0043", "kpass", 1900), 0);
    ck_assert(!session_stands(&c));
    ck_assert_int_eq(office_staff_remove(st, "PSH-0043", "kpass", 1900), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(audit_count("staff.removed", NULL), 1);
    /* Sign-out. */
    add_session(7, "PSHDC1-1", "PSH-0042", s.pin_version, &a);
    ck_assert_int_eq(store_session_end(st, a.hash), 1);
    ck_assert(!session_stands(&a));
    ck_assert_int_eq(store_session_end(st, a.hash), 0);
    /* PIN, lock, unlock, revoke, remove: five changes a daemon must follow. */
    ck_assert_int_eq(store_change_get(st, &ch), 0);
    ck_assert_int_eq(ch.version, v0 + 5);
    ck_assert_int_eq(ch.keys_version, 0);
    assert_chain();
}
END_TEST

/* The change counter: bumps in the caller's transaction, undone with it; applied never goes
   back; detach forgets only its own pid. */
START_TEST(test_change_counter)
{
    struct store_change c;

    ck_assert_int_eq(store_change_get(st, &c), 0);
    ck_assert_int_eq(c.version, 0);
    ck_assert_int_eq(store_change_bump(st, STORE_CHANGE_STATE), 1);
    ck_assert_int_eq(store_change_bump(st, STORE_CHANGE_KEYS), 2);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(store_change_bump(st, STORE_CHANGE_KEYS), 3);
    store_tx_rollback(st);
    ck_assert_int_eq(store_change_get(st, &c), 0);
    ck_assert_int_eq(c.version, 2);
    ck_assert_int_eq(c.keys_version, 2);
    ck_assert_int_eq(c.daemon_pid, 0);
    ck_assert_int_eq(store_change_applied(st, 2, 100, 4242), 0);
    ck_assert_int_eq(store_change_applied(st, 1, 101, 4242), 0);
    ck_assert_int_eq(store_change_get(st, &c), 0);
    ck_assert_int_eq(c.applied, 2);
    ck_assert_int_eq(c.daemon_pid, 4242);
    ck_assert_int_eq(store_change_detach(st, 4243), 0);
    ck_assert_int_eq(store_change_get(st, &c), 0);
    ck_assert_int_eq(c.daemon_pid, 4242);
    ck_assert_int_eq(store_change_detach(st, 4242), 0);
    ck_assert_int_eq(store_change_get(st, &c), 0);
    ck_assert_int_eq(c.daemon_pid, 0);
}
END_TEST

/* No PIN in any audit row, and the hash column is Argon2id. */
START_TEST(test_audit_holds_no_pin)
{
    struct store_audit_filter f = {NULL, NULL, 0, 0, 1000};
    struct store_audit_row *rows;
    struct store_staff s;
    int n;

    add_staff("PSH-0042", "PSHDC1", "4821");
    ck_assert_int_eq(check(NULL, "PSH-0042", "9173", 5, &s), -KP_ERR_WRONG);
    ck_assert_int_eq(office_staff_set_pin(st, key, "PSH-0042", "6047", "kpass", 1), 0);
    ck_assert_int_ge((n = store_audit_list(st, &f, &rows)), 3);
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_null(strstr(rows[i].detail, "4821"));
        ck_assert_ptr_null(strstr(rows[i].detail, "9173"));
        ck_assert_ptr_null(strstr(rows[i].detail, "6047"));
    }
    free(rows);
    store_close(st);
    st = NULL;
    ck_assert_int_eq(file_has(path, "$argon2id$", 10), 1);
    ck_assert_int_eq(file_has(path, "6047", 4), 0);
    ck_assert_int_eq(tu_store_open(path, 0, &st), 0);
}
END_TEST

/* A worker thread's check, on its own store, as the daemon will make it. */
struct worker {
    pthread_t t;
    int wrong, rc[4];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct store *mine;
    struct store_staff s;

    if (tu_store_open(path, 0, &mine) < 0)
        return NULL;
    audit_use_key(mine, audit_key);
    for (int i = 0; i < w->wrong; i++)
        w->rc[i] = office_staff_check_pin(mine, key, "PSHDC1", "PSH-0042", "1111", 100,
                                          "desk:PSHDC1-1", 7000, &s);
    store_close(mine);
    return NULL;
}

START_TEST(test_concurrent_checks)
{
    struct worker w[2] = {{.wrong = 2}, {.wrong = 2}};
    struct store_staff s;

    add_staff("PSH-0042", "PSHDC1", "4821");
    store_close(st);
    st = NULL;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&w[i].t, NULL, worker_main, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(w[i].t, NULL), 0);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            ck_assert_int_eq(w[i].rc[j], -KP_ERR_WRONG);
    ck_assert_int_eq(tu_store_open(path, 0, &st), 0);
    audit_use_key(st, audit_key);
    ck_assert_int_eq(store_staff_get(st, "PSH-0042", &s), 0);
    ck_assert_uint_eq(s.failed_pins, 4); /* every failure counted */
    ck_assert_int_eq(audit_count("staff.pin_failed", NULL), 4);
    assert_chain();
}
END_TEST

Suite *suite_desk(void)
{
    Suite *s = suite_create("desk");
    TCase *pure = tcase_create("pure");
    TCase *store = tcase_create("store");

    tcase_add_test(pure, test_token_parse);
    tcase_add_test(pure, test_staff_id_valid);
    tcase_add_test(pure, test_pin_valid);
    tcase_add_test(pure, test_name_and_office_valid);
    suite_add_tcase(s, pure);
    tcase_add_checked_fixture(store, desk_setup, desk_teardown);
    tcase_set_timeout(store, 120);
    tcase_add_test(store, test_desk_add_list_get);
    tcase_add_test(store, test_token_not_stored);
    tcase_add_test(store, test_authenticate);
    tcase_add_test(store, test_no_audit_key);
    tcase_add_test(store, test_inside_caller_tx);
    tcase_add_test(store, test_staff_add_list);
    tcase_add_test(store, test_pin_lockout);
    tcase_add_test(store, test_pin_unknown_and_other_office);
    tcase_add_test(store, test_lock_and_set_pin);
    tcase_add_test(store, test_sessions_end_with_desk_and_staff);
    tcase_add_test(store, test_change_counter);
    tcase_add_test(store, test_audit_holds_no_pin);
    tcase_add_test(store, test_concurrent_checks);
    suite_add_tcase(s, store);
    return s;
}
