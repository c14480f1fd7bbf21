/* SPDX-License-Identifier: ISC */
/*
 * The audit chain (DESIGN.md §7): every row of the audit log is chained to
 * the one before by a keyed hash, so that an edit, a deleted row or a
 * reordering is found by audit_verify().  The rows themselves are the
 * store's (kpass/store/audit.h); this layer, above it, owns the key, makes
 * each row's hash when it is appended and walks the chain to check it, so
 * that the store holds no key (the seam a second storage backend plugs
 * into).
 *
 *   hash = BLAKE2b-256(key = audit.key, personal = "kpass-audit-v1",
 *                      prev || canonical(row))
 *   canonical(row) = be64(at) || be16(len) event || be16(len) actor
 *                    || u8(0 or 32) subject || be16(len) detail
 *
 * prev is the hash of the row before (for row 1: the keyed hash of the
 * text "kpass-audit-genesis", which also tells a wrong key from an edit).
 * The hash is keyed, so someone who can write to the database but cannot
 * read the key folder cannot recompute the chain after changing it.  The
 * id is not hashed: the chain fixes the order, and leaving the id out lets
 * verify tell a reordering from an edit.
 *
 * What the chain cannot see: rows cut off at the end (the newest rows,
 * or the whole table), since what remains is still a valid chain.
 * audit_verify() returns the head (last id and hash); record it elsewhere
 * (`kpass audit verify` prints it, `--head ID:HASH` checks a recorded head
 * is still there) to detect that.
 */
#ifndef KPASS_AUDIT_AUDIT_H
#define KPASS_AUDIT_AUDIT_H

#include <stdint.h>

#include "kpass/store/audit.h"
#include "kpass/store/store.h"

#define AUDIT_KEY_BYTES 32

/*
 * Use key (32 octets, keys/audit.key) for appending to and verifying st's
 * log.  st borrows it: it must stay valid until store_close() or the next
 * call.  Until a key is set, append and verify return -KP_ERR_STATE.
 */
void audit_use_key(struct store *st, const uint8_t key[AUDIT_KEY_BYTES]);

/* 1 if audit_use_key has given st a key (appends can be written), else 0. */
int audit_ready(const struct store *st);

/*
 * Append one row inside the caller's open transaction (store_tx_begin,
 * a scope or store_batch), so that the row and the change it records
 * commit together: read the head, make the row's hash from it, insert.
 * subject (32 octets) may be NULL; detail may be NULL (empty).  Returns
 * the new row's id, or -KP_ERR_STATE (no transaction or no key),
 * -KP_ERR_INVAL / -KP_ERR_DENIED (store_audit_event_check, _actor_check,
 * _detail_check), -KP_ERR_DB.
 */
int64_t audit_append(struct store *st, int64_t at, const char *event, const char *actor,
                     const uint8_t *subject, const char *detail);

/* Why verify stopped. */
enum audit_fault {
    AUDIT_INTACT = 0,
    AUDIT_FAULT_EDITED,  /* the row's content does not match its hash */
    AUDIT_FAULT_HASH,    /* the row's hash was changed (the next row still names the old one) */
    AUDIT_FAULT_MISSING, /* rows other_id .. bad_id - 1 are gone (ids skip) */
    AUDIT_FAULT_LINK,    /* the row does not follow the one before: a row was deleted
                            (and the rest renumbered) or inserted */
    AUDIT_FAULT_ORDER,   /* rows out of order: row other_id belongs before bad_id */
    AUDIT_FAULT_KEY,     /* row 1 does not start this key's chain: wrong audit.key */
};

struct audit_report {
    int64_t rows;    /* rows checked */
    int64_t head_id; /* the last row (0: empty log) */
    uint8_t head[STORE_AUDIT_HASH_BYTES];
    enum audit_fault fault;
    int64_t bad_id;   /* the first broken row */
    int64_t other_id; /* MISSING: first missing id; ORDER: the row that belongs before */
};

/* A short English reason for fault ("edited: ..."); never NULL. */
const char *audit_fault_text(enum audit_fault fault);

/*
 * Walk the whole chain in id order (one read snapshot).  Returns 0 when
 * intact (rep says how many rows and the head), -KP_ERR_CRYPTO when broken
 * (rep names the first broken row and why), -KP_ERR_STATE (no key) or
 * -KP_ERR_DB.
 */
int audit_verify(struct store *st, struct audit_report *rep);

#endif
