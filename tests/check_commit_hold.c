/* SPDX-License-Identifier: ISC */
/*
 * commit_hold: on PostgreSQL, no reply of a loop pass leaves before that
 * pass's COMMIT is acknowledged (issue 12, doc/cluster.md 5.9), and a
 * COMMIT that never comes back fails its pass as kpd_pass_failed says.
 *
 * The test holds the pass's transaction back from outside: a second
 * session locks the caller's dialog row (SELECT ... FOR UPDATE), so the
 * upsert of that row that the hop writes (queued in libpq's pipeline, sent
 * with the COMMIT) waits for it; pg_locks shows kpassd's backend waiting
 * on the holder's transaction, so the hold is real and not a slow machine.
 * The row, not the table: a table lock also held back the dialogs' expiry
 * (a DELETE kpassd runs every second), and a pass blocked on that one,
 * with the hop not yet read, was what the test then killed (seen in CI).  While it waits, no
 * response and no screen may reach the gateway, neither of that hop nor of a hop of another
 * subscriber sent after it (a later pass never overtakes an earlier one).  Released, both arrive,
 * the first hop's first.  Then the same hold with kpassd's backend terminated under it (the
 * connection lost mid-COMMIT): the hop is answered ESME_RTHROTTLED with no screen, the link stays
 * bound, and the resent hop continues from the screen the phone last saw.  And a COMMIT the server
 * refuses with the connection intact (SQLSTATE 40001 from a deferred constraint trigger the test
 * installs): the same ESME_RTHROTTLED, and the next hop served once the
 * trigger is gone.  A loop that wrote a pass's replies before its COMMIT
 * came back (an asynchronous COMMIT that does not hold them) fails the
 * first test; one that told the phone of a rolled-back hop fails the
 * second.  Runs on PostgreSQL whatever KP_TEST_STORE says.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "kpass/core/clock.h"
#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "pgtest.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

static struct tu_daemon d;
static PGconn *holder;

static void hold_teardown(void)
{
    if (holder)
        PQfinish(holder);
    holder = NULL;
    tu_daemon_cleanup(&d);
}

/* sql on c, which must succeed. */
static void pq_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);

    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* One integer from sql on c. */
static long long pq_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long long v;

    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
                  PQerrorMessage(c));
    v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* The sessions waiting on the holder's transaction (its id as text: the
   tests' server is young, its xid epoch 0). */
#define HOLD_WAITERS(what)                                                                         \
    "SELECT " what " FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND "          \
    "transactionid::text = pg_current_xact_id()::text"

