/* SPDX-License-Identifier: ISC */
/*
 * The citizens registry: field rules and the citizens.csv line reader
 * (tables of good and bad input with the exact reason), the store (the
 * CNIC never in clear in the file, lookups by CNIC, index and number, one
 * citizen per number, status and name changes, the audit row of every
 * change, atomic imports).  The commands run as the real program are in
 * tests/check_citizen_cli.c.
 * imported (tests/check_citizen_cli.c).
 */
#include <check.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/kpass/cmd/citizen_csv.h"
#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "testutil.h"

/* ---- field rules ---- */

static const struct {
    const char *en, *ur, *district;
    int status;
    const char *why; /* NULL: accepted */
} field_cases[] = {
    {"Ahmad Khan", "احمد خان", "PSH", STORE_CITIZEN_ACTIVE, NULL},
    {"Rahimullah", "رحیم اللہ", "LDR", STORE_CITIZEN_BLOCKED, NULL},
    {"A. O'Neil-Khan (Jr)", "عبدالغفور", "D1", STORE_CITIZEN_DECEASED, NULL},
    {"Gul", "گل\xE2\x80\x8Cزمان", "SWT12345", STORE_CITIZEN_ACTIVE, NULL}, /* ZWNJ */
    {"", "احمد", "PSH", 0, "name_en: empty"},
    {"Ahmad", "", "PSH", 0, "name_ur: empty"},
    {" Ahmad", "احمد", "PSH", 0, "name_en: leading, trailing or double space"},
    {"Ahmad  Khan", "احمد", "PSH", 0, "name_en: leading, trailing or double space"},
    {"Ahmad", "احمد ", "PSH", 0, "name_ur: leading, trailing or double space"},
    {"Ahmad [Khan]", "احمد", "PSH", 0,
     "name_en: only letters, digits, spaces and GSM 7-bit punctuation"},
    {"Ahmad~", "احمد", "PSH", 0, "name_en: only letters, digits, spaces and GSM 7-bit punctuation"},
    {"Ahmad\tKhan", "احمد", "PSH", 0,
     "name_en: only letters, digits, spaces and GSM 7-bit punctuation"},
    {"Ahm\xC3\xA9", "احمد", "PSH", 0,
     "name_en: only letters, digits, spaces and GSM 7-bit punctuation"},
    {"Ahmad", "Ahmad", "PSH", 0, "name_ur: Urdu names are written in Arabic script"},
    {"Ahmad", "احمدx", "PSH", 0, "name_ur: Urdu names are written in Arabic script"},
    {"Ahmad", "...", "PSH", 0, "name_ur: Urdu names are written in Arabic script"},
    {"Ahmad",
     "\xE2\x80\x8F"
     "احمد",
     "PSH", 0, "name_ur: Urdu names are written in Arabic script"},
    {"Ahmad",
     "\xD8\x9C"
     "احمد",
     "PSH", 0, "name_ur: Urdu names are written in Arabic script"},
    {"Ahmad", "\xD8", "PSH", 0, "name_ur: not valid UTF-8"},
    {"Ahmad", "\xC0\xAF", "PSH", 0, "name_ur: not valid UTF-8"},         /* overlong */
    {"Ahmad", "\xED\xA0\x80", "PSH", 0, "name_ur: not valid UTF-8"},     /* surrogate */
    {"Ahmad", "\xF4\x90\x80\x80", "PSH", 0, "name_ur: not valid UTF-8"}, /* > U+10FFFF */
    {"Abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl", "احمد", "PSH", 0,
     NULL}, /* 64 */
    {"Abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm", "احمد", "PSH", 0,
     "name_en: longer than 64 characters"},
    {"Ahmad", "احمد", "P", 0, "district: a code of 2 to 8 capital letters and digits"},
    {"Ahmad", "احمد", "psh", 0, "district: a code of 2 to 8 capital letters and digits"},
    {"Ahmad", "احمد", "ABCDEFGH", 0, NULL},
    {"Ahmad", "احمد", "", 0, "district: a code of 2 to 8 capital letters and digits"},
    {"Ahmad", "احمد", "PSH", 3, "status: active, blocked or deceased"},
};

static void fill(struct store_citizen *c, const char *en, const char *ur, const char *district,
                 int status)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name_en, sizeof(c->name_en), "%s", en);
    snprintf(c->name_ur, sizeof(c->name_ur), "%s", ur);
    snprintf(c->district, sizeof(c->district), "%s", district);
    c->status = (enum store_citizen_status)status;
}

START_TEST(test_fields)
{
    struct store_citizen c;
    const char *why = "unset";
    int rc;

    fill(&c, field_cases[_i].en, field_cases[_i].ur, field_cases[_i].district,
         field_cases[_i].status);
    rc = store_citizen_check(&c, &why);
    if (field_cases[_i].why == NULL) {
        ck_assert_msg(rc == 0, "case %d refused: %s", _i, why);
        ck_assert_ptr_null(why);
    } else {
        ck_assert_int_eq(rc, -KP_ERR_INVAL);
        ck_assert_msg(why && strcmp(why, field_cases[_i].why) == 0, "case %d: got '%s'", _i, why);
    }
    ck_assert_int_eq(store_citizen_check(&c, NULL), rc);
}
END_TEST

