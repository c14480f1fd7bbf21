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
    /* Departments read by code (bi_department): every dial of the home
       walk shows some; dropped when the change counter moves. */
    struct bi_dept_memo *depts;
    unsigned ndepts;
    int64_t depts_version; /* shared store: the counter the memo was filled under */
};

int64_t bi_now(const struct kp_builtins *b);
/* `accept cnic` and `accept msisdn`: cnic_parse and msisdn_parse (builtins_id.c). */
extern const struct menu_validators kp_validators;
/* The directory language for the dialog's (English when it has none). */
enum store_dir_lang bi_lang(const struct menu_call *c);
/* The dialog's language tag ("en", "ur", "ps", "ur-Latn"). */
const char *bi_lang_tag(const struct menu_call *c);

/* Fixed-form directory values in lang (builtins_text.c): a fee ("Free",
   "Varies", "Rs N"), a processing time, opening hours; anything else is
   copied as it is. */
void bi_fee_text(const char *fee, enum store_dir_lang lang, char *out, size_t size);
void bi_time_text(const char *t, enum store_dir_lang lang, char *out, size_t size);
void bi_hours_text(const char *h, enum store_dir_lang lang, char *out, size_t size);
/* "yes"/"no" in lang. */
const char *bi_yes_no(int yes, enum store_dir_lang lang);
/* The divisions: how many, the i-th's name as the directory has it (its
   label in lang in *label; NULL past the end), and a division's label. */
size_t bi_division_count(void);
const char *bi_division(size_t i, enum store_dir_lang lang, const char **label);
const char *bi_division_label(const char *division, enum store_dir_lang lang);
/* A citizen's status ("active", "blocked", "deceased") in lang. */
const char *bi_status_text(const char *status, enum store_dir_lang lang);
int bi_otp_issue(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_reg_lookup(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_sms_service(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
/* Count a request of kind from msisdn: 1 within the policy's limits, 0 over, or < 0. */
int bi_caller_allowed(struct kp_builtins *b, const char *kind, const char *msisdn, int64_t now);

/* The citizen's own controls (builtins_controls.c, issue 15). */
struct store_code_request;
int bi_card_suspend(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_id_history(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_id_uses(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_id_use(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
int bi_id_dispute(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res);
/* Is q a suspension (card.suspend) rather than a code?  Carry it out after the reply. */
int bi_request_is_suspend(const struct store_code_request *q);
int bi_request_suspend(struct kp_builtins *b, const struct store_code_request *q, int64_t now);

#endif
