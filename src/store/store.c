/* SPDX-License-Identifier: ISC */
/*
 * Opening the store on its backend (db.h; the SQLite file's pragmas are
 * db_sqlite.c's), migrations, the statement cache and transactions (see
 * store.h for the two kinds of transaction).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "db_sqlite.h"
#include "store_internal.h"

struct db_stmt *store_stmt(struct store *st, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    unsigned i = (unsigned)((h >> 4) ^ (h >> 12)) & (STORE_STMT_SLOTS - 1);

    for (unsigned n = 0; n < STORE_STMT_SLOTS; n++, i = (i + 1) & (STORE_STMT_SLOTS - 1)) {
        struct store_stmt_slot *slot = &st->stmts[i];
        if (slot->sql == sql) {
            st->commits.statements++;
            slot->runs++;
            db_reset(slot->stmt);
            return slot->stmt;
        }
        if (slot->sql == NULL) {
            if (db_prepare(st->db, sql, &slot->stmt) < 0) {
                log_warnx("store: cannot prepare statement: %s", db_errmsg(st->db));
                slot->stmt = NULL;
                return NULL;
            }
            slot->sql = sql;
            slot->runs = 1;
            st->commits.statements++;
            return slot->stmt;
        }
    }
    fatalx("store: statement cache full (raise STORE_STMT_SLOTS)");
}

int store_rows_all(struct db_stmt *s, size_t size, void (*row)(struct db_stmt *, void *),
                   void **out)
{
    char *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, size);
        row(s, v + n++ * size);
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

/* As before the seam (store_internal.h). */
int store_step_fail(struct store *st, int rc)
{
    if (rc == -KP_ERR_EXISTS)
        return rc;
    log_warnx("store: %s", db_errmsg(st->db));
    return -KP_ERR_DB;
}

int store_step_done(struct store *st, struct db_stmt *s)
{
    int rc = db_step(s);

    db_reset(s);
    return rc >= 0 ? 0 : store_step_fail(st, rc);
}

int store_step_id(struct store *st, struct db_stmt *s, int64_t *id)
{
    int rc = db_step(s);

    if (rc == DB_ROW) {
        *id = db_col_int64(s, 0);
        /* RETURNING: the change is made when the statement has run to its end. */
        rc = db_step(s);
    } else if (rc == DB_DONE) {
        rc = -KP_ERR_DB; /* no row inserted, no id */
    }
    db_reset(s);
    return rc >= 0 ? 0 : store_step_fail(st, rc);
}

int store_exec(struct store *st, const char *sql)
{
    st->commits.statements++;
    if (db_exec(st->db, sql) < 0) {
        log_warnx("store: %s", db_errmsg(st->db));
        return -KP_ERR_DB;
    }
    return 0;
}

