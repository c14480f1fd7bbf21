/* SPDX-License-Identifier: ISC */
/*
 * The lock file beside the database (pidlock.h).  fcntl() record locks
 * rather than flock(): F_GETLK names the process holding the lock, so the
 * refusal can say which daemon is in the way; and the kernel drops them
 * when that process dies, so a crash never leaves a stale lock behind (the
 * pid written in the file is only for people reading it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/err.h"
#include "kpass/core/pidlock.h"

int kp_pidlock_path(const char *database, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s.lock", database);

    return n < 0 || (size_t)n >= size ? -KP_ERR_TOOLONG : 0;
}

static void pidlock_whole(struct flock *fl, short type)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = 0;
    fl->l_len = 0; /* the whole file */
}

/* Who holds a write lock on fd's file: its pid, or 0. */
static pid_t pidlock_query(int fd)
{
    struct flock fl;

    pidlock_whole(&fl, F_WRLCK);
    if (fcntl(fd, F_GETLK, &fl) < 0)
        return -errno;
    return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

int kp_pidlock_acquire(const char *path, pid_t *holder)
{
    struct flock fl;
    char pid[24];
    int fd, n;

    *holder = 0;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    pidlock_whole(&fl, F_WRLCK);
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        int e = errno;
        if (e == EACCES || e == EAGAIN) {
            pid_t p = pidlock_query(fd);
            *holder = p > 0 ? p : 0;
            close(fd);
            return -KP_ERR_BUSY;
        }
        close(fd);
        return -e;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

pid_t kp_pidlock_holder(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    pid_t p;

    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    /* F_GETLK asks about a write lock we would take: allowed on an O_RDONLY fd. */
    p = pidlock_query(fd);
    close(fd);
    return p;
}

void kp_pidlock_release(int fd)
{
    if (fd >= 0)
        close(fd); /* closing any descriptor of the file drops our locks */
}
