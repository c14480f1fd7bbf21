/* SPDX-License-Identifier: ISC */
/*
 * Desk sessions and in-person verifications.
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/verification.h"
#include "store_internal.h"

static const char sql_session_add[] =
    "INSERT INTO desk_session (token_hash, desk, staff, office, created_at, expires_at, "
    "pin_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/* A session stands only as long as what it was made from: its desk not
   revoked, its staff member still there (at the same office) and not
   locked, and signed in with the PIN they have now (pin_version).
   The changes also delete the sessions (store_session_end_desk/_staff);
   this check is what makes a race between the two harmless. */
static const char sql_session_get[] =
    "SELECT s.desk, s.staff, s.office, s.created_at, s.expires_at, s.pin_version "
    "FROM desk_session s "
    "JOIN desk k ON k.id = s.desk AND k.revoked_at IS NULL "
    "JOIN staff f ON f.id = s.staff AND f.office = s.office AND f.locked = 0 "
    "WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.pin_version = f.pin_version";
static const char sql_session_prune[] = "DELETE FROM desk_session WHERE expires_at <= ?1";
static const char sql_session_end[] = "DELETE FROM desk_session WHERE token_hash = ?1";
static const char sql_session_end_desk[] = "DELETE FROM desk_session WHERE desk = ?1";
static const char sql_session_end_staff[] = "DELETE FROM desk_session WHERE staff = ?1";
static const char sql_verif_expire[] =
    "UPDATE verification SET state = 'expired', updated_at = ?2 "
    "WHERE state IN ('scanned', 'code_sent') AND created_at <= ?1";
static const char sql_verif_add[] =
    "INSERT INTO verification (id, office, desk, staff, citizen_id, serial, state, purpose, "
    "receipt_id, biometric, created_at, updated_at, receipt) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)";
#define SQL_VERIF_COLS                                                                             \
    "SELECT id, office, desk, staff, citizen_id, serial, state, purpose, receipt_id, biometric, "  \
    "created_at, updated_at, receipt FROM verification "
static const char sql_verif_get[] = SQL_VERIF_COLS "WHERE id = ?1";
static const char sql_verif_by_receipt[] =
    SQL_VERIF_COLS "WHERE receipt_id = ?1 AND receipt_id != ''";
static const char sql_verif_update[] =
    "UPDATE verification SET state = ?2, purpose = ?3, receipt_id = ?4, biometric = ?5, "
    "updated_at = ?6, receipt = ?7 WHERE id = ?1";

static const char *const verif_states[] = {"scanned", "code_sent", "verified", "failed", "expired"};

const char *store_verification_state_name(enum store_verification_state s)
{
    return (unsigned)s < KP_ARRAY_LEN(verif_states) ? verif_states[s] : "?";
}

int store_session_add(struct store *st, const struct store_session *s)
{
    struct db_stmt *q = store_stmt(st, sql_session_add);

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_blob(q, 1, s->hash, 32);
    db_bind_text(q, 2, s->desk);
    db_bind_text(q, 3, s->staff);
    db_bind_text(q, 4, s->office);
    db_bind_int64(q, 5, s->created_at);
    db_bind_int64(q, 6, s->expires_at);
    db_bind_int64(q, 7, s->pin_version);
    return store_step_done(st, q);
}

int store_session_get(struct store *st, const uint8_t hash[32], int64_t now,
                      struct store_session *out)
{
    struct db_stmt *q = store_stmt(st, sql_session_get);
    int rc;

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_blob(q, 1, hash, 32);
    db_bind_int64(q, 2, now);
    rc = db_step(q);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof(*out));
        memcpy(out->hash, hash, 32);
        store_col_text(q, 0, out->desk, sizeof(out->desk));
        store_col_text(q, 1, out->staff, sizeof(out->staff));
        store_col_text(q, 2, out->office, sizeof(out->office));
        out->created_at = db_col_int64(q, 3);
        out->expires_at = db_col_int64(q, 4);
        out->pin_version = db_col_int64(q, 5);
    }
    db_reset(q);
    return rc == DB_ROW ? 0 : rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_session_prune(struct store *st, int64_t now)
{
    struct db_stmt *q = store_stmt(st, sql_session_prune);
    int rc;

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_int64(q, 1, now);
    rc = store_step_done(st, q);
    return rc < 0 ? rc : db_changes(st->db);
}

