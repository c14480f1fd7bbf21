/* SPDX-License-Identifier: ISC */
/*
 * kpass menu: check the menus (every error, file:line:col), print them as
 * Graphviz DOT, and run golden transcripts in process against a scratch
 * database loaded with the seed data (no network, no daemon).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/ussd/builtins.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/menu/menu.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/ussd/ussd.h"

static const char menu_usage_text[] =
    "kpass menu check [--strict] [--quiet] [--seed DIR | --no-data] [--one-page SCREEN]...\n"
    "                 [DIR] [FILE.menu...]\n"
    "       kpass menu graph [DIR]\n"
    "       kpass menu test [--menus DIR] [--seed DIR] [--msisdn N] FILE.dialog...";

/* The menus folder: given, else the configuration's, else ./menus. */
static const char *menu_dir(struct kp_cli *cli, const char *given)
{
    if (given)
        return given;
    if (access(cli->conf_path, R_OK) == 0 && cli_config(cli) == 0)
        return cli->ussd.menus_dir;
    return "menus";
}

static int menu_compile(const char *dir, struct menu_graph **g)
{
    struct ussd_builtins bt = kp_builtins_table(NULL);
    struct menu_options opts = {bt.table, bt.n, MENU_LIMITS_DEFAULT, bt.validators};
    struct kp_buf diag = KP_BUF_INIT;
    int rc = menu_graph_load(dir, &opts, g, &diag);

    if (rc < 0)
        fputs(diag.data ? diag.data : "kpass: cannot compile the menus\n", stderr);
    kp_buf_free(&diag);
    return rc;
}

static int menu_graph(struct kp_cli *cli, const char *dir)
{
    struct menu_graph *g;
    struct kp_buf dot = KP_BUF_INIT;

    if (menu_compile(menu_dir(cli, dir), &g) < 0)
        return 1;
    menu_graph_dot(g, &dot);
    fputs(dot.data, stdout);
    kp_buf_free(&dot);
    menu_graph_unref(g);
    return 0;
}

/* Run a kpass subcommand on the scratch database with its output silenced. */
static int menu_quiet(int (*fn)(struct kp_cli *, int, char **), struct kp_cli *cli, int argc,
                      char **argv)
{
    int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), rc;

    fflush(stdout);
    dup2(null, STDOUT_FILENO);
    optind = 1;
    rc = fn(cli, argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(null);
    return rc;
}

/* A scratch database in dir with the seed's directory and citizens. */
static int menu_scratch(struct kp_cli *scratch, const char *tmp, const char *seed)
{
    char db[600], citizens[600];
    int rc;

    snprintf(db, sizeof(db), "%s/menu-test.db", tmp);
    if (store_open(db, STORE_CREATE, &scratch->st) < 0)
        return cli_fail("cannot create a scratch database in %s", tmp);
    /* Throw-away keys: the scratch data never leaves this process. */
    scratch->cnic_key = sodium_malloc(32);
    scratch->audit_key = sodium_malloc(32);
    if (scratch->cnic_key == NULL || scratch->audit_key == NULL)
        return cli_fail("out of secure memory");
    randombytes_buf(scratch->cnic_key, 32);
    randombytes_buf(scratch->audit_key, 32);
    scratch->reg = registry_new(scratch->st);
    registry_use_key(scratch->reg, scratch->cnic_key);
    audit_use_key(scratch->st, scratch->audit_key);
    char a_import[] = "import", a_seed[] = "seed";
    char *a_dir = seed ? kp_strdup(seed) : cli_seed_dir();
    char *imp_seed[] = {a_import, a_seed, a_dir, NULL};
    if (a_dir == NULL)
        return 1;
    rc = menu_quiet(cmd_import, scratch, 3, imp_seed);
    snprintf(citizens, sizeof(citizens), "%s/citizens.csv", a_dir);
    free(a_dir);
    if (rc != 0)
        return cli_fail("cannot load the seed directory%s%s", seed ? " from " : "",
                        seed ? seed : "");
    if (access(citizens, R_OK) == 0) {
        char a_cit[] = "citizens";
        char *imp_cit[] = {a_import, a_cit, citizens, NULL};
        if (menu_quiet(cmd_import, scratch, 3, imp_cit) != 0)
            return cli_fail("cannot load %s", citizens);
    }
    return 0;
}

