/* SPDX-License-Identifier: ISC */
/*
 * ussd daemon: what the real kpassd does with USSD input that is wrong,
 * late, cut off or strange, driven over SMPP by a gateway written with
 * the project's codec (tests/ussdgw.h): an unknown session, a reply
 * after the screen or dialog timed out, oversize, empty and undecodable
 * replies, a release and a redial (Continue / Start again), two partners
 * using the same session number, a dialled shortcut, the remembered
 * language, and each refusal's command_status.
 */
#include <check.h>
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

static struct tu_daemon d;

static void udaemon_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* ---- bad and strange input ---- */

/* A reply for a session kpassd does not know: the expired notice, as the
   end of the dialog (op 17, PSSR response, end bit set). */
START_TEST(test_unknown_session)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 77);
    u.seq = 4;
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_assert_str_eq(h.text, EXPIRED);
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    ck_assert(h.has_its);
    ck_assert_uint_eq(h.its, 77 << 8 | 5 << 1 | 1); /* same session, next sequence, end */
    ck_assert_uint_eq(h.cmd, SMPP_DELIVER_SM);
    close(g.fd);
}
END_TEST

/* [ussd] screen_timeout = 1s: a reply 2 s later is too late. */
START_TEST(test_screen_timeout)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_daemon_start(&d, "[ussd]\nscreen_timeout = 1s\n");
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h); /* in time */
    ck_screen_starts(&h, DEPTS_EN);
    usleep(2200000);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_assert_str_eq(h.text, EXPIRED);
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    close(g.fd);
}
END_TEST

/* [ussd] dialog_timeout = 2s: however quick each reply, the whole dialog
   may not last longer. */
START_TEST(test_dialog_timeout)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    int expired = 0;

    ug_daemon_start(&d, "[ussd]\ndialog_timeout = 2s\n");
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 4);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    for (int i = 0; i < 8 && !expired; i++) {
        usleep(600000);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, i % 2 ? "0" : "1", &h);
        expired = strcmp(h.text, EXPIRED) == 0;
        if (!expired)
            ck_screen_starts(&h, i % 2 ? HOME_EN : DEPTS_EN);
        ck_assert_msg(i >= 2 || !expired, "expired after %d replies", i + 1);
    }
    ck_assert(expired);
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    close(g.fd);
}
END_TEST

/* Replies that are no choice at all show the screen again under "Invalid
   choice": the longest short_message (254 octets), an empty one, and UCS-2
   that does not decode. */
static const struct {
    const char *what;
    uint8_t dc;
    size_t len;
    const char *hex; /* NULL: len octets of 'A' */
} bad_replies[] = {
    {"254 octets", 0, 254, NULL},
    {"empty", 0, 0, ""},
    {"odd-length UCS-2", 8, 3, "003100"},
    {"unpaired high surrogate", 8, 2, "d834"},
    {"unpaired low surrogate", 8, 4, "dd1e0031"},
    {"high surrogate then a digit", 8, 4, "d8340031"},
    {"GSM octet above 0x7F", 0, 1, "b1"},
    {"8-bit data", 4, 1, "31"},
};

START_TEST(test_bad_reply)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    uint8_t raw[255];
    char want[600];

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 9);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ck_screen_starts(&h, DEPTS_EN);
    if (bad_replies[_i].hex)
        ck_assert_int_eq(tu_hex(bad_replies[_i].hex, raw, sizeof(raw)), (int)bad_replies[_i].len);
    else
        memset(raw, 'A', bad_replies[_i].len);
    ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, raw, bad_replies[_i].len, bad_replies[_i].dc, &h, 1);
    ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    snprintf(want, sizeof(want), "%s%s", INVALID, DEPTS_EN);
    ck_assert_msg(strncmp(h.text, want, strlen(want)) == 0, "%s: %s", bad_replies[_i].what, h.text);
    ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
    /* and the dialog goes on where it was */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "1 Health\n2 Sehat Card Plus\n");
    close(g.fd);
}
END_TEST

