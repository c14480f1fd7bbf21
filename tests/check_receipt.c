/* SPDX-License-Identifier: ISC */
/*
 * KPR1 receipts: the worked example of doc/kp1-token.md byte for byte
 * (also reproduced independently in Python), round trips of every outcome,
 * every single-bit flip and single-character change, truncation, wrong,
 * unknown and retired keys, reserved bits, non-canonical base64url, and
 * the short receipt id.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/id/kp1.h"
#include "kpass/core/mem.h"
#include "kpass/id/receipt.h"
#include "kpass/id/trust.h"
#include "testutil.h"

#define EX_RBODY                                                                                   \
    "019d24e2eef0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00112233445566778899aabb0000002a00000007000367752e" \
    "4003"
#define EX_RTEXT                                                                                   \
    "KPR1:AZ0k4u7w8fLz9PX29_j5-vv8_f7_ABEiM0RVZneImaq7AAAAKgAAAAcAA2d1LkADAuagf07of4e__jQnQSGe-AS" \
    "9d75kXXP0LsH_4lZ_adnFbuLW6PaNrRWACJZ4TcT7khR-Gk-_z1vKltPliV7PDg"
#define EX_RID "GNWJUTJ3DW"

static struct keys_signer signer_a, signer_b;
static struct trust_list trust; /* A active, B retired */

static void receipt_setup(void)
{
    tu_signers(&signer_a, &signer_b, &trust);
}

static void receipt_teardown(void)
{
    keys_signer_clear(&signer_a);
    keys_signer_clear(&signer_b);
    trust_list_free(&trust);
}

static void example_receipt(struct receipt *r)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < RECEIPT_VID_BYTES; i++)
        r->verification_id[i] = (uint8_t)(0xF0 + i);
    tu_hex("00112233445566778899aabb", r->serial, sizeof(r->serial));
    r->office_id = 42;
    r->desk_id = 7;
    r->purpose = 3;
    r->verified_at = 1735732800; /* 2025-01-01T12:00:00Z */
    r->code_confirmed = 1;
    r->bio = RECEIPT_BIO_MATCH;
}

START_TEST(test_receipt_example)
{
    struct receipt r, d;
    uint8_t body[RECEIPT_BODY_BYTES], want[RECEIPT_BODY_BYTES];
    char text[RECEIPT_TEXT_SIZE], id[RECEIPT_ID_SIZE], path[1024];
    char *doc;

    example_receipt(&r);
    ck_assert_int_eq(receipt_encode(&signer_a, &r, text), RECEIPT_TEXT_LEN);
    ck_assert_str_eq(text, EX_RTEXT);
    ck_assert_uint_eq(strlen(EX_RTEXT), 155);
    receipt_body_pack(&r, body);
    tu_hex(EX_RBODY, want, sizeof(want));
    ck_assert_mem_eq(body, want, RECEIPT_BODY_BYTES);
    receipt_id(&r, id);
    ck_assert_str_eq(id, EX_RID);
    ck_assert_int_eq(receipt_verify(EX_RTEXT, strlen(EX_RTEXT), trust_list_lookup, &trust, &d), 0);
    ck_assert_mem_eq(d.verification_id, r.verification_id, 16);
    ck_assert_mem_eq(d.serial, r.serial, 12);
    ck_assert_int_eq(d.office_id, 42);
    ck_assert_int_eq(d.desk_id, 7);
    ck_assert_int_eq(d.purpose, 3);
    ck_assert_int_eq(d.verified_at, 1735732800);
    ck_assert_int_eq(d.code_confirmed, 1);
    ck_assert_int_eq(d.bio, RECEIPT_BIO_MATCH);
    receipt_id(&d, id);
    ck_assert_str_eq(id, EX_RID);

    snprintf(path, sizeof(path), "%s/doc/kp1-token.md", tu_top());
    doc = (char *)tu_read_file(path, NULL);
    ck_assert_msg(doc != NULL, "cannot read %s", path);
    static const char *const shown[] = {EX_RTEXT, EX_RID, "KPR1-receipt"};
    for (size_t i = 0; i < KP_ARRAY_LEN(shown); i++)
        ck_assert_msg(strstr(doc, shown[i]) != NULL, "doc lacks %s", shown[i]);
    free(doc);
}
END_TEST

