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
#include "kpass/core/mem.h"
#include "kpass/id/keys.h"
#include "kpass/smpp/pdu.h"
#include "kpass/store/backend.h"
#include "kpass/store/store.h"
#include "kpass/text/text.h"
#include "kpass/ussd/ussd.h"
#include "nodes.h"
#include "pgtest.h"
#include "smpputil.h"
#include "ussdgw.h"

#define CD_HOPS 64

/* One hop of a transcript: what the caller sends and the screen it gets. */
struct cd_hop {
    int dial; /* a dial (op 1) rather than a reply (op 18) */
    char text[64];
    char screen[1024];
    int end;
    unsigned line;
    char need[8]; /* a dial: the caller's language it needs (the transcript's `lang`) */
    char lang[8]; /* the language this hop's screen changed to, or "" */
    char msisdn[16];
};

static struct tu_nodes c;
static struct ug_gw gw[3];

/* The language each caller has told kpassd (the cluster's, in the database). */
static struct {
    char msisdn[16];
    char lang[8];
} cd_langs[16];

static void cd_teardown(void)
{
    for (int i = 0; i < 3; i++)
        if (gw[i].fd > 0) {
            close(gw[i].fd);
            gw[i].fd = 0;
        }
    tu_nodes_cleanup(&c);
}

/*
 * Three nodes with the seed, its citizens and partner gw (no SMS: only
 * screens come on the links), a link to each.  No resume: every dial of
 * a transcript begins afresh (as in check_ussd_phone).
 */
static void cd_start(void)
{
    char citizens[1100], *out = NULL;

    memset(cd_langs, 0, sizeof(cd_langs));
    tu_nodes_prepare(&c, 3, "[ussd]\nresume_window = 0\n");
    ug_seed(&c.node[0]);
    snprintf(citizens, sizeof(citizens), "%s/etc/seed/citizens.csv", tu_top());
    ck_assert_msg(tu_kpass(&c.node[0], NULL, &out, "import", "citizens", citizens, NULL) == 0, "%s",
                  out);
    free(out);
    ck_assert_msg(tu_kpass(&c.node[0], "gw-pw\n", &out, "partner", "add", "gw", "--no-sms", NULL) ==
                      0,
                  "%s", out);
    free(out);
    tu_nodes_start(&c);
    for (int i = 0; i < 3; i++)
        ug_bind(&gw[i], &c.node[i], "gw", "gw-pw");
}

/*
 * The hops of a transcript as a gateway plays them (dials and replies,
 * each with its caller and the language it needs); their count.
 */
static int cd_load(const char *name, struct cd_hop *h, int max)
{
    char path[1024], msisdn[16] = "923000000101", lang[8] = "en", *text, *next, *line;
    unsigned no = 0;
    int n = 0;

    snprintf(path, sizeof(path), "%s/tests/dialogs/%s", tu_top(), name);
    text = (char *)tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    for (line = text; line; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        no++;
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (strncmp(line, "caller +", 8) == 0) {
            char l[8] = "";
            ck_assert_int_ge(sscanf(line, "caller +%15s lang %7s", msisdn, l), 1);
            if (l[0])
                snprintf(lang, sizeof(lang), "%s", l);
        } else if (strncmp(line, "lang ", 5) == 0) {
            snprintf(lang, sizeof(lang), "%.7s", line + 5);
        } else if (strncmp(line, "! dial ", 7) == 0 || (line[0] == '>' && line[1] == ' ')) {
            ck_assert_int_lt(n, max);
            memset(&h[n], 0, sizeof(h[n]));
            h[n].dial = line[0] == '!';
            snprintf(h[n].text, sizeof(h[n].text), "%s", line + (h[n].dial ? 7 : 2));
            snprintf(h[n].need, sizeof(h[n].need), "%s", lang);
            snprintf(h[n].msisdn, sizeof(h[n].msisdn), "%s", msisdn);
            h[n].line = no;
            n++;
        } else if (line[0] == '<' && n > 0) {
            char enc[8], kind[12];
            ck_assert_int_ge(sscanf(line, "< %7s %11s lang %7s", enc, kind, h[n - 1].lang), 2);
            h[n - 1].end = strcmp(kind, "end") == 0;
        } else if (line[0] == '|' && n > 0) {
            char *sc = h[n - 1].screen;
            size_t len = strlen(sc);
            snprintf(sc + len, sizeof(h[0].screen) - len, "%s%s", len ? "\n" : "",
                     line[1] ? line + 2 : "");
        } else {
            ck_abort_msg("%s:%u: '%s' is not played here", name, no, line);
        }
    }
    free(text);
    return n;
}

