/* SPDX-License-Identifier: ISC */
/*
 * One-time codes: generation, typed-code parsing, the keyed hash (vectors
 * computed independently with Python's hashlib.blake2b over the documented
 * encoding) and its binding to citizen, purpose, office and desk; then
 * every policy rule as a table: issue limits per CNIC and per MSISDN,
 * lockout and its doubling, and each verify outcome in order.
 */
#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/otp.h"
#include "testutil.h"

static void otp_test_key(uint8_t key[OTP_KEY_BYTES])
{
    for (int i = 0; i < OTP_KEY_BYTES; i++)
        key[i] = (uint8_t)i;
}

START_TEST(test_otp_generate)
{
    char code[OTP_CODE_SIZE], first[OTP_CODE_SIZE];
    int same = 0, leading_zero = 0;

    otp_code_generate(first);
    for (int i = 0; i < 2000; i++) {
        otp_code_generate(code);
        ck_assert_uint_eq(strlen(code), 6);
        ck_assert_uint_eq(strspn(code, "0123456789"), 6);
        same += strcmp(code, first) == 0;
        leading_zero += code[0] == '0';
    }
    /* Uniform over 10^6: a repeat of one value in 2000 draws is rare, and
       about a tenth of the codes start with 0 (zero-padded, not dropped). */
    ck_assert_int_le(same, 2);
    ck_assert_int_gt(leading_zero, 100);
    ck_assert_int_lt(leading_zero, 320);
}
END_TEST

static const struct {
    const char *in;
    const char *code; /* NULL: refused */
} otp_parse_cases[] = {
    {"004217", "004217"}, {" 123456 ", "123456"}, {"123 456", "123456"}, {"123-456", "123456"},
    {"12345", NULL},      {"1234567", NULL},      {"12345a", NULL},      {"", NULL},
    {"123  456", NULL},   {"-123456", NULL},      {"123456-", NULL},     {"１２３４５６", NULL},
};

START_TEST(test_otp_parse)
{
    char code[OTP_CODE_SIZE];
    const char *in = otp_parse_cases[_i].in;
    int rc = otp_code_parse(in, strlen(in), code);

    if (otp_parse_cases[_i].code == NULL) {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(code, otp_parse_cases[_i].code);
    }
}
END_TEST

START_TEST(test_otp_hash_vectors)
{
    uint8_t key[OTP_KEY_BYTES], h[OTP_HASH_BYTES], want[OTP_HASH_BYTES];
    struct otp_binding desk = {"17", "tax", "3", "9"}, ussd = {"17", "tax", NULL, NULL};

    otp_test_key(key);
    ck_assert_int_eq(otp_code_hash(key, "004217", &desk, h), 0);
    tu_hex("4ccda27278d75ecbfbe98d40de18883806180dd1b8af63fbaae54de407a7b430", want, 32);
    ck_assert_mem_eq(h, want, 32);
    ck_assert_int_eq(otp_code_hash(key, "004217", &ussd, h), 0);
    tu_hex("af40800a2299f80fc0da7f1423a6ecb56294978602e2666c6b077b11f33d7ff5", want, 32);
    ck_assert_mem_eq(h, want, 32);
    ck_assert_int_eq(otp_code_verify(key, "004217", &ussd, want), 0);
}
END_TEST

/* A code for one binding verifies for no other. */
static const struct {
    const char *code;
    struct otp_binding b;
} otp_others[] = {
    {"004218", {"17", "tax", "3", "9"}},    {"004217", {"18", "tax", "3", "9"}},
    {"004217", {"17", "health", "3", "9"}}, {"004217", {"17", "tax", "4", "9"}},
    {"004217", {"17", "tax", "3", "8"}},    {"004217", {"17", "tax", "3", NULL}},
    {"004217", {"17", "tax", NULL, NULL}},  {"004217", {"17", "tax", "", ""}},
    {"004217", {"17", "tax", "39", NULL}}, /* ("3","9") vs ("39", none) */
    {"004217", {"17", "tax3", "9", NULL}}, /* field boundaries move */
    {"004217", {"1", "7tax", "3", "9"}},    {"004217", {"17tax", "3", "9", NULL}},
};

