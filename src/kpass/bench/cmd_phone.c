/* SPDX-License-Identifier: ISC */
/*
 * kpass phone: a feature phone behind an operator's USSD gateway.  It binds
 * to kpassd as a partner (transceiver), dials a USSD code, shows each screen
 * and sends the user's replies, and shows SMS that arrive for its number.
 * Interactive on a terminal, or non-interactive with --script (each element
 * is sent when the previous screen arrives).  Uses the daemon's own SMPP
 * link layer in client mode.
 *
 * Like a phone, it shows only what is addressed to its own number (the
 * partner it binds as may carry traffic for many), and a long SMS once,
 * whole, however many parts it came in (sms/concat.h).  Lines typed
 * before the bind is up, or while a screen is awaited, wait their turn:
 * one is sent per screen.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/smpp/smpp.h"
#include "kpass/sms/concat.h"
#include "kpass/text/text.h"
#include "kpass/ussd/ussd.h"

static const char phone_usage_text[] =
    "kpass phone [--host H] [--port P] [--system-id S] [--password-file F]\n"
    "                   [--msisdn +923001234567] [--dial '*789#'] [--session its|umr|msisdn]\n"
    "                   [--script '*789#,1,2,0'] [--wait-sms N] [--timeout SECONDS] [--json]\n"
    "       kpass phone --listen SECONDS [--wait-sms N] [--json] [connection options]";

struct phone {
    struct event_base *base;
    struct smpp_hub *hub;
    struct smpp_partner_conf conf;
    struct event *ev_stdin;
    struct event *ev_tick;
    struct event *ev_deadline;
    char msisdn[17];  /* E.164 */
    char addr[16];    /* digits for SMPP */
    char service[22]; /* destination address: the code's digits */
    char **script;    /* remaining script elements */
    int nscript, iscript;
    enum ussd_sid sid;
    uint16_t its; /* session number << 8 | seq << 1 */
    uint16_t umr;
    int in_dialog;
    int bound;
    int json;
    int exit_code;
    unsigned wait_sms; /* after the dialog: wait this many SMS (script mode) */
    unsigned sms_seen;
    int interactive;
    int listen;        /* --listen: no dialog, only SMS, until the deadline */
    unsigned listen_s; /* its seconds; 0: exit 0 once bound (a readiness probe) */
    int quitting;
    int unbind_pending;
    uint64_t quit_deadline_ms;
    struct kp_buf typed;       /* interactive: what was typed and not sent yet */
    int typed_eof;             /* standard input has ended */
    int awaiting;              /* a line was sent; its screen has not come */
    struct sms_concat *concat; /* parts of long SMS waiting for the others */
};

/* Stop with exit status code; only the first call counts. */
static void phone_quit(struct phone *ph, int code)
{
    if (ph->quitting)
        return;
    ph->quitting = 1;
    ph->exit_code = code;
    /* Unbind first, from the next tick (we may be inside a request's
       callback, whose response is written after it returns): the
       responses already written (the deliver_sm_resp of the last SMS)
       then reach kpassd before the link goes; a message it never saw
       answered, it would send again.  The tick ends the loop when the link
       is gone, or after 2 s. */
    if (smpp_hub_link_count(ph->hub) > 0) {
        ph->quit_deadline_ms = kp_clock_ms() + 2000;
        ph->unbind_pending = 1;
        return;
    }
    event_base_loopbreak(ph->base);
}

static void phone_print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void phone_show(struct phone *ph, const char *kind, const char *from, const char *text,
                       int dc, int end)
{
    if (ph->json) {
        printf("{\"%s\":", kind);
        phone_print_json_string(text);
        printf(",\"encoding\":\"%s\",\"end\":%s", dc == 8 ? "ucs2" : "gsm7",
               end ? "true" : "false");
        if (from) {
            printf(",\"from\":");
            phone_print_json_string(from);
        }
        printf("}\n");
    } else if (strcmp(kind, "sms") == 0) {
        printf("\n[SMS from %s]\n%s\n", from, text);
    } else {
        printf("\n%s\n%s\n", text, end ? "[dialog ended]" : "");
    }
    fflush(stdout);
}

