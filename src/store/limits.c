/* SPDX-License-Identifier: ISC */
/*
 * bind_failure: failed SMPP binds per source address, counted for every
 * node of a cluster (store/limits.h).  An attempt takes its place before
 * the password is looked at and gives it back unless it fails, so that
 * binds tried at once on several nodes cannot all pass a check made
 * before any of them failed.
 */
#include "kpass/core/err.h"
#include "kpass/store/limits.h"
#include "store_internal.h"

/* One statement: a window past its end starts again at this attempt;
   both SET expressions read the row as it was (SQL's rule, both backends). */
static const char sql_take[] =
    "INSERT INTO bind_failure (addr, window_start, failures) VALUES (?1, ?2, 1) "
    "ON CONFLICT (addr) DO UPDATE SET "
    "failures = CASE WHEN bind_failure.window_start <= ?2 - ?3 THEN 1 "
    "ELSE bind_failure.failures + 1 END, "
    "window_start = CASE WHEN bind_failure.window_start <= ?2 - ?3 THEN ?2 "
    "ELSE bind_failure.window_start END "
    "RETURNING failures, window_start";
static const char sql_give[] = "UPDATE bind_failure SET failures = failures - 1 "
                               "WHERE addr = ?1 AND window_start = ?2 AND failures > 0";

int store_bind_failure_take(struct store *st, const char *addr, int64_t now_ms, int64_t window_ms,
                            unsigned *count, int64_t *window)
{
    struct db_stmt *s = store_stmt(st, sql_take);
    int rc;

    *count = 0;
    *window = 0;
    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, addr);
    db_bind_int64(s, 2, now_ms);
    db_bind_int64(s, 3, window_ms);
    rc = db_step(s);
    if (rc == DB_ROW) {
        *count = (unsigned)db_col_int64(s, 0);
        *window = db_col_int64(s, 1);
        rc = db_step(s); /* RETURNING: the change is made at the statement's end */
    } else if (rc == DB_DONE) {
        rc = -KP_ERR_DB;
    }
    db_reset(s);
    return rc < 0 ? store_step_fail(st, rc) : 0;
}

int store_bind_failure_give(struct store *st, const char *addr, int64_t window)
{
    struct db_stmt *s = store_stmt(st, sql_give);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, addr);
    db_bind_int64(s, 2, window);
    return store_step_done(st, s);
}
