/* SPDX-License-Identifier: ISC */
/*
 * Department apps, the effects (see ussd/app.h): an app's row from the
 * store at every request (so `kpass app add|remove` is in force at once),
 * its secret read from its file when the row changes, the signed POST
 * over libevent's asynchronous HTTP client, our own deadline, and a
 * circuit breaker per app.  Plain HTTP only to the local host; any other
 * host is HTTPS through libevent's OpenSSL bufferevents, with the peer's
 * certificate chain and name verified.  Nothing here blocks the loop:
 * names are resolved by evdns, the secret file is read once per change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/cnic.h"
#include "kpass/store/app.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/ussd/app.h"

#define APP_SECRET_MIN 16 /* bytes: shorter secrets are refused */
#define APP_SECRET_MAX 256

/* What kpass remembers of one app between requests. */
struct app_rt {
    char name[33];
    int64_t updated_at; /* the row the secret was read for */
    uint8_t *secret;    /* sodium_malloc */
    size_t secret_len;
    unsigned fails;         /* in a row */
    uint64_t open_until_ms; /* cut off until then */
    int probing;            /* half open: the one trial request is out */
    struct app_rt *next;
};

/* One request in flight. */
struct app_call {
    struct ussd_apps *a;
    struct app_rt *rt;
    struct evhttp_connection *conn;
    struct evhttp_request *req;
    struct event *deadline;
    ussd_app_cb cb;
    void *arg;
    struct app_call *prev, *next;
};

/* One signed POST of a callback in flight (ussd_apps_post). */
struct post_call {
    struct ussd_apps *a;
    struct evhttp_connection *conn;
    struct event *deadline;
    ussd_post_cb cb;
    void *arg;
    struct post_call *prev, *next;
};

struct ussd_apps {
    struct event_base *base;
    struct post_call *posts;
    struct store *st;
    uint8_t *cnic_key;   /* sodium_malloc: CNIC indexes */
    uint8_t *pseudo_key; /* sodium_malloc: pseudonyms */
    char ca_file[512];
    SSL_CTX *tls;           /* made at the first HTTPS app */
    struct evdns_base *dns; /* made at the first host name */
    struct app_rt *rts;
    struct app_call *calls;
    struct ussd_app_stats stats;
};

const char *ussd_app_outcome_name(enum ussd_app_outcome o)
{
    switch (o) {
    case USSD_APP_OK:
        return "ok";
    case USSD_APP_TIMEOUT:
        return "timeout";
    case USSD_APP_UNAVAILABLE:
        return "unavailable";
    default:
        return "error";
    }
}

struct ussd_apps *ussd_apps_new(struct event_base *base, struct store *st,
                                const uint8_t cnic_key[32], const char *ca_file)
{
    struct ussd_apps *a = kp_calloc(1, sizeof(*a));

    a->base = base;
    a->st = st;
    a->cnic_key = sodium_malloc(32);
    a->pseudo_key = sodium_malloc(USSD_APP_KEY_BYTES);
    if (a->cnic_key == NULL || a->pseudo_key == NULL)
        fatalx("ussd: out of guarded memory");
    memcpy(a->cnic_key, cnic_key, 32);
    ussd_app_pseudo_key(cnic_key, a->pseudo_key);
    snprintf(a->ca_file, sizeof(a->ca_file), "%s", ca_file ? ca_file : "");
    return a;
}

static void app_call_free(struct app_call *c)
{
    struct ussd_apps *a = c->a;

    if (c->prev)
        c->prev->next = c->next;
    else
        a->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->deadline)
        event_free(c->deadline);
    free(c);
}

