/* SPDX-License-Identifier: ISC */
/*
 * menu render: pagination at every boundary.  A screen exactly at the
 * limit and one unit over, a GSM extension character (ESC + code) and a
 * UTF-8 sequence at the page break, UCS-2 pages, and, white-box, the page
 * builder over many option sets and limits: every page fits, every option
 * appears exactly once and whole, the text comes back intact; and the
 * balancing: no last page of a single option where one could move to it.
 */
#include "menu_fixture.h"

#include "../src/menu/menu_internal.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"

/* A home info screen (no navigation lines) showing text. */
static void info_dialog(struct fx_dialog *d, const char *text, unsigned gsm7, unsigned ucs2)
{
    struct kp_buf src = KP_BUF_INIT, diag = KP_BUF_INIT;
    struct menu_options o = fx_options();
    struct menu_source s;
    struct menu_graph *g = NULL;

    kp_buf_printf(&src, "screen main info\n  text \"%s\"\n", text);
    s.name = "t.menu";
    s.text = src.data;
    s.len = src.len;
    ck_assert_msg(menu_graph_compile(&s, 1, &o, &g, &diag) == 0, "%s", diag.data);
    fx_open(d, g);
    d->env.limits.gsm7 = gsm7;
    d->env.limits.ucs2 = ucs2;
    fx_begin(d, MENU_LANG_EN, NULL);
    kp_buf_free(&src);
    kp_buf_free(&diag);
}

