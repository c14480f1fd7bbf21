/* SPDX-License-Identifier: ISC */
/*
 * The change counter (issue 8 item 3; DESIGN.md §8 "Cluster", §11): one row
 * that every operator change a running kpassd must follow bumps in the
 * same transaction as the change (a key retired or rotated, a credential
 * revoked, a desk revoked, a staff member locked, removed or given a new
 * PIN, a citizen blocked).  kpassd reads it on its 100 ms tick with one
 * prepared SELECT, reloads what it caches (the key ring, when keys_version
 * moved), and writes back the version it has applied; the CLI waits a
 * bounded time for that before it says a change is in force.
 *
 * Desks, staff, credentials and citizens are read from the database at
 * every request, so for them the daemon has nothing to reload: its
 * confirmation only says that it is running and has passed the change.
 */
#ifndef KPASS_STORE_CHANGE_H
#define KPASS_STORE_CHANGE_H

#include <stdint.h>
#include <sys/types.h>

#include "kpass/store/store.h"

enum store_change_kind {
    STORE_CHANGE_STATE = 0, /* rows the daemon reads at every request */
    STORE_CHANGE_KEYS,      /* the key folder: the daemon reloads its key ring */
};

struct store_change {
    int64_t version;      /* changes made */
    int64_t keys_version; /* the last change of kind STORE_CHANGE_KEYS */
    int64_t applied;      /* the version the running daemon has taken in */
    int64_t applied_at;
    pid_t daemon_pid; /* the daemon that follows the counter; 0: none */
};

/*
 * Count one change of kind.  Inside the caller's transaction (so that
 * the change and its count commit together) or on its own.  Returns the
 * new version (> 0) or -KP_ERR_DB.
 */
int64_t store_change_bump(struct store *st, enum store_change_kind kind);

/* Read the row.  0 or -KP_ERR_DB. */
int store_change_get(struct store *st, struct store_change *out);

/*
 * The daemon pid has applied everything up to version, at now (applied
 * never goes back).  In group mode it joins the group transaction.
 * 0 or -KP_ERR_DB.
 */
int store_change_applied(struct store *st, int64_t version, int64_t now, pid_t pid);
/* The daemon stops: forget pid if it is the one recorded.  0 or -KP_ERR_DB. */
int store_change_detach(struct store *st, pid_t pid);

#endif
