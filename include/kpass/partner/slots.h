/* SPDX-License-Identifier: ISC */
/*
 * Client-mode binds shared by the nodes of a cluster (issue 12,
 * doc/cluster.md 5.4): the link layer's slot gate and release callbacks
 * (smpp_hub_set_slot_gate) over the store's slot locks (store/slot.h).
 * arg is the node's struct store (store_shared()).
 */
#ifndef KPASS_PARTNER_SLOTS_H
#define KPASS_PARTNER_SLOTS_H

#include "kpass/smpp/smpp.h"
#include "kpass/store/store.h"

/* smpp_slot_gate_cb: keep the slots still locked, give back what exceeds
   this node's share (binds over the live nodes, rounded up; the highest
   slots first), take free ones up to it.  The database away: no change. */
void partner_slots_gate(void *arg, const struct smpp_partner_conf *c, unsigned n, int *held);
/* smpp_slot_release_cb: unlock the slot (its link is closed). */
void partner_slots_release(void *arg, const struct smpp_partner_conf *c, unsigned slot);

#endif
