/* SPDX-License-Identifier: ISC */
/*
 * ussd durability: kpassd killed with SIGKILL in mid-dialog, alone and with
 * two hundred hops in flight: every screen a phone was shown was committed
 * first, the next reply continues from it, and the database passes PRAGMA
 * integrity_check.  SIGHUP with broken menus keeps the running graph (the
 * log says why, file:line:col); with new menus a dialog in flight keeps
 * its graph and a new dialog gets the new one.  The gateway is ussdgw.h.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/buf.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "kpass/store/store.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "pgtest.h"
#include "testutil.h"
#include "ussdgw.h"

static struct tu_daemon d;

static void udaemon_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* The database passes PRAGMA integrity_check (the daemon stopped). */
static void db_check(void)
{
    char db[600];
    struct store *st;
    struct kp_buf out = KP_BUF_INIT;

    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    /* PRAGMA integrity_check is SQLite's; PostgreSQL checks its own pages. */
    if (!tu_pg_wanted())
        ck_assert_msg(store_integrity_check(st, &out) == 0, "%s", out.data);
    kp_buf_free(&out);
    store_close(st);
}

/* kill -9 in mid-dialog: after the restart the next reply continues from
   the screen the phone last saw. */
START_TEST(test_kill9_mid_dialog)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 12);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "1 Higher education scholarship\n");
    ck_assert_int_eq(tu_daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    close(g.fd);
    db_check();
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Higher education scholarship\nFee: Free\n");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "1 Higher education scholarship\n");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "1 Elementary & Sec. Education\n2 Higher Education\n");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, DEPTS_EN);
    close(g.fd);
}
END_TEST

#define BURST 200

/* kill -9 while many hops are in flight: every screen that reached the
   gateway was committed before it was sent, so after the restart each of
   those dialogs continues from it; the others continue from the one before
   or the one after.  The database stays whole. */
START_TEST(test_kill9_burst)
{
    struct ug_gw g;
    struct ug_dlg u[BURST];
    struct ug_hop h;
    struct smpp_pdu mo, p;
    int shown[BURST] = {0}, checked = 0, moved = 0;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    for (int i = 0; i < BURST; i++) {
        ug_dlg_init(&u[i], "923001234567", i);
        u[i].addr[11] = (char)('0' + i % 10);
        u[i].addr[10] = (char)('0' + i / 10 % 10);
        u[i].addr[9] = (char)('0' + i / 100);
        ug_hop(&g, &u[i], USSD_OP_PSSR_IND, "*789#", &h);
        ck_screen_starts(&h, HOME_EN);
    }
    /* every dialog chooses 1 at once; kill -9 as soon as a few screens came */
    for (int i = 0; i < BURST; i++) {
        ug_mo_make(&mo, &u[i], USSD_OP_USSR_CONF, "1", 1, 0);
        mo.sequence_number = g.seq++;
        ck_assert_int_eq(tu_smpp_send(g.fd, &mo), 0);
        u[i].seq = (u[i].seq + 2) & 0x7F;
    }
    for (int seen = 0; seen < 1 && tu_smpp_recv(g.fd, &p, 5000) == 0;) {
        if (p.command_id == SMPP_DELIVER_SM) {
            shown[p.tlv.its_session_info >> 8] = 1;
            seen++;
        }
    }
    tu_daemon_stop(&d, SIGKILL);
    /* what reached us before the kill is still in the socket */
    while (tu_smpp_recv(g.fd, &p, 300) == 0) {
        if (p.command_id != SMPP_DELIVER_SM)
            continue;
        int s = p.tlv.its_session_info >> 8;
        ck_assert_int_lt(s, BURST);
        ck_assert_int_eq(strncmp((const char *)p.sm.short_message, "Departments", 11), 0);
        shown[s] = 1;
    }
    close(g.fd);
    db_check();
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    for (int i = 0; i < BURST; i++) {
        ug_hop(&g, &u[i], USSD_OP_USSR_CONF, "1", &h);
        if (shown[i]) {
            /* on Departments: 1 is its first topic, Education */
            ck_screen_starts(&h, "1 Elementary & Sec. Education\n");
            checked++;
        } else {
            ck_assert_msg(strncmp(h.text, DEPTS_EN, strlen(DEPTS_EN)) == 0 ||
                              strncmp(h.text, "1 Elementary & Sec. Education\n", 30) == 0,
                          "dialog %d: %s", i, h.text);
            moved += h.text[0] == '1'; /* committed, never sent */
        }
    }
    close(g.fd);
    ck_assert_int_ge(checked, 1);
    if (getenv("KP_TEST_VERBOSE"))
        fprintf(stderr, "kill9 burst: %d of %d screens sent, %d more committed\n", checked, BURST,
                moved);
}
END_TEST

