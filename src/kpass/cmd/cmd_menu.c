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

static const char menu_usage_text[] =
    "kpass menu check [DIR]\n"
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

static int menu_check(struct kp_cli *cli, const char *dir)
{
    struct menu_graph *g;

    dir = menu_dir(cli, dir);
    if (menu_compile(dir, &g) < 0)
        return 1;
    printf("%s: %zu screens, version %s: OK\n", dir, menu_graph_screens(g), menu_graph_version(g));
    menu_graph_unref(g);
    return 0;
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

static int menu_test(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"menus", required_argument, NULL, 'm'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"msisdn", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *seed = NULL, *msisdn = "+923000000101";
    char tmp[] = "/tmp/kpass-menu-test-XXXXXX";
    struct kp_cli scratch;
    struct menu_graph *g = NULL;
    struct kp_builtins *b = NULL;
    struct otp_policy pol;
    uint8_t k1[OTP_KEY_BYTES], k2[32];
    unsigned files = 0, screens = 0, failures = 0;
    int ch, rc = 1;

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
    if (mkdtemp(tmp) == NULL)
        return cli_fail("cannot create a scratch folder");
    memset(&scratch, 0, sizeof(scratch));
    scratch.conf_path = cli->conf_path;
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
    for (int i = first; i < argc; i++) {
        struct kp_buf report = KP_BUF_INIT;
        struct menu_transcript_result res = {0, 0};
        int r = menu_transcript_run_file(g, &env, argv[i], &report, &res);
        files++;
        screens += res.exchanges;
        failures += res.failures;
        if (r < 0 || res.failures)
            fputs(report.data ? report.data : "", stderr);
        if (r < 0)
            failures++;
        kp_buf_free(&report);
    }
    printf("%u transcripts, %u screens compared, %u failures\n", files, screens, failures);
    rc = failures ? 1 : 0;
out:
    kp_builtins_free(b);
    registry_free(scratch.reg);
    store_close(scratch.st);
    sodium_free(scratch.cnic_key);
    sodium_free(scratch.audit_key);
    if (scratch.cfg_loaded)
        kp_config_free(&scratch.cfg);
    char db[600];
    snprintf(db, sizeof(db), "%s/menu-test.db", tmp);
    unlink(db);
    strcat(db, "-wal");
    unlink(db);
    db[strlen(db) - 4] = '\0';
    strcat(db, "-shm");
    unlink(db);
    rmdir(tmp);
    menu_graph_unref(g);
    return rc;
}

int cmd_menu(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(menu_usage_text);
    if (strcmp(argv[1], "check") == 0 && argc <= 3)
        return menu_check(cli, argc == 3 ? argv[2] : NULL);
    if (strcmp(argv[1], "graph") == 0 && argc <= 3)
        return menu_graph(cli, argc == 3 ? argv[2] : NULL);
    if (strcmp(argv[1], "test") == 0)
        return menu_test(cli, argc - 1, argv + 1);
    return cli_usage(menu_usage_text);
}
