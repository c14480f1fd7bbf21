/* SPDX-License-Identifier: ISC */
/*
 * Department apps end to end (issue 13): the real kpassd with menus whose
 * app screens hand branches to the example apps in tests/peers/apps/
 * (node, independent of kpass), driven over SMPP by the test gateway.
 * A dialog of several hops with CON and END; the pseudonyms the apps get
 * (never the number or the CNIC); the app's refusal of a forged, a
 * replayed and a stale request; an app that answers too late; the circuit
 * breaker; `kpass app` itself.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/core/clock.h"
#include "kpass/menu/menu.h"
#include "kpass/ussd/app.h"
#include "kpass/ussd/builtins.h"
#include "kpass/ussd/ussd.h"
#include "smpputil.h"
#include "testutil.h"
#include "ussdgw.h"

static const char apps_menu[] =
    "screen main menu\n"
    "  title \"Departments\"\n"
    "  option \"Vehicle tax\" -> tax_cnic\n"
    "  option \"Land record\" -> fard\n"
    "  option \"Sehat Card\" -> sehat_cnic\n"
    "screen tax_cnic input sensitive\n"
    "  text \"Enter your CNIC\"\n"
    "  var cnic\n"
    "  accept cnic\n"
    "  -> tax\n"
    "screen tax app excise\n"
    "  var cnic\n"
    "  on timeout -> slow\n"
    "  on unavailable -> down\n"
    "  on error -> down\n"
    "screen sehat_cnic input sensitive\n"
    "  text \"Enter your CNIC\"\n"
    "  var cnic\n"
    "  accept cnic\n"
    "  -> sehat\n"
    "screen sehat app sehat\n"
    "  var cnic\n"
    "  else -> down\n"
    "screen fard app fard\n"
    "  else -> down\n"
    "screen slow end\n"
    "  text \"The department did not answer in time. Please try again later.\"\n"
    "screen down end\n"
    "  text \"Service unavailable, try later.\"\n";

#define CNIC_OWN   "17301-1234567-1"
#define CNIC_OTHER "17301-7654321-9"
#define CALLER     "923001234567"
#define SECRET     "a shared secret of forty bytes, for tests"

static struct tu_daemon d;
static struct tu_proc app;
static char menus[512], secret[600];
static int app_running;

static long long dsql(const char *sql)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/kpass.db", d.dir);
    return tu_sql_int(path, sql);
}

/* Point d's [ussd] menus at dir (extra: more [ussd] lines after it). */
static void conf_menus_with(const char *dir, const char *extra)
{
    char *conf = (char *)tu_read_file(d.conf, NULL), *p, line[700];
    struct kp_buf b = KP_BUF_INIT;

    ck_assert_ptr_nonnull(conf);
    ck_assert_ptr_nonnull(p = strstr(conf, "menus = "));
    kp_buf_append(&b, conf, (size_t)(p - conf));
    snprintf(line, sizeof(line), "menus = %s\n%s", dir, extra);
    kp_buf_puts(&b, line);
    kp_buf_puts(&b, strchr(p, '\n') + 1);
    ck_assert_int_eq(tu_write_file(d.conf, b.data), 0);
    kp_buf_free(&b);
    free(conf);
}

static void world_start_with(const char *extra);

/* kpassd with the apps menu, partner gw, a citizen registered with CALLER's number. */
static void world_start(void)
{
    world_start_with("");
}

static void world_start_with(const char *extra)
{
    char path[1024], *out = NULL;

    tu_daemon_prepare(&d, NULL);
    snprintf(menus, sizeof(menus), "%s/apps-menus", d.dir);
    ck_assert_int_eq(mkdir(menus, 0700), 0);
    snprintf(path, sizeof(path), "%s/main.menu", menus);
    ck_assert_int_eq(tu_write_file(path, apps_menu), 0);
    snprintf(secret, sizeof(secret), "%s/app.secret", d.dir);
    ck_assert_int_eq(tu_write_file(secret, SECRET "\n"), 0);
    chmod(secret, 0600);
    conf_menus_with(menus, extra);
    ug_seed(&d);
    ck_assert_int_eq(tu_kpass(&d, "gw-pw\n", &out, "partner", "add", "gw", NULL), 0);
    free(out);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "citizen", "add", CNIC_OWN, "--name-en=Sana Gul",
                           "--name-ur=ثناء گل", "--district=PSH", "--msisdn=+" CALLER, NULL) == 0,
                  "citizen add: %s", out);
    free(out);
    tu_daemon_start(&d);
    app_running = 0;
}

