/* SPDX-License-Identifier: ISC */
/*
 * Pages kept between hops.  Most screens a caller walks through (home,
 * the departments, the help text) hold no variable and no list: their
 * pages are a function of the graph, the language, the page's position,
 * whether "0 Back" is shown and the partner's limits.  Such a page is
 * laid out once (units counted, the encoding chosen, the pages balanced)
 * and copied on the next hop that shows it.  The key holds the graph's
 * digest, so pages of a graph that a reload replaced are never shown
 * again; a screen with a variable, a list or a notice line (an error) is
 * laid out every time, as before.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "menu_internal.h"

/* Has template tpl a variable? */
static int tpl_has_var(const struct menu_graph *g, uint32_t tpl)
{
    if (tpl == MENU_NONE)
        return 0;
    for (uint32_t i = g->tpls[tpl].first; i < g->tpls[tpl].first + g->tpls[tpl].n; i++)
        if (g->segs[i].var != MENU_NONE)
            return 1;
    return 0;
}

/* Is screen s, in lang, made of static texts only? */
static int screen_fixed(const struct menu_graph *g, const struct menu_screen_def *s,
                        enum menu_lang lang)
{
    if ((s->kind != MK_MENU && s->kind != MK_INFO && s->kind != MK_INPUT && s->kind != MK_END) ||
        s->has_list)
        return 0;
    if (tpl_has_var(g, menu_text_tpl(g, s->text, lang)) ||
        tpl_has_var(g, menu_text_tpl(g, s->header, lang)))
        return 0;
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++)
        if (g->options[i].is_list || tpl_has_var(g, menu_text_tpl(g, g->options[i].text, lang)))
            return 0;
    return 1;
}

void menu_fixed_mark(struct menu_graph *g)
{
    for (size_t i = 0; i < g->nscreens; i++) {
        struct menu_screen_def *s = &g->screens[i];
        s->fixed = 0;
        for (int l = 0; l < MENU_LANG_MAX; l++)
            if (screen_fixed(g, s, (enum menu_lang)l))
                s->fixed |= (uint8_t)(1u << l);
    }
}

void menu_memo_free(struct menu_scratch *sc)
{
    if (sc->memo == NULL)
        return;
    for (size_t i = 0; i < MENU_MEMO_SLOTS; i++)
        kp_buf_free(&sc->memo[i].text);
    free(sc->memo);
    sc->memo = NULL;
}

int menu_memo_on(const struct menu_hop *h)
{
    const struct menu_state *st = h->st;

    return !h->sc->no_memo && (h->g->screens[st->screen].fixed >> st->lang & 1);
}

/* The slot of the hop's page (screen, position, language, "0 Back"). */
static struct menu_memo *memo_slot(struct menu_hop *h, int back)
{
    const struct menu_state *st = h->st;
    uint32_t k = st->screen * 2654435761u ^ st->pos * 40503u ^ (uint32_t)st->lang << 1 ^
                 (uint32_t)(back != 0);

    unsigned n = h->sc->memo_slots;

    if (n == 0 || n > MENU_MEMO_SLOTS)
        n = MENU_MEMO_SLOTS;
    if (h->sc->memo == NULL)
        h->sc->memo = kp_calloc(MENU_MEMO_SLOTS, sizeof(*h->sc->memo));
    return &h->sc->memo[(k ^ k >> 16) % n];
}

int menu_memo_get(struct menu_hop *h, int back)
{
    const struct menu_state *st = h->st;
    const struct menu_limits *lim = &h->env->limits;
    const struct menu_memo *m = memo_slot(h, back);

    if (!m->used || m->screen != st->screen || m->pos != st->pos || m->lang != st->lang ||
        m->back != (back != 0) || m->gsm7 != lim->gsm7 || m->ucs2 != lim->ucs2 ||
        memcmp(m->digest, h->g->digest, MENU_VERSION_LEN) != 0)
        return -1;
    kp_buf_reset(&h->out->text);
    kp_buf_append(&h->out->text, m->text.data, m->text.len);
    h->out->enc = m->enc;
    h->out->units = m->units;
    h->st->next = m->next;
    return 0;
}

void menu_memo_put(struct menu_hop *h, int back, uint32_t pos)
{
    const struct menu_state *st = h->st;
    struct menu_memo *m;

    if (st->pos != pos)
        return; /* the position was past the screen's end: the builder started over */
    m = memo_slot(h, back);
    memcpy(m->digest, h->g->digest, MENU_VERSION_LEN);
    m->screen = st->screen;
    m->pos = pos;
    m->lang = st->lang;
    m->back = back != 0;
    m->gsm7 = h->env->limits.gsm7;
    m->ucs2 = h->env->limits.ucs2;
    m->next = st->next;
    m->enc = h->out->enc;
    m->units = h->out->units;
    kp_buf_reset(&m->text);
    kp_buf_append(&m->text, h->out->text.data, h->out->text.len);
    m->used = 1;
}
