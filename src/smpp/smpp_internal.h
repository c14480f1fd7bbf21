/* SPDX-License-Identifier: ISC */
/*
 * Private declarations shared by the files of src/smpp/: the link, partner,
 * client connector and hub structures, the token bucket and the failed-bind
 * limiter, and the password-check worker.
 */
#ifndef KPASS_SMPP_INTERNAL_H
#define KPASS_SMPP_INTERNAL_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "kpass/core/bucket.h"
#include "kpass/core/buf.h"
#include "kpass/smpp/smpp.h"
#include "kpass/smpp/pdu.h"

struct bufferevent;
struct event;
struct evconnlistener;
struct evdns_base;
struct kp_accept_guard;
struct kp_worker;
struct smpp_auth_job;

/* Failed binds per source address per minute (pure; time passed in). */
#define SMPP_FAILMAP_SIZE 1024
struct smpp_failmap_entry {
    uint8_t addr[16];
    uint8_t family;
    uint64_t window_ms;
    unsigned count;
};
struct smpp_failmap {
    struct smpp_failmap_entry e[SMPP_FAILMAP_SIZE];
    unsigned limit; /* failures allowed per minute */
};
/* True when addr has failed limit times within the current minute. */
int smpp_failmap_blocked(struct smpp_failmap *m, const struct sockaddr *sa, uint64_t now_ms);
void smpp_failmap_record(struct smpp_failmap *m, const struct sockaddr *sa, uint64_t now_ms);
/* The address the failed-bind limit counts by (no port), as text. */
void smpp_failmap_addr(const struct sockaddr *sa, char *out, size_t size);

/* One of our outstanding requests. */
struct smpp_pending {
    uint32_t seq;
    uint32_t command_id;
    uint64_t deadline_ms;
    smpp_resp_cb cb;
    void *arg;
    int done;
};

/* A request waiting for window room: encoded, sequence number patched at send. */
struct smpp_queued {
    TAILQ_ENTRY(smpp_queued) entry;
    smpp_resp_cb cb;
    void *arg;
    uint32_t command_id;
    size_t len;
    uint8_t pdu[];
};

struct smpp_link {
    TAILQ_ENTRY(smpp_link) hub_entry;
    TAILQ_ENTRY(smpp_link) partner_entry;
    struct smpp_hub *hub;
    unsigned id;
    enum smpp_role role;
    enum smpp_link_state state;
    struct bufferevent *bev;
    struct smpp_partner *partner;  /* set once bound (server) or from the start (client) */
    struct smpp_client_slot *slot; /* client mode: the slot that owns this link */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    char peer_text[64];
    uint64_t opened_ms;
    uint64_t last_rx_ms;
    uint64_t last_enquire_ms;
    uint64_t unbind_deadline_ms;
    uint32_t next_seq;
    struct smpp_pending *ring; /* outstanding requests in send order */
    unsigned ring_cap;         /* power of two, >= 2 x window */
    unsigned ring_head;
    unsigned ring_count;
    unsigned outstanding;
    TAILQ_HEAD(, smpp_queued) queue;
    unsigned queued;
    struct smpp_auth_job *auth_job; /* a bind's password being checked by the worker */
    int64_t bind_place;             /* ops.bind_failure_take's window held by this bind, or 0 */
    int close_after_flush;
    int in_partner; /* on partner->links */
    /* While a request is handled, what the handler sends on this link
       waits here, so that the request's response goes first. */
    int holding;
    struct kp_buf held;
    /* Gathering (smpp_hub_gather): what the pass wrote, sent by
       smpp_hub_flush in one write once the pass's commit is done.  Flat
       buffers that keep their memory from pass to pass: no allocation
       per PDU (an evbuffer allocates and frees a chain each pass). */
    struct kp_buf out;
    TAILQ_ENTRY(smpp_link) out_entry;
    int in_outq;
};

/* Client mode: one slot per link we keep to a partner. */
/* A slot's run of identical failures is logged once, then once per this. */
#define SMPP_CLIENT_REPEAT_LOG_MS (10u * 60u * 1000u)

struct smpp_client_slot {
    struct smpp_partner *partner;
    struct smpp_link *link;
    uint64_t next_attempt_ms;
    unsigned backoff_ms;
    unsigned index;
    char last_why[64]; /* the last failure, while the slot has not bound since */
    unsigned repeats;  /* the same failure again, not logged since last_log_ms */
    uint64_t last_log_ms;
    int quiet;     /* this failure was not logged: neither is the retry */
    int held;      /* with a slot gate: this node may bind the slot */
    int releasing; /* with a slot gate: given up, released once its link closed */
};

