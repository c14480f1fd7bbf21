/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/: the store structure, the prepared-statement cache
 * and the step and row helpers, over the backend seam (db.h).  Every
 * statement is prepared once from a static SQL string and cached by that
 * string's address; no SQL is ever built from input.
 */
#ifndef KPASS_STORE_INTERNAL_H
#define KPASS_STORE_INTERNAL_H

#include <stdint.h>

#include "db.h"
#include "kpass/store/store.h"

#define STORE_STMT_SLOTS 256 /* open addressing, power of two */

struct store_stmt_slot {
    const char *sql;
    struct db_stmt *stmt;
    uint64_t runs; /* store_stmt() calls: store_stmt_each() */
};

struct store {
    struct db *db;
    char *path; /* the SQLite file; NULL on another backend */
    int readonly;
    int shared;              /* [store] nodes = several: other daemons write too */
    int in_batch;            /* the group transaction is open */
    int in_tx;               /* an explicit transaction is open */
    int group;               /* store_group_mode(): atomic changes join the group transaction */
    const void *audit_chain; /* the audit layer's, lent (store_audit_set_chain) */
    int bulk;                /* store_bulk(): no savepoint per change */
    struct store_stmt_slot stmts[STORE_STMT_SLOTS];
    struct store_commit_stats commits;
    /* store_before_commit(): run just before the group transaction commits. */
    int (*before_commit)(void *arg);
    void *before_commit_arg;
};

/* Open the store on a connection of any backend (store_open() is this
   for a SQLite file).  flags: STORE_*. */
int store_open_params(const struct db_params *p, unsigned flags, struct store **out);

/* The cached statement for sql (a static string), reset and unbound; NULL on error. */
struct db_stmt *store_stmt(struct store *st, const char *sql);
/* Step a statement expected to finish (INSERT/UPDATE/DELETE): 0 or -KP_ERR_DB;
   a constraint violation is -KP_ERR_EXISTS. */
int store_step_done(struct store *st, struct db_stmt *s);
/* Step an INSERT ... RETURNING id to its end: 0 with *id set, or as
   store_step_done(). */
int store_step_id(struct store *st, struct db_stmt *s, int64_t *id);
/* A failed step's code for the store's callers: -KP_ERR_EXISTS as it is,
   anything else -KP_ERR_DB (logged). */
int store_step_fail(struct store *st, int rc);
/* Step s (NULL: a failed prepare) to its end, each row read by row(s, slot)
   into a grown array of size-byte slots (*out, malloc'd; NULL when empty or
   on error).  The count, or -KP_ERR_DB. */
int store_rows_all(struct db_stmt *s, size_t size, void (*row)(struct db_stmt *, void *),
                   void **out);
/* Run a fixed statement list (no parameters), e.g. a migration. */
int store_exec(struct store *st, const char *sql);
/* Copy column i (text) into dst of size; "" when NULL. */
void store_col_text(struct db_stmt *s, int i, char *dst, size_t size);

/* Is an explicit or group transaction open? */
int store_in_tx(const struct store *st);

/* schema.c */
struct store_migration {
    int version;
    const char *sql;
};
const struct store_migration *store_migrations(int *count);
/* schema_pg.c: the same numbers for PostgreSQL, from 19 on (19 is all of SQLite's 1..19). */
const struct store_migration *store_migrations_pg(int *count);
/* The migrations of a backend's schema; NULL (and *count 0) for a backend
   whose schema this build does not have. */
const struct store_migration *store_migrations_kind(enum db_kind kind, int *count);

#endif
