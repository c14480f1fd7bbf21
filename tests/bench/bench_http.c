/* SPDX-License-Identifier: ISC */
/*
 * Load generator for the office desk HTTP API (doc/http-api.md) of a
 * running kpassd on loopback.  One libevent loop, C keep-alive HTTP/1.1
 * connections over raw bufferevents (one request in flight on each), one
 * desk session signed in before the measured period and shared by all:
 *
 *   bench_http issue CONF CITIZENS.csv OUT.tsv
 *       setup: a KP1 credential for every citizen of the CSV (the
 *       `kpass import citizens` format), signed with the active key and
 *       recorded as `kpass qr issue` does (kp1_encode, verify_credential_issue
 *       with its audit row), all in one transaction; OUT gets one line per
 *       citizen: "E164<TAB>KP1:...".
 *   bench_http scan [options]
 *       POST /v1/verifications with a valid token, again and again
 *       (cycling over the tokens): scans per second.
 *   bench_http full [options] --smpp-port P --system-id ID --password-file F
 *       complete verifications, one citizen after another on each
 *       connection: scan, POST .../code, the code SMS read off SMPP
 *       transceiver binds (deliver_sm acknowledged, concatenated parts
 *       joined, the 6 digits taken from the text), POST .../confirm until
 *       "verified".  Each citizen is used once (the [otp] issue limits).
 *
 * Options: --port P (HTTP), --tokens FILE (from issue), --desk-token-file F,
 * --staff ID, --pin-file F, --conns C (16), --seconds S (10), --warmup W (1),
 * --binds B (SMPP binds, 1), --daemon-pid PID (its CPU time is reported).
 *
 * Prints one JSON line: operations and ops/s in the measured period,
 * latency p50/p95/p99 per request kind (signin, scan, code, sms: code
 * request sent to SMS read, confirm, flow: scan sent to confirm answered),
 * answers by status per kind, other errors, the SMS that came for citizens
 * no longer awaiting a code (sms_notices: the "Verified at ..." message
 * each verified citizen gets), and the CPU time the generator, the daemon,
 * its event-loop thread (running, and runnable but waiting for a CPU) and
 * the whole machine used in the period (in cores), so that a generator at
 * its limit, or a daemon starved by other jobs, shows.  Loopback only;
 * every phase is bounded (connect and sign in 15 s, warm-up, the period,
 * 2 s to drain).
 *
 * This file: the runs, the HTTP side and the report; http_sms.c: the SMPP
 * binds; http_issue.c: `issue`; bench_http.h: what they share.
 * tests/bench/run_http.sh sets everything up and runs both modes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench_http.h"
#include "kpass/core/clock.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"

static const char *const hb_kind_names[HB_KINDS] = {"signin", "scan",    "code",
                                                    "sms",    "confirm", "flow"};

void hb_fail(struct hb *b, const char *what)
{
    fprintf(stderr, "bench_http: %s\n", what);
    b->failed = 1;
    event_base_loopbreak(b->base);
}

/* ---- measurements ---- */

void hb_record(struct hb *b, enum hb_kind k, int status, uint64_t lat_us)
{
    struct hb_stat *s = &b->st[k];

    if (b->phase != HB_RUNNING && k != HB_SIGNIN)
        return;
    s->status[status >= 100 && status < 600 ? status : 0]++;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->lat = kp_realloc(s->lat, s->cap * sizeof(*s->lat));
    }
    s->lat[s->n++] = lat_us > UINT32_MAX ? UINT32_MAX : (uint32_t)lat_us;
}

/*
 * CPU seconds: [0] this process, [1] the daemon, [2] the machine (all
 * cores, busy); the daemon's main thread (its event loop): [3] on a CPU,
 * [4] runnable but waiting for one (/proc/PID/schedstat): a loop that
 * waits much for a CPU is starved by other processes, one that neither
 * runs nor waits is blocked.
 */
