/* SPDX-License-Identifier: ISC */
/*
 * Shared test helpers (see testutil.h).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kpass/core/buf.h"
#include "kpass/id/keys.h"
#include "kpass/id/kp1.h"
#include "kpass/smpp/pdu.h"
#include "kpass/store/backend.h"
#include "kpass/store/store.h"
#include "kpass/text/text.h"
#include "pgtest.h"
#include "smpputil.h"
#include "testutil.h"

const char *tu_top(void)
{
    const char *t = getenv("KP_TOP");
    return t && *t ? t : ".";
}

const char *tu_bin(const char *name)
{
    static char path[8][1024];
    static int next;
    const char *b = getenv("KP_BUILD");
    char *p = path[next++ % 8];

    snprintf(p, sizeof(path[0]), "%s/%s/%s", tu_top(), b && *b ? b : "build", name);
    return p;
}

char *tu_tmpdir(const char *tag)
{
    char tmpl[256];

    snprintf(tmpl, sizeof(tmpl), "/tmp/kpass-test-%s-XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return strdup(tmpl);
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (f == NULL)
        return NULL;
    do {
        if (n + 4096 + 1 > cap) {
            cap = (n + 4096 + 1) * 2;
            buf = realloc(buf, cap);
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    if (buf == NULL)
        buf = malloc(1);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

int tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

int tu_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex; hex++) {
        int v;
        if (*hex == ' ' || *hex == '\n' || *hex == '\t')
            continue;
        if (*hex >= '0' && *hex <= '9')
            v = *hex - '0';
        else if (*hex >= 'a' && *hex <= 'f')
            v = *hex - 'a' + 10;
        else if (*hex >= 'A' && *hex <= 'F')
            v = *hex - 'A' + 10;
        else
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            if (n == cap)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (int)n : -1;
}

int tu_free_port(void)
{
    /* The kernel may hand out the same free port twice in a row (it was
       closed again): never return one of the last few given. */
    static int given[16];
    static unsigned ngiven;

    for (int tries = 0; tries < 64; tries++) {
        struct sockaddr_in sin;
        socklen_t len = sizeof(sin);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port, seen = 0;

        ck_assert_int_ge(fd, 0);
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
        port = ntohs(sin.sin_port);
        close(fd);
        for (unsigned i = 0; i < 16 && i < ngiven; i++)
            seen |= given[i] == port;
        if (!seen) {
            given[ngiven++ % 16] = port;
            return port;
        }
    }
    ck_abort_msg("no free loopback port");
    return -1;
}

static uint64_t tu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int tu_run(char *const argv[], const char *in, char **out, int timeout_ms)
{
    int pin[2], pout[2], status = -1;
    size_t cap = 4096, n = 0, inlen = in ? strlen(in) : 0, inpos = 0;
    char *buf = malloc(cap);
    uint64_t deadline = tu_ms() + (uint64_t)timeout_ms;
    pid_t pid;

    /* Close-on-exec: a process started later (kpassd, another peer) must
       not hold this child's stdin open, or it never sees its end. */
    ck_assert_int_eq(pipe2(pin, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(pout, O_CLOEXEC), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(pout[1], 2);
        close(pin[0]);
        close(pin[1]);
        close(pout[0]);
        close(pout[1]);
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    if (inlen == 0) {
        close(pin[1]);
        pin[1] = -1;
    }
    for (;;) {
        struct pollfd pf[2] = {{pout[0], POLLIN, 0}, {pin[1], POLLOUT, 0}};
        int left = (int)(deadline - tu_ms());
        if (left <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(pf, pin[1] >= 0 ? 2 : 1, left) < 0 && errno != EINTR)
            break;
        if (pin[1] >= 0 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(pin[1], in + inpos, inlen - inpos);
            if (w > 0)
                inpos += (size_t)w;
            if (w < 0 || inpos == inlen) {
                close(pin[1]);
                pin[1] = -1;
            }
        }
        if (pf[0].revents & (POLLIN | POLLHUP)) {
            if (n + 1024 > cap)
                buf = realloc(buf, cap *= 2);
            ssize_t r = read(pout[0], buf + n, cap - n - 1);
            if (r <= 0)
                break;
            n += (size_t)r;
        }
    }
    if (pin[1] >= 0)
        close(pin[1]);
    close(pout[0]);
    buf[n] = '\0';
    if (waitpid(pid, &status, 0) < 0)
        status = -1;
    else if (WIFEXITED(status))
        status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        status = 128 + WTERMSIG(status);
    if (out)
        *out = buf;
    else
        free(buf);
    return status;
}

int tu_connect(int port, int timeout_ms)
{
    uint64_t deadline = tu_ms() + (uint64_t)timeout_ms;

    do {
        struct sockaddr_in sin;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
            return fd;
        close(fd);
        usleep(20000);
    } while (tu_ms() < deadline);
    return -1;
}

char *tu_http_get(int port, const char *path, int *status)
{
    char req[512], buf[4096];
    struct kp_buf out = KP_BUF_INIT;
    uint64_t deadline = tu_ms() + 5000;
    int fd = tu_connect(port, 2000);
    ssize_t n;

    *status = -1;
    if (fd < 0)
        return NULL;
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             path);
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return NULL;
    }
    while (tu_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        if ((n = read(fd, buf, sizeof(buf))) <= 0)
            break;
        kp_buf_append(&out, buf, (size_t)n);
    }
    close(fd);
    if (out.data == NULL || sscanf(out.data, "HTTP/1.%*d %d", status) != 1) {
        kp_buf_free(&out);
        return NULL;
    }
    char *body = strstr(out.data, "\r\n\r\n"), *copy;
    copy = strdup(body ? body + 4 : "");
    kp_buf_free(&out);
    return copy;
}

