/* SPDX-License-Identifier: ISC */
/*
 * ussd dial: what a dial no longer asks SQLite (issue 14) is still right.
 * A running kpassd knows the one dialog a number has (it deleted the rest
 * at the dial before) and its language, and keeps the departments it read
 * until the change counter moves; a restart knows none of it, so a dialog
 * left in the database from before is still resumed or deleted, and a
 * directory edit with kpass is shown at the next dial.  kpassd's own count
 * of each statement (logged when it stops) shows the SQL left out.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/buf.h"
#include "kpass/core/mem.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

#define RESUME "Continue where you left off?\n1 Continue\n2 Start again"
#define CALLER "923001112223"

static struct tu_daemon d;

static void dial_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Rows of dialog of the number (the daemon stopped). */
static long long dial_rows(const char *digits)
{
    char db[600], sql[200];

    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM dialog WHERE msisdn LIKE '%%%s'", digits);
    return tu_sql_int(db, sql);
}

/* How often the stopped daemon ran the statement that begins with sql
   (its "kpassd: SQL N x ..." lines; the last run's), 0 when never. */
static long long dial_runs(const char *sql)
{
    char path[600], *log = NULL, *p, *last = NULL;
    long long n = 0;
    size_t len = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/kpassd.log", d.dir);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    log = kp_calloc(1, 1 << 20);
    len = fread(log, 1, (1 << 20) - 1, f);
    fclose(f);
    log[len] = '\0';
    for (p = log; (p = strstr(p, "kpassd: stopped after")) != NULL; p++)
        last = p;
    ck_assert_msg(last != NULL, "no stop line in %s", path);
    for (p = last; (p = strstr(p, "kpassd: SQL ")) != NULL; p++) {
        char *x = strstr(p, " x ");
        if (x && strncmp(x + 3, sql, strlen(sql)) == 0) {
            n = strtoll(p + strlen("kpassd: SQL "), NULL, 10);
            break;
        }
    }
    free(log);
    return n;
}

/* A dialog left in the database by a killed daemon: after the restart a
   plain redial offers it, and a shortcut dial deletes it (the new daemon
   cannot know it, so it asks the database); the number then has one row. */
START_TEST(test_dial_after_restart)
{
    struct ug_gw g;
    struct ug_dlg u, v;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 1);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "1 Health\n");
    ug_dlg_init(&v, "923001112224", 1);
    ug_hop(&g, &v, USSD_OP_PSSR_IND, "*789#", &h);
    ug_hop(&g, &v, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &v, USSD_OP_USSR_CONF, "2", &h);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    close(g.fd);
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    /* the first caller dials a shortcut: the old dialog goes */
    ug_dlg_init(&u, CALLER, 2);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1*2*1#", &h);
    ck_screen_starts(&h, "1 Child vaccination (EPI)\n");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* and a plain redial offers the shortcut's dialog, not the old one */
    ug_dlg_init(&u, CALLER, 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_str_eq(h.text, RESUME);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "1 Child vaccination (EPI)\n");
    /* the second caller's plain redial finds its dialog from before */
    ug_dlg_init(&v, "923001112224", 2);
    ug_hop(&g, &v, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_str_eq(h.text, RESUME);
    ug_hop(&g, &v, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "1 Health\n2 Sehat Card Plus\n");
    /* then a shortcut, and a redial: both known to this daemon */
    ug_dlg_init(&v, "923001112224", 3);
    ug_hop(&g, &v, USSD_OP_PSSR_IND, "*789*1*2*1#", &h);
    ck_screen_starts(&h, "1 Child vaccination (EPI)\n");
    ug_dlg_init(&v, "923001112224", 4);
    ug_hop(&g, &v, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_str_eq(h.text, RESUME);
    ug_hop(&g, &v, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, HOME_EN);
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    ck_assert_int_eq(dial_rows(CALLER), 1);
    ck_assert_int_eq(dial_rows("923001112224"), 1);
}
END_TEST

/* Dials by the numbers a daemon knows ask no SQL: of twenty redials of one
   caller only the first (the daemon just started) looks for a dialog to
   resume, deletes by number and reads the language; the number still has
   one row, the last dialog's. */
START_TEST(test_dial_sql_left_out)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    for (int i = 0; i < 20; i++) {
        ug_dlg_init(&u, CALLER, 10 + i);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ck_screen_starts(&h, HOME_EN); /* home: nothing to continue */
    }
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    ck_assert_int_eq(dial_rows(CALLER), 1);
    ck_assert_int_eq(dial_runs("DELETE FROM dialog WHERE msisdn"), 1);
    ck_assert_int_eq(dial_runs("SELECT lang FROM msisdn_lang"), 1);
    ck_assert_int_eq(dial_runs("SELECT partner_id, session_key"), 1); /* the resume lookup */
}
END_TEST

