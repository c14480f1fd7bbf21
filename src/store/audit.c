/* SPDX-License-Identifier: ISC */
/*
 * The audit table's rows (see store/audit.h): the checks on what a row
 * may say, inserting a row whose hash the audit layer made (audit/), the
 * head, the walk in id order, and listing rows for `kpass audit show`.
 * No key and no hash is computed here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "store_internal.h"

#define AUDIT_COLS     "id, at, event, actor, subject, detail, prev, hash"
#define AUDIT_HASH     STORE_AUDIT_HASH_BYTES
#define AUDIT_LIST_MAX 10000

static const char sql_head[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
/*
 * PostgreSQL: the chain's appends, one transaction at a time (doc/cluster.md
 * 5.2).  Several processes append (kpassd nodes, the CLI); without this two
 * would read the same head, and the second INSERT of the same id would fail
 * its whole transaction (a kpassd pass).  The lock is the transaction's:
 * taken before the head is read, so that the read (a new snapshot in READ
 * COMMITTED) sees the previous holder's commit, and held to COMMIT or
 * ROLLBACK.  Its key is the schema's, as the daemons' lock (db_pg.c), so
 * schemas side by side do not wait on each other.  Taken again at each
 * append (it stacks): a savepoint rolled back may have released it.
 */
static const char sql_head_lock_pg[] =
    "SELECT pg_advisory_xact_lock(1802526561, hashtext(current_schema()))";
static const char sql_insert[] =
    "INSERT INTO audit (" AUDIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_walk[] = "SELECT " AUDIT_COLS " FROM audit ORDER BY id";
static const char sql_get[] = "SELECT " AUDIT_COLS " FROM audit WHERE id = ?1";
/* The filters each has, in this order: subject, event (NULL: any), then
   since, before id and limit (audit_list_bind). */