struct smpp_partner {
    TAILQ_ENTRY(smpp_partner) entry;
    struct smpp_hub *hub;
    struct smpp_partner_conf conf;
    TAILQ_HEAD(, smpp_link) links; /* bound links */
    unsigned nlinks;
    struct kp_bucket bucket;
    uint8_t auth_tag[32]; /* keyed hash of the last password verified (server mode) */
    int auth_tag_valid;
    struct smpp_client_slot *slots; /* client mode */
    unsigned nslots;
    int retired;           /* client mode: removed by a reload, slots stop reconnecting */
    uint64_t gate_next_ms; /* client mode with a slot gate: when to ask it again */
    struct smpp_partner_stats stats;
};

struct smpp_listener {
    struct evconnlistener *lev;
    struct kp_addr addr;
};

#define SMPP_HUB_MAX_LISTENERS 8
#define SMPP_HUB_COUNTERS      128 /* distinct (command, status) pairs counted */

struct smpp_hub {
    struct event_base *base;
    struct smpp_settings set;
    struct smpp_ops ops;
    smpp_slot_gate_cb gate; /* NULL: every client-mode slot binds */
    smpp_slot_release_cb gate_release;
    void *gate_arg;
    unsigned gate_period_ms;
    struct smpp_stats stats;
    TAILQ_HEAD(, smpp_link) links;
    TAILQ_HEAD(, smpp_link) dead; /* closed, freed by the reaper */
    TAILQ_HEAD(, smpp_partner) partners;
    unsigned nlinks;
    unsigned next_link_id;
    struct smpp_listener listeners[SMPP_HUB_MAX_LISTENERS];
    int nlisteners;
    struct event *reaper;
    struct kp_accept_guard *guard; /* the listeners' reserve descriptor and pause */
    struct smpp_failmap *failmap;
    struct kp_worker *worker;
    struct evdns_base *dns;
    uint8_t auth_key[32];  /* per-process key for the verified-password cache */
    struct kp_cidr *allow; /* union of enabled server-mode partners' allowlists */
    int nallow;
    int allow_any;                /* one of them allows every address */
    int allow_known;              /* loaded at least once */
    uint64_t allow_ms;            /* when it was loaded */
    char dummy_hash[128];         /* checked for binds refused before their password (server.c) */
    uint64_t now_ms;              /* time of the current loop pass */
    int gather;                   /* smpp_hub_gather(): output waits for smpp_hub_flush */
    TAILQ_HEAD(, smpp_link) outq; /* links with gathered output */
    struct smpp_pdu_count counters[SMPP_HUB_COUNTERS]; /* open addressing; command_id 0 = empty */
};

/* Count one PDU in (dir 0) or out (dir 1). */
void smpp_hub_count(struct smpp_hub *h, uint32_t command_id, uint32_t status, int dir);

/* link.c */
struct smpp_link *smpp_link_new(struct smpp_hub *h, enum smpp_role role, struct bufferevent *bev,
                                const struct sockaddr *peer, socklen_t peerlen);
void smpp_link_enter_state(struct smpp_link *l, enum smpp_link_state next);
void smpp_link_close(struct smpp_link *l, const char *why);
void smpp_link_tick(struct smpp_link *l, uint64_t now_ms);
int smpp_link_write_pdu(struct smpp_link *l, const struct smpp_pdu *pdu);
void smpp_link_write_header(struct smpp_link *l, uint32_t command_id, uint32_t status,
                            uint32_t seq);
void smpp_link_refuse(struct smpp_link *l, uint32_t command_id, uint32_t status, uint32_t seq);
void smpp_link_attach_partner(struct smpp_link *l, struct smpp_partner *p);
uint32_t smpp_link_next_seq(struct smpp_link *l);
/* Re-enable reading and process what was buffered meanwhile. */
void smpp_link_resume_read(struct smpp_link *l);
/* Send a link's gathered output now (smpp_hub_flush): one writev, the rest
   (if the socket is full) left to its bufferevent; closes the link when it
   was to close after its last response and that is all out. */
void smpp_link_flush(struct smpp_link *l);

/* server.c */
void smpp_server_bind(struct smpp_link *l, const struct smpp_pdu *bind);
/* Finish a bind once the password check is known; tag is its cache key. */
void smpp_server_auth_done(struct smpp_link *l, const struct smpp_pdu *bind, int ok,
                           const uint8_t tag[32]);

/* The link is closing: its password check's result will be dropped. */
void smpp_server_auth_cancel(struct smpp_auth_job *job);

/* client.c */
void smpp_client_connected(struct smpp_link *l);
void smpp_client_tick(struct smpp_partner *p, uint64_t now_ms);
/*
 * A client link that never bound closed for why: 1 to log it, 0 when it is
 * the same failure as last time and was logged less than
 * SMPP_CLIENT_REPEAT_LOG_MS ago; *skipped: how many were left out before
 * this one.  A dead SMSC refusing every attempt costs a line per ten
 * minutes, not one per retry.
 */
