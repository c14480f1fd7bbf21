/* SPDX-License-Identifier: ISC */
/*
 * kpassd start-up and reload, and the kpass partner commands, run as the
 * real programs: bad configuration refuses to start with every reason,
 * a missing database or a busy port refuses with a reason, SIGHUP reloads
 * or keeps the old configuration, partners are managed without a password
 * ever shown.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/smpp/pdu.h"
#include "smpputil.h"
#include "testutil.h"

static struct tu_daemon d;

static void daemon_teardown(void)
{
    tu_daemon_cleanup(&d);
}

static int run_kpassd(const char *conf, char **out, const char *flag)
{
    char *argv[] = {strdup(tu_bin("kpassd")), strdup(flag), strdup("-c"), strdup(conf), NULL};
    int rc = tu_run(argv, NULL, out, 10000);

    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    return rc;
}

START_TEST(test_config_check)
{
    char *out, conf[600];

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(run_kpassd(d.conf, &out, "-t"), 0);
    ck_assert_ptr_nonnull(strstr(out, "configuration OK"));
    free(out);
    snprintf(conf, sizeof(conf), "%s/bad.conf", d.dir);
    tu_write_file(conf, "[daemon]\nsystem_id = x\nflavour = sweet\n[smpp]\nwindow = 0\n");
    ck_assert_int_eq(run_kpassd(conf, &out, "-t"), 1);
    /* Every error, each as file:line: reason. */
    char want[700];
    snprintf(want, sizeof(want), "%s:3: unknown key 'flavour' in [daemon]", conf);
    ck_assert_msg(strstr(out, want) != NULL, "got: %s", out);
    snprintf(want, sizeof(want), "%s:5: window: 0 is out of range 1..4096", conf);
    ck_assert_msg(strstr(out, want) != NULL, "got: %s", out);
    free(out);
    /* The same refusal without -t: the daemon does not start. */
    ck_assert_int_eq(run_kpassd(conf, &out, "-d"), 1);
    free(out);

    /* A path that is not there names its key and line, as a syntax error does. */
    tu_write_file(conf, "[daemon]\nsystem_id = x\n\n[ussd]\nmenus = /nonexistent/menus\n");
    ck_assert_int_eq(run_kpassd(conf, &out, "-t"), 1);
    snprintf(want, sizeof(want), "%s:5: menus: /nonexistent/menus: No such file or directory",
             conf);
    ck_assert_msg(strstr(out, want) != NULL, "got: %s", out);
    free(out);
}
END_TEST

START_TEST(test_missing_database)
{
    char *out, db[600];

    tu_daemon_prepare(&d, NULL);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    unlink(db);
    ck_assert_int_eq(run_kpassd(d.conf, &out, "-d"), 1);
    ck_assert_msg(strstr(out, "no database at") && strstr(out, "init"), "got: %s", out);
    free(out);
}
END_TEST

START_TEST(test_port_busy)
{
    char *out;
    struct tu_daemon d2;

    char text[2048];

    tu_daemon_prepare(&d, NULL);
    tu_daemon_start(&d);
    /* A second daemon (its own database: the same one is refused earlier,
       by the lock, see check_ops.c) on the same port refuses to start,
       saying why. */
    tu_daemon_prepare(&d2, NULL);
    snprintf(text, sizeof(text),
             "[daemon]\ndatabase = %s/kpass.db\nkeys = %s/keys\n[smpp]\nlisten = 127.0.0.1:%d\n"
             "[ussd]\nmenus = %s/menus\n[http]\nlisten = 127.0.0.1:%d\n",
             d2.dir, d2.dir, d.smpp_port, tu_top(), d2.http_port);
    tu_daemon_store_conf(&d2, text + strlen(text), sizeof(text) - strlen(text));
    ck_assert_int_eq(tu_write_file(d2.conf, text), 0);
    ck_assert_int_eq(run_kpassd(d2.conf, &out, "-d"), 1);
    tu_daemon_cleanup(&d2);
    ck_assert_msg(strstr(out, "cannot listen on 127.0.0.1:"), "got: %s", out);
    free(out);

    /* Another daemon whose HTTP address is taken says why, and where it is set. */
    char extra[128], want[160];
    snprintf(extra, sizeof(extra), "[http]\nlisten = 127.0.0.1:%d\n", d.http_port);
    tu_daemon_prepare(&d2, extra);
    ck_assert_int_eq(run_kpassd(d2.conf, &out, "-d"), 1);
    snprintf(want, sizeof(want), "http: cannot listen on 127.0.0.1:%d: Address already in use",
             d.http_port);
    ck_assert_msg(strstr(out, want) && strstr(out, d2.conf), "got: %s", out);
    free(out);
    tu_daemon_cleanup(&d2);
}
END_TEST

