/* SPDX-License-Identifier: ISC */
/*
 * QR codes: encoding (mode, version and the capacity limits of ISO/IEC
 * 18004:2015 table 7 at level M, side by side with texts one character
 * too long), the terminal drawing (its size, its glyphs, and every module
 * read back from it, normal and inverted), the PNG (its size, every pixel
 * read back against the modules, scale limits), and decoding PNGs with
 * zbar back to the same text (the token of doc/kp1-token.md, other
 * texts, colour images, images without a code, damaged and oversized
 * files).  The real `kpass qr` and `kpass keys` are in check_qr_cli.c.
 */
#include <check.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/id/kp1.h"
#include "kpass/core/mem.h"
#include "kpass/id/qr.h"
#include "testutil.h"

/* doc/kp1-token.md §6.1: 139 characters, two spaces inside. */
#define EX_TEXT                                                                                    \
    "KP1:890$T4/3UL72TL6$ZA05F8JJXUN6FE*WEF8GKD46B0JUCVP55WUXFRS4BH%04-JB6R-CI CHTV6NMJ-FANCIF4D " \
    "Z8E04+9AW+4*FF*24CJJF5LWF0ZMUN9ASCQSY4%S76C901O"

/* n copies of c, in a static buffer (texts up to 400 characters). */
static const char *rep(char c, size_t n)
{
    static char buf[8][401];
    static int next;
    char *b = buf[next++ % 8];

    memset(b, c, n);
    b[n] = '\0';
    return b;
}

/* ---- encoding ---- */

static const struct {
    const char *text; /* NULL: rep(ch, n) */
    char ch;
    size_t n;
    int max_version;
    int rc, version;
    enum qr_mode mode;
} encode_cases[] = {
    {EX_TEXT, 0, 0, QR_KP1_VERSION, 0, 6, QR_MODE_ALNUM},
    {"KP1:", 0, 0, QR_KP1_VERSION, 0, 1, QR_MODE_ALNUM},
    {"0123456789 $%*+-./:ABCXYZ", 0, 0, 40, 0, 2, QR_MODE_ALNUM},
    {"hello", 0, 0, 40, 0, 1, QR_MODE_BYTE}, /* lower case is not alphanumeric */
    {"KP1:\xC3\xA9", 0, 0, 40, 0, 1, QR_MODE_BYTE},
    /* Level M alphanumeric capacities: version 5 holds 122, version 6 holds 154. */
    {NULL, 'A', 122, 40, 0, 5, QR_MODE_ALNUM},
    {NULL, 'A', 123, 40, 0, 6, QR_MODE_ALNUM},
    {NULL, 'A', 154, QR_KP1_VERSION, 0, 6, QR_MODE_ALNUM},
    {NULL, 'A', 155, QR_KP1_VERSION, -KP_ERR_TOOLONG, 0, QR_MODE_ALNUM},
    {NULL, 'A', 155, 7, 0, 7, QR_MODE_ALNUM},
    /* Byte mode: version 6-M holds 106 octets. */
    {NULL, 'a', 106, 6, 0, 6, QR_MODE_BYTE},
    {NULL, 'a', 107, 6, -KP_ERR_TOOLONG, 0, QR_MODE_BYTE},
    {"", 0, 0, 40, -KP_ERR_INVAL, 0, QR_MODE_ALNUM},
    {"A", 0, 0, 0, -KP_ERR_INVAL, 0, QR_MODE_ALNUM},
    {"A", 0, 0, 41, -KP_ERR_INVAL, 0, QR_MODE_ALNUM},
};

