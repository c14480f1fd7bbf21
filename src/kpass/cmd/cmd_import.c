/* SPDX-License-Identifier: ISC */
/*
 * kpass import: load the directory's CSV files (formats and rules in
 * etc/seed/README.md) into the store.
 *
 *   kpass import [--dry-run] departments|districts|services|offices|translations|distances FILE
 *   kpass import [--dry-run] seed [DIR]
 *
 * Every row is checked (header, field count, codes, references, lengths,
 * formats; src/kpass/cmd/dir_rows.c) and bad rows are reported as
 * "file:line: column: reason" on stderr: the first IMPORT_BAD_SHOWN of
 * each file, then how many more.  The whole import runs in ONE
 * transaction: rows are upserted as they are read (so that a row may refer
 * to an earlier one, and later files to earlier files of a seed), and if
 * any row is bad the transaction is rolled back: nothing is imported and
 * the exit status is 1.  Upserts report added / updated / unchanged, so a
 * second run of the same file changes nothing.  On a terminal, stderr shows
 * a progress bar; the summary line per file goes to stdout.
 *
 * A new kind of file is one more row in import_kinds[]: its name, header
 * and a function that checks and stores one record.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli.h"
#include "dir_rows.h"
#include "kpass/core/clock.h"
#include "kpass/core/csv.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/change.h"
#include "kpass/store/directory.h"
#include "kp_paths.h" /* KP_DATADIR */

#define IMPORT_BAD_SHOWN 50 /* bad rows of a file reported one by one; the rest are counted */

static const char import_usage_text[] =
    "kpass import [--dry-run] departments|districts|services|offices|translations|distances "
    "FILE\n"
    "       kpass import [--dry-run] seed [DIR]\n"
    "       kpass import citizens [--dry-run] FILE";

/* In-file duplicates: a small open-addressing set of short keys -> line. */
struct import_seen_slot {
    char key[24];
    unsigned line; /* 0: empty slot */
};

struct import_seen {
    struct import_seen_slot *slot;
    size_t cap, n;
};

struct import {
    struct store *st;
    const char *path;
    unsigned rows;     /* data rows read (a row's position is its sort key) */
    unsigned bad;      /* bad rows in this file */
    unsigned count[3]; /* by enum store_dir_change */
    int fatal;         /* the store failed: stop */
    int reindex;       /* service texts changed: optimize the search index */
    struct import_seen codes, phones;
    struct kp_buf why; /* the current row's problems, "column: reason\n" each */
    struct dir_refs refs;
    int tty;      /* draw a progress bar on stderr */
    int bar;      /* one is drawn now */
    unsigned pct; /* last percentage drawn */
};

struct import_kind {
    const char *name;
    const char *const *columns;
    size_t ncolumns;
    /* Check one record (its field count is right) into im->why, and store
       it if it has no problem: enum store_dir_change or < 0. */
    int (*row)(struct import *im, const struct csv_record *r);
};

static uint64_t import_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Add key first seen on line; returns 0, or the line it was seen on before.
   Keys that are too long to be a code or a phone are not tracked. */
static unsigned import_seen_add(struct import_seen *set, const char *key, unsigned line)
{
    size_t i;

    if (strlen(key) >= sizeof(set->slot[0].key) || *key == '\0')
        return 0;
    if (2 * (set->n + 1) > set->cap) {
        struct import_seen grown = {NULL, set->cap ? set->cap * 2 : 256, set->n};
        grown.slot = kp_calloc(grown.cap, sizeof(*grown.slot));
        for (size_t j = 0; j < set->cap; j++) {
            if (set->slot[j].line == 0)
                continue;
            for (i = import_hash(set->slot[j].key) & (grown.cap - 1); grown.slot[i].line;
                 i = (i + 1) & (grown.cap - 1))
                ;
            grown.slot[i] = set->slot[j];
        }
        free(set->slot);
        *set = grown;
    }
    for (i = import_hash(key) & (set->cap - 1); set->slot[i].line; i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slot[i].key, key) == 0)
            return set->slot[i].line;
    memcpy(set->slot[i].key, key, strlen(key) + 1);
    set->slot[i].line = line;
    set->n++;
    return 0;
}

