/* SPDX-License-Identifier: ISC */
/*
 * Callbacks to departments (issue 13, doc/departments.md): a durable queue
 * (the webhook table) of JSON bodies, each POSTed signed like an app
 * request (ussd_apps_post) until the department answers 2xx, with
 * exponential backoff ([http] webhook_backoff, doubling) and at most
 * [http] webhook_attempts attempts, after which the row is "failed" and
 * waits for `kpass webhook retry`.  A row is leased (next_at moved a
 * minute on) before each attempt, so a crash mid-attempt sends it again
 * later, never never: departments drop repeats by X-Kpass-Delivery.
 *
 * What goes in the queue: a notice's final delivery state, for
 * departments that registered a callback URL (this file, every second);
 * a desk verification that ended VERIFIED, with its signed KPR1 receipt,
 * for every department subscribed to its purpose (http_webhooks_verified,
 * in the confirmation's own transaction).
 */
#include <fcntl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "http_internal.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/dept.h"
#include "kpass/store/citizen.h"
#include "kpass/store/dialog.h"
#include "kpass/ussd/app.h"
#include "kpass/ussd/dialog.h"

#define WH_FLIGHTS     8     /* callbacks in flight at once */
#define WH_TIMEOUT_MS  5000u /* one attempt */
#define WH_LEASE_S     60    /* an attempt's row is not picked again before this */
#define WH_BACKOFF_MAX 21600 /* 6 h between attempts at most */
#define WH_SECRET_MAX  256

struct wh_flight {
    struct http_webhooks *w;
    int64_t id;
    unsigned attempts; /* before this one */
    struct wh_flight *prev, *next;
};

struct http_webhooks {
    struct http_api *a;
    struct wh_flight *flights;
    unsigned nflights;
    int64_t last;
};

struct http_webhooks *http_webhooks_new(struct http_api *a)
{
    struct http_webhooks *w = kp_calloc(1, sizeof(*w));

    w->a = a;
    return w;
}

void http_webhooks_free(struct http_webhooks *w)
{
    if (w == NULL)
        return;
    while (w->flights) { /* their answers never come: the apps go next, without callbacks */
        struct wh_flight *f = w->flights;
        w->flights = f->next;
        free(f);
    }
    free(w);
}

/* A department's callback secret: its file's bytes, one line break dropped. */
static int wh_secret(const char *path, uint8_t buf[WH_SECRET_MAX + 2], size_t *len)
{
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    ssize_t n;

    if (fd < 0)
        return -KP_ERR_IO;
    n = read(fd, buf, WH_SECRET_MAX + 2);
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n < 16 || n > WH_SECRET_MAX)
        return -KP_ERR_CONFIG;
    *len = (size_t)n;
    return 0;
}

/* After an attempt: delivered, or the next one scheduled, or given up. */
static void wh_result(struct wh_flight *f, int status)
{
    struct http_webhooks *w = f->w;
    struct http_api *a = w->a;
    struct store *st = a->d.st;
    int64_t now = kp_time_s(), next = now;
    unsigned attempts = f->attempts + 1;
    enum store_webhook_state state = STORE_WEBHOOK_PENDING;

    if (status >= 200 && status < 300) {
        state = STORE_WEBHOOK_DELIVERED;
    } else if (attempts >= a->set.webhook_attempts) {
        state = STORE_WEBHOOK_FAILED;
        log_warnx("http: callback %lld given up after %u attempts (last status %d)",
                  (long long)f->id, attempts, status);
    } else {
        int64_t wait = (int64_t)a->set.webhook_backoff_s << (attempts - 1 < 16 ? attempts - 1 : 16);
        next = now + (wait > WH_BACKOFF_MAX ? WH_BACKOFF_MAX : wait);
        log_info("http: callback %lld: attempt %u failed (status %d), next in %llds",
                 (long long)f->id, attempts, status, (long long)(next - now));
    }
    if (store_batch(st) < 0 ||
        store_webhook_update(st, f->id, state, attempts, next, status, now) < 0)
        log_warnx("http: callback %lld: its state could not be stored", (long long)f->id);
    if (f->prev)
        f->prev->next = f->next;
    else
        w->flights = f->next;
    if (f->next)
        f->next->prev = f->prev;
    w->nflights--;
    free(f);
}

