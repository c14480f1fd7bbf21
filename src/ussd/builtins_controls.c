/* SPDX-License-Identifier: ISC */
/*
 * The citizen's own controls (issue 15): "Suspend my card" and "Where was
 * my identity used?", both behind the last 4 digits of the CNIC as for a
 * code (builtins_id.c), limited per calling number as code requests are
 * (the same policy, each branch its own count, so that suspending a card
 * does not hold back looking at its uses a minute later), and answered the same way whether the
 * number is registered and the digits match or not (DESIGN.md §6).
 *
 * A suspension is a code request of purpose "suspend:<lang>": written in
 * the hop, carried out after that hop's reply left (kp_builtins_flush),
 * so its work cannot be timed and a stop cannot lose it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "builtins_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/sms/outbox.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/directory.h"
#include "kpass/store/otp.h"
#include "kpass/store/sms.h"
#include "kpass/verify/credential.h"
#include "kpass/verify/uses.h"

#define BI_SUSPEND "suspend:" /* the code request's purpose prefix; the language follows */

/* Purposes as the citizen reads them, per dialog language (en, ur, ps, ur-Latn). */
static const struct {
    const char *purpose;
    const char *label[MENU_LANG_MAX];
} bi_purposes[] = {
    {"identity", {"Identity check", "شناخت کی تصدیق", "د پېژندنې تصدیق", "Shanakht ki tasdeeq"}},
    {"sehat", {"Sehat Card", "صحت کارڈ", "صحت کارت", "Sehat Card"}},
    {"land", {"Land record", "زمین کا ریکارڈ", "د ځمکې ریکارډ", "Zameen ka record"}},
    {"domicile", {"Domicile", "ڈومیسائل", "ډومیسائل", "Domicile"}},
    {"vehicle",
     {"Vehicle registration", "گاڑی کی رجسٹریشن", "د موټر ثبت", "Gaari ki registration"}},
    {"licence", {"Driving licence", "ڈرائیونگ لائسنس", "د موټر چلولو جواز", "Driving licence"}},
    {"birth", {"Birth registration", "پیدائش کا اندراج", "د زېږون ثبت", "Paidaish ka indiraaj"}},
    {"service", {"Service request", "سروس کی درخواست", "د خدمت غوښتنه", "Service ki darkhwast"}},
};

/* A purpose's label in lang; English where a language has none. */
static const char *bi_purpose_label(const char *purpose, enum menu_lang lang)
{
    size_t l = (size_t)lang < MENU_LANG_MAX ? (size_t)lang : MENU_LANG_EN;

    for (size_t i = 0; i < KP_ARRAY_LEN(bi_purposes); i++)
        if (strcmp(bi_purposes[i].purpose, purpose) == 0)
            return bi_purposes[i].label[l] ? bi_purposes[i].label[l]
                                           : bi_purposes[i].label[MENU_LANG_EN];
    return "-";
}

/*
 * The caller's citizen when the typed digits are the last 4 of their
 * CNIC: 1 (in *cz), else 0.  The same work either way: one look-up, one
 * comparison in constant time.
 */
static int bi_confirmed(struct kp_builtins *b, const struct menu_call *c, const char *typed_in,
                        struct store_citizen *cz)
{
    const char *want = "\xff\xff\xff\xff", *typed = "\xfe\xfe\xfe\xfe";
    int found = store_citizen_get_by_msisdn(b->st, c->msisdn, cz) == 0;

    if (found)
        want = cz->last4;
    if (strlen(typed_in) == 4)
        typed = typed_in;
    return found & (sodium_memcmp(want, typed, 4) == 0);
}

/*
 * card.suspend(last4): outcome "done" whatever happened (or "try_later"
 * over the limit).  The request is written in the hop; the suspension
 * follows the reply (bi_request_suspend).
 */
int bi_card_suspend(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_citizen cz;
    char purpose[32];
    int64_t now = bi_now(b), id = 0;
    int match, ok = bi_caller_allowed(b, "k", c->msisdn, now);

    if (ok < 0)
        return ok;
    if (!ok) {
        menu_result_outcome(res, "try_later");
        return 0;
    }
    menu_result_outcome(res, "done");
    match = bi_confirmed(b, c, c->argv[0], &cz);
    snprintf(purpose, sizeof(purpose), BI_SUSPEND "%s", menu_lang_name(c->lang));
    store_batch(b->st);
    if (store_code_request_add(b->st, c->msisdn, purpose, menu_lang_name(c->lang),
                               match ? cz.id : 0, now, &id) < 0)
        return -KP_ERR_DB;
    b->req_last = id;
    return 0;
}

