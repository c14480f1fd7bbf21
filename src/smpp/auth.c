/* SPDX-License-Identifier: ISC */
/*
 * Partner password checks off the event loop.  crypto_pwhash_str_verify
 * (Argon2id, interactive limits) takes tens of milliseconds and 64 MiB by
 * design; one worker thread runs the checks and hands results back to the
 * loop through a pipe, so a burst of binds never stalls USSD traffic.
 * The loop owns every job field except `ok`, which only the worker writes
 * before passing the job back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "kpass/clock.h"
#include "kpass/err.h"
#include "kpass/log.h"
#include "kpass/mem.h"
#include "smpp_internal.h"

struct smpp_auth_job {
    struct smpp_auth_job *next;
    struct smpp_link *link; /* NULL once the link closed */
    struct smpp_pdu bind;   /* password wiped */
    char pwhash[128];
    char password[9];
    uint8_t tag[32]; /* cache key of this password, computed by the loop */
    int ok;
};

struct smpp_auth {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct smpp_auth_job *head, *tail;
    int fds[2]; /* worker -> loop: finished job pointers */
    struct event *ev;
    int stop;
};

static void *auth_worker(void *arg)
{
    struct smpp_auth *a = arg;

    for (;;) {
        struct smpp_auth_job *job;

        pthread_mutex_lock(&a->mu);
        while (a->head == NULL && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->stop) {
            pthread_mutex_unlock(&a->mu);
            return NULL;
        }
        job = a->head;
        a->head = job->next;
        if (a->head == NULL)
            a->tail = NULL;
        pthread_mutex_unlock(&a->mu);

        job->ok = crypto_pwhash_str_verify(job->pwhash, job->password, strlen(job->password)) == 0;
        sodium_memzero(job->password, sizeof(job->password));
        while (write(a->fds[1], &job, sizeof(job)) < 0 && errno == EINTR)
            ;
    }
}

static void auth_job_free(struct smpp_auth_job *job)
{
    sodium_memzero(job, sizeof(*job));
    free(job);
}

static void auth_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct smpp_auth_job *job;

    (void)what;
    (void)arg;
    while (read(fd, &job, sizeof(job)) == (ssize_t)sizeof(job)) {
        struct smpp_link *l = job->link;
        if (l != NULL) {
            l->auth_job = NULL;
            l->hub->now_ms = kp_clock_ms();
            smpp_server_auth_done(l, &job->bind, job->ok, job->tag);
            if (l->state != SMPP_LINK_CLOSED && !l->close_after_flush)
                smpp_link_resume_read(l);
        }
        auth_job_free(job);
    }
}

struct smpp_auth *smpp_auth_new(struct event_base *base)
{
    struct smpp_auth *a = kp_calloc(1, sizeof(*a));

    if (pipe2(a->fds, O_CLOEXEC | O_NONBLOCK) < 0)
        fatal("smpp: pipe");
    /* The worker may block on a full pipe; only the loop's end is non-blocking. */
    fcntl(a->fds[1], F_SETFL, fcntl(a->fds[1], F_GETFL) & ~O_NONBLOCK);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->ev = event_new(base, a->fds[0], EV_READ | EV_PERSIST, auth_done_cb, a);
    event_add(a->ev, NULL);
    if (pthread_create(&a->thread, NULL, auth_worker, a) != 0)
        fatalx("smpp: cannot start the password-check thread");
    return a;
}

void smpp_auth_free(struct smpp_auth *a)
{
    struct smpp_auth_job *job;

    if (a == NULL)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    while ((job = a->head) != NULL) {
        a->head = job->next;
        auth_job_free(job);
    }
    while (read(a->fds[0], &job, sizeof(job)) == (ssize_t)sizeof(job))
        auth_job_free(job);
    event_free(a->ev);
    close(a->fds[0]);
    close(a->fds[1]);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a);
}

int smpp_auth_submit(struct smpp_auth *a, struct smpp_link *l, const struct smpp_pdu *bind,
                     const char *pwhash, const uint8_t tag[32])
{
    struct smpp_auth_job *job = kp_calloc(1, sizeof(*job));

    if (smpp_strlcpy(job->pwhash, sizeof(job->pwhash), pwhash) < 0) {
        auth_job_free(job);
        return -KP_ERR_INVAL;
    }
    memcpy(job->password, bind->bind.password, sizeof(job->password));
    job->password[sizeof(job->password) - 1] = '\0';
    job->bind = *bind;
    sodium_memzero(job->bind.bind.password, sizeof(job->bind.bind.password));
    memcpy(job->tag, tag, sizeof(job->tag));
    job->link = l;
    l->auth_job = job;
    pthread_mutex_lock(&a->mu);
    if (a->tail)
        a->tail->next = job;
    else
        a->head = job;
    a->tail = job;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

void smpp_auth_cancel(struct smpp_auth_job *job)
{
    job->link = NULL;
}
