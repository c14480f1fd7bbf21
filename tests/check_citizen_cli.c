/* SPDX-License-Identifier: ISC */
/*
 * `kpass citizen` and `kpass import citizens` run as the real program:
 * CNIC and number forms (a table of good and bad ones with the exact
 * message), one citizen per number, block and unblock, importing the demo
 * citizens (etc/seed/citizens.csv), idempotency, a changed file, bad rows
 * with their exact "file:line: reason" and nothing imported, and the audit
 * rows each change leaves.  Every output of every run is scanned: no full
 * CNIC and no full mobile number may appear in any of them.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/buf.h"
#include "kpass/core/mem.h"
#include "testutil.h"

static struct tu_daemon d;
static char seed[1024];

static void cli_setup(void)
{
    snprintf(seed, sizeof(seed), "%s/etc/seed/citizens.csv", tu_top());
    tu_daemon_prepare(&d, NULL);
    tu_import_districts(&d);
}

static void cli_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Run `kpass -c conf ARGS...` (NULL-terminated), stdin from in; the output is scanned. */
#define run(in, out, ...) tu_kpass_masked(&d, (in), (out), __VA_ARGS__)
#define RUN(out, ...)     run(NULL, out, __VA_ARGS__, (const char *)NULL)

/* Check a run's exit status and a part of its output (out: where run() left it). */
static void expect(int rc, char **out, int want_rc, const char *want)
{
    ck_assert_msg(rc == want_rc, "exit %d, want %d: %s", rc, want_rc, *out);
    ck_assert_msg(strstr(*out, want) != NULL, "want '%s' in: %s", want, *out);
    free(*out);
    *out = NULL;
}

static void import_seed(void)
{
    char *out;

    expect(RUN(&out, "import", "citizens", seed), &out, 0, ": 12 rows: 12 added, 0 updated");
}

/* The number of rows in the audit log, from `kpass audit verify`. */
static int audit_rows(void)
{
    char *out;
    int rows = -1;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    ck_assert_int_eq(sscanf(out, "audit: %d rows, chain intact", &rows), 1);
    free(out);
    return rows;
}

static const struct {
    const char *arg;
    int rc;
    const char *out; /* a part of the output (the exact message when refused) */
} form_cases[] = {
    {"10000-0000001-1", 0, "cnic:      *****-****001-1\n"},
    {"1000000000011", 0, "cnic:      *****-****001-1\n"},
    {" 10000-0000001-1\t", 0, "name_en:   Ahmad Khan\n"},
    {"03000000101", 0, "cnic:      *****-****001-1\n"},
    {"+923000000101", 0, "msisdn:    +92300****101\n"},
    {"+92 300 0000101", 0, "cnic:      *****-****001-1\n"},
    {"92-300-0000101", 0, "cnic:      *****-****001-1\n"},
    {"0092 300 0000101", 0, "cnic:      *****-****001-1\n"},
    {"3000000101", 0, "cnic:      *****-****001-1\n"},
    {"10000-0000011-1", 0, "status:    blocked\n"},
    {"10000-0000012-3", 0, "status:    deceased\n"},
    {"10000-0000099-1", 1, "kpass: no citizen with CNIC *****-****099-1\n"},
    {"03009999999", 1, "kpass: no citizen with number +92300****999\n"},
    {"10000-000001-1", 1,
     "kpass: neither a CNIC (a CNIC has 13 digits; found fewer) nor a mobile number (not a "
     "Pakistani mobile number (03XX XXXXXXX))\n"},
    {"90000-0000001-1", 1,
     "kpass: neither a CNIC (a CNIC starts with a region code 1-7) nor a mobile number (not "
     "a Pakistani mobile number (03XX XXXXXXX))\n"},
    {"10000 0000001 1", 1,
     "kpass: neither a CNIC (a CNIC has only digits and dashes) nor a mobile number (not a "
     "Pakistani mobile number (03XX XXXXXXX))\n"},
    {"+923001", 1,
     "kpass: neither a CNIC (a CNIC has only digits and dashes) nor a mobile number (too few "
     "digits for a mobile number)\n"},
    {"abc", 1,
     "kpass: neither a CNIC (a CNIC has only digits and dashes) nor a mobile number (a mobile "
     "number has only digits, spaces, dashes and a leading +)\n"},
    {"", 1, "kpass: neither a CNIC (empty CNIC) nor a mobile number (empty mobile number)\n"},
};