/* On an input screen the same replies get the input's own error text. */
START_TEST(test_bad_input_reply)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    uint8_t raw[254];

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 10);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_str_eq(h.text, "Type a word, e.g. licence\n0 Back");
    memset(raw, 'A', sizeof(raw));
    ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, raw, sizeof(raw), 0, &h, 1);
    ck_assert_str_eq(h.text, "Invalid input, please try again\nType a word, e.g. licence\n0 Back");
    ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, "\xd8\x34", 2, 8, &h, 1);
    ck_assert_str_eq(h.text, "Invalid input, please try again\nType a word, e.g. licence\n0 Back");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &h); /* 41 */
    ck_assert_str_eq(h.text, "Type 2 to 40 letters\nType a word, e.g. licence\n0 Back");
    /* a UCS-2 reply that does decode is a reply like any other */
    ug_hop_raw(&g, &u, USSD_OP_USSR_CONF, "\x06\x44\x06\x27\x06\x26\x06\x33\x06\x46\x06\x33", 12, 8,
               &h, 1);
    ck_screen_starts(&h, "Found: 7\n1 Trade licence\n");
    close(g.fd);
}
END_TEST

/* A release (op 0x81) mid-dialog gets no screen; a redial within the
   resume window offers Continue / Start again: 1 continues where it was,
   with its way back, 2 starts again.  A dialled shortcut is never offered
   to resume.  Logs show the number masked. */
START_TEST(test_release_and_resume)
{
    static const char *const callers[] = {"923001234567", "923001234568"};
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    for (int choice = 1; choice <= 2; choice++) {
        ug_dlg_init(&u, callers[choice - 1], 20 + choice);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
        ck_screen_starts(&h, "1 Health\n");
        ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
        ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
        ck_assert_msg(!h.screen, "a screen after the release: %s", h.text);
        /* the network gives the redial a new session */
        ug_dlg_init(&u, callers[choice - 1], 40 + choice);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
        ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
        ug_hop(&g, &u, USSD_OP_USSR_CONF, "7", &h);
        ck_screen_starts(&h, INVALID "Continue where you left off?\n");
        ug_hop(&g, &u, USSD_OP_USSR_CONF, choice == 1 ? "1" : "2", &h);
        if (choice == 1) {
            ck_screen_starts(&h, "1 Health\n2 Sehat Card Plus\n");
            ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h); /* the way back it had */
            ck_screen_starts(&h, DEPTS_EN);
        } else {
            ck_assert_str_eq(h.text, HOME_EN "4 Get a verification code\n5 My registration\n"
                                             "6 Language\n7 Help\n8 My card");
            ug_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h); /* no way back: afresh */
            ck_screen_starts(&h, INVALID HOME_EN);
        }
        ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    }
    /* a shortcut says where the caller wants to go: no offer */
    ug_dlg_init(&u, callers[0], 60);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1*2*1#", &h);
    ck_screen_starts(&h, "1 Child vaccination (EPI)\n");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "98", &h); /* one page: refused, it stays */
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* and that dialog is the one a plain redial continues, on its page */
    ug_dlg_init(&u, callers[0], 61);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "1 Child vaccination (EPI)\n");
    /* left on an info screen (help), or on home: nothing to continue, the
       redial shows home (issue 11) */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "00", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "7", &h);
    ck_screen_starts(&h, "Khyber Pass gives you");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, callers[0], 62);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, callers[0], 63);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    close(g.fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "resumes a dialog"));
    ck_assert_msg(strstr(log, "300123456") == NULL, "a full number in the log:\n%s", log);
    free(log);
}
END_TEST

/* Two gateways that happen to use the same its session number for the same
   subscriber hold two dialogs that never meet. */
