/* SPDX-License-Identifier: ISC */
/*
 * WAL checkpoints in a worker thread (see src/store/checkpoint.c), for the
 * daemon, whose loop must not wait on fsync.
 */
#ifndef KPASS_STORE_CHECKPOINT_H
#define KPASS_STORE_CHECKPOINT_H

#include <stdint.h>

struct event_base;
struct store;
struct store_checkpointer;

/* Take over st's checkpoints once its WAL holds pages frames (0: 1000).
   NULL when st is read-only, not on SQLite (no WAL to checkpoint), or a
   second connection cannot be opened (then SQLite's automatic checkpoints
   stay in place). */
struct store_checkpointer *store_checkpointer_new(struct store *st, struct event_base *base,
                                                  unsigned pages);
/* Checkpoints completed by the thread. */
uint64_t store_checkpointer_runs(const struct store_checkpointer *c);
/* Stop the thread, give checkpoints back to SQLite; NULL is a no-op.  Call
   before closing st. */
void store_checkpointer_free(struct store_checkpointer *c);

#endif
