/* SPDX-License-Identifier: ISC */
/*
 * The SMS dispatcher (see sms_outbox.h).  A message is marked SENDING and
 * that mark committed before its PDUs are queued on a link, so a crash can
 * only leave messages SENDING that may or may not have gone out:
 * sms_outbox_recover() re-queues and counts them (the only possible
 * duplicates).  Dispatching happens on the tick, and at the end of an
 * event-loop pass in which a message was queued or a window slot freed
 * (sms_outbox_flush), so a link runs at its window's pace, not the tick's.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/core/bucket.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/id/otp.h"
#include "kpass/sms/outbox.h"
#include "kpass/store/sms.h"

#define OB_MAX_PARTNERS 64
#define OB_BATCH        512

struct ob_pacer {
    int64_t partner_id;
    struct kp_bucket bucket;
};

struct sms_outbox {
    struct store *st;
    struct smpp_hub *hub;
    struct sms_settings set;
    struct sms_stats stats;
    struct ob_pacer pacers[OB_MAX_PARTNERS];
    unsigned npacers;
    struct sms_partner_stats pstats[OB_MAX_PARTNERS];
    unsigned npstats;
    unsigned inflight;
    int pending;       /* more may be due: dispatch again when room appears */
    int kicked;        /* dispatch at the end of this event-loop pass (sms_outbox_flush) */
    uint8_t ref;       /* the next concatenation reference to hand out */
    uint8_t *code_key; /* sodium_malloc: opens sealed codes; NULL: none given */
    unsigned rr;       /* round robin over partners */
    int64_t last_housekeeping;
    char *node;         /* a cluster node's name: claim with a lease; NULL: the only node */
    int64_t last_renew; /* when the claims' leases were last renewed */
    sms_audit_cb audit;
    void *audit_arg;
    struct store_sms due[OB_BATCH];
    struct smpp_partner *picks[OB_BATCH]; /* where due[i] goes; NULL: it failed */
    struct sms_parts parts;               /* scratch for ob_mark / ob_send */
    char text[STORE_SMS_BODY_MAX];        /* scratch: a message's whole text */
};

/* One message in flight: its parts and what came back. */
struct ob_flight {
    struct sms_outbox *ob;
    int64_t id;
    int64_t partner_id;
    int is_code;
    char subject[65];
    unsigned attempts;
    unsigned parts, answered, accepted, temp, perm;
    uint32_t status;
};

struct sms_outbox *sms_outbox_new(struct store *st, struct smpp_hub *hub,
                                  const struct sms_settings *s)
{
    struct sms_outbox *ob = kp_calloc(1, sizeof(*ob));

    ob->st = st;
    ob->hub = hub;
    ob->set = *s;
    if (ob->set.max_inflight == 0)
        ob->set.max_inflight = 1024;
    ob->pending = 1;
    /* Not 0 at every start: new messages to a phone would take the
       references of the ones sent just before a restart. */
    ob->ref = (uint8_t)randombytes_uniform(256);
    return ob;
}

void sms_outbox_free(struct sms_outbox *ob)
{
    if (ob == NULL)
        return;
    sodium_free(ob->code_key);
    free(ob->node);
    free(ob);
}

void sms_outbox_set_code_key(struct sms_outbox *ob, const uint8_t key[32])
{
    if (ob->code_key == NULL && (ob->code_key = sodium_malloc(32)) == NULL)
        fatalx("sms: cannot allocate guarded memory");
    sodium_mprotect_readwrite(ob->code_key);
    memcpy(ob->code_key, key, 32);
    sodium_mprotect_noaccess(ob->code_key);
}

/*
 * The whole text of m into ob->text: a code message's code opened and put
 * in its place, in memory only (the caller wipes ob->text and the parts
 * after sending).  Its length, or -KP_ERR_CRYPTO when the code cannot be
 * opened (no key, another key, an altered row).
 */
