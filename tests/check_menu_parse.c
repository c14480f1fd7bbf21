/* SPDX-License-Identifier: ISC */
/*
 * menu_parse: the lexer and parser.  A table of bad sources with the exact
 * diagnostic (file:line:col: message, the source line, a caret under the
 * column, counted in characters), good sources side by side, recovery
 * reporting every error of a file in one run, and the error cap.
 */
#include "menu_fixture.h"

#include <unistd.h>

#include "kpass/core/mem.h"

#define HOME "screen main menu\n  option \"A\" -> main\n"

static const struct {
    const char *src;
    const char *diag; /* NULL: compiles; else the exact full diagnostics */
} cases[] = {
    /* good ones */
    {HOME, NULL},
    {"# comment only line\n" HOME "# trailing comment", NULL},
    {"screen main menu\n  title \"T\"\n        ur \"عنوان\"\n  option \"A\" ur \"ا\" -> main\n",
     NULL},
    {"screen main menu # comment after a statement\n  option 5 \"Five\" -> main # here too\n",
     NULL},
    {"screen main menu\r\n  option \"A\" -> main\r\n", NULL},
    /* a header line */
    {"screen main menu\n  header \"H {x}\" ur \"ہ\"\n  option \"A\" -> main set x = \"1\"\n", NULL},
    {"screen main menu\n  header \"H\"\n  header \"I\"\n  option \"A\" -> main\n",
     "t.menu:3:3: screen 'main' already has a header\n  header \"I\"\n  ^\n"},
    {HOME "screen e end\n  text \"Bye\"\n  header \"H\"\n",
     "t.menu:5:3: 'header' is not allowed in end screen 'e'\n  header \"H\"\n  ^\n"},
    /* Roman Urdu: the tag is one word, the arrow after a name still an arrow */
    {"screen main menu\n  title \"T\" ur-Latn \"Sar\"\n  option \"A\"\n    ur-Latn \"Alif\" "
     "->main\n",
     NULL},
    {"screen main menu\n  option \"Say \\\"hi\\\" \\\\ {{x}\\n\" -> main\n", NULL},
    {"home start\nscreen start router\n  if lang == \"ur\" and set x -> m\n  else -> m set x = "
     "\"1\", "
     "y = x\nscreen m menu\n  option \"{y}\" -> start\n",
     NULL},
    /* lexical errors */
    {"screen main menu\n  option \"A -> main\n",
     "t.menu:2:10: unterminated string\n  option \"A -> main\n         ^\n"},
    {"screen main menu\n  option \"a\\qb\" -> main\n",
     "t.menu:2:12: unknown escape in string (use \\n, \\\" or \\\\)\n"
     "  option \"a\\qb\" -> main\n           ^\n"},
    {"screen main menu @\n  option \"A\" -> main\n",
     "t.menu:1:18: unexpected character '@'\nscreen main menu @\n                 ^\n"},
    {"screen main menu \xff\n  option \"A\" -> main\n",
     "t.menu:1:18: invalid UTF-8\nscreen main menu \xff\n                 ^\n"},
    {"screen main menu\n  option \"\xc0\x80\" -> main\n",
     "t.menu:2:10: invalid UTF-8 in string\n  option \"\xc0\x80\" -> main\n         ^\n"},
    /* statements */
    {HOME "  optoin \"B\" -> main\n",
     "t.menu:3:3: unknown statement 'optoin'\n  optoin \"B\" -> main\n  ^\n"},
    {"option \"A\" -> main\n" HOME,
     "t.menu:1:1: 'option' outside a screen\noption \"A\" -> main\n^\n"},
    {"screen main info\n  text \"x\"\n  option \"A\" -> main\n",
     "t.menu:3:3: 'option' is not allowed in info screen 'main'\n  option \"A\" -> main\n  ^\n"},
    {"screen main page\n",
     "t.menu:1:13: expected a screen kind (menu, input, info, end, action, router or app), found "
     "'page'\nscreen main page\n            ^\n"},
    {HOME "screen main info\n  text \"x\"\n",
     "t.menu:3:8: screen 'main' is already defined at t.menu:1\nscreen main info\n       ^\n"},
    {"screen main menu\n  option 98 \"More?\" -> main\n",
     "t.menu:2:10: option key must be 1 to 99, without a leading 0 (0, 00 and 98 are Back, Home "
     "and More)\n  option 98 \"More?\" -> main\n         ^\n"},
    {"screen main menu\n  option 00 \"Home?\" -> main\n",
     "t.menu:2:10: option key must be 1 to 99, without a leading 0 (0, 00 and 98 are Back, Home "
     "and More)\n  option 00 \"Home?\" -> main\n         ^\n"},
    {"screen main menu\n  option \"A\"\n",
     "t.menu:2:3: option has no target (-> screen)\n  option \"A\"\n  ^\n"},
    {"screen main menu\n  option -> main\n",
     "t.menu:2:3: option has no text\n  option -> main\n  ^\n"},
    {"screen main menu\n  title \"A\" ur-Latn \"a\" ur-latn \"b\"\n  option \"A\" -> main\n",
     "t.menu:2:25: expected the end of the line, found 'ur-latn'\n"
     "  title \"A\" ur-Latn \"a\" ur-latn \"b\"\n                        ^\n"},
    {"screen main menu\n  option \"A\" ur-Latn \"a\" ur-Latn \"b\" -> main\n",
     "t.menu:2:26: two 'ur-Latn' variants of the same text\n"
     "  option \"A\" ur-Latn \"a\" ur-Latn \"b\" -> main\n                         ^\n"},
    {"screen main menu\n  option \"A\" -> main set a-b = \"1\"\n",
     "t.menu:2:26: invalid variable name 'a-b'\n  option \"A\" -> main set a-b = \"1\"\n"
     "                         ^\n"},
    {"screen main menu\n  option \"A\" -> main -> main\n",
     "t.menu:2:22: option has two targets\n  option \"A\" -> main -> main\n                     "
     "^\n"},
    {"screen main menu\n  option \"A\" ur \"ا\" ur \"ب\" -> main\n",
     "t.menu:2:21: two 'ur' variants of the same text\n"
     "  option \"A\" ur \"ا\" ur \"ب\" -> main\n                    ^\n"},
    {"screen main menu\n  option \"A\" -> main extra\n",
     "t.menu:2:22: expected the end of the line, found 'extra'\n"
     "  option \"A\" -> main extra\n                     ^\n"},
    {"screen main menu\n  title ur \"سلام\" bad\n  option \"A\" -> main\n",
     "t.menu:2:19: expected the end of the line, found 'bad'\n"
     "  title ur \"سلام\" bad\n                  ^\n"},
    {"screen main menu\n\toption \"A\" -> main set x =\n",
     "t.menu:2:28: expected a string or a variable, found end of line\n"
     "\toption \"A\" -> main set x =\n\t                          ^\n"},
    {"screen main menu\n  option \"A\" -> main set a.b = \"1\"\n",
     "t.menu:2:26: invalid variable name 'a.b'\n  option \"A\" -> main set a.b = \"1\"\n"
     "                         ^\n"},
    {"screen main menu\n  text \"Hi {name\"\n  option \"A\" -> main\n",
     "t.menu:2:12: malformed variable reference (write {name}, or {{ for a brace)\n"
     "  text \"Hi {name\"\n           ^\n"},
    {"screen main menu\n  text \"Hi {9x}\"\n  option \"A\" -> main\n",
     "t.menu:2:12: malformed variable reference (write {name}, or {{ for a brace)\n"
     "  text \"Hi {9x}\"\n           ^\n"},
    {"screen main menu\n  text \"T\"\n  text \"U\"\n  option \"A\" -> main\n",
     "t.menu:3:3: screen 'main' already has a text\n  text \"U\"\n  ^\n"},
    {"screen main menu\n  list dir.departments() -> main\n",
     "t.menu:2:26: expected 'as' and the variable that receives the chosen item, found '->'\n"
     "  list dir.departments() -> main\n                         ^\n"},
    {"screen main menu\n  list dir.departments -> main\n",
     "t.menu:2:24: expected '(', found '->'\n  list dir.departments -> main\n"
     "                       ^\n"},
    {"screen main action otp.issue(a, b c)\n",
     "t.menu:1:35: expected ',' or ')', found 'c'\nscreen main action otp.issue(a, b c)\n"
     "                                  ^\n"},
    {"screen main action f(a,b,c,d,e,f,g,h,i)\n",
     "t.menu:1:38: more than 8 arguments\nscreen main action f(a,b,c,d,e,f,g,h,i)\n"
     "                                     ^\n"},
    /* input checks */
    {HOME "screen i input\n  accept letters\n",
     "t.menu:4:10: expected a check (digits, length, regex, cnic or msisdn), found 'letters'\n"
     "  accept letters\n         ^\n"},
    {HOME "screen i input\n  accept length 5..2\n",
     "t.menu:4:10: length must be N or N..M with 1 <= N <= M <= 160\n  accept length 5..2\n"
     "         ^\n"},
    {HOME "screen i input\n  accept length 0\n",
     "t.menu:4:10: length must be N or N..M with 1 <= N <= M <= 160\n  accept length 0\n"
     "         ^\n"},
    {HOME "screen i input\n  accept regex \"a(\"\n",
     "t.menu:4:16: bad regular expression: Unmatched ( or \\(\n  accept regex \"a(\"\n"
     "               ^\n"},
    /* Patterns that made regcomp take gigabytes (fuzz_menu_parse). */
    {HOME "screen i input\n  accept regex \"[0-9]++++++++\"\n",
     "t.menu:4:16: bad regular expression: a quantifier on a quantifier\n"
     "  accept regex \"[0-9]++++++++\"\n               ^\n"},
    {HOME "screen i input\n  accept regex \"a{33}\"\n",
     "t.menu:4:16: bad regular expression: repeat counts too large (at most 32 each, 1024 "
     "together)\n  accept regex \"a{33}\"\n               ^\n"},
    {HOME "screen i input\n  accept regex \"((a{32}){32}){2}\"\n",
     "t.menu:4:16: bad regular expression: repeat counts too large (at most 32 each, 1024 "
     "together)\n  accept regex \"((a{32}){32}){2}\"\n               ^\n"},
    {HOME "screen i input\n  var x\n  var y\n",
     "t.menu:5:3: screen 'i' already has a variable\n  var y\n  ^\n"},
    {HOME "screen i input\n  -> main\n  -> main\n",
     "t.menu:5:3: screen 'i' already has a '->'\n  -> main\n  ^\n"},
    /* actions and routers */
    {HOME "screen a action otp.issue(p, c)\n  on sent -> main\n  on sent -> main\n",
     "t.menu:5:6: outcome 'sent' is handled twice\n  on sent -> main\n     ^\n"},
    {HOME "screen r router\n  else -> main\n  else -> main\n",
     "t.menu:5:3: screen 'r' already has an 'else'\n  else -> main\n  ^\n"},
    {HOME "screen r router\n  if x = \"1\" -> main\n",
     "t.menu:4:8: expected '==' or '!=', found '='\n  if x = \"1\" -> main\n       ^\n"},
    {HOME "screen r router\n  if set -> main\n",
     "t.menu:4:10: expected a variable name, found '->'\n  if set -> main\n         ^\n"},
    /* system texts and home */
    {"system more \"More {x}\"\n" HOME,
     "t.menu:1:19: variables cannot be used in system texts\nsystem more \"More {x}\"\n"
     "                  ^\n"},
    {"system more \"M\"\nsystem more \"N\"\n" HOME,
     "t.menu:2:1: system text 'more' is already defined at t.menu:1\nsystem more \"N\"\n^\n"},
    {"system bogus \"M\"\n" HOME,
     "t.menu:1:8: expected a system text name (more, back, home, invalid, invalid_input, resume, "
     "continue, restart, expired, error or no_service), found 'bogus'\nsystem bogus \"M\"\n       "
     "^\n"},
    {"home main\nhome main\n" HOME,
     "t.menu:2:1: 'home' is already given at t.menu:1\nhome main\n^\n"},
};

