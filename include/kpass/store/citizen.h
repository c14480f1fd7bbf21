/* SPDX-License-Identifier: ISC */
/*
 * The citizens registry in the store: one row per CNIC, and the mobile
 * numbers (E.164) registered to each citizen.  A citizen may have several
 * numbers (at most STORE_CITIZEN_MSISDNS); a number belongs to at most one
 * citizen.
 *
 * The CNIC itself is never stored in clear (DESIGN.md §6), and the store
 * never sees it: it keeps what registry.h makes of it, the keyed index
 * (cnic_index, UNIQUE: every lookup by CNIC goes through it), the sealed
 * box (cnic_box, STORE_CITIZEN_BOX_BYTES) and the last 4 digits in clear
 * (printed on the QR card, asked in USSD checks, and enough for the mask
 * "*****-****567-1").  It holds no CNIC key.
 *
 * The writers here are plain row writers, one statement each: the audit
 * row each change needs (citizen.added, citizen.linked, ...), the change
 * count, the rules on numbers and the transaction around all of it are
 * the registry's (registry.h), which every change goes through.  Times
 * are passed in (Unix seconds).
 */
#ifndef KPASS_STORE_CITIZEN_H
#define KPASS_STORE_CITIZEN_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/cnic.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/store.h"

#define STORE_CITIZEN_NAME_CHARS    64  /* characters (code points) */
#define STORE_CITIZEN_NAME_SIZE     257 /* 64 code points of at most 4 octets, NUL */
#define STORE_CITIZEN_DISTRICT_SIZE 9   /* 2 to 8 of A-Z 0-9, NUL */
#define STORE_CITIZEN_MSISDNS       8   /* numbers one citizen may register */
#define STORE_CITIZEN_LIST_MAX      10000
#define STORE_CITIZEN_BOX_BYTES     53 /* nonce 24 || MAC 16 || 13 digits (registry.h) */

enum store_citizen_status {
    STORE_CITIZEN_ACTIVE = 0,
    STORE_CITIZEN_BLOCKED,
    STORE_CITIZEN_DECEASED,
};

struct store_citizen {
    int64_t id;
    uint8_t cnic_index[CNIC_INDEX_BYTES];
    char last4[5];
    char name_en[STORE_CITIZEN_NAME_SIZE];
    char name_ur[STORE_CITIZEN_NAME_SIZE];
    char district[STORE_CITIZEN_DISTRICT_SIZE];
    enum store_citizen_status status;
    int64_t created_at;
    int64_t updated_at;
};

/* "active", "blocked", "deceased"; never NULL. */
const char *store_citizen_status_name(enum store_citizen_status status);
/* The reverse: the status, or -KP_ERR_INVAL. */
int store_citizen_status_parse(const char *name);

/*
 * Check the fields a person supplies (names, district, status); pure.
 *   name_en: 1-64 characters of the GSM 03.38 basic set's printable ASCII
 *            (3GPP TS 23.038 §6.2.1: letters, digits, space and
 *            ! " # $ % & ' ( ) * + , - . / : ; < = > ? @ _), so that an
 *            English screen stays GSM 7-bit;
 *   name_ur: 1-64 characters of Arabic script (U+0600-06FF, U+0750-077F,
 *            U+08A0-08FF, U+FB50-FDFF, U+FE70-FEFF), space, ZWNJ/ZWJ and
 *            . ' -, valid UTF-8, no control or bidi-control characters;
 *   both:    no leading, trailing or double spaces;
 *   district: 2-8 of A-Z 0-9.
 * 0, or -KP_ERR_INVAL with *why (may be NULL) set to a static text such
 * as "name_ur: Urdu names are written in Arabic script".
 */
int store_citizen_check(const struct store_citizen *c, const char **why);

/* "*****-****567-1" from c->last4 (the same as cnic_mask of the full CNIC). */
void store_citizen_mask(const struct store_citizen *c, char out[CNIC_TEXT_SIZE]);