START_TEST(test_status_mask)
{
    struct store_citizen c;
    char mask[CNIC_TEXT_SIZE], want[CNIC_TEXT_SIZE];

    ck_assert_int_eq(store_citizen_status_parse("active"), STORE_CITIZEN_ACTIVE);
    ck_assert_int_eq(store_citizen_status_parse("deceased"), STORE_CITIZEN_DECEASED);
    ck_assert_int_eq(store_citizen_status_parse("Active"), -KP_ERR_INVAL);
    ck_assert_str_eq(store_citizen_status_name(STORE_CITIZEN_BLOCKED), "blocked");
    ck_assert_str_eq(store_citizen_status_name((enum store_citizen_status)9), "unknown");
    memset(&c, 0, sizeof(c));
    memcpy(c.last4, "5671", 5);
    store_citizen_mask(&c, mask);
    ck_assert_int_eq(cnic_mask("3520212345671", want), 0);
    ck_assert_str_eq(mask, want);
}
END_TEST

/* ---- the citizens.csv line reader ---- */

static const struct {
    const char *line;
    const char *fields; /* joined with '|', or NULL */
    const char *why;    /* when refused */
} split_cases[] = {
    {"a,b,c", "a|b|c", NULL},
    {"", "", NULL},
    {",", "|", NULL},
    {"a,,c,", "a||c|", NULL},
    {"\"a,b\",c", "a,b|c", NULL},
    {"\"say \"\"hi\"\"\",x", "say \"hi\"|x", NULL},
    {"\"\",\"\"", "|", NULL},
    {"x,\"\"\"\"", "x|\"", NULL},
    {"a,\"b", NULL, "a quoted field does not end on its line"},
    {"a,\"b\"\"", NULL, "a quoted field does not end on its line"},
    {"a,\"b\"c", NULL, "text after a closing quote"},
    {"a,b\"c", NULL, "a quote inside an unquoted field"},
    {"a\",b", NULL, "a quote inside an unquoted field"},
};

START_TEST(test_csv_split)
{
    char line[256], *f[8], why[CITIZEN_CSV_WHY], joined[256] = "";
    size_t len = strlen(split_cases[_i].line);
    int n;

    memcpy(line, split_cases[_i].line, len + 1);
    n = citizen_csv_split(line, len, f, 8, why, sizeof(why));
    if (split_cases[_i].fields == NULL) {
        ck_assert_int_eq(n, -KP_ERR_PARSE);
        ck_assert_str_eq(why, split_cases[_i].why);
        return;
    }
    ck_assert_int_gt(n, 0);
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(joined, "|");
        strcat(joined, f[i]);
    }
    ck_assert_str_eq(joined, split_cases[_i].fields);
}
END_TEST

START_TEST(test_csv_split_count)
{
    char line[] = "1,2,3,4,5,6,7,8,9";
    char *f[6], why[CITIZEN_CSV_WHY];

    /* More fields than room: counted, not stored. */
    ck_assert_int_eq(citizen_csv_split(line, strlen(line), f, 6, why, sizeof(why)), 9);
    ck_assert_str_eq(f[5], "6");
}
END_TEST

#define GOOD_TAIL ",Ahmad Khan,احمد خان,PSH,+923000000101,active"

