/* SPDX-License-Identifier: ISC */
/*
 * The SMPP link layer: listeners (server mode: partners bind to us), outbound
 * binds (client mode: we bind to partners), one state machine per link, the
 * window of our outstanding requests, per-partner throttling, and the small
 * API the USSD and SMS layers use:
 *
 *   - "a PDU of kind X arrived on link L from partner P": smpp_ops.on_request
 *   - "send this PDU on a link of partner P, call me back with the response
 *      or a timeout": smpp_partner_send / smpp_link_send
 *
 * Every request PDU that arrives gets exactly one response, written by this
 * layer; the upper layer only chooses its status and fields.
 */
#ifndef KPASS_SMPP_H
#define KPASS_SMPP_H

#include <stdint.h>
#include <sys/socket.h>

#include "kpass/core/addr.h"
#include "kpass/core/conf.h"
#include "kpass/smpp/pdu.h"

struct event_base;
struct kp_config;
struct smpp_hub;
struct smpp_link;
struct smpp_partner;

/* Link states (DESIGN.md §3), changed only by smpp_link_enter_state(). */
enum smpp_link_state {
    SMPP_LINK_OPEN = 0, /* connected, not bound */
    SMPP_LINK_BINDING,  /* bind sent (client) or being authenticated (server) */
    SMPP_LINK_BOUND_TX,
    SMPP_LINK_BOUND_RX,
    SMPP_LINK_BOUND_TRX,
    SMPP_LINK_UNBINDING, /* we sent unbind, waiting for unbind_resp */
    SMPP_LINK_UNBOUND,   /* unbind done either way; closing */
    SMPP_LINK_CLOSED,
};

/* Which side of SMPP we are on this link. */
enum smpp_role {
    SMPP_ROLE_SMSC = 0, /* server mode: the peer is an ESME that bound to us */
    SMPP_ROLE_ESME = 1, /* client mode: we bound to the peer's SMSC/gateway */
};

enum smpp_bind_type {
    SMPP_BIND_TX = 0,
    SMPP_BIND_RX = 1,
    SMPP_BIND_TRX = 2,
};

enum smpp_partner_mode {
    SMPP_PARTNER_SERVER = 0, /* they bind to us */
    SMPP_PARTNER_CLIENT = 1, /* we bind to them */
};

#define SMPP_PARTNER_MAX_CIDRS 16

/* A partner as configured (a row of the store's partner table). */
struct smpp_partner_conf {
    int64_t id;
    char system_id[16];
    char system_type[13];
    enum smpp_partner_mode mode;
    char pwhash[128]; /* server mode: crypto_pwhash_str of their password */
    char password[9]; /* client mode: our password at their end (plaintext in memory) */
    char host[256];   /* client mode */
    unsigned port;    /* client mode */
    enum smpp_bind_type bind_type; /* client mode */
    unsigned binds;                /* client mode: links to keep */
    struct kp_cidr cidrs[SMPP_PARTNER_MAX_CIDRS];
    int ncidrs;          /* 0: any source address */
    unsigned max_binds;  /* server mode: concurrent binds allowed */
    unsigned throughput; /* requests per second they may send us; 0 = unlimited */
    unsigned burst;      /* token bucket depth; 0 = same as throughput */
    char profile[32];    /* USSD behaviour profile name */
    unsigned gsm7_limit; /* USSD screen limit, GSM 7-bit septets (default 182) */
    unsigned ucs2_limit; /* USSD screen limit, UCS-2 characters (default 80) */
    char first_lang[8];  /* USSD language of first-time callers ("": the code's, else en) */
    int carries_sms;
    int enabled;
};

/* Called with the response to one of our requests, or resp == NULL and
   err = -KP_ERR_TIMEOUT / -KP_ERR_CLOSED. */
typedef void (*smpp_resp_cb)(struct smpp_link *l, const struct smpp_pdu *resp, int err, void *arg);

/* What the link layer needs from the daemon. */
struct smpp_ops {
    void *arg;
    /* Find a partner by system_id for a bind (0, -KP_ERR_NOTFOUND or -KP_ERR_DB). */
    int (*partner_lookup)(void *arg, const char *system_id, struct smpp_partner_conf *out);
    /* The addresses enabled server-mode partners allow binds from: *out
       (malloc'd, the hub frees it) and its count, with *any set when one of
       them allows every address; or -KP_ERR_DB.  The hub refuses other
       addresses at accept.  NULL: every address is accepted. */
    int (*partner_allowlist)(void *arg, struct kp_cidr **out, int *any);
    /* A request (submit_sm, deliver_sm, data_sm) on a bound link, allowed by the
       link's state and the partner's throughput.  Return the command_status
       for the response and fill resp (message_id, TLVs).  Must not block. */
    uint32_t (*on_request)(void *arg, struct smpp_link *l, const struct smpp_pdu *req,
                           struct smpp_pdu *resp);
    /* A link became bound / is closing (may be NULL). */
    void (*on_bound)(void *arg, struct smpp_link *l);
    /* Failed binds per source address counted outside the hub, for every
       node of a cluster (kpassd: in the database); NULL: the hub counts
       them in memory, for itself.  take: one attempt's place in addr's
       window open at now_ms, *count the attempts in it with this one and
       *window its start (0, or < 0: refused as a system error); give:
       the place back, when the bind did not fail or failed in a way that
       does not count. */
    int (*bind_failure_take)(void *arg, const char *addr, uint64_t now_ms, unsigned *count,
                             int64_t *window);
    void (*bind_failure_give)(void *arg, const char *addr, int64_t window);
    void (*on_closed)(void *arg, struct smpp_link *l);
};

