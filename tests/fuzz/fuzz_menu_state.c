/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: decoding arbitrary dialog-state bytes.  Whatever decodes
 * must encode back to exactly the same bytes (the encoding is canonical),
 * and the engine must refuse or run it against a small graph without a
 * crash or a leak.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/menu/menu.h"

static const char menus[] = "screen main menu\n"
                            "  text \"Hi {name}\"\n"
                            "  option \"Ask\" -> ask\n"
                            "  option \"Info\" -> info\n"
                            "  option \"PIN\" -> pin\n"
                            "screen ask input\n"
                            "  text \"Name?\"\n"
                            "  var name\n"
                            "  -> main\n"
                            "screen pin input sensitive\n"
                            "  text \"PIN?\"\n"
                            "  var pin\n"
                            "  -> main\n"
                            "screen info info\n"
                            "  text \"Some text\"\n";

KP_FUZZ_TARGET(menu_state)
{
    static struct menu_graph *g;
    struct menu_options opts = {NULL, 0, {182, 80}, NULL};
    struct menu_env env = {NULL, NULL, "", {182, 80}};
    struct menu_state *st = menu_state_new();
    struct menu_screen scr = MENU_SCREEN_INIT;
    struct kp_buf again = KP_BUF_INIT, diag = KP_BUF_INIT;

    if (g == NULL) {
        struct menu_source src = {"fuzz.menu", menus, sizeof(menus) - 1};
        if (menu_graph_compile(&src, 1, &opts, &g, &diag) != 0)
            abort();
    }
    if (menu_state_decode(st, data, size) == 0) {
        menu_state_encode(st, &again);
        if (again.len != size || memcmp(again.data, data, size) != 0)
            abort();
        menu_dialog_input(g, &env, st, "1", 1, &scr);
        menu_dialog_resume(g, &env, st, &scr);
    }
    kp_buf_free(&again);
    kp_buf_free(&diag);
    menu_screen_free(&scr);
    menu_state_free(st);
    return 0;
}
