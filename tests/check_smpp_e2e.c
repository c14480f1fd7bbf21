/* SPDX-License-Identifier: ISC */
/*
 * smpp end to end: the real kpassd on a loopback port, driven by a blocking
 * SMPP peer.  Every bind kind, every refusal with its exact command_status,
 * enquire_link and unbind both ways, the timers, throttling and SIGTERM.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/smpp/pdu.h"
#include "smpputil.h"
#include "testutil.h"

static struct tu_daemon d;

/* A daemon with partner "esme"/"secret" (at most 2 binds) and extra config. */
static void e2e_start(const char *extra_conf, const char *partner_opts)
{
    char *out = NULL;
    int rc;

    tu_daemon_prepare(&d, extra_conf);
    if (partner_opts == NULL)
        partner_opts = "--max-binds=2";
    rc = tu_kpass(&d, "secret\n", &out, "partner", "add", "esme", partner_opts, NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    tu_daemon_start(&d);
}

static void e2e_teardown(void)
{
    tu_daemon_cleanup(&d);
}

static int e2e_bind(uint32_t cmd, const char *pw, uint32_t *status)
{
    int fd = tu_smpp_bind(d.smpp_port, cmd, "esme", pw, status);
    ck_assert_int_ge(fd, 0);
    return fd;
}

static const uint32_t bind_cmds[] = {SMPP_BIND_TRANSMITTER, SMPP_BIND_RECEIVER,
                                     SMPP_BIND_TRANSCEIVER};

START_TEST(test_bind_kinds)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd;

    e2e_start(NULL, NULL);
    fd = tu_connect(d.smpp_port, 2000);
    smpp_pdu_init(&p, bind_cmds[_i], 7);
    strcpy(p.bind.system_id, "esme");
    strcpy(p.bind.password, "secret");
    ck_assert_int_eq(tu_smpp_send(fd, &p), 0);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 5000), 0);
    ck_assert_uint_eq(p.command_id, smpp_resp_id(bind_cmds[_i]));
    ck_assert_uint_eq(p.command_status, SMPP_ESME_ROK);
    ck_assert_uint_eq(p.sequence_number, 7);
    ck_assert_str_eq(p.bind.system_id, "kpass-test");
    ck_assert(p.tlv.present & SMPP_TLV_SC_INTERFACE_VERSION);
    ck_assert_uint_eq(p.tlv.sc_interface_version, 0x34);
    /* A bound link answers enquire_link. */
    smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 8);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_ENQUIRE_LINK_RESP);
    ck_assert_uint_eq(p.sequence_number, 8);
    /* And a second bind on it is ESME_RALYBND (SMPP 3.4 §5.1.3). */
    smpp_pdu_init(&p, SMPP_BIND_TRANSCEIVER, 9);
    strcpy(p.bind.system_id, "esme");
    strcpy(p.bind.password, "secret");
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_BIND_TRANSCEIVER_RESP);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RALYBND);
    (void)st;
    close(fd);
}
END_TEST

START_TEST(test_bind_refusals)
{
    uint32_t st;
    int fd;

    e2e_start("[smpp]\nbind_failures_per_minute = 3\n", "--max-binds=1");
    /* Unknown system_id: answered as a wrong password (kpassd.8), then
       closed after the response. */
    fd = tu_smpp_bind(d.smpp_port, SMPP_BIND_TRANSCEIVER, "nobody", "secret", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RINVPASWD);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
    /* Wrong password. */
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "wrong", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RINVPASWD);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
    /* One bind allowed: the second is ESME_RBINDFAIL. */
    int ok = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    ck_assert_uint_eq(st, SMPP_ESME_ROK);
    fd = e2e_bind(SMPP_BIND_TRANSMITTER, "secret", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RBINDFAIL);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
    close(ok);
    /* Third failure from 127.0.0.1 within the minute: now even the right
       password is refused without being checked. */
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "wrong2", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RINVPASWD);
    close(fd);
    usleep(100000);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    ck_assert_uint_eq(st, SMPP_ESME_RBINDFAIL);
    close(fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "too many failed binds from this address"));
    /* Passwords never reach the log. */
    ck_assert_ptr_null(strstr(log, "secret"));
    ck_assert_ptr_null(strstr(log, "wrong2"));
    free(log);
}
END_TEST

START_TEST(test_bind_address_not_allowed)
{
    int fd;

    /* No enabled partner allows 127.0.0.1: closed at accept, before any bind. */
    e2e_start(NULL, "--allow=10.0.0.0/8");
    fd = tu_connect(d.smpp_port, 2000);
    ck_assert_int_ge(fd, 0);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
}
END_TEST

