/* SPDX-License-Identifier: ISC */
/*
 * kpassd: the daemon.  One process, one event_base, no threads in the hot
 * path.  This file owns start-up (configuration, store, listeners, client
 * binds), the main loop (one group commit per event-loop pass), the
 * housekeeping tick and signals (SIGTERM/SIGINT: unbind and exit 0;
 * SIGHUP: reload).  The modules it wires together own everything else.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/config.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/sms/sms.h"
#include "kpass/sms/outbox.h"
#include "kpass/smpp/smpp.h"
#include "kpass/store/backend.h"
#include "kpass/store/store.h"
#include "kpass/store/checkpoint.h"
#include "kpass/store/limits.h"
#include "kpass/partner/partner.h"
#include "kpass/partner/slots.h"
#include "kpass/ussd/dialog.h"
#include "kpass/ussd/builtins.h"
#include "kpass/http/api.h"
#include "kpass/office/office.h"
#include "kpass/store/desk.h"
#include "kpass/id/otp.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/store/citizen.h"
#include "kpass/ussd/app.h"
#include "kpass/core/pidlock.h"

#define KPD_TICK_MS 100
/* How often a cluster node checks its client-mode slots and tries free ones. */
#define KPD_SLOT_PERIOD_MS 2000

struct kpd {
    struct event_base *base;
    const char *conf_path;
    struct kp_config cfg;
    struct otp_policy otp;           /* [otp], the modules' own settings */
    struct sms_settings sms;         /* [sms] */
    struct ussd_settings ussd_set;   /* [ussd] */
    struct http_settings http_set;   /* [http] */
    struct smpp_settings smpp_set;   /* [smpp] */
    struct store_settings store_set; /* [store]: SQLite ([daemon] database) or PostgreSQL */
    struct store *st;
    struct store_checkpointer *ckpt; /* WAL checkpoints off the loop */
    struct smpp_hub *hub;
    struct ussd_svc *ussd;
    struct ussd_apps *apps;     /* department apps (ussd/app.h) */
    struct ussd_pushes *pushes; /* "was this you?" (ussd/dialog.h) */
    struct sms_outbox *outbox;
    struct kp_builtins *builtins;
    struct http_api *http;
    struct keys_ring *keys; /* trust list and the active signing key */
    uint8_t *desk_key;      /* desk tokens and staff PINs (sodium memory) */
    uint8_t *partner_key;   /* keys/partner.key, for client-mode passwords (sodium memory) */
    uint8_t *cnic_key;      /* keys/cnic.key: checked at start, kept for the built-ins */
    uint8_t *audit_key;     /* keys/audit.key: the audit chain (the store borrows it) */
    struct event *ev_tick;
    struct event *ev_sig[3];
    uint64_t last_http_tick;
    int64_t change_applied; /* the change counter's version taken in (store_change.h) */
    int64_t keys_version;   /* ... and its keys_version the key ring was loaded at */
    int debug;
    int stopping;
    int done;
    uint64_t stop_deadline_ms;
    int lock_fd; /* <database>.lock, held for our life (one daemon per database) */
    int failing; /* the last pass failed for want of the database (kpd_pass_failed) */
    unsigned long long passes_failed;
};

static void kpd_usage(void)
{
    fprintf(stderr,
            "usage: kpassd [-dt] [-c file]\n"
            "  -c file  configuration (default: $KPASS_CONF or %s)\n"
            "  -d       debug logging\n"
            "  -t       check the configuration and exit\n",
            kp_config_default_path(NULL));
}

/* ---- partners: the link layer asks, the store answers ---- */

static int kpd_partner_lookup(void *arg, const char *system_id, struct smpp_partner_conf *out)
{
    struct kpd *d = arg;
    struct partner p;
    int rc = partner_db_get(d->st, system_id, &p);

    if (rc == 0)
        *out = p.conf;
    return rc;
}

/*
 * Failed binds on a node of a cluster: counted in the database, each count
 * one statement, so that binds spread over the nodes meet the limit of one
 * node (store/limits.h).  The window is on the wall clock, which the nodes
 * share (the hub's clock is each node's own monotonic one).
 */
static int kpd_bind_failure_take(void *arg, const char *addr, uint64_t now_ms, unsigned *count,
                                 int64_t *window)
{
    struct kpd *d = arg;
    struct timespec ts;

    (void)now_ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    return store_bind_failure_take(d->st, addr, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                                   60000, count, window);
}

