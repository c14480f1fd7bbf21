/* SPDX-License-Identifier: ISC */
/*
 * The credential table: the record of every KP1 token issued and its
 * revocation (see store_credential.h).  Rows only: the verdict on a token,
 * who may hold one and the audit row each change writes are
 * verify/credential.c's.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/credential.h"
#include "store_internal.h"

#define CRED_HEX_LEN    24           /* 2 * KP1_SERIAL_BYTES */
#define CRED_GROUP      8            /* hex digits per group in the text form */
#define CRED_ISSUED_MAX 4294967295LL /* the token's issued-at is 32 bits */

#define CRED_COLS                                                                                  \
    "serial, citizen_id, key_id, issued_at, valid_days, expires_at, revoked_at, revoke_reason, "   \
    "suspended_at"

static const char sql_insert[] =
    "INSERT INTO credential (serial, citizen_id, key_id, issued_at, valid_days, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_get[] = "SELECT " CRED_COLS " FROM credential WHERE serial = ?1";
static const char sql_list[] = "SELECT " CRED_COLS " FROM credential WHERE citizen_id = ?1 "
                               "ORDER BY issued_at DESC, serial LIMIT ?2";
static const char sql_revoke[] = "UPDATE credential SET revoked_at = ?2, revoke_reason = ?3 "
                                 "WHERE serial = ?1 AND revoked_at IS NULL";
/* Only a credential that still holds is suspended; only a suspended one not revoked since is
   lifted (a revoked one stays refused whatever else is set). */
static const char sql_suspend[] = "UPDATE credential SET suspended_at = ?2 WHERE serial = ?1 "
                                  "AND revoked_at IS NULL AND suspended_at IS NULL";
static const char sql_resume[] = "UPDATE credential SET suspended_at = NULL WHERE serial = ?1 "
                                 "AND revoked_at IS NULL AND suspended_at IS NOT NULL";

void store_credential_serial_hex(const uint8_t serial[KP1_SERIAL_BYTES],
                                 char out[STORE_CREDENTIAL_SERIAL_HEX])
{
    sodium_bin2hex(out, STORE_CREDENTIAL_SERIAL_HEX, serial, KP1_SERIAL_BYTES);
}

void store_credential_serial_text(const uint8_t serial[KP1_SERIAL_BYTES],
                                  char out[STORE_CREDENTIAL_SERIAL_TEXT])
{
    char hex[STORE_CREDENTIAL_SERIAL_HEX];

    store_credential_serial_hex(serial, hex);
    snprintf(out, STORE_CREDENTIAL_SERIAL_TEXT, "%.8s:%.8s:%.8s", hex, hex + CRED_GROUP,
             hex + 2 * CRED_GROUP);
}

/* Exactly 2 * n hex digits into out[0..n).  0 or -KP_ERR_PARSE. */
static int cred_hex(const char *hex, size_t len, uint8_t *out, size_t n)
{
    size_t got = 0;
    const char *end = NULL;

    if (len != 2 * n || sodium_hex2bin(out, n, hex, len, NULL, &got, &end) != 0 || got != n ||
        end != hex + len)
        return -KP_ERR_PARSE;
    return 0;
}

int store_credential_serial_parse(const char *s, uint8_t serial[KP1_SERIAL_BYTES])
{
    char hex[CRED_HEX_LEN];
    size_t n = strlen(s), j = 0;
    int grouped = n == CRED_HEX_LEN + 2;

    if (n != CRED_HEX_LEN && !grouped)
        return -KP_ERR_PARSE;
    for (size_t i = 0; i < n; i++) {
        if (grouped && (i == CRED_GROUP || i == 2 * CRED_GROUP + 1)) {
            if (s[i] != ':')
                return -KP_ERR_PARSE;
            continue;
        }
        if (s[i] == ':')
            return -KP_ERR_PARSE;
        hex[j++] = s[i];
    }
    return cred_hex(hex, sizeof(hex), serial, KP1_SERIAL_BYTES);
}

void store_credential_from_token(const struct kp1_token *t, int64_t citizen_id,
                                 struct store_credential *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->serial, t->serial, KP1_SERIAL_BYTES);
    out->citizen_id = citizen_id;
    memcpy(out->key_id, t->key_id, TRUST_ID_BYTES);
    out->issued_at = t->issued_at;
    out->valid_days = t->valid_days;
    out->expires_at = kp1_expires_at(t);
}

const char *store_credential_status(const struct store_credential *c, int64_t now)
{
    if (c->revoked)
        return "revoked";
    if (c->suspended)
        return "suspended";
    if (now >= c->expires_at)
        return "expired";
    if (now < c->issued_at - KP1_SKEW_S)
        return "not yet valid";
    return "valid";
}