START_TEST(test_sighup)
{
    char *log, text[2048];
    uint32_t st;
    int fd;

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, "secret\n", NULL, "partner", "add", "esme", NULL), 0);
    tu_daemon_start(&d);
    /* A broken file is refused; the daemon keeps running on the old one. */
    snprintf(text, sizeof(text),
             "[daemon]\ndatabase = %s/kpass.db\nkeys = %s/keys\nbogus = 1\n"
             "[smpp]\nlisten = 127.0.0.1:%d\n",
             d.dir, d.dir, d.smpp_port);
    tu_write_file(d.conf, text);
    kill(d.pid, SIGHUP);
    log = tu_daemon_log_wait(&d, "reload refused, keeping the running configuration", 5000);
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "esme", "secret", &st);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(st, 0);
    close(fd);
    ck_assert_ptr_nonnull(strstr(log, "reload refused, keeping the running configuration"));
    ck_assert_ptr_nonnull(strstr(log, "unknown key 'bogus'"));
    free(log);
    /* A good file is taken: log_level warn silences info lines from now on. */
    snprintf(text, sizeof(text),
             "[daemon]\ndatabase = %s/kpass.db\nkeys = %s/keys\n"
             "log_level = warn\n[smpp]\nlisten = 127.0.0.1:%d\n",
             d.dir, d.dir, d.smpp_port);
    tu_write_file(d.conf, text);
    kill(d.pid, SIGHUP);
    free(tu_daemon_log_wait(&d, "kpassd: reloaded", 5000));
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "esme", "secret", &st);
    close(fd);
    usleep(200000);
    log = tu_daemon_log(&d);
    const char *after = strstr(log, "kpassd: reloaded");
    ck_assert_ptr_nonnull(after);
    ck_assert_ptr_null(strstr(after, "bound as esme"));
    free(log);
}
END_TEST

/* kpass phone: a script that runs to its end exits 0, even though closing its
   own link afterwards is a "link closed" event; a refused bind times out, 1. */
START_TEST(test_phone_script)
{
    char *out, pwfile[600];
    int rc;

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, "phonepw\n", NULL, "partner", "add", "phone", NULL), 0);
    tu_daemon_start(&d);
    snprintf(pwfile, sizeof(pwfile), "%s/phone.pw", d.dir);
    tu_write_file(pwfile, "phonepw\n");
    /* Host and port come from the configuration's [smpp] listen. */
    rc = tu_kpass(&d, NULL, &out, "phone", "--password-file", pwfile, "--msisdn", "03001234567",
                  "--script", "*789#", "--timeout", "10", NULL);
    ck_assert_msg(rc == 0, "kpass phone exited %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "> *789#\n"));
    ck_assert_ptr_nonnull(strstr(out, "Khyber Pass"));
    ck_assert_ptr_null(strstr(out, "link to kpassd closed"));
    free(out);
    tu_write_file(pwfile, "wrong\n");
    rc = tu_kpass(&d, NULL, &out, "phone", "--password-file", pwfile, "--script", "*789#",
                  "--timeout", "1", NULL);
    ck_assert_msg(rc == 1, "kpass phone exited %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "kpass phone: not bound to kpassd at 127.0.0.1:"));
    ck_assert_ptr_null(strstr(out, "Khyber Pass"));
    free(out);
}
END_TEST

START_TEST(test_partner_cli)
{
    char *out, *removed, pwfile[600];

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, "s3cret\n", &out, "partner", "add", "gw1", "--throughput=100",
                              "--burst=20", "--allow=10.0.0.0/8,127.0.0.1", "--sms", NULL),
                     0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, "s3cret\n", &out, "partner", "add", "gw1", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "already exists"));
    free(out);
    /* SMPP passwords are at most 8 characters. */
    ck_assert_int_eq(tu_kpass(&d, "123456789\n", &out, "partner", "add", "gw2", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "too long"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, "", &out, "partner", "add", "gw2", NULL), 1);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "add", "gw3", "--client", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "needs --host and --port"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "add", "gw3", "--allow=10.0.0.300", NULL),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "is not a list of CIDR blocks"));
    free(out);
    snprintf(pwfile, sizeof(pwfile), "%s/pw", d.dir);
    tu_write_file(pwfile, "pw4smsc\n");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "add", "smsc1", "--client",
                              "--host=127.0.0.1", "--port=2776", "--binds=2",
                              "--bind-type=transmitter", "--password-file", pwfile, NULL),
                     0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "list", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "gw1"));
    ck_assert_ptr_nonnull(strstr(out, "smsc1"));
    ck_assert_ptr_nonnull(strstr(out, "127.0.0.1:2776"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "show", "gw1", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "throughput:    100/s (burst 20)"));
    ck_assert_ptr_nonnull(strstr(out, "10.0.0.0/8,127.0.0.1"));
    ck_assert_ptr_null(strstr(out, "argon2id$")); /* the hash itself is never shown */
    ck_assert_ptr_null(strstr(out, "s3cret"));
    free(out);
    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "partner", "set", "gw1", "--disable", "--profile=umr", NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "show", "gw1", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "state:         disabled"));
    ck_assert_ptr_nonnull(strstr(out, "profile:       umr"));
    free(out);
    /* An unknown profile is refused (it would fall back to its-session unseen), and a
       password file is not silently ignored by set. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "set", "gw1", "--profile=its", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "--profile: 'its' is not a profile (its-session, umr"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "set", "gw1", "--enable",
                              "--password-file", pwfile, NULL),
                     1);
    ck_assert_ptr_nonnull(strstr(out, "--password-file goes with kpass partner passwd gw1"));
    free(out);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "show", "gw1", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "state:         disabled"));
    ck_assert_ptr_nonnull(strstr(out, "profile:       umr"));
    free(out);
    /* A new password works, the old one no longer does. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "set", "gw1", "--enable", NULL), 0);
    free(out);
    ck_assert_int_eq(tu_kpass(&d, "n3w\n", &out, "partner", "passwd", "gw1", NULL), 0);
    free(out);
    tu_daemon_start(&d);
    uint32_t st;
    int fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "gw1", "s3cret", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RINVPASWD);
    close(fd);
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "gw1", "n3w", &st);
    ck_assert_uint_eq(st, 0);
    close(fd);
    ck_assert_int_eq(tu_kpass(&d, NULL, &removed, "partner", "remove", "gw1", NULL), 0);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "partner", "show", "gw1", NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "no partner gw1"));
    free(out);
    /* Removed, and kpassd confirmed it: with no partner left, a connection
       is not even accepted (the allowlist is re-read on the change). */
    ck_assert_ptr_nonnull(strstr(removed,
                                 "partner gw1 removed: kpassd no longer binds or accepts it "
                                 "from now on"));
    st = 0xffffffffu;
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "gw1", "n3w", &st);
    ck_assert_int_eq(fd, -1);
    ck_assert_uint_eq(st, 0xffffffffu);
    free(removed);
}
END_TEST