static void phone_pump(struct phone *ph);

/* kpassd's answer to an MO: refused, no screen will come for it. */
static void phone_sent_cb(struct smpp_link *l, const struct smpp_pdu *resp, int err, void *arg)
{
    struct phone *ph = arg;

    (void)l;
    if (err == 0 && resp != NULL && resp->command_status == SMPP_ESME_ROK)
        return;
    if (ph->quitting)
        return;
    fprintf(stderr, "kpass phone: kpassd refused that (%s)\n",
            err ? kp_strerror(err) : "an error status");
    ph->awaiting = 0;
    ph->in_dialog = 0;
    phone_pump(ph);
}

/* Send one MO: a begin (op 1) with the dialled string, or a reply (op 18). */
static void phone_send(struct phone *ph, const char *text, int begin)
{
    struct smpp_partner *p = smpp_hub_partner(ph->hub, ph->conf.id);
    struct smpp_pdu mo;
    struct kp_buf enc = KP_BUF_INIT;
    enum text_enc e = text_choose(text, strlen(text));

    if (p == NULL || text_encode(text, strlen(text), e, &enc) < 0 || enc.len > 254) {
        fprintf(stderr, "kpass phone: cannot send '%s'\n", text);
        kp_buf_free(&enc);
        phone_quit(ph, 1);
        return;
    }
    smpp_pdu_init(&mo, SMPP_SUBMIT_SM, 0);
    strcpy(mo.sm.service_type, "USSD");
    mo.sm.source_addr_ton = 1;
    mo.sm.source_addr_npi = 1;
    strcpy(mo.sm.source_addr, ph->addr);
    strcpy(mo.sm.destination_addr, ph->service);
    mo.sm.data_coding = (uint8_t)e;
    mo.sm.sm_length = (uint8_t)enc.len;
    memcpy(mo.sm.short_message, enc.data, enc.len);
    kp_buf_free(&enc);
    mo.tlv.present = SMPP_TLV_USSD_SERVICE_OP;
    mo.tlv.ussd_service_op = begin ? USSD_OP_PSSR_IND : USSD_OP_USSR_CONF;
    if (begin) {
        ph->its = (uint16_t)(randombytes_uniform(256) << 8);
        ph->umr = (uint16_t)randombytes_uniform(65536);
    } else {
        ph->its = (uint16_t)((ph->its & 0xFF00) | ((((ph->its >> 1) + 1) & 0x7F) << 1));
    }
    if (ph->sid == USSD_SID_ITS) {
        mo.tlv.present |= SMPP_TLV_ITS_SESSION_INFO;
        mo.tlv.its_session_info = ph->its;
    } else if (ph->sid == USSD_SID_UMR) {
        mo.tlv.present |= SMPP_TLV_USER_MESSAGE_REFERENCE;
        mo.tlv.user_message_reference = ph->umr;
    }
    if (smpp_partner_send(p, &mo, phone_sent_cb, ph) < 0) {
        fprintf(stderr, "kpass phone: not connected\n");
        phone_quit(ph, 1);
        return;
    }
    ph->in_dialog = 1;
    ph->awaiting = 1;
    if (ph->json) {
        printf("{\"send\":");
        phone_print_json_string(text);
        printf("}\n");
    } else if (!ph->interactive) {
        printf("> %s\n", text);
    }
    fflush(stdout);
}

static void phone_next_script(struct phone *ph)
{
    if (ph->iscript < ph->nscript) {
        const char *t = ph->script[ph->iscript++];
        phone_send(ph, t, t[0] == '*' && !ph->in_dialog);
    } else if (ph->sms_seen >= ph->wait_sms) {
        phone_quit(ph, 0);
    }
}

