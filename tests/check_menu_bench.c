/* SPDX-License-Identifier: ISC */
/*
 * menu bench: compiling 1,000 generated screens (menus, inputs, actions,
 * routers, info screens, English and Urdu) and a full hop (decode the
 * state, apply a reply, render, encode the state) over the sample menus.
 * Correctness is asserted; the times are printed, not asserted (DESIGN §9:
 * benchmarks, not timed tests; sanitizer builds are far slower).
 */
#include <time.h>

#include "menu_fixture.h"

#include "kpass/core/mem.h"
#include "kpass/text/text.h"

static const char *const gen_outcomes[] = {"ok", "no", NULL};
static const struct menu_builtin gen_builtins[] = {
    {"a.act", MENU_BUILTIN_ACTION, 1, 1, gen_outcomes, NULL},
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* n screens in groups of four: a menu (screen 0 is "main"), an input, an
   action using the input, a router (or every other time an info screen)
   testing it.  Every group links forward; "Home" goes to main. */
static void generate(struct kp_buf *src, int n)
{
    for (int i = 0; i < n; i++) {
        int next = i + 1 < n ? i + 1 : 0;
        switch (i % 4) {
        case 0:
            if (i == 0)
                kp_buf_puts(src, "screen main menu\n");
            else
                kp_buf_printf(src, "screen s%d menu\n", i);
            kp_buf_printf(src, "  title \"Screen %d\" ur \"صفحہ %d\"\n", i, i);
            for (int k = 1; k <= 4 && i + k < n; k++)
                kp_buf_printf(src, "  option \"Go to %d\" ur \"%d پر جائیں\" -> s%d\n", i + k,
                              i + k, i + k);
            kp_buf_printf(src, "  option 9 \"Home\" ur \"ہوم\" -> main\n");
            break;
        case 1:
            kp_buf_printf(src,
                          "screen s%d input\n  text \"Number for %d?\" ur \"نمبر %d؟\"\n"
                          "  var v%d\n  accept digits else \"Digits\" ur \"ہندسے\"\n"
                          "  -> s%d\n",
                          i, i, i, i, next);
            break;
        case 2:
            kp_buf_printf(src, "screen s%d action a.act(v%d)\n  on ok -> s%d\n  on no -> main\n", i,
                          i - 1, next);
            break;
        default:
            if (i % 8 == 3)
                kp_buf_printf(src,
                              "screen s%d router\n  if v%d == \"1\" -> s%d\n"
                              "  else -> s%d set note = \"{v%d}\"\n",
                              i, i - 2, next, next, i - 2);
            else
                kp_buf_printf(
                    src, "screen s%d info\n  text \"You said {v%d}.\" ur \"آپ نے {v%d} کہا\"\n", i,
                    i - 2, i - 2);
            break;
        }
    }
}

START_TEST(test_compile_1000)
{
    struct kp_buf src = KP_BUF_INIT, diag = KP_BUF_INIT;
    struct menu_options o = {gen_builtins, 1, MENU_LIMITS_DEFAULT, NULL};
    struct menu_graph *g = NULL;
    double best = 1e9;

    generate(&src, 1000);
    struct menu_source s = {"gen.menu", src.data, src.len};
    for (int round = 0; round < 5; round++) {
        double t0 = now_ms();
        int rc = menu_graph_compile(&s, 1, &o, &g, &diag);
        double t = now_ms() - t0;
        ck_assert_msg(rc == 0, "%.2000s", diag.data);
        ck_assert_uint_eq(menu_graph_screens(g), 1000);
        menu_graph_unref(g);
        best = t < best ? t : best;
    }
    printf("menu_bench: compiled 1000 screens (%zu bytes of source) in %.2f ms (best of 5)\n",
           src.len, best);
    kp_buf_free(&src);
    kp_buf_free(&diag);
}
END_TEST

/* A hop as the daemon does it: decode, reply, render, encode. */
START_TEST(test_hop)
{
    static const char *const replies[] = {"1",  "2",  "1", "0",           "0", "98", "0", "9",
                                          "98", "00", "3", "03001234567", "1", "7",  "00"};
    struct fx_dialog d;
    struct kp_buf blob = KP_BUF_INIT;
    const int hops = 200000;
    double t0, t;
    size_t bytes = 0;

    fx_open(&d, fx_sample());
    d.ctx.status = "active";
    ck_assert_int_eq(menu_dialog_begin(d.g, &d.env, d.st, MENU_LANG_EN, NULL, &d.scr), 0);
    menu_state_encode(d.st, &blob);
    t0 = now_ms();
    for (int i = 0; i < hops; i++) {
        const char *r = replies[i % KP_ARRAY_LEN(replies)];
        int rc;
        if (menu_state_decode(d.st, (const uint8_t *)blob.data, blob.len) != 0)
            ck_abort_msg("decode failed at hop %d", i);
        if (menu_state_ended(d.st))
            rc = menu_dialog_begin(d.g, &d.env, d.st, MENU_LANG_EN, NULL, &d.scr);
        else
            rc = menu_dialog_input(d.g, &d.env, d.st, r, strlen(r), &d.scr);
        if (rc != 0 || d.scr.text.len == 0)
            ck_abort_msg("hop %d failed", i);
        kp_buf_reset(&blob);
        menu_state_encode(d.st, &blob);
        bytes += blob.len;
    }
    t = now_ms() - t0;
    printf("menu_bench: %d hops (decode, reply, render, encode) in %.1f ms: %.2f us/hop, "
           "state %.1f bytes on average\n",
           hops, t, t * 1e3 / hops, (double)bytes / hops);
    kp_buf_free(&blob);
    fx_close(&d);
}
END_TEST

/* The text codecs on a full GSM screen and a full UCS-2 screen. */
START_TEST(test_text_codec)
{
    static const char gsm[] = "Khyber Pass\n1 Find a service\n2 Get a verification code\n"
                              "3 Check a registration\n4 Offices and hours (fee: 5€)\n"
                              "5 Health card [new]\n6 Education\n7 Revenue\n98 More\n0 Back";
    static const char ucs[] = "خیبر پاس\n1 سروس تلاش کریں\n2 تصدیقی کوڈ حاصل کریں\n"
                              "3 رجسٹریشن چیک کریں\n98 مزید";
    const struct {
        const char *s;
        enum text_enc enc;
    } t[] = {{gsm, TEXT_GSM7}, {ucs, TEXT_UCS2}};
    struct kp_buf wire = KP_BUF_INIT, back = KP_BUF_INIT;
    const int n = 200000;

    for (int k = 0; k < 2; k++) {
        size_t len = strlen(t[k].s);
        double t0 = now_ms(), t1, t2;
        for (int i = 0; i < n; i++) {
            kp_buf_reset(&wire);
            if (text_choose(t[k].s, len) != t[k].enc ||
                text_encode(t[k].s, len, t[k].enc, &wire) < 0)
                ck_abort_msg("encode failed");
        }
        t1 = now_ms();
        for (int i = 0; i < n; i++) {
            kp_buf_reset(&back);
            if (text_decode((const uint8_t *)wire.data, wire.len, t[k].enc, &back) != (int)len)
                ck_abort_msg("decode failed");
        }
        t2 = now_ms();
        ck_assert_str_eq(back.data, t[k].s);
        printf("menu_bench: %s screen of %d units: choose+encode %.0f ns, decode %.0f ns\n",
               k ? "UCS-2" : "GSM 7-bit", text_units(t[k].s, len, t[k].enc), (t1 - t0) * 1e6 / n,
               (t2 - t1) * 1e6 / n);
    }
    kp_buf_free(&wire);
    kp_buf_free(&back);
}
END_TEST

Suite *suite_menu_bench(void)
{
    Suite *s = suite_create("menu_bench");
    TCase *tc = tcase_create("bench");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_compile_1000);
    tcase_add_test(tc, test_hop);
    tcase_add_test(tc, test_text_codec);
    suite_add_tcase(s, tc);
    return s;
}