static void hb_cpu(const struct hb *b, double out[5])
{
    struct rusage ru;
    char path[64], line[1024];
    unsigned long long v[8] = {0};
    double tck = (double)sysconf(_SC_CLK_TCK);
    FILE *f;

    getrusage(RUSAGE_SELF, &ru);
    out[0] = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
             ru.ru_stime.tv_usec / 1e6;
    out[1] = out[2] = out[3] = out[4] = 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", b->daemon_pid);
    if (b->daemon_pid > 0 && (f = fopen(path, "r")) != NULL) {
        /* Fields 14 and 15 (utime, stime) follow the ")" that ends comm. */
        if (fgets(line, sizeof(line), f) && strrchr(line, ')') &&
            sscanf(strrchr(line, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                   &v[0], &v[1]) == 2)
            out[1] = (double)(v[0] + v[1]) / tck;
        fclose(f);
    }
    snprintf(path, sizeof(path), "/proc/%ld/schedstat", b->daemon_pid);
    if (b->daemon_pid > 0 && (f = fopen(path, "r")) != NULL) {
        if (fscanf(f, "%llu %llu", &v[0], &v[1]) == 2) {
            out[3] = (double)v[0] / 1e9;
            out[4] = (double)v[1] / 1e9;
        }
        fclose(f);
    }
    if ((f = fopen("/proc/stat", "r")) != NULL) {
        /* cpu user nice system idle iowait irq softirq steal */
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) == 8)
            out[2] = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / tck;
        fclose(f);
    }
}

static int hb_cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;
    return a < c ? -1 : a > c;
}

static double hb_pct(const struct hb_stat *s, double q)
{
    return s->n ? s->lat[(size_t)(q * (double)(s->n - 1) + 0.5)] / 1000.0 : 0;
}

static void hb_report(struct hb *b)
{
    double secs = (double)(b->t_stop - b->t_start) / 1e6;

    printf("{\"mode\":\"%s\",\"conns\":%u,\"binds\":%u,\"seconds\":%.3f,\"operations\":%llu,"
           "\"ops_per_s\":%.1f,\"citizens_exhausted\":%d,\"requests\":{",
           b->mode, b->nconns, strcmp(b->mode, "full") == 0 ? b->nbinds : 0, secs,
           (unsigned long long)b->ops, secs > 0 ? (double)b->ops / secs : 0, b->exhausted);
    for (int k = 0, first = 1; k < HB_KINDS; k++) {
        struct hb_stat *s = &b->st[k];
        if (s->n == 0)
            continue;
        qsort(s->lat, s->n, sizeof(*s->lat), hb_cmp_u32);
        printf("%s\"%s\":{\"n\":%zu,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,"
               "\"max_ms\":%.3f",
               first ? "" : ",", hb_kind_names[k], s->n, hb_pct(s, 0.5), hb_pct(s, 0.95),
               hb_pct(s, 0.99), s->lat[s->n - 1] / 1000.0);
        if (k != HB_SMS && k != HB_FLOW) {
            /* Every answer by HTTP status: the errors are the non-2xx ones. */
            printf(",\"status\":{");
            for (int c = 0, f2 = 1; c < 600; c++)
                if (s->status[c]) {
                    printf("%s\"%d\":%llu", f2 ? "" : ",", c, (unsigned long long)s->status[c]);
                    f2 = 0;
                }
            printf("}");
        }
        printf("}");
        first = 0;
    }
    printf("},\"errors\":{\"connection\":%llu,\"protocol\":%llu,\"sms_timeout\":%llu,"
           "\"sms_unmatched\":%llu},\"sms_notices\":%llu,"
           "\"cpu_cores\":{\"generator\":%.2f,\"daemon\":%.2f,\"daemon_loop\":%.2f,"
           "\"daemon_loop_runq\":%.2f,\"machine\":%.2f,\"nproc\":%ld}}\n",
           (unsigned long long)b->conn_errors, (unsigned long long)b->proto_errors,
           (unsigned long long)b->sms_timeouts, (unsigned long long)b->sms_unknown,
           (unsigned long long)b->sms_other, secs > 0 ? (b->cpu1[0] - b->cpu0[0]) / secs : 0,
           secs > 0 ? (b->cpu1[1] - b->cpu0[1]) / secs : 0,
           secs > 0 ? (b->cpu1[3] - b->cpu0[3]) / secs : 0,
           secs > 0 ? (b->cpu1[4] - b->cpu0[4]) / secs : 0,
           secs > 0 ? (b->cpu1[2] - b->cpu0[2]) / secs : 0, sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
}

/* ---- citizens ---- */

static uint64_t hb_msisdn_key(const char *e164)
{
    uint64_t k = 0;

    for (const char *p = e164; *p; p++)
        if (*p >= '0' && *p <= '9')
            k = k * 10 + (uint64_t)(*p - '0');
    return k * 0x9E3779B97F4A7C15ULL;
}

struct hb_cit *hb_cit_find(struct hb *b, const char *e164)
{
    for (size_t i = hb_msisdn_key(e164) % b->hcap; b->by_msisdn[i]; i = (i + 1) % b->hcap)
        if (strcmp(b->cits[b->by_msisdn[i] - 1].msisdn, e164) == 0)
            return &b->cits[b->by_msisdn[i] - 1];
    return NULL;
}

/* "E164<TAB>KP1:..." lines into b->cits, indexed by number. */
static int hb_tokens_load(struct hb *b)
{
    FILE *f = fopen(b->tokens_path, "r");
    char line[512];
    size_t cap = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *tab = strchr(line, '\t');
        line[strcspn(line, "\r\n")] = '\0';
        if (tab == NULL || tab - line >= MSISDN_SIZE || strlen(tab + 1) != KP1_TEXT_LEN)
            continue;
        if (b->ncits == cap) {
            cap = cap ? cap * 2 : 1024;
            b->cits = kp_realloc(b->cits, cap * sizeof(*b->cits));
        }
        struct hb_cit *c = &b->cits[b->ncits++];
        memset(c, 0, sizeof(*c));
        memcpy(c->msisdn, line, (size_t)(tab - line));
        memcpy(c->token, tab + 1, KP1_TEXT_LEN);
    }
    fclose(f);
    b->hcap = 2 * b->ncits + 1;
    b->by_msisdn = kp_calloc(b->hcap, sizeof(*b->by_msisdn));
    for (size_t n = 0; n < b->ncits; n++) {
        size_t i = hb_msisdn_key(b->cits[n].msisdn) % b->hcap;
        while (b->by_msisdn[i])
            i = (i + 1) % b->hcap;
        b->by_msisdn[i] = (uint32_t)(n + 1);
    }
    return b->ncits > 0 ? 0 : -1;
}

