/* SPDX-License-Identifier: ISC */
/*
 * The static checker (kpass-menu(5) "CHECKS"): resolves screen names and
 * built-ins, numbers options, and refuses unknown targets, unreachable
 * screens, dead ends, duplicate option keys, loops of action/router screens
 * that never show anything, unknown built-ins and wrong arity, unhandled or
 * impossible outcomes, and language literals that are no language.
 * Variables are checked in check_vars.c, page lengths in check_pages.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

struct checker {
    struct menu_cc *cc;
    struct menu_graph *g;
    uint8_t *reach; /* per screen */
};

/* One way out of a screen, with what it sets besides its `set` clauses. */
struct edge_ref {
    struct menu_edge *e;
    uint32_t var;  /* input var or list var, or MENU_NONE */
    uint32_t call; /* call whose built-in's `sets` apply, or MENU_NONE */
};

#define SCR(g, i) (&(g)->screens[i])

/* A screen a hop stops at: shown, or (an app) answered by a department's app. */
static int displayed(enum menu_kind k)
{
    return k == MK_MENU || k == MK_INPUT || k == MK_INFO || k == MK_END || k == MK_APP;
}

/* Visit every forward edge of screen si. */
static size_t screen_edges(struct menu_graph *g, uint32_t si, struct edge_ref *out, size_t max)
{
    struct menu_screen_def *s = SCR(g, si);
    size_t n = 0;

#define EDGE(edge, v, c)                                                                           \
    do {                                                                                           \
        if (n < max)                                                                               \
            out[n] = (struct edge_ref){(edge), (v), (c)};                                          \
        n++;                                                                                       \
    } while (0)
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++) {
        struct menu_option *o = &g->options[i];
        EDGE(&o->edge, o->is_list ? o->list_var : MENU_NONE, o->is_list ? o->call : MENU_NONE);
    }
    if (s->kind == MK_INPUT && s->has_next)
        EDGE(&s->next, s->var, MENU_NONE);
    for (uint32_t i = s->br; i < s->br + s->nbr; i++)
        EDGE(&g->branches[i].edge, MENU_NONE, s->kind == MK_ACTION ? s->call : MENU_NONE);
    if (s->has_else)
        EDGE(&s->other, MENU_NONE, s->kind == MK_ACTION ? s->call : MENU_NONE);
#undef EDGE
    return n;
}

/* Edges of si into a scratch array the caller frees. */
static struct edge_ref *edges_of(struct menu_graph *g, uint32_t si, size_t *n)
{
    size_t count = screen_edges(g, si, NULL, 0);
    struct edge_ref *e = kp_calloc(count ? count : 1, sizeof(*e));

    *n = screen_edges(g, si, e, count);
    return e;
}

static const struct menu_bi *call_bi(const struct menu_graph *g, uint32_t call)
{
    if (call == MENU_NONE || g->calls[call].builtin == MENU_NONE)
        return NULL;
    return &g->bis[g->calls[call].builtin];
}

/* ---- names, structure, built-ins ---- */

static void check_home(struct checker *c)
{
    struct menu_graph *g = c->g;
    const char *name = c->cc->home_name != MENU_NONE ? GSTR(g, c->cc->home_name) : "main";

    g->home = menu_screen_find(g, name);
    if (g->home != MENU_NONE)
        return;
    if (c->cc->home_name != MENU_NONE) {
        menu_diag(c->cc, c->cc->home_loc, "unknown screen '%s'", name);
    } else {
        struct menu_loc none = {MENU_NONE, 0, 0};
        menu_diag(c->cc, none, "no home screen: define a screen 'main' or name one with 'home'");
    }
}

static void check_call(struct checker *c, uint32_t call, enum menu_builtin_kind want)
{
    struct menu_graph *g = c->g;
    struct menu_callsite *cs = &g->calls[call];
    const char *name = GSTR(g, cs->name);

    for (uint32_t i = 0; i < g->nbis; i++)
        if (strcmp(GSTR(g, g->bis[i].name), name) == 0)
            cs->builtin = i;
    if (cs->builtin == MENU_NONE) {
        menu_diag(c->cc, cs->loc, "unknown built-in '%s'", name);
        return;
    }
    const struct menu_bi *b = &g->bis[cs->builtin];
    if (b->kind != want) {
        menu_diag(c->cc, cs->loc, "'%s' is %s built-in, not %s", name,
                  b->kind == MENU_BUILTIN_LIST ? "a list" : "an action",
                  want == MENU_BUILTIN_LIST ? "a list" : "an action");
        cs->builtin = MENU_NONE;
    } else if (cs->narg < b->min_args || cs->narg > b->max_args) {
        if (b->min_args == b->max_args)
            menu_diag(c->cc, cs->loc, "'%s' takes %u argument%s, not %u", name, b->min_args,
                      b->min_args == 1 ? "" : "s", cs->narg);
        else
            menu_diag(c->cc, cs->loc, "'%s' takes %u to %u arguments, not %u", name, b->min_args,
                      b->max_args, cs->narg);
    }
}

