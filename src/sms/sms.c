/* SPDX-License-Identifier: ISC */
/*
 * SMS text splitting, delivery receipt parsing, and the outbox state
 * machine (see sms.h).  Pure.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/buf.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/sms/sms.h"

/* 3GPP TS 23.038 / 23.040: one SMS holds 160 septets or 140 octets (70 UCS-2
   characters); a concatenation UDH (6 octets, §9.2.3.24.1) leaves 153 / 67. */
#define SMS_GSM7_SINGLE 160
#define SMS_GSM7_PART   153
#define SMS_UCS2_SINGLE 70
#define SMS_UCS2_PART   67

static int sms_put(struct sms_parts *out, const uint8_t *udh, size_t udhlen, const char *text,
                   size_t len)
{
    struct kp_buf b = KP_BUF_INIT;
    unsigned i = out->n;

    if (i == SMS_MAX_PARTS)
        return -KP_ERR_TOOLONG;
    if (text_encode(text, len, out->enc, &b) < 0) {
        kp_buf_free(&b);
        return -KP_ERR_ENCODING;
    }
    if (udhlen + b.len > SMPP_PAYLOAD_MAX) {
        kp_buf_free(&b);
        return -KP_ERR_TOOLONG;
    }
    if (udhlen) /* udh is NULL for a single part: memcpy(NULL, 0) is undefined */
        memcpy(out->data[i], udh, udhlen);
    if (b.len)
        memcpy(out->data[i] + udhlen, b.data, b.len);
    out->len[i] = (uint16_t)(udhlen + b.len);
    out->n++;
    kp_buf_free(&b);
    return 0;
}

