/* SPDX-License-Identifier: ISC */
/*
 * The citizen registry: the CNIC index, the sealed box and the last 4
 * digits made from a CNIC and the key, before the store sees the row; and
 * the rules of every change to a citizen (see registry.h): one atomic
 * scope, the citizen.* audit row, the change count, and who may hold a
 * number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/registry/registry.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"

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

/* Begin the scope of one change: refused first when there is no audit key. */
static int citizen_scope_begin(struct store *st, enum store_scope *scope)
{
    if (!audit_ready(st))
        return -KP_ERR_STATE;
    return store_scope_begin(st, scope);
}

/* Keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
static int citizen_scope_end(struct store *st, enum store_scope scope, int rc)
{
    int c = store_scope_end(st, scope, rc >= 0);

    return c < 0 ? c : rc;
}

static int citizen_audit(struct store *st, int64_t now, const char *event, const char *actor,
                         const struct store_citizen *c, const char *detail)
{
    int64_t rc = audit_append(st, now, event, actor, c->cnic_index, detail);

    return rc < 0 ? (int)rc : 0;
}

int registry_citizen_add(struct registry *r, const char *cnic, struct store_citizen *c,
                         const char *actor, int64_t now)
{
    uint8_t box[STORE_CITIZEN_BOX_BYTES];
    enum store_scope scope;
    char detail[64];
    int rc;

    if (r->cnic_key == NULL)
        return -KP_ERR_STATE;
    if (registry_seal(r, cnic, c, box) < 0 || store_citizen_check(c, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((rc = citizen_scope_begin(r->st, &scope)) < 0)
        return rc;
    rc = store_citizen_insert(r->st, c, box, now);
    snprintf(detail, sizeof(detail), "district %s, status %s", c->district,
             store_citizen_status_name(c->status));
    if (rc == 0)
        rc = citizen_audit(r->st, now, "citizen.added", actor, c, detail);
    return citizen_scope_end(r->st, scope, rc);
}

/* Names and district of cur become those of want; cur is updated.  1 changed, 0 not. */
static int citizen_update_do(struct store *st, struct store_citizen *cur,
                             const struct store_citizen *want, const char *actor, int64_t now)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 1] = "";
    struct store_citizen next = *cur;
    int rc;

    if (strcmp(cur->name_en, want->name_en) != 0)
        strcat(detail, "name_en");
    if (strcmp(cur->name_ur, want->name_ur) != 0)
        strcat(detail, detail[0] ? ", name_ur" : "name_ur");
    if (strcmp(cur->district, want->district) != 0)
        snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%sdistrict %s -> %s",
                 detail[0] ? ", " : "", cur->district, want->district);
    if (detail[0] == '\0')
        return 0;
    memcpy(next.name_en, want->name_en, sizeof(next.name_en));
    memcpy(next.name_ur, want->name_ur, sizeof(next.name_ur));
    memcpy(next.district, want->district, sizeof(next.district));
    if ((rc = store_citizen_set_fields(st, &next, now)) < 0)
        return rc;
    *cur = next;
    cur->updated_at = now;
    rc = citizen_audit(st, now, "citizen.changed", actor, cur, detail);
    return rc < 0 ? rc : 1;
}

int registry_citizen_update(struct registry *r, const struct store_citizen *c, const char *actor,
                            int64_t now)
{
    struct store_citizen cur;
    enum store_scope scope;
    int rc;

    if (store_citizen_check(c, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((rc = citizen_scope_begin(r->st, &scope)) < 0)
        return rc;
    rc = store_citizen_get_by_id(r->st, c->id, &cur);
    if (rc == 0)
        rc = citizen_update_do(r->st, &cur, c, actor, now);
    return citizen_scope_end(r->st, scope, rc);
}

static const char *citizen_status_event(enum store_citizen_status status)
{
    switch (status) {
    case STORE_CITIZEN_BLOCKED:
        return "citizen.blocked";
    case STORE_CITIZEN_DECEASED:
        return "citizen.deceased";
    default:
        return "citizen.unblocked";
    }
}

/* cur's status becomes status.  1 changed, 0 already so. */
static int citizen_status_do(struct store *st, struct store_citizen *cur,
                             enum store_citizen_status status, const char *reason,
                             const char *actor, int64_t now)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 2];
    int rc, n;

    if (cur->status == status)
        return 0;
    n = snprintf(detail, sizeof(detail), "%s -> %s%s%s", store_citizen_status_name(cur->status),
                 store_citizen_status_name(status), reason && reason[0] ? ": " : "",
                 reason ? reason : "");
    if (n < 0 || (size_t)n > STORE_AUDIT_DETAIL_MAX)
        return -KP_ERR_INVAL;
    if ((rc = store_citizen_set_status(st, cur->id, status, now)) < 0)
        return rc;
    cur->status = status;
    cur->updated_at = now;
    rc = citizen_audit(st, now, citizen_status_event(status), actor, cur, detail);
    return rc < 0 ? rc : 1;
}

