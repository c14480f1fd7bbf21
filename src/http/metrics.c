/* SPDX-License-Identifier: ISC */
/*
 * /metrics in the Prometheus text format (version 0.0.4) and /healthz.
 * /metrics can want a bearer token ([http] metrics_token_file).  No
 * counter moves differently for a code request by a registered or an
 * unregistered caller (USSD outcomes are not counted: DESIGN.md §6).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "http_internal.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/verify/codes.h"
#include "kpass/verify/uses.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/sms/outbox.h"
#include "kpass/smpp/smpp.h"
#include "kpass/store/store.h"
#include "kpass/store/sms.h"
#include "kpass/ussd/app.h"
#include "kpass/ussd/dialog.h"

/* A label value: backslash, double quote and line feed escaped. */
static void metrics_label(struct kp_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            kp_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            kp_buf_puts(b, "\\n");
        else
            kp_buf_putc(b, *v);
    }
}

static void metrics_head(struct kp_buf *b, const char *name, const char *type, const char *help)
{
    kp_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One counter of struct smpp_partner_stats (at offset off) per partner. */
static void metrics_partner_counter(struct kp_buf *b, const char *name, const char *help,
                                    struct smpp_partner *const *parts, size_t np, size_t off)
{
    metrics_head(b, name, "counter", help);
    for (size_t i = 0; i < np; i++) {
        uint64_t v;
        memcpy(&v, (const char *)smpp_partner_stats(parts[i]) + off, sizeof(v));
        kp_buf_printf(b, "%s{partner=\"", name);
        metrics_label(b, smpp_partner_conf(parts[i])->system_id);
        kp_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
    }
}

static void metrics_smpp(struct kp_buf *b, struct smpp_hub *h)
{
    struct smpp_partner *parts[256];
    struct smpp_pdu_count counts[128];
    size_t np = smpp_hub_partners(h, parts, KP_ARRAY_LEN(parts));
    size_t nc = smpp_hub_pdu_counts(h, counts, KP_ARRAY_LEN(counts));
    const struct smpp_stats *s = smpp_hub_stats(h);

    metrics_head(b, "kpass_smpp_binds", "gauge", "Bound SMPP links per partner.");
    for (size_t i = 0; i < np; i++) {
        kp_buf_puts(b, "kpass_smpp_binds{partner=\"");
        metrics_label(b, smpp_partner_conf(parts[i])->system_id);
        kp_buf_printf(b, "\"} %u\n", smpp_partner_links(parts[i]));
    }
    metrics_head(b, "kpass_smpp_partner_pdus_total", "counter",
                 "SMPP PDUs per partner and direction (bound links).");
    for (size_t i = 0; i < np; i++) {
        const struct smpp_partner_stats *ps = smpp_partner_stats(parts[i]);
        for (int dir = 0; dir < 2; dir++) {
            kp_buf_puts(b, "kpass_smpp_partner_pdus_total{partner=\"");
            metrics_label(b, smpp_partner_conf(parts[i])->system_id);
            kp_buf_printf(b, "\",direction=\"%s\"} %llu\n", dir ? "out" : "in",
                          (unsigned long long)(dir ? ps->pdus_out : ps->pdus_in));
        }
    }
    metrics_partner_counter(b, "kpass_smpp_partner_throttled_total",
                            "Requests answered ESME_RTHROTTLED, per partner.", parts, np,
                            offsetof(struct smpp_partner_stats, throttled));
    metrics_partner_counter(b, "kpass_smpp_partner_response_timeouts_total",
                            "Requests we sent that got no response, per partner.", parts, np,
                            offsetof(struct smpp_partner_stats, timeouts));
    metrics_head(b, "kpass_smpp_pdus_total", "counter",
                 "SMPP PDUs by direction, command and status.");
    for (size_t i = 0; i < nc; i++) {
        const char *cmd = smpp_command_name(counts[i].command_id);
        for (int dir = 0; dir < 2; dir++) {
            uint64_t v = dir ? counts[i].out : counts[i].in;
            if (v == 0 || cmd == NULL)
                continue;
            kp_buf_printf(
                b, "kpass_smpp_pdus_total{direction=\"%s\",command=\"%s\",status=\"%s\"} %llu\n",
                dir ? "out" : "in", cmd, smpp_status_name(counts[i].status), (unsigned long long)v);
        }
    }
    metrics_head(b, "kpass_smpp_links_open", "gauge", "Open SMPP connections.");
    kp_buf_printf(b, "kpass_smpp_links_open %u\n", smpp_hub_link_count(h));
    metrics_head(b, "kpass_smpp_binds_failed_total", "counter", "Refused or failed binds.");
    kp_buf_printf(b, "kpass_smpp_binds_failed_total %llu\n", (unsigned long long)s->binds_failed);
    metrics_head(b, "kpass_smpp_throttled_total", "counter", "Requests answered ESME_RTHROTTLED.");
    kp_buf_printf(b, "kpass_smpp_throttled_total %llu\n", (unsigned long long)s->throttled);
    metrics_head(b, "kpass_smpp_response_timeouts_total", "counter",
                 "Requests we sent that got no response.");
    kp_buf_printf(b, "kpass_smpp_response_timeouts_total %llu\n", (unsigned long long)s->timeouts);
    metrics_head(b, "kpass_smpp_connections_refused_total", "counter",
                 "SMPP connections closed at accept: no enabled partner allows the address, or "
                 "every unbound slot holds a bind in progress.");
    kp_buf_printf(b, "kpass_smpp_connections_refused_total{reason=\"address\"} %llu\n",
                  (unsigned long long)s->refused_addr);
    kp_buf_printf(b, "kpass_smpp_connections_refused_total{reason=\"full\"} %llu\n",
                  (unsigned long long)s->refused_full);
}

static void metrics_screen_label(struct kp_buf *b, const char *name,
                                 const struct ussd_funnel_row *r)
{
    kp_buf_printf(b, "%s{screen=\"", name);
    metrics_label(b, r->screen);
    kp_buf_printf(b, "\",lang=\"%s\"", menu_lang_name((enum menu_lang)r->lang));
}

/* The drop-off funnel: views and exits per screen and language. */
static void metrics_funnel(struct kp_buf *b, const struct ussd_funnel *f)
{
    static const char *const reasons[] = {"end", "abort", "late"};

    metrics_head(b, "kpass_ussd_screen_views_total", "counter",
                 "USSD screens sent, per screen and language.");
    for (unsigned i = 0; i < USSD_FUNNEL_ROWS; i++) {
        const struct ussd_funnel_row *r = &f->rows[i];
        if (r->screen[0] == '\0')
            continue;
        metrics_screen_label(b, "kpass_ussd_screen_views_total", r);
        kp_buf_printf(b, "} %llu\n", (unsigned long long)r->views);
    }
    metrics_head(b, "kpass_ussd_screen_exits_total", "counter",
                 "USSD dialogs that left a screen: ended on it, released on it, or "
                 "answered it too late.");
    for (unsigned i = 0; i < USSD_FUNNEL_ROWS; i++) {
        const struct ussd_funnel_row *r = &f->rows[i];
        const uint64_t v[] = {r->ends, r->aborts, r->late};
        if (r->screen[0] == '\0')
            continue;
        for (unsigned k = 0; k < KP_ARRAY_LEN(reasons); k++) {
            if (v[k] == 0)
                continue;
            metrics_screen_label(b, "kpass_ussd_screen_exits_total", r);
            kp_buf_printf(b, ",reason=\"%s\"} %llu\n", reasons[k], (unsigned long long)v[k]);
        }
    }
}

/* Department apps and "was this you?" pushes (issue 13). */
static void metrics_dept(struct kp_buf *b, struct ussd_apps *apps, struct ussd_pushes *pushes)
{
    if (apps) {
        const struct ussd_app_stats *s = ussd_apps_stats(apps);
        metrics_head(b, "kpass_app_requests_total", "counter",
                     "Hops handed to department apps, by what came of them.");
        kp_buf_printf(b, "kpass_app_requests_total{result=\"ok\"} %llu\n",
                      (unsigned long long)s->ok);
        kp_buf_printf(b, "kpass_app_requests_total{result=\"timeout\"} %llu\n",
                      (unsigned long long)s->timeouts);
        kp_buf_printf(b, "kpass_app_requests_total{result=\"error\"} %llu\n",
                      (unsigned long long)s->errors);
        kp_buf_printf(b, "kpass_app_requests_total{result=\"cut_off\"} %llu\n",
                      (unsigned long long)s->refused_open);
    }
    if (pushes) {
        const struct ussd_push_stats *p = ussd_pushes_stats(pushes);
        static const char *const names[] = {"sent",       "me",     "not_me",
                                            "unanswered", "failed", "unsupported"};
        const uint64_t v[] = {p->sent, p->me, p->not_me, p->unanswered, p->failed, p->unsupported};
        metrics_head(
            b, "kpass_ussd_push_total", "counter",
            "\"Was this you?\" pushes after verifications, by outcome (not_me: disputed).");
        for (size_t i = 0; i < KP_ARRAY_LEN(names); i++)
            kp_buf_printf(b, "kpass_ussd_push_total{result=\"%s\"} %llu\n", names[i],
                          (unsigned long long)v[i]);
    }
}

static void metrics_ussd(struct kp_buf *b, struct ussd_svc *u)
{
    const struct ussd_stats *s = ussd_svc_stats(u);
    int active = ussd_svc_active(u);

    metrics_head(b, "kpass_ussd_dialogs_active", "gauge",
                 "USSD dialogs stored (live or resumable).");
    kp_buf_printf(b, "kpass_ussd_dialogs_active %d\n", active < 0 ? 0 : active);
    metrics_head(b, "kpass_ussd_dialogs_started_total", "counter", "USSD dialogs begun.");
    kp_buf_printf(b, "kpass_ussd_dialogs_started_total %llu\n", (unsigned long long)s->started);
    metrics_head(b, "kpass_ussd_dialogs_resumed_total", "counter",
                 "USSD dialogs resumed after a redial.");
    kp_buf_printf(b, "kpass_ussd_dialogs_resumed_total %llu\n", (unsigned long long)s->resumed);
    metrics_head(b, "kpass_ussd_dialogs_ended_total", "counter",
                 "USSD dialogs that reached an end screen.");
    kp_buf_printf(b, "kpass_ussd_dialogs_ended_total %llu\n", (unsigned long long)s->ended);
    metrics_head(b, "kpass_ussd_dialogs_expired_total", "counter", "USSD dialogs that timed out.");
    kp_buf_printf(b, "kpass_ussd_dialogs_expired_total %llu\n", (unsigned long long)s->expired);
    metrics_head(b, "kpass_ussd_dialogs_aborted_total", "counter",
                 "USSD dialogs released by the user or network.");
    kp_buf_printf(b, "kpass_ussd_dialogs_aborted_total %llu\n", (unsigned long long)s->aborted);
    metrics_head(b, "kpass_ussd_hops_total", "counter", "USSD messages handled.");
    kp_buf_printf(b, "kpass_ussd_hops_total %llu\n", (unsigned long long)s->hops);
    metrics_head(b, "kpass_ussd_hop_seconds", "histogram", "Time to handle one USSD message.");
    for (unsigned i = 0; i < USSD_HOP_BUCKETS; i++)
        kp_buf_printf(b, "kpass_ussd_hop_seconds_bucket{le=\"%g\"} %llu\n",
                      ussd_hop_bounds_us[i] / 1e6, (unsigned long long)s->hop_le[i]);
    kp_buf_printf(b, "kpass_ussd_hop_seconds_bucket{le=\"+Inf\"} %llu\n",
                  (unsigned long long)s->hops);
    kp_buf_printf(b, "kpass_ussd_hop_seconds_sum %.6f\n", s->hop_us_sum / 1e6);
    kp_buf_printf(b, "kpass_ussd_hop_seconds_count %llu\n", (unsigned long long)s->hops);
    metrics_funnel(b, ussd_svc_funnel(u));
}

static void metrics_codes(struct kp_buf *b, struct codes *c)
{
    const struct codes_stats *s = codes_stats(c);

    metrics_head(b, "kpass_codes_requested_total", "counter",
                 "Code requests over USSD, whatever became of them.");
    kp_buf_printf(b, "kpass_codes_requested_total %llu\n", (unsigned long long)s->requested);
    metrics_head(b, "kpass_codes_total", "counter",
                 "One-time codes by outcome, for desks (USSD outcomes are not counted).");
    kp_buf_printf(b, "kpass_codes_total{outcome=\"issued\"} %llu\n", (unsigned long long)s->issued);
    kp_buf_printf(b, "kpass_codes_total{outcome=\"refused\"} %llu\n",
                  (unsigned long long)s->refused);
    kp_buf_printf(b, "kpass_codes_total{outcome=\"verified\"} %llu\n",
                  (unsigned long long)s->verified);
    kp_buf_printf(b, "kpass_codes_total{outcome=\"failed\"} %llu\n", (unsigned long long)s->failed);
    kp_buf_printf(b, "kpass_codes_total{outcome=\"locked\"} %llu\n", (unsigned long long)s->locked);
}

/* A partner's label from the store's id: its system_id while the hub knows it. */
/* "It was not me" on a use of an identity (verify_dispute_flag), from any channel. */
static void metrics_disputes(struct kp_buf *b)
{
    metrics_head(b, "kpass_identity_disputes_total", "counter",
                 "Uses of an identity their citizen flagged as not theirs.");
    kp_buf_printf(b, "kpass_identity_disputes_total %llu\n",
                  (unsigned long long)verify_dispute_count());
}

static void metrics_partner_of(struct kp_buf *b, struct smpp_hub *h, int64_t id)
{
    struct smpp_partner *parts[256];
    size_t np = h ? smpp_hub_partners(h, parts, KP_ARRAY_LEN(parts)) : 0;

    for (size_t i = 0; i < np; i++)
        if (smpp_partner_conf(parts[i])->id == id) {
            metrics_label(b, smpp_partner_conf(parts[i])->system_id);
            return;
        }
    kp_buf_printf(b, "#%lld", (long long)id);
}

static void metrics_sms_partners(struct kp_buf *b, struct smpp_hub *h, struct sms_outbox *ob)
{
    static const char *const events[] = {"sent", "failed", "retried", "delivered", "undelivered"};
    unsigned n;
    const struct sms_partner_stats *ps = sms_outbox_partner_stats(ob, &n);

    metrics_head(b, "kpass_sms_partner_events_total", "counter",
                 "SMS dispatch events per partner (delivered and undelivered by receipt).");
    for (unsigned i = 0; i < n; i++) {
        const uint64_t v[] = {ps[i].sent, ps[i].failed, ps[i].retried, ps[i].delivered,
                              ps[i].undelivered};
        for (unsigned k = 0; k < KP_ARRAY_LEN(events); k++) {
            kp_buf_puts(b, "kpass_sms_partner_events_total{partner=\"");
            metrics_partner_of(b, h, ps[i].partner_id);
            kp_buf_printf(b, "\",event=\"%s\"} %llu\n", events[k], (unsigned long long)v[k]);
        }
    }
}

static void metrics_sms(struct kp_buf *b, struct store *st, struct sms_outbox *ob)
{
    uint64_t counts[SMS_STATE_MAX];
    const struct sms_stats *s = sms_outbox_stats(ob);

    metrics_head(b, "kpass_sms_outbox", "gauge", "SMS outbox messages by state.");
    if (store_sms_counts(st, counts) == 0)
        for (int i = 0; i < SMS_STATE_MAX; i++)
            kp_buf_printf(b, "kpass_sms_outbox{state=\"%s\"} %llu\n",
                          sms_state_name((enum sms_state)i), (unsigned long long)counts[i]);
    int64_t oldest;
    metrics_head(b, "kpass_sms_outbox_oldest_age_seconds", "gauge",
                 "Age of the oldest SMS still to be sent (0: none waits).");
    kp_buf_printf(b, "kpass_sms_outbox_oldest_age_seconds %lld\n",
                  store_sms_oldest_pending(st, &oldest) == 0 && kp_time_s() > oldest
                      ? (long long)(kp_time_s() - oldest)
                      : 0LL);
    metrics_head(b, "kpass_sms_inflight", "gauge", "SMS handed to links, not answered yet.");
    kp_buf_printf(b, "kpass_sms_inflight %u\n", sms_outbox_inflight(ob));
    metrics_head(b, "kpass_sms_events_total", "counter", "SMS dispatch events.");
    kp_buf_printf(b, "kpass_sms_events_total{event=\"sent\"} %llu\n", (unsigned long long)s->sent);
    kp_buf_printf(b, "kpass_sms_events_total{event=\"delivered\"} %llu\n",
                  (unsigned long long)s->delivered);
    kp_buf_printf(b, "kpass_sms_events_total{event=\"failed\"} %llu\n",
                  (unsigned long long)s->failed);
    kp_buf_printf(b, "kpass_sms_events_total{event=\"expired\"} %llu\n",
                  (unsigned long long)s->expired);
    kp_buf_printf(b, "kpass_sms_events_total{event=\"retried\"} %llu\n",
                  (unsigned long long)s->retried);
    kp_buf_printf(b, "kpass_sms_events_total{event=\"receipt\"} %llu\n",
                  (unsigned long long)s->receipts);
    /* re-queued after a crash or a dead node's lease: each possibly sent twice */
    kp_buf_printf(b, "kpass_sms_events_total{event=\"recovered\"} %llu\n",
                  (unsigned long long)s->recovered);
}

static void metrics_store(struct kp_buf *b, const struct store *st)
{
    const struct store_commit_stats *c = store_commit_stats(st);

    metrics_head(b, "kpass_db_commit_seconds", "histogram",
                 "Time to commit a database transaction (the loop's group commit and others).");
    for (unsigned i = 0; i < STORE_COMMIT_BUCKETS; i++)
        kp_buf_printf(b, "kpass_db_commit_seconds_bucket{le=\"%g\"} %llu\n",
                      store_commit_bounds_us[i] / 1e6, (unsigned long long)c->le[i]);
    kp_buf_printf(b, "kpass_db_commit_seconds_bucket{le=\"+Inf\"} %llu\n",
                  (unsigned long long)c->count);
    kp_buf_printf(b, "kpass_db_commit_seconds_sum %.6f\n", c->us_sum / 1e6);
    kp_buf_printf(b, "kpass_db_commit_seconds_count %llu\n", (unsigned long long)c->count);
    metrics_head(b, "kpass_db_commit_failures_total", "counter", "Commits the database refused.");
    kp_buf_printf(b, "kpass_db_commit_failures_total %llu\n", (unsigned long long)c->failed);
}

/* The database's role and replication lag, as /healthz has them. */
static void metrics_db_health(struct kp_buf *b, const struct store_health *h, const char *node)
{
    metrics_head(b, "kpass_node_info", "gauge", "This node's name ([daemon] node).");
    kp_buf_puts(b, "kpass_node_info{name=\"");
    metrics_label(b, node ? node : "");
    kp_buf_puts(b, "\"} 1\n");
    static const enum store_role roles[] = {STORE_ROLE_UNREACHABLE, STORE_ROLE_SQLITE,
                                            STORE_ROLE_PRIMARY, STORE_ROLE_STANDBY};

    metrics_head(b, "kpass_db_role", "gauge",
                 "1 for what the database is to this node (asked once a second).");
    for (size_t i = 0; i < KP_ARRAY_LEN(roles); i++)
        kp_buf_printf(b, "kpass_db_role{role=\"%s\"} %d\n", store_role_name(roles[i]),
                      h->role == roles[i]);
    metrics_head(b, "kpass_db_replication_lag_seconds", "gauge",
                 "Primary: the slowest synchronous standby's replay lag; standby: the age of "
                 "the last transaction replayed (absent when not known).");
    if (h->lag_ms >= 0)
        kp_buf_printf(b, "kpass_db_replication_lag_seconds %.3f\n", h->lag_ms / 1e3);
    metrics_head(b, "kpass_db_sync_standbys", "gauge",
                 "Synchronous standbys streaming from the primary (absent when not visible).");
    if (h->sync_standbys >= 0)
        kp_buf_printf(b, "kpass_db_sync_standbys %d\n", h->sync_standbys);
}

/*
 * Every sample of in, labelled node="<node>", into out: a cluster's nodes
 * are scraped apart and summed by the reader, so that each sample says
 * whose it is.  Comment lines are copied as they are.
 */
static void metrics_label_node(const struct kp_buf *in, const char *node, struct kp_buf *out)
{
    const char *p = in->data ? in->data : "", *end = p + in->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        size_t name = strcspn(p, "{ \n");

        if (*p == '#' || name >= len || (p[name] != '{' && p[name] != ' ')) {
            kp_buf_append(out, p, len);
        } else {
            kp_buf_append(out, p, name);
            kp_buf_puts(out, "{node=\"");
            metrics_label(out, node);
            kp_buf_putc(out, '"');
            if (p[name] == '{' && p[name + 1] != '}') {
                kp_buf_putc(out, ',');
                kp_buf_append(out, p + name + 1, len - name - 1);
            } else if (p[name] == '{') {
                kp_buf_putc(out, '}');
                kp_buf_append(out, p + name + 2, len - name - 2);
            } else {
                kp_buf_putc(out, '}');
                kp_buf_append(out, p + name, len - name);
            }
        }
        p += len;
    }
}

