/* SPDX-License-Identifier: ISC */
/*
 * Base45 encoding and decoding, RFC 9285.  An octet pair (a, b) is the
 * number n = a * 256 + b, written as n = c + d * 45 + e * 45^2 and sent as
 * the characters c d e (least significant first); a final lone octet is
 * n = c + d * 45, sent as c d (RFC 9285 §4).  Decoding refuses anything the
 * encoder cannot produce (RFC 9285 §4.2, §6), so every text has exactly one
 * decoding and every decoding exactly one text.
 */
#include <limits.h>
#include <string.h>

#include "kpass/id/base45.h"
#include "kpass/core/err.h"

/* RFC 9285 §4.2, table 1. */
static const char base45_alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* The value of character ch, or -1 when it is not in the alphabet. */
static int base45_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A' + 10;
    /* The 9 symbols, in alphabet order from value 36. */
    const char *sym = memchr(base45_alphabet + 36, ch, 9);
    return sym != NULL ? (int)(sym - base45_alphabet) : -1;
}

size_t base45_encoded_len(size_t n)
{
    return n / 2 * 3 + (n % 2) * 2;
}

size_t base45_decoded_len(size_t len)
{
    return len / 3 * 2 + (len % 3 == 2 ? 1 : 0);
}

int base45_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need, o = 0, i;

    if (n > (size_t)INT_MAX / 3 * 2)
        return -KP_ERR_TOOLONG;
    need = base45_encoded_len(n);
    if (cap < need + 1)
        return -KP_ERR_TOOLONG;
    for (i = 0; i + 1 < n; i += 2) {
        unsigned v = (unsigned)in[i] << 8 | in[i + 1];
        out[o++] = base45_alphabet[v % 45];
        out[o++] = base45_alphabet[v / 45 % 45];
        out[o++] = base45_alphabet[v / 2025];
    }
    if (i < n) {
        unsigned v = in[i];
        out[o++] = base45_alphabet[v % 45];
        out[o++] = base45_alphabet[v / 45];
    }
    out[o] = '\0';
    return (int)o;
}

/* Decode one group of 2 or 3 characters at in into *v; 0 or -KP_ERR_ENCODING. */
static int base45_group(const char *in, size_t glen, unsigned *v, size_t *bad)
{
    unsigned mul = 1;

    *v = 0;
    for (size_t k = 0; k < glen; k++) {
        int c = base45_value((unsigned char)in[k]);
        if (c < 0) {
            *bad = k;
            return -KP_ERR_ENCODING;
        }
        *v += (unsigned)c * mul;
        mul *= 45;
    }
    return 0;
}

int base45_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *errpos)
{
    size_t o = 0, i, bad = 0;
    unsigned v;
    int rc;

    if (len > (size_t)INT_MAX)
        return -KP_ERR_TOOLONG;
    for (i = 0; i < len; i += 3) {
        size_t glen = len - i >= 3 ? 3 : len - i;
        if ((rc = base45_group(in + i, glen, &v, &bad)) < 0) {
            bad += i;
            goto out;
        }
        if (glen == 1) {
            /* RFC 9285 §4.2: a lone trailing character cannot be decoded. */
            bad = i;
            rc = -KP_ERR_TRUNC;
            goto out;
        }
        if ((glen == 3 && v > 0xFFFF) || (glen == 2 && v > 0xFF)) {
            bad = i;
            rc = -KP_ERR_RANGE;
            goto out;
        }
        if (o + glen - 1 > cap) {
            bad = i;
            rc = -KP_ERR_TOOLONG;
            goto out;
        }
        if (glen == 3)
            out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)(v & 0xFF);
    }
    return (int)o;
out:
    if (errpos)
        *errpos = bad;
    return rc;
}
