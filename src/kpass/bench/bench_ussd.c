/* SPDX-License-Identifier: ISC */
/*
 * kpass bench --mode ussd: act as an operator's USSD gateway bound to
 * kpassd with N binds and S concurrent dialogs, each from its own number.
 * A dialog dials --dial, then sends each of --inputs as the screens come
 * back; when the inputs run out (or the dialog ends) it dials again.  A hop
 * is one message sent and its screen received; its latency is measured
 * from the submit_sm to the deliver_sm carrying the screen.
 *
 * With --rate R the load is paced: a session whose screen came back waits
 * in a queue, from which at most R hops per second are sent, as screens
 * arrive and from a 1 ms timer, so that latency can be read at a chosen
 * fraction of the peak load.  Time
 * spent in that queue is the generator's, not the daemon's: it is not part
 * of a hop's latency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench.h"
#include "../cli.h"
#include "kpass/core/mem.h"
#include "kpass/ussd/ussd.h"

struct ub_session {
    unsigned conn;
    int step;         /* -1: dial next; else the index of the next input */
    uint16_t its;     /* session number << 8 | sequence << 1 */
    uint64_t sent_us; /* 0: nothing outstanding */
};

struct ub {
    const struct bench_opts *o;
    char **inputs;
    int ninputs;
    struct ub_session *s;
    unsigned ns;
    uint64_t ended;
    /* --rate: sessions ready to send, a ring of ns entries */
    unsigned *ready;
    unsigned head, nready;
    struct event *pace;
    uint64_t pace_t0_us, paced;
};

static void ub_send(struct bench *b, struct bench_conn *c, unsigned idx)
{
    struct ub *u = bench_driver_arg(b);
    struct ub_session *s = &u->s[idx];
    struct smpp_pdu p;
    const char *text;
    int begin = s->step < 0;

    text = begin ? u->o->dial : u->inputs[s->step];
    smpp_pdu_init(&p, SMPP_SUBMIT_SM, bench_conn_next_seq(c));
    strcpy(p.sm.service_type, "USSD");
    p.sm.source_addr_ton = 1;
    p.sm.source_addr_npi = 1;
    snprintf(p.sm.source_addr, sizeof(p.sm.source_addr), "9234%08u", u->o->msisdn_base + idx);
    snprintf(p.sm.destination_addr, sizeof(p.sm.destination_addr), "%s", u->o->service_code);
    p.sm.sm_length = (uint8_t)strlen(text);
    memcpy(p.sm.short_message, text, p.sm.sm_length);
    p.tlv.present = SMPP_TLV_USSD_SERVICE_OP | SMPP_TLV_ITS_SESSION_INFO;
    if (begin) {
        s->its = (uint16_t)((s->its + 0x100) & 0xFF00);
        p.tlv.ussd_service_op = USSD_OP_PSSR_IND;
    } else {
        s->its = (uint16_t)((s->its & 0xFF00) | ((((s->its >> 1) + 1) & 0x7F) << 1));
        p.tlv.ussd_service_op = USSD_OP_USSR_CONF;
    }
    p.tlv.its_session_info = s->its;
    s->step++;
    s->sent_us = bench_now_us();
    bench_send_pdu(c, &p);
}

static void ub_ready(struct ub *u, unsigned idx)
{
    u->ready[(u->head + u->nready++) % u->ns] = idx;
}

/* Send from the queue what the rate allows by now, and write it out. */
static void ub_pace(struct bench *b)
{
    struct ub *u = bench_driver_arg(b);
    uint64_t now = bench_now_us(), allowed;
    unsigned nconn = bench_opts(b)->binds, sent = 0;

    if (!bench_running(b))
        return;
    if (u->pace_t0_us == 0)
        u->pace_t0_us = now;
    allowed = (now - u->pace_t0_us) * u->o->rate / 1000000u + 1;
    while (u->nready > 0 && u->paced < allowed) {
        unsigned idx = u->ready[u->head];
        u->head = (u->head + 1) % u->ns;
        u->nready--;
        u->paced++;
        sent++;
        ub_send(b, bench_conn_at(b, u->s[idx].conn), idx);
    }
    /* Offered load that found no idle session is not owed later. */
    if (u->nready == 0 && u->paced < allowed)
        u->paced = allowed;
    if (sent)
        for (unsigned i = 0; i < nconn; i++)
            bench_conn_flush(bench_conn_at(b, i));
}

