/* SPDX-License-Identifier: ISC */
/*
 * The HTTP server: evhttp with bounded headers and bodies and a timeout,
 * routing, the client address, rate limits per address and per desk, the
 * bearer session check, replies and their counters.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "http_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/core/accept_guard.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/http/request.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/backend.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/core/worker.h"

const int http_status_codes[HTTP_STATUS_SLOTS] = {200, 201, 202, 400, 401, 403,
                                                  404, 409, 422, 423, 429, 500};
const char *const http_route_names[HTTP_R_MAX] = {"/v1/desk/sessions",
                                                  "/v1/verifications",
                                                  "/v1/verifications/{id}/code",
                                                  "/v1/verifications/{id}/confirm",
                                                  "/v1/verifications/{id}",
                                                  "/v1/receipts/{id}",
                                                  "/v1/credentials/resume",
                                                  "/v1/notices",
                                                  "/v1/notices/{id}",
                                                  "/metrics",
                                                  "/healthz",
                                                  "/readyz",
                                                  "other"};

const char *const http_vout_names[HTTP_VOUT_MAX] = {"scanned",  "card_refused", "code_sent",
                                                    "verified", "failed",       "expired"};

void http_count_verification(struct http_api *a, const char *office, enum http_vout out)
{
    struct http_office_stat *o = &a->offices[HTTP_OFFICES - 1];

    /* Offices are few and known (the directory): a linear look-up is enough. */
    for (unsigned i = 0; i < HTTP_OFFICES - 1; i++) {
        if (a->offices[i].office[0] == '\0')
            snprintf(a->offices[i].office, sizeof(a->offices[i].office), "%s", office);
        if (strcmp(a->offices[i].office, office) == 0) {
            o = &a->offices[i];
            break;
        }
    }
    if (o->office[0] == '\0')
        snprintf(o->office, sizeof(o->office), "(other)");
    o->n[out]++;
}

static void http_count(struct http_req *r, int status)
{
    unsigned slot = HTTP_STATUS_SLOTS - 1; /* 5xx and anything unlisted */

    for (unsigned i = 0; i < HTTP_STATUS_SLOTS; i++)
        if (http_status_codes[i] == status)
            slot = i;
    if (status >= 400 && status < 500 && http_status_codes[slot] != status)
        slot = 3; /* another 4xx counts with 400 */
    r->api->requests[r->route][slot]++;
    if (status >= 400 && status < 500)
        r->api->refusals++;
}

static const char *http_reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 423:
        return "Locked";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

void http_reply_json(struct http_req *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    struct evbuffer *out = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type",
                      "application/json");
    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
    evbuffer_add_printf(out, "%s\n", text ? text : "{}");
    evhttp_send_reply(r->req, status, http_reason_phrase(status), out);
    evbuffer_free(out);
    free(text);
    json_decref(body);
    http_count(r, status);
}

/*
 * The database away (PostgreSQL: lost, a failover): what failed is not
 * the request but the moment.  A 500 then is a 503 with Retry-After, so
 * that a desk client waits a second and tries again (kpassd.8); nothing
 * of the request was committed, or, for a COMMIT whose answer never came,
 * it may have been, and a retry finds it done (doc/http-api.md).
 */
#define HTTP_AWAY_RETRY "1"
static int http_store_away(const struct http_req *r)
{
    return r->api->d.st != NULL && store_away(r->api->d.st);
}

void http_reply_error(struct http_req *r, int status, const char *kind, const char *reason)
{
    if (status == 500 && http_store_away(r)) {
        status = 503;
        kind = "unavailable";
        reason = "the database is away, retry";
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After",
                          HTTP_AWAY_RETRY);
    }
    json_t *b = json_pack("{s:s, s:s}", "error", kind, "reason", reason);

    enum evhttp_cmd_type cmd = evhttp_request_get_command(r->req);

    log_info("http: %s %s from %s: %d %s (%s)",
             cmd == EVHTTP_REQ_GET      ? "GET"
             : cmd == EVHTTP_REQ_DELETE ? "DELETE"
                                        : "POST",
             http_route_names[r->route], r->addr, status, kind, reason);
    http_reply_json(r, status, b);
}

