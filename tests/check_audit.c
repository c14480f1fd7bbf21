/* SPDX-License-Identifier: ISC */
/*
 * The audit log: the checks on event names, actors and details (tables of
 * good and bad texts); append and verify; every kind of tampering done as
 * an attacker with write access to the file would do it (dropping the
 * triggers first), each found and named by verify; what the chain cannot
 * see (rows cut off at the end) and the recorded head that catches it;
 * the triggers; and `kpass audit verify|show` and the partner events run
 * as the real program.
 */
#include <check.h>
#include <dirent.h>
#include <pwd.h>
#include <unistd.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "testutil.h"

static char *dir;
static char path[512];
static uint8_t key[AUDIT_KEY_BYTES], other_key[AUDIT_KEY_BYTES];

static void audit_setup(void)
{
    dir = tu_tmpdir("audit");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(key, sizeof(key));
    randombytes_buf(other_key, sizeof(other_key));
}

static void audit_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

/* Run SQL on the file behind the store's back; the SQLite result code. */
static int raw_exec(const char *sql)
{
    sqlite3 *db;
    int rc;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static const struct {
    const char *text;
    int ok;
} event_cases[] = {
    {"code.issued", 1},
    {"citizen.blocked", 1},
    {"desk.verified", 1},
    {"a.b", 1},
    {"code.sms.delivery_receipt", 1},
    {"partner.added_again", 1},
    {"code", 0},
    {"", 0},
    {".issued", 0},
    {"code.", 0},
    {"code..issued", 0},
    {"Code.issued", 0},
    {"code.Issued", 0},
    {"code_x.issued", 0}, /* '_' only after the first dot */
    {"code.issued ", 0},
    {"code.iss3ed", 0},
    {"code-issued", 0},
    {"a.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1},  /* 48 octets */
    {"a.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 0}, /* 49 */
};

START_TEST(test_event_check)
{
    int rc = store_audit_event_check(event_cases[_i].text);

    ck_assert_msg((rc == 0) == event_cases[_i].ok, "'%s': %d", event_cases[_i].text, rc);
    if (!event_cases[_i].ok)
        ck_assert_int_eq(rc, -KP_ERR_INVAL);
}
END_TEST

static const struct {
    const char *text;
    int rc;
} actor_cases[] = {
    {"kpass", 0},
    {"kpassd", 0},
    {"ussd:jazz", 0},
    {"desk:7", 0},
    {"staff:PSH-EX1/3", 0},
    {"", -KP_ERR_INVAL},
    {"Kpass", -KP_ERR_INVAL},
    {"ussd:", -KP_ERR_INVAL},
    {"ussd:a b", -KP_ERR_INVAL},
    {":x", -KP_ERR_INVAL},
    {"ussd:jazz:", 0},
    {"staff:12345678901234567890123456789012345678901", -KP_ERR_INVAL}, /* 41 after ':' */
    {"ussd:+923001234567", -KP_ERR_DENIED}, /* the guard applies to actors too */
};

START_TEST(test_actor_check)
{
    ck_assert_msg(store_audit_actor_check(actor_cases[_i].text) == actor_cases[_i].rc, "'%s'",
                  actor_cases[_i].text);
}
END_TEST

static const struct {
    const char *text;
    int rc;
} detail_cases[] = {
    {"", 0},
    {"citizens.csv:12, district PSH, status active, +92300****101", 0},
    {"*****-****567-1", 0},
    {"+92300****567", 0},
    {"gw1, server mode", 0},
    {"jazz123456", 0},
    {"1234567 rows", 0},     /* 7 digits */
    {"12345 and 6789", 0},   /* runs joined over words are not joined */
    {"2025-01-31T10:00", 0}, /* 8 digits */
    {"+4420", 0},
    {"office PSHEX1, desk 3", 0},
    {"3520212345671", -KP_ERR_DENIED},   /* 13 consecutive digits: a CNIC */
    {"35202-1234567-1", -KP_ERR_DENIED}, /* the printed CNIC */
    {"cnic 35202 1234567 1 seen", -KP_ERR_DENIED},
    {"+923001234567", -KP_ERR_DENIED},    /* E.164 */
    {"to +447911123456", -KP_ERR_DENIED}, /* foreign E.164 */
    {"+4412345678", -KP_ERR_DENIED},      /* 10 digits after + */
    {"+44123456789", -KP_ERR_DENIED},
    {"03001234567", -KP_ERR_DENIED},
    {"0300-1234567", -KP_ERR_DENIED},
    {"0300 1234567", -KP_ERR_DENIED},
    {"+92 300 1234567", -KP_ERR_DENIED},
    {"3001234567", -KP_ERR_DENIED},
    {"citizens.csv:123456, district PSH", 0}, /* 6 digits: a line number, or anything */
    {"2025-01-31 10:00", -KP_ERR_DENIED},     /* joins into 10 digits: use the row's time */
    {"123456789", 0},
    {"1234567890", -KP_ERR_DENIED},
    {"tab\there", -KP_ERR_INVAL},
    {"line\nbreak", -KP_ERR_INVAL},
    {"del\x7f", -KP_ERR_INVAL},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxx",
     0}, /* 200 octets */
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxx",
     -KP_ERR_INVAL}, /* 201 */
};

START_TEST(test_detail_guard)
{
    ck_assert_msg(store_audit_detail_check(detail_cases[_i].text) == detail_cases[_i].rc,
                  "case %d '%s': %d", _i, detail_cases[_i].text,
                  store_audit_detail_check(detail_cases[_i].text));
}
END_TEST

static const uint8_t subject_a[32] = {1, 2, 3};
static const uint8_t subject_b[32] = {9, 9, 9};

/* A fresh log of n rows (subjects alternate a, b, none) with key. */
static void make_log(int n)
{
    struct store *st;
    static const char *const events[] = {"citizen.imported", "code.issued", "partner.added"};

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    audit_use_key(st, key);
    ck_assert_int_eq(store_tx_begin(st), 0);
    for (int i = 0; i < n; i++) {
        char detail[64];
        snprintf(detail, sizeof(detail), "row %d", i + 1);
        ck_assert_int_eq(audit_append(st, 1000 + i, events[i % 3], "kpass",
                                      i % 3 == 0   ? subject_a
                                      : i % 3 == 1 ? subject_b
                                                   : NULL,
                                      detail),
                         i + 1);
    }
    ck_assert_int_eq(store_tx_commit(st), 0);
    store_close(st);
}

static int verify_with(const uint8_t *k, struct audit_report *rep)
{
    struct store *st;
    int rc;

    ck_assert_int_eq(tu_store_open(path, 0, &st), 0);
    audit_use_key(st, k);
    rc = audit_verify(st, rep);
    store_close(st);
    return rc;
}

START_TEST(test_append_verify)
{
    struct store *st;
    struct audit_report rep;
    struct store_audit_row row, *v;
    struct store_audit_filter f = {NULL, NULL, 0, 0, 3};

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    /* No key, no transaction: refused. */
    ck_assert_int_eq(audit_append(st, 1, "code.issued", "kpass", NULL, ""), -KP_ERR_STATE);
    ck_assert_int_eq(audit_verify(st, &rep), -KP_ERR_STATE);
    audit_use_key(st, key);
    ck_assert_int_eq(audit_append(st, 1, "code.issued", "kpass", NULL, ""), -KP_ERR_STATE);
    ck_assert_int_eq(audit_verify(st, &rep), 0);
    ck_assert_int_eq(rep.rows, 0);
    ck_assert_int_eq(rep.head_id, 0);
    /* A rolled back append leaves nothing, and the next one is row 1. */
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(audit_append(st, 5, "code.issued", "kpass", NULL, "gone"), 1);
    store_tx_rollback(st);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(audit_append(st, 7, "code.issued", "kpass", subject_a, NULL), 1);
    ck_assert_int_eq(audit_append(st, 8, "Code", "kpass", NULL, NULL), -KP_ERR_INVAL);
    ck_assert_int_eq(audit_append(st, 8, "code.sent", "kpass", NULL, "+923001234567"),
                     -KP_ERR_DENIED);
    ck_assert_int_eq(audit_append(st, 9, "code.sent", "ussd:jazz", subject_b, "+92300****567"), 2);
    /* The group transaction works too. */
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(store_batch(st), 0);
    ck_assert_int_eq(audit_append(st, 10, "desk.scan", "desk:1", subject_a, "x"), 3);
    ck_assert_int_eq(store_flush(st), 0);
    ck_assert_int_eq(audit_verify(st, &rep), 0);
    ck_assert_int_eq(rep.rows, 3);
    ck_assert_int_eq(rep.head_id, 3);
    ck_assert_int_eq(store_audit_get(st, 3, &row), 0);
    ck_assert_mem_eq(row.hash, rep.head, 32);
    ck_assert_str_eq(row.actor, "desk:1");
    ck_assert_int_eq(store_audit_get(st, 2, &row), 0);
    ck_assert_str_eq(row.detail, "+92300****567");
    ck_assert_int_eq(row.at, 9);
    ck_assert_int_eq(row.has_subject, 1);
    ck_assert_mem_eq(row.subject, subject_b, 32);
    ck_assert_int_eq(store_audit_get(st, 4, &row), -KP_ERR_NOTFOUND);

    /* Lists: newest first, by subject, by event, since, paging back. */
    ck_assert_int_eq(store_audit_list(st, &f, &v), 3);
    ck_assert_int_eq(v[0].id, 3);
    ck_assert_int_eq(v[2].id, 1);
    free(v);
    f.subject = subject_a;
    ck_assert_int_eq(store_audit_list(st, &f, &v), 2);
    ck_assert_int_eq(v[0].id, 3);
    ck_assert_int_eq(v[1].id, 1);
    free(v);
    f.event = "code.issued";
    ck_assert_int_eq(store_audit_list(st, &f, &v), 1);
    ck_assert_int_eq(v[0].id, 1);
    free(v);
    f.subject = NULL;
    f.event = "code.sent";
    ck_assert_int_eq(store_audit_list(st, &f, &v), 1);
    ck_assert_int_eq(v[0].id, 2);
    free(v);
    f.event = NULL;
    f.since = 9;
    ck_assert_int_eq(store_audit_list(st, &f, &v), 2);
    free(v);
    f.since = 0;
    f.before_id = 3;
    f.limit = 1;
    ck_assert_int_eq(store_audit_list(st, &f, &v), 1);
    ck_assert_int_eq(v[0].id, 2);
    free(v);
    f.limit = 0;
    ck_assert_int_eq(store_audit_list(st, &f, &v), -KP_ERR_INVAL);
    store_close(st);
}
END_TEST

/* Tampering as someone with write access to the file but not to the key. */
static const struct {
    const char *name;
    const char *sql; /* run after dropping the triggers */
    enum audit_fault fault;
    int64_t bad_id, other_id;
} tamper_cases[] = {
    {"edited detail", "UPDATE audit SET detail = 'row 9' WHERE id = 3", AUDIT_FAULT_EDITED, 3, 0},
    {"edited time", "UPDATE audit SET at = at + 1 WHERE id = 2", AUDIT_FAULT_EDITED, 2, 0},
    {"edited event", "UPDATE audit SET event = 'code.verified' WHERE id = 5", AUDIT_FAULT_EDITED, 5,
     0},
    {"edited actor", "UPDATE audit SET actor = 'kpassd' WHERE id = 6", AUDIT_FAULT_EDITED, 6, 0},
    {"removed subject", "UPDATE audit SET subject = NULL WHERE id = 4", AUDIT_FAULT_EDITED, 4, 0},
    {"edited prev", "UPDATE audit SET prev = randomblob(32) WHERE id = 4", AUDIT_FAULT_EDITED, 4,
     0},
    {"detail made longer than any row can be",
     "PRAGMA ignore_check_constraints = 1;"
     "UPDATE audit SET detail = printf('%.300c', 'x') WHERE id = 2",
     AUDIT_FAULT_EDITED, 2, 0},
    {"edited hash", "UPDATE audit SET hash = randomblob(32) WHERE id = 2", AUDIT_FAULT_HASH, 2, 0},
    {"edited hash of the last row", "UPDATE audit SET hash = randomblob(32) WHERE id = 6",
     AUDIT_FAULT_EDITED, 6, 0},
    {"hash of the wrong size",
     "PRAGMA ignore_check_constraints = 1; UPDATE audit SET hash = randomblob(31) WHERE id = 3",
     AUDIT_FAULT_HASH, 3, 0},
    {"deleted row", "DELETE FROM audit WHERE id = 3", AUDIT_FAULT_MISSING, 4, 3},
    {"deleted rows", "DELETE FROM audit WHERE id IN (2, 3, 4)", AUDIT_FAULT_MISSING, 5, 2},
    {"deleted first row", "DELETE FROM audit WHERE id = 1", AUDIT_FAULT_MISSING, 2, 1},
    {"deleted row, the rest renumbered",
     "DELETE FROM audit WHERE id = 3; UPDATE audit SET id = id + 100 WHERE id > 3;"
     "UPDATE audit SET id = id - 101 WHERE id > 100",
     AUDIT_FAULT_LINK, 3, 0},
    {"deleted first row, the rest renumbered",
     "DELETE FROM audit WHERE id = 1; UPDATE audit SET id = id + 100;"
     "UPDATE audit SET id = id - 101",
     AUDIT_FAULT_LINK, 1, 0},
    {"reordered pair",
     "UPDATE audit SET id = 100 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 4;"
     "UPDATE audit SET id = 4 WHERE id = 100",
     AUDIT_FAULT_ORDER, 3, 4},
    {"row moved to the end",
     "UPDATE audit SET id = 7 WHERE id = 2; UPDATE audit SET id = id - 1 WHERE id > 2",
     AUDIT_FAULT_LINK, 2, 0},
    {"forged row appended",
     "INSERT INTO audit VALUES (7, 2000, 'code.verified', 'kpass', NULL, 'forged', "
     "(SELECT hash FROM audit WHERE id = 6), randomblob(32))",
     AUDIT_FAULT_EDITED, 7, 0},
    {"forged row inserted",
     "UPDATE audit SET id = id + 100 WHERE id >= 3; UPDATE audit SET id = id - 99 WHERE id > 100;"
     "INSERT INTO audit VALUES (3, 2000, 'code.verified', 'kpass', NULL, 'forged', "
     "(SELECT hash FROM audit WHERE id = 2), randomblob(32))",
     AUDIT_FAULT_EDITED, 3, 0},
    {"copied row", /* a real row's content and hash, replayed later */
     "INSERT INTO audit SELECT 7, at, event, actor, subject, detail, prev, hash FROM audit "
     "WHERE id = 2",
     AUDIT_FAULT_LINK, 7, 0},
};

/* The on-disk format: row hashes from the formula in audit/audit.h, computed
   independently (Python's hashlib.blake2b with key and person). */
START_TEST(test_golden_chain)
{
    static const char *const want[] = {
        "d42a6d8ac533242aac78cc02ec21466d682e85b37468ae80cbec8e134922980b",
        "67dd04c546484a4d6f2365fef4e76f6bda3718eaf36813e2e864a2dc58fc29bf",
    };
    static const char genesis[] =
        "f7a31c475f33ae82927da577651affeb415ab383fb4588d2a6c8f3e689897458";
    uint8_t k[AUDIT_KEY_BYTES], subject[STORE_AUDIT_SUBJECT_BYTES];
    struct store_audit_row row;
    struct audit_report rep;
    char hex[2 * STORE_AUDIT_HASH_BYTES + 1];
    struct store *st;

    for (int i = 0; i < AUDIT_KEY_BYTES; i++)
        k[i] = (uint8_t)i;
    memset(subject, 0xAA, sizeof(subject));
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    audit_use_key(st, k);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(audit_append(st, 1735689600, "code.issued", "kpass", subject, "serial 1"), 1);
    ck_assert_int_eq(audit_append(st, 1735689601, "partner.added", "kpass:root", NULL, NULL), 2);
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(store_audit_get(st, 1, &row), 0);
    sodium_bin2hex(hex, sizeof(hex), row.prev, sizeof(row.prev));
    ck_assert_str_eq(hex, genesis);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(store_audit_get(st, i + 1, &row), 0);
        sodium_bin2hex(hex, sizeof(hex), row.hash, sizeof(row.hash));
        ck_assert_str_eq(hex, want[i]);
    }
    ck_assert_int_eq(audit_verify(st, &rep), 0);
    ck_assert_int_eq(rep.rows, 2);
    store_close(st);
}
END_TEST

