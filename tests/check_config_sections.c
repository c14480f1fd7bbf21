/* SPDX-License-Identifier: ISC */
/*
 * Modules own their config sections: [otp] is id's table (otp_conf_table)
 * over a struct otp_policy, [sms] the outbox's (sms_conf_table) over a
 * struct sms_settings, [ussd] the dialog service's (ussd_conf_table) over
 * a struct ussd_settings, [http] the API's (http_conf_table) over a struct
 * http_settings, each added by the program; core parses them without
 * knowing their keys.  Defaults come from otp_policy_default alone, errors
 * keep the "file:line: key: ..." form with ranges in the key's units, and
 * kp_config_path_check still finds the line of a core key.
 */
#include <check.h>
#include <string.h>

#include "kpass/core/config.h"
#include "kpass/core/err.h"
#include "kpass/http/api.h"
#include "kpass/id/otp.h"
#include "kpass/sms/outbox.h"
#include "kpass/store/backend.h"
#include "kpass/ussd/dialog.h"
#include "testutil.h"

START_TEST(test_otp_defaults_once)
{
    struct kp_config c;
    struct otp_policy p, want;

    memset(&p, 0xa5, sizeof(p));
    otp_policy_default(&want);
    kp_config_init(&c);
    kp_config_add(&c, &otp_conf_table, &p);
    ck_assert_mem_eq(&p, &want, sizeof(p));
    kp_config_free(&c);
}
END_TEST

START_TEST(test_otp_values)
{
    static const char text[] = "[daemon]\ndatabase = /nonexistent/k.db\n"
                               "[otp]\nvalidity = 10m\nmax_tries = 3\nissue_gap = 1500ms\n"
                               "lockout = 2h\n";
    struct kp_config c;
    struct otp_policy p;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    kp_config_add(&c, &otp_conf_table, &p);
    ck_assert_int_eq(kp_config_parse(&c, "t.conf", text, sizeof(text) - 1, &err), 0);
    ck_assert_uint_eq(p.validity_s, 600);
    ck_assert_uint_eq(p.max_tries, 3);
    ck_assert_uint_eq(p.issue_gap_s, 1); /* whole seconds, as before */
    ck_assert_uint_eq(p.lockout_s, 7200);
    ck_assert_uint_eq(p.issue_window_s, 3600); /* untouched: the default */
    ck_assert_uint_eq(p.lockout_max_s, 30u * 24 * 3600);
    /* a core key's line is still found with a module's section added */
    ck_assert_int_eq(kp_config_path_check(&c, "database", c.database, 0, &err), -KP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.data, "t.conf:2: database: /nonexistent/k.db: "));
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *error; /* the first line of the report */
} otp_errors[] = {
    {"[otp]\nvalidity = 30s\n", "t.conf:2: validity: 30s is out of range 1m..1h\n"},
    {"[otp]\n\nlockout = 200h\n", "t.conf:3: lockout: 200h is out of range 1m..168h\n"},
    {"[otp]\nmax_tries = 0\n", "t.conf:2: max_tries: 0 is out of range 1..20\n"},
    {"[otp]\nmax_tries = 2\nmax_tries = 3\n", "t.conf:3: max_tries: given twice in [otp]\n"},
    {"[otp]\nnope = 1\n", "t.conf:2: unknown key 'nope' in [otp]\n"},
};

