/* SPDX-License-Identifier: ISC */
/*
 * Opening the SQLite store, pragmas, migrations, the statement cache and
 * transactions (see store.h for the two kinds of transaction).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "store_internal.h"

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    unsigned i = (unsigned)((h >> 4) ^ (h >> 12)) & (STORE_STMT_SLOTS - 1);

    for (unsigned n = 0; n < STORE_STMT_SLOTS; n++, i = (i + 1) & (STORE_STMT_SLOTS - 1)) {
        struct store_stmt_slot *slot = &st->stmts[i];
        if (slot->sql == sql) {
            st->commits.statements++;
            slot->runs++;
            sqlite3_reset(slot->stmt);
            sqlite3_clear_bindings(slot->stmt);
            return slot->stmt;
        }
        if (slot->sql == NULL) {
            if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot->stmt, NULL) !=
                SQLITE_OK) {
                log_warnx("store: cannot prepare statement: %s", sqlite3_errmsg(st->db));
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

int store_rows_all(sqlite3_stmt *s, size_t size, void (*row)(sqlite3_stmt *, void *), void **out)
{
    char *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = kp_grow(v, &cap, n + 1, size);
        row(s, v + n++ * size);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

int store_step_done(struct store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return -KP_ERR_EXISTS;
    log_warnx("store: %s", sqlite3_errmsg(st->db));
    return -KP_ERR_DB;
}

int store_exec(struct store *st, const char *sql)
{
    char *err = NULL;

    st->commits.statements++;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_warnx("store: %s", err ? err : sqlite3_errmsg(st->db));
        sqlite3_free(err);
        return -KP_ERR_DB;
    }
    return 0;
}

void store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

void store_bind_blob(sqlite3_stmt *s, int i, const void *v, size_t n)
{
    sqlite3_bind_blob(s, i, v, (int)n, SQLITE_TRANSIENT);
}

void store_col_text(sqlite3_stmt *s, int i, char *dst, size_t size)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;

    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

const char *store_errmsg(struct store *st)
{
    return sqlite3_errmsg(st->db);
}

static int store_read_version(struct store *st)
{
    sqlite3_stmt *s;
    int v = 0;

    if (sqlite3_prepare_v2(st->db, "SELECT max(version) FROM schema_version", -1, &s, NULL) !=
        SQLITE_OK)
        return 0; /* no table yet: a new file */
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
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
    sqlite3_stmt *s;
    int found = 0;

    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM schema_version WHERE version = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return 0; /* no table yet: a new file */
    sqlite3_bind_int(s, 1, version);
    found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return found;
}

/* Apply every migration the file has not had, in order, each in its own
   transaction with its schema_version row. */
