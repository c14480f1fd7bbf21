/* SPDX-License-Identifier: ISC */
/*
 * Office desks above the store (DESIGN.md §7, doc/http-api.md
 * "Sessions"): the desk key, desk tokens and their keyed hash, and the
 * rule that each change writes its audit row (and, for a revocation,
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
 * Threads: as the store, no globals; one struct store per thread.
 */
#ifndef KPASS_OFFICE_H
#define KPASS_OFFICE_H

#include <stdint.h>

#include "kpass/store.h"
#include "kpass/store_desk.h"

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

#endif
