/* SPDX-License-Identifier: ISC */
/*
 * Client mode: for each client-mode partner keep `binds` links bound to the
 * partner's SMSC or USSD gateway.  Each link has a slot; a slot without a
 * link reconnects after a capped exponential backoff with jitter (half the
 * delay fixed, half random, so that many links do not retry in step).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/fsm.h"
#include "smpp_internal.h"

static const uint32_t client_bind_cmd[] = {
    [SMPP_BIND_TX] = SMPP_BIND_TRANSMITTER,
    [SMPP_BIND_RX] = SMPP_BIND_RECEIVER,
    [SMPP_BIND_TRX] = SMPP_BIND_TRANSCEIVER,
};

static void client_schedule(struct smpp_client_slot *slot, int was_bound)
{
    struct smpp_hub *h = slot->partner->hub;
    unsigned min = h->set.reconnect_min_ms, max = h->set.reconnect_max_ms;
    unsigned delay;

    if (was_bound || slot->backoff_ms == 0)
        slot->backoff_ms = min;
    else
        slot->backoff_ms = slot->backoff_ms > max / 2 ? max : slot->backoff_ms * 2;
    delay = slot->backoff_ms / 2 + randombytes_uniform(slot->backoff_ms / 2 + 1);
    slot->next_attempt_ms = h->now_ms + delay;
    if (!slot->quiet)
        log_info("smpp: partner %s bind %u: reconnecting in %u ms", slot->partner->conf.system_id,
                 slot->index, delay);
}

int smpp_client_note_failure(struct smpp_client_slot *slot, const char *why, uint64_t now_ms,
                             unsigned *skipped)
{
    *skipped = 0;
    if (strncmp(slot->last_why, why, sizeof(slot->last_why) - 1) == 0 &&
        now_ms < slot->last_log_ms + SMPP_CLIENT_REPEAT_LOG_MS) {
        slot->repeats++;
        slot->quiet = 1;
        return 0;
    }
    if (strncmp(slot->last_why, why, sizeof(slot->last_why) - 1) == 0)
        *skipped = slot->repeats;
    snprintf(slot->last_why, sizeof(slot->last_why), "%s", why);
    slot->repeats = 0;
    slot->last_log_ms = now_ms;
    slot->quiet = 0;
    return 1;
}

/* A gated slot is given back (its link is gone): another node may take it. */
static void client_release(struct smpp_client_slot *slot)
{
    struct smpp_hub *h = slot->partner->hub;

    if (h->gate_release && (slot->held || slot->releasing))
        h->gate_release(h->gate_arg, &slot->partner->conf, slot->index);
    slot->held = 0;
    slot->releasing = 0;
}

void smpp_client_link_closed(struct smpp_client_slot *slot, int was_bound)
{
    slot->link = NULL;
    if (slot->releasing || (slot->partner->retired && slot->held))
        client_release(slot);
    if (!slot->partner->retired)
        client_schedule(slot, was_bound);
}

void smpp_hub_set_slot_gate(struct smpp_hub *h, smpp_slot_gate_cb gate,
                            smpp_slot_release_cb release, void *arg, unsigned period_ms)
{
    h->gate = gate;
    h->gate_release = release;
    h->gate_arg = arg;
    h->gate_period_ms = period_ms ? period_ms : 1000;
}

/* Ask the gate which slots this node may bind now; unbind the ones it
   may not any more (their release follows their close). */
static void client_gate(struct smpp_partner *p, uint64_t now_ms)
{
    struct smpp_hub *h = p->hub;
    int *held = kp_calloc(p->nslots, sizeof(*held));

    p->gate_next_ms = now_ms + h->gate_period_ms;
    for (unsigned i = 0; i < p->nslots; i++)
        held[i] = p->slots[i].releasing ? -1 : p->slots[i].held;
    h->gate(h->gate_arg, &p->conf, p->nslots, held);
    for (unsigned i = 0; i < p->nslots; i++) {
        struct smpp_client_slot *slot = &p->slots[i];
        if (slot->releasing)
            continue;
        if (held[i] == 1 && !slot->held) {
            log_info("smpp: partner %s bind %u: this node holds the slot", p->conf.system_id, i);
            slot->held = 1;
            slot->backoff_ms = 0;
            slot->next_attempt_ms = now_ms;
        } else if (held[i] != 1 && slot->held) {
            log_info("smpp: partner %s bind %u: this node gives the slot up", p->conf.system_id, i);
            slot->releasing = 1;
            if (slot->link)
                smpp_link_unbind(slot->link);
            else
                client_release(slot);
        }
    }
    free(held);
}

static void client_on_bind_resp(struct smpp_link *l, const struct smpp_pdu *resp, int err,
                                void *arg)
{
    struct smpp_client_slot *slot = arg;
    struct smpp_partner *p = slot->partner;
    struct smpp_hub *h = l->hub;

    if (l->state == SMPP_LINK_CLOSED)
        return;
    if (err < 0 || resp->command_id == SMPP_GENERIC_NACK || resp->command_status != 0) {
        char why[64];
        snprintf(why, sizeof(why), "bind refused: %s",
                 err < 0 ? kp_strerror(err) : smpp_status_name(resp->command_status));
        h->stats.binds_failed++;
        smpp_link_close(l, why);
        return;
    }
    smpp_link_attach_partner(l, p);
    smpp_link_enter_state(l, smpp_fsm_bound_state(resp->command_id));
    slot->backoff_ms = 0;
    slot->last_why[0] = '\0';
    slot->quiet = 0;
    h->stats.binds_ok++;
    log_info("smpp: link %u bound to %s (%s) at %s:%u, peer system_id '%s'", l->id,
             p->conf.system_id, smpp_link_state_name(l->state), p->conf.host, p->conf.port,
             resp->bind.system_id);
    if (h->ops.on_bound)
        h->ops.on_bound(h->ops.arg, l);
}

