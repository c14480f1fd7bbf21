/* SPDX-License-Identifier: ISC */
/*
 * store: migrations on a new and an existing file, the pragmas DESIGN.md §8
 * asks for, refusing a newer schema, transactions, and the partner table.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "../src/store/db_sqlite.h"
#include "../src/store/store_internal.h"
#include "kpass/core/err.h"
#include "kpass/store/store.h"
#include "kpass/store/checkpoint.h"
#include "kpass/store/dept.h"
#include "kpass/store/dialog.h"
#include "kpass/store/partner.h"
#include "kpass/store/sms.h"
#include "kpass/partner/partner.h"
#include "testutil.h"

static char *dir;
static char path[512];

static void store_setup(void)
{
    dir = tu_tmpdir("store");
    snprintf(path, sizeof(path), "%s/t.db", dir);
}

static void store_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

static long long sql_int(const char *sql)
{
    return tu_sql_int(path, sql);
}

static void sql_exec(const char *sql)
{
    sqlite3 *db;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

START_TEST(test_open_and_migrate)
{
    struct store *st;
    int nmigrations;

    /* Versions are numbered per feature branch, so the list may skip one:
       count the migrations, not the latest version. */
    store_migrations(&nmigrations);
    /* No file and no STORE_CREATE: not found, nothing created. */
    ck_assert_int_eq(tu_store_open(path, 0, &st), -KP_ERR_NOTFOUND);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    ck_assert_int_eq(store_schema_version(st), store_schema_latest());
    store_close(st);
    /* Every migration recorded once; reopening applies nothing again. */
    ck_assert_int_eq(sql_int("SELECT count(*) FROM schema_version"), nmigrations);
    ck_assert_int_eq(sql_int("SELECT max(version) FROM schema_version"), store_schema_latest());
    ck_assert_int_eq(tu_store_open(path, 0, &st), 0);
    store_close(st);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM schema_version"), nmigrations);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'partner'"), 1);
    /* WAL persists in the file. */
    ck_assert_int_eq(sql_int("SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}
END_TEST

static long long conn_int(struct store *st, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite_handle(st->db), sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* DESIGN.md §8 on the store's own connection. */
START_TEST(test_pragmas)
{
    struct store *st;

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    ck_assert_int_eq(conn_int(st, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    ck_assert_int_eq(conn_int(st, "SELECT synchronous FROM pragma_synchronous"), 1); /* NORMAL */
    ck_assert_int_eq(conn_int(st, "SELECT foreign_keys FROM pragma_foreign_keys"), 1);
    ck_assert_int_ge(conn_int(st, "SELECT timeout FROM pragma_busy_timeout"), 1000);
    store_close(st);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
    struct store *st;
    char sql[128];

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    store_close(st);
    snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, 0)",
             store_schema_latest() + 1);
    sql_exec(sql);
    ck_assert_int_eq(tu_store_open(path, 0, &st), -KP_ERR_DB);
}
END_TEST

START_TEST(test_transactions)
{
    struct store *st;
    struct partner p;
    struct kp_buf rep = KP_BUF_INIT;

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    memset(&p, 0, sizeof(p));
    strcpy(p.conf.pwhash, "h");
    p.conf.enabled = 1;
    /* Rolled back: gone. */
    ck_assert_int_eq(store_tx_begin(st), 0);
    strcpy(p.conf.system_id, "a");
    ck_assert_int_eq(partner_db_add(st, &p), 0);
    store_tx_rollback(st);
    ck_assert_int_eq(partner_db_get(st, "a", &p), -KP_ERR_NOTFOUND);
    /* A group transaction is committed by flush, and by the next explicit one. */
    ck_assert_int_eq(store_batch(st), 0);
    strcpy(p.conf.system_id, "b");
    ck_assert_int_eq(partner_db_add(st, &p), 0);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM partner"), 0); /* not visible outside yet */
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM partner"), 1);
    ck_assert_int_eq(store_tx_begin(st), -KP_ERR_STATE); /* no nesting */
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(store_integrity_check(st, &rep), 0);
    store_close(st);
    kp_buf_free(&rep);
}
END_TEST

static long long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Checkpoints happen in the thread: the database file grows while the
   loop's connection only commits (its own automatic checkpoint is off). */
START_TEST(test_checkpoint_thread)
{
    struct store *st;
    struct partner p;
    struct event_base *base = event_base_new();
    struct store_checkpointer *c;
    char wal[600];
    long long before;
    int i;

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    c = store_checkpointer_new(st, base, 8);
    ck_assert_ptr_nonnull(c);
    before = file_size(path);
    memset(&p, 0, sizeof(p));
    strcpy(p.conf.pwhash, "h");
    p.conf.enabled = 1;
    for (i = 0; i < 400 && store_checkpointer_runs(c) == 0; i++) {
        ck_assert_int_eq(store_batch(st), 0);
        for (int j = 0; j < 20; j++) {
            snprintf(p.conf.system_id, sizeof(p.conf.system_id), "p%d_%d", i % 1000, j % 100);
            ck_assert_int_eq(partner_db_add(st, &p), 0);
        }
        ck_assert_int_eq(store_flush(st), 0);
        event_base_loop(base, EVLOOP_NONBLOCK);
        usleep(5000);
    }
    ck_assert_uint_ge(store_checkpointer_runs(c), 1);
    ck_assert_int_gt(file_size(path), before);
    ck_assert_int_gt(file_size(wal), 0);
    store_checkpointer_free(c);
    store_close(st);
    event_base_free(base);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM partner"), (long long)i * 20);
}
END_TEST

START_TEST(test_partner_crud)
{
    struct store *st;
    struct partner p, q, *v;

    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    memset(&p, 0, sizeof(p));
    strcpy(p.conf.system_id, "gw1");
    p.conf.mode = SMPP_PARTNER_CLIENT;
    strcpy(p.password_enc, "00ff");
    strcpy(p.conf.host, "10.1.2.3");
    p.conf.port = 2775;
    p.conf.bind_type = SMPP_BIND_RX;
    p.conf.binds = 3;
    strcpy(p.cidrs_text, "10.0.0.0/8");
    p.conf.throughput = 50;
    p.conf.burst = 10;
    strcpy(p.conf.profile, "umr");
    p.conf.carries_sms = 1;
    p.conf.enabled = 1;
    ck_assert_int_eq(partner_db_add(st, &p), 0);
    ck_assert_int_gt(p.conf.id, 0);
    ck_assert_int_eq(partner_db_add(st, &p), -KP_ERR_EXISTS);
    ck_assert_int_eq(partner_db_get(st, "gw1", &q), 0);
    ck_assert_int_eq(q.conf.mode, SMPP_PARTNER_CLIENT);
    ck_assert_str_eq(q.conf.host, "10.1.2.3");
    ck_assert_uint_eq(q.conf.port, 2775);
    ck_assert_int_eq(q.conf.bind_type, SMPP_BIND_RX);
    ck_assert_uint_eq(q.conf.binds, 3);
    ck_assert_int_eq(q.conf.ncidrs, 1);
    ck_assert_uint_eq(q.conf.throughput, 50);
    /* Screen limits not given stay 0: the daemon's [ussd] defaults apply. */
    ck_assert_uint_eq(q.conf.gsm7_limit, 0);
    ck_assert_uint_eq(q.conf.ucs2_limit, 0);
    ck_assert_str_eq(q.conf.profile, "umr");
    ck_assert_int_eq(q.conf.carries_sms, 1);
    ck_assert_str_eq(q.password_enc, "00ff");
    /* A client partner without a host breaks the table's CHECK. */
    q.conf.host[0] = '\0';
    ck_assert_int_eq(partner_db_update(st, &q), -KP_ERR_EXISTS);
    strcpy(q.conf.host, "10.9.9.9");
    q.conf.enabled = 0;
    ck_assert_int_eq(partner_db_update(st, &q), 0);
    ck_assert_int_eq(partner_db_get(st, "gw1", &q), 0);
    ck_assert_str_eq(q.conf.host, "10.9.9.9");
    ck_assert_int_eq(q.conf.enabled, 0);
    strcpy(p.conf.system_id, "aa");
    ck_assert_int_eq(partner_db_add(st, &p), 0);
    ck_assert_int_eq(partner_db_list(st, &v), 2);
    ck_assert_str_eq(v[0].conf.system_id, "aa");
    free(v);
    ck_assert_int_eq(store_partner_remove(st, "gw1"), 0);
    ck_assert_int_eq(store_partner_remove(st, "gw1"), -KP_ERR_NOTFOUND);
    store_close(st);
}
END_TEST

/* The upserts that were INSERT OR REPLACE write every column a second
   time, and the one that was INSERT OR IGNORE keeps one row. */
START_TEST(test_upserts_write_every_column)
{
    struct store *st;
    struct store_partner pa;
    struct store_dialog d, got;
    struct store_simswap ss, *v;
    struct store_sms m;
    struct kp_buf state = {0};
    char subs[4][17], body[32];
    static const uint8_t s1[] = {1, 2, 3}, s2[] = {9, 8, 7, 6};
    int64_t sms;

    ck_assert_int_eq(store_open(path, STORE_CREATE, &st), 0);
    memset(&pa, 0, sizeof(pa));
    strcpy(pa.system_id, "gw");
    strcpy(pa.mode, "server");
    strcpy(pa.pwhash, "x");
    ck_assert_int_eq(store_partner_add(st, &pa), 0);
    memset(&d, 0, sizeof(d));
    d.partner_id = pa.id;
    strcpy(d.key, "k1");
    strcpy(d.msisdn, "+923001234567");
    strcpy(d.version, "v1");
    strcpy(d.screen, "home");
    strcpy(d.lang, "en");
    d.resumable = 1;
    d.started_at = 10;
    d.updated_at = 11;
    d.state = s1;
    d.state_len = sizeof(s1);
    ck_assert_int_eq(store_dialog_put(st, &d), 0);
    strcpy(d.msisdn, "+923007654321");
    strcpy(d.version, "v2");
    strcpy(d.screen, "codes");
    strcpy(d.lang, "ur");
    d.resumable = 0;
    d.started_at = 20;
    d.updated_at = 21;
    d.state = s2;
    d.state_len = sizeof(s2);
    ck_assert_int_eq(store_dialog_put(st, &d), 0);
    ck_assert_int_eq(store_dialog_count(st), 1);
    ck_assert_int_eq(store_dialog_get(st, pa.id, "k1", &got, &state), 0);
    ck_assert_str_eq(got.msisdn, "+923007654321");
    ck_assert_str_eq(got.version, "v2");
    ck_assert_str_eq(got.screen, "codes");
    ck_assert_str_eq(got.lang, "ur");
    ck_assert_int_eq(got.resumable, 0);
    ck_assert(got.started_at == 20 && got.updated_at == 21);
    ck_assert_uint_eq(got.state_len, sizeof(s2));
    ck_assert_int_eq(memcmp(got.state, s2, sizeof(s2)), 0);
    kp_buf_free(&state);

    memset(&ss, 0, sizeof(ss));
    strcpy(ss.partner, "gw");
    strcpy(ss.prefixes, "+92300");
    strcpy(ss.url, "https://a.example/");
    ss.max_age_h = 24;
    ss.timeout_ms = 500;
    ck_assert_int_eq(store_simswap_set(st, &ss), 0);
    strcpy(ss.prefixes, "+92301");
    strcpy(ss.url, "https://b.example/");
    strcpy(ss.token_file, "/etc/t");
    ss.max_age_h = 48;
    ss.timeout_ms = 900;
    ss.hold_on_timeout = 1;
    ck_assert_int_eq(store_simswap_set(st, &ss), 0);
    ck_assert_int_eq(store_simswap_list(st, &v), 1);
    ck_assert_str_eq(v[0].prefixes, "+92301");
    ck_assert_str_eq(v[0].url, "https://b.example/");
    ck_assert_str_eq(v[0].token_file, "/etc/t");
    ck_assert(v[0].max_age_h == 48 && v[0].timeout_ms == 900 && v[0].hold_on_timeout == 1);
    free(v);

    ck_assert_int_eq(store_template_set(st, "EXCISE", "due", "en", "first"), 0);
    ck_assert_int_eq(store_template_set(st, "EXCISE", "due", "en", "second"), 0);
    ck_assert_int_eq(store_template_get(st, "EXCISE", "due", "en", body, sizeof(body)), 0);
    ck_assert_str_eq(body, "second");
    ck_assert_int_eq(store_subscription_set(st, "EXCISE", "identity", "*", 1), 0);
    ck_assert_int_eq(store_subscription_set(st, "EXCISE", "identity", "*", 1), 0);
    ck_assert_int_eq(store_subscribers(st, "identity", "MRDDC1", subs, 4), 1);

    ck_assert_int_eq(store_sms_queue(st, "+923001234567", "hello", 0, NULL, 100, 1, &sms), 0);
    ck_assert_int_eq(store_sms_part(st, sms, 1, pa.id, "mid-a"), 0);
    ck_assert_int_eq(store_sms_part(st, sms, 1, pa.id, "mid-b"), 0);
    ck_assert_int_eq(store_sms_by_message_id(st, pa.id, "mid-a", &m), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_sms_by_message_id(st, pa.id, "mid-b", &m), 0);
    ck_assert(m.id == sms && m.parts == 1);
    ck_assert_str_eq(m.message_id, "mid-b");
    store_close(st);
}
END_TEST

/* The seam (db.h) on SQLite: rows, columns, NULLs, changes, and the error
   codes the store above it relies on. */
START_TEST(test_seam_rows_and_errors)
{
    struct db_params p = {.kind = DB_SQLITE, .path = path, .create = 1};
    struct db *db, *other;
    struct db_stmt *s;
    static const char blob[3] = {0, 1, 2};

    ck_assert_int_eq(db_open(&p, &db), 0);
    ck_assert_int_eq(db_kind(db), DB_SQLITE);
    ck_assert_int_eq(db_exec(db, "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, b BLOB)"), 0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO t (k, n, b) VALUES (?1, ?2, ?3) RETURNING n", &s),
                     0);
    db_bind_textn(s, 1, "abcdef", 3);
    db_bind_int64(s, 2, INT64_MAX);
    db_bind_blob(s, 3, blob, sizeof(blob));
    ck_assert_int_eq(db_step(s), DB_ROW);
    ck_assert_int_eq(db_column_count(s), 1);
    ck_assert(db_col_int64(s, 0) == INT64_MAX);
    ck_assert_int_eq(db_step(s), DB_DONE);
    ck_assert_int_eq(db_changes(db), 1);
    /* The same key again: a refused constraint, as the store maps it. */
    db_reset(s);
    db_bind_text(s, 1, "abc");
    db_bind_null(s, 2);
    ck_assert_int_eq(db_step(s), -KP_ERR_EXISTS);
    db_finalize(s);
    ck_assert_int_eq(db_prepare(db, "SELECT k, n, b, NULL FROM t", &s), 0);
    ck_assert_int_eq(db_step(s), DB_ROW);
    ck_assert_str_eq(db_col_text(s, 0), "abc");
    ck_assert_uint_eq(db_col_bytes(s, 0), 3);
    ck_assert_uint_eq(db_col_bytes(s, 2), sizeof(blob));
    ck_assert_int_eq(memcmp(db_col_blob(s, 2), blob, sizeof(blob)), 0);
    ck_assert(db_col_is_null(s, 3) && !db_col_is_null(s, 1));
    ck_assert_ptr_null(db_col_text(s, 3));
    ck_assert_int_eq(db_step(s), DB_DONE);
    db_finalize(s);
    /* Another connection holding the write lock: busy, not a failure. */
    ck_assert_int_eq(db_open(&p, &other), 0);
    sqlite3_busy_timeout(db_sqlite_handle(db), 0);
    ck_assert_int_eq(db_exec(other, "BEGIN IMMEDIATE"), 0);
    ck_assert_int_eq(db_exec(db, "INSERT INTO t (k) VALUES ('x')"), -KP_ERR_BUSY);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO t (k) VALUES ('y')", &s), 0);
    ck_assert_int_eq(db_step(s), -KP_ERR_BUSY);
    db_finalize(s);
    ck_assert_int_eq(db_exec(other, "ROLLBACK"), 0);
    db_close(other);
    ck_assert_int_eq(db_exec(db, "SELECT no_such_column FROM t"), -KP_ERR_DB);
    ck_assert_ptr_nonnull(strstr(db_errmsg(db), "no_such_column"));
    db_close(db);
    db_close(NULL);
}
END_TEST

/* What PostgreSQL would refuse fails on SQLite too, so that the tests of
   every store file catch it: a gap in the numbered parameters (nothing
   to type the missing one from), a bind to a parameter that is not there. */
START_TEST(test_seam_dialect_guard)
{
    struct db_params p = {.kind = DB_SQLITE, .path = path, .create = 1};
    struct db *db;
    struct db_stmt *s;

    ck_assert_int_eq(db_open(&p, &db), 0);
    ck_assert_int_eq(db_prepare(db, "SELECT ?1, ?3", &s), -KP_ERR_DB);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(db_prepare(db, "SELECT ?1, ?", &s), -KP_ERR_DB); /* ? is ?2: mixed */
    ck_assert_int_eq(db_prepare(db, "SELECT ?, ?", &s), 0);
    db_finalize(s);
    ck_assert_int_eq(db_prepare(db, "SELECT ?2, ?1", &s), 0);
    db_bind_int64(s, 1, 1);
    db_bind_int64(s, 2, 2);
    ck_assert_int_eq(db_step(s), DB_ROW);
    ck_assert(db_col_int64(s, 0) == 2);
    db_reset(s);
    db_bind_int64(s, 3, 3);
    ck_assert_int_eq(db_step(s), -KP_ERR_DB);
    /* A reset forgets the bad bind with the others. */
    db_reset(s);
    ck_assert_int_eq(db_step(s), DB_ROW);
    ck_assert(db_col_is_null(s, 0));
    db_finalize(s);
    db_close(db);
}
END_TEST

/* A backend this build lacks is refused cleanly (a build with db_pg.c
   finds nothing listening on the port instead). */
START_TEST(test_seam_other_backend)
{
    struct db_params p = {.kind = DB_POSTGRESQL,
                          .dsn = "host=127.0.0.1 port=1 dbname=kpass connect_timeout=2"};
    struct store *st = (struct store *)1;
    int rc = store_open_params(&p, 0, &st);

    ck_assert_msg(rc == -KP_ERR_UNSUPPORTED || rc == -KP_ERR_CLOSED, "rc %d", rc);
    ck_assert_ptr_null(st);
}
END_TEST

Suite *suite_store(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, store_setup, store_teardown);
    tcase_add_test(tc, test_open_and_migrate);
    tcase_add_test(tc, test_pragmas);
    tcase_add_test(tc, test_newer_schema_refused);
    tcase_add_test(tc, test_transactions);
    tcase_add_test(tc, test_partner_crud);
    tcase_add_test(tc, test_checkpoint_thread);
    tcase_add_test(tc, test_upserts_write_every_column);
    tcase_add_test(tc, test_seam_rows_and_errors);
    tcase_add_test(tc, test_seam_dialect_guard);
    tcase_add_test(tc, test_seam_other_backend);
    suite_add_tcase(s, tc);
    return s;
}
