/* SPDX-License-Identifier: ISC */
/*
 * "Was this you?" (issue 13): after a desk verification, kpass opens a
 * network-initiated USSD dialog on the citizen's phone over the push
 * partner's link: ussd_service_op 2, USSR request (SMPP 3.4 §5.3.2.44;
 * 3GPP TS 24.090 network-initiated USSR), asking "1 It was me / 2 It was
 * not me".  The reply comes back as an MO with op 18 in the session kpass
 * chose (its_session_info or user_message_reference, per the partner's
 * profile), and is answered with op 17 to end the dialog.  "It was not
 * me" flags the verification (a dispute row and an audit row), counts it
 * for the alert, logs it, and tells the citizen what to do.  A profile
 * that names sessions by number only (msisdn, data-sm) cannot carry an
 * answer: nothing is pushed there.  The SMS notice the desk flow sends
 * is always sent as well: it is what the citizen keeps when the push is
 * not answered, or cannot be made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/audit.h"
#include "kpass/store/dept.h"
#include "kpass/ussd/dialog.h"

#define PUSH_MAX 256 /* questions waiting for an answer at once */

struct push_slot {
    int used;
    int64_t partner_id;
    char key[64]; /* the session key the answer will carry (profile.c) */
    char verification[33];
    uint8_t subject[32];
    char helpline[32];
    enum menu_lang lang;
    int64_t expires_at;
    int64_t started_at;
};

struct ussd_pushes {
    struct store *st;
    struct smpp_hub *hub;
    char partner[16];        /* system_id of the partner that carries pushes; "" for none */
    char service[22];        /* the address the push comes from: the service code's digits */
    unsigned timeout_s;      /* how long an answer is waited for */
    char code_purposes[128]; /* "identity,land": desk codes for these are asked about too */
    struct push_slot slots[PUSH_MAX];
    unsigned nused; /* slots in use: none, and a hop need not look (issue 14) */
    struct ussd_push_stats stats;
};

struct ussd_pushes *ussd_pushes_new(struct store *st, struct smpp_hub *hub, const char *partner,
                                    const char *service_code, unsigned timeout_s,
                                    const char *code_purposes)
{
    struct ussd_pushes *p = kp_calloc(1, sizeof(*p));
    size_t n = 0;

    p->st = st;
    p->hub = hub;
    snprintf(p->partner, sizeof(p->partner), "%s", partner ? partner : "");
    for (const char *c = service_code; c && *c && n + 1 < sizeof(p->service); c++)
        if (*c >= '0' && *c <= '9')
            p->service[n++] = *c;
    p->timeout_s = timeout_s ? timeout_s : 60;
    snprintf(p->code_purposes, sizeof(p->code_purposes), "%s", code_purposes ? code_purposes : "");
    return p;
}

int ussd_pushes_wants_code(const struct ussd_pushes *p, const char *purpose)
{
    size_t n = strlen(purpose);

    if (p == NULL || p->partner[0] == '\0' || n == 0)
        return 0;
    for (const char *c = p->code_purposes; *c;) {
        size_t len = strcspn(c, ", ");
        if (len == n && strncmp(c, purpose, n) == 0)
            return 1;
        c += len;
        c += strspn(c, ", ");
    }
    return 0;
}

void ussd_pushes_free(struct ussd_pushes *p)
{
    if (p)
        sodium_memzero(p, sizeof(*p)), free(p);
}

const struct ussd_push_stats *ussd_pushes_stats(const struct ussd_pushes *p)
{
    return &p->stats;
}

/* The question, in the citizen's language (one UCS-2 page for Urdu: the office's code). */
static void push_question(const struct ussd_push_req *rq, char *out, size_t cap)
{
    if (rq->purpose && rq->lang == MENU_LANG_UR)
        snprintf(out, cap, "%s میں %s بجے آپ کے لیے کوڈ بھیجا گیا\n1 یہ میں تھا\n2 یہ میں نہیں تھا",
                 rq->office, rq->time);
    else if (rq->purpose)
        snprintf(out, cap,
                 "A code for %s was sent to you from %s at %s.\n1 It was me\n2 It was not me",
                 rq->purpose, rq->office_name, rq->time);
    else if (rq->lang == MENU_LANG_UR)
        snprintf(out, cap, "%s میں %s بجے آپ کی شناخت جانچی گئی\n1 یہ میں تھا\n2 یہ میں نہیں تھا",
                 rq->office, rq->time);
    else
        snprintf(out, cap, "Your identity was checked at %s at %s.\n1 It was me\n2 It was not me",
                 rq->office_name, rq->time);
}