START_TEST(test_qr_encode)
{
    const char *text = encode_cases[_i].text ? encode_cases[_i].text
                                             : rep(encode_cases[_i].ch, encode_cases[_i].n);
    struct qr_code *q = (struct qr_code *)1;
    int rc = qr_encode(text, strlen(text), encode_cases[_i].max_version, &q);

    ck_assert_msg(rc == encode_cases[_i].rc, "case %d: %d", _i, rc);
    if (rc < 0) {
        ck_assert_ptr_null(q);
        return;
    }
    ck_assert_int_eq(q->version, encode_cases[_i].version);
    ck_assert_int_eq(q->width, 17 + 4 * q->version);
    ck_assert_int_eq(q->mode, encode_cases[_i].mode);
    /* Finder pattern (ISO/IEC 18004:2015 §6.3.3): the top left 7x7 has a dark
       border, a light ring and a dark 3x3 centre; the quiet zone is light. */
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 7; x++) {
            int ring = x == 1 || x == 5 || y == 1 || y == 5;
            int border = x == 0 || x == 6 || y == 0 || y == 6;
            ck_assert_int_eq(qr_dark(q, QR_QUIET + x, QR_QUIET + y), border || !ring);
        }
    for (int i = 0; i < q->width + 2 * QR_QUIET; i++) {
        ck_assert_int_eq(qr_dark(q, i, QR_QUIET - 1), 0);
        ck_assert_int_eq(qr_dark(q, QR_QUIET - 1, i), 0);
        ck_assert_int_eq(qr_dark(q, i, QR_QUIET + q->width), 0);
        ck_assert_int_eq(qr_dark(q, QR_QUIET + q->width, i), 0);
    }
    ck_assert_int_eq(qr_dark(q, -1, -1), 0);
    qr_free(q);
}
END_TEST

START_TEST(test_qr_encode_stable)
{
    struct qr_code *a, *b;

    /* The same text always gives the same symbol. */
    ck_assert_int_eq(qr_encode(EX_TEXT, KP1_TEXT_LEN, QR_KP1_VERSION, &a), 0);
    ck_assert_int_eq(qr_encode(EX_TEXT, KP1_TEXT_LEN, QR_KP1_VERSION, &b), 0);
    ck_assert_mem_eq(a->modules, b->modules, (size_t)a->width * (size_t)a->width);
    qr_free(a);
    qr_free(b);
    qr_free(NULL);
}
END_TEST

/* ---- the terminal drawing ---- */

/* The glyph at p: 0 " ", 1 "▀", 2 "▄", 3 "█" (bit 0 top drawn, bit 1 bottom); its size in *n. */
static int glyph(const char *p, size_t *n)
{
    static const char *const g[4] = {" ", "\xE2\x96\x80", "\xE2\x96\x84", "\xE2\x96\x88"};

    for (int i = 0; i < 4; i++) {
        *n = strlen(g[i]);
        if (strncmp(p, g[i], *n) == 0)
            return i;
    }
    ck_abort_msg("not a half-block glyph at: %.12s", p);
    return -1;
}

/* Check every module of the drawing; returns its number of lines. */
static int check_terminal(const struct qr_code *q, int invert)
{
    struct kp_buf out = KP_BUF_INIT;
    int side = q->width + 2 * QR_QUIET, lines = 0;
    const char *p;

    qr_terminal(q, invert, &out);
    ck_assert_int_eq(strlen(out.data), out.len);
    for (p = out.data; *p; lines++) {
        int cols = 0;
        for (; *p != '\n'; cols++) {
            size_t n;
            int g = glyph(p, &n), y = 2 * lines;
            ck_assert_int_lt(cols, side);
            /* Every module read back: drawn means light (dark when inverted). */
            ck_assert_int_eq(g & 1, qr_dark(q, cols, y) == invert);
            ck_assert_int_eq((g >> 1) & 1, y + 1 < side && qr_dark(q, cols, y + 1) == invert);
            p += n;
        }
        ck_assert_int_eq(cols, side);
        p++;
    }
    ck_assert_int_eq(lines, (side + 1) / 2);
    kp_buf_free(&out);
    return lines;
}