/* A language chosen is remembered across a restart (read once from the
   database) and at once within one daemon (from memory). */
START_TEST(test_dial_lang_remembered)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 1);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "6", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "4", &h); /* Roman Urdu */
    ck_screen_starts(&h, "Khyber Pass\n1 Service talaash karein\n");
    ug_dlg_init(&u, CALLER, 2);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*7#", &h);
    ck_screen_starts(&h, "Khyber Pass: aik card");
    ck_assert_int_eq(tu_daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    close(g.fd);
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*7#", &h);
    ck_screen_starts(&h, "Khyber Pass: aik card");
    /* back to English: the next dial says so without a read */
    ug_dlg_init(&u, CALLER, 4);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*6#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_dlg_init(&u, CALLER, 5);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*7#", &h);
    ck_screen_starts(&h, "Khyber Pass gives you");
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    ck_assert_int_eq(dial_runs("SELECT lang FROM msisdn_lang"), 1);
}
END_TEST

/* A department renamed with kpass import while kpassd runs is shown at the
   next dial, once kpassd has the change (the counter it follows). */
START_TEST(test_dial_directory_edit)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char src[1024], dst[600], db[600], *out = NULL;
    FILE *in, *o;
    char line[512];

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 1);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1*2#", &h);
    ck_screen_starts(&h, "1 Health\n2 Sehat Card Plus\n");
    /* the seed's departments, Health renamed */
    snprintf(src, sizeof(src), "%s/etc/seed/departments.csv", tu_top());
    snprintf(dst, sizeof(dst), "%s/departments.csv", d.dir);
    ck_assert_ptr_nonnull(in = fopen(src, "r"));
    ck_assert_ptr_nonnull(o = fopen(dst, "w"));
    while (fgets(line, sizeof(line), in))
        fputs(strncmp(line, "HLTH,Health,", 12) == 0 ? "HLTH,Health Department,محکمہ صحت,روغتیا\n"
                                                     : line,
              o);
    fclose(in);
    fclose(o);
    /* kpass waits for kpassd, which follows the counter every 0.1 s */
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "departments", dst, NULL) == 0, "%s", out);
    ck_assert_msg(strstr(out, "directory imported: USSD dialogs show it from now on") != NULL, "%s",
                  out);
    free(out);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_sql_int(db, "SELECT applied >= version FROM change_counter"), 1);
    ug_dlg_init(&u, CALLER, 2);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1*2#", &h);
    ck_screen_starts(&h, "1 Health Department\n2 Sehat Card Plus\n");
    close(g.fd);
}
END_TEST

Suite *suite_ussd_dial(void);
Suite *suite_ussd_dial(void)
{
    Suite *s = suite_create("ussd_dial");
    TCase *tc = tcase_create("dial");

    tcase_add_checked_fixture(tc, NULL, dial_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dial_after_restart);
    tcase_add_test(tc, test_dial_sql_left_out);
    tcase_add_test(tc, test_dial_lang_remembered);
    tcase_add_test(tc, test_dial_directory_edit);
    suite_add_tcase(s, tc);
    return s;
}
