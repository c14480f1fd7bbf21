/* SPDX-License-Identifier: ISC */
/*
 * SMPP partners: the partner table's rows (see store_partner.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/partner.h"
#include "store_internal.h"

#define PARTNER_COLS                                                                               \
    "id, system_id, mode, password_hash, password_enc, system_type, host, port, bind_type, "       \
    "binds, allowed_cidrs, max_binds, throughput, burst, profile, carries_sms, enabled, "          \
    "created_at, updated_at, gsm7_limit, ucs2_limit, first_lang"

static const char sql_get[] = "SELECT " PARTNER_COLS " FROM partner WHERE system_id = ?1";
static const char sql_list[] = "SELECT " PARTNER_COLS " FROM partner ORDER BY system_id";
static const char sql_add[] =
    "INSERT INTO partner (system_id, mode, password_hash, password_enc, system_type, host, port, "
    "bind_type, binds, allowed_cidrs, max_binds, throughput, burst, profile, carries_sms, "
    "enabled, created_at, updated_at, gsm7_limit, ucs2_limit, first_lang) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, "
    "?18, ?19, ?20) RETURNING id";
static const char sql_update[] =
    "UPDATE partner SET mode = ?2, password_hash = ?3, password_enc = ?4, system_type = ?5, "
    "host = ?6, port = ?7, bind_type = ?8, binds = ?9, allowed_cidrs = ?10, max_binds = ?11, "
    "throughput = ?12, burst = ?13, profile = ?14, carries_sms = ?15, enabled = ?16, "
    "updated_at = ?17, system_id = ?1, gsm7_limit = ?18, ucs2_limit = ?19, first_lang = ?20 "
    "WHERE id = ?21";
static const char sql_remove[] = "DELETE FROM partner WHERE system_id = ?1";

static void partner_row(struct db_stmt *s, void *slot)
{
    struct store_partner *p = slot;

    memset(p, 0, sizeof(*p));
    p->id = db_col_int64(s, 0);
    store_col_text(s, 1, p->system_id, sizeof(p->system_id));
    store_col_text(s, 2, p->mode, sizeof(p->mode));
    store_col_text(s, 3, p->pwhash, sizeof(p->pwhash));
    store_col_text(s, 4, p->password_enc, sizeof(p->password_enc));
    store_col_text(s, 5, p->system_type, sizeof(p->system_type));
    store_col_text(s, 6, p->host, sizeof(p->host));
    p->port = (unsigned)db_col_int64(s, 7);
    store_col_text(s, 8, p->bind_type, sizeof(p->bind_type));
    p->binds = (unsigned)db_col_int64(s, 9);
    store_col_text(s, 10, p->cidrs_text, sizeof(p->cidrs_text));
    p->max_binds = (unsigned)db_col_int64(s, 11);
    p->throughput = (unsigned)db_col_int64(s, 12);
    p->burst = (unsigned)db_col_int64(s, 13);
    store_col_text(s, 14, p->profile, sizeof(p->profile));
    p->carries_sms = db_col_int64(s, 15);
    p->enabled = db_col_int64(s, 16);
    p->created_at = db_col_int64(s, 17);
    p->updated_at = db_col_int64(s, 18);
    p->gsm7_limit = (unsigned)db_col_int64(s, 19);
    p->ucs2_limit = (unsigned)db_col_int64(s, 20);
    store_col_text(s, 21, p->first_lang, sizeof(p->first_lang));
}

static void partner_bind_fields(struct db_stmt *s, const struct store_partner *p)
{
    db_bind_text(s, 1, p->system_id);
    db_bind_text(s, 2, strcmp(p->mode, "client") == 0 ? "client" : "server");
    db_bind_text(s, 3, p->pwhash[0] ? p->pwhash : NULL);
    db_bind_text(s, 4, p->password_enc[0] ? p->password_enc : NULL);
    db_bind_text(s, 5, p->system_type);
    db_bind_text(s, 6, p->host[0] ? p->host : NULL);
    if (p->port)
        db_bind_int64(s, 7, p->port);
    else
        db_bind_null(s, 7);
    db_bind_text(s, 8, p->bind_type[0] ? p->bind_type : "transceiver");
    db_bind_int64(s, 9, (p->binds ? p->binds : 1));
    db_bind_text(s, 10, p->cidrs_text);
    db_bind_int64(s, 11, (p->max_binds ? p->max_binds : 4));
    db_bind_int64(s, 12, p->throughput);
    db_bind_int64(s, 13, p->burst);
    db_bind_text(s, 14, p->profile[0] ? p->profile : "its-session");
    db_bind_int64(s, 15, p->carries_sms ? 1 : 0);
    db_bind_int64(s, 16, p->enabled ? 1 : 0);
    db_bind_int64(s, 17, kp_time_s());
    db_bind_int64(s, 18, p->gsm7_limit); /* 0: the configured default */
    db_bind_int64(s, 19, p->ucs2_limit);
    db_bind_text(s, 20, p->first_lang); /* "": the service code's, else English */
}

int store_partner_add(struct store *st, struct store_partner *p)
{
    struct db_stmt *s = store_stmt(st, sql_add);

    if (s == NULL)
        return -KP_ERR_DB;
    partner_bind_fields(s, p);
    return store_step_id(st, s, &p->id);
}

int store_partner_update(struct store *st, const struct store_partner *p)
{
    struct db_stmt *s = store_stmt(st, sql_update);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    partner_bind_fields(s, p);
    db_bind_int64(s, 21, p->id);
    rc = store_step_done(st, s);
    if (rc == 0 && db_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_partner_get(struct store *st, const char *system_id, struct store_partner *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, system_id);
    rc = db_step(s);
    if (rc == DB_ROW) {
        partner_row(s, out);
        db_reset(s);
        return 0;
    }
    db_reset(s);
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_partner_remove(struct store *st, const char *system_id)
{
    struct db_stmt *s = store_stmt(st, sql_remove);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, system_id);
    rc = store_step_done(st, s);
    if (rc == 0 && db_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_partner_list(struct store *st, struct store_partner **out)
{
    void *v;
    int n = store_rows_all(store_stmt(st, sql_list), sizeof(**out), partner_row, &v);

    *out = v;
    return n;
}
