/* SPDX-License-Identifier: ISC */
/*
 * security, codes (issue 8, items 7, 8, 9a, 9b, 9d, 10): attacks on the
 * one-time codes and the SMS that carry them, each against the real
 * kpassd on 127.0.0.1 through a USSD gateway (tests/ussdgw.h) and an SMS
 * centre bound as partner "smsc".  Issue limits above 8 hold; the database
 * file and its WAL never hold a live or past code; the /metrics counters
 * and the USSD screens are the same for registered and unregistered
 * callers; "My registration" shows 2 digits of the CNIC and is limited; the
 * right and wrong CNIC digits take the same time to answer; a message sent
 * again after kill -9 keeps its concatenation reference.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "kpass/core/buf.h"
#include "kpass/id/keys.h"
#include "kpass/id/otp.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "kpass/text/text.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

static struct tu_daemon d;

/* Registered callers of etc/seed/citizens.csv and their CNICs' last 4. */
#define REG1    "923000000101"
#define REG1_L4 "0011"
#define REG2    "923110000102"
#define REG2_L4 "0022"
#define REG3    "923210000103"
#define REG3_L4 "0033"
#define UNREG   "923459999999"
#define CODE_SENT                                                                                  \
    "If this number is registered and the digits are right, a code will arrive by SMS."
#define TRY_LATER "Too many requests."

static void sec_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* The seed and its citizens, gateway "gw" (no SMS) and SMS centre "smsc",
   extra config appended; started unless start is 0. */
static void sec_daemon(const char *extra, int start)
{
    char citizens[1100], *out = NULL;
    int rc;

    tu_daemon_prepare(&d, extra);
    ug_seed(&d);
    snprintf(citizens, sizeof(citizens), "%s/etc/seed/citizens.csv", tu_top());
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "citizens", citizens, NULL) == 0, "%s", out);
    free(out);
    rc = tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", "--no-sms", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    rc = tu_kpass(&d, "smsc-pw\n", &out, "partner", "add", "smsc", "--sms", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    if (start)
        tu_daemon_start(&d);
}

/* A code request over USSD: the purpose menu's first option, then last4.
   The screens of each step into steps[0..3] when not NULL. */
static void code_request(struct ug_gw *g, const char *addr, int session, const char *last4,
                         struct ug_hop *h, struct ug_hop steps[4])
{
    static const char *const path[] = {"*789#", "4", "1"};
    struct ug_dlg u;

