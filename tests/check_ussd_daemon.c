/* SPDX-License-Identifier: ISC */
/*
 * ussd daemon: what the real kpassd does with USSD input that is wrong,
 * late, cut off or strange, driven over SMPP by a gateway written here
 * with the project's codec (tests/smpputil.h): an unknown session, a reply
 * after the screen or dialog timed out, oversize, empty and undecodable
 * replies, a release and a redial (Continue / Start again), two partners
 * using the same session number, a dialled shortcut, the remembered
 * language, and each refusal's command_status.  Then durability: kill -9
 * in mid-dialog (what a phone was shown is never lost, PRAGMA
 * integrity_check stays ok), and SIGHUP with broken and with new menus.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kpass/buf.h"
#include "kpass/mem.h"
#include "kpass/smpp_pdu.h"
#include "kpass/store.h"
#include "kpass/text.h"
#include "kpass/ussd.h"
#include "smpputil.h"
#include "testutil.h"

#define HOME_EN  "Khyber Pass\n1 Find a service\n2 Search by word\n3 Find an office\n"
#define HOME_UR  "خیبر پاس\n1 سروس تلاش کریں\n"
#define DEPTS_EN "Departments\n1 Elementary & Sec. Education\n"
#define EXPIRED  "Your session has expired. Please dial *789# again."
#define INVALID  "Invalid choice\n"

static struct tu_daemon d;

/* A gateway's bound link. */
struct gw {
    int fd;
    uint32_t seq;
};

/* One subscriber's dialog as the gateway sees it. */
struct dlg {
    char addr[16];  /* the MSISDN's digits (TON 1, NPI 1) */
    int session;    /* its_session_info session number, -1: none */
    int seq;        /* the next MO's sequence number */
    int umr;        /* user_message_reference, -1: none */
};

/* What came back for one MO. */
struct hop {
    uint32_t status;  /* of the MO's response */
    int screen;       /* a screen arrived */
    uint32_t cmd;     /* the PDU it came in */
    uint8_t op;       /* its ussd_service_op */
    int has_its;
    uint16_t its;
    uint8_t dc;
    char text[1200];
};

/* The seed's directory in the prepared daemon's database. */
static void udaemon_seed(void)
{
    char seed[1024], *out = NULL;

    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL) == 0, "%s", out);
    free(out);
}

static void udaemon_start(const char *extra_conf)
{
    char *out = NULL;
    int rc;

    tu_daemon_prepare(&d, extra_conf);
    udaemon_seed();
    rc = tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    rc = tu_kpass(&d, "gw2-pw\n", &out, "partner", "add", "gw2", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    tu_daemon_start(&d);
}

static void udaemon_teardown(void)
{
    tu_daemon_cleanup(&d);
}

static void gw_bind(struct gw *g, const char *system_id, const char *password)
{
    uint32_t status = 0xFFFF;

    g->fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, system_id, password, &status);
    ck_assert_int_ge(g->fd, 0);
    ck_assert_uint_eq(status, SMPP_ESME_ROK);
    g->seq = 2;
}

static void dlg_init(struct dlg *u, const char *addr, int session)
{
    snprintf(u->addr, sizeof(u->addr), "%s", addr);
    u->session = session;
    u->seq = 0;
    u->umr = -1;
}

/* An MO (submit_sm, SMPP 3.4 §4.4.1) of u with op and raw text in dc. */
static void mo_make(struct smpp_pdu *p, const struct dlg *u, uint8_t op, const void *raw,
                    size_t len, uint8_t dc)
{
    smpp_pdu_init(p, SMPP_SUBMIT_SM, 0);
    strcpy(p->sm.service_type, "USSD");
    p->sm.source_addr_ton = 1;
    p->sm.source_addr_npi = 1;
    strcpy(p->sm.source_addr, u->addr);
    p->sm.dest_addr_npi = 1;
    strcpy(p->sm.destination_addr, "789");
    p->sm.data_coding = dc;
    p->sm.sm_length = (uint8_t)len;
    memcpy(p->sm.short_message, raw, len);
    p->tlv.present = SMPP_TLV_USSD_SERVICE_OP;
    p->tlv.ussd_service_op = op;
    if (u->session >= 0) {
        p->tlv.present |= SMPP_TLV_ITS_SESSION_INFO;
        p->tlv.its_session_info = (uint16_t)(u->session << 8 | (u->seq & 0x7F) << 1);
    }
    if (u->umr >= 0) {
        p->tlv.present |= SMPP_TLV_USER_MESSAGE_REFERENCE;
        p->tlv.user_message_reference = (uint16_t)u->umr;
    }
}

