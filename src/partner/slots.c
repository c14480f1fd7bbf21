/* SPDX-License-Identifier: ISC */
/*
 * The client-mode slots of a cluster node (doc/cluster.md 5.4): the link
 * layer's slot gate (smpp_hub_set_slot_gate) over the store's slot locks
 * (store/slot.h).  A node keeps the slots whose lock it still holds,
 * gives back what exceeds its share (the partner's binds over the nodes
 * alive, rounded up), and takes free slots up to its share.
 */
#include "kpass/core/log.h"
#include "kpass/partner/slots.h"
#include "kpass/store/slot.h"

void partner_slots_gate(void *arg, const struct smpp_partner_conf *c, unsigned n, int *held)
{
    struct store *st = arg;
    int live = store_nodes_live(st);
    unsigned share, count = 0;

    if (live < 0) {
        /* The database is away: nobody can take a slot meanwhile, and the
           links stay bound (doc/cluster.md 5.4).  Asked again next time. */
        for (unsigned i = 0; i < n; i++)
            held[i] = held[i] == 1;
        return;
    }
    share = (n + (unsigned)(live > 0 ? live : 1) - 1) / (unsigned)(live > 0 ? live : 1);
    /* Still ours?  After a failover the new primary holds no lock: it is
       taken again, or found another node's (then unbound). */
    for (unsigned i = 0; i < n; i++) {
        if (held[i] != 1)
            continue;
        int rc = store_slot_hold(st, c->id, i);
        if (rc == 0) {
            log_warnx("partner: %s bind %u: another node holds this slot now", c->system_id, i);
            held[i] = 0;
        } else {
            count++; /* rc < 0: cannot tell; kept until the database answers */
        }
    }
    for (unsigned i = n; i-- > 0 && count > share;)
        if (held[i] == 1) {
            held[i] = 0;
            count--;
        }
    for (unsigned i = 0; i < n && count < share; i++)
        if (held[i] == 0 && store_slot_hold(st, c->id, i) == 1) {
            held[i] = 1;
            count++;
        }
    for (unsigned i = 0; i < n; i++)
        if (held[i] < 0)
            held[i] = 0;
}

void partner_slots_release(void *arg, const struct smpp_partner_conf *c, unsigned slot)
{
    if (store_slot_release(arg, c->id, slot) < 0)
        log_warnx("partner: %s bind %u: the slot could not be given back (the database "
                  "frees it with this node's connection)",
                  c->system_id, slot);
}
