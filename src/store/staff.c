/* SPDX-License-Identifier: ISC */
/*
 * Office staff: the staff table, PIN rules and hashing (Argon2id over a
 * keyed BLAKE2b of the staff id and PIN; see store_desk.h), locking and
 * unlocking, and the PIN check a desk sign-in makes, which counts wrong
 * PINs and locks after too many.  The slow hashing always happens with no
 * transaction open, so a sign-in never holds the database's write lock
 * while Argon2id runs.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desk_internal.h"
#include "kpass/err.h"
#include "kpass/mem.h"
#include "kpass/store_audit.h"
#include "kpass/store_change.h"
#include "kpass/store_desk.h"
#include "kpass/store_directory.h"
#include "kpass/store_verification.h"

#define STAFF_COLS      "id, office, name, failed_pins, locked, created_at, updated_at, pin_version"
#define STAFF_HASH_SIZE crypto_pwhash_STRBYTES
#define STAFF_INPUT     32 /* the keyed BLAKE2b of id and PIN that Argon2id hashes */

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
/* ?2 max failures: reaching it locks */
static const char sql_pin_wrong[] =
    "UPDATE staff SET failed_pins = failed_pins + 1, "
    "locked = CASE WHEN failed_pins + 1 >= ?2 THEN 1 ELSE locked END, updated_at = ?3 "
    "WHERE id = ?1";

static const unsigned char staff_pin_personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "kpass-staff-pin";

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

/* What Argon2id hashes: BLAKE2b-256(key, "kpass-staff-pin", id || NUL || pin). */
static void staff_pin_input(const uint8_t key[STORE_DESK_KEY_BYTES], const char *id,
                            const char *pin, uint8_t out[STAFF_INPUT])
{
    crypto_generichash_blake2b_state h;

    crypto_generichash_blake2b_init_salt_personal(&h, key, STORE_DESK_KEY_BYTES, STAFF_INPUT, NULL,
                                                  staff_pin_personal);
    crypto_generichash_blake2b_update(&h, (const unsigned char *)id, strlen(id) + 1);
    crypto_generichash_blake2b_update(&h, (const unsigned char *)pin, strlen(pin));
    crypto_generichash_blake2b_final(&h, out, STAFF_INPUT);
    sodium_memzero(&h, sizeof(h));
}

/* Argon2id at the interactive limits (crypto_pwhash_str).  0 or -KP_ERR_NOMEM. */
static int staff_pin_hash(const uint8_t key[STORE_DESK_KEY_BYTES], const char *id, const char *pin,
                          char out[STAFF_HASH_SIZE])
{
    uint8_t input[STAFF_INPUT];
    int rc;

    staff_pin_input(key, id, pin, input);
    rc = crypto_pwhash_str(out, (const char *)input, sizeof(input),
                           crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE);
    sodium_memzero(input, sizeof(input));
    return rc == 0 ? 0 : -KP_ERR_NOMEM;
}

static void staff_row(sqlite3_stmt *s, struct store_staff *f, char hash[STAFF_HASH_SIZE])
{
    memset(f, 0, sizeof(*f));
    store_col_text(s, 0, f->id, sizeof(f->id));
    store_col_text(s, 1, f->office, sizeof(f->office));
    store_col_text(s, 2, f->name, sizeof(f->name));
    f->failed_pins = (unsigned)sqlite3_column_int(s, 3);
    f->locked = sqlite3_column_int(s, 4) != 0;
    f->created_at = sqlite3_column_int64(s, 5);
    f->updated_at = sqlite3_column_int64(s, 6);
    f->pin_version = sqlite3_column_int64(s, 7);
    if (hash != NULL)
        store_col_text(s, 8, hash, STAFF_HASH_SIZE);
}