static void metrics_audit(struct kp_buf *b, const struct http_api *a)
{
    metrics_head(b, "kpass_audit_chain_ok", "gauge",
                 "1 when the last walk of the audit chain found it intact (-1: not walked yet).");
    kp_buf_printf(b, "kpass_audit_chain_ok %d\n", a->audit.last_at ? a->audit.ok : -1);
    metrics_head(b, "kpass_audit_rows", "gauge", "Rows in the audit chain at the last walk.");
    kp_buf_printf(b, "kpass_audit_rows %lld\n", (long long)a->audit.rows);
    metrics_head(b, "kpass_audit_verify_failures_total", "counter",
                 "Walks of the audit chain that found it broken or could not read it.");
    kp_buf_printf(b, "kpass_audit_verify_failures_total %llu\n",
                  (unsigned long long)a->audit.failures);
    metrics_head(b, "kpass_audit_verified_timestamp_seconds", "gauge",
                 "When the audit chain was last walked (Unix time; 0: never).");
    kp_buf_printf(b, "kpass_audit_verified_timestamp_seconds %lld\n", (long long)a->audit.last_at);
}

static void metrics_http(struct kp_buf *b, const struct http_api *a)
{
    metrics_head(b, "kpass_desk_verifications_total", "counter",
                 "Desk verifications per office and outcome.");
    for (unsigned i = 0; i < HTTP_OFFICES && a->offices[i].office[0]; i++)
        for (unsigned k = 0; k < HTTP_VOUT_MAX; k++) {
            kp_buf_puts(b, "kpass_desk_verifications_total{office=\"");
            metrics_label(b, a->offices[i].office);
            kp_buf_printf(b, "\",outcome=\"%s\"} %llu\n", http_vout_names[k],
                          (unsigned long long)a->offices[i].n[k]);
        }
    metrics_head(b, "kpass_http_requests_total", "counter", "HTTP requests by route and status.");
    for (int r = 0; r < HTTP_R_MAX; r++)
        for (int i = 0; i < HTTP_STATUS_SLOTS; i++)
            if (a->requests[r][i])
                kp_buf_printf(b, "kpass_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                              http_route_names[r], http_status_codes[i],
                              (unsigned long long)a->requests[r][i]);
    metrics_head(b, "kpass_http_refusals_total", "counter", "HTTP requests refused (4xx).");
    kp_buf_printf(b, "kpass_http_refusals_total %llu\n", (unsigned long long)a->refusals);
    metrics_head(b, "kpass_http_connections_dropped_total", "counter",
                 "HTTP connections refused over a cap (503) or closed at the request deadline.");
    kp_buf_printf(b, "kpass_http_connections_dropped_total{reason=\"cap\"} %llu\n",
                  (unsigned long long)a->conns_refused);
    kp_buf_printf(b, "kpass_http_connections_dropped_total{reason=\"deadline\"} %llu\n",
                  (unsigned long long)a->conns_timed_out);
}

