/* SPDX-License-Identifier: ISC */
/*
 * Private to src/http/: the API object, the request context handlers get,
 * and the helpers they share.
 */
#ifndef KPASS_HTTP_INTERNAL_H
#define KPASS_HTTP_INTERNAL_H

#include <stdint.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <jansson.h>

#include "kpass/core/bucket.h"
#include "kpass/http/api.h"
#include "kpass/store/backend.h"
#include "kpass/store/verification.h"

struct kp_accept_guard;
struct kp_worker;
struct store;

/* Routes, for metrics (one counter per route and status class). */
enum http_route {
    HTTP_R_SESSIONS = 0,
    HTTP_R_VERIFY,
    HTTP_R_CODE,
    HTTP_R_CONFIRM,
    HTTP_R_GET,
    HTTP_R_RECEIPT,
    HTTP_R_RESUME, /* lift a suspension its citizen made (issue 15) */
    HTTP_R_NOTICES,
    HTTP_R_NOTICE_GET,
    HTTP_R_METRICS,
    HTTP_R_HEALTHZ,
    HTTP_R_READYZ,
    HTTP_R_OTHER,
    HTTP_R_MAX
};

#define HTTP_STATUS_SLOTS 12 /* 200 201 202 400 401 403 404 409 413/other4xx 422 423 429 / 5xx */

#define HTTP_LIMITERS 1024

struct http_limiter {
    char key[48]; /* "a:<address>" or "d:<desk>" */
    struct kp_bucket b;
    uint64_t last_ms;
};

struct http_conn;

/* Verifications per office and outcome, for /metrics (office="..." labels). */
enum http_vout {
    HTTP_VOUT_SCANNED = 0,  /* a card scanned and accepted: a verification began */
    HTTP_VOUT_CARD_REFUSED, /* a scanned card refused (its verdict is in the audit log) */
    HTTP_VOUT_CODE_SENT,
    HTTP_VOUT_VERIFIED,
    HTTP_VOUT_FAILED,  /* the code spent or the citizen locked, or the card no longer holds */
    HTTP_VOUT_EXPIRED, /* found past [http] verification_ttl at a step */
    HTTP_VOUT_MAX
};
extern const char *const http_vout_names[HTTP_VOUT_MAX];
#define HTTP_OFFICES 256 /* the last row gathers offices beyond it */
struct http_office_stat {
    char office[16]; /* "" for a free row */
    uint64_t n[HTTP_VOUT_MAX];
};
/* Count one outcome at office. */
void http_count_verification(struct http_api *a, const char *office, enum http_vout out);

struct http_api {
    struct event_base *base;
    struct evhttp *http;
    struct http_settings set;
    struct http_deps d;
    struct kp_worker *worker;      /* staff PIN checks */
    struct kp_accept_guard *guard; /* the listeners' reserve descriptor and pause */
    struct store *wst;             /* the worker thread's own store connection */
    struct http_limiter limiters[HTTP_LIMITERS];
    uint64_t requests[HTTP_R_MAX][HTTP_STATUS_SLOTS];
    uint64_t refusals; /* every 4xx */
    struct http_office_stat offices[HTTP_OFFICES];
    /* The database's role and lag, asked on the daemon's tick (once a
       second), so that /healthz and /metrics answer without a round trip. */
    struct store_health health;
    /* The audit chain, walked in the worker every set.audit_verify_s. */
    struct {
        int running;
        int64_t next_at;
        int64_t last_at; /* when the last walk finished; 0: none yet */
        int ok;          /* it found the chain intact */
        int64_t rows;
        uint64_t failures; /* walks that found a broken chain or could not read it */
    } audit;
    struct http_webhooks *webhooks; /* callbacks to departments (webhook.c) */
    struct http_simswap *simswap;   /* SIM-swap answers by verification (simswap.c) */
    TAILQ_HEAD(, http_conn) conns;  /* open connections (conn.c) */
    unsigned nconns;
    struct event *born;       /* finds connections just accepted */
    uint64_t conns_refused;   /* over a cap: 503 */
    uint64_t conns_timed_out; /* no whole request within the deadline */
};

/* One request, as the handlers see it. */
struct http_req {
    struct http_api *api;
    struct evhttp_request *req;
    enum http_route route;
    char addr[48];
    const char *body;
    size_t body_len;
    char id[33]; /* the {id} of /v1/verifications/{id}/... or /v1/receipts/{id} */
    struct store_session session;
};

extern const int http_status_codes[HTTP_STATUS_SLOTS];
extern const char *const http_route_names[HTTP_R_MAX];