/* The row of id and, when hash is not NULL, its PIN hash.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
static int staff_read(struct store *st, const char *id, struct store_staff *out,
                      char hash[STAFF_HASH_SIZE])
{
    sqlite3_stmt *s = store_stmt(st, sql_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        staff_row(s, out, hash);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_staff_get(struct store *st, const char *id, struct store_staff *out)
{
    return staff_read(st, id, out, NULL);
}

int store_staff_list(struct store *st, const char *office, struct store_staff **out)
{
    sqlite3_stmt *s = store_stmt(st, office ? sql_list_office : sql_list_all);
    struct store_staff *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *out = NULL;
    if (s == NULL)
        return -KP_ERR_DB;
    if (office)
        store_bind_text(s, 1, office);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = kp_grow(v, &cap, n + 1, sizeof(*v));
        staff_row(s, &v[n++], NULL);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(v);
        return -KP_ERR_DB;
    }
    *out = v;
    return (int)n;
}

/* Append an audit row "staff ID[ suffix]"; 0 or < 0. */
static int staff_audit(struct store *st, int64_t now, const char *event, const char *actor,
                       const char *id, const char *suffix)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 1];
    int64_t row;

    if (suffix != NULL && *suffix != '\0')
        snprintf(detail, sizeof(detail), "staff %s %s", id, suffix);
    else
        snprintf(detail, sizeof(detail), "staff %s", id);
    row = store_audit_append(st, now, event, actor, NULL, detail);
    return row < 0 ? (int)row : 0;
}

static int staff_insert(struct store *st, const struct store_staff *f, const char *hash,
                        const char *actor, int64_t now)
{
    char office[32];
    sqlite3_stmt *s;
    int rc;

    if ((rc = store_dir_exists(st, STORE_DIR_OFFICE, f->office)) <= 0)
        return rc == 0 ? -KP_ERR_NOTFOUND : rc;
    if ((s = store_stmt(st, sql_insert)) == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, f->id);
    store_bind_text(s, 2, f->office);
    store_bind_text(s, 3, f->name);
    store_bind_text(s, 4, hash);
    sqlite3_bind_int64(s, 5, now);
    if ((rc = store_step_done(st, s)) < 0)
        return rc; /* -KP_ERR_EXISTS: the office is there, so the id is taken */
    snprintf(office, sizeof(office), "at office %s", f->office);
    return staff_audit(st, now, "staff.added", actor, f->id, office);
}

int store_staff_add(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                    struct store_staff *s, const char *pin, const char *actor, int64_t now)
{
    char hash[STAFF_HASH_SIZE];
    enum store_scope scope;
    int rc;

    if (store_staff_id_valid(s->id) < 0 || store_desk_office_valid(s->office) < 0 ||
        store_desk_name_valid(s->name, STORE_STAFF_NAME_CHARS) < 0)
        return -KP_ERR_INVAL;
    if ((rc = store_staff_pin_valid(pin)) < 0)
        return rc;
    if (st->audit_key == NULL)
        return -KP_ERR_STATE;
    if ((rc = staff_pin_hash(key, s->id, pin, hash)) < 0)
        return rc;
    if ((rc = desk_scope_begin(st, &scope)) == 0) {
        rc = staff_insert(st, s, hash, actor, now);
        rc = desk_scope_end(st, scope, rc);
    }
    if (rc == 0) {
        s->failed_pins = 0;
        s->locked = 0;
        s->created_at = s->updated_at = now;
    }
    return rc;
}

/*
 * After a change to staff member id inside the scope: end their sessions
 * (end_sessions) and count the change for a running daemon.  0 or < 0.
 */
static int staff_changed(struct store *st, const char *id, int end_sessions)
{
    int rc;

    if (end_sessions && (rc = store_session_end_staff(st, id)) < 0)
        return rc;
    return store_change_bump(st, STORE_CHANGE_STATE) < 0 ? -KP_ERR_DB : 0;
}

/* Lock (lock = 1) or unlock (0).  1 changed, 0 already so, or < 0. */
static int staff_set_lock(struct store *st, const char *id, int lock, const char *reason,
                          const char *actor, int64_t now)
{
    enum store_scope scope;
    struct store_staff f;
    char suffix[STORE_AUDIT_DETAIL_MAX + 1] = "";
    sqlite3_stmt *s;
    int rc;

    if (reason != NULL) {
        if ((rc = store_audit_detail_check(reason)) < 0)
            return rc;
        if (strlen(reason) > 150)
            return -KP_ERR_INVAL;
        snprintf(suffix, sizeof(suffix), "reason: %s", reason);
    }
    if ((rc = desk_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = staff_read(st, id, &f, NULL)) == 0 && f.locked != lock) {
        if ((s = store_stmt(st, sql_lock)) == NULL) {
            rc = -KP_ERR_DB;
        } else {
            store_bind_text(s, 1, id);
            sqlite3_bind_int(s, 2, lock);
            sqlite3_bind_int64(s, 3, now);
            rc = store_step_done(st, s);
        }
        if (rc == 0)
            rc = staff_changed(st, id, lock);
        if (rc == 0)
            rc = staff_audit(st, now, lock ? "staff.locked" : "staff.unlocked", actor, id, suffix);
        if (rc == 0)
            rc = 1;
    }
    return desk_scope_end(st, scope, rc);
}

