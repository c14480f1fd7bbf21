/* SPDX-License-Identifier: ISC */
/*
 * The PostgreSQL backend of the store's seam (src/store/db_pg.c) against
 * the tests' private server (pgtest.h): placeholders, every bind and
 * column type, errors by SQLSTATE, transactions, the passfile, the
 * password kept out of logs and errors, a dead first host, and a server
 * that dies and comes back under an open connection.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/store/db.h"
#include "../src/store/db_pg.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "pgtest.h"
#include "testutil.h"

static const struct tu_pg *pg;

static void pg_setup(void)
{
    pg = tu_pg_start();
    ck_assert_ptr_nonnull(pg);
}

/* A connection to a fresh schema. */
static struct db *pg_fresh(const char *tag)
{
    char *dsn = tu_pg_fresh(tag);
    struct db_params p = {.kind = DB_POSTGRESQL, .dsn = dsn, .passfile = pg->passfile};
    struct db *db = NULL;
    int rc = db_open(&p, &db);

    ck_assert_msg(rc == 0, "open: %d", rc);
    free(dsn);
    return db;
}

static int pg_count(struct db *db, const char *sql)
{
    struct db_stmt *s;
    int n;

    ck_assert_int_eq(db_prepare(db, sql, &s), 0);
    ck_assert_int_eq(db_step(s), DB_ROW);
    n = (int)db_col_int64(s, 0);
    db_finalize(s);
    return n;
}

static const struct {
    const char *in, *out;
    int n;
} rewrites[] = {
    {"SELECT ?1", "SELECT $1", 1},
    {"SELECT ?, ?", "SELECT $1, $2", 2},
    {"SELECT ?2, ?", "SELECT $2, $3", 3}, /* SQLite: one past the largest so far */
    {"SELECT ?3, ?1, ?3", "SELECT $3, $1, $3", 3},
    {"SELECT '?', ?", "SELECT '?', $1", 1},
    {"SELECT 'it''s ?1', ?1", "SELECT 'it''s ?1', $1", 1},
    {"SELECT \"a?b\" FROM t WHERE x = ?", "SELECT \"a?b\" FROM t WHERE x = $1", 1},
    {"SELECT 1 -- what ?\n, ?", "SELECT 1 -- what ?\n, $1", 1},
    {"SELECT /* ?9 */ ?2", "SELECT /* ?9 */ $2", 2},
    {"SELECT $2, ?", "SELECT $2, $3", 3}, /* PostgreSQL's own kept and counted */
    {"SELECT 1", "SELECT 1", 0},
    {"SELECT ?12345", "SELECT $12345", 12345},
};

static const char *bad_rewrites[] = {
    "SELECT ?0", "SELECT ?32767", "SELECT 'open ?", "SELECT \"open", "SELECT /* open ?",
};

START_TEST(test_rewrite)
{
    for (size_t i = 0; i < sizeof(rewrites) / sizeof(rewrites[0]); i++) {
        char *out;
        int n;
        ck_assert_int_eq(db_pg_rewrite(rewrites[i].in, &out, &n), 0);
        ck_assert_str_eq(out, rewrites[i].out);
        ck_assert_int_eq(n, rewrites[i].n);
        free(out);
    }
    for (size_t i = 0; i < sizeof(bad_rewrites) / sizeof(bad_rewrites[0]); i++) {
        char *out = (char *)1;
        int n = 7;
        ck_assert_int_eq(db_pg_rewrite(bad_rewrites[i], &out, &n), -KP_ERR_PARSE);
        ck_assert_ptr_null(out);
        ck_assert_int_eq(n, 0);
    }
}
END_TEST