static void wh_done(void *arg, int status, const char *body, size_t len)
{
    (void)body;
    (void)len;
    wh_result(arg, status);
}

static int wh_flying(const struct http_webhooks *w, int64_t id)
{
    for (const struct wh_flight *f = w->flights; f; f = f->next)
        if (f->id == id)
            return 1;
    return 0;
}

/* One attempt of row r. */
static void wh_send(struct http_webhooks *w, const struct store_webhook *r, int64_t now)
{
    struct http_api *a = w->a;
    struct store_dept dept;
    uint8_t secret[WH_SECRET_MAX + 2];
    size_t slen = 0;
    char delivery[32];
    struct wh_flight *f = kp_calloc(1, sizeof(*f));
    int rc;

    f->w = w;
    f->id = r->id;
    f->attempts = r->attempts;
    f->next = w->flights;
    if (w->flights)
        w->flights->prev = f;
    w->flights = f;
    w->nflights++;
    if (store_dept_get(a->d.st, r->department, &dept) < 0 ||
        wh_secret(dept.secret_file, secret, &slen) < 0) {
        log_warnx("http: callback %lld: department %s has no readable secret", (long long)r->id,
                  r->department);
        wh_result(f, 0);
        return;
    }
    store_batch(a->d.st);
    store_webhook_update(a->d.st, r->id, STORE_WEBHOOK_PENDING, r->attempts, now + WH_LEASE_S,
                         r->last_status, now);
    snprintf(delivery, sizeof(delivery), "kpass-%lld", (long long)r->id);
    struct ussd_post post = {r->url, r->body, strlen(r->body), secret,
                             slen,   NULL,    delivery,        WH_TIMEOUT_MS};
    rc = ussd_apps_post(a->d.apps, &post, wh_done, f);
    sodium_memzero(secret, sizeof(secret));
    if (rc < 0)
        wh_result(f, 0);
}

/* Notices in a final state, to departments with a callback URL. */
static void wh_notices(struct http_api *a, int64_t now)
{
    struct store_notice n[16];
    struct store_webhook *wh;
    int count = store_notice_open(a->d.st, n, 16), final;

    if (count <= 0)
        return;
    wh = kp_calloc(1, sizeof(*wh));
    for (int i = 0; i < count; i++) {
        struct store_dept dept;
        const char *state = http_notice_state(a->d.st, &n[i], &final);
        if (!final)
            continue;
        store_batch(a->d.st);
        if (store_dept_get(a->d.st, n[i].department, &dept) == 0 && dept.callback_url[0]) {
            json_t *j =
                json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "notice", "id", n[i].id, "template",
                          n[i].template_name, "state", state, "at", (json_int_t)now);
            char *body = json_dumps(j, JSON_COMPACT);
            memset(wh, 0, sizeof(*wh));
            snprintf(wh->department, sizeof(wh->department), "%s", dept.department);
            snprintf(wh->kind, sizeof(wh->kind), "notice");
            snprintf(wh->ref, sizeof(wh->ref), "%.32s", n[i].id);
            snprintf(wh->url, sizeof(wh->url), "%s", dept.callback_url);
            snprintf(wh->body, sizeof(wh->body), "%s", body ? body : "{}");
            wh->created_at = now;
            store_webhook_add(a->d.st, wh, NULL);
            free(body);
            json_decref(j);
        }
        store_notice_callback_done(a->d.st, n[i].id);
    }
    free(wh);
}

void http_webhooks_tick(struct http_api *a, int64_t now)
{
    struct http_webhooks *w = a->webhooks;
    struct store_webhook *due;
    int n;

    if (w == NULL || a->d.apps == NULL || now == w->last)
        return;
    w->last = now;
    wh_notices(a, now);
    if (w->nflights >= WH_FLIGHTS)
        return;
    due = kp_calloc(WH_FLIGHTS, sizeof(*due));
    n = store_webhook_due(a->d.st, now, due, (int)(WH_FLIGHTS - w->nflights));
    for (int i = 0; i < n; i++)
        if (!wh_flying(w, due[i].id))
            wh_send(w, &due[i], now);
    free(due);
}

