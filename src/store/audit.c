/* SPDX-License-Identifier: ISC */
/*
 * The audit log (see store_audit.h for the chain and what it cannot see):
 * the checks on what a row may say, appending inside the caller's
 * transaction, walking the chain to name the first broken row, and
 * listing rows for `kpass audit show`.
 */
#include <sodium.h>
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
/* prev || at || event || actor || subject || detail, each length-prefixed */
#define AUDIT_CANON_MAX                                                                            \
    (AUDIT_HASH + 8 + 2 + STORE_AUDIT_EVENT_MAX + 2 + STORE_AUDIT_ACTOR_MAX + 1 +                  \
     STORE_AUDIT_SUBJECT_BYTES + 2 + STORE_AUDIT_DETAIL_MAX)

static const char sql_head[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
static const char sql_insert[] =
    "INSERT INTO audit (" AUDIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_walk[] = "SELECT " AUDIT_COLS " FROM audit ORDER BY id";
static const char sql_get[] = "SELECT " AUDIT_COLS " FROM audit WHERE id = ?1";
/* ?1 subject, ?2 event (NULL: any), ?3 since, ?4 before id, ?5 limit */
static const char sql_list_subject[] =
    "SELECT " AUDIT_COLS " FROM audit WHERE subject = ?1 AND (?2 IS NULL OR event = ?2) "
    "AND at >= ?3 AND id < ?4 ORDER BY id DESC LIMIT ?5";
static const char sql_list_event[] = "SELECT " AUDIT_COLS " FROM audit WHERE event = ?2 "
                                     "AND at >= ?3 AND id < ?4 ORDER BY id DESC LIMIT ?5";
static const char sql_list_recent[] = "SELECT " AUDIT_COLS " FROM audit WHERE "
                                      "at >= ?3 AND id < ?4 ORDER BY id DESC LIMIT ?5";

/* BLAKE2b personalisation (RFC 7693 §2.5 parameter block): 16 octets. */
static const unsigned char audit_personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "kpass-audit-v1";
static const char audit_genesis_text[] = "kpass-audit-genesis";

static const char *const audit_fault_texts[] = {
    [STORE_AUDIT_OK] = "intact",
    [STORE_AUDIT_EDITED] = "edited: its content does not match its keyed hash",
    [STORE_AUDIT_HASH] = "its stored hash was changed (the next row still chains to the original)",
    [STORE_AUDIT_MISSING] = "rows before it are missing (deleted)",
    [STORE_AUDIT_LINK] = ("does not chain to the row before it: a row was deleted (and the "
                          "rest renumbered) or inserted"),
    [STORE_AUDIT_ORDER] = "out of order: rows were moved",
    [STORE_AUDIT_KEY] = "the log was not written with this audit.key (wrong key folder?)",
};

const char *store_audit_fault_text(enum store_audit_fault fault)
{
    if ((unsigned)fault >= KP_ARRAY_LEN(audit_fault_texts))
        return "broken";
    return audit_fault_texts[fault];
}

/* One row's hashed fields, as bytes (from the caller or straight from SQLite). */
struct audit_fields {
    int64_t at;
    const void *event, *actor, *subject, *detail;
    size_t event_len, actor_len, subject_len, detail_len;
};

static size_t audit_put(uint8_t *buf, size_t n, const void *p, size_t len)
{
    buf[n++] = (uint8_t)(len >> 8);
    buf[n++] = (uint8_t)len;
    if (len)
        memcpy(buf + n, p, len);
    return n + len;
}

/*
 * hash = BLAKE2b-256 keyed over prev || canonical(f).  -KP_ERR_TOOLONG when a
 * field does not fit the canonical form (only a tampered row can do that).
 */
static int audit_hash(const uint8_t *key, const uint8_t prev[AUDIT_HASH],
                      const struct audit_fields *f, uint8_t out[AUDIT_HASH])
{
    uint8_t buf[AUDIT_CANON_MAX];
    uint64_t at = (uint64_t)f->at;
    size_t n = 0;

    if (f->event_len > STORE_AUDIT_EVENT_MAX || f->actor_len > STORE_AUDIT_ACTOR_MAX ||
        f->detail_len > STORE_AUDIT_DETAIL_MAX ||
        (f->subject_len != 0 && f->subject_len != STORE_AUDIT_SUBJECT_BYTES))
        return -KP_ERR_TOOLONG;
    memcpy(buf, prev, AUDIT_HASH);
    n = AUDIT_HASH;
    for (int i = 7; i >= 0; i--)
        buf[n++] = (uint8_t)(at >> (8 * i));
    n = audit_put(buf, n, f->event, f->event_len);
    n = audit_put(buf, n, f->actor, f->actor_len);
    buf[n++] = (uint8_t)f->subject_len;
    if (f->subject_len)
        memcpy(buf + n, f->subject, f->subject_len);
    n += f->subject_len;
    n = audit_put(buf, n, f->detail, f->detail_len);
    crypto_generichash_blake2b_salt_personal(out, AUDIT_HASH, buf, n, key, STORE_AUDIT_KEY_BYTES,
                                             NULL, audit_personal);
    return 0;
}

void store_audit_use_key(struct store *st, const uint8_t key[STORE_AUDIT_KEY_BYTES])
{
    st->audit_key = key;
    if (key != NULL)
        crypto_generichash_blake2b_salt_personal(
            st->audit_genesis, AUDIT_HASH, (const unsigned char *)audit_genesis_text,
            sizeof(audit_genesis_text) - 1, key, STORE_AUDIT_KEY_BYTES, NULL, audit_personal);
}

int store_audit_ready(const struct store *st)
{
    return st->audit_key != NULL;
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

/* The last row's id and hash, or 0 and the genesis value for an empty log. */
static int audit_head(struct store *st, int64_t *id, uint8_t hash[AUDIT_HASH])
{
    sqlite3_stmt *s = store_stmt(st, sql_head);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        *id = 0;
        memcpy(hash, st->audit_genesis, AUDIT_HASH);
        rc = 0;
    } else if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == AUDIT_HASH) {
        *id = sqlite3_column_int64(s, 0);
        memcpy(hash, sqlite3_column_blob(s, 1), AUDIT_HASH);
        rc = 0;
    } else {
        log_warnx("store: cannot read the audit log's last row");
        rc = -KP_ERR_DB;
    }
    sqlite3_reset(s);
    return rc;
}

