/* SPDX-License-Identifier: ISC */
/*
 * contrib/: the Grafana dashboard and the Prometheus alert rules name only
 * metrics that kpassd exports.  A renamed metric would leave a panel empty
 * and an alert silent without anyone noticing; this compares every
 * kpass_* name in both files with the "# TYPE" lines of a running
 * daemon's /metrics.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static struct tu_daemon d;

static void contrib_teardown(void)
{
    tu_daemon_cleanup(&d);
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Is name (n octets) a metric /metrics declares, or a histogram's series? */
static int exported(const char *metrics, const char *name, size_t n)
{
    static const char *const series[] = {"_bucket", "_sum", "_count"};
    char want[160];

    snprintf(want, sizeof(want), "# TYPE %.*s ", (int)n, name);
    if (strstr(metrics, want))
        return 1;
    for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
        size_t sl = strlen(series[i]);
        if (n > sl && memcmp(name + n - sl, series[i], sl) == 0) {
            snprintf(want, sizeof(want), "# TYPE %.*s histogram", (int)(n - sl), name);
            if (strstr(metrics, want))
                return 1;
        }
    }
    return 0;
}

/* Every kpass_* name in the file at path (relative to the tree); returns how many. */
static int check_file(const char *metrics, const char *rel)
{
    char path[600];
    size_t len;
    char *text;
    int names = 0;

    snprintf(path, sizeof(path), "%s/%s", tu_top(), rel);
    text = (char *)tu_read_file(path, &len);
    ck_assert_msg(text != NULL, "%s is missing", rel);
    for (const char *p = text; (p = strstr(p, "kpass_")) != NULL;) {
        size_t n = 0;
        if (p > text && name_char(p[-1])) { /* inside another word */
            p++;
            continue;
        }
        while (name_char(p[n]))
            n++;
        ck_assert_msg(exported(metrics, p, n), "%s names %.*s, which kpassd does not export", rel,
                      (int)n, p);
        names++;
        p += n;
    }
    free(text);
    return names;
}

START_TEST(test_contrib_names_exported)
{
    char *metrics, path[600];
    int status, panels_with_targets = 0;
    json_error_t jerr;
    json_t *dash, *panels;
    size_t i;

    tu_daemon_prepare(&d, NULL);
    tu_daemon_start(&d);
    metrics = tu_http_get(d.http_port, "/metrics", &status);
    ck_assert_int_eq(status, 200);
    ck_assert_int_ge(check_file(metrics, "contrib/grafana/kpass.json"), 20);
    ck_assert_int_ge(check_file(metrics, "contrib/prometheus/kpass-alerts.yml"), 10);
    free(metrics);

    /* The dashboard is valid JSON whose every panel queries something. */
    snprintf(path, sizeof(path), "%s/contrib/grafana/kpass.json", tu_top());
    dash = json_load_file(path, 0, &jerr);
    ck_assert_msg(dash != NULL, "kpass.json:%d: %s", jerr.line, jerr.text);
    panels = json_object_get(dash, "panels");
    ck_assert_int_gt(json_array_size(panels), 10);
    json_t *p;
    json_array_foreach(panels, i, p)
    {
        json_t *t = json_object_get(p, "targets");
        ck_assert_msg(json_array_size(t) > 0, "panel %zu has no query", i);
        panels_with_targets++;
    }
    ck_assert_int_eq((size_t)panels_with_targets, json_array_size(panels));
    json_decref(dash);
}
END_TEST

/* Every alert rule has an expression, a severity and a summary. */
START_TEST(test_alert_rules_shape)
{
    char path[600];
    size_t len;
    char *text, *p;
    int alerts = 0;

    snprintf(path, sizeof(path), "%s/contrib/prometheus/kpass-alerts.yml", tu_top());
    text = (char *)tu_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "groups:\n"));
    for (p = text; (p = strstr(p, "- alert: ")) != NULL; p++) {
        char *next = strstr(p + 1, "- alert: ");
        size_t span = next ? (size_t)(next - p) : strlen(p);
        char rule[2048];
        snprintf(rule, sizeof(rule), "%.*s", (int)(span < sizeof(rule) ? span : sizeof(rule) - 1),
                 p);
        ck_assert_msg(strstr(rule, "\n        expr: ") && strstr(rule, "severity: ") &&
                          strstr(rule, "summary: "),
                      "an incomplete rule:\n%s", rule);
        ck_assert_msg(strchr(rule, '\t') == NULL, "a tab in YAML:\n%s", rule);
        alerts++;
    }
    ck_assert_int_ge(alerts, 10);
    free(text);
}
END_TEST

Suite *suite_contrib(void)
{
    Suite *s = suite_create("contrib");
    TCase *tc = tcase_create("contrib");

    tcase_add_checked_fixture(tc, NULL, contrib_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_contrib_names_exported);
    tcase_add_test(tc, test_alert_rules_shape);
    suite_add_tcase(s, tc);
    return s;
}
