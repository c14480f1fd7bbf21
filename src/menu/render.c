/* SPDX-License-Identifier: ISC */
/*
 * Rendering: {var} templates, the language fallback, the system texts and
 * their English defaults, and the page builder that lays a screen out in
 * pages of at most the partner's limit (GSM 7-bit septets or UCS-2 units,
 * 3GPP TS 23.038): the text is split at a line break or space, options are
 * never cut, "98 More" / "0 Back" / "00 Home" lines are added.  Shared by
 * the engine (run-time pages) and the checker (every static page).
 *
 * A page position ("pos") is a byte offset into the header text while
 * below its length, then header length + the index of an option line.
 */
#include <stdio.h>
#include <string.h>

#include "kpass/text/text.h"
#include "menu_internal.h"

static const struct {
    const char *name;
    const char *text;
} sys_texts[MS__COUNT] = {
    [MS_MORE] = {"more", "More"},
    [MS_BACK] = {"back", "Back"},
    [MS_HOME] = {"home", "Home"},
    [MS_INVALID] = {"invalid", "Invalid choice"},
    [MS_INVALID_INPUT] = {"invalid_input", "Invalid input, please try again"},
    [MS_RESUME] = {"resume", "Continue where you left off?"},
    [MS_CONTINUE] = {"continue", "Continue"},
    [MS_RESTART] = {"restart", "Start again"},
    [MS_EXPIRED] = {"expired", "Your session has expired. Please dial again."},
    [MS_ERROR] = {"error", "Service unavailable. Please try again later."},
    [MS_NO_SERVICE] = {"no_service", "This code is not in service."},
};

const char *menu_sys_name(enum menu_sys s)
{
    return sys_texts[s].name;
}

const char *menu_sys_default(enum menu_sys s)
{
    return sys_texts[s].text;
}

uint32_t menu_text_tpl(const struct menu_graph *g, uint32_t text, enum menu_lang lang)
{
    if (text == MENU_NONE)
        return MENU_NONE;
    if (g->texts[text].tpl[lang] != MENU_NONE)
        return g->texts[text].tpl[lang];
    return g->texts[text].tpl[MENU_LANG_EN];
}

void menu_tpl_render(const struct menu_graph *g, uint32_t tpl, menu_var_fn lookup, void *ctx,
                     struct kp_buf *out)
{
    const struct menu_tpl *t;

    kp_buf_append(out, "", 0); /* allocated and NUL-terminated */
    if (tpl == MENU_NONE)
        return;
    t = &g->tpls[tpl];
    for (uint32_t i = t->first; i < t->first + t->n; i++) {
        const struct menu_seg *s = &g->segs[i];
        if (s->var == MENU_NONE) {
            kp_buf_append(out, GSTR(g, s->off), s->len);
        } else if (lookup) {
            size_t len = 0;
            const char *v = lookup(ctx, s->var, &len);
            if (v)
                kp_buf_append(out, v, len);
        }
    }
}

void menu_sys_render(const struct menu_graph *g, enum menu_sys s, enum menu_lang lang,
                     struct kp_buf *out)
{
    uint32_t tpl = menu_text_tpl(g, g->sys[s], lang);

    if (tpl == MENU_NONE)
        kp_buf_puts(out, sys_texts[s].text);
    else
        menu_tpl_render(g, tpl, NULL, NULL, out);
}

void menu_item_line(struct kp_buf *out, const char *key, const char *label, size_t len)
{
    kp_buf_puts(out, key);
    kp_buf_putc(out, ' ');
    kp_buf_append(out, label, len);
}

unsigned menu_auto_key(size_t n)
{
    if (n < 98)
        return (unsigned)n;
    return n == 98 ? 99 : 0;
}

/* ---- the page builder ---- */

struct page {
    const struct menu_page_in *in;
    struct kp_buf *out;
    unsigned used;
    unsigned lines;
};

static unsigned units_of(const struct menu_page_in *in, const char *s, size_t len)
{
    int u = text_units(s, len, in->enc);
    return u < 0 ? 0 : (unsigned)u;
}

/* Cost of one more line: its units plus the line break before it. */
static unsigned line_cost(const struct page *pg, unsigned units)
{
    return units + (pg->lines ? 1 : 0);
}

/* Units of option line i (counted by the caller once per page when given). */
static unsigned item_units_of(const struct menu_page_in *in, size_t i)
{
    return in->item_units ? in->item_units[i] : units_of(in, in->items[i], in->item_len[i]);
}

/* Add a line of u units. */
static void page_line_units(struct page *pg, const char *s, size_t len, unsigned u)
{
    pg->used += line_cost(pg, u);
    if (pg->lines++)
        kp_buf_putc(pg->out, '\n');
    kp_buf_append(pg->out, s, len);
}