/*
 * Send an MO.  smpp_pdu_encode (libsmpp34 underneath) refuses a
 * short_message of 254 octets, which SMPP 3.4 §4.4.1 allows and kpassd
 * reads: such a PDU is encoded with 253 and the last octet put in by hand.
 */
static void gw_send(struct gw *g, const struct smpp_pdu *mo)
{
    static uint8_t buf[SMPP_PDU_MAX + 1], out[SMPP_PDU_MAX + 2];
    struct smpp_pdu short_pdu = *mo, bare;
    int n, body;
    size_t at, len;

    if (mo->sm.sm_length < 254) {
        ck_assert_int_eq(tu_smpp_send(g->fd, mo), 0);
        return;
    }
    short_pdu.sm.sm_length = 253;
    bare = short_pdu;
    bare.tlv.present = 0;
    body = smpp_pdu_encode(&bare, buf, sizeof(buf)); /* up to the short_message's end */
    n = smpp_pdu_encode(&short_pdu, buf, sizeof(buf));
    ck_assert_int_gt(body, 253);
    ck_assert_int_ge(n, body);
    at = (size_t)body - 253 - 1; /* the sm_length octet */
    ck_assert_uint_eq(buf[at], 253);
    memcpy(out, buf, (size_t)body);
    out[at] = 254;
    out[body] = mo->sm.short_message[253];
    memcpy(out + body + 1, buf + body, (size_t)(n - body));
    len = (size_t)n + 1;
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    ck_assert_int_eq(write(g->fd, out, len), (ssize_t)len);
}

/* Read until the MO's response and (want_screen) a screen have come, answering
   what kpassd sends; without want_screen, wait 400 ms more for a stray one. */
static void gw_collect(struct gw *g, uint32_t seq, struct hop *h, int want_screen)
{
    struct smpp_pdu p;
    int resp = 0, idle = 0;

    memset(h, 0, sizeof(*h));
    while (!resp || (want_screen && !h->screen) || (!want_screen && !idle)) {
        int rc = tu_smpp_recv(g->fd, &p, resp && !want_screen ? 400 : 5000);
        if (rc == -1 && resp && !want_screen) {
            idle = 1;
            continue;
        }
        if (rc != 0) {
            char *log = tu_daemon_log(&d);
            size_t n = strlen(log);
            ck_abort_msg("no answer from kpassd (%d): resp %d screen %d; its log ends:\n%s", rc,
                         resp, h->screen, log + (n > 3000 ? n - 3000 : 0));
        }
        if (p.command_id == SMPP_SUBMIT_SM_RESP || p.command_id == SMPP_GENERIC_NACK) {
            ck_assert_uint_eq(p.sequence_number, seq);
            h->status = p.command_id == SMPP_GENERIC_NACK ? 0xFFFFFFFF : p.command_status;
            resp = 1;
        } else if (p.command_id == SMPP_DELIVER_SM || p.command_id == SMPP_DATA_SM) {
            struct kp_buf t = KP_BUF_INIT;
            struct smpp_pdu r;
            const uint8_t *raw = p.sm.short_message;
            size_t n = p.sm.sm_length;
            ck_assert_msg(!h->screen, "two screens for one MO");
            if (p.tlv.present & SMPP_TLV_MESSAGE_PAYLOAD) {
                raw = p.tlv.message_payload;
                n = p.tlv.payload_len;
            }
            ck_assert_int_ge(text_decode(raw, n, p.sm.data_coding, &t), 0);
            snprintf(h->text, sizeof(h->text), "%s", t.data ? t.data : "");
            kp_buf_free(&t);
            h->screen = 1;
            h->cmd = p.command_id;
            h->op = p.tlv.ussd_service_op;
            h->has_its = (p.tlv.present & SMPP_TLV_ITS_SESSION_INFO) != 0;
            h->its = p.tlv.its_session_info;
            h->dc = p.sm.data_coding;
            smpp_pdu_init(&r, smpp_resp_id(p.command_id), p.sequence_number);
            ck_assert_int_eq(tu_smpp_send(g->fd, &r), 0);
        } else if (p.command_id == SMPP_ENQUIRE_LINK) {
            struct smpp_pdu r;
            smpp_pdu_init(&r, SMPP_ENQUIRE_LINK_RESP, p.sequence_number);
            tu_smpp_send(g->fd, &r);
        }
    }
}