static void kpd_bind_failure_give(void *arg, const char *addr, int64_t window)
{
    struct kpd *d = arg;

    store_bind_failure_give(d->st, addr, window);
}

/* The union of enabled server-mode partners' allowlists (accept-time check). */
static int kpd_partner_allowlist(void *arg, struct kp_cidr **out, int *any)
{
    struct kpd *d = arg;
    struct partner *v = NULL;
    struct kp_cidr *list = NULL;
    size_t cap = 0;
    int n = partner_db_list(d->st, &v), k = 0;

    *out = NULL;
    *any = 0;
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        const struct smpp_partner_conf *c = &v[i].conf;
        if (!c->enabled || c->mode != SMPP_PARTNER_SERVER)
            continue;
        if (c->ncidrs == 0)
            *any = 1;
        for (int j = 0; j < c->ncidrs; j++) {
            list = kp_grow(list, &cap, (size_t)k + 1, sizeof(*list));
            list[k++] = c->cidrs[j];
        }
    }
    free(v);
    *out = list;
    return k;
}

/* A submit_sm, deliver_sm or data_sm from a partner: a USSD message, a
   delivery receipt, or a plain SMS, which kpass does not route. */
static uint32_t kpd_on_request(void *arg, struct smpp_link *l, const struct smpp_pdu *req,
                               struct smpp_pdu *resp)
{
    struct kpd *d = arg;
    struct sms_receipt r;
    int rc;

    (void)resp;
    if (req->tlv.present & SMPP_TLV_USSD_SERVICE_OP)
        return ussd_svc_request(d->ussd, l, req, kp_time_s());
    rc = sms_receipt_parse(req, &r);
    if (rc == 1)
        return sms_outbox_receipt(d->outbox, l, &r, kp_time_s());
    if (rc < 0) {
        log_info("sms: link %u sent an unreadable delivery receipt", smpp_link_id(l));
        return SMPP_ESME_ROK; /* refusing it would only bring it back */
    }
    if (req->command_id == SMPP_DELIVER_SM) {
        /* An SMS to us from the network: kpass offers no SMS keywords. */
        log_info("sms: link %u: a mobile-originated SMS was received and not kept",
                 smpp_link_id(l));
        return SMPP_ESME_ROK;
    }
    /* A partner asking us to carry an SMS: kpass is not an SMS centre. */
    return SMPP_ESME_RSUBMITFAIL;
}

/* Decrypt the password we present to a client-mode partner into p->conf.password. */
static int kpd_partner_password(struct kpd *d, struct partner *p)
{
    struct kp_buf err = KP_BUF_INIT;
    int rc;

    if (d->partner_key == NULL &&
        keys_secret_load(d->cfg.keys_dir, "partner.key", &d->partner_key, &err) < 0) {
        log_warnx("kpassd: partner %s: %s", p->conf.system_id, err.data ? err.data : "no key");
        kp_buf_free(&err);
        return -KP_ERR_CRYPTO;
    }
    rc = keys_unseal(d->partner_key, p->password_enc, p->conf.password, sizeof(p->conf.password));
    if (rc < 0)
        log_warnx("kpassd: partner %s: cannot decrypt its password: %s", p->conf.system_id,
                  kp_strerror(rc));
    return rc;
}

/* Start or update every client-mode partner, and retire the ones gone. */
static void kpd_clients_load(struct kpd *d)
{
    struct partner *v = NULL;
    int n = partner_db_list(d->st, &v);
    int64_t *keep;
    size_t nkeep = 0;

    if (n < 0) {
        log_warnx("kpassd: cannot list partners");
        return;
    }
    keep = kp_calloc((size_t)n + 1, sizeof(*keep));
    for (int i = 0; i < n; i++) {
        struct smpp_partner_conf *c = &v[i].conf;
        if (c->mode != SMPP_PARTNER_CLIENT || !c->enabled)
            continue;
        if (kpd_partner_password(d, &v[i]) < 0)
            continue;
        smpp_hub_connect(d->hub, c);
        sodium_memzero(c->password, sizeof(c->password));
        keep[nkeep++] = c->id;
    }
    smpp_hub_retire_clients(d->hub, keep, nkeep);
    free(keep);
    free(v);
}

/* ---- signals and housekeeping ---- */

static void kpd_stop(struct kpd *d, const char *why)
{
    if (d->stopping)
        return;
    log_info("kpassd: %s: unbinding and stopping", why);
    d->stopping = 1;
    d->stop_deadline_ms = kp_clock_ms() + d->smpp_set.unbind_grace_ms + 200;
    smpp_hub_stop_listening(d->hub);
    smpp_hub_unbind_all(d->hub);
}

