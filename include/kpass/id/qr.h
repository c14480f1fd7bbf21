/* SPDX-License-Identifier: ISC */
/*
 * QR codes for KP1 tokens (DESIGN.md §7): encoding a text into a QR
 * symbol (libqrencode), drawing it as a PNG (libpng) or on a terminal
 * with Unicode half blocks, and reading a QR code back from a PNG
 * (libpng, then libzbar when the build has it: KP_HAVE_ZBAR).
 *
 * A KP1 token is 139 characters of the QR alphanumeric set
 * (ISO/IEC 18004:2015 §7.4.4, table 5: 0-9 A-Z space $ % * + - . / :),
 * which Base45 was designed to fit (RFC 9285 §1): in alphanumeric mode at
 * error correction level M it is a version 6 symbol (41 x 41 modules,
 * 154 alphanumeric characters at most).  Texts outside that set are
 * encoded in byte mode.
 *
 * Every symbol is drawn with the 4-module quiet zone of ISO/IEC 18004:2015
 * §9.1 (light modules around it).  A PNG is 1-bit greyscale, QR_PNG_SCALE
 * pixels per module by default: a token's PNG is (41 + 8) * 8 = 392 pixels
 * square.  A terminal drawing puts two module rows in one text line:
 * "▀" (top light, bottom dark), "▄" (top dark, bottom light), "█" (both
 * light) and " " (both dark), for light text on a dark background (the
 * glyph is the light part); `invert` swaps them for dark text on light.
 * A token's drawing is 49 columns by 25 lines.
 *
 * Pure: bytes in, bytes out, no files, no clock, no logging.
 */
#ifndef KPASS_QR_H
#define KPASS_QR_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"

#define QR_QUIET        4 /* quiet zone, modules (ISO/IEC 18004:2015 §9.1) */
#define QR_PNG_SCALE    8 /* pixels per module */
#define QR_KP1_VERSION  6 /* the largest version a KP1 token may need (level M) */
#define QR_VERSION_MAX  40
#define QR_PNG_MAX_SIDE 8192 /* larger images are refused by qr_png_decode */

enum qr_mode {
    QR_MODE_ALNUM = 0, /* alphanumeric mode (ISO/IEC 18004:2015 §7.4.4) */
    QR_MODE_BYTE = 1,  /* byte mode (§7.4.5) */
};

/* A QR symbol at error correction level M, without its quiet zone. */
struct qr_code {
    int version; /* 1..40 */
    int width;   /* modules per side: 17 + 4 * version */
    enum qr_mode mode;
    uint8_t *modules; /* width * width, row by row; 1 = dark */
};

/*
 * Encode text[0..len) as one QR symbol at level M, of the smallest
 * version that holds it and at most max_version (1..40): alphanumeric
 * mode when every character is in that set, byte mode otherwise.
 * On success *out is a new symbol owned by the caller (qr_free).
 * 0, -KP_ERR_INVAL (empty text, bad max_version), -KP_ERR_TOOLONG (does
 * not fit max_version), -KP_ERR_NOMEM.
 */
int qr_encode(const char *text, size_t len, int max_version, struct qr_code **out);

/* Release a symbol.  NULL is a no-op. */
void qr_free(struct qr_code *q);

/*
 * The module at (x, y) counted from the top left corner of the quiet
 * zone (0 .. width + 2 * QR_QUIET - 1): 1 dark, 0 light (the quiet zone
 * and anything outside the symbol are light).
 */
int qr_dark(const struct qr_code *q, int x, int y);

/*
 * Append the symbol as UTF-8 text to out, QR_QUIET light modules around
 * it, two module rows per line ("\n" after each): width + 8 columns,
 * (width + 9) / 2 lines.  An odd last row is drawn over the terminal's
 * background.  invert: 0 for light text on a dark background (light
 * modules drawn), 1 for dark text on a light background.
 */
void qr_terminal(const struct qr_code *q, int invert, struct kp_buf *out);

/*
 * Append the symbol as a PNG file's bytes to out: 1-bit greyscale, scale
 * pixels per module (1..64), quiet zone included, so (width + 8) * scale
 * pixels square.  0, -KP_ERR_INVAL (scale), -KP_ERR_IO (libpng failed).
 */
int qr_png(const struct qr_code *q, int scale, struct kp_buf *out);

/*
 * Read a PNG (any colour type and depth) from png[0..len) as 8-bit grey
 * pixels, row by row, into *pixels (malloc'd; the caller frees it).
 * 0, -KP_ERR_PARSE (not a PNG, or damaged), -KP_ERR_TOOLONG (a side
 * above QR_PNG_MAX_SIDE).
 */
int qr_png_grey(const uint8_t *png, size_t len, uint8_t **pixels, unsigned *w, unsigned *h);

/*
 * Find a QR code in the PNG png[0..len) and append its text to out (the
 * first one, in zbar's order, when there are several).  0, -KP_ERR_PARSE
 * / -KP_ERR_TOOLONG (see qr_png_grey), -KP_ERR_NOTFOUND (no QR code in
 * it), -KP_ERR_UNSUPPORTED (built without libzbar), -KP_ERR_NOMEM.
 */
int qr_png_decode(const uint8_t *png, size_t len, struct kp_buf *out);

/* Was this build made with libzbar (can qr_png_decode read images)?  1 or 0. */
int qr_can_decode(void);

#endif
