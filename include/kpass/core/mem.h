/* SPDX-License-Identifier: ISC */
/*
 * Allocation helpers that never return NULL: out of memory is a broken
 * invariant for a daemon of this size, so they log and exit (as Redis's
 * zmalloc does).  Secrets do not use these: they live in sodium_malloc().
 */
#ifndef KPASS_MEM_H
#define KPASS_MEM_H

#include <stddef.h>

void *kp_malloc(size_t size);
void *kp_calloc(size_t n, size_t size);
void *kp_realloc(void *p, size_t size);
/* Grow an array of n elements of size to at least want elements; *cap is updated. */
void *kp_grow(void *p, size_t *cap, size_t want, size_t size);
char *kp_strdup(const char *s);
char *kp_strndup(const char *s, size_t n);

#define KP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