static const struct {
    const char *line;
    const char *cnic, *msisdn; /* normalised, when accepted */
    const char *why;
} row_cases[] = {
    {"10000-0000001-1" GOOD_TAIL, "1000000000011", "+923000000101", NULL},
    {"1000000000011" GOOD_TAIL, "1000000000011", "+923000000101", NULL},
    {"10000-0000001-1,\"Khan, Ahmad\",احمد خان,PSH,03000000101,blocked", "1000000000011",
     "+923000000101", NULL},
    {"10000-0000001-1,Ahmad,احمد,PSH,+447911123456,deceased", "1000000000011", "+447911123456",
     NULL},
    {"", NULL, NULL, "empty line"},
    {"10000-0000001-1,Ahmad Khan", NULL, NULL, "expected 6 fields, found 2"},
    {"10000-0000001-1" GOOD_TAIL ",x", NULL, NULL, "expected 6 fields, found 7"},
    {"10000-000001-1" GOOD_TAIL, NULL, NULL, "cnic: a CNIC has 13 digits; found fewer"},
    {"10000-00000001-1" GOOD_TAIL, NULL, NULL, "cnic: a CNIC has 13 digits; found more"},
    {"1000-00000001-1" GOOD_TAIL, NULL, NULL,
     "cnic: dashes go only after the 5th and 12th digits (#####-#######-#)"},
    {"I0000-0000001-1" GOOD_TAIL, NULL, NULL, "cnic: a CNIC has only digits and dashes"},
    {"90000-0000001-1" GOOD_TAIL, NULL, NULL, "cnic: a CNIC starts with a region code 1-7"},
    {",Ahmad Khan,احمد خان,PSH,+923000000101,active", NULL, NULL, "cnic: empty CNIC"},
    {"10000-0000001-1,Ahmad,احمد,PSH,+9230000001,active", NULL, NULL,
     "msisdn: too few digits for a mobile number"},
    {"10000-0000001-1,Ahmad,احمد,PSH,04235000000,active", NULL, NULL,
     "msisdn: not a Pakistani mobile number (03XX XXXXXXX)"},
    {"10000-0000001-1,Ahmad,احمد,PSH,,active", NULL, NULL, "msisdn: empty mobile number"},
    {"10000-0000001-1,Ahmad,احمد,PSH,+923000000101,Active", NULL, NULL,
     "status: active, blocked or deceased"},
    {"10000-0000001-1,Ahmad,Ahmad,PSH,+923000000101,active", NULL, NULL,
     "name_ur: Urdu names are written in Arabic script"},
    {"10000-0000001-1,Ahmad,احمد,Peshawar,+923000000101,active", NULL, NULL,
     "district: a code of 2 to 8 capital letters and digits"},
    {"10000-0000001-1,Ahmad,احمد,PSHAWAR12,+923000000101,active", NULL, NULL,
     "district: a code of 2 to 8 capital letters and digits"},
    {"10000-0000001-1,\"Ahmad\"Khan,احمد,PSH,+923000000101,active", NULL, NULL,
     "text after a closing quote"},
    /* Several numbers: ';'-separated (the accepted ones: test_csv_row_numbers). */
    {"10000-0000001-1,Ahmad,احمد,PSH,03000000101;03000000102;03000000103;03000000104;"
     "03000000105;03000000106;03000000107;03000000108;03000000109,active",
     NULL, NULL, "msisdn: at most 8 numbers per citizen"},
    {"10000-0000001-1,Ahmad,احمد,PSH,03000000101;,active", NULL, NULL,
     "msisdn 2: empty mobile number"},
    {"10000-0000001-1,Ahmad,احمد,PSH,;03000000101,active", NULL, NULL,
     "msisdn 1: empty mobile number"},
    {"10000-0000001-1,Ahmad,احمد,PSH,03000000101;0300123,active", NULL, NULL,
     "msisdn 2: too few digits for a mobile number"},
    {"10000-0000001-1,Ahmad,احمد,PSH,03000000101;+923000000101,active", NULL, NULL,
     "msisdn 2: the same number as msisdn 1"},
};

START_TEST(test_csv_row)
{
    struct citizen_csv_row row;
    char line[512], why[CITIZEN_CSV_WHY] = "";
    size_t len = strlen(row_cases[_i].line);
    int rc;

    memcpy(line, row_cases[_i].line, len + 1);
    rc = citizen_csv_row(line, len, &row, why, sizeof(why));
    if (row_cases[_i].why == NULL) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, why);
        ck_assert_str_eq(row.cnic, row_cases[_i].cnic);
        ck_assert_str_eq(row.msisdn[0], row_cases[_i].msisdn);
        ck_assert_int_eq(row.nmsisdn, 1);
    } else {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        ck_assert_msg(strcmp(why, row_cases[_i].why) == 0, "case %d: got '%s'", _i, why);
    }
}
END_TEST

/* A row with several numbers: each in any form msisdn_parse takes, in order. */
static const struct {
    const char *numbers;
    int n;
    const char *first, *last;
} number_cases[] = {
    {"03000000101;+92 345 1234567", 2, "+923000000101", "+923451234567"},
    {"\"03000000101; 0300-0000102\"", 2, "+923000000101", "+923000000102"},
    {"03000000101;03000000102;03000000103;03000000104;03000000105;03000000106;03000000107;"
     "03000000108",
     8, "+923000000101", "+923000000108"},
};

