/* SPDX-License-Identifier: ISC */
/*
 * menu tools: what `kpass menu` needs from the library.  The golden
 * transcripts in tests/menus pass; a wrong transcript reports every
 * mismatch at its file:line with both screens; a malformed one is refused
 * with the line; the DOT output names every screen and edge.
 */
#include "menu_fixture.h"

#include "kpass/core/mem.h"
#include "kpass/text/text.h"

static int count_prefix(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);

    for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

static const char *const golden[] = {"english.dialog", "urdu.dialog"};

START_TEST(test_golden_transcripts)
{
    struct fx_ctx ctx;
    struct menu_env env = fx_env(&ctx);
    struct menu_graph *g = fx_sample();
    struct menu_transcript_result res;
    struct kp_buf report = KP_BUF_INIT;
    char path[1024];
    char *text;

    memset(&ctx, 0, sizeof(ctx));
    snprintf(path, sizeof(path), "%s/tests/menus/%s", tu_top(), golden[_i]);
    ck_assert_int_eq(menu_transcript_run_file(g, &env, path, &report, &res), 0);
    ck_assert_msg(res.failures == 0, "%s", report.data);
    text = (char *)tu_read_file(path, NULL);
    ck_assert_uint_eq(res.exchanges, (unsigned)count_prefix(text, "< "));
    ck_assert_uint_gt(res.exchanges, 8);
    free(text);
    kp_buf_free(&report);
    menu_graph_unref(g);
}
END_TEST

/* Three mismatches: a text line (reported at that line), the encoding and
   the end flag (at the '<' line), a language change not announced. */
static const char wrong[] = "! dial *789*1#\n"  /* 1 */
                            "< gsm7 continue\n" /* 2 */
                            "| Departments\n"   /* 3 */
                            "| 1 Health\n"      /* 4 */
                            "| 2 Schools\n"     /* 5: wrong */
                            "| 3 Revenue\n"     /* 6 */
                            "| 0 Back\n"        /* 7 */
                            "> 00\n"            /* 8 */
                            "< gsm7 end\n"      /* 9: ucs2 continue */
                            "| Khyber Pass\n"
                            "| 1 Find a service\n"
                            "| 2 Get a verification code\n"
                            "| 98 More\n"
                            "! dial *789*4#\n"  /* 14 */
                            "> 2\n"             /* 15 */
                            "< ucs2 continue\n" /* 16: lang ur not expected */
                            "| خیبر پاس\n"
                            "| 1 سروس تلاش کریں\n"
                            "| 2 تصدیقی کوڈ حاصل کریں\n"
                            "| 3 رجسٹریشن چیک کریں\n"
                            "| 98 مزید\n"
                            "> 1\n" /* 22: fine */
                            "< ucs2 continue\n"
                            "| محکمے\n"
                            "| 1 صحت\n"
                            "| 2 تعلیم\n"
                            "| 3 Revenue\n"
                            "| 0 واپس\n";

START_TEST(test_wrong_transcript)
{
    struct fx_ctx ctx;
    struct menu_env env = fx_env(&ctx);
    struct menu_graph *g = fx_sample();
    struct menu_transcript_result res;
    struct kp_buf report = KP_BUF_INIT;

    memset(&ctx, 0, sizeof(ctx));
    ck_assert_int_eq(
        menu_transcript_run(g, &env, "w.dialog", wrong, sizeof(wrong) - 1, &report, &res), 0);
    ck_assert_uint_eq(res.exchanges, 4);
    ck_assert_msg(res.failures == 3, "%u failures:\n%s", res.failures, report.data);
    ck_assert_int_eq(count_prefix(report.data, "w.dialog:"), 3);
    ck_assert_ptr_nonnull(strstr(report.data, "w.dialog:5: the screen differs\n"
                                              "  expected gsm7 continue, got gsm7 continue\n"
                                              "  expected:\n"
                                              "  | Departments\n"
                                              "  | 1 Health\n"
                                              "  | 2 Schools\n"));
    ck_assert_ptr_nonnull(strstr(report.data, "  got:\n"
                                              "  | Departments\n"
                                              "  | 1 Health\n"
                                              "  | 2 Education\n"));
    ck_assert_ptr_nonnull(strstr(report.data, "w.dialog:9: the screen differs\n"
                                              "  expected gsm7 end, got ucs2 continue\n"));
    ck_assert_ptr_nonnull(strstr(report.data,
                                 "w.dialog:16: the screen differs\n"
                                 "  expected ucs2 continue, got ucs2 continue lang ur\n"));
    kp_buf_free(&report);
    menu_graph_unref(g);
}
END_TEST

