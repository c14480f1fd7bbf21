/* SPDX-License-Identifier: ISC */
/*
 * The graph as Graphviz DOT (`kpass menu graph`): one node per screen,
 * shaped by kind (menu box, input parallelogram, info note, end double
 * octagon, action hexagon, router diamond; sensitive screens red, home
 * bold) and one edge per way on, labelled with the option key and English
 * text, the list call, the outcome or the router rule.
 */
#include <string.h>

#include "kpass/text/text.h"
#include "menu_internal.h"

#define DOT_LABEL_MAX 24 /* characters of an option text on an edge */

static void dot_str(struct kp_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            kp_buf_putc(out, '\\');
        if (s[i] == '\n')
            kp_buf_puts(out, "\\n");
        else
            kp_buf_putc(out, s[i]);
    }
}

static void dot_tpl(struct kp_buf *out, const struct menu_graph *g, uint32_t tpl, size_t max)
{
    struct kp_buf b = KP_BUF_INIT;
    const struct menu_tpl *t;

    kp_buf_append(&b, "", 0); /* allocated and NUL-terminated */
    if (tpl != MENU_NONE) {
        t = &g->tpls[tpl];
        for (uint32_t i = t->first; i < t->first + t->n; i++) {
            if (g->segs[i].var == MENU_NONE)
                kp_buf_append(&b, GSTR(g, g->segs[i].off), g->segs[i].len);
            else
                kp_buf_printf(&b, "{%s}", GSTR(g, g->vars[g->segs[i].var].name));
        }
    }
    size_t n = text_fit(b.data, b.len, TEXT_UCS2, max);
    dot_str(out, b.data, n);
    if (n < b.len)
        kp_buf_puts(out, "...");
    kp_buf_free(&b);
}

static void dot_edge(struct kp_buf *out, const struct menu_graph *g, uint32_t from,
                     const struct menu_edge *e)
{
    kp_buf_puts(out, "  \"");
    kp_buf_puts(out, GSTR(g, g->screens[from].name));
    kp_buf_puts(out, "\" -> \"");
    kp_buf_puts(out, GSTR(g, g->screens[e->target].name));
    kp_buf_puts(out, "\" [label=\"");
}

static void dot_sets(struct kp_buf *out, const struct menu_graph *g, const struct menu_edge *e)
{
    for (uint32_t k = e->set; k < e->set + e->nset; k++) {
        kp_buf_printf(out, "\\n%s = ", GSTR(g, g->vars[g->sets[k].var].name));
        dot_tpl(out, g, g->sets[k].tpl, DOT_LABEL_MAX);
    }
    kp_buf_puts(out, "\"];\n");
}

static void dot_cond(struct kp_buf *out, const struct menu_graph *g, const struct menu_cond *c)
{
    const char *var = GSTR(g, g->vars[c->var].name);

    switch (c->kind) {
    case MCOND_SET:
    case MCOND_UNSET:
        kp_buf_printf(out, "%s %s", c->kind == MCOND_SET ? "set" : "unset", var);
        break;
    default:
        kp_buf_printf(out, "%s %s \\\"", var, c->kind == MCOND_EQ ? "==" : "!=");
        dot_tpl(out, g, c->tpl, DOT_LABEL_MAX);
        kp_buf_puts(out, "\\\"");
        break;
    }
}

static void dot_node(struct kp_buf *out, const struct menu_graph *g, uint32_t si)
{
    static const char *const shapes[MK__COUNT] = {
        "box", "parallelogram", "note", "doubleoctagon", "hexagon", "diamond", "house"};
    const struct menu_screen_def *s = &g->screens[si];

    kp_buf_printf(out, "  \"%s\" [shape=%s, label=\"%s\\n%s", GSTR(g, s->name), shapes[s->kind],
                  GSTR(g, s->name), menu_kind_name(s->kind));
    if (s->kind == MK_ACTION && s->call != MENU_NONE)
        kp_buf_printf(out, " %s()", GSTR(g, g->calls[s->call].name));
    if (s->kind == MK_APP && s->app != MENU_NONE)
        kp_buf_printf(out, " %s", GSTR(g, s->app));
    if (s->kind == MK_INPUT && s->var != MENU_NONE)
        kp_buf_printf(out, "\\n-> {%s}", GSTR(g, g->vars[s->var].name));
    kp_buf_puts(out, "\"");
    if (si == g->home)
        kp_buf_puts(out, ", style=bold");
    if (s->flags & MF_SENSITIVE)
        kp_buf_puts(out, ", color=red");
    kp_buf_puts(out, "];\n");
}

int menu_graph_dot(const struct menu_graph *g, struct kp_buf *out)
{
    size_t start = out->len;

    kp_buf_printf(out,
                  "digraph menu {\n  // kpass menu graph %s\n  rankdir=LR;\n"
                  "  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", "
                  "fontsize=10];\n",
                  g->version);
    for (uint32_t si = 0; si < g->nscreens; si++)
        dot_node(out, g, si);
    for (uint32_t si = 0; si < g->nscreens; si++) {
        const struct menu_screen_def *s = &g->screens[si];
        for (uint32_t i = s->opt; i < s->opt + s->nopt; i++) {
            const struct menu_option *o = &g->options[i];
            dot_edge(out, g, si, &o->edge);
            if (o->is_list)
                kp_buf_printf(out, "list %s() as %s", GSTR(g, g->calls[o->call].name),
                              GSTR(g, g->vars[o->list_var].name));
            else {
                kp_buf_printf(out, "%s ", o->key);
                dot_tpl(out, g, g->texts[o->text].tpl[MENU_LANG_EN], DOT_LABEL_MAX);
            }
            dot_sets(out, g, &o->edge);
        }
        if (s->kind == MK_INPUT && s->has_next) {
            dot_edge(out, g, si, &s->next);
            kp_buf_printf(out, "%s", GSTR(g, g->vars[s->var].name));
            dot_sets(out, g, &s->next);
        }
        for (uint32_t b = s->br; b < s->br + s->nbr; b++) {
            const struct menu_branch *br = &g->branches[b];
            dot_edge(out, g, si, &br->edge);
            if (br->key != MENU_NONE)
                kp_buf_puts(out, GSTR(g, br->key));
            for (uint32_t k = br->cond; br->key == MENU_NONE && k < br->cond + br->ncond; k++) {
                if (k > br->cond)
                    kp_buf_puts(out, " and ");
                dot_cond(out, g, &g->conds[k]);
            }
            dot_sets(out, g, &br->edge);
        }
        if (s->has_else) {
            dot_edge(out, g, si, &s->other);
            kp_buf_puts(out, "else");
            dot_sets(out, g, &s->other);
        }
    }
    kp_buf_puts(out, "}\n");
    return (int)(out->len - start);
}
