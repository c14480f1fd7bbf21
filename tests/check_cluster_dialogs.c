/* SPDX-License-Identifier: ISC */
/*
 * USSD dialogs on a cluster (issue 12, doc/cluster.md 5.1): three kpassd
 * nodes on one PostgreSQL schema, a gateway bound to each, and the hops of
 * one dialog sent to whichever node: every hop sees the dialog as the last
 * node left it.  A golden transcript walked with its hops alternating
 * between the nodes shows the transcript's screens (which are the screens
 * of the same walk on one node: check_dialogs, check_ussd_phone); a
 * language chosen on one node is the next dial's on another; a department
 * renamed through one node's CLI shows on every node's next screen; a node
 * killed mid-dialog leaves its dialog to the others.  And the audit chain
 * (5.2): appends from three processes at once leave one chain.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kpass/audit/audit.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/id/keys.h"
#include "kpass/smpp/pdu.h"
#include "kpass/store/backend.h"
#include "kpass/store/store.h"
#include "nodes.h"
#include "pgtest.h"
#include "ussdgw.h"

#define CD_HOPS 160

/* One hop of a transcript: what the caller sends and the screen it gets. */
struct cd_hop {
    int dial; /* a dial (op 1) rather than a reply (op 18) */
    char text[64];
    char screen[1024];
    int end;
    unsigned line;
};

static struct tu_nodes c;
static struct ug_gw gw[3];

static void cd_teardown(void)
{
    for (int i = 0; i < 3; i++)
        if (gw[i].fd > 0) {
            close(gw[i].fd);
            gw[i].fd = 0;
        }
    tu_nodes_cleanup(&c);
}

/* Three nodes with the seed and partner gw (its-session), a link to each. */
static void cd_start(void)
{
    char *out = NULL;

    tu_nodes_prepare(&c, 3, NULL);
    ug_seed(&c.node[0]);
    ck_assert_msg(tu_kpass(&c.node[0], "gw-pw\n", &out, "partner", "add", "gw", NULL) == 0, "%s",
                  out);
    free(out);
    tu_nodes_start(&c);
    for (int i = 0; i < 3; i++)
        ug_bind(&gw[i], &c.node[i], "gw", "gw-pw");
}

/*
 * The hops of a transcript that a gateway can play (dials and non-empty
 * replies, one caller, no resume or expiry); their count.
 */
static int cd_load(const char *name, struct cd_hop *h, int max, char msisdn[16])
{
    char path[1024], *text, *next, *line;
    unsigned no = 0;
    int n = 0;

    snprintf(path, sizeof(path), "%s/tests/dialogs/%s", tu_top(), name);
    text = (char *)tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    snprintf(msisdn, 16, "923000000101");
    for (line = text; line; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        no++;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (strncmp(line, "caller +", 8) == 0) {
            snprintf(msisdn, 16, "%.15s", line + 8);
        } else if (strncmp(line, "! dial ", 7) == 0 || (line[0] == '>' && line[1] == ' ')) {
            ck_assert_int_lt(n, max);
            memset(&h[n], 0, sizeof(h[n]));
            h[n].dial = line[0] == '!';
            snprintf(h[n].text, sizeof(h[n].text), "%s", line + (h[n].dial ? 7 : 2));
            h[n].line = no;
            n++;
        } else if (line[0] == '<' && n > 0) {
            h[n - 1].end = strstr(line, " end") != NULL;
        } else if (line[0] == '|' && n > 0) {
            char *s = h[n - 1].screen;
            size_t len = strlen(s);
            snprintf(s + len, sizeof(h[0].screen) - len, "%s%s", len ? "\n" : "",
                     line[1] ? line + 2 : "");
        } else {
            ck_abort_msg("%s:%u: '%s' is not played here", name, no, line);
        }
    }
    free(text);
    return n;
}

/* Play hops[from..to) of a transcript, hop k through node pick(k); check each screen. */
static void cd_play(const char *name, const struct cd_hop *hops, int from, int to,
                    const char *msisdn, int *session, struct ug_dlg *u, int (*pick)(int))
{
    struct ug_hop got;

    for (int k = from; k < to; k++) {
        int i = pick(k);
        if (hops[k].dial)
            ug_dlg_init(u, msisdn, ++*session & 0xFF);
        ug_hop(&gw[i], u, hops[k].dial ? 1 : 18, hops[k].text, &got);
        ck_assert_msg(strcmp(got.text, hops[k].screen) == 0,
                      "%s:%u, hop %d through node %d:\n%s\ninstead of\n%s", name, hops[k].line, k,
                      i, got.text, hops[k].screen);
    }
}

