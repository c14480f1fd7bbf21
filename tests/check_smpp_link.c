/* SPDX-License-Identifier: ISC */
/*
 * smpp: the link state machine as a table (role x state x PDU -> verdict and
 * status), what we may send in each state, the token bucket behind
 * ESME_RTHROTTLED, and the failed-bind limiter.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../src/smpp/smpp_internal.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/fsm.h"
#include "testutil.h"

#define V_ACCEPT SMPP_FSM_ACCEPT
#define V_BIND   SMPP_FSM_BIND
#define V_UNBIND SMPP_FSM_UNBIND
#define V_ENQ    SMPP_FSM_ENQUIRE
#define V_RESP   SMPP_FSM_RESPONSE
#define V_REFUSE SMPP_FSM_REFUSE
#define V_NACK   SMPP_FSM_NACK
#define V_IGN    SMPP_FSM_IGNORE

static const struct {
    enum smpp_role role;
    enum smpp_link_state st;
    uint32_t cmd;
    enum smpp_fsm_verdict v;
    uint32_t status;
} rows[] = {
    /* We are the SMSC: an ESME binds to us. */
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_BIND_TRANSMITTER, V_BIND, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_BIND_RECEIVER, V_BIND, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_BIND_TRANSCEIVER, V_BIND, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_BIND_TRANSCEIVER, V_REFUSE, SMPP_ESME_RALYBND},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TX, SMPP_BIND_RECEIVER, V_REFUSE, SMPP_ESME_RALYBND},
    {SMPP_ROLE_SMSC, SMPP_LINK_BINDING, SMPP_BIND_RECEIVER, V_REFUSE, SMPP_ESME_RALYBND},
    {SMPP_ROLE_SMSC, SMPP_LINK_UNBINDING, SMPP_BIND_RECEIVER, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_SUBMIT_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TX, SMPP_SUBMIT_SM, V_ACCEPT, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_SUBMIT_SM, V_ACCEPT, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_SUBMIT_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_DELIVER_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TX, SMPP_DATA_SM, V_ACCEPT, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_DATA_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_QUERY_SM, V_REFUSE, SMPP_ESME_RQUERYFAIL},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_CANCEL_SM, V_REFUSE, SMPP_ESME_RCANCELFAIL},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_REPLACE_SM, V_REFUSE, SMPP_ESME_RREPLACEFAIL},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_SUBMIT_MULTI, V_REFUSE, SMPP_ESME_RSUBMITFAIL},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_QUERY_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_ENQUIRE_LINK, V_ENQ, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_ENQUIRE_LINK, V_ENQ, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_UNBINDING, SMPP_ENQUIRE_LINK, V_ENQ, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_UNBIND, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_UNBIND, V_UNBIND, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_UNBINDING, SMPP_UNBIND, V_UNBIND, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_DELIVER_SM_RESP, V_RESP, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_GENERIC_NACK, V_RESP, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_OUTBIND, V_IGN, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, 0x00000099u, V_NACK, SMPP_ESME_RINVCMDID},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, 0x00010200u, V_NACK, SMPP_ESME_RINVCMDID},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, 0x80000099u, V_IGN, 0},
    /* We are the ESME: we bound to an SMSC or USSD gateway. */
    {SMPP_ROLE_ESME, SMPP_LINK_OPEN, SMPP_BIND_TRANSCEIVER, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_ESME, SMPP_LINK_BINDING, SMPP_BIND_TRANSCEIVER_RESP, V_RESP, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BINDING, SMPP_DELIVER_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_RX, SMPP_DELIVER_SM, V_ACCEPT, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TRX, SMPP_DELIVER_SM, V_ACCEPT, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TX, SMPP_DELIVER_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TRX, SMPP_SUBMIT_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_RX, SMPP_DATA_SM, V_ACCEPT, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TX, SMPP_DATA_SM, V_REFUSE, SMPP_ESME_RINVBNDSTS},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TX, SMPP_UNBIND, V_UNBIND, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_RX, SMPP_ALERT_NOTIFICATION, V_IGN, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TX, SMPP_ALERT_NOTIFICATION, V_IGN, 0},
};

START_TEST(test_fsm_table)
{
    struct smpp_fsm_result r = smpp_fsm_classify(rows[_i].role, rows[_i].st, rows[_i].cmd);

    ck_assert_msg(r.verdict == rows[_i].v, "row %d: verdict %d, want %d", _i, r.verdict,
                  rows[_i].v);
    if (r.verdict == V_REFUSE || r.verdict == V_NACK)
        ck_assert_msg(r.status == rows[_i].status, "row %d: status 0x%x, want 0x%x", _i, r.status,
                      rows[_i].status);
}
END_TEST

