/* SPDX-License-Identifier: ISC */
/*
 * kpass sms list|show as the real program, over an outbox filled through
 * the store: numbers always masked, a code message's text never shown
 * (queued or scrubbed), other texts shown (clipped in the list), filters
 * and limits, and every bad argument refused with a reason.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/sms.h"
#include "testutil.h"

#define T0 1800000000LL /* 2027-01-15T08:00:00Z */

static struct tu_daemon d;

static const char long_text[] =
    "Vehicle registration: Register a new or imported vehicle and get number plates.";

static void cli_setup(void)
{
    char db[600];
    struct store *st;
    int64_t id;

    tu_daemon_prepare(&d, NULL);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    /* 1: a code, waiting; 2: a code, delivered and scrubbed; 3: information,
       failed; 4: information, long, sent. */
    ck_assert_int_eq(store_sms_queue(st, "+923001234567",
                                     "Khyber Pass: your code for land record is 418207.", 1, NULL,
                                     T0 + 300, T0, &id),
                     0);
    ck_assert_int_eq(store_sms_queue(st, "+923451112223",
                                     "Khyber Pass: your code for Sehat Card is 905316.", 1, NULL,
                                     T0 + 300, T0 + 1, &id),
                     0);
    ck_assert_int_eq(store_sms_update(st, id, SMS_SENT, 1, T0, 0, 0, T0 + 2), 1);
    ck_assert_int_eq(store_sms_update(st, id, SMS_DELIVERED, 1, T0, 0, 0, T0 + 3), 1);
    ck_assert_int_eq(store_sms_scrub(st, T0 + 3), 1);
    ck_assert_int_eq(
        store_sms_queue(st, "+923215556667", "Fee: Rs 500.", 0, NULL, T0 + 3600, T0 + 4, &id), 0);
    ck_assert_int_eq(store_sms_update(st, id, SMS_FAILED, 1, T0, 0, 0x0B, T0 + 5), 1);
    ck_assert_int_eq(
        store_sms_queue(st, "+923124445556", long_text, 0, NULL, T0 + 3600, T0 + 6, &id), 0);
    ck_assert_int_eq(store_sms_update(st, id, SMS_SENT, 1, T0, 0, 0, T0 + 7), 1);
    store_close(st);
}

static void cli_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Nothing secret in out: no code, no full number. */
static void assert_masked(const char *out)
{
    static const char *const never[] = {"418207",     "905316",     "3001234567",
                                        "3451112223", "3215556667", "3124445556"};

    for (size_t i = 0; i < KP_ARRAY_LEN(never); i++)
        ck_assert_msg(strstr(out, never[i]) == NULL, "'%s' in:\n%s", never[i], out);
}

START_TEST(test_list)
{
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "sms", "list", NULL), 0);
    assert_masked(out);
    /* Newest first, one line each after the header. */
    const char *l4 = strstr(out, "\n4 "), *l3 = strstr(out, "\n3 "), *l2 = strstr(out, "\n2 "),
               *l1 = strstr(out, "\n1 ");
    ck_assert_msg(l4 && l3 && l2 && l1 && l4 < l3 && l3 < l2 && l2 < l1, "%s", out);
    ck_assert_ptr_nonnull(strstr(l1, "queued"));
    ck_assert_ptr_nonnull(strstr(l1, "+92300****567"));
    ck_assert_ptr_nonnull(strstr(l1, "(code message)"));
    ck_assert_ptr_nonnull(strstr(l2, "delivered"));
    ck_assert_ptr_nonnull(strstr(l2, "(code message)"));
    ck_assert_ptr_nonnull(strstr(l3, "failed"));
    ck_assert_ptr_nonnull(strstr(l3, "Fee: Rs 500."));
    /* A long text is clipped at 40 characters. */
    ck_assert_ptr_nonnull(strstr(l4, "Vehicle registration: Register a new or ..."));
    ck_assert_ptr_null(strstr(out, "number plates"));
    free(out);
}
END_TEST