static void cred_row(struct db_stmt *s, struct store_credential *c)
{
    memset(c, 0, sizeof(*c));
    /* The table's CHECKs guarantee the hex; a damaged value reads as zeros. */
    if (cred_hex(db_col_text(s, 0), db_col_bytes(s, 0), c->serial, KP1_SERIAL_BYTES) < 0)
        memset(c->serial, 0, KP1_SERIAL_BYTES);
    c->citizen_id = db_col_int64(s, 1);
    if (cred_hex(db_col_text(s, 2), db_col_bytes(s, 2), c->key_id, TRUST_ID_BYTES) < 0)
        memset(c->key_id, 0, TRUST_ID_BYTES);
    c->issued_at = db_col_int64(s, 3);
    c->valid_days = (unsigned)db_col_int64(s, 4);
    c->expires_at = db_col_int64(s, 5);
    c->revoked = !db_col_is_null(s, 6);
    c->revoked_at = c->revoked ? db_col_int64(s, 6) : 0;
    store_col_text(s, 7, c->revoke_reason, sizeof(c->revoke_reason));
    c->suspended = !db_col_is_null(s, 8);
    c->suspended_at = c->suspended ? db_col_int64(s, 8) : 0;
}

int store_credential_get(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                         struct store_credential *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);
    char hex[STORE_CREDENTIAL_SERIAL_HEX];
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_credential_serial_hex(serial, hex);
    db_bind_text(s, 1, hex);
    rc = db_step(s);
    if (rc == DB_ROW)
        cred_row(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_credential_list(struct store *st, int64_t citizen_id, struct store_credential **out)
{
    struct db_stmt *s = store_stmt(st, sql_list);
    struct store_credential *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, citizen_id);
    db_bind_int64(s, 2, STORE_CREDENTIAL_LIST_MAX);
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        cred_row(s, &v[n++]);
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

static int cred_fields_valid(const struct store_credential *c)
{
    return c->citizen_id > 0 && c->issued_at >= 0 && c->issued_at <= CRED_ISSUED_MAX &&
           c->valid_days >= 1 && c->valid_days <= UINT16_MAX &&
           c->expires_at == c->issued_at + (int64_t)c->valid_days * KP1_DAY_S;
}

static int cred_insert(struct store *st, const struct store_credential *c)
{
    struct db_stmt *s = store_stmt(st, sql_insert);
    char hex[STORE_CREDENTIAL_SERIAL_HEX], key[TRUST_ID_HEX];

    if (s == NULL)
        return -KP_ERR_DB;
    store_credential_serial_hex(c->serial, hex);
    trust_id_hex(c->key_id, key);
    db_bind_text(s, 1, hex);
    db_bind_int64(s, 2, c->citizen_id);
    db_bind_text(s, 3, key);
    db_bind_int64(s, 4, c->issued_at);
    db_bind_int64(s, 5, c->valid_days);
    db_bind_int64(s, 6, c->expires_at);
    return store_step_done(st, s);
}

int store_credential_check(const struct store_credential *c)
{
    return cred_fields_valid(c) ? 0 : -KP_ERR_INVAL;
}

int store_credential_insert(struct store *st, const struct store_credential *c)
{
    if (!cred_fields_valid(c))
        return -KP_ERR_INVAL;
    return cred_insert(st, c);
}

int store_credential_mark_revoked(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                                  const char *reason, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_revoke);
    char hex[STORE_CREDENTIAL_SERIAL_HEX];
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_credential_serial_hex(serial, hex);
    db_bind_text(s, 1, hex);
    db_bind_int64(s, 2, now);
    db_bind_text(s, 3, reason);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    return db_changes(st->db) == 1 ? 0 : -KP_ERR_NOTFOUND;
}

/* Run sql (?1 the serial, ?2 now when the statement is sql_suspend); 0 when one row
   changed, else -KP_ERR_NOTFOUND. */
static int cred_mark(struct store *st, const char *sql, const uint8_t serial[KP1_SERIAL_BYTES],
                     int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql);
    char hex[STORE_CREDENTIAL_SERIAL_HEX];
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_credential_serial_hex(serial, hex);
    db_bind_text(s, 1, hex);
    if (sql == sql_suspend)
        db_bind_int64(s, 2, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    return db_changes(st->db) == 1 ? 0 : -KP_ERR_NOTFOUND;
}

int store_credential_mark_suspended(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES],
                                    int64_t now)
{
    return cred_mark(st, sql_suspend, serial, now);
}

int store_credential_mark_resumed(struct store *st, const uint8_t serial[KP1_SERIAL_BYTES])
{
    return cred_mark(st, sql_resume, serial, 0);
}
