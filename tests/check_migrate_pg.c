/* SPDX-License-Identifier: ISC */
/*
 * migrate_pg: `kpass migrate --from sqlite:FILE --to postgresql:DSN` (issue
 * 12).  A populated single-node installation (the seed, the citizens in
 * Urdu, partners, desks, staff, a QR credential, a desk verification with
 * its code SMS, a USSD dialog, their audit rows) moved into a fresh
 * PostgreSQL schema: every table of the SQLite file, found from its
 * catalogue here too, has the same row count on the target and is named
 * in the report; a kpassd on PostgreSQL then serves the same screens and
 * `kpass audit verify` passes there.  Refused with a clear message: a
 * running kpassd on the file, a target that holds data, a wrong password.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/store/backend.h"
#include "kpass/store/directory.h"
#include "kpass/store/store.h"
#include "kpass/ussd/ussd.h"
#include "pgtest.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

#define HOPS 3

static struct tu_daemon d, r;
static struct tu_desk_world w;

static void move_teardown(void)
{
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
    tu_daemon_cleanup(&r);
}

/* The same dialog on dm: home, 1 (departments), 1 (a department's services). */
static void walk(struct tu_daemon *dm, const char *msisdn, char screens[HOPS][1200])
{
    static const char *const in[HOPS] = {"*789#", "1", "1"};
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_bind(&g, dm, "gw", "gw-pw");
    ug_dlg_init(&u, msisdn, 41);
    for (int i = 0; i < HOPS; i++) {
        ug_hop(&g, &u, i == 0 ? USSD_OP_PSSR_IND : USSD_OP_USSR_CONF, in[i], &h);
        snprintf(screens[i], 1200, "%s", h.text);
    }
    ck_assert_msg(strncmp(screens[0], HOME_EN, strlen(HOME_EN)) == 0, "%s", screens[0]);
    close(g.fd);
}

/* The installation: the desk world, partner gw, a verification with its code SMS. */
static void populate(void)
{
    char *session, *id, path[256];
    int status;

    tu_desk_world_prepare(&w, &d, NULL);
    free(tu_kpass_ok(&d, "gw-pw\n", "partner", "add", "gw", NULL));
    free(tu_kpass_ok(&d, NULL, "citizen", "add", "17301-7612345-1", "--name-en=Zarghuna Khan",
                     "--name-ur=زرغونہ خان", "--district=PSH", NULL));
    tu_desk_world_run(&w, &d);
    session = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_msg(session != NULL, "signin %d", status);
    id = tu_desk_scan(&d, session, w.qr, &status, NULL);
    ck_assert_msg(id != NULL, "scan %d", status);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    json_decref(tu_http(&d, "POST", path, session, "{\"purpose\":\"identity\"}", &status));
    ck_assert_int_eq(status, 202);
    free(tu_desk_sms_wait(w.sms_fd, "your code for identity check"));
    free(id);
    free(session);
}

/* Search words: every word of the services' names, and a prefix of each. */
struct words {
    char w[2000][64];
    int n;
};

static void words_add(struct words *ws, const char *text)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", text);
    for (char *t = strtok_r(buf, " ,()/-", &save); t && ws->n + 2 < 2000;
         t = strtok_r(NULL, " ,()/-", &save)) {
        if (strlen(t) < 2 || strlen(t) >= 64)
            continue;
        snprintf(ws->w[ws->n++], 64, "%s", t);
        if (strlen(t) > 4 && (unsigned char)t[0] < 0x80)
            snprintf(ws->w[ws->n++], 64, "%.3s", t);
    }
}

static int words_of(void *ctx, const struct store_dir_item *it)
{
    words_add(ctx, it->name.en);
    words_add(ctx, it->name.ur);
    words_add(ctx, it->name.ps);
    return 0;
}

/* The word search on the moved PostgreSQL schema against SQLite's FTS5 on
   the file it came from, for every word of every service's names (and
   prefixes): the same services in the same order (bm25's, computed by
   directory_rank.c on PostgreSQL), always.  Returns the queries run. */