START_TEST(test_tamper)
{
    struct audit_report rep;
    char sql[1024];

    make_log(6);
    ck_assert_int_eq(verify_with(key, &rep), 0);
    ck_assert_int_eq(rep.rows, 6);
    snprintf(sql, sizeof(sql),
             "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
             "DROP TRIGGER audit_append_only; %s",
             tamper_cases[_i].sql);
    ck_assert_msg(raw_exec(sql) == SQLITE_OK, "%s: the tampering itself failed",
                  tamper_cases[_i].name);
    ck_assert_int_eq(verify_with(key, &rep), -KP_ERR_CRYPTO);
    ck_assert_msg(rep.fault == tamper_cases[_i].fault && rep.bad_id == tamper_cases[_i].bad_id,
                  "%s: got fault %d (%s) at row %lld", tamper_cases[_i].name, rep.fault,
                  audit_fault_text(rep.fault), (long long)rep.bad_id);
    if (tamper_cases[_i].other_id)
        ck_assert_int_eq(rep.other_id, tamper_cases[_i].other_id);
    /* The rows walked before the broken one are counted as intact. */
    ck_assert_int_eq(rep.rows,
                     (tamper_cases[_i].fault == AUDIT_FAULT_MISSING ? tamper_cases[_i].other_id
                                                                    : tamper_cases[_i].bad_id) -
                         1);
    ck_assert_str_ne(audit_fault_text(rep.fault), "broken");
}
END_TEST