/* A screen from kpassd: shown, and the next line (script or typed) goes. */
static void phone_screen(struct phone *ph, const struct smpp_pdu *req, const char *text)
{
    int end = req->tlv.ussd_service_op != USSD_OP_USSR_REQ;

    if (req->tlv.present & SMPP_TLV_ITS_SESSION_INFO)
        ph->its = req->tlv.its_session_info;
    phone_show(ph, "screen", NULL, text, req->sm.data_coding, end);
    ph->awaiting = 0;
    if (end)
        ph->in_dialog = 0;
    if (ph->script) {
        if (end && ph->iscript < ph->nscript && ph->script[ph->iscript][0] != '*')
            ph->iscript = ph->nscript; /* the rest of the script has no dialog to go to */
        phone_next_script(ph);
    } else if (ph->interactive) {
        printf(end ? "dial> " : "reply> ");
        fflush(stdout);
        phone_pump(ph);
    }
}

/*
 * An SMS (user data raw[0..n), its place info): shown once whole.  The
 * parts of a long one are kept until the last comes.
 */
static void phone_sms(struct phone *ph, const struct smpp_pdu *req, const uint8_t *raw, size_t n,
                      const struct sms_concat_info *info)
{
    struct kp_buf data = KP_BUF_INIT, text = KP_BUF_INIT;
    char from[MSISDN_SIZE];
    enum msisdn_fault fault;
    uint8_t dc = req->sm.data_coding;
    int rc = 0;

    if (msisdn_from_smpp(req->sm.source_addr_ton, req->sm.source_addr_npi, req->sm.source_addr,
                         from, &fault) < 0)
        snprintf(from, sizeof(from), "%.16s", req->sm.source_addr);
    if (info->concat)
        rc = sms_concat_add(ph->concat, from, info, dc, raw + info->skip, n - info->skip,
                            kp_clock_ms(), &data, &dc);
    else
        kp_buf_append(&data, raw + info->skip, n - info->skip);
    if (rc == 0 && info->concat) {
        kp_buf_free(&data);
        return; /* more parts to come */
    }
    if (rc < 0 || text_decode((const uint8_t *)data.data, data.len, dc, &text) < 0)
        kp_buf_puts(&text, "(undecodable text)");
    phone_show(ph, "sms", from, text.data ? text.data : "", dc, 0);
    kp_buf_free(&data);
    kp_buf_free(&text);
    ph->sms_seen++;
    if (ph->script && ph->iscript >= ph->nscript && !ph->in_dialog && ph->sms_seen >= ph->wait_sms)
        phone_quit(ph, 0);
    if (ph->listen && ph->wait_sms && ph->sms_seen >= ph->wait_sms)
        phone_quit(ph, 0);
}

/* Is req addressed to this phone's number?  Others' screens and SMS are not shown. */
static int phone_for_me(const struct phone *ph, const struct smpp_pdu *req)
{
    char to[MSISDN_SIZE];
    enum msisdn_fault fault;

    return msisdn_from_smpp(req->sm.dest_addr_ton, req->sm.dest_addr_npi, req->sm.destination_addr,
                            to, &fault) == 0 &&
           strcmp(to, ph->msisdn) == 0;
}

/* A screen or an SMS from kpassd (deliver_sm). */
static uint32_t phone_on_request(void *arg, struct smpp_link *l, const struct smpp_pdu *req,
                                 struct smpp_pdu *resp)
{
    struct phone *ph = arg;
    const uint8_t *raw = req->sm.short_message;
    size_t n = req->sm.sm_length;
    struct sms_concat_info info;