void tu_daemon_store_conf(const struct tu_daemon *d, char *out, size_t size)
{
    char path[600], *dsn;

    out[0] = '\0';
    if (!tu_pg_wanted())
        return;
    snprintf(path, sizeof(path), "%s/kpass.db", d->dir);
    dsn = tu_pg_dsn_for(path);
    snprintf(out, size, "\n[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\n", dsn,
             tu_pg_start()->passfile);
    free(dsn);
}

void tu_daemon_configure(struct tu_daemon *d, const char *extra_conf)
{
    char text[4096];

    memset(d, 0, sizeof(*d));
    d->dir = tu_tmpdir("kpassd");
    d->smpp_port = tu_free_port();
    d->http_port = tu_free_port();
    snprintf(d->conf, sizeof(d->conf), "%s/kpassd.conf", d->dir);
    snprintf(d->log, sizeof(d->log), "%s/kpassd.log", d->dir);
    snprintf(text, sizeof(text),
             "[daemon]\n"
             "database = %s/kpass.db\n"
             "keys = %s/keys\n"
             "system_id = kpass-test\n"
             "log_level = debug\n"
             "[smpp]\n"
             "listen = 127.0.0.1:%d\n"
             "[ussd]\n"
             "menus = %s/menus\n"
             "[http]\n"
             "listen = 127.0.0.1:%d\n"
             "%s\n",
             d->dir, d->dir, d->smpp_port, tu_top(), d->http_port, extra_conf ? extra_conf : "");
    /* KP_TEST_STORE=postgresql: the same daemon on PostgreSQL */
    tu_daemon_store_conf(d, text + strlen(text), sizeof(text) - strlen(text));
    ck_assert_int_eq(tu_write_file(d->conf, text), 0);
}

void tu_daemon_prepare(struct tu_daemon *d, const char *extra_conf)
{
    char *out = NULL;
    int rc;

    tu_daemon_configure(d, extra_conf);
    rc = tu_kpass(d, NULL, &out, "init", NULL);
    ck_assert_msg(rc == 0, "kpass init failed (%d): %s", rc, out);
    free(out);
}