    ug_dlg_init(&u, addr, session);
    for (int i = 0; i < 3; i++) {
        ug_hop(g, &u, i == 0 ? USSD_OP_PSSR_IND : USSD_OP_USSR_CONF, path[i], h);
        if (steps)
            steps[i] = *h;
    }
    ug_hop(g, &u, USSD_OP_USSR_CONF, last4, h);
    if (steps)
        steps[3] = *h;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Poll sql until it gives want, for at most 5 s. */
static long long sql_wait(const char *sql, long long want)
{
    char db[600];
    long long v = -1;

    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    for (int i = 0; i < 100 && (v = tu_sql_int(db, sql)) != want; i++)
        usleep(50000);
    return v;
}

/* ---- item 7: issue_window_max above 8 ---- */

static const unsigned window_max[] = {9, 10};

/* With issue_window_max N, the N-th code request in the window gets its
   code and the next one is refused (the limit was capped at 8). */
START_TEST(test_window_max_above_8)
{
    char conf[128];
    unsigned n = window_max[_i];
    struct ug_gw g;
    struct ug_hop h;

    snprintf(conf, sizeof(conf), "[otp]\nissue_gap = 0s\nissue_window_max = %u\n", n);
    sec_daemon(conf, 1);
    ug_bind(&g, &d, "gw", "gw-pw");
    for (unsigned i = 1; i <= n + 1; i++) {
        code_request(&g, REG1, (int)i, REG1_L4, &h, NULL);
        if (i <= n)
            ck_assert_msg(strncmp(h.text, CODE_SENT, strlen(CODE_SENT)) == 0,
                          "request %u of %u: %s", i, n, h.text);
        else
            ck_assert_msg(strncmp(h.text, TRY_LATER, strlen(TRY_LATER)) == 0,
                          "request %u with issue_window_max %u was not refused: %s", i, n, h.text);
    }
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM otp_code", n), n);
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM sms_outbox WHERE is_code = 1", n), n);
    close(g.fd);
}
END_TEST

/* ---- item 8: no code at rest ---- */

/* Does hay hold "is <code>" as ASCII or as UCS-2 (big-endian, SMPP's)? */
static int holds_code(const uint8_t *hay, size_t n, const char *code)
{
    char ascii[16];
    uint8_t ucs2[32];
    size_t al, ul = 0;

    al = (size_t)snprintf(ascii, sizeof(ascii), "is %s", code);
    for (size_t i = 0; i < al; i++) {
        ucs2[ul++] = 0;
        ucs2[ul++] = (uint8_t)ascii[i];
    }
    for (size_t i = 0; i + ul <= n; i++)
        if ((i + al <= n && memcmp(hay + i, ascii, al) == 0) || memcmp(hay + i, ucs2, ul) == 0)
            return 1;
    /* the bare 6 digits next to the message's text, whatever the encoding */
    for (size_t i = 0; i + 6 <= n; i++)
        if (memcmp(hay + i, code, 6) == 0 && i >= 4 && memcmp(hay + i - 4, " is", 3) == 0)
            return 1;
    return 0;
}

/* The database file and its WAL, as bytes. */
static void db_snapshot(uint8_t **db, size_t *dbn, uint8_t **wal, size_t *waln)
{
    char path[600];

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    *db = tu_read_file(path, dbn);
    ck_assert_ptr_nonnull(*db);
    snprintf(path, sizeof(path), "%s/kpass.db-wal", d.dir);
    *wal = tu_read_file(path, waln);
    if (*wal == NULL) {
        *wal = calloc(1, 1);
        *waln = 0;
    }
}

/* Receive one code SMS on the SMS centre's link, answer it with status
   (a permanent refusal makes it final, and so scrubbed at once: in server
   mode a deliver_sm_resp carries no message_id a receipt could name), and
   take the code out of its text. */
static void sms_take_code(int fd, uint32_t status, char code[7], char dest[24])
{
    struct smpp_pdu p, r;
    struct kp_buf t = KP_BUF_INIT;
    const char *at;

    ck_assert_int_eq(tu_smpp_expect(fd, SMPP_DELIVER_SM, &p, 10000), 0);
    ck_assert_int_ge(text_decode(p.sm.short_message, p.sm.sm_length, p.sm.data_coding, &t), 0);
    at = strstr(t.data, " is ");
    ck_assert_msg(at != NULL && strspn(at + 4, "0123456789") == 6, "no code in: %s", t.data);
    memcpy(code, at + 4, 6);
    code[6] = '\0';
    snprintf(dest, 24, "%.23s", p.sm.destination_addr);
    kp_buf_free(&t);
    smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, p.sequence_number);
    r.command_status = status;
    ck_assert_int_eq(tu_smpp_send(fd, &r), 0);
}

/* Is code the one whose keyed hash the daemon stored for the newest code
   sent to msisdn (purpose identity, over USSD)?  The test reads otp.key. */
static int code_is_issued(const char *msisdn, const char *code)
{
    char db[600], keys[600], cid[24];
    uint8_t *key = NULL, hash[OTP_HASH_BYTES];
    struct kp_buf err = KP_BUF_INIT;
    sqlite3 *h;
    sqlite3_stmt *s;
    int ok = 0;

    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    snprintf(keys, sizeof(keys), "%s/keys", d.dir);
    ck_assert_int_eq(keys_secret_load(keys, "otp.key", &key, &err), 0);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h,
                                        "SELECT citizen_id, hash FROM otp_code WHERE msisdn = "
                                        "?1 ORDER BY id DESC LIMIT 1",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, msisdn, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 1) == OTP_HASH_BYTES) {
        snprintf(cid, sizeof(cid), "%lld", (long long)sqlite3_column_int64(s, 0));
        memcpy(hash, sqlite3_column_blob(s, 1), OTP_HASH_BYTES);
        struct otp_binding b = {cid, "identity", "", ""};
        ok = otp_code_verify(key, code, &b, hash) == 0;
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    keys_secret_free(key);
    kp_buf_free(&err);
    return ok;
}

