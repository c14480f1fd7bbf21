/* SPDX-License-Identifier: ISC */
/*
 * The SMS dispatcher when things go wrong, with the real daemon and the
 * test SMSC (smsc.js) in client mode:
 *   - throttled (ESME_RTHROTTLED): retried with a doubling backoff, then sent;
 *   - no response: the response timer runs out, the message is retried;
 *   - each refusal by its kind: temporary ones retried, permanent ones
 *     failed at once (and a code's text scrubbed);
 *   - a receipt for part 1 arriving before the response to part 2;
 *   - no partner bound: the message waits, and goes when one binds;
 *   - a message never sent expires (and a code's text is scrubbed);
 *   - kill -9 with 200 messages in the outbox: after a restart every one
 *     is sent, duplicates at most the number kpassd reports, and the
 *     database passes PRAGMA integrity_check.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/sms.h"
#include "sms_e2e.h"
#include "pgtest.h"
#include "testutil.h"

static struct tu_daemon d;
static struct tu_proc smsc;

static void retry_teardown(void)
{
    /* The daemon first: it inherited smsc.js's stdin, which must reach EOF. */
    tu_daemon_cleanup(&d);
    se_smsc_stop(&smsc);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A daemon bound to smsc.js (started by the caller) with conf, and one
   message queued before it starts (id 1). */
static void retry_daemon(int port, const char *conf, const char *text, int is_code)
{
    se_prepare(&d, conf);
    se_client_partner(&d, port);
    ck_assert_int_eq(se_queue(&d, "+923000000101", text, is_code, 600), 1);
    tu_daemon_start(&d);
    se_smsc_bound(&smsc);
}

/* Answer the request on line (a pdu event) with status and message_id. */
static void smsc_answer(const char *line, unsigned status, const char *message_id)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd),
             "{\"cmd\":\"send\",\"session\":%ld,\"pdu\":\"submit_sm_resp\","
             "\"sequence_number\":%ld,\"command_status\":%u,\"fields\":{\"message_id\":\"%s\"}}",
             tu_json_int(line, "session"), tu_json_int(line, "sequence_number"), status,
             message_id);
    tu_proc_send(&smsc, cmd);
}

/* A delivery receipt for message_id (SMPP 3.4 §5.2.12 esm_class 0x04, Appendix B). */
static void smsc_receipt(const char *message_id)
{
    char cmd[1024], *line;

    snprintf(cmd, sizeof(cmd),
             "{\"cmd\":\"send\",\"pdu\":\"deliver_sm\",\"fields\":{\"source_addr_ton\":1,"
             "\"source_addr_npi\":1,\"source_addr\":\"923000000101\",\"dest_addr_ton\":5,"
             "\"destination_addr\":\"KPASS\",\"esm_class\":4,\"data_coding\":0,"
             "\"short_message_text\":\"id:%s sub:001 dlvrd:001 submit date:2701150800 "
             "done date:2701150801 stat:DELIVRD err:000 text:Khyber Pass\","
             "\"receipted_message_id\":\"%s\",\"message_state\":2}}",
             message_id, message_id);
    tu_proc_send(&smsc, cmd);
    line = tu_proc_expect(&smsc, 5000, "\"event\":\"resp\"", "deliver_sm_resp", NULL);
    ck_assert_msg(line != NULL, "the receipt was not answered");
    ck_assert_ptr_nonnull(strstr(line, "\"command_status\":0"));
    free(line);
}

START_TEST(test_throttled)
{
    uint64_t at[3];
    char *line, *log, value[64];
    int port = se_smsc_start(&smsc, 0, "--throttle", "2", "--dlr", NULL);

    retry_daemon(port, "[sms]\nretry_min = 1s\nretry_max = 4s\n", "hello from kpass", 0);
    for (int i = 0; i < 3; i++) {
        line = se_next_sms(&smsc, 8000);
        ck_assert_msg(line != NULL, "attempt %d not seen", i + 1);
        at[i] = now_ms();
        free(line);
    }
    ck_assert_int_eq(se_wait_state(&d, 1, "delivered", 5000), 0);
    se_show(&d, 1, "attempts", value, sizeof(value));
    ck_assert_str_eq(value, "3");
    /* The backoff doubles: 1 s after the first refusal, 2 s after the
       second (whole seconds, so the second gap is at least 1 s). */
    ck_assert_msg(at[2] - at[1] >= 1000, "second retry after %llu ms",
                  (unsigned long long)(at[2] - at[1]));
    log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "sms: 1 retry in 1 s (ESME_RTHROTTLED)"));
    ck_assert_ptr_nonnull(strstr(log, "sms: 1 retry in 2 s (ESME_RTHROTTLED)"));
    free(log);
    /* No more: exactly three submissions. */
    ck_assert_ptr_null(se_next_sms(&smsc, 1500));
    se_log_clean(&d, NULL, 0);
}
END_TEST