/* Fork and exec kpassd on d's folder (its output appended to d->log). */
static pid_t tu_daemon_spawn(struct tu_daemon *d)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* The daemon dies with the test process, even when a failed
           assertion ends it before its teardown runs. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (d->nofile) {
            struct rlimit rl = {d->nofile, d->nofile};
            if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                _exit(126);
        }
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        dup2(fd, 1);
        close(fd);
        execl(tu_bin("kpassd"), "kpassd", "-c", d->conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Replace every "127.0.0.1:from" (the whole number) in d's configuration
   by "127.0.0.1:to". */
static void tu_conf_port(struct tu_daemon *d, int from, int to)
{
    char old[32], new[32], *text = (char *)tu_read_file(d->conf, NULL);
    struct kp_buf b = KP_BUF_INIT;
    const char *p = text, *q;
    size_t ol;

    ck_assert_ptr_nonnull(text);
    ol = (size_t)snprintf(old, sizeof(old), "127.0.0.1:%d", from);
    snprintf(new, sizeof(new), "127.0.0.1:%d", to);
    for (; (q = strstr(p, old)) != NULL; p = q + ol) {
        kp_buf_append(&b, p, (size_t)(q - p));
        if (q[ol] >= '0' && q[ol] <= '9')
            kp_buf_append(&b, old, ol); /* another port that starts the same */
        else
            kp_buf_append(&b, new, strlen(new));
    }
    kp_buf_append(&b, p, strlen(p) + 1);
    ck_assert_int_eq(tu_write_file(d->conf, b.data), 0);
    kp_buf_free(&b);
    free(text);
}

/*
 * Start kpassd and wait until it says it started (its listeners bound) or
 * its SMPP port accepts.  The ports were free when tu_daemon_prepare chose
 * them, but another test (another shard, another checkout) or a client's
 * outgoing connection may take one before kpassd binds it: a start that
 * fails for a port in use is tried again on new ports (up to 3 times), and
 * a connection to a port some other process holds is not taken for ours.
 */
void tu_daemon_start(struct tu_daemon *d)
{
    char said[64];

    for (int attempt = 0;; attempt++) {
        size_t before = 0, len = 0;
        int status, exited = 0, started = 0;
        char *log = (char *)tu_read_file(d->log, &before);
        uint64_t deadline = tu_ms() + 10000;

        free(log);
        d->pid = tu_daemon_spawn(d);
        snprintf(said, sizeof(said), "kpassd: started (pid %ld,", (long)d->pid);
        while (!started && !exited && tu_ms() < deadline) {
            usleep(10000);
            exited = waitpid(d->pid, &status, WNOHANG) == d->pid;
            log = tu_daemon_log(d);
            started = strstr(log, said) != NULL;
            free(log);
        }
        if (exited) {
            log = (char *)tu_read_file(d->log, &len);
            const char *mine = log && len >= before ? log + before : "";
            d->pid = 0;
            if (attempt < 3 && strstr(mine, "Address already in use") != NULL) {
                free(log);
                int smpp = tu_free_port(), http = tu_free_port();
                tu_conf_port(d, d->smpp_port, smpp);
                tu_conf_port(d, d->http_port, http);
                d->smpp_port = smpp;
                d->http_port = http;
                continue;
            }
            ck_abort_msg("kpassd exited (status %#x) at its start: %s", status, mine);
        }
        /* Started, or silent at its log level: its SMPP port must accept. */
        int fd = tu_connect(d->smpp_port, 5000);
        if (fd < 0) {
            log = tu_daemon_log(d);
            ck_abort_msg("kpassd did not listen on %d: %s", d->smpp_port, log);
        }
        close(fd);
        return;
    }
}

int tu_daemon_stop(struct tu_daemon *d, int sig)
{
    uint64_t deadline = tu_ms() + 10000;
    int status;

    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    for (;;) {
        pid_t r = waitpid(d->pid, &status, WNOHANG);
        if (r == d->pid)
            break;
        if (tu_ms() > deadline) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    d->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

int tu_kpass_v(struct tu_daemon *d, const char *in, char **out, va_list ap)
{
    char *argv[64];
    int argc = 0, rc;

    argv[argc++] = strdup(tu_bin("kpass"));
    argv[argc++] = strdup("-c");
    argv[argc++] = strdup(d->conf);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 63;)
        argv[argc++] = strdup(a);
    argv[argc] = NULL;
    rc = tu_run(argv, in, out, 30000);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

int tu_kpass(struct tu_daemon *d, const char *in, char **out, ...)
{
    va_list ap;
    int rc;

    va_start(ap, out);
    rc = tu_kpass_v(d, in, out, ap);
    va_end(ap);
    return rc;
}

int tu_kpass_masked(struct tu_daemon *d, const char *in, char **out, ...)
{
    char *o = NULL;
    va_list ap;
    int rc;

    va_start(ap, out);
    rc = tu_kpass_v(d, in, &o, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(o);
    tu_assert_masked(o);
    if (out)
        *out = o;
    else
        free(o);
    return rc;
}

static int tu_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

void tu_assert_masked(const char *out)
{
    char *copy = strdup(out), *k;

    for (k = strstr(copy, KP1_PREFIX); k != NULL; k = strstr(k + 1, KP1_PREFIX))
        memset(k, 'x', strnlen(k, KP1_TEXT_LEN));
    for (k = copy; *k;) {
        size_t n = strspn(k, "0123456789abcdef");
        if (n >= 32)
            memset(k, 'x', n);
        k += n ? n : 1;
    }
    for (const char *p = copy; *p; p++) {
        const char *q = p;
        int digits = 0;
        if (!tu_is_digit(*p) || (p > copy && tu_is_digit(p[-1])))
            continue;
        while (tu_is_digit(*q) || ((*q == ' ' || *q == '-') && tu_is_digit(q[1]) && digits)) {
            digits += tu_is_digit(*q);
            q++;
        }
        ck_assert_msg(digits < 10, "a full CNIC or number in the output: %s", out);
        ck_assert_msg(!(digits >= 8 && p > copy && p[-1] == '+'), "a full number in: %s", out);
    }
    free(copy);
}

char *tu_daemon_log(struct tu_daemon *d)
{
    char *s = (char *)tu_read_file(d->log, NULL);
    return s ? s : strdup("");
}

char *tu_daemon_log_wait(struct tu_daemon *d, const char *want, int timeout_ms)
{
    uint64_t deadline = tu_ms() + (uint64_t)timeout_ms;
    char *log = tu_daemon_log(d);

    while (strstr(log, want) == NULL && tu_ms() < deadline) {
        free(log);
        usleep(50000);
        log = tu_daemon_log(d);
    }
    return log;
}

void tu_daemon_cleanup(struct tu_daemon *d)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", d->dir, NULL};

    if (d->pid > 0)
        tu_daemon_stop(d, SIGKILL);
    if (d->dir && getenv("KP_KEEP") == NULL)
        tu_run(argv, NULL, NULL, 10000);
    free(d->dir);
    d->dir = NULL;
}

void tu_proc_start(struct tu_proc *p, char *const argv[])
{
    int pin[2], pout[2];

    memset(p, 0, sizeof(*p));
    /* Close-on-exec: a process started later (kpassd, another peer) must
       not hold this child's stdin open, or it never sees its end. */
    ck_assert_int_eq(pipe2(pin, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(pout, O_CLOEXEC), 0);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        close(pin[0]);
        close(pin[1]);
        close(pout[0]);
        close(pout[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    p->in = pin[1];
    p->out = pout[0];
}

void tu_peer_start(struct tu_proc *p, const char *script, ...)
{
    char *argv[40], path[1024];
    int argc = 0;
    va_list ap;

    snprintf(path, sizeof(path), "%s/tests/peers/%s", tu_top(), script);
    argv[argc++] = strdup("node");
    argv[argc++] = strdup(path);
    va_start(ap, script);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 39;)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    tu_proc_start(p, argv);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
}

char *tu_proc_expect(struct tu_proc *p, int timeout_ms, ...)
{
    uint64_t deadline = tu_ms() + (uint64_t)timeout_ms;
    const char *want[8];
    int nwant = 0;
    va_list ap;

    va_start(ap, timeout_ms);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL && nwant < 8;)
        want[nwant++] = w;
    va_end(ap);
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf);
            char *line = strndup(p->buf, n);
            int ok = 1;
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            for (int i = 0; i < nwant; i++)
                ok &= strstr(line, want[i]) != NULL;
            if (getenv("KP_TEST_PEERS"))
                fprintf(stderr, "peer: %s\n", line);
            if (ok)
                return line;
            free(line);
            continue;
        }
        int left = (int)(deadline - tu_ms());
        struct pollfd pf = {p->out, POLLIN, 0};
        if (left <= 0 || p->len == sizeof(p->buf))
            return NULL;
        if (poll(&pf, 1, left) <= 0)
            continue;
        ssize_t r = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
        if (r <= 0)
            return NULL;
        p->len += (size_t)r;
    }
}

void tu_proc_send(struct tu_proc *p, const char *line)
{
    size_t n = strlen(line);

    ck_assert_int_eq(write(p->in, line, n), (ssize_t)n);
    ck_assert_int_eq(write(p->in, "\n", 1), 1);
}

int tu_proc_stop(struct tu_proc *p)
{
    uint64_t deadline = tu_ms() + 5000;
    int status = -1;

    if (p->pid <= 0)
        return -1;
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (tu_ms() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    close(p->out);
    p->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

long tu_json_int(const char *line, const char *key)
{
    char pat[80];
    const char *p;

    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(line, pat);
    if (p == NULL)
        return -1;
    return strtol(p + strlen(pat), NULL, 10);
}

void tu_signers(struct keys_signer *a, struct keys_signer *b, struct trust_list *t)
{
    uint8_t seed[KEYS_SEED_BYTES];

    for (int i = 0; i < KEYS_SEED_BYTES; i++)
        seed[i] = (uint8_t)i;
    ck_assert_int_eq(keys_signer_from_seed(a, seed), 0);
    memset(seed, 0x42, sizeof(seed));
    ck_assert_int_eq(keys_signer_from_seed(b, seed), 0);
    ck_assert_int_eq(keys_signer_trust(a, TRUST_ACTIVE, t), 0);
    ck_assert_int_eq(keys_signer_trust(b, TRUST_RETIRED, t), 0);
}

long long tu_sql_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    long long v = -1;

    if (tu_pg_wanted())
        return tu_pg_sql_int(path, sql);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* ---- the office desk API ---- */

char *tu_kpass_ok(struct tu_daemon *d, const char *in, ...)
{
    char *out = NULL;
    va_list ap;
    int rc;

    va_start(ap, in);
    rc = tu_kpass_v(d, in, &out, ap);
    va_end(ap);
    ck_assert_msg(rc == 0, "kpass failed (%d): %s", rc, out ? out : "");
    return out;
}

void tu_import_districts(struct tu_daemon *d)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/etc/seed/districts.csv", tu_top());
    free(tu_kpass_ok(d, NULL, "import", "districts", path, NULL));
}

char *tu_line_after(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);

    ck_assert_msg(p != NULL, "no '%s' in: %s", prefix, text);
    p += strlen(prefix);
    return strndup(p, strcspn(p, "\n"));
}

json_t *tu_http(struct tu_daemon *d, const char *method, const char *path, const char *bearer,
                const char *body, int *status)
{
    char url[256], auth[300], *out = NULL, m[8], *b = body ? strdup(body) : NULL;
    char *argv[20];
    int i = 0;
    json_error_t jerr;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", d->http_port, path);
    argv[i++] = (char *)"/usr/bin/curl";
    argv[i++] = (char *)"-sS"; /* quiet, but a failure says why */
    argv[i++] = (char *)"-w";
    argv[i++] = (char *)"\n%{http_code}";
    snprintf(m, sizeof(m), "%s", method);
    argv[i++] = (char *)"-X";
    argv[i++] = m;
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        argv[i++] = (char *)"-H";
        argv[i++] = auth;
    }
    if (body) {
        argv[i++] = (char *)"--data-binary";
        argv[i++] = b;
    }
    argv[i++] = url;
    argv[i] = NULL;
    int rc = tu_run(argv, NULL, &out, 20000);
    ck_assert_msg(rc == 0, "curl %s %s: exit %d: %s", method, path, rc, out ? out : "");
    free(b);
    char *nl = strrchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    *status = atoi(nl + 1);
    *nl = '\0';
    json_t *j = json_loads(out, 0, &jerr);
    if (j == NULL)
        j = json_string(out); /* /metrics is text */
    free(out);
    return j;
}

