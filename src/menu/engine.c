/* SPDX-License-Identifier: ISC */
/*
 * The dialog engine: one call per USSD hop.  It checks the state belongs
 * to the graph, applies the reply (navigation 0 / 00 / 98, an option, an
 * input, the resume answer), follows action and router screens (calling
 * built-ins through the env) until a screen to show, renders it, and ends
 * the hop by forgetting every sensitive value.  Nothing is allocated once
 * the screen's scratch memory is warm.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

/* Screens a hop stops at: shown, or (an app) answered by a department's app. */
static int shown(enum menu_kind k)
{
    return k == MK_MENU || k == MK_INPUT || k == MK_INFO || k == MK_END || k == MK_APP;
}

void menu_screen_free(struct menu_screen *scr)
{
    struct menu_scratch *sc = scr->scratch;

    kp_buf_free(&scr->text);
    kp_buf_free(&scr->app_text);
    if (scr->app_cnic.data)
        explicit_bzero(scr->app_cnic.data, scr->app_cnic.cap);
    kp_buf_free(&scr->app_cnic);
    if (sc) {
        struct kp_buf *bufs[] = {&sc->hdr,    &sc->tmp,  &sc->norm, &sc->lines, &sc->argbuf,
                                 &sc->notice, &sc->more, &sc->back, &sc->home,  &sc->top};
        for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
            kp_buf_free(bufs[i]);
        free(sc->items);
        free(sc->item_len);
        free(sc->item_off);
        free(sc->keys);
        free(sc->item_opt);
        free(sc->item_val);
        free(sc->item_units);
        menu_result_free(&sc->res);
        menu_memo_free(sc);
        free(sc);
    }
    memset(scr, 0, sizeof(*scr));
}

struct menu_scratch *menu_scratch_get(struct menu_screen *scr)
{
    if (scr->scratch == NULL) {
        scr->scratch = kp_calloc(1, sizeof(*scr->scratch));
        scr->scratch->res.outcome = MENU_NONE;
    }
    return scr->scratch;
}

static void hop_start(struct menu_hop *h, const struct menu_graph *g, const struct menu_env *env,
                      struct menu_state *st, struct menu_screen *out)
{
    menu_scratch_get(out);
    h->g = g;
    h->env = env;
    h->st = st;
    h->out = out;
    h->sc = out->scratch;
    h->sc->loaded = MENU_NONE;
    h->lang0 = (enum menu_lang)st->lang;
    kp_buf_reset(&out->text);
    out->enc = TEXT_GSM7;
    out->units = 0;
    out->end = 0;
    out->lang_changed = 0;
    out->call_error = 0;
    out->app = NULL;
    out->app_first = 0;
    kp_buf_reset(&out->app_text);
    if (out->app_cnic.len)
        explicit_bzero(out->app_cnic.data, out->app_cnic.len);
    kp_buf_reset(&out->app_cnic);
}

/* End of every hop: sensitive values go, and the resume flag follows the screen. */
static int hop_finish(struct menu_hop *h, int rc)
{
    struct menu_state *st = h->st;
    const struct menu_screen_def *s = &h->g->screens[st->screen];

    if (rc < 0) /* only a failing list built-in gets here: tell the user */
        menu_render_final(h, MS_ERROR);
    menu_state_drop_sensitive(st);
    st->flags &= (uint8_t)~MST_NORESUME;
    /* Nothing to continue from home (a redial shows it anyway) or from a
       screen that only tells a result (info, end): no "Continue?" there; an
       app session cannot be picked up again. */
    if ((s->flags & (MF_SENSITIVE | MF_NORESUME)) || st->screen == h->g->home ||
        s->kind == MK_INFO || s->kind == MK_END || s->kind == MK_APP)
        st->flags |= MST_NORESUME;
    h->out->lang = (enum menu_lang)st->lang;
    h->out->lang_changed = st->lang != h->lang0;
    return 0;
}

