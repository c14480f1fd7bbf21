/* SPDX-License-Identifier: ISC */
/*
 * kpass department: departments as clients of the HTTP API (issue 13,
 * doc/departments.md).  `add` makes a department's bearer token (written
 * to a new file, only its hash kept), its daily quota of notices, where
 * its callbacks go and the file holding the secret they are signed with;
 * `template` writes an SMS template per language; `subscribe` asks for a
 * callback when a desk verification for a purpose ends VERIFIED.  Every
 * change is audited.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/store/audit.h"
#include "kpass/store/dept.h"
#include "kpass/text/text.h"

static const char dept_usage_text[] =
    "kpass department add CODE --token-file FILE [--quota N]\n"
    "              [--callback URL --secret-file FILE]\n"
    "       kpass department template CODE NAME --lang en|ur|ps TEXT\n"
    "       kpass department subscribe|unsubscribe CODE PURPOSE OFFICE|all\n"
    "       kpass department list\n"
    "       kpass department remove CODE";

static int dept_code_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 16)
        return 0;
    for (; *s; s++)
        if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* Run fn(cli, arg) and its audit row in one transaction; 0 or an exit status. */
static int dept_change(struct kp_cli *cli, const char *event, const char *detail,
                       int (*fn)(struct kp_cli *, const void *), const void *arg)
{
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot start a transaction: %s", store_errmsg(cli->st));
    rc = fn(cli, arg);
    if (rc == 0 && audit_append(cli->st, kp_time_s(), event, cli_actor(), NULL, detail) < 0)
        rc = -KP_ERR_DB;
    if (rc < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        return cli_fail("%s: %s", event,
                        rc == -KP_ERR_EXISTS     ? "already there"
                        : rc == -KP_ERR_NOTFOUND ? "no such department"
                                                 : kp_strerror(rc));
    }
    return 0;
}

static int dept_add_fn(struct kp_cli *cli, const void *arg)
{
    return store_dept_add(cli->st, arg);
}

static int dept_add(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"token-file", required_argument, NULL, 't'},
                                         {"quota", required_argument, NULL, 'q'},
                                         {"callback", required_argument, NULL, 'c'},
                                         {"secret-file", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    struct store_dept d;
    const char *token_file = NULL;
    uint8_t raw[32];
    char token[65], detail[64], real[4096];
    int ch, fd, rc;

    memset(&d, 0, sizeof(d));
    d.quota_day = 1000;
    optind = 2;
    if (argc < 2)
        return cli_usage(dept_usage_text);
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 't')
            token_file = optarg;
        else if (ch == 'q')
            d.quota_day = (unsigned)strtoul(optarg, NULL, 10);
        else if (ch == 'c')
            snprintf(d.callback_url, sizeof(d.callback_url), "%s", optarg);
        else if (ch == 's') {
            if (realpath(optarg, real) == NULL || strlen(real) >= sizeof(d.secret_file))
                return cli_fail("--secret-file %s: cannot be read", optarg);
            memcpy(d.secret_file, real, strlen(real) + 1); /* its length checked above */
        } else
            return cli_usage(dept_usage_text);
    }
    if (optind != argc || token_file == NULL || !dept_code_ok(argv[1]) ||
        (d.callback_url[0] && !d.secret_file[0]))
        return cli_usage(dept_usage_text);
    if (d.callback_url[0] && strncmp(d.callback_url, "https://", 8) != 0 &&
        strncmp(d.callback_url, "http://127.0.0.1:", 17) != 0 &&
        strncmp(d.callback_url, "http://localhost:", 17) != 0)
        return cli_fail("--callback %s: https://, or http:// on this host only", d.callback_url);
    if (d.secret_file[0] && cli_secret_file(d.secret_file) != 0)
        return 1;
    snprintf(d.department, sizeof(d.department), "%s", argv[1]);
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    crypto_generichash(d.token_hash, sizeof(d.token_hash), (const uint8_t *)token, strlen(token),
                       NULL, 0);
    fd = open(token_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return cli_fail("cannot create %s: %s", token_file, strerror(errno));
    rc = write(fd, token, 64) == 64 && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    sodium_memzero(token, sizeof(token));
    if (!rc) {
        unlink(token_file);
        return cli_fail("cannot write %s", token_file);
    }
    snprintf(detail, sizeof(detail), "department %s", d.department);
    if ((rc = dept_change(cli, "department.added", detail, dept_add_fn, &d)) != 0) {
        unlink(token_file);
        return rc;
    }
    printf("department %s added: its API token is in %s (quota %u notices a day)\n", d.department,
           token_file, d.quota_day);
    return 0;
}

struct dept_tpl {
    const char *dept, *name, *lang, *text;
};

