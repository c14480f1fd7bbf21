/* SPDX-License-Identifier: ISC */
/*
 * Office staff: the staff table (rows in and out, the stored PIN hash,
 * the lock flag and the count of wrong PINs) and the id and PIN format
 * checks.  Hashing PINs, the lockout rule and the audit rows are
 * office/staff.c's (office.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/desk.h"
#include "kpass/store/directory.h"
#include "kpass/store/verification.h"
#include "store_internal.h"

#define STAFF_COLS      "id, office, name, failed_pins, locked, created_at, updated_at, pin_version"
#define STAFF_HASH_SIZE STORE_STAFF_HASH_SIZE

static const char sql_get[] = "SELECT " STAFF_COLS ", pin_hash FROM staff WHERE id = ?1";
static const char sql_list_office[] =
    "SELECT " STAFF_COLS ", '' FROM staff WHERE office = ?1 ORDER BY id";
static const char sql_list_all[] = "SELECT " STAFF_COLS ", '' FROM staff ORDER BY office, id";
static const char sql_insert[] = "INSERT INTO staff (id, office, name, pin_hash, created_at, "
                                 "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
/* ?2: 1 lock, 0 unlock (which also clears the count of wrong PINs) */
static const char sql_lock[] =
    "UPDATE staff SET locked = ?2, failed_pins = CASE WHEN ?2 = 0 THEN 0 ELSE failed_pins END, "
    "updated_at = ?3 WHERE id = ?1 AND locked <> ?2";
static const char sql_set_pin[] = "UPDATE staff SET pin_hash = ?2, failed_pins = 0, "
                                  "updated_at = ?3, pin_version = pin_version + 1 WHERE id = ?1";
static const char sql_remove[] = "DELETE FROM staff WHERE id = ?1";
static const char sql_pin_right[] =
    "UPDATE staff SET failed_pins = 0, updated_at = ?2 WHERE id = ?1";
static const char sql_pin_wrong[] =
    "UPDATE staff SET failed_pins = failed_pins + 1, updated_at = ?2 WHERE id = ?1";

int store_staff_id_valid(const char *id)
{
    size_t i = 0, prefix, digits = 0;

    if (!(id[0] >= 'A' && id[0] <= 'Z'))
        return -KP_ERR_INVAL;
    while ((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9'))
        digits += id[i++] <= '9';
    prefix = i;
    if (prefix < 2 || prefix > 8 || id[i++] != '-')
        return -KP_ERR_INVAL;
    while (id[i] >= '0' && id[i] <= '9')
        i++;
    digits += i - prefix - 1;
    if (i - prefix - 1 < 1 || i - prefix - 1 > 6 || id[i] != '\0' || digits > 9)
        return -KP_ERR_INVAL;
    return 0;
}

int store_staff_pin_valid(const char *pin)
{
    size_t n = strnlen(pin, STORE_STAFF_PIN_MAX + 1);
    int same = 1, up = 1, down = 1;

    if (n < STORE_STAFF_PIN_MIN || n > STORE_STAFF_PIN_MAX)
        return -KP_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return -KP_ERR_INVAL;
    for (size_t i = 1; i < n; i++) {
        same &= pin[i] == pin[0];
        up &= pin[i] == pin[i - 1] + 1;
        down &= pin[i] == pin[i - 1] - 1;
    }
    return same || up || down ? -KP_ERR_DENIED : 0;
}

static void staff_row(struct db_stmt *s, struct store_staff *f, char hash[STAFF_HASH_SIZE])
{
    memset(f, 0, sizeof(*f));
    store_col_text(s, 0, f->id, sizeof(f->id));
    store_col_text(s, 1, f->office, sizeof(f->office));
    store_col_text(s, 2, f->name, sizeof(f->name));
    f->failed_pins = (unsigned)db_col_int64(s, 3);
    f->locked = db_col_int64(s, 4) != 0;
    f->created_at = db_col_int64(s, 5);
    f->updated_at = db_col_int64(s, 6);
    f->pin_version = db_col_int64(s, 7);
    if (hash != NULL)
        store_col_text(s, 8, hash, STAFF_HASH_SIZE);
}

/* The row of id and, when hash is not NULL, its PIN hash.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
static int staff_read(struct store *st, const char *id, struct store_staff *out,
                      char hash[STAFF_HASH_SIZE])
{
    struct db_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    rc = db_step(s);
    if (rc == DB_ROW)
        staff_row(s, out, hash);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_staff_get(struct store *st, const char *id, struct store_staff *out)
{
    return staff_read(st, id, out, NULL);
}

int store_staff_get_hash(struct store *st, const char *id, struct store_staff *out,
                         char hash[STORE_STAFF_HASH_SIZE])
{
    return staff_read(st, id, out, hash);
}

int store_staff_list(struct store *st, const char *office, struct store_staff **out)
{
    struct db_stmt *s = store_stmt(st, office ? sql_list_office : sql_list_all);
    struct store_staff *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    if (office)
        db_bind_text(s, 1, office);
    while ((rc = db_step(s)) == DB_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        staff_row(s, &v[n++], NULL);
    }
    db_reset(s);
    if (rc != DB_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

/* Step s (its parameters bound) and require one changed row: 0, -KP_ERR_NOTFOUND or < 0. */
static int staff_step_one(struct store *st, struct db_stmt *s)
{
    int rc = store_step_done(st, s);

    if (rc == 0 && db_changes(st->db) != 1)
        rc = -KP_ERR_NOTFOUND;
    return rc;
}

int store_staff_insert(struct store *st, const struct store_staff *f, const char *hash, int64_t now)
{
    struct db_stmt *s;
    int rc;

    if ((rc = store_dir_exists(st, STORE_DIR_OFFICE, f->office)) <= 0)
        return rc == 0 ? -KP_ERR_NOTFOUND : rc;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, f->id);
    db_bind_text(s, 2, f->office);
    db_bind_text(s, 3, f->name);
    db_bind_text(s, 4, hash);
    db_bind_int64(s, 5, now);
    return store_step_done(st, s); /* -KP_ERR_EXISTS: the office is there, so the id is taken */
}

int store_staff_set_locked(struct store *st, const char *id, int lock, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_lock);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    db_bind_int64(s, 2, lock != 0);
    db_bind_int64(s, 3, now);
    return staff_step_one(st, s);
}

int store_staff_set_hash(struct store *st, const char *id, const char *hash, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_set_pin);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    db_bind_text(s, 2, hash);
    db_bind_int64(s, 3, now);
    return staff_step_one(st, s);
}

int store_staff_delete(struct store *st, const char *id)
{
    struct db_stmt *s = store_stmt(st, sql_remove);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    return staff_step_one(st, s);
}

int store_staff_failures_add(struct store *st, const char *id, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_pin_wrong);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    db_bind_int64(s, 2, now);
    return staff_step_one(st, s);
}

int store_staff_failures_clear(struct store *st, const char *id, int64_t now)
{
    struct db_stmt *s = store_stmt(st, sql_pin_right);

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, id);
    db_bind_int64(s, 2, now);
    return staff_step_one(st, s);
}
