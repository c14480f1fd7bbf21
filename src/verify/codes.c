/* SPDX-License-Identifier: ISC */
/*
 * Identity-bound one-time codes: issuing (rate limits, lockout, a keyed
 * hash in the store, an SMS to the registered number, an audit row, all in
 * one transaction) and verifying (5 wrong tries kill a code, 10
 * consecutive failures lock the citizen out, consumed exactly once).
 * The decisions are otp.c's; this file applies them to the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/verify/codes.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/otp.h"
#include "kpass/store/sms.h"

#define CODES_SEAL_AT (OTP_KEY_BYTES + 32) /* the sealing key's place in keys */

struct codes {
    struct store *st;
    codes_kick_fn kick; /* wakes the SMS dispatcher, or NULL */
    void *kick_arg;
    uint8_t *keys; /* sodium_malloc: otp key, cnic key, SMS sealing key */
    struct otp_policy policy;
    struct codes_stats stats;
    const char *lang; /* the language of the SMS being issued (codes_issue_unseen_in), or NULL */
};

const struct codes_stats *codes_stats(const struct codes *c)
{
    return &c->stats;
}

void codes_note_request(struct codes *c)
{
    c->stats.requested++;
}

static const struct {
    const char *purpose;
    const char *label;
    const char *ur, *ps, *ul; /* the label in Urdu, Pashto, Roman Urdu */
} codes_labels[] = {
    {"identity", "identity check", "شناخت کی تصدیق", "د پېژندنې تصدیق", "shanakht ki tasdeeq"},
    {"sehat", "Sehat Card", "صحت کارڈ", "صحت کارډ", "Sehat Card"},
    {"land", "land record", "زمین کا ریکارڈ", "د ځمکې رېکارډ", "zameen ka record"},
    {"domicile", "domicile certificate", "ڈومیسائل", "ډومیسایل", "domicile"},
    {"vehicle", "vehicle registration", "گاڑی کی رجسٹریشن", "د موټر ثبت", "gaari ki registration"},
    {"licence", "driving licence", "ڈرائیونگ لائسنس", "د موټر چلولو جواز", "driving licence"},
    {"birth", "birth registration", "پیدائش کا اندراج", "د زېږون ثبت", "paidaish ka indraaj"},
    {"service", "service request", "سروس کی درخواست", "د خدمت غوښتنه", "service ki darkhwast"},
};

/*
 * The code message in the other languages.  The code and the warning come
 * first, so that they are in the first part however the text is cut: an
 * Urdu or Pashto SMS is UCS-2, 67 characters a part, and "code + never
 * share it" fits in that (check_codes tests it); purpose and validity
 * follow.  Roman Urdu stays GSM 7-bit and in one part.
 */
static const struct {
    const char *lang;
    const char *head;   /* before the code */
    const char *warn;   /* right after the code */
    const char *before; /* then the purpose's label and the office */
    const char *mid;    /* then the minutes */
    const char *after;
} codes_texts[] = {
    {"ur", "خیبر پاس کوڈ ", "۔ کسی کو نہ بتائیں، عملہ کبھی فون نہیں کرتا۔", " برائے ", "۔ ",
     " منٹ کے لیے۔"},
    {"ps", "د خیبر پاس کوډ ", ". چا ته یې مه وایئ، کارکوونکي یې هېڅ نه غواړي.", " د ", " لپاره. ",
     " دقیقې اعتبار لري."},
    {"ur-Latn", "Khyber Pass code ",
     ". Kisi ko na batayen, staff kabhi is ke liye phone nahin karta.", " Maqsad: ", ". ",
     " minute ke liye."},
};

const char *codes_purpose_label(const char *purpose)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(codes_labels); i++)
        if (strcmp(codes_labels[i].purpose, purpose) == 0)
            return codes_labels[i].label;
    return NULL;
}

const char *const *codes_purposes(void)
{
    static const char *list[KP_ARRAY_LEN(codes_labels) + 1];

    for (size_t i = 0; i < KP_ARRAY_LEN(codes_labels); i++)
        list[i] = codes_labels[i].purpose;
    return list;
}