void ussd_apps_free(struct ussd_apps *a)
{
    if (a == NULL)
        return;
    while (a->calls) {
        struct app_call *c = a->calls;
        if (c->conn)
            evhttp_connection_free(c->conn); /* its request goes without its callback */
        app_call_free(c);
    }
    while (a->posts) {
        struct post_call *c = a->posts;
        a->posts = c->next;
        if (c->conn)
            evhttp_connection_free(c->conn);
        if (c->deadline)
            event_free(c->deadline);
        free(c);
    }
    while (a->rts) {
        struct app_rt *rt = a->rts;
        a->rts = rt->next;
        sodium_free(rt->secret);
        free(rt);
    }
    if (a->dns)
        evdns_base_free(a->dns, 0);
    if (a->tls)
        SSL_CTX_free(a->tls);
    sodium_free(a->cnic_key);
    sodium_free(a->pseudo_key);
    free(a);
}

const struct ussd_app_stats *ussd_apps_stats(const struct ussd_apps *a)
{
    return &a->stats;
}

/* ---- what kpass keeps per app ---- */

static struct app_rt *app_rt_get(struct ussd_apps *a, const char *name)
{
    struct app_rt *rt;

    for (rt = a->rts; rt; rt = rt->next)
        if (strcmp(rt->name, name) == 0)
            return rt;
    rt = kp_calloc(1, sizeof(*rt));
    snprintf(rt->name, sizeof(rt->name), "%s", name);
    rt->next = a->rts;
    a->rts = rt;
    return rt;
}

/* The secret file: its bytes, one trailing line break dropped. */
static int app_secret_load(struct app_rt *rt, const struct store_app *row)
{
    uint8_t buf[APP_SECRET_MAX + 2];
    ssize_t n;
    int fd = open(row->secret_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        log_warn("ussd: app %s: secret file %s", row->name, row->secret_file);
        return -KP_ERR_IO;
    }
    n = read(fd, buf, sizeof(buf));
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n < APP_SECRET_MIN || n > APP_SECRET_MAX) {
        sodium_memzero(buf, sizeof(buf));
        log_warnx("ussd: app %s: the secret in %s must be %d to %d bytes", row->name,
                  row->secret_file, APP_SECRET_MIN, APP_SECRET_MAX);
        return -KP_ERR_CONFIG;
    }
    sodium_free(rt->secret);
    rt->secret = sodium_malloc((size_t)n);
    if (rt->secret == NULL)
        return -KP_ERR_NOMEM;
    memcpy(rt->secret, buf, (size_t)n);
    rt->secret_len = (size_t)n;
    rt->updated_at = row->updated_at;
    sodium_memzero(buf, sizeof(buf));
    return 0;
}

/* Is code among "*789#,*790#" ("" allows any)? */
static int app_code_allowed(const char *list, const char *code)
{
    size_t n = strlen(code);
    const char *p = list;

    if (list[0] == '\0')
        return 1;
    while (*p) {
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, code, n) == 0)
            return 1;
        p += len;
        p += strspn(p, ", ");
    }
    return 0;
}

/* The breaker: may a request go now? */
static int app_breaker_allows(struct ussd_apps *a, struct app_rt *rt, uint64_t now_ms)
{
    if (rt->fails < USSD_APP_BREAKER_FAILS)
        return 1;
    if (now_ms < rt->open_until_ms || rt->probing) {
        a->stats.refused_open++;
        return 0;
    }
    rt->probing = 1; /* half open: this one request tries the app again */
    return 1;
}

static void app_breaker_note(struct ussd_apps *a, struct app_rt *rt, enum ussd_app_outcome o)
{
    rt->probing = 0;
    if (o == USSD_APP_OK) {
        if (rt->fails >= USSD_APP_BREAKER_FAILS)
            log_info("ussd: app %s answers again", rt->name);
        rt->fails = 0;
        rt->open_until_ms = 0;
        return;
    }
    if (++rt->fails >= USSD_APP_BREAKER_FAILS) {
        rt->open_until_ms = kp_clock_ms() + USSD_APP_BREAKER_COOL_MS;
        log_warnx("ussd: app %s cut off for %us after %u failures in a row (last: %s)", rt->name,
                  USSD_APP_BREAKER_COOL_MS / 1000, rt->fails, ussd_app_outcome_name(o));
    }
    (void)a;
}

