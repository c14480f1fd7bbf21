/* SPDX-License-Identifier: ISC */
/*
 * The citizens registry's rows: the citizen and citizen_msisdn tables,
 * and the audit row every change writes in the same transaction.  The
 * CNIC index and box arrive made (registry/citizen.c makes them): the
 * store holds no CNIC key and never sees a CNIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/store/citizen.h"
#include "store_internal.h"

#define CITIZEN_COLS                                                                               \
    "c.id, c.cnic_index, c.last4, c.name_en, c.name_ur, c.district, c.status, c.created_at, "      \
    "c.updated_at"

static const char sql_by_index[] = "SELECT " CITIZEN_COLS " FROM citizen c WHERE cnic_index = ?1";
static const char sql_by_id[] = "SELECT " CITIZEN_COLS " FROM citizen c WHERE id = ?1";
static const char sql_by_msisdn[] = "SELECT " CITIZEN_COLS " FROM citizen_msisdn m "
                                    "JOIN citizen c ON c.id = m.citizen_id WHERE m.msisdn = ?1";
static const char sql_insert[] =
    "INSERT INTO citizen (cnic_index, cnic_box, last4, name_en, name_ur, district, status, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
static const char sql_update[] = "UPDATE citizen SET name_en = ?2, name_ur = ?3, district = ?4, "
                                 "updated_at = ?5 WHERE id = ?1";
static const char sql_status[] = "UPDATE citizen SET status = ?2, updated_at = ?3 WHERE id = ?1";
static const char sql_box[] = "SELECT cnic_box, cnic_index FROM citizen WHERE id = ?1";
static const char sql_owner[] = "SELECT citizen_id FROM citizen_msisdn WHERE msisdn = ?1";
static const char sql_nums_count[] = "SELECT count(*) FROM citizen_msisdn WHERE citizen_id = ?1";
static const char sql_nums[] = "SELECT msisdn FROM citizen_msisdn WHERE citizen_id = ?1 "
                               "ORDER BY created_at, msisdn";
static const char sql_link[] =
    "INSERT INTO citizen_msisdn (msisdn, citizen_id, created_at) VALUES (?1, ?2, ?3)";
static const char sql_unlink[] = "DELETE FROM citizen_msisdn WHERE msisdn = ?1 AND citizen_id = ?2";
/* ?1 district, ?2 status (NULL: any), ?3 limit, ?4 offset */
static const char sql_list_district[] =
    "SELECT " CITIZEN_COLS " FROM citizen c WHERE district = ?1 AND (?2 IS NULL OR status = ?2) "
    "ORDER BY id LIMIT ?3 OFFSET ?4";
static const char sql_list_status[] =
    "SELECT " CITIZEN_COLS " FROM citizen c WHERE status = ?2 ORDER BY id LIMIT ?3 OFFSET ?4";
static const char sql_list_all[] =
    "SELECT " CITIZEN_COLS " FROM citizen c ORDER BY id LIMIT ?3 OFFSET ?4";
static const char sql_count_district[] =
    "SELECT count(*) FROM citizen WHERE district = ?1 AND (?2 IS NULL OR status = ?2)";
static const char sql_count_status[] = "SELECT count(*) FROM citizen WHERE status = ?2";
static const char sql_count_all[] = "SELECT count(*) FROM citizen";

/* Atomic changes: the store's scope, except in bulk mode, where the
   caller rolls everything back on any error (no savepoint per row). */
enum { CITIZEN_BULK = -1 };

/* Begin an atomic change; -KP_ERR_STATE without the audit key. */
static int citizen_begin(struct store *st, int *scope)
{
    enum store_scope sc;
    int rc;

    if (st->audit_key == NULL)
        return -KP_ERR_STATE;
    if (st->bulk && store_in_tx(st)) {
        *scope = CITIZEN_BULK;
        return 0;
    }
    rc = store_scope_begin(st, &sc);
    *scope = (int)sc;
    return rc;
}

