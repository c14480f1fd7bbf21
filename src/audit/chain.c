/* SPDX-License-Identifier: ISC */
/*
 * The audit chain (see audit/audit.h): the canonical form of a row, its
 * keyed hash, appending a row after the head, and the walk that names the
 * first broken row.  The rows are the store's.
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"

#define AUDIT_HASH STORE_AUDIT_HASH_BYTES
/* prev || at || event || actor || subject || detail, each length-prefixed */
#define AUDIT_CANON_MAX                                                                            \
    (AUDIT_HASH + 8 + 2 + STORE_AUDIT_EVENT_MAX + 2 + STORE_AUDIT_ACTOR_MAX + 1 +                  \
     STORE_AUDIT_SUBJECT_BYTES + 2 + STORE_AUDIT_DETAIL_MAX)

/* BLAKE2b personalisation (RFC 7693 §2.5 parameter block): 16 octets. */
static const unsigned char audit_personal[crypto_generichash_blake2b_PERSONALBYTES] =
    "kpass-audit-v1";
static const char audit_genesis_text[] = "kpass-audit-genesis";

static const char *const audit_fault_texts[] = {
    [AUDIT_INTACT] = "intact",
    [AUDIT_FAULT_EDITED] = "edited: its content does not match its keyed hash",
    [AUDIT_FAULT_HASH] = "its stored hash was changed (the next row still chains to the original)",
    [AUDIT_FAULT_MISSING] = "rows before it are missing (deleted)",
    [AUDIT_FAULT_LINK] = ("does not chain to the row before it: a row was deleted (and the "
                          "rest renumbered) or inserted"),
    [AUDIT_FAULT_ORDER] = "out of order: rows were moved",
    [AUDIT_FAULT_KEY] = "the log was not written with this audit.key (wrong key folder?)",
};

const char *audit_fault_text(enum audit_fault fault)
{
    if ((unsigned)fault >= KP_ARRAY_LEN(audit_fault_texts))
        return "broken";
    return audit_fault_texts[fault];
}

void audit_use_key(struct store *st, const uint8_t key[AUDIT_KEY_BYTES])
{
    store_audit_set_chain(st, key);
}

int audit_ready(const struct store *st)
{
    return store_audit_chain(st) != NULL;
}

/* One row's hashed fields, as bytes (from the caller or straight from SQLite). */
struct audit_fields {
    int64_t at;
    const void *event, *actor, *subject, *detail;
    size_t event_len, actor_len, subject_len, detail_len;
};

static size_t audit_put(uint8_t *buf, size_t n, const void *p, size_t len)
{
    buf[n++] = (uint8_t)(len >> 8);
    buf[n++] = (uint8_t)len;
    if (len)
        memcpy(buf + n, p, len);
    return n + len;
}

/*
 * hash = BLAKE2b-256 keyed over prev || canonical(f).  -KP_ERR_TOOLONG when a
 * field does not fit the canonical form (only a tampered row can do that).
 */
static int audit_hash(const uint8_t *key, const uint8_t prev[AUDIT_HASH],
                      const struct audit_fields *f, uint8_t out[AUDIT_HASH])
{
    uint8_t buf[AUDIT_CANON_MAX];
    uint64_t at = (uint64_t)f->at;
    size_t n = 0;

    if (f->event_len > STORE_AUDIT_EVENT_MAX || f->actor_len > STORE_AUDIT_ACTOR_MAX ||
        f->detail_len > STORE_AUDIT_DETAIL_MAX ||
        (f->subject_len != 0 && f->subject_len != STORE_AUDIT_SUBJECT_BYTES))
        return -KP_ERR_TOOLONG;
    memcpy(buf, prev, AUDIT_HASH);
    n = AUDIT_HASH;
    for (int i = 7; i >= 0; i--)
        buf[n++] = (uint8_t)(at >> (8 * i));
    n = audit_put(buf, n, f->event, f->event_len);
    n = audit_put(buf, n, f->actor, f->actor_len);
    buf[n++] = (uint8_t)f->subject_len;
    if (f->subject_len)
        memcpy(buf + n, f->subject, f->subject_len);
    n += f->subject_len;
    n = audit_put(buf, n, f->detail, f->detail_len);
    crypto_generichash_blake2b_salt_personal(out, AUDIT_HASH, buf, n, key, AUDIT_KEY_BYTES, NULL,
                                             audit_personal);
    return 0;
}

/* The prev of row 1 under key: the keyed hash of the genesis text. */
static void audit_genesis(const uint8_t *key, uint8_t out[AUDIT_HASH])
{
    crypto_generichash_blake2b_salt_personal(
        out, AUDIT_HASH, (const unsigned char *)audit_genesis_text, sizeof(audit_genesis_text) - 1,
        key, AUDIT_KEY_BYTES, NULL, audit_personal);
}

