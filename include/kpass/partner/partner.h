/* SPDX-License-Identifier: ISC */
/*
 * SMPP partners as kpassd and the kpass CLI see them: the store's rows
 * (store_partner.h) mapped to and from the link layer's configuration
 * (struct smpp_partner_conf), in one place.  The store knows nothing of
 * SMPP and the link layer nothing of the store; this module sits above
 * both, so that neither includes the other.
 */
#ifndef KPASS_PARTNER_H
#define KPASS_PARTNER_H

#include <stdint.h>

#include "kpass/smpp/smpp.h"
#include "kpass/store/store.h"
#include "kpass/store/partner.h"

struct partner {
    struct smpp_partner_conf conf; /* conf.password is always empty here */
    char password_enc[256];        /* client mode */
    char cidrs_text[512];          /* allowed_cidrs as stored */
    int64_t created_at;
    int64_t updated_at;
};

/*
 * Row to partner: modes and bind types by name, allowed_cidrs parsed (a
 * list that does not parse, never written by kpass, admits nobody and is
 * logged).
 */
void partner_from_row(const struct store_partner *row, struct partner *out);
/* Partner to row: the inverse of partner_from_row (conf.password is not stored). */
void partner_to_row(const struct partner *p, struct store_partner *row);

/* store_partner_add through the mapping (p->conf.id set on success); its returns. */
int partner_db_add(struct store *st, struct partner *p);
/* store_partner_update through the mapping; its returns. */
int partner_db_update(struct store *st, const struct partner *p);
/* store_partner_get through the mapping; its returns. */
int partner_db_get(struct store *st, const char *system_id, struct partner *out);
/* store_partner_list through the mapping; *out is malloc'd (free it).  Its returns. */
int partner_db_list(struct store *st, struct partner **out);

#endif
