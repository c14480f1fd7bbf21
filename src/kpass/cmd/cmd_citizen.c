/* SPDX-License-Identifier: ISC */
/*
 * kpass citizen: add, show, list, set, link, unlink, block and unblock
 * citizens in the registry.  A citizen is named by a CNIC in either form
 * NADRA prints ("35202-1234567-1", "3520212345671") or by a registered
 * mobile number in any form msisdn_parse() accepts.  Output shows only
 * masked CNICs and numbers; messages about a bad CNIC or number say what
 * is wrong without repeating it.  Every change writes an audit row (actor
 * "kpass:<user>", see cli_actor) in the same transaction.  A district
 * must be one of the directory's districts (kpass import districts), so
 * that "Find an office" and the district lists can serve the citizen.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/directory.h"

#define CITIZEN_ACTOR      cli_actor()
#define CITIZEN_REASON_MAX 150
#define CITIZEN_PAGE       50

static const char citizen_usage_text[] =
    "kpass citizen add CNIC --name-en NAME --name-ur NAME --district CODE\n"
    "                  [--msisdn NUMBER]... [--status active|blocked|deceased]\n"
    "       kpass citizen show CNIC|NUMBER\n"
    "       kpass citizen list [--district CODE] [--status S] [--offset N] [--limit N]\n"
    "       kpass citizen set CNIC|NUMBER [--name-en N] [--name-ur N] [--district D]\n"
    "                  [--status S] [--reason TEXT]\n"
    "       kpass citizen link|unlink CNIC|NUMBER NUMBER\n"
    "       kpass citizen block|unblock CNIC|NUMBER [--reason TEXT]";

enum citizen_opt {
    OPT_NAME_EN = 1000,
    OPT_NAME_UR,
    OPT_DISTRICT,
    OPT_MSISDN,
    OPT_STATUS,
    OPT_REASON,
    OPT_OFFSET,
    OPT_LIMIT,
};

static const struct option citizen_opts[] = {
    {"name-en", required_argument, NULL, OPT_NAME_EN},
    {"name-ur", required_argument, NULL, OPT_NAME_UR},
    {"district", required_argument, NULL, OPT_DISTRICT},
    {"msisdn", required_argument, NULL, OPT_MSISDN},
    {"status", required_argument, NULL, OPT_STATUS},
    {"reason", required_argument, NULL, OPT_REASON},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {NULL, 0, NULL, 0},
};

/* What the options said; only the ones a verb allows are accepted. */
struct citizen_args {
    unsigned allowed; /* 1 << (opt - OPT_NAME_EN) */
    unsigned given;
    struct store_citizen fields;
    char msisdns[STORE_CITIZEN_MSISDNS][MSISDN_SIZE];
    int nmsisdns;
    int status;
    const char *reason;
    unsigned long offset, limit;
};

#define CITIZEN_ALLOW(o) (1u << ((o)-OPT_NAME_EN))

static int citizen_text_opt(const char *name, const char *v, char *dst, size_t size)
{
    if (strlen(v) >= size)
        return cli_fail("--%s: too long", name);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int citizen_number_opt(const char *name, const char *v, unsigned long min, unsigned long max,
                              unsigned long *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);

    if (*v < '0' || *v > '9' || *end != '\0' || n < min || n > max)
        return cli_fail("--%s: a number from %lu to %lu", name, min, max);
    *out = n;
    return 0;
}

static int citizen_msisdn_opt(struct citizen_args *a, const char *v)
{
    enum msisdn_fault mf;

    if (a->nmsisdns == STORE_CITIZEN_MSISDNS)
        return cli_fail("--msisdn: at most %d numbers", STORE_CITIZEN_MSISDNS);
    if (msisdn_parse(v, strlen(v), a->msisdns[a->nmsisdns], &mf) < 0)
        return cli_fail("--msisdn: %s", msisdn_fault_text(mf));
    a->nmsisdns++;
    return 0;
}

