/* SPDX-License-Identifier: ISC */
/*
 * Identity built-ins: a one-time code for the caller, the caller's own
 * registration, and a service's details by SMS.  None of them lets a caller
 * learn whether a CNIC or another number is registered (DESIGN.md §6): a
 * code request gets the same outcome whatever happened, and the only
 * registration shown is the caller's own number's.  Requests are limited
 * per calling number whether or not it is registered, so that the limit
 * itself tells nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "builtins_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/id/cnic.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/sms/outbox.h"
#include "kpass/store/citizen.h"
#include "kpass/store/directory.h"
#include "kpass/store/otp.h"
#include "kpass/store/sms.h"
#include "kpass/store/audit.h"
#include "kpass/ussd/app.h"

/* codes_kick_fn for the outbox: send the code just queued now. */
static void bi_outbox_kick(void *arg)
{
    sms_outbox_kick(arg);
}

int kp_builtins_new(struct store *st, struct sms_outbox *outbox,
                    const uint8_t otp_key[OTP_KEY_BYTES], const uint8_t cnic_key[32],
                    const struct otp_policy *policy, struct kp_builtins **out)
{
    struct kp_builtins *b = kp_calloc(1, sizeof(*b));

    b->st = st;
    b->outbox = outbox;
    b->policy = *policy;
    b->codes = codes_new(st, outbox ? bi_outbox_kick : NULL, outbox, otp_key, cnic_key, policy);
    /* The dispatcher opens what codes seals, in memory only. */
    if (outbox)
        sms_outbox_set_code_key(outbox, codes_seal_key(b->codes));
    *out = b;
    return 0;
}

struct codes *kp_builtins_codes(struct kp_builtins *b)
{
    return b->codes;
}

void kp_builtins_free(struct kp_builtins *b)
{
    if (b == NULL)
        return;
    codes_free(b->codes);
    free(b->depts);
    free(b);
}

/* The menu's `accept cnic`: cnic_parse, the rule of the desk and the CLI. */
static int val_cnic(const char *s, size_t len, struct kp_buf *out)
{
    char cnic[CNIC_SIZE];
    int rc = cnic_parse(s, len, cnic, NULL);

    if (rc == 0)
        kp_buf_puts(out, cnic);
    return rc;
}

/* The menu's `accept msisdn`: msisdn_parse (so "+92 300 1234567" and
   "0092 300-1234567" too), narrowed to Pakistani mobiles as kpass-menu(5)
   promises; a foreign number is refused. */
static int val_msisdn(const char *s, size_t len, struct kp_buf *out)
{
    char e164[MSISDN_SIZE];
    int rc = msisdn_parse(s, len, e164, NULL);

    if (rc < 0)
        return rc;
    if (!msisdn_is_pakistani(e164))
        return -KP_ERR_PARSE;
    kp_buf_puts(out, e164);
    return 0;
}

const struct menu_validators kp_validators = {val_cnic, val_msisdn};

/*
 * Count a request of this kind from the caller, whatever its outcome, and
 * say whether it is within the policy's limits (1 a minute, 5 an hour).
 */
int bi_caller_allowed(struct kp_builtins *b, const char *kind, const char *msisdn, int64_t now)
{
    struct otp_recent recent;
    int64_t until;
    char key[48];

    snprintf(key, sizeof(key), "%s:%s", kind, msisdn);
    if (store_otp_window(b->st, key, now - (int64_t)b->policy.issue_window_s,
                         b->policy.issue_window_max, &recent) < 0)
        return -KP_ERR_DB;
    if (otp_rate_check(&b->policy, &recent, now, &until) < 0)
        return 0;
    store_batch(b->st);
    return store_otp_log(b->st, key, now) < 0 ? -KP_ERR_DB : 1;
}

/*
 * otp.issue(purpose, last4[, try]): a code by SMS to the caller's own
 * number when that number is registered to an active citizen whose CNIC
 * ends in last4.  The hop does the same work either way (one lookup, one
 * comparison in constant time, one request row) and the same answer; the
 * code is issued after the answer left (kp_builtins_flush), so its work
 * cannot be timed.
 *
 * try is the menu's count of entries in this dialog ("" or "1" the first).
 * The first entry counts against the caller's request limit; a second
 * and third (BI_OTP_TRIES), which the menu offers whatever happened, so
 * that a mistyped number can be corrected in the same dialog, do not.
 * Anything past that counts like a first entry.
 */
