/* SPDX-License-Identifier: ISC */
/*
 * One-time codes: otp_code (keyed hashes, never the codes), otp_log (issue
 * times behind the rate limits), otp_lock (lockout counters) and
 * code_request (USSD requests answered and not issued yet).
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/store/otp.h"
#include "kpass/store/backend.h"
#include "store_internal.h"

#define OTP_COLS                                                                                   \
    "id, citizen_id, purpose, office, desk, hash, msisdn, issued_at, expires_at, tries, use, "     \
    "sms_id"

static const char sql_supersede[] =
    "UPDATE otp_code SET use = 3 WHERE citizen_id = ?1 AND purpose = ?2 AND office = ?3 "
    "AND desk = ?4 AND use = 0";
static const char sql_insert[] =
    "INSERT INTO otp_code (citizen_id, purpose, office, desk, hash, msisdn, issued_at, "
    "expires_at, sms_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
static const char sql_latest[] =
    "SELECT " OTP_COLS " FROM otp_code WHERE citizen_id = ?1 AND purpose = ?2 AND office = ?3 "
    "AND desk = ?4 ORDER BY id DESC LIMIT 1";
/* A wrong try counted in one statement, on the row as it is now: the
   try that reaches ?2 kills the code, and none counts on a code that
   another node killed, consumed or superseded meanwhile. */
static const char sql_wrong[] =
    "UPDATE otp_code SET tries = tries + 1, "
    "use = CASE WHEN tries + 1 >= ?2 THEN 2 ELSE use END WHERE id = ?1 AND use = 0 "
    "RETURNING tries";
static const char sql_use[] = "SELECT use FROM otp_code WHERE id = ?1";
static const char sql_consume[] = "UPDATE otp_code SET use = 1 WHERE id = ?1 AND use = 0";
static const char sql_log[] = "INSERT INTO otp_log (key, at) VALUES (?1, ?2)";
static const char sql_window[] =
    "SELECT count(*), max(at) FROM otp_log WHERE key = ?1 AND at >= ?2";
static const char sql_window_nth[] =
    "SELECT at FROM otp_log WHERE key = ?1 AND at >= ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3";
static const char sql_req_add[] =
    "INSERT INTO code_request (msisdn, purpose, citizen_id, at, lang) VALUES (?1, ?2, ?3, ?4, ?5) "
    "RETURNING id";
static const char sql_req_next[] =
    "SELECT id, msisdn, purpose, citizen_id, at, lang FROM code_request WHERE id <= ?1 "
    "ORDER BY id LIMIT 1";
/* PostgreSQL: the row is claimed until the issuing pass commits; another
   node's flush passes over it (doc/cluster.md 5.1), so none is issued twice. */
static const char sql_req_next_pg[] =
    "SELECT id, msisdn, purpose, citizen_id, at, lang FROM code_request WHERE id <= ?1 "
    "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char sql_req_delete[] = "DELETE FROM code_request WHERE id = ?1";
static const char sql_req_last[] = "SELECT coalesce(max(id), 0) FROM code_request";
static const char sql_prune[] = "DELETE FROM otp_log WHERE at < ?1";
static const char sql_gate_prune[] = "DELETE FROM otp_gate WHERE at < ?1";
/* Taking the key's row holds its lock until the transaction ends. */
static const char sql_gate[] = "INSERT INTO otp_gate (key, at) VALUES (?1, ?2) "
                               "ON CONFLICT (key) DO UPDATE SET at = excluded.at";
static const char sql_lock_get[] =
    "SELECT failures, lockouts, locked_until FROM otp_lock WHERE citizen_id = ?1";
/* A wrong try on the citizen's record, counted in one statement. */
static const char sql_lock_fail[] =
    "INSERT INTO otp_lock (citizen_id, failures, lockouts, locked_until) VALUES (?1, 1, 0, 0) "
    "ON CONFLICT (citizen_id) DO UPDATE SET failures = otp_lock.failures + 1 "
    "RETURNING failures, lockouts, locked_until";
static const char sql_lock_start[] =
    "UPDATE otp_lock SET failures = 0, lockouts = lockouts + 1, locked_until = ?2 "
    "WHERE citizen_id = ?1";
/* A success clears the record, unless a lockout began meanwhile. */
static const char sql_lock_clear[] =
    "UPDATE otp_lock SET failures = 0, lockouts = 0, locked_until = 0 "
    "WHERE citizen_id = ?1 AND locked_until <= ?2";

static void otp_bind_binding(struct db_stmt *s, int64_t citizen_id, const char *purpose,
                             const char *office, const char *desk)
{
    db_bind_int64(s, 1, citizen_id);
    db_bind_text(s, 2, purpose);
    db_bind_text(s, 3, office ? office : "");
    db_bind_text(s, 4, desk ? desk : "");
}