/* One option into a.  0, or an exit status after reporting. */
static int citizen_opt(struct citizen_args *a, int ch, const char *v)
{
    struct store_citizen *f = &a->fields;
    int status;

    switch (ch) {
    case OPT_NAME_EN:
        return citizen_text_opt("name-en", v, f->name_en, sizeof(f->name_en));
    case OPT_NAME_UR:
        return citizen_text_opt("name-ur", v, f->name_ur, sizeof(f->name_ur));
    case OPT_DISTRICT:
        return citizen_text_opt("district", v, f->district, sizeof(f->district));
    case OPT_MSISDN:
        return citizen_msisdn_opt(a, v);
    case OPT_STATUS:
        if ((status = store_citizen_status_parse(v)) < 0)
            return cli_fail("--status: active, blocked or deceased");
        a->status = status;
        return 0;
    case OPT_REASON:
        if (strlen(v) > CITIZEN_REASON_MAX)
            return cli_fail("--reason: at most %d characters", CITIZEN_REASON_MAX);
        if (store_audit_detail_check(v) < 0)
            return cli_fail("--reason: refused: the audit log takes no control characters, "
                            "full CNICs, full numbers or codes");
        a->reason = v;
        return 0;
    case OPT_OFFSET:
        return citizen_number_opt("offset", v, 0, 1000000000UL, &a->offset);
    case OPT_LIMIT:
        return citizen_number_opt("limit", v, 1, STORE_CITIZEN_LIST_MAX, &a->limit);
    default:
        return cli_usage(citizen_usage_text);
    }
}

/* Parse options from argv[first] on, allowing the set allowed.  0 or an exit status. */
static int citizen_parse(struct citizen_args *a, unsigned allowed, int argc, char **argv, int first)
{
    int ch, rc;

    memset(a, 0, sizeof(*a));
    a->allowed = allowed;
    a->status = -1;
    a->limit = CITIZEN_PAGE;
    optind = first;
    while ((ch = getopt_long(argc, argv, "", citizen_opts, NULL)) != -1) {
        if (ch < OPT_NAME_EN || !(allowed & CITIZEN_ALLOW(ch)))
            return cli_usage(citizen_usage_text);
        if ((rc = citizen_opt(a, ch, optarg)) != 0)
            return rc;
        a->given |= CITIZEN_ALLOW(ch);
    }
    return optind == argc ? 0 : cli_usage(citizen_usage_text);
}

/* Find the citizen arg names (a CNIC or a registered number).  0, or 1 after reporting. */
static int citizen_find(struct kp_cli *cli, const char *arg, struct store_citizen *c)
{
    char cnic[CNIC_SIZE], e164[MSISDN_SIZE], mask[CNIC_TEXT_SIZE], masked[MSISDN_SIZE];
    enum cnic_fault cf;
    enum msisdn_fault mf;
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    if (cnic_parse(arg, strlen(arg), cnic, &cf) == 0) {
        rc = registry_citizen_get(cli->reg, cnic, c);
        cnic_mask(cnic, mask);
        sodium_memzero(cnic, sizeof(cnic));
        if (rc == -KP_ERR_NOTFOUND)
            return cli_fail("no citizen with CNIC %s", mask);
    } else if (msisdn_parse(arg, strlen(arg), e164, &mf) == 0) {
        rc = store_citizen_get_by_msisdn(cli->st, e164, c);
        msisdn_mask(e164, masked);
        if (rc == -KP_ERR_NOTFOUND)
            return cli_fail("no citizen with number %s", masked);
    } else {
        return cli_fail("neither a CNIC (%s) nor a mobile number (%s)", cnic_fault_text(cf),
                        msisdn_fault_text(mf));
    }
    if (rc < 0)
        return cli_fail("cannot read the registry: %s", kp_strerror(rc));
    return 0;
}

static int citizen_link_fail(int rc, const char *e164)
{
    char masked[MSISDN_SIZE];

    msisdn_mask(e164, masked);
    if (rc == -KP_ERR_EXISTS)
        return cli_fail("%s is registered to another citizen", masked);
    if (rc == -KP_ERR_LIMIT)
        return cli_fail("a citizen may register at most %d numbers", STORE_CITIZEN_MSISDNS);
    return cli_fail("cannot register %s: %s", masked, kp_strerror(rc));
}