static void check_structure(struct checker *c, uint32_t si)
{
    struct menu_graph *g = c->g;
    struct menu_screen_def *s = SCR(g, si);
    const char *name = GSTR(g, s->name);

    switch (s->kind) {
    case MK_MENU:
        if (s->nopt == 0)
            menu_diag(c->cc, s->loc, "dead end: menu screen '%s' has no options", name);
        break;
    case MK_INPUT:
        if (s->text == MENU_NONE)
            menu_diag(c->cc, s->loc, "input screen '%s' has no prompt text", name);
        if (s->var == MENU_NONE)
            menu_diag(c->cc, s->loc, "input screen '%s' has no 'var' to store the reply", name);
        if (!s->has_next)
            menu_diag(c->cc, s->loc, "dead end: input screen '%s' has no '-> screen'", name);
        break;
    case MK_INFO:
    case MK_END:
        if (s->text == MENU_NONE)
            menu_diag(c->cc, s->loc, "%s screen '%s' has no text", menu_kind_name(s->kind), name);
        break;
    case MK_ACTION:
        if (s->nbr == 0 && !s->has_else)
            menu_diag(c->cc, s->loc, "dead end: action screen '%s' has no 'on' or 'else'", name);
        break;
    case MK_APP:
        /* Without `on`/`else` a failing app ends the dialog with the error text. */
        break;
    case MK_ROUTER:
        if (!s->has_else)
            menu_diag(c->cc, s->loc,
                      "dead end: router screen '%s' has no 'else' for when no "
                      "rule matches",
                      name);
        break;
    default:
        break;
    }
    if (s->kind == MK_ACTION && s->call != MENU_NONE)
        check_call(c, s->call, MENU_BUILTIN_ACTION);
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++)
        if (g->options[i].is_list)
            check_call(c, g->options[i].call, MENU_BUILTIN_LIST);
}

static void resolve_edges(struct checker *c, uint32_t si)
{
    struct menu_graph *g = c->g;
    size_t n;
    struct edge_ref *e = edges_of(g, si, &n);

    for (size_t i = 0; i < n; i++) {
        const char *t = GSTR(g, e[i].e->target_name);
        e[i].e->target = menu_screen_find(g, t);
        if (e[i].e->target == MENU_NONE)
            menu_diag(c->cc, e[i].e->loc, "unknown screen '%s'", t);
    }
    free(e);
}

/* Number options: explicit keys are kept; the others count 1, 2, ...
   skipping explicit keys and 98.  Options may not follow a list. */
static void check_keys(struct checker *c, uint32_t si)
{
    struct menu_graph *g = c->g;
    struct menu_screen_def *s = SCR(g, si);
    uint8_t used[100] = {0};
    uint32_t where[100];
    size_t n = 0;
    int after_list = 0;

    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++) {
        struct menu_option *o = &g->options[i];
        if (after_list && !o->is_list)
            menu_diag(c->cc, o->loc,
                      "options must come before the list (its items are "
                      "numbered after them)");
        after_list |= o->is_list;
        if (!o->explicit_key)
            continue;
        unsigned k = (unsigned)atoi(o->key);
        if (used[k]) {
            struct menu_loc first = g->options[where[k]].loc;
            menu_diag(c->cc, o->loc, "duplicate option key %u (also on line %u)", k, first.line);
        }
        used[k] = 1;
        where[k] = i;
    }
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++) {
        struct menu_option *o = &g->options[i];
        unsigned k;
        if (o->explicit_key || o->is_list)
            continue;
        do
            k = menu_auto_key(++n);
        while (k && used[k]);
        if (k == 0) {
            menu_diag(c->cc, o->loc, "too many options (the keys run out at 99)");
            return;
        }
        used[k] = 1;
        snprintf(o->key, sizeof(o->key), "%u", k % 100);
    }
}