int64_t store_audit_append(struct store *st, int64_t at, const char *event, const char *actor,
                           const uint8_t *subject, const char *detail)
{
    struct audit_fields f;
    uint8_t prev[AUDIT_HASH], hash[AUDIT_HASH];
    sqlite3_stmt *s;
    int64_t id;
    int rc;

    if (detail == NULL)
        detail = "";
    if (st->audit_key == NULL || !store_in_tx(st))
        return -KP_ERR_STATE;
    if ((rc = store_audit_event_check(event)) < 0 || (rc = store_audit_actor_check(actor)) < 0 ||
        (rc = store_audit_detail_check(detail)) < 0)
        return rc;
    f = (struct audit_fields){at,
                              event,
                              actor,
                              subject,
                              detail,
                              strlen(event),
                              strlen(actor),
                              subject ? STORE_AUDIT_SUBJECT_BYTES : 0,
                              strlen(detail)};
    if ((rc = audit_head(st, &id, prev)) < 0)
        return rc;
    if ((rc = audit_hash(st->audit_key, prev, &f, hash)) < 0)
        return rc;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, id + 1);
    sqlite3_bind_int64(s, 2, at);
    store_bind_text(s, 3, event);
    store_bind_text(s, 4, actor);
    if (subject)
        store_bind_blob(s, 5, subject, STORE_AUDIT_SUBJECT_BYTES);
    else
        sqlite3_bind_null(s, 5);
    store_bind_text(s, 6, detail);
    store_bind_blob(s, 7, prev, AUDIT_HASH);
    store_bind_blob(s, 8, hash, AUDIT_HASH);
    if ((rc = store_step_done(st, s)) < 0)
        return rc == -KP_ERR_EXISTS ? -KP_ERR_DB : rc;
    return id + 1;
}

/* What the walk keeps of a row: enough to judge it and the one before. */
struct audit_link {
    int64_t id;
    int self_ok; /* hash == H(prev || row) under our key */
    uint8_t computed[AUDIT_HASH];
    uint8_t prev[AUDIT_HASH];
    uint8_t hash[AUDIT_HASH];
};

static void audit_blob32(sqlite3_stmt *s, int i, uint8_t out[AUDIT_HASH], int *ok)
{
    const void *p = sqlite3_column_blob(s, i);

    if (p != NULL && sqlite3_column_bytes(s, i) == AUDIT_HASH) {
        memcpy(out, p, AUDIT_HASH);
    } else {
        memset(out, 0, AUDIT_HASH);
        *ok = 0;
    }
}

/* Read the walk's current row and hash exactly the bytes SQLite holds. */
static void audit_link_read(struct store *st, sqlite3_stmt *s, struct audit_link *l)
{
    struct audit_fields f;
    int ok = 1;

    l->id = sqlite3_column_int64(s, 0);
    f.at = sqlite3_column_int64(s, 1);
    f.event = sqlite3_column_text(s, 2);
    f.event_len = (size_t)sqlite3_column_bytes(s, 2);
    f.actor = sqlite3_column_text(s, 3);
    f.actor_len = (size_t)sqlite3_column_bytes(s, 3);
    f.subject = sqlite3_column_blob(s, 4);
    f.subject_len = (size_t)sqlite3_column_bytes(s, 4);
    f.detail = sqlite3_column_text(s, 5);
    f.detail_len = (size_t)sqlite3_column_bytes(s, 5);
    audit_blob32(s, 6, l->prev, &ok);
    audit_blob32(s, 7, l->hash, &ok);
    if (audit_hash(st->audit_key, l->prev, &f, l->computed) < 0)
        ok = 0;
    l->self_ok = ok && crypto_verify_32(l->computed, l->hash) == 0;
}