static int compare_search(const char *file, const char *dsn)
{
    struct store_settings set = {.backend = STORE_BACKEND_POSTGRESQL};
    struct store_dir_item a[STORE_DIR_PAGE_MAX], b[STORE_DIR_PAGE_MAX];
    struct store *sq = NULL, *pg = NULL;
    struct words *ws = calloc(1, sizeof(*ws));
    unsigned ta, tb;

    set.dsn = strdup(dsn);
    set.passfile = strdup(tu_pg_start()->passfile);
    ck_assert_int_eq(store_open(file, STORE_READONLY, &sq), 0);
    ck_assert_int_eq(store_open_conf(&set, NULL, STORE_READONLY, &pg), 0);
    ck_assert_int_eq(store_dir_service_each(sq, NULL, words_of, ws), 0);
    ck_assert_int_gt(ws->n, 100);
    for (int i = 0; i < ws->n; i++) {
        int na = store_dir_service_search(sq, ws->w[i], 0, STORE_DIR_PAGE_MAX, a, &ta);
        int nb = store_dir_service_search(pg, ws->w[i], 0, STORE_DIR_PAGE_MAX, b, &tb);
        ck_assert_msg(na == nb && ta == tb, "'%s': SQLite %d (%u), PostgreSQL %d (%u)", ws->w[i],
                      na, ta, nb, tb);
        for (int k = 0; k < na; k++) {
            int found = 0;
            for (int j = 0; j < nb && !found; j++)
                found = strcmp(a[k].code, b[j].code) == 0;
            ck_assert_msg(found, "'%s': %s found by SQLite only", ws->w[i], a[k].code);
            ck_assert_msg(strcmp(a[k].code, b[k].code) == 0, "'%s': %d. SQLite %s, PostgreSQL %s",
                          ws->w[i], k + 1, a[k].code, b[k].code);
        }
    }
    store_close(sq);
    store_close(pg);
    store_settings_free(&set);
    int n = ws->n;
    free(ws);
    return n;
}

static int run_move(const char *dsn, const char *passfile, char **out)
{
    char from[1024], to[1200];

    snprintf(from, sizeof(from), "sqlite:%s/kpass.db", d.dir);
    snprintf(to, sizeof(to), "postgresql:%s", dsn);
    return tu_kpass(&d, NULL, out, "migrate", "--from", from, "--to", to, "--passfile", passfile,
                    NULL);
}

/* Every table of the SQLite file (what a move must carry), compared with
   the target schema standing for tag; returns how many hold rows. */
static int compare_tables(const char *tag, const char *report)
{
    static const char *const must[] = {"citizen",    "audit",       "sms_outbox", "otp_code",
                                       "credential", "desk",        "staff",      "verification",
                                       "partner",    "service",     "office",     "dir_text",
                                       "dialog",     "desk_session"};
    char path[1024], sql[256], line[80];
    sqlite3 *db;
    sqlite3_stmt *s;
    int nonempty = 0, seen_must = 0;

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND name NOT LIKE 'sqlite%' AND name NOT LIKE '%fts%'"
                                        " AND name NOT IN ('schema_version', 'change_counter')",
                                        -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        sqlite3_stmt *c;
        long long want, got;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", name);
        ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &c, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(c), SQLITE_ROW);
        want = sqlite3_column_int64(c, 0);
        sqlite3_finalize(c);
        got = tu_pg_sql_int(tag, sql);
        ck_assert_msg(got == want, "table %s: %lld rows in SQLite, %lld in PostgreSQL", name, want,
                      got);
        snprintf(line, sizeof(line), "\n%s ", name);
        ck_assert_msg(strstr(report, line) != NULL, "table %s not in the report:\n%s", name,
                      report);
        nonempty += want > 0;
        for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
            if (strcmp(name, must[i]) == 0) {
                ck_assert_msg(want > 0, "the fixture left %s empty", name);
                seen_must++;
            }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    ck_assert_int_eq(seen_must, (int)(sizeof(must) / sizeof(must[0])));
    return nonempty;
}

