/* SPDX-License-Identifier: ISC */
/*
 * kpass bench: options, and the link mode (keep `window` requests
 * outstanding on every bind, enquire_link or submit_sm; every response sends
 * the next request).  The final stdout line is one JSON object.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "../cli.h"
#include "kpass/core/mem.h"

static const char bench_usage_text[] =
    "kpass bench [--host H] [--port P] --system-id S [--password-file F]\n"
    "                   [--binds N] [--window W] [--seconds T]\n"
    "                   [--mode link] [--pdu enquire_link|submit_sm]\n"
    "                   [--mode ussd --dial '*789#' --inputs 1,2,00 --sessions S\n"
    "                    [--service-code 789] [--rate HOPS_PER_S] [--msisdn-base N]]";

struct link_bench {
    uint8_t pdu[512]; /* the request, sequence number patched per send */
    size_t len;
    uint32_t expect; /* its response command_id */
    uint64_t *sent;  /* per connection: send time by seq & mask */
    unsigned mask;
};

static void link_send_one(struct bench *b, struct bench_conn *c)
{
    struct link_bench *lb = bench_driver_arg(b);
    uint32_t seq = bench_conn_next_seq(c);

    lb->pdu[12] = (uint8_t)(seq >> 24);
    lb->pdu[13] = (uint8_t)(seq >> 16);
    lb->pdu[14] = (uint8_t)(seq >> 8);
    lb->pdu[15] = (uint8_t)seq;
    lb->sent[(size_t)bench_conn_index(c) * (lb->mask + 1) + (seq & lb->mask)] = bench_now_us();
    bench_send(c, lb->pdu, lb->len);
}

static void link_on_bound(struct bench *b, struct bench_conn *c)
{
    for (unsigned i = 0; i < bench_opts(b)->window; i++)
        link_send_one(b, c);
}

static void link_on_pdu(struct bench *b, struct bench_conn *c, const struct smpp_pdu *p,
                        uint64_t now)
{
    struct link_bench *lb = bench_driver_arg(b);
    uint64_t t0;

    if (p->command_id != lb->expect && p->command_id != SMPP_GENERIC_NACK) {
        bench_error(b, "unexpected PDU");
        return;
    }
    t0 = lb->sent[(size_t)bench_conn_index(c) * (lb->mask + 1) + (p->sequence_number & lb->mask)];
    bench_sample(b, now - t0);
    if (p->command_status != 0 || p->command_id == SMPP_GENERIC_NACK)
        bench_error(b, smpp_status_name(p->command_status));
    else
        bench_count(b, 1);
    if (bench_running(b))
        link_send_one(b, c);
}

/* pdus_per_s counts request/response pairs, as the link-layer target does. */
static void link_report(struct bench *b, double rate, char *out, size_t size)
{
    snprintf(out, size, "\"pdu\":\"%s\",\"pdus_per_s\":%.0f,", bench_opts(b)->pdu, rate);
}

int bench_mode_link(const struct bench_opts *o)
{
    struct link_bench lb;
    struct smpp_pdu p;
    struct bench_driver d = {link_on_bound, link_on_pdu, NULL, link_report, &lb};
    struct bench *b;
    int rc;

    memset(&lb, 0, sizeof(lb));
    if (strcmp(o->pdu, "enquire_link") == 0) {
        smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 1);
        lb.expect = SMPP_ENQUIRE_LINK_RESP;
    } else if (strcmp(o->pdu, "submit_sm") == 0) {
        smpp_pdu_init(&p, SMPP_SUBMIT_SM, 1);
        p.sm.source_addr_ton = 1;
        p.sm.source_addr_npi = 1;
        strcpy(p.sm.source_addr, "923000000001");
        strcpy(p.sm.destination_addr, "923000000002");
        p.sm.sm_length = 21;
        memcpy(p.sm.short_message, "kpass bench message 1", 21);
        lb.expect = SMPP_SUBMIT_SM_RESP;
    } else {
        return cli_fail("--pdu: enquire_link or submit_sm");
    }
    int n = smpp_pdu_encode(&p, lb.pdu, sizeof(lb.pdu));
    if (n < 0)
        return cli_fail("cannot encode the benchmark PDU");
    lb.len = (size_t)n;
    lb.mask = 1;
    while (lb.mask + 1 < o->window * 2)
        lb.mask = lb.mask * 2 + 1;
    lb.sent = kp_calloc((size_t)o->binds * (lb.mask + 1), sizeof(*lb.sent));
    b = bench_new(o, &d);
    rc = bench_run(b);
    bench_free(b);
    free(lb.sent);
    return rc;
}

