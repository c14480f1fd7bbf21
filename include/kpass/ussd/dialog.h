/* SPDX-License-Identifier: ISC */
/*
 * USSD dialogs in the daemon: the loaded menu graphs, the dialog lifecycle
 * (begin, continue, resume, abort, expiry), dialog state in the store, and
 * sending each screen back to the partner over SMPP.
 */
#ifndef KPASS_USSD_DIALOG_H
#define KPASS_USSD_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/menu/menu.h"
#include "kpass/core/conf.h"
#include "kpass/smpp/smpp.h"
#include "kpass/store/store.h"
#include "kpass/ussd/ussd.h"

/* The built-ins the menus may call, with their implementation. */
struct ussd_builtins {
    const struct menu_builtin *table;
    size_t n;
    int (*call)(void *ctx, const struct menu_call *call, struct menu_result *res);
    void *ctx;
    const struct menu_validators *validators; /* `accept cnic`, `accept msisdn` */
};

#define USSD_MAX_CODES 8 /* service codes, each with its menus */

/* A service code and the menus that serve it. */
struct ussd_code {
    char code[24];       /* as dialled, "*789#" */
    char menus_dir[512]; /* its *.menu files */
    int lang;            /* enum menu_lang of first-time callers, or -1 (English) */
};

struct ussd_settings {
    char menus_dir[512];
    char service_code[24];      /* as dialled, "*789#" */
    char first_lang[8];         /* first-time callers of service_code: "" (en), "ur", ... */
    char more_codes_text[1024]; /* "*790# /srv/menus-police lang=ps, ...": read into codes */
    struct ussd_code codes[USSD_MAX_CODES]; /* [0]: service_code, menus, first_lang */
    unsigned ncodes;
    unsigned screen_timeout_s; /* idle time allowed on one screen */
    unsigned dialog_timeout_s; /* length allowed for one dialog */
    unsigned resume_window_s;  /* a redial this soon may continue */
    struct menu_limits limits; /* the default page limits */
    char abort_ops_text[64];   /* abort_ops as written, "0x81, 0x82": read into ... */
    uint8_t abort_ops[USSD_MAX_ABORT_OPS];
    unsigned nabort;
    char apps_ca_file[512];       /* CA bundle for HTTPS department apps ("": the system's) */
    char push_partner[16];        /* "was this you?" pushes go over this partner ("": none) */
    unsigned push_timeout_s;      /* ... and wait this long for the answer */
    char push_code_purposes[128]; /* desk codes for these purposes are asked about too */
};

/* Upper bounds of the hop latency histogram, microseconds (Prometheus le=). */
#define USSD_HOP_BUCKETS 10
extern const unsigned ussd_hop_bounds_us[USSD_HOP_BUCKETS];

/*
 * The per-screen funnel (funnel.c): each screen and language shown, and how
 * dialogs left it.  Rows never move, so a pointer stays valid.
 */
#define USSD_FUNNEL_ROWS 1024
struct ussd_funnel_row {
    char screen[48]; /* "" for a free row */
    uint8_t lang;    /* enum menu_lang */
    uint64_t views;  /* the screen was sent */
    uint64_t ends;   /* the dialog ended on it (an end screen) */
    uint64_t aborts; /* released by the user or the network while on it */
    uint64_t late;   /* the reply came after the screen or dialog timeout */
};
struct ussd_funnel {
    struct ussd_funnel_row rows[USSD_FUNNEL_ROWS]; /* the last one is "(other)" */
    unsigned used;
};
/* The row of (screen, lang), made on first use; never NULL. */
struct ussd_funnel_row *ussd_funnel_row(struct ussd_funnel *f, const char *screen, unsigned lang);

struct ussd_stats {
    uint64_t hop_le[USSD_HOP_BUCKETS]; /* hops that took <= each bound */
    uint64_t hop_us_sum;               /* total time spent, microseconds */
    uint64_t started;
    uint64_t resumed;
    uint64_t ended;
    uint64_t expired;
    uint64_t aborted;
    uint64_t hops;
    uint64_t mt_failed;
};

struct ussd_svc;

/* The service over st (borrowed).  No graph yet: call ussd_svc_load(). */
struct ussd_svc *ussd_svc_new(struct store *st, const struct ussd_settings *s,
                              const struct ussd_builtins *b);
/* The loop pass's commit failed (kpassd.8, the database away): the
   dialogs held in memory may show what was not committed, so they are
   forgotten, and read again from the database at their next hop. */
void ussd_svc_abort(struct ussd_svc *u);
void ussd_svc_free(struct ussd_svc *u);