START_TEST(test_wrong_key)
{
    struct audit_report rep;

    make_log(3);
    ck_assert_int_eq(verify_with(other_key, &rep), -KP_ERR_CRYPTO);
    ck_assert_int_eq(rep.fault, AUDIT_FAULT_KEY);
    ck_assert_int_eq(rep.bad_id, 1);
    ck_assert_int_eq(verify_with(key, &rep), 0);
}
END_TEST

/* The chain's blind spot: rows cut off at the end leave a valid chain. */
START_TEST(test_truncation_blind_spot)
{
    struct audit_report rep, before;

    make_log(6);
    ck_assert_int_eq(verify_with(key, &before), 0);
    ck_assert_int_eq(raw_exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id > 4"),
                     SQLITE_OK);
    ck_assert_int_eq(verify_with(key, &rep), 0);
    ck_assert_int_eq(rep.rows, 4);
    /* ... which only a head recorded elsewhere reveals. */
    ck_assert_int_ne(rep.head_id, before.head_id);
    ck_assert_int_ne(memcmp(rep.head, before.head, 32), 0);
}
END_TEST

static const struct {
    const char *sql;
    const char *error; /* part of the message the trigger raises */
} trigger_cases[] = {
    {"UPDATE audit SET detail = 'x' WHERE id = 1", "rows cannot be changed"},
    {"UPDATE audit SET id = 10 WHERE id = 2", "rows cannot be changed"},
    {"DELETE FROM audit WHERE id = 2", "rows cannot be deleted"},
    {"DELETE FROM audit", "rows cannot be deleted"},
    {"INSERT OR REPLACE INTO audit SELECT * FROM audit WHERE id = 1", "rows are only appended"},
    {"INSERT INTO audit SELECT 5, at, event, actor, subject, detail, prev, hash FROM audit "
     "WHERE id = 1",
     "rows are only appended"},
};

