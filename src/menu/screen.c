/* SPDX-License-Identifier: ISC */
/*
 * Assembling the screen a dialog is on for one hop: its text with the
 * dialog's variables, its option lines (static ones, then a list built-in's
 * items, numbered 1, 2, ... skipping explicit keys and 98), the navigation
 * lines, the encoding (GSM 7-bit when everything fits GSM 03.38, else
 * UCS-2) and the page at the state's position.  The page builder itself is
 * in render.c.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

static const char *hop_lookup(void *ctx, uint32_t var, size_t *len)
{
    struct menu_hop *h = ctx;
    const char *v;

    if (var == MENU_VAR_LANG) {
        v = menu_lang_name((enum menu_lang)h->st->lang);
        *len = strlen(v);
        return v;
    }
    return menu_state_value(h->st, var, len);
}

void menu_hop_tpl(struct menu_hop *h, uint32_t tpl, struct kp_buf *out)
{
    menu_tpl_render(h->g, tpl, hop_lookup, h, out);
}

void menu_hop_text(struct menu_hop *h, uint32_t text, struct kp_buf *out)
{
    menu_hop_tpl(h, menu_text_tpl(h->g, text, (enum menu_lang)h->st->lang), out);
}

/* An option key (at most MENU_KEY_MAX - 1 characters) into dst. */
static void key_copy(char dst[MENU_KEY_MAX], const char *key)
{
    size_t n = strnlen(key, MENU_KEY_MAX - 1);

    memcpy(dst, key, n);
    dst[n] = '\0';
}

static void item_add(struct menu_scratch *sc, const char *key, const char *label, size_t len,
                     uint32_t opt, uint32_t val)
{
    size_t i = sc->nitems, cap = sc->cap_items;

    if (i + 1 > cap) {
        sc->items = kp_grow(sc->items, &sc->cap_items, i + 1, sizeof(*sc->items));
        sc->item_len = kp_realloc(sc->item_len, sc->cap_items * sizeof(*sc->item_len));
        sc->keys = kp_realloc(sc->keys, sc->cap_items * sizeof(*sc->keys));
        sc->item_opt = kp_realloc(sc->item_opt, sc->cap_items * sizeof(*sc->item_opt));
        sc->item_val = kp_realloc(sc->item_val, sc->cap_items * sizeof(*sc->item_val));
        sc->item_off = kp_realloc(sc->item_off, sc->cap_items * sizeof(*sc->item_off));
        sc->item_units = kp_realloc(sc->item_units, sc->cap_items * sizeof(*sc->item_units));
    }
    key_copy(sc->keys[i], key);
    sc->item_off[i] = sc->lines.len;
    menu_item_line(&sc->lines, key, label, len);
    sc->item_len[i] = sc->lines.len - sc->item_off[i];
    sc->item_opt[i] = opt;
    sc->item_val[i] = val;
    sc->nitems++;
}

/* Auto key 1..99 as its digits (the checker's "%u" of key % 100). */
static void key_format(char dst[MENU_KEY_MAX], unsigned key)
{
    key %= 100;
    if (key >= 10) {
        dst[0] = (char)('0' + key / 10);
        dst[1] = (char)('0' + key % 10);
        dst[2] = '\0';
    } else {
        dst[0] = (char)('0' + key);
        dst[1] = '\0';
    }
}

static uint32_t list_hash(const struct menu_result *r)
{
    uint32_t h = 2166136261u; /* FNV-1a over every label and value */

    for (size_t i = 0; i < r->nitems; i++) {
        const char *s[2] = {RSTR(r, r->items[i].a), RSTR(r, r->items[i].b)};
        for (int k = 0; k < 2; k++)
            for (const char *p = s[k];; p++) {
                h = (h ^ (uint8_t)*p) * 16777619u;
                if (*p == '\0')
                    break;
            }
    }
    return h;
}

/* The list's items, numbered after the static options. */
static int items_list(struct menu_hop *h, uint32_t oi, const uint8_t *used, size_t *n)
{
    const struct menu_option *o = &h->g->options[oi];
    struct menu_scratch *sc = h->sc;
    int rc = menu_call_run(h, o->call, &sc->res);

    if (rc < 0)
        return rc;
    menu_result_apply(h, &sc->res); /* before the title, which may use them */
    for (size_t k = 0; k < sc->res.nitems; k++) {
        unsigned key;
        char kbuf[MENU_KEY_MAX];
        do
            key = menu_auto_key(++*n);
        while (key && used[key]);
        if (key == 0)
            break; /* past 99: cannot be numbered */
        key_format(kbuf, key);
        const char *label = RSTR(&sc->res, sc->res.items[k].a);
        item_add(sc, kbuf, label, strlen(label), oi, sc->res.items[k].b);
    }
    sc->list_hash = list_hash(&sc->res);
    return 0;
}