/* The scratch database's files and folder, removed. */
static void menu_scratch_remove(const char *tmp)
{
    char db[600];

    snprintf(db, sizeof(db), "%s/menu-test.db", tmp);
    unlink(db);
    strcat(db, "-wal");
    unlink(db);
    db[strlen(db) - 4] = '\0';
    strcat(db, "-shm");
    unlink(db);
    rmdir(tmp);
}

static void menu_scratch_free(struct kp_cli *scratch)
{
    registry_free(scratch->reg);
    store_close(scratch->st);
    sodium_free(scratch->cnic_key);
    sodium_free(scratch->audit_key);
    if (scratch->cfg_loaded)
        kp_config_free(&scratch->cfg);
}

/* ---- kpass menu check ---- */

#define MENU_ONE_PAGE_MAX 8 /* --one-page screens */
#define MENU_PAGES_GOAL   3 /* pages any shipped screen may need */

struct menu_check_opts {
    int strict, quiet, no_data;
    const char *seed, *db;
    const char *one_page[MENU_ONE_PAGE_MAX + 1]; /* the home screen is always one */
    int n_one_page, given_one_page;
    char *const *files; /* report on screens of these files only (all when none) */
    int nfiles;
};

/* Is screen i in one of the files asked for? */
static int menu_check_selected(const struct menu_graph *g, size_t i,
                               const struct menu_check_opts *o)
{
    const char *f = menu_graph_screen_file(g, i);

    if (o->nfiles == 0)
        return 1;
    for (int k = 0; k < o->nfiles && f; k++) {
        const char *base = strrchr(o->files[k], '/');
        if (strcmp(base ? base + 1 : o->files[k], f) == 0)
            return 1;
    }
    return 0;
}

/* Must r's screen fit one page?  Home always; the --one-page screens. */
static int menu_check_one_page(const struct menu_graph *g, const struct menu_report_row *r,
                               const struct menu_check_opts *o)
{
    const char *name = menu_graph_screen_name(g, r->screen);

    if (r->screen == menu_graph_home(g))
        return 1;
    for (int k = 0; k < o->n_one_page; k++)
        if (strcmp(o->one_page[k], name) == 0)
            return 1;
    return 0;
}

/* The page goals of row; each broken one appended to out.  Returns how many. */
static unsigned menu_check_goals(const struct menu_graph *g, const struct menu_report_row *r,
                                 const struct menu_check_opts *o, struct kp_buf *out)
{
    const char *name = menu_graph_screen_name(g, r->screen);
    const char *file = menu_graph_screen_file(g, r->screen);
    const char *lang = menu_lang_name(r->lang);
    unsigned n = 0;

    if (menu_check_one_page(g, r, o) && r->pages > 1) {
        kp_buf_printf(out, "%s: screen '%s' (%s): %u pages; it must fit one\n", file, name, lang,
                      r->pages);
        n++;
    }
    if (r->pages > MENU_PAGES_GOAL) {
        kp_buf_printf(out, "%s: screen '%s' (%s): %u pages; at most %d\n", file, name, lang,
                      r->pages, MENU_PAGES_GOAL);
        n++;
    }
    if (r->thin_pages) {
        kp_buf_printf(out, "%s: screen '%s' (%s): %u page%s with fewer than 2 of its %u options\n",
                      file, name, lang, r->thin_pages, r->thin_pages > 1 ? "s" : "", r->options);
        n++;
    }
    return n;
}

/* One row of the table, under the heading menu_check prints. */
static void menu_check_row(const struct menu_graph *g, const struct menu_report_row *r)
{
    printf("%-22s %-14s %-7s %5u %4u/%-3u %-4s %7u %6u %7u %s\n",
           menu_graph_screen_name(g, r->screen), menu_graph_screen_file(g, r->screen),
           menu_lang_name(r->lang), r->pages, r->longest, r->cap,
           r->enc == TEXT_GSM7 ? "gsm7" : "ucs2", r->options, r->fewest, r->missing,
           r->walks ? "walk" : "static");
}

