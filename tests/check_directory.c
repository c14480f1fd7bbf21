/* SPDX-License-Identifier: ISC */
/*
 * directory: the services directory in the store.  Upserts that say what
 * they did, office links, lookups, every list at its pagination
 * boundaries, language fallback, keyword search (the matching rule, its
 * bounds, hostile queries) with the FTS index kept in step, all on a
 * synthetic fixture; then the shipped seed imported by the real kpass,
 * checked row by row through the same queries, and timed.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/store/db_sqlite.h"
#include "../src/store/store_internal.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/directory.h"
#include "pgtest.h"
#include "testutil.h"

static char *dir;
static char path[512];
static struct store *st;

static void dir_setup(void)
{
    dir = tu_tmpdir("directory");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
}

static void dir_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    store_close(st);
    st = NULL;
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

/* One value through the store's own connection (either backend). */
static long long db_int(const char *sql)
{
    struct db_stmt *s;
    long long v = -1;

    ck_assert_int_eq(db_prepare(st->db, sql, &s), 0);
    if (db_step(s) == DB_ROW)
        v = db_col_int64(s, 0);
    db_finalize(s);
    return v;
}

static void name_set(struct store_dir_name *n, const char *en, const char *ur, const char *ps)
{
    snprintf(n->en, sizeof(n->en), "%s", en);
    snprintf(n->ur, sizeof(n->ur), "%s", ur);
    snprintf(n->ps, sizeof(n->ps), "%s", ps);
    n->ul[0] = '\0';
}

static void put_department(const char *code, const char *en, const char *ps, unsigned sort)
{
    struct store_dir_department d;

    memset(&d, 0, sizeof(d));
    strcpy(d.code, code);
    name_set(&d.name, en, "محکمہ", ps);
    d.sort = sort;
    ck_assert_int_ge(store_dir_department_put(st, &d), 0);
}

static void put_district(const char *code, const char *en, unsigned sort)
{
    struct store_dir_district d;

    memset(&d, 0, sizeof(d));
    strcpy(d.code, code);
    name_set(&d.name, en, "ضلع", "");
    strcpy(d.division, "Peshawar");
    d.sort = sort;
    ck_assert_int_ge(store_dir_district_put(st, &d), 0);
}

static void service_fill(struct store_dir_service *s, const char *code, const char *dept,
                         const char *en, const char *desc, unsigned sort)
{
    memset(s, 0, sizeof(*s));
    strcpy(s->code, code);
    strcpy(s->department, dept);
    name_set(&s->name, en, "خدمت", "");
    snprintf(s->description.en, sizeof(s->description.en), "%s", desc);
    strcpy(s->fee, "Free");
    strcpy(s->documents, "None");
    strcpy(s->processing_time, "Same day");
    strcpy(s->where_to_apply, "Any office");
    s->sort = sort;
}

static void put_service(const char *code, const char *dept, const char *en, const char *desc,
                        unsigned sort)
{
    struct store_dir_service s;

    service_fill(&s, code, dept, en, desc, sort);
    ck_assert_int_ge(store_dir_service_put(st, &s), 0);
}

static void office_fill(struct store_dir_office *o, const char *code, const char *district,
                        const char *services, unsigned sort)
{
    char list[256], *save = NULL;

    memset(o, 0, sizeof(*o));
    strcpy(o->code, code);
    strcpy(o->district, district);
    name_set(&o->name, code, "دفتر", "");
    strcpy(o->address, "Main road");
    strcpy(o->hours, "Mon-Fri 09:00-16:00");
    strcpy(o->phone, "091-0000101");
    snprintf(list, sizeof(list), "%s", services);
    for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
        strcpy(o->services[o->nservices++], t);
    o->sort = sort;
}

static void put_office(const char *code, const char *district, const char *services, unsigned sort)
{
    struct store_dir_office o;

    office_fill(&o, code, district, services, sort);
    ck_assert_int_ge(store_dir_office_put(st, &o), 0);
}

/*
 * The synthetic directory: departments D3, D1, D2 (sort 1..3, so not in
 * code order), 250 services S000..S249 in D1 (listed by sort, which runs
 * backwards against the codes), 2 in D2, none in D3; districts AA, BB, CC
 * with offices in AA and CC only.
 */
static void dir_fixture(void)
{
    char code[16];

    ck_assert_int_eq(store_tx_begin(st), 0);
    put_department("D3", "Third", "", 1);
    put_department("D1", "First", "لومړی", 2);
    put_department("D2", "Second", "", 3);
    for (int i = 0; i < 250; i++) {
        snprintf(code, sizeof(code), "S%03d", i);
        put_service(code, "D1", "Common service", "Every one of these says service.",
                    (unsigned)(1000 - i));
    }
    put_service("VEHREG", "D2", "Vehicle registration", "Number plates and a card.", 1);
    put_service("CAFE", "D2", "Café licence", "Open a café or a hotel.", 2);
    put_district("AA", "Alpha", 1);
    put_district("BB", "Beta", 2);
    put_district("CC", "Gamma", 3);
    put_office("AA1", "AA", "VEHREG CAFE", 1);
    put_office("AA2", "AA", "CAFE", 2);
    put_office("CC1", "CC", "VEHREG", 3);
    ck_assert_int_eq(store_tx_commit(st), 0);
}

START_TEST(test_dir_upsert)
{
    struct store_dir_department d, got;
    struct store_dir_service s, sg;

    memset(&d, 0, sizeof(d));
    strcpy(d.code, "HLTH");
    name_set(&d.name, "Health", "محکمہ صحت", "");
    d.sort = 1;
    ck_assert_int_eq(store_dir_department_put(st, &d), STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_department_put(st, &d), STORE_DIR_UNCHANGED);
    strcpy(d.name.ps, "روغتیا");
    ck_assert_int_eq(store_dir_department_put(st, &d), STORE_DIR_UPDATED);
    ck_assert_int_eq(store_dir_department_put(st, &d), STORE_DIR_UNCHANGED);
    d.sort = 2; /* a moved row is an update too */
    ck_assert_int_eq(store_dir_department_put(st, &d), STORE_DIR_UPDATED);
    ck_assert_int_eq(store_dir_department_get(st, "HLTH", &got), 0);
    ck_assert_str_eq(got.name.ps, "روغتیا");
    ck_assert_uint_eq(got.sort, 2);
    ck_assert_int_eq(store_dir_department_get(st, "NOPE", &got), -KP_ERR_NOTFOUND);
    /* The table's CHECKs refuse what the importer would (a lower-case code,
       an empty name): -KP_ERR_INVAL, nothing written. */
    strcpy(d.code, "hl");
    ck_assert_int_eq(store_dir_department_put(st, &d), -KP_ERR_INVAL);
    strcpy(d.code, "HL");
    d.name.en[0] = '\0';
    ck_assert_int_eq(store_dir_department_put(st, &d), -KP_ERR_INVAL);
    ck_assert_int_eq(db_int("SELECT count(*) FROM department"), 1);
    /* A service needs its department. */
    service_fill(&s, "OPD", "NOPE", "Outpatient", "See a doctor.", 1);
    ck_assert_int_eq(store_dir_service_put(st, &s), -KP_ERR_NOTFOUND);
    strcpy(s.department, "HLTH");
    ck_assert_int_eq(store_dir_service_put(st, &s), STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_service_put(st, &s), STORE_DIR_UNCHANGED);
    strcpy(s.fee, "Rs 20");
    s.ussd = 1;
    ck_assert_int_eq(store_dir_service_put(st, &s), STORE_DIR_UPDATED);
    strcpy(s.fee, "free"); /* not Free, Varies or Rs N */
    ck_assert_int_eq(store_dir_service_put(st, &s), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_service_get(st, "OPD", &sg), 0);
    ck_assert_str_eq(sg.fee, "Rs 20");
    ck_assert_str_eq(sg.department, "HLTH");
    ck_assert_int_eq(sg.ussd, 1);
    ck_assert_int_eq(sg.online, 0);
    ck_assert_int_eq(store_dir_exists(st, STORE_DIR_SERVICE, "OPD"), 1);
    ck_assert_int_eq(store_dir_exists(st, STORE_DIR_OFFICE, "OPD"), 0);
}
END_TEST