START_TEST(test_types)
{
    struct db *db = pg_fresh("types");
    struct db_stmt *ins, *sel;
    static const uint8_t zeros[] = {0, 1, 0, 0xff, 0};
    const char *urdu = "\xd8\xa7\xd8\xb1\xd8\xaf\xd9\x88 \xe2\x9c\x93"; /* "اردو ✓" */

    ck_assert_int_eq(db_exec(db, "CREATE TABLE t (k BIGINT PRIMARY KEY, i BIGINT, s TEXT, "
                                 "b BYTEA)"),
                     0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO t (k, i, s, b) VALUES (?1, ?2, ?3, ?4)", &ins), 0);
    /* 1: the extremes, UTF-8, a blob with zero bytes */
    db_bind_int64(ins, 1, 1);
    db_bind_int64(ins, 2, INT64_MIN);
    db_bind_text(ins, 3, urdu);
    db_bind_blob(ins, 4, zeros, sizeof(zeros));
    ck_assert_int_eq(db_step(ins), DB_DONE);
    ck_assert_int_eq(db_changes(db), 1);
    db_reset(ins);
    /* 2: NULLs; 3: an empty text and an empty (not NULL) blob, textn */
    db_bind_int64(ins, 1, 2);
    db_bind_null(ins, 2);
    db_bind_text(ins, 3, NULL);
    db_bind_null(ins, 4);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    db_reset(ins);
    db_bind_int64(ins, 1, 3);
    db_bind_int64(ins, 2, INT64_MAX);
    db_bind_textn(ins, 3, "abcdef", 3);
    db_bind_blob(ins, 4, NULL, 0);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    db_finalize(ins);

    ck_assert_int_eq(db_prepare(db, "SELECT k, i, s, b FROM t ORDER BY k", &sel), 0);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_column_count(sel), 4);
    ck_assert(db_col_int64(sel, 1) == INT64_MIN);
    ck_assert_str_eq(db_col_text(sel, 2), urdu);
    ck_assert_uint_eq(db_col_bytes(sel, 2), strlen(urdu));
    ck_assert_uint_eq(db_col_bytes(sel, 3), sizeof(zeros));
    ck_assert_mem_eq(db_col_blob(sel, 3), zeros, sizeof(zeros));
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert(db_col_is_null(sel, 1) && db_col_is_null(sel, 2) && db_col_is_null(sel, 3));
    ck_assert_ptr_null(db_col_text(sel, 2));
    ck_assert_ptr_null(db_col_blob(sel, 3));
    ck_assert_int_eq(db_col_int64(sel, 1), 0);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert(db_col_int64(sel, 1) == INT64_MAX);
    ck_assert_str_eq(db_col_text(sel, 2), "abc");
    ck_assert(!db_col_is_null(sel, 3));
    ck_assert_uint_eq(db_col_bytes(sel, 3), 0);
    ck_assert_int_eq(db_step(sel), DB_DONE);
    db_finalize(sel);

    /* a blob read from the first row of two executions: each its own */
    ck_assert_int_eq(db_prepare(db, "SELECT b FROM t WHERE k = ?1", &sel), 0);
    db_bind_int64(sel, 1, 1);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_mem_eq(db_col_blob(sel, 0), zeros, sizeof(zeros));
    db_reset(sel);
    db_bind_int64(sel, 1, 3);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_uint_eq(db_col_bytes(sel, 0), 0);
    db_reset(sel);
    db_bind_int64(sel, 1, 1);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_uint_eq(db_col_bytes(sel, 0), sizeof(zeros));
    db_finalize(sel);

    /* an optional filter ("?1 IS NULL OR col = ?1") bound NULL: typed as
       text for a text column, as BIGINT for an integer one, also inside a
       transaction, which it leaves usable */
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    ck_assert_int_eq(db_prepare(db, "SELECT count(*) FROM t WHERE (?1 IS NULL OR s = ?1)", &sel),
                     0);
    db_bind_null(sel, 1);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 3);
    db_reset(sel);
    db_bind_text(sel, 1, "abc");
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 1);
    db_finalize(sel);
    ck_assert_int_eq(db_prepare(db, "SELECT count(*) FROM t WHERE (?1 IS NULL OR k = ?1)", &sel),
                     0);
    db_bind_null(sel, 1);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 3);
    db_reset(sel);
    db_bind_int64(sel, 1, 2);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 1);
    db_finalize(sel);
    /* two such filters, an id and a text, both NULL at the first use (the
       offices near a district, sql_office_in): neither all TEXT nor all
       BIGINT parses, a mix does */
    ck_assert_int_eq(db_prepare(db,
                                "SELECT count(*) FROM t WHERE (?1 IS NULL OR k = ?1) AND "
                                "(?2 IS NULL OR replace(?2, 'x', '') = s)",
                                &sel),
                     0);
    db_bind_null(sel, 1);
    db_bind_null(sel, 2);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 3);
    db_reset(sel);
    db_bind_int64(sel, 1, 3);
    db_bind_text(sel, 2, "axbxc");
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 1);
    db_finalize(sel);
    ck_assert_int_eq(db_exec(db, "COMMIT"), 0);

    /* SQLite's typeless arithmetic: the int64 parameter is BIGINT. */
    ck_assert_int_eq(db_prepare(db, "SELECT ?1 + 86400, ?1 + ?2, ?3 = 1", &sel), 0);
    db_bind_int64(sel, 1, 4102444800000LL);
    db_bind_int64(sel, 2, 1);
    db_bind_int64(sel, 3, 1);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert(db_col_int64(sel, 0) == 4102444800000LL + 86400);
    ck_assert(db_col_int64(sel, 1) == 4102444800001LL);
    ck_assert_int_eq(db_col_int64(sel, 2), 1); /* a boolean reads as 0/1 */
    db_finalize(sel);

    /* Integers parsed strictly: no prefix of a text, no fraction. */
    ck_assert_int_eq(db_prepare(db, "SELECT '12abc', 1.5, '', 'f'::boolean, '-42'", &sel), 0);
    ck_assert_int_eq(db_step(sel), DB_ROW);
    ck_assert_int_eq(db_col_int64(sel, 0), 0);
    ck_assert_int_eq(db_col_int64(sel, 1), 0);
    ck_assert_int_eq(db_col_int64(sel, 2), 0);
    ck_assert_int_eq(db_col_int64(sel, 3), 0);
    ck_assert_int_eq(db_col_int64(sel, 4), -42);
    db_finalize(sel);
    db_close(db);
}
END_TEST

