/* SPDX-License-Identifier: ISC */
/*
 * builtins_lang: the USSD built-ins in the caller's language (issue 11),
 * called directly over the seeded store: a code request's digits entered
 * again in the same dialog (not counted against the caller's limit, the
 * same answers registered or not), the code SMS in Urdu, Pashto and Roman
 * Urdu with the code and the "never share it" warning in its first part,
 * the details by SMS in the dialog's language, and the fixed-form values
 * (fee, time, hours, yes/no, status) on the directory screens.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/menu/menu_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/core/mem.h"
#include "kpass/id/keys.h"
#include "kpass/menu/menu.h"
#include "kpass/sms/sms.h"
#include "kpass/store/audit.h"
#include "kpass/store/directory.h"
#include "kpass/store/sms.h"
#include "kpass/store/store.h"
#include "kpass/text/text.h"
#include "kpass/ussd/builtins.h"
#include "kpass/ussd/dialog.h"
#include "testutil.h"

#define REGISTERED   "+923000000101" /* Ahmad Khan, CNIC ends 0011 */
#define UNREGISTERED "+923001234567"

static struct tu_daemon d;
static struct store *st;
static struct kp_builtins *b;
static uint8_t *keys[2];
static struct ussd_builtins bt;
static struct menu_result res;

static void bl_setup(void)
{
    char seed[1024], citizens[1100], db[600], keydir[600], *out = NULL;
    struct kp_buf err = KP_BUF_INIT;
    struct otp_policy pol;
    uint8_t otp_key[OTP_KEY_BYTES];

    tu_daemon_prepare(&d, NULL);
    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    snprintf(citizens, sizeof(citizens), "%s/citizens.csv", seed);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL) == 0, "%s", out);
    free(out);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "citizens", citizens, NULL) == 0, "%s", out);
    free(out);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    snprintf(keydir, sizeof(keydir), "%s/keys", d.dir);
    ck_assert_int_eq(keys_secret_load(keydir, "cnic.key", &keys[0], &err), 0);
    ck_assert_int_eq(keys_secret_load(keydir, "audit.key", &keys[1], &err), 0);
    kp_buf_free(&err);
    audit_use_key(st, keys[1]);
    memset(otp_key, 7, sizeof(otp_key));
    otp_policy_default(&pol);
    ck_assert_int_eq(kp_builtins_new(st, NULL, otp_key, keys[0], &pol, &b), 0);
    kp_builtins_set_now(b, 1800000000);
    bt = kp_builtins_table(b);
    memset(&res, 0, sizeof(res));
    res.outcome = MENU_NONE;
}

static void bl_teardown(void)
{
    menu_result_free(&res);
    kp_builtins_free(b);
    store_close(st);
    keys_secret_free(keys[0]);
    keys_secret_free(keys[1]);
    tu_daemon_cleanup(&d);
}

/* Call built-in name with up to three arguments; its outcome ("" for a list). */
static const char *call(const char *name, enum menu_lang lang, const char *msisdn, const char *a0,
                        const char *a1, const char *a2)
{
    const char *argv[3] = {a0, a1, a2};
    struct menu_call c;
    unsigned i;

    for (i = 0; i < bt.n && strcmp(bt.table[i].name, name) != 0; i++)
        ;
    ck_assert_uint_lt(i, bt.n);
    memset(&c, 0, sizeof(c));
    c.name = name;
    c.builtin = i;
    c.argc = a2 ? 3 : a1 ? 2 : a0 ? 1 : 0;
    c.argv = argv;
    c.lang = lang;
    c.msisdn = msisdn;
    menu_result_reset(&res);
    ck_assert_int_eq(bt.call(bt.ctx, &c, &res), 0);
    return res.outcome == MENU_NONE ? "" : RSTR(&res, res.outcome);
}

/* A variable the last call set, or NULL. */
static const char *var(const char *name)
{
    for (size_t i = 0; i < res.nsets; i++)
        if (strcmp(RSTR(&res, res.sets[i].a), name) == 0)
            return RSTR(&res, res.sets[i].b);
    return NULL;
}

/* The requests answered so far issued (as the daemon does after a commit). */
static void flush(void)
{
    kp_builtins_committed(b);
    ck_assert_int_ge(kp_builtins_flush(b), 0);
}

static int sms_count(void)
{
    struct store_sms *v = kp_calloc(16, sizeof(*v));
    int n = store_sms_list(st, -1, v, 16);

    free(v);
    return n;
}

/* A second and third entry in the same dialog are not counted against the
   caller's limit (one a minute); a first entry of a new dialog is; the
   answers are the same for a registered and an unregistered number. */