const char *tu_js(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));

    ck_assert_msg(s != NULL, "no '%s' in the answer", key);
    return s;
}

char *tu_desk_sms_wait(int fd, const char *want)
{
    for (int i = 0; i < 20; i++) {
        struct smpp_pdu p, r;
        struct kp_buf t = KP_BUF_INIT;
        if (tu_smpp_recv(fd, &p, 5000) < 0)
            break;
        if (p.command_id == SMPP_ENQUIRE_LINK) {
            smpp_pdu_init(&r, SMPP_ENQUIRE_LINK_RESP, p.sequence_number);
            tu_smpp_send(fd, &r);
            continue;
        }
        if (p.command_id != SMPP_DELIVER_SM)
            continue;
        smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, p.sequence_number);
        tu_smpp_send(fd, &r);
        text_decode(p.sm.short_message, p.sm.sm_length, p.sm.data_coding, &t);
        if (t.data && strstr(t.data, want))
            return kp_buf_steal(&t);
        kp_buf_free(&t);
    }
    ck_abort_msg("no SMS with '%s' arrived", want);
    return NULL;
}

char *tu_desk_code_of(const char *sms)
{
    const char *p = strstr(sms, " is ");

    ck_assert_ptr_nonnull(p);
    return strndup(p + 4, 6);
}

