/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: kpass's own codec for submit_sm, deliver_sm, data_sm and
 * their responses (src/smpp/sm.c) against libsmpp34 as the oracle.  The
 * input is one PDU (its command_length patched to the input's length, so
 * that bodies, not framing, are explored); both codecs must refuse it with
 * the same command_status or decode the same mandatory fields, and encode
 * the same octets.  Where libsmpp34 is wrong and kpass deliberately differs
 * (listed in sm.c) the difference is allowed, by name, and nowhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/smpp/smpp_internal.h"
#include "fuzz.h"
#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"
#include "smpp_diff.h"

#define DIFF(...)                                                                                  \
    do {                                                                                           \
        snprintf(why, whysize, __VA_ARGS__);                                                       \
        return -1;                                                                                 \
    } while (0)

/* The fields both codecs fill for this command_id, compared one by one. */
static int diff_fields(const struct smpp_pdu *a, const struct smpp_pdu *b, char *why,
                       size_t whysize)
{
    const struct smpp_sm *x = &a->sm, *y = &b->sm;

#define DIFF_STR(f)                                                                                \
    if (strcmp(x->f, y->f) != 0)                                                                   \
    DIFF(#f ": '%s' against '%s'", x->f, y->f)
#define DIFF_INT(f)                                                                                \
    if (x->f != y->f)                                                                              \
    DIFF(#f ": %u against %u", (unsigned)x->f, (unsigned)y->f)
    if (a->command_id != b->command_id || a->command_status != b->command_status ||
        a->sequence_number != b->sequence_number)
        DIFF("header");
    if (strcmp(a->message_id, b->message_id) != 0)
        DIFF("message_id: '%s' against '%s'", a->message_id, b->message_id);
    if (a->bind.interface_version != b->bind.interface_version)
        DIFF("interface_version");
    DIFF_STR(service_type);
    DIFF_INT(source_addr_ton);
    DIFF_INT(source_addr_npi);
    DIFF_STR(source_addr);
    DIFF_INT(dest_addr_ton);
    DIFF_INT(dest_addr_npi);
    DIFF_STR(destination_addr);
    DIFF_INT(esm_class);
    DIFF_INT(protocol_id);
    DIFF_INT(priority_flag);
    DIFF_STR(schedule_delivery_time);
    DIFF_STR(validity_period);
    DIFF_INT(registered_delivery);
    DIFF_INT(replace_if_present_flag);
    DIFF_INT(data_coding);
    DIFF_INT(sm_default_msg_id);
    DIFF_INT(sm_length);
    if (memcmp(x->short_message, y->short_message, x->sm_length) != 0)
        DIFF("short_message");
    if (memcmp(&a->tlv, &b->tlv, offsetof(struct smpp_tlvs, message_payload)) != 0 ||
        memcmp(a->tlv.message_payload, b->tlv.message_payload, a->tlv.payload_len) != 0)
        DIFF("optional parameters");
#undef DIFF_STR
#undef DIFF_INT
    return 0;
}

/* data_sm source_addr of 21..64 characters: SMPP 3.4 §4.7.1 allows 65
   octets, libsmpp34 21 (sm.c). */
static int diff_long_data_source(const uint8_t *buf, size_t len)
{
    size_t off = SMPP_HEADER_LEN, n;

    if (len < SMPP_HEADER_LEN + 8 || buf[7] != 0x03 || buf[6] != 0x01 || buf[4] || buf[5])
        return 0;
    n = strnlen((const char *)buf + off, len - off); /* service_type */
    off += n + 1 + 2;
    if (off >= len)
        return 0;
    n = strnlen((const char *)buf + off, len - off);
    return n >= 21 && n < 65 && n < len - off;
}

static int diff_decode(const uint8_t *buf, size_t len, struct smpp_pdu *a, char *why,
                       size_t whysize)
{
    static struct smpp_pdu b;
    struct smpp_decode_error ea = {0, 0}, eb = {0, 0};
    int ra = smpp_pdu_decode(buf, len, a, &ea);
    int rb = smpp_pdu_decode_libsmpp34(buf, len, &b, &eb);

    if (rb == -KP_ERR_PARSE && eb.status == SMPP_ESME_RINVSRCADR && !eb.nack &&
        diff_long_data_source(buf, len))
        return 1; /* kpass's deliberate difference: libsmpp34 stops there, kpass reads on */
    if (ra != rb)
        DIFF("decode: kpass %d, libsmpp34 %d (%s)", ra, rb, smpp_status_name(eb.status));
    if (ra < 0 && (ea.status != eb.status || ea.nack != eb.nack))
        DIFF("refusal: kpass %s%s, libsmpp34 %s%s", smpp_status_name(ea.status),
             ea.nack ? " (nack)" : "", smpp_status_name(eb.status), eb.nack ? " (nack)" : "");
    if (ra < 0)
        return 1;
    return diff_fields(a, &b, why, whysize);
}

/* Where libsmpp34's encoder goes wrong and kpass's does not (sm.c). */
static int diff_encode_allowed(const struct smpp_pdu *p, int ra, int rb)
{
    if (ra > 0 && rb == -KP_ERR_INVAL && p->command_id != SMPP_DATA_SM && p->sm.sm_length == 254)
        return 1; /* libsmpp34 packs at most 253 octets */
    if (ra > 0 && rb == -KP_ERR_INVAL && p->command_id == SMPP_DATA_SM &&
        strnlen(p->sm.source_addr, sizeof(p->sm.source_addr)) >= 21)
        return 1; /* 65 octets in SMPP 3.4 §4.7.1, 21 in libsmpp34 */
    if (ra == SMPP_HEADER_LEN && rb == -KP_ERR_INVAL && p->command_id == SMPP_SUBMIT_SM_RESP &&
        p->command_status != 0)
        return 1; /* libsmpp34 checks a message_id it will not send (§4.4.2) */
    return 0;
}

static int diff_encode(const struct smpp_pdu *p, char *why, size_t whysize)
{
    static uint8_t a[SMPP_PDU_MAX + 1], b[SMPP_PDU_MAX + 1];
    int ra = smpp_pdu_encode(p, a, sizeof(a));
    int rb = smpp_pdu_encode_libsmpp34(p, b, sizeof(b));

    if (diff_encode_allowed(p, ra, rb))
        return 0;
    if ((ra < 0) != (rb < 0))
        DIFF("encode %s: kpass %d, libsmpp34 %d", smpp_command_name(p->command_id), ra, rb);
    if (ra > 0 && (ra != rb || memcmp(a, b, (size_t)ra) != 0))
        DIFF("encode %s: different octets (%d, %d)", smpp_command_name(p->command_id), ra, rb);
    return 0;
}

/* The hot commands, for the input taken as fields. */
static const uint32_t diff_ids[] = {SMPP_SUBMIT_SM,      SMPP_DELIVER_SM,      SMPP_DATA_SM,
                                    SMPP_SUBMIT_SM_RESP, SMPP_DELIVER_SM_RESP, SMPP_DATA_SM_RESP};

int smpp_diff_check(const uint8_t *buf, size_t len, char *why, size_t whysize)
{
    static struct smpp_pdu p;
    int rc = diff_decode(buf, len, &p, why, whysize);

    if (rc < 0)
        return rc;
    if (rc == 0 && smpp_sm_handles(p.command_id) && diff_encode(&p, why, whysize) < 0)
        return -1;
    /* The octets as fields: strings unterminated, values out of range. */
    memset(&p, 0, sizeof(p));
    memcpy(&p.sm, buf, len < sizeof(p.sm) ? len : sizeof(p.sm));
    p.command_id = diff_ids[len % (sizeof(diff_ids) / sizeof(diff_ids[0]))];
    p.command_status = len > 2 && buf[2] & 1 ? SMPP_ESME_RSYSERR : 0;
    p.sequence_number = 1;
    if (len > sizeof(p.sm))
        memcpy(p.message_id, buf + sizeof(p.sm),
               len - sizeof(p.sm) < sizeof(p.message_id) ? len - sizeof(p.sm)
                                                         : sizeof(p.message_id));
    return diff_encode(&p, why, whysize);
}

KP_FUZZ_TARGET(smpp_diff)
{
    static uint8_t buf[SMPP_PDU_MAX];
    char why[256];

    if (size < SMPP_HEADER_LEN || size > sizeof(buf))
        return 0;
    memcpy(buf, data, size);
    buf[0] = (uint8_t)(size >> 24);
    buf[1] = (uint8_t)(size >> 16);
    buf[2] = (uint8_t)(size >> 8);
    buf[3] = (uint8_t)size;
    if (smpp_diff_check(buf, size, why, sizeof(why)) < 0) {
        fprintf(stderr, "smpp_diff: %s\n", why);
        abort();
    }
    return 0;
}
