/* SPDX-License-Identifier: ISC */
/*
 * kpass migrate --from sqlite:FILE --to postgresql:DSN [--passfile PATH]:
 * a single-node installation moved into a cluster's database (issue 12).
 * Stop, copy, verify, report: the SQLite file's lock is taken (no kpassd
 * may write it meanwhile), the target schema is created by the migrations
 * and must hold no data, every table is copied in one PostgreSQL
 * transaction (store_move_copy), and the COMMIT comes only after the row
 * counts, the values and the audit chain on the target are found to be
 * the source's.  Anything less and the target is left as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/pidlock.h"
#include "kpass/id/keys.h"
#include "kpass/store/move.h"

#define MOVE_USAGE                                                                                 \
    "kpass [-c file] migrate --from sqlite:FILE --to postgresql:DSN [--passfile PATH]"

struct move_args {
    char *from;     /* the SQLite file */
    char *to;       /* the libpq connection string (no password) */
    char *passfile; /* the password's file, or NULL */
};

/* 0, or 2 after the usage. */
static int move_args(int argc, char **argv, struct move_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i += 2) {
        char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return cli_usage(MOVE_USAGE);
        if (strcmp(argv[i], "--from") == 0 && strncmp(v, "sqlite:", 7) == 0 && v[7])
            a->from = v + 7;
        else if (strcmp(argv[i], "--to") == 0 && strncmp(v, "postgresql:", 11) == 0 && v[11])
            a->to = v + 11;
        else if (strcmp(argv[i], "--passfile") == 0)
            a->passfile = v;
        else
            return cli_usage(MOVE_USAGE);
    }
    if (a->from == NULL || a->to == NULL)
        return cli_usage(MOVE_USAGE);
    /* The password never on the command line, where ps(1) shows it. */
    if (strstr(a->to, "password=") != NULL || strstr(a->to, "password =") != NULL ||
        strstr(a->to, "://") != NULL)
        return cli_fail("the DSN must not hold the password: give it with --passfile");
    return 0;
}

/* The SQLite file's lock, as kpassd holds it: refused while one runs. */
static int move_lock(const char *file)
{
    char path[4096];
    pid_t holder = 0;
    int fd;

    if (kp_pidlock_path(file, path, sizeof(path)) < 0)
        return -cli_fail("%s: path too long", file);
    fd = kp_pidlock_acquire(path, &holder);
    if (fd == -KP_ERR_BUSY)
        return -cli_fail("kpassd (pid %ld) is using %s: stop it before moving the installation "
                         "(a move copies a database nobody writes)",
                         (long)holder, file);
    if (fd < 0)
        return -cli_fail("%s: %s", path, kp_strerror(fd));
    return fd;
}

/* Open both ends; 0, or 1 after reporting. */
static int move_open(const struct move_args *a, struct store **src, struct store **dst)
{
    struct store_settings set = {
        .backend = STORE_BACKEND_POSTGRESQL, .dsn = a->to, .passfile = a->passfile};
    struct stat sb;
    int rc;

    if (stat(a->from, &sb) < 0)
        return cli_fail("no database at %s", a->from);
    rc = store_open(a->from, STORE_READONLY | STORE_CURRENT, src);
    if (rc == -KP_ERR_STATE)
        return cli_fail("%s has an older schema: run `kpass migrate` on it first", a->from);
    if (rc < 0)
        return cli_fail("cannot open the database %s", a->from);
    /* A target in use is refused before its schema is migrated; then
       STORE_EXCLUSIVE: no kpassd may start on the target during the move. */
    if ((rc = store_open_conf(&set, NULL, STORE_READONLY, dst)) == 0) {
        struct kp_buf why = KP_BUF_INIT;
        rc = store_move_target_empty(*dst, &why);
        store_close(*dst);
        *dst = NULL;
        if (rc < 0) {
            cli_fail("%s", why.data ? why.data : "cannot read the target");
            kp_buf_free(&why);
            return 1;
        }
        kp_buf_free(&why);
        rc = store_open_conf(&set, NULL, STORE_EXCLUSIVE, dst);
    }
    if (rc == -KP_ERR_BUSY)
        return cli_fail("a kpassd is running on the target database: stop it first");
    if (rc == -KP_ERR_CLOSED)
        return cli_fail("PostgreSQL is not reachable at the DSN given (the reason is above)");
    if (rc < 0)
        return cli_fail("cannot open the target PostgreSQL database (the reason is above: "
                        "a wrong password or passfile, a DSN the server refuses)");
    return 0;
}

