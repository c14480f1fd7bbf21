/* SPDX-License-Identifier: ISC */
/*
 * The SMS outbox in the store (store_sms.h): what is due and in which
 * order, expiry of messages never sent, scrubbing code texts (and only
 * those) after a final state or their validity, final states that never
 * change, receipts found by (partner, message_id) of any part, recovery
 * of messages left in flight by a crash, listing and counting.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/partner/partner.h"
#include "kpass/store/sms.h"
#include "testutil.h"

#define T0 1800000000LL

static char *dir;
static char path[512];
static struct store *st;
static struct store_sms *rows; /* room for 64 */

static void sms_setup(void)
{
    dir = tu_tmpdir("smsstore");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    rows = kp_calloc(64, sizeof(*rows));
}

static void sms_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    store_close(st);
    free(rows);
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

static int64_t queue(const char *text, int is_code, int64_t at, int64_t expires)
{
    int64_t id = 0;

    ck_assert_int_eq(store_sms_queue(st, "+923001234567", text, is_code, NULL, expires, at, &id),
                     0);
    ck_assert_int_gt(id, 0);
    return id;
}

static struct store_sms get(int64_t id)
{
    struct store_sms m;

    ck_assert_int_eq(store_sms_get(st, id, &m), 0);
    return m;
}

/* A partner row, for the foreign key of partner_id. */
static int64_t partner(const char *system_id)
{
    struct partner p;

    memset(&p, 0, sizeof(p));
    snprintf(p.conf.system_id, sizeof(p.conf.system_id), "%s", system_id);
    strcpy(p.conf.pwhash, "x");
    strcpy(p.conf.profile, "its-session");
    p.conf.enabled = 1;
    p.conf.carries_sms = 1;
    p.conf.max_binds = 1;
    p.conf.binds = 1;
    p.conf.gsm7_limit = 182;
    p.conf.ucs2_limit = 80;
    ck_assert_int_eq(partner_db_add(st, &p), 0);
    ck_assert_int_eq(partner_db_get(st, system_id, &p), 0);
    return p.conf.id;
}

START_TEST(test_queue_and_due)
{
    char big[STORE_SMS_BODY_MAX + 1];
    int64_t a = queue("first", 0, T0, T0 + 600);
    int64_t b = queue("second", 1, T0, T0 + 600);
    int64_t c = queue("later", 0, T0 + 50, T0 + 600);
    int64_t d = queue("gone", 0, T0, T0 + 10);

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(store_sms_queue(st, "+923001234567", big, 0, NULL, T0 + 600, T0, NULL),
                     -KP_ERR_TOOLONG);
    /* Due now: queued, its time come, not expired; oldest first, by id. */
    ck_assert_int_eq(store_sms_due(st, T0, rows, 64), 3);
    ck_assert_int_eq(rows[0].id, a);
    ck_assert_int_eq(rows[1].id, b);
    ck_assert_int_eq(rows[2].id, d);
    ck_assert_str_eq(rows[0].body, "first");
    ck_assert(rows[1].is_code);
    ck_assert_int_eq(rows[0].state, SMS_QUEUED);
    ck_assert_int_eq(store_sms_due(st, T0, rows, 1), 1); /* at most max */
    /* d's validity has passed: never due again, whatever its retry time. */
    ck_assert_int_eq(store_sms_due(st, T0 + 10, rows, 64), 2);
    ck_assert_int_eq(store_sms_due(st, T0 + 50, rows, 64), 3);
    ck_assert_int_eq(rows[2].id, c);
    /* A message being sent, or retried later, is not due. */
    ck_assert_int_eq(store_sms_update(st, a, SMS_SENDING, 1, T0 + 50, 0, 0, T0 + 50), 1);
    ck_assert_int_eq(store_sms_update(st, b, SMS_QUEUED, 1, T0 + 52, 0, 0x58, T0 + 50), 1);
    ck_assert_int_eq(store_sms_due(st, T0 + 50, rows, 64), 1);
    ck_assert_int_eq(rows[0].id, c);
    ck_assert_int_eq(store_sms_due(st, T0 + 52, rows, 64), 2);
    ck_assert_int_eq(rows[0].id, c); /* next_attempt_at order: c (T0+50) before b (T0+52) */
    ck_assert_int_eq(rows[1].id, b);
    ck_assert_uint_eq(rows[1].attempts, 1);
    ck_assert_uint_eq(rows[1].last_status, 0x58);
}
END_TEST