/* The pacing timer, for when no screen comes back to trigger ub_pace(). */
static void ub_pace_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ub_pace(arg);
}

static void ub_on_bound(struct bench *b, struct bench_conn *c)
{
    struct ub *u = bench_driver_arg(b);

    for (unsigned i = 0; i < u->ns; i++) {
        if (u->s[i].conn != bench_conn_index(c))
            continue;
        if (u->o->rate)
            ub_ready(u, i);
        else
            ub_send(b, c, i);
    }
    if (u->o->rate && u->pace == NULL) {
        struct timeval ms = {0, 1000};
        u->pace = event_new(bench_base(b), -1, EV_PERSIST, ub_pace_cb, b);
        event_add(u->pace, &ms);
    }
}

static void ub_on_pdu(struct bench *b, struct bench_conn *c, const struct smpp_pdu *p, uint64_t now)
{
    struct ub *u = bench_driver_arg(b);
    uint8_t r[SMPP_HEADER_LEN + 1];
    unsigned idx;
    struct ub_session *s;

    if (p->command_id == SMPP_SUBMIT_SM_RESP || p->command_id == SMPP_GENERIC_NACK) {
        if (p->command_status != 0)
            bench_error(b, smpp_status_name(p->command_status));
        return;
    }
    if (p->command_id != SMPP_DELIVER_SM && p->command_id != SMPP_DATA_SM) {
        bench_error(b, "unexpected PDU");
        return;
    }
    /* deliver_sm_resp: header and an empty message_id (SMPP 3.4 §4.6.2). */
    smpp_pdu_encode_header(r, smpp_resp_id(p->command_id), 0, p->sequence_number);
    r[3] = SMPP_HEADER_LEN + 1;
    r[SMPP_HEADER_LEN] = 0;
    bench_send(c, r, sizeof(r));
    if (!(p->tlv.present & SMPP_TLV_USSD_SERVICE_OP) || strlen(p->sm.destination_addr) != 12 ||
        (idx = (unsigned)strtoul(p->sm.destination_addr + 4, NULL, 10) - u->o->msisdn_base) >=
            u->ns) {
        bench_error(b, "a screen for no session");
        return;
    }
    s = &u->s[idx];
    if (s->sent_us) {
        bench_sample(b, now - s->sent_us);
        bench_count(b, 1);
        s->sent_us = 0;
    }
    if (p->tlv.ussd_service_op != USSD_OP_USSR_REQ) {
        u->ended++;
        s->step = -1; /* the dialog ended: dial again */
    } else if (s->step >= u->ninputs) {
        s->step = -1; /* inputs used up: a new dialog (the daemon may offer to resume) */
    }
    if (!bench_running(b))
        return;
    if (u->o->rate) {
        /* Sends are spread over the arrivals instead of bursts per tick. */
        ub_ready(u, idx);
        ub_pace(b);
    } else {
        ub_send(b, c, idx);
    }
}

static void ub_report(struct bench *b, double rate, char *out, size_t size)
{
    struct ub *u = bench_driver_arg(b);

    snprintf(out, size,
             "\"hops_per_s\":%.0f,\"offered_per_s\":%u,\"sessions\":%u,\"dialogs_ended\":%llu,",
             rate, u->o->rate, u->ns, (unsigned long long)u->ended);
}

int bench_mode_ussd(const struct bench_opts *o)
{
    struct ub u;
    struct bench_driver d = {ub_on_bound, ub_on_pdu, NULL, ub_report, &u};
    struct bench *b;
    char *copy = kp_strdup(o->inputs);
    int rc;

    memset(&u, 0, sizeof(u));
    u.o = o;
    for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
        u.inputs = kp_realloc(u.inputs, (size_t)(u.ninputs + 1) * sizeof(*u.inputs));
        u.inputs[u.ninputs++] = t;
    }
    u.ns = o->sessions;
    u.s = kp_calloc(u.ns, sizeof(*u.s));
    u.ready = kp_calloc(u.ns, sizeof(*u.ready));
    for (unsigned i = 0; i < u.ns; i++) {
        u.s[i].conn = i % o->binds;
        u.s[i].step = -1;
        u.s[i].its = (uint16_t)((i & 0xFF) << 8);
    }
    b = bench_new(o, &d);
    rc = bench_run(b);
    if (u.pace)
        event_free(u.pace);
    bench_free(b);
    free(u.ready);
    free(u.s);
    free(u.inputs);
    free(copy);
    return rc;
}
