/* SPDX-License-Identifier: ISC */
/*
 * The worker thread (see worker.h): a locked queue in, a pipe of finished
 * jobs back to the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/core/worker.h"

struct worker_job {
    struct worker_job *next;
    kp_worker_fn run;
    kp_worker_fn done;
    void *arg;
};

struct kp_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct worker_job *head, *tail;
    int fds[2]; /* thread -> loop: finished job pointers */
    struct event *ev;
    int stop;
};

static void *worker_main(void *arg)
{
    struct kp_worker *w = arg;

    for (;;) {
        struct worker_job *job;

        pthread_mutex_lock(&w->mu);
        while (w->head == NULL && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) {
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        job = w->head;
        w->head = job->next;
        if (w->head == NULL)
            w->tail = NULL;
        pthread_mutex_unlock(&w->mu);
        job->run(job->arg);
        while (write(w->fds[1], &job, sizeof(job)) < 0 && errno == EINTR)
            ;
    }
}

static void worker_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker_job *job;

    (void)what;
    (void)arg;
    while (read(fd, &job, sizeof(job)) == (ssize_t)sizeof(job)) {
        job->done(job->arg);
        free(job);
    }
}

struct kp_worker *kp_worker_new(struct event_base *base)
{
    struct kp_worker *w = kp_calloc(1, sizeof(*w));

    if (pipe2(w->fds, O_CLOEXEC) < 0)
        fatal("worker: pipe");
    /* Only the loop's end is non-blocking; the thread may wait on a full pipe. */
    fcntl(w->fds[0], F_SETFL, fcntl(w->fds[0], F_GETFL) | O_NONBLOCK);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->ev = event_new(base, w->fds[0], EV_READ | EV_PERSIST, worker_done_cb, w);
    event_add(w->ev, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        fatalx("worker: cannot start the worker thread");
    return w;
}

void kp_worker_free(struct kp_worker *w)
{
    struct worker_job *job;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    /* Finished ones first, then the ones never run: each gets done() once. */
    while (read(w->fds[0], &job, sizeof(job)) == (ssize_t)sizeof(job)) {
        job->done(job->arg);
        free(job);
    }
    while ((job = w->head) != NULL) {
        w->head = job->next;
        job->done(job->arg);
        free(job);
    }
    event_free(w->ev);
    close(w->fds[0]);
    close(w->fds[1]);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

int kp_worker_submit(struct kp_worker *w, kp_worker_fn run, kp_worker_fn done, void *arg)
{
    struct worker_job *job = kp_calloc(1, sizeof(*job));

    job->run = run;
    job->done = done;
    job->arg = arg;
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}