START_TEST(test_two_partners_same_session)
{
    struct ug_gw a, b;
    struct ug_dlg ua, ub;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&a, &d, "gw", "gw-pw");
    ug_bind(&b, &d, "gw2", "gw2-pw");
    ug_dlg_init(&ua, "923001234567", 5);
    ug_dlg_init(&ub, "923001234567", 5);
    ug_hop(&a, &ua, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_hop(&b, &ub, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN); /* not a resume offer: that dialog is another partner's */
    ug_hop(&a, &ua, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    ug_hop(&b, &ub, USSD_OP_USSR_CONF, "3", &h);
    ck_screen_starts(&h, "Which office?\n1 Hospital, Sehat Card\n");
    ug_hop(&a, &ua, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "1 Health\n2 Sehat Card Plus\n");
    ug_hop(&b, &ub, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Division\n1 Peshawar\n");
    ug_hop(&a, &ua, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, DEPTS_EN);
    ug_hop(&b, &ub, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "Which office?\n");
    close(a.fd);
    close(b.fd);
}
END_TEST

/* A dialled shortcut walks straight down; the language a caller chooses is
   remembered at the next dial, per number. */
START_TEST(test_shortcut_and_language)
{
    struct ug_gw g;
    struct ug_dlg u, other;
    struct ug_hop h;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 1);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*3*7*3*1*1#", &h); /* every office: vehicles */
    ck_screen_starts(&h, "Offices in Peshawar\n1 Excise & Taxation office\n");
    ck_assert_uint_eq(h.dc, 0);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "00", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "6", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, HOME_UR);
    ck_assert_uint_eq(h.dc, 8); /* UCS-2 */
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* the next dial, by shortcut so that no resume is offered: Urdu */
    ug_dlg_init(&u, "923001234567", 2);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ck_screen_starts(&h, "محکمے\n1 تعلیم\n");
    /* another number is still in English */
    ug_dlg_init(&other, "923007654321", 2);
    ug_hop(&g, &other, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    /* back to English, remembered too */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "00", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "98", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "6", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_dlg_init(&u, "923001234567", 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*9#", &h);
    ck_screen_starts(&h, HOME_EN);
    /* Roman Urdu: GSM 7-bit screens, and remembered as "ur-Latn" (seven
       characters: the stored tag must not be cut to "ur-") */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "6", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "4", &h);
    ck_screen_starts(&h, "Khyber Pass\n1 Service talaash karein\n");
    ck_assert_uint_eq(h.dc, 0);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, "923001234567", 4);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*6#", &h);
    ck_screen_starts(&h, "Zabaan chunein\n");
    close(g.fd);
}
END_TEST

/* Two service codes, each with its menus (issue 11): *790# serves one
   department's tree, in Roman Urdu for first-time callers; *789# the
   general menus, in Pashto for them ([ussd] first_lang) or in the
   partner's first language; a code no menus serve ends with a clear
   screen; a remembered language beats them all. */
START_TEST(test_service_codes)
{
    char dir[] = "/tmp/kpass-codes-XXXXXX", path[600], conf[1400];
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    FILE *f;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/health.menu", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("screen main menu\n"
          "  title \"Health\" ur \"صحت\" ps \"روغتیا\" ur-Latn \"Sehat\"\n"
          "  option \"Sehat Card\" ur \"صحت کارڈ\" ps \"صحت کارډ\" ur-Latn \"Sehat Card\" -> card\n"
          "  option \"Clinics\" ur-Latn \"Clinic\" ur \"کلینک\" ps \"کلینیکونه\" -> clinics\n"
          "screen clinics menu\n"
          "  text \"Clinics\" ur-Latn \"Clinic\" ur \"کلینک\" ps \"کلینیکونه\"\n"
          "  option \"Peshawar\" ur-Latn \"Peshawar\" ur \"پشاور\" ps \"پېښور\" -> card\n"
          "screen card info\n"
          "  text \"Sehat Card Plus pays for hospital care.\"\n"
          "       ur-Latn \"Sehat Card Plus hospital ka ilaaj deta hai.\"\n",
          f);
    fclose(f);
    snprintf(conf, sizeof(conf),
             "[ussd]\nfirst_lang = ps\nmore_codes = *790# menus=%s lang=ur-Latn\n", dir);
    char *out = NULL;
    tu_daemon_prepare(&d, conf);
    ug_seed(&d);
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", NULL, "partner", "add", "gw", NULL), 0);
    ck_assert_int_eq(
        tu_kpass(&d, "gw2-pw\n", NULL, "partner", "add", "gw2", "--first-lang", "ur", NULL), 0);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "show", "gw2", NULL), 0);
    ck_assert_msg(strstr(out, "first language: ur\n"), "%s", out);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "set", "gw2", "--first-lang", "fr", NULL),
                     1);
    free(out);
    tu_daemon_start(&d);
    ug_bind(&g, &d, "gw", "gw-pw");
    /* the second code's tree, in its language, GSM 7-bit */
    ug_dlg_init(&u, "923001111001", 1);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*790#", &h);
    ck_assert_str_eq(h.text, "Sehat\n1 Sehat Card\n2 Clinic");
    ck_assert_uint_eq(h.dc, 0);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Sehat Card Plus hospital ka ilaaj deta hai.\n");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* a shortcut within it */
    ug_dlg_init(&u, "923001111001", 2);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*790*1#", &h);
    ck_screen_starts(&h, "Sehat Card Plus hospital");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* the first code: the general menus, Pashto for a first-time caller */
    ug_dlg_init(&u, "923001111002", 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, "خیبر پاس\n1 خدمتونه\n");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* a code no menus serve: an end screen that says so, in the caller's language */
    ug_dlg_init(&u, "923001111003", 4);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*791#", &h);
    ck_assert_str_eq(h.text, "دا کوډ په کار کې نه دی. د خیبر پاس لپاره *789# ډایل کړئ.");
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    /* a caller's own choice beats the code's language: English, then *790# */
    ug_dlg_init(&u, "923001111001", 5);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*6*1#", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, "923001111001", 6);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*790#", &h);
    ck_assert_str_eq(h.text, "Health\n1 Sehat Card\n2 Clinics");
    /* cut off in *790#'s tree: *789# is not offered to continue it (and
       that new dial supersedes it) */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "Clinics\n1 Peshawar");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, "923001111001", 9);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    close(g.fd);
    /* a partner's first language beats [ussd] first_lang, not a code's own */
    ug_bind(&g, &d, "gw2", "gw2-pw");
    ug_dlg_init(&u, "923001111004", 7);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_UR);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, "923001111004", 8);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*790#", &h);
    ck_assert_str_eq(h.text, "Sehat\n1 Sehat Card\n2 Clinic");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, "923001111004", 11);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*790#", &h);
    /* *790# is offered: with that tree's system texts (it has none: the
       English defaults; `kpass menu check` lists them as missing) */
    ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Clinic\n1 Peshawar");
    close(g.fd);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* What kpassd refuses, with the command_status, and what it only notes. */
