/* SPDX-License-Identifier: ISC */
/*
 * The citizen's own controls (issue 15) end to end: the real kpassd, a
 * USSD gateway (ussdgw.h), the desk API and an SMS partner.  Suspend over
 * USSD, the desk refuses the card at a scan and at an in-flight confirm,
 * an office resumes it (the desk action and `kpass qr resume`), it scans
 * again; the history after two desk verifications and one code, "It was
 * not me"; the same replies for wrong digits, an unregistered and a
 * registered number; the per-number limit.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

#define CIT2      "923110000102" /* 10000-0000002-2: the world's credential */
#define CIT2_L4   "0022"
#define SUSPENDED "If this number is registered and the digits match, your card is suspended now"
#define TRY_LATER "Too many requests. Please try again in a few minutes."

static struct tu_daemon d;
static struct tu_desk_world w;

static void ctl_teardown(void)
{
    tu_desk_world_free(&w);
    tu_daemon_cleanup(&d);
}

/* The desk world, a USSD partner gw, and no minimum gap between requests. */
static void ctl_world(struct ug_gw *g)
{
    char *out = NULL;

    tu_desk_world_prepare(&w, &d, "[otp]\nissue_gap = 0\n");
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", NULL), 0);
    free(out);
    tu_desk_world_run(&w, &d);
    ug_bind(g, &d, "gw", "gw-pw");
}

/* One whole dialog of number addr: dial, then the replies; the last screen in *h. */
static void ctl_dialog(struct ug_gw *g, const char *addr, int session, const char *dial,
                       const char *const *replies, struct ug_hop *h)
{
    struct ug_dlg u;

    ug_dlg_init(&u, addr, session);
    ug_hop(g, &u, USSD_OP_PSSR_IND, dial, h);
    for (size_t i = 0; replies[i]; i++)
        ug_hop(g, &u, USSD_OP_USSR_CONF, replies[i], h);
}

static void ctl_suspend(struct ug_gw *g, const char *addr, int session, const char *last4,
                        struct ug_hop *h)
{
    const char *const r[] = {"1", "1", last4, NULL};

    ctl_dialog(g, addr, session, "*789*8#", r, h);
}

/* The answer's "reason", or "" when it has none. */
static const char *ctl_reason(json_t *j)
{
    const char *r = j ? json_string_value(json_object_get(j, "reason")) : NULL;

    return r ? r : "";
}

/* POST path with {"token": qr}; the status, the body's "reason" into reason. */
static int ctl_post_token(const char *path, const char *session, char *reason, size_t size)
{
    char body[1024];
    int status;
    json_t *j;

    snprintf(body, sizeof(body), "{\"token\":\"%s\"}", w.qr);
    j = tu_http(&d, "POST", path, session, body, &status);
    snprintf(reason, size, "%s", ctl_reason(j));
    json_decref(j);
    return status;
}

/* Scan, send a code, and return the code's SMS text's code; *id the verification. */
static char *ctl_scan_and_code(const char *sa, char **id)
{
    char path[128];
    int status;
    json_t *j;

    *id = tu_desk_scan(&d, sa, w.qr, &status, NULL);
    ck_assert_int_eq(status, 201);
    snprintf(path, sizeof(path), "/v1/verifications/%s/code", *id);
    j = tu_http(&d, "POST", path, sa, "{\"purpose\":\"identity\"}", &status);
    ck_assert_int_eq(status, 202);
    json_decref(j);
    char *sms = tu_desk_sms_wait(w.sms_fd, "your code for identity check at Excise");
    char *code = tu_desk_code_of(sms);
    free(sms);
    return code;
}

static int ctl_confirm(const char *sa, const char *id, const char *code, char *reason, size_t size)
{
    char path[128], body[64];
    int status;
    json_t *j;

    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", id);
    snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
    j = tu_http(&d, "POST", path, sa, body, &status);
    snprintf(reason, size, "%s", ctl_reason(j));
    json_decref(j);
    return status;
}

