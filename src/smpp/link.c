/* SPDX-License-Identifier: ISC */
/*
 * One SMPP link: its bufferevent, its state (changed only in
 * smpp_link_enter_state, which logs old -> new), reading and framing PDUs,
 * answering every request exactly once, the window of our own outstanding
 * requests with their response timers, and teardown (smpp_link_close).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "kpass/core/addr.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/fsm.h"
#include "smpp_internal.h"

static const char *const link_state_names[] = {
    [SMPP_LINK_OPEN] = "OPEN",           [SMPP_LINK_BINDING] = "BINDING",
    [SMPP_LINK_BOUND_TX] = "BOUND_TX",   [SMPP_LINK_BOUND_RX] = "BOUND_RX",
    [SMPP_LINK_BOUND_TRX] = "BOUND_TRX", [SMPP_LINK_UNBINDING] = "UNBINDING",
    [SMPP_LINK_UNBOUND] = "UNBOUND",     [SMPP_LINK_CLOSED] = "CLOSED",
};

const char *smpp_link_state_name(enum smpp_link_state s)
{
    return (unsigned)s < KP_ARRAY_LEN(link_state_names) ? link_state_names[s] : "?";
}

static void link_read_cb(struct bufferevent *bev, void *arg);
static void link_write_cb(struct bufferevent *bev, void *arg);
static void link_event_cb(struct bufferevent *bev, short what, void *arg);

struct smpp_link *smpp_link_new(struct smpp_hub *h, enum smpp_role role, struct bufferevent *bev,
                                const struct sockaddr *peer, socklen_t peerlen)
{
    struct smpp_link *l = kp_calloc(1, sizeof(*l));
    unsigned cap = 4;

    while (cap < h->set.window * 2u)
        cap *= 2;
    l->hub = h;
    l->id = ++h->next_link_id;
    l->role = role;
    l->state = SMPP_LINK_OPEN;
    l->bev = bev;
    l->ring = kp_calloc(cap, sizeof(*l->ring));
    l->ring_cap = cap;
    l->next_seq = 1;
    l->opened_ms = l->last_rx_ms = h->now_ms;
    TAILQ_INIT(&l->queue);
    if (peer && peerlen <= sizeof(l->peer)) {
        memcpy(&l->peer, peer, peerlen);
        l->peerlen = peerlen;
        kp_addr_ntop(peer, l->peer_text, sizeof(l->peer_text));
    } else {
        strcpy(l->peer_text, "?");
    }
    TAILQ_INSERT_TAIL(&h->links, l, hub_entry);
    h->nlinks++;
    h->stats.links_opened++;
    bufferevent_setcb(bev, link_read_cb, link_write_cb, link_event_cb, l);
    /* A whole window of requests in one read: USSD PDUs are under 256
       octets (libevent's default is 16384 a read). */
    if (h->set.window * 256u > 16384u)
        bufferevent_set_max_single_read(bev, h->set.window * 256u);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return l;
}

void smpp_link_enter_state(struct smpp_link *l, enum smpp_link_state next)
{
    if (l->state == next)
        return;
    log_debug("smpp: link %u %s -> %s", l->id, link_state_names[l->state], link_state_names[next]);
    l->state = next;
}

unsigned smpp_link_id(const struct smpp_link *l)
{
    return l->id;
}

enum smpp_link_state smpp_link_state(const struct smpp_link *l)
{
    return l->state;
}

enum smpp_role smpp_link_role(const struct smpp_link *l)
{
    return l->role;
}

struct smpp_partner *smpp_link_partner(const struct smpp_link *l)
{
    return l->partner;
}

int smpp_link_may_send(const struct smpp_link *l, uint32_t command_id)
{
    return smpp_fsm_may_send(l->role, l->state, command_id);
}