static void import_seen_free(struct import_seen *set)
{
    free(set->slot);
    memset(set, 0, sizeof(*set));
}

static void import_unique(struct import *im, struct import_seen *set, const char *col,
                          const char *v, unsigned line)
{
    unsigned first = import_seen_add(set, v, line);

    if (first)
        kp_buf_printf(&im->why, "%s: duplicate '%s' (first on line %u)\n", col, v, first);
}

static int import_exists(void *ctx, enum store_dir_kind kind, const char *code)
{
    return store_dir_exists(ctx, kind, code);
}

static void import_bar_clear(struct import *im)
{
    if (im->bar) {
        fputs("\r\033[K", stderr);
        im->bar = 0;
    }
}

static void import_progress(struct import *im, size_t done, size_t total)
{
    static const char hashes[] = "##############################";
    const char *name = strrchr(im->path, '/') ? strrchr(im->path, '/') + 1 : im->path;
    unsigned pct = total ? (unsigned)(done * 100 / total) : 100, w;

    if (!im->tty || (im->bar && pct == im->pct))
        return;
    w = pct * 30 / 100;
    fprintf(stderr, "\rimporting %-16s [%.*s%*s] %3u%% %u rows", name, (int)w, hashes,
            (int)(30 - w), "", pct, im->rows);
    fflush(stderr);
    im->bar = 1;
    im->pct = pct;
}

/* Print the current row's problems as file:line: reason (the first
   IMPORT_BAD_SHOWN bad rows; the others are only counted). */
static void import_report(struct import *im, unsigned line)
{
    if (im->bad >= IMPORT_BAD_SHOWN) {
        im->bad++;
        return;
    }
    import_bar_clear(im);
    for (char *p = im->why.data, *nl; p && *p; p = nl + 1) {
        nl = strchr(p, '\n');
        fprintf(stderr, "%s:%u: %.*s\n", im->path, line, (int)(nl - p), p);
    }
    im->bad++;
}

static int import_department(struct import *im, const struct csv_record *r)
{
    struct store_dir_department d;

    import_unique(im, &im->codes, "code", r->field[0], r->line);
    if (dir_row_department(r->field, &d, &im->why) > 0 || im->why.len)
        return 0;
    d.sort = im->rows;
    return store_dir_department_put(im->st, &d);
}

static int import_district(struct import *im, const struct csv_record *r)
{
    struct store_dir_district d;

    import_unique(im, &im->codes, "code", r->field[0], r->line);
    if (dir_row_district(r->field, &d, &im->why) > 0 || im->why.len)
        return 0;
    d.sort = im->rows;
    return store_dir_district_put(im->st, &d);
}

static int import_service(struct import *im, const struct csv_record *r)
{
    struct store_dir_service s;
    int rc;

    import_unique(im, &im->codes, "code", r->field[0], r->line);
    if (dir_row_service(r->field, &im->refs, &s, &im->why) > 0 || im->why.len)
        return 0;
    s.sort = im->rows;
    rc = store_dir_service_put(im->st, &s);
    im->reindex |= rc == STORE_DIR_ADDED || rc == STORE_DIR_UPDATED;
    return rc;
}

static int import_office(struct import *im, const struct csv_record *r)
{
    struct store_dir_office o;

    import_unique(im, &im->codes, "code", r->field[0], r->line);
    dir_row_office(r->field, &im->refs, &o, &im->why);
    import_unique(im, &im->phones, "phone", r->field[6], r->line);
    if (im->why.len)
        return 0;
    o.sort = im->rows;
    return store_dir_office_put(im->st, &o);
}

static int import_text(struct import *im, const struct csv_record *r)
{
    struct dir_text_row t;
    char key[64];

    /* Short enough for the seen set: "seVEHREG key ur-Latn". */
    snprintf(key, sizeof(key), "%.2s%.8s %.3s %.7s", r->field[0], r->field[1], r->field[2],
             r->field[3]);
    import_unique(im, &im->codes, "kind,code,field,lang", key, r->line);
    if (dir_row_text(r->field, &im->refs, &t, &im->why) > 0 || im->why.len)
        return 0;
    return store_dir_text_put(im->st, t.kind, t.code, t.field, t.lang, t.text);
}

