/* SPDX-License-Identifier: ISC */
/*
 * Departments as API clients: dept_api, dept_template, notice and webhook
 * rows (see store/dept.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/dept.h"
#include "store_internal.h"

#define DEPT_COLS "department, token_hash, quota_day, callback_url, secret_file, created_at"

static const char sql_dept_add[] =
    "INSERT INTO dept_api (" DEPT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_dept_by_token[] = "SELECT " DEPT_COLS " FROM dept_api WHERE token_hash = ?1";
static const char sql_dept_get[] = "SELECT " DEPT_COLS " FROM dept_api WHERE department = ?1";
static const char sql_dept_list[] = "SELECT " DEPT_COLS " FROM dept_api ORDER BY department";
static const char sql_dept_remove[] = "DELETE FROM dept_api WHERE department = ?1";
static const char sql_tpl_set[] =
    "INSERT INTO dept_template (department, name, lang, body) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (department, name, lang) DO UPDATE SET body = excluded.body";
static const char sql_tpl_get[] =
    "SELECT body FROM dept_template WHERE department = ?1 AND name = ?2 AND lang = ?3";

#define NOTICE_COLS "id, department, template, sms_id, lang, created_at, callback_done"

static const char sql_notice_add[] =
    "INSERT INTO notice (" NOTICE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_notice_get[] =
    "SELECT " NOTICE_COLS " FROM notice WHERE department = ?1 AND id = ?2";
static const char sql_notice_count[] =
    "SELECT count(*) FROM notice WHERE department = ?1 AND created_at > ?2";
static const char sql_notice_open[] = "SELECT " NOTICE_COLS " FROM notice WHERE callback_done = 0 "
                                      "ORDER BY created_at LIMIT ?1";
static const char sql_notice_done[] = "UPDATE notice SET callback_done = 1 WHERE id = ?1";

#define WEBHOOK_COLS                                                                               \
    "id, department, kind, ref, url, body, state, attempts, next_at, last_status, created_at, "    \
    "updated_at"

static const char sql_wh_add[] =
    "INSERT INTO webhook (department, kind, ref, url, body, state, attempts, next_at, "
    "last_status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, 0, ?6, ?6) "
    "RETURNING id";
static const char sql_wh_due[] = "SELECT " WEBHOOK_COLS " FROM webhook WHERE state = 0 AND "
                                 "next_at <= ?1 ORDER BY next_at, id LIMIT ?2";
static const char sql_wh_update[] = "UPDATE webhook SET state = ?2, attempts = ?3, next_at = ?4, "
                                    "last_status = ?5, updated_at = ?6 WHERE id = ?1";
/* LIMIT ?2: webhook_rows binds a row count to every webhook query. */
static const char sql_wh_get[] = "SELECT " WEBHOOK_COLS " FROM webhook WHERE id = ?1 LIMIT ?2";
static const char sql_wh_list[] = "SELECT " WEBHOOK_COLS " FROM webhook ORDER BY id DESC LIMIT ?1";

static void dept_row(struct db_stmt *s, void *slot)
{
    struct store_dept *d = slot;

    const void *h = db_col_blob(s, 1);

    memset(d, 0, sizeof(*d));
    store_col_text(s, 0, d->department, sizeof(d->department));
    if (h && db_col_bytes(s, 1) == STORE_DEPT_HASH_BYTES)
        memcpy(d->token_hash, h, STORE_DEPT_HASH_BYTES);
    d->quota_day = (unsigned)db_col_int64(s, 2);
    store_col_text(s, 3, d->callback_url, sizeof(d->callback_url));
    store_col_text(s, 4, d->secret_file, sizeof(d->secret_file));
    d->created_at = db_col_int64(s, 5);
}

int store_dept_add(struct store *st, const struct store_dept *d)
{
    struct db_stmt *s = store_stmt(st, sql_dept_add);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, d->department);
    db_bind_blob(s, 2, d->token_hash, STORE_DEPT_HASH_BYTES);
    db_bind_int64(s, 3, d->quota_day);
    db_bind_text(s, 4, d->callback_url);
    db_bind_text(s, 5, d->secret_file);
    db_bind_int64(s, 6, kp_time_s());
    return store_step_done(st, s);
}