void tu_desk_world_start(struct tu_desk_world *w, struct tu_daemon *d, const char *extra)
{
    tu_desk_world_prepare(w, d, extra);
    tu_desk_world_run(w, d);
}

void tu_desk_world_prepare(struct tu_desk_world *w, struct tu_daemon *d, const char *extra)
{
    char conf[1024];

    snprintf(conf, sizeof(conf), "[http]\npin_failures = 3\n%s", extra ? extra : "");
    tu_daemon_prepare(d, conf);
    tu_desk_world_fill(w, d);
}

void tu_desk_world_fill(struct tu_desk_world *w, struct tu_daemon *d)
{
    char cit[1024], *out;

    memset(w, 0, sizeof(*w));
    w->sms_fd = -1;
    free(tu_kpass_ok(d, NULL, "import", "seed", NULL));
    snprintf(cit, sizeof(cit), "%s/etc/seed/citizens.csv", tu_top());
    free(tu_kpass_ok(d, NULL, "import", "citizens", cit, NULL));
    free(tu_kpass_ok(d, "smspw\n", "partner", "add", "sms", "--sms", NULL));
    out = tu_kpass_ok(d, NULL, "desk", "add", "PSHEX1", NULL);
    w->token_a = tu_line_after(out, "token: ");
    free(out);
    out = tu_kpass_ok(d, NULL, "desk", "add", "MRDDC1", NULL);
    w->token_b = tu_line_after(out, "token: ");
    free(out);
    free(
        tu_kpass_ok(d, "4821\n", "staff", "add", "PSHEX1", "PSH-0042", "--name", "Sana Gul", NULL));
    free(tu_kpass_ok(d, "7391\n", "staff", "add", "MRDDC1", "MRD-0007", "--name", "Imran Ali",
                     NULL));
    out = tu_kpass_ok(d, NULL, "qr", "issue", "10000-0000002-2", NULL);
    char *b45 = tu_line_after(out, "KP1:");
    w->qr = malloc(strlen(b45) + 5);
    sprintf(w->qr, "KP1:%s", b45);
    free(b45);
    w->serial = tu_line_after(out, "credential ");
    w->serial[strcspn(w->serial, " ")] = '\0';
    ck_assert_ptr_null(strstr(out, "10000-0000002-2")); /* never the full CNIC */
    free(out);
}

