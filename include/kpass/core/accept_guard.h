/* SPDX-License-Identifier: ISC */
/*
 * The accept guard: what a listener does when accept() fails because the
 * process or the system is out of descriptors (EMFILE, ENFILE) or memory.
 * Left alone, libevent calls accept() again at once and fails again: the
 * loop spins and the log fills.  The guard keeps one reserve descriptor;
 * on such a failure it frees it, accepts one pending connection and closes
 * it at once (shedding it, so the client learns at once instead of waiting
 * in the backlog), takes the reserve back, pauses its listeners for a
 * moment, and says so in the log once per interval with a count of the
 * connections shed.  Links already open keep being served meanwhile.
 * The SMPP and HTTP listeners each have one.
 */
#ifndef KPASS_ACCEPT_GUARD_H
#define KPASS_ACCEPT_GUARD_H

struct event_base;
struct evconnlistener;
struct kp_accept_guard;

#define KP_ACCEPT_GUARD_PAUSE_MS  200   /* listeners pause this long */
#define KP_ACCEPT_GUARD_NOTICE_MS 10000 /* at most one log line per this */

/* A guard named for the log ("smpp", "http"), with its reserve descriptor. */
struct kp_accept_guard *kp_accept_guard_new(struct event_base *base, const char *name);
/* Free it (its listeners are the caller's); NULL is a no-op. */
void kp_accept_guard_free(struct kp_accept_guard *g);
/* Watch lev: its accept errors are handled here (this sets lev's error
   callback).  Forget it with kp_accept_guard_remove before freeing lev. */
void kp_accept_guard_add(struct kp_accept_guard *g, struct evconnlistener *lev);
void kp_accept_guard_remove(struct kp_accept_guard *g, struct evconnlistener *lev);
/* Connections shed since start (metrics, tests). */
unsigned long kp_accept_guard_shed(const struct kp_accept_guard *g);

#endif
