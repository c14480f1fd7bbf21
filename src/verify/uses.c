/* SPDX-License-Identifier: ISC */
/*
 * The uses of an identity, read from the audit log, and the flag a
 * citizen puts on one that was not theirs (see verify_uses.h).  The audit
 * rows are parsed here, not in the store: which rows count as a use is a
 * rule of the verification service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "kpass/audit/audit.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/audit.h"
#include "kpass/store/directory.h"
#include "kpass/store/sms.h"
#include "kpass/verify/uses.h"

#define USES_SCAN_PAGE 100
#define USES_SCAN_MAX  2000 /* audit rows of one identity read at most */

/* Only the main thread flags uses (the USSD and HTTP handlers). */
static uint64_t uses_disputes;

const char *verify_use_kind_name(enum verify_use_kind k)
{
    return k == VERIFY_USE_DESK ? "desk" : "code";
}

/* The value of "key=" in detail (words separated by spaces), into out. */
static int uses_field(const char *detail, const char *key, char *out, size_t size)
{
    size_t kl = strlen(key);

    for (const char *p = detail; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, " ");
            snprintf(out, size, "%.*s", (int)n, p + kl + 1);
            return 1;
        }
    }
    if (size)
        out[0] = '\0';
    return 0;
}

/* Is row r a use?  Fill u when it is. */
static int uses_of_row(const struct store_audit_row *r, struct verify_use *u)
{
    char desk[32];

    memset(u, 0, sizeof(*u));
    u->audit_id = r->id;
    u->at = r->at;
    uses_field(r->detail, "purpose", u->purpose, sizeof(u->purpose));
    if (strcmp(r->event, "desk.verified") == 0 && strncmp(r->actor, "desk:", 5) == 0) {
        /* The desk's id is "<office>-<seq>" (the desk table's CHECK). */
        u->kind = VERIFY_USE_DESK;
        snprintf(u->office, sizeof(u->office), "%.*s", (int)strcspn(r->actor + 5, "-"),
                 r->actor + 5);
        return 1;
    }
    if (strcmp(r->event, "code.issued") == 0 &&
        !uses_field(r->detail, "desk", desk, sizeof(desk))) {
        u->kind = VERIFY_USE_CODE;
        return 1;
    }
    return 0;
}

int verify_uses_list(struct store *st, const uint8_t subject[32], struct verify_use *out, int max)
{
    struct store_audit_filter f = {subject, NULL, 0, 0, USES_SCAN_PAGE};
    struct store_audit_row *v;
    int n, got = 0, read = 0;

    while (got < max && read < USES_SCAN_MAX) {
        if ((n = store_audit_list(st, &f, &v)) < 0)
            return -KP_ERR_DB;
        for (int i = 0; i < n && got < max; i++)
            got += uses_of_row(&v[i], &out[got]);
        if (n > 0)
            f.before_id = v[n - 1].id;
        free(v);
        read += n;
        if (n < USES_SCAN_PAGE)
            break;
    }
    return got;
}

int verify_use_get(struct store *st, const uint8_t subject[32], int64_t audit_id,
                   struct verify_use *out)
{
    struct store_audit_row r;
    int rc = store_audit_get(st, audit_id, &r);

    if (rc < 0)
        return rc == -KP_ERR_NOTFOUND ? rc : -KP_ERR_DB;
    if (!r.has_subject || sodium_memcmp(r.subject, subject, 32) != 0 || !uses_of_row(&r, out))
        return -KP_ERR_NOTFOUND;
    return 0;
}

/* The citizen's SMS: what to do now, in lang. */
static void uses_dispute_text(const char *lang, const struct verify_use *u, const char *when,
                              char *out, size_t size)
{
    const char *where = u->office[0] ? u->office : "*789#";

    if (strcmp(lang, "ur") == 0)
        snprintf(out, size,
                 "خیبر پاس: آپ نے بتایا کہ %s کو %s پر آپ کی شناخت کا استعمال آپ نے نہیں کیا۔ "
                 "*789# پر اپنا کارڈ معطل کریں اور شناختی کارڈ کے ساتھ خیبر پاس دفتر آئیں۔",
                 when, where);
    else if (strcmp(lang, "ps") == 0)
        snprintf(out, size,
                 "خیبر پاس: تاسو وویل چې د %s پر %s ستاسو د پېژندنې کارول ستاسو نه وو. "
                 "په *789# خپل کارت وځنډوئ او د شناختي کارت سره د خیبر پاس دفتر ته ورشئ.",
                 when, where);
    else if (strcmp(lang, "ur-Latn") == 0)
        snprintf(out, size,
                 "Khyber Pass: aap ne kaha %s ko %s par shanakht ka istemal aap ka nahin tha. "
                 "*789# par card muattal karein aur CNIC ke sath daftar aayein.",
                 when, where);
    else /* one SMS of 160 characters at most, with an 8-character office code */
        snprintf(out, size,
                 "Khyber Pass: you said the use of your identity on %s at %s was not you. "
                 "Suspend your card on *789# and visit an office with your CNIC.",
                 when, where);
}

/* The audit row and the SMS, in the caller's scope. */
static int uses_dispute_do(struct store *st, const struct store_citizen *c,
                           const struct verify_use *u, const char *lang, const char *actor,
                           int64_t now)
{
    char nums[1][MSISDN_SIZE], detail[96], text[600], when[24], subject[65];
    time_t t = (time_t)(u->at + 5 * 3600); /* Pakistan Standard Time, UTC+5, no DST */
    struct tm tm;

    snprintf(detail, sizeof(detail), "use %lld %s%s%s", (long long)u->audit_id,
             u->kind == VERIFY_USE_DESK ? "desk.verified" : "code.issued",
             u->office[0] ? " office " : "", u->office);
    if (audit_append(st, now, "identity.disputed", actor, c->cnic_index, detail) < 0)
        return -KP_ERR_DB;
    if (store_citizen_msisdns(st, c->id, nums, 1) != 1)
        return 0; /* no number to tell: the row stands */
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%d-%m-%Y %H:%M", &tm);
    uses_dispute_text(lang ? lang : "en", u, when, text, sizeof(text));
    sodium_bin2hex(subject, sizeof(subject), c->cnic_index, sizeof(c->cnic_index));
    return store_sms_queue(st, nums[0], text, 0, subject, now + 24 * 3600, now, NULL) < 0
               ? -KP_ERR_DB
               : 0;
}

int verify_dispute_flag(struct store *st, const struct store_citizen *c, const struct verify_use *u,
                        const char *lang, const char *actor, int64_t now)
{
    enum store_scope own;
    int rc, end;

    if (!audit_ready(st))
        return -KP_ERR_STATE;
    if ((rc = store_scope_begin(st, &own)) < 0)
        return rc;
    rc = uses_dispute_do(st, c, u, lang, actor, now);
    if ((end = store_scope_end(st, own, rc >= 0)) < 0)
        return end;
    if (rc < 0)
        return rc;
    uses_disputes++;
    log_info("verify: a use of an identity was disputed (audit row %lld, %s, by %s)",
             (long long)u->audit_id, verify_use_kind_name(u->kind), actor);
    return 0;
}

uint64_t verify_dispute_count(void)
{
    return uses_disputes;
}
