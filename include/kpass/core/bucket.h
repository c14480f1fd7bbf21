/* SPDX-License-Identifier: ISC */
/*
 * A token bucket: rate tokens per second, up to burst banked, starting
 * full.  Behind each partner's throughput limit, both ways.  Pure: the
 * caller passes the time in milliseconds.
 */
#ifndef KPASS_BUCKET_H
#define KPASS_BUCKET_H

#include <stdint.h>

struct kp_bucket {
    uint64_t last_ms;
    uint64_t milli_tokens; /* tokens x 1000 */
    unsigned rate;         /* tokens per second; 0 = unlimited */
    unsigned burst;        /* depth in tokens */
};

/* burst 0 means burst = rate. */
void kp_bucket_init(struct kp_bucket *b, unsigned rate, unsigned burst, uint64_t now_ms);
/* Take one token: 1 when allowed, 0 when the caller must wait (or be refused). */
int kp_bucket_take(struct kp_bucket *b, uint64_t now_ms);

#endif
