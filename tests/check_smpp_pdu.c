/* SPDX-License-Identifier: ISC */
/*
 * smpp: framing and the codec wrapper.  Golden PDUs as hex with the SMPP 3.4
 * section they follow; every truncated length and every split point of each;
 * a table of malformed PDUs with the exact command_status they must get.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "smpp_goldens.h"
#include "testutil.h"

static int golden_bytes(int i, uint8_t *buf, size_t cap)
{
    int n = tu_hex(smpp_goldens[i].hex, buf, cap);

    ck_assert_msg(n >= 16, "%s: bad hex", smpp_goldens[i].name);
    return n;
}

/* Every golden decodes, and re-encodes to exactly the same octets. */
START_TEST(test_golden_roundtrip)
{
    uint8_t in[512], out[SMPP_PDU_MAX + 1];
    struct smpp_pdu pdu;
    struct smpp_decode_error err;
    int n = golden_bytes(_i, in, sizeof(in)), m;

    ck_assert_msg(smpp_pdu_decode(in, (size_t)n, &pdu, &err) == 0, "%s: decode failed (%s)",
                  smpp_goldens[_i].name, smpp_status_name(err.status));
    m = smpp_pdu_encode(&pdu, out, sizeof(out));
    ck_assert_int_eq(m, n);
    ck_assert_msg(memcmp(in, out, (size_t)n) == 0, "%s: re-encoding differs",
                  smpp_goldens[_i].name);
}
END_TEST

START_TEST(test_golden_fields)
{
    uint8_t in[512];
    struct smpp_pdu p;
    struct smpp_decode_error err;
    int n;

    n = golden_bytes(4, in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.command_id, SMPP_BIND_TRANSCEIVER);
    ck_assert_str_eq(p.bind.system_id, "kpass");
    ck_assert_str_eq(p.bind.password, "secret");
    ck_assert_uint_eq(p.bind.interface_version, 0x34);

    n = golden_bytes(6, in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.command_id, SMPP_SUBMIT_SM);
    ck_assert_uint_eq(p.sequence_number, 3);
    ck_assert_str_eq(p.sm.source_addr, "923001234567");
    ck_assert_uint_eq(p.sm.source_addr_ton, 1);
    ck_assert_str_eq(p.sm.destination_addr, "789");
    ck_assert_uint_eq(p.sm.sm_length, 5);
    ck_assert(memcmp(p.sm.short_message, "*789#", 5) == 0);
    ck_assert(p.tlv.present & SMPP_TLV_USSD_SERVICE_OP);
    ck_assert_uint_eq(p.tlv.ussd_service_op, 1);
    ck_assert(p.tlv.present & SMPP_TLV_ITS_SESSION_INFO);
    ck_assert_uint_eq(p.tlv.its_session_info, 0x0100);

    n = golden_bytes(7, in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_str_eq(p.message_id, "abc");

    n = golden_bytes(10, in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.tlv.payload_len, 5);
    ck_assert(memcmp(p.tlv.message_payload, "hello", 5) == 0);
    ck_assert_uint_eq(p.tlv.user_message_reference, 0x0102);
}
END_TEST

/* Framing sees a PDU only once 16 octets are there, and never misreads a split. */
START_TEST(test_frame_every_split)
{
    uint8_t in[512];
    struct smpp_hdr h;
    int n = golden_bytes(_i, in, sizeof(in));

    for (int k = 0; k <= n; k++) {
        int r = smpp_frame_check(in, (size_t)k, &h);
        if (k < SMPP_HEADER_LEN) {
            ck_assert_int_eq(r, 0);
        } else {
            ck_assert_int_eq(r, n);
            ck_assert_uint_eq(h.command_length, (uint32_t)n);
        }
    }
}
END_TEST

/* A PDU cut short (its command_length saying so) never decodes as a request,
   never crashes, and always yields its header so that it can be answered. */
START_TEST(test_decode_every_truncation)
{
    uint8_t in[512], cut[512];
    struct smpp_pdu p;
    struct smpp_decode_error err;
    struct smpp_hdr h;
    int n = golden_bytes(_i, in, sizeof(in));

    ck_assert_int_eq(smpp_frame_check(in, (size_t)n, &h), n);
    for (int k = SMPP_HEADER_LEN; k < n; k++) {
        memcpy(cut, in, (size_t)k);
        cut[0] = 0;
        cut[1] = 0;
        cut[2] = (uint8_t)(k >> 8);
        cut[3] = (uint8_t)k;
        int r = smpp_pdu_decode(cut, (size_t)k, &p, &err);
        ck_assert_uint_eq(p.command_id, h.command_id);
        ck_assert_uint_eq(p.sequence_number, h.sequence_number);
        if (r == 0) {
            /* Only a prefix that ends exactly between parameters may decode:
               a response without its optional body, or a PDU without its TLVs. */
            ck_assert_msg(smpp_is_resp(h.command_id) || h.command_id == SMPP_SUBMIT_SM ||
                              h.command_id == SMPP_DATA_SM,
                          "%s cut at %d decoded", smpp_goldens[_i].name, k);
        }
    }
    /* A buffer shorter than the length it claims is refused outright. */
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n - 1, &p, &err), -KP_ERR_PARSE);
    ck_assert_int_eq(err.nack, 1);
    ck_assert_uint_eq(err.status, SMPP_ESME_RINVCMDLEN);
}
END_TEST