static const struct {
    const char *text;
    const char *report; /* exact */
} malformed[] = {
    {"! dial *789#\n< gsm7 maybe\n", "m.dialog:2: expected '< gsm7|ucs2 continue|end [lang XX]'\n"},
    {"< utf8 end\n", "m.dialog:1: expected '< gsm7|ucs2 continue|end [lang XX]'\n"},
    {"< gsm7 end lang fr\n", "m.dialog:1: expected '< gsm7|ucs2 continue|end [lang XX]'\n"},
    {"< gsm7 end extra\n", "m.dialog:1: expected '< gsm7|ucs2 continue|end [lang XX]'\n"},
    {"lang de\n", "m.dialog:1: unknown language (en, ur, ur-Latn or ps)\n"},
    {"limits 182\n", "m.dialog:1: expected 'limits GSM7 UCS2' (two numbers)\n"},
    {"hello\n\n# fine\nbye\n",
     "m.dialog:1: unknown line (expected caller, lang, limits, service, !, >, < or |)\n"
     "m.dialog:4: unknown line (expected caller, lang, limits, service, !, >, < or |)\n"},
    /* the caller directive: an E.164 number, then lang and profile pairs */
    {"caller 923001234567\n", "m.dialog:1: expected 'caller +E164 [lang XX] [profile NAME]'\n"},
    {"caller +92300\n", "m.dialog:1: expected 'caller +E164 [lang XX] [profile NAME]'\n"},
    {"caller +923001234567 lang\n",
     "m.dialog:1: expected 'caller +E164 [lang XX] [profile NAME]'\n"},
    {"caller +923001234567 lang fr\n", "m.dialog:1: unknown language (en, ur, ur-Latn or ps)\n"},
    {"caller +923001234567 profile UMR\n",
     "m.dialog:1: expected 'caller +E164 [lang XX] [profile NAME]'\n"},
    {"caller +923001234567 lang ur lang ps\n",
     "m.dialog:1: expected 'caller +E164 [lang XX] [profile NAME]'\n"},
    {"caller +923001234567 lang ur profile umr extra\n",
     "m.dialog:1: expected 'caller +E164 [lang XX] [profile NAME]'\n"},
};

START_TEST(test_malformed_transcript)
{
    struct fx_ctx ctx;
    struct menu_env env = fx_env(&ctx);
    struct menu_graph *g = fx_sample();
    struct menu_transcript_result res;
    struct kp_buf report = KP_BUF_INIT;
    const char *t = malformed[_i].text;

    memset(&ctx, 0, sizeof(ctx));
    ck_assert_int_eq(menu_transcript_run(g, &env, "m.dialog", t, strlen(t), &report, &res),
                     -KP_ERR_PARSE);
    ck_assert_str_eq(report.data, malformed[_i].report);
    ck_assert_uint_eq(res.exchanges, 0);
    kp_buf_free(&report);
    menu_graph_unref(g);
}
END_TEST

/* A caller line: the number the built-ins see, the language of the next
   dial, the partner profile named (kpass menu test checks the name). */
START_TEST(test_transcript_caller)
{
    static const char t1[] = "caller +923009999999 lang ur profile umr\n"
                             "! dial *789*1#\n";
    static const char t[] = "caller +923009999999 lang ur profile umr\n"
                            "! dial *789*1#\n"
                            "caller +923008888888\n"
                            "! dial *789*1#\n";
    struct fx_ctx ctx;
    struct menu_env env = fx_env(&ctx);
    struct menu_graph *g = fx_sample();
    struct menu_transcript_result res;
    struct kp_buf report = KP_BUF_INIT;

    memset(&ctx, 0, sizeof(ctx));
    ck_assert_int_eq(menu_transcript_run(g, &env, "c.dialog", t1, sizeof(t1) - 1, &report, &res),
                     0);
    ck_assert_str_eq(ctx.last, "dir.departments() ur +923009999999");
    ck_assert_str_eq(res.profile, "umr");
    ck_assert_int_eq(menu_transcript_run(g, &env, "c.dialog", t, sizeof(t) - 1, &report, &res), 0);
    ck_assert_str_eq(ctx.last, "dir.departments() ur +923008888888"); /* lang stays */
    ck_assert_uint_eq(res.failures, 0);
    kp_buf_free(&report);
    menu_graph_unref(g);
}
END_TEST