START_TEST(test_no_response)
{
    char *line, *log, value[64];
    int port = se_smsc_start(&smsc, 0, "--no-resp", NULL);

    retry_daemon(port, "[smpp]\nresponse_timeout = 2s\n[sms]\nretry_min = 1s\n", "hello from kpass",
                 0);
    line = se_next_sms(&smsc, 5000);
    ck_assert_ptr_nonnull(line);
    free(line);
    /* Not answered: the response timer runs out and the message goes again. */
    line = se_next_sms(&smsc, 5000);
    ck_assert_msg(line != NULL, "not retried after the response timeout");
    smsc_answer(line, 0, "m77");
    free(line);
    ck_assert_int_eq(se_wait_state(&d, 1, "sent", 5000), 0);
    se_show(&d, 1, "message_id", value, sizeof(value));
    ck_assert_str_eq(value, "m77");
    se_show(&d, 1, "attempts", value, sizeof(value));
    ck_assert_str_eq(value, "2");
    log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "no response to submit_sm"));
    free(log);
    smsc_receipt("m77");
    ck_assert_int_eq(se_wait_state(&d, 1, "delivered", 5000), 0);
    se_log_clean(&d, NULL, 0);
}
END_TEST

/* A refusal of each kind (SMPP 3.4 §5.1.3): retried or failed. */
static const struct {
    unsigned status;
    const char *name;
    int temporary;
} refusals[] = {
    {0x0B, "ESME_RINVDSTADR", 0}, {0x45, "ESME_RSUBMITFAIL", 0}, {0x0A, "ESME_RINVSRCADR", 0},
    {0x58, "ESME_RTHROTTLED", 1}, {0x14, "ESME_RMSGQFUL", 1},    {0x08, "ESME_RSYSERR", 1},
};

START_TEST(test_refusals)
{
    char *line, value[64], db[600];
    struct store *st;
    struct store_sms *m = kp_calloc(1, sizeof(*m));
    int port = se_smsc_start(&smsc, 0, "--no-resp", NULL);

    /* A code message: its text goes when it fails for good. */
    retry_daemon(port, "[sms]\nretry_min = 1s\n",
                 "Khyber Pass: your code for identity check is 482913. Valid 5 minutes.", 1);
    line = se_next_sms(&smsc, 5000);
    ck_assert_ptr_nonnull(line);
    smsc_answer(line, refusals[_i].status, "");
    free(line);
    if (refusals[_i].temporary) {
        line = se_next_sms(&smsc, 3000);
        ck_assert_msg(line != NULL, "%s not retried", refusals[_i].name);
        smsc_answer(line, 0, "ok1");
        ck_assert_int_eq(se_wait_state(&d, 1, "sent", 5000), 0);
        se_show(&d, 1, "attempts", value, sizeof(value));
        ck_assert_str_eq(value, "2");
    } else {
        ck_assert_int_eq(se_wait_state(&d, 1, "failed", 5000), 0);
        line = se_next_sms(&smsc, 1500); /* a retry would come after 1 s */
        ck_assert_msg(line == NULL, "%s retried", refusals[_i].name);
        se_show(&d, 1, "attempts", value, sizeof(value));
        ck_assert_str_eq(value, "1");
        se_show(&d, 1, "last status", value, sizeof(value));
        ck_assert_ptr_nonnull(strstr(value, refusals[_i].name));
        snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
        ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
        ck_assert_int_eq(store_sms_get(st, 1, m), 0);
        ck_assert(m->scrubbed);
        store_close(st);
    }
    free(line);
    free(m);
    char codes[1][7] = {"482913"};
    se_log_clean(&d, codes, 1);
}
END_TEST

START_TEST(test_receipt_before_last_part)
{
    char text[400] = "", *p1, *p2, value[64];
    int port = se_smsc_start(&smsc, 0, "--no-resp", NULL);

    /* Two parts; the SMSC answers part 1, its receipt says delivered, and
       only then does the response to part 2 come: delivered stays. */
    for (int i = 0; i < 20; i++)
        strcat(text, "Khyber Pass ");
    retry_daemon(port, NULL, text, 0);
    p1 = se_next_sms(&smsc, 5000);
    p2 = se_next_sms(&smsc, 5000);
    ck_assert(p1 && p2);
    smsc_answer(p1, 0, "r1");
    smsc_receipt("r1");
    ck_assert_int_eq(se_wait_state(&d, 1, "delivered", 5000), 0);
    smsc_answer(p2, 0, "r2");
    /* parts becomes 2 when the answer to part 2 is recorded, in the same
       commit as the end of the flight. */
    for (int waited = 0; waited < 5000; waited += 100) {
        se_show(&d, 1, "parts", value, sizeof(value));
        if (strcmp(value, "2") == 0)
            break;
        usleep(100000);
    }
    ck_assert_str_eq(value, "2");
    se_show(&d, 1, "state", value, sizeof(value));
    ck_assert_str_eq(value, "delivered");
    smsc_receipt("r2"); /* the second part's receipt changes nothing */
    se_show(&d, 1, "state", value, sizeof(value));
    ck_assert_str_eq(value, "delivered");
    free(p1);
    free(p2);
    se_log_clean(&d, NULL, 0);
}
END_TEST