START_TEST(test_otp_binding)
{
    uint8_t key[OTP_KEY_BYTES], h[OTP_HASH_BYTES], other[OTP_HASH_BYTES];
    struct otp_binding b = {"17", "tax", "3", "9"};

    otp_test_key(key);
    ck_assert_int_eq(otp_code_hash(key, "004217", &b, h), 0);
    ck_assert_int_eq(otp_code_verify(key, "004217", &b, h), 0);
    ck_assert_int_eq(otp_code_verify(key, otp_others[_i].code, &otp_others[_i].b, h),
                     -KP_ERR_WRONG);
    ck_assert_int_eq(otp_code_hash(key, otp_others[_i].code, &otp_others[_i].b, other), 0);
    ck_assert_int_ne(memcmp(h, other, 32), 0);
}
END_TEST

START_TEST(test_otp_hash_errors)
{
    uint8_t key[OTP_KEY_BYTES], h[OTP_HASH_BYTES], k2[OTP_KEY_BYTES];
    char long_id[OTP_FIELD_MAX + 2];
    struct otp_binding ok = {"17", "tax", NULL, NULL};
    struct otp_binding bad[] = {
        {NULL, "tax", NULL, NULL}, {"", "tax", NULL, NULL},  {"17", NULL, NULL, NULL},
        {"17", "", NULL, NULL},    {"17", "tax", NULL, "9"},
    };

    otp_test_key(key);
    for (size_t i = 0; i < KP_ARRAY_LEN(bad); i++)
        ck_assert_int_eq(otp_code_hash(key, "123456", &bad[i], h), -KP_ERR_INVAL);
    ck_assert_int_eq(otp_code_hash(key, "12345", &ok, h), -KP_ERR_PARSE);
    ck_assert_int_eq(otp_code_hash(key, "1234567", &ok, h), -KP_ERR_PARSE);
    ck_assert_int_eq(otp_code_hash(key, "12345x", &ok, h), -KP_ERR_PARSE);
    memset(long_id, '7', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    struct otp_binding lng = {long_id, "tax", NULL, NULL};
    ck_assert_int_eq(otp_code_hash(key, "123456", &lng, h), -KP_ERR_TOOLONG);
    long_id[OTP_FIELD_MAX] = '\0';
    ck_assert_int_eq(otp_code_hash(key, "123456", &lng, h), 0);
    /* A malformed code or another key never verifies. */
    ck_assert_int_eq(otp_code_hash(key, "123456", &ok, h), 0);
    ck_assert_int_eq(otp_code_verify(key, "12345", &ok, h), -KP_ERR_WRONG);
    memcpy(k2, key, sizeof(k2));
    k2[31] ^= 1;
    ck_assert_int_eq(otp_code_verify(k2, "123456", &ok, h), -KP_ERR_WRONG);
}
END_TEST

/* Rate limits of one subject: 1 per 60 s, 5 per 3600 s. */
static const struct {
    int64_t recent[6]; /* newest first */
    size_t n;
    int64_t now;
    int rc;
    int64_t until;
} rate_cases[] = {
    {{0}, 0, 1000, 0, 0},
    {{1000}, 1, 1059, -KP_ERR_LIMIT, 1060},
    {{1000}, 1, 1060, 0, 0},
    {{1000}, 1, 1000, -KP_ERR_LIMIT, 1060},
    {{1000, 900, 800, 700}, 4, 1060, 0, 0},                     /* 4 in the hour: fine */
    {{1000, 900, 800, 700, 600}, 5, 1060, -KP_ERR_LIMIT, 4200}, /* 5th oldest + 3600 */
    {{1000, 900, 800, 700, 600}, 5, 4199, -KP_ERR_LIMIT, 4200},
    {{1000, 900, 800, 700, 600}, 5, 4200, 0, 0},
    {{4000, 900, 800, 700, 600}, 5, 4030, -KP_ERR_LIMIT, 4200}, /* both rules: the later */
    {{4190, 900, 800, 700, 600}, 5, 4200, -KP_ERR_LIMIT, 4250},
    {{1000, 900, 800, 700, 600, 500}, 6, 4150, -KP_ERR_LIMIT, 4200},
    {{1000, 900, 800, 700, 600, 500}, 6, 4200, 0, 0}, /* the 6th is ignored */
    {{1000, 900, 800, 700, -3000}, 5, 1060, 0, 0},    /* the 5th left the hour */
};

/* Issue times (newest first) as the store counts them at now. */
static struct otp_recent recent_of(const struct otp_policy *p, const int64_t *t, size_t n,
                                   int64_t now)
{
    struct otp_recent r = {0, 0, 0};

    for (size_t i = 0; i < n; i++) {
        if (t[i] < now - (int64_t)p->issue_window_s)
            continue;
        if (r.count == 0)
            r.newest = t[i];
        if (++r.count == p->issue_window_max)
            r.nth = t[i];
    }
    return r;
}

START_TEST(test_otp_rate)
{
    struct otp_policy p;
    int64_t until = -1;

    otp_policy_default(&p);
    struct otp_recent r =
        recent_of(&p, rate_cases[_i].recent, rate_cases[_i].n, rate_cases[_i].now);
    ck_assert_int_eq(otp_rate_check(&p, &r, rate_cases[_i].now, &until), rate_cases[_i].rc);
    if (rate_cases[_i].rc < 0)
        ck_assert_int_eq(until, rate_cases[_i].until);
}
END_TEST

START_TEST(test_otp_issue)
{
    struct otp_policy p;
    struct otp_verdict v;
    struct otp_lock lock = {0, 1, 5000};
    const int64_t cnic_t[5] = {1000, 900, 800, 700, 600}, phone_t[1] = {4190};
    struct otp_recent none = {0, 0, 0}, cnic, phone;

    otp_policy_default(&p);
    ck_assert_int_eq(otp_issue_check(&p, NULL, &none, NULL, 1000, &v), 0);
    /* Locked: the lockout wins over everything and names its end. */
    ck_assert_int_eq(otp_issue_check(&p, &lock, &none, &none, 4999, &v), -KP_ERR_LOCKED);
    ck_assert_int_eq(v.until, 5000);
    ck_assert_int_eq(otp_issue_check(&p, &lock, &none, &none, 5000, &v), 0);
    /* Per CNIC and per MSISDN: either one limits, the later end is reported. */
    cnic = recent_of(&p, cnic_t, 5, 1100);
    ck_assert_int_eq(otp_issue_check(&p, NULL, &cnic, &none, 1100, &v), -KP_ERR_LIMIT);
    ck_assert_int_eq(v.until, 4200);
    ck_assert_int_eq(otp_issue_check(&p, NULL, &none, &cnic, 1100, &v), -KP_ERR_LIMIT);
    ck_assert_int_eq(v.until, 4200);
    cnic = recent_of(&p, cnic_t, 5, 4199);
    phone = recent_of(&p, phone_t, 1, 4199);
    ck_assert_int_eq(otp_issue_check(&p, NULL, &cnic, &phone, 4199, &v), -KP_ERR_LIMIT);
    ck_assert_int_eq(v.until, 4250);
    cnic = recent_of(&p, cnic_t, 5, 4250);
    phone = recent_of(&p, phone_t, 1, 4250);
    ck_assert_int_eq(otp_issue_check(&p, NULL, &cnic, &phone, 4250, &v), 0);
    /* Any window size is enforced: 1000 issues in the hour, the 1000th of
       them decides (a list of the newest 8 used to cap the limit). */
    p.issue_gap_s = 0;
    p.issue_window_max = 1000;
    cnic.count = 999;
    cnic.newest = 4000;
    cnic.nth = 0;
    ck_assert_int_eq(otp_issue_check(&p, NULL, &cnic, NULL, 4000, &v), 0);
    cnic.count = 1000;
    cnic.nth = 1000;
    ck_assert_int_eq(otp_issue_check(&p, NULL, &cnic, NULL, 4000, &v), -KP_ERR_LIMIT);
    ck_assert_int_eq(v.until, 4600);
}
END_TEST

static const struct {
    uint32_t n;
    uint32_t len;
} lockout_lengths[] = {
    {0, 3600},     {1, 7200},     {2, 14400},      {3, 28800},   {4, 57600},    {5, 115200},
    {6, 230400},   {7, 460800},   {8, 921600},     {9, 1843200}, {10, 2592000}, /* capped at 30 days
                                                                                 */
    {31, 2592000}, {32, 2592000}, {1000, 2592000},
};

START_TEST(test_otp_lockout_length)
{
    struct otp_policy p;

    otp_policy_default(&p);
    ck_assert_uint_eq(otp_lockout_length(&p, lockout_lengths[_i].n), lockout_lengths[_i].len);
}
END_TEST

/* Each verify outcome, in the documented order of checks. */
static const struct {
    const char *what;
    struct otp_code_state code;
    int has_code;
    struct otp_lock lock;
    int matched;
    int64_t now;
    int rc;
    uint32_t tries_left;
    struct otp_code_state code_after;
    struct otp_lock lock_after;
} verify_cases[] = {
    {"ok", {1000, 0, 0}, 1, {3, 2, 500}, 1, 1299, 0, 0, {1000, 0, 1}, {0, 0, 0}},
    {"ok after wrong tries", {1000, 4, 0}, 1, {9, 0, 0}, 1, 1100, 0, 0, {1000, 4, 1}, {0, 0, 0}},
    {"wrong", {1000, 0, 0}, 1, {0, 0, 0}, 0, 1100, -KP_ERR_WRONG, 4, {1000, 1, 0}, {1, 0, 0}},
    {"last try", {1000, 4, 0}, 1, {4, 0, 0}, 0, 1100, -KP_ERR_WRONG, 0, {1000, 5, 0}, {5, 0, 0}},
    {"dead", {1000, 5, 0}, 1, {5, 0, 0}, 1, 1100, -KP_ERR_LIMIT, 0, {1000, 5, 0}, {5, 0, 0}},
    {"expired", {1000, 0, 0}, 1, {0, 0, 0}, 1, 1300, -KP_ERR_EXPIRED, 0, {1000, 0, 0}, {0, 0, 0}},
    {"expired, wrong",
     {1000, 0, 0},
     1,
     {2, 0, 0},
     0,
     1300,
     -KP_ERR_EXPIRED,
     0,
     {1000, 0, 0},
     {2, 0, 0}},
    {"used", {1000, 0, 1}, 1, {0, 0, 0}, 1, 1100, -KP_ERR_USED, 0, {1000, 0, 1}, {0, 0, 0}},
    {"used beats expired",
     {1000, 0, 1},
     1,
     {0, 0, 0},
     1,
     9999,
     -KP_ERR_USED,
     0,
     {1000, 0, 1},
     {0, 0, 0}},
    {"no code", {0, 0, 0}, 0, {1, 0, 0}, 0, 1100, -KP_ERR_NOTFOUND, 0, {0, 0, 0}, {1, 0, 0}},
    {"locked",
     {1000, 0, 0},
     1,
     {0, 1, 2000},
     1,
     1100,
     -KP_ERR_LOCKED,
     0,
     {1000, 0, 0},
     {0, 1, 2000}},
    {"lock ended", {1000, 0, 0}, 1, {0, 1, 1100}, 1, 1100, 0, 0, {1000, 0, 1}, {0, 0, 0}},
    {"10th failure locks 1 h",
     {1000, 1, 0},
     1,
     {9, 0, 0},
     0,
     1100,
     -KP_ERR_LOCKED,
     3,
     {1000, 2, 0},
     {0, 1, 4700}},
    {"repeat: 2 h",
     {1000, 0, 0},
     1,
     {9, 1, 900},
     0,
     1100,
     -KP_ERR_LOCKED,
     4,
     {1000, 1, 0},
     {0, 2, 8300}},
    {"third: 4 h",
     {1000, 0, 0},
     1,
     {9, 2, 900},
     0,
     1100,
     -KP_ERR_LOCKED,
     4,
     {1000, 1, 0},
     {0, 3, 15500}},
};

START_TEST(test_otp_verify)
{
    struct otp_policy p;
    struct otp_verdict v;
    struct otp_code_state code = verify_cases[_i].code;
    struct otp_lock lock = verify_cases[_i].lock;
    int rc;

    otp_policy_default(&p);
    rc = otp_verify_decide(&p, verify_cases[_i].has_code ? &code : NULL, &lock,
                           verify_cases[_i].matched, verify_cases[_i].now, &v);
    ck_assert_msg(rc == verify_cases[_i].rc, "%s: rc %d", verify_cases[_i].what, rc);
    if (rc == -KP_ERR_WRONG || (rc == -KP_ERR_LOCKED && v.lockout_started))
        ck_assert_uint_eq(v.tries_left, verify_cases[_i].tries_left);
    if (rc == -KP_ERR_LOCKED)
        ck_assert_int_eq(v.until, verify_cases[_i].lock_after.locked_until);
    ck_assert_int_eq(v.lockout_started,
                     verify_cases[_i].lock_after.lockouts > verify_cases[_i].lock.lockouts);
    ck_assert_msg(memcmp(&code, &verify_cases[_i].code_after, sizeof(code)) == 0,
                  "%s: code after: %lld %u %d", verify_cases[_i].what, (long long)code.issued_at,
                  code.wrong_tries, code.used);
    ck_assert_msg(lock.failures == verify_cases[_i].lock_after.failures &&
                      lock.lockouts == verify_cases[_i].lock_after.lockouts &&
                      lock.locked_until == verify_cases[_i].lock_after.locked_until,
                  "%s: lock after: %u %u %lld", verify_cases[_i].what, lock.failures, lock.lockouts,
                  (long long)lock.locked_until);
}
END_TEST

/* A whole story: wrong tries across codes, the lockout, its doubling, and a success. */
START_TEST(test_otp_story)
{
    struct otp_policy p;
    struct otp_verdict v;
    struct otp_lock lock = {0, 0, 0};
    struct otp_code_state c1 = {0, 0, 0}, c2 = {100, 0, 0}, c3, c4;
    int64_t t = 10;

    otp_policy_default(&p);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(otp_verify_decide(&p, &c1, &lock, 0, t++, &v), -KP_ERR_WRONG);
    ck_assert_uint_eq(v.tries_left, 0);
    /* The dead code refuses even the right code, and counts nothing. */
    ck_assert_int_eq(otp_verify_decide(&p, &c1, &lock, 1, t++, &v), -KP_ERR_LIMIT);
    ck_assert_uint_eq(lock.failures, 5);
    t = 110;
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(otp_verify_decide(&p, &c2, &lock, 0, t++, &v), -KP_ERR_WRONG);
    ck_assert_int_eq(otp_verify_decide(&p, &c2, &lock, 0, t, &v), -KP_ERR_LOCKED);
    ck_assert_int_eq(v.lockout_started, 1);
    ck_assert_int_eq(v.until, t + 3600);
    ck_assert_int_eq(otp_issue_check(&p, &lock, NULL, NULL, t + 3599, &v), -KP_ERR_LOCKED);
    ck_assert_int_eq(otp_issue_check(&p, &lock, NULL, NULL, t + 3600, &v), 0);
    /* Ten more failures after the lockout: the second lockout is 2 h. */
    t += 3600;
    c3 = (struct otp_code_state){t, 0, 0};
    c4 = (struct otp_code_state){t + 100, 0, 0};
    for (int i = 0; i < 5; i++)
        otp_verify_decide(&p, &c3, &lock, 0, t + i, &v);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(otp_verify_decide(&p, &c4, &lock, 0, t + 100 + i, &v), -KP_ERR_WRONG);
    ck_assert_int_eq(otp_verify_decide(&p, &c4, &lock, 0, t + 200, &v), -KP_ERR_LOCKED);
    ck_assert_int_eq(v.until, t + 200 + 7200);
    ck_assert_uint_eq(lock.lockouts, 2);
    /* A success after the lockout resets the escalation. */
    c4 = (struct otp_code_state){t + 7400, 0, 0};
    ck_assert_int_eq(otp_verify_decide(&p, &c4, &lock, 1, t + 7400, &v), 0);
    ck_assert_uint_eq(lock.lockouts, 0);
    ck_assert_uint_eq(lock.failures, 0);
}
END_TEST

Suite *suite_otp(void)
{
    Suite *s = suite_create("otp");
    TCase *tc = tcase_create("codes");

    if (sodium_init() < 0)
        return s;
    tcase_add_test(tc, test_otp_generate);
    tcase_add_loop_test(tc, test_otp_parse, 0, (int)KP_ARRAY_LEN(otp_parse_cases));
    tcase_add_test(tc, test_otp_hash_vectors);
    tcase_add_loop_test(tc, test_otp_binding, 0, (int)KP_ARRAY_LEN(otp_others));
    tcase_add_test(tc, test_otp_hash_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("policy");
    tcase_add_loop_test(tc, test_otp_rate, 0, (int)KP_ARRAY_LEN(rate_cases));
    tcase_add_test(tc, test_otp_issue);
    tcase_add_loop_test(tc, test_otp_lockout_length, 0, (int)KP_ARRAY_LEN(lockout_lengths));
    tcase_add_loop_test(tc, test_otp_verify, 0, (int)KP_ARRAY_LEN(verify_cases));
    tcase_add_test(tc, test_otp_story);
    suite_add_tcase(s, tc);
    return s;
}