/* ---- the answer ---- */

static void app_conn_free_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evhttp_connection_free(arg);
}

/* Report o (and the text) once, then forget the call. */
static void app_finish(struct app_call *c, enum ussd_app_outcome o, int end, const char *text,
                       size_t len)
{
    struct ussd_apps *a = c->a;
    ussd_app_cb cb = c->cb;
    void *arg = c->arg;

    app_breaker_note(a, c->rt, o);
    if (o == USSD_APP_OK)
        a->stats.ok++;
    else if (o == USSD_APP_TIMEOUT)
        a->stats.timeouts++;
    else
        a->stats.errors++;
    app_call_free(c);
    cb(arg, o, end, text, len);
}

static void app_done_cb(struct evhttp_request *req, void *arg)
{
    struct app_call *c = arg;
    struct timeval now = {0, 0};
    char body[USSD_APP_REPLY_MAX + 1];
    const char *text = NULL;
    size_t len = 0, tlen = 0;
    int end = 0, code = req ? evhttp_request_get_response_code(req) : 0;
    enum ussd_app_outcome o = USSD_APP_ERROR;

    if (req && code == 200) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        len = evbuffer_get_length(in);
        if (len <= USSD_APP_REPLY_MAX) {
            evbuffer_copyout(in, body, len);
            if (ussd_app_reply_parse(body, len, &end, &text, &tlen) == 0)
                o = USSD_APP_OK;
        }
    }
    if (o != USSD_APP_OK)
        log_info("ussd: app %s: %s", c->rt->name,
                 req == NULL   ? "no answer (connection failed or closed)"
                 : code != 200 ? "an HTTP status other than 200"
                               : "an answer that is not CON or END");
    /* The connection cannot be freed inside its own callback: next turn. */
    event_base_once(c->a->base, -1, EV_TIMEOUT, app_conn_free_cb, c->conn, &now);
    c->conn = NULL;
    app_finish(c, o, end, text, tlen);
}

static void app_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct app_call *c = arg;

    (void)fd;
    (void)what;
    log_info("ussd: app %s did not answer in time", c->rt->name);
    evhttp_connection_free(c->conn); /* the request goes without its callback */
    c->conn = NULL;
    app_finish(c, USSD_APP_TIMEOUT, 0, NULL, 0);
}

/* ---- the request ---- */

