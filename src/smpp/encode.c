/* SPDX-License-Identifier: ISC */
/*
 * SMPP 3.4 encoding: mandatory parameters of the hot PDUs by sm.c, of the
 * session PDUs (and of everything, for the differential tests) through
 * libsmpp34; optional
 * parameters (TLVs, SMPP 3.4 §3.2.4) appended here so that no TLV list has
 * to be allocated per PDU, and the header written last by us (libsmpp34
 * refuses sequence number 0 and statuses it does not know; we must be able
 * to answer both).
 */
#include <string.h>

#include <stdint.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"
#include "smpp_internal.h"

union enc_raw {
    bind_transmitter_t bind;
    bind_transmitter_resp_t bind_resp;
    submit_sm_t submit;
    submit_sm_resp_t submit_resp;
    deliver_sm_t deliver;
    deliver_sm_resp_t deliver_resp;
    data_sm_t data;
    data_sm_resp_t data_resp;
    query_sm_resp_t query_resp;
    submit_multi_resp_t multi_resp;
};

static void enc_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void enc_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Copy a C string into a libsmpp34 field; -KP_ERR_INVAL when it is too long. */
static int enc_cstr(uint8_t *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size);

    if (n >= size)
        return -KP_ERR_INVAL;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

#define ENC_CSTR(dst, src)                                                                         \
    do {                                                                                           \
        if (enc_cstr((dst), sizeof(dst), (src)) < 0)                                               \
            return -KP_ERR_INVAL;                                                                  \
    } while (0)

/* Fill the libsmpp34 struct for pdu's command; -KP_ERR_INVAL if unsupported. */
static int enc_fill(const struct smpp_pdu *pdu, union enc_raw *r)
{
    switch (pdu->command_id) {
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSCEIVER:
        ENC_CSTR(r->bind.system_id, pdu->bind.system_id);
        ENC_CSTR(r->bind.password, pdu->bind.password);
        ENC_CSTR(r->bind.system_type, pdu->bind.system_type);
        r->bind.interface_version = 0x34; /* what we speak, SMPP 3.4 §5.2.4 */
        r->bind.addr_ton = pdu->bind.addr_ton;
        r->bind.addr_npi = pdu->bind.addr_npi;
        ENC_CSTR(r->bind.address_range, pdu->bind.address_range);
        return 0;
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSCEIVER_RESP:
        ENC_CSTR(r->bind_resp.system_id, pdu->bind.system_id);
        return 0;
    case SMPP_SUBMIT_SM:
        SMPP_SM_FIELDS(&r->submit, &pdu->sm, ENC_CSTR);
        SMPP_SHORT_SM_FIELDS(&r->submit, &pdu->sm, ENC_CSTR);
        return 0;
    case SMPP_DELIVER_SM:
        SMPP_SM_FIELDS(&r->deliver, &pdu->sm, ENC_CSTR);
        SMPP_SHORT_SM_FIELDS(&r->deliver, &pdu->sm, ENC_CSTR);
        return 0;
    case SMPP_DATA_SM:
        SMPP_SM_FIELDS(&r->data, &pdu->sm, ENC_CSTR);
        return 0;
    case SMPP_SUBMIT_SM_RESP:
        ENC_CSTR(r->submit_resp.message_id, pdu->message_id);
        return 0;
    case SMPP_DELIVER_SM_RESP:
        return 0; /* message_id unused, a single NUL (SMPP 3.4 §4.6.2) */
    case SMPP_DATA_SM_RESP:
        ENC_CSTR(r->data_resp.message_id, pdu->message_id);
        return 0;
    case SMPP_QUERY_SM_RESP:
    case SMPP_SUBMIT_MULTI_RESP:
        return 0; /* only sent as refusals: empty fields */
    default:
        return -KP_ERR_INVAL;
    }
}

/* Append one TLV; -KP_ERR_TOOLONG when it does not fit. */
static int enc_tlv(uint8_t *buf, size_t cap, size_t *pos, uint16_t tag, const void *val,
                   uint16_t len)
{
    if (*pos + 4u + len > cap)
        return -KP_ERR_TOOLONG;
    enc_put16(buf + *pos, tag);
    enc_put16(buf + *pos + 2, len);
    if (len)
        memcpy(buf + *pos + 4, val, len);
    *pos += 4u + len;
    return 0;
}

static int enc_tlv16(uint8_t *buf, size_t cap, size_t *pos, uint16_t tag, uint16_t v)
{
    uint8_t b[2];

    enc_put16(b, v);
    return enc_tlv(buf, cap, pos, tag, b, 2);
}