/* Things a transcript can get wrong at run time, each reported at its line. */
START_TEST(test_transcript_runtime)
{
    static const char t[] = "> 1\n"             /* no dialog yet */
                            "! dial *123#\n"    /* not the service */
                            "< gsm7 continue\n" /* nothing to compare */
                            "| x\n"
                            "service *123#\n"
                            "! dial *123*9*1*1#\n"
                            "| stray\n";
    struct fx_ctx ctx;
    struct menu_env env = fx_env(&ctx);
    struct menu_graph *g = fx_sample();
    struct menu_transcript_result res;
    struct kp_buf report = KP_BUF_INIT;

    memset(&ctx, 0, sizeof(ctx));
    ck_assert_int_eq(menu_transcript_run(g, &env, "r.dialog", t, sizeof(t) - 1, &report, &res), 0);
    ck_assert_str_eq(report.data, "r.dialog:1: no dialog in progress (use '! dial' first)\n"
                                  "r.dialog:2: '*123#' is not the service code *789#\n"
                                  "r.dialog:3: no screen to compare (the action on line 2 failed)\n"
                                  "r.dialog:7: a screen line without '<' before it\n");
    ck_assert_uint_eq(res.failures, 4);
    ck_assert_int_eq(menu_transcript_run_file(g, &env, "/nonexistent.dialog", &report, &res),
                     -KP_ERR_IO);
    kp_buf_free(&report);
    menu_graph_unref(g);
}
END_TEST

START_TEST(test_dot)
{
    struct menu_graph *g = fx_sample();
    struct kp_buf dot = KP_BUF_INIT;
    int quotes = 0;

    ck_assert_int_gt(menu_graph_dot(g, &dot), 0);
    ck_assert(strncmp(dot.data, "digraph menu {\n", 15) == 0);
    ck_assert_str_eq(dot.data + dot.len - 2, "}\n");
    ck_assert_ptr_nonnull(
        strstr(dot.data, "  \"main\" [shape=box, label=\"main\\nmenu\", style=bold];\n"));
    ck_assert_ptr_nonnull(strstr(dot.data,
                                 "  \"otp_cnic\" [shape=parallelogram, label=\"otp_cnic\\n"
                                 "input\\n-> {cnic}\", color=red];\n"));
    ck_assert_ptr_nonnull(
        strstr(dot.data, "  \"main\" -> \"departments\" [label=\"1 Find a service\"];\n"));
    ck_assert_ptr_nonnull(
        strstr(dot.data, "  \"language\" -> \"main\" [label=\"2 اردو\\nlang = ur\"];\n"));
    ck_assert_ptr_nonnull(strstr(dot.data, "  \"departments\" -> \"services\" [label=\"list "
                                           "dir.departments() as dept\"];\n"));
    ck_assert_ptr_nonnull(strstr(dot.data, "  \"reg_route\" -> \"reg_active\" [label=\"status == "
                                           "\\\"active\\\"\"];\n"));
    ck_assert_ptr_nonnull(
        strstr(dot.data, "  \"otp_issue\" -> \"otp_later\" [label=\"error\"];\n"));
    ck_assert_ptr_nonnull(
        strstr(dot.data, "  \"reg_route\" -> \"reg_unknown\" [label=\"else\"];\n"));
    /* one node line per screen, one edge line per way on (23 in the sample) */
    ck_assert_int_eq(count_prefix(dot.data, "  \""), (int)menu_graph_screens(g) + 23);
    {
        int edges = 0;
        for (const char *p = dot.data; (p = strstr(p, "\" -> \"")) != NULL; p++)
            edges++;
        ck_assert_int_eq(edges, 23);
    }
    for (size_t i = 0; i < dot.len; i++)
        if (dot.data[i] == '"' && (i == 0 || dot.data[i - 1] != '\\'))
            quotes++;
    ck_assert_int_eq(quotes % 2, 0);
    kp_buf_free(&dot);
    menu_graph_unref(g);
}
END_TEST