/* Load the key folder again (a key rotated or retired).  0 or < 0 (logged). */
static int kpd_reload_keys(struct kpd *d)
{
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring;
    int rc;

    if (d->http == NULL)
        return 0;
    if ((rc = keys_ring_open(d->cfg.keys_dir, 1, &ring, &err)) < 0) {
        log_warnx("kpassd: keys not reloaded: %s", err.data ? err.data : "?");
    } else {
        http_api_set_keys(d->http, ring);
        keys_ring_free(d->keys);
        d->keys = ring;
        log_info("kpassd: signing keys reloaded");
    }
    kp_buf_free(&err);
    return rc;
}

/*
 * Follow the change counter (store_change.h): one cached SELECT per tick.
 * When an operator changed something, reload what the daemon caches (the
 * key ring, if the key folder changed), then say the version is applied,
 * so that the CLI may tell its user the change is in force.  A reload
 * that fails is not acknowledged: the CLI then says so, and the next tick
 * tries again.
 */
static void kpd_follow_changes(struct kpd *d)
{
    struct store_change c;

    if (store_change_get(d->st, &c) < 0 || c.version == d->change_applied)
        return;
    kp_builtins_dir_changed(d->builtins); /* the directory, perhaps */
    if (c.keys_version > d->keys_version) {
        if (kpd_reload_keys(d) < 0)
            return;
        d->keys_version = c.keys_version;
    }
    /* Partners may have changed: client binds and the accept-time allowlist. */
    kpd_clients_load(d);
    smpp_hub_refresh_allowlist(d->hub);
    if (store_change_applied(d->st, c.version, kp_time_s(), getpid()) == 0)
        d->change_applied = c.version;
}

/* The modules' own sections of kpassd.conf, beside core's (config.h). */
static void kpd_config_sections(struct kp_config *c, struct otp_policy *otp,
                                struct sms_settings *sms, struct ussd_settings *ussd,
                                struct http_settings *http, struct smpp_settings *smpp,
                                struct store_settings *store)
{
    kp_config_add(c, &store_conf_table, store);
    kp_config_add(c, &smpp_conf_table, smpp);
    kp_config_add(c, &ussd_conf_table, ussd);
    kp_config_add(c, &sms_conf_table, sms);
    kp_config_add(c, &otp_conf_table, otp);
    kp_config_add(c, &http_conf_table, http);
}

static void kpd_reload(struct kpd *d)
{
    struct kp_config c;
    struct otp_policy otp; /* read to check the file; the running rules stay */
    struct sms_settings sms;
    struct ussd_settings ussd;
    struct http_settings http;
    struct smpp_settings smpp;
    struct store_settings store; /* read to check the file; the connection stays */
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    kpd_config_sections(&c, &otp, &sms, &ussd, &http, &smpp, &store);
    if (kp_config_load(&c, d->conf_path, &err) < 0) {
        log_warnx("kpassd: reload refused, keeping the running configuration:\n%s", err.data);
        kp_config_free(&c);
        store_settings_free(&store);
        kp_buf_free(&err);
        return;
    }
    kp_buf_free(&err);
    /* Said before the new level applies, so that it is seen at the old one. */
    log_info("kpassd: reloaded %s (log level %s)", d->conf_path,
             log_level_name((enum kp_log_level)c.log_level));
    log_set_level(d->debug ? KP_LOG_DEBUG : (enum kp_log_level)c.log_level);
    d->cfg.log_level = c.log_level;
    kp_config_free(&c);
    store_settings_free(&store);
    kpd_clients_load(d);
    smpp_hub_refresh_allowlist(d->hub);
    kpd_reload_keys(d);
    err = (struct kp_buf)KP_BUF_INIT;
    if (ussd_svc_load(d->ussd, &err) < 0)
        log_warnx("kpassd: menus refused, the running ones stay:\n%s", err.data);
    kp_buf_free(&err);
}

static void kpd_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct kpd *d = arg;

    (void)what;
    if (sig == SIGHUP)
        kpd_reload(d);
    else
        kpd_stop(d, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void kpd_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct kpd *d = arg;
    uint64_t now = kp_clock_ms();

    (void)fd;
    (void)what;
    smpp_hub_tick(d->hub, now);
    if (!d->stopping) {
        kpd_follow_changes(d);
        ussd_svc_tick(d->ussd, kp_time_s());
        ussd_pushes_tick(d->pushes, kp_time_s());
        sms_outbox_tick(d->outbox, now);
        if (d->http && now / 1000 != d->last_http_tick) {
            d->last_http_tick = now / 1000;
            http_api_tick(d->http, kp_time_s());
        }
    }
    if (d->stopping && (smpp_hub_link_count(d->hub) == 0 || now >= d->stop_deadline_ms))
        d->done = 1;
}