/* ---- HTTP ---- */

static void hb_send(struct hb_conn *c, enum hb_kind kind, const char *path, const char *body,
                    uint64_t now)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);

    evbuffer_add_printf(out,
                        "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json"
                        "\r\nContent-Length: %zu\r\n\r\n%s",
                        path, kind == HB_SIGNIN ? "" : c->b->auth, strlen(body), body);
    c->busy = 1;
    c->kind = kind;
    c->t_sent = now;
    c->need = 0;
}

static void hb_scan(struct hb_conn *c, const char *token, uint64_t now)
{
    char body[KP1_TEXT_SIZE + 16];

    snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
    hb_send(c, HB_SCAN, "/v1/verifications", body, now);
}

static void hb_flow_end(struct hb_conn *c)
{
    if (c->cit)
        c->cit->waiting = NULL;
    c->cit = NULL;
}

static void hb_check_done(struct hb *b);

/* The next request on an idle connection, if the run still wants one. */
static void hb_next(struct hb_conn *c, uint64_t now)
{
    struct hb *b = c->b;

    if (c->busy || (b->phase != HB_WARMUP && b->phase != HB_RUNNING))
        return;
    if (strcmp(b->mode, "scan") == 0) {
        hb_scan(c, b->cits[b->next_cit++ % b->ncits].token, now);
        return;
    }
    if (c->cit)
        return; /* waiting for the code SMS */
    if (b->next_cit == b->ncits) {
        b->exhausted = 1;
        hb_check_done(b);
        return;
    }
    c->cit = &b->cits[b->next_cit++];
    c->accepted = 0;
    sodium_memzero(c->code, sizeof(c->code));
    c->sms_got = c->sms_total = 0;
    c->t_flow = now;
    hb_scan(c, c->cit->token, now);
}

/* Confirm once both the 202 and the code are there. */
void hb_confirm(struct hb_conn *c, uint64_t now)
{
    char path[96], body[32];

    if (!c->accepted || c->code[0] == '\0' || c->busy)
        return;
    c->cit->waiting = NULL;
    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", c->vid);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", c->code);
    sodium_memzero(c->code, sizeof(c->code));
    hb_send(c, HB_CONFIRM, path, body, now);
}

static void hb_start(struct hb *b, uint64_t now);