static int import_distance(struct import *im, const struct csv_record *r)
{
    struct dir_distance_row d;
    char key[32];

    /* A pair once, in either order. */
    if (strcmp(r->field[0], r->field[1]) < 0)
        snprintf(key, sizeof(key), "%s %s", r->field[0], r->field[1]);
    else
        snprintf(key, sizeof(key), "%s %s", r->field[1], r->field[0]);
    import_unique(im, &im->codes, "district,near", key, r->line);
    if (dir_row_distance(r->field, &im->refs, &d, &im->why) > 0 || im->why.len)
        return 0;
    return store_dir_distance_put(im->st, d.district, d.near, d.km);
}

static const struct import_kind import_kinds[] = {
    {"departments", dir_department_columns, DIR_DEPARTMENT_COLUMNS, import_department},
    {"districts", dir_district_columns, DIR_DISTRICT_COLUMNS, import_district},
    {"services", dir_service_columns, DIR_SERVICE_COLUMNS, import_service},
    {"offices", dir_office_columns, DIR_OFFICE_COLUMNS, import_office},
    {"translations", dir_text_columns, DIR_TEXT_COLUMNS, import_text},
    {"distances", dir_distance_columns, DIR_DISTANCE_COLUMNS, import_distance},
};

/* The files of a seed folder, in dependency order. */
static const char *const import_seed_files[] = {"departments", "districts",    "services",
                                                "offices",     "translations", "distances"};
/* The first this many are required in a seed folder; the rest are loaded
   when present (a folder written before issue 11 has none of them). */
#define IMPORT_SEED_REQUIRED 4

static const struct import_kind *import_kind_find(const char *name)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(import_kinds); i++)
        if (strcmp(import_kinds[i].name, name) == 0)
            return &import_kinds[i];
    return NULL;
}

/* The header must be the kind's columns, in order.  0, or 1 after reporting. */
static int import_header(struct import *im, const struct import_kind *k, const struct csv_record *r)
{
    struct kp_buf got = KP_BUF_INIT, want = KP_BUF_INIT;
    int same = r->nfields == k->ncolumns;

    for (size_t i = 0; i < k->ncolumns; i++) {
        kp_buf_printf(&want, "%s%s", i ? "," : "", k->columns[i]);
        same = same && strcmp(r->field[i], k->columns[i]) == 0;
    }
    if (!same) {
        for (size_t i = 0; i < r->nfields && got.len < 200; i++)
            kp_buf_printf(&got, "%s%.40s", i ? "," : "", r->field[i]);
        kp_buf_reset(&im->why);
        kp_buf_printf(&im->why, "header is %s; expected %s (a %s file)\n", got.data, want.data,
                      k->name);
        import_report(im, r->line);
    }
    kp_buf_free(&got);
    kp_buf_free(&want);
    return !same;
}

/* One record after the header. */
static void import_record(struct import *im, const struct import_kind *k,
                          const struct csv_record *r)
{
    int rc = 0;

    kp_buf_reset(&im->why);
    im->rows++;
    if (r->nfields == 1 && r->len[0] == 0)
        kp_buf_puts(&im->why, "empty line\n");
    else if (r->nfields != k->ncolumns)
        kp_buf_printf(&im->why, "%zu fields; the header has %zu\n", r->nfields, k->ncolumns);
    else
        rc = k->row(im, r);
    if (rc == -KP_ERR_DB) {
        import_bar_clear(im);
        cli_fail("%s:%u: database error: %s", im->path, r->line, store_errmsg(im->st));
        im->fatal = 1;
    } else if (rc < 0) {
        kp_buf_printf(&im->why, "refused by the database (%s)\n", kp_strerror(rc));
    } else if (im->why.len == 0) {
        im->count[rc]++;
    }
    if (im->why.len)
        import_report(im, r->line);
}

static int import_read(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    size_t n = 0, r;
    char *buf;

    if (f == NULL)
        return -errno;
    if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return -EINVAL;
    }
    buf = kp_malloc((size_t)sb.st_size + 1);
    while ((r = fread(buf + n, 1, (size_t)sb.st_size - n, f)) > 0 && n < (size_t)sb.st_size)
        n += r;
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

