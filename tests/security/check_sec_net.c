/* SPDX-License-Identifier: ISC */
/*
 * Security, network side (issue 8, items 4, 5, 6 and 9c): attacks on the
 * real kpassd over loopback.  Descriptor exhaustion must not make the
 * listeners spin or starve bound links; unbound SMPP connections must not
 * lock partners out; slow HTTP clients must not hold connections; bind
 * answers and their timing must not tell which system_ids exist; and bind
 * brute force stays throttled per address.  Attackers use 127.0.0.0/8
 * source addresses only.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

static struct tu_daemon d;

static long sn_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sn_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* A TCP connection from src (a 127.0.0.0/8 address) to 127.0.0.1:port.
   nonblock: do not wait for the handshake (for floods).  fd or -1. */
static int sn_connect_from(const char *src, int port, int nonblock)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    if (nonblock)
        fcntl(fd, F_SETFL, O_NONBLOCK);
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Bind as system_id from src; the fd (the status in *st, 0xFFFFFFFF when
   no bind_resp came), or -1 when the connection failed. */
static int sn_bind_from(const char *src, const char *system_id, const char *pw, uint32_t *st)
{
    struct smpp_pdu p;
    int fd = sn_connect_from(src, d.smpp_port, 0);

    *st = 0xFFFFFFFFu;
    if (fd < 0)
        return -1;
    smpp_pdu_init(&p, SMPP_BIND_TRANSCEIVER, 1);
    smpp_strlcpy(p.bind.system_id, sizeof(p.bind.system_id), system_id);
    smpp_strlcpy(p.bind.password, sizeof(p.bind.password), pw);
    p.bind.interface_version = 0x34;
    if (tu_smpp_send(fd, &p) == 0 && tu_smpp_expect(fd, SMPP_BIND_TRANSCEIVER_RESP, &p, 5000) == 0)
        *st = p.command_status;
    return fd;
}

/* GET path from src within timeout_ms: the HTTP status, 0 when the server
   closed without an answer, -1 on timeout. */
static int sn_http_get(const char *src, const char *path, int timeout_ms, char *hdrs, size_t hsize)
{
    char req[256], buf[4096];
    size_t n = 0;
    long deadline = sn_ms() + timeout_ms;
    int fd = sn_connect_from(src, d.http_port, 0), status = -1;

    if (fd < 0)
        return 0;
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    if (write(fd, req, strlen(req)) < 0) {
        close(fd);
        return 0;
    }
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        long left = deadline - sn_ms();
        if (left <= 0)
            break;
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0) {
            status = 0;
            break;
        }
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    buf[n] = '\0';
    if (n > 0 && sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = 0;
    if (hdrs)
        snprintf(hdrs, hsize, "%s", buf);
    close(fd);
    return status;
}

/* Lines in the daemon's log at info level or above: what an operator's
   log keeps (the tests run kpassd at debug, whose per-connection lines a
   slow machine may still be writing while the flood's connects finish). */
static size_t sn_log_lines(void)
{
    /* Not tu_daemon_log(), which reads a failed read as an empty log: a
       count that went down once ("grew by" 2^64 - 7) was that. */
    char *log = (char *)tu_read_file(d.log, NULL);
    size_t n = 0;

    ck_assert_msg(log != NULL, "cannot read %s: %s", d.log, strerror(errno));
    for (const char *p = log; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (memmem(p, len, "[debug]", 7) == NULL)
            n++;
        p = nl ? nl + 1 : NULL;
    }
    free(log);
    return n;
}

/* kpassd with the seed and partner gw/gw-pw (partner options opts), nofile
   descriptors (0: inherited) and extra configuration. */
static void sn_start(const char *extra_conf, const char *opts, unsigned nofile)
{
    char *out = NULL;
    int rc;

    tu_daemon_prepare(&d, extra_conf);
    ug_seed(&d);
    if (opts)
        rc = tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", opts, NULL);
    else
        rc = tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    d.nofile = nofile;
    tu_daemon_start(&d);
}

/* ---- item 4: descriptor exhaustion ---- */

#define FLOOD 400