static void world_stop(void)
{
    if (app_running)
        tu_proc_stop(&app);
    tu_daemon_cleanup(&d); /* the menus and the secret are in its folder */
}

/* Start tests/peers/apps/<name>.js and register it as app name; its port. */
static int app_start(const char *name, const char *extra_opt, const char *extra_val)
{
    char script[64], url[128], *line, *out = NULL;
    int port, rc;

    snprintf(script, sizeof(script), "apps/%s.js", name);
    tu_peer_start(&app, script, "--secret-file", secret, "--max-time", "120000", NULL);
    app_running = 1;
    line = tu_proc_expect(&app, 5000, "\"listening\"", NULL);
    ck_assert_ptr_nonnull(line);
    port = (int)tu_json_int(line, "port");
    free(line);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ussd", port);
    rc = tu_kpass(&d, NULL, &out, "app", "add", name, "--department", "EXC", "--url", url,
                  "--secret-file", secret, "--service-code", "*789#", extra_opt, extra_val, NULL);
    ck_assert_msg(rc == 0, "app add: %s", out);
    free(out);
    return port;
}

/* The next request line the app printed. */
static char *app_request(void)
{
    char *line = tu_proc_expect(&app, 5000, "\"event\":\"request\"", NULL);

    ck_assert_msg(line != NULL, "the app saw no request; kpassd log:\n%s", tu_daemon_log(&d));
    return line;
}

/* A JSON string field "key":"..." of line into out. */
static void json_str(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    const char *p, *e;

    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    p = strstr(line, pat);
    ck_assert_msg(p != NULL, "no %s in %s", key, line);
    p += strlen(pat);
    e = strchr(p, '"');
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_lt((size_t)(e - p), cap);
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
}

START_TEST(test_excise_dialog)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char *req, sid[40], sid2[40], cid[40], phone[40];

    world_start();
    app_start("excise", "--timeout", "2s");
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 11);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789#", &h);
    ck_screen_starts(&h, "Departments\n1 Vehicle tax");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CNIC_OWN, &h);
    ck_assert_str_eq(h.text, "Excise & Taxation\nEnter vehicle number (e.g. LEA1234)");
    ck_assert_uint_eq(h.op, USSD_OP_USSR_REQ);
    req = app_request();
    /* the aggregator fields, and kpass's own: pseudonyms, never the number or the CNIC */
    ck_assert_ptr_nonnull(strstr(req, "\"text\":\"\""));
    ck_assert_ptr_nonnull(strstr(req, "\"serviceCode\":\"*789#\""));
    ck_assert_ptr_nonnull(strstr(req, "\"language\":\"en\""));
    ck_assert_ptr_null(strstr(req, "3001234567"));
    ck_assert_ptr_null(strstr(req, "1234567"));
    json_str(req, "sessionId", sid, sizeof(sid));
    json_str(req, "citizenId", cid, sizeof(cid));
    json_str(req, "phoneNumber", phone, sizeof(phone));
    ck_assert_uint_eq(strlen(cid), 32);
    ck_assert_uint_eq(strlen(phone), 32);
    free(req);

    ug_hop(&g, &u, USSD_OP_USSR_CONF, "LEA1234", &h);
    ck_assert_str_eq(h.text, "LEA1234: car, 1300cc\nToken tax due: Rs 4,500\nOwner verified\n"
                             "1 How to pay\n2 Done");
    req = app_request();
    ck_assert_ptr_nonnull(strstr(req, "\"text\":\"LEA1234\""));
    json_str(req, "sessionId", sid2, sizeof(sid2));
    ck_assert_str_eq(sid, sid2); /* one session for the app's whole dialog */
    ck_assert_ptr_nonnull(strstr(req, cid));
    free(req);

    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1", &h);
    ck_assert_str_eq(h.text,
                     "Pay at any Bank of Khyber branch or by 1LINK bill payment (Excise KP).");
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    req = app_request();
    ck_assert_ptr_nonnull(strstr(req, "\"text\":\"LEA1234*1\""));
    free(req);
    /* the pseudonym's disclosure is audited, without the CNIC */
    ck_assert_int_eq(dsql("SELECT count(*) FROM audit WHERE event = 'app.identified'"), 1);

    /* Someone else's CNIC typed on this phone: the app gets no citizenId,
       and the caller sees the same screens as anyone else. */
    ug_dlg_init(&u, CALLER, 12);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CNIC_OTHER, &h);
    ck_assert_str_eq(h.text, "Excise & Taxation\nEnter vehicle number (e.g. LEA1234)");
    req = app_request();
    ck_assert_ptr_nonnull(strstr(req, "\"citizenId\":\"\""));
    ck_assert_ptr_nonnull(strstr(req, phone)); /* the same number, the same pseudonym */
    json_str(req, "sessionId", sid2, sizeof(sid2));
    ck_assert_str_ne(sid, sid2);
    free(req);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "LEA1234", &h);
    ck_assert_str_eq(h.text, "LEA1234: car, 1300cc\nToken tax due: Rs 4,500\n1 How to pay\n2 Done");
    free(app_request());
    close(g.fd);
    world_stop();
}
END_TEST

