/* SPDX-License-Identifier: ISC */
/*
 * Table-driven INI parsing with "file:line: reason" errors for every problem.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kpass/core/addr.h"
#include "kpass/core/conf.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"

#define CONF_LINE_MAX 1024

/* Every key of every section, each with the struct it writes into. */
struct conf_entry {
    const struct conf_key *key;
    void *target;
};

struct conf_ctx {
    struct conf_entry *keys;
    size_t nkeys;
    const char *file;
    struct kp_buf *err;
    unsigned char *seen; /* per key: already set once */
    unsigned *lines;     /* per key: line it was set on (may be NULL) */
    int errors;
};

static void conf_error(struct conf_ctx *c, unsigned line, const char *fmt, ...) KP_PRINTF(3, 4);

static void conf_error(struct conf_ctx *c, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kp_buf_printf(c->err, "%s:%u: %s\n", c->file, line, msg);
    c->errors++;
}

static char *conf_trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

int conf_duration_parse(const char *s, unsigned long long *ms)
{
    char *end;
    unsigned long long v, mul = 1000;

    if (!isdigit((unsigned char)*s))
        return -KP_ERR_PARSE;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
        return -KP_ERR_PARSE;
    if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        mul = 1000;
    else if (strcmp(end, "m") == 0)
        mul = 60000;
    else if (strcmp(end, "h") == 0)
        mul = 3600000;
    else
        return -KP_ERR_PARSE;
    if (v > 0xffffffffULL / mul)
        return -KP_ERR_PARSE;
    *ms = v * mul;
    return 0;
}

void conf_duration_format(unsigned long long ms, char *out, size_t size)
{
    static const struct {
        unsigned long long ms;
        const char *unit;
    } units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}};

    if (ms == 0) {
        snprintf(out, size, "0");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ms % units[i].ms == 0) {
            snprintf(out, size, "%llu%s", ms / units[i].ms, units[i].unit);
            return;
        }
    snprintf(out, size, "%llums", ms);
}

static int conf_bool_parse(const char *s)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    for (size_t i = 0; i < KP_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

static void conf_set_addr(struct conf_ctx *c, const struct conf_key *k, void *target, unsigned line,
                          const char *value)
{
    struct kp_addr *arr = (struct kp_addr *)((char *)target + k->off);
    int *count = (int *)((char *)target + k->count_off);
    char item[128];

    while (*value) {
        size_t len = strcspn(value, ", \t");
        if (len == 0) {
            value++;
            continue;
        }
        if (len >= sizeof(item)) {
            conf_error(c, line, "%s: address too long", k->name);
            return;
        }
        memcpy(item, value, len);
        item[len] = '\0';
        value += len;
        if ((unsigned long)*count >= k->max) {
            conf_error(c, line, "%s: at most %lu addresses", k->name, k->max);
            return;
        }
        if (kp_addr_parse(item, &arr[*count]) < 0) {
            conf_error(c, line, "%s: '%s' is not a numeric address with port (127.0.0.1:2775)",
                       k->name, item);
            continue;
        }
        (*count)++;
    }
}

static void conf_set(struct conf_ctx *c, const struct conf_entry *e, unsigned line,
                     const char *value)
{
    const struct conf_key *k = e->key;
    void *field = (char *)e->target + k->off;
    unsigned long long v;
    char *end;

    switch (k->kind) {
    case CONF_STRING: {
        char **p = field;
        if (*value == '\0') {
            conf_error(c, line, "%s: empty value", k->name);
            return;
        }
        free(*p);
        *p = kp_strdup(value);
        return;
    }
    case CONF_TEXT:
        if (*value == '\0') {
            conf_error(c, line, "%s: empty value", k->name);
            return;
        }
        if (strlen(value) >= k->max) {
            conf_error(c, line, "%s: at most %lu characters", k->name, k->max - 1);
            return;
        }
        memcpy(field, value, strlen(value) + 1);
        return;
    case CONF_UINT:
        errno = 0;
        if (!isdigit((unsigned char)*value)) {
            conf_error(c, line, "%s: '%s' is not a number", k->name, value);
            return;
        }
        v = strtoull(value, &end, 10);
        if (errno || *end != '\0') {
            conf_error(c, line, "%s: '%s' is not a number", k->name, value);
            return;
        }
        if (v < k->min || v > k->max) {
            conf_error(c, line, "%s: %llu is out of range %lu..%lu", k->name, v, k->min, k->max);
            return;
        }
        *(unsigned *)field = (unsigned)v;
        return;
    case CONF_DURATION:
    case CONF_SECONDS:
        if (conf_duration_parse(value, &v) < 0) {
            conf_error(c, line, "%s: '%s' is not a duration (250ms, 10s, 2m, 1h)", k->name, value);
            return;
        }
        if (v < k->min || v > k->max) {
            char lo[24], hi[24];
            conf_duration_format(k->min, lo, sizeof(lo));
            conf_duration_format(k->max, hi, sizeof(hi));
            conf_error(c, line, "%s: %s is out of range %s..%s", k->name, value, lo, hi);
            return;
        }
        *(unsigned *)field = (unsigned)(k->kind == CONF_SECONDS ? v / 1000 : v);
        return;
    case CONF_BOOL: {
        int b = conf_bool_parse(value);
        if (b < 0) {
            conf_error(c, line, "%s: '%s' is not yes or no", k->name, value);
            return;
        }
        *(int *)field = b;
        return;
    }
    case CONF_CHOICE:
        for (int i = 0; k->choices[i]; i++) {
            if (strcmp(value, k->choices[i]) == 0) {
                *(int *)field = i;
                return;
            }
        }
        {
            struct kp_buf opts = KP_BUF_INIT;
            for (int i = 0; k->choices[i]; i++)
                kp_buf_printf(&opts, "%s%s", i ? ", " : "", k->choices[i]);
            conf_error(c, line, "%s: '%s' is not one of: %s", k->name, value, opts.data);
            kp_buf_free(&opts);
        }
        return;
    case CONF_ADDR:
        conf_set_addr(c, k, e->target, line, value);
        return;
    }
}

static void conf_line(struct conf_ctx *c, unsigned line, char *s, char *section, size_t secsize)
{
    s = conf_trim(s);
    if (*s == '\0' || *s == '#' || *s == ';')
        return;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (close == NULL || *conf_trim(close + 1) != '\0') {
            conf_error(c, line, "malformed section header");
            snprintf(section, secsize, "!");
            return;
        }
        *close = '\0';
        char *name = conf_trim(s + 1);
        int known = 0;
        for (size_t i = 0; i < c->nkeys; i++)
            if (strcmp(c->keys[i].key->section, name) == 0)
                known = 1;
        if (!known) {
            conf_error(c, line, "unknown section [%s]", name);
            snprintf(section, secsize, "!"); /* keys below it are not reported again */
            return;
        }
        snprintf(section, secsize, "%s", name);
        return;
    }
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        conf_error(c, line, "expected 'key = value'");
        return;
    }
    *eq = '\0';
    char *key = conf_trim(s);
    char *value = conf_trim(eq + 1);
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    if (section[0] == '!')
        return;
    if (section[0] == '\0') {
        conf_error(c, line, "'%s' outside any [section]", key);
        return;
    }
    for (size_t i = 0; i < c->nkeys; i++) {
        const struct conf_key *k = c->keys[i].key;
        if (strcmp(k->section, section) != 0 || strcmp(k->name, key) != 0)
            continue;
        if (c->seen[i] && k->kind != CONF_ADDR) {
            conf_error(c, line, "%s: given twice in [%s]", key, section);
            return;
        }
        c->seen[i] = 1;
        if (c->lines)
            c->lines[i] = line;
        conf_set(c, &c->keys[i], line, value);
        return;
    }
    conf_error(c, line, "unknown key '%s' in [%s]", key, section);
}