static int ob_text(struct sms_outbox *ob, const struct store_sms *m)
{
    char code[OTP_CODE_SIZE];
    size_t n = strlen(m->body);
    int rc;

    if (m->code_at < 0 || (size_t)m->code_at > n) {
        memcpy(ob->text, m->body, n + 1);
        return (int)n;
    }
    if (ob->code_key == NULL || n + OTP_DIGITS >= sizeof(ob->text))
        return -KP_ERR_CRYPTO;
    sodium_mprotect_readonly(ob->code_key);
    rc = otp_code_unseal(ob->code_key, m->code_box, m->msisdn, code);
    sodium_mprotect_noaccess(ob->code_key);
    if (rc < 0)
        return rc;
    memcpy(ob->text, m->body, (size_t)m->code_at);
    memcpy(ob->text + m->code_at, code, OTP_DIGITS);
    memcpy(ob->text + m->code_at + OTP_DIGITS, m->body + m->code_at, n - (size_t)m->code_at + 1);
    sodium_memzero(code, sizeof(code));
    return (int)n + OTP_DIGITS;
}

/* Forget a message's whole text and its encoded parts (the octets used:
   the parts' buffers are large). */
static void ob_wipe(struct sms_outbox *ob)
{
    sodium_memzero(ob->text, sizeof(ob->text));
    for (unsigned i = 0; i < ob->parts.n && i < SMS_MAX_PARTS; i++)
        sodium_memzero(ob->parts.data[i], ob->parts.len[i]);
    ob->parts.n = 0;
}

void sms_outbox_set_node(struct sms_outbox *ob, const char *node)
{
    free(ob->node);
    ob->node = node ? kp_strdup(node) : NULL;
}

void sms_outbox_set_audit(struct sms_outbox *ob, sms_audit_cb cb, void *arg)
{
    ob->audit = cb;
    ob->audit_arg = arg;
}

unsigned sms_outbox_inflight(const struct sms_outbox *ob)
{
    return ob->inflight;
}

const struct sms_stats *sms_outbox_stats(const struct sms_outbox *ob)
{
    return &ob->stats;
}

void sms_outbox_kick(struct sms_outbox *ob)
{
    ob->pending = 1;
    ob->kicked = 1;
}

int sms_outbox_recover(struct sms_outbox *ob, int64_t now)
{
    int n =
        ob->node ? store_sms_recover_node(ob->st, ob->node, now) : store_sms_recover(ob->st, now);

    if (n > 0) {
        ob->stats.recovered += (uint64_t)n;
        log_warnx("sms: %d message(s) were in flight when kpassd stopped; they are queued again "
                  "and may reach their recipients twice",
                  n);
    }
    return n;
}

static struct kp_bucket *ob_pacer(struct sms_outbox *ob, const struct smpp_partner_conf *c,
                                  uint64_t now_ms)
{
    for (unsigned i = 0; i < ob->npacers; i++)
        if (ob->pacers[i].partner_id == c->id)
            return &ob->pacers[i].bucket;
    if (ob->npacers == OB_MAX_PARTNERS)
        return NULL;
    struct ob_pacer *p = &ob->pacers[ob->npacers++];
    p->partner_id = c->id;
    kp_bucket_init(&p->bucket, c->throughput, c->burst, now_ms);
    return &p->bucket;
}

/* The PDU an SMS travels in to this partner (SMPP 3.4 §4.4, §4.6). */
static uint32_t ob_command(const struct smpp_partner_conf *c)
{
    return c->mode == SMPP_PARTNER_CLIENT ? SMPP_SUBMIT_SM : SMPP_DELIVER_SM;
}

/* partner_id's row of per-partner counters; a scratch row once the table is full. */
static struct sms_partner_stats *ob_pstats(struct sms_outbox *ob, int64_t partner_id)
{
    static struct sms_partner_stats spare;

    for (unsigned i = 0; i < ob->npstats; i++)
        if (ob->pstats[i].partner_id == partner_id)
            return &ob->pstats[i];
    if (ob->npstats == OB_MAX_PARTNERS)
        return &spare;
    ob->pstats[ob->npstats].partner_id = partner_id;
    return &ob->pstats[ob->npstats++];
}

