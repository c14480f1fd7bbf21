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

static void app_row(sqlite3_stmt *s, void *slot)
{
    struct store_app *a = slot;

    memset(a, 0, sizeof(*a));
    store_col_text(s, 0, a->name, sizeof(a->name));
    store_col_text(s, 1, a->department, sizeof(a->department));
    store_col_text(s, 2, a->url, sizeof(a->url));
    store_col_text(s, 3, a->secret_file, sizeof(a->secret_file));
    a->timeout_ms = (unsigned)sqlite3_column_int(s, 4);
    store_col_text(s, 5, a->service_codes, sizeof(a->service_codes));
    a->enabled = sqlite3_column_int(s, 6);
    a->created_at = sqlite3_column_int64(s, 7);
    a->updated_at = sqlite3_column_int64(s, 8);
}

int store_app_add(struct store *st, const struct store_app *a)
{
    sqlite3_stmt *s = store_stmt(st, sql_add);

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, a->name);
    store_bind_text(s, 2, a->department);
    store_bind_text(s, 3, a->url);
    store_bind_text(s, 4, a->secret_file);
    sqlite3_bind_int(s, 5, (int)a->timeout_ms);
    store_bind_text(s, 6, a->service_codes);
    sqlite3_bind_int(s, 7, a->enabled ? 1 : 0);
    sqlite3_bind_int64(s, 8, kp_time_s());
    return store_step_done(st, s);
}

int store_app_get(struct store *st, const char *name, struct store_app *out)
{
    sqlite3_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, name);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        app_row(s, out);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_app_remove(struct store *st, const char *name)
{
    sqlite3_stmt *s = store_stmt(st, sql_remove);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, name);
    rc = store_step_done(st, s);
    if (rc == 0 && sqlite3_changes(st->db) == 0)
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
