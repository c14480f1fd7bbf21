/* SPDX-License-Identifier: ISC */
/*
 * kpass bench core: N transceiver binds to a running SMPP server over
 * loopback, the measured period, latency samples and the final JSON line.
 * Every run is bounded: connect and bind within 10 s, the measured period,
 * then at most 5 s to drain and unbind.  A run with any error (a refused
 * request, an unexpected PDU) exits 1 after its JSON line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"

enum bench_phase { BENCH_BINDING, BENCH_RUNNING, BENCH_DRAINING, BENCH_DONE };

struct bench_conn {
    struct bench *b;
    struct bufferevent *bev;
    unsigned index;
    uint32_t seq;
    int bound;
    int closed;
    struct evbuffer *out; /* PDUs queued during a callback, written at its end */
};

struct bench {
    struct bench_opts o;
    struct bench_driver d;
    struct event_base *base;
    struct bench_conn *conns;
    struct event *timer;
    enum bench_phase phase;
    unsigned nbound;
    unsigned nclosed;
    uint64_t t_start_us;
    uint64_t t_stop_us;
    uint64_t count;
    uint64_t errors;
    uint32_t *lat;
    size_t nlat, caplat;
    int failed;
};

uint64_t bench_now_us(void)
{
    return kp_clock_us();
}

const struct bench_opts *bench_opts(const struct bench *b)
{
    return &b->o;
}

void *bench_driver_arg(const struct bench *b)
{
    return b->d.arg;
}

int bench_running(const struct bench *b)
{
    return b->phase == BENCH_RUNNING;
}

unsigned bench_conn_index(const struct bench_conn *c)
{
    return c->index;
}

uint32_t bench_conn_next_seq(struct bench_conn *c)
{
    c->seq = c->seq >= SMPP_SEQ_MAX ? 1 : c->seq + 1;
    return c->seq;
}

void bench_send(struct bench_conn *c, const uint8_t *pdu, size_t len)
{
    if (!c->closed)
        evbuffer_add(c->out, pdu, len);
}

void bench_send_pdu(struct bench_conn *c, const struct smpp_pdu *pdu)
{
    uint8_t buf[SMPP_PDU_MAX + 1];
    int n = smpp_pdu_encode(pdu, buf, sizeof(buf));

    if (n > 0)
        bench_send(c, buf, (size_t)n);
    else
        bench_error(c->b, "encode");
}

void bench_sample(struct bench *b, uint64_t latency_us)
{
    if (b->phase != BENCH_RUNNING)
        return;
    if (b->nlat == b->caplat) {
        b->caplat = b->caplat ? b->caplat * 2 : 1 << 16;
        b->lat = kp_realloc(b->lat, b->caplat * sizeof(*b->lat));
    }
    b->lat[b->nlat++] = latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)latency_us;
}

void bench_error(struct bench *b, const char *what)
{
    if (b->errors++ < 5)
        fprintf(stderr, "bench: error: %s\n", what);
}

void bench_count(struct bench *b, uint64_t n)
{
    if (b->phase == BENCH_RUNNING)
        b->count += n;
}

static void bench_flush(struct bench_conn *c)
{
    if (!c->closed && evbuffer_get_length(c->out))
        bufferevent_write_buffer(c->bev, c->out);
}

void bench_conn_flush(struct bench_conn *c)
{
    bench_flush(c);
}

struct bench_conn *bench_conn_at(struct bench *b, unsigned index)
{
    return index < b->o.binds ? &b->conns[index] : NULL;
}

struct event_base *bench_base(struct bench *b)
{
    return b->base;
}

static void bench_conn_close(struct bench_conn *c)
{
    if (c->closed)
        return;
    c->closed = 1;
    c->b->nclosed++;
    bufferevent_free(c->bev);
    c->bev = NULL;
    if (c->b->nclosed == c->b->o.binds)
        event_base_loopbreak(c->b->base);
}