/* Send one MO of u and collect what comes back; the its sequence follows. */
static void gw_hop_raw(struct gw *g, struct dlg *u, uint8_t op, const void *raw, size_t len,
                       uint8_t dc, struct hop *h, int want_screen)
{
    struct smpp_pdu mo;

    mo_make(&mo, u, op, raw, len, dc);
    mo.sequence_number = g->seq++;
    gw_send(g, &mo);
    gw_collect(g, mo.sequence_number, h, want_screen);
    if (h->screen && h->has_its)
        u->seq = ((h->its >> 1) + 1) & 0x7F;
    else
        u->seq = (u->seq + 1) & 0x7F;
}

/* Dial (op 1) or reply (op 18) with GSM text; the screen must come, with
   status ROK.  Returns the screen's text (in h). */
static void gw_hop(struct gw *g, struct dlg *u, uint8_t op, const char *text, struct hop *h)
{
    gw_hop_raw(g, u, op, text, strlen(text), 0, h, 1);
    ck_assert_uint_eq(h->status, SMPP_ESME_ROK);
}

#define ck_screen_starts(h, want)                                                                  \
    ck_assert_msg(strncmp((h)->text, (want), strlen(want)) == 0, "screen:\n%s\nwant:\n%s",          \
                  (h)->text, (want))

/* ---- bad and strange input ---- */

/* A reply for a session kpassd does not know: the expired notice, as the
   end of the dialog (op 17, PSSR response, end bit set). */
START_TEST(test_unknown_session)
{
    struct gw g;
    struct dlg u;
    struct hop h;

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 77);
    u.seq = 4;
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
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
    struct gw g;
    struct dlg u;
    struct hop h;

    udaemon_start("[ussd]\nscreen_timeout = 1s\n");
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 3);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h); /* in time */
    ck_screen_starts(&h, DEPTS_EN);
    usleep(2200000);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_assert_str_eq(h.text, EXPIRED);
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    close(g.fd);
}
END_TEST

/* [ussd] dialog_timeout = 2s: however quick each reply, the whole dialog
   may not last longer. */
START_TEST(test_dialog_timeout)
{
    struct gw g;
    struct dlg u;
    struct hop h;
    int expired = 0;

    udaemon_start("[ussd]\ndialog_timeout = 2s\n");
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 4);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    for (int i = 0; i < 8 && !expired; i++) {
        usleep(600000);
        gw_hop(&g, &u, USSD_OP_USSR_CONF, i % 2 ? "0" : "1", &h);
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
    struct gw g;
    struct dlg u;
    struct hop h;
    uint8_t raw[255];
    char want[600];

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 9);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ck_screen_starts(&h, DEPTS_EN);
    if (bad_replies[_i].hex)
        ck_assert_int_eq(tu_hex(bad_replies[_i].hex, raw, sizeof(raw)), (int)bad_replies[_i].len);
    else
        memset(raw, 'A', bad_replies[_i].len);
    gw_hop_raw(&g, &u, USSD_OP_USSR_CONF, raw, bad_replies[_i].len, bad_replies[_i].dc, &h, 1);
    ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    snprintf(want, sizeof(want), "%s%s", INVALID, DEPTS_EN);
    ck_assert_msg(strncmp(h.text, want, strlen(want)) == 0, "%s: %s", bad_replies[_i].what,
                  h.text);
    ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
    /* and the dialog goes on where it was */
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "3", &h);
    ck_screen_starts(&h, "Health\n1 Child vaccination (EPI)\n");
    close(g.fd);
}
END_TEST