/* Is st a live dialog of g?  Drops any sensitive value a forged state carries. */
static int state_check(const struct menu_graph *g, struct menu_state *st)
{
    if (!(st->flags & MST_BEGUN) || (st->flags & MST_ENDED) ||
        memcmp(st->digest, g->digest, MENU_VERSION_LEN) != 0 || st->screen >= g->nscreens ||
        !shown(g->screens[st->screen].kind))
        return -KP_ERR_STATE;
    for (size_t i = 0; i < st->nhist; i++)
        if (st->hist[i].screen >= g->nscreens || !shown(g->screens[st->hist[i].screen].kind) ||
            g->screens[st->hist[i].screen].kind == MK_APP)
            return -KP_ERR_STATE;
    for (size_t i = 0; i < st->nslots; i++) {
        if (st->slots[i].var >= g->nvars)
            return -KP_ERR_STATE;
        st->slots[i].sensitive = g->vars[st->slots[i].var].sensitive;
    }
    menu_state_drop_sensitive(st);
    return 0;
}

static void var_set(struct menu_hop *h, uint32_t var, const char *v, size_t len)
{
    if (var == MENU_VAR_LANG) {
        char name[MENU_LANG_NAME_MAX + 1];
        int lang;
        if (len >= sizeof(name))
            return;
        memcpy(name, v, len);
        name[len] = '\0';
        if ((lang = menu_lang_parse(name)) >= 0)
            h->st->lang = (uint8_t)lang;
        return;
    }
    menu_state_set(h->st, var, v, len, h->g->vars[var].sensitive);
}

static void apply_sets(struct menu_hop *h, const struct menu_edge *e)
{
    for (uint32_t k = e->set; k < e->set + e->nset; k++) {
        kp_buf_reset(&h->sc->tmp);
        menu_hop_tpl(h, h->g->sets[k].tpl, &h->sc->tmp);
        var_set(h, h->g->sets[k].var, h->sc->tmp.data, h->sc->tmp.len);
    }
}

void menu_result_apply(struct menu_hop *h, const struct menu_result *r)
{
    for (size_t i = 0; i < r->nsets; i++) {
        const char *name = RSTR(r, r->sets[i].a), *value = RSTR(r, r->sets[i].b);
        uint32_t var = menu_var_find(h->g, name, strlen(name));
        if (var != MENU_NONE)
            var_set(h, var, value, strlen(value));
    }
}

int menu_call_run(struct menu_hop *h, uint32_t call, struct menu_result *res)
{
    const struct menu_callsite *cs = &h->g->calls[call];
    struct menu_scratch *sc = h->sc;
    const char *argv[MENU_ARGS_MAX];
    size_t offs[MENU_ARGS_MAX];
    struct menu_call mc;
    int rc;

    sc->loaded = MENU_NONE; /* res is about to be overwritten */
    menu_result_reset(res);
    kp_buf_reset(&sc->argbuf);
    for (uint32_t i = 0; i < cs->narg; i++) {
        offs[i] = sc->argbuf.len;
        menu_hop_tpl(h, h->g->args[cs->arg + i].tpl, &sc->argbuf);
        kp_buf_putc(&sc->argbuf, '\0');
    }
    for (uint32_t i = 0; i < cs->narg; i++)
        argv[i] = sc->argbuf.data + offs[i];
    mc.name = GSTR(h->g, cs->name);
    mc.builtin = cs->builtin;
    mc.argc = cs->narg;
    mc.argv = argv;
    mc.lang = (enum menu_lang)h->st->lang;
    mc.msisdn = h->env->msisdn ? h->env->msisdn : "";
    rc = h->env->call ? h->env->call(h->env->ctx, &mc, res) : -KP_ERR_UNSUPPORTED;
    if (rc < 0)
        h->out->call_error = rc;
    return rc;
}

static const struct menu_branch *find_branch(const struct menu_graph *g,
                                             const struct menu_screen_def *s, const char *key)
{
    for (uint32_t i = s->br; i < s->br + s->nbr; i++)
        if (strcmp(GSTR(g, g->branches[i].key), key) == 0)
            return &g->branches[i];
    return NULL;
}

/* An action: call, then the branch for its outcome.  NULL: end with the error text. */
static const struct menu_edge *step_action(struct menu_hop *h, const struct menu_screen_def *s)
{
    struct menu_result *res = &h->sc->res;
    const struct menu_branch *b;

    if (menu_call_run(h, s->call, res) < 0) {
        b = find_branch(h->g, s, "error");
        return b ? &b->edge : NULL;
    }
    menu_result_apply(h, res);
    b = res->outcome == MENU_NONE ? NULL : find_branch(h->g, s, RSTR(res, res->outcome));
    if (b)
        return &b->edge;
    return s->has_else ? &s->other : NULL;
}

