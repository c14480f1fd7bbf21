/* SPDX-License-Identifier: ISC */
/*
 * Online backups (store_backup.h): sqlite3_backup_* from a read-only
 * connection into a new file -- SQLite only, by nature: it copies the
 * file -- and the manifest's counts, on any backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/store/store.h"
#include "kpass/store/backup.h"
#include "store_internal.h"

#define BACKUP_BUSY_TRIES 200 /* x 25 ms: a writer holding the file for 5 s */

/* One step copying every page: a single read transaction, hence one commit's view. */
static int backup_run(sqlite3 *from, sqlite3 *to)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    int rc = SQLITE_OK;

    if (b == NULL)
        return SQLITE_ERROR;
    for (int i = 0; i < BACKUP_BUSY_TRIES; i++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(25);
    }
    sqlite3_backup_finish(b);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_backup_copy(const char *src, const char *dst)
{
    sqlite3 *from = NULL, *to = NULL;
    int fd, rc = -KP_ERR_DB;

    if (access(src, F_OK) != 0)
        return -KP_ERR_NOTFOUND;
    fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST ? -KP_ERR_EXISTS : -errno;
    close(fd);
    if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        log_warnx("store: backup: cannot open %s or %s", src, dst);
        goto out;
    }
    sqlite3_busy_timeout(from, 5000);
    if ((rc = backup_run(from, to)) != SQLITE_OK) {
        log_warnx("store: backup of %s: %s", src, sqlite3_errstr(rc));
        rc = -KP_ERR_DB;
        goto out;
    }
    /* The copy is one self-contained file (no -wal to carry along); the
       database it is restored to goes back to WAL when it is opened. */
    if (sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        log_warnx("store: backup %s: %s", dst, sqlite3_errmsg(to));
        rc = -KP_ERR_DB;
        goto out;
    }
    rc = 0;
out:
    sqlite3_close(from);
    sqlite3_close(to);
    if (rc < 0) {
        unlink(dst);
        char side[4096];
        snprintf(side, sizeof(side), "%s-wal", dst);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", dst);
        unlink(side);
    }
    return rc;
}

/*
 * One count per statement, so that a database at an older schema (the
 * copy `kpass migrate` takes first) still gets the counts of the tables it
 * has; a table it lacks counts -1.  Fixed statements, prepared here rather
 * than cached: a missing table must not be a logged error.
 */
static const char *const sql_count[] = {
    "SELECT count(*) FROM partner",      "SELECT count(*) FROM citizen",
    "SELECT count(*) FROM credential",   "SELECT count(*) FROM office",
    "SELECT count(*) FROM desk",         "SELECT count(*) FROM staff",
    "SELECT count(*) FROM verification", "SELECT count(*) FROM sms_outbox",
    "SELECT count(*) FROM audit",
};
static const char sql_audit_last[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";

static int64_t backup_count(struct store *st, const char *sql)
{
    struct db_stmt *s;
    int64_t n = -1;

    if (db_prepare(st->db, sql, &s) < 0)
        return -1;
    if (db_step(s) == DB_ROW)
        n = db_col_int64(s, 0);
    db_finalize(s);
    return n;
}

/* The read transaction of store_counts_read: one snapshot for every count.
   SQLite's BEGIN reads one commit's view until COMMIT; PostgreSQL's default
   (READ COMMITTED) would take a new one per statement. */
static const char *backup_begin_sql(struct store *st)
{
    return db_kind(st->db) == DB_SQLITE ? "BEGIN"
                                        : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

int store_counts_read(struct store *st, struct store_counts *out)
{
    int64_t *v[] = {&out->partners,      &out->citizens, &out->credentials,
                    &out->offices,       &out->desks,    &out->staff,
                    &out->verifications, &out->sms,      &out->audit_rows};
    struct db_stmt *s;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    /* One read transaction: every count from the same commit. */
    if (db_exec(st->db, backup_begin_sql(st)) < 0)
        return -KP_ERR_DB;
    out->schema = store_schema_version(st);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        *v[i] = backup_count(st, sql_count[i]);
    if (db_prepare(st->db, sql_audit_last, &s) == 0) {
        if (db_step(s) == DB_ROW && db_col_bytes(s, 1) == 32) {
            out->audit_head_id = db_col_int64(s, 0);
            sodium_bin2hex(out->audit_head_hex, sizeof(out->audit_head_hex), db_col_blob(s, 1), 32);
        }
        db_finalize(s);
    }
    if (db_exec(st->db, "COMMIT") < 0)
        rc = -KP_ERR_DB;
    return rc;
}