/* On an input screen the same replies get the input's own error text. */
START_TEST(test_bad_input_reply)
{
    struct gw g;
    struct dlg u;
    struct hop h;
    uint8_t raw[254];

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 10);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_str_eq(h.text, "Type a word, e.g. licence\n0 Back");
    memset(raw, 'A', sizeof(raw));
    gw_hop_raw(&g, &u, USSD_OP_USSR_CONF, raw, sizeof(raw), 0, &h, 1);
    ck_assert_str_eq(h.text, "Invalid input, please try again\nType a word, e.g. licence\n0 Back");
    gw_hop_raw(&g, &u, USSD_OP_USSR_CONF, "\xd8\x34", 2, 8, &h, 1);
    ck_assert_str_eq(h.text, "Invalid input, please try again\nType a word, e.g. licence\n0 Back");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &h); /* 41 */
    ck_assert_str_eq(h.text, "Type 2 to 40 letters\nType a word, e.g. licence\n0 Back");
    /* a UCS-2 reply that does decode is a reply like any other */
    gw_hop_raw(&g, &u, USSD_OP_USSR_CONF, "\x06\x44\x06\x27\x06\x26\x06\x33\x06\x46\x06\x33", 12,
               8, &h, 1);
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
    struct gw g;
    struct dlg u;
    struct hop h;

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    for (int choice = 1; choice <= 2; choice++) {
        dlg_init(&u, callers[choice - 1], 20 + choice);
        gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
        gw_hop(&g, &u, USSD_OP_USSR_CONF, "3", &h);
        ck_screen_starts(&h, "Health\n");
        gw_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
        ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
        ck_assert_msg(!h.screen, "a screen after the release: %s", h.text);
        /* the network gives the redial a new session */
        dlg_init(&u, callers[choice - 1], 40 + choice);
        gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
        ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
        gw_hop(&g, &u, USSD_OP_USSR_CONF, "7", &h);
        ck_screen_starts(&h, INVALID "Continue where you left off?\n");
        gw_hop(&g, &u, USSD_OP_USSR_CONF, choice == 1 ? "1" : "2", &h);
        if (choice == 1) {
            ck_screen_starts(&h, "Health\n1 Child vaccination (EPI)\n");
            gw_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h); /* the way back it had */
            ck_screen_starts(&h, DEPTS_EN);
        } else {
            ck_assert_str_eq(h.text, HOME_EN "4 Get a verification code\n5 My registration\n"
                                             "6 Language\n7 Help");
            gw_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h); /* no way back: afresh */
            ck_screen_starts(&h, INVALID HOME_EN);
        }
        gw_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    }
    /* a shortcut says where the caller wants to go: no offer */
    dlg_init(&u, callers[0], 60);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789*7#", &h);
    ck_screen_starts(&h, "Khyber Pass gives you");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "98", &h);
    ck_assert_str_eq(h.text, "CNIC. Staff never phone you for a code.\n0 Back\n00 Home");
    gw_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* and that dialog is the one a plain redial continues, on its page */
    dlg_init(&u, callers[0], 61);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_assert_str_eq(h.text, "Continue where you left off?\n1 Continue\n2 Start again");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_assert_str_eq(h.text, "CNIC. Staff never phone you for a code.\n0 Back\n00 Home");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "Khyber Pass gives you");
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
    struct gw a, b;
    struct dlg ua, ub;
    struct hop h;

    udaemon_start(NULL);
    gw_bind(&a, "gw", "gw-pw");
    gw_bind(&b, "gw2", "gw2-pw");
    dlg_init(&ua, "923001234567", 5);
    dlg_init(&ub, "923001234567", 5);
    gw_hop(&a, &ua, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    gw_hop(&b, &ub, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN); /* not a resume offer: that dialog is another partner's */
    gw_hop(&a, &ua, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    gw_hop(&b, &ub, USSD_OP_USSR_CONF, "3", &h);
    ck_screen_starts(&h, "Districts\n1 Peshawar\n");
    gw_hop(&a, &ua, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "Higher Education\n");
    gw_hop(&b, &ub, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Offices in Peshawar\n");
    gw_hop(&a, &ua, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, DEPTS_EN);
    gw_hop(&b, &ub, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "Districts\n");
    close(a.fd);
    close(b.fd);
}
END_TEST

/* A dialled shortcut walks straight down; the language a caller chooses is
   remembered at the next dial, per number. */
START_TEST(test_shortcut_and_language)
{
    struct gw g;
    struct dlg u, other;
    struct hop h;

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 1);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789*3*1#", &h);
    ck_screen_starts(&h, "Offices in Peshawar\n1 Excise & Taxation office, Peshawar\n");
    ck_assert_uint_eq(h.dc, 0);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "00", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "6", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, HOME_UR);
    ck_assert_uint_eq(h.dc, 8); /* UCS-2 */
    gw_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    /* the next dial, by shortcut so that no resume is offered: Urdu */
    dlg_init(&u, "923001234567", 2);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ck_screen_starts(&h, "محکمے\n1 ابتدائی و ثانوی تعلیم\n");
    /* another number is still in English */
    dlg_init(&other, "923007654321", 2);
    gw_hop(&g, &other, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    /* back to English, remembered too */
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "00", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "98", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "6", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, HOME_EN);
    dlg_init(&u, "923001234567", 3);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789*9#", &h);
    ck_screen_starts(&h, HOME_EN);
    close(g.fd);
}
END_TEST

