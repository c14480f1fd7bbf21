/* SPDX-License-Identifier: ISC */
/*
 * The citizen registry: the CNIC index, the sealed box and the last 4
 * digits made from a CNIC and the key, before the store sees the row
 * (see registry.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/registry/registry.h"

#define REGISTRY_KDF_CONTEXT "kpcnicbx" /* crypto_kdf_CONTEXTBYTES = 8 */
#define REGISTRY_KDF_BOX     1

_Static_assert(STORE_CITIZEN_BOX_BYTES ==
                   crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + CNIC_DIGITS,
               "the store's box size is the sealed CNIC's");

struct registry {
    struct store *st;
    const uint8_t *cnic_key; /* borrowed */
    uint8_t *box_key;        /* derived from cnic_key; sodium_malloc()'d, owned */
};

struct registry *registry_new(struct store *st)
{
    struct registry *r = kp_calloc(1, sizeof(*r));

    r->st = st;
    return r;
}

void registry_free(struct registry *r)
{
    if (r == NULL)
        return;
    if (r->box_key)
        sodium_free(r->box_key);
    free(r);
}

int registry_use_key(struct registry *r, const uint8_t cnic_key[CNIC_KEY_BYTES])
{
    if (r->box_key == NULL) {
        r->box_key = sodium_malloc(crypto_secretbox_KEYBYTES);
        if (r->box_key == NULL)
            return -KP_ERR_NOMEM;
    }
    sodium_mprotect_readwrite(r->box_key);
    crypto_kdf_derive_from_key(r->box_key, crypto_secretbox_KEYBYTES, REGISTRY_KDF_BOX,
                               REGISTRY_KDF_CONTEXT, cnic_key);
    sodium_mprotect_readonly(r->box_key);
    r->cnic_key = cnic_key;
    return 0;
}

/* c's index and last4, and the box, for the normalised CNIC cnic.  0, -KP_ERR_INVAL. */
static int registry_seal(const struct registry *r, const char *cnic, struct store_citizen *c,
                         uint8_t box[STORE_CITIZEN_BOX_BYTES])
{
    if (!cnic_is_normal(cnic) || cnic_index(cnic, r->cnic_key, c->cnic_index) < 0)
        return -KP_ERR_INVAL;
    memcpy(c->last4, cnic + CNIC_DIGITS - 4, 4);
    c->last4[4] = '\0';
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)cnic,
                          CNIC_DIGITS, box, r->box_key);
    return 0;
}

int registry_citizen_add(struct registry *r, const char *cnic, struct store_citizen *c,
                         const char *actor, int64_t now)
{
    uint8_t box[STORE_CITIZEN_BOX_BYTES];

    if (r->cnic_key == NULL)
        return -KP_ERR_STATE;
    if (registry_seal(r, cnic, c, box) < 0)
        return -KP_ERR_INVAL;
    return store_citizen_add(r->st, c, box, actor, now);
}

int registry_citizen_get(struct registry *r, const char *cnic, struct store_citizen *out)
{
    uint8_t index[CNIC_INDEX_BYTES];

    if (r->cnic_key == NULL)
        return -KP_ERR_STATE;
    if (cnic_index(cnic, r->cnic_key, index) < 0)
        return -KP_ERR_INVAL;
    return store_citizen_get_by_index(r->st, index, out);
}

int registry_citizen_cnic(struct registry *r, int64_t id, char out[CNIC_SIZE])
{
    uint8_t box[STORE_CITIZEN_BOX_BYTES], want[CNIC_INDEX_BYTES], got[CNIC_INDEX_BYTES];
    int rc;

    if (r->box_key == NULL)
        return -KP_ERR_STATE;
    if ((rc = store_citizen_box(r->st, id, box, want)) < 0 && rc != -KP_ERR_CRYPTO)
        return rc;
    if (rc < 0 ||
        crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
                                   sizeof(box) - crypto_secretbox_NONCEBYTES, box, r->box_key) != 0)
        goto fail;
    out[CNIC_DIGITS] = '\0';
    /* The box must belong to this row: its CNIC's index is the row's. */
    if (cnic_index(out, r->cnic_key, got) < 0 || sodium_memcmp(got, want, sizeof(got)) != 0)
        goto fail;
    return 0;
fail:
    sodium_memzero(out, CNIC_SIZE);
    return -KP_ERR_CRYPTO;
}

int registry_citizen_import(struct registry *r, const struct registry_import *row,
                            const char *actor, int64_t now)
{
    struct store_citizen_import imp = {NULL, row->msisdn, row->source, row->fields};
    uint8_t box[STORE_CITIZEN_BOX_BYTES];

    if (r->cnic_key == NULL)
        return -KP_ERR_STATE;
    if (registry_seal(r, row->cnic, &imp.fields, box) < 0)
        return -KP_ERR_INVAL;
    imp.cnic_box = box;
    return store_citizen_import(r->st, &imp, actor, now);
}