START_TEST(test_suspend_refused_resumed)
{
    struct ug_gw g;
    struct ug_hop h;
    char reason[64], *id, *out;
    int status;

    ctl_world(&g);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    /* A verification under way when the citizen suspends the card. */
    char *code = ctl_scan_and_code(sa, &id);
    ctl_suspend(&g, CIT2, 11, CIT2_L4, &h);
    ck_screen_starts(&h, SUSPENDED);
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP); /* the dialog ends */
    free(tu_desk_sms_wait(w.sms_fd, "Khyber Pass: your card is suspended."));
    /* The in-flight confirm with the right code is refused, and so is a scan. */
    ck_assert_int_eq(ctl_confirm(sa, id, code, reason, sizeof(reason)), 422);
    ck_assert_str_eq(reason, "suspended");
    ck_assert_int_eq(ctl_post_token("/v1/verifications", sa, reason, sizeof(reason)), 422);
    ck_assert_str_eq(reason, "suspended");
    out = tu_kpass_ok(&d, NULL, "qr", "list", "10000-0000002-2", NULL);
    ck_assert_msg(strstr(out, "suspended") != NULL, "%s", out);
    free(out);
    /* Resuming wants a desk session; then the office lifts it, once. */
    ck_assert_int_eq(ctl_post_token("/v1/credentials/resume", NULL, reason, sizeof(reason)), 401);
    ck_assert_int_eq(ctl_post_token("/v1/credentials/resume", sa, reason, sizeof(reason)), 200);
    ck_assert_int_eq(ctl_post_token("/v1/credentials/resume", sa, reason, sizeof(reason)), 409);
    free(tu_desk_scan(&d, sa, w.qr, &status, NULL));
    ck_assert_int_eq(status, 201);
    /* Suspended again, lifted by an operator this time. */
    ctl_suspend(&g, CIT2, 12, CIT2_L4, &h);
    ck_screen_starts(&h, SUSPENDED);
    free(tu_desk_sms_wait(w.sms_fd, "Khyber Pass: your card is suspended."));
    ck_assert_int_eq(ctl_post_token("/v1/verifications", sa, reason, sizeof(reason)), 422);
    ck_assert_str_eq(reason, "suspended");
    free(tu_kpass_ok(&d, NULL, "qr", "resume", w.serial, NULL));
    free(tu_desk_scan(&d, sa, w.qr, &status, NULL));
    ck_assert_int_eq(status, 201);
    /* The audit log has both sides. */
    out = tu_kpass_ok(&d, NULL, "audit", "show", "--event", "credential.resumed", NULL);
    ck_assert_msg(strstr(out, "desk:PSHEX1-1") && strstr(out, "checked in person"), "%s", out);
    free(out);
    free(code);
    free(id);
    free(sa);
    close(g.fd);
}
END_TEST

/* A suspended card is replaced by a new one: kpass qr issue revokes it. */
START_TEST(test_reissue_revokes_suspended)
{
    struct ug_gw g;
    struct ug_hop h;
    char *out;

    ctl_world(&g);
    ctl_suspend(&g, CIT2, 13, CIT2_L4, &h);
    free(tu_desk_sms_wait(w.sms_fd, "Khyber Pass: your card is suspended."));
    free(tu_kpass_ok(&d, NULL, "qr", "issue", "10000-0000002-2", NULL));
    out = tu_kpass_ok(&d, NULL, "audit", "show", "--event", "credential.revoked", NULL);
    ck_assert_msg(strstr(out, "replaced while suspended") != NULL, "%s", out);
    free(out);
    /* Revoked is final: no office resumes it. */
    ck_assert_int_ne(tu_kpass(&d, NULL, &out, "qr", "resume", w.serial, NULL), 0);
    free(out);
    close(g.fd);
}
END_TEST

