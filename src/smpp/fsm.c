/* SPDX-License-Identifier: ISC */
/*
 * The link state machine's table: for each PDU a peer may send, which bind
 * states allow it, by role.  SMPP 3.4 §2.3 (session states), §4 ("issued
 * by" for each PDU), §5.1.3 (the status for each refusal).
 */
#include "kpass/smpp/fsm.h"
#include "kpass/smpp/pdu.h"

/* Bitmask of states. */
#define S(x)  (1u << (x))
#define BTX   S(SMPP_LINK_BOUND_TX)
#define BRX   S(SMPP_LINK_BOUND_RX)
#define BTRX  S(SMPP_LINK_BOUND_TRX)
#define BOUND (BTX | BRX | BTRX)
#define ANY   0xFFFFu

/* One row: a request the peer may send, the states it is allowed in for
   each role, the verdict when allowed, and the status when refused. */
struct fsm_row {
    uint32_t command_id;
    unsigned as_smsc; /* states allowed when we are the SMSC (peer is ESME) */
    unsigned as_esme; /* states allowed when we are the ESME (peer is SMSC) */
    enum smpp_fsm_verdict verdict;
    uint32_t unsupported; /* non-zero: allowed, but kpass refuses it with this status */
};

static const struct fsm_row fsm_rows[] = {
    /* §4.1: an ESME binds to an SMSC; in OPEN state only */
    {SMPP_BIND_TRANSMITTER, S(SMPP_LINK_OPEN), 0, SMPP_FSM_BIND, 0},
    {SMPP_BIND_RECEIVER, S(SMPP_LINK_OPEN), 0, SMPP_FSM_BIND, 0},
    {SMPP_BIND_TRANSCEIVER, S(SMPP_LINK_OPEN), 0, SMPP_FSM_BIND, 0},
    /* §4.2: either side, bound (and answering a crossing unbind) */
    {SMPP_UNBIND, BOUND | S(SMPP_LINK_UNBINDING), BOUND | S(SMPP_LINK_UNBINDING), SMPP_FSM_UNBIND,
     0},
    /* §4.11: either side; SMPP 5.0 §2.4 also allows it before binding */
    {SMPP_ENQUIRE_LINK, ANY & ~S(SMPP_LINK_CLOSED), ANY & ~S(SMPP_LINK_CLOSED), SMPP_FSM_ENQUIRE,
     0},
    /* §4.4: ESME -> SMSC on a transmitter or transceiver bind */
    {SMPP_SUBMIT_SM, BTX | BTRX, 0, SMPP_FSM_ACCEPT, 0},
    /* §4.6: SMSC -> ESME on a receiver or transceiver bind */
    {SMPP_DELIVER_SM, 0, BRX | BTRX, SMPP_FSM_ACCEPT, 0},
    /* §4.7: both directions */
    {SMPP_DATA_SM, BTX | BTRX, BRX | BTRX, SMPP_FSM_ACCEPT, 0},
    /* §4.5, §4.8-§4.10: valid, not offered by kpass: refused with their own failure status */
    {SMPP_SUBMIT_MULTI, BTX | BTRX, 0, SMPP_FSM_REFUSE, SMPP_ESME_RSUBMITFAIL},
    {SMPP_QUERY_SM, BTX | BTRX, 0, SMPP_FSM_REFUSE, SMPP_ESME_RQUERYFAIL},
    {SMPP_CANCEL_SM, BTX | BTRX, 0, SMPP_FSM_REFUSE, SMPP_ESME_RCANCELFAIL},
    {SMPP_REPLACE_SM, BTX | BTRX, 0, SMPP_FSM_REFUSE, SMPP_ESME_RREPLACEFAIL},
    /* §4.1.7, §4.12: no response exists for these */
    {SMPP_OUTBIND, ANY, ANY, SMPP_FSM_IGNORE, 0},
    {SMPP_ALERT_NOTIFICATION, ANY, ANY, SMPP_FSM_IGNORE, 0},
};

int smpp_fsm_is_bound(enum smpp_link_state st)
{
    return st == SMPP_LINK_BOUND_TX || st == SMPP_LINK_BOUND_RX || st == SMPP_LINK_BOUND_TRX;
}

static const struct fsm_row *fsm_find(uint32_t command_id)
{
    for (size_t i = 0; i < sizeof(fsm_rows) / sizeof(fsm_rows[0]); i++)
        if (fsm_rows[i].command_id == command_id)
            return &fsm_rows[i];
    return NULL;
}

struct smpp_fsm_result smpp_fsm_classify(enum smpp_role role, enum smpp_link_state st,
                                         uint32_t command_id)
{
    struct smpp_fsm_result r = {SMPP_FSM_NACK, SMPP_ESME_RINVCMDID};
    const struct fsm_row *row;
    unsigned allowed;

    if (smpp_is_resp(command_id)) {
        /* Responses never get one; unknown ones are dropped by the matcher. */
        r.verdict = smpp_command_name(command_id) ? SMPP_FSM_RESPONSE : SMPP_FSM_IGNORE;
        r.status = 0;
        return r;
    }
    row = fsm_find(command_id);
    if (row == NULL)
        return r; /* §3.3: generic_nack ESME_RINVCMDID for an unknown command */
    allowed = role == SMPP_ROLE_SMSC ? row->as_smsc : row->as_esme;
    if (allowed & S(st)) {
        r.verdict = row->verdict;
        r.status = row->unsupported;
        return r;
    }
    if (row->verdict == SMPP_FSM_IGNORE) {
        r.verdict = SMPP_FSM_IGNORE;
        r.status = 0;
        return r;
    }
    r.verdict = SMPP_FSM_REFUSE;
    /* §5.1.3: a bind on a link that is already bound is ESME_RALYBND. */
    if (row->verdict == SMPP_FSM_BIND && role == SMPP_ROLE_SMSC &&
        (smpp_fsm_is_bound(st) || st == SMPP_LINK_BINDING))
        r.status = SMPP_ESME_RALYBND;
    else
        r.status = SMPP_ESME_RINVBNDSTS;
    return r;
}

enum smpp_link_state smpp_fsm_bound_state(uint32_t bind_command_id)
{
    switch (bind_command_id) {
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_TRANSMITTER_RESP:
        return SMPP_LINK_BOUND_TX;
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_RECEIVER_RESP:
        return SMPP_LINK_BOUND_RX;
    default:
        return SMPP_LINK_BOUND_TRX;
    }
}

int smpp_fsm_may_send(enum smpp_role role, enum smpp_link_state st, uint32_t command_id)
{
    const struct fsm_row *row;
    unsigned allowed;

    switch (command_id) {
    case SMPP_ENQUIRE_LINK:
        return st != SMPP_LINK_CLOSED && st != SMPP_LINK_UNBOUND;
    case SMPP_UNBIND:
        return smpp_fsm_is_bound(st);
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSCEIVER:
        return role == SMPP_ROLE_ESME && (st == SMPP_LINK_OPEN || st == SMPP_LINK_BINDING);
    default:
        break;
    }
    row = fsm_find(command_id);
    if (row == NULL || row->verdict != SMPP_FSM_ACCEPT)
        return 0;
    /* What a peer in the other role may send us is what we may send it:
       as SMSC we deliver on the ESME's receiver/transceiver bind, which the
       table lists under as_esme (the ESME's view of the same state). */
    allowed = role == SMPP_ROLE_SMSC ? row->as_esme : row->as_smsc;
    return (allowed & S(st)) != 0;
}
