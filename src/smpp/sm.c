/* SPDX-License-Identifier: ISC */
/*
 * The hot PDUs, encoded and decoded by kpass alone: submit_sm, deliver_sm,
 * data_sm and their responses (SMPP 3.4 §4.4, §4.6, §4.7), every one of a
 * USSD hop.  libsmpp34 formats each field it packs or unpacks into its
 * error text with snprintf, wanted or not: under USSD load that was a third
 * of kpassd's CPU (doc/PERFORMANCE.md, issue 14).  Here each body is one
 * table of fields walked in the order of the spec, with libsmpp34's limits
 * and answers, so that both codecs refuse the same inputs with the same
 * command_status; libsmpp34 keeps the session PDUs (binds, outbind) and is
 * the oracle of tests/check_smpp_diff.c and tests/fuzz/fuzz_smpp_diff.c.
 *
 * Where libsmpp34 (1.14) is wrong and kpass deliberately differs:
 *   - data_sm source_addr is up to 64 characters (SMPP 3.4 §4.7.1, as
 *     destination_addr); libsmpp34 caps it at 20 like submit_sm's.
 *   - short_message of 254 octets is encoded (SMPP 3.4 §4.4.1: 0-254);
 *     libsmpp34 packs at most 253 (it decodes 254).
 *
 * Both refuse a deliver_sm whose schedule_delivery_time or validity_period
 * is not NULL (§4.6.1), and a 16-octet deliver_sm_resp (its message_id,
 * one NUL, is mandatory, §4.6.2).
 *
 * Pure: bytes in, structs out; no logging, no allocation.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"
#include "smpp_internal.h"

enum sm_kind {
    SM_CSTR,     /* C-octet string of at most max octets with its NUL */
    SM_OPT_CSTR, /* the same, present only when command_status is 0 (§4.4.2) */
    SM_NUL,      /* a single NUL: deliver_sm_resp's unused message_id (§4.6.2) */
    SM_TON,      /* type of number, SMPP 3.4 §5.2.5 */
    SM_NPI,      /* numbering plan indicator, SMPP 3.4 §5.2.6 */
    SM_OCTET,    /* any value */
    SM_MESSAGE,  /* sm_length, then that many octets of short_message (§5.2.21) */
};

struct sm_field {
    uint8_t kind;
    uint8_t max;     /* SM_CSTR: octets with the NUL; SM_MESSAGE: octets */
    uint16_t off;    /* in struct smpp_pdu */
    uint16_t size;   /* of that member */
    uint16_t status; /* the command_status a refused value gets */
};

#define SM_MEMBER(m) offsetof(struct smpp_pdu, m), sizeof(((struct smpp_pdu *)0)->m)
#define SM_C(m, max, st)                                                                           \
    {                                                                                              \
        SM_CSTR, (max), SM_MEMBER(m), (st)                                                         \
    }
#define SM_1(m)                                                                                    \
    {                                                                                              \
        SM_OCTET, 0, SM_MEMBER(m), 0                                                               \
    }

/* SMPP 3.4 §4.4.1 (submit_sm) and §4.6.1 (deliver_sm), which has the two
   times always NULL: times is 17 for the one and 1 for the other. */
#define SM_SHORT_BODY(times)                                                                       \
    SM_C(sm.service_type, 6, SMPP_ESME_RINVSERTYP),                                                \
        {SM_TON, 0, SM_MEMBER(sm.source_addr_ton), SMPP_ESME_RINVSRCTON},                          \
        {SM_NPI, 0, SM_MEMBER(sm.source_addr_npi), SMPP_ESME_RINVSRCNPI},                          \
        SM_C(sm.source_addr, 21, SMPP_ESME_RINVSRCADR),                                            \
        {SM_TON, 0, SM_MEMBER(sm.dest_addr_ton), SMPP_ESME_RINVDSTTON},                            \
        {SM_NPI, 0, SM_MEMBER(sm.dest_addr_npi), SMPP_ESME_RINVDSTNPI},                            \
        SM_C(sm.destination_addr, 21, SMPP_ESME_RINVDSTADR), SM_1(sm.esm_class),                   \
        SM_1(sm.protocol_id), SM_1(sm.priority_flag),                                              \
        SM_C(sm.schedule_delivery_time, (times), SMPP_ESME_RINVSCHED),                             \
        SM_C(sm.validity_period, (times), SMPP_ESME_RINVEXPIRY), SM_1(sm.registered_delivery),     \
        SM_1(sm.replace_if_present_flag), SM_1(sm.data_coding), SM_1(sm.sm_default_msg_id),        \
    {                                                                                              \
        SM_MESSAGE, 254, SM_MEMBER(sm.short_message), SMPP_ESME_RINVMSGLEN                         \
    }

