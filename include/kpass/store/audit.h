/* SPDX-License-Identifier: ISC */
/*
 * The audit table (DESIGN.md §7): append-only rows, each naming the
 * previous row's hash and its own.  The keyed chain (how a row's hash is
 * made from the one before, and the walk that checks it) is the audit
 * layer's (kpass/audit/audit.h); the store keeps the rows: it inserts a
 * row whose hash was made above, inside the caller's write transaction
 * (which serialises appends), reads the head, walks the rows in id order
 * and lists them.  It holds no key and computes no hash.
 *
 * Each row holds: id (1, 2, 3, ... without gaps), time, event name
 * ("code.issued", "citizen.blocked", ...: [a-z]+(\.[a-z_]+)+), actor
 * ("kpass", "kpassd", "ussd:<partner>", "desk:<id>", "staff:<id>"), the
 * subject (the citizen's CNIC index from cnic_index(), so that every use
 * of one identity can be listed without the table holding the CNIC), a
 * short detail text, the previous row's hash and its own hash.
 *
 * Triggers refuse UPDATE and DELETE, and an INSERT that is not the next id.
 */
#ifndef KPASS_STORE_AUDIT_H
#define KPASS_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/store/store.h"

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
 * The audit layer lends its chain state (its key) to st, so that every
 * caller holding st can append through it; the store only keeps the
 * pointer (NULL: none) and never reads it.
 */
void store_audit_set_chain(struct store *st, const void *chain);
const void *store_audit_chain(const struct store *st);

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
 * The last row's id and hash, read inside the caller's write transaction
 * (the row to append next follows it).  An empty log gives id 0 and a zero
 * hash.  0, -KP_ERR_STATE (no transaction open) or -KP_ERR_DB.
 */
int store_audit_head(struct store *st, int64_t *id, uint8_t hash[STORE_AUDIT_HASH_BYTES]);

/*
 * Insert row r (id, at, event, actor, subject if has_subject, detail,
 * prev and hash all given: audit_append makes them) inside the caller's
 * open transaction, so that the row and the change it records commit
 * together.  r->id must be the head's id + 1 (a trigger refuses anything
 * else).  0, -KP_ERR_STATE (no transaction), -KP_ERR_INVAL /
 * -KP_ERR_DENIED (the checks above), -KP_ERR_DB.
 */
int store_audit_insert(struct store *st, const struct store_audit_row *r);

/* One row as SQLite holds it, for the chain walk: exactly these bytes are hashed. */
struct store_audit_raw {
    int64_t id, at;
    const void *event, *actor, *subject, *detail, *prev, *hash;
    size_t event_len, actor_len, subject_len, detail_len, prev_len, hash_len;
};

/* Called for each row in id order; non-zero stops the walk. */
typedef int (*store_audit_walk_fn)(void *ctx, const struct store_audit_raw *r);

/*
 * Hand every row to fn in id order, from one read snapshot (one
 * statement).  r's pointers are valid during the call only.  0 after the
 * last row, fn's non-zero return when it stopped the walk, or -KP_ERR_DB.
 */
int store_audit_walk(struct store *st, store_audit_walk_fn fn, void *ctx);

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
