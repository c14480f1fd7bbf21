/* SPDX-License-Identifier: ISC */
/*
 * kpass backup, restore and migrate: what an operator needs to keep the
 * data folder safe.  A backup is a folder: kpass.db (SQLite's online
 * backup API, one consistent commit even while kpassd writes), keys/ (the
 * files with their modes), kpassd.conf, and MANIFEST (schema, time, row
 * counts, the audit chain's head, the copy's BLAKE2b) by which a restore
 * proves itself.  Restore and migrate take the data folder's lock, so they
 * refuse to run beside kpassd; backup does not (it is the online one).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"
#include "kpass/core/pidlock.h"
#include "kpass/store/audit.h"
#include "kpass/store/backup.h"

#define BK_PATH     4096
#define BK_MANIFEST "MANIFEST"
#define BK_MAGIC    "kpass-backup 1"

/* cli_fail, returning -1 (a function's error) rather than 1 (an exit status). */
static int bk_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bk_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "kpass: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* path = a/b; 0 or -1 when too long (reported). */
static int bk_join(char *out, const char *a, const char *b)
{
    int n = snprintf(out, BK_PATH, "%s/%s", a, b);

    if (n < 0 || n >= BK_PATH) {
        cli_fail("%s/%s: path too long", a, b);
        return -1;
    }
    return 0;
}

