/* SPDX-License-Identifier: ISC */
/*
 * USSD dialogs: one hop per mobile-originated message.  A begin starts (or
 * offers to resume) a dialog, a continue feeds the user's reply to the menu
 * engine, an abort leaves the dialog for a redial; each screen goes back to
 * the partner as deliver_sm, submit_sm or data_sm per its profile.  Dialog
 * state is held between hops (dialog_cache.c) and written to the store
 * inside the group transaction, just before the daemon commits it at the
 * end of the event-loop pass; the screens leave after that commit (see
 * kpassd.c and smpp_hub_gather).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/dialog.h"
#include "kpass/ussd/app.h"
#include "kpass/ussd/dialog.h"
#include "dialog_cache.h"

#include "kp_paths.h" /* KP_DATADIR: generated from PREFIX */

const unsigned ussd_hop_bounds_us[USSD_HOP_BUCKETS] = {100,  250,   500,   1000,  2500,
                                                       5000, 10000, 25000, 50000, 100000};

/* Graphs stay loaded while this process runs, so that a dialog can finish
   on the graph it began with after a reload (reloads are rare and graphs small). */
#define USSD_MAX_GRAPHS 32

/* The graphs of one service code's menus. */
struct ussd_tree {
    struct menu_graph *graphs[USSD_MAX_GRAPHS]; /* [0] is the current one */
    int ngraphs;
};

struct ussd_svc {
    struct store *st;
    struct ussd_settings set;
    struct ussd_builtins b;
    struct ussd_tree trees[USSD_MAX_CODES]; /* one per set.codes[] */
    struct menu_state *state;               /* reused for every hop */
    struct menu_screen screen;              /* reused for every hop */
    struct kp_buf blob;                     /* state encoding, reused */
    struct kp_buf loaded;                   /* state read from the store, reused */
    struct ussd_stats stats;
    struct ussd_funnel funnel;
    struct ussd_cache cache; /* dialogs held between hops, written per pass */
    int64_t last_reap;
    struct ussd_apps *apps;     /* department apps (NULL: every app is unavailable) */
    struct smpp_hub *hub;       /* to find a partner again when an app answers */
    struct ussd_pending *pends; /* hops waiting for an app */
    struct ussd_pushes *pushes; /* "was this you?" questions waiting for answers */
};

/*
 * A hop waiting for a department app: everything needed to finish it when
 * the answer comes, since the PDU, the link and the shared state are gone
 * by then.  The state is the one the hop left (on the app screen); it is
 * stored only with the screen that answers it.
 */
struct ussd_pending {
    struct ussd_svc *u;
    struct ussd_mo mo;
    struct ussd_profile prof;
    uint32_t reply_cmd; /* deliver_sm, submit_sm or data_sm, as the link wanted */
    int64_t partner_id;
    int64_t started;
    struct menu_graph *g; /* a reference */
    struct menu_limits limits;
    struct kp_buf state;
    int lang_changed;
    unsigned asks; /* apps asked in this hop (a failure may lead into another app) */
    struct ussd_pending *prev, *next;
};

struct ussd_svc *ussd_svc_new(struct store *st, const struct ussd_settings *s,
                              const struct ussd_builtins *b)
{
    struct ussd_svc *u = kp_calloc(1, sizeof(*u));

    u->st = st;
    u->set = *s;
    u->b = *b;
    if (u->set.ncodes == 0) { /* settings not read from a file: the one code */
        snprintf(u->set.codes[0].code, sizeof(u->set.codes[0].code), "%s", s->service_code);
        snprintf(u->set.codes[0].menus_dir, sizeof(u->set.codes[0].menus_dir), "%s", s->menus_dir);
        u->set.codes[0].lang = -1;
        u->set.ncodes = 1;
    }
    u->state = menu_state_new();
    ussd_cache_init(&u->cache, st, 0);
    return u;
}

static void ussd_pending_free(struct ussd_pending *p);

void ussd_svc_abort(struct ussd_svc *u)
{
    if (u)
        ussd_cache_drop(&u->cache);
}

void ussd_svc_free(struct ussd_svc *u)
{
    if (u == NULL)
        return;
    while (u->pends) /* the apps were freed first: no answer can come */
        ussd_pending_free(u->pends);
    ussd_cache_free(&u->cache);
    for (unsigned t = 0; t < u->set.ncodes; t++)
        for (int i = 0; i < u->trees[t].ngraphs; i++)
            menu_graph_unref(u->trees[t].graphs[i]);
    menu_state_free(u->state);
    menu_screen_free(&u->screen);
    kp_buf_free(&u->blob);
    kp_buf_free(&u->loaded);
    free(u);
}

/* Make g (one reference, taken) the current graph of tree t. */
static void ussd_tree_install(struct ussd_svc *u, unsigned t, struct menu_graph *g)
{
    struct ussd_tree *tr = &u->trees[t];

    if (tr->ngraphs && strcmp(menu_graph_version(g), menu_graph_version(tr->graphs[0])) == 0) {
        menu_graph_unref(g); /* unchanged */
        return;
    }
    if (tr->ngraphs == USSD_MAX_GRAPHS) {
        /* Drop the oldest: dialogs still on it end with the expired text. */
        menu_graph_unref(tr->graphs[--tr->ngraphs]);
    }
    memmove(tr->graphs + 1, tr->graphs, (size_t)tr->ngraphs * sizeof(tr->graphs[0]));
    tr->graphs[0] = g;
    tr->ngraphs++;
    log_info("ussd: menus %s loaded for %s: version %s, %zu screens", u->set.codes[t].menus_dir,
             u->set.codes[t].code, menu_graph_version(g), menu_graph_screens(g));
}

