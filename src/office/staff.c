/* SPDX-License-Identifier: ISC */
/*
 * Office staff above the store: PIN hashing (Argon2id over a keyed
 * BLAKE2b of the staff id and PIN; see store_desk.h), adding, locking,
 * re-PINning and removing with their audit rows and change counts, and
 * the PIN check a desk sign-in makes, which counts wrong PINs and locks
 * after too many (see office.h).  The slow hashing always happens with
 * no transaction open, so a sign-in never holds the database's write lock
 * while Argon2id runs.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/office/office.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/store/verification.h"

#define STAFF_HASH_SIZE STORE_STAFF_HASH_SIZE
#define STAFF_INPUT     32 /* the keyed BLAKE2b of id and PIN that Argon2id hashes */

_Static_assert(STORE_STAFF_HASH_SIZE == crypto_pwhash_STRBYTES, "the stored hash's size");

static const unsigned char staff_pin_personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "kpass-staff-pin";

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

/* Keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
static int staff_scope_end(struct store *st, enum store_scope scope, int rc)
{
    int c = store_scope_end(st, scope, rc >= 0);

    return c < 0 ? c : rc;
}

/* The scope of one change: refused first when there is no audit key. */
static int staff_scope_begin(struct store *st, enum store_scope *scope)
{
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    return store_scope_begin(st, scope);
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
    row = audit_append(st, now, event, actor, NULL, detail);
    return row < 0 ? (int)row : 0;
}

/* The row and its staff.added, in the caller's scope. */
static int staff_insert(struct store *st, const struct store_staff *f, const char *hash,
                        const char *actor, int64_t now)
{
    char office[32];
    int rc;

    if ((rc = store_staff_insert(st, f, hash, now)) < 0)
        return rc;
    snprintf(office, sizeof(office), "at office %s", f->office);
    return staff_audit(st, now, "staff.added", actor, f->id, office);
}

int office_staff_add(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
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
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = staff_pin_hash(key, s->id, pin, hash)) < 0)
        return rc;
    if ((rc = staff_scope_begin(st, &scope)) == 0) {
        rc = staff_insert(st, s, hash, actor, now);
        rc = staff_scope_end(st, scope, rc);
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
    int rc;

    if (reason != NULL) {
        if ((rc = store_audit_detail_check(reason)) < 0)
            return rc;
        if (strlen(reason) > 150)
            return -KP_ERR_INVAL;
        snprintf(suffix, sizeof(suffix), "reason: %s", reason);
    }
    if ((rc = staff_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_staff_get(st, id, &f)) == 0 && f.locked != lock) {
        rc = store_staff_set_locked(st, id, lock, now);
        if (rc == -KP_ERR_NOTFOUND)
            rc = -KP_ERR_DB; /* read just now in this scope */
        if (rc == 0)
            rc = staff_changed(st, id, lock);
        if (rc == 0)
            rc = staff_audit(st, now, lock ? "staff.locked" : "staff.unlocked", actor, id, suffix);
        if (rc == 0)
            rc = 1;
    }
    return staff_scope_end(st, scope, rc);
}

int office_staff_lock(struct store *st, const char *id, const char *reason, const char *actor,
                      int64_t now)
{
    return staff_set_lock(st, id, 1, reason, actor, now);
}

int office_staff_unlock(struct store *st, const char *id, const char *reason, const char *actor,
                        int64_t now)
{
    return staff_set_lock(st, id, 0, reason, actor, now);
}

int office_staff_set_pin(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES], const char *id,
                         const char *pin, const char *actor, int64_t now)
{
    char hash[STAFF_HASH_SIZE];
    enum store_scope scope;
    struct store_staff f;
    int rc;

    if ((rc = store_staff_pin_valid(pin)) < 0)
        return rc;
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_staff_get(st, id, &f)) < 0)
        return rc;
    if ((rc = staff_pin_hash(key, f.id, pin, hash)) < 0)
        return rc;
    if ((rc = staff_scope_begin(st, &scope)) < 0)
        return rc;
    rc = store_staff_set_hash(st, id, hash, now); /* NOTFOUND: removed while we hashed */
    if (rc == 0)
        rc = staff_changed(st, id, 1);
    if (rc == 0)
        rc = staff_audit(st, now, "staff.pin_changed", actor, id, NULL);
    return staff_scope_end(st, scope, rc);
}

int office_staff_remove(struct store *st, const char *id, const char *actor, int64_t now)
{
    enum store_scope scope;
    struct store_staff f;
    char office[32];
    int rc;

    if ((rc = staff_scope_begin(st, &scope)) < 0)
        return rc;
    if ((rc = store_staff_get(st, id, &f)) == 0) {
        rc = store_staff_delete(st, id);
        if (rc == 0)
            rc = staff_changed(st, id, 1);
        snprintf(office, sizeof(office), "at office %s", f.office);
        if (rc == 0)
            rc = staff_audit(st, now, "staff.removed", actor, id, office);
    }
    return staff_scope_end(st, scope, rc);
}

/*
 * Record a wrong PIN (inside the scope): count it, lock at max, audit.
 * -KP_ERR_WRONG, -KP_ERR_LOCKED or another error.
 */
static int staff_pin_count(struct store *st, const char *id, unsigned max, const char *actor,
                           int64_t now, struct store_staff *out)
{
    char suffix[64];
    int rc;

    if ((rc = store_staff_failures_add(st, id, now)) < 0 || (rc = store_staff_get(st, id, out)) < 0)
        return rc;
    /* The lockout rule: max consecutive wrong PINs lock. */
    if (out->failed_pins >= max && !out->locked) {
        /* Locking keeps the count (only unlocking clears it). */
        if ((rc = store_staff_set_locked(st, id, 1, now)) < 0)
            return rc;
        out->locked = 1;
    }
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
    int rc;

    if ((rc = store_staff_get_hash(st, id, out, cur_hash)) < 0)
        return rc;
    if (out->locked)
        return -KP_ERR_LOCKED;
    if (strcmp(cur_hash, hash) != 0)
        return -KP_ERR_WRONG; /* checked against the PIN just replaced */
    if (!right)
        return staff_pin_count(st, id, max, actor, now, out);
    if (out->failed_pins == 0)
        return 0;
    if ((rc = store_staff_failures_clear(st, id, now)) == 0) {
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
    rc = store_staff_get_hash(st, id, out, cur_hash);
    if (rc == 0 && right && !out->locked && out->failed_pins == 0 && strcmp(cur_hash, hash) == 0)
        return 0;
    if ((rc = staff_scope_begin(st, &scope)) < 0)
        return rc;
    rc = staff_pin_decide(st, id, hash, right, max, actor, now, out);
    /* A refusal is a result to keep (the count, the lock), not an error to undo. */
    if (rc == -KP_ERR_WRONG || rc == -KP_ERR_LOCKED) {
        int c = staff_scope_end(st, scope, 0);
        return c < 0 ? c : rc;
    }
    return staff_scope_end(st, scope, rc);
}

int office_staff_check_pin(struct store *st, const uint8_t key[STORE_DESK_KEY_BYTES],
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
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    rc = store_staff_get_hash(st, id, &f, hash);
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