/* One row of a dept_api query with a text or blob key. */
static int dept_one(struct store *st, const char *sql, const char *text, const uint8_t *blob,
                    struct store_dept *out)
{
    struct db_stmt *s = store_stmt(st, sql);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if (blob)
        db_bind_blob(s, 1, blob, STORE_DEPT_HASH_BYTES);
    else
        db_bind_text(s, 1, text);
    rc = db_step(s);
    if (rc == DB_ROW)
        dept_row(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_dept_by_token(struct store *st, const uint8_t hash[STORE_DEPT_HASH_BYTES],
                        struct store_dept *out)
{
    return dept_one(st, sql_dept_by_token, NULL, hash, out);
}

int store_dept_get(struct store *st, const char *department, struct store_dept *out)
{
    return dept_one(st, sql_dept_get, department, NULL, out);
}

int store_dept_list(struct store *st, struct store_dept **out)
{
    void *v;
    int n = store_rows_all(store_stmt(st, sql_dept_list), sizeof(**out), dept_row, &v);

    *out = v;
    return n;
}

int store_dept_remove(struct store *st, const char *department)
{
    struct db_stmt *s = store_stmt(st, sql_dept_remove);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, department);
    rc = store_step_done(st, s);
    if (rc == 0 && db_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_template_set(struct store *st, const char *department, const char *name, const char *lang,
                       const char *text)
{
    struct db_stmt *s = store_stmt(st, sql_tpl_set);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, department);
    db_bind_text(s, 2, name);
    db_bind_text(s, 3, lang);
    db_bind_text(s, 4, text);
    return store_step_done(st, s);
}

int store_template_get(struct store *st, const char *department, const char *name, const char *lang,
                       char *out, size_t cap)
{
    struct db_stmt *s = store_stmt(st, sql_tpl_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, department);
    db_bind_text(s, 2, name);
    db_bind_text(s, 3, lang);
    rc = db_step(s);
    if (rc == DB_ROW)
        store_col_text(s, 0, out, cap);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

static void notice_row(struct db_stmt *s, struct store_notice *n)
{
    memset(n, 0, sizeof(*n));
    store_col_text(s, 0, n->id, sizeof(n->id));
    store_col_text(s, 1, n->department, sizeof(n->department));
    store_col_text(s, 2, n->template_name, sizeof(n->template_name));
    n->sms_id = db_col_int64(s, 3);
    store_col_text(s, 4, n->lang, sizeof(n->lang));
    n->created_at = db_col_int64(s, 5);
    n->callback_done = db_col_int64(s, 6);
}

int store_notice_add(struct store *st, const struct store_notice *n)
{
    struct db_stmt *s = store_stmt(st, sql_notice_add);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, n->id);
    db_bind_text(s, 2, n->department);
    db_bind_text(s, 3, n->template_name);
    if (n->sms_id)
        db_bind_int64(s, 4, n->sms_id);
    else
        db_bind_null(s, 4);
    db_bind_text(s, 5, n->lang);
    db_bind_int64(s, 6, n->created_at);
    db_bind_int64(s, 7, n->callback_done ? 1 : 0);
    return store_step_done(st, s);
}

int store_notice_get(struct store *st, const char *department, const char *id,
                     struct store_notice *out)
{
    struct db_stmt *s = store_stmt(st, sql_notice_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, department);
    db_bind_text(s, 2, id);
    rc = db_step(s);
    if (rc == DB_ROW)
        notice_row(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_notice_count(struct store *st, const char *department, int64_t since)
{
    struct db_stmt *s = store_stmt(st, sql_notice_count);
    int rc, n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, department);
    db_bind_int64(s, 2, since);
    rc = db_step(s);
    if (rc == DB_ROW)
        n = db_col_int64(s, 0);
    db_reset(s);
    return rc == DB_ROW ? n : -KP_ERR_DB;
}

int store_notice_open(struct store *st, struct store_notice *out, int max)
{
    struct db_stmt *s = store_stmt(st, sql_notice_open);
    int rc, n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, max);
    while (n < max && (rc = db_step(s)) == DB_ROW)
        notice_row(s, &out[n++]);
    db_reset(s);
    return n;
}

int store_notice_callback_done(struct store *st, const char *id)
{
    struct db_stmt *s = store_stmt(st, sql_notice_done);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    return store_step_done(st, s);
}

const char *store_webhook_state_name(enum store_webhook_state s)
{
    return s == STORE_WEBHOOK_DELIVERED ? "delivered"
           : s == STORE_WEBHOOK_FAILED  ? "failed"
                                        : "pending";
}

static void webhook_row(struct db_stmt *s, struct store_webhook *w)
{
    memset(w, 0, sizeof(*w));
    w->id = db_col_int64(s, 0);
    store_col_text(s, 1, w->department, sizeof(w->department));
    store_col_text(s, 2, w->kind, sizeof(w->kind));
    store_col_text(s, 3, w->ref, sizeof(w->ref));
    store_col_text(s, 4, w->url, sizeof(w->url));
    store_col_text(s, 5, w->body, sizeof(w->body));
    w->state = (enum store_webhook_state)db_col_int64(s, 6);
    w->attempts = (unsigned)db_col_int64(s, 7);
    w->next_at = db_col_int64(s, 8);
    w->last_status = db_col_int64(s, 9);
    w->created_at = db_col_int64(s, 10);
    w->updated_at = db_col_int64(s, 11);
}

int store_webhook_add(struct store *st, const struct store_webhook *w, int64_t *id)
{
    struct db_stmt *s = store_stmt(st, sql_wh_add);
    int64_t added;
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, w->department);
    db_bind_text(s, 2, w->kind);
    db_bind_text(s, 3, w->ref);
    db_bind_text(s, 4, w->url);
    db_bind_text(s, 5, w->body);
    db_bind_int64(s, 6, w->created_at);
    rc = store_step_id(st, s, &added);
    if (rc == 0 && id)
        *id = added;
    return rc;
}

/* Rows of a webhook query bound with one int64, at most max. */
static int webhook_rows(struct store *st, const char *sql, int64_t a, int max,
                        struct store_webhook *out)
{
    struct db_stmt *s = store_stmt(st, sql);
    int n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, a);
    db_bind_int64(s, 2, max);
    while (n < max && db_step(s) == DB_ROW)
        webhook_row(s, &out[n++]);
    db_reset(s);
    return n;
}