START_TEST(test_dir_office_links)
{
    struct store_dir_office o, got;
    struct store_dir_counts n;

    dir_fixture();
    ck_assert_int_eq(store_dir_office_get(st, "AA1", &got), 0);
    ck_assert_str_eq(got.district, "AA");
    ck_assert_uint_eq(got.nservices, 2);
    ck_assert_str_eq(got.services[0], "VEHREG");
    ck_assert_str_eq(got.services[1], "CAFE");
    /* The list is part of the office: same list unchanged, new order updated. */
    office_fill(&o, "AA1", "AA", "VEHREG CAFE", 1);
    ck_assert_int_eq(store_dir_office_put(st, &o), STORE_DIR_UNCHANGED);
    office_fill(&o, "AA1", "AA", "CAFE VEHREG", 1);
    ck_assert_int_eq(store_dir_office_put(st, &o), STORE_DIR_UPDATED);
    office_fill(&o, "AA1", "AA", "CAFE", 1);
    ck_assert_int_eq(store_dir_office_put(st, &o), STORE_DIR_UPDATED);
    ck_assert_int_eq(store_dir_office_get(st, "AA1", &got), 0);
    ck_assert_uint_eq(got.nservices, 1);
    /* An unknown service or district: refused before anything is written. */
    office_fill(&o, "BB1", "BB", "CAFE NOSUCH", 1);
    ck_assert_int_eq(store_dir_office_put(st, &o), -KP_ERR_NOTFOUND);
    office_fill(&o, "BB1", "ZZ", "CAFE", 1);
    ck_assert_int_eq(store_dir_office_put(st, &o), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_dir_exists(st, STORE_DIR_OFFICE, "BB1"), 0);
    /* A service twice breaks the link table's key. */
    office_fill(&o, "BB1", "BB", "CAFE CAFE", 1);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(store_dir_office_put(st, &o), -KP_ERR_INVAL);
    store_tx_rollback(st);
    ck_assert_int_eq(store_dir_count(st, &n), 0);
    ck_assert_uint_eq(n.departments, 3);
    ck_assert_uint_eq(n.districts, 3);
    ck_assert_uint_eq(n.services, 252);
    ck_assert_uint_eq(n.offices, 3);
    ck_assert_uint_eq(n.links, 3); /* AA1: CAFE; AA2: CAFE; CC1: VEHREG */
    /* Removing an office removes its links. */
    ck_assert_int_eq(store_dir_office_remove(st, "AA1"), 0);
    ck_assert_int_eq(store_dir_office_remove(st, "AA1"), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(db_int("SELECT count(*) FROM office_service"), 2);
}
END_TEST

static const struct {
    const char *en, *ur, *ps;
    enum store_dir_lang lang;
    const char *want;
} pick_cases[] = {
    {"Health", "صحت", "روغتیا", STORE_DIR_EN, "Health"},
    {"Health", "صحت", "روغتیا", STORE_DIR_UR, "صحت"},
    {"Health", "صحت", "روغتیا", STORE_DIR_PS, "روغتیا"},
    {"Health", "صحت", "", STORE_DIR_PS, "Health"}, /* English, not Urdu */
    {"Health", "", "", STORE_DIR_UR, "Health"},
    {"Health", "", "روغتیا", STORE_DIR_UR, "Health"},
};

START_TEST(test_dir_pick)
{
    struct store_dir_name n;
    struct store_dir_desc d;

    memset(&n, 0, sizeof(n));
    memset(&d, 0, sizeof(d));
    name_set(&n, pick_cases[_i].en, pick_cases[_i].ur, pick_cases[_i].ps);
    ck_assert_str_eq(store_dir_name_pick(&n, pick_cases[_i].lang), pick_cases[_i].want);
    strcpy(d.en, n.en);
    strcpy(d.ur, n.ur);
    strcpy(d.ps, n.ps);
    /* Texts pick as names do: the language's, else English (never Urdu for Pashto). */
    ck_assert_str_eq(store_dir_desc_pick(&d, pick_cases[_i].lang), pick_cases[_i].want);
    /* Roman Urdu missing: English. */
    ck_assert_str_eq(store_dir_desc_pick(&d, STORE_DIR_UL), n.en);
}
END_TEST

START_TEST(test_dir_lang_parse)
{
    ck_assert_int_eq(store_dir_lang_parse("en"), STORE_DIR_EN);
    ck_assert_int_eq(store_dir_lang_parse("ur"), STORE_DIR_UR);
    ck_assert_int_eq(store_dir_lang_parse("ps"), STORE_DIR_PS);
    ck_assert_int_eq(store_dir_lang_parse("EN"), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_lang_parse(""), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_lang_parse("urdu"), -KP_ERR_INVAL);
}
END_TEST

/* Page boundaries: (offset, limit) -> the first and last code and count. */
static const struct {
    unsigned offset, limit;
    int count;
    const char *first, *last;
} page_cases[] = {
    {0, 1, 1, "S249", "S249"}, /* sort runs against the codes */
    {0, 100, 100, "S249", "S150"}, {100, 100, 100, "S149", "S050"}, {200, 100, 50, "S049", "S000"},
    {249, 100, 1, "S000", "S000"}, {250, 100, 0, NULL, NULL},       {1000, 5, 0, NULL, NULL},
    {10, 0, 0, NULL, NULL}, /* limit 0: only the total */
};

START_TEST(test_dir_service_pages)
{
    struct store_dir_item items[STORE_DIR_PAGE_MAX + 1];
    unsigned total = 0;
    int n;

    dir_fixture();
    n = store_dir_service_list(st, "D1", page_cases[_i].offset, page_cases[_i].limit, items,
                               &total);
    ck_assert_int_eq(n, page_cases[_i].count);
    ck_assert_uint_eq(total, 250);
    if (n > 0) {
        ck_assert_str_eq(items[0].code, page_cases[_i].first);
        ck_assert_str_eq(items[n - 1].code, page_cases[_i].last);
        ck_assert_str_eq(items[0].parent, "D1");
        ck_assert_str_eq(items[0].name.en, "Common service");
        ck_assert_str_eq(items[0].name.ur, "خدمت");
    }
}
END_TEST

START_TEST(test_dir_lists)
{
    struct store_dir_item it[STORE_DIR_PAGE_MAX + 1];
    unsigned total = 99;

    dir_fixture();
    /* Departments in file order, not code order; total without a page. */
    ck_assert_int_eq(store_dir_department_list(st, 0, 10, it, &total), 3);
    ck_assert_uint_eq(total, 3);
    ck_assert_str_eq(it[0].code, "D3");
    ck_assert_str_eq(it[1].code, "D1");
    ck_assert_str_eq(it[1].name.ps, "لومړی");
    ck_assert_str_eq(it[2].code, "D2");
    ck_assert_str_eq(it[0].parent, "");
    ck_assert_int_eq(store_dir_department_list(st, 1, 1, it, NULL), 1);
    ck_assert_str_eq(it[0].code, "D1");
    ck_assert_int_eq(store_dir_department_list(st, 0, STORE_DIR_PAGE_MAX + 1, it, &total),
                     -KP_ERR_RANGE);
    /* A department without services: empty; an unknown one: not found. */
    ck_assert_int_eq(store_dir_service_list(st, "D3", 0, 10, it, &total), 0);
    ck_assert_uint_eq(total, 0);
    ck_assert_int_eq(store_dir_service_list(st, "D9", 0, 10, it, &total), -KP_ERR_NOTFOUND);
    /* Districts: every one, also BB which has no office (issue 11). */
    ck_assert_int_eq(store_dir_district_list(st, 0, 10, it, &total), 3);
    ck_assert_uint_eq(total, 3);
    ck_assert_str_eq(it[0].code, "AA");
    ck_assert_str_eq(it[1].code, "BB");
    ck_assert_str_eq(it[2].code, "CC");
    ck_assert_int_eq(store_dir_district_list(st, 2, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "CC");
    /* Offices of a district. */
    ck_assert_int_eq(store_dir_office_list(st, "AA", 0, 10, it, &total), 2);
    ck_assert_uint_eq(total, 2);
    ck_assert_str_eq(it[0].code, "AA1");
    ck_assert_str_eq(it[0].parent, "AA");
    ck_assert_str_eq(it[1].code, "AA2");
    ck_assert_int_eq(store_dir_office_list(st, "BB", 0, 10, it, &total), 0);
    ck_assert_int_eq(store_dir_office_list(st, "XX", 0, 10, it, &total), -KP_ERR_NOTFOUND);
    /* Offices offering a service, anywhere or within a district. */
    ck_assert_int_eq(store_dir_office_find(st, "VEHREG", NULL, 0, 10, it, &total), 2);
    ck_assert_uint_eq(total, 2);
    ck_assert_str_eq(it[0].code, "AA1");
    ck_assert_str_eq(it[1].code, "CC1");
    ck_assert_str_eq(it[1].parent, "CC");
    ck_assert_int_eq(store_dir_office_find(st, "VEHREG", NULL, 1, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "CC1");
    ck_assert_int_eq(store_dir_office_find(st, "VEHREG", "CC", 0, 10, it, &total), 1);
    ck_assert_uint_eq(total, 1);
    ck_assert_str_eq(it[0].code, "CC1");
    ck_assert_int_eq(store_dir_office_find(st, "CAFE", "CC", 0, 10, it, &total), 0);
    ck_assert_uint_eq(total, 0);
    ck_assert_int_eq(store_dir_office_find(st, "CAFE", "AA", 0, 10, it, &total), 2);
    ck_assert_int_eq(store_dir_office_find(st, "S001", NULL, 0, 10, it, &total), 0);
    ck_assert_int_eq(store_dir_office_find(st, "NOPE", NULL, 0, 10, it, &total), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_dir_office_find(st, "CAFE", "XX", 0, 10, it, &total), -KP_ERR_NOTFOUND);
}
END_TEST

/* Search: query -> the codes found, best first (or an error). */
static const struct {
    const char *query;
    int rc;           /* count, or the error */
    const char *want; /* codes joined by ' ', first ones only when longer */
} search_cases[] = {
    {"vehicle", 1, "VEHREG"},
    {"VEHICLE", 1, "VEHREG"},       /* case-insensitive */
    {"veh reg", 1, "VEHREG"},       /* every word a prefix */
    {"  veh   reg  ", 1, "VEHREG"}, /* extra spaces */
    {"veh cafe", 0, ""},            /* every word must match */
    {"plates", 1, "VEHREG"},        /* the description counts */
    {"hicle", 0, ""},               /* prefixes of words, not infixes */
    {"cafe", 1, "CAFE"},            /* Latin diacritics folded */
    {"CAFÉ", 1, "CAFE"},
    {"café hotel", 1, "CAFE"},
    /* Urdu.  Capped at 50.  BM25 ranks shorter texts first (VEHREG has
       the fewest words), then file order on ties (CAFE is sort 2). */
    {"خدمت", 50, "VEHREG CAFE"},
    {"\"veh", 1, "VEHREG"}, /* a quote is only text */
    {"veh\"", 1, "VEHREG"},
    {"veh OR cafe", 0, ""}, /* FTS5 operators are plain words */
    {"NEAR(veh", 0, ""},
    {"veh*", 1, "VEHREG"},
    {"-", -KP_ERR_INVAL, ""}, /* no letter or digit */
    {"", -KP_ERR_INVAL, ""},
    {"   ", -KP_ERR_INVAL, ""},
    {"vehicle a a a a a a a zzz", 1, "VEHREG"}, /* a 9th word does not count */
    {"zzz", 0, ""},
};

START_TEST(test_dir_search)
{
    struct store_dir_item it[STORE_DIR_PAGE_MAX];
    struct kp_buf got = KP_BUF_INIT;
    unsigned total = 12345;
    int n;

    dir_fixture();
    n = store_dir_service_search(st, search_cases[_i].query, 0, 2, it, &total);
    ck_assert_msg(n == (search_cases[_i].rc > 2 ? 2 : search_cases[_i].rc), "case %d '%s': %d", _i,
                  search_cases[_i].query, n);
    if (n < 0)
        return;
    ck_assert_uint_eq(total, (unsigned)search_cases[_i].rc);
    for (int i = 0; i < n; i++)
        kp_buf_printf(&got, "%s%s", i ? " " : "", it[i].code);
    kp_buf_append(&got, "", 0);
    ck_assert_str_eq(got.data, search_cases[_i].want);
    kp_buf_free(&got);
}
END_TEST

/* Words split as FTS5's unicode61 splits them, and bm25's order, on either
   backend (PostgreSQL: directory_rank.c): query -> the codes found. */
static const struct {
    const char *query;
    const char *want;
} word_cases[] = {
    {"تجدید", "URSTOP"}, /* an Urdu full stop ends a word: "پاسپورٹ۔تجدید" */
    {"فارم", "ZWNJ"},    /* so does a zero-width non-joiner (a format character) */
    {"guide", "QUOTE"},  /* and curly quotes */
    {"smart", "DASH"},   /* and an en dash */
    {"naive", "NAIVE"},  /* diacritics folded: "Naïve" */
    {"ÉCOLE", "NAIVE"},  /* in the query too */
    {"plan-b", "PLANB"}, /* a word with a hyphen is a phrase: its words in a row */
    {"،", ""},           /* only punctuation: nothing, as FTS5 */
    {"fee", "FEE2 FEE1 FEE4 FEE3"}, /* bm25: names 10, descriptions 1, tf saturates */
    {"fee refund", "FEE1 FEE3"},
    {"sched", "FEE2 FEE3"},
};

static void word_fixture(void)
{
    ck_assert_int_eq(store_tx_begin(st), 0);
    put_department("D1", "First", "", 1);
    put_service("URSTOP", "D1", "Passport", "پاسپورٹ۔تجدید", 1);
    put_service("ZWNJ", "D1", "Form B", "ب\u200cفارم", 2);
    put_service("QUOTE", "D1", "Citizen \u201cguide\u201d", "Read it.", 3);
    put_service("DASH", "D1", "Card\u2013smart", "A card.", 4);
    put_service("NAIVE", "D1", "Naïve École", "French words.", 5);
    put_service("PLANB", "D1", "Plan-B office", "The other plan.", 6);
    put_service("FEE1", "D1", "Fee refund", "Refund of a fee paid twice.", 7);
    put_service("FEE2", "D1", "Fee fee schedule", "Fees.", 8);
    put_service("FEE3", "D1", "Schedule", "Fee fee fee fee fee fee and a refund of the fee paid.",
                9);
    put_service("FEE4", "D1", "Tax appeal with fee", "Appeal a tax.", 10);
    ck_assert_int_eq(store_tx_commit(st), 0);
}

START_TEST(test_dir_search_words)
{
    struct store_dir_item it[STORE_DIR_PAGE_MAX];
    struct kp_buf got = KP_BUF_INIT;
    unsigned total;
    int n;

    word_fixture();
    n = store_dir_service_search(st, word_cases[_i].query, 0, STORE_DIR_PAGE_MAX, it, &total);
    ck_assert_msg(n >= 0, "'%s': %d", word_cases[_i].query, n);
    for (int i = 0; i < n; i++)
        kp_buf_printf(&got, "%s%s", i ? " " : "", it[i].code);
    kp_buf_append(&got, "", 0);
    ck_assert_msg(strcmp(got.data, word_cases[_i].want) == 0, "'%s': %s instead of %s",
                  word_cases[_i].query, got.data, word_cases[_i].want);
    kp_buf_free(&got);
}
END_TEST

/* The typing-error rule: word, text -> edits, or -1. */
static const struct {
    const char *word, *text;
    int want;
} fuzzy_cases[] = {
    {"licence", "Driving licence", 0},
    {"lic", "Driving licence", 0},     /* the beginning of a word */
    {"lisence", "Driving licence", 1}, /* one wrong letter */
    {"lisense", "Driving licence", 2}, /* two, in a long word */
    {"LISENCE", "Driving licence", 1}, /* case */
    {"drivnig", "Driving licence", 1}, /* two letters swapped */
    {"lisen", "Driving licence", 1},   /* a beginning with an error */
    {"laisans", "laisans driving", 0}, /* a Roman Urdu keyword */
    {"laisens", "laisans", 1},
    {"lix", "Driving licence", -1},  /* short words: exact only */
    {"lsnc", "Driving licence", -1}, /* too far */
    {"licenses", "Driving licence", 2},
    {"car", "card", 0},
    {"cad", "card", -1},
    {"لائسنس", "ڈرائیونگ لائسنس", 0},   /* Urdu */
    {"لايسنس", "ڈرائیونگ لائسنس", 0},   /* an Arabic yeh for hamza-yeh */
    {"ڈرائيونگ", "ڈرائیونگ لائسنس", 0}, /* Arabic yeh folds to the Urdu one */
    {"لیسنس", "ڈرائیونگ لائسنس", 1},    /* Urdu spelled by ear */
    {"لسنس", "ڈرائیونگ لائسنس", -1},    /* two edits in four letters */
    {"ډرایور", "ډرایوري جواز", 0},      /* Pashto, a beginning */
    {"جواذ", "ډرایوري جواز", 1},        /* Pashto, one wrong letter */
    {"2999", "service 2998", -1},       /* numbers are exact */
    {"2999", "service 2999", 0},
    {"", "anything", -1},
    {"licence", "", -1},
};

START_TEST(test_dir_fuzzy)
{
    ck_assert_msg(
        store_dir_fuzzy_match(fuzzy_cases[_i].word, fuzzy_cases[_i].text) == fuzzy_cases[_i].want,
        "'%s' in '%s': %d, want %d", fuzzy_cases[_i].word, fuzzy_cases[_i].text,
        store_dir_fuzzy_match(fuzzy_cases[_i].word, fuzzy_cases[_i].text), fuzzy_cases[_i].want);
}
END_TEST

/* Translations: stored, read back into every struct and list, a second
   put is unchanged, "" removes, and a row's own column wins. */
START_TEST(test_dir_texts)
{
    struct store_dir_item it[10];
    struct store_dir_service sv;
    struct store_dir_office o;
    struct store_dir_department de;
    unsigned total;

    dir_fixture();
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_NAME,
                                        STORE_DIR_UL, "Gaari ki registration"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_NAME,
                                        STORE_DIR_UL, "Gaari ki registration"),
                     STORE_DIR_UNCHANGED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_NAME,
                                        STORE_DIR_PS, "د موټر ثبت"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_DOCUMENTS,
                                        STORE_DIR_UR, "شناختی کارڈ"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_WHERE,
                                        STORE_DIR_PS, "د اېکسايز دفتر"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_DESCRIPTION,
                                        STORE_DIR_UL, "Nambar plate"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_OFFICE, "AA1", STORE_DIR_F_ADDRESS,
                                        STORE_DIR_UR, "مین روڈ"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_OFFICE, "AA1", STORE_DIR_F_NAME, STORE_DIR_PS,
                                        "لومړی دفتر"),
                     STORE_DIR_ADDED);
    /* D1 has its own Pashto name: a translation does not replace it. */
    ck_assert_int_eq(
        store_dir_text_put(st, STORE_DIR_DEPARTMENT, "D1", STORE_DIR_F_NAME, STORE_DIR_PS, "بل"),
        STORE_DIR_ADDED);
    ck_assert_int_eq(
        store_dir_text_put(st, STORE_DIR_SERVICE, "NOPE", STORE_DIR_F_NAME, STORE_DIR_UL, "x"),
        -KP_ERR_NOTFOUND);

    ck_assert_int_eq(store_dir_service_get(st, "VEHREG", &sv), 0);
    ck_assert_str_eq(store_dir_name_pick(&sv.name, STORE_DIR_UL), "Gaari ki registration");
    ck_assert_str_eq(store_dir_name_pick(&sv.name, STORE_DIR_PS), "د موټر ثبت");
    ck_assert_str_eq(store_dir_name_pick(&sv.name, STORE_DIR_UR), "خدمت");
    ck_assert_str_eq(store_dir_desc_pick(&sv.docs, STORE_DIR_UR), "شناختی کارڈ");
    ck_assert_str_eq(store_dir_desc_pick(&sv.docs, STORE_DIR_PS), "None"); /* missing: English */
    ck_assert_str_eq(store_dir_desc_in(&sv.docs, STORE_DIR_PS), "");
    ck_assert_str_eq(store_dir_desc_pick(&sv.where, STORE_DIR_PS), "د اېکسايز دفتر");
    ck_assert_str_eq(store_dir_desc_pick(&sv.description, STORE_DIR_UL), "Nambar plate");
    ck_assert_int_eq(store_dir_office_get(st, "AA1", &o), 0);
    ck_assert_str_eq(store_dir_desc_pick(&o.addr, STORE_DIR_UR), "مین روڈ");
    ck_assert_str_eq(store_dir_desc_pick(&o.addr, STORE_DIR_UL), "Main road");
    ck_assert_str_eq(store_dir_name_pick(&o.name, STORE_DIR_PS), "لومړی دفتر");
    ck_assert_int_eq(store_dir_department_get(st, "D1", &de), 0);
    ck_assert_str_eq(de.name.ps, "لومړی");

    /* Lists carry the translated names too. */
    ck_assert_int_eq(store_dir_service_list(st, "D2", 0, 10, it, &total), 2);
    ck_assert_str_eq(it[0].code, "VEHREG");
    ck_assert_str_eq(it[0].name.ul, "Gaari ki registration");
    ck_assert_str_eq(it[0].name.ps, "د موټر ثبت");
    ck_assert_str_eq(it[1].name.ul, "");
    ck_assert_int_eq(store_dir_office_list(st, "AA", 0, 10, it, &total), 2);
    ck_assert_str_eq(it[0].name.ps, "لومړی دفتر");
    ck_assert_int_eq(store_dir_department_list(st, 0, 10, it, &total), 3);
    ck_assert_str_eq(it[1].name.ps, "لومړی");

    /* "" removes. */
    ck_assert_int_eq(
        store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_NAME, STORE_DIR_UL, ""),
        STORE_DIR_UPDATED);
    ck_assert_int_eq(store_dir_service_get(st, "VEHREG", &sv), 0);
    ck_assert_str_eq(sv.name.ul, "");
    ck_assert_int_eq(store_dir_field_parse("where"), STORE_DIR_F_WHERE);
    ck_assert_int_eq(store_dir_field_parse("fee"), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_kind_parse("office"), STORE_DIR_OFFICE);
    ck_assert_int_eq(store_dir_lang_parse("ur-Latn"), STORE_DIR_UL);
    ck_assert_str_eq(store_dir_lang_name(STORE_DIR_UL), "ur-Latn");
}
END_TEST

