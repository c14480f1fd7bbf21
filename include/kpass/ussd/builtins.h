/* SPDX-License-Identifier: ISC */
/*
 * The built-ins the menus call (kpass-menu(5)): the services directory
 * (departments, services, offices, search), one-time codes, the caller's
 * own registration, and "send these details by SMS".  The same table and
 * implementation serve kpassd and `kpass menu check|test`.
 */
#ifndef KPASS_BUILTINS_H
#define KPASS_BUILTINS_H

#include <stdint.h>

#include "kpass/id/otp.h"
#include "kpass/store/store.h"
#include "kpass/ussd/dialog.h"

struct kp_builtins;
struct sms_outbox;

/*
 * Built-ins over st (borrowed).  outbox may be NULL (messages are queued in
 * the store and sent by whoever dispatches).  The keys are copied into
 * guarded memory.  0 or < 0.
 */
int kp_builtins_new(struct store *st, struct sms_outbox *outbox,
                    const uint8_t otp_key[OTP_KEY_BYTES], const uint8_t cnic_key[32],
                    const struct otp_policy *policy, struct kp_builtins **out);
void kp_builtins_free(struct kp_builtins *b);

/* The table and call function for the USSD service; b may be NULL for
   compiling menus only (every call then fails). */
struct ussd_builtins kp_builtins_table(struct kp_builtins *b);
/* True for a built-in that only reads the directory (dir.*): no code, no SMS,
   no count against a limit; `kpass menu check` may run it while measuring. */
int kp_builtin_pure(const char *name);

/* The code service the built-ins use (the desk API shares it). */
struct codes *kp_builtins_codes(struct kp_builtins *b);

/*
 * A USSD code request is answered at once, the same way and after the same
 * work whether the number and CNIC digits match or not: the request is
 * written (store_code_request) in the hop, and the code issued and queued
 * only after that hop's commit and reply (DESIGN.md §8: the reply promises
 * nothing, "if this number is registered, a code will arrive", and the
 * request is durable before it).  The daemon calls, once per event-loop
 * pass: kp_builtins_committed() after its group commit, and
 * kp_builtins_flush() after the next pass (when that commit's replies have
 * been written), before that pass's commit.  kp_builtins_pending() says
 * whether a pass should not wait for events.  At start,
 * kp_builtins_recover() makes the requests a crash left due.
 */
void kp_builtins_committed(struct kp_builtins *b);
/* Instead of kp_builtins_committed() when the pass's commit failed (the
   database away): the pass's requests are not due (if its commit in fact
   went through, they are issued with the next committed one, or at the
   next start), and the requests it issued are issued again, since their
   deletion was not committed either. */
void kp_builtins_aborted(struct kp_builtins *b);
int kp_builtins_pending(const struct kp_builtins *b);
/* Issue (or drop) the committed requests.  Returns how many, or < 0. */
int kp_builtins_flush(struct kp_builtins *b);
int kp_builtins_recover(struct kp_builtins *b);

/*
 * Ask the operators' SIM-swap APIs (ussd/app.h ussd_simswap_ask) before a
 * USSD code request's code is issued: a recent swap, or no answer when
 * the operator's row says hold, holds it (audited as code.held).  The
 * caller heard the same answer as every other caller long before.  apps
 * is borrowed; NULL (the default) issues at once.
 */
struct ussd_apps;
void kp_builtins_set_apps(struct kp_builtins *b, struct ussd_apps *apps);

/* The directory may have changed (the change counter moved): forget what
   was read of it.  kpassd calls it before acknowledging a change. */
void kp_builtins_dir_changed(struct kp_builtins *b);

/* The time built-ins use (tests pin it); 0 means the clock. */
void kp_builtins_set_now(struct kp_builtins *b, int64_t now);

#endif
