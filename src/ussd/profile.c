/* SPDX-License-Identifier: ISC */
/*
 * Partner profiles and the mapping between SMPP PDUs and USSD dialog
 * events (DESIGN.md §4; SMPP 3.4 §5.3.2.44 ussd_service_op, §5.3.2.43
 * its_session_info, §5.3.2.17 user_message_reference).
 */
#include <stdio.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/ussd/ussd.h"

/* 0x81 is the "user abort/release" value several gateways send (DESIGN.md §4). */
static const struct ussd_profile profiles[] = {
    {"its-session", USSD_SID_ITS, USSD_REPLY_AUTO, {0x81}, 1},
    {"umr", USSD_SID_UMR, USSD_REPLY_AUTO, {0x81}, 1},
    {"msisdn", USSD_SID_MSISDN, USSD_REPLY_AUTO, {0x81}, 1},
    {"data-sm", USSD_SID_MSISDN, USSD_REPLY_DATA_SM, {0x81}, 1},
};

const struct ussd_profile *ussd_profile_find(const char *name)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(profiles); i++)
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

const struct ussd_profile *ussd_profile_list(size_t *n)
{
    *n = KP_ARRAY_LEN(profiles);
    return profiles;
}

static enum ussd_kind ussd_kind_of(const struct ussd_profile *p, uint8_t op)
{
    switch (op) {
    case USSD_OP_PSSD_IND:
    case USSD_OP_PSSR_IND:
        return USSD_BEGIN;
    case USSD_OP_USSR_CONF:
        return USSD_CONTINUE;
    case USSD_OP_USSN_CONF:
        return USSD_NOTIFY_CONF;
    default:
        for (unsigned i = 0; i < p->nabort; i++)
            if (p->abort_ops[i] == op)
                return USSD_ABORT;
        /* An MT value (2, 3, 16, 17) or an unknown one arriving as MO:
           the gateway ended the dialog on its side. */
        return USSD_ABORT;
    }
}

/*
 * The session key from its parts (prefix, a number or none, the MSISDN,
 * the service or none), without snprintf on every hop: the parts are
 * bounded (at most 45 characters with the longest MSISDN and service),
 * so the key always fits.
 */
static void ussd_key(char key[64], const char *prefix, int has_num, uint32_t num, const char *a,
                     const char *b)
{
    char digits[10];
    size_t n = strlen(prefix), k = 0;

    memcpy(key, prefix, n);
    if (has_num) {
        do
            digits[k++] = (char)('0' + num % 10);
        while ((num /= 10) != 0);
        while (k)
            key[n++] = digits[--k];
        key[n++] = ':';
    }
    k = strnlen(a, 16);
    memcpy(key + n, a, k);
    n += k;
    if (b) {
        key[n++] = ':';
        k = strnlen(b, 21);
        memcpy(key + n, b, k);
        n += k;
    }
    key[n] = '\0';
}

/* The message text: short_message, or message_payload (data_sm, long texts). */
static void ussd_mo_text(const struct smpp_pdu *pdu, struct ussd_mo *out)
{
    const uint8_t *raw = pdu->sm.short_message;
    size_t n = pdu->sm.sm_length;
    struct kp_buf b = KP_BUF_INIT;

    if (pdu->tlv.present & SMPP_TLV_MESSAGE_PAYLOAD) {
        raw = pdu->tlv.message_payload;
        n = pdu->tlv.payload_len;
    }
    out->text[0] = '\0';
    out->text_len = 0;
    if (n == 0)
        return;
    /* A NUL (UCS-2 or IA5 0x00) is no character a keypad sends, and the
       text must stay one C string: such a text is undecodable too. */
    if (text_decode(raw, n, pdu->sm.data_coding, &b) < 0 || b.len >= sizeof(out->text) ||
        (b.len && memchr(b.data, '\0', b.len) != NULL)) {
        out->bad_text = 1;
    } else {
        memcpy(out->text, b.data, b.len + 1);
        out->text_len = b.len;
    }
    kp_buf_free(&b);
}

