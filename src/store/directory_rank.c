/* SPDX-License-Identifier: ISC */
/*
 * The directory's word search ranked on PostgreSQL exactly as SQLite's
 * FTS5 ranks it (bm25(service_fts, 10.0, 10.0, 10.0, 1.0, 1.0)): the
 * service texts are split into words as FTS5's unicode61 tokenizer splits
 * them (remove_diacritics 2, categories L* N* Co M*), each query word is a
 * prefix phrase as dir_search_expr makes it, and the score is FTS5's
 * (fts5_aux.c): k1 1.2, b 0.75, the row's length and the average length in
 * tokens over all five columns, IDF log((N - n + 0.5) / (n + 0.5)) with
 * 1e-6 for a non-positive one, column weights on each phrase instance.
 * The ranks are compared with FTS5's on the real directory by the suite
 * migrate_pg.  No SQL here.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "directory_internal.h"
#include "kpass/core/mem.h"

#define BM25_K1 1.2
#define BM25_B  0.75

/* Column weights, as sql_search's bm25 call: names ten times descriptions. */
static const double bm25_weight[DIR_BM25_COLS] = {10.0, 10.0, 10.0, 1.0, 1.0};

/*
 * Latin-1 Supplement and Latin Extended-A (U+00C0..U+017F) folded as
 * unicode61 with remove_diacritics folds them: the lower-case base letter,
 * or '.' for a letter with no ASCII base (kept as it is, lower-cased only
 * where FTS5 would agree: these are letters either way, so only the word's
 * text, never its length, depends on it).
 */
static const char latin_fold[] = "aaaaaa.ceeeeiiii.nooooo..uuuuy..aaaaaa.ceeeeiiii.nooooo..uuuuy.y"
                                 "aaaaaaccccccccdd..eeeeeeeeeegggggggghh..iiiiiiiii...jjkk.llllll.."
                                 "..nnnnnn...oooooo..rrrrrrsssssssstttt..uuuuuuuuuuuuwwyyyzzzzzz.";

/*
 * Non-ASCII characters outside unicode61's categories L*, N*, Co and M*,
 * that is, those that separate words: the punctuation, symbols, spaces,
 * controls and format characters (Z*, P*, S*, Cc, Cf) of the blocks the
 * directory's languages (English, Urdu, Pashto) use.  Sorted; inclusive.
 */
static const uint32_t separators[][2] = {
    {0x0080, 0x00A9}, {0x00AB, 0x00B1}, {0x00B4, 0x00B4},   {0x00B6, 0x00B8},   {0x00BB, 0x00BB},
    {0x00BF, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7},   {0x02C2, 0x02C5},   {0x02D2, 0x02DF},
    {0x02E5, 0x02EB}, {0x02ED, 0x02ED}, {0x02EF, 0x02FF},   {0x0375, 0x0375},   {0x037E, 0x037E},
    {0x0384, 0x0385}, {0x0387, 0x0387}, {0x0600, 0x060F},   {0x061B, 0x061F},   {0x066A, 0x066D},
    {0x06D4, 0x06D4}, {0x06DD, 0x06DE}, {0x06E9, 0x06E9},   {0x06FD, 0x06FE},   {0x0700, 0x070F},
    {0x08E2, 0x08E2}, {0x0964, 0x0965}, {0x2000, 0x206F},   {0x207A, 0x207E},   {0x208A, 0x208E},
    {0x20A0, 0x20CF}, {0x2100, 0x2101}, {0x2103, 0x2106},   {0x2108, 0x2109},   {0x2114, 0x2114},
    {0x2116, 0x2118}, {0x211E, 0x2123}, {0x2125, 0x2125},   {0x2127, 0x2127},   {0x2129, 0x2129},
    {0x212E, 0x212E}, {0x213A, 0x213B}, {0x2140, 0x2144},   {0x214A, 0x214D},   {0x214F, 0x214F},
    {0x218A, 0x218B}, {0x2190, 0x245F}, {0x2500, 0x2775},   {0x2794, 0x2BFF},   {0x2E00, 0x2E7F},
    {0x3000, 0x3004}, {0x3008, 0x3020}, {0x3030, 0x3030},   {0x303D, 0x303F},   {0xD800, 0xDFFF},
    {0xFD3E, 0xFD4F}, {0xFDCF, 0xFDCF}, {0xFDFC, 0xFDFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFEFF, 0xFEFF}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40},   {0xFF5B, 0xFF65},
    {0xFFE0, 0xFFEE}, {0xFFF9, 0xFFFD}, {0x1F000, 0x1FAFF}, {0xE0001, 0xE007F},
};

/* Whether code point c is part of a word (unicode61: L*, N*, Co, M*). */
static int bm25_word_char(uint32_t c)
{
    size_t lo = 0, hi = KP_ARRAY_LEN(separators);

    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < separators[mid][0])
            hi = mid;
        else if (c > separators[mid][1])
            lo = mid + 1;
        else
            return 0;
    }
    return 1;
}