/* Send a request to the app ourselves (curl): its HTTP status. */
static int app_post(int port, const char *ts, const char *sig, const char *text)
{
    char url[96], h1[64], h2[128], body[1100], *out = NULL;
    int rc;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ussd", port);
    snprintf(h1, sizeof(h1), "X-Kpass-Timestamp: %s", ts);
    snprintf(h2, sizeof(h2), "X-Kpass-Signature: %s", sig);
    snprintf(body, sizeof(body), "%s", text);
    char *argv[] = {"/usr/bin/curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-m",
                    "5",
                    "-H",
                    h1,
                    "-H",
                    h2,
                    "-H",
                    "Content-Type: application/x-www-form-urlencoded",
                    "--data-binary",
                    body,
                    url,
                    NULL};
    rc = tu_run(argv, NULL, &out, 8000);
    ck_assert_int_eq(rc, 0);
    rc = atoi(out);
    free(out);
    return rc;
}

START_TEST(test_app_refuses_forged_replayed_stale)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char *req, *line, body[1024], ts[24], sig[80], forged[1100], *p;
    int port;

    world_start();
    port = app_start("fard", NULL, NULL);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 21);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_str_eq(h.text, "Board of Revenue\nEnter your fard request number");
    req = app_request();
    json_str(req, "body", body, sizeof(body));
    json_str(req, "ts", ts, sizeof(ts));
    json_str(req, "sig", sig, sizeof(sig));
    free(req);
    /* the same request again, word for word: a replay */
    ck_assert_int_eq(app_post(port, ts, sig, body), 401);
    line = tu_proc_expect(&app, 5000, "\"refused\"", NULL);
    ck_assert_ptr_nonnull(strstr(line, "\"why\":\"replayed\""));
    free(line);
    /* the text changed under the same signature: a forgery */
    snprintf(forged, sizeof(forged), "%s", body);
    p = strstr(forged, "text=");
    ck_assert_ptr_nonnull(p);
    memmove(p + 9, p + 5, strlen(p + 5) + 1);
    memcpy(p + 5, "1001", 4);
    ck_assert_int_eq(app_post(port, ts, sig, forged), 401);
    line = tu_proc_expect(&app, 5000, "\"refused\"", NULL);
    ck_assert_ptr_nonnull(strstr(line, "\"why\":\"forged\""));
    free(line);
    /* a made-up signature */
    ck_assert_int_eq(app_post(port, ts, "v1=00", body), 401);
    line = tu_proc_expect(&app, 5000, "\"refused\"", NULL);
    ck_assert_ptr_nonnull(strstr(line, "\"why\":\"forged\""));
    free(line);
    /* signed with the secret, but ten minutes old (a fresh nonce, so only the time is wrong) */
    p = strstr(body, "nonce=");
    ck_assert_ptr_nonnull(p);
    memcpy(p + 6, "00000000", 8);
    snprintf(ts, sizeof(ts), "%lld", (long long)kp_time_s() - 600);
    ussd_app_sign((const uint8_t *)SECRET, strlen(SECRET), kp_time_s() - 600, body, strlen(body),
                  sig);
    ck_assert_int_eq(app_post(port, ts, sig, body), 401);
    line = tu_proc_expect(&app, 5000, "\"refused\"", NULL);
    ck_assert_ptr_nonnull(strstr(line, "\"why\":\"stale\""));
    free(line);
    /* kpassd's own next hop still goes through */
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1001", &h);
    ck_assert_str_eq(h.text, "Request 1001: ready for collection at the Arazi Record Centre.");
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    free(app_request());
    close(g.fd);
    world_stop();
}
END_TEST

