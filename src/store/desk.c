/* SPDX-License-Identifier: ISC */
/*
 * Office desks: the desk table (rows in, rows out, found by the token's
 * hash), and the name checks.
 * The desk key, the tokens, their keyed hash and the audit rows are
 * office/desk.c's (office.h).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/desk.h"
#include "kpass/store/directory.h"
#include "kpass/store/verification.h"
#include "kpass/text/text.h"
#include "store_internal.h"

#define DESK_COLS "id, office, seq, name, created_at, revoked_at"

static const char sql_get[] = "SELECT " DESK_COLS " FROM desk WHERE id = ?1";
static const char sql_by_hash[] =
    "SELECT " DESK_COLS ", token_hash FROM desk WHERE token_hash = ?1";
static const char sql_list_office[] =
    "SELECT " DESK_COLS " FROM desk WHERE office = ?1 ORDER BY seq";
static const char sql_list_all[] = "SELECT " DESK_COLS " FROM desk ORDER BY office, seq";
static const char sql_next_seq[] = "SELECT coalesce(max(seq), 0) + 1 FROM desk WHERE office = ?1";
static const char sql_insert[] = "INSERT INTO desk (id, office, seq, name, token_hash, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* revoked_at: the later of now and created_at (NOT NULL), which the table's CHECK needs. */
static const char sql_revoke[] =
    "UPDATE desk SET revoked_at = CASE WHEN created_at > ?2 THEN created_at ELSE ?2 END "
    "WHERE id = ?1 AND revoked_at IS NULL";

/* Keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
static int desk_scope_end(struct store *st, enum store_scope scope, int rc)
{
    int c = store_scope_end(st, scope, rc >= 0);

    return c < 0 ? c : rc;
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

static void desk_row(struct db_stmt *s, struct store_desk *d)
{
    memset(d, 0, sizeof(*d));
    store_col_text(s, 0, d->id, sizeof(d->id));
    store_col_text(s, 1, d->office, sizeof(d->office));
    d->seq = (unsigned)db_col_int64(s, 2);
    store_col_text(s, 3, d->name, sizeof(d->name));
    d->created_at = db_col_int64(s, 4);
    d->revoked_at = db_col_is_null(s, 5) ? 0 : db_col_int64(s, 5);
}

/* The next number of office, inside the open transaction.  >= 1 or < 0. */
static int desk_next_seq(struct store *st, const char *office)
{
    struct db_stmt *s = store_stmt(st, sql_next_seq);
    int64_t seq = -1;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, office);
    if (db_step(s) == DB_ROW)
        seq = db_col_int64(s, 0);
    db_reset(s);
    if (seq < 1)
        return -KP_ERR_DB;
    return seq > STORE_DESK_SEQ_MAX ? -KP_ERR_LIMIT : (int)seq;
}

/* Insert desk d (id, office, seq, name, created_at set) with its token's hash. */
static int desk_insert(struct store *st, const struct store_desk *d,
                       const uint8_t hash[STORE_DESK_HASH_BYTES])
{
    struct db_stmt *s;
    int rc;

    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, d->id);
    db_bind_text(s, 2, d->office);
    db_bind_int64(s, 3, d->seq);
    db_bind_text(s, 4, d->name);
    db_bind_blob(s, 5, hash, STORE_DESK_HASH_BYTES);
    db_bind_int64(s, 6, d->created_at);
    if ((rc = store_step_done(st, s)) < 0)
        return rc == -KP_ERR_EXISTS ? -KP_ERR_DB : rc; /* checked before: a broken invariant */
    return 0;
}

int store_desk_insert(struct store *st, const char *office, const char *name,
                      const uint8_t hash[STORE_DESK_HASH_BYTES], int64_t now,
                      struct store_desk *out)
{
    enum store_scope scope;
    int rc, seq;

    memset(out, 0, sizeof(*out));
    if (store_desk_office_valid(office) < 0 ||
        (name != NULL && store_desk_name_valid(name, STORE_DESK_NAME_CHARS) < 0))
        return -KP_ERR_INVAL;
    if ((rc = store_scope_begin(st, &scope)) < 0)
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
        rc = desk_insert(st, out, hash);
    }
    rc = desk_scope_end(st, scope, rc);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

int store_desk_get(struct store *st, const char *id, struct store_desk *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    rc = db_step(s);
    if (rc == DB_ROW)
        desk_row(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_desk_list(struct store *st, const char *office, struct store_desk **out)
{
    struct db_stmt *s = store_stmt(st, office ? sql_list_office : sql_list_all);
    struct store_desk *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    if (office)
        db_bind_text(s, 1, office);
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        desk_row(s, &v[n++]);
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

int store_desk_mark_revoked(struct store *st, const char *id, int64_t now)
{
    enum store_scope scope;
    struct db_stmt *s;
    int rc;

    if ((rc = store_scope_begin(st, &scope)) < 0)
        return rc;
    if ((s = store_stmt(st, sql_revoke)) == NULL) {
        rc = -KP_ERR_DB;
    } else {
        db_bind_text(s, 1, id);
        db_bind_int64(s, 2, now);
        if ((rc = store_step_done(st, s)) == 0 && db_changes(st->db) != 1)
            rc = -KP_ERR_NOTFOUND;
    }
    /* Its sessions end with it. */
    if (rc == 0 && (rc = store_session_end_desk(st, id)) > 0)
        rc = 0;
    return desk_scope_end(st, scope, rc);
}

int store_desk_by_hash(struct store *st, const uint8_t hash[STORE_DESK_HASH_BYTES],
                       struct store_desk *out)
{
    struct db_stmt *s;
    int rc, match = 0;

    memset(out, 0, sizeof(*out));
    if ((s = store_stmt(st, sql_by_hash)) == NULL)
        return -KP_ERR_DB;
    db_bind_blob(s, 1, hash, STORE_DESK_HASH_BYTES);
    rc = db_step(s);
    if (rc == DB_ROW && db_col_bytes(s, 6) == STORE_DESK_HASH_BYTES) {
        /* The lookup matched the index; compare again in constant time. */
        match = sodium_memcmp(db_col_blob(s, 6), hash, STORE_DESK_HASH_BYTES) == 0;
        if (match)
            desk_row(s, out);
    }
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return -KP_ERR_DB;
    return match ? 0 : -KP_ERR_NOTFOUND;
}