START_TEST(test_csv_row_numbers)
{
    struct citizen_csv_row row;
    char line[512], why[CITIZEN_CSV_WHY] = "";

    snprintf(line, sizeof(line), "10000-0000001-1,Ahmad,احمد,PSH,%s,active",
             number_cases[_i].numbers);
    ck_assert_msg(citizen_csv_row(line, strlen(line), &row, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_eq(row.nmsisdn, number_cases[_i].n);
    ck_assert_str_eq(row.msisdn[0], number_cases[_i].first);
    ck_assert_str_eq(row.msisdn[row.nmsisdn - 1], number_cases[_i].last);
}
END_TEST

START_TEST(test_csv_header)
{
    char why[CITIZEN_CSV_WHY];
    static const char good[] = CITIZEN_CSV_HEADER;
    static const char bom[] = "\xEF\xBB\xBF" CITIZEN_CSV_HEADER;
    static const char other[] = "cnic,name,name_ur,district,msisdn,status";

    ck_assert_int_eq(citizen_csv_header(good, strlen(good), why, sizeof(why)), 0);
    /* A byte order mark (Excel's "CSV UTF-8") is skipped. */
    ck_assert_int_eq(citizen_csv_header(bom, strlen(bom), why, sizeof(why)), 0);
    ck_assert_int_eq(citizen_csv_header(bom, 3, why, sizeof(why)), -KP_ERR_PARSE);
    ck_assert_int_eq(citizen_csv_header(other, strlen(other), why, sizeof(why)), -KP_ERR_PARSE);
    ck_assert_str_eq(why, "the header must be cnic,name_en,name_ur,district,msisdn,status");
    ck_assert_int_eq(citizen_csv_header(good, strlen(good) - 1, why, sizeof(why)), -KP_ERR_PARSE);
}
END_TEST

/* ---- the store ---- */

static char *dir;
static char path[512];
static uint8_t ckey[CNIC_KEY_BYTES], akey[AUDIT_KEY_BYTES];

/* The registry over the test's store (open_keyed, test_store_no_keys). */
static struct registry *reg;

static void citizen_setup(void)
{
    dir = tu_tmpdir("citizen");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(ckey, sizeof(ckey));
    randombytes_buf(akey, sizeof(akey));
}

static void citizen_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

static struct store *open_keyed(void)
{
    struct store *st;

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    reg = registry_new(st);
    ck_assert_int_eq(registry_use_key(reg, ckey), 0);
    audit_use_key(st, akey);
    return st;
}

static void raw_exec(const char *sql)
{
    sqlite3 *db;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* The events of the audit rows about c, oldest first, joined with ' '. */
static void events_of(struct store *st, const struct store_citizen *c, char *out, size_t size)
{
    struct store_audit_filter f = {c->cnic_index, NULL, 0, 0, 100};
    struct store_audit_row *v;
    int n = store_audit_list(st, &f, &v);

    ck_assert_int_ge(n, 0);
    out[0] = '\0';
    for (int i = n - 1; i >= 0; i--) {
        ck_assert_mem_eq(v[i].subject, c->cnic_index, CNIC_INDEX_BYTES);
        snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "", v[i].event);
    }
    free(v);
}

static void assert_chain(struct store *st, int64_t rows)
{
    struct audit_report rep;

    ck_assert_int_eq(audit_verify(st, &rep), 0);
    ck_assert_int_eq(rep.rows, rows);
}

/* The file (and its WAL) must not hold a CNIC in any form. */
static void assert_no_cnic_in_file(const char *const *cnics, size_t n)
{
    static const char *const suffixes[] = {"", "-wal"};

    for (size_t k = 0; k < KP_ARRAY_LEN(suffixes); k++) {
        char p[600];
        size_t len;
        uint8_t *data;
        snprintf(p, sizeof(p), "%s%s", path, suffixes[k]);
        if ((data = tu_read_file(p, &len)) == NULL)
            continue;
        for (size_t i = 0; i < n; i++) {
            char text[CNIC_TEXT_SIZE];
            ck_assert_int_eq(cnic_format(cnics[i], text), 0);
            ck_assert_ptr_null(memmem(data, len, cnics[i], strlen(cnics[i])));
            ck_assert_ptr_null(memmem(data, len, text, strlen(text)));
        }
        free(data);
    }
}

START_TEST(test_store_add_get)
{
    static const char *const cnics[] = {"1000000000011", "1730176543219"};
    struct store *st = open_keyed();
    struct store_citizen c, d, got;
    char cnic[CNIC_SIZE], ev[64];

    fill(&c, "Ahmad Khan", "احمد خان", "PSH", STORE_CITIZEN_ACTIVE);
    ck_assert_int_eq(registry_citizen_add(reg, cnics[0], &c, "kpass", 100), 0);
    ck_assert_int_eq(c.id, 1);
    ck_assert_str_eq(c.last4, "0011");
    ck_assert_int_eq(c.created_at, 100);
    ck_assert_int_eq(registry_citizen_add(reg, cnics[0], &c, "kpass", 101), -KP_ERR_EXISTS);
    ck_assert_int_eq(registry_citizen_add(reg, "123", &c, "kpass", 101), -KP_ERR_INVAL);
    fill(&d, "Bad[name]", "احمد", "PSH", 0);
    ck_assert_int_eq(registry_citizen_add(reg, cnics[1], &d, "kpass", 101), -KP_ERR_INVAL);
    fill(&d, "Gul Zaman", "گل زمان", "SWT", STORE_CITIZEN_BLOCKED);
    ck_assert_int_eq(registry_citizen_add(reg, cnics[1], &d, "kpass", 102), 0);
    ck_assert_int_eq(d.id, 2);

    /* Lookups: by CNIC (through the index), index, id. */
    ck_assert_int_eq(registry_citizen_get(reg, cnics[0], &got), 0);
    ck_assert_str_eq(got.name_ur, "احمد خان");
    ck_assert_str_eq(got.district, "PSH");
    ck_assert_int_eq(got.status, STORE_CITIZEN_ACTIVE);
    ck_assert_mem_eq(got.cnic_index, c.cnic_index, CNIC_INDEX_BYTES);
    ck_assert_int_eq(store_citizen_get_by_index(st, d.cnic_index, &got), 0);
    ck_assert_int_eq(got.status, STORE_CITIZEN_BLOCKED);
    ck_assert_int_eq(store_citizen_get_by_id(st, 2, &got), 0);
    ck_assert_str_eq(got.last4, "3219");
    ck_assert_int_eq(registry_citizen_get(reg, "1000000000029", &got), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(registry_citizen_get(reg, "10000-0000002-9", &got), -KP_ERR_INVAL);
    ck_assert_int_eq(store_citizen_get_by_id(st, 3, &got), -KP_ERR_NOTFOUND);

    /* The box opens to the CNIC, and only in its own row. */
    ck_assert_int_eq(registry_citizen_cnic(reg, 1, cnic), 0);
    ck_assert_str_eq(cnic, cnics[0]);
    ck_assert_int_eq(registry_citizen_cnic(reg, 2, cnic), 0);
    ck_assert_str_eq(cnic, cnics[1]);
    ck_assert_int_eq(registry_citizen_cnic(reg, 3, cnic), -KP_ERR_NOTFOUND);
    raw_exec("UPDATE citizen SET cnic_box = (SELECT cnic_box FROM citizen WHERE id = 2) "
             "WHERE id = 1");
    ck_assert_int_eq(registry_citizen_cnic(reg, 1, cnic), -KP_ERR_CRYPTO);
    ck_assert_str_eq(cnic, "");
    raw_exec("UPDATE citizen SET cnic_box = zeroblob(53) WHERE id = 2");
    ck_assert_int_eq(registry_citizen_cnic(reg, 2, cnic), -KP_ERR_CRYPTO);

    /* Another cnic.key: the same CNIC is not found. */
    uint8_t other[CNIC_KEY_BYTES];
    memcpy(other, ckey, sizeof(other));
    other[0] ^= 1;
    ck_assert_int_eq(registry_use_key(reg, other), 0);
    ck_assert_int_eq(registry_citizen_get(reg, cnics[0], &got), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(registry_use_key(reg, ckey), 0);

    events_of(st, &c, ev, sizeof(ev));
    ck_assert_str_eq(ev, "citizen.added");
    assert_chain(st, 2);
    registry_free(reg);
    reg = NULL;
    store_close(st);
    assert_no_cnic_in_file(cnics, KP_ARRAY_LEN(cnics));
}
END_TEST

START_TEST(test_store_numbers)
{
    struct store *st = open_keyed();
    struct store_citizen a, b, got;
    char nums[STORE_CITIZEN_MSISDNS][MSISDN_SIZE], e164[MSISDN_SIZE], ev[256];

    fill(&a, "Ahmad", "احمد", "PSH", 0);
    fill(&b, "Gul", "گل", "SWT", 0);
    ck_assert_int_eq(registry_citizen_add(reg, "1000000000011", &a, "kpass", 1), 0);
    ck_assert_int_eq(registry_citizen_add(reg, "1000000000022", &b, "kpass", 1), 0);
    ck_assert_int_eq(registry_citizen_link(reg, a.id, "+923000000101", "kpass", 2), 1);
    ck_assert_int_eq(registry_citizen_link(reg, a.id, "+923000000101", "kpass", 3), 0);
    /* A number belongs to one citizen only. */
    ck_assert_int_eq(registry_citizen_link(reg, b.id, "+923000000101", "kpass", 3), -KP_ERR_EXISTS);
    ck_assert_int_eq(registry_citizen_link(reg, a.id, "03000000101", "kpass", 3), -KP_ERR_INVAL);
    ck_assert_int_eq(registry_citizen_link(reg, 99, "+923000000199", "kpass", 3), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_citizen_get_by_msisdn(st, "+923000000101", &got), 0);
    ck_assert_int_eq(got.id, a.id);
    ck_assert_int_eq(store_citizen_get_by_msisdn(st, "+923000000102", &got), -KP_ERR_NOTFOUND);
    /* Several numbers, up to the limit. */
    for (int i = 0; i < STORE_CITIZEN_MSISDNS; i++) {
        snprintf(e164, sizeof(e164), "+92311000000%c", '0' + i);
        ck_assert_int_eq(registry_citizen_link(reg, b.id, e164, "kpass", 10 + i), 1);
    }
    ck_assert_int_eq(registry_citizen_link(reg, b.id, "+923110000009", "kpass", 20), -KP_ERR_LIMIT);
    ck_assert_int_eq(store_citizen_msisdns(st, b.id, nums, STORE_CITIZEN_MSISDNS),
                     STORE_CITIZEN_MSISDNS);
    ck_assert_str_eq(nums[0], "+923110000000");
    ck_assert_str_eq(nums[7], "+923110000007");
    ck_assert_int_eq(store_citizen_msisdns(st, b.id, nums, 2), 2);
    /* Unlink only from its owner. */
    ck_assert_int_eq(registry_citizen_unlink(reg, b.id, "+923000000101", "kpass", 30),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(registry_citizen_unlink(reg, a.id, "+923000000101", "kpass", 30), 0);
    ck_assert_int_eq(registry_citizen_unlink(reg, a.id, "+923000000101", "kpass", 30),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_citizen_get_by_msisdn(st, "+923000000101", &got), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_citizen_msisdns(st, a.id, nums, STORE_CITIZEN_MSISDNS), 0);
    /* Now free for b. */
    ck_assert_int_eq(registry_citizen_unlink(reg, b.id, "+923110000000", "kpass", 31), 0);
    ck_assert_int_eq(registry_citizen_link(reg, b.id, "+923000000101", "kpass", 32), 1);

    events_of(st, &a, ev, sizeof(ev));
    ck_assert_str_eq(ev, "citizen.added citizen.linked citizen.unlinked");
    /* The audit rows hold the masked number only. */
    struct store_audit_row row;
    ck_assert_int_eq(store_audit_get(st, 3, &row), 0);
    ck_assert_str_eq(row.event, "citizen.linked");
    ck_assert_str_eq(row.detail, "+92300****101");
    assert_chain(st, 2 + 1 + 8 + 1 + 1 + 1);
    registry_free(reg);
    reg = NULL;
    store_close(st);
}
END_TEST

START_TEST(test_store_changes)
{
    struct store *st = open_keyed();
    struct store_citizen a, got, *v;
    struct store_citizen_filter f = {NULL, -1, 0, 10};
    struct store_audit_row row;
    char ev[256];

    fill(&a, "Ahmad", "احمد", "PSH", 0);
    ck_assert_int_eq(registry_citizen_add(reg, "1000000000011", &a, "kpass", 1), 0);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, a.id, STORE_CITIZEN_BLOCKED, "lost card", "staff:7", 2),
        1);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, a.id, STORE_CITIZEN_BLOCKED, NULL, "kpass", 3), 0);
    ck_assert_int_eq(store_audit_get(st, 2, &row), 0);
    ck_assert_str_eq(row.detail, "active -> blocked: lost card");
    ck_assert_str_eq(row.actor, "staff:7");
    /* A reason the guard refuses changes nothing: the status stays. */
    ck_assert_int_eq(registry_citizen_set_status(reg, a.id, STORE_CITIZEN_ACTIVE,
                                                 "cnic 10000-0000001-1", "kpass", 4),
                     -KP_ERR_DENIED);
    ck_assert_int_eq(store_citizen_get_by_id(st, a.id, &got), 0);
    ck_assert_int_eq(got.status, STORE_CITIZEN_BLOCKED);
    ck_assert_int_eq(registry_citizen_set_status(reg, a.id, STORE_CITIZEN_ACTIVE, NULL, "kpass", 5),
                     1);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, a.id, STORE_CITIZEN_DECEASED, NULL, "kpass", 6), 1);
    ck_assert_int_eq(registry_citizen_set_status(reg, 77, STORE_CITIZEN_DECEASED, NULL, "kpass", 6),
                     -KP_ERR_NOTFOUND);
    /* Names and district. */
    got = a;
    snprintf(got.district, sizeof(got.district), "MRD");
    ck_assert_int_eq(registry_citizen_update(reg, &got, "kpass", 7), 1);
    ck_assert_int_eq(registry_citizen_update(reg, &got, "kpass", 8), 0);
    ck_assert_int_eq(store_audit_get(st, 5, &row), 0);
    ck_assert_str_eq(row.detail, "district PSH -> MRD");
    snprintf(got.name_en, sizeof(got.name_en), "Ahmad Khan");
    snprintf(got.name_ur, sizeof(got.name_ur), "احمد خان");
    ck_assert_int_eq(registry_citizen_update(reg, &got, "kpass", 9), 1);
    ck_assert_int_eq(store_audit_get(st, 6, &row), 0);
    ck_assert_str_eq(row.detail, "name_en, name_ur");
    snprintf(got.name_ur, sizeof(got.name_ur), "Ahmad");
    ck_assert_int_eq(registry_citizen_update(reg, &got, "kpass", 9), -KP_ERR_INVAL);
    ck_assert_int_eq(store_citizen_get_by_id(st, a.id, &got), 0);
    ck_assert_str_eq(got.name_en, "Ahmad Khan");
    ck_assert_int_eq(got.status, STORE_CITIZEN_DECEASED);
    ck_assert_int_eq(got.updated_at, 9);
    ck_assert_int_eq(got.created_at, 1);
    events_of(st, &a, ev, sizeof(ev));
    ck_assert_str_eq(ev, "citizen.added citizen.blocked citizen.unblocked citizen.deceased "
                         "citizen.changed citizen.changed");

    /* Lists and counts with filters and pages. */
    for (int i = 2; i <= 9; i++) {
        char cnic[CNIC_SIZE];
        struct store_citizen c;
        snprintf(cnic, sizeof(cnic), "10000000000%c%c", '0' + i, '0' + i);
        fill(&c, "X", "ب", i % 2 ? "PSH" : "MRD", i % 3 == 0 ? STORE_CITIZEN_BLOCKED : 0);
        ck_assert_int_eq(registry_citizen_add(reg, cnic, &c, "kpass", 10), 0);
    }
    ck_assert_int_eq(store_citizen_count(st, &f), 9);
    ck_assert_int_eq(store_citizen_list(st, &f, &v), 9);
    free(v);
    f.district = "MRD"; /* ids 1 (moved), 2, 4, 6, 8 */
    ck_assert_int_eq(store_citizen_count(st, &f), 5);
    f.status = STORE_CITIZEN_BLOCKED; /* 6 */
    ck_assert_int_eq(store_citizen_count(st, &f), 1);
    f.district = NULL; /* 3, 6, 9 */
    ck_assert_int_eq(store_citizen_count(st, &f), 3);
    f.offset = 1;
    f.limit = 1;
    ck_assert_int_eq(store_citizen_list(st, &f, &v), 1);
    ck_assert_int_eq(v[0].id, 6);
    free(v);
    f.offset = 3;
    ck_assert_int_eq(store_citizen_list(st, &f, &v), 0);
    ck_assert_ptr_null(v);
    f.limit = 0;
    ck_assert_int_eq(store_citizen_list(st, &f, &v), -KP_ERR_INVAL);
    assert_chain(st, 6 + 8);
    registry_free(reg);
    reg = NULL;
    store_close(st);
}
END_TEST