/*
 * The literal block of the man page whose first line starts with first,
 * unescaped (\e, \[uXXXX], \&, \(dq).  NULL if there is none.
 */
static char *man_block(const char *man, const char *first)
{
    const char *p = man;
    struct kp_buf out = KP_BUF_INIT;

    while ((p = strstr(p, ".Bd -literal")) != NULL) {
        p = strchr(p, '\n') + 1;
        if (strncmp(p, first, strlen(first)) == 0)
            break;
    }
    if (p == NULL)
        return NULL;
    for (; *p && strncmp(p, ".Ed\n", 4) != 0; p++) {
        unsigned cp;
        if (p[0] == '\\' && p[1] == 'e') {
            kp_buf_putc(&out, '\\');
            p++;
        } else if (p[0] == '\\' && p[1] == '&') {
            p++;
        } else if (strncmp(p, "\\(dq", 4) == 0) {
            kp_buf_putc(&out, '"');
            p += 3;
        } else if (sscanf(p, "\\[u%4x]", &cp) == 1) {
            char u[4];
            kp_buf_append(&out, u, text_utf8_put(cp, u));
            p += 7;
        } else {
            kp_buf_putc(&out, *p);
        }
    }
    return kp_buf_steal(&out);
}

/* The EXAMPLES of kpass-menu(5) compile, and the transcript there passes. */
START_TEST(test_man_examples)
{
    static const char *const office_out[] = {"found", "not_found", NULL};
    static const char *const office_sets[] = {"office_name", "office_address", "office_hours",
                                              NULL};
    static const char *const offices_sets[] = {"district_name", NULL};
    static const char *const otp_out[] = {"sent", "rate_limited", NULL};
    static const struct menu_builtin bis[] = {
        {"dir.districts", MENU_BUILTIN_LIST, 0, 0, NULL, NULL},
        {"dir.offices", MENU_BUILTIN_LIST, 1, 1, NULL, offices_sets},
        {"dir.office", MENU_BUILTIN_ACTION, 1, 1, office_out, office_sets},
        {"otp.issue", MENU_BUILTIN_ACTION, 2, 2, otp_out, NULL},
    };
    struct menu_options o = {bis, 4, MENU_LIMITS_DEFAULT, NULL};
    struct menu_env env = {NULL, NULL, "+923001234567", MENU_LIMITS_DEFAULT};
    struct menu_transcript_result res;
    struct kp_buf diag = KP_BUF_INIT;
    struct menu_graph *g = NULL;
    char path[1024], *man, *menu, *dialog;

    snprintf(path, sizeof(path), "%s/doc/kpass-menu.5", tu_top());
    man = (char *)tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(man);
    menu = man_block(man, "# main.menu");
    dialog = man_block(man, "! dial");
    ck_assert_ptr_nonnull(menu);
    ck_assert_ptr_nonnull(dialog);
    struct menu_source src = {"kpass-menu.5", menu, strlen(menu)};
    ck_assert_msg(menu_graph_compile(&src, 1, &o, &g, &diag) == 0, "%s", diag.data);
    ck_assert_int_eq(
        menu_transcript_run(g, &env, "kpass-menu.5", dialog, strlen(dialog), &diag, &res), 0);
    ck_assert_msg(res.failures == 0 && res.exchanges == 3, "%s", diag.data);
    menu_graph_unref(g);
    kp_buf_free(&diag);
    free(man);
    free(menu);
    free(dialog);
}
END_TEST

Suite *suite_menu_tools(void)
{
    Suite *s = suite_create("menu_tools");
    TCase *tc = tcase_create("tools");

    tcase_add_loop_test(tc, test_golden_transcripts, 0, (int)KP_ARRAY_LEN(golden));
    tcase_add_test(tc, test_wrong_transcript);
    tcase_add_loop_test(tc, test_malformed_transcript, 0, (int)KP_ARRAY_LEN(malformed));
    tcase_add_test(tc, test_transcript_runtime);
    tcase_add_test(tc, test_transcript_caller);
    tcase_add_test(tc, test_dot);
    tcase_add_test(tc, test_man_examples);
    suite_add_tcase(s, tc);
    return s;
}