/* Is district one of the directory's?  0, or 1 after reporting why not. */
static int citizen_district_check(struct kp_cli *cli, const char *district)
{
    struct store_dir_counts n;
    int rc = store_dir_exists(cli->st, STORE_DIR_DISTRICT, district);

    if (rc == 1)
        return 0;
    if (rc < 0)
        return cli_fail("cannot read the directory's districts: %s", kp_strerror(rc));
    if (store_dir_count(cli->st, &n) == 0 && n.districts == 0)
        return cli_fail("district %s is unknown: the directory has no districts yet "
                        "(kpass import districts FILE)",
                        district);
    return cli_fail("district %s is not one of the directory's districts", district);
}

static int citizen_add(struct kp_cli *cli, int argc, char **argv)
{
    struct citizen_args a;
    char cnic[CNIC_SIZE], mask[CNIC_TEXT_SIZE];
    enum cnic_fault cf;
    const char *why;
    int rc;

    if (argc < 2)
        return cli_usage(citizen_usage_text);
    if ((rc = citizen_parse(
             &a,
             ~(CITIZEN_ALLOW(OPT_REASON) | CITIZEN_ALLOW(OPT_OFFSET) | CITIZEN_ALLOW(OPT_LIMIT)),
             argc, argv, 2)) != 0)
        return rc;
    if (cnic_parse(argv[1], strlen(argv[1]), cnic, &cf) < 0)
        return cli_fail("CNIC: %s", cnic_fault_text(cf));
    a.fields.status = a.status < 0 ? STORE_CITIZEN_ACTIVE : (enum store_citizen_status)a.status;
    if (store_citizen_check(&a.fields, &why) < 0)
        return cli_fail("%s", why);
    if (cli_store_keys(cli) < 0)
        return 1;
    if (citizen_district_check(cli, a.fields.district) != 0 || store_tx_begin(cli->st) < 0) {
        sodium_memzero(cnic, sizeof(cnic));
        return 1;
    }
    cnic_mask(cnic, mask);
    rc = registry_citizen_add(cli->reg, cnic, &a.fields, CITIZEN_ACTOR, kp_time_s());
    sodium_memzero(cnic, sizeof(cnic));
    if (rc < 0) {
        store_tx_rollback(cli->st);
        if (rc == -KP_ERR_EXISTS)
            return cli_fail("a citizen with CNIC %s is already registered", mask);
        return cli_fail("cannot add the citizen: %s", kp_strerror(rc));
    }
    for (int i = 0; i < a.nmsisdns; i++) {
        rc = registry_citizen_link(cli->reg, a.fields.id, a.msisdns[i], CITIZEN_ACTOR, kp_time_s());
        if (rc < 0) {
            store_tx_rollback(cli->st);
            return citizen_link_fail(rc, a.msisdns[i]);
        }
    }
    if (store_tx_commit(cli->st) < 0)
        return cli_fail("cannot add the citizen: %s", store_errmsg(cli->st));
    printf("citizen %s added (id %lld)\n", mask, (long long)a.fields.id);
    return 0;
}

static int citizen_show(struct kp_cli *cli, const char *who)
{
    struct store_citizen c;
    char mask[CNIC_TEXT_SIZE], nums[STORE_CITIZEN_MSISDNS][MSISDN_SIZE], t[CLI_TIME_SIZE];
    int n;

    if (citizen_find(cli, who, &c) != 0)
        return 1;
    if ((n = store_citizen_msisdns(cli->st, c.id, nums, STORE_CITIZEN_MSISDNS)) < 0)
        return cli_fail("cannot read the registry");
    store_citizen_mask(&c, mask);
    printf("id:        %lld\n", (long long)c.id);
    printf("cnic:      %s\n", mask);
    printf("name_en:   %s\n", c.name_en);
    printf("name_ur:   %s\n", c.name_ur);
    printf("district:  %s\n", c.district);
    printf("status:    %s\n", store_citizen_status_name(c.status));
    for (int i = 0; i < n; i++) {
        char masked[MSISDN_SIZE];
        msisdn_mask(nums[i], masked);
        printf("msisdn:    %s\n", masked);
    }
    if (n == 0)
        printf("msisdn:    none registered\n");
    printf("created:   %s\n", cli_time(c.created_at, t));
    printf("updated:   %s\n", cli_time(c.updated_at, t));
    return 0;
}