START_TEST(test_store_import)
{
    struct store *st = open_keyed();
    struct registry_import row;
    struct store_citizen got;
    struct audit_report rep;
    char ev[256];

    memset(&row, 0, sizeof(row));
    row.cnic = "1000000000011";
    row.msisdns[0] = "+923000000101";
    row.n_msisdns = 1;
    row.source = "t.csv:2";
    fill(&row.fields, "Ahmad", "احمد", "PSH", STORE_CITIZEN_ACTIVE);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 1), REGISTRY_CITIZEN_ADDED);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 2), REGISTRY_CITIZEN_UNCHANGED);
    assert_chain(st, 1);
    struct store_audit_row a;
    ck_assert_int_eq(store_audit_get(st, 1, &a), 0);
    ck_assert_str_eq(a.event, "citizen.imported");
    ck_assert_str_eq(a.detail, "t.csv:2, district PSH, status active, +92300****101");
    /* A changed row updates what differs, each with its own audit row. */
    snprintf(row.fields.district, sizeof(row.fields.district), "MRD");
    row.fields.status = STORE_CITIZEN_BLOCKED;
    row.msisdns[0] = "+923000000102";
    row.n_msisdns = 1;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 3), REGISTRY_CITIZEN_UPDATED);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 4), REGISTRY_CITIZEN_UNCHANGED);
    ck_assert_int_eq(registry_citizen_get(reg, row.cnic, &got), 0);
    events_of(st, &got, ev, sizeof(ev));
    ck_assert_str_eq(ev, "citizen.imported citizen.changed citizen.blocked citizen.linked");
    ck_assert_int_eq(store_citizen_get_by_msisdn(st, "+923000000101", &got), 0); /* kept */

    /* Another CNIC with a number already registered: nothing of it is written, even
       inside the caller's transaction (the row runs in a savepoint). */
    ck_assert_int_eq(store_tx_begin(st), 0);
    row.cnic = "1000000000022";
    row.msisdns[0] = "+923000000199";
    row.n_msisdns = 1;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 5), REGISTRY_CITIZEN_ADDED);
    row.cnic = "1000000000033";
    row.msisdns[0] = "+923000000101";
    row.n_msisdns = 1;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 5), -KP_ERR_EXISTS);
    row.source = "t.csv:+923000000101"; /* the audit guard refuses: nothing written */
    row.n_msisdns = 0;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 5), -KP_ERR_DENIED);
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(registry_citizen_get(reg, "1000000000033", &got), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(registry_citizen_get(reg, "1000000000022", &got), 0);
    ck_assert_int_eq(audit_verify(st, &rep), 0);
    ck_assert_int_eq(rep.rows, 5);
    registry_free(reg);
    reg = NULL;
    store_close(st);
}
END_TEST