static void bench_on_bind_resp(struct bench *b, struct bench_conn *c, const struct smpp_pdu *p)
{
    if (p->command_status != 0 || p->command_id == SMPP_GENERIC_NACK) {
        fprintf(stderr, "bench: bind %u refused: %s\n", c->index,
                smpp_status_name(p->command_status));
        b->failed = 1;
        event_base_loopbreak(b->base);
        return;
    }
    c->bound = 1;
    if (++b->nbound < b->o.binds)
        return;
    /* Everyone is bound: the measured period starts now, for all at once. */
    b->phase = BENCH_RUNNING;
    b->t_start_us = bench_now_us();
    struct timeval tv = {(time_t)b->o.seconds, 0};
    event_add(b->timer, &tv);
    for (unsigned i = 0; i < b->o.binds; i++) {
        b->d.on_bound(b, &b->conns[i]);
        bench_flush(&b->conns[i]);
    }
}

static void bench_read_cb(struct bufferevent *bev, void *arg)
{
    struct bench_conn *c = arg;
    struct bench *b = c->b;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint64_t now = bench_now_us();
    struct smpp_hdr h;
    struct smpp_pdu pdu;
    struct smpp_decode_error err;

    for (;;) {
        size_t avail = evbuffer_get_length(in);
        int n;
        if (avail < SMPP_HEADER_LEN)
            break;
        n = smpp_frame_check(evbuffer_pullup(in, SMPP_HEADER_LEN), avail, &h);
        if (n < 0) {
            bench_error(b, "bad command_length from the server");
            bench_conn_close(c);
            return;
        }
        if (avail < (size_t)n)
            break;
        uint8_t *p = evbuffer_pullup(in, n);
        if (smpp_pdu_decode(p, (size_t)n, &pdu, &err) < 0 && !smpp_is_resp(pdu.command_id))
            bench_error(b, "undecodable PDU from the server");
        evbuffer_drain(in, (size_t)n);
        switch (pdu.command_id) {
        case SMPP_BIND_TRANSCEIVER_RESP:
            bench_on_bind_resp(b, c, &pdu);
            break;
        case SMPP_UNBIND_RESP:
            bench_conn_close(c);
            return;
        case SMPP_ENQUIRE_LINK:
        case SMPP_UNBIND: {
            uint8_t r[SMPP_HEADER_LEN];
            smpp_pdu_encode_header(r, smpp_resp_id(pdu.command_id), 0, pdu.sequence_number);
            bench_send(c, r, sizeof(r));
            break;
        }
        default:
            if (!c->bound && smpp_is_resp(pdu.command_id)) {
                bench_on_bind_resp(b, c, &pdu); /* generic_nack to our bind */
                break;
            }
            b->d.on_pdu(b, c, &pdu, now);
            break;
        }
    }
    bench_flush(c);
}

static void bench_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct bench_conn *c = arg;
    struct bench *b = c->b;

    if (what & BEV_EVENT_CONNECTED) {
        struct smpp_pdu bind;
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        smpp_pdu_init(&bind, SMPP_BIND_TRANSCEIVER, bench_conn_next_seq(c));
        memcpy(bind.bind.system_id, b->o.system_id, sizeof(bind.bind.system_id));
        memcpy(bind.bind.password, b->o.password, sizeof(bind.bind.password));
        bind.bind.interface_version = 0x34;
        bench_send_pdu(c, &bind);
        bench_flush(c);
        return;
    }
    if (b->phase != BENCH_DRAINING && b->phase != BENCH_DONE) {
        fprintf(stderr, "bench: connection %u lost\n", c->index);
        b->failed = 1;
    }
    bench_conn_close(c);
    if (b->failed)
        event_base_loopbreak(b->base);
}

