/* SPDX-License-Identifier: ISC */
/*
 * The tests' private PostgreSQL server (see pgtest.h).
 */
#include <check.h>
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
static pid_t pg_owner; /* the process that started it; 0: not running */
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

/* Run a server program, as `postgres` when we are root; its exit status. */
static int tu_pg_run(const char *prog, char *const args[], char **out)
{
    char path[256], *argv[32];
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", tu_pg_bindir(), prog);
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
    return tu_run(argv, NULL, out, 60000);
}

/* The folder belongs to the server's user when that is not us. */
static void tu_pg_chown(const char *path)
{
    struct passwd *pw;

    if (geteuid() != 0)
        return;
    pw = getpwnam("postgres");
    ck_assert_msg(pw != NULL, "pgtest: running as root and there is no postgres user");
    ck_assert_int_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
}

static int tu_pg_ctl_start(void)
{
    char data[300], log[300], opts[600], *out = NULL;
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
    rc = tu_pg_run("pg_ctl", args, &out);
    if (rc != 0)
        fprintf(stderr, "pgtest: pg_ctl start: %s\n", out ? out : "");
    free(out);
    return rc == 0 ? 0 : -1;
}

/* Run argv[0] with its output discarded; the exit status or -1.  No
   ck_assert: this runs from the exit handler too. */
static int tu_pg_spawn(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
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
    return tu_pg_spawn(geteuid() == 0 ? user : user + 4) == 0 ? 0 : -1;
}

int tu_pg_admin(const char *sql)
{
    char conninfo[600];
    PGconn *c;
    PGresult *r;
    int rc = 0;

    snprintf(conninfo, sizeof(conninfo), "host=%s/sock port=%d user=postgres dbname=kpass", pg.dir,
             pg.port);
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

static void tu_pg_atexit(void)
{
    if (pg_owner == getpid())
        tu_pg_stop();
}

/* initdb, a password for the role kpass (written to the passfile), the
   server started, the database made. */
static void tu_pg_init(void)
{
    char path[300], sock[300], *out = NULL;
    uint8_t raw[16];
    int fd;

    char *dir = tu_tmpdir("pg");
    snprintf(pg.dir, sizeof(pg.dir), "%s", dir);
    free(dir);
    chmod(pg.dir, 0700);
    tu_pg_chown(pg.dir);
    snprintf(sock, sizeof(sock), "%s/sock", pg.dir);
    ck_assert_int_eq(mkdir(sock, 0700), 0);
    tu_pg_chown(sock);

    snprintf(path, sizeof(path), "%s/data", pg.dir);
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
    int rc = tu_pg_run("initdb", args, &out);
    ck_assert_msg(rc == 0, "pgtest: initdb failed: %s", out ? out : "");
    free(out);

    pg.port = tu_free_port();
    ck_assert_msg(tu_pg_ctl_start() == 0, "pgtest: the server did not start (%s/server.log)",
                  pg.dir);
    pg_owner = getpid();
    atexit(tu_pg_atexit);

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(pg.password, sizeof(pg.password), raw, sizeof(raw));
    snprintf(pg.passfile, sizeof(pg.passfile), "%s/passfile", pg.dir);
    fd = open(pg.passfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, pg.password, strlen(pg.password)), (ssize_t)strlen(pg.password));
    ck_assert_int_eq(write(fd, "\n", 1), 1);
    close(fd);

    /* The admin connection names the database kpass: make it from
       template1 first over a plain connection. */
    char conninfo[600], sql[300];
    snprintf(conninfo, sizeof(conninfo), "host=%s port=%d user=postgres dbname=postgres", sock,
             pg.port);
    PGconn *c = PQconnectdb(conninfo);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "pgtest: %s", PQerrorMessage(c));
    snprintf(sql, sizeof(sql), "CREATE ROLE kpass LOGIN PASSWORD '%s'", pg.password);
    PQclear(PQexec(c, sql));
    PGresult *r = PQexec(c, "CREATE DATABASE kpass OWNER kpass TEMPLATE template0");
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "pgtest: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    snprintf(pg.dsn, sizeof(pg.dsn), "host=127.0.0.1 port=%d user=kpass dbname=kpass", pg.port);
}

const struct tu_pg *tu_pg_start(void)
{
    if (pg_owner != 0 || pg.port != 0)
        return &pg;
    if (!tu_pg_available(NULL))
        return NULL;
    tu_pg_init();
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
    tu_pg_spawn(argv);
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
