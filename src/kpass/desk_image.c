/* SPDX-License-Identifier: ISC */
/*
 * `kpass desk` reading a QR code from a picture (a PNG from a webcam or a
 * phone): libpng's simplified API turns the file into 8-bit grey, and
 * libzbar finds the QR code in it.  Only when built with libzbar
 * (KP_HAVE_ZBAR, set by the Makefile when pkg-config finds it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desk_client.h"
#include "kpass/err.h"

#ifdef KP_HAVE_ZBAR
#include <png.h>
#include <zbar.h>

#define DESK_IMAGE_PIXELS (40u * 1000u * 1000u) /* more is no photo of a card */

/* The first QR code symbol of a grey image into out.  Length or < 0. */
static int desk_image_decode(const unsigned char *grey, unsigned w, unsigned h, char *out,
                             size_t cap)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    const zbar_symbol_t *sym;
    int rc = -KP_ERR_NOTFOUND;

    if (sc == NULL || img == NULL) {
        rc = -KP_ERR_NOMEM;
        goto out;
    }
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, w, h);
    zbar_image_set_data(img, grey, (unsigned long)w * h, NULL);
    if (zbar_scan_image(sc, img) <= 0)
        goto out;
    for (sym = zbar_image_first_symbol(img); sym; sym = zbar_symbol_next(sym)) {
        unsigned len = zbar_symbol_get_data_length(sym);
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
            continue;
        if (len >= cap || memchr(zbar_symbol_get_data(sym), '\0', len) != NULL) {
            rc = -KP_ERR_TOOLONG;
            goto out;
        }
        memcpy(out, zbar_symbol_get_data(sym), len);
        out[len] = '\0';
        rc = (int)len;
        break;
    }
out:
    if (img)
        zbar_image_destroy(img);
    if (sc)
        zbar_image_scanner_destroy(sc);
    return rc;
}

int desk_image_scan(const char *path, char *out, size_t cap)
{
    png_image png;
    unsigned char *grey = NULL;
    int rc;

    memset(&png, 0, sizeof(png));
    png.version = PNG_IMAGE_VERSION;
    if (cap > 0)
        out[0] = '\0';
    if (!png_image_begin_read_from_file(&png, path))
        return -KP_ERR_PARSE;
    if (png.width == 0 || png.height == 0 ||
        (unsigned long long)png.width * png.height > DESK_IMAGE_PIXELS) {
        png_image_free(&png);
        return -KP_ERR_RANGE;
    }
    png.format = PNG_FORMAT_GRAY;
    grey = malloc(PNG_IMAGE_SIZE(png));
    if (grey == NULL) {
        png_image_free(&png);
        return -KP_ERR_NOMEM;
    }
    /* With no background colour libpng composes transparent pixels onto
       what the buffer holds: white, as the paper a QR code is printed on. */
    memset(grey, 0xff, PNG_IMAGE_SIZE(png));
    if (!png_image_finish_read(&png, NULL, grey, 0, NULL))
        rc = -KP_ERR_PARSE;
    else
        rc = desk_image_decode(grey, png.width, png.height, out, cap);
    png_image_free(&png);
    free(grey);
    return rc;
}

#else

int desk_image_scan(const char *path, char *out, size_t cap)
{
    (void)path;
    if (cap > 0)
        out[0] = '\0';
    return -KP_ERR_UNSUPPORTED;
}

#endif
