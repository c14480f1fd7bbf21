/* SPDX-License-Identifier: ISC */
/*
 * The trust list: the Ed25519 public keys that sign KP1 tokens and KPR1
 * receipts, each with its 4-octet key id, creation time and status.  The
 * key folder keeps it as the file "trust.list"; `kpass keys export` hands
 * the same text to anyone who verifies tokens.  Format (doc/kp1-token.md):
 *
 *   # comments and blank lines are ignored
 *   key 9d24e2ee 1735689600 active 03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8
 *
 * fields: "key", key id (8 hex digits), created (Unix seconds), status
 * (active: signs and verifies; verify: verifies only; retired: refused),
 * public key (64 hex digits).  The key id must be the first 4 octets of
 * BLAKE2b-256 of the public key; at most one key is active.
 *
 * Pure: parse and format text, look keys up.
 */
#ifndef KPASS_TRUST_H
#define KPASS_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"

#define TRUST_ID_BYTES 4
#define TRUST_PK_BYTES 32 /* crypto_sign_PUBLICKEYBYTES */
#define TRUST_ID_HEX   9  /* 8 hex digits + NUL */

enum trust_status {
    TRUST_ACTIVE = 0,  /* the key that signs now; also verifies */
    TRUST_VERIFY = 1,  /* an older key: still verifies, no longer signs */
    TRUST_RETIRED = 2, /* no longer accepted */
};

struct trust_key {
    uint8_t id[TRUST_ID_BYTES];
    int64_t created;
    enum trust_status status;
    uint8_t pk[TRUST_PK_BYTES];
};

/* A list of keys; TRUST_LIST_INIT or zeroed memory is an empty list. */
struct trust_list {
    struct trust_key *keys;
    size_t n, cap;
};

#define TRUST_LIST_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/*
 * Find the public key for key id; the signature of kp1_verify's and
 * receipt_verify's lookup.  Returns 0 with pk filled, -KP_ERR_NOTFOUND
 * (unknown id) or -KP_ERR_DENIED (the key is retired).
 */
typedef int (*trust_lookup_fn)(void *ctx, const uint8_t id[TRUST_ID_BYTES],
                               uint8_t pk[TRUST_PK_BYTES]);

/* Key id of a public key: the first 4 octets of BLAKE2b-256 (unkeyed) of pk. */
void trust_key_id(const uint8_t pk[TRUST_PK_BYTES], uint8_t id[TRUST_ID_BYTES]);

/* "9d24e2ee" for an id. */
void trust_id_hex(const uint8_t id[TRUST_ID_BYTES], char out[TRUST_ID_HEX]);

/* "9d24e2ee" (8 hex digits, either case) to an id.  0 or -KP_ERR_PARSE. */
int trust_id_parse(const char *s, uint8_t id[TRUST_ID_BYTES]);

/* "active", "verify", "retired". */
const char *trust_status_name(enum trust_status s);

/* Release the keys; the list is empty afterwards.  NULL is a no-op. */
void trust_list_free(struct trust_list *t);

/*
 * Parse trust-list text named name (for messages) into t (appending).
 * Every problem is one "name:line: reason" line in err and parsing keeps
 * going.  Returns 0 or -KP_ERR_PARSE.
 */
int trust_list_parse(struct trust_list *t, const char *name, const char *text, size_t len,
                     struct kp_buf *err);

/* Append the list as text (header comment, then one "key" line per key). */
void trust_list_format(const struct trust_list *t, struct kp_buf *out);

/*
 * Append a copy of k.  -KP_ERR_EXISTS for a duplicate id, -KP_ERR_STATE
 * for a second active key, -KP_ERR_CRYPTO when the id does not match pk.
 */
int trust_list_add(struct trust_list *t, const struct trust_key *k);

/* The key with id, or NULL.  The pointer lives until the list changes. */
struct trust_key *trust_list_find(const struct trust_list *t, const uint8_t id[TRUST_ID_BYTES]);

/* The active key, or NULL. */
struct trust_key *trust_list_active(const struct trust_list *t);

/* trust_lookup_fn over a struct trust_list (ctx). */
int trust_list_lookup(void *ctx, const uint8_t id[TRUST_ID_BYTES], uint8_t pk[TRUST_PK_BYTES]);

#endif
