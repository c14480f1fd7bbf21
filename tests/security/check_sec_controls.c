/* SPDX-License-Identifier: ISC */
/*
 * security, the citizen's own controls (issue 15), against the real
 * kpassd through a USSD gateway (tests/ussdgw.h) and the desk API: only
 * the right digits from the citizen's own number suspend a card (someone
 * else's phone and a guess do nothing, and write nothing about the
 * number); a history shows only the caller's own uses and never keeps the
 * digits in the stored dialog; a suspension is lifted only by a signed-in
 * desk, for the very card shown (an altered token, a card that is not
 * suspended, no session: refused, nothing written).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

#define CIT2    "923110000102" /* 10000-0000002-2, the world's credential */
#define CIT2_L4 "0022"
#define CIT3    "923210000103" /* 10000-0000003-3 */
#define CIT3_L4 "0033"

static struct tu_daemon d;
static struct tu_desk_world w;
static char db[700];

static void sec_teardown(void)
{
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

static void sec_world(struct ug_gw *g)
{
    char *out = NULL;

    tu_desk_world_prepare(&w, &d,
                          "rate_per_desk = 100000\nburst_per_desk = 100000\n"
                          "rate_per_address = 100000\nburst_per_address = 100000\n"
                          "[otp]\nissue_gap = 0\n");
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", NULL), 0);
    free(out);
    tu_desk_world_run(&w, &d);
    ug_bind(g, &d, "gw", "gw-pw");
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
}

static void sec_dialog(struct ug_gw *g, const char *addr, int session, const char *const *replies,
                       struct ug_hop *h)
{
    struct ug_dlg u;

    ug_dlg_init(&u, addr, session);
    ug_hop(g, &u, USSD_OP_PSSR_IND, "*789*8#", h);
    for (size_t i = 0; replies[i]; i++)
        ug_hop(g, &u, USSD_OP_USSR_CONF, replies[i], h);
}

static int sec_post_token(const char *path, const char *session, const char *token)
{
    json_t *body = json_pack("{s:s}", "token", token);
    char *text = json_dumps(body, JSON_COMPACT);
    int status;

    json_decref(tu_http(&d, "POST", path, session, text, &status));
    json_decref(body);
    free(text);
    return status;
}

/* A guess, or the right digits from another citizen's phone, suspend nothing. */
START_TEST(test_only_the_owner_suspends)
{
    const char *const guess[] = {"1", "1", "0023", NULL}, *const other[] = {"1", "1", CIT2_L4,
                                                                            NULL};
    struct ug_gw g;
    struct ug_hop h;
    int status;

    sec_world(&g);
    sec_dialog(&g, CIT2, 51, guess, &h);
    sec_dialog(&g, CIT3, 52, other, &h);
    sleep(1); /* the requests are carried out after the replies */
    ck_assert_int_eq(
        tu_sql_int(db, "SELECT count(*) FROM credential WHERE suspended_at IS NOT NULL"), 0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM audit WHERE event LIKE 'credential.%' "
                                    "AND event != 'credential.issued'"),
                     0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM sms_outbox"), 0);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    free(tu_desk_scan(&d, sa, w.qr, &status, NULL));
    ck_assert_int_eq(status, 201);
    free(sa);
    close(g.fd);
}
END_TEST

/* Citizen 3 with the right digits sees none of citizen 2's uses; the digits are not stored. */
START_TEST(test_history_is_the_callers_own)
{
    const char *const ask[] = {"4", "1", CIT2_L4, NULL}, *const hist[] = {"2", CIT3_L4, NULL};
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    sec_world(&g);
    ug_dlg_init(&u, CIT2, 61);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    for (size_t i = 0; ask[i]; i++)
        ug_hop(&g, &u, USSD_OP_USSR_CONF, ask[i], &h);
    free(tu_desk_sms_wait(w.sms_fd, "your code for identity check"));
    sec_dialog(&g, CIT3, 62, hist, &h);
    ck_assert_str_eq(h.text, "Uses of your identity, newest first: 0\n0 Back");
    /* The dialog stands on the list: its stored state has no trace of the digits
       (citizen 2's code dialog stays open too, offering its digits again). */
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM dialog WHERE msisdn LIKE '%" CIT3 "'"),
                     1);
    ck_assert_int_eq(
        tu_sql_int(db, "SELECT count(*) FROM dialog WHERE instr(state, '" CIT3_L4 "') > 0"), 0);
    /* Looking is audited for the one who looked, once. */
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM audit WHERE event = 'identity.history'"),
                     1);
    close(g.fd);
}
END_TEST

/* Only a signed-in desk lifts a suspension, and only of the genuine card. */
START_TEST(test_resume_guarded)
{
    const char *const sus[] = {"1", "1", CIT2_L4, NULL};
    struct ug_gw g;
    struct ug_hop h;
    int status;

    sec_world(&g);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(sec_post_token("/v1/credentials/resume", sa, w.qr), 409); /* not suspended */
    sec_dialog(&g, CIT2, 71, sus, &h);
    free(tu_desk_sms_wait(w.sms_fd, "your card is suspended"));
    ck_assert_int_eq(sec_post_token("/v1/credentials/resume", NULL, w.qr), 401);
    ck_assert_int_eq(sec_post_token("/v1/credentials/resume", "0123456789abcdef", w.qr), 401);
    /* Every one-character change of the token is refused. */
    size_t len = strlen(w.qr);
    for (size_t i = 4; i < len; i += 3) {
        char *t = strdup(w.qr);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        if (strcmp(t, w.qr) != 0)
            ck_assert_int_eq(sec_post_token("/v1/credentials/resume", sa, t), 422);
        free(t);
    }
    ck_assert_int_eq(
        tu_sql_int(db, "SELECT count(*) FROM audit WHERE event = 'credential.resumed'"), 0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM credential WHERE suspended_at IS NULL"),
                     0);
    ck_assert_int_eq(sec_post_token("/v1/credentials/resume", sa, w.qr), 200);
    free(sa);
    close(g.fd);
}
END_TEST

Suite *suite_sec_controls(void)
{
    Suite *s = suite_create("sec_controls");
    TCase *tc = tcase_create("controls");

    tcase_add_checked_fixture(tc, NULL, sec_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_only_the_owner_suspends);
    tcase_add_test(tc, test_history_is_the_callers_own);
    tcase_add_test(tc, test_resume_guarded);
    suite_add_tcase(s, tc);
    return s;
}