/* Copy menus/ into the daemon's folder and point its configuration there. */
static void menus_copy(char *dir, size_t cap)
{
    char src[1024], *conf, *p, *argv[6];
    struct kp_buf b = KP_BUF_INIT;

    snprintf(src, sizeof(src), "%s/menus", tu_top());
    snprintf(dir, cap, "%s/menus", d.dir);
    argv[0] = (char *)"/bin/cp";
    argv[1] = (char *)"-r";
    argv[2] = src;
    argv[3] = dir;
    argv[4] = NULL;
    ck_assert_int_eq(tu_run(argv, NULL, NULL, 10000), 0);
    conf = (char *)tu_read_file(d.conf, NULL);
    ck_assert_ptr_nonnull(p = strstr(conf, "menus = "));
    kp_buf_append(&b, conf, (size_t)(p - conf));
    kp_buf_printf(&b, "menus = %s", dir);
    kp_buf_puts(&b, strchr(p, '\n'));
    ck_assert_int_eq(tu_write_file(d.conf, b.data), 0);
    kp_buf_free(&b);
    free(conf);
}

/* Replace the first `from` in file with `to`. */
static void file_edit(const char *file, const char *from, const char *to)
{
    char *text = (char *)tu_read_file(file, NULL), *p;
    struct kp_buf b = KP_BUF_INIT;

    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(p = strstr(text, from));
    kp_buf_append(&b, text, (size_t)(p - text));
    kp_buf_puts(&b, to);
    kp_buf_puts(&b, p + strlen(from));
    ck_assert_int_eq(tu_write_file(file, b.data), 0);
    kp_buf_free(&b);
    free(text);
}

/* Wait until the daemon's log has `what` at least n times. */
static void log_wait(const char *what, int n)
{
    for (int t = 0; t < 100; t++) {
        char *log = tu_daemon_log(&d);
        int k = 0;
        for (char *p = strstr(log, what); p; p = strstr(p + 1, what))
            k++;
        free(log);
        if (k >= n)
            return;
        usleep(50000);
    }
    ck_abort_msg("no '%s' (x%d) in the log", what, n);
}

/* SIGHUP with broken menus: the running graph stays, and the log says why,
   file:line:col.  With good new menus: a dialog in flight keeps the graph it
   began with, a new dialog gets the new one. */