void http_reply_text(struct http_req *r, int status, const char *text, size_t len)
{
    struct evbuffer *out = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evbuffer_add(out, text, len);
    evhttp_send_reply(r->req, status, http_reason_phrase(status), out);
    evbuffer_free(out);
    http_count(r, status);
}

/* A fixed table, replaced in least-recently-used order: bounded memory
   whatever the number of addresses. */
int http_limit(struct http_req *r, const char *key, unsigned rate, unsigned burst)
{
    struct http_api *a = r->api;
    uint64_t now = kp_clock_ms();
    uint32_t h = 2166136261u;
    unsigned base, victim;

    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    base = (h % (HTTP_LIMITERS / 8)) * 8;
    victim = base;
    for (unsigned i = base; i < base + 8; i++) {
        struct http_limiter *l = &a->limiters[i];
        if (strcmp(l->key, key) == 0) {
            l->last_ms = now;
            if (kp_bucket_take(&l->b, now))
                return 0;
            evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", "1");
            http_reply_error(r, 429, "rate_limited", "too many requests, slow down");
            return -KP_ERR_LIMIT;
        }
        if (l->last_ms < a->limiters[victim].last_ms)
            victim = i;
    }
    struct http_limiter *l = &a->limiters[victim];
    snprintf(l->key, sizeof(l->key), "%s", key);
    kp_bucket_init(&l->b, rate, burst, now);
    l->last_ms = now;
    kp_bucket_take(&l->b, now);
    return 0;
}

int http_auth(struct http_req *r)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    uint8_t hash[32];
    char key[48];
    int rc;

    if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) > 128) {
        http_reply_error(r, 401, "unauthorized", "no session: sign in first");
        return -KP_ERR_AUTH;
    }
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)h + 7, strlen(h + 7), NULL, 0);
    rc = store_session_get(r->api->d.st, hash, kp_time_s(), &r->session);
    if (rc < 0) {
        http_reply_error(r, rc == -KP_ERR_NOTFOUND ? 401 : 500,
                         rc == -KP_ERR_NOTFOUND ? "unauthorized" : "internal",
                         rc == -KP_ERR_NOTFOUND ? "unknown or expired session" : "store");
        return rc;
    }
    snprintf(key, sizeof(key), "d:%s", r->session.desk);
    return http_limit(r, key, r->api->set.desk_rate, r->api->set.desk_burst);
}

/*
 * The client's address: the peer, or behind a trusted proxy the last entry
 * of X-Forwarded-For, the one that proxy added (earlier entries come from
 * the client and prove nothing).
 */
static void http_peer(struct http_api *a, struct evhttp_request *req, char *out, size_t size)
{
    const char *fwd, *last;
    char *host = NULL;
    ev_uint16_t port = 0;

    if (a->set.trust_proxy &&
        (fwd = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Forwarded-For"))) {
        size_t n;

        last = strrchr(fwd, ',');
        last = last ? last + 1 : fwd;
        last += strspn(last, " \t");
        n = strcspn(last, " \t");
        if (n > 0) {
            snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), last);
            return;
        }
    }
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &host, &port);
    snprintf(out, size, "%s", host ? host : "?");
}

/* Split "/v1/verifications/<32 hex>[/code|/confirm]" and "/v1/receipts/<id>". */
static enum http_route http_route_of(const char *path, enum evhttp_cmd_type cmd, char id[33])
{
    static const char pre[] = "/v1/verifications/", rpre[] = "/v1/receipts/";
    const char *p;
    size_t n;