const struct sms_partner_stats *sms_outbox_partner_stats(const struct sms_outbox *ob, unsigned *n)
{
    *n = ob->npstats;
    return ob->pstats;
}

/* The end of a flight into the store: a cluster node only while the
   message is still its claim (store_sms_settle). */
static int ob_settle(struct sms_outbox *ob, int64_t id, enum sms_state to, unsigned attempts,
                     int64_t next, int64_t partner_id, uint32_t status, int64_t now)
{
    if (ob->node)
        return store_sms_settle(ob->st, ob->node, id, to, attempts, next, partner_id, status, now);
    return store_sms_update(ob->st, id, to, attempts, next, partner_id, status, now);
}

static void ob_finish(struct ob_flight *f)
{
    struct sms_outbox *ob = f->ob;
    enum sms_event ev = f->perm ? SMS_EV_PERMFAIL : f->temp ? SMS_EV_TEMPFAIL : SMS_EV_ACCEPTED;
    int64_t now = kp_time_s();
    unsigned retry = 0;
    enum sms_state to = sms_next(SMS_SENDING, ev, 0, f->attempts, &ob->set.rules, &retry);

    store_batch(ob->st);
    if (ob_settle(ob, f->id, to, f->attempts, now + retry, f->partner_id, f->status, now) == 0) {
        /* Already final: a receipt for an earlier part overtook the
           response to the last one.  Or (cluster) our lease passed and
           another node took the message over: it counted the resend.
           It was accepted; nothing to retry. */
        if (to == SMS_SENT) {
            ob->stats.sent++;
            ob_pstats(ob, f->partner_id)->sent++;
        }
        ob->inflight--;
        free(f);
        return;
    }
    switch (to) {
    case SMS_SENT:
        ob->stats.sent++;
        ob_pstats(ob, f->partner_id)->sent++;
        if (f->is_code && ob->audit)
            ob->audit(ob->audit_arg, "code.sent", f->subject, f->id);
        break;
    case SMS_QUEUED:
        ob->stats.retried++;
        ob_pstats(ob, f->partner_id)->retried++;
        ob->pending = 1;
        log_debug("sms: %lld retry in %u s (%s)", (long long)f->id, retry,
                  smpp_status_name(f->status));
        break;
    default:
        ob->stats.failed++;
        ob_pstats(ob, f->partner_id)->failed++;
        log_info("sms: %lld failed: %s", (long long)f->id, smpp_status_name(f->status));
        if (f->is_code && ob->audit)
            ob->audit(ob->audit_arg, "code.undelivered", f->subject, f->id);
        break;
    }
    ob->inflight--;
    free(f);
}

static void ob_part_done(struct smpp_link *l, const struct smpp_pdu *resp, int err, void *arg)
{
    struct ob_flight *f = arg;

    (void)l;
    f->answered++;
    if (f->ob->pending)
        f->ob->kicked = 1; /* a window slot is free again: what waits goes at the pass's end */
    if (err < 0) {
        f->temp++; /* no response in time, or the link was lost */
        f->status = SMPP_ESME_RSYSERR;
    } else if (resp->command_status == 0 && resp->command_id != SMPP_GENERIC_NACK) {
        f->accepted++;
        store_batch(f->ob->st);
        store_sms_part(f->ob->st, f->id, f->accepted, f->partner_id, resp->message_id);
    } else {
        f->status = resp->command_status;
        if (sms_status_temporary(resp->command_status))
            f->temp++;
        else
            f->perm++;
    }
    if (f->answered == f->parts)
        ob_finish(f);
}

