/* SPDX-License-Identifier: ISC */
/*
 * Concatenated SMS reassembled (sms/concat.h): where a part stands, read
 * from a UDH with an 8-bit (TS 23.040 §9.2.3.24.1) or 16-bit reference
 * (§9.2.3.24.8), from sar_* parameters (SMPP 3.4 §5.3.2.22-24), or
 * nowhere; malformed headers; parts out of order and twice; two messages
 * at once; parts that disagree on the coding; the oldest message dropped
 * when the slots are full, and one waiting too long.
 */
#include <check.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/sms/concat.h"
#include "testutil.h"

static const struct {
    const char *name;
    uint8_t esm_class;
    int sar; /* sar_* present: ref 0x1234, total 3, seq 2 */
    uint8_t data[12];
    size_t len;
    int rc;
    struct sms_concat_info want;
} info_cases[] = {
    {"plain", 0x00, 0, {'h', 'i'}, 2, 0, {0, 0, 0, 0, 0}},
    {"udh 8-bit", 0x40, 0, {5, 0x00, 3, 0xA7, 3, 1, 'h'}, 7, 0, {1, 0xA7, 3, 1, 6}},
    {"udh 16-bit", 0x40, 0, {6, 0x08, 4, 0x12, 0x34, 2, 2, 'h'}, 8, 0, {1, 0x1234, 2, 2, 7}},
    {"udh other IE first",
     0x40,
     0,
     {8, 0x24, 1, 0x01, 0x00, 3, 9, 4, 4, 'x'},
     10,
     0,
     {1, 9, 4, 4, 9}},
    {"udh without concat", 0x40, 0, {3, 0x24, 1, 0x01, 'x'}, 5, 0, {0, 0, 0, 0, 4}},
    {"sar", 0x00, 1, {'h'}, 1, 0, {1, 0x1234, 3, 2, 0}},
    {"udh over sar", 0x40, 1, {5, 0x00, 3, 7, 2, 1, 'h'}, 7, 0, {1, 7, 2, 1, 6}},
    {"udh longer than data", 0x40, 0, {9, 0x00, 3, 1, 2, 1}, 6, -KP_ERR_PARSE, {0}},
    {"element past the udh", 0x40, 0, {3, 0x00, 3, 1, 2, 1}, 6, -KP_ERR_PARSE, {0}},
    {"one part", 0x40, 0, {5, 0x00, 3, 1, 1, 1}, 6, -KP_ERR_PARSE, {0}},
    {"part 0", 0x40, 0, {5, 0x00, 3, 1, 2, 0}, 6, -KP_ERR_PARSE, {0}},
    {"part over total", 0x40, 0, {5, 0x00, 3, 1, 2, 3}, 6, -KP_ERR_PARSE, {0}},
    {"too many parts", 0x40, 0, {5, 0x00, 3, 1, 17, 1}, 6, -KP_ERR_PARSE, {0}},
    {"empty with udhi", 0x40, 0, {0}, 0, -KP_ERR_PARSE, {0}},
};

START_TEST(test_info)
{
    struct smpp_pdu p;
    struct sms_concat_info got;

    memset(&p, 0, sizeof(p));
    p.sm.esm_class = info_cases[_i].esm_class;
    if (info_cases[_i].sar) {
        p.tlv.present = SMPP_TLV_SAR;
        p.tlv.sar_msg_ref_num = 0x1234;
        p.tlv.sar_total_segments = 3;
        p.tlv.sar_segment_seqnum = 2;
    }
    int rc = sms_concat_info(&p, info_cases[_i].data, info_cases[_i].len, &got);
    ck_assert_msg(rc == info_cases[_i].rc, "%s: %d", info_cases[_i].name, rc);
    if (rc < 0)
        return;
    ck_assert_msg(got.concat == info_cases[_i].want.concat && got.ref == info_cases[_i].want.ref &&
                      got.total == info_cases[_i].want.total &&
                      got.seq == info_cases[_i].want.seq && got.skip == info_cases[_i].want.skip,
                  "%s: %d %u %u %u %zu", info_cases[_i].name, got.concat, got.ref, got.total,
                  got.seq, got.skip);
}
END_TEST