int http_metrics_token_load(struct http_settings *s, const char *path, struct kp_buf *err)
{
    char line[256];
    struct stat sb;
    size_t n;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        kp_buf_printf(err, "http: cannot read metrics_token_file %s: %s", path, strerror(errno));
        return -KP_ERR_IO;
    }
    if (fstat(fileno(f), &sb) < 0 || (sb.st_mode & 077) != 0) {
        kp_buf_printf(err, "http: metrics_token_file %s may be read by others (chmod 600)", path);
        fclose(f);
        return -KP_ERR_DENIED;
    }
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
        line[--n] = '\0';
    if (n < 16) {
        kp_buf_printf(err, "http: metrics_token_file %s: the token must be 16 characters or more",
                      path);
        sodium_memzero(line, sizeof(line));
        return -KP_ERR_CONFIG;
    }
    crypto_generichash(s->metrics_token_hash, sizeof(s->metrics_token_hash), (const uint8_t *)line,
                       n, NULL, 0);
    sodium_memzero(line, sizeof(line));
    s->metrics_token = 1;
    return 0;
}

/* Does r carry the metrics bearer token?  Compared as hashes, in constant time. */
static int metrics_authorized(struct http_req *r)
{
    const char *h;
    uint8_t hash[32];

    if (!r->api->set.metrics_token)
        return 1;
    h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) > 255)
        return 0;
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)h + 7, strlen(h + 7), NULL, 0);
    return sodium_memcmp(hash, r->api->set.metrics_token_hash, sizeof(hash)) == 0;
}