START_TEST(test_waits_for_partner)
{
    char value[64], *line;
    int port = tu_free_port();

    /* The SMSC is not there yet: the message waits, untried. */
    se_prepare(&d, "[smpp]\nreconnect_min = 200ms\nreconnect_max = 500ms\n");
    se_client_partner(&d, port);
    ck_assert_int_eq(se_queue(&d, "+923000000101", "hello from kpass", 0, 600), 1);
    tu_daemon_start(&d);
    sleep(2);
    se_show(&d, 1, "state", value, sizeof(value));
    ck_assert_str_eq(value, "queued");
    se_show(&d, 1, "attempts", value, sizeof(value));
    ck_assert_str_eq(value, "0");
    /* It comes: the message goes. */
    ck_assert_int_eq(se_smsc_start(&smsc, port, "--dlr", NULL), port);
    se_smsc_bound(&smsc);
    line = se_next_sms(&smsc, 5000);
    ck_assert_msg(line != NULL, "not sent after the bind");
    free(line);
    ck_assert_int_eq(se_wait_state(&d, 1, "delivered", 5000), 0);
    se_show(&d, 1, "attempts", value, sizeof(value));
    ck_assert_str_eq(value, "1");
    se_log_clean(&d, NULL, 0);
}
END_TEST

START_TEST(test_expires_unsent)
{
    char value[64], pw[600], db[600], *out = NULL, *log;
    struct store *st;
    struct store_sms *m = kp_calloc(1, sizeof(*m));
    int rc;

    /* Server mode, nobody bound: a code that lives 2 s expires unsent
       (its text scrubbed); a message that lives an hour waits, and goes to
       the first partner that binds. */
    se_prepare(&d, NULL);
    se_server_partner(&d);
    ck_assert_int_eq(
        se_queue(&d, "+923000000101", "Khyber Pass: your code for land record is 730412.", 1, 2),
        1);
    /* To the number kpass phone plays below: it shows only its own SMS. */
    ck_assert_int_eq(se_queue(&d, "+923009999999", "hello from kpass", 0, 3600), 2);
    tu_daemon_start(&d);
    ck_assert_int_eq(se_wait_state(&d, 1, "expired", 5000), 0);
    se_show(&d, 1, "attempts", value, sizeof(value));
    ck_assert_str_eq(value, "0");
    se_show(&d, 2, "state", value, sizeof(value));
    ck_assert_str_eq(value, "queued");
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    ck_assert_int_eq(store_sms_get(st, 1, m), 0);
    ck_assert(m->scrubbed);
    store_close(st);
    log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "sms: 1 message(s) expired before they could be sent"));
    free(log);
    snprintf(pw, sizeof(pw), "%s/pw", d.dir);
    /* A caller whose dialog ends (an unregistered number asking for a code). */
    rc = tu_kpass(&d, NULL, &out, "phone", "--password-file", pw, "--msisdn", "+923009999999",
                  "--script", "*789#,4,1,0000", "--wait-sms", "1", "--timeout", "10", "--json",
                  NULL);
    ck_assert_msg(rc == 0, "kpass phone: %s", out);
    ck_assert_msg(strstr(out, "{\"sms\":\"hello from kpass\"") != NULL, "%s", out);
    ck_assert_ptr_null(strstr(out, "730412"));
    free(out);
    ck_assert_int_eq(se_wait_state(&d, 2, "sent", 5000), 0);
    free(m);
    char codes[1][7] = {"730412"};
    se_log_clean(&d, codes, 1);
}
END_TEST

/* ---- kill -9 with work in the outbox ---- */

#define CRASH_N 200

/* Read smsc.js lines until every message was seen or timeout_ms; counts
   submissions per message into seen[] and in total. */
static void crash_collect(int *seen, int *total, int stop_at_total, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    int distinct = 0;

    for (int i = 1; i <= CRASH_N; i++)
        distinct += seen[i] > 0;
    while (distinct < CRASH_N && (stop_at_total == 0 || *total < stop_at_total)) {
        char text[128];
        int left = (int)(deadline - now_ms()), k;
        char *line;
        if (left <= 0)
            break;
        line = se_next_sms(&smsc, left);
        if (line == NULL)
            break;
        ck_assert_int_eq(se_json_str(line, "text", text, sizeof(text)), 0);
        ck_assert_int_eq(sscanf(text, "crash test message %d", &k), 1);
        ck_assert(k >= 1 && k <= CRASH_N);
        distinct += seen[k]++ == 0;
        (*total)++;
        free(line);
    }
}

