/* SPDX-License-Identifier: ISC */
/*
 * sms: splitting at every boundary (3GPP TS 23.038/23.040 sizes), delivery
 * receipts in TLV and text form (SMPP 3.4 Appendix B), and the outbox state
 * machine: every receipt state and every retry path.
 */
#include <check.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/sms/sms.h"
#include "testutil.h"

static char *repeat(char *buf, const char *unit, int n)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(buf, unit);
    return buf;
}

static const struct {
    const char *unit; /* repeated count times */
    int count;
    enum sms_long mode;
    int parts; /* expected parts, -1: refused */
    enum text_enc enc;
    int first_len; /* octets of the first part */
} splits[] = {
    {"a", 1, SMS_LONG_UDH, 1, TEXT_GSM7, 1},
    {"a", 160, SMS_LONG_UDH, 1, TEXT_GSM7, 160},     /* exactly one SMS */
    {"a", 161, SMS_LONG_UDH, 2, TEXT_GSM7, 6 + 153}, /* one over: two parts with UDH */
    {"a", 306, SMS_LONG_UDH, 2, TEXT_GSM7, 6 + 153},
    {"a", 307, SMS_LONG_UDH, 3, TEXT_GSM7, 6 + 153},
    {"\xe2\x82\xac", 80, SMS_LONG_UDH, 1, TEXT_GSM7, 160},     /* 80 x euro = 160 septets */
    {"\xe2\x82\xac", 81, SMS_LONG_UDH, 2, TEXT_GSM7, 6 + 152}, /* never split ESC + char */
    {"\xd8\xb3", 70, SMS_LONG_UDH, 1, TEXT_UCS2, 140},         /* Urdu: 70 UCS-2 characters */
    {"\xd8\xb3", 71, SMS_LONG_UDH, 2, TEXT_UCS2, 6 + 134},
    {"a", 400, SMS_LONG_PAYLOAD, 1, TEXT_GSM7, 400},
    {"a", 1300, SMS_LONG_UDH, -1, TEXT_GSM7, 0}, /* more than 8 parts */
};

START_TEST(test_split)
{
    static char text[4096];
    struct sms_parts p;
    int rc;

    repeat(text, splits[_i].unit, splits[_i].count);
    rc = sms_split(text, strlen(text), splits[_i].mode, 0x42, &p);
    if (splits[_i].parts < 0) {
        ck_assert_int_eq(rc, -KP_ERR_TOOLONG);
        return;
    }
    ck_assert_msg(rc == 0, "case %d: rc %d", _i, rc);
    ck_assert_int_eq(p.enc, splits[_i].enc);
    ck_assert_uint_eq(p.n, (unsigned)splits[_i].parts);
    ck_assert_uint_eq(p.len[0], (unsigned)splits[_i].first_len);
    if (p.n > 1) {
        ck_assert(p.udh);
        for (unsigned i = 0; i < p.n; i++) {
            /* 3GPP TS 23.040 §9.2.3.24.1: UDHL 5, IEI 0, length 3, ref, total, seq */
            ck_assert_uint_eq(p.data[i][0], 5);
            ck_assert_uint_eq(p.data[i][3], 0x42);
            ck_assert_uint_eq(p.data[i][4], p.n);
            ck_assert_uint_eq(p.data[i][5], i + 1);
            ck_assert_uint_le(p.len[i], p.enc == TEXT_GSM7 ? 159 : 140);
        }
    } else {
        ck_assert(!p.udh);
    }
}
END_TEST

START_TEST(test_split_reassembles)
{
    static char text[2048];
    struct sms_parts p;
    struct kp_buf all = KP_BUF_INIT;

    repeat(text, "Khyber Pass {code} ", 20);
    ck_assert_int_eq(sms_split(text, strlen(text), SMS_LONG_UDH, 1, &p), 0);
    for (unsigned i = 0; i < p.n; i++)
        ck_assert_int_ge(text_decode(p.data[i] + 6, p.len[i] - 6u, 0, &all), 0);
    ck_assert_str_eq(all.data, text);
    kp_buf_free(&all);
}
END_TEST

static void receipt_pdu(struct smpp_pdu *p, const char *text, uint8_t esm)
{
    smpp_pdu_init(p, SMPP_DELIVER_SM, 1);
    p->sm.esm_class = esm;
    p->sm.sm_length = (uint8_t)strlen(text);
    memcpy(p->sm.short_message, text, strlen(text));
}

