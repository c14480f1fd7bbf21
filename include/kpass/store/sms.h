/* SPDX-License-Identifier: ISC */
/*
 * The SMS outbox in the store.  A message is committed here before anyone
 * is told it was sent; the dispatcher (src/sms/outbox.c) moves it through
 * the states of sms.h.  A code message is stored as its text without the
 * code plus the code sealed under a key outside the database; both are
 * scrubbed (set to NULL) once it reaches a final state or its validity
 * passes.
 */
#ifndef KPASS_STORE_SMS_H
#define KPASS_STORE_SMS_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/otp.h"
#include "kpass/store/store.h"

#define STORE_SMS_BODY_MAX 1200

/*
 * The state column of an outbox row.  The store owns the values (its
 * rows hold them by name); which event leads from one to the next is the
 * dispatcher's state machine (sms_next, sms.h).  The names keep their
 * historical sms_ prefix; they are the outbox's, not the codec's.
 */
enum sms_state {
    SMS_QUEUED = 0,    /* waiting for its next attempt */
    SMS_SENDING,       /* handed to a link, no response yet */
    SMS_SENT,          /* accepted by the partner, waiting for a receipt */
    SMS_DELIVERED,     /* final: the receipt says delivered */
    SMS_UNDELIVERABLE, /* final: the receipt says it could not be delivered */
    SMS_EXPIRED,       /* final: its validity passed */
    SMS_FAILED,        /* final: refused for good, or out of attempts */
    SMS_STATE_MAX
};

/* "queued", "sending", ...; "?" for no state. */
const char *sms_state_name(enum sms_state s);
/* The state named name, or -KP_ERR_INVAL. */
int sms_state_parse(const char *name);

struct store_sms {
    int64_t id;
    char msisdn[17];
    char body[STORE_SMS_BODY_MAX]; /* "" once scrubbed; a code message's lacks its code */
    int code_at;                   /* where the code goes in body (octets), -1: nothing to insert */
    uint8_t code_box[OTP_SEALED_BYTES]; /* the code, sealed (otp_code_seal) */
    int concat_ref; /* concatenation reference of its parts, -1: not chosen yet */
    int scrubbed;
    int is_code;      /* a one-time code message: scrub after a final state */
    char subject[65]; /* CNIC index hex, or "" */
    enum sms_state state;
    int64_t partner_id; /* 0: not sent yet */
    unsigned attempts;
    int64_t next_attempt_at;
    int64_t expires_at;
    char message_id[65]; /* of the first part */
    unsigned parts;
    uint32_t last_status;
    int64_t created_at;
    int64_t updated_at;
};

/* Queue a message (inside the caller's transaction when it has one).
   subject: the citizen's CNIC index (hex) for the audit log, or NULL. */
int store_sms_queue(struct store *st, const char *msisdn, const char *body, int is_code,
                    const char *subject, int64_t expires_at, int64_t now, int64_t *id);
/*
 * Queue a code message: body is its text without the code, which goes in
 * at octet code_at and is kept only sealed (box, otp_code_seal()): the
 * database never holds the code (scrubbing drops the box too).  As
 * store_sms_queue otherwise.
 */
int store_sms_queue_code(struct store *st, const char *msisdn, const char *body, int code_at,
                         const uint8_t box[OTP_SEALED_BYTES], const char *subject,
                         int64_t expires_at, int64_t now, int64_t *id);
/* Keep the concatenation reference a message's parts carry, so that a part
   sent again after a crash is the same part.  0 or -KP_ERR_DB. */
int store_sms_set_ref(struct store *st, int64_t id, int ref);
/* Up to max queued messages due at now, oldest first.  Count or -KP_ERR_DB. */
int store_sms_due(struct store *st, int64_t now, struct store_sms *out, int max);
/* Move a message to state with its attempt bookkeeping (partner_id 0
   keeps the one recorded).  1 when it moved, 0 when it is already in a
   final state (or does not exist): final states never change.  < 0 on error. */
int store_sms_update(struct store *st, int64_t id, enum sms_state state, unsigned attempts,
                     int64_t next_attempt_at, int64_t partner_id, uint32_t last_status,
                     int64_t now);
/*
 * The cluster's claims (store_shared(), doc/cluster.md 5.3).  node is the
 * claiming node's [daemon] node name; times are in seconds.
 *
 * store_sms_claim: up to max queued messages due at now become SENDING,
 * claimed by node until lease_until, and are returned (PostgreSQL: FOR
 * UPDATE SKIP LOCKED, so nodes claiming at once never get the same row).
 * Count or -KP_ERR_DB.  Commit before sending any of them.
 */
int store_sms_claim(struct store *st, const char *node, int64_t now, int64_t lease_until,
                    struct store_sms *out, int max);
/* The node still works on its SENDING messages: their lease runs to
   lease_until (a lease already passed is not revived: another node may
   be taking the message over).  0 or -KP_ERR_DB. */
int store_sms_renew(struct store *st, const char *node, int64_t now, int64_t lease_until);
/* SENDING messages whose lease passed (their node died or lost the
   database) go back to QUEUED; how many (each possibly sent twice). */
int store_sms_takeover(struct store *st, int64_t now);
/* At a node's start: its own SENDING messages from before (and unleased
   ones) go back to QUEUED; how many.  Other nodes' claims stay. */
int store_sms_recover_node(struct store *st, const char *node, int64_t now);
/* store_sms_update for the node holding the claim: 1 when it moved, 0
   when the message is no longer SENDING under node's claim. */
int store_sms_settle(struct store *st, const char *node, int64_t id, enum sms_state state,
                     unsigned attempts, int64_t next_attempt_at, int64_t partner_id,
                     uint32_t last_status, int64_t now);
/* Record the part-th part accepted (1, 2, ...): the message's parts counts
   them; a message_id (for receipts; empty or NULL when the answer carried
   none, as deliver_sm_resp does) is kept, and the message's is part 1's. */
int store_sms_part(struct store *st, int64_t id, unsigned part, int64_t partner_id,
                   const char *message_id);
/* The message a receipt names: 0 with *id and *state, or -KP_ERR_NOTFOUND. */
int store_sms_by_message_id(struct store *st, int64_t partner_id, const char *message_id,
                            struct store_sms *out);
/* Queued messages whose validity passed become EXPIRED; returns how many. */
int store_sms_expire(struct store *st, int64_t now);
/* Scrub code texts of final or expired messages; returns how many. */
int store_sms_scrub(struct store *st, int64_t now);
/* At start: messages left SENDING by a crash go back to QUEUED; returns how many. */
int store_sms_recover(struct store *st, int64_t now);
int store_sms_get(struct store *st, int64_t id, struct store_sms *out);
/* The newest messages (state < 0: any), for operators.  Count or -KP_ERR_DB. */
int store_sms_list(struct store *st, int state, struct store_sms *out, int max);
/* Messages per state into counts[SMS_STATE_MAX]. */
int store_sms_counts(struct store *st, uint64_t counts[SMS_STATE_MAX]);
/* When the oldest message still to be sent (queued or sending) was queued:
   0, -KP_ERR_NOTFOUND (none waits) or -KP_ERR_DB. */
int store_sms_oldest_pending(struct store *st, int64_t *created_at);

#endif
