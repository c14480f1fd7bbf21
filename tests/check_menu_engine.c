/* SPDX-License-Identifier: ISC */
/*
 * menu engine: hops over the sample menus (tests/menus) with the fake
 * built-ins of menu_fixture.h: back / home / more / invalid, dialled
 * shortcuts, languages, templating, validators, routers, actions and
 * their failures, lists that change, resume, end screens, system screens
 * and the sensitive CNIC that must never reach the stored state.  The
 * state is encoded and decoded between every two hops.
 */
#include "menu_fixture.h"

#include "kpass/core/mem.h"

#define HOME1 "Khyber Pass\n1 Find a service\n2 Get a verification code\n98 More"
#define HOME2                                                                                      \
    "3 Check a registration\n4 Language / زبان\n9 Help\n0<" /* later UCS-2 pages: the compact      \
                                                               navigation */
#define HELP1                                                                                      \
    "Khyber Pass gives you provincial services with one card. Dial *789# from any phone, choose "  \
    "a service and follow the steps. Codes come by SMS to the number\n98 More\n0 Back\n00 Home"
#define HELP2                                                                                      \
    "registered with your CNIC. Offices are open Monday to Friday, 9:00 to 16:00.\n0 Back\n00 "    \
    "Home"
#define DEPTS "Departments\n1 Health\n2 Education\n3 Revenue\n0 Back"

static struct fx_dialog d;

static void setup(void)
{
    fx_open(&d, fx_sample());
}

static void teardown(void)
{
    fx_close(&d);
}

START_TEST(test_home_more_back)
{
    fx_begin(&d, MENU_LANG_EN, NULL);
    fx_expect(&d, HOME1, TEXT_UCS2, 0); /* "زبان" on page 2 makes the screen UCS-2: 80 units */
    ck_assert_uint_le(d.scr.units, 80);
    ck_assert_int_eq(d.scr.lang, MENU_LANG_EN);
    ck_assert_int_eq(d.scr.lang_changed, 0);
    ck_assert_str_eq(menu_state_screen(d.st, d.g), "main");
    ck_assert_str_eq(menu_state_version(d.st), menu_graph_version(d.g));
    fx_send(&d, "98");
    fx_expect(&d, HOME2, TEXT_UCS2, 0);
    fx_send(&d, "98"); /* the last page has no More */
    fx_expect(&d, "Invalid choice\n" HOME2, TEXT_UCS2, 0);
    fx_send(&d, "0"); /* back to page 1 */
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
    fx_send(&d, "0"); /* nothing to go back to */
    fx_expect(&d, "Invalid choice\n" HOME1, TEXT_UCS2, 0);
    fx_send(&d, " 9 "); /* an option of page 2, chosen from page 1; blanks trimmed */
    fx_expect(&d, HELP1, TEXT_GSM7, 0);
    ck_assert_uint_le(d.scr.units, 182);
    fx_send(&d, "98");
    fx_expect(&d, HELP2, TEXT_GSM7, 0);
    fx_send(&d, "1"); /* an info screen takes no option */
    fx_expect(&d, "Invalid choice\n" HELP2, TEXT_GSM7, 0);
    fx_send(&d, "0");
    fx_expect(&d, HELP1, TEXT_GSM7, 0);
    fx_send(&d, "0");
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
}
END_TEST

