/* SPDX-License-Identifier: ISC */
/*
 * bench_http's SMPP side: transceiver binds of the partner that carries
 * SMS, every deliver_sm acknowledged, concatenated parts (3GPP TS 23.040
 * §9.2.3.24.1) joined per citizen, the text decoded and the 6-digit code
 * handed to the connection that waits for that citizen's code.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench_http.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/text/text.h"

static void hb_smpp_send(struct hb_bind *s, const struct smpp_pdu *p)
{
    uint8_t buf[SMPP_PDU_MAX];
    int n = smpp_pdu_encode(p, buf, sizeof(buf));

    if (n > 0)
        bufferevent_write(s->bev, buf, (size_t)n);
}

/* The 6 digits after " is " in "Khyber Pass: your code for ... is 123456. ...". */
static int hb_code_of(const char *text, char code[7])
{
    const char *p = strstr(text, "your code for ");

    if (p == NULL)
        return -1;
    for (p = strstr(p, " is "); p; p = strstr(p + 1, " is "))
        if (strspn(p + 4, "0123456789") == 6) {
            memcpy(code, p + 4, 6);
            code[6] = '\0';
            return 0;
        }
    return -1;
}

/* One SMS part for a connection's citizen; the code once the parts are all in. */
static void hb_sms_part(struct hb *b, struct hb_conn *c, const struct smpp_pdu *p, uint64_t now)
{
    const uint8_t *d = p->sm.short_message;
    unsigned len = p->sm.sm_length, seq = 1, total = 1, ref = 0;
    struct kp_buf t = KP_BUF_INIT;

    if (p->tlv.present & SMPP_TLV_MESSAGE_PAYLOAD) {
        /* [sms] long_messages = payload: the whole text in one PDU (SMPP 3.4 §5.3.2.32). */
        d = p->tlv.message_payload;
        len = p->tlv.payload_len;
    } else if (p->sm.esm_class & 0x40) {
        /* UDH (3GPP TS 23.040 §9.2.3.24): concatenation IE 0x00 (8-bit ref) or 0x08. */
        unsigned udhl = len ? d[0] : 0;
        if (udhl + 1 > len || udhl < 5 || (d[1] != 0x00 && d[1] != 0x08) ||
            (d[1] == 0x08 && udhl < 6))
            goto bad;
        ref = d[3];
        total = d[1] == 0x08 ? d[5] : d[4];
        seq = d[1] == 0x08 ? d[6] : d[5];
        if (d[1] == 0x08)
            ref = (unsigned)d[3] << 8 | d[4];
        d += udhl + 1;
        len -= udhl + 1;
    }
    if (seq < 1 || seq > total || total > HB_SMS_PARTS || len > sizeof(c->sms[0]))
        goto bad;
    if (c->sms_got == 0 || c->sms_ref != ref) {
        c->sms_got = 0;
        c->sms_ref = ref;
        c->sms_total = total;
    }
    c->sms_coding = p->sm.data_coding;
    memcpy(c->sms[seq - 1], d, len);
    c->sms_len[seq - 1] = (uint16_t)len;
    c->sms_got |= 1u << (seq - 1);
    if (c->sms_got != (1u << c->sms_total) - 1)
        return;
    uint8_t all[HB_SMS_PARTS * SMPP_PAYLOAD_MAX];
    size_t n = 0;
    for (unsigned i = 0; i < c->sms_total; i++) {
        memcpy(all + n, c->sms[i], c->sms_len[i]);
        n += c->sms_len[i];
    }
    sodium_memzero(c->sms, sizeof(c->sms));
    c->sms_got = 0;
    if (text_decode(all, n, c->sms_coding, &t) < 0 || t.data == NULL ||
        hb_code_of(t.data, c->code) < 0) {
        b->proto_errors++; /* a message without a code while one was awaited */
    } else {
        hb_record(b, HB_SMS, 0, now - c->t_code);
        hb_confirm(c, now);
    }
    sodium_memzero(all, sizeof(all));
    if (t.data)
        sodium_memzero(t.data, t.len);
    kp_buf_free(&t);
    return;
bad:
    b->proto_errors++;
}