/* Every move into and out of each state, as the store sees it. */
static const struct {
    enum sms_state from, to;
    int moved;
} moves[] = {
    {SMS_QUEUED, SMS_SENDING, 1},     {SMS_SENDING, SMS_SENT, 1},
    {SMS_SENDING, SMS_QUEUED, 1},     {SMS_SENT, SMS_DELIVERED, 1},
    {SMS_SENDING, SMS_FAILED, 1},     {SMS_QUEUED, SMS_EXPIRED, 1},
    {SMS_DELIVERED, SMS_SENT, 0},     {SMS_DELIVERED, SMS_QUEUED, 0},
    {SMS_UNDELIVERABLE, SMS_SENT, 0}, {SMS_EXPIRED, SMS_SENDING, 0},
    {SMS_FAILED, SMS_QUEUED, 0},      {SMS_DELIVERED, SMS_UNDELIVERABLE, 0},
};

START_TEST(test_final_never_changes)
{
    int64_t id = queue("hello", 0, T0, T0 + 600), p = partner("smsc");
    struct store_sms m;

    /* Get to from: any path will do, the store does not judge moves
       between states that are not final. */
    if (moves[_i].from != SMS_QUEUED)
        ck_assert_int_eq(store_sms_update(st, id, moves[_i].from, 1, T0, p, 0, T0 + 1), 1);
    ck_assert_int_eq(store_sms_update(st, id, moves[_i].to, 2, T0 + 9, 0, 7, T0 + 2),
                     moves[_i].moved);
    m = get(id);
    ck_assert_int_eq(m.state, moves[_i].moved ? moves[_i].to : moves[_i].from);
    ck_assert_uint_eq(m.attempts, moves[_i].moved ? 2 : (moves[_i].from != SMS_QUEUED));
    /* partner_id 0 keeps the partner recorded. */
    ck_assert_int_eq(m.partner_id, moves[_i].from != SMS_QUEUED ? p : 0);
    ck_assert_int_eq(store_sms_update(st, 999999, SMS_SENT, 1, T0, 0, 0, T0), 0);
}
END_TEST

