/* SPDX-License-Identifier: ISC */
/*
 * menu: app screens (kpass-menu(5)), which hand the rest of a branch to a
 * department's app.  The engine is pure, so the "app" here is the test:
 * each hop that stops on an app screen says which app and which inputs
 * so far ("", "1", "1*2"), the app's CON/END text becomes the screen, a
 * failure follows the screen's `on` line.  Also the checker's refusals.
 */
#include "menu_fixture.h"

static const char app_menus[] = "screen main menu\n"
                                "  text \"Home\"\n"
                                "  option \"Vehicle tax\" -> tax_cnic\n"
                                "  option \"Land record\" -> fard\n"
                                "screen tax_cnic input sensitive\n"
                                "  text \"Enter your CNIC\"\n"
                                "  var cnic\n"
                                "  accept cnic\n"
                                "  -> tax\n"
                                "screen tax app excise\n"
                                "  var cnic\n"
                                "  on timeout -> slow\n"
                                "  on unavailable -> down\n"
                                "screen fard app bor\n"
                                "screen slow end\n"
                                "  text \"The department is slow. Please try later.\"\n"
                                "screen down end\n"
                                "  text \"Service unavailable, try later.\"\n";

static struct fx_dialog d;

static void setup(void)
{
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_msg(fx_compile(app_menus, &g, &diag) == 0, "%s", diag.data);
    kp_buf_free(&diag);
    fx_open(&d, g);
}

static void teardown(void)
{
    fx_close(&d);
}

static void expect_app(const char *app, const char *text, int first)
{
    ck_assert_ptr_nonnull(d.scr.app);
    ck_assert_str_eq(d.scr.app, app);
    ck_assert_str_eq(d.scr.app_text.len ? d.scr.app_text.data : "", text);
    ck_assert_int_eq(d.scr.app_first, first);
    ck_assert_uint_eq(d.scr.text.len, 0); /* nothing to send before the app answers */
}

static void app_reply(int end, const char *text)
{
    ck_assert_int_eq(menu_dialog_app_reply(d.g, &d.env, d.st, end, text, strlen(text), &d.scr), 0);
    ck_assert_ptr_null(d.scr.app);
    fx_reload(&d);
}

START_TEST(test_app_hops)
{
    fx_begin(&d, MENU_LANG_EN, NULL);
    fx_send(&d, "1");
    fx_send(&d, "42101-1234567-1");
    expect_app("excise", "", 1);
    /* the CNIC is handed over in the hop that entered the app, and only then */
    ck_assert_str_eq(d.scr.app_cnic.data, "4210112345671");
    ck_assert_int_eq(menu_state_app_id_set(d.st, d.g, "pseudonym-1"), 0);
    app_reply(0, "Vehicle number?");
    fx_expect(&d, "Vehicle number?", TEXT_GSM7, 0);
    ck_assert_str_eq(menu_state_app_id(d.st, d.g), "pseudonym-1");
    ck_assert_int_eq(menu_state_resumable(d.st), 0); /* an app session is not resumed */
    fx_send(&d, "LEA 1234");
    expect_app("excise", "LEA 1234", 0);
    ck_assert_uint_eq(d.scr.app_cnic.len, 0);
    app_reply(0, "1 Pay now\n2 Details");
    fx_send(&d, "0"); /* navigation keys belong to the app */
    expect_app("excise", "LEA 1234*0", 0);
    app_reply(0, "1 Pay now\n2 Details");
    fx_send(&d, "00");
    expect_app("excise", "LEA 1234*0*00", 0);
    app_reply(1, "Tax due: Rs 4,500");
    fx_expect(&d, "Tax due: Rs 4,500", TEXT_GSM7, 1);
    ck_assert_int_eq(menu_state_ended(d.st), 1);
    ck_assert_ptr_null(menu_state_app_id(d.st, d.g));
}
END_TEST

START_TEST(test_app_fail)
{
    fx_begin(&d, MENU_LANG_EN, "1");
    fx_send(&d, "42101-1234567-1");
    expect_app("excise", "", 1);
    ck_assert_int_eq(menu_dialog_app_fail(d.g, &d.env, d.st, "timeout", &d.scr), 0);
    fx_expect(&d, "The department is slow. Please try later.", TEXT_GSM7, 1);

    fx_begin(&d, MENU_LANG_EN, "1");
    fx_send(&d, "42101-1234567-1");
    ck_assert_int_eq(menu_dialog_app_fail(d.g, &d.env, d.st, "unavailable", &d.scr), 0);
    fx_expect(&d, "Service unavailable, try later.", TEXT_GSM7, 1);

    /* no `on error` and no `else`: the system error text ends the dialog */
    fx_begin(&d, MENU_LANG_EN, "2");
    expect_app("bor", "", 1);
    ck_assert_uint_eq(d.scr.app_cnic.len, 0);
    ck_assert_int_eq(menu_dialog_app_fail(d.g, &d.env, d.st, "error", &d.scr), 0);
    fx_expect(&d, "Service unavailable. Please try again later.", TEXT_GSM7, 1);
}
END_TEST

START_TEST(test_app_reply_cut_and_state)
{
    char long_text[400];

    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    fx_begin(&d, MENU_LANG_EN, "2");
    app_reply(0, long_text);
    ck_assert_uint_le(d.scr.units, 182); /* one page, cut: no "98 More" into the app */
    ck_assert_int_eq(d.scr.end, 0);
    /* an app answer for a dialog that is not waiting on an app */
    menu_state_free(d.st);
    d.st = menu_state_new();
    fx_begin(&d, MENU_LANG_EN, NULL);
    ck_assert_int_eq(menu_dialog_app_reply(d.g, &d.env, d.st, 0, "x", 1, &d.scr), -KP_ERR_STATE);
    ck_assert_int_eq(menu_dialog_app_fail(d.g, &d.env, d.st, "error", &d.scr), -KP_ERR_STATE);
    ck_assert_int_eq(menu_state_app_id_set(d.st, d.g, "x"), 0);
}
END_TEST

START_TEST(test_app_checker)
{
    static const char *const bad[][2] = {
        {"screen main app\n", "the name of a department app"},
        {"screen main menu\n  option \"a\" -> x\nscreen x app dept\n  on busy -> main\n",
         "'busy' is not an app outcome"},
        {"screen main menu\n  option \"a\" -> x\nscreen x app dept\n  var nothing\n",
         "variable 'nothing' is never set"},
        {"screen main menu\n  option \"a\" -> x\nscreen x app dept\n  text \"hi\"\n",
         "not allowed in app screen"},
    };
    struct kp_buf diag = KP_BUF_INIT;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct menu_graph *g = NULL;
        ck_assert_int_lt(fx_compile(bad[i][0], &g, &diag), 0);
        ck_assert_msg(strstr(diag.data, bad[i][1]) != NULL, "case %zu: %s", i, diag.data);
    }
    kp_buf_free(&diag);
}
END_TEST

Suite *suite_menu_app(void)
{
    Suite *s = suite_create("menu_app");
    TCase *tc = tcase_create("app");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_app_hops);
    tcase_add_test(tc, test_app_fail);
    tcase_add_test(tc, test_app_reply_cut_and_state);
    tcase_add_test(tc, test_app_checker);
    suite_add_tcase(s, tc);
    return s;
}
