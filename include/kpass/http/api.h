/* SPDX-License-Identifier: ISC */
/*
 * The HTTP API in kpassd (doc/http-api.md): office desks (sessions, scans,
 * codes, confirmations), /metrics in Prometheus text format and /healthz,
 * on libevent's evhttp.  Plain HTTP on loopback by default; TLS belongs to
 * a reverse proxy.
 */
#ifndef KPASS_HTTP_API_H
#define KPASS_HTTP_API_H

#include <stdint.h>

#include "kpass/core/addr.h"
#include "kpass/core/conf.h"

struct codes;
struct event_base;
struct keys_ring;
struct kp_config;
struct smpp_hub;
struct sms_outbox;
struct store;
struct ussd_svc;
struct ussd_apps;
struct ussd_pushes;
struct http_api;

#define HTTP_MAX_LISTEN 4

struct http_settings {
    int enabled; /* kpassd serves the API at all */
    struct kp_addr listen[HTTP_MAX_LISTEN];
    int nlisten;
    unsigned session_ttl_s;
    unsigned verification_ttl_s;       /* a verification not confirmed by then expires */
    unsigned timeout_s;                /* a whole request, from accept or the last reply */
    unsigned max_connections;          /* HTTP connections at once */
    unsigned max_connections_per_addr; /* ... from one peer address */
    unsigned addr_rate;                /* requests per second per source address */
    unsigned addr_burst;
    unsigned desk_rate; /* requests per second per desk */
    unsigned desk_burst;
    unsigned pin_failures;            /* wrong PINs in a row that lock a staff member */
    int trust_proxy;                  /* take the client address from X-Forwarded-For */
    char helpline[32];                /* named in the "Not you?" SMS */
    char metrics_token_file[512];     /* "": /metrics is open (bind it to loopback) */
    unsigned audit_verify_s;          /* [daemon] audit_verify_interval, set by the program */
    char conf_path[256];              /* the configuration file, for errors; set by the program */
    unsigned webhook_backoff_s;       /* a failed callback's first retry; doubles each time */
    unsigned webhook_attempts;        /* attempts before a callback is given up (failed) */
    struct kp_addr metrics_listen[1]; /* the operations address ([http] metrics_listen) */
    int nmetrics_listen;
    int metrics_token; /* /metrics wants the bearer token whose hash follows */
    uint8_t metrics_token_hash[32];
};

/* What the API reads and drives; all borrowed. */
struct http_deps {
    struct store *st;
    const char *db_path;     /* the worker thread opens its own connection */
    const uint8_t *desk_key; /* desk tokens and staff PINs (store_desk.h) */
    const uint8_t *audit_key;
    struct codes *codes;
    struct sms_outbox *outbox;
    struct keys_ring *keys;                 /* trust list and the active signing key */
    struct smpp_hub *hub;                   /* for /metrics and /healthz */
    struct ussd_svc *ussd;                  /* for /metrics */
    const uint8_t *cnic_key;                /* notices by CNIC: the citizen's index */
    struct ussd_apps *apps;                 /* signed callbacks to departments go out through it */
    struct ussd_pushes *pushes;             /* "was this you?" after a verification (may be NULL) */
    const struct store_settings *store_set; /* [store]: the worker's connection (NULL: SQLite) */
    const char *node;                       /* [daemon] node: /healthz and every metric's label */
};

struct kp_buf;
/* kpassd.conf's [http] (kpassd.conf(5)) over a struct http_settings: its
   keys, defaults and checks; the programs add it to their configuration. */
extern const struct conf_table http_conf_table;
/*
 * Read the /metrics bearer token from path (one line; surrounding blanks
 * dropped) and keep only its BLAKE2b hash in s.  The file must not be
 * readable by group or others.  0, or < 0 with the reason in err.
 */
int http_metrics_token_load(struct http_settings *s, const char *path, struct kp_buf *err);

struct http_api *http_api_new(struct event_base *base, const struct http_settings *s,
                              const struct http_deps *d);
void http_api_free(struct http_api *a);
/* Listen on every configured address.  0 or -errno (reported). */
int http_api_listen(struct http_api *a);
/* Swap the key ring after a reload (the old one is the caller's to free). */
void http_api_set_keys(struct http_api *a, struct keys_ring *keys);
/* Housekeeping (from the daemon's tick): prune expired sessions, expire
   verifications older than verification_ttl. */
void http_api_tick(struct http_api *a, int64_t now);

#endif
