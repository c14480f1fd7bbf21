/* SPDX-License-Identifier: ISC */
/*
 * Private to src/ussd/: the dialogs the event loop holds (dialog_cache.c).
 */
#ifndef KPASS_USSD_DIALOG_CACHE_H
#define KPASS_USSD_DIALOG_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "kpass/core/buf.h"
#include "kpass/store/dialog.h"

enum ussd_held_pending {
    USSD_HELD_CLEAN,  /* as in the database */
    USSD_HELD_PUT,    /* to be written before the pass commits */
    USSD_HELD_DELETE, /* to be deleted before the pass commits */
};

struct ussd_held {
    TAILQ_ENTRY(ussd_held) lru;     /* every entry, least recently used first */
    TAILQ_ENTRY(ussd_held) pending; /* entries with something to write */
    struct ussd_held *next;         /* hash chain */
    struct store_dialog d;          /* d.state points into state */
    struct kp_buf state;
    enum ussd_held_pending what;
};

TAILQ_HEAD(ussd_held_list, ussd_held);

struct ussd_cache {
    struct store *st;
    struct ussd_held **bucket;
    unsigned nbucket; /* power of two */
    unsigned count, max;
    struct ussd_held_list lru, pending;
    unsigned npending;
    const struct store_dialog **rows; /* scratch for store_dialog_put_many */
    size_t cap;
    uint64_t hits, misses, flushes; /* for doc/PERFORMANCE.md */
};

/* What the cache knows of a dialog. */
enum ussd_cache_found {
    USSD_CACHE_UNKNOWN, /* not held: ask the database */
    USSD_CACHE_HELD,    /* *out is the dialog as it stands */
    USSD_CACHE_GONE,    /* deleted in this pass: there is no such dialog */
};

/* Hold at most max dialogs (0: 16384) for st; registers the before-commit
   hook.  st may be NULL (kpassd -t): nothing is ever held then. */
void ussd_cache_init(struct ussd_cache *c, struct store *st, unsigned max);
/* Write what is pending (into the open transaction), then free everything. */
void ussd_cache_free(struct ussd_cache *c);
/* Look a dialog up; *out (HELD) borrows the entry's state until the next call. */
enum ussd_cache_found ussd_cache_find(struct ussd_cache *c, int64_t partner_id, const char *key,
                                      struct store_dialog *out);
/* Hold d as the database has it (read after a miss). */
void ussd_cache_load(struct ussd_cache *c, const struct store_dialog *d);
/* d (state copied) is to be written before the pass commits. */
void ussd_cache_put(struct ussd_cache *c, const struct store_dialog *d);
/* (partner_id, key) is to be deleted before the pass commits. */
void ussd_cache_delete(struct ussd_cache *c, int64_t partner_id, const char *key);
/* Every dialog of msisdn at partner_id held is to be deleted before the pass
   commits (a new dial supersedes them; store_dialog_forget takes the rest). */
void ussd_cache_forget(struct ussd_cache *c, int64_t partner_id, const char *msisdn);
/* True when a pending write concerns msisdn (a read by msisdn must flush first). */
int ussd_cache_pending_msisdn(const struct ussd_cache *c, int64_t partner_id, const char *msisdn);
/* Write what is pending: a few multi-row statements.  0 or -KP_ERR_DB.
   Also the store's before-commit hook (arg: the cache). */
int ussd_cache_flush(void *arg);
/* Forget clean dialogs not updated since before (the database reaps them). */
void ussd_cache_reap(struct ussd_cache *c, int64_t before);

#endif
