/* SPDX-License-Identifier: ISC */
/*
 * Concatenated SMS put back together on the receiving side (kpass phone):
 * the parts of one message carry a reference, a count and a number,
 * either in a User Data Header (3GPP TS 23.040 §9.2.3.24.1, IE 0x00 with
 * an 8-bit reference; §9.2.3.24.8, IE 0x08 with a 16-bit one; esm_class
 * UDHI, SMPP 3.4 §5.2.12) or in the sar_msg_ref_num, sar_total_segments
 * and sar_segment_seqnum parameters (SMPP 3.4 §5.3.2.22-24).  Parts may
 * come in any order and twice; the whole message is handed back once,
 * its user data joined (not decoded: a UCS-2 character or a GSM escape
 * may straddle two parts).  Pure: no clock but the caller's, no I/O.
 */
#ifndef KPASS_SMS_CONCAT_H
#define KPASS_SMS_CONCAT_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/smpp/pdu.h"

#define SMS_CONCAT_SLOTS   8      /* messages waiting for parts at once; the oldest goes first */
#define SMS_CONCAT_PARTS   16     /* parts a message may have */
#define SMS_CONCAT_WAIT_MS 120000 /* a message missing parts this long is dropped */

/* Where one short message stands in its message. */
struct sms_concat_info {
    int concat;     /* 1: a part of a longer message; 0: whole */
    unsigned ref;   /* the message's reference */
    unsigned total; /* its parts, 2..SMS_CONCAT_PARTS */
    unsigned seq;   /* this part's number, 1..total */
    size_t skip;    /* octets of UDH before the user data (0 without one) */
};

/*
 * Read where p's user data (data, len: its short_message or
 * message_payload) stands: a UDH when esm_class has UDHI (0x40), else the
 * sar_* parameters.  A UDH without a concatenation element is skipped and
 * the message is whole.  0, or -KP_ERR_PARSE (a UDH longer than the data,
 * a count of 0 or 1, a number of 0 or over the count, more than
 * SMS_CONCAT_PARTS parts).
 */
int sms_concat_info(const struct smpp_pdu *p, const uint8_t *data, size_t len,
                    struct sms_concat_info *out);

struct sms_concat;

struct sms_concat *sms_concat_new(void);
void sms_concat_free(struct sms_concat *c);

/*
 * Add the part of message (from, info->ref, info->total) whose user data
 * is data[0..len) (UDH already skipped), coded as dc, at now_ms.  Returns
 * 1 when that completes the message: out holds all its user data in order
 * and *dc_out the data coding; 0 while parts are missing (or this one was
 * seen already); -KP_ERR_PARSE when the parts disagree on the coding.
 */
int sms_concat_add(struct sms_concat *c, const char *from, const struct sms_concat_info *info,
                   uint8_t dc, const uint8_t *data, size_t len, uint64_t now_ms, struct kp_buf *out,
                   uint8_t *dc_out);

/* Messages still missing parts (after dropping those older than SMS_CONCAT_WAIT_MS). */
unsigned sms_concat_pending(struct sms_concat *c, uint64_t now_ms);

#endif
