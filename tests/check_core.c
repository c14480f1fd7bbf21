/* SPDX-License-Identifier: ISC */
/*
 * core: the config parser (a table of good and bad files with the exact
 * "file:line: reason" message), durations, addresses and CIDR blocks, buffers.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/core/addr.h"
#include "kpass/core/buf.h"
#include "kpass/core/conf.h"
#include "kpass/core/config.h"
#include "kpass/core/err.h"
#include "kpass/http/api.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/otp.h"
#include "kpass/smpp/smpp.h"
#include "kpass/sms/outbox.h"
#include "kpass/ussd/dialog.h"
#include "testutil.h"

static const struct {
    const char *text;
    const char *error; /* NULL: must parse; else the exact first error line */
} config_cases[] = {
    {"", NULL},
    {"# only a comment\n; and another\n\n", NULL},
    {"[daemon]\ndatabase = /tmp/x.db\nsystem_id = kp\nlog_level = debug\n", NULL},
    {"[smpp]\nlisten = 127.0.0.1:2775, [::1]:2775\nwindow = 10\n", NULL},
    {"[smpp]\nlisten = 127.0.0.1:2775\nlisten = 127.0.0.1:2776\n", NULL},
    {"[smpp]\nenquire_link_interval = 500ms\nresponse_timeout = 2m\n", NULL},
    {"[smpp]\r\nwindow = 3\r\n", NULL},
    {"[daemon]\nsystem_id = \"quoted\"\n", NULL},
    {"[daemon]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in [daemon]\n"},
    {"[nosuch]\nfoo = 1\n", "t.conf:1: unknown section [nosuch]\n"},
    {"database = x\n", "t.conf:1: 'database' outside any [section]\n"},
    {"[daemon\n", "t.conf:1: malformed section header\n"},
    {"[daemon]\ndatabase\n", "t.conf:2: expected 'key = value'\n"},
    {"[daemon]\ndatabase =\n", "t.conf:2: database: empty value\n"},
    {"[daemon]\nlog_level = loud\n",
     "t.conf:2: log_level: 'loud' is not one of: error, warn, info, debug\n"},
    {"[smpp]\nwindow = 0\n", "t.conf:2: window: 0 is out of range 1..4096\n"},
    {"[smpp]\nwindow = 12x\n", "t.conf:2: window: '12x' is not a number\n"},
    {"[smpp]\nwindow = -1\n", "t.conf:2: window: '-1' is not a number\n"},
    {"[smpp]\nresponse_timeout = 10 s\n",
     "t.conf:2: response_timeout: '10 s' is not a duration (250ms, 10s, 2m, 1h)\n"},
    {"[smpp]\nresponse_timeout = 50ms\n",
     "t.conf:2: response_timeout: 50ms is out of range 100ms..10m\n"},
    {"[http]\nsession_ttl = 30s\n", "t.conf:2: session_ttl: 30s is out of range 1m..168h\n"},
    {"[smpp]\nunbind_grace = 61s\n", "t.conf:2: unbind_grace: 61s is out of range 0..1m\n"},
    {"[smpp]\nlisten = localhost:2775\n",
     "t.conf:2: listen: 'localhost:2775' is not a numeric address with port (127.0.0.1:2775)\n"},
    {"[smpp]\nlisten = 127.0.0.1:0\n",
     "t.conf:2: listen: '127.0.0.1:0' is not a numeric address with port (127.0.0.1:2775)\n"},
    {"[smpp]\nwindow = 2\nwindow = 3\n", "t.conf:3: window: given twice in [smpp]\n"},
    {"[daemon]\nsystem_id = abcdefghijklmnop\n",
     "t.conf:2: system_id: at most 15 characters (SMPP 3.4 §5.2.1)\n"},
    {"[daemon]\nnode = node 1\n",
     "t.conf:2: node: 1 to 63 letters, digits, '.', '-' or '_' (it names this node in the "
     "database, logs and metrics)\n"},
    {"[smpp]\nreconnect_min = 10s\nreconnect_max = 1s\n",
     "t.conf:2: reconnect_min is larger than reconnect_max\n"},
};

