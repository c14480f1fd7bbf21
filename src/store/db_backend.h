/* SPDX-License-Identifier: ISC */
/*
 * Private to the backends of db.h: the table of functions each backend
 * fills (db_sqlite.c, db_pg.c) and the heads every backend's connection
 * and statement start with, so that db.c finds the table in one load.
 * The model is OpenSMTPD's queue_backend: db.c is the one place that
 * knows there is more than one backend; a new backend adds its file and
 * one line to db_backends[] in db.c.
 */
#ifndef KPASS_STORE_DB_BACKEND_H
#define KPASS_STORE_DB_BACKEND_H

#include "db.h"

struct db_ops;

/* The first member of every backend's connection. */
struct db {
    const struct db_ops *ops;
};

/* The first member of every backend's statement. */
struct db_stmt {
    const struct db_ops *ops;
};

/* One backend: each member implements the db_* function of its name
   (db.h says what each must do). */
struct db_ops {
    enum db_kind kind;
    const char *name; /* for logs: "sqlite", "postgresql" */
    int (*open)(const struct db_params *p, struct db **out);
    void (*close)(struct db *db);
    const char *(*errmsg)(struct db *db);
    int (*exec)(struct db *db, const char *sql);
    int (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
    void (*finalize)(struct db_stmt *s);
    void (*reset)(struct db_stmt *s);
    void (*bind_int64)(struct db_stmt *s, int i, int64_t v);
    void (*bind_text)(struct db_stmt *s, int i, const char *v);
    void (*bind_textn)(struct db_stmt *s, int i, const char *v, size_t n);
    void (*bind_blob)(struct db_stmt *s, int i, const void *v, size_t n);
    void (*bind_null)(struct db_stmt *s, int i);
    int (*step)(struct db_stmt *s);
    int (*column_count)(struct db_stmt *s);
    int (*col_is_null)(struct db_stmt *s, int i);
    int64_t (*col_int64)(struct db_stmt *s, int i);
    const char *(*col_text)(struct db_stmt *s, int i);
    const void *(*col_blob)(struct db_stmt *s, int i);
    size_t (*col_bytes)(struct db_stmt *s, int i);
    int64_t (*changes)(struct db *db);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

#endif
