/* SPDX-License-Identifier: ISC */
/*
 * Allocation helpers: exit on out-of-memory instead of returning NULL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/log.h"
#include "kpass/core/mem.h"

void *kp_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL)
        fatalx("mem: out of memory (%zu bytes)", size);
    return p;
}

void *kp_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        fatalx("mem: out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *kp_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);

    if (q == NULL)
        fatalx("mem: out of memory (%zu bytes)", size);
    return q;
}

void *kp_grow(void *p, size_t *cap, size_t want, size_t size)
{
    size_t n = *cap ? *cap : 8;

    if (want <= *cap)
        return p;
    while (n < want) {
        if (n > SIZE_MAX / 2 / size)
            fatalx("mem: array too large");
        n *= 2;
    }
    *cap = n;
    return kp_realloc(p, n * size);
}

char *kp_strdup(const char *s)
{
    return kp_strndup(s, strlen(s));
}

char *kp_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = kp_malloc(len + 1);

    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