/* Reply with a JSON object (stolen) and status; counts it. */
void http_reply_json(struct http_req *r, int status, json_t *body);
/* Reply {"error": kind, "reason": reason} with status; counts and audits refusals. */
void http_reply_error(struct http_req *r, int status, const char *kind, const char *reason);
/* Reply text/plain (metrics). */
void http_reply_text(struct http_req *r, int status, const char *text, size_t len);

/* The bearer session of r, or a 401 already sent (returns < 0). */
int http_auth(struct http_req *r);
/* Take a token from key's bucket; 0, or a 429 already sent (< 0). */
int http_limit(struct http_req *r, const char *key, unsigned rate, unsigned burst);

/* desk.c */
void http_desk_session(struct http_req *r);
void http_desk_signout(struct http_req *r);
void http_desk_scan(struct http_req *r);
/* POST /v1/credentials/resume: lift a citizen's suspension after an in-person check. */
void http_desk_resume(struct http_req *r);
void http_desk_code(struct http_req *r);
void http_desk_confirm(struct http_req *r);
void http_desk_get(struct http_req *r);
/* GET /v1/receipts/{id} (receipts.c). */
void http_receipt_get(struct http_req *r);

/* notices.c: departments' notices by CNIC. */
struct store_dept;
struct store_notice;
/* The department whose bearer token r carries, or a 401 already sent (< 0). */
int http_dept_auth(struct http_req *r, struct store_dept *dept);
void http_notice_post(struct http_req *r);
void http_notice_get(struct http_req *r);
/* A notice's state as its department sees it; *final once it will not change. */
const char *http_notice_state(struct store *st, const struct store_notice *n, int *final);

/* webhook.c: the durable queue of signed callbacks to departments. */
struct http_webhooks;
struct http_webhooks *http_webhooks_new(struct http_api *a);
void http_webhooks_free(struct http_webhooks *w);
/* Queue what is due (notices in a final state) and send what is due (every second). */
void http_webhooks_tick(struct http_api *a, int64_t now);
/* What a VERIFIED callback tells beside the verification's row. */
struct http_verified {
    const char *receipt;    /* "KPR1:..." */
    const char *receipt_id; /* the short id people read out */
    const char *office_name;
    const char *biometric; /* "" when none */
};
/*
 * v ended VERIFIED: queue a callback, with the signed receipt and the
 * department's pseudonym of the citizen (cnic_index), for every department
 * subscribed to v's purpose.  Inside the caller's transaction, so that it
 * commits with the verification.  0 or < 0.
 */
int http_webhooks_verified(struct http_api *a, const struct store_verification *v,
                           const uint8_t *cnic_index, const struct http_verified *f, int64_t now);
/* Ask citizen c "was this you?" by a USSD push, if pushes are on: v ended
   VERIFIED (purpose NULL), or a desk code for purpose was sent (if the
   configuration names it). */
struct store_citizen;
void http_push_ask(struct http_api *a, const struct store_verification *v,
                   const struct store_citizen *c, const char *office_name, const char *purpose,
                   int64_t now);

/* simswap.c: the operator's SIM-swap check, asked at the scan, applied at the code. */
struct http_simswap;
struct http_simswap *http_simswap_new(struct http_api *a);
void http_simswap_free(struct http_simswap *s);
/* A card was scanned: ask the operator serving c's number, if one is configured. */
void http_simswap_start(struct http_api *a, const struct store_verification *v,
                        const struct store_citizen *c);
/* At the code step: 1 when the code is held (the 409 sent, audited), else 0. */
int http_simswap_holds(struct http_req *r, const struct store_verification *v,
                       const struct store_citizen *c);

/* conn.c: connection caps and the whole-request deadline. */
void http_conns_init(struct http_api *a);
/* After evhttp_free. */
void http_conns_free(struct http_api *a);
/* A whole request arrived on its connection: stop its deadline until the reply is written. */
void http_conn_dispatched(struct http_api *a, struct evhttp_request *req);
/*
 * evhttp keeps one close callback per connection, and this file's forgets
 * the connection (and its deadline timer).  A handler that sets its own
 * (desk.c's sign-in, answered from the worker) calls http_conn_closed()
 * from it and gives the connection back with http_conn_watch() when done:
 * otherwise the deadline fires on a connection evhttp has freed (kpassd
 * crashed 10 s after any desk sign-in).
 */
void http_conn_closed(struct http_api *a, struct evhttp_connection *evcon);
void http_conn_watch(struct http_api *a, struct evhttp_connection *evcon);

/* metrics.c */
void http_metrics(struct http_req *r);
void http_healthz(struct http_req *r);
void http_readyz(struct http_req *r);

#endif
