/* SPDX-License-Identifier: ISC */
/*
 * Reading a folder of *.menu files (sorted by name) and handing their text
 * to the compiler driver; the only file of the menu compiler that touches
 * the file system.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "menu_internal.h"

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