START_TEST(test_code_retries)
{
    static const char *const callers[] = {REGISTERED, UNREGISTERED};

    for (size_t k = 0; k < KP_ARRAY_LEN(callers); k++) {
        const char *m = callers[k];
        ck_assert_str_eq(call("otp.issue", MENU_LANG_EN, m, "identity", "1234", ""), "sent");
        ck_assert_str_eq(call("otp.issue", MENU_LANG_EN, m, "identity", "1235", "2"), "sent");
        ck_assert_str_eq(call("otp.issue", MENU_LANG_EN, m, "identity", "0011", "3"), "sent");
        /* A new dialog within the minute: counted, limited. */
        ck_assert_str_eq(call("otp.issue", MENU_LANG_EN, m, "identity", "0011", ""), "try_later");
        /* Past the menu's count it is a first entry again. */
        ck_assert_str_eq(call("otp.issue", MENU_LANG_EN, m, "identity", "0011", "4"), "try_later");
        ck_assert_str_eq(call("otp.issue", MENU_LANG_EN, m, "identity", "0011", "22"), "try_later");
    }
    flush();
    /* Only the registered caller's right digits (its third entry) made a code. */
    ck_assert_int_eq(sms_count(), 1);
}
END_TEST

/* The code SMS in the dialog's language, code and warning in part one. */
static const struct {
    enum menu_lang lang;
    const char *head, *warn;
} code_langs[] = {
    {MENU_LANG_UR, "خیبر پاس کوڈ ", "کسی کو نہ بتائیں، عملہ کبھی فون نہیں کرتا۔"},
    {MENU_LANG_PS, "د خیبر پاس کوډ ", "چا ته یې مه وایئ، کارکوونکي یې هېڅ نه غواړي."},
    {MENU_LANG_UR_LATN, "Khyber Pass code ",
     "Kisi ko na batayen, staff kabhi is ke liye phone nahin karta."},
    {MENU_LANG_EN, "Khyber Pass: your code for identity check is ", "do not share it."},
};

START_TEST(test_code_sms_language)
{
    struct store_sms *v = kp_calloc(4, sizeof(*v));
    char text[STORE_SMS_BODY_MAX + 16];
    const char *w;
    size_t upto;
    enum text_enc enc;
    int units, total;

    ck_assert_str_eq(call("otp.issue", code_langs[_i].lang, REGISTERED, "identity", "0011", ""),
                     "sent");
    flush();
    ck_assert_int_eq(store_sms_list(st, -1, v, 4), 1);
    ck_assert_msg(strncmp(v[0].body, code_langs[_i].head, strlen(code_langs[_i].head)) == 0, "%s",
                  v[0].body);
    ck_assert_int_eq(v[0].code_at, (int)strlen(code_langs[_i].head));
    /* The text as sent: the code (6 digits) at code_at. */
    snprintf(text, sizeof(text), "%.*s123456%s", v[0].code_at, v[0].body, v[0].body + v[0].code_at);
    ck_assert_ptr_nonnull(w = strstr(text, code_langs[_i].warn));
    upto = (size_t)(w - text) + strlen(code_langs[_i].warn);
    enc = text_choose(text, strlen(text));
    units = text_units(text, upto, enc);
    total = text_units(text, strlen(text), enc);
    ck_assert_int_eq(enc,
                     code_langs[_i].lang == MENU_LANG_EN || code_langs[_i].lang == MENU_LANG_UR_LATN
                         ? TEXT_GSM7
                         : TEXT_UCS2);
    /* In the first part: a single SMS holds 160 / 70, a part of several 153 / 67. */
    if (enc == TEXT_GSM7)
        ck_assert_int_le(units, total <= 160 ? 160 : 153);
    else
        ck_assert_int_le(units, total <= 70 ? 70 : 67);
    free(v);
}
END_TEST

