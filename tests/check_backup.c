/* SPDX-License-Identifier: ISC */
/*
 * backup: `kpass backup` while the real kpassd is under load (USSD dialogs
 * from `kpass bench`, every hop's state committed, and citizens added by
 * the CLI, each with its audit row), then `kpass restore` into a new,
 * empty data folder: integrity_check passes, `kpass audit verify` holds,
 * the counts are the manifest's, and kpassd starts on the restored folder.
 * Restore refuses a folder that is not empty and a running daemon.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "ussdgw.h"

#define WRITES 200 /* citizens added by the CLI while the backup runs */

static struct tu_daemon d, r;

static void backup_teardown(void)
{
    tu_daemon_cleanup(&d);
    tu_daemon_cleanup(&r);
}

/* The number after "key " on its own line of the manifest, or -2. */
static long long manifest_get(const char *dir, const char *key)
{
    char path[1024], pat[64];
    uint8_t *text;
    const char *p;
    long long v = -2;

    snprintf(path, sizeof(path), "%s/MANIFEST", dir);
    text = tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "no %s", path);
    snprintf(pat, sizeof(pat), "\n%s ", key);
    if ((p = strstr((const char *)text, pat)) != NULL)
        v = strtoll(p + strlen(pat), NULL, 10);
    free(text);
    return v;
}

/* A child adding n citizens with the CLI (one audit row each), then exiting. */
static pid_t citizens_writer(struct tu_daemon *dm, int n)
{
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int bad = 0;
        for (int i = 0; i < n; i++) {
            char cnic[24];
            snprintf(cnic, sizeof(cnic), "17301-76%05d-%d", i, i % 10);
            if (tu_kpass(dm, NULL, NULL, "citizen", "add", cnic, "--name-en=Sana Gul",
                         "--name-ur=ثناء گل", "--district=PSH", NULL) != 0)
                bad++;
        }
        _exit(bad ? 1 : 0);
    }
    return pid;
}

/* A child loading kpassd with USSD dialogs for secs seconds. */
static pid_t ussd_load(struct tu_daemon *dm, int secs)
{
    char port[16], seconds[16], pwfile[1024];
    pid_t pid;

    snprintf(port, sizeof(port), "%d", dm->smpp_port);
    snprintf(seconds, sizeof(seconds), "%d", secs);
    snprintf(pwfile, sizeof(pwfile), "%s/gw.pw", dm->dir);
    ck_assert_int_eq(tu_write_file(pwfile, "gw-pw\n"), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char *out = NULL;
        int rc =
            tu_kpass(dm, NULL, &out, "bench", "--port", port, "--system-id", "gw",
                     "--password-file", pwfile, "--mode", "ussd", "--dial", "*789#", "--inputs",
                     "1,2,00", "--sessions", "20", "--rate", "2000", "--seconds", seconds, NULL);
        if (rc != 0)
            fprintf(stderr, "bench: %s\n", out ? out : "");
        _exit(rc == 0 ? 0 : 1);
    }
    return pid;
}

