/* SPDX-License-Identifier: ISC */
/*
 * cluster_pg: the local HA PostgreSQL cluster of tests/cluster/cluster.sh
 * (etcd, Patroni, two PostgreSQL 15 nodes in synchronous replication).
 * It comes up with one leader and one synchronous standby and a write
 * through the multi-host DSN lands on the primary; kill -9 of the
 * primary's whole node (Patroni and PostgreSQL) promotes the standby
 * within 15 s while a client keeps writing, and no acknowledged row is
 * lost; the old primary, started again, rejoins as the synchronous
 * standby (pg_rewind) and replicates; kill -9 of the standby's node
 * leaves the primary writing alone within seconds (not strict), losing
 * nothing; three kpassd nodes on the cluster go through a kill -9 of the
 * primary under USSD and desk load (test_kpassd_failover); stop leaves no
 * process.  KP_CLUSTER_KPASSD_ROUNDS=N runs only N rounds of that
 * failover (tests/bench/failover.sh, KP_BENCH_MODE=kpassd).
 *
 * Not in `make test` (38 to 66 s here): `make test-cluster` builds
 * build/tests/check_cluster and runs it.  The tests of one case
 * share one cluster and run in order.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "pgcluster.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

static char dir[256];
static int start_rc = -1;
static char *start_out;

/* The cluster of the case: started once, in Check's parent process, so
   that the stop in the teardown runs even after a test timed out. */
static void cluster_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kpass-test-cluster-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        start_out = strdup("mkdtemp failed");
        return;
    }
    start_rc = pgc_run("start", dir, NULL, &start_out, 180000);
}

static void cluster_teardown(void)
{
    char cmd[600];

    if (dir[0] == '\0')
        return;
    pgc_run("stop", dir, NULL, NULL, 120000);
    if (getenv("KP_KEEP") == NULL) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cluster_pg: could not remove %s\n", dir);
    } else {
        fprintf(stderr, "cluster_pg: kept %s\n", dir);
    }
    free(start_out);
}

static void need_cluster(void)
{
    ck_assert_msg(start_rc == 0, "cluster.sh start %s: %d\n%s", dir, start_rc,
                  start_out ? start_out : "");
}

/* One member line of `cluster.sh status`. */
struct member {
    char name[16], role[24], state[24];
    int tl, port;
};

/* `cluster.sh status`: the members, at most 4; returns how many. */
static int members(struct member *m)
{
    char *out, *line, *save = NULL;
    int n = 0, rc = pgc_run("status", dir, NULL, &out, 20000);

    ck_assert_msg(rc == 0, "status: %d\n%s", rc, out);
    for (line = strtok_r(out, "\n", &save); line && n < 4; line = strtok_r(NULL, "\n", &save)) {
        char host[64], tl[16];
        if (sscanf(line, "%15s %23s %23s %15s %63s %d", m[n].name, m[n].role, m[n].state, tl, host,
                   &m[n].port) == 6) {
            m[n].tl = atoi(tl);
            n++;
        }
    }
    free(out);
    return n;
}

static const struct member *role(const struct member *m, int n, const char *want)
{
    const struct member *found = NULL;

    for (int i = 0; i < n; i++)
        if (strcmp(m[i].role, want) == 0) {
            ck_assert_msg(found == NULL, "two members are %s", want);
            found = &m[i];
        }
    return found;
}

/* `cluster.sh primary`: its name; its PostgreSQL port in *port. */
static char *primary(int *port)
{
    char *out, name[16];
    int rc = pgc_run("primary", dir, NULL, &out, 20000);

    ck_assert_msg(rc == 0, "primary: %d\n%s", rc, out);
    ck_assert_int_eq(sscanf(out, "%15s %*s %d", name, port), 2);
    free(out);
    return strdup(name);
}

static PGconn *connect_to(int port)
{
    const char *err = NULL;
    PGconn *c = pgc_connect(dir, port, &err);

    ck_assert_msg(c != NULL, "connect (port %d): %s", port, err);
    return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);

    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* The first value of a query's first row (malloc'd). */