START_TEST(test_qr_terminal)
{
    struct qr_code *q;
    struct kp_buf out = KP_BUF_INIT;
    const char *full = "\xE2\x96\x88", *upper = "\xE2\x96\x80", *last;

    /* A token: 49 columns, 25 lines. */
    ck_assert_int_eq(qr_encode(EX_TEXT, KP1_TEXT_LEN, QR_KP1_VERSION, &q), 0);
    ck_assert_int_eq(check_terminal(q, 0), 25);
    ck_assert_int_eq(check_terminal(q, 1), 25);
    /* The quiet zone's first two lines are full blocks (white); the last line
       is upper halves: row 48 of the quiet zone over the background. */
    qr_terminal(q, 0, &out);
    for (int i = 0; i < 49; i++) {
        ck_assert_int_eq(memcmp(out.data + i * 3, full, 3), 0);
        ck_assert_int_eq(memcmp(out.data + (49 * 3 + 1) + i * 3, full, 3), 0);
    }
    last = out.data + out.len - (49 * 3 + 1);
    for (int i = 0; i < 49; i++)
        ck_assert_int_eq(memcmp(last + i * 3, upper, 3), 0);
    ck_assert_int_eq(last[-1], '\n');
    kp_buf_reset(&out);
    /* Inverted: the quiet zone is not drawn at all. */
    qr_terminal(q, 1, &out);
    ck_assert_int_eq(strspn(out.data, " "), 49);
    kp_buf_free(&out);
    qr_free(q);
    /* A version 1 code (21 modules): 29 columns, 15 lines. */
    ck_assert_int_eq(qr_encode("KP1:", 4, 1, &q), 0);
    ck_assert_int_eq(check_terminal(q, 0), 15);
    ck_assert_int_eq(check_terminal(q, 1), 15);
    qr_free(q);
}
END_TEST

/* ---- PNG ---- */

START_TEST(test_qr_png)
{
    static const int scales[] = {1, 3, QR_PNG_SCALE};
    struct qr_code *q;
    struct kp_buf png = KP_BUF_INIT;
    uint8_t *px;
    unsigned w, h;

    ck_assert_int_eq(qr_encode(EX_TEXT, KP1_TEXT_LEN, QR_KP1_VERSION, &q), 0);
    for (size_t i = 0; i < KP_ARRAY_LEN(scales); i++) {
        int s = scales[i], side = (q->width + 2 * QR_QUIET) * s;
        kp_buf_reset(&png);
        ck_assert_int_eq(qr_png(q, s, &png), 0);
        ck_assert_int_eq(memcmp(png.data, "\x89PNG\r\n\x1a\n", 8), 0);
        /* IHDR: width, height, bit depth 1, colour type 0 (greyscale). */
        ck_assert_int_eq(memcmp(png.data + 12, "IHDR", 4), 0);
        ck_assert_int_eq(png_get_uint_32((png_const_bytep)png.data + 16), (unsigned)side);
        ck_assert_int_eq((uint8_t)png.data[24], 1);
        ck_assert_int_eq((uint8_t)png.data[25], 0);
        ck_assert_int_eq(qr_png_grey((const uint8_t *)png.data, png.len, &px, &w, &h), 0);
        ck_assert_int_eq(w, (unsigned)side);
        ck_assert_int_eq(h, (unsigned)side);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                ck_assert_int_eq(px[y * side + x], qr_dark(q, x / s, y / s) ? 0 : 255);
        free(px);
    }
    /* A token at the default scale: 392 pixels square, a small file. */
    kp_buf_reset(&png);
    ck_assert_int_eq(qr_png(q, QR_PNG_SCALE, &png), 0);
    ck_assert_int_eq(png_get_uint_32((png_const_bytep)png.data + 16), 392);
    ck_assert_int_lt(png.len, 4096);
    kp_buf_reset(&png);
    ck_assert_int_eq(qr_png(q, 0, &png), -KP_ERR_INVAL);
    ck_assert_int_eq(qr_png(q, 65, &png), -KP_ERR_INVAL);
    ck_assert_int_eq(png.len, 0);
    kp_buf_free(&png);
    qr_free(q);
}
END_TEST