static int cond_true(struct menu_hop *h, const struct menu_cond *c)
{
    size_t len = 0;
    const char *v;

    if (c->var == MENU_VAR_LANG) {
        v = menu_lang_name((enum menu_lang)h->st->lang);
        len = strlen(v);
    } else {
        v = menu_state_value(h->st, c->var, &len);
    }
    if (c->kind == MCOND_SET || c->kind == MCOND_UNSET)
        return (v != NULL) == (c->kind == MCOND_SET);
    kp_buf_reset(&h->sc->tmp);
    menu_hop_tpl(h, c->tpl, &h->sc->tmp);
    int eq =
        v ? len == h->sc->tmp.len && memcmp(v, h->sc->tmp.data, len) == 0 : h->sc->tmp.len == 0;
    return eq == (c->kind == MCOND_EQ);
}

static const struct menu_edge *step_router(struct menu_hop *h, const struct menu_screen_def *s)
{
    const struct menu_graph *g = h->g;

    for (uint32_t b = s->br; b < s->br + s->nbr; b++) {
        int all = 1;
        for (uint32_t k = g->branches[b].cond;
             all && k < g->branches[b].cond + g->branches[b].ncond; k++)
            all = cond_true(h, &g->conds[k]);
        if (all)
            return &g->branches[b].edge;
    }
    return &s->other;
}

/*
 * A new session with a department app: no inputs yet, no pseudonym, and
 * the CNIC its `var` holds (maybe a sensitive value, about to be
 * forgotten) handed to the caller, who keeps only a keyed hash of it.
 */
static void app_enter(struct menu_hop *h, const struct menu_screen_def *s)
{
    size_t len;
    const char *v;

    menu_state_unset(h->st, h->g->app_text);
    menu_state_unset(h->st, h->g->app_id);
    h->out->app_first = 1;
    if (s->var != MENU_NONE && (v = menu_state_value(h->st, s->var, &len)) != NULL)
        kp_buf_append(&h->out->app_cnic, v, len);
}

/*
 * Go to screen target, following action and router screens, and stop at
 * the first screen to show (at its first page).  Returns 0, or 1 when the
 * dialog ended with the system error text.
 */
static int enter(struct menu_hop *h, uint32_t target)
{
    for (int steps = 0; steps < MENU_HOP_STEPS; steps++) {
        const struct menu_screen_def *s = &h->g->screens[target];
        const struct menu_edge *e;

        if (shown(s->kind)) {
            h->st->screen = target;
            h->st->pos = 0;
            h->st->next = MENU_NONE;
            if (s->kind == MK_APP)
                app_enter(h, s);
            return 0;
        }
        e = s->kind == MK_ACTION ? step_action(h, s) : step_router(h, s);
        if (e == NULL)
            break;
        apply_sets(h, e);
        target = e->target;
    }
    menu_render_final(h, MS_ERROR);
    return 1;
}

static void history_push(struct menu_state *st, uint32_t screen, uint32_t pos)
{
    if (st->nhist == MENU_HISTORY_MAX) {
        memmove(&st->hist[0], &st->hist[1], (MENU_HISTORY_MAX - 1) * sizeof(st->hist[0]));
        st->nhist--;
    }
    st->hist[st->nhist].screen = screen;
    st->hist[st->nhist].pos = pos;
    st->nhist++;
}

/*
 * Leave the current screen along e; back comes here.  1 when the dialog
 * ended.  Home is the root: reached along an edge (the language screen's
 * options) it is reached as 00 reaches it, with no history and so no
 * "0 Back" taking room on its one page.
 */
static int go(struct menu_hop *h, const struct menu_edge *e)
{
    uint32_t from = h->st->screen, pos = h->st->pos;

    apply_sets(h, e);
    if (enter(h, e->target))
        return 1;
    if (h->st->screen == h->g->home)
        h->st->nhist = 0;
    else if (h->st->screen != from)
        history_push(h->st, from, pos);
    return 0;
}

/*
 * A screen without a list: its options' keys were numbered by the checker
 * (check_keys), so the reply is matched without rendering a label.
 */
static int choose_static(struct menu_hop *h, const char *key, size_t len, int *ended)
{
    const struct menu_screen_def *s = &h->g->screens[h->st->screen];

    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++) {
        const struct menu_option *o = &h->g->options[i];
        if (strlen(o->key) == len && memcmp(o->key, key, len) == 0) {
            *ended = go(h, &o->edge);
            return 1;
        }
    }
    return 0;
}