START_TEST(test_refusals_and_notes)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char *out = NULL;

    ug_daemon_start(&d, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    /* its-session profile, no its_session_info */
    ug_dlg_init(&u, "923001234567", -1);
    ug_hop_raw(&g, &u, USSD_OP_PSSR_IND, "*789#", 5, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_RMISSINGOPTPARAM);
    ck_assert(!h.screen);
    /* a source that is not a phone number */
    ug_dlg_init(&u, "12", 1);
    ug_hop_raw(&g, &u, USSD_OP_PSSR_IND, "*789#", 5, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_RINVSRCADR);
    ck_assert(!h.screen);
    /* a USSN confirmation and an op that is ours are noted, nothing sent */
    ug_dlg_init(&u, "923001234567", 1);
    ug_hop_raw(&g, &u, USSD_OP_USSN_CONF, "", 0, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    ck_assert(!h.screen);
    ug_hop_raw(&g, &u, USSD_OP_USSR_REQ, "", 0, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    ck_assert(!h.screen);
    /* a hundred empty TLVs (libsmpp34 used to write past its log buffer,
       and kpassd died): refused, and the link goes on */
    {
        static uint8_t buf[SMPP_PDU_MAX + 1];
        struct smpp_pdu mo;
        int n;
        ug_dlg_init(&u, "923001234569", 2);
        ug_mo_make(&mo, &u, USSD_OP_PSSR_IND, "*789#", 5, 0);
        mo.sequence_number = g.seq++;
        n = smpp_pdu_encode(&mo, buf, sizeof(buf));
        ck_assert_int_gt(n, 0);
        memset(buf + n, 0, 400);
        n += 400;
        buf[2] = (uint8_t)(n >> 8);
        buf[3] = (uint8_t)n;
        ck_assert_int_eq(write(g.fd, buf, (size_t)n), n);
        ug_collect(&g, mo.sequence_number, &h, 0);
        ck_assert_uint_eq(h.status, SMPP_ESME_RINVOPTPARSTREAM);
        ck_assert(!h.screen);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ck_screen_starts(&h, HOME_EN);
    }
    /* the umr profile: user_message_reference is needed, and echoed */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "set", "gw", "--profile", "umr", NULL), 0);
    free(out);
    close(g.fd);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 1);
    ug_hop_raw(&g, &u, USSD_OP_PSSR_IND, "*789#", 5, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_RMISSINGOPTPARAM);
    u.session = -1;
    u.umr = 4242;
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ck_assert(!h.has_its);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    close(g.fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "refused a message: ESME_RMISSINGOPTPARAM"));
    ck_assert_ptr_nonnull(strstr(log, "refused a message: ESME_RINVSRCADR"));
    ck_assert_ptr_null(strstr(log, "300123456")); /* numbers are masked in logs */
    free(log);
}
END_TEST