static int add(struct sms_concat *c, const char *from, unsigned ref, unsigned total, unsigned seq,
               uint8_t dc, const char *text, uint64_t now, struct kp_buf *out, uint8_t *dc_out)
{
    struct sms_concat_info i = {1, ref, total, seq, 0};

    return sms_concat_add(c, from, &i, dc, (const uint8_t *)text, strlen(text), now, out, dc_out);
}

/* Out of order, a part twice, two messages interleaved, from two senders. */
START_TEST(test_reassemble)
{
    struct sms_concat *c = sms_concat_new();
    struct kp_buf out = KP_BUF_INIT;
    uint8_t dc = 0xff;

    ck_assert_int_eq(add(c, "A", 7, 3, 3, 8, "three", 0, &out, &dc), 0);
    ck_assert_int_eq(add(c, "A", 7, 2, 1, 0, "x-", 0, &out, &dc), 0); /* another: other total */
    ck_assert_int_eq(add(c, "B", 7, 3, 1, 0, "b1", 0, &out, &dc), 0); /* another sender */
    ck_assert_int_eq(add(c, "A", 7, 3, 1, 8, "one-", 1, &out, &dc), 0);
    ck_assert_int_eq(add(c, "A", 7, 3, 1, 8, "ONE-", 2, &out, &dc),
                     0); /* again: the first stands */
    ck_assert_uint_eq(sms_concat_pending(c, 3), 3);
    ck_assert_int_eq(add(c, "A", 7, 3, 2, 8, "two-", 3, &out, &dc), 1);
    ck_assert_uint_eq(out.len, strlen("one-two-three"));
    ck_assert_int_eq(memcmp(out.data, "one-two-three", out.len), 0);
    ck_assert_uint_eq(dc, 8);
    kp_buf_reset(&out);
    ck_assert_int_eq(add(c, "A", 7, 2, 2, 0, "y", 4, &out, &dc), 1);
    ck_assert_int_eq(memcmp(out.data, "x-y", out.len), 0);
    ck_assert_uint_eq(sms_concat_pending(c, 5), 1);
    /* Parts that disagree on the coding are not joined. */
    ck_assert_int_eq(add(c, "B", 7, 3, 2, 8, "b2", 5, &out, &dc), -KP_ERR_PARSE);
    kp_buf_free(&out);
    sms_concat_free(c);
    sms_concat_free(NULL);
}
END_TEST

/* Full slots drop the oldest message; one waiting too long is dropped. */
START_TEST(test_limits)
{
    struct sms_concat *c = sms_concat_new();
    struct kp_buf out = KP_BUF_INIT;
    uint8_t dc;

    for (unsigned r = 0; r < SMS_CONCAT_SLOTS; r++)
        ck_assert_int_eq(add(c, "A", r, 2, 1, 0, "a", 10 + r, &out, &dc), 0);
    ck_assert_uint_eq(sms_concat_pending(c, 20), SMS_CONCAT_SLOTS);
    ck_assert_int_eq(add(c, "A", 99, 2, 1, 0, "a", 30, &out, &dc), 0); /* ref 0 goes */
    ck_assert_uint_eq(sms_concat_pending(c, 31), SMS_CONCAT_SLOTS);
    /* Ref 0's other part starts it again, dropping ref 1, now the oldest. */
    ck_assert_int_eq(add(c, "A", 0, 2, 2, 0, "b", 32, &out, &dc), 0);
    ck_assert_int_eq(add(c, "A", 1, 2, 2, 0, "b", 33, &out, &dc), 0);
    ck_assert_int_eq(add(c, "A", 3, 2, 2, 0, "b", 34, &out, &dc), 1);
    ck_assert_int_eq(memcmp(out.data, "ab", out.len), 0);
    kp_buf_reset(&out);
    ck_assert_uint_eq(sms_concat_pending(c, 40 + SMS_CONCAT_WAIT_MS), 0);
    kp_buf_free(&out);
    sms_concat_free(c);
}
END_TEST

Suite *suite_sms_concat(void)
{
    Suite *s = suite_create("sms_concat");
    TCase *tc = tcase_create("concat");

    tcase_add_loop_test(tc, test_info, 0, KP_ARRAY_LEN(info_cases));
    tcase_add_test(tc, test_reassemble);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    return s;
}