START_TEST(test_fd_exhaustion_no_spin)
{
    static int fds[FLOOD];
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    struct smpp_pdu p;
    char src[16];
    size_t l0, l1;
    int nfd = 0, status = -1;

    /* 128 descriptors; bound links (max_links) fit well inside them, the
       connections below do not. */
    sn_start("[smpp]\nmax_links = 16\n", NULL, 128);
    ug_bind(&g, &d, "gw", "gw-pw");
    /* Connections from eight source addresses to both listeners, held open. */
    for (int i = 0; i < FLOOD; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 1 + i % 8);
        fds[nfd] = sn_connect_from(src, i % 2 ? d.http_port : d.smpp_port, 1);
        if (fds[nfd] >= 0)
            nfd++;
    }
    usleep(700000);
    l0 = sn_log_lines();
    usleep(1000000);
    l1 = sn_log_lines();
    /* Out of descriptors, the listeners pause and say so once per interval. */
    ck_assert_msg(l1 >= l0 && l1 - l0 <= 30, "the log went from %zu to %zu lines in one second", l0,
                  l1);
    /* The bound link keeps working: enquire_link and a USSD hop. */
    smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 1000);
    ck_assert_int_eq(tu_smpp_send(g.fd, &p), 0);
    ck_assert_int_eq(tu_smpp_expect(g.fd, SMPP_ENQUIRE_LINK_RESP, &p, 2000), 0);
    ug_dlg_init(&u, "923001234567", 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    /* Released, the descriptors serve HTTP again. */
    for (int i = 0; i < nfd; i++)
        close(fds[i]);
    for (long end = sn_ms() + 3000; sn_ms() < end && status != 200;) {
        status = sn_http_get("127.0.0.1", "/healthz", 1000, NULL, 0);
        if (status != 200)
            usleep(100000);
    }
    ck_assert_int_eq(status, 200);
    char *log = tu_daemon_log(&d);
    ck_assert_msg(strstr(log, "out of file descriptors") != NULL, "no exhaustion notice");
    free(log);
    close(g.fd);
}
END_TEST

/* ---- item 5: SMPP port lock-out ---- */

/* max_links beyond the descriptor limit: kpassd refuses to start, saying why. */
START_TEST(test_max_links_over_nofile_refused)
{
    char prlimit[] = "/usr/bin/prlimit", nofile[] = "--nofile=128:128", kpassd[1024], c[] = "-c";
    char *argv[] = {prlimit, nofile, kpassd, c, d.conf, NULL};
    char *out = NULL;
    int rc;

    snprintf(kpassd, sizeof(kpassd), "%s", tu_bin("kpassd"));
    tu_daemon_prepare(&d, "[smpp]\nmax_links = 1000\n");
    rc = tu_run(argv, NULL, &out, 5000);
    ck_assert_msg(rc == 1, "kpassd exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "RLIMIT_NOFILE is 128") != NULL, "%s", out);
    free(out);
}
END_TEST

START_TEST(test_unbound_flood_cannot_lock_out)
{
    static int fds[60];
    uint32_t st;
    struct smpp_pdu p;
    int nfd = 0, fd, bound;

    /* Before: unbound connections counted against max_links. */
    sn_start("[smpp]\nmax_links = 20\n", NULL, 0);
    bound = sn_bind_from("127.0.0.1", "gw", "gw-pw", &st);
    ck_assert_int_ge(bound, 0);
    ck_assert_uint_eq(st, SMPP_ESME_ROK);
    for (int i = 0; i < 60; i++) {
        fds[nfd] = sn_connect_from("127.0.0.1", d.smpp_port, 0);
        if (fds[nfd] >= 0)
            nfd++;
    }
    usleep(300000);
    /* The partner still binds from the attacker's own address... */
    fd = sn_bind_from("127.0.0.1", "gw", "gw-pw", &st);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(st == SMPP_ESME_ROK, "bind during the flood: status 0x%x", st);
    close(fd);
    /* ... and from another one. */
    fd = sn_bind_from("127.0.0.3", "gw", "gw-pw", &st);
    ck_assert_msg(st == SMPP_ESME_ROK, "bind during the flood: status 0x%x", st);
    close(fd);
    /* The link bound before the flood was not evicted. */
    smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 77);
    ck_assert_int_eq(tu_smpp_send(bound, &p), 0);
    ck_assert_int_eq(tu_smpp_expect(bound, SMPP_ENQUIRE_LINK_RESP, &p, 2000), 0);
    for (int i = 0; i < nfd; i++)
        close(fds[i]);
    close(bound);
}
END_TEST