    if (strcmp(path, "/metrics") == 0)
        return cmd == EVHTTP_REQ_GET ? HTTP_R_METRICS : HTTP_R_OTHER;
    if (strcmp(path, "/healthz") == 0)
        return cmd == EVHTTP_REQ_GET ? HTTP_R_HEALTHZ : HTTP_R_OTHER;
    if (strcmp(path, "/readyz") == 0)
        return cmd == EVHTTP_REQ_GET ? HTTP_R_READYZ : HTTP_R_OTHER;
    if (strcmp(path, "/v1/desk/sessions") == 0)
        return cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_DELETE ? HTTP_R_SESSIONS : HTTP_R_OTHER;
    if (strcmp(path, "/v1/verifications") == 0)
        return cmd == EVHTTP_REQ_POST ? HTTP_R_VERIFY : HTTP_R_OTHER;
    /* A receipt id: 10 of RFC 4648 Base32's A-Z 2-7 (the handler looks it up). */
    if (strncmp(path, rpre, sizeof(rpre) - 1) == 0) {
        p = path + sizeof(rpre) - 1;
        n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
        if (n != 10 || p[n] != '\0')
            return HTTP_R_OTHER;
        memcpy(id, p, n + 1);
        return cmd == EVHTTP_REQ_GET ? HTTP_R_RECEIPT : HTTP_R_OTHER;
    }
    if (strcmp(path, "/v1/credentials/resume") == 0)
        return cmd == EVHTTP_REQ_POST ? HTTP_R_RESUME : HTTP_R_OTHER;
    if (strcmp(path, "/v1/notices") == 0)
        return cmd == EVHTTP_REQ_POST ? HTTP_R_NOTICES : HTTP_R_OTHER;
    if (strncmp(path, "/v1/notices/", 12) == 0 && strlen(path + 12) == 32 &&
        strspn(path + 12, "0123456789abcdef") == 32) {
        memcpy(id, path + 12, 33);
        return cmd == EVHTTP_REQ_GET ? HTTP_R_NOTICE_GET : HTTP_R_OTHER;
    }
    if (strncmp(path, pre, sizeof(pre) - 1) != 0)
        return HTTP_R_OTHER;
    p = path + sizeof(pre) - 1;
    n = strspn(p, "0123456789abcdef");
    if (n != 32)
        return HTTP_R_OTHER;
    memcpy(id, p, 32);
    id[32] = '\0';
    p += 32;
    if (*p == '\0')
        return cmd == EVHTTP_REQ_GET ? HTTP_R_GET : HTTP_R_OTHER;
    if (strcmp(p, "/code") == 0)
        return cmd == EVHTTP_REQ_POST ? HTTP_R_CODE : HTTP_R_OTHER;
    if (strcmp(p, "/confirm") == 0)
        return cmd == EVHTTP_REQ_POST ? HTTP_R_CONFIRM : HTTP_R_OTHER;
    return HTTP_R_OTHER;
}