static void push_sent_cb(struct smpp_link *l, const struct smpp_pdu *resp, int err, void *arg)
{
    struct ussd_pushes *p = arg;

    if (err < 0 || resp->command_status != 0 || resp->command_id == SMPP_GENERIC_NACK) {
        p->stats.failed++;
        log_info("ussd: link %u refused a push: %s", smpp_link_id(l),
                 err < 0 ? kp_strerror(err) : smpp_status_name(resp->command_status));
    }
}

/* A session of ours, as if the citizen had dialled into it (profile.c's keys). */
static int push_session(const struct ussd_profile *prof, const char *msisdn, const char *service,
                        struct ussd_mo *mo)
{
    uint8_t ton, npi;
    uint16_t r;

    memset(mo, 0, sizeof(*mo));
    if (msisdn_to_smpp(msisdn, &ton, &npi, mo->src_addr) < 0)
        return -KP_ERR_INVAL;
    mo->src_ton = ton;
    mo->src_npi = npi;
    mo->dst_ton = 0;
    mo->dst_npi = 1;
    snprintf(mo->dst_addr, sizeof(mo->dst_addr), "%s", service);
    snprintf(mo->msisdn, sizeof(mo->msisdn), "%s", msisdn);
    randombytes_buf(&r, sizeof(r));
    switch (prof->sid) {
    case USSD_SID_ITS:
        mo->has_its = 1;
        mo->its = (uint16_t)((1 + r % 255) << 8); /* our session number, sequence 0 */
        snprintf(mo->key, sizeof(mo->key), "its:%u:%s", mo->its >> 8, msisdn);
        return 0;
    case USSD_SID_UMR:
        mo->has_umr = 1;
        mo->umr = (uint16_t)(1 + r % 65535);
        snprintf(mo->key, sizeof(mo->key), "umr:%u:%s", mo->umr, msisdn);
        return 0;
    default:
        return -KP_ERR_UNSUPPORTED; /* an answer could not be told from a new dial */
    }
}

int ussd_pushes_send(struct ussd_pushes *p, const struct ussd_push_req *rq, int64_t now)
{
    struct smpp_partner *parts[64], *sp = NULL;
    const struct smpp_partner_conf *pc = NULL;
    const struct ussd_profile *prof;
    struct ussd_mo mo;
    struct smpp_pdu mt;
    struct push_slot *slot = NULL;
    char text[400];
    size_t n;
    int rc;

    if (p == NULL || p->partner[0] == '\0' || p->hub == NULL)
        return -KP_ERR_UNSUPPORTED;
    n = smpp_hub_partners(p->hub, parts, KP_ARRAY_LEN(parts));
    for (size_t i = 0; i < n && sp == NULL; i++)
        if (strcmp(smpp_partner_conf(parts[i])->system_id, p->partner) == 0)
            sp = parts[i];
    if (sp == NULL || smpp_partner_links_usable(sp) == 0) {
        p->stats.failed++;
        return -KP_ERR_CLOSED;
    }
    pc = smpp_partner_conf(sp);
    prof = ussd_profile_find(pc->profile);
    if (prof == NULL || push_session(prof, rq->msisdn, p->service, &mo) < 0) {
        p->stats.unsupported++;
        return -KP_ERR_UNSUPPORTED;
    }
    for (size_t i = 0; i < PUSH_MAX && slot == NULL; i++)
        if (!p->slots[i].used || p->slots[i].expires_at < now)
            slot = &p->slots[i];
    if (slot == NULL)
        return -KP_ERR_LIMIT;
    push_question(rq, text, sizeof(text));
    rc = ussd_mt_build(&mo,
                       prof->reply == USSD_REPLY_DATA_SM ? SMPP_DATA_SM
                       : pc->mode == SMPP_PARTNER_SERVER ? SMPP_DELIVER_SM
                                                         : SMPP_SUBMIT_SM,
                       text, strlen(text), text_choose(text, strlen(text)), 0, &mt);
    if (rc == 0)
        rc = smpp_partner_send(sp, &mt, push_sent_cb, p);
    if (rc < 0) {
        p->stats.failed++;
        return rc;
    }
    if (!slot->used)
        p->nused++;
    memset(slot, 0, sizeof(*slot));
    slot->used = 1;
    slot->partner_id = pc->id;
    memcpy(slot->key, mo.key, sizeof(slot->key));
    snprintf(slot->verification, sizeof(slot->verification), "%s", rq->verification);
    memcpy(slot->subject, rq->subject, sizeof(slot->subject));
    snprintf(slot->helpline, sizeof(slot->helpline), "%s", rq->helpline);
    slot->lang = rq->lang;
    slot->started_at = now;
    slot->expires_at = now + p->timeout_s;
    p->stats.sent++;
    return 0;
}