START_TEST(test_cli_forms)
{
    char *out;

    import_seed();
    expect(RUN(&out, "citizen", "show", form_cases[_i].arg), &out, form_cases[_i].rc,
           form_cases[_i].out);
}
END_TEST

START_TEST(test_cli_add)
{
    char *out;

    import_seed();
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PS H"),
           &out, 1, "kpass: district: a code of 2 to 8 capital letters and digits\n");
    expect(RUN(&out, "citizen", "add", "1730-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PSH"),
           &out, 1, "kpass: CNIC: a CNIC has 13 digits; found fewer\n");
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana [Gul]",
               "--name-ur=ثناء گل", "--district=PSH"),
           &out, 1, "kpass: name_en: only letters, digits, spaces and GSM 7-bit punctuation\n");
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=Sana",
               "--district=PSH"),
           &out, 1, "kpass: name_ur: Urdu names are written in Arabic script\n");
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PSH", "--msisdn=0300 123"),
           &out, 1, "kpass: --msisdn: too few digits for a mobile number\n");
    /* A number of another citizen: refused, and the citizen is not added either. */
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PSH", "--msisdn=03000000101"),
           &out, 1, "kpass: +92300****101 is registered to another citizen\n");
    expect(RUN(&out, "citizen", "show", "17301-7654321-9"), &out, 1,
           "kpass: no citizen with CNIC *****-****321-9\n");
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PSH", "--msisdn=+92 345 1234567"),
           &out, 0, "citizen *****-****321-9 added (id 13)\n");
    expect(RUN(&out, "citizen", "add", "1730176543219", "--name-en=Other", "--name-ur=ب",
               "--district=MRD"),
           &out, 1, "kpass: a citizen with CNIC *****-****321-9 is already registered\n");
    expect(RUN(&out, "citizen", "show", "03451234567"), &out, 0, "name_ur:   ثناء گل\n");
    expect(RUN(&out, "audit", "show", "--cnic", "17301-7654321-9", "--event=citizen.linked"), &out,
           0, "citizen.linked     kpass:root   *****-****321-9 +92345****567\n");
    expect(RUN(&out, "citizen", "frobnicate"), &out, 2, "usage: kpass citizen add");
    expect(RUN(&out, "citizen", "list", "--limit", "0"), &out, 1,
           "--limit: a number from 1 to 10000");
    expect(RUN(&out, "citizen", "show", "1000000000011", "--reason=x"), &out, 2, "usage:");
}
END_TEST