int store_staff_lock(struct store *st, const char *id, const char *reason, const char *actor,
                     int64_t now)
{
    return staff_set_lock(st, id, 1, reason, actor, now);
}

int store_staff_unlock(struct store *st, const char *id, const char *reason, const char *actor,
                       int64_t now)
{
    return staff_set_lock(st, id, 0, reason, actor, now);
}

int store_staff_set_pin(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES], const char *id,
                        const char *pin, const char *actor, int64_t now)
{
    char hash[STAFF_HASH_SIZE];
    enum store_scope scope;
    struct store_staff f;
    sqlite3_stmt *s;
    int rc;

    if ((rc = store_staff_pin_valid(pin)) < 0)
        return rc;
    if (st->audit_key == NULL)
        return -KP_ERR_STATE;
    if ((rc = staff_read(st, id, &f, NULL)) < 0)
        return rc;
    if ((rc = staff_pin_hash(key, f.id, pin, hash)) < 0)
        return rc;
    if ((rc = desk_scope_begin(st, &scope)) < 0)
        return rc;
    if ((s = store_stmt(st, sql_set_pin)) == NULL) {
        rc = -KP_ERR_DB;
    } else {
        store_bind_text(s, 1, id);
        store_bind_text(s, 2, hash);
        sqlite3_bind_int64(s, 3, now);
        rc = store_step_done(st, s);
        if (rc == 0 && sqlite3_changes(st->db) == 0)
            rc = -KP_ERR_NOTFOUND; /* removed while we hashed */
    }
    if (rc == 0)
        rc = staff_changed(st, id, 1);
    if (rc == 0)
        rc = staff_audit(st, now, "staff.pin_changed", actor, id, NULL);
    return desk_scope_end(st, scope, rc);
}

int store_staff_remove(struct store *st, const char *id, const char *actor, int64_t now)
{
    enum store_scope scope;
    struct store_staff f;
    char office[32];
    sqlite3_stmt *s;
    int rc;

    if ((rc = desk_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = staff_read(st, id, &f, NULL)) == 0) {
        if ((s = store_stmt(st, sql_remove)) == NULL) {
            rc = -KP_ERR_DB;
        } else {
            store_bind_text(s, 1, id);
            rc = store_step_done(st, s);
        }
        if (rc == 0)
            rc = staff_changed(st, id, 1);
        snprintf(office, sizeof(office), "at office %s", f.office);
        if (rc == 0)
            rc = staff_audit(st, now, "staff.removed", actor, id, office);
    }
    return desk_scope_end(st, scope, rc);
}

/*
 * Record a wrong PIN (inside the scope): count it, lock at max, audit.
 * -KP_ERR_WRONG, -KP_ERR_LOCKED or another error.
 */
static int staff_pin_count(struct store *st, const char *id, unsigned max, const char *actor,
                           int64_t now, struct store_staff *out)
{
    char suffix[64];
    sqlite3_stmt *s = store_stmt(st, sql_pin_wrong);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, max);
    sqlite3_bind_int64(s, 3, now);
    if ((rc = store_step_done(st, s)) < 0 || (rc = staff_read(st, id, out, NULL)) < 0)
        return rc;
    snprintf(suffix, sizeof(suffix), "wrong PIN %u of %u", out->failed_pins, max);
    if ((rc = staff_audit(st, now, "staff.pin_failed", actor, id, suffix)) < 0)
        return rc;
    if (!out->locked)
        return -KP_ERR_WRONG;
    if ((rc = store_session_end_staff(st, id)) < 0)
        return rc;
    snprintf(suffix, sizeof(suffix), "after %u wrong PINs", out->failed_pins);
    rc = staff_audit(st, now, "staff.locked", actor, id, suffix);
    return rc < 0 ? rc : -KP_ERR_LOCKED;
}