START_TEST(test_expire_and_scrub)
{
    int64_t code_q = queue("code 111111", 1, T0, T0 + 300); /* never sent */
    int64_t code_s = queue("code 222222", 1, T0, T0 + 300); /* sent, no receipt yet */
    int64_t code_d = queue("code 333333", 1, T0, T0 + 300); /* delivered early */
    int64_t info_q = queue("info queued", 0, T0, T0 + 300); /* never sent */
    int64_t info_d = queue("info delivered", 0, T0, T0 + 300);
    int64_t inflight = queue("code 444444", 1, T0, T0 + 300); /* being sent at expiry */

    ck_assert_int_eq(store_sms_update(st, code_s, SMS_SENT, 1, T0, 0, 0, T0 + 1), 1);
    ck_assert_int_eq(store_sms_update(st, code_d, SMS_DELIVERED, 1, T0, 0, 0, T0 + 2), 1);
    ck_assert_int_eq(store_sms_update(st, info_d, SMS_DELIVERED, 1, T0, 0, 0, T0 + 2), 1);
    ck_assert_int_eq(store_sms_update(st, inflight, SMS_SENDING, 1, T0, 0, 0, T0 + 3), 1);
    /* Before the validity: only the delivered code text goes. */
    ck_assert_int_eq(store_sms_expire(st, T0 + 299), 0);
    ck_assert_int_eq(store_sms_scrub(st, T0 + 299), 1);
    ck_assert(get(code_d).scrubbed);
    ck_assert_str_eq(get(code_d).body, "");
    ck_assert_str_eq(get(code_s).body, "code 222222");
    ck_assert_int_eq(store_sms_scrub(st, T0 + 299), 0); /* once */
    /* At the validity: what was never sent expires; every code text goes;
       information texts stay, delivered or not. */
    ck_assert_int_eq(store_sms_expire(st, T0 + 300), 2);
    ck_assert_int_eq(get(code_q).state, SMS_EXPIRED);
    ck_assert_int_eq(get(info_q).state, SMS_EXPIRED);
    ck_assert_int_eq(get(code_s).state, SMS_SENT);      /* its receipt may still come */
    ck_assert_int_eq(get(inflight).state, SMS_SENDING); /* its answer may still come */
    ck_assert_int_eq(store_sms_scrub(st, T0 + 300), 3);
    ck_assert(get(code_q).scrubbed);
    ck_assert(get(code_s).scrubbed);
    ck_assert(get(inflight).scrubbed);
    ck_assert(!get(info_q).scrubbed);
    ck_assert_str_eq(get(info_q).body, "info queued");
    ck_assert_str_eq(get(info_d).body, "info delivered");
}
END_TEST

