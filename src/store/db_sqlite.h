/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/: what only the SQLite backend has.  The WAL
 * checkpointer (checkpoint.c) and the online backup (backup.c) work on
 * the SQLite file itself; nothing else in src/store/ may use these.
 */
#ifndef KPASS_STORE_DB_SQLITE_H
#define KPASS_STORE_DB_SQLITE_H

#include "db.h"

struct sqlite3; /* <sqlite3.h>, for the two files that need it */
struct kp_buf;

/* The connection's sqlite3 handle; NULL when db is not a SQLite connection. */
struct sqlite3 *db_sqlite_handle(struct db *db);
/* Bulk mode (store_bulk): a page cache large enough for an import that
   inserts into an index in random order.  0 or -KP_ERR_DB. */
int db_sqlite_bulk(struct db *db);
/* PRAGMA integrity_check: 0 when it says "ok", else -KP_ERR_DB with each
   line it reported appended to out (may be NULL). */
int db_sqlite_integrity(struct db *db, struct kp_buf *out);

#endif
