/* SPDX-License-Identifier: ISC */
/*
 * kpass office: list, show, add and remove the offices of the directory.
 * `office add` takes an office that is not in the seed files, checked by
 * the same rules as a row of offices.csv (src/kpass/cmd/dir_rows.c); its
 * options are named after the file's columns.  Listings are one line per
 * office, "CODE  DISTRICT  NAME", under a header line.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "dir_rows.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/directory.h"

static const char office_usage_text[] =
    "kpass office list [--district CODE] [--service CODE] [--lang en|ur|ps]\n"
    "       kpass office show CODE\n"
    "       kpass office add CODE --district CODE --name-en TEXT --name-ur TEXT\n"
    "                        --address TEXT --hours 'Mon-Fri 09:00-16:00'\n"
    "                        --phone 091-0000000 --services 'CODE CODE ...'\n"
    "       kpass office remove CODE";

static char *office_code(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return s;
}

struct office_print {
    enum store_dir_lang lang;
    unsigned n;
};

static int office_print_item(void *ctx, const struct store_dir_item *it)
{
    struct office_print *p = ctx;

    if (p->n++ == 0)
        printf("%-8s  %-8s  %s\n", "CODE", "DISTRICT", "NAME");
    printf("%-8s  %-8s  %s\n", it->code, it->parent, store_dir_name_pick(&it->name, p->lang));
    return 0;
}

/* The offices of a service (within district when given), page by page. */
static int office_list_service(struct kp_cli *cli, const char *service, const char *district,
                               struct office_print *p)
{
    struct store_dir_item *items = kp_calloc(STORE_DIR_PAGE_MAX, sizeof(*items));
    unsigned offset = 0;
    int n;

    do {
        n = store_dir_office_find(cli->st, service, district, offset, STORE_DIR_PAGE_MAX, items,
                                  NULL);
        for (int i = 0; i < n; i++)
            office_print_item(p, &items[i]);
        offset += STORE_DIR_PAGE_MAX;
    } while (n == STORE_DIR_PAGE_MAX);
    free(items);
    return n < 0 ? n : 0;
}

static int office_list(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"district", required_argument, NULL, 'd'},
                                         {"service", required_argument, NULL, 's'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    struct office_print p = {STORE_DIR_EN, 0};
    char *district = NULL, *service = NULL;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (ch == 'd')
            district = office_code(optarg);
        else if (ch == 's')
            service = office_code(optarg);
        else if (ch == 'l' && (rc = store_dir_lang_parse(optarg)) >= 0)
            p.lang = (enum store_dir_lang)rc;
        else if (ch == 'l')
            return cli_fail("--lang: '%s' is not en, ur or ps", optarg);
        else
            return cli_usage(office_usage_text);
    }
    if (optind != argc)
        return cli_usage(office_usage_text);
    if (cli_store(cli) < 0)
        return 1;
    if (service)
        rc = office_list_service(cli, service, district, &p);
    else
        rc = store_dir_office_each(cli->st, district, office_print_item, &p);
    if (rc == -KP_ERR_NOTFOUND && service && !store_dir_exists(cli->st, STORE_DIR_SERVICE, service))
        return cli_fail("no service %s", service);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no district %s", district);
    if (rc < 0)
        return cli_fail("cannot list offices: %s", kp_strerror(rc));
    if (p.n == 0)
        fprintf(stderr, "no offices\n");
    return 0;
}

static int office_show(struct kp_cli *cli, char *code)
{
    struct store_dir_office o;
    struct store_dir_district d;
    int rc;

    if (cli_store(cli) < 0)
        return 1;
    rc = store_dir_office_get(cli->st, office_code(code), &o);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no office %s", code);
    if (rc < 0 || store_dir_district_get(cli->st, o.district, &d) < 0)
        return cli_fail("cannot read office %s", code);
    printf("%-11s %s\n", "code:", o.code);
    printf("%-11s %s (%s)\n", "district:", o.district, d.name.en);
    printf("%-11s %s\n", "name:", o.name.en);
    printf("%-11s %s\n", "name (ur):", o.name.ur);
    printf("%-11s %s\n", "address:", o.address);
    printf("%-11s %s\n", "hours:", o.hours);
    printf("%-11s %s\n", "phone:", o.phone);
    printf("%-11s", "services:");
    for (unsigned i = 0; i < o.nservices; i++)
        printf(" %s", o.services[i]);
    printf("\n");
    return 0;
}

