/* SPDX-License-Identifier: ISC */
/*
 * kpass import citizens FILE.csv: load a citizens registry file
 * (etc/seed/README.md) in ONE transaction.  Bad rows are reported as
 * "file:line: reason", the first IMPORT_BAD_SHOWN of them and then how
 * many more (a wrong file would otherwise print a million lines); if there
 * is any, nothing is imported.  A row's district must be one of the
 * directory's districts (kpass import districts).  Running the
 * same file again changes nothing (registry_citizen_import is an upsert that
 * leaves equal rows alone).  On a terminal, stderr shows a progress bar.
 *
 * Speed: one pass, statements prepared once (the store's cache), the line
 * buffer and the duplicate sets reused across rows, no allocation per row.
 *
 * `kpass import` (cmd_import.c) hands "citizens" to import_citizens().
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "citizen_csv.h"
#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/directory.h"

#define IMPORT_LINE_MAX       4096
#define IMPORT_PROGRESS_EVERY 8192 /* rows between progress bar updates */
#define IMPORT_BAR            30
#define IMPORT_BAD_SHOWN      50 /* bad rows reported one by one; the rest are counted */
#define IMPORT_DISTRICTS      64 /* district codes remembered as known */

static const char import_usage_text[] = "kpass import citizens [--dry-run] FILE.csv";

/*
 * A set of 64-bit keys (a CNIC or an E.164 number read as an integer:
 * never 0) with the line each was first seen on; open addressing, grown by
 * doubling, so that a million rows cost a few dozen allocations in all.
 */
struct import_seen {
    uint64_t *keys;
    uint32_t *lines;
    size_t cap, n;
};

static uint64_t import_mix(uint64_t x)
{
    /* splitmix64's finaliser: spreads nearby numbers over the table. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void import_seen_put(struct import_seen *s, uint64_t key, uint32_t line)
{
    size_t i = (size_t)import_mix(key) & (s->cap - 1);

    while (s->keys[i] != 0)
        i = (i + 1) & (s->cap - 1);
    s->keys[i] = key;
    s->lines[i] = line;
    s->n++;
}

/* The line key was first seen on, or 0 after adding it with line. */
static uint32_t import_seen_add(struct import_seen *s, uint64_t key, uint32_t line)
{
    if (2 * (s->n + 1) > s->cap) {
        struct import_seen old = *s;
        s->cap = old.cap ? old.cap * 2 : 4096;
        s->keys = kp_calloc(s->cap, sizeof(*s->keys));
        s->lines = kp_calloc(s->cap, sizeof(*s->lines));
        s->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i] != 0)
                import_seen_put(s, old.keys[i], old.lines[i]);
        free(old.keys);
        free(old.lines);
    }
    for (size_t i = (size_t)import_mix(key) & (s->cap - 1); s->keys[i] != 0;
         i = (i + 1) & (s->cap - 1))
        if (s->keys[i] == key)
            return s->lines[i];
    import_seen_put(s, key, line);
    return 0;
}

static void import_seen_free(struct import_seen *s)
{
    /* The keys are CNICs and numbers: wipe them. */
    if (s->keys)
        sodium_memzero(s->keys, s->cap * sizeof(*s->keys));
    free(s->keys);
    free(s->lines);
}

