/* SPDX-License-Identifier: ISC */
/*
 * `kpass desk` reading a QR code from a picture (a PNG from a webcam or a
 * phone): the file, bounded in size, goes to qr_png_decode (libpng to
 * grey, then libzbar; src/id/qr_scan.c).
 */
#include <string.h>

#include "desk_client.h"
#include "kpass/core/buf.h"
#include "kpass/core/err.h"
#include "kpass/id/qr.h"

#define DESK_IMAGE_MAX (32u * 1024u * 1024u) /* more is no photo of a card */

int desk_image_scan(const char *path, char *out, size_t cap)
{
    struct kp_buf file = KP_BUF_INIT, text = KP_BUF_INIT;
    int rc;

    if (cap > 0)
        out[0] = '\0';
    if (!qr_can_decode())
        return -KP_ERR_UNSUPPORTED;
    rc = kp_buf_read_file(&file, path, DESK_IMAGE_MAX);
    if (rc == -KP_ERR_TOOLONG)
        rc = -KP_ERR_RANGE;
    else if (rc < 0)
        rc = -KP_ERR_PARSE;
    else
        rc = qr_png_decode((const uint8_t *)file.data, file.len, &text);
    if (rc == 0 && (text.len >= cap || memchr(text.data, '\0', text.len) != NULL))
        rc = -KP_ERR_TOOLONG;
    if (rc == 0) {
        memcpy(out, text.data, text.len + 1);
        rc = (int)text.len;
    }
    kp_buf_free(&file);
    kp_buf_free(&text);
    return rc;
}