struct codes *codes_new(struct store *st, codes_kick_fn kick, void *kick_arg,
                        const uint8_t otp_key[OTP_KEY_BYTES], const uint8_t cnic_key[32],
                        const struct otp_policy *policy)
{
    struct codes *c = kp_calloc(1, sizeof(*c));

    c->st = st;
    c->kick = kick;
    c->kick_arg = kick_arg;
    c->keys = sodium_malloc(CODES_SEAL_AT + OTP_SEAL_KEY_BYTES);
    if (c->keys == NULL)
        fatalx("codes: cannot allocate guarded memory");
    memcpy(c->keys, otp_key, OTP_KEY_BYTES);
    memcpy(c->keys + OTP_KEY_BYTES, cnic_key, 32);
    if (otp_seal_key_derive(otp_key, c->keys + CODES_SEAL_AT) < 0)
        fatalx("codes: cannot derive the SMS sealing key");
    sodium_mprotect_readonly(c->keys);
    c->policy = *policy;
    return c;
}

const uint8_t *codes_seal_key(const struct codes *c)
{
    return c->keys + CODES_SEAL_AT;
}

void codes_free(struct codes *c)
{
    if (c == NULL)
        return;
    sodium_free(c->keys);
    free(c);
}

/* The binding a code's hash covers: citizen row id, purpose, office, desk. */
static void codes_binding(const struct codes_request *req, char cid[24], struct otp_binding *b)
{
    snprintf(cid, 24, "%lld", (long long)req->citizen_id);
    b->citizen = cid;
    b->purpose = req->purpose;
    b->office = req->office ? req->office : "";
    b->desk = req->desk ? req->desk : "";
}

static void codes_detail(const struct codes_request *req, const char *masked, char *out,
                         size_t size)
{
    snprintf(out, size, "purpose=%s%s%s%s%s%s%s", req->purpose, req->office ? " office=" : "",
             req->office ? req->office : "", req->desk ? " desk=" : "", req->desk ? req->desk : "",
             masked ? " to=" : "", masked ? masked : "");
}

/* Choose the number: req->msisdn if it is one of the citizen's, else the first. */
static int codes_destination(struct codes *c, const struct codes_request *req, char out[17])
{
    char nums[8][MSISDN_SIZE];
    int n = store_citizen_msisdns(c->st, req->citizen_id, nums, 8);

    if (n < 0)
        return n;
    if (n == 0)
        return -KP_ERR_NOTFOUND;
    if (req->msisdn == NULL) {
        memcpy(out, nums[0], 17);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (strcmp(nums[i], req->msisdn) == 0) {
            memcpy(out, nums[i], 17);
            return 0;
        }
    }
    return -KP_ERR_DENIED; /* codes never go to a number that is not registered */
}

/*
 * The code message's text without its code, which goes in at *code_at:
 * the store keeps this text and the code sealed apart (store_sms.h).
 */
static void codes_text(const struct codes *c, const struct codes_request *req, char *text,
                       size_t size, int *code_at)
{
    /* Whole minutes, rounded down: never more time than the code has. */
    unsigned minutes = c->policy.validity_s / 60;
    int n;

    for (size_t i = 0; c->lang && i < KP_ARRAY_LEN(codes_texts); i++) {
        if (strcmp(c->lang, codes_texts[i].lang) != 0)
            continue;
        const char *label = codes_purpose_label(req->purpose);
        for (size_t k = 0; k < KP_ARRAY_LEN(codes_labels); k++)
            if (strcmp(codes_labels[k].purpose, req->purpose) == 0)
                label = i == 0   ? codes_labels[k].ur
                        : i == 1 ? codes_labels[k].ps
                                 : codes_labels[k].ul;
        n = snprintf(text, size, "%s", codes_texts[i].head);
        *code_at = n;
        n += snprintf(text + n, size - (size_t)n, "%s%s%s%s%s", codes_texts[i].warn,
                      codes_texts[i].before, label, req->office_name ? ", " : "",
                      req->office_name ? req->office_name : "");
        snprintf(text + n, size - (size_t)n, "%s%u%s", codes_texts[i].mid, minutes,
                 codes_texts[i].after);
        return;
    }
    n = snprintf(text, size, "Khyber Pass: your code for %s%s%s is ",
                 codes_purpose_label(req->purpose), req->office_name ? " at " : "",
                 req->office_name ? req->office_name : "");

    if (n < 0 || (size_t)n >= size)
        n = (int)strlen(text);
    *code_at = n;
    snprintf(text + n, size - (size_t)n,
             ". Valid %u minute%s. Staff will never phone you for it; do not share it.", minutes,
             minutes == 1 ? "" : "s");
}