static int child_wait(pid_t pid)
{
    int status = 0;

    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Empty r's data folder (kpass init made one) so that a restore may go there. */
static void data_folder_empty(struct tu_daemon *dm)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s/kpass.db' '%s/kpass.db-wal' '%s/kpass.db-shm' '%s/keys'",
             dm->dir, dm->dir, dm->dir, dm->dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_backup_under_load)
{
    char bk[512], path[1024], *out = NULL;
    long long before, after, hops;
    pid_t load, writer;
    struct stat sb;
    int rc;

    ug_daemon_start(&d, NULL);
    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    before = tu_sql_int(path, "SELECT count(*) FROM citizen");
    load = ussd_load(&d, 3);
    writer = citizens_writer(&d, WRITES);
    usleep(300 * 1000); /* both are writing by now, and far from done */
    snprintf(bk, sizeof(bk), "%s/backup", d.dir);
    rc = tu_kpass(&d, NULL, &out, "backup", bk, NULL);
    ck_assert_msg(rc == 0, "backup: %s", out);
    free(out);
    ck_assert_int_eq(child_wait(writer), 0);
    ck_assert_int_eq(child_wait(load), 0);
    after = tu_sql_int(path, "SELECT count(*) FROM citizen");
    hops = tu_sql_int(path, "SELECT count(*) FROM dialog");
    ck_assert_int_eq(after - before, WRITES);

    /* The copy: 0600 database, 0700 keys with 0600 files, the manifest's counts. */
    snprintf(path, sizeof(path), "%s/kpass.db", bk);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/keys", bk);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/keys/audit.key", bk);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0600);
    long long m_cit = manifest_get(bk, "citizens");
    long long m_audit = manifest_get(bk, "audit_rows");
    ck_assert_int_ge(m_cit, before);
    /* Taken under load: some of the writes are in it, not all. */
    ck_assert_msg(m_cit < after, "the backup came after the load (%lld of %d)", m_cit - before,
                  WRITES);
    ck_assert_int_ge(m_audit, m_cit - before);
    fprintf(stderr,
            "backup: %lld of %d citizens in the copy, %lld audit rows, %lld dialogs "
            "by the end\n",
            m_cit - before, WRITES, m_audit, hops);

    /* Not while kpassd runs on the target, not into a non-empty folder. */
    rc = tu_kpass(&d, NULL, &out, "restore", bk, NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "is using") && strstr(out, "stop it before a restore"), "%s", out);
    free(out);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    rc = tu_kpass(&d, NULL, &out, "restore", bk, NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "empty data folder") != NULL, "%s", out);
    free(out);

    /* Restore into a new folder: checks, counts, and a daemon that starts. */
    tu_daemon_prepare(&r, NULL);
    data_folder_empty(&r);
    rc = tu_kpass(&r, NULL, &out, "restore", bk, NULL);
    ck_assert_msg(rc == 0, "restore: %s", out);
    free(out);
    snprintf(path, sizeof(path), "%s/kpass.db", r.dir);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM citizen"), m_cit);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM audit"), m_audit);
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM office"), manifest_get(bk, "offices"));
    ck_assert_int_eq(tu_sql_int(path, "SELECT max(id) FROM audit"), manifest_get(bk, "audit_head"));
    ck_assert_int_eq(tu_sql_int(path, "SELECT count(*) FROM pragma_integrity_check "
                                      "WHERE integrity_check != 'ok'"),
                     0);
    rc = tu_kpass(&r, NULL, &out, "audit", "verify", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "chain intact") != NULL, "audit verify: %s", out);
    free(out);
    tu_daemon_start(&r);

    /* A second restore over the now-full folder is refused. */
    rc = tu_kpass(&r, NULL, &out, "restore", bk, NULL);
    ck_assert_int_eq(rc, 1);
    free(out);
}
END_TEST

/* A damaged copy is refused before anything is written. */
START_TEST(test_restore_damaged)
{
    char bk[512], path[1024], *out = NULL;
    FILE *f;

    tu_daemon_prepare(&d, NULL);
    snprintf(bk, sizeof(bk), "%s/backup", d.dir);
    ck_assert_int_eq(tu_kpass(&d, NULL, NULL, "backup", bk, NULL), 0);
    snprintf(path, sizeof(path), "%s/kpass.db", bk);
    f = fopen(path, "r+");
    ck_assert_ptr_nonnull(f);
    fseek(f, 5000, SEEK_SET);
    fputc('X', f);
    fclose(f);
    tu_daemon_prepare(&r, NULL);
    data_folder_empty(&r);
    ck_assert_int_eq(tu_kpass(&r, NULL, &out, "restore", bk, NULL), 1);
    ck_assert_msg(strstr(out, "does not match its manifest") != NULL, "%s", out);
    free(out);
    snprintf(path, sizeof(path), "%s/kpass.db", r.dir);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

Suite *suite_backup(void)
{
    Suite *s = suite_create("backup");
    TCase *tc = tcase_create("backup");

    tcase_add_checked_fixture(tc, NULL, backup_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_backup_under_load);
    tcase_add_test(tc, test_restore_damaged);
    suite_add_tcase(s, tc);
    return s;
}
