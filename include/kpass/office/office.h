/* SPDX-License-Identifier: ISC */
/*
 * Office desks and staff above the store (DESIGN.md §7, doc/http-api.md
 * "Sessions"): the desk key, desk tokens and their keyed hash, staff PIN
 * hashing and the lockout rule, and the rule that each change writes its
 * audit row (and, for a revocation, lock, unlock, re-PIN or removal,
 * counts the change for a running kpassd) in the same transaction.  The
 * store keeps the desk rows and the token's hash, and never a key
 * (store_desk.h):
 *
 *   token_hash = BLAKE2b-256(key = desk key, personal = "kpass-desk-tok1", raw 32 octets)
 *
 * so the database alone cannot be used to sign a desk in.  The desk key
 * is derived from keys/partner.key with crypto_kdf (context "kpdesk01",
 * subkey 1), so no primitive uses partner.key itself twice.
 *
 * Staff PINs: Argon2id (crypto_pwhash_str, interactive limits) over
 * BLAKE2b-256(key = desk key, personal = "kpass-staff-pin", id || NUL ||
 * pin); the store keeps the resulting string.
 *
 * Threads: as the store, no globals; one struct store per thread (the
 * PIN check runs on a worker thread's own connection; see store_desk.h).
 */
#ifndef KPASS_OFFICE_H
#define KPASS_OFFICE_H

#include <stdint.h>

#include "kpass/store/store.h"
#include "kpass/store/desk.h"

/*
 * The desk key from partner.key (32 octets each): crypto_kdf_derive_from_key,
 * context "kpdesk01", subkey 1.  The caller keeps out in sodium_malloc()
 * memory and wipes it.  0, or -KP_ERR_CRYPTO.
 */
int office_desk_key_derive(const uint8_t partner_key[32], uint8_t out[STORE_DESK_KEY_BYTES]);

/*
 * Parse a desk token's text ("kd1_" + exactly 43 base64url characters, the
 * canonical encoding of 32 octets; nothing around it) into raw.  Pure.
 * 0 or -KP_ERR_PARSE (raw is wiped).
 */
int office_desk_token_parse(const char *text, uint8_t raw[STORE_DESK_TOKEN_BYTES]);

/*
 * Add a desk to office (which must exist in the directory): its id is the
 * office code, '-', and the next number of that office (numbers are never
 * reused, revoked desks keep theirs).  name may be NULL ("Desk N").  A new
 * token is written to token (shown once: the store keeps only its keyed
 * hash; the caller wipes it after showing it).  Audit: desk.added, in the
 * same transaction.  0 (out filled), -KP_ERR_NOTFOUND (no such office),
 * -KP_ERR_INVAL (office or name), -KP_ERR_LIMIT (STORE_DESK_SEQ_MAX
 * reached), -KP_ERR_STATE (no audit key), -KP_ERR_DB.
 */
int office_desk_add(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES], const char *office,
                    const char *name, const char *actor, int64_t now, struct store_desk *out,
                    char token[STORE_DESK_TOKEN_SIZE]);

/*
 * Revoke desk id: its token is refused from now on (the row stays, for
 * the audit trail) and every session at it ends; the change is counted
 * (store_change.h).  Audit: desk.revoked.  1 revoked, 0 already revoked
 * (no audit row), -KP_ERR_NOTFOUND, -KP_ERR_STATE, -KP_ERR_DB.
 */
int office_desk_revoke(struct store *st, const char *id, const char *actor, int64_t now);

/*
 * The desk a token belongs to (looked up by its keyed hash, compared with
 * sodium_memcmp).  Writes nothing.  0 (out filled), -KP_ERR_AUTH (not a
 * token, or no desk has it), -KP_ERR_DENIED (the desk is revoked; out is
 * filled so the caller can name it), -KP_ERR_DB.
 */
int office_desk_authenticate(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                             const char *token, struct store_desk *out);

/*
 * Add staff member s->id to s->office (which must exist) with name s->name
 * and PIN pin (checked with store_staff_pin_valid).  Hashes the PIN before
 * opening any transaction.  Audit: staff.added.  0 (s's times filled),
 * -KP_ERR_EXISTS (that id is taken), -KP_ERR_NOTFOUND (no such office),
 * -KP_ERR_INVAL, -KP_ERR_DENIED (weak PIN), -KP_ERR_NOMEM, -KP_ERR_STATE,
 * -KP_ERR_DB.
 */
int office_staff_add(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                     struct store_staff *s, const char *pin, const char *actor, int64_t now);

/*
 * Lock or unlock staff member id.  Locking ends every session they hold;
 * unlocking also clears the count of wrong PINs (and brings no session
 * back).  Audit: staff.locked / staff.unlocked, with reason (may be
 * NULL; guarded as an audit detail).  1 changed, 0 already so (no audit
 * row), -KP_ERR_NOTFOUND, -KP_ERR_DENIED / -KP_ERR_INVAL (reason refused),
 * -KP_ERR_STATE, -KP_ERR_DB.
 */
int office_staff_lock(struct store *st, const char *id, const char *reason, const char *actor,
                      int64_t now);
int office_staff_unlock(struct store *st, const char *id, const char *reason, const char *actor,
                        int64_t now);

/*
 * Remove staff member id (the row goes; past verifications and audit rows
 * keep the id).  Every session they hold ends.  Audit: staff.removed.
 * 0, -KP_ERR_NOTFOUND, -KP_ERR_STATE, -KP_ERR_DB.
 */
int office_staff_remove(struct store *st, const char *id, const char *actor, int64_t now);

/*
 * Give staff member id a new PIN (checked with store_staff_pin_valid) and
 * clear the count of wrong PINs; every session made with the old PIN
 * ends; a lock stays (office_staff_unlock lifts it).  Audit:
 * staff.pin_changed.  0, -KP_ERR_NOTFOUND, -KP_ERR_INVAL, -KP_ERR_DENIED
 * (weak PIN), -KP_ERR_NOMEM, -KP_ERR_STATE, -KP_ERR_DB.
 */
int office_staff_set_pin(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES], const char *id,
                         const char *pin, const char *actor, int64_t now);

/*
 * Check a PIN typed at a desk for staff member id of office (NULL: any
 * office).  Reads the row, verifies the PIN with no transaction open
 * (crypto_pwhash_str_verify), then in one short transaction:
 *   - right PIN: the count of wrong PINs goes back to 0 (nothing is
 *     written when it already was 0);
 *   - wrong PIN: the count goes up (staff.pin_failed), and reaching
 *     max_failures (0: STORE_STAFF_FAILURES) locks the staff member
 *     (staff.locked).  Concurrent checks count every failure.
 * An unknown id, or a member of another office, costs the same hashing
 * time as a real check (no staff-id probing by timing) and counts nothing.
 * actor is the audit actor ("desk:PSHDC1-1").
 * Returns 0 (out filled), -KP_ERR_WRONG (out->failed_pins says how many
 * so far), -KP_ERR_LOCKED (locked now or already; a right PIN does not
 * open a lock), -KP_ERR_NOTFOUND (unknown id or other office; out is not
 * filled), -KP_ERR_STATE (no audit key), -KP_ERR_NOMEM, -KP_ERR_DB.
 */
int office_staff_check_pin(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                           const char *office, const char *id, const char *pin,
                           unsigned max_failures, const char *actor, int64_t now,
                           struct store_staff *out);

#endif
