/* SPDX-License-Identifier: ISC */
/*
 * kpassd.conf: core's own section ([daemon]: the database, the keys, the
 * log, the SMPP system_id), the list of the modules' sections that the
 * program adds (kp_config_add), and the parse over all of them.  The
 * modules' keys live with the modules: [smpp] smpp/hub.c, [ussd]
 * ussd/dialog.c, [sms] sms/outbox.c, [otp] id/otp.c, [http] http/server.c.
 */
#include <errno.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/core/conf.h"
#include "kpass/core/config.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"

#include "kp_paths.h" /* KP_SYSCONFDIR, KP_STATEDIR: generated from PREFIX */

#define OFF(f) offsetof(struct kp_config, f)
#define MS_DAY (24u * 3600u * 1000u)

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_targets[] = {"stderr", "syslog", NULL};

static const struct conf_key config_keys[] = {
    {"daemon", "database", CONF_STRING, OFF(database), 0, 0, NULL, 0},
    {"daemon", "keys", CONF_STRING, OFF(keys_dir), 0, 0, NULL, 0},
    {"daemon", "system_id", CONF_STRING, OFF(system_id), 0, 0, NULL, 0},
    {"daemon", "node", CONF_STRING, OFF(node), 0, 0, NULL, 0},
    {"daemon", "log_level", CONF_CHOICE, OFF(log_level), 0, 0, log_levels, 0},
    {"daemon", "log_target", CONF_CHOICE, OFF(log_target), 0, 0, log_targets, 0},
    {"daemon", "audit_verify_interval", CONF_DURATION, OFF(audit_verify_ms), 0, MS_DAY, NULL, 0},
};

/* A node's name as the database, the logs and the metrics carry it. */
static int kp_config_node_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* The default node name: the host's (a cluster runs one node per machine). */
static char *kp_config_hostname(void)
{
    char h[256];

    if (gethostname(h, sizeof(h)) < 0 || (h[sizeof(h) - 1] = '\0', !kp_config_node_ok(h)))
        return kp_strdup("kpassd");
    return kp_strdup(h);
}

void kp_config_init(struct kp_config *c)
{
    memset(c, 0, sizeof(*c));
    c->database = kp_strdup(KP_STATEDIR "/kpass.db");
    c->keys_dir = kp_strdup(KP_STATEDIR "/keys");
    c->system_id = kp_strdup("kpass");
    c->node = kp_config_hostname();
    c->log_level = KP_LOG_INFO;
    c->log_target = KP_CONFIG_LOG_STDERR;
    c->audit_verify_ms = 3600000;
}

void kp_config_add(struct kp_config *c, const struct conf_table *t, void *set)
{
    if (c->nsections == KP_ARRAY_LEN(c->sections))
        fatalx("config: more than %zu sections", KP_ARRAY_LEN(c->sections));
    if (t->defaults)
        t->defaults(set);
    c->sections[c->nsections].table = t;
    c->sections[c->nsections++].set = set;
}

void kp_config_free(struct kp_config *c)
{
    free(c->path);
    free(c->key_lines);
    free(c->database);
    free(c->keys_dir);
    free(c->system_id);
    free(c->node);
    memset(c, 0, sizeof(*c));
}

/* A key's content beyond its type. */
static void kp_config_check(void *set, struct conf_report *r)
{
    const struct kp_config *c = set;

    if (strlen(c->system_id) > 15)
        conf_report(r, conf_report_line(r, "system_id"),
                    "system_id: at most 15 characters (SMPP 3.4 §5.2.1)");
    if (!kp_config_node_ok(c->node))
        conf_report(r, conf_report_line(r, "node"),
                    "node: 1 to 63 letters, digits, '.', '-' or '_' (it names this node in the "
                    "database, logs and metrics)");
}

/* [daemon]: its defaults are kp_config_init's (the strings are owned). */
static const struct conf_table core_table = {"daemon", config_keys, KP_ARRAY_LEN(config_keys), NULL,
                                             kp_config_check};

/* Core's own keys first, then the modules' sections in the order added. */
static size_t kp_config_sections(const struct kp_config *c,
                                 struct conf_section out[KP_CONFIG_MAX_SECTIONS + 1])
{
    out[0].table = &core_table;
    out[0].set = (void *)(uintptr_t)c;
    for (size_t i = 0; i < c->nsections; i++)
        out[i + 1] = c->sections[i];
    return c->nsections + 1;
}