void http_metrics(struct http_req *r)
{
    struct http_api *a = r->api;
    struct kp_buf b = KP_BUF_INIT;

    if (!metrics_authorized(r)) {
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
                          "Bearer realm=\"kpass metrics\"");
        http_reply_error(r, 401, "unauthorized", "metrics want their bearer token");
        return;
    }

    if (a->d.hub)
        metrics_smpp(&b, a->d.hub);
    if (a->d.ussd)
        metrics_ussd(&b, a->d.ussd);
    metrics_dept(&b, a->d.apps, a->d.pushes);
    if (a->d.codes)
        metrics_codes(&b, a->d.codes);
    metrics_disputes(&b);
    if (a->d.outbox) {
        metrics_sms(&b, a->d.st, a->d.outbox);
        metrics_sms_partners(&b, a->d.hub, a->d.outbox);
    }
    metrics_store(&b, a->d.st);
    metrics_db_health(&b, &a->health, a->d.node);
    metrics_audit(&b, a);
    /* This request counts itself: it is answered 200 below. */
    a->requests[HTTP_R_METRICS][0]++;
    metrics_http(&b, a);
    a->requests[HTTP_R_METRICS][0]--;
    /* On a node of a cluster every sample says whose it is; one node's
       samples stay as they were (scrapers and their queries keep working). */
    if (store_shared(a->d.st) && a->d.node && a->d.node[0]) {
        struct kp_buf lb = KP_BUF_INIT;
        metrics_label_node(&b, a->d.node, &lb);
        kp_buf_free(&b);
        b = lb;
    }
    http_reply_text(r, 200, b.data ? b.data : "", b.len);
    kp_buf_free(&b);
}