START_TEST(test_cli_link_block)
{
    char *out;
    int rows;

    import_seed();
    rows = audit_rows();
    /* One citizen per number. */
    expect(RUN(&out, "citizen", "link", "10000-0000002-2", "03000000101"), &out, 1,
           "kpass: +92300****101 is registered to another citizen\n");
    expect(RUN(&out, "citizen", "link", "10000-0000002-2", "0333 9999999"), &out, 0,
           "+92333****999 registered to citizen *****-****002-2\n");
    expect(RUN(&out, "citizen", "link", "03110000102", "+923339999999"), &out, 0,
           "+92333****999 is already registered to citizen *****-****002-2\n");
    expect(RUN(&out, "citizen", "show", "03339999999"), &out, 0,
           "msisdn:    +92311****102\nmsisdn:    +92333****999\n");
    expect(RUN(&out, "citizen", "unlink", "10000-0000001-1", "03339999999"), &out, 1,
           "kpass: +92333****999 is not registered to citizen *****-****001-1\n");
    expect(RUN(&out, "citizen", "unlink", "10000-0000002-2", "03339999999"), &out, 0,
           "+92333****999 removed from citizen *****-****002-2\n");
    expect(RUN(&out, "citizen", "show", "03339999999"), &out, 1,
           "kpass: no citizen with number +92333****999\n");
    expect(RUN(&out, "citizen", "link", "10000-0000002-2", "0333"), &out, 1,
           "kpass: number: too few digits for a mobile number\n");
    /* Block and unblock. */
    expect(RUN(&out, "citizen", "block", "10000-0000003-3", "--reason=card reported lost"), &out, 0,
           "citizen *****-****003-3 blocked; no kpassd is running");
    expect(RUN(&out, "citizen", "block", "10000-0000003-3"), &out, 0,
           "citizen *****-****003-3 is already blocked\n");
    expect(RUN(&out, "citizen", "show", "10000-0000003-3"), &out, 0, "status:    blocked\n");
    expect(RUN(&out, "citizen", "block", "10000-0000004-4", "--reason=see 10000-0000004-4"), &out,
           1, "kpass: --reason: refused");
    expect(RUN(&out, "citizen", "unblock", "03210000103"), &out, 0,
           "citizen *****-****003-3 unblocked; no kpassd is running");
    expect(RUN(&out, "citizen", "unblock", "10000-0000003-3"), &out, 0,
           "citizen *****-****003-3 is already active\n");
    expect(RUN(&out, "citizen", "block", "10000-0000012-3"), &out, 1,
           "kpass: citizen *****-****012-3 is recorded as deceased");
    /* set: names, district, status. */
    expect(RUN(&out, "citizen", "set", "10000-0000005-5", "--district=PSH"), &out, 0,
           "citizen *****-****005-5 updated\n");
    expect(RUN(&out, "citizen", "set", "10000-0000005-5", "--district=PSH"), &out, 0,
           "citizen *****-****005-5: nothing to change\n");
    /* A reason alone would be dropped: refused, nothing written. */
    expect(RUN(&out, "citizen", "set", "10000-0000005-5", "--reason=moved"), &out, 1,
           "kpass: --reason goes with --status\n");
    expect(RUN(&out, "citizen", "set", "10000-0000005-5", "--status=deceased",
               "--reason=death certificate seen"),
           &out, 0, "updated");
    expect(RUN(&out, "citizen", "list", "--status", "blocked"), &out, 0,
           "11       *****-****011-1 LDR      blocked  Rahimullah\ncitizens 1-1 of 1\n");
    expect(RUN(&out, "citizen", "list", "--district=PSH", "--status=active", "--limit=1",
               "--offset=0"),
           &out, 0, "1        *****-****001-1 PSH      active   Ahmad Khan\ncitizens 1-1 of 1\n");
    expect(RUN(&out, "citizen", "list", "--limit=2", "--offset", "10"), &out, 0,
           "citizens 11-12 of 12\n");
    expect(RUN(&out, "audit", "show", "--cnic", "10000-0000003-3"), &out, 0,
           "citizen.blocked    kpass:root   *****-****003-3 active -> blocked: card reported "
           "lost\n");
    expect(RUN(&out, "audit", "show", "--cnic", "10000-0000005-5"), &out, 0,
           "citizen.deceased   kpass:root   *****-****005-5 active -> deceased: death "
           "certificate seen\n");
    /* link, unlink, block, unblock, set (2 rows for the status change and district). */
    ck_assert_int_eq(audit_rows(), rows + 6);
}
END_TEST

START_TEST(test_cli_import)
{
    char *out, file[600];
    int rows;

    import_seed();
    rows = audit_rows();
    ck_assert_int_eq(rows, 12);
    /* Again: nothing changes, not even the audit log. */
    expect(RUN(&out, "import", "citizens", seed), &out, 0,
           ": 12 rows: 0 added, 0 updated, 12 unchanged (");
    ck_assert_int_eq(audit_rows(), 12);
    expect(RUN(&out, "citizen", "list", "--status=deceased"), &out, 0,
           "12       *****-****012-3 HRP      deceased Abdul Ghafoor\n");
    expect(RUN(&out, "audit", "show", "--cnic", "10000-0000011-1"), &out, 0,
           "citizen.imported   kpass:root   *****-****011-1 citizens.csv:12, district LDR, "
           "status blocked, +92300****111\n");

    /* A changed file: one moved, one unblocked, one with a new number, one new. */
    snprintf(file, sizeof(file), "%s/changed.csv", d.dir);
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\n"
                        "10000-0000001-1,Ahmad Khan,احمد خان,MRD,+923000000101,active\n"
                        "10000-0000011-1,Rahimullah,رحیم اللہ,LDR,+923000000111,active\n"
                        "10000-0000002-2,Ayesha Bibi,عائشہ بی بی,MRD,+923330000999,active\n"
                        "10000-0000003-3,Gul Zaman,گل زمان,SWT,+923210000103,active\n"
                        "17301-7654321-9,Sana Gul,ثناء گل,PSH,+923451234567,active\n");
    expect(RUN(&out, "import", "citizens", file), &out, 0,
           "changed.csv: 5 rows: 1 added, 3 updated, 1 unchanged (");
    ck_assert_int_eq(audit_rows(), 12 + 4);
    expect(RUN(&out, "audit", "show", "--limit=4"), &out, 0,
           "citizen.changed    kpass:root   *****-****001-1 district PSH -> MRD\n");
    expect(RUN(&out, "audit", "show", "--limit=4"), &out, 0,
           "citizen.unblocked  kpass:root   *****-****011-1 blocked -> active: changed.csv:3\n");
    expect(RUN(&out, "audit", "show", "--limit=4"), &out, 0,
           "citizen.linked     kpass:root   *****-****002-2 +92333****999\n");
    expect(RUN(&out, "audit", "show", "--limit=4"), &out, 0,
           "citizen.imported   kpass:root   *****-****321-9 changed.csv:6, district PSH, status "
           "active, +92345****567\n");
    /* The old number is kept. */
    expect(RUN(&out, "citizen", "show", "03110000102"), &out, 0, "cnic:      *****-****002-2\n");
    /* A dry run checks and writes nothing. */
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\n"
                        "17301-7654321-8,Sana Gul,ثناء گل,PSH,+923451234568,active\n");
    expect(RUN(&out, "import", "citizens", "--dry-run", file), &out, 0,
           "1 rows: 1 added, 0 updated, 0 unchanged");
    expect(RUN(&out, "citizen", "show", "17301-7654321-8"), &out, 1, "no citizen with CNIC");
    ck_assert_int_eq(audit_rows(), 16);
}
END_TEST