START_TEST(test_triggers)
{
    sqlite3 *db;
    struct audit_report rep;
    char *err = NULL;

    make_log(3);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, trigger_cases[_i].sql, NULL, NULL, &err), SQLITE_CONSTRAINT);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, trigger_cases[_i].error) != NULL, "got: %s", err);
    sqlite3_free(err);
    sqlite3_close(db);
    ck_assert_int_eq(verify_with(key, &rep), 0);
    ck_assert_int_eq(rep.rows, 3);
}
END_TEST

/* ---- the real programs ---- */

static struct tu_daemon d;

static void cli_teardown(void)
{
    tu_daemon_cleanup(&d);
}

static void d_exec(const char *sql)
{
    char db[600];
    sqlite3 *h;

    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* "audit: N rows, chain intact, head ID:HEX": the head. */
static void head_of(const char *out, char *head, size_t size)
{
    long long id;
    char hex[65];

    ck_assert_msg(sscanf(out, "audit: %*d rows, chain intact, head %lld:%64s", &id, hex) == 2,
                  "got: %s", out);
    snprintf(head, size, "%lld:%s", id, hex);
}

START_TEST(test_cli_verify)
{
    char *out, head[100], arg[120];

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    ck_assert_str_eq(out, "audit: 0 rows, chain intact, head -\n");
    free(out);
    /* Partner changes are audited in the same transaction. */
    ck_assert_int_eq(tu_kpass(&d, "pw1\n", NULL, "partner", "add", "gw1", NULL), 0);
    ck_assert_int_eq(tu_kpass(&d, NULL, NULL, "partner", "set", "gw1", "--disable", NULL), 0);
    ck_assert_int_eq(tu_kpass(&d, "pw2\n", NULL, "partner", "add", "923001234567", NULL), 0);
    ck_assert_int_eq(tu_kpass(&d, NULL, NULL, "partner", "remove", "gw1", NULL), 0);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "remove", "gw1", NULL), 1);
    free(out);
    /* The actor names the operating-system user, and who ran sudo. */
    char added[128], changed[128], removed[128], actor[64];
    const struct passwd *pw = getpwuid(geteuid());
    snprintf(actor, sizeof(actor), "kpass:%s", pw ? pw->pw_name : "?");
    snprintf(added, sizeof(added), "partner.added      %-12s -               gw1, server mode\n",
             actor);
    snprintf(changed, sizeof(changed), "partner.changed    %-12s -               gw1, settings\n",
             actor);
    snprintf(removed, sizeof(removed), "partner.removed    %-12s -               gw1\n", actor);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", NULL), 0);
    ck_assert_msg(strncmp(out,
                          "ID      TIME (UTC)           EVENT              ACTOR        "
                          "SUBJECT         DETAIL\n",
                          84) == 0,
                  "header: %s", out);
    ck_assert_msg(strstr(out, added) != NULL, "want %s in %s", added, out);
    ck_assert_ptr_nonnull(strstr(out, changed));
    ck_assert_ptr_nonnull(strstr(out, removed));
    /* A system_id that looks like a phone number is not written down. */
    ck_assert_ptr_nonnull(strstr(out, "system_id withheld"));
    ck_assert_ptr_null(strstr(out, "923001234567"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--event", "partner.removed", NULL),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "4       "));
    ck_assert_ptr_null(strstr(out, "partner.added"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "audit: 4 rows, chain intact, head 4:"));
    head_of(out, head, sizeof(head));
    free(out);
    snprintf(arg, sizeof(arg), "--head=%s", head);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", arg, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "the recorded head is still there"));
    free(out);

    /* Cut the newest rows off: the chain alone passes, the recorded head does not. */
    d_exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id >= 3");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "audit: 2 rows, chain intact"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", arg, NULL), 1);
    ck_assert_str_eq(out, "audit: row 4 of the recorded head is gone: the log was cut back to 2 "
                          "rows\n");
    free(out);

    /* Edit a row with sqlite3: verify names it and exits 1. */
    d_exec("DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'gw2, server mode' "
           "WHERE id = 1");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 1);
    ck_assert_str_eq(out, "audit: row 1: edited: its content does not match its keyed hash; "
                          "0 intact rows before it\n");
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", "--head=2:00", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "--head: ID:HASH"));
    free(out);
}
END_TEST

