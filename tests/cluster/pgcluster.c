/* SPDX-License-Identifier: ISC */
/*
 * The local PostgreSQL cluster from C (pgcluster.h): cluster.sh's verbs,
 * connections through the multi-host DSN, and the failover measurement.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pgcluster.h"

double pgc_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pgc_sleep(double s)
{
    struct timespec ts;

    if (s <= 0)
        return;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void script_path(char *path, size_t len)
{
    const char *top = getenv("KP_TOP");

    snprintf(path, len, "%s/tests/cluster/cluster.sh", top && *top ? top : ".");
}

/* Starts the script with its stdout and stderr on a pipe; *fd is the
   reading end.  The child gets its own process group so that a deadline
   can kill the script and whatever it runs at the moment (curl, psql),
   never the servers: those it starts in sessions of their own. */
static pid_t run_start(const char *verb, const char *dir, const char *arg, int *fd)
{
    char path[1024];
    int p[2];
    pid_t pid;

    script_path(path, sizeof(path));
    if (pipe(p) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);

        setpgid(0, 0);
        dup2(null, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execl("/bin/bash", "bash", path, verb, dir, arg, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    *fd = p[0];
    return pid;
}

/* Reads the child's output until it closes the pipe or the deadline; then
   reaps it (killing its group at the deadline). */
static int run_finish(pid_t pid, int fd, double deadline, char **out)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int status = -1, killed = 0;

    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        double left = deadline - pgc_now();
        ssize_t r;

        if (left <= 0) {
            kill(-pid, SIGKILL);
            killed = 1;
            break;
        }
        if (poll(&pf, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
            break;
        if ((pf.revents & (POLLIN | POLLHUP)) == 0)
            continue;
        if (n + 1024 > cap)
            buf = realloc(buf, cap *= 2);
        r = read(fd, buf + n, cap - n - 1);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out)
        *out = buf;
    else
        free(buf);
    if (killed || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int pgc_run(const char *verb, const char *dir, const char *arg, char **out, int timeout_ms)
{
    int fd;
    pid_t pid = run_start(verb, dir, arg, &fd);

    if (pid < 0) {
        if (out)
            *out = strdup("cannot run cluster.sh");
        return -1;
    }
    return run_finish(pid, fd, pgc_now() + timeout_ms / 1000.0, out);
}

int pgc_port(const char *dir, const char *name)
{
    char path[1024], line[256];
    size_t len = strlen(name);
    FILE *f;
    int port = -1;

    snprintf(path, sizeof(path), "%s/ports", dir);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, name, len) == 0 && line[len] == '=')
            port = atoi(line + len + 1);
    fclose(f);
    return port;
}

const char *pgc_node_of_port(const char *dir, int port)
{
    if (port > 0 && port == pgc_port(dir, "PG_node1"))
        return "node1";
    if (port > 0 && port == pgc_port(dir, "PG_node2"))
        return "node2";
    return NULL;
}

PGconn *pgc_connect(const char *dir, int port, const char **err)
{
    static char msg[1200];
    char dsn[1024], passfile[1024], path[1024], portstr[16];
    const char *keys[] = {
        "dbname", "passfile", "application_name", "host", "port", "target_session_attrs", NULL};
    const char *vals[] = {dsn, passfile, "kpass-cluster-test", "127.0.0.1", portstr, "any", NULL};
    FILE *f;
    PGconn *c;

    snprintf(path, sizeof(path), "%s/dsn", dir);
    snprintf(passfile, sizeof(passfile), "%s/passfile", dir);
    if ((f = fopen(path, "r")) == NULL || fgets(dsn, sizeof(dsn), f) == NULL) {
        if (f)
            fclose(f);
        snprintf(msg, sizeof(msg), "%s: cannot read", path);
        if (err)
            *err = msg;
        return NULL;
    }
    fclose(f);
    dsn[strcspn(dsn, "\n")] = '\0';
    snprintf(portstr, sizeof(portstr), "%d", port);
    /* expand_dbname: the DSN is the first dbname; the keys after it
       override it (one node's host and port, whatever its role, when port
       is given). */
    if (port == 0)
        keys[3] = NULL;
    c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
        msg[strcspn(msg, "\n")] = '\0';
        if (err)
            *err = msg;
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Waits at most timeout seconds for the answer to what was sent: 1 when
   the command succeeded, 0 when it failed or the time ran out. */
static int await_ok(PGconn *c, double timeout)
{
    double until = pgc_now() + timeout;
    PGresult *res;
    int ok = 1, any = 0;

    for (;;) {
        while (PQisBusy(c)) {
            struct pollfd pf = {PQsocket(c), POLLIN, 0};
            double left = until - pgc_now();

            if (left <= 0 || PQsocket(c) < 0)
                return 0;
            if (poll(&pf, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
                return 0;
            if (PQconsumeInput(c) == 0)
                return 0;
        }
        if ((res = PQgetResult(c)) == NULL)
            break;
        any = 1;
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            ok = 0;
        PQclear(res);
    }
    return any && ok && PQstatus(c) == CONNECTION_OK;
}

struct ids {
    long *v;
    size_t n, cap;
};

static void ids_add(struct ids *s, long id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = id;
}

static int fail(struct pgc_failover *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    return -1;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* The table of the measurement: one row per acknowledged write, `run`
   keeping successive measurements apart. */
static int probe_table(const char *dir, long *run, struct pgc_failover *r)
{
    const char *err;
    PGconn *c = pgc_connect(dir, 0, &err);
    PGresult *res;
    int ok;

    if (c == NULL)
        return fail(r, "connect: %s", err);
    /* The second run's "already exists, skipping" is no news. */
    PQsetNoticeProcessor(c, quiet, NULL);
    res = PQexec(c, "CREATE TABLE IF NOT EXISTS failover_probe ("
                    "run bigint NOT NULL, id bigint NOT NULL, at timestamptz DEFAULT now(), "
                    "PRIMARY KEY (run, id))");
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    res = PQexec(c, "SELECT coalesce(max(run), 0) + 1 FROM failover_probe");
    if (ok && PQresultStatus(res) == PGRES_TUPLES_OK)
        *run = atol(PQgetvalue(res, 0, 0));
    else
        ok = 0;
    PQclear(res);
    if (!ok)
        fail(r, "probe table: %s", PQerrorMessage(c));
    PQfinish(c);
    return ok ? 0 : -1;
}

/* Every acknowledged id is on the primary now (through the DSN). */
static int probe_verify(const char *dir, long run, const struct ids *acked, struct pgc_failover *r)
{
    const char *err, *node;
    char runs[32];
    const char *params[1] = {runs};
    PGconn *c = NULL;
    PGresult *res;
    unsigned char *seen;
    long max = 0;
    double until = pgc_now() + 20;

    while ((c = pgc_connect(dir, 0, &err)) == NULL && pgc_now() < until)
        pgc_sleep(0.1);
    if (c == NULL)
        return fail(r, "verify: connect: %s", err);
    node = pgc_node_of_port(dir, atoi(PQport(c)));
    snprintf(r->primary, sizeof(r->primary), "%.15s", node ? node : "?");
    snprintf(runs, sizeof(runs), "%ld", run);
    res = PQexecParams(c, "SELECT id FROM failover_probe WHERE run = $1", 1, NULL, params, NULL,
                       NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail(r, "verify: %s", PQerrorMessage(c));
        PQclear(res);
        PQfinish(c);
        return -1;
    }
    for (size_t i = 0; i < acked->n; i++)
        if (acked->v[i] > max)
            max = acked->v[i];
    seen = calloc((size_t)max + 1, 1);
    for (int i = 0; i < PQntuples(res); i++) {
        long id = atol(PQgetvalue(res, i, 0));
        if (id >= 0 && id <= max)
            seen[id] = 1;
    }
    r->lost = 0;
    for (size_t i = 0; i < acked->n; i++)
        if (!seen[acked->v[i]])
            r->lost++;
    free(seen);
    PQclear(res);
    PQfinish(c);
    return 0;
}

/* The state of the writing loop of pgc_failover. */
struct probe {
    const char *dir;
    long run, next;
    PGconn *c;
    struct ids acked;
    double last_ok, kill_done;
    int killer_fd, after;
    pid_t killer;
};

/* One write: connect if need be, INSERT, wait for the answer (at most 5 s:
   longer than a commit waiting for the standby, shorter than a failover). */
static void probe_write(struct probe *p, struct pgc_failover *r)
{
    char runs[32], ids[32];
    const char *params[2] = {runs, ids};
    long id;
    double t;

    if (p->c == NULL && (p->c = pgc_connect(p->dir, 0, NULL)) == NULL)
        return;
    id = p->next++;
    snprintf(runs, sizeof(runs), "%ld", p->run);
    snprintf(ids, sizeof(ids), "%ld", id);
    if (PQsendQueryParams(p->c, "INSERT INTO failover_probe (run, id) VALUES ($1, $2)", 2, NULL,
                          params, NULL, NULL, 0) &&
        await_ok(p->c, 5.0)) {
        t = pgc_now();
        if (p->last_ok > 0 && t - p->last_ok > r->gap_s)
            r->gap_s = t - p->last_ok;
        /* After the kill returned: the node is dead, so this commit went
           through whatever recovery it needed. */
        if (p->kill_done > 0 && p->after++ == 0)
            r->kill_to_ok = t - p->kill_done;
        p->last_ok = t;
        ids_add(&p->acked, id);
        return;
    }
    /* Sent, but no acknowledgement: the row may or may not be there. */
    r->indoubt++;
    PQfinish(p->c);
    p->c = NULL;
}

/* The kill runs beside the writes: reaped when it is done, its output
   (the script exited, so the pipe holds all of it) naming the node. */
static int probe_reap(struct probe *p, struct pgc_failover *r)
{
    char out[256];
    ssize_t n;
    int st;

    if (p->killer == 0 || waitpid(p->killer, &st, WNOHANG) != p->killer)
        return 0;
    p->kill_done = pgc_now();
    p->killer = 0;
    n = read(p->killer_fd, out, sizeof(out) - 1);
    out[n > 0 ? n : 0] = '\0';
    close(p->killer_fd);
    out[strcspn(out, "\n")] = '\0';
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return fail(r, "kill failed: %.200s", out);
    snprintf(r->killed, sizeof(r->killed), "%.15s", out);
    return 0;
}

int pgc_failover(const char *dir, const char *victim, int period_ms, int before, int after,
                 double deadline_s, struct pgc_failover *r)
{
    struct probe p = {0};
    double start = pgc_now(), tick = start;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    p.dir = dir;
    p.next = 1;
    if (probe_table(dir, &p.run, r) < 0)
        return -1;
    while (p.after < after || p.killer != 0) {
        if (pgc_now() - start > deadline_s) {
            rc = fail(r, "no recovery within %.0f s (%ld acknowledged, %d after the kill)",
                      deadline_s, (long)p.acked.n, p.after);
            break;
        }
        probe_write(&p, r);
        if (probe_reap(&p, r) < 0) {
            rc = -1;
            break;
        }
        if (p.killer == 0 && p.kill_done == 0 && (long)p.acked.n >= before) {
            p.killer = run_start(victim ? "kill-node" : "kill-primary", dir, victim, &p.killer_fd);
            if (p.killer < 0) {
                rc = fail(r, "cannot run cluster.sh");
                break;
            }
        }
        tick += period_ms / 1000.0;
        pgc_sleep(tick - pgc_now());
        if (tick < pgc_now())
            tick = pgc_now();
    }
    if (p.killer > 0) {
        kill(-p.killer, SIGKILL);
        waitpid(p.killer, NULL, 0);
        close(p.killer_fd);
    }
    if (p.c)
        PQfinish(p.c);
    r->acked = (long)p.acked.n;
    if (rc == 0)
        rc = probe_verify(dir, p.run, &p.acked, r);
    free(p.acked.v);
    return rc;
}
