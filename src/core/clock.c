/* SPDX-License-Identifier: ISC */
/*
 * Monotonic and wall-clock time.
 */
#include <time.h>

#include "kpass/core/clock.h"

uint64_t kp_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t kp_clock_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t kp_time_s(void)
{
    return (int64_t)time(NULL);
}
