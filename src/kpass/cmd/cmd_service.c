/* SPDX-License-Identifier: ISC */
/*
 * kpass service: list, show, search and remove the services of the
 * directory.  Listings are one line per service, "CODE  DEPARTMENT  NAME",
 * under a header line: codes never hold spaces, so scripts can split the
 * first two columns and take the rest of the line as the name.
 *
 * `service remove` refuses a service that offices offer (their lists would
 * change without anyone saying so) unless --cascade takes it off those
 * lists too; the offices stay.  The removal and its audit row
 * (service.removed) commit together.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "dir_rows.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/directory.h"

static const char service_usage_text[] =
    "kpass service list [--department CODE] [--lang en|ur|ps|ur-Latn]\n"
    "       kpass service show CODE\n"
    "       kpass service search [--lang en|ur|ps|ur-Latn] WORDS...\n"
    "       kpass service check [--lang ur|ps|ur-Latn] [--strict]\n"
    "       kpass service remove [--cascade] CODE";

/* Codes are upper case; accept them typed in lower case. */
static const char *service_code(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return s;
}

struct service_print {
    enum store_dir_lang lang;
    unsigned n;
};

static int service_print_item(void *ctx, const struct store_dir_item *it)
{
    struct service_print *p = ctx;

    if (p->n++ == 0)
        printf("%-8s  %-8s  %s\n", "CODE", "DEPT", "NAME");
    printf("%-8s  %-8s  %s\n", it->code, it->parent, store_dir_name_pick(&it->name, p->lang));
    return 0;
}

/* Parse --department/--lang style options; 0 or an exit status. */
static int service_opts(int argc, char **argv, char **parent, enum store_dir_lang *lang)
{
    static const struct option opts[] = {{"department", required_argument, NULL, 'd'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    int ch, l;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (ch == 'd' && parent) {
            *parent = optarg;
        } else if (ch == 'l') {
            if ((l = store_dir_lang_parse(optarg)) < 0)
                return cli_fail("--lang: '%s' is not en, ur or ps", optarg);
            *lang = (enum store_dir_lang)l;
        } else {
            return cli_usage(service_usage_text);
        }
    }
    return 0;
}

static int service_list(struct kp_cli *cli, int argc, char **argv)
{
    struct service_print p = {STORE_DIR_EN, 0};
    char *dept = NULL;
    int rc;

    if ((rc = service_opts(argc, argv, &dept, &p.lang)) != 0)
        return rc;
    if (optind != argc)
        return cli_usage(service_usage_text);
    if (cli_store(cli) < 0)
        return 1;
    rc = store_dir_service_each(cli->st, dept ? service_code(dept) : NULL, service_print_item, &p);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no department %s", dept);
    if (rc < 0)
        return cli_fail("cannot list services: %s", kp_strerror(rc));
    if (p.n == 0)
        fprintf(stderr, "no services (import some: kpass import seed)\n");
    return 0;
}

static void service_field(const char *label, const char *v)
{
    printf("%-17s %s\n", label, v && *v ? v : "-");
}

static int service_show(struct kp_cli *cli, char *code)
{
    struct store_dir_service s;
    struct store_dir_department d;
    unsigned offices = 0;
    char line[256];
    int rc;

    if (cli_store(cli) < 0)
        return 1;
    rc = store_dir_service_get(cli->st, service_code(code), &s);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no service %s", code);
    if (rc < 0 || store_dir_department_get(cli->st, s.department, &d) < 0 ||
        store_dir_office_find(cli->st, s.code, NULL, 0, 0, NULL, &offices) < 0)
        return cli_fail("cannot read service %s", code);
    service_field("code:", s.code);
    snprintf(line, sizeof(line), "%s (%s)", s.department, d.name.en);
    service_field("department:", line);
    service_field("name:", s.name.en);
    service_field("name (ur):", s.name.ur);
    service_field("name (ps):", s.name.ps);
    service_field("name (ur-Latn):", s.name.ul);
    service_field("description:", s.description.en);
    service_field("description (ur):", s.description.ur);
    service_field("description (ps):", s.description.ps);
    service_field("desc. (ur-Latn):", s.description.ul);
    service_field("fee:", s.fee);
    service_field("documents:", s.documents);
    service_field("processing time:", s.processing_time);
    service_field("where to apply:", s.where_to_apply);
    service_field("online:", s.online ? "yes" : "no");
    service_field("ussd:", s.ussd ? "yes" : "no");
    snprintf(line, sizeof(line), "%u", offices);
    service_field("offices:", line);
    return 0;
}

static int service_search(struct kp_cli *cli, int argc, char **argv)
{
    struct service_print p = {STORE_DIR_EN, 0};
    struct store_dir_item *items;
    struct kp_buf q = KP_BUF_INIT;
    unsigned total;
    int rc, n;

    if ((rc = service_opts(argc, argv, NULL, &p.lang)) != 0)
        return rc;
    if (optind >= argc)
        return cli_usage(service_usage_text);
    for (int i = optind; i < argc; i++)
        kp_buf_printf(&q, "%s%s", i > optind ? " " : "", argv[i]);
    if (cli_store(cli) < 0) {
        kp_buf_free(&q);
        return 1;
    }
    items = kp_calloc(STORE_DIR_SEARCH_MAX, sizeof(*items));
    n = store_dir_service_search(cli->st, q.data, 0, STORE_DIR_SEARCH_MAX, items, &total);
    if (n == -KP_ERR_INVAL)
        rc = cli_fail("search words: at most %d bytes, with at least one letter or digit",
                      STORE_DIR_QUERY_MAX);
    else if (n < 0)
        rc = cli_fail("cannot search: %s", kp_strerror(n));
    else if (n == 0)
        rc = cli_fail("no service matches '%s'", q.data);
    for (int i = 0; i < n; i++)
        service_print_item(&p, &items[i]);
    free(items);
    kp_buf_free(&q);
    return rc;
}

/* Remove s (offered by offices offices) and write its audit row, in one transaction. */
static int service_remove_do(struct kp_cli *cli, const struct store_dir_service *s,
                             unsigned offices, int cascade)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 1];
    int64_t id;
    int rc;

    if (store_tx_begin(cli->st) < 0)
        return -KP_ERR_DB;
    if (offices > 0)
        snprintf(detail, sizeof(detail), "%s (%s), taken off %u office%s", s->code, s->department,
                 offices, offices == 1 ? "" : "s");
    else
        snprintf(detail, sizeof(detail), "%s (%s)", s->code, s->department);
    rc = store_dir_service_remove(cli->st, s->code, cascade);
    if (rc == 0 &&
        (id = audit_append(cli->st, kp_time_s(), "service.removed", cli_actor(), NULL, detail)) < 0)
        rc = (int)id;
    if (rc < 0) {
        store_tx_rollback(cli->st);
        return rc;
    }
    return store_tx_commit(cli->st);
}

