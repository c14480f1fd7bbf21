/* SPDX-License-Identifier: ISC */
/*
 * The compiled graph's storage: the string pool, the variable and screen
 * name tables (open addressing over pool offsets), reference counting and
 * the read-only accessors.  Calls no compiler pass.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "menu_internal.h"

uint32_t menu_pool_add(struct menu_graph *g, const char *s, size_t len)
{
    uint32_t off = (uint32_t)g->pool.len;

    kp_buf_append(&g->pool, s, len);
    kp_buf_putc(&g->pool, '\0');
    return off;
}

static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/*
 * Find name in an open-addressing table of ids (MENU_NONE = empty slot)
 * whose names are name_of(g, id).  Returns the slot.
 */
static size_t table_slot(const struct menu_graph *g, const uint32_t *table, size_t size,
                         uint32_t (*name_of)(const struct menu_graph *, uint32_t), const char *name,
                         size_t len)
{
    size_t i = name_hash(name, len) & (size - 1);

    while (table[i] != MENU_NONE) {
        const char *n = GSTR(g, name_of(g, table[i]));
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            break;
        i = (i + 1) & (size - 1);
    }
    return i;
}

static uint32_t var_name_of(const struct menu_graph *g, uint32_t id)
{
    return g->vars[id].name;
}

static uint32_t screen_name_of(const struct menu_graph *g, uint32_t id)
{
    return g->screens[id].name;
}

/* Make room for one more id: rebuild at twice the size (re-adding ids
   0 .. count-1) when the table would be more than half full. */
static void table_grow(struct menu_graph *g, uint32_t **table, size_t *size, size_t count,
                       uint32_t (*name_of)(const struct menu_graph *, uint32_t))
{
    size_t nsize = *size ? *size * 2 : 64;

    if ((count + 1) * 2 <= *size)
        return;
    free(*table);
    *table = kp_malloc(nsize * sizeof(**table));
    memset(*table, 0xff, nsize * sizeof(**table));
    *size = nsize;
    for (uint32_t id = 0; id < count; id++) {
        const char *n = GSTR(g, name_of(g, id));
        (*table)[table_slot(g, *table, nsize, name_of, n, strlen(n))] = id;
    }
}

uint32_t menu_var_find(const struct menu_graph *g, const char *name, size_t len)
{
    if (g->var_hash_size == 0)
        return MENU_NONE;
    return g->var_hash[table_slot(g, g->var_hash, g->var_hash_size, var_name_of, name, len)];
}

uint32_t menu_var_intern(struct menu_graph *g, const char *name, size_t len)
{
    uint32_t id = menu_var_find(g, name, len);

    if (id != MENU_NONE)
        return id;
    table_grow(g, &g->var_hash, &g->var_hash_size, g->nvars, var_name_of);
    id = MENU_PUSH(g, vars);
    g->vars[id].name = menu_pool_add(g, name, len);
    g->var_hash[table_slot(g, g->var_hash, g->var_hash_size, var_name_of, name, len)] = id;
    return id;
}

uint32_t menu_screen_find(const struct menu_graph *g, const char *name)
{
    if (g->screen_hash_size == 0)
        return MENU_NONE;
    return g->screen_hash[table_slot(g, g->screen_hash, g->screen_hash_size, screen_name_of, name,
                                     strlen(name))];
}

int menu_screen_index(struct menu_graph *g, uint32_t screen)
{
    const char *name = GSTR(g, g->screens[screen].name);
    size_t slot;

    if (menu_screen_find(g, name) != MENU_NONE)
        return -KP_ERR_EXISTS;
    /* the screens before this one are in the table */
    table_grow(g, &g->screen_hash, &g->screen_hash_size, screen, screen_name_of);
    slot = table_slot(g, g->screen_hash, g->screen_hash_size, screen_name_of, name, strlen(name));
    g->screen_hash[slot] = screen;
    return 0;
}

void menu_graph_free(struct menu_graph *g)
{
    for (size_t i = 0; i < g->nregexes; i++)
        regfree(&g->regexes[i]);
    free(g->screens);
    free(g->options);
    free(g->sets);
    free(g->texts);
    free(g->tpls);
    free(g->segs);
    free(g->checks);
    free(g->args);
    free(g->calls);
    free(g->conds);
    free(g->branches);
    free(g->vars);
    free(g->bis);
    free(g->bi_strs);
    free(g->regexes);
    free(g->files);
    free(g->var_hash);
    free(g->screen_hash);
    kp_buf_free(&g->pool);
    free(g);
}

struct menu_graph *menu_graph_ref(struct menu_graph *g)
{
    if (g)
        atomic_fetch_add(&g->refs, 1);
    return g;
}

void menu_graph_unref(struct menu_graph *g)
{
    if (g && atomic_fetch_sub(&g->refs, 1) == 1)
        menu_graph_free(g);
}

const char *menu_graph_version(const struct menu_graph *g)
{
    return g->version;
}

size_t menu_graph_screens(const struct menu_graph *g)
{
    return g->nscreens;
}

const char *menu_graph_screen_name(const struct menu_graph *g, size_t i)
{
    return i < g->nscreens ? GSTR(g, g->screens[i].name) : NULL;
}