/* Queue one callback of kind for department (inside the caller's transaction). */
static int wh_queue(struct http_api *a, const struct store_dept *dept, const char *kind,
                    const char *ref, json_t *j, int64_t now)
{
    struct store_webhook *wh = kp_calloc(1, sizeof(*wh));
    char *body = json_dumps(j, JSON_COMPACT);
    int rc = -KP_ERR_NOMEM;

    if (body && strlen(body) < sizeof(wh->body)) {
        snprintf(wh->department, sizeof(wh->department), "%s", dept->department);
        snprintf(wh->kind, sizeof(wh->kind), "%s", kind);
        snprintf(wh->ref, sizeof(wh->ref), "%s", ref);
        snprintf(wh->url, sizeof(wh->url), "%s", dept->callback_url);
        snprintf(wh->body, sizeof(wh->body), "%s", body);
        wh->created_at = now;
        rc = store_webhook_add(a->d.st, wh, NULL);
    }
    free(body);
    free(wh);
    return rc;
}

int http_webhooks_verified(struct http_api *a, const struct store_verification *v,
                           const uint8_t *cnic_index, const struct http_verified *f, int64_t now)
{
    char subs[16][17], pseudo[USSD_APP_PSEUDO_HEX + 1];
    uint8_t key[USSD_APP_KEY_BYTES];
    int n = store_subscribers(a->d.st, v->purpose, v->office, subs, 16), rc = 0;

    if (n <= 0 || a->d.cnic_key == NULL)
        return n < 0 ? n : 0;
    ussd_app_pseudo_key(a->d.cnic_key, key);
    for (int i = 0; i < n && rc == 0; i++) {
        struct store_dept dept;
        if (store_dept_get(a->d.st, subs[i], &dept) < 0 || !dept.callback_url[0])
            continue;
        /* the department's own pseudonym of the citizen, as its USSD app sees it */
        ussd_app_pseudonym(key, "cnic", dept.department, cnic_index, CNIC_INDEX_BYTES, pseudo);
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "type", "verification", "id",
            v->id, "result", "verified", "purpose", v->purpose, "office", v->office, "office_name",
            f->office_name, "biometric", f->biometric[0] ? f->biometric : "none", "receipt",
            f->receipt, "receipt_id", f->receipt_id, "citizenId", pseudo, "at", (json_int_t)now);
        rc = wh_queue(a, &dept, "verification", v->id, j, now);
        json_decref(j);
    }
    sodium_memzero(key, sizeof(key));
    return rc;
}

void http_push_ask(struct http_api *a, const struct store_verification *v,
                   const struct store_citizen *c, const char *office_name, const char *purpose,
                   int64_t now)
{
    char nums[1][MSISDN_SIZE], lang[STORE_LANG_SIZE] = "en", hhmm[8];
    time_t local = (time_t)(now + 5 * 3600); /* Pakistan Standard Time, UTC+5, no DST */
    struct tm tm;
    int l, rc;

    if (a->d.pushes == NULL || (purpose && !ussd_pushes_wants_code(a->d.pushes, purpose)) ||
        store_citizen_msisdns(a->d.st, c->id, nums, 1) < 1)
        return;
    if (store_lang_get(a->d.st, nums[0], lang) < 0 || (l = menu_lang_parse(lang)) < 0)
        l = MENU_LANG_EN;
    gmtime_r(&local, &tm);
    strftime(hhmm, sizeof(hhmm), "%H:%M", &tm);
    struct ussd_push_req rq = {nums[0],         v->id,       c->cnic_index,
                               v->office,       office_name, hhmm,
                               a->set.helpline, purpose,     (enum menu_lang)l};
    rc = ussd_pushes_send(a->d.pushes, &rq, now);
    if (rc < 0 && rc != -KP_ERR_UNSUPPORTED)
        log_info("http: verification %.8s: no \"was this you?\" push (%s); the SMS notice stands",
                 v->id, kp_strerror(rc));
}