int64_t audit_append(struct store *st, int64_t at, const char *event, const char *actor,
                     const uint8_t *subject, const char *detail)
{
    const uint8_t *key = store_audit_chain(st);
    struct store_audit_row r;
    struct audit_fields f;
    int64_t head;
    int rc;

    if (detail == NULL)
        detail = "";
    if (key == NULL)
        return -KP_ERR_STATE;
    /* The head first: without a transaction that is -KP_ERR_STATE, before the checks. */
    if ((rc = store_audit_head(st, &head, r.prev)) < 0)
        return rc;
    if ((rc = store_audit_event_check(event)) < 0 || (rc = store_audit_actor_check(actor)) < 0 ||
        (rc = store_audit_detail_check(detail)) < 0)
        return rc;
    if (head == 0)
        audit_genesis(key, r.prev);
    f = (struct audit_fields){at,
                              event,
                              actor,
                              subject,
                              detail,
                              strlen(event),
                              strlen(actor),
                              subject ? STORE_AUDIT_SUBJECT_BYTES : 0,
                              strlen(detail)};
    if ((rc = audit_hash(key, r.prev, &f, r.hash)) < 0)
        return rc;
    r.id = head + 1;
    r.at = at;
    memcpy(r.event, event, f.event_len + 1);
    memcpy(r.actor, actor, f.actor_len + 1);
    memcpy(r.detail, detail, f.detail_len + 1);
    r.has_subject = subject != NULL;
    if (subject)
        memcpy(r.subject, subject, STORE_AUDIT_SUBJECT_BYTES);
    if ((rc = store_audit_insert(st, &r)) < 0)
        return rc;
    return r.id;
}

/* What the walk keeps of a row: enough to judge it and the one before. */
struct audit_link {
    int64_t id;
    int self_ok; /* hash == H(prev || row) under our key */
    uint8_t computed[AUDIT_HASH];
    uint8_t prev[AUDIT_HASH];
    uint8_t hash[AUDIT_HASH];
};

static void audit_blob32(const void *p, size_t len, uint8_t out[AUDIT_HASH], int *ok)
{
    if (p != NULL && len == AUDIT_HASH) {
        memcpy(out, p, AUDIT_HASH);
    } else {
        memset(out, 0, AUDIT_HASH);
        *ok = 0;
    }
}

/* Hash exactly the bytes SQLite holds for row r. */
static void audit_link_read(const uint8_t *key, const struct store_audit_raw *r,
                            struct audit_link *l)
{
    struct audit_fields f = {r->at,        r->event,     r->actor,       r->subject,   r->detail,
                             r->event_len, r->actor_len, r->subject_len, r->detail_len};
    int ok = 1;

    l->id = r->id;
    audit_blob32(r->prev, r->prev_len, l->prev, &ok);
    audit_blob32(r->hash, r->hash_len, l->hash, &ok);
    if (audit_hash(key, l->prev, &f, l->computed) < 0)
        ok = 0;
    l->self_ok = ok && crypto_verify_32(l->computed, l->hash) == 0;
}

/* The walk's state: the row read last waits for the next one to be judged. */
struct audit_walk {
    const uint8_t *key;
    uint8_t genesis[AUDIT_HASH];
    struct audit_link cur;
    int have_cur;
    int64_t expect_id;
    uint8_t expect_prev[AUDIT_HASH];
    struct audit_report *rep;
};

/* Judge row r (next is the row after it, or NULL) against what the chain expects. */
static enum audit_fault audit_judge(const struct audit_walk *w, const struct audit_link *r,
                                    const struct audit_link *next, int64_t *other)
{
    if (r->id == 1 && !r->self_ok && memcmp(r->prev, w->genesis, AUDIT_HASH) != 0)
        return AUDIT_FAULT_KEY;
    if (!r->self_ok) {
        /* The content is intact when the next row chains to what we computed. */
        if (next != NULL && memcmp(next->prev, r->computed, AUDIT_HASH) == 0)
            return AUDIT_FAULT_HASH;
        return AUDIT_FAULT_EDITED;
    }
    if (r->id != w->expect_id) {
        *other = w->expect_id;
        return AUDIT_FAULT_MISSING;
    }
    if (memcmp(r->prev, w->expect_prev, AUDIT_HASH) != 0) {
        if (next != NULL && memcmp(next->prev, w->expect_prev, AUDIT_HASH) == 0) {
            *other = next->id;
            return AUDIT_FAULT_ORDER;
        }
        return AUDIT_FAULT_LINK;
    }
    return AUDIT_INTACT;
}

/* Judge the waiting row now that next (or the end: NULL) is known.  0 or -KP_ERR_CRYPTO. */
static int audit_walk_judge(struct audit_walk *w, const struct audit_link *next)
{
    struct audit_report *rep = w->rep;
    enum audit_fault fault = audit_judge(w, &w->cur, next, &rep->other_id);

    if (fault != AUDIT_INTACT) {
        rep->fault = fault;
        rep->bad_id = w->cur.id;
        return -KP_ERR_CRYPTO;
    }
    rep->rows++;
    rep->head_id = w->cur.id;
    memcpy(rep->head, w->cur.hash, AUDIT_HASH);
    w->expect_id = w->cur.id + 1;
    memcpy(w->expect_prev, w->cur.hash, AUDIT_HASH);
    return 0;
}

static int audit_walk_row(void *ctx, const struct store_audit_raw *r)
{
    struct audit_walk *w = ctx;
    struct audit_link next;
    int rc;

    audit_link_read(w->key, r, &next);
    if (w->have_cur && (rc = audit_walk_judge(w, &next)) < 0)
        return rc;
    w->cur = next;
    w->have_cur = 1;
    return 0;
}

int audit_verify(struct store *st, struct audit_report *rep)
{
    struct audit_walk w;
    int rc;

    memset(rep, 0, sizeof(*rep));
    memset(&w, 0, sizeof(w));
    if ((w.key = store_audit_chain(st)) == NULL)
        return -KP_ERR_STATE;
    audit_genesis(w.key, w.genesis);
    memcpy(w.expect_prev, w.genesis, AUDIT_HASH);
    w.expect_id = 1;
    w.rep = rep;
    if ((rc = store_audit_walk(st, audit_walk_row, &w)) != 0)
        return rc;
    return w.have_cur ? audit_walk_judge(&w, NULL) : 0;
}