int store_otp_insert(struct store *st, struct store_otp *p)
{
    struct db_stmt *s = store_stmt(st, sql_supersede);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    otp_bind_binding(s, p->citizen_id, p->purpose, p->office, p->desk);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    otp_bind_binding(s, p->citizen_id, p->purpose, p->office, p->desk);
    db_bind_blob(s, 5, p->hash, OTP_HASH_BYTES);
    db_bind_text(s, 6, p->msisdn);
    db_bind_int64(s, 7, p->issued_at);
    db_bind_int64(s, 8, p->expires_at);
    if (p->sms_id)
        db_bind_int64(s, 9, p->sms_id);
    else
        db_bind_null(s, 9);
    return store_step_id(st, s, &p->id);
}

int store_otp_latest(struct store *st, int64_t citizen_id, const char *purpose, const char *office,
                     const char *desk, struct store_otp *out)
{
    struct db_stmt *s = store_stmt(st, sql_latest);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    otp_bind_binding(s, citizen_id, purpose, office, desk);
    rc = db_step(s);
    if (rc != DB_ROW) {
        db_reset(s);
        return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
    }
    memset(out, 0, sizeof(*out));
    out->id = db_col_int64(s, 0);
    out->citizen_id = db_col_int64(s, 1);
    store_col_text(s, 2, out->purpose, sizeof(out->purpose));
    store_col_text(s, 3, out->office, sizeof(out->office));
    store_col_text(s, 4, out->desk, sizeof(out->desk));
    if (db_col_bytes(s, 5) == OTP_HASH_BYTES)
        memcpy(out->hash, db_col_blob(s, 5), OTP_HASH_BYTES);
    store_col_text(s, 6, out->msisdn, sizeof(out->msisdn));
    out->issued_at = db_col_int64(s, 7);
    out->expires_at = db_col_int64(s, 8);
    out->tries = (unsigned)db_col_int64(s, 9);
    out->use = (enum store_otp_use)db_col_int64(s, 10);
    out->sms_id = db_col_int64(s, 11);
    db_reset(s);
    return 0;
}

int store_otp_gone(struct store *st, int64_t id)
{
    struct db_stmt *s = store_stmt(st, sql_use);
    int64_t use = -1;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    if (db_step(s) == DB_ROW)
        use = db_col_int64(s, 0);
    db_reset(s);
    switch (use) {
    case STORE_OTP_USED:
        return -KP_ERR_USED;
    case STORE_OTP_DEAD:
        return -KP_ERR_LIMIT;
    case STORE_OTP_SUPERSEDED:
        return -KP_ERR_NOTFOUND;
    default:
        return -KP_ERR_DB;
    }
}

int store_otp_wrong(struct store *st, int64_t id, unsigned max_tries, unsigned *tries)
{
    struct db_stmt *s = store_stmt(st, sql_wrong);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, max_tries);
    rc = db_step(s);
    if (rc == DB_ROW) {
        *tries = (unsigned)db_col_int64(s, 0);
        rc = db_step(s); /* RETURNING: the change is made at the statement's end */
    }
    db_reset(s);
    if (rc < 0)
        return store_step_fail(st, rc);
    return db_changes(st->db) == 1 ? 0 : store_otp_gone(st, id);
}

int store_otp_consume(struct store *st, int64_t id)
{
    struct db_stmt *s = store_stmt(st, sql_consume);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    /* Exactly one consumer: "UPDATE ... WHERE use = 0" (DESIGN.md §6). */
    return db_changes(st->db) == 1 ? 0 : -KP_ERR_USED;
}

int store_otp_log(struct store *st, const char *key, int64_t at)
{
    struct db_stmt *s = store_stmt(st, sql_log);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, key);
    db_bind_int64(s, 2, at);
    return store_step_done(st, s);
}

/* key and since into s, stepped to its one row; DB_ROW or another code. */
static int otp_window_step(struct db_stmt *s, const char *key, int64_t since)
{
    db_bind_text(s, 1, key);
    db_bind_int64(s, 2, since);
    return db_step(s);
}

/*
 * On a node of a cluster, take key's gate row first: its lock, held to the
 * end of the transaction, makes "count the window, then log an issue" of
 * one key a single step across nodes; another node's count of that key
 * waits for this transaction and then sees its issue.  One node needs no
 * gate: its event loop is the only writer.
 */