START_TEST(test_cli_verify_deleted)
{
    char *out;

    tu_daemon_prepare(&d, NULL);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "gw%d", i);
        ck_assert_int_eq(tu_kpass(&d, "pw\n", NULL, "partner", "add", id, NULL), 0);
    }
    d_exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 3");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 1);
    ck_assert_str_eq(out, "audit: row 4: rows before it are missing (deleted): id 3; "
                          "2 intact rows before it\n");
    free(out);
    d_exec("DELETE FROM audit WHERE id = 4");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 1);
    ck_assert_str_eq(out, "audit: row 5: rows before it are missing (deleted): ids 3 to 4; "
                          "2 intact rows before it\n");
    free(out);
}
END_TEST

START_TEST(test_cli_show_opts)
{
    char *out;
    static const struct {
        const char *opt, *arg, *error;
    } bad[] = {
        {"--event", "Partner.added", "--event: a name such as"},
        {"--event", "partner.add", "--event: no event is called partner.add; the events are: "},
        {"--since", "yesterday", "--since: Unix seconds"},
        {"--since", "2025-13-01", "--since: Unix seconds"},
        {"--limit", "0", "--limit: a number from 1 to 10000"},
        {"--limit", "10001", "--limit: a number from 1 to 10000"},
        {"--cnic", "35202-123456-1", "--cnic: a CNIC has 13 digits; found fewer"},
    };

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, "pw\n", NULL, "partner", "add", "gw1", NULL), 0);
    for (size_t i = 0; i < KP_ARRAY_LEN(bad); i++) {
        ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", bad[i].opt, bad[i].arg, NULL),
                         1);
        ck_assert_msg(strstr(out, bad[i].error) != NULL, "%s %s: %s", bad[i].opt, bad[i].arg, out);
        /* The refused CNIC is not repeated back. */
        ck_assert_ptr_null(strstr(out, "123456-1"));
        free(out);
    }
    static const char *const since_ok[] = {
        "0", "2000-01-01", "2000-01-01T00:00", "2000-01-01T00:00:00Z", "10d", "1h", "30m"};
    for (size_t i = 0; i < KP_ARRAY_LEN(since_ok); i++) {
        ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--since", since_ok[i], NULL),
                         0);
        ck_assert_msg(strstr(out, "partner.added") != NULL, "%s: %s", since_ok[i], out);
        free(out);
    }
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--since", "2999-01-01", NULL), 0);
    ck_assert_str_eq(out, "no audit rows match\n");
    free(out);
}
END_TEST