static uint64_t import_digits(const char *s)
{
    uint64_t v = 0;

    for (; *s; s++)
        if (*s >= '0' && *s <= '9')
            v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

struct import_run {
    const char *path;
    char source[80]; /* audit detail prefix: the file's base name, if the guard takes it */
    int tty;
    off_t size;
    int64_t now;
    unsigned long rows, bad, added, updated, unchanged;
    struct import_seen cnics, msisdns;
    char districts[IMPORT_DISTRICTS][STORE_CITIZEN_DISTRICT_SIZE]; /* known to exist */
    int ndistricts;
};

static void import_bad(struct import_run *r, unsigned long line, const char *why)
{
    if (r->bad++ >= IMPORT_BAD_SHOWN)
        return;
    if (r->tty)
        fputs("\r\033[K", stderr); /* clear the progress bar first */
    fprintf(stderr, "%s:%lu: %s\n", r->path, line, why);
}

/*
 * Is district one of the directory's districts?  1 yes, 0 no (why says
 * so), -KP_ERR_DB.  The few codes found are remembered, so that a million
 * rows cost a few dozen lookups.
 */
static int import_district_known(struct kp_cli *cli, struct import_run *r, const char *district,
                                 char *why, size_t whysize)
{
    struct store_dir_counts n;
    int rc;

    for (int i = 0; i < r->ndistricts; i++)
        if (strcmp(r->districts[i], district) == 0)
            return 1;
    if ((rc = store_dir_exists(cli->st, STORE_DIR_DISTRICT, district)) < 0)
        return rc;
    if (rc == 1) {
        if (r->ndistricts < IMPORT_DISTRICTS)
            memcpy(r->districts[r->ndistricts++], district, strlen(district) + 1);
        return 1;
    }
    if (store_dir_count(cli->st, &n) == 0 && n.districts == 0)
        snprintf(why, whysize,
                 "district: %s is unknown: the directory has no districts yet (kpass import "
                 "districts FILE)",
                 district);
    else
        snprintf(why, whysize, "district: %s is not one of the directory's districts", district);
    return 0;
}

static void import_progress(struct import_run *r, off_t done)
{
    int pct = r->size > 0 ? (int)(done * 100 / r->size) : 100;
    int bar = pct * IMPORT_BAR / 100;

    fprintf(stderr, "\rimporting citizens [%.*s%*s] %3d%% %lu rows", bar,
            "##############################", IMPORT_BAR - bar, "", pct, r->rows);
}

/* Are the row's CNIC and numbers new in this file?  0, or 1 after reporting. */
static int import_unique(struct import_run *r, const struct citizen_csv_row *row,
                         unsigned long lineno)
{
    char why[CITIZEN_CSV_WHY];
    uint32_t first;

    if ((first = import_seen_add(&r->cnics, import_digits(row->cnic), (uint32_t)lineno)) != 0) {
        snprintf(why, sizeof(why), "cnic: the same CNIC as line %u", first);
        import_bad(r, lineno, why);
        return 1;
    }
    for (int i = 0; i < row->nmsisdn; i++) {
        first = import_seen_add(&r->msisdns, import_digits(row->msisdn[i]), (uint32_t)lineno);
        if (first != 0) {
            snprintf(why, sizeof(why), "msisdn%s: the same number as line %u",
                     row->nmsisdn > 1 ? " (one of the list)" : "", first);
            import_bad(r, lineno, why);
            return 1;
        }
    }
    return 0;
}

/* The reason for a refusal of registry_citizen_import, or NULL for a broken store. */
static const char *import_refusal(int rc, const struct citizen_csv_row *row,
                                  const struct registry_import *imp, char *why, size_t size)
{
    char masked[MSISDN_SIZE] = "";

    if (imp->bad_msisdn >= 0 && imp->bad_msisdn < row->nmsisdn)
        msisdn_mask(row->msisdn[imp->bad_msisdn], masked);
    switch (rc) {
    case -KP_ERR_EXISTS:
        snprintf(why, size, "msisdn: %s is registered to another citizen", masked);
        break;
    case -KP_ERR_LIMIT:
        snprintf(why, size, "msisdn: this citizen would have more than %d numbers",
                 STORE_CITIZEN_MSISDNS);
        break;
    case -KP_ERR_DENIED:
        snprintf(why, size, "the audit log refused the row's note (%.80s)", imp->source);
        break;
    default:
        snprintf(why, size, "cannot import: %s", kp_strerror(rc));
        return rc == -KP_ERR_DB ? NULL : why;
    }
    return why;
}

/* One data line: check it, then hand it to the registry.  Errors are reported. */
static int import_line(struct kp_cli *cli, struct import_run *r, char *line, size_t len,
                       unsigned long lineno)
{
    struct citizen_csv_row row;
    struct registry_import imp;
    char why[CITIZEN_CSV_WHY], source[128];
    int rc;

    if (citizen_csv_row(line, len, &row, why, sizeof(why)) < 0) {
        import_bad(r, lineno, why);
        return 0;
    }
    if (import_unique(r, &row, lineno) != 0)
        return 0;
    if ((rc = import_district_known(cli, r, row.fields.district, why, sizeof(why))) <= 0) {
        import_bad(r, lineno, rc < 0 ? "cannot read the directory's districts" : why);
        return rc;
    }
    snprintf(source, sizeof(source), "%s:%lu", r->source, lineno);
    memset(&imp, 0, sizeof(imp));
    imp.cnic = row.cnic;
    for (int i = 0; i < row.nmsisdn; i++)
        imp.msisdns[i] = row.msisdn[i];
    imp.n_msisdns = row.nmsisdn;
    imp.source = source;
    imp.fields = row.fields;
    rc = registry_citizen_import(cli->reg, &imp, cli_actor(), r->now);
    sodium_memzero(row.cnic, sizeof(row.cnic));
    switch (rc) {
    case REGISTRY_CITIZEN_ADDED:
        r->added++;
        return 0;
    case REGISTRY_CITIZEN_UPDATED:
        r->updated++;
        return 0;
    case REGISTRY_CITIZEN_UNCHANGED:
        r->unchanged++;
        return 0;
    }
    if (import_refusal(rc, &row, &imp, why, sizeof(why)) == NULL) {
        import_bad(r, lineno, why);
        return rc; /* a broken store ends the run */
    }
    import_bad(r, lineno, why);
    return 0;
}

/* Read every line of f; 0, or < 0 when the run cannot go on (reported). */
static int import_read(struct kp_cli *cli, struct import_run *r, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned long lineno = 0;
    char why[CITIZEN_CSV_WHY];
    ssize_t n;
    int rc = 0;

    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)n;
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        if (len > IMPORT_LINE_MAX) {
            import_bad(r, lineno, "line longer than 4096 octets");
        } else if (lineno == 1) {
            if (citizen_csv_header(line, len, why, sizeof(why)) < 0) {
                import_bad(r, lineno, why);
                break; /* not this kind of file: the rest would only be noise */
            }
        } else {
            r->rows++;
            rc = import_line(cli, r, line, len, lineno);
            if (r->tty && r->rows % IMPORT_PROGRESS_EVERY == 0)
                import_progress(r, ftello(f));
        }
    }
    if (line)
        sodium_memzero(line, cap);
    free(line);
    if (rc == 0 && ferror(f)) {
        cli_fail("%s: read error: %s", r->path, strerror(errno));
        rc = -KP_ERR_IO;
    }
    if (rc == 0 && lineno == 0)
        import_bad(r, 1, "empty file: the header must be " CITIZEN_CSV_HEADER);
    return rc;
}