static int codes_issue_tx(struct codes *c, const struct codes_request *req, int64_t now,
                          const struct store_citizen *cz, const char *dest,
                          struct codes_result *res)
{
    struct otp_recent crecent, mrecent;
    int64_t since = now - (int64_t)c->policy.issue_window_s;
    char ckey[32], mkey[32], cid[24], text[320], code[OTP_CODE_SIZE], detail[160];
    uint8_t box[OTP_SEALED_BYTES];
    int code_at;
    struct otp_binding b;
    struct otp_lock lock;
    struct otp_verdict v;
    struct store_otp row;
    int rc;

    snprintf(ckey, sizeof(ckey), "c:%lld", (long long)cz->id);
    snprintf(mkey, sizeof(mkey), "m:%s", dest);
    store_otp_lock_get(c->st, cz->id, &lock);
    if (store_otp_window(c->st, ckey, since, c->policy.issue_window_max, &crecent) < 0 ||
        store_otp_window(c->st, mkey, since, c->policy.issue_window_max, &mrecent) < 0)
        return -KP_ERR_DB;
    rc = otp_issue_check(&c->policy, &lock, &crecent, &mrecent, now, &v);
    if (rc < 0) {
        res->until = v.until;
        codes_detail(req, NULL, detail, sizeof(detail));
        audit_append(c->st, now, rc == -KP_ERR_LOCKED ? "code.locked" : "code.limited", req->actor,
                     cz->cnic_index, detail);
        return rc;
    }
    /* The code: generated, hashed with its binding, sealed for the SMS, wiped. */
    otp_code_generate(code);
    codes_binding(req, cid, &b);
    memset(&row, 0, sizeof(row));
    otp_code_hash(c->keys, code, &b, row.hash);
    otp_code_seal(c->keys + CODES_SEAL_AT, code, dest, box);
    sodium_memzero(code, sizeof(code));
    codes_text(c, req, text, sizeof(text), &code_at);
    char subject[65];
    sodium_bin2hex(subject, sizeof(subject), cz->cnic_index, sizeof(cz->cnic_index));
    rc = store_sms_queue_code(c->st, dest, text, code_at, box, subject, now + c->policy.validity_s,
                              now, &res->sms_id);
    if (rc < 0)
        return rc;
    row.citizen_id = cz->id;
    snprintf(row.purpose, sizeof(row.purpose), "%s", req->purpose);
    snprintf(row.office, sizeof(row.office), "%s", req->office ? req->office : "");
    snprintf(row.desk, sizeof(row.desk), "%s", req->desk ? req->desk : "");
    memcpy(row.msisdn, dest, sizeof(row.msisdn));
    row.issued_at = now;
    row.expires_at = now + c->policy.validity_s;
    row.sms_id = res->sms_id;
    if ((rc = store_otp_insert(c->st, &row)) < 0 || (rc = store_otp_log(c->st, ckey, now)) < 0 ||
        (rc = store_otp_log(c->st, mkey, now)) < 0)
        return rc;
    res->code_id = row.id;
    res->expires_at = row.expires_at;
    codes_detail(req, res->msisdn_masked, detail, sizeof(detail));
    if (audit_append(c->st, now, "code.issued", req->actor, cz->cnic_index, detail) < 0)
        return -KP_ERR_DB;
    return 0;
}

/*
 * A request refused before any limit was looked at (the citizen is not
 * active, the number is not theirs, they have none): one audit row, since
 * someone tried to use this identity.  Returns rc, or -KP_ERR_DB.
 */
static int codes_refused(struct codes *c, const struct codes_request *req, int64_t now,
                         const struct store_citizen *cz, int rc)
{
    char detail[160], masked[MSISDN_SIZE] = "";
    const char *why = cz->status == STORE_CITIZEN_BLOCKED    ? "blocked"
                      : cz->status == STORE_CITIZEN_DECEASED ? "deceased"
                      : rc == -KP_ERR_NOTFOUND               ? "no_number"
                                                             : "not_registered";

    if (req->msisdn && msisdn_mask(req->msisdn, masked) < 0)
        snprintf(masked, sizeof(masked), "invalid");
    codes_detail(req, masked[0] ? masked : NULL, detail, sizeof(detail));
    snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), " reason=%s", why);
    if (audit_append(c->st, now, "code.refused", req->actor, cz->cnic_index, detail) < 0)
        return -KP_ERR_DB;
    return rc;
}

static int codes_issue_counted(struct codes *c, const struct codes_request *req, int64_t now,
                               struct codes_result *res, int counted)
{
    struct store_citizen cz;
    enum store_scope scope;
    char dest[17];
    int rc, crc, found, audited = 0;