/* Import one file in the open transaction.  0, or 1 after reporting. */
static int import_file(struct import *im, const struct import_kind *k, const char *path)
{
    struct csv_reader rd;
    struct csv_record rec;
    struct csv_error e;
    uint64_t t0 = kp_clock_us();
    size_t len = 0;
    char *data = NULL;
    int rc;

    im->path = path;
    im->rows = im->bad = 0;
    memset(im->count, 0, sizeof(im->count));
    import_seen_free(&im->codes);
    import_seen_free(&im->phones);
    if ((rc = import_read(path, &data, &len)) < 0)
        return cli_fail("cannot read %s: %s", path,
                        rc == -EINVAL ? "not a regular file" : strerror(-rc));
    csv_reader_init(&rd, data, len);
    rc = csv_read(&rd, &rec, &e);
    if (rc <= 0) {
        kp_buf_reset(&im->why);
        kp_buf_printf(&im->why, "%s\n", rc == 0 ? "empty file (no header)" : e.reason);
        import_report(im, rc == 0 ? 1 : e.line);
    } else if (import_header(im, k, &rec) == 0) {
        while (!im->fatal && (rc = csv_read(&rd, &rec, &e)) != 0) {
            if (rc < 0) {
                kp_buf_reset(&im->why);
                kp_buf_printf(&im->why, "%s\n", e.reason);
                im->rows++;
                import_report(im, e.line);
            } else {
                import_record(im, k, &rec);
            }
            import_progress(im, csv_reader_offset(&rd), len);
        }
    }
    import_bar_clear(im);
    csv_reader_free(&rd);
    free(data);
    if (im->bad > IMPORT_BAD_SHOWN)
        fprintf(stderr, "%s: %u more bad rows not shown\n", path, im->bad - IMPORT_BAD_SHOWN);
    if (im->bad || im->fatal)
        return 1;
    printf("%s: %u rows: %u added, %u updated, %u unchanged (%.2f s)\n", path, im->rows,
           im->count[STORE_DIR_ADDED], im->count[STORE_DIR_UPDATED], im->count[STORE_DIR_UNCHANGED],
           (double)(kp_clock_us() - t0) / 1e6);
    return 0;
}

static int import_is_file(const char *dir, const char *name)
{
    struct kp_buf path = KP_BUF_INIT;
    struct stat sb;
    int ok;

    kp_buf_printf(&path, "%s/%s", dir, name);
    ok = stat(path.data, &sb) == 0 && S_ISREG(sb.st_mode);
    kp_buf_free(&path);
    return ok;
}

/*
 * The default seed folder: etc/seed of the source tree this kpass was built
 * in (the program is <top>/build/kpass or <top>/build/debug/kpass), else
 * the installed copy (make install puts it in $(DATADIR)/seed).  Returns a
 * malloc'd path, or NULL after reporting.
 */
char *cli_seed_dir(void)
{
    static const char *const ups[] = {"/..", "/../.."};
    struct kp_buf top = KP_BUF_INIT;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n > 0) {
        exe[n] = '\0';
        *strrchr(exe, '/') = '\0';
        for (size_t i = 0; i < KP_ARRAY_LEN(ups); i++) {
            kp_buf_reset(&top);
            kp_buf_printf(&top, "%s%s", exe, ups[i]);
            if (import_is_file(top.data, "src/kpass/main.c") &&
                import_is_file(top.data, "etc/seed/departments.csv")) {
                char *real = realpath(top.data, NULL);
                if (real) {
                    kp_buf_reset(&top);
                    kp_buf_puts(&top, real);
                    free(real);
                }
                kp_buf_puts(&top, "/etc/seed");
                return kp_buf_steal(&top);
            }
        }
    }
    kp_buf_reset(&top);
    kp_buf_printf(&top, "%s/seed", KP_DATADIR);
    if (import_is_file(top.data, "departments.csv"))
        return kp_buf_steal(&top);
    cli_fail("no seed folder in the source tree or in %s (give one: kpass import seed DIR)",
             top.data);
    kp_buf_free(&top);
    return NULL;
}