/* A row with several numbers: all registered; the audit row names as many as fit. */
START_TEST(test_store_import_numbers)
{
    static const char *const nums[] = {"+923000000101", "+923000000102", "+923000000103",
                                       "+923000000104", "+923000000105", "+923000000106",
                                       "+923000000107", "+923000000108"};
    struct store *st = open_keyed();
    struct registry_import row;
    struct store_audit_row a;
    char got[STORE_CITIZEN_MSISDNS][MSISDN_SIZE];
    struct store_citizen c;

    memset(&row, 0, sizeof(row));
    row.cnic = "1000000000011";
    /* A long source leaves room for some of the masked numbers only. */
    row.source = "a-registry-extract-with-a-long-name-from-the-district-office.csv:2";
    fill(&row.fields, "Ahmad", "احمد", "PSH", STORE_CITIZEN_ACTIVE);
    for (int i = 0; i < 8; i++)
        row.msisdns[i] = nums[i];
    row.n_msisdns = 8;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 1), REGISTRY_CITIZEN_ADDED);
    ck_assert_int_eq(registry_citizen_get(reg, row.cnic, &c), 0);
    ck_assert_int_eq(store_citizen_msisdns(st, c.id, got, STORE_CITIZEN_MSISDNS), 8);
    ck_assert_int_eq(store_audit_get(st, 1, &a), 0);
    ck_assert_str_eq(a.detail,
                     "a-registry-extract-with-a-long-name-from-the-district-office.csv:2, "
                     "district PSH, status active, +92300****101, +92300****102, +92300****103, "
                     "+92300****104, +92300****105, +92300****106, +2 more");
    ck_assert_uint_le(strlen(a.detail), STORE_AUDIT_DETAIL_MAX);
    /* More than the limit in all: refused, nothing written. */
    row.cnic = "1000000000022";
    row.source = "t.csv:3";
    row.n_msisdns = 9;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 2), -KP_ERR_LIMIT);
    /* A number of the list owned by another citizen is named. */
    row.msisdns[0] = "+923000000201";
    row.msisdns[1] = "+923000000105";
    row.n_msisdns = 2;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 2), -KP_ERR_EXISTS);
    ck_assert_int_eq(row.bad_msisdn, 1);
    ck_assert_int_eq(store_citizen_get_by_msisdn(st, "+923000000201", &c), -KP_ERR_NOTFOUND);
    assert_chain(st, 1);
    registry_free(reg);
    reg = NULL;
    store_close(st);
}
END_TEST