static void hb_deliver(struct hb *b, struct hb_bind *s, const struct smpp_pdu *p, uint64_t now)
{
    struct smpp_pdu r;
    char e164[MSISDN_SIZE];
    struct hb_cit *cit = NULL;

    smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, p->sequence_number);
    hb_smpp_send(s, &r);
    if (msisdn_from_smpp(p->sm.dest_addr_ton, p->sm.dest_addr_npi, p->sm.destination_addr, e164,
                         NULL) == 0)
        cit = hb_cit_find(b, e164);
    if (cit && cit->waiting)
        hb_sms_part(b, cit->waiting, p, now);
    else if (b->phase != HB_RUNNING)
        return;
    else if (cit == NULL)
        b->sms_unknown++;
    else
        b->sms_other++; /* "Verified at ...": for a citizen no one waits for any more */
}

static void hb_smpp_read_cb(struct bufferevent *bev, void *arg)
{
    struct hb_bind *s = arg;
    struct hb *b = s->b;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint64_t now = kp_clock_us();
    struct smpp_hdr h;
    struct smpp_pdu p, r;
    struct smpp_decode_error err;

    for (;;) {
        size_t avail = evbuffer_get_length(in);
        int n;
        if (avail < SMPP_HEADER_LEN)
            return;
        n = smpp_frame_check(evbuffer_pullup(in, SMPP_HEADER_LEN), avail, &h);
        if (n < 0) {
            hb_fail(b, "bad command_length on the SMPP bind");
            return;
        }
        if (avail < (size_t)n)
            return;
        int rc = smpp_pdu_decode(evbuffer_pullup(in, n), (size_t)n, &p, &err);
        evbuffer_drain(in, (size_t)n);
        if (rc < 0) {
            b->proto_errors++;
            continue;
        }
        switch (p.command_id) {
        case SMPP_BIND_TRANSCEIVER_RESP:
            if (p.command_status != 0) {
                hb_fail(b, "SMPP bind refused");
                return;
            }
            s->bound = 1;
            if (++b->bound == b->nbinds)
                for (unsigned i = 0; i < b->nconns; i++)
                    hb_conn_open(&b->conns[i]);
            break;
        case SMPP_DELIVER_SM:
            hb_deliver(b, s, &p, now);
            break;
        case SMPP_ENQUIRE_LINK:
        case SMPP_UNBIND:
            smpp_pdu_init(&r, smpp_resp_id(p.command_id), p.sequence_number);
            hb_smpp_send(s, &r);
            break;
        default:
            break;
        }
    }
}

static void hb_smpp_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct hb_bind *s = arg;
    struct hb *b = s->b;
    struct smpp_pdu p;
    char pw[16] = "";
    FILE *f;
    int one = 1;

    if (!(what & BEV_EVENT_CONNECTED)) {
        if (b->phase != HB_DRAINING)
            hb_fail(b, "the SMPP bind was lost");
        return;
    }
    setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if ((f = fopen(b->pw_file, "r")) == NULL || fgets(pw, sizeof(pw), f) == NULL) {
        if (f)
            fclose(f);
        hb_fail(b, "cannot read --password-file");
        return;
    }
    fclose(f);
    pw[strcspn(pw, "\r\n")] = '\0';
    smpp_pdu_init(&p, SMPP_BIND_TRANSCEIVER, ++s->seq);
    smpp_strlcpy(p.bind.system_id, sizeof(p.bind.system_id), b->system_id);
    smpp_strlcpy(p.bind.password, sizeof(p.bind.password), pw);
    p.bind.interface_version = 0x34;
    sodium_memzero(pw, sizeof(pw));
    hb_smpp_send(s, &p);
    sodium_memzero(&p, sizeof(p));
}

void hb_bind_open(struct hb *b, struct hb_bind *s)
{
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)b->smpp_port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->b = b;
    s->bev = bufferevent_socket_new(b->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(s->bev, hb_smpp_read_cb, NULL, hb_smpp_event_cb, s);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        hb_fail(b, "cannot connect to the SMPP port");
}

void hb_binds_unbind(struct hb *b)
{
    for (unsigned i = 0; i < b->bound; i++) {
        struct smpp_pdu p;
        smpp_pdu_init(&p, SMPP_UNBIND, ++b->binds[i].seq);
        hb_smpp_send(&b->binds[i], &p);
    }
}