/* The citizen's confirmation SMS, in the language the request was made in. */
static void bi_suspend_text(const char *lang, int n, char *out, size_t size)
{
    if (strcmp(lang, "ur") == 0)
        snprintf(out, size, "%s",
                 n > 0
                     ? "خیبر پاس: آپ کا کارڈ معطل کر دیا گیا ہے۔ دوبارہ استعمال کے لیے "
                       "شناختی کارڈ کے ساتھ خیبر پاس دفتر آئیں۔"
                     : "خیبر پاس: آپ نے کارڈ معطل کرنے کو کہا۔ آپ کا کوئی کارڈ استعمال میں نہیں۔");
    else if (strcmp(lang, "ps") == 0)
        snprintf(out, size, "%s",
                 n > 0 ? "خیبر پاس: ستاسو کارت وځنډول شو. د بیا کارولو لپاره د شناختي کارت "
                         "سره د خیبر پاس دفتر ته ورشئ."
                       : "خیبر پاس: تاسو د کارت ځنډول وغوښتل. ستاسو هېڅ کارت په کار کې نه دی.");
    else if (strcmp(lang, "ur-Latn") == 0)
        snprintf(out, size, "%s",
                 n > 0 ? "Khyber Pass: aap ka card muattal kar diya gaya hai. Dobara istemal ke "
                         "liye CNIC ke sath Khyber Pass daftar aayein."
                       : "Khyber Pass: aap ne card muattal karne ko kaha. Aap ka koi card "
                         "istemal mein nahin.");
    else
        snprintf(out, size, "%s",
                 n > 0 ? "Khyber Pass: your card is suspended. To use it again, visit a Khyber "
                         "Pass office with your CNIC."
                       : "Khyber Pass: you asked to suspend your card. No card of yours is in "
                         "use.");
}

int bi_request_suspend(struct kp_builtins *b, const struct store_code_request *q, int64_t now)
{
    char text[400], masked[17];
    int n;

    if (q->citizen_id == 0)
        return 0;
    n = verify_credential_suspend_citizen(b->st, q->citizen_id, "ussd", now);
    if (n < 0) {
        msisdn_mask(q->msisdn, masked);
        log_warnx("ussd: suspension asked by %s not done: %s", masked, kp_strerror(n));
        return n == -KP_ERR_DB ? n : 0;
    }
    bi_suspend_text(q->purpose + strlen(BI_SUSPEND), n, text, sizeof(text));
    if (store_sms_queue(b->st, q->msisdn, text, 0, NULL, now + 24 * 3600, now, NULL) < 0)
        return -KP_ERR_DB;
    if (b->outbox)
        sms_outbox_kick(b->outbox);
    return 0;
}

int bi_request_is_suspend(const struct store_code_request *q)
{
    return strncmp(q->purpose, BI_SUSPEND, strlen(BI_SUSPEND)) == 0;
}

/*
 * id.history(last4): outcome "shown" (or "try_later"); sets uses (the
 * uses' audit row ids, newest first, comma-separated) and uses_count.
 * Wrong digits and an unregistered number get no uses, as a citizen
 * with none would.  The reading is audited (identity.history).
 */
int bi_id_history(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    static const uint8_t nobody[32];
    struct store_citizen cz;
    struct verify_use u[VERIFY_USES_MAX];
    char ids[VERIFY_USES_MAX * 21] = "", count[16], detail[32];
    int64_t now = bi_now(b);
    int n, match, ok = bi_caller_allowed(b, "h", c->msisdn, now);

    if (ok < 0)
        return ok;
    if (!ok) {
        menu_result_outcome(res, "try_later");
        return 0;
    }
    match = bi_confirmed(b, c, c->argv[0], &cz);
    /* The same reading either way: an index no citizen has finds nothing. */
    n = verify_uses_list(b->st, match ? cz.cnic_index : nobody, u, VERIFY_USES_MAX);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%lld", i ? "," : "",
                 (long long)u[i].audit_id);
    if (match) {
        snprintf(detail, sizeof(detail), "uses=%d", n);
        store_batch(b->st);
        if (audit_append(b->st, now, "identity.history", "ussd", cz.cnic_index, detail) < 0)
            return -KP_ERR_DB;
    }
    snprintf(count, sizeof(count), "%d", n);
    menu_result_outcome(res, "shown");
    menu_result_set(res, "uses", ids);
    menu_result_set(res, "uses_count", count);
    return 0;
}

