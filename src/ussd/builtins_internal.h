/* SPDX-License-Identifier: ISC */
/*
 * Private to the built-ins (builtins.c, builtins_id.c).
 */
#ifndef KPASS_BUILTINS_INTERNAL_H
#define KPASS_BUILTINS_INTERNAL_H

#include "kpass/ussd/builtins.h"
#include "kpass/verify/codes.h"
#include "kpass/menu/menu.h"
#include "kpass/store/directory.h"

struct kp_builtins {
    struct store *st;
    struct sms_outbox *outbox;
    struct codes *codes;
    struct otp_policy policy;
    int64_t now; /* 0: the clock */
    /* USSD code requests (store_code_request): the newest written, the
       newest known committed, the newest handled. */
    int64_t req_last, req_ready, req_done;
    struct ussd_apps *apps; /* the operators' SIM-swap checks before a code (may be NULL) */
};

int64_t bi_now(const struct kp_builtins *b);
/* `accept cnic` and `accept msisdn`: cnic_parse and msisdn_parse (builtins_id.c). */
extern const struct menu_validators kp_validators;
/* The directory language for the dialog's (English when it has none). */
enum store_dir_lang bi_lang(const struct menu_call *c);
int bi_otp_issue(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_reg_lookup(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_sms_service(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);

#endif
