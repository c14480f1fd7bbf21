/* SPDX-License-Identifier: ISC */
/*
 * kpass: one command-line tool, git style (kpass [-c file] <command> ...).
 * This file owns the dispatch table and the helpers every subcommand shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/store/citizen.h"

static const struct {
    const char *name;
    int (*fn)(struct kp_cli *, int, char **);
    const char *help;
} commands[] = {
    {"init", cmd_init, "create the database and the key folder"},
    {"partner", cmd_partner, "manage SMPP partners (add, list, show, set, passwd, remove)"},
    {"menu", cmd_menu, "check, draw (DOT) and test the USSD menus"},
    {"phone", cmd_phone, "a feature phone: dial USSD codes, read screens and SMS"},
    {"import", cmd_import,
     "load CSV files: seed, departments, districts, services, offices, citizens"},
    {"service", cmd_service, "list, show and search the services directory"},
    {"app", cmd_app, "department USSD apps behind the menus' app screens (add, list, remove)"},
    {"department", cmd_department,
     "departments as API clients: tokens, SMS templates, verification callbacks"},
    {"webhook", cmd_webhook, "the signed callbacks to departments (list, show, retry)"},
    {"simswap", cmd_simswap, "operators' SIM-swap checks before desk codes (set, list, remove)"},
    {"office", cmd_office, "list, show, add and remove offices"},
    {"citizen", cmd_citizen, "manage the citizens registry (add, show, list, link, block, ...)"},
    {"keys", cmd_keys, "signing keys: init, list, rotate, retire, export-public"},
    {"qr", cmd_qr, "QR credentials: issue, verify, revoke, list"},
    {"staff", cmd_staff, "manage office staff (add, list, lock, unlock, pin)"},
    {"desk", cmd_desk, "office desks (add, list, revoke); run: the counter program for staff"},
    {"receipt", cmd_receipt, "show a desk receipt by its id, and whether its signature verifies"},
    {"audit", cmd_audit, "verify the audit log's chain, show its rows"},
    {"sms", cmd_sms, "the SMS outbox: list messages, show one (numbers masked)"},
    {"backup", cmd_backup, "an online backup: database, keys, configuration, manifest"},
    {"restore", cmd_restore, "bring a backup back into an empty data folder"},
    {"migrate", cmd_migrate, "back up, then bring the database to this version's schema"},
    {"bench", cmd_bench, "load a running SMPP server and measure it"},
};

/* The command list on f; returns status (0 when asked for with -h, else 2). */
static int usage(FILE *f, int status)
{
    fprintf(f, "usage: kpass [-c file] <command> [arguments]\n\ncommands:\n");
    for (size_t i = 0; i < KP_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f,
            "\nThe configuration is the daemon's: -c file, else $KPASS_CONF, else %s.\n"
            "See kpass(1).\n",
            kp_config_default_path(NULL));
    return status;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "kpass: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_secret_file(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
        return cli_fail("%s: not a file", path);
    if (sb.st_mode & 077)
        return cli_fail("%s: readable by others (chmod 600 it)", path);
    return 0;
}

int cli_usage(const char *text)
{
    fprintf(stderr, "usage: %s\n", text);
    return 2;
}

int cli_config(struct kp_cli *cli)
{
    struct kp_buf err = KP_BUF_INIT;
    int rc;

    if (cli->cfg_loaded)
        return 0;
    kp_config_init(&cli->cfg);
    /* the modules' sections kpassd reads, in its order */
    kp_config_add(&cli->cfg, &store_conf_table, &cli->store);
    kp_config_add(&cli->cfg, &smpp_conf_table, &cli->smpp);
    kp_config_add(&cli->cfg, &ussd_conf_table, &cli->ussd);
    kp_config_add(&cli->cfg, &sms_conf_table, &cli->sms);
    kp_config_add(&cli->cfg, &otp_conf_table, &cli->otp);
    kp_config_add(&cli->cfg, &http_conf_table, &cli->http);
    rc = kp_config_load(&cli->cfg, cli->conf_path, &err);
    if (rc < 0) {
        fputs(err.data, stderr);
        kp_buf_free(&err);
        return rc;
    }
    kp_buf_free(&err);
    cli->cfg_loaded = 1;
    return 0;
}

int cli_store(struct kp_cli *cli)
{
    int rc;

    if (cli->st)
        return 0;
    if ((rc = cli_config(cli)) < 0)
        return rc;
    /* Only init and migrate change the schema; migrate backs up first. */
    const char *name = store_conf_name(&cli->store, cli->cfg.database);
    rc = store_open_conf(&cli->store, cli->cfg.database, STORE_CURRENT, &cli->st);
    if (rc == -KP_ERR_NOTFOUND)
        cli_fail("no database at %s (run: kpass -c %s init)", name, cli->conf_path);
    else if (rc == -KP_ERR_STATE)
        cli_fail("the database %s has an older schema (run: kpass -c %s migrate)", name,
                 cli->conf_path);
    else if (rc < 0)
        cli_fail("cannot open the database %s", name);
    return rc;
}