/* The nearest offices of a district without any: by the distance table. */
START_TEST(test_dir_near)
{
    struct store_dir_item it[10];
    unsigned total;

    dir_fixture();
    put_district("DD", "Delta", 4);
    put_office("DD1", "DD", "CAFE", 4);
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "CC", 40), STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "AA", 90), STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_distance_put(st, "AA", "BB", 90), STORE_DIR_UNCHANGED);
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "BB", 1), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "CC", 0), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "XX", 5), -KP_ERR_NOTFOUND);
    /* BB has no office: CC's first (40 km), then AA's; DD is not linked. */
    ck_assert_int_eq(store_dir_office_near(st, "BB", NULL, 0, 10, it, &total), 3);
    ck_assert_uint_eq(total, 3);
    ck_assert_str_eq(it[0].code, "CC1");
    ck_assert_str_eq(it[0].parent, "CC");
    ck_assert_str_eq(it[1].code, "AA1");
    ck_assert_str_eq(it[2].code, "AA2");
    /* Only those offering a service. */
    ck_assert_int_eq(store_dir_office_near(st, "BB", "CAFE", 0, 10, it, &total), 2);
    ck_assert_str_eq(it[0].code, "AA1");
    ck_assert_int_eq(store_dir_office_near(st, "BB", NULL, 1, 1, it, &total), 1);
    ck_assert_str_eq(it[0].code, "AA1");
    /* Both ways, and beyond a neighbour: AA's neighbour BB has none, CC
       (through BB, 130 km) has one. */
    ck_assert_int_eq(store_dir_office_near(st, "AA", NULL, 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "CC1");
    ck_assert_int_eq(store_dir_office_near(st, "XX", NULL, 0, 10, it, &total), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_dir_office_near(st, "BB", "NOPE", 0, 10, it, &total), -KP_ERR_NOTFOUND);
}
END_TEST