static int dept_tpl_fn(struct kp_cli *cli, const void *arg)
{
    const struct dept_tpl *t = arg;
    struct store_dept d;
    int rc = store_dept_get(cli->st, t->dept, &d);

    return rc < 0 ? rc : store_template_set(cli->st, t->dept, t->name, t->lang, t->text);
}

static int dept_template(struct kp_cli *cli, int argc, char **argv)
{
    struct dept_tpl t = {NULL, NULL, NULL, NULL};
    char detail[96];
    int rc;

    if (argc != 6 || strcmp(argv[3], "--lang") != 0)
        return cli_usage(dept_usage_text);
    t.dept = argv[1];
    t.name = argv[2];
    t.lang = argv[4];
    t.text = argv[5];
    if (!dept_code_ok(t.dept) || !text_word_ok(t.name, 32) ||
        (strcmp(t.lang, "en") && strcmp(t.lang, "ur") && strcmp(t.lang, "ps")))
        return cli_usage(dept_usage_text);
    if (strlen(t.text) == 0 || strlen(t.text) > STORE_TEMPLATE_MAX)
        return cli_fail("template: 1 to %d bytes", STORE_TEMPLATE_MAX);
    snprintf(detail, sizeof(detail), "department %s template %s %s", t.dept, t.name, t.lang);
    if ((rc = dept_change(cli, "department.template", detail, dept_tpl_fn, &t)) != 0)
        return rc;
    printf("template %s (%s) of %s set\n", t.name, t.lang, t.dept);
    return 0;
}

struct dept_sub {
    const char *dept, *purpose, *office;
    int on;
};

static int dept_sub_fn(struct kp_cli *cli, const void *arg)
{
    const struct dept_sub *s = arg;
    struct store_dept d;
    int rc = store_dept_get(cli->st, s->dept, &d);

    if (rc == 0 && s->on && !d.callback_url[0])
        rc = -KP_ERR_INVAL; /* nowhere to send them */
    return rc < 0 ? rc : store_subscription_set(cli->st, s->dept, s->purpose, s->office, s->on);
}

/* A desk office's code as the desk API names it (PSH-0042), or "all". */
static int dept_office_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= 16)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

static int dept_subscribe(struct kp_cli *cli, int argc, char **argv, int on)
{
    struct dept_sub s;
    char detail[96];
    int rc;

    if (argc != 4 || !dept_code_ok(argv[1]) || !text_word_ok(argv[2], 32) ||
        !dept_office_ok(argv[3]))
        return cli_usage(dept_usage_text);
    s.dept = argv[1];
    s.purpose = argv[2];
    /* Only the offices named: a department sees no verification it did not ask for. */
    s.office = strcmp(argv[3], "all") == 0 ? "*" : argv[3];
    s.on = on;
    snprintf(detail, sizeof(detail), "department %s purpose %s office %s", s.dept, s.purpose,
             s.office);
    rc = dept_change(cli, on ? "department.subscribed" : "department.unsubscribed", detail,
                     dept_sub_fn, &s);
    if (rc != 0)
        return rc;
    printf("%s %s verifications for %s at %s\n", s.dept, on ? "receives" : "no longer receives",
           s.purpose, strcmp(s.office, "*") == 0 ? "every office" : s.office);
    return 0;
}

static int dept_remove_fn(struct kp_cli *cli, const void *arg)
{
    return store_dept_remove(cli->st, arg);
}

static int dept_list(struct kp_cli *cli)
{
    struct store_dept *v;
    int n;

    if (cli_store(cli) < 0)
        return 1;
    if ((n = store_dept_list(cli->st, &v)) < 0)
        return cli_fail("cannot list departments: %s", kp_strerror(n));
    printf("%-16s %8s  %s\n", "DEPARTMENT", "QUOTA", "CALLBACK");
    for (int i = 0; i < n; i++)
        printf("%-16s %8u  %s\n", v[i].department, v[i].quota_day,
               v[i].callback_url[0] ? v[i].callback_url : "-");
    free(v);
    return 0;
}

int cmd_department(struct kp_cli *cli, int argc, char **argv)
{
    char detail[64];

    if (argc < 2)
        return cli_usage(dept_usage_text);
    if (strcmp(argv[1], "add") == 0)
        return dept_add(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "template") == 0)
        return dept_template(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "subscribe") == 0)
        return dept_subscribe(cli, argc - 1, argv + 1, 1);
    if (strcmp(argv[1], "unsubscribe") == 0)
        return dept_subscribe(cli, argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return dept_list(cli);
    if (strcmp(argv[1], "remove") == 0 && argc == 3 && dept_code_ok(argv[2])) {
        snprintf(detail, sizeof(detail), "department %s", argv[2]);
        if (dept_change(cli, "department.removed", detail, dept_remove_fn, argv[2]) != 0)
            return 1;
        printf("department %s removed: its token no longer works\n", argv[2]);
        return 0;
    }
    return cli_usage(dept_usage_text);
}