/* Load dir/name into *key once; 0 or -1 after reporting. */
static int cli_key_load(struct kp_cli *cli, const char *name, uint8_t **key)
{
    struct kp_buf err = KP_BUF_INIT;

    if (*key != NULL)
        return 0;
    if (keys_secret_load(cli->cfg.keys_dir, name, key, &err) < 0) {
        fputs(err.data ? err.data : "keys: cannot load a key\n", stderr);
        kp_buf_free(&err);
        return -1;
    }
    kp_buf_free(&err);
    return 0;
}

/* Is the daemon that follows the change counter alive?  (EPERM: it runs as another user.) */
static int cli_daemon_alive(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* A cluster's nodes (store_shared) record the pid of whichever applied
   last, on whatever machine: no use to kill(2) here.  The CLI then waits
   for a confirmation alone. */
static void cli_change_report_nodes(struct kp_cli *cli, const char *done, const char *in_force,
                                    struct store_change *c, int64_t want)
{
    const struct timespec step = {0, CLI_CHANGE_STEP_MS * 1000000L};

    for (int i = 0; i < CLI_CHANGE_WAIT_MS / CLI_CHANGE_STEP_MS; i++) {
        if (c->applied >= want) {
            printf("%s: %s from now on (a node confirmed it; every node reads it within "
                   "0.1 s)\n",
                   done, in_force);
            return;
        }
        nanosleep(&step, NULL);
        if (store_change_get(cli->st, c) < 0)
            break;
    }
    printf("%s; no kpassd node has confirmed it within %d s: it takes effect when the nodes "
           "next read the database (every 0.1 s while they run, or when they start)\n",
           done, CLI_CHANGE_WAIT_MS / 1000);
}

void cli_change_report(struct kp_cli *cli, const char *done, const char *in_force)
{
    struct store_change c;
    const struct timespec step = {0, CLI_CHANGE_STEP_MS * 1000000L};
    int64_t want;

    if (store_change_get(cli->st, &c) < 0) {
        printf("%s; whether kpassd has it cannot be read: restart kpassd to be sure\n", done);
        return;
    }
    want = c.version;
    if (store_shared(cli->st)) {
        cli_change_report_nodes(cli, done, in_force, &c, want);
        return;
    }
    for (int i = 0; cli_daemon_alive(c.daemon_pid) && i < CLI_CHANGE_WAIT_MS / CLI_CHANGE_STEP_MS;
         i++) {
        if (c.applied >= want) {
            printf("%s: %s from now on\n", done, in_force);
            return;
        }
        nanosleep(&step, NULL);
        if (store_change_get(cli->st, &c) < 0)
            break;
    }
    if (!cli_daemon_alive(c.daemon_pid))
        printf("%s; no kpassd is running: this takes effect when kpassd starts\n", done);
    else
        printf("%s; kpassd (pid %ld) has not confirmed it within %d s: it takes effect when "
               "kpassd next reads the database (every 0.1 s while it runs)\n",
               done, (long)c.daemon_pid, CLI_CHANGE_WAIT_MS / 1000);
}

int cli_store_keys(struct kp_cli *cli)
{
    int rc;

    if ((rc = cli_store(cli)) < 0)
        return rc;
    if (cli_key_load(cli, KEYS_CNIC, &cli->cnic_key) < 0 ||
        cli_key_load(cli, KEYS_AUDIT, &cli->audit_key) < 0)
        return -KP_ERR_NOTFOUND;
    if (cli->reg == NULL)
        cli->reg = registry_new(cli->st);
    if (registry_use_key(cli->reg, cli->cnic_key) < 0) {
        cli_fail("out of secure memory");
        return -KP_ERR_NOMEM;
    }
    audit_use_key(cli->st, cli->audit_key);
    return 0;
}

/* A login name as the audit log's actor grammar takes it: printable, no
   spaces, no ':' (so that the name cannot pose as a second field). */
static void cli_actor_name(char *out, size_t size, const char *name)
{
    size_t j = 0;

    for (const char *p = name; *p && j + 1 < size; p++)
        out[j++] = (*p > ' ' && *p < 0x7f && *p != ':' && *p != '(' && *p != ')') ? *p : '_';
    out[j] = '\0';
}

const char *cli_actor(void)
{
    static char actor[STORE_AUDIT_ACTOR_MAX + 1];
    char user[16], sudo[16]; /* the part after "kpass:" stays within 40 */
    const struct passwd *pw;
    const char *su;

    if (actor[0])
        return actor;
    pw = getpwuid(geteuid());
    if (pw != NULL)
        cli_actor_name(user, sizeof(user), pw->pw_name);
    else
        snprintf(user, sizeof(user), "uid%u", (unsigned)geteuid());
    su = getenv("SUDO_USER");
    if (su != NULL && *su != '\0') {
        cli_actor_name(sudo, sizeof(sudo), su);
        snprintf(actor, sizeof(actor), "kpass:%s(sudo:%s)", user, sudo);
    } else {
        snprintf(actor, sizeof(actor), "kpass:%s", user);
    }
    return actor;
}

const char *cli_time(int64_t t, char out[CLI_TIME_SIZE])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, CLI_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, CLI_TIME_SIZE, "@%lld", (long long)t);
    return out;
}