/* An office's main department (that of the first service it lists)
   files it under one topic: a district's offices of some departments,
   and the nearest of them for a district without one. */
START_TEST(test_dir_office_dept)
{
    struct store_dir_item it[10];
    unsigned total;

    dir_fixture();
    put_office("AA3", "AA", "S000 VEHREG", 3); /* D1 first, D2 too */
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D2", 0, 10, it, &total), 2);
    ck_assert_uint_eq(total, 2);
    ck_assert_str_eq(it[0].code, "AA1");
    ck_assert_str_eq(it[0].parent, "AA");
    ck_assert_str_eq(it[1].code, "AA2");
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D1", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "AA3");
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "  D3 D1  D2 ", 0, 10, it, &total), 3);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D1 D2", 2, 10, it, &total), 1);
    ck_assert_uint_eq(total, 3);
    /* Whole codes only: "D" is no prefix of D1, "D1 D" no suffix. */
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D", 0, 10, it, &total), 0);
    ck_assert_uint_eq(total, 0);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "1 D", 0, 10, it, &total), 0);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D3", 0, 10, it, &total), 0);
    ck_assert_int_eq(store_dir_office_list_dept(st, "BB", "D2", 0, 10, it, &total), 0);
    ck_assert_int_eq(store_dir_office_list_dept(st, "XX", "D2", 0, 10, it, &total),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "", 0, 10, it, &total), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "   ", 0, 10, it, &total), -KP_ERR_INVAL);
    /* The order of an office's list decides: VEHREG first is D2's. */
    put_office("AA3", "AA", "VEHREG S000", 3);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D1", 0, 10, it, &total), 0);
    ck_assert_int_eq(store_dir_office_list_dept(st, "AA", "D2", 0, 10, it, &total), 3);
    /* Nearest of a topic: BB has none; CC (40 km) then AA (90 km). */
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "CC", 40), STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_distance_put(st, "BB", "AA", 90), STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_office_near_dept(st, "BB", "D2", 0, 10, it, &total), 4);
    ck_assert_str_eq(it[0].code, "CC1");
    ck_assert_str_eq(it[0].parent, "CC");
    ck_assert_str_eq(it[3].code, "AA3");
    put_office("AA3", "AA", "S000 VEHREG", 3);
    ck_assert_int_eq(store_dir_office_near_dept(st, "BB", "D1", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "AA3");
    ck_assert_int_eq(store_dir_office_near_dept(st, "BB", "D3", 0, 10, it, &total), 0);
    /* The service filter of the same statement still works without it. */
    ck_assert_int_eq(store_dir_office_near(st, "BB", "CAFE", 0, 10, it, &total), 2);
    ck_assert_int_eq(store_dir_office_near_dept(st, "BB", "", 0, 10, it, &total), -KP_ERR_INVAL);
    ck_assert_int_eq(store_dir_office_near_dept(st, "XX", "D1", 0, 10, it, &total),
                     -KP_ERR_NOTFOUND);
}
END_TEST