/* Requests in states that do not allow them (SMPP 3.4 §2.3, §4). */
START_TEST(test_wrong_state)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd;

    e2e_start(NULL, NULL);
    /* submit_sm before any bind */
    fd = tu_connect(d.smpp_port, 2000);
    smpp_pdu_init(&p, SMPP_SUBMIT_SM, 3);
    strcpy(p.sm.destination_addr, "789");
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_SUBMIT_SM_RESP);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVBNDSTS);
    /* unbind before any bind */
    smpp_pdu_init(&p, SMPP_UNBIND, 4);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_UNBIND_RESP);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVBNDSTS);
    close(fd);
    /* submit_sm on a receiver bind */
    fd = e2e_bind(SMPP_BIND_RECEIVER, "secret", &st);
    smpp_pdu_init(&p, SMPP_SUBMIT_SM, 5);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVBNDSTS);
    close(fd);
    /* deliver_sm from an ESME: only an SMSC issues it (§4.6) */
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    smpp_pdu_init(&p, SMPP_DELIVER_SM, 6);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_DELIVER_SM_RESP);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVBNDSTS);
    /* query_sm: valid, not offered: its own failure status */
    tu_smpp_send_hex(fd, "00000017 00000003 00000000 00000007 31323300 00 00 00");
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_QUERY_SM_RESP);
    ck_assert_uint_eq(p.command_status, 0x67);
    ck_assert_uint_eq(p.sequence_number, 7);
    close(fd);
}
END_TEST

/* Malformed input: the answer and whether the link survives. */
START_TEST(test_malformed)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd;

    e2e_start(NULL, NULL);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    /* Unknown command_id: generic_nack ESME_RINVCMDID, link stays. */
    tu_smpp_send_hex(fd, "00000010 00000099 00000000 0000000b");
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_GENERIC_NACK);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVCMDID);
    ck_assert_uint_eq(p.sequence_number, 0x0b);
    /* A body that overruns its fields: generic_nack ESME_RINVCMDLEN. */
    tu_smpp_send_hex(fd, "00000017 00000004 00000000 0000000c 00 01 01 3932 3330");
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_GENERIC_NACK);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVCMDLEN);
    /* A bad field value: the command's own response with that field's status. */
    tu_smpp_send_hex(fd, "00000027 00000004 00000000 0000000d 00 07 01 393200 00 00 37383900"
                         "00 00 00 00 00 00 00 00 00 01 2a");
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_SUBMIT_SM_RESP);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVSRCTON);
    /* Still alive. */
    smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 14);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_ENQUIRE_LINK_RESP);
    /* command_length 15: generic_nack, then the link is closed. */
    tu_smpp_send_hex(fd, "0000000f 00000015 00000000 0000000f");
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_GENERIC_NACK);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVCMDLEN);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
    /* command_length 65537: the same. */
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    tu_smpp_send_hex(fd, "00010001 00000004 00000000 00000010");
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_GENERIC_NACK);
    ck_assert_uint_eq(p.command_status, SMPP_ESME_RINVCMDLEN);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
}
END_TEST

/* Every request gets exactly one response, in a pipelined burst. */
START_TEST(test_one_response_each)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd, seen[41] = {0};

    e2e_start(NULL, NULL);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    for (uint32_t seq = 1; seq <= 40; seq++) {
        switch (seq % 4) {
        case 0:
            smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, seq);
            tu_smpp_send(fd, &p);
            break;
        case 1:
            smpp_pdu_init(&p, SMPP_SUBMIT_SM, seq);
            strcpy(p.sm.destination_addr, "923001234567");
            tu_smpp_send(fd, &p);
            break;
        case 2: {
            char hex[64];
            snprintf(hex, sizeof(hex), "00000010 00000077 00000000 %08x", seq);
            tu_smpp_send_hex(fd, hex);
            break;
        }
        default:
            smpp_pdu_init(&p, SMPP_DATA_SM, seq);
            strcpy(p.sm.destination_addr, "923001234567");
            tu_smpp_send(fd, &p);
            break;
        }
    }
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(tu_smpp_recv(fd, &p, 3000), 0);
        ck_assert(smpp_is_resp(p.command_id));
        ck_assert_uint_le(p.sequence_number, 40);
        seen[p.sequence_number]++;
    }
    for (int i = 1; i <= 40; i++)
        ck_assert_int_eq(seen[i], 1);
    /* Nothing more comes. */
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 300), -1);
    close(fd);
}
END_TEST

START_TEST(test_unbind_by_peer)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd;

    e2e_start(NULL, NULL);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    smpp_pdu_init(&p, SMPP_UNBIND, 42);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_UNBIND_RESP);
    ck_assert_uint_eq(p.command_status, 0);
    ck_assert_uint_eq(p.sequence_number, 42);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
}
END_TEST