START_TEST(test_parts_and_receipts)
{
    int64_t p1 = partner("smsc1"), p2 = partner("smsc2");
    int64_t a = queue("long message", 0, T0, T0 + 600), b = queue("short", 0, T0, T0 + 600);
    struct store_sms m;

    ck_assert_int_eq(store_sms_part(st, a, 1, p1, "m-1"), 0);
    ck_assert_int_eq(store_sms_part(st, a, 2, p1, "m-2"), 0);
    ck_assert_int_eq(store_sms_part(st, b, 1, p2, "m-1"), 0); /* the same id at another SMSC */
    m = get(a);
    ck_assert_str_eq(m.message_id, "m-1");
    ck_assert_uint_eq(m.parts, 2);
    ck_assert_int_eq(store_sms_by_message_id(st, p1, "m-2", &m), 0);
    ck_assert_int_eq(m.id, a);
    ck_assert_int_eq(store_sms_by_message_id(st, p1, "m-1", &m), 0);
    ck_assert_int_eq(m.id, a);
    ck_assert_int_eq(store_sms_by_message_id(st, p2, "m-1", &m), 0);
    ck_assert_int_eq(m.id, b);
    ck_assert_int_eq(store_sms_by_message_id(st, p2, "m-2", &m), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(store_sms_by_message_id(st, p1, "", &m), -KP_ERR_NOTFOUND);
    /* A retry that goes out again records the new ids over the old. */
    ck_assert_int_eq(store_sms_part(st, a, 1, p1, "m-9"), 0);
    ck_assert_str_eq(get(a).message_id, "m-9");
    ck_assert_uint_eq(get(a).parts, 2);
    ck_assert_int_eq(store_sms_by_message_id(st, p1, "m-9", &m), 0);
    ck_assert_int_eq(store_sms_by_message_id(st, p1, "m-1", &m), -KP_ERR_NOTFOUND);
    /* An answer with no message_id (deliver_sm_resp) still counts its part. */
    int64_t c = queue("to a gateway", 0, T0, T0 + 600);
    ck_assert_int_eq(store_sms_part(st, c, 1, p1, ""), 0);
    ck_assert_int_eq(store_sms_part(st, c, 2, p1, NULL), 0);
    ck_assert_uint_eq(get(c).parts, 2);
    ck_assert_str_eq(get(c).message_id, "");
    ck_assert_int_eq(store_sms_by_message_id(st, p1, "", &m), -KP_ERR_NOTFOUND);
}
END_TEST

START_TEST(test_recover)
{
    int64_t ids[5];

    for (int i = 0; i < 5; i++)
        ids[i] = queue("hello", 0, T0, T0 + 600);
    ck_assert_int_eq(store_sms_update(st, ids[0], SMS_SENDING, 1, T0, 0, 0, T0), 1);
    ck_assert_int_eq(store_sms_update(st, ids[1], SMS_SENDING, 3, T0, 0, 0, T0), 1);
    ck_assert_int_eq(store_sms_update(st, ids[2], SMS_SENT, 1, T0, 0, 0, T0), 1);
    ck_assert_int_eq(store_sms_update(st, ids[3], SMS_QUEUED, 1, T0 + 100, 0, 0x58, T0), 1);
    /* What was handed to a link goes back to the queue, due at once;
       nothing else moves. */
    ck_assert_int_eq(store_sms_recover(st, T0 + 5), 2);
    ck_assert_int_eq(get(ids[0]).state, SMS_QUEUED);
    ck_assert_int_eq(get(ids[0]).next_attempt_at, T0 + 5);
    ck_assert_uint_eq(get(ids[1]).attempts, 3);
    ck_assert_int_eq(get(ids[2]).state, SMS_SENT);
    ck_assert_int_eq(get(ids[3]).next_attempt_at, T0 + 100);
    ck_assert_int_eq(store_sms_due(st, T0 + 5, rows, 64), 3); /* 0, 1 and 4 */
    ck_assert_int_eq(store_sms_recover(st, T0 + 6), 0);
}
END_TEST

START_TEST(test_list_and_counts)
{
    uint64_t counts[SMS_STATE_MAX];
    int64_t ids[6];

    for (int i = 0; i < 6; i++)
        ids[i] = queue(i % 2 ? "code 555555" : "info", i % 2, T0 + i, T0 + 600);
    ck_assert_int_eq(store_sms_update(st, ids[1], SMS_SENT, 1, T0, 0, 0, T0 + 9), 1);
    ck_assert_int_eq(store_sms_update(st, ids[2], SMS_SENT, 1, T0, 0, 0, T0 + 9), 1);
    ck_assert_int_eq(store_sms_update(st, ids[3], SMS_FAILED, 1, T0, 0, 11, T0 + 9), 1);
    /* Newest first; a state filter; a limit. */
    ck_assert_int_eq(store_sms_list(st, -1, rows, 64), 6);
    ck_assert_int_eq(rows[0].id, ids[5]);
    ck_assert_int_eq(rows[5].id, ids[0]);
    ck_assert_int_eq(store_sms_list(st, SMS_SENT, rows, 64), 2);
    ck_assert_int_eq(rows[0].id, ids[2]);
    ck_assert_int_eq(rows[1].id, ids[1]);
    ck_assert_int_eq(store_sms_list(st, SMS_DELIVERED, rows, 64), 0);
    ck_assert_int_eq(store_sms_list(st, -1, rows, 2), 2);
    ck_assert_int_eq(store_sms_counts(st, counts), 0);
    ck_assert_uint_eq(counts[SMS_QUEUED], 3);
    ck_assert_uint_eq(counts[SMS_SENT], 2);
    ck_assert_uint_eq(counts[SMS_FAILED], 1);
    ck_assert_uint_eq(counts[SMS_DELIVERED], 0);
}
END_TEST

Suite *suite_sms_store(void)
{
    Suite *s = suite_create("sms_store");
    TCase *tc = tcase_create("outbox");

    tcase_add_checked_fixture(tc, sms_setup, sms_teardown);
    tcase_add_test(tc, test_queue_and_due);
    tcase_add_loop_test(tc, test_final_never_changes, 0, (int)KP_ARRAY_LEN(moves));
    tcase_add_test(tc, test_expire_and_scrub);
    tcase_add_test(tc, test_parts_and_receipts);
    tcase_add_test(tc, test_recover);
    tcase_add_test(tc, test_list_and_counts);
    suite_add_tcase(s, tc);
    return s;
}
