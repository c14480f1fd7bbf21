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

/* A number's language as msisdn_lang has it, remembered (lang "": none). */
struct ussd_lang_memo {
    char msisdn[sizeof(((struct store_dialog *)0)->msisdn)];
    char lang[STORE_LANG_SIZE];
};

/* The one dialog a number can have at a partner in the database (below). */
struct ussd_sole {
    int64_t partner_id;
    char msisdn[sizeof(((struct store_dialog *)0)->msisdn)];
    char key[sizeof(((struct store_dialog *)0)->key)];
};

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
    /* Direct-mapped, USSD_MEMO_SLOTS each (a collision forgets the older):
       what a dial would otherwise read by number. */
    struct ussd_lang_memo *langs;
    struct ussd_sole *soles;
    /* store_shared(): other nodes write dialogs too, so only the pass's own
       writes are held (until they are written) and the memos are off. */
    int shared;
};

/* What the cache knows of a dialog. */
enum ussd_cache_found {
    USSD_CACHE_UNKNOWN, /* not held: ask the database */
    USSD_CACHE_HELD,    /* *out is the dialog as it stands */
    USSD_CACHE_GONE,    /* deleted in this pass: there is no such dialog */
};

/* Hold at most max dialogs (0: 16384) for st; registers the before-commit
   hook.  st may be NULL (kpassd -t): nothing is ever held then.  On a
   shared store only the pass's pending writes are held, and no memo. */
void ussd_cache_init(struct ussd_cache *c, struct store *st, unsigned max);
/* Write what is pending (into the open transaction), then free everything. */
void ussd_cache_free(struct ussd_cache *c);
/* Forget everything held, pending writes and memos included, writing
   nothing: the pass that wrote them was not committed (the database went
   away), so the database, read again at the next miss, is the truth. */
void ussd_cache_drop(struct ussd_cache *c);
/* Look a dialog up; *out (HELD) borrows the entry's state until the next call. */
enum ussd_cache_found ussd_cache_find(struct ussd_cache *c, int64_t partner_id, const char *key,
                                      struct store_dialog *out);
/* Hold d as the database has it (read after a miss). */
void ussd_cache_load(struct ussd_cache *c, const struct store_dialog *d);
/* d (state copied) is to be written before the pass commits. */
void ussd_cache_put(struct ussd_cache *c, const struct store_dialog *d);
/* (partner_id, key) is to be deleted before the pass commits. */
void ussd_cache_delete(struct ussd_cache *c, int64_t partner_id, const char *key);
/* Every dialog of msisdn at partner_id held is let go, pending writes too:
   the caller deletes the number's rows (store_dialog_forget) in this pass. */
void ussd_cache_forget(struct ussd_cache *c, int64_t partner_id, const char *msisdn);
/* True when a pending write concerns msisdn (a read by msisdn must flush first). */
int ussd_cache_pending_msisdn(const struct ussd_cache *c, int64_t partner_id, const char *msisdn);
/*
 * The language remembered for msisdn (msisdn_lang, which only this process
 * writes): 1 and lang ("" when the number has none), or 0 when not known
 * (always on a shared store, where other nodes write it too).
 */
int ussd_cache_lang(struct ussd_cache *c, const char *msisdn, char lang[STORE_LANG_SIZE]);
/* Remember msisdn's language as read or written ("": it has none). */
void ussd_cache_lang_set(struct ussd_cache *c, const char *msisdn, const char *lang);

/*
 * The key of the only dialog msisdn may have at partner_id in the database
 * (pending writes counted), or NULL when that is not known.  A dial that
 * deleted the number's other dialogs says so (ussd_cache_sole_set); a write
 * of one of its dialogs under another key, or a read of one, unsays it.
 * Only this process writes dialogs, so the knowledge holds while it runs;
 * a restart starts without it and asks the database.  On a shared store
 * it is never known (NULL): other nodes write the number's dialogs too.
 */
const char *ussd_cache_sole(struct ussd_cache *c, int64_t partner_id, const char *msisdn);
void ussd_cache_sole_set(struct ussd_cache *c, int64_t partner_id, const char *msisdn,
                         const char *key);
/* Not known any more. */
void ussd_cache_sole_drop(struct ussd_cache *c, int64_t partner_id, const char *msisdn);

/* Write what is pending: a few multi-row statements.  0 or -KP_ERR_DB.
   Also the store's before-commit hook (arg: the cache). */
int ussd_cache_flush(void *arg);
/* Forget clean dialogs not updated since before (the database reaps them). */
void ussd_cache_reap(struct ussd_cache *c, int64_t before);

#endif