START_TEST(test_home_clears_history)
{
    fx_begin(&d, MENU_LANG_EN, "1*1");
    fx_expect(&d, "Health services\n1 Service 1\n2 Service 2\n3 Service 3\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "00");
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
    fx_send(&d, "0");
    fx_expect(&d, "Invalid choice\n" HOME1, TEXT_UCS2, 0);
}
END_TEST

static const struct {
    const char *steps;
    const char *text;
    int screens_back; /* how many 0s lead home */
} shortcuts[] = {
    {"", HOME1, 0},
    {"#", HOME1, 0},
    {"1", DEPTS, 1},
    {"1*2", "Education services\n1 Service 1\n2 Service 2\n3 Service 3\n0 Back", 2},
    {"1*2#", "Education services\n1 Service 1\n2 Service 2\n3 Service 3\n0 Back", 2},
    {"1*1*1", "s1\nApply at any office.\n0 Back\n00 Home", 3},
    {"1*1*3", "That service is no longer offered.\n0 Back\n00 Home", 3},
    {"2*1*5", "Enter your CNIC\n0 Back", 2}, /* stops at the input */
    {"7*1", HOME1, 0},                       /* stops at the invalid option, quietly */
    {"1*9*1", DEPTS, 1},
    {"9*1", HELP1, 1}, /* an info screen takes no step */
    {"1**2", DEPTS, 1},
    {"1*x", DEPTS, 1},
};

START_TEST(test_shortcuts)
{
    enum text_enc enc = strcmp(shortcuts[_i].text, HOME1) == 0 ? TEXT_UCS2 : TEXT_GSM7;

    fx_begin(&d, MENU_LANG_EN, shortcuts[_i].steps);
    fx_expect(&d, shortcuts[_i].text, enc, 0);
    for (int i = 0; i < shortcuts[_i].screens_back; i++)
        fx_send(&d, "0");
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
}
END_TEST

START_TEST(test_dial_steps)
{
    ck_assert_str_eq(menu_dial_steps("*789*2*1#", "*789#"), "2*1#");
    ck_assert_str_eq(menu_dial_steps("*789#", "*789#"), "#");
    ck_assert_str_eq(menu_dial_steps("*789", "*789#"), "");
    ck_assert_str_eq(menu_dial_steps("*789*2#", "*789"), "2#");
    ck_assert_ptr_null(menu_dial_steps("*7890#", "*789#"));
    ck_assert_ptr_null(menu_dial_steps("*123#", "*789#"));
    ck_assert_ptr_null(menu_dial_steps("*789#", ""));
}
END_TEST

START_TEST(test_languages)
{
    fx_begin(&d, MENU_LANG_UR, NULL);
    fx_expect(&d,
              "خیبر پاس\n1 سروس تلاش کریں\n2 تصدیقی کوڈ حاصل کریں\n3 رجسٹریشن چیک کریں\n98 مزید",
              TEXT_UCS2, 0);
    ck_assert_int_eq(d.scr.lang, MENU_LANG_UR);
    ck_assert_int_eq(d.scr.lang_changed, 0);
    fx_send(&d, "98");
    fx_expect(&d, "4 Language / زبان\n9 مدد\n0<", TEXT_UCS2, 0);
    fx_send(&d, "4"); /* the language menu has English text only: the fallback */
    fx_expect(&d, "Choose a language\n1 English\n2 اردو\n3 پښتو\n0 واپس", TEXT_UCS2, 0);
    fx_send(&d, "1");
    ck_assert_int_eq(d.scr.lang_changed, 1);
    ck_assert_int_eq(d.scr.lang, MENU_LANG_EN);
    ck_assert_int_eq(menu_state_lang(d.st), MENU_LANG_EN);
    ck_assert_str_eq(menu_state_get(d.st, d.g, "lang"), "en");
    /* home is the root: reached by the language option as by 00, no way back */
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
    fx_send(&d, "98");
    ck_assert_int_eq(d.scr.lang_changed, 0); /* reported once, in the hop that changed it */
    /* the built-ins get the dialog's language */
    fx_begin(&d, MENU_LANG_UR, "1");
    fx_expect(&d, "محکمے\n1 صحت\n2 تعلیم\n3 Revenue\n0 واپس", TEXT_UCS2, 0);
    ck_assert_str_eq(d.ctx.last, "dir.departments() ur +923001234567");
    /* Pashto has no texts here: English texts, English system defaults */
    fx_begin(&d, MENU_LANG_PS, "1");
    fx_expect(&d, DEPTS, TEXT_GSM7, 0);
    ck_assert_int_eq(d.scr.lang, MENU_LANG_PS);
    ck_assert_str_eq(d.ctx.last, "dir.departments() ps +923001234567");
}
END_TEST

/* `header`: one line atop every page, the later ones too, its variables
   filled, line breaks as spaces, cut with "..." past a quarter of a page. */
START_TEST(test_header)
{
    static const char src[] =
        "screen main menu\n"
        "  header \"{dept_name}\\nfee 100\" ur \"صحت {dept_name}\"\n"
        "  text \"Choose one of the services of this department\"\n"
        "  option \"First service of the list\" -> main set dept_name = \"Health\"\n"
        "  option \"Second service of the list\" -> main set dept_name = "
        "\"A department with a name far too long for a header line, really\"\n"
        "  option \"Third service of the list\" -> main\n"
        "  option \"Fourth service of the list\" -> main\n"
        "  option \"Fifth service of the list\" -> main\n"
        "  option \"Sixth service of the list\" -> main\n";
    struct fx_dialog h;
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;

    ck_assert_msg(fx_compile(src, &g, &diag) == 0, "%s", diag.data);
    fx_open(&h, g);
    h.env.limits.gsm7 = 120;
    fx_begin(&h, MENU_LANG_EN, "1");
    fx_expect(&h,
              "Health fee 100\nChoose one of the services of this department\n"
              "1 First service of the list\n98 More",
              TEXT_GSM7, 0);
    fx_send(&h, "98");
    fx_expect(&h,
              "Health fee 100\n2 Second service of the list\n3 Third service of the list\n"
              "4 Fourth service of the list\n98 More\n0 Back",
              TEXT_GSM7, 0);
    /* a long header: a quarter of 120 septets, "..." included */
    fx_send(&h, "2");
    ck_assert_ptr_nonnull(strchr(h.scr.text.data, '\n'));
    ck_assert_int_eq((int)(strchr(h.scr.text.data, '\n') - h.scr.text.data), 30);
    ck_assert_int_eq(strncmp(h.scr.text.data, "A department with a name fa...\n", 31), 0);
    /* Urdu: the header in Urdu, the page UCS-2 because of it */
    fx_begin(&h, MENU_LANG_UR, "1");
    ck_assert_int_eq(strncmp(h.scr.text.data, "صحت Health\n", strlen("صحت Health\n")), 0);
    ck_assert_int_eq(h.scr.enc, TEXT_UCS2);
    ck_assert_uint_le(h.scr.units, 80);
    fx_close(&h);
    kp_buf_free(&diag);
}
END_TEST

START_TEST(test_templating)
{
    fx_begin(&d, MENU_LANG_EN, "1*1*2");
    fx_expect(&d, "s2\nApply at any office.\n0 Back\n00 Home", TEXT_GSM7, 0);
    ck_assert_str_eq(d.ctx.last, "dir.service(s2) en +923001234567");
    ck_assert_str_eq(menu_state_get(d.st, d.g, "service"), "s2");
    ck_assert_str_eq(menu_state_get(d.st, d.g, "dept"), "health");
    ck_assert_str_eq(menu_state_get(d.st, d.g, "dept_name"), "Health");
    ck_assert_ptr_null(menu_state_get(d.st, d.g, "unknown_var")); /* not in the graph: ignored */
    ck_assert_ptr_null(menu_state_get(d.st, d.g, "status"));
}
END_TEST

static int contains(const struct kp_buf *b, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->data + i, s, n) == 0)
            return 1;
    return 0;
}