/* The search finds what the word search misses, after it, by keyword and
   with typing errors. */
START_TEST(test_dir_search_typos)
{
    struct store_dir_item it[10];
    unsigned total;

    dir_fixture();
    ck_assert_int_eq(store_dir_text_put(st, STORE_DIR_SERVICE, "VEHREG", STORE_DIR_F_KEYWORDS,
                                        STORE_DIR_UL, "gaari registreshan"),
                     STORE_DIR_ADDED);
    ck_assert_int_eq(store_dir_service_search(st, "vehicel", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "VEHREG");
    ck_assert_int_eq(store_dir_service_search(st, "gaari", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "VEHREG");
    ck_assert_int_eq(store_dir_service_search(st, "gari", 0, 10, it, &total), 1);
    ck_assert_int_eq(store_dir_service_search(st, "registreshun", 0, 10, it, &total), 1);
    /* The word search's results first, then the typing-error ones:
       "licence" is CAFE's word, "lisence" finds it only by the rule. */
    ck_assert_int_eq(store_dir_service_search(st, "lisence", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "CAFE");
    ck_assert_int_eq(store_dir_service_search(st, "qqqq", 0, 10, it, &total), 0);
    ck_assert_uint_eq(total, 0);
}
END_TEST

START_TEST(test_dir_search_bounds)
{
    struct store_dir_item it[STORE_DIR_PAGE_MAX];
    char longq[STORE_DIR_QUERY_MAX + 2];
    unsigned total;

    dir_fixture();
    /* 250 services say "service"; only the first STORE_DIR_SEARCH_MAX count. */
    ck_assert_int_eq(store_dir_service_search(st, "service", 0, 100, it, &total), 50);
    ck_assert_uint_eq(total, STORE_DIR_SEARCH_MAX);
    ck_assert_int_eq(store_dir_service_search(st, "service", 40, 20, it, &total), 10);
    ck_assert_int_eq(store_dir_service_search(st, "service", 49, 20, it, &total), 1);
    ck_assert_int_eq(store_dir_service_search(st, "service", 50, 20, it, &total), 0);
    ck_assert_uint_eq(total, STORE_DIR_SEARCH_MAX);
    ck_assert_int_eq(store_dir_service_search(st, "service", 0, 101, it, &total), -KP_ERR_RANGE);
    /* Names weigh more than descriptions: "common" is in every name,
       "every" in every description; both find all, S249 leads by sort. */
    ck_assert_int_eq(store_dir_service_search(st, "common", 0, 1, it, NULL), 1);
    ck_assert_str_eq(it[0].code, "S249");
    memset(longq, 'a', sizeof(longq) - 1);
    longq[sizeof(longq) - 1] = '\0';
    ck_assert_int_eq(store_dir_service_search(st, longq, 0, 10, it, &total), -KP_ERR_INVAL);
    longq[STORE_DIR_QUERY_MAX] = '\0'; /* exactly the limit: allowed */
    ck_assert_int_eq(store_dir_service_search(st, longq, 0, 10, it, &total), 0);
}
END_TEST

/* The FTS index follows every change of the service texts. */
START_TEST(test_dir_search_follows)
{
    struct store_dir_item it[4];
    struct store_dir_service s;
    struct kp_buf rep = KP_BUF_INIT;
    unsigned total;

    dir_fixture();
    ck_assert_int_eq(store_dir_service_get(st, "VEHREG", &s), 0);
    strcpy(s.name.en, "Motor registration");
    strcpy(s.name.ps, "د موټر ثبت");
    ck_assert_int_eq(store_dir_service_put(st, &s), STORE_DIR_UPDATED);
    ck_assert_int_eq(store_dir_service_search(st, "vehicle", 0, 4, it, &total), 0);
    ck_assert_int_eq(store_dir_service_search(st, "motor", 0, 4, it, &total), 1);
    ck_assert_int_eq(store_dir_service_search(st, "موټر", 0, 4, it, &total), 1);
    ck_assert_str_eq(it[0].code, "VEHREG");
    ck_assert_str_eq(it[0].parent, "D2");
    ck_assert_str_eq(store_dir_name_pick(&it[0].name, STORE_DIR_PS), "د موټر ثبت");
    /* A change of sort only does not touch the index; the index checks out. */
    s.sort = 7;
    ck_assert_int_eq(store_dir_service_put(st, &s), STORE_DIR_UPDATED);
    if (!tu_pg_wanted()) /* FTS5's own check; PostgreSQL's index is an expression's */
        ck_assert_int_eq(store_exec(st, "INSERT INTO service_fts (service_fts) "
                                        "VALUES ('integrity-check')"),
                         0);
    ck_assert_int_eq(store_dir_optimize(st), 0);
    ck_assert_int_eq(store_dir_service_search(st, "motor", 0, 4, it, &total), 1);
    ck_assert_int_eq(store_integrity_check(st, &rep), tu_pg_wanted() ? -KP_ERR_UNSUPPORTED : 0);
    kp_buf_free(&rep);
}
END_TEST

struct each_ctx {
    unsigned n, stop_at;
    char first[16], last[16];
};

static int each_cb(void *ctx, const struct store_dir_item *it)
{
    struct each_ctx *c = ctx;

    if (c->n++ == 0)
        strcpy(c->first, it->code);
    strcpy(c->last, it->code);
    return c->n == c->stop_at ? 42 : 0;
}

START_TEST(test_dir_each)
{
    struct each_ctx c = {0, 0, "", ""};

    dir_fixture();
    ck_assert_int_eq(store_dir_service_each(st, NULL, each_cb, &c), 0);
    ck_assert_uint_eq(c.n, 252);
    ck_assert_str_eq(c.first, "S249"); /* D1 before D2 (file order) */
    ck_assert_str_eq(c.last, "CAFE");
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(store_dir_service_each(st, "D2", each_cb, &c), 0);
    ck_assert_uint_eq(c.n, 2);
    memset(&c, 0, sizeof(c));
    c.stop_at = 5;
    ck_assert_int_eq(store_dir_service_each(st, "D1", each_cb, &c), 42);
    ck_assert_uint_eq(c.n, 5);
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(store_dir_office_each(st, NULL, each_cb, &c), 0);
    ck_assert_uint_eq(c.n, 3);
    ck_assert_str_eq(c.last, "CC1");
    ck_assert_int_eq(store_dir_office_each(st, "BB", each_cb, &c), 0);
    ck_assert_int_eq(store_dir_office_each(st, "ZZ", each_cb, &c), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_dir_service_each(st, "ZZ", each_cb, &c), -KP_ERR_NOTFOUND);
}
END_TEST

/* ---- the shipped seed, imported by the real kpass ---- */

static struct tu_daemon d;

static void seed_setup(void)
{
    char *out = NULL, db[600];
    int rc;

    tu_daemon_prepare(&d, NULL);
    rc = tu_kpass(&d, NULL, &out, "import", "seed", NULL);
    ck_assert_msg(rc == 0, "kpass import seed: %d: %s", rc, out);
    free(out);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
}

static void seed_teardown(void)
{
    store_close(st);
    st = NULL;
    tu_daemon_cleanup(&d);
}

START_TEST(test_seed_rows)
{
    struct store_dir_counts n;
    struct store_dir_service s;
    struct store_dir_office o;
    struct store_dir_district di;
    struct store_dir_department de;
    struct store_dir_item it[10], it_all[35];
    unsigned total;

    ck_assert_int_eq(store_dir_count(st, &n), 0);
    ck_assert_uint_eq(n.departments, 15);
    ck_assert_uint_eq(n.districts, 35);
    ck_assert_uint_eq(n.services, 62);
    ck_assert_uint_eq(n.offices, 96);
    ck_assert_uint_eq(n.links, 382);
    ck_assert_int_eq(store_dir_service_get(st, "DOMICILE", &s), 0);
    ck_assert_str_eq(s.department, "DC");
    ck_assert_str_eq(s.name.en, "Domicile certificate");
    ck_assert_str_eq(s.name.ur, "ڈومیسائل سرٹیفکیٹ");
    /* Pashto and Roman Urdu from translations.csv, documents in every language. */
    ck_assert_str_eq(s.name.ps, "ډومیسایل سند");
    ck_assert_str_eq(s.name.ul, "Domicile certificate");
    ck_assert_str_eq(s.docs.ur,
                     "شناختی کارڈ کی کاپی، والد کا شناختی کارڈ یا ڈومیسائل، 2 تصاویر، بیان حلفی");
    ck_assert_str_eq(s.where.ps, "د ډپټي کمشنر دفتر");
    ck_assert_str_eq(s.description.ul,
                     "Sooba aur zila ki sakoonat ki sanad, naukri aur dakhlon ke liye.");
    ck_assert_str_eq(s.fee, "Varies");
    ck_assert_str_eq(s.processing_time, "10 days");
    ck_assert_str_eq(s.documents, "CNIC copy; father's CNIC or domicile; 2 photos; affidavit");
    ck_assert_int_eq(s.online, 0);
    ck_assert_int_eq(store_dir_service_get(st, "VEHVERIF", &s), 0);
    ck_assert_int_eq(s.online, 1);
    ck_assert_int_eq(s.ussd, 1);
    ck_assert_str_eq(s.fee, "Free");
    ck_assert_int_eq(store_dir_office_get(st, "PSHEX1", &o), 0);
    ck_assert_str_eq(o.name.en, "Excise & Taxation office, Peshawar"); /* was quoted */
    ck_assert_str_eq(o.phone, "091-0000101");
    ck_assert_str_eq(o.hours, "Mon-Fri 09:00-16:00");
    ck_assert_uint_eq(o.nservices, 6);
    ck_assert_str_eq(o.services[0], "VEHREG");
    ck_assert_str_eq(o.services[5], "PROFTAX");
    ck_assert_int_eq(store_dir_district_get(st, "DIK", &di), 0);
    ck_assert_str_eq(di.division, "Dera Ismail Khan");
    ck_assert_str_eq(di.name.ps, "ډېره اسماعیل خان");
    ck_assert_int_eq(store_dir_department_get(st, "EXCISE", &de), 0);
    ck_assert_str_eq(de.name.en, "Excise, Taxation & Narcotics");
    /* File order: EDU is the first department, PSH the first district. */
    ck_assert_int_eq(store_dir_department_list(st, 0, 2, it, &total), 2);
    ck_assert_uint_eq(total, 15);
    ck_assert_str_eq(it[0].code, "EDU");
    ck_assert_str_eq(it[1].code, "HED");
    ck_assert_str_eq(store_dir_name_pick(&it[1].name, STORE_DIR_PS), "لوړې زده کړې");
    ck_assert_str_eq(store_dir_name_pick(&it[0].name, STORE_DIR_PS), "ابتدايي او ثانوي زده کړې");
    ck_assert_str_eq(store_dir_name_pick(&it[0].name, STORE_DIR_UL), "Ibtidai o Sanvi Taleem");
    ck_assert_int_eq(store_dir_district_list(st, 0, 1, it, &total), 1);
    ck_assert_uint_eq(total, 35); /* every district of Khyber Pakhtunkhwa */
    ck_assert_str_eq(it[0].code, "PSH");
    ck_assert_int_eq(store_dir_office_list(st, "PSH", 0, 10, it, &total), 10);
    ck_assert_uint_eq(total, 26);
    ck_assert_str_eq(it[0].code, "PSHEX1");
    ck_assert_int_eq(store_dir_office_find(st, "SEHATCHK", NULL, 0, 10, it, &total), 10);
    ck_assert_uint_eq(total, 21);
    ck_assert_int_eq(store_dir_office_find(st, "FARD", "PSH", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "PSHLR1");
    ck_assert_int_eq(store_dir_service_list(st, "EXCISE", 0, 10, it, &total), 6);
    ck_assert_str_eq(it[0].code, "VEHREG");
    /* Search in every language of the seed. */
    ck_assert_int_eq(store_dir_service_search(st, "domicile", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "DOMICILE");
    ck_assert_int_eq(store_dir_service_search(st, "ڈومیسائل", 0, 10, it, &total), 1);
    ck_assert_str_eq(it[0].code, "DOMICILE");
    ck_assert_int_eq(store_dir_service_search(st, "sehat card", 0, 10, it, &total), 4);
    /* Three by the words, the learner permit by its keyword "license". */
    ck_assert_int_eq(store_dir_service_search(st, "driving licence", 0, 10, it, &total), 4);
    ck_assert_str_eq(it[3].code, "DLLEARN");
    /* Typing errors in three scripts: the driving licence among the results. */
    static const char *const typos[] = {"lisence", "laisans", "لايسنس", "لیسنس", "drivng"};
    for (size_t i = 0; i < KP_ARRAY_LEN(typos); i++) {
        int found = store_dir_service_search(st, typos[i], 0, 10, it, &total), k = 0;
        while (k < found && strcmp(it[k].code, "DLNEW") != 0)
            k++;
        ck_assert_msg(k < found, "'%s' does not find DLNEW (%d found)", typos[i], found);
    }
    /* Every district without an office of its own has offices near it. */
    ck_assert_int_eq(store_dir_district_list(st, 0, 35, it_all, &total), 35);
    for (unsigned i = 0; i < total; i++) {
        unsigned own = 0, near = 0;
        ck_assert_int_ge(store_dir_office_list(st, it_all[i].code, 0, 0, NULL, &own), 0);
        ck_assert_int_ge(store_dir_office_near(st, it_all[i].code, NULL, 0, 0, NULL, &near), 0);
        ck_assert_msg(own > 0 || near > 0, "%s: no office, none near", it_all[i].code);
    }
    /* Upper Kohistan: Mansehra's three (200 km), then Swat's; five at most. */
    ck_assert_int_eq(store_dir_office_near(st, "UKH", NULL, 0, 10, it, &total), 5);
    ck_assert_uint_eq(total, STORE_DIR_NEAR_MAX);
    ck_assert_str_eq(it[0].parent, "MSH");
    ck_assert_str_eq(it[4].parent, "SWT"); /* through Lower Kohistan and Shangla, 210 km */
    /* Every district has an office of each kind "Find an office" offers, or
       one near (neighbours of neighbours count). */
    static const char *const kinds[] = {"SEHATCHK", "VEHREG", "FARD",
                                        "CHARCERT", "DLNEW",  "DOMICILE"};
    for (size_t k = 0; k < KP_ARRAY_LEN(kinds); k++) {
        for (unsigned i = 0; i < 35; i++) {
            unsigned own = 0, near = 0;
            ck_assert_int_ge(store_dir_office_find(st, kinds[k], it_all[i].code, 0, 0, NULL, &own),
                             0);
            ck_assert_int_ge(store_dir_office_near(st, it_all[i].code, kinds[k], 0, 0, NULL, &near),
                             0);
            ck_assert_msg(own > 0 || near > 0, "%s: no %s office, none near", it_all[i].code,
                          kinds[k]);
        }
    }
}
END_TEST

/* The topics of "Every office" in menus/offices.menu (its office_depts
   values), space-separated department codes each; returns their count. */
static size_t menu_topics(char topics[][128], size_t cap)
{
    char file[600];
    size_t n = 0, len;
    uint8_t *text;
    const char *p, *key = "office_depts = \"";

    snprintf(file, sizeof(file), "%s/menus/offices.menu", tu_top());
    text = tu_read_file(file, &len);
    ck_assert_msg(text != NULL, "cannot read %s", file);
    for (p = (const char *)text; (p = strstr(p, key)) != NULL && n < cap;) {
        p += strlen(key);
        len = strcspn(p, "\"");
        if (len > 0 && len < sizeof(topics[0]))
            snprintf(topics[n++], sizeof(topics[0]), "%.*s", (int)len, p);
        p += len;
    }
    free(text);
    return n;
}

/*
 * "Every office" by topic (issue 11): with the shipped menus' topics and
 * the seed, every department is in exactly one topic, so every office of
 * every district is in exactly one topic's list, and no topic's list of
 * a district is longer than 7 (what the page goals were measured with:
 * Peshawar's largest topic).
 */
START_TEST(test_seed_topics)
{
    char topics[16][128], key[130];
    struct store_dir_item all[STORE_DIR_PAGE_MAX], dists[35], v[STORE_DIR_PAGE_MAX];
    size_t nt = menu_topics(topics, 16);
    unsigned total, nd;
    int n;

    ck_assert_uint_eq(nt, 7);
    ck_assert_int_eq(store_dir_department_list(st, 0, 35, all, &total), 15);
    for (unsigned i = 0; i < total; i++) {
        int in = 0;
        for (size_t t = 0; t < nt; t++) {
            snprintf(key, sizeof(key), " %.126s ", topics[t]);
            char code[16];
            snprintf(code, sizeof(code), " %s ", all[i].code);
            in += strstr(key, code) != NULL;
        }
        ck_assert_msg(in == 1, "department %s is in %d topics", all[i].code, in);
    }
    ck_assert_int_eq(store_dir_district_list(st, 0, 35, dists, &nd), 35);
    for (unsigned di = 0; di < nd; di++) {
        unsigned seen[STORE_DIR_PAGE_MAX] = {0}, own;
        n = store_dir_office_list(st, dists[di].code, 0, STORE_DIR_PAGE_MAX, all, &own);
        ck_assert_int_eq(n, (int)own);
        for (size_t t = 0; t < nt; t++) {
            int k = store_dir_office_list_dept(st, dists[di].code, topics[t], 0, STORE_DIR_PAGE_MAX,
                                               v, &total);
            ck_assert_int_ge(k, 0);
            ck_assert_msg(k <= 7, "%s: %d offices of '%s'", dists[di].code, k, topics[t]);
            for (int i = 0; i < k; i++) {
                int j = 0;
                while (j < n && strcmp(all[j].code, v[i].code) != 0)
                    j++;
                ck_assert_msg(j < n, "%s of '%s' is not in %s", v[i].code, topics[t],
                              dists[di].code);
                seen[j]++;
            }
            /* a district without one lists the nearest of the topic */
            if (k == 0) {
                ck_assert_int_eq(
                    store_dir_office_near_dept(st, dists[di].code, topics[t], 0, 0, NULL, &total),
                    0);
                ck_assert_msg(total > 0, "%s: no office of '%s', none near", dists[di].code,
                              topics[t]);
            }
        }
        for (int j = 0; j < n; j++)
            ck_assert_msg(seen[j] == 1, "%s: office %s is in %u topics", dists[di].code,
                          all[j].code, seen[j]);
    }
}
END_TEST

/* Query latency on the seed (printed with KP_BENCH=1; a benchmark, not a
   timed test: DESIGN.md §9).  Every call must still give the right rows. */
START_TEST(test_seed_latency)
{
    struct store_dir_item it[9];
    struct store_dir_service s;
    struct store_dir_office o;
    /* PostgreSQL: a round trip per call on a shared machine; fewer loops. */
    const int loops = tu_pg_wanted() ? 100 : 2000;
    unsigned total;
    uint64_t t[9];
    int k = 0;

    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_department_list(st, 0, 9, it, &total), 9);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_service_list(st, "HLTH", 0, 9, it, &total), 5);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_service_get(st, "DOMICILE", &s), 0);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_service_search(st, "birth cert", 0, 9, it, &total), 1);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_district_list(st, 9, 9, it, &total), 9);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_office_find(st, "OPD", "PSH", 0, 9, it, &total), 3);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_office_get(st, "PSHHT1", &o), 0);
    t[k++] = kp_clock_us();
    for (int i = 0; i < loops; i++)
        ck_assert_int_eq(store_dir_office_near(st, "UKH", "DLNEW", 0, 9, it, &total), 5);
    t[k++] = kp_clock_us();
    if (getenv("KP_BENCH")) {
        static const char *const names[] = {"department_list", "service_list",  "service_get",
                                            "service_search",  "district_list", "office_find",
                                            "office_get",      "office_near"};
        for (int i = 0; i + 1 < k; i++)
            fprintf(stderr, "directory: %-16s %6.1f us/call (page of 9 with total)\n", names[i],
                    (double)(t[i + 1] - t[i]) / loops);
    }
}
END_TEST