#define BI_OTP_TRIES 3

int bi_otp_issue(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_citizen cz;
    int64_t now = bi_now(b), id = 0;
    const char *want = "\xff\xff\xff\xff", *typed = "\xfe\xfe\xfe\xfe";
    const char *tried = c->argc > 2 ? c->argv[2] : "";
    int retry = tried[0] >= '2' && tried[0] <= '0' + BI_OTP_TRIES && tried[1] == '\0';
    int found, match, ok = retry ? 1 : bi_caller_allowed(b, "u", c->msisdn, now);

    codes_note_request(b->codes);
    if (ok < 0)
        return ok;
    if (!ok) {
        menu_result_outcome(res, "try_later");
        return 0;
    }
    menu_result_outcome(res, "sent");
    found = store_citizen_get_by_msisdn(b->st, c->msisdn, &cz) == 0;
    if (found)
        want = cz.last4;
    if (strlen(c->argv[1]) == 4)
        typed = c->argv[1];
    match = found & (sodium_memcmp(want, typed, 4) == 0);
    store_batch(b->st);
    if (store_code_request_add(b->st, c->msisdn, c->argv[0], bi_lang_tag(c), match ? cz.id : 0, now,
                               &id) < 0)
        return -KP_ERR_DB;
    b->req_last = id;
    return 0; /* the same answer: nothing about the CNIC or the number is revealed */
}

void kp_builtins_committed(struct kp_builtins *b)
{
    if (b)
        b->req_ready = b->req_last;
}

void kp_builtins_aborted(struct kp_builtins *b)
{
    if (b == NULL)
        return;
    b->req_last = b->req_ready;
    if (b->req_ready > 0)
        b->req_done = 0;
}

int kp_builtins_pending(const struct kp_builtins *b)
{
    return b && b->req_ready > b->req_done;
}

void kp_builtins_set_apps(struct kp_builtins *b, struct ussd_apps *apps)
{
    b->apps = apps;
}

/* The code of q, now. */
static int bi_request_issue_now(struct kp_builtins *b, const struct store_code_request *q,
                                int64_t now)
{
    struct codes_result r;
    char masked[17];
    int rc;

    struct codes_request req = {q->citizen_id, q->purpose, NULL, NULL, NULL, q->msisdn, "ussd"};
    rc = codes_issue_unseen_in(b->codes, &req, q->lang, now, &r);
    if (rc < 0 && rc != -KP_ERR_LIMIT && rc != -KP_ERR_LOCKED) {
        msisdn_mask(q->msisdn, masked);
        log_info("ussd: code for %s not issued: %s", masked, kp_strerror(rc));
    }
    return rc == -KP_ERR_DB ? rc : 0;
}

/* A request waiting for the operator's SIM-swap answer. */
struct bi_swap_wait {
    struct kp_builtins *b;
    struct store_code_request q;
};

/* Hold q's code: audited with the citizen as the subject, nothing sent. */
static void bi_request_hold(struct kp_builtins *b, const struct store_code_request *q,
                            const char *why)
{
    struct store_citizen cz;
    char detail[80];

    snprintf(detail, sizeof(detail), "USSD code for %s held: %s", q->purpose, why);
    if (store_citizen_get_by_id(b->st, q->citizen_id, &cz) < 0 || store_batch(b->st) < 0 ||
        audit_append(b->st, bi_now(b), "code.held", "ussd", cz.cnic_index, detail) < 0)
        log_warnx("ussd: a held code could not be audited");
}