/* Link-layer settings (from kpassd.conf [smpp], or the CLI's options). */
#define SMPP_MAX_LISTEN 8

struct smpp_settings {
    struct kp_addr listen[SMPP_MAX_LISTEN]; /* where the hub accepts binds (kpassd) */
    int nlisten;
    char system_id[16]; /* [daemon] system_id, set by the program */
    unsigned session_init_ms;
    unsigned enquire_link_ms;
    unsigned inactivity_ms;
    unsigned response_ms;
    unsigned window;
    unsigned max_links;            /* bound links */
    unsigned max_unbound;          /* connections not bound (yet), in all */
    unsigned max_unbound_per_addr; /* ... from one source address */
    unsigned bind_fail_limit;
    unsigned reconnect_min_ms;
    unsigned reconnect_max_ms;
    unsigned unbind_grace_ms;
    unsigned send_queue_max; /* requests queued per link beyond the window */
};

/* Counters for metrics and tests. */
struct smpp_stats {
    uint64_t pdus_in;
    uint64_t pdus_out;
    uint64_t binds_ok;
    uint64_t binds_failed;
    uint64_t throttled;
    uint64_t nacks_sent;
    uint64_t timeouts;
    uint64_t links_opened;
    uint64_t links_closed;
    uint64_t refused_addr; /* connections no enabled partner allows, closed at accept */
    uint64_t refused_full; /* connections refused: unbound slots all binding */
};

/* One partner's share (for /metrics' partner="..." labels), since its
   object was made (start, or the reload that changed it). */
struct smpp_partner_stats {
    uint64_t pdus_in;
    uint64_t pdus_out;
    uint64_t throttled;
    uint64_t timeouts;
};

/* PDUs in and out by command_id and command_status (for /metrics). */
struct smpp_pdu_count {
    uint32_t command_id;
    uint32_t status;
    uint64_t in;
    uint64_t out;
};

/* The defaults, for programs with or without a config (kpass phone, bench). */
void smpp_settings_default(struct smpp_settings *s);

/* kpassd.conf's [smpp] (kpassd.conf(5)) over a struct smpp_settings: its
   keys, smpp_settings_default and the checks; the programs add it to their
   configuration (and copy [daemon] system_id in). */
extern const struct conf_table smpp_conf_table;

/* The hub owns every listener, link and partner.  ops is copied. */
struct smpp_hub *smpp_hub_new(struct event_base *base, const struct smpp_settings *s,
                              const struct smpp_ops *ops);
/* Close everything at once (no unbind); NULL is a no-op. */
void smpp_hub_free(struct smpp_hub *h);

/* Listen on addr (server mode).  0 or -errno. */
int smpp_hub_listen(struct smpp_hub *h, const struct kp_addr *addr);
/* Reload the allowlist union through ops.partner_allowlist (SIGHUP; the
   tick does it every second). */
void smpp_hub_refresh_allowlist(struct smpp_hub *h);
/* Stop accepting new connections (SIGTERM). */
void smpp_hub_stop_listening(struct smpp_hub *h);
/* Start or update client-mode partners: keep conf->binds links to each. */
void smpp_hub_connect(struct smpp_hub *h, const struct smpp_partner_conf *conf);
/*
 * Client-mode slots a cluster shares (doc/cluster.md 5.4).  Every
 * period_ms and for each client-mode partner, the hub asks gate which of
 * its nslots this node may bind: held[i] comes in as 1 (held), 0 (not
 * held) or -1 (given up, its link still closing: leave it) and goes out
 * as 1 or 0.  A slot that stops being held is unbound; once its link is
 * closed (at once when it had none) release is called for it, so that
 * another node can only take it after this node's bind is gone.  A slot
 * that becomes held binds at once.  Without a gate (the default) every
 * slot binds, as on a lone node.
 */
typedef void (*smpp_slot_gate_cb)(void *arg, const struct smpp_partner_conf *c, unsigned nslots,
                                  int *held);