static const struct sm_field sm_submit[] = {SM_SHORT_BODY(17)};
static const struct sm_field sm_deliver[] = {SM_SHORT_BODY(1)};

/* SMPP 3.4 §4.7.1 */
static const struct sm_field sm_data[] = {
    SM_C(sm.service_type, 6, SMPP_ESME_RINVSERTYP),
    {SM_TON, 0, SM_MEMBER(sm.source_addr_ton), SMPP_ESME_RINVSRCTON},
    {SM_NPI, 0, SM_MEMBER(sm.source_addr_npi), SMPP_ESME_RINVSRCNPI},
    SM_C(sm.source_addr, 65, SMPP_ESME_RINVSRCADR),
    {SM_TON, 0, SM_MEMBER(sm.dest_addr_ton), SMPP_ESME_RINVDSTTON},
    {SM_NPI, 0, SM_MEMBER(sm.dest_addr_npi), SMPP_ESME_RINVDSTNPI},
    SM_C(sm.destination_addr, 65, SMPP_ESME_RINVDSTADR),
    SM_1(sm.esm_class),
    SM_1(sm.registered_delivery),
    SM_1(sm.data_coding),
};

/* SMPP 3.4 §4.4.2, §4.6.2, §4.7.2 */
static const struct sm_field sm_submit_resp[] = {
    {SM_OPT_CSTR, 65, SM_MEMBER(message_id), SMPP_ESME_RINVMSGID}};
static const struct sm_field sm_deliver_resp[] = {
    {SM_NUL, 1, SM_MEMBER(message_id), SMPP_ESME_RINVMSGID}};
static const struct sm_field sm_data_resp[] = {SM_C(message_id, 65, SMPP_ESME_RINVMSGID)};

struct sm_layout {
    const struct sm_field *f;
    unsigned n;
    int tlvs; /* optional parameters may follow (§3.2.4) */
};

static int sm_layout(uint32_t id, struct sm_layout *l)
{
#define SM_LAYOUT(t, has)                                                                          \
    do {                                                                                           \
        l->f = (t);                                                                                \
        l->n = sizeof(t) / sizeof((t)[0]);                                                         \
        l->tlvs = (has);                                                                           \
    } while (0)
    switch (id) {
    case SMPP_SUBMIT_SM:
        SM_LAYOUT(sm_submit, 1);
        return 0;
    case SMPP_DELIVER_SM:
        SM_LAYOUT(sm_deliver, 1);
        return 0;
    case SMPP_DATA_SM:
        SM_LAYOUT(sm_data, 1);
        return 0;
    case SMPP_SUBMIT_SM_RESP:
        SM_LAYOUT(sm_submit_resp, 0);
        return 0;
    case SMPP_DELIVER_SM_RESP:
        SM_LAYOUT(sm_deliver_resp, 0);
        return 0;
    case SMPP_DATA_SM_RESP:
        SM_LAYOUT(sm_data_resp, 1);
        return 0;
    default:
        return -KP_ERR_UNSUPPORTED;
    }
#undef SM_LAYOUT
}

int smpp_sm_handles(uint32_t command_id)
{
    struct sm_layout l;

    return sm_layout(command_id, &l) == 0;
}

/* SMPP 3.4 Table 5-3: 0..6. */
static int sm_ton_ok(uint8_t v)
{
    return v <= 6;
}

/* SMPP 3.4 Table 5-4: unknown, ISDN, data, telex, land mobile, national,
   private, ERMES, Internet, WAP client id. */
static int sm_npi_ok(uint8_t v)
{
    switch (v) {
    case 0:
    case 1:
    case 3:
    case 4:
    case 6:
    case 8:
    case 9:
    case 10:
    case 14:
    case 18:
        return 1;
    default:
        return 0;
    }
}

/* A refusal: in the command's own response (nack 0) or as generic_nack. */
static int sm_refuse(struct smpp_decode_error *err, int nack, uint32_t status)
{
    err->nack = nack;
    err->status = status;
    return -KP_ERR_PARSE;
}

/* A field that runs past the body: the length is wrong (SMPP 3.4 §3.2). */
#define SM_CUT(err) sm_refuse((err), 1, SMPP_ESME_RINVCMDLEN)

