/* SPDX-License-Identifier: ISC */
/*
 * kpass partner: add, list, show, set, passwd and remove SMPP partners.
 * Passwords are read from standard input (echo off on a terminal) or a
 * file, never from the command line, and never printed.  Every change is
 * recorded in the audit log (partner.added, partner.changed,
 * partner.removed) in the same transaction as the change itself.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"
#include "kpass/partner/partner.h"
#include "kpass/menu/menu.h"
#include "kpass/ussd/ussd.h"

static const char partner_usage_text[] =
    "kpass partner add SYSTEM_ID [--client --host H --port P [--bind-type T] [--binds N]]\n"
    "                  [--password-file F] [options]\n"
    "       kpass partner set SYSTEM_ID [options]\n"
    "       kpass partner passwd SYSTEM_ID [--client|--server] [--password-file F] [options]\n"
    "       kpass partner list | show SYSTEM_ID | remove SYSTEM_ID\n"
    "options: --allow CIDR[,CIDR...] --max-binds N --throughput N --burst N\n"
    "         --profile NAME --sms | --no-sms --enable | --disable --system-type S\n"
    "         --gsm7-limit N --ucs2-limit N (USSD screen size)\n"
    "         --first-lang en|ur|ps|ur-Latn|none (USSD callers with no language chosen)";

enum partner_opt {
    OPT_CLIENT = 1000,
    OPT_SERVER,
    OPT_HOST,
    OPT_PORT,
    OPT_BIND_TYPE,
    OPT_BINDS,
    OPT_PASSWORD_FILE,
    OPT_ALLOW,
    OPT_MAX_BINDS,
    OPT_THROUGHPUT,
    OPT_BURST,
    OPT_PROFILE,
    OPT_SMS,
    OPT_NO_SMS,
    OPT_ENABLE,
    OPT_DISABLE,
    OPT_SYSTEM_TYPE,
    OPT_GSM7_LIMIT,
    OPT_UCS2_LIMIT,
    OPT_FIRST_LANG,
};

static const struct option partner_opts[] = {
    {"client", no_argument, NULL, OPT_CLIENT},
    {"server", no_argument, NULL, OPT_SERVER},
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"bind-type", required_argument, NULL, OPT_BIND_TYPE},
    {"binds", required_argument, NULL, OPT_BINDS},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"allow", required_argument, NULL, OPT_ALLOW},
    {"max-binds", required_argument, NULL, OPT_MAX_BINDS},
    {"throughput", required_argument, NULL, OPT_THROUGHPUT},
    {"burst", required_argument, NULL, OPT_BURST},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"sms", no_argument, NULL, OPT_SMS},
    {"no-sms", no_argument, NULL, OPT_NO_SMS},
    {"enable", no_argument, NULL, OPT_ENABLE},
    {"disable", no_argument, NULL, OPT_DISABLE},
    {"system-type", required_argument, NULL, OPT_SYSTEM_TYPE},
    {"gsm7-limit", required_argument, NULL, OPT_GSM7_LIMIT},
    {"ucs2-limit", required_argument, NULL, OPT_UCS2_LIMIT},
    {"first-lang", required_argument, NULL, OPT_FIRST_LANG},
    {NULL, 0, NULL, 0},
};

/* Parse a number for --name within [min, max]; 0, or 1 after reporting. */
static int partner_uint(const char *name, const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > max)
        return cli_fail("--%s: '%s' is not a number from %u to %u", name, s, min, max);
    *out = (unsigned)v;
    return 0;
}

/* Report an unknown --profile with the names there are; returns 1. */
static int partner_profile_unknown(const char *name)
{
    struct kp_buf names = KP_BUF_INIT;
    size_t n;
    const struct ussd_profile *v = ussd_profile_list(&n);

    for (size_t i = 0; i < n; i++)
        kp_buf_printf(&names, "%s%s", i ? ", " : "", v[i].name);
    cli_fail("--profile: '%s' is not a profile (%s)", name, names.data);
    kp_buf_free(&names);
    return 1;
}

