/* SPDX-License-Identifier: ISC */
/*
 * A tiny scripted HTTP server for the client tests (check_http_client.c,
 * check_desk_client.c): a thread on a loopback port that takes one
 * connection per scripted reply, keeps what the client sent, and answers
 * with the reply's octets (at once, in small pieces, late, or not at all).
 * Every wait is bounded.  Header-only (static functions) so that the
 * Makefile's list of test objects stays as it is.
 */
#ifndef KPASS_TESTS_FAKE_HTTP_H
#define KPASS_TESTS_FAKE_HTTP_H

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FAKE_MAX 32

struct fake_reply {
    int status;        /* with body: a JSON answer with this status */
    const char *body;  /* the JSON body (status != 0) */
    const char *raw;   /* else these octets exactly; NULL with status 0: close at once */
    unsigned delay_ms; /* wait this long before answering */
    unsigned piece;    /* send in pieces of this many octets (0: at once) */
};

struct fake_server {
    int fd, port;
    pthread_t thread;
    const struct fake_reply *replies;
    size_t n, served;
    char *requests[FAKE_MAX]; /* what each connection sent, NUL-terminated */
};

__attribute__((unused)) static void fake_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Read one request (head, then Content-Length octets) from c. */
__attribute__((unused)) static char *fake_read_request(int c)
{
    size_t cap = 65536, len = 0, want = 0;
    char *buf = calloc(1, cap + 1);

    while (len < cap) {
        struct pollfd p = {c, POLLIN, 0};
        char *end;
        ssize_t r;
        if (poll(&p, 1, 5000) <= 0 || (r = recv(c, buf + len, cap - len, 0)) <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        if ((end = strstr(buf, "\r\n\r\n")) == NULL)
            continue;
        const char *cl = strcasestr(buf, "\r\nContent-Length: ");
        want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0);
        if (len >= want)
            break;
    }
    return buf;
}

/* The answer's octets for r (malloc'd), its length in *n. */
__attribute__((unused)) static char *fake_answer(const struct fake_reply *r, size_t *n)
{
    char *out;

    if (r->status == 0) {
        *n = r->raw ? strlen(r->raw) : 0;
        return r->raw ? strdup(r->raw) : NULL;
    }
    size_t blen = strlen(r->body), cap = blen + 256;
    out = malloc(cap);
    *n = (size_t)snprintf(out, cap,
                          "HTTP/1.1 %d Fake\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          r->status, blen, r->body);
    return out;
}

__attribute__((unused)) static void *fake_main(void *arg)
{
    struct fake_server *s = arg;

    for (size_t i = 0; i < s->n; i++) {
        const struct fake_reply *r = &s->replies[i];
        struct pollfd p = {s->fd, POLLIN, 0};
        size_t n, off = 0;
        char *answer;
        int c;
        if (poll(&p, 1, 10000) <= 0 || (c = accept(s->fd, NULL, NULL)) < 0)
            break;
        s->requests[i] = fake_read_request(c);
        s->served = i + 1;
        if (r->delay_ms)
            fake_sleep_ms(r->delay_ms);
        answer = fake_answer(r, &n);
        while (off < n) {
            size_t k = r->piece && r->piece < n - off ? r->piece : n - off;
            if (send(c, answer + off, k, MSG_NOSIGNAL) <= 0)
                break;
            off += k;
            if (r->piece)
                fake_sleep_ms(1);
        }
        free(answer);
        close(c);
    }
    return NULL;
}

/* Listen on a free loopback port and serve n replies, one per connection. */
__attribute__((unused)) static void fake_start(struct fake_server *s, const struct fake_reply *r,
                                               size_t n)
{
    struct sockaddr_in sin;
    socklen_t slen = sizeof(sin);
    int one = 1;

    ck_assert_uint_le(n, FAKE_MAX);
    memset(s, 0, sizeof(*s));
    s->replies = r;
    s->n = n;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s->fd, 0);
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(s->fd, 8), 0);
    ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&sin, &slen), 0);
    s->port = ntohs(sin.sin_port);
    ck_assert_int_eq(pthread_create(&s->thread, NULL, fake_main, s), 0);
}

/* Stop listening and wait for the thread (it ends after its replies, or now). */
__attribute__((unused)) static void fake_stop(struct fake_server *s)
{
    shutdown(s->fd, SHUT_RDWR); /* wakes a waiting accept: no more clients */
    pthread_join(s->thread, NULL);
    close(s->fd);
}

__attribute__((unused)) static void fake_free(struct fake_server *s)
{
    for (size_t i = 0; i < FAKE_MAX; i++)
        free(s->requests[i]);
    memset(s->requests, 0, sizeof(s->requests));
}

#endif