int ussd_mo_parse(const struct ussd_profile *p, const struct smpp_pdu *pdu, struct ussd_mo *out,
                  uint32_t *status)
{
    enum msisdn_fault fault;
    size_t n;

    memset(out, 0, offsetof(struct ussd_mo, text) + 1);
    if (!(pdu->tlv.present & SMPP_TLV_USSD_SERVICE_OP)) {
        out->kind = USSD_NONE;
        return 0;
    }
    out->op = pdu->tlv.ussd_service_op;
    out->kind = ussd_kind_of(p, out->op);
    out->src_ton = pdu->sm.source_addr_ton;
    out->src_npi = pdu->sm.source_addr_npi;
    out->dst_ton = pdu->sm.dest_addr_ton;
    out->dst_npi = pdu->sm.dest_addr_npi;
    memcpy(out->src_addr, pdu->sm.source_addr, sizeof(out->src_addr));
    memcpy(out->dst_addr, pdu->sm.destination_addr, sizeof(out->dst_addr));
    n = strnlen(pdu->sm.destination_addr, sizeof(out->service) - 1);
    memcpy(out->service, pdu->sm.destination_addr, n);
    out->service[n] = '\0';
    if (msisdn_from_smpp(pdu->sm.source_addr_ton, pdu->sm.source_addr_npi, pdu->sm.source_addr,
                         out->msisdn, &fault) < 0) {
        *status = SMPP_ESME_RINVSRCADR;
        return -KP_ERR_INVAL;
    }
    if (pdu->tlv.present & SMPP_TLV_ITS_SESSION_INFO) {
        out->has_its = 1;
        out->its = pdu->tlv.its_session_info;
    }
    if (pdu->tlv.present & SMPP_TLV_USER_MESSAGE_REFERENCE) {
        out->has_umr = 1;
        out->umr = pdu->tlv.user_message_reference;
    }
    /* The session key: the MSISDN is always part of it, so that two users
       with the same session number at one gateway never meet. */
    switch (p->sid) {
    case USSD_SID_ITS:
        if (!out->has_its) {
            *status = SMPP_ESME_RMISSINGOPTPARAM;
            return -KP_ERR_INVAL;
        }
        ussd_key(out->key, "its:", 1, out->its >> 8, out->msisdn, NULL);
        break;
    case USSD_SID_UMR:
        if (!out->has_umr) {
            *status = SMPP_ESME_RMISSINGOPTPARAM;
            return -KP_ERR_INVAL;
        }
        ussd_key(out->key, "umr:", 1, out->umr, out->msisdn, NULL);
        break;
    case USSD_SID_MSISDN:
        ussd_key(out->key, "msisdn:", 0, 0, out->msisdn, out->service);
        break;
    }
    ussd_mo_text(pdu, out);
    return 0;
}

int ussd_mt_build(const struct ussd_mo *mo, uint32_t command_id, const char *text, size_t len,
                  enum text_enc enc, int end, struct smpp_pdu *out)
{
    struct kp_buf b = KP_BUF_INIT;
    int rc = 0;

    smpp_pdu_init(out, command_id, 0);
    if (text_encode(text, len, enc, &b) < 0) {
        rc = -KP_ERR_ENCODING;
        goto out;
    }
    /* The reply goes back the way the message came: addresses swapped. */
    out->sm.source_addr_ton = mo->dst_ton;
    out->sm.source_addr_npi = mo->dst_npi;
    memcpy(out->sm.source_addr, mo->dst_addr, sizeof(out->sm.source_addr));
    out->sm.dest_addr_ton = mo->src_ton;
    out->sm.dest_addr_npi = mo->src_npi;
    memcpy(out->sm.destination_addr, mo->src_addr, sizeof(out->sm.destination_addr));
    strcpy(out->sm.service_type, "USSD");
    out->sm.data_coding = (uint8_t)enc; /* 0 GSM 7-bit, 8 UCS-2 (SMPP 3.4 §5.2.19) */
    if (command_id == SMPP_DATA_SM) {
        if (b.len > SMPP_PAYLOAD_MAX) {
            rc = -KP_ERR_TOOLONG;
            goto out;
        }
        out->tlv.present |= SMPP_TLV_MESSAGE_PAYLOAD;
        out->tlv.payload_len = (uint16_t)b.len;
        memcpy(out->tlv.message_payload, b.data, b.len);
    } else {
        if (b.len > 254) {
            rc = -KP_ERR_TOOLONG;
            goto out;
        }
        out->sm.sm_length = (uint8_t)b.len;
        memcpy(out->sm.short_message, b.data, b.len);
    }
    out->tlv.present |= SMPP_TLV_USSD_SERVICE_OP;
    out->tlv.ussd_service_op = end ? USSD_OP_PSSR_RESP : USSD_OP_USSR_REQ;
    if (mo->has_its) {
        /* §5.3.2.43: same session number; the next sequence number
           (7 bits); the end-of-session bit set on the last screen. */
        unsigned seq = ((mo->its >> 1) + 1) & 0x7F;
        out->tlv.present |= SMPP_TLV_ITS_SESSION_INFO;
        out->tlv.its_session_info = (uint16_t)((mo->its & 0xFF00) | seq << 1 | (end ? 1 : 0));
    }
    if (mo->has_umr) {
        out->tlv.present |= SMPP_TLV_USER_MESSAGE_REFERENCE;
        out->tlv.user_message_reference = mo->umr;
    }
out:
    kp_buf_free(&b);
    return rc;
}
