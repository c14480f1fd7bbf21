/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: compiling arbitrary menu source.  Any bytes must give a
 * graph or diagnostics, never a crash or a leak.  A graph that compiles
 * is drawn as DOT and walked for a few hops with a built-in that answers
 * every call; every screen must fit its limits and be valid UTF-8, and
 * every state must re-encode to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/menu/menu.h"
#include "kpass/text/text.h"

static const char *const outcomes[] = {"ok", "no", NULL};
static const char *const sets[] = {"name", "count", NULL};
static const struct menu_builtin builtins[] = {
    {"a.act", MENU_BUILTIN_ACTION, 0, 2, outcomes, sets},
    {"a.list", MENU_BUILTIN_LIST, 0, 1, NULL, sets},
};

static int fuzz_call(void *ctx, const struct menu_call *c, struct menu_result *r)
{
    unsigned *n = ctx;

    if (++*n % 7 == 0)
        return -1000;
    menu_result_outcome(r, *n % 2 ? "ok" : "no");
    menu_result_set(r, "name", c->argc ? c->argv[0] : "x");
    for (unsigned i = 0; c->builtin == 1 && i < *n % 5; i++)
        menu_result_item(r, "Item", "v");
    return 0;
}

static void check_screen(const struct menu_screen *s, const struct menu_limits *lim)
{
    unsigned cap = s->enc == TEXT_GSM7 ? lim->gsm7 : lim->ucs2;

    if (text_utf8_valid(s->text.data, s->text.len) != 0 || s->units > cap ||
        text_units(s->text.data, s->text.len, s->enc) != (int)s->units)
        abort();
}

static void walk(const struct menu_graph *g)
{
    static const char *const replies[] = {"1", "98", "2", "0", "00", "3", "x", "17301-1234567-1"};
    unsigned calls = 0;
    struct menu_env env = {&calls, fuzz_call, "+923001234567", {120, 50}};
    struct menu_state *st = menu_state_new();
    struct menu_screen scr = MENU_SCREEN_INIT;
    struct kp_buf a = KP_BUF_INIT, b = KP_BUF_INIT;

    if (menu_dialog_begin(g, &env, st, MENU_LANG_UR, "1*2", &scr) == 0)
        check_screen(&scr, &env.limits);
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        if (menu_dialog_input(g, &env, st, replies[i], strlen(replies[i]), &scr) == 0)
            check_screen(&scr, &env.limits);
        kp_buf_reset(&a);
        kp_buf_reset(&b);
        menu_state_encode(st, &a);
        if (menu_state_decode(st, (const uint8_t *)a.data, a.len) != 0)
            abort();
        menu_state_encode(st, &b);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            abort();
    }
    if (menu_dialog_resume(g, &env, st, &scr) == 0)
        check_screen(&scr, &env.limits);
    kp_buf_free(&a);
    kp_buf_free(&b);
    menu_screen_free(&scr);
    menu_state_free(st);
}

KP_FUZZ_TARGET(menu_parse)
{
    struct menu_source src = {"fuzz.menu", (const char *)data, size};
    struct menu_options opts = {builtins, 2, {120, 50}, NULL};
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    if (menu_graph_compile(&src, 1, &opts, &g, &diag) == 0) {
        struct kp_buf dot = KP_BUF_INIT;
        menu_graph_dot(g, &dot);
        kp_buf_free(&dot);
        walk(g);
        menu_graph_unref(g);
    }
    kp_buf_free(&diag);
    return 0;
}
