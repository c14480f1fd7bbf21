/* SPDX-License-Identifier: ISC */
/*
 * The store: opening (a SQLite file with the pragmas DESIGN.md §8
 * requires: WAL, synchronous=NORMAL, foreign keys, busy timeout), numbered
 * migrations applied at open, and transactions.  SQL lives only in
 * src/store/, behind functions named for what they do (store_partner.h,
 * ...), over a backend seam (src/store/db.h), so that another backend can
 * replace SQLite without touching callers.
 *
 * Two kinds of transaction:
 *   - the group transaction: hot-path writes (dialog state) call
 *     store_batch(); the daemon calls store_flush() once per event-loop
 *     pass, committing everything of that pass at once;
 *   - explicit transactions (store_tx_begin/commit/rollback); store_tx_begin()
 *     first commits the group transaction, so the two never nest.
 *
 * Atomic changes (store_scope_begin/end: a code issued with its SMS and
 * audit row, a credential, a staff change) are a savepoint inside whatever
 * transaction is open, else a transaction of their own.  In group mode
 * (the daemon) they open the group transaction and join it: the daemon
 * commits once per event-loop pass, before any reply queued in that pass
 * is written, so nothing is acknowledged before it is on disk, and a busy
 * pass pays for one commit instead of one per change.  In bulk mode
 * (store_bulk: an import of many rows in one transaction) a change inside
 * that transaction gets no savepoint at all, and the caller rolls the
 * whole transaction back on any error.
 */
#ifndef KPASS_STORE_H
#define KPASS_STORE_H

#include <stdint.h>

#include "kpass/core/buf.h"

struct store;

enum store_flags {
    STORE_CREATE = 1 << 0,   /* create the file if missing */
    STORE_READONLY = 1 << 1, /* no migrations, no writes */
    STORE_CURRENT = 1 << 2,  /* no migrations: an older schema is refused (kpass migrate) */
    /* PostgreSQL: hold the database's one-daemon lock (a session advisory
       lock, taken again on every reconnect); -KP_ERR_BUSY when another
       connection holds it.  SQLite: kpassd's lock file does this. */
    STORE_EXCLUSIVE = 1 << 3,
};

/*
 * Open path (migrating it to the current schema unless STORE_CURRENT).
 * A new file is created 0600 (its -wal and -shm take the same mode); an
 * existing one that group or others may read is opened with a warning.
 * 0, -KP_ERR_DB, -KP_ERR_NOTFOUND, or -KP_ERR_STATE (STORE_CURRENT and an
 * older schema: run `kpass migrate`).
 */
int store_open(const char *path, unsigned flags, struct store **out);
/* Commit any group transaction and close; NULL is a no-op. */
void store_close(struct store *st);
/* The schema version the file is at, and the one this build writes. */
int store_schema_version(struct store *st);
int store_schema_latest(void);
/* The database file (and its folder, for the WAL) can be written by this
   process: 0, or -KP_ERR_IO.  No lock taken, so it never waits. */
int store_writable(const struct store *st);
/* Apply the migrations the file has not had (kpass migrate).  0 or -KP_ERR_DB. */
int store_migrate_now(struct store *st);
/* SQLite's PRAGMA integrity_check; 0 when "ok", else -KP_ERR_DB with the report in
   out; -KP_ERR_UNSUPPORTED on another backend (its server checks its own pages). */
int store_integrity_check(struct store *st, struct kp_buf *out);

/* Open the group transaction if none is open.  0 or -KP_ERR_DB. */
int store_batch(struct store *st);
/* Commit the group transaction if one is open.  0 or -KP_ERR_DB. */
int store_flush(struct store *st);
/* Commit the group transaction, then BEGIN IMMEDIATE.  0 or -KP_ERR_DB. */
int store_tx_begin(struct store *st);
int store_tx_commit(struct store *st);
void store_tx_rollback(struct store *st);

enum store_scope {
    STORE_SCOPE_OWN,       /* no transaction was open: ours, committed at the end */
    STORE_SCOPE_SAVEPOINT, /* a savepoint in the caller's or the group transaction */
    STORE_SCOPE_BULK,      /* bulk mode inside the caller's transaction: no savepoint */
};

/* Atomic changes join the group transaction (1) or commit on their own (0, the default). */
void store_group_mode(struct store *st, int on);
/*
 * Bulk mode for an import of many rows in ONE explicit transaction (call
 * once, before or just after store_tx_begin; it ends with that
 * transaction's commit or rollback): a larger page cache, and no savepoint around each change
 * (they cost about a tenth of an import's time).  In bulk mode a change
 * that fails may leave part of itself written inside the transaction, so
 * the caller must roll the whole transaction back when any change fails,
 * as `kpass import citizens` does.  0 or -KP_ERR_DB.
 */
int store_bulk(struct store *st);
/* Begin an atomic change (STORE_SCOPE_BULK when in bulk mode inside a
   transaction: then undoing is the caller's).  0 or -KP_ERR_DB. */
int store_scope_begin(struct store *st, enum store_scope *scope);
/* End it: keep the change (keep != 0) or undo it (not in bulk mode).  0,
   or -KP_ERR_DB when keeping failed to commit (then nothing of it remains). */
int store_scope_end(struct store *st, enum store_scope scope, int keep);

/* Commit latency (every COMMIT this connection ran): a histogram for /metrics. */
#define STORE_COMMIT_BUCKETS 10
extern const unsigned store_commit_bounds_us[STORE_COMMIT_BUCKETS];
struct store_commit_stats {
    uint64_t le[STORE_COMMIT_BUCKETS]; /* commits that took <= each bound */
    uint64_t count;
    uint64_t us_sum;
    uint64_t failed;
    /* SQL statements run (prepared or not), for benchmarks: never on
       /metrics, where it would tell a registered number's code request
       from an unregistered one's (tests/security/check_sec_codes.c). */
    uint64_t statements;
};
const struct store_commit_stats *store_commit_stats(const struct store *st);
/* fn(sql, runs) for each prepared statement run so far (unordered): which
   statements make up the count above, for benchmarks; kpassd logs them when
   it stops (doc/PERFORMANCE.md).  The rest of the count is sqlite3_exec's. */
void store_stmt_each(const struct store *st, void (*fn)(const char *sql, uint64_t runs, void *arg),
                     void *arg);

/*
 * Have fn(arg) run inside the group transaction just before it commits
 * (store_flush, and store_tx_begin's flush of it): the USSD service writes
 * the pass's dialogs there in a few multi-row statements.  A negative
 * return rolls the transaction back and fails the flush, as a failed
 * COMMIT does.  One hook per store; fn NULL removes it.
 */
void store_before_commit(struct store *st, int (*fn)(void *arg), void *arg);

/* The last SQLite error text (for logs; never contains bound values). */
const char *store_errmsg(struct store *st);

#endif