/* A whole answer: status and body (NUL-terminated). */
static void hb_answer(struct hb_conn *c, const char *body, uint64_t now)
{
    struct hb *b = c->b;
    const char *p;

    c->busy = 0;
    hb_record(b, c->kind, c->status, now - c->t_sent);
    switch (c->kind) {
    case HB_SIGNIN:
        p = strstr(body, "\"session\":\"");
        if (c->status != 201 || p == NULL || strcspn(p + 11, "\"") > 64) {
            hb_fail(b, "sign-in refused (desk token, staff id or PIN)");
            return;
        }
        snprintf(b->auth, sizeof(b->auth), "Authorization: Bearer %.*s\r\n",
                 (int)strcspn(p + 11, "\""), p + 11);
        sodium_memzero(b->signin, sizeof(b->signin));
        hb_start(b, now);
        return;
    case HB_SCAN:
        if (c->status == 201 && b->phase == HB_RUNNING && strcmp(b->mode, "scan") == 0)
            b->ops++;
        if (c->cit == NULL)
            break;
        p = strstr(body, "\"id\":\"");
        if (c->status != 201 || p == NULL || strspn(p + 6, "0123456789abcdef") != 32) {
            hb_flow_end(c);
            break;
        }
        memcpy(c->vid, p + 6, 32);
        c->vid[32] = '\0';
        c->cit->waiting = c;
        char path[96];
        snprintf(path, sizeof(path), "/v1/verifications/%s/code", c->vid);
        hb_send(c, HB_CODE, path, "{\"purpose\":\"identity\"}", now);
        c->t_code = now;
        return;
    case HB_CODE:
        if (c->status != 202) {
            hb_flow_end(c);
            break;
        }
        c->accepted = 1;
        hb_confirm(c, now);
        return;
    case HB_CONFIRM:
        if (c->status == 200 && strstr(body, "\"result\":\"verified\"") && b->phase == HB_RUNNING) {
            b->ops++;
            hb_record(b, HB_FLOW, 200, now - c->t_flow);
        }
        hb_flow_end(c);
        break;
    default:
        break;
    }
    hb_next(c, now);
}

/* Status line and Content-Length of a header block (NUL-terminated). */
static int hb_head_parse(struct hb_conn *c, const char *h, size_t *clen)
{
    const char *p = h;
    char *end;

    if (strncmp(h, "HTTP/1.1 ", 9) != 0)
        return -1;
    c->status = (int)strtol(h + 9, &end, 10);
    if (end != h + 12)
        return -1;
    *clen = 0;
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            *clen = strtoul(p + 15, NULL, 10);
        else if (strncasecmp(p, "Connection: close", 17) == 0)
            return -1; /* keep-alive is what is measured: a close is an error */
    }
    return *clen <= HB_BODY_MAX ? 0 : -1;
}

static void hb_conn_lost(struct hb_conn *c)
{
    struct hb *b = c->b;

    bufferevent_free(c->bev);
    c->bev = NULL;
    if (b->phase == HB_DRAINING)
        return;
    b->conn_errors++;
    c->busy = 0;
    hb_flow_end(c);
    hb_conn_open(c); /* a new connection carries on */
}

static void hb_http_read_cb(struct bufferevent *bev, void *arg)
{
    struct hb_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint64_t now = kp_clock_us();
    static char head[HB_HEAD_MAX + 1], body[HB_BODY_MAX + 1];

    while (c->busy) {
        size_t avail = evbuffer_get_length(in), clen, hl;
        if (c->need == 0) {
            struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
            if (e.pos < 0 && avail <= HB_HEAD_MAX)
                return;
            hl = (size_t)e.pos + 4;
            if (e.pos < 0 || hl > HB_HEAD_MAX)
                goto bad;
            evbuffer_copyout(in, head, hl);
            head[hl] = '\0';
            if (hb_head_parse(c, head, &clen) < 0)
                goto bad;
            evbuffer_drain(in, hl);
            c->need = clen + 1; /* + 1: 0 means "header not read yet" */
        }
        if (evbuffer_get_length(in) < c->need - 1)
            return;
        evbuffer_remove(in, body, c->need - 1);
        body[c->need - 1] = '\0';
        hb_answer(c, body, now);
    }
    if (evbuffer_get_length(in) == 0)
        return;
bad:
    c->b->proto_errors++;
    hb_conn_lost(c);
}

static void hb_http_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct hb_conn *c = arg;
    struct hb *b = c->b;
    int one = 1;

    if (what & BEV_EVENT_CONNECTED) {
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (b->phase == HB_STARTING && ++b->connected == b->nconns)
            hb_send(&b->conns[0], HB_SIGNIN, "/v1/desk/sessions", b->signin, kp_clock_us());
        else
            hb_next(c, kp_clock_us());
        return;
    }
    if (b->phase == HB_STARTING) {
        hb_fail(b, "cannot connect to the HTTP port");
        return;
    }
    hb_conn_lost(c);
}