static const char sql_list_subject[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE subject = ?1 AND (?2 IS NULL OR event = ?2) "
    "AND at >= ?3 AND id < ?4 ORDER BY id DESC LIMIT ?5";
static const char sql_list_event[] = "SELECT " AUDIT_COLS " FROM audit WHERE event = ?1 "
                                     "AND at >= ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4";
static const char sql_list_recent[] = "SELECT " AUDIT_COLS " FROM audit WHERE "
                                      "at >= ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";

void store_audit_set_chain(struct store *st, const void *chain)
{
    st->audit_chain = chain;
}

const void *store_audit_chain(const struct store *st)
{
    return st->audit_chain;
}

static int audit_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int audit_digit(char c)
{
    return c >= '0' && c <= '9';
}

int store_audit_event_check(const char *event)
{
    size_t i = 0, dots = 0, len = strlen(event);

    if (len > STORE_AUDIT_EVENT_MAX)
        return -KP_ERR_INVAL;
    /* [a-z]+ then one or more (\.[a-z_]+) */
    while (audit_lower(event[i]))
        i++;
    if (i == 0)
        return -KP_ERR_INVAL;
    while (event[i] == '.') {
        size_t start = ++i;
        while (audit_lower(event[i]) || event[i] == '_')
            i++;
        if (i == start)
            return -KP_ERR_INVAL;
        dots++;
    }
    return event[i] == '\0' && dots > 0 ? 0 : -KP_ERR_INVAL;
}

int store_audit_actor_check(const char *actor)
{
    size_t i = 0, len = strlen(actor);

    if (len > STORE_AUDIT_ACTOR_MAX)
        return -KP_ERR_INVAL;
    while (audit_lower(actor[i]))
        i++;
    if (i == 0)
        return -KP_ERR_INVAL;
    if (actor[i] == ':') {
        size_t start = ++i;
        while (actor[i] > ' ' && actor[i] < 0x7f)
            i++;
        if (i == start || i - start > 40)
            return -KP_ERR_INVAL;
    }
    if (actor[i] != '\0')
        return -KP_ERR_INVAL;
    return store_audit_detail_check(actor);
}

/* The digits of the run starting at d[i], joined over single ' ' or '-'; *end after it. */
static size_t audit_digit_run(const char *d, size_t i, size_t *end)
{
    size_t digits = 0;

    while (d[i] != '\0') {
        if (audit_digit(d[i])) {
            digits++;
            i++;
        } else if ((d[i] == ' ' || d[i] == '-') && audit_digit(d[i + 1])) {
            i++;
        } else {
            break;
        }
    }
    *end = i;
    return digits;
}

int store_audit_detail_check(const char *detail)
{
    size_t len = strlen(detail), i;

    if (len > STORE_AUDIT_DETAIL_MAX)
        return -KP_ERR_INVAL;
    for (i = 0; i < len; i++)
        if ((unsigned char)detail[i] < 0x20 || detail[i] == 0x7f)
            return -KP_ERR_INVAL;
    for (i = 0; i < len;) {
        size_t end, digits;
        if (!audit_digit(detail[i])) {
            i++;
            continue;
        }
        digits = audit_digit_run(detail, i, &end);
        /* A full CNIC or a national mobile number, written in any layout. */
        if (digits >= 10)
            return -KP_ERR_DENIED;
        /* A full E.164 number (ITU-T E.164 §6.1: 8 to 15 digits after '+'). */
        if (digits >= 8 && i > 0 && detail[i - 1] == '+')
            return -KP_ERR_DENIED;
        i = end;
    }
    return 0;
}

/* Wait for the chain's lock (PostgreSQL); 0 or -KP_ERR_DB. */
static int audit_head_lock(struct store *st)
{
    struct db_stmt *s = store_stmt(st, sql_head_lock_pg);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    rc = db_step(s);
    if (rc == DB_ROW)
        rc = db_step(s);
    db_reset(s);
    if (rc != DB_DONE) {
        log_warnx("store: cannot take the audit log's lock");
        return -KP_ERR_DB;
    }
    return 0;
}

int store_audit_head(struct store *st, int64_t *id, uint8_t hash[STORE_AUDIT_HASH_BYTES])
{
    struct db_stmt *s;
    int rc;

    if (!store_in_tx(st))
        return -KP_ERR_STATE;
    if (db_kind(st->db) == DB_POSTGRESQL && audit_head_lock(st) < 0)
        return -KP_ERR_DB;
    if ((s = store_stmt(st, sql_head)) == NULL)
        return -KP_ERR_DB;
    rc = db_step(s);
    if (rc == DB_DONE) {
        *id = 0;
        memset(hash, 0, AUDIT_HASH);
        rc = 0;
    } else if (rc == DB_ROW && db_col_bytes(s, 1) == AUDIT_HASH) {
        *id = db_col_int64(s, 0);
        memcpy(hash, db_col_blob(s, 1), AUDIT_HASH);
        rc = 0;
    } else {
        log_warnx("store: cannot read the audit log's last row");
        rc = -KP_ERR_DB;
    }
    db_reset(s);
    return rc;
}

int store_audit_insert(struct store *st, const struct store_audit_row *r)
{
    struct db_stmt *s;
    int rc;

    if (!store_in_tx(st))
        return -KP_ERR_STATE;
    if ((rc = store_audit_event_check(r->event)) < 0 ||
        (rc = store_audit_actor_check(r->actor)) < 0 ||
        (rc = store_audit_detail_check(r->detail)) < 0)
        return rc;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, r->id);
    db_bind_int64(s, 2, r->at);
    db_bind_text(s, 3, r->event);
    db_bind_text(s, 4, r->actor);
    if (r->has_subject)
        db_bind_blob(s, 5, r->subject, STORE_AUDIT_SUBJECT_BYTES);
    else
        db_bind_null(s, 5);
    db_bind_text(s, 6, r->detail);
    db_bind_blob(s, 7, r->prev, AUDIT_HASH);
    db_bind_blob(s, 8, r->hash, AUDIT_HASH);
    /* The triggers refuse an id that is not the next one: not a caller's error. */
    if ((rc = store_step_done(st, s)) < 0)
        return rc == -KP_ERR_EXISTS ? -KP_ERR_DB : rc;
    return 0;
}