static int citizen_list(struct kp_cli *cli, int argc, char **argv)
{
    struct store_citizen_filter f;
    struct store_citizen *v;
    struct citizen_args a;
    int64_t total;
    int rc, n;

    if ((rc = citizen_parse(&a,
                            CITIZEN_ALLOW(OPT_DISTRICT) | CITIZEN_ALLOW(OPT_STATUS) |
                                CITIZEN_ALLOW(OPT_OFFSET) | CITIZEN_ALLOW(OPT_LIMIT),
                            argc, argv, 1)) != 0)
        return rc;
    if (cli_store_keys(cli) < 0)
        return 1;
    f = (struct store_citizen_filter){(a.given & CITIZEN_ALLOW(OPT_DISTRICT)) ? a.fields.district
                                                                              : NULL,
                                      a.status, (unsigned)a.offset, (unsigned)a.limit};
    if ((total = store_citizen_count(cli->st, &f)) < 0 ||
        (n = store_citizen_list(cli->st, &f, &v)) < 0)
        return cli_fail("cannot read the registry");
    printf("%-8s %-15s %-8s %-8s %s\n", "ID", "CNIC", "DISTRICT", "STATUS", "NAME");
    for (int i = 0; i < n; i++) {
        char mask[CNIC_TEXT_SIZE];
        store_citizen_mask(&v[i], mask);
        printf("%-8lld %-15s %-8s %-8s %s\n", (long long)v[i].id, mask, v[i].district,
               store_citizen_status_name(v[i].status), v[i].name_en);
    }
    if (n > 0)
        printf("citizens %lu-%lu of %lld\n", a.offset + 1, a.offset + (unsigned long)n,
               (long long)total);
    else
        printf("no citizens (of %lld)\n", (long long)total);
    free(v);
    return 0;
}

static int citizen_set(struct kp_cli *cli, int argc, char **argv)
{
    struct store_citizen c;
    struct citizen_args a;
    char mask[CNIC_TEXT_SIZE];
    const char *why;
    int rc, changed = 0;

    if (argc < 2)
        return cli_usage(citizen_usage_text);
    if ((rc = citizen_parse(
             &a,
             ~(CITIZEN_ALLOW(OPT_MSISDN) | CITIZEN_ALLOW(OPT_OFFSET) | CITIZEN_ALLOW(OPT_LIMIT)),
             argc, argv, 2)) != 0)
        return rc;
    /* The reason is recorded with a status change; alone it would be dropped. */
    if (a.reason && a.status < 0)
        return cli_fail("--reason goes with --status");
    if (citizen_find(cli, argv[1], &c) != 0)
        return 1;
    store_citizen_mask(&c, mask);
    if (a.given & CITIZEN_ALLOW(OPT_NAME_EN))
        memcpy(c.name_en, a.fields.name_en, sizeof(c.name_en));
    if (a.given & CITIZEN_ALLOW(OPT_NAME_UR))
        memcpy(c.name_ur, a.fields.name_ur, sizeof(c.name_ur));
    if (a.given & CITIZEN_ALLOW(OPT_DISTRICT))
        memcpy(c.district, a.fields.district, sizeof(c.district));
    if (store_citizen_check(&c, &why) < 0)
        return cli_fail("%s", why);
    if ((a.given & CITIZEN_ALLOW(OPT_DISTRICT)) && citizen_district_check(cli, c.district) != 0)
        return 1;
    if (store_tx_begin(cli->st) < 0)
        return 1;
    rc = registry_citizen_update(cli->reg, &c, CITIZEN_ACTOR, kp_time_s());
    changed |= rc > 0;
    if (rc >= 0 && a.status >= 0) {
        rc = registry_citizen_set_status(cli->reg, c.id, (enum store_citizen_status)a.status,
                                         a.reason, CITIZEN_ACTOR, kp_time_s());
        changed |= rc > 0;
    }
    if (rc >= 0)
        rc = store_tx_commit(cli->st);
    else
        store_tx_rollback(cli->st);
    if (rc < 0)
        return cli_fail("cannot change citizen %s: %s", mask, kp_strerror(rc));
    printf(changed ? "citizen %s updated\n" : "citizen %s: nothing to change\n", mask);
    return 0;
}

