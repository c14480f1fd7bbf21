/* SPDX-License-Identifier: ISC */
/*
 * kpass webhook: the queue of signed callbacks to departments (issue 13,
 * doc/departments.md).  `list` shows the newest, `show` one with its body
 * (which names no phone number and no CNIC), `retry` makes a failed or
 * waiting callback due now with its attempts counted afresh; kpassd sends
 * it within a second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/store/audit.h"
#include "kpass/store/dept.h"

static const char webhook_usage_text[] = "kpass webhook list [--limit N]\n"
                                         "       kpass webhook show ID\n"
                                         "       kpass webhook retry ID";

static int webhook_list(struct kp_cli *cli, int limit)
{
    struct store_webhook *v = calloc((size_t)limit, sizeof(*v));
    char t[CLI_TIME_SIZE];
    int n;

    if (v == NULL || cli_store(cli) < 0) {
        free(v);
        return 1;
    }
    n = store_webhook_list(cli->st, v, limit);
    if (n < 0) {
        free(v);
        return cli_fail("cannot list callbacks: %s", kp_strerror(n));
    }
    printf("%-6s %-10s %-12s %-10s %8s %6s  %-20s %s\n", "ID", "DEPT", "KIND", "STATE", "ATTEMPTS",
           "STATUS", "NEXT", "REF");
    for (int i = 0; i < n; i++)
        printf("%-6lld %-10s %-12s %-10s %8u %6d  %-20s %s\n", (long long)v[i].id, v[i].department,
               v[i].kind, store_webhook_state_name(v[i].state), v[i].attempts, v[i].last_status,
               v[i].state == STORE_WEBHOOK_PENDING ? cli_time(v[i].next_at, t) : "-", v[i].ref);
    free(v);
    return 0;
}

static int webhook_show(struct kp_cli *cli, const char *ids)
{
    struct store_webhook *w = calloc(1, sizeof(*w));
    char t[CLI_TIME_SIZE];
    int rc;

    if (w == NULL || cli_store(cli) < 0) {
        free(w);
        return 1;
    }
    rc = store_webhook_get(cli->st, strtoll(ids, NULL, 10), w);
    if (rc < 0) {
        free(w);
        return cli_fail("no callback %s", ids);
    }
    printf("%-10s %lld\n%-10s %s\n%-10s %s\n%-10s %s\n%-10s %s\n%-10s %s\n%-10s %u\n%-10s %d\n",
           "id:", (long long)w->id, "dept:", w->department, "kind:", w->kind, "ref:", w->ref,
           "url:", w->url, "state:", store_webhook_state_name(w->state), "attempts:", w->attempts,
           "status:", w->last_status);
    printf("%-10s %s\n", "created:", cli_time(w->created_at, t));
    printf("%-10s %s\n", "next:", cli_time(w->next_at, t));
    printf("%-10s %s\n", "body:", w->body);
    free(w);
    return 0;
}

static int webhook_retry(struct kp_cli *cli, const char *ids)
{
    struct store_webhook *w = calloc(1, sizeof(*w));
    int64_t now = kp_time_s();
    char detail[64];
    int rc;

    if (w == NULL || cli_store_keys(cli) < 0) {
        free(w);
        return 1;
    }
    if (store_tx_begin(cli->st) < 0) {
        free(w);
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    }
    rc = store_webhook_get(cli->st, strtoll(ids, NULL, 10), w);
    if (rc == 0 && w->state == STORE_WEBHOOK_DELIVERED)
        rc = -KP_ERR_STATE;
    if (rc == 0)
        rc = store_webhook_update(cli->st, w->id, STORE_WEBHOOK_PENDING, 0, now, w->last_status,
                                  now);
    snprintf(detail, sizeof(detail), "callback %lld to %s", (long long)w->id, w->department);
    if (rc == 0 && audit_append(cli->st, now, "webhook.retried", cli_actor(), NULL, detail) < 0)
        rc = -KP_ERR_DB;
    if (rc < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        free(w);
        return cli_fail("callback %s: %s", ids,
                        rc == -KP_ERR_NOTFOUND ? "no such callback"
                        : rc == -KP_ERR_STATE  ? "already delivered"
                                               : kp_strerror(rc));
    }
    printf("callback %lld is due now\n", (long long)w->id);
    free(w);
    return 0;
}

int cmd_webhook(struct kp_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        int limit = 20;
        if (argc == 4 && strcmp(argv[2], "--limit") == 0)
            limit = atoi(argv[3]);
        else if (argc != 2)
            return cli_usage(webhook_usage_text);
        if (limit < 1 || limit > 1000)
            return cli_fail("--limit: 1 to 1000");
        return webhook_list(cli, limit);
    }
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return webhook_show(cli, argv[2]);
    if (argc == 3 && strcmp(argv[1], "retry") == 0)
        return webhook_retry(cli, argv[2]);
    return cli_usage(webhook_usage_text);
}
