/* SPDX-License-Identifier: ISC */
/*
 * directory_cli: kpass import, service and office, run as the real
 * program.  The shipped seed imports with the right counts and a second
 * run changes nothing; a changed row is counted as updated; every kind of
 * bad row gives its exact "file:line: reason" and nothing is imported, not
 * even the good rows before it or the good files of a seed before the bad
 * one; CSV syntax errors name their lines; the listing, show, search and
 * office add commands; the progress bar appears only on a terminal.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kpass/core/buf.h"
#include "kpass/core/mem.h"
#include "testutil.h"

static struct tu_daemon d;

static void cli_setup(void)
{
    tu_daemon_prepare(&d, NULL);
}

static void cli_teardown(void)
{
    tu_daemon_cleanup(&d);
}

static long long db_int(const char *sql)
{
    char path[600];
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Rows in every directory table, as one number to compare before/after. */
static long long db_rows(void)
{
    return db_int("SELECT (SELECT count(*) FROM department) * 1000000000 + "
                  "(SELECT count(*) FROM district) * 1000000 + "
                  "(SELECT count(*) FROM service) * 1000 + (SELECT count(*) FROM office) + "
                  "(SELECT count(*) FROM office_service) * 100000000000");
}

/* A file in the test folder; the path is static storage (8 in turn). */
static const char *test_path(const char *name)
{
    static char paths[8][700];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, sizeof(paths[0]), "%s/%s", d.dir, name);
    return p;
}

static const char *test_write(const char *name, const char *text)
{
    const char *p = test_path(name);

    ck_assert_int_eq(tu_write_file(p, text), 0);
    return p;
}

/* Copy the shipped seed into <test>/seed; returns that folder. */
static const char *seed_copy(void)
{
    static const char *const files[] = {"departments", "districts", "services", "offices"};
    char src[1024], name[64];

    mkdir(test_path("seed"), 0755);
    for (size_t i = 0; i < KP_ARRAY_LEN(files); i++) {
        snprintf(src, sizeof(src), "%s/etc/seed/%s.csv", tu_top(), files[i]);
        char *text = (char *)tu_read_file(src, NULL);
        ck_assert_ptr_nonnull(text);
        snprintf(name, sizeof(name), "seed/%s.csv", files[i]);
        test_write(name, text);
        free(text);
    }
    return test_path("seed");
}

/* Replace the first old in file name by new (which must change it). */
static void file_edit(const char *name, const char *old, const char *new)
{
    const char *p = test_path(name);
    char *text = (char *)tu_read_file(p, NULL), *at;
    struct kp_buf b = KP_BUF_INIT;

    ck_assert_ptr_nonnull(text);
    at = strstr(text, old);
    ck_assert_msg(at != NULL, "'%s' not in %s", old, name);
    kp_buf_append(&b, text, (size_t)(at - text));
    kp_buf_puts(&b, new);
    kp_buf_puts(&b, at + strlen(old));
    test_write(name, b.data);
    kp_buf_free(&b);
    free(text);
}

static void want(const char *out, const char *text)
{
    ck_assert_msg(strstr(out, text) != NULL, "want '%s' in:\n%s", text, out);
}

static unsigned count_lines(const char *out, const char *prefix)
{
    unsigned n = 0;
    size_t len = strlen(prefix);

    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

START_TEST(test_cli_seed)
{
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    want(out, "/etc/seed/departments.csv: 15 rows: 15 added, 0 updated, 0 unchanged");
    want(out, "/etc/seed/districts.csv: 35 rows: 35 added, 0 updated, 0 unchanged");
    want(out, "/etc/seed/services.csv: 62 rows: 62 added, 0 updated, 0 unchanged");
    want(out, "/etc/seed/offices.csv: 96 rows: 96 added, 0 updated, 0 unchanged");
    want(out, "/etc/seed/translations.csv: 1234 rows: 1234 added, 0 updated, 0 unchanged");
    want(out, "/etc/seed/distances.csv: 68 rows: 68 added, 0 updated, 0 unchanged");
    ck_assert_ptr_null(strstr(out, "importing")); /* no progress bar off a terminal */
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM office_service"), 382);
    /* Idempotent: the second run changes nothing. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    want(out, "departments.csv: 15 rows: 0 added, 0 updated, 15 unchanged");
    want(out, "districts.csv: 35 rows: 0 added, 0 updated, 35 unchanged");
    want(out, "services.csv: 62 rows: 0 added, 0 updated, 62 unchanged");
    want(out, "offices.csv: 96 rows: 0 added, 0 updated, 96 unchanged");
    want(out, "translations.csv: 1234 rows: 0 added, 0 updated, 1234 unchanged");
    want(out, "distances.csv: 68 rows: 0 added, 0 updated, 68 unchanged");
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM office_service"), 382);
    ck_assert_int_eq(db_int("SELECT count(*) FROM dir_text"), 1234);
    ck_assert_int_eq(db_int("SELECT count(*) FROM district_distance"), 2 * 68);
    /* One file at a time, named explicitly, is the same. */
    char path[1024];
    snprintf(path, sizeof(path), "%s/etc/seed/services.csv", tu_top());
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "services", path, NULL), 0);
    want(out, "services.csv: 62 rows: 0 added, 0 updated, 62 unchanged");
    free(out);
}
END_TEST