/* The CNIC is checked, normalised, given to otp.issue in the same hop,
   and is gone from the state when the hop ends. */
START_TEST(test_sensitive_cnic)
{
    struct kp_buf blob = KP_BUF_INIT;

    fx_begin(&d, MENU_LANG_EN, "2*1");
    fx_expect(&d, "Enter your CNIC\n0 Back", TEXT_GSM7, 0);
    ck_assert_int_eq(menu_state_resumable(d.st), 0); /* a sensitive screen */
    fx_send(&d, "17301-123");
    fx_expect(&d, "Enter 13 digits, e.g. 17301-1234567-1\nEnter your CNIC\n0 Back", TEXT_GSM7, 0);
    ck_assert_int_eq(d.ctx.calls, 0);
    fx_send(&d, "17301-1234567-1");
    fx_expect(&d, "If this CNIC is registered, a code was sent by SMS to its number.", TEXT_GSM7,
              1);
    ck_assert_str_eq(d.ctx.last, "otp.issue(health,1730112345671) en +923001234567");
    ck_assert_ptr_null(menu_state_get(d.st, d.g, "cnic"));
    ck_assert_str_eq(menu_state_get(d.st, d.g, "purpose"), "health");
    menu_state_encode(d.st, &blob);
    ck_assert(!contains(&blob, "1730112345671"));
    ck_assert(!contains(&blob, "1234567"));
    ck_assert_int_eq(menu_state_ended(d.st), 1);
    ck_assert_int_eq(menu_state_resumable(d.st), 0);
    ck_assert_int_eq(menu_dialog_input(d.g, &d.env, d.st, "1", 1, &d.scr), -KP_ERR_STATE);
    kp_buf_free(&blob);
}
END_TEST

