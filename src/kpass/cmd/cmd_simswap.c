/* SPDX-License-Identifier: ISC */
/*
 * kpass simswap: the operators' SIM-swap APIs (issue 13; CAMARA "SIM
 * Swap" shape: POST .../check {"phoneNumber","maxAge"} -> {"swapped"}),
 * one per partner, for the number prefixes that operator serves.  When a
 * card is scanned at a desk, kpassd asks the API for the citizen's number;
 * a swap within --max-age hours holds the desk's code.  Audited.
 */
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
#include "kpass/store/audit.h"
#include "kpass/store/dept.h"

static const char simswap_usage_text[] =
    "kpass simswap set PARTNER --url URL --prefixes +92300,+92301\n"
    "              [--token-file FILE] [--max-age HOURS] [--timeout DURATION]\n"
    "              [--on-timeout send|hold]\n"
    "       kpass simswap list\n"
    "       kpass simswap remove PARTNER";

static int simswap_commit(struct kp_cli *cli, int rc, const char *event, const char *partner)
{
    char detail[64];

    snprintf(detail, sizeof(detail), "partner %s", partner);
    if (rc == 0 && audit_append(cli->st, kp_time_s(), event, cli_actor(), NULL, detail) < 0)
        rc = -KP_ERR_DB;
    if (rc < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        return cli_fail("%s %s: %s", event, partner,
                        rc == -KP_ERR_NOTFOUND ? "not configured" : kp_strerror(rc));
    }
    return 0;
}

static int simswap_set(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
                                         {"prefixes", required_argument, NULL, 'p'},
                                         {"token-file", required_argument, NULL, 't'},
                                         {"max-age", required_argument, NULL, 'a'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {"on-timeout", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    struct store_simswap s;
    unsigned long long ms = 2000;
    char real[4096];
    int ch;

    memset(&s, 0, sizeof(s));
    s.max_age_h = 72;
    s.hold_on_timeout = 1; /* unknown is no proof: hold unless told to send */
    optind = 2;
    if (argc < 2 || strlen(argv[1]) >= sizeof(s.partner))
        return cli_usage(simswap_usage_text);
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'u')
            snprintf(s.url, sizeof(s.url), "%s", optarg);
        else if (ch == 'p')
            snprintf(s.prefixes, sizeof(s.prefixes), "%s", optarg);
        else if (ch == 't') {
            if (realpath(optarg, real) == NULL || strlen(real) >= sizeof(s.token_file))
                return cli_fail("--token-file %s: cannot be read", optarg);
            memcpy(s.token_file, real, strlen(real) + 1); /* its length checked above */
        } else if (ch == 'a')
            s.max_age_h = (unsigned)strtoul(optarg, NULL, 10);
        else if (ch == 'T') {
            if (conf_duration_parse(optarg, &ms) < 0 || ms < 100 || ms > 10000)
                return cli_fail("--timeout %s: 100ms to 10s", optarg);
        } else if (ch == 'o' && (strcmp(optarg, "send") == 0 || strcmp(optarg, "hold") == 0))
            s.hold_on_timeout = strcmp(optarg, "hold") == 0;
        else
            return cli_usage(simswap_usage_text);
    }
    if (optind != argc || !s.url[0] || !s.prefixes[0] || s.max_age_h < 1 || s.max_age_h > 2400)
        return cli_usage(simswap_usage_text);
    if (strncmp(s.url, "https://", 8) != 0 && strncmp(s.url, "http://127.0.0.1:", 17) != 0 &&
        strncmp(s.url, "http://localhost:", 17) != 0)
        return cli_fail("--url %s: https://, or http:// on this host only", s.url);
    if (s.token_file[0] && cli_secret_file(s.token_file) != 0)
        return 1;
    snprintf(s.partner, sizeof(s.partner), "%s", argv[1]);
    s.timeout_ms = (unsigned)ms;
    if (cli_store_keys(cli) < 0)
        return 1;
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    if (simswap_commit(cli, store_simswap_set(cli->st, &s), "simswap.set", s.partner) != 0)
        return 1;
    printf("SIM-swap checks for %s numbers via %s (swaps within %uh hold the code; no answer: "
           "%s)\n",
           s.prefixes, s.partner, s.max_age_h, s.hold_on_timeout ? "hold" : "send");
    return 0;
}

static int simswap_list(struct kp_cli *cli)
{
    struct store_simswap *v;
    int n;

    if (cli_store(cli) < 0)
        return 1;
    if ((n = store_simswap_list(cli->st, &v)) < 0)
        return cli_fail("cannot list: %s", kp_strerror(n));
    printf("%-12s %-24s %6s %8s %-5s %s\n", "PARTNER", "PREFIXES", "MAXAGE", "TIMEOUT", "NONE",
           "URL");
    for (int i = 0; i < n; i++)
        printf("%-12s %-24s %5uh %6ums %-5s %s\n", v[i].partner, v[i].prefixes, v[i].max_age_h,
               v[i].timeout_ms, v[i].hold_on_timeout ? "hold" : "send", v[i].url);
    free(v);
    return 0;
}

int cmd_simswap(struct kp_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "set") == 0)
        return simswap_set(cli, argc - 1, argv + 1);
    if (argc == 2 && strcmp(argv[1], "list") == 0)
        return simswap_list(cli);
    if (argc == 3 && strcmp(argv[1], "remove") == 0) {
        if (cli_store_keys(cli) < 0)
            return 1;
        if (store_tx_begin(cli->st) < 0)
            return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
        if (simswap_commit(cli, store_simswap_remove(cli->st, argv[2]), "simswap.removed",
                           argv[2]) != 0)
            return 1;
        printf("no SIM-swap checks via %s\n", argv[2]);
        return 0;
    }
    return cli_usage(simswap_usage_text);
}
