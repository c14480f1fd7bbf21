/* SPDX-License-Identifier: ISC */
/*
 * The golden transcripts of the shipped menus (tests/dialogs/NAME.dialog,
 * kpass-menu(5)): each one passes `kpass menu test` against menus/ and the
 * seed with the caller its header names ("# msisdn +92..."); a wrong one
 * fails at its file:line; and together they show every screen of menus/
 * in English and in Urdu, and in Pashto and Roman Urdu where the menus have
 * them.  The
 * coverage is measured here by replaying each transcript hop by hop
 * through the engine and the real built-ins over a copy of the seeded
 * database (as `kpass menu test` does), checking every screen against the
 * transcript on the way, and noting the screen each hop ends on and each
 * action screen's built-in as it is called.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/audit/audit.h"
#include "kpass/ussd/builtins.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"
#include "kpass/menu/menu.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "pgtest.h"
#include "testutil.h"

#define DLG_MAX            64
#define DLG_DEFAULT_MSISDN "+923000000101" /* kpass menu test's default caller */

static char dlg_files[DLG_MAX][64];
static int dlg_nfiles;

static int dlg_name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The transcripts in tests/dialogs, sorted (at suite creation). */
static void dlg_scan(void)
{
    char dir[1024];
    DIR *d;
    struct dirent *e;

    snprintf(dir, sizeof(dir), "%s/tests/dialogs", tu_top());
    dlg_nfiles = 0;
    if ((d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL && dlg_nfiles < DLG_MAX) {
        size_t n = strlen(e->d_name);
        if (n > 7 && n < sizeof(dlg_files[0]) && strcmp(e->d_name + n - 7, ".dialog") == 0)
            strcpy(dlg_files[dlg_nfiles++], e->d_name);
    }
    closedir(d);
    qsort(dlg_files, (size_t)dlg_nfiles, sizeof(dlg_files[0]), dlg_name_cmp);
}

static char *dlg_path(const char *name)
{
    char *path;

    ck_assert_int_gt(asprintf(&path, "%s/tests/dialogs/%s", tu_top(), name), 0);
    return path;
}

/* The caller a transcript is written for: its first "caller +N" line. */
static void dlg_msisdn(const char *text, char out[24])
{
    const char *p = strncmp(text, "caller +", 8) == 0 ? text - 1 : strstr(text, "\ncaller +");

    snprintf(out, 24, "%s", DLG_DEFAULT_MSISDN);
    if (p)
        sscanf(p + 8, "%16[+0-9]", out);
}

/* Lines of text starting with prefix. */
static unsigned dlg_count(const char *text, const char *prefix)
{
    unsigned n = 0;
    size_t len = strlen(prefix);

    for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, len) == 0;
    return n;
}

/* Run `kpass menu test` on path (or every transcript when path is NULL)
   as shipped: the callers come from the files' `caller` lines, each file
   has a database of its own.  Exit status, output in *out. */
static int dlg_kpass_test(const char *path, char **out)
{
    char bin[1024], menus[1024], seed[1024], file[1200];
    char *argv[DLG_MAX + 12] = {
        bin,  "-c", "/nonexistent/kpassd.conf", "menu", "test", "--menus", menus, "--seed", seed,
        file, NULL};
    char *all[DLG_MAX];

    snprintf(bin, sizeof(bin), "%s", tu_bin("kpass"));
    snprintf(file, sizeof(file), "%s", path ? path : "");
    if (path == NULL) {
        for (int i = 0; i < dlg_nfiles; i++)
            argv[9 + i] = all[i] = dlg_path(dlg_files[i]);
        argv[9 + dlg_nfiles] = NULL;
    }
    snprintf(menus, sizeof(menus), "%s/menus", tu_top());
    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    int rc = tu_run(argv, NULL, out, 60000);
    for (int i = 0; path == NULL && i < dlg_nfiles; i++)
        free(all[i]);
    return rc;
}

/* ---- every transcript passes ---- */

