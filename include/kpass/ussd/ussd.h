/* SPDX-License-Identifier: ISC */
/*
 * USSD over SMPP (DESIGN.md §4): partner profiles, turning a PDU into a
 * dialog event (begin, continue, abort) with its session identity, and
 * building the reply PDU for a screen.  Pure: no sockets, no store.
 *
 * ussd_service_op, SMPP 3.4 §5.3.2.44:
 *   MO  1 PSSR indication  begin (also 0 PSSD indication)
 *   MT  2 USSR request     continue: the screen, waiting for a reply
 *   MO 18 USSR confirm     the user's reply
 *   MT 17 PSSR response    end: the final screen
 *   MT  3 USSN request     a notification pushed to the user
 *   MO 19 USSN confirm     its acknowledgement
 *   MO 32..255             vendor values a profile may name as release/abort
 */
#ifndef KPASS_USSD_H
#define KPASS_USSD_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/smpp/pdu.h"
#include "kpass/text/text.h"

enum ussd_op {
    USSD_OP_PSSD_IND = 0,
    USSD_OP_PSSR_IND = 1,
    USSD_OP_USSR_REQ = 2,
    USSD_OP_USSN_REQ = 3,
    USSD_OP_PSSD_RESP = 16,
    USSD_OP_PSSR_RESP = 17,
    USSD_OP_USSR_CONF = 18,
    USSD_OP_USSN_CONF = 19,
};

/* How a partner names its sessions (DESIGN.md §4). */
enum ussd_sid {
    USSD_SID_ITS = 0,    /* its_session_info (0x1383): session number, sequence, end bit */
    USSD_SID_UMR = 1,    /* user_message_reference (0x0204) */
    USSD_SID_MSISDN = 2, /* the MSISDN and the service code */
};

/* Which PDU carries our screens. */
enum ussd_reply {
    USSD_REPLY_AUTO = 0, /* deliver_sm to an ESME bound to us, submit_sm when we are the ESME */
    USSD_REPLY_DATA_SM = 1,
};

#define USSD_MAX_ABORT_OPS 8

struct ussd_profile {
    char name[32];
    enum ussd_sid sid;
    enum ussd_reply reply;
    uint8_t abort_ops[USSD_MAX_ABORT_OPS]; /* MO values meaning "the user released" */
    unsigned nabort;
};

/* The built-in profiles: its-session, umr, msisdn, data-sm.  NULL if unknown. */
const struct ussd_profile *ussd_profile_find(const char *name);
const struct ussd_profile *ussd_profile_list(size_t *n);

enum ussd_kind {
    USSD_NONE = 0,    /* not a USSD message (no ussd_service_op) */
    USSD_BEGIN,       /* the user dialled */
    USSD_CONTINUE,    /* the user answered a screen */
    USSD_ABORT,       /* the user or the network released the dialog */
    USSD_NOTIFY_CONF, /* the user acknowledged a notification */
};

#define USSD_TEXT_MAX 1024 /* UTF-8 bytes of one decoded message (182 chars x 4 fit) */

/* A mobile-originated USSD message. */
struct ussd_mo {
    enum ussd_kind kind;
    uint8_t op;
    char msisdn[17];  /* E.164, "+923001234567" */
    char service[22]; /* the address dialled (destination_addr), e.g. "789" */
    char key[64];     /* the session key within the partner, per profile */
    int has_its;
    uint16_t its; /* as received, echoed (sequence + 1) on replies */
    int has_umr;
    uint16_t umr; /* as received, echoed on replies */
    uint8_t src_ton, src_npi, dst_ton, dst_npi;
    char src_addr[65], dst_addr[65]; /* as received, mirrored on replies */
    int bad_text;                    /* the text could not be decoded (invalid UCS-2, ...) */
    size_t text_len;
    char text[USSD_TEXT_MAX]; /* UTF-8, NUL-terminated */
};

/*
 * Read a submit_sm, deliver_sm or data_sm as a USSD message under profile p.
 * Returns 0 (out->kind may be USSD_NONE for a plain SMS), or -KP_ERR_INVAL
 * with *status the command_status to answer with (no source address,
 * a source that is not a phone number, no session identity the profile
 * needs).
 */
int ussd_mo_parse(const struct ussd_profile *p, const struct smpp_pdu *pdu, struct ussd_mo *out,
                  uint32_t *status);

/*
 * Build the reply to mo carrying text (UTF-8, already within the partner's
 * limits for enc) as command_id (SMPP_DELIVER_SM, SMPP_SUBMIT_SM or
 * SMPP_DATA_SM): addresses mirrored, data_coding from enc, ussd_service_op
 * 2 (continue) or 17 (end), the session TLVs echoed.  Returns 0 or
 * -KP_ERR_TOOLONG / -KP_ERR_ENCODING.
 */
int ussd_mt_build(const struct ussd_mo *mo, uint32_t command_id, const char *text, size_t len,
                  enum text_enc enc, int end, struct smpp_pdu *out);

#endif
