/* SPDX-License-Identifier: ISC */
/*
 * Desk sessions (bearer tokens, stored as hashes) and in-person
 * verifications (scan, code sent, verified or failed) in the store.
 */
#ifndef KPASS_STORE_VERIFICATION_H
#define KPASS_STORE_VERIFICATION_H

#include <stdint.h>

#include "kpass/store/store.h"

struct store_session {
    uint8_t hash[32]; /* BLAKE2b-256 of the bearer token */
    char desk[32];
    char staff[32];
    char office[16];
    int64_t created_at;
    int64_t expires_at;
    int64_t pin_version; /* the staff member's pin_version at sign-in (store_staff) */
};

int store_session_add(struct store *st, const struct store_session *s);
/*
 * A live session by token hash at now: 0, -KP_ERR_NOTFOUND (unknown,
 * expired, signed out, or no longer standing: its desk revoked, its staff
 * member locked or removed, or their PIN changed since it was made).
 */
int store_session_get(struct store *st, const uint8_t hash[32], int64_t now,
                      struct store_session *out);
/* Forget expired sessions; returns how many. */
int store_session_prune(struct store *st, int64_t now);
/* End one session (sign-out); how many ended (0 or 1), or -KP_ERR_DB. */
int store_session_end(struct store *st, const uint8_t hash[32]);
/* End every session at desk / of staff member staff (called inside the
   revoke, lock, PIN change or removal); how many, or -KP_ERR_DB. */
int store_session_end_desk(struct store *st, const char *desk);
int store_session_end_staff(struct store *st, const char *staff);

enum store_verification_state {
    STORE_VERIF_SCANNED = 0,
    STORE_VERIF_CODE_SENT,
    STORE_VERIF_VERIFIED,
    STORE_VERIF_FAILED,
    STORE_VERIF_EXPIRED, /* not finished within [http] verification_ttl */
};

struct store_verification {
    char id[33]; /* 16 random octets, hex: also the receipt's verification id */
    char office[16];
    char desk[32];
    char staff[32];
    int64_t citizen_id;
    char serial[25]; /* the credential scanned, hex */
    enum store_verification_state state;
    char purpose[32];
    char receipt_id[16];
    char receipt[160]; /* the signed KPR1 text once verified; "" before, or verified before
                          schema 16 (not kept then) */
    char biometric[12];
    int64_t created_at;
    int64_t updated_at;
};

const char *store_verification_state_name(enum store_verification_state s);
int store_verification_add(struct store *st, const struct store_verification *v);
int store_verification_get(struct store *st, const char *id, struct store_verification *out);
/* The verification whose receipt id is rid (exactly, as issued):
   0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_verification_by_receipt(struct store *st, const char *rid,
                                  struct store_verification *out);
/*
 * Mark expired every verification still under way (scanned or code sent)
 * created at or before before; updated_at = now.  How many, or -KP_ERR_DB.
 */
int store_verification_expire(struct store *st, int64_t before, int64_t now);
/* Write state, purpose, receipt_id, receipt, biometric and updated_at of v->id. */
int store_verification_update(struct store *st, const struct store_verification *v);

#endif