/* Poll the outbox until CRASH_N messages are sent or timeout_ms; how many are. */
static uint64_t sent_count(const char *db, int timeout_ms)
{
    uint64_t counts[SMS_STATE_MAX] = {0};
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    struct store *st;

    do {
        usleep(100000);
        ck_assert_int_eq(tu_store_open(db, STORE_READONLY, &st), 0);
        ck_assert_int_eq(store_sms_counts(st, counts), 0);
        store_close(st);
    } while (counts[SMS_SENT] < CRASH_N && now_ms() < deadline);
    return counts[SMS_SENT];
}

START_TEST(test_crash)
{
    int seen[CRASH_N + 1] = {0}, total = 0, reported = 0, distinct = 0;
    char db[600], *log, *p;
    struct store *st;
    struct kp_buf report = KP_BUF_INIT;
    int port = se_smsc_start(&smsc, 0, "--resp-delay", "300", NULL);

    /* 200 messages for an SMSC that answers each after 300 ms: with a
       window of 64, about 64 are always in flight. */
    se_prepare(&d, NULL);
    se_client_partner(&d, port);
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    ck_assert_int_eq(store_tx_begin(st), 0);
    for (int i = 1; i <= CRASH_N; i++) {
        char text[64];
        int64_t id, now = (int64_t)time(NULL);
        snprintf(text, sizeof(text), "crash test message %d", i);
        ck_assert_int_eq(store_sms_queue(st, "+923000000101", text, 0, NULL, now + 600, now, &id),
                         0);
    }
    ck_assert_int_eq(store_tx_commit(st), 0);
    store_close(st);
    tu_daemon_start(&d);
    se_smsc_bound(&smsc);
    /* Half-way, kpassd dies without a word. */
    crash_collect(seen, &total, CRASH_N / 2, 20000);
    ck_assert_int_eq(total, CRASH_N / 2);
    ck_assert_int_eq(tu_daemon_stop(&d, SIGKILL), 128 + SIGKILL);
    /* Restarted, it sends everything that was not answered, until the
       outbox says every message was sent. */
    tu_daemon_start(&d);
    ck_assert_msg(sent_count(db, 30000) == CRASH_N, "not all sent");
    crash_collect(seen, &total, 0, 2000);
    for (int i = 1; i <= CRASH_N; i++)
        distinct += seen[i] > 0;
    ck_assert_int_eq(distinct, CRASH_N);
    log = tu_daemon_log(&d);
    p = strstr(log, " message(s) were in flight when kpassd stopped");
    ck_assert_msg(p != NULL, "no recovery reported: %s", log);
    while (p > log && p[-1] >= '0' && p[-1] <= '9')
        p--;
    reported = atoi(p);
    free(log);
    /* The only duplicates are among what kpassd said may be sent twice. */
    ck_assert_msg(total - CRASH_N <= reported, "%d duplicates, %d reported", total - CRASH_N,
                  reported);
    ck_assert_int_gt(reported, 0);
    ck_assert_int_le(reported, 64 + 64); /* the window, and the ones answered but not committed */
    /* The file is sound. */
    ck_assert_int_eq(tu_daemon_stop(&d, SIGTERM), 0);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    if (!tu_pg_wanted()) /* PRAGMA integrity_check is SQLite's */
        ck_assert_msg(store_integrity_check(st, &report) == 0, "%s", report.data);
    uint64_t counts[SMS_STATE_MAX];
    ck_assert_int_eq(store_sms_counts(st, counts), 0);
    ck_assert_uint_eq(counts[SMS_SENT], CRASH_N);
    store_close(st);
    kp_buf_free(&report);
    se_log_clean(&d, NULL, 0);
}
END_TEST

Suite *suite_sms_retry(void)
{
    Suite *s = suite_create("sms_retry");
    TCase *tc = tcase_create("retry");

    tcase_add_checked_fixture(tc, NULL, retry_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_throttled);
    tcase_add_test(tc, test_no_response);
    tcase_add_loop_test(tc, test_refusals, 0, (int)KP_ARRAY_LEN(refusals));
    tcase_add_test(tc, test_receipt_before_last_part);
    tcase_add_test(tc, test_waits_for_partner);
    tcase_add_test(tc, test_expires_unsent);
    suite_add_tcase(s, tc);
    tc = tcase_create("crash");
    tcase_add_checked_fixture(tc, NULL, retry_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_crash);
    suite_add_tcase(s, tc);
    return s;
}