START_TEST(test_parse_table)
{
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    int rc = fx_compile(cases[_i].src, &g, &diag);

    if (cases[_i].diag == NULL) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, diag.data);
        ck_assert_ptr_nonnull(g);
        ck_assert_str_eq(diag.data, "");
    } else {
        ck_assert_msg(rc == -KP_ERR_PARSE, "case %d: rc %d: %s", _i, rc, diag.data);
        ck_assert_ptr_null(g);
        ck_assert_str_eq(diag.data, cases[_i].diag);
    }
    menu_graph_unref(g);
    kp_buf_free(&diag);
}
END_TEST

static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);

    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

/* The parser keeps going: one message per bad line, in two files, in one run. */
START_TEST(test_parse_recovery)
{
    static const char a[] = "screen main menu\n"
                            "  option \"A\" -> main junk\n" /* 2 */
                            "  optoin \"B\" -> main\n"      /* 3 */
                            "  option \"C\" -> \n"          /* 4 */
                            "  option \"ok\" -> main\n"
                            "screen x page\n"         /* 6 */
                            "  text \"unterminated\n" /* 7 */
                            "screen y info\n"
                            "  text \"fine\"\n";
    static const char b[] = "screen z end\n"
                            "  text \"a\" xx \"b\"\n" /* 2 */
                            "system nope \"x\"\n";    /* 3 */
    struct menu_source src[] = {{"b.menu", b, sizeof(b) - 1}, {"a.menu", a, sizeof(a) - 1}};
    struct menu_options o = fx_options();
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_int_eq(menu_graph_compile(src, 2, &o, &g, &diag), -KP_ERR_PARSE);
    ck_assert_ptr_null(g);
    ck_assert_int_eq(count_lines(diag.data, "a.menu:"), 5);
    ck_assert_int_eq(count_lines(diag.data, "b.menu:"), 2);
    /* files in name order, lines in order */
    ck_assert_ptr_nonnull(strstr(diag.data, "a.menu:2:22: "));
    ck_assert_ptr_nonnull(strstr(diag.data, "a.menu:3:3: "));
    ck_assert_ptr_nonnull(strstr(diag.data, "a.menu:4:17: "));
    ck_assert_ptr_nonnull(strstr(diag.data, "a.menu:6:10: "));
    ck_assert_ptr_nonnull(strstr(diag.data, "a.menu:7:8: "));
    ck_assert_ptr_nonnull(strstr(diag.data, "b.menu:2:12: "));
    ck_assert_ptr_nonnull(strstr(diag.data, "b.menu:3:8: "));
    ck_assert(strstr(diag.data, "a.menu:") < strstr(diag.data, "b.menu:"));
    kp_buf_free(&diag);
}
END_TEST

