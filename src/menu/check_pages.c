/* SPDX-License-Identifier: ISC */
/*
 * The checker's page-length pass: every shown screen is laid out in every
 * language the menus use, with its static texts (variables empty: run-time
 * data is paginated or cut safely by the renderer), with and without each
 * error line it can show, page after page; anything the page builder had
 * to cut is an error.  A screen is GSM 7-bit when all of it fits the GSM
 * 03.38 alphabet, else UCS-2 (3GPP TS 23.038), each with its own limit.
 * The system screens (resume prompt, expired, error) are checked too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

struct pages {
    struct menu_cc *cc;
    struct menu_graph *g;
    enum menu_lang lang;
    struct kp_buf header, notice, lines, page, more, back, home, top;
    const char **items;
    size_t *item_len;
    uint32_t *item_opt;
    size_t nitems, cap;
};

static unsigned cap_for(const struct pages *p, enum text_enc enc)
{
    return enc == TEXT_GSM7 ? p->cc->opts->limits.gsm7 : p->cc->opts->limits.ucs2;
}

/*
 * Lay out every page of in; report the first cut.  Returns 1 when
 * something did not fit.
 */
static int pages_walk(struct pages *p, struct menu_page_in *in, struct menu_loc loc,
                      const char *what)
{
    struct menu_page_out res;
    const char *lang = menu_lang_name(p->lang);
    const char *encname;
    unsigned guard = 0;

    in->enc = menu_page_enc(in);
    in->cap = cap_for(p, in->enc);
    encname = in->enc == TEXT_GSM7 ? "GSM 7-bit" : "UCS-2";
    in->pos = 0;
    do {
        kp_buf_reset(&p->page);
        menu_page_build(in, &p->page, &res);
        if (res.truncated) {
            if (res.cut_item != MENU_NONE && p->item_opt) {
                const struct menu_option *o = &p->g->options[p->item_opt[res.cut_item]];
                menu_diag(p->cc, o->loc,
                          "option %s of %s does not fit on one %s page of %u %s "
                          "units with the navigation lines",
                          o->key, what, lang, in->cap, encname);
            } else {
                menu_diag(p->cc, loc, "%s does not fit on one %s page of %u %s units", what, lang,
                          in->cap, encname);
            }
            return 1;
        }
        in->pos = res.next;
    } while (res.next != MENU_NONE && ++guard < 10000);
    return 0;
}

static void pages_items(struct pages *p, uint32_t si)
{
    struct menu_graph *g = p->g;
    const struct menu_screen_def *s = &g->screens[si];
    size_t offs[128];

    kp_buf_reset(&p->lines);
    p->nitems = 0;
    for (uint32_t i = s->opt; i < s->opt + s->nopt && p->nitems < 128; i++) {
        const struct menu_option *o = &g->options[i];
        if (o->is_list)
            continue;
        size_t start = p->lines.len;
        kp_buf_puts(&p->lines, o->key);
        kp_buf_putc(&p->lines, ' ');
        menu_tpl_render(g, menu_text_tpl(g, o->text, p->lang), NULL, NULL, &p->lines);
        p->items = kp_grow(p->items, &p->cap, p->nitems + 1, sizeof(*p->items));
        p->item_len = kp_realloc(p->item_len, p->cap * sizeof(*p->item_len));
        p->item_opt = kp_realloc(p->item_opt, p->cap * sizeof(*p->item_opt));
        offs[p->nitems] = start;
        p->item_len[p->nitems] = p->lines.len - start;
        p->item_opt[p->nitems] = i;
        p->nitems++;
    }
    for (size_t i = 0; i < p->nitems; i++)
        p->items[i] = p->lines.data + offs[i];
}

/* One screen in one language: plain, then with each error line it can show. */
static void pages_screen(struct pages *p, uint32_t si)
{
    struct menu_graph *g = p->g;
    const struct menu_screen_def *s = &g->screens[si];
    const char *name = GSTR(g, s->name);
    struct menu_page_in in;
    char what[128];

    kp_buf_reset(&p->header);
    menu_tpl_render(g, menu_text_tpl(g, s->text, p->lang), NULL, NULL, &p->header);
    kp_buf_reset(&p->top);
    if (s->header != MENU_NONE)
        menu_header_line(g, menu_text_tpl(g, s->header, p->lang), NULL, NULL, &p->top);
    pages_items(p, si);
    memset(&in, 0, sizeof(in));
    in.header = p->header.data;
    in.header_len = p->header.len;
    in.top = p->top.len ? p->top.data : NULL;
    in.top_len = p->top.len;
    in.items = p->items;
    in.item_len = p->item_len;
    in.nitems = p->nitems;
    in.more = p->more.data;
    in.back = s->kind != MK_END ? p->back.data : NULL;
    in.home = s->kind == MK_INFO && si != g->home ? p->home.data : NULL;
    snprintf(what, sizeof(what), "screen '%s'", name);
    if (pages_walk(p, &in, s->text_loc.file != MENU_NONE ? s->text_loc : s->loc, what))
        return;
    if (s->kind == MK_MENU || s->kind == MK_INFO) {
        kp_buf_reset(&p->notice);
        menu_sys_render(g, MS_INVALID, p->lang, &p->notice);
        in.notice = p->notice.data;
        in.notice_len = p->notice.len;
        snprintf(what, sizeof(what), "screen '%s' with the 'invalid' line", name);
        pages_walk(p, &in, s->loc, what);
    } else if (s->kind == MK_INPUT) {
        for (uint32_t i = s->chk; i <= s->chk + s->nchk; i++) {
            kp_buf_reset(&p->notice);
            if (i == s->chk + s->nchk)
                menu_sys_render(g, MS_INVALID_INPUT, p->lang, &p->notice);
            else if (g->checks[i].text != MENU_NONE)
                menu_tpl_render(g, menu_text_tpl(g, g->checks[i].text, p->lang), NULL, NULL,
                                &p->notice);
            else
                continue;
            in.notice = p->notice.data;
            in.notice_len = p->notice.len;
            snprintf(what, sizeof(what), "screen '%s' with its error text", name);
            if (pages_walk(p, &in, i < s->chk + s->nchk ? g->checks[i].loc : s->loc, what))
                return;
        }
    }
}

