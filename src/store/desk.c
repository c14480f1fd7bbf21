/* SPDX-License-Identifier: ISC */
/*
 * Office desks: the desk table, desk tokens (made, parsed and hashed; see
 * store_desk.h for why the store keeps only a keyed hash), the desk key
 * derived from partner.key, the name checks, and the atomic-change scope
 * that desk.c and staff.c share.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desk_internal.h"
#include "kpass/err.h"
#include "kpass/mem.h"
#include "kpass/store_audit.h"
#include "kpass/store_change.h"
#include "kpass/store_desk.h"
#include "kpass/store_directory.h"
#include "kpass/store_verification.h"
#include "kpass/text.h"

#define DESK_KDF_CONTEXT "kpdesk01" /* crypto_kdf_CONTEXTBYTES = 8 */
#define DESK_KDF_SUBKEY  1
#define DESK_PREFIX_LEN  4 /* "kd1_" */
#define DESK_B64_LEN     43
#define DESK_B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING /* RFC 4648 §5 */
#define DESK_COLS        "id, office, seq, name, created_at, revoked_at"

static const char sql_get[] = "SELECT " DESK_COLS " FROM desk WHERE id = ?1";
static const char sql_by_hash[] =
    "SELECT " DESK_COLS ", token_hash FROM desk WHERE token_hash = ?1";
static const char sql_list_office[] =
    "SELECT " DESK_COLS " FROM desk WHERE office = ?1 ORDER BY seq";
static const char sql_list_all[] = "SELECT " DESK_COLS " FROM desk ORDER BY office, seq";
static const char sql_next_seq[] = "SELECT coalesce(max(seq), 0) + 1 FROM desk WHERE office = ?1";
static const char sql_insert[] = "INSERT INTO desk (id, office, seq, name, token_hash, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_revoke[] = "UPDATE desk SET revoked_at = max(?2, created_at) "
                                 "WHERE id = ?1 AND revoked_at IS NULL";

/* BLAKE2b personalisation (RFC 7693 §2.5): 16 octets with the NUL. */
static const unsigned char desk_token_personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "kpass-desk-tok1";

int desk_scope_begin(struct store *st, enum store_scope *scope)
{
    if (st->audit_key == NULL)
        return -KP_ERR_STATE;
    return store_scope_begin(st, scope);
}

int desk_scope_end(struct store *st, enum store_scope scope, int rc)
{
    int c = store_scope_end(st, scope, rc >= 0);

    return c < 0 ? c : rc;
}

int store_desk_key_derive(const uint8_t partner_key[32], uint8_t out[STORE_DESK_KEY_BYTES])
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

int store_desk_token_parse(const char *text, uint8_t raw[STORE_DESK_TOKEN_BYTES])
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
                            const uint8_t raw[STORE_DESK_TOKEN_BYTES], uint8_t out[32])
{
    crypto_generichash_blake2b_salt_personal(out, 32, raw, STORE_DESK_TOKEN_BYTES, key,
                                             STORE_DESK_KEY_BYTES, NULL, desk_token_personal);
}

int store_desk_office_valid(const char *code)
{
    size_t n = strlen(code);

    if (n < STORE_DIR_CODE_MIN || n > STORE_DIR_CODE_MAX)
        return -KP_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9')))
            return -KP_ERR_INVAL;
    return 0;
}

/* C0, DEL, C1, and the bidirectional overrides and isolates that would
   reorder what a terminal shows (Unicode UAX #9 §2). */
static int desk_char_bad(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

int store_desk_name_valid(const char *name, unsigned max_chars)
{
    size_t len = strlen(name), i = 0;
    unsigned chars = 0;

    if (len == 0 || name[0] == ' ' || name[len - 1] == ' ')
        return -KP_ERR_INVAL;
    while (i < len) {
        uint32_t cp;
        int n = text_utf8_next(name + i, len - i, &cp);
        if (n < 0 || desk_char_bad(cp) || ++chars > max_chars)
            return -KP_ERR_INVAL;
        i += (size_t)n;
    }
    return 0;
}

static void desk_row(sqlite3_stmt *s, struct store_desk *d)
{
    memset(d, 0, sizeof(*d));
    store_col_text(s, 0, d->id, sizeof(d->id));
    store_col_text(s, 1, d->office, sizeof(d->office));
    d->seq = (unsigned)sqlite3_column_int(s, 2);
    store_col_text(s, 3, d->name, sizeof(d->name));
    d->created_at = sqlite3_column_int64(s, 4);
    d->revoked_at = sqlite3_column_type(s, 5) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 5);
}

/* The next number of office, inside the open transaction.  >= 1 or < 0. */
static int desk_next_seq(struct store *st, const char *office)
{
    sqlite3_stmt *s = store_stmt(st, sql_next_seq);
    int64_t seq = -1;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, office);
    if (sqlite3_step(s) == SQLITE_ROW)
        seq = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (seq < 1)
        return -KP_ERR_DB;
    return seq > STORE_DESK_SEQ_MAX ? -KP_ERR_LIMIT : (int)seq;
}

