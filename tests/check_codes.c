/* SPDX-License-Identifier: ISC */
/*
 * The identity-bound code service (codes_issue / codes_verify) over a
 * temporary store with a pinned clock: expiry at exactly the validity,
 * single use, 5 wrong tries, the issue limits per CNIC and per MSISDN with
 * the exact `until`, lockout and its doubling, the binding to purpose,
 * office and desk, registered numbers only, blocked and deceased
 * citizens, the SMS text, the code never in the database file once its
 * message is final, and the audit rows (no code, CNIC or MSISDN in them).
 * The pure policy behind it is tested in check_otp.c.
 */
#include <check.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/id/cnic.h"
#include "kpass/verify/codes.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/sms/sms.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/otp.h"
#include "kpass/store/sms.h"
#include "testutil.h"

#define T0 1800000000LL /* 2027-01-15T08:00:00Z */

static char *dir;
static char path[512];
static struct store *st;
static struct registry *reg; /* over st */
static struct codes *svc;
static struct otp_policy pol;
static uint8_t otp_key[OTP_KEY_BYTES], cnic_key[CNIC_KEY_BYTES], audit_key[32];
static int64_t cid[6];

/* The people of every test: index into cid[]. */
static const struct {
    const char *cnic;
    const char *msisdn[2];
    enum store_citizen_status status;
} people[] = {
    {"3520212345671", {"+923001234567", "+923331234568"}, STORE_CITIZEN_ACTIVE},
    {"1730198765432", {"+923451112223", NULL}, STORE_CITIZEN_ACTIVE},
    {"1610155555553", {"+923215556667", NULL}, STORE_CITIZEN_BLOCKED},
    {"1410144444444", {"+923124445556", NULL}, STORE_CITIZEN_DECEASED},
    {"1510166666665", {NULL, NULL}, STORE_CITIZEN_ACTIVE},
    {"4210177777779", {"+923067778889", NULL}, STORE_CITIZEN_ACTIVE},
};

static void codes_start(void)
{
    codes_free(svc);
    svc = codes_new(st, NULL, NULL, otp_key, cnic_key, &pol);
}

static void codes_setup(void)
{
    dir = tu_tmpdir("codes");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(otp_key, sizeof(otp_key));
    randombytes_buf(cnic_key, sizeof(cnic_key));
    randombytes_buf(audit_key, sizeof(audit_key));
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    reg = registry_new(st);
    ck_assert_int_eq(registry_use_key(reg, cnic_key), 0);
    audit_use_key(st, audit_key);
    for (size_t i = 0; i < KP_ARRAY_LEN(people); i++) {
        struct store_citizen c;
        memset(&c, 0, sizeof(c));
        snprintf(c.name_en, sizeof(c.name_en), "Citizen %c", (char)('A' + i));
        snprintf(c.name_ur, sizeof(c.name_ur), "احمد");
        snprintf(c.district, sizeof(c.district), "PSH");
        c.status = people[i].status;
        ck_assert_int_eq(registry_citizen_add(reg, people[i].cnic, &c, "kpass", T0 - 1000), 0);
        cid[i] = c.id;
        for (int k = 0; k < 2 && people[i].msisdn[k]; k++)
            ck_assert_int_eq(
                registry_citizen_link(reg, c.id, people[i].msisdn[k], "kpass", T0 - 999), 1);
    }
    otp_policy_default(&pol);
    svc = NULL;
    codes_start();
}

static void codes_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    codes_free(svc);
    svc = NULL;
    registry_free(reg);
    reg = NULL;
    store_close(st);
    st = NULL;
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

/* ---- helpers ---- */

/* For fail_times(): the last code issued, and the live code it tries. */
static int64_t last_issued = -1000000;
static int64_t live_at;
static unsigned live_left;
static char live_wrong[OTP_CODE_SIZE];

static int issue_full(int who, const char *purpose, const char *office, const char *office_name,
                      const char *desk, const char *msisdn, int64_t at, struct codes_result *r)
{
    struct codes_request req = {
        who < 0 ? 999999 : cid[who], purpose, office, office_name, desk, msisdn, "test"};
    int rc = codes_issue(svc, &req, at, r);

    if (rc == 0) {
        last_issued = at;
        live_left = 0; /* a new code supersedes the one fail_times() was trying */
    }
    return rc;
}

static int issue(int who, const char *msisdn, int64_t at, struct codes_result *r)
{
    return issue_full(who, "identity", NULL, NULL, NULL, msisdn, at, r);
}

static int verify_full(int who, const char *purpose, const char *office, const char *desk,
                       const char *typed, int64_t at, struct codes_result *r)
{
    struct codes_request req = {cid[who], purpose, office, NULL, desk, NULL, "test"};
    return codes_verify(svc, &req, typed, at, r);
}

static int verify(int who, const char *typed, int64_t at, struct codes_result *r)
{
    return verify_full(who, "identity", NULL, NULL, typed, at, r);
}

