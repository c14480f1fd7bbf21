/* SPDX-License-Identifier: ISC */
/*
 * Drawing QR codes: encoding a text with libqrencode (level M, the
 * smallest version that holds it, alphanumeric mode when every character
 * allows it), and drawing the symbol with its quiet zone as Unicode half
 * blocks or as a 1-bit PNG (libpng).  Reading images back is qr_scan.c's.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/qr.h"

/* UTF-8 of U+2580 UPPER HALF BLOCK, U+2584 LOWER HALF BLOCK, U+2588 FULL BLOCK. */
#define QR_UPPER "\xE2\x96\x80"
#define QR_LOWER "\xE2\x96\x84"
#define QR_FULL  "\xE2\x96\x88"

#define QR_PNG_SCALE_MAX 64
/* zlib level: 6 gives a token 581 octets in 128 us; 1, 1048 octets in 83 us; 9, 595 in 1.2 ms. */
#define QR_PNG_ZLEVEL 6

/* In the alphanumeric set of ISO/IEC 18004:2015 §7.4.4, table 5 (Base45's alphabet)? */
static int qr_alnum_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr(" $%*+-./:", c) != NULL);
}

static int qr_alnum(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!qr_alnum_char((unsigned char)text[i]))
            return 0;
    return 1;
}

/* libqrencode reports failures in errno. */
static int qr_errno(void)
{
    if (errno == ENOMEM)
        return -KP_ERR_NOMEM;
    if (errno == ERANGE)
        return -KP_ERR_TOOLONG;
    return -KP_ERR_INVAL;
}

int qr_encode(const char *text, size_t len, int max_version, struct qr_code **out)
{
    enum qr_mode mode = qr_alnum(text, len) ? QR_MODE_ALNUM : QR_MODE_BYTE;
    QRinput *in = NULL;
    QRcode *c = NULL;
    struct qr_code *q;
    int rc = 0;

    *out = NULL;
    if (len == 0 || len > INT_MAX || max_version < 1 || max_version > QR_VERSION_MAX)
        return -KP_ERR_INVAL;
    /* Version 0: the smallest that holds the data. */
    if ((in = QRinput_new2(0, QR_ECLEVEL_M)) == NULL)
        return -KP_ERR_NOMEM;
    if (QRinput_append(in, mode == QR_MODE_ALNUM ? QR_MODE_AN : QR_MODE_8, (int)len,
                       (const unsigned char *)text) < 0) {
        rc = qr_errno();
        goto out;
    }
    if ((c = QRcode_encodeInput(in)) == NULL) {
        rc = qr_errno();
        goto out;
    }
    if (c->version > max_version) {
        rc = -KP_ERR_TOOLONG;
        goto out;
    }
    q = kp_calloc(1, sizeof(*q));
    q->version = c->version;
    q->width = c->width;
    q->mode = mode;
    q->modules = kp_malloc((size_t)c->width * (size_t)c->width);
    /* Bit 0 of each of libqrencode's octets is the module: 1 dark. */
    for (size_t i = 0; i < (size_t)c->width * (size_t)c->width; i++)
        q->modules[i] = c->data[i] & 1;
    *out = q;
out:
    QRcode_free(c);
    QRinput_free(in);
    return rc;
}

void qr_free(struct qr_code *q)
{
    if (q == NULL)
        return;
    free(q->modules);
    free(q);
}

int qr_dark(const struct qr_code *q, int x, int y)
{
    x -= QR_QUIET;
    y -= QR_QUIET;
    if (x < 0 || y < 0 || x >= q->width || y >= q->width)
        return 0;
    return q->modules[(size_t)y * (size_t)q->width + (size_t)x];
}

void qr_terminal(const struct qr_code *q, int invert, struct kp_buf *out)
{
    int side = q->width + 2 * QR_QUIET;

    kp_buf_reserve(out, (size_t)(side + 1) / 2 * ((size_t)side * 3 + 1));
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; x++) {
            /* A glyph draws in the text colour: light modules, or dark ones inverted. */
            int top = qr_dark(q, x, y) == invert;
            int bottom = y + 1 < side && qr_dark(q, x, y + 1) == invert;
            kp_buf_puts(out, top && bottom ? QR_FULL : top ? QR_UPPER : bottom ? QR_LOWER : " ");
        }
        kp_buf_putc(out, '\n');
    }
}

static void qr_png_write_cb(png_structp png, png_bytep data, size_t n)
{
    kp_buf_append(png_get_io_ptr(png), data, n);
}

static void qr_png_flush_cb(png_structp png)
{
    (void)png;
}

/* libpng's errors end in longjmp back to qr_png_write(); nothing is printed. */
static void qr_png_error_cb(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void qr_png_warning_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* The image rows: one row of modules, as 1-bit pixels (1 light), repeated scale times. */
static void qr_png_rows(png_structp png, const struct qr_code *q, int scale, uint8_t *row,
                        size_t rowbytes)
{
    int side = q->width + 2 * QR_QUIET;

    for (int my = 0; my < side; my++) {
        memset(row, 0, rowbytes);
        for (int mx = 0, px = 0; mx < side; mx++, px += scale) {
            if (qr_dark(q, mx, my))
                continue;
            for (int k = px; k < px + scale; k++)
                row[k >> 3] |= (uint8_t)(0x80u >> (k & 7));
        }
        for (int k = 0; k < scale; k++)
            png_write_row(png, row);
    }
}

/* Only calls after setjmp here, and no local changes after it (no clobbering). */
static int qr_png_write(png_structp png, png_infop info, const struct qr_code *q, int scale,
                        uint8_t *row, size_t rowbytes, struct kp_buf *out)
{
    png_uint_32 px = (png_uint_32)((q->width + 2 * QR_QUIET) * scale);

    if (setjmp(png_jmpbuf(png)))
        return -KP_ERR_IO;
    png_set_write_fn(png, out, qr_png_write_cb, qr_png_flush_cb);
    /* PNG (ISO/IEC 15948) §11.2.2: colour type 0, bit depth 1. */
    png_set_IHDR(png, info, px, px, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_compression_level(png, QR_PNG_ZLEVEL);
    png_write_info(png, info);
    qr_png_rows(png, q, scale, row, rowbytes);
    png_write_end(png, info);
    return 0;
}

int qr_png(const struct qr_code *q, int scale, struct kp_buf *out)
{
    png_structp png;
    png_infop info = NULL;
    size_t rowbytes, start = out->len;
    uint8_t *row;
    int rc = -KP_ERR_NOMEM;

    if (scale < 1 || scale > QR_PNG_SCALE_MAX)
        return -KP_ERR_INVAL;
    rowbytes = ((size_t)(q->width + 2 * QR_QUIET) * (size_t)scale + 7) / 8;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, qr_png_error_cb, qr_png_warning_cb);
    if (png == NULL)
        return rc;
    if ((info = png_create_info_struct(png)) != NULL) {
        row = kp_malloc(rowbytes);
        rc = qr_png_write(png, info, q, scale, row, rowbytes, out);
        free(row);
    }
    png_destroy_write_struct(&png, &info);
    if (rc < 0 && out->data != NULL) {
        out->len = start; /* no half-written file */
        out->data[start] = '\0';
    }
    return rc;
}