/* "It was not me": the dispute, written with its audit row in the pass's transaction. */
static int push_disputed(struct ussd_pushes *p, const struct push_slot *s, int64_t now)
{
    char detail[64];

    snprintf(detail, sizeof(detail), "verification %.8s: it was not me (USSD)", s->verification);
    if (store_batch(p->st) < 0 || store_dispute_add(p->st, s->verification, "ussd", now) < 0 ||
        audit_append(p->st, now, "verification.disputed", "ussd:push", s->subject, detail) < 0)
        return -KP_ERR_DB;
    p->stats.not_me++;
    log_warnx("ussd: verification %.8s disputed by the citizen: \"it was not me\"",
              s->verification);
    return 0;
}

/* The last screen of the push dialog, on the link the answer came on. */
static void push_answer(struct ussd_pushes *p, struct smpp_link *l, const struct ussd_profile *prof,
                        const struct ussd_mo *mo, const char *text)
{
    struct smpp_pdu mt;
    uint32_t cmd = prof->reply == USSD_REPLY_DATA_SM     ? SMPP_DATA_SM
                   : smpp_link_role(l) == SMPP_ROLE_SMSC ? SMPP_DELIVER_SM
                                                         : SMPP_SUBMIT_SM;

    if (ussd_mt_build(mo, cmd, text, strlen(text), text_choose(text, strlen(text)), 1, &mt) < 0 ||
        smpp_link_send(l, &mt, push_sent_cb, p) < 0)
        p->stats.failed++;
}

int ussd_pushes_reply(struct ussd_pushes *p, int64_t partner_id, struct smpp_link *l,
                      const struct ussd_profile *prof, const struct ussd_mo *mo, int64_t now)
{
    struct push_slot *s = NULL;
    char text[200];

    if (p == NULL || p->nused == 0)
        return 0;
    for (size_t i = 0; i < PUSH_MAX && s == NULL; i++)
        if (p->slots[i].used && p->slots[i].partner_id == partner_id &&
            strcmp(p->slots[i].key, mo->key) == 0)
            s = &p->slots[i];
    if (s == NULL || (mo->kind != USSD_CONTINUE && mo->kind != USSD_ABORT))
        return 0;
    s->used = 0;
    p->nused--;
    if (mo->kind == USSD_ABORT || now > s->expires_at) {
        p->stats.unanswered++;
        return 1; /* released, or too late: the SMS notice stands */
    }
    if (strcmp(mo->text, "2") == 0) {
        if (push_disputed(p, s, now) < 0)
            log_warnx("ussd: verification %.8s: the dispute could not be stored", s->verification);
        snprintf(text, sizeof(text),
                 s->lang == MENU_LANG_UR
                     ? "درج کر لیا گیا۔ فوراً %s پر کال کریں۔ عملہ کبھی کوڈ نہیں مانگتا۔"
                     : "Noted: it was not you. Call %s now. Staff never ask for your code.",
                 s->helpline);
    } else {
        p->stats.me++;
        snprintf(text, sizeof(text), "%s", s->lang == MENU_LANG_UR ? "شکریہ۔" : "Thank you.");
    }
    push_answer(p, l, prof, mo, text);
    return 1;
}

void ussd_pushes_tick(struct ussd_pushes *p, int64_t now)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < PUSH_MAX; i++)
        if (p->slots[i].used && now > p->slots[i].expires_at) {
            p->slots[i].used = 0;
            p->nused--;
            p->stats.unanswered++;
            log_info("ussd: no answer to the push for verification %.8s; the SMS notice stands",
                     p->slots[i].verification);
        }
}