START_TEST(test_receipts)
{
    struct smpp_pdu p;
    struct sms_receipt r;

    /* TLVs win. */
    receipt_pdu(&p, "", 0x04);
    p.tlv.present = SMPP_TLV_RECEIPTED_MESSAGE_ID | SMPP_TLV_MESSAGE_STATE;
    strcpy(p.tlv.receipted_message_id, "abc123");
    p.tlv.message_state = SMS_MS_DELIVERED;
    ck_assert_int_eq(sms_receipt_parse(&p, &r), 1);
    ck_assert_str_eq(r.message_id, "abc123");
    ck_assert_int_eq(r.state, SMS_MS_DELIVERED);
    /* The text form, SMPP 3.4 Appendix B. */
    receipt_pdu(&p,
                "id:77 sub:001 dlvrd:000 submit date:2611270900 done date:2611270901 "
                "stat:UNDELIV err:012 text:Your code",
                0x04);
    ck_assert_int_eq(sms_receipt_parse(&p, &r), 1);
    ck_assert_str_eq(r.message_id, "77");
    ck_assert_int_eq(r.state, SMS_MS_UNDELIVERABLE);
    ck_assert_str_eq(r.err, "012");
    /* "submit date:" must not be read as "date:"; "id" not found inside "sid". */
    receipt_pdu(&p, "sid:9 id:5 stat:DELIVRD", 0x04);
    ck_assert_int_eq(sms_receipt_parse(&p, &r), 1);
    ck_assert_str_eq(r.message_id, "5");
    /* An id from the TLV, the state from the text. */
    receipt_pdu(&p, "id:x stat:EXPIRED", 0x04);
    p.tlv.present = SMPP_TLV_RECEIPTED_MESSAGE_ID;
    strcpy(p.tlv.receipted_message_id, "tlvid");
    ck_assert_int_eq(sms_receipt_parse(&p, &r), 1);
    ck_assert_str_eq(r.message_id, "tlvid");
    ck_assert_int_eq(r.state, SMS_MS_EXPIRED);
    /* Not a receipt: an ordinary MO SMS. */
    receipt_pdu(&p, "hello id:1 stat:DELIVRD", 0x00);
    ck_assert_int_eq(sms_receipt_parse(&p, &r), 0);
    /* Flagged, but unreadable. */
    receipt_pdu(&p, "garbage", 0x04);
    ck_assert_int_eq(sms_receipt_parse(&p, &r), -KP_ERR_PARSE);
    receipt_pdu(&p, "id:1 stat:WHATEVER", 0x04);
    ck_assert_int_eq(sms_receipt_parse(&p, &r), -KP_ERR_PARSE);
}
END_TEST

static const struct {
    const char *stat;
    int state;
} stats[] = {
    {"ENROUTE", SMS_MS_ENROUTE},
    {"DELIVRD", SMS_MS_DELIVERED},
    {"EXPIRED", SMS_MS_EXPIRED},
    {"DELETED", SMS_MS_DELETED},
    {"UNDELIV", SMS_MS_UNDELIVERABLE},
    {"ACCEPTD", SMS_MS_ACCEPTED},
    {"UNKNOWN", SMS_MS_UNKNOWN},
    {"REJECTD", SMS_MS_REJECTED},
    {"delivrd", 0},
    {"", 0},
};

START_TEST(test_receipt_stat)
{
    ck_assert_int_eq(sms_receipt_stat(stats[_i].stat), stats[_i].state);
}
END_TEST

static const struct sms_rules rules = {4, 2, 10};