START_TEST(test_sighup_menus)
{
    struct ug_gw g;
    struct ug_dlg old, neu;
    struct ug_hop h;
    char dir[700], file[800];

    /* no resume: each dial below begins afresh */
    tu_daemon_prepare(&d, "[ussd]\nresume_window = 0\n");
    menus_copy(dir, sizeof(dir));
    ug_seed(&d);
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", NULL, "partner", "add", "gw", NULL), 0);
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    log_wait("61 screens", 1);

    /* broken: an option to a screen that does not exist */
    snprintf(file, sizeof(file), "%s/main.menu", dir);
    file_edit(file, "-> help\n", "-> helpdesk\n");
    kill(d.pid, SIGHUP);
    log_wait("menus refused, the running ones stay", 1);
    char *log = tu_daemon_log(&d);
    ck_assert_msg(strstr(log, "main.menu:") && strstr(log, "helpdesk"), "%s", log);
    free(log);
    ug_dlg_init(&old, "923001234567", 1);
    ug_hop(&g, &old, USSD_OP_PSSR_IND, "*789*7#", &h);
    ck_screen_starts(&h, "Khyber Pass gives you provincial services");

    /* good: a new title and a new department heading */
    file_edit(file, "-> helpdesk\n", "-> help\n");
    file_edit(file, "title \"Khyber Pass\" ", "title \"Khyber Pass KP\" ");
    snprintf(file, sizeof(file), "%s/services.menu", dir);
    file_edit(file, "text \"Departments\" ", "text \"All departments\" ");
    ug_dlg_init(&old, "923001234567", 2);
    ug_hop(&g, &old, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    kill(d.pid, SIGHUP);
    log_wait("61 screens", 2);
    /* the dialog in flight stays on its graph */
    ug_hop(&g, &old, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    ug_hop(&g, &old, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, HOME_EN);
    /* a new one gets the new menus */
    ug_dlg_init(&neu, "923007654321", 3);
    ug_hop(&g, &neu, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, "Khyber Pass KP\n1 Find a service\n");
    ug_hop(&g, &neu, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "All departments\n1 Education\n");
    /* and the old one still has the old */
    ug_hop(&g, &old, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    /* a broken reload now keeps the new graph, not the first */
    file_edit(file, "text \"All departments\" ", "text \"All departments ");
    kill(d.pid, SIGHUP);
    log_wait("menus refused, the running ones stay", 2);
    ug_dlg_init(&neu, "923007654321", 4);
    ug_hop(&g, &neu, USSD_OP_PSSR_IND, "*789*1#", &h);
    ck_screen_starts(&h, "All departments\n");
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    db_check();
}
END_TEST

/* A dialog cut off before a reload: "1 Continue" goes on with the menus it
   began with, "2 Start again" starts on the current ones (issue 11), as a
   new dial would. */
START_TEST(test_restart_after_reload)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char dir[700], file[800];

    tu_daemon_prepare(&d, NULL);
    menus_copy(dir, sizeof(dir));
    ug_seed(&d);
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", NULL, "partner", "add", "gw", NULL), 0);
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    log_wait("61 screens", 1);
    for (int choice = 1; choice <= 2; choice++) {
        const char *caller = choice == 1 ? "923001234567" : "923007654321";
        ug_dlg_init(&u, caller, 10 * choice);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
        ck_screen_starts(&h, choice == 1 ? DEPTS_EN : "All departments\n");
        ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
        if (choice == 1) {
            snprintf(file, sizeof(file), "%s/main.menu", dir);
            file_edit(file, "title \"Khyber Pass\" ", "title \"Khyber Pass KP\" ");
            snprintf(file, sizeof(file), "%s/services.menu", dir);
            file_edit(file, "text \"Departments\" ", "text \"All departments\" ");
            kill(d.pid, SIGHUP);
            log_wait("61 screens", 2);
        }
        ug_dlg_init(&u, caller, 10 * choice + 1);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
        if (choice == 1) {
            ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
            ck_screen_starts(&h, DEPTS_EN); /* its own menus, before the reload */
            ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
            ck_screen_starts(&h, HOME_EN);
        } else {
            /* pinned to the new menus already: 2 is home there too */
            ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
            ck_screen_starts(&h, "Khyber Pass KP\n1 Find a service\n");
        }
        ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    }
    /* the first caller again, cut off on the old menus, and a second reload */
    ug_dlg_init(&u, "923001234567", 30);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "All departments\n");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    snprintf(file, sizeof(file), "%s/services.menu", dir);
    file_edit(file, "text \"All departments\" ", "text \"Every department\" ");
    kill(d.pid, SIGHUP);
    log_wait("61 screens", 3);
    ug_dlg_init(&u, "923001234567", 31);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, " 2 ", &h);
    ck_screen_starts(&h, "Khyber Pass KP\n1 Find a service\n");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Every department\n"); /* the current menus */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "Khyber Pass KP\n");
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    db_check();
}
END_TEST

Suite *suite_ussd_durability(void)
{
    Suite *s = suite_create("ussd_durability");
    TCase *dur = tcase_create("durability");

    tcase_add_checked_fixture(dur, NULL, udaemon_teardown);
    tcase_set_timeout(dur, 90);
    tcase_add_test(dur, test_kill9_mid_dialog);
    tcase_add_test(dur, test_kill9_burst);
    tcase_add_test(dur, test_sighup_menus);
    tcase_add_test(dur, test_restart_after_reload);
    suite_add_tcase(s, dur);
    return s;
}
