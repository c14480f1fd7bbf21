/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/: the store structure, the prepared-statement cache
 * and small binding helpers.  Every statement is prepared once from a
 * static SQL string and cached by that string's address; no SQL is ever
 * built from input.
 */
#ifndef KPASS_STORE_INTERNAL_H
#define KPASS_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "kpass/store/store.h"

#define STORE_STMT_SLOTS 256 /* open addressing, power of two */

struct store_stmt_slot {
    const char *sql;
    sqlite3_stmt *stmt;
    uint64_t runs; /* store_stmt() calls: store_stmt_each() */
};

struct store {
    sqlite3 *db;
    char *path;
    int readonly;
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

/* The cached statement for sql (a static string), reset and unbound; NULL on error. */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);
/* Step a statement expected to finish (INSERT/UPDATE/DELETE): 0 or -KP_ERR_DB;
   a constraint violation is -KP_ERR_EXISTS. */
int store_step_done(struct store *st, sqlite3_stmt *s);
/* Step s (NULL: a failed prepare) to its end, each row read by row(s, slot)
   into a grown array of size-byte slots (*out, malloc'd; NULL when empty or
   on error).  The count, or -KP_ERR_DB. */
int store_rows_all(sqlite3_stmt *s, size_t size, void (*row)(sqlite3_stmt *, void *), void **out);
/* Run a fixed statement list (no parameters), e.g. a migration. */
int store_exec(struct store *st, const char *sql);
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
void store_bind_blob(sqlite3_stmt *s, int i, const void *v, size_t n);
/* Copy column i (text) into dst of size; "" when NULL. */
void store_col_text(sqlite3_stmt *s, int i, char *dst, size_t size);

/* Is an explicit or group transaction open? */
int store_in_tx(const struct store *st);

/* schema.c */
struct store_migration {
    int version;
    const char *sql;
};
const struct store_migration *store_migrations(int *count);

#endif
