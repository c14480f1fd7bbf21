/* SPDX-License-Identifier: ISC */
/*
 * Moving an installation from SQLite to PostgreSQL (kpass migrate --from
 * sqlite:FILE --to postgresql:DSN): every table of the source, found from
 * its schema rather than listed by hand, copied into the target's schema
 * in foreign-key order, then read back and compared.  The rules around it
 * (the lock on the source, the audit chain, the report) are the caller's.
 */
#ifndef KPASS_STORE_MOVE_H
#define KPASS_STORE_MOVE_H

#include <stdint.h>

#include "kpass/core/buf.h"

struct store;

#define STORE_MOVE_NAME 64

struct store_move_table {
    char name[STORE_MOVE_NAME];
    int64_t rows;        /* read from the source and written */
    int64_t target_rows; /* read back from the target */
    int same;            /* the rows read back are the source's, value for value */
    int target_only;     /* the source has no such table: left empty */
};

struct store_move_report {
    struct store_move_table *tables; /* in the order copied; target-only ones last */
    int n;
    int64_t rows;  /* every table's rows */
    int sequences; /* identity sequences moved past the copied ids */
};

/*
 * Copy every table of src (SQLite, at this program's schema) into dst
 * (PostgreSQL, migrated to the same schema) inside dst's open transaction
 * (the caller's store_tx_begin; it commits or rolls back).  Not copied:
 * schema_version (each database records its own migrations; the versions
 * must be equal) and change_counter (the running daemons' counter of that
 * database; the target keeps its own).  SQLite's full-text index tables
 * (virtual tables and their shadow tables) are derived, never copied.
 * Refused: a source table or column the target's schema lacks
 * (-KP_ERR_STATE), a target table that already holds rows (-KP_ERR_EXISTS).
 * After the copy each table is read back from dst and compared (count and
 * a digest of every value) and every identity sequence is set past the
 * largest id.  0 with *rep filled (store_move_report_free), -KP_ERR_STATE
 * when a table differs after the copy, or -KP_ERR_DB; why says which table
 * and what.
 */
int store_move_copy(struct store *src, struct store *dst, struct store_move_report *rep,
                    struct kp_buf *why);
void store_move_report_free(struct store_move_report *rep);
/*
 * Before the target is migrated (opened STORE_READONLY): 0 when none of
 * its tables (if any) holds a row but the migrations' own, else
 * -KP_ERR_EXISTS with the table in why (or -KP_ERR_DB), so that a move
 * into a database in use is refused before its schema is touched.
 */
int store_move_target_empty(struct store *dst, struct kp_buf *why);

#endif
