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
 * The rows, their audit rows and the rest of the citizen calls are
 * store_citizen.h's.
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
 * status: index, box and last4 made here, the row and its audit row
 * (citizen.added) by store_citizen_add, whose returns these are; also
 * -KP_ERR_STATE before registry_use_key.
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

/* One row of an import (a registry file). */
struct registry_import {
    const char *cnic;            /* normalised */
    const char *msisdn;          /* E.164, or NULL */
    const char *source;          /* audit detail prefix, e.g. "citizens.csv:12" (guarded) */
    struct store_citizen fields; /* names, district, status */
};

/*
 * Make the store agree with one imported row (store_citizen_import, whose
 * returns these are; also -KP_ERR_STATE before registry_use_key).
 */
int registry_citizen_import(struct registry *r, const struct registry_import *row,
                            const char *actor, int64_t now);

#endif