/*
 * Alive, and what the database is to this node, from the tick's cache (no
 * round trip here).  200 when the node can write: SQLite, or a PostgreSQL
 * primary; 503 when the database is unreachable or is a standby (no write
 * would go through), so that a load balancer leaves the node out.  The
 * replication lag is told, never judged: a synchronous standby that lags
 * slows commits but loses nothing.
 */
void http_healthz(struct http_req *r)
{
    struct http_api *a = r->api;
    const struct store_health *h = &a->health;
    int db = h->role == STORE_ROLE_SQLITE || h->role == STORE_ROLE_PRIMARY;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:i}", "status", db ? "ok" : "degraded", "node",
                          a->d.node ? a->d.node : "", "database", db ? "ok" : "unavailable", "role",
                          store_role_name(h->role), "smpp_links",
                          a->d.hub ? (int)smpp_hub_link_count(a->d.hub) : 0);

    if (h->role == STORE_ROLE_PRIMARY || h->role == STORE_ROLE_STANDBY) {
        json_object_set_new(j, "lag_ms", h->lag_ms >= 0 ? json_integer(h->lag_ms) : json_null());
        if (h->role == STORE_ROLE_PRIMARY)
            json_object_set_new(j, "sync_standbys",
                                h->sync_standbys >= 0 ? json_integer(h->sync_standbys)
                                                      : json_null());
    }
    http_reply_json(r, db ? 200 : 503, j);
}

/*
 * Ready to serve: the database answers and its file is writable, menus are
 * loaded, and at least one partner link is bound (USSD traffic can reach
 * us).  A load balancer or an orchestrator sends traffic only to a ready
 * node; /healthz says only whether the process is alive.
 */
void http_readyz(struct http_req *r)
{
    struct http_api *a = r->api;
    struct smpp_partner *parts[256];
    size_t np = a->d.hub ? smpp_hub_partners(a->d.hub, parts, KP_ARRAY_LEN(parts)) : 0;
    unsigned bound = 0;
    int db = store_schema_version(a->d.st) > 0 && store_writable(a->d.st) == 0;
    int menus = a->d.ussd && ussd_svc_version(a->d.ussd)[0] != '\0';

    for (size_t i = 0; i < np; i++)
        bound += smpp_partner_links_usable(parts[i]);
    int ready = db && menus && bound > 0;
    http_reply_json(r, ready ? 200 : 503,
                    json_pack("{s:s, s:s, s:s, s:i}", "status", ready ? "ready" : "not_ready",
                              "database", db ? "ok" : "not_writable", "menus",
                              menus ? "loaded" : "missing", "bound_links", (int)bound));
}