/* Fill one PDU of a message part. */
static void ob_build(const struct sms_outbox *ob, const struct smpp_partner_conf *c,
                     const char *dest, const struct sms_parts *parts, unsigned i,
                     unsigned validity_s, struct smpp_pdu *p)
{
    uint8_t ton, npi;

    smpp_pdu_init(p, ob_command(c), 0);
    memcpy(p->sm.source_addr, ob->set.source, sizeof(ob->set.source));
    p->sm.source_addr_ton = ob->set.source_ton;
    p->sm.source_addr_npi = ob->set.source_npi;
    msisdn_to_smpp(dest, &ton, &npi, p->sm.destination_addr);
    p->sm.dest_addr_ton = ton;
    p->sm.dest_addr_npi = npi;
    p->sm.data_coding = (uint8_t)parts->enc;
    if (parts->udh)
        p->sm.esm_class |= 0x40; /* UDHI, SMPP 3.4 §5.2.12 */
    if (p->command_id == SMPP_SUBMIT_SM) {
        p->sm.registered_delivery = 1; /* a receipt for the final outcome, §5.2.17 */
        /* Relative validity "YYMMDDhhmmss000R", SMPP 3.4 §7.1.1.2: days in
           DD, so that hh stays 00-23 (some SMSCs refuse 24 hours as "24"). */
        unsigned d = validity_s / 86400, h = validity_s / 3600 % 24, m = validity_s / 60 % 60,
                 sec = validity_s % 60;
        if (d > 99) {
            d = 99;
            h = 23;
            m = 59;
            sec = 59;
        }
        snprintf(p->sm.validity_period, sizeof(p->sm.validity_period), "0000%02u%02u%02u%02u000R",
                 d, h, m, sec);
    }
    if (parts->len[i] > 254) {
        p->tlv.present |= SMPP_TLV_MESSAGE_PAYLOAD;
        p->tlv.payload_len = parts->len[i];
        memcpy(p->tlv.message_payload, parts->data[i], parts->len[i]);
    } else {
        p->sm.sm_length = (uint8_t)parts->len[i];
        memcpy(p->sm.short_message, parts->data[i], parts->len[i]);
    }
}

/*
 * First half of sending: the message is marked SENDING (attempt counted)
 * with the concatenation reference its parts carry (chosen at its first
 * send and kept, so that a part sent again after a crash is the same part
 * to the phone), or FAILED if it can never be sent (its text does not
 * split, or its code cannot be opened).  1 when it is to be sent, 0 when
 * it failed.
 */
static int ob_mark(struct sms_outbox *ob, const struct smpp_partner *p, struct store_sms *m,
                   int64_t now)
{
    int n = ob_text(ob, m);
    uint32_t status = SMPP_ESME_RINVMSGLEN;

    if (n < 0)
        status = SMPP_ESME_RSYSERR;
    else if (sms_split(ob->text, (size_t)n, ob->set.long_mode, 0, &ob->parts) >= 0)
        status = 0;
    ob_wipe(ob);
    if (status != 0) {
        if (n < 0)
            log_warnx("sms: %lld: its code cannot be opened (is otp.key the one it was "
                      "sealed with?)",
                      (long long)m->id);
        store_sms_update(ob->st, m->id, SMS_FAILED, m->attempts, now, 0, status, now);
        ob->stats.failed++;
        return 0;
    }
    if (m->concat_ref < 0) {
        m->concat_ref = ob->ref++;
        store_sms_set_ref(ob->st, m->id, m->concat_ref);
    }
    store_sms_update(ob->st, m->id, SMS_SENDING, m->attempts + 1, now, smpp_partner_conf(p)->id, 0,
                     now);
    return 1;
}