/* Every code's menus, all or none: one broken folder keeps every running graph. */
int ussd_svc_load(struct ussd_svc *u, struct kp_buf *diag)
{
    struct menu_options opts = {u->b.table, u->b.n, u->set.limits, u->b.validators};
    struct menu_graph *g[USSD_MAX_CODES] = {NULL};
    int rc = 0;

    for (unsigned t = 0; t < u->set.ncodes && rc == 0; t++)
        rc = menu_graph_load(u->set.codes[t].menus_dir, &opts, &g[t], diag);
    for (unsigned t = 0; t < u->set.ncodes; t++) {
        if (rc == 0)
            ussd_tree_install(u, t, g[t]);
        else
            menu_graph_unref(g[t]);
    }
    return rc;
}

const char *ussd_svc_version(const struct ussd_svc *u)
{
    return u->trees[0].ngraphs ? menu_graph_version(u->trees[0].graphs[0]) : "";
}

const struct ussd_stats *ussd_svc_stats(const struct ussd_svc *u)
{
    return &u->stats;
}

const struct ussd_funnel *ussd_svc_funnel(const struct ussd_svc *u)
{
    return &u->funnel;
}

/* A stored dialog's screen in the funnel (its language as stored). */
static struct ussd_funnel_row *ussd_funnel_of(struct ussd_svc *u, const struct store_dialog *d)
{
    int lang = menu_lang_parse(d->lang);

    return ussd_funnel_row(&u->funnel, d->screen[0] ? d->screen : "(none)",
                           lang < 0 ? MENU_LANG_EN : (unsigned)lang);
}

int ussd_svc_active(struct ussd_svc *u)
{
    if (ussd_cache_flush(&u->cache) < 0)
        return -KP_ERR_DB;
    return store_dialog_count(u->st);
}

/* A dialog by its key: held by the loop, else from the database (then held). */
static int ussd_dialog_get(struct ussd_svc *u, int64_t partner_id, const char *key,
                           struct store_dialog *d)
{
    int rc;

    switch (ussd_cache_find(&u->cache, partner_id, key, d)) {
    case USSD_CACHE_HELD:
        return 0;
    case USSD_CACHE_GONE:
        return -KP_ERR_NOTFOUND;
    default:
        break;
    }
    if ((rc = store_dialog_get(u->st, partner_id, key, d, &u->loaded)) == 0)
        ussd_cache_load(&u->cache, d);
    return rc;
}

/* The graph of version in any tree (its tree in *tree), or NULL. */
static struct menu_graph *ussd_graph(struct ussd_svc *u, const char *version, unsigned *tree)
{
    for (unsigned t = 0; t < u->set.ncodes; t++)
        for (int i = 0; i < u->trees[t].ngraphs; i++)
            if (strcmp(menu_graph_version(u->trees[t].graphs[i]), version) == 0) {
                *tree = t;
                return u->trees[t].graphs[i];
            }
    return NULL;
}

/* ---- sending a screen ---- */

static void ussd_mt_done(struct smpp_link *l, const struct smpp_pdu *resp, int err, void *arg)
{
    struct ussd_svc *u = arg;

    if (err < 0 || resp->command_status != 0 || resp->command_id == SMPP_GENERIC_NACK) {
        u->stats.mt_failed++;
        log_info("ussd: link %u screen not accepted: %s", smpp_link_id(l),
                 err < 0 ? kp_strerror(err) : smpp_status_name(resp->command_status));
    }
}

/* The PDU a screen travels in, per profile and our role on the link. */
static uint32_t ussd_reply_command(const struct ussd_profile *p, const struct smpp_link *l)
{
    if (p->reply == USSD_REPLY_DATA_SM)
        return SMPP_DATA_SM;
    return smpp_link_role(l) == SMPP_ROLE_SMSC ? SMPP_DELIVER_SM : SMPP_SUBMIT_SM;
}

static void ussd_send_screen(struct ussd_svc *u, struct smpp_link *l, const struct ussd_profile *p,
                             const struct ussd_mo *mo)
{
    struct smpp_pdu mt;
    int rc;

    rc = ussd_mt_build(mo, ussd_reply_command(p, l), u->screen.text.data, u->screen.text.len,
                       u->screen.enc, u->screen.end, &mt);
    if (rc < 0) {
        log_warnx("ussd: link %u cannot build the screen: %s", smpp_link_id(l), kp_strerror(rc));
        u->stats.mt_failed++;
        return;
    }
    /* Back on the same link when it may carry it, else on another of the partner's. */
    if (smpp_link_may_send(l, mt.command_id))
        rc = smpp_link_send(l, &mt, ussd_mt_done, u);
    else if (smpp_link_partner(l))
        rc = smpp_partner_send(smpp_link_partner(l), &mt, ussd_mt_done, u);
    else
        rc = -KP_ERR_CLOSED;
    if (rc < 0) {
        u->stats.mt_failed++;
        log_info("ussd: link %u cannot send the screen: %s", smpp_link_id(l), kp_strerror(rc));
    }
}

/* ---- dialog state ---- */

static void ussd_limits(const struct ussd_svc *u, const struct smpp_link *l,
                        struct menu_limits *lim)
{
    const struct smpp_partner *p = smpp_link_partner(l);
    const struct smpp_partner_conf *c = p ? smpp_partner_conf(p) : NULL;

    *lim = u->set.limits;
    if (c && c->gsm7_limit)
        lim->gsm7 = c->gsm7_limit;
    if (c && c->ucs2_limit)
        lim->ucs2 = c->ucs2_limit;
}