/* A flood of errors is cut at 100 messages, with a count of the rest. */
START_TEST(test_parse_error_cap)
{
    struct kp_buf src = KP_BUF_INIT, diag = KP_BUF_INIT;
    struct menu_graph *g = NULL;

    for (int i = 0; i < 150; i++)
        kp_buf_puts(&src, "bogus\n");
    ck_assert_int_eq(fx_compile(src.data, &g, &diag), -KP_ERR_PARSE);
    ck_assert_int_eq(count_lines(diag.data, "t.menu:"), 100);
    ck_assert_ptr_nonnull(strstr(diag.data, "menu: 50 more errors not shown\n"));
    kp_buf_free(&src);
    kp_buf_free(&diag);
}
END_TEST

/* Continuation lines: a line starting with a language tag and a string
   continues the line before it. */
START_TEST(test_parse_continuation)
{
    static const char src[] = "system back \"Back\"\n"
                              "            ur \"واپس\"\n"
                              "screen main menu\n"
                              "  title \"Main\"\n"
                              "        ur \"مرکزی\"\n"
                              "  option \"One\" -> two\n"
                              "         ur \"ایک\"\n"
                              "screen two menu\n"
                              "  title \"Two\" ur \"دو\"\n"
                              "  option \"Home\" -> main\n";
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    struct fx_dialog d;

    ck_assert_msg(fx_compile(src, &g, &diag) == 0, "%s", diag.data);
    fx_open(&d, g);
    fx_begin(&d, MENU_LANG_UR, NULL);
    fx_expect(&d, "مرکزی\n1 ایک", TEXT_UCS2, 0);
    fx_send(&d, "1");
    fx_expect(&d, "دو\n1 Home\n0 واپس", TEXT_UCS2, 0);
    fx_close(&d); /* drops g */
    g = NULL;

    /* Roman Urdu continues a line the same way, and stays GSM 7-bit;
       a text without its variant falls back to English. */
    static const char latn[] = "system back \"Back\"\n"
                               "            ur-Latn \"Wapas\"\n"
                               "screen main menu\n"
                               "  title \"Main\"\n"
                               "        ur-Latn \"Markazi\" ur \"مرکزی\"\n"
                               "  option \"One\" -> two\n"
                               "         ur-Latn \"Aik\"\n"
                               "screen two menu\n"
                               "  title \"Two\" ur-Latn \"Do\"\n"
                               "  option \"Home\" -> main set lang = \"ur-Latn\"\n";
    ck_assert_msg(fx_compile(latn, &g, &diag) == 0, "%s", diag.data);
    fx_open(&d, g);
    fx_begin(&d, MENU_LANG_UR_LATN, NULL);
    fx_expect(&d, "Markazi\n1 Aik", TEXT_GSM7, 0);
    fx_send(&d, "1");
    fx_expect(&d, "Do\n1 Home\n0 Wapas", TEXT_GSM7, 0);
    fx_close(&d);
    kp_buf_free(&diag);
}
END_TEST