int sms_split(const char *text, size_t len, enum sms_long mode, uint8_t ref, struct sms_parts *out)
{
    int units;
    unsigned single, part;
    size_t cuts[SMS_MAX_PARTS + 1], pos = 0;
    unsigned n = 0;

    memset(out, 0, offsetof(struct sms_parts, data));
    out->udh = 0;
    out->enc = text_choose(text, len);
    units = text_units(text, len, out->enc);
    if (units < 0)
        return -KP_ERR_ENCODING;
    out->total_units = (unsigned)units;
    single = out->enc == TEXT_GSM7 ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
    part = out->enc == TEXT_GSM7 ? SMS_GSM7_PART : SMS_UCS2_PART;
    if ((unsigned)units <= single || mode == SMS_LONG_PAYLOAD)
        return sms_put(out, NULL, 0, text, len);

    /* Cut at character boundaries: text_fit never splits an ESC pair or a
       surrogate pair. */
    cuts[0] = 0;
    while (pos < len) {
        size_t take = text_fit(text + pos, len - pos, out->enc, part);
        if (take == 0)
            return -KP_ERR_ENCODING;
        if (n == SMS_MAX_PARTS)
            return -KP_ERR_TOOLONG;
        pos += take;
        cuts[++n] = pos;
    }
    out->udh = 1;
    for (unsigned i = 0; i < n; i++) {
        /* IEI 0x00: concatenated short messages, 8-bit reference */
        uint8_t udh[6] = {0x05, 0x00, 0x03, ref, (uint8_t)n, (uint8_t)(i + 1)};
        int rc = sms_put(out, udh, sizeof(udh), text + cuts[i], cuts[i + 1] - cuts[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static const struct {
    const char *stat;
    int state;
} sms_stats[] = {
    {"ENROUTE", SMS_MS_ENROUTE}, {"DELIVRD", SMS_MS_DELIVERED},     {"EXPIRED", SMS_MS_EXPIRED},
    {"DELETED", SMS_MS_DELETED}, {"UNDELIV", SMS_MS_UNDELIVERABLE}, {"ACCEPTD", SMS_MS_ACCEPTED},
    {"UNKNOWN", SMS_MS_UNKNOWN}, {"REJECTD", SMS_MS_REJECTED},
};

int sms_receipt_stat(const char *stat)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(sms_stats); i++)
        if (strcmp(stat, sms_stats[i].stat) == 0)
            return sms_stats[i].state;
    return 0;
}

/* Copy the value after "key:" in text (up to a space) into out; 0 or -1. */
static int sms_field(const char *text, const char *key, char *out, size_t size)
{
    const char *p = text;
    size_t klen = strlen(key);

    while ((p = strstr(p, key)) != NULL) {
        /* a whole key: at the start or after a space, followed by ':' */
        if ((p == text || p[-1] == ' ') && p[klen] == ':')
            break;
        p += klen;
    }
    if (p == NULL)
        return -1;
    p += klen + 1;
    size_t n = strcspn(p, " ");
    if (n == 0 || n >= size)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int sms_receipt_parse(const struct smpp_pdu *pdu, struct sms_receipt *out)
{
    int flagged = (pdu->sm.esm_class & 0x3C) == 0x04; /* SMPP 3.4 §5.2.12: SMSC receipt */
    char text[256], stat[16];
    size_t n;

    memset(out, 0, sizeof(*out));
    if (pdu->tlv.present & SMPP_TLV_RECEIPTED_MESSAGE_ID) {
        memcpy(out->message_id, pdu->tlv.receipted_message_id, sizeof(out->message_id));
        if (pdu->tlv.present & SMPP_TLV_MESSAGE_STATE)
            out->state = pdu->tlv.message_state;
        if (out->state)
            return 1;
        flagged = 1; /* the id is known; the state may be in the text */
    }
    if (!flagged)
        return 0;
    /* The text form (SMPP 3.4 Appendix B); it is ASCII in practice. */
    n = pdu->sm.sm_length;
    const uint8_t *raw = pdu->sm.short_message;
    if (n == 0 && (pdu->tlv.present & SMPP_TLV_MESSAGE_PAYLOAD)) {
        n = pdu->tlv.payload_len;
        raw = pdu->tlv.message_payload;
    }
    if (n >= sizeof(text))
        n = sizeof(text) - 1;
    for (size_t i = 0; i < n; i++)
        text[i] = raw[i] >= 0x20 && raw[i] < 0x7F ? (char)raw[i] : ' ';
    text[n] = '\0';
    if (out->message_id[0] == '\0' &&
        sms_field(text, "id", out->message_id, sizeof(out->message_id)) < 0)
        return -KP_ERR_PARSE;
    if (sms_field(text, "stat", stat, sizeof(stat)) == 0)
        out->state = sms_receipt_stat(stat);
    sms_field(text, "err", out->err, sizeof(out->err));
    return out->state ? 1 : -KP_ERR_PARSE;
}

int sms_state_final(enum sms_state s)
{
    return s == SMS_DELIVERED || s == SMS_UNDELIVERABLE || s == SMS_EXPIRED || s == SMS_FAILED;
}

int sms_status_temporary(uint32_t status)
{
    switch (status) {
    case SMPP_ESME_RTHROTTLED:
    case SMPP_ESME_RMSGQFUL:
    case SMPP_ESME_RSYSERR:
    case SMPP_ESME_RX_T_APPN:
        return 1;
    default:
        return 0;
    }
}

enum sms_state sms_next(enum sms_state s, enum sms_event ev, int receipt_state, unsigned attempts,
                        const struct sms_rules *r, unsigned *retry_in_s)
{
    *retry_in_s = 0;
    if (sms_state_final(s))
        return s;
    switch (ev) {
    case SMS_EV_ACCEPTED:
        return s == SMS_SENDING ? SMS_SENT : s;
    case SMS_EV_TEMPFAIL:
        if (s != SMS_SENDING)
            return s;
        if (attempts >= r->max_attempts)
            return SMS_FAILED;
        /* Capped exponential backoff: min, 2min, 4min, ... max. */
        *retry_in_s = r->backoff_min_s;
        for (unsigned i = 1; i < attempts && *retry_in_s < r->backoff_max_s; i++)
            *retry_in_s *= 2;
        if (*retry_in_s > r->backoff_max_s)
            *retry_in_s = r->backoff_max_s;
        return SMS_QUEUED;
    case SMS_EV_PERMFAIL:
        return s == SMS_SENDING ? SMS_FAILED : s;
    case SMS_EV_RECEIPT:
        switch (receipt_state) {
        case SMS_MS_DELIVERED:
            return SMS_DELIVERED;
        case SMS_MS_EXPIRED:
            return SMS_EXPIRED;
        case SMS_MS_UNDELIVERABLE:
        case SMS_MS_REJECTED:
        case SMS_MS_DELETED:
            return SMS_UNDELIVERABLE;
        default:
            return s; /* ENROUTE, ACCEPTD, UNKNOWN: not final yet */
        }
    case SMS_EV_EXPIRE:
        /* Never sent within its validity.  In flight: wait for the answer;
           accepted: the receipt may still come (the text is scrubbed anyway). */
        return s == SMS_QUEUED ? SMS_EXPIRED : s;
    }
    return s;
}
