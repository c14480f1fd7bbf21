/* SPDX-License-Identifier: ISC */
/*
 * The change counter row (store_change.h): bumped by operator changes,
 * read and acknowledged by the running daemon.
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/store/change.h"
#include "store_internal.h"

static const char sql_bump[] =
    "UPDATE change_counter SET version = version + 1, "
    "keys_version = CASE WHEN ?1 = 1 THEN version + 1 ELSE keys_version END WHERE id = 1 "
    "RETURNING version";
static const char sql_get[] =
    "SELECT version, keys_version, applied, applied_at, daemon_pid FROM change_counter "
    "WHERE id = 1";
/* applied: the larger of the two (the column is NOT NULL). */
static const char sql_applied[] =
    "UPDATE change_counter SET applied = CASE WHEN applied > ?1 THEN applied ELSE ?1 END, "
    "applied_at = ?2, daemon_pid = ?3 WHERE id = 1";
static const char sql_detach[] =
    "UPDATE change_counter SET daemon_pid = 0 WHERE id = 1 AND daemon_pid = ?1";

int64_t store_change_bump(struct store *st, enum store_change_kind kind)
{
    struct db_stmt *s = store_stmt(st, sql_bump);
    int64_t v = -KP_ERR_DB;
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, kind == STORE_CHANGE_KEYS);
    rc = db_step(s);
    if (rc == DB_ROW)
        v = db_col_int64(s, 0);
    /* RETURNING: the change is made when the statement has run to its end. */
    if (rc == DB_ROW && db_step(s) != DB_DONE)
        v = -KP_ERR_DB;
    db_reset(s);
    return v;
}

int store_change_get(struct store *st, struct store_change *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return -KP_ERR_DB;
    rc = db_step(s);
    if (rc == DB_ROW) {
        out->version = db_col_int64(s, 0);
        out->keys_version = db_col_int64(s, 1);
        out->applied = db_col_int64(s, 2);
        out->applied_at = db_col_int64(s, 3);
        out->daemon_pid = (pid_t)db_col_int64(s, 4);
    }
    db_reset(s);
    return rc == DB_ROW ? 0 : -KP_ERR_DB;
}

int store_change_applied(struct store *st, int64_t version, int64_t now, pid_t pid)
{
    struct db_stmt *s;

    if (st->group && store_batch(st) < 0)
        return -KP_ERR_DB;
    if ((s = store_stmt(st, sql_applied)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, version);
    db_bind_int64(s, 2, now);
    db_bind_int64(s, 3, pid);
    return store_step_done(st, s);
}

int store_change_detach(struct store *st, pid_t pid)
{
    struct db_stmt *s = store_stmt(st, sql_detach);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, pid);
    return store_step_done(st, s);
}