START_TEST(test_timeout_and_breaker)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    uint64_t t0;
    char *line;

    world_start();
    app_start("fard", "--timeout", "300ms");
    ug_bind(&g, &d, "gw", "gw-pw");
    tu_proc_send(&app, "{\"cmd\":\"delay\",\"ms\":1500}");
    free(tu_proc_expect(&app, 5000, "\"ok\"", NULL));
    /* Too slow, three times: each caller gets the menus' timeout screen in time. */
    for (int i = 0; i < 3; i++) {
        ug_dlg_init(&u, CALLER, 30 + i);
        t0 = kp_clock_ms();
        ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
        ck_assert_str_eq(h.text, "Service unavailable, try later.");
        ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
        ck_assert_uint_lt(kp_clock_ms() - t0, 1200); /* the deadline, not the app's 1.5 s */
        free(app_request());
    }
    /* Cut off: answered at once without asking the app, even once it is quick again. */
    tu_proc_send(&app, "{\"cmd\":\"delay\",\"ms\":0}");
    free(tu_proc_expect(&app, 5000, "\"ok\"", NULL));
    ug_dlg_init(&u, CALLER, 40);
    t0 = kp_clock_ms();
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_str_eq(h.text, "Service unavailable, try later.");
    ck_assert_uint_lt(kp_clock_ms() - t0, 250);
    line = tu_proc_expect(&app, 600, "\"event\":\"request\"", NULL);
    ck_assert_ptr_null(line);
    line = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(line, "app fard cut off for 30s after 3 failures"));
    free(line);
    close(g.fd);
    world_stop();
}
END_TEST

/* The excise app's timeout branch: a screen that says what happened. */
START_TEST(test_timeout_screen_and_unavailable)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char *out = NULL;

    world_start();
    app_start("excise", "--timeout", "300ms");
    ug_bind(&g, &d, "gw", "gw-pw");
    tu_proc_send(&app, "{\"cmd\":\"delay\",\"ms\":1500}");
    free(tu_proc_expect(&app, 5000, "\"ok\"", NULL));
    ug_dlg_init(&u, CALLER, 50);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CNIC_OWN, &h);
    ck_assert_str_eq(h.text, "The department did not answer in time. Please try again later.");
    free(app_request());
    /* An HTTP error: the error branch. */
    tu_proc_send(&app, "{\"cmd\":\"delay\",\"ms\":0}");
    tu_proc_send(&app, "{\"cmd\":\"status\",\"code\":500}");
    free(tu_proc_expect(&app, 5000, "\"cmd\":\"status\"", NULL));
    ug_dlg_init(&u, CALLER, 51);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CNIC_OWN, &h);
    ck_assert_str_eq(h.text, "Service unavailable, try later.");
    free(app_request());
    /* An app without a row (sehat was never added): unavailable, at once. */
    ug_dlg_init(&u, CALLER, 52);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*3#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CNIC_OWN, &h);
    ck_assert_str_eq(h.text, "Service unavailable, try later.");
    /* Removed: in force at the next hop. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "remove", "excise", NULL), 0);
    free(out);
    ug_dlg_init(&u, CALLER, 53);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*1#", &h);
    ug_hop(&g, &u, USSD_OP_USSR_CONF, CNIC_OWN, &h);
    ck_assert_str_eq(h.text, "Service unavailable, try later.");
    close(g.fd);
    world_stop();
}
END_TEST

START_TEST(test_app_cli)
{
    char *out = NULL;

    world_start();
    /* plain http to another host, a secret others can read, a bad name */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "add", "x", "--department", "EXC", "--url",
                              "http://example.org/ussd", "--secret-file", secret, NULL),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "https:// elsewhere"));
    free(out);
    chmod(secret, 0644);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "add", "x", "--department", "EXC", "--url",
                              "https://example.org/ussd", "--secret-file", secret, NULL),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "readable by others"));
    free(out);
    chmod(secret, 0600);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "add", "Bad-Name", "--department", "EXC",
                              "--url", "https://example.org/ussd", "--secret-file", secret, NULL),
                     1);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "add", "x", "--department", "EXC", "--url",
                              "https://example.org/ussd", "--secret-file", secret, "--timeout",
                              "20s", NULL),
                     1);
    free(out);
    out = tu_kpass_ok(&d, NULL, "app", "add", "x", "--department", "EXC", "--url",
                      "https://example.org/ussd", "--secret-file", secret, NULL);
    free(out);
    out = tu_kpass_ok(&d, NULL, "app", "list", NULL);
    ck_assert_ptr_nonnull(strstr(out, "https://example.org/ussd"));
    ck_assert_ptr_nonnull(strstr(out, "3000ms"));
    free(out);
    out = tu_kpass_ok(&d, NULL, "app", "remove", "x", NULL);
    free(out);
    ck_assert_int_eq(dsql("SELECT count(*) FROM audit WHERE event LIKE 'app.%'"), 2);
    world_stop();
}
END_TEST

