/* SPDX-License-Identifier: ISC */
/*
 * Growable NUL-terminated buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/buf.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"

void kp_buf_reserve(struct kp_buf *b, size_t extra)
{
    size_t want = b->len + extra + 1;

    if (want <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap *= 2;
    b->data = kp_realloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0'; /* kp_buf_steal() of an untouched buffer is "" too */
}

void kp_buf_append(struct kp_buf *b, const void *p, size_t n)
{
    kp_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void kp_buf_puts(struct kp_buf *b, const char *s)
{
    kp_buf_append(b, s, strlen(s));
}

void kp_buf_putc(struct kp_buf *b, char c)
{
    kp_buf_append(b, &c, 1);
}

void kp_buf_printf(struct kp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    /* Most texts are short: format once into the stack, copy once. */
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        kp_buf_append(b, small, (size_t)n);
        return;
    }
    kp_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void kp_buf_reset(struct kp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void kp_buf_free(struct kp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *kp_buf_steal(struct kp_buf *b)
{
    char *p;

    kp_buf_reserve(b, 0);
    p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int kp_buf_read_file(struct kp_buf *b, const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    char chunk[16384];
    size_t n, start = b->len;
    int rc = 0;

    if (f == NULL)
        return -errno;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b->len - start + n > max) {
            rc = -KP_ERR_TOOLONG;
            break;
        }
        kp_buf_append(b, chunk, n);
    }
    if (rc == 0 && ferror(f))
        rc = errno ? -errno : -EIO;
    fclose(f);
    return rc;
}