int menu_items_load(struct menu_hop *h, uint32_t si)
{
    const struct menu_graph *g = h->g;
    const struct menu_screen_def *s = &g->screens[si];
    struct menu_scratch *sc = h->sc;
    uint8_t used[100] = {0};
    size_t n = 0;
    int rc = 0;

    if (sc->loaded == si)
        return 0;
    sc->nitems = 0;
    kp_buf_reset(&sc->lines);
    for (uint32_t i = s->opt; i < s->opt + s->nopt; i++)
        if (g->options[i].explicit_key)
            used[atoi(g->options[i].key)] = 1;
    for (uint32_t i = s->opt; i < s->opt + s->nopt && rc == 0; i++) {
        const struct menu_option *o = &g->options[i];
        if (o->is_list) {
            rc = items_list(h, i, used, &n);
            continue;
        }
        if (!o->explicit_key) /* keep the numbering in step with the checker's */
            do
                n++;
            while (menu_auto_key(n) && used[menu_auto_key(n)]);
        kp_buf_reset(&sc->tmp);
        menu_hop_text(h, o->text, &sc->tmp);
        item_add(sc, o->key, sc->tmp.data, sc->tmp.len, i, MENU_NONE);
    }
    for (size_t i = 0; i < sc->nitems; i++)
        sc->items[i] = sc->lines.data + sc->item_off[i];
    sc->loaded = rc == 0 ? si : MENU_NONE;
    return rc;
}

/*
 * The page's encoding (menu_page_enc's answer) and, for option lines that
 * are the scratch's, each line's units in it, counted once here instead
 * of at every fit the page builder tries: a line that GSM 7-bit cannot
 * hold fails text_units as it fails text_choose.
 */
static enum text_enc page_enc_units(struct menu_scratch *sc, struct menu_page_in *in)
{
    struct menu_page_in rest = *in;
    enum text_enc enc;
    int u;

    if (in->nitems == 0 || in->items != (const char *const *)sc->items)
        return menu_page_enc(in);
    rest.nitems = 0;
    enc = menu_page_enc(&rest);
    for (size_t i = 0; i < in->nitems && enc == TEXT_GSM7; i++) {
        if ((u = text_units(in->items[i], in->item_len[i], TEXT_GSM7)) < 0)
            enc = TEXT_UCS2;
        sc->item_units[i] = u < 0 ? 0 : (unsigned)u;
    }
    if (enc == TEXT_UCS2)
        for (size_t i = 0; i < in->nitems; i++) {
            u = text_units(in->items[i], in->item_len[i], TEXT_UCS2);
            sc->item_units[i] = u < 0 ? 0 : (unsigned)u;
        }
    in->item_units = sc->item_units;
    return enc;
}

void menu_render_page(struct menu_hop *h, struct menu_page_in *in, int more)
{
    struct menu_page_out res;
    const struct menu_limits *lim = &h->env->limits;

    in->more = more ? h->sc->more.data : NULL;
    in->enc = page_enc_units(h->sc, in);
    in->cap = in->enc == TEXT_GSM7 ? lim->gsm7 : lim->ucs2;
    in->pos = h->st->pos;
    kp_buf_reset(&h->out->text);
    menu_page_build(in, &h->out->text, &res);
    if (in->pos >= in->header_len + in->nitems)
        h->st->pos = 0; /* the builder started over */
    h->st->next = res.next;
    h->out->enc = in->enc;
    h->out->units = res.units;
}