/* Apply options to p.  Returns 0, or 1 after reporting an error. */
static int partner_apply_opts(struct partner *p, int argc, char **argv, const char **password_file)
{
    struct smpp_partner_conf *c = &p->conf;
    unsigned v;
    int ch, bt;

    while ((ch = getopt_long(argc, argv, "", partner_opts, NULL)) != -1) {
        switch (ch) {
        case OPT_CLIENT:
            c->mode = SMPP_PARTNER_CLIENT;
            break;
        case OPT_SERVER:
            c->mode = SMPP_PARTNER_SERVER;
            break;
        case OPT_HOST:
            if (smpp_strlcpy(c->host, sizeof(c->host), optarg) < 0)
                return cli_fail("--host: too long");
            break;
        case OPT_PORT:
            if (partner_uint("port", optarg, 1, 65535, &v))
                return 1;
            c->port = v;
            break;
        case OPT_BIND_TYPE:
            if ((bt = smpp_bind_type_parse(optarg)) < 0)
                return cli_fail("--bind-type: transmitter, receiver or transceiver");
            c->bind_type = (enum smpp_bind_type)bt;
            break;
        case OPT_BINDS:
            if (partner_uint("binds", optarg, 1, 64, &v))
                return 1;
            c->binds = v;
            break;
        case OPT_PASSWORD_FILE:
            *password_file = optarg;
            break;
        case OPT_ALLOW: {
            int n = kp_cidr_list_parse(optarg, c->cidrs, SMPP_PARTNER_MAX_CIDRS);
            if (n < 0)
                return cli_fail("--allow: '%s' is not a list of CIDR blocks (at most %d)", optarg,
                                SMPP_PARTNER_MAX_CIDRS);
            c->ncidrs = n;
            snprintf(p->cidrs_text, sizeof(p->cidrs_text), "%s", optarg);
            break;
        }
        case OPT_MAX_BINDS:
            if (partner_uint("max-binds", optarg, 1, 1000, &v))
                return 1;
            c->max_binds = v;
            break;
        case OPT_THROUGHPUT:
            if (partner_uint("throughput", optarg, 0, 1000000, &v))
                return 1;
            c->throughput = v;
            break;
        case OPT_BURST:
            if (partner_uint("burst", optarg, 0, 1000000, &v))
                return 1;
            c->burst = v;
            break;
        case OPT_PROFILE:
            /* An unknown name would fall back to its-session at run time, unseen. */
            if (ussd_profile_find(optarg) == NULL ||
                smpp_strlcpy(c->profile, sizeof(c->profile), optarg) < 0)
                return partner_profile_unknown(optarg);
            break;
        case OPT_SMS:
            c->carries_sms = 1;
            break;
        case OPT_NO_SMS:
            c->carries_sms = 0;
            break;
        case OPT_ENABLE:
            c->enabled = 1;
            break;
        case OPT_DISABLE:
            c->enabled = 0;
            break;
        case OPT_GSM7_LIMIT:
            if (strcmp(optarg, "0") != 0 && partner_uint("gsm7-limit", optarg, 40, 254, &v))
                return 1;
            v = strcmp(optarg, "0") == 0 ? 0 : v; /* 0: the configured default */
            c->gsm7_limit = v;
            break;
        case OPT_UCS2_LIMIT:
            if (strcmp(optarg, "0") != 0 && partner_uint("ucs2-limit", optarg, 20, 127, &v))
                return 1;
            v = strcmp(optarg, "0") == 0 ? 0 : v;
            c->ucs2_limit = v;
            break;
        case OPT_FIRST_LANG:
            if (strcmp(optarg, "none") == 0)
                c->first_lang[0] = '\0';
            else if (menu_lang_parse(optarg) < 0 ||
                     smpp_strlcpy(c->first_lang, sizeof(c->first_lang), optarg) < 0)
                return cli_fail("--first-lang: '%s' is not en, ur, ps, ur-Latn or none", optarg);
            break;
        case OPT_SYSTEM_TYPE:
            if (smpp_strlcpy(c->system_type, sizeof(c->system_type), optarg) < 0)
                return cli_fail("--system-type: at most 12 characters");
            break;
        default:
            return cli_usage(partner_usage_text);
        }
    }
    if (optind != argc)
        return cli_usage(partner_usage_text);
    return 0;
}