static int app_host_is_local(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

static int app_host_is_numeric(const char *host)
{
    struct in6_addr a6;
    struct in_addr a4;

    return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

/* The TLS context: peer certificates verified against the system's CAs (or ca_file). */
static SSL_CTX *app_tls(struct ussd_apps *a)
{
    if (a->tls)
        return a->tls;
    a->tls = SSL_CTX_new(TLS_client_method());
    if (a->tls == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(a->tls, TLS1_2_VERSION);
    SSL_CTX_set_verify(a->tls, SSL_VERIFY_PEER, NULL);
    if ((a->ca_file[0] ? SSL_CTX_load_verify_locations(a->tls, a->ca_file, NULL)
                       : SSL_CTX_set_default_verify_paths(a->tls)) != 1) {
        log_warnx("ussd: apps: cannot load the certificate authorities");
        SSL_CTX_free(a->tls);
        a->tls = NULL;
    }
    return a->tls;
}

/* A connection to uri's host: plain to the local host, else TLS checked against the host name. */
static struct evhttp_connection *app_connect(struct ussd_apps *a, const struct evhttp_uri *uri,
                                             const char *name)
{
    const char *scheme = evhttp_uri_get_scheme(uri), *host = evhttp_uri_get_host(uri);
    int https = scheme && strcmp(scheme, "https") == 0, port = evhttp_uri_get_port(uri);
    struct bufferevent *bev;
    struct evdns_base *dns = NULL;
    SSL *ssl = NULL;

    if (host == NULL || scheme == NULL || (!https && strcmp(scheme, "http") != 0))
        return NULL;
    if (!https && !app_host_is_local(host)) {
        log_warnx("ussd: app %s: plain http is only for this host; use https", name);
        return NULL;
    }
    if (port < 0)
        port = https ? 443 : 80;
    if (!app_host_is_numeric(host) && !app_host_is_local(host)) {
        if (a->dns == NULL)
            a->dns = evdns_base_new(a->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
        dns = a->dns;
    }
    if (https) {
        SSL_CTX *ctx = app_tls(a);
        if (ctx == NULL || (ssl = SSL_new(ctx)) == NULL)
            return NULL;
        char sni[256]; /* the macro takes a char *, not a const one */
        snprintf(sni, sizeof(sni), "%s", host);
        SSL_set_tlsext_host_name(ssl, sni); /* SNI, RFC 6066 §3 */
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set1_host(ssl, host) != 1) { /* the certificate must name host (RFC 6125) */
            SSL_free(ssl);
            return NULL;
        }
        bev = bufferevent_openssl_socket_new(a->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    } else {
        bev = bufferevent_socket_new(a->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    }
    if (bev == NULL)
        return NULL;
    return evhttp_connection_base_bufferevent_new(a->base, dns, bev, host, (unsigned short)port);
}

/* The form kpass posts (app.h), every identifier a pseudonym for the app's department. */
static void app_body(struct ussd_apps *a, const struct store_app *row,
                     const struct ussd_app_request *rq, struct kp_buf *body)
{
    char sid[USSD_APP_PSEUDO_HEX + 1], phone[USSD_APP_PSEUDO_HEX + 1], nonce[33];
    uint8_t rnd[16];

    ussd_app_pseudonym(a->pseudo_key, "session", row->department, (const uint8_t *)rq->session,
                       strlen(rq->session), sid);
    ussd_app_pseudonym(a->pseudo_key, "msisdn", row->department, (const uint8_t *)rq->msisdn,
                       strlen(rq->msisdn), phone);
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(nonce, sizeof(nonce), rnd, sizeof(rnd));
    ussd_app_form_add(body, "sessionId", sid);
    ussd_app_form_add(body, "serviceCode", rq->service_code);
    ussd_app_form_add(body, "phoneNumber", phone);
    ussd_app_form_add(body, "text", rq->text);
    ussd_app_form_add(body, "citizenId", rq->citizen ? rq->citizen : "");
    ussd_app_form_add(body, "language", rq->lang);
    ussd_app_form_add(body, "nonce", nonce);
}

/* The request itself, signed; 0 or an outcome. */
static int app_send(struct ussd_apps *a, struct app_call *c, const struct store_app *row,
                    const struct ussd_app_request *rq)
{
    struct evhttp_uri *uri = evhttp_uri_parse(row->url);
    struct kp_buf body = KP_BUF_INIT, target = KP_BUF_INIT;
    struct evkeyvalq *h;
    struct timeval tv = {row->timeout_ms / 1000, (row->timeout_ms % 1000) * 1000};
    char sig[3 + USSD_APP_SIG_HEX + 1], ts[24];
    int64_t now = kp_time_s();
    int rc = USSD_APP_ERROR;

    if (uri == NULL || (c->conn = app_connect(a, uri, row->name)) == NULL)
        goto out;
    evhttp_connection_set_timeout_tv(c->conn, &tv);
    c->req = evhttp_request_new(app_done_cb, c);
    app_body(a, row, rq, &body);
    ussd_app_sign(c->rt->secret, c->rt->secret_len, now, body.data, body.len, sig);
    snprintf(ts, sizeof(ts), "%lld", (long long)now);
    h = evhttp_request_get_output_headers(c->req);
    evhttp_add_header(h, "Host", evhttp_uri_get_host(uri));
    evhttp_add_header(h, "Content-Type", "application/x-www-form-urlencoded");
    evhttp_add_header(h, "User-Agent", "kpassd");
    evhttp_add_header(h, "X-Kpass-App", row->name);
    evhttp_add_header(h, "X-Kpass-Timestamp", ts);
    evhttp_add_header(h, "X-Kpass-Signature", sig);
    evbuffer_add(evhttp_request_get_output_buffer(c->req), body.data, body.len);
    kp_buf_puts(&target, evhttp_uri_get_path(uri) && *evhttp_uri_get_path(uri)
                             ? evhttp_uri_get_path(uri)
                             : "/");
    if (evhttp_uri_get_query(uri))
        kp_buf_printf(&target, "?%s", evhttp_uri_get_query(uri));
    if (evhttp_make_request(c->conn, c->req, EVHTTP_REQ_POST, target.data) < 0) {
        c->req = NULL; /* freed by evhttp on failure */
        goto out;
    }
    c->deadline = evtimer_new(a->base, app_deadline_cb, c);
    evtimer_add(c->deadline, &tv);
    rc = 0;
out:
    if (rc != 0 && c->conn) {
        evhttp_connection_free(c->conn);
        c->conn = NULL;
    }
    if (uri)
        evhttp_uri_free(uri);
    kp_buf_free(&body);
    kp_buf_free(&target);
    return rc;
}

int ussd_apps_ask(struct ussd_apps *a, const struct ussd_app_request *rq, ussd_app_cb cb, void *arg)
{
    struct store_app row;
    struct app_rt *rt;
    struct app_call *c;
    int rc;

    a->stats.requests++;
    if (store_app_get(a->st, rq->app, &row) < 0 || !row.enabled ||
        !app_code_allowed(row.service_codes, rq->service_code)) {
        a->stats.errors++;
        return USSD_APP_UNAVAILABLE;
    }
    rt = app_rt_get(a, row.name);
    if ((rt->secret == NULL || rt->updated_at != row.updated_at) && app_secret_load(rt, &row) < 0) {
        a->stats.errors++;
        return USSD_APP_UNAVAILABLE;
    }
    if (!app_breaker_allows(a, rt, kp_clock_ms()))
        return USSD_APP_UNAVAILABLE;
    c = kp_calloc(1, sizeof(*c));
    c->a = a;
    c->rt = rt;
    c->cb = cb;
    c->arg = arg;
    c->next = a->calls;
    if (a->calls)
        a->calls->prev = c;
    a->calls = c;
    if ((rc = app_send(a, c, &row, rq)) != 0) {
        app_breaker_note(a, rt, (enum ussd_app_outcome)rc);
        a->stats.errors++;
        app_call_free(c);
        return rc;
    }
    return 0;
}

int ussd_apps_identify(struct ussd_apps *a, const char *app, const char *msisdn, const char *cnic,
                       char out[USSD_APP_PSEUDO_HEX + 1])
{
    struct store_app row;
    struct store_citizen cz;
    uint8_t idx[CNIC_INDEX_BYTES];
    char actor[48], detail[64];
    int rc;

    out[0] = '\0';
    if ((rc = store_app_get(a->st, app, &row)) < 0)
        return rc;
    if (cnic_index(cnic, a->cnic_key, idx) < 0 ||
        store_citizen_get_by_msisdn(a->st, msisdn, &cz) < 0 || cz.status != STORE_CITIZEN_ACTIVE ||
        sodium_memcmp(idx, cz.cnic_index, sizeof(idx)) != 0)
        return -KP_ERR_NOTFOUND;
    ussd_app_pseudonym(a->pseudo_key, "cnic", row.department, cz.cnic_index, sizeof(cz.cnic_index),
                       out);
    /* Every use of an identity is audited: this one tells a department who calls. */
    snprintf(actor, sizeof(actor), "ussd:%s", row.name);
    snprintf(detail, sizeof(detail), "pseudonym for department %s", row.department);
    if (store_batch(a->st) < 0 ||
        audit_append(a->st, kp_time_s(), "app.identified", actor, cz.cnic_index, detail) < 0) {
        out[0] = '\0';
        return -KP_ERR_DB;
    }
    return 0;
}

/* ---- signed POSTs of callbacks ---- */

static void post_finish(struct post_call *c, int status, const char *body, size_t len)
{
    struct ussd_apps *a = c->a;
    ussd_post_cb cb = c->cb;
    void *arg = c->arg;

    if (c->prev)
        c->prev->next = c->next;
    else
        a->posts = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->deadline)
        event_free(c->deadline);
    free(c);
    cb(arg, status, body, len);
}

static void post_done_cb(struct evhttp_request *req, void *arg)
{
    struct post_call *c = arg;
    struct timeval now = {0, 0};
    char body[USSD_POST_BODY_MAX + 1];
    size_t len = 0;

    if (req) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        len = evbuffer_get_length(in);
        if (len > USSD_POST_BODY_MAX)
            len = 0; /* more than any answer kpass reads: as if empty */
        evbuffer_copyout(in, body, len);
    }
    body[len] = '\0';
    event_base_once(c->a->base, -1, EV_TIMEOUT, app_conn_free_cb, c->conn, &now);
    c->conn = NULL;
    post_finish(c, req ? evhttp_request_get_response_code(req) : 0, body, len);
}

static void post_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct post_call *c = arg;

    (void)fd;
    (void)what;
    evhttp_connection_free(c->conn);
    c->conn = NULL;
    post_finish(c, 0, "", 0);
}

int ussd_apps_post(struct ussd_apps *a, const struct ussd_post *p, ussd_post_cb cb, void *arg)
{
    struct evhttp_uri *uri = evhttp_uri_parse(p->url);
    struct post_call *c = kp_calloc(1, sizeof(*c));
    struct evhttp_request *req;
    struct evkeyvalq *h;
    struct timeval tv = {p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000};
    struct kp_buf target = KP_BUF_INIT, auth = KP_BUF_INIT;
    char sig[3 + USSD_APP_SIG_HEX + 1], ts[24];
    int64_t now = kp_time_s();
    int rc = -KP_ERR_INVAL;

    c->a = a;
    c->cb = cb;
    c->arg = arg;
    if (uri == NULL || (c->conn = app_connect(a, uri, "callback")) == NULL)
        goto out;
    evhttp_connection_set_timeout_tv(c->conn, &tv);
    req = evhttp_request_new(post_done_cb, c);
    h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", evhttp_uri_get_host(uri));
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "User-Agent", "kpassd");
    if (p->delivery)
        evhttp_add_header(h, "X-Kpass-Delivery", p->delivery);
    if (p->secret) {
        ussd_app_sign(p->secret, p->secret_len, now, p->body, p->len, sig);
        snprintf(ts, sizeof(ts), "%lld", (long long)now);
        evhttp_add_header(h, "X-Kpass-Timestamp", ts);
        evhttp_add_header(h, "X-Kpass-Signature", sig);
    }
    if (p->bearer) {
        kp_buf_printf(&auth, "Bearer %s", p->bearer);
        evhttp_add_header(h, "Authorization", auth.data);
    }
    evbuffer_add(evhttp_request_get_output_buffer(req), p->body, p->len);
    kp_buf_puts(&target, evhttp_uri_get_path(uri) && *evhttp_uri_get_path(uri)
                             ? evhttp_uri_get_path(uri)
                             : "/");
    if (evhttp_uri_get_query(uri))
        kp_buf_printf(&target, "?%s", evhttp_uri_get_query(uri));
    if (evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, target.data) < 0)
        goto out;
    c->deadline = evtimer_new(a->base, post_deadline_cb, c);
    evtimer_add(c->deadline, &tv);
    c->next = a->posts;
    if (a->posts)
        a->posts->prev = c;
    a->posts = c;
    rc = 0;
out:
    if (rc < 0) {
        if (c->conn)
            evhttp_connection_free(c->conn);
        free(c);
    }
    if (uri)
        evhttp_uri_free(uri);
    if (auth.data)
        sodium_memzero(auth.data, auth.len);
    kp_buf_free(&auth);
    kp_buf_free(&target);
    return rc;
}
