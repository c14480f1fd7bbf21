/* SPDX-License-Identifier: ISC */
/*
 * Several kpassd nodes of one cluster for the tests (issue 12): the tests'
 * PostgreSQL server (pgtest.h), one fresh schema they all use, `[store]
 * nodes = several`, and the same keys on every node (a cluster signs and
 * seals with one set: node 0's keys/, made by `kpass init`, copied to the
 * others).  Each node has its own folder, ports and log, as on separate
 * machines.  Whatever KP_TEST_STORE says, these nodes run on PostgreSQL.
 */
#ifndef KPASS_TESTS_NODES_H
#define KPASS_TESTS_NODES_H

#include "testutil.h"

#define TU_NODES_MAX 4

struct tu_nodes {
    int n;
    char *dsn; /* the schema's DSN (no password) */
    struct tu_daemon node[TU_NODES_MAX];
};

/* Prepare n nodes (extra_conf appended to each kpassd.conf, may be NULL)
   and `kpass init` the schema once; not started.  Call only when
   tu_pg_available(). */
void tu_nodes_prepare(struct tu_nodes *c, int n, const char *extra_conf);
/* Start every node (tu_daemon_start each). */
void tu_nodes_start(struct tu_nodes *c);
/* Stop every running node and remove their folders. */
void tu_nodes_cleanup(struct tu_nodes *c);

#endif