static const struct {
    enum smpp_role role;
    enum smpp_link_state st;
    uint32_t cmd;
    int may;
} sends[] = {
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_DELIVER_SM, 1},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_DELIVER_SM, 1},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TX, SMPP_DELIVER_SM, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TRX, SMPP_SUBMIT_SM, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_DATA_SM, 1},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_TX, SMPP_DATA_SM, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TX, SMPP_SUBMIT_SM, 1},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TRX, SMPP_SUBMIT_SM, 1},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_RX, SMPP_SUBMIT_SM, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_BOUND_TRX, SMPP_DELIVER_SM, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_OPEN, SMPP_BIND_TRANSCEIVER, 1},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_BIND_TRANSCEIVER, 0},
    {SMPP_ROLE_ESME, SMPP_LINK_OPEN, SMPP_SUBMIT_SM, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_BOUND_RX, SMPP_UNBIND, 1},
    {SMPP_ROLE_SMSC, SMPP_LINK_OPEN, SMPP_UNBIND, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_UNBINDING, SMPP_ENQUIRE_LINK, 1},
    {SMPP_ROLE_SMSC, SMPP_LINK_UNBOUND, SMPP_ENQUIRE_LINK, 0},
    {SMPP_ROLE_SMSC, SMPP_LINK_CLOSED, SMPP_DELIVER_SM, 0},
};

START_TEST(test_fsm_may_send)
{
    ck_assert_msg(smpp_fsm_may_send(sends[_i].role, sends[_i].st, sends[_i].cmd) == sends[_i].may,
                  "row %d", _i);
}
END_TEST

START_TEST(test_bound_states)
{
    ck_assert_int_eq(smpp_fsm_bound_state(SMPP_BIND_TRANSMITTER), SMPP_LINK_BOUND_TX);
    ck_assert_int_eq(smpp_fsm_bound_state(SMPP_BIND_RECEIVER_RESP), SMPP_LINK_BOUND_RX);
    ck_assert_int_eq(smpp_fsm_bound_state(SMPP_BIND_TRANSCEIVER), SMPP_LINK_BOUND_TRX);
    ck_assert(smpp_fsm_is_bound(SMPP_LINK_BOUND_RX));
    ck_assert(!smpp_fsm_is_bound(SMPP_LINK_UNBINDING));
    ck_assert_str_eq(smpp_link_state_name(SMPP_LINK_BOUND_TRX), "BOUND_TRX");
}
END_TEST

START_TEST(test_bucket)
{
    struct kp_bucket b;
    int ok = 0;

    /* 10/s with a burst of 5: five at once, then one per 100 ms. */
    kp_bucket_init(&b, 10, 5, 1000);
    for (int i = 0; i < 8; i++)
        ok += kp_bucket_take(&b, 1000);
    ck_assert_int_eq(ok, 5);
    ck_assert_int_eq(kp_bucket_take(&b, 1099), 0);
    ck_assert_int_eq(kp_bucket_take(&b, 1100), 1);
    ck_assert_int_eq(kp_bucket_take(&b, 1100), 0);
    /* A long pause refills only up to the burst. */
    ok = 0;
    for (int i = 0; i < 20; i++)
        ok += kp_bucket_take(&b, 60000);
    ck_assert_int_eq(ok, 5);
    /* Burst 0 means burst = rate; rate 0 means unlimited. */
    kp_bucket_init(&b, 3, 0, 0);
    ok = 0;
    for (int i = 0; i < 10; i++)
        ok += kp_bucket_take(&b, 0);
    ck_assert_int_eq(ok, 3);
    kp_bucket_init(&b, 0, 0, 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(kp_bucket_take(&b, 0), 1);
}
END_TEST

static struct sockaddr_in fm_addr(const char *ip)
{
    struct sockaddr_in s;

    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &s.sin_addr);
    return s;
}

START_TEST(test_failmap)
{
    struct smpp_failmap *m = kp_calloc(1, sizeof(*m));
    struct sockaddr_in a = fm_addr("10.0.0.1"), b = fm_addr("10.0.0.2");

    m->limit = 3;
    for (int i = 0; i < 3; i++) {
        ck_assert(!smpp_failmap_blocked(m, (struct sockaddr *)&a, 1000));
        smpp_failmap_record(m, (struct sockaddr *)&a, 1000 + (uint64_t)i);
    }
    ck_assert(smpp_failmap_blocked(m, (struct sockaddr *)&a, 2000));
    ck_assert(!smpp_failmap_blocked(m, (struct sockaddr *)&b, 2000));
    /* A minute later the address may try again. */
    ck_assert(!smpp_failmap_blocked(m, (struct sockaddr *)&a, 61000));
    /* Thousands of other addresses cannot grow it: it is a fixed table. */
    for (int i = 0; i < 5000; i++) {
        struct sockaddr_in x = fm_addr("192.168.0.0");
        x.sin_addr.s_addr = htonl(0xC0A80000u + (uint32_t)i);
        smpp_failmap_record(m, (struct sockaddr *)&x, 70000);
    }
    free(m);
}
END_TEST

Suite *suite_smpp_link(void)
{
    Suite *s = suite_create("smpp_link");
    TCase *tc = tcase_create("fsm");

    tcase_add_loop_test(tc, test_fsm_table, 0, (int)KP_ARRAY_LEN(rows));
    tcase_add_loop_test(tc, test_fsm_may_send, 0, (int)KP_ARRAY_LEN(sends));
    tcase_add_test(tc, test_bound_states);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_bucket);
    tcase_add_test(tc, test_failmap);
    suite_add_tcase(s, tc);
    return s;
}
