/* SPDX-License-Identifier: ISC */
/*
 * Helpers shared by the Check suites: paths, temporary folders, hex, files,
 * running the real programs, and starting the real daemon on a loopback port.
 * Every wait here is bounded in time.
 */
#ifndef KPASS_TESTS_TESTUTIL_H
#define KPASS_TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <check.h>
#include <jansson.h>

/* Every suite's and fuzz target's prototype, from the generated list. */
#define KP_SUITE(n)  Suite *suite_##n(void);
#define KP_FUZZER(n) int fuzz_##n(const uint8_t *data, size_t size);
#include "kp_suites.h"
#undef KP_SUITE
#undef KP_FUZZER

/* The source tree (KP_TOP, else "."), and a built program ("kpassd", "kpass"). */
const char *tu_top(void);
const char *tu_bin(const char *name);

/* A new empty folder under /tmp; the caller owns the returned string. */
char *tu_tmpdir(const char *tag);

/* Whole file into a malloc'd buffer (NUL-terminated, NUL not counted). */
uint8_t *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const char *text);

/* Hex (spaces allowed) into bytes; returns the byte count or -1. */
int tu_hex(const char *hex, uint8_t *out, size_t cap);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int tu_free_port(void);

/*
 * Run argv (argv[0] a path), stdin from in (may be NULL), capture stdout and
 * stderr together into *out (malloc'd, may be NULL).  Waits at most
 * timeout_ms, then kills it.  Returns the exit status, 128+signal, or -1.
 */
int tu_run(char *const argv[], const char *in, char **out, int timeout_ms);

/* Connect a blocking TCP socket to 127.0.0.1:port within timeout_ms; fd or -1. */
int tu_connect(int port, int timeout_ms);

/* GET path from 127.0.0.1:port (bounded: 5 s); the body (malloc'd), the
   status in *status; NULL and -1 when no answer came. */
char *tu_http_get(int port, const char *path, int *status);

struct tu_daemon {
    char *dir;      /* its folder: kpassd.conf, kpass.db, keys/, kpassd.log */
    char conf[512]; /* path of kpassd.conf */
    char log[512];  /* path of its stderr */
    int smpp_port;
    int http_port;
    unsigned nofile; /* RLIMIT_NOFILE for kpassd (soft and hard); 0: inherited */
    pid_t pid;
};

/*
 * Prepare a daemon folder: kpassd.conf with free loopback ports, extra lines
 * appended (may be NULL; "[section]\nkey = value" text), and `kpass init`.
 */
void tu_daemon_prepare(struct tu_daemon *d, const char *extra_conf);
/* The same without `kpass init`: the folder and kpassd.conf only. */
void tu_daemon_configure(struct tu_daemon *d, const char *extra_conf);
/* The [store] lines of d's kpassd.conf ("" on SQLite; KP_TEST_STORE=postgresql:
   its schema), for a test that writes the file itself. */
void tu_daemon_store_conf(const struct tu_daemon *d, char *out, size_t size);
/* Start kpassd (with d->nofile descriptors if set) and wait until its SMPP port accepts. */
void tu_daemon_start(struct tu_daemon *d);
/* Send sig and wait for exit (bounded); returns the exit status or 128+signal. */
int tu_daemon_stop(struct tu_daemon *d, int sig);
/* Run `kpass -c conf ARGS...` (NULL-terminated), stdin from in; output in *out. */
int tu_kpass(struct tu_daemon *d, const char *in, char **out, ...);
int tu_kpass_v(struct tu_daemon *d, const char *in, char **out, va_list ap);
/* tu_kpass, whose output must pass tu_assert_masked(); out NULL: not kept. */
int tu_kpass_masked(struct tu_daemon *d, const char *in, char **out, ...);
/*
 * Fail if out holds a full CNIC or phone number: a run of 10 or more
 * digits (digits joined by single spaces or dashes count together, as they
 * are written), or '+' and 8 or more digits.  KP1 tokens and hex runs of
 * 32 or more (hashes, ids) are left out: they may hold such runs by chance.
 */
void tu_assert_masked(const char *out);

/* The first column of the first row of sql on the database at path, -1 for no row. */
long long tu_sql_int(const char *path, const char *sql);

struct store;
/* store_open(path, flags), or with KP_TEST_STORE=postgresql the PostgreSQL
   schema standing for path (pgtest.h): the store-level suites run on both. */
int tu_store_open(const char *path, unsigned flags, struct store **out);

struct keys_signer;
struct trust_list;
/* Two fixed signing keys (seeds 0, 1, ..., 31 and 0x42 x 32): a active and
   b retired in t.  Clear both and free t after. */
