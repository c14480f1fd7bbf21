/* SPDX-License-Identifier: ISC */
/*
 * Token buckets (see bucket.h).  Integer arithmetic in thousandths of a
 * token, so that any rate refills smoothly by the millisecond.
 */
#include "kpass/core/bucket.h"

void kp_bucket_init(struct kp_bucket *b, unsigned rate, unsigned burst, uint64_t now_ms)
{
    b->rate = rate;
    b->burst = burst ? burst : rate;
    b->last_ms = now_ms;
    b->milli_tokens = (uint64_t)b->burst * 1000u; /* start full: a burst is allowed */
}

int kp_bucket_take(struct kp_bucket *b, uint64_t now_ms)
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