int store_webhook_due(struct store *st, int64_t now, struct store_webhook *out, int max)
{
    return webhook_rows(st, sql_wh_due, now, max, out);
}

int store_webhook_list(struct store *st, struct store_webhook *out, int max)
{
    struct db_stmt *s = store_stmt(st, sql_wh_list);
    int n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, max);
    while (n < max && db_step(s) == DB_ROW)
        webhook_row(s, &out[n++]);
    db_reset(s);
    return n;
}

int store_webhook_get(struct store *st, int64_t id, struct store_webhook *out)
{
    int n = webhook_rows(st, sql_wh_get, id, 1, out);

    return n < 0 ? n : n == 0 ? -KP_ERR_NOTFOUND : 0;
}

int store_webhook_update(struct store *st, int64_t id, enum store_webhook_state state,
                         unsigned attempts, int64_t next_at, int last_status, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_wh_update);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    db_bind_int64(s, 2, state);
    db_bind_int64(s, 3, attempts);
    db_bind_int64(s, 4, next_at);
    db_bind_int64(s, 5, last_status);
    db_bind_int64(s, 6, now);
    return store_step_done(st, s);
}

static const char sql_sub_add[] =
    "INSERT INTO dept_subscription (department, purpose, office) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (department, purpose, office) DO NOTHING";