/* HTTPS: the app's certificate is checked against [ussd] apps_ca_file and
   must name the host of the URL. */
START_TEST(test_https_app)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char cert[700], key[700], extra[800], url[96], *line, *out = NULL;
    int port;

    world_start();
    snprintf(cert, sizeof(cert), "%s/app-cert.pem", d.dir);
    snprintf(key, sizeof(key), "%s/app-key.pem", d.dir);
    char *argv[] = {"/usr/bin/openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    cert,
                    "-days",
                    "1",
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost",
                    NULL};
    ck_assert_int_eq(tu_run(argv, NULL, NULL, 20000), 0);
    /* the configuration names the CA; the daemon is restarted to read it */
    tu_daemon_stop(&d, SIGTERM);
    snprintf(extra, sizeof(extra), "apps_ca_file = %s\n", cert);
    conf_menus_with(menus, extra);
    tu_daemon_start(&d);
    tu_peer_start(&app, "apps/fard.js", "--secret-file", secret, "--tls-cert", cert, "--tls-key",
                  key, NULL);
    app_running = 1;
    line = tu_proc_expect(&app, 5000, "\"listening\"", NULL);
    ck_assert_ptr_nonnull(line);
    port = (int)tu_json_int(line, "port");
    free(line);
    snprintf(url, sizeof(url), "https://localhost:%d/ussd", port);
    free(tu_kpass_ok(&d, NULL, "app", "add", "fard", "--department", "BOR", "--url", url,
                     "--secret-file", secret, NULL));
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 70);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_msg(strcmp(h.text, "Board of Revenue\nEnter your fard request number") == 0,
                  "screen %s; log:\n%s", h.text, tu_daemon_log(&d));
    free(app_request());
    /* the same server by its address: the certificate does not name it, so nothing is sent */
    free(tu_kpass_ok(&d, NULL, "app", "remove", "fard", NULL));
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/ussd", port);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "add", "fard", "--department", "BOR", "--url",
                              url, "--secret-file", secret, NULL),
                     0);
    free(out);
    ug_dlg_init(&u, CALLER, 71);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_str_eq(h.text, "Service unavailable, try later.");
    ck_assert_ptr_null(tu_proc_expect(&app, 500, "\"event\":\"request\"", NULL));
    close(g.fd);
    world_stop();
}
END_TEST

/* The Python example of doc/departments.md (contrib/departments/) as the
   fard app: kpass's requests pass its checks, its answers come back. */