START_TEST(test_transcript_passes)
{
    char *path, *text, *out = NULL, msisdn[24], want[96];
    unsigned screens;
    int rc;

    ck_assert_int_lt(_i, dlg_nfiles);
    path = dlg_path(dlg_files[_i]);
    text = (char *)tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    dlg_msisdn(text, msisdn);
    screens = dlg_count(text, "< ");
    ck_assert_uint_gt(screens, 4);
    rc = dlg_kpass_test(path, &out);
    ck_assert_msg(rc == 0, "%s (caller %s): exit %d\n%s", dlg_files[_i], msisdn, rc, out);
    snprintf(want, sizeof(want), "1 transcripts, %u screens compared, 0 failures", screens);
    ck_assert_msg(strstr(out, want) != NULL, "%s: expected '%s', got %s", dlg_files[_i], want, out);
    free(out);
    free(text);
    free(path);
}
END_TEST

/* `kpass menu test` on every file of tests/dialogs at once passes as shipped:
   every caller from its file (issue 11). */
START_TEST(test_all_in_one_run)
{
    char *out = NULL, want[96];
    unsigned screens = 0;

    for (int i = 0; i < dlg_nfiles; i++) {
        char *path = dlg_path(dlg_files[i]), *text = (char *)tu_read_file(path, NULL);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(strstr(text, "\ncaller +") || strncmp(text, "caller +", 8) == 0,
                      "%s has no caller line", dlg_files[i]);
        screens += dlg_count(text, "< ");
        free(text);
        free(path);
    }
    ck_assert_msg(dlg_kpass_test(NULL, &out) == 0, "%s", out);
    snprintf(want, sizeof(want), "%d transcripts, %u screens compared, 0 failures", dlg_nfiles,
             screens);
    ck_assert_msg(strstr(out, want) != NULL, "expected '%s', got %s", want, out);
    free(out);
}
END_TEST

/* ---- kpass menu check: the report and --strict ---- */

/* Run `kpass menu check [--options] DIR [FILES]` with up to three of them
   (NULL: none). */
/* kpass menu check --seed etc/seed [options] dir [files], args NULL-terminated. */
static int dlg_menu_check_v(const char *dir, char **out, const char *const *args)
{
    char bin[1024], seed[1024], d[1024], extra[14][64];
    char *argv[24] = {bin, "-c", "/nonexistent/kpassd.conf", "menu", "check", "--seed", seed};
    int n = 7, na = 0;

    for (; args[na] && na < 14; na++) {
        snprintf(extra[na], sizeof(extra[na]), "%s", args[na]);
        if (strcmp(args[na], "--no-data") == 0)
            n = 5; /* no --seed */
    }
    snprintf(bin, sizeof(bin), "%s", tu_bin("kpass"));
    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    snprintf(d, sizeof(d), "%s", dir);
    for (int i = 0; i < na; i++)
        if (strncmp(extra[i], "--", 2) == 0)
            argv[n++] = extra[i];
    argv[n++] = d;
    for (int i = 0; i < na; i++)
        if (strncmp(extra[i], "--", 2) != 0)
            argv[n++] = extra[i];
    argv[n] = NULL;
    return tu_run(argv, NULL, out, 60000);
}

static int dlg_menu_check(const char *dir, char **out, const char *a1, const char *a2,
                          const char *a3)
{
    const char *args[4] = {a1, a1 ? a2 : NULL, a1 && a2 ? a3 : NULL, NULL};

    return dlg_menu_check_v(dir, out, args);
}

