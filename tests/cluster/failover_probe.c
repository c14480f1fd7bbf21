/* SPDX-License-Identifier: ISC */
/*
 * failover_probe DIR: one measured failover of the cluster in DIR (started
 * by tests/cluster/cluster.sh): a client writes one row per 50 ms through
 * the DSN, the primary's node is killed, the client keeps writing; prints
 * one JSON line (seconds without a commit, rows acknowledged, in doubt and
 * lost, old and new primary).  Exit 0 only when nothing acknowledged was
 * lost.  tests/bench/failover.sh runs it several times in a row.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pgcluster.h"

int main(int argc, char **argv)
{
    struct pgc_failover r;

    if (argc != 2) {
        fprintf(stderr, "usage: failover_probe DIR\n");
        return 2;
    }
    if (pgc_failover(argv[1], NULL, 50, 20, 20, 90, &r) < 0) {
        fprintf(stderr, "failover_probe: %s\n", r.error);
        return 1;
    }
    printf("{\"gap_s\":%.3f,\"kill_to_ok_s\":%.3f,\"acked\":%ld,\"indoubt\":%ld,\"lost\":%ld,"
           "\"killed\":\"%s\",\"primary\":\"%s\"}\n",
           r.gap_s, r.kill_to_ok, r.acked, r.indoubt, r.lost, r.killed, r.primary);
    return r.lost == 0 ? 0 : 1;
}