START_TEST(test_action_outcomes)
{
    d.ctx.limited = 1;
    fx_begin(&d, MENU_LANG_EN, "2*2");
    fx_send(&d, "1730112345671");
    fx_expect(&d, "Too many requests. Please try again later.", TEXT_GSM7, 1);
    ck_assert_str_eq(d.ctx.last, "otp.issue(education,1730112345671) en +923001234567");
    /* a failing built-in takes `on error` */
    d.ctx.limited = 0;
    d.ctx.fail = 1u << FX_OTP;
    fx_begin(&d, MENU_LANG_UR, "2*2");
    fx_send(&d, "1730112345671");
    fx_expect(&d, "بہت زیادہ درخواستیں۔ بعد میں کوشش کریں۔", TEXT_UCS2, 1);
    ck_assert_int_eq(d.scr.call_error, -KP_ERR_DB);
    /* without `on error` the dialog ends with the system error text */
    d.ctx.fail = 1u << FX_SERVICE;
    fx_begin(&d, MENU_LANG_EN, "1*1");
    ck_assert_int_eq(d.scr.call_error, 0);
    fx_send(&d, "2");
    fx_expect(&d, "Service unavailable. Please try again later.", TEXT_GSM7, 1);
    ck_assert_int_eq(d.scr.call_error, -KP_ERR_DB);
    ck_assert_int_eq(menu_state_ended(d.st), 1);
    /* a failing list, likewise */
    d.ctx.fail = 1u << FX_DEPARTMENTS;
    fx_begin(&d, MENU_LANG_UR, "1");
    fx_expect(&d, "سروس دستیاب نہیں۔ بعد میں کوشش کریں۔", TEXT_UCS2, 1);
    ck_assert_int_eq(d.scr.call_error, -KP_ERR_DB);
}
END_TEST

static const struct {
    const char *reply;
    const char *status; /* what reg.status answers */
    const char *screen; /* NULL: the number is refused */
    const char *arg;
} numbers[] = {
    {"03001234567", "active", "This number is registered and active.", "+923001234567"},
    {"923451234567", "blocked", "This number is registered (blocked).", "+923451234567"},
    {"+923331234567", NULL, "This number is not registered.", "+923331234567"},
    {"0300 123456", "active", NULL,
     NULL}, /* spaces are allowed now (msisdn_parse), too short is not */
    {"04001234567", "active", NULL, NULL},
    {"0300123456", "active", NULL, NULL},
    {"030012345678", "active", NULL, NULL},
    {"+92300123456x", "active", NULL, NULL},
    {"913001234567", "active", NULL, NULL},
};

