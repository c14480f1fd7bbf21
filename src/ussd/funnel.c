/* SPDX-License-Identifier: ISC */
/*
 * The per-screen funnel: how often each screen was shown, in which
 * language, and how dialogs left it (an end screen, a release by the user
 * or network, a reply that came too late).  Operators read drop-off from
 * it: a screen shown often and left by release is a screen people do not
 * understand.  A fixed open-addressed table: bounded memory whatever the
 * menus, one hash per hop; screens beyond its size count as "(other)".
 */
#include <stdio.h>
#include <string.h>

#include "kpass/ussd/dialog.h"

/* FNV-1a of the screen name and the language. */
static uint32_t funnel_hash(const char *screen, unsigned lang)
{
    uint32_t h = 2166136261u ^ lang;

    for (const char *p = screen; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

struct ussd_funnel_row *ussd_funnel_row(struct ussd_funnel *f, const char *screen, unsigned lang)
{
    uint32_t h = funnel_hash(screen, lang);

    for (unsigned i = 0; i < USSD_FUNNEL_ROWS - 1; i++) {
        struct ussd_funnel_row *r = &f->rows[(h + i) % (USSD_FUNNEL_ROWS - 1)];
        if (r->screen[0] == '\0') {
            snprintf(r->screen, sizeof(r->screen), "%s", screen);
            r->lang = (uint8_t)lang;
            f->used++;
            return r;
        }
        if (r->lang == lang && strcmp(r->screen, screen) == 0)
            return r;
    }
    /* Full: the last row gathers everything else. */
    struct ussd_funnel_row *other = &f->rows[USSD_FUNNEL_ROWS - 1];
    if (other->screen[0] == '\0')
        snprintf(other->screen, sizeof(other->screen), "(other)");
    return other;
}
