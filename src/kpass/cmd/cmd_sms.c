/* SPDX-License-Identifier: ISC */
/*
 * kpass sms: the SMS outbox as an operator sees it (list, show).  Numbers
 * are always masked.  The text of a one-time code message is never shown,
 * whether it is still in the outbox or already scrubbed: "(code message)"
 * stands in for it (DESIGN.md §6).  Other texts (service details sent on
 * request) are shown, with control characters made visible as spaces.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/sms/sms.h"
#include "kpass/smpp/pdu.h"
#include "kpass/partner/partner.h"
#include "kpass/store/sms.h"

static const char sms_usage_text[] = "kpass sms list [--state STATE] [--limit N]\n"
                                     "       kpass sms show ID\n"
                                     "states: queued sending sent delivered undeliverable "
                                     "expired failed";

#define SMS_LIST_MAX     10000
#define SMS_LIST_DEFAULT 20
#define SMS_LIST_TEXT    40 /* characters of text in a list row */

/* The number as it may be shown: masked, or a placeholder if it is not E.164. */
static void sms_masked(const char *msisdn, char out[MSISDN_SIZE])
{
    if (msisdn_mask(msisdn, out) < 0)
        snprintf(out, MSISDN_SIZE, "(invalid)");
}

/* The text as it may be shown: never a code message's (see above). */
static const char *sms_text(const struct store_sms *m)
{
    if (m->is_code)
        return "(code message)";
    if (m->scrubbed)
        return "(scrubbed)";
    return m->body;
}

/*
 * Copy at most max_chars UTF-8 characters of s into out (size octets),
 * control characters as spaces, "..." when cut.  Returns out.
 */
static char *sms_clip(const char *s, size_t max_chars, char *out, size_t size)
{
    size_t o = 0, chars = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int lead = (*p & 0xC0) != 0x80;
        if (lead && chars == max_chars) {
            if (o + 4 <= size) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (o + 5 > size) /* room for a whole character and the NUL */
            break;
        chars += lead;
        out[o++] = *p < 0x20 || *p == 0x7F ? ' ' : (char)*p;
    }
    out[o] = '\0';
    return out;
}

/* Parse a decimal number within [min, max]; 0 or -1. */
static int sms_number(const char *s, long long min, long long max, long long *out)
{
    char *end;
    long long v;

    if (*s < '0' || *s > '9')
        return -1;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int sms_list(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"state", required_argument, NULL, 's'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    struct store_sms *rows;
    long long limit = SMS_LIST_DEFAULT;
    int ch, state = -1, n;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if ((state = sms_state_parse(optarg)) < 0)
                return cli_fail("--state: '%s' is not a state (%s)", optarg,
                                "queued, sending, sent, delivered, undeliverable, expired, failed");
            break;
        case 'n':
            if (sms_number(optarg, 1, SMS_LIST_MAX, &limit) < 0)
                return cli_fail("--limit: '%s' is not a number from 1 to %d", optarg, SMS_LIST_MAX);
            break;
        default:
            return cli_usage(sms_usage_text);
        }
    }
    if (optind != argc)
        return cli_usage(sms_usage_text);
    if (cli_store(cli) < 0)
        return 1;
    rows = kp_calloc((size_t)limit, sizeof(*rows));
    n = store_sms_list(cli->st, state, rows, (int)limit);
    if (n < 0) {
        free(rows);
        return cli_fail("cannot read the outbox");
    }
    printf("%-8s %-13s %-13s %-5s %-5s %-20s %s\n", "ID", "STATE", "TO", "TRIES", "PARTS",
           "UPDATED", "TEXT");
    for (int i = 0; i < n; i++) {
        char to[MSISDN_SIZE], t[CLI_TIME_SIZE], text[SMS_LIST_TEXT * 4 + 4];
        sms_masked(rows[i].msisdn, to);
        printf("%-8lld %-13s %-13s %-5u %-5u %-20s %s\n", (long long)rows[i].id,
               sms_state_name(rows[i].state), to, rows[i].attempts, rows[i].parts,
               cli_time(rows[i].updated_at, t),
               sms_clip(sms_text(&rows[i]), SMS_LIST_TEXT, text, sizeof(text)));
    }
    free(rows);
    return 0;
}

/* The partner's system_id for a row id, or the id itself when it is gone. */
static void sms_partner_name(struct kp_cli *cli, int64_t id, char *out, size_t size)
{
    struct partner *v = NULL;
    int n = id ? partner_db_list(cli->st, &v) : 0;

    snprintf(out, size, id ? "#%lld (removed)" : "-", (long long)id);
    for (int i = 0; i < n; i++)
        if (v[i].conf.id == id)
            snprintf(out, size, "%s", v[i].conf.system_id);
    free(v);
}

static int sms_show(struct kp_cli *cli, const char *arg)
{
    struct store_sms *m;
    char to[MSISDN_SIZE], t[CLI_TIME_SIZE], partner[40];
    long long id;
    int rc;

    if (sms_number(arg, 1, INT64_MAX, &id) < 0)
        return cli_fail("'%s' is not a message id", arg);
    if (cli_store(cli) < 0)
        return 1;
    m = kp_calloc(1, sizeof(*m));
    rc = store_sms_get(cli->st, id, m);
    if (rc < 0) {
        free(m);
        return rc == -KP_ERR_NOTFOUND ? cli_fail("no message %lld", id)
                                      : cli_fail("cannot read the outbox");
    }
    sms_masked(m->msisdn, to);
    sms_partner_name(cli, m->partner_id, partner, sizeof(partner));
    printf("id:           %lld\n", (long long)m->id);
    printf("to:           %s\n", to);
    printf("state:        %s\n", sms_state_name(m->state));
    printf("kind:         %s\n", m->is_code ? "one-time code" : "information");
    printf("text:         %s\n", sms_text(m));
    printf("attempts:     %u\n", m->attempts);
    printf("partner:      %s\n", partner);
    printf("message_id:   %s\n", m->message_id[0] ? m->message_id : "-");
    printf("parts:        %u\n", m->parts);
    if (m->last_status)
        printf("last status:  %s (0x%08x)\n", smpp_status_name(m->last_status), m->last_status);
    printf("created:      %s\n", cli_time(m->created_at, t));
    printf("updated:      %s\n", cli_time(m->updated_at, t));
    if (m->state == SMS_QUEUED)
        printf("next attempt: %s\n", cli_time(m->next_attempt_at, t));
    printf("expires:      %s\n", cli_time(m->expires_at, t));
    free(m);
    return 0;
}

int cmd_sms(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage(sms_usage_text);
    if (strcmp(argv[1], "list") == 0)
        return sms_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0 && argc == 3)
        return sms_show(cli, argv[2]);
    return cli_usage(sms_usage_text);
}