/* Codes queued for three citizens: neither the database nor its WAL holds
   any of them while they wait, nor after they reached a final state and
   were scrubbed; the phones get the right codes, and `kpass sms list`
   shows none. */
START_TEST(test_no_code_at_rest)
{
    static const char *const who[3][2] = {{REG1, REG1_L4}, {REG2, REG2_L4}, {REG3, REG3_L4}};
    uint8_t *db, *wal, *db2, *wal2;
    size_t dbn, waln, dbn2, waln2;
    char codes[3][7], dest[3][24], *out = NULL;
    struct ug_gw g;
    struct ug_hop h;
    uint32_t status;
    int fd;

    sec_daemon(NULL, 1);
    ug_bind(&g, &d, "gw", "gw-pw");
    for (int i = 0; i < 3; i++) {
        code_request(&g, who[i][0], 10 + i, who[i][1], &h, NULL);
        ck_screen_starts(&h, CODE_SENT);
    }
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM sms_outbox WHERE is_code = 1 AND state = "
                              "'queued'",
                              3),
                     3);
    db_snapshot(&db, &dbn, &wal, &waln);
    /* the file can be searched for any code: the ones issued are read from
       the phones below, and checked against this snapshot then */
    /* the SMS centre binds: the codes go out, are answered, and delivered */
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "smsc", "smsc-pw", &status);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(status, SMPP_ESME_ROK);
    for (int i = 0; i < 3; i++)
        sms_take_code(fd, SMPP_ESME_RINVDSTADR, codes[i], dest[i]);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(!holds_code(db, dbn, codes[i]), "code %d in the database before delivery", i);
        ck_assert_msg(!holds_code(wal, waln, codes[i]), "code %d in the WAL before delivery", i);
    }
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM sms_outbox WHERE is_code = 1 AND state = "
                              "'failed' AND body IS NULL AND code_box IS NULL",
                              3),
                     3);
    db_snapshot(&db2, &dbn2, &wal2, &waln2);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(!holds_code(db2, dbn2, codes[i]), "code %d in the database after scrub", i);
        ck_assert_msg(!holds_code(wal2, waln2, codes[i]), "code %d in the WAL after scrub", i);
    }
    /* each phone got its own code, the one the daemon will verify */
    for (int i = 0; i < 3; i++) {
        char msisdn[24];
        ck_assert_str_eq(dest[i], who[i][0]);
        snprintf(msisdn, sizeof(msisdn), "+%s", who[i][0]);
        ck_assert_msg(code_is_issued(msisdn, codes[i]), "phone %d got a code not issued", i);
    }
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "sms", "list", NULL), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(strstr(out, codes[i]) == NULL, "a code in sms list:\n%s", out);
    free(out);
    free(db);
    free(wal);
    free(db2);
    free(wal2);
    close(fd);
    close(g.fd);
}
END_TEST

/* ---- item 10: the concatenation reference after kill -9 ---- */

/* The UDH concatenation reference of a part (IEI 0 or 8, 3GPP TS 23.040
   §9.2.3.24.1 and .8), -1 when it has none. */
static int udh_ref(const struct smpp_pdu *p)
{
    const uint8_t *m = p->sm.short_message;

    if (!(p->sm.esm_class & 0x40) || p->sm.sm_length < 6)
        return -1;
    if (m[1] == 0x00 && m[2] == 3)
        return m[3];
    if (m[1] == 0x08 && m[2] == 4)
        return m[3] << 8 | m[4];
    return -1;
}

/* Read n parts on fd; refs[i] and dest[i]; answered (ROK) only for parts
   to ack_dest. */
