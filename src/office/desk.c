/* SPDX-License-Identifier: ISC */
/*
 * Office desks above the store: the desk key, desk tokens (made, parsed,
 * hashed with the desk key) and the audit row each change writes (see
 * office.h).  The store only writes and finds desk rows by the hash.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/office/office.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"

#define DESK_KDF_CONTEXT "kpdesk01" /* crypto_kdf_CONTEXTBYTES = 8 */
#define DESK_KDF_SUBKEY  1
#define DESK_PREFIX_LEN  4 /* "kd1_" */
#define DESK_B64_LEN     43
#define DESK_B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING /* RFC 4648 §5 */

/* BLAKE2b personalisation (RFC 7693 §2.5): 16 octets with the NUL. */
static const unsigned char desk_token_personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "kpass-desk-tok1";

int office_desk_key_derive(const uint8_t partner_key[32], uint8_t out[STORE_DESK_KEY_BYTES])
{
    if (crypto_kdf_derive_from_key(out, STORE_DESK_KEY_BYTES, DESK_KDF_SUBKEY, DESK_KDF_CONTEXT,
                                   partner_key) != 0)
        return -KP_ERR_CRYPTO;
    return 0;
}

/* "kd1_" + base64url(raw) into text (STORE_DESK_TOKEN_SIZE). */
static void desk_token_format(const uint8_t raw[STORE_DESK_TOKEN_BYTES],
                              char text[STORE_DESK_TOKEN_SIZE])
{
    memcpy(text, STORE_DESK_TOKEN_PREFIX, DESK_PREFIX_LEN);
    sodium_bin2base64(text + DESK_PREFIX_LEN, STORE_DESK_TOKEN_SIZE - DESK_PREFIX_LEN, raw,
                      STORE_DESK_TOKEN_BYTES, DESK_B64_VARIANT);
}

int office_desk_token_parse(const char *text, uint8_t raw[STORE_DESK_TOKEN_BYTES])
{
    char again[STORE_DESK_TOKEN_SIZE];
    size_t binlen = 0;
    const char *end = NULL;
    int ok;

    if (strnlen(text, STORE_DESK_TOKEN_SIZE) != STORE_DESK_TOKEN_LEN ||
        memcmp(text, STORE_DESK_TOKEN_PREFIX, DESK_PREFIX_LEN) != 0)
        return -KP_ERR_PARSE;
    ok = sodium_base642bin(raw, STORE_DESK_TOKEN_BYTES, text + DESK_PREFIX_LEN, DESK_B64_LEN, NULL,
                           &binlen, &end, DESK_B64_VARIANT) == 0 &&
         binlen == STORE_DESK_TOKEN_BYTES && end == text + STORE_DESK_TOKEN_LEN;
    if (ok) {
        /* Only the canonical text: the last character's two spare bits are 0. */
        desk_token_format(raw, again);
        ok = sodium_memcmp(again, text, STORE_DESK_TOKEN_LEN) == 0;
        sodium_memzero(again, sizeof(again));
    }
    if (!ok) {
        sodium_memzero(raw, STORE_DESK_TOKEN_BYTES);
        return -KP_ERR_PARSE;
    }
    return 0;
}

static void desk_token_hash(const uint8_t key[STORE_DESK_KEY_BYTES],
                            const uint8_t raw[STORE_DESK_TOKEN_BYTES],
                            uint8_t out[STORE_DESK_HASH_BYTES])
{
    crypto_generichash_blake2b_salt_personal(out, STORE_DESK_HASH_BYTES, raw,
                                             STORE_DESK_TOKEN_BYTES, key, STORE_DESK_KEY_BYTES,
                                             NULL, desk_token_personal);
}

/* Keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
static int desk_scope_end(struct store *st, enum store_scope scope, int rc)
{
    int c = store_scope_end(st, scope, rc >= 0);

    return c < 0 ? c : rc;
}

/* The row with the hash of raw, then its audit row, in the caller's scope. */
static int desk_add_do(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                       const char *office, const char *name, const char *actor, int64_t now,
                       const uint8_t raw[STORE_DESK_TOKEN_BYTES], struct store_desk *out)
{
    uint8_t hash[STORE_DESK_HASH_BYTES];
    char detail[64];
    int64_t id;
    int rc;

    desk_token_hash(key, raw, hash);
    if ((rc = store_desk_insert(st, office, name, hash, now, out)) < 0)
        return rc;
    snprintf(detail, sizeof(detail), "desk %s at office %s", out->id, out->office);
    id = audit_append(st, now, "desk.added", actor, NULL, detail);
    return id < 0 ? (int)id : 0;
}

int office_desk_add(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES], const char *office,
                    const char *name, const char *actor, int64_t now, struct store_desk *out,
                    char token[STORE_DESK_TOKEN_SIZE])
{
    uint8_t raw[STORE_DESK_TOKEN_BYTES];
    enum store_scope scope;
    int rc;

    memset(token, 0, STORE_DESK_TOKEN_SIZE);
    memset(out, 0, sizeof(*out));
    if (store_desk_office_valid(office) < 0 ||
        (name != NULL && store_desk_name_valid(name, STORE_DESK_NAME_CHARS) < 0))
        return -KP_ERR_INVAL;
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_scope_begin(st, &scope)) < 0)
        return rc;
    randombytes_buf(raw, sizeof(raw));
    rc = desk_add_do(st, key, office, name, actor, now, raw, out);
    rc = desk_scope_end(st, scope, rc);
    if (rc == 0)
        desk_token_format(raw, token);
    else
        memset(out, 0, sizeof(*out));
    sodium_memzero(raw, sizeof(raw));
    return rc;
}

int office_desk_revoke(struct store *st, const char *id, const char *actor, int64_t now)
{
    struct store_desk d;
    enum store_scope scope;
    char detail[64];
    int64_t row;
    int rc;

    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_desk_get(st, id, &d)) == 0 && d.revoked_at == 0) {
        rc = store_desk_mark_revoked(st, id, now);
        /* A running daemon is told (store_change.h). */
        if (rc == 0 && store_change_bump(st, STORE_CHANGE_STATE) < 0)
            rc = -KP_ERR_DB;
        if (rc == 0) {
            snprintf(detail, sizeof(detail), "desk %s at office %s", d.id, d.office);
            row = audit_append(st, now, "desk.revoked", actor, NULL, detail);
            rc = row < 0 ? (int)row : 1;
        }
    }
    return desk_scope_end(st, scope, rc);
}

int office_desk_authenticate(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                             const char *token, struct store_desk *out)
{
    uint8_t raw[STORE_DESK_TOKEN_BYTES], hash[STORE_DESK_HASH_BYTES];
    int rc;

    memset(out, 0, sizeof(*out));
    if (office_desk_token_parse(token, raw) < 0)
        return -KP_ERR_AUTH;
    desk_token_hash(key, raw, hash);
    sodium_memzero(raw, sizeof(raw));
    if ((rc = store_desk_by_hash(st, hash, out)) < 0)
        return rc == -KP_ERR_NOTFOUND ? -KP_ERR_AUTH : rc;
    return out->revoked_at ? -KP_ERR_DENIED : 0;
}