/* A PNG written with libpng's simplified API (format: PNG_FORMAT_*), pixels given. */
static void png_make(struct kp_buf *out, unsigned w, unsigned h, uint32_t format,
                     const uint8_t *pixels)
{
    png_image img;
    png_alloc_size_t size = 0;

    /* Twice: the size, then the bytes (the image struct is spent after each call). */
    kp_buf_reset(out);
    for (int pass = 0; pass < 2; pass++) {
        memset(&img, 0, sizeof(img));
        img.version = PNG_IMAGE_VERSION;
        img.width = w;
        img.height = h;
        img.format = format;
        if (pass == 1)
            kp_buf_reserve(out, size);
        ck_assert_msg(
            png_image_write_to_memory(&img, pass ? out->data : NULL, &size, 0, pixels, 0, NULL),
            "%s", img.message);
    }
    out->len = size;
}

static const struct {
    const char *text;
    enum qr_mode mode;
} decode_texts[] = {
    {EX_TEXT, QR_MODE_ALNUM},
    {"KP1:", QR_MODE_ALNUM},
    {"HELLO WORLD 12345 $%*+-./:", QR_MODE_ALNUM},
    {"a lower-case text, in byte mode", QR_MODE_BYTE},
};

START_TEST(test_qr_decode)
{
    struct qr_code *q;
    struct kp_buf png = KP_BUF_INIT, text = KP_BUF_INIT;
    const char *want = decode_texts[_i].text;

    ck_assert_int_eq(qr_encode(want, strlen(want), 40, &q), 0);
    ck_assert_int_eq(q->mode, decode_texts[_i].mode);
    ck_assert_int_eq(qr_png(q, QR_PNG_SCALE, &png), 0);
    if (!qr_can_decode()) {
        ck_assert_int_eq(qr_png_decode((const uint8_t *)png.data, png.len, &text),
                         -KP_ERR_UNSUPPORTED);
    } else {
        ck_assert_int_eq(qr_png_decode((const uint8_t *)png.data, png.len, &text), 0);
        ck_assert_str_eq(text.data, want);
    }
    kp_buf_free(&png);
    kp_buf_free(&text);
    qr_free(q);
}
END_TEST

/* A colour image with transparency (RGBA, dark blue on transparent) still reads. */
START_TEST(test_qr_decode_colour)
{
    struct qr_code *q;
    struct kp_buf png = KP_BUF_INIT, text = KP_BUF_INIT;
    int s = 4, side;
    uint8_t *rgba;

    if (!qr_can_decode())
        return;
    ck_assert_int_eq(qr_encode(EX_TEXT, KP1_TEXT_LEN, QR_KP1_VERSION, &q), 0);
    side = (q->width + 2 * QR_QUIET) * s;
    rgba = kp_calloc((size_t)side * (size_t)side, 4);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            if (qr_dark(q, x / s, y / s)) {
                uint8_t *p = rgba + ((size_t)y * (size_t)side + (size_t)x) * 4;
                p[0] = 0x10, p[1] = 0x20, p[2] = 0x60, p[3] = 0xff;
            }
    png_make(&png, (unsigned)side, (unsigned)side, PNG_FORMAT_RGBA, rgba);
    ck_assert_int_eq(qr_png_decode((const uint8_t *)png.data, png.len, &text), 0);
    ck_assert_str_eq(text.data, EX_TEXT);
    free(rgba);
    kp_buf_free(&png);
    kp_buf_free(&text);
    qr_free(q);
}
END_TEST