/* A session in the daemon's schema (no lock taken). */
static PGconn *daemon_session(void)
{
    char path[600], conninfo[1200], *dsn;
    PGconn *c;

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    dsn = tu_pg_dsn_for(path);
    snprintf(conninfo, sizeof(conninfo), "%s password=%s", dsn, tu_pg_start()->password);
    free(dsn);
    c = PQconnectdb(conninfo);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

/* A session in the daemon's schema that holds every write to the test
   caller's dialog rows back (reads go on) until it commits. */
static PGconn *hold_dialogs(void)
{
    PGconn *c = daemon_session();

    pq_ok(c, "BEGIN");
    ck_assert_int_ge(pq_int(c, "SELECT count(*) FROM (SELECT 1 FROM dialog WHERE msisdn LIKE "
                               "'%3001234567' FOR UPDATE) AS held"),
                     1);
    return c;
}

/* kpassd's backend waits on the holder's transaction (within 10 s): its
   pass's transaction is held, not merely slow.  Only a writer of the held
   rows waits on it (other tests' sessions never see them). */
static void kpassd_waits(PGconn *c)
{
    long long n = 0;
    uint64_t until = kp_clock_ms() + 10000;

    while ((n = pq_int(c, HOLD_WAITERS("count(*)"))) == 0 && kp_clock_ms() < until)
        usleep(20 * 1000);
    ck_assert_msg(n > 0, "kpassd's transaction is not waiting on the held dialog");
}

/* Nothing at all arrives on g within ms. */
static void silent(struct ug_gw *g, int ms)
{
    struct smpp_pdu p;
    int rc = tu_smpp_recv(g->fd, &p, ms);

    ck_assert_msg(rc == -1, "a PDU (0x%08x, seq %u) left before its pass's COMMIT came back",
                  p.command_id, p.sequence_number);
}

/* The MO of u with text, sent; its sequence number. */
static uint32_t mo_send(struct ug_gw *g, struct ug_dlg *u, const char *text)
{
    struct smpp_pdu mo;

    ug_mo_make(&mo, u, USSD_OP_USSR_CONF, text, strlen(text), 0);
    mo.sequence_number = g->seq++;
    ug_send(g, &mo);
    u->seq = (u->seq + 1) & 0x7F;
    return mo.sequence_number;
}

START_TEST(test_replies_wait_for_commit)
{
    struct ug_gw g;
    struct ug_dlg a, b;
    struct ug_hop h;
    struct smpp_pdu p;
    uint32_t sa, sb, first_resp = 0;
    int resps = 0, screens = 0;
    char first_screen[sizeof(((struct smpp_pdu *)0)->sm.destination_addr)] = "";

    setenv("KP_TEST_STORE", "postgresql", 1);
    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&a, "923001234567", 12);
    ug_dlg_init(&b, "923007654321", 13);
    ug_hop(&g, &a, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_hop(&g, &b, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);

    holder = hold_dialogs();
    sa = mo_send(&g, &a, "1");
    kpassd_waits(holder);
    sb = mo_send(&g, &b, "1"); /* a later pass's input */
    silent(&g, 1500);

    pq_ok(holder, "COMMIT");
    /* Both answered now, a's response and screen before anything of b's. */
    while (resps < 2 || screens < 2) {
        ck_assert_int_eq(tu_smpp_recv(g.fd, &p, 5000), 0);
        if (p.command_id == SMPP_SUBMIT_SM_RESP) {
            ck_assert_uint_eq(p.command_status, SMPP_ESME_ROK);
            if (resps++ == 0)
                first_resp = p.sequence_number;
        } else if (p.command_id == SMPP_DELIVER_SM || p.command_id == SMPP_DATA_SM) {
            if (screens++ == 0)
                snprintf(first_screen, sizeof(first_screen), "%s", p.sm.destination_addr);
        }
    }
    ck_assert_uint_eq(first_resp, sa);
    ck_assert_uint_ne(first_resp, sb);
    ck_assert_str_eq(first_screen, a.addr);
}
END_TEST

START_TEST(test_commit_lost_is_throttled)
{
    struct ug_gw g;
    struct ug_dlg u, again;
    struct ug_hop h;
    int served = 0;

    setenv("KP_TEST_STORE", "postgresql", 1);
    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 12);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);

    holder = hold_dialogs();
    again = u;
    {
        uint32_t seq = mo_send(&g, &u, "1");
        kpassd_waits(holder);
        silent(&g, 500);
        /* The connection lost under the waiting COMMIT. */
        pq_ok(holder, HOLD_WAITERS("pg_terminate_backend(pid)"));
        ug_collect(&g, seq, &h, 0);
    }
    ck_assert_msg(h.status == SMPP_ESME_RTHROTTLED, "status 0x%x after a lost COMMIT", h.status);
    ck_assert_msg(!h.screen, "a screen of a hop whose COMMIT was lost: %s", h.text);
    pq_ok(holder, "COMMIT");

    /* The gateway resends the same MO: kpassd reconnects and continues
       from Home (the screen last shown), to Departments. */
    for (int i = 0; i < 40 && !served; i++) {
        u = again;
        ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, "1", 1, 0, &h, 0);
        if (h.status == SMPP_ESME_ROK)
            served = 1;
        else
            usleep(100 * 1000);
    }
    ck_assert_msg(served, "kpassd did not come back after the lost COMMIT");
    ck_assert_msg(h.screen, "no screen for the resent hop");
    ck_screen_starts(&h, DEPTS_EN);
}
END_TEST

/* A COMMIT the server refuses with the connection intact (a serialization
   failure, SQLSTATE 40001, raised by a deferred constraint trigger at
   COMMIT: what a conflicting node provokes): the pass fails as when the
   connection is lost, and the next one is served. */
START_TEST(test_commit_refused_is_throttled)
{
    struct ug_gw g;
    struct ug_dlg u, again;
    struct ug_hop h;

    setenv("KP_TEST_STORE", "postgresql", 1);
    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 12);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);

    holder = daemon_session();
    pq_ok(holder, "CREATE FUNCTION kp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
                  "RAISE EXCEPTION 'refused by the test' USING ERRCODE = '40001'; END$$");
    pq_ok(holder, "CREATE CONSTRAINT TRIGGER kp_refuse AFTER INSERT OR UPDATE ON dialog "
                  "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kp_refuse()");
    again = u;
    ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, "1", 1, 0, &h, 0);
    ck_assert_msg(h.status == SMPP_ESME_RTHROTTLED, "status 0x%x after a refused COMMIT", h.status);
    ck_assert_msg(!h.screen, "a screen of a hop whose COMMIT was refused: %s", h.text);

    pq_ok(holder, "DROP TRIGGER kp_refuse ON dialog");
    u = again;
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
}
END_TEST

Suite *suite_commit_hold(void)
{
    Suite *s = suite_create("commit_hold");
    TCase *tc = tcase_create("hold");
    const char *why;

    if (!tu_pg_available(&why)) {
        fprintf(stderr, "commit_hold: %s\n", why);
        return s;
    }
    tcase_add_checked_fixture(tc, NULL, hold_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_replies_wait_for_commit);
    tcase_add_test(tc, test_commit_lost_is_throttled);
    tcase_add_test(tc, test_commit_refused_is_throttled);
    suite_add_tcase(s, tc);
    return s;
}
