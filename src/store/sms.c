/* SPDX-License-Identifier: ISC */
/*
 * The SMS outbox tables: sms_outbox (one row per message) and sms_part (the
 * message_id of each part, for delivery receipts).
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/sms.h"
#include "store_internal.h"

#define SMS_COLS                                                                                   \
    "id, msisdn, body, is_code, state, partner_id, attempts, next_attempt_at, expires_at, "        \
    "message_id, parts, last_status, created_at, updated_at, subject, code_at, code_box, "         \
    "concat_ref"

static const char sql_queue[] =
    "INSERT INTO sms_outbox (msisdn, body, is_code, state, next_attempt_at, expires_at, "
    "created_at, updated_at, subject) VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?4, ?4, ?6) "
    "RETURNING id";
static const char sql_queue_code[] =
    "INSERT INTO sms_outbox (msisdn, body, is_code, state, next_attempt_at, expires_at, "
    "created_at, updated_at, subject, code_at, code_box) "
    "VALUES (?1, ?2, 1, 'queued', ?3, ?4, ?3, ?3, ?5, ?6, ?7) RETURNING id";
static const char sql_set_ref[] = "UPDATE sms_outbox SET concat_ref = ?2 WHERE id = ?1";
static const char sql_due[] =
    "SELECT " SMS_COLS " FROM sms_outbox WHERE state = 'queued' AND next_attempt_at <= ?1 "
    "AND expires_at > ?1 ORDER BY next_attempt_at, id LIMIT ?2";
/* A final state never changes (sms.h): a receipt can settle a message
   before the response to its last part arrives. */
static const char sql_update[] =
    "UPDATE sms_outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, "
    "partner_id = CASE WHEN ?5 = 0 THEN partner_id ELSE ?5 END, last_status = ?6, "
    "updated_at = ?7 WHERE id = ?1 "
    "AND state NOT IN ('delivered', 'undeliverable', 'expired', 'failed')";
static const char sql_part[] =
    "INSERT INTO sms_part (sms_id, part, partner_id, message_id) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (sms_id, part) DO UPDATE SET partner_id = excluded.partner_id, "
    "message_id = excluded.message_id";
/* parts: how many parts were accepted (the larger of the two; parts is
   NOT NULL); message_id: the first part's.  CAST: PostgreSQL types a
   parameter from its first use, and ?3 is text. */
static const char sql_part_seen[] =
    "UPDATE sms_outbox SET parts = CASE WHEN parts > ?2 THEN parts ELSE ?2 END, "
    "message_id = CASE WHEN ?2 = 1 THEN CAST(?3 AS TEXT) ELSE message_id END WHERE id = ?1";
static const char sql_by_mid[] =
    "SELECT " SMS_COLS " FROM sms_outbox WHERE id = (SELECT sms_id FROM sms_part "
    "WHERE partner_id = ?1 AND message_id = ?2 ORDER BY sms_id DESC LIMIT 1)";
static const char sql_expire[] = "UPDATE sms_outbox SET state = 'expired', updated_at = ?1 "
                                 "WHERE state = 'queued' AND expires_at <= ?1";
static const char sql_scrub[] =
    "UPDATE sms_outbox SET body = NULL, code_box = NULL, updated_at = ?1 "
    "WHERE is_code = 1 AND body IS NOT NULL "
    "AND (expires_at <= ?1 OR state IN ('delivered', 'undeliverable', 'expired', 'failed'))";
static const char sql_recover[] =
    "UPDATE sms_outbox SET state = 'queued', next_attempt_at = ?1, updated_at = ?1 "
    "WHERE state = 'sending'";
/*
 * The cluster's claims (issue 12, doc/cluster.md 5.3).  A node takes up
 * to ?4 due messages for itself in one statement: SKIP LOCKED passes over
 * rows another node is claiming in its open transaction, and a committed
 * claim is 'sending', which no one else picks.  The lease is renewed while
 * the node waits for its answers; once it passed, any node puts the
 * message back in the queue.
 */
static const char sql_claim[] =
    "UPDATE sms_outbox SET state = 'sending', claimed_by = ?2, lease_until = ?3, updated_at = ?1 "
    "WHERE id IN (SELECT id FROM sms_outbox WHERE state = 'queued' AND next_attempt_at <= ?1 "
    "AND expires_at > ?1 ORDER BY next_attempt_at, id LIMIT ?4 FOR UPDATE SKIP LOCKED) "
    "RETURNING " SMS_COLS;