/* End it: keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
static int citizen_end(struct store *st, int scope, int rc)
{
    int c;

    if (scope == CITIZEN_BULK)
        return rc;
    c = store_scope_end(st, (enum store_scope)scope, rc >= 0);
    return c < 0 ? c : rc;
}

static void citizen_row(sqlite3_stmt *s, struct store_citizen *c)
{
    char status[16];
    int v;

    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(s, 0);
    if (sqlite3_column_bytes(s, 1) == CNIC_INDEX_BYTES)
        memcpy(c->cnic_index, sqlite3_column_blob(s, 1), CNIC_INDEX_BYTES);
    store_col_text(s, 2, c->last4, sizeof(c->last4));
    store_col_text(s, 3, c->name_en, sizeof(c->name_en));
    store_col_text(s, 4, c->name_ur, sizeof(c->name_ur));
    store_col_text(s, 5, c->district, sizeof(c->district));
    store_col_text(s, 6, status, sizeof(status));
    v = store_citizen_status_parse(status);
    /* The table's CHECK allows only the three; anything else is treated as blocked. */
    c->status = v < 0 ? STORE_CITIZEN_BLOCKED : (enum store_citizen_status)v;
    c->created_at = sqlite3_column_int64(s, 7);
    c->updated_at = sqlite3_column_int64(s, 8);
}

/* Step a bound SELECT of one citizen.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
static int citizen_fetch(sqlite3_stmt *s, struct store_citizen *out)
{
    int rc = sqlite3_step(s);

    if (rc == SQLITE_ROW)
        citizen_row(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_citizen_get_by_index(struct store *st, const uint8_t index[CNIC_INDEX_BYTES],
                               struct store_citizen *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_by_index);

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_blob(s, 1, index, CNIC_INDEX_BYTES);
    return citizen_fetch(s, out);
}

int store_citizen_get_by_id(struct store *st, int64_t id, struct store_citizen *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_by_id);

    if (s == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    return citizen_fetch(s, out);
}

int store_citizen_get_by_msisdn(struct store *st, const char *e164, struct store_citizen *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_by_msisdn);

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, e164);
    return citizen_fetch(s, out);
}

/* One integer from a statement bound with id/text at ?1.  0 when no row. */
static int citizen_int(struct store *st, const char *sql, int64_t id, const char *text,
                       int64_t *out)
{
    sqlite3_stmt *s = store_stmt(st, sql);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (text)
        store_bind_text(s, 1, text);
    else
        sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -KP_ERR_DB;
}

int store_citizen_box(struct store *st, int64_t id, uint8_t box[STORE_CITIZEN_BOX_BYTES],
                      uint8_t index[CNIC_INDEX_BYTES])
{
    sqlite3_stmt *s = store_stmt(st, sql_box);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(s);
        return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
    }
    rc = -KP_ERR_CRYPTO;
    if (sqlite3_column_bytes(s, 0) == STORE_CITIZEN_BOX_BYTES &&
        sqlite3_column_bytes(s, 1) == CNIC_INDEX_BYTES) {
        memcpy(box, sqlite3_column_blob(s, 0), STORE_CITIZEN_BOX_BYTES);
        memcpy(index, sqlite3_column_blob(s, 1), CNIC_INDEX_BYTES);
        rc = 0;
    }
    sqlite3_reset(s);
    return rc;
}

int store_citizen_msisdns(struct store *st, int64_t id, char (*out)[MSISDN_SIZE], int cap)
{
    sqlite3_stmt *s = store_stmt(st, sql_nums);
    int rc, n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < cap)
        store_col_text(s, 0, out[n++], MSISDN_SIZE);
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? n : -KP_ERR_DB;
}

static int citizen_audit(struct store *st, int64_t now, const char *event, const char *actor,
                         const struct store_citizen *c, const char *detail)
{
    int64_t rc = store_audit_append(st, now, event, actor, c->cnic_index, detail);

    return rc < 0 ? (int)rc : 0;
}

/* Is last4 four decimal digits? */
static int citizen_last4_ok(const char *last4)
{
    for (int i = 0; i < 4; i++)
        if (last4[i] < '0' || last4[i] > '9')
            return 0;
    return last4[4] == '\0';
}