static void sms_parts(int fd, int n, int refs[], char dests[][24], const char *ack_dest)
{
    struct smpp_pdu p, r;

    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(tu_smpp_expect(fd, SMPP_DELIVER_SM, &p, 10000), 0);
        refs[i] = udh_ref(&p);
        snprintf(dests[i], 24, "%.23s", p.sm.destination_addr);
        if (ack_dest && strcmp(p.sm.destination_addr, ack_dest) == 0) {
            smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, p.sequence_number);
            snprintf(r.message_id, sizeof(r.message_id), "a%d", i);
            ck_assert_int_eq(tu_smpp_send(fd, &r), 0);
        }
    }
}

/* Two messages of two parts each go out; the first is answered, then
   kpassd is killed before the second is: after the restart the second is
   sent again with the concatenation reference it had, which is stored. */
START_TEST(test_concat_ref_kept)
{
    char db[600], sql[1024], text[301], dests[4][24], dests2[4][24];
    int refs[4], refs2[4], fd, bref = -1;
    uint32_t status;
    long long a, b;

    sec_daemon(NULL, 0);
    memset(text, 'x', 300);
    text[300] = '\0';
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    snprintf(sql, sizeof(sql),
             "INSERT INTO sms_outbox (msisdn, body, is_code, state, next_attempt_at, "
             "expires_at, created_at, updated_at) VALUES ('%s', '%s', 0, 'queued', 0, "
             "4000000000, 0, 0) RETURNING id",
             "+923000000101", text);
    a = tu_sql_int(db, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO sms_outbox (msisdn, body, is_code, state, next_attempt_at, "
             "expires_at, created_at, updated_at) VALUES ('%s', '%s', 0, 'queued', 0, "
             "4000000000, 0, 0) RETURNING id",
             "+923110000102", text);
    b = tu_sql_int(db, sql);
    ck_assert_int_gt(b, a);
    tu_daemon_start(&d);
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "smsc", "smsc-pw", &status);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(status, SMPP_ESME_ROK);
    sms_parts(fd, 4, refs, dests, "923000000101");
    for (int i = 0; i < 4; i++) {
        ck_assert_int_ge(refs[i], 0);
        if (strcmp(dests[i], "923110000102") == 0)
            bref = refs[i];
    }
    ck_assert_int_ge(bref, 0);
    snprintf(sql, sizeof(sql), "SELECT state = 'sent' FROM sms_outbox WHERE id = %lld", a);
    ck_assert_int_eq(sql_wait(sql, 1), 1);
    /* killed with the second message's parts unanswered */
    tu_daemon_stop(&d, SIGKILL);
    close(fd);
    tu_daemon_start(&d);
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "smsc", "smsc-pw", &status);
    ck_assert_int_ge(fd, 0);
    sms_parts(fd, 2, refs2, dests2, "923110000102");
    for (int i = 0; i < 2; i++) {
        ck_assert_str_eq(dests2[i], "923110000102");
        ck_assert_msg(refs2[i] == bref, "sent again with reference %d, first sent with %d",
                      refs2[i], bref);
    }
    snprintf(sql, sizeof(sql), "SELECT concat_ref FROM sms_outbox WHERE id = %lld", b);
    ck_assert_int_eq(tu_sql_int(db, sql), bref);
    /* the first message was not sent again */
    struct smpp_pdu p;
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 500), -1);
    close(fd);
}
END_TEST

/* ---- item 9a: /metrics ---- */

/* GET /metrics with curl; the body (malloc'd) and the status. */
static char *metrics_get(const char *bearer, int *status)
{
    char url[128], auth[300], *out = NULL, *argv[12];
    int i = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", d.http_port);
    argv[i++] = (char *)"/usr/bin/curl";
    argv[i++] = (char *)"-s";
    argv[i++] = (char *)"-w";
    argv[i++] = (char *)"\n%{http_code}";
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        argv[i++] = (char *)"-H";
        argv[i++] = auth;
    }
    argv[i++] = url;
    argv[i] = NULL;
    ck_assert_int_eq(tu_run(argv, NULL, &out, 20000), 0);
    char *nl = strrchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    *status = atoi(nl + 1);
    *nl = '\0';
    return out;
}

