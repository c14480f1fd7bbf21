/* SPDX-License-Identifier: ISC */
/*
 * One daemon per database: an exclusive POSIX record lock on a file beside
 * it ("<database>.lock"), held for the holder's life and released by the
 * kernel when it exits, however it exits.  The file holds the holder's pid
 * for people; the lock itself (F_GETLK) is what answers "who holds it".
 */
#ifndef KPASS_PIDLOCK_H
#define KPASS_PIDLOCK_H

#include <stddef.h>
#include <sys/types.h>

/* "<database>.lock" into buf; 0 or -KP_ERR_TOOLONG. */
int kp_pidlock_path(const char *database, char *buf, size_t size);

/*
 * Take the lock on path (created 0600 if missing) and write our pid in it.
 * Returns the open descriptor (keep it open to keep the lock), or
 * -KP_ERR_BUSY with *holder set to the pid that holds it, or -errno.
 */
int kp_pidlock_acquire(const char *path, pid_t *holder);

/* The pid holding the lock on path, 0 if nobody does (or no file), or -errno. */
pid_t kp_pidlock_holder(const char *path);

/* Drop the lock taken by kp_pidlock_acquire (the descriptor); -1 is a no-op. */
void kp_pidlock_release(int fd);

#endif