/* The TCP connection is up: send our bind (SMPP 3.4 §4.1). */
void smpp_client_connected(struct smpp_link *l)
{
    struct smpp_partner *p = l->slot->partner;
    struct smpp_pdu b;
    int one = 1;

    setsockopt(bufferevent_getfd(l->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    smpp_pdu_init(&b, client_bind_cmd[p->conf.bind_type], 0);
    smpp_strlcpy(b.bind.system_id, sizeof(b.bind.system_id), p->conf.system_id);
    smpp_strlcpy(b.bind.password, sizeof(b.bind.password), p->conf.password);
    smpp_strlcpy(b.bind.system_type, sizeof(b.bind.system_type), p->conf.system_type);
    b.bind.interface_version = 0x34;
    if (smpp_link_send(l, &b, client_on_bind_resp, l->slot) < 0) {
        smpp_link_close(l, "cannot send bind");
        return;
    }
    sodium_memzero(b.bind.password, sizeof(b.bind.password));
    smpp_link_enter_state(l, SMPP_LINK_BINDING);
    log_debug("smpp: link %u connected to %s:%u, binding", l->id, p->conf.host, p->conf.port);
}

static int client_numeric(const char *host, unsigned port, struct sockaddr_storage *ss,
                          socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof(*sin);
        return 1;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*sin6);
        return 1;
    }
    return 0;
}

static void client_connect(struct smpp_client_slot *slot)
{
    struct smpp_partner *p = slot->partner;
    struct smpp_hub *h = p->hub;
    struct sockaddr_storage ss;
    socklen_t len;
    struct bufferevent *bev = bufferevent_socket_new(h->base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct smpp_link *l;
    int rc;

    if (bev == NULL) {
        client_schedule(slot, 0);
        return;
    }
    l = smpp_link_new(h, SMPP_ROLE_ESME, bev, NULL, 0);
    l->slot = slot;
    l->partner = p;
    slot->link = l;
    snprintf(l->peer_text, sizeof(l->peer_text), "%.48s:%u", p->conf.host, p->conf.port);
    if (client_numeric(p->conf.host, p->conf.port, &ss, &len)) {
        rc = bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)len);
    } else {
        if (h->dns == NULL)
            h->dns = evdns_base_new(h->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
        rc = bufferevent_socket_connect_hostname(bev, h->dns, AF_UNSPEC, p->conf.host,
                                                 (int)p->conf.port);
    }
    /* A failure shows as BEV_EVENT_ERROR, or right here. */
    if (rc < 0 && l->state != SMPP_LINK_CLOSED)
        smpp_link_close(l, "cannot connect");
}

void smpp_client_tick(struct smpp_partner *p, uint64_t now_ms)
{
    if (p->hub->gate && !p->retired && now_ms >= p->gate_next_ms)
        client_gate(p, now_ms);
    for (unsigned i = 0; i < p->nslots; i++) {
        struct smpp_client_slot *slot = &p->slots[i];
        if (slot->link == NULL && !p->retired && now_ms >= slot->next_attempt_ms &&
            (p->hub->gate == NULL || slot->held))
            client_connect(slot);
    }
}

void smpp_client_free_slots(struct smpp_partner *p)
{
    for (unsigned i = 0; i < p->nslots; i++)
        if (p->slots[i].link)
            p->slots[i].link->slot = NULL;
    free(p->slots);
    p->slots = NULL;
    p->nslots = 0;
}

void smpp_hub_connect(struct smpp_hub *h, const struct smpp_partner_conf *conf)
{
    struct smpp_partner *p = smpp_hub_partner_get(h, conf);
    unsigned want = conf->binds ? conf->binds : 1;

    p->retired = !conf->enabled;
    if (p->nslots == want)
        return;
    /* Resize: links of dropped slots unbind; new slots connect on the next tick. */
    for (unsigned i = want; i < p->nslots; i++) {
        struct smpp_link *l = p->slots[i].link;
        if (l) {
            l->slot = NULL;
            smpp_link_unbind(l);
        }
        client_release(&p->slots[i]); /* may bind once this link is gone: briefly one more */
    }
    p->slots = kp_realloc(p->slots, want * sizeof(*p->slots));
    for (unsigned i = p->nslots; i < want; i++) {
        memset(&p->slots[i], 0, sizeof(p->slots[i]));
        p->slots[i].partner = p;
        p->slots[i].index = i;
        p->slots[i].next_attempt_ms = h->now_ms;
    }
    /* realloc may have moved the slots: re-point their links. */
    for (unsigned i = 0; i < want && i < p->nslots; i++)
        if (p->slots[i].link)
            p->slots[i].link->slot = &p->slots[i];
    p->nslots = want;
}

void smpp_hub_retire_clients(struct smpp_hub *h, const int64_t *keep_ids, size_t n)
{
    struct smpp_partner *p;

    TAILQ_FOREACH(p, &h->partners, entry)
    {
        int keep = 0;
        if (p->nslots == 0)
            continue;
        for (size_t i = 0; i < n; i++)
            keep |= keep_ids[i] == p->conf.id;
        if (keep)
            continue;
        p->retired = 1;
        for (unsigned i = 0; i < p->nslots; i++)
            if (p->slots[i].link)
                smpp_link_unbind(p->slots[i].link); /* released once closed */
            else
                client_release(&p->slots[i]);
    }
}
