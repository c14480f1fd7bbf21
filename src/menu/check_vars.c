/* SPDX-License-Identifier: ISC */
/*
 * The checker's variable analysis: a forward "may be set" data-flow over
 * the screens reachable from home (navigation with 0/00 is left out, so a
 * variable used before anything on the way can set it is reported).  An
 * edge sets its `set` clauses, an input's variable, a list's `as` variable
 * and its built-in's declared `sets`.  Sensitive variables live for one
 * hop: they are gone after any shown screen, and may never be shown.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "menu_internal.h"

struct flow {
    struct menu_cc *cc;
    struct menu_graph *g;
    size_t words;
    uint64_t *in;       /* per screen: may be set on entry */
    uint64_t *sens;     /* sensitive */
    uint64_t *any;      /* set by something somewhere */
    uint64_t *reported; /* for the screen being checked */
    uint64_t *never;    /* "never set" already reported */
    uint64_t *tmp;
    uint32_t *work; /* worklist of screens */
    uint8_t *queued;
    size_t nwork;
};

#define BIT(set, v)    (((set)[(v) / 64] >> ((v) % 64)) & 1)
#define SETBIT(set, v) ((set)[(v) / 64] |= (uint64_t)1 << ((v) % 64))

/* Screens a hop stops at (an app screen waits for the app's reply). */
static int shown_kind(enum menu_kind k)
{
    return k == MK_MENU || k == MK_INPUT || k == MK_INFO || k == MK_END || k == MK_APP;
}

/* What an edge sets, ORed into set. */
static void edge_gen(struct flow *f, const struct menu_edge *e, uint32_t var, uint32_t call,
                     uint64_t *set)
{
    struct menu_graph *g = f->g;

    for (uint32_t k = e->set; k < e->set + e->nset; k++)
        SETBIT(set, g->sets[k].var);
    if (var != MENU_NONE)
        SETBIT(set, var);
    if (call != MENU_NONE && g->calls[call].builtin != MENU_NONE) {
        const struct menu_bi *b = &g->bis[g->calls[call].builtin];
        for (uint32_t k = 0; k < b->nsets; k++)
            SETBIT(set, g->bi_strs[b->sets + k]);
    }
}

/* The variables a screen passes on to its edges (before what they set). */
static void screen_base(struct flow *f, uint32_t si, uint64_t *out)
{
    const uint64_t *in = f->in + si * f->words;
    int shown = shown_kind(f->g->screens[si].kind);

    for (size_t w = 0; w < f->words; w++)
        out[w] = shown ? in[w] & ~f->sens[w] : in[w];
}

typedef void (*edge_fn)(struct flow *f, uint32_t si, struct menu_edge *e, uint32_t var,
                        uint32_t call);

static void each_edge(struct flow *f, uint32_t si, edge_fn fn)
{
    struct menu_edge *e[16], **ep = e;
    uint32_t v[16], c[16], *vp = v, *cp = c;
    size_t n = menu_screen_edges(f->g, si, e, v, c, 16);

    if (n > 16) {
        ep = kp_calloc(n, sizeof(*ep));
        vp = kp_calloc(n, sizeof(*vp));
        cp = kp_calloc(n, sizeof(*cp));
        menu_screen_edges(f->g, si, ep, vp, cp, n);
    }
    for (size_t i = 0; i < n; i++)
        fn(f, si, ep[i], vp[i], cp[i]);
    if (ep != e) {
        free(ep);
        free(vp);
        free(cp);
    }
}

static void gen_any(struct flow *f, uint32_t si, struct menu_edge *e, uint32_t var, uint32_t call)
{
    (void)si;
    edge_gen(f, e, var, call, f->any);
}

static void propagate(struct flow *f, uint32_t si, struct menu_edge *e, uint32_t var, uint32_t call)
{
    uint64_t *in;
    int changed = 0;

    if (e->target == MENU_NONE)
        return;
    screen_base(f, si, f->tmp);
    edge_gen(f, e, var, call, f->tmp);
    in = f->in + e->target * f->words;
    for (size_t w = 0; w < f->words; w++) {
        changed |= (f->tmp[w] & ~in[w]) != 0;
        in[w] |= f->tmp[w];
    }
    if (changed && !f->queued[e->target]) {
        f->queued[e->target] = 1;
        f->work[f->nwork++] = e->target;
    }
}

/* ---- uses ---- */

static void use(struct flow *f, uint32_t si, uint32_t var, const uint64_t *set, int shown,
                struct menu_loc loc)
{
    struct menu_graph *g = f->g;
    const char *name = GSTR(g, g->vars[var].name), *screen = GSTR(g, g->screens[si].name);

    if (var == MENU_VAR_LANG || BIT(f->reported, var))
        return;
    if (shown && BIT(f->sens, var)) {
        menu_diag(f->cc, loc, "sensitive variable '%s' cannot be shown (screen '%s')", name,
                  screen);
    } else if (!BIT(f->any, var)) {
        if (BIT(f->never, var))
            return;
        SETBIT(f->never, var);
        menu_diag(f->cc, loc, "variable '%s' is never set", name);
    } else if (set && !BIT(set, var)) {
        if (BIT(f->sens, var))
            menu_diag(f->cc, loc,
                      "sensitive variable '%s' is dropped at the end of the hop that "
                      "set it: it cannot be used on screen '%s'",
                      name, screen);
        else
            menu_diag(f->cc, loc, "variable '%s' is not set on any path to screen '%s'", name,
                      screen);
    } else {
        return;
    }
    SETBIT(f->reported, var);
}

static void use_tpl(struct flow *f, uint32_t si, uint32_t tpl, const uint64_t *set, int shown,
                    struct menu_loc loc)
{
    const struct menu_tpl *t;

