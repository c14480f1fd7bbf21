/* SPDX-License-Identifier: ISC */
/*
 * ops: running kpassd safely on its data folder.  One daemon per database
 * (a second exits at once, naming the first; the CLI's writers carry on);
 * the database, its -wal and -shm 0600 and the key folder 0700, and a
 * daemon that refuses a key folder or any key file open to group or
 * others; `kpassd -t` checking that the database and the keys are there
 * and readable; an older schema refused by kpassd and the CLI until
 * `kpass migrate`, which backs up first.
 */
#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../src/store/store_internal.h"
#include "testutil.h"

static struct tu_daemon d;

static void ops_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Run kpassd (args after the config) to its end within 5 s; output in *out. */
static int kpassd_run(struct tu_daemon *dm, const char *flag, char **out)
{
    char bin[1024], c[] = "-c", f[8];
    char *argv[] = {bin, c, dm->conf, flag ? f : NULL, NULL};

    snprintf(bin, sizeof(bin), "%s", tu_bin("kpassd"));
    snprintf(f, sizeof(f), "%s", flag ? flag : "");
    return tu_run(argv, NULL, out, 5000);
}

static unsigned mode_of(const char *dir, const char *name)
{
    char path[1024];
    struct stat sb;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_msg(stat(path, &sb) == 0, "no %s", path);
    return (unsigned)(sb.st_mode & 07777);
}

START_TEST(test_one_daemon_per_database)
{
    char buf[64], text[2048], *out = NULL;
    struct tu_daemon two;
    uint64_t t0;
    int rc;

    tu_daemon_prepare(&d, NULL);
    tu_daemon_start(&d);
    /* The second one has ports of its own: only the database is shared. */
    memset(&two, 0, sizeof(two));
    snprintf(two.conf, sizeof(two.conf), "%s/second.conf", d.dir);
    snprintf(text, sizeof(text),
             "[daemon]\ndatabase = %s/kpass.db\nkeys = %s/keys\n[smpp]\nlisten = 127.0.0.1:%d\n"
             "[ussd]\nmenus = %s/menus\n[http]\nlisten = 127.0.0.1:%d\n",
             d.dir, d.dir, tu_free_port(), tu_top(), tu_free_port());
    ck_assert_int_eq(tu_write_file(two.conf, text), 0);
    t0 = (uint64_t)time(NULL);
    rc = kpassd_run(&two, NULL, &out);
    ck_assert_msg(rc == 1, "second kpassd: exit %d: %s", rc, out);
    ck_assert_uint_le((uint64_t)time(NULL) - t0, 2);
    snprintf(buf, sizeof(buf), "another kpassd (pid %ld) is using ", (long)d.pid);
    ck_assert_msg(strstr(out, buf) != NULL && strstr(out, "/kpass.db") != NULL, "%s", out);
    free(out);
    /* The first one still serves, and the CLI's writers still write. */
    ck_assert_int_eq(kill(d.pid, 0), 0);
    rc = tu_kpass(&d, "pw-1\n", &out, "partner", "add", "gw", NULL);
    ck_assert_msg(rc == 0, "partner add beside kpassd: %s", out);
    free(out);
    /* Once it is gone, a new one starts. */
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    tu_daemon_start(&d);
}
END_TEST

/* The same on PostgreSQL, where no file is shared: a second kpassd whose
   SQLite path differs but whose [store] names the same PostgreSQL schema
   is refused by the database's own lock, the first serves on, and once it
   is gone a new one starts (a session advisory lock, src/store/db_pg.c). */