static int cli_read_line(FILE *f, char *out, size_t cap)
{
    size_t n;

    if (fgets(out, (int)cap, f) == NULL)
        return -KP_ERR_INVAL;
    n = strcspn(out, "\r\n");
    if (out[n] == '\0' && n == cap - 1) {
        /* No newline within cap: longer than allowed.  Swallow the rest. */
        int c;
        while ((c = fgetc(f)) != EOF && c != '\n')
            ;
        sodium_memzero(out, cap);
        return -KP_ERR_TOOLONG;
    }
    out[n] = '\0';
    return (int)n;
}

/*
 * A time: Unix seconds ("1735689600"), "YYYY-MM-DD" or
 * "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC), and with relative set, "30m", "24h",
 * "7d" before now.  0 or -1.
 */
int cli_time_parse(const char *s, int64_t now, int relative, int64_t *out)
{
    static const struct {
        char unit;
        int64_t secs;
    } units[] = {{'\0', 0}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    char *end;
    long long v = strtoll(s, &end, 10);

    if (*s >= '0' && *s <= '9' && end != s && v >= 0) {
        for (size_t i = 0; i < KP_ARRAY_LEN(units) && (i == 0 || relative); i++)
            if (*end == units[i].unit && (units[i].unit == '\0' || end[1] == '\0')) {
                *out = units[i].secs ? now - v * units[i].secs : v;
                return 0;
            }
    }
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
        return -1;
    s += n;
    if (*s == 'T' && sscanf(s, "T%2d:%2d%n", &h, &mi, &n) == 2) {
        s += n;
        if (*s == ':' && sscanf(s, ":%2d%n", &sec, &n) == 1)
            s += n;
        if (*s == 'Z')
            s++;
    }
    if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm);
    return 0;
}

int cli_read_secret(const char *prompt, const char *file, char *out, size_t cap)
{
    char line[256];
    int n;

    if (file) {
        FILE *f = fopen(file, "r");
        if (f == NULL) {
            cli_fail("cannot read %s: %s", file, strerror(errno));
            return -KP_ERR_INVAL;
        }
        n = cli_read_line(f, line, sizeof(line));
        fclose(f);
    } else if (isatty(STDIN_FILENO)) {
        struct termios old, quiet;
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        n = cli_read_line(stdin, line, sizeof(line));
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    } else {
        n = cli_read_line(stdin, line, sizeof(line));
    }
    if (n <= 0 || (size_t)n >= cap) {
        sodium_memzero(line, sizeof(line));
        cli_fail(n == 0 || n == -KP_ERR_INVAL ? "empty secret"
                                              : "secret too long (at most %zu characters)",
                 cap - 1);
        return -KP_ERR_INVAL;
    }
    memcpy(out, line, (size_t)n + 1);
    sodium_memzero(line, sizeof(line));
    return n;
}

/*
 * Forget main's getopt state.  glibc decides the argument ordering once,
 * on its first call after optind was 0: main's "+" (stop at the command)
 * would stay in force for every subcommand, whose options would then be
 * read only before their first operand.  A call on an empty argument list
 * with optind 0 starts glibc afresh (permuting, as getopt_long documents).
 */
static void cli_getopt_reset(void)
{
    static char *none[] = {(char *)"kpass", NULL};

    optind = 0;
    opterr = 0;
    (void)getopt_long(1, none, "", NULL, NULL);
    opterr = 1;
    optind = 1;
}

int main(int argc, char **argv)
{
    struct kp_cli cli;
    int ch, rc;

    memset(&cli, 0, sizeof(cli));
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    /* '+': stop at the subcommand; its options are its own. */
    while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            cli.conf_path = optarg;
            break;
        case 'h':
            return usage(stdout, 0);
        default:
            return usage(stderr, 2);
        }
    }
    if (optind >= argc)
        return usage(stderr, 2);
    cli.conf_path = kp_config_default_path(cli.conf_path);
    cli.tty_out = isatty(STDOUT_FILENO);
    if (sodium_init() < 0)
        return cli_fail("libsodium failed to initialise");
    log_init("kpass", KP_LOG_STDERR, getenv("KPASS_DEBUG") ? KP_LOG_DEBUG : KP_LOG_WARN);

    for (size_t i = 0; i < KP_ARRAY_LEN(commands); i++) {
        if (strcmp(argv[optind], commands[i].name) != 0)
            continue;
        char **sub = argv + optind;
        int subc = argc - optind;
        cli_getopt_reset(); /* subcommands parse their own options */
        rc = commands[i].fn(&cli, subc, sub);
        registry_free(cli.reg);
        store_close(cli.st);
        keys_secret_free(cli.cnic_key);
        keys_secret_free(cli.audit_key);
        if (cli.cfg_loaded) {
            kp_config_free(&cli.cfg);
            store_settings_free(&cli.store);
        }
        return rc;
    }
    fprintf(stderr, "kpass: unknown command '%s'\n", argv[optind]);
    return usage(stderr, 2);
}
