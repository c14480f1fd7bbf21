/* SPDX-License-Identifier: ISC */
/*
 * The local PostgreSQL cluster of tests/cluster/cluster.sh seen from C:
 * run the script's verbs, connect through the cluster's multi-host DSN,
 * and the failover measurement shared by the cluster_pg suite and
 * tests/bench/failover.sh.  libc and libpq only (no Check, no libkpass),
 * so that a kpassd-level cluster test and a benchmark can use it alike.
 */
#ifndef KP_TESTS_PGCLUSTER_H
#define KP_TESTS_PGCLUSTER_H

#include <libpq-fe.h>
#include <stddef.h>

/* Runs `cluster.sh VERB DIR [ARG]` (the script beside this file under
   KP_TOP), waiting at most timeout_ms; the child's stdout and stderr
   together in *out (malloc'd, NUL-terminated) when out is not NULL.
   Returns the exit status, or -1 if it could not run or was killed at the
   deadline. */
int pgc_run(const char *verb, const char *dir, const char *arg, char **out, int timeout_ms);

/* The DIR/ports entry `name` (REST_node1, PG_node2, ...), or -1. */
int pgc_port(const char *dir, const char *name);

/* The node (node1, node2) whose PostgreSQL listens on port, or NULL. */
const char *pgc_node_of_port(const char *dir, int port);

/* A connection through DIR/dsn with DIR/passfile (port 0), or straight to
   one node's port (any role); NULL after an error, which goes to *err
   (static storage) when err is not NULL. */
PGconn *pgc_connect(const char *dir, int port, const char **err);

/* One failover measured by a client, the way a kpassd node would see it. */
struct pgc_failover {
    double gap_s;      /* longest time between two acknowledged commits */
    double kill_to_ok; /* from the kill's return to the first commit after it */
    long acked;        /* commits acknowledged to the client */
    long indoubt;      /* sent, but no answer (connection lost) */
    long lost;         /* acknowledged, yet missing on the primary afterwards */
    char killed[16];   /* the node killed */
    char primary[16];  /* the primary afterwards */
    char error[256];   /* why it failed, when pgc_failover returns -1 */
};

/* A client writes one row per period_ms through the DSN (each INSERT its
   own transaction, reconnecting after any error); once `before` rows are
   acknowledged, a whole node is killed (`cluster.sh kill-primary`, or
   `kill-node victim` when victim is not NULL); the client keeps writing
   until `after` rows are acknowledged after the kill, then reads the rows
   back on the primary.  Every wait is bounded (deadline_s in all).
   Returns 0 with *r filled, -1 with r->error. */
int pgc_failover(const char *dir, const char *victim, int period_ms, int before, int after,
                 double deadline_s, struct pgc_failover *r);

/* Seconds on the monotonic clock. */
double pgc_now(void);

#endif