static void check_texts(struct checker *c)
{
    struct menu_graph *g = c->g;

    for (uint32_t i = 0; i < g->ntexts; i++)
        if (g->texts[i].tpl[MENU_LANG_EN] == MENU_NONE)
            menu_diag(c->cc, g->texts[i].loc,
                      "text has no English variant (the fallback for "
                      "other languages)");
}

/* What a department app's hop may end in besides its reply (kpass-menu(5)). */
static void check_app_outcomes(struct checker *c, const struct menu_screen_def *s)
{
    static const char *const known[] = {"timeout", "unavailable", "error"};
    struct menu_graph *g = c->g;

    for (uint32_t i = s->br; i < s->br + s->nbr; i++) {
        const char *key = GSTR(g, g->branches[i].key);
        size_t k = 0;
        while (k < KP_ARRAY_LEN(known) && strcmp(known[k], key) != 0)
            k++;
        if (k == KP_ARRAY_LEN(known))
            menu_diag(c->cc, g->branches[i].loc,
                      "app screen '%s': '%s' is not an app outcome (timeout, unavailable, error)",
                      GSTR(g, s->name), key);
    }
}

static void check_outcomes(struct checker *c, uint32_t si)
{
    struct menu_graph *g = c->g;
    struct menu_screen_def *s = SCR(g, si);
    const struct menu_bi *b = call_bi(g, s->call);

    if (s->kind == MK_APP) {
        check_app_outcomes(c, s);
        return;
    }
    if (s->kind != MK_ACTION || b == NULL)
        return;
    for (uint32_t i = s->br; i < s->br + s->nbr; i++) {
        const char *key = GSTR(g, g->branches[i].key);
        int known = strcmp(key, "error") == 0;
        for (uint32_t k = 0; k < b->noutcome && !known; k++)
            known = strcmp(GSTR(g, g->bi_strs[b->outcome + k]), key) == 0;
        if (!known)
            menu_diag(c->cc, g->branches[i].loc, "'%s' never returns '%s'", GSTR(g, b->name), key);
    }
    if (s->has_else)
        return;
    for (uint32_t k = 0; k < b->noutcome; k++) {
        const char *out = GSTR(g, g->bi_strs[b->outcome + k]);
        int handled = 0;
        for (uint32_t i = s->br; i < s->br + s->nbr && !handled; i++)
            handled = strcmp(GSTR(g, g->branches[i].key), out) == 0;
        if (!handled)
            menu_diag(c->cc, s->loc, "action screen '%s' does not handle outcome '%s' of '%s'",
                      GSTR(g, s->name), out, GSTR(g, b->name));
    }
}

/* ---- reachability and loops ---- */

static void check_reach(struct checker *c)
{
    struct menu_graph *g = c->g;
    uint32_t *queue = kp_calloc(g->nscreens + 1, sizeof(*queue));
    size_t head = 0, tail = 0;

    if (g->home == MENU_NONE)
        goto out;
    c->reach[g->home] = 1;
    queue[tail++] = g->home;
    while (head < tail) {
        size_t n;
        struct edge_ref *e = edges_of(g, queue[head++], &n);
        for (size_t i = 0; i < n; i++) {
            uint32_t t = e[i].e->target;
            if (t != MENU_NONE && !c->reach[t]) {
                c->reach[t] = 1;
                queue[tail++] = t;
            }
        }
        free(e);
    }
    for (uint32_t i = 0; i < g->nscreens; i++)
        if (!c->reach[i])
            menu_diag(c->cc, SCR(g, i)->loc, "screen '%s' is unreachable from '%s'",
                      GSTR(g, SCR(g, i)->name), GSTR(g, SCR(g, g->home)->name));
out:
    free(queue);
}

/* Depth-first search over action/router screens; 1 = on the stack, 2 = done. */
static int loop_visit(struct checker *c, uint32_t si, uint8_t *mark, uint32_t *path, size_t depth)
{
    struct menu_graph *g = c->g;
    size_t n;
    struct edge_ref *e;
    int found = 0;

    mark[si] = 1;
    path[depth] = si;
    e = edges_of(g, si, &n);
    for (size_t i = 0; i < n && !found; i++) {
        uint32_t t = e[i].e->target;
        if (t == MENU_NONE || displayed(SCR(g, t)->kind))
            continue;
        if (mark[t] == 1) {
            struct kp_buf b = KP_BUF_INIT;
            size_t k = depth;
            while (path[k] != t)
                k--;
            for (; k <= depth; k++)
                kp_buf_printf(&b, "%s -> ", GSTR(g, SCR(g, path[k])->name));
            kp_buf_puts(&b, GSTR(g, SCR(g, t)->name));
            menu_diag(c->cc, e[i].e->loc, "screens %s loop without showing anything", b.data);
            kp_buf_free(&b);
            found = 1;
        } else if (mark[t] == 0) {
            found = loop_visit(c, t, mark, path, depth + 1);
        }
    }
    free(e);
    mark[si] = 2;
    return found;
}

