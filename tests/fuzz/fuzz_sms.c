/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the pure SMS core.  The first byte picks what the rest is:
 *   even: the text of a message for sms_split() (bit 1: message_payload
 *         mode).  A text that splits must come back whole when its parts
 *         are decoded and joined, every part within one SMS (3GPP TS
 *         23.040 §9.2.3.24.1 UDH, 153 septets / 67 UCS-2 characters), the
 *         UDH numbering its parts 1..n;
 *   odd:  a delivery receipt for sms_receipt_parse(): the next byte sets
 *         esm_class and which TLVs are present (receipted_message_id,
 *         message_state, message_payload), then the id, then the text.  A
 *         receipt read as one has a known state and a terminated id.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/core/err.h"
#include "kpass/sms/sms.h"

static void fuzz_sms_split(const uint8_t *data, size_t size, int payload)
{
    static struct sms_parts p;
    struct kp_buf all = KP_BUF_INIT;
    const char *text = (const char *)data;
    int rc = sms_split(text, size, payload ? SMS_LONG_PAYLOAD : SMS_LONG_UDH, 0x5A, &p);

    if (rc < 0) {
        if (rc != -KP_ERR_ENCODING && rc != -KP_ERR_TOOLONG)
            abort();
        return;
    }
    if (p.n < 1 || p.n > SMS_MAX_PARTS || (p.n > 1) != (p.udh != 0))
        abort();
    for (unsigned i = 0; i < p.n; i++) {
        unsigned off = p.udh ? 6 : 0;
        if (p.len[i] > SMPP_PAYLOAD_MAX || p.len[i] < off)
            abort();
        if (p.udh) {
            const uint8_t *u = p.data[i];
            if (u[0] != 5 || u[1] != 0 || u[2] != 3 || u[3] != 0x5A || u[4] != p.n || u[5] != i + 1)
                abort();
            if (p.len[i] > 6 + (p.enc == TEXT_GSM7 ? 153u : 134u))
                abort();
        } else if (!payload && p.len[i] > (p.enc == TEXT_GSM7 ? 160u : 140u)) {
            abort();
        }
        if (text_decode(p.data[i] + off, p.len[i] - off, (int)p.enc, &all) < 0)
            abort();
    }
    /* Decoded and joined, the parts are the text again. */
    if (all.len != size || memcmp(all.data, text, size) != 0)
        abort();
    kp_buf_free(&all);
}

static void fuzz_sms_receipt(const uint8_t *data, size_t size)
{
    static struct smpp_pdu pdu;
    struct sms_receipt r;
    uint8_t h0, h1;
    int rc;

    if (size < 2)
        return;
    h0 = data[0];
    h1 = data[1];
    data += 2;
    size -= 2;
    memset(&pdu, 0, sizeof(pdu));
    pdu.command_id = SMPP_DELIVER_SM;
    pdu.sm.esm_class = (uint8_t)(h0 & 0x3C); /* 0x04: an SMSC delivery receipt */
    if (h0 & 0x40) {
        size_t idlen = h1 % 65 < size ? h1 % 65 : size;
        pdu.tlv.present |= SMPP_TLV_RECEIPTED_MESSAGE_ID;
        memcpy(pdu.tlv.receipted_message_id, data, idlen);
        pdu.tlv.receipted_message_id[idlen < 64 ? idlen : 64] = '\0';
        data += idlen;
        size -= idlen;
    }
    if (h0 & 0x80) {
        pdu.tlv.present |= SMPP_TLV_MESSAGE_STATE;
        pdu.tlv.message_state = h1 % 10;
    }
    if (h0 & 0x02) {
        pdu.tlv.present |= SMPP_TLV_MESSAGE_PAYLOAD;
        pdu.tlv.payload_len = (uint16_t)(size > SMPP_PAYLOAD_MAX ? SMPP_PAYLOAD_MAX : size);
        memcpy(pdu.tlv.message_payload, data, pdu.tlv.payload_len);
    } else {
        pdu.sm.sm_length = (uint8_t)(size > 254 ? 254 : size);
        memcpy(pdu.sm.short_message, data, pdu.sm.sm_length);
    }
    rc = sms_receipt_parse(&pdu, &r);
    if (rc != 1 && rc != 0 && rc != -KP_ERR_PARSE)
        abort();
    if (rc == 1 && (r.state == 0 || memchr(r.message_id, '\0', sizeof(r.message_id)) == NULL ||
                    memchr(r.err, '\0', sizeof(r.err)) == NULL))
        abort();
    if (rc == 1) {
        static const struct sms_rules rules = SMS_RULES_DEFAULT;
        unsigned retry;
        enum sms_state to = sms_next(SMS_SENT, SMS_EV_RECEIPT, r.state, 1, &rules, &retry);
        if ((unsigned)to >= SMS_STATE_MAX || retry != 0)
            abort();
    }
}

KP_FUZZ_TARGET(sms)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_sms_receipt(data + 1, size - 1);
    else
        fuzz_sms_split(data + 1, size - 1, data[0] & 2);
    return 0;
}
