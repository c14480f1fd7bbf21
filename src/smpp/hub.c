/* SPDX-License-Identifier: ISC */
/*
 * The hub: every link, listener and partner of one process, the periodic
 * tick that drives all link timers and reconnects (one housekeeping
 * callback, as Redis's serverCron, instead of a timer per link), and the
 * choice of a link when an upper layer sends to a partner.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <sodium.h>

#include "kpass/core/accept_guard.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/core/worker.h"
#include "kpass/smpp/fsm.h"
#include "smpp_internal.h"

void smpp_settings_default(struct smpp_settings *s)
{
    memset(s, 0, sizeof(*s));
    strcpy(s->system_id, "kpass");
    s->session_init_ms = 10000;
    s->enquire_link_ms = 30000;
    s->inactivity_ms = 0;
    s->response_ms = 10000;
    s->window = 64;
    s->max_links = 1000;
    s->max_unbound = 256;
    s->max_unbound_per_addr = 16;
    s->bind_fail_limit = 10;
    s->reconnect_min_ms = 1000;
    s->reconnect_max_ms = 60000;
    s->unbind_grace_ms = 2000;
    s->send_queue_max = 100000;
}

/* ---- [smpp] in kpassd.conf ---- */

#define SMPP_OFF(f) offsetof(struct smpp_settings, f)
#define SMPP_MS_DAY (24u * 3600u * 1000u)

/* Durations in milliseconds, as the hub and kpassd.conf(5) state them. */
static const struct conf_key smpp_conf_keys[] = {
    {"smpp", "listen", CONF_ADDR, SMPP_OFF(listen), 0, SMPP_MAX_LISTEN, NULL, SMPP_OFF(nlisten)},
    {"smpp", "session_init_timeout", CONF_DURATION, SMPP_OFF(session_init_ms), 100, SMPP_MS_DAY,
     NULL, 0},
    {"smpp", "enquire_link_interval", CONF_DURATION, SMPP_OFF(enquire_link_ms), 100, SMPP_MS_DAY,
     NULL, 0},
    {"smpp", "inactivity_timeout", CONF_DURATION, SMPP_OFF(inactivity_ms), 0, SMPP_MS_DAY, NULL, 0},
    {"smpp", "response_timeout", CONF_DURATION, SMPP_OFF(response_ms), 100, 600000, NULL, 0},
    {"smpp", "window", CONF_UINT, SMPP_OFF(window), 1, 4096, NULL, 0},
    {"smpp", "max_links", CONF_UINT, SMPP_OFF(max_links), 1, 100000, NULL, 0},
    {"smpp", "max_unbound", CONF_UINT, SMPP_OFF(max_unbound), 1, 100000, NULL, 0},
    {"smpp", "max_unbound_per_addr", CONF_UINT, SMPP_OFF(max_unbound_per_addr), 1, 100000, NULL, 0},
    {"smpp", "bind_failures_per_minute", CONF_UINT, SMPP_OFF(bind_fail_limit), 1, 100000, NULL, 0},
    {"smpp", "reconnect_min", CONF_DURATION, SMPP_OFF(reconnect_min_ms), 100, SMPP_MS_DAY, NULL, 0},
    {"smpp", "reconnect_max", CONF_DURATION, SMPP_OFF(reconnect_max_ms), 100, SMPP_MS_DAY, NULL, 0},
    {"smpp", "unbind_grace", CONF_DURATION, SMPP_OFF(unbind_grace_ms), 0, 60000, NULL, 0},
};

static void smpp_conf_defaults(void *set)
{
    smpp_settings_default(set);
}

/* The reconnect delays in order; no listen key: loopback only. */
static void smpp_conf_check(void *set, struct conf_report *r)
{
    struct smpp_settings *s = set;

    if (s->reconnect_min_ms > s->reconnect_max_ms) {
        unsigned l = conf_report_line(r, "reconnect_min");
        if (l == 0)
            l = conf_report_line(r, "reconnect_max");
        conf_report(r, l, "reconnect_min is larger than reconnect_max");
    }
    if (s->nlisten == 0 && kp_addr_parse("127.0.0.1:2775", &s->listen[0]) == 0)
        s->nlisten = 1;
}

const struct conf_table smpp_conf_table = {"smpp", smpp_conf_keys, KP_ARRAY_LEN(smpp_conf_keys),
                                           smpp_conf_defaults, smpp_conf_check};