static int enc_tlvs(const struct smpp_tlvs *t, uint8_t *buf, size_t cap, size_t *pos)
{
    int rc = 0;

    if (t->present & SMPP_TLV_USSD_SERVICE_OP)
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_USSD_SERVICE_OP, &t->ussd_service_op, 1);
    if (t->present & SMPP_TLV_ITS_SESSION_INFO)
        rc |= enc_tlv16(buf, cap, pos, SMPP_TAG_ITS_SESSION_INFO, t->its_session_info);
    if (t->present & SMPP_TLV_USER_MESSAGE_REFERENCE)
        rc |= enc_tlv16(buf, cap, pos, SMPP_TAG_USER_MESSAGE_REFERENCE, t->user_message_reference);
    if (t->present & SMPP_TLV_SAR) {
        rc |= enc_tlv16(buf, cap, pos, SMPP_TAG_SAR_MSG_REF_NUM, t->sar_msg_ref_num);
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_SAR_TOTAL_SEGMENTS, &t->sar_total_segments, 1);
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_SAR_SEGMENT_SEQNUM, &t->sar_segment_seqnum, 1);
    }
    if (t->present & SMPP_TLV_SC_INTERFACE_VERSION)
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_SC_INTERFACE_VERSION, &t->sc_interface_version, 1);
    if (t->present & SMPP_TLV_RECEIPTED_MESSAGE_ID)
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_RECEIPTED_MESSAGE_ID, t->receipted_message_id,
                      (uint16_t)(strnlen(t->receipted_message_id, 64) + 1));
    if (t->present & SMPP_TLV_MESSAGE_STATE)
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_MESSAGE_STATE, &t->message_state, 1);
    if (t->present & SMPP_TLV_NETWORK_ERROR_CODE)
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_NETWORK_ERROR_CODE, t->network_error_code, 3);
    if (t->present & SMPP_TLV_MESSAGE_PAYLOAD) {
        if (t->payload_len > SMPP_PAYLOAD_MAX)
            return -KP_ERR_INVAL;
        rc |= enc_tlv(buf, cap, pos, SMPP_TAG_MESSAGE_PAYLOAD, t->message_payload, t->payload_len);
    }
    return rc ? -KP_ERR_TOOLONG : 0;
}

/* Commands that may carry optional parameters, SMPP 3.4 §4. */
static int enc_has_tlvs(uint32_t id)
{
    switch (id) {
    case SMPP_SUBMIT_SM:
    case SMPP_DELIVER_SM:
    case SMPP_DATA_SM:
    case SMPP_DATA_SM_RESP:
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSCEIVER_RESP:
        return 1;
    default:
        return 0;
    }
}

/* The mandatory part through libsmpp34: its length, or -KP_ERR_INVAL. */
static int enc_libsmpp34(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap)
{
    union enc_raw raw;
    int len = 0;

    memset(&raw, 0, sizeof(raw));
    if (enc_fill(pdu, &raw) < 0)
        return -KP_ERR_INVAL;
    /* Header placeholders libsmpp34 accepts; the real values are written below.
       A response's status matters to libsmpp34: submit_sm_resp has no
       message_id when the status is not 0 (SMPP 3.4 §4.4.2). */
    raw.submit.command_id = pdu->command_id;
    raw.submit.command_status = pdu->command_status ? SMPP_ESME_RUNKNOWNERR : 0;
    raw.submit.sequence_number = 1;
    /* libsmpp34 wants one octet more room than it writes; a failure here is
       a field it refuses or a buffer too small, which callers avoid by
       passing SMPP_PDU_MAX + 1 octets. */
    if (smpp34_pack(pdu->command_id, buf, (int)cap, &len, &raw) != 0)
        return -KP_ERR_INVAL;
    return len;
}

static int enc_pdu(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap, int pure)
{
    size_t pos;
    int rc;

    if (smpp_command_header_only(pdu->command_id)) {
        if (cap < SMPP_HEADER_LEN)
            return -KP_ERR_TOOLONG;
        smpp_pdu_encode_header(buf, pdu->command_id, pdu->command_status, pdu->sequence_number);
        return SMPP_HEADER_LEN;
    }
    if (cap > SMPP_PDU_MAX + 1)
        cap = SMPP_PDU_MAX + 1;
    if (pure && smpp_sm_handles(pdu->command_id)) {
        if ((rc = smpp_sm_encode(pdu, buf, cap, &pos)) < 0)
            return rc;
    } else {
        if ((rc = enc_libsmpp34(pdu, buf, cap)) < 0)
            return rc;
        pos = (size_t)rc;
    }
    if (enc_has_tlvs(pdu->command_id) && enc_tlvs(&pdu->tlv, buf, cap, &pos) < 0)
        return -KP_ERR_TOOLONG;
    if (pos > SMPP_PDU_MAX)
        return -KP_ERR_TOOLONG;
    enc_put32(buf, (uint32_t)pos);
    enc_put32(buf + 4, pdu->command_id);
    enc_put32(buf + 8, pdu->command_status);
    enc_put32(buf + 12, pdu->sequence_number);
    return (int)pos;
}

int smpp_pdu_encode(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap)
{
    return enc_pdu(pdu, buf, cap, 1);
}

int smpp_pdu_encode_libsmpp34(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap)
{
    return enc_pdu(pdu, buf, cap, 0);
}