static char *repeat(char c, size_t n)
{
    char *s = kp_malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* 182 septets fit one page exactly; 183 need two, at a word break. */
START_TEST(test_exact_limit)
{
    struct fx_dialog d;
    char *a = repeat('a', 100), *b = repeat('b', 81), text[256];

    snprintf(text, sizeof(text), "%s %s", a, b); /* 182 characters */
    info_dialog(&d, text, 182, 80);
    fx_expect(&d, text, TEXT_GSM7, 0);
    ck_assert_uint_eq(d.scr.units, 182);
    fx_close(&d);

    snprintf(text, sizeof(text), "%s %sb", a, b); /* 183: one over */
    info_dialog(&d, text, 182, 80);
    {
        char want[256];
        snprintf(want, sizeof(want), "%s\n98 More", a);
        fx_expect(&d, want, TEXT_GSM7, 0);
    }
    fx_send(&d, "98");
    {
        char want[256];
        snprintf(want, sizeof(want), "%sb\n0 Back", b);
        fx_expect(&d, want, TEXT_GSM7, 0);
    }
    fx_close(&d);
    free(a);
    free(b);
}
END_TEST

/* A '€' (ESC 0x65, two septets) that would straddle the break moves whole
   to the next page; with no space to break at, the cut is hard. */
START_TEST(test_extension_at_break)
{
    struct fx_dialog d;
    /* page 1 holds 182 - 8 ("\n98 More") = 174 septets of text */
    char *a = repeat('a', 173), text[400], want[400];

    snprintf(text, sizeof(text), "%s€tail and more words", a);
    info_dialog(&d, text, 182, 80);
    snprintf(want, sizeof(want), "%s\n98 More", a);
    fx_expect(&d, want, TEXT_GSM7, 0);
    ck_assert_uint_eq(d.scr.units, 181); /* one septet left unused rather than split ESC + code */
    fx_send(&d, "98");
    fx_expect(&d, "€tail and more words\n0 Back", TEXT_GSM7, 0);
    fx_close(&d);
    /* one 'a' less: the € fits exactly */
    a[172] = '\0';
    snprintf(text, sizeof(text), "%s€tail and more words", a);
    info_dialog(&d, text, 182, 80);
    snprintf(want, sizeof(want), "%s€\n98 More", a);
    fx_expect(&d, want, TEXT_GSM7, 0);
    ck_assert_uint_eq(d.scr.units, 182);
    fx_send(&d, "98");
    fx_expect(&d, "tail and more words\n0 Back", TEXT_GSM7, 0);
    fx_close(&d);
    free(a);
}
END_TEST

/* UCS-2: 80 units, a multi-byte character is one unit and never split. */
START_TEST(test_ucs2_pages)
{
    struct fx_dialog d;
    struct kp_buf text = KP_BUF_INIT, got = KP_BUF_INIT;
    int pages = 0;

    for (int i = 0; i < 24; i++)
        kp_buf_printf(&text, "%sخدمت", i ? " " : "");
    info_dialog(&d, text.data, 182, 80);
    for (;;) {
        /* the first page has the words, the later ones the compact line */
        const char *more = strstr(d.scr.text.data, pages ? "\n98>" : "\n98 More");
        ck_assert_int_eq(d.scr.enc, TEXT_UCS2);
        ck_assert_uint_le(d.scr.units, 80);
        ck_assert_int_eq(text_units(d.scr.text.data, d.scr.text.len, TEXT_UCS2), (int)d.scr.units);
        pages++;
        const char *end = more ? more : strstr(d.scr.text.data, pages > 1 ? "\n0<" : "");
        if (got.len)
            kp_buf_putc(&got, ' ');
        kp_buf_append(&got, d.scr.text.data,
                      (size_t)((more  ? more
                                : end ? end
                                      : d.scr.text.data + d.scr.text.len) -
                               d.scr.text.data));
        if (!more)
            break;
        fx_send(&d, "98");
    }
    /* 3 pages with "98 More", "0 Back", "00 Home" on every page (issue 11) */
    ck_assert_int_eq(pages, 2);
    ck_assert_str_eq(got.data, text.data); /* broken only at spaces, nothing lost */
    fx_close(&d);
    kp_buf_free(&text);
    kp_buf_free(&got);
}
END_TEST

/* ---- the page builder, white-box ---- */

struct pb {
    struct menu_page_in in;
    const char *items[40];
    size_t lens[40];
    char store[40][96];
};

static unsigned rnd(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static void pb_make(struct pb *p, unsigned seed, int urdu)
{
    static const char *const words[] = {"Health",   "card", "office", "€5",  "{fee}",
                                        "Peshawar", "صحت",  "کارڈ",   "دفتر"};
    size_t nw = urdu ? 9 : 6;

    memset(p, 0, sizeof(*p));
    p->in.nitems = 1 + rnd(&seed) % 30;
    for (size_t i = 0; i < p->in.nitems; i++) {
        size_t n = (size_t)snprintf(p->store[i], sizeof(p->store[i]), "%zu", i + 1);
        for (unsigned w = 0, nwords = 1 + rnd(&seed) % 6; w < nwords; w++)
            n += (size_t)snprintf(p->store[i] + n, sizeof(p->store[i]) - n, " %s",
                                  words[rnd(&seed) % nw]);
        p->items[i] = p->store[i];
        p->lens[i] = n;
    }
    p->in.items = p->items;
    p->in.item_len = p->lens;
    p->in.header = rnd(&seed) % 4 ? "Choose one of the services offered by the office" : "";
    p->in.header_len = strlen(p->in.header);
    p->in.back = rnd(&seed) % 2 ? "0 Back" : NULL;
    p->in.home = rnd(&seed) % 3 == 0 ? "00 Home" : NULL;
    p->in.more = "98 More";
    switch (rnd(&seed) % 3) { /* a `header` line: none, short, or cut */
    case 1:
        p->in.top = urdu ? "صحت کارڈ" : "Sehat Card";
        break;
    case 2:
        p->in.top = "Excise, Taxation & Narcotics: Vehicle registration, Peshawar";
        break;
    default:
        p->in.top = NULL;
    }
    p->in.top_len = p->in.top ? strlen(p->in.top) : 0;
    p->in.enc = menu_page_enc(&p->in);
}

/* The compact navigation of a later UCS-2 page: "98>", "0<", "00<<" in
   that order, one space apart, at least one. */
static int pb_compact_nav(const char *line, size_t len)
{
    static const char *const arrows[3] = {"98>", "0<", "00<<"};
    size_t at = 0;
    int n = 0;

    for (int i = 0; i < 3 && at < len; i++) {
        size_t k = strlen(arrows[i]);
        if (len - at >= k && memcmp(line + at, arrows[i], k) == 0 &&
            (at + k == len || line[at + k] == ' ')) {
            at += k + (at + k < len);
            n++;
        }
    }
    return n > 0 && at == len;
}

/* Walk every page of p at cap; check the invariants. */
static void pb_walk(struct pb *p, unsigned cap, const char *notice)
{
    struct kp_buf page = KP_BUF_INIT, text = KP_BUF_INIT;
    struct menu_page_out res;
    size_t next_item = 0;
    int pages = 0;

    p->in.cap = cap;
    p->in.pos = 0;
    do {
        kp_buf_reset(&page);
        p->in.notice = pages == 0 ? notice : NULL;
        p->in.notice_len = p->in.notice ? strlen(notice) : 0;
        menu_page_build(&p->in, &page, &res);
        kp_buf_append(&page, "", 0);
        ck_assert_msg(!res.truncated, "cap %u: cut", cap);
        ck_assert_int_eq(text_units(page.data, page.len, p->in.enc), (int)res.units);
        ck_assert_msg(res.units <= cap, "cap %u: page of %u units", cap, res.units);
        /* a header first on every page: whole, or cut to a quarter with "..." */
        char *first = page.data;
        if (p->in.top_len) {
            char *nl = strchr(page.data, '\n');
            size_t len = nl ? (size_t)(nl - page.data) : strlen(page.data);
            unsigned u = (unsigned)text_units(page.data, len, p->in.enc);
            ck_assert_msg(u <= cap / 4 || (len == p->in.top_len && cap / 4 >= u),
                          "cap %u: header of %u units", cap, u);
            ck_assert_msg((len == p->in.top_len && memcmp(page.data, p->in.top, len) == 0) ||
                              (len >= 3 && memcmp(page.data + len - 3, "...", 3) == 0 &&
                               memcmp(page.data, p->in.top, len - 3) == 0),
                          "cap %u: page does not start with the header: %s", cap, page.data);
            first = nl ? nl + 1 : NULL;
        }
        /* each line: an option whole (the next one in order), text, or navigation */
        for (char *line = first, *nl; line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            if (next_item < p->in.nitems && len == p->lens[next_item] &&
                memcmp(line, p->items[next_item], len) == 0) {
                next_item++;
            } else if ((len == 7 && memcmp(line, "98 More", 7) == 0) ||
                       (len == 6 && memcmp(line, "0 Back", 6) == 0) ||
                       (len == 7 && memcmp(line, "00 Home", 7) == 0) ||
                       (pages > 0 && p->in.enc == TEXT_UCS2 && pb_compact_nav(line, len)) ||
                       (notice && len == strlen(notice) && memcmp(line, notice, len) == 0)) {
                continue;
            } else {
                ck_assert_msg(next_item == 0, "cap %u: stray line '%.*s'", cap, (int)len, line);
                if (text.len)
                    kp_buf_putc(&text, ' ');
                kp_buf_append(&text, line, len);
            }
        }
        ck_assert_int_eq(strstr(page.data, "98 More") != NULL || strstr(page.data, "98>") != NULL,
                         res.next != MENU_NONE);
        /* the words on a first or GSM 7-bit page, the arrows on a later UCS-2 one */
        if (pages > 0 && p->in.enc == TEXT_UCS2)
            ck_assert_ptr_null(strstr(page.data, "0 Back"));
        else
            ck_assert_ptr_null(strstr(page.data, "0<"));
        ck_assert(res.next == MENU_NONE || res.next > p->in.pos);
        p->in.pos = res.next;
        pages++;
    } while (res.next != MENU_NONE && pages < 1000);
    ck_assert_uint_eq(next_item, p->in.nitems);
    kp_buf_append(&text, "", 0);
    ck_assert_str_eq(text.data, p->in.header);
    kp_buf_free(&page);
    kp_buf_free(&text);
}

/* Largest option line plus the navigation lines: the smallest cap with no cut. */
static unsigned pb_min_cap(const struct pb *p, const char *notice)
{
    unsigned need = 0, nav = 0;
    const char *f[3] = {p->in.more, p->in.back, p->in.home};

    for (int i = 0; i < 3; i++)
        if (f[i])
            nav += (unsigned)text_units(f[i], strlen(f[i]), p->in.enc) + 1;
    for (size_t i = 0; i < p->in.nitems; i++) {
        unsigned u = (unsigned)text_units(p->items[i], p->lens[i], p->in.enc);
        need = u > need ? u : need;
    }
    if (notice) /* the notice shares page 1 with the first piece of content */
        nav += (unsigned)text_units(notice, strlen(notice), p->in.enc) + 1;
    if (p->in.top_len) /* the header line on every page (at most all of it) */
        nav += (unsigned)text_units(p->in.top, p->in.top_len, p->in.enc) + 1;
    return need + nav + (notice ? (unsigned)p->lens[0] : 0);
}

START_TEST(test_builder_never_cuts)
{
    struct pb p;

    for (unsigned seed = 1; seed <= 60; seed++) {
        pb_make(&p, seed, seed % 2);
        for (unsigned cap = pb_min_cap(&p, NULL); cap <= 200; cap++)
            pb_walk(&p, cap, NULL);
        for (unsigned cap = pb_min_cap(&p, "Invalid choice"); cap <= 200; cap += 7)
            pb_walk(&p, cap, "Invalid choice");
    }
}
END_TEST

/* Below the smallest page, an option is cut (with "...") but the page still fits. */
START_TEST(test_builder_cut_fits)
{
    struct pb p;
    struct kp_buf page = KP_BUF_INIT;
    struct menu_page_out res;

    pb_make(&p, 7, 0);
    p.store[0][0] = '1';
    memset(p.store[0] + 1, 'x', 90);
    p.store[0][91] = '\0';
    p.lens[0] = 91;
    p.in.header = "";
    p.in.header_len = 0;
    p.in.cap = 40;
    p.in.pos = 0;
    menu_page_build(&p.in, &page, &res);
    kp_buf_append(&page, "", 0);
    ck_assert_int_eq(res.truncated, 1);
    ck_assert_uint_eq(res.cut_item, 0);
    ck_assert_uint_le(res.units, 40);
    ck_assert_ptr_nonnull(strstr(page.data, "...\n98 More"));
    ck_assert_uint_eq(res.next, 1); /* the next page starts with the next option */
    kp_buf_free(&page);
}
END_TEST

/* A position inside a UTF-8 sequence (a stale or forged one) starts the
   page on that character, never in its middle. */
START_TEST(test_builder_mid_char)
{
    static const char header[] = "اردو متن کی ایک لمبی سطر";
    struct menu_page_in in;
    struct menu_page_out res;
    struct kp_buf page = KP_BUF_INIT;

    memset(&in, 0, sizeof(in));
    in.header = header;
    in.header_len = sizeof(header) - 1;
    in.more = "98 More";
    in.enc = TEXT_UCS2;
    in.cap = 80;
    for (size_t pos = 0; pos < in.header_len; pos++) {
        kp_buf_reset(&page);
        in.pos = pos;
        menu_page_build(&in, &page, &res);
        ck_assert_int_eq(text_utf8_valid(page.data, page.len), 0);
        ck_assert(strstr(header, page.data) != NULL); /* a whole-character tail */
    }
    kp_buf_free(&page);
}
END_TEST

/* ---- balanced pages: no last page of a single option when one can move ---- */

/* n options "1 xxxxxxxx" .. (10 characters each), "98 More" and "0 Back". */
static void pb_even(struct pb *p, size_t n, unsigned cap)
{
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < n; i++) {
        p->lens[i] = (size_t)snprintf(p->store[i], sizeof(p->store[i]), "%zu %0*d", i + 1,
                                      (int)(8 - (i + 1 >= 10)), 0);
        p->items[i] = p->store[i];
    }
    p->in.nitems = n;
    p->in.items = p->items;
    p->in.item_len = p->lens;
    p->in.header = "";
    p->in.more = "98 More";
    p->in.back = "0 Back";
    p->in.enc = TEXT_GSM7;
    p->in.cap = cap;
}

/* The options on each page of a walk from pos; returns the pages. */
static int pb_counts(struct pb *p, size_t pos, unsigned counts[], int max)
{
    struct kp_buf page = KP_BUF_INIT;
    struct menu_page_out res;
    int pages = 0;

    p->in.pos = pos;
    do {
        unsigned n = 0;
        kp_buf_reset(&page);
        menu_page_build(&p->in, &page, &res);
        ck_assert_int_eq(res.truncated, 0);
        ck_assert_uint_le(res.units, p->in.cap);
        kp_buf_append(&page, "", 0);
        for (const char *line = page.data, *nl; line; line = nl ? nl + 1 : NULL) {
            size_t len = (nl = strchr(line, '\n')) ? (size_t)(nl - line) : strlen(line);
            for (size_t i = 0; i < p->in.nitems; i++)
                n += len == p->lens[i] && memcmp(line, p->items[i], len) == 0;
        }
        counts[pages++] = n;
        p->in.pos = res.next;
    } while (res.next != MENU_NONE && pages < max);
    kp_buf_free(&page);
    return pages;
}

/* Three options fit a page (47 units: 3 x 10, "98 More", "0 Back" and the
   breaks): 4 options are 2 + 2, not 3 + 1; 7 are 3 + 2 + 2, the page before
   the last giving one; and a walk resumed at a later page agrees. */
START_TEST(test_builder_balanced)
{
    struct pb p;
    unsigned c[8];

    pb_even(&p, 4, 47);
    ck_assert_int_eq(pb_counts(&p, 0, c, 8), 2);
    ck_assert_uint_eq(c[0], 2);
    ck_assert_uint_eq(c[1], 2);
    ck_assert_int_eq(pb_counts(&p, 2, c, 8), 1); /* from the second page's start */
    ck_assert_uint_eq(c[0], 2);

    pb_even(&p, 7, 47);
    ck_assert_int_eq(pb_counts(&p, 0, c, 8), 3);
    ck_assert_uint_eq(c[0], 3);
    ck_assert_uint_eq(c[1], 2);
    ck_assert_uint_eq(c[2], 2);
    ck_assert_int_eq(pb_counts(&p, 3, c, 8), 2);
    ck_assert_uint_eq(c[0], 2);
    ck_assert_uint_eq(c[1], 2);

    /* 6 options fill two pages: nothing moves */
    pb_even(&p, 6, 47);
    ck_assert_int_eq(pb_counts(&p, 0, c, 8), 2);
    ck_assert_uint_eq(c[0], 3);
    ck_assert_uint_eq(c[1], 3);
}
END_TEST

/* Two options a page: 3 options stay 2 + 1 (no page can give one and keep
   two); a single option alone is a screen of one. */
START_TEST(test_builder_balance_needs_giver)
{
    struct pb p;
    unsigned c[8];

    pb_even(&p, 3, 36);
    ck_assert_int_eq(pb_counts(&p, 0, c, 8), 2);
    ck_assert_uint_eq(c[0], 2);
    ck_assert_uint_eq(c[1], 1);

    pb_even(&p, 1, 36);
    ck_assert_int_eq(pb_counts(&p, 0, c, 8), 1);
    ck_assert_uint_eq(c[0], 1);
}
END_TEST

/* Random screens at every cap: wherever the last page holds a single
   option while the page before it holds 3 or more of the same width, the
   pages were left greedy only because the two could not share a page. */
START_TEST(test_builder_balance_random)
{
    struct pb p;
    unsigned c[64];
    int moved = 0;

    for (unsigned seed = 1; seed <= 60; seed++) {
        pb_make(&p, seed, seed % 2);
        p.in.header = "";
        p.in.header_len = 0;
        for (unsigned cap = pb_min_cap(&p, NULL); cap <= 200; cap++) {
            int n;
            p.in.cap = cap;
            pb_walk(&p, cap, NULL); /* the invariants still hold */
            n = pb_counts(&p, 0, c, 64);
            if (n < 2 || c[n - 1] >= 2)
                continue;
            /* the last option cannot join the page before's last: those
               two and the navigation overflow a last page */
            struct menu_page_in last = p.in;
            struct kp_buf page = KP_BUF_INIT;
            struct menu_page_out res;
            last.pos = p.in.nitems - 2;
            menu_page_build(&last, &page, &res);
            if (c[n - 2] >= 3 && res.next == MENU_NONE)
                moved++; /* would have fit: balancing missed it */
            kp_buf_free(&page);
        }
    }
    ck_assert_int_eq(moved, 0);
}
END_TEST

/* Random screens at every cap and position: the units of the option lines
   given (counted once by the engine, item_units) or counted by the
   builder as it goes, the same pages. */
START_TEST(test_builder_item_units)
{
    struct pb p;
    unsigned units[40];

    for (unsigned seed = 1; seed <= 40; seed++) {
        pb_make(&p, seed, seed % 2);
        for (size_t i = 0; i < p.in.nitems; i++) {
            int u = text_units(p.items[i], p.lens[i], p.in.enc);
            ck_assert_int_ge(u, 0);
            units[i] = (unsigned)u;
        }
        for (unsigned cap = pb_min_cap(&p, NULL); cap <= 200; cap += 7)
            for (size_t pos = 0; pos < p.in.header_len + p.in.nitems; pos += 3) {
                struct menu_page_in with = p.in, without = p.in;
                struct kp_buf a = KP_BUF_INIT, b = KP_BUF_INIT;
                struct menu_page_out ra, rb;
                with.cap = without.cap = cap;
                with.pos = without.pos = pos;
                with.item_units = units;
                without.item_units = NULL;
                menu_page_build(&with, &a, &ra);
                menu_page_build(&without, &b, &rb);
                ck_assert_str_eq(a.data, b.data);
                ck_assert_uint_eq(ra.units, rb.units);
                ck_assert_uint_eq(ra.next, rb.next);
                ck_assert_int_eq(ra.truncated, rb.truncated);
                kp_buf_free(&a);
                kp_buf_free(&b);
            }
    }
}
END_TEST

/* One menu, every cap: a menu line never appears cut, numbering continues. */
START_TEST(test_menu_every_cap)
{
    static const char src[] = "screen main menu\n  title \"Offices in Peshawar\"\n"
                              "  option \"Saddar, Main Road\" -> main\n"
                              "  option \"University Town, Block B\" -> main\n"
                              "  option \"Hayatabad Phase 3 (€2 fee)\" -> main\n"
                              "  option \"Cantonment [closed Fri]\" -> main\n"
                              "  option \"Board Bazaar\" -> main\n";
    static const char *const lines[] = {"1 Saddar, Main Road", "2 University Town, Block B",
                                        "3 Hayatabad Phase 3 (€2 fee)", "4 Cantonment [closed Fri]",
                                        "5 Board Bazaar"};
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_msg(fx_compile(src, &g, &diag) == 0, "%s", diag.data);
    for (unsigned cap = 48; cap <= 182; cap++) {
        struct fx_dialog d;
        size_t seen = 0;
        fx_open(&d, menu_graph_ref(g));
        d.env.limits.gsm7 = cap;
        fx_begin(&d, MENU_LANG_EN, NULL);
        for (int pages = 0; pages < 20; pages++) {
            ck_assert_uint_le(d.scr.units, cap);
            for (size_t i = 0; i < 5; i++)
                if (strstr(d.scr.text.data, lines[i]))
                    seen |= (size_t)1 << i;
            if (!strstr(d.scr.text.data, "98 More"))
                break;
            fx_send(&d, "98");
        }
        ck_assert_msg(seen == 31, "cap %u: an option was never shown whole", cap);
        fx_close(&d);
    }
    menu_graph_unref(g);
    kp_buf_free(&diag);
}
END_TEST

Suite *suite_menu_render(void)
{
    Suite *s = suite_create("menu_render");
    TCase *tc = tcase_create("render");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_exact_limit);
    tcase_add_test(tc, test_extension_at_break);
    tcase_add_test(tc, test_ucs2_pages);
    tcase_add_test(tc, test_builder_never_cuts);
    tcase_add_test(tc, test_builder_cut_fits);
    tcase_add_test(tc, test_builder_mid_char);
    tcase_add_test(tc, test_builder_balanced);
    tcase_add_test(tc, test_builder_balance_needs_giver);
    tcase_add_test(tc, test_builder_balance_random);
    tcase_add_test(tc, test_builder_item_units);
    tcase_add_test(tc, test_menu_every_cap);
    suite_add_tcase(s, tc);
    return s;
}