/* /metrics shows the funnel: each screen's views per language, and how
   dialogs left it (released on it, answered too late, ended on it), and
   the partner's own PDU counts. */
START_TEST(test_screen_funnel_metrics)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char *m;
    int status;

    ug_daemon_start(&d, "[ussd]\nscreen_timeout = 1s\n");
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, "923001234567", 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0); /* released on departments */
    ug_dlg_init(&u, "923001234568", 4);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    usleep(2200000);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h); /* too late, on main */
    ck_assert_str_eq(h.text, EXPIRED);
    ug_dlg_init(&u, "923001234569", 5);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*4*1#", &h); /* a code: asks for the CNIC digits */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1234", &h);     /* the same answer, either way */
    ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);         /* with the digits again on offer */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1234", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1234", &h); /* the third entry ends the dialog */
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    m = tu_http_get(d.http_port, "/metrics", &status);
    ck_assert_int_eq(status, 200);
    static const char *const want[] = {
        "kpass_ussd_screen_views_total{screen=\"main\",lang=\"en\"} 2\n",
        "kpass_ussd_screen_views_total{screen=\"departments\",lang=\"en\"} 1\n",
        "kpass_ussd_screen_exits_total{screen=\"departments\",lang=\"en\",reason=\"abort\"} 1\n",
        "kpass_ussd_screen_exits_total{screen=\"main\",lang=\"en\",reason=\"late\"} 1\n",
        "kpass_ussd_screen_exits_total{screen=\"otp_sent_final\",lang=\"en\",reason=\"end\"} 1\n",
        "kpass_smpp_partner_pdus_total{partner=\"gw\",direction=\"in\"} ",
        "kpass_smpp_partner_throttled_total{partner=\"gw\"} 0\n",
        "kpass_db_commit_seconds_count ",
        "kpass_sms_outbox_oldest_age_seconds ",
    };
    for (size_t i = 0; i < KP_ARRAY_LEN(want); i++)
        ck_assert_msg(strstr(m, want[i]) != NULL, "no %s in /metrics:\n%.3000s", want[i], m);
    free(m);
    close(g.fd);
}
END_TEST

/* /readyz: not ready until a partner link is bound; /healthz alive throughout. */
START_TEST(test_readyz)
{
    struct ug_gw g;
    char *body;
    int status;

    ug_daemon_start(&d, NULL);
    body = tu_http_get(d.http_port, "/readyz", &status);
    ck_assert_int_eq(status, 503);
    ck_assert_msg(strstr(body, "\"bound_links\":0") && strstr(body, "\"not_ready\"") &&
                      strstr(body, "\"menus\":\"loaded\"") && strstr(body, "\"database\":\"ok\""),
                  "%s", body);
    free(body);
    body = tu_http_get(d.http_port, "/healthz", &status);
    ck_assert_int_eq(status, 200);
    free(body);
    ug_bind(&g, &d, "gw", "gw-pw");
    body = tu_http_get(d.http_port, "/readyz", &status);
    ck_assert_msg(status == 200 && strstr(body, "\"ready\"") && strstr(body, "\"bound_links\":1"),
                  "%d %s", status, body);
    free(body);
    close(g.fd);
}
END_TEST

Suite *suite_ussd_daemon(void)
{
    Suite *s = suite_create("ussd_daemon");
    TCase *bad = tcase_create("input");

    tcase_add_checked_fixture(bad, NULL, udaemon_teardown);
    tcase_set_timeout(bad, 90);
    tcase_add_test(bad, test_unknown_session);
    tcase_add_test(bad, test_screen_funnel_metrics);
    tcase_add_test(bad, test_readyz);
    tcase_add_test(bad, test_screen_timeout);
    tcase_add_test(bad, test_dialog_timeout);
    tcase_add_loop_test(bad, test_bad_reply, 0, (int)KP_ARRAY_LEN(bad_replies));
    tcase_add_test(bad, test_bad_input_reply);
    tcase_add_test(bad, test_release_and_resume);
    tcase_add_test(bad, test_service_codes);
    tcase_add_test(bad, test_two_partners_same_session);
    tcase_add_test(bad, test_shortcut_and_language);
    tcase_add_test(bad, test_refusals_and_notes);
    suite_add_tcase(s, bad);
    return s;
}