/* SIGTERM: stop accepting, unbind every link, wait for unbind_resp, exit 0. */
START_TEST(test_sigterm_unbinds)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd, rc;

    e2e_start(NULL, NULL);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    kill(d.pid, SIGTERM);
    ck_assert_int_eq(tu_smpp_expect(fd, SMPP_UNBIND, &p, 3000), 0);
    smpp_pdu_init(&p, SMPP_UNBIND_RESP, p.sequence_number);
    tu_smpp_send(fd, &p);
    ck_assert(tu_smpp_closed(fd, 3000));
    rc = tu_daemon_stop(&d, 0);
    ck_assert_int_eq(rc, 0);
    close(fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "unbind answered"));
    ck_assert_ptr_nonnull(strstr(log, "kpassd: stopped"));
    free(log);
}
END_TEST

/* The daemon probes an idle link, and closes it when the probe is not answered. */
START_TEST(test_enquire_link_from_daemon)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd;

    e2e_start("[smpp]\nenquire_link_interval = 300ms\nresponse_timeout = 400ms\n", NULL);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_ENQUIRE_LINK);
    smpp_pdu_init(&p, SMPP_ENQUIRE_LINK_RESP, p.sequence_number);
    tu_smpp_send(fd, &p);
    /* The next probe is left unanswered: the link is closed as dead. */
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_ENQUIRE_LINK);
    ck_assert(tu_smpp_closed(fd, 3000));
    close(fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "no answer to enquire_link"));
    free(log);
}
END_TEST

START_TEST(test_session_init_timeout)
{
    int fd;

    e2e_start("[smpp]\nsession_init_timeout = 300ms\n", NULL);
    fd = tu_connect(d.smpp_port, 2000);
    ck_assert(tu_smpp_closed(fd, 3000));
    close(fd);
    char *log = tu_daemon_log(&d);
    ck_assert_ptr_nonnull(strstr(log, "not bound within session_init_timeout"));
    free(log);
}
END_TEST

START_TEST(test_inactivity)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd;

    e2e_start("[smpp]\ninactivity_timeout = 400ms\nenquire_link_interval = 1h\n", NULL);
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    /* Silent: after 400 ms the daemon unbinds. */
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 3000), 0);
    ck_assert_uint_eq(p.command_id, SMPP_UNBIND);
    smpp_pdu_init(&p, SMPP_UNBIND_RESP, p.sequence_number);
    tu_smpp_send(fd, &p);
    ck_assert(tu_smpp_closed(fd, 2000));
    close(fd);
}
END_TEST

/* A partner limited to 5 requests/s with a burst of 5: the rest is ESME_RTHROTTLED. */
START_TEST(test_throttle)
{
    struct smpp_pdu p;
    uint32_t st;
    int fd, throttled = 0, other = 0;

    e2e_start(NULL, "--throughput=5");
    fd = e2e_bind(SMPP_BIND_TRANSCEIVER, "secret", &st);
    for (uint32_t seq = 1; seq <= 20; seq++) {
        smpp_pdu_init(&p, SMPP_SUBMIT_SM, seq);
        strcpy(p.sm.destination_addr, "923001234567");
        tu_smpp_send(fd, &p);
    }
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(tu_smpp_recv(fd, &p, 3000), 0);
        ck_assert_uint_eq(p.command_id, SMPP_SUBMIT_SM_RESP);
        if (p.command_status == SMPP_ESME_RTHROTTLED)
            throttled++;
        else
            other++;
    }
    /* 5 in the burst (maybe one more refilled), the rest throttled. */
    ck_assert_int_ge(throttled, 14);
    ck_assert_int_le(throttled, 15);
    /* enquire_link is link upkeep, never throttled. */
    smpp_pdu_init(&p, SMPP_ENQUIRE_LINK, 30);
    tu_smpp_send(fd, &p);
    ck_assert_int_eq(tu_smpp_recv(fd, &p, 2000), 0);
    ck_assert_uint_eq(p.command_status, 0);
    close(fd);
    (void)other;
}
END_TEST

Suite *suite_smpp_e2e(void)
{
    Suite *s = suite_create("smpp_e2e");
    TCase *tc = tcase_create("server");

    tcase_add_checked_fixture(tc, NULL, e2e_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_bind_kinds, 0, 3);
    tcase_add_test(tc, test_bind_refusals);
    tcase_add_test(tc, test_bind_address_not_allowed);
    tcase_add_test(tc, test_wrong_state);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_one_response_each);
    tcase_add_test(tc, test_unbind_by_peer);
    tcase_add_test(tc, test_sigterm_unbinds);
    tcase_add_test(tc, test_enquire_link_from_daemon);
    tcase_add_test(tc, test_session_init_timeout);
    tcase_add_test(tc, test_inactivity);
    tcase_add_test(tc, test_throttle);
    suite_add_tcase(s, tc);
    return s;
}
