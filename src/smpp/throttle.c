/* SPDX-License-Identifier: ISC */
/*
 * The failed-bind counter per source address: binds from an address that
 * failed too often in the last minute are refused without a password
 * check.  Pure: the caller passes the time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "smpp_internal.h"

static void failmap_key(const struct sockaddr *sa, uint8_t addr[16], uint8_t *family)
{
    memset(addr, 0, 16);
    if (sa->sa_family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        *family = 4;
    } else {
        memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        *family = 6;
    }
}

/* The entry for this address, or NULL; *victim is where a new one would go. */
static struct smpp_failmap_entry *failmap_find(struct smpp_failmap *m, const struct sockaddr *sa,
                                               struct smpp_failmap_entry **victim)
{
    uint8_t addr[16], family;
    uint32_t h = 2166136261u;

    failmap_key(sa, addr, &family);
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    /* Four-way set: the oldest of four slots is replaced. */
    unsigned base = (h % (SMPP_FAILMAP_SIZE / 4)) * 4;
    *victim = &m->e[base];
    for (unsigned i = base; i < base + 4; i++) {
        struct smpp_failmap_entry *e = &m->e[i];
        if (e->family == family && memcmp(e->addr, addr, 16) == 0)
            return e;
        if (e->window_ms < (*victim)->window_ms)
            *victim = e;
    }
    return NULL;
}

int smpp_failmap_blocked(struct smpp_failmap *m, const struct sockaddr *sa, uint64_t now_ms)
{
    struct smpp_failmap_entry *victim, *e = failmap_find(m, sa, &victim);

    if (e == NULL || now_ms >= e->window_ms + 60000u)
        return 0;
    return e->count >= m->limit;
}

void smpp_failmap_record(struct smpp_failmap *m, const struct sockaddr *sa, uint64_t now_ms)
{
    struct smpp_failmap_entry *victim, *e = failmap_find(m, sa, &victim);

    if (e == NULL) {
        e = victim;
        failmap_key(sa, e->addr, &e->family);
        e->window_ms = now_ms;
        e->count = 0;
    }
    if (now_ms >= e->window_ms + 60000u) {
        e->window_ms = now_ms;
        e->count = 0;
    }
    e->count++;
}

void smpp_failmap_addr(const struct sockaddr *sa, char *out, size_t size)
{
    const void *a = sa->sa_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

    if (inet_ntop(sa->sa_family, a, out, (socklen_t)size) == NULL)
        snprintf(out, size, "?");
}