static void dlg_write(const char *dir, const char *name, const char *text)
{
    char path[1200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

START_TEST(test_menu_check_strict)
{
    /* Makefile MENU_STRICT: every shipped file (doc/issue11-pages.md) */
    static const char *const strict_files[] = {
        "--strict",     "controls.menu", "identity.menu", "main.menu",
        "offices.menu", "services.menu", "system.menu",   NULL};
    char menus[1024], tmp[] = "/tmp/kpass-menu-check-test-XXXXXX", *out = NULL;

    /* the shipped files held to it (Makefile MENU_STRICT) pass */
    snprintf(menus, sizeof(menus), "%s/menus", tu_top());
    ck_assert_msg(dlg_menu_check_v(menus, &out, strict_files) == 0, "%s", out);
    free(out);
    /* the report: a row per screen and language, with pages and units (one
       run over every file: each walk of the shipped menus with the seed takes
       seconds of CPU, and --quiet, which only leaves the report out, was
       run above) */
    ck_assert_int_eq(dlg_menu_check(menus, &out, NULL, NULL, NULL), 0);
    ck_assert_msg(strstr(out, "\nmain                   main.menu      ur          1   "), "%s",
                  out);
    ck_assert_msg(strstr(out, "/80  ucs2       8      8       0 walk\n"), "%s", out);
    /* through a look-up to a service's details (data), never through a code
       request or the registration look-up, which count against limits */
    for (const char *l = out; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "service_detail ", 15) == 0 || strncmp(l, "office_detail ", 14) == 0)
            ck_assert_msg(strncmp(strchr(l, '\n') - 4, "walk", 4) == 0, "%.100s", l);
        if (strncmp(l, "reg_show ", 9) == 0 || strncmp(l, "otp_sent ", 9) == 0)
            ck_assert_msg(strncmp(strchr(l, '\n') - 6, "static", 6) == 0, "%.100s", l);
    }
    free(out);
    /* a text without Pashto, and a home screen that takes two pages in Urdu */
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    dlg_write(tmp, "a.menu",
              "screen main menu\n"
              "  title \"Home\" ur \"مرکزی\" ps \"کور\" ur-Latn \"Ghar\"\n"
              "  option \"One\" ur \"ایک ایک ایک ایک ایک ایک ایک ایک ایک ایک\" ps \"یو\" "
              "ur-Latn \"Aik\" -> b\n"
              "  option \"Two\" ur \"دو دو دو دو دو دو دو دو دو دو دو دو دو دو\" ps \"دوه\" "
              "ur-Latn \"Do\" -> b\n"
              "  option \"Three\" ur \"تین تین تین تین تین تین تین تین تین\" ps \"درې\" "
              "ur-Latn \"Teen\" -> b\n"
              "screen b info\n"
              "  text \"Bee\" ur \"بی\" ur-Latn \"Bee\"\n");
    ck_assert_int_eq(dlg_menu_check(tmp, &out, "--no-data", NULL, NULL), 0);
    ck_assert_msg(strstr(out, "warning: 34 missing translations, 2 page goals not met"), "%s", out);
    free(out);
    ck_assert_int_eq(dlg_menu_check(tmp, &out, "--strict", "--no-data", NULL), 1);
    ck_assert_msg(strstr(out, "a.menu:7:8: screen 'b': no 'ps' variant of \"Bee\""), "%s", out);
    ck_assert_msg(strstr(out, "a.menu: screen 'main' (ur): 3 pages; it must fit one"), "%s", out);
    ck_assert_msg(strstr(out, "error: 34 missing translations, 2 page goals not met"), "%s", out);
    ck_assert_msg(
        strstr(out, "a.menu: screen 'main' (ur): 3 pages with fewer than 2 of its 3 options"), "%s",
        out);
    /* system texts the menus never define have no translation either */
    ck_assert_msg(strstr(out, "menu: system text 'more': not defined, no 'ps' variant"), "%s", out);
    ck_assert_msg(strstr(out, ": FAILED\n"), "%s", out);
    free(out);
    char path[1200];
    snprintf(path, sizeof(path), "%s/a.menu", tmp);
    unlink(path);
    rmdir(tmp);
}
END_TEST

START_TEST(test_transcripts_found)
{
    /* English and Urdu, and the Pashto one. */
    int en = 0, ur = 0, ps = 0;

    for (int i = 0; i < dlg_nfiles; i++) {
        en += strncmp(dlg_files[i], "en_", 3) == 0;
        ur += strncmp(dlg_files[i], "ur_", 3) == 0;
        ps += strncmp(dlg_files[i], "ps", 2) == 0;
    }
    ck_assert_int_ge(en, 5);
    ck_assert_int_ge(ur, 4);
    ck_assert_int_ge(ps, 1);
}
END_TEST

/* ---- a wrong transcript fails at its file:line ---- */