static const char sql_renew[] = "UPDATE sms_outbox SET lease_until = ?3 "
                                "WHERE claimed_by = ?2 AND state = 'sending' AND lease_until >= ?1";
static const char sql_takeover[] =
    "UPDATE sms_outbox SET state = 'queued', next_attempt_at = ?1, updated_at = ?1 "
    "WHERE state = 'sending' AND lease_until < ?1";
/* At a node's start: what it claimed in its previous life, and what a
   single node left (no lease), not what the other nodes are sending. */
static const char sql_recover_node[] =
    "UPDATE sms_outbox SET state = 'queued', next_attempt_at = ?1, updated_at = ?1 "
    "WHERE state = 'sending' AND (claimed_by = ?2 OR lease_until IS NULL)";
/* sql_update, for the node whose claim it is: after its lease passed and
   another node took the message over, a late answer changes nothing. */
static const char sql_settle[] =
    "UPDATE sms_outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, "
    "partner_id = CASE WHEN ?5 = 0 THEN partner_id ELSE ?5 END, last_status = ?6, "
    "updated_at = ?7 WHERE id = ?1 AND claimed_by = ?8 AND state = 'sending'";
static const char sql_get[] = "SELECT " SMS_COLS " FROM sms_outbox WHERE id = ?1";
static const char sql_list[] =
    "SELECT " SMS_COLS " FROM sms_outbox WHERE ?1 = '' OR state = ?1 ORDER BY id DESC LIMIT ?2";
static const char sql_counts[] = "SELECT state, count(*) FROM sms_outbox GROUP BY state";

static const char *const sms_state_names[] = {
    [SMS_QUEUED] = "queued",
    [SMS_SENDING] = "sending",
    [SMS_SENT] = "sent",
    [SMS_DELIVERED] = "delivered",
    [SMS_UNDELIVERABLE] = "undeliverable",
    [SMS_EXPIRED] = "expired",
    [SMS_FAILED] = "failed",
};

const char *sms_state_name(enum sms_state s)
{
    return (unsigned)s < SMS_STATE_MAX ? sms_state_names[s] : "?";
}

int sms_state_parse(const char *name)
{
    for (int i = 0; i < SMS_STATE_MAX; i++)
        if (strcmp(name, sms_state_names[i]) == 0)
            return i;
    return -KP_ERR_INVAL;
}

int store_sms_queue(struct store *st, const char *msisdn, const char *body, int is_code,
                    const char *subject, int64_t expires_at, int64_t now, int64_t *id)
{
    struct db_stmt *s = store_stmt(st, sql_queue);
    int64_t added;
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (strlen(body) >= STORE_SMS_BODY_MAX)
        return -KP_ERR_TOOLONG;
    db_bind_text(s, 1, msisdn);
    db_bind_text(s, 2, body);
    db_bind_int64(s, 3, is_code ? 1 : 0);
    db_bind_int64(s, 4, now);
    db_bind_int64(s, 5, expires_at);
    db_bind_text(s, 6, subject);
    rc = store_step_id(st, s, &added);
    if (rc == 0 && id)
        *id = added;
    return rc;
}

int store_sms_queue_code(struct store *st, const char *msisdn, const char *body, int code_at,
                         const uint8_t box[OTP_SEALED_BYTES], const char *subject,
                         int64_t expires_at, int64_t now, int64_t *id)
{
    struct db_stmt *s = store_stmt(st, sql_queue_code);
    int64_t added;
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (strlen(body) + OTP_DIGITS >= STORE_SMS_BODY_MAX)
        return -KP_ERR_TOOLONG;
    if (code_at < 0 || (size_t)code_at > strlen(body))
        return -KP_ERR_INVAL;
    db_bind_text(s, 1, msisdn);
    db_bind_text(s, 2, body);
    db_bind_int64(s, 3, now);
    db_bind_int64(s, 4, expires_at);
    db_bind_text(s, 5, subject);
    db_bind_int64(s, 6, code_at);
    db_bind_blob(s, 7, box, OTP_SEALED_BYTES);
    rc = store_step_id(st, s, &added);
    if (rc == 0 && id)
        *id = added;
    return rc;
}

