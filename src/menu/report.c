/* SPDX-License-Identifier: ISC */
/*
 * The report behind `kpass menu check`: for every shown screen and every
 * language, the pages it needs, its longest page in units of its encoding,
 * the options each page shows, and the texts without a variant in that
 * language.  Screens a caller reaches from home by choosing options (list
 * items included) are measured by walking the engine itself with the
 * caller's built-ins, so lists are as long as the data makes them; the
 * rest (behind an input or an action) with their static texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

/* Walks to one screen: enough for every district of every kind of office
   and of every service's offices in the seed (fewer walks hid the
   "Every office" list of Peshawar's 26 offices from the page goals). */
#define REP_WALKS_PER_SCREEN 2500   /* dialogs walked to one screen in one language */
#define REP_WALKS_MAX        250000 /* dialogs in one language */
#define REP_PAGES_MAX        30     /* pages turned in one walk */
#define REP_STEPS_MAX        48     /* bytes of a dialled path "2*13*4" */

size_t menu_graph_home(const struct menu_graph *g)
{
    return g->home;
}

const char *menu_graph_screen_file(const struct menu_graph *g, size_t i)
{
    if (i >= g->nscreens || g->screens[i].loc.file >= g->nfiles)
        return NULL;
    return GSTR(g, g->files[g->screens[i].loc.file]);
}

/* What one layout of a screen gave (static or walked). */
struct rep_measure {
    unsigned pages, longest, cap, options, fewest, thin;
    enum text_enc enc;
};

static void measure_page(struct rep_measure *m, unsigned units, unsigned cap, enum text_enc enc,
                         unsigned opts)
{
    m->pages++;
    if (units > m->longest || m->pages == 1) {
        m->longest = units;
        m->cap = cap;
        m->enc = enc;
    }
    if (opts && (m->fewest == 0 || opts < m->fewest))
        m->fewest = opts;
}

/* Fold measure m into row (the worst of every walk). */
static void row_fold(struct menu_report_row *row, const struct rep_measure *m, int walked)
{
    if (m->pages > row->pages)
        row->pages = m->pages;
    if (m->longest > row->longest || row->cap == 0) {
        row->longest = m->longest;
        row->cap = m->cap;
        row->enc = m->enc;
    }
    if (m->options > row->options)
        row->options = m->options;
    if (m->fewest && (row->fewest == 0 || m->fewest < row->fewest))
        row->fewest = m->fewest;
    if (m->thin > row->thin_pages)
        row->thin_pages = m->thin;
    row->walks += walked;
}

/* ---- static layout: the checker's view, variables empty ---- */

struct rep_static {
    const struct menu_graph *g;
    const struct menu_env *env;
    struct kp_buf header, lines, page, more, back, home, top;
    const char **items;
    size_t *item_len, cap;
};

static void static_screen(struct rep_static *r, uint32_t si, enum menu_lang lang,
                          struct rep_measure *m)
{
    const struct menu_graph *g = r->g;
    const struct menu_screen_def *s = &g->screens[si];
    struct menu_page_in in;
    struct menu_page_out res;
    size_t offs[128], n = 0;

    kp_buf_reset(&r->header);
    menu_tpl_render(g, menu_text_tpl(g, s->text, lang), NULL, NULL, &r->header);
    kp_buf_reset(&r->top);
    if (s->header != MENU_NONE)
        menu_header_line(g, menu_text_tpl(g, s->header, lang), NULL, NULL, &r->top);
    kp_buf_reset(&r->lines);
    for (uint32_t i = s->opt; i < s->opt + s->nopt && n < 128; i++) {
        const struct menu_option *o = &g->options[i];
        if (o->is_list)
            continue;
        offs[n] = r->lines.len;
        kp_buf_puts(&r->lines, o->key);
        kp_buf_putc(&r->lines, ' ');
        menu_tpl_render(g, menu_text_tpl(g, o->text, lang), NULL, NULL, &r->lines);
        r->items = kp_grow(r->items, &r->cap, n + 1, sizeof(*r->items));
        r->item_len = kp_realloc(r->item_len, r->cap * sizeof(*r->item_len));
        r->item_len[n] = r->lines.len - offs[n];
        n++;
    }
    for (size_t i = 0; i < n; i++)
        r->items[i] = r->lines.data + offs[i];
    memset(&in, 0, sizeof(in));
    in.header = r->header.data;
    in.header_len = r->header.len;
    in.top = r->top.len ? r->top.data : NULL;
    in.top_len = r->top.len;
    in.items = r->items;
    in.item_len = r->item_len;
    in.nitems = n;
    in.more = r->more.data;
    in.back = s->kind != MK_END && si != g->home ? r->back.data : NULL;
    in.home = s->kind == MK_INFO && si != g->home ? r->home.data : NULL;
    in.enc = menu_page_enc(&in);
    in.cap = in.enc == TEXT_GSM7 ? r->env->limits.gsm7 : r->env->limits.ucs2;
    memset(m, 0, sizeof(*m));
    m->options = (unsigned)n;
    for (unsigned guard = 0; guard < REP_PAGES_MAX; guard++) {
        size_t from = in.pos, end = in.header_len + n, to;
        kp_buf_reset(&r->page);
        menu_page_build(&in, &r->page, &res);
        to = res.next == MENU_NONE ? end : res.next;
        unsigned shown =
            to > in.header_len ? (unsigned)(to - (from > in.header_len ? from : in.header_len)) : 0;
        measure_page(m, res.units, in.cap, in.enc, shown);
        if (n >= 2 && shown < 2)
            m->thin++;
        if (res.next == MENU_NONE)
            break;
        in.pos = res.next;
    }
}