/* Second half, once the marks are committed: its PDUs to partner p. */
static void ob_send(struct sms_outbox *ob, struct smpp_partner *p, const struct store_sms *m,
                    int64_t now)
{
    const struct smpp_partner_conf *c = smpp_partner_conf(p);
    struct sms_parts *parts = &ob->parts;
    struct ob_flight *f;
    unsigned validity = m->expires_at > now ? (unsigned)(m->expires_at - now) : 60;
    int n = ob_text(ob, m); /* as in ob_mark, which checked it */

    if (n < 0 ||
        sms_split(ob->text, (size_t)n, ob->set.long_mode, (uint8_t)m->concat_ref, parts) < 0) {
        ob_wipe(ob);
        return; /* cannot happen after ob_mark: left SENDING, recovered at the next start */
    }
    f = kp_calloc(1, sizeof(*f));
    f->ob = ob;
    f->id = m->id;
    f->partner_id = c->id;
    f->is_code = m->is_code;
    memcpy(f->subject, m->subject, sizeof(f->subject));
    f->attempts = m->attempts + 1;
    f->parts = parts->n;
    ob->inflight++;
    for (unsigned i = 0; i < parts->n; i++) {
        struct smpp_pdu pdu;
        ob_build(ob, c, m->msisdn, parts, i, validity, &pdu);
        int rc = smpp_partner_send(p, &pdu, ob_part_done, f);
        sodium_memzero(pdu.sm.short_message, sizeof(pdu.sm.short_message));
        sodium_memzero(pdu.tlv.message_payload, pdu.tlv.payload_len);
        if (rc < 0) {
            /* No link took it: the parts not sent count as temporary failures;
               the ones already sent finish the flight when they are answered. */
            unsigned left = parts->n - i;
            f->temp += left;
            f->answered += left;
            f->status = SMPP_ESME_RMSGQFUL;
            if (f->answered == f->parts)
                ob_finish(f);
            break;
        }
    }
    ob_wipe(ob);
}

/* Partners that carry SMS and can take one now. */
static int ob_usable(struct sms_outbox *ob, struct smpp_partner *p, uint64_t now_ms)
{
    const struct smpp_partner_conf *c = smpp_partner_conf(p);
    struct kp_bucket *b;

    (void)ob;
    if (!c->carries_sms || !c->enabled || smpp_partner_room(p) == 0)
        return 0;
    b = ob_pacer(ob, c, now_ms);
    return b == NULL || kp_bucket_take(b, now_ms);
}

/* Send what is due and fits (ob->due is reused: never re-entered; kpassd
   calls it from its tick and at the end of a pass, never from a callback). */
static void ob_dispatch(struct sms_outbox *ob, uint64_t now_ms)
{
    struct smpp_partner *parts[OB_MAX_PARTNERS];
    size_t np = smpp_hub_partners(ob->hub, parts, OB_MAX_PARTNERS);
    int64_t now = kp_time_s();
    unsigned room = 0, want, npicks = 0;
    int n;

    for (size_t i = 0; i < np; i++) {
        const struct smpp_partner_conf *c = smpp_partner_conf(parts[i]);
        if (c->carries_sms && c->enabled)
            room += smpp_partner_room(parts[i]);
    }
    if (room == 0 || ob->inflight >= ob->set.max_inflight)
        return;
    want = ob->set.max_inflight - ob->inflight;
    if (want > room)
        want = room;
    if (want > OB_BATCH)
        want = OB_BATCH;
    store_batch(ob->st);
    if (ob->node)
        n = store_sms_claim(ob->st, ob->node, now, now + ob->set.lease_s, ob->due, (int)want);
    else
        n = store_sms_due(ob->st, now, ob->due, (int)want);
    ob->pending = n == (int)want; /* a full batch: there may be more */
    for (int i = 0; i < n; i++) {
        struct smpp_partner *chosen = NULL;
        for (size_t k = 0; k < np && chosen == NULL; k++) {
            struct smpp_partner *p = parts[(ob->rr + k) % np];
            if (ob_usable(ob, p, now_ms))
                chosen = p;
        }
        if (chosen == NULL) {
            ob->pending = 1; /* throttled or full: the rest waits for the next tick */
            break;
        }
        ob->rr++;
        ob->picks[npicks] = ob_mark(ob, chosen, &ob->due[i], now) ? chosen : NULL;
        npicks++;
    }
    /* Claimed but no partner could take them now: back in the queue, as
       they were, or they would wait for the lease under this node's renewals. */
    for (int i = (int)npicks; ob->node && i < n; i++)
        store_sms_settle(ob->st, ob->node, ob->due[i].id, SMS_QUEUED, ob->due[i].attempts,
                         ob->due[i].next_attempt_at, 0, ob->due[i].last_status, now);
    /* Commit the marks before any PDU is written: whatever may have gone
       out is SENDING in the file, so that after a crash recovery counts
       every possible duplicate.  (A write event already active in this
       event-loop pass could otherwise send them before the daemon's
       end-of-pass commit.) */
    if (npicks > 0)
        store_flush(ob->st);
    for (unsigned i = 0; i < npicks; i++)
        if (ob->picks[i] != NULL)
            ob_send(ob, ob->picks[i], &ob->due[i], now);
}