static const struct {
    const char *name;
    uint32_t length;  /* 0: use the real length */
    int expect_frame; /* smpp_frame_check result sign */
} frame_lengths[] = {
    {"15", 15, -1}, {"0", 0x00000000, -1}, {"65537", 65537, -1}, {"huge", 0xFFFFFFFFu, -1},
    {"16", 16, 1},  {"65536", 65536, 1},
};

START_TEST(test_frame_length_bounds)
{
    uint8_t b[16] = {0};
    struct smpp_hdr h;
    uint32_t l = frame_lengths[_i].length;
    int r;

    b[0] = (uint8_t)(l >> 24);
    b[1] = (uint8_t)(l >> 16);
    b[2] = (uint8_t)(l >> 8);
    b[3] = (uint8_t)l;
    r = smpp_frame_check(b, sizeof(b), &h);
    if (frame_lengths[_i].expect_frame < 0)
        ck_assert_int_eq(r, -KP_ERR_RANGE);
    else
        ck_assert_int_eq(r, (int)l);
}
END_TEST

START_TEST(test_decode_bad)
{
    uint8_t in[512];
    struct smpp_pdu p;
    struct smpp_decode_error err;
    int n = tu_hex(smpp_bad[_i].hex, in, sizeof(in));
    int rc;

    ck_assert_msg(n >= 16, "%s: bad hex", smpp_bad[_i].name);
    /* command_length always matches the octets here: what is wrong is inside. */
    in[2] = (uint8_t)(n >> 8);
    in[3] = (uint8_t)n;
    rc = smpp_pdu_decode(in, (size_t)n, &p, &err);
    ck_assert_msg(rc == smpp_bad[_i].rc, "%s: rc %d", smpp_bad[_i].name, rc);
    ck_assert_msg(err.nack == smpp_bad[_i].nack, "%s: nack %d", smpp_bad[_i].name, err.nack);
    ck_assert_msg(err.status == smpp_bad[_i].status, "%s: %s, want %s", smpp_bad[_i].name,
                  smpp_status_name(err.status), smpp_status_name(smpp_bad[_i].status));
    /* The header is known even when the body is not: enough to answer. */
    ck_assert_uint_eq(p.sequence_number, (uint32_t)in[15]);
}
END_TEST