void hb_conn_open(struct hb_conn *c)
{
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)c->b->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->bev = bufferevent_socket_new(c->b->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, hb_http_read_cb, NULL, hb_http_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        hb_fail(c->b, "cannot connect");
}

/* ---- phases ---- */

static void hb_stop(struct hb *b, uint64_t now)
{
    struct timeval tv = {HB_DRAIN_S, 0};

    b->t_stop = now;
    hb_cpu(b, b->cpu1);
    b->phase = HB_DRAINING;
    evtimer_add(b->timer, &tv);
    hb_binds_unbind(b);
}

/* Full mode out of citizens: the period ends when the last flow has. */
static void hb_check_done(struct hb *b)
{
    if (b->phase != HB_RUNNING && b->phase != HB_WARMUP)
        return;
    for (unsigned i = 0; i < b->nconns; i++)
        if (b->conns[i].busy || b->conns[i].cit)
            return;
    if (b->phase == HB_WARMUP) {
        hb_fail(b, "the citizens ran out during the warm-up");
        return;
    }
    hb_stop(b, kp_clock_us());
}

static void hb_start(struct hb *b, uint64_t now)
{
    struct timeval tv = {(time_t)b->warmup, 0};

    b->phase = HB_WARMUP;
    evtimer_add(b->timer, &tv);
    for (unsigned i = 0; i < b->nconns; i++)
        hb_next(&b->conns[i], now);
}

static void hb_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct hb *b = arg;
    struct timeval tv = {(time_t)b->seconds, 0};

    (void)fd;
    (void)what;
    switch (b->phase) {
    case HB_STARTING:
        hb_fail(b, "not connected and signed in within 15 s");
        break;
    case HB_WARMUP:
        b->phase = HB_RUNNING;
        b->t_start = kp_clock_us();
        hb_cpu(b, b->cpu0);
        evtimer_add(b->timer, &tv);
        break;
    case HB_RUNNING:
        hb_stop(b, kp_clock_us());
        break;
    case HB_DRAINING:
        event_base_loopbreak(b->base);
        break;
    }
}

/* Once a second: citizens whose code SMS never came are given up. */
static void hb_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct hb *b = arg;
    uint64_t now = kp_clock_us();

    (void)fd;
    (void)what;
    for (unsigned i = 0; i < b->nconns; i++) {
        struct hb_conn *c = &b->conns[i];
        if (c->cit && !c->busy && c->cit->waiting == c && now - c->t_code > HB_SMS_TIMEOUT) {
            if (b->phase == HB_RUNNING)
                b->sms_timeouts++;
            hb_flow_end(c);
            hb_next(c, now);
        }
    }
}

/* ---- the command line ---- */

static const char hb_usage[] =
    "usage: bench_http issue CONF CITIZENS.csv OUT.tsv\n"
    "       bench_http scan|full --port P --tokens F --desk-token-file F --staff ID\n"
    "                  --pin-file F [--conns C] [--seconds S] [--warmup W] [--daemon-pid PID]\n"
    "                  full: --smpp-port P --system-id ID --password-file F [--binds B]\n";

/* The first line of path into out (size octets).  0 or -1. */
static int hb_secret(const char *path, char *out, size_t size)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    int ok = f && fgets(out, (int)size, f) != NULL;

    if (f)
        fclose(f);
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int hb_args(struct hb *b, int argc, char **argv)
{
    for (int i = 2; i < argc; i += 2) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n = v ? strtoul(v, NULL, 10) : 0;
        if (v == NULL)
            return -1;
        if (strcmp(k, "--port") == 0)
            b->port = (unsigned)n;
        else if (strcmp(k, "--smpp-port") == 0)
            b->smpp_port = (unsigned)n;
        else if (strcmp(k, "--conns") == 0)
            b->nconns = (unsigned)n;
        else if (strcmp(k, "--binds") == 0)
            b->nbinds = (unsigned)n;
        else if (strcmp(k, "--seconds") == 0)
            b->seconds = (unsigned)n;
        else if (strcmp(k, "--warmup") == 0)
            b->warmup = (unsigned)n;
        else if (strcmp(k, "--daemon-pid") == 0)
            b->daemon_pid = (long)n;
        else if (strcmp(k, "--tokens") == 0)
            b->tokens_path = v;
        else if (strcmp(k, "--desk-token-file") == 0)
            b->desk_token_file = v;
        else if (strcmp(k, "--staff") == 0)
            b->staff = v;
        else if (strcmp(k, "--pin-file") == 0)
            b->pin_file = v;
        else if (strcmp(k, "--system-id") == 0)
            b->system_id = v;
        else if (strcmp(k, "--password-file") == 0)
            b->pw_file = v;
        else
            return -1;
    }
    if (b->port == 0 || b->port > 65535 || b->nconns == 0 || b->nconns > HB_CONNS_MAX ||
        b->seconds == 0 || b->seconds > 600 || b->warmup > 60 || !b->tokens_path || !b->staff)
        return -1;
    if (strcmp(b->mode, "full") == 0 &&
        (b->smpp_port == 0 || b->smpp_port > 65535 || b->nbinds == 0 || b->nbinds > HB_BINDS_MAX ||
         !b->system_id || !b->pw_file))
        return -1;
    return 0;
}