static int bench_uint(const char *name, const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > max)
        return cli_fail("--%s: a number from %u to %u", name, min, max);
    *out = (unsigned)v;
    return 0;
}

int cmd_bench(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'P'},
        {"system-id", required_argument, NULL, 's'},
        {"password-file", required_argument, NULL, 'f'},
        {"binds", required_argument, NULL, 'n'},
        {"window", required_argument, NULL, 'w'},
        {"seconds", required_argument, NULL, 't'},
        {"pdu", required_argument, NULL, 'p'},
        {"mode", required_argument, NULL, 'm'},
        {"dial", required_argument, NULL, 'd'},
        {"inputs", required_argument, NULL, 'i'},
        {"sessions", required_argument, NULL, 'S'},
        {"service-code", required_argument, NULL, 'c'},
        {"rate", required_argument, NULL, 'r'},
        {"msisdn-base", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    struct bench_opts o = {.host = "127.0.0.1",
                           .port = 2775,
                           .binds = 4,
                           .window = 64,
                           .seconds = 10,
                           .pdu = "enquire_link",
                           .mode = "link",
                           .dial = "*789#",
                           .inputs = "1",
                           .sessions = 64,
                           .service_code = "789"};
    const char *pwfile = NULL;
    char host[INET_ADDRSTRLEN];
    int ch, rc, host_given = 0, port_given = 0;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'H':
            o.host = optarg;
            host_given = 1;
            break;
        case 'P':
            if (bench_uint("port", optarg, 1, 65535, &o.port))
                return 1;
            port_given = 1;
            break;
        case 's':
            if (strlen(optarg) > 15)
                return cli_fail("--system-id: at most 15 characters");
            strcpy(o.system_id, optarg);
            break;
        case 'f':
            pwfile = optarg;
            break;
        case 'n':
            if (bench_uint("binds", optarg, 1, 256, &o.binds))
                return 1;
            break;
        case 'w':
            if (bench_uint("window", optarg, 1, 4096, &o.window))
                return 1;
            break;
        case 't':
            if (bench_uint("seconds", optarg, 1, 3600, &o.seconds))
                return 1;
            break;
        case 'p':
            o.pdu = optarg;
            break;
        case 'm':
            o.mode = optarg;
            break;
        case 'd':
            o.dial = optarg;
            break;
        case 'i':
            o.inputs = optarg;
            break;
        case 'S':
            if (bench_uint("sessions", optarg, 1, 1000000, &o.sessions))
                return 1;
            break;
        case 'c':
            o.service_code = optarg;
            break;
        case 'b':
            if (bench_uint("msisdn-base", optarg, 0, 90000000, &o.msisdn_base))
                return 1;
            break;
        case 'r':
            if (bench_uint("rate", optarg, 1, 10000000, &o.rate))
                return 1;
            break;
        default:
            return cli_usage(bench_usage_text);
        }
    }
    if (optind != argc || o.system_id[0] == '\0')
        return cli_usage(bench_usage_text);
    if (!host_given && access(cli->conf_path, F_OK) == 0 && cli_config(cli) == 0 &&
        cli->smpp.nlisten > 0 && cli->smpp.listen[0].ss.ss_family == AF_INET) {
        /* The daemon's first [smpp] listen address, unless told otherwise. */
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&cli->smpp.listen[0].ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        if (sin->sin_addr.s_addr != htonl(INADDR_ANY))
            o.host = host;
        if (!port_given)
            o.port = ntohs(sin->sin_port);
    }
    if (pwfile && cli_read_secret("", pwfile, o.password, sizeof(o.password)) < 0)
        return 1;
    if (strcmp(o.mode, "link") == 0)
        rc = bench_mode_link(&o);
    else if (strcmp(o.mode, "ussd") == 0)
        rc = bench_mode_ussd(&o);
    else
        rc = cli_fail("--mode: link or ussd");
    sodium_memzero(o.password, sizeof(o.password));
    return rc;
}
