/* SPDX-License-Identifier: ISC */
/*
 * Optional parameters (TLVs, SMPP 3.4 §3.2.4 and §5.3), read by kpass and
 * never by libsmpp34.  libsmpp34 (1.14) logs every field and TLV it unpacks
 * into smpp34_strerror, 2048 octets, and once that is full goes on writing
 * past its end (its PUTLOG adds snprintf's would-be length to the pointer):
 * a body with a few dozen TLVs from a bound partner overwrote memory and
 * killed kpassd, and libsmpp34 walks TLVs its own way (fixed sizes for some
 * tags whatever their length says), so no count of ours could bound its
 * log.  So pdu.c hands libsmpp34 only the mandatory part, whose log is
 * bounded (about 30 fields, octet strings logged as "<bin>"), and the TLVs
 * are walked here by their declared lengths.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "smpp_internal.h"

/* The mandatory fields before the TLVs (SMPP 3.4 §4.1.2, §4.4.1, §4.6.1,
   §4.7.1, §4.7.2): c a C-octet string, 1 an octet, m sm_length and its
   short_message; NULL for a body without TLVs. */
static const char *tlv_layout(uint32_t id)
{
    switch (id) {
    case SMPP_SUBMIT_SM:
    case SMPP_DELIVER_SM:
        return "c11c11c111cc1111m";
    case SMPP_DATA_SM:
        return "c11c11c111";
    case SMPP_DATA_SM_RESP:
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSCEIVER_RESP:
        return "c";
    default:
        return NULL;
    }
}

size_t smpp_tlv_start(const uint8_t *buf, size_t len, uint32_t command_id)
{
    const char *f = tlv_layout(command_id);
    size_t off = SMPP_HEADER_LEN;

    if (f == NULL)
        return 0;
    for (; *f; f++) {
        if (off >= len)
            return 0; /* the mandatory part is cut short */
        if (*f == 'c') {
            size_t n = strnlen((const char *)buf + off, len - off);
            if (n == len - off)
                return 0; /* no terminator */
            off += n + 1;
        } else if (*f == '1') {
            off++;
        } else {
            off += 1 + (size_t)buf[off];
        }
    }
    return off <= len ? off : 0;
}

static int tlv_refuse(struct smpp_decode_error *err, uint32_t status)
{
    err->nack = 0;
    err->status = status;
    return -KP_ERR_PARSE;
}

/* The length SMPP 3.4 §5.3.2 gives a tag kpass reads, or 0 for any. */
static unsigned tlv_size(uint16_t tag)
{
    switch (tag) {
    case SMPP_TAG_USER_MESSAGE_REFERENCE: /* §5.3.2.17 */
    case SMPP_TAG_SAR_MSG_REF_NUM:        /* §5.3.2.22 */
    case SMPP_TAG_ITS_SESSION_INFO:       /* §5.3.2.43 */
        return 2;
    case SMPP_TAG_SAR_TOTAL_SEGMENTS:   /* §5.3.2.23 */
    case SMPP_TAG_SAR_SEGMENT_SEQNUM:   /* §5.3.2.24 */
    case SMPP_TAG_SC_INTERFACE_VERSION: /* §5.3.2.25 */
    case SMPP_TAG_MESSAGE_STATE:        /* §5.3.2.35 */
    case SMPP_TAG_USSD_SERVICE_OP:      /* §5.3.2.44 */
        return 1;
    case SMPP_TAG_NETWORK_ERROR_CODE: /* §5.3.2.31 */
        return 3;
    default:
        return 0;
    }
}

/* One TLV kpass reads into t; *sar collects the three SAR parts. */
static int tlv_take(uint16_t tag, const uint8_t *v, size_t n, struct smpp_tlvs *t, unsigned *sar,
                    struct smpp_decode_error *err)
{
    unsigned want = tlv_size(tag);

