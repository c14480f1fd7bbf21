/* SPDX-License-Identifier: ISC */
/*
 * Golden transcripts (*.dialog, kpass-menu(5) "TRANSCRIPTS"): what the user
 * does and the exact screen that must come back, run in process against a
 * compiled graph and the caller's built-ins.  The dialog state goes through
 * menu_state_encode/decode between hops, as it does in the daemon.
 *
 *   lang ur                  language of the next dial
 *   limits 182 80            page limits from here on
 *   service *789#            the service code `! dial` strips
 *   ! dial *789*2#           begin (with a shortcut)
 *   ! resume                 redial within the resume window
 *   ! expired                the "session expired" notice
 *   > 2                      a reply ("> " alone: an empty reply)
 *   < gsm7 continue          expected: gsm7|ucs2, continue|end [lang XX]
 *   | 1 Find a service       the expected screen, one line each
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "menu_internal.h"

struct tline {
    const char *s;
    size_t len;
    unsigned no;
};

struct run {
    const struct menu_graph *g;
    struct menu_env env;
    const char *file;
    struct kp_buf *report;
    struct menu_transcript_result *res;
    struct menu_state *st;
    struct menu_screen scr;
    struct kp_buf blob, service;
    enum menu_lang lang;
    int live;     /* a dialog is in progress */
    int have;     /* scr holds the answer to the last action */
    unsigned act; /* line of the last action */
};

static int starts(const struct tline *l, const char *word)
{
    size_t n = strlen(word);
    return l->len >= n && memcmp(l->s, word, n) == 0;
}

/* Split text into lines (without "\n" or a trailing "\r"). */
static struct tline *split(const char *text, size_t len, size_t *n)
{
    struct tline *lines = NULL;
    size_t cap = 0, count = 0;
    const char *p = text, *end = text + len;
    unsigned no = 1;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        lines = kp_grow(lines, &cap, count + 1, sizeof(*lines));
        lines[count].s = p;
        lines[count].len = (size_t)(e - p) - (e > p && e[-1] == '\r');
        lines[count].no = no++;
        count++;
        p = nl ? nl + 1 : end;
    }
    *n = count;
    return lines;
}

static int blank(const struct tline *l)
{
    for (size_t i = 0; i < l->len; i++) {
        if (l->s[i] == '#')
            return 1;
        if (l->s[i] != ' ' && l->s[i] != '\t')
            return 0;
    }
    return 1;
}

/* Syntax only: every line must be one of the forms above. */
static int check_syntax(struct run *r, const struct tline *lines, size_t n)
{
    int bad = 0;
    unsigned a, b;

    for (size_t i = 0; i < n; i++) {
        const struct tline *l = &lines[i];
        char buf[64] = "";
        const char *why = NULL;
        if (l->len < sizeof(buf))
            memcpy(buf, l->s, l->len);
        if (blank(l) || starts(l, "| ") || (l->len == 1 && l->s[0] == '|') || starts(l, "> ") ||
            (l->len == 1 && l->s[0] == '>'))
            continue;
        if (starts(l, "! dial") || (starts(l, "! resume") && l->len == 8) ||
            (starts(l, "! expired") && l->len == 9) || starts(l, "service "))
            continue;
        if (starts(l, "lang ")) {
            if (menu_lang_parse(buf + 5) < 0)
                why = "unknown language (en, ur, ur-Latn or ps)";
        } else if (starts(l, "limits ")) {
            if (sscanf(buf, "limits %u %u", &a, &b) != 2 || a == 0 || b == 0)
                why = "expected 'limits GSM7 UCS2' (two numbers)";
        } else if (starts(l, "< ")) {
            char enc[8], kind[12], lang[8], extra[4];
            int k = sscanf(buf, "< %7s %11s lang %7s %3s", enc, kind, lang, extra);
            if (k < 2 || (strcmp(enc, "gsm7") && strcmp(enc, "ucs2")) ||
                (strcmp(kind, "continue") && strcmp(kind, "end")) ||
                (k >= 3 && menu_lang_parse(lang) < 0) || k == 4)
                why = "expected '< gsm7|ucs2 continue|end [lang XX]'";
            else if (k == 2 && sscanf(buf, "< %7s %11s %3s", enc, kind, extra) == 3)
                why = "expected '< gsm7|ucs2 continue|end [lang XX]'";
        } else {
            why = "unknown line (expected lang, limits, service, !, >, < or |)";
        }
        if (why) {
            kp_buf_printf(r->report, "%s:%u: %s\n", r->file, l->no, why);
            bad = 1;
        }
    }
    return bad ? -KP_ERR_PARSE : 0;
}

