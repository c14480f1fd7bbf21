/* SPDX-License-Identifier: ISC */
/*
 * Time sources.  Pure modules take the time as an argument instead of
 * calling these, so that tests can drive the clock.
 */
#ifndef KPASS_CLOCK_H
#define KPASS_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock (for timers and latencies). */
uint64_t kp_clock_ms(void);
/* Microseconds on the monotonic clock (for latency measurements). */
uint64_t kp_clock_us(void);
/* Seconds since the Unix epoch (for stored timestamps). */
int64_t kp_time_s(void);

#endif
