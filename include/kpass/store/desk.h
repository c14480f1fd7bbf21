/* SPDX-License-Identifier: ISC */
/*
 * Office desks and staff in the store (DESIGN.md §7, doc/http-api.md
 * "Sessions").  A desk is a device at an office counter; it proves itself
 * with a desk token.  A staff member of an office signs in at a desk of
 * that office with their staff id and PIN.
 *
 * Desk tokens: 32 random octets, shown once as "kd1_" + base64url without
 * padding (RFC 4648 §5), 47 characters.  The store keeps only their keyed
 * hash (STORE_DESK_HASH_BYTES), made above it (office.h: the desk key, the
 * tokens, the hash and desks' audit rows), so the database alone cannot be
 * used to sign a desk in.  Staff PINs (4
 * to 8 digits) are stored with crypto_pwhash_str (Argon2id, interactive
 * limits) over a keyed BLAKE2b-256 of the staff id and the PIN (personal
 * "kpass-staff-pin"; made above the store, office.h): a PIN has at most 10^8 values, so a stolen
 * database alone must not be enough to try them all offline.
 *
 * The desk key is derived from keys/partner.key with crypto_kdf (context
 * "kpdesk01", subkey 1; office_desk_key_derive), so no primitive uses
 * partner.key itself twice and no new key file is needed.  Losing or
 * replacing partner.key invalidates every desk token and staff PIN.
 *
 * The rules are office.h's: each change appends its audit row (desk.added,
 * desk.revoked, staff.added, staff.locked, staff.unlocked,
 * staff.pin_changed, staff.pin_failed, staff.removed) and counts the
 * change for a running kpassd in the same transaction.  Here are only the
 * rows.  Times are passed in (Unix seconds).
 *
 * Threads: no function here uses globals or static state; each uses only
 * its arguments and the struct store it is given.  A struct store (one
 * SQLite connection, SQLITE_OPEN_NOMUTEX) must be used by one thread at a
 * time, so a worker thread calling office_staff_check_pin() (slow by design:
 * one Argon2id verification, about 64 MiB and a tenth of a second) needs
 * its own store_open() of the same file and its own audit_use_key();
 * sodium_init() must have run.  office_staff_check_pin() holds no
 * transaction while it hashes.
 */
#ifndef KPASS_STORE_DESK_H
#define KPASS_STORE_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/store/store.h"

#define STORE_DESK_KEY_BYTES    32
#define STORE_DESK_TOKEN_BYTES  32 /* random octets in a token */
#define STORE_DESK_HASH_BYTES   32 /* a token's keyed hash, as stored */
#define STORE_DESK_TOKEN_LEN    47 /* "kd1_" + 43 base64url characters */
#define STORE_DESK_TOKEN_SIZE   48 /* with the NUL */
#define STORE_DESK_TOKEN_PREFIX "kd1_"
#define STORE_DESK_ID_SIZE      16 /* "PSHDC1-1": office code '-' 1..9999 */
#define STORE_DESK_OFFICE_SIZE  9  /* 2 to 8 of A-Z 0-9 */
#define STORE_DESK_NAME_CHARS   40
#define STORE_DESK_NAME_SIZE    161
#define STORE_DESK_SEQ_MAX      9999 /* desks one office may ever have */
#define STORE_STAFF_ID_SIZE     16   /* "PSH-0042" */
#define STORE_STAFF_NAME_CHARS  64
#define STORE_STAFF_NAME_SIZE   257
#define STORE_STAFF_PIN_MIN     4
#define STORE_STAFF_PIN_MAX     8
#define STORE_STAFF_PIN_SIZE    9
#define STORE_STAFF_FAILURES    5   /* consecutive wrong PINs that lock, by default */
#define STORE_STAFF_HASH_SIZE   128 /* a stored PIN hash with its NUL (crypto_pwhash_STRBYTES) */

struct store_desk {
    char id[STORE_DESK_ID_SIZE];
    char office[STORE_DESK_OFFICE_SIZE];
    unsigned seq; /* the number after the dash */
    char name[STORE_DESK_NAME_SIZE];
    int64_t created_at;
    int64_t revoked_at; /* 0: not revoked */
};

struct store_staff {
    char id[STORE_STAFF_ID_SIZE];
    char office[STORE_DESK_OFFICE_SIZE];
    char name[STORE_STAFF_NAME_SIZE];
    unsigned failed_pins; /* consecutive wrong PINs */
    int locked;           /* 1: refused until office_staff_unlock() */
    int64_t created_at;
    int64_t updated_at;
    int64_t
        pin_version; /* counts PIN changes: a session holds only with the PIN it was made with */
};

/* Is code an office code (2 to 8 of A-Z 0-9)?  0 or -KP_ERR_INVAL.  Pure. */
int store_desk_office_valid(const char *code);