START_TEST(test_history_and_dispute)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char reason[64], *id, *code, *out;
    int status;

    ctl_world(&g);
    char *sa = tu_desk_signin(&d, w.token_a, "PSH-0042", "4821", &status);
    ck_assert_int_eq(status, 201);
    for (int i = 0; i < 2; i++) {
        code = ctl_scan_and_code(sa, &id);
        ck_assert_int_eq(ctl_confirm(sa, id, code, reason, sizeof(reason)), 200);
        free(code);
        free(id);
    }
    /* One code asked over USSD, for the Sehat Card. */
    const char *const ask[] = {"4", "2", CIT2_L4, NULL};
    ctl_dialog(&g, CIT2, 21, "*789#", ask, &h);
    free(tu_desk_sms_wait(w.sms_fd, "your code for Sehat Card"));
    /* The history: three uses, newest first (the code, then both desks). */
    ug_dlg_init(&u, CIT2, 22);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*8#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CIT2_L4, &h);
    ck_screen_starts(&h, "Uses of your identity, newest first: 3\n1 ");
    ck_assert_msg(strstr(h.text, " *789#\n2 ") && strstr(h.text, " PSHEX1\n3 ") &&
                      strstr(h.text, " PSHEX1\n0 Back"),
                  "%s", h.text);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Code sent by SMS\n");
    ck_assert_msg(strstr(h.text, "\nSehat Card\n1 It was not me"), "%s", h.text);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "Verified at Excise");
    ck_assert_msg(strstr(h.text, "\nIdentity check\n1 It was not me"), "%s", h.text);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Thank you. We have noted it.");
    free(tu_desk_sms_wait(w.sms_fd, "was not you"));
    /* The same history in Urdu, Pashto and Roman Urdu (the language chosen first,
       then remembered). */
    static const struct {
        const char *lang, *title, *code, *desk, *sms;
    } langs[] = {
        {"*789*6*2#", "آپ کی شناخت کے استعمال، نئے پہلے: 3", "ایس ایم ایس سے کوڈ\n",
         "تصدیق: ", "خیبر پاس: آپ نے بتایا"},
        {"*789*6*3#", "ستاسو د پېژندنې کارونې، نوې لومړی: 3", "د ایس ایم ایس کوډ\n",
         "تصدیق: ", "خیبر پاس: تاسو وویل"},
        {"*789*6*4#", "Aap ki shanakht ke istemal, naye pehle: 3", "SMS se code\n",
         "Tasdeeq: ", "Khyber Pass: aap ne kaha"},
    };
    for (size_t i = 0; i < KP_ARRAY_LEN(langs); i++) {
        ug_dlg_init(&u, CIT2, 23 + (int)i * 2);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, langs[i].lang, &h);
        ug_dlg_init(&u, CIT2, 24 + (int)i * 2);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*8#", &h);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, CIT2_L4, &h);
        ck_screen_starts(&h, langs[i].title);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
        ck_screen_starts(&h, langs[i].code);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "3", &h);
        ck_screen_starts(&h, langs[i].desk);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
        ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
        free(tu_desk_sms_wait(w.sms_fd, langs[i].sms));
    }
    /* Audited, counted, and the operator sees the same history. */
    out = tu_kpass_ok(&d, NULL, "audit", "show", "--event", "identity.disputed", NULL);
    ck_assert_msg(strstr(out, "desk.verified office PSHEX1"), "%s", out);
    free(out);
    out = tu_kpass_ok(&d, NULL, "audit", "show", "--cnic", "10000-0000002-2", NULL);
    ck_assert_msg(strstr(out, "uses (newest first, as *789# shows them): 3"), "%s", out);
    ck_assert_msg(strstr(out, "code  -        sehat"), "%s", out);
    free(out);
    out = tu_http_get(d.http_port, "/metrics", &status);
    ck_assert_msg(out && strstr(out, "\nkpass_identity_disputes_total 4\n"), "%s", out);
    free(out);
    char *log = tu_daemon_log(&d);
    tu_assert_masked(log);
    free(log);
    free(sa);
    close(g.fd);
}
END_TEST

/* The screens say nothing of the number or the digits. */
START_TEST(test_same_replies)
{
    struct ug_gw g;
    struct ug_hop reg, wrong, unreg;
    const char *const hist_right[] = {"2", "0033", NULL}, *const hist_wrong[] = {"2", "1234", NULL};

    ctl_world(&g);
    ctl_suspend(&g, "923210000103", 31, "0033", &reg); /* registered, right digits */
    ctl_suspend(&g, "923330000104", 32, "9999", &wrong);
    ctl_suspend(&g, "923459999999", 33, "0044", &unreg);
    ck_assert_str_eq(reg.text, wrong.text);
    ck_assert_str_eq(reg.text, unreg.text);
    ck_assert_int_eq(reg.dc, unreg.dc);
    /* The history: wrong digits and an unknown number see a registered citizen's empty one. */
    ctl_dialog(&g, "923210000103", 34, "*789*8#", hist_right, &reg);
    ctl_dialog(&g, "923330000104", 35, "*789*8#", hist_wrong, &wrong);
    ctl_dialog(&g, "923459999999", 36, "*789*8#", hist_wrong, &unreg);
    ck_assert_str_eq(reg.text, "Uses of your identity, newest first: 0\n0 Back");
    ck_assert_str_eq(reg.text, wrong.text);
    ck_assert_str_eq(reg.text, unreg.text);
    close(g.fd);
}
END_TEST

/* Requests are limited per number, registered or not, as codes are. */
START_TEST(test_rate_limit)
{
    struct ug_gw g;
    struct ug_hop h;
    const char *const hist[] = {"2", "1234", NULL};

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ctl_suspend(&g, "923459999998", 41, "1234", &h);
    ck_screen_starts(&h, SUSPENDED);
    ctl_suspend(&g, "923459999998", 42, "1234", &h);
    ck_assert_str_eq(h.text, TRY_LATER);
    /* Each branch its own count: the history is still open, once. */
    ctl_dialog(&g, "923459999998", 43, "*789*8#", hist, &h);
    ck_screen_starts(&h, "Uses of your identity");
    ctl_dialog(&g, "923459999998", 44, "*789*8#", hist, &h);
    ck_assert_str_eq(h.text, TRY_LATER);
    close(g.fd);
}
END_TEST

Suite *suite_controls_e2e(void)
{
    Suite *s = suite_create("controls_e2e");
    TCase *tc = tcase_create("controls");

    tcase_add_checked_fixture(tc, NULL, ctl_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_suspend_refused_resumed);
    tcase_add_test(tc, test_reissue_revokes_suspended);
    tcase_add_test(tc, test_history_and_dispute);
    tcase_add_test(tc, test_same_replies);
    tcase_add_test(tc, test_rate_limit);
    suite_add_tcase(s, tc);
    return s;
}