static void bi_swap_answer(void *arg, enum ussd_simswap_answer a, int hold)
{
    struct bi_swap_wait *w = arg;
    struct kp_builtins *b = w->b;

    if (a == USSD_SIMSWAP_SWAPPED)
        bi_request_hold(b, &w->q, "SIM swapped recently");
    else if (a == USSD_SIMSWAP_UNKNOWN && hold)
        bi_request_hold(b, &w->q, "SIM check unanswered");
    else if (store_batch(b->st) == 0 && bi_request_issue_now(b, &w->q, bi_now(b)) == 0 && b->outbox)
        sms_outbox_kick(b->outbox);
    sodium_memzero(w, sizeof(*w));
    free(w);
}

/*
 * One request: issued when it matched (its outcome only in the audit log),
 * after the operator's SIM-swap check when one serves the number.  A stop
 * while that check is out loses the request (the caller asks again).
 */
static int bi_request_issue(struct kp_builtins *b, const struct store_code_request *q, int64_t now)
{
    struct bi_swap_wait *w;
    int hold = 0, rc;

    if (bi_request_is_suspend(q))
        return bi_request_suspend(b, q, now);
    if (q->citizen_id == 0)
        return 0;
    if (b->apps == NULL)
        return bi_request_issue_now(b, q, now);
    w = kp_calloc(1, sizeof(*w));
    w->b = b;
    w->q = *q;
    rc = ussd_simswap_ask(b->apps, b->st, q->msisdn, bi_swap_answer, w, &hold);
    if (rc == 1)
        return 0; /* the answer decides */
    free(w);
    if (rc < 0 && hold) {
        bi_request_hold(b, q, "SIM check unanswered");
        return 0;
    }
    return bi_request_issue_now(b, q, now);
}

int kp_builtins_flush(struct kp_builtins *b)
{
    struct store_code_request q;
    int64_t now;
    int n = 0, rc;

    if (!kp_builtins_pending(b))
        return 0;
    now = bi_now(b);
    store_batch(b->st);
    while ((rc = store_code_request_next(b->st, b->req_ready, &q)) == 0) {
        if (bi_request_issue(b, &q, now) < 0 || store_code_request_delete(b->st, q.id) < 0)
            return -KP_ERR_DB; /* left for the next pass, or the next start */
        n++;
    }
    if (rc != -KP_ERR_NOTFOUND)
        return -KP_ERR_DB;
    b->req_done = b->req_ready;
    return n;
}

int kp_builtins_recover(struct kp_builtins *b)
{
    int64_t last = store_code_request_last(b->st);

    if (last < 0)
        return (int)last;
    if (last > 0)
        log_info("ussd: code requests left by a stop are issued now");
    b->req_last = b->req_ready = last;
    return 0;
}

/*
 * reg.lookup(): the registration of the calling number itself, masked:
 * the CNIC's last 2 digits only, since the last 4 are what a code request
 * asks for; and limited per calling number like code requests (counted
 * whether or not it is registered), so that a borrowed phone does not
 * answer the code screen's question by itself.
 */
int bi_reg_lookup(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_citizen cz;
    struct store_dir_district dist;
    char masked[CNIC_TEXT_SIZE], nums[8][MSISDN_SIZE], list[160] = "";
    char name[80];
    int n, rc, ok = bi_caller_allowed(b, "r", c->msisdn, bi_now(b));

    if (ok < 0)
        return ok;
    if (!ok) {
        menu_result_outcome(res, "try_later");
        return 0;
    }
    rc = store_citizen_get_by_msisdn(b->st, c->msisdn, &cz);
    if (rc == -KP_ERR_NOTFOUND) {
        menu_result_outcome(res, "unregistered");
        return 0;
    }
    if (rc < 0)
        return rc;
    menu_result_outcome(res, "registered");
    /* The name as a greeting: the first word and the last name's initial. */
    enum store_dir_lang lang = bi_lang(c);
    int arabic = lang == STORE_DIR_UR || lang == STORE_DIR_PS;
    const char *full = arabic && cz.name_ur[0] ? cz.name_ur : cz.name_en;
    const char *sp = strrchr(full, ' ');
    int first = (int)strcspn(full, " ");
    if (sp && sp[1])
        snprintf(name, sizeof(name), "%.*s %.1s.", first, full, sp + 1);
    else
        snprintf(name, sizeof(name), "%.*s", first, full);
    if (arabic || (unsigned char)name[0] >= 0x80)
        snprintf(name, sizeof(name), "%.*s", first, full); /* no initial in Arabic script */
    menu_result_set(res, "reg_name", name);
    /* From the last 4 digits, as cnic_mask_short writes it: no CNIC decrypted. */
    store_citizen_mask(&cz, masked);
    masked[10] = masked[11] = '*';
    menu_result_set(res, "reg_cnic", masked);
    /* The district by its name in the dialog's language; its code only
       when the directory does not list it. */
    if (store_dir_district_get(b->st, cz.district, &dist) == 0)
        menu_result_set(res, "reg_district", store_dir_name_pick(&dist.name, lang));
    else
        menu_result_set(res, "reg_district", cz.district);
    menu_result_set(res, "reg_status", bi_status_text(store_citizen_status_name(cz.status), lang));
    n = store_citizen_msisdns(b->st, cz.id, nums, 8);
    for (int i = 0; i < n; i++) {
        char m[17];
        msisdn_mask(nums[i], m);
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", m);
    }
    menu_result_set(res, "reg_numbers", list);
    return 0;
}