int store_audit_walk(struct store *st, store_audit_walk_fn fn, void *ctx)
{
    struct store_audit_raw r;
    struct db_stmt *s;
    int rc, stop = 0;

    if ((s = store_stmt(st, sql_walk)) == NULL)
        return -KP_ERR_DB;
    /* One statement: one read snapshot of the whole table (WAL). */
    while (stop == 0 && (rc = db_step(s)) == DB_ROW) {
        r.id = db_col_int64(s, 0);
        r.at = db_col_int64(s, 1);
        r.event = db_col_text(s, 2);
        r.event_len = db_col_bytes(s, 2);
        r.actor = db_col_text(s, 3);
        r.actor_len = db_col_bytes(s, 3);
        r.subject = db_col_blob(s, 4);
        r.subject_len = db_col_bytes(s, 4);
        r.detail = db_col_text(s, 5);
        r.detail_len = db_col_bytes(s, 5);
        r.prev = db_col_blob(s, 6);
        r.prev_len = db_col_bytes(s, 6);
        r.hash = db_col_blob(s, 7);
        r.hash_len = db_col_bytes(s, 7);
        stop = fn(ctx, &r);
    }
    db_reset(s);
    if (stop != 0)
        return stop;
    if (rc != DB_DONE) {
        log_warnx("store: reading the audit log: %s", db_errmsg(st->db));
        return -KP_ERR_DB;
    }
    return 0;
}

/* A 32-octet column, or zeros (and *ok = 0) when it is anything else. */
static void audit_blob32(struct db_stmt *s, int i, uint8_t out[AUDIT_HASH], int *ok)
{
    const void *p = db_col_blob(s, i);

    if (p != NULL && db_col_bytes(s, i) == AUDIT_HASH) {
        memcpy(out, p, AUDIT_HASH);
    } else {
        memset(out, 0, AUDIT_HASH);
        *ok = 0;
    }
}

static void audit_row_read(struct db_stmt *s, struct store_audit_row *r)
{
    int ok = 1;

    memset(r, 0, sizeof(*r));
    r->id = db_col_int64(s, 0);
    r->at = db_col_int64(s, 1);
    store_col_text(s, 2, r->event, sizeof(r->event));
    store_col_text(s, 3, r->actor, sizeof(r->actor));
    if (db_col_bytes(s, 4) == STORE_AUDIT_SUBJECT_BYTES) {
        memcpy(r->subject, db_col_blob(s, 4), STORE_AUDIT_SUBJECT_BYTES);
        r->has_subject = 1;
    }
    store_col_text(s, 5, r->detail, sizeof(r->detail));
    audit_blob32(s, 6, r->prev, &ok);
    audit_blob32(s, 7, r->hash, &ok);
}

int store_audit_get(struct store *st, int64_t id, struct store_audit_row *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    rc = db_step(s);
    if (rc == DB_ROW)
        audit_row_read(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

/* Bind f's filters to the parameters of the statement store_audit_list picked. */
static void audit_list_bind(struct db_stmt *s, const struct store_audit_filter *f)
{
    int i = 1;

    if (f->subject) {
        db_bind_blob(s, i++, f->subject, STORE_AUDIT_SUBJECT_BYTES);
        db_bind_text(s, i++, f->event);
    } else if (f->event) {
        db_bind_text(s, i++, f->event);
    }
    db_bind_int64(s, i++, f->since ? f->since : INT64_MIN);
    db_bind_int64(s, i++, f->before_id > 0 ? f->before_id : INT64_MAX);
    db_bind_int64(s, i, f->limit);
}

int store_audit_list(struct store *st, const struct store_audit_filter *f,
                     struct store_audit_row **out)
{
    const char *sql = f->subject ? sql_list_subject : f->event ? sql_list_event : sql_list_recent;
    struct store_audit_row *v = NULL;
    size_t n = 0, cap = 0;
    struct db_stmt *s;
    int rc;

    *out = NULL;
    if (f->limit == 0 || f->limit > AUDIT_LIST_MAX)
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql)) == NULL)
        return -KP_ERR_DB;
    audit_list_bind(s, f);
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        audit_row_read(s, &v[n++]);
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}