/* The line key name was set on (lines numbered over every section's keys). */
static unsigned kp_config_line(const struct kp_config *c, const unsigned *lines, const char *name)
{
    struct conf_section secs[KP_CONFIG_MAX_SECTIONS + 1];
    size_t nsecs = kp_config_sections(c, secs), n = 0;

    for (size_t i = 0; i < nsecs; i++)
        for (size_t j = 0; j < secs[i].table->nkeys; j++, n++)
            if (strcmp(secs[i].table->keys[j].name, name) == 0)
                return lines[n];
    return 0;
}

/* Keys over every section, for the lines array. */
static size_t kp_config_nkeys(const struct kp_config *c)
{
    struct conf_section secs[KP_CONFIG_MAX_SECTIONS + 1];
    size_t nsecs = kp_config_sections(c, secs), n = 0;

    for (size_t i = 0; i < nsecs; i++)
        n += secs[i].table->nkeys;
    return n;
}

int kp_config_parse(struct kp_config *c, const char *file, const char *text, size_t len,
                    struct kp_buf *err)
{
    struct conf_section secs[KP_CONFIG_MAX_SECTIONS + 1];
    size_t nsecs = kp_config_sections(c, secs), nkeys = kp_config_nkeys(c);
    unsigned *lines = kp_calloc(nkeys, sizeof(*lines));
    int bad = conf_parse_sections(secs, nsecs, file, text, len, err, lines) < 0;

    /* each section's checks, over its own keys' lines, core's first */
    for (size_t i = 0, n = 0; i < nsecs; n += secs[i++].table->nkeys) {
        struct conf_report r = {file, err, secs[i].table, lines + n, 0};
        if (secs[i].table->check)
            secs[i].table->check(secs[i].set, &r);
        bad |= r.errors > 0;
    }
    free(c->path);
    c->path = kp_strdup(file);
    free(c->key_lines);
    c->key_lines = lines;
    return bad ? -KP_ERR_CONFIG : 0;
}

int kp_config_load(struct kp_config *c, const char *path, struct kp_buf *err)
{
    struct kp_buf text = KP_BUF_INIT;
    int rc = kp_buf_read_file(&text, path, 1024 * 1024);

    if (rc == -KP_ERR_TOOLONG)
        kp_buf_printf(err, "%s:0: file larger than 1 MiB\n", path);
    else if (rc < 0)
        kp_buf_printf(err, "%s:0: cannot open: %s\n", path, strerror(-rc));
    if (rc == 0)
        rc = kp_config_parse(c, path, text.data ? text.data : "", text.len, err);
    else
        rc = -KP_ERR_CONFIG;
    kp_buf_free(&text);
    return rc;
}

int kp_config_path_check(const struct kp_config *c, const char *name, const char *path, int flags,
                         struct kp_buf *err)
{
    int want_dir = flags & KP_PATH_DIR;
    int mode = want_dir ? R_OK | X_OK : R_OK;
    unsigned line = c->key_lines ? kp_config_line(c, c->key_lines, name) : 0;
    const char *why = NULL;
    struct stat sb;

    if (stat(path, &sb) < 0)
        why = strerror(errno);
    else if (want_dir && !S_ISDIR(sb.st_mode))
        why = "not a folder";
    else if (!want_dir && !S_ISREG(sb.st_mode))
        why = "not a regular file";
    else if (access(path, mode | (flags & KP_PATH_WRITE ? W_OK : 0)) < 0)
        why = strerror(errno);
    if (why == NULL)
        return 0;
    if (line)
        kp_buf_printf(err, "%s:%u: %s: %s: %s\n", c->path ? c->path : "-", line, name, path, why);
    else
        kp_buf_printf(err, "%s: %s (default): %s: %s\n", c->path ? c->path : "-", name, path, why);
    return -KP_ERR_CONFIG;
}

const char *kp_config_default_path(const char *explicit_path)
{
    const char *env;

    if (explicit_path)
        return explicit_path;
    env = getenv("KPASS_CONF");
    if (env && *env)
        return env;
    return KP_SYSCONFDIR "/kpass/kpassd.conf";
}
