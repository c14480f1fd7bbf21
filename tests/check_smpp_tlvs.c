/* SPDX-License-Identifier: ISC */
/*
 * smpp tlvs: bodies with many optional parameters (SMPP 3.4 §3.2.4).
 * libsmpp34 logs each field and TLV it unpacks into a 2048-octet buffer and
 * wrote past its end once that was full, so a submit_sm with a hundred
 * empty TLVs from a bound partner overwrote memory and killed kpassd (found
 * by the ussd_mo fuzz target).  libsmpp34 now sees the mandatory fields
 * only and kpass walks the TLVs itself (src/smpp/tlv.c), refusing more
 * than 16 with ESME_RINVOPTPARSTREAM; with any TLVs of any tag behind the
 * longest mandatory fields the log stays short.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "testutil.h"

extern char smpp34_strerror[2048]; /* libsmpp34's log, read here only */

static uint8_t body[SMPP_PDU_MAX + 1];

static size_t put_str(size_t p, char c, size_t n)
{
    memset(body + p, c, n);
    body[p + n] = '\0';
    return p + n + 1;
}

/* A PDU of command id with its longest mandatory fields and ntlv TLVs of
   tag with vlen octets each; returns its length. */
static size_t pdu_build(uint32_t id, unsigned ntlv, uint16_t tag, uint16_t vlen)
{
    size_t p = SMPP_HEADER_LEN;

    if (id == SMPP_SUBMIT_SM || id == SMPP_DELIVER_SM || id == SMPP_DATA_SM) {
        p = put_str(p, 'U', 5); /* service_type */
        body[p++] = 1;
        body[p++] = 1;
        p = put_str(p, '9', 20); /* source_addr */
        body[p++] = 1;
        body[p++] = 1;
        p = put_str(p, '7', 20); /* destination_addr */
        body[p++] = 0;           /* esm_class */
        if (id == SMPP_DATA_SM) {
            body[p++] = 1; /* registered_delivery */
            body[p++] = 8; /* data_coding */
        } else {
            body[p++] = 0; /* protocol_id */
            body[p++] = 3; /* priority_flag */
            /* schedule_delivery_time and validity_period (SMPP 3.4 §7.1.1),
               which deliver_sm leaves empty (§4.6.1) */
            const char *t = id == SMPP_SUBMIT_SM ? "261231235959000+" : "";
            memcpy(body + p, t, strlen(t) + 1);
            p += strlen(t) + 1;
            memcpy(body + p, t, strlen(t) + 1);
            p += strlen(t) + 1;
            body[p++] = 1;
            body[p++] = 1;
            body[p++] = 8;
            body[p++] = 0;
            body[p++] = 253; /* the longest libsmpp34 takes */
            memset(body + p, 'A', 253);
            p += 253;
        }
    } else {
        p = put_str(p, 'M', id == SMPP_DATA_SM_RESP ? 64 : 15); /* message_id, system_id */
    }
    for (unsigned i = 0; i < ntlv && p + 4 + vlen <= SMPP_PDU_MAX; i++) {
        body[p++] = (uint8_t)(tag >> 8);
        body[p++] = (uint8_t)tag;
        body[p++] = (uint8_t)(vlen >> 8);
        body[p++] = (uint8_t)vlen;
        memset(body + p, 1, vlen);
        p += vlen;
    }
    body[0] = (uint8_t)(p >> 24);
    body[1] = (uint8_t)(p >> 16);
    body[2] = (uint8_t)(p >> 8);
    body[3] = (uint8_t)p;
    body[4] = (uint8_t)(id >> 24);
    body[5] = (uint8_t)(id >> 16);
    body[6] = (uint8_t)(id >> 8);
    body[7] = (uint8_t)id;
    memset(body + 8, 0, 4);
    memset(body + 12, 0, 3);
    body[15] = 9;
    return p;
}

static const uint32_t with_tlvs[] = {SMPP_SUBMIT_SM, SMPP_DELIVER_SM, SMPP_DATA_SM,
                                     SMPP_DATA_SM_RESP, SMPP_BIND_TRANSCEIVER_RESP};