static void page_line(struct page *pg, const char *s, size_t len)
{
    page_line_units(pg, s, len, units_of(pg->in, s, len));
}

/*
 * Navigation on a UCS-2 page after a screen's first: one line of keys and
 * arrows, "98> 0< 00<<", 11 units where "98 مزید", "0 واپس" and
 * "00 مرکزی صفحہ" take 29 of the 80.  The first page taught the words.  No
 * letters, so the line stays left to right among Urdu and Pashto lines
 * (a line without a strong character is its own LTR paragraph, Unicode
 * UAX #9 P2-P3), and its arrows are never mirrored.
 */
static int footer_compact(const struct menu_page_in *in, size_t pos)
{
    return pos > 0 && in->enc == TEXT_UCS2;
}

/* The footer as lines: the full ones, or the compact one in buf. */
static size_t footer_lines(const struct menu_page_in *in, size_t pos, int more, char *buf,
                           size_t cap, const char *out[3])
{
    const char *f[3] = {more ? in->more : NULL, in->back, in->home};
    static const char *const arrows[3] = {"98>", "0<", "00<<"};
    size_t n = 0, len = 0;

    if (!footer_compact(in, pos)) {
        for (int i = 0; i < 3; i++)
            if (f[i])
                out[n++] = f[i];
        return n;
    }
    buf[0] = '\0';
    for (int i = 0; i < 3; i++)
        if (f[i])
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? " " : "", arrows[i]);
    if (len)
        out[n++] = buf;
    return n;
}

#define FOOTER_COMPACT_MAX 16 /* "98> 0< 00<<" and its NUL */

/* Units of the footer lines (each with the line break before it). */
static unsigned footer_cost(const struct menu_page_in *in, size_t pos, int more)
{
    char buf[FOOTER_COMPACT_MAX];
    const char *f[3];
    size_t n = footer_lines(in, pos, more, buf, sizeof(buf), f);
    unsigned u = 0;

    for (size_t i = 0; i < n; i++)
        u += units_of(in, f[i], strlen(f[i])) + 1;
    return u;
}

static void page_footer(struct page *pg, size_t pos, int more)
{
    char buf[FOOTER_COMPACT_MAX];
    const char *f[3];
    size_t n = footer_lines(pg->in, pos, more, buf, sizeof(buf), f);

    for (size_t i = 0; i < n; i++)
        page_line(pg, f[i], strlen(f[i]));
}

static void page_cut_line(struct page *pg, const char *s, size_t len, unsigned avail);

/*
 * The header line atop every page: at most a quarter of the page, cut with
 * "..." past that, so that a long service name cannot crowd out the options.
 */
static unsigned top_units(const struct menu_page_in *in)
{
    unsigned u = in->top_len ? units_of(in, in->top, in->top_len) : 0;
    return u > in->cap / 4 ? in->cap / 4 : u;
}

static void page_top(struct page *pg)
{
    const struct menu_page_in *in = pg->in;

    if (in->top_len == 0)
        return;
    if (units_of(in, in->top, in->top_len) <= in->cap / 4)
        page_line(pg, in->top, in->top_len);
    else
        page_cut_line(pg, in->top, in->top_len, in->cap / 4);
}

void menu_header_line(const struct menu_graph *g, uint32_t tpl, menu_var_fn lookup, void *ctx,
                      struct kp_buf *out)
{
    size_t from = out->len;

    menu_tpl_render(g, tpl, lookup, ctx, out);
    for (size_t i = from; i < out->len; i++)
        if (out->data[i] == '\n')
            out->data[i] = ' ';
}

/* Everything from pos on, with the footer without "98 More": does it fit? */
static int page_all_fits(const struct menu_page_in *in, size_t pos)
{
    char buf[FOOTER_COMPACT_MAX];
    const char *f[3];
    size_t nf = footer_lines(in, pos, 0, buf, sizeof(buf), f);
    unsigned u = 0, n = 0;

#define ADD(units) (u += (units) + (n++ ? 1 : 0))
    if (in->top_len)
        ADD(top_units(in));
    if (in->notice_len)
        ADD(units_of(in, in->notice, in->notice_len));
    if (pos < in->header_len)
        ADD(units_of(in, in->header + pos, in->header_len - pos));
    for (size_t i = pos > in->header_len ? pos - in->header_len : 0; i < in->nitems; i++) {
        ADD(item_units_of(in, i));
        if (u > in->cap)
            return 0;
    }
    for (size_t i = 0; i < nf; i++)
        ADD(units_of(in, f[i], strlen(f[i])));
#undef ADD
    return u <= in->cap;
}

