/* SPDX-License-Identifier: ISC */
/*
 * Several kpassd nodes on one PostgreSQL schema (nodes.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes.h"
#include "pgtest.h"

void tu_nodes_prepare(struct tu_nodes *c, int n, const char *extra_conf)
{
    const struct tu_pg *pg = tu_pg_start();
    char extra[2048], keys[600], *out = NULL;
    int rc;

    ck_assert_ptr_nonnull(pg);
    ck_assert(n >= 1 && n <= TU_NODES_MAX);
    memset(c, 0, sizeof(*c));
    c->n = n;
    c->dsn = tu_pg_fresh("nodes");
    for (int i = 0; i < n; i++) {
        /* each its own name, as on its own machine */
        snprintf(
            extra, sizeof(extra),
            "[daemon]\nnode = node%d\n%s\n[store]\nbackend = postgresql\ndsn = %s\npassfile = %s\n"
            "nodes = several\n",
            i, extra_conf ? extra_conf : "", c->dsn, pg->passfile);
        tu_daemon_configure(&c->node[i], extra);
    }
    rc = tu_kpass(&c->node[0], NULL, &out, "init", NULL);
    ck_assert_msg(rc == 0, "kpass init failed (%d): %s", rc, out);
    free(out);
    snprintf(keys, sizeof(keys), "%s/keys", c->node[0].dir);
    for (int i = 1; i < n; i++) {
        char *cp[] = {(char *)"/bin/cp", (char *)"-a", keys, c->node[i].dir, NULL};
        ck_assert_int_eq(tu_run(cp, NULL, NULL, 10000), 0);
    }
}

void tu_nodes_start(struct tu_nodes *c)
{
    for (int i = 0; i < c->n; i++)
        tu_daemon_start(&c->node[i]);
}

void tu_nodes_cleanup(struct tu_nodes *c)
{
    for (int i = 0; i < c->n; i++)
        tu_daemon_cleanup(&c->node[i]);
    free(c->dsn);
    c->dsn = NULL;
    c->n = 0;
}
