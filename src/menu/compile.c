/* SPDX-License-Identifier: ISC */
/*
 * The compiler driver: copy the built-in table into the graph, parse every
 * source, run the checks, and stamp the version (BLAKE2b over the sorted
 * sources, libsodium crypto_generichash).  Sources arrive as text; reading
 * them from a folder is load.c's.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "menu_internal.h"

/* Copy the built-in table into the graph; -KP_ERR_INVAL when it is malformed. */
static int graph_builtins(struct menu_graph *g, const struct menu_options *opts)
{
    for (size_t i = 0; i < opts->nbuiltins; i++) {
        const struct menu_builtin *b = &opts->builtins[i];
        uint32_t k = MENU_PUSH(g, bis);

        if (b->name == NULL || b->min_args > b->max_args || b->max_args > MENU_ARGS_MAX)
            return -KP_ERR_INVAL;
        g->bis[k].name = menu_pool_add(g, b->name, strlen(b->name));
        g->bis[k].kind = b->kind;
        g->bis[k].min_args = b->min_args;
        g->bis[k].max_args = b->max_args;
        g->bis[k].outcome = (uint32_t)g->nbi_strs;
        for (const char *const *o = b->outcomes; o && *o; o++) {
            uint32_t s = MENU_PUSH(g, bi_strs);
            g->bi_strs[s] = menu_pool_add(g, *o, strlen(*o));
            g->bis[k].noutcome++;
        }
        g->bis[k].sets = (uint32_t)g->nbi_strs;
        for (const char *const *v = b->sets; v && *v; v++) {
            uint32_t id = menu_var_intern(g, *v, strlen(*v));
            uint32_t s = MENU_PUSH(g, bi_strs);
            g->bi_strs[s] = id;
            g->bis[k].nsets++;
        }
    }
    return 0;
}

static int source_cmp(const void *a, const void *b)
{
    const struct menu_source *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/*
 * BLAKE2b-128 over (file name, NUL, 8-byte length, text) of each sorted
 * source.  Only the name's last component counts: the same files read
 * through another path (a copy on another node, a relative path) are the
 * same version, so that dialogs continue across them.
 */
static void graph_version(struct menu_graph *g, const struct menu_source *src, size_t nsrc)
{
    crypto_generichash_state h;

    crypto_generichash_init(&h, NULL, 0, MENU_VERSION_LEN);
    for (size_t i = 0; i < nsrc; i++) {
        uint8_t len[8];
        uint64_t n = src[i].len;
        const char *base = strrchr(src[i].name, '/');
        base = base ? base + 1 : src[i].name;
        for (int k = 0; k < 8; k++)
            len[k] = (uint8_t)(n >> (8 * k));
        crypto_generichash_update(&h, (const uint8_t *)base, strlen(base) + 1);
        crypto_generichash_update(&h, len, sizeof(len));
        crypto_generichash_update(&h, (const uint8_t *)src[i].text, src[i].len);
    }
    crypto_generichash_final(&h, g->digest, MENU_VERSION_LEN);
    sodium_bin2hex(g->version, sizeof(g->version), g->digest, MENU_VERSION_LEN);
}

int menu_graph_compile(const struct menu_source *src, size_t nsrc, const struct menu_options *opts,
                       struct menu_graph **out, struct kp_buf *diag)
{
    static const struct menu_options defaults = {NULL, 0, MENU_LIMITS_DEFAULT, NULL};
    struct menu_source *sorted = kp_calloc(nsrc ? nsrc : 1, sizeof(*sorted));
    struct menu_graph *g = kp_calloc(1, sizeof(*g));
    struct menu_cc cc;
    int rc = 0;

    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    if (sodium_init() < 0)
        fatalx("menu: libsodium failed to initialise");
    memcpy(sorted, src, nsrc * sizeof(*src));
    qsort(sorted, nsrc, sizeof(*sorted), source_cmp);
    atomic_init(&g->refs, 1);
    kp_buf_putc(&g->pool, '\0'); /* offset 0 is "" */
    menu_var_intern(g, "lang", 4);
    g->home = MENU_NONE;
    g->app_text = g->app_id = MENU_NONE;
    memset(&cc, 0, sizeof(cc));
    cc.g = g;
    cc.src = sorted;
    cc.nsrc = nsrc;
    cc.opts = opts;
    cc.diag = diag;
    cc.home_name = MENU_NONE;
    for (int i = 0; i < MS__COUNT; i++) {
        g->sys[i] = MENU_NONE;
        cc.sys_loc[i].file = MENU_NONE;
    }
    if (opts->validators)
        g->val = *opts->validators;
    if (graph_builtins(g, opts) < 0) {
        kp_buf_puts(diag, "menu: malformed built-in table\n");
        rc = -KP_ERR_INVAL;
        goto out;
    }
    graph_version(g, sorted, nsrc);
    for (uint32_t f = 0; f < nsrc; f++) {
        const char *base = strrchr(sorted[f].name, '/');
        base = base ? base + 1 : sorted[f].name;
        uint32_t k = MENU_PUSH(g, files);
        g->files[k] = menu_pool_add(g, base, strlen(base));
    }
    for (uint32_t f = 0; f < nsrc; f++)
        menu_parse(&cc, f);
    if (cc.errors) {
        rc = -KP_ERR_PARSE;
        goto out;
    }
    if (menu_check(&cc)) {
        rc = -KP_ERR_CONFIG;
        goto out;
    }
    menu_fixed_mark(g);
out:
    if (cc.errors > MENU_DIAG_MAX)
        kp_buf_printf(diag, "menu: %u more errors not shown\n", cc.errors - MENU_DIAG_MAX);
    free(sorted);
    if (rc < 0)
        menu_graph_free(g);
    else
        *out = g;
    return rc;
}
