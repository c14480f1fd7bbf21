/* SPDX-License-Identifier: ISC */
/*
 * Department USSD apps over HTTP (issue 13, doc/departments.md): a menu's
 * app screen hands the rest of a branch to a department's application,
 * using the aggregators' convention.  kpass POSTs a form
 *
 *   sessionId, serviceCode, phoneNumber, text    (inputs joined by '*')
 *   citizenId, language, nonce                   (kpass's own)
 *
 * and the app answers "CON <text>" (show it, wait for a reply) or
 * "END <text>" (show it, end).  Departments never see a phone number or a
 * CNIC: phoneNumber and citizenId are pseudonyms, keyed hashes made per
 * department, and citizenId is sent only after the caller typed the CNIC
 * registered with the calling number.  Each request carries
 *
 *   X-Kpass-Timestamp: <unix seconds>
 *   X-Kpass-Signature: v1=<hex HMAC-SHA256(secret, timestamp "." body)>
 *
 * so that an app can refuse a forgery (wrong MAC), a replay (a nonce seen
 * before) and an old request (a timestamp out of its window).
 *
 * The pure half (this file's first part, app_proto.c): the reply parser,
 * the form encoder, the signature, the pseudonyms.  The effects (app.c):
 * the apps' rows from the store, libevent's asynchronous HTTP client (TLS
 * with certificate verification to any host but the local one), the time
 * limit and the circuit breaker.
 */
#ifndef KPASS_USSD_APP_H
#define KPASS_USSD_APP_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/store/store.h"

#define USSD_APP_REPLY_MAX  1024 /* bytes of an app's answer kpass reads */
#define USSD_APP_SIG_HEX    64   /* HMAC-SHA256 in hex */
#define USSD_APP_PSEUDO_HEX 32   /* a pseudonym: BLAKE2b-128 in hex */
#define USSD_APP_KEY_BYTES  32   /* the pseudonym key */

/*
 * An app's answer, body (len bytes): "CON " or "END " then UTF-8 text
 * (a bare "CON" or "END" is an empty text; one trailing line break is
 * dropped).  On success *end says END and *text / *text_len point into
 * body.  -KP_ERR_PARSE for anything else: another start, invalid UTF-8,
 * a NUL, more than USSD_APP_REPLY_MAX bytes.  Pure.
 */
int ussd_app_reply_parse(const char *body, size_t len, int *end, const char **text,
                         size_t *text_len);

/* Append name=value to an application/x-www-form-urlencoded body. */
void ussd_app_form_add(struct kp_buf *body, const char *name, const char *value);

/* The signature header's value "v1=<hex>" of body at ts under secret. */
void ussd_app_sign(const uint8_t *secret, size_t secret_len, int64_t ts, const char *body,
                   size_t len, char out[3 + USSD_APP_SIG_HEX + 1]);

/* The pseudonym key, derived once from cnic.key (no new key file to keep). */
void ussd_app_pseudo_key(const uint8_t cnic_key[32], uint8_t out[USSD_APP_KEY_BYTES]);

/*
 * A department's pseudonym (hex) for value of kind ("cnic": a CNIC index,
 * "msisdn": an E.164 number, "session": a dialog): the same value gives
 * the same pseudonym to one department and unrelated ones to two.
 */
void ussd_app_pseudonym(const uint8_t key[USSD_APP_KEY_BYTES], const char *kind,
                        const char *department, const uint8_t *value, size_t len,
                        char out[USSD_APP_PSEUDO_HEX + 1]);

/* ---- the client (app.c) ---- */

enum ussd_app_outcome {
    USSD_APP_OK = 0,          /* the app answered CON or END */
    USSD_APP_TIMEOUT = 1,     /* no answer within the app's timeout */
    USSD_APP_UNAVAILABLE = 2, /* unknown, disabled, not for this service code, cut off */
    USSD_APP_ERROR = 3,       /* refused the connection, not 200, not CON/END */
};

/* "timeout", "unavailable", "error" (the menu outcome of a failure). */
const char *ussd_app_outcome_name(enum ussd_app_outcome o);

/* Circuit breaker: after this many failures in a row an app is cut off
   for the cool-down, then one request tries it again. */
#define USSD_APP_BREAKER_FAILS   3
#define USSD_APP_BREAKER_COOL_MS 30000u

struct ussd_app_request {
    const char *app;          /* the app screen's name for it */
    const char *session;      /* a stable id of the dialog (hashed before it leaves) */
    const char *service_code; /* "*789#" */
    const char *msisdn;       /* E.164: only its pseudonym leaves */
    const char *citizen;      /* the caller's pseudonym for this app's department, or "" */
    const char *text;         /* the inputs so far */
    const char *lang;         /* "en", "ur", "ps" */
};

