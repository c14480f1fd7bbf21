/* SPDX-License-Identifier: ISC */
/*
 * SMPP partners: the partner table.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/clock.h"
#include "kpass/err.h"
#include "kpass/log.h"
#include "kpass/mem.h"
#include "kpass/store_partner.h"
#include "store_internal.h"

#define PARTNER_COLS                                                                               \
    "id, system_id, mode, password_hash, password_enc, system_type, host, port, bind_type, "    \
    "binds, allowed_cidrs, max_binds, throughput, burst, profile, carries_sms, enabled, "       \
    "created_at, updated_at, gsm7_limit, ucs2_limit"

static const char sql_get[] = "SELECT " PARTNER_COLS " FROM partner WHERE system_id = ?1";
static const char sql_list[] = "SELECT " PARTNER_COLS " FROM partner ORDER BY system_id";
static const char sql_add[] =
    "INSERT INTO partner (system_id, mode, password_hash, password_enc, system_type, host, port, "
    "bind_type, binds, allowed_cidrs, max_binds, throughput, burst, profile, carries_sms, "
    "enabled, created_at, updated_at, gsm7_limit, ucs2_limit) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, "
    "?19, ?20)";
static const char sql_update[] =
    "UPDATE partner SET mode = ?2, password_hash = ?3, password_enc = ?4, system_type = ?5, "
    "host = ?6, port = ?7, bind_type = ?8, binds = ?9, allowed_cidrs = ?10, max_binds = ?11, "
    "throughput = ?12, burst = ?13, profile = ?14, carries_sms = ?15, enabled = ?16, "
    "updated_at = ?17, system_id = ?1, gsm7_limit = ?19, ucs2_limit = ?20 WHERE id = ?18";
static const char sql_remove[] = "DELETE FROM partner WHERE system_id = ?1";

static void partner_row(sqlite3_stmt *s, struct store_partner *p)
{
    struct smpp_partner_conf *c = &p->conf;
    char mode[16], bind[16];

    memset(p, 0, sizeof(*p));
    c->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, c->system_id, sizeof(c->system_id));
    store_col_text(s, 2, mode, sizeof(mode));
    c->mode = strcmp(mode, "client") == 0 ? SMPP_PARTNER_CLIENT : SMPP_PARTNER_SERVER;
    store_col_text(s, 3, c->pwhash, sizeof(c->pwhash));
    store_col_text(s, 4, p->password_enc, sizeof(p->password_enc));
    store_col_text(s, 5, c->system_type, sizeof(c->system_type));
    store_col_text(s, 6, c->host, sizeof(c->host));
    c->port = (unsigned)sqlite3_column_int(s, 7);
    store_col_text(s, 8, bind, sizeof(bind));
    int bt = smpp_bind_type_parse(bind);
    c->bind_type = bt < 0 ? SMPP_BIND_TRX : (enum smpp_bind_type)bt;
    c->binds = (unsigned)sqlite3_column_int(s, 9);
    store_col_text(s, 10, p->cidrs_text, sizeof(p->cidrs_text));
    int n = kp_cidr_list_parse(p->cidrs_text, c->cidrs, SMPP_PARTNER_MAX_CIDRS);
    if (n < 0) {
        /* Written only through kpass, which checks it: treat a bad list as "nobody". */
        log_warnx("store: partner %s has an unreadable allowed_cidrs list", c->system_id);
        kp_cidr_parse("255.255.255.255/32", &c->cidrs[0]);
        n = 1;
    }
    c->ncidrs = n;
    c->max_binds = (unsigned)sqlite3_column_int(s, 11);
    c->throughput = (unsigned)sqlite3_column_int(s, 12);
    c->burst = (unsigned)sqlite3_column_int(s, 13);
    store_col_text(s, 14, c->profile, sizeof(c->profile));
    c->carries_sms = sqlite3_column_int(s, 15);
    c->enabled = sqlite3_column_int(s, 16);
    p->created_at = sqlite3_column_int64(s, 17);
    p->updated_at = sqlite3_column_int64(s, 18);
    c->gsm7_limit = (unsigned)sqlite3_column_int(s, 19);
    c->ucs2_limit = (unsigned)sqlite3_column_int(s, 20);
}

static void partner_bind_fields(sqlite3_stmt *s, const struct store_partner *p)
{
    const struct smpp_partner_conf *c = &p->conf;
    int client = c->mode == SMPP_PARTNER_CLIENT;

    store_bind_text(s, 1, c->system_id);
    store_bind_text(s, 2, client ? "client" : "server");
    store_bind_text(s, 3, c->pwhash[0] ? c->pwhash : NULL);
    store_bind_text(s, 4, p->password_enc[0] ? p->password_enc : NULL);
    store_bind_text(s, 5, c->system_type);
    store_bind_text(s, 6, c->host[0] ? c->host : NULL);
    if (c->port)
        sqlite3_bind_int(s, 7, (int)c->port);
    else
        sqlite3_bind_null(s, 7);
    store_bind_text(s, 8, smpp_bind_type_name(c->bind_type));
    sqlite3_bind_int(s, 9, (int)(c->binds ? c->binds : 1));
    store_bind_text(s, 10, p->cidrs_text);
    sqlite3_bind_int(s, 11, (int)(c->max_binds ? c->max_binds : 4));
    sqlite3_bind_int(s, 12, (int)c->throughput);
    sqlite3_bind_int(s, 13, (int)c->burst);
    store_bind_text(s, 14, c->profile[0] ? c->profile : "its-session");
    sqlite3_bind_int(s, 15, c->carries_sms ? 1 : 0);
    sqlite3_bind_int(s, 16, c->enabled ? 1 : 0);
    sqlite3_bind_int64(s, 17, kp_time_s());
    sqlite3_bind_int(s, 19, (int)c->gsm7_limit); /* 0: the configured default */
    sqlite3_bind_int(s, 20, (int)c->ucs2_limit);
}

int store_partner_add(struct store *st, struct store_partner *p)
{
    sqlite3_stmt *s = store_stmt(st, sql_add);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    partner_bind_fields(s, p);
    rc = store_step_done(st, s);
    if (rc == 0)
        p->conf.id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int store_partner_update(struct store *st, const struct store_partner *p)
{
    sqlite3_stmt *s = store_stmt(st, sql_update);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    partner_bind_fields(s, p);
    sqlite3_bind_int64(s, 18, p->conf.id);
    rc = store_step_done(st, s);
    if (rc == 0 && sqlite3_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_partner_get(struct store *st, const char *system_id, struct store_partner *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, system_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        partner_row(s, out);
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_partner_remove(struct store *st, const char *system_id)
{
    sqlite3_stmt *s = store_stmt(st, sql_remove);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, system_id);
    rc = store_step_done(st, s);
    if (rc == 0 && sqlite3_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_partner_list(struct store *st, struct store_partner **out)
{
    sqlite3_stmt *s = store_stmt(st, sql_list);
    struct store_partner *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        partner_row(s, &v[n++]);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}