/* Write the dialog after a hop: deleted once ended, else stored; both
   reach the database before the pass commits (dialog_cache.c). */
static int ussd_save(struct ussd_svc *u, const struct menu_graph *g, int64_t partner_id,
                     const struct ussd_mo *mo, int64_t started_at, int64_t now)
{
    struct store_dialog d;
    const char *screen;

    if (store_batch(u->st) < 0)
        return -KP_ERR_DB;
    if (u->screen.lang_changed &&
        store_lang_set(u->st, mo->msisdn, menu_lang_name(u->screen.lang), now) == 0)
        ussd_cache_lang_set(&u->cache, mo->msisdn, menu_lang_name(u->screen.lang));
    if (u->screen.end) {
        u->stats.ended++;
        ussd_cache_delete(&u->cache, partner_id, mo->key);
        return 0;
    }
    memset(&d, 0, sizeof(d));
    d.partner_id = partner_id;
    memcpy(d.key, mo->key, sizeof(d.key));
    memcpy(d.msisdn, mo->msisdn, sizeof(d.msisdn));
    snprintf(d.version, sizeof(d.version), "%s", menu_graph_version(g));
    screen = menu_state_screen(u->state, g);
    snprintf(d.screen, sizeof(d.screen), "%s", screen ? screen : "");
    snprintf(d.lang, sizeof(d.lang), "%s", menu_lang_name(menu_state_lang(u->state)));
    d.resumable = menu_state_resumable(u->state);
    d.started_at = started_at;
    d.updated_at = now;
    kp_buf_reset(&u->blob);
    menu_state_encode(u->state, &u->blob);
    d.state = (const uint8_t *)u->blob.data;
    d.state_len = u->blob.len;
    ussd_cache_put(&u->cache, &d);
    return 0;
}

/* The graph of version in tree t, or NULL. */
static struct menu_graph *ussd_tree_graph(struct ussd_svc *u, unsigned t, const char *version)
{
    for (int i = 0; i < u->trees[t].ngraphs; i++)
        if (strcmp(menu_graph_version(u->trees[t].graphs[i]), version) == 0)
            return u->trees[t].graphs[i];
    return NULL;
}

/*
 * The tree serving what the caller dialled, its steps in *steps: the
 * longest code that matches ("*789*5*1#" is *789*5#'s "1#" before it is
 * *789#'s "5*1#").  A begin without a dialled code ("" or no '*': some
 * gateways send only the address) is the first code's, with no steps.
 * -1 when the caller dialled a code no tree serves.
 */
static int ussd_tree_for(const struct ussd_svc *u, const char *dialled, const char **steps)
{
    size_t best = 0;
    int t = -1;

    *steps = NULL;
    if (dialled[0] != '*')
        return 0;
    for (unsigned i = 0; i < u->set.ncodes; i++) {
        const char *s = menu_dial_steps(dialled, u->set.codes[i].code);
        size_t n = strlen(u->set.codes[i].code);
        if (s && n > best) {
            best = n;
            t = (int)i;
            *steps = s;
        }
    }
    return t;
}

/*
 * The caller's language: the one remembered for the number; for a
 * first-time caller the dialled code's own (more_codes lang=), else the
 * partner's (partner_lang >= 0), else [ussd] first_lang, else English.
 */
static enum menu_lang ussd_lang_of(struct ussd_svc *u, const char *msisdn, int tree,
                                   int partner_lang)
{
    char lang[STORE_LANG_SIZE] = "";
    int l, rc = 0;

    /* Remembered after the first read: only this process writes it. */
    if (!ussd_cache_lang(&u->cache, msisdn, lang)) {
        rc = store_lang_get(u->st, msisdn, lang);
        if (rc == 0 || rc == -KP_ERR_NOTFOUND)
            ussd_cache_lang_set(&u->cache, msisdn, rc == 0 ? lang : "");
    }
    if (rc == 0 && lang[0] && (l = menu_lang_parse(lang)) >= 0)
        return (enum menu_lang)l;
    if (tree > 0 && u->set.codes[tree].lang >= 0)
        return (enum menu_lang)u->set.codes[tree].lang;
    if (partner_lang >= 0 && partner_lang < MENU_LANG_MAX)
        return (enum menu_lang)partner_lang;
    if (u->set.codes[0].lang >= 0)
        return (enum menu_lang)u->set.codes[0].lang;
    return MENU_LANG_EN;
}

static int ussd_system(struct ussd_svc *u, const struct menu_limits *lim, enum menu_lang lang,
                       enum menu_sys_screen which)
{
    if (u->trees[0].ngraphs == 0)
        return -KP_ERR_STATE;
    return menu_system_render(u->trees[0].graphs[0], lang, which, lim, &u->screen);
}

/* ---- the hop ---- */

/*
 * The number's one dialog at the partner, from what the loop holds: 1 and
 * *held when the number has no dialog in the database but that one (what
 * the pass will write counted), 0 when it has none, -1 when that is not
 * known here (a restart, a dialog let go): then the database says.
 */
static int ussd_sole_dialog(struct ussd_svc *u, int64_t partner_id, const char *msisdn,
                            struct store_dialog *held)
{
    const char *key = ussd_cache_sole(&u->cache, partner_id, msisdn);

    if (key == NULL)
        return -1;
    if (key[0] == '\0')
        return 0;
    switch (ussd_cache_find(&u->cache, partner_id, key, held)) {
    case USSD_CACHE_HELD:
        return strcmp(held->msisdn, msisdn) == 0 ? 1 : -1;
    case USSD_CACHE_GONE:
        return 0; /* deleted in this pass */
    default:
        return -1; /* let go (the bound, a reap): it may still be in the database */
    }
}