static const struct {
    const char *file;
    const char *line;    /* the first line equal to this is replaced */
    const char *replace; /* by this */
    const char *message; /* reported at that line */
} wrong[] = {
    /* a text line of a screen */
    {"en_services.dialog", "| 2 Health, Sehat Card", "| 2 Hospitals", "the screen differs"},
    /* an Urdu navigation line */
    {"ur_home.dialog", "| 98 مزید", "| 98 More", "the screen differs"},
    /* the end flag: reported at the '<' line */
    {"en_identity.dialog", "< gsm7 end", "< gsm7 continue", "the screen differs"},
    /* the encoding */
    {"ps.dialog", "< ucs2 continue", "< gsm7 continue", "the screen differs"},
    /* a language change that the transcript does not announce */
    {"language.dialog", "< ucs2 continue lang ur", "< ucs2 continue", "the screen differs"},
    /* a screen line that is missing its last line */
    {"en_offices.dialog", "| Tel 091-0000114", "|", "the screen differs"},
    /* not a transcript line at all */
    {"en_home.dialog", "! dial *789#", "? dial *789#", "unknown line"},
};

START_TEST(test_wrong_transcript)
{
    char *path = dlg_path(wrong[_i].file), *text, *out = NULL, *tmp, copy[1200], msisdn[24];
    char want[1400];
    const char *at;
    unsigned line = 1;
    FILE *f;
    int rc;

    text = (char *)tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    dlg_msisdn(text, msisdn);
    /* the first whole line equal to wrong[_i].line */
    size_t n = strlen(wrong[_i].line);
    for (at = text; at; at = strchr(at, '\n') ? strchr(at, '\n') + 1 : NULL) {
        if (strncmp(at, wrong[_i].line, n) == 0 && (at[n] == '\n' || at[n] == '\0'))
            break;
        line++;
    }
    ck_assert_msg(at != NULL, "%s has no line '%s'", wrong[_i].file, wrong[_i].line);
    tmp = tu_tmpdir("dialog");
    snprintf(copy, sizeof(copy), "%s/%s", tmp, wrong[_i].file);
    f = fopen(copy, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(wrong[_i].replace, f);
    fputs(at + n, f);
    fclose(f);
    rc = dlg_kpass_test(copy, &out);
    ck_assert_msg(rc == 1, "%s changed at line %u: exit %d\n%s", wrong[_i].file, line, rc, out);
    snprintf(want, sizeof(want), "%s:%u: %s", copy, line, wrong[_i].message);
    ck_assert_msg(strstr(out, want) != NULL, "expected '%s' in:\n%s", want, out);
    ck_assert_msg(strstr(out, " 1 failures") != NULL, "one failure only:\n%s", out);
    unlink(copy);
    rmdir(tmp);
    free(tmp);
    free(out);
    free(text);
    free(path);
}
END_TEST

/* ---- every screen is shown ---- */

#define COV_SCREENS 128

struct cov {
    const struct menu_graph *g;
    struct ussd_builtins bt;
    unsigned char shown[COV_SCREENS][MENU_LANG_MAX];
    char called[64][32]; /* built-ins called, with the languages */
    unsigned char called_lang[64][MENU_LANG_MAX];
    int ncalled;
};

static void cov_mark(struct cov *c, const char *screen, enum menu_lang lang)
{
    for (size_t i = 0; i < menu_graph_screens(c->g) && i < COV_SCREENS; i++)
        if (strcmp(menu_graph_screen_name(c->g, i), screen) == 0)
            c->shown[i][lang] = 1;
}

/* The built-ins, noting each call. */
static int cov_call(void *ctx, const struct menu_call *call, struct menu_result *res)
{
    struct cov *c = ctx;
    int i;

    for (i = 0; i < c->ncalled && strcmp(c->called[i], call->name) != 0; i++)
        ;
    if (i == c->ncalled && i < (int)KP_ARRAY_LEN(c->called))
        snprintf(c->called[c->ncalled++], sizeof(c->called[0]), "%s", call->name);
    if (i < (int)KP_ARRAY_LEN(c->called))
        c->called_lang[i][call->lang] = 1;
    return c->bt.call(c->bt.ctx, call, res);
}

/* One transcript's replay. */
struct replay {
    struct cov *cov;
    const char *file;
    struct menu_env env;
    struct menu_state *st;
    struct menu_screen scr;
    struct kp_buf blob;
    enum menu_lang lang; /* for the next dial */
    char service[24];
    int live;    /* a dialog is in progress */
    int prompt;  /* the resume prompt is showing */
    int counted; /* screens compared */
    char caller[20];
};

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Run the action on line l (of len bytes); marks what it showed. */
static void replay_act(struct replay *r, const char *l, size_t len, unsigned no)
{
    int rc, shows_screen = 1;

    if (strncmp(l, "! dial ", 7) == 0) {
        char dialled[128];
        snprintf(dialled, sizeof(dialled), "%.*s", (int)len - 7, l + 7);
        const char *steps = menu_dial_steps(dialled, r->service);
        ck_assert_msg(steps != NULL, "%s:%u: not the service code", r->file, no);
        rc = menu_dialog_begin(r->cov->g, &r->env, r->st, r->lang, steps, &r->scr);
        r->prompt = 0;
    } else if (strncmp(l, "! resume", 8) == 0) {
        if (menu_state_resumable(r->st)) {
            rc = menu_dialog_resume(r->cov->g, &r->env, r->st, &r->scr);
            r->prompt = 1;
            shows_screen = 0;
        } else {
            rc =
                menu_dialog_begin(r->cov->g, &r->env, r->st, menu_state_lang(r->st), NULL, &r->scr);
        }
    } else if (strncmp(l, "! expired", 9) == 0) {
        rc = menu_system_render(r->cov->g, r->live ? menu_state_lang(r->st) : r->lang,
                                MENU_SYS_EXPIRED, &r->env.limits, &r->scr);
        r->live = 0;
        ck_assert_int_eq(rc, 0);
        return;
    } else {
        const char *s = len > 1 ? l + 2 : l + 1;
        size_t n = len > 1 ? len - 2 : 0;
        rc = menu_dialog_input(r->cov->g, &r->env, r->st, s, n, &r->scr);
        if (r->prompt) {
            trim(&s, &n);
            /* 1 Continue and 2 Start again leave the prompt; anything else shows it again */
            r->prompt = !(n == 1 && (*s == '1' || *s == '2'));
            shows_screen = !r->prompt;
        }
    }
    ck_assert_msg(rc == 0, "%s:%u: the engine refused this (%d)", r->file, no, rc);
    r->live = !r->scr.end;
    /* stored and read back between hops, as the daemon does */
    kp_buf_reset(&r->blob);
    menu_state_encode(r->st, &r->blob);
    ck_assert_int_eq(menu_state_decode(r->st, (const uint8_t *)r->blob.data, r->blob.len), 0);
    if (shows_screen) {
        const char *name = menu_state_screen(r->st, r->cov->g);
        ck_assert_ptr_nonnull(name);
        cov_mark(r->cov, name, r->scr.lang);
    }
}

/* Compare the screen with the '<' block at lines[i]; returns the next line. */
static size_t replay_expect(struct replay *r, char **lines, size_t n, size_t i)
{
    struct kp_buf want = KP_BUF_INIT;
    char enc[8] = "", kind[12] = "";
    size_t j;

    sscanf(lines[i], "< %7s %11s", enc, kind);
    kp_buf_append(&want, "", 0);
    for (j = i + 1; j < n && lines[j][0] == '|'; j++) {
        if (j > i + 1)
            kp_buf_putc(&want, '\n');
        kp_buf_puts(&want, lines[j][1] ? lines[j] + 2 : "");
    }
    ck_assert_msg(want.len == r->scr.text.len && memcmp(want.data, r->scr.text.data, want.len) == 0,
                  "%s:%zu: replay shows\n%s\ninstead of\n%s", r->file, i + 1, r->scr.text.data,
                  want.data);
    ck_assert_msg((strcmp(enc, "gsm7") == 0) == (r->scr.enc == TEXT_GSM7), "%s:%zu: encoding",
                  r->file, i + 1);
    ck_assert_msg((strcmp(kind, "end") == 0) == (r->scr.end != 0), "%s:%zu: end", r->file, i + 1);
    r->counted++;
    kp_buf_free(&want);
    return j;
}

/* "caller +N [lang L] [profile P]": the number for the built-ins, the language. */
static void replay_caller(struct replay *r, const char *l)
{
    char lang[16] = "";

    ck_assert_int_ge(sscanf(l, "caller %16s lang %15s", r->caller, lang), 1);
    r->env.msisdn = r->caller;
    if (lang[0])
        r->lang = (enum menu_lang)menu_lang_parse(lang);
}

static void replay_file(struct cov *c, const char *name, const char *text, const char *msisdn)
{
    struct replay r;
    char *copy = strdup(text), *save = NULL, **lines = NULL;
    size_t n = 0, cap = 0;

    /* lines, without their "\n" */
    for (char *p = copy; p; p = save) {
        save = strchr(p, '\n');
        if (save)
            *save++ = '\0';
        lines = kp_grow(lines, &cap, n + 1, sizeof(*lines));
        lines[n++] = p;
    }
    memset(&r, 0, sizeof(r));
    r.cov = c;
    r.file = name;
    r.env.ctx = c;
    r.env.call = cov_call;
    r.env.msisdn = msisdn;
    r.env.limits = (struct menu_limits)MENU_LIMITS_DEFAULT;
    r.st = menu_state_new();
    r.scr = (struct menu_screen)MENU_SCREEN_INIT;
    r.lang = MENU_LANG_EN;
    strcpy(r.service, "*789#");
    for (size_t i = 0; i < n;) {
        const char *l = lines[i];
        if (l[0] == '<') {
            i = replay_expect(&r, lines, n, i);
            continue;
        }
        if (l[0] == '!' || l[0] == '>')
            replay_act(&r, l, strlen(l), (unsigned)i + 1);
        else if (strncmp(l, "lang ", 5) == 0)
            r.lang = (enum menu_lang)menu_lang_parse(l + 5);
        else if (strncmp(l, "caller ", 7) == 0)
            replay_caller(&r, l);
        else
            ck_assert_msg(l[0] == '#' || l[0] == '\0', "%s:%zu: the replay does not know '%s'",
                          name, i + 1, l);
        i++;
    }
    ck_assert_int_eq(r.counted, (int)dlg_count(text, "< "));
    menu_state_free(r.st);
    menu_screen_free(&r.scr);
    kp_buf_free(&r.blob);
    free(lines);
    free(copy);
}

/* Screens whose block in the menu files has Pashto text (a `ps "...` string). */
/* Has screen a text in the language tagged tag ("ps", "ur-Latn")? */
static int cov_has_lang(const char *screen, const char *tag)
{
    char dir[1024], path[1400], head[128], want[32];
    DIR *d;
    struct dirent *e;
    int found = 0;

    snprintf(want, sizeof(want), " %s \"", tag);
    snprintf(dir, sizeof(dir), "%s/menus", tu_top());
    snprintf(head, sizeof(head), "screen %s ", screen);
    ck_assert_ptr_nonnull(d = opendir(dir));
    while (!found && (e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".menu") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        char *text = (char *)tu_read_file(path, NULL), *p = text ? strstr(text, head) : NULL;
        if (p) {
            char *end = strstr(p + 1, "\nscreen ");
            if (end)
                *end = '\0';
            found = strstr(p, want) != NULL;
        }
        free(text);
    }
    closedir(d);
    return found;
}

/* The built-in an action screen calls, from `kpass menu graph`'s labels. */
static int cov_action_builtin(const char *dot, const char *screen, char out[32])
{
    char pat[160];
    const char *p;

    snprintf(pat, sizeof(pat), "label=\"%s\\naction ", screen);
    if ((p = strstr(dot, pat)) == NULL)
        return 0;
    return sscanf(p + strlen(pat), "%31[a-z._]", out) == 1;
}

/*
 * A router shows nothing: it counts as shown in a language when every
 * screen it leads to was (so every branch was walked), from `kpass menu
 * graph`'s edges.  shown holds one byte per screen and language.
 */
static void cov_routers(const struct menu_graph *g, const char *dot,
                        unsigned char (*shown)[MENU_LANG_MAX])
{
    char pat[160], to[64];

    for (size_t s = 0; s < menu_graph_screens(g); s++) {
        const char *name = menu_graph_screen_name(g, s), *p;
        snprintf(pat, sizeof(pat), "label=\"%s\\nrouter\"", name);
        if (strstr(dot, pat) == NULL)
            continue;
        for (int l = 0; l < MENU_LANG_MAX; l++) {
            int all = 1, any = 0;
            snprintf(pat, sizeof(pat), "\"%s\" -> \"", name);
            for (p = strstr(dot, pat); p; p = strstr(p + 1, pat)) {
                if (sscanf(p + strlen(pat), "%63[^\"]", to) != 1)
                    continue;
                for (size_t t = 0; t < menu_graph_screens(g); t++)
                    if (strcmp(menu_graph_screen_name(g, t), to) == 0)
                        all &= shown[t][l] != 0, any = 1;
            }
            shown[s][l] = (unsigned char)(any && all);
        }
    }
}

/* Screens no dialog can reach with a consistent directory: a list is run
   again when it is answered and shown again if it changed (kpass-menu(5)),
   so a listed office or service is always found; only a change between the
   two queries of one hop would lead here. */
/* The use_* screens need uses of an identity in the audit log, which the seed
   has none of: check_controls_e2e walks them in every language against the
   daemon, with desk verifications and a code behind them. */
static const char *const unreachable[] = {"office_gone", "service_gone", "use_lookup",
                                          "use_route",   "use_desk",     "use_code",
                                          "use_dispute", "use_disputed", "use_gone"};

static int cov_unreachable(const char *screen)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(unreachable); i++)
        if (strcmp(unreachable[i], screen) == 0)
            return 1;
    return 0;
}