START_TEST(test_constraints_changes_returning)
{
    struct db *db = pg_fresh("cons");
    struct db_stmt *ins, *upd;

    ck_assert_int_eq(db_exec(db, "CREATE TABLE u (id BIGINT GENERATED BY DEFAULT AS IDENTITY "
                                 "PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL "
                                 "CHECK (n >= 0))"),
                     0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO u (name, n) VALUES (?, ?) RETURNING id", &ins), 0);
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", i);
        db_reset(ins);
        db_bind_text(ins, 1, name);
        db_bind_int64(ins, 2, i);
        ck_assert_int_eq(db_step(ins), DB_ROW);
        ck_assert_int_eq(db_col_int64(ins, 0), i);
        ck_assert_int_eq(db_changes(db), 1);
        ck_assert_int_eq(db_step(ins), DB_DONE);
    }
    /* unique, CHECK and NOT NULL all refuse the change: EXISTS */
    db_reset(ins);
    db_bind_text(ins, 1, "n1");
    db_bind_int64(ins, 2, 5);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    ck_assert_ptr_nonnull(strstr(db_errmsg(db), "23505"));
    db_reset(ins);
    db_bind_text(ins, 1, "n9");
    db_bind_int64(ins, 2, -1);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    db_reset(ins);
    db_bind_null(ins, 1);
    db_bind_int64(ins, 2, 1);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    /* a syntax error is DB, at the first step (prepared lazily) */
    ck_assert_int_eq(db_prepare(db, "SELEC 1", &upd), 0);
    ck_assert_int_eq(db_step(upd), -KP_ERR_DB);
    db_finalize(upd);

    ck_assert_int_eq(db_prepare(db, "UPDATE u SET n = n + 10 WHERE id >= ?1", &upd), 0);
    db_bind_int64(upd, 1, 2);
    ck_assert_int_eq(db_step(upd), DB_DONE);
    ck_assert_int_eq(db_changes(db), 2);
    db_reset(upd);
    db_bind_int64(upd, 1, 99);
    ck_assert_int_eq(db_step(upd), DB_DONE);
    ck_assert_int_eq(db_changes(db), 0);
    /* a SELECT leaves the count alone (as SQLite's changes()) */
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM u"), 3);
    ck_assert_int_eq(db_changes(db), 0);
    db_finalize(upd);
    db_finalize(ins);
    db_close(db);
}
END_TEST