/* The caller's latest dialog updated since since, for a redial to resume. */
static int ussd_latest(struct ussd_svc *u, int64_t partner_id, const struct ussd_mo *mo,
                       int64_t since, int sole, const struct store_dialog *held,
                       struct store_dialog *old)
{
    if (sole >= 0) {
        if (sole == 0 || held->updated_at < since)
            return -KP_ERR_NOTFOUND;
        *old = *held;
        return 0;
    }
    /* The database must have this pass's writes of the number first. */
    if (ussd_cache_pending_msisdn(&u->cache, partner_id, mo->msisdn) &&
        ussd_cache_flush(&u->cache) < 0)
        return -KP_ERR_DB;
    return store_dialog_latest(u->st, partner_id, mo->msisdn, since, old, &u->loaded);
}

static int ussd_begin(struct ussd_svc *u, struct menu_env *env, const struct smpp_partner_conf *pc,
                      const struct ussd_mo *mo, int64_t now, struct menu_graph **gp,
                      int64_t *started)
{
    int64_t partner_id = pc->id;
    const char *steps;
    int t = ussd_tree_for(u, mo->text, &steps), sole;
    struct menu_graph *g;
    enum menu_lang lang;
    struct store_dialog old, held;

    if (t < 0)
        return -KP_ERR_UNSUPPORTED; /* a code no menus serve: the caller is told */
    g = u->trees[t].graphs[0];
    lang = ussd_lang_of(u, mo->msisdn, t, menu_lang_parse(pc->first_lang));
    *gp = g;
    *started = now;
    sole = ussd_sole_dialog(u, partner_id, mo->msisdn, &held);
    /* A plain redial soon after a dialog was cut off may continue it
       (unless the user dialled a shortcut: that says where they want to go). */
    if ((steps == NULL || steps[0] == '\0' || strcmp(steps, "#") == 0) && u->set.resume_window_s &&
        ussd_latest(u, partner_id, mo, now - u->set.resume_window_s, sole, &held, &old) == 0 &&
        (g = ussd_tree_graph(u, (unsigned)t, old.version)) != NULL &&
        menu_state_decode(u->state, old.state, old.state_len) == 0 &&
        menu_state_resumable(u->state) && menu_dialog_resume(g, env, u->state, &u->screen) == 0) {
        char masked[MSISDN_SIZE];
        *gp = g;
        store_batch(u->st);
        ussd_cache_delete(&u->cache, partner_id, old.key);
        /* The resumed dialog was the number's only one: now this one is. */
        if (sole > 0)
            ussd_cache_sole_set(&u->cache, partner_id, mo->msisdn, mo->key);
        u->stats.resumed++;
        /* the key holds the whole number: the masked one is logged */
        msisdn_mask(mo->msisdn, masked);
        log_debug("ussd: %s resumes a dialog at %s", masked, old.screen);
        return 0;
    }
    g = u->trees[t].graphs[0];
    *gp = g;
    /* Someone else's session key reused by the gateway: that dialog is over;
       and this caller's earlier dialogs: a new dial supersedes them (one
       DELETE by number, unless the loop knows the one there is). */
    store_batch(u->st);
    ussd_cache_delete(&u->cache, partner_id, mo->key);
    if (sole > 0 && strcmp(held.key, mo->key) != 0)
        ussd_cache_delete(&u->cache, partner_id, held.key);
    if (sole < 0) {
        ussd_cache_forget(&u->cache, partner_id, mo->msisdn);
        if (store_dialog_forget(u->st, partner_id, mo->msisdn) < 0)
            ussd_cache_sole_drop(&u->cache, partner_id, mo->msisdn);
        else
            ussd_cache_sole_set(&u->cache, partner_id, mo->msisdn, mo->key);
    } else {
        ussd_cache_sole_set(&u->cache, partner_id, mo->msisdn, mo->key);
    }
    u->stats.started++;
    return menu_dialog_begin(g, env, u->state, lang, steps, &u->screen);
}

