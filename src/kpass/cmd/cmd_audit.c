/* SPDX-License-Identifier: ISC */
/*
 * kpass audit: verify the audit log's keyed hash chain, and show its rows
 * (masked data only: subjects are shown as the citizen's masked CNIC).
 *
 *   kpass audit verify [--head ID:HASH]
 *       exit 0 with "audit: N rows, chain intact, head ID:HASH", or exit 1
 *       naming the first broken row and why.  The chain cannot show rows
 *       cut off at the end, so the printed head is meant to be recorded
 *       elsewhere; --head checks that a recorded head is still there
 *       (HASH: at least 16 of its hex digits).
 *   kpass audit show [--cnic CNIC] [--event E] [--since T] [--limit N] [--json]
 *       the newest N rows (default 50) matching, oldest of them first,
 *       under a header line; --json: one JSON object per line instead.
 *       T: Unix seconds, YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC), or
 *       Nm / Nh / Nd ago.  With --cnic (and neither --event nor --json),
 *       the uses of that identity follow, as its citizen sees them on
 *       *789# (verify_uses.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/id/cnic.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/verify/uses.h"

#define AUDIT_HEAD_MIN_HEX 16
#define AUDIT_SHOW_LIMIT   50

static const char audit_usage_text[] =
    "kpass audit verify [--head ID:HASH]\n"
    "       kpass audit show [--cnic CNIC] [--event E] [--since T] [--limit N] [--json]";

/*
 * Every event kpass and kpassd write (doc/kpass.1 lists them).  --event
 * takes these only, so that a typo is an error, not an empty answer;
 * tests/check_audit.c finds every event name in the sources and checks
 * that it is here.
 */
static const char *const audit_events[] = {
    "app.added",
    "app.identified",
    "app.removed",
    "citizen.added",
    "citizen.blocked",
    "citizen.changed",
    "citizen.deceased",
    "citizen.imported",
    "citizen.linked",
    "citizen.unblocked",
    "citizen.unlinked",
    "code.delivered",
    "code.failed",
    "code.held",
    "code.issued",
    "code.limited",
    "code.locked",
    "code.refused",
    "code.sent",
    "code.undelivered",
    "code.verified",
    "credential.issued",
    "credential.resumed",
    "credential.revoked",
    "credential.suspended",
    "department.added",
    "department.removed",
    "department.subscribed",
    "department.template",
    "department.unsubscribed",
    "desk.added",
    "desk.refused",
    "desk.revoked",
    "desk.scan",
    "desk.signin",
    "desk.signout",
    "desk.verified",
    "identity.disputed",
    "identity.history",
    "key.retired",
    "key.rotated",
    "notice.no_number",
    "notice.queued",
    "partner.added",
    "partner.changed",
    "partner.removed",
    "receipt.refused",
    "receipt.viewed",
    "service.removed",
    "simswap.removed",
    "simswap.set",
    "staff.added",
    "staff.locked",
    "staff.pin_changed",
    "staff.pin_failed",
    "staff.removed",
    "staff.unlocked",
    "verification.disputed",
    "webhook.retried",
    NULL,
};

static int audit_event_known(const char *name)
{
    for (size_t i = 0; audit_events[i]; i++)
        if (strcmp(audit_events[i], name) == 0)
            return 1;
    return 0;
}

/* A recorded head: "ID:HEX".  0 or -1. */
static int audit_head_parse(const char *s, int64_t *id, char *hex, size_t size)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    size_t n;

    if (*s < '1' || *s > '9' || *end != ':' || v <= 0)
        return -1;
    n = strlen(end + 1);
    if (n < AUDIT_HEAD_MIN_HEX || n >= size || strspn(end + 1, "0123456789abcdef") != n)
        return -1;
    memcpy(hex, end + 1, n + 1);
    *id = v;
    return 0;
}

/* Is the recorded head id:hex still in the log?  0, or 1 after reporting. */
static int audit_head_check(struct kp_cli *cli, int64_t id, const char *hex,
                            const struct audit_report *rep)
{
    struct store_audit_row row;
    char have[2 * STORE_AUDIT_HASH_BYTES + 1];
    int rc = store_audit_get(cli->st, id, &row);

    if (rc == -KP_ERR_NOTFOUND) {
        printf("audit: row %lld of the recorded head is gone: the log was cut back to %lld "
               "rows\n",
               (long long)id, (long long)rep->rows);
        return 1;
    }
    if (rc < 0)
        return cli_fail("cannot read the audit log");
    sodium_bin2hex(have, sizeof(have), row.hash, sizeof(row.hash));
    if (strncmp(have, hex, strlen(hex)) != 0) {
        printf("audit: row %lld does not have the recorded hash: the log was rewritten\n",
               (long long)id);
        return 1;
    }
    return 0;
}