static char *value(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    char *v;

    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
                  PQerrorMessage(c));
    v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* The first value of a query's first row (malloc'd), or NULL with the
   error in *why (malloc'd). */
static char *value_try(PGconn *c, const char *sql, char **why)
{
    PGresult *r = PQexec(c, sql);
    char *v = NULL;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = strdup(PQgetvalue(r, 0, 0));
    else
        *why = strdup(PQerrorMessage(c));
    PQclear(r);
    return v;
}

/* Waits at most `seconds` for a query on one node to answer `want`: a
   synchronous standby has the WAL of an acknowledged commit on disk, and
   replays it a moment later (until then the table may not even exist). */
static void await_value(int port, const char *sql, const char *want, double seconds)
{
    double until = pgc_now() + seconds;
    char *v = NULL, *why = NULL;

    for (;;) {
        PGconn *c = connect_to(port);
        free(v);
        free(why);
        why = NULL;
        v = value_try(c, sql, &why);
        PQfinish(c);
        if ((v && strcmp(v, want) == 0) || pgc_now() > until)
            break;
        usleep(100 * 1000);
    }
    ck_assert_msg(v && strcmp(v, want) == 0, "port %d: %s gave %s, not %s (after %.0f s)", port,
                  sql, v ? v : why, want, seconds);
    free(v);
    free(why);
}

/* Up: one leader, one synchronous standby on the same timeline; the
   primary names the standby in synchronous_standby_names; a write through
   the DSN lands on the primary and reaches the standby; the client's files
   are as documented. */
START_TEST(test_up)
{
    struct member m[4];
    const struct member *lead, *sync;
    char path[300], dsn[512], *name, *v;
    struct stat st;
    int n, port;
    FILE *f;
    PGconn *c;

    need_cluster();
    n = members(m);
    ck_assert_int_eq(n, 2);
    lead = role(m, n, "leader");
    sync = role(m, n, "sync_standby");
    ck_assert_ptr_nonnull(lead);
    ck_assert_ptr_nonnull(sync);
    ck_assert_str_eq(lead->state, "running");
    ck_assert_str_eq(sync->state, "running");
    ck_assert_int_eq(lead->tl, sync->tl);

    name = primary(&port);
    ck_assert_str_eq(name, lead->name);
    ck_assert_int_eq(port, lead->port);

    snprintf(path, sizeof(path), "%s/passfile", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/dsn", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_ptr_nonnull(fgets(dsn, sizeof(dsn), f));
    fclose(f);
    ck_assert_ptr_nonnull(strstr(dsn, "host=127.0.0.1,127.0.0.1 port="));
    ck_assert_ptr_nonnull(strstr(dsn, "target_session_attrs=read-write"));
    ck_assert_ptr_null(strstr(dsn, "password"));

    c = connect_to(0);
    ck_assert_int_eq(atoi(PQport(c)), lead->port);
    v = value(c, "SELECT pg_is_in_recovery()::text");
    ck_assert_str_eq(v, "false");
    free(v);
    v = value(c, "SELECT current_setting('synchronous_standby_names')");
    ck_assert_msg(strstr(v, sync->name) != NULL, "synchronous_standby_names = '%s', not %s", v,
                  sync->name);
    free(v);
    v = value(c, "SELECT current_user");
    ck_assert_str_eq(v, "kpass");
    free(v);
    exec_ok(c, "CREATE TABLE up_probe (v text)");
    exec_ok(c, "INSERT INTO up_probe VALUES ('landed')");
    PQfinish(c);
    await_value(lead->port, "SELECT count(*)::text FROM up_probe", "1", 1);
    await_value(sync->port, "SELECT string_agg(v, ',') FROM up_probe", "landed", 10);
    free(name);
}
END_TEST

/* kill -9 of the primary's whole node under a steady write load (one
   committed row per 50 ms, reconnecting through the DSN): the standby is
   promoted, the client writes again within 15 s, and every acknowledged
   row is on the new primary. */
START_TEST(test_failover)
{
    struct pgc_failover r;
    char *before;
    int port;

    need_cluster();
    before = primary(&port);
    ck_assert_msg(pgc_failover(dir, NULL, 50, 20, 20, 90, &r) == 0, "failover: %s", r.error);
    fprintf(stderr,
            "cluster_pg: failover %s -> %s: %.2f s without a commit (%.2f s after the kill "
            "returned), %ld acknowledged, %ld in doubt, %ld lost\n",
            r.killed, r.primary, r.gap_s, r.kill_to_ok, r.acked, r.indoubt, r.lost);
    ck_assert_str_eq(r.killed, before);
    ck_assert_str_ne(r.primary, r.killed);
    ck_assert_int_ge(r.acked, 40);
    ck_assert_int_eq(r.lost, 0);
    ck_assert_msg(r.gap_s <= 15.0, "%.2f s without a commit (target 15 s)", r.gap_s);
    free(before);
}
END_TEST

/* The old primary, started again, rewinds and follows the new primary as
   its synchronous standby, on the new timeline; a row written afterwards
   and every row of the failover reach it. */
START_TEST(test_rejoin)
{
    struct member m[4];
    const struct member *lead, *sync;
    char *out, *name, *count, sql[128];
    int n, port, rc;
    PGconn *c;

    need_cluster();
    name = primary(&port);
    rc = pgc_run("start", dir, NULL, &out, 180000);
    ck_assert_msg(rc == 0, "start again: %d\n%s", rc, out);
    free(out);
    n = members(m);
    ck_assert_int_eq(n, 2);
    lead = role(m, n, "leader");
    sync = role(m, n, "sync_standby");
    ck_assert_ptr_nonnull(lead);
    ck_assert_ptr_nonnull(sync);
    ck_assert_str_eq(lead->name, name);
    ck_assert_str_ne(sync->name, name);
    ck_assert_str_eq(sync->state, "running");
    ck_assert_int_ge(lead->tl, 2);
    ck_assert_int_eq(sync->tl, lead->tl);

    c = connect_to(0);
    ck_assert_int_eq(atoi(PQport(c)), port);
    exec_ok(c, "INSERT INTO up_probe VALUES ('after')");
    count = value(c, "SELECT count(*)::text FROM failover_probe");
    PQfinish(c);
    await_value(sync->port, "SELECT string_agg(v, ',' ORDER BY v) FROM up_probe", "after,landed",
                15);
    snprintf(sql, sizeof(sql), "SELECT count(*)::text FROM failover_probe");
    await_value(sync->port, sql, count, 15);
    free(count);
    free(name);
}
END_TEST

/* ---- kpassd nodes on the cluster (kpassd.8, doc/cluster.md 5.7) ---- */

/* Three kpassd nodes of one cluster ([store] nodes = several), as on three
   machines; node 0 has the desk world (tests/testutil.h). */
#define NODE_N 3
static struct tu_daemon nodes[NODE_N];
static struct tu_desk_world world;

static void node_teardown(void)
{
    if (nodes[0].dir)
        tu_desk_world_free(&world);
    for (int i = 0; i < NODE_N; i++) {
        if (nodes[i].dir)
            tu_daemon_cleanup(&nodes[i]);
        memset(&nodes[i], 0, sizeof(nodes[i]));
    }
}

/* One dial (*789#) of a new number through g, as a gateway sends it: 1
   when answered ESME_ROK and the home screen came, 0 when refused (the
   database away: a temporary status, no screen), within 5 s. */
static int node_dial(struct ug_gw *g, const char *addr)
{
    struct ug_dlg u;
    struct smpp_pdu mo, p, r;
    uint32_t seq, status = 0;
    int resp = 0, screen = 0;
    double until = pgc_now() + 5;

    ug_dlg_init(&u, addr, 7);
    ug_mo_make(&mo, &u, USSD_OP_PSSR_IND, "*789#", 5, 0);
    mo.sequence_number = seq = g->seq++;
    ck_assert_int_eq(tu_smpp_send(g->fd, &mo), 0);
    while ((!resp || (status == SMPP_ESME_ROK && !screen)) && pgc_now() < until) {
        int rc = tu_smpp_recv(g->fd, &p, 1000);
        if (rc == -1)
            continue;
        ck_assert_msg(rc == 0, "the gateway's link to kpassd broke (%d)", rc);
        if (p.command_id == SMPP_SUBMIT_SM_RESP && p.sequence_number == seq) {
            resp = 1;
            status = p.command_status;
        } else if (p.command_id == SMPP_DELIVER_SM || p.command_id == SMPP_DATA_SM) {
            screen = 1;
            smpp_pdu_init(&r, smpp_resp_id(p.command_id), p.sequence_number);
            ck_assert_int_eq(tu_smpp_send(g->fd, &r), 0);
        } else if (p.command_id == SMPP_ENQUIRE_LINK) {
            smpp_pdu_init(&r, SMPP_ENQUIRE_LINK_RESP, p.sequence_number);
            ck_assert_int_eq(tu_smpp_send(g->fd, &r), 0);
        }
    }
    ck_assert_msg(resp, "no answer to a dial within 5 s");
    ck_assert_msg(status == SMPP_ESME_ROK || status == SMPP_ESME_RTHROTTLED, "status 0x%x", status);
    ck_assert_msg(status != SMPP_ESME_RTHROTTLED || !screen, "a screen with a refusal");
    return status == SMPP_ESME_ROK && screen;
}

#define NODE_ACKS_MAX 4000

/*
 * Three kpassd nodes on the cluster's DSN and passfile (nodes = several),
 * under a steady load of USSD dials (each a new number) and desk
 * verifications (each a QR scan) spread over them: kill -9 of the
 * primary's whole node; Patroni promotes the standby; every node
 * reconnects by itself and serves again (none exits, the gateways' links
 * stay bound); the longest time between two operations acknowledged is at
 * most 15 s; every dial and verification acknowledged is in the database
 * afterwards; the audit chain verifies.  No code or SMS in the load
 * (doc/cluster.md 5.7).
 */
static void node_failover(int round)
{
    char conf[1400], dsn[512], path[300], addr[32], schema[32] = "public", *session, **ids, *before;
    struct ug_gw gws[NODE_N];
    long served_after[NODE_N] = {0};
    double last_ok, gap = 0, t_kill = 0, first_after = 0;
    long dials = 0, dials_after = 0, scans_after = 0, refused = 0;
    int nids = 0, st = 0, port, killed = 0;
    FILE *f;

    need_cluster();
    before = primary(&port);
    snprintf(path, sizeof(path), "%s/dsn", dir);
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_ptr_nonnull(fgets(dsn, sizeof(dsn), f));
    fclose(f);
    dsn[strcspn(dsn, "\n")] = '\0';
    if (round >= 0) { /* a schema of its own for each round of the benchmark */
        char sql[96];
        PGconn *c = connect_to(0);
        snprintf(schema, sizeof(schema), "kp_r%d", round);
        snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
        exec_ok(c, sql);
        PQfinish(c);
        snprintf(dsn + strlen(dsn), sizeof(dsn) - strlen(dsn), " options='-c search_path=%s'",
                 schema);
    }
    for (int i = NODE_N - 1; i >= 0; i--) {
        snprintf(conf, sizeof(conf),
                 "rate_per_desk = 1000\nburst_per_desk = 1000\nrate_per_address = 1000\n"
                 "burst_per_address = 1000\n[daemon]\nnode = node%d\n[store]\n"
                 "backend = postgresql\ndsn = %s\npassfile = %s/passfile\nnodes = several\n",
                 i, dsn, dir);
        if (i > 0) {
            tu_daemon_configure(&nodes[i], conf);
            continue;
        }
        tu_desk_world_prepare(&world, &nodes[0], conf);
    }
    free(tu_kpass_ok(&nodes[0], "gw-pw\n", "partner", "add", "gw", NULL));
    tu_desk_world_run(&world, &nodes[0]);
    for (int i = 1; i < NODE_N; i++) { /* the cluster's keys, node 0's */
        char keys[600];
        snprintf(keys, sizeof(keys), "%s/keys", nodes[0].dir);
        char *cp[] = {(char *)"/bin/cp", (char *)"-a", keys, nodes[i].dir, NULL};
        ck_assert_int_eq(tu_run(cp, NULL, NULL, 10000), 0);
        tu_daemon_start(&nodes[i]);
    }
    for (int i = 0; i < NODE_N; i++)
        ug_bind(&gws[i], &nodes[i], "gw", "gw-pw");
    session = tu_desk_signin(&nodes[0], world.token_a, "PSH-0042", "4821", &st);
    ck_assert_int_eq(st, 201);
    ids = calloc(NODE_ACKS_MAX, sizeof(*ids));

    last_ok = pgc_now();
    /* Hop i goes to node i % 3, its scan to node (i + 1) % 3: every node
       serves both kinds, and must come back by itself. */
    for (long i = 0; (dials_after < 10 || scans_after < 10 || served_after[0] == 0 ||
                      served_after[1] == 0 || served_after[2] == 0) &&
                     nids < NODE_ACKS_MAX;
         i++) {
        char *out = NULL, *id;
        double now;
        int ok, k = (int)(i % NODE_N);

        ck_assert_msg(!killed || pgc_now() - t_kill < 60, "kpassd not back 60 s after the kill");
        snprintf(addr, sizeof(addr), "9230%08ld", (10000000 + dials) % 100000000);
        ok = node_dial(&gws[k], addr);
        now = pgc_now();
        if (ok) {
            dials++;
            dials_after += killed;
            served_after[k] += killed;
            if (now - last_ok > gap)
                gap = now - last_ok;
            last_ok = now;
        } else {
            refused++;
        }
        id = tu_desk_scan(&nodes[(k + 1) % NODE_N], session, world.qr, &st, NULL);
        now = pgc_now();
        if (id) {
            ids[nids++] = id;
            scans_after += killed;
            served_after[(k + 1) % NODE_N] += killed;
            if (now - last_ok > gap)
                gap = now - last_ok;
            last_ok = now;
        } else {
            ck_assert_msg(st == 503, "a scan answered %d during the failover", st);
            refused++;
        }
        if (killed && first_after == 0 && ok && id)
            first_after = now - t_kill;
        if (!killed && dials >= 10 && nids >= 10) {
            int rc = pgc_run("kill-primary", dir, NULL, &out, 30000);
            ck_assert_msg(rc == 0, "kill-primary: %d\n%s", rc, out);
            free(out);
            killed = 1;
            t_kill = pgc_now();
        }
        usleep(ok && id ? 20 * 1000 : 100 * 1000); /* a gateway waits a little after a refusal */
    }
    for (int i = 0; i < NODE_N; i++)
        ck_assert_msg(kill(nodes[i].pid, 0) == 0, "node%d exited", i); /* none exited */
    {
        char *after = primary(&port), sql[160], *v;
        PGconn *c = connect_to(0);
        int found = 0;
        ck_assert_str_ne(after, before); /* Patroni promoted the standby */
        snprintf(sql, sizeof(sql), "SET search_path = %s", schema);
        exec_ok(c, sql);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*)::text FROM dialog WHERE msisdn LIKE '%%9230%%'");
        v = value(c, sql);
        ck_assert_msg(atol(v) >= dials, "%s dialogs, %ld dials acknowledged", v, dials);
        free(v);
        for (int i = 0; i < nids; i++) {
            const char *pv[1] = {ids[i]};
            PGresult *r = PQexecParams(c, "SELECT 1 FROM verification WHERE id = $1", 1, NULL, pv,
                                       NULL, NULL, 0);
            found += PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
            PQclear(r);
            free(ids[i]);
        }
        /* One line for tests/bench/failover.sh (KP_BENCH_MODE=kpassd) and the log. */
        fprintf(stderr,
                "kpassd_failover: {\"round\":%d,\"gap_s\":%.2f,\"first_after_s\":%.2f,"
                "\"dials\":%ld,\"verifications\":%d,\"refused\":%ld,\"lost\":%d}\n",
                round, gap, first_after, dials, nids, refused, nids - found);
        ck_assert_msg(found == nids, "%d of %d acknowledged verifications lost", nids - found,
                      nids);
        PQfinish(c);
        free(after);
    }
    free(ids);
    ck_assert_msg(gap <= 15.0, "%.2f s without an acknowledged operation (target 15 s)", gap);
    free(tu_kpass_ok(&nodes[0], NULL, "audit", "verify", NULL));
    for (int i = 0; i < NODE_N; i++)
        close(gws[i].fd);
    free(session);
    free(before);
    for (int i = 0; i < NODE_N; i++)
        ck_assert_int_eq(tu_daemon_stop(&nodes[i], SIGTERM), 0);
}

START_TEST(test_kpassd_failover)
{
    node_failover(-1);
}
END_TEST

/* One round of the benchmark (KP_CLUSTER_KPASSD_ROUNDS): the failover
   through three kpassd nodes, then the killed node rejoins. */
START_TEST(test_kpassd_round)
{
    char *out;
    int rc;

    node_failover(_i);
    node_teardown();
    rc = pgc_run("start", dir, NULL, &out, 180000);
    ck_assert_msg(rc == 0, "start again: %d\n%s", rc, out);
    free(out);
}
END_TEST

/* The node killed by the case above, started again, rejoins as the
   synchronous standby, so that the standby's loss below finds two. */
START_TEST(test_rejoin_again)
{
    struct member m[4];
    char *out;
    int n, rc;

    need_cluster();
    rc = pgc_run("start", dir, NULL, &out, 180000);
    ck_assert_msg(rc == 0, "start again: %d\n%s", rc, out);
    free(out);
    n = members(m);
    ck_assert_int_eq(n, 2);
    ck_assert_ptr_nonnull(role(m, n, "leader"));
    ck_assert_ptr_nonnull(role(m, n, "sync_standby"));
}
END_TEST

/* kill -9 of the synchronous standby's whole node under the same load:
   not strict, the primary stops waiting for it and goes on alone (the
   choice of doc/cluster.md); the stall is short, nothing acknowledged is
   lost, and Patroni says the primary has no synchronous standby. */
START_TEST(test_standby_loss)
{
    struct pgc_failover r;
    struct member m[4];
    const struct member *sync;
    char *lead, standby[16];
    int n, port;

    need_cluster();
    lead = primary(&port);
    n = members(m);
    ck_assert_ptr_nonnull(sync = role(m, n, "sync_standby"));
    snprintf(standby, sizeof(standby), "%s", sync->name);
    ck_assert_msg(pgc_failover(dir, standby, 50, 20, 20, 60, &r) == 0, "standby loss: %s", r.error);
    fprintf(stderr,
            "cluster_pg: standby %s killed: %.2f s without a commit, %ld acknowledged, %ld in "
            "doubt, %ld lost\n",
            r.killed, r.gap_s, r.acked, r.indoubt, r.lost);
    ck_assert_str_eq(r.killed, standby);
    ck_assert_str_eq(r.primary, lead);
    ck_assert_int_eq(r.lost, 0);
    ck_assert_msg(r.gap_s <= 15.0, "%.2f s without a commit (target 15 s)", r.gap_s);
    n = members(m);
    ck_assert_ptr_null(role(m, n, "sync_standby"));
    free(lead);
}
END_TEST

/* Whether a process runs whose command line names the cluster folder. */
static int leftovers(char *what, size_t len)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int found = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], cmd[1024];
        size_t n;
        FILE *f;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        n = fread(cmd, 1, sizeof(cmd) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        cmd[n] = '\0';
        if (n > 0 && strstr(cmd, dir) != NULL && !found) {
            snprintf(what, len, "%.16s: %.1023s", e->d_name, cmd);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/* stop leaves no etcd, Patroni or PostgreSQL process of the cluster. */
START_TEST(test_stop)
{
    char *out, what[1400];
    int rc;

    need_cluster();
    rc = pgc_run("stop", dir, NULL, &out, 120000);
    ck_assert_msg(rc == 0, "stop: %d\n%s", rc, out);
    free(out);
    ck_assert_msg(!leftovers(what, sizeof(what)), "left running: %s", what);
}
END_TEST

static Suite *suite_cluster_pg(void)
{
    Suite *s = suite_create("cluster_pg");
    TCase *tc = tcase_create("failover");
    const char *rounds = getenv("KP_CLUSTER_KPASSD_ROUNDS");

    /* tests/bench/failover.sh, KP_BENCH_MODE=kpassd: only the rounds. */
    if (rounds && atoi(rounds) > 0) {
        tcase_add_unchecked_fixture(tc, cluster_setup, cluster_teardown);
        tcase_add_checked_fixture(tc, NULL, node_teardown);
        tcase_set_timeout(tc, 300);
        tcase_add_loop_test(tc, test_kpassd_round, 0, atoi(rounds));
        suite_add_tcase(s, tc);
        return s;
    }

    tcase_add_unchecked_fixture(tc, cluster_setup, cluster_teardown);
    tcase_add_checked_fixture(tc, NULL, node_teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_up);
    tcase_add_test(tc, test_failover);
    tcase_add_test(tc, test_rejoin);
    tcase_add_test(tc, test_kpassd_failover);
    tcase_add_test(tc, test_rejoin_again);
    tcase_add_test(tc, test_standby_loss);
    tcase_add_test(tc, test_stop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite_cluster_pg());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