/*
 * Compile the menus folder and make it the current graph (at start and on
 * SIGHUP).  Dialogs already running keep the graph they began with.  On
 * error the previous graph stays and diag holds every message.  0 or < 0.
 */
int ussd_svc_load(struct ussd_svc *u, struct kp_buf *diag);
const char *ussd_svc_version(const struct ussd_svc *u);

/*
 * A submit_sm, deliver_sm or data_sm carrying ussd_service_op arrived on l.
 * Runs the dialog hop and queues the screen on the partner's links.
 * Returns the command_status for the PDU's response.
 */
uint32_t ussd_svc_request(struct ussd_svc *u, struct smpp_link *l, const struct smpp_pdu *req,
                          int64_t now);

/*
 * Department apps for the menus' app screens (ussd/app.h), and the hub
 * to find a partner's links when an app answers.  Both borrowed; free
 * the apps before the service (no answer may come after it).
 */
struct ussd_apps;
struct smpp_hub;
void ussd_svc_set_apps(struct ussd_svc *u, struct ussd_apps *apps, struct smpp_hub *hub);

/* ---- "Was this you?" pushes (push.c) ---- */

struct ussd_pushes;
struct ussd_push_stats {
    uint64_t sent;        /* questions pushed */
    uint64_t me;          /* answered "It was me" */
    uint64_t not_me;      /* answered "It was not me": a dispute (alert on it) */
    uint64_t unanswered;  /* released, or no answer in time: the SMS notice stands */
    uint64_t failed;      /* the partner had no link or refused the PDU */
    uint64_t unsupported; /* the partner's profile cannot carry an answer */
};

/*
 * Pushes over the partner whose system_id is partner ("" turns them off),
 * from the digits of service_code, waiting timeout_s for an answer; after
 * verifications, and after desk codes for code_purposes ("identity,land").
 * st and hub borrowed.  Never NULL.
 */
struct ussd_pushes *ussd_pushes_new(struct store *st, struct smpp_hub *hub, const char *partner,
                                    const char *service_code, unsigned timeout_s,
                                    const char *code_purposes);
/* Are desk codes for purpose asked about ([ussd] push_code_purposes)? */
int ussd_pushes_wants_code(const struct ussd_pushes *p, const char *purpose);
void ussd_pushes_free(struct ussd_pushes *p);
const struct ussd_push_stats *ussd_pushes_stats(const struct ussd_pushes *p);

struct ussd_push_req {
    const char *msisdn;       /* the citizen's registered number, E.164 */
    const char *verification; /* the verification asked about (32 hex) */
    const uint8_t *subject;   /* the citizen's CNIC index (32 octets), for the audit row */
    const char *office;       /* its code (the Urdu text) */
    const char *office_name;  /* its name (the English text) */
    const char *time;         /* "14:05", local */
    const char *helpline;     /* named when it was not them */
    const char *purpose;      /* a desk code for it was sent (NULL: the verification ended) */
    enum menu_lang lang;      /* the citizen's */
};

/*
 * Ask the citizen "was this you?" by a network-initiated USSR.  0 when it
 * went out; -KP_ERR_UNSUPPORTED (pushes off, or a profile without session
 * ids), -KP_ERR_CLOSED (no link), -KP_ERR_LIMIT (too many waiting).
 */
int ussd_pushes_send(struct ussd_pushes *p, const struct ussd_push_req *rq, int64_t now);
/*
 * An MO on l (partner partner_id, parsed with prof): 1 when it answers a
 * push (then it is handled here), 0 when it is none of ours.
 */
int ussd_pushes_reply(struct ussd_pushes *p, int64_t partner_id, struct smpp_link *l,
                      const struct ussd_profile *prof, const struct ussd_mo *mo, int64_t now);
/* Forget questions nobody answered in time (from the housekeeping tick). */
void ussd_pushes_tick(struct ussd_pushes *p, int64_t now);
/* The service hands answers to pushes to p (borrowed; may be NULL). */
void ussd_svc_set_pushes(struct ussd_svc *u, struct ussd_pushes *p);

/* Expire and reap old dialogs (from the housekeeping tick, about once a second). */
void ussd_svc_tick(struct ussd_svc *u, int64_t now);
const struct ussd_stats *ussd_svc_stats(const struct ussd_svc *u);
/* The per-screen funnel since start. */
const struct ussd_funnel *ussd_svc_funnel(const struct ussd_svc *u);
/* Dialogs in the store now. */
int ussd_svc_active(struct ussd_svc *u);

/* Settings from the configuration's [ussd] section. */
struct kp_config;
/* kpassd.conf's [ussd] (kpassd.conf(5)) over a struct ussd_settings: its
   keys, defaults and checks; the programs add it to their configuration. */
extern const struct conf_table ussd_conf_table;

#endif