/*
 * A pass that failed for want of the database (PostgreSQL: the connection
 * lost, a failover, a COMMIT whose answer never came or that was refused):
 * nothing it did may be told.  Its SMPP requests are answered with
 * ESME_RTHROTTLED instead of their replies, its screens and SMS are
 * withheld, and what the modules hold in memory from it is forgotten
 * (the database, when back, is the truth).  Links stay bound, the daemon
 * keeps running, and the next pass tries again (the backend reconnects
 * at most every 250 ms to 1 s meanwhile).  kpassd(8), doc/cluster.md 5.7.
 *
 * ESME_RTHROTTLED, not ESME_RSYSERR: what a partner does with a status
 * is what counts.  Kannel's smsc_smpp.c counts RTHROTTLED as temporary in
 * every version (re-queued, and it holds back its next submits a while:
 * throttling_err_time), RSYSERR only in newer ones (older ones reject the
 * message for good); osmo-msc turns a deliver_sm_resp's RSYSERR into
 * "destination out of order" for the phone.  "Try again shortly, keep
 * the link" is what RTHROTTLED says; RSYSERR says "broken".
 */
static void kpd_pass_failed(struct kpd *d, int commit_failed)
{
    unsigned n = smpp_hub_abort(d->hub, SMPP_ESME_RTHROTTLED);

    d->passes_failed++;
    /* Even when the commit went through (a read failed, the connection
       came back later in the pass), dialogs held may wait for a write
       that the pass could not open: forgotten, they are read again. */
    ussd_svc_abort(d->ussd);
    if (commit_failed)
        kp_builtins_aborted(d->builtins);
    if (!d->failing)
        log_warnx("kpassd: the database is away (%s): %u request(s) of this pass answered "
                  "ESME_RTHROTTLED, its replies withheld; retrying",
                  store_errmsg(d->st), n);
    else
        log_debug("kpassd: database still away: %u request(s) answered ESME_RTHROTTLED", n);
    d->failing = 1;
}

/* ---- start-up ---- */

static int kpd_load_config(struct kpd *d)
{
    struct kp_buf err = KP_BUF_INIT;
    int rc;

    kp_config_init(&d->cfg);
    kpd_config_sections(&d->cfg, &d->otp, &d->sms, &d->ussd_set, &d->http_set, &d->smpp_set,
                        &d->store_set);
    rc = kp_config_load(&d->cfg, d->conf_path, &err);
    if (rc < 0)
        fprintf(stderr, "%s", err.data);
    kp_buf_free(&err);
    return rc;
}

/* Code messages sent and delivered, into the audit log (the outbox knows
   the citizen only by CNIC index). */
static void kpd_sms_audit(void *arg, const char *event, const char *subject_hex, int64_t sms_id)
{
    struct kpd *d = arg;
    uint8_t subject[32];
    char detail[48];
    size_t n = 0;

    if (sodium_hex2bin(subject, sizeof(subject), subject_hex, strlen(subject_hex), NULL, &n,
                       NULL) != 0 ||
        n != sizeof(subject))
        return;
    snprintf(detail, sizeof(detail), "sms=%lld", (long long)sms_id);
    store_batch(d->st);
    if (audit_append(d->st, kp_time_s(), event, "kpassd", subject, detail) < 0)
        log_warnx("kpassd: cannot write the audit row for %s", event);
}

/* The built-ins, with the keys they need from the key folder. */
static int kpd_builtins(struct kpd *d)
{
    struct kp_buf err = KP_BUF_INIT;
    uint8_t *otp_key = NULL;
    int rc = -KP_ERR_CONFIG;

    if (keys_dir_check(d->cfg.keys_dir, &err) < 0 ||
        keys_secret_load(d->cfg.keys_dir, "otp.key", &otp_key, &err) < 0 ||
        keys_secret_load(d->cfg.keys_dir, "cnic.key", &d->cnic_key, &err) < 0 ||
        keys_secret_load(d->cfg.keys_dir, "audit.key", &d->audit_key, &err) < 0) {
        log_error("kpassd: %s", err.data ? err.data : "cannot load the keys");
        goto out;
    }
    audit_use_key(d->st, d->audit_key);
    rc = kp_builtins_new(d->st, d->outbox, otp_key, d->cnic_key, &d->otp, &d->builtins);
    if (rc == 0)
        rc = kp_builtins_recover(d->builtins); /* code requests a stop left answered, not issued */
    sms_outbox_set_audit(d->outbox, kpd_sms_audit, d);
out:
    if (otp_key)
        keys_secret_free(otp_key); /* codes.c keeps its own guarded copy */
    kp_buf_free(&err);
    return rc;
}