START_TEST(test_move_whole)
{
    char before[HOPS][1200], after[HOPS][1200], tag[1024], extra[2048], keys[1024];
    const struct tu_pg *pg = tu_pg_start();
    char *dsn, *out = NULL;
    int rc;

    populate();
    walk(&d, "923331234567", before);
    snprintf(tag, sizeof(tag), "%s/moved", d.dir);
    dsn = tu_pg_dsn_for(tag);

    /* kpassd holds the file: refused, and nothing is written. */
    rc = run_move(dsn, pg->passfile, &out);
    ck_assert_msg(rc != 0 && strstr(out, "kpassd (pid") && strstr(out, "stop it"), "%d: %s", rc,
                  out);
    free(out);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);

    rc = run_move(dsn, pg->passfile, &out);
    ck_assert_msg(rc == 0, "migrate: %d: %s", rc, out);
    ck_assert_msg(strstr(out, "audit chain on the target: intact") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "DIFFERS") == NULL, "%s", out);
    ck_assert_msg(strstr(out, "time: ") != NULL, "%s", out);
    ck_assert_int_ge(compare_tables(tag, out), 15);
    /* Urdu text and binary columns arrived as they were (the report's
       digest compares every value; this is one, seen from outside). */
    ck_assert_int_eq(tu_pg_sql_int(tag, "SELECT count(*) FROM citizen WHERE name_ur = 'زرغونہ خان'"
                                        " AND length(cnic_box) = 53 AND length(cnic_index) = 32"),
                     1);
    /* Identity sequences past the copied ids: a new row does not collide. */
    ck_assert_int_gt(tu_pg_sql_int(tag, "SELECT nextval(pg_get_serial_sequence('citizen', 'id'))"),
                     tu_pg_sql_int(tag, "SELECT max(id) FROM citizen"));
    free(out);

    snprintf(extra, sizeof(extra), "%s/kpass.db", d.dir);
    ck_assert_int_gt(compare_search(extra, dsn), 100);

    /* Again into the same schema: it holds data now. */
    rc = run_move(dsn, pg->passfile, &out);
    ck_assert_msg(rc != 0 && strstr(out, "already holds data"), "%d: %s", rc, out);
    free(out);

    /* A kpassd on PostgreSQL with the installation's keys: the same screens. */
    snprintf(extra, sizeof(extra), "[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\n", dsn,
             pg->passfile);
    tu_daemon_configure(&r, extra);
    snprintf(keys, sizeof(keys), "%s/keys", d.dir);
    char *cp[] = {(char *)"/bin/cp", (char *)"-a", keys, r.dir, NULL};
    ck_assert_int_eq(tu_run(cp, NULL, NULL, 10000), 0);
    tu_daemon_start(&r);
    walk(&r, "923331234568", after);
    for (int i = 0; i < HOPS; i++)
        ck_assert_str_eq(after[i], before[i]);
    /* The dialog left open on SQLite moved too: its number is offered it back. */
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    ug_bind(&g, &r, "gw", "gw-pw");
    ug_dlg_init(&u, "923331234567", 42);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_msg(strstr(h.text, "Continue where you left off?") != NULL, "%s", h.text);
    close(g.fd);
    rc = tu_kpass(&r, NULL, &out, "audit", "verify", NULL);
    ck_assert_msg(rc == 0, "audit verify on PostgreSQL: %d: %s", rc, out);
    free(out);
    /* The word search on PostgreSQL finds the moved services (migration 22's
       index is an expression over them: nothing to rebuild). */
    rc = tu_kpass(&r, NULL, &out, "service", "search", "domicile", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "DOMICILE"), "%d: %s", rc, out);
    free(out);
    rc = tu_kpass(&r, NULL, &out, "citizen", "show", "17301-7612345-1", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "زرغونہ خان"), "%d: %s", rc, out);
    free(out);
    free(dsn);
}
END_TEST

START_TEST(test_move_wrong_password)
{
    char tag[1024], pw[1024], *dsn, *out = NULL;
    int rc;

    tu_pg_start();
    tu_daemon_prepare(&d, NULL);
    snprintf(tag, sizeof(tag), "%s/moved", d.dir);
    dsn = tu_pg_dsn_for(tag);
    snprintf(pw, sizeof(pw), "%s/wrong.pw", d.dir);
    ck_assert_int_eq(tu_write_file(pw, "not-the-password\n"), 0);
    ck_assert_int_eq(chmod(pw, 0600), 0);
    rc = run_move(dsn, pw, &out);
    ck_assert_msg(rc != 0 && strstr(out, "password authentication failed") &&
                      strstr(out, "cannot open the target PostgreSQL database"),
                  "%d: %s", rc, out);
    ck_assert_ptr_null(strstr(out, "not-the-password"));
    free(out);
    /* A password in the DSN (visible to ps) is refused before anything. */
    char *withpw = NULL;
    ck_assert_int_ge(asprintf(&withpw, "%s password=x", dsn), 0);
    rc = run_move(withpw, pw, &out);
    ck_assert_msg(rc != 0 && strstr(out, "must not hold the password"), "%d: %s", rc, out);
    free(out);
    free(withpw);
    /* A passfile others may read is refused before any connection. */
    ck_assert_int_eq(chmod(pw, 0644), 0);
    rc = run_move(dsn, pw, &out);
    ck_assert_msg(rc != 0 && strstr(out, "readable by group or others"), "%d: %s", rc, out);
    free(out);
    snprintf(pw, sizeof(pw), "%s/missing.pw", d.dir);
    rc = run_move(dsn, pw, &out);
    ck_assert_msg(rc != 0 && strstr(out, "missing.pw"), "%d: %s", rc, out);
    free(out);
    /* Nothing was created on the target. */
    ck_assert_int_eq(tu_pg_sql_int(tag, "SELECT count(*) FROM information_schema.tables"
                                        " WHERE table_schema = current_schema()"),
                     0);
    free(dsn);
}
END_TEST

