/* SPDX-License-Identifier: ISC */
/*
 * The SQLite backend of the store's seam (db.h): the file opened with the
 * pragmas DESIGN.md §8 requires, statements prepared once, SQLite's
 * result codes mapped to kp_err.  Bound text and blobs are bound
 * SQLITE_STATIC (db.h's lifetime rule: they live until db_step()
 * returns), so no bind copies.
 *
 * The seam's dialect is checked here, where the tests run: a statement
 * whose numbered parameters leave a gap (PostgreSQL cannot type a
 * parameter a statement does not use) fails to prepare, and a bind to a
 * parameter the statement does not have fails its step.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/core/buf.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "db_backend.h"
#include "db_sqlite.h"

struct db_sqlite {
    struct db base;
    sqlite3 *h;
};

struct db_sqlite_stmt {
    struct db_stmt base;
    sqlite3_stmt *s;
    struct db_sqlite *db;
    int dirty;    /* bound or stepped since the last reset */
    int bad_bind; /* a bind named a parameter the statement lacks: its number */
};

#define SQ(d)  ((struct db_sqlite *)(d))
#define SQS(s) ((struct db_sqlite_stmt *)(s))

/* A failed call's result code as a kp_err. */
static int sq_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return -KP_ERR_EXISTS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -KP_ERR_BUSY;
    default:
        return -KP_ERR_DB;
    }
}

/*
 * The database holds names and phone numbers: a new file is made 0600
 * before SQLite sees it (SQLite gives its -wal and -shm files the
 * database's mode), and an existing one open to group or others is named
 * in the log so that the operator fixes it.  Returns -KP_ERR_NOTFOUND when
 * the file is missing and create is not set.
 */
static int sq_file_prepare(const char *path, int create)
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

static int sq_exec(struct db *d, const char *sql)
{
    int rc = sqlite3_exec(SQ(d)->h, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : sq_err(rc);
}

static void sq_close(struct db *d)
{
    sqlite3_close(SQ(d)->h);
    free(d);
}

static int sq_open(const struct db_params *p, struct db **out)
{
    struct db_sqlite *d;
    int oflags = SQLITE_OPEN_NOMUTEX;
    int rc;

    if (p->readonly)
        oflags |= SQLITE_OPEN_READONLY;
    else
        oflags |= SQLITE_OPEN_READWRITE | (p->create ? SQLITE_OPEN_CREATE : 0);
    if ((rc = sq_file_prepare(p->path, p->create && !p->readonly)) < 0)
        return rc;
    d = kp_calloc(1, sizeof(*d));
    d->base.ops = &db_sqlite_ops;
    if (sqlite3_open_v2(p->path, &d->h, oflags, NULL) != SQLITE_OK) {
        log_warnx("store: cannot open %s: %s", p->path, d->h ? sqlite3_errmsg(d->h) : "?");
        goto fail;
    }
    sqlite3_extended_result_codes(d->h, 1);
    /* DESIGN.md §8.  secure_delete: a scrubbed code message's old text is
       zeroed in the file, not left in the page's free space (Debian builds
       SQLite with it on by default; other builds do not). */
    sqlite3_busy_timeout(d->h, 5000);
    if ((!p->readonly && sq_exec(&d->base, "PRAGMA journal_mode=WAL") < 0) ||
        sq_exec(&d->base, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                          "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON") < 0) {
        log_warnx("store: %s: %s", p->path, sqlite3_errmsg(d->h));
        goto fail;
    }
    *out = &d->base;
    return 0;
fail:
    sq_close(&d->base);
    return -KP_ERR_DB;
}

static const char *sq_errmsg(struct db *d)
{
    return sqlite3_errmsg(SQ(d)->h);
}

/* Numbered parameters (?N) must be 1..N without a gap; bare ? cannot have one. */
static int sq_params_ok(sqlite3_stmt *s)
{
    int n = sqlite3_bind_parameter_count(s), named = 0;

    for (int i = 1; i <= n; i++)
        named += sqlite3_bind_parameter_name(s, i) != NULL;
    return named == 0 || named == n;
}

static int sq_prepare(struct db *d, const char *sql, struct db_stmt **out)
{
    struct db_sqlite_stmt *q;
    sqlite3_stmt *s;
    int rc;

    *out = NULL;
    rc = sqlite3_prepare_v3(SQ(d)->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK)
        return -KP_ERR_DB;
    if (!sq_params_ok(s)) {
        log_warnx("store: a statement's parameters leave a gap: %.60s", sql);
        sqlite3_finalize(s);
        return -KP_ERR_DB;
    }
    q = kp_calloc(1, sizeof(*q));
    q->base.ops = &db_sqlite_ops;
    q->s = s;
    q->db = SQ(d);
    *out = &q->base;
    return 0;
}

static void sq_finalize(struct db_stmt *s)
{
    sqlite3_finalize(SQS(s)->s);
    free(s);
}

static void sq_reset(struct db_stmt *s)
{
    struct db_sqlite_stmt *q = SQS(s);

    if (!q->dirty)
        return;
    sqlite3_reset(q->s);
    sqlite3_clear_bindings(q->s);
    q->dirty = q->bad_bind = 0;
}

/* After a bind: remember a parameter the statement does not have. */
static void sq_bound(struct db_sqlite_stmt *q, int i, int rc)
{
    q->dirty = 1;
    if (rc != SQLITE_OK && q->bad_bind == 0)
        q->bad_bind = i;
}

static void sq_bind_int64(struct db_stmt *s, int i, int64_t v)
{
    sq_bound(SQS(s), i, sqlite3_bind_int64(SQS(s)->s, i, v));
}

static void sq_bind_null(struct db_stmt *s, int i)
{
    sq_bound(SQS(s), i, sqlite3_bind_null(SQS(s)->s, i));
}

static void sq_bind_text(struct db_stmt *s, int i, const char *v)
{
    if (v == NULL)
        sq_bind_null(s, i);
    else
        sq_bound(SQS(s), i, sqlite3_bind_text(SQS(s)->s, i, v, -1, SQLITE_STATIC));
}

static void sq_bind_textn(struct db_stmt *s, int i, const char *v, size_t n)
{
    if (v == NULL)
        sq_bind_null(s, i);
    else
        sq_bound(SQS(s), i, sqlite3_bind_text(SQS(s)->s, i, v, (int)n, SQLITE_STATIC));
}

static void sq_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
    sq_bound(SQS(s), i, sqlite3_bind_blob(SQS(s)->s, i, v, (int)n, SQLITE_STATIC));
}