START_TEST(test_refused_at_accept_by_allowlist)
{
    uint32_t st;
    char *out = NULL;
    int fd, ok = 0;

    sn_start(NULL, "--allow=127.0.0.2/32", 0);
    /* No enabled partner allows 127.0.0.1: closed without a bind. */
    fd = sn_connect_from("127.0.0.1", d.smpp_port, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(tu_smpp_closed(fd, 1000), "a connection from 127.0.0.1 was kept");
    close(fd);
    /* 127.0.0.2 is allowed: kept open, and it binds. */
    fd = sn_connect_from("127.0.0.2", d.smpp_port, 0);
    ck_assert(!tu_smpp_closed(fd, 300));
    close(fd);
    fd = sn_bind_from("127.0.0.2", "gw", "gw-pw", &st);
    ck_assert_uint_eq(st, SMPP_ESME_ROK);
    close(fd);
    /* A partner added without an allowlist opens the port to every address
       within about a second, without a reload. */
    ck_assert_int_eq(tu_kpass(&d, "gw2-pw\n", &out, "partner", "add", "gw2", NULL), 0);
    free(out);
    for (long end = sn_ms() + 3000; sn_ms() < end && !ok;) {
        fd = sn_connect_from("127.0.0.1", d.smpp_port, 0);
        ok = fd >= 0 && !tu_smpp_closed(fd, 200);
        if (fd >= 0)
            close(fd);
    }
    ck_assert_msg(ok, "127.0.0.1 still refused after gw2 was added");
}
END_TEST

/* ---- item 6: slow HTTP clients ---- */

#define SLOW 200

START_TEST(test_slowloris_deadline)
{
    static int fds[SLOW];
    static const char head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    long start, normal_ms = -1;
    int open_n = 0, normal = -1, open_first = -1; /* open when all were connected */
    char src[16];

    sn_start("[http]\ntimeout = 2s\n", NULL, 0);
    /* From eight addresses: 25 each stay under the default per-address cap,
       so every one of them meets the deadline, not the cap. */
    for (int i = 0; i < SLOW; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 1 + i % 8);
        fds[i] = sn_connect_from(src, d.http_port, 0);
        ck_assert_int_ge(fds[i], 0);
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        (void)!write(fds[i], head, sizeof(head) - 1); /* a failure shows below */
    }
    start = sn_ms();
    /* A byte every 200 ms on each, for at most 6 s; a normal request from
       another address meanwhile. */
    for (;;) {
        open_n = 0;
        for (int i = 0; i < SLOW; i++) {
            char b[512];
            if (fds[i] < 0)
                continue;
            ssize_t r = read(fds[i], b, sizeof(b));
            if (r == 0 || (r < 0 && errno != EAGAIN) || (r > 0) || write(fds[i], "a", 1) < 0) {
                close(fds[i]);
                fds[i] = -1;
                continue;
            }
            open_n++;
        }
        if (normal < 0) {
            long t = sn_ms();
            open_first = open_n;
            normal = sn_http_get("127.0.0.9", "/healthz", 1500, NULL, 0);
            normal_ms = sn_ms() - t;
        }
        if (open_n == 0 || sn_ms() - start > 6000)
            break;
        usleep(200000);
    }
    for (int i = 0; i < SLOW; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    ck_assert_msg(normal == 200, "a normal request during the attack: %d after %ld ms", normal,
                  normal_ms);
    /* Not refused at once: held until the deadline... */
    ck_assert_msg(open_first == SLOW, "only %d trickling connections open", open_first);
    /* ... and closed by it. */
    ck_assert_msg(open_n == 0, "%d trickling connections still open after %ld ms", open_n,
                  sn_ms() - start);
    ck_assert_msg(sn_ms() - start < 4500, "the deadline took %ld ms", sn_ms() - start);
}
END_TEST

START_TEST(test_http_connection_caps)
{
    int held[6], status;
    char hdrs[4096];
    long t;

    sn_start("[http]\nmax_connections = 6\nmax_connections_per_addr = 3\n", NULL, 0);
    for (int i = 0; i < 3; i++)
        held[i] = sn_connect_from("127.0.0.1", d.http_port, 0);
    usleep(200000);
    /* Over the per-address cap: 503 or a prompt close, never a hang. */
    t = sn_ms();
    status = sn_http_get("127.0.0.1", "/healthz", 3000, hdrs, sizeof(hdrs));
    ck_assert_msg(status == 503 || status == 0, "over the address cap: %d", status);
    ck_assert_int_lt(sn_ms() - t, 1000);
    if (status == 503)
        ck_assert_ptr_nonnull(strstr(hdrs, "Retry-After:"));
    /* Another address still gets in. */
    ck_assert_int_eq(sn_http_get("127.0.0.2", "/healthz", 2000, NULL, 0), 200);
    /* Over the total cap. */
    for (int i = 3; i < 6; i++)
        held[i] = sn_connect_from("127.0.0.3", d.http_port, 0);
    usleep(200000);
    t = sn_ms();
    status = sn_http_get("127.0.0.4", "/healthz", 3000, NULL, 0);
    ck_assert_msg(status == 503 || status == 0, "over the total cap: %d", status);
    ck_assert_int_lt(sn_ms() - t, 1000);
    for (int i = 0; i < 6; i++)
        close(held[i]);
    /* Released, the next one is served. */
    usleep(200000);
    ck_assert_int_eq(sn_http_get("127.0.0.4", "/healthz", 2000, NULL, 0), 200);
}
END_TEST

/* ---- item 9c: bind answers tell nothing ---- */

static int sn_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

START_TEST(test_bind_unknown_same_as_wrong_password)
{
    long wrong[10], unknown[10];
    uint32_t st_wrong = 0, st_unknown = 0, st;

    sn_start("[smpp]\nbind_failures_per_minute = 1000\n", NULL, 0);
    for (int i = 0; i < 10; i++) {
        long t = sn_ms();
        int fd = sn_bind_from("127.0.0.1", "gw", "nope", &st);
        wrong[i] = sn_ms() - t;
        ck_assert_int_ge(fd, 0);
        close(fd);
        if (i == 0)
            st_wrong = st;
        ck_assert_uint_eq(st, st_wrong);
        t = sn_ms();
        fd = sn_bind_from("127.0.0.1", "ghost", "nope", &st);
        unknown[i] = sn_ms() - t;
        ck_assert_int_ge(fd, 0);
        close(fd);
        if (i == 0)
            st_unknown = st;
        ck_assert_uint_eq(st, st_unknown);
    }
    ck_assert_msg(st_wrong == st_unknown, "wrong password 0x%x, unknown system_id 0x%x", st_wrong,
                  st_unknown);
    ck_assert_uint_eq(st_wrong, SMPP_ESME_RINVPASWD);
    qsort(wrong, 10, sizeof(long), sn_cmp_long);
    qsort(unknown, 10, sizeof(long), sn_cmp_long);
    ck_assert_msg(unknown[5] * 2 >= wrong[5], "median: unknown %ld ms, wrong password %ld ms",
                  unknown[5], wrong[5]);
}
END_TEST

/* ---- already holds: bind brute force ---- */

START_TEST(test_bind_brute_force_throttled)
{
    uint32_t st;
    int fd;

    sn_start("[smpp]\nbind_failures_per_minute = 5\n", NULL, 0);
    for (int i = 0; i < 5; i++) {
        char pw[9] = "guess0";
        pw[5] = (char)('0' + i);
        fd = sn_bind_from("127.0.0.1", "gw", pw, &st);
        ck_assert_uint_ne(st, SMPP_ESME_ROK);
        ck_assert(tu_smpp_closed(fd, 2000));
        close(fd);
    }
    /* The address is now refused for the rest of the minute, before any
       password check: even the right one (kpassd.8, SMPP). */
    fd = sn_bind_from("127.0.0.1", "gw", "gw-pw", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RBINDFAIL);
    close(fd);
    /* Another address is not: the partner binds from there. */
    fd = sn_bind_from("127.0.0.2", "gw", "gw-pw", &st);
    ck_assert_uint_eq(st, SMPP_ESME_ROK);
    close(fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "too many failed binds from this address"));
    ck_assert_ptr_null(strstr(log, "guess"));
    free(log);
}
END_TEST