/* Decode one field at *off; buf holds len octets. */
static int sm_field_decode(const struct sm_field *f, const uint8_t *buf, size_t len, size_t *off,
                           struct smpp_pdu *out, struct smpp_decode_error *err)
{
    uint8_t *dst = (uint8_t *)out + f->off;
    size_t n;

    if (f->kind == SM_OPT_CSTR && out->command_status != 0)
        return 0;
    if (*off >= len)
        return SM_CUT(err);
    switch (f->kind) {
    case SM_CSTR:
    case SM_OPT_CSTR:
    case SM_NUL:
        n = strnlen((const char *)buf + *off, len - *off);
        if (n == len - *off)
            return SM_CUT(err); /* no NUL before the end */
        if (n + 1 > f->max)
            return sm_refuse(err, 0, f->status);
        memcpy(dst, buf + *off, n + 1); /* size >= max: it fits */
        *off += n + 1;
        return 0;
    case SM_TON:
    case SM_NPI:
        if (f->kind == SM_TON ? !sm_ton_ok(buf[*off]) : !sm_npi_ok(buf[*off]))
            return sm_refuse(err, 0, f->status);
        /* FALLTHROUGH */
    case SM_OCTET:
        *dst = buf[(*off)++];
        return 0;
    default: /* SM_MESSAGE */
        n = buf[(*off)++];
        out->sm.sm_length = (uint8_t)n;
        if (n > len - *off)
            return SM_CUT(err);
        if (n > f->max)
            return sm_refuse(err, 0, f->status);
        memcpy(dst, buf + *off, n);
        *off += n;
        return 0;
    }
}

int smpp_sm_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                   struct smpp_decode_error *err)
{
    struct sm_layout l;
    size_t off = SMPP_HEADER_LEN;
    int rc;

    if (sm_layout(out->command_id, &l) < 0)
        return -KP_ERR_UNSUPPORTED;
    for (unsigned i = 0; i < l.n; i++)
        if ((rc = sm_field_decode(&l.f[i], buf, len, &off, out, err)) < 0)
            return rc;
    if (l.tlvs)
        return smpp_tlvs_parse(buf + off, len - off, SMPP_PDU_TLV_MAX, &out->tlv, err);
    return off == len ? 0 : SM_CUT(err);
}

/* Encode one field at *pos; -KP_ERR_INVAL for a value SMPP does not allow. */
static int sm_field_encode(const struct sm_field *f, const struct smpp_pdu *pdu, uint8_t *buf,
                           size_t cap, size_t *pos)
{
    const uint8_t *src = (const uint8_t *)pdu + f->off;
    size_t n;

    switch (f->kind) {
    case SM_OPT_CSTR:
        if (pdu->command_status != 0)
            return 0;
        /* FALLTHROUGH */
    case SM_CSTR:
        n = strnlen((const char *)src, f->size);
        if (n + 1 > f->max)
            return -KP_ERR_INVAL;
        if (*pos + n + 1 > cap)
            return -KP_ERR_TOOLONG;
        memcpy(buf + *pos, src, n);
        buf[*pos + n] = '\0';
        *pos += n + 1;
        return 0;
    case SM_NUL:
        n = 0;
        break;
    case SM_TON:
    case SM_NPI:
        if (f->kind == SM_TON ? !sm_ton_ok(*src) : !sm_npi_ok(*src))
            return -KP_ERR_INVAL;
        /* FALLTHROUGH */
    case SM_OCTET:
        if (*pos + 1 > cap)
            return -KP_ERR_TOOLONG;
        buf[(*pos)++] = *src;
        return 0;
    default: /* SM_MESSAGE */
        n = pdu->sm.sm_length;
        if (n > f->max)
            return -KP_ERR_INVAL;
        break;
    }
    if (*pos + 1 + n > cap)
        return -KP_ERR_TOOLONG;
    if (f->kind == SM_NUL) {
        buf[(*pos)++] = '\0';
        return 0;
    }
    buf[(*pos)++] = (uint8_t)n;
    memcpy(buf + *pos, src, n);
    *pos += n;
    return 0;
}

int smpp_sm_encode(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap, size_t *pos)
{
    struct sm_layout l;
    int rc;

    if (sm_layout(pdu->command_id, &l) < 0)
        return -KP_ERR_INVAL;
    if (cap < SMPP_HEADER_LEN)
        return -KP_ERR_TOOLONG;
    *pos = SMPP_HEADER_LEN;
    for (unsigned i = 0; i < l.n; i++)
        if ((rc = sm_field_encode(&l.f[i], pdu, buf, cap, pos)) < 0)
            return rc;
    return l.tlvs;
}