/*
 * A row that fails half-way (its name changed, then a number over the
 * limit): undone by its savepoint normally; in bulk mode left for the
 * caller to roll back; bulk mode ends with its transaction.
 */
START_TEST(test_store_bulk_scope)
{
    struct store *st = open_keyed();
    struct registry_import row;
    struct store_citizen got;
    char e164[8][MSISDN_SIZE];

    memset(&row, 0, sizeof(row));
    row.cnic = "1000000000011";
    row.source = "t.csv:2";
    fill(&row.fields, "Ahmad", "احمد", "PSH", STORE_CITIZEN_ACTIVE);
    for (int i = 0; i < 8; i++) {
        snprintf(e164[i], sizeof(e164[i]), "+92300000010%c", (char)('0' + i));
        row.msisdns[i] = e164[i];
    }
    row.n_msisdns = 8;
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 1), REGISTRY_CITIZEN_ADDED);
    /* The same citizen renamed, with a ninth number: refused after the rename. */
    snprintf(row.fields.name_en, sizeof(row.fields.name_en), "Ahmad Khan");
    row.msisdns[0] = "+923110000000";
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 2), -KP_ERR_LIMIT);
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(registry_citizen_get(reg, row.cnic, &got), 0);
    ck_assert_str_eq(got.name_en, "Ahmad"); /* the savepoint undid the rename */
    /* Bulk mode: no savepoint, the rename stays inside the transaction. */
    ck_assert_int_eq(store_bulk(st), 0);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 3), -KP_ERR_LIMIT);
    ck_assert_int_eq(registry_citizen_get(reg, row.cnic, &got), 0);
    ck_assert_str_eq(got.name_en, "Ahmad Khan");
    store_tx_rollback(st);
    ck_assert_int_eq(registry_citizen_get(reg, row.cnic, &got), 0);
    ck_assert_str_eq(got.name_en, "Ahmad");
    /* The rollback ended bulk mode: the next transaction has savepoints again. */
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(registry_citizen_import(reg, &row, "kpass", 4), -KP_ERR_LIMIT);
    ck_assert_int_eq(registry_citizen_get(reg, row.cnic, &got), 0);
    ck_assert_str_eq(got.name_en, "Ahmad");
    ck_assert_int_eq(store_tx_commit(st), 0);
    assert_chain(st, 1);
    registry_free(reg);
    reg = NULL;
    store_close(st);
}
END_TEST

