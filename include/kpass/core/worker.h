/* SPDX-License-Identifier: ISC */
/*
 * One worker thread for the slow, rare work that must not stall the event
 * loop: password and PIN checks (crypto_pwhash_str_verify takes tens of
 * milliseconds and 64 MiB by design).  A job's run() executes in the
 * thread; its done() then runs on the loop, always, exactly once.  The two
 * never run at the same time, so run() may fill the job and done() read
 * it; anything else they share is the caller's to protect.
 */
#ifndef KPASS_WORKER_H
#define KPASS_WORKER_H

struct event_base;
struct kp_worker;

typedef void (*kp_worker_fn)(void *arg);

struct kp_worker *kp_worker_new(struct event_base *base);
/* Stop the thread; jobs not run yet get done() without run().  NULL: no-op. */
void kp_worker_free(struct kp_worker *w);
/* Queue a job.  0 always (memory is not refused: mem.h). */
int kp_worker_submit(struct kp_worker *w, kp_worker_fn run, kp_worker_fn done, void *arg);

#endif