static void hub_reap_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_hub *h = arg;
    struct smpp_link *l;

    (void)fd;
    (void)what;
    while ((l = TAILQ_FIRST(&h->dead)) != NULL) {
        TAILQ_REMOVE(&h->dead, l, hub_entry);
        if (l->held)
            evbuffer_free(l->held);
        if (l->out)
            evbuffer_free(l->out);
        free(l->ring);
        free(l);
    }
}

struct smpp_hub *smpp_hub_new(struct event_base *base, const struct smpp_settings *s,
                              const struct smpp_ops *ops)
{
    struct smpp_hub *h = kp_calloc(1, sizeof(*h));

    h->base = base;
    h->set = *s;
    if (h->set.window == 0)
        h->set.window = 1;
    if (h->set.send_queue_max == 0)
        h->set.send_queue_max = 100000;
    h->ops = *ops;
    TAILQ_INIT(&h->links);
    TAILQ_INIT(&h->dead);
    TAILQ_INIT(&h->partners);
    TAILQ_INIT(&h->outq);
    h->reaper = event_new(base, -1, 0, hub_reap_cb, h);
    h->guard = kp_accept_guard_new(base, "smpp");
    h->failmap = kp_calloc(1, sizeof(*h->failmap));
    h->failmap->limit = s->bind_fail_limit ? s->bind_fail_limit : 10;
    randombytes_buf(h->auth_key, sizeof(h->auth_key));
    h->now_ms = kp_clock_ms();
    return h;
}

static void hub_partner_free(struct smpp_partner *p)
{
    smpp_client_free_slots(p);
    sodium_memzero(p->conf.password, sizeof(p->conf.password));
    sodium_memzero(p->auth_tag, sizeof(p->auth_tag));
    free(p);
}

void smpp_hub_gather(struct smpp_hub *h, int on)
{
    if (!on)
        smpp_hub_flush(h);
    h->gather = on != 0;
}

void smpp_hub_flush(struct smpp_hub *h)
{
    struct smpp_link *l;

    while ((l = TAILQ_FIRST(&h->outq)) != NULL)
        smpp_link_flush(l); /* takes l off outq */
}

void smpp_hub_free(struct smpp_hub *h)
{
    struct smpp_link *l;
    struct smpp_partner *p;

    if (h == NULL)
        return;
    smpp_hub_stop_listening(h);
    while ((l = TAILQ_FIRST(&h->links)) != NULL)
        smpp_link_close(l, "shutting down");
    hub_reap_cb(-1, 0, h);
    while ((p = TAILQ_FIRST(&h->partners)) != NULL) {
        TAILQ_REMOVE(&h->partners, p, entry);
        hub_partner_free(p);
    }
    kp_worker_free(h->worker);
    if (h->dns)
        evdns_base_free(h->dns, 0);
    event_free(h->reaper);
    kp_accept_guard_free(h->guard);
    free(h->allow);
    free(h->failmap);
    sodium_memzero(h->auth_key, sizeof(h->auth_key));
    free(h);
}

void smpp_hub_link_dead(struct smpp_hub *h, struct smpp_link *l)
{
    TAILQ_REMOVE(&h->links, l, hub_entry);
    TAILQ_INSERT_TAIL(&h->dead, l, hub_entry);
    h->nlinks--;
    h->stats.links_closed++;
    event_active(h->reaper, 0, 0);
}

unsigned smpp_hub_link_count(const struct smpp_hub *h)
{
    return h->nlinks;
}

const struct smpp_stats *smpp_hub_stats(const struct smpp_hub *h)
{
    return &h->stats;
}

void smpp_hub_count(struct smpp_hub *h, uint32_t command_id, uint32_t status, int dir)
{
    unsigned i = (command_id * 31u + status * 7u) & (SMPP_HUB_COUNTERS - 1);

    if (command_id == 0)
        command_id = 0xFFFFFFFFu; /* 0 marks an empty slot; no real PDU has it */
    for (unsigned n = 0; n < SMPP_HUB_COUNTERS; n++, i = (i + 1) & (SMPP_HUB_COUNTERS - 1)) {
        struct smpp_pdu_count *c = &h->counters[i];
        if (c->command_id == 0) {
            c->command_id = command_id;
            c->status = status;
        }
        if (c->command_id == command_id && c->status == status) {
            if (dir)
                c->out++;
            else
                c->in++;
            return;
        }
    }
    /* Full: an attacker spraying statuses cannot grow memory; the PDU is
       still in pdus_in/pdus_out. */
}