/* The value of the sample line "name{labels}" in a scrape, or -1. */
static double metric(const char *scrape, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = scrape; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, line, n) == 0 && p[n] == ' ')
            return atof(p + n + 1);
    return -1;
}

/*
 * What one code request moved: every sample of after whose value differs
 * from before, as "line delta\n".  Left out: the hop and commit timing
 * histograms (time, not outcome: how many commits a request takes depends
 * on how the loop's passes fall, and an SMS that goes out adds its own), and the SMS outbox and
 * dispatch samples: an SMS that goes out is an event on the network whoever watches, and the
 * issue+queue happens after the reply anyway.
 */
static void metrics_moved(const char *before, const char *after, struct kp_buf *out)
{
    char line[256];

    for (const char *p = after; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *sp = memrchr(p, ' ', n);
        if (p[0] != '#' && sp && (size_t)(sp - p) < sizeof(line)) {
            snprintf(line, sizeof(line), "%.*s", (int)(sp - p), p);
            if (strncmp(line, "kpass_ussd_hop_seconds", 22) != 0 &&
                strncmp(line, "kpass_db_commit_seconds", 23) != 0 &&
                strncmp(line, "kpass_sms_", 10) != 0) {
                double was = metric(before, line), now = atof(sp + 1);
                if (was != now)
                    kp_buf_printf(out, "%s %g\n", line, now - (was < 0 ? 0 : was));
            }
        }
        p = nl ? nl + 1 : NULL;
    }
}

/* A code request for a registered number and one for an unregistered
   number move the metrics the same way. */
START_TEST(test_metrics_same_either_way)
{
    struct kp_buf m1 = KP_BUF_INIT, m2 = KP_BUF_INIT;
    char *s0, *s1, *s2;
    struct ug_gw g;
    struct ug_hop h;
    int st;

    sec_daemon("[http]\nenabled = yes\n", 1);
    ug_bind(&g, &d, "gw", "gw-pw");
    s0 = metrics_get(NULL, &st);
    ck_assert_int_eq(st, 200);
    code_request(&g, REG1, 1, REG1_L4, &h, NULL);
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM otp_code", 1), 1);
    s1 = metrics_get(NULL, &st);
    code_request(&g, UNREG, 2, REG1_L4, &h, NULL);
    usleep(200000);
    s2 = metrics_get(NULL, &st);
    metrics_moved(s0, s1, &m1);
    metrics_moved(s1, s2, &m2);
    ck_assert_msg(m1.data && m2.data && strcmp(m1.data, m2.data) == 0,
                  "registered moved:\n%s\nunregistered moved:\n%s", m1.data ? m1.data : "",
                  m2.data ? m2.data : "");
    kp_buf_free(&m1);
    kp_buf_free(&m2);
    free(s0);
    free(s1);
    free(s2);
    close(g.fd);
}
END_TEST

/* With [http] metrics_token_file, /metrics wants that bearer token. */
START_TEST(test_metrics_token)
{
    char path[600], *s;
    int st;

    tu_daemon_prepare(&d, NULL);
    snprintf(path, sizeof(path), "%s/metrics.token", d.dir);
    tu_write_file(path, "s3cret-metrics-token-0123456789\n");
    ck_assert_int_eq(chmod(path, 0600), 0);
    {
        char *text = (char *)tu_read_file(d.conf, NULL);
        struct kp_buf b = KP_BUF_INIT;
        kp_buf_printf(&b, "%s\n[http]\nenabled = yes\nmetrics_token_file = %s\n", text, path);
        tu_write_file(d.conf, b.data);
        kp_buf_free(&b);
        free(text);
    }
    tu_daemon_start(&d);
    s = metrics_get(NULL, &st);
    ck_assert_int_eq(st, 401);
    free(s);
    s = metrics_get("wrong-token", &st);
    ck_assert_int_eq(st, 401);
    free(s);
    s = metrics_get("s3cret-metrics-token-0123456789", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_ptr_nonnull(strstr(s, "kpass_ussd_hops_total"));
    free(s);
}
END_TEST

/* ---- item 9b: "My registration" ---- */

/* The registration screen shows 2 digits of the CNIC, not the 4 the code
   screen asks for, and a second look within the minute is refused. */
START_TEST(test_registration_masked_and_limited)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    const char *cnic;

    sec_daemon(NULL, 1);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, REG1, 1);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*5#", &h);
    cnic = strstr(h.text, "CNIC ");
    ck_assert_msg(cnic != NULL, "%s", h.text);
    ck_assert_msg(strstr(h.text, "0001-1") == NULL && strstr(h.text, "001-1") == NULL,
                  "more than 2 digits of the CNIC shown: %s", h.text);
    ck_assert_msg(strstr(cnic, "***-*****01-1") != NULL || strstr(cnic, "*1-1") != NULL, "%s",
                  h.text);
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, REG1, 2);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*5#", &h);
    ck_assert_msg(strncmp(h.text, TRY_LATER, strlen(TRY_LATER)) == 0,
                  "a second look within the minute: %s", h.text);
    /* an unregistered number is limited the same way */
    ug_dlg_init(&u, UNREG, 3);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*5#", &h);
    ck_screen_starts(&h, "This number is not registered.");
    ug_hop_raw(&g, &u, 0x81, "", 0, 0, &h, 0);
    ug_dlg_init(&u, UNREG, 4);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*5#", &h);
    ck_screen_starts(&h, TRY_LATER);
    close(g.fd);
}
END_TEST

