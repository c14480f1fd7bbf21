/* SPDX-License-Identifier: ISC */
/*
 * The dialogs the event loop holds.  A dialog's state is needed again at
 * its next hop, a few seconds later, on the same process, which is the
 * only writer of the dialog table (one daemon per database): reading it
 * back from SQLite on every hop, and writing it with one statement per hop,
 * were most of kpassd's SQL (doc/PERFORMANCE.md, issue 14).  Here dialogs
 * written in a pass are held in memory and written together, in a few
 * multi-row statements, from the store's before-commit hook: inside the
 * pass's group transaction, so that the commit that precedes the pass's
 * replies (kpassd.c) still carries every dialog they show.  Nothing
 * acknowledged is less durable than before; only reads go away.
 *
 * Clean entries are copies of rows; the cache is bounded (least recently
 * used clean entries go first) and a miss reads the database, so a
 * restart, or a dialog from before it, only costs a read.
 *
 * On a node of a cluster ([store] nodes = several) the gateway may send the
 * next hop to another node, so this process is no longer the dialogs' only
 * writer: nothing is held across passes.  The cache keeps only the pass's
 * own writes (still written together from the hook, then let go), every
 * hop reads its dialog from the database, and the memos by number below
 * are off (doc/cluster.md 5.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/backend.h"
#include "dialog_cache.h"

/* About 400 octets an entry with its state: 6 MB at most.  Dialogs beyond
   it are still served, from the database. */
#define USSD_CACHE_MAX 16384

/* Slots of each memo by number (languages, sole dialogs): 1.5 MB, touched
   as numbers come. */
#define USSD_MEMO_SLOTS 16384

