/* SPDX-License-Identifier: ISC */
/*
 * A growable byte/string buffer.  data is always NUL-terminated (the NUL is
 * not counted in len), so text built here can be used as a C string.
 *
 *   struct kp_buf b = KP_BUF_INIT;
 *   kp_buf_printf(&b, "%d options", n);   // b.data = "3 options", b.len = 9
 *   kp_buf_free(&b);
 */
#ifndef KPASS_BUF_H
#define KPASS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/log.h"

struct kp_buf {
    char *data;
    size_t len;
    size_t cap;
};

#define KP_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void kp_buf_reserve(struct kp_buf *b, size_t extra);
void kp_buf_append(struct kp_buf *b, const void *p, size_t n);
void kp_buf_puts(struct kp_buf *b, const char *s);
void kp_buf_putc(struct kp_buf *b, char c);
void kp_buf_printf(struct kp_buf *b, const char *fmt, ...) KP_PRINTF(2, 3);
/* Empty the buffer, keeping its memory. */
void kp_buf_reset(struct kp_buf *b);
/* Release the memory; the buffer is empty and reusable afterwards. */
void kp_buf_free(struct kp_buf *b);
/* Append the file at path, at most max octets, to b.  0, -errno when it
   cannot be opened or read, -KP_ERR_TOOLONG when it is larger than max. */
int kp_buf_read_file(struct kp_buf *b, const char *path, size_t max);
/* Take ownership of the NUL-terminated data (never NULL); the buffer is reset. */
char *kp_buf_steal(struct kp_buf *b);

#endif
