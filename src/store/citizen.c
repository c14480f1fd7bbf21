/* SPDX-License-Identifier: ISC */
/*
 * The citizens registry's rows: the citizen and citizen_msisdn tables,
 * read and written one statement at a time.  The CNIC index and box
 * arrive made, and the audit rows, the change count and the rules on
 * numbers are registry/citizen.c's: the store holds no key, never sees a
 * CNIC and writes no citizen.* row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
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
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id";
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
/* The filters each has, in this order: district, status (NULL: any), then
   the lists' limit and offset (citizen_filter_stmt). */
static const char sql_list_district[] =
    "SELECT " CITIZEN_COLS " FROM citizen c WHERE district = ?1 AND (?2 IS NULL OR status = ?2) "
    "ORDER BY id LIMIT ?3 OFFSET ?4";
static const char sql_list_status[] =
    "SELECT " CITIZEN_COLS " FROM citizen c WHERE status = ?1 ORDER BY id LIMIT ?2 OFFSET ?3";
static const char sql_list_all[] =
    "SELECT " CITIZEN_COLS " FROM citizen c ORDER BY id LIMIT ?1 OFFSET ?2";
static const char sql_count_district[] =
    "SELECT count(*) FROM citizen WHERE district = ?1 AND (?2 IS NULL OR status = ?2)";
static const char sql_count_status[] = "SELECT count(*) FROM citizen WHERE status = ?1";
static const char sql_count_all[] = "SELECT count(*) FROM citizen";

static void citizen_row(struct db_stmt *s, struct store_citizen *c)
{
    char status[16];
    int v;

    memset(c, 0, sizeof(*c));
    c->id = db_col_int64(s, 0);
    if (db_col_bytes(s, 1) == CNIC_INDEX_BYTES)
        memcpy(c->cnic_index, db_col_blob(s, 1), CNIC_INDEX_BYTES);
    store_col_text(s, 2, c->last4, sizeof(c->last4));
    store_col_text(s, 3, c->name_en, sizeof(c->name_en));
    store_col_text(s, 4, c->name_ur, sizeof(c->name_ur));
    store_col_text(s, 5, c->district, sizeof(c->district));
    store_col_text(s, 6, status, sizeof(status));
    v = store_citizen_status_parse(status);
    /* The table's CHECK allows only the three; anything else is treated as blocked. */
    c->status = v < 0 ? STORE_CITIZEN_BLOCKED : (enum store_citizen_status)v;
    c->created_at = db_col_int64(s, 7);
    c->updated_at = db_col_int64(s, 8);
}

/* Step a bound SELECT of one citizen.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
static int citizen_fetch(struct db_stmt *s, struct store_citizen *out)
{
    int rc = db_step(s);

    if (rc == DB_ROW)
        citizen_row(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_citizen_get_by_index(struct store *st, const uint8_t index[CNIC_INDEX_BYTES],
                               struct store_citizen *out)
{
    struct db_stmt *s = store_stmt(st, sql_by_index);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_blob(s, 1, index, CNIC_INDEX_BYTES);
    return citizen_fetch(s, out);
}

int store_citizen_get_by_id(struct store *st, int64_t id, struct store_citizen *out)
{
    struct db_stmt *s = store_stmt(st, sql_by_id);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    return citizen_fetch(s, out);
}

int store_citizen_get_by_msisdn(struct store *st, const char *e164, struct store_citizen *out)
{
    struct db_stmt *s = store_stmt(st, sql_by_msisdn);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, e164);
    return citizen_fetch(s, out);
}

/* One integer from a statement bound with id/text at ?1.  0 when no row. */
static int citizen_int(struct store *st, const char *sql, int64_t id, const char *text,
                       int64_t *out)
{
    struct db_stmt *s = store_stmt(st, sql);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (text)
        db_bind_text(s, 1, text);
    else
        db_bind_int64(s, 1, id);
    rc = db_step(s);
    *out = rc == DB_ROW ? db_col_int64(s, 0) : 0;
    db_reset(s);
    return rc == DB_ROW || rc == DB_DONE ? 0 : -KP_ERR_DB;
}

int store_citizen_box(struct store *st, int64_t id, uint8_t box[STORE_CITIZEN_BOX_BYTES],
                      uint8_t index[CNIC_INDEX_BYTES])
{
    struct db_stmt *s = store_stmt(st, sql_box);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    rc = db_step(s);
    if (rc != DB_ROW) {
        db_reset(s);
        return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
    }
    rc = -KP_ERR_CRYPTO;
    if (db_col_bytes(s, 0) == STORE_CITIZEN_BOX_BYTES && db_col_bytes(s, 1) == CNIC_INDEX_BYTES) {
        memcpy(box, db_col_blob(s, 0), STORE_CITIZEN_BOX_BYTES);
        memcpy(index, db_col_blob(s, 1), CNIC_INDEX_BYTES);
        rc = 0;
    }
    db_reset(s);
    return rc;
}

int store_citizen_msisdns(struct store *st, int64_t id, char (*out)[MSISDN_SIZE], int cap)
{
    struct db_stmt *s = store_stmt(st, sql_nums);
    int rc, n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    while ((rc = db_step(s)) == DB_ROW && n < cap)
        store_col_text(s, 0, out[n++], MSISDN_SIZE);
    db_reset(s);
    return rc == DB_ROW || rc == DB_DONE ? n : -KP_ERR_DB;
}

