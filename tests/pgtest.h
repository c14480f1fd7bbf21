/* SPDX-License-Identifier: ISC */
/*
 * A private PostgreSQL 15 server for the tests: initdb into a temporary
 * folder, postgres on 127.0.0.1 at a free port (and a socket in that
 * folder), fsync off (test speed only: nothing in it outlives the run),
 * a role with a password and a database.  One server per test process,
 * started on first use and stopped when the process that started it
 * exits; each test case gets a fresh schema of that database
 * (tu_pg_fresh()), which is ~10x cheaper than a database per case.
 *
 * PostgreSQL refuses to run as root: as root the server runs as the
 * `postgres` user (runuser).  `make deps` installs postgresql-15.
 */
#ifndef KPASS_TESTS_PGTEST_H
#define KPASS_TESTS_PGTEST_H

struct tu_pg {
    char dir[256];      /* the folder: data/, sock/, passfile, server.log */
    int port;           /* 127.0.0.1:port */
    char dsn[512];      /* host, port, user and database, no password */
    char passfile[300]; /* the role's password, 0600 */
    char password[33];  /* the same (tests check it never reaches a log) */
};

/* True when the PostgreSQL 15 server programs are installed; otherwise
 *why says what is missing. */
int tu_pg_available(const char **why);
/* The running server, started on first call (Check's ck_assert on a
   failure to start).  NULL only when tu_pg_available() is false: the
   caller then skips with that reason. */
const struct tu_pg *tu_pg_start(void);
/* Stop the server (pg_ctl -m immediate) and remove its folder; only in
   the process that started it (forked test children inherit the exit
   handler and must not stop their parent's server). */
void tu_pg_stop(void);
/* tu_pg_stop() if this process started the server: for a process that
   ends with _exit() (a shard worker), where atexit() does not run. */
void tu_pg_stop_own(void);
/* A fresh, empty schema for one test case: a DSN (malloc'd) that selects
   it through search_path.  tag names it in the server's log. */
char *tu_pg_fresh(const char *tag);
/* KP_TEST_STORE=postgresql: the store-level tests run on PostgreSQL. */
int tu_pg_wanted(void);
/* The schema that stands for the SQLite file path (the same path, the
   same schema: a test that opens its store twice finds its rows), made
   on first use; a DSN (malloc'd) selecting it. */
char *tu_pg_dsn_for(const char *path);
/* Run sql (one value) in path's schema: tu_sql_int() on PostgreSQL. */
long long tu_pg_sql_int(const char *path, const char *sql);

/* Kill the server at once (immediate shutdown: what a crash looks like to
   a client) and start it again on the same port and data; 0 or -1. */
int tu_pg_crash(void);
int tu_pg_restart(void);
/* Run sql as the superuser over the socket; 0 or -1 (the error printed). */
int tu_pg_admin(const char *sql);

#endif