START_TEST(test_one_daemon_per_database_pg)
{
    char text[4096], store[1024], second[400], *out = NULL;
    struct tu_daemon two;
    int rc;

    setenv("KP_TEST_STORE", "postgresql", 1); /* this forked case only */
    tu_daemon_prepare(&d, NULL);
    tu_daemon_start(&d);
    tu_daemon_store_conf(&d, store, sizeof(store));
    ck_assert_msg(strstr(store, "backend = postgresql") != NULL, "%s", store);
    snprintf(second, sizeof(second), "%s/second", d.dir);
    ck_assert_int_eq(mkdir(second, 0700), 0);
    memset(&two, 0, sizeof(two));
    snprintf(two.conf, sizeof(two.conf), "%s/kpassd.conf", second);
    snprintf(text, sizeof(text),
             "[daemon]\ndatabase = %s/kpass.db\nkeys = %s/keys\n[smpp]\nlisten = 127.0.0.1:%d\n"
             "[ussd]\nmenus = %s/menus\n[http]\nlisten = 127.0.0.1:%d\n%s",
             second, d.dir, tu_free_port(), tu_top(), tu_free_port(), store);
    ck_assert_int_eq(tu_write_file(two.conf, text), 0);
    rc = kpassd_run(&two, NULL, &out);
    ck_assert_msg(rc == 1, "second kpassd: exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "another kpassd is using the database PostgreSQL") != NULL, "%s",
                  out);
    free(out);
    ck_assert_int_eq(kill(d.pid, 0), 0);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    tu_daemon_start(&d);
}
END_TEST

START_TEST(test_modes)
{
    char path[1024], *out = NULL;

    tu_daemon_prepare(&d, NULL);
    tu_daemon_start(&d);
    ck_assert_int_eq(tu_kpass(&d, "pw-1\n", NULL, "partner", "add", "gw", NULL), 0);
    ck_assert_uint_eq(mode_of(d.dir, "kpass.db"), 0600);
    ck_assert_uint_eq(mode_of(d.dir, "kpass.db-wal"), 0600);
    ck_assert_uint_eq(mode_of(d.dir, "kpass.db-shm"), 0600);
    ck_assert_uint_eq(mode_of(d.dir, "keys"), 0700);
    ck_assert_uint_eq(mode_of(d.dir, "keys/otp.key"), 0600);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);

    /* A key folder others may list: refused. */
    snprintf(path, sizeof(path), "%s/keys", d.dir);
    ck_assert_int_eq(chmod(path, 0750), 0);
    ck_assert_int_eq(kpassd_run(&d, NULL, &out), 1);
    ck_assert_msg(strstr(out, "keys") && strstr(out, "0750") && strstr(out, "0700"), "%s", out);
    free(out);
    ck_assert_int_eq(chmod(path, 0700), 0);

    /* A key file the daemon does not even load, left readable: refused too. */
    snprintf(path, sizeof(path), "%s/keys/sign-0badc0de.key", d.dir);
    ck_assert_int_eq(tu_write_file(path, "0123456789abcdef0123456789abcdef"), 0);
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(kpassd_run(&d, NULL, &out), 1);
    ck_assert_msg(strstr(out, "sign-0badc0de.key") && strstr(out, "0644"), "%s", out);
    free(out);
    ck_assert_int_eq(unlink(path), 0);
    tu_daemon_start(&d);
}
END_TEST

START_TEST(test_check_paths)
{
    char path[1024], moved[1100], *out = NULL;

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(kpassd_run(&d, "-t", &out), 0);
    ck_assert_msg(strstr(out, "configuration OK") != NULL, "%s", out);
    free(out);

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    snprintf(moved, sizeof(moved), "%s.away", path);
    ck_assert_int_eq(rename(path, moved), 0);
    ck_assert_int_eq(kpassd_run(&d, "-t", &out), 1);
    ck_assert_msg(strstr(out, "database") && strstr(out, path) &&
                      strstr(out, "No such file or directory") && strstr(out, "kpass init"),
                  "%s", out);
    free(out);
    ck_assert_int_eq(rename(moved, path), 0);

    snprintf(path, sizeof(path), "%s/keys", d.dir);
    snprintf(moved, sizeof(moved), "%s.away", path);
    ck_assert_int_eq(rename(path, moved), 0);
    ck_assert_int_eq(kpassd_run(&d, "-t", &out), 1);
    ck_assert_msg(strstr(out, "keys") && strstr(out, path) && strstr(out, "No such file"), "%s",
                  out);
    free(out);
    ck_assert_int_eq(rename(moved, path), 0);
    ck_assert_int_eq(kpassd_run(&d, "-t", &out), 0);
    free(out);
}
END_TEST