    memset(res, 0, sizeof(*res));
    if (codes_purpose_label(req->purpose) == NULL)
        return -KP_ERR_INVAL;
    if ((rc = store_scope_begin(c->st, &scope)) < 0)
        return rc;
    rc = store_citizen_get_by_id(c->st, req->citizen_id, &cz);
    found = rc == 0;
    if (found && cz.status != STORE_CITIZEN_ACTIVE)
        rc = -KP_ERR_DENIED;
    else if (found)
        rc = codes_destination(c, req, dest);
    if (found && (rc == -KP_ERR_DENIED || rc == -KP_ERR_NOTFOUND)) {
        rc = codes_refused(c, req, now, &cz, rc);
        audited = rc != -KP_ERR_DB;
    } else if (rc == 0) {
        msisdn_mask(dest, res->msisdn_masked);
        rc = codes_issue_tx(c, req, now, &cz, dest, res);
        audited = rc == -KP_ERR_LIMIT || rc == -KP_ERR_LOCKED;
    }
    /* A refusal is audited: keep that row too. */
    if ((crc = store_scope_end(c->st, scope, rc == 0 || audited)) < 0)
        return crc;
    if (rc == 0 && c->kick)
        c->kick(c->kick_arg);
    if (rc == 0 && counted)
        c->stats.issued++;
    else if (rc != -KP_ERR_DB && counted)
        c->stats.refused++;
    return rc;
}

int codes_issue(struct codes *c, const struct codes_request *req, int64_t now,
                struct codes_result *res)
{
    return codes_issue_counted(c, req, now, res, 1);
}

int codes_issue_unseen(struct codes *c, const struct codes_request *req, int64_t now,
                       struct codes_result *res)
{
    return codes_issue_counted(c, req, now, res, 0);
}

int codes_issue_unseen_in(struct codes *c, const struct codes_request *req, const char *lang,
                          int64_t now, struct codes_result *res)
{
    int rc;

    c->lang = lang; /* read by codes_text, within this call only */
    rc = codes_issue_counted(c, req, now, res, 0);
    c->lang = NULL;
    return rc;
}

/*
 * The newest code of the binding as otp.c sees it, and whether typed
 * matches it.  1 (a code), 0 (none, or superseded), -KP_ERR_DB.
 */
static int codes_code_state(struct codes *c, const struct codes_request *req, const char *typed,
                            int64_t citizen_id, struct store_otp *row, struct otp_code_state *cs,
                            int *matched)
{
    char code[OTP_CODE_SIZE], cid[24];
    struct otp_binding b;
    int rc = store_otp_latest(c->st, citizen_id, req->purpose, req->office, req->desk, row);

    *matched = 0;
    if (rc == -KP_ERR_NOTFOUND || (rc == 0 && row->use == STORE_OTP_SUPERSEDED))
        return 0;
    if (rc < 0)
        return -KP_ERR_DB;
    codes_binding(req, cid, &b);
    if (otp_code_parse(typed, strlen(typed), code) == 0)
        *matched = otp_code_verify(c->keys, code, &b, row->hash) == 0;
    sodium_memzero(code, sizeof(code));
    cs->issued_at = row->issued_at;
    cs->wrong_tries = row->use == STORE_OTP_DEAD ? c->policy.max_tries : row->tries;
    cs->used = row->use == STORE_OTP_USED;
    return 1;
}

/*
 * A wrong try (decided on the rows as read): counted on the code, then on
 * the citizen, each in one statement on the row as it is now, so that
 * tries on several nodes at once all count.  Every wrong try counts on the
 * code, the one that locks the citizen out too, or the code would get one
 * more try after the lockout.  The decision, or -KP_ERR_DB.
 */
static int codes_verify_wrong(struct codes *c, int64_t citizen_id, int64_t code_id, int64_t now,
                              struct otp_verdict *v)
{
    const struct otp_policy *p = &c->policy;
    struct otp_lock lock;
    unsigned tries = 0;
    int rc;

    memset(v, 0, sizeof(*v));
    /* Killed, consumed or superseded by another node meanwhile: nothing counts. */
    if ((rc = store_otp_wrong(c->st, code_id, p->max_tries, &tries)) < 0)
        return rc == -KP_ERR_USED || rc == -KP_ERR_LIMIT || rc == -KP_ERR_NOTFOUND ? rc
                                                                                   : -KP_ERR_DB;
    v->tries_left = tries >= p->max_tries ? 0 : p->max_tries - tries;
    if (store_otp_lock_fail(c->st, citizen_id, &lock) < 0)
        return -KP_ERR_DB;
    if (now < lock.locked_until) { /* locked out by another node meanwhile */
        v->until = lock.locked_until;
        return -KP_ERR_LOCKED;
    }
    if (lock.failures < p->lockout_after)
        return -KP_ERR_WRONG;
    /* This transaction holds the record's row since store_otp_lock_fail. */
    v->until = now + (int64_t)otp_lockout_length(p, lock.lockouts);
    v->lockout_started = 1;
    if (store_otp_lock_start(c->st, citizen_id, v->until) < 0)
        return -KP_ERR_DB;
    return -KP_ERR_LOCKED;
}

