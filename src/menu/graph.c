/* SPDX-License-Identifier: ISC */
/*
 * The compiled menu graph: the compiler driver (parse every source, then
 * check), diagnostics in gcc's "file:line:col: message" form with the
 * source line and a caret, the string pool and name tables, the version
 * (BLAKE2b over the sorted sources, libsodium crypto_generichash), reading
 * a folder of *.menu files, and reference counting.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/err.h"
#include "kpass/mem.h"
#include "menu_internal.h"

#define MENU_DIAG_MAX 100 /* diagnostics printed in one run; the rest are counted */

static const char *const lang_names[MENU_LANG_MAX] = {"en", "ur", "ps"};

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
    static const char *const names[MK__COUNT] = {"menu", "input",  "info",
                                                 "end",  "action", "router"};
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

static void graph_free(struct menu_graph *g)
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
        graph_free(g);
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
    static const struct menu_options defaults = {NULL, 0, MENU_LIMITS_DEFAULT};
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
    if (graph_builtins(g, opts) < 0) {
        kp_buf_puts(diag, "menu: malformed built-in table\n");
        rc = -KP_ERR_INVAL;
        goto out;
    }
    graph_version(g, sorted, nsrc);
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
out:
    if (cc.errors > MENU_DIAG_MAX)
        kp_buf_printf(diag, "menu: %u more errors not shown\n", cc.errors - MENU_DIAG_MAX);
    free(sorted);
    if (rc < 0)
        graph_free(g);
    else
        *out = g;
    return rc;
}

static int menu_file_filter(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".menu") == 0;
}

/* Read a whole file into a malloc'd buffer; 0 or -errno. */
static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct kp_buf b = KP_BUF_INIT;
    char chunk[8192];
    size_t n;
    int rc = 0;

    *text = NULL;
    *len = 0;
    if (f == NULL)
        return -errno;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        kp_buf_append(&b, chunk, n);
    if (ferror(f))
        rc = -EIO;
    fclose(f);
    *len = b.len;
    *text = kp_buf_steal(&b);
    return rc;
}

int menu_graph_load(const char *dir, const struct menu_options *opts, struct menu_graph **out,
                    struct kp_buf *diag)
{
    struct dirent **ents = NULL;
    struct menu_source *src = NULL;
    int n, rc = 0, i, nread = 0;

    *out = NULL;
    n = scandir(dir, &ents, menu_file_filter, alphasort);
    if (n < 0) {
        kp_buf_printf(diag, "%s: %s\n", dir, strerror(errno));
        return -KP_ERR_IO;
    }
    src = kp_calloc((size_t)n + 1, sizeof(*src));
    for (i = 0; i < n; i++) {
        char path[4096], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
        int r = read_file(path, &text, &len);
        if (r < 0) {
            kp_buf_printf(diag, "%s: %s\n", path, strerror(-r));
            free(text);
            rc = -KP_ERR_IO;
            continue;
        }
        src[nread].name = kp_strdup(path);
        src[nread].text = text;
        src[nread].len = len;
        nread++;
    }
    if (rc == 0)
        rc = menu_graph_compile(src, (size_t)nread, opts, out, diag);
    for (i = 0; i < nread; i++) {
        free((char *)(uintptr_t)src[i].name);
        free((char *)(uintptr_t)src[i].text);
    }
    for (i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    free(src);
    return rc;
}
