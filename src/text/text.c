/* SPDX-License-Identifier: ISC */
/*
 * Text at the wire: UTF-8 validation and repair (RFC 3629, Unicode §3.9),
 * GSM 03.38 septets one per octet (3GPP TS 23.038 §6.2.1, SMPP 3.4 §5.2.19
 * data_coding 0), UCS-2/UTF-16 big-endian (data_coding 8), and the decoders
 * for IA5 (1) and Latin-1 (3).  Every character is one table lookup: these
 * run on every USSD hop.
 *
 * Decoding an ESC followed by a septet that has no extension-table entry
 * gives the basic-table character of that septet, as 3GPP TS 23.038
 * §6.2.1.1 tells a receiving entity to display; ESC ESC (reserved there for
 * a further extension table, "display a space") decodes as a space.
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/text/text.h"
#include "text_internal.h"

/*
 * Decode one UTF-8 character from p[0..len) (len >= 1), following the
 * well-formed byte sequences of Unicode §3.9 table 3-7.  Returns the bytes
 * used (1..4) and sets *cp; on an ill-formed sequence returns minus the
 * length of its maximal subpart (at least 1), which text_utf8_clean()
 * replaces with one U+FFFD (Unicode §3.9 "substitution of maximal subparts").
 */
static int utf8_decode(const uint8_t *p, size_t len, uint32_t *cp)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    int need, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* no overlongs */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates U+D800..U+DFFF */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* no overlongs */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return -1; /* 80..C1, F5..FF never start a character */
    }
    for (i = 1; i <= need; i++) {
        if ((size_t)i >= len || p[i] < lo || p[i] > hi)
            return -i;
        v = v << 6 | (p[i] & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = v;
    return need + 1;
}

int text_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    int n;

    if (len == 0)
        return -KP_ERR_TRUNC;
    n = utf8_decode((const uint8_t *)s, len, cp);
    return n > 0 ? n : -KP_ERR_ENCODING;
}

size_t text_utf8_put(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

int text_utf8_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s, *end = len ? p + len : p;
    uint32_t cp;

    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n = utf8_decode(p, (size_t)(end - p), &cp);
        if (n < 0)
            return -KP_ERR_ENCODING;
        p += n;
    }
    return 0;
}

int text_utf8_chars(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s, *end = len ? p + len : p;
    uint32_t cp;
    int count = 0;

    while (p < end) {
        int n = *p < 0x80 ? 1 : utf8_decode(p, (size_t)(end - p), &cp);
        if (n < 0)
            return -KP_ERR_ENCODING;
        p += n;
        count++;
    }
    return count;
}

void text_utf8_clean(const char *s, size_t len, struct kp_buf *out)
{
    static const char fffd[] = "\xef\xbf\xbd";
    const uint8_t *p = (const uint8_t *)s, *end = len ? p + len : p, *run = p;
    uint32_t cp;

    kp_buf_reserve(out, len);
    while (p < end) {
        int n = *p < 0x80 ? 1 : utf8_decode(p, (size_t)(end - p), &cp);
        if (n > 0) {
            p += n;
            continue;
        }
        kp_buf_append(out, run, (size_t)(p - run));
        kp_buf_append(out, fffd, 3);
        p += -n;
        run = p;
    }
    kp_buf_append(out, run, (size_t)(p - run));
}