/* The sign-in body, with the desk token and PIN read from their files. */
static int hb_signin_body(struct hb *b, char *out, size_t size)
{
    char tok[128], pin[16];
    int rc = -1;

    if (hb_secret(b->desk_token_file, tok, sizeof(tok)) == 0 &&
        hb_secret(b->pin_file, pin, sizeof(pin)) == 0 && strcspn(tok, "\"\\") == strlen(tok) &&
        strcspn(b->staff, "\"\\") == strlen(b->staff) &&
        (size_t)snprintf(out, size, "{\"desk_token\":\"%s\",\"staff_id\":\"%s\",\"pin\":\"%s\"}",
                         tok, b->staff, pin) < size)
        rc = 0;
    sodium_memzero(tok, sizeof(tok));
    sodium_memzero(pin, sizeof(pin));
    return rc;
}

static int hb_run(struct hb *b)
{
    struct timeval start = {15, 0}, sec = {1, 0};

    b->base = event_base_new();
    b->timer = evtimer_new(b->base, hb_timer_cb, b);
    b->sweep = event_new(b->base, -1, EV_PERSIST, hb_sweep_cb, b);
    b->conns = kp_calloc(b->nconns, sizeof(*b->conns));
    for (unsigned i = 0; i < b->nconns; i++) {
        b->conns[i].b = b;
        b->conns[i].index = i;
    }
    evtimer_add(b->timer, &start);
    evtimer_add(b->sweep, &sec);
    if (strcmp(b->mode, "full") == 0)
        for (unsigned i = 0; i < b->nbinds; i++)
            hb_bind_open(b, &b->binds[i]);
    else
        for (unsigned i = 0; i < b->nconns; i++)
            hb_conn_open(&b->conns[i]);
    event_base_dispatch(b->base);
    if (!b->failed && b->t_stop)
        hb_report(b);
    for (unsigned i = 0; i < b->nconns; i++)
        if (b->conns[i].bev)
            bufferevent_free(b->conns[i].bev);
    for (unsigned i = 0; i < b->nbinds; i++)
        if (b->binds[i].bev)
            bufferevent_free(b->binds[i].bev);
    event_free(b->timer);
    event_free(b->sweep);
    event_base_free(b->base);
    return b->failed || !b->t_stop ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct hb b;
    int rc;

    log_init("bench_http", KP_LOG_STDERR, KP_LOG_WARN);
    if (sodium_init() < 0)
        return 1;
    if (argc == 5 && strcmp(argv[1], "issue") == 0)
        return hb_issue(argv[2], argv[3], argv[4]);
    memset(&b, 0, sizeof(b));
    b.mode = argc > 1 ? argv[1] : "";
    b.nconns = 16;
    b.nbinds = 1;
    b.seconds = 10;
    b.warmup = 1;
    if ((strcmp(b.mode, "scan") != 0 && strcmp(b.mode, "full") != 0) ||
        hb_args(&b, argc, argv) < 0) {
        fputs(hb_usage, stderr);
        return 2;
    }
    if (hb_tokens_load(&b) < 0 || hb_signin_body(&b, b.signin, sizeof(b.signin)) < 0) {
        fprintf(stderr, "bench_http: cannot read the tokens, desk token or PIN\n");
        return 1;
    }
    rc = hb_run(&b);
    sodium_memzero(b.signin, sizeof(b.signin));
    sodium_memzero(b.auth, sizeof(b.auth));
    for (int k = 0; k < HB_KINDS; k++)
        free(b.st[k].lat);
    free(b.conns);
    free(b.cits);
    free(b.by_msisdn);
    return rc;
}