static const struct {
    const char *args[3];
    const char *ids; /* ids listed, in order */
} filters[] = {
    {{"--state", "sent", NULL}, "4"},      {{"--state", "queued", NULL}, "1"},
    {{"--state", "delivered", NULL}, "2"}, {{"--state", "expired", NULL}, ""},
    {{"--limit", "2", NULL}, "43"},        {{"--limit", "10000", NULL}, "4321"},
};

START_TEST(test_list_filters)
{
    char *out, ids[16] = "";

    ck_assert_int_eq(
        tu_kpass(&d, NULL, &out, "sms", "list", filters[_i].args[0], filters[_i].args[1], NULL), 0);
    for (char *p = strchr(out, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
        snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%c", p[1]);
    ck_assert_msg(strcmp(ids, filters[_i].ids) == 0, "%s %s: %s", filters[_i].args[0],
                  filters[_i].args[1], out);
    free(out);
}
END_TEST

static const struct {
    const char *id;
    const char *lines[6];
} shows[] = {
    {"1",
     {"to:           +92300****567\n", "state:        queued\n", "kind:         one-time code\n",
      "text:         (code message)\n", "next attempt: 2027-01-15T08:00:00Z\n",
      "expires:      2027-01-15T08:05:00Z\n"}},
    {"2",
     {"to:           +92345****223\n", "state:        delivered\n",
      "text:         (code message)\n", "attempts:     1\n", "partner:      -\n", NULL}},
    {"3",
     {"state:        failed\n", "kind:         information\n", "text:         Fee: Rs 500.\n",
      "last status:  ESME_RINVDSTADR (0x0000000b)\n", NULL}},
    {"4",
     {"text:         Vehicle registration: Register a new or imported vehicle and get number "
      "plates.\n",
      NULL}},
};

START_TEST(test_show)
{
    char *out;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "sms", "show", shows[_i].id, NULL), 0);
    assert_masked(out);
    for (int i = 0; i < 6 && shows[_i].lines[i]; i++)
        ck_assert_msg(strstr(out, shows[_i].lines[i]) != NULL, "no '%s' in:\n%s",
                      shows[_i].lines[i], out);
    free(out);
}
END_TEST

static const struct {
    const char *args[4];
    int rc;
    const char *says;
} bad[] = {
    {{"list", "--state", "lost", NULL}, 1, "--state: 'lost' is not a state"},
    {{"list", "--limit", "0", NULL}, 1, "--limit: '0' is not a number from 1 to 10000"},
    {{"list", "--limit", "10001", NULL}, 1, "--limit: '10001' is not a number"},
    {{"list", "--limit", "5x", NULL}, 1, "--limit: '5x' is not a number"},
    {{"list", "extra", NULL, NULL}, 2, "usage: kpass sms list"},
    {{"show", "99", NULL, NULL}, 1, "kpass: no message 99"},
    {{"show", "-1", NULL, NULL}, 1, "'-1' is not a message id"},
    {{"show", "1x", NULL, NULL}, 1, "'1x' is not a message id"},
    {{"show", NULL, NULL, NULL}, 2, "usage: kpass sms list"},
    {{"send", "1", NULL, NULL}, 2, "usage: kpass sms list"},
};

START_TEST(test_bad_args)
{
    char *out;
    int rc = tu_kpass(&d, NULL, &out, "sms", bad[_i].args[0], bad[_i].args[1], bad[_i].args[2],
                      bad[_i].args[3], NULL);

    ck_assert_msg(rc == bad[_i].rc, "rc %d: %s", rc, out);
    ck_assert_msg(strstr(out, bad[_i].says) != NULL, "%s", out);
    free(out);
}
END_TEST

Suite *suite_sms_cli(void)
{
    Suite *s = suite_create("sms_cli");
    TCase *tc = tcase_create("kpass_sms");

    tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_list);
    tcase_add_loop_test(tc, test_list_filters, 0, (int)KP_ARRAY_LEN(filters));
    tcase_add_loop_test(tc, test_show, 0, (int)KP_ARRAY_LEN(shows));
    tcase_add_loop_test(tc, test_bad_args, 0, (int)KP_ARRAY_LEN(bad));
    suite_add_tcase(s, tc);
    return s;
}
