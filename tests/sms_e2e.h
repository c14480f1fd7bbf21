/* SPDX-License-Identifier: ISC */
/*
 * Helpers shared by the SMS end-to-end suites (check_sms_e2e.c, which
 * defines them, and check_sms_retry.c): a daemon with the seed citizens,
 * partners in either mode, the test SMSC, the outbox as `kpass sms` shows
 * it, and the check that the daemon's log holds no code, CNIC or number.
 */
#ifndef KPASS_TESTS_SMS_E2E_H
#define KPASS_TESTS_SMS_E2E_H

#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

/* A daemon folder with the seed directory and citizens imported. */
void se_prepare(struct tu_daemon *d, const char *extra_conf);
/* Partner "phone" (server mode, carries SMS, password "secret"). */
void se_server_partner(struct tu_daemon *d);
/* Partner "kpass" binding out to 127.0.0.1:port (client mode, carries SMS). */
void se_client_partner(struct tu_daemon *d, int port);
/* Start smsc.js on port (0: any) with extra options (NULL-terminated); its port. */
int se_smsc_start(struct tu_proc *p, int port, ...);
/* Stop smsc.js: close its stdin and read what it still prints (it cannot
   exit while its stdout pipe is full), then reap it. */
void se_smsc_stop(struct tu_proc *p);
/* Wait for smsc.js to see a successful bind. */
void se_smsc_bound(struct tu_proc *p);
/* Queue a message straight into the daemon's outbox (as the built-ins do). */
int64_t se_queue(struct tu_daemon *d, const char *msisdn, const char *text, int is_code,
                 int64_t valid_s);
/* `kpass sms show ID`; the value of one of its lines ("state", "text", ...) into out. */
void se_show(struct tu_daemon *d, int64_t id, const char *key, char *out, size_t size);
/* Poll `kpass sms show ID` until its state is state; 0, or -1 after timeout_ms. */
int se_wait_state(struct tu_daemon *d, int64_t id, const char *state, int timeout_ms);
/* The next submit_sm smsc.js received that is an SMS (not a USSD screen), or NULL. */
char *se_next_sms(struct tu_proc *p, int timeout_ms);
/* A JSON string value ("key":"...") into out (escapes undone); 0 or -1. */
int se_json_str(const char *line, const char *key, char *out, size_t size);
/* The 6 digits after "is " in a code SMS; 0 or -1. */
int se_code_of(const char *text, char code[7]);
/* A relative validity_period (SMPP 3.4 §7.1.1.2) in seconds, or -1. */
long se_validity_s(const char *vp);
/* Assert that the daemon's log holds none of codes[0..n) and no CNIC or
   full MSISDN of etc/seed/citizens.csv. */
void se_log_clean(struct tu_daemon *d, char codes[][7], int n);

#endif