/* The resume prompt and the final system screens, one page each. */
static void pages_system(struct pages *p)
{
    struct menu_graph *g = p->g;
    struct menu_page_in in;
    const enum menu_sys finals[] = {MS_EXPIRED, MS_ERROR, MS_NO_SERVICE};
    static const char *const what[] = {"the 'expired' text", "the 'error' text",
                                       "the 'no_service' text"};
    size_t offs[2];

    memset(&in, 0, sizeof(in));
    kp_buf_reset(&p->header);
    menu_sys_render(g, MS_RESUME, p->lang, &p->header);
    kp_buf_reset(&p->lines);
    offs[0] = 0;
    kp_buf_puts(&p->lines, "1 ");
    menu_sys_render(g, MS_CONTINUE, p->lang, &p->lines);
    offs[1] = p->lines.len;
    kp_buf_puts(&p->lines, "2 ");
    menu_sys_render(g, MS_RESTART, p->lang, &p->lines);
    const char *items[2] = {p->lines.data, p->lines.data + offs[1]};
    size_t lens[2] = {offs[1], p->lines.len - offs[1]};
    in.header = p->header.data;
    in.header_len = p->header.len;
    in.items = items;
    in.item_len = lens;
    in.nitems = 2;
    kp_buf_reset(&p->notice);
    menu_sys_render(g, MS_INVALID, p->lang, &p->notice);
    in.notice = p->notice.data;
    in.notice_len = p->notice.len;
    uint32_t *saved = p->item_opt;
    p->item_opt = NULL;
    pages_walk(p, &in, p->cc->sys_loc[MS_RESUME], "the resume prompt");
    for (size_t i = 0; i < KP_ARRAY_LEN(finals); i++) {
        memset(&in, 0, sizeof(in));
        kp_buf_reset(&p->header);
        menu_sys_render(g, finals[i], p->lang, &p->header);
        in.header = p->header.data;
        in.header_len = p->header.len;
        pages_walk(p, &in, p->cc->sys_loc[finals[i]], what[i]);
    }
    p->item_opt = saved;
}

/* Languages with at least one variant anywhere (en always). */
static unsigned langs_used(const struct menu_graph *g)
{
    unsigned mask = 1u << MENU_LANG_EN;

    for (uint32_t t = 0; t < g->ntexts; t++)
        for (int l = 0; l < MENU_LANG_MAX; l++)
            if (g->texts[t].tpl[l] != MENU_NONE)
                mask |= 1u << l;
    return mask;
}

void menu_check_pages(struct menu_cc *cc, const uint8_t *reach)
{
    struct menu_graph *g = cc->g;
    struct pages p;
    unsigned langs = langs_used(g);

    memset(&p, 0, sizeof(p));
    p.cc = cc;
    p.g = g;
    for (int l = 0; l < MENU_LANG_MAX; l++) {
        if (!(langs & (1u << l)))
            continue;
        p.lang = (enum menu_lang)l;
        menu_nav_line(g, MS_MORE, p.lang, &p.more);
        menu_nav_line(g, MS_BACK, p.lang, &p.back);
        menu_nav_line(g, MS_HOME, p.lang, &p.home);
        pages_system(&p);
        for (uint32_t si = 0; si < g->nscreens; si++) {
            enum menu_kind k = g->screens[si].kind;
            if (reach[si] && k != MK_ACTION && k != MK_ROUTER && k != MK_APP)
                pages_screen(&p, si);
        }
    }
    kp_buf_free(&p.header);
    kp_buf_free(&p.notice);
    kp_buf_free(&p.lines);
    kp_buf_free(&p.page);
    kp_buf_free(&p.more);
    kp_buf_free(&p.back);
    kp_buf_free(&p.home);
    kp_buf_free(&p.top);
    free(p.items);
    free(p.item_len);
    free(p.item_opt);
}