START_TEST(test_python_example)
{
    struct ug_gw g;
    struct ug_dlg u;
    struct ug_hop h;
    char script[1024], url[96], portstr[16], *out = NULL;
    int port = tu_free_port(), fd = -1;

    world_start();
    snprintf(script, sizeof(script), "%s/contrib/departments/example_app.py", tu_top());
    snprintf(portstr, sizeof(portstr), "%d", port);
    char *argv[] = {"python3", script, "--secret-file", secret, "--port", portstr, NULL};
    tu_proc_start(&app, argv);
    app_running = 1;
    for (int i = 0; i < 50 && fd < 0; i++) {
        fd = tu_connect(port, 200);
        if (fd < 0)
            usleep(100000);
    }
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ussd", port);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "app", "add", "fard", "--department", "BOR", "--url",
                              url, "--secret-file", secret, NULL),
                     0);
    free(out);
    ug_bind(&g, &d, "gw", "gw-pw");
    ug_dlg_init(&u, CALLER, 60);
    ug_hop(&g, &u, USSD_OP_PSSR_IND, "*789*2#", &h);
    ck_assert_str_eq(h.text, "Board of Revenue\nEnter your fard request number");
    ug_hop(&g, &u, USSD_OP_USSR_CONF, "1001", &h);
    ck_assert_str_eq(h.text, "Request 1001: ready for collection at the Arazi Record Centre.");
    ck_assert_uint_eq(h.op, USSD_OP_PSSR_RESP);
    close(g.fd);
    kill(app.pid, SIGTERM);
    world_stop();
}
END_TEST

/* contrib/menus/apps.menu with the shipped menus and the one home line it
   asks for: it must compile (with the real built-ins) and pass the checker. */
START_TEST(test_contrib_menu_compiles)
{
    static const char *const files[] = {"main",     "identity", "offices",
                                        "services", "system",   "controls"};
    static const char line[] = "  option \"Department services\"   ur \"محکموں کی خدمات\"      "
                               "-> dept_apps\n";
    struct ussd_builtins bt = kp_builtins_table(NULL);
    struct menu_options opts = {bt.table, bt.n, MENU_LIMITS_DEFAULT, bt.validators};
    struct menu_source src[7];
    char *text[7], path[1024], *help;
    struct kp_buf main_menu = KP_BUF_INIT, diag = KP_BUF_INIT;
    struct menu_graph *g = NULL;
    size_t n = 0;

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/menus/%s.menu", tu_top(), files[i]);
        ck_assert_ptr_nonnull(text[n] = (char *)tu_read_file(path, NULL));
        src[n] = (struct menu_source){files[i], text[n], strlen(text[n])};
        n++;
    }
    /* the home line goes after "Help", as make demo puts it */
    help = strstr(text[0], "  option \"Help\"");
    ck_assert_ptr_nonnull(help);
    help = strchr(help, '\n') + 1;
    kp_buf_append(&main_menu, text[0], (size_t)(help - text[0]));
    kp_buf_puts(&main_menu, line);
    kp_buf_puts(&main_menu, help);
    src[0].text = main_menu.data;
    src[0].len = main_menu.len;
    snprintf(path, sizeof(path), "%s/contrib/menus/apps.menu", tu_top());
    ck_assert_ptr_nonnull(text[n] = (char *)tu_read_file(path, NULL));
    src[n] = (struct menu_source){"apps", text[n], strlen(text[n])};
    n++;
    ck_assert_msg(menu_graph_compile(src, n, &opts, &g, &diag) == 0, "%s", diag.data);
    menu_graph_unref(g);
    for (size_t i = 0; i < n; i++)
        free(text[i]);
    kp_buf_free(&main_menu);
    kp_buf_free(&diag);
}
END_TEST

Suite *suite_dept_apps(void)
{
    Suite *s = suite_create("dept_apps");
    TCase *tc = tcase_create("e2e");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_excise_dialog);
    tcase_add_test(tc, test_app_refuses_forged_replayed_stale);
    tcase_add_test(tc, test_timeout_and_breaker);
    tcase_add_test(tc, test_timeout_screen_and_unavailable);
    tcase_add_test(tc, test_app_cli);
    tcase_add_test(tc, test_python_example);
    tcase_add_test(tc, test_https_app);
    suite_add_tcase(s, tc);
    tc = tcase_create("menus");
    tcase_add_test(tc, test_contrib_menu_compiles);
    suite_add_tcase(s, tc);
    return s;
}