START_TEST(test_receipt_roundtrip)
{
    for (int i = 0; i < 64; i++) {
        struct receipt r, d;
        char text[RECEIPT_TEXT_SIZE], id1[RECEIPT_ID_SIZE], id2[RECEIPT_ID_SIZE];

        memset(&r, 0, sizeof(r));
        receipt_vid_generate(r.verification_id);
        kp1_serial_generate(r.serial);
        r.office_id = randombytes_random();
        r.desk_id = randombytes_random();
        r.purpose = (uint16_t)randombytes_random();
        r.verified_at = randombytes_random();
        r.code_confirmed = i & 1;
        r.bio = (enum receipt_bio)(i / 2 % 4);
        ck_assert_int_eq(receipt_encode(&signer_a, &r, text), RECEIPT_TEXT_LEN);
        ck_assert_int_eq(receipt_verify(text, strlen(text), trust_list_lookup, &trust, &d), 0);
        ck_assert_mem_eq(d.key_id, signer_a.id, 4);
        ck_assert_mem_eq(d.verification_id, r.verification_id, 16);
        ck_assert_mem_eq(d.serial, r.serial, 12);
        ck_assert_int_eq(d.office_id, r.office_id);
        ck_assert_int_eq(d.desk_id, r.desk_id);
        ck_assert_int_eq(d.purpose, r.purpose);
        ck_assert_int_eq(d.verified_at, r.verified_at);
        ck_assert_int_eq(d.code_confirmed, r.code_confirmed);
        ck_assert_int_eq(d.bio, r.bio);
        receipt_id(&r, id1);
        receipt_id(&d, id2);
        ck_assert_str_eq(id1, id2);
        ck_assert_uint_eq(strspn(id1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), RECEIPT_ID_LEN);
    }
}
END_TEST