START_TEST(test_cli_import_bad)
{
    char *out, file[600], want[1024];
    static const char *const errors[] = {
        ":3: cnic: a CNIC has 13 digits; found fewer\n",
        ":4: msisdn: too few digits for a mobile number\n",
        ":5: cnic: the same CNIC as line 2\n",
        ":6: msisdn: +92300****101 is registered to another citizen\n",
        ":7: expected 6 fields, found 2\n",
        ":8: status: active, blocked or deceased\n",
        ":9: name_ur: Urdu names are written in Arabic script\n",
        ":10: text after a closing quote\n",
        ":11: empty line\n",
        ":12: district: a code of 2 to 8 capital letters and digits\n",
        ":13: msisdn: the same number as line 2\n",
        ":14: cnic: a CNIC starts with a region code 1-7\n",
    };

    import_seed();
    snprintf(file, sizeof(file), "%s/bad.csv", d.dir);
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\n"
                        "17301-7654321-9,Sana Gul,ثناء گل,PSH,+923451234567,active\n"
                        "1730-7654321-9,Sana Gul,ثناء گل,PSH,+923451234567,active\n"
                        "17301-7654321-7,Sana Gul,ثناء گل,PSH,+92300123,active\n"
                        "17301-7654321-9,Sana Gul,ثناء گل,PSH,+923451234560,active\n"
                        "17301-7654321-6,Sana Gul,ثناء گل,PSH,+923000000101,active\n"
                        "17301-7654321-5,Sana Gul\n"
                        "17301-7654321-4,Sana Gul,ثناء گل,PSH,+923451234564,alive\n"
                        "17301-7654321-3,Sana Gul,Sana Gul,PSH,+923451234563,active\n"
                        "17301-7654321-2,\"Sana\" Gul,ثناء گل,PSH,+923451234562,active\n"
                        "\n"
                        "17301-7654321-1,Sana Gul,ثناء گل,psh,+923451234561,active\n"
                        "17301-7654320-0,Sana Gul,ثناء گل,PSH,03451234567,active\n"
                        "97301-7654320-1,Sana Gul,ثناء گل,PSH,+923451234500,active\n"
                        "17301-7654320-2,Sana Gul,ثناء گل,PSH,+923451234502,active\n");
    ck_assert_int_eq(RUN(&out, "import", "citizens", file), 1);
    for (size_t i = 0; i < KP_ARRAY_LEN(errors); i++) {
        snprintf(want, sizeof(want), "%s%s", file, errors[i]);
        ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    }
    snprintf(want, sizeof(want), "kpass: %s: 12 bad rows; nothing imported\n", file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    free(out);
    /* Nothing imported: not the good rows, not an audit row. */
    expect(RUN(&out, "citizen", "show", "17301-7654321-9"), &out, 1, "no citizen with CNIC");
    expect(RUN(&out, "citizen", "show", "17301-7654320-2"), &out, 1, "no citizen with CNIC");
    ck_assert_int_eq(audit_rows(), 12);
}
END_TEST

