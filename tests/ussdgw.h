/* SPDX-License-Identifier: ISC */
/*
 * A USSD gateway for tests (check_ussd_daemon.c, check_ussd_durability.c):
 * kpassd with the seed and partners "gw" and "gw2", a bound link written
 * with the project's codec (smpputil.h), and one subscriber's dialog as a
 * gateway carries it: MO begin and replies with its_session_info or
 * user_message_reference, the screen that comes back for each, answered.
 */
#ifndef KPASS_TESTS_USSDGW_H
#define KPASS_TESTS_USSDGW_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/smpp/pdu.h"
#include "testutil.h"

/* Screens of the shipped menus the tests look for. */
#define HOME_EN  "Khyber Pass\n1 Find a service\n2 Search by word\n3 Find an office\n"
#define HOME_UR  "خیبر پاس\n1 سروسز\n"
#define DEPTS_EN "Departments\n1 Education\n2 Health, Sehat Card\n"
#define EXPIRED  "Your session has expired. Please dial *789# again."
#define INVALID  "Invalid choice\n"

/* A gateway's bound link. */
struct ug_gw {
    int fd;
    uint32_t seq;
    struct tu_daemon *d; /* for its log when it stops answering */
};

/* One subscriber's dialog as the gateway sees it. */
struct ug_dlg {
    char addr[16]; /* the MSISDN's digits (TON 1, NPI 1) */
    int session;   /* its_session_info session number, -1: none */
    int seq;       /* the next MO's sequence number */
    int umr;       /* user_message_reference, -1: none */
};

/* What came back for one MO. */
struct ug_hop {
    uint32_t status;       /* of the MO's response */
    int screen;            /* a screen arrived */
    int screen_after_resp; /* ... after the MO's response, as gateways expect */
    uint32_t cmd;          /* the PDU it came in */
    uint8_t op;            /* its ussd_service_op */
    int has_its;
    uint16_t its;
    uint8_t dc;
    char text[1200];
};

/* The seed's directory into a prepared daemon's database. */
void ug_seed(struct tu_daemon *d);
/* Prepare d (extra_conf appended), the seed, partners gw/gw-pw and
   gw2/gw2-pw (profile its-session), and start it. */
void ug_daemon_start(struct tu_daemon *d, const char *extra_conf);
/* Bind g to d as a transceiver; the bind must be accepted. */
void ug_bind(struct ug_gw *g, struct tu_daemon *d, const char *system_id, const char *password);
/* A dialog of the number addr (digits) with its session number, -1 for none. */
void ug_dlg_init(struct ug_dlg *u, const char *addr, int session);
/* An MO submit_sm of u with op and raw text (len octets) in data_coding dc. */
void ug_mo_make(struct smpp_pdu *p, const struct ug_dlg *u, uint8_t op, const void *raw, size_t len,
                uint8_t dc);
/* Send an MO as it is (a short_message of 254 octets too). */
void ug_send(struct ug_gw *g, const struct smpp_pdu *mo);
/* Read until the response to seq and (want_screen) a screen have come;
   without want_screen, wait 400 ms more for a stray screen. */
void ug_collect(struct ug_gw *g, uint32_t seq, struct ug_hop *h, int want_screen);
/* One MO of u and what came back; the its sequence number follows. */
void ug_hop_raw(struct ug_gw *g, struct ug_dlg *u, uint8_t op, const void *raw, size_t len,
                uint8_t dc, struct ug_hop *h, int want_screen);
/* Dial (op 1) or reply (op 18) with GSM text: ESME_ROK, then a screen. */
void ug_hop(struct ug_gw *g, struct ug_dlg *u, uint8_t op, const char *text, struct ug_hop *h);

#define ck_screen_starts(h, want)                                                                  \
    ck_assert_msg(strncmp((h)->text, (want), strlen(want)) == 0, "screen:\n%s\nwant:\n%s",         \
                  (h)->text, (want))

#endif