int smpp_client_note_failure(struct smpp_client_slot *slot, const char *why, uint64_t now_ms,
                             unsigned *skipped);
void smpp_client_link_closed(struct smpp_client_slot *slot, int was_bound);
void smpp_client_free_slots(struct smpp_partner *p);

/* hub.c */
struct smpp_partner *smpp_hub_partner_get(struct smpp_hub *h, const struct smpp_partner_conf *c);
void smpp_hub_link_dead(struct smpp_hub *h, struct smpp_link *l);

/* TLVs accepted in one body: a real PDU carries a handful (SMPP 3.4
   §3.2.4); more is refused with ESME_RINVOPTPARSTREAM. */
#define SMPP_PDU_TLV_MAX 16

/* sm.c: kpass's own codec for submit_sm, deliver_sm, data_sm and their
   responses (the PDUs of every USSD hop). */
/* True when sm.c encodes and decodes command_id. */
int smpp_sm_handles(uint32_t command_id);
/*
 * Decode the body of a whole PDU (len == command_length) whose header
 * smpp_pdu_decode has put in *out: 0, or -KP_ERR_PARSE with *err as
 * smpp_pdu_decode says (the same answers as libsmpp34 gives).
 */
int smpp_sm_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                   struct smpp_decode_error *err);
/*
 * Encode pdu's mandatory parameters after 16 octets left for the header;
 * *pos: the octets used.  Returns 1 when optional parameters may follow,
 * 0 when not, -KP_ERR_INVAL for a value SMPP does not allow, -KP_ERR_TOOLONG
 * when cap is too small.
 */
int smpp_sm_encode(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap, size_t *pos);

/* pdu.c, encode.c: libsmpp34 for every body, the hot PDUs included: the
   oracle that sm.c is tested against (check_smpp_diff.c, fuzz_smpp_diff.c). */
int smpp_pdu_decode_libsmpp34(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                              struct smpp_decode_error *err);
int smpp_pdu_encode_libsmpp34(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap);

/* tlv.c: where the TLVs of this body begin (after its mandatory fields),
   or 0 when the command has none or its mandatory part is cut short. */
size_t smpp_tlv_start(const uint8_t *buf, size_t len, uint32_t command_id);
/* Walk n octets of TLVs by their declared lengths into t: at most max of
   them.  0, or -KP_ERR_PARSE with err (ESME_RINVOPTPARSTREAM for a cut or
   too many, ESME_RINVPARLEN for a length its tag does not allow). */
int smpp_tlvs_parse(const uint8_t *p, size_t n, unsigned max, struct smpp_tlvs *t,
                    struct smpp_decode_error *err);
/*
 * The fields submit_sm, deliver_sm and data_sm share (SMPP 3.4 §4.4.1,
 * §4.6.1, §4.7.1), copied between our struct and libsmpp34's in either
 * direction; CSTR(dst, src) copies a C-octet string (checked when
 * encoding, lenient when decoding).
 */
#define SMPP_SM_FIELDS(dst, src, CSTR)                                                             \
    do {                                                                                           \
        CSTR((dst)->service_type, (src)->service_type);                                            \
        (dst)->source_addr_ton = (src)->source_addr_ton;                                           \
        (dst)->source_addr_npi = (src)->source_addr_npi;                                           \
        CSTR((dst)->source_addr, (src)->source_addr);                                              \
        (dst)->dest_addr_ton = (src)->dest_addr_ton;                                               \
        (dst)->dest_addr_npi = (src)->dest_addr_npi;                                               \
        CSTR((dst)->destination_addr, (src)->destination_addr);                                    \
        (dst)->esm_class = (src)->esm_class;                                                       \
        (dst)->registered_delivery = (src)->registered_delivery;                                   \
        (dst)->data_coding = (src)->data_coding;                                                   \
    } while (0)

/* The fields submit_sm and deliver_sm add (data_sm has none of them). */
#define SMPP_SHORT_SM_FIELDS(dst, src, CSTR)                                                       \
    do {                                                                                           \
        (dst)->protocol_id = (src)->protocol_id;                                                   \
        (dst)->priority_flag = (src)->priority_flag;                                               \
        CSTR((dst)->schedule_delivery_time, (src)->schedule_delivery_time);                        \
        CSTR((dst)->validity_period, (src)->validity_period);                                      \
        (dst)->replace_if_present_flag = (src)->replace_if_present_flag;                           \
        (dst)->sm_default_msg_id = (src)->sm_default_msg_id;                                       \
        (dst)->sm_length = (src)->sm_length;                                                       \
        memcpy((dst)->short_message, (src)->short_message, (src)->sm_length);                      \
    } while (0)

#endif