START_TEST(test_cli_import_files)
{
    char *out, file[600], want[700];
    static const struct {
        const char *text;
        const char *error; /* after "<file>" */
    } cases[] = {
        {"", ":1: empty file: the header must be cnic,name_en,name_ur,district,msisdn,status\n"},
        {"cnic,name,name_ur,district,msisdn,status\n10000-0000001-1,A,ب,PSH,+923000000101,"
         "active\n",
         ":1: the header must be cnic,name_en,name_ur,district,msisdn,status\n"},
    };

    for (size_t i = 0; i < KP_ARRAY_LEN(cases); i++) {
        snprintf(file, sizeof(file), "%s/f%zu.csv", d.dir, i);
        tu_write_file(file, cases[i].text);
        ck_assert_int_eq(RUN(&out, "import", "citizens", file), 1);
        snprintf(want, sizeof(want), "%s%s", file, cases[i].error);
        ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
        free(out);
    }
    /* CRLF line ends and a missing final newline are read. */
    snprintf(file, sizeof(file), "%s/crlf.csv", d.dir);
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\r\n"
                        "10000-0000001-1,Ahmad Khan,احمد خان,PSH,+923000000101,active\r\n"
                        "10000-0000002-2,\"Bibi, Ayesha\",عائشہ بی بی,MRD,03110000102,active");
    expect(RUN(&out, "import", "citizens", file), &out, 0, "2 rows: 2 added");
    expect(RUN(&out, "citizen", "show", "03110000102"), &out, 0, "name_en:   Bibi, Ayesha\n");
    /* A UTF-8 byte order mark (Excel's "CSV UTF-8") is skipped. */
    snprintf(file, sizeof(file), "%s/bom.csv", d.dir);
    tu_write_file(file, "\xEF\xBB\xBF"
                        "cnic,name_en,name_ur,district,msisdn,status\n"
                        "10000-0000003-3,Gul Zaman,گل زمان,SWT,+923210000103,active\n");
    expect(RUN(&out, "import", "citizens", file), &out, 0, "1 rows: 1 added");
    expect(RUN(&out, "citizen", "show", "03210000103"), &out, 0, "name_en:   Gul Zaman\n");
    snprintf(file, sizeof(file), "%s/nosuch.csv", d.dir);
    expect(RUN(&out, "import", "citizens", file), &out, 1, "kpass: cannot read");
    expect(RUN(&out, "import", "citizens"), &out, 2, "usage: kpass import citizens");
    expect(RUN(&out, "import", "offices"), &out, 2, "kpass import citizens [--dry-run] FILE");
}
END_TEST

/* A district must be one of the directory's: add, set and import refuse others. */
START_TEST(test_cli_district_known)
{
    char *out, file[600], want[700];

    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=XYZ"),
           &out, 1, "kpass: district XYZ is not one of the directory's districts\n");
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PSH", "--msisdn=03451234567"),
           &out, 0, "added");
    expect(RUN(&out, "citizen", "set", "17301-7654321-9", "--district=QQQ"), &out, 1,
           "kpass: district QQQ is not one of the directory's districts\n");
    expect(RUN(&out, "citizen", "set", "17301-7654321-9", "--district=MRD"), &out, 0, "updated");
    snprintf(file, sizeof(file), "%s/districts.csv", d.dir);
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\n"
                        "10000-0000001-1,Ahmad Khan,احمد خان,PSH,+923000000101,active\n"
                        "10000-0000002-2,Ayesha Bibi,عائشہ بی بی,ZZZ,03110000102,active\n");
    ck_assert_int_eq(RUN(&out, "import", "citizens", file), 1);
    snprintf(want, sizeof(want), "%s:3: district: ZZZ is not one of the directory's districts\n",
             file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    free(out);
    expect(RUN(&out, "citizen", "show", "10000-0000001-1"), &out, 1, "no citizen with CNIC");
    /* Without any district in the directory, the message says what to do. */
    tu_daemon_cleanup(&d);
    tu_daemon_prepare(&d, NULL);
    expect(RUN(&out, "citizen", "add", "17301-7654321-9", "--name-en=Sana Gul", "--name-ur=ثناء گل",
               "--district=PSH"),
           &out, 1,
           "kpass: district PSH is unknown: the directory has no districts yet (kpass import "
           "districts FILE)\n");
}
END_TEST