/* Copy the regular file src to dst (must not exist) with mode. */
static int bk_copy_file(const char *src, const char *dst, mode_t mode)
{
    char buf[65536];
    int in, out, rc = 0;
    ssize_t n;

    if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return bk_fail("%s: %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
    if (out < 0) {
        cli_fail("%s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    if (n < 0 || fchmod(out, mode & 07777) < 0 || fsync(out) < 0)
        rc = -1;
    if (close(out) < 0)
        rc = -1;
    close(in);
    sodium_memzero(buf, sizeof(buf));
    if (rc < 0)
        cli_fail("cannot write %s: %s", dst, strerror(errno));
    return rc;
}

/* Copy every regular file of folder src into dst (created 0700), modes kept. */
static int bk_copy_keys(const char *src, const char *dst)
{
    char from[BK_PATH], to[BK_PATH];
    struct dirent *e;
    struct stat sb;
    DIR *dp;
    int rc = 0;

    if (mkdir(dst, 0700) < 0 && errno != EEXIST)
        return bk_fail("%s: %s", dst, strerror(errno));
    if ((dp = opendir(src)) == NULL)
        return bk_fail("%s: %s", src, strerror(errno));
    while (rc == 0 && (e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (bk_join(from, src, e->d_name) < 0 || bk_join(to, dst, e->d_name) < 0 ||
            lstat(from, &sb) < 0) {
            rc = -1;
            break;
        }
        if (S_ISREG(sb.st_mode))
            rc = bk_copy_file(from, to, sb.st_mode);
    }
    closedir(dp);
    return rc;
}

/* 1 when dir is missing or holds nothing (but "." and ".."), else 0. */
static int bk_dir_empty(const char *dir)
{
    struct dirent *e;
    DIR *dp = opendir(dir);
    int empty = 1;

    if (dp == NULL)
        return errno == ENOENT;
    while ((e = readdir(dp)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(dp);
    return empty;
}

/* BLAKE2b-256 of a file, as hex into out[65]. */
static int bk_file_hash(const char *path, char out[65])
{
    crypto_generichash_state h;
    unsigned char buf[65536], md[32];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    crypto_generichash_init(&h, NULL, 0, sizeof(md));
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        crypto_generichash_update(&h, buf, (unsigned long long)n);
    close(fd);
    if (n < 0)
        return -1;
    crypto_generichash_final(&h, md, sizeof(md));
    sodium_bin2hex(out, 65, md, sizeof(md));
    return 0;
}

static void bk_counts_print(FILE *f, const struct store_counts *c)
{
    fprintf(f,
            "schema %d\npartners %lld\ncitizens %lld\ncredentials %lld\noffices %lld\n"
            "desks %lld\nstaff %lld\nverifications %lld\nsms %lld\naudit_rows %lld\n"
            "audit_head %lld %s\n",
            c->schema, (long long)c->partners, (long long)c->citizens, (long long)c->credentials,
            (long long)c->offices, (long long)c->desks, (long long)c->staff,
            (long long)c->verifications, (long long)c->sms, (long long)c->audit_rows,
            (long long)c->audit_head_id, c->audit_head_hex[0] ? c->audit_head_hex : "-");
}

/* Count the copy at db (its own file, read only) and write dir/MANIFEST. */
static int bk_manifest_write(const char *dir, const char *db, const char *source,
                             struct store_counts *c)
{
    char path[BK_PATH], hash[65], when[CLI_TIME_SIZE];
    struct store *st = NULL;
    FILE *f;
    int fd;

    if (store_open(db, STORE_READONLY, &st) < 0 || store_counts_read(st, c) < 0) {
        store_close(st);
        return bk_fail("cannot count the rows of the copy %s", db);
    }
    store_close(st);
    if (bk_file_hash(db, hash) < 0 || bk_join(path, dir, BK_MANIFEST) < 0)
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
        return bk_fail("%s: %s", path, strerror(errno));
    fprintf(f, "%s\ncreated %s\nsource %s\n", BK_MAGIC, cli_time(kp_time_s(), when), source);
    bk_counts_print(f, c);
    fprintf(f, "database_blake2b %s\n", hash);
    if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
        fclose(f);
        return bk_fail("cannot write %s", path);
    }
    fclose(f);
    return 0;
}

/* The whole backup into dir (missing or empty; created 0700). */
static int bk_backup_to(struct kp_cli *cli, const char *dir)
{
    char db[BK_PATH], keys[BK_PATH], conf[BK_PATH];
    struct store_counts c;
    struct stat sb;
    int rc;

    if (!bk_dir_empty(dir))
        return bk_fail("%s is not empty; give a new folder", dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return bk_fail("%s: %s", dir, strerror(errno));
    if (bk_join(db, dir, "kpass.db") < 0 || bk_join(keys, dir, "keys") < 0 ||
        bk_join(conf, dir, "kpassd.conf") < 0)
        return -1;
    rc = store_backup_copy(cli->cfg.database, db);
    if (rc < 0)
        return bk_fail("cannot copy %s into %s: %s", cli->cfg.database, db, kp_strerror(rc));
    if (bk_copy_keys(cli->cfg.keys_dir, keys) < 0)
        return -1;
    if (stat(cli->conf_path, &sb) == 0 && bk_copy_file(cli->conf_path, conf, sb.st_mode) < 0)
        return -1;
    if (bk_manifest_write(dir, db, cli->cfg.database, &c) < 0)
        return -1;
    printf("backup %s: schema %d, %lld citizens, %lld credentials, %lld audit rows "
           "(head %lld)\n",
           dir, c.schema, (long long)c.citizens, (long long)c.credentials, (long long)c.audit_rows,
           (long long)c.audit_head_id);
    return 0;
}

/*
 * On PostgreSQL, backups are the database server's: a base backup with its
 * WAL archive (pg_basebackup, or what Patroni's replicas and the site's
 * backup tool already do) restores to any moment, and pg_dump gives one
 * consistent logical copy.  kpass copying rows itself would be a slower,
 * weaker pg_dump, so it says where to go instead (doc/cluster.md 5.8).
 */
static int bk_pg_refuse(const char *what)
{
    return cli_fail("kpass %s is for SQLite; on PostgreSQL use the server's tools: "
                    "pg_basebackup with WAL archiving (or your Patroni cluster's backups) for "
                    "point-in-time restores, pg_dump -Fc for one consistent copy; and keep a "
                    "copy of the keys folder, which is not in the database "
                    "(doc/cluster.md, 5.8)",
                    what);
}

int cmd_backup(struct kp_cli *cli, int argc, char **argv)
{
    if (argc != 2)
        return cli_usage("kpass [-c file] backup DIR");
    if (cli_config(cli) < 0)
        return 1;
    if (cli->store.backend == STORE_BACKEND_POSTGRESQL)
        return bk_pg_refuse("backup");
    umask(077);
    return bk_backup_to(cli, argv[1]) < 0 ? 1 : 0;
}

/* Take the data folder's lock: refused while kpassd runs. */
static int bk_lock(struct kp_cli *cli, const char *what)
{
    char path[BK_PATH];
    pid_t holder = 0;
    int fd;

    if (kp_pidlock_path(cli->cfg.database, path, sizeof(path)) < 0)
        return bk_fail("%s: path too long", cli->cfg.database);
    fd = kp_pidlock_acquire(path, &holder);
    if (fd == -KP_ERR_BUSY)
        return bk_fail("kpassd (pid %ld) is using %s; stop it before %s", (long)holder,
                       cli->cfg.database, what);
    if (fd < 0)
        return bk_fail("%s: %s", path, kp_strerror(fd));
    return fd;
}

/* The manifest's counts (and the copy's hash) from dir/MANIFEST. */
static int bk_manifest_read(const char *dir, struct store_counts *c, char hash[65])
{
    char path[BK_PATH], line[256], head[65] = "";
    FILE *f;
    long long v;
    int magic = 0;

    memset(c, 0, sizeof(*c));
    hash[0] = '\0';
    if (bk_join(path, dir, BK_MANIFEST) < 0)
        return -1;
    if ((f = fopen(path, "r")) == NULL)
        return bk_fail("%s: %s (not a kpass backup?)", path, strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        static const struct {
            const char *key;
            size_t off;
        } keys[] = {
            {"partners", offsetof(struct store_counts, partners)},
            {"citizens", offsetof(struct store_counts, citizens)},
            {"credentials", offsetof(struct store_counts, credentials)},
            {"offices", offsetof(struct store_counts, offices)},
            {"desks", offsetof(struct store_counts, desks)},
            {"staff", offsetof(struct store_counts, staff)},
            {"verifications", offsetof(struct store_counts, verifications)},
            {"sms", offsetof(struct store_counts, sms)},
            {"audit_rows", offsetof(struct store_counts, audit_rows)},
        };
        char key[32];
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, BK_MAGIC) == 0)
            magic = 1;
        else if (sscanf(line, "schema %d", &c->schema) == 1)
            continue;
        else if (sscanf(line, "audit_head %lld %64s", &v, head) == 2) {
            c->audit_head_id = v;
            if (strcmp(head, "-") != 0)
                memcpy(c->audit_head_hex, head, sizeof(c->audit_head_hex));
        } else if (sscanf(line, "database_blake2b %64s", hash) == 1)
            continue;
        else if (sscanf(line, "%31s %lld", key, &v) == 2)
            for (size_t i = 0; i < KP_ARRAY_LEN(keys); i++)
                if (strcmp(key, keys[i].key) == 0)
                    *(int64_t *)(void *)((char *)c + keys[i].off) = v;
    }
    fclose(f);
    if (!magic || strlen(hash) != 64)
        return bk_fail("%s: not a kpass backup manifest", path);
    return 0;
}

/* After a restore: the chain holds and the counts are the manifest's. */
static int bk_restore_check(struct kp_cli *cli, const struct store_counts *want)
{
    struct audit_report rep;
    struct store_counts got;
    struct kp_buf err = KP_BUF_INIT;
    int rc;

    if (cli_store_keys(cli) < 0)
        return -1;
    if (store_integrity_check(cli->st, &err) < 0) {
        cli_fail("restored database fails integrity_check: %s", err.data ? err.data : "?");
        kp_buf_free(&err);
        return -1;
    }
    if ((rc = audit_verify(cli->st, &rep)) < 0)
        return bk_fail("restored audit log: %s",
                       rc == -KP_ERR_CRYPTO ? audit_fault_text(rep.fault) : kp_strerror(rc));
    if (store_counts_read(cli->st, &got) < 0)
        return -1;
    if (memcmp(&got, want, sizeof(got)) != 0) {
        fprintf(stderr, "kpass: restored counts differ from the manifest; restored:\n");
        bk_counts_print(stderr, &got);
        return -1;
    }
    printf("restore: integrity ok, audit chain intact (%lld rows), counts match the manifest\n",
           (long long)rep.rows);
    return 0;
}

int cmd_restore(struct kp_cli *cli, int argc, char **argv)
{
    char db[BK_PATH], keys[BK_PATH], hash[65], want_hash[65];
    struct store_counts want;
    char *dbdir;
    int lock, rc = 1;

    if (argc != 2)
        return cli_usage("kpass [-c file] restore DIR");
    if (cli_config(cli) < 0)
        return 1;
    if (cli->store.backend == STORE_BACKEND_POSTGRESQL)
        return bk_pg_refuse("restore");
    umask(077);
    if (bk_join(db, argv[1], "kpass.db") < 0 || bk_join(keys, argv[1], "keys") < 0 ||
        bk_manifest_read(argv[1], &want, want_hash) < 0)
        return 1;
    if (bk_file_hash(db, hash) < 0 || strcmp(hash, want_hash) != 0)
        return cli_fail("%s does not match its manifest (damaged or altered backup)", db);
    dbdir = kp_strdup(cli->cfg.database);
    if (mkdir(dirname(dbdir), 0750) < 0 && errno != EEXIST) {
        cli_fail("%s: %s", dbdir, strerror(errno));
        free(dbdir);
        return 1;
    }
    free(dbdir);
    /* The lock first: with kpassd running, that is what the operator must hear. */
    if ((lock = bk_lock(cli, "a restore")) < 0)
        return 1;
    if (access(cli->cfg.database, F_OK) == 0 || !bk_dir_empty(cli->cfg.keys_dir)) {
        cli_fail("%s or %s is already there: restore goes into an empty data folder "
                 "(move the old one aside first)",
                 cli->cfg.database, cli->cfg.keys_dir);
        kp_pidlock_release(lock);
        return 1;
    }
    if ((rc = store_backup_copy(db, cli->cfg.database)) < 0) {
        cli_fail("cannot restore %s into %s: %s", db, cli->cfg.database, kp_strerror(rc));
        rc = 1;
    } else if (bk_copy_keys(keys, cli->cfg.keys_dir) < 0 || chmod(cli->cfg.keys_dir, 0700) < 0) {
        rc = 1;
    } else {
        rc = bk_restore_check(cli, &want) < 0 ? 1 : 0;
    }
    if (rc == 0)
        printf("restored %s into %s and %s (the configuration copy is %s/kpassd.conf)\n", argv[1],
               cli->cfg.database, cli->cfg.keys_dir, argv[1]);
    kp_pidlock_release(lock);
    return rc;
}

/* kpass migrate on PostgreSQL: the schema's migrations under the daemons'
   lock taken alone (refused while any node runs); the backup before it
   is the server's (bk_pg_refuse). */
static int bk_migrate_pg(struct kp_cli *cli)
{
    struct store *st = NULL;
    int rc, before;

    rc = store_open_conf(&cli->store, NULL, STORE_CURRENT | STORE_EXCLUSIVE, &st);
    if (rc == 0) {
        printf("PostgreSQL: schema %d, nothing to do\n", store_schema_version(st));
        store_close(st);
        return 0;
    }
    if (rc == -KP_ERR_BUSY)
        return cli_fail("kpassd nodes are running on the database: stop every node before "
                        "migrating");
    if (rc != -KP_ERR_STATE)
        return cli_fail("cannot open the PostgreSQL database (the reason is above)");
    printf("kpass does not back up PostgreSQL: have a recent base backup or pg_dump "
           "(doc/cluster.md, 5.8)\n");
    if ((rc = store_open_conf(&cli->store, NULL, STORE_READONLY, &st)) < 0)
        return cli_fail("cannot open the PostgreSQL database (the reason is above)");
    before = store_schema_version(st);
    store_close(st);
    if ((rc = store_open_conf(&cli->store, NULL, STORE_EXCLUSIVE, &st)) < 0)
        return cli_fail("migration failed (the reason is above); each migration is one "
                        "transaction: the database is at the last one that committed");
    printf("PostgreSQL: migrated from schema %d to %d\n", before, store_schema_version(st));
    store_close(st);
    return 0;
}

int cmd_migrate(struct kp_cli *cli, int argc, char **argv)
{
    char dir[BK_PATH], when[32];
    const char *backup = NULL;
    struct store *st = NULL;
    time_t now = time(NULL);
    struct tm tm;
    int lock, rc;

    if (argc > 1 && (strcmp(argv[1], "--from") == 0 || strcmp(argv[1], "--to") == 0))
        return cmd_migrate_move(cli, argc, argv);
    if (argc == 3 && strcmp(argv[1], "--backup") == 0)
        backup = argv[2];
    else if (argc != 1)
        return cli_usage("kpass [-c file] migrate [--backup DIR]\n"
                         "       kpass [-c file] migrate --from sqlite:FILE --to postgresql:DSN "
                         "[--passfile PATH]");
    if (cli_config(cli) < 0)
        return 1;
    if (cli->store.backend == STORE_BACKEND_POSTGRESQL)
        return backup ? bk_pg_refuse("migrate --backup") : bk_migrate_pg(cli);
    umask(077);
    if ((lock = bk_lock(cli, "migrating")) < 0)
        return 1;
    rc = store_open(cli->cfg.database, STORE_CURRENT, &st);
    store_close(st);
    if (rc == 0) {
        printf("database %s: schema %d, nothing to do\n", cli->cfg.database, store_schema_latest());
        kp_pidlock_release(lock);
        return 0;
    }
    if (rc != -KP_ERR_STATE) {
        kp_pidlock_release(lock);
        return cli_fail("cannot open the database %s", cli->cfg.database);
    }
    if (backup == NULL) {
        /* A dated folder beside the database: the same file system, no setup needed. */
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(dir, sizeof(dir), "%s.backup-%s", cli->cfg.database, when);
        backup = dir;
    }
    if (bk_backup_to(cli, backup) < 0) {
        kp_pidlock_release(lock);
        return cli_fail("no backup, no migration");
    }
    rc = store_open(cli->cfg.database, 0, &st);
    if (rc == 0)
        printf("database %s: migrated to schema %d (backup of the old one: %s)\n",
               cli->cfg.database, store_schema_version(st), backup);
    store_close(st);
    kp_pidlock_release(lock);
    return rc == 0 ? 0 : cli_fail("migration failed; the backup is %s", backup);
}