/*
 * Option key on the current menu screen: 1 when taken (ended or moved), 0
 * when no such key.  A screen with a list must have its items loaded.
 */
static int choose(struct menu_hop *h, const char *key, size_t len, int *ended)
{
    struct menu_scratch *sc = h->sc;

    *ended = 0;
    if (len == 0 || len >= MENU_KEY_MAX)
        return 0;
    if (!h->g->screens[h->st->screen].has_list)
        return choose_static(h, key, len, ended);
    for (size_t i = 0; i < sc->nitems; i++) {
        if (strlen(sc->keys[i]) != len || memcmp(sc->keys[i], key, len) != 0)
            continue;
        const struct menu_option *o = &h->g->options[sc->item_opt[i]];
        if (o->is_list) {
            const char *v = RSTR(&sc->res, sc->item_val[i]);
            kp_buf_reset(&sc->norm);
            kp_buf_puts(&sc->norm, v); /* res may be reused while entering */
            var_set(h, o->list_var, sc->norm.data, sc->norm.len);
        }
        *ended = go(h, &o->edge);
        return 1;
    }
    return 0;
}

static int invalid(struct menu_hop *h, enum menu_sys which, uint32_t text)
{
    struct kp_buf *n = &h->sc->notice;

    kp_buf_reset(n);
    if (text != MENU_NONE)
        menu_hop_text(h, text, n);
    else
        menu_sys_render(h->g, which, (enum menu_lang)h->st->lang, n);
    return menu_render(h, n->data, n->len);
}

static int is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* A reply to an input screen: every check, then store and go on. */
static int reply_input(struct menu_hop *h, const struct menu_screen_def *scr, const char *s,
                       size_t n)
{
    const struct menu_graph *g = h->g;
    struct menu_scratch *sc = h->sc;
    char reply[MENU_INPUT_MAX + 1];
    int normalised = 0;

    if (n == 0 || n > MENU_INPUT_MAX || memchr(s, '\0', n) || text_utf8_valid(s, n) < 0)
        return invalid(h, MS_INVALID_INPUT, MENU_NONE);
    memcpy(reply, s, n);
    reply[n] = '\0';
    kp_buf_reset(&sc->norm);
    for (uint32_t i = scr->chk; i < scr->chk + scr->nchk; i++) {
        const struct menu_check *c = &g->checks[i];
        if (menu_validate(g, c, reply, n, &sc->norm) < 0) {
            h->st->pos = 0;
            return invalid(h, MS_INVALID_INPUT, c->text);
        }
        normalised |= c->kind == MC_CNIC || c->kind == MC_MSISDN;
    }
    if (normalised)
        var_set(h, scr->var, sc->norm.data, sc->norm.len);
    else
        var_set(h, scr->var, reply, n);
    explicit_bzero(reply, sizeof(reply)); /* it may be a sensitive value */
    return go(h, &scr->next) ? 0 : menu_render(h, NULL, 0);
}

/*
 * A reply on an app screen goes to the app as it is, navigation keys too
 * (the app owns the rest of the branch), added to the inputs so far:
 * "1", then "1*2" (the aggregators' `text`).
 */
static int reply_app(struct menu_hop *h, const char *s, size_t n)
{
    struct menu_scratch *sc = h->sc;
    size_t len = 0;
    const char *v = menu_state_value(h->st, h->g->app_text, &len);

    if (n > MENU_INPUT_MAX || memchr(s, '\0', n) || text_utf8_valid(s, n) < 0)
        return invalid(h, MS_INVALID_INPUT, MENU_NONE);
    kp_buf_reset(&sc->norm);
    if (v != NULL) {
        kp_buf_append(&sc->norm, v, len);
        kp_buf_putc(&sc->norm, '*');
    }
    kp_buf_append(&sc->norm, s, n);
    if (sc->norm.len > MENU_VALUE_MAX)
        return menu_render_final(h, MS_ERROR); /* a dialog this long is no use to anyone */
    menu_state_set(h->st, h->g->app_text, sc->norm.data, sc->norm.len, 0);
    return menu_render(h, NULL, 0);
}