    (void)l;
    (void)resp;
    /* Taken (ROK) either way: it was delivered to the handset it names. */
    if (!phone_for_me(ph, req))
        return SMPP_ESME_ROK;
    if (req->tlv.present & SMPP_TLV_MESSAGE_PAYLOAD) {
        raw = req->tlv.message_payload;
        n = req->tlv.payload_len;
    }
    if (req->tlv.present & SMPP_TLV_USSD_SERVICE_OP) {
        struct kp_buf text = KP_BUF_INIT;
        if (text_decode(raw, n, req->sm.data_coding, &text) < 0)
            kp_buf_puts(&text, "(undecodable text)");
        phone_screen(ph, req, text.data ? text.data : "");
        kp_buf_free(&text);
        return SMPP_ESME_ROK;
    }
    if (sms_concat_info(req, raw, n, &info) < 0)
        info = (struct sms_concat_info){0, 0, 0, 0, 0}; /* shown as it came */
    phone_sms(ph, req, raw, n, &info);
    return SMPP_ESME_ROK;
}

static void phone_on_bound(void *arg, struct smpp_link *l)
{
    struct phone *ph = arg;

    (void)l;
    if (ph->bound++)
        return;
    if (ph->listen && ph->listen_s == 0)
        phone_quit(ph, 0); /* --listen 0: bound, which was the question */
    else if (ph->script)
        phone_next_script(ph);
    else if (ph->interactive) {
        printf("kpass phone %s: type a USSD code (e.g. *789#), then your replies; "
               "an empty line ends.\ndial> ",
               ph->msisdn);
        fflush(stdout);
        phone_pump(ph); /* what was typed while binding */
    }
}

static void phone_on_closed(void *arg, struct smpp_link *l)
{
    struct phone *ph = arg;

    (void)l;
    if (ph->quitting)
        return; /* our own unbind */
    fprintf(stderr, "kpass phone: the link to kpassd closed\n");
    phone_quit(ph, 1);
}

/*
 * Send the next typed line when it may go: bound, and no screen awaited
 * (one line per screen, as a person reads before answering).  An empty
 * line, or the end of input with nothing left to send or await, ends.
 */
static void phone_pump(struct phone *ph)
{
    while (ph->bound && !ph->awaiting && !ph->quitting) {
        char *nl = ph->typed.len ? memchr(ph->typed.data, '\n', ph->typed.len) : NULL;
        size_t n = nl ? (size_t)(nl - ph->typed.data) : ph->typed.len;
        char line[512];

        if (nl == NULL && !(ph->typed_eof && ph->typed.len > 0)) {
            if (ph->typed_eof)
                phone_quit(ph, 0);
            return;
        }
        snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
                 ph->typed.data);
        line[strcspn(line, "\r")] = '\0';
        /* Drop the line and its newline from the buffer. */
        size_t used = nl ? n + 1 : n;
        memmove(ph->typed.data, ph->typed.data + used, ph->typed.len - used);
        ph->typed.len -= used;
        if (line[0] == '\0') {
            phone_quit(ph, 0);
            return;
        }
        phone_send(ph, line, !ph->in_dialog);
    }
}

/* Keep what was typed (even before the bind is up); phone_pump sends it. */
static void phone_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
    struct phone *ph = arg;
    char buf[512];
    ssize_t n;

    (void)what;
    n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
        event_del(ph->ev_stdin);
        ph->typed_eof = 1;
    } else if (ph->typed.len + (size_t)n > 65536) {
        fprintf(stderr, "kpass phone: too much typed ahead\n");
        event_del(ph->ev_stdin);
        phone_quit(ph, 1);
        return;
    } else {
        kp_buf_append(&ph->typed, buf, (size_t)n);
    }
    phone_pump(ph);
}

static void phone_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct phone *ph = arg;

    uint64_t now = kp_clock_ms();

    (void)fd;
    (void)what;
    smpp_hub_tick(ph->hub, now);
    if (ph->unbind_pending) {
        ph->unbind_pending = 0;
        smpp_hub_unbind_all(ph->hub);
    }
    if (ph->quitting && (smpp_hub_link_count(ph->hub) == 0 || now >= ph->quit_deadline_ms))
        event_base_loopbreak(ph->base);
}