static void fail(struct run *r, unsigned line, const char *fmt, ...) KP_PRINTF(3, 4);

static void fail(struct run *r, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kp_buf_printf(r->report, "%s:%u: %s\n", r->file, line, msg);
    r->res->failures++;
}

/* After a hop: store and reload the state as the daemon would. */
static void reload(struct run *r, unsigned line)
{
    kp_buf_reset(&r->blob);
    menu_state_encode(r->st, &r->blob);
    if (menu_state_decode(r->st, (const uint8_t *)r->blob.data, r->blob.len) < 0) {
        fail(r, line, "the dialog state did not decode after this hop");
        r->live = 0;
    }
}

static void act(struct run *r, const struct tline *l)
{
    int rc = 0;

    r->act = l->no;
    r->have = 0;
    if (starts(l, "! dial")) {
        char dialled[128];
        const char *arg = l->s + 6, *steps;
        size_t n = l->len - 6;
        while (n && *arg == ' ')
            arg++, n--;
        snprintf(dialled, sizeof(dialled), "%.*s", (int)n, arg);
        steps = n ? menu_dial_steps(dialled, r->service.data) : "";
        if (steps == NULL) {
            fail(r, l->no, "'%s' is not the service code %s", dialled, r->service.data);
            return;
        }
        rc = menu_dialog_begin(r->g, &r->env, r->st, r->lang, steps, &r->scr);
    } else if (starts(l, "! resume")) {
        if (menu_state_resumable(r->st))
            rc = menu_dialog_resume(r->g, &r->env, r->st, &r->scr);
        else
            rc = menu_dialog_begin(r->g, &r->env, r->st, menu_state_lang(r->st), NULL, &r->scr);
    } else if (starts(l, "! expired")) {
        enum menu_lang lang = r->live ? menu_state_lang(r->st) : r->lang;
        r->live = 0;
        r->have = menu_system_render(r->g, lang, MENU_SYS_EXPIRED, &r->env.limits, &r->scr) == 0;
        return;
    } else {
        size_t n = l->len > 1 ? l->len - 2 : 0;
        if (!r->live) {
            fail(r, l->no, "no dialog in progress (use '! dial' first)");
            return;
        }
        rc = menu_dialog_input(r->g, &r->env, r->st, l->s + (l->len > 1 ? 2 : 1), n, &r->scr);
    }
    if (rc < 0) {
        fail(r, l->no, "the engine refused this: %s", kp_strerror(rc));
        r->live = 0;
        return;
    }
    r->have = 1;
    r->live = !r->scr.end;
    reload(r, l->no);
}

static void show(struct kp_buf *out, const char *label, const char *text, size_t len)
{
    const char *p = text, *end = text + len;

    kp_buf_printf(out, "  %s:\n", label);
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        kp_buf_printf(out, "  | %.*s\n", (int)(e - p), p);
        if (!nl)
            break;
        p = nl + 1;
    }
}

