/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/: the PostgreSQL backend (db_pg.c), the db.h calls
 * over its own connection and statement types.  The backend table (db.c)
 * points at these; tests reach the placeholder rewrite directly.
 */
#ifndef KPASS_STORE_DB_PG_H
#define KPASS_STORE_DB_PG_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct pg_db;
struct pg_stmt;

int db_pg_open(const struct db_params *p, struct pg_db **out);
void db_pg_close(struct pg_db *db);
const char *db_pg_errmsg(struct pg_db *db);
int db_pg_exec(struct pg_db *db, const char *sql);
int db_pg_prepare(struct pg_db *db, const char *sql, struct pg_stmt **out);
void db_pg_finalize(struct pg_stmt *s);
void db_pg_reset(struct pg_stmt *s);
void db_pg_bind_int64(struct pg_stmt *s, int i, int64_t v);
void db_pg_bind_text(struct pg_stmt *s, int i, const char *v);
void db_pg_bind_textn(struct pg_stmt *s, int i, const char *v, size_t n);
void db_pg_bind_blob(struct pg_stmt *s, int i, const void *v, size_t n);
void db_pg_bind_null(struct pg_stmt *s, int i);
int db_pg_step(struct pg_stmt *s);
int db_pg_column_count(struct pg_stmt *s);
int db_pg_col_is_null(struct pg_stmt *s, int i);
int64_t db_pg_col_int64(struct pg_stmt *s, int i);
const char *db_pg_col_text(struct pg_stmt *s, int i);
const void *db_pg_col_blob(struct pg_stmt *s, int i);
size_t db_pg_col_bytes(struct pg_stmt *s, int i);
int64_t db_pg_changes(struct pg_db *db);

/*
 * Rewrite SQLite's parameters to PostgreSQL's: ?N -> $N, and a bare ? ->
 * $(the largest number so far + 1), SQLite's own numbering; nothing inside
 * '...' strings, "..." names, -- and C comments is touched.
 * "SELECT ?2, '?', ?" -> "SELECT $2, '?', $3", *nparams 3.
 * 0 and *out (malloc'd), or -KP_ERR_PARSE (?0, a number over 32766, an
 * unterminated string or comment).
 */
int db_pg_rewrite(const char *sql, char **out, int *nparams);

/* Round trips to the server since the connection opened (tests, benchmarks). */
uint64_t db_pg_round_trips(struct pg_db *db);

#endif