/* The code a message carries: not in its text, which has its place
   (after "is "), but sealed beside it under a key derived from otp.key. */
static void code_of(int64_t sms_id, char code[OTP_CODE_SIZE])
{
    struct store_sms *m = kp_calloc(1, sizeof(*m));
    uint8_t key[OTP_SEAL_KEY_BYTES];
    const char *p;

    ck_assert_int_eq(store_sms_get(st, sms_id, m), 0);
    ck_assert(m->is_code);
    p = strstr(m->body, " is ");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(m->code_at, (int)(p + 4 - m->body));
    ck_assert_int_eq(strspn(p + 4, "0123456789"), 0);
    ck_assert_int_eq(otp_seal_key_derive(otp_key, key), 0);
    ck_assert_int_eq(otp_code_unseal(key, m->code_box, m->msisdn, code), 0);
    ck_assert_int_eq(strspn(code, "0123456789"), 6);
    /* bound to its number: another one does not open it */
    ck_assert_int_eq(otp_code_unseal(key, m->code_box, "+923000000000", code), -KP_ERR_CRYPTO);
    ck_assert_int_eq(otp_code_unseal(key, m->code_box, m->msisdn, code), 0);
    free(m);
}

/* A code that is not this one (same length, all digits). */
static void wrong_of(const char *code, char out[OTP_CODE_SIZE])
{
    memcpy(out, code, OTP_CODE_SIZE);
    out[5] = out[5] == '9' ? '0' : (char)(out[5] + 1);
}

static int64_t outbox_count(void)
{
    uint64_t counts[SMS_STATE_MAX], n = 0;

    ck_assert_int_eq(store_sms_counts(st, counts), 0);
    for (int i = 0; i < SMS_STATE_MAX; i++)
        n += counts[i];
    return (int64_t)n;
}

static struct store_citizen citizen(int who)
{
    struct store_citizen c;

    ck_assert_int_eq(store_citizen_get_by_id(st, cid[who], &c), 0);
    return c;
}

/* The audit events about citizen who, oldest first, joined with ' '. */
static void events_of(int who, char *out, size_t size)
{
    struct store_citizen c = citizen(who);
    struct store_audit_filter f = {c.cnic_index, NULL, 0, 0, 1000};
    struct store_audit_row *v;
    int n = store_audit_list(st, &f, &v);

    ck_assert_int_ge(n, 0);
    out[0] = '\0';
    for (int i = n - 1; i >= 0; i--)
        if (strncmp(v[i].event, "code.", 5) == 0)
            snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "", v[i].event);
    free(v);
}

/* ---- the SMS: purpose, validity, "never phone", no CNIC ---- */

START_TEST(test_text_per_purpose)
{
    const char *const *list = codes_purposes();
    struct codes_result r;
    int n = 0;

    for (int i = 0; list[i]; i++, n++) {
        char label[64], code[OTP_CODE_SIZE], digits[CNIC_SIZE], formatted[CNIC_TEXT_SIZE];
        struct store_sms *m = kp_calloc(1, sizeof(*m));
        struct sms_parts *parts = kp_malloc(sizeof(*parts));
        /* At most 5 codes an hour: 721 s apart. */
        ck_assert_int_eq(
            issue_full(0, list[i], "PSH-DC", "Peshawar DC Office", "D1", NULL, T0 + 721 * i, &r),
            0);
        ck_assert_int_eq(store_sms_get(st, r.sms_id, m), 0);
        snprintf(label, sizeof(label), "your code for %s at Peshawar DC Office is ",
                 codes_purpose_label(list[i]));
        ck_assert_msg(strstr(m->body, label) != NULL, "%s: %s", list[i], m->body);
        ck_assert_ptr_nonnull(strstr(m->body, "Valid 5 minutes."));
        ck_assert_ptr_nonnull(strstr(m->body, "never phone"));
        code_of(r.sms_id, code);
        /* Neither the CNIC's digits nor its printed form. */
        memcpy(digits, people[0].cnic, CNIC_SIZE);
        cnic_format(digits, formatted);
        ck_assert_ptr_null(strstr(m->body, digits));
        ck_assert_ptr_null(strstr(m->body, formatted));
        ck_assert_ptr_null(strstr(m->body, digits + 5)); /* not even the serial */
        ck_assert_str_eq(m->msisdn, people[0].msisdn[0]);
        ck_assert(m->is_code);
        ck_assert_int_eq(m->state, SMS_QUEUED);
        ck_assert_int_eq(m->expires_at, T0 + 721 * i + 300);
        /* One GSM 7-bit SMS, no concatenation. */
        ck_assert_int_eq(sms_split(m->body, strlen(m->body), SMS_LONG_UDH, 0, parts), 0);
        ck_assert_uint_eq(parts->n, 1);
        ck_assert_int_eq(parts->enc, TEXT_GSM7);
        free(parts);
        free(m);
    }
    ck_assert_int_ge(n, 6);
    /* A USSD code names no office; an unknown purpose gets nothing. */
    ck_assert_int_eq(issue_full(1, "land", NULL, NULL, NULL, NULL, T0, &r), 0);
    struct store_sms *m = kp_calloc(1, sizeof(*m));
    ck_assert_int_eq(store_sms_get(st, r.sms_id, m), 0);
    ck_assert_ptr_nonnull(strstr(m->body, "your code for land record is "));
    ck_assert_ptr_null(strstr(m->body, " at "));
    free(m);
    ck_assert_int_eq(issue_full(5, "pizza", NULL, NULL, NULL, NULL, T0, &r), -KP_ERR_INVAL);
}
END_TEST