/* Several numbers in a row's msisdn column, ';'-separated: all registered, all audited. */
START_TEST(test_cli_import_numbers)
{
    char *out, file[600], want[700];

    snprintf(file, sizeof(file), "%s/numbers.csv", d.dir);
    tu_write_file(file,
                  "cnic,name_en,name_ur,district,msisdn,status\n"
                  "10000-0000001-1,Ahmad Khan,احمد خان,PSH,03000000101;0345 1234567,active\n");
    expect(RUN(&out, "import", "citizens", file), &out, 0, "1 rows: 1 added");
    expect(RUN(&out, "citizen", "show", "03451234567"), &out, 0, "msisdn:    +92300****101\n");
    expect(RUN(&out, "citizen", "show", "03451234567"), &out, 0, "msisdn:    +92345****567\n");
    expect(RUN(&out, "audit", "show", "--limit=1"), &out, 0,
           "citizen.imported   kpass:root   *****-****001-1 numbers.csv:2, district PSH, status "
           "active, +92300****101, +92345****567\n");
    /* A third number for the same citizen: linked and audited on its own. */
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\n"
                        "10000-0000001-1,Ahmad Khan,احمد خان,PSH,"
                        "03000000101;03451234567;03331112223,active\n");
    expect(RUN(&out, "import", "citizens", file), &out, 0, "1 rows: 0 added, 1 updated");
    expect(RUN(&out, "audit", "show", "--limit=1"), &out, 0,
           "citizen.linked     kpass:root   *****-****001-1 +92333****223\n");
    ck_assert_int_eq(audit_rows(), 2);
    /* One number of the list registered to another citizen: the row is refused, named. */
    tu_write_file(file, "cnic,name_en,name_ur,district,msisdn,status\n"
                        "10000-0000002-2,Ayesha Bibi,عائشہ بی بی,MRD,03110000102;03331112223,"
                        "active\n"
                        "10000-0000003-3,Gul Zaman,گل زمان,SWT,03210000103;03210000103,active\n");
    ck_assert_int_eq(RUN(&out, "import", "citizens", file), 1);
    snprintf(want, sizeof(want), "%s:2: msisdn: +92333****223 is registered to another citizen\n",
             file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    snprintf(want, sizeof(want), "%s:3: msisdn 2: the same number as msisdn 1\n", file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    free(out);
    ck_assert_int_eq(audit_rows(), 2);
}
END_TEST

/* A file of many bad rows: the first 50 reported one by one, then how many more. */
START_TEST(test_cli_import_capped)
{
    struct kp_buf text = KP_BUF_INIT;
    char *out, file[600], want[700];
    int lines = 0;

    kp_buf_puts(&text, "cnic,name_en,name_ur,district,msisdn,status\n");
    for (int i = 0; i < 120; i++)
        kp_buf_printf(&text, "1000000%06d,A,ب,PSH,bad,active\n", i);
    snprintf(file, sizeof(file), "%s/many.csv", d.dir);
    tu_write_file(file, text.data);
    kp_buf_free(&text);
    ck_assert_int_eq(RUN(&out, "import", "citizens", file), 1);
    for (const char *p = out; (p = strstr(p, "many.csv:")) != NULL; p++)
        if (strncmp(p, "many.csv: ", 10) != 0)
            lines++;
    ck_assert_int_eq(lines, 50);
    snprintf(want, sizeof(want), "%s:51: msisdn:", file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    snprintf(want, sizeof(want), "%s:52: msisdn:", file);
    ck_assert_msg(strstr(out, want) == NULL, "did not want '%s' in: %s", want, out);
    snprintf(want, sizeof(want), "%s: 70 more bad rows not shown\n", file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    snprintf(want, sizeof(want), "kpass: %s: 120 bad rows; nothing imported\n", file);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    free(out);
}
END_TEST

Suite *suite_citizen_cli(void)
{
    Suite *s = suite_create("citizen_cli");
    TCase *tc = tcase_create("cli");

    tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
    tcase_add_test(tc, test_cli_district_known);
    tcase_add_test(tc, test_cli_import_numbers);
    tcase_add_test(tc, test_cli_import_capped);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_cli_forms, 0, (int)KP_ARRAY_LEN(form_cases));
    tcase_add_test(tc, test_cli_add);
    tcase_add_test(tc, test_cli_link_block);
    tcase_add_test(tc, test_cli_import);
    tcase_add_test(tc, test_cli_import_bad);
    tcase_add_test(tc, test_cli_import_files);
    suite_add_tcase(s, tc);
    return s;
}