Suite *suite_directory(void)
{
    Suite *s = suite_create("directory");
    TCase *tc = tcase_create("store");
    TCase *seed = tcase_create("seed");

    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, test_dir_upsert);
    tcase_add_test(tc, test_dir_office_links);
    tcase_add_loop_test(tc, test_dir_pick, 0, (int)KP_ARRAY_LEN(pick_cases));
    tcase_add_test(tc, test_dir_lang_parse);
    tcase_add_loop_test(tc, test_dir_service_pages, 0, (int)KP_ARRAY_LEN(page_cases));
    tcase_add_test(tc, test_dir_lists);
    tcase_add_loop_test(tc, test_dir_search, 0, (int)KP_ARRAY_LEN(search_cases));
    tcase_add_loop_test(tc, test_dir_search_words, 0, (int)KP_ARRAY_LEN(word_cases));
    tcase_add_test(tc, test_dir_search_bounds);
    tcase_add_loop_test(tc, test_dir_fuzzy, 0, (int)KP_ARRAY_LEN(fuzzy_cases));
    tcase_add_test(tc, test_dir_texts);
    tcase_add_test(tc, test_dir_near);
    tcase_add_test(tc, test_dir_office_dept);
    tcase_add_test(tc, test_dir_search_typos);
    tcase_add_test(tc, test_dir_search_follows);
    tcase_add_test(tc, test_dir_each);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(seed, seed_setup, seed_teardown);
    tcase_set_timeout(seed, 60);
    tcase_add_test(seed, test_seed_rows);
    tcase_add_test(seed, test_seed_topics);
    tcase_add_test(seed, test_seed_latency);
    suite_add_tcase(s, seed);
    return s;
}