/* The caller's use with audit row id text: 0, or -KP_ERR_NOTFOUND / -KP_ERR_DB. */
static int bi_use_of_caller(struct kp_builtins *b, const struct menu_call *c, const char *text,
                            struct store_citizen *cz, struct verify_use *u)
{
    char *end;
    long long id = strtoll(text, &end, 10);
    int rc;

    if (text[0] < '1' || text[0] > '9' || *end != '\0')
        return -KP_ERR_NOTFOUND;
    if ((rc = store_citizen_get_by_msisdn(b->st, c->msisdn, cz)) < 0)
        return rc;
    return verify_use_get(b->st, cz->cnic_index, id, u);
}

/* The use's time in Pakistan (UTC+5, no DST), "07-12-2026 14:05". */
static void bi_use_when(const struct verify_use *u, char out[24])
{
    time_t t = (time_t)(u->at + 5 * 3600);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 24, "%d-%m-%Y %H:%M", &tm);
}

/* id.uses(uses): the list of id.history's uses, "07-12-2026 PSH01" (a code: "*789#"). */
int bi_id_uses(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_citizen cz;
    struct verify_use u;
    char list[VERIFY_USES_MAX * 21], when[24], label[48], val[24];
    char *save = NULL, *tok;
    int n = 0;

    snprintf(list, sizeof(list), "%s", c->argv[0]);
    for (tok = strtok_r(list, ",", &save); tok && n < VERIFY_USES_MAX;
         tok = strtok_r(NULL, ",", &save), n++) {
        if (bi_use_of_caller(b, c, tok, &cz, &u) < 0)
            continue; /* the dialog's own list: only a row gone could miss */
        bi_use_when(&u, when);
        when[10] = '\0';
        snprintf(label, sizeof(label), "%s %s", when, u.office[0] ? u.office : "*789#");
        snprintf(val, sizeof(val), "%lld", (long long)u.audit_id);
        menu_result_item(res, label, val);
    }
    return 0;
}

/* id.use(use): found (use_kind, use_where, use_when, use_purpose) or not_found. */
int bi_id_use(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_citizen cz;
    struct store_dir_office o;
    struct verify_use u;
    char when[24];
    int rc = bi_use_of_caller(b, c, c->argv[0], &cz, &u);

    if (rc == -KP_ERR_NOTFOUND) {
        menu_result_outcome(res, "not_found");
        return 0;
    }
    if (rc < 0)
        return rc;
    menu_result_outcome(res, "found");
    menu_result_set(res, "use_kind", verify_use_kind_name(u.kind));
    if (u.office[0] && store_dir_office_get(b->st, u.office, &o) == 0)
        menu_result_set(res, "use_where", store_dir_name_pick(&o.name, bi_lang(c)));
    else
        menu_result_set(res, "use_where", u.office);
    bi_use_when(&u, when);
    menu_result_set(res, "use_when", when);
    menu_result_set(res, "use_purpose", bi_purpose_label(u.purpose, c->lang));
    return 0;
}

/*
 * id.dispute(use): "It was not me" on one of the caller's uses
 * (verify_dispute_flag); outcome "flagged", or "try_later" over the
 * per-number limit.
 */
int bi_id_dispute(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_citizen cz;
    struct verify_use u;
    int64_t now = bi_now(b);
    int rc, ok = bi_caller_allowed(b, "d", c->msisdn, now);

    if (ok < 0)
        return ok;
    if (!ok) {
        menu_result_outcome(res, "try_later");
        return 0;
    }
    menu_result_outcome(res, "flagged");
    if ((rc = bi_use_of_caller(b, c, c->argv[0], &cz, &u)) == -KP_ERR_NOTFOUND)
        return 0;
    if (rc == 0)
        rc = verify_dispute_flag(b->st, &cz, &u, menu_lang_name(c->lang), "ussd", now);
    if (rc < 0)
        return rc;
    /* Committed before the screen that says an SMS follows (DESIGN.md §8), and so
       that the dispatcher woken now finds it. */
    if (rc == 0 && store_flush(b->st) < 0)
        return -KP_ERR_DB;
    if (b->outbox)
        sms_outbox_kick(b->outbox);
    return 0;
}