START_TEST(test_store_no_keys)
{
    struct store *st;
    struct store_citizen c;

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    reg = registry_new(st);
    fill(&c, "Ahmad", "احمد", "PSH", 0);
    ck_assert_int_eq(registry_citizen_add(reg, "1000000000011", &c, "kpass", 1), -KP_ERR_STATE);
    ck_assert_int_eq(registry_citizen_get(reg, "1000000000011", &c), -KP_ERR_STATE);
    /* The cnic key alone is not enough: changes need the audit key too. */
    ck_assert_int_eq(registry_use_key(reg, ckey), 0);
    ck_assert_int_eq(registry_citizen_add(reg, "1000000000011", &c, "kpass", 1), -KP_ERR_STATE);
    ck_assert_int_eq(registry_citizen_get(reg, "1000000000011", &c), -KP_ERR_NOTFOUND);
    registry_free(reg);
    reg = NULL;
    store_close(st);
}
END_TEST

Suite *suite_citizen(void)
{
    Suite *s = suite_create("citizen");
    TCase *tc = tcase_create("rules");

    if (sodium_init() < 0)
        return s;
    tcase_add_loop_test(tc, test_fields, 0, (int)KP_ARRAY_LEN(field_cases));
    tcase_add_test(tc, test_status_mask);
    tcase_add_loop_test(tc, test_csv_split, 0, (int)KP_ARRAY_LEN(split_cases));
    tcase_add_test(tc, test_csv_split_count);
    tcase_add_loop_test(tc, test_csv_row, 0, (int)KP_ARRAY_LEN(row_cases));
    tcase_add_loop_test(tc, test_csv_row_numbers, 0, (int)KP_ARRAY_LEN(number_cases));
    tcase_add_test(tc, test_csv_header);
    suite_add_tcase(s, tc);

    tc = tcase_create("store");
    tcase_add_checked_fixture(tc, citizen_setup, citizen_teardown);
    tcase_add_test(tc, test_store_add_get);
    tcase_add_test(tc, test_store_numbers);
    tcase_add_test(tc, test_store_changes);
    tcase_add_test(tc, test_store_import);
    tcase_add_test(tc, test_store_import_numbers);
    tcase_add_test(tc, test_store_bulk_scope);
    tcase_add_test(tc, test_store_no_keys);
    suite_add_tcase(s, tc);
    return s;
}