START_TEST(test_transactions)
{
    struct db *db = pg_fresh("tx");
    struct db_stmt *ins;

    ck_assert_int_eq(db_exec(db, "CREATE TABLE x (v BIGINT PRIMARY KEY)"), 0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO x (v) VALUES (?1)", &ins), 0);
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_bind_int64(ins, 1, 1);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    ck_assert_int_eq(db_exec(db, "ROLLBACK"), 0);
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM x"), 0);
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 2);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    ck_assert_int_eq(db_exec(db, "SAVEPOINT a"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 2);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    ck_assert_int_eq(db_exec(db, "ROLLBACK TO a"), 0);
    ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM x"), 1);
    /* a failing statement list: DB, and nothing of it stays */
    ck_assert_int_eq(db_exec(db, "BEGIN; INSERT INTO x VALUES (3); SELEC; COMMIT"), -KP_ERR_DB);
    ck_assert_int_eq(db_exec(db, "ROLLBACK"), 0);
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM x"), 1);
    db_finalize(ins);
    db_close(db);
}
END_TEST

/* BEGIN, SAVEPOINT, RELEASE and ROLLBACK TO travel with the next command,
   a statement's Parse with its first execution: counted round trips. */
START_TEST(test_round_trips)
{
    struct db *db = pg_fresh("trips");
    struct db_stmt *ins;
    uint64_t t0;

    ck_assert_int_eq(db_exec(db, "CREATE TABLE x (v BIGINT PRIMARY KEY)"), 0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO x (v) VALUES (?1)", &ins), 0);
    t0 = db_pg_round_trips(db);
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    ck_assert_int_eq(db_exec(db, "SAVEPOINT c"), 0);
    db_bind_int64(ins, 1, 1);
    ck_assert_int_eq(db_step(ins), DB_DONE); /* BEGIN, SAVEPOINT, Parse, insert */
    ck_assert_int_eq(db_exec(db, "RELEASE c"), 0);
    ck_assert_int_eq(db_exec(db, "SAVEPOINT c"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 1);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS); /* RELEASE, SAVEPOINT, insert */
    ck_assert_int_eq(db_exec(db, "ROLLBACK TO c"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 2);
    ck_assert_int_eq(db_step(ins), DB_DONE); /* ROLLBACK TO, insert */
    ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
    ck_assert_int_eq(db_pg_round_trips(db) - t0, 4);
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM x"), 2);
    /* an empty transaction costs nothing */
    t0 = db_pg_round_trips(db);
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
    ck_assert_int_eq(db_pg_round_trips(db) - t0, 0);
    /* a failure in the pipeline (BEGIN and a duplicate) is the step's, and
       the transaction is ended as usual */
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 2);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    /* PostgreSQL turns that COMMIT into a ROLLBACK: the caller hears of it */
    ck_assert_int_eq(db_exec(db, "COMMIT"), -KP_ERR_DB);
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM x"), 2);
    /* the same with BEGIN and COMMIT prepared and stepped (the store's
       group transaction): deferred, and the failed COMMIT is a failure */
    struct db_stmt *begin, *commit;
    ck_assert_int_eq(db_prepare(db, "BEGIN", &begin), 0);
    ck_assert_int_eq(db_prepare(db, "COMMIT", &commit), 0);
    t0 = db_pg_round_trips(db);
    ck_assert_int_eq(db_step(begin), DB_DONE);
    db_reset(ins);
    db_bind_int64(ins, 1, 3);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    ck_assert_int_eq(db_step(commit), DB_DONE);
    ck_assert_int_eq(db_pg_round_trips(db) - t0, 2);
    db_reset(begin);
    ck_assert_int_eq(db_step(begin), DB_DONE);
    db_reset(ins);
    db_bind_int64(ins, 1, 3);
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    db_reset(commit);
    ck_assert_int_eq(db_step(commit), -KP_ERR_DB);
    ck_assert_int_eq(pg_count(db, "SELECT count(*) FROM x"), 3);
    db_finalize(begin);
    db_finalize(commit);
    db_finalize(ins);
    db_close(db);
}
END_TEST

/* Inside a transaction a DELETE or an upsert waits in the pipeline: the
   transaction's writes and its COMMIT are one round trip; a read after
   them sees them; db_changes() waits for their counts; a failure among
   them fails the COMMIT, and nothing of the transaction stays. */
START_TEST(test_queued_writes)
{
    struct db *db = pg_fresh("queue");
    struct db_stmt *up, *del, *cnt;
    uint64_t t0;

    ck_assert_int_eq(db_exec(db, "CREATE TABLE q (k BIGINT PRIMARY KEY, v BIGINT NOT NULL "
                                 "CHECK (v >= 0))"),
                     0);
    ck_assert_int_eq(db_prepare(db,
                                "INSERT INTO q (k, v) VALUES (?1, ?2) ON CONFLICT (k) "
                                "DO UPDATE SET v = excluded.v",
                                &up),
                     0);
    ck_assert_int_eq(db_prepare(db, "DELETE FROM q WHERE k >= ?1", &del), 0);
    ck_assert_int_eq(db_prepare(db, "SELECT count(*), coalesce(sum(v), 0) FROM q", &cnt), 0);
    /* warm: every statement parsed on this connection */
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    db_reset(cnt);
    db_bind_int64(up, 1, 0);
    db_bind_int64(up, 2, 0);
    ck_assert_int_eq(db_step(up), DB_DONE);
    db_bind_int64(del, 1, 0);
    ck_assert_int_eq(db_step(del), DB_DONE);
    ck_assert_int_eq(db_changes(db), 1);

    t0 = db_pg_round_trips(db);
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    for (int i = 1; i <= 5; i++) {
        db_reset(up);
        db_bind_int64(up, 1, i);
        db_bind_int64(up, 2, i * 10);
        ck_assert_int_eq(db_step(up), DB_DONE);
    }
    db_reset(del);
    db_bind_int64(del, 1, 5);
    ck_assert_int_eq(db_step(del), DB_DONE);
    ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
    ck_assert_int_eq(db_pg_round_trips(db) - t0, 1);
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    ck_assert_int_eq(db_col_int64(cnt, 0), 4);
    ck_assert_int_eq(db_col_int64(cnt, 1), 100);
    db_reset(cnt);

    /* a read in the transaction sees the queued writes, and db_changes()
       has their count */
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_reset(del);
    db_bind_int64(del, 1, 3);
    ck_assert_int_eq(db_step(del), DB_DONE);
    ck_assert_int_eq(db_changes(db), 2);
    db_reset(up);
    db_bind_int64(up, 1, 9);
    db_bind_int64(up, 2, 1);
    ck_assert_int_eq(db_step(up), DB_DONE);
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    ck_assert_int_eq(db_col_int64(cnt, 0), 3);
    db_reset(cnt);
    ck_assert_int_eq(db_exec(db, "ROLLBACK"), 0);

    /* a queued write the CHECK refuses: the step said done, the COMMIT
       fails with the refusal, and the whole transaction is gone */
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_reset(del);
    db_bind_int64(del, 1, 1);
    ck_assert_int_eq(db_step(del), DB_DONE);
    db_reset(up);
    db_bind_int64(up, 1, 7);
    db_bind_int64(up, 2, -1);
    ck_assert_int_eq(db_step(up), DB_DONE);
    ck_assert_int_eq(db_exec(db, "COMMIT"), -KP_ERR_EXISTS);
    ck_assert_int_eq(db_exec(db, "ROLLBACK"), 0); /* what a caller does: harmless */
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    ck_assert_int_eq(db_col_int64(cnt, 0), 4);
    db_reset(cnt);
    /* outside a transaction nothing waits: the refusal is the step's */
    db_reset(up);
    db_bind_int64(up, 1, 7);
    db_bind_int64(up, 2, -1);
    ck_assert_int_eq(db_step(up), -KP_ERR_EXISTS);
    db_finalize(up);
    db_finalize(del);
    db_finalize(cnt);
    db_close(db);
}
END_TEST

/* stderr into a file, to read what was logged. */
static int pg_capture_stderr(const char *path)
{
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    close(fd);
    return saved;
}

START_TEST(test_passfile_and_secrets)
{
    char *dir = tu_tmpdir("pgpass"), file[300], log[300], dsn[700];
    struct db_params p = {.kind = DB_POSTGRESQL, .dsn = pg->dsn, .passfile = file};
    struct db *db = NULL;
    struct db_stmt *s;
    char *text;
    int saved;

    snprintf(file, sizeof(file), "%s/pass", dir);
    snprintf(log, sizeof(log), "%s/log", dir);
    log_set_level(KP_LOG_DEBUG);
    saved = pg_capture_stderr(log);

    /* readable by the group: refused with the reason, nothing sent */
    ck_assert_int_eq(tu_write_file(file, pg->password), 0);
    ck_assert_int_eq(chmod(file, 0640), 0);
    ck_assert_int_eq(db_open(&p, &db), -KP_ERR_DB);
    ck_assert_ptr_null(db);
    /* a wrong password: refused by the server (DB, not CLOSED) */
    ck_assert_int_eq(chmod(file, 0600), 0);
    ck_assert_int_eq(tu_write_file(file, "not-the-password\n"), 0);
    ck_assert_int_eq(db_open(&p, &db), -KP_ERR_DB);
    /* no passfile at all */
    p.passfile = NULL;
    ck_assert_int_eq(db_open(&p, &db), -KP_ERR_DB);
    /* the right one, with a password in the DSN too: the file wins, and
       the DSN's is logged nowhere either */
    ck_assert_int_eq(tu_write_file(file, pg->password), 0);
    snprintf(dsn, sizeof(dsn), "%s password=dsn-secret-%s", pg->dsn, pg->password);
    p.dsn = dsn;
    p.passfile = file;
    ck_assert_int_eq(db_open(&p, &db), 0);
    /* errors that could carry values: a data error over the password
       itself, a unique violation whose DETAIL holds the key */
    ck_assert_int_eq(db_prepare(db, "SELECT CAST(?1 AS BIGINT)", &s), 0);
    db_bind_text(s, 1, pg->password);
    ck_assert_int_eq(db_step(s), -KP_ERR_DB);
    ck_assert_ptr_null(strstr(db_errmsg(db), pg->password));
    ck_assert_ptr_nonnull(strstr(db_errmsg(db), "22P02"));
    db_finalize(s);
    ck_assert_int_eq(db_exec(db, "CREATE TEMP TABLE k (v TEXT UNIQUE)"), 0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO k VALUES (?1)", &s), 0);
    for (int i = 0; i < 2; i++) {
        db_reset(s);
        db_bind_text(s, 1, pg->password);
        db_step(s);
    }
    ck_assert_ptr_null(strstr(db_errmsg(db), pg->password));
    db_finalize(s);
    db_close(db);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    text = (char *)tu_read_file(log, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "readable by group or others") != NULL, "log: %s", text);
    ck_assert_msg(strstr(text, pg->password) == NULL, "the password was logged: %s", text);
    ck_assert_ptr_null(strstr(text, "dsn-secret"));
    free(text);
    char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    tu_run(rm, NULL, NULL, 10000);
    free(dir);
}
END_TEST

START_TEST(test_dead_first_host)
{
    char dsn[700];
    struct db_params p = {.kind = DB_POSTGRESQL, .dsn = dsn, .passfile = pg->passfile};
    struct db *db = NULL;

    /* nothing listens on the first port: libpq goes on to the second */
    snprintf(dsn, sizeof(dsn),
             "host=127.0.0.1,127.0.0.1 port=%d,%d user=kpass dbname=kpass "
             "target_session_attrs=read-write",
             tu_free_port(), pg->port);
    ck_assert_int_eq(db_open(&p, &db), 0);
    ck_assert_int_eq(pg_count(db, "SELECT 41 + 1"), 42);
    db_close(db);
    /* no host alive at all: CLOSED (try later), not DB */
    snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d user=kpass dbname=kpass", tu_free_port());
    ck_assert_int_eq(db_open(&p, &db), -KP_ERR_CLOSED);
}
END_TEST

START_TEST(test_server_restart)
{
    struct db *db = pg_fresh("restart");
    struct db_stmt *ins, *cnt;

    ck_assert_int_eq(db_exec(db, "CREATE TABLE r (v BIGINT PRIMARY KEY)"), 0);
    ck_assert_int_eq(db_prepare(db, "INSERT INTO r (v) VALUES (?1)", &ins), 0);
    ck_assert_int_eq(db_prepare(db, "SELECT count(*) FROM r", &cnt), 0);
    db_bind_int64(ins, 1, 1);
    ck_assert_int_eq(db_step(ins), DB_DONE);

    /* killed while idle: CLOSED, then back by itself, statements prepared again */
    ck_assert_int_eq(tu_pg_crash(), 0);
    db_reset(cnt);
    ck_assert_int_eq(db_step(cnt), -KP_ERR_CLOSED);
    db_reset(cnt);
    ck_assert_int_eq(db_step(cnt), -KP_ERR_CLOSED); /* still down */
    ck_assert_int_eq(tu_pg_restart(), 0);
    /* That failed attempt set the backoff (250 ms, growing to 1 s): calls
       before it ends fail at once, without trying; then it is back. */
    int rc = -KP_ERR_CLOSED;
    for (int i = 0; i < 30 && rc == -KP_ERR_CLOSED; i++) {
        db_reset(cnt);
        if ((rc = db_step(cnt)) == -KP_ERR_CLOSED)
            usleep(100 * 1000);
    }
    ck_assert_msg(rc == DB_ROW, "%s", db_errmsg(db));
    ck_assert_int_eq(db_col_int64(cnt, 0), 1);

    /* killed inside a transaction: the rest of it is refused, COMMIT says
       CLOSED, and nothing of it was committed */
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 2);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    ck_assert_int_eq(tu_pg_crash(), 0);
    ck_assert_int_eq(tu_pg_restart(), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 3);
    ck_assert_int_eq(db_step(ins), -KP_ERR_CLOSED);
    db_reset(ins);
    db_bind_int64(ins, 1, 4);
    ck_assert_int_eq(db_step(ins), -KP_ERR_CLOSED);
    ck_assert_int_eq(db_exec(db, "COMMIT"), -KP_ERR_CLOSED);
    db_reset(cnt);
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    ck_assert_int_eq(db_col_int64(cnt, 0), 1);
    /* and the connection serves the next transaction */
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_reset(ins);
    db_bind_int64(ins, 1, 5);
    ck_assert_int_eq(db_step(ins), DB_DONE);
    ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
    db_reset(cnt);
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    ck_assert_int_eq(db_col_int64(cnt, 0), 2);
    /* killed with queued writes owed: the COMMIT that would send them
       says CLOSED, and they are not there */
    struct db_stmt *del;
    ck_assert_int_eq(db_prepare(db, "DELETE FROM r WHERE v >= ?1", &del), 0);
    ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
    db_bind_int64(del, 1, 0);
    ck_assert_int_eq(db_step(del), DB_DONE); /* queued */
    ck_assert_int_eq(tu_pg_crash(), 0);
    ck_assert_int_eq(tu_pg_restart(), 0);
    ck_assert_int_eq(db_exec(db, "COMMIT"), -KP_ERR_CLOSED);
    db_reset(cnt);
    ck_assert_int_eq(db_step(cnt), DB_ROW);
    ck_assert_int_eq(db_col_int64(cnt, 0), 2);
    db_finalize(del);
    db_finalize(ins);
    db_finalize(cnt);
    db_close(db);
}
END_TEST

/* One daemon per installation (STORE_EXCLUSIVE): a second exclusive
   connection to the same schema is refused while the first lives; a plain
   connection (kpass, the http worker) is not; another schema is another
   installation; the lock is free again once its holder closes. */
START_TEST(test_daemon_lock)
{
    char *dsn = tu_pg_fresh("lock"), *other = tu_pg_fresh("lock2");
    struct db_params p = {
        .kind = DB_POSTGRESQL, .dsn = dsn, .passfile = pg->passfile, .exclusive = 1};
    struct db_params plain = {.kind = DB_POSTGRESQL, .dsn = dsn, .passfile = pg->passfile};
    struct db_params elsewhere = {
        .kind = DB_POSTGRESQL, .dsn = other, .passfile = pg->passfile, .exclusive = 1};
    struct db *a = NULL, *b = NULL, *c = NULL, *d = NULL;

    ck_assert_int_eq(db_open(&p, &a), 0);
    ck_assert_int_eq(db_open(&p, &b), -KP_ERR_BUSY);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(db_open(&plain, &c), 0);
    ck_assert_int_eq(db_open(&elsewhere, &d), 0);
    db_close(a);
    ck_assert_int_eq(db_open(&p, &b), 0);
    db_close(b);
    db_close(c);
    db_close(d);
    free(dsn);
    free(other);
}
END_TEST

/* Nodes of a cluster ([store] nodes = several) hold the lock in shared
   mode: two of them run side by side; a node configured as the only one is
   refused while they run, and a shared node is refused while a lone node
   runs. */
START_TEST(test_daemon_lock_shared)
{
    char *dsn = tu_pg_fresh("lock3");
    struct db_params one = {
        .kind = DB_POSTGRESQL, .dsn = dsn, .passfile = pg->passfile, .exclusive = 1};
    struct db_params several = one;
    struct db *a = NULL, *b = NULL, *c = NULL;

    several.shared = 1;
    ck_assert_int_eq(db_open(&several, &a), 0);
    ck_assert_int_eq(db_open(&several, &b), 0);
    ck_assert_int_eq(db_open(&one, &c), -KP_ERR_BUSY);
    db_close(a);
    db_close(b);
    ck_assert_int_eq(db_open(&one, &c), 0);
    a = NULL;
    ck_assert_int_eq(db_open(&several, &a), -KP_ERR_BUSY);
    ck_assert_ptr_null(a);
    db_close(c);
    free(dsn);
}
END_TEST

/* A passfile in libpq's own format (host:port:database:user:password, one
   line per database node, as tests/cluster/cluster.sh writes it): libpq
   picks the line of the host it reaches; a wrong password there is
   refused like a wrong plain one. */
START_TEST(test_passfile_pgpass_format)
{
    char *dir = tu_tmpdir("pgpass2"), file[300], text[600];
    struct db_params p = {.kind = DB_POSTGRESQL, .dsn = pg->dsn, .passfile = file};
    struct db *db = NULL;

    snprintf(file, sizeof(file), "%s/pass", dir);
    snprintf(text, sizeof(text), "127.0.0.1:1:kpass:kpass:wrong\n127.0.0.1:%d:kpass:kpass:%s\n",
             pg->port, pg->password);
    ck_assert_int_eq(tu_write_file(file, text), 0);
    ck_assert_int_eq(chmod(file, 0600), 0);
    ck_assert_int_eq(db_open(&p, &db), 0);
    ck_assert_int_eq(pg_count(db, "SELECT 1"), 1);
    db_close(db);
    db = NULL;
    snprintf(text, sizeof(text), "127.0.0.1:%d:kpass:kpass:not-%s\n", pg->port, pg->password);
    ck_assert_int_eq(tu_write_file(file, text), 0);
    ck_assert_int_eq(db_open(&p, &db), -KP_ERR_DB);
    ck_assert_ptr_null(db);
    char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    tu_run(rm, NULL, NULL, 10000);
    free(dir);
}
END_TEST

Suite *suite_pg_backend(void)
{
    Suite *s = suite_create("pg_backend");
    TCase *tc = tcase_create("rewrite");
    const char *why;

    tcase_add_test(tc, test_rewrite);
    suite_add_tcase(s, tc);
    if (!tu_pg_available(&why)) {
        fprintf(stderr, "pg_backend: %s\n", why);
        return s;
    }
    tc = tcase_create("server");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, pg_setup, NULL);
    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_constraints_changes_returning);
    tcase_add_test(tc, test_transactions);
    tcase_add_test(tc, test_round_trips);
    tcase_add_test(tc, test_queued_writes);
    tcase_add_test(tc, test_passfile_and_secrets);
    tcase_add_test(tc, test_passfile_pgpass_format);
    tcase_add_test(tc, test_dead_first_host);
    tcase_add_test(tc, test_daemon_lock);
    tcase_add_test(tc, test_daemon_lock_shared);
    suite_add_tcase(s, tc);
    tc = tcase_create("restart");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, pg_setup, NULL);
    tcase_add_test(tc, test_server_restart);
    suite_add_tcase(s, tc);
    return s;
}
