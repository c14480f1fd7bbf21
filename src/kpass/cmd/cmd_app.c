/* SPDX-License-Identifier: ISC */
/*
 * kpass app: the department USSD apps the menus' app screens hand dialogs
 * to (issue 13, doc/departments.md).  A row names the app as the menus do,
 * the department its pseudonyms are made for, its URL (plain http only on
 * this host, https anywhere else), the file holding the shared secret its
 * requests are signed with, its time limit and the service codes it may
 * be reached from.  kpassd reads the row at every request: a change is in
 * force at the next hop.  Adding and removing are audited.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/conf.h"
#include "kpass/core/err.h"
#include "kpass/store/app.h"
#include "kpass/store/audit.h"
#include "kpass/text/text.h"

static const char app_usage_text[] =
    "kpass app add NAME --department CODE --url URL --secret-file PATH\n"
    "              [--timeout DURATION] [--service-code CODE]...\n"
    "       kpass app list\n"
    "       kpass app remove NAME";

#define APP_TIMEOUT_DEFAULT_MS 3000u /* well inside a USSD screen's budget */
#define APP_TIMEOUT_MAX_MS     10000u

/* http:// only to this host; https:// to any; no user:password@ in it. */
static int app_url_ok(const char *url)
{
    static const char *const local[] = {"http://127.0.0.1:", "http://127.0.0.1/",
                                        "http://localhost:", "http://localhost/",
                                        "http://[::1]:",     "http://[::1]/"};

    if (strlen(url) >= sizeof(((struct store_app *)0)->url) || strchr(url, '@') ||
        strpbrk(url, " \t\r\n"))
        return 0;
    if (strncmp(url, "https://", 8) == 0 && url[8] != '\0' && url[8] != '/')
        return 1;
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strncmp(url, local[i], strlen(local[i])) == 0)
            return 1;
    return 0;
}

/* The secret file: a regular file no one else may read, 16 to 256 bytes. */
static int app_secret_ok(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) < 0)
        return cli_fail("--secret-file %s: cannot be read", path);
    if (!S_ISREG(sb.st_mode) || sb.st_size < 16 || sb.st_size > 258)
        return cli_fail("--secret-file %s: must be a file of 16 to 256 bytes", path);
    if (sb.st_mode & 077)
        return cli_fail("--secret-file %s: readable by others (chmod 600 it)", path);
    return 0;
}

static int app_audit(struct kp_cli *cli, const char *event, const struct store_app *a)
{
    char detail[96];

    snprintf(detail, sizeof(detail), "app %s of department %s", a->name, a->department);
    return audit_append(cli->st, kp_time_s(), event, cli_actor(), NULL, detail) < 0 ? -1 : 0;
}

static int app_add(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"department", required_argument, NULL, 'd'},   {"url", required_argument, NULL, 'u'},
        {"secret-file", required_argument, NULL, 's'},  {"timeout", required_argument, NULL, 't'},
        {"service-code", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    struct store_app a;
    unsigned long long ms = APP_TIMEOUT_DEFAULT_MS;
    char real[4096];
    int ch, rc;

    memset(&a, 0, sizeof(a));
    a.enabled = 1;
    optind = 2;
    if (argc < 2)
        return cli_usage(app_usage_text);
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        size_t used = strlen(a.service_codes);
        switch (ch) {
        case 'd':
            snprintf(a.department, sizeof(a.department), "%s", optarg);
            break;
        case 'u':
            if (!app_url_ok(optarg))
                return cli_fail("--url %s: http:// only on this host (127.0.0.1, localhost, "
                                "[::1]); https:// elsewhere",
                                optarg);
            snprintf(a.url, sizeof(a.url), "%s", optarg);
            break;
        case 's':
            if (realpath(optarg, real) == NULL || strlen(real) >= sizeof(a.secret_file))
                return cli_fail("--secret-file %s: cannot be read", optarg);
            memcpy(a.secret_file, real, strlen(real) + 1); /* its length checked above */
            break;
        case 't':
            if (conf_duration_parse(optarg, &ms) < 0 || ms < 100 || ms > APP_TIMEOUT_MAX_MS)
                return cli_fail("--timeout %s: 100ms to 10s", optarg);
            break;
        case 'c':
            if (used + strlen(optarg) + 2 > sizeof(a.service_codes) || strpbrk(optarg, ", "))
                return cli_fail("--service-code %s: too many or not a code", optarg);
            snprintf(a.service_codes + used, sizeof(a.service_codes) - used, "%s%s",
                     used ? "," : "", optarg);
            break;
        default:
            return cli_usage(app_usage_text);
        }
    }
    if (optind != argc || !a.department[0] || !a.url[0] || !a.secret_file[0])
        return cli_usage(app_usage_text);
    if (!text_word_ok(argv[1], sizeof(((struct store_app *)0)->name) - 1))
        return cli_fail("app name %s: lower-case letters, digits and _ (as the menus write it)",
                        argv[1]);
    snprintf(a.name, sizeof(a.name), "%s", argv[1]);
    a.timeout_ms = (unsigned)ms;
    if (app_secret_ok(a.secret_file) != 0)
        return 1;
    if (cli_store_keys(cli) < 0)
        return 1;
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    rc = store_app_add(cli->st, &a);
    if (rc == 0 && app_audit(cli, "app.added", &a) < 0)
        rc = -KP_ERR_DB;
    if (rc < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        if (rc == -KP_ERR_EXISTS)
            return cli_fail("app %s already exists", a.name);
        return cli_fail("cannot add app %s: %s", a.name, kp_strerror(rc));
    }
    printf("app %s added for department %s: %s (timeout %ums)\n", a.name, a.department, a.url,
           a.timeout_ms);
    return 0;
}

static int app_list(struct kp_cli *cli)
{
    struct store_app *v;
    int n;

    if (cli_store(cli) < 0)
        return 1;
    if ((n = store_app_list(cli->st, &v)) < 0)
        return cli_fail("cannot list apps: %s", kp_strerror(n));
    if (n == 0)
        fprintf(stderr, "no apps (add one: kpass app add)\n");
    else
        printf("%-16s %-8s %8s  %-14s %s\n", "NAME", "DEPT", "TIMEOUT", "CODES", "URL");
    for (int i = 0; i < n; i++)
        printf("%-16s %-8s %6ums  %-14s %s\n", v[i].name, v[i].department, v[i].timeout_ms,
               v[i].service_codes[0] ? v[i].service_codes : "any", v[i].url);
    free(v);
    return 0;
}

static int app_remove(struct kp_cli *cli, const char *name)
{
    struct store_app a;
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    rc = store_app_get(cli->st, name, &a);
    if (rc == 0)
        rc = store_app_remove(cli->st, name);
    if (rc == 0 && app_audit(cli, "app.removed", &a) < 0)
        rc = -KP_ERR_DB;
    if (rc < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        if (rc == -KP_ERR_NOTFOUND)
            return cli_fail("no app %s", name);
        return cli_fail("cannot remove app %s: %s", name, kp_strerror(rc));
    }
    printf("app %s removed\n", name);
    return 0;
}

int cmd_app(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(app_usage_text);
    if (strcmp(argv[1], "add") == 0)
        return app_add(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return app_list(cli);
    if (strcmp(argv[1], "remove") == 0 && argc == 3)
        return app_remove(cli, argv[2]);
    return cli_usage(app_usage_text);
}