/* What kpassd refuses, with the command_status, and what it only notes. */
START_TEST(test_refusals_and_notes)
{
    struct gw g;
    struct dlg u;
    struct hop h;
    char *out = NULL;

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    /* its-session profile, no its_session_info */
    dlg_init(&u, "923001234567", -1);
    gw_hop_raw(&g, &u, USSD_OP_PSSR_IND, "*789#", 5, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_RMISSINGOPTPARAM);
    ck_assert(!h.screen);
    /* a source that is not a phone number */
    dlg_init(&u, "12", 1);
    gw_hop_raw(&g, &u, USSD_OP_PSSR_IND, "*789#", 5, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_RINVSRCADR);
    ck_assert(!h.screen);
    /* a USSN confirmation and an op that is ours are noted, nothing sent */
    dlg_init(&u, "923001234567", 1);
    gw_hop_raw(&g, &u, USSD_OP_USSN_CONF, "", 0, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    ck_assert(!h.screen);
    gw_hop_raw(&g, &u, USSD_OP_USSR_REQ, "", 0, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    ck_assert(!h.screen);
    /* a hundred empty TLVs (libsmpp34 used to write past its log buffer,
       and kpassd died): refused, and the link goes on */
    {
        static uint8_t buf[SMPP_PDU_MAX + 1];
        struct smpp_pdu mo;
        int n;
        dlg_init(&u, "923001234569", 2);
        mo_make(&mo, &u, USSD_OP_PSSR_IND, "*789#", 5, 0);
        mo.sequence_number = g.seq++;
        n = smpp_pdu_encode(&mo, buf, sizeof(buf));
        ck_assert_int_gt(n, 0);
        memset(buf + n, 0, 400);
        n += 400;
        buf[2] = (uint8_t)(n >> 8);
        buf[3] = (uint8_t)n;
        ck_assert_int_eq(write(g.fd, buf, (size_t)n), n);
        gw_collect(&g, mo.sequence_number, &h, 0);
        ck_assert_uint_eq(h.status, SMPP_ESME_RINVOPTPARSTREAM);
        ck_assert(!h.screen);
        gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
        ck_screen_starts(&h, HOME_EN);
    }
    /* the umr profile: user_message_reference is needed, and echoed */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "set", "gw", "--profile", "umr", NULL),
                     0);
    free(out);
    close(g.fd);
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 1);
    gw_hop_raw(&g, &u, USSD_OP_PSSR_IND, "*789#", 5, 0, &h, 0);
    ck_assert_uint_eq(h.status, SMPP_ESME_RMISSINGOPTPARAM);
    u.session = -1;
    u.umr = 4242;
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ck_assert(!h.has_its);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    close(g.fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "refused a message: ESME_RMISSINGOPTPARAM"));
    ck_assert_ptr_nonnull(strstr(log, "refused a message: ESME_RINVSRCADR"));
    ck_assert_ptr_null(strstr(log, "300123456")); /* numbers are masked in logs */
    free(log);
}
END_TEST

