/* SPDX-License-Identifier: ISC */
/*
 * kpass phone against the real kpassd (issue 11): long SMS, in GSM 7-bit
 * and in UCS-2, sent in parts with a UDH, shown once and whole; an SMS to
 * another number on the same partner not shown; and lines typed before
 * the bind is up kept and sent, one per screen (they used to be sent at
 * once to a link that was not bound, and kpass phone gave up).  kpassd
 * never uses sar_* parameters, so a long SMS split that way comes from the
 * test SMSC (smsc.js) that kpass phone binds to instead.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms_e2e.h"
#include "testutil.h"

static struct tu_daemon d;
static struct tu_proc smsc, ph;

static void pe_teardown(void)
{
    if (ph.pid > 0)
        tu_proc_stop(&ph);
    memset(&ph, 0, sizeof(ph));
    tu_daemon_cleanup(&d);
    se_smsc_stop(&smsc);
    memset(&smsc, 0, sizeof(smsc));
}

/* How many times text occurs in out. */
static int pe_count(const char *out, const char *text)
{
    int n = 0;

    for (const char *p = out; (p = strstr(p, text)) != NULL; p++)
        n++;
    return n;
}

START_TEST(test_phone_long_sms_and_typed_ahead)
{
    char en[400], ur[600], want[700], pw[600], *out = NULL;
    int rc;

    /* 320 GSM characters (3 parts of 153) and 150 Urdu letters (3 parts of 67 in UCS-2). */
    for (int i = 0; i < 32; i++)
        snprintf(en + 10 * i, sizeof(en) - 10 * (size_t)i, "part%03d-- ", i);
    ur[0] = '\0';
    for (int i = 0; i < 75; i++)
        strcat(ur, "خط"); /* 2 letters, 4 octets of UTF-8 */
    se_prepare(&d, NULL);
    se_server_partner(&d);
    ck_assert_int_gt(se_queue(&d, "+923000000101", en, 0, 3600), 0);
    ck_assert_int_gt(se_queue(&d, "+923000000101", ur, 0, 3600), 0);
    ck_assert_int_gt(se_queue(&d, "+923000000202", "not for this phone", 0, 3600), 0);
    tu_daemon_start(&d);
    snprintf(pw, sizeof(pw), "%s/pw", d.dir);
    rc = tu_kpass(&d, NULL, &out, "phone", "--password-file", pw, "--msisdn", "+923000000101",
                  "--listen", "15", "--wait-sms", "2", "--json", NULL);
    ck_assert_msg(rc == 0, "kpass phone: %d: %s", rc, out);
    /* Two messages, each once and whole; the other number's not at all. */
    ck_assert_int_eq(pe_count(out, "{\"sms\":"), 2);
    snprintf(want, sizeof(want), "{\"sms\":\"%s\",\"encoding\":\"gsm7\"", en);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    snprintf(want, sizeof(want), "{\"sms\":\"%s\",\"encoding\":\"ucs2\"", ur);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    ck_assert_ptr_null(strstr(out, "not for this phone"));
    free(out);

    /* Typed before the bind is up: a dial, a reply, an empty line to end. */
    rc = tu_kpass(&d, "*789#\n1\n\n", &out, "phone", "--password-file", pw, "--msisdn",
                  "+923000000101", "--json", NULL);
    ck_assert_msg(rc == 0, "kpass phone: %d: %s", rc, out);
    ck_assert_int_eq(pe_count(out, "{\"send\":\"*789#\"}"), 1);
    ck_assert_int_eq(pe_count(out, "{\"send\":\"1\"}"), 1);
    ck_assert_int_eq(pe_count(out, "{\"screen\":"), 2);
    /* The reply went after the first screen came, not before. */
    ck_assert_ptr_nonnull(strstr(strstr(out, "{\"screen\":"), "{\"send\":\"1\"}"));
    free(out);
}
END_TEST

/* A deliver_sm of one sar_* part (ref 0x2a01, 2 parts) to number, from smsc.js. */
static void pe_sar_part(const char *number, int seq, const char *text)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd),
             "{\"cmd\":\"send\",\"pdu\":\"deliver_sm\",\"fields\":{\"source_addr_ton\":5,"
             "\"source_addr\":\"KhyberPass\",\"dest_addr_ton\":1,\"dest_addr_npi\":1,"
             "\"destination_addr\":\"%s\",\"data_coding\":0,\"short_message_text\":\"%s\","
             "\"sar_msg_ref_num\":10753,\"sar_total_segments\":2,\"sar_segment_seqnum\":%d}}",
             number, text, seq);
    tu_proc_send(&smsc, cmd);
}

START_TEST(test_phone_sar)
{
    char pw[600], port[16], *line;

    int p = se_smsc_start(&smsc, 0, NULL);
    tu_daemon_prepare(&d, NULL);
    snprintf(pw, sizeof(pw), "%s/pw", d.dir);
    ck_assert_int_eq(tu_write_file(pw, "pw4smsc\n"), 0);
    snprintf(port, sizeof(port), "%d", p);
    char *argv[] = {strdup(tu_bin("kpass")),
                    strdup("-c"),
                    strdup(d.conf),
                    strdup("phone"),
                    strdup("--host"),
                    strdup("127.0.0.1"),
                    strdup("--port"),
                    strdup(port),
                    strdup("--system-id"),
                    strdup("kpass"),
                    strdup("--password-file"),
                    strdup(pw),
                    strdup("--msisdn"),
                    strdup("+923000000101"),
                    strdup("--listen"),
                    strdup("15"),
                    strdup("--wait-sms"),
                    strdup("2"),
                    strdup("--json"),
                    NULL};
    tu_proc_start(&ph, argv);
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    se_smsc_bound(&smsc);
    /* The second part first, another number's message between. */
    pe_sar_part("923000000101", 2, "world.");
    pe_sar_part("923000000202", 1, "Not yours, ");
    pe_sar_part("923000000101", 1, "Hello, ");
    line = tu_proc_expect(&ph, 10000, "{\"sms\":", NULL);
    ck_assert_ptr_nonnull(line);
    ck_assert_msg(strstr(line, "{\"sms\":\"Hello, world.\",") == line, "%s", line);
    free(line);
    /* The other number's part never shows, whole or not; a plain SMS does. */
    tu_proc_send(&smsc, "{\"cmd\":\"send\",\"pdu\":\"deliver_sm\",\"fields\":{"
                        "\"source_addr\":\"8080\",\"dest_addr_ton\":1,\"dest_addr_npi\":1,"
                        "\"destination_addr\":\"923000000101\",\"short_message_text\":\"bye\"}}");
    line = tu_proc_expect(&ph, 10000, "{\"sms\":", NULL);
    ck_assert_ptr_nonnull(line);
    ck_assert_msg(strstr(line, "{\"sms\":\"bye\",") == line, "%s", line);
    free(line);
    ck_assert_int_eq(tu_proc_stop(&ph), 0);
    memset(&ph, 0, sizeof(ph));
}
END_TEST

Suite *suite_phone_e2e(void)
{
    Suite *s = suite_create("phone_e2e");
    TCase *tc = tcase_create("e2e");

    tcase_add_checked_fixture(tc, NULL, pe_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_phone_long_sms_and_typed_ahead);
    tcase_add_test(tc, test_phone_sar);
    suite_add_tcase(s, tc);
    return s;
}
