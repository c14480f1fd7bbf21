/* SPDX-License-Identifier: ISC */
/*
 * Security limits that the nodes of a cluster share (issue 12): counted in
 * the database in one statement each, so that an attacker who spreads
 * attempts over several nodes gets no more than from one.  Today: failed
 * SMPP binds per source address and minute (the one node keeps them in
 * memory, smpp/throttle.c).
 */
#ifndef KPASS_STORE_LIMITS_H
#define KPASS_STORE_LIMITS_H

#include <stdint.h>

#include "kpass/store/store.h"

/*
 * Take one attempt's place among addr's failed binds of the window that
 * is open at now_ms (a window lasts window_ms from its first attempt; a
 * new one opens after it): *count is the attempts counted in it with
 * this one, *window its start, for store_bind_failure_give.  0 or
 * -KP_ERR_DB.
 */
int store_bind_failure_take(struct store *st, const char *addr, int64_t now_ms, int64_t window_ms,
                            unsigned *count, int64_t *window);
/* Give the place back (the bind did not fail, or failed in a way that
   does not count), if window is still addr's.  0 or -KP_ERR_DB. */
int store_bind_failure_give(struct store *st, const char *addr, int64_t window);

#endif