/* A table or column of the SQLite file that the PostgreSQL schema lacks
   (a schema change made in one list only) stops the move: nothing is
   dropped silently, nothing committed. */
START_TEST(test_move_unknown_table)
{
    static const char *const ddl[] = {"CREATE TABLE extra_new (id INTEGER PRIMARY KEY, v TEXT); "
                                      "INSERT INTO extra_new (v) VALUES ('x')",
                                      "ALTER TABLE msisdn_lang ADD COLUMN extra_col TEXT"};
    static const char *const want[] = {"has no table extra_new",
                                       "has no column msisdn_lang.extra_col"};
    char path[1024], tag[1024], *dsn, *out = NULL;
    sqlite3 *db;
    int rc;

    tu_pg_start();
    tu_daemon_prepare(&d, NULL);
    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, ddl[i], NULL, NULL, NULL), SQLITE_OK);
        if (i == 1)
            ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE extra_new", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        snprintf(tag, sizeof(tag), "%s/moved%d", d.dir, i);
        dsn = tu_pg_dsn_for(tag);
        rc = run_move(dsn, tu_pg_start()->passfile, &out);
        ck_assert_msg(rc != 0 && strstr(out, want[i]) && strstr(out, "nothing was committed"),
                      "%d: %s", rc, out);
        free(out);
        ck_assert_int_eq(tu_pg_sql_int(tag, "SELECT count(*) FROM partner"), 0);
        free(dsn);
    }
}
END_TEST

/* On PostgreSQL: backup and restore point to the server's tools; migrate
   applies the schema's migrations, and is refused while a node runs. */
START_TEST(test_pg_backup_refused)
{
    char extra[2048], tag[1024], dir[1100], *dsn, *out = NULL;
    int rc;

    tu_daemon_configure(&d, NULL);
    snprintf(tag, sizeof(tag), "%s/pg", d.dir);
    dsn = tu_pg_dsn_for(tag);
    snprintf(extra, sizeof(extra), "[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\n", dsn,
             tu_pg_start()->passfile);
    tu_daemon_configure(&r, extra);
    free(tu_kpass_ok(&r, NULL, "init", NULL));
    snprintf(dir, sizeof(dir), "%s/bk", r.dir);
    rc = tu_kpass(&r, NULL, &out, "backup", dir, NULL);
    ck_assert_msg(rc == 1 && strstr(out, "pg_basebackup") && strstr(out, "pg_dump") &&
                      strstr(out, "keys folder"),
                  "%d: %s", rc, out);
    free(out);
    ck_assert_int_eq(access(dir, F_OK), -1);
    rc = tu_kpass(&r, NULL, &out, "restore", dir, NULL);
    ck_assert_msg(rc == 1 && strstr(out, "pg_basebackup"), "%d: %s", rc, out);
    free(out);
    rc = tu_kpass(&r, NULL, &out, "migrate", NULL);
    ck_assert_msg(rc == 0 && strstr(out, "nothing to do"), "%d: %s", rc, out);
    free(out);
    tu_daemon_start(&r);
    rc = tu_kpass(&r, NULL, &out, "migrate", NULL);
    ck_assert_msg(rc == 1 && strstr(out, "stop every node"), "%d: %s", rc, out);
    free(out);
    free(dsn);
}
END_TEST

Suite *suite_migrate_pg(void)
{
    Suite *s = suite_create("migrate_pg");
    TCase *tc = tcase_create("move");
    const char *why;

    if (!tu_pg_available(&why)) {
        fprintf(stderr, "migrate_pg: %s\n", why);
        return s;
    }
    tcase_add_checked_fixture(tc, NULL, move_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_move_whole);
    tcase_add_test(tc, test_move_wrong_password);
    tcase_add_test(tc, test_pg_backup_refused);
    tcase_add_test(tc, test_move_unknown_table);
    suite_add_tcase(s, tc);
    return s;
}