typedef void (*smpp_slot_release_cb)(void *arg, const struct smpp_partner_conf *c, unsigned slot);
void smpp_hub_set_slot_gate(struct smpp_hub *h, smpp_slot_gate_cb gate,
                            smpp_slot_release_cb release, void *arg, unsigned period_ms);
/* Forget client-mode partners not in keep_ids (reload).  Their links unbind. */
void smpp_hub_retire_clients(struct smpp_hub *h, const int64_t *keep_ids, size_t n);
/* Send unbind on every bound link; done when smpp_hub_link_count() reaches 0
   or after the grace period (links still open are then closed). */
void smpp_hub_unbind_all(struct smpp_hub *h);
unsigned smpp_hub_link_count(const struct smpp_hub *h);
/* Periodic work (session-init, enquire_link, inactivity, response timers,
   reconnects); kpassd calls it from its housekeeping tick. */
void smpp_hub_tick(struct smpp_hub *h, uint64_t now_ms);
/*
 * Gathered output (kpassd's loop): with on, every PDU a link writes waits
 * in memory until smpp_hub_flush(), which sends each link's in one writev,
 * without arming a write event when the socket takes it all.  kpassd calls
 * it after the pass's commit: what a reply shows is on disk before the
 * reply leaves (doc/PERFORMANCE.md, issue 14).  Off (the default), PDUs go
 * to the bufferevents as they are written.
 */
void smpp_hub_gather(struct smpp_hub *h, int on);
void smpp_hub_flush(struct smpp_hub *h);
/*
 * The pass's commit failed (the database away: kpassd.8): rewrite every
 * link's gathered output before smpp_hub_flush() sends it.  Each
 * submit_sm, deliver_sm or data_sm response becomes a bare response with
 * status (its request is to be sent again); each submit_sm, deliver_sm or
 * data_sm we sent in the pass (a USSD screen, an SMS) is withdrawn, its
 * callback told -KP_ERR_CLOSED as if the link had dropped it; everything
 * else (enquire_link and its response, bind and unbind responses,
 * generic_nack) stays, so that links stay bound.  Returns the responses
 * rewritten.
 */
unsigned smpp_hub_abort(struct smpp_hub *h, uint32_t status);
const struct smpp_stats *smpp_hub_stats(const struct smpp_hub *h);
/* The PDU counters: up to max of them into out; returns the count. */
size_t smpp_hub_pdu_counts(const struct smpp_hub *h, struct smpp_pdu_count *out, size_t max);
/* Bound links of a partner right now. */
unsigned smpp_partner_links(const struct smpp_partner *p);
const struct smpp_partner_stats *smpp_partner_stats(const struct smpp_partner *p);
/* The partner with this id if it has any link, else NULL. */
struct smpp_partner *smpp_hub_partner(struct smpp_hub *h, int64_t id);
/* Up to max partners known to the hub (bound now or client mode); the count. */
size_t smpp_hub_partners(struct smpp_hub *h, struct smpp_partner **out, size_t max);

/*
 * Send a request (submit_sm, deliver_sm, data_sm, ...) on a link of partner p
 * that may carry it (a receiver/transceiver link for what we send as SMSC, a
 * transmitter/transceiver link for what we send as ESME), choosing the one
 * with the most window room.  The sequence number is assigned here.  cb is
 * called exactly once.  0, -KP_ERR_CLOSED (no usable link) or -KP_ERR_BUSY
 * (every usable link's window and queue are full).
 */
int smpp_partner_send(struct smpp_partner *p, struct smpp_pdu *pdu, smpp_resp_cb cb, void *arg);
const struct smpp_partner_conf *smpp_partner_conf(const struct smpp_partner *p);
/* Links of p bound now that could carry a request we send. */
unsigned smpp_partner_links_usable(const struct smpp_partner *p);
/* Window room left over all usable links (for dispatchers pacing themselves). */
unsigned smpp_partner_room(const struct smpp_partner *p);

/* Send a request on this link (queued beyond the window).  As above. */
int smpp_link_send(struct smpp_link *l, struct smpp_pdu *pdu, smpp_resp_cb cb, void *arg);
/* Start an unbind on this link (we send unbind, then close). */
void smpp_link_unbind(struct smpp_link *l);
enum smpp_link_state smpp_link_state(const struct smpp_link *l);
enum smpp_role smpp_link_role(const struct smpp_link *l);
unsigned smpp_link_id(const struct smpp_link *l);
struct smpp_partner *smpp_link_partner(const struct smpp_link *l);
/* True when we may send this command on this link (by role and bind state). */
int smpp_link_may_send(const struct smpp_link *l, uint32_t command_id);
const char *smpp_link_state_name(enum smpp_link_state s);
const char *smpp_bind_type_name(enum smpp_bind_type t);
/* "transmitter", "receiver", "transceiver" -> type; -KP_ERR_INVAL otherwise. */
int smpp_bind_type_parse(const char *s);

#endif
