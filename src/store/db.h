/* SPDX-License-Identifier: ISC */
/*
 * The store's backend seam (private to src/store/).  Everything above it
 * in src/store/ -- the statement cache, transactions, the row readers and
 * writers of each table -- speaks only this, never sqlite3_* or PQ*:
 * a connection, statements prepared once from static SQL, parameters
 * bound by 1-based position, rows stepped one by one, columns read by
 * 0-based index.  Backends: db_sqlite.c (SQLite, today's behaviour) and
 * db_pg.c (PostgreSQL 15 through libpq).  The model is OpenSMTPD's
 * queue_backend: the backend stores and loads rows, the rules live above.
 *
 * SQL is written once, in the dialect both accept:
 *   - parameters as ?N (1-based) or bare ? (numbered left to right);
 *     the PostgreSQL backend rewrites them to $N at prepare time, outside
 *     quoted strings;
 *   - upserts as INSERT ... ON CONFLICT (cols) DO UPDATE SET c = excluded.c
 *     or DO NOTHING (never INSERT OR REPLACE / INSERT OR IGNORE);
 *   - new ids with RETURNING id (never last_insert_rowid());
 *   - no SQLite-only functions (ifnull -> coalesce, max(a,b) -> a CASE,
 *     strftime -> a time bound from C, LIKE's case rule made explicit with
 *     lower()), no PostgreSQL-only ones either;
 *   - integers are 64-bit (the PostgreSQL schema says BIGINT), blobs are
 *     BLOB / BYTEA, booleans are integers 0/1.
 * Where a statement cannot be common, the caller picks by db_kind().
 *
 * Lifetimes: a text or blob bound is read when the statement is stepped
 * (or, on PostgreSQL, sent), so it must live until db_step() returns;
 * a column's text or blob is valid until the next db_step() or
 * db_reset() of that statement.
 */
#ifndef KPASS_STORE_DB_H
#define KPASS_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_kind {
    DB_SQLITE = 1,
    DB_POSTGRESQL = 2,
};

/* db_step() results; errors are negative -KP_ERR_* codes. */
enum {
    DB_DONE = 0, /* no (more) rows */
    DB_ROW = 1,  /* a row is ready to read */
};

struct db;      /* a connection */
struct db_stmt; /* a prepared statement of one connection */

struct db_params {
    enum db_kind kind;
    const char *path;     /* DB_SQLITE: the file */
    const char *dsn;      /* DB_POSTGRESQL: a libpq connection string (multi-host allowed) */
    const char *passfile; /* DB_POSTGRESQL: the file holding the password, or NULL */
    int readonly;         /* open for reading only */
    int create;           /* DB_SQLITE: create the file if missing (0600) */
    int exclusive;        /* DB_POSTGRESQL: hold the daemons' advisory lock */
    int shared;           /* ... in shared mode: several nodes ([store] nodes) */
};

/* Open a connection.  0, -KP_ERR_NOTFOUND (no such file), -KP_ERR_DB
   (with the reason logged, never the password), -KP_ERR_CLOSED
   (PostgreSQL not reachable). */
int db_open(const struct db_params *p, struct db **out);
/* Finalize every statement and close; NULL is a no-op. */
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
/* The last error's text, for logs (never holds bound values). */
const char *db_errmsg(struct db *db);

/* Run a fixed list of statements without parameters (DDL, BEGIN, COMMIT).
   0, -KP_ERR_DB, -KP_ERR_BUSY (SQLite: locked; PostgreSQL: serialization
   failure), or -KP_ERR_CLOSED (connection lost). */
int db_exec(struct db *db, const char *sql);

/* Prepare sql (a static string: the caller caches the statement by its
   address).  0 or -KP_ERR_DB / -KP_ERR_CLOSED. */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
void db_finalize(struct db_stmt *s);
/* Forget any rows and every binding, ready to bind and step again. */
void db_reset(struct db_stmt *s);

void db_bind_int64(struct db_stmt *s, int i, int64_t v);
/* v NULL binds NULL. */
void db_bind_text(struct db_stmt *s, int i, const char *v);
/* Text of n bytes, not NUL-terminated. */
void db_bind_textn(struct db_stmt *s, int i, const char *v, size_t n);
void db_bind_blob(struct db_stmt *s, int i, const void *v, size_t n);
void db_bind_null(struct db_stmt *s, int i);

/* Run or advance: DB_ROW, DB_DONE, -KP_ERR_EXISTS (a unique or other
   constraint refused the change), -KP_ERR_BUSY, -KP_ERR_CLOSED, or
   -KP_ERR_DB. */
int db_step(struct db_stmt *s);

int db_column_count(struct db_stmt *s);
int db_col_is_null(struct db_stmt *s, int i);
int64_t db_col_int64(struct db_stmt *s, int i);
/* NULL when the column is NULL. */
const char *db_col_text(struct db_stmt *s, int i);
const void *db_col_blob(struct db_stmt *s, int i);
/* Bytes of the text or blob in column i. */
size_t db_col_bytes(struct db_stmt *s, int i);

/* Rows changed by the last INSERT, UPDATE or DELETE stepped to its end. */
int64_t db_changes(struct db *db);

#endif