START_TEST(test_cli_show_json_sudo)
{
    char *out, want[96];
    const struct passwd *pw;

    tu_daemon_prepare(&d, NULL);
    setenv("SUDO_USER", "alice", 1);
    ck_assert_int_eq(tu_kpass(&d, "pw\n", NULL, "partner", "add", "gw1", NULL), 0);
    unsetenv("SUDO_USER");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--json", NULL), 0);
    pw = getpwuid(geteuid());
    snprintf(want, sizeof(want), "\"actor\":\"kpass:%s(sudo:alice)\"", pw ? pw->pw_name : "?");
    ck_assert_msg(strncmp(out, "{\"id\":1,\"time\":\"", 16) == 0, "%s", out);
    ck_assert_msg(strstr(out, want) != NULL, "want %s in %s", want, out);
    ck_assert_ptr_nonnull(strstr(out, "\"event\":\"partner.added\""));
    ck_assert_ptr_nonnull(strstr(out, "\"detail\":\"gw1, server mode\"}\n"));
    /* One object per line, no header. */
    ck_assert_ptr_null(strstr(out, "EVENT"));
    ck_assert_ptr_null(strchr(strchr(out, '\n') + 1, '\n'));
    free(out);
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "audit", "show", "--json", "--since", "2999-01-01", NULL), 0);
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