/* Run the files in one transaction; commit unless a row was bad or dry. */
static int import_run(struct kp_cli *cli, const struct import_kind *const *kinds,
                      char *const *paths, size_t n, int dry)
{
    struct import im;
    unsigned bad = 0;
    int failed = 0;

    if (cli_store(cli) < 0)
        return 1;
    memset(&im, 0, sizeof(im));
    im.st = cli->st;
    im.refs.exists = import_exists;
    im.refs.ctx = cli->st;
    im.tty = isatty(STDERR_FILENO);
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    for (size_t i = 0; i < n && !im.fatal; i++) {
        failed |= import_file(&im, kinds[i], paths[i]);
        bad += im.bad;
    }
    import_seen_free(&im.codes);
    import_seen_free(&im.phones);
    kp_buf_free(&im.why);
    if (failed || dry) {
        store_tx_rollback(cli->st);
        if (bad)
            return cli_fail("%u bad row%s; nothing imported", bad, bad == 1 ? "" : "s");
        if (failed)
            return cli_fail("nothing imported");
        printf("dry run: every row is good; nothing written\n");
        return 0;
    }
    if (im.reindex && store_dir_optimize(cli->st) < 0) {
        store_tx_rollback(cli->st);
        return cli_fail("cannot optimize the search index: %s", store_errmsg(cli->st));
    }
    /* kpassd keeps what it reads of the directory (departments) until the
       change counter moves: moved in the same transaction as the rows. */
    if (store_change_bump(cli->st, STORE_CHANGE_STATE) < 0) {
        store_tx_rollback(cli->st);
        return cli_fail("cannot note the change: %s", store_errmsg(cli->st));
    }
    if (store_tx_commit(cli->st) < 0)
        return cli_fail("cannot commit: %s", store_errmsg(cli->st));
    cli_change_report(cli, "directory imported", "USSD dialogs show it");
    return 0;
}

static int import_seed(struct kp_cli *cli, const char *dir, int dry)
{
    const struct import_kind *kinds[KP_ARRAY_LEN(import_seed_files)];
    char *paths[KP_ARRAY_LEN(import_seed_files)], *found = NULL;
    size_t n = KP_ARRAY_LEN(import_seed_files);
    int rc;

    if (dir == NULL && (dir = found = cli_seed_dir()) == NULL)
        return 1;
    n = 0;
    for (size_t i = 0; i < KP_ARRAY_LEN(import_seed_files); i++) {
        struct kp_buf p = KP_BUF_INIT;
        kp_buf_printf(&p, "%s/%s.csv", dir, import_seed_files[i]);
        if (i >= IMPORT_SEED_REQUIRED && access(p.data, F_OK) != 0) {
            kp_buf_free(&p);
            continue;
        }
        paths[n] = kp_buf_steal(&p);
        kinds[n++] = import_kind_find(import_seed_files[i]);
    }
    rc = import_run(cli, kinds, paths, n, dry);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(found);
    return rc;
}

int cmd_import(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    const struct import_kind *kind;
    int ch, dry = 0;

    /* Citizens have their own importer (a registry extract, keys, audit). */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        if (strcmp(argv[i], "citizens") == 0) {
            char **sub = kp_calloc((size_t)argc + 1, sizeof(*sub));
            int n = 0, rc;
            sub[n++] = argv[i];
            for (int k = 1; k < argc; k++)
                if (k != i)
                    sub[n++] = argv[k];
            sub[n] = NULL;
            rc = import_citizens(cli, n, sub);
            free(sub);
            return rc;
        }
        break;
    }

    while ((ch = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
        if (ch != 'n')
            return cli_usage(import_usage_text);
        dry = 1;
    }
    argc -= optind;
    argv += optind;
    if (argc >= 1 && argc <= 2 && strcmp(argv[0], "seed") == 0)
        return import_seed(cli, argc == 2 ? argv[1] : NULL, dry);
    if (argc != 2 || (kind = import_kind_find(argv[0])) == NULL)
        return cli_usage(import_usage_text);
    return import_run(cli, &kind, &argv[1], 1, dry);
}