uint32_t smpp_link_next_seq(struct smpp_link *l)
{
    uint32_t s = l->next_seq;

    /* SMPP 3.4 §5.1.4: 0x00000001..0x7FFFFFFF, then wrap to 1. */
    l->next_seq = s >= SMPP_SEQ_MAX ? 1 : s + 1;
    return s;
}

void smpp_link_attach_partner(struct smpp_link *l, struct smpp_partner *p)
{
    l->partner = p;
    if (!l->in_partner) {
        TAILQ_INSERT_TAIL(&p->links, l, partner_entry);
        p->nlinks++;
        l->in_partner = 1;
    }
}

static void link_detach_partner(struct smpp_link *l)
{
    if (l->in_partner) {
        TAILQ_REMOVE(&l->partner->links, l, partner_entry);
        l->partner->nlinks--;
        l->in_partner = 0;
    }
}

/* ---- output ---- */

/* The buffer gathered output waits in (smpp_hub_gather), l queued for the flush. */
static struct kp_buf *link_out(struct smpp_link *l)
{
    if (!l->in_outq) {
        TAILQ_INSERT_TAIL(&l->hub->outq, l, out_entry);
        l->in_outq = 1;
    }
    return &l->out;
}

#define LINK_OUT_KEEP (256 * 1024) /* a gathered buffer larger than this is let go */

/*
 * Write b to the socket as far as it takes it (the bufferevent's own
 * output is empty); the rest, or all of it after an error, goes to the
 * bufferevent, which writes it when writable or reports the error.
 */
static void link_out_write(struct smpp_link *l, const struct kp_buf *b)
{
    size_t done = 0;
    ssize_t n;

    while (done < b->len) {
        n = write(bufferevent_getfd(l->bev), b->data + done, b->len - done);
        if (n > 0)
            done += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break; /* EAGAIN: the rest when writable; an error: the bufferevent sees it */
    }
    if (done < b->len)
        bufferevent_write(l->bev, b->data + done, b->len - done);
}

void smpp_link_flush(struct smpp_link *l)
{
    struct evbuffer *o;

    if (l->in_outq) {
        TAILQ_REMOVE(&l->hub->outq, l, out_entry);
        l->in_outq = 0;
    }
    if (l->out.len == 0)
        return;
    if (l->bev != NULL) {
        o = bufferevent_get_output(l->bev);
        /* Straight to the socket unless older output still waits there. */
        if (evbuffer_get_length(o) == 0)
            link_out_write(l, &l->out);
        else
            bufferevent_write(l->bev, l->out.data, l->out.len);
    }
    if (l->out.cap > LINK_OUT_KEEP)
        kp_buf_free(&l->out);
    else
        kp_buf_reset(&l->out);
    if (l->bev != NULL && l->close_after_flush &&
        evbuffer_get_length(bufferevent_get_output(l->bev)) == 0)
        smpp_link_close(l, l->state == SMPP_LINK_UNBOUND ? "unbound" : "closed after response");
}

