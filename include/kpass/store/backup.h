/* SPDX-License-Identifier: ISC */
/*
 * Whole-database copies with SQLite's online backup API, and the counts a
 * backup's manifest records.  A copy is one read transaction on the
 * source: in WAL mode it neither blocks the daemon's writers nor sees half
 * of a transaction, so a backup taken under load is the database as it was
 * at one commit (sqlite.org/backup.html).
 */
#ifndef KPASS_STORE_BACKUP_H
#define KPASS_STORE_BACKUP_H

#include <stdint.h>

struct store;

/*
 * Copy the database at src (opened read-only, never migrated) into dst,
 * which must not exist; dst is created 0600.  0, -KP_ERR_EXISTS,
 * -KP_ERR_NOTFOUND, or -KP_ERR_DB (dst removed again).
 */
int store_backup_copy(const char *src, const char *dst);

/* The rows an operator checks after a restore, and the audit chain's head. */
struct store_counts {
    int schema;
    int64_t partners;
    int64_t citizens;
    int64_t credentials;
    int64_t offices;
    int64_t desks;
    int64_t staff;
    int64_t verifications;
    int64_t sms;
    int64_t audit_rows;
    int64_t audit_head_id;   /* 0 for an empty log */
    char audit_head_hex[65]; /* the last row's hash, "" for an empty log */
};

/* Count them in one read transaction (a table the schema lacks counts -1).
   0 or -KP_ERR_DB. */
int store_counts_read(struct store *st, struct store_counts *out);

#endif