void store_col_text(struct db_stmt *s, int i, char *dst, size_t size)
{
    const char *t = db_col_text(s, i);
    size_t n = t ? db_col_bytes(s, i) : 0;

    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

const char *store_errmsg(struct store *st)
{
    return db_errmsg(st->db);
}

/* The first column of a one-off statement's first row (with ?1 = arg when
   the statement has a parameter), into *v.  1 with a row, 0 without or
   when the statement cannot be prepared (no table yet: a new database). */
static int store_read_int(struct store *st, const char *sql, int64_t arg, int64_t *v)
{
    struct db_stmt *s;
    int found;

    if (db_prepare(st->db, sql, &s) < 0)
        return 0;
    if (arg)
        db_bind_int64(s, 1, arg);
    found = db_step(s) == DB_ROW;
    if (found)
        *v = db_col_int64(s, 0);
    db_finalize(s);
    return found;
}

static int store_read_version(struct store *st)
{
    int64_t v = 0;

    store_read_int(st, "SELECT max(version) FROM schema_version", 0, &v);
    return (int)v;
}

int store_schema_version(struct store *st)
{
    return store_read_version(st);
}

int store_schema_latest(void)
{
    int n;
    const struct store_migration *m = store_migrations(&n);

    return m[n - 1].version;
}

static int store_has_version(struct store *st, int version)
{
    int64_t v;

    return store_read_int(st, "SELECT 1 FROM schema_version WHERE version = ?1", version, &v);
}

/* The BEGIN of a write transaction.  SQLite: IMMEDIATE, the write lock
   taken at once (see sql_begin below); PostgreSQL has no such mode and
   takes its row locks as it writes. */
static const char *store_begin_sql(const struct store *st)
{
    return db_kind(st->db) == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
}

/* Apply every migration the database has not had, in order, each in its
   own transaction with its schema_version row. */
static int store_migrate(struct store *st)
{
    int n, have = store_read_version(st);
    const struct store_migration *m = store_migrations_kind(db_kind(st->db), &n);

    if (m == NULL) {
        log_warnx("store: this build has no schema for this database's backend");
        return -KP_ERR_UNSUPPORTED;
    }
    if (have > m[n - 1].version) {
        log_warnx("store: %s is at schema %d, newer than this program (%d)",
                  st->path ? st->path : "the database", have, m[n - 1].version);
        return -KP_ERR_DB;
    }
    for (int i = 0; i < n; i++) {
        struct db_stmt *s;
        if (store_has_version(st, m[i].version))
            continue;
        if (store_exec(st, store_begin_sql(st)) < 0)
            return -KP_ERR_DB;
        if (store_exec(st, m[i].sql) < 0)
            goto fail;
        if (db_prepare(st->db,
                       "INSERT INTO schema_version (version, applied_at) "
                       "VALUES (?1, ?2)",
                       &s) < 0)
            goto fail;
        db_bind_int64(s, 1, m[i].version);
        db_bind_int64(s, 2, kp_time_s());
        int rc = db_step(s);
        db_finalize(s);
        if (rc != DB_DONE || store_exec(st, "COMMIT") < 0)
            goto fail;
        log_info("store: %s migrated to schema %d", st->path ? st->path : "the database",
                 m[i].version);
    }
    return 0;
fail:
    store_exec(st, "ROLLBACK");
    return -KP_ERR_DB;
}

int store_migrate_now(struct store *st)
{
    if (st->readonly)
        return -KP_ERR_STATE;
    return store_migrate(st);
}

int store_open(const char *path, unsigned flags, struct store **out)
{
    struct db_params p = {
        .kind = DB_SQLITE,
        .path = path,
        .readonly = (flags & STORE_READONLY) != 0,
        .create = (flags & STORE_CREATE) != 0,
    };

    return store_open_params(&p, flags, out);
}

int store_open_params(const struct db_params *p, unsigned flags, struct store **out)
{
    const char *name = p->kind == DB_SQLITE ? p->path : "the database";
    struct store *st;
    struct db *db;
    int rc;

    *out = NULL;
    if ((rc = db_open(p, &db)) < 0)
        return rc == -KP_ERR_NOTFOUND || rc == -KP_ERR_UNSUPPORTED || rc == -KP_ERR_CLOSED ||
                       rc == -KP_ERR_BUSY
                   ? rc
                   : -KP_ERR_DB;
    st = kp_calloc(1, sizeof(*st));
    st->db = db;
    st->path = p->kind == DB_SQLITE ? kp_strdup(p->path) : NULL;
    st->readonly = (flags & STORE_READONLY) != 0;
    if (flags & STORE_CURRENT) {
        int have = store_read_version(st);
        if (have < store_schema_latest()) {
            log_warnx("store: %s is at schema %d, this program needs %d (run: kpass migrate)", name,
                      have, store_schema_latest());
            store_close(st);
            return -KP_ERR_STATE;
        }
        if (have > store_schema_latest()) {
            log_warnx("store: %s is at schema %d, newer than this program (%d)", name, have,
                      store_schema_latest());
            goto fail;
        }
    } else if (!st->readonly && (rc = store_migrate(st)) < 0) {
        store_close(st);
        return rc == -KP_ERR_UNSUPPORTED ? rc : -KP_ERR_DB;
    }
    *out = st;
    return 0;
fail:
    store_close(st);
    return -KP_ERR_DB;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    if (st->db) {
        if (st->in_batch)
            store_flush(st);
        for (unsigned i = 0; i < STORE_STMT_SLOTS; i++)
            db_finalize(st->stmts[i].stmt);
        db_close(st->db);
    }
    free(st->path);
    free(st);
}

int store_writable(const struct store *st)
{
    char dir[1024];
    const char *slash;

    /* PostgreSQL: the server answers, and as a primary (a standby found
       after a failover cannot take writes).  One round trip, for /readyz. */
    if (db_kind(st->db) == DB_POSTGRESQL)
        return !st->readonly && db_exec(st->db, "DO $$BEGIN IF pg_is_in_recovery() THEN "
                                                "RAISE EXCEPTION 'a standby'; END IF; END$$") == 0
                   ? 0
                   : -KP_ERR_IO;
    if (st->readonly || st->path == NULL || access(st->path, W_OK) < 0)
        return -KP_ERR_IO;
    slash = strrchr(st->path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - st->path > 0 ? slash - st->path : 1),
                 st->path);
    return access(dir, W_OK) < 0 ? -KP_ERR_IO : 0;
}

int store_integrity_check(struct store *st, struct kp_buf *out)
{
    /* SQLite's own check of its file; a PostgreSQL server checks its pages
       itself (data checksums) and has no equivalent to run here. */
    if (db_kind(st->db) != DB_SQLITE)
        return -KP_ERR_UNSUPPORTED;
    return db_sqlite_integrity(st->db, out);
}

/* The group transaction's BEGIN and COMMIT, once a pass: prepared once
   instead of parsed by sqlite3_exec every time.  IMMEDIATE: the write lock
   is taken here, where a busy database fails the one request that opened
   the pass, and not at the pass's first write, which may be its
   before-commit hook (the USSD dialogs): there a read snapshot older than
   another process's commit could not be upgraded (SQLITE_BUSY_SNAPSHOT)
   and the whole pass would be lost. */
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_begin_pg[] = "BEGIN";
static const char sql_commit[] = "COMMIT";

