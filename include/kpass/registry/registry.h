/* SPDX-License-Identifier: ISC */
/*
 * The citizen registry above the store: the CNIC key and what is made
 * with it, so that the store keeps rows and never sees a CNIC or a key
 * (the seam a second storage backend plugs into).  For each citizen:
 *   - the index: keyed BLAKE2b-256 of the 13 digits (cnic_index(), key
 *     keys/cnic.key); every lookup by CNIC goes through it;
 *   - the box: nonce || crypto_secretbox(13 digits) under a key derived
 *     from cnic.key with crypto_kdf (context "kpcnicbx", subkey 1), so
 *     that no primitive uses the raw key twice.  A dedicated key file
 *     would not add protection: whoever holds cnic.key can already recover
 *     any CNIC from its index by trying the ~10^12 candidates, so the two
 *     secrets fall together.  The box exists so that the full number can
 *     be recovered for a legitimate need (registry_citizen_cnic) without
 *     the database alone ever revealing it;
 *   - the last 4 digits, in clear.
 * Every change to a citizen goes through here: each is atomic (inside the
 * caller's transaction a savepoint, else a transaction of its own; in the
 * store's bulk mode neither, store_bulk) and appends its audit row in the
 * same scope: citizen.added, citizen.imported, citizen.changed,
 * citizen.blocked, citizen.unblocked, citizen.deceased, citizen.linked,
 * citizen.unlinked, the subject being the CNIC index.  Before any change:
 * audit_use_key().  The rows and the reads are store/citizen.h's.
 *
 * Why a module of its own and not id/: id holds the pure rules (cnic.c
 * computes the index) and sits below the store, so it must not call it;
 * this layer needs both the key and the rows, and is where a second
 * storage backend plugs in underneath without repeating any crypto.
 */
#ifndef KPASS_REGISTRY_H
#define KPASS_REGISTRY_H

#include <stdint.h>

#include "kpass/id/cnic.h"
#include "kpass/store/store.h"
#include "kpass/store/citizen.h"

struct registry;

/* A registry over st (borrowed), with no key yet.  Never NULL. */
struct registry *registry_new(struct store *st);
/* Free r and wipe its derived key; registry_free(NULL) is a no-op. */
void registry_free(struct registry *r);

/*
 * Use cnic_key (keys/cnic.key, 32 octets) for the index and, through a
 * derived key kept in sodium_malloc() memory until registry_free(), the
 * box.  r borrows cnic_key until registry_free() or the next call.
 * 0 or -KP_ERR_NOMEM.
 */
int registry_use_key(struct registry *r, const uint8_t cnic_key[CNIC_KEY_BYTES]);

/*
 * Add a citizen with the normalised CNIC cnic and c's names, district and
 * status (store_citizen_check): index, box and last4 made here; on
 * success c->id and the times are filled in.  Audit: citizen.added.  0,
 * -KP_ERR_EXISTS (that CNIC is registered), -KP_ERR_INVAL, -KP_ERR_STATE
 * (no CNIC key or no audit key), -KP_ERR_DB.
 */
int registry_citizen_add(struct registry *r, const char *cnic, struct store_citizen *c,
                         const char *actor, int64_t now);

/* The citizen with normalised CNIC cnic (through its index).  0,
   -KP_ERR_NOTFOUND, -KP_ERR_INVAL (not a CNIC), -KP_ERR_STATE (no key),
   -KP_ERR_DB. */
int registry_citizen_get(struct registry *r, const char *cnic, struct store_citizen *out);

/*
 * Decrypt citizen id's CNIC into out (13 digits, NUL; the caller wipes
 * it).  Only for a need that the masked form cannot meet; never print it.
 * The plaintext must match the row's index, so a box moved from another
 * row is refused.  0, -KP_ERR_NOTFOUND, -KP_ERR_CRYPTO, -KP_ERR_STATE,
 * -KP_ERR_DB.
 */
