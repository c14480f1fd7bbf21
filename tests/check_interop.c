/* SPDX-License-Identifier: ISC */
/*
 * Interoperability with an independent SMPP implementation (the npm
 * `smpp` package, tests/peers/): kpassd binding out to a test SMSC in
 * client mode, keeping the link alive, detecting a dead peer and
 * reconnecting after the SMSC restarts; and an npm ESME binding to kpassd.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static struct tu_daemon d;
static struct tu_proc smsc;

static void interop_teardown(void)
{
    if (smsc.pid > 0) {
        kill(smsc.pid, SIGCONT);
        tu_proc_stop(&smsc);
    }
    tu_daemon_cleanup(&d);
}

/* Start smsc.js (on port, 0 for any) and return its port. */
static int smsc_start(int port, const char *extra)
{
    char p[16];
    char *line;
    int got;

    snprintf(p, sizeof(p), "%d", port);
    if (extra)
        tu_peer_start(&smsc, "smsc.js", "--port", p, "--system-id", "kpass", "--password",
                      "pw4smsc", extra, NULL);
    else
        tu_peer_start(&smsc, "smsc.js", "--port", p, "--system-id", "kpass", "--password",
                      "pw4smsc", NULL);
    line = tu_proc_expect(&smsc, 10000, "\"listening\"", NULL);
    ck_assert_msg(line != NULL, "smsc.js did not start");
    got = (int)tu_json_int(line, "port");
    free(line);
    return got;
}

/* A daemon with client-mode partner "kpass" bound to the SMSC on port. */
static void client_daemon(int port, const char *extra_conf)
{
    char pw[600], portarg[32], *out = NULL;
    int rc;

    tu_daemon_prepare(&d, extra_conf);
    snprintf(pw, sizeof(pw), "%s/pw", d.dir);
    tu_write_file(pw, "pw4smsc\n");
    snprintf(portarg, sizeof(portarg), "--port=%d", port);
    rc = tu_kpass(&d, NULL, &out, "partner", "add", "kpass", "--client", "--host=127.0.0.1",
                  portarg, "--binds=2", "--sms", "--password-file", pw, NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    tu_daemon_start(&d);
}

START_TEST(test_client_binds_and_reconnects)
{
    char *line;
    int port = smsc_start(0, NULL);

    client_daemon(port, "[smpp]\nreconnect_min = 200ms\nreconnect_max = 1s\n");
    /* Two binds, both accepted by the independent SMSC. */
    for (int i = 0; i < 2; i++) {
        line = tu_proc_expect(&smsc, 10000, "\"event\":\"bind\"", "bind_transceiver",
                              "\"status\":0", NULL);
        ck_assert_msg(line != NULL, "bind %d not seen", i);
        ck_assert_ptr_nonnull(strstr(line, "\"interface_version\":52")); /* 0x34 */
        free(line);
    }
    /* The SMSC goes away and comes back on the same port: kpassd binds again. */
    tu_proc_send(&smsc, "{\"cmd\":\"quit\"}");
    tu_proc_stop(&smsc);
    usleep(300000);
    ck_assert_int_eq(smsc_start(port, NULL), port);
    line = tu_proc_expect(&smsc, 10000, "\"event\":\"bind\"", "\"status\":0", NULL);
    ck_assert_msg(line != NULL, "no bind after the SMSC restarted");
    free(line);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "reconnecting in"));
    free(log);
}
END_TEST

START_TEST(test_client_wrong_password_backs_off)
{
    char *line;
    int port, binds = 0;

    /* The SMSC expects another password: every bind is refused, and the
       attempts slow down (1 s, then 2 s, capped) instead of hammering it. */
    tu_peer_start(&smsc, "smsc.js", "--port", "0", "--system-id", "kpass", "--password", "other",
                  NULL);
    line = tu_proc_expect(&smsc, 10000, "\"listening\"", NULL);
    port = (int)tu_json_int(line, "port");
    free(line);
    client_daemon(port, "[smpp]\nreconnect_min = 1s\nreconnect_max = 2s\n");
    while ((line = tu_proc_expect(&smsc, 3500, "\"event\":\"bind\"", NULL)) != NULL) {
        ck_assert_ptr_nonnull(strstr(line, "\"status\":14")); /* ESME_RINVPASWD */
        free(line);
        if (++binds == 6)
            break;
    }
    /* Two links, each retrying after 0.5-1 s, then 1-2 s: in 3.5 s of quiet a
       handful, never dozens. */
    ck_assert_int_ge(binds, 2);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "bind refused"));
    free(log);
}
END_TEST

