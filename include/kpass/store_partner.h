/* SPDX-License-Identifier: ISC */
/*
 * SMPP partners in the store.  Server-mode partners carry a password hash
 * (crypto_pwhash_str); client-mode partners carry the password we present
 * to them, encrypted under the key folder's partner.key (the caller
 * encrypts and decrypts; the store never sees it in clear).
 */
#ifndef KPASS_STORE_PARTNER_H
#define KPASS_STORE_PARTNER_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/smpp.h"
#include "kpass/store.h"

struct store_partner {
    struct smpp_partner_conf conf; /* conf.password is always empty here */
    char password_enc[256];        /* client mode */
    char cidrs_text[512];          /* allowed_cidrs as stored */
    int64_t created_at;
    int64_t updated_at;
};

/* Insert p (p->conf.id is set on success).  0, -KP_ERR_EXISTS, -KP_ERR_DB. */
int store_partner_add(struct store *st, struct store_partner *p);
/* Update every field of the partner with p->conf.id.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_partner_update(struct store *st, const struct store_partner *p);
/* 0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_partner_get(struct store *st, const char *system_id, struct store_partner *out);
int store_partner_remove(struct store *st, const char *system_id);
/* Every partner, in system_id order; *out is malloc'd (free it).  Count or -KP_ERR_DB. */
int store_partner_list(struct store *st, struct store_partner **out);

#endif
