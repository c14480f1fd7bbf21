/* SPDX-License-Identifier: ISC */
/*
 * What a built-in answers (struct menu_result): an outcome key, variables
 * and list items, copied into one arena the engine reuses from call to call,
 * so built-ins need no memory management and a hop allocates nothing once
 * warm.  Strings are made safe on the way in: invalid UTF-8 becomes U+FFFD,
 * values are cut at MENU_VALUE_MAX bytes on a character boundary.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

void menu_result_reset(struct menu_result *r)
{
    kp_buf_reset(&r->arena);
    r->outcome = MENU_NONE;
    r->nsets = 0;
    r->nitems = 0;
}

void menu_result_free(struct menu_result *r)
{
    kp_buf_free(&r->arena);
    free(r->sets);
    free(r->items);
    memset(r, 0, sizeof(*r));
    r->outcome = MENU_NONE;
}

static uint32_t arena_add(struct menu_result *r, const char *s)
{
    uint32_t off = (uint32_t)r->arena.len;
    size_t len = s ? strlen(s) : 0;

    if (text_utf8_valid(s, len) == 0)
        kp_buf_append(&r->arena, s, len);
    else
        text_utf8_clean(s, len, &r->arena);
    if (r->arena.len - off > MENU_VALUE_MAX) {
        size_t cut = off + MENU_VALUE_MAX;
        while (cut > off && ((uint8_t)r->arena.data[cut] & 0xc0) == 0x80)
            cut--;
        r->arena.len = cut;
    }
    kp_buf_putc(&r->arena, '\0');
    return off;
}

void menu_result_outcome(struct menu_result *r, const char *outcome)
{
    r->outcome = arena_add(r, outcome);
}

void menu_result_set(struct menu_result *r, const char *name, const char *value)
{
    if (name == NULL)
        return;
    r->sets = kp_grow(r->sets, &r->cap_sets, r->nsets + 1, sizeof(*r->sets));
    r->sets[r->nsets].a = arena_add(r, name);
    r->sets[r->nsets].b = arena_add(r, value);
    r->nsets++;
}

void menu_result_item(struct menu_result *r, const char *label, const char *value)
{
    if (r->nitems >= MENU_LIST_MAX)
        return;
    r->items = kp_grow(r->items, &r->cap_items, r->nitems + 1, sizeof(*r->items));
    r->items[r->nitems].a = arena_add(r, label);
    r->items[r->nitems].b = arena_add(r, value);
    r->nitems++;
}