static const struct {
    unsigned validity_s;
    const char *says;
} validity_texts[] = {
    {300, "Valid 5 minutes."},
    {60, "Valid 1 minute."},
    {600, "Valid 10 minutes."},
    {90, "Valid 1 minute."}, /* never more than the truth */
};

START_TEST(test_text_validity)
{
    struct codes_result r;
    struct store_sms *m = kp_calloc(1, sizeof(*m));

    pol.validity_s = validity_texts[_i].validity_s;
    codes_start();
    ck_assert_int_eq(issue(0, NULL, T0, &r), 0);
    ck_assert_int_eq(store_sms_get(st, r.sms_id, m), 0);
    ck_assert_msg(strstr(m->body, validity_texts[_i].says) != NULL, "%s", m->body);
    ck_assert_int_eq(m->expires_at, T0 + validity_texts[_i].validity_s);
    ck_assert_int_eq(r.expires_at, T0 + validity_texts[_i].validity_s);
    free(m);
}
END_TEST

/* ---- verify: expiry, single use, wrong tries ---- */

static const struct {
    int64_t after;
    int rc;
} expiry[] = {
    {0, 0},
    {1, 0},
    {299, 0},
    {300, -KP_ERR_EXPIRED},
    {301, -KP_ERR_EXPIRED},
    {86400, -KP_ERR_EXPIRED},
};