static void phone_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct phone *ph = arg;

    (void)fd;
    (void)what;
    if (ph->listen && ph->bound && ph->sms_seen >= ph->wait_sms) {
        phone_quit(ph, 0); /* listened as long as asked */
        return;
    }
    if (!ph->bound)
        fprintf(stderr, "kpass phone: not bound to kpassd at %s:%u in time\n", ph->conf.host,
                ph->conf.port);
    else
        fprintf(stderr, "kpass phone: timed out\n");
    phone_quit(ph, ph->bound && ph->sms_seen >= ph->wait_sms && ph->iscript >= ph->nscript ? 0 : 1);
}

/* Split "*789#,1,2" into elements (the string is modified). */
static int phone_split(char *s, char ***out)
{
    int n = 0;
    char **v = NULL;

    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        v = kp_realloc(v, (size_t)(n + 1) * sizeof(*v));
        v[n++] = tok;
    }
    *out = v;
    return n;
}

/* Fill host/port from the configuration when not given. */
static void phone_defaults(struct kp_cli *cli, struct phone *ph)
{
    strcpy(ph->conf.host, "127.0.0.1");
    ph->conf.port = 2775;
    if (access(cli->conf_path, R_OK) == 0 && cli_config(cli) == 0 && cli->smpp.nlisten) {
        const char *t = cli->smpp.listen[0].text;
        const char *colon = strrchr(t, ':');
        if (t[0] != '[' && colon) {
            snprintf(ph->conf.host, sizeof(ph->conf.host), "%.*s", (int)(colon - t), t);
            ph->conf.port = (unsigned)atoi(colon + 1);
        }
    }
}

static int phone_run(struct phone *ph, unsigned timeout_s)
{
    struct smpp_settings set;
    struct smpp_ops ops = {.arg = ph,
                           .on_request = phone_on_request,
                           .on_bound = phone_on_bound,
                           .on_closed = phone_on_closed};
    struct timeval tick = {0, 100000};

    smpp_settings_default(&set);
    set.reconnect_max_ms = 1000;
    ph->concat = sms_concat_new();
    ph->base = event_base_new();
    ph->hub = smpp_hub_new(ph->base, &set, &ops);
    smpp_hub_connect(ph->hub, &ph->conf);
    ph->ev_tick = event_new(ph->base, -1, EV_PERSIST, phone_tick_cb, ph);
    event_add(ph->ev_tick, &tick);
    smpp_hub_tick(ph->hub, kp_clock_ms());
    if (ph->interactive) {
        ph->ev_stdin = event_new(ph->base, STDIN_FILENO, EV_READ | EV_PERSIST, phone_stdin_cb, ph);
        event_add(ph->ev_stdin, NULL);
    }
    if (timeout_s) {
        struct timeval tv = {(time_t)timeout_s, 0};
        ph->ev_deadline = evtimer_new(ph->base, phone_deadline_cb, ph);
        event_add(ph->ev_deadline, &tv);
    }
    event_base_dispatch(ph->base);
    smpp_hub_free(ph->hub);
    if (ph->ev_stdin)
        event_free(ph->ev_stdin);
    event_free(ph->ev_tick);
    if (ph->ev_deadline)
        event_free(ph->ev_deadline);
    event_base_free(ph->base);
    if (sms_concat_pending(ph->concat, kp_clock_ms()) > 0)
        fprintf(stderr, "kpass phone: a long SMS was still missing parts\n");
    sms_concat_free(ph->concat);
    kp_buf_free(&ph->typed);
    return ph->exit_code;
}

static int phone_uint(const char *name, const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s < '0' || *s > '9' || *end != '\0' || v < min || v > max)
        return cli_fail("--%s: a number from %u to %u", name, min, max);
    *out = (unsigned)v;
    return 0;
}