/* ---- walked layout: the engine with the caller's data ---- */

/* Option lines of a rendered page: lines equal to one of the screen's
   option lines (sc holds them after the hop), so that a text line that
   happens to start with a number ("2 photos") is not one. */
static unsigned page_options(const char *text, size_t len, const struct menu_scratch *sc)
{
    unsigned n = 0;
    const char *p = text, *end = text + len;

    while (sc && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = (size_t)((nl ? nl : end) - p);
        for (size_t i = 0; i < sc->nitems; i++)
            if (sc->item_len[i] == l && memcmp(sc->items[i], p, l) == 0) {
                n++;
                break;
            }
        p += l + 1;
    }
    return n;
}

struct rep_walk {
    const struct menu_graph *g;
    const struct menu_env *env;
    int (*pure)(const char *builtin); /* may the walk run this action? NULL: none */
    struct menu_state *st;
    struct menu_screen scr;
    char (*queue)[REP_STEPS_MAX];
    uint32_t *qscreen;
    size_t qhead, qtail, qcap;
    unsigned *count; /* walks per screen */
};

/* Queue the walk steps*key to screen target (MENU_NONE: wherever an action
   leads), counted against screen counted. */
static void walk_push(struct rep_walk *w, const char *steps, const char *key, uint32_t target,
                      uint32_t counted)
{
    char buf[REP_STEPS_MAX];
    int n = snprintf(buf, sizeof(buf), "%s%s%s", steps, steps[0] ? "*" : "", key);

    if (n < 0 || (size_t)n >= sizeof(buf) || w->count[counted] >= REP_WALKS_PER_SCREEN ||
        w->qtail >= REP_WALKS_MAX)
        return;
    w->count[counted]++;
    if (w->qtail == w->qcap) {
        size_t cap = w->qcap;
        w->queue = kp_grow(w->queue, &cap, w->qtail + 1, sizeof(*w->queue));
        w->qscreen = kp_realloc(w->qscreen, cap * sizeof(*w->qscreen));
        w->qcap = cap;
    }
    memcpy(w->queue[w->qtail], buf, (size_t)n + 1);
    w->qscreen[w->qtail++] = target;
}

static int shown_kind(enum menu_kind k)
{
    return k == MK_MENU || k == MK_INPUT || k == MK_INFO || k == MK_END;
}

/*
 * May the walk go into action screen t?  Only when its built-in only reads
 * (the caller says which: a look-up, never a code or an SMS, whatever
 * database the check runs on) and every way out of it shows a screen, so
 * that nothing else runs on the way.
 */
static int walk_action_ok(const struct rep_walk *w, uint32_t t)
{
    const struct menu_graph *g = w->g;
    const struct menu_screen_def *s = &g->screens[t];
    uint32_t b;

    if (s->kind != MK_ACTION || w->pure == NULL || s->call == MENU_NONE ||
        (b = g->calls[s->call].builtin) == MENU_NONE || !w->pure(GSTR(g, g->bis[b].name)))
        return 0;
    for (uint32_t i = s->br; i < s->br + s->nbr; i++)
        if (!shown_kind(g->screens[g->branches[i].edge.target].kind))
            return 0;
    return !s->has_else || shown_kind(g->screens[s->other.target].kind);
}

