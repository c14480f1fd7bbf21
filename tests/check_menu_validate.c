/* SPDX-License-Identifier: ISC */
/*
 * One rule for CNIC and MSISDN: an input screen's `accept cnic` and
 * `accept msisdn` take exactly what cnic_parse and msisdn_parse take (the
 * desk's and the CLI's rules), through the validators the USSD built-ins
 * table hands to the compiler.  Each reply is sent to a compiled menu and
 * the outcome compared with the id parser's on the same text; written
 * forms that the menu used to refuse ("+92 300 1234567") are in the table.
 */
#include "menu_fixture.h"

#include "kpass/id/cnic.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"

static const char menu_text[] = "screen main menu\n"
                                "  text \"Check\"\n"
                                "  option \"Number\" -> phone\n"
                                "  option \"CNIC\" -> card\n"
                                "screen phone input\n"
                                "  prompt \"Number\"\n"
                                "  var v\n"
                                "  accept msisdn else \"Bad number\"\n"
                                "  -> done\n"
                                "screen card input\n"
                                "  prompt \"CNIC\"\n"
                                "  var v\n"
                                "  accept cnic else \"Bad CNIC\"\n"
                                "  -> done\n"
                                "screen done end\n"
                                "  text \"Got {v}\"\n";

static const struct {
    const char *step; /* "1": msisdn, "2": cnic */
    const char *reply;
    const char *want; /* the stored value, NULL: refused */
} cases[] = {
    {"1", "03001234567", "+923001234567"},
    {"1", "923001234567", "+923001234567"},
    {"1", "+923001234567", "+923001234567"},
    {"1", "+92 300 1234567", "+923001234567"}, /* refused by the menu's own rule before */
    {"1", "0092 300-1234567", "+923001234567"},
    {"1", "0300 1234567", "+923001234567"},
    {"1", "3001234567", "+923001234567"},
    {"1", "+441234567890", NULL}, /* msisdn_parse takes it; the menu's msisdn is Pakistani */
    {"1", "04001234567", NULL},   /* a landline */
    {"1", "0300123456", NULL},
    {"1", "+92300123456x", NULL},
    {"1", "0300--1234567", NULL},
    {"2", "35202-1234567-1", "3520212345671"},
    {"2", "3520212345671", "3520212345671"},
    {"2", "05202-1234567-1", NULL}, /* region 0: cnic_parse refuses, the menu took it before */
    {"2", "35202-123456-71", NULL},
    {"2", "352021234567", NULL},
};

START_TEST(test_menu_accepts_what_id_accepts)
{
    struct fx_dialog d;
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    char want[64];

    ck_assert_msg(fx_compile(menu_text, &g, &diag) == 0, "%s", diag.data);
    kp_buf_free(&diag);
    fx_open(&d, g);
    fx_begin(&d, MENU_LANG_EN, cases[_i].step);
    fx_send(&d, cases[_i].reply);
    if (cases[_i].want == NULL) {
        ck_assert_ptr_nonnull(strstr(d.scr.text.data, "Bad "));
        ck_assert_int_eq(d.scr.end, 0);
    } else {
        snprintf(want, sizeof(want), "Got %s", cases[_i].want);
        fx_expect(&d, want, TEXT_GSM7, 1);
    }
    fx_close(&d);
}
END_TEST

/* The table above agrees with the id parsers themselves. */
START_TEST(test_table_is_the_id_rule)
{
    const char *r = cases[_i].reply;
    char out[MSISDN_SIZE > CNIC_SIZE ? MSISDN_SIZE : CNIC_SIZE];
    int rc;

    if (strcmp(cases[_i].step, "1") == 0) {
        rc = msisdn_parse(r, strlen(r), out, NULL);
        if (rc == 0 && !msisdn_is_pakistani(out))
            rc = -KP_ERR_PARSE;
    } else {
        rc = cnic_parse(r, strlen(r), out, NULL);
    }
    if (cases[_i].want == NULL) {
        ck_assert_int_lt(rc, 0);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(out, cases[_i].want);
    }
}
END_TEST

/* Without validators (a program that passed none), both kinds refuse. */
START_TEST(test_no_validators_refuse)
{
    struct menu_options o = fx_options();
    struct menu_source src = {"t.menu", menu_text, sizeof(menu_text) - 1};
    struct kp_buf diag = KP_BUF_INIT;
    struct menu_graph *g = NULL;
    struct fx_dialog d;

    o.validators = NULL;
    ck_assert_int_eq(menu_graph_compile(&src, 1, &o, &g, &diag), 0);
    kp_buf_free(&diag);
    fx_open(&d, g);
    fx_begin(&d, MENU_LANG_EN, "1");
    fx_send(&d, "03001234567");
    fx_expect(&d, "Bad number\nNumber\n0 Back", TEXT_GSM7, 0);
    fx_close(&d);
}
END_TEST

Suite *suite_menu_validate(void)
{
    Suite *s = suite_create("menu_validate");
    TCase *tc = tcase_create("validate");

    tcase_add_loop_test(tc, test_menu_accepts_what_id_accepts, 0, (int)KP_ARRAY_LEN(cases));
    tcase_add_loop_test(tc, test_table_is_the_id_rule, 0, (int)KP_ARRAY_LEN(cases));
    tcase_add_test(tc, test_no_validators_refuse);
    suite_add_tcase(s, tc);
    return s;
}