static int audit_cmd_verify(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"head", required_argument, NULL, 'H'},
                                         {NULL, 0, NULL, 0}};
    struct audit_report rep;
    char hex[2 * STORE_AUDIT_HASH_BYTES + 1], head[2 * STORE_AUDIT_HASH_BYTES + 1] = "";
    int64_t head_id = 0;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch != 'H' || audit_head_parse(optarg, &head_id, head, sizeof(head)) < 0)
            return ch == 'H' ? cli_fail("--head: ID:HASH, with at least %d lower-case hex digits",
                                        AUDIT_HEAD_MIN_HEX)
                             : cli_usage(audit_usage_text);
    }
    if (optind != argc)
        return cli_usage(audit_usage_text);
    if (cli_store_keys(cli) < 0)
        return 1;
    rc = audit_verify(cli->st, &rep);
    if (rc == -KP_ERR_CRYPTO) {
        printf("audit: row %lld: %s", (long long)rep.bad_id, audit_fault_text(rep.fault));
        if (rep.fault == AUDIT_FAULT_MISSING && rep.other_id == rep.bad_id - 1)
            printf(": id %lld", (long long)rep.other_id);
        else if (rep.fault == AUDIT_FAULT_MISSING)
            printf(": ids %lld to %lld", (long long)rep.other_id, (long long)rep.bad_id - 1);
        else if (rep.fault == AUDIT_FAULT_ORDER)
            printf(": row %lld belongs before it", (long long)rep.other_id);
        printf("; %lld intact rows before it\n", (long long)rep.rows);
        return 1;
    }
    if (rc < 0)
        return cli_fail("cannot verify the audit log: %s", kp_strerror(rc));
    if (head_id > 0 && audit_head_check(cli, head_id, head, &rep) != 0)
        return 1;
    sodium_bin2hex(hex, sizeof(hex), rep.head, sizeof(rep.head));
    if (rep.rows)
        printf("audit: %lld rows, chain intact, head %lld:%s%s\n", (long long)rep.rows,
               (long long)rep.head_id, hex,
               head_id > 0 ? "; the recorded head is still there" : "");
    else
        printf("audit: 0 rows, chain intact, head -\n");
    return 0;
}

/* The subject as the citizen's masked CNIC, or "#" and the index's first 8 hex digits. */
static void audit_subject(struct kp_cli *cli, const struct store_audit_row *r, char *out,
                          size_t size)
{
    struct store_citizen c;
    char hex[2 * STORE_AUDIT_SUBJECT_BYTES + 1];

    if (!r->has_subject) {
        snprintf(out, size, "-");
    } else if (store_citizen_get_by_index(cli->st, r->subject, &c) == 0) {
        char mask[CNIC_TEXT_SIZE];
        store_citizen_mask(&c, mask);
        snprintf(out, size, "%s", mask);
    } else {
        sodium_bin2hex(hex, sizeof(hex), r->subject, sizeof(r->subject));
        snprintf(out, size, "#%.8s", hex);
    }
}

/* Parse show's options into f.  0, or an exit status after reporting. */
static int audit_show_opts(struct kp_cli *cli, int argc, char **argv, struct store_audit_filter *f,
                           uint8_t index[CNIC_INDEX_BYTES], int *json)
{
    static const struct option opts[] = {
        {"cnic", required_argument, NULL, 'c'},  {"event", required_argument, NULL, 'e'},
        {"since", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},        {NULL, 0, NULL, 0}};
    char cnic[CNIC_SIZE], *end;
    enum cnic_fault cf;
    unsigned long limit;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            if (cnic_parse(optarg, strlen(optarg), cnic, &cf) < 0)
                return cli_fail("--cnic: %s", cnic_fault_text(cf));
            cnic_index(cnic, cli->cnic_key, index);
            sodium_memzero(cnic, sizeof(cnic));
            f->subject = index;
            break;
        case 'e':
            if (store_audit_event_check(optarg) < 0)
                return cli_fail("--event: a name such as citizen.blocked or code.issued");
            if (!audit_event_known(optarg)) {
                struct kp_buf names = KP_BUF_INIT;
                for (size_t i = 0; audit_events[i]; i++)
                    kp_buf_printf(&names, "%s%s", i ? ", " : "", audit_events[i]);
                cli_fail("--event: no event is called %s; the events are: %s", optarg, names.data);
                kp_buf_free(&names);
                return 1;
            }
            f->event = optarg;
            break;
        case 's':
            if (cli_time_parse(optarg, kp_time_s(), 1, &f->since) < 0)
                return cli_fail("--since: Unix seconds, YYYY-MM-DD[THH:MM[:SS]] (UTC), or "
                                "Nm, Nh, Nd ago");
            break;
        case 'l':
            limit = strtoul(optarg, &end, 10);
            if (*optarg < '1' || *optarg > '9' || *end != '\0' || limit > 10000)
                return cli_fail("--limit: a number from 1 to 10000");
            f->limit = (unsigned)limit;
            break;
        case 'j':
            *json = 1;
            break;
        default:
            return cli_usage(audit_usage_text);
        }
    }
    return optind == argc ? 0 : cli_usage(audit_usage_text);
}