/*
 * Is name a valid desk name (max_chars 40) or staff name (64): valid UTF-8
 * of 1 to max_chars characters, no control characters (C0, DEL, C1), no
 * leading or trailing space?  0 or -KP_ERR_INVAL.  Pure.
 */
int store_desk_name_valid(const char *name, unsigned max_chars);

/*
 * Insert a desk row for office (which must exist in the directory) with
 * its token's keyed hash: its id is the office code, '-', and the next
 * number of that office (numbers are never reused, revoked desks keep
 * theirs).  name may be NULL ("Desk N").  The row only (office_desk_add
 * makes the token and writes the audit row).  Atomic.  0 (out filled),
 * -KP_ERR_NOTFOUND (no such office), -KP_ERR_INVAL (office or name),
 * -KP_ERR_LIMIT (STORE_DESK_SEQ_MAX reached), -KP_ERR_DB.
 */
int store_desk_insert(struct store *st, const char *office, const char *name,
                      const uint8_t hash[STORE_DESK_HASH_BYTES], int64_t now,
                      struct store_desk *out);

/* One desk by id.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_desk_get(struct store *st, const char *id, struct store_desk *out);

/*
 * The desks of office (NULL: all), in office and number order; *out is
 * malloc'd (NULL when none; free it).  Count or -KP_ERR_DB.
 */
int store_desk_list(struct store *st, const char *office, struct store_desk **out);

/*
 * Mark the unrevoked desk id revoked at now (the row stays, for the audit
 * trail) and end every session at it, atomically.  The rows only
 * (office_desk_revoke counts the change and writes the audit row).
 * 0, -KP_ERR_NOTFOUND (no such desk, or already revoked), -KP_ERR_DB.
 */
int store_desk_mark_revoked(struct store *st, const char *id, int64_t now);

/*
 * The desk whose stored token hash is hash (found by the index, compared
 * again with sodium_memcmp), revoked or not.  0 (out filled),
 * -KP_ERR_NOTFOUND, -KP_ERR_DB.
 */
int store_desk_by_hash(struct store *st, const uint8_t hash[STORE_DESK_HASH_BYTES],
                       struct store_desk *out);

/*
 * Is id a staff id: 2 to 8 of A-Z 0-9 starting with a letter, '-', 1 to 6
 * digits ("PSH-0042"), at most 9 digits in all (so that it never looks
 * like a phone number to the audit guard)?  0 or -KP_ERR_INVAL.  Pure.
 */
int store_staff_id_valid(const char *id);

/*
 * Is pin acceptable as a new PIN: 4 to 8 ASCII digits, not one digit
 * repeated ("0000") and not a straight run up or down ("1234", "98765"),
 * after NIST SP 800-63B §5.1.1.2's advice to refuse the values people
 * guess first?  0, -KP_ERR_INVAL (not 4 to 8 digits) or -KP_ERR_DENIED
 * (too easy to guess).  Pure.
 */
int store_staff_pin_valid(const char *pin);

/*
 * Insert staff member s (id, office, name) with PIN hash hash (made above
 * the store, office_staff_add), created and updated at now.  The row
 * only.  0, -KP_ERR_EXISTS (that id is taken), -KP_ERR_NOTFOUND (no such
 * office), -KP_ERR_DB.
 */
int store_staff_insert(struct store *st, const struct store_staff *s, const char *hash,
                       int64_t now);

/* One staff member by id.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_staff_get(struct store *st, const char *id, struct store_staff *out);

/*
 * One staff member by id with its stored PIN hash (hash: STORE_STAFF_HASH_SIZE).
 * 0, -KP_ERR_NOTFOUND or -KP_ERR_DB.
 */
int store_staff_get_hash(struct store *st, const char *id, struct store_staff *out,
                         char hash[STORE_STAFF_HASH_SIZE]);

/* The staff of office (NULL: all), by office then id; *out malloc'd.  Count or -KP_ERR_DB. */
int store_staff_list(struct store *st, const char *office, struct store_staff **out);

/*
 * The row writers below change one staff row and nothing else (no
 * session, no audit row, no change count: office.h's functions do those
 * in the same transaction).  Each returns 0, -KP_ERR_NOTFOUND (no row
 * changed) or -KP_ERR_DB.
 */

/* Lock (lock 1) or unlock (0, which also clears the count of wrong PINs); NOTFOUND if already so.
 */
int store_staff_set_locked(struct store *st, const char *id, int lock, int64_t now);

/* Replace the PIN hash, clear the count of wrong PINs, and count the PIN's version up. */
int store_staff_set_hash(struct store *st, const char *id, const char *hash, int64_t now);

/* Delete the row (past verifications and audit rows keep the id). */
int store_staff_delete(struct store *st, const char *id);

/* Count one more wrong PIN. */
int store_staff_failures_add(struct store *st, const char *id, int64_t now);

/* Set the count of wrong PINs back to 0. */
int store_staff_failures_clear(struct store *st, const char *id, int64_t now);

#endif
