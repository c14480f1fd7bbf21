/* SPDX-License-Identifier: ISC */
/*
 * kpass bench: the load generator's connections and measurements, shared
 * by its modes (link: enquire_link/submit_sm pairs; ussd: dialogs).
 */
#ifndef KPASS_BENCH_H
#define KPASS_BENCH_H

#include <stdint.h>

#include "kpass/smpp/pdu.h"

struct bench;
struct bench_conn;
struct event_base;

struct bench_opts {
    const char *host;
    unsigned port;
    char system_id[16];
    char password[9];
    unsigned binds;
    unsigned window;
    unsigned seconds;
    const char *pdu;  /* link mode: "enquire_link" or "submit_sm" */
    const char *mode; /* "link" or "ussd" */
    /* ussd mode */
    const char *dial;
    const char *inputs;
    unsigned sessions;
    unsigned msisdn_base; /* the first subscriber's index (several generators, distinct numbers) */
    const char *service_code;
    unsigned rate; /* hops per second offered; 0: as fast as answers come */
};

/* A mode: what to do once bound, and with each PDU that arrives. */
struct bench_driver {
    void (*on_bound)(struct bench *b, struct bench_conn *c);
    /* A decoded PDU; latency samples are recorded with bench_sample(). */
    void (*on_pdu)(struct bench *b, struct bench_conn *c, const struct smpp_pdu *pdu,
                   uint64_t now_us);
    /* The measured period ended: stop starting new work. */
    void (*on_stop)(struct bench *b);
    /* Extra JSON members for the final line ("\"hops_per_s\":...,"), given the
       completed operations per second; may be NULL. */
    void (*report)(struct bench *b, double ops_per_s, char *out, size_t size);
    void *arg;
};

struct bench *bench_new(const struct bench_opts *o, const struct bench_driver *d);
/* Connect, bind, run for o->seconds, drain, unbind; prints the final JSON. 0 or 1. */
int bench_run(struct bench *b);
void bench_free(struct bench *b);

/* For drivers. */
const struct bench_opts *bench_opts(const struct bench *b);
void *bench_driver_arg(const struct bench *b);
int bench_running(const struct bench *b);
unsigned bench_conn_index(const struct bench_conn *c);
uint32_t bench_conn_next_seq(struct bench_conn *c);
/* Queue a PDU on the connection (written when the read callback returns). */
void bench_send(struct bench_conn *c, const uint8_t *pdu, size_t len);
void bench_send_pdu(struct bench_conn *c, const struct smpp_pdu *pdu);
/* Outside a read callback (a driver's own timer): write what was queued. */
void bench_conn_flush(struct bench_conn *c);
struct bench_conn *bench_conn_at(struct bench *b, unsigned index);
struct event_base *bench_base(struct bench *b);
void bench_sample(struct bench *b, uint64_t latency_us);
void bench_error(struct bench *b, const char *what);
void bench_count(struct bench *b, uint64_t n); /* completed operations (pairs, hops) */
uint64_t bench_now_us(void);

int bench_mode_link(const struct bench_opts *o);
int bench_mode_ussd(const struct bench_opts *o);

#endif