START_TEST(test_cli_update)
{
    const char *seed = seed_copy();
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL), 0);
    free(out);
    /* A new name, a new fee, one new service; an office loses a service. */
    file_edit("seed/services.csv", "DOMICILE,DC,Domicile certificate,",
              "DOMICILE,DC,Domicile (residence) certificate,");
    file_edit("seed/services.csv", "\nVEHXFER,",
              "\nNEWSVC,EXCISE,Number plate reissue,نمبر پلیٹ,,Get a lost plate again.,,"
              "Rs 500,Registration card,3 days,Excise & Taxation office,no,no\nVEHXFER,");
    file_edit("seed/offices.csv", "PROPTAX PROFTAX\n", "PROPTAX\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL), 0);
    want(out, "departments.csv: 15 rows: 0 added, 0 updated, 15 unchanged");
    /* The new row moved every later row down one place: their sort changed. */
    want(out, "services.csv: 63 rows: 1 added, 61 updated, 1 unchanged");
    want(out, "offices.csv: 96 rows: 0 added, 1 updated, 95 unchanged");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL), 0);
    want(out, "services.csv: 63 rows: 0 added, 0 updated, 63 unchanged");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "show", "NEWSVC", NULL), 0);
    want(out, "fee:              Rs 500\n");
    want(out, "processing time:  3 days\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "residence", NULL), 0);
    want(out, "DOMICILE  DC        Domicile (residence) certificate\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "show", "PSHEX1", NULL), 0);
    want(out, "services:   VEHREG VEHXFER TOKENTAX VEHVERIF PROPTAX\n");
    free(out);
}
END_TEST

/*
 * Bad rows, by kind of file: each row (a line of its own) with every
 * message it must produce, in order.  Each kind's rows go into one file
 * after a good row; the seed is in the database for the references.
 */
static const struct {
    const char *kind;
    const char *row;
    const char *why; /* the reasons, one per line */
} bad_rows[] = {
    {"departments", "hlth,Health,صحت,", "code: 'hlth' is not 2-8 of A-Z and 0-9\n"},
    {"departments", "TOOLONGCD,Health,صحت,", "code: 'TOOLONGCD' is not 2-8 of A-Z and 0-9\n"},
    {"departments", "X,Health,صحت,", "code: 'X' is not 2-8 of A-Z and 0-9\n"},
    {"departments", "NEWDEP,Again,صحت,", "code: duplicate 'NEWDEP' (first on line 2)\n"},
    {"departments", "@@,,صحت,", "name_en: empty\n"},
    {"departments", "@@,Health and Social Welfare Dept.,صحت,",
     "name_en: 31 characters, longer than 30\n"},
    {"departments", "@@,Girls’ stipend,صحت,", "name_en: not GSM 7-bit basic ASCII: U+2019\n"},
    {"departments", "@@,[Health],صحت,", "name_en: not GSM 7-bit basic ASCII: U+005B\n"},
    {"departments", "@@,Health ,صحت,", "name_en: leading or trailing space\n"},
    {"departments", "@@,Health  Dept,صحت,", "name_en: double space\n"},
    {"departments", "@@,Hea\tlth,صحت,",
     "name_en: control character U+0009\nname_en: not GSM 7-bit basic ASCII: U+0009\n"},
    {"departments", "@@,Health,,", "name_ur: empty (Urdu names are required)\n"},
    {"departments", "@@,Health,Sehat,", "name_ur: Latin letter 'S' in Urdu text\n"},
    {"departments", "@@,Health,\u200fصحت,", "name_ur: bidi control U+200F\n"},
    {"departments", "@@,Health,123,", "name_ur: no Arabic-script letters in Urdu text\n"},
    {"departments", "@@,Health,صحت صحت صحت صحت صحت صحت صحت صحت صحت صحت صحت صحت صحت صحت صحت ص,",
     "name_ur: 61 characters, longer than 60\n"},
    {"departments", "@@,Health,صحت,Health", "name_ps: Latin letter 'H' in Pashto text\n"},
    {"departments", "ab,,Sehat,",
     "code: 'ab' is not 2-8 of A-Z and 0-9\nname_en: empty\n"
     "name_ur: Latin letter 'S' in Urdu text\n"},
    {"departments", "@@,Health", "2 fields; the header has 4\n"},
    {"departments", "@@,Health,صحت,,extra", "5 fields; the header has 4\n"},
    {"departments", "", "empty line\n"},
    {"departments", "@@,Hea\"lth,صحت,", "quote inside an unquoted field\n"},
    {"departments", "@@,\"Health\"x,صحت,", "text after a closing quote\n"},
    {"districts", "@@,Zed,زیڈ,,Kohatt", "division: 'Kohatt' is not a KP division\n"},
    {"districts", "@@,Zed,زیڈ,,", "division: '' is not a KP division\n"},
    {"districts", "@@,A district name that is too long,زیڈ,,Kohat",
     "name_en: 32 characters, longer than 30\n"},
    {"districts", "PSH,Peshawar,پشاور,پېښور,Peshawar,x", "6 fields; the header has 5\n"},
    {"services", "@@,HLTHX,New,نئی,,Text.,,Free,None,Same day,Office,no,no",
     "department: unknown department 'HLTHX'\n"},
    {"services", "@@,hlth,New,نئی,,Text.,,Free,None,Same day,Office,no,no",
     "department: unknown department 'hlth'\n"},
    {"services",
     "@@,HLTH,A service name that is too long!!,نئی,,Text.,,Free,None,Same day,Office,"
     "no,no",
     "name_en: 33 characters, longer than 32\n"},
    {"services", "@@,HLTH,New,نئی,,,,Free,None,Same day,Office,no,no", "description_en: empty\n"},
    {"services",
     "@@,HLTH,New,نئی,,"
     "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.,,Free,"
     "None,Same day,Office,no,no",
     "description_en: 161 characters, longer than 160\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,Urdu text,Free,None,Same day,Office,no,no",
     "description_ur: Latin letter 'U' in Urdu text\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,free,None,Same day,Office,no,no",
     "fee: 'free' is not Free, Varies or Rs N\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Rs 0,None,Same day,Office,no,no",
     "fee: 'Rs 0' is not Free, Varies or Rs N\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Rs 12345678,None,Same day,Office,no,no",
     "fee: 'Rs 12345678' is not Free, Varies or Rs N\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,\"Rs 2,000\",None,Same day,Office,no,no",
     "fee: 'Rs 2,000' is not Free, Varies or Rs N\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,CNIC copy;2 photos,Same day,Office,no,no",
     "documents: list items must be separated by '; '\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,,Same day,Office,no,no", "documents: empty\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,None,a week,Office,no,no",
     "processing_time: 'a week' is not 'Same day', 'Varies' or 'N hours/days/weeks'\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,None,0 days,Office,no,no",
     "processing_time: '0 days' is not 'Same day', 'Varies' or 'N hours/days/weeks'\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,None,100 days,Office,no,no",
     "processing_time: '100 days' is not 'Same day', 'Varies' or 'N hours/days/weeks'\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,None,7 day,Office,no,no",
     "processing_time: '7 day' is not 'Same day', 'Varies' or 'N hours/days/weeks'\n"},
    {"services",
     "@@,HLTH,New,نئی,,Text.,,Free,None,Same day,Any office of the department in each town,"
     "no,no",
     "where_to_apply: 41 characters, longer than 40\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,None,Same day,Office,Yes,no",
     "online: 'Yes' must be yes or no\n"},
    {"services", "@@,HLTH,New,نئی,,Text.,,Free,None,Same day,Office,no,",
     "ussd: '' must be yes or no\n"},
    {"services", "NEWSVC,HLTH,New,نئی,,Text.,,Free,None,Same day,Office,no,no",
     "code: duplicate 'NEWSVC' (first on line 2)\n"},
    {"offices", "@@,PSX,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000901,FARD",
     "district: unknown district 'PSX'\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 9-4,091-0000902,FARD",
     "hours: 'Mon-Fri 9-4' is not like 'Mon-Fri 09:00-16:00'\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Sun 09:00-16:00,091-0000903,FARD",
     "hours: 'Sun 09:00-16:00' is not like 'Mon-Fri 09:00-16:00'\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Daily 24:00-25:00,091-0000904,FARD",
     "hours: 'Daily 24:00-25:00' is not like 'Mon-Fri 09:00-16:00'\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Sat 14:00-08:00,091-0000905,FARD",
     "hours: 'Mon-Sat 14:00-08:00' closes before it opens\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-000010,FARD",
     "phone: '091-000010' is not like 091-9210000 (area code, 10 digits in all)\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,91-00001011,FARD",
     "phone: '91-00001011' is not like 091-9210000 (area code, 10 digits in all)\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091 0000101,FARD",
     "phone: '091 0000101' is not like 091-9210000 (area code, 10 digits in all)\n"},
    {"offices", "O2,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000999,FARD",
     "phone: duplicate '091-0000999' (first on line 2)\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000906,",
     "services: empty or not single-space separated\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000907,FARD  OPD",
     "services: double space\nservices: empty or not single-space separated\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000908,FARD NOSUCH",
     "services: unknown service 'NOSUCH'\n"},
    {"offices",
     "@@,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000909,FARD OPD FARD",
     "services: a service is listed twice\n"},
    {"offices", "@@,PSH,New office,نیا دفتر,,Mon-Fri 09:00-16:00,091-0000910,FARD",
     "address: empty\n"},
    {"translations", "school,VEHREG,name,ps,نوم",
     "kind: 'school' is not department, district, service or office\n"},
    {"translations", "service,NOPE,name,ps,نوم", "code: unknown service 'NOPE'\n"},
    {"translations", "district,PSH,documents,ps,سند", "field: a district has no documents\n"},
    {"translations", "service,VEHREG,fee,ps,سند",
     "field: 'fee' is not name, description, documents, where, keywords or address\n"},
    {"translations", "service,VEHREG,name,fr,nom",
     "lang: 'fr' is not ur, ps or ur-Latn (en: keywords only)\n"},
    {"translations", "service,VEHREG,name,en,Car",
     "lang: 'en' is not ur, ps or ur-Latn (en: keywords only)\n"},
    {"translations", "service,VEHREG,name,ur-Latn,گاڑی",
     "text: not GSM 7-bit basic ASCII: U+06AF\n"},
    {"translations", "service,VEHREG,name,ps,Gaari", "text: Latin letter 'G' in Pashto text\n"},
    {"translations", "service,VEHREG,name,ur,", "text: empty (Urdu names are required)\n"},
    {"translations", "service,VEHREG,keywords,en,motor",
     "kind,code,field,lang: duplicate 'seVEHREG key en' (first on line 2)\n"},
    {"distances", "PSH,NOPE,5", "near: unknown district 'NOPE'\n"},
    {"distances", "PSH,PSH,5", "near: a district is not near itself\n"},
    {"distances", "PSH,LSW,0", "km: '0' is not a whole number of km from 1 to 2000\n"},
    {"distances", "PSH,LKH,2001", "km: '2001' is not a whole number of km from 1 to 2000\n"},
    {"distances", "PSH,UKH,7", "district,near: duplicate 'PSH UKH' (first on line 2)\n"},
};

static const char *const good_rows[][2] = {
    {"departments", "NEWDEP,New department,نیا محکمہ,"},
    {"districts", "NEWDIS,New district,نیا ضلع,,Kohat"},
    {"services",
     "NEWSVC,HLTH,New service,نئی خدمت,,Something new.,,Free,None,Same day,Office,no,no"},
    {"offices", "NEWOFF,PSH,New office,نیا دفتر,Main road,Mon-Fri 09:00-16:00,091-0000999,FARD"},
    {"translations", "service,VEHREG,keywords,en,motorcar"},
    {"distances", "UKH,PSH,300"},
};

static const char *const headers[][2] = {
    {"departments", "code,name_en,name_ur,name_ps"},
    {"districts", "code,name_en,name_ur,name_ps,division"},
    {"services", "code,department,name_en,name_ur,name_ps,description_en,description_ur,fee,"
                 "documents,processing_time,where_to_apply,online,ussd"},
    {"offices", "code,district,name_en,name_ur,address,hours,phone,services"},
    {"translations", "kind,code,field,lang,text"},
    {"distances", "district,near,km"},
};

START_TEST(test_cli_bad_rows)
{
    const char *kind = headers[_i][0];
    struct kp_buf file = KP_BUF_INIT, expect = KP_BUF_INIT;
    char name[64], *out, *nl;
    const char *path;
    unsigned line = 2, lines = 0, bad = 0;
    long long before;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
    before = db_rows();
    kp_buf_printf(&file, "%s\n%s\n", headers[_i][1], good_rows[_i][1]);
    snprintf(name, sizeof(name), "bad-%s.csv", kind);
    path = test_path(name);
    for (size_t i = 0; i < KP_ARRAY_LEN(bad_rows); i++) {
        if (strcmp(bad_rows[i].kind, kind) != 0)
            continue;
        /* "@@" stands for a code of its own, so rows do not clash. */
        const char *at = strstr(bad_rows[i].row, "@@");
        if (at)
            kp_buf_printf(&file, "%.*sQ%u%s\n", (int)(at - bad_rows[i].row), bad_rows[i].row,
                          line + 1, at + 2);
        else
            kp_buf_printf(&file, "%s\n", bad_rows[i].row);
        line++;
        bad++;
        for (const char *p = bad_rows[i].why; *p; p = nl + 1) {
            nl = strchr(p, '\n');
            kp_buf_printf(&expect, "%s:%u: %.*s\n", path, line, (int)(nl - p), p);
            lines++;
        }
    }
    test_write(name, file.data);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", kind, path, NULL), 1);
    /* Exactly the expected lines, in order, then the verdict. */
    kp_buf_printf(&expect, "kpass: %u bad rows; nothing imported\n", bad);
    ck_assert_msg(strcmp(out, expect.data) == 0, "want:\n%s\ngot:\n%s", expect.data, out);
    ck_assert_uint_eq(count_lines(out, path), lines);
    free(out);
    /* Nothing imported: not even the good row before the bad ones. */
    ck_assert_int_eq(db_rows(), before);
    kp_buf_free(&file);
    kp_buf_free(&expect);
}
END_TEST

/* File-level problems: the header, CSV syntax with its lines, I/O. */
START_TEST(test_cli_bad_files)
{
    char *out;
    const char *p;

    p = test_write("empty.csv", "");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", p, NULL), 1);
    want(out, "empty.csv:1: empty file (no header)\n");
    want(out, "kpass: 1 bad row; nothing imported\n");
    free(out);
    p = test_write("header.csv", "code,name\nAB,x\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", p, NULL), 1);
    want(out, "header.csv:1: header is code,name; expected code,name_en,name_ur,name_ps (a "
              "departments file)\n");
    free(out);
    /* Services where districts are expected: the header says so. */
    char seed[1024];
    snprintf(seed, sizeof(seed), "%s/etc/seed/services.csv", tu_top());
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "districts", seed, NULL), 1);
    want(out, "services.csv:1: header is code,department,name_en,");
    free(out);
    /* CSV syntax: each bad record named by its line, later lines still read. */
    p = test_write("syntax.csv", "code,name_en,name_ur,name_ps\n"
                                 "AB,\"Two\nlines\",صحت,\n"
                                 "CD,bare\rCR,صحت,\n"
                                 "EF,\"never closed,صحت,\n"
                                 "GH,x,صحت,\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", p, NULL), 1);
    want(out, "syntax.csv:2: name_en: control character U+000A\n");
    want(out, "syntax.csv:4: CR not followed by LF\n");
    want(out, "syntax.csv:5: quoted field is never closed\n");
    want(out, "kpass: 3 bad rows; nothing imported\n");
    free(out);
    p = test_write("bad-utf8.csv", "code,name_en,name_ur,name_ps\nAB,x,\xd8,\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", p, NULL), 1);
    want(out, "bad-utf8.csv:2: not valid UTF-8\n");
    free(out);
    /* A BOM is skipped and CRLF line ends are fine. */
    p = test_write("bom.csv", "\xef\xbb\xbf"
                              "code,name_en,name_ur,name_ps\r\n"
                              "AB,Alpha,الف,\r\n\"CD\",\"Quoted, with comma\",\"ب\",\r\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", p, NULL), 0);
    want(out, "bom.csv: 2 rows: 2 added, 0 updated, 0 unchanged");
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM department WHERE name_en = "
                            "'Quoted, with comma'"),
                     1);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "offices", "/nonexistent.csv", NULL), 1);
    want(out, "kpass: cannot read /nonexistent.csv: No such file or directory\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "offices", d.dir, NULL), 1);
    want(out, "not a regular file");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", NULL), 2);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "citizenz", p, NULL), 2);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", NULL), 2);
    free(out);
}
END_TEST

