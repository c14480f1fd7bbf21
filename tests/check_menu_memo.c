/* SPDX-License-Identifier: ISC */
/*
 * menu memo: the pages of fixed screens (no variable, no list) that the
 * engine keeps between hops (src/menu/memo.c).  A long walk over the
 * sample menus in every language and several limits, each hop run twice
 * (on one warm screen, its memo also cut to one slot so that every part
 * of the key is compared, and on a fresh one), must give the same screens
 * and states, home with "0 Back" and without too; which screens are fixed; a kept page is what the
 * next hop shows (white-box: a page altered in the memo comes out altered); and a graph with other
 * sources, a reload, never sees another graph's pages, even when it is allocated where the freed
 * one was.
 */
#include "menu_fixture.h"

#include "../src/menu/menu_internal.h"
#include "kpass/core/mem.h"

static struct menu_graph *compile_ok(const char *text)
{
    struct kp_buf diag = KP_BUF_INIT;
    struct menu_graph *g = NULL;

    ck_assert_msg(fx_compile(text, &g, &diag) == 0, "%s", diag.data);
    kp_buf_free(&diag);
    return g;
}

/* The screen's encoded state (for comparing two runs of one hop). */
static void state_bytes(const struct menu_state *st, struct kp_buf *out)
{
    kp_buf_reset(out);
    menu_state_encode(st, out);
}

/*
 * One dialog run twice: on a screen that lives as long as the twin (its
 * memo warm, of `slots` slots) and, from the same state, on a fresh screen
 * per hop (no memo).  Every hop must give the same text, encoding, units,
 * end and state.
 */
struct twin {
    struct menu_graph *g;
    struct fx_ctx ctx;
    struct menu_env env;
    struct menu_state *st, *st2;
    struct menu_screen warm;
    struct kp_buf a, b;
    unsigned fixed_hops; /* hops that ended on a fixed screen */
};

static void twin_open(struct twin *t, struct menu_graph *g, unsigned slots)
{
    memset(t, 0, sizeof(*t));
    t->g = g;
    t->env = fx_env(&t->ctx);
    t->env.ctx = &t->ctx;
    t->st = menu_state_new();
    t->st2 = menu_state_new();
    menu_scratch_get(&t->warm)->memo_slots = slots;
}

static void twin_close(struct twin *t)
{
    menu_screen_free(&t->warm);
    menu_state_free(t->st);
    menu_state_free(t->st2);
    kp_buf_free(&t->a);
    kp_buf_free(&t->b);
}

enum twin_op { TW_BEGIN, TW_INPUT, TW_APP_FAIL };

static void twin_hop(struct twin *t, enum twin_op op, enum menu_lang lang, const char *r)
{
    struct menu_screen cold = MENU_SCREEN_INIT;
    int rc, rc2;

    if (op != TW_BEGIN) {
        state_bytes(t->st, &t->a);
        ck_assert_int_eq(menu_state_decode(t->st2, (const uint8_t *)t->a.data, t->a.len), 0);
    }
    switch (op) {
    case TW_BEGIN:
        rc = menu_dialog_begin(t->g, &t->env, t->st, lang, NULL, &t->warm);
        rc2 = menu_dialog_begin(t->g, &t->env, t->st2, lang, NULL, &cold);
        break;
    case TW_INPUT:
        rc = menu_dialog_input(t->g, &t->env, t->st, r, strlen(r), &t->warm);
        rc2 = menu_dialog_input(t->g, &t->env, t->st2, r, strlen(r), &cold);
        break;
    default:
        rc = menu_dialog_app_fail(t->g, &t->env, t->st, r, &t->warm);
        rc2 = menu_dialog_app_fail(t->g, &t->env, t->st2, r, &cold);
        break;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(rc2, 0);
    ck_assert_uint_eq(t->warm.text.len, cold.text.len);
    ck_assert_msg(t->warm.text.len == 0 || strcmp(t->warm.text.data, cold.text.data) == 0,
                  "reply %s (%s, %u/%u): kept\n%s\nfresh\n%s", r ? r : "(dial)",
                  menu_lang_name(menu_state_lang(t->st)), t->env.limits.gsm7, t->env.limits.ucs2,
                  t->warm.text.data, cold.text.data);
    ck_assert_int_eq(t->warm.enc, cold.enc);
    ck_assert_uint_eq(t->warm.units, cold.units);
    ck_assert_int_eq(t->warm.end, cold.end);
    ck_assert_int_eq(t->warm.app == NULL, cold.app == NULL);
    state_bytes(t->st, &t->a);
    state_bytes(t->st2, &t->b);
    ck_assert_uint_eq(t->a.len, t->b.len);
    ck_assert_mem_eq(t->a.data, t->b.data, t->a.len);
    t->fixed_hops += t->g->screens[t->st->screen].fixed >> t->st->lang & 1;
    menu_screen_free(&cold);
}

/*
 * 3,000 hops over the sample menus with replies picked by a fixed LCG (bad
 * ones too, a CNIC, a number, a redial now and then); each dial in a
 * language and within limits of its own, all through one warm screen.
 */
static void twin_walk(struct twin *t)
{
    static const char *const replies[] = {
        "1", "2", "3", "4", "9", "98", "0", "00", "7", "x", "17301-1234567-1", "03001234567"};
    /* limits that differ in one encoding only, too */
    static const struct menu_limits lims[] = {
        MENU_LIMITS_DEFAULT, {100, 50}, {60, 40}, {182, 60}, {120, 80}};
    uint32_t x = 12345;
    int live = 0;

    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        if (!live || (x >> 8) % 16 == 0) { /* ended, or a redial */
            t->env.limits = lims[(x >> 16) % KP_ARRAY_LEN(lims)];
            twin_hop(t, TW_BEGIN, (enum menu_lang)((x >> 20) % MENU_LANG_MAX), NULL);
        } else {
            twin_hop(t, TW_INPUT, MENU_LANG_EN, replies[(x >> 16) % KP_ARRAY_LEN(replies)]);
        }
        live = !t->warm.end;
    }
}