/* A client-mode partner whose SMSC is down: kpassd retries every 100-200 ms
   but says so once, not on every retry (it logged two lines per attempt). */
START_TEST(test_client_failures_logged_once)
{
    char *out, port[32], *log;
    int closed = 0, again = 0;

    tu_daemon_prepare(&d, "[smpp]\nreconnect_min = 100ms\nreconnect_max = 200ms\n");
    snprintf(port, sizeof(port), "--port=%d", tu_free_port()); /* nothing listens there */
    ck_assert_int_eq(tu_kpass(&d, "pw4smsc\n", &out, "partner", "add", "smsc1", "--client",
                              "--host=127.0.0.1", port, "--binds=1", NULL),
                     0);
    free(out);
    tu_daemon_start(&d);
    usleep(2500000);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    log = tu_daemon_log(&d);
    for (const char *p = log; (p = strstr(p, "(smsc1) failed: ")) != NULL; p++)
        closed++;
    for (const char *p = log; (p = strstr(p, "reconnecting in")) != NULL; p++)
        again++;
    /* Ten or more attempts in 2.5 s; one report of the failure and of the retry. */
    ck_assert_msg(closed == 1 && again == 1, "%d failures and %d retries logged", closed, again);
    ck_assert_ptr_nonnull(strstr(log, "Connection refused (0 more like it not logged)"));
    free(log);
}
END_TEST

/* [http] metrics_listen: the metrics and health on an address of their own,
   /metrics no longer on the desks' address, the desk API not on the
   operations one. */
START_TEST(test_metrics_listen)
{
    char extra[96], *body;
    int port = tu_free_port(), status;

    snprintf(extra, sizeof(extra), "[http]\nmetrics_listen = 127.0.0.1:%d\n", port);
    tu_daemon_prepare(&d, extra);
    tu_daemon_start(&d);
    body = tu_http_get(port, "/metrics", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_ptr_nonnull(strstr(body, "# TYPE kpass_smpp_links_open gauge"));
    free(body);
    body = tu_http_get(d.http_port, "/metrics", &status);
    ck_assert_int_eq(status, 404);
    free(body);
    body = tu_http_get(port, "/healthz", &status);
    ck_assert_int_eq(status, 200);
    free(body);
    body = tu_http_get(d.http_port, "/healthz", &status);
    ck_assert_int_eq(status, 200);
    free(body);
    body = tu_http_get(port, "/v1/verifications/00000000000000000000000000000000", &status);
    ck_assert_int_eq(status, 404);
    free(body);
    body = tu_http_get(d.http_port, "/v1/verifications/00000000000000000000000000000000", &status);
    ck_assert_int_eq(status, 401); /* the desk API is there, and wants a session */
    free(body);
}
END_TEST

Suite *suite_daemon(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("daemon");

    tcase_add_checked_fixture(tc, NULL, daemon_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_config_check);
    tcase_add_test(tc, test_missing_database);
    tcase_add_test(tc, test_port_busy);
    tcase_add_test(tc, test_sighup);
    tcase_add_test(tc, test_partner_cli);
    tcase_add_test(tc, test_phone_script);
    tcase_add_test(tc, test_client_failures_logged_once);
    tcase_add_test(tc, test_metrics_listen);
    suite_add_tcase(s, tc);
    return s;
}