static int otp_gate(struct store *st, const char *key, int64_t since)
{
    struct db_stmt *s;

    if (!store_shared(st))
        return 0;
    if (store_batch(st) < 0 || (s = store_stmt(st, sql_gate)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, key);
    db_bind_int64(s, 2, since);
    return store_step_done(st, s);
}

int store_otp_window(struct store *st, const char *key, int64_t since, uint32_t nth,
                     struct otp_recent *out)
{
    struct db_stmt *s;
    int rc;

    memset(out, 0, sizeof(*out));
    if (otp_gate(st, key, since) < 0 || (s = store_stmt(st, sql_window)) == NULL)
        return -KP_ERR_DB;
    rc = otp_window_step(s, key, since);
    if (rc == DB_ROW) {
        out->count = (uint32_t)db_col_int64(s, 0);
        out->newest = db_col_int64(s, 1);
    }
    db_reset(s);
    if (rc != DB_ROW)
        return -KP_ERR_DB;
    if (nth == 0 || out->count < nth)
        return 0;
    /* The window is full: when does its oldest counted issue leave it? */
    if ((s = store_stmt(st, sql_window_nth)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 3, nth - 1);
    rc = otp_window_step(s, key, since);
    if (rc == DB_ROW)
        out->nth = db_col_int64(s, 0);
    db_reset(s);
    return rc == DB_ROW ? 0 : -KP_ERR_DB;
}

int store_otp_log_prune(struct store *st, int64_t before)
{
    struct db_stmt *s = store_stmt(st, sql_prune);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, before);
    if ((rc = store_step_done(st, s)) < 0 || (s = store_stmt(st, sql_gate_prune)) == NULL)
        return rc < 0 ? rc : -KP_ERR_DB;
    db_bind_int64(s, 1, before);
    return store_step_done(st, s);
}

int store_otp_lock_get(struct store *st, int64_t citizen_id, struct otp_lock *out)
{
    struct db_stmt *s = store_stmt(st, sql_lock_get);

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, citizen_id);
    if (db_step(s) == DB_ROW) {
        out->failures = (uint32_t)db_col_int64(s, 0);
        out->lockouts = (uint32_t)db_col_int64(s, 1);
        out->locked_until = db_col_int64(s, 2);
    }
    db_reset(s);
    return 0;
}

int store_otp_lock_fail(struct store *st, int64_t citizen_id, struct otp_lock *out)
{
    struct db_stmt *s = store_stmt(st, sql_lock_fail);
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, citizen_id);
    rc = db_step(s);
    if (rc == DB_ROW) {
        out->failures = (uint32_t)db_col_int64(s, 0);
        out->lockouts = (uint32_t)db_col_int64(s, 1);
        out->locked_until = db_col_int64(s, 2);
        rc = db_step(s);
    } else if (rc == DB_DONE) {
        rc = -KP_ERR_DB;
    }
    db_reset(s);
    return rc < 0 ? store_step_fail(st, rc) : 0;
}

int store_otp_lock_start(struct store *st, int64_t citizen_id, int64_t until)
{
    struct db_stmt *s = store_stmt(st, sql_lock_start);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, citizen_id);
    db_bind_int64(s, 2, until);
    return store_step_done(st, s);
}

int store_otp_lock_clear(struct store *st, int64_t citizen_id, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_lock_clear);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, citizen_id);
    db_bind_int64(s, 2, now);
    return store_step_done(st, s);
}

int store_code_request_add(struct store *st, const char *msisdn, const char *purpose,
                           const char *lang, int64_t citizen_id, int64_t at, int64_t *id)
{
    struct db_stmt *s = store_stmt(st, sql_req_add);
    int64_t added;
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, msisdn);
    db_bind_text(s, 2, purpose);
    if (citizen_id)
        db_bind_int64(s, 3, citizen_id);
    else
        db_bind_null(s, 3);
    db_bind_int64(s, 4, at);
    db_bind_text(s, 5, lang && lang[0] ? lang : "en");
    if ((rc = store_step_id(st, s, &added)) == 0 && id)
        *id = added;
    return rc;
}

int store_code_request_next(struct store *st, int64_t upto, struct store_code_request *out)
{
    struct db_stmt *s =
        store_stmt(st, db_kind(st->db) == DB_POSTGRESQL ? sql_req_next_pg : sql_req_next);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, upto);
    rc = db_step(s);
    if (rc == DB_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = db_col_int64(s, 0);
        store_col_text(s, 1, out->msisdn, sizeof(out->msisdn));
        store_col_text(s, 2, out->purpose, sizeof(out->purpose));
        out->citizen_id = db_col_int64(s, 3);
        out->at = db_col_int64(s, 4);
        store_col_text(s, 5, out->lang, sizeof(out->lang));
    }
    db_reset(s);
    return rc == DB_ROW ? 0 : rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_code_request_delete(struct store *st, int64_t id)
{
    struct db_stmt *s = store_stmt(st, sql_req_delete);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    return store_step_done(st, s);
}

int64_t store_code_request_last(struct store *st)
{
    struct db_stmt *s = store_stmt(st, sql_req_last);
    int64_t v = -KP_ERR_DB;

    if (s == NULL)
        return -KP_ERR_DB;
    if (db_step(s) == DB_ROW)
        v = db_col_int64(s, 0);
    db_reset(s);
    return v;
}