/* Is the reply word, spaces around it aside (as the engine reads replies)? */
static int ussd_reply_is(const char *s, size_t n, const char *word)
{
    while (n && s[0] && strchr(" \t\r\n", s[0]))
        s++, n--;
    while (n && s[n - 1] && strchr(" \t\r\n", s[n - 1]))
        n--;
    return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int ussd_continue(struct ussd_svc *u, struct menu_env *env, int64_t partner_id,
                         const struct ussd_mo *mo, int64_t now, struct menu_graph **gp,
                         int64_t *started)
{
    struct store_dialog d;
    struct menu_graph *g;
    unsigned t = 0;
    int rc = ussd_dialog_get(u, partner_id, mo->key, &d);

    if (rc < 0)
        return rc; /* -KP_ERR_NOTFOUND: an unknown session */
    *started = d.started_at;
    g = ussd_graph(u, d.version, &t);
    if (g == NULL || now > d.updated_at + u->set.screen_timeout_s ||
        now > d.started_at + u->set.dialog_timeout_s) {
        /* Too late to continue; the dialog stays for a redial (resume). */
        ussd_funnel_of(u, &d)->late++;
        return -KP_ERR_EXPIRED;
    }
    *gp = g;
    if (menu_state_decode(u->state, d.state, d.state_len) < 0)
        return -KP_ERR_STATE;
    /* "2 Start again" on a dialog pinned to menus since reloaded: the caller
       starts afresh, so on the current menus (as a new dial would). */
    if (g != u->trees[t].graphs[0] && menu_state_resuming(u->state) && !mo->bad_text &&
        ussd_reply_is(mo->text, mo->text_len, "2")) {
        *gp = u->trees[t].graphs[0];
        *started = now;
        return menu_dialog_begin(*gp, env, u->state, menu_state_lang(u->state), NULL, &u->screen);
    }
    /* Undecodable text is no choice at all: the screen is shown again. */
    return menu_dialog_input(g, env, u->state, mo->bad_text ? "" : mo->text,
                             mo->bad_text ? 0 : mo->text_len, &u->screen);
}

static uint32_t ussd_hop(struct ussd_svc *u, struct smpp_link *l, const struct smpp_pdu *req,
                         int64_t now);

/* ---- hops answered by a department app ---- */

#define USSD_APP_ASKS 4 /* apps one hop may ask (each failure may lead into another) */

void ussd_svc_set_pushes(struct ussd_svc *u, struct ussd_pushes *p)
{
    u->pushes = p;
}

void ussd_svc_set_apps(struct ussd_svc *u, struct ussd_apps *apps, struct smpp_hub *hub)
{
    u->apps = apps;
    u->hub = hub;
}

static void ussd_pending_free(struct ussd_pending *p)
{
    struct ussd_svc *u = p->u;

    if (p->prev)
        p->prev->next = p->next;
    else
        u->pends = p->next;
    if (p->next)
        p->next->prev = p->prev;
    menu_graph_unref(p->g);
    kp_buf_free(&p->state);
    free(p);
}

/* The screen in u->screen to the partner, on whichever of its links may carry it now. */
static void ussd_pending_send(struct ussd_svc *u, struct ussd_pending *p)
{
    struct smpp_partner *sp = u->hub ? smpp_hub_partner(u->hub, p->partner_id) : NULL;
    struct smpp_pdu mt;
    int rc;

    rc = ussd_mt_build(&p->mo, p->reply_cmd, u->screen.text.data, u->screen.text.len, u->screen.enc,
                       u->screen.end, &mt);
    if (rc == 0)
        rc = sp ? smpp_partner_send(sp, &mt, ussd_mt_done, u) : -KP_ERR_CLOSED;
    if (rc < 0) {
        u->stats.mt_failed++;
        log_info("ussd: partner %lld: the app's screen cannot be sent: %s",
                 (long long)p->partner_id, kp_strerror(rc));
    }
}

static void ussd_app_ask(struct ussd_svc *u, struct ussd_pending *p);

/* The hop's screen is rendered in u->screen (state in u->state): store it and send it. */
static void ussd_app_done(struct ussd_svc *u, struct ussd_pending *p)
{
    char masked[MSISDN_SIZE];
    const char *shown;

    if (u->screen.app != NULL && p->asks < USSD_APP_ASKS) {
        ussd_app_ask(u, p); /* a failure's branch led into another app screen */
        return;
    }
    if (u->screen.app != NULL && menu_system_render(p->g, menu_state_lang(u->state), MENU_SYS_ERROR,
                                                    &p->limits, &u->screen) == 0)
        u->screen.end = 1;
    u->screen.lang_changed |= p->lang_changed;
    if (ussd_save(u, p->g, p->partner_id, &p->mo, p->started, kp_time_s()) < 0) {
        msisdn_mask(p->mo.msisdn, masked);
        log_warnx("ussd: %s dialog not stored", masked);
        ussd_pending_free(p);
        return;
    }
    shown = menu_state_screen(u->state, p->g);
    struct ussd_funnel_row *fr =
        ussd_funnel_row(&u->funnel, shown ? shown : "(none)", u->screen.lang);
    fr->views++;
    fr->ends += u->screen.end != 0;
    ussd_pending_send(u, p);
    ussd_pending_free(p);
}

/* The app's answer (or its failure) for p: render it on p's state. */
static void ussd_app_answer(void *arg, enum ussd_app_outcome o, int end, const char *text,
                            size_t len)
{
    struct ussd_pending *p = arg;
    struct ussd_svc *u = p->u;
    struct menu_env env;
    int rc;

    memset(&env, 0, sizeof(env));
    env.ctx = u->b.ctx;
    env.call = u->b.call;
    env.msisdn = p->mo.msisdn;
    env.limits = p->limits;
    rc = menu_state_decode(u->state, (const uint8_t *)p->state.data, p->state.len);
    if (rc == 0 && o == USSD_APP_OK)
        rc = menu_dialog_app_reply(p->g, &env, u->state, end, text, len, &u->screen);
    else if (rc == 0)
        rc = menu_dialog_app_fail(p->g, &env, u->state, ussd_app_outcome_name(o), &u->screen);
    if (rc < 0) {
        if (menu_system_render(p->g, MENU_LANG_EN, MENU_SYS_ERROR, &p->limits, &u->screen) < 0) {
            ussd_pending_free(p);
            return;
        }
        u->screen.end = 1;
        store_batch(u->st);
        ussd_cache_delete(&u->cache, p->partner_id, p->mo.key);
        ussd_pending_send(u, p);
        ussd_pending_free(p);
        return;
    }
    ussd_app_done(u, p);
}

/*
 * Ask the app u->screen names, with the state in u->state: its text so
 * far, the caller's pseudonym.  The answer comes to ussd_app_answer();
 * an app that cannot be asked at all is answered here and now.
 */
static void ussd_app_ask(struct ussd_svc *u, struct ussd_pending *p)
{
    struct ussd_app_request rq;
    char pseudo[USSD_APP_PSEUDO_HEX + 1] = "", session[128];
    const char *id;
    int rc = USSD_APP_UNAVAILABLE;

    p->asks++;
    if (u->screen.app_first && u->screen.app_cnic.len && u->apps &&
        ussd_apps_identify(u->apps, u->screen.app, p->mo.msisdn, u->screen.app_cnic.data, pseudo) ==
            0)
        menu_state_app_id_set(u->state, p->g, pseudo);
    sodium_memzero(pseudo, sizeof(pseudo));
    id = menu_state_app_id(u->state, p->g);
    kp_buf_reset(&p->state);
    menu_state_encode(u->state, &p->state);
    /* the dialog's identity within kpass; the app sees a keyed hash of it */
    snprintf(session, sizeof(session), "%lld:%s:%lld", (long long)p->partner_id, p->mo.key,
             (long long)p->started);
    rq.app = u->screen.app;
    rq.session = session;
    rq.service_code = u->set.service_code;
    rq.msisdn = p->mo.msisdn;
    rq.citizen = id ? id : "";
    rq.text = u->screen.app_text.len ? u->screen.app_text.data : "";
    rq.lang = menu_lang_name(menu_state_lang(u->state));
    if (u->apps)
        rc = ussd_apps_ask(u->apps, &rq, ussd_app_answer, p);
    if (rc != 0)
        ussd_app_answer(p, (enum ussd_app_outcome)rc, 0, NULL, 0);
}

static void ussd_app_start(struct ussd_svc *u, struct smpp_link *l, const struct ussd_profile *prof,
                           const struct ussd_mo *mo, struct menu_graph *g, int64_t partner_id,
                           int64_t started, const struct menu_limits *lim)
{
    struct ussd_pending *p = kp_calloc(1, sizeof(*p));

    p->u = u;
    p->mo = *mo;
    p->prof = *prof;
    p->reply_cmd = ussd_reply_command(prof, l);
    p->partner_id = partner_id;
    p->started = started;
    p->g = menu_graph_ref(g);
    p->limits = *lim;
    p->lang_changed = u->screen.lang_changed;
    p->next = u->pends;
    if (u->pends)
        u->pends->prev = p;
    u->pends = p;
    ussd_app_ask(u, p);
}

/* One hop, timed from the PDU in hand to its screen queued on a link. */
uint32_t ussd_svc_request(struct ussd_svc *u, struct smpp_link *l, const struct smpp_pdu *req,
                          int64_t now)
{
    uint64_t t0 = kp_clock_us(), dt;
    uint32_t status = ussd_hop(u, l, req, now);

    dt = kp_clock_us() - t0;
    u->stats.hop_us_sum += dt;
    for (unsigned i = 0; i < USSD_HOP_BUCKETS; i++)
        if (dt <= ussd_hop_bounds_us[i])
            u->stats.hop_le[i]++;
    return status;
}

static uint32_t ussd_hop(struct ussd_svc *u, struct smpp_link *l, const struct smpp_pdu *req,
                         int64_t now)
{
    const struct smpp_partner *sp = smpp_link_partner(l);
    const struct smpp_partner_conf *pc = sp ? smpp_partner_conf(sp) : NULL;
    struct ussd_profile prof;
    const struct ussd_profile *pp;
    struct ussd_mo mo;
    struct menu_env env;
    struct menu_graph *g = NULL;
    int64_t started = now;
    uint32_t status = SMPP_ESME_ROK;
    char masked[17];
    int rc;

    if (pc == NULL || u->trees[0].ngraphs == 0)
        return SMPP_ESME_RSYSERR;
    pp = ussd_profile_find(pc->profile);
    if (pp == NULL)
        pp = ussd_profile_find("its-session");
    prof = *pp;
    if (u->set.nabort) {
        memcpy(prof.abort_ops, u->set.abort_ops, sizeof(prof.abort_ops));
        prof.nabort = u->set.nabort;
    }
    if (ussd_mo_parse(&prof, req, &mo, &status) < 0) {
        log_info("ussd: link %u refused a message: %s", smpp_link_id(l), smpp_status_name(status));
        return status;
    }
    msisdn_mask(mo.msisdn, masked);
    /* The answer to a "was this you?" push, not a dialog of the menus. */
    if (ussd_pushes_reply(u->pushes, pc->id, l, &prof, &mo, now))
        return SMPP_ESME_ROK;
    /* A reply while a department app still has the last one: the app's
       answer is the screen this session waits for; this one is dropped. */
    for (struct ussd_pending *p = u->pends; p; p = p->next)
        if (p->partner_id == pc->id && strcmp(p->mo.key, mo.key) == 0 && mo.kind != USSD_BEGIN) {
            log_info("ussd: %s replied before the app answered; reply dropped", masked);
            return SMPP_ESME_ROK;
        }
    u->stats.hops++;
    memset(&env, 0, sizeof(env));
    env.ctx = u->b.ctx;
    env.call = u->b.call;
    env.msisdn = mo.msisdn;
    ussd_limits(u, l, &env.limits);

    switch (mo.kind) {
    case USSD_BEGIN:
        rc = ussd_begin(u, &env, pc, &mo, now, &g, &started);
        break;
    case USSD_CONTINUE:
        rc = ussd_continue(u, &env, pc->id, &mo, now, &g, &started);
        break;
    case USSD_ABORT: {
        /* Released by the user or the network: kept for a redial. */
        struct store_dialog d;
        if (ussd_dialog_get(u, pc->id, mo.key, &d) == 0)
            ussd_funnel_of(u, &d)->aborts++;
        u->stats.aborted++;
        log_debug("ussd: %s released (op %u)", masked, mo.op);
        return SMPP_ESME_ROK;
    }
    default:
        return SMPP_ESME_ROK; /* a notification's confirmation: nothing to do */
    }
    if (rc < 0) {
        /* Unknown or expired session, a damaged state, a graph gone, a code
           no menus serve: say so and end. */
        enum menu_lang lang = ussd_lang_of(u, mo.msisdn, 0, menu_lang_parse(pc->first_lang));
        enum menu_sys_screen which = MENU_SYS_ERROR;
        if (rc == -KP_ERR_NOTFOUND || rc == -KP_ERR_EXPIRED) {
            u->stats.expired++;
            which = MENU_SYS_EXPIRED;
        } else if (rc == -KP_ERR_UNSUPPORTED) {
            which = MENU_SYS_NO_SERVICE;
        }
        log_info("ussd: %s %s: %s", masked, mo.kind == USSD_BEGIN ? "begin" : "reply",
                 rc == -KP_ERR_UNSUPPORTED ? "a code no menus serve" : kp_strerror(rc));
        if (ussd_system(u, &env.limits, lang, which) < 0)
            return SMPP_ESME_RSYSERR;
        u->screen.end = 1;
        ussd_send_screen(u, l, &prof, &mo);
        return SMPP_ESME_ROK;
    }
    if (u->screen.app != NULL) {
        /* The screen is the app's to write: the hop ends when it answers. */
        ussd_app_start(u, l, &prof, &mo, g, pc->id, started, &env.limits);
        return SMPP_ESME_ROK;
    }
    if (ussd_save(u, g, pc->id, &mo, started, now) < 0) {
        /* Not stored: the user must not see a screen we could not remember. */
        log_warnx("ussd: %s dialog not stored", masked);
        return SMPP_ESME_RSYSERR;
    }
    const char *shown = menu_state_screen(u->state, g);
    struct ussd_funnel_row *fr =
        ussd_funnel_row(&u->funnel, shown ? shown : "(none)", u->screen.lang);
    fr->views++;
    fr->ends += u->screen.end != 0;
    ussd_send_screen(u, l, &prof, &mo);
    return SMPP_ESME_ROK;
}

void ussd_svc_tick(struct ussd_svc *u, int64_t now)
{
    unsigned keep = u->set.resume_window_s;
    int n;

    if (now == u->last_reap)
        return;
    u->last_reap = now;
    if (u->set.screen_timeout_s > keep)
        keep = u->set.screen_timeout_s;
    store_batch(u->st);
    n = store_dialog_reap(u->st, now - keep);
    ussd_cache_reap(&u->cache, now - keep);
    if (n > 0) {
        u->stats.expired += (uint64_t)n;
        log_debug("ussd: %d dialogs expired", n);
    }
}

/* ---- [ussd] in kpassd.conf ---- */

#define USSD_OFF(f)  offsetof(struct ussd_settings, f)
#define USSD_SIZE(f) sizeof(((struct ussd_settings *)0)->f)
#define USSD_MS_DAY  (24u * 3600u * 1000u)

/* Duration bounds in milliseconds, as kpassd.conf(5) states them. */
static const struct conf_key ussd_conf_keys[] = {
    {"ussd", "menus", CONF_TEXT, USSD_OFF(menus_dir), 0, USSD_SIZE(menus_dir), NULL, 0},
    {"ussd", "service_code", CONF_TEXT, USSD_OFF(service_code), 0, USSD_SIZE(service_code), NULL,
     0},
    {"ussd", "screen_timeout", CONF_SECONDS, USSD_OFF(screen_timeout_s), 1000, USSD_MS_DAY, NULL,
     0},
    {"ussd", "dialog_timeout", CONF_SECONDS, USSD_OFF(dialog_timeout_s), 1000, USSD_MS_DAY, NULL,
     0},
    {"ussd", "resume_window", CONF_SECONDS, USSD_OFF(resume_window_s), 0, USSD_MS_DAY, NULL, 0},
    {"ussd", "gsm7_limit", CONF_UINT, USSD_OFF(limits.gsm7), 40, 254, NULL, 0},
    {"ussd", "ucs2_limit", CONF_UINT, USSD_OFF(limits.ucs2), 20, 127, NULL, 0},
    {"ussd", "abort_ops", CONF_TEXT, USSD_OFF(abort_ops_text), 0, USSD_SIZE(abort_ops_text), NULL,
     0},
    {"ussd", "first_lang", CONF_TEXT, USSD_OFF(first_lang), 0, USSD_SIZE(first_lang), NULL, 0},
    {"ussd", "more_codes", CONF_TEXT, USSD_OFF(more_codes_text), 0, USSD_SIZE(more_codes_text),
     NULL, 0},
    {"ussd", "apps_ca_file", CONF_TEXT, USSD_OFF(apps_ca_file), 0, USSD_SIZE(apps_ca_file), NULL,
     0},
    {"ussd", "push_partner", CONF_TEXT, USSD_OFF(push_partner), 0, USSD_SIZE(push_partner), NULL,
     0},
    {"ussd", "push_timeout", CONF_SECONDS, USSD_OFF(push_timeout_s), 5000, 600000, NULL, 0},
    {"ussd", "push_code_purposes", CONF_TEXT, USSD_OFF(push_code_purposes), 0,
     USSD_SIZE(push_code_purposes), NULL, 0},
};

static void ussd_conf_defaults(void *set)
{
    struct ussd_settings *s = set;

    memset(s, 0, sizeof(*s));
    snprintf(s->menus_dir, sizeof(s->menus_dir), "%s", KP_DATADIR "/menus");
    snprintf(s->service_code, sizeof(s->service_code), "*789#");
    s->screen_timeout_s = 60;
    s->dialog_timeout_s = 180;
    s->resume_window_s = 120;
    s->limits.gsm7 = 182;
    s->limits.ucs2 = 80;
    snprintf(s->abort_ops_text, sizeof(s->abort_ops_text), "0x81");
    s->abort_ops[0] = 0x81;
    s->nabort = 1;
    s->push_timeout_s = 60;
}

/* "*789#": '*', digits and '*' separators, '#' last (3GPP TS 22.030 §6.5.2). */
static int ussd_service_code_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 3 || n > 20 || s[0] != '*' || s[n - 1] != '#')
        return -KP_ERR_INVAL;
    for (size_t i = 1; i + 1 < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] == '*' && s[i - 1] != '*'))
            return -KP_ERR_INVAL;
    return 0;
}