static int citizen_link(struct kp_cli *cli, int argc, char **argv, int link)
{
    struct store_citizen c;
    char mask[CNIC_TEXT_SIZE], e164[MSISDN_SIZE], masked[MSISDN_SIZE];
    enum msisdn_fault mf;
    int rc;

    if (argc != 3)
        return cli_usage(citizen_usage_text);
    if (msisdn_parse(argv[2], strlen(argv[2]), e164, &mf) < 0)
        return cli_fail("number: %s", msisdn_fault_text(mf));
    if (citizen_find(cli, argv[1], &c) != 0)
        return 1;
    store_citizen_mask(&c, mask);
    msisdn_mask(e164, masked);
    if (link) {
        rc = registry_citizen_link(cli->reg, c.id, e164, CITIZEN_ACTOR, kp_time_s());
        if (rc < 0)
            return citizen_link_fail(rc, e164);
        printf(rc ? "%s registered to citizen %s\n" : "%s is already registered to citizen %s\n",
               masked, mask);
        return 0;
    }
    rc = registry_citizen_unlink(cli->reg, c.id, e164, CITIZEN_ACTOR, kp_time_s());
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("%s is not registered to citizen %s", masked, mask);
    if (rc < 0)
        return cli_fail("cannot remove %s: %s", masked, kp_strerror(rc));
    printf("%s removed from citizen %s\n", masked, mask);
    return 0;
}

static int citizen_block(struct kp_cli *cli, int argc, char **argv, int block)
{
    enum store_citizen_status want = block ? STORE_CITIZEN_BLOCKED : STORE_CITIZEN_ACTIVE;
    struct store_citizen c;
    struct citizen_args a;
    char mask[CNIC_TEXT_SIZE], done[64];
    int rc;

    if (argc < 2)
        return cli_usage(citizen_usage_text);
    if ((rc = citizen_parse(&a, CITIZEN_ALLOW(OPT_REASON), argc, argv, 2)) != 0)
        return rc;
    if (citizen_find(cli, argv[1], &c) != 0)
        return 1;
    store_citizen_mask(&c, mask);
    if (c.status == STORE_CITIZEN_DECEASED)
        return cli_fail("citizen %s is recorded as deceased; to correct that, use "
                        "kpass citizen set --status",
                        mask);
    rc = registry_citizen_set_status(cli->reg, c.id, want, a.reason, CITIZEN_ACTOR, kp_time_s());
    if (rc < 0)
        return cli_fail("cannot change citizen %s: %s", mask, kp_strerror(rc));
    if (rc == 0) {
        printf("citizen %s is already %s\n", mask, block ? "blocked" : "active");
        return 0;
    }
    snprintf(done, sizeof(done), "citizen %s %s", mask, block ? "blocked" : "unblocked");
    cli_change_report(cli, done,
                      block ? "their credentials and codes are refused"
                            : "their credentials and codes are accepted");
    return 0;
}

int cmd_citizen(struct kp_cli *cli, int argc, char **argv)
{
    const char *verb;

    if (argc < 2)
        return cli_usage(citizen_usage_text);
    verb = argv[1];
    argc--;
    argv++;
    if (strcmp(verb, "add") == 0)
        return citizen_add(cli, argc, argv);
    if (strcmp(verb, "show") == 0 && argc == 2)
        return citizen_show(cli, argv[1]);
    if (strcmp(verb, "list") == 0)
        return citizen_list(cli, argc, argv);
    if (strcmp(verb, "set") == 0)
        return citizen_set(cli, argc, argv);
    if (strcmp(verb, "link") == 0 || strcmp(verb, "unlink") == 0)
        return citizen_link(cli, argc, argv, verb[0] == 'l');
    if (strcmp(verb, "block") == 0 || strcmp(verb, "unblock") == 0)
        return citizen_block(cli, argc, argv, verb[0] == 'b');
    return cli_usage(citizen_usage_text);
}