/* ---- durability ---- */

/* The database passes PRAGMA integrity_check (the daemon stopped). */
static void db_check(void)
{
    char db[600];
    struct store *st;
    struct kp_buf out = KP_BUF_INIT;

    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(store_open(db, 0, &st), 0);
    ck_assert_msg(store_integrity_check(st, &out) == 0, "%s", out.data);
    kp_buf_free(&out);
    store_close(st);
}

/* kill -9 in mid-dialog: after the restart the next reply continues from
   the screen the phone last saw. */
START_TEST(test_kill9_mid_dialog)
{
    struct gw g;
    struct dlg u;
    struct hop h;

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    dlg_init(&u, "923001234567", 12);
    gw_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "2", &h);
    ck_screen_starts(&h, "Higher Education\n1 Higher education scholarship\n");
    ck_assert_int_eq(tu_daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    close(g.fd);
    db_check();
    tu_daemon_start(&d);
    gw_bind(&g, "gw", "gw-pw");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "Higher education scholarship\nFee: Free\n");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, "Higher Education\n");
    gw_hop(&g, &u, USSD_OP_USSR_CONF, "0", &h);
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
    struct gw g;
    struct dlg u[BURST];
    struct hop h;
    struct smpp_pdu mo, p;
    int shown[BURST] = {0}, checked = 0, moved = 0;

    udaemon_start(NULL);
    gw_bind(&g, "gw", "gw-pw");
    for (int i = 0; i < BURST; i++) {
        dlg_init(&u[i], "923001234567", i);
        u[i].addr[11] = (char)('0' + i % 10);
        u[i].addr[10] = (char)('0' + i / 10 % 10);
        u[i].addr[9] = (char)('0' + i / 100);
        gw_hop(&g, &u[i], USSD_OP_PSSR_IND, "*789#", &h);
        ck_screen_starts(&h, HOME_EN);
    }
    /* every dialog chooses 1 at once; kill -9 as soon as a few screens came */
    for (int i = 0; i < BURST; i++) {
        mo_make(&mo, &u[i], USSD_OP_USSR_CONF, "1", 1, 0);
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
    gw_bind(&g, "gw", "gw-pw");
    for (int i = 0; i < BURST; i++) {
        gw_hop(&g, &u[i], USSD_OP_USSR_CONF, "1", &h);
        if (shown[i]) {
            /* on Departments: 1 is its first department */
            ck_screen_starts(&h, "Elementary & Sec. Education\n");
            checked++;
        } else {
            ck_assert_msg(strncmp(h.text, DEPTS_EN, strlen(DEPTS_EN)) == 0 ||
                              strncmp(h.text, "Elementary & Sec. Education\n", 28) == 0,
                          "dialog %d: %s", i, h.text);
            moved += h.text[0] == 'E'; /* committed, never sent */
        }
    }
    close(g.fd);
    ck_assert_int_ge(checked, 1);
    if (getenv("KP_TEST_VERBOSE"))
        fprintf(stderr, "kill9 burst: %d of %d screens sent, %d more committed\n", checked,
                BURST, moved);
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
    struct gw g;
    struct dlg old, neu;
    struct hop h;
    char dir[700], file[800];

    /* no resume: each dial below begins afresh */
    tu_daemon_prepare(&d, "[ussd]\nresume_window = 0\n");
    menus_copy(dir, sizeof(dir));
    udaemon_seed();
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", NULL, "partner", "add", "gw", NULL), 0);
    tu_daemon_start(&d);
    gw_bind(&g, "gw", "gw-pw");
    log_wait("29 screens", 1);

    /* broken: an option to a screen that does not exist */
    snprintf(file, sizeof(file), "%s/main.menu", dir);
    file_edit(file, "-> help\n", "-> helpdesk\n");
    kill(d.pid, SIGHUP);
    log_wait("menus refused, the running ones stay", 1);
    char *log = tu_daemon_log(&d);
    ck_assert_msg(strstr(log, "main.menu:") && strstr(log, "helpdesk"), "%s", log);
    free(log);
    dlg_init(&old, "923001234567", 1);
    gw_hop(&g, &old, USSD_OP_PSSR_IND, "*789*7#", &h);
    ck_screen_starts(&h, "Khyber Pass gives you provincial services");

    /* good: a new title and a new department heading */
    file_edit(file, "-> helpdesk\n", "-> help\n");
    file_edit(file, "title \"Khyber Pass\" ", "title \"Khyber Pass KP\" ");
    snprintf(file, sizeof(file), "%s/services.menu", dir);
    file_edit(file, "text \"Departments\" ", "text \"All departments\" ");
    dlg_init(&old, "923001234567", 2);
    gw_hop(&g, &old, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    kill(d.pid, SIGHUP);
    log_wait("29 screens", 2);
    /* the dialog in flight stays on its graph */
    gw_hop(&g, &old, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    gw_hop(&g, &old, USSD_OP_USSR_CONF, "0", &h);
    ck_screen_starts(&h, HOME_EN);
    /* a new one gets the new menus */
    dlg_init(&neu, "923007654321", 3);
    gw_hop(&g, &neu, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, "Khyber Pass KP\n1 Find a service\n");
    gw_hop(&g, &neu, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, "All departments\n1 Elementary & Sec. Education\n");
    /* and the old one still has the old */
    gw_hop(&g, &old, USSD_OP_USSR_CONF, "1", &h);
    ck_screen_starts(&h, DEPTS_EN);
    /* a broken reload now keeps the new graph, not the first */
    file_edit(file, "text \"All departments\" ", "text \"All departments ");
    kill(d.pid, SIGHUP);
    log_wait("menus refused, the running ones stay", 2);
    dlg_init(&neu, "923007654321", 4);
    gw_hop(&g, &neu, USSD_OP_PSSR_IND, "*789*1#", &h);
    ck_screen_starts(&h, "All departments\n");
    close(g.fd);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    db_check();
}
END_TEST

Suite *suite_ussd_daemon(void)
{
    Suite *s = suite_create("ussd_daemon");
    TCase *bad = tcase_create("input");
    TCase *dur = tcase_create("durability");

    tcase_add_checked_fixture(bad, NULL, udaemon_teardown);
    tcase_set_timeout(bad, 90);
    tcase_add_test(bad, test_unknown_session);
    tcase_add_test(bad, test_screen_timeout);
    tcase_add_test(bad, test_dialog_timeout);
    tcase_add_loop_test(bad, test_bad_reply, 0, (int)KP_ARRAY_LEN(bad_replies));
    tcase_add_test(bad, test_bad_input_reply);
    tcase_add_test(bad, test_release_and_resume);
    tcase_add_test(bad, test_two_partners_same_session);
    tcase_add_test(bad, test_shortcut_and_language);
    tcase_add_test(bad, test_refusals_and_notes);
    suite_add_tcase(s, bad);
    tcase_add_checked_fixture(dur, NULL, udaemon_teardown);
    tcase_set_timeout(dur, 90);
    tcase_add_test(dur, test_kill9_mid_dialog);
    tcase_add_test(dur, test_kill9_burst);
    tcase_add_test(dur, test_sighup_menus);
    suite_add_tcase(s, dur);
    return s;
}