static int service_remove(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"cascade", no_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    struct store_dir_service s;
    unsigned offices = 0;
    int ch, cascade = 0, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (ch != 'c')
            return cli_usage(service_usage_text);
        cascade = 1;
    }
    if (optind + 1 != argc)
        return cli_usage(service_usage_text);
    if (cli_store_keys(cli) < 0)
        return 1;
    rc = store_dir_service_get(cli->st, service_code(argv[optind]), &s);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no service %s", argv[optind]);
    if (rc < 0 || store_dir_office_find(cli->st, s.code, NULL, 0, 0, NULL, &offices) < 0)
        return cli_fail("cannot read service %s", argv[optind]);
    if (offices > 0 && !cascade)
        return cli_fail("service %s is offered by %u office%s (kpass office list --service %s); "
                        "--cascade takes it off their lists too",
                        s.code, offices, offices == 1 ? "" : "s", s.code);
    if ((rc = service_remove_do(cli, &s, offices, cascade)) < 0)
        return cli_fail("cannot remove service %s: %s", s.code, kp_strerror(rc));
    if (offices > 0)
        printf("service %s removed, and taken off %u office%s\n", s.code, offices,
               offices == 1 ? "" : "s");
    else
        printf("service %s removed\n", s.code);
    return 0;
}

int cmd_service(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(service_usage_text);
    if (strcmp(argv[1], "list") == 0)
        return service_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0 && argc == 3)
        return service_show(cli, argv[2]);
    if (strcmp(argv[1], "search") == 0)
        return service_search(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "remove") == 0)
        return service_remove(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return cmd_service_check(cli, argc - 1, argv + 1);
    return cli_usage(service_usage_text);
}
