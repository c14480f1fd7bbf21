/* SPDX-License-Identifier: ISC */
/*
 * Compiler diagnostics in gcc's "file:line:col: message" form, with the
 * source line and a caret under the column, and the names the messages
 * use (languages, screen kinds).  Called by every compiler pass; calls
 * none of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kpass/core/err.h"
#include "menu_internal.h"

static const char *const lang_names[MENU_LANG_MAX] = {"en", "ur", "ps", "ur-Latn"};

const char *menu_lang_name(enum menu_lang lang)
{
    return (unsigned)lang < MENU_LANG_MAX ? lang_names[lang] : NULL;
}

int menu_lang_parse(const char *name)
{
    for (int i = 0; i < MENU_LANG_MAX; i++)
        if (name && strcmp(name, lang_names[i]) == 0)
            return i;
    return -KP_ERR_NOTFOUND;
}

const char *menu_kind_name(enum menu_kind kind)
{
    static const char *const names[MK__COUNT] = {"menu",   "input",  "info", "end",
                                                 "action", "router", "app"};
    return names[kind];
}

/* Print the source line of loc and a caret under its column. */
static void diag_source(struct menu_cc *cc, struct menu_loc loc)
{
    const struct menu_source *src = &cc->src[loc.file];
    const char *p = src->text, *end = p + src->len, *eol;
    uint32_t line = 1;

    while (line < loc.line && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return;
        p = nl + 1;
        line++;
    }
    eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
        eol = end;
    if (eol > p && eol[-1] == '\r')
        eol--;
    kp_buf_append(cc->diag, p, (size_t)(eol - p));
    kp_buf_putc(cc->diag, '\n');
    /* the caret: tabs copied, every other character a space */
    for (uint32_t col = 1; p < eol && col < loc.col; p++) {
        if (((uint8_t)*p & 0xc0) == 0x80)
            continue;
        kp_buf_putc(cc->diag, *p == '\t' ? '\t' : ' ');
        col++;
    }
    kp_buf_puts(cc->diag, "^\n");
}

void menu_diag(struct menu_cc *cc, struct menu_loc loc, const char *fmt, ...)
{
    va_list ap;

    cc->errors++;
    if (cc->errors > MENU_DIAG_MAX)
        return;
    if (loc.file == MENU_NONE)
        kp_buf_puts(cc->diag, "menu: ");
    else
        kp_buf_printf(cc->diag, "%s:%u:%u: ", cc->src[loc.file].name, loc.line, loc.col);
    va_start(ap, fmt);
    {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        kp_buf_puts(cc->diag, msg);
    }
    va_end(ap);
    kp_buf_putc(cc->diag, '\n');
    if (loc.file != MENU_NONE)
        diag_source(cc, loc);
}