/* Did req arrive on the operations address ([http] metrics_listen)? */
static int http_on_metrics_listener(const struct http_api *a, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    const struct kp_addr *m = &a->set.metrics_listen[0];

    if (bev == NULL || getsockname(bufferevent_getfd(bev), (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family != m->ss.ss_family)
        return 0;
    if (ss.ss_family == AF_INET)
        return memcmp(&((struct sockaddr_in *)&ss)->sin_addr,
                      &((const struct sockaddr_in *)&m->ss)->sin_addr, 4) == 0 &&
               ((struct sockaddr_in *)&ss)->sin_port ==
                   ((const struct sockaddr_in *)&m->ss)->sin_port;
    return memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr,
                  &((const struct sockaddr_in6 *)&m->ss)->sin6_addr, 16) == 0 &&
           ((struct sockaddr_in6 *)&ss)->sin6_port ==
               ((const struct sockaddr_in6 *)&m->ss)->sin6_port;
}

static void http_gen_cb(struct evhttp_request *req, void *arg)
{
    struct http_api *a = arg;
    struct http_req r;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    char key[64];

    http_conn_dispatched(a, req);
    memset(&r, 0, sizeof(r));
    r.api = a;
    r.req = req;
    http_peer(a, req, r.addr, sizeof(r.addr));
    r.route = http_route_of(path ? path : "", evhttp_request_get_command(req), r.id);
    /* With an operations address, it serves the operations routes only, and
       /metrics is no longer on the desks' address. */
    if (a->set.nmetrics_listen) {
        int ops =
            r.route == HTTP_R_METRICS || r.route == HTTP_R_HEALTHZ || r.route == HTTP_R_READYZ;
        int on_ops = http_on_metrics_listener(a, req);
        if ((on_ops && !ops) || (!on_ops && r.route == HTTP_R_METRICS))
            r.route = HTTP_R_OTHER;
    }
    snprintf(key, sizeof(key), "a:%s", r.addr);
    if (r.route != HTTP_R_METRICS && r.route != HTTP_R_HEALTHZ && r.route != HTTP_R_READYZ &&
        http_limit(&r, key, a->set.addr_rate, a->set.addr_burst) < 0)
        return;
    /* The database away: the desk's routes answer 503 at once, without a
       connection attempt each (the operations routes still answer). */
    if (r.route != HTTP_R_METRICS && r.route != HTTP_R_HEALTHZ && r.route != HTTP_R_READYZ &&
        r.route != HTTP_R_OTHER && http_store_away(&r)) {
        http_reply_error(&r, 500, "internal", "store");
        return;
    }
    /* evhttp already refused bodies over the limit (413). */
    r.body_len = evbuffer_get_length(in);
    r.body = r.body_len ? (const char *)evbuffer_pullup(in, -1) : "";
    switch (r.route) {
    case HTTP_R_SESSIONS:
        if (evhttp_request_get_command(req) == EVHTTP_REQ_DELETE)
            http_desk_signout(&r);
        else
            http_desk_session(&r);
        break;
    case HTTP_R_VERIFY:
        http_desk_scan(&r);
        break;
    case HTTP_R_CODE:
        http_desk_code(&r);
        break;
    case HTTP_R_CONFIRM:
        http_desk_confirm(&r);
        break;
    case HTTP_R_GET:
        http_desk_get(&r);
        break;
    case HTTP_R_RECEIPT:
        http_receipt_get(&r);
        break;
    case HTTP_R_RESUME:
        http_desk_resume(&r);
        break;
    case HTTP_R_NOTICES:
        http_notice_post(&r);
        break;
    case HTTP_R_NOTICE_GET:
        http_notice_get(&r);
        break;
    case HTTP_R_METRICS:
        http_metrics(&r);
        break;
    case HTTP_R_HEALTHZ:
        http_healthz(&r);
        break;
    case HTTP_R_READYZ:
        http_readyz(&r);
        break;
    default:
        http_reply_error(&r, 404, "not_found", "no such route");
        break;
    }
}

struct http_api *http_api_new(struct event_base *base, const struct http_settings *s,
                              const struct http_deps *d)
{
    struct http_api *a = kp_calloc(1, sizeof(*a));

    a->base = base;
    a->set = *s;
    a->d = *d;
    a->http = evhttp_new(base);
    if (a->http == NULL)
        fatalx("http: cannot create the server");
    evhttp_set_max_body_size(a->http, HTTP_BODY_MAX);
    evhttp_set_max_headers_size(a->http, 8192);
    evhttp_set_timeout(a->http, (int)s->timeout_s);
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(a->http, http_gen_cb, a);
    a->guard = kp_accept_guard_new(base, "http");
    http_conns_init(a);
    a->webhooks = http_webhooks_new(a);
    a->simswap = http_simswap_new(a);
    /* The worker's own connection: SQLite connections are not shared by threads. */
    if (d->db_path && store_open_conf(d->store_set, d->db_path, 0, &a->wst) == 0 && d->audit_key)
        audit_use_key(a->wst, d->audit_key);
    a->worker = kp_worker_new(base);
    store_health(a->d.st, &a->health);
    return a;
}

void http_api_free(struct http_api *a)
{
    if (a == NULL)
        return;
    evhttp_free(a->http);
    http_webhooks_free(a->webhooks);
    http_simswap_free(a->simswap);
    kp_accept_guard_free(a->guard); /* after its listeners, freed with a->http */
    http_conns_free(a);
    kp_worker_free(a->worker); /* pending sign-ins end before their store */
    store_close(a->wst);
    free(a);
}

/* Listen on ad (key: its configuration key, for errors). */
static int http_listen_one(struct http_api *a, const struct kp_addr *ad, const char *key)
{
    char host[64];
    const char *colon = strrchr(ad->text, ':');
    size_t hl = (size_t)(colon - ad->text);
    struct evhttp_bound_socket *bs;

    if (ad->text[0] == '[')
        snprintf(host, sizeof(host), "%.*s", (int)hl - 2, ad->text + 1);
    else
        snprintf(host, sizeof(host), "%.*s", (int)hl, ad->text);
    bs = evhttp_bind_socket_with_handle(a->http, host, (ev_uint16_t)atoi(colon + 1));
    if (bs == NULL) {
        /* errno is bind()'s or listen()'s: evhttp only closes the socket after. */
        int e = errno;
        log_error("http: cannot listen on %s: %s (see [http] %s in %s)", ad->text, strerror(e), key,
                  a->set.conf_path[0] ? a->set.conf_path : "the configuration");
        return -KP_ERR_IO;
    }
    /* Out of descriptors, evhttp would retry accept() at once, forever. */
    kp_accept_guard_add(a->guard, evhttp_bound_socket_get_listener(bs));
    log_info("http: listening on %s%s", ad->text,
             strcmp(key, "listen") == 0 ? "" : " (metrics, health)");
    return 0;
}

int http_api_listen(struct http_api *a)
{
    for (int i = 0; i < a->set.nlisten; i++)
        if (http_listen_one(a, &a->set.listen[i], "listen") < 0)
            return -KP_ERR_IO;
    if (a->set.nmetrics_listen &&
        http_listen_one(a, &a->set.metrics_listen[0], "metrics_listen") < 0)
        return -KP_ERR_IO;
    return 0;
}

void http_api_set_keys(struct http_api *a, struct keys_ring *keys)
{
    a->d.keys = keys;
}

/* The audit walk: audit_verify on the worker's connection, so that a
   long chain never stalls the loop; the result is for /metrics. */
struct http_audit_job {
    struct http_api *api;
    int rc;
    int64_t rows;
    int64_t bad_id;
};

static void http_audit_run(void *arg)
{
    struct http_audit_job *j = arg;
    struct audit_report rep;

    j->rc = j->api->wst ? audit_verify(j->api->wst, &rep) : -KP_ERR_STATE;
    j->rows = rep.rows;
    j->bad_id = rep.bad_id;
}

static void http_audit_done(void *arg)
{
    struct http_audit_job *j = arg;
    struct http_api *a = j->api;

    a->audit.running = 0;
    a->audit.last_at = kp_time_s();
    a->audit.ok = j->rc == 0;
    a->audit.rows = j->rows;
    if (j->rc == -KP_ERR_CRYPTO)
        log_error("audit: the chain is broken at row %lld (run: kpass audit verify)",
                  (long long)j->bad_id);
    else if (j->rc < 0)
        log_warnx("audit: cannot walk the chain: %s", kp_strerror(j->rc));
    if (j->rc < 0)
        a->audit.failures++;
    free(j);
}

static void http_audit_tick(struct http_api *a, int64_t now)
{
    struct http_audit_job *j;

    if (a->set.audit_verify_s == 0 || a->audit.running || now < a->audit.next_at)
        return;
    a->audit.next_at = now + a->set.audit_verify_s;
    a->audit.running = 1;
    j = kp_calloc(1, sizeof(*j));
    j->api = a;
    kp_worker_submit(a->worker, http_audit_run, http_audit_done, j);
}

void http_api_tick(struct http_api *a, int64_t now)
{
    store_health(a->d.st, &a->health);
    http_audit_tick(a, now);
    http_webhooks_tick(a, now);
    store_batch(a->d.st);
    store_session_prune(a->d.st, now);
    store_verification_expire(a->d.st, now - (int64_t)a->set.verification_ttl_s, now);
}

/* ---- [http] in kpassd.conf ---- */

#define HTTP_OFF(f)  offsetof(struct http_settings, f)
#define HTTP_SIZE(f) sizeof(((struct http_settings *)0)->f)
#define HTTP_MS_DAY  (24u * 3600u * 1000u)

/* Duration bounds in milliseconds, as kpassd.conf(5) states them. */
static const struct conf_key http_conf_keys[] = {
    {"http", "enabled", CONF_BOOL, HTTP_OFF(enabled), 0, 0, NULL, 0},
    {"http", "listen", CONF_ADDR, HTTP_OFF(listen), 0, HTTP_MAX_LISTEN, NULL, HTTP_OFF(nlisten)},
    {"http", "metrics_listen", CONF_ADDR, HTTP_OFF(metrics_listen), 0, 1, NULL,
     HTTP_OFF(nmetrics_listen)},
    {"http", "session_ttl", CONF_SECONDS, HTTP_OFF(session_ttl_s), 60000, 7u * HTTP_MS_DAY, NULL,
     0},
    {"http", "verification_ttl", CONF_SECONDS, HTTP_OFF(verification_ttl_s), 1000, HTTP_MS_DAY,
     NULL, 0},
    {"http", "timeout", CONF_SECONDS, HTTP_OFF(timeout_s), 1000, 600000, NULL, 0},
    {"http", "max_connections", CONF_UINT, HTTP_OFF(max_connections), 1, 100000, NULL, 0},
    {"http", "max_connections_per_addr", CONF_UINT, HTTP_OFF(max_connections_per_addr), 1, 100000,
     NULL, 0},
    {"http", "rate_per_address", CONF_UINT, HTTP_OFF(addr_rate), 1, 100000, NULL, 0},
    {"http", "burst_per_address", CONF_UINT, HTTP_OFF(addr_burst), 1, 100000, NULL, 0},
    {"http", "rate_per_desk", CONF_UINT, HTTP_OFF(desk_rate), 1, 100000, NULL, 0},
    {"http", "burst_per_desk", CONF_UINT, HTTP_OFF(desk_burst), 1, 100000, NULL, 0},
    {"http", "pin_failures", CONF_UINT, HTTP_OFF(pin_failures), 1, 100, NULL, 0},
    {"http", "trust_proxy", CONF_BOOL, HTTP_OFF(trust_proxy), 0, 0, NULL, 0},
    {"http", "helpline", CONF_TEXT, HTTP_OFF(helpline), 0, HTTP_SIZE(helpline), NULL, 0},
    {"http", "webhook_backoff", CONF_SECONDS, HTTP_OFF(webhook_backoff_s), 1000, 3600000, NULL, 0},
    {"http", "webhook_attempts", CONF_UINT, HTTP_OFF(webhook_attempts), 1, 50, NULL, 0},
    {"http", "metrics_token_file", CONF_TEXT, HTTP_OFF(metrics_token_file), 0,
     HTTP_SIZE(metrics_token_file), NULL, 0},
};

static void http_conf_defaults(void *set)
{
    struct http_settings *s = set;

    memset(s, 0, sizeof(*s));
    s->enabled = 1;
    s->session_ttl_s = 8u * 3600u;
    s->verification_ttl_s = 15u * 60u;
    s->timeout_s = 10;
    s->max_connections = 256;
    s->max_connections_per_addr = 32;
    s->addr_rate = 20;
    s->addr_burst = 60;
    s->desk_rate = 5;
    s->desk_burst = 20;
    s->pin_failures = 5;
    s->webhook_backoff_s = 10;
    s->webhook_attempts = 8;
    snprintf(s->helpline, sizeof(s->helpline), "1700");
}

/* No listen key: loopback only, the documented default. */
static void http_conf_check(void *set, struct conf_report *r)
{
    struct http_settings *s = set;

    (void)r;
    if (s->nlisten == 0 && kp_addr_parse("127.0.0.1:8780", &s->listen[0]) == 0)
        s->nlisten = 1;
}

const struct conf_table http_conf_table = {"http", http_conf_keys, KP_ARRAY_LEN(http_conf_keys),
                                           http_conf_defaults, http_conf_check};