/*
 * Insert citizen c: its index and last4 (set by the caller, registry.h),
 * names, district and status (checked with store_citizen_check), and the
 * sealed CNIC box; on success c->id and the times are filled in.  No
 * audit row (the registry's).  0, -KP_ERR_EXISTS (that index is
 * registered), -KP_ERR_INVAL, -KP_ERR_DB.
 */
int store_citizen_insert(struct store *st, struct store_citizen *c,
                         const uint8_t box[STORE_CITIZEN_BOX_BYTES], int64_t now);

/* Look a citizen up by CNIC index, by row id, or by a registered E.164
   number.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_citizen_get_by_index(struct store *st, const uint8_t index[CNIC_INDEX_BYTES],
                               struct store_citizen *out);
int store_citizen_get_by_id(struct store *st, int64_t id, struct store_citizen *out);
int store_citizen_get_by_msisdn(struct store *st, const char *e164, struct store_citizen *out);

/*
 * Citizen id's sealed CNIC box and its index, as stored (registry.h
 * opens it).  0, -KP_ERR_NOTFOUND, -KP_ERR_CRYPTO (a column of the wrong
 * size), -KP_ERR_DB.
 */
int store_citizen_box(struct store *st, int64_t id, uint8_t box[STORE_CITIZEN_BOX_BYTES],
                      uint8_t index[CNIC_INDEX_BYTES]);

/*
 * The numbers registered to citizen id, oldest first, at most cap of them.
 * Returns the count or -KP_ERR_DB.
 */
int store_citizen_msisdns(struct store *st, int64_t id, char (*out)[MSISDN_SIZE], int cap);

/* Set names and district of citizen c->id to c's (checked).  0,
   -KP_ERR_NOTFOUND, -KP_ERR_INVAL, -KP_ERR_DB. */
int store_citizen_set_fields(struct store *st, const struct store_citizen *c, int64_t now);

/* Set citizen id's status.  0, -KP_ERR_NOTFOUND, -KP_ERR_INVAL, -KP_ERR_DB. */
int store_citizen_set_status(struct store *st, int64_t id, enum store_citizen_status status,
                             int64_t now);

/* *owner = the citizen e164 is registered to, or 0.  0 or -KP_ERR_DB. */
int store_citizen_msisdn_owner(struct store *st, const char *e164, int64_t *owner);
/* *n = how many numbers citizen id has.  0 or -KP_ERR_DB. */
int store_citizen_msisdn_count(struct store *st, int64_t id, int64_t *n);

/*
 * Register e164 (E.164, as msisdn_parse writes it) to citizen id: the row
 * only (the limit of STORE_CITIZEN_MSISDNS is the registry's rule).  0,
 * -KP_ERR_EXISTS (registered to someone already), -KP_ERR_INVAL, -KP_ERR_DB
 * (also: no such citizen).
 */
int store_citizen_link(struct store *st, int64_t id, const char *e164, int64_t now);

/* Remove e164 from citizen id.  0, -KP_ERR_NOTFOUND (not registered to
   this citizen), -KP_ERR_DB. */
int store_citizen_unlink(struct store *st, int64_t id, const char *e164);

struct store_citizen_filter {
    const char *district; /* NULL: any */
    int status;           /* enum store_citizen_status, or -1 for any */
    unsigned offset;
    unsigned limit; /* 1..STORE_CITIZEN_LIST_MAX */
};

/* One page of citizens in id order; *out is malloc'd (NULL when none).
   Count, -KP_ERR_INVAL (limit) or -KP_ERR_DB. */
int store_citizen_list(struct store *st, const struct store_citizen_filter *f,
                       struct store_citizen **out);
/* How many citizens match f (offset and limit ignored).  Count or -KP_ERR_DB. */
int64_t store_citizen_count(struct store *st, const struct store_citizen_filter *f);

#endif