int store_sms_set_ref(struct store *st, int64_t id, int ref)
{
    struct db_stmt *s = store_stmt(st, sql_set_ref);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, ref);
    return store_step_done(st, s);
}

static void sms_row(struct db_stmt *s, struct store_sms *m)
{
    char state[16];
    int sv;

    memset(m, 0, sizeof(*m));
    m->id = db_col_int64(s, 0);
    store_col_text(s, 1, m->msisdn, sizeof(m->msisdn));
    m->scrubbed = db_col_is_null(s, 2);
    store_col_text(s, 2, m->body, sizeof(m->body));
    m->is_code = db_col_int64(s, 3);
    store_col_text(s, 4, state, sizeof(state));
    sv = sms_state_parse(state);
    m->state = sv < 0 ? SMS_FAILED : (enum sms_state)sv;
    m->partner_id = db_col_int64(s, 5);
    m->attempts = (unsigned)db_col_int64(s, 6);
    m->next_attempt_at = db_col_int64(s, 7);
    m->expires_at = db_col_int64(s, 8);
    store_col_text(s, 9, m->message_id, sizeof(m->message_id));
    m->parts = (unsigned)db_col_int64(s, 10);
    m->last_status = (uint32_t)db_col_int64(s, 11);
    m->created_at = db_col_int64(s, 12);
    m->updated_at = db_col_int64(s, 13);
    store_col_text(s, 14, m->subject, sizeof(m->subject));
    m->code_at = -1;
    if (!db_col_is_null(s, 15) && db_col_bytes(s, 16) == OTP_SEALED_BYTES) {
        m->code_at = db_col_int64(s, 15);
        memcpy(m->code_box, db_col_blob(s, 16), OTP_SEALED_BYTES);
    }
    m->concat_ref = db_col_is_null(s, 17) ? -1 : db_col_int64(s, 17);
}

static int sms_rows(struct db_stmt *s, struct store_sms *out, int max)
{
    int n = 0, rc;

    while (n < max && (rc = db_step(s)) == DB_ROW)
        sms_row(s, &out[n++]);
    db_reset(s);
    return n;
}

int store_sms_due(struct store *st, int64_t now, struct store_sms *out, int max)
{
    struct db_stmt *s = store_stmt(st, sql_due);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, now);
    db_bind_int64(s, 2, max);
    return sms_rows(s, out, max);
}

/* sql_update or sql_settle (node: the claim's holder). */
static int sms_update(struct store *st, const char *node, int64_t id, enum sms_state state,
                      unsigned attempts, int64_t next_attempt_at, int64_t partner_id,
                      uint32_t last_status, int64_t now)
{
    struct db_stmt *s = store_stmt(st, node ? sql_settle : sql_update);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (node)
        db_bind_text(s, 8, node);
    db_bind_int64(s, 1, id);
    db_bind_text(s, 2, sms_state_name(state));
    db_bind_int64(s, 3, attempts);
    db_bind_int64(s, 4, next_attempt_at);
    db_bind_int64(s, 5, partner_id);
    db_bind_int64(s, 6, last_status);
    db_bind_int64(s, 7, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    return db_changes(st->db);
}

int store_sms_update(struct store *st, int64_t id, enum sms_state state, unsigned attempts,
                     int64_t next_attempt_at, int64_t partner_id, uint32_t last_status, int64_t now)
{
    return sms_update(st, NULL, id, state, attempts, next_attempt_at, partner_id, last_status, now);
}

int store_sms_settle(struct store *st, const char *node, int64_t id, enum sms_state state,
                     unsigned attempts, int64_t next_attempt_at, int64_t partner_id,
                     uint32_t last_status, int64_t now)
{
    return sms_update(st, node, id, state, attempts, next_attempt_at, partner_id, last_status, now);
}

int store_sms_claim(struct store *st, const char *node, int64_t now, int64_t lease_until,
                    struct store_sms *out, int max)
{
    struct db_stmt *s = store_stmt(st, sql_claim);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, now);
    db_bind_text(s, 2, node);
    db_bind_int64(s, 3, lease_until);
    db_bind_int64(s, 4, max);
    return sms_rows(s, out, max);
}

/* One of the node statements: ?1 now, ?2 the node, ?3 a time (bound
   only when the statement has it). */