/* The running daemon walks the chain on its own ([daemon]
   audit_verify_interval) and says in /metrics and its log when an edit
   broke it, so that an alert can fire without anyone running verify. */
static long metric_value(const char *m, const char *name)
{
    const char *p = strstr(m, name);

    return p ? strtol(p + strlen(name), NULL, 10) : -99;
}

START_TEST(test_daemon_walks_chain)
{
    char *m, *log;
    int status;

    tu_daemon_prepare(&d, "[daemon]\naudit_verify_interval = 1s\n");
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof(id), "gw%d", i);
        ck_assert_int_eq(tu_kpass(&d, "pw\n", NULL, "partner", "add", id, NULL), 0);
    }
    tu_daemon_start(&d);
    /* Bounded: the first walk is due within a second of the start. */
    for (int i = 0; i < 50; i++) {
        m = tu_http_get(d.http_port, "/metrics", &status);
        if (m != NULL && metric_value(m, "\nkpass_audit_rows ") == 3)
            break;
        free(m);
        m = NULL;
        usleep(100000);
    }
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(metric_value(m, "\nkpass_audit_chain_ok "), 1);
    ck_assert_int_eq(metric_value(m, "\nkpass_audit_rows "), 3);
    ck_assert_int_eq(metric_value(m, "\nkpass_audit_verify_failures_total "), 0);
    free(m);
    d_exec("DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'gw9' WHERE id = 2");
    /* Bounded: the next walk is due within a second. */
    for (int i = 0; i < 30; i++) {
        usleep(100000);
        m = tu_http_get(d.http_port, "/metrics", &status);
        if (metric_value(m, "\nkpass_audit_chain_ok ") == 0)
            break;
        free(m);
        m = NULL;
    }
    ck_assert_msg(m != NULL, "the broken chain was not reported");
    ck_assert_int_ge(metric_value(m, "\nkpass_audit_verify_failures_total "), 1);
    free(m);
    log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "audit: the chain is broken at row 2"));
    free(log);
}
END_TEST