size_t smpp_hub_pdu_counts(const struct smpp_hub *h, struct smpp_pdu_count *out, size_t max)
{
    size_t n = 0;

    for (unsigned i = 0; i < SMPP_HUB_COUNTERS && n < max; i++)
        if (h->counters[i].command_id)
            out[n++] = h->counters[i];
    return n;
}

const struct smpp_partner_stats *smpp_partner_stats(const struct smpp_partner *p)
{
    return &p->stats;
}

unsigned smpp_partner_links(const struct smpp_partner *p)
{
    return p->nlinks;
}

struct smpp_partner *smpp_hub_partner(struct smpp_hub *h, int64_t id)
{
    struct smpp_partner *p;

    TAILQ_FOREACH(p, &h->partners, entry)
    if (p->conf.id == id)
        return p;
    return NULL;
}

size_t smpp_hub_partners(struct smpp_hub *h, struct smpp_partner **out, size_t max)
{
    struct smpp_partner *p;
    size_t n = 0;

    TAILQ_FOREACH(p, &h->partners, entry)
    {
        if (n == max)
            break;
        if (p->nlinks)
            out[n++] = p;
    }
    return n;
}

struct smpp_partner *smpp_hub_partner_get(struct smpp_hub *h, const struct smpp_partner_conf *c)
{
    struct smpp_partner *p = smpp_hub_partner(h, c->id);

    if (p == NULL) {
        p = kp_calloc(1, sizeof(*p));
        p->hub = h;
        TAILQ_INIT(&p->links);
        TAILQ_INSERT_TAIL(&h->partners, p, entry);
        kp_bucket_init(&p->bucket, c->throughput, c->burst, h->now_ms);
    } else if (p->conf.throughput != c->throughput || p->conf.burst != c->burst) {
        kp_bucket_init(&p->bucket, c->throughput, c->burst, h->now_ms);
    }
    if (strcmp(p->conf.pwhash, c->pwhash) != 0)
        p->auth_tag_valid = 0;
    p->conf = *c;
    return p;
}

void smpp_hub_tick(struct smpp_hub *h, uint64_t now_ms)
{
    struct smpp_link *l, *next;
    struct smpp_partner *p;

    h->now_ms = now_ms;
    /* Partners added, changed or removed with kpass reach the accept check within a second. */
    if (h->nlisteners && now_ms - h->allow_ms >= 1000)
        smpp_hub_refresh_allowlist(h);
    for (l = TAILQ_FIRST(&h->links); l != NULL; l = next) {
        next = TAILQ_NEXT(l, hub_entry);
        smpp_link_tick(l, now_ms);
    }
    TAILQ_FOREACH(p, &h->partners, entry)
    if (p->nslots)
        smpp_client_tick(p, now_ms);
}

void smpp_hub_unbind_all(struct smpp_hub *h)
{
    struct smpp_link *l, *next;

    for (l = TAILQ_FIRST(&h->links); l != NULL; l = next) {
        next = TAILQ_NEXT(l, hub_entry);
        if (l->slot)
            l->slot->partner->retired = 1; /* no reconnect while shutting down */
        smpp_link_unbind(l);
    }
}

const struct smpp_partner_conf *smpp_partner_conf(const struct smpp_partner *p)
{
    return &p->conf;
}

static unsigned hub_link_room(const struct smpp_link *l)
{
    unsigned used = l->outstanding + l->queued;

    return used >= l->hub->set.window ? 0 : l->hub->set.window - used;
}

unsigned smpp_partner_links_usable(const struct smpp_partner *p)
{
    const struct smpp_link *l;
    unsigned n = 0;

    TAILQ_FOREACH(l, &p->links, partner_entry)
    n += smpp_fsm_is_bound(l->state) &&
         (smpp_link_may_send(l, SMPP_DELIVER_SM) || smpp_link_may_send(l, SMPP_SUBMIT_SM));
    return n;
}

unsigned smpp_partner_room(const struct smpp_partner *p)
{
    const struct smpp_link *l;
    unsigned n = 0;

    TAILQ_FOREACH(l, &p->links, partner_entry)
    if (smpp_link_may_send(l, SMPP_DELIVER_SM) || smpp_link_may_send(l, SMPP_SUBMIT_SM))
        n += hub_link_room(l);
    return n;
}