START_TEST(test_memo_same_as_fresh)
{
    static const unsigned slots[] = {0, 1, 2, 3};
    struct twin t;

    for (size_t k = 0; k < KP_ARRAY_LEN(slots); k++) {
        twin_open(&t, fx_sample(), slots[k]);
        twin_walk(&t);
        ck_assert_uint_gt(t.fixed_hops, 1000); /* it did show fixed screens, again and again */
        menu_graph_unref(t.g);
        twin_close(&t);
    }
}
END_TEST

/*
 * The same page of home with and without "0 Back": an app's failure goes
 * home without going through go(), so history stays (engine.c
 * menu_dialog_app_fail); "0" then goes back to a home without it.
 */
START_TEST(test_memo_back)
{
    static const unsigned slots[] = {0, 1};
    struct twin t;

    for (size_t k = 0; k < KP_ARRAY_LEN(slots); k++) {
        twin_open(&t,
                  compile_ok("screen main menu\n"
                             "  text \"Hello\"\n"
                             "  option \"Tax\" -> tax\n"
                             "screen tax app excise\n"
                             "  on timeout -> main\n"),
                  slots[k]);
        twin_hop(&t, TW_BEGIN, MENU_LANG_EN, NULL);
        ck_assert_str_eq(t.warm.text.data, "Hello\n1 Tax");
        for (int round = 0; round < 2; round++) {
            twin_hop(&t, TW_INPUT, MENU_LANG_EN, "1");
            ck_assert_str_eq(t.warm.app, "excise");
            twin_hop(&t, TW_APP_FAIL, MENU_LANG_EN, "timeout");
            ck_assert_str_eq(t.warm.text.data, "Hello\n1 Tax\n0 Back");
            twin_hop(&t, TW_INPUT, MENU_LANG_EN, "0");
            ck_assert_str_eq(t.warm.text.data, "Hello\n1 Tax");
        }
        menu_graph_unref(t.g);
        twin_close(&t);
    }
}
END_TEST

static int fixed(const struct menu_graph *g, const char *screen, enum menu_lang lang)
{
    uint32_t si = menu_screen_find(g, screen);

    ck_assert_uint_ne(si, MENU_NONE);
    return g->screens[si].fixed >> lang & 1;
}

/* Fixed: static texts only.  Not: a list, a variable in the text, in the
   header or in an option label, in that language only too. */
START_TEST(test_fixed_screens)
{
    struct menu_graph *g = fx_sample(), *g2;

    for (int l = 0; l < MENU_LANG_MAX; l++) {
        enum menu_lang lang = (enum menu_lang)l;
        ck_assert(fixed(g, "main", lang));
        ck_assert(fixed(g, "help", lang));
        ck_assert(fixed(g, "otp_cnic", lang));     /* an input */
        ck_assert(fixed(g, "otp_sent", lang));     /* an end */
        ck_assert(!fixed(g, "departments", lang)); /* a list */
        ck_assert(!fixed(g, "services", lang));    /* {dept_name} */
        ck_assert(!fixed(g, "reg_other", lang));   /* {status} */
        ck_assert(!fixed(g, "otp_issue", lang));   /* an action */
        ck_assert(!fixed(g, "reg_route", lang));   /* a router */
    }
    menu_graph_unref(g);
    g2 = compile_ok("home main\n"
                    "screen main menu\n"
                    "  option \"One\" -> two set who = \"x\"\n"
                    "  option \"Four\" -> four set who = \"y\"\n"
                    "screen two menu\n"
                    "  header \"Hi {who}\"\n"
                    "  option \"Three\" -> three\n"
                    "screen three info\n"
                    "  text \"Three\" ur \"تین {who}\"\n"
                    "screen four menu\n"
                    "  text \"Four\"\n"
                    "  option \"Home\" ur \"{who} گھر\" -> main\n");
    ck_assert(fixed(g2, "main", MENU_LANG_EN));
    ck_assert(!fixed(g2, "two", MENU_LANG_EN)); /* the header */
    ck_assert(fixed(g2, "three", MENU_LANG_EN));
    ck_assert(!fixed(g2, "three", MENU_LANG_UR)); /* its Urdu has a variable */
    ck_assert(fixed(g2, "three", MENU_LANG_PS));  /* Pashto falls back to English */
    ck_assert(fixed(g2, "four", MENU_LANG_EN));
    ck_assert(!fixed(g2, "four", MENU_LANG_UR)); /* an option's Urdu label */
    menu_graph_unref(g2);
}
END_TEST