static int reply(struct menu_hop *h, const char *s, size_t n)
{
    const struct menu_graph *g = h->g;
    struct menu_state *st = h->st;
    const struct menu_screen_def *scr = &g->screens[st->screen];
    int rc, ended;

    if (scr->kind == MK_APP)
        return reply_app(h, s, n);
    if (is(s, n, "00") && scr->kind != MK_END) {
        st->nhist = 0;
        return enter(h, g->home) ? 0 : menu_render(h, NULL, 0);
    }
    if (is(s, n, "0") && scr->kind != MK_END && st->nhist) {
        st->nhist--;
        st->screen = st->hist[st->nhist].screen;
        st->pos = st->hist[st->nhist].pos;
        return menu_render(h, NULL, 0);
    }
    if (is(s, n, "98") && st->next != MENU_NONE) {
        history_push(st, st->screen, st->pos);
        st->pos = st->next;
        return menu_render(h, NULL, 0);
    }
    switch (scr->kind) {
    case MK_MENU:
        if (scr->has_list && (rc = menu_items_load(h, st->screen)) < 0)
            return rc;
        if (scr->has_list && h->sc->list_hash != st->list_hash) {
            st->pos = 0; /* the list changed since it was shown: show it again */
            return invalid(h, MS_INVALID, MENU_NONE);
        }
        if (choose(h, s, n, &ended))
            return ended ? 0 : menu_render(h, NULL, 0);
        return invalid(h, MS_INVALID, MENU_NONE);
    case MK_INPUT:
        return reply_input(h, scr, s, n);
    default:
        return invalid(h, MS_INVALID, MENU_NONE);
    }
}

/* "1 Continue" shows the screen the dialog was on; "2 Start again" goes home afresh. */
static int reply_resume(struct menu_hop *h, const char *s, size_t n)
{
    struct menu_state *st = h->st;

    if (is(s, n, "1"))
        return menu_render(h, NULL, 0);
    if (is(s, n, "2")) {
        st->nslots = 0;
        kp_buf_reset(&st->values);
        st->nhist = 0;
        st->flags = MST_BEGUN;
        return enter(h, h->g->home) ? 0 : menu_render(h, NULL, 0);
    }
    kp_buf_reset(&h->sc->notice);
    menu_sys_render(h->g, MS_INVALID, (enum menu_lang)st->lang, &h->sc->notice);
    return menu_render_resume(h, h->sc->notice.data, h->sc->notice.len);
}

int menu_dialog_input(const struct menu_graph *g, const struct menu_env *env, struct menu_state *st,
                      const char *text, size_t len, struct menu_screen *out)
{
    struct menu_hop h;
    int rc;

    if (state_check(g, st) < 0)
        return -KP_ERR_STATE;
    hop_start(&h, g, env, st, out);
    while (len && strchr(" \t\r\n", text[0]) && text[0])
        text++, len--;
    while (len && strchr(" \t\r\n", text[len - 1]) && text[len - 1])
        len--;
    if (st->flags & MST_RESUME)
        rc = reply_resume(&h, text, len);
    else
        rc = reply(&h, text, len);
    return hop_finish(&h, rc);
}

/* The hop's state must be waiting on an app screen of g. */
static int app_check(const struct menu_graph *g, struct menu_state *st)
{
    if (state_check(g, st) < 0 || g->screens[st->screen].kind != MK_APP)
        return -KP_ERR_STATE;
    return 0;
}

int menu_dialog_app_reply(const struct menu_graph *g, const struct menu_env *env,
                          struct menu_state *st, int end, const char *text, size_t len,
                          struct menu_screen *out)
{
    struct menu_hop h;
    struct menu_page_in in;

    if (app_check(g, st) < 0)
        return -KP_ERR_STATE;
    hop_start(&h, g, env, st, out);
    memset(&in, 0, sizeof(in));
    kp_buf_reset(&h.sc->hdr);
    kp_buf_append(&h.sc->hdr, text, len);
    in.header = h.sc->hdr.data;
    in.header_len = h.sc->hdr.len;
    st->pos = 0;
    menu_render_page(&h, &in, 0); /* no "98 More": the app keeps to one page */
    st->next = MENU_NONE;
    if (end) {
        st->flags |= MST_ENDED;
        out->end = 1;
        menu_state_unset(st, g->app_text);
        menu_state_unset(st, g->app_id);
    }
    return hop_finish(&h, 0);
}

int menu_dialog_app_fail(const struct menu_graph *g, const struct menu_env *env,
                         struct menu_state *st, const char *outcome, struct menu_screen *out)
{
    const struct menu_screen_def *s;
    const struct menu_branch *b;
    const struct menu_edge *e;
    struct menu_hop h;