/* Run a DELETE of sessions by one text or blob key; how many went, or < 0. */
static int session_delete(struct store *st, const char *sql, const void *key, int blob)
{
    struct db_stmt *q = store_stmt(st, sql);
    int rc;

    if (q == NULL)
        return -KP_ERR_DB;
    if (blob)
        db_bind_blob(q, 1, key, 32);
    else
        db_bind_text(q, 1, key);
    rc = store_step_done(st, q);
    return rc < 0 ? rc : db_changes(st->db);
}

int store_session_end(struct store *st, const uint8_t hash[32])
{
    return session_delete(st, sql_session_end, hash, 1);
}

int store_session_end_desk(struct store *st, const char *desk)
{
    return session_delete(st, sql_session_end_desk, desk, 0);
}

int store_session_end_staff(struct store *st, const char *staff)
{
    return session_delete(st, sql_session_end_staff, staff, 0);
}

int store_verification_expire(struct store *st, int64_t before, int64_t now)
{
    struct db_stmt *q = store_stmt(st, sql_verif_expire);
    int rc;

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_int64(q, 1, before);
    db_bind_int64(q, 2, now);
    rc = store_step_done(st, q);
    return rc < 0 ? rc : db_changes(st->db);
}

int store_verification_add(struct store *st, const struct store_verification *v)
{
    struct db_stmt *q = store_stmt(st, sql_verif_add);

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_text(q, 1, v->id);
    db_bind_text(q, 2, v->office);
    db_bind_text(q, 3, v->desk);
    db_bind_text(q, 4, v->staff);
    db_bind_int64(q, 5, v->citizen_id);
    db_bind_text(q, 6, v->serial);
    db_bind_text(q, 7, store_verification_state_name(v->state));
    db_bind_text(q, 8, v->purpose);
    db_bind_text(q, 9, v->receipt_id);
    db_bind_text(q, 10, v->biometric);
    db_bind_int64(q, 11, v->created_at);
    db_bind_text(q, 12, v->receipt);
    return store_step_done(st, q);
}

/* One row of sql (SQL_VERIF_COLS, one text parameter key) into out. */
static int verification_read(struct store *st, const char *sql, const char *key,
                             struct store_verification *out)
{
    struct db_stmt *q = store_stmt(st, sql);
    char state[16];
    int rc;

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_text(q, 1, key);
    rc = db_step(q);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof(*out));
        store_col_text(q, 0, out->id, sizeof(out->id));
        store_col_text(q, 1, out->office, sizeof(out->office));
        store_col_text(q, 2, out->desk, sizeof(out->desk));
        store_col_text(q, 3, out->staff, sizeof(out->staff));
        out->citizen_id = db_col_int64(q, 4);
        store_col_text(q, 5, out->serial, sizeof(out->serial));
        store_col_text(q, 6, state, sizeof(state));
        for (unsigned i = 0; i < KP_ARRAY_LEN(verif_states); i++)
            if (strcmp(state, verif_states[i]) == 0)
                out->state = (enum store_verification_state)i;
        store_col_text(q, 7, out->purpose, sizeof(out->purpose));
        store_col_text(q, 8, out->receipt_id, sizeof(out->receipt_id));
        store_col_text(q, 9, out->biometric, sizeof(out->biometric));
        out->created_at = db_col_int64(q, 10);
        out->updated_at = db_col_int64(q, 11);
        store_col_text(q, 12, out->receipt, sizeof(out->receipt));
    }
    db_reset(q);
    return rc == DB_ROW ? 0 : rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_verification_get(struct store *st, const char *id, struct store_verification *out)
{
    return verification_read(st, sql_verif_get, id, out);
}

int store_verification_by_receipt(struct store *st, const char *rid, struct store_verification *out)
{
    return verification_read(st, sql_verif_by_receipt, rid, out);
}

int store_verification_update(struct store *st, const struct store_verification *v)
{
    struct db_stmt *q = store_stmt(st, sql_verif_update);

    if (q == NULL)
        return -KP_ERR_DB;
    db_bind_text(q, 1, v->id);
    db_bind_text(q, 2, store_verification_state_name(v->state));
    db_bind_text(q, 3, v->purpose);
    db_bind_text(q, 4, v->receipt_id);
    db_bind_text(q, 5, v->biometric);
    db_bind_int64(q, 6, v->updated_at);
    db_bind_text(q, 7, v->receipt);
    return store_step_done(st, q);
}
