/* SPDX-License-Identifier: ISC */
/*
 * bench_http's parts (bench_http.c: the runs, the HTTP connections and the
 * report; http_sms.c: the SMPP binds that read the code SMS; http_issue.c:
 * the credentials of the setup): the state they share.
 */
#ifndef KPASS_BENCH_HTTP_H
#define KPASS_BENCH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/kp1.h"
#include "kpass/id/msisdn.h"
#include "kpass/smpp/pdu.h"

struct bufferevent;
struct event;
struct event_base;

#define HB_CONNS_MAX   1024
#define HB_BINDS_MAX   8
#define HB_HEAD_MAX    8192
#define HB_BODY_MAX    16384
#define HB_SMS_PARTS   4
#define HB_SMS_TIMEOUT 10000000 /* us: a code SMS later than this abandons the citizen */
#define HB_DRAIN_S     2

enum hb_kind { HB_SIGNIN, HB_SCAN, HB_CODE, HB_SMS, HB_CONFIRM, HB_FLOW, HB_KINDS };
enum hb_phase { HB_STARTING, HB_WARMUP, HB_RUNNING, HB_DRAINING };

struct hb_stat {
    uint32_t *lat; /* microseconds */
    size_t n, cap;
    uint64_t status[600];
};

/* A citizen: the registered number and the card's token text. */
struct hb_cit {
    char msisdn[MSISDN_SIZE];
    char token[KP1_TEXT_SIZE];
    struct hb_conn *waiting; /* the connection waiting for this citizen's code SMS */
};

struct hb_conn {
    struct hb *b;
    struct bufferevent *bev;
    unsigned index;
    int busy;          /* a request is in flight */
    enum hb_kind kind; /* of the request in flight */
    uint64_t t_sent;
    size_t need; /* header + body octets of the answer being read, 0: unknown */
    int status;
    /* full mode: the citizen this connection is verifying */
    struct hb_cit *cit;
    char vid[33];
    char code[7];
    int accepted; /* the code request was answered 202 */
    uint64_t t_flow, t_code;
    unsigned sms_ref, sms_total, sms_got;
    uint16_t sms_len[HB_SMS_PARTS];
    uint8_t sms[HB_SMS_PARTS][SMPP_PAYLOAD_MAX];
    int sms_coding;
};

struct hb_bind {
    struct hb *b;
    struct bufferevent *bev;
    uint32_t seq;
    int bound;
};

struct hb {
    const char *mode, *tokens_path, *desk_token_file, *staff, *pin_file, *pw_file, *system_id;
    unsigned port, smpp_port, nconns, nbinds, seconds, warmup;
    long daemon_pid;
    struct event_base *base;
    struct event *timer, *sweep;
    enum hb_phase phase;
    struct hb_conn *conns;
    struct hb_bind binds[HB_BINDS_MAX];
    unsigned connected, bound;
    char auth[128];   /* "Authorization: Bearer ks1_...\r\n" */
    char signin[384]; /* the sign-in body (desk token and PIN) */
    struct hb_cit *cits;
    size_t ncits, next_cit;
    uint32_t *by_msisdn; /* open addressing: 1 + citizen index, 0 empty */
    size_t hcap;
    int exhausted, failed;
    uint64_t ops, t_start, t_stop;
    double cpu0[5], cpu1[5];
    struct hb_stat st[HB_KINDS];
    uint64_t conn_errors, proto_errors, sms_timeouts, sms_other, sms_unknown;
};

/* bench_http.c */
void hb_fail(struct hb *b, const char *what);
/* One latency sample (us) and answer status of kind k, in the measured period. */
void hb_record(struct hb *b, enum hb_kind k, int status, uint64_t lat_us);
/* The citizen registered with e164, or NULL. */
struct hb_cit *hb_cit_find(struct hb *b, const char *e164);
/* Confirm c's verification once both the 202 and the code are in. */
void hb_confirm(struct hb_conn *c, uint64_t now);
/* Connect c to the HTTP port. */
void hb_conn_open(struct hb_conn *c);

/* http_sms.c */
/* Connect and bind s as a transceiver; once all are bound, the HTTP connections open. */
void hb_bind_open(struct hb *b, struct hb_bind *s);
/* Unbind every bound link (the end of the measured period). */
void hb_binds_unbind(struct hb *b);

/* http_issue.c */
/* bench_http issue CONF CSV OUT: an exit status. */
int hb_issue(const char *conf, const char *csv_path, const char *out_path);

#endif