static void bench_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct bench *b = arg;

    (void)fd;
    (void)what;
    if (b->phase == BENCH_BINDING) {
        fprintf(stderr, "bench: not all binds answered within 10 s\n");
        b->failed = 1;
        event_base_loopbreak(b->base);
    } else if (b->phase == BENCH_RUNNING) {
        /* End of the measured period: stop, let what is in flight come back, unbind. */
        b->t_stop_us = bench_now_us();
        b->phase = BENCH_DRAINING;
        if (b->d.on_stop)
            b->d.on_stop(b);
        struct timeval tv = {1, 0};
        event_add(b->timer, &tv);
    } else if (b->phase == BENCH_DRAINING) {
        b->phase = BENCH_DONE;
        for (unsigned i = 0; i < b->o.binds; i++) {
            struct bench_conn *c = &b->conns[i];
            uint8_t u[SMPP_HEADER_LEN];
            smpp_pdu_encode_header(u, SMPP_UNBIND, 0, bench_conn_next_seq(c));
            bench_send(c, u, sizeof(u));
            bench_flush(c);
        }
        struct timeval tv = {4, 0};
        event_add(b->timer, &tv);
    } else {
        event_base_loopbreak(b->base); /* unbind_resp did not all come: stop anyway */
    }
}

struct bench *bench_new(const struct bench_opts *o, const struct bench_driver *d)
{
    struct bench *b = kp_calloc(1, sizeof(*b));

    b->o = *o;
    b->d = *d;
    b->base = event_base_new();
    b->timer = evtimer_new(b->base, bench_timer_cb, b);
    b->conns = kp_calloc(o->binds, sizeof(*b->conns));
    return b;
}

void bench_free(struct bench *b)
{
    for (unsigned i = 0; i < b->o.binds; i++) {
        if (b->conns[i].bev)
            bufferevent_free(b->conns[i].bev);
        if (b->conns[i].out)
            evbuffer_free(b->conns[i].out);
    }
    event_free(b->timer);
    event_base_free(b->base);
    free(b->conns);
    free(b->lat);
    free(b);
}

static int bench_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double bench_pct(const struct bench *b, double q)
{
    if (b->nlat == 0)
        return 0;
    size_t i = (size_t)(q * (double)(b->nlat - 1) + 0.5);
    return b->lat[i] / 1000.0;
}

int bench_run(struct bench *b)
{
    struct sockaddr_in sin;
    char extra[512] = "";

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)b->o.port);
    if (inet_pton(AF_INET, b->o.host, &sin.sin_addr) != 1) {
        fprintf(stderr, "bench: --host must be a numeric IPv4 address\n");
        return 1;
    }
    for (unsigned i = 0; i < b->o.binds; i++) {
        struct bench_conn *c = &b->conns[i];
        c->b = b;
        c->index = i;
        c->out = evbuffer_new();
        c->bev = bufferevent_socket_new(b->base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, bench_read_cb, NULL, bench_event_cb, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
            fprintf(stderr, "bench: cannot connect to %s:%u\n", b->o.host, b->o.port);
            return 1;
        }
    }
    struct timeval tv = {10, 0};
    event_add(b->timer, &tv);
    event_base_dispatch(b->base);
    if (b->failed || b->t_stop_us == 0)
        return 1;

    double secs = (double)(b->t_stop_us - b->t_start_us) / 1e6;
    qsort(b->lat, b->nlat, sizeof(*b->lat), bench_cmp_u32);
    double rate = secs > 0 ? (double)b->count / secs : 0;
    if (b->d.report)
        b->d.report(b, rate, extra, sizeof(extra));
    printf("{\"mode\":\"%s\",%s\"binds\":%u,\"window\":%u,\"seconds\":%.3f,\"operations\":%llu,"
           "\"ops_per_s\":%.0f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"errors\":%llu}\n",
           b->o.mode, extra, b->o.binds, b->o.window, secs, (unsigned long long)b->count, rate,
           bench_pct(b, 0.50), bench_pct(b, 0.95), bench_pct(b, 0.99),
           b->nlat ? b->lat[b->nlat - 1] / 1000.0 : 0, (unsigned long long)b->errors);
    fflush(stdout);
    if (b->errors) {
        fprintf(stderr, "bench: %llu errors: the figures above are not a clean run\n",
                (unsigned long long)b->errors);
        return 1;
    }
    return 0;
}
