/* SPDX-License-Identifier: ISC */
/*
 * Departments as API clients (issue 13): the dept_api table (a bearer
 * token's hash, a daily quota for notices, where callbacks go), the SMS
 * templates each department writes per language, the notices they asked
 * for, and the durable queue of signed callbacks (webhook) that tells a
 * department what happened.  Rows only: who may do what, and what the
 * rows mean, is src/http/notices.c's and src/http/webhook.c's.
 */
#ifndef KPASS_STORE_DEPT_H
#define KPASS_STORE_DEPT_H

#include <stdint.h>

#include "kpass/store/store.h"

#define STORE_DEPT_HASH_BYTES 32
#define STORE_TEMPLATE_MAX    480 /* bytes of a template's text */
#define STORE_WEBHOOK_BODY    4096

struct store_dept {
    char department[17];
    uint8_t token_hash[STORE_DEPT_HASH_BYTES]; /* BLAKE2b-256 of the bearer token */
    unsigned quota_day;                        /* notices per 24 hours */
    char callback_url[256];                    /* "" for none */
    char secret_file[256];                     /* callbacks are signed with it */
    int64_t created_at;
};

/* Add a department's API row.  0, -KP_ERR_EXISTS, -KP_ERR_DB. */
int store_dept_add(struct store *st, const struct store_dept *d);
/* The department whose token hashes to hash.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_dept_by_token(struct store *st, const uint8_t hash[STORE_DEPT_HASH_BYTES],
                        struct store_dept *out);
int store_dept_get(struct store *st, const char *department, struct store_dept *out);
/* Every row into a new array (freed by the caller).  Count or -KP_ERR_DB. */
int store_dept_list(struct store *st, struct store_dept **out);
/* Remove a department's API row (its notices and callbacks stay).  0, -KP_ERR_NOTFOUND. */
int store_dept_remove(struct store *st, const char *department);

/* Set (add or replace) template name in lang ("en", "ur", "ps").  0 or -KP_ERR_DB. */
int store_template_set(struct store *st, const char *department, const char *name, const char *lang,
                       const char *text);
/* The template's text in lang into out (cap bytes).  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_template_get(struct store *st, const char *department, const char *name, const char *lang,
                       char *out, size_t cap);

struct store_notice {
    char id[33]; /* 32 hex digits, random */
    char department[17];
    char template_name[33];
    int64_t sms_id; /* 0: no message (no registered number) */
    char lang[8];   /* "en", "ur", "ps", "ur-Latn" (STORE_LANG_SIZE) */
    int64_t created_at;
    int callback_done; /* the final state was handed to the callback queue */
};

/* Add a notice row.  0, -KP_ERR_EXISTS, -KP_ERR_DB. */
int store_notice_add(struct store *st, const struct store_notice *n);
/* The notice id of department (another department's is not found).  0, -KP_ERR_NOTFOUND. */
int store_notice_get(struct store *st, const char *department, const char *id,
                     struct store_notice *out);
/* Notices of department since since.  Count or -KP_ERR_DB. */
int store_notice_count(struct store *st, const char *department, int64_t since);
/* Notices whose callback is not done yet, oldest first, at most max.  Count or -KP_ERR_DB. */
int store_notice_open(struct store *st, struct store_notice *out, int max);
int store_notice_callback_done(struct store *st, const char *id);

/* Subscribe department to VERIFIED verifications for purpose at a desk of office
   ("*": every office) (on), or stop.  0 or -KP_ERR_DB. */
int store_subscription_set(struct store *st, const char *department, const char *purpose,
                           const char *office, int on);
/* The departments subscribed to purpose at office, at most max.  Count or -KP_ERR_DB. */
int store_subscribers(struct store *st, const char *purpose, const char *office, char (*out)[17],
                      int max);

/* A citizen said a verification was not them ("ussd": the push).  0 or -KP_ERR_DB. */
int store_dispute_add(struct store *st, const char *verification, const char *via, int64_t at);

/* An operator's SIM-swap API (issue 13): which numbers, where, how long to wait. */
struct store_simswap {
    char partner[16];
    char prefixes[256]; /* "+92300,+92301" */
    char url[256];
    char token_file[256]; /* its bearer token, "" for none */
    unsigned max_age_h;   /* a swap this recent holds the code */
    unsigned timeout_ms;
    int hold_on_timeout; /* no answer in time: hold (1) or send (0) */
};

/* Add or replace the row of s.partner.  0 or -KP_ERR_DB. */
int store_simswap_set(struct store *st, const struct store_simswap *s);
/* Remove.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_simswap_remove(struct store *st, const char *partner);
/* Every row into a new array (freed by the caller).  Count or -KP_ERR_DB. */
int store_simswap_list(struct store *st, struct store_simswap **out);

/* ---- the callback queue ---- */

enum store_webhook_state {
    STORE_WEBHOOK_PENDING = 0,
    STORE_WEBHOOK_DELIVERED,
    STORE_WEBHOOK_FAILED
};

struct store_webhook {
    int64_t id;
    char department[17];
    char kind[16]; /* "notice", "verification" */
    char ref[48];  /* the notice or verification id */
    char url[256];
    char body[STORE_WEBHOOK_BODY];
    enum store_webhook_state state;
    unsigned attempts;
    int64_t next_at;
    int last_status; /* HTTP status of the last attempt, 0: no answer */
    int64_t created_at, updated_at;
};

/* Queue one callback (due now).  0 or -KP_ERR_DB; *id its row. */
int store_webhook_add(struct store *st, const struct store_webhook *w, int64_t *id);
/* Pending callbacks due at now, oldest first, at most max.  Count or -KP_ERR_DB. */
int store_webhook_due(struct store *st, int64_t now, struct store_webhook *out, int max);
/* After an attempt: state, attempts, next_at, last_status.  0 or -KP_ERR_DB. */
int store_webhook_update(struct store *st, int64_t id, enum store_webhook_state state,
                         unsigned attempts, int64_t next_at, int last_status, int64_t now);
int store_webhook_get(struct store *st, int64_t id, struct store_webhook *out);
/* The newest max callbacks (any state), newest first.  Count or -KP_ERR_DB. */
int store_webhook_list(struct store *st, struct store_webhook *out, int max);
/* "pending", "delivered", "failed". */
const char *store_webhook_state_name(enum store_webhook_state s);

#endif