    if (tpl == MENU_NONE)
        return;
    t = &f->g->tpls[tpl];
    for (uint32_t i = t->first; i < t->first + t->n; i++)
        if (f->g->segs[i].var != MENU_NONE)
            use(f, si, f->g->segs[i].var, set, shown, loc);
}

static void use_text(struct flow *f, uint32_t si, uint32_t text, const uint64_t *set, int shown)
{
    if (text == MENU_NONE)
        return;
    for (int l = 0; l < MENU_LANG_MAX; l++)
        use_tpl(f, si, f->g->texts[text].tpl[l], set, shown, f->g->texts[text].loc);
}

static void use_call(struct flow *f, uint32_t si, uint32_t call, const uint64_t *set)
{
    const struct menu_callsite *cs = &f->g->calls[call];

    for (uint32_t a = cs->arg; a < cs->arg + cs->narg; a++)
        use_tpl(f, si, f->g->args[a].tpl, set, 0, cs->loc);
}

/* Set clauses are evaluated after the edge's other effects. */
static void use_edge(struct flow *f, uint32_t si, struct menu_edge *e, uint32_t var, uint32_t call)
{
    screen_base(f, si, f->tmp);
    edge_gen(f, e, var, call, f->tmp);
    for (uint32_t k = e->set; k < e->set + e->nset; k++)
        use_tpl(f, si, f->g->sets[k].tpl, f->tmp, 0, e->loc);
}

static void screen_uses(struct flow *f, uint32_t si)
{
    struct menu_graph *g = f->g;
    struct menu_screen_def *s = &g->screens[si];
    const uint64_t *in = f->in + si * f->words;
    uint64_t *later = kp_calloc(f->words, sizeof(*later)); /* a later hop on this screen */

    uint64_t *shown = kp_calloc(f->words, sizeof(*shown)); /* when its texts are rendered */

    memset(f->reported, 0, f->words * sizeof(uint64_t));
    screen_base(f, si, later);
    memcpy(shown, in, f->words * sizeof(*shown));
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++) {
        /* a list's built-in runs before the screen's texts are rendered */
        struct menu_edge none = {0};
        if (g->options[i].is_list) {
            use_call(f, si, g->options[i].call, later);
            edge_gen(f, &none, MENU_NONE, g->options[i].call, shown);
            edge_gen(f, &none, MENU_NONE, g->options[i].call, later);
        }
    }
    use_text(f, si, s->text, shown, shown_kind(s->kind));
    use_text(f, si, s->header, shown, shown_kind(s->kind));
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++)
        if (!g->options[i].is_list)
            use_text(f, si, g->options[i].text, shown, 1);
    for (uint32_t i = s->chk; i < s->chk + s->nchk; i++)
        use_text(f, si, g->checks[i].text, later, 1);
    if (s->kind == MK_ACTION && s->call != MENU_NONE)
        use_call(f, si, s->call, in);
    /* An app screen reads its `var` (a CNIC) in the hop that enters it,
       before sensitive values go: `in`, not what it passes on. */
    if (s->kind == MK_APP && s->var != MENU_NONE)
        use(f, si, s->var, in, 0, s->var_loc);
    for (uint32_t b = s->br; s->kind == MK_ROUTER && b < s->br + s->nbr; b++) {
        for (uint32_t k = g->branches[b].cond; k < g->branches[b].cond + g->branches[b].ncond;
             k++) {
            const struct menu_cond *c = &g->conds[k];
            int value = c->kind == MCOND_EQ || c->kind == MCOND_NE;
            use(f, si, c->var, value ? in : NULL, 0, g->branches[b].loc);
            use_tpl(f, si, c->tpl, in, 0, g->branches[b].loc);
        }
    }
    each_edge(f, si, use_edge);
    free(later);
    free(shown);
}

void menu_check_vars(struct menu_cc *cc, const uint8_t *reach)
{
    struct menu_graph *g = cc->g;
    struct flow f;

    memset(&f, 0, sizeof(f));
    f.cc = cc;
    f.g = g;
    f.words = (g->nvars + 63) / 64;
    f.in = kp_calloc(g->nscreens * f.words + 1, sizeof(uint64_t));
    f.sens = kp_calloc(f.words, sizeof(uint64_t));
    f.any = kp_calloc(f.words, sizeof(uint64_t));
    f.reported = kp_calloc(f.words, sizeof(uint64_t));
    f.never = kp_calloc(f.words, sizeof(uint64_t));
    f.tmp = kp_calloc(f.words, sizeof(uint64_t));
    f.work = kp_calloc(g->nscreens + 1, sizeof(uint32_t));
    f.queued = kp_calloc(g->nscreens + 1, 1);
    for (uint32_t v = 0; v < g->nvars; v++)
        if (g->vars[v].sensitive)
            SETBIT(f.sens, v);
    SETBIT(f.any, MENU_VAR_LANG);
    for (uint32_t si = 0; si < g->nscreens; si++)
        each_edge(&f, si, gen_any);
    SETBIT(f.in + g->home * f.words, MENU_VAR_LANG);
    f.work[f.nwork++] = g->home;
    f.queued[g->home] = 1;
    while (f.nwork) {
        uint32_t si = f.work[--f.nwork];
        f.queued[si] = 0;
        each_edge(&f, si, propagate);
    }
    for (uint32_t si = 0; si < g->nscreens; si++)
        if (reach[si])
            screen_uses(&f, si);
    free(f.in);
    free(f.sens);
    free(f.any);
    free(f.reported);
    free(f.never);
    free(f.tmp);
    free(f.work);
    free(f.queued);
}