/* What libsmpp34 alone would refuse, but SMPP allows. */
START_TEST(test_decode_lenient)
{
    uint8_t in[128];
    struct smpp_pdu p;
    struct smpp_decode_error err;
    int n;

    /* interface_version 0x33 (an SMPP 3.3 ESME binding): decoded, value kept. */
    n = tu_hex("00000022 00000002 00000000 00000001 6b7061737300 73656372657400 00 33 00 00 00", in,
               sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.bind.interface_version, 0x33);
    ck_assert_str_eq(p.bind.system_id, "kpass");

    /* A vendor command_status (0x400-0x4FF) in a response. */
    n = tu_hex("00000010 80000004 00000401 00000005", in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.command_status, 0x401);
    ck_assert_str_eq(smpp_status_name(0x401), "vendor");

    /* Sequence number 0. */
    n = tu_hex("00000014 80000004 00000000 00000000 61626300", in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.sequence_number, 0);
    ck_assert_str_eq(p.message_id, "abc");

    /* An unknown vendor TLV (0x1400) is ignored (SMPP 3.4 §3.2.4). */
    n = tu_hex("0000002d 00000004 00000000 00000003 00 01 01 393200 00 00 37383900"
               "00 00 00 00 00 00 00 00 00 01 2a 1400 0002 abcd",
               in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.tlv.present, 0);

    /* A short_message without a NUL anywhere: the sentinel keeps libsmpp34 in bounds. */
    n = tu_hex("00000029 00000004 00000000 00000003 00 01 01 393200 00 00 37383900"
               "00 00 00 00 00 00 00 00 00 03 414243",
               in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.sm.sm_length, 3);
}
END_TEST

START_TEST(test_encode_refusals)
{
    struct smpp_pdu p;
    uint8_t out[SMPP_PDU_MAX + 1];
    int n;

    smpp_pdu_init(&p, SMPP_SUBMIT_SM_RESP, 9);
    p.command_status = SMPP_ESME_RTHROTTLED;
    n = smpp_pdu_encode(&p, out, sizeof(out));
    /* SMPP 3.4 §4.4.2: no message_id when command_status is not 0. */
    ck_assert_int_eq(n, 16);
    ck_assert_uint_eq(out[11], 0x58);

    smpp_pdu_init(&p, SMPP_QUERY_SM_RESP, 9);
    p.command_status = 0x67;
    n = smpp_pdu_encode(&p, out, sizeof(out));
    ck_assert_int_gt(n, 16);
    ck_assert_uint_eq(out[11], 0x67);

    smpp_pdu_init(&p, SMPP_SUBMIT_SM, 1);
    memset(p.sm.source_addr, '9', 30);
    p.sm.source_addr[30] = '\0';
    ck_assert_int_eq(smpp_pdu_encode(&p, out, sizeof(out)), -KP_ERR_INVAL);

    smpp_pdu_init(&p, 0x99, 1);
    ck_assert_int_eq(smpp_pdu_encode(&p, out, sizeof(out)), -KP_ERR_INVAL);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(smpp_command_name(SMPP_BIND_TRANSCEIVER_RESP), "bind_transceiver_resp");
    ck_assert_ptr_null(smpp_command_name(0x99));
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RTHROTTLED), "ESME_RTHROTTLED");
    ck_assert_str_eq(smpp_status_name(0x500), "reserved");
    ck_assert_uint_eq(smpp_resp_id(SMPP_SUBMIT_SM), SMPP_SUBMIT_SM_RESP);
}
END_TEST

Suite *suite_smpp_pdu(void)
{
    Suite *s = suite_create("smpp_pdu");
    TCase *tc = tcase_create("golden");
    int ng = (int)KP_ARRAY_LEN(smpp_goldens);

    tcase_add_loop_test(tc, test_golden_roundtrip, 0, ng);
    tcase_add_test(tc, test_golden_fields);
    tcase_add_loop_test(tc, test_frame_every_split, 0, ng);
    tcase_add_loop_test(tc, test_decode_every_truncation, 0, ng);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_loop_test(tc, test_frame_length_bounds, 0, (int)KP_ARRAY_LEN(frame_lengths));
    tcase_add_loop_test(tc, test_decode_bad, 0, (int)KP_ARRAY_LEN(smpp_bad));
    tcase_add_test(tc, test_decode_lenient);
    tcase_add_test(tc, test_encode_refusals);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}