static int menu_check_parse(int argc, char **argv, struct menu_check_opts *o, const char **dir)
{
    static const struct option opts[] = {{"strict", no_argument, NULL, 's'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"seed", required_argument, NULL, 'd'},
                                         {"db", required_argument, NULL, 'b'},
                                         {"no-data", no_argument, NULL, 'n'},
                                         {"one-page", required_argument, NULL, '1'},
                                         {NULL, 0, NULL, 0}};
    int ch;

    memset(o, 0, sizeof(*o));
    *dir = NULL;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            o->strict = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'd':
            o->seed = optarg;
            break;
        case 'b':
            o->db = optarg;
            break;
        case 'n':
            o->no_data = 1;
            break;
        case '1':
            if (o->n_one_page == MENU_ONE_PAGE_MAX)
                return -1;
            o->one_page[o->n_one_page++] = optarg;
            break;
        default:
            return -1;
        }
    }
    if ((o->seed != NULL) + (o->db != NULL) + o->no_data > 1)
        return -1;
    o->given_one_page = o->n_one_page;
    if (o->n_one_page == 0)
        o->one_page[o->n_one_page++] = "departments"; /* issue 11: the departments list */
    if (optind < argc) {
        size_t n = strlen(argv[optind]);
        if (n < 5 || strcmp(argv[optind] + n - 5, ".menu") != 0)
            *dir = argv[optind++];
    }
    o->files = argv + optind;
    o->nfiles = argc - optind;
    return 0;
}

/* The built-ins over the seed (a scratch database) or over an existing database. */
static int menu_check_data(const struct menu_check_opts *o, struct kp_cli *scratch, char *tmp,
                           struct kp_builtins **b)
{
    uint8_t k1[OTP_KEY_BYTES], k2[32];
    struct otp_policy pol;

    memset(scratch, 0, sizeof(*scratch));
    if (o->db) {
        if (store_open(o->db, 0, &scratch->st) < 0)
            return cli_fail("cannot open %s", o->db);
    } else {
        if (mkdtemp(tmp) == NULL)
            return cli_fail("cannot create a scratch folder");
        if (menu_scratch(scratch, tmp, o->seed) != 0)
            return 1;
    }
    randombytes_buf(k1, sizeof(k1));
    randombytes_buf(k2, sizeof(k2));
    otp_policy_default(&pol);
    if (kp_builtins_new(scratch->st, NULL, k1, k2, &pol, b) < 0)
        return cli_fail("cannot set up the built-in functions");
    return 0;
}

static int menu_check(struct kp_cli *cli, int argc, char **argv)
{
    struct menu_check_opts o;
    const char *dir;
    char tmp[] = "/tmp/kpass-menu-check-XXXXXX";
    struct kp_cli scratch;
    struct kp_builtins *b = NULL;
    struct menu_graph *g = NULL;
    struct menu_report rep;
    struct kp_buf problems = KP_BUF_INIT, missing = KP_BUF_INIT;
    unsigned nmissing = 0, ngoals = 0;
    int rc = 1;

    if (menu_check_parse(argc, argv, &o, &dir) < 0)
        return cli_usage(menu_usage_text);
    dir = menu_dir(cli, dir);
    if (menu_compile(dir, &g) < 0)
        return 1;
    memset(&scratch, 0, sizeof(scratch));
    scratch.conf_path = cli->conf_path;
    if (!o.no_data && menu_check_data(&o, &scratch, tmp, &b) != 0)
        goto out;
    for (int k = 0; k < o.given_one_page; k++) { /* a typo would check nothing */
        size_t i = 0;
        while (i < menu_graph_screens(g) && strcmp(menu_graph_screen_name(g, i), o.one_page[k]))
            i++;
        if (i == menu_graph_screens(g)) {
            cli_fail("--one-page: no screen '%s' in %s", o.one_page[k], dir);
            goto out;
        }
    }
    struct ussd_builtins bt = kp_builtins_table(b);
    struct menu_env env = {bt.ctx, b ? bt.call : NULL, "+923000000101", MENU_LIMITS_DEFAULT};
    menu_graph_report(g, &env, kp_builtin_pure, &rep);
    if (!o.quiet)
        printf("%-22s %-14s %-7s %5s %8s %-4s %7s %6s %7s %s\n", "screen", "file", "lang", "pages",
               "longest", "enc", "options", "fewest", "missing", "measured");
    for (size_t i = 0; i < rep.nrows; i++) {
        const struct menu_report_row *r = &rep.rows[i];
        if (!menu_check_selected(g, r->screen, &o))
            continue;
        if (!o.quiet)
            menu_check_row(g, r);
        nmissing += menu_report_missing(g, r->screen, r->lang, &missing);
        ngoals += menu_check_goals(g, r, &o, &problems);
    }
    for (int l = 0; l < MENU_LANG_MAX; l++) /* the system texts: every file's */
        nmissing += menu_report_missing(g, (size_t)-1, (enum menu_lang)l, &missing);
    if (nmissing || ngoals) {
        FILE *f = o.strict ? stderr : stdout;
        const char *tag = o.strict ? "error" : "warning";
        fprintf(f, "%s%s: %u missing translations, %u page goals not met\n",
                missing.data ? missing.data : "", tag, nmissing, ngoals);
        if (problems.data)
            fputs(problems.data, f);
    }
    printf("%s: %zu screens, version %s: %s\n", dir, menu_graph_screens(g), menu_graph_version(g),
           o.strict && (nmissing || ngoals) ? "FAILED" : "OK");
    rc = o.strict && (nmissing || ngoals) ? 1 : 0;
    menu_report_free(&rep);
out:
    kp_buf_free(&problems);
    kp_buf_free(&missing);
    kp_builtins_free(b);
    menu_scratch_free(&scratch);
    if (!o.no_data && !o.db)
        menu_scratch_remove(tmp);
    menu_graph_unref(g);
    return rc;
}