static int store_migrate(struct store *st)
{
    int n, have = store_read_version(st);
    const struct store_migration *m = store_migrations(&n);

    if (have > m[n - 1].version) {
        log_warnx("store: %s is at schema %d, newer than this program (%d)", st->path, have,
                  m[n - 1].version);
        return -KP_ERR_DB;
    }
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *s;
        if (store_has_version(st, m[i].version))
            continue;
        if (store_exec(st, "BEGIN IMMEDIATE") < 0)
            return -KP_ERR_DB;
        if (store_exec(st, m[i].sql) < 0)
            goto fail;
        if (sqlite3_prepare_v2(st->db,
                               "INSERT INTO schema_version (version, applied_at) "
                               "VALUES (?1, ?2)",
                               -1, &s, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int(s, 1, m[i].version);
        sqlite3_bind_int64(s, 2, kp_time_s());
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE || store_exec(st, "COMMIT") < 0)
            goto fail;
        log_info("store: %s migrated to schema %d", st->path, m[i].version);
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

/*
 * The database holds names and phone numbers: a new file is made 0600
 * before SQLite sees it (SQLite gives its -wal and -shm files the
 * database's mode), and an existing one open to group or others is named
 * in the log so that the operator fixes it.  Returns -KP_ERR_NOTFOUND when
 * the file is missing and create is not set.
 */
static int store_file_prepare(const char *path, int create)
{
    struct stat sb;
    int fd;

    if (stat(path, &sb) == 0) {
        if (sb.st_mode & (S_IRWXG | S_IRWXO))
            log_warnx("store: %s is mode %04o: group or others may read it; "
                      "chmod 600 it (and its -wal and -shm)",
                      path, (unsigned)(sb.st_mode & 07777));
        return 0;
    }
    if (!create)
        return -KP_ERR_NOTFOUND;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST) {
        log_warn("store: cannot create %s", path);
        return -KP_ERR_DB;
    }
    if (fd >= 0)
        close(fd); /* an empty file is an empty SQLite database */
    return 0;
}

int store_open(const char *path, unsigned flags, struct store **out)
{
    struct store *st;
    int oflags = SQLITE_OPEN_NOMUTEX;
    int rc;

    *out = NULL;
    if (flags & STORE_READONLY)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE | ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
    if ((rc = store_file_prepare(path, (flags & STORE_CREATE) && !(flags & STORE_READONLY))) < 0)
        return rc;
    st = kp_calloc(1, sizeof(*st));
    st->path = kp_strdup(path);
    st->readonly = (flags & STORE_READONLY) != 0;
    if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
        log_warnx("store: cannot open %s: %s", path, st->db ? sqlite3_errmsg(st->db) : "?");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    /* DESIGN.md §8.  secure_delete: a scrubbed code message's old text is
       zeroed in the file, not left in the page's free space (Debian builds
       SQLite with it on by default; other builds do not). */
    sqlite3_busy_timeout(st->db, 5000);
    if ((!st->readonly && store_exec(st, "PRAGMA journal_mode=WAL") < 0) ||
        store_exec(st, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                       "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON") < 0)
        goto fail;
    if (flags & STORE_CURRENT) {
        int have = store_read_version(st);
        if (have < store_schema_latest()) {
            log_warnx("store: %s is at schema %d, this program needs %d (run: kpass migrate)", path,
                      have, store_schema_latest());
            store_close(st);
            return -KP_ERR_STATE;
        }
        if (have > store_schema_latest()) {
            log_warnx("store: %s is at schema %d, newer than this program (%d)", path, have,
                      store_schema_latest());
            goto fail;
        }
    } else if (!st->readonly && store_migrate(st) < 0) {
        goto fail;
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
            if (st->stmts[i].stmt)
                sqlite3_finalize(st->stmts[i].stmt);
        sqlite3_close(st->db);
    }
    free(st->path);
    free(st);
}

int store_writable(const struct store *st)
{
    char dir[1024];
    const char *slash;

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
    sqlite3_stmt *s;
    int ok = 1;

    if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
        return -KP_ERR_DB;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        if (t && strcmp(t, "ok") != 0) {
            ok = 0;
            if (out)
                kp_buf_printf(out, "%s\n", t);
        }
    }
    sqlite3_finalize(s);
    return ok ? 0 : -KP_ERR_DB;
}

/* The group transaction's BEGIN and COMMIT, once a pass: prepared once
   instead of parsed by sqlite3_exec every time.  IMMEDIATE: the write lock
   is taken here, where a busy database fails the one request that opened
   the pass, and not at the pass's first write, which may be its
   before-commit hook (the USSD dialogs): there a read snapshot older than
   another process's commit could not be upgraded (SQLITE_BUSY_SNAPSHOT)
   and the whole pass would be lost. */
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";

static int store_run(struct store *st, const char *sql)
{
    sqlite3_stmt *s = store_stmt(st, sql);

    return s == NULL ? -KP_ERR_DB : store_step_done(st, s);
}

int store_batch(struct store *st)
{
    if (st->in_batch || st->in_tx)
        return 0;
    if (store_run(st, sql_begin) < 0)
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
    if (store_exec(st, "BEGIN IMMEDIATE") < 0)
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
    sqlite3_stmt *s = store_stmt(st, sql);

    return s == NULL ? -KP_ERR_DB : store_step_done(st, s);
}

int store_bulk(struct store *st)
{
    st->bulk = 1;
    /* 256 MiB of page cache at most (allocated as used): the CNIC index
       takes inserts in random order, which a small cache turns into I/O. */
    return store_exec(st, "PRAGMA cache_size = -262144");
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