/* Walk steps; measure every page of the screen reached; queue its options. */
static void walk_one(struct rep_walk *w, enum menu_lang lang, size_t q,
                     struct menu_report_row *rows)
{
    const struct menu_graph *g = w->g;
    uint32_t want = w->qscreen[q];
    char steps[REP_STEPS_MAX];
    unsigned per_page[REP_PAGES_MAX];
    struct rep_measure m;

    memcpy(steps, w->queue[q], sizeof(steps));
    /* a path that changed the language (the language screen) measures another one */
    if (menu_dialog_begin(g, w->env, w->st, lang, steps, &w->scr) < 0 || w->st->lang != lang ||
        w->scr.end || (want != MENU_NONE && w->st->screen != want))
        return;
    want = w->st->screen; /* where an action led */
    memset(&m, 0, sizeof(m));
    for (unsigned guard = 0; guard < REP_PAGES_MAX; guard++) {
        const struct menu_screen *s = &w->scr;
        unsigned cap = s->enc == TEXT_GSM7 ? w->env->limits.gsm7 : w->env->limits.ucs2;
        const struct menu_scratch *sc = s->scratch;
        unsigned opts = g->screens[want].kind == MK_MENU && sc && sc->loaded == want
                            ? page_options(s->text.data, s->text.len, sc)
                            : 0;
        per_page[guard] = opts;
        measure_page(&m, s->units, cap, s->enc, opts);
        if (m.options < opts)
            m.options = opts;
        if (w->st->next == MENU_NONE || w->st->screen != want)
            break;
        if (menu_dialog_input(g, w->env, w->st, "98", 2, &w->scr) < 0)
            break;
    }
    /* the screen's own options, all pages: the scratch holds them */
    const struct menu_scratch *sc = w->scr.scratch;
    if (g->screens[want].kind == MK_MENU && sc && sc->loaded == want) {
        m.options = (unsigned)sc->nitems;
        for (size_t i = 0; i < sc->nitems; i++) {
            uint32_t t = g->options[sc->item_opt[i]].edge.target;
            enum menu_kind k = t < g->nscreens ? g->screens[t].kind : MK_ROUTER;
            if (k == MK_MENU || k == MK_INFO || k == MK_END)
                walk_push(w, steps, sc->keys[i], t, t);
            else if (k == MK_ACTION && walk_action_ok(w, t))
                walk_push(w, steps, sc->keys[i], MENU_NONE, t);
        }
    }
    /* pages of fewer than 2 options, once the screen's options are counted */
    for (unsigned i = 0; i < m.pages && m.options >= 2; i++)
        m.thin += per_page[i] < 2;
    row_fold(&rows[(size_t)want * MENU_LANG_MAX + lang], &m, 1);
}

static void walk_lang(struct rep_walk *w, enum menu_lang lang, struct menu_report_row *rows)
{
    memset(w->count, 0, w->g->nscreens * sizeof(*w->count));
    w->qhead = w->qtail = 0;
    walk_push(w, "", "", w->g->home, w->g->home);
    while (w->qhead < w->qtail)
        walk_one(w, lang, w->qhead++, rows);
}

/* ---- missing variants ---- */

/* Does text t need a variant in lang?  Its English has a Latin letter outside
   variables ("English" does; "{dept_name}" and "اردو" do not). */
static int text_missing(const struct menu_graph *g, uint32_t t, enum menu_lang lang)
{
    struct kp_buf en = KP_BUF_INIT;
    int latin = 0;

    if (t == MENU_NONE || lang == MENU_LANG_EN || g->texts[t].tpl[lang] != MENU_NONE)
        return 0;
    menu_tpl_render(g, g->texts[t].tpl[MENU_LANG_EN], NULL, NULL, &en);
    for (size_t i = 0; i < en.len && !latin; i++)
        latin =
            (en.data[i] >= 'a' && en.data[i] <= 'z') || (en.data[i] >= 'A' && en.data[i] <= 'Z');
    kp_buf_free(&en);
    return latin;
}

static void missing_line(const struct menu_graph *g, uint32_t t, const char *what,
                         enum menu_lang lang, struct kp_buf *out)
{
    const struct menu_text *x = &g->texts[t];
    struct kp_buf en = KP_BUF_INIT;

    menu_tpl_render(g, x->tpl[MENU_LANG_EN], NULL, NULL, &en);
    for (size_t i = 0; i < en.len; i++)
        if (en.data[i] == '\n')
            en.data[i] = '/'; /* one line per text */
    kp_buf_printf(out, "%s:%u:%u: %s: no '%s' variant of \"%.40s%s\"\n",
                  x->loc.file < g->nfiles ? GSTR(g, g->files[x->loc.file]) : "menu", x->loc.line,
                  x->loc.col, what, menu_lang_name(lang), en.data ? en.data : "",
                  en.len > 40 ? "..." : "");
    kp_buf_free(&en);
}