/* A database at an older schema (up to version upto), made from the real migrations. */
static void old_database(const char *path, int upto)
{
    const struct store_migration *m;
    sqlite3 *db;
    int n;

    unlink(path);
    m = store_migrations(&n);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < n && m[i].version <= upto; i++) {
        char row[128];
        ck_assert_int_eq(sqlite3_exec(db, m[i].sql, NULL, NULL, NULL), SQLITE_OK);
        snprintf(row, sizeof(row), "INSERT INTO schema_version VALUES (%d, 0)", m[i].version);
        ck_assert_int_eq(sqlite3_exec(db, row, NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
    chmod(path, 0600);
}

START_TEST(test_migrate)
{
    char path[1024], bk[512], *out = NULL, *log;
    const struct store_migration *m;
    int n, latest, prev, rc;

    m = store_migrations(&n);
    latest = m[n - 1].version;
    prev = m[n - 2].version; /* versions are numbered per branch: may skip */
    tu_daemon_prepare(&d, NULL);
    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    old_database(path, prev);
    /* A remembered language outlives the migrations (20 builds its table again). */
    {
        sqlite3 *db;
        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db,
                                      "INSERT INTO msisdn_lang VALUES ('+923001234567', 'ps', 7)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }

    /* kpassd refuses, and says what to do. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (freopen(d.log, "w", stderr) == NULL)
            _exit(126);
        execl(tu_bin("kpassd"), "kpassd", "-c", d.conf, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
        usleep(10000);
    if (kill(pid, 0) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ck_abort_msg("kpassd started on an older schema");
    }
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    log = tu_daemon_log(&d);
    ck_assert_msg(strstr(log, "older schema") && strstr(log, "kpass") && strstr(log, "migrate"),
                  "%s", log);
    free(log);
    ck_assert_int_eq(tu_sql_int(path, "SELECT max(version) FROM schema_version"), prev);

    /* So does the CLI (only init and migrate change the schema). */
    rc = tu_kpass(&d, NULL, &out, "partner", "list", NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "migrate") != NULL, "%s", out);
    free(out);

    /* migrate: a backup first (of the old schema), then the new schema. */
    snprintf(bk, sizeof(bk), "%s/before-migrate", d.dir);
    rc = tu_kpass(&d, NULL, &out, "migrate", "--backup", bk, NULL);
    ck_assert_msg(rc == 0 && strstr(out, "migrated"), "migrate: %s", out);
    free(out);
    snprintf(path, sizeof(path), "%s/kpass.db", bk);
    ck_assert_int_eq(tu_sql_int(path, "SELECT max(version) FROM schema_version"), prev);
    snprintf(path, sizeof(path), "%s/MANIFEST", bk);
    ck_assert_int_eq(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/keys/audit.key", bk);
    ck_assert_int_eq(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_sql_int(path, "SELECT max(version) FROM schema_version"), latest);
    ck_assert_int_eq(tu_sql_int(path, "SELECT updated_at FROM msisdn_lang WHERE lang = 'ps'"), 7);
    tu_daemon_start(&d);

    /* Again: nothing to do; and not while kpassd runs. */
    rc = tu_kpass(&d, NULL, &out, "migrate", NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "stop it") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    rc = tu_kpass(&d, NULL, &out, "migrate", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "nothing to do"), "%s", out);
    free(out);
}
END_TEST

Suite *suite_ops(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("ops");

    tcase_add_checked_fixture(tc, NULL, ops_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_one_daemon_per_database);
    tcase_add_test(tc, test_one_daemon_per_database_pg);
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_check_paths);
    tcase_add_test(tc, test_migrate);
    suite_add_tcase(s, tc);
    return s;
}