#define ONE_SRC(text)                                                                              \
    "home main\n"                                                                                  \
    "screen main menu\n"                                                                           \
    "  text \"" text "\"\n"                                                                        \
    "  option \"Help\" -> help\n"                                                                  \
    "screen help info\n"                                                                           \
    "  text \"Help text\"\n"

/* White-box: the second showing of a page is the kept one, byte for byte. */
START_TEST(test_memo_shows_kept_page)
{
    struct fx_dialog d;
    struct menu_memo *m = NULL;

    fx_open(&d, compile_ok(ONE_SRC("Hello")));
    fx_begin(&d, MENU_LANG_EN, NULL);
    fx_expect(&d, "Hello\n1 Help", TEXT_GSM7, 0);
    for (size_t i = 0; i < MENU_MEMO_SLOTS; i++)
        if (d.scr.scratch->memo[i].used && d.scr.scratch->memo[i].screen == d.st->screen)
            m = &d.scr.scratch->memo[i];
    ck_assert_ptr_nonnull(m);
    kp_buf_reset(&m->text);
    kp_buf_puts(&m->text, "Kept\n1 Help");
    fx_send(&d, "1");
    fx_expect(&d, "Help text\n0 Back\n00 Home", TEXT_GSM7, 0);
    fx_send(&d, "0");
    fx_expect(&d, "Kept\n1 Help", TEXT_GSM7, 0); /* from the memo */
    /* another language, other limits: not that page */
    fx_begin(&d, MENU_LANG_UR, NULL);
    fx_expect(&d, "Hello\n1 Help", TEXT_GSM7, 0);
    d.env.limits.gsm7 = 100;
    fx_begin(&d, MENU_LANG_EN, NULL);
    fx_expect(&d, "Hello\n1 Help", TEXT_GSM7, 0);
    fx_close(&d);
}
END_TEST

/*
 * A reload: the same screen of a graph with other sources shows its own
 * text, through one scratch, whichever graph is asked; a graph freed and
 * another compiled (maybe at the same address) too.
 */
START_TEST(test_memo_reload)
{
    struct menu_graph *g1 = compile_ok(ONE_SRC("Hello old"));
    struct menu_graph *g2 = compile_ok(ONE_SRC("Hello new"));
    struct fx_dialog d;

    fx_open(&d, g1);
    for (int round = 0; round < 3; round++) {
        d.g = g1;
        fx_begin(&d, MENU_LANG_EN, NULL);
        fx_expect(&d, "Hello old\n1 Help", TEXT_GSM7, 0);
        d.g = g2;
        fx_begin(&d, MENU_LANG_EN, NULL);
        fx_expect(&d, "Hello new\n1 Help", TEXT_GSM7, 0);
        fx_send(&d, "1");
        fx_send(&d, "0");
        fx_expect(&d, "Hello new\n1 Help", TEXT_GSM7, 0);
    }
    for (int round = 0; round < 4; round++) {
        char text[256];
        snprintf(text, sizeof(text), ONE_SRC("Version %d"), round);
        menu_graph_unref(g1);
        g1 = compile_ok(text);
        d.g = g1;
        fx_begin(&d, MENU_LANG_EN, NULL);
        snprintf(text, sizeof(text), "Version %d\n1 Help", round);
        fx_expect(&d, text, TEXT_GSM7, 0);
    }
    menu_graph_unref(g2);
    fx_close(&d); /* unrefs g1 */
}
END_TEST

/* A page with a notice (an invalid reply) is laid out, not kept: the kept
   page without it stays as it was. */
START_TEST(test_memo_notice)
{
    struct fx_dialog d;

    fx_open(&d, compile_ok(ONE_SRC("Hello")));
    fx_begin(&d, MENU_LANG_EN, NULL);
    fx_send(&d, "5");
    fx_expect(&d, "Invalid choice\nHello\n1 Help", TEXT_GSM7, 0);
    fx_send(&d, "1");
    fx_send(&d, "0");
    fx_expect(&d, "Hello\n1 Help", TEXT_GSM7, 0);
    fx_close(&d);
}
END_TEST

Suite *suite_menu_memo(void)
{
    Suite *s = suite_create("menu_memo");
    TCase *tc = tcase_create("memo");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_memo_same_as_fresh);
    tcase_add_test(tc, test_memo_back);
    tcase_add_test(tc, test_fixed_screens);
    tcase_add_test(tc, test_memo_shows_kept_page);
    tcase_add_test(tc, test_memo_reload);
    tcase_add_test(tc, test_memo_notice);
    suite_add_tcase(s, tc);
    return s;
}