unsigned menu_report_missing(const struct menu_graph *g, size_t screen, enum menu_lang lang,
                             struct kp_buf *out)
{
    unsigned n = 0;
    char what[96];

    if (screen == (size_t)-1) {
        for (int s = 0; s < MS__COUNT; s++) {
            snprintf(what, sizeof(what), "system text '%s'", menu_sys_name((enum menu_sys)s));
            if (lang == MENU_LANG_EN)
                continue;
            if (g->sys[s] == MENU_NONE) {
                if (out)
                    kp_buf_printf(out, "menu: %s: not defined, no '%s' variant\n", what,
                                  menu_lang_name(lang));
                n++;
            } else if (text_missing(g, g->sys[s], lang)) {
                if (out)
                    missing_line(g, g->sys[s], what, lang, out);
                n++;
            }
        }
        return n;
    }
    if (screen >= g->nscreens)
        return 0;
    const struct menu_screen_def *s = &g->screens[screen];
    snprintf(what, sizeof(what), "screen '%s'", GSTR(g, s->name));
    uint32_t texts[1 + 128];
    size_t nt = 0;
    texts[nt++] = s->text;
    texts[nt++] = s->header;
    for (uint32_t i = s->opt; i < s->opt + s->nopt && nt < 65; i++)
        if (!g->options[i].is_list)
            texts[nt++] = g->options[i].text;
    for (uint32_t i = s->chk; i < s->chk + s->nchk && nt < KP_ARRAY_LEN(texts); i++)
        texts[nt++] = g->checks[i].text;
    for (size_t i = 0; i < nt; i++) {
        if (text_missing(g, texts[i], lang)) {
            if (out)
                missing_line(g, texts[i], what, lang, out);
            n++;
        }
    }
    return n;
}

/* ---- the report ---- */

int menu_graph_report(const struct menu_graph *g, const struct menu_env *env,
                      int (*pure)(const char *builtin), struct menu_report *out)
{
    size_t nrows = g->nscreens * MENU_LANG_MAX;
    struct menu_report_row *rows = kp_calloc(nrows ? nrows : 1, sizeof(*rows));
    struct rep_static r;
    struct rep_walk w;
    struct rep_measure m;

    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    memset(&w, 0, sizeof(w));
    r.g = w.g = g;
    r.env = w.env = env;
    w.pure = pure;
    w.st = menu_state_new();
    menu_scratch_get(&w.scr)->no_memo = 1; /* walk_one reads the items each page loaded */
    w.count = kp_calloc(g->nscreens + 1, sizeof(*w.count));
    for (int l = 0; l < MENU_LANG_MAX; l++) {
        enum menu_lang lang = (enum menu_lang)l;
        menu_nav_line(g, MS_MORE, lang, &r.more);
        menu_nav_line(g, MS_BACK, lang, &r.back);
        menu_nav_line(g, MS_HOME, lang, &r.home);
        if (g->home != MENU_NONE)
            walk_lang(&w, lang, rows);
        for (uint32_t si = 0; si < g->nscreens; si++) {
            struct menu_report_row *row = &rows[(size_t)si * MENU_LANG_MAX + l];
            row->screen = si;
            row->lang = lang;
            row->missing = menu_report_missing(g, si, lang, NULL);
            if (row->walks)
                continue;
            static_screen(&r, si, lang, &m);
            row_fold(row, &m, 0);
        }
        out->sys_missing[l] = menu_report_missing(g, (size_t)-1, lang, NULL);
    }
    /* keep the shown screens */
    for (size_t i = 0; i < nrows; i++) {
        enum menu_kind k = g->screens[rows[i].screen].kind;
        if (k != MK_ACTION && k != MK_ROUTER)
            rows[out->nrows++] = rows[i];
    }
    out->rows = rows;
    menu_state_free(w.st);
    menu_screen_free(&w.scr);
    free(w.queue);
    free(w.qscreen);
    free(w.count);
    kp_buf_free(&r.header);
    kp_buf_free(&r.lines);
    kp_buf_free(&r.page);
    kp_buf_free(&r.more);
    kp_buf_free(&r.back);
    kp_buf_free(&r.home);
    kp_buf_free(&r.top);
    free(r.items);
    free(r.item_len);
    return 0;
}

void menu_report_free(struct menu_report *r)
{
    if (r == NULL)
        return;
    free(r->rows);
    memset(r, 0, sizeof(*r));
}