/* A seed whose last file has one bad row imports nothing at all. */
START_TEST(test_cli_seed_atomic)
{
    const char *seed = seed_copy();
    char *out;

    file_edit("seed/offices.csv", "HNGDC1,HNG,", "HNGDC1,XXX,");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL), 1);
    want(out, "seed/offices.csv:97: district: unknown district 'XXX'\n");
    want(out, "kpass: 1 bad row; nothing imported\n");
    free(out);
    ck_assert_int_eq(db_rows(), 0);
    /* A dry run of good files checks everything and writes nothing. */
    file_edit("seed/offices.csv", "HNGDC1,XXX,", "HNGDC1,HNG,");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "--dry-run", "seed", seed, NULL), 0);
    want(out, "offices.csv: 96 rows: 96 added, 0 updated, 0 unchanged");
    want(out, "dry run: every row is good; nothing written\n");
    free(out);
    ck_assert_int_eq(db_rows(), 0);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", test_path("nope"), NULL), 1);
    want(out, "nope/departments.csv: No such file or directory");
    free(out);
}
END_TEST

START_TEST(test_cli_service)
{
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "list", NULL), 0);
    ck_assert_uint_eq(count_lines(out, ""), 63);
    ck_assert_ptr_eq(strstr(out, "CODE      DEPT      NAME\nSCHADM    EDU       "), out);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "list", "--department", "hlth", NULL), 0);
    ck_assert_str_eq(out, "CODE      DEPT      NAME\n"
                          "VACCINE   HLTH      Child vaccination (EPI)\n"
                          "TBCARE    HLTH      TB testing and treatment\n"
                          "OPD       HLTH      Hospital OPD consultation\n"
                          "MEDCERT   HLTH      Medical fitness certificate\n"
                          "DRUGLIC   HLTH      Drug sale licence (pharmacy)\n");
    free(out);
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "service", "list", "--lang", "ur", "--department", "EXCISE", NULL),
        0);
    want(out, "VEHREG    EXCISE    گاڑی کی رجسٹریشن\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "list", "--department", "NOPE", NULL), 1);
    ck_assert_str_eq(out, "kpass: no department NOPE\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "list", "--lang", "fr", NULL), 1);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "show", "domicile", NULL), 0);
    want(out, "code:             DOMICILE\n"
              "department:       DC (District Administration)\n"
              "name:             Domicile certificate\n"
              "name (ur):        ڈومیسائل سرٹیفکیٹ\n"
              "name (ps):        ډومیسایل سند\n"
              "name (ur-Latn):   Domicile certificate\n");
    want(out, "fee:              Varies\n");
    want(out, "processing time:  10 days\n");
    want(out, "online:           no\n");
    want(out, "offices:          15\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "show", "NOPE", NULL), 1);
    ck_assert_str_eq(out, "kpass: no service NOPE\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "birth", "cert", NULL), 0);
    ck_assert_str_eq(out, "CODE      DEPT      NAME\nBIRTHCRT  LG        Birth certificate\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "zzzz", NULL), 1);
    ck_assert_str_eq(out, "kpass: no service matches 'zzzz'\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "--", "-", NULL), 1);
    want(out, "kpass: search words:");
    free(out);
    /* Typing errors in three scripts find the driving licence. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "lisence", NULL), 0);
    want(out, "\nDLNEW     TRANS     Driving licence\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "laisans", NULL), 0);
    want(out, "\nDLNEW     TRANS     Driving licence\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "--lang", "ur", "لايسنس", NULL),
                     0);
    want(out, "\nDLNEW     TRANS     ڈرائیونگ لائسنس\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "--lang", "ps", "جواذ", NULL),
                     0);
    want(out, "\nDLNEW     TRANS     د موټر چلولو جواز\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", NULL), 2);
    free(out);
}
END_TEST

/* service remove: refused while offices offer it, unless --cascade; audited. */
START_TEST(test_cli_service_remove)
{
    struct kp_buf f = KP_BUF_INIT;
    const char *p;
    char *out;
    long long links;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
    links = db_int("SELECT count(*) FROM office_service");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "remove", "domicile", NULL), 1);
    ck_assert_str_eq(out, "kpass: service DOMICILE is offered by 15 offices (kpass office list "
                          "--service DOMICILE); --cascade takes it off their lists too\n");
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM service WHERE code = 'DOMICILE'"), 1);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "remove", "--cascade", "domicile", NULL),
                     0);
    ck_assert_str_eq(out, "service DOMICILE removed, and taken off 15 offices\n");
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM service WHERE code = 'DOMICILE'"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM office_service"), links - 15);
    /* The offices stay, and search no longer finds it. */
    ck_assert_int_eq(db_int("SELECT count(*) FROM office"), 96);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "domicile", NULL), 1);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--event", "service.removed", NULL),
                     0);
    want(out, "service.removed");
    want(out, "DOMICILE (DC), taken off 15 offices\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "remove", "DOMICILE", NULL), 1);
    ck_assert_str_eq(out, "kpass: no service DOMICILE\n");
    free(out);
    /* A service no office offers goes without --cascade. */
    kp_buf_printf(&f,
                  "%s\nZZONE,HLTH,Lonely service,خدمت,,Offered nowhere.,,Free,None,Same day,"
                  "Any office,no,no\n",
                  headers[2][1]);
    p = test_write("lonely.csv", f.data);
    kp_buf_free(&f);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "services", p, NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "remove", "ZZONE", NULL), 0);
    ck_assert_str_eq(out, "service ZZONE removed\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    want(out, "audit: 2 rows, chain intact");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "remove", NULL), 2);
    free(out);
}
END_TEST

