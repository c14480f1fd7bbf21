/* SPDX-License-Identifier: ISC */
/*
 * The audit log (DESIGN.md §7): an append-only table in which every use
 * of an identity and every change to the registry and to partners leaves
 * one row, chained so that an edit, a deleted row or a reordering is found
 * by store_audit_verify().
 *
 * Each row holds: id (1, 2, 3, ... without gaps), time, event name
 * ("code.issued", "citizen.blocked", ...: [a-z]+(\.[a-z_]+)+), actor
 * ("kpass", "kpassd", "ussd:<partner>", "desk:<id>", "staff:<id>"), the
 * subject (the citizen's CNIC index from cnic_index(), so that every use
 * of one identity can be listed without the table holding the CNIC), a
 * short detail text, the previous row's hash and its own hash:
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
 * store_audit_verify() returns the head (last id and hash); record it
 * elsewhere (`kpass audit verify` prints it, `--head ID:HASH` checks a
 * recorded head is still there) to detect that.
 *
 * Triggers refuse UPDATE and DELETE, and an INSERT that is not the next id.
 */
#ifndef KPASS_STORE_AUDIT_H
#define KPASS_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/store/store.h"

#define STORE_AUDIT_KEY_BYTES     32
#define STORE_AUDIT_HASH_BYTES    32
#define STORE_AUDIT_SUBJECT_BYTES 32 /* CNIC_INDEX_BYTES */
#define STORE_AUDIT_EVENT_MAX     48 /* octets */
#define STORE_AUDIT_ACTOR_MAX     48
#define STORE_AUDIT_DETAIL_MAX    200

struct store_audit_row {
    int64_t id;
    int64_t at; /* Unix seconds */
    char event[STORE_AUDIT_EVENT_MAX + 1];
    char actor[STORE_AUDIT_ACTOR_MAX + 1];
    int has_subject;
    uint8_t subject[STORE_AUDIT_SUBJECT_BYTES];
    char detail[STORE_AUDIT_DETAIL_MAX + 1];
    uint8_t prev[STORE_AUDIT_HASH_BYTES];
    uint8_t hash[STORE_AUDIT_HASH_BYTES];
};

/*
 * Use key (32 octets, keys/audit.key) for appending and verifying.  The
 * store borrows it: it must stay valid until store_close() or the next
 * call.  Until a key is set, append and verify return -KP_ERR_STATE.
 */
void store_audit_use_key(struct store *st, const uint8_t key[STORE_AUDIT_KEY_BYTES]);

/* 1 if store_audit_use_key has given st a key (appends can be written), else 0. */
int store_audit_ready(const struct store *st);

/*
 * Is event a valid event name ([a-z]+(\.[a-z_]+)+, at most 48 octets)?
 * 0 or -KP_ERR_INVAL.
 */
int store_audit_event_check(const char *event);

/*
 * Is actor valid: a lower-case word ("kpass", "kpassd"), optionally
 * followed by ':' and 1 to 40 printable ASCII characters without spaces
 * ("ussd:jazz", "desk:7")?  It must also pass the detail guard below.
 * 0 or -KP_ERR_INVAL / -KP_ERR_DENIED.
 */
int store_audit_actor_check(const char *actor);

/*
 * The guard on detail texts: the audit log must never hold a one-time
 * code, a full CNIC or a full MSISDN, only their masked forms
 * ("*****-****567-1", "+92300****567").  Refused (-KP_ERR_DENIED):
 *   - a run of 10 or more digits, counting digits separated by single
 *     spaces or dashes as one run ("35202-1234567-1", "0300 1234567",
 *     "3001234567", 13 consecutive digits);
 *   - '+' followed by 8 or more digits (a full E.164 number, ITU-T E.164
 *     §6.1: 8 to 15 digits).
 * Also refused (-KP_ERR_INVAL): control characters, more than 200 octets.
 * The empty text is allowed.  A one-time code (6 digits) cannot be told
 * from any other 6-digit number, such as a line number in an import, so
 * the guard does not try: callers must never pass one.  Times belong in
 * the row's time, not in the detail (a date and time written with
 * spaces, "2025-01-31 10:00", joins into a refused run).
 */
int store_audit_detail_check(const char *detail);

/*
 * Append one row inside the caller's open transaction (store_tx_begin or
 * store_batch), so that the row and the change it records commit
 * together.  subject (32 octets) may be NULL; detail may be NULL (empty).
 * Returns the new row's id, or -KP_ERR_STATE (no transaction or no key),
 * -KP_ERR_INVAL / -KP_ERR_DENIED (see the checks above), -KP_ERR_DB.
 */
int64_t store_audit_append(struct store *st, int64_t at, const char *event, const char *actor,
                           const uint8_t *subject, const char *detail);

/* Why verify stopped. */
enum store_audit_fault {
    STORE_AUDIT_OK = 0,
    STORE_AUDIT_EDITED,  /* the row's content does not match its hash */
    STORE_AUDIT_HASH,    /* the row's hash was changed (the next row still names the old one) */
    STORE_AUDIT_MISSING, /* rows other_id .. bad_id - 1 are gone (ids skip) */
    STORE_AUDIT_LINK,    /* the row does not follow the one before: a row was deleted
                            (and the rest renumbered) or inserted */
    STORE_AUDIT_ORDER,   /* rows out of order: row other_id belongs before bad_id */
    STORE_AUDIT_KEY,     /* row 1 does not start this key's chain: wrong audit.key */
};

struct store_audit_report {
    int64_t rows;    /* rows checked */
    int64_t head_id; /* the last row (0: empty log) */
    uint8_t head[STORE_AUDIT_HASH_BYTES];
    enum store_audit_fault fault;
    int64_t bad_id;   /* the first broken row */
    int64_t other_id; /* MISSING: first missing id; ORDER: the row that belongs before */
};

/* A short English reason for fault ("content edited: ..."); never NULL. */
const char *store_audit_fault_text(enum store_audit_fault fault);

/*
 * Walk the whole chain in id order (one read snapshot).  Returns 0 when
 * intact (rep says how many rows and the head), -KP_ERR_CRYPTO when broken
 * (rep names the first broken row and why), -KP_ERR_STATE (no key) or
 * -KP_ERR_DB.
 */
int store_audit_verify(struct store *st, struct store_audit_report *rep);

/* One row by id.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_audit_get(struct store *st, int64_t id, struct store_audit_row *out);

struct store_audit_filter {
    const uint8_t *subject; /* a CNIC index (32 octets), or NULL for any */
    const char *event;      /* an exact event name, or NULL for any */
    int64_t since;          /* rows at or after this time; 0 for any */
    int64_t before_id;      /* rows with a smaller id (paging back); 0 for the newest */
    unsigned limit;         /* at most this many (1..10000) */
};

/*
 * The newest rows matching f, newest first.  *out is malloc'd (free it;
 * NULL when none).  Returns the count, -KP_ERR_INVAL (bad limit) or
 * -KP_ERR_DB.
 */
int store_audit_list(struct store *st, const struct store_audit_filter *f,
                     struct store_audit_row **out);

#endif