int registry_citizen_set_status(struct registry *r, int64_t id, enum store_citizen_status status,
                                const char *reason, const char *actor, int64_t now)
{
    struct store_citizen cur;
    enum store_scope scope;
    int rc;

    if ((unsigned)status > STORE_CITIZEN_DECEASED)
        return -KP_ERR_INVAL;
    if ((rc = citizen_scope_begin(r->st, &scope)) < 0)
        return rc;
    rc = store_citizen_get_by_id(r->st, id, &cur);
    if (rc == 0)
        rc = citizen_status_do(r->st, &cur, status, reason, actor, now);
    /* A running daemon confirms it has passed the change (store_change.h). */
    if (rc > 0 && store_change_bump(r->st, STORE_CHANGE_STATE) < 0)
        rc = -KP_ERR_DB;
    return citizen_scope_end(r->st, scope, rc);
}

/*
 * Register e164 to cur (not registered to anyone: the caller checked),
 * within the limit.  A citizen inserted just now has no numbers yet and
 * its citizen.imported row names them: no count, no audit row of its own.
 */
static int citizen_link_do(struct store *st, const struct store_citizen *cur, const char *e164,
                           const char *actor, int64_t now, int new_citizen)
{
    char masked[MSISDN_SIZE];
    int64_t n = 0;
    int rc;

    if (!new_citizen && (rc = store_citizen_msisdn_count(st, cur->id, &n)) < 0)
        return rc;
    if (n >= STORE_CITIZEN_MSISDNS)
        return -KP_ERR_LIMIT;
    if ((rc = store_citizen_link(st, cur->id, e164, now)) < 0)
        return rc;
    if (new_citizen)
        return 1;
    msisdn_mask(e164, masked);
    rc = citizen_audit(st, now, "citizen.linked", actor, cur, masked);
    return rc < 0 ? rc : 1;
}

int registry_citizen_link(struct registry *r, int64_t id, const char *e164, const char *actor,
                          int64_t now)
{
    struct store_citizen cur;
    enum store_scope scope;
    int64_t owner;
    int rc;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_INVAL;
    if ((rc = citizen_scope_begin(r->st, &scope)) < 0)
        return rc;
    if ((rc = store_citizen_get_by_id(r->st, id, &cur)) == 0 &&
        (rc = store_citizen_msisdn_owner(r->st, e164, &owner)) == 0) {
        if (owner == id)
            rc = 0;
        else if (owner != 0)
            rc = -KP_ERR_EXISTS;
        else
            rc = citizen_link_do(r->st, &cur, e164, actor, now, 0);
    }
    return citizen_scope_end(r->st, scope, rc);
}

int registry_citizen_unlink(struct registry *r, int64_t id, const char *e164, const char *actor,
                            int64_t now)
{
    struct store_citizen cur;
    enum store_scope scope;
    char masked[MSISDN_SIZE];
    int rc;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_NOTFOUND;
    if ((rc = citizen_scope_begin(r->st, &scope)) < 0)
        return rc;
    if ((rc = store_citizen_get_by_id(r->st, id, &cur)) == 0 &&
        (rc = store_citizen_unlink(r->st, id, e164)) == 0) {
        msisdn_mask(e164, masked);
        rc = citizen_audit(r->st, now, "citizen.unlinked", actor, &cur, masked);
    }
    return citizen_scope_end(r->st, scope, rc);
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

/*
 * The audit detail of a new citizen: "SOURCE, district D, status S" and
 * its masked numbers, as many as fit (then "+N more").  0 or -KP_ERR_INVAL
 * when even the start does not fit.
 */
static int citizen_import_detail(const struct registry_import *row, const struct store_citizen *c,
                                 char detail[STORE_AUDIT_DETAIL_MAX + 1])
{
    char masked[MSISDN_SIZE], more[32];
    size_t len;
    int n;

    n = snprintf(detail, STORE_AUDIT_DETAIL_MAX + 1, "%s%sdistrict %s, status %s",
                 row->source ? row->source : "", row->source ? ", " : "", c->district,
                 store_citizen_status_name(c->status));
    if (n < 0 || (size_t)n > STORE_AUDIT_DETAIL_MAX)
        return -KP_ERR_INVAL;
    len = (size_t)n;
    for (int i = 0; i < row->n_msisdns; i++) {
        msisdn_mask(row->msisdns[i], masked);
        /* Room for this number and, if others follow, for the "+N more" note. */
        snprintf(more, sizeof(more), ", +%d more", row->n_msisdns - i - 1);
        if (len + 2 + strlen(masked) + (i + 1 < row->n_msisdns ? strlen(more) : 0) >
            STORE_AUDIT_DETAIL_MAX) {
            snprintf(more, sizeof(more), ", +%d more", row->n_msisdns - i);
            memcpy(detail + len, more, strlen(more) + 1);
            break;
        }
        len += (size_t)snprintf(detail + len, STORE_AUDIT_DETAIL_MAX + 1 - len, ", %s", masked);
    }
    return 0;
}

/* A new citizen from an import row: one citizen.imported row says it all. */
static int citizen_import_new(struct store *st, const struct registry_import *row,
                              struct store_citizen *c, const uint8_t *box, const char *actor,
                              int64_t now)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 1];
    int rc;

    if ((rc = store_citizen_insert(st, c, box, now)) < 0)
        return rc;
    for (int i = 0; i < row->n_msisdns; i++)
        if ((rc = citizen_link_do(st, c, row->msisdns[i], actor, now, 1)) < 0)
            return rc;
    if ((rc = citizen_import_detail(row, c, detail)) < 0)
        return rc;
    rc = citizen_audit(st, now, "citizen.imported", actor, c, detail);
    return rc < 0 ? rc : REGISTRY_CITIZEN_ADDED;
}