/* The version is a hash of the sorted sources: order of the array does
   not matter, any byte does. */
START_TEST(test_version)
{
    static const char a[] = HOME, b[] = "screen other info\n  text \"x\"\n";
    struct menu_source s1[] = {{"a.menu", a, sizeof(a) - 1}, {"b.menu", b, sizeof(b) - 1}};
    struct menu_source s2[] = {{"b.menu", b, sizeof(b) - 1}, {"a.menu", a, sizeof(a) - 1}};
    struct menu_source s3[] = {{"a.menu", a, sizeof(a) - 1}, {"c.menu", b, sizeof(b) - 1}};
    struct menu_options o = fx_options();
    struct menu_graph *g1, *g2, *g3;
    struct kp_buf diag = KP_BUF_INIT;

    /* other is unreachable: give it a way in */
    static const char a2[] = "screen main menu\n  option \"A\" -> other\n";
    s1[0].text = s2[1].text = s3[0].text = a2;
    s1[0].len = s2[1].len = s3[0].len = sizeof(a2) - 1;
    ck_assert_int_eq(menu_graph_compile(s1, 2, &o, &g1, &diag), 0);
    ck_assert_int_eq(menu_graph_compile(s2, 2, &o, &g2, &diag), 0);
    ck_assert_int_eq(menu_graph_compile(s3, 2, &o, &g3, &diag), 0);
    ck_assert_uint_eq(strlen(menu_graph_version(g1)), 32);
    ck_assert_str_eq(menu_graph_version(g1), menu_graph_version(g2));
    ck_assert_str_ne(menu_graph_version(g1), menu_graph_version(g3));
    ck_assert_uint_eq(menu_graph_screens(g1), 2);
    ck_assert_str_eq(menu_graph_screen_name(g1, 0), "main");
    ck_assert_ptr_null(menu_graph_screen_name(g1, 2));
    /* reference counting */
    ck_assert_ptr_eq(menu_graph_ref(g1), g1);
    menu_graph_unref(g1);
    menu_graph_unref(g1);
    menu_graph_unref(g2);
    menu_graph_unref(g3);
    menu_graph_unref(NULL);
    ck_assert_ptr_null(menu_graph_ref(NULL));
    kp_buf_free(&diag);
}
END_TEST

