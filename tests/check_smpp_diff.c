/* SPDX-License-Identifier: ISC */
/*
 * smpp: kpass's codec for the hot PDUs (src/smpp/sm.c) against libsmpp34,
 * the oracle, over every golden and malformed PDU of smpp_goldens.h, every
 * truncation and every single-octet change of each, and every frame of the
 * smpp fuzz corpus: both refuse with the same answer or agree on every
 * mandatory field and encode the same octets (tests/fuzz/smpp_diff.h).
 * The deliberate differences are checked by name here too.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/smpp/smpp_internal.h"
#include "fuzz/smpp_diff.h"
#include "kpass/core/mem.h"
#include "smpp_goldens.h"
#include "testutil.h"

/* Check one PDU as it is, with command_length made its length. */
static void diff_one(const char *name, uint8_t *b, size_t n, const char *what, size_t k)
{
    char why[256];

    if (n < SMPP_HEADER_LEN)
        return;
    b[0] = (uint8_t)(n >> 24);
    b[1] = (uint8_t)(n >> 16);
    b[2] = (uint8_t)(n >> 8);
    b[3] = (uint8_t)n;
    ck_assert_msg(smpp_diff_check(b, n, why, sizeof(why)) == 0, "%s %s %zu: %s", name, what, k,
                  why);
}

/* The PDU, each of its truncations, each octet after command_length set
   to a few values that matter (NUL, 0xFF, one more, a digit, ...). */
static void diff_variants(const char *name, const uint8_t *pdu, size_t n)
{
    static const uint8_t vals[] = {0x00, 0xFF, 0x07, 0x12, 0x39};
    uint8_t b[600];

    ck_assert(n <= sizeof(b));
    memcpy(b, pdu, n);
    diff_one(name, b, n, "as is", n);
    for (size_t k = SMPP_HEADER_LEN; k < n; k++) {
        memcpy(b, pdu, k);
        diff_one(name, b, k, "cut at", k);
    }
    for (size_t k = 4; k < n; k++) { /* command_id, status, sequence too */
        for (size_t v = 0; v < sizeof(vals); v++) {
            memcpy(b, pdu, n);
            b[k] = vals[v];
            diff_one(name, b, n, "octet", k);
            b[k] = (uint8_t)(pdu[k] + 1);
            diff_one(name, b, n, "octet+1", k);
        }
    }
}

START_TEST(test_diff_goldens)
{
    uint8_t in[512];
    int n = tu_hex(smpp_goldens[_i].hex, in, sizeof(in));

    ck_assert_int_ge(n, SMPP_HEADER_LEN);
    diff_variants(smpp_goldens[_i].name, in, (size_t)n);
}
END_TEST

START_TEST(test_diff_bad)
{
    uint8_t in[512];
    int n = tu_hex(smpp_bad[_i].hex, in, sizeof(in));

    ck_assert_int_ge(n, SMPP_HEADER_LEN);
    diff_variants(smpp_bad[_i].name, in, (size_t)n);
}
END_TEST

/* Every frame of every seed of the smpp fuzz corpus (streams of PDUs). */
START_TEST(test_diff_corpus)
{
    char dir[1024], path[1300];
    DIR *d;
    struct dirent *e;
    unsigned frames = 0;

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/smpp", tu_top());
    d = opendir(dir);
    ck_assert_msg(d != NULL, "no %s", dir);
    while ((e = readdir(d)) != NULL) {
        static uint8_t buf[70000];
        struct smpp_hdr h;
        size_t len, pos = 0;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        ck_assert(f != NULL);
        len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        for (int n; pos < len && (n = smpp_frame_check(buf + pos, len - pos, &h)) > 0 &&
                    (size_t)n <= len - pos && (size_t)n <= 600;
             pos += (size_t)n, frames++)
            diff_variants(e->d_name, buf + pos, (size_t)n);
    }
    closedir(d);
    ck_assert_uint_gt(frames, 10);
}
END_TEST

/* Where kpass deliberately differs from libsmpp34 (sm.c), each by name. */
START_TEST(test_diff_deliberate)
{
    uint8_t in[256], out[SMPP_PDU_MAX + 1];
    struct smpp_pdu p;
    struct smpp_decode_error err;
    int n;

    /* data_sm source_addr of 24 digits (SMPP 3.4 §4.7.1: up to 65 octets). */
    n = tu_hex("0000003b 00000103 00000000 00000005 00 01 01 "
               "39323330303132333435363739323330303132333435363700 00 00 37383900 00 00 00"
               "0204 0002 0102",
               in, sizeof(in));
    ck_assert_int_eq(smpp_pdu_decode(in, (size_t)n, &p, &err), 0);
    ck_assert_str_eq(p.sm.source_addr, "923001234567923001234567");
    ck_assert_int_eq(smpp_pdu_decode_libsmpp34(in, (size_t)n, &p, &err), -KP_ERR_PARSE);
    ck_assert_uint_eq(err.status, SMPP_ESME_RINVSRCADR);

    /* submit_sm with 254 octets of short_message (§4.4.1: 0-254). */
    smpp_pdu_init(&p, SMPP_SUBMIT_SM, 9);
    p.sm.sm_length = 254;
    memset(p.sm.short_message, 'a', 254);
    n = smpp_pdu_encode(&p, out, sizeof(out));
    ck_assert_int_gt(n, 254);
    ck_assert_int_eq(smpp_pdu_decode(out, (size_t)n, &p, &err), 0);
    ck_assert_uint_eq(p.sm.sm_length, 254);
    ck_assert_int_eq(smpp_pdu_encode_libsmpp34(&p, out, sizeof(out)), -KP_ERR_INVAL);
    p.sm.sm_length = 255;
    ck_assert_int_eq(smpp_pdu_encode(&p, out, sizeof(out)), -KP_ERR_INVAL);

    /* deliver_sm with a validity_period (§4.6.1: must be NULL): both refuse. */
    smpp_pdu_init(&p, SMPP_DELIVER_SM, 9);
    strcpy(p.sm.validity_period, "000001000000000R");
    ck_assert_int_eq(smpp_pdu_encode(&p, out, sizeof(out)), -KP_ERR_INVAL);
    ck_assert_int_eq(smpp_pdu_encode_libsmpp34(&p, out, sizeof(out)), -KP_ERR_INVAL);

    /* data_sm from a 24-digit source_addr: encoded by kpass only. */
    smpp_pdu_init(&p, SMPP_DATA_SM, 9);
    strcpy(p.sm.source_addr, "923001234567923001234567");
    n = smpp_pdu_encode(&p, out, sizeof(out));
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(smpp_pdu_decode(out, (size_t)n, &p, &err), 0);
    ck_assert_str_eq(p.sm.source_addr, "923001234567923001234567");
    ck_assert_int_eq(smpp_pdu_encode_libsmpp34(&p, out, sizeof(out)), -KP_ERR_INVAL);
}
END_TEST

Suite *suite_smpp_diff(void);
Suite *suite_smpp_diff(void)
{
    Suite *s = suite_create("smpp_diff");
    TCase *tc = tcase_create("oracle");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_diff_goldens, 0, (int)KP_ARRAY_LEN(smpp_goldens));
    tcase_add_loop_test(tc, test_diff_bad, 0, (int)KP_ARRAY_LEN(smpp_bad));
    tcase_add_test(tc, test_diff_corpus);
    tcase_add_test(tc, test_diff_deliberate);
    suite_add_tcase(s, tc);
    return s;
}
