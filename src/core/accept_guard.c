/* SPDX-License-Identifier: ISC */
/*
 * The accept guard (see accept_guard.h): a reserve descriptor, a pause
 * timer and a rate-limited notice per group of listeners.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "kpass/core/accept_guard.h"
#include "kpass/core/clock.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"

#define GUARD_MAX_LISTENERS 8

struct kp_accept_guard {
    struct kp_accept_guard *next; /* every guard of the process */
    char name[16];
    int reserve;          /* open("/dev/null"), -1 while given up */
    struct event *resume; /* the pause timer */
    struct evconnlistener *lev[GUARD_MAX_LISTENERS];
    int nlev;
    int paused;
    unsigned long shed;         /* since start */
    unsigned long shed_noticed; /* shed at the last notice */
    unsigned long failures;     /* accept failures since the last notice */
    uint64_t notice_ms;         /* time of the last notice, 0: none yet */
};

/*
 * libevent calls a listener's error callback with the listener's own
 * argument, which for evhttp's listeners is the evhttp object: the guard
 * is found from the listener instead, in this list (one loop thread).
 */
static struct kp_accept_guard *guards;

static void guard_reserve_take(struct kp_accept_guard *g)
{
    if (g->reserve < 0)
        g->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void guard_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct kp_accept_guard *g = arg;

    (void)fd;
    (void)what;
    guard_reserve_take(g);
    for (int i = 0; i < g->nlev; i++)
        evconnlistener_enable(g->lev[i]);
    g->paused = 0;
}

/* Give up the reserve, accept one pending connection and close it. */
static void guard_shed(struct kp_accept_guard *g, struct evconnlistener *lev)
{
    int fd;

    if (g->reserve >= 0) {
        close(g->reserve);
        g->reserve = -1;
    }
    fd = accept(evconnlistener_get_fd(lev), NULL, NULL);
    if (fd >= 0) {
        close(fd);
        g->shed++;
    }
    guard_reserve_take(g);
}

static void guard_notice(struct kp_accept_guard *g, int err)
{
    uint64_t now = kp_clock_ms();

    if (g->notice_ms && now - g->notice_ms < KP_ACCEPT_GUARD_NOTICE_MS)
        return;
    if (err == EMFILE || err == ENFILE)
        log_warnx("%s: out of file descriptors (%s): accepting paused %d ms at a time; "
                  "%lu accept failures, %lu connections shed since the last notice",
                  g->name, strerror(err), KP_ACCEPT_GUARD_PAUSE_MS, g->failures,
                  g->shed - g->shed_noticed);
    else
        log_warnx("%s: accept failed (%s): accepting paused %d ms at a time; "
                  "%lu accept failures since the last notice",
                  g->name, strerror(err), KP_ACCEPT_GUARD_PAUSE_MS, g->failures);
    g->notice_ms = now;
    g->shed_noticed = g->shed;
    g->failures = 0;
}

static void guard_error_cb(struct evconnlistener *lev, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    struct kp_accept_guard *g;
    struct timeval tv = {0, KP_ACCEPT_GUARD_PAUSE_MS * 1000};

    (void)arg;
    for (g = guards; g != NULL; g = g->next) {
        for (int i = 0; i < g->nlev; i++)
            if (g->lev[i] == lev)
                goto found;
    }
    return;
found:
    /* A connection that died in the backlog is nothing to pause for. */
    if (err == ECONNABORTED || err == EINTR || err == EPROTO || err == EPERM)
        return;
    g->failures++;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
        guard_shed(g, lev);
    guard_notice(g, err);
    if (!g->paused) {
        for (int i = 0; i < g->nlev; i++)
            evconnlistener_disable(g->lev[i]);
        g->paused = 1;
        evtimer_add(g->resume, &tv);
    }
}

struct kp_accept_guard *kp_accept_guard_new(struct event_base *base, const char *name)
{
    struct kp_accept_guard *g = kp_calloc(1, sizeof(*g));

    strncpy(g->name, name, sizeof(g->name) - 1);
    g->reserve = -1;
    guard_reserve_take(g);
    g->resume = evtimer_new(base, guard_resume_cb, g);
    g->next = guards;
    guards = g;
    return g;
}

void kp_accept_guard_free(struct kp_accept_guard *g)
{
    struct kp_accept_guard **pp;

    if (g == NULL)
        return;
    for (pp = &guards; *pp != NULL; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    event_free(g->resume);
    if (g->reserve >= 0)
        close(g->reserve);
    free(g);
}

void kp_accept_guard_add(struct kp_accept_guard *g, struct evconnlistener *lev)
{
    if (g->nlev == GUARD_MAX_LISTENERS)
        fatalx("accept guard %s: too many listeners", g->name);
    g->lev[g->nlev++] = lev;
    evconnlistener_set_error_cb(lev, guard_error_cb);
    if (g->paused)
        evconnlistener_disable(lev);
}

void kp_accept_guard_remove(struct kp_accept_guard *g, struct evconnlistener *lev)
{
    for (int i = 0; i < g->nlev; i++)
        if (g->lev[i] == lev) {
            g->lev[i] = g->lev[--g->nlev];
            return;
        }
}

unsigned long kp_accept_guard_shed(const struct kp_accept_guard *g)
{
    return g->shed;
}