/* One row as a JSON line: the same fields and the same guards as the table. */
static void audit_show_json(const struct store_audit_row *r, const char *when, const char *subject)
{
    json_t *o =
        json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id, "time", when,
                  "at", (json_int_t)r->at, "event", r->event, "actor",
                  store_audit_actor_check(r->actor) == 0 ? r->actor : "?", "subject", subject,
                  "detail", store_audit_detail_check(r->detail) == 0 ? r->detail : "(withheld)");
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

/* The identity's uses, newest first: what "Where was my identity used?" shows its citizen. */
static int audit_show_uses(struct kp_cli *cli, const uint8_t index[CNIC_INDEX_BYTES])
{
    struct verify_use u[VERIFY_USES_MAX];
    int n = verify_uses_list(cli->st, index, u, VERIFY_USES_MAX);

    if (n < 0)
        return cli_fail("cannot read the uses of this identity");
    printf("uses (newest first, as *789# shows them): %d\n", n);
    for (int i = 0; i < n; i++) {
        char t[CLI_TIME_SIZE];
        printf("  %-7lld %s %-5s %-8s %s\n", (long long)u[i].audit_id, cli_time(u[i].at, t),
               verify_use_kind_name(u[i].kind), u[i].office[0] ? u[i].office : "-",
               u[i].purpose[0] ? u[i].purpose : "-");
    }
    return 0;
}

static int audit_show(struct kp_cli *cli, int argc, char **argv)
{
    struct store_audit_filter f = {NULL, NULL, 0, 0, AUDIT_SHOW_LIMIT};
    struct store_audit_row *v;
    uint8_t index[CNIC_INDEX_BYTES];
    int n, rc, json = 0;

    /* The keys first: --cnic needs cnic.key for the index. */
    if (cli_store_keys(cli) < 0)
        return 1;
    if ((rc = audit_show_opts(cli, argc, argv, &f, index, &json)) != 0)
        return rc;
    if ((n = store_audit_list(cli->st, &f, &v)) < 0)
        return cli_fail("cannot read the audit log");
    if (n > 0 && !json)
        printf("%-7s %-20s %-18s %-12s %-15s %s\n", "ID", "TIME (UTC)", "EVENT", "ACTOR", "SUBJECT",
               "DETAIL");
    /* Newest N, printed oldest first (like tail). */
    for (int i = n - 1; i >= 0; i--) {
        char t[CLI_TIME_SIZE], subject[CNIC_TEXT_SIZE + 2];
        audit_subject(cli, &v[i], subject, sizeof(subject));
        cli_time(v[i].at, t);
        if (json) {
            audit_show_json(&v[i], t, subject);
            continue;
        }
        /* Rows written behind the store's back could hold anything: guard the output too. */
        printf("%-7lld %s %-18s %-12s %-15s %s\n", (long long)v[i].id, t, v[i].event,
               store_audit_actor_check(v[i].actor) == 0 ? v[i].actor : "?", subject,
               store_audit_detail_check(v[i].detail) == 0 ? v[i].detail : "(withheld)");
    }
    if (n == 0 && !json)
        printf("no audit rows match\n");
    free(v);
    if (f.subject && !f.event && !json)
        return audit_show_uses(cli, index);
    return 0;
}

int cmd_audit(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(audit_usage_text);
    if (strcmp(argv[1], "verify") == 0)
        return audit_cmd_verify(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return audit_show(cli, argc - 1, argv + 1);
    return cli_usage(audit_usage_text);
}