int conf_parse(const struct conf_key *keys, size_t nkeys, void *target, const char *file,
               const char *text, size_t len, struct kp_buf *err, unsigned *lines)
{
    const struct conf_table t = {NULL, keys, nkeys, NULL, NULL};
    const struct conf_section s = {&t, target};

    return conf_parse_sections(&s, 1, file, text, len, err, lines);
}

int conf_parse_sections(const struct conf_section *secs, size_t nsecs, const char *file,
                        const char *text, size_t len, struct kp_buf *err, unsigned *lines)
{
    struct conf_ctx c = {NULL, 0, file, err, NULL, lines, 0};
    char section[64] = "";
    char linebuf[CONF_LINE_MAX];
    unsigned lineno = 0;
    size_t pos = 0;

    for (size_t i = 0; i < nsecs; i++)
        c.nkeys += secs[i].table->nkeys;
    c.keys = kp_calloc(c.nkeys ? c.nkeys : 1, sizeof(*c.keys));
    c.seen = kp_calloc(c.nkeys ? c.nkeys : 1, 1);
    for (size_t i = 0, n = 0; i < nsecs; i++)
        for (size_t j = 0; j < secs[i].table->nkeys; j++) {
            c.keys[n].key = &secs[i].table->keys[j];
            c.keys[n++].target = secs[i].set;
        }
    while (pos < len) {
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t n = pos - start;
        lineno++;
        if (pos < len)
            pos++; /* skip '\n' */
        if (memchr(text + start, '\0', n) != NULL) {
            conf_error(&c, lineno, "NUL byte in line");
            continue;
        }
        if (n >= sizeof(linebuf)) {
            conf_error(&c, lineno, "line longer than %d bytes", CONF_LINE_MAX - 1);
            continue;
        }
        memcpy(linebuf, text + start, n);
        linebuf[n] = '\0';
        conf_line(&c, lineno, linebuf, section, sizeof(section));
    }
    free(c.seen);
    free(c.keys);
    return c.errors ? -KP_ERR_CONFIG : 0;
}

unsigned conf_report_line(const struct conf_report *r, const char *key)
{
    for (size_t i = 0; i < r->table->nkeys; i++)
        if (strcmp(r->table->keys[i].name, key) == 0)
            return r->lines[i];
    return 0;
}

void conf_report(struct conf_report *r, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kp_buf_printf(r->err, "%s:%u: %s\n", r->file, line, msg);
    r->errors++;
}
