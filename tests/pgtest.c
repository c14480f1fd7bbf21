/* SPDX-License-Identifier: ISC */
/*
 * The tests' private PostgreSQL server (see pgtest.h).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "pgtest.h"
#include "testutil.h"

#define TU_PG_BINDIR "/usr/lib/postgresql/15/bin"

static struct tu_pg pg;
static pid_t pg_owner;    /* the process that started it; 0: not running */
static int pg_watch = -1; /* the owner's end of the watchdog's pipe */
static int pg_schemas;

static const char *tu_pg_bindir(void)
{
    const char *b = getenv("KP_PG_BINDIR");

    return b && *b ? b : TU_PG_BINDIR;
}

int tu_pg_available(const char **why)
{
    static char msg[512];
    const char *progs[] = {"initdb", "pg_ctl", "postgres"};

    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", tu_pg_bindir(), progs[i]);
        if (access(path, X_OK) != 0) {
            snprintf(msg, sizeof(msg),
                     "PostgreSQL 15 not installed (%s missing): `make deps` installs "
                     "postgresql-15; the PostgreSQL tests are skipped",
                     path);
            if (why)
                *why = msg;
            return 0;
        }
    }
    return 1;
}

static int tu_pg_spawn(char *const argv[], const char *log);

/* Run a server program, as `postgres` when we are root, its output
   appended to the folder's pgtest.log; its exit status.  No ck_assert in
   here: the runner starts the server outside any test. */
static int tu_pg_run(const char *prog, char *const args[])
{
    char path[256], log[300], *argv[32];
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", tu_pg_bindir(), prog);
    snprintf(log, sizeof(log), "%s/pgtest.log", pg.dir);
    if (geteuid() == 0) {
        argv[n++] = (char *)"/usr/sbin/runuser";
        argv[n++] = (char *)"-u";
        argv[n++] = (char *)"postgres";
        argv[n++] = (char *)"--";
    }
    argv[n++] = path;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return tu_pg_spawn(argv, log);
}

/* The folder belongs to the server's user when that is not us. */
static int tu_pg_chown(const char *path)
{
    struct passwd *pw;

    if (geteuid() != 0)
        return 0;
    if ((pw = getpwnam("postgres")) == NULL) {
        fprintf(stderr, "pgtest: running as root and there is no postgres user\n");
        return -1;
    }
    return chown(path, pw->pw_uid, pw->pw_gid);
}

static int tu_pg_ctl_start(void)
{
    char data[300], log[300], opts[600];
    int rc;

    snprintf(data, sizeof(data), "%s/data", pg.dir);
    snprintf(log, sizeof(log), "%s/server.log", pg.dir);
    /* fsync off: the tests' speed; nothing of this server outlives the
       run, and the machine does not crash under it.  Never for a real
       installation.  synchronous_commit stays on: the tests kill the
       server (immediate shutdown) and expect what was committed. */
    snprintf(opts, sizeof(opts),
             "-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s/sock "
             "-c fsync=off -c full_page_writes=off "
             "-c max_connections=200 -c shared_buffers=32MB",
             pg.port, pg.dir);
    char *args[] = {"start", "-w", "-t", "60", "-D", data, "-l", log, "-o", opts, NULL};
    rc = tu_pg_run("pg_ctl", args);
    if (rc != 0)
        fprintf(stderr, "pgtest: pg_ctl start failed (%s/pgtest.log)\n", pg.dir);
    return rc == 0 ? 0 : -1;
}

/* Run argv[0] with its output appended to log (NULL: discarded); the
   exit status or -1.  No ck_assert: this runs from the exit handler too. */
static int tu_pg_spawn(char *const argv[], const char *log)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int tu_pg_ctl_stop(void)
{
    char data[300], ctl[300];

    snprintf(data, sizeof(data), "%s/data", pg.dir);
    snprintf(ctl, sizeof(ctl), "%s/pg_ctl", tu_pg_bindir());
    char *user[] = {
        "/usr/sbin/runuser", "-u", "postgres", "--", ctl, "stop", "-w", "-t", "30", "-m",
        "immediate",         "-D", data,       NULL};
    return tu_pg_spawn(geteuid() == 0 ? user : user + 4, NULL) == 0 ? 0 : -1;
}