static void move_print(const struct store_move_report *rep, const struct audit_report *chain,
                       double secs)
{
    int moved = 0;

    printf("%-22s %10s %10s  %s\n", "table", "source", "target", "check");
    for (int i = 0; i < rep->n; i++) {
        const struct store_move_table *t = &rep->tables[i];
        if (t->target_only) {
            printf("%-22s %10s %10s  %s\n", t->name, "-", "0", "new in PostgreSQL, left empty");
            continue;
        }
        moved++;
        printf("%-22s %10lld %10lld  %s\n", t->name, (long long)t->rows, (long long)t->target_rows,
               t->same ? "ok" : "DIFFERS");
    }
    printf("moved: %d tables, %lld rows, %d identity sequences set\n", moved, (long long)rep->rows,
           rep->sequences);
    printf("audit chain on the target: intact, %lld rows (head %lld)\n", (long long)chain->rows,
           (long long)chain->head_id);
    printf("time: %.2f s\n", secs);
}

/* The audit chain of st; 0, or 1 after reporting (what names st). */
static int move_chain(struct store *st, const uint8_t *key, const char *what,
                      struct audit_report *rep)
{
    int rc;

    audit_use_key(st, key);
    if ((rc = audit_verify(st, rep)) == 0)
        return 0;
    if (rc == -KP_ERR_CRYPTO)
        return cli_fail("the audit chain of %s is broken at row %lld: %s", what,
                        (long long)rep->bad_id, audit_fault_text(rep->fault));
    return cli_fail("cannot verify the audit chain of %s: %s", what, kp_strerror(rc));
}

/* Copy, verify, commit; 0 or 1 after reporting. */
static int move_run(struct store *src, struct store *dst, const uint8_t *audit_key)
{
    struct store_move_report rep;
    struct audit_report before, after;
    struct kp_buf why = KP_BUF_INIT;
    struct timespec t0, t1;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (move_chain(src, audit_key, "the source", &before) != 0)
        return 1;
    if (store_tx_begin(dst) < 0)
        return cli_fail("cannot begin a transaction on the target");
    if ((rc = store_move_copy(src, dst, &rep, &why)) < 0) {
        store_tx_rollback(dst);
        cli_fail("%s; nothing was committed", why.data ? why.data : kp_strerror(rc));
        kp_buf_free(&why);
        store_move_report_free(&rep);
        return 1;
    }
    kp_buf_free(&why);
    if (move_chain(dst, audit_key, "the target", &after) != 0 || after.rows != before.rows ||
        after.head_id != before.head_id || memcmp(after.head, before.head, sizeof(after.head))) {
        store_tx_rollback(dst);
        store_move_report_free(&rep);
        return cli_fail("the audit chain on the target is not the source's; nothing was "
                        "committed");
    }
    if (store_tx_commit(dst) < 0) {
        store_move_report_free(&rep);
        return cli_fail("the target refused the COMMIT; nothing was moved");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    move_print(&rep, &after,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    store_move_report_free(&rep);
    return 0;
}

int cmd_migrate_move(struct kp_cli *cli, int argc, char **argv)
{
    struct move_args a;
    struct store *src = NULL, *dst = NULL;
    struct kp_buf err = KP_BUF_INIT;
    uint8_t *audit_key = NULL;
    int lock, rc;

    if ((rc = move_args(argc, argv, &a)) != 0)
        return rc;
    if (cli_config(cli) < 0)
        return 1;
    /* The audit key checks the chain on both ends: the installation's keys/. */
    if (keys_secret_load(cli->cfg.keys_dir, KEYS_AUDIT, &audit_key, &err) < 0) {
        fputs(err.data ? err.data : "keys: cannot load audit.key\n", stderr);
        kp_buf_free(&err);
        return 1;
    }
    kp_buf_free(&err);
    if ((lock = move_lock(a.from)) < 0) {
        keys_secret_free(audit_key);
        return 1;
    }
    rc = move_open(&a, &src, &dst);
    if (rc == 0)
        rc = move_run(src, dst, audit_key);
    store_close(dst);
    store_close(src);
    kp_pidlock_release(lock);
    keys_secret_free(audit_key);
    if (rc == 0)
        printf("committed. Copy the keys folder %s to every node; then start the nodes with "
               "[store] backend = postgresql.\n",
               cli->cfg.keys_dir);
    return rc;
}