/* Details by SMS: the whole text in the dialog's language. */
START_TEST(test_details_sms_language)
{
    struct store_sms *v = kp_calloc(4, sizeof(*v));

    ck_assert_str_eq(call("sms.service", MENU_LANG_UR, REGISTERED, "DOMICILE", NULL, NULL), "sent");
    ck_assert_int_eq(store_sms_list(st, -1, v, 4), 1);
    ck_assert_msg(strstr(v[0].body, "ڈومیسائل سرٹیفکیٹ: ") == v[0].body, "%s", v[0].body);
    ck_assert_ptr_nonnull(strstr(v[0].body, "فیس: مختلف۔"));
    ck_assert_ptr_nonnull(strstr(v[0].body, "وقت: 10 دن۔"));
    ck_assert_ptr_nonnull(strstr(v[0].body, "دستاویزات: شناختی کارڈ کی کاپی،"));
    ck_assert_ptr_nonnull(strstr(v[0].body, "کہاں: ڈپٹی کمشنر آفس۔"));
    for (const char *p = v[0].body; *p; p++) /* no English word: no Latin letter */
        ck_assert_msg(!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')), "%s", v[0].body);
    ck_assert_str_eq(call("sms.service", MENU_LANG_UR_LATN, UNREGISTERED, "DOMICILE", NULL, NULL),
                     "sent");
    ck_assert_int_eq(store_sms_list(st, -1, v, 4), 2);
    ck_assert_str_eq(v[0].body, "Domicile certificate: Sooba aur zila ki sakoonat ki sanad, naukri "
                                "aur dakhlon ke liye. Fees: Mukhtalif. Kaghzat: shanakhti card ki "
                                "copy; walid ka card ya domicile; 2 tasveerein; bayan-e-halfi. "
                                "Waqt: 10 din. Kahan: Deputy Commissioner daftar.");
    free(v);
}
END_TEST

/* The directory's screens: every value in the dialog's language. */
START_TEST(test_directory_values)
{
    ck_assert_str_eq(call("dir.service", MENU_LANG_PS, REGISTERED, "VEHVERIF", NULL, NULL),
                     "found");
    ck_assert_str_eq(var("service_fee"), "وړیا");
    ck_assert_str_eq(var("service_time"), "په همغه ورځ");
    ck_assert_str_eq(var("service_online"), "هو");
    ck_assert_str_eq(var("service_where"), "د اېکسایز دفتر یا آنلاین");
    ck_assert_str_eq(call("dir.service", MENU_LANG_UR_LATN, REGISTERED, "DOMICILE", NULL, NULL),
                     "found");
    ck_assert_str_eq(var("service_time"), "10 din");
    ck_assert_str_eq(var("service_name"), "Domicile certificate");
    ck_assert_str_eq(call("dir.office", MENU_LANG_UR, REGISTERED, "PSHEX1", NULL, NULL), "found");
    ck_assert_str_eq(var("office_hours"), "پیر تا جمعہ 09:00-16:00");
    ck_assert_str_eq(var("office_address"), "ضلعی ایکسائز اینڈ ٹیکسیشن دفتر، پشاور");
    ck_assert_str_eq(call("dir.office", MENU_LANG_EN, REGISTERED, "PSHEX1", NULL, NULL), "found");
    ck_assert_str_eq(var("office_hours"), "Mon-Fri 09:00-16:00");
    /* Registration: the status in the dialog's language. */
    ck_assert_str_eq(call("reg.lookup", MENU_LANG_PS, REGISTERED, NULL, NULL, NULL), "registered");
    ck_assert_str_eq(var("reg_status"), "فعال");
    ck_assert_str_eq(var("reg_district"), "پېښور");
    /* A district: has offices or not (then the nearest); the search's outcome. */
    ck_assert_str_eq(call("dir.district", MENU_LANG_EN, REGISTERED, "PSH", NULL, NULL), "offices");
    ck_assert_str_eq(call("dir.district", MENU_LANG_UR_LATN, REGISTERED, "UKH", NULL, NULL),
                     "none");
    ck_assert_str_eq(var("district_name"), "Upper Kohistan");
    ck_assert_str_eq(call("dir.district", MENU_LANG_EN, REGISTERED, "XXX", NULL, NULL),
                     "not_found");
    ck_assert_str_eq(call("dir.offices_near", MENU_LANG_EN, REGISTERED, "UKH", NULL, NULL), "");
    ck_assert_uint_eq(res.nitems, STORE_DIR_NEAR_MAX);
    ck_assert_str_eq(call("dir.find", MENU_LANG_EN, REGISTERED, "zzzz", NULL, NULL), "none");
    ck_assert_str_eq(var("search_count"), "0");
    ck_assert_str_eq(call("dir.find", MENU_LANG_EN, REGISTERED, "laisans", NULL, NULL), "found");
    ck_assert_str_eq(call("dir.find", MENU_LANG_EN, REGISTERED, "-", NULL, NULL), "none");
}
END_TEST

Suite *suite_builtins_lang(void)
{
    Suite *s = suite_create("builtins_lang");
    TCase *tc = tcase_create("builtins");

    tcase_add_checked_fixture(tc, bl_setup, bl_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_code_retries);
    tcase_add_loop_test(tc, test_code_sms_language, 0, (int)KP_ARRAY_LEN(code_langs));
    tcase_add_test(tc, test_details_sms_language);
    tcase_add_test(tc, test_directory_values);
    suite_add_tcase(s, tc);
    return s;
}