static void rtext_of(const uint8_t raw[RECEIPT_RAW_BYTES], char text[RECEIPT_TEXT_SIZE])
{
    memcpy(text, RECEIPT_PREFIX, RECEIPT_PREFIX_LEN);
    sodium_bin2base64(text + RECEIPT_PREFIX_LEN, RECEIPT_TEXT_SIZE - RECEIPT_PREFIX_LEN, raw,
                      RECEIPT_RAW_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void rraw_of(const char *text, uint8_t raw[RECEIPT_RAW_BYTES])
{
    size_t got = 0;

    ck_assert_int_eq(sodium_base642bin(raw, RECEIPT_RAW_BYTES, text + RECEIPT_PREFIX_LEN,
                                       RECEIPT_B64_LEN, NULL, &got, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    ck_assert_uint_eq(got, RECEIPT_RAW_BYTES);
}

START_TEST(test_receipt_bitflips)
{
    uint8_t raw[RECEIPT_RAW_BYTES];
    char text[RECEIPT_TEXT_SIZE];
    struct receipt d;

    rraw_of(EX_RTEXT, raw);
    for (int bit = 0; bit < RECEIPT_RAW_BYTES * 8; bit++) {
        raw[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        rtext_of(raw, text);
        ck_assert_msg(receipt_verify(text, RECEIPT_TEXT_LEN, trust_list_lookup, &trust, &d) < 0,
                      "bit %d flipped and still valid", bit);
        raw[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    rtext_of(raw, text);
    ck_assert_str_eq(text, EX_RTEXT);
}
END_TEST

START_TEST(test_receipt_charflips)
{
    char text[RECEIPT_TEXT_SIZE];
    struct receipt d;

    /* Every other octet value at every position, high-bit octets included
       (libsodium 1.0.18 alone would take 0x80-0xFF for '_'). */
    memcpy(text, EX_RTEXT, sizeof(text));
    for (int pos = 0; pos < RECEIPT_TEXT_LEN; pos++) {
        for (int c = 0; c < 256; c++) {
            if (c == (unsigned char)EX_RTEXT[pos])
                continue;
            text[pos] = (char)c;
            int rc = receipt_verify(text, RECEIPT_TEXT_LEN, trust_list_lookup, &trust, &d);
            ck_assert_msg(rc < 0, "0x%02x at %d accepted", c, pos);
        }
        text[pos] = EX_RTEXT[pos];
    }
}
END_TEST

START_TEST(test_receipt_high_bit)
{
    char text[RECEIPT_TEXT_SIZE];
    struct receipt d;
    char *u;

    /* The fuzzer's find: '_' replaced by 0xBC decoded to the same octets. */
    memcpy(text, EX_RTEXT, sizeof(text));
    u = strchr(text + RECEIPT_PREFIX_LEN, '_');
    ck_assert_ptr_nonnull(u);
    for (int c = 0x80; c < 0x100; c++) {
        *u = (char)c;
        ck_assert_int_eq(receipt_decode(text, RECEIPT_TEXT_LEN, &d), -KP_ERR_ENCODING);
    }
}
END_TEST

START_TEST(test_receipt_truncated)
{
    struct receipt d;

    for (size_t len = 0; len < RECEIPT_TEXT_LEN; len++)
        ck_assert_int_eq(receipt_verify(EX_RTEXT, len, trust_list_lookup, &trust, &d),
                         len < RECEIPT_PREFIX_LEN ? -KP_ERR_PARSE : -KP_ERR_TRUNC);
}
END_TEST

static const struct {
    const char *before, *after;
    int rc;
} receipt_texts[] = {
    {"KPR1:", "", 0},
    {"kpr1:", "", -KP_ERR_PARSE},
    {"KP1:", "", -KP_ERR_PARSE},
    {"KPR2:", "", -KP_ERR_PARSE},
    {"KPR1:", "A", -KP_ERR_TOOLONG},
    {"KPR1:", "\n", -KP_ERR_TOOLONG},
    {"KPR1:", "==", -KP_ERR_TOOLONG},
};

START_TEST(test_receipt_texts)
{
    char text[512];
    struct receipt d;

    snprintf(text, sizeof(text), "%s%s%s", receipt_texts[_i].before, EX_RTEXT + 5,
             receipt_texts[_i].after);
    ck_assert_int_eq(receipt_verify(text, strlen(text), trust_list_lookup, &trust, &d),
                     receipt_texts[_i].rc);
}
END_TEST

START_TEST(test_receipt_noncanonical)
{
    char text[RECEIPT_TEXT_SIZE];
    struct receipt d;

    /* 112 octets leave 4 spare bits in the last character ('g' = 100000):
       'h' decodes to the same octets with a spare bit set, and is refused. */
    memcpy(text, EX_RTEXT, sizeof(text));
    ck_assert_int_eq(text[RECEIPT_TEXT_LEN - 1], 'g');
    text[RECEIPT_TEXT_LEN - 1] = 'h';
    ck_assert_int_eq(receipt_decode(text, RECEIPT_TEXT_LEN, &d), -KP_ERR_ENCODING);
    /* Standard base64 ('+', '/') is not base64url. */
    memcpy(text, EX_RTEXT, sizeof(text));
    char *u = strchr(text + 5, '_');
    ck_assert_ptr_nonnull(u);
    *u = '/';
    ck_assert_int_eq(receipt_decode(text, RECEIPT_TEXT_LEN, &d), -KP_ERR_ENCODING);
}
END_TEST

/* Properly signed bodies with one octet changed: only the field rules refuse. */
static const struct {
    int off;
    uint8_t value;
    int rc;
} receipt_fields[] = {
    {0, 0, -KP_ERR_UNSUPPORTED},
    {0, 2, -KP_ERR_UNSUPPORTED},
    {47, 0x08, -KP_ERR_INVAL},
    {47, 0x80, -KP_ERR_INVAL},
    {47, 0x07, 0},
    {47, 0x00, 0},
};

START_TEST(test_receipt_fields)
{
    uint8_t raw[RECEIPT_RAW_BYTES];
    char text[RECEIPT_TEXT_SIZE];
    struct receipt d;

    tu_hex(EX_RBODY, raw, RECEIPT_BODY_BYTES);
    raw[receipt_fields[_i].off] = receipt_fields[_i].value;
    ck_assert_int_eq(keys_signer_sign(&signer_a, RECEIPT_TAG, RECEIPT_TAG_LEN, raw,
                                      RECEIPT_BODY_BYTES, raw + RECEIPT_BODY_BYTES),
                     0);
    rtext_of(raw, text);
    ck_assert_int_eq(receipt_verify(text, RECEIPT_TEXT_LEN, trust_list_lookup, &trust, &d),
                     receipt_fields[_i].rc);
    if (receipt_fields[_i].rc == 0 && receipt_fields[_i].value == 0x07) {
        ck_assert_int_eq(d.code_confirmed, 1);
        ck_assert_int_eq(d.bio, RECEIPT_BIO_FAILED);
    }
}
END_TEST

START_TEST(test_receipt_keys)
{
    struct receipt r, d;
    uint8_t raw[RECEIPT_RAW_BYTES];
    char text[RECEIPT_TEXT_SIZE];
    struct trust_list empty = TRUST_LIST_INIT;
    struct keys_signer none;

    example_receipt(&r);
    ck_assert_int_eq(receipt_verify(EX_RTEXT, RECEIPT_TEXT_LEN, trust_list_lookup, &empty, &d),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(receipt_encode(&signer_b, &r, text), RECEIPT_TEXT_LEN);
    ck_assert_int_eq(receipt_verify(text, RECEIPT_TEXT_LEN, trust_list_lookup, &trust, &d),
                     -KP_ERR_DENIED);
    /* B signs a body naming A; A signs under the token's tag. */
    tu_hex(EX_RBODY, raw, RECEIPT_BODY_BYTES);
    keys_signer_sign(&signer_b, RECEIPT_TAG, RECEIPT_TAG_LEN, raw, RECEIPT_BODY_BYTES,
                     raw + RECEIPT_BODY_BYTES);
    rtext_of(raw, text);
    ck_assert_int_eq(receipt_verify(text, RECEIPT_TEXT_LEN, trust_list_lookup, &trust, &d),
                     -KP_ERR_CRYPTO);
    keys_signer_sign(&signer_a, KP1_TAG, KP1_TAG_LEN, raw, RECEIPT_BODY_BYTES,
                     raw + RECEIPT_BODY_BYTES);
    rtext_of(raw, text);
    ck_assert_int_eq(receipt_verify(text, RECEIPT_TEXT_LEN, trust_list_lookup, &trust, &d),
                     -KP_ERR_CRYPTO);
    /* Encode errors. */
    r.bio = (enum receipt_bio)4;
    ck_assert_int_eq(receipt_encode(&signer_a, &r, text), -KP_ERR_INVAL);
    example_receipt(&r);
    memset(&none, 0, sizeof(none));
    ck_assert_int_eq(receipt_encode(&none, &r, text), -KP_ERR_STATE);
}
END_TEST

START_TEST(test_receipt_id_changes)
{
    struct receipt r;
    char a[RECEIPT_ID_SIZE], b[RECEIPT_ID_SIZE], text[RECEIPT_TEXT_SIZE];

    example_receipt(&r);
    ck_assert_int_eq(receipt_encode(&signer_a, &r, text), RECEIPT_TEXT_LEN);
    receipt_id(&r, a);
    r.desk_id = 8;
    ck_assert_int_eq(receipt_encode(&signer_a, &r, text), RECEIPT_TEXT_LEN);
    receipt_id(&r, b);
    ck_assert_str_ne(a, b);
}
END_TEST

Suite *suite_receipt(void)
{
    Suite *s = suite_create("receipt");
    TCase *tc = tcase_create("receipt");

    if (sodium_init() < 0)
        return s;
    tcase_add_checked_fixture(tc, receipt_setup, receipt_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_receipt_example);
    tcase_add_test(tc, test_receipt_roundtrip);
    tcase_add_test(tc, test_receipt_bitflips);
    tcase_add_test(tc, test_receipt_charflips);
    tcase_add_test(tc, test_receipt_high_bit);
    tcase_add_test(tc, test_receipt_truncated);
    tcase_add_loop_test(tc, test_receipt_texts, 0, (int)KP_ARRAY_LEN(receipt_texts));
    tcase_add_test(tc, test_receipt_noncanonical);
    tcase_add_loop_test(tc, test_receipt_fields, 0, (int)KP_ARRAY_LEN(receipt_fields));
    tcase_add_test(tc, test_receipt_keys);
    tcase_add_test(tc, test_receipt_id_changes);
    suite_add_tcase(s, tc);
    return s;
}