void tu_desk_world_run(struct tu_desk_world *w, struct tu_daemon *d)
{
    uint32_t st;

    tu_daemon_start(d);
    w->sms_fd = tu_smpp_bind(d->smpp_port, SMPP_BIND_RECEIVER, "sms", "smspw", &st);
    ck_assert_int_eq(st, 0);
}

void tu_desk_world_free(struct tu_desk_world *w)
{
    /* > 0: a zeroed world that never started must not close stdin. */
    if (w->sms_fd > 0)
        close(w->sms_fd);
    free(w->token_a);
    free(w->token_b);
    free(w->qr);
    free(w->serial);
    memset(w, 0, sizeof(*w));
    w->sms_fd = -1;
}

char *tu_desk_signin(struct tu_daemon *d, const char *token, const char *staff, const char *pin,
                     int *status)
{
    char body[300];
    char *s = NULL;
    json_t *j;

    snprintf(body, sizeof(body), "{\"desk_token\":\"%s\",\"staff_id\":\"%s\",\"pin\":\"%s\"}",
             token, staff, pin);
    j = tu_http(d, "POST", "/v1/desk/sessions", NULL, body, status);
    if (*status == 201)
        s = strdup(tu_js(j, "session"));
    json_decref(j);
    return s;
}

char *tu_desk_scan(struct tu_daemon *d, const char *session, const char *qr, int *status,
                   json_t **ans)
{
    char body[400];
    char *id = NULL;
    json_t *j;

    snprintf(body, sizeof(body), "{\"token\":\"%s\"}", qr);
    j = tu_http(d, "POST", "/v1/verifications", session, body, status);
    if (*status == 201)
        id = strdup(tu_js(j, "id"));
    if (ans)
        *ans = j;
    else
        json_decref(j);
    return id;
}

int tu_store_open(const char *path, unsigned flags, struct store **out)
{
    struct store_settings set = {.backend = STORE_BACKEND_POSTGRESQL};
    int rc;

    if (!tu_pg_wanted())
        return store_open(path, flags, out);
    set.dsn = tu_pg_dsn_for(path);
    set.passfile = strdup(tu_pg_start()->passfile);
    rc = store_open_conf(&set, path, flags, out);
    store_settings_free(&set);
    return rc;
}