    if (app_check(g, st) < 0)
        return -KP_ERR_STATE;
    hop_start(&h, g, env, st, out);
    s = &g->screens[st->screen];
    b = find_branch(g, s, outcome);
    e = b ? &b->edge : s->has_else ? &s->other : NULL;
    if (e == NULL) {
        menu_render_final(&h, MS_ERROR);
        return hop_finish(&h, 0);
    }
    /* Not through go(): "0 Back" must not lead into the app again. */
    apply_sets(&h, e);
    if (enter(&h, e->target) == 0)
        return hop_finish(&h, menu_render(&h, NULL, 0));
    return hop_finish(&h, 0);
}

/* Walk a dialled shortcut "2*1#": each step an option key of the screen reached. */
static int walk(struct menu_hop *h, const char *p)
{
    int rc, ended;

    while (p && *p && *p != '#') {
        size_t n = strspn(p, "0123456789");
        if (n == 0 || h->g->screens[h->st->screen].kind != MK_MENU)
            break;
        if (h->g->screens[h->st->screen].has_list && (rc = menu_items_load(h, h->st->screen)) < 0)
            return rc;
        if (!choose(h, p, n, &ended))
            break;
        if (ended)
            return 1;
        p += n;
        if (*p != '*')
            break;
        p++;
    }
    return 0;
}

int menu_dialog_begin(const struct menu_graph *g, const struct menu_env *env, struct menu_state *st,
                      enum menu_lang lang, const char *steps, struct menu_screen *out)
{
    struct menu_hop h;
    int rc;

    if (g->home == MENU_NONE)
        return -KP_ERR_STATE;
    menu_state_clear(st);
    memcpy(st->digest, g->digest, MENU_VERSION_LEN);
    memcpy(st->version, g->version, sizeof(st->version));
    st->flags = MST_BEGUN;
    st->lang = (uint8_t)((unsigned)lang < MENU_LANG_MAX ? lang : MENU_LANG_EN);
    hop_start(&h, g, env, st, out);
    if (enter(&h, g->home))
        return hop_finish(&h, 0);
    rc = walk(&h, steps);
    if (rc == 0)
        rc = menu_render(&h, NULL, 0);
    return hop_finish(&h, rc < 0 ? rc : 0);
}

int menu_dialog_resume(const struct menu_graph *g, const struct menu_env *env,
                       struct menu_state *st, struct menu_screen *out)
{
    struct menu_hop h;

    if (state_check(g, st) < 0 || !menu_state_resumable(st))
        return -KP_ERR_STATE;
    hop_start(&h, g, env, st, out);
    return hop_finish(&h, menu_render_resume(&h, NULL, 0));
}

int menu_system_render(const struct menu_graph *g, enum menu_lang lang, enum menu_sys_screen which,
                       const struct menu_limits *limits, struct menu_screen *out)
{
    struct menu_state st;
    struct menu_env env;
    struct menu_hop h;

    static const enum menu_sys sys[] = {MS_EXPIRED, MS_ERROR, MS_NO_SERVICE};

    if ((unsigned)lang >= MENU_LANG_MAX || (unsigned)which >= KP_ARRAY_LEN(sys))
        return -KP_ERR_INVAL;
    memset(&st, 0, sizeof(st));
    memset(&env, 0, sizeof(env));
    st.lang = (uint8_t)lang;
    env.limits = *limits;
    hop_start(&h, g, &env, &st, out);
    menu_render_final(&h, sys[which]);
    out->lang = lang;
    return 0;
}

const char *menu_dial_steps(const char *dialled, const char *service)
{
    size_t n = strlen(service);
    const char *rest;

    if (n && service[n - 1] == '#')
        n--; /* "*789#" -> "*789" */
    if (n == 0 || strncmp(dialled, service, n) != 0)
        return NULL;
    rest = dialled + n;
    if (*rest == '*')
        return rest + 1;
    if (*rest == '#' || *rest == '\0')
        return rest;
    return NULL;
}

int menu_state_app_id_set(struct menu_state *st, const struct menu_graph *g, const char *id)
{
    if (g->app_id == MENU_NONE)
        return -KP_ERR_STATE;
    menu_state_set(st, g->app_id, id, strlen(id), 0);
    return 0;
}

const char *menu_state_app_id(const struct menu_state *st, const struct menu_graph *g)
{
    size_t len;

    if (g->app_id == MENU_NONE)
        return NULL;
    return menu_state_value(st, g->app_id, &len);
}