/* Append a prefix of s that fits in avail units; "..." marks the cut. */
static void page_cut_line(struct page *pg, const char *s, size_t len, unsigned avail)
{
    struct kp_buf tmp = KP_BUF_INIT;
    size_t n = avail > 3 ? text_fit(s, len, pg->in->enc, avail - 3) : 0;

    kp_buf_append(&tmp, s, n);
    if (avail >= 3)
        kp_buf_puts(&tmp, "...");
    page_line(pg, tmp.data, tmp.len);
    kp_buf_free(&tmp);
}

/* The header from pos: all of it, or a chunk ending at a break.  Returns the next pos. */
static size_t page_header(struct page *pg, size_t pos, unsigned budget)
{
    const struct menu_page_in *in = pg->in;
    const char *s = in->header + pos;
    size_t len = in->header_len - pos, n, brk;
    unsigned avail = budget - pg->used - (pg->lines ? 1 : 0);

    if (pg->used + line_cost(pg, units_of(in, s, len)) <= budget) {
        page_line(pg, s, len);
        return in->header_len;
    }
    n = text_fit(s, len, in->enc, avail);
    for (brk = n; brk > 0 && s[brk - 1] != '\n'; brk--)
        ;
    if (brk == 0)
        for (brk = n; brk > 0 && s[brk - 1] != ' '; brk--)
            ;
    if (brk > 1) { /* break after the space or newline, dropping it */
        page_line(pg, s, brk - 1);
        return pos + brk;
    }
    if (n == 0)
        n = 1; /* never stall: at least one byte (only when the limit is absurd) */
    page_line(pg, s, n);
    return pos + n;
}

/*
 * The notice (an error line) goes first (after a header line); it is cut
 * only when it and the first piece of content cannot share a page.
 */
static void page_notice(struct page *pg, unsigned budget, unsigned min_content,
                        struct menu_page_out *res)
{
    const struct menu_page_in *in = pg->in;
    unsigned nu = units_of(in, in->notice, in->notice_len);
    unsigned room = min_content ? min_content + 1 : 0;
    unsigned used = pg->used + (pg->lines ? 1 : 0); /* the header line and its break */

    if (used + nu + room <= budget) {
        page_line(pg, in->notice, in->notice_len);
        return;
    }
    res->truncated = 1;
    if (budget > used + room + 3)
        page_cut_line(pg, in->notice, in->notice_len, budget - used - room);
}

/* Option lines from idx (up to stop) while they fit whole; returns the next index. */
static size_t page_items(struct page *pg, size_t idx, size_t stop, unsigned budget, int alone,
                         struct menu_page_out *res)
{
    const struct menu_page_in *in = pg->in;

    while (idx < stop) {
        unsigned u = item_units_of(in, idx);
        if (pg->used + line_cost(pg, u) <= budget) {
            page_line_units(pg, in->items[idx], in->item_len[idx], u);
            idx++;
            alone = 0;
            continue;
        }
        if (alone) {
            /* too long even alone on a page: cut it (run-time data only;
               the checker refuses static options that do this) */
            res->truncated = 1;
            res->cut_item = idx;
            page_cut_line(pg, in->items[idx], in->item_len[idx],
                          budget > pg->used + 1 ? budget - pg->used - (pg->lines ? 1 : 0) : 0);
            idx++;
        }
        break;
    }
    return idx;
}

/*
 * One page from in->pos, its options ending at item index stop at the
 * latest (in->nitems: as many as fit).  Greedy: whatever fits goes on.
 */
static void page_layout(const struct menu_page_in *in, size_t stop, struct kp_buf *out,
                        struct menu_page_out *res)
{
    struct page pg = {in, out, 0, 0};
    size_t pos = in->pos, end = in->header_len + in->nitems, start;
    unsigned budget, min_content = 0, fc;
    int last, had_header = 0;

    res->truncated = 0;
    res->cut_item = MENU_NONE;
    res->next = MENU_NONE;
    if (pos >= end)
        pos = 0;
    /* a stored position may predate a change of the text: start on a character */
    while (pos > 0 && pos < in->header_len && ((uint8_t)in->header[pos] & 0xc0) == 0x80)
        pos--;
    start = pos;
    last = in->more == NULL || page_all_fits(in, pos);
    fc = footer_cost(in, pos, !last);
    budget = fc < in->cap ? in->cap - fc : 0;
    if (pos < in->header_len)
        min_content = 1;
    else if (pos < end)
        min_content = item_units_of(in, pos - in->header_len);
    page_top(&pg); /* first: what follows counts pg.used */
    if (in->notice_len)
        page_notice(&pg, budget, min_content, res);
    if (pos < in->header_len) {
        pos = page_header(&pg, pos, budget);
        had_header = 1;
    }
    if (pos >= in->header_len)
        pos =
            in->header_len + page_items(&pg, pos - in->header_len, stop, budget, !had_header, res);
    if (pos < end && in->more == NULL)
        res->truncated = 1;
    else if (pos < end)
        res->next = pos;
    page_footer(&pg, start, res->next != MENU_NONE);
    res->units = pg.used;
}