/*
 * Run one transcript against a database of its own, freshly seeded: a
 * file's code and SMS requests count against its callers' limits, so that
 * files do not see each other's.  Returns 0 when it ran (look at res).
 */
static int menu_test_file(struct kp_cli *cli, const struct menu_graph *g, const char *seed,
                          const char *msisdn, const char *path, struct menu_transcript_result *res)
{
    char tmp[] = "/tmp/kpass-menu-test-XXXXXX";
    struct kp_cli scratch;
    struct kp_builtins *b = NULL;
    struct otp_policy pol;
    struct kp_buf report = KP_BUF_INIT;
    uint8_t k1[OTP_KEY_BYTES], k2[32];
    int rc = -1;

    memset(res, 0, sizeof(*res));
    memset(&scratch, 0, sizeof(scratch));
    scratch.conf_path = cli->conf_path;
    if (mkdtemp(tmp) == NULL)
        return cli_fail("cannot create a scratch folder");
    if (menu_scratch(&scratch, tmp, seed) != 0)
        goto out;
    randombytes_buf(k1, sizeof(k1));
    randombytes_buf(k2, sizeof(k2));
    otp_policy_default(&pol);
    if (kp_builtins_new(scratch.st, NULL, k1, k2, &pol, &b) < 0) {
        cli_fail("cannot set up the built-in functions");
        goto out;
    }
    struct ussd_builtins bt = kp_builtins_table(b);
    struct menu_env env = {bt.ctx, bt.call, msisdn, MENU_LIMITS_DEFAULT};
    rc = menu_transcript_run_file(g, &env, path, &report, res);
    if (rc == 0 && res->profile[0] && ussd_profile_find(res->profile) == NULL) {
        kp_buf_printf(&report, "%s: unknown partner profile '%s'\n", path, res->profile);
        res->failures++;
    }
    if (rc < 0 || res->failures)
        fputs(report.data ? report.data : "", stderr);
    rc = rc < 0 ? rc : 0;
out:
    kp_buf_free(&report);
    kp_builtins_free(b);
    menu_scratch_free(&scratch);
    menu_scratch_remove(tmp);
    return rc;
}

static int menu_test(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"menus", required_argument, NULL, 'm'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"msisdn", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *seed = NULL, *msisdn = "+923000000101";
    struct menu_graph *g = NULL;
    unsigned files = 0, screens = 0, failures = 0;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'm':
            dir = optarg;
            break;
        case 's':
            seed = optarg;
            break;
        case 'n':
            msisdn = optarg;
            break;
        default:
            return cli_usage(menu_usage_text);
        }
    }
    if (optind == argc)
        return cli_usage(menu_usage_text);
    int first = optind;
    if (menu_compile(menu_dir(cli, dir), &g) < 0)
        return 1;
    for (int i = first; i < argc; i++) {
        struct menu_transcript_result res;
        int r = menu_test_file(cli, g, seed, msisdn, argv[i], &res);
        files++;
        screens += res.exchanges;
        failures += res.failures + (r < 0);
    }
    printf("%u transcripts, %u screens compared, %u failures\n", files, screens, failures);
    menu_graph_unref(g);
    return failures ? 1 : 0;
}

int cmd_menu(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(menu_usage_text);
    if (strcmp(argv[1], "check") == 0)
        return menu_check(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "graph") == 0 && argc <= 3)
        return menu_graph(cli, argc == 3 ? argv[2] : NULL);
    if (strcmp(argv[1], "test") == 0)
        return menu_test(cli, argc - 1, argv + 1);
    return cli_usage(menu_usage_text);
}