/* How many TLVs are taken, and the answer to too many. */
static const struct {
    unsigned n;
    int refused;
} counts[] = {
    {0, 0}, {1, 0}, {4, 0}, {16, 0}, {17, 1}, {18, 1}, {100, 1}, {16000, 1},
};

START_TEST(test_tlv_count)
{
    static struct smpp_pdu pdu;
    struct smpp_decode_error err;

    for (size_t c = 0; c < KP_ARRAY_LEN(with_tlvs); c++) {
        size_t len = pdu_build(with_tlvs[c], counts[_i].n, 0x0204, 2); /* user_message_reference */
        int rc = smpp_pdu_decode(body, len, &pdu, &err);
        ck_assert_uint_lt(strlen(smpp34_strerror), sizeof(smpp34_strerror));
        if (counts[_i].refused) {
            ck_assert_int_eq(rc, -KP_ERR_PARSE);
            ck_assert_uint_eq(err.status, SMPP_ESME_RINVOPTPARSTREAM);
            ck_assert_int_eq(err.nack, 0); /* answered with the command's own response */
        } else if (with_tlvs[c] != SMPP_DATA_SM_RESP &&
                   with_tlvs[c] != SMPP_BIND_TRANSCEIVER_RESP) {
            ck_assert_msg(rc == 0, "command 0x%x with %u TLVs: %d (0x%x)", with_tlvs[c],
                          counts[_i].n, rc, err.status);
            ck_assert_uint_eq(!!(pdu.tlv.present & SMPP_TLV_USER_MESSAGE_REFERENCE),
                              counts[_i].n > 0);
        }
    }
}
END_TEST

/* Sixteen TLVs of every SMPP 3.4 tag (and unknown ones) behind the longest
   mandatory fields: libsmpp34's log stays inside its buffer. */
static const uint16_t tags[] = {
    0x0005, 0x0006, 0x0007, 0x0008, 0x000D, 0x000E, 0x000F, 0x0010, 0x0017, 0x0019, 0x001D, 0x001E,
    0x0030, 0x0201, 0x0202, 0x0203, 0x0204, 0x0205, 0x020A, 0x020B, 0x020C, 0x020D, 0x020E, 0x020F,
    0x0210, 0x0302, 0x0303, 0x0304, 0x0381, 0x0420, 0x0421, 0x0422, 0x0423, 0x0424, 0x0425, 0x0426,
    0x0427, 0x0501, 0x1201, 0x1203, 0x1204, 0x130C, 0x1380, 0x1383, 0x0000, 0x1400, 0xFFFF,
};

START_TEST(test_tlv_log_fits)
{
    static struct smpp_pdu pdu;
    struct smpp_decode_error err;
    static const uint16_t lens[] = {0, 1, 2, 4, 19, 65};

    for (size_t c = 0; c < KP_ARRAY_LEN(with_tlvs); c++) {
        for (size_t l = 0; l < KP_ARRAY_LEN(lens); l++) {
            size_t len = pdu_build(with_tlvs[c], 16, tags[_i], lens[l]);
            smpp_pdu_decode(body, len, &pdu, &err);
            ck_assert_msg(strlen(smpp34_strerror) < sizeof(smpp34_strerror) - 1,
                          "tag 0x%04x x16 in 0x%x: log %zu", tags[_i], with_tlvs[c],
                          strlen(smpp34_strerror));
        }
    }
}
END_TEST

Suite *suite_smpp_tlvs(void)
{
    Suite *s = suite_create("smpp_tlvs");
    TCase *tc = tcase_create("tlvs");

    tcase_add_loop_test(tc, test_tlv_count, 0, (int)KP_ARRAY_LEN(counts));
    tcase_add_loop_test(tc, test_tlv_log_fits, 0, (int)KP_ARRAY_LEN(tags));
    suite_add_tcase(s, tc);
    return s;
}
