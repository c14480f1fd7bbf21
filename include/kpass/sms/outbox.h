/* SPDX-License-Identifier: ISC */
/*
 * The SMS dispatcher in the daemon: sends queued messages over bound links
 * of partners that carry SMS (deliver_sm to an ESME bound to us, submit_sm
 * to an SMSC we bound to), within each link's window and each partner's
 * throughput; retries temporary failures with capped backoff; turns
 * delivery receipts into final states; expires and scrubs.
 */
#ifndef KPASS_SMS_OUTBOX_H
#define KPASS_SMS_OUTBOX_H

#include <stdint.h>

#include "kpass/core/conf.h"
#include "kpass/sms/sms.h"
#include "kpass/smpp/smpp.h"
#include "kpass/store/store.h"

struct kp_config;
struct sms_outbox;

struct sms_settings {
    char source[32];     /* our sender address, e.g. "KPASS" or "8500" (at most 20) */
    unsigned source_ton; /* 5 alphanumeric, 3 network-specific (short code), 1 international */
    unsigned source_npi; /* from source_ton: 0 for alphanumeric, else 1 (E.164) */
    struct sms_rules rules;
    enum sms_long long_mode;
    unsigned max_inflight; /* messages in flight at once, over all partners */
    unsigned validity_s;   /* default validity of informational messages */
    unsigned lease_s;      /* cluster: how long a node's claim on a message lasts unrenewed */
};

struct sms_stats {
    uint64_t sent; /* accepted by a partner */
    uint64_t delivered;
    uint64_t failed;
    uint64_t expired;
    uint64_t retried;
    uint64_t receipts;
    uint64_t recovered; /* found in flight at start: possibly sent twice */
};

/* Events the audit log wants: code messages sent and delivered. */
typedef void (*sms_audit_cb)(void *arg, const char *event, const char *subject_hex, int64_t sms_id);

/* kpassd.conf's [sms] (kpassd.conf(5)) over a struct sms_settings: its
   keys, defaults and checks; the programs add it to their configuration. */
extern const struct conf_table sms_conf_table;

struct sms_outbox *sms_outbox_new(struct store *st, struct smpp_hub *hub,
                                  const struct sms_settings *s);
void sms_outbox_free(struct sms_outbox *ob);
/*
 * A node of a cluster (store_shared()): messages are claimed under node,
 * its [daemon] node name (unique in the cluster), with a lease of [sms]
 * lease, renewed while it waits for answers; when a node's lease passes,
 * another node queues its messages again (counted as recovered).  NULL,
 * the default: the database's only node (today's path).  Copied.
 */
void sms_outbox_set_node(struct sms_outbox *ob, const char *node);
void sms_outbox_set_audit(struct sms_outbox *ob, sms_audit_cb cb, void *arg);
/*
 * The key that opens the codes sealed beside code messages (otp.h),
 * copied into guarded memory.  Without it a code message cannot be sent
 * and fails.  The code is put into the text only in memory, at dispatch.
 */
void sms_outbox_set_code_key(struct sms_outbox *ob, const uint8_t key[32]);

/* At start: put messages left in flight by a crash back in the queue
   (logged); a cluster node only its own (sms_outbox_set_node). */
int sms_outbox_recover(struct sms_outbox *ob, int64_t now);
/*
 * New messages were queued (committed): they go out at the end of this
 * event-loop pass (sms_outbox_flush), not at the next tick.  Safe inside
 * any callback: nothing is sent or written here.
 */
void sms_outbox_kick(struct sms_outbox *ob);
/*
 * The daemon calls this at the end of every event-loop pass, outside any
 * transaction and before the group commit: when messages were kicked, or
 * a link's window slot was freed while messages waited, dispatch what is
 * due.  Their SENDING marks are committed with the pass, before the PDUs
 * reach the sockets in the next pass.  Does nothing otherwise.
 */
void sms_outbox_flush(struct sms_outbox *ob, uint64_t now_ms);
/* Dispatch what is due, expire and scrub (from the housekeeping tick). */
void sms_outbox_tick(struct sms_outbox *ob, uint64_t now_ms);
/* A delivery receipt arrived on l; returns the status to answer it with. */
uint32_t sms_outbox_receipt(struct sms_outbox *ob, struct smpp_link *l, const struct sms_receipt *r,
                            int64_t now);
/* Messages handed to links and not answered yet. */
unsigned sms_outbox_inflight(const struct sms_outbox *ob);
const struct sms_stats *sms_outbox_stats(const struct sms_outbox *ob);

/* One partner's share of the dispatch events (for partner="..." labels). */
struct sms_partner_stats {
    int64_t partner_id; /* the store's partner id */
    uint64_t sent, failed, retried;
    uint64_t delivered, undelivered; /* by delivery receipt */
};
/* The per-partner rows so far (*n of them); borrowed. */
const struct sms_partner_stats *sms_outbox_partner_stats(const struct sms_outbox *ob, unsigned *n);

#endif
