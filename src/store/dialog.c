/* SPDX-License-Identifier: ISC */
/*
 * USSD dialogs and per-MSISDN language choices.
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/store/dialog.h"
#include "store_internal.h"

#define DIALOG_COLS                                                                                \
    "partner_id, session_key, msisdn, graph_version, screen, lang, resumable, started_at, "        \
    "updated_at, state"

/* An upsert that writes every column but the key: what INSERT OR REPLACE
   did (the table has no other unique key, trigger or row id to lose). */
#define DIALOG_UPSERT                                                                              \
    " ON CONFLICT (partner_id, session_key) DO UPDATE SET msisdn = excluded.msisdn, "              \
    "graph_version = excluded.graph_version, screen = excluded.screen, lang = excluded.lang, "     \
    "resumable = excluded.resumable, started_at = excluded.started_at, "                           \
    "updated_at = excluded.updated_at, state = excluded.state"
static const char sql_put[] = "INSERT INTO dialog (" DIALOG_COLS ") "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)" DIALOG_UPSERT;
/* The same for many dialogs in one statement: the pass's dialogs are
   written in statements of 32, 8, 4, 2 and 1 rows (SQLite's default limit
   of 999 parameters allows 99).  A key appears once per statement (the
   pass's cache holds one entry per dialog): PostgreSQL refuses an upsert
   that reaches the same row twice. */
#define DIALOG_ROW  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define DIALOG_ROW2 DIALOG_ROW ", " DIALOG_ROW
#define DIALOG_ROW4 DIALOG_ROW2 ", " DIALOG_ROW2
#define DIALOG_ROW8 DIALOG_ROW4 ", " DIALOG_ROW4
static const char sql_put2[] =
    "INSERT INTO dialog (" DIALOG_COLS ") VALUES " DIALOG_ROW2 DIALOG_UPSERT;
static const char sql_put4[] =
    "INSERT INTO dialog (" DIALOG_COLS ") VALUES " DIALOG_ROW4 DIALOG_UPSERT;
static const char sql_put8[] =
    "INSERT INTO dialog (" DIALOG_COLS ") VALUES " DIALOG_ROW8 DIALOG_UPSERT;
static const char sql_put32[] = "INSERT INTO dialog (" DIALOG_COLS ") VALUES " DIALOG_ROW8
                                ", " DIALOG_ROW8 ", " DIALOG_ROW8 ", " DIALOG_ROW8 DIALOG_UPSERT;
static const char sql_get[] =
    "SELECT " DIALOG_COLS " FROM dialog WHERE partner_id = ?1 AND session_key = ?2";
static const char sql_latest[] =
    "SELECT " DIALOG_COLS " FROM dialog WHERE msisdn = ?2 AND partner_id = ?1 "
    "AND updated_at >= ?3 ORDER BY updated_at DESC LIMIT 1";
static const char sql_delete[] = "DELETE FROM dialog WHERE partner_id = ?1 AND session_key = ?2";
/* Deletions by key likewise, as ORs of the primary key (each term a search
   of it; a row value IN (VALUES ...) would scan the table). */
#define DIALOG_KEY  "(partner_id = ? AND session_key = ?)"
#define DIALOG_KEY2 DIALOG_KEY " OR " DIALOG_KEY
#define DIALOG_KEY4 DIALOG_KEY2 " OR " DIALOG_KEY2
#define DIALOG_KEY8 DIALOG_KEY4 " OR " DIALOG_KEY4
static const char sql_delete2[] = "DELETE FROM dialog WHERE " DIALOG_KEY2;
static const char sql_delete4[] = "DELETE FROM dialog WHERE " DIALOG_KEY4;
static const char sql_delete8[] = "DELETE FROM dialog WHERE " DIALOG_KEY8;
static const char sql_delete32[] = "DELETE FROM dialog WHERE " DIALOG_KEY8 " OR " DIALOG_KEY8
                                   " OR " DIALOG_KEY8 " OR " DIALOG_KEY8;
static const char sql_forget[] = "DELETE FROM dialog WHERE msisdn = ?2 AND partner_id = ?1";
static const char sql_reap[] = "DELETE FROM dialog WHERE updated_at < ?1";
static const char sql_count[] = "SELECT count(*) FROM dialog";
static const char sql_lang_get[] = "SELECT lang FROM msisdn_lang WHERE msisdn = ?1";
static const char sql_lang_set[] =
    "INSERT INTO msisdn_lang (msisdn, lang, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (msisdn) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at";

/* Bind d as the row whose first parameter is i + 1. */
static void dialog_bind(struct db_stmt *s, int i, const struct store_dialog *d)
{
    db_bind_int64(s, i + 1, d->partner_id);
    db_bind_text(s, i + 2, d->key);
    db_bind_text(s, i + 3, d->msisdn);
    db_bind_text(s, i + 4, d->version);
    db_bind_text(s, i + 5, d->screen);
    db_bind_text(s, i + 6, d->lang);
    db_bind_int64(s, i + 7, d->resumable ? 1 : 0);
    db_bind_int64(s, i + 8, d->started_at);
    db_bind_int64(s, i + 9, d->updated_at);
    db_bind_blob(s, i + 10, d->state, d->state_len);
}

int store_dialog_put(struct store *st, const struct store_dialog *d)
{
    return store_dialog_put_many(st, &d, 1);
}