/*
 * A cluster node's leases, once a second: renew its own while it waits
 * for answers (at a third of the lease, so that two renewals may fail
 * before it passes), and put back in the queue the messages of a node
 * whose lease passed (it died, or lost the database).  Those may have
 * reached the SMSC already: they are counted as recovered, the only
 * possible duplicates, as at a single node's start.
 */
static void ob_leases(struct sms_outbox *ob, int64_t now)
{
    int n;

    if (ob->inflight > 0 && now - ob->last_renew >= ob->set.lease_s / 3) {
        if (store_sms_renew(ob->st, ob->node, now, now + ob->set.lease_s) == 0)
            ob->last_renew = now;
    }
    n = store_sms_takeover(ob->st, now);
    if (n > 0) {
        ob->stats.recovered += (uint64_t)n;
        log_warnx("sms: node %s: %d message(s) of a node whose lease passed are queued again "
                  "and may reach their recipients twice",
                  ob->node, n);
    }
}

void sms_outbox_tick(struct sms_outbox *ob, uint64_t now_ms)
{
    int64_t now = kp_time_s();

    if (now != ob->last_housekeeping) {
        int n;
        ob->last_housekeeping = now;
        store_batch(ob->st);
        n = store_sms_expire(ob->st, now);
        if (n > 0) {
            ob->stats.expired += (uint64_t)n;
            log_info("sms: %d message(s) expired before they could be sent", n);
        }
        store_sms_scrub(ob->st, now);
        if (ob->node)
            ob_leases(ob, now);
        ob->pending = 1; /* retries come due with time */
    }
    if (ob->pending)
        ob_dispatch(ob, now_ms);
}

void sms_outbox_flush(struct sms_outbox *ob, uint64_t now_ms)
{
    if (!ob->kicked)
        return;
    ob->kicked = 0;
    if (ob->pending)
        ob_dispatch(ob, now_ms);
}

uint32_t sms_outbox_receipt(struct sms_outbox *ob, struct smpp_link *l, const struct sms_receipt *r,
                            int64_t now)
{
    const struct smpp_partner *p = smpp_link_partner(l);
    struct store_sms m;
    enum sms_state to;
    unsigned retry;

    ob->stats.receipts++;
    if (p == NULL ||
        store_sms_by_message_id(ob->st, smpp_partner_conf(p)->id, r->message_id, &m) < 0) {
        /* On a cluster the node that sent the message may not have
           committed its message_id yet (the receipt overtook it to another
           node): a temporary error makes the SMSC offer it again.  On one
           node the id was committed before the receipt could be read:
           acknowledged, as a refusal would only make the SMSC resend it. */
        if (ob->node) {
            log_info("sms: node %s: receipt for a message_id not known (yet) on link %u", ob->node,
                     smpp_link_id(l));
            return SMPP_ESME_RX_T_APPN;
        }
        log_info("sms: receipt for unknown message_id on link %u", smpp_link_id(l));
        return SMPP_ESME_ROK;
    }
    to = sms_next(m.state, SMS_EV_RECEIPT, r->state, m.attempts, &ob->set.rules, &retry);
    if (to == m.state)
        return SMPP_ESME_ROK;
    store_batch(ob->st);
    store_sms_update(ob->st, m.id, to, m.attempts, m.next_attempt_at, 0, m.last_status, now);
    struct sms_partner_stats *ps = ob_pstats(ob, smpp_partner_conf(p)->id);
    if (to == SMS_DELIVERED)
        ob->stats.delivered++;
    else if (to == SMS_EXPIRED)
        ob->stats.expired++;
    else
        ob->stats.failed++;
    if (to == SMS_DELIVERED)
        ps->delivered++;
    else
        ps->undelivered++;
    if (m.is_code && ob->audit)
        ob->audit(ob->audit_arg, to == SMS_DELIVERED ? "code.delivered" : "code.undelivered",
                  m.subject, m.id);
    store_sms_scrub(ob->st, now);
    log_debug("sms: %lld %s by receipt", (long long)m.id, sms_state_name(to));
    return SMPP_ESME_ROK;
}