int registry_citizen_cnic(struct registry *r, int64_t id, char out[CNIC_SIZE]);

/*
 * Set names and district of citizen c->id to c's.  Audit: citizen.changed
 * naming the fields.  1 when something changed, 0 when nothing did (no
 * audit row), -KP_ERR_NOTFOUND, -KP_ERR_INVAL, -KP_ERR_STATE, -KP_ERR_DB.
 */
int registry_citizen_update(struct registry *r, const struct store_citizen *c, const char *actor,
                            int64_t now);

/*
 * Set citizen id's status and count the change (store_change.h), so that
 * a running daemon stops serving a blocked citizen.  reason (may be NULL)
 * goes into the audit detail and must pass store_audit_detail_check().
 * Audit: citizen.blocked, citizen.deceased or citizen.unblocked (back to
 * active).  1 changed, 0 already so (no audit row), -KP_ERR_NOTFOUND,
 * -KP_ERR_INVAL, -KP_ERR_DENIED (reason refused by the guard),
 * -KP_ERR_STATE, -KP_ERR_DB.
 */
int registry_citizen_set_status(struct registry *r, int64_t id, enum store_citizen_status status,
                                const char *reason, const char *actor, int64_t now);

/*
 * Register e164 (E.164, as msisdn_parse writes it) to citizen id.
 * Audit: citizen.linked with the masked number.  1 linked, 0 already
 * registered to this citizen, -KP_ERR_EXISTS (registered to another
 * citizen), -KP_ERR_LIMIT (STORE_CITIZEN_MSISDNS reached),
 * -KP_ERR_NOTFOUND (no such citizen), -KP_ERR_INVAL, -KP_ERR_STATE,
 * -KP_ERR_DB.
 */
int registry_citizen_link(struct registry *r, int64_t id, const char *e164, const char *actor,
                          int64_t now);

/* Remove e164 from citizen id.  Audit: citizen.unlinked.  0,
   -KP_ERR_NOTFOUND (no such citizen, or the number is not registered to
   it), -KP_ERR_STATE, -KP_ERR_DB. */
int registry_citizen_unlink(struct registry *r, int64_t id, const char *e164, const char *actor,
                            int64_t now);

/* One row of an import (a registry file). */
struct registry_import {
    const char *cnic;                           /* normalised */
    const char *msisdns[STORE_CITIZEN_MSISDNS]; /* E.164, n_msisdns of them */
    int n_msisdns;                              /* 0 to STORE_CITIZEN_MSISDNS */
    const char *source;          /* audit detail prefix, e.g. "citizens.csv:12" (guarded) */
    struct store_citizen fields; /* names, district, status */
    int bad_msisdn;              /* out: the number an EXISTS or LIMIT is about, or -1 */
};

enum registry_outcome {
    REGISTRY_CITIZEN_ADDED = 0,
    REGISTRY_CITIZEN_UPDATED,
    REGISTRY_CITIZEN_UNCHANGED,
};

/*
 * Make the registry agree with one imported row: add the citizen with all
 * the row's numbers (one citizen.imported row naming them, masked), or
 * update names/district (citizen.changed) and status (citizen.blocked,
 * ...) that differ, and register each number not yet registered to this
 * citizen (citizen.linked each).  Numbers registered otherwise are kept.
 * Running the same row again changes nothing.  Returns an enum
 * registry_outcome, or -KP_ERR_EXISTS (a number is registered to another
 * citizen), -KP_ERR_LIMIT (more than STORE_CITIZEN_MSISDNS numbers in
 * all), -KP_ERR_INVAL, -KP_ERR_DENIED (source refused by the audit
 * guard), -KP_ERR_STATE, -KP_ERR_DB; on an error nothing of this row was
 * written (except in bulk mode: store_bulk).
 */
int registry_citizen_import(struct registry *r, struct registry_import *row, const char *actor,
                            int64_t now);

#endif