START_TEST(test_msisdn_router)
{
    d.ctx.status = numbers[_i].status;
    fx_begin(&d, MENU_LANG_EN, "3");
    fx_expect(&d, "Enter a mobile number\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, numbers[_i].reply);
    if (numbers[_i].screen == NULL) {
        fx_expect(&d, "Enter a number like 03001234567\nEnter a mobile number\n0 Back", TEXT_GSM7,
                  0);
        ck_assert_int_eq(d.ctx.calls, 0);
        return;
    }
    fx_expect(&d, numbers[_i].screen, TEXT_GSM7, 1);
    ck_assert_str_eq(menu_state_get(d.st, d.g, "phone"), numbers[_i].arg);
    ck_assert_ptr_nonnull(strstr(d.ctx.last, numbers[_i].arg));
}
END_TEST

/* A list that changed between the screen and the reply is shown again. */
START_TEST(test_list_changed)
{
    fx_begin(&d, MENU_LANG_EN, "1*1");
    fx_expect(&d, "Health services\n1 Service 1\n2 Service 2\n3 Service 3\n0 Back", TEXT_GSM7, 0);
    d.ctx.nservices = 4;
    fx_send(&d, "2");
    fx_expect(&d,
              "Invalid choice\nHealth services\n1 Service 1\n2 Service 2\n3 Service 3\n"
              "4 Service 4\n0 Back",
              TEXT_GSM7, 0);
    fx_send(&d, "4");
    fx_expect(&d, "s4\nApply at any office.\n0 Back\n00 Home", TEXT_GSM7, 0);
}
END_TEST

/* A long run-time list paginates with numbering that continues, and a
   label too long for any page is cut, not the page. */
START_TEST(test_long_list)
{
    char label[300];

    d.ctx.nservices = 30;
    fx_begin(&d, MENU_LANG_EN, "1*2");
    ck_assert_ptr_nonnull(strstr(d.scr.text.data, "\n98 More\n0 Back"));
    ck_assert_uint_le(d.scr.units, 182);
    for (int page = 0; page < 10 && strstr(d.scr.text.data, "98 More"); page++) {
        fx_send(&d, "98");
        ck_assert_uint_le(d.scr.units, 182);
    }
    ck_assert_ptr_nonnull(strstr(d.scr.text.data, "30 Service 30\n0 Back"));
    fx_send(&d, "30");
    fx_expect(&d, "s30\nApply at any office.\n0 Back\n00 Home", TEXT_GSM7, 0);
    memset(label, 'x', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    d.ctx.long_label = label;
    d.ctx.nservices = 2;
    fx_begin(&d, MENU_LANG_EN, "1*2");
    /* the title, then the cut item alone on its own page */
    fx_expect(&d, "Education services\n98 More\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "98");
    ck_assert_uint_eq(d.scr.units, 182);
    ck_assert_ptr_nonnull(strstr(d.scr.text.data, "xxx...\n98 More\n0 Back"));
    ck_assert(strncmp(d.scr.text.data, "1 xxx", 5) == 0);
    fx_send(&d, "98");
    fx_expect(&d, "2 Service 2\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "1");
    fx_expect(&d, "s1\nApply at any office.\n0 Back\n00 Home", TEXT_GSM7, 0);
}
END_TEST

START_TEST(test_resume)
{
    struct menu_screen before = MENU_SCREEN_INIT;

    fx_begin(&d, MENU_LANG_EN, "1");
    kp_buf_puts(&before.text, d.scr.text.data);
    ck_assert_int_eq(menu_state_resumable(d.st), 1);
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, d.st, &d.scr), 0);
    fx_reload(&d);
    fx_expect(&d, "Continue where you left off?\n1 Continue\n2 Start again", TEXT_GSM7, 0);
    fx_send(&d, "3");
    fx_expect(&d, "Invalid choice\nContinue where you left off?\n1 Continue\n2 Start again",
              TEXT_GSM7, 0);
    fx_send(&d, "1");
    fx_expect(&d, before.text.data, TEXT_GSM7, 0);
    fx_send(&d, "0"); /* the history survived */
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
    fx_send(&d, "1");
    fx_send(&d, "1");
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, d.st, &d.scr), 0);
    fx_reload(&d);
    fx_send(&d, "2"); /* start again: home, no history, no variables */
    fx_expect(&d, HOME1, TEXT_UCS2, 0);
    ck_assert_ptr_null(menu_state_get(d.st, d.g, "dept"));
    fx_send(&d, "0");
    fx_expect(&d, "Invalid choice\n" HOME1, TEXT_UCS2, 0);
    /* in Urdu */
    fx_begin(&d, MENU_LANG_UR, "1");
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, d.st, &d.scr), 0);
    fx_expect(&d, "جہاں چھوڑا تھا وہیں سے جاری رکھیں؟\n1 جاری رکھیں\n2 دوبارہ شروع کریں", TEXT_UCS2,
              0);
    /* not on a sensitive screen */
    fx_begin(&d, MENU_LANG_EN, "2*1");
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, d.st, &d.scr), -KP_ERR_STATE);
    /* nor on the home screen (any page), nor on an info screen: nothing to
       continue there (issue 11) */
    fx_begin(&d, MENU_LANG_EN, NULL);
    ck_assert_int_eq(menu_state_resumable(d.st), 0);
    fx_send(&d, "98");
    ck_assert_int_eq(menu_state_resumable(d.st), 0);
    fx_send(&d, "9"); /* help: an info screen */
    ck_assert_str_eq(menu_state_screen(d.st, d.g), "help");
    ck_assert_int_eq(menu_state_resumable(d.st), 0);
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, d.st, &d.scr), -KP_ERR_STATE);
    fx_begin(&d, MENU_LANG_EN, "1*1"); /* a menu of services: it is */
    ck_assert_int_eq(menu_state_resumable(d.st), 1);
    ck_assert_int_eq(menu_state_resuming(d.st), 0);
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, d.st, &d.scr), 0);
    ck_assert_int_eq(menu_state_resuming(d.st), 1);
    fx_send(&d, "1");
    ck_assert_int_eq(menu_state_resuming(d.st), 0);
    menu_screen_free(&before);
}
END_TEST