/* Insert desk d (id, office, seq, name set) with the hash of raw, then its audit row. */
static int desk_insert(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                       struct store_desk *d, const uint8_t raw[STORE_DESK_TOKEN_BYTES],
                       const char *actor)
{
    uint8_t hash[32];
    char detail[64];
    sqlite3_stmt *s;
    int rc;

    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    desk_token_hash(key, raw, hash);
    store_bind_text(s, 1, d->id);
    store_bind_text(s, 2, d->office);
    sqlite3_bind_int(s, 3, (int)d->seq);
    store_bind_text(s, 4, d->name);
    store_bind_blob(s, 5, hash, sizeof(hash));
    sqlite3_bind_int64(s, 6, d->created_at);
    if ((rc = store_step_done(st, s)) < 0)
        return rc == -KP_ERR_EXISTS ? -KP_ERR_DB : rc; /* checked before: a broken invariant */
    snprintf(detail, sizeof(detail), "desk %s at office %s", d->id, d->office);
    int64_t id = store_audit_append(st, d->created_at, "desk.added", actor, NULL, detail);
    return id < 0 ? (int)id : 0;
}

int store_desk_add(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES], const char *office,
                   const char *name, const char *actor, int64_t now, struct store_desk *out,
                   char token[STORE_DESK_TOKEN_SIZE])
{
    uint8_t raw[STORE_DESK_TOKEN_BYTES];
    enum store_scope scope;
    int rc, seq;

    memset(token, 0, STORE_DESK_TOKEN_SIZE);
    memset(out, 0, sizeof(*out));
    if (store_desk_office_valid(office) < 0 ||
        (name != NULL && store_desk_name_valid(name, STORE_DESK_NAME_CHARS) < 0))
        return -KP_ERR_INVAL;
    if ((rc = desk_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_dir_exists(st, STORE_DIR_OFFICE, office)) == 0)
        rc = -KP_ERR_NOTFOUND;
    if (rc >= 0 && (rc = seq = desk_next_seq(st, office)) > 0) {
        out->seq = (unsigned)seq;
        snprintf(out->office, sizeof(out->office), "%s", office);
        snprintf(out->id, sizeof(out->id), "%s-%u", office, out->seq);
        if (name != NULL)
            snprintf(out->name, sizeof(out->name), "%s", name);
        else
            snprintf(out->name, sizeof(out->name), "Desk %u", out->seq);
        out->created_at = now;
        randombytes_buf(raw, sizeof(raw));
        rc = desk_insert(st, key, out, raw, actor);
    }
    rc = desk_scope_end(st, scope, rc);
    if (rc == 0)
        desk_token_format(raw, token);
    else
        memset(out, 0, sizeof(*out));
    sodium_memzero(raw, sizeof(raw));
    return rc;
}

int store_desk_get(struct store *st, const char *id, struct store_desk *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        desk_row(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_desk_list(struct store *st, const char *office, struct store_desk **out)
{
    sqlite3_stmt *s = store_stmt(st, office ? sql_list_office : sql_list_all);
    struct store_desk *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    if (office)
        store_bind_text(s, 1, office);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        desk_row(s, &v[n++]);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

int store_desk_revoke(struct store *st, const char *id, const char *actor, int64_t now)
{
    struct store_desk d;
    enum store_scope scope;
    char detail[64];
    sqlite3_stmt *s;
    int rc;

    if ((rc = desk_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_desk_get(st, id, &d)) == 0 && d.revoked_at == 0) {
        if ((s = store_stmt(st, sql_revoke)) == NULL) {
            rc = -KP_ERR_DB;
        } else {
            store_bind_text(s, 1, id);
            sqlite3_bind_int64(s, 2, now);
            rc = store_step_done(st, s);
        }
        /* Its sessions end with it, and a running daemon is told. */
        if (rc == 0 && (rc = store_session_end_desk(st, id)) > 0)
            rc = 0;
        if (rc == 0 && store_change_bump(st, STORE_CHANGE_STATE) < 0)
            rc = -KP_ERR_DB;
        if (rc == 0) {
            snprintf(detail, sizeof(detail), "desk %s at office %s", d.id, d.office);
            int64_t row = store_audit_append(st, now, "desk.revoked", actor, NULL, detail);
            rc = row < 0 ? (int)row : 1;
        }
    }
    return desk_scope_end(st, scope, rc);
}

int store_desk_authenticate(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                            const char *token, struct store_desk *out)
{
    uint8_t raw[STORE_DESK_TOKEN_BYTES], hash[32];
    sqlite3_stmt *s;
    int rc, match = 0;

    memset(out, 0, sizeof(*out));
    if (store_desk_token_parse(token, raw) < 0)
        return -KP_ERR_AUTH;
    desk_token_hash(key, raw, hash);
    sodium_memzero(raw, sizeof(raw));
    if ((s = store_stmt(st, sql_by_hash)) == NULL)
        return -KP_ERR_DB;
    store_bind_blob(s, 1, hash, sizeof(hash));
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 6) == (int)sizeof(hash)) {
        /* The lookup matched the index; compare again in constant time. */
        match = sodium_memcmp(sqlite3_column_blob(s, 6), hash, sizeof(hash)) == 0;
        if (match)
            desk_row(s, out);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -KP_ERR_DB;
    if (!match)
        return -KP_ERR_AUTH;
    return out->revoked_at ? -KP_ERR_DENIED : 0;
}
