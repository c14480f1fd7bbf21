/* SPDX-License-Identifier: ISC */
/*
 * Department USSD apps: the dept_app table's rows (see store/app.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/app.h"
#include "store_internal.h"

#define APP_COLS                                                                                   \
    "name, department, url, secret_file, timeout_ms, service_codes, enabled, created_at, "         \
    "updated_at"

static const char sql_add[] = "INSERT INTO dept_app (" APP_COLS ") "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";
static const char sql_get[] = "SELECT " APP_COLS " FROM dept_app WHERE name = ?1";
static const char sql_list[] = "SELECT " APP_COLS " FROM dept_app ORDER BY name";
static const char sql_remove[] = "DELETE FROM dept_app WHERE name = ?1";

static void app_row(struct db_stmt *s, void *slot)
{
    struct store_app *a = slot;

    memset(a, 0, sizeof(*a));
    store_col_text(s, 0, a->name, sizeof(a->name));
    store_col_text(s, 1, a->department, sizeof(a->department));
    store_col_text(s, 2, a->url, sizeof(a->url));
    store_col_text(s, 3, a->secret_file, sizeof(a->secret_file));
    a->timeout_ms = (unsigned)db_col_int64(s, 4);
    store_col_text(s, 5, a->service_codes, sizeof(a->service_codes));
    a->enabled = db_col_int64(s, 6);
    a->created_at = db_col_int64(s, 7);
    a->updated_at = db_col_int64(s, 8);
}

int store_app_add(struct store *st, const struct store_app *a)
{
    struct db_stmt *s = store_stmt(st, sql_add);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, a->name);
    db_bind_text(s, 2, a->department);
    db_bind_text(s, 3, a->url);
    db_bind_text(s, 4, a->secret_file);
    db_bind_int64(s, 5, a->timeout_ms);
    db_bind_text(s, 6, a->service_codes);
    db_bind_int64(s, 7, a->enabled ? 1 : 0);
    db_bind_int64(s, 8, kp_time_s());
    return store_step_done(st, s);
}

int store_app_get(struct store *st, const char *name, struct store_app *out)
{
    struct db_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, name);
    rc = db_step(s);
    if (rc == DB_ROW)
        app_row(s, out);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_app_remove(struct store *st, const char *name)
{
    struct db_stmt *s = store_stmt(st, sql_remove);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, name);
    rc = store_step_done(st, s);
    if (rc == 0 && db_changes(st->db) == 0)
        return -KP_ERR_NOTFOUND;
    return rc;
}

int store_app_list(struct store *st, struct store_app **out)
{
    void *v;
    int n = store_rows_all(store_stmt(st, sql_list), sizeof(**out), app_row, &v);

    *out = v;
    return n;
}