/* Owners of the row's numbers; -KP_ERR_EXISTS (row->bad_msisdn set) when one is
   registered to another citizen than id (0: the row's citizen is new). */
static int citizen_import_owners(struct store *st, struct registry_import *row, int64_t id,
                                 int64_t owner[STORE_CITIZEN_MSISDNS])
{
    int rc;

    for (int i = 0; i < row->n_msisdns; i++) {
        if ((rc = store_citizen_msisdn_owner(st, row->msisdns[i], &owner[i])) < 0)
            return rc;
        if (owner[i] != 0 && owner[i] != id) {
            row->bad_msisdn = i;
            return -KP_ERR_EXISTS;
        }
    }
    return 0;
}

static int citizen_import_do(struct store *st, struct registry_import *row,
                             struct store_citizen *want, const uint8_t *box, const char *actor,
                             int64_t now)
{
    int64_t owner[STORE_CITIZEN_MSISDNS];
    struct store_citizen cur;
    int rc, changed = 0;

    rc = store_citizen_get_by_index(st, want->cnic_index, &cur);
    if (rc < 0 && rc != -KP_ERR_NOTFOUND)
        return rc;
    if (rc == -KP_ERR_NOTFOUND) {
        if ((rc = citizen_import_owners(st, row, 0, owner)) < 0)
            return rc;
        return citizen_import_new(st, row, want, box, actor, now);
    }
    if ((rc = citizen_import_owners(st, row, cur.id, owner)) < 0)
        return rc;
    if ((rc = citizen_update_do(st, &cur, want, actor, now)) < 0)
        return rc;
    changed |= rc;
    if ((rc = citizen_status_do(st, &cur, want->status, row->source, actor, now)) < 0)
        return rc;
    changed |= rc;
    for (int i = 0; i < row->n_msisdns; i++) {
        if (owner[i] != 0)
            continue;
        if ((rc = citizen_link_do(st, &cur, row->msisdns[i], actor, now, 0)) < 0) {
            row->bad_msisdn = i;
            return rc;
        }
        changed = 1;
    }
    return changed ? REGISTRY_CITIZEN_UPDATED : REGISTRY_CITIZEN_UNCHANGED;
}

int registry_citizen_import(struct registry *r, struct registry_import *row, const char *actor,
                            int64_t now)
{
    struct store_citizen want = row->fields;
    uint8_t box[STORE_CITIZEN_BOX_BYTES];
    enum store_scope scope;
    int rc;

    row->bad_msisdn = -1;
    if (r->cnic_key == NULL)
        return -KP_ERR_STATE;
    if (row->n_msisdns < 0 || row->n_msisdns > STORE_CITIZEN_MSISDNS)
        return row->n_msisdns < 0 ? -KP_ERR_INVAL : -KP_ERR_LIMIT;
    for (int i = 0; i < row->n_msisdns; i++)
        if (!msisdn_is_e164(row->msisdns[i]))
            return -KP_ERR_INVAL;
    if (registry_seal(r, row->cnic, &want, box) < 0 || store_citizen_check(&want, NULL) < 0)
        return -KP_ERR_INVAL;
    if ((rc = citizen_scope_begin(r->st, &scope)) < 0)
        return rc;
    rc = citizen_import_do(r->st, row, &want, box, actor, now);
    return citizen_scope_end(r->st, scope, rc);
}
