/* SPDX-License-Identifier: ISC */
/*
 * db_away: kpassd on PostgreSQL while its database is away (issue 12,
 * kpassd.8 "When the database is away").  The tests' server is stopped
 * under a bound USSD gateway and a signed-in desk: a hop is answered
 * ESME_RTHROTTLED with no screen (before: kpassd exited on the failed
 * commit, and the link with it), quickly, again and again; the link
 * stays bound (enquire_link answered); the desk gets 503 with a reason.
 * The server started again, kpassd reconnects by itself: the retried hop
 * continues the dialog from the last screen the phone was shown, the
 * desk session signed in before still works, and kpassd stops cleanly
 * (it never exited).  Runs on PostgreSQL whatever KP_TEST_STORE says.
 * Also: a desk sign-in's connection outliving its deadline does not crash
 * kpassd (it did, 10 s after any sign-in, whatever the database).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>

#include "kpass/core/clock.h"
#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "pgtest.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

static struct tu_daemon d;
static struct tu_desk_world w;
static int pg_stopped;

static void away_teardown(void)
{
    if (pg_stopped)
        tu_pg_restart();
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

/* One MO of u while the database is away: ESME_RTHROTTLED and no screen;
   u is left as it was, as a gateway resends the same MO.  Its time in ms. */
static uint64_t hop_refused(struct ug_gw *g, struct ug_dlg *u, const char *text)
{
    struct ug_dlg again = *u;
    struct ug_hop h;
    uint64_t t0 = kp_clock_ms();

    ug_hop_raw(g, u, USSD_OP_USSR_CONF, text, strlen(text), 0, &h, 0);
    ck_assert_msg(h.status == SMPP_ESME_RTHROTTLED, "status 0x%x, screen %d: %s", h.status,
                  h.screen, h.text);
    ck_assert_msg(!h.screen, "a screen was sent while the database was away: %s", h.text);
    *u = again;
    return kp_clock_ms() - t0 - 400; /* ug_collect waits 400 ms for a stray screen */
}

/* The daemon's log says want (within 3 s). */
static void log_has(const char *want)
{
    char *log = tu_daemon_log_wait(&d, want, 3000);

    ck_assert_msg(strstr(log, want) != NULL, "no \"%s\" in the log", want);
    free(log);
}

/* enquire_link answered on the gateway's link. */
static void link_alive(struct ug_gw *g)
{
    struct smpp_pdu e, r;

    smpp_pdu_init(&e, SMPP_ENQUIRE_LINK, g->seq++);
    ck_assert_int_eq(tu_smpp_send(g->fd, &e), 0);
    ck_assert_int_eq(tu_smpp_expect(g->fd, SMPP_ENQUIRE_LINK_RESP, &r, 3000), 0);
    ck_assert_uint_eq(r.command_status, SMPP_ESME_ROK);
    ck_assert_uint_eq(r.sequence_number, e.sequence_number);
}

/* /healthz answers status with role within 3 s (the cache follows the
   daemon's one-second tick). */
static void health_is(int status, const char *role)
{
    int st = 0;
    json_t *j = NULL;

    for (int i = 0; i < 30; i++) {
        char *body = tu_http_get(d.http_port, "/healthz", &st);
        json_decref(j);
        j = body ? json_loads(body, 0, NULL) : NULL;
        free(body);
        const char *r = json_string_value(json_object_get(j, "role"));
        if (st == status && r && strcmp(r, role) == 0)
            break;
        usleep(100 * 1000);
    }
    ck_assert_msg(st == status, "/healthz %d, want %d", st, status);
    ck_assert_str_eq(json_string_value(json_object_get(j, "role")), role);
    json_decref(j);
}

START_TEST(test_db_away_and_back)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char *session, *out = NULL;
    int st = 0, served = 0;
    json_t *j;

    setenv("KP_TEST_STORE", "postgresql", 1);
    tu_desk_world_prepare(&w, &d, "timeout = 1\n");
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", NULL), 0);
    free(out);
    tu_desk_world_run(&w, &d);
    ug_bind(&g, &d, "gw", "gw-pw");
    session = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &st);
    ck_assert_int_eq(st, 201);
    ck_assert_ptr_nonnull(session);

    /* Past the connection's deadline ([http] timeout = 1 s): the sign-in's
       connection, closed by the client, is forgotten (before, kpassd
       crashed here: desk.c had taken conn.c's close callback). */
    usleep(1500 * 1000);
    ck_assert_int_eq(kill(d.pid, 0), 0);
    ug_dlg_init(&u, "923001234567", 12);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);

    ck_assert_int_eq(tu_pg_crash(), 0);
    pg_stopped = 1;
    /* The hop that finds the connection gone, then hops while it stays away:
       each answered at once (no connection attempt of seconds per hop). */
    hop_refused(&g, &u, "1");
    for (int i = 0; i < 3; i++) {
        uint64_t ms = hop_refused(&g, &u, "1");
        ck_assert_msg(ms < 1500, "a hop took %llu ms while the database was away",
                      (unsigned long long)ms);
    }
    link_alive(&g);
    j = tu_http(&d, "POST", "/v1/verifications", session, "{\"qr\":\"x\"}", &st);
    ck_assert_int_eq(st, 503);
    ck_assert_str_eq(tu_js(j, "error"), "unavailable");
    json_decref(j);
    usleep(1500 * 1000); /* past the 503's connection deadline */
    ck_assert_int_eq(kill(d.pid, 0), 0);
    log_has("the database is away");
    /* /healthz, from the tick's cache (a tick has passed): unreachable,
       503, so that a load balancer leaves the node out */
    health_is(503, "unreachable");

    ck_assert_int_eq(tu_pg_restart(), 0);
    pg_stopped = 0;
    /* Reconnected by itself: the same MO, resent until served, continues
       from the screen last shown (Departments), not from a lost one. */
    for (int i = 0; i < 40 && !served; i++) {
        struct ug_dlg again = u;
        ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, "1", 1, 0, &h, 0);
        if (h.status == SMPP_ESME_ROK) {
            served = 1;
            if (!h.screen)
                ug_collect(&g, g.seq, &h, 1); /* not reached: the screen follows its response */
        } else {
            ck_assert_uint_eq(h.status, SMPP_ESME_RTHROTTLED);
            u = again;
            usleep(250 * 1000);
        }
    }
    ck_assert_msg(served, "kpassd did not come back within 10 s of the database");
    ck_assert(h.screen);
    ck_screen_starts(&h, "1 Elementary & Sec. Education\n2 Higher Education\n");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, DEPTS_EN);
    link_alive(&g);
    /* The desk session acknowledged before the outage is still there. */
    free(tu_desk_scan(&d, session, w.qr, &st, NULL));
    ck_assert_int_eq(st, 201);
    log_has("the database is back");
    health_is(200, "primary");
    free(session);
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
}
END_TEST

Suite *suite_db_away(void)
{
    Suite *s = suite_create("db_away");
    TCase *tc = tcase_create("away");
    const char *why;

    if (!tu_pg_available(&why)) {
        fprintf(stderr, "db_away: %s\n", why);
        return s;
    }
    tcase_add_checked_fixture(tc, NULL, away_teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_db_away_and_back);
    suite_add_tcase(s, tc);
    return s;
}