void tu_signers(struct keys_signer *a, struct keys_signer *b, struct trust_list *t);
/* The daemon's log so far (malloc'd). */
char *tu_daemon_log(struct tu_daemon *d);
/* The daemon's log (malloc'd) once it holds want, or as it is after
   timeout_ms: a wait on what the daemon says, not a fixed sleep. */
char *tu_daemon_log_wait(struct tu_daemon *d, const char *want, int timeout_ms);
/* Stop if running, and remove the folder unless KP_KEEP is set. */
void tu_daemon_cleanup(struct tu_daemon *d);

/* A child process spoken to over pipes, one line at a time (the node peers). */
struct tu_proc {
    pid_t pid;
    int in;  /* its stdin */
    int out; /* its stdout */
    size_t len;
    char buf[1 << 16];
};

/* Start argv (argv[0] found in PATH) with stdin and stdout as pipes. */
void tu_proc_start(struct tu_proc *p, char *const argv[]);
/* Start tests/peers/<script> under node with args (NULL-terminated). */
void tu_peer_start(struct tu_proc *p, const char *script, ...);
/* Read lines until one contains every NULL-terminated substring; returns it
   (malloc'd) or NULL after timeout_ms or EOF. */
char *tu_proc_expect(struct tu_proc *p, int timeout_ms, ...);
/* Write one line (a newline is added). */
void tu_proc_send(struct tu_proc *p, const char *line);
/* Close its stdin, wait (bounded), kill if needed; returns the exit status. */
int tu_proc_stop(struct tu_proc *p);
/* The integer after "key": in a JSON line, or -1. */
long tu_json_int(const char *line, const char *key);

/* ---- the office desk API, end to end (check_desk_e2e, security/check_sec_desk) ---- */

/* tu_kpass that must succeed; returns its output (malloc'd). */
char *tu_kpass_ok(struct tu_daemon *d, const char *in, ...);
/* Import etc/seed/districts.csv into d's database: a citizen's district must be one of them. */
void tu_import_districts(struct tu_daemon *d);
/* The value after prefix on a line of text, to the line's end (malloc'd); fails if absent. */
char *tu_line_after(const char *text, const char *prefix);
/*
 * One HTTP request to d's API with curl (bounded): method, path, bearer
 * (may be NULL), body (may be NULL).  Returns the parsed JSON body (a JSON
 * string holding the text when it is not JSON) and sets *status.
 */
json_t *tu_http(struct tu_daemon *d, const char *method, const char *path, const char *bearer,
                const char *body, int *status);
/* The string member key of j; fails if absent. */
const char *tu_js(json_t *j, const char *key);

/* A daemon with the seed, a partner "sms" (password "smspw") carrying SMS
   bound as receiver on sms_fd, desks PSHEX1-1 (token_a) and MRDDC1-1
   (token_b), staff PSH-0042 (PIN 4821) and MRD-0007 (PIN 7391), and one
   credential (qr, serial) of citizen 10000-0000002-2. */
struct tu_desk_world {
    char *token_a, *token_b;
    char *qr;
    char *serial;
    int sms_fd;
};

/* Prepare d ("[http]\npin_failures = 3\n" then extra), fill w, start d, bind sms_fd. */
void tu_desk_world_start(struct tu_desk_world *w, struct tu_daemon *d, const char *extra);
/* The two halves of tu_desk_world_start, for a test that adds to the database in between. */
void tu_desk_world_prepare(struct tu_desk_world *w, struct tu_daemon *d, const char *extra);
void tu_desk_world_run(struct tu_desk_world *w, struct tu_daemon *d);
/* The world's rows into d's database (prepared, not started): a cluster's
   nodes (nodes.h) share them. */
void tu_desk_world_fill(struct tu_desk_world *w, struct tu_daemon *d);
/* Close sms_fd and free w's strings (the daemon is the caller's to clean up). */
void tu_desk_world_free(struct tu_desk_world *w);
/* POST /v1/desk/sessions; the session token (malloc'd) when 201, else NULL. */
char *tu_desk_signin(struct tu_daemon *d, const char *token, const char *staff, const char *pin,
                     int *status);
/* POST /v1/verifications; the id (malloc'd) when 201.  ans (may be NULL) gets the body. */
char *tu_desk_scan(struct tu_daemon *d, const char *session, const char *qr, int *status,
                   json_t **ans);
/* Read SMS (deliver_sm) on fd until one contains want; its text (malloc'd); fails after 20. */
char *tu_desk_sms_wait(int fd, const char *want);
/* The 6-digit code in a code SMS ("... is 123456 ..."), malloc'd. */
char *tu_desk_code_of(const char *sms);

#endif
