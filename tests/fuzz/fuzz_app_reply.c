/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: a department app's answer (src/ussd/app_proto.c), as kpassd
 * reads it off the network, then shown the way kpassd shows it.  The
 * parser must accept exactly "CON"/"END" followed by nothing, a blank or a
 * line break and valid UTF-8 without control characters but line breaks;
 * the text it returns lies inside the body.  An accepted text is rendered
 * on an app screen of a small graph (menu_dialog_app_reply) and must come
 * out as one page within the default limits, valid UTF-8, ending the
 * dialog exactly when the answer was END.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/core/err.h"
#include "kpass/menu/menu.h"
#include "kpass/text/text.h"
#include "kpass/ussd/app.h"

static const char menu_src[] = "screen main menu\n"
                               "  option \"Tax\" -> tax\n"
                               "screen tax app excise\n";

static struct menu_graph *graph(void)
{
    static struct menu_graph *g;
    struct menu_source src = {"fuzz.menu", menu_src, sizeof(menu_src) - 1};
    struct kp_buf diag = KP_BUF_INIT;

    if (g == NULL && menu_graph_compile(&src, 1, NULL, &g, &diag) < 0)
        abort();
    kp_buf_free(&diag);
    return g;
}

static void fuzz_app_show(const char *text, size_t len, int end)
{
    struct menu_env env = {NULL, NULL, "+923001234567", MENU_LIMITS_DEFAULT};
    struct menu_screen scr = MENU_SCREEN_INIT;
    struct menu_state *st = menu_state_new();
    struct menu_graph *g = graph();

    if (menu_dialog_begin(g, &env, st, MENU_LANG_EN, "1", &scr) < 0 || scr.app == NULL)
        abort();
    if (menu_dialog_app_reply(g, &env, st, end, text, len, &scr) < 0)
        abort();
    if (scr.app != NULL || scr.end != end || menu_state_ended(st) != end)
        abort();
    if (scr.units > (scr.enc == TEXT_GSM7 ? 182u : 80u))
        abort();
    if (scr.text.len && text_utf8_valid(scr.text.data, scr.text.len) < 0)
        abort();
    menu_screen_free(&scr);
    menu_state_free(st);
}

KP_FUZZ_TARGET(app_reply)
{
    const char *text = NULL;
    size_t len = 0;
    int end = -1;

    if (ussd_app_reply_parse((const char *)data, size, &end, &text, &len) < 0)
        return 0;
    if (size < 3 || (end != 0 && end != 1) || memcmp(data, end ? "END" : "CON", 3) != 0)
        abort();
    if (text < (const char *)data + 3 || text + len > (const char *)data + size)
        abort();
    if (size > 3 && data[3] != ' ' && data[3] != '\n')
        abort();
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
            abort();
    if (text_utf8_valid(text, len) < 0)
        abort();
    fuzz_app_show(text, len, end);
    return 0;
}