/* Insert c (its index and last4 set) with box; fills the id and times. */
static int citizen_insert(struct store *st, struct store_citizen *c,
                          const uint8_t box[STORE_CITIZEN_BOX_BYTES], int64_t now)
{
    sqlite3_stmt *s;
    int rc;

    if (!citizen_last4_ok(c->last4))
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    store_bind_blob(s, 1, c->cnic_index, CNIC_INDEX_BYTES);
    store_bind_blob(s, 2, box, STORE_CITIZEN_BOX_BYTES);
    store_bind_text(s, 3, c->last4);
    store_bind_text(s, 4, c->name_en);
    store_bind_text(s, 5, c->name_ur);
    store_bind_text(s, 6, c->district);
    store_bind_text(s, 7, store_citizen_status_name(c->status));
    sqlite3_bind_int64(s, 8, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    c->id = sqlite3_last_insert_rowid(st->db);
    c->created_at = c->updated_at = now;
    return 0;
}

int store_citizen_add(struct store *st, struct store_citizen *c,
                      const uint8_t box[STORE_CITIZEN_BOX_BYTES], const char *actor, int64_t now)
{
    char detail[64];
    int scope, rc;

    if (!citizen_last4_ok(c->last4) || store_citizen_check(c, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((rc = citizen_begin(st, &scope)) < 0)
        return rc;
    rc = citizen_insert(st, c, box, now);
    snprintf(detail, sizeof(detail), "district %s, status %s", c->district,
             store_citizen_status_name(c->status));
    if (rc == 0)
        rc = citizen_audit(st, now, "citizen.added", actor, c, detail);
    return citizen_end(st, scope, rc);
}

/* Names and district of cur become those of want; cur is updated.  1 changed, 0 not. */
static int citizen_update_do(struct store *st, struct store_citizen *cur,
                             const struct store_citizen *want, const char *actor, int64_t now)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 1] = "";
    sqlite3_stmt *s;
    int rc;

    if (strcmp(cur->name_en, want->name_en) != 0)
        strcat(detail, "name_en");
    if (strcmp(cur->name_ur, want->name_ur) != 0)
        strcat(detail, detail[0] ? ", name_ur" : "name_ur");
    if (strcmp(cur->district, want->district) != 0)
        snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%sdistrict %s -> %s",
                 detail[0] ? ", " : "", cur->district, want->district);
    if (detail[0] == '\0')
        return 0;
    if ((s = store_stmt(st, sql_update)) == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, cur->id);
    store_bind_text(s, 2, want->name_en);
    store_bind_text(s, 3, want->name_ur);
    store_bind_text(s, 4, want->district);
    sqlite3_bind_int64(s, 5, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    memcpy(cur->name_en, want->name_en, sizeof(cur->name_en));
    memcpy(cur->name_ur, want->name_ur, sizeof(cur->name_ur));
    memcpy(cur->district, want->district, sizeof(cur->district));
    cur->updated_at = now;
    rc = citizen_audit(st, now, "citizen.changed", actor, cur, detail);
    return rc < 0 ? rc : 1;
}

int store_citizen_update(struct store *st, const struct store_citizen *c, const char *actor,
                         int64_t now)
{
    struct store_citizen cur;
    int scope, rc;

    if (store_citizen_check(c, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((rc = citizen_begin(st, &scope)) < 0)
        return rc;
    rc = store_citizen_get_by_id(st, c->id, &cur);
    if (rc == 0)
        rc = citizen_update_do(st, &cur, c, actor, now);
    return citizen_end(st, scope, rc);
}

static const char *citizen_status_event(enum store_citizen_status status)
{
    switch (status) {
    case STORE_CITIZEN_BLOCKED:
        return "citizen.blocked";
    case STORE_CITIZEN_DECEASED:
        return "citizen.deceased";
    default:
        return "citizen.unblocked";
    }
}

/* cur's status becomes status.  1 changed, 0 already so. */
static int citizen_status_do(struct store *st, struct store_citizen *cur,
                             enum store_citizen_status status, const char *reason,
                             const char *actor, int64_t now)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 2];
    sqlite3_stmt *s;
    int rc, n;

    if (cur->status == status)
        return 0;
    n = snprintf(detail, sizeof(detail), "%s -> %s%s%s", store_citizen_status_name(cur->status),
                 store_citizen_status_name(status), reason && reason[0] ? ": " : "",
                 reason ? reason : "");
    if (n < 0 || (size_t)n > STORE_AUDIT_DETAIL_MAX)
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql_status)) == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 1, cur->id);
    store_bind_text(s, 2, store_citizen_status_name(status));
    sqlite3_bind_int64(s, 3, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    cur->status = status;
    cur->updated_at = now;
    rc = citizen_audit(st, now, citizen_status_event(status), actor, cur, detail);
    return rc < 0 ? rc : 1;
}