/*
 * Judge a PIN verified against hash (right or not) inside the scope, by
 * the row as it is now: locked meanwhile, or its PIN changed meanwhile
 * (then nothing is counted).
 */
static int staff_pin_decide(struct store *st, const char *id, const char *hash, int right,
                            unsigned max, const char *actor, int64_t now, struct store_staff *out)
{
    char cur_hash[STAFF_HASH_SIZE];
    sqlite3_stmt *s;
    int rc;

    if ((rc = staff_read(st, id, out, cur_hash)) < 0)
        return rc;
    if (out->locked)
        return -KP_ERR_LOCKED;
    if (strcmp(cur_hash, hash) != 0)
        return -KP_ERR_WRONG; /* checked against the PIN just replaced */
    if (!right)
        return staff_pin_count(st, id, max, actor, now, out);
    if (out->failed_pins == 0)
        return 0;
    if ((s = store_stmt(st, sql_pin_right)) == NULL)
        return -KP_ERR_DB;
    store_bind_text(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    if ((rc = store_step_done(st, s)) == 0) {
        out->failed_pins = 0;
        out->updated_at = now;
    }
    return rc;
}

/* Settle a verified check in one short transaction (none when nothing changes). */
static int staff_pin_settle(struct store *st, const char *id, const char *hash, int right,
                            unsigned max, const char *actor, int64_t now, struct store_staff *out)
{
    char cur_hash[STAFF_HASH_SIZE];
    enum store_scope scope;
    int rc;

    /* The usual sign-in: nothing to write, so no write transaction. */
    rc = staff_read(st, id, out, cur_hash);
    if (rc == 0 && right && !out->locked && out->failed_pins == 0 && strcmp(cur_hash, hash) == 0)
        return 0;
    if ((rc = desk_scope_begin(st, &scope)) < 0)
        return rc;
    rc = staff_pin_decide(st, id, hash, right, max, actor, now, out);
    /* A refusal is a result to keep (the count, the lock), not an error to undo. */
    if (rc == -KP_ERR_WRONG || rc == -KP_ERR_LOCKED) {
        int c = desk_scope_end(st, scope, 0);
        return c < 0 ? c : rc;
    }
    return desk_scope_end(st, scope, rc);
}

int store_staff_check_pin(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
                          const char *office, const char *id, const char *pin,
                          unsigned max_failures, const char *actor, int64_t now,
                          struct store_staff *out)
{
    char hash[STAFF_HASH_SIZE], waste[STAFF_HASH_SIZE];
    uint8_t input[STAFF_INPUT];
    struct store_staff f;
    int rc, right;

    memset(out, 0, sizeof(*out));
    if (max_failures == 0)
        max_failures = STORE_STAFF_FAILURES;
    if (st->audit_key == NULL)
        return -KP_ERR_STATE;
    rc = staff_read(st, id, &f, hash);
    if (rc < 0 && rc != -KP_ERR_NOTFOUND)
        return rc;
    if (rc == 0 && (office == NULL || strcmp(f.office, office) == 0)) {
        if (f.locked) {
            *out = f;
            return -KP_ERR_LOCKED;
        }
        staff_pin_input(key, f.id, pin, input);
        errno = 0;
        right = crypto_pwhash_str_verify(hash, (const char *)input, sizeof(input)) == 0;
        sodium_memzero(input, sizeof(input));
        /* libsodium sets EINVAL for a mismatch; anything else is not the PIN's fault. */
        if (!right && errno != EINVAL)
            return -KP_ERR_NOMEM;
        return staff_pin_settle(st, f.id, hash, right, max_failures, actor, now, out);
    }
    /* Unknown here: spend what a check costs, so timing does not tell. */
    staff_pin_input(key, id, pin, input);
    if (crypto_pwhash_str(waste, (const char *)input, sizeof(input),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        rc = -KP_ERR_NOMEM;
    else
        rc = -KP_ERR_NOTFOUND;
    sodium_memzero(input, sizeof(input));
    return rc;
}
