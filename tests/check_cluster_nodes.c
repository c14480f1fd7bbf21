/* SPDX-License-Identifier: ISC */
/*
 * Several kpassd nodes on one PostgreSQL schema ([store] nodes = several,
 * issue 12): they start side by side; a node configured as the database's
 * only one is refused while they run, with the reason.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "nodes.h"
#include "pgtest.h"

static struct tu_nodes c;

static void nodes_teardown(void)
{
    tu_nodes_cleanup(&c);
}

START_TEST(test_nodes_side_by_side)
{
    struct tu_daemon lone;
    char extra[1024], keys[600], *out = NULL;
    int status = 0, rc;

    tu_nodes_prepare(&c, 3, NULL);
    tu_nodes_start(&c);
    for (int i = 0; i < 3; i++) {
        char *body = tu_http_get(c.node[i].http_port, "/healthz", &status);
        ck_assert_msg(status == 200, "node %d: /healthz %d", i, status);
        free(body);
    }
    /* A node that believes it is alone: the same schema and keys, nodes = one. */
    snprintf(extra, sizeof(extra),
             "[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\nnodes = one\n", c.dsn,
             tu_pg_start()->passfile);
    tu_daemon_configure(&lone, extra);
    snprintf(keys, sizeof(keys), "%s/keys", c.node[0].dir);
    char *cp[] = {(char *)"/bin/cp", (char *)"-a", keys, lone.dir, NULL};
    ck_assert_int_eq(tu_run(cp, NULL, NULL, 10000), 0);
    char bin[512];
    snprintf(bin, sizeof(bin), "%s", tu_bin("kpassd"));
    char *argv[] = {bin, (char *)"-c", lone.conf, NULL};
    rc = tu_run(argv, NULL, &out, 20000);
    ck_assert_msg(rc == 1, "lone kpassd: exit %d: %s", rc, out);
    ck_assert_msg(strstr(out, "a second node needs nodes = several on every node") != NULL, "%s",
                  out);
    free(out);
    tu_daemon_cleanup(&lone);
    /* the cluster serves on */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(kill(c.node[i].pid, 0), 0);
}
END_TEST

Suite *suite_cluster_nodes(void)
{
    Suite *s = suite_create("cluster_nodes");
    TCase *tc = tcase_create("nodes");
    const char *why;

    if (!tu_pg_available(&why)) {
        fprintf(stderr, "cluster_nodes: %s\n", why);
        return s;
    }
    tcase_add_checked_fixture(tc, NULL, nodes_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_nodes_side_by_side);
    suite_add_tcase(s, tc);
    return s;
}