START_TEST(test_state_checks)
{
    struct menu_graph *other = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    struct menu_state *fresh = menu_state_new();

    /* a state that never began, or from another graph version, is refused */
    ck_assert_int_eq(menu_dialog_input(d.g, &d.env, fresh, "1", 1, &d.scr), -KP_ERR_STATE);
    ck_assert_int_eq(menu_dialog_resume(d.g, &d.env, fresh, &d.scr), -KP_ERR_STATE);
    ck_assert_int_eq(menu_state_resumable(fresh), 0);
    ck_assert_ptr_null(menu_state_screen(fresh, d.g));
    ck_assert_str_eq(menu_state_version(fresh), "");
    ck_assert_int_eq(fx_compile("screen main menu\n  option \"A\" -> main\n", &other, &diag), 0);
    fx_begin(&d, MENU_LANG_EN, NULL);
    ck_assert_int_eq(menu_dialog_input(other, &d.env, d.st, "1", 1, &d.scr), -KP_ERR_STATE);
    ck_assert_int_eq(menu_dialog_resume(other, &d.env, d.st, &d.scr), -KP_ERR_STATE);
    menu_graph_unref(other);
    menu_state_free(fresh);
    kp_buf_free(&diag);
}
END_TEST

START_TEST(test_system_screens)
{
    struct menu_limits lim = MENU_LIMITS_DEFAULT;

    ck_assert_int_eq(menu_system_render(d.g, MENU_LANG_EN, MENU_SYS_EXPIRED, &lim, &d.scr), 0);
    fx_expect(&d, "Your session has expired. Please dial again.", TEXT_GSM7, 1);
    ck_assert_int_eq(menu_system_render(d.g, MENU_LANG_UR, MENU_SYS_EXPIRED, &lim, &d.scr), 0);
    fx_expect(&d, "آپ کا سیشن ختم ہو گیا۔ دوبارہ ڈائل کریں۔", TEXT_UCS2, 1);
    ck_assert_int_eq(menu_system_render(d.g, MENU_LANG_PS, MENU_SYS_ERROR, &lim, &d.scr), 0);
    fx_expect(&d, "Service unavailable. Please try again later.", TEXT_GSM7, 1);
    ck_assert_int_eq(menu_system_render(d.g, MENU_LANG_MAX, MENU_SYS_ERROR, &lim, &d.scr),
                     -KP_ERR_INVAL);
}
END_TEST

/* The partner's limits decide the pages. */
START_TEST(test_env_limits)
{
    d.env.limits.gsm7 = 60;
    fx_begin(&d, MENU_LANG_EN, "9");
    ck_assert_uint_le(d.scr.units, 60);
    fx_expect(&d, "Khyber Pass gives you provincial\n98 More\n0 Back\n00 Home", TEXT_GSM7, 0);
    for (int i = 0; i < 10 && !strstr(d.scr.text.data, "16:00."); i++) {
        fx_send(&d, "98");
        ck_assert_uint_le(d.scr.units, 60);
    }
    ck_assert_ptr_nonnull(strstr(d.scr.text.data, "16:00.\n0 Back\n00 Home"));
}
END_TEST

/* Menus of its own: long end screens page before they close, 0/00 on
   input screens, 98 as data, checks in a row, regex and length. */