    if (want && n != want)
        return tlv_refuse(err, SMPP_ESME_RINVPARLEN);
    switch (tag) {
    case SMPP_TAG_RECEIPTED_MESSAGE_ID: /* §5.3.2.12: a C-octet string of up to 65 */
        if (n > 65)
            return tlv_refuse(err, SMPP_ESME_RINVPARLEN);
        n = strnlen((const char *)v, n);
        memcpy(t->receipted_message_id, v, n < 64 ? n : 64);
        t->receipted_message_id[n < 64 ? n : 64] = '\0';
        t->present |= SMPP_TLV_RECEIPTED_MESSAGE_ID;
        break;
    case SMPP_TAG_USER_MESSAGE_REFERENCE:
        t->user_message_reference = (uint16_t)(v[0] << 8 | v[1]);
        t->present |= SMPP_TLV_USER_MESSAGE_REFERENCE;
        break;
    case SMPP_TAG_SAR_MSG_REF_NUM:
        t->sar_msg_ref_num = (uint16_t)(v[0] << 8 | v[1]);
        *sar |= 1;
        break;
    case SMPP_TAG_SAR_TOTAL_SEGMENTS:
        t->sar_total_segments = v[0];
        *sar |= 2;
        break;
    case SMPP_TAG_SAR_SEGMENT_SEQNUM:
        t->sar_segment_seqnum = v[0];
        *sar |= 4;
        break;
    case SMPP_TAG_SC_INTERFACE_VERSION:
        t->sc_interface_version = v[0];
        t->present |= SMPP_TLV_SC_INTERFACE_VERSION;
        break;
    case SMPP_TAG_NETWORK_ERROR_CODE:
        memcpy(t->network_error_code, v, 3);
        t->present |= SMPP_TLV_NETWORK_ERROR_CODE;
        break;
    case SMPP_TAG_MESSAGE_PAYLOAD: /* §5.3.2.32; kpass takes up to SMPP_PAYLOAD_MAX */
        if (n > SMPP_PAYLOAD_MAX)
            return tlv_refuse(err, SMPP_ESME_RINVPARLEN);
        memcpy(t->message_payload, v, n);
        t->payload_len = (uint16_t)n;
        t->present |= SMPP_TLV_MESSAGE_PAYLOAD;
        break;
    case SMPP_TAG_MESSAGE_STATE:
        t->message_state = v[0];
        t->present |= SMPP_TLV_MESSAGE_STATE;
        break;
    case SMPP_TAG_USSD_SERVICE_OP:
        t->ussd_service_op = v[0];
        t->present |= SMPP_TLV_USSD_SERVICE_OP;
        break;
    case SMPP_TAG_ITS_SESSION_INFO:
        t->its_session_info = (uint16_t)(v[0] << 8 | v[1]);
        t->present |= SMPP_TLV_ITS_SESSION_INFO;
        break;
    default:
        break; /* §3.2.4: optional parameters we do not use are ignored */
    }
    return 0;
}

int smpp_tlvs_parse(const uint8_t *p, size_t n, unsigned max, struct smpp_tlvs *t,
                    struct smpp_decode_error *err)
{
    unsigned count = 0, sar = 0;
    int rc;

    while (n > 0) {
        size_t vlen;
        uint16_t tag;

        if (n < 4 || ++count > max)
            return tlv_refuse(err, SMPP_ESME_RINVOPTPARSTREAM); /* §5.1.3 */
        tag = (uint16_t)(p[0] << 8 | p[1]);
        vlen = (size_t)p[2] << 8 | p[3];
        if (vlen > n - 4)
            return tlv_refuse(err, SMPP_ESME_RINVOPTPARSTREAM);
        if ((rc = tlv_take(tag, p + 4, vlen, t, &sar, err)) < 0)
            return rc;
        p += 4 + vlen;
        n -= 4 + vlen;
    }
    if (sar == 7)
        t->present |= SMPP_TLV_SAR;
    return 0;
}