/*
 * Decide on the rows as read, then count in the database: the decision
 * (otp_verify_decide) reads; the counters are never written back from
 * what was read, since another node may have counted meanwhile.
 * The decision, or -KP_ERR_DB.
 */
static int codes_verify_apply(struct codes *c, const struct codes_request *req, const char *typed,
                              int64_t now, int64_t citizen_id, struct otp_verdict *v)
{
    struct otp_lock lock;
    struct otp_code_state cs;
    struct store_otp row;
    int matched, rc, have;

    if (store_otp_lock_get(c->st, citizen_id, &lock) < 0)
        return -KP_ERR_DB;
    if ((have = codes_code_state(c, req, typed, citizen_id, &row, &cs, &matched)) < 0)
        return have;
    rc = otp_verify_decide(&c->policy, have ? &cs : NULL, &lock, matched, now, v);
    if (have && (rc == -KP_ERR_WRONG || (rc == -KP_ERR_LOCKED && v->lockout_started)))
        return codes_verify_wrong(c, citizen_id, row.id, now, v);
    if (rc != 0)
        return rc;
    /* Right: consumed once, unless killed or used on another node meanwhile. */
    if ((rc = store_otp_consume(c->st, row.id)) == -KP_ERR_USED)
        return store_otp_gone(c->st, row.id);
    if (rc < 0 || store_otp_lock_clear(c->st, citizen_id, now) < 0)
        return -KP_ERR_DB;
    return 0;
}

static int codes_verify_tx(struct codes *c, const struct codes_request *req, const char *typed,
                           int64_t now, const struct store_citizen *cz, struct codes_result *res)
{
    char detail[160];
    struct otp_verdict v;
    int rc;

    memset(&v, 0, sizeof(v));
    /* A citizen blocked or reported dead since the code went out: refused,
       and nothing counted. */
    if (cz->status != STORE_CITIZEN_ACTIVE)
        rc = -KP_ERR_DENIED;
    else if ((rc = codes_verify_apply(c, req, typed, now, cz->id, &v)) == -KP_ERR_DB)
        return rc;
    res->until = v.until;
    res->tries_left = v.tries_left;
    codes_detail(req, NULL, detail, sizeof(detail));
    snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), " result=%s",
             rc == 0 ? "ok" : kp_strerror(rc));
    if (audit_append(c->st, now,
                     rc == 0                                     ? "code.verified"
                     : rc == -KP_ERR_LOCKED && v.lockout_started ? "code.locked"
                                                                 : "code.failed",
                     req->actor, cz->cnic_index, detail) < 0)
        return -KP_ERR_DB;
    return rc;
}

int codes_verify(struct codes *c, const struct codes_request *req, const char *typed, int64_t now,
                 struct codes_result *res)
{
    struct store_citizen cz;
    enum store_scope scope;
    int rc, crc;

    memset(res, 0, sizeof(*res));
    if ((rc = store_scope_begin(c->st, &scope)) < 0)
        return rc;
    rc = store_citizen_get_by_id(c->st, req->citizen_id, &cz);
    if (rc < 0) {
        store_scope_end(c->st, scope, 0);
        return rc;
    }
    rc = codes_verify_tx(c, req, typed, now, &cz, res);
    if (rc == -KP_ERR_DB) {
        store_scope_end(c->st, scope, 0);
        return rc;
    }
    /* Every outcome is kept: counters, the consumption, the audit row. */
    if ((crc = store_scope_end(c->st, scope, 1)) < 0)
        return crc;
    if (rc == 0)
        c->stats.verified++;
    else if (rc == -KP_ERR_LOCKED && res->until)
        c->stats.locked++;
    else
        c->stats.failed++;
    return rc;
}

int codes_locked_until(struct codes *c, int64_t citizen_id, int64_t now, int64_t *until)
{
    struct otp_lock lock;

    *until = 0;
    if (store_otp_lock_get(c->st, citizen_id, &lock) < 0)
        return -KP_ERR_DB;
    if (now < lock.locked_until)
        *until = lock.locked_until;
    return 0;
}