static int store_run(struct store *st, const char *sql)
{
    struct db_stmt *s = store_stmt(st, sql);

    return s == NULL ? -KP_ERR_DB : store_step_done(st, s);
}

int store_batch(struct store *st)
{
    if (st->in_batch || st->in_tx)
        return 0;
    if (store_run(st, db_kind(st->db) == DB_SQLITE ? sql_begin : sql_begin_pg) < 0)
        return -KP_ERR_DB;
    st->in_batch = 1;
    return 0;
}

const unsigned store_commit_bounds_us[STORE_COMMIT_BUCKETS] = {50,   100,  250,   500,   1000,
                                                               2500, 5000, 10000, 50000, 250000};

const struct store_commit_stats *store_commit_stats(const struct store *st)
{
    return &st->commits;
}

void store_stmt_each(const struct store *st, void (*fn)(const char *sql, uint64_t runs, void *arg),
                     void *arg)
{
    for (unsigned i = 0; i < STORE_STMT_SLOTS; i++)
        if (st->stmts[i].sql && st->stmts[i].runs)
            fn(st->stmts[i].sql, st->stmts[i].runs, arg);
}

/* COMMIT, timed; ROLLBACK when it fails. */
static int store_commit(struct store *st)
{
    uint64_t t0 = kp_clock_us(), dt;
    int rc = store_run(st, sql_commit);

    dt = kp_clock_us() - t0;
    st->commits.count++;
    st->commits.us_sum += dt;
    for (unsigned i = 0; i < STORE_COMMIT_BUCKETS; i++)
        if (dt <= store_commit_bounds_us[i])
            st->commits.le[i]++;
    if (rc < 0) {
        st->commits.failed++;
        store_exec(st, "ROLLBACK");
        return -KP_ERR_DB;
    }
    return 0;
}

void store_before_commit(struct store *st, int (*fn)(void *arg), void *arg)
{
    st->before_commit = fn;
    st->before_commit_arg = arg;
}

int store_flush(struct store *st)
{
    if (!st->in_batch)
        return 0;
    if (st->before_commit && st->before_commit(st->before_commit_arg) < 0) {
        st->in_batch = 0;
        st->commits.failed++;
        store_exec(st, "ROLLBACK");
        return -KP_ERR_DB;
    }
    st->in_batch = 0;
    return store_commit(st);
}

int store_tx_begin(struct store *st)
{
    if (st->in_tx) {
        log_warnx("store: nested transaction");
        return -KP_ERR_STATE;
    }
    if (store_flush(st) < 0)
        return -KP_ERR_DB;
    if (store_exec(st, store_begin_sql(st)) < 0)
        return -KP_ERR_DB;
    st->in_tx = 1;
    return 0;
}

int store_tx_commit(struct store *st)
{
    if (!st->in_tx)
        return -KP_ERR_STATE;
    st->in_tx = st->bulk = 0; /* bulk mode lasts one explicit transaction */
    return store_commit(st);
}

int store_in_tx(const struct store *st)
{
    return st->in_tx || st->in_batch;
}

void store_tx_rollback(struct store *st)
{
    if (!st->in_tx)
        return;
    st->in_tx = st->bulk = 0;
    store_exec(st, "ROLLBACK");
}

void store_group_mode(struct store *st, int on)
{
    st->group = on != 0;
}

static const char sql_scope_begin[] = "SAVEPOINT kp_scope";
static const char sql_scope_release[] = "RELEASE kp_scope";
static const char sql_scope_undo[] = "ROLLBACK TO kp_scope";

static int store_scope_step(struct store *st, const char *sql)
{
    struct db_stmt *s = store_stmt(st, sql);

    return s == NULL ? -KP_ERR_DB : store_step_done(st, s);
}

int store_bulk(struct store *st)
{
    st->bulk = 1;
    return db_kind(st->db) == DB_SQLITE ? db_sqlite_bulk(st->db) : 0;
}

int store_scope_begin(struct store *st, enum store_scope *scope)
{
    if (st->bulk && st->in_tx) {
        *scope = STORE_SCOPE_BULK;
        return 0;
    }
    if (!store_in_tx(st) && st->group && store_batch(st) < 0)
        return -KP_ERR_DB;
    if (!store_in_tx(st)) {
        *scope = STORE_SCOPE_OWN;
        return store_tx_begin(st);
    }
    *scope = STORE_SCOPE_SAVEPOINT;
    return store_scope_step(st, sql_scope_begin);
}

int store_scope_end(struct store *st, enum store_scope scope, int keep)
{
    if (scope == STORE_SCOPE_BULK)
        return 0;
    if (scope == STORE_SCOPE_OWN) {
        if (!keep) {
            store_tx_rollback(st);
            return 0;
        }
        return store_tx_commit(st);
    }
    if (!keep)
        store_scope_step(st, sql_scope_undo);
    return store_scope_step(st, sql_scope_release);
}
