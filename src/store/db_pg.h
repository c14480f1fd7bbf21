/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/: what the PostgreSQL backend (db_pg.c) offers
 * beside its db_ops table (db_backend.h): the placeholder rewrite and a
 * round-trip counter, for tests and benchmarks.
 */
#ifndef KPASS_STORE_DB_PG_H
#define KPASS_STORE_DB_PG_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/*
 * Rewrite SQLite's parameters to PostgreSQL's: ?N -> $N, and a bare ? ->
 * $(the largest number so far + 1), SQLite's own numbering; nothing inside
 * '...' strings, "..." names, -- and C comments is touched.
 * "SELECT ?2, '?', ?" -> "SELECT $2, '?', $3", *nparams 3.
 * 0 and *out (malloc'd), or -KP_ERR_PARSE (?0, a number over 32766, an
 * unterminated string or comment).
 */
int db_pg_rewrite(const char *sql, char **out, int *nparams);

/* Round trips to the server since the connection opened (tests,
   benchmarks); 0 for a connection of another backend. */
uint64_t db_pg_round_trips(struct db *db);

/* Calls answered -KP_ERR_CLOSED (the connection lost, or not yet back)
   since the connection opened: the daemon compares it across a loop pass
   to know that something of the pass failed for want of the database
   (kpassd.8, "When the database is away").  0 on another backend. */
uint64_t db_pg_losses(struct db *db);
/* 1 while the connection is lost and not yet re-established; 0 on
   another backend. */
int db_pg_away(struct db *db);

#endif
