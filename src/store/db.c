/* SPDX-License-Identifier: ISC */
/*
 * The backend seam's dispatch (db.h): db_open() picks the backend of the
 * kind asked for, everything else follows the table the connection or
 * statement carries -- one indirect call per db_* call.
 */
#include <stddef.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "db_backend.h"

/* The backends this build has.  A backend adds its table here. */
static const struct db_ops *const db_backends[] = {
    &db_sqlite_ops,
    &db_pg_ops,
};

int db_open(const struct db_params *p, struct db **out)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof(db_backends) / sizeof(db_backends[0]); i++)
        if (db_backends[i]->kind == p->kind)
            return db_backends[i]->open(p, out);
    log_warnx("store: this build has no %s backend",
              p->kind == DB_POSTGRESQL ? "postgresql" : "such");
    return -KP_ERR_UNSUPPORTED;
}

void db_close(struct db *db)
{
    if (db != NULL)
        db->ops->close(db);
}

enum db_kind db_kind(const struct db *db)
{
    return db->ops->kind;
}

const char *db_errmsg(struct db *db)
{
    return db->ops->errmsg(db);
}

int db_exec(struct db *db, const char *sql)
{
    return db->ops->exec(db, sql);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
    return db->ops->prepare(db, sql, out);
}

void db_finalize(struct db_stmt *s)
{
    if (s != NULL)
        s->ops->finalize(s);
}

void db_reset(struct db_stmt *s)
{
    s->ops->reset(s);
}

void db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
    s->ops->bind_int64(s, i, v);
}

void db_bind_text(struct db_stmt *s, int i, const char *v)
{
    s->ops->bind_text(s, i, v);
}

void db_bind_textn(struct db_stmt *s, int i, const char *v, size_t n)
{
    s->ops->bind_textn(s, i, v, n);
}

void db_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
    s->ops->bind_blob(s, i, v, n);
}

void db_bind_null(struct db_stmt *s, int i)
{
    s->ops->bind_null(s, i);
}

int db_step(struct db_stmt *s)
{
    return s->ops->step(s);
}

int db_column_count(struct db_stmt *s)
{
    return s->ops->column_count(s);
}

int db_col_is_null(struct db_stmt *s, int i)
{
    return s->ops->col_is_null(s, i);
}

int64_t db_col_int64(struct db_stmt *s, int i)
{
    return s->ops->col_int64(s, i);
}

const char *db_col_text(struct db_stmt *s, int i)
{
    return s->ops->col_text(s, i);
}

const void *db_col_blob(struct db_stmt *s, int i)
{
    return s->ops->col_blob(s, i);
}

size_t db_col_bytes(struct db_stmt *s, int i)
{
    return s->ops->col_bytes(s, i);
}

int64_t db_changes(struct db *db)
{
    return db->ops->changes(db);
}