/* ---- item 9d: the same time for right and wrong digits ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

#define TIMING_TRIES 41

/* One reply of u, timed from its sending to its response (ms): the work
   the daemon does before it answers, without the screen's trip. */
static double timed_hop(struct ug_gw *g, struct ug_dlg *u, const char *text, struct ug_hop *h)
{
    struct smpp_pdu mo, p;
    double t0, t = -1;

    ug_mo_make(&mo, u, USSD_OP_USSR_CONF, text, strlen(text), 0);
    mo.sequence_number = g->seq++;
    t0 = now_ms();
    ug_send(g, &mo);
    memset(h, 0, sizeof(*h));
    while (t < 0 || !h->screen) {
        ck_assert_int_eq(tu_smpp_recv(g->fd, &p, 5000), 0);
        if (p.command_id == SMPP_SUBMIT_SM_RESP) {
            t = now_ms() - t0;
        } else if (p.command_id == SMPP_DELIVER_SM) {
            struct kp_buf b = KP_BUF_INIT;
            struct smpp_pdu r;
            ck_assert_int_ge(text_decode(p.sm.short_message, p.sm.sm_length, p.sm.data_coding, &b),
                             0);
            snprintf(h->text, sizeof(h->text), "%s", b.data ? b.data : "");
            kp_buf_free(&b);
            h->screen = 1;
            smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, p.sequence_number);
            ck_assert_int_eq(tu_smpp_send(g->fd, &r), 0);
        }
    }
    u->seq = (u->seq + 1) & 0x7F;
    return t;
}

/* The last hop of a code request (the digits) takes the same time whether
   they are right or wrong: medians of interleaved tries. */
