/* SPDX-License-Identifier: ISC */
/*
 * HTTP connections: caps in all and per client address, and a deadline for
 * the whole request.  evhttp (libevent 2.1) has a timeout per read only, so
 * a client trickling a header byte at a time held its connection forever,
 * and it has no hook at accept.  Its bufferevent callback is the one place
 * a new connection shows: there we note the connection, and right after
 * the accept callback (same loop pass) we find its evhttp_connection, its
 * peer, and either arm its deadline or answer 503 and close it.
 *
 * A connection's deadline runs from its accept, and again from each reply
 * on a kept-alive connection, until a whole request has arrived; while a
 * request is being answered it does not run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http_internal.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"

struct http_conn {
    TAILQ_ENTRY(http_conn) entry;
    struct http_api *api;
    struct bufferevent *bev;         /* referenced until born */
    struct evhttp_connection *evcon; /* once born */
    struct event *deadline;
    char addr[48];
    int born;
};

#define HTTP_CONN_503_BODY "{\"error\":\"busy\",\"reason\":\"too many connections, retry\"}\n"
_Static_assert(sizeof(HTTP_CONN_503_BODY) - 1 == 56, "fix Content-Length below");
static const char http_conn_503[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                    "Retry-After: 1\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 56\r\n"
                                    "Connection: close\r\n\r\n" HTTP_CONN_503_BODY;

static void http_conn_forget(struct http_conn *c)
{
    struct http_api *a = c->api;

    TAILQ_REMOVE(&a->conns, c, entry);
    if (c->born)
        a->nconns--;
    else
        bufferevent_decref(c->bev);
    if (c->deadline)
        event_free(c->deadline);
    free(c);
}

/* evhttp is freeing the connection (closed, failed, or done). */
static void http_conn_close_cb(struct evhttp_connection *evcon, void *arg)
{
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    http_conn_forget(arg);
}

static void http_conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_conn *c = arg;

    (void)fd;
    (void)what;
    log_debug("http: connection from %s closed: no whole request within %u s", c->addr,
              c->api->set.timeout_s);
    c->api->conns_timed_out++;
    evhttp_connection_free(c->evcon); /* calls http_conn_close_cb, which frees c */
}

static void http_conn_arm(struct http_conn *c)
{
    struct timeval tv = {(time_t)c->api->set.timeout_s, 0};

    evtimer_add(c->deadline, &tv);
}

/* Over a cap: a 503 written straight to the new socket, and closed. */
static void http_conn_refuse(struct http_conn *c, const char *why)
{
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    char sink[4096];

    log_debug("http: connection from %s refused: %s", c->addr, why);
    c->api->conns_refused++;
    if (fd >= 0) {
        /* Read what already came, so that closing does not reset the
           connection before the client reads the answer. */
        for (int i = 0; i < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
            ;
        (void)!send(fd, http_conn_503, sizeof(http_conn_503) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    evhttp_connection_free(c->evcon);
}

/* A connection just accepted: find its evhttp_connection and peer, then
   cap or arm. */
static int http_conn_birth(struct http_conn *c)
{
    struct http_api *a = c->api;
    struct http_conn *o;
    bufferevent_data_cb readcb = NULL;
    void *cbarg = NULL;
    char *host = NULL;
    ev_uint16_t port = 0;
    unsigned here = 0;

    bufferevent_getcb(c->bev, &readcb, NULL, NULL, &cbarg);
    if (readcb == NULL || cbarg == NULL)
        return -1; /* evhttp gave it up already */
    c->evcon = cbarg;
    c->born = 1;
    a->nconns++;
    bufferevent_decref(c->bev);
    evhttp_connection_set_closecb(c->evcon, http_conn_close_cb, c);
    evhttp_connection_get_peer(c->evcon, &host, &port);
    snprintf(c->addr, sizeof(c->addr), "%s", host ? host : "?");
    c->deadline = evtimer_new(a->base, http_conn_deadline_cb, c);
    TAILQ_FOREACH(o, &a->conns, entry)
    here += o->born && strcmp(o->addr, c->addr) == 0;
    if (a->nconns > a->set.max_connections)
        http_conn_refuse(c, "max_connections reached");
    else if (here > a->set.max_connections_per_addr)
        http_conn_refuse(c, "max_connections_per_addr reached");
    else
        http_conn_arm(c);
    return 0;
}

static void http_conn_born_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_api *a = arg;
    struct http_conn *c, *next;

    (void)fd;
    (void)what;
    for (c = TAILQ_FIRST(&a->conns); c != NULL; c = next) {
        next = TAILQ_NEXT(c, entry);
        if (!c->born && http_conn_birth(c) < 0)
            http_conn_forget(c);
    }
}

/* evhttp's bufferevent callback: a connection is being accepted. */
static struct bufferevent *http_conn_bev_cb(struct event_base *base, void *arg)
{
    struct http_api *a = arg;
    struct http_conn *c = kp_calloc(1, sizeof(*c));

    /* Options 0, as evhttp's own: evhttp closes the socket itself. */
    c->bev = bufferevent_socket_new(base, -1, 0);
    if (c->bev == NULL) {
        free(c);
        return NULL;
    }
    c->api = a;
    bufferevent_incref(c->bev); /* still ours to look at if evhttp drops it */
    TAILQ_INSERT_TAIL(&a->conns, c, entry);
    event_active(a->born, 0, 0);
    return c->bev;
}

void http_conns_init(struct http_api *a)
{
    TAILQ_INIT(&a->conns);
    a->born = event_new(a->base, -1, 0, http_conn_born_cb, a);
    evhttp_set_bevcb(a->http, http_conn_bev_cb, a);
}

void http_conns_free(struct http_api *a)
{
    struct http_conn *c;

    /* evhttp_free has closed every born one (through their close callback). */
    while ((c = TAILQ_FIRST(&a->conns)) != NULL) {
        if (c->born)
            evhttp_connection_set_closecb(c->evcon, NULL, NULL);
        http_conn_forget(c);
    }
    if (a->born)
        event_free(a->born);
}

static struct http_conn *http_conn_by_evcon(struct http_api *a, struct evhttp_connection *evcon)
{
    struct http_conn *c;

    TAILQ_FOREACH(c, &a->conns, entry)
    if (c->born && c->evcon == evcon)
        return c;
    return NULL;
}

static struct http_conn *http_conn_of(struct http_api *a, struct evhttp_request *req)
{
    return http_conn_by_evcon(a, evhttp_request_get_connection(req));
}

void http_conn_closed(struct http_api *a, struct evhttp_connection *evcon)
{
    struct http_conn *c = http_conn_by_evcon(a, evcon);

    if (c != NULL)
        http_conn_close_cb(evcon, c);
}

void http_conn_watch(struct http_api *a, struct evhttp_connection *evcon)
{
    struct http_conn *c = http_conn_by_evcon(a, evcon);

    evhttp_connection_set_closecb(evcon, c ? http_conn_close_cb : NULL, c);
}

/* The reply is written: a kept-alive connection has timeout for its next request. */
static void http_conn_replied_cb(struct evhttp_request *req, void *arg)
{
    struct http_conn *c = http_conn_of(arg, req);

    if (c != NULL)
        http_conn_arm(c);
}

void http_conn_dispatched(struct http_api *a, struct evhttp_request *req)
{
    struct http_conn *c = http_conn_of(a, req);

    if (c == NULL)
        return;
    event_del(c->deadline);
    evhttp_request_set_on_complete_cb(req, http_conn_replied_cb, a);
}
