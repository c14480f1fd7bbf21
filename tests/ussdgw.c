/* SPDX-License-Identifier: ISC */
/*
 * A USSD gateway for tests (see ussdgw.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/buf.h"
#include "kpass/text/text.h"
#include "smpputil.h"
#include "ussdgw.h"

/* The seed's directory in the prepared daemon's database. */
void ug_seed(struct tu_daemon *d)
{
    char seed[1024], *out = NULL;

    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    ck_assert_msg(tu_kpass(d, NULL, &out, "import", "seed", seed, NULL) == 0, "%s", out);
    free(out);
}

void ug_daemon_start(struct tu_daemon *d, const char *extra_conf)
{
    char *out = NULL;
    int rc;

    tu_daemon_prepare(d, extra_conf);
    ug_seed(d);
    rc = tu_kpass(d, "gw-pw\n", &out, "partner", "add", "gw", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    rc = tu_kpass(d, "gw2-pw\n", &out, "partner", "add", "gw2", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    tu_daemon_start(d);
}

void ug_bind(struct ug_gw *g, struct tu_daemon *d, const char *system_id, const char *password)
{
    uint32_t status = 0xFFFF;

    g->d = d;
    g->fd = tu_smpp_bind(d->smpp_port, SMPP_BIND_TRANSCEIVER, system_id, password, &status);
    ck_assert_int_ge(g->fd, 0);
    ck_assert_uint_eq(status, SMPP_ESME_ROK);
    g->seq = 2;
}

void ug_dlg_init(struct ug_dlg *u, const char *addr, int session)
{
    snprintf(u->addr, sizeof(u->addr), "%s", addr);
    u->session = session;
    u->seq = 0;
    u->umr = -1;
}

/* An MO (submit_sm, SMPP 3.4 §4.4.1) of u with op and raw text in dc. */
void ug_mo_make(struct smpp_pdu *p, const struct ug_dlg *u, uint8_t op, const void *raw, size_t len,
                uint8_t dc)
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
void ug_send(struct ug_gw *g, const struct smpp_pdu *mo)
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
void ug_collect(struct ug_gw *g, uint32_t seq, struct ug_hop *h, int want_screen)
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
            char *log = tu_daemon_log(g->d);
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
            h->screen_after_resp = resp;
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
void ug_hop_raw(struct ug_gw *g, struct ug_dlg *u, uint8_t op, const void *raw, size_t len,
                uint8_t dc, struct ug_hop *h, int want_screen)
{
    struct smpp_pdu mo;

    ug_mo_make(&mo, u, op, raw, len, dc);
    mo.sequence_number = g->seq++;
    ug_send(g, &mo);
    ug_collect(g, mo.sequence_number, h, want_screen);
    if (h->screen && h->has_its)
        u->seq = ((h->its >> 1) + 1) & 0x7F;
    else
        u->seq = (u->seq + 1) & 0x7F;
}

/* Dial (op 1) or reply (op 18) with GSM text; the screen must come, with
   status ROK.  Returns the screen's text (in h). */
void ug_hop(struct ug_gw *g, struct ug_dlg *u, uint8_t op, const char *text, struct ug_hop *h)
{
    ug_hop_raw(g, u, op, text, strlen(text), 0, h, 1);
    ck_assert_uint_eq(h->status, SMPP_ESME_ROK);
    ck_assert_msg(h->screen_after_resp, "the screen came before the MO's submit_sm_resp");
}