START_TEST(test_code_timing)
{
    double right[TIMING_TRIES], wrong[TIMING_TRIES], mr, mw;
    int one = 1;
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;

    sec_daemon("[otp]\nissue_gap = 0s\nissue_window_max = 1000\n", 1);
    ug_bind(&g, &d, "gw", "gw-pw");
    /* no Nagle: the MO leaves at once, not after the ack of the last screen's response */
    ck_assert_int_eq(setsockopt(g.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
    for (int i = 0; i < 2 * TIMING_TRIES; i++) {
        int ok = i % 2 == 0;
        ug_dlg_init(&u, REG1, 100 + i);
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*4*1#", &h);
        double t = timed_hop(&g, &u, ok ? REG1_L4 : "0012", &h);
        ck_screen_starts(&h, CODE_SENT);
        (ok ? right : wrong)[i / 2] = t;
    }
    qsort(right, TIMING_TRIES, sizeof(double), cmp_double);
    qsort(wrong, TIMING_TRIES, sizeof(double), cmp_double);
    mr = right[TIMING_TRIES / 2];
    mw = wrong[TIMING_TRIES / 2];
    fprintf(stderr, "sec_codes: median right %.3f ms, wrong %.3f ms\n", mr, mw);
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM otp_code", TIMING_TRIES), TIMING_TRIES);
    /* Before the fix the right digits took about twice as long (0.3 ms
       against 0.15 ms); a third of the wrong digits' time, and 30 us for
       the clock, is generous for noise and far below that. */
    ck_assert_msg(mr - mw < 0.3 * mw + 0.03, "right digits answer %.3f ms slower than wrong (%.3f)",
                  mr - mw, mw);
    close(g.fd);
}
END_TEST

/* The requests are durable before their answer: ones a stop left answered
   and not issued (written here as a crash would leave them) are issued at
   the next start, and the ones that matched nothing are dropped. */
START_TEST(test_requests_survive_a_stop)
{
    char db[600];

    sec_daemon(NULL, 0);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_gt(tu_sql_int(db, "INSERT INTO code_request (msisdn, purpose, citizen_id, at) "
                                    "SELECT '+923000000101', 'identity', citizen_id, 0 FROM "
                                    "citizen_msisdn WHERE msisdn = '+923000000101' RETURNING id"),
                     0);
    ck_assert_int_gt(tu_sql_int(db, "INSERT INTO code_request (msisdn, purpose, citizen_id, at) "
                                    "VALUES ('+923459999999', 'identity', NULL, 0) RETURNING id"),
                     0);
    tu_daemon_start(&d);
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM code_request", 0), 0);
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM otp_code WHERE msisdn = '+923000000101'", 1),
                     1);
    ck_assert_int_eq(sql_wait("SELECT count(*) FROM sms_outbox WHERE is_code = 1", 1), 1);
}
END_TEST

/* ---- already holds: no enumeration ---- */

/* Every screen of the code branch is byte-identical for a registered
   number with the right digits, the same with wrong digits, and an
   unregistered number. */
START_TEST(test_enumeration_identical)
{
    struct ug_hop a[4], b[4], c[4], h;
    struct ug_gw g;

    sec_daemon(NULL, 1);
    ug_bind(&g, &d, "gw", "gw-pw");
    code_request(&g, REG1, 1, REG1_L4, &h, a);
    code_request(&g, REG2, 2, "9999", &h, b);
    code_request(&g, UNREG, 3, REG1_L4, &h, c);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(a[i].text, b[i].text);
        ck_assert_str_eq(a[i].text, c[i].text);
        ck_assert_uint_eq(a[i].dc, c[i].dc);
        ck_assert_uint_eq(a[i].op, c[i].op);
        ck_assert_uint_eq(a[i].cmd, c[i].cmd);
        ck_assert_uint_eq(a[i].dc, b[i].dc);
        ck_assert_uint_eq(a[i].op, b[i].op);
    }
    ck_screen_starts(&a[3], CODE_SENT);
    close(g.fd);
}
END_TEST

/* One case per test, so that CK_RUN_CASE picks one. */
static void sec_case(Suite *s, const char *name, const TTest *t, int loops)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, NULL, sec_teardown);
    tcase_set_timeout(tc, 60);
    if (loops)
        tcase_add_loop_test(tc, t, 0, loops);
    else
        tcase_add_test(tc, t);
    suite_add_tcase(s, tc);
}

Suite *suite_sec_codes(void)
{
    Suite *s = suite_create("sec_codes");

    sec_case(s, "window_max", test_window_max_above_8, KP_ARRAY_LEN(window_max));
    sec_case(s, "no_code_at_rest", test_no_code_at_rest, 0);
    sec_case(s, "concat_ref", test_concat_ref_kept, 0);
    sec_case(s, "metrics_same", test_metrics_same_either_way, 0);
    sec_case(s, "metrics_token", test_metrics_token, 0);
    sec_case(s, "registration", test_registration_masked_and_limited, 0);
    sec_case(s, "timing", test_code_timing, 0);
    sec_case(s, "requests_survive", test_requests_survive_a_stop, 0);
    sec_case(s, "enumeration", test_enumeration_identical, 0);
    return s;
}