/* The code point at *p (advanced past it); a stray byte stands for itself. */
static uint32_t bm25_utf8(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = *s++;
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

    if (c >= 0xC0)
        c &= 0x3F >> more;
    for (; more > 0 && (*s & 0xC0) == 0x80; more--)
        c = (c << 6) | (*s++ & 0x3F);
    *p = s;
    return c;
}

/*
 * Split text into words as unicode61 does and fold each (ASCII case,
 * Latin diacritics): the words NUL-terminated one after another in buf
 * (at least strlen(text) + 1 bytes: folding never lengthens a word), their
 * starts in tok (at most max; words past it are counted, not kept).
 * Returns the number of words.
 */
static int bm25_tokens(const char *text, char *buf, const char **tok, int max)
{
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    size_t n = 0;
    int words = 0, in = 0;

    while (*p) {
        const unsigned char *start = p;
        uint32_t c = bm25_utf8(&p);
        if (!bm25_word_char(c)) {
            if (in)
                buf[n++] = '\0';
            in = 0;
            continue;
        }
        if (!in && words < max)
            tok[words] = buf + n;
        words += !in;
        in = 1;
        if (c < 0x80)
            buf[n++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        else if (c >= 0xC0 && c < 0x180 && latin_fold[c - 0xC0] != '.')
            buf[n++] = latin_fold[c - 0xC0];
        else
            while (start < p)
                buf[n++] = (char)*start++;
    }
    buf[n] = '\0';
    return words;
}

int dir_bm25_query(const char *query, struct dir_bm25_query *q)
{
    const char *p = query;

    memset(q, 0, sizeof(*q));
    while (*p && q->n < STORE_DIR_QUERY_WORDS) {
        char word[STORE_DIR_QUERY_MAX + 1];
        const char *w;
        size_t len;
        while (*p == ' ' || *p == '\t')
            p++;
        for (w = p; *p && *p != ' ' && *p != '\t'; p++)
            ;
        len = (size_t)(p - w);
        if (len == 0 || len > STORE_DIR_QUERY_MAX)
            continue;
        memcpy(word, w, len);
        word[len] = '\0';
        /* The same words as dir_search_expr keeps: one with an ASCII
           letter or digit or any non-ASCII byte. */
        int useful = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)word[i];
            useful |= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c >= 0x80;
        }
        if (!useful)
            continue;
        struct dir_bm25_phrase *ph = &q->phrase[q->n++];
        const char *tok[DIR_BM25_PHRASE_TOKENS];
        int k = bm25_tokens(word, ph->buf, tok, DIR_BM25_PHRASE_TOKENS);
        ph->ntok = k < DIR_BM25_PHRASE_TOKENS ? k : DIR_BM25_PHRASE_TOKENS;
        for (int i = 0; i < ph->ntok; i++)
            ph->off[i] = (unsigned)(tok[i] - ph->buf);
    }
    return q->n;
}

/* Instances of phrase ph among the words tok (n): its words in a row, the
   last one a prefix. */
static int bm25_instances(const struct dir_bm25_phrase *ph, const char **tok, int n)
{
    int found = 0;

    for (int i = 0; i + ph->ntok <= n; i++) {
        int j;
        for (j = 0; j < ph->ntok; j++) {
            const char *want = ph->buf + ph->off[j];
            if (j + 1 < ph->ntok ? strcmp(tok[i + j], want) != 0
                                 : strncmp(tok[i + j], want, strlen(want)) != 0)
                break;
        }
        found += j == ph->ntok;
    }
    return found;
}

void dir_bm25_row(const struct dir_bm25_query *q, const char *const col[DIR_BM25_COLS],
                  struct dir_bm25_row *r)
{
    memset(r, 0, sizeof(*r));
    r->match = 1;
    for (int c = 0; c < DIR_BM25_COLS; c++) {
        size_t len = strlen(col[c] ? col[c] : "");
        char *buf = kp_malloc(len + 1);
        const char **tok = kp_calloc(len / 2 + 1, sizeof(*tok));
        int n = bm25_tokens(col[c], buf, tok, (int)(len / 2 + 1));
        r->len += n;
        for (int i = 0; i < q->n; i++)
            r->freq[i] += bm25_weight[c] * bm25_instances(&q->phrase[i], tok, n);
        free(tok);
        free(buf);
    }
    for (int i = 0; i < q->n; i++)
        r->match &= q->phrase[i].ntok > 0 && r->freq[i] > 0.0;
}

double dir_bm25_idf(long rows, long hits)
{
    double idf = log(((double)rows - (double)hits + 0.5) / ((double)hits + 0.5));

    return idf <= 0.0 ? 1e-6 : idf;
}

double dir_bm25_score(const struct dir_bm25_query *q, const struct dir_bm25_row *r,
                      const double *idf, double avgdl)
{
    double score = 0.0, d = (double)r->len;

    for (int i = 0; i < q->n; i++)
        score += idf[i] * ((r->freq[i] * (BM25_K1 + 1.0)) /
                           (r->freq[i] + BM25_K1 * (1 - BM25_B + BM25_B * d / avgdl)));
    return -1.0 * score;
}