static int office_exists(void *ctx, enum store_dir_kind kind, const char *code)
{
    return store_dir_exists(ctx, kind, code);
}

/* Store o in one transaction; 0 or an exit status after reporting. */
static int office_store(struct kp_cli *cli, struct store_dir_office *o)
{
    struct store_dir_counts n;
    int rc;

    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    rc = store_dir_exists(cli->st, STORE_DIR_OFFICE, o->code);
    if (rc == 1) {
        store_tx_rollback(cli->st);
        return cli_fail("office %s already exists", o->code);
    }
    if (rc == 0 && (rc = store_dir_count(cli->st, &n)) == 0) {
        o->sort = n.offices + 1; /* after the imported ones */
        rc = store_dir_office_put(cli->st, o);
    }
    if (rc < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        return cli_fail("cannot add office %s: %s", o->code, kp_strerror(rc));
    }
    printf("office %s added in %s with %u services\n", o->code, o->district, o->nservices);
    return 0;
}

static int office_add(struct kp_cli *cli, int argc, char **argv)
{
    /* Option values by offices.csv column (0 is the code). */
    static const struct option opts[] = {
        {"district", required_argument, NULL, 1}, {"name-en", required_argument, NULL, 2},
        {"name-ur", required_argument, NULL, 3},  {"address", required_argument, NULL, 4},
        {"hours", required_argument, NULL, 5},    {"phone", required_argument, NULL, 6},
        {"services", required_argument, NULL, 7}, {NULL, 0, NULL, 0}};
    const char *f[DIR_OFFICE_COLUMNS] = {"", "", "", "", "", "", "", ""};
    struct kp_buf why = KP_BUF_INIT;
    struct store_dir_office o;
    struct dir_refs refs;
    int ch;

    optind = 2;
    if (argc < 2)
        return cli_usage(office_usage_text);
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch < 1 || ch >= DIR_OFFICE_COLUMNS)
            return cli_usage(office_usage_text);
        f[ch] = optarg;
    }
    if (optind != argc)
        return cli_usage(office_usage_text);
    f[0] = office_code(argv[1]); /* codes are upper case, as show and remove take them */
    if (cli_store(cli) < 0)
        return 1;
    refs.exists = office_exists;
    refs.ctx = cli->st;
    if (dir_row_office(f, &refs, &o, &why) > 0) {
        for (char *p = why.data, *nl; *p; p = nl + 1) {
            nl = strchr(p, '\n');
            fprintf(stderr, "kpass: office add: %.*s\n", (int)(nl - p), p);
        }
        kp_buf_free(&why);
        return 1;
    }
    kp_buf_free(&why);
    return office_store(cli, &o);
}

static int office_remove(struct kp_cli *cli, char *code)
{
    int rc;

    if (cli_store(cli) < 0)
        return 1;
    rc = store_dir_office_remove(cli->st, office_code(code));
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no office %s", code);
    if (rc == -KP_ERR_EXISTS) /* the desk and staff tables refer to it */
        return cli_fail("office %s has desks or staff on record: it cannot be removed", code);
    if (rc < 0)
        return cli_fail("cannot remove office %s: %s", code, kp_strerror(rc));
    printf("office %s removed\n", code);
    return 0;
}

int cmd_office(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(office_usage_text);
    if (strcmp(argv[1], "list") == 0)
        return office_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0 && argc == 3)
        return office_show(cli, argv[2]);
    if (strcmp(argv[1], "add") == 0)
        return office_add(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "remove") == 0 && argc == 3)
        return office_remove(cli, argv[2]);
    return cli_usage(office_usage_text);
}