static const char sql_sub_del[] =
    "DELETE FROM dept_subscription WHERE department = ?1 AND purpose = ?2 AND office = ?3";
static const char sql_sub_of[] =
    "SELECT DISTINCT department FROM dept_subscription WHERE purpose = ?1 "
    "AND (office = ?2 OR office = '*') ORDER BY department LIMIT ?3";

int store_subscription_set(struct store *st, const char *department, const char *purpose,
                           const char *office, int on)
{
    struct db_stmt *s = store_stmt(st, on ? sql_sub_add : sql_sub_del);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, department);
    db_bind_text(s, 2, purpose);
    db_bind_text(s, 3, office);
    return store_step_done(st, s);
}

int store_subscribers(struct store *st, const char *purpose, const char *office, char (*out)[17],
                      int max)
{
    struct db_stmt *s = store_stmt(st, sql_sub_of);
    int n = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, purpose);
    db_bind_text(s, 2, office);
    db_bind_int64(s, 3, max);
    while (n < max && db_step(s) == DB_ROW)
        store_col_text(s, 0, out[n++], 17);
    db_reset(s);
    return n;
}

static const char sql_dispute_add[] =
    "INSERT INTO verification_dispute (verification, via, at) VALUES (?1, ?2, ?3)";

int store_dispute_add(struct store *st, const char *verification, const char *via, int64_t at)
{
    struct db_stmt *s = store_stmt(st, sql_dispute_add);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, verification);
    db_bind_text(s, 2, via);
    db_bind_int64(s, 3, at);
    return store_step_done(st, s);
}

#define SIMSWAP_COLS "partner, prefixes, url, token_file, max_age_h, timeout_ms, on_timeout"

static const char sql_ss_set[] =
    "INSERT INTO simswap_api (" SIMSWAP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (partner) DO UPDATE SET prefixes = excluded.prefixes, url = excluded.url, "
    "token_file = excluded.token_file, max_age_h = excluded.max_age_h, "
    "timeout_ms = excluded.timeout_ms, on_timeout = excluded.on_timeout";
static const char sql_ss_del[] = "DELETE FROM simswap_api WHERE partner = ?1";
static const char sql_ss_list[] = "SELECT " SIMSWAP_COLS " FROM simswap_api ORDER BY partner";

int store_simswap_set(struct store *st, const struct store_simswap *ss)
{
    struct db_stmt *s = store_stmt(st, sql_ss_set);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, ss->partner);
    db_bind_text(s, 2, ss->prefixes);
    db_bind_text(s, 3, ss->url);
    db_bind_text(s, 4, ss->token_file);
    db_bind_int64(s, 5, ss->max_age_h);
    db_bind_int64(s, 6, ss->timeout_ms);
    db_bind_text(s, 7, ss->hold_on_timeout ? "hold" : "send");
    return store_step_done(st, s);
}

int store_simswap_remove(struct store *st, const char *partner)
{
    struct db_stmt *s = store_stmt(st, sql_ss_del);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, partner);
    rc = store_step_done(st, s);
    if (rc == 0 && db_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_simswap_list(struct store *st, struct store_simswap **out)
{
    struct db_stmt *s = store_stmt(st, sql_ss_list);
    struct store_simswap *v = NULL;
    size_t n = 0, cap = 0;
    char mode[8];
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        memset(&v[n], 0, sizeof(v[n]));
        store_col_text(s, 0, v[n].partner, sizeof(v[n].partner));
        store_col_text(s, 1, v[n].prefixes, sizeof(v[n].prefixes));
        store_col_text(s, 2, v[n].url, sizeof(v[n].url));
        store_col_text(s, 3, v[n].token_file, sizeof(v[n].token_file));
        v[n].max_age_h = (unsigned)db_col_int64(s, 4);
        v[n].timeout_ms = (unsigned)db_col_int64(s, 5);
        store_col_text(s, 6, mode, sizeof(mode));
        v[n].hold_on_timeout = strcmp(mode, "hold") == 0;
        n++;
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}