/* The audit detail prefix: the base name, unless the guard would refuse it. */
static void import_source(struct import_run *r)
{
    char *copy = kp_strdup(r->path);
    const char *base = basename(copy);

    if (strlen(base) > 60 || store_audit_detail_check(base) < 0 || strchr(base, ','))
        base = "import";
    snprintf(r->source, sizeof(r->source), "%s", base);
    free(copy);
}

static void import_summary(const struct import_run *r, uint64_t ms, int dry)
{
    printf("%s: %lu rows: %lu added, %lu updated, %lu unchanged (%.2f s)%s\n", r->path, r->rows,
           r->added, r->updated, r->unchanged, (double)ms / 1000.0,
           dry ? "; dry run, nothing written" : "");
}

int import_citizens(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    struct import_run r;
    struct stat sb;
    uint64_t t0 = kp_clock_ms();
    int ch, dry = 0, rc;
    FILE *f;

    while ((ch = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
        if (ch != 'n')
            return cli_usage(import_usage_text);
        dry = 1;
    }
    if (optind + 1 != argc)
        return cli_usage(import_usage_text);
    memset(&r, 0, sizeof(r));
    r.path = argv[optind];
    if ((f = fopen(r.path, "r")) == NULL)
        return cli_fail("cannot read %s: %s", r.path, strerror(errno));
    r.size = fstat(fileno(f), &sb) == 0 ? sb.st_size : 0;
    r.tty = isatty(STDERR_FILENO);
    r.now = kp_time_s();
    import_source(&r);
    if (cli_store_keys(cli) < 0 || store_bulk(cli->st) < 0 || store_tx_begin(cli->st) < 0) {
        fclose(f);
        return 1;
    }
    rc = import_read(cli, &r, f);
    fclose(f);
    if (r.tty)
        fputs("\r\033[K", stderr);
    if (rc == 0 && r.bad == 0 && !dry)
        rc = store_tx_commit(cli->st);
    else
        store_tx_rollback(cli->st);
    import_seen_free(&r.cnics);
    import_seen_free(&r.msisdns);
    if (r.bad > IMPORT_BAD_SHOWN)
        fprintf(stderr, "%s: %lu more bad rows not shown\n", r.path, r.bad - IMPORT_BAD_SHOWN);
    if (r.bad > 0)
        return cli_fail("%s: %lu bad row%s; nothing imported", r.path, r.bad,
                        r.bad == 1 ? "" : "s");
    if (rc < 0)
        return cli_fail("%s: import failed: %s; nothing imported", r.path, kp_strerror(rc));
    import_summary(&r, kp_clock_ms() - t0, dry);
    return 0;
}
