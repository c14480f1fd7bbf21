/* SPDX-License-Identifier: ISC */
/*
 * Concatenated SMS reassembled (see sms/concat.h): reading a part's place
 * from its UDH or sar_* parameters, and a few slots of messages waiting
 * for their other parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/sms/concat.h"

#define SMS_UDHI 0x40 /* esm_class: the user data begins with a header (SMPP 3.4 §5.2.12) */

struct sms_concat_slot {
    int used;
    char from[24];
    unsigned ref, total, have;
    uint8_t dc;
    uint64_t first_ms;
    uint16_t len[SMS_CONCAT_PARTS];
    uint8_t *part[SMS_CONCAT_PARTS]; /* NULL until it came */
};

struct sms_concat {
    struct sms_concat_slot slot[SMS_CONCAT_SLOTS];
};

static int sms_concat_place(unsigned ref, unsigned total, unsigned seq, size_t skip,
                            struct sms_concat_info *out)
{
    if (total < 2 || total > SMS_CONCAT_PARTS || seq < 1 || seq > total)
        return -KP_ERR_PARSE;
    *out = (struct sms_concat_info){1, ref, total, seq, skip};
    return 0;
}

/* The UDH's information elements (TS 23.040 §9.2.3.24): IEI, length, data. */
static int sms_concat_udh(const uint8_t *data, size_t len, struct sms_concat_info *out)
{
    size_t udhl, i;

    if (len < 1 || (udhl = data[0]) + 1 > len)
        return -KP_ERR_PARSE;
    out->skip = udhl + 1;
    for (i = 1; i + 2 <= udhl + 1;) {
        uint8_t iei = data[i], iel = data[i + 1];
        const uint8_t *v = data + i + 2;
        if (i + 2 + iel > udhl + 1)
            return -KP_ERR_PARSE;
        if (iei == 0x00 && iel == 3)
            return sms_concat_place(v[0], v[1], v[2], udhl + 1, out);
        if (iei == 0x08 && iel == 4)
            return sms_concat_place((unsigned)v[0] << 8 | v[1], v[2], v[3], udhl + 1, out);
        i += 2 + (size_t)iel;
    }
    return 0; /* a header without concatenation: the message is whole */
}

int sms_concat_info(const struct smpp_pdu *p, const uint8_t *data, size_t len,
                    struct sms_concat_info *out)
{
    memset(out, 0, sizeof(*out));
    if (p->sm.esm_class & SMS_UDHI)
        return sms_concat_udh(data, len, out);
    if (p->tlv.present & SMPP_TLV_SAR)
        return sms_concat_place(p->tlv.sar_msg_ref_num, p->tlv.sar_total_segments,
                                p->tlv.sar_segment_seqnum, 0, out);
    return 0;
}

struct sms_concat *sms_concat_new(void)
{
    return kp_calloc(1, sizeof(struct sms_concat));
}

static void sms_concat_clear(struct sms_concat_slot *s)
{
    for (unsigned i = 0; i < SMS_CONCAT_PARTS; i++)
        free(s->part[i]);
    memset(s, 0, sizeof(*s));
}

void sms_concat_free(struct sms_concat *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < SMS_CONCAT_SLOTS; i++)
        sms_concat_clear(&c->slot[i]);
    free(c);
}

static void sms_concat_expire(struct sms_concat *c, uint64_t now_ms)
{
    for (unsigned i = 0; i < SMS_CONCAT_SLOTS; i++)
        if (c->slot[i].used && now_ms - c->slot[i].first_ms > SMS_CONCAT_WAIT_MS)
            sms_concat_clear(&c->slot[i]);
}

/* The slot of (from, ref, total): found, else a free one, else the oldest, cleared. */
static struct sms_concat_slot *sms_concat_slot(struct sms_concat *c, const char *from,
                                               const struct sms_concat_info *info, uint64_t now_ms)
{
    struct sms_concat_slot *free_slot = NULL, *oldest = &c->slot[0];

    for (unsigned i = 0; i < SMS_CONCAT_SLOTS; i++) {
        struct sms_concat_slot *s = &c->slot[i];
        if (!s->used) {
            if (free_slot == NULL)
                free_slot = s;
            continue;
        }
        if (s->ref == info->ref && s->total == info->total && strcmp(s->from, from) == 0)
            return s;
        if (s->first_ms < oldest->first_ms || !oldest->used)
            oldest = s;
    }
    if (free_slot == NULL) {
        sms_concat_clear(oldest);
        free_slot = oldest;
    }
    free_slot->used = 1;
    snprintf(free_slot->from, sizeof(free_slot->from), "%s", from);
    free_slot->ref = info->ref;
    free_slot->total = info->total;
    free_slot->first_ms = now_ms;
    return free_slot;
}

int sms_concat_add(struct sms_concat *c, const char *from, const struct sms_concat_info *info,
                   uint8_t dc, const uint8_t *data, size_t len, uint64_t now_ms, struct kp_buf *out,
                   uint8_t *dc_out)
{
    struct sms_concat_slot *s;
    unsigned k = info->seq - 1;

    sms_concat_expire(c, now_ms);
    s = sms_concat_slot(c, from, info, now_ms);
    if (s->have > 0 && s->dc != dc)
        return -KP_ERR_PARSE;
    if (s->part[k] != NULL)
        return 0; /* sent again: the first copy stands */
    s->dc = dc;
    s->part[k] = kp_malloc(len ? len : 1);
    if (len)
        memcpy(s->part[k], data, len);
    s->len[k] = (uint16_t)len;
    if (++s->have < s->total)
        return 0;
    for (unsigned i = 0; i < s->total; i++)
        kp_buf_append(out, s->part[i], s->len[i]);
    *dc_out = s->dc;
    sms_concat_clear(s);
    return 1;
}

unsigned sms_concat_pending(struct sms_concat *c, uint64_t now_ms)
{
    unsigned n = 0;

    sms_concat_expire(c, now_ms);
    for (unsigned i = 0; i < SMS_CONCAT_SLOTS; i++)
        n += c->slot[i].used != 0;
    return n;
}