static char *cd_lang_of(const char *msisdn)
{
    int i;

    for (i = 0; i < 16 && cd_langs[i].msisdn[0]; i++)
        if (strcmp(cd_langs[i].msisdn, msisdn) == 0)
            return cd_langs[i].lang;
    ck_assert_int_lt(i, 16);
    snprintf(cd_langs[i].msisdn, sizeof(cd_langs[i].msisdn), "%s", msisdn);
    snprintf(cd_langs[i].lang, sizeof(cd_langs[i].lang), "en");
    return cd_langs[i].lang;
}

/* Have the cluster remember lang for msisdn, as a caller does (the
   Language screen by a dialled shortcut), through node i. */
static void cd_set_lang(int i, const char *msisdn, const char *lang, int *session)
{
    const char *dial = strcmp(lang, "ur") == 0        ? "*789*6*2#"
                       : strcmp(lang, "ps") == 0      ? "*789*6*3#"
                       : strcmp(lang, "ur-Latn") == 0 ? "*789*6*4#"
                                                      : "*789*6*1#";
    int latin = strcmp(lang, "en") == 0 || strcmp(lang, "ur-Latn") == 0;
    struct ug_dlg u;
    struct ug_hop h;

    ug_dlg_init(&u, msisdn, ++*session & 0xFF);
    ug_hop(&gw[i], &u, 1, dial, &h);
    ck_assert_msg(strstr(h.text, latin ? "Khyber Pass\n1 " : "خیبر پاس\n1 ") != NULL,
                  "language %s: %s", lang, h.text);
    snprintf(cd_lang_of(msisdn), 8, "%s", lang);
}

/* One hop with text as a phone sends it: GSM 03.38 when every character
   has a septet, else UCS-2 (an Urdu word: as GSM octets its UTF-8 bytes
   are no valid reply). */
static void cd_hop(struct ug_gw *g, struct ug_dlg *u, uint8_t op, const char *text,
                   struct ug_hop *h)
{
    struct kp_buf b = KP_BUF_INIT;

    if (text_choose(text, strlen(text)) == TEXT_GSM7) {
        ug_hop(g, u, op, text, h);
        return;
    }
    ck_assert_int_gt(text_encode(text, strlen(text), TEXT_UCS2, &b), 0);
    ug_hop_raw(g, u, op, b.data, b.len, TEXT_UCS2, h, 1);
    kp_buf_free(&b);
    ck_assert_uint_eq(h->status, SMPP_ESME_ROK);
}

/* Play hops[from..to) of a transcript, hop k through node pick(k); check each screen. */
static void cd_play(const char *name, const struct cd_hop *hops, int from, int to, int *session,
                    struct ug_dlg *u, int (*pick)(int))
{
    struct ug_hop got;

