/* SPDX-License-Identifier: ISC */
/*
 * WAL checkpoints off the event loop.  SQLite's automatic checkpoint runs
 * inside the COMMIT that crosses its threshold and fsyncs the database
 * file, stalling the daemon's loop for milliseconds (measured: 3-4 ms
 * each, a few times a second under USSD load, which is the latency p99).
 * Here the loop's connection only notices the WAL's size (sqlite3_wal_hook,
 * after each commit) and hands a PASSIVE checkpoint to a worker thread
 * that has its own connection; PASSIVE never blocks the writer
 * (sqlite.org/c3ref/wal_checkpoint_v2.html).  Should the thread fall far
 * behind, the loop checkpoints itself, so the WAL stays bounded.
 *
 * The thread's work is bounded too: a checkpoint copies each page once
 * however often the WAL holds it, and under USSD load the same few pages
 * (the dialogs' B-tree leaves) are in nearly every commit, so a checkpoint
 * starts at most every STORE_CKPT_INTERVAL_MS unless the WAL has grown to
 * four times its threshold: fewer, fuller checkpoints, the same bound on
 * the WAL (issue 14 measured one every 100 ms or less before).
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "kpass/core/clock.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/checkpoint.h"
#include "kpass/core/worker.h"
#include "db_sqlite.h"
#include "store_internal.h"

struct store_checkpointer {
    struct store *st;  /* the loop's connection (borrowed) */
    struct store *own; /* the thread's connection */
    struct kp_worker *worker;
    int pages;         /* hand over a checkpoint at this many WAL frames */
    int busy;          /* a checkpoint is queued or running */
    int rc, log, done; /* the last checkpoint's result, frames and frames copied */
    uint64_t runs;
    uint64_t started_ms; /* when the last checkpoint was handed over */
};

#define STORE_CKPT_INTERVAL_MS 250

static void ckpt_run(void *arg)
{
    struct store_checkpointer *c = arg;

    c->rc = sqlite3_wal_checkpoint_v2(db_sqlite_handle(c->own->db), NULL, SQLITE_CHECKPOINT_PASSIVE,
                                      &c->log, &c->done);
}

static void ckpt_done(void *arg)
{
    struct store_checkpointer *c = arg;

    c->busy = 0;
    c->runs++;
    if (c->rc != SQLITE_OK && c->rc != SQLITE_BUSY)
        log_warnx("store: checkpoint failed: %s", sqlite3_errstr(c->rc));
}

/* Called by SQLite after each commit on the loop's connection. */
static int ckpt_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct store_checkpointer *c = arg;
    uint64_t now;

    if (frames < c->pages)
        return SQLITE_OK;
    now = kp_clock_ms();
    if (!c->busy && (now - c->started_ms >= STORE_CKPT_INTERVAL_MS || frames >= c->pages * 4)) {
        c->busy = 1;
        c->started_ms = now;
        kp_worker_submit(c->worker, ckpt_run, ckpt_done, c);
    } else if (c->busy && frames >= c->pages * 64) {
        /* The thread is far behind (a reader holding the WAL, a slow disk). */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    return SQLITE_OK;
}

struct store_checkpointer *store_checkpointer_new(struct store *st, struct event_base *base,
                                                  unsigned pages)
{
    struct store_checkpointer *c;
    struct store *own;

    /* A WAL to checkpoint is SQLite's; another backend has none. */
    if (st->readonly || db_kind(st->db) != DB_SQLITE || store_open(st->path, 0, &own) < 0)
        return NULL;
    c = kp_calloc(1, sizeof(*c));
    c->st = st;
    c->own = own;
    c->pages = pages > 0 && pages < 1000000 ? (int)pages : 1000;
    c->worker = kp_worker_new(base);
    sqlite3_wal_hook(db_sqlite_handle(st->db), ckpt_wal_hook, c);
    return c;
}

uint64_t store_checkpointer_runs(const struct store_checkpointer *c)
{
    return c ? c->runs : 0;
}

void store_checkpointer_free(struct store_checkpointer *c)
{
    if (c == NULL)
        return;
    /* Back to SQLite's own checkpoints on the loop's connection. */
    sqlite3_wal_autocheckpoint(db_sqlite_handle(c->st->db), 1000);
    kp_worker_free(c->worker);
    store_close(c->own);
    free(c);
}