int tu_pg_admin(const char *sql)
{
    char conninfo[600];
    PGconn *c;
    PGresult *r;
    int rc = 0;

    snprintf(conninfo, sizeof(conninfo),
             "host=%s/sock port=%d user=postgres dbname=kpass "
             "options='-c client_min_messages=warning'",
             pg.dir, pg.port);
    c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pgtest: admin connection: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

void tu_pg_stop_own(void)
{
    if (pg_owner == getpid())
        tu_pg_stop();
}

/* A free loopback port (the kernel's choice), or -1. */
static int tu_pg_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
        port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/* The role's password, 0600. */
static int tu_pg_passfile(void)
{
    uint8_t raw[16];
    int fd, ok;

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(pg.password, sizeof(pg.password), raw, sizeof(raw));
    snprintf(pg.passfile, sizeof(pg.passfile), "%s/passfile", pg.dir);
    if ((fd = open(pg.passfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        return -1;
    ok = write(fd, pg.password, strlen(pg.password)) == (ssize_t)strlen(pg.password) &&
         write(fd, "\n", 1) == 1;
    close(fd);
    return ok ? 0 : -1;
}

/* The role kpass with that password and its database. */
static int tu_pg_roles(void)
{
    char conninfo[600], sql[300];
    PGconn *c;
    PGresult *r;
    int ok;

    snprintf(conninfo, sizeof(conninfo), "host=%s/sock port=%d user=postgres dbname=postgres",
             pg.dir, pg.port);
    c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "pgtest: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    snprintf(sql, sizeof(sql), "CREATE ROLE kpass LOGIN PASSWORD '%s'", pg.password);
    PQclear(PQexec(c, sql));
    r = PQexec(c, "CREATE DATABASE kpass OWNER kpass TEMPLATE template0");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "pgtest: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/*
 * A process that stops the server when its owner dies without stopping it
 * (a test case killed at its timeout, a runner killed with -9: the exit
 * handler does not run and the server, a daemon of its own, would be left
 * behind).  It waits for EOF on a pipe whose write end only the owner holds
 * (close-on-exec: kpassd, curl and the other programs the tests run do not
 * inherit it); in a session of its own, so that a kill of the owner's
 * process group spares it.  Best effort: without it only the exit handler
 * stops the server, as before.
 */
static void tu_pg_watchdog(void)
{
    int p[2];
    pid_t pid;
    char c;

    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    if ((pid = fork()) < 0) {
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid > 0) {
        close(p[0]);
        pg_watch = p[1];
        return;
    }
    setsid();
    /* Hold nothing of the owner's (a shard's output pipe would keep its
       reader waiting for EOF). */
    for (int fd = 0; fd < 1024; fd++)
        if (fd != p[0])
            close(fd);
    for (;;) {
        ssize_t r = read(p[0], &c, 1);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
    }
    if (access(pg.dir, F_OK) == 0) { /* the owner did not stop it */
        char *rm[] = {(char *)"/bin/rm", (char *)"-rf", pg.dir, NULL};
        tu_pg_ctl_stop();
        tu_pg_spawn(rm, NULL);
    }
    _exit(0);
}

/* initdb, the server started, the role and its database; 0 or -1 (said
   on stderr). */
static int tu_pg_init(void)
{
    char path[300], sock[300], tmpl[] = "/tmp/kpass-test-pg-XXXXXX";

    if (mkdtemp(tmpl) == NULL) {
        perror("pgtest: mkdtemp");
        return -1;
    }
    snprintf(pg.dir, sizeof(pg.dir), "%s", tmpl);
    pg_owner = getpid(); /* from here on, tu_pg_stop() removes the folder */
    atexit(tu_pg_stop_own);
    tu_pg_watchdog();
    snprintf(sock, sizeof(sock), "%s/sock", pg.dir);
    snprintf(path, sizeof(path), "%s/data", pg.dir);
    if (chmod(pg.dir, 0700) < 0 || tu_pg_chown(pg.dir) < 0 || mkdir(sock, 0700) < 0 ||
        tu_pg_chown(sock) < 0) {
        perror("pgtest: the server's folder");
        return -1;
    }
    /* The superuser is trusted on the socket (a folder only it and root
       can open); over TCP everybody gives a password (SCRAM). */
    char *args[] = {"-D",
                    path,
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                    NULL};
    if (tu_pg_run("initdb", args) != 0) {
        fprintf(stderr, "pgtest: initdb failed (%s/pgtest.log)\n", pg.dir);
        return -1;
    }
    if ((pg.port = tu_pg_port()) < 0 || tu_pg_ctl_start() < 0)
        return -1;
    if (tu_pg_passfile() < 0 || tu_pg_roles() < 0)
        return -1;
    snprintf(pg.dsn, sizeof(pg.dsn), "host=127.0.0.1 port=%d user=kpass dbname=kpass", pg.port);
    return 0;
}

const struct tu_pg *tu_pg_start(void)
{
    if (pg_owner != 0 || pg.port != 0)
        return &pg;
    if (!tu_pg_available(NULL))
        return NULL;
    if (tu_pg_init() < 0) {
        fprintf(stderr, "pgtest: the private PostgreSQL did not start (%s)\n", pg.dir);
        tu_pg_stop();
        return NULL;
    }
    return &pg;
}

void tu_pg_stop(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", pg.dir, NULL};

    if (pg_owner == 0)
        return;
    tu_pg_ctl_stop();
    pg_owner = 0;
    pg.port = 0;
    tu_pg_spawn(argv, NULL);
    if (pg_watch >= 0) { /* the watchdog finds the folder gone and leaves */
        close(pg_watch);
        pg_watch = -1;
    }
}

char *tu_pg_fresh(const char *tag)
{
    char sql[300], schema[64], *dsn;

    ck_assert_ptr_nonnull(tu_pg_start());
    /* A name unique to this process and call: forked cases never meet. */
    snprintf(schema, sizeof(schema), "t_%s_%d_%d", tag, (int)getpid(), ++pg_schemas);
    for (char *p = schema; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s AUTHORIZATION kpass", schema);
    ck_assert_int_eq(tu_pg_admin(sql), 0);
    ck_assert_int_ge(asprintf(&dsn, "%s options='-c search_path=%s'", pg.dsn, schema), 0);
    return dsn;
}

int tu_pg_crash(void)
{
    return tu_pg_ctl_stop();
}

int tu_pg_restart(void)
{
    return tu_pg_ctl_start();
}

int tu_pg_wanted(void)
{
    const char *v = getenv("KP_TEST_STORE");

    return v && strcmp(v, "postgresql") == 0;
}

/* FNV-1a: a short, stable schema name for a path. */
static uint32_t tu_pg_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

char *tu_pg_dsn_for(const char *path)
{
    char sql[200], schema[32], *dsn;

    ck_assert_msg(tu_pg_start() != NULL, "KP_TEST_STORE=postgresql but PostgreSQL 15 is missing");
    snprintf(schema, sizeof(schema), "p_%08x_%zu", tu_pg_hash(path), strlen(path));
    snprintf(sql, sizeof(sql), "CREATE SCHEMA IF NOT EXISTS %s AUTHORIZATION kpass", schema);
    ck_assert_int_eq(tu_pg_admin(sql), 0);
    ck_assert_int_ge(asprintf(&dsn, "%s options='-c search_path=%s'", pg.dsn, schema), 0);
    return dsn;
}

long long tu_pg_sql_int(const char *path, const char *sql)
{
    char *dsn = tu_pg_dsn_for(path), conninfo[1024];
    long long v = -1;
    PGconn *c;
    PGresult *r;

    snprintf(conninfo, sizeof(conninfo), "%s password=%s", dsn, pg.password);
    free(dsn);
    c = PQconnectdb(conninfo);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "pgtest: %s", PQerrorMessage(c));
    r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "pgtest: %s: %s", sql, PQerrorMessage(c));
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}