static int sms_exec_node(struct store *st, const char *sql, int64_t now, const char *node,
                         int64_t t, int count)
{
    struct db_stmt *s = store_stmt(st, sql);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, now);
    if (node)
        db_bind_text(s, 2, node);
    if (t)
        db_bind_int64(s, 3, t);
    rc = store_step_done(st, s);
    return rc < 0 || !count ? rc : db_changes(st->db);
}

int store_sms_renew(struct store *st, const char *node, int64_t now, int64_t lease_until)
{
    /* Not counted: db_changes() would wait for the database (pipeline). */
    return sms_exec_node(st, sql_renew, now, node, lease_until, 0);
}

int store_sms_takeover(struct store *st, int64_t now)
{
    return sms_exec_node(st, sql_takeover, now, NULL, 0, 1);
}

int store_sms_recover_node(struct store *st, const char *node, int64_t now)
{
    return sms_exec_node(st, sql_recover_node, now, node, 0, 1);
}

int store_sms_part(struct store *st, int64_t id, unsigned part, int64_t partner_id,
                   const char *message_id)
{
    struct db_stmt *s = store_stmt(st, sql_part);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (message_id && message_id[0]) { /* else no receipt can name it: only counted */
        db_bind_int64(s, 1, id);
        db_bind_int64(s, 2, part);
        db_bind_int64(s, 3, partner_id);
        db_bind_text(s, 4, message_id);
        if ((rc = store_step_done(st, s)) < 0)
            return rc;
    } else {
        message_id = NULL;
    }
    s = store_stmt(st, sql_part_seen);
    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, part);
    db_bind_text(s, 3, message_id);
    return store_step_done(st, s);
}

int store_sms_by_message_id(struct store *st, int64_t partner_id, const char *message_id,
                            struct store_sms *out)
{
    struct db_stmt *s = store_stmt(st, sql_by_mid);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, message_id);
    return sms_rows(s, out, 1) == 1 ? 0 : -KP_ERR_NOTFOUND;
}

static int sms_exec_now(struct store *st, const char *sql, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, now);
    rc = store_step_done(st, s);
    return rc < 0 ? rc : db_changes(st->db);
}

int store_sms_expire(struct store *st, int64_t now)
{
    return sms_exec_now(st, sql_expire, now);
}

int store_sms_scrub(struct store *st, int64_t now)
{
    return sms_exec_now(st, sql_scrub, now);
}

int store_sms_recover(struct store *st, int64_t now)
{
    return sms_exec_now(st, sql_recover, now);
}

int store_sms_get(struct store *st, int64_t id, struct store_sms *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    return sms_rows(s, out, 1) == 1 ? 0 : -KP_ERR_NOTFOUND;
}

int store_sms_list(struct store *st, int state, struct store_sms *out, int max)
{
    struct db_stmt *s = store_stmt(st, sql_list);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, state < 0 ? "" : sms_state_name((enum sms_state)state));
    db_bind_int64(s, 2, max);
    return sms_rows(s, out, max);
}

int store_sms_counts(struct store *st, uint64_t counts[SMS_STATE_MAX])
{
    struct db_stmt *s = store_stmt(st, sql_counts);
    char name[16];

    memset(counts, 0, sizeof(uint64_t) * SMS_STATE_MAX);
    if (s == NULL)
        return -KP_ERR_DB;
    while (db_step(s) == DB_ROW) {
        int sv;
        store_col_text(s, 0, name, sizeof(name));
        if ((sv = sms_state_parse(name)) >= 0)
            counts[sv] = (uint64_t)db_col_int64(s, 1);
    }
    db_reset(s);
    return 0;
}

static const char sql_oldest[] =
    "SELECT min(created_at) FROM sms_outbox WHERE state IN ('queued', 'sending')";

int store_sms_oldest_pending(struct store *st, int64_t *created_at)
{
    struct db_stmt *s = store_stmt(st, sql_oldest);
    int rc = -KP_ERR_DB;

    if (s == NULL)
        return rc;
    if (db_step(s) == DB_ROW) {
        rc = db_col_is_null(s, 0) ? -KP_ERR_NOTFOUND : 0;
        *created_at = db_col_int64(s, 0);
    }
    db_reset(s);
    return rc;
}