START_TEST(test_qr_decode_bad)
{
    struct kp_buf png = KP_BUF_INIT, text = KP_BUF_INIT;
    size_t nwhite = 100 * 100 > QR_PNG_MAX_SIDE + 1 ? 100 * 100 : QR_PNG_MAX_SIDE + 1;
    uint8_t *white = kp_malloc(nwhite), *px;
    int rc_want = qr_can_decode() ? -KP_ERR_NOTFOUND : -KP_ERR_UNSUPPORTED;
    unsigned w, h;

    memset(white, 0xff, nwhite);
    /* No QR code in a blank image. */
    png_make(&png, 100, 100, PNG_FORMAT_GRAY, white);
    ck_assert_int_eq(qr_png_decode((const uint8_t *)png.data, png.len, &text), rc_want);
    ck_assert_int_eq(text.len, 0);
    /* Not a PNG, a truncated one, an empty file. */
    ck_assert_int_eq(qr_png_grey((const uint8_t *)"GIF89a....", 10, &px, &w, &h), -KP_ERR_PARSE);
    ck_assert_ptr_null(px);
    ck_assert_int_eq(qr_png_grey((const uint8_t *)png.data, png.len / 2, &px, &w, &h),
                     -KP_ERR_PARSE);
    ck_assert_int_eq(qr_png_grey((const uint8_t *)png.data, 0, &px, &w, &h), -KP_ERR_PARSE);
    /* The largest side allowed, and one more. */
    png_make(&png, QR_PNG_MAX_SIDE, 1, PNG_FORMAT_GRAY, white);
    ck_assert_int_eq(qr_png_grey((const uint8_t *)png.data, png.len, &px, &w, &h), 0);
    ck_assert_int_eq(w, QR_PNG_MAX_SIDE);
    free(px);
    png_make(&png, QR_PNG_MAX_SIDE + 1, 1, PNG_FORMAT_GRAY, white);
    ck_assert_int_eq(qr_png_grey((const uint8_t *)png.data, png.len, &px, &w, &h), -KP_ERR_TOOLONG);
    if (qr_can_decode())
        ck_assert_int_eq(qr_png_decode((const uint8_t *)png.data, png.len, &text), -KP_ERR_TOOLONG);
    free(white);
    kp_buf_free(&png);
    kp_buf_free(&text);
}
END_TEST

/* Every truncation of a token's PNG is refused or read correctly, never misread. */
START_TEST(test_qr_decode_truncated)
{
    struct qr_code *q;
    struct kp_buf png = KP_BUF_INIT, text = KP_BUF_INIT;

    if (!qr_can_decode())
        return;
    ck_assert_int_eq(qr_encode(EX_TEXT, KP1_TEXT_LEN, QR_KP1_VERSION, &q), 0);
    ck_assert_int_eq(qr_png(q, 2, &png), 0);
    for (size_t n = 0; n < png.len; n += 7) {
        int rc;
        kp_buf_reset(&text);
        rc = qr_png_decode((const uint8_t *)png.data, n, &text);
        ck_assert_msg(rc == -KP_ERR_PARSE || (rc == 0 && strcmp(text.data, EX_TEXT) == 0),
                      "length %zu: %d", n, rc);
    }
    kp_buf_free(&png);
    kp_buf_free(&text);
    qr_free(q);
}
END_TEST

Suite *suite_qr(void)
{
    Suite *s = suite_create("qr");
    TCase *tc = tcase_create("render");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_qr_encode, 0, (int)KP_ARRAY_LEN(encode_cases));
    tcase_add_test(tc, test_qr_encode_stable);
    tcase_add_test(tc, test_qr_terminal);
    tcase_add_test(tc, test_qr_png);
    tcase_add_loop_test(tc, test_qr_decode, 0, (int)KP_ARRAY_LEN(decode_texts));
    tcase_add_test(tc, test_qr_decode_colour);
    tcase_add_test(tc, test_qr_decode_bad);
    tcase_add_test(tc, test_qr_decode_truncated);
    suite_add_tcase(s, tc);
    return s;
}