/* The modules' own sections, added as kpassd adds them. */
struct config_sets {
    struct smpp_settings smpp;
    struct ussd_settings ussd;
    struct sms_settings sms;
    struct otp_policy otp;
    struct http_settings http;
};

static void config_sections(struct kp_config *c, struct config_sets *s)
{
    kp_config_add(c, &smpp_conf_table, &s->smpp);
    kp_config_add(c, &ussd_conf_table, &s->ussd);
    kp_config_add(c, &sms_conf_table, &s->sms);
    kp_config_add(c, &otp_conf_table, &s->otp);
    kp_config_add(c, &http_conf_table, &s->http);
}

START_TEST(test_config_table)
{
    struct kp_config c;
    struct config_sets sets;
    struct kp_buf err = KP_BUF_INIT;
    const char *text = config_cases[_i].text;
    int rc;

    kp_config_init(&c);
    config_sections(&c, &sets);
    rc = kp_config_parse(&c, "t.conf", text, strlen(text), &err);
    if (config_cases[_i].error == NULL) {
        ck_assert_msg(rc == 0, "case %d: unexpected error: %s", _i, err.data);
    } else {
        ck_assert_int_eq(rc, -KP_ERR_CONFIG);
        ck_assert_ptr_nonnull(err.data);
        size_t first = strcspn(err.data, "\n") + 1;
        ck_assert_msg(strncmp(err.data, config_cases[_i].error, first) == 0 &&
                          strlen(config_cases[_i].error) == first,
                      "case %d: got '%s'", _i, err.data);
    }
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

START_TEST(test_config_values)
{
    static const char text[] = "[daemon]\nsystem_id = kp1\nlog_level = warn\nlog_target = syslog\n"
                               "[smpp]\nlisten = 127.0.0.1:2000, 127.0.0.1:2001\n"
                               "enquire_link_interval = 1500ms\ninactivity_timeout = 0\n";
    struct kp_config c;
    struct config_sets s;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    config_sections(&c, &s);
    ck_assert_int_eq(s.smpp.window, 64);
    ck_assert_int_eq(kp_config_parse(&c, "x", text, sizeof(text) - 1, &err), 0);
    ck_assert_str_eq(c.system_id, "kp1");
    ck_assert_int_eq(c.log_level, KP_LOG_WARN);
    ck_assert_int_eq(c.log_target, KP_CONFIG_LOG_SYSLOG);
    ck_assert_int_eq(s.smpp.nlisten, 2);
    ck_assert_str_eq(s.smpp.listen[1].text, "127.0.0.1:2001");
    ck_assert_uint_eq(s.smpp.enquire_link_ms, 1500);
    ck_assert_uint_eq(s.smpp.inactivity_ms, 0);
    ck_assert_uint_eq(s.smpp.session_init_ms, 10000);
    kp_config_free(&c);
}
END_TEST

START_TEST(test_config_all_errors)
{
    /* The parser keeps going: three bad lines, three messages. */
    static const char text[] = "[daemon]\nbogus = 1\nlog_level = x\n[smpp]\nwindow = 0\n";
    struct kp_config c;
    struct config_sets s;
    struct kp_buf err = KP_BUF_INIT;
    int lines = 0;

    kp_config_init(&c);
    config_sections(&c, &s);
    ck_assert_int_eq(kp_config_parse(&c, "f", text, sizeof(text) - 1, &err), -KP_ERR_CONFIG);
    for (const char *p = err.data; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 3);
    ck_assert_ptr_nonnull(strstr(err.data, "f:2: "));
    ck_assert_ptr_nonnull(strstr(err.data, "f:3: "));
    ck_assert_ptr_nonnull(strstr(err.data, "f:5: "));
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

START_TEST(test_config_missing_file)
{
    struct kp_config c;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    ck_assert_int_eq(kp_config_load(&c, "/nonexistent/kpassd.conf", &err), -KP_ERR_CONFIG);
    ck_assert_str_eq(err.data,
                     "/nonexistent/kpassd.conf:0: cannot open: No such file or directory\n");
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

static const struct {
    const char *text;
    long long ms; /* -1: invalid */
} durations[] = {
    {"0", 0},         {"10", 10000},   {"10s", 10000}, {"250ms", 250},
    {"2m", 120000},   {"1h", 3600000}, {"", -1},       {"s", -1},
    {"10x", -1},      {"-5", -1},      {"1.5s", -1},   {"99999999999999999999", -1},
    {"5000000h", -1},
};

START_TEST(test_duration)
{
    unsigned long long ms = 0;
    int rc = conf_duration_parse(durations[_i].text, &ms);

    if (durations[_i].ms < 0) {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(ms, (unsigned long long)durations[_i].ms);
    }
}
END_TEST

static const struct {
    const char *text;
    int ok;
    const char *norm;
} addrs[] = {
    {"127.0.0.1:2775", 1, "127.0.0.1:2775"},
    {"[::1]:80", 1, "[::1]:80"},
    {"0.0.0.0:65535", 1, "0.0.0.0:65535"},
    {"127.0.0.1", 0, NULL},
    {"127.0.0.1:", 0, NULL},
    {"127.0.0.1:65536", 0, NULL},
    {"::1:80", 0, NULL},
    {"[::1]80", 0, NULL},
    {"host:80", 0, NULL},
    {"1.2.3.4:8x", 0, NULL},
    {":80", 0, NULL},
};

START_TEST(test_addr)
{
    struct kp_addr a;
    int rc = kp_addr_parse(addrs[_i].text, &a);

    if (addrs[_i].ok) {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(a.text, addrs[_i].norm);
    } else {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
    }
}
END_TEST

static const struct {
    const char *cidr;
    const char *ip;
    int match; /* -1: the CIDR is invalid */
} cidrs[] = {
    {"10.0.0.0/8", "10.1.2.3", 1},
    {"10.0.0.0/8", "11.0.0.1", 0},
    {"192.168.1.0/25", "192.168.1.127", 1},
    {"192.168.1.0/25", "192.168.1.128", 0},
    {"127.0.0.1", "127.0.0.1", 1},
    {"127.0.0.1", "127.0.0.2", 0},
    {"0.0.0.0/0", "8.8.8.8", 1},
    {"::1/128", "::1", 1},
    {"2001:db8::/32", "2001:db8:1::5", 1},
    {"2001:db8::/32", "2001:db9::1", 0},
    {"127.0.0.0/8", "::ffff:127.0.0.9", 1},
    {"10.0.0.0/33", "10.0.0.1", -1},
    {"10.0.0.0/", "10.0.0.1", -1},
    {"bad/8", "10.0.0.1", -1},
    {"::/129", "::1", -1},
};

START_TEST(test_cidr)
{
    struct kp_cidr c;
    struct sockaddr_storage ss;
    int rc = kp_cidr_parse(cidrs[_i].cidr, &c);

    if (cidrs[_i].match < 0) {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        return;
    }
    ck_assert_int_eq(rc, 0);
    memset(&ss, 0, sizeof(ss));
    if (strchr(cidrs[_i].ip, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        ck_assert_int_eq(inet_pton(AF_INET6, cidrs[_i].ip, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, cidrs[_i].ip, &s4->sin_addr), 1);
    }
    ck_assert_int_eq(kp_cidr_match(&c, (struct sockaddr *)&ss), cidrs[_i].match);
}
END_TEST

START_TEST(test_cidr_list)
{
    struct kp_cidr c[4];

    ck_assert_int_eq(kp_cidr_list_parse("", c, 4), 0);
    ck_assert_int_eq(kp_cidr_list_parse("10.0.0.0/8, 127.0.0.1 ::1", c, 4), 3);
    ck_assert_int_eq(kp_cidr_list_parse("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5", c, 4),
                     -KP_ERR_TOOLONG);
    ck_assert_int_eq(kp_cidr_list_parse("10.0.0.0/8,nope", c, 4), -KP_ERR_PARSE);
}
END_TEST

START_TEST(test_buf)
{
    struct kp_buf b = KP_BUF_INIT;
    char *s;

    kp_buf_printf(&b, "%d options", 3);
    ck_assert_str_eq(b.data, "3 options");
    ck_assert_uint_eq(b.len, 9);
    for (int i = 0; i < 1000; i++)
        kp_buf_putc(&b, 'x');
    ck_assert_uint_eq(b.len, 1009);
    ck_assert_int_eq(b.data[1009], '\0');
    kp_buf_reset(&b);
    ck_assert_str_eq(b.data, "");
    kp_buf_puts(&b, "abc");
    s = kp_buf_steal(&b);
    ck_assert_str_eq(s, "abc");
    ck_assert_ptr_null(b.data);
    free(s);
    kp_buf_free(&b);
}
END_TEST

START_TEST(test_strerror)
{
    ck_assert_str_eq(kp_strerror(-KP_ERR_NOMEM), "out of memory");
    ck_assert_str_eq(kp_strerror(-KP_ERR_WRONG), "wrong code");
    ck_assert_str_eq(kp_strerror(0), "success");
    ck_assert_str_eq(kp_strerror(-2), "No such file or directory");
}
END_TEST

/* A multi-line message is one log line per line, each with its own
   timestamp and level (a config's errors used to leave bare lines). */
START_TEST(test_log_multiline)
{
    char path[] = "/tmp/kp-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    char *text;
    size_t len;

    ck_assert_int_ge(fd, 0);
    dup2(fd, 2);
    log_init("t", KP_LOG_STDERR, KP_LOG_INFO);
    log_warnx("first: %s\nsecond\nthird\n", "x");
    log_info("one line");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    text = (char *)tu_read_file(path, &len);
    unlink(path);
    ck_assert_ptr_nonnull(text);
    static const char *const want[] = {" t[warn] first: x\n", " t[warn] second\n",
                                       " t[warn] third\n", " t[info] one line\n"};
    char *line = text;
    for (size_t i = 0; i < KP_ARRAY_LEN(want); i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        /* 2026-12-07T10:00:00.123Z */
        ck_assert_msg(nl - line > 24 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z',
                      "no timestamp: %s", line);
        ck_assert_msg(strncmp(line + 24, want[i], strlen(want[i])) == 0, "line %zu: %s", i, line);
        line = nl + 1;
    }
    ck_assert_str_eq(line, "");
    free(text);
}
END_TEST

Suite *suite_core(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("config");

    tcase_add_loop_test(tc, test_config_table, 0, (int)KP_ARRAY_LEN(config_cases));
    tcase_add_test(tc, test_config_values);
    tcase_add_test(tc, test_config_all_errors);
    tcase_add_test(tc, test_config_missing_file);
    tcase_add_loop_test(tc, test_duration, 0, (int)KP_ARRAY_LEN(durations));
    suite_add_tcase(s, tc);

    tc = tcase_create("addr");
    tcase_add_loop_test(tc, test_addr, 0, (int)KP_ARRAY_LEN(addrs));
    tcase_add_loop_test(tc, test_cidr, 0, (int)KP_ARRAY_LEN(cidrs));
    tcase_add_test(tc, test_cidr_list);
    suite_add_tcase(s, tc);

    tc = tcase_create("util");
    tcase_add_test(tc, test_buf);
    tcase_add_test(tc, test_strerror);
    tcase_add_test(tc, test_log_multiline);
    suite_add_tcase(s, tc);
    return s;
}