START_TEST(test_expiry)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE];

    ck_assert_int_eq(issue(0, NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(verify(0, code, T0 + expiry[_i].after, &r), expiry[_i].rc);
}
END_TEST

START_TEST(test_single_use)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE], spaced[16], wrong[OTP_CODE_SIZE];
    struct otp_lock lock;

    ck_assert_int_eq(issue(0, NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    snprintf(spaced, sizeof(spaced), " %.3s %.3s ", code, code + 3); /* as a person types it */
    ck_assert_int_eq(verify(0, spaced, T0 + 10, &r), 0);
    ck_assert_int_eq(verify(0, code, T0 + 11, &r), -KP_ERR_USED);
    wrong_of(code, wrong);
    ck_assert_int_eq(verify(0, wrong, T0 + 12, &r), -KP_ERR_USED);
    /* Tries on a used code count no failure. */
    ck_assert_int_eq(store_otp_lock_get(st, cid[0], &lock), 0);
    ck_assert_uint_eq(lock.failures, 0);
}
END_TEST

START_TEST(test_wrong_tries)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE], wrong[OTP_CODE_SIZE];
    const char *junk[] = {"12345", "1234567", "abcdef", ""};
    char ev[2048];

    ck_assert_int_eq(issue(0, NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    wrong_of(code, wrong);
    for (unsigned i = 0; i < 5; i++) {
        /* Malformed input is a wrong try like any other. */
        const char *typed = i < KP_ARRAY_LEN(junk) ? junk[i] : wrong;
        ck_assert_int_eq(verify(0, typed, T0 + 1 + i, &r), -KP_ERR_WRONG);
        ck_assert_uint_eq(r.tries_left, 4 - i);
    }
    /* Dead: even the right code fails now, and says why. */
    ck_assert_int_eq(verify(0, code, T0 + 10, &r), -KP_ERR_LIMIT);
    ck_assert_int_eq(verify(0, code, T0 + 11, &r), -KP_ERR_LIMIT);
    events_of(0, ev, sizeof(ev));
    ck_assert_str_eq(ev, "code.issued code.failed code.failed code.failed code.failed "
                         "code.failed code.failed code.failed");
    /* A new code (after the gap) works, and supersedes nothing it should not. */
    ck_assert_int_eq(issue(0, NULL, T0 + 60, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(verify(0, code, T0 + 61, &r), 0);
}
END_TEST

START_TEST(test_superseded)
{
    struct codes_result r;
    char first[OTP_CODE_SIZE], second[OTP_CODE_SIZE];

    ck_assert_int_eq(issue(0, NULL, T0, &r), 0);
    code_of(r.sms_id, first);
    ck_assert_int_eq(issue(0, NULL, T0 + 60, &r), 0);
    code_of(r.sms_id, second);
    if (strcmp(first, second) != 0) /* one in a million they are equal */
        ck_assert_int_eq(verify(0, first, T0 + 61, &r), -KP_ERR_WRONG);
    ck_assert_int_eq(verify(0, second, T0 + 62, &r), 0);
}
END_TEST

/* ---- issue limits: per CNIC and per MSISDN, 1 a minute and 5 an hour ---- */

enum step_kind { ISSUE, MOVE };

struct step {
    enum step_kind kind;
    int64_t at; /* seconds after T0 */
    int who;    /* ISSUE: the citizen; MOVE: the number's new owner */
    int num_of; /* the number: people[num_of].msisdn[num] (-1: the citizen's first) */
    int num;
    int rc;
    int64_t until; /* -KP_ERR_LIMIT: seconds after T0 */
};

#define STEPS_MAX 12
static const struct {
    const char *name;
    struct step s[STEPS_MAX];
} limits[] = {
    {"one a minute per CNIC, whatever the number",
     {{ISSUE, 0, 0, 0, 0, 0, 0},
      {ISSUE, 10, 0, 0, 1, -KP_ERR_LIMIT, 60},
      {ISSUE, 59, 0, 0, 1, -KP_ERR_LIMIT, 60},
      {ISSUE, 60, 0, 0, 1, 0, 0},
      {ISSUE, 61, 1, -1, 0, 0, 0}}}, /* another citizen is not held up */
    {"five an hour per CNIC",
     {{ISSUE, 0, 0, 0, 0, 0, 0},
      {ISSUE, 60, 0, 0, 1, 0, 0},
      {ISSUE, 120, 0, 0, 0, 0, 0},
      {ISSUE, 600, 0, 0, 1, 0, 0},
      {ISSUE, 1200, 0, 0, 0, 0, 0},
      {ISSUE, 1260, 0, 0, 1, -KP_ERR_LIMIT, 3600},
      {ISSUE, 3599, 0, 0, 0, -KP_ERR_LIMIT, 3600},
      {ISSUE, 3600, 0, 0, 0, 0, 0},                /* the one at 0 left the window */
      {ISSUE, 3630, 0, 0, 1, -KP_ERR_LIMIT, 3660}, /* both: the gap and the one at 60 */
      {ISSUE, 3660, 0, 0, 1, 0, 0}}},
    {"one a minute per MSISDN, whatever the citizen",
     {{ISSUE, 0, 0, 0, 0, 0, 0},
      {MOVE, 5, 1, 0, 0, 0, 0}, /* +923001234567 now belongs to citizen 1 */
      {ISSUE, 10, 1, 0, 0, -KP_ERR_LIMIT, 60},
      {ISSUE, 11, 1, 1, 0, 0, 0}, /* citizen 1's own old number is free */
      {ISSUE, 80, 1, 0, 0, 0, 0}}},
    {"five an hour per MSISDN, whatever the citizen",
     {{ISSUE, 0, 0, 0, 0, 0, 0},
      {MOVE, 1, 1, 0, 0, 0, 0},
      {ISSUE, 60, 1, 0, 0, 0, 0},
      {MOVE, 61, 0, 0, 0, 0, 0},
      {ISSUE, 120, 0, 0, 0, 0, 0},
      {MOVE, 121, 1, 0, 0, 0, 0},
      {ISSUE, 180, 1, 0, 0, 0, 0},
      {MOVE, 181, 0, 0, 0, 0, 0},
      {ISSUE, 240, 0, 0, 0, 0, 0},
      {MOVE, 241, 1, 0, 0, 0, 0},
      {ISSUE, 300, 1, 0, 0, -KP_ERR_LIMIT, 3600}, /* citizen 1 has had only 2 */
      {ISSUE, 3600, 1, 0, 0, 0, 0}}},
    {"the limit is per citizen, not per purpose or office",
     {{ISSUE, 0, 0, 0, 0, 0, 0}, {ISSUE, 30, 0, -2, 0, -KP_ERR_LIMIT, 60}}},
};

START_TEST(test_limits)
{
    int64_t issued = 0, before = outbox_count();

    for (int i = 0; i < STEPS_MAX; i++) {
        const struct step *s = &limits[_i].s[i];
        struct codes_result r;
        const char *num;
        int rc;
        if (i > 0 && s->at == 0)
            break;
        num = s->num_of >= 0 ? people[s->num_of].msisdn[s->num] : NULL;
        if (s->kind == MOVE) {
            for (size_t k = 0; k < KP_ARRAY_LEN(people); k++)
                registry_citizen_unlink(reg, cid[k], num, "kpass", T0 + s->at);
            ck_assert_int_eq(registry_citizen_link(reg, cid[s->who], num, "kpass", T0 + s->at), 1);
            continue;
        }
        if (s->num_of == -2) /* another purpose, at an office */
            rc = issue_full(s->who, "sehat", "PSH-DC", "Peshawar DC Office", "D1", NULL, T0 + s->at,
                            &r);
        else
            rc = issue(s->who, num, T0 + s->at, &r);
        ck_assert_msg(rc == s->rc, "%s, step %d: rc %d, want %d", limits[_i].name, i, rc, s->rc);
        if (rc == -KP_ERR_LIMIT)
            ck_assert_msg(r.until == T0 + s->until, "%s, step %d: until T0+%lld, want T0+%lld",
                          limits[_i].name, i, (long long)(r.until - T0), (long long)s->until);
        if (rc == 0)
            issued++;
    }
    /* Only what was issued was queued. */
    ck_assert_int_eq(outbox_count() - before, issued);
}
END_TEST

/* ---- lockout: 10 consecutive failures, doubling ---- */

/* n wrong tries for who (citizen 0 or 1), issuing a fresh code whenever
   the live one is dead or expired; *t advances.  Returns the last result. */
static int fail_times(int who, unsigned n, int64_t *t, struct codes_result *r)
{
    int rc = 0;

    for (unsigned i = 0; i < n; i++) {
        if (live_left == 0 || *t + 1 >= live_at + pol.validity_s) {
            char code[OTP_CODE_SIZE];
            if (*t < last_issued + 60)
                *t = last_issued + 60;
            ck_assert_int_eq(issue(who, NULL, *t, r), 0);
            code_of(r->sms_id, code);
            wrong_of(code, live_wrong);
            live_left = 5;
            live_at = *t;
        }
        rc = verify(who, live_wrong, ++*t, r);
        live_left--;
    }
    return rc;
}

START_TEST(test_lockout_doubles)
{
    static const uint32_t lengths[] = {3600, 7200, 14400, 28800};
    struct codes_result r;
    struct otp_lock lock;
    char code[OTP_CODE_SIZE];
    int64_t t = T0;

    for (unsigned k = 0; k < KP_ARRAY_LEN(lengths); k++) {
        /* Nine failures: not yet. */
        ck_assert_int_eq(fail_times(0, 9, &t, &r), -KP_ERR_WRONG);
        /* The tenth locks out, for lockout_s << k. */
        ck_assert_int_eq(fail_times(0, 1, &t, &r), -KP_ERR_LOCKED);
        ck_assert_int_eq(r.until, t + lengths[k]);
        int64_t until = r.until;
        /* While locked: no code is issued, no code is accepted (not even the right one). */
        ck_assert_int_eq(issue(0, NULL, t + 1, &r), -KP_ERR_LOCKED);
        ck_assert_int_eq(r.until, until);
        ck_assert_int_eq(issue(0, NULL, until - 1, &r), -KP_ERR_LOCKED);
        ck_assert_int_eq(verify(0, "000000", until - 1, &r), -KP_ERR_LOCKED);
        ck_assert_int_eq(r.until, until);
        ck_assert_int_eq(store_otp_lock_get(st, cid[0], &lock), 0);
        ck_assert_uint_eq(lock.lockouts, k + 1);
        ck_assert_uint_eq(lock.failures, 0);
        t = until;
    }
    /* Another citizen was never affected. */
    ck_assert_int_eq(issue(1, NULL, t, &r), 0);
    /* A success ends the escalation. */
    ck_assert_int_eq(issue(0, NULL, t, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(verify(0, code, t + 1, &r), 0);
    ck_assert_int_eq(store_otp_lock_get(st, cid[0], &lock), 0);
    ck_assert_uint_eq(lock.lockouts, 0);
    ck_assert_uint_eq(lock.failures, 0);
    ck_assert_int_eq(lock.locked_until, 0);
    t += 60;
    ck_assert_int_eq(fail_times(0, 10, &t, &r), -KP_ERR_LOCKED);
    ck_assert_int_eq(r.until, t + 3600);
}
END_TEST

START_TEST(test_lockout_consecutive)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE];
    int64_t t = T0;

    /* Nine failures, then a success: the count starts again. */
    ck_assert_int_eq(fail_times(0, 9, &t, &r), -KP_ERR_WRONG);
    t += 60;
    ck_assert_int_eq(issue(0, NULL, t, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(verify(0, code, t + 1, &r), 0);
    t += 2;
    ck_assert_int_eq(fail_times(0, 9, &t, &r), -KP_ERR_WRONG);
}
END_TEST

START_TEST(test_lockout_try_counts_on_code)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE], wrong[OTP_CODE_SIZE];
    int64_t t = T0;

    /* A lockout shorter than a code's life: the try that locked the
       citizen out still counts against the code. */
    pol.lockout_after = 7;
    pol.lockout_s = 60;
    pol.validity_s = 600;
    codes_start();
    ck_assert_int_eq(fail_times(0, 5, &t, &r), -KP_ERR_WRONG); /* first code dead */
    t += 60;
    ck_assert_int_eq(issue(0, NULL, t, &r), 0);
    code_of(r.sms_id, code);
    wrong_of(code, wrong);
    ck_assert_int_eq(verify(0, wrong, t + 1, &r), -KP_ERR_WRONG);
    ck_assert_uint_eq(r.tries_left, 4);
    ck_assert_int_eq(verify(0, wrong, t + 2, &r), -KP_ERR_LOCKED); /* 7th failure */
    ck_assert_int_eq(r.until, t + 2 + 60);
    ck_assert_int_eq(verify(0, wrong, t + 70, &r), -KP_ERR_WRONG);
    ck_assert_uint_eq(r.tries_left, 2);
}
END_TEST

/* ---- binding: purpose, office, desk ---- */

static const struct {
    int who;
    const char *purpose, *office, *desk;
    int rc;
} bindings[] = {
    {0, "sehat", "PSH-DC", "D2", -KP_ERR_NOTFOUND}, /* another desk */
    {0, "sehat", "MRD-DC", "D1", -KP_ERR_NOTFOUND}, /* another office */
    {0, "sehat", NULL, NULL, -KP_ERR_NOTFOUND},     /* over USSD */
    {0, "sehat", "PSH-DC", NULL, -KP_ERR_NOTFOUND}, /* the office, no desk */
    {0, "land", "PSH-DC", "D1", -KP_ERR_NOTFOUND},  /* another purpose */
    {1, "sehat", "PSH-DC", "D1", -KP_ERR_NOTFOUND}, /* another citizen */
    {0, "sehat", "PSH-DC", "D1", 0},
};

START_TEST(test_binding)
{
    struct codes_result r;
    struct otp_lock lock;
    char code[OTP_CODE_SIZE];

    ck_assert_int_eq(issue_full(0, "sehat", "PSH-DC", "Peshawar DC Office", "D1", NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    for (size_t i = 0; i < KP_ARRAY_LEN(bindings); i++)
        ck_assert_msg(verify_full(bindings[i].who, bindings[i].purpose, bindings[i].office,
                                  bindings[i].desk, code, T0 + 1 + (int64_t)i,
                                  &r) == bindings[i].rc,
                      "binding %zu", i);
    /* None of the refusals counted as a failure. */
    ck_assert_int_eq(store_otp_lock_get(st, cid[0], &lock), 0);
    ck_assert_uint_eq(lock.failures, 0);
    /* A code asked for over USSD is not accepted at a desk. */
    ck_assert_int_eq(issue(1, NULL, T0 + 100, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(verify_full(1, "identity", "PSH-DC", "D1", code, T0 + 101, &r),
                     -KP_ERR_NOTFOUND);
    ck_assert_int_eq(verify(1, code, T0 + 102, &r), 0);
}
END_TEST

START_TEST(test_binding_in_hash)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE];
    sqlite3 *db;

    /* Someone who can write to the database moves a code to another
       office: the hash covers the binding, so the code no longer matches. */
    ck_assert_int_eq(issue_full(0, "sehat", "PSH-DC", "Peshawar DC Office", "D1", NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE otp_code SET office = 'MRD-DC'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_int_eq(verify_full(0, "sehat", "MRD-DC", "D1", code, T0 + 1, &r), -KP_ERR_WRONG);
}
END_TEST

/* ---- who gets a code ---- */

static const struct {
    int who;            /* -1: no such citizen */
    const char *msisdn; /* asked for; NULL: the registered one */
    int rc;
    const char *dest; /* where it went */
} dests[] = {
    {0, NULL, 0, "+923001234567"},              /* the first registered number */
    {0, "+923331234568", 0, "+923331234568"},   /* another registered number */
    {0, "+923009999999", -KP_ERR_DENIED, NULL}, /* a number nobody registered */
    {0, "+923451112223", -KP_ERR_DENIED, NULL}, /* another citizen's number */
    {2, NULL, -KP_ERR_DENIED, NULL},            /* blocked */
    {3, NULL, -KP_ERR_DENIED, NULL},            /* deceased */
    {4, NULL, -KP_ERR_NOTFOUND, NULL},          /* no registered number */
    {-1, NULL, -KP_ERR_NOTFOUND, NULL},         /* no such citizen */
};

START_TEST(test_destination)
{
    struct codes_result r;
    struct store_otp row;
    int who = dests[_i].who;
    int rc = issue(who, dests[_i].msisdn, T0, &r);

    ck_assert_int_eq(rc, dests[_i].rc);
    if (rc == 0) {
        struct store_sms *m = kp_calloc(1, sizeof(*m));
        char masked[MSISDN_SIZE];
        ck_assert_int_eq(store_sms_get(st, r.sms_id, m), 0);
        ck_assert_str_eq(m->msisdn, dests[_i].dest);
        msisdn_mask(dests[_i].dest, masked);
        ck_assert_str_eq(r.msisdn_masked, masked);
        free(m);
        return;
    }
    /* Nothing queued, nothing stored. */
    ck_assert_int_eq(outbox_count(), 0);
    if (who >= 0)
        ck_assert_int_eq(store_otp_latest(st, cid[who], "identity", NULL, NULL, &row),
                         -KP_ERR_NOTFOUND);
}
END_TEST

START_TEST(test_blocked_after_issue)
{
    struct codes_result r;
    char code[OTP_CODE_SIZE];

    /* A citizen blocked (or reported dead) after a code went out: the
       code is no longer accepted. */
    ck_assert_int_eq(issue(0, NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, cid[0], STORE_CITIZEN_BLOCKED, NULL, "kpass", T0 + 1), 1);
    ck_assert_int_eq(verify(0, code, T0 + 2, &r), -KP_ERR_DENIED);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, cid[0], STORE_CITIZEN_ACTIVE, NULL, "kpass", T0 + 3), 1);
    ck_assert_int_eq(verify(0, code, T0 + 4, &r), 0);
}
END_TEST

/* ---- the code is never in the database once its message is final ---- */

/* Does the file hold these octets? */
static int file_has(const char *file, const char *needle)
{
    size_t n, k = strlen(needle);
    uint8_t *b = tu_read_file(file, &n);
    int found = 0;

    if (b == NULL)
        return 0;
    for (size_t i = 0; i + k <= n && !found; i++)
        found = memcmp(b + i, needle, k) == 0;
    free(b);
    return found;
}

static void store_reopen(void)
{
    codes_free(svc);
    svc = NULL;
    registry_free(reg);
    store_close(st); /* the last connection: the WAL is checkpointed and removed */
    ck_assert_int_eq(tu_store_open(path, 0, &st), 0);
    reg = registry_new(st);
    ck_assert_int_eq(registry_use_key(reg, cnic_key), 0);
    audit_use_key(st, audit_key);
    codes_start();
}

static const enum sms_state finals[] = {SMS_DELIVERED, SMS_UNDELIVERABLE, SMS_EXPIRED, SMS_FAILED};

START_TEST(test_hash_only)
{
    struct codes_result r;
    struct store_otp row;
    struct store_sms *m = kp_calloc(1, sizeof(*m));
    char code[OTP_CODE_SIZE], wal[600];
    uint8_t h[OTP_HASH_BYTES];
    char c0[24];

    ck_assert_int_eq(issue_full(0, "sehat", "PSH-DC", "Peshawar DC Office", "D1", NULL, T0, &r), 0);
    code_of(r.sms_id, code);
    /* The stored form: the keyed hash over the code and the binding. */
    ck_assert_int_eq(store_otp_latest(st, cid[0], "sehat", "PSH-DC", "D1", &row), 0);
    snprintf(c0, sizeof(c0), "%lld", (long long)cid[0]);
    struct otp_binding b = {c0, "sehat", "PSH-DC", "D1"};
    ck_assert_int_eq(otp_code_hash(otp_key, code, &b, h), 0);
    ck_assert_mem_eq(row.hash, h, OTP_HASH_BYTES);
    /* While its message waits, its text is in the outbox (the scan finds
       it), and the code is not: it is sealed apart. */
    store_reopen();
    ck_assert_msg(file_has(path, "your code for"), "the scan does not work");
    ck_assert_msg(!file_has(path, code), "code %s in %s while it waits", code, path);
    /* A final state: the text is scrubbed, and the code is nowhere in the file. */
    store_batch(st);
    ck_assert_int_ge(store_sms_update(st, r.sms_id, finals[_i], 1, T0 + 5, 0, 0, T0 + 5), 0);
    ck_assert_int_eq(store_sms_scrub(st, T0 + 5), 1);
    store_flush(st);
    ck_assert_int_eq(store_sms_get(st, r.sms_id, m), 0);
    ck_assert(m->scrubbed);
    ck_assert_str_eq(m->body, "");
    store_reopen();
    ck_assert_msg(!file_has(path, code), "code %s still in %s", code, path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    ck_assert(!file_has(wal, code));
    /* The code still verifies: the hash is all it takes. */
    ck_assert_int_eq(verify_full(0, "sehat", "PSH-DC", "D1", code, T0 + 10, &r), 0);
    free(m);
}
END_TEST

/* ---- the audit rows ---- */

/* Refuse any trace of a code, a full CNIC or a full MSISDN in s. */
static void assert_clean(const char *s, char codes_seen[][OTP_CODE_SIZE], int ncodes)
{
    for (int i = 0; i < ncodes; i++)
        ck_assert_msg(strstr(s, codes_seen[i]) == NULL, "code in '%s'", s);
    for (size_t i = 0; i < KP_ARRAY_LEN(people); i++) {
        char formatted[CNIC_TEXT_SIZE];
        cnic_format(people[i].cnic, formatted);
        ck_assert_msg(strstr(s, people[i].cnic) == NULL, "CNIC in '%s'", s);
        ck_assert_msg(strstr(s, formatted) == NULL, "CNIC in '%s'", s);
        for (int k = 0; k < 2 && people[i].msisdn[k]; k++)
            /* "3001234567": the national significant number, with or without +92 / 0 */
            ck_assert_msg(strstr(s, people[i].msisdn[k] + 3) == NULL, "MSISDN in '%s'", s);
    }
}

START_TEST(test_audit)
{
    struct codes_result r;
    char seen[8][OTP_CODE_SIZE], wrong[OTP_CODE_SIZE], ev[4096];
    struct store_citizen c = citizen(0);
    struct store_audit_filter f = {NULL, NULL, 0, 0, 1000};
    struct store_audit_row *v;
    struct audit_report rep;
    int ns = 0, n;

    ck_assert_int_eq(issue_full(0, "sehat", "PSH-DC", "Peshawar DC Office", "D1", NULL, T0, &r), 0);
    code_of(r.sms_id, seen[ns++]);
    wrong_of(seen[0], wrong);
    ck_assert_int_eq(verify_full(0, "sehat", "PSH-DC", "D1", wrong, T0 + 1, &r), -KP_ERR_WRONG);
    ck_assert_int_eq(verify_full(0, "sehat", "PSH-DC", "D1", seen[0], T0 + 2, &r), 0);
    ck_assert_int_eq(verify_full(0, "sehat", "PSH-DC", "D1", seen[0], T0 + 3, &r), -KP_ERR_USED);
    ck_assert_int_eq(issue(0, "+923331234568", T0 + 4, &r), -KP_ERR_LIMIT);
    ck_assert_int_eq(issue(0, "+923009999999", T0 + 70, &r), -KP_ERR_DENIED);
    int64_t t = T0 + 100;
    ck_assert_int_eq(fail_times(0, 10, &t, &r), -KP_ERR_LOCKED);
    ck_assert_int_eq(issue(0, NULL, t + 1, &r), -KP_ERR_LOCKED);

    events_of(0, ev, sizeof(ev));
    ck_assert_str_eq(ev, "code.issued code.failed code.verified code.failed code.limited "
                         "code.refused "
                         "code.issued code.failed code.failed code.failed code.failed code.failed "
                         "code.issued code.failed code.failed code.failed code.failed code.locked "
                         "code.locked");
    /* Every row: the citizen by index, and nothing to identify a code, a CNIC or a number. */
    n = store_audit_list(st, &f, &v);
    ck_assert_int_gt(n, 19);
    for (int i = 0; i < n; i++) {
        if (strncmp(v[i].event, "code.", 5) != 0)
            continue;
        ck_assert(v[i].has_subject);
        ck_assert_mem_eq(v[i].subject, c.cnic_index, CNIC_INDEX_BYTES);
        ck_assert_str_eq(v[i].actor, "test");
        assert_clean(v[i].detail, seen, ns);
        ck_assert_msg(strstr(v[i].detail, "purpose=") == v[i].detail, "%s", v[i].detail);
        if (strcmp(v[i].event, "code.issued") == 0 && strstr(v[i].detail, "office=PSH-DC"))
            ck_assert_str_eq(v[i].detail, "purpose=sehat office=PSH-DC desk=D1 to=+92300****567");
    }
    free(v);
    ck_assert_int_eq(audit_verify(st, &rep), 0);
}
END_TEST

Suite *suite_codes(void)
{
    Suite *s = suite_create("codes");
    TCase *tc;

    if (sodium_init() < 0)
        abort();
    tc = tcase_create("issue");
    tcase_add_checked_fixture(tc, codes_setup, codes_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_text_per_purpose);
    tcase_add_loop_test(tc, test_text_validity, 0, (int)KP_ARRAY_LEN(validity_texts));
    tcase_add_loop_test(tc, test_limits, 0, (int)KP_ARRAY_LEN(limits));
    tcase_add_loop_test(tc, test_destination, 0, (int)KP_ARRAY_LEN(dests));
    suite_add_tcase(s, tc);
    tc = tcase_create("verify");
    tcase_add_checked_fixture(tc, codes_setup, codes_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_expiry, 0, (int)KP_ARRAY_LEN(expiry));
    tcase_add_test(tc, test_single_use);
    tcase_add_test(tc, test_wrong_tries);
    tcase_add_test(tc, test_superseded);
    tcase_add_test(tc, test_lockout_doubles);
    tcase_add_test(tc, test_lockout_consecutive);
    tcase_add_test(tc, test_lockout_try_counts_on_code);
    tcase_add_test(tc, test_binding);
    tcase_add_test(tc, test_binding_in_hash);
    tcase_add_test(tc, test_blocked_after_issue);
    suite_add_tcase(s, tc);
    tc = tcase_create("traces");
    tcase_add_checked_fixture(tc, codes_setup, codes_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_hash_only, 0, (int)KP_ARRAY_LEN(finals));
    tcase_add_test(tc, test_audit);
    suite_add_tcase(s, tc);
    return s;
}