/* A copy of the seeded database for one transcript, with built-ins over it. */
static void cov_open(struct tu_daemon *d, const char *seeded, struct store **st,
                     struct kp_builtins **b, uint8_t *keys[2])
{
    char db[600], keydir[600];
    size_t len;
    uint8_t *data = tu_read_file(seeded, &len);
    struct kp_buf err = KP_BUF_INIT;
    struct otp_policy pol;
    uint8_t otp_key[OTP_KEY_BYTES];
    FILE *f;

    snprintf(db, sizeof(db), "%s/replay.db", d->dir);
    unlink(db);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(f = fopen(db, "wb"));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
    ck_assert_int_eq(tu_store_open(db, 0, st), 0);
    snprintf(keydir, sizeof(keydir), "%s/keys", d->dir);
    ck_assert_int_eq(keys_secret_load(keydir, "cnic.key", &keys[0], &err), 0);
    ck_assert_int_eq(keys_secret_load(keydir, "audit.key", &keys[1], &err), 0);
    kp_buf_free(&err);
    audit_use_key(*st, keys[1]);
    memset(otp_key, 7, sizeof(otp_key));
    otp_policy_default(&pol);
    ck_assert_int_eq(kp_builtins_new(*st, NULL, otp_key, keys[0], &pol, b), 0);
}

