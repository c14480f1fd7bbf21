/* SPDX-License-Identifier: ISC */
/*
 * Rate limits: the token bucket behind each partner's throughput limit
 * (requests beyond it are answered ESME_RTHROTTLED, SMPP 3.4 §5.1.3), and
 * the failed-bind counter per source address (binds from an address that
 * failed too often in the last minute are refused without a password
 * check).  Pure: the caller passes the time.
 */
#include <netinet/in.h>
#include <string.h>

#include "smpp_internal.h"

void smpp_bucket_init(struct smpp_bucket *b, unsigned rate, unsigned burst, uint64_t now_ms)
{
    b->rate = rate;
    b->burst = burst ? burst : rate;
    b->last_ms = now_ms;
    b->milli_tokens = (uint64_t)b->burst * 1000u; /* start full: a burst is allowed */
}

int smpp_bucket_take(struct smpp_bucket *b, uint64_t now_ms)
{
    uint64_t cap = (uint64_t)b->burst * 1000u;

    if (b->rate == 0)
        return 1;
    if (now_ms > b->last_ms) {
        /* rate tokens per 1000 ms = rate milli-tokens per ms */
        uint64_t add = (now_ms - b->last_ms) * b->rate;
        b->milli_tokens = b->milli_tokens + add > cap ? cap : b->milli_tokens + add;
        b->last_ms = now_ms;
    }
    if (b->milli_tokens < 1000u)
        return 0;
    b->milli_tokens -= 1000u;
    return 1;
}

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
