/* SPDX-License-Identifier: ISC */
/*
 * The one mapping between the partner table's rows and the link layer's
 * partner configuration (see partner.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/core/addr.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/partner/partner.h"

void partner_from_row(const struct store_partner *row, struct partner *out)
{
    struct smpp_partner_conf *c = &out->conf;
    int bt, n;

    memset(out, 0, sizeof(*out));
    c->id = row->id;
    snprintf(c->system_id, sizeof(c->system_id), "%s", row->system_id);
    c->mode = strcmp(row->mode, "client") == 0 ? SMPP_PARTNER_CLIENT : SMPP_PARTNER_SERVER;
    snprintf(c->pwhash, sizeof(c->pwhash), "%s", row->pwhash);
    snprintf(out->password_enc, sizeof(out->password_enc), "%s", row->password_enc);
    snprintf(c->system_type, sizeof(c->system_type), "%s", row->system_type);
    snprintf(c->host, sizeof(c->host), "%s", row->host);
    c->port = row->port;
    bt = smpp_bind_type_parse(row->bind_type);
    c->bind_type = bt < 0 ? SMPP_BIND_TRX : (enum smpp_bind_type)bt;
    c->binds = row->binds;
    snprintf(out->cidrs_text, sizeof(out->cidrs_text), "%s", row->cidrs_text);
    n = kp_cidr_list_parse(out->cidrs_text, c->cidrs, SMPP_PARTNER_MAX_CIDRS);
    if (n < 0) {
        /* Written only through kpass, which checks it: treat a bad list as "nobody". */
        log_warnx("partner: %s has an unreadable allowed_cidrs list", c->system_id);
        kp_cidr_parse("255.255.255.255/32", &c->cidrs[0]);
        n = 1;
    }
    c->ncidrs = n;
    c->max_binds = row->max_binds;
    c->throughput = row->throughput;
    c->burst = row->burst;
    snprintf(c->profile, sizeof(c->profile), "%s", row->profile);
    c->carries_sms = row->carries_sms;
    c->enabled = row->enabled;
    c->gsm7_limit = row->gsm7_limit;
    c->ucs2_limit = row->ucs2_limit;
    snprintf(c->first_lang, sizeof(c->first_lang), "%s", row->first_lang);
    out->created_at = row->created_at;
    out->updated_at = row->updated_at;
}

void partner_to_row(const struct partner *p, struct store_partner *row)
{
    const struct smpp_partner_conf *c = &p->conf;

    memset(row, 0, sizeof(*row));
    row->id = c->id;
    snprintf(row->system_id, sizeof(row->system_id), "%s", c->system_id);
    snprintf(row->mode, sizeof(row->mode), "%s",
             c->mode == SMPP_PARTNER_CLIENT ? "client" : "server");
    snprintf(row->pwhash, sizeof(row->pwhash), "%s", c->pwhash);
    snprintf(row->password_enc, sizeof(row->password_enc), "%s", p->password_enc);
    snprintf(row->system_type, sizeof(row->system_type), "%s", c->system_type);
    snprintf(row->host, sizeof(row->host), "%s", c->host);
    row->port = c->port;
    snprintf(row->bind_type, sizeof(row->bind_type), "%s", smpp_bind_type_name(c->bind_type));
    row->binds = c->binds;
    snprintf(row->cidrs_text, sizeof(row->cidrs_text), "%s", p->cidrs_text);
    row->max_binds = c->max_binds;
    row->throughput = c->throughput;
    row->burst = c->burst;
    snprintf(row->profile, sizeof(row->profile), "%s", c->profile);
    row->carries_sms = c->carries_sms;
    row->enabled = c->enabled;
    row->gsm7_limit = c->gsm7_limit;
    row->ucs2_limit = c->ucs2_limit;
    snprintf(row->first_lang, sizeof(row->first_lang), "%s", c->first_lang);
    row->created_at = p->created_at;
    row->updated_at = p->updated_at;
}

/* The row copies are wiped: they hold the password hash or our sealed password. */
int partner_db_add(struct store *st, struct partner *p)
{
    struct store_partner row;
    int rc;

    partner_to_row(p, &row);
    if ((rc = store_partner_add(st, &row)) == 0)
        p->conf.id = row.id;
    sodium_memzero(&row, sizeof(row));
    return rc;
}

int partner_db_update(struct store *st, const struct partner *p)
{
    struct store_partner row;
    int rc;

    partner_to_row(p, &row);
    rc = store_partner_update(st, &row);
    sodium_memzero(&row, sizeof(row));
    return rc;
}

int partner_db_get(struct store *st, const char *system_id, struct partner *out)
{
    struct store_partner row;
    int rc = store_partner_get(st, system_id, &row);

    if (rc == 0)
        partner_from_row(&row, out);
    sodium_memzero(&row, sizeof(row));
    return rc;
}

int partner_db_list(struct store *st, struct partner **out)
{
    struct store_partner *rows;
    struct partner *v;
    int n = store_partner_list(st, &rows);

    *out = NULL;
    if (n <= 0)
        return n;
    v = kp_calloc((size_t)n, sizeof(*v));
    for (int i = 0; i < n; i++)
        partner_from_row(&rows[i], &v[i]);
    sodium_memzero(rows, (size_t)n * sizeof(*rows));
    free(rows);
    *out = v;
    return n;
}
