/* SPDX-License-Identifier: ISC */
/*
 * The SMS dispatcher's throughput to one partner: N messages queued in the
 * outbox of a fresh kpassd, which binds out (client mode, one bind, the
 * configured window) to a fast SMPP server (tests/peers/bench_server.js)
 * and sends them as submit_sm; the outbox is polled until every message is
 * "sent" (its submit_sm_resp recorded and committed).  Not a test; prints
 * one line per phase and a final JSON line.
 *
 *   make bench && build/bench/bench_sms [messages] [window]
 *
 * Run from the top of the tree (it starts build/kpassd, build/kpass and
 * node tests/peers/bench_server.js).  Target (brief): >= 5,000 SMS/s with a
 * window of 64.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "kpass/core/clock.h"
#include "kpass/core/log.h"
#include "kpass/store/store.h"
#include "kpass/store/sms.h"

static char dir[] = "/tmp/kpass-bench-sms-XXXXXX";
static char conf[600];

static void die(const char *what)
{
    fprintf(stderr, "bench_sms: %s\n", what);
    exit(1);
}

/* Run argv to completion (stdin from /dev/null); its exit status. */
static int run(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Start bench_server.js with its stdout on *out; its pid. */
static pid_t server_start(FILE **out)
{
    int p[2];
    pid_t pid;

    if (pipe(p) < 0)
        die("pipe");
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execlp("node", "node", "tests/peers/bench_server.js", "--port", "0", "--no-stdin",
               (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *out = fdopen(p[0], "r");
    return pid;
}

static pid_t daemon_start(void)
{
    char log[700];
    pid_t pid = fork();

    if (pid == 0) {
        snprintf(log, sizeof(log), "%s/kpassd.log", dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl("build/kpassd", "kpassd", "-c", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* A loopback port that was free a moment ago, for kpassd's own listener. */
static int free_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
        die("no free port");
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

static void setup(int port, int window)
{
    char text[2048], pw[700], portarg[32];

    snprintf(conf, sizeof(conf), "%s/kpassd.conf", dir);
    snprintf(text, sizeof(text),
             "[daemon]\ndatabase = %s/kpass.db\nkeys = %s/keys\nlog_level = info\n"
             "[smpp]\nlisten = 127.0.0.1:%d\nwindow = %d\n[ussd]\nmenus = menus\n",
             dir, dir, free_port(), window);
    FILE *f = fopen(conf, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write the configuration");
    snprintf(pw, sizeof(pw), "%s/pw", dir);
    f = fopen(pw, "w");
    if (f == NULL || fputs("bench\n", f) < 0 || fclose(f) != 0)
        die("cannot write the password file");
    snprintf(portarg, sizeof(portarg), "--port=%d", port);
    char *init[] = {"build/kpass", "-c", conf, "init", NULL};
    char *add[] = {
        "build/kpass",      "-c",    conf,    "partner",         "add", "bench", "--client",
        "--host=127.0.0.1", portarg, "--sms", "--password-file", pw,    NULL};
    if (run(init) != 0 || run(add) != 0)
        die("kpass init / partner add failed");
}

static void queue(int n)
{
    char db[700], text[160];
    struct store *st;
    int64_t now = (int64_t)time(NULL);

    snprintf(db, sizeof(db), "%s/kpass.db", dir);
    if (store_open(db, 0, &st) < 0 || store_tx_begin(st) < 0)
        die("cannot open the store");
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof(text), "Khyber Pass: message %d of the dispatcher benchmark.", i);
        if (store_sms_queue(st, "+923001234567", text, 0, NULL, now + 3600, now, NULL) < 0)
            die("cannot queue");
    }
    if (store_tx_commit(st) < 0)
        die("cannot commit");
    store_close(st);
}

static uint64_t sent_now(struct store *st)
{
    uint64_t counts[SMS_STATE_MAX];

    if (store_sms_counts(st, counts) < 0)
        die("cannot count");
    return counts[SMS_SENT];
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 50000, window = argc > 2 ? atoi(argv[2]) : 64, port;
    char line[512], db[700], cmd[700];
    uint64_t t_start, t_first = 0, t10 = 0, t90 = 0, t_end = 0, sent = 0;
    struct store *st;
    FILE *srv_out;
    pid_t srv, kpd;

    if (sodium_init() < 0 || n < 10 || window < 1 || mkdtemp(dir) == NULL)
        return 1;
    log_init("bench", KP_LOG_STDERR, KP_LOG_WARN);
    srv = server_start(&srv_out);
    if (fgets(line, sizeof(line), srv_out) == NULL || strstr(line, "\"port\":") == NULL)
        die("bench_server.js did not start (run from the top of the tree, after npm ci)");
    port = atoi(strstr(line, "\"port\":") + 7);
    setup(port, window);
    queue(n);
    printf("queued: %d messages; window %d, one bind to bench_server.js\n", n, window);
    snprintf(db, sizeof(db), "%s/kpass.db", dir);
    t_start = kp_clock_ms();
    kpd = daemon_start();
    if (store_open(db, STORE_READONLY, &st) < 0)
        die("cannot open the store to watch it");
    while (sent < (uint64_t)n && kp_clock_ms() - t_start < 600000) {
        usleep(20000);
        sent = sent_now(st);
        uint64_t t = kp_clock_ms();
        if (sent > 0 && t_first == 0)
            t_first = t;
        if (sent * 10 >= (uint64_t)n && t10 == 0)
            t10 = t;
        if (sent * 10 >= (uint64_t)n * 9 && t90 == 0)
            t90 = t;
    }
    t_end = kp_clock_ms();
    store_close(st);
    kill(kpd, SIGTERM);
    waitpid(kpd, NULL, 0);
    kill(srv, SIGTERM);
    while (fgets(line, sizeof(line), srv_out) != NULL)
        if (strstr(line, "\"stats\""))
            printf("bench_server.js: %s", line);
    waitpid(srv, NULL, 0);
    if (sent < (uint64_t)n)
        die("not every message was sent within 10 minutes");
    double all = (double)(t_end - t_first) / 1000, mid = (double)(t90 - t10) / 1000;
    double rate = (double)n / (all > 0 ? all : 1e-3);
    double rate_mid = (double)n * 0.8 / (mid > 0 ? mid : 1e-3);
    printf("sent: %d in %.2f s from the first: %.0f SMS/s (%.0f/s from 10%% to 90%%)\n", n, all,
           rate, rate_mid);
    printf("{\"bench\":\"sms_dispatch\",\"messages\":%d,\"window\":%d,\"seconds\":%.3f,"
           "\"per_second\":%.0f,\"per_second_10_90\":%.0f}\n",
           n, window, all, rate, rate_mid);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