static const struct {
    enum sms_state from;
    enum sms_event ev;
    int rstate;
    unsigned attempts;
    enum sms_state to;
    unsigned retry;
} moves[] = {
    {SMS_SENDING, SMS_EV_ACCEPTED, 0, 1, SMS_SENT, 0},
    {SMS_SENDING, SMS_EV_TEMPFAIL, 0, 1, SMS_QUEUED, 2},
    {SMS_SENDING, SMS_EV_TEMPFAIL, 0, 2, SMS_QUEUED, 4},
    {SMS_SENDING, SMS_EV_TEMPFAIL, 0, 3, SMS_QUEUED, 8},
    {SMS_SENDING, SMS_EV_TEMPFAIL, 0, 4, SMS_FAILED, 0}, /* out of attempts */
    {SMS_SENDING, SMS_EV_PERMFAIL, 0, 1, SMS_FAILED, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_DELIVERED, 1, SMS_DELIVERED, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_EXPIRED, 1, SMS_EXPIRED, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_UNDELIVERABLE, 1, SMS_UNDELIVERABLE, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_REJECTED, 1, SMS_UNDELIVERABLE, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_DELETED, 1, SMS_UNDELIVERABLE, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_ENROUTE, 1, SMS_SENT, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_ACCEPTED, 1, SMS_SENT, 0},
    {SMS_SENT, SMS_EV_RECEIPT, SMS_MS_UNKNOWN, 1, SMS_SENT, 0},
    /* A receipt may overtake the submit_sm_resp. */
    {SMS_SENDING, SMS_EV_RECEIPT, SMS_MS_DELIVERED, 1, SMS_DELIVERED, 0},
    {SMS_QUEUED, SMS_EV_EXPIRE, 0, 1, SMS_EXPIRED, 0},
    {SMS_SENDING, SMS_EV_EXPIRE, 0, 1, SMS_SENDING, 0},
    {SMS_SENT, SMS_EV_EXPIRE, 0, 1, SMS_SENT, 0},
    /* Final states never move. */
    {SMS_DELIVERED, SMS_EV_RECEIPT, SMS_MS_UNDELIVERABLE, 1, SMS_DELIVERED, 0},
    {SMS_FAILED, SMS_EV_ACCEPTED, 0, 1, SMS_FAILED, 0},
    {SMS_EXPIRED, SMS_EV_TEMPFAIL, 0, 1, SMS_EXPIRED, 0},
    {SMS_UNDELIVERABLE, SMS_EV_RECEIPT, SMS_MS_DELIVERED, 1, SMS_UNDELIVERABLE, 0},
    /* Events that do not apply leave the state alone. */
    {SMS_QUEUED, SMS_EV_ACCEPTED, 0, 1, SMS_QUEUED, 0},
    {SMS_SENT, SMS_EV_TEMPFAIL, 0, 1, SMS_SENT, 0},
};

START_TEST(test_state_machine)
{
    unsigned retry = 99;
    enum sms_state to = sms_next(moves[_i].from, moves[_i].ev, moves[_i].rstate, moves[_i].attempts,
                                 &rules, &retry);

    ck_assert_msg(to == moves[_i].to, "row %d: %s, want %s", _i, sms_state_name(to),
                  sms_state_name(moves[_i].to));
    ck_assert_msg(retry == moves[_i].retry, "row %d: retry %u", _i, retry);
}
END_TEST

START_TEST(test_backoff_cap)
{
    unsigned retry;
    struct sms_rules r = {100, 2, 300};

    ck_assert_int_eq(sms_next(SMS_SENDING, SMS_EV_TEMPFAIL, 0, 50, &r, &retry), SMS_QUEUED);
    ck_assert_uint_eq(retry, 300);
    ck_assert(sms_status_temporary(SMPP_ESME_RTHROTTLED));
    ck_assert(sms_status_temporary(SMPP_ESME_RMSGQFUL));
    ck_assert(!sms_status_temporary(SMPP_ESME_RINVDSTADR));
    ck_assert_str_eq(sms_state_name(SMS_UNDELIVERABLE), "undeliverable");
    ck_assert_int_eq(sms_state_parse("sent"), SMS_SENT);
    ck_assert_int_lt(sms_state_parse("bogus"), 0);
}
END_TEST

Suite *suite_sms(void)
{
    Suite *s = suite_create("sms");
    TCase *tc = tcase_create("split");

    tcase_add_loop_test(tc, test_split, 0, (int)KP_ARRAY_LEN(splits));
    tcase_add_test(tc, test_split_reassembles);
    suite_add_tcase(s, tc);
    tc = tcase_create("receipts");
    tcase_add_test(tc, test_receipts);
    tcase_add_loop_test(tc, test_receipt_stat, 0, (int)KP_ARRAY_LEN(stats));
    suite_add_tcase(s, tc);
    tc = tcase_create("states");
    tcase_add_loop_test(tc, test_state_machine, 0, (int)KP_ARRAY_LEN(moves));
    tcase_add_test(tc, test_backoff_cap);
    suite_add_tcase(s, tc);
    return s;
}
