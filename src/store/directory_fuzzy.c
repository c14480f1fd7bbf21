/* SPDX-License-Identifier: ISC */
/*
 * The typing-error rule of the directory search (store_dir_fuzzy_match):
 * callers on feature phones type "lisence" for licence, "laisans" in Roman
 * Urdu, or an Urdu word with an Arabic kaf or yeh from an Arabic keypad.
 * Words are compared as code points after folding the spellings that do
 * not change a word (ASCII case; Arabic kaf, yeh, alef maksura, heh, teh
 * marbuta, yeh barree and hamza-yeh to their plain Urdu forms; vowel marks and the
 * superscript alef dropped), with a restricted Damerau-Levenshtein
 * distance bounded by the word's length, so that a short word must match
 * exactly and no word matches everything.  No SQL here.
 */
#include <string.h>

#include "kpass/store/directory.h"

#define FZ_WORD_MAX 32 /* code points of a word that count */

/* The code point at s[*i] (advancing *i); a byte that is not UTF-8 is itself. */
static long fz_next(const unsigned char *s, size_t *i)
{
    unsigned c = s[*i];
    int need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    long cp = need == 3 ? c & 0x07 : need == 2 ? c & 0x0f : need == 1 ? c & 0x1f : c;

    for (int k = 1; k <= need; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) {
            (*i)++;
            return c;
        }
        cp = cp << 6 | (s[*i + k] & 0x3f);
    }
    *i += (size_t)need + 1;
    return cp;
}

/* The folded form of cp, 0 for a mark that is dropped, -1 for a separator. */
static long fz_fold(long cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp - 'A' + 'a';
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
        return cp;
    if (cp < 0x80 || cp == 0x060c || cp == 0x061b || cp == 0x061f || cp == 0x06d4)
        return -1; /* ASCII punctuation and space, Arabic comma ... full stop */
    if ((cp >= 0x064b && cp <= 0x065f) || cp == 0x0670 || cp == 0x200c || cp == 0x200d)
        return 0; /* harakat, superscript alef, joiners */
    switch (cp) {
    case 0x0643: /* Arabic kaf */
        return 0x06a9;
    case 0x064a: /* Arabic yeh */
    case 0x0649: /* alef maksura */
    case 0x06d2: /* yeh barree */
    case 0x06cd: /* Pashto yeh with tail */
    case 0x06d0: /* Pashto yeh */
    case 0x0626: /* yeh with hamza above: written and left out by ear alike */
        return 0x06cc;
    case 0x0647: /* Arabic heh */
    case 0x0629: /* teh marbuta */
    case 0x06c0: /* heh with yeh above */
        return 0x06c1;
    case 0x0622: /* alef with madda */
    case 0x0623: /* alef with hamza above */
    case 0x0625: /* alef with hamza below */
        return 0x0627;
    default:
        return cp;
    }
}

/* Fold the next word of s at *i into w; its length, 0 at the end. */
static int fz_word(const unsigned char *s, size_t *i, long *w)
{
    int n = 0;

    while (s[*i]) {
        long c = fz_fold(fz_next(s, i));
        if (c < 0) {
            if (n)
                return n;
            continue;
        }
        if (c > 0 && n < FZ_WORD_MAX)
            w[n++] = c;
    }
    return n;
}

static int fz_min3(int a, int b, int c)
{
    int m = a < b ? a : b;

    return m < c ? m : c;
}

/* Restricted Damerau-Levenshtein distance of a[0..n) and b[0..m). */
static int fz_distance(const long *a, int n, const long *b, int m)
{
    int d[FZ_WORD_MAX + 1][FZ_WORD_MAX + 1];

    for (int i = 0; i <= n; i++)
        d[i][0] = i;
    for (int j = 0; j <= m; j++)
        d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            d[i][j] = fz_min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    return d[n][m];
}

/* The edits a word of n code points may have: none for short words. */
static int fz_bound(int n)
{
    return n <= 3 ? 0 : n <= 5 ? 1 : 2;
}

int store_dir_fuzzy_match(const char *word, const char *text)
{
    long q[FZ_WORD_MAX], w[FZ_WORD_MAX];
    size_t i = 0, j = 0;
    int n = fz_word((const unsigned char *)word, &i, q), m, best = -1, bound = fz_bound(n);

    if (n == 0)
        return -1;
    for (int k = 0; k < n; k++)
        if (q[k] >= '0' && q[k] <= '9')
            bound = 0; /* numbers are exact: 2999 is not 2998 */
    while ((m = fz_word((const unsigned char *)text, &j, w)) > 0) {
        int d;
        if (n >= 3 && m >= n && memcmp(q, w, (size_t)n * sizeof(*q)) == 0)
            return 0; /* the beginning of a word, as the word search has it */
        d = fz_distance(q, n, w, m);
        /* A longer word's beginning with a typing error ("lisen" for licence). */
        if (n >= 5 && m > n) {
            int p = fz_distance(q, n, w, n);
            d = p < d ? p : d;
        }
        if (d <= bound && (best < 0 || d < best))
            best = d;
    }
    return best;
}