START_TEST(test_otp_errors)
{
    struct kp_config c;
    struct otp_policy p;
    struct kp_buf err = KP_BUF_INIT;
    const char *text = otp_errors[_i].text;

    kp_config_init(&c);
    kp_config_add(&c, &otp_conf_table, &p);
    ck_assert_int_eq(kp_config_parse(&c, "t.conf", text, strlen(text), &err), -KP_ERR_CONFIG);
    ck_assert_str_eq(err.data, otp_errors[_i].error);
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

/* A program that did not add [otp] refuses it: core does not know it. */
START_TEST(test_section_not_added)
{
    static const char text[] = "[otp]\nvalidity = 10m\n";
    struct kp_config c;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    ck_assert_int_eq(kp_config_parse(&c, "t.conf", text, sizeof(text) - 1, &err), -KP_ERR_CONFIG);
    ck_assert_str_eq(err.data, "t.conf:1: unknown section [otp]\n");
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *error; /* the first line of the report, NULL: parses */
} sms_cases[] = {
    {"[sms]\nsource = 8500\nsource_ton = 3\nretry_min = 5s\nretry_max = 1m\n", NULL},
    {"[sms]\nsource = KPASS-GATEWAY\n",
     "t.conf:2: source: at most 11 characters alphanumeric (TON 5), 20 digits otherwise\n"},
    {"[sms]\nsource_ton = 1\nsource = 123456789012345678901\n",
     "t.conf:3: source: at most 11 characters alphanumeric (TON 5), 20 digits otherwise\n"},
    {"[sms]\nretry_min = 10m\nretry_max = 1m\n", "t.conf:2: retry_min is larger than retry_max\n"},
    {"[sms]\nvalidity = 30s\n", "t.conf:2: validity: 30s is out of range 1m..168h\n"},
    {"[sms]\nlong_messages = split\n",
     "t.conf:2: long_messages: 'split' is not one of: udh, payload\n"},
    {"[sms]\nsource =\n", "t.conf:2: source: empty value\n"},
};

START_TEST(test_sms_section)
{
    struct kp_config c;
    struct sms_settings s;
    struct otp_policy p;
    struct kp_buf err = KP_BUF_INIT;
    const char *text = sms_cases[_i].text;
    int rc;

    kp_config_init(&c);
    kp_config_add(&c, &sms_conf_table, &s);
    kp_config_add(&c, &otp_conf_table, &p);
    ck_assert_str_eq(s.source, "KPASS");
    ck_assert_uint_eq(s.rules.max_attempts, 10);
    rc = kp_config_parse(&c, "t.conf", text, strlen(text), &err);
    if (sms_cases[_i].error) {
        ck_assert_int_eq(rc, -KP_ERR_CONFIG);
        ck_assert_str_eq(err.data, sms_cases[_i].error);
    } else {
        ck_assert_msg(rc == 0, "%s", err.data);
        ck_assert_str_eq(s.source, "8500");
        ck_assert_uint_eq(s.source_ton, 3);
        ck_assert_uint_eq(s.source_npi, 1); /* derived from the type */
        ck_assert_uint_eq(s.rules.backoff_min_s, 5);
        ck_assert_uint_eq(s.rules.backoff_max_s, 60);
        ck_assert_uint_eq(s.validity_s, 86400);
    }
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *error; /* the first line of the report, NULL: parses */
} ussd_cases[] = {
    {"[ussd]\nservice_code = *123*4#\nabort_ops = 0x81, 130\nscreen_timeout = 1500ms\n"
     "gsm7_limit = 160\nmenus = /nonexistent/m\nfirst_lang = ur-Latn\n"
     "more_codes = *790# menus=/srv/health lang=ps, *123*4*5#  menus=/srv/police\n",
     NULL},
    {"[ussd]\nfirst_lang = fr\n",
     "t.conf:2: first_lang: 'fr' is not a language (en, ur, ps or ur-Latn)\n"},
    {"[ussd]\nmore_codes = *790# /srv/health\n",
     "t.conf:2: more_codes: '/srv/health' is not CODE menus=DIR [lang=en|ur|ps|ur-Latn]\n"},
    {"[ussd]\nmore_codes = *790# menus=/a, *790# menus=/b\n",
     "t.conf:2: more_codes: *790# is given twice\n"},
    {"[ussd]\nmore_codes = *789# menus=/a\n", "t.conf:2: more_codes: *789# is given twice\n"},
    {"[ussd]\nmore_codes = lang=ur\n",
     "t.conf:2: more_codes: 'lang=ur' is not CODE menus=DIR [lang=en|ur|ps|ur-Latn]\n"},
    {"[ussd]\nmore_codes = *790# lang=ur\n",
     "t.conf:2: more_codes: each entry needs a code such as *790# and menus=DIR\n"},
    {"[ussd]\n\nservice_code = 789\n",
     "t.conf:3: service_code: '789' is not a USSD code such as *789#\n"},
    {"[ussd]\nabort_ops = 0x81, 12\n",
     "t.conf:2: abort_ops: '0x81, 12' is not a list of ussd_service_op values 32..255\n"},
    {"[ussd]\ngsm7_limit = 300\n", "t.conf:2: gsm7_limit: 300 is out of range 40..254\n"},
    {"[ussd]\ndialog_timeout = 500ms\n",
     "t.conf:2: dialog_timeout: 500ms is out of range 1s..24h\n"},
};

START_TEST(test_ussd_section)
{
    struct kp_config c;
    struct ussd_settings u;
    struct kp_buf err = KP_BUF_INIT;
    const char *text = ussd_cases[_i].text;
    int rc;

    kp_config_init(&c);
    kp_config_add(&c, &ussd_conf_table, &u);
    ck_assert_str_eq(u.service_code, "*789#");
    ck_assert_uint_eq(u.nabort, 1);
    ck_assert_uint_eq(u.limits.gsm7, 182);
    rc = kp_config_parse(&c, "t.conf", text, strlen(text), &err);
    if (ussd_cases[_i].error) {
        ck_assert_int_eq(rc, -KP_ERR_CONFIG);
        ck_assert_str_eq(err.data, ussd_cases[_i].error);
    } else {
        ck_assert_msg(rc == 0, "%s", err.data);
        ck_assert_str_eq(u.service_code, "*123*4#");
        ck_assert_uint_eq(u.nabort, 2);
        ck_assert_uint_eq(u.abort_ops[0], 0x81);
        ck_assert_uint_eq(u.abort_ops[1], 130);
        ck_assert_uint_eq(u.screen_timeout_s, 1);
        ck_assert_uint_eq(u.dialog_timeout_s, 180);
        ck_assert_uint_eq(u.limits.gsm7, 160);
        ck_assert_uint_eq(u.limits.ucs2, 80);
        ck_assert_str_eq(u.menus_dir, "/nonexistent/m");
        /* the codes: service_code first, then more_codes in order */
        ck_assert_uint_eq(u.ncodes, 3);
        ck_assert_str_eq(u.codes[0].code, "*123*4#");
        ck_assert_str_eq(u.codes[0].menus_dir, "/nonexistent/m");
        ck_assert_int_eq(u.codes[0].lang, MENU_LANG_UR_LATN);
        ck_assert_str_eq(u.codes[1].code, "*790#");
        ck_assert_str_eq(u.codes[1].menus_dir, "/srv/health");
        ck_assert_int_eq(u.codes[1].lang, MENU_LANG_PS);
        ck_assert_str_eq(u.codes[2].code, "*123*4*5#");
        ck_assert_str_eq(u.codes[2].menus_dir, "/srv/police");
        ck_assert_int_eq(u.codes[2].lang, -1);
        /* kp_config_path_check finds a module key's line too */
        ck_assert_int_eq(kp_config_path_check(&c, "menus", u.menus_dir, KP_PATH_DIR, &err),
                         -KP_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err.data, "t.conf:6: menus: /nonexistent/m: "));
    }
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

START_TEST(test_http_section)
{
    static const char text[] = "[http]\nenabled = no\nsession_ttl = 2h\nhelpline = 0800\n"
                               "metrics_token_file = /etc/t\ntrust_proxy = yes\n";
    static const char none[] = "[daemon]\nsystem_id = k\n";
    struct kp_config c;
    struct http_settings h;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    kp_config_add(&c, &http_conf_table, &h);
    ck_assert_int_eq(h.enabled, 1);
    ck_assert_str_eq(h.helpline, "1700");
    ck_assert_str_eq(h.metrics_token_file, "");
    ck_assert_int_eq(kp_config_parse(&c, "t.conf", none, sizeof(none) - 1, &err), 0);
    ck_assert_int_eq(h.nlisten, 1); /* the default listener */
    ck_assert_str_eq(h.listen[0].text, "127.0.0.1:8780");
    kp_config_free(&c);

    kp_config_init(&c);
    kp_config_add(&c, &http_conf_table, &h);
    ck_assert_int_eq(kp_config_parse(&c, "t.conf", text, sizeof(text) - 1, &err), 0);
    ck_assert_int_eq(h.enabled, 0);
    ck_assert_uint_eq(h.session_ttl_s, 7200);
    ck_assert_uint_eq(h.verification_ttl_s, 900);
    ck_assert_str_eq(h.helpline, "0800");
    ck_assert_str_eq(h.metrics_token_file, "/etc/t");
    ck_assert_int_eq(h.trust_proxy, 1);
    kp_config_free(&c);
    kp_buf_free(&err);
}
END_TEST

/* [store]: the store module's; the password never in the file. */
static const struct {
    const char *text;
    const char *error; /* the report, NULL: parses */
    int backend;
} store_cases[] = {
    {"", NULL, STORE_BACKEND_SQLITE},
    {"[store]\nbackend = postgresql\ndsn = host=10.0.0.1,10.0.0.2 dbname=kpass "
     "target_session_attrs=read-write\npassfile = /etc/kpass/pg.pass\n",
     NULL, STORE_BACKEND_POSTGRESQL},
    {"[store]\nbackend = postgresql\ndsn = postgresql://kpass@db1,db2/kpass\n", NULL,
     STORE_BACKEND_POSTGRESQL},
    {"[store]\nbackend = postgresql\n", "t.conf:2: backend = postgresql needs dsn\n", 0},
    {"[store]\nbackend = mysql\n", NULL, -1},
    {"[store]\nbackend = postgresql\ndsn = host=db password=hunter2\n",
     "t.conf:3: dsn: no password in the configuration; put it in passfile\n", 0},
    {"[store]\nbackend = postgresql\ndsn = host=db PASSWORD  =hunter2\n",
     "t.conf:3: dsn: no password in the configuration; put it in passfile\n", 0},
    {"[store]\nbackend = postgresql\ndsn = postgresql://kpass:hunter2@db/kpass\n",
     "t.conf:3: dsn: no password in the configuration; put it in passfile\n", 0},
    {"[store]\nbackend = postgresql\ndsn = host=db passfile=/x\npassfile = pg.pass\n",
     "t.conf:4: passfile: an absolute path\n", 0},
    {"[store]\nbackend = postgresql\ndsn = host=db\nnodes = several\n", NULL,
     STORE_BACKEND_POSTGRESQL},
    {"[store]\nnodes = several\n",
     "t.conf:2: nodes = several needs backend = postgresql (a SQLite file has one node)\n", 0},
    {"[store]\nnodes = many\n", NULL, -1},
};

START_TEST(test_store_section)
{
    struct kp_config c;
    struct store_settings st;
    struct kp_buf err = KP_BUF_INIT;
    const char *text = store_cases[_i].text;
    int rc;

    kp_config_init(&c);
    kp_config_add(&c, &store_conf_table, &st);
    rc = kp_config_parse(&c, "t.conf", text, strlen(text), &err);
    if (store_cases[_i].backend < 0) { /* a value the choice list lacks */
        ck_assert_int_eq(rc, -KP_ERR_CONFIG);
    } else if (store_cases[_i].error) {
        ck_assert_int_eq(rc, -KP_ERR_CONFIG);
        ck_assert_str_eq(err.data, store_cases[_i].error);
        ck_assert_ptr_null(strstr(err.data, "hunter2"));
    } else {
        ck_assert_msg(rc == 0, "%s", err.data);
        ck_assert_int_eq(st.backend, store_cases[_i].backend);
    }
    store_settings_free(&st);
    kp_buf_free(&err);
    kp_config_free(&c);
}
END_TEST

Suite *suite_config_sections(void)
{
    Suite *s = suite_create("config_sections");
    TCase *tc = tcase_create("otp");

    tcase_add_test(tc, test_otp_defaults_once);
    tcase_add_test(tc, test_otp_values);
    tcase_add_loop_test(tc, test_otp_errors, 0, (int)(sizeof(otp_errors) / sizeof(otp_errors[0])));
    tcase_add_test(tc, test_section_not_added);
    tcase_add_loop_test(tc, test_sms_section, 0, (int)(sizeof(sms_cases) / sizeof(sms_cases[0])));
    tcase_add_test(tc, test_http_section);
    tcase_add_loop_test(tc, test_ussd_section, 0,
                        (int)(sizeof(ussd_cases) / sizeof(ussd_cases[0])));
    tcase_add_loop_test(tc, test_store_section, 0,
                        (int)(sizeof(store_cases) / sizeof(store_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}