int menu_render(struct menu_hop *h, const char *notice, size_t notice_len)
{
    const struct menu_graph *g = h->g;
    struct menu_state *st = h->st;
    const struct menu_screen_def *s = &g->screens[st->screen];
    struct menu_scratch *sc = h->sc;
    enum menu_lang lang = (enum menu_lang)st->lang;
    struct menu_page_in in;
    uint32_t pos;
    int rc, back, memo;

    if (s->kind == MK_APP) {
        /* Nothing to show: the caller asks the app (menu_screen.app). */
        size_t len = 0;
        const char *v = menu_state_value(st, g->app_text, &len);
        h->out->app = GSTR(g, s->app);
        kp_buf_append(&h->out->app_text, v ? v : "", v ? len : 0);
        st->flags &= (uint8_t) ~(MST_LIST | MST_RESUME);
        st->list_hash = 0;
        return 0;
    }
    back = s->kind != MK_END && st->nhist;
    memo = notice == NULL && menu_memo_on(h);
    if (memo && menu_memo_get(h, back) == 0)
        goto shown;
    memset(&in, 0, sizeof(in));
    if (s->kind == MK_MENU) {
        if ((rc = menu_items_load(h, st->screen)) < 0)
            return rc;
        in.items = sc->items;
        in.item_len = sc->item_len;
        in.nitems = sc->nitems;
    }
    kp_buf_reset(&sc->hdr);
    menu_hop_text(h, s->text, &sc->hdr);
    in.header = sc->hdr.data;
    in.header_len = sc->hdr.len;
    kp_buf_reset(&sc->top);
    if (s->header != MENU_NONE)
        menu_header_line(g, menu_text_tpl(g, s->header, lang), hop_lookup, h, &sc->top);
    in.top = sc->top.len ? sc->top.data : NULL;
    in.top_len = sc->top.len;
    in.notice = notice;
    in.notice_len = notice_len;
    menu_nav_line(g, MS_MORE, lang, &sc->more);
    menu_nav_line(g, MS_BACK, lang, &sc->back);
    menu_nav_line(g, MS_HOME, lang, &sc->home);
    in.back = back ? sc->back.data : NULL;
    in.home = s->kind == MK_INFO && st->screen != g->home ? sc->home.data : NULL;
    pos = st->pos;
    menu_render_page(h, &in, 1);
    if (memo)
        menu_memo_put(h, back, pos);
shown:
    st->flags &= (uint8_t) ~(MST_LIST | MST_RESUME);
    if (s->kind == MK_MENU && s->has_list) {
        st->flags |= MST_LIST;
        st->list_hash = sc->list_hash;
    } else {
        st->list_hash = 0;
    }
    if (s->kind == MK_END && st->next == MENU_NONE) {
        st->flags |= MST_ENDED;
        h->out->end = 1;
    }
    return 0;
}

int menu_render_resume(struct menu_hop *h, const char *notice, size_t notice_len)
{
    const struct menu_graph *g = h->g;
    struct menu_scratch *sc = h->sc;
    enum menu_lang lang = (enum menu_lang)h->st->lang;
    struct menu_page_in in;
    uint32_t pos = h->st->pos, next = h->st->next;

    memset(&in, 0, sizeof(in));
    kp_buf_reset(&sc->hdr);
    menu_sys_render(g, MS_RESUME, lang, &sc->hdr);
    sc->nitems = 0;
    sc->loaded = MENU_NONE;
    kp_buf_reset(&sc->lines);
    kp_buf_reset(&sc->tmp);
    menu_sys_render(g, MS_CONTINUE, lang, &sc->tmp);
    item_add(sc, "1", sc->tmp.data, sc->tmp.len, MENU_NONE, MENU_NONE);
    kp_buf_reset(&sc->tmp);
    menu_sys_render(g, MS_RESTART, lang, &sc->tmp);
    item_add(sc, "2", sc->tmp.data, sc->tmp.len, MENU_NONE, MENU_NONE);
    for (size_t i = 0; i < sc->nitems; i++)
        sc->items[i] = sc->lines.data + sc->item_off[i];
    in.header = sc->hdr.data;
    in.header_len = sc->hdr.len;
    in.items = sc->items;
    in.item_len = sc->item_len;
    in.nitems = sc->nitems;
    in.notice = notice;
    in.notice_len = notice_len;
    h->st->pos = 0;
    menu_render_page(h, &in, 0);
    /* the dialog's own page is kept for "1 Continue" */
    h->st->pos = pos;
    h->st->next = next;
    h->st->flags |= MST_RESUME;
    return 0;
}

int menu_render_final(struct menu_hop *h, enum menu_sys which)
{
    struct menu_scratch *sc = h->sc;
    struct menu_page_in in;

    memset(&in, 0, sizeof(in));
    kp_buf_reset(&sc->hdr);
    menu_sys_render(h->g, which, (enum menu_lang)h->st->lang, &sc->hdr);
    in.header = sc->hdr.data;
    in.header_len = sc->hdr.len;
    h->st->pos = 0;
    menu_render_page(h, &in, 0);
    h->st->next = MENU_NONE;
    h->st->flags |= MST_ENDED;
    h->out->end = 1;
    return 0;
}