/* The answer: outcome, and for USSD_APP_OK end and the text (borrowed for the call). */
typedef void (*ussd_app_cb)(void *arg, enum ussd_app_outcome outcome, int end, const char *text,
                            size_t len);

struct event_base;
struct ussd_apps;

/*
 * The apps over st (borrowed), on base.  cnic_key (borrowed for the
 * call) gives the pseudonym key.  ca_file: the CA bundle for HTTPS ("" for
 * the system's).  Never NULL.
 */
struct ussd_apps *ussd_apps_new(struct event_base *base, struct store *st,
                                const uint8_t cnic_key[32], const char *ca_file);
/* Cancel every request in flight (their callbacks are not called) and free. */
void ussd_apps_free(struct ussd_apps *a);

/*
 * Ask rq->app.  Returns 0 when the request is on its way: cb(arg, ...)
 * comes later, exactly once, from the event loop (never from inside this
 * call).  Returns an outcome > 0 when the app cannot be asked at all
 * (USSD_APP_UNAVAILABLE: no such app, disabled, not for this service
 * code, cut off by its breaker; USSD_APP_ERROR: no connection): then cb
 * is never called.
 */
int ussd_apps_ask(struct ussd_apps *a, const struct ussd_app_request *rq, ussd_app_cb cb,
                  void *arg);

/*
 * The caller's pseudonym for app's department when cnic (13 digits) is the
 * CNIC of the active citizen registered with msisdn; audited
 * ("app.identified", subject the citizen) when it is.  0 with out set,
 * -KP_ERR_NOTFOUND otherwise (the app then gets no citizenId), or < 0.
 */
int ussd_apps_identify(struct ussd_apps *a, const char *app, const char *msisdn, const char *cnic,
                       char out[USSD_APP_PSEUDO_HEX + 1]);

/*
 * A POST of JSON: a signed callback to a department (doc/departments.md:
 * the headers of an app request, and X-Kpass-Delivery, the same for every
 * attempt of one callback, so that the department can drop a repeat), or
 * a question to an operator's API with its bearer token.
 */
struct ussd_post {
    const char *url;
    const char *body; /* JSON */
    size_t len;
    const uint8_t *secret; /* sign with it; NULL: unsigned */
    size_t secret_len;
    const char *bearer;   /* Authorization: Bearer ...; NULL: none */
    const char *delivery; /* X-Kpass-Delivery; NULL: none */
    unsigned timeout_ms;
};

#define USSD_POST_BODY_MAX 4096 /* bytes of an answer kpass reads */

/*
 * 0 when p is on its way: cb(arg, status, body, len) comes later, once,
 * with the HTTP status (0 for no answer within the timeout or no
 * connection) and the answer's body (NUL-terminated; empty past
 * USSD_POST_BODY_MAX).  < 0 when it cannot be sent at all (a URL kpass
 * refuses): then cb is never called.
 */
typedef void (*ussd_post_cb)(void *arg, int status, const char *body, size_t len);
int ussd_apps_post(struct ussd_apps *a, const struct ussd_post *p, ussd_post_cb cb, void *arg);

/* ---- the operators' SIM-swap checks (simswap.c) ---- */

enum ussd_simswap_answer {
    USSD_SIMSWAP_CLEAR = 0, /* no swap within maxAge */
    USSD_SIMSWAP_SWAPPED,   /* swapped recently: hold the code */
    USSD_SIMSWAP_UNKNOWN,   /* no answer in time, or not one kpass reads */
};
/* The answer; hold: what the operator's row says to do when it is UNKNOWN. */
typedef void (*ussd_simswap_cb)(void *arg, enum ussd_simswap_answer a, int hold);

/*
 * Ask the operator that serves msisdn (a simswap_api row, `kpass simswap
 * set`) whether its SIM was swapped recently.  1: asked, cb comes later,
 * once; 0: no operator API serves the number (cb never called); < 0: one
 * serves it but could not be asked (cb never called; *hold_on_timeout
 * says what its row wants then).
 */
int ussd_simswap_ask(struct ussd_apps *a, struct store *st, const char *msisdn, ussd_simswap_cb cb,
                     void *arg, int *hold_on_timeout);

struct ussd_app_stats {
    uint64_t requests, ok, timeouts, errors, refused_open; /* refused_open: cut off */
};
const struct ussd_app_stats *ussd_apps_stats(const struct ussd_apps *a);

#endif