/* Judge row r (next is the row after it, or NULL) against what the chain expects. */
static enum store_audit_fault audit_judge(const struct store *st, const struct audit_link *r,
                                          const struct audit_link *next, int64_t expect_id,
                                          const uint8_t expect_prev[AUDIT_HASH], int64_t *other)
{
    if (r->id == 1 && !r->self_ok && memcmp(r->prev, st->audit_genesis, AUDIT_HASH) != 0)
        return STORE_AUDIT_KEY;
    if (!r->self_ok) {
        /* The content is intact when the next row chains to what we computed. */
        if (next != NULL && memcmp(next->prev, r->computed, AUDIT_HASH) == 0)
            return STORE_AUDIT_HASH;
        return STORE_AUDIT_EDITED;
    }
    if (r->id != expect_id) {
        *other = expect_id;
        return STORE_AUDIT_MISSING;
    }
    if (memcmp(r->prev, expect_prev, AUDIT_HASH) != 0) {
        if (next != NULL && memcmp(next->prev, expect_prev, AUDIT_HASH) == 0) {
            *other = next->id;
            return STORE_AUDIT_ORDER;
        }
        return STORE_AUDIT_LINK;
    }
    return STORE_AUDIT_OK;
}

int store_audit_verify(struct store *st, struct store_audit_report *rep)
{
    struct audit_link cur, next;
    uint8_t expect_prev[AUDIT_HASH];
    int64_t expect_id = 1;
    sqlite3_stmt *s;
    int rc, have_next;

    memset(rep, 0, sizeof(*rep));
    if (st->audit_key == NULL)
        return -KP_ERR_STATE;
    if ((s = store_stmt(st, sql_walk)) == NULL)
        return -KP_ERR_DB;
    memcpy(expect_prev, st->audit_genesis, AUDIT_HASH);
    /* One statement: one read snapshot of the whole table (WAL). */
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        audit_link_read(st, s, &cur);
    while (rc == SQLITE_ROW) {
        enum store_audit_fault fault;
        rc = sqlite3_step(s);
        have_next = rc == SQLITE_ROW;
        if (have_next)
            audit_link_read(st, s, &next);
        fault =
            audit_judge(st, &cur, have_next ? &next : NULL, expect_id, expect_prev, &rep->other_id);
        if (fault != STORE_AUDIT_OK) {
            rep->fault = fault;
            rep->bad_id = cur.id;
            sqlite3_reset(s);
            return -KP_ERR_CRYPTO;
        }
        rep->rows++;
        rep->head_id = cur.id;
        memcpy(rep->head, cur.hash, AUDIT_HASH);
        expect_id = cur.id + 1;
        memcpy(expect_prev, cur.hash, AUDIT_HASH);
        if (have_next)
            cur = next;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        log_warnx("store: reading the audit log: %s", sqlite3_errmsg(st->db));
        return -KP_ERR_DB;
    }
    return 0;
}

static void audit_row_read(sqlite3_stmt *s, struct store_audit_row *r)
{
    int ok = 1;

    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(s, 0);
    r->at = sqlite3_column_int64(s, 1);
    store_col_text(s, 2, r->event, sizeof(r->event));
    store_col_text(s, 3, r->actor, sizeof(r->actor));
    if (sqlite3_column_bytes(s, 4) == STORE_AUDIT_SUBJECT_BYTES) {
        memcpy(r->subject, sqlite3_column_blob(s, 4), STORE_AUDIT_SUBJECT_BYTES);
        r->has_subject = 1;
    }
    store_col_text(s, 5, r->detail, sizeof(r->detail));
    audit_blob32(s, 6, r->prev, &ok);
    audit_blob32(s, 7, r->hash, &ok);
}

int store_audit_get(struct store *st, int64_t id, struct store_audit_row *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        audit_row_read(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_audit_list(struct store *st, const struct store_audit_filter *f,
                     struct store_audit_row **out)
{
    const char *sql = f->subject ? sql_list_subject : f->event ? sql_list_event : sql_list_recent;
    struct store_audit_row *v = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *s;
    int rc;

    *out = NULL;
    if (f->limit == 0 || f->limit > AUDIT_LIST_MAX)
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql)) == NULL)
        return -KP_ERR_DB;
    if (f->subject)
        store_bind_blob(s, 1, f->subject, STORE_AUDIT_SUBJECT_BYTES);
    store_bind_text(s, 2, f->event);
    sqlite3_bind_int64(s, 3, f->since ? f->since : INT64_MIN);
    sqlite3_bind_int64(s, 4, f->before_id > 0 ? f->before_id : INT64_MAX);
    sqlite3_bind_int64(s, 5, f->limit);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        audit_row_read(s, &v[n++]);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}