static int cd_round(int k)
{
    return k % 3;
}

static int cd_one(int k)
{
    (void)k;
    return 0;
}

/* The walk of en_services (84 hops) with its hops going round the three
   nodes: the transcript's screens, as on one node. */
START_TEST(test_hops_round_the_nodes)
{
    static struct cd_hop hops[CD_HOPS];
    char msisdn[16];
    struct ug_dlg u;
    int n, session = 0;

    cd_start();
    n = cd_load("en_services.dialog", hops, CD_HOPS, msisdn);
    ck_assert_int_gt(n, 30);
    cd_play("en_services.dialog", hops, 0, n, msisdn, &session, &u, cd_round);
}
END_TEST

/* The home walk whose choices go into a language, with the dial that
   follows on another node. */
START_TEST(test_language_other_node)
{
    struct ug_dlg u;
    struct ug_hop h;

    cd_start();
    /* Node 1 first serves the number in English (and would remember it). */
    ug_dlg_init(&u, "923000000101", 1);
    ug_hop(&gw[1], &u, 1, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    /* Node 0 hears the choice of Urdu. */
    ug_dlg_init(&u, "923000000101", 2);
    ug_hop(&gw[0], &u, 1, "*789#", &h);
    ck_screen_starts(&h, HOME_EN);
    ug_hop(&gw[2], &u, 18, "6", &h);
    ck_assert_msg(strstr(h.text, "Choose a language") != NULL, "%s", h.text);
    ug_hop(&gw[0], &u, 18, "2", &h);
    ck_screen_starts(&h, HOME_UR);
    /* The next dial, on node 1: Urdu. */
    ug_dlg_init(&u, "923000000101", 3);
    ug_hop(&gw[1], &u, 1, "*789#", &h);
    ck_screen_starts(&h, HOME_UR);
    ug_dlg_init(&u, "923000000101", 4);
    ug_hop(&gw[2], &u, 1, "*789#", &h);
    ck_screen_starts(&h, HOME_UR);
}
END_TEST

/* Find a service, topic 7: its departments, from node i. */
static void cd_topic7(int i, int session, const char *want)
{
    struct ug_dlg u;
    struct ug_hop h;

    ug_dlg_init(&u, "923000000102", session);
    ug_hop(&gw[i], &u, 1, "*789*1#", &h);
    ug_hop(&gw[i], &u, 18, "7", &h);
    ck_assert_msg(strncmp(h.text, want, strlen(want)) == 0, "node %d:\n%s\nwant\n%s", i, h.text,
                  want);
}

/* A department renamed through one node's CLI: every node's next screen. */
START_TEST(test_department_edit_every_node)
{
    char csv[700], *out = NULL;

    cd_start();
    for (int i = 0; i < 3; i++) /* each node has read (and remembers) the department */
        cd_topic7(i, 10 + i, "1 Social Welfare\n2 Zakat");
    snprintf(csv, sizeof(csv), "%s/departments.csv", c.node[2].dir);
    tu_write_file(csv, "code,name_en,name_ur,name_ps\nSOCIAL,Social Protection,سماجی بہبود,\n");
    ck_assert_msg(tu_kpass(&c.node[2], NULL, &out, "import", "departments", csv, NULL) == 0, "%s",
                  out);
    free(out);
    for (int i = 0; i < 3; i++)
        cd_topic7(i, 20 + i, "1 Social Protection\n2 Zakat");
}
END_TEST

static int cd_after_kill(int k)
{
    return k < 3 ? 0 : 1 + k % 2;
}

/* kill -9 of the node that served the dialog's first hops: the next hop,
   on another node, goes on with it. */
START_TEST(test_kill_node_mid_dialog)
{
    static struct cd_hop hops[CD_HOPS];
    char msisdn[16];
    struct ug_dlg u;
    int n, session = 0, end;

    cd_start();
    n = cd_load("en_services.dialog", hops, CD_HOPS, msisdn);
    for (end = 1; end < n && !hops[end].dial; end++)
        ;
    ck_assert_int_gt(end, 6); /* the first dialog: long enough to cut */
    cd_play("en_services.dialog", hops, 0, 3, msisdn, &session, &u, cd_one);
    tu_daemon_stop(&c.node[0], SIGKILL);
    close(gw[0].fd);
    gw[0].fd = 0;
    cd_play("en_services.dialog", hops, 3, end, msisdn, &session, &u, cd_after_kill);
}
END_TEST

/* Append n audit rows, one transaction each, on a connection of our own;
   exit status 0 when every one was made. */
static void cd_appender(const struct tu_nodes *cl, int who, int n)
{
    char passfile[512];
    struct store_settings set = {STORE_BACKEND_POSTGRESQL, cl->dsn, passfile, STORE_NODES_ONE};
    struct kp_buf err = KP_BUF_INIT;
    struct store *st;
    uint8_t *key = NULL;
    char keys[600], detail[64];
    int bad = 0;

    snprintf(passfile, sizeof(passfile), "%s", tu_pg_start()->passfile);
    snprintf(keys, sizeof(keys), "%s/keys", cl->node[who].dir);
    if (store_open_conf(&set, NULL, STORE_CURRENT, &st) < 0 ||
        keys_secret_load(keys, KEYS_AUDIT, &key, &err) < 0)
        _exit(2);
    audit_use_key(st, key);
    for (int i = 0; i < n; i++) {
        snprintf(detail, sizeof(detail), "node %d row %d", who, i);
        if (store_tx_begin(st) < 0 ||
            audit_append(st, kp_time_s(), "partner.added", "test", NULL, detail) < 0 ||
            store_tx_commit(st) < 0) {
            store_tx_rollback(st);
            bad++;
        }
    }
    _exit(bad ? 1 : 0);
}

/* "audit: N rows, chain intact" from node i's CLI: N. */
static long cd_audit_rows(int i)
{
    char *out = NULL;
    long rows = -1;

    ck_assert_msg(tu_kpass(&c.node[i], NULL, &out, "audit", "verify", NULL) == 0, "%s", out);
    ck_assert_msg(strstr(out, "chain intact") != NULL, "%s", out);
    ck_assert_int_eq(sscanf(out, "audit: %ld rows", &rows), 1);
    free(out);
    return rows;
}

#define CD_APPENDS 300

/* Three appenders at once (the nodes' keys, their own connections), the
   nodes running beside them: every append made, one chain of them all. */
START_TEST(test_audit_appends_three_at_once)
{
    pid_t pid[3];
    long before, after;
    uint64_t t0, ms;

    cd_start();
    before = cd_audit_rows(0);
    t0 = kp_clock_us();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_ge(pid[i] = fork(), 0);
        if (pid[i] == 0)
            cd_appender(&c, i, CD_APPENDS);
    }
    for (int i = 0; i < 3; i++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "appender %d: some appends failed (status %d)", i, status);
    }
    ms = (kp_clock_us() - t0) / 1000;
    fprintf(stderr, "cluster_dialogs: %d audit appends from 3 processes in %llu ms (%.0f/s)\n",
            3 * CD_APPENDS, (unsigned long long)ms, ms ? 3000.0 * CD_APPENDS / (double)ms : 0.0);
    after = cd_audit_rows(1);
    ck_assert_int_eq(after, before + 3 * CD_APPENDS);
}
END_TEST

Suite *suite_cluster_dialogs(void)
{
    Suite *s = suite_create("cluster_dialogs");
    TCase *tc = tcase_create("dialogs");
    const char *why;

    if (!tu_pg_available(&why)) {
        fprintf(stderr, "cluster_dialogs: %s\n", why);
        return s;
    }
    tcase_add_checked_fixture(tc, NULL, cd_teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_hops_round_the_nodes);
    tcase_add_test(tc, test_language_other_node);
    tcase_add_test(tc, test_department_edit_every_node);
    tcase_add_test(tc, test_kill_node_mid_dialog);
    tcase_add_test(tc, test_audit_appends_three_at_once);
    suite_add_tcase(s, tc);
    return s;
}