static void link_write(struct smpp_link *l, const uint8_t *buf, size_t len)
{
    if (l->bev == NULL)
        return;
    if (l->holding)
        kp_buf_append(&l->held, buf, len);
    else if (l->hub->gather)
        kp_buf_append(link_out(l), buf, len);
    else
        bufferevent_write(l->bev, buf, len);
    l->hub->stats.pdus_out++;
    if (l->partner)
        l->partner->stats.pdus_out++;
    smpp_hub_count(l->hub, (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | buf[6] << 8 | buf[7],
                   (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | buf[10] << 8 | buf[11], 1);
}

void smpp_link_write_header(struct smpp_link *l, uint32_t command_id, uint32_t status, uint32_t seq)
{
    uint8_t b[SMPP_HEADER_LEN];

    smpp_pdu_encode_header(b, command_id, status, seq);
    link_write(l, b, sizeof(b));
    if (command_id == SMPP_GENERIC_NACK)
        l->hub->stats.nacks_sent++;
}

int smpp_link_write_pdu(struct smpp_link *l, const struct smpp_pdu *pdu)
{
    uint8_t buf[SMPP_PDU_MAX + 1];
    int n = smpp_pdu_encode(pdu, buf, sizeof(buf));

    if (n < 0) {
        log_warnx("smpp: link %u cannot encode %s: %s", l->id, smpp_command_name(pdu->command_id),
                  kp_strerror(n));
        return n;
    }
    link_write(l, buf, (size_t)n);
    return 0;
}

/* Answer a request with its own *_resp carrying only a status (a refusal). */
void smpp_link_refuse(struct smpp_link *l, uint32_t command_id, uint32_t status, uint32_t seq)
{
    struct smpp_pdu resp;
    uint32_t rid = smpp_resp_id(command_id);

    if (smpp_command_header_only(rid)) {
        smpp_link_write_header(l, rid, status, seq);
        return;
    }
    smpp_pdu_init(&resp, rid, seq);
    resp.command_status = status;
    if (command_id == SMPP_BIND_TRANSMITTER || command_id == SMPP_BIND_RECEIVER ||
        command_id == SMPP_BIND_TRANSCEIVER)
        smpp_strlcpy(resp.bind.system_id, sizeof(resp.bind.system_id), l->hub->set.system_id);
    if (smpp_link_write_pdu(l, &resp) < 0)
        smpp_link_write_header(l, SMPP_GENERIC_NACK, status, seq);
}

/* ---- the window of our outstanding requests ---- */

static void link_pending_pop_done(struct smpp_link *l)
{
    while (l->ring_count && l->ring[l->ring_head].done) {
        l->ring_head = (l->ring_head + 1) & (l->ring_cap - 1);
        l->ring_count--;
    }
}

/* Put an encoded request on the wire now (window room is known to exist). */
static void link_transmit(struct smpp_link *l, uint8_t *pdu, size_t len, uint32_t command_id,
                          smpp_resp_cb cb, void *arg)
{
    uint32_t seq = smpp_link_next_seq(l);
    struct smpp_pending *p;

    pdu[12] = (uint8_t)(seq >> 24);
    pdu[13] = (uint8_t)(seq >> 16);
    pdu[14] = (uint8_t)(seq >> 8);
    pdu[15] = (uint8_t)seq;
    p = &l->ring[(l->ring_head + l->ring_count) & (l->ring_cap - 1)];
    p->seq = seq;
    p->command_id = command_id;
    p->deadline_ms = l->hub->now_ms + l->hub->set.response_ms;
    p->cb = cb;
    p->arg = arg;
    p->done = 0;
    l->ring_count++;
    l->outstanding++;
    link_write(l, pdu, len);
}

static int link_has_room(const struct smpp_link *l)
{
    return l->outstanding < l->hub->set.window && l->ring_count < l->ring_cap;
}

/* Move queued requests into the window while there is room. */
static void link_drain_queue(struct smpp_link *l)
{
    struct smpp_queued *q;

    while ((q = TAILQ_FIRST(&l->queue)) != NULL && link_has_room(l) &&
           l->state != SMPP_LINK_CLOSED) {
        TAILQ_REMOVE(&l->queue, q, entry);
        l->queued--;
        link_transmit(l, q->pdu, q->len, q->command_id, q->cb, q->arg);
        free(q);
    }
}

int smpp_link_send(struct smpp_link *l, struct smpp_pdu *pdu, smpp_resp_cb cb, void *arg)
{
    uint8_t buf[SMPP_PDU_MAX + 1];
    int n;

    if (l->state == SMPP_LINK_CLOSED || l->close_after_flush)
        return -KP_ERR_CLOSED;
    if (!smpp_link_may_send(l, pdu->command_id))
        return -KP_ERR_STATE;
    if (!link_has_room(l) && l->queued >= l->hub->set.send_queue_max)
        return -KP_ERR_BUSY;
    pdu->sequence_number = 1; /* placeholder, patched at transmit */
    n = smpp_pdu_encode(pdu, buf, sizeof(buf));
    if (n < 0)
        return n;
    if (link_has_room(l) && TAILQ_EMPTY(&l->queue)) {
        link_transmit(l, buf, (size_t)n, pdu->command_id, cb, arg);
        return 0;
    }
    struct smpp_queued *q = kp_malloc(sizeof(*q) + (size_t)n);
    q->cb = cb;
    q->arg = arg;
    q->command_id = pdu->command_id;
    q->len = (size_t)n;
    memcpy(q->pdu, buf, (size_t)n);
    TAILQ_INSERT_TAIL(&l->queue, q, entry);
    l->queued++;
    return 0;
}

/* Match a response to our request; unknown sequence numbers are logged and dropped. */
static void link_match_response(struct smpp_link *l, const struct smpp_pdu *resp)
{
    for (unsigned i = 0; i < l->ring_count; i++) {
        struct smpp_pending *p = &l->ring[(l->ring_head + i) & (l->ring_cap - 1)];
        if (p->done || p->seq != resp->sequence_number)
            continue;
        if (resp->command_id != SMPP_GENERIC_NACK &&
            resp->command_id != smpp_resp_id(p->command_id)) {
            log_warnx("smpp: link %u %s for seq %u, which was a %s", l->id,
                      smpp_command_name(resp->command_id), resp->sequence_number,
                      smpp_command_name(p->command_id));
        }
        p->done = 1;
        l->outstanding--;
        link_pending_pop_done(l);
        if (p->cb)
            p->cb(l, resp, 0, p->arg);
        link_drain_queue(l);
        return;
    }
    log_debug("smpp: link %u %s seq %u matches no request", l->id,
              smpp_command_name(resp->command_id), resp->sequence_number);
}

/* ---- input ---- */

static void link_on_enquire_resp(struct smpp_link *l, const struct smpp_pdu *resp, int err,
                                 void *arg)
{
    (void)resp;
    (void)arg;
    if (err == -KP_ERR_TIMEOUT)
        smpp_link_close(l, "no answer to enquire_link");
}

static void link_request(struct smpp_link *l, const struct smpp_pdu *req)
{
    struct smpp_hub *h = l->hub;
    struct smpp_pdu resp;
    uint32_t status;

    if (l->partner && !kp_bucket_take(&l->partner->bucket, h->now_ms)) {
        h->stats.throttled++;
        l->partner->stats.throttled++;
        smpp_link_refuse(l, req->command_id, SMPP_ESME_RTHROTTLED, req->sequence_number);
        return;
    }
    smpp_pdu_init(&resp, smpp_resp_id(req->command_id), req->sequence_number);
    /* A USSD screen sent in answer to this request goes after its
       response: gateways match the two in that order. */
    l->holding = 1;
    status = h->ops.on_request ? h->ops.on_request(h->ops.arg, l, req, &resp) : SMPP_ESME_RSYSERR;
    l->holding = 0;
    resp.command_status = status;
    if (status != SMPP_ESME_ROK)
        resp.message_id[0] = '\0';
    if (smpp_link_write_pdu(l, &resp) < 0)
        smpp_link_write_header(l, SMPP_GENERIC_NACK, SMPP_ESME_RSYSERR, req->sequence_number);
    if (l->held.len > 0) {
        if (l->bev && h->gather)
            kp_buf_append(link_out(l), l->held.data, l->held.len);
        else if (l->bev)
            bufferevent_write(l->bev, l->held.data, l->held.len);
        kp_buf_reset(&l->held);
    }
}

static void link_unbind_received(struct smpp_link *l, const struct smpp_pdu *req)
{
    smpp_link_write_header(l, SMPP_UNBIND_RESP, SMPP_ESME_ROK, req->sequence_number);
    log_info("smpp: link %u unbound by peer", l->id);
    smpp_link_enter_state(l, SMPP_LINK_UNBOUND);
    l->close_after_flush = 1;
    bufferevent_disable(l->bev, EV_READ);
}

/* Handle one whole PDU of len octets. */
static void link_dispatch(struct smpp_link *l, const uint8_t *buf, size_t len)
{
    struct smpp_pdu pdu;
    struct smpp_decode_error err;
    struct smpp_fsm_result v;
    int rc;

    l->hub->stats.pdus_in++;
    if (l->partner)
        l->partner->stats.pdus_in++;
    l->last_rx_ms = l->hub->now_ms;
    rc = smpp_pdu_decode(buf, len, &pdu, &err);
    if (smpp_command_name(pdu.command_id))
        smpp_hub_count(l->hub, pdu.command_id, pdu.command_status, 0);
    if (rc < 0) {
        if (smpp_is_resp(pdu.command_id)) {
            /* A response whose body we cannot read still answers our request. */
            log_debug("smpp: link %u undecodable %s body", l->id,
                      smpp_command_name(pdu.command_id) ? smpp_command_name(pdu.command_id)
                                                        : "response");
            if (smpp_command_name(pdu.command_id))
                link_match_response(l, &pdu);
            return;
        }
        log_info("smpp: link %u refused a PDU (command_id 0x%08x): %s", l->id, pdu.command_id,
                 smpp_status_name(err.status));
        if (err.nack)
            smpp_link_write_header(l, SMPP_GENERIC_NACK, err.status, pdu.sequence_number);
        else
            smpp_link_refuse(l, pdu.command_id, err.status, pdu.sequence_number);
        return;
    }
    v = smpp_fsm_classify(l->role, l->state, pdu.command_id);
    switch (v.verdict) {
    case SMPP_FSM_ACCEPT:
        link_request(l, &pdu);
        break;
    case SMPP_FSM_BIND:
        smpp_server_bind(l, &pdu);
        break;
    case SMPP_FSM_UNBIND:
        link_unbind_received(l, &pdu);
        break;
    case SMPP_FSM_ENQUIRE:
        smpp_link_write_header(l, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, pdu.sequence_number);
        break;
    case SMPP_FSM_RESPONSE:
        link_match_response(l, &pdu);
        break;
    case SMPP_FSM_REFUSE:
        log_debug("smpp: link %u refused %s in %s: %s", l->id, smpp_command_name(pdu.command_id),
                  link_state_names[l->state], smpp_status_name(v.status));
        smpp_link_refuse(l, pdu.command_id, v.status, pdu.sequence_number);
        break;
    case SMPP_FSM_NACK:
        smpp_link_write_header(l, SMPP_GENERIC_NACK, v.status, pdu.sequence_number);
        break;
    case SMPP_FSM_IGNORE:
        log_debug("smpp: link %u ignored %s", l->id,
                  smpp_command_name(pdu.command_id) ? smpp_command_name(pdu.command_id) : "?");
        break;
    }
}

static void link_read_cb(struct bufferevent *bev, void *arg)
{
    struct smpp_link *l = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct smpp_hdr h;

    l->hub->now_ms = kp_clock_ms();
    while (l->state != SMPP_LINK_CLOSED && !l->close_after_flush && l->auth_job == NULL) {
        size_t avail = evbuffer_get_length(in);
        uint8_t *p;
        int n;

        if (avail < SMPP_HEADER_LEN)
            return;
        p = evbuffer_pullup(in, SMPP_HEADER_LEN);
        n = smpp_frame_check(p, avail, &h);
        if (n < 0) {
            /* DESIGN §3: generic_nack, then close; the stream cannot be re-synchronised. */
            log_info("smpp: link %u command_length %u out of bounds, closing", l->id,
                     h.command_length);
            smpp_link_write_header(l, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, h.sequence_number);
            l->close_after_flush = 1;
            bufferevent_disable(bev, EV_READ);
            return;
        }
        if (avail < (size_t)n)
            return;
        p = evbuffer_pullup(in, n);
        link_dispatch(l, p, (size_t)n);
        if (l->state == SMPP_LINK_CLOSED)
            return; /* the buffer went with the link */
        evbuffer_drain(in, (size_t)n);
    }
}

void smpp_link_resume_read(struct smpp_link *l)
{
    if (l->state == SMPP_LINK_CLOSED || l->bev == NULL)
        return;
    bufferevent_enable(l->bev, EV_READ);
    /* PDUs that arrived while reading was paused are already buffered. */
    link_read_cb(l->bev, l);
}

static void link_write_cb(struct bufferevent *bev, void *arg)
{
    struct smpp_link *l = arg;

    (void)bev;
    if (l->close_after_flush)
        smpp_link_close(l, l->state == SMPP_LINK_UNBOUND ? "unbound" : "closed after response");
}

static void link_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct smpp_link *l = arg;

    (void)bev;
    l->hub->now_ms = kp_clock_ms();
    if (what & BEV_EVENT_CONNECTED) {
        if (l->slot)
            smpp_client_connected(l);
        return;
    }
    if (what & BEV_EVENT_EOF)
        smpp_link_close(l, "peer closed the connection");
    else if (what & BEV_EVENT_ERROR)
        smpp_link_close(l, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* ---- teardown and timers ---- */

void smpp_link_close(struct smpp_link *l, const char *why)
{
    struct smpp_hub *h = l->hub;
    int was_bound = smpp_fsm_is_bound(l->state) || l->state == SMPP_LINK_UNBINDING ||
                    l->state == SMPP_LINK_UNBOUND;
    struct smpp_queued *q;

    unsigned skipped = 0;

    if (l->state == SMPP_LINK_CLOSED)
        return;
    /* Our own binds that keep failing the same way are logged once in a while. */
    if (l->slot == NULL || was_bound ||
        smpp_client_note_failure(l->slot, why, h->now_ms, &skipped)) {
        if (l->slot && !was_bound)
            log_warnx("smpp: link %u to %s:%u (%s) failed: %s (%u more like it not logged)", l->id,
                      l->slot->partner->conf.host, l->slot->partner->conf.port,
                      l->slot->partner->conf.system_id, why, skipped);
        else if (l->slot == NULL && !was_bound && l->partner == NULL)
            /* A connection that never bound: anyone can open those by the
               thousand, so they must not write a line each (log flooding). */
            log_debug("smpp: link %u (%s) closed before a bind: %s", l->id, l->peer_text, why);
        else
            log_info("smpp: link %u (%s%s%s) closed: %s", l->id, l->peer_text,
                     l->partner ? ", " : "", l->partner ? l->partner->conf.system_id : "", why);
    }
    smpp_link_enter_state(l, SMPP_LINK_CLOSED);
    if (l->in_outq) {
        TAILQ_REMOVE(&h->outq, l, out_entry);
        l->in_outq = 0;
    }
    if (l->auth_job) {
        smpp_server_auth_cancel(l->auth_job);
        l->auth_job = NULL;
    }
    if (l->bev) {
        bufferevent_free(l->bev);
        l->bev = NULL;
    }
    if (was_bound && h->ops.on_closed)
        h->ops.on_closed(h->ops.arg, l);
    /* Every request we sent gets its callback, once. */
    while (l->ring_count) {
        struct smpp_pending *p = &l->ring[l->ring_head];
        l->ring_head = (l->ring_head + 1) & (l->ring_cap - 1);
        l->ring_count--;
        if (!p->done && p->cb)
            p->cb(l, NULL, -KP_ERR_CLOSED, p->arg);
    }
    l->outstanding = 0;
    while ((q = TAILQ_FIRST(&l->queue)) != NULL) {
        TAILQ_REMOVE(&l->queue, q, entry);
        if (q->cb)
            q->cb(l, NULL, -KP_ERR_CLOSED, q->arg);
        free(q);
    }
    l->queued = 0;
    if (l->partner)
        link_detach_partner(l);
    if (l->slot)
        smpp_client_link_closed(l->slot, was_bound);
    l->slot = NULL;
    smpp_hub_link_dead(h, l);
}

/* Fail requests whose response timer ran out (SMPP 3.4 §7.2 response_timer). */
static void link_expire_pending(struct smpp_link *l, uint64_t now_ms)
{
    for (unsigned i = 0; i < l->ring_count && l->state != SMPP_LINK_CLOSED; i++) {
        struct smpp_pending *p = &l->ring[(l->ring_head + i) & (l->ring_cap - 1)];
        if (p->done || p->deadline_ms > now_ms)
            continue;
        p->done = 1;
        l->outstanding--;
        l->hub->stats.timeouts++;
        if (l->partner)
            l->partner->stats.timeouts++;
        log_info("smpp: link %u no response to %s seq %u", l->id, smpp_command_name(p->command_id),
                 p->seq);
        if (p->cb)
            p->cb(l, NULL, -KP_ERR_TIMEOUT, p->arg);
    }
    if (l->state != SMPP_LINK_CLOSED) {
        link_pending_pop_done(l);
        link_drain_queue(l);
    }
}

void smpp_link_tick(struct smpp_link *l, uint64_t now_ms)
{
    const struct smpp_settings *s = &l->hub->set;

    if (l->state == SMPP_LINK_CLOSED)
        return;
    /* SMPP 3.4 §7.2 session_init_timer; for our own binds it also bounds the connect. */
    if (l->state == SMPP_LINK_OPEN && now_ms >= l->opened_ms + s->session_init_ms) {
        smpp_link_close(l, "not bound within session_init_timeout");
        return;
    }
    if (l->state == SMPP_LINK_UNBINDING && now_ms >= l->unbind_deadline_ms) {
        smpp_link_close(l, "no unbind_resp in time");
        return;
    }
    link_expire_pending(l, now_ms);
    if (l->state == SMPP_LINK_CLOSED || !smpp_fsm_is_bound(l->state))
        return;
    if (s->inactivity_ms && now_ms >= l->last_rx_ms + s->inactivity_ms) {
        log_info("smpp: link %u inactive for %u ms, unbinding", l->id, s->inactivity_ms);
        smpp_link_unbind(l);
        return;
    }
    /* SMPP 3.4 §4.11: probe a quiet link; a missing answer closes it. */
    if (now_ms >= l->last_rx_ms + s->enquire_link_ms &&
        now_ms >= l->last_enquire_ms + s->enquire_link_ms) {
        struct smpp_pdu e;
        smpp_pdu_init(&e, SMPP_ENQUIRE_LINK, 0);
        l->last_enquire_ms = now_ms;
        smpp_link_send(l, &e, link_on_enquire_resp, NULL);
    }
}

static void link_on_unbind_resp(struct smpp_link *l, const struct smpp_pdu *resp, int err,
                                void *arg)
{
    (void)arg;
    if (l->state == SMPP_LINK_CLOSED)
        return;
    smpp_link_enter_state(l, SMPP_LINK_UNBOUND);
    smpp_link_close(l, resp && err == 0 ? "unbind answered" : "unbind not answered");
}

void smpp_link_unbind(struct smpp_link *l)
{
    struct smpp_pdu u;

    if (!smpp_fsm_is_bound(l->state)) {
        if (l->state != SMPP_LINK_CLOSED && l->state != SMPP_LINK_UNBINDING)
            smpp_link_close(l, "closed before bind");
        return;
    }
    smpp_pdu_init(&u, SMPP_UNBIND, 0);
    if (smpp_link_send(l, &u, link_on_unbind_resp, NULL) < 0) {
        smpp_link_close(l, "cannot send unbind");
        return;
    }
    l->unbind_deadline_ms = l->hub->now_ms + l->hub->set.unbind_grace_ms;
    smpp_link_enter_state(l, SMPP_LINK_UNBINDING);
}