/* Compare the expectation at lines[i] (and its | lines) with the screen. */
static size_t expect(struct run *r, const struct tline *lines, size_t n, size_t i)
{
    const struct tline *l = &lines[i];
    struct kp_buf want = KP_BUF_INIT;
    char buf[64] = "", enc[8], kind[12], lang[8] = "";
    size_t j = i + 1, first_diff = 0;

    memcpy(buf, l->s, l->len < sizeof(buf) ? l->len : sizeof(buf) - 1);
    sscanf(buf, "< %7s %11s lang %7s", enc, kind, lang);
    kp_buf_append(&want, "", 0); /* allocated and NUL-terminated */
    for (; j < n && (starts(&lines[j], "| ") || (lines[j].len == 1 && lines[j].s[0] == '|')); j++) {
        if (j > i + 1)
            kp_buf_putc(&want, '\n');
        kp_buf_append(&want, lines[j].s + (lines[j].len > 1 ? 2 : 1),
                      lines[j].len > 1 ? lines[j].len - 2 : 0);
    }
    r->res->exchanges++;
    if (!r->have) {
        fail(r, l->no, "no screen to compare (the action on line %u failed)", r->act);
        goto out;
    }
    const struct menu_screen *s = &r->scr;
    int want_gsm = strcmp(enc, "gsm7") == 0, want_end = strcmp(kind, "end") == 0;
    int want_lang = lang[0] ? menu_lang_parse(lang) : -1;
    if (want.len != s->text.len || memcmp(want.data, s->text.data, want.len) != 0) {
        /* the first differing line, for the message */
        size_t k = 0, line = 0;
        while (k < want.len && k < s->text.len && want.data[k] == s->text.data[k])
            line += want.data[k++] == '\n';
        first_diff = i + 1 + line < j ? lines[i + 1 + line].no : l->no;
    }
    if (first_diff || want_gsm != (s->enc == TEXT_GSM7) || want_end != s->end ||
        (want_lang >= 0) != (s->lang_changed != 0) ||
        (want_lang >= 0 && want_lang != (int)s->lang)) {
        fail(r, first_diff ? (unsigned)first_diff : l->no, "the screen differs");
        kp_buf_printf(r->report, "  expected %s %s%s%s, got %s %s%s%s\n", enc, kind,
                      lang[0] ? " lang " : "", lang, s->enc == TEXT_GSM7 ? "gsm7" : "ucs2",
                      s->end ? "end" : "continue", s->lang_changed ? " lang " : "",
                      s->lang_changed ? menu_lang_name(s->lang) : "");
        show(r->report, "expected", want.data, want.len);
        show(r->report, "got", s->text.data, s->text.len);
    }
out:
    kp_buf_free(&want);
    return j;
}

static void directive(struct run *r, const struct tline *l)
{
    char buf[64] = "";

    memcpy(buf, l->s, l->len < sizeof(buf) ? l->len : sizeof(buf) - 1);
    if (starts(l, "lang "))
        r->lang = (enum menu_lang)menu_lang_parse(buf + 5);
    else if (starts(l, "limits "))
        sscanf(buf, "limits %u %u", &r->env.limits.gsm7, &r->env.limits.ucs2);
    else if (starts(l, "service ")) {
        kp_buf_reset(&r->service);
        kp_buf_append(&r->service, l->s + 8, l->len - 8);
    }
}

int menu_transcript_run(const struct menu_graph *g, const struct menu_env *env, const char *file,
                        const char *text, size_t len, struct kp_buf *report,
                        struct menu_transcript_result *res)
{
    struct run r;
    size_t n, i = 0;
    struct tline *lines = split(text, len, &n);
    int rc;

    memset(&r, 0, sizeof(r));
    memset(res, 0, sizeof(*res));
    r.g = g;
    r.env = *env;
    r.file = file;
    r.report = report;
    r.res = res;
    r.lang = MENU_LANG_EN;
    kp_buf_puts(&r.service, "*789#");
    if ((rc = check_syntax(&r, lines, n)) < 0)
        goto out;
    r.st = menu_state_new();
    while (i < n) {
        const struct tline *l = &lines[i];
        if (starts(l, "< ")) {
            i = expect(&r, lines, n, i);
            continue;
        }
        if (l->len && (l->s[0] == '!' || l->s[0] == '>'))
            act(&r, l);
        else if (l->len && l->s[0] == '|')
            fail(&r, l->no, "a screen line without '<' before it");
        else if (!blank(l))
            directive(&r, l);
        i++;
    }
out:
    menu_state_free(r.st);
    menu_screen_free(&r.scr);
    kp_buf_free(&r.blob);
    kp_buf_free(&r.service);
    free(lines);
    return rc;
}

int menu_transcript_run_file(const struct menu_graph *g, const struct menu_env *env,
                             const char *path, struct kp_buf *report,
                             struct menu_transcript_result *res)
{
    struct kp_buf text = KP_BUF_INIT;
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    int rc;

    memset(res, 0, sizeof(*res));
    if (f == NULL) {
        kp_buf_printf(report, "%s: %s\n", path, strerror(errno));
        return -KP_ERR_IO;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        kp_buf_append(&text, chunk, n);
    fclose(f);
    kp_buf_append(&text, "", 0); /* allocated and NUL-terminated */
    rc = menu_transcript_run(g, env, path, text.data, text.len, report, res);
    kp_buf_free(&text);
    return rc;
}