/* The menus: at start (with the built-ins), and for -t (without: d->st NULL). */
static int kpd_menus(struct kpd *d)
{
    struct ussd_builtins bt = kp_builtins_table(d->builtins);
    struct kp_buf diag = KP_BUF_INIT;
    int rc;

    /* The folder itself first, so that the error names the key and its line. */
    if (kp_config_path_check(&d->cfg, "menus", d->ussd_set.menus_dir, KP_PATH_DIR, &diag) < 0) {
        fprintf(stderr, "%s", diag.data);
        kp_buf_free(&diag);
        return -KP_ERR_CONFIG;
    }
    d->ussd = ussd_svc_new(d->st, &d->ussd_set, &bt);
    rc = ussd_svc_load(d->ussd, &diag);
    if (rc < 0)
        fprintf(stderr, "%s", diag.data ? diag.data : "kpassd: cannot load the menus\n");
    kp_buf_free(&diag);
    return rc;
}

/* The desk API: the signing key ring and the desk key, then the listeners. */
static int kpd_http(struct kpd *d)
{
    struct kp_buf err = KP_BUF_INIT;
    struct http_settings *hs = &d->http_set;
    int rc = -KP_ERR_CONFIG;

    if (!hs->enabled)
        return 0;
    if (keys_ring_open(d->cfg.keys_dir, 1, &d->keys, &err) < 0) {
        log_error("kpassd: signing keys: %s", err.data ? err.data : "cannot load");
        goto out;
    }
    if (d->partner_key == NULL &&
        keys_secret_load(d->cfg.keys_dir, "partner.key", &d->partner_key, &err) < 0) {
        log_error("kpassd: %s", err.data ? err.data : "cannot load partner.key");
        goto out;
    }
    d->desk_key = sodium_malloc(STORE_DESK_KEY_BYTES);
    if (d->desk_key == NULL || office_desk_key_derive(d->partner_key, d->desk_key) < 0)
        goto out;
    /* two [daemon] values the API's worker needs */
    hs->audit_verify_s = d->cfg.audit_verify_ms / 1000;
    snprintf(hs->conf_path, sizeof(hs->conf_path), "%s", d->cfg.path ? d->cfg.path : "");
    if (hs->metrics_token_file[0] &&
        http_metrics_token_load(hs, hs->metrics_token_file, &err) < 0) {
        log_error("%s", err.data);
        rc = -KP_ERR_CONFIG;
        goto out;
    }
    struct http_deps deps = {
        d->st,     d->cfg.database, d->desk_key,   d->audit_key, kp_builtins_codes(d->builtins),
        d->outbox, d->keys,         d->hub,        d->ussd,      d->cnic_key,
        d->apps,   d->pushes,       &d->store_set, d->cfg.node};
    d->http = http_api_new(d->base, hs, &deps);
    rc = http_api_listen(d->http);
out:
    kp_buf_free(&err);
    return rc;
}

/*
 * Bound links must never want for descriptors: max_links plus what the
 * daemon itself holds (KPD_FD_OWN: the database and its WAL for three
 * connections, listeners, the accept guards' reserves, the worker pipes,
 * the event loop, a floor of HTTP and unbound connections) must fit in
 * RLIMIT_NOFILE, whose soft limit is first raised to the hard one.
 * Refuse to start otherwise (kpassd.conf(5), max_links).
 */
#define KPD_FD_OWN 64
static int kpd_check_nofile(const struct kpd *d)
{
    struct rlimit rl;
    unsigned long long need = (unsigned long long)d->smpp_set.max_links + KPD_FD_OWN;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        log_error("kpassd: max_links = %u needs %llu file descriptors with the %d the daemon "
                  "keeps for itself, but RLIMIT_NOFILE is %llu: lower [smpp] max_links or raise "
                  "the limit (LimitNOFILE= in the systemd unit)",
                  d->smpp_set.max_links, need, KPD_FD_OWN, (unsigned long long)rl.rlim_cur);
        return -KP_ERR_CONFIG;
    }
    log_debug("kpassd: descriptors: %llu allowed, %llu kept for max_links and the daemon",
              (unsigned long long)rl.rlim_cur, need);
    return 0;
}

