/* SPDX-License-Identifier: ISC */
/*
 * Reading QR codes back from images: a PNG of any colour type and depth
 * becomes 8-bit grey pixels (libpng's simplified API, composited on
 * white), which libzbar scans for QR symbols.  zbar is optional: without
 * it (KP_HAVE_ZBAR undefined) qr_png_decode says so and nothing else
 * changes.
 */
#include <stdlib.h>
#include <string.h>

#include <png.h>
#ifdef KP_HAVE_ZBAR
#include <zbar.h>
#endif

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/qr.h"

int qr_png_grey(const uint8_t *png, size_t len, uint8_t **pixels, unsigned *w, unsigned *h)
{
    /* Transparent pixels become white paper, as on a printed card. */
    png_color white = {255, 255, 255};
    png_image img;
    uint8_t *buf;

    *pixels = NULL;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, png, len))
        return -KP_ERR_PARSE;
    if (img.width == 0 || img.height == 0 || img.width > QR_PNG_MAX_SIDE ||
        img.height > QR_PNG_MAX_SIDE) {
        png_image_free(&img);
        return -KP_ERR_TOOLONG;
    }
    img.format = PNG_FORMAT_GRAY;
    buf = kp_malloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, &white, buf, 0, NULL)) {
        png_image_free(&img);
        free(buf);
        return -KP_ERR_PARSE;
    }
    *pixels = buf;
    *w = img.width;
    *h = img.height;
    return 0;
}

#ifdef KP_HAVE_ZBAR
/* The first QR symbol zbar finds in the grey image, appended to out. */
static int qr_zbar(const uint8_t *grey, unsigned w, unsigned h, struct kp_buf *out)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    const zbar_symbol_t *sym;
    int rc = -KP_ERR_NOTFOUND;

    if (sc == NULL || img == NULL) {
        rc = -KP_ERR_NOMEM;
        goto out;
    }
    /* QR codes only: other symbologies only add false finds. */
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, w, h);
    zbar_image_set_data(img, grey, (unsigned long)w * h, NULL);
    if (zbar_scan_image(sc, img) <= 0)
        goto out;
    for (sym = zbar_image_first_symbol(img); sym != NULL; sym = zbar_symbol_next(sym)) {
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
            continue;
        kp_buf_append(out, zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
        rc = 0;
        break;
    }
out:
    if (img != NULL)
        zbar_image_destroy(img);
    if (sc != NULL)
        zbar_image_scanner_destroy(sc);
    return rc;
}
#endif

int qr_png_decode(const uint8_t *png, size_t len, struct kp_buf *out)
{
#ifdef KP_HAVE_ZBAR
    uint8_t *grey;
    unsigned w, h;
    int rc = qr_png_grey(png, len, &grey, &w, &h);

    if (rc < 0)
        return rc;
    rc = qr_zbar(grey, w, h, out);
    free(grey);
    return rc;
#else
    (void)png;
    (void)len;
    (void)out;
    return -KP_ERR_UNSUPPORTED;
#endif
}

int qr_can_decode(void)
{
#ifdef KP_HAVE_ZBAR
    return 1;
#else
    return 0;
#endif
}