    for (int k = from; k < to; k++) {
        int i = pick(k);
        if (hops[k].dial && strcmp(cd_lang_of(hops[k].msisdn), hops[k].need) != 0)
            cd_set_lang(pick(k + 1), hops[k].msisdn, hops[k].need, session);
        if (hops[k].dial)
            ug_dlg_init(u, hops[k].msisdn, ++*session & 0xFF);
        cd_hop(&gw[i], u, hops[k].dial ? 1 : 18, hops[k].text, &got);
        if (strcmp(got.text, hops[k].screen) != 0) {
            char *log = tu_daemon_log(&c.node[i]);
            size_t len = strlen(log);
            ck_abort_msg("%s:%u, hop %d through node %d:\n%s\ninstead of\n%s\nits log ends:\n%s",
                         name, hops[k].line, k, i, got.text, hops[k].screen,
                         log + (len > 2000 ? len - 2000 : 0));
        }
        ck_assert_msg((got.op == USSD_OP_PSSR_RESP) == hops[k].end, "%s:%u: end (op %u)", name,
                      hops[k].line, got.op);
        if (hops[k].lang[0])
            snprintf(cd_lang_of(hops[k].msisdn), 8, "%s", hops[k].lang);
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

/* The transcripts a gateway can play (check_ussd_phone's), word search
   aside while the store has none (PostgreSQL without it: the probe). */
static const char *const played[] = {
    "en_browse.dialog",   "en_services.dialog", "en_search.dialog",       "en_offices.dialog",
    "language.dialog",    "ur_offices.dialog",  "en_unregistered.dialog", "en_blocked.dialog",
    "en_controls.dialog", "ur_controls.dialog", "ps_controls.dialog",
};

/* Does the cluster's store have the word search?  (A search through node 0.) */
static int cd_search_works(void)
{
    struct ug_dlg u;
    struct ug_hop h;

    ug_dlg_init(&u, "923000000199", 250);
    ug_hop(&gw[0], &u, 1, "*789*2#", &h);
    ug_hop(&gw[0], &u, 18, "licence", &h);
    return strstr(h.text, "unavailable") == NULL;
}

/*
 * The golden transcripts on PostgreSQL, through three nodes: each hop
 * goes to the next node round, so no two hops in a row meet the same
 * node, and every screen is the transcript's (the one-node walk's).
 */
START_TEST(test_transcripts_round_the_nodes)
{
    static struct cd_hop hops[CD_HOPS];
    struct ug_dlg u;
    int n, session = 0, search, total = 0;

    cd_start();
    search = cd_search_works();
    for (size_t f = 0; f < KP_ARRAY_LEN(played); f++) {
        if (!search && strcmp(played[f], "en_search.dialog") == 0) {
            fprintf(stderr, "cluster_dialogs: %s left out: the store has no word search\n",
                    played[f]);
            continue;
        }
        n = cd_load(played[f], hops, CD_HOPS);
        ck_assert_int_gt(n, 4);
        cd_play(played[f], hops, 0, n, &session, &u, cd_round);
        total += n;
    }
    ck_assert_int_gt(total, 150);
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
    ck_assert_msg(strstr(out, "from now on") != NULL, "%s", out);
    free(out);
    for (int i = 0; i < 3; i++)
        cd_topic7(i, 20 + i, "1 Social Protection\n2 Zakat");
    /* Two nodes stop (one of them may be the pid the counter recorded): the
       CLI still hears from the node that runs, and says so. */
    tu_daemon_stop(&c.node[0], SIGTERM);
    tu_daemon_stop(&c.node[1], SIGTERM);
    tu_write_file(csv, "code,name_en,name_ur,name_ps\nSOCIAL,Social Welfare,سماجی بہبود,\n");
    ck_assert_msg(tu_kpass(&c.node[1], NULL, &out, "import", "departments", csv, NULL) == 0, "%s",
                  out);
    ck_assert_msg(strstr(out, "from now on") != NULL, "%s", out);
    free(out);
    cd_topic7(2, 30, "1 Social Welfare\n2 Zakat");
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
    struct ug_dlg u;
    int n, session = 0, end;

    cd_start();
    n = cd_load("en_services.dialog", hops, CD_HOPS);
    for (end = 1; end < n && !hops[end].dial; end++)
        ;
    ck_assert_int_gt(end, 6); /* the first dialog: long enough to cut */
    cd_play("en_services.dialog", hops, 0, 3, &session, &u, cd_one);
    tu_daemon_stop(&c.node[0], SIGKILL);
    close(gw[0].fd);
    gw[0].fd = 0;
    cd_play("en_services.dialog", hops, 3, end, &session, &u, cd_after_kill);
}
END_TEST

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

/* Lines of `kpass audit show --event event --json` through node i. */
static int cd_events(int i, const char *event)
{
    char *out = NULL;
    int n = 0;

    ck_assert_msg(tu_kpass(&c.node[i], NULL, &out, "audit", "show", "--event", event, "--json",
                           "--limit", "1000", NULL) == 0,
                  "%s", out);
    for (const char *p = out; (p = strchr(p, '{')) != NULL; p = strchr(p, '\n'))
        n++;
    free(out);
    return n;
}

/*
 * The ten registered callers ask for a code at once, each through one of
 * the three nodes: ten codes issued, none twice.  Each node issues the
 * requests of its passes and, with them, any older one committed on
 * another node; the claim (FOR UPDATE SKIP LOCKED) keeps that to one node.
 */
START_TEST(test_code_requests_three_nodes)
{
    struct ug_dlg u[10];
    struct ug_hop h;
    struct smpp_pdu mo;
    uint32_t seq[10];
    int issued = 0;

    cd_start();
    for (int j = 0; j < 10; j++) {
        static const char *const msisdn[] = {
            "923000000101", "923110000102", "923210000103", "923330000104", "923450000105",
            "923000000106", "923110000107", "923210000108", "923330000109", "923450000110"};
        ug_dlg_init(&u[j], msisdn[j], 100 + j);
        ug_hop(&gw[j % 3], &u[j], 1, "*789*4#", &h);
        ck_assert_msg(strstr(h.text, "A code for") != NULL, "%s", h.text);
        ug_hop(&gw[(j + 1) % 3], &u[j], 18, "2", &h);
        ck_assert_msg(strstr(h.text, "last 4 digits") != NULL, "%s", h.text);
    }
    /* The digits of all ten, sent before any answer is read. */
    for (int j = 0; j < 10; j++) {
        static const char *const digits[] = {"0011", "0022", "0033", "0044", "0055",
                                             "0066", "0077", "0088", "0099", "0100"};
        ug_mo_make(&mo, &u[j], 18, digits[j], 4, 0);
        mo.sequence_number = seq[j] = gw[(j + 2) % 3].seq++;
        ug_send(&gw[(j + 2) % 3], &mo);
    }
    for (int j = 0; j < 10; j++) {
        ug_collect(&gw[(j + 2) % 3], seq[j], &h, 1);
        ck_assert_uint_eq(h.status, SMPP_ESME_ROK);
    }
    for (int t = 0; t < 50 && (issued = cd_events(0, "code.issued")) < 10; t++)
        usleep(100000);
    usleep(500000); /* a second issue of one would come in that time */
    ck_assert_int_eq(cd_events(1, "code.issued"), 10);
    ck_assert_int_eq(cd_events(2, "code.refused"), 0);
    /* the rows of three nodes' passes: one chain */
    ck_assert_int_ge(cd_audit_rows(2), 10);
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

#define CD_APPENDS 300

/* Three appenders at once (the nodes' keys, their own connections), the
   nodes running beside them: every append made, one chain of them all. */
START_TEST(test_audit_appends_three_at_once)
{
    pid_t pid[3];
    long before, after;
    uint64_t t0, ms;
    int one = 0;

    cd_start();
    before = cd_audit_rows(0);
    /* one alone first: what three at once are compared with (doc/cluster.md 5.2) */
    t0 = kp_clock_us();
    ck_assert_int_ge(pid[0] = fork(), 0);
    if (pid[0] == 0)
        cd_appender(&c, 0, CD_APPENDS);
    ck_assert_int_eq(waitpid(pid[0], &one, 0), pid[0]);
    ck_assert_msg(WIFEXITED(one) && WEXITSTATUS(one) == 0, "appender alone: status %d", one);
    ms = (kp_clock_us() - t0) / 1000;
    fprintf(stderr, "cluster_dialogs: %d audit appends from 1 process in %llu ms (%.0f/s)\n",
            CD_APPENDS, (unsigned long long)ms, ms ? 1000.0 * CD_APPENDS / (double)ms : 0.0);
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
    ck_assert_int_eq(after, before + 4 * CD_APPENDS);
}
END_TEST

/* Read what gw's node sends until n responses to our MOs came (screens
   answered as a gateway does); how many were not ESME_ROK. */
static int cd_drain(struct ug_gw *g, int n)
{
    struct smpp_pdu p, r;
    int got = 0, bad = 0;

    while (got < n) {
        ck_assert_msg(tu_smpp_recv(g->fd, &p, 10000) == 0, "no answer after %d of %d", got, n);
        if (p.command_id == SMPP_SUBMIT_SM_RESP) {
            got++;
            bad += p.command_status != SMPP_ESME_ROK;
        } else if (p.command_id == SMPP_DELIVER_SM || p.command_id == SMPP_DATA_SM ||
                   p.command_id == SMPP_ENQUIRE_LINK) {
            smpp_pdu_init(&r, smpp_resp_id(p.command_id), p.sequence_number);
            ck_assert_int_eq(tu_smpp_send(g->fd, &r), 0);
        }
    }
    return bad;
}

/*
 * Two nodes' passes writing the same dialog rows at once (one dialog's hop
 * offered to two nodes: a gateway's retry after a timeout), in opposite
 * orders: each node writes its pass's rows in key order, so no deadlock
 * fails a pass.  Before the order (the hops' order), PostgreSQL found
 * deadlocks and failed passes (ESME_RTHROTTLED) within a few rounds.
 */
START_TEST(test_same_rows_no_deadlock)
{
    enum { K = 24, ROUNDS = 12 };
    struct ug_dlg u[2][K];
    struct ug_hop h;
    struct smpp_pdu mo;
    char msisdn[24]; /* room for any int: -O1 (make debug) checks it */
    int bad = 0;

    cd_start();
    for (int j = 0; j < K; j++) {
        snprintf(msisdn, sizeof(msisdn), "9230000%05d", 300 + j);
        ug_dlg_init(&u[0][j], msisdn, 10 + j);
        ug_hop(&gw[0], &u[0][j], 1, "*789#", &h);
        u[1][j] = u[0][j];
    }
    for (int round = 0; round < ROUNDS; round++) {
        /* "1" then back ("0") keeps every dialog between two screens */
        const char *text = round % 2 ? "0" : "1";
        for (int j = 0; j < K; j++) {
            ug_mo_make(&mo, &u[0][j], 18, text, 1, 0);
            mo.sequence_number = gw[0].seq++;
            ug_send(&gw[0], &mo);
            ug_mo_make(&mo, &u[1][K - 1 - j], 18, text, 1, 0);
            mo.sequence_number = gw[1].seq++;
            ug_send(&gw[1], &mo);
        }
        bad += cd_drain(&gw[0], K) + cd_drain(&gw[1], K);
    }
    for (int i = 0; i < 2; i++) {
        char *log = tu_daemon_log(&c.node[i]);
        ck_assert_msg(strstr(log, "deadlock") == NULL, "node %d: a deadlock:\n%s", i, log);
        free(log);
    }
    ck_assert_int_eq(bad, 0);
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
    tcase_add_test(tc, test_transcripts_round_the_nodes);
    tcase_add_test(tc, test_language_other_node);
    tcase_add_test(tc, test_department_edit_every_node);
    tcase_add_test(tc, test_kill_node_mid_dialog);
    tcase_add_test(tc, test_audit_appends_three_at_once);
    tcase_add_test(tc, test_code_requests_three_nodes);
    tcase_add_test(tc, test_same_rows_no_deadlock);
    suite_add_tcase(s, tc);
    return s;
}
