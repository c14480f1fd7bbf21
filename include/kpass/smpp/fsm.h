/* SPDX-License-Identifier: ISC */
/*
 * The SMPP link state machine as a table: what to do with a PDU the peer
 * sends, given our role and the link's state (SMPP 3.4 §2.3, §2.4 and the
 * per-PDU "issued by" rules of §4).  Pure; the link code acts on the verdict.
 */
#ifndef KPASS_SMPP_FSM_H
#define KPASS_SMPP_FSM_H

#include <stdint.h>

#include "kpass/smpp/smpp.h"

enum smpp_fsm_verdict {
    SMPP_FSM_ACCEPT = 0, /* give it to the upper layer (submit_sm, deliver_sm, data_sm) */
    SMPP_FSM_BIND,       /* authenticate and answer bind_*_resp */
    SMPP_FSM_UNBIND,     /* answer unbind_resp, go UNBOUND, close */
    SMPP_FSM_ENQUIRE,    /* answer enquire_link_resp */
    SMPP_FSM_RESPONSE,   /* match with our outstanding request */
    SMPP_FSM_REFUSE,     /* answer the command's own *_resp with status */
    SMPP_FSM_NACK,       /* answer generic_nack with status */
    SMPP_FSM_IGNORE,     /* a PDU that has no response (outbind, alert_notification) */
};

struct smpp_fsm_result {
    enum smpp_fsm_verdict verdict;
    uint32_t status; /* for REFUSE and NACK */
};

/* Classify a PDU with command_id arriving on a link in state st, role role. */
struct smpp_fsm_result smpp_fsm_classify(enum smpp_role role, enum smpp_link_state st,
                                         uint32_t command_id);

/* The state a successful bind of this command_id leads to. */
enum smpp_link_state smpp_fsm_bound_state(uint32_t bind_command_id);
/* True in BOUND_TX, BOUND_RX, BOUND_TRX. */
int smpp_fsm_is_bound(enum smpp_link_state st);
/* May we send command_id (a request) in st with role role? */
int smpp_fsm_may_send(enum smpp_role role, enum smpp_link_state st, uint32_t command_id);

#endif
