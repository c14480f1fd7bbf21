/* SPDX-License-Identifier: ISC */
/*
 * The desk verification workflow (doc/http-api.md, "Verifications") as a
 * transition table: a verification is scanned, then a code is sent, then
 * it is verified, or it ends failed or expired.  A code that dies (too
 * many wrong tries) or expires sends it back to scanned, waiting for a
 * new code within the rate limits, rather than ending it.  One function,
 * verify_desk_apply, moves it: it looks up (state, event) in the table,
 * refuses what the table does not list, writes the new state and the
 * audit row the table names, and commits the way the table says (before
 * the answer for the steps a person is told about; in the store's group
 * commit for the rest).  The HTTP handlers only turn requests into events
 * and results into answers.
 *
 * The sweep that expires old verifications in bulk
 * (store_verification_expire) is the table's EXPIRE event applied by SQL
 * to many rows at once; it writes no audit row, as EXPIRE here does not.
 */
#ifndef KPASS_VERIFY_DESK_H
#define KPASS_VERIFY_DESK_H

#include <stdint.h>

#include "kpass/id/keys.h"
#include "kpass/id/receipt.h"
#include "kpass/store/store.h"
#include "kpass/store/citizen.h"
#include "kpass/store/verification.h"

/* The state before the first event: no verification exists yet. */
#define VERIFY_DESK_NEW (-1)

enum verify_desk_event {
    VERIFY_DESK_SCAN = 0,           /* a card accepted: the verification begins */
    VERIFY_DESK_SEND_CODE,          /* a code went to the citizen (again, perhaps) */
    VERIFY_DESK_CONFIRM_OK,         /* the code matched: a receipt was signed */
    VERIFY_DESK_CONFIRM_DEAD,       /* the citizen is locked out of codes */
    VERIFY_DESK_CREDENTIAL_REFUSED, /* the card no longer holds (verify_credential_recheck) */
    VERIFY_DESK_EXPIRE,             /* not finished within [http] verification_ttl */
    VERIFY_DESK_CODE_VOID,          /* the code died (wrong tries) or expired: a new one may go */
    VERIFY_DESK_EVENT_MAX
};

/* What an event carries; fields an event does not use may be NULL. */
struct verify_desk_step {
    const char *actor;       /* the audit row's actor ("desk:<id>") */
    const char *detail;      /* the audit row's detail (store_audit_detail_check) */
    const char *purpose;     /* SEND_CODE: the code's purpose */
    const char *receipt_id;  /* CONFIRM_OK: the signed receipt's id */
    const char *receipt;     /* CONFIRM_OK: its signed text (kept for GET /v1/receipts/{id}) */
    const char *biometric;   /* CONFIRM_OK: "match", "no_match", ... or "" */
    const char *office_name; /* CONFIRM_OK: for the citizen's notice */
    const char *helpline;    /* CONFIRM_OK: for the citizen's notice */
};

/* "scan", "send_code", ... ; never NULL. */
const char *verify_desk_event_name(enum verify_desk_event ev);

/* Does the table let event ev happen in state (a store state, or VERIFY_DESK_NEW)? */
int verify_desk_allows(int state, enum verify_desk_event ev);

/* Is v still under way (scanned or code sent) and created ttl_s or more before now? */
int verify_desk_overdue(const struct store_verification *v, unsigned ttl_s, int64_t now);

/*
 * Apply event ev to verification *v (of citizen c, the audit row's
 * subject; may be NULL for events that write none) at now: the table's
 * next state, the event's fields (purpose, receipt, biometric),
 * updated_at (and created_at for SCAN, which adds the row), the citizen's
 * notice for CONFIRM_OK, the table's audit row.  *v changes only when
 * everything was written.  0, -KP_ERR_STATE (the table has no such
 * transition; nothing written), -KP_ERR_DB.
 */
int verify_desk_apply(struct store *st, struct store_verification *v, const struct store_citizen *c,
                      enum verify_desk_event ev, const struct verify_desk_step *step, int64_t now);

/*
 * Sign the receipt of verification v, confirmed at now with biometric
 * outcome bio (doc/kp1-token.md, receipts): its text and its id.  The
 * office is the first 32 bits of BLAKE2b of its code; the desk its
 * sequence number; the purpose its index in codes_purposes().
 * 0 or -KP_ERR_CRYPTO.
 */
int verify_desk_receipt(struct store *st, const struct keys_signer *signer,
                        const struct store_verification *v, enum receipt_bio bio, int64_t now,
                        char text[RECEIPT_TEXT_SIZE], char id[RECEIPT_ID_SIZE]);

#endif