int cmd_phone(struct kp_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'P'},
        {"system-id", required_argument, NULL, 's'},
        {"password-file", required_argument, NULL, 'f'},
        {"msisdn", required_argument, NULL, 'm'},
        {"dial", required_argument, NULL, 'd'},
        {"session", required_argument, NULL, 'S'},
        {"script", required_argument, NULL, 'x'},
        {"wait-sms", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"listen", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    struct phone ph;
    const char *pwfile = NULL, *msisdn = "+923001234567", *host = NULL, *dial = NULL;
    char *script = NULL;
    unsigned timeout = 0, port = 0;
    enum msisdn_fault fault;
    int ch, rc;

    memset(&ph, 0, sizeof(ph));
    strcpy(ph.conf.system_id, "phone");
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'H':
            host = optarg;
            break;
        case 'P':
            if (phone_uint("port", optarg, 1, 65535, &port))
                return 1;
            break;
        case 's':
            if (smpp_strlcpy(ph.conf.system_id, sizeof(ph.conf.system_id), optarg) < 0)
                return cli_fail("--system-id: at most 15 characters");
            break;
        case 'f':
            pwfile = optarg;
            break;
        case 'm':
            msisdn = optarg;
            break;
        case 'd':
            dial = optarg;
            break;
        case 'S':
            if (strcmp(optarg, "its") == 0)
                ph.sid = USSD_SID_ITS;
            else if (strcmp(optarg, "umr") == 0)
                ph.sid = USSD_SID_UMR;
            else if (strcmp(optarg, "msisdn") == 0)
                ph.sid = USSD_SID_MSISDN;
            else
                return cli_fail("--session: its, umr or msisdn");
            break;
        case 'x':
            script = optarg;
            break;
        case 'w':
            if (phone_uint("wait-sms", optarg, 0, 1000, &ph.wait_sms))
                return 1;
            break;
        case 't':
            if (phone_uint("timeout", optarg, 1, 86400, &timeout))
                return 1;
            break;
        case 'l':
            if (phone_uint("listen", optarg, 0, 86400, &ph.listen_s))
                return 1;
            ph.listen = 1;
            break;
        case 'j':
            ph.json = 1;
            break;
        default:
            return cli_usage(phone_usage_text);
        }
    }
    if (optind != argc || (ph.listen && (script || dial)))
        return cli_usage(phone_usage_text);
    if (msisdn_parse(msisdn, strlen(msisdn), ph.msisdn, &fault) < 0)
        return cli_fail("--msisdn: %s", msisdn_fault_text(fault));
    uint8_t ton, npi;
    msisdn_to_smpp(ph.msisdn, &ton, &npi, ph.addr);
    phone_defaults(cli, &ph);
    if (host)
        snprintf(ph.conf.host, sizeof(ph.conf.host), "%s", host);
    if (port)
        ph.conf.port = port;
    if (pwfile && cli_read_secret("", pwfile, ph.conf.password, sizeof(ph.conf.password)) < 0)
        return 1;
    ph.conf.id = 1;
    ph.conf.mode = SMPP_PARTNER_CLIENT;
    ph.conf.bind_type = SMPP_BIND_TRX;
    ph.conf.binds = 1;
    ph.conf.enabled = 1;
    /* The service code's first digits are the short code the gateway addresses. */
    const char *code = dial ? dial : script ? script : "*789#";
    size_t i = 0;
    for (const char *c = code + (code[0] == '*'); *c >= '0' && *c <= '9' && i < 20; c++)
        ph.service[i++] = *c;
    if (i == 0)
        strcpy(ph.service, "789");
    char *copy = NULL;
    if (script) {
        copy = kp_strdup(script);
        ph.nscript = phone_split(copy, &ph.script);
    } else if (dial) {
        copy = kp_strdup(dial);
        ph.nscript = phone_split(copy, &ph.script);
    } else if (ph.listen) {
        /* A probe that cannot bind gives up after 2 s. */
        timeout = ph.listen_s ? ph.listen_s : 2;
    } else {
        ph.interactive = 1;
    }
    /* A script always ends: by itself, or at the deadline. */
    if (ph.script && timeout == 0)
        timeout = 30;
    rc = phone_run(&ph, timeout);
    sodium_memzero(ph.conf.password, sizeof(ph.conf.password));
    free(ph.script);
    free(copy);
    return rc;
}