/* FNV-1a over the partner and the key. */
static unsigned cache_hash(int64_t partner_id, const char *key)
{
    uint32_t h = 2166136261u ^ (uint32_t)partner_id;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static struct ussd_held **cache_slot(struct ussd_cache *c, int64_t partner_id, const char *key)
{
    struct ussd_held **pp = &c->bucket[cache_hash(partner_id, key) & (c->nbucket - 1)];

    while (*pp && ((*pp)->d.partner_id != partner_id || strcmp((*pp)->d.key, key) != 0))
        pp = &(*pp)->next;
    return pp;
}

void ussd_cache_init(struct ussd_cache *c, struct store *st, unsigned max)
{
    memset(c, 0, sizeof(*c));
    c->st = st;
    c->max = max ? max : USSD_CACHE_MAX;
    c->nbucket = 1024;
    while (c->nbucket < c->max)
        c->nbucket <<= 1;
    c->bucket = kp_calloc(c->nbucket, sizeof(*c->bucket));
    TAILQ_INIT(&c->lru);
    TAILQ_INIT(&c->pending);
    if (st == NULL) /* kpassd -t builds the service without a database */
        return;
    store_before_commit(st, ussd_cache_flush, c);
    if ((c->shared = store_shared(st)) != 0)
        return; /* no memo by number: another node may change what it says */
    c->langs = kp_calloc(USSD_MEMO_SLOTS, sizeof(*c->langs));
    c->soles = kp_calloc(USSD_MEMO_SLOTS, sizeof(*c->soles));
}

static void cache_remove(struct ussd_cache *c, struct ussd_held *h)
{
    struct ussd_held **pp = cache_slot(c, h->d.partner_id, h->d.key);

    *pp = h->next;
    TAILQ_REMOVE(&c->lru, h, lru);
    if (h->what != USSD_HELD_CLEAN) {
        TAILQ_REMOVE(&c->pending, h, pending);
        c->npending--;
    }
    c->count--;
    kp_buf_free(&h->state);
    free(h);
}

void ussd_cache_free(struct ussd_cache *c)
{
    struct ussd_held *h;

    if (c->bucket == NULL)
        return;
    if (c->st) {
        ussd_cache_flush(c);
        store_before_commit(c->st, NULL, NULL);
    }
    while ((h = TAILQ_FIRST(&c->lru)) != NULL)
        cache_remove(c, h);
    free(c->bucket);
    free(c->rows);
    free(c->langs);
    free(c->soles);
    memset(c, 0, sizeof(*c));
}

void ussd_cache_drop(struct ussd_cache *c)
{
    struct ussd_held *h;

    if (c->bucket == NULL)
        return;
    while ((h = TAILQ_FIRST(&c->lru)) != NULL)
        cache_remove(c, h);
    if (c->langs)
        memset(c->langs, 0, USSD_MEMO_SLOTS * sizeof(*c->langs));
    if (c->soles)
        memset(c->soles, 0, USSD_MEMO_SLOTS * sizeof(*c->soles));
}

enum ussd_cache_found ussd_cache_find(struct ussd_cache *c, int64_t partner_id, const char *key,
                                      struct store_dialog *out)
{
    struct ussd_held *h = *cache_slot(c, partner_id, key);

    if (h == NULL) {
        c->misses++;
        return USSD_CACHE_UNKNOWN;
    }
    c->hits++;
    if (h->what == USSD_HELD_DELETE)
        return USSD_CACHE_GONE;
    TAILQ_REMOVE(&c->lru, h, lru);
    TAILQ_INSERT_TAIL(&c->lru, h, lru);
    *out = h->d;
    return USSD_CACHE_HELD;
}

/* Make room for one more: the least recently used clean entries go. */
static void cache_room(struct ussd_cache *c)
{
    struct ussd_held *h, *next;

    if (c->count < c->max)
        return;
    if (c->npending >= c->max / 2)
        ussd_cache_flush(c); /* a pass of more hops than half the cache */
    for (h = TAILQ_FIRST(&c->lru); h && c->count >= c->max; h = next) {
        next = TAILQ_NEXT(h, lru);
        if (h->what == USSD_HELD_CLEAN)
            cache_remove(c, h);
    }
}

/* The entry for (partner_id, key), made when missing; most recently used. */
static struct ussd_held *cache_entry(struct ussd_cache *c, int64_t partner_id, const char *key)
{
    struct ussd_held **pp = cache_slot(c, partner_id, key), *h = *pp;

    if (h) {
        TAILQ_REMOVE(&c->lru, h, lru);
        TAILQ_INSERT_TAIL(&c->lru, h, lru);
        return h;
    }
    cache_room(c);
    pp = cache_slot(c, partner_id, key); /* room may have changed the chain */
    h = kp_calloc(1, sizeof(*h));
    h->d.partner_id = partner_id;
    snprintf(h->d.key, sizeof(h->d.key), "%s", key);
    h->next = *pp;
    *pp = h;
    TAILQ_INSERT_TAIL(&c->lru, h, lru);
    c->count++;
    return h;
}

/* Copy d (its state too) into h. */
static void cache_copy(struct ussd_held *h, const struct store_dialog *d)
{
    kp_buf_reset(&h->state);
    kp_buf_append(&h->state, d->state, d->state_len);
    h->d = *d;
    h->d.state = (const uint8_t *)h->state.data;
    h->d.state_len = h->state.len;
}

static void cache_mark(struct ussd_cache *c, struct ussd_held *h, enum ussd_held_pending what)
{
    if (h->what == USSD_HELD_CLEAN) {
        TAILQ_INSERT_TAIL(&c->pending, h, pending);
        c->npending++;
    }
    h->what = what;
}

/* The sole-dialog slot of (partner_id, msisdn), whoever's it holds. */
static struct ussd_sole *sole_slot(struct ussd_cache *c, int64_t partner_id, const char *msisdn)
{
    return &c->soles[cache_hash(partner_id, msisdn) & (USSD_MEMO_SLOTS - 1)];
}

/* The slot of (partner_id, msisdn) when it is theirs, else NULL. */
static struct ussd_sole *sole_find(struct ussd_cache *c, int64_t partner_id, const char *msisdn)
{
    struct ussd_sole *s;

    if (c->soles == NULL || msisdn[0] == '\0')
        return NULL;
    s = sole_slot(c, partner_id, msisdn);
    return s->partner_id == partner_id && strcmp(s->msisdn, msisdn) == 0 ? s : NULL;
}

/* d is, or is to be, in the database: the number may now have another dialog. */
static void sole_check(struct ussd_cache *c, const struct store_dialog *d)
{
    struct ussd_sole *s = sole_find(c, d->partner_id, d->msisdn);

    if (s && strcmp(s->key, d->key) != 0)
        s->msisdn[0] = '\0';
}

const char *ussd_cache_sole(struct ussd_cache *c, int64_t partner_id, const char *msisdn)
{
    struct ussd_sole *s = sole_find(c, partner_id, msisdn);

    return s ? s->key : NULL;
}

void ussd_cache_sole_set(struct ussd_cache *c, int64_t partner_id, const char *msisdn,
                         const char *key)
{
    struct ussd_sole *s;

    if (c->soles == NULL || strlen(msisdn) >= sizeof(s->msisdn) || strlen(key) >= sizeof(s->key))
        return;
    s = sole_slot(c, partner_id, msisdn);
    s->partner_id = partner_id;
    memcpy(s->msisdn, msisdn, strlen(msisdn) + 1);
    memcpy(s->key, key, strlen(key) + 1);
}

void ussd_cache_sole_drop(struct ussd_cache *c, int64_t partner_id, const char *msisdn)
{
    struct ussd_sole *s = sole_find(c, partner_id, msisdn);

    if (s)
        s->msisdn[0] = '\0';
}

static struct ussd_lang_memo *lang_slot(struct ussd_cache *c, const char *msisdn)
{
    return &c->langs[cache_hash(0, msisdn) & (USSD_MEMO_SLOTS - 1)];
}

int ussd_cache_lang(struct ussd_cache *c, const char *msisdn, char lang[STORE_LANG_SIZE])
{
    struct ussd_lang_memo *m;

    if (c->langs == NULL || msisdn[0] == '\0')
        return 0;
    m = lang_slot(c, msisdn);
    if (strcmp(m->msisdn, msisdn) != 0)
        return 0;
    memcpy(lang, m->lang, STORE_LANG_SIZE);
    return 1;
}

void ussd_cache_lang_set(struct ussd_cache *c, const char *msisdn, const char *lang)
{
    struct ussd_lang_memo *m;

    if (c->langs == NULL || strlen(msisdn) >= sizeof(m->msisdn) || strlen(lang) >= sizeof(m->lang))
        return;
    m = lang_slot(c, msisdn);
    memcpy(m->msisdn, msisdn, strlen(msisdn) + 1);
    memcpy(m->lang, lang, strlen(lang) + 1);
}

void ussd_cache_load(struct ussd_cache *c, const struct store_dialog *d)
{
    struct ussd_held *h;

    if (c->shared)
        return; /* the next hop may change it on another node: read it again */
    h = cache_entry(c, d->partner_id, d->key);
    sole_check(c, d);
    if (h->what == USSD_HELD_CLEAN)
        cache_copy(h, d);
}

void ussd_cache_put(struct ussd_cache *c, const struct store_dialog *d)
{
    struct ussd_held *h = cache_entry(c, d->partner_id, d->key);

    sole_check(c, d);
    cache_copy(h, d);
    cache_mark(c, h, USSD_HELD_PUT);
}

void ussd_cache_delete(struct ussd_cache *c, int64_t partner_id, const char *key)
{
    struct ussd_held *h = cache_entry(c, partner_id, key);

    cache_mark(c, h, USSD_HELD_DELETE);
}

void ussd_cache_forget(struct ussd_cache *c, int64_t partner_id, const char *msisdn)
{
    struct ussd_held *h, *next;

    /* Let go rather than marked for deletion: the caller's one DELETE by
       number takes their rows, and a pending write must not bring one back. */
    for (h = TAILQ_FIRST(&c->lru); h; h = next) {
        next = TAILQ_NEXT(h, lru);
        if (h->d.partner_id == partner_id && strcmp(h->d.msisdn, msisdn) == 0)
            cache_remove(c, h);
    }
}

int ussd_cache_pending_msisdn(const struct ussd_cache *c, int64_t partner_id, const char *msisdn)
{
    const struct ussd_held *h;

    /* A deletion of a dialog never held (msisdn unknown) may be anyone's. */
    TAILQ_FOREACH(h, &c->pending, pending)
    if (h->d.partner_id == partner_id &&
        (h->d.msisdn[0] == '\0' || strcmp(h->d.msisdn, msisdn) == 0))
        return 1;
    return 0;
}

int ussd_cache_flush(void *arg)
{
    struct ussd_cache *c = arg;
    struct ussd_held *h, *next;
    size_t n = 0, del;
    int rc = 0;

    if (c->npending == 0)
        return 0;
    if (c->cap < c->npending) {
        c->cap = c->npending * 2;
        c->rows = kp_realloc(c->rows, c->cap * sizeof(*c->rows));
    }
    /* Rows to write from the front of rows, keys to delete from the back. */
    del = c->npending;
    TAILQ_FOREACH(h, &c->pending, pending)
    {
        if (h->what == USSD_HELD_PUT)
            c->rows[n++] = &h->d;
        else
            c->rows[--del] = &h->d;
    }
    if (del < c->npending && store_dialog_delete_many(c->st, c->rows + del, c->npending - del) < 0)
        rc = -KP_ERR_DB;
    if (n > 0 && store_dialog_put_many(c->st, c->rows, n) < 0)
        rc = -KP_ERR_DB;
    c->flushes++;
    /* Written (or the transaction fails and kpassd stops): clean now. */
    for (h = TAILQ_FIRST(&c->pending); h; h = next) {
        next = TAILQ_NEXT(h, pending);
        if (h->what == USSD_HELD_DELETE) {
            struct ussd_sole *so = sole_find(c, h->d.partner_id, h->d.msisdn);
            if (so && strcmp(so->key, h->d.key) == 0)
                so->key[0] = '\0'; /* the number has no dialog left */
            cache_remove(c, h);
            continue;
        }
        TAILQ_REMOVE(&c->pending, h, pending);
        c->npending--;
        h->what = USSD_HELD_CLEAN;
        if (c->shared)
            cache_remove(c, h); /* the pass's commit is the last it is sure of */
    }
    return rc;
}

void ussd_cache_reap(struct ussd_cache *c, int64_t before)
{
    struct ussd_held *h, *next;

    for (h = TAILQ_FIRST(&c->lru); h; h = next) {
        next = TAILQ_NEXT(h, lru);
        if (h->what == USSD_HELD_CLEAN && h->d.updated_at < before)
            cache_remove(c, h);
    }
}
