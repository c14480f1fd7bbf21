/* SPDX-License-Identifier: ISC */
/*
 * SMS: splitting a text into SMPP PDUs (GSM 7-bit or UCS-2, with a
 * concatenation UDH or one message_payload), reading delivery receipts
 * (TLVs or the "id:... stat:..." text of SMPP 3.4 Appendix B), and the
 * outbox state machine (which outcome leads where, retry backoff).  Pure.
 */
#ifndef KPASS_SMS_H
#define KPASS_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/smpp/pdu.h"
#include "kpass/store/sms.h"
#include "kpass/text/text.h"

/* ---- splitting ---- */

enum sms_long {
    SMS_LONG_UDH = 0,     /* one PDU per part, 3GPP TS 23.040 §9.2.3.24.1 concatenation UDH */
    SMS_LONG_PAYLOAD = 1, /* one PDU, the whole text in message_payload (SMPP 3.4 §5.3.2.32) */
};

#define SMS_MAX_PARTS 8

struct sms_parts {
    enum text_enc enc;
    unsigned n;                  /* number of PDUs */
    unsigned total_units;        /* septets or UTF-16 units of the whole text */
    uint16_t len[SMS_MAX_PARTS]; /* octets of each part, UDH included */
    uint8_t data[SMS_MAX_PARTS][SMPP_PAYLOAD_MAX];
    int udh; /* parts carry a UDH (esm_class UDHI, 0x40) */
};

/*
 * Split UTF-8 text for sending.  A text that fits one SMS (160 GSM 7-bit
 * characters, 70 UCS-2) is one part without UDH; a longer one is cut into
 * parts of 153 / 67 characters (never splitting an extension-table pair or
 * a surrogate pair) with UDH reference ref, or kept whole for
 * SMS_LONG_PAYLOAD.  Returns 0, -KP_ERR_ENCODING or -KP_ERR_TOOLONG (more
 * than SMS_MAX_PARTS parts).
 */
int sms_split(const char *text, size_t len, enum sms_long mode, uint8_t ref, struct sms_parts *out);

/* ---- delivery receipts ---- */

/* message_state values, SMPP 3.4 §5.2.28 */
enum sms_msg_state {
    SMS_MS_ENROUTE = 1,
    SMS_MS_DELIVERED = 2,
    SMS_MS_EXPIRED = 3,
    SMS_MS_DELETED = 4,
    SMS_MS_UNDELIVERABLE = 5,
    SMS_MS_ACCEPTED = 6,
    SMS_MS_UNKNOWN = 7,
    SMS_MS_REJECTED = 8,
};

struct sms_receipt {
    char message_id[65];
    int state;   /* enum sms_msg_state, or 0 when unknown */
    char err[8]; /* the "err:" field of the text form, when given */
};

/*
 * Is this PDU (deliver_sm or data_sm) a delivery receipt?  Then read it:
 * receipted_message_id + message_state TLVs first, else the text form
 * "id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm
 * stat:DDDDDDD err:E text:...".  Returns 1 (a receipt, out filled), 0 (not
 * a receipt), or -KP_ERR_PARSE (flagged as a receipt but unreadable).
 */
int sms_receipt_parse(const struct smpp_pdu *pdu, struct sms_receipt *out);
/* "DELIVRD" -> SMS_MS_DELIVERED ...; 0 when unknown. */
int sms_receipt_stat(const char *stat);

/* ---- the outbox state machine ---- */

/* The states themselves (enum sms_state) are the outbox row's: store_sms.h. */
int sms_state_final(enum sms_state s);

/* What happened to an attempt. */
enum sms_event {
    SMS_EV_ACCEPTED, /* *_resp ESME_ROK */
    SMS_EV_TEMPFAIL, /* throttled, queue full, timeout, link lost, no link bound */
    SMS_EV_PERMFAIL, /* any other refusal */
    SMS_EV_RECEIPT,  /* a delivery receipt (with its message_state) */
    SMS_EV_EXPIRE,   /* the validity period passed */
};

struct sms_rules {
    unsigned max_attempts;  /* attempts before FAILED */
    unsigned backoff_min_s; /* first retry delay */
    unsigned backoff_max_s; /* cap */
};

#define SMS_RULES_DEFAULT                                                                          \
    {                                                                                              \
        10, 2, 300                                                                                 \
    }

/* Is this command_status worth retrying (SMPP 3.4 §5.1.3)? */
int sms_status_temporary(uint32_t status);

/*
 * The next state after ev in state s, at attempt number attempts (1 for the
 * first); *retry_in_s is the delay before the next attempt when the result
 * is SMS_QUEUED.  receipt_state is the message_state for SMS_EV_RECEIPT.
 * A final state never changes.
 */
enum sms_state sms_next(enum sms_state s, enum sms_event ev, int receipt_state, unsigned attempts,
                        const struct sms_rules *r, unsigned *retry_in_s);

#endif