/*
 * One daemon per database: two would each believe they own the dialogs,
 * the outbox and the client binds.  The lock file sits beside the
 * database; kpass(1)'s writers do not take it (SQLite serialises them
 * with us), only restore and migrate, which must have the file alone.
 */
static int kpd_lock(struct kpd *d)
{
    char path[4096];
    pid_t holder = 0;
    int fd;

    if (kp_pidlock_path(d->cfg.database, path, sizeof(path)) < 0)
        return -KP_ERR_TOOLONG;
    fd = kp_pidlock_acquire(path, &holder);
    if (fd == -KP_ERR_BUSY) {
        fprintf(stderr, "kpassd: another kpassd (pid %ld) is using %s\n", (long)holder,
                d->cfg.database);
        return fd;
    }
    if (fd < 0) {
        fprintf(stderr, "kpassd: %s: %s\n", path, kp_strerror(fd));
        return fd;
    }
    d->lock_fd = fd;
    return 0;
}

/* -t: the database and the key folder must be there, and usable by us. */
static int kpd_check_paths(const struct kpd *d)
{
    struct kp_buf err = KP_BUF_INIT;
    int bad = d->store_set.backend == STORE_BACKEND_SQLITE &&
              kp_config_path_check(&d->cfg, "database", d->cfg.database, KP_PATH_WRITE, &err) < 0;

    bad |= kp_config_path_check(&d->cfg, "keys", d->cfg.keys_dir, KP_PATH_DIR, &err) < 0;
    if (bad)
        fprintf(stderr, "%s(a new installation? run: kpass init, with -c %s)\n", err.data,
                d->conf_path);
    kp_buf_free(&err);
    return bad ? -KP_ERR_CONFIG : 0;
}