static int sq_step(struct db_stmt *s)
{
    struct db_sqlite_stmt *q = SQS(s);
    int rc;

    q->dirty = 1;
    if (q->bad_bind) {
        log_warnx("store: bind to parameter %d, which the statement lacks: %.60s", q->bad_bind,
                  sqlite3_sql(q->s));
        return -KP_ERR_DB;
    }
    rc = sqlite3_step(q->s);
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    return sq_err(rc);
}

static int sq_column_count(struct db_stmt *s)
{
    return sqlite3_column_count(SQS(s)->s);
}

static int sq_col_is_null(struct db_stmt *s, int i)
{
    return sqlite3_column_type(SQS(s)->s, i) == SQLITE_NULL;
}

static int64_t sq_col_int64(struct db_stmt *s, int i)
{
    return sqlite3_column_int64(SQS(s)->s, i);
}

static const char *sq_col_text(struct db_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(SQS(s)->s, i);
}

static const void *sq_col_blob(struct db_stmt *s, int i)
{
    return sqlite3_column_blob(SQS(s)->s, i);
}

static size_t sq_col_bytes(struct db_stmt *s, int i)
{
    return (size_t)sqlite3_column_bytes(SQS(s)->s, i);
}

static int64_t sq_changes(struct db *d)
{
    return sqlite3_changes(SQ(d)->h);
}

const struct db_ops db_sqlite_ops = {
    .kind = DB_SQLITE,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_textn = sq_bind_textn,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .column_count = sq_column_count,
    .col_is_null = sq_col_is_null,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .col_bytes = sq_col_bytes,
    .changes = sq_changes,
};

sqlite3 *db_sqlite_handle(struct db *d)
{
    return d != NULL && d->ops == &db_sqlite_ops ? SQ(d)->h : NULL;
}

int db_sqlite_bulk(struct db *d)
{
    /* 256 MiB of page cache at most (allocated as used): the CNIC index
       takes inserts in random order, which a small cache turns into I/O. */
    return sq_exec(d, "PRAGMA cache_size = -262144") < 0 ? -KP_ERR_DB : 0;
}

int db_sqlite_integrity(struct db *d, struct kp_buf *out)
{
    sqlite3_stmt *s;
    int ok = 1;

    if (sqlite3_prepare_v2(SQ(d)->h, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
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