/* Is last4 four decimal digits? */
static int citizen_last4_ok(const char *last4)
{
    for (int i = 0; i < 4; i++)
        if (last4[i] < '0' || last4[i] > '9')
            return 0;
    return last4[4] == '\0';
}

int store_citizen_insert(struct store *st, struct store_citizen *c,
                         const uint8_t box[STORE_CITIZEN_BOX_BYTES], int64_t now)
{
    struct db_stmt *s;
    int rc;

    if (!citizen_last4_ok(c->last4) || store_citizen_check(c, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    db_bind_blob(s, 1, c->cnic_index, CNIC_INDEX_BYTES);
    db_bind_blob(s, 2, box, STORE_CITIZEN_BOX_BYTES);
    db_bind_text(s, 3, c->last4);
    db_bind_text(s, 4, c->name_en);
    db_bind_text(s, 5, c->name_ur);
    db_bind_text(s, 6, c->district);
    db_bind_text(s, 7, store_citizen_status_name(c->status));
    db_bind_int64(s, 8, now);
    if ((rc = store_step_id(st, s, &c->id)) < 0)
        return rc;
    c->created_at = c->updated_at = now;
    return 0;
}

/* Step a bound UPDATE or DELETE of one row.  0, -KP_ERR_NOTFOUND (no row) or < 0. */
static int citizen_write_one(struct store *st, struct db_stmt *s)
{
    int rc = store_step_done(st, s);

    if (rc < 0)
        return rc;
    return db_changes(st->db) == 0 ? -KP_ERR_NOTFOUND : 0;
}

int store_citizen_set_fields(struct store *st, const struct store_citizen *c, int64_t now)
{
    struct db_stmt *s;

    if (store_citizen_check(c, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql_update)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, c->id);
    db_bind_text(s, 2, c->name_en);
    db_bind_text(s, 3, c->name_ur);
    db_bind_text(s, 4, c->district);
    db_bind_int64(s, 5, now);
    return citizen_write_one(st, s);
}

int store_citizen_set_status(struct store *st, int64_t id, enum store_citizen_status status,
                             int64_t now)
{
    struct db_stmt *s;

    if ((unsigned)status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql_status)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    db_bind_text(s, 2, store_citizen_status_name(status));
    db_bind_int64(s, 3, now);
    return citizen_write_one(st, s);
}

int store_citizen_msisdn_owner(struct store *st, const char *e164, int64_t *owner)
{
    return citizen_int(st, sql_owner, 0, e164, owner);
}

int store_citizen_msisdn_count(struct store *st, int64_t id, int64_t *n)
{
    return citizen_int(st, sql_nums_count, id, NULL, n);
}

int store_citizen_link(struct store *st, int64_t id, const char *e164, int64_t now)
{
    struct db_stmt *s;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql_link)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, e164);
    db_bind_int64(s, 2, id);
    db_bind_int64(s, 3, now);
    return store_step_done(st, s);
}

int store_citizen_unlink(struct store *st, int64_t id, const char *e164)
{
    struct db_stmt *s;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_NOTFOUND;
    if ((s = store_stmt(st, sql_unlink)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, e164);
    db_bind_int64(s, 2, id);
    return citizen_write_one(st, s);
}

/* The statement for f with its filters bound; *next: the number of the
   parameter after them (the lists' limit and offset are the caller's). */
static struct db_stmt *citizen_filter_stmt(struct store *st, const struct store_citizen_filter *f,
                                           const char *by_district, const char *by_status,
                                           const char *all, int *next)
{
    const char *sql = f->district ? by_district : f->status >= 0 ? by_status : all;
    const char *status =
        f->status >= 0 ? store_citizen_status_name((enum store_citizen_status)f->status) : NULL;
    struct db_stmt *s = store_stmt(st, sql);
    int i = 1;

    if (s == NULL)
        return NULL;
    if (f->district) {
        db_bind_text(s, i++, f->district);
        db_bind_text(s, i++, status);
    } else if (status) {
        db_bind_text(s, i++, status);
    }
    *next = i;
    return s;
}

int store_citizen_list(struct store *st, const struct store_citizen_filter *f,
                       struct store_citizen **out)
{
    struct store_citizen *v = NULL;
    size_t n = 0, cap = 0;
    struct db_stmt *s;
    int rc, i;

    *out = NULL;
    if (f->limit == 0 || f->limit > STORE_CITIZEN_LIST_MAX || f->status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    s = citizen_filter_stmt(st, f, sql_list_district, sql_list_status, sql_list_all, &i);
    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, i, f->limit);
    db_bind_int64(s, i + 1, f->offset);
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        citizen_row(s, &v[n++]);
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

int64_t store_citizen_count(struct store *st, const struct store_citizen_filter *f)
{
    struct db_stmt *s;
    int64_t n = -KP_ERR_DB;
    int i;

    if (f->status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    s = citizen_filter_stmt(st, f, sql_count_district, sql_count_status, sql_count_all, &i);
    if (s == NULL)
        return -KP_ERR_DB;
    if (db_step(s) == DB_ROW)
        n = db_col_int64(s, 0);
    db_reset(s);
    return n;
}