/* Septets an ASCII byte costs in GSM 7-bit: 0 when not in the alphabet. */
/* clang-format off */
static const uint8_t gsm7_ascii_cost[128] = {
    ['\n'] = 1, ['\f'] = 2, ['\r'] = 1,
    [' '] = 1, ['!'] = 1, ['"'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
    ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 2, ['\\'] = 2, [']'] = 2, ['^'] = 2, ['_'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
    ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 2, ['|'] = 2, ['}'] = 2, ['~'] = 2,
};
/* clang-format on */

/*
 * Cost in enc of the character at p (len >= 1 bytes left): sets *cost and
 * returns its byte length, or returns -1 when it is invalid UTF-8 or (GSM)
 * not in the alphabet.
 */
static inline int char_cost(const uint8_t *p, size_t len, enum text_enc enc, unsigned *cost)
{
    uint32_t cp;
    int n;

    if (*p < 0x80) {
        *cost = enc == TEXT_GSM7 ? gsm7_ascii_cost[*p] : 1;
        return *cost ? 1 : -1;
    }
    n = utf8_decode(p, len, &cp);
    if (n < 0)
        return -1;
    if (enc == TEXT_GSM7) {
        unsigned g = gsm7_lookup(cp);
        if (g == 0)
            return -1;
        *cost = g & GSM7_REV_EXT ? 2 : 1;
    } else {
        *cost = cp >= 0x10000 ? 2 : 1; /* a surrogate pair */
    }
    return n;
}

int text_units(const char *s, size_t len, enum text_enc enc)
{
    const uint8_t *p = (const uint8_t *)s, *end = len ? p + len : p;
    size_t units = 0;
    unsigned cost;

    if (enc != TEXT_GSM7 && enc != TEXT_UCS2)
        return -KP_ERR_ENCODING;
    while (p < end) {
        int n = char_cost(p, (size_t)(end - p), enc, &cost);
        if (n < 0)
            return -KP_ERR_ENCODING;
        p += n;
        units += cost;
    }
    if (units > 0x7fffffff)
        return -KP_ERR_TOOLONG;
    return (int)units;
}

enum text_enc text_choose(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s, *end = len ? p + len : p;
    unsigned cost;

    while (p < end) {
        int n = char_cost(p, (size_t)(end - p), TEXT_GSM7, &cost);
        if (n < 0)
            return TEXT_UCS2;
        p += n;
    }
    return TEXT_GSM7;
}

size_t text_fit(const char *s, size_t len, enum text_enc enc, size_t max_units)
{
    const uint8_t *p = (const uint8_t *)s, *end = len ? p + len : p;
    size_t units = 0;
    unsigned cost;

    if (enc != TEXT_GSM7 && enc != TEXT_UCS2)
        return 0;
    while (p < end) {
        int n = char_cost(p, (size_t)(end - p), enc, &cost);
        if (n < 0 || units + cost > max_units)
            break;
        p += n;
        units += cost;
    }
    return (size_t)(p - (const uint8_t *)s);
}

static int encode_gsm7(const uint8_t *p, const uint8_t *end, uint8_t *o)
{
    uint8_t *start = o;
    uint32_t cp;

    while (p < end) {
        int n = 1;
        if (*p < 0x80)
            cp = *p;
        else if ((n = utf8_decode(p, (size_t)(end - p), &cp)) < 0)
            return -KP_ERR_ENCODING;
        unsigned g = gsm7_lookup(cp);
        if (g == 0)
            return -KP_ERR_ENCODING;
        if (g & GSM7_REV_EXT)
            *o++ = GSM7_ESC;
        *o++ = (uint8_t)(g & 0x7f);
        p += n;
    }
    return (int)(o - start);
}

static int encode_ucs2(const uint8_t *p, const uint8_t *end, uint8_t *o)
{
    uint8_t *start = o;
    uint32_t cp;

    while (p < end) {
        int n = 1;
        if (*p < 0x80)
            cp = *p;
        else if ((n = utf8_decode(p, (size_t)(end - p), &cp)) < 0)
            return -KP_ERR_ENCODING;
        if (cp >= 0x10000) { /* RFC 2781 §2.1: a surrogate pair */
            uint32_t v = cp - 0x10000;
            uint32_t hi = 0xd800 | v >> 10, lo = 0xdc00 | (v & 0x3ff);
            *o++ = (uint8_t)(hi >> 8);
            *o++ = (uint8_t)hi;
            *o++ = (uint8_t)(lo >> 8);
            *o++ = (uint8_t)lo;
        } else {
            *o++ = (uint8_t)(cp >> 8);
            *o++ = (uint8_t)cp;
        }
        p += n;
    }
    return (int)(o - start);
}

int text_encode(const char *s, size_t len, enum text_enc enc, struct kp_buf *out)
{
    const uint8_t *p = (const uint8_t *)s;
    int n;

    if (len > 0x3fffffff)
        return -KP_ERR_TOOLONG;
    /* At most 2 octets per input byte in either encoding (ESC + septet for
       a 1-byte ASCII character; 4 octets for a 4-byte UTF-8 sequence). */
    kp_buf_reserve(out, len * 2);
    if (enc == TEXT_GSM7)
        n = encode_gsm7(p, len ? p + len : p, (uint8_t *)out->data + out->len);
    else if (enc == TEXT_UCS2)
        n = encode_ucs2(p, len ? p + len : p, (uint8_t *)out->data + out->len);
    else
        n = -KP_ERR_ENCODING;
    if (n < 0) {
        out->data[out->len] = '\0';
        return n;
    }
    out->len += (size_t)n;
    out->data[out->len] = '\0';
    return n;
}

static int decode_gsm7(const uint8_t *in, size_t len, char *o)
{
    char *start = o;

    for (size_t i = 0; i < len; i++) {
        uint32_t cp;
        uint8_t c = in[i];
        if (c > 0x7f)
            return -KP_ERR_ENCODING;
        if (c == GSM7_ESC) {
            if (++i == len)
                return -KP_ERR_ENCODING; /* a trailing ESC */
            c = in[i];
            if (c > 0x7f)
                return -KP_ERR_ENCODING;
            if (c == GSM7_ESC)
                cp = ' '; /* §6.2.1.1: reserved, display a space */
            else
                cp = gsm7_ext[c] ? gsm7_ext[c] : gsm7_basic[c];
        } else {
            cp = gsm7_basic[c];
        }
        o += text_utf8_put(cp, o);
    }
    return (int)(o - start);
}

static int decode_ucs2(const uint8_t *in, size_t len, char *o)
{
    char *start = o;

    if (len % 2)
        return -KP_ERR_ENCODING;
    for (size_t i = 0; i < len; i += 2) {
        uint32_t cp = (uint32_t)in[i] << 8 | in[i + 1];
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return -KP_ERR_ENCODING; /* a low surrogate alone */
        if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t lo;
            if (i + 3 >= len)
                return -KP_ERR_ENCODING;
            lo = (uint32_t)in[i + 2] << 8 | in[i + 3];
            if (lo < 0xdc00 || lo > 0xdfff)
                return -KP_ERR_ENCODING;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 2;
        }
        o += text_utf8_put(cp, o);
    }
    return (int)(o - start);
}

static int decode_8bit(const uint8_t *in, size_t len, char *o, int ascii_only)
{
    char *start = o;

    for (size_t i = 0; i < len; i++) {
        if (ascii_only && in[i] > 0x7f)
            return -KP_ERR_ENCODING;
        o += text_utf8_put(in[i], o);
    }
    return (int)(o - start);
}

int text_decode(const uint8_t *in, size_t len, int data_coding, struct kp_buf *out)
{
    char *o;
    int n;

    if (len > 0x1fffffff)
        return -KP_ERR_TOOLONG;
    /* Worst cases: a GSM septet (e.g. '€' after ESC, Δ) is at most 3 UTF-8
       bytes, a UCS-2 unit 3, a surrogate pair (4 octets) 4, a Latin-1 octet 2. */
    kp_buf_reserve(out, len * 3);
    o = out->data + out->len;
    switch (data_coding) {
    case TEXT_GSM7:
        n = decode_gsm7(in, len, o);
        break;
    case TEXT_UCS2:
        n = decode_ucs2(in, len, o);
        break;
    case 1: /* SMPP 3.4 §5.2.19: IA5 (CCITT T.50)/ASCII (ANSI X3.4) */
        n = decode_8bit(in, len, o, 1);
        break;
    case 3: /* SMPP 3.4 §5.2.19: Latin 1 (ISO-8859-1) */
        n = decode_8bit(in, len, o, 0);
        break;
    default:
        n = -KP_ERR_ENCODING;
        break;
    }
    if (n < 0) {
        out->data[out->len] = '\0';
        return n;
    }
    out->len += (size_t)n;
    out->data[out->len] = '\0';
    return n;
}

int text_word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max)
        return 0;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') && *s != '_')
            return 0;
    return 1;
}