START_TEST(test_load_dir)
{
    struct menu_options o = fx_options();
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    char *dir = tu_tmpdir("menu");
    char path[1024];

    ck_assert_int_eq(menu_graph_load("/nonexistent/menus", &o, &g, &diag), -KP_ERR_IO);
    ck_assert_str_eq(diag.data, "/nonexistent/menus: No such file or directory\n");
    kp_buf_reset(&diag);
    /* only *.menu files are read */
    snprintf(path, sizeof(path), "%s/main.menu", dir);
    ck_assert_int_eq(tu_write_file(path, HOME), 0);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    ck_assert_int_eq(tu_write_file(path, "not a menu"), 0);
    ck_assert_int_eq(menu_graph_load(dir, &o, &g, &diag), 0);
    ck_assert_uint_eq(menu_graph_screens(g), 1);
    menu_graph_unref(g);
    snprintf(path, sizeof(path), "%s/bad.menu", dir);
    ck_assert_int_eq(tu_write_file(path, "screen x\n"), 0);
    ck_assert_int_eq(menu_graph_load(dir, &o, &g, &diag), -KP_ERR_PARSE);
    ck_assert_msg(strncmp(diag.data, dir, strlen(dir)) == 0 && strstr(diag.data, "/bad.menu:1:9: "),
                  "%s", diag.data);
    kp_buf_free(&diag);
    unlink(path);
    snprintf(path, sizeof(path), "%s/main.menu", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}
END_TEST

/* A built-in table that is malformed is refused. */
START_TEST(test_bad_builtins)
{
    static const struct menu_builtin bad[] = {{"x", MENU_BUILTIN_ACTION, 3, 1, NULL, NULL}};
    struct menu_options o = {bad, 1, MENU_LIMITS_DEFAULT, NULL};
    struct menu_source src = {"t.menu", HOME, sizeof(HOME) - 1};
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_int_eq(menu_graph_compile(&src, 1, &o, &g, &diag), -KP_ERR_INVAL);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(diag.data, "menu: malformed built-in table\n");
    /* no options at all: no built-ins, default limits */
    ck_assert_int_eq(menu_graph_compile(&src, 1, NULL, &g, &diag), 0);
    menu_graph_unref(g);
    kp_buf_free(&diag);
}
END_TEST

Suite *suite_menu_parse(void)
{
    Suite *s = suite_create("menu_parse");
    TCase *tc = tcase_create("parse");

    tcase_add_loop_test(tc, test_parse_table, 0, (int)KP_ARRAY_LEN(cases));
    tcase_add_test(tc, test_parse_recovery);
    tcase_add_test(tc, test_parse_error_cap);
    tcase_add_test(tc, test_parse_continuation);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_load_dir);
    tcase_add_test(tc, test_bad_builtins);
    suite_add_tcase(s, tc);
    return s;
}
