/* SPDX-License-Identifier: ISC */
/*
 * kpass service check: the directory's missing translations.  A dialog in
 * Urdu, Pashto or Roman Urdu shows English where the directory has no text
 * in its language (store_dir_name_pick); this lists every such place, so
 * that a fallback is known and can be filled in (etc/seed/translations.csv)
 * instead of surprising a caller with an English word on an Urdu screen.
 *
 *   kpass service check [--lang ur|ps|ur-Latn] [--strict]
 *
 * One line per gap on stdout, "KIND CODE FIELD LANG", then a summary per
 * language on stderr.  Exit 0, or 1 with --strict when anything is missing.
 * Fees, processing times and opening hours are not listed: they are fixed
 * forms the USSD built-ins render in every language.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "dir_rows.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/directory.h"

struct check {
    struct store *st;
    int want[STORE_DIR_LANGS]; /* languages to check */
    unsigned missing[STORE_DIR_LANGS];
    int failed;
};

static void check_gap(struct check *c, const char *kind, const char *code, const char *field,
                      enum store_dir_lang lang, const char *text)
{
    if (!c->want[lang] || text[0])
        return;
    printf("%s %s %s %s\n", kind, code, field, store_dir_lang_name(lang));
    c->missing[lang]++;
}

static void check_name(struct check *c, const char *kind, const char *code,
                       const struct store_dir_name *n)
{
    for (int l = STORE_DIR_UR; l < STORE_DIR_LANGS; l++)
        check_gap(c, kind, code, "name", (enum store_dir_lang)l,
                  store_dir_name_in(n, (enum store_dir_lang)l));
}

static void check_text(struct check *c, const char *kind, const char *code, const char *field,
                       const struct store_dir_desc *d)
{
    for (int l = STORE_DIR_UR; l < STORE_DIR_LANGS; l++)
        check_gap(c, kind, code, field, (enum store_dir_lang)l,
                  store_dir_desc_in(d, (enum store_dir_lang)l));
}

/* Departments and districts come through their lists (every row). */
static int check_list(struct check *c, const char *kind,
                      int (*list)(struct store *, unsigned, unsigned, struct store_dir_item *,
                                  unsigned *))
{
    struct store_dir_item *v = kp_calloc(STORE_DIR_PAGE_MAX, sizeof(*v));
    unsigned total = 0, at = 0;
    int n;

    do {
        if ((n = list(c->st, at, STORE_DIR_PAGE_MAX, v, &total)) < 0)
            break;
        for (int i = 0; i < n; i++)
            check_name(c, kind, v[i].code, &v[i].name);
        at += (unsigned)n;
    } while (n > 0 && at < total);
    free(v);
    return n < 0 ? n : 0;
}

static int check_service(void *ctx, const struct store_dir_item *it)
{
    struct check *c = ctx;
    struct store_dir_service *s = kp_calloc(1, sizeof(*s));
    int rc = store_dir_service_get(c->st, it->code, s);

    if (rc == 0) {
        check_name(c, "service", s->code, &s->name);
        check_text(c, "service", s->code, "description", &s->description);
        check_text(c, "service", s->code, "documents", &s->docs);
        check_text(c, "service", s->code, "where", &s->where);
    }
    free(s);
    return rc < 0 ? rc : 0;
}

static int check_office(void *ctx, const struct store_dir_item *it)
{
    struct check *c = ctx;
    struct store_dir_office *o = kp_calloc(1, sizeof(*o));
    int rc = store_dir_office_get(c->st, it->code, o);

    if (rc == 0) {
        check_name(c, "office", o->code, &o->name);
        check_text(c, "office", o->code, "address", &o->addr);
    }
    free(o);
    return rc < 0 ? rc : 0;
}

int cmd_service_check(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"lang", required_argument, NULL, 'l'},
                                         {"strict", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    struct check c;
    int ch, l, strict = 0, only = -1, rc;
    unsigned all = 0;

    memset(&c, 0, sizeof(c));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (ch == 's')
            strict = 1;
        else if (ch == 'l' && (l = store_dir_lang_parse(optarg)) > STORE_DIR_EN)
            only = l;
        else
            return cli_usage("kpass service check [--lang ur|ps|ur-Latn] [--strict]");
    }
    if (optind != argc)
        return cli_usage("kpass service check [--lang ur|ps|ur-Latn] [--strict]");
    for (l = STORE_DIR_UR; l < STORE_DIR_LANGS; l++)
        c.want[l] = only < 0 || only == l;
    if (cli_store(cli) < 0)
        return 1;
    c.st = cli->st;
    if ((rc = check_list(&c, "department", store_dir_department_list)) < 0 ||
        (rc = check_list(&c, "district", store_dir_district_list)) < 0 ||
        (rc = store_dir_service_each(c.st, NULL, check_service, &c)) < 0 ||
        (rc = store_dir_office_each(c.st, NULL, check_office, &c)) < 0)
        return cli_fail("cannot read the directory: %s", kp_strerror(rc));
    fflush(stdout); /* the list before the summary */
    for (l = STORE_DIR_UR; l < STORE_DIR_LANGS; l++) {
        if (!c.want[l])
            continue;
        fprintf(stderr, "%s: %u missing\n", store_dir_lang_name((enum store_dir_lang)l),
                c.missing[l]);
        all += c.missing[l];
    }
    return strict && all ? 1 : 0;
}