/* A pass's dialogs go in statements of 32, 8, 4, 2 and 1 rows: the rows of
   the next statement for n left, and that statement's index in a table of
   the five sizes, smallest first. */
static size_t dialog_chunk(size_t n)
{
    return n >= 32 ? 32 : n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

static size_t dialog_chunk_index(size_t rows)
{
    return rows == 32 ? 4 : rows == 8 ? 3 : rows / 2;
}

int store_dialog_put_many(struct store *st, const struct store_dialog *const *d, size_t n)
{
    static const char *const sql[] = {sql_put, sql_put2, sql_put4, sql_put8, sql_put32};

    while (n > 0) {
        size_t rows = dialog_chunk(n);
        struct db_stmt *s = store_stmt(st, sql[dialog_chunk_index(rows)]);
        int rc;

        if (s == NULL)
            return -KP_ERR_DB;
        for (size_t i = 0; i < rows; i++)
            dialog_bind(s, (int)i * 10, d[i]);
        if ((rc = store_step_done(st, s)) < 0)
            return rc;
        d += rows;
        n -= rows;
    }
    return 0;
}

static int dialog_row(struct db_stmt *s, struct store_dialog *out, struct kp_buf *state)
{
    int rc = db_step(s);

    if (rc != DB_ROW) {
        db_reset(s);
        return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
    }
    memset(out, 0, sizeof(*out));
    out->partner_id = db_col_int64(s, 0);
    store_col_text(s, 1, out->key, sizeof(out->key));
    store_col_text(s, 2, out->msisdn, sizeof(out->msisdn));
    store_col_text(s, 3, out->version, sizeof(out->version));
    store_col_text(s, 4, out->screen, sizeof(out->screen));
    store_col_text(s, 5, out->lang, sizeof(out->lang));
    out->resumable = db_col_int64(s, 6);
    out->started_at = db_col_int64(s, 7);
    out->updated_at = db_col_int64(s, 8);
    kp_buf_reset(state);
    kp_buf_append(state, db_col_blob(s, 9), db_col_bytes(s, 9));
    out->state = (const uint8_t *)state->data;
    out->state_len = state->len;
    db_reset(s);
    return 0;
}

int store_dialog_get(struct store *st, int64_t partner_id, const char *key,
                     struct store_dialog *out, struct kp_buf *state)
{
    struct db_stmt *s = store_stmt(st, sql_get);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, key);
    return dialog_row(s, out, state);
}

int store_dialog_latest(struct store *st, int64_t partner_id, const char *msisdn, int64_t since,
                        struct store_dialog *out, struct kp_buf *state)
{
    struct db_stmt *s = store_stmt(st, sql_latest);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, msisdn);
    db_bind_int64(s, 3, since);
    return dialog_row(s, out, state);
}

int store_dialog_delete(struct store *st, int64_t partner_id, const char *key)
{
    struct db_stmt *s = store_stmt(st, sql_delete);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, key);
    return store_step_done(st, s);
}

int store_dialog_delete_many(struct store *st, const struct store_dialog *const *d, size_t n)
{
    static const char *const sql[] = {sql_delete, sql_delete2, sql_delete4, sql_delete8,
                                      sql_delete32};

    while (n > 0) {
        size_t rows = dialog_chunk(n);
        struct db_stmt *s = store_stmt(st, sql[dialog_chunk_index(rows)]);
        int rc;

        if (s == NULL)
            return -KP_ERR_DB;
        for (size_t i = 0; i < rows; i++) {
            db_bind_int64(s, (int)i * 2 + 1, d[i]->partner_id);
            db_bind_text(s, (int)i * 2 + 2, d[i]->key);
        }
        if ((rc = store_step_done(st, s)) < 0)
            return rc;
        d += rows;
        n -= rows;
    }
    return 0;
}

int store_dialog_forget(struct store *st, int64_t partner_id, const char *msisdn)
{
    struct db_stmt *s = store_stmt(st, sql_forget);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, partner_id);
    db_bind_text(s, 2, msisdn);
    return store_step_done(st, s);
}

int store_dialog_reap(struct store *st, int64_t before)
{
    struct db_stmt *s = store_stmt(st, sql_reap);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, before);
    rc = store_step_done(st, s);
    return rc < 0 ? rc : db_changes(st->db);
}

int store_dialog_count(struct store *st)
{
    struct db_stmt *s = store_stmt(st, sql_count);
    int n = -KP_ERR_DB;

    if (s == NULL)
        return -KP_ERR_DB;
    if (db_step(s) == DB_ROW)
        n = db_col_int64(s, 0);
    db_reset(s);
    return n;
}

int store_lang_get(struct store *st, const char *msisdn, char lang[STORE_LANG_SIZE])
{
    struct db_stmt *s = store_stmt(st, sql_lang_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, msisdn);
    rc = db_step(s);
    if (rc == DB_ROW)
        store_col_text(s, 0, lang, STORE_LANG_SIZE);
    db_reset(s);
    return rc == DB_ROW ? 0 : rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_lang_set(struct store *st, const char *msisdn, const char *lang, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_lang_set);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, msisdn);
    db_bind_text(s, 2, lang);
    db_bind_int64(s, 3, now);
    return store_step_done(st, s);
}