START_TEST(test_every_screen_shown)
{
    struct tu_daemon d;
    struct cov c;
    struct menu_graph *g;
    struct kp_buf diag = KP_BUF_INIT, dot = KP_BUF_INIT;
    char seed[1024], citizens[1100], menus[1024], seeded[600], *out = NULL;
    struct ussd_builtins table = kp_builtins_table(NULL);
    struct menu_options opts = {table.table, table.n, MENU_LIMITS_DEFAULT, table.validators};

    /* The seed, imported by the real kpass into a database we copy per transcript. */
    tu_daemon_prepare(&d, NULL);
    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    snprintf(citizens, sizeof(citizens), "%s/citizens.csv", seed);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL) == 0, "%s", out);
    free(out);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "citizens", citizens, NULL) == 0, "%s", out);
    free(out);
    snprintf(seeded, sizeof(seeded), "%s/kpass.db", d.dir);
    snprintf(menus, sizeof(menus), "%s/menus", tu_top());
    ck_assert_msg(menu_graph_load(menus, &opts, &g, &diag) == 0, "%s", diag.data);
    ck_assert_uint_le(menu_graph_screens(g), COV_SCREENS);
    memset(&c, 0, sizeof(c));
    c.g = g;
    ck_assert_int_ge(dlg_nfiles, 10);
    for (int i = 0; i < dlg_nfiles; i++) {
        struct store *st;
        struct kp_builtins *b;
        uint8_t *keys[2];
        char *path = dlg_path(dlg_files[i]), *text = (char *)tu_read_file(path, NULL), msisdn[24];
        dlg_msisdn(text, msisdn);
        cov_open(&d, seeded, &st, &b, keys);
        c.bt = kp_builtins_table(b);
        replay_file(&c, dlg_files[i], text, msisdn);
        kp_builtins_free(b);
        store_close(st);
        keys_secret_free(keys[0]);
        keys_secret_free(keys[1]);
        free(text);
        free(path);
    }
    /* Action screens show nothing: each counts as seen when its built-in ran. */
    menu_graph_dot(g, &dot);
    for (size_t s = 0; s < menu_graph_screens(g); s++) {
        char bi[32];
        if (!cov_action_builtin(dot.data, menu_graph_screen_name(g, s), bi))
            continue;
        for (int k = 0; k < c.ncalled; k++)
            if (strcmp(c.called[k], bi) == 0)
                for (int l = 0; l < MENU_LANG_MAX; l++)
                    c.shown[s][l] |= c.called_lang[k][l];
    }
    cov_routers(g, dot.data, c.shown);
    /* Every screen in English and Urdu; in Pashto and Roman Urdu where the
       menus have them. */
    struct kp_buf missing = KP_BUF_INIT;
    kp_buf_append(&missing, "", 0);
    unsigned seen = 0;
    for (size_t s = 0; s < menu_graph_screens(g); s++) {
        const char *name = menu_graph_screen_name(g, s);
        int ps = cov_has_lang(name, "ps"), ul = cov_has_lang(name, "ur-Latn");
        if (cov_unreachable(name)) {
            ck_assert_msg(!c.shown[s][MENU_LANG_EN], "%s is reachable after all: update the list",
                          name);
            continue;
        }
        if (!c.shown[s][MENU_LANG_EN] || !c.shown[s][MENU_LANG_UR] ||
            (ps && !c.shown[s][MENU_LANG_PS]) || (ul && !c.shown[s][MENU_LANG_UR_LATN]))
            kp_buf_printf(&missing, " %s(%s%s%s%s)", name, c.shown[s][MENU_LANG_EN] ? "" : "en ",
                          c.shown[s][MENU_LANG_UR] ? "" : "ur ",
                          ps && !c.shown[s][MENU_LANG_PS] ? "ps " : "",
                          ul && !c.shown[s][MENU_LANG_UR_LATN] ? "ur-Latn" : "");
        else
            seen++;
    }
    ck_assert_msg(missing.len == 0, "screens not shown by tests/dialogs:%.3000s", missing.data);
    ck_assert_uint_eq(seen + KP_ARRAY_LEN(unreachable), menu_graph_screens(g));
    ck_assert_uint_eq(menu_graph_screens(g), 61);
    kp_buf_free(&missing);
    kp_buf_free(&dot);
    kp_buf_free(&diag);
    menu_graph_unref(g);
    tu_daemon_cleanup(&d);
}
END_TEST

Suite *suite_dialogs(void)
{
    Suite *s = suite_create("dialogs");
    TCase *pass = tcase_create("transcripts");
    TCase *bad = tcase_create("wrong");
    TCase *cov = tcase_create("coverage");

    dlg_scan();
    tcase_set_timeout(pass, 120);
    tcase_add_test(pass, test_transcripts_found);
    tcase_add_test(pass, test_all_in_one_run);
    tcase_add_test(pass, test_menu_check_strict);
    tcase_add_loop_test(pass, test_transcript_passes, 0, dlg_nfiles > 0 ? dlg_nfiles : 1);
    suite_add_tcase(s, pass);
    tcase_set_timeout(bad, 120);
    tcase_add_loop_test(bad, test_wrong_transcript, 0, (int)KP_ARRAY_LEN(wrong));
    suite_add_tcase(s, bad);
    tcase_set_timeout(cov, 180);
    /* Coverage is the menus' and the transcripts' property, not the
       store's, and it replays each transcript on a copy of the seeded
       SQLite file: SQLite only.  On PostgreSQL the transcripts themselves
       run above (pass). */
    if (!tu_pg_wanted())
        tcase_add_test(cov, test_every_screen_shown);
    suite_add_tcase(s, cov);
    return s;
}