/* Every event name the sources write ("family.name" literals of the audit
   families) is one that --event knows: the list cannot fall behind. */
static int family_event(const char *p, size_t n)
{
    static const char *const families[] = {"citizen.", "code.",    "credential.", "desk.",
                                           "key.",     "partner.", "staff."};

    if (n > 4 && strncmp(p + n - 4, ".key", 4) == 0)
        return 0; /* a key file (partner.key), not an event */
    for (size_t i = 0; i < KP_ARRAY_LEN(families); i++) {
        size_t fl = strlen(families[i]);
        if (n > fl && strncmp(p, families[i], fl) == 0) {
            for (size_t k = fl; k < n; k++)
                if (!((p[k] >= 'a' && p[k] <= 'z') || p[k] == '_'))
                    return 0;
            return 1;
        }
    }
    return 0;
}

static void scan_events(const char *folder, const char *known, int *found)
{
    DIR *dh = opendir(folder);
    struct dirent *e;

    ck_assert_ptr_nonnull(dh);
    while ((e = readdir(dh)) != NULL) {
        char file[1024];
        size_t len, n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(file, sizeof(file), "%s/%s", folder, e->d_name);
        if (e->d_type == DT_DIR) {
            scan_events(file, known, found);
            continue;
        }
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        char *text = (char *)tu_read_file(file, &len);
        for (char *q = text; q && (q = strchr(q, '"')) != NULL;) {
            char *end = strchr(q + 1, '"');
            if (end == NULL)
                break;
            if (family_event(q + 1, (size_t)(end - q - 1))) {
                char want[80];
                snprintf(want, sizeof(want), " %.*s,", (int)(end - q - 1), q + 1);
                ck_assert_msg(strstr(known, want) != NULL, "%s writes %.*s: not in --event's list",
                              file, (int)(end - q - 1), q + 1);
                (*found)++;
            }
            q = end + 1;
        }
        free(text);
    }
    closedir(dh);
}

START_TEST(test_event_list_complete)
{
    char *out, src[600], *known;
    int found = 0;

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--event", "no.such", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "the events are: "));
    /* " name," for every name, the last one too */
    known = malloc(strlen(out) + 3);
    ck_assert_ptr_nonnull(known);
    snprintf(known, strlen(out) + 3, " %s", strstr(out, "the events are: ") + 16);
    *strchr(known, '\n') = '\0';
    strcat(known, ",");
    snprintf(src, sizeof(src), "%s/src", tu_top());
    scan_events(src, known, &found);
    ck_assert_int_ge(found, 30);
    free(known);
    free(out);
}
END_TEST

Suite *suite_audit(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("checks");

    if (sodium_init() < 0)
        return s;
    tcase_add_loop_test(tc, test_event_check, 0, (int)KP_ARRAY_LEN(event_cases));
    tcase_add_loop_test(tc, test_actor_check, 0, (int)KP_ARRAY_LEN(actor_cases));
    tcase_add_loop_test(tc, test_detail_guard, 0, (int)KP_ARRAY_LEN(detail_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("chain");
    tcase_add_checked_fixture(tc, audit_setup, audit_teardown);
    tcase_add_test(tc, test_append_verify);
    tcase_add_test(tc, test_golden_chain);
    tcase_add_loop_test(tc, test_tamper, 0, (int)KP_ARRAY_LEN(tamper_cases));
    tcase_add_test(tc, test_wrong_key);
    tcase_add_test(tc, test_truncation_blind_spot);
    tcase_add_loop_test(tc, test_triggers, 0, (int)KP_ARRAY_LEN(trigger_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, NULL, cli_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cli_verify);
    tcase_add_test(tc, test_cli_verify_deleted);
    tcase_add_test(tc, test_cli_show_opts);
    tcase_add_test(tc, test_cli_show_json_sudo);
    tcase_add_test(tc, test_daemon_walks_chain);
    tcase_add_test(tc, test_event_list_complete);
    suite_add_tcase(s, tc);
    return s;
}
