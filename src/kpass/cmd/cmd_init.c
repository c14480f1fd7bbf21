/* SPDX-License-Identifier: ISC */
/*
 * kpass init: create (or bring up to date) the database and the key folder
 * named by the configuration.  Idempotent: running it again changes nothing
 * but a missing piece.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"

/* mkdir -p with mode for the last component. */
static int init_mkdirs(const char *path, mode_t mode)
{
    char *p = kp_strdup(path);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = -errno;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, mode) < 0 && errno != EEXIST)
        rc = -errno;
    free(p);
    return rc;
}

int cmd_init(struct kp_cli *cli, int argc, char **argv)
{
    struct kp_buf err = KP_BUF_INIT;
    char *dbdir;
    int rc;

    (void)argv;
    if (argc != 1)
        return cli_usage("kpass [-c file] init");
    if (cli_config(cli) < 0)
        return 1;
    umask(077); /* the database, its -wal and -shm, the keys: the daemon's user's alone */
    dbdir = kp_strdup(cli->cfg.database);
    rc = init_mkdirs(dirname(dbdir), 0750);
    free(dbdir);
    if (rc < 0)
        return cli_fail("cannot create the folder of %s: %s", cli->cfg.database, strerror(-rc));
    /* The folder stays made on PostgreSQL too: kpassd's lock file lives there. */
    const char *name = store_conf_name(&cli->store, cli->cfg.database);
    rc = store_open_conf(&cli->store, cli->cfg.database, STORE_CREATE, &cli->st);
    if (rc < 0)
        return cli_fail("cannot create the database %s", name);
    printf("database %s: schema %d\n", name, store_schema_version(cli->st));

    rc = init_mkdirs(cli->cfg.keys_dir, 0700);
    if (rc < 0)
        return cli_fail("cannot create %s: %s", cli->cfg.keys_dir, strerror(-rc));
    if (keys_dir_init(cli->cfg.keys_dir, kp_time_s(), &err) < 0) {
        cli_fail("key folder %s: %s", cli->cfg.keys_dir, err.data ? err.data : "failed");
        kp_buf_free(&err);
        return 1;
    }
    kp_buf_free(&err);
    printf("key folder %s: ready\n", cli->cfg.keys_dir);
    return 0;
}