int smpp_partner_send(struct smpp_partner *p, struct smpp_pdu *pdu, smpp_resp_cb cb, void *arg)
{
    struct smpp_link *l, *best = NULL;
    unsigned best_room = 0;
    int any = 0;

    TAILQ_FOREACH(l, &p->links, partner_entry)
    {
        unsigned room;
        if (!smpp_link_may_send(l, pdu->command_id) || l->close_after_flush)
            continue;
        any = 1;
        room = hub_link_room(l);
        if (best == NULL || room > best_room) {
            best = l;
            best_room = room;
        }
    }
    if (!any)
        return -KP_ERR_CLOSED;
    return smpp_link_send(best, pdu, cb, arg);
}

static const char *const bind_type_names[] = {"transmitter", "receiver", "transceiver"};

const char *smpp_bind_type_name(enum smpp_bind_type t)
{
    return (unsigned)t < KP_ARRAY_LEN(bind_type_names) ? bind_type_names[t] : "?";
}

int smpp_bind_type_parse(const char *s)
{
    for (unsigned i = 0; i < KP_ARRAY_LEN(bind_type_names); i++)
        if (strcmp(s, bind_type_names[i]) == 0)
            return (int)i;
    return -KP_ERR_INVAL;
}

/* The messages a failed pass must not send, and whose answers it must not give. */
static int hub_is_sm(uint32_t command_id)
{
    return command_id == SMPP_SUBMIT_SM || command_id == SMPP_DELIVER_SM ||
           command_id == SMPP_DATA_SM;
}

static uint32_t hub_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Our request seq, withdrawn: its window slot is freed and its callback
   told, as for a link that closed before sending it. */
static void hub_withdraw(struct smpp_link *l, uint32_t seq)
{
    for (unsigned i = 0; i < l->ring_count; i++) {
        struct smpp_pending *p = &l->ring[(l->ring_head + i) & (l->ring_cap - 1)];
        if (p->done || p->seq != seq)
            continue;
        p->done = 1;
        l->outstanding--;
        if (p->cb)
            p->cb(l, NULL, -KP_ERR_CLOSED, p->arg);
        return;
    }
}

/*
 * One link's gathered output, PDU by PDU (link_write adds whole PDUs):
 * kept, rewritten or withdrawn as smpp_hub_abort() says.  The sequence
 * numbers withdrawn are told after the rewrite, since their callbacks may
 * write to the link again.
 */
static unsigned hub_abort_link(struct smpp_link *l, uint32_t status)
{
    struct evbuffer *old = l->out, *keep = evbuffer_new();
    uint32_t *gone = NULL;
    size_t ngone = 0, cap = 0;
    unsigned n = 0;
    uint8_t hdr[SMPP_HEADER_LEN];

    if (keep == NULL)
        fatalx("smpp: out of memory");
    while (evbuffer_copyout(old, hdr, sizeof(hdr)) == (ev_ssize_t)sizeof(hdr)) {
        uint32_t len = hub_be32(hdr), cid = hub_be32(hdr + 4), seq = hub_be32(hdr + 12);
        if (len < SMPP_HEADER_LEN || len > evbuffer_get_length(old))
            break; /* cannot be: link_write adds whole PDUs */
        if (smpp_is_resp(cid) && hub_is_sm(cid & ~SMPP_RESP_BIT)) {
            struct smpp_pdu resp;
            uint8_t buf[SMPP_PDU_MAX + 1];
            int m;
            smpp_pdu_init(&resp, cid, seq);
            resp.command_status = status;
            if ((m = smpp_pdu_encode(&resp, buf, sizeof(buf))) > 0) {
                evbuffer_add(keep, buf, (size_t)m);
                smpp_hub_count(l->hub, cid, status, 1);
                n++;
            }
            evbuffer_drain(old, len);
        } else if (hub_is_sm(cid)) {
            gone = kp_grow(gone, &cap, ngone + 1, sizeof(*gone));
            gone[ngone++] = seq;
            evbuffer_drain(old, len);
        } else {
            evbuffer_remove_buffer(old, keep, len);
        }
    }
    evbuffer_drain(old, evbuffer_get_length(old));
    evbuffer_add_buffer(old, keep);
    evbuffer_free(keep);
    for (size_t i = 0; i < ngone && l->state != SMPP_LINK_CLOSED; i++)
        hub_withdraw(l, gone[i]);
    free(gone);
    return n;
}

unsigned smpp_hub_abort(struct smpp_hub *h, uint32_t status)
{
    struct smpp_link *l;
    unsigned n = 0;

    TAILQ_FOREACH(l, &h->outq, out_entry)
    if (l->out)
        n += hub_abort_link(l, status);
    return n;
}