/* "0x81, 130": vendor ussd_service_op values meaning release (SMPP 3.4 §5.3.2.44). */
static int ussd_abort_ops_parse(struct ussd_settings *s)
{
    const char *p = s->abort_ops_text;
    unsigned n = 0;

    while (*p) {
        char *end;
        unsigned long v;
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        v = strtoul(p, &end, 0);
        if (end == p || v < 32 || v > 255 || n == KP_ARRAY_LEN(s->abort_ops))
            return -KP_ERR_INVAL;
        s->abort_ops[n++] = (uint8_t)v;
        p = end;
        if (*p != '\0' && *p != ',' && *p != ' ')
            return -KP_ERR_INVAL;
    }
    s->nabort = n;
    return 0;
}

/* "" -> -1 (English), else the language; -2 when it is none. */
static int ussd_lang_setting(const char *s)
{
    int l;

    if (s[0] == '\0')
        return -1;
    return (l = menu_lang_parse(s)) >= 0 ? l : -2;
}

/*
 * more_codes: "CODE menus=DIR [lang=L], ..." into s->codes[1..].  NULL, or
 * why not (the entry is named).
 */
static const char *ussd_more_codes_parse(struct ussd_settings *s, char *why, size_t cap)
{
    char text[sizeof(s->more_codes_text)], *save = NULL;

    snprintf(text, sizeof(text), "%s", s->more_codes_text);
    for (char *e = strtok_r(text, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        char *w, *wsave = NULL;
        struct ussd_code c;
        int i = 0;
        memset(&c, 0, sizeof(c));
        c.lang = -1;
        for (w = strtok_r(e, " \t", &wsave); w; w = strtok_r(NULL, " \t", &wsave), i++) {
            if (i == 0 && ussd_service_code_ok(w) == 0 && strlen(w) < sizeof(c.code))
                memcpy(c.code, w, strlen(w) + 1);
            else if (i > 0 && strncmp(w, "menus=", 6) == 0 && w[6] &&
                     strlen(w + 6) < sizeof(c.menus_dir))
                memcpy(c.menus_dir, w + 6, strlen(w + 6) + 1);
            else if (i > 0 && strncmp(w, "lang=", 5) == 0 &&
                     (c.lang = ussd_lang_setting(w + 5)) >= 0)
                ;
            else {
                snprintf(why, cap, "'%s' is not CODE menus=DIR [lang=en|ur|ps|ur-Latn]", w);
                return why;
            }
        }
        if (c.code[0] == '\0' || c.menus_dir[0] == '\0') {
            snprintf(why, cap, "each entry needs a code such as *790# and menus=DIR");
            return why;
        }
        for (unsigned k = 0; k < s->ncodes; k++)
            if (strcmp(s->codes[k].code, c.code) == 0) {
                snprintf(why, cap, "%s is given twice", c.code);
                return why;
            }
        if (s->ncodes == USSD_MAX_CODES) {
            snprintf(why, cap, "at most %d codes", USSD_MAX_CODES);
            return why;
        }
        s->codes[s->ncodes++] = c;
    }
    return NULL;
}

static void ussd_conf_check(void *set, struct conf_report *r)
{
    struct ussd_settings *s = set;
    char why[160];

    if (ussd_service_code_ok(s->service_code) < 0)
        conf_report(r, conf_report_line(r, "service_code"),
                    "service_code: '%s' is not a USSD code such as *789#", s->service_code);
    memset(s->codes, 0, sizeof(s->codes));
    snprintf(s->codes[0].code, sizeof(s->codes[0].code), "%s", s->service_code);
    snprintf(s->codes[0].menus_dir, sizeof(s->codes[0].menus_dir), "%s", s->menus_dir);
    s->codes[0].lang = ussd_lang_setting(s->first_lang);
    s->ncodes = 1;
    if (s->codes[0].lang < -1)
        conf_report(r, conf_report_line(r, "first_lang"),
                    "first_lang: '%s' is not a language (en, ur, ps or ur-Latn)", s->first_lang);
    if (ussd_more_codes_parse(s, why, sizeof(why)) != NULL)
        conf_report(r, conf_report_line(r, "more_codes"), "more_codes: %s", why);
    if (ussd_abort_ops_parse(s) < 0)
        conf_report(r, conf_report_line(r, "abort_ops"),
                    "abort_ops: '%s' is not a list of ussd_service_op values 32..255",
                    s->abort_ops_text);
}

const struct conf_table ussd_conf_table = {"ussd", ussd_conf_keys, KP_ARRAY_LEN(ussd_conf_keys),
                                           ussd_conf_defaults, ussd_conf_check};