/* ---- [sms] in kpassd.conf ---- */

/* CONF_CHOICE writes an int. */
_Static_assert(sizeof(enum sms_long) == sizeof(int), "long_mode is written as an int");

#define SMS_OFF(f) offsetof(struct sms_settings, f)
#define SMS_MS_DAY (24u * 3600u * 1000u)

static const char *const sms_longs[] = {"udh", "payload", NULL};

/* Duration bounds in milliseconds, as kpassd.conf(5) states them. */
static const struct conf_key sms_conf_keys[] = {
    {"sms", "source", CONF_TEXT, SMS_OFF(source), 0, sizeof(((struct sms_settings *)0)->source),
     NULL, 0},
    {"sms", "source_ton", CONF_UINT, SMS_OFF(source_ton), 0, 6, NULL, 0},
    {"sms", "max_attempts", CONF_UINT, SMS_OFF(rules.max_attempts), 1, 1000, NULL, 0},
    {"sms", "retry_min", CONF_SECONDS, SMS_OFF(rules.backoff_min_s), 1000, SMS_MS_DAY, NULL, 0},
    {"sms", "retry_max", CONF_SECONDS, SMS_OFF(rules.backoff_max_s), 1000, SMS_MS_DAY, NULL, 0},
    {"sms", "long_messages", CONF_CHOICE, SMS_OFF(long_mode), 0, 0, sms_longs, 0},
    {"sms", "max_inflight", CONF_UINT, SMS_OFF(max_inflight), 1, 100000, NULL, 0},
    {"sms", "validity", CONF_SECONDS, SMS_OFF(validity_s), 60000, 7u * SMS_MS_DAY, NULL, 0},
    {"sms", "lease", CONF_SECONDS, SMS_OFF(lease_s), 3000, 3600000, NULL, 0},
};

static void sms_conf_defaults(void *set)
{
    struct sms_settings *s = set;
    static const struct sms_rules rules = SMS_RULES_DEFAULT;

    memset(s, 0, sizeof(*s));
    snprintf(s->source, sizeof(s->source), "KPASS");
    s->source_ton = 5;
    s->source_npi = 0;
    s->rules = rules;
    s->long_mode = SMS_LONG_UDH;
    s->max_inflight = 1024;
    s->validity_s = 24u * 3600u;
    s->lease_s = 30;
}

/* The sender fits its type of number (SMPP 3.4 §5.2.8: 11 alphanumeric
   characters in GSM 03.38, 20 digits otherwise); the retry delays are in
   order; the numbering plan follows the type. */
static void sms_conf_check(void *set, struct conf_report *r)
{
    struct sms_settings *s = set;

    if (strlen(s->source) > 20 || (s->source_ton == 5 && strlen(s->source) > 11))
        conf_report(r, conf_report_line(r, "source"),
                    "source: at most 11 characters alphanumeric (TON 5), 20 digits otherwise");
    if (s->rules.backoff_min_s > s->rules.backoff_max_s)
        conf_report(r, conf_report_line(r, "retry_min"), "retry_min is larger than retry_max");
    s->source_npi = s->source_ton == 5 ? 0 : 1;
}

const struct conf_table sms_conf_table = {"sms", sms_conf_keys, KP_ARRAY_LEN(sms_conf_keys),
                                          sms_conf_defaults, sms_conf_check};
