/* SPDX-License-Identifier: ISC */
/*
 * menu_check: one fixture per checker rule, each with the exact first
 * message (and its source line and caret where it has one), next to
 * fixtures that must pass; the sample menus check clean.
 */
#include "menu_fixture.h"

#include "kpass/core/mem.h"

static const struct {
    const char *src;
    const char *first; /* NULL: compiles; else the exact first message line */
} cases[] = {
    /* home */
    {"screen start menu\n  option \"A\" -> start\n",
     "menu: no home screen: define a screen 'main' or name one with 'home'"},
    {"home start\nscreen start menu\n  option \"A\" -> start\n", NULL},
    {"home begin\nscreen start menu\n  option \"A\" -> start\n",
     "t.menu:1:6: unknown screen 'begin'"},
    /* unknown targets, unreachable screens */
    {"screen main menu\n  option \"A\" -> nowhere\n", "t.menu:2:17: unknown screen 'nowhere'"},
    {"screen main menu\n  option \"A\" -> main\nscreen lost info\n  text \"x\"\n",
     "t.menu:3:8: screen 'lost' is unreachable from 'main'"},
    /* dead ends */
    {"screen main menu\n  text \"Nothing\"\n",
     "t.menu:1:8: dead end: menu screen 'main' has no options"},
    {"screen main input\n  text \"Name?\"\n  var name\n",
     "t.menu:1:8: dead end: input screen 'main' has no '-> screen'"},
    {"screen main input\n  text \"Name?\"\n  -> main\n",
     "t.menu:1:8: input screen 'main' has no 'var' to store the reply"},
    {"screen main input\n  var name\n  -> main\n",
     "t.menu:1:8: input screen 'main' has no prompt text"},
    {"screen main menu\n  option \"A\" -> r\nscreen r router\n  if set x -> main\n",
     "t.menu:3:8: dead end: router screen 'r' has no 'else' for when no rule matches"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action otp.issue(\"p\", \"c\")\n",
     "t.menu:3:8: dead end: action screen 'a' has no 'on' or 'else'"},
    {"screen main info\n  text \"Just this.\"\n", NULL}, /* info: back and home always work */
    {"screen main end\n", "t.menu:1:8: end screen 'main' has no text"},
    /* option keys */
    {"screen main menu\n  option 3 \"A\" -> main\n  option 3 \"B\" -> main\n",
     "t.menu:3:3: duplicate option key 3 (also on line 2)"},
    {"screen main menu\n  option 1 \"A\" -> main\n  option \"B\" -> main\n", NULL},
    {"screen main menu\n  list dir.departments() as d -> main\n  option \"A\" -> main\n",
     "t.menu:3:3: options must come before the list (its items are numbered after them)"},
    /* variables */
    {"screen main menu\n  text \"Hi {name}\"\n  option \"A\" -> main\n",
     "t.menu:2:8: variable 'name' is never set"},
    {"screen main menu\n  option \"A\" -> ask\n  option \"B\" -> greet\n"
     "screen ask input\n  text \"Name?\"\n  var name\n  -> done\n"
     "screen done end\n  text \"Thanks\"\nscreen greet info\n  text \"Hi {name}\"\n",
     "t.menu:11:8: variable 'name' is not set on any path to screen 'greet'"},
    {"home r\nscreen r router\n  if x == \"1\" -> main\n  else -> main\n"
     "screen main menu\n  option \"A\" -> bye set x = \"1\"\nscreen bye end\n  text \"Bye\"\n",
     "t.menu:3:3: variable 'x' is not set on any path to screen 'r'"},
    {"screen main menu\n  option \"A\" -> r set x = \"1\"\n"
     "screen r router\n  if x == \"1\" -> main\n  else -> main\n",
     NULL},
    {"screen main menu\n  option \"A\" -> r\nscreen r router\n  if set ghost -> main\n  else -> "
     "main\n",
     "t.menu:4:3: variable 'ghost' is never set"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action otp.issue(p, \"c\")\n  else -> main\n",
     "t.menu:3:17: variable 'p' is never set"},
    /* a list built-in's variables are there for its own title */
    {"screen main menu\n  text \"{dept_name}\"\n  list dir.services(\"x\") as s -> main\n", NULL},
    /* sensitive values */
    {"screen main menu\n  option \"A\" -> pin\nscreen pin input sensitive\n  text \"PIN?\"\n"
     "  var pin\n  -> show\nscreen show info\n  text \"Your PIN is {pin}\"\n",
     "t.menu:8:8: sensitive variable 'pin' cannot be shown (screen 'show')"},
    {"screen main menu\n  option \"A\" -> pin\nscreen pin input sensitive\n  text \"PIN?\"\n"
     "  var pin\n  -> next\nscreen next menu\n  option \"Go\" -> use\n"
     "screen use action otp.issue(\"p\", pin)\n  else -> main\n",
     "t.menu:9:19: sensitive variable 'pin' is dropped at the end of the hop that set it: it "
     "cannot be used on screen 'use'"},
    {"screen main menu\n  option \"A\" -> pin\nscreen pin input sensitive\n  text \"PIN?\"\n"
     "  var pin\n  -> use\nscreen use action otp.issue(\"p\", pin)\n  else -> main\n",
     NULL},
    /* built-ins */
    {"screen main menu\n  option \"A\" -> a\nscreen a action nope.call()\n  else -> main\n",
     "t.menu:3:17: unknown built-in 'nope.call'"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action otp.issue(\"p\")\n  else -> main\n",
     "t.menu:3:17: 'otp.issue' takes 2 arguments, not 1"},
    {"screen main menu\n  list dir.services() as s -> main\n",
     "t.menu:2:8: 'dir.services' takes 1 argument, not 0"},
    {"screen main menu\n  list otp.issue(\"a\", \"b\") as s -> main\n",
     "t.menu:2:8: 'otp.issue' is an action built-in, not a list"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action dir.departments()\n  else -> main\n",
     "t.menu:3:17: 'dir.departments' is a list built-in, not an action"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action otp.issue(\"p\", \"c\")\n  on sent -> "
     "main\n",
     "t.menu:3:8: action screen 'a' does not handle outcome 'rate_limited' of 'otp.issue'"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action otp.issue(\"p\", \"c\")\n"
     "  on sent -> main\n  on rate_limited -> main\n  on expired -> main\n",
     "t.menu:6:3: 'otp.issue' never returns 'expired'"},
    {"screen main menu\n  option \"A\" -> a\nscreen a action otp.issue(\"p\", \"c\")\n"
     "  on sent -> main\n  on error -> main\n  else -> main\n",
     NULL},
    /* loops of screens that never show anything */
    {"screen main menu\n  option \"A\" -> a\nscreen a router\n  if set lang -> b\n  else -> main\n"
     "screen b router\n  else -> a\n",
     "t.menu:7:11: screens a -> b -> a loop without showing anything"},
    /* texts and languages */
    {"screen main menu\n  title ur \"صرف اردو\"\n  option \"A\" -> main\n",
     "t.menu:2:9: text has no English variant (the fallback for other languages)"},
    {"screen main menu\n  option \"A\" -> main set lang = \"fr\"\n",
     "t.menu:2:17: 'fr' is not a language (en, ur, ur-Latn or ps)"},
    {"screen main menu\n  option \"A\" -> main set lang = \"ur-latn\"\n",
     "t.menu:2:17: 'ur-latn' is not a language (en, ur, ur-Latn or ps)"},
    /* page lengths: GSM 7-bit 182, UCS-2 80 */
    {"screen main menu\n  option \"This option is far too long to fit on one USSD page in UCS-2 "
     "because of ü... no, ü is GSM; this one has اردو\" -> main\n",
     "t.menu:2:3: option 1 of screen 'main' does not fit on one en page of 80 UCS-2 units with "
     "the navigation lines"},
    {"system back \"Back\" ur \"واپس\"\nscreen main menu\n  option \"One\" -> two\n"
     "screen two menu\n  option \"An English option that fits easily in GSM but not with an Urdu "
     "back line\" -> main\n",
     "t.menu:5:3: option 1 of screen 'two' does not fit on one ur page of 80 UCS-2 units with the "
     "navigation lines"},
    {"system invalid \"This invalid-choice text is long enough that with the option below it "
     "cannot fit in a page.\"\n"
     "screen main menu\n  option \"An option line of a reasonable length, which fits alone on "
     "a page, and then a bit more.\" -> main\n",
     "t.menu:2:8: screen 'main' with the 'invalid' line does not fit on one en page of 182 GSM "
     "7-bit units"},
    {"system resume \"Would you like to continue the dialog exactly where you left it off the "
     "last time you dialled, which was not long ago? This is a rather long resume prompt, so "
     "long it cannot fit.\"\nscreen main menu\n  option \"A\" -> main\n",
     "t.menu:1:1: the resume prompt does not fit on one en page of 182 GSM 7-bit units"},
};

START_TEST(test_check_table)
{
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    int rc = fx_compile(cases[_i].src, &g, &diag);

    if (cases[_i].first == NULL) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, diag.data);
        ck_assert_ptr_nonnull(g);
    } else {
        size_t n = strcspn(diag.data, "\n");
        ck_assert_msg(rc == -KP_ERR_CONFIG, "case %d: rc %d: %s", _i, rc, diag.data);
        ck_assert_ptr_null(g);
        ck_assert_msg(strlen(cases[_i].first) == n && strncmp(diag.data, cases[_i].first, n) == 0,
                      "case %d: got\n%s", _i, diag.data);
    }
    menu_graph_unref(g);
    kp_buf_free(&diag);
}
END_TEST

/* A checker message carries the source line and the caret, like gcc. */
START_TEST(test_check_caret)
{
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_int_eq(fx_compile("screen main menu\n  option \"Go\" -> nowhere\n", &g, &diag),
                     -KP_ERR_CONFIG);
    ck_assert_str_eq(diag.data, "t.menu:2:18: unknown screen 'nowhere'\n"
                                "  option \"Go\" -> nowhere\n"
                                "                 ^\n");
    kp_buf_free(&diag);
}
END_TEST

/* Every problem of a file in one run. */
START_TEST(test_check_all)
{
    static const char src[] = "screen main menu\n"
                              "  text \"{who}\"\n"          /* never set */
                              "  option \"A\" -> nowhere\n" /* unknown */
                              "  option 2 \"B\" -> main\n"
                              "  option 2 \"C\" -> main\n" /* duplicate */
                              "screen lost menu\n"         /* unreachable, dead end */
                              "screen a action x.y()\n"    /* unreachable, unknown */
                              "  else -> main\n";
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    int n = 0;

    ck_assert_int_eq(fx_compile(src, &g, &diag), -KP_ERR_CONFIG);
    for (const char *p = diag.data; (p = strstr(p, "t.menu:")) != NULL; p++)
        n++;
    ck_assert_msg(n == 7, "%d messages:\n%s", n, diag.data);
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:2:8: variable 'who' is never set\n"));
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:3:17: unknown screen 'nowhere'\n"));
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:5:3: duplicate option key 2"));
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:6:8: dead end: menu screen 'lost'"));
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:6:8: screen 'lost' is unreachable"));
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:7:17: unknown built-in 'x.y'\n"));
    ck_assert_ptr_nonnull(strstr(diag.data, "t.menu:7:8: screen 'a' is unreachable"));
    kp_buf_free(&diag);
}
END_TEST

/* The limits the checker uses are the caller's: a screen that fits 182
   septets is refused at 40. */
START_TEST(test_check_limits)
{
    static const char src[] = "screen main menu\n  option \"Forty-five characters of option text "
                              "here\" -> main\n";
    struct menu_options o = fx_options();
    struct menu_source s = {"t.menu", src, sizeof(src) - 1};
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_int_eq(menu_graph_compile(&s, 1, &o, &g, &diag), 0);
    menu_graph_unref(g);
    o.limits.gsm7 = 40;
    ck_assert_int_eq(menu_graph_compile(&s, 1, &o, &g, &diag), -KP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(diag.data, "option 1 of screen 'main' does not fit on one en page "
                                            "of 40 GSM 7-bit units"));
    kp_buf_free(&diag);
}
END_TEST

START_TEST(test_check_sample)
{
    struct menu_graph *g = fx_sample();

    ck_assert_uint_eq(menu_graph_screens(g), 19);
    menu_graph_unref(g);
}
END_TEST

Suite *suite_menu_check(void)
{
    Suite *s = suite_create("menu_check");
    TCase *tc = tcase_create("check");

    tcase_add_loop_test(tc, test_check_table, 0, (int)KP_ARRAY_LEN(cases));
    tcase_add_test(tc, test_check_caret);
    tcase_add_test(tc, test_check_all);
    tcase_add_test(tc, test_check_limits);
    tcase_add_test(tc, test_check_sample);
    suite_add_tcase(s, tc);
    return s;
}