START_TEST(test_client_dead_peer)
{
    char *line;
    int port = smsc_start(0, NULL);

    client_daemon(port, "[smpp]\nenquire_link_interval = 300ms\nresponse_timeout = 300ms\n"
                        "reconnect_min = 5s\nreconnect_max = 5s\n");
    line = tu_proc_expect(&smsc, 10000, "\"event\":\"bind\"", "\"status\":0", NULL);
    ck_assert_ptr_nonnull(line);
    free(line);
    /* kpassd keeps the link alive with enquire_link... */
    line = tu_proc_expect(&smsc, 5000, "\"command\":\"enquire_link\"", NULL);
    ck_assert_ptr_nonnull(line);
    free(line);
    /* ...and a peer that stops answering (still connected) is found dead. */
    kill(smsc.pid, SIGSTOP);
    char *log = tu_daemon_log_wait(&d, "no answer to enquire_link", 5000);
    ck_assert_msg(strstr(log, "no answer to enquire_link") != NULL, "log: %s", log);
    free(log);
    kill(smsc.pid, SIGCONT);
}
END_TEST

/* The npm ESME binds to kpassd, exchanges enquire_link, submit_sm and
   data_sm, and gets a well-formed response to each. */
START_TEST(test_npm_client_interop)
{
    char port[16], *out = NULL, *argv[16];
    int rc;

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, "secret\n", NULL, "partner", "add", "esme", NULL), 0);
    tu_daemon_start(&d);
    snprintf(port, sizeof(port), "%d", d.smpp_port);
    char script[1024];
    snprintf(script, sizeof(script), "%s/tests/peers/client.js", tu_top());
    int i = 0;
    argv[i++] = (char *)"/usr/bin/env";
    argv[i++] = (char *)"node";
    argv[i++] = script;
    argv[i++] = (char *)"--port";
    argv[i++] = port;
    argv[i++] = (char *)"--system-id";
    argv[i++] = (char *)"esme";
    argv[i++] = (char *)"--password";
    argv[i++] = (char *)"secret";
    argv[i++] = (char *)"interop";
    argv[i] = NULL;
    rc = tu_run(argv, NULL, &out, 20000);
    ck_assert_msg(rc == 0, "client.js interop failed (%d): %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "\"result\":\"ok\""));
    ck_assert_ptr_nonnull(strstr(out, "enquire_link"));
    ck_assert_ptr_nonnull(strstr(out, "data_sm"));
    free(out);
}
END_TEST

/* A client-mode partner added while kpassd runs is bound at once, and the
   CLI says so only because kpassd confirmed it (it needed a restart). */
START_TEST(test_client_added_live)
{
    char pw[600], portarg[32], *out = NULL, *line;
    int port = smsc_start(0, NULL), rc;

    tu_daemon_prepare(&d, "[smpp]\nreconnect_min = 200ms\nreconnect_max = 1s\n");
    tu_daemon_start(&d);
    snprintf(pw, sizeof(pw), "%s/pw", d.dir);
    tu_write_file(pw, "pw4smsc\n");
    snprintf(portarg, sizeof(portarg), "--port=%d", port);
    rc = tu_kpass(&d, NULL, &out, "partner", "add", "kpass", "--client", "--host=127.0.0.1",
                  portarg, "--binds=1", "--password-file", pw, NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    ck_assert_msg(strstr(out, "partner kpass added (client mode): kpassd binds to it from now on"),
                  "%s", out);
    free(out);
    line = tu_proc_expect(&smsc, 5000, "\"event\":\"bind\"", "\"status\":0", NULL);
    ck_assert_msg(line != NULL, "kpassd did not bind to the partner added while it ran");
    free(line);
}
END_TEST

Suite *suite_interop(void)
{
    Suite *s = suite_create("interop");
    TCase *tc = tcase_create("npm_smpp");

    tcase_add_checked_fixture(tc, NULL, interop_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_client_binds_and_reconnects);
    tcase_add_test(tc, test_client_added_live);
    tcase_add_test(tc, test_client_wrong_password_backs_off);
    tcase_add_test(tc, test_client_dead_peer);
    tcase_add_test(tc, test_npm_client_interop);
    suite_add_tcase(s, tc);
    return s;
}
