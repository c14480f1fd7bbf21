/* SPDX-License-Identifier: ISC */
/*
 * SMPP partners in the store: the partner table's rows, as stored.
 * Server-mode partners carry a password hash (crypto_pwhash_str);
 * client-mode partners carry the password we present to them, encrypted
 * under the key folder's partner.key (the caller encrypts and decrypts;
 * the store never sees it in clear).  What a row means to the link layer
 * (struct smpp_partner_conf: parsed CIDRs, modes, bind types) is
 * partner.h's mapping, above both: the store does not know SMPP.
 */
#ifndef KPASS_STORE_PARTNER_H
#define KPASS_STORE_PARTNER_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/store/store.h"

/* One row of the partner table; text columns NUL-terminated, "" for NULL. */
struct store_partner {
    int64_t id;
    char system_id[16];
    char mode[8];           /* "server" or "client" */
    char pwhash[128];       /* server mode */
    char password_enc[256]; /* client mode */
    char system_type[13];
    char host[256];     /* client mode */
    unsigned port;      /* client mode; 0 for none */
    char bind_type[16]; /* client mode: "transmitter", "receiver" or "transceiver" ("": the last) */
    unsigned binds;     /* 0 is stored as 1 */
    char cidrs_text[512]; /* allowed_cidrs: "" (any source) or a comma-separated list */
    unsigned max_binds;   /* 0 is stored as 4 */
    unsigned throughput;
    unsigned burst;
    char profile[32]; /* "" is stored as "its-session" */
    int carries_sms;
    int enabled;
    unsigned gsm7_limit; /* 0: the configured default */
    unsigned ucs2_limit;
    char first_lang[8]; /* first-time callers' language ("ur", "ur-Latn", ...); "": none */
    int64_t created_at;
    int64_t updated_at;
};

/* Insert p (p->id is set on success).  0, -KP_ERR_EXISTS, -KP_ERR_DB. */
int store_partner_add(struct store *st, struct store_partner *p);
/* Update every field of the partner with p->id.  0, -KP_ERR_NOTFOUND, -KP_ERR_DB. */
int store_partner_update(struct store *st, const struct store_partner *p);
/* 0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_partner_get(struct store *st, const char *system_id, struct store_partner *out);
int store_partner_remove(struct store *st, const char *system_id);
/* Every partner, in system_id order; *out is malloc'd (free it).  Count or -KP_ERR_DB. */
int store_partner_list(struct store *st, struct store_partner **out);

#endif