/* The labels of the details SMS, by enum store_dir_lang. */
static const struct {
    const char *fee, *docs, *time, *where, *end;
} bi_sms_labels[STORE_DIR_LANGS] = {
    {" Fee: ", ". Documents: ", ". Time: ", ". Apply at: ", "."},
    {" فیس: ", "۔ دستاویزات: ", "۔ وقت: ", "۔ کہاں: ", "۔"},
    {" فیس: ", ". اسناد: ", ". وخت: ", ". چېرته: ", "."},
    {" Fees: ", ". Kaghzat: ", ". Waqt: ", ". Kahan: ", "."},
};

/* The details of s in lang: every part translated, English only where a
   translation is missing (kpass service check lists those). */
static void bi_sms_text(const struct store_dir_service *s, enum store_dir_lang lang, char *text,
                        size_t size)
{
    char fee[64], time[64];
    const char *desc = store_dir_desc_pick(&s->description, lang);
    size_t n;

    bi_fee_text(s->fee, lang, fee, sizeof(fee));
    bi_time_text(s->processing_time, lang, time, sizeof(time));
    n = (size_t)snprintf(text, size, "%s: %s", store_dir_name_pick(&s->name, lang), desc);
    if (n < size)
        snprintf(text + n, size - n, "%s%s%s%s%s%s%s%s%s", bi_sms_labels[lang].fee, fee,
                 bi_sms_labels[lang].docs, store_dir_desc_pick(&s->docs, lang),
                 bi_sms_labels[lang].time, time, bi_sms_labels[lang].where,
                 store_dir_desc_pick(&s->where, lang), bi_sms_labels[lang].end);
}

/* sms.service(code): the service's details by SMS to the caller, in the
   dialog's language.  The outbox picks GSM 7-bit or UCS-2 for the whole
   text and cuts it into as few parts as that allows (sms_split). */
int bi_sms_service(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_service s;
    int64_t now = bi_now(b);
    char text[1200]; /* STORE_SMS_BODY_MAX */
    int ok, rc;

    if ((rc = store_dir_service_get(b->st, c->argv[0], &s)) < 0)
        return rc;
    ok = bi_caller_allowed(b, "s", c->msisdn, now);
    if (ok < 0)
        return ok;
    if (!ok) {
        menu_result_outcome(res, "try_later");
        return 0;
    }
    bi_sms_text(&s, bi_lang(c), text, sizeof(text));
    /* Committed before the screen that says it was sent (DESIGN.md §8). */
    if ((rc = store_tx_begin(b->st)) < 0)
        return rc;
    rc = store_sms_queue(b->st, c->msisdn, text, 0, NULL, now + 24 * 3600, now, NULL);
    if (rc < 0 || (rc = store_tx_commit(b->st)) < 0) {
        store_tx_rollback(b->st);
        return rc;
    }
    if (b->outbox)
        sms_outbox_kick(b->outbox);
    menu_result_outcome(res, "sent");
    return 0;
}