/* kpass service check: the shipped seed has every translation; a new row
   without them is listed, and --strict fails on it. */
START_TEST(test_cli_service_check)
{
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "check", "--strict", NULL), 0);
    ck_assert_str_eq(out, "ur: 0 missing\nps: 0 missing\nur-Latn: 0 missing\n");
    free(out);
    test_write("dep.csv", "code,name_en,name_ur,name_ps\nNEWDEP,New department,نیا محکمہ,\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", test_path("dep.csv"), NULL),
                     0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "check", NULL), 0);
    want(out, "department NEWDEP name ps\ndepartment NEWDEP name ur-Latn\n");
    want(out, "ur: 0 missing\nps: 1 missing\nur-Latn: 1 missing\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "check", "--strict", "--lang", "ps", NULL),
                     1);
    ck_assert_str_eq(out, "department NEWDEP name ps\nps: 1 missing\n");
    free(out);
    test_write("tr.csv", "kind,code,field,lang,text\ndepartment,NEWDEP,name,ps,نوې څانګه\n"
                         "department,NEWDEP,name,ur-Latn,Naya mehkama\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "translations", test_path("tr.csv"), NULL),
                     0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "check", "--strict", NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "check", "--lang", "en", NULL), 2);
    free(out);
}
END_TEST

/* Many bad rows: the first 50 reported, then a count of the rest. */
START_TEST(test_cli_bad_capped)
{
    struct kp_buf f = KP_BUF_INIT;
    const char *p;
    char *out, line[64];

    kp_buf_puts(&f, "code,name_en,name_ur,name_ps\n");
    for (int i = 0; i < 80; i++)
        kp_buf_printf(&f, "d%d,Lower case code,صحت,\n", i);
    p = test_write("capped.csv", f.data);
    kp_buf_free(&f);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "departments", p, NULL), 1);
    ck_assert_uint_eq(count_lines(out, p), 50 + 1);
    snprintf(line, sizeof(line), "capped.csv:51: code:");
    want(out, line);
    ck_assert_ptr_null(strstr(out, "capped.csv:52:"));
    want(out, "capped.csv: 30 more bad rows not shown\n");
    want(out, "kpass: 80 bad rows; nothing imported\n");
    free(out);
    ck_assert_int_eq(db_rows(), 0);
}
END_TEST