Suite *suite_sec_net(void)
{
    Suite *s = suite_create("sec_net");
    TCase *fd = tcase_create("fd_exhaustion");
    TCase *lock = tcase_create("smpp_lockout");
    TCase *slow = tcase_create("http_slow");
    TCase *bind = tcase_create("bind");

    tcase_add_checked_fixture(fd, NULL, sn_teardown);
    tcase_set_timeout(fd, 30);
    tcase_add_test(fd, test_fd_exhaustion_no_spin);
    suite_add_tcase(s, fd);
    tcase_add_checked_fixture(lock, NULL, sn_teardown);
    tcase_set_timeout(lock, 30);
    tcase_add_test(lock, test_max_links_over_nofile_refused);
    tcase_add_test(lock, test_unbound_flood_cannot_lock_out);
    tcase_add_test(lock, test_refused_at_accept_by_allowlist);
    suite_add_tcase(s, lock);
    tcase_add_checked_fixture(slow, NULL, sn_teardown);
    tcase_set_timeout(slow, 30);
    tcase_add_test(slow, test_slowloris_deadline);
    tcase_add_test(slow, test_http_connection_caps);
    suite_add_tcase(s, slow);
    tcase_add_checked_fixture(bind, NULL, sn_teardown);
    tcase_set_timeout(bind, 60);
    tcase_add_test(bind, test_bind_unknown_same_as_wrong_password);
    tcase_add_test(bind, test_bind_brute_force_throttled);
    suite_add_tcase(s, bind);
    return s;
}
