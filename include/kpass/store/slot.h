/* SPDX-License-Identifier: ISC */
/*
 * Client-mode bind slots shared by the nodes of a cluster (store_shared()):
 * one PostgreSQL session advisory lock per (partner, slot), so that the
 * binds of a partner over the whole cluster never exceed its `binds`.
 * The locks belong to the node's connection: they vanish with a dead node,
 * and with a failover (the new primary holds none), which is why holding
 * is checked again, not remembered.  -KP_ERR_INVAL on a lone node.
 */
#ifndef KPASS_STORE_SLOT_H
#define KPASS_STORE_SLOT_H

#include <stdint.h>

#include "kpass/store/store.h"

/* Hold slot of partner_id: 1 held (already, or taken now), 0 another
   node holds it, < 0 on error (the database is away: not held). */
int store_slot_hold(struct store *st, int64_t partner_id, unsigned slot);
/* Give the slot back (its link was unbound).  0 or < 0. */
int store_slot_release(struct store *st, int64_t partner_id, unsigned slot);
/* The nodes running now (holding the daemons' lock), or < 0. */
int store_nodes_live(struct store *st);

#endif