/*
 * Read a new password and store it in the form the mode needs: a
 * crypto_pwhash_str hash for server mode (they present it to us), a
 * secretbox under partner.key for client mode (we present it to them).
 */
static int partner_set_password(struct kp_cli *cli, struct partner *p, const char *file)
{
    char pw[9], prompt[64];
    int rc = 1;

    snprintf(prompt, sizeof(prompt), "SMPP password for %s: ", p->conf.system_id);
    /* SMPP 3.4 §5.2.1: password is at most 8 octets. */
    if (cli_read_secret(prompt, file, pw, sizeof(pw)) < 0)
        return 1;
    if (p->conf.mode == SMPP_PARTNER_SERVER) {
        p->password_enc[0] = '\0';
        if (crypto_pwhash_str(p->conf.pwhash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            cli_fail("password hashing failed (out of memory?)");
            goto out;
        }
    } else {
        struct kp_buf err = KP_BUF_INIT, sealed = KP_BUF_INIT;
        uint8_t *key;
        p->conf.pwhash[0] = '\0';
        if (keys_secret_load(cli->cfg.keys_dir, "partner.key", &key, &err) < 0) {
            cli_fail("%s", err.data ? err.data : "cannot load partner.key");
            kp_buf_free(&err);
            goto out;
        }
        rc = keys_seal(key, pw, &sealed);
        keys_secret_free(key);
        if (rc < 0 || sealed.len >= sizeof(p->password_enc)) {
            kp_buf_free(&sealed);
            rc = cli_fail("cannot encrypt the password");
            goto out;
        }
        memcpy(p->password_enc, sealed.data, sealed.len + 1);
        kp_buf_free(&sealed);
    }
    rc = 0;
out:
    sodium_memzero(pw, sizeof(pw));
    return rc;
}

static int partner_check(const struct partner *p)
{
    const struct smpp_partner_conf *c = &p->conf;

    if (c->mode == SMPP_PARTNER_CLIENT && (c->host[0] == '\0' || c->port == 0))
        return cli_fail("a client-mode partner needs --host and --port");
    return 0;
}

/*
 * Apply change (partner_db_add, _update or _remove through fn) and its
 * audit row in one transaction.  Returns fn's result, or the first error.
 */
static int partner_commit(struct kp_cli *cli, const char *event, const char *system_id,
                          const char *what, int (*fn)(struct kp_cli *, void *), void *arg)
{
    char detail[STORE_AUDIT_DETAIL_MAX + 1];
    int64_t ar;
    int rc;

    snprintf(detail, sizeof(detail), "%s%s%s", system_id, what ? ", " : "", what ? what : "");
    /* A system_id may look like a phone number: the audit guard would refuse it. */
    if (store_audit_detail_check(detail) < 0)
        snprintf(detail, sizeof(detail), "system_id withheld (it looks like a number)%s%s",
                 what ? ", " : "", what ? what : "");
    if ((rc = store_tx_begin(cli->st)) < 0)
        return rc;
    if ((rc = fn(cli, arg)) < 0)
        goto fail;
    if ((ar = audit_append(cli->st, kp_time_s(), event, cli_actor(), NULL, detail)) < 0) {
        rc = (int)ar;
        goto fail;
    }
    /* A running kpassd re-reads its partners (client binds, the accept-time
       allowlist) when the change counter moves. */
    if ((ar = store_change_bump(cli->st, STORE_CHANGE_STATE)) < 0) {
        rc = (int)ar;
        goto fail;
    }
    return store_tx_commit(cli->st);
fail:
    store_tx_rollback(cli->st);
    return rc;
}

static int partner_do_add(struct kp_cli *cli, void *arg)
{
    return partner_db_add(cli->st, arg);
}

static int partner_do_update(struct kp_cli *cli, void *arg)
{
    return partner_db_update(cli->st, arg);
}

static int partner_do_remove(struct kp_cli *cli, void *arg)
{
    return store_partner_remove(cli->st, arg);
}

static int partner_add(struct kp_cli *cli, int argc, char **argv)
{
    struct partner p;
    const char *pwfile = NULL;
    int rc;

    if (argc < 2)
        return cli_usage(partner_usage_text);
    memset(&p, 0, sizeof(p));
    if (smpp_strlcpy(p.conf.system_id, sizeof(p.conf.system_id), argv[1]) < 0 || argv[1][0] == '\0')
        return cli_fail("system_id must be 1 to 15 characters (SMPP 3.4 §5.2.1)");
    p.conf.enabled = 1;
    p.conf.max_binds = 4;
    p.conf.binds = 1;
    p.conf.bind_type = SMPP_BIND_TRX;
    strcpy(p.conf.profile, "its-session");
    optind = 2;
    if ((rc = partner_apply_opts(&p, argc, argv, &pwfile)) != 0)
        return rc;
    if ((rc = partner_check(&p)) != 0)
        return rc;
    if (cli_store_keys(cli) < 0)
        return 1;
    if (partner_set_password(cli, &p, pwfile) != 0)
        return 1;
    rc = partner_commit(cli, "partner.added", p.conf.system_id,
                        p.conf.mode == SMPP_PARTNER_CLIENT ? "client mode" : "server mode",
                        partner_do_add, &p);
    sodium_memzero(&p.conf.pwhash, sizeof(p.conf.pwhash));
    if (rc == -KP_ERR_EXISTS)
        return cli_fail("partner %s already exists", argv[1]);
    if (rc < 0)
        return cli_fail("cannot add partner %s: %s", argv[1], kp_strerror(rc));
    char done[96];
    snprintf(done, sizeof(done), "partner %s added (%s mode)", p.conf.system_id,
             p.conf.mode == SMPP_PARTNER_CLIENT ? "client" : "server");
    cli_change_report(cli, done,
                      p.conf.mode == SMPP_PARTNER_CLIENT ? "kpassd binds to it"
                                                         : "it may bind to kpassd");
    return 0;
}

static int partner_load(struct kp_cli *cli, const char *system_id, struct partner *p)
{
    int rc;

    if (cli_store(cli) < 0)
        return 1;
    rc = partner_db_get(cli->st, system_id, p);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no partner %s", system_id);
    if (rc < 0)
        return cli_fail("cannot read partner %s", system_id);
    return 0;
}

static int partner_set(struct kp_cli *cli, int argc, char **argv, int passwd)
{
    struct partner p;
    const char *pwfile = NULL;
    int rc, old_mode;

    if (argc < 2)
        return cli_usage(partner_usage_text);
    if (cli_store_keys(cli) < 0)
        return 1;
    if ((rc = partner_load(cli, argv[1], &p)) != 0)
        return rc;
    old_mode = p.conf.mode;
    optind = 2;
    if ((rc = partner_apply_opts(&p, argc, argv, &pwfile)) != 0)
        return rc;
    if ((rc = partner_check(&p)) != 0)
        return rc;
    if (!passwd && pwfile)
        return cli_fail("--password-file goes with kpass partner passwd %s", argv[1]);
    if (!passwd && (int)p.conf.mode != old_mode)
        return cli_fail("changing the mode needs a new password: use kpass partner passwd %s "
                        "--client|--server",
                        argv[1]);
    if (passwd && partner_set_password(cli, &p, pwfile) != 0)
        return 1;
    rc = partner_commit(cli, "partner.changed", p.conf.system_id, passwd ? "password" : "settings",
                        partner_do_update, &p);
    if (rc < 0)
        return cli_fail("cannot update partner %s: %s", argv[1], kp_strerror(rc));
    char done[96];
    snprintf(done, sizeof(done), "partner %s %s", p.conf.system_id,
             passwd ? "password changed" : "updated");
    cli_change_report(cli, done, "kpassd uses it");
    return 0;
}

static int partner_list(struct kp_cli *cli)
{
    struct partner *v;
    int n;

    if (cli_store(cli) < 0)
        return 1;
    n = partner_db_list(cli->st, &v);
    if (n < 0)
        return cli_fail("cannot list partners");
    printf("%-15s %-6s %-12s %-5s %-9s %-4s %-7s %s\n", "SYSTEM_ID", "MODE", "PROFILE", "BINDS",
           "RATE/S", "SMS", "STATE", "PEER");
    for (int i = 0; i < n; i++) {
        const struct smpp_partner_conf *c = &v[i].conf;
        char rate[16], peer[600];
        int client = c->mode == SMPP_PARTNER_CLIENT;
        if (c->throughput)
            snprintf(rate, sizeof(rate), "%u", c->throughput);
        else
            strcpy(rate, "-");
        if (client)
            snprintf(peer, sizeof(peer), "%s:%u", c->host, c->port);
        else
            snprintf(peer, sizeof(peer), "%s", v[i].cidrs_text[0] ? v[i].cidrs_text : "any");
        printf("%-15s %-6s %-12s %-5u %-9s %-4s %-7s %s\n", c->system_id,
               client ? "client" : "server", c->profile, client ? c->binds : c->max_binds, rate,
               c->carries_sms ? "yes" : "no", c->enabled ? "enabled" : "disabled", peer);
    }
    free(v);
    return 0;
}

static int partner_show(struct kp_cli *cli, const char *system_id)
{
    struct partner p;
    const struct smpp_partner_conf *c = &p.conf;
    int rc;

    if ((rc = partner_load(cli, system_id, &p)) != 0)
        return rc;
    printf("system_id:     %s\n", c->system_id);
    printf("mode:          %s\n", c->mode == SMPP_PARTNER_CLIENT ? "client" : "server");
    printf("password:      %s\n",
           c->mode == SMPP_PARTNER_CLIENT ? "set (encrypted)" : "set (argon2id hash)");
    if (c->system_type[0])
        printf("system_type:   %s\n", c->system_type);
    if (c->mode == SMPP_PARTNER_CLIENT) {
        printf("peer:          %s:%u\n", c->host, c->port);
        printf("bind:          %s x %u\n", smpp_bind_type_name(c->bind_type), c->binds);
    } else {
        printf("allowed from:  %s\n", p.cidrs_text[0] ? p.cidrs_text : "any address");
        printf("max binds:     %u\n", c->max_binds);
    }
    if (c->throughput)
        printf("throughput:    %u/s (burst %u)\n", c->throughput,
               c->burst ? c->burst : c->throughput);
    else
        printf("throughput:    unlimited\n");
    printf("profile:       %s\n", c->profile);
    if (c->gsm7_limit || c->ucs2_limit)
        printf("screen limits: %u GSM 7-bit / %u UCS-2 characters\n",
               c->gsm7_limit ? c->gsm7_limit : cli->ussd.limits.gsm7,
               c->ucs2_limit ? c->ucs2_limit : cli->ussd.limits.ucs2);
    else
        printf("screen limits: %u GSM 7-bit / %u UCS-2 characters ([ussd] defaults)\n",
               cli->ussd.limits.gsm7, cli->ussd.limits.ucs2);
    printf("first language: %s\n", c->first_lang[0] ? c->first_lang : "none (the code's)");
    printf("carries SMS:   %s\n", c->carries_sms ? "yes" : "no");
    printf("state:         %s\n", c->enabled ? "enabled" : "disabled");
    return 0;
}

static int partner_remove(struct kp_cli *cli, const char *system_id)
{
    char sid[64];
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    if (smpp_strlcpy(sid, sizeof(sid), system_id) < 0)
        return cli_fail("no partner %s", system_id);
    rc = partner_commit(cli, "partner.removed", sid, NULL, partner_do_remove, sid);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no partner %s", system_id);
    if (rc < 0)
        return cli_fail("cannot remove partner %s", system_id);
    char done[96];
    snprintf(done, sizeof(done), "partner %s removed", system_id);
    cli_change_report(cli, done, "kpassd no longer binds or accepts it");
    return 0;
}

int cmd_partner(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(partner_usage_text);
    const char *verb = argv[1];
    argc--;
    argv++;
    if (strcmp(verb, "add") == 0)
        return partner_add(cli, argc, argv);
    if (strcmp(verb, "set") == 0)
        return partner_set(cli, argc, argv, 0);
    if (strcmp(verb, "passwd") == 0)
        return partner_set(cli, argc, argv, 1);
    if (strcmp(verb, "list") == 0 && argc == 1)
        return partner_list(cli);
    if (strcmp(verb, "show") == 0 && argc == 2)
        return partner_show(cli, argv[1]);
    if (strcmp(verb, "remove") == 0 && argc == 2)
        return partner_remove(cli, argv[1]);
    return cli_usage(partner_usage_text);
}