static void check_loops(struct checker *c)
{
    struct menu_graph *g = c->g;
    uint8_t *mark = kp_calloc(g->nscreens + 1, 1);
    uint32_t *path = kp_calloc(g->nscreens + 1, sizeof(*path));

    for (uint32_t i = 0; i < g->nscreens; i++)
        if (!displayed(SCR(g, i)->kind) && mark[i] == 0)
            loop_visit(c, i, mark, path, 0);
    free(mark);
    free(path);
}

static void mark_sensitive(struct menu_graph *g)
{
    for (uint32_t i = 0; i < g->nscreens; i++) {
        struct menu_screen_def *s = SCR(g, i);
        if (s->kind == MK_INPUT && (s->flags & MF_SENSITIVE) && s->var != MENU_NONE)
            g->vars[s->var].sensitive = 1;
    }
}

/* `set lang = "xx"` and `if lang == "xx"` with a literal that is no language. */
static void check_lang_literal(struct checker *c, uint32_t var, uint32_t tpl, struct menu_loc loc)
{
    struct menu_graph *g = c->g;
    const struct menu_tpl *t;

    if (var != MENU_VAR_LANG || tpl == MENU_NONE)
        return;
    t = &g->tpls[tpl];
    if (t->n == 1 && g->segs[t->first].var == MENU_NONE &&
        menu_lang_parse(GSTR(g, g->segs[t->first].off)) < 0)
        menu_diag(c->cc, loc, "'%s' is not a language (en, ur, ur-Latn or ps)",
                  GSTR(g, g->segs[t->first].off));
}

static void check_langs(struct checker *c)
{
    struct menu_graph *g = c->g;

    for (uint32_t si = 0; si < g->nscreens; si++) {
        size_t n;
        struct edge_ref *e = edges_of(g, si, &n);
        for (size_t i = 0; i < n; i++)
            for (uint32_t k = e[i].e->set; k < e[i].e->set + e[i].e->nset; k++)
                check_lang_literal(c, g->sets[k].var, g->sets[k].tpl, e[i].e->loc);
        free(e);
        struct menu_screen_def *s = SCR(g, si);
        if (s->kind == MK_ROUTER)
            for (uint32_t b = s->br; b < s->br + s->nbr; b++)
                for (uint32_t k = g->branches[b].cond;
                     k < g->branches[b].cond + g->branches[b].ncond; k++)
                    check_lang_literal(c, g->conds[k].var, g->conds[k].tpl, g->branches[b].loc);
    }
}

size_t menu_screen_edges(struct menu_graph *g, uint32_t si, struct menu_edge **edges,
                         uint32_t *vars, uint32_t *calls, size_t max)
{
    struct edge_ref tmp[16];
    size_t n = screen_edges(g, si, NULL, 0);
    struct edge_ref *e = n <= 16 ? tmp : kp_calloc(n, sizeof(*e));

    screen_edges(g, si, e, n);
    for (size_t i = 0; i < n && i < max; i++) {
        edges[i] = e[i].e;
        vars[i] = e[i].var;
        calls[i] = e[i].call;
    }
    if (e != tmp)
        free(e);
    return n;
}

unsigned menu_check(struct menu_cc *cc)
{
    struct checker c;
    struct menu_graph *g = cc->g;
    unsigned before = cc->errors;

    memset(&c, 0, sizeof(c));
    c.cc = cc;
    c.g = g;
    c.reach = kp_calloc(g->nscreens + 1, 1);
    check_home(&c);
    check_texts(&c);
    for (uint32_t i = 0; i < g->nscreens; i++) {
        check_structure(&c, i);
        resolve_edges(&c, i);
        if (SCR(g, i)->kind == MK_MENU)
            check_keys(&c, i);
    }
    for (uint32_t i = 0; i < g->nscreens; i++)
        check_outcomes(&c, i);
    check_langs(&c);
    check_reach(&c);
    check_loops(&c);
    mark_sensitive(g);
    if (g->home != MENU_NONE)
        menu_check_vars(cc, c.reach);
    if (cc->errors == before)
        menu_check_pages(cc, c.reach);
    free(c.reach);
    return cc->errors - before;
}
