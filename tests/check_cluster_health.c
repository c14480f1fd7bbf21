/* SPDX-License-Identifier: ISC */
/*
 * /healthz and /metrics per node (issue 12): each node of a cluster says
 * who it is and what its database is to it (primary, its synchronous
 * standbys and their lag), and labels every metric sample with its name;
 * a node on SQLite says "sqlite" and keeps its samples as they were.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "nodes.h"
#include "pgtest.h"

static struct tu_nodes c;
static struct tu_daemon d;

static void health_teardown(void)
{
    tu_nodes_cleanup(&c);
    tu_daemon_cleanup(&d);
}

/* /healthz of port: 200 and its JSON (the caller frees it). */
static json_t *health_get(int port)
{
    int status = 0;
    char *body = tu_http_get(port, "/healthz", &status);
    json_t *j;

    ck_assert_msg(status == 200, "/healthz: %d %s", status, body ? body : "");
    j = json_loads(body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    free(body);
    return j;
}

/* Every sample line of text carries node="name" as its first label. */
static void health_all_labelled(const char *text, const char *name)
{
    char want[64];
    int samples = 0;

    snprintf(want, sizeof(want), "{node=\"%s\"", name);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len && *p != '#') {
            size_t name_len = strcspn(p, "{ ");
            ck_assert_msg(strncmp(p + name_len, want, strlen(want)) == 0, "unlabelled: %.*s",
                          (int)len, p);
            samples++;
        }
        p += len + (nl != NULL);
    }
    ck_assert_int_gt(samples, 50);
}

START_TEST(test_nodes_health_and_metrics)
{
    char name[16], role[64];
    int status;

    tu_nodes_prepare(&c, 3, NULL);
    tu_nodes_start(&c);
    for (int i = 0; i < 3; i++) {
        json_t *j = health_get(c.node[i].http_port);
        snprintf(name, sizeof(name), "node%d", i);
        ck_assert_str_eq(tu_js(j, "node"), name);
        ck_assert_str_eq(tu_js(j, "role"), "primary");
        ck_assert_str_eq(tu_js(j, "database"), "ok");
        /* the role kpass cannot see pg_stat_replication's details: not
           known, rather than a made-up 0 */
        ck_assert(json_is_null(json_object_get(j, "sync_standbys")));
        ck_assert(json_is_null(json_object_get(j, "lag_ms")));
        json_decref(j);

        char *m = tu_http_get(c.node[i].http_port, "/metrics", &status);
        ck_assert_int_eq(status, 200);
        health_all_labelled(m, name);
        snprintf(role, sizeof(role), "kpass_db_role{node=\"%s\",role=\"primary\"} 1\n", name);
        ck_assert_msg(strstr(m, role) != NULL, "no %s", role);
        ck_assert_ptr_null(strstr(m, "kpass_db_sync_standbys{"));
        ck_assert_ptr_null(strstr(m, "kpass_db_replication_lag_seconds{"));
        free(m);
    }
    /* With pg_monitor (doc/cluster.md): no synchronous standby streams
       from the tests' server, told within a tick or two. */
    ck_assert_int_eq(tu_pg_admin("GRANT pg_monitor TO kpass"), 0);
    json_t *j = NULL;
    for (int t = 0; t < 40; t++) {
        json_decref(j);
        j = health_get(c.node[0].http_port);
        if (json_is_integer(json_object_get(j, "sync_standbys")))
            break;
        usleep(100000);
    }
    ck_assert_msg(json_is_integer(json_object_get(j, "sync_standbys")) &&
                      json_integer_value(json_object_get(j, "sync_standbys")) == 0,
                  "sync_standbys not 0 with pg_monitor");
    ck_assert(json_is_null(json_object_get(j, "lag_ms")));
    json_decref(j);
}
END_TEST

START_TEST(test_sqlite_health)
{
    int status;

    tu_daemon_prepare(&d, "[daemon]\nnode = solo\n");
    tu_daemon_start(&d);
    json_t *j = health_get(d.http_port);
    ck_assert_str_eq(tu_js(j, "node"), "solo");
    ck_assert_str_eq(tu_js(j, "role"), "sqlite");
    ck_assert_ptr_null(json_object_get(j, "lag_ms"));
    json_decref(j);
    char *m = tu_http_get(d.http_port, "/metrics", &status);
    ck_assert_int_eq(status, 200);
    /* one node: the samples as before, the name in kpass_node_info */
    ck_assert_ptr_nonnull(strstr(m, "\nkpass_node_info{name=\"solo\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(m, "\nkpass_db_role{role=\"sqlite\"} 1\n"));
    ck_assert_ptr_null(strstr(m, "node=\""));
    free(m);
}
END_TEST

Suite *suite_cluster_health(void)
{
    Suite *s = suite_create("cluster_health");
    TCase *tc = tcase_create("health");
    const char *why;

    tcase_add_checked_fixture(tc, NULL, health_teardown);
    tcase_set_timeout(tc, 60);
    if (getenv("KP_TEST_STORE") == NULL || strcmp(getenv("KP_TEST_STORE"), "sqlite") == 0)
        tcase_add_test(tc, test_sqlite_health);
    if (tu_pg_available(&why))
        tcase_add_test(tc, test_nodes_health_and_metrics);
    else
        fprintf(stderr, "cluster_health: %s\n", why);
    suite_add_tcase(s, tc);
    return s;
}