int store_citizen_set_status(struct store *st, int64_t id, enum store_citizen_status status,
                             const char *reason, const char *actor, int64_t now)
{
    struct store_citizen cur;
    int scope, rc;

    if ((unsigned)status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    if ((rc = citizen_begin(st, &scope)) < 0)
        return rc;
    rc = store_citizen_get_by_id(st, id, &cur);
    if (rc == 0)
        rc = citizen_status_do(st, &cur, status, reason, actor, now);
    if (rc > 0 && store_change_bump(st, STORE_CHANGE_STATE) < 0)
        rc = -KP_ERR_DB;
    return citizen_end(st, scope, rc);
}

/*
 * Register e164 to cur (not registered to anyone: the caller checked).  A
 * citizen inserted just now has no numbers yet and its citizen.imported
 * row names this one: no count, no audit row of its own.
 */
static int citizen_link_do(struct store *st, const struct store_citizen *cur, const char *e164,
                           const char *actor, int64_t now, int new_citizen)
{
    char masked[MSISDN_SIZE];
    sqlite3_stmt *s;
    int64_t n = 0;
    int rc;

    if (!new_citizen && (rc = citizen_int(st, sql_nums_count, cur->id, NULL, &n)) < 0)
        return rc;
    if (n >= STORE_CITIZEN_MSISDNS)
        return -KP_ERR_LIMIT;
    if ((s = store_stmt(st, sql_link)) == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, e164);
    sqlite3_bind_int64(s, 2, cur->id);
    sqlite3_bind_int64(s, 3, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    if (new_citizen)
        return 1;
    msisdn_mask(e164, masked);
    rc = citizen_audit(st, now, "citizen.linked", actor, cur, masked);
    return rc < 0 ? rc : 1;
}

int store_citizen_link(struct store *st, int64_t id, const char *e164, const char *actor,
                       int64_t now)
{
    struct store_citizen cur;
    int64_t owner;
    int scope, rc;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_INVAL;
    if ((rc = citizen_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_citizen_get_by_id(st, id, &cur)) == 0 &&
        (rc = citizen_int(st, sql_owner, 0, e164, &owner)) == 0) {
        if (owner == id)
            rc = 0;
        else if (owner != 0)
            rc = -KP_ERR_EXISTS;
        else
            rc = citizen_link_do(st, &cur, e164, actor, now, 0);
    }
    return citizen_end(st, scope, rc);
}

int store_citizen_unlink(struct store *st, int64_t id, const char *e164, const char *actor,
                         int64_t now)
{
    struct store_citizen cur;
    char masked[MSISDN_SIZE];
    sqlite3_stmt *s;
    int scope, rc;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_NOTFOUND;
    if ((rc = citizen_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_citizen_get_by_id(st, id, &cur)) < 0)
        goto out;
    if ((s = store_stmt(st, sql_unlink)) == NULL) {
        rc = -KP_ERR_DB;
        goto out;
    }
    store_bind_text(s, 1, e164);
    sqlite3_bind_int64(s, 2, id);
    if ((rc = store_step_done(st, s)) < 0)
        goto out;
    if (sqlite3_changes(st->db) == 0) {
        rc = -KP_ERR_NOTFOUND;
        goto out;
    }
    msisdn_mask(e164, masked);
    rc = citizen_audit(st, now, "citizen.unlinked", actor, &cur, masked);
out:
    return citizen_end(st, scope, rc);
}

/* The statement for f with its filters bound (limit and offset are the caller's). */
static sqlite3_stmt *citizen_filter_stmt(struct store *st, const struct store_citizen_filter *f,
                                         const char *by_district, const char *by_status,
                                         const char *all)
{
    const char *sql = f->district ? by_district : f->status >= 0 ? by_status : all;
    sqlite3_stmt *s = store_stmt(st, sql);

    if (s == NULL)
        return NULL;
    if (f->district)
        store_bind_text(s, 1, f->district);
    if (f->status >= 0)
        store_bind_text(s, 2, store_citizen_status_name((enum store_citizen_status)f->status));
    return s;
}

int store_citizen_list(struct store *st, const struct store_citizen_filter *f,
                       struct store_citizen **out)
{
    struct store_citizen *v = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *s;
    int rc;

    *out = NULL;
    if (f->limit == 0 || f->limit > STORE_CITIZEN_LIST_MAX || f->status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    s = citizen_filter_stmt(st, f, sql_list_district, sql_list_status, sql_list_all);
    if (s == NULL)
        return -KP_ERR_DB;
    sqlite3_bind_int64(s, 3, f->limit);
    sqlite3_bind_int64(s, 4, f->offset);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        citizen_row(s, &v[n++]);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

int64_t store_citizen_count(struct store *st, const struct store_citizen_filter *f)
{
    sqlite3_stmt *s;
    int64_t n = -KP_ERR_DB;

    if (f->status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    s = citizen_filter_stmt(st, f, sql_count_district, sql_count_status, sql_count_all);
    if (s == NULL)
        return -KP_ERR_DB;
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return n;
}

/* A new citizen from an import row: one citizen.imported row says it all. */
static int citizen_import_new(struct store *st, const struct store_citizen_import *row,
                              const char *actor, int64_t now)
{
    struct store_citizen c = row->fields;
    char detail[STORE_AUDIT_DETAIL_MAX + 2], masked[MSISDN_SIZE] = "";
    int rc, n;

    if ((rc = citizen_insert(st, &c, row->cnic_box, now)) < 0)
        return rc;
    if (row->msisdn) {
        if ((rc = citizen_link_do(st, &c, row->msisdn, actor, now, 1)) < 0)
            return rc;
        msisdn_mask(row->msisdn, masked);
    }
    n = snprintf(detail, sizeof(detail), "%s%sdistrict %s, status %s%s%s",
                 row->source ? row->source : "", row->source ? ", " : "", c.district,
                 store_citizen_status_name(c.status), masked[0] ? ", " : "", masked);
    if (n < 0 || (size_t)n > STORE_AUDIT_DETAIL_MAX)
        return -KP_ERR_INVAL;
    rc = citizen_audit(st, now, "citizen.imported", actor, &c, detail);
    return rc < 0 ? rc : STORE_CITIZEN_ADDED;
}

static int citizen_import_do(struct store *st, const struct store_citizen_import *row,
                             const char *actor, int64_t now)
{
    struct store_citizen cur;
    int64_t owner = 0;
    int rc, changed = 0;

    if (!citizen_last4_ok(row->fields.last4) || store_citizen_check(&row->fields, NULL) < 0 ||
        (row->msisdn && !msisdn_is_e164(row->msisdn)))
        return -KP_ERR_INVAL;
    if (row->msisdn && (rc = citizen_int(st, sql_owner, 0, row->msisdn, &owner)) < 0)
        return rc;
    rc = store_citizen_get_by_index(st, row->fields.cnic_index, &cur);
    if (rc == -KP_ERR_NOTFOUND)
        return owner != 0 ? -KP_ERR_EXISTS : citizen_import_new(st, row, actor, now);
    if (rc < 0)
        return rc;
    if (owner != 0 && owner != cur.id)
        return -KP_ERR_EXISTS;
    if ((rc = citizen_update_do(st, &cur, &row->fields, actor, now)) < 0)
        return rc;
    changed |= rc;
    if ((rc = citizen_status_do(st, &cur, row->fields.status, row->source, actor, now)) < 0)
        return rc;
    changed |= rc;
    if (row->msisdn && owner == 0) {
        if ((rc = citizen_link_do(st, &cur, row->msisdn, actor, now, 0)) < 0)
            return rc;
        changed = 1;
    }
    return changed ? STORE_CITIZEN_UPDATED : STORE_CITIZEN_UNCHANGED;
}

int store_citizen_import(struct store *st, const struct store_citizen_import *row,
                         const char *actor, int64_t now)
{
    int scope, rc;

    if ((rc = citizen_begin(st, &scope)) < 0)
        return rc;
    rc = citizen_import_do(st, row, actor, now);
    return citizen_end(st, scope, rc);
}

int store_citizen_bulk(struct store *st)
{
    st->bulk = 1;
    /* 256 MiB of page cache at most (allocated as used): the CNIC index
       takes inserts in random order, which a small cache turns into I/O. */
    return store_exec(st, "PRAGMA cache_size = -262144");
}
