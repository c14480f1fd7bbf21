/* SPDX-License-Identifier: ISC */
/*
 * The partner mapping (partner/partner.c): a row read back as the link
 * layer's configuration and written again is the same row; modes, bind
 * types and allow lists by name; a damaged allow list admits nobody.
 */
#include <check.h>
#include <string.h>

#include "kpass/core/addr.h"
#include "kpass/partner/partner.h"
#include "testutil.h"

static void pt_row(struct store_partner *r)
{
    memset(r, 0, sizeof(*r));
    r->id = 7;
    strcpy(r->system_id, "gw1");
    strcpy(r->mode, "client");
    strcpy(r->password_enc, "sealed");
    strcpy(r->system_type, "USSD");
    strcpy(r->host, "10.1.2.3");
    r->port = 2775;
    strcpy(r->bind_type, "receiver");
    r->binds = 3;
    strcpy(r->cidrs_text, "10.0.0.0/8,192.168.1.1/32");
    r->max_binds = 4;
    r->throughput = 50;
    r->burst = 10;
    strcpy(r->profile, "umr");
    r->carries_sms = 1;
    r->enabled = 1;
    r->gsm7_limit = 160;
    r->ucs2_limit = 70;
    r->created_at = 100;
    r->updated_at = 200;
}

START_TEST(test_round_trip)
{
    struct store_partner r, back;
    struct partner p;

    pt_row(&r);
    partner_from_row(&r, &p);
    ck_assert_int_eq(p.conf.id, 7);
    ck_assert_int_eq(p.conf.mode, SMPP_PARTNER_CLIENT);
    ck_assert_int_eq(p.conf.bind_type, SMPP_BIND_RX);
    ck_assert_int_eq(p.conf.ncidrs, 2);
    ck_assert_str_eq(p.conf.host, "10.1.2.3");
    ck_assert_str_eq(p.password_enc, "sealed");
    ck_assert_str_eq(p.conf.password, "");
    partner_to_row(&p, &back);
    ck_assert(memcmp(&r, &back, sizeof(r)) == 0);
}
END_TEST

START_TEST(test_server_and_bad_list)
{
    struct store_partner r;
    struct partner p;

    pt_row(&r);
    strcpy(r.mode, "server");
    strcpy(r.bind_type, "nonsense");
    strcpy(r.cidrs_text, "10.0.0.0/33");
    partner_from_row(&r, &p);
    ck_assert_int_eq(p.conf.mode, SMPP_PARTNER_SERVER);
    ck_assert_int_eq(p.conf.bind_type, SMPP_BIND_TRX);
    /* Nobody: the one entry is the broadcast address alone. */
    ck_assert_int_eq(p.conf.ncidrs, 1);
    struct kp_cidr none;
    ck_assert_int_eq(kp_cidr_parse("255.255.255.255/32", &none), 0);
    ck_assert(memcmp(&p.conf.cidrs[0], &none, sizeof(none)) == 0);
    /* An empty list: any source. */
    r.cidrs_text[0] = '\0';
    partner_from_row(&r, &p);
    ck_assert_int_eq(p.conf.ncidrs, 0);
}
END_TEST

Suite *suite_partner(void)
{
    Suite *s = suite_create("partner");
    TCase *tc = tcase_create("mapping");

    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_server_and_bad_list);
    suite_add_tcase(s, tc);
    return s;
}