START_TEST(test_cli_office)
{
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "list", NULL), 0);
    ck_assert_uint_eq(count_lines(out, ""), 97);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "list", "--district", "psh", NULL), 0);
    ck_assert_uint_eq(count_lines(out, "PSH"), 26);
    ck_assert_ptr_eq(strstr(out, "CODE      DISTRICT  NAME\n"
                                 "PSHEX1    PSH       Excise & Taxation office, Peshawar\n"),
                     out);
    free(out);
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "office", "list", "--service", "FARD", "--district", "PSH", NULL),
        0);
    ck_assert_str_eq(out, "CODE      DISTRICT  NAME\n"
                          "PSHLR1    PSH       Land Record Service Centre, Peshawar\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "list", "--service", "OPD", NULL), 0);
    ck_assert_uint_eq(count_lines(out, ""), 22);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "list", "--district", "NOPE", NULL), 1);
    ck_assert_str_eq(out, "kpass: no district NOPE\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "list", "--service", "NOPE", NULL), 1);
    ck_assert_str_eq(out, "kpass: no service NOPE\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "show", "pshex1", NULL), 0);
    want(out, "district:   PSH (Peshawar)\n");
    want(out, "phone:      091-0000101\n");
    want(out, "services:   VEHREG VEHXFER TOKENTAX VEHVERIF PROPTAX PROFTAX\n");
    free(out);
    /* Add: the same rules as offices.csv, every problem named. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "add", "PSHNEW1", "--district", "PSH",
                              "--name-en", "Tehsil office, Badaber", "--name-ur", "تحصیل آفس",
                              "--address", "Badaber, Peshawar", "--hours", "Mon-Fri 9-5", "--phone",
                              "091-0000999", "--services", "FARD NOPE", NULL),
                     1);
    ck_assert_str_eq(out, "kpass: office add: hours: 'Mon-Fri 9-5' is not like 'Mon-Fri "
                          "09:00-16:00'\n"
                          "kpass: office add: services: unknown service 'NOPE'\n");
    free(out);
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "office", "add", "PSHNEW1", "--district", "PSH", NULL), 1);
    want(out, "kpass: office add: name_en: empty\n");
    want(out, "kpass: office add: phone: '' is not like");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "add", "PSHNEW1", "--district", "PSH",
                              "--name-en", "Tehsil office, Badaber", "--name-ur", "تحصیل آفس",
                              "--address", "Badaber, Peshawar", "--hours", "Mon-Fri 09:00-17:00",
                              "--phone", "091-0000999", "--services", "FARD INTIQAL", NULL),
                     0);
    ck_assert_str_eq(out, "office PSHNEW1 added in PSH with 2 services\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "add", "PSHNEW1", "--district", "PSH",
                              "--name-en", "Again", "--name-ur", "تحصیل", "--address", "X",
                              "--hours", "Mon-Fri 09:00-17:00", "--phone", "091-0000998",
                              "--services", "FARD", NULL),
                     1);
    ck_assert_str_eq(out, "kpass: office PSHNEW1 already exists\n");
    free(out);
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "office", "list", "--service", "FARD", "--district", "PSH", NULL),
        0);
    want(out, "PSHNEW1   PSH       Tehsil office, Badaber\n");
    free(out);
    /* A re-import of the seed leaves the added office alone. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    want(out, "offices.csv: 96 rows: 0 added, 0 updated, 96 unchanged");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "remove", "pshnew1", NULL), 0);
    ck_assert_str_eq(out, "office PSHNEW1 removed\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "office", "remove", "PSHNEW1", NULL), 1);
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM office_service"), 382);
}
END_TEST

/* Run kpass with stderr on a pseudo-terminal; its stderr text in *err. */
static int run_on_tty(char *const argv[], char **err)
{
    struct kp_buf b = KP_BUF_INIT;
    int master, slave, status;
    pid_t pid;

    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(slave, 2);
        close(master);
        execv(argv[0], argv);
        _exit(127);
    }
    close(slave);
    for (;;) {
        struct pollfd pf = {master, POLLIN, 0};
        char buf[4096];
        if (poll(&pf, 1, 30000) <= 0)
            break;
        ssize_t n = read(master, buf, sizeof(buf));
        if (n <= 0)
            break; /* EIO once the child has closed the terminal */
        kp_buf_append(&b, buf, (size_t)n);
    }
    close(master);
    waitpid(pid, &status, 0);
    kp_buf_append(&b, "", 0);
    *err = kp_buf_steal(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli_progress_tty)
{
    char *argv[] = {strdup(tu_bin("kpass")), strdup("-c"),   strdup(d.conf),
                    strdup("import"),        strdup("seed"), NULL};
    char *err;

    ck_assert_int_eq(run_on_tty(argv, &err), 0);
    want(err, "\rimporting services.csv     [");
    want(err, "] 100% 62 rows");
    want(err, "\r\033[K"); /* the bar is cleared at the end */
    free(err);
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
}
END_TEST

/* A few thousand services: import, list them all, search stays bounded. */
START_TEST(test_cli_many)
{
    struct kp_buf f = KP_BUF_INIT;
    const char *p;
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
    kp_buf_printf(&f, "%s\n", headers[2][1]);
    for (int i = 0; i < 3000; i++)
        kp_buf_printf(&f,
                      "G%05d,HLTH,Generated service %d,خدمت %d,,Generated for a test.,,"
                      "Rs %d,None,%d days,Any office,no,no\n",
                      i, i, i, i + 1, i % 99 + 1);
    p = test_write("many.csv", f.data);
    kp_buf_free(&f);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "services", p, NULL), 0);
    want(out, "many.csv: 3000 rows: 3000 added, 0 updated, 0 unchanged");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "list", "--department", "HLTH", NULL), 0);
    ck_assert_uint_eq(count_lines(out, ""), 3006);
    want(out, "\nG02999    HLTH      Generated service 2999\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "generated", NULL), 0);
    ck_assert_uint_eq(count_lines(out, "G"), 50);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "service", "search", "generated", "2999", NULL), 0);
    ck_assert_str_eq(out, "CODE      DEPT      NAME\nG02999    HLTH      Generated service 2999\n");
    free(out);
}
END_TEST

Suite *suite_directory_cli(void)
{
    Suite *s = suite_create("directory_cli");
    TCase *tc = tcase_create("cli");

    tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_seed);
    tcase_add_test(tc, test_cli_update);
    tcase_add_loop_test(tc, test_cli_bad_rows, 0, (int)KP_ARRAY_LEN(headers));
    tcase_add_test(tc, test_cli_bad_files);
    tcase_add_test(tc, test_cli_seed_atomic);
    tcase_add_test(tc, test_cli_service);
    tcase_add_test(tc, test_cli_service_check);
    tcase_add_test(tc, test_cli_service_remove);
    tcase_add_test(tc, test_cli_bad_capped);
    tcase_add_test(tc, test_cli_office);
    tcase_add_test(tc, test_cli_progress_tty);
    tcase_add_test(tc, test_cli_many);
    suite_add_tcase(s, tc);
    return s;
}