static const char own[] =
    "screen main menu\n"
    "  option \"Age\" -> age\n"
    "  option \"Code\" -> code\n"
    "  option \"Bye\" -> bye\n"
    "screen age input\n"
    "  text \"Your age?\"\n"
    "  var age\n"
    "  accept digits else \"Digits only\"\n"
    "  accept length 1..3 else \"At most 3 digits\"\n"
    "  -> show\n"
    "screen show info\n"
    "  text \"Age {age}, lang {lang}\"\n"
    "screen code input\n"
    "  text \"Code?\"\n"
    "  var code\n"
    "  accept regex \"[A-Z]{2}[0-9]+\"\n"
    "  -> show_code\n"
    "screen show_code end\n"
    "  text \"Code {code} {{ok}\"\n"
    "screen bye end\n"
    "  text \"Thank you for using the service. This closing text is deliberately long so that it "
    "needs two pages of one hundred and eighty-two septets: the first page ends with More and only "
    "the last page closes the dialog.\"\n";

START_TEST(test_own_menus)
{
    struct kp_buf diag = KP_BUF_INIT;

    menu_graph_unref(d.g);
    ck_assert_msg(fx_compile(own, &d.g, &diag) == 0, "%s", diag.data);
    fx_begin(&d, MENU_LANG_EN, "1");
    fx_expect(&d, "Your age?\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "4x");
    fx_expect(&d, "Digits only\nYour age?\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "1234");
    fx_expect(&d, "At most 3 digits\nYour age?\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "98"); /* no next page: 98 is a reply like any other */
    fx_expect(&d, "Age 98, lang en\n0 Back\n00 Home", TEXT_GSM7, 0);
    fx_send(&d, "0");
    fx_expect(&d, "Your age?\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "00");
    fx_expect(&d, "1 Age\n2 Code\n3 Bye", TEXT_GSM7, 0);
    fx_send(&d, "2");
    fx_send(&d, "ab12");
    fx_expect(&d, "Invalid input, please try again\nCode?\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "AB12x");
    fx_expect(&d, "Invalid input, please try again\nCode?\n0 Back", TEXT_GSM7, 0);
    fx_send(&d, "AB12");
    fx_expect(&d, "Code AB12 {ok}", TEXT_GSM7, 1);
    fx_begin(&d, MENU_LANG_EN, "3");
    ck_assert_int_eq(d.scr.end, 0);
    ck_assert_ptr_nonnull(strstr(d.scr.text.data, "\n98 More"));
    ck_assert_ptr_null(strstr(d.scr.text.data, "0 Back")); /* no way back from an end screen */
    fx_send(&d, "1");
    ck_assert_ptr_nonnull(strstr(d.scr.text.data, "Invalid choice\n"));
    ck_assert_int_eq(d.scr.end, 0);
    fx_send(&d, "98"); /* page 1 was shown with the notice: page 2 starts where it ended */
    fx_expect(&d, "with More and only the last page closes the dialog.", TEXT_GSM7, 1);
    ck_assert_int_eq(menu_state_ended(d.st), 1);
    kp_buf_free(&diag);
}
END_TEST

Suite *suite_menu_engine(void)
{
    Suite *s = suite_create("menu_engine");
    TCase *tc = tcase_create("engine");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_home_more_back);
    tcase_add_test(tc, test_home_clears_history);
    tcase_add_loop_test(tc, test_shortcuts, 0, (int)KP_ARRAY_LEN(shortcuts));
    tcase_add_test(tc, test_dial_steps);
    tcase_add_test(tc, test_languages);
    tcase_add_test(tc, test_templating);
    tcase_add_test(tc, test_header);
    tcase_add_test(tc, test_sensitive_cnic);
    tcase_add_test(tc, test_action_outcomes);
    tcase_add_loop_test(tc, test_msisdn_router, 0, (int)KP_ARRAY_LEN(numbers));
    tcase_add_test(tc, test_list_changed);
    tcase_add_test(tc, test_long_list);
    tcase_add_test(tc, test_resume);
    tcase_add_test(tc, test_state_checks);
    tcase_add_test(tc, test_system_screens);
    tcase_add_test(tc, test_env_limits);
    tcase_add_test(tc, test_own_menus);
    suite_add_tcase(s, tc);
    return s;
}