static int kpd_start(struct kpd *d)
{
    struct smpp_ops ops = {
        .arg = d,
        .partner_lookup = kpd_partner_lookup,
        .partner_allowlist = kpd_partner_allowlist,
        .on_request = kpd_on_request,
    };
    int rc;

    if ((rc = kpd_check_nofile(d)) < 0)
        return rc;
    const char *dbname = store_conf_name(&d->store_set, d->cfg.database);
    rc = store_open_conf(&d->store_set, d->cfg.database, STORE_CURRENT | STORE_EXCLUSIVE, &d->st);
    if (rc == -KP_ERR_NOTFOUND) {
        log_error("kpassd: no database at %s (run: kpass -c %s init)", dbname, d->conf_path);
        return rc;
    }
    if (rc == -KP_ERR_STATE) {
        log_error("kpassd: the database %s has an older schema (run: kpass -c %s migrate)", dbname,
                  d->conf_path);
        return rc;
    }
    if (rc == -KP_ERR_BUSY && d->store_set.backend == STORE_BACKEND_POSTGRESQL) {
        log_error("kpassd: another kpassd is using the database %s: %s ([store] nodes, "
                  "kpassd.conf(5))",
                  dbname,
                  d->store_set.nodes == STORE_NODES_SEVERAL
                      ? "it runs as the database's only node (nodes = one)"
                      : "a second node needs nodes = several on every node");
        return rc;
    }
    if (rc < 0) {
        log_error("kpassd: cannot open the database %s", dbname);
        return rc;
    }
    d->base = event_base_new();
    if (d->base == NULL)
        fatalx("kpassd: cannot create the event loop");
    /* Codes, credentials, verifications: committed with the pass (see store.h). */
    store_group_mode(d->st, 1);
    d->ckpt = store_checkpointer_new(d->st, d->base, 0);
    if (d->ckpt == NULL)
        log_warnx("kpassd: WAL checkpoints stay on the event loop");
    /* the SMSC-facing name is a [daemon] key */
    snprintf(d->smpp_set.system_id, sizeof(d->smpp_set.system_id), "%s", d->cfg.system_id);
    if (store_shared(d->st)) {
        ops.bind_failure_take = kpd_bind_failure_take;
        ops.bind_failure_give = kpd_bind_failure_give;
    }
    d->hub = smpp_hub_new(d->base, &d->smpp_set, &ops);
    smpp_hub_gather(d->hub, 1); /* replies leave after the pass's commit (main) */
    if (store_shared(d->st))    /* a partner's client binds shared by the nodes (cluster.md 5.4) */
        smpp_hub_set_slot_gate(d->hub, partner_slots_gate, partner_slots_release, d->st,
                               KPD_SLOT_PERIOD_MS);
    d->outbox = sms_outbox_new(d->st, d->hub, &d->sms);
    if (store_shared(d->st))
        sms_outbox_set_node(d->outbox, d->cfg.node); /* claims with a lease (cluster.md 5.3) */
    sms_outbox_recover(d->outbox, kp_time_s());
    if (kpd_builtins(d) < 0)
        return -KP_ERR_CONFIG;
    if ((rc = kpd_menus(d)) < 0)
        return rc;
    /* Department apps behind the menus' app screens (issue 13). */
    d->apps = ussd_apps_new(d->base, d->st, d->cnic_key, d->ussd_set.apps_ca_file);
    ussd_svc_set_apps(d->ussd, d->apps, d->hub);
    kp_builtins_set_apps(d->builtins, d->apps); /* SIM-swap checks before USSD codes */
    d->pushes = ussd_pushes_new(d->st, d->hub, d->ussd_set.push_partner, d->ussd_set.service_code,
                                d->ussd_set.push_timeout_s, d->ussd_set.push_code_purposes);
    ussd_svc_set_pushes(d->ussd, d->pushes);
    if ((rc = kpd_http(d)) < 0)
        return rc;
    /* Everything changed so far is in what was just loaded. */
    struct store_change ch;
    if (store_change_get(d->st, &ch) < 0 ||
        store_change_applied(d->st, ch.version, kp_time_s(), getpid()) < 0)
        return -KP_ERR_DB;
    d->change_applied = ch.version;
    d->keys_version = ch.keys_version;
    for (int i = 0; i < d->smpp_set.nlisten; i++) {
        rc = smpp_hub_listen(d->hub, &d->smpp_set.listen[i]);
        if (rc < 0) {
            log_error("kpassd: cannot listen on %s: %s", d->smpp_set.listen[i].text,
                      kp_strerror(rc));
            return rc;
        }
    }
    kpd_clients_load(d);

    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < KP_ARRAY_LEN(sigs); i++) {
        d->ev_sig[i] = evsignal_new(d->base, sigs[i], kpd_signal_cb, d);
        evsignal_add(d->ev_sig[i], NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    struct timeval tv = {0, KPD_TICK_MS * 1000};
    d->ev_tick = event_new(d->base, -1, EV_PERSIST, kpd_tick_cb, d);
    event_add(d->ev_tick, &tv);
    return 0;
}

/* One line per prepared statement run, for the benchmarks' statements per
   hop (tests/bench/run_daemon.sh): its count and the start of its text. */
static void kpd_log_stmt(const char *sql, uint64_t runs, void *arg)
{
    char text[96];
    size_t i;

    (void)arg;
    for (i = 0; sql[i] && i + 1 < sizeof(text); i++)
        text[i] = sql[i] == '\n' || sql[i] == '\t' ? ' ' : sql[i];
    text[i] = '\0';
    log_info("kpassd: SQL %llu x %s", (unsigned long long)runs, text);
}

static void kpd_shutdown(struct kpd *d)
{
    http_api_free(d->http);
    ussd_apps_free(d->apps); /* before the dialogs: no answer may come after them */
    ussd_pushes_free(d->pushes);
    ussd_svc_free(d->ussd);
    smpp_hub_free(d->hub);
    sms_outbox_free(d->outbox);
    kp_builtins_free(d->builtins);
    for (size_t i = 0; i < KP_ARRAY_LEN(d->ev_sig); i++)
        if (d->ev_sig[i])
            event_free(d->ev_sig[i]);
    if (d->ev_tick)
        event_free(d->ev_tick);
    store_checkpointer_free(d->ckpt);
    store_close(d->st);
    if (d->partner_key)
        keys_secret_free(d->partner_key);
    if (d->cnic_key)
        keys_secret_free(d->cnic_key);
    if (d->audit_key)
        keys_secret_free(d->audit_key);
    if (d->desk_key)
        sodium_free(d->desk_key);
    keys_ring_free(d->keys);
    if (d->base)
        event_base_free(d->base);
    kp_config_free(&d->cfg);
    store_settings_free(&d->store_set);
    kp_pidlock_release(d->lock_fd);
}

int main(int argc, char **argv)
{
    struct kpd d;
    int ch, check_only = 0;

    memset(&d, 0, sizeof(d));
    d.lock_fd = -1;
    umask(077); /* the database, its -wal and -shm, the lock: ours alone */
    while ((ch = getopt(argc, argv, "c:dthV")) != -1) {
        switch (ch) {
        case 'c':
            d.conf_path = optarg;
            break;
        case 'd':
            d.debug = 1;
            break;
        case 't':
            check_only = 1;
            break;
        case 'V':
            printf("kpassd 0.1\n");
            return 0;
        default:
            kpd_usage();
            return 1;
        }
    }
    if (optind != argc) {
        kpd_usage();
        return 1;
    }
    d.conf_path = kp_config_default_path(d.conf_path);
    if (kpd_load_config(&d) < 0) {
        kp_config_free(&d.cfg);
        return 1;
    }
    if (check_only) {
        /* The menus are part of the configuration: compile them too. */
        int rc = kpd_menus(&d);
        ussd_svc_free(d.ussd);
        if (kpd_check_paths(&d) < 0)
            rc = -KP_ERR_CONFIG;
        if (rc == 0)
            printf("%s: configuration OK, menus %s OK, database and keys readable\n", d.conf_path,
                   d.ussd_set.menus_dir);
        kp_config_free(&d.cfg);
        return rc == 0 ? 0 : 1;
    }
    if (sodium_init() < 0)
        fatalx("kpassd: libsodium failed to initialise");
    log_init("kpassd", d.cfg.log_target == KP_CONFIG_LOG_SYSLOG ? KP_LOG_SYSLOG : KP_LOG_STDERR,
             d.debug ? KP_LOG_DEBUG : (enum kp_log_level)d.cfg.log_level);
    if (kpd_lock(&d) < 0) {
        kp_config_free(&d.cfg);
        return 1;
    }
    if (kpd_start(&d) < 0) {
        kpd_shutdown(&d);
        return 1;
    }
    log_info("kpassd: started (pid %ld, database %s)", (long)getpid(),
             store_conf_name(&d.store_set, d.cfg.database));
    /* One pass of the loop, then one commit: dialog state written during
       the pass reaches the disk before the replies queued in it are
       written to their sockets, which happens right after it (the hub
       gathers each link's output until then). */
    while (!d.done) {
        /* USSD code requests committed by the last pass: this pass writes
           their replies without waiting for events, then they are issued
           (not while the database is away: the loop would spin). */
        int flags = kp_builtins_pending(d.builtins) && !store_away(d.st)
                        ? EVLOOP_ONCE | EVLOOP_NONBLOCK
                        : EVLOOP_ONCE;
        unsigned long long losses = store_losses(d.st);
        if (event_base_loop(d.base, flags) < 0)
            break;
        if (!d.stopping)
            kp_builtins_flush(d.builtins);
        /* SMS queued in the pass (a code, a confirmation) go out now, not at the next tick. */
        if (!d.stopping)
            sms_outbox_flush(d.outbox, kp_clock_ms());
        int rc = store_flush(d.st);
        if (rc < 0 && d.store_set.backend == STORE_BACKEND_SQLITE) {
            /* Disk full or an I/O error: the pass's changes are gone, and
               the replies that told of them must not leave.  Stop here,
               before the loop writes them; partners retry elsewhere. */
            log_error("kpassd: the database refused a commit (%s); stopping without "
                      "sending this pass's replies",
                      store_errmsg(d.st));
            _exit(1);
        }
        if (rc < 0 || store_losses(d.st) != losses) {
            kpd_pass_failed(&d, rc < 0);
        } else if (d.failing && !store_away(d.st)) { /* a pass that used the database */
            log_info("kpassd: the database is back (%llu pass(es) failed meanwhile)",
                     d.passes_failed);
            d.failing = 0;
            d.passes_failed = 0;
        }
        /* Committed (or refused above): the pass's replies leave now, one
           writev per link. */
        smpp_hub_flush(d.hub);
        if (rc == 0)
            kp_builtins_committed(d.builtins);
    }
    /* No daemon follows the counter any more: the CLI stops waiting for one. */
    store_change_detach(d.st, getpid());
    if (store_flush(d.st) == 0)
        smpp_hub_flush(d.hub);
    log_info("kpassd: stopped after %llu SQL statements in %llu commits, %llu database round "
             "trips",
             (unsigned long long)store_commit_stats(d.st)->statements,
             (unsigned long long)store_commit_stats(d.st)->count, store_round_trips(d.st));
    store_stmt_each(d.st, kpd_log_stmt, NULL);
    kpd_shutdown(&d);
    return 0;
}