/* Where the greedy page from pos ends (its next), MENU_NONE on the last. */
static size_t page_greedy_next(const struct menu_page_in *in, size_t pos, struct kp_buf *tmp)
{
    struct menu_page_in at = *in;
    struct menu_page_out res;

    at.pos = pos;
    kp_buf_reset(tmp);
    page_layout(&at, in->nitems, tmp, &res);
    return res.next;
}

/* Options on the page from start to next (header pieces hold none). */
static size_t page_count(const struct menu_page_in *in, size_t start, size_t next)
{
    size_t from = start > in->header_len ? start : in->header_len;

    return next > from ? next - from : 0;
}

/*
 * Move one option forward from page j to the last page: every page after
 * j starts one option earlier.  Each of them must still hold its options
 * and the last must fit without "98 More"; otherwise nothing moves.
 */
static int pages_shift(const struct menu_page_in *in, size_t *starts, size_t n, size_t j,
                       struct kp_buf *tmp)
{
    for (size_t k = j + 1; k + 1 < n; k++) {
        size_t next = page_greedy_next(in, starts[k] - 1, tmp);
        if (next == MENU_NONE || next < starts[k + 1] - 1)
            return -1;
    }
    if (!page_all_fits(in, starts[n - 1] - 1))
        return -1;
    for (size_t k = j + 1; k < n; k++)
        starts[k]--;
    return 0;
}

#define PAGES_BALANCE_MAX 64 /* pages of one screen worth balancing */

/*
 * Where the options of the page at in->pos end, so that the last page
 * does not hold a single option when the pages before it can give one:
 * the greedy layout from the screen's first page, then the nearest page
 * with 3 or more options hands one on (through the pages between, which
 * keep their counts).  The pages are a function of the screen alone, so
 * every page of a walk, whichever page it starts from, agrees with the
 * others; a position that is no page start (stored before a change of
 * the screen) gets the greedy page.
 */
static size_t page_balanced_stop(const struct menu_page_in *in)
{
    struct kp_buf tmp = KP_BUF_INIT;
    struct menu_page_in base = *in;
    size_t starts[PAGES_BALANCE_MAX], n = 0, end = in->header_len + in->nitems;
    size_t stop = in->nitems, next = 0, pos = in->pos < end ? in->pos : 0;

    if (in->more == NULL || in->nitems < 2)
        return stop;
    /* the notice (an error line) shows over one page: the pages are without it */
    base.notice = NULL;
    base.notice_len = 0;
    do {
        starts[n++] = next;
        next = page_greedy_next(&base, next, &tmp);
    } while (next != MENU_NONE && n < PAGES_BALANCE_MAX);
    if (next == MENU_NONE && n > 1 && page_count(&base, starts[n - 1], end) < 2) {
        for (size_t j = n - 1; j-- > 0;) {
            if (starts[j + 1] <= in->header_len)
                break; /* a page of the header: no options to give */
            if (page_count(&base, starts[j], starts[j + 1]) >= 3) {
                pages_shift(&base, starts, n, j, &tmp);
                break;
            }
        }
    }
    for (size_t k = 0; k + 1 < n && next == MENU_NONE; k++)
        if (starts[k] == pos && starts[k + 1] > in->header_len)
            stop = starts[k + 1] - in->header_len;
    kp_buf_free(&tmp);
    return stop;
}

void menu_page_build(const struct menu_page_in *in, struct kp_buf *out, struct menu_page_out *res)
{
    page_layout(in, page_balanced_stop(in), out, res);
}

enum text_enc menu_page_enc(const struct menu_page_in *in)
{
    const char *f[3] = {in->more, in->back, in->home};

    if (text_choose(in->notice, in->notice_len) != TEXT_GSM7 ||
        text_choose(in->header, in->header_len) != TEXT_GSM7 ||
        text_choose(in->top, in->top_len) != TEXT_GSM7)
        return TEXT_UCS2;
    for (size_t i = 0; i < in->nitems; i++)
        if (text_choose(in->items[i], in->item_len[i]) != TEXT_GSM7)
            return TEXT_UCS2;
    for (int i = 0; i < 3; i++)
        if (f[i] && text_choose(f[i], strlen(f[i])) != TEXT_GSM7)
            return TEXT_UCS2;
    return TEXT_GSM7;
}

void menu_nav_line(const struct menu_graph *g, enum menu_sys s, enum menu_lang lang,
                   struct kp_buf *out)
{
    kp_buf_reset(out);
    kp_buf_puts(out, s == MS_MORE ? "98 " : s == MS_BACK ? "0 " : "00 ");
    menu_sys_render(g, s, lang, out);
}
