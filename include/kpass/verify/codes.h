/* SPDX-License-Identifier: ISC */
/*
 * Identity-bound one-time codes (DESIGN.md §6): issue a code for a citizen
 * and a purpose (and an office and desk when one asked) and queue it by SMS
 * to the citizen's registered number; verify what the citizen types.  Each
 * issue and each verify is one transaction with its audit row, committed
 * before the caller tells anyone anything.  The code itself exists only
 * sealed beside its SMS text (under a key derived from otp.key, never in
 * the database; dropped after delivery) and in sodium-guarded memory.
 */
#ifndef KPASS_VERIFY_CODES_H
#define KPASS_VERIFY_CODES_H

#include <stdint.h>

#include "kpass/id/otp.h"
#include "kpass/store/store.h"

struct codes;

/* Wakes the SMS dispatcher once a code is queued (it sits above this service). */
typedef void (*codes_kick_fn)(void *arg);

struct codes_stats {
    uint64_t requested; /* USSD requests, whatever became of them (codes_note_request) */
    uint64_t issued;
    uint64_t refused; /* rate limits, lockouts, inactive citizens */
    uint64_t verified;
    uint64_t failed; /* wrong, expired, used, dead, no code */
    uint64_t locked; /* lockouts started */
};

/* Purposes a code may be issued for, with the label its SMS names. */
const char *codes_purpose_label(const char *purpose);
/* NULL-terminated list of purpose codes. */
const char *const *codes_purposes(void);

/*
 * The service over st.  otp_key and cnic_key are copied into guarded memory.
 * kick (may be NULL: nothing is woken) is called with kick_arg after each
 * code is queued.  The dispatcher opens the sealed codes with
 * codes_seal_key(), which its caller hands it.
 */
struct codes *codes_new(struct store *st, codes_kick_fn kick, void *kick_arg,
                        const uint8_t otp_key[OTP_KEY_BYTES], const uint8_t cnic_key[32],
                        const struct otp_policy *policy);
/*
 * The key that seals each code beside its SMS text (derived from otp_key;
 * OTP_SEAL_KEY_BYTES), for the SMS dispatcher (sms_outbox_set_code_key).
 * Owned by c, in guarded read-only memory, valid until codes_free(c).
 */
const uint8_t *codes_seal_key(const struct codes *c);
void codes_free(struct codes *c);
const struct codes_stats *codes_stats(const struct codes *c);
/* Count a code request whose outcome must not show (USSD). */
void codes_note_request(struct codes *c);

struct codes_request {
    int64_t citizen_id;
    const char *purpose;     /* one of codes_purposes() */
    const char *office;      /* office code, or NULL */
    const char *office_name; /* named in the SMS when set */
    const char *desk;        /* desk id, or NULL */
    const char *msisdn;      /* must be one of the citizen's numbers; NULL: the first */
    const char *actor;       /* for the audit log: "ussd:<partner>", "desk:<id>" */
};

struct codes_result {
    int64_t code_id;
    int64_t sms_id;
    int64_t until;       /* -KP_ERR_LIMIT / -KP_ERR_LOCKED: when to try again */
    int64_t expires_at;  /* issued: when the code stops being good */
    unsigned tries_left; /* -KP_ERR_WRONG */
    char msisdn_masked[17];
};

/*
 * Issue a code.  0 (queued by SMS), -KP_ERR_LIMIT, -KP_ERR_LOCKED,
 * -KP_ERR_DENIED (citizen not active, or msisdn not theirs),
 * -KP_ERR_NOTFOUND (no such citizen, or no registered number),
 * -KP_ERR_INVAL (unknown purpose), -KP_ERR_DB.  Audit rows: code.issued,
 * code.limited, code.locked, and code.refused (not active, not their
 * number, no number) for a citizen that exists.
 */
int codes_issue(struct codes *c, const struct codes_request *req, int64_t now,
                struct codes_result *res);
/* codes_issue() left out of the stats: a USSD request, whose caller is told
   nothing of its outcome, so /metrics must not tell either. */
int codes_issue_unseen(struct codes *c, const struct codes_request *req, int64_t now,
                       struct codes_result *res);
/* codes_issue_unseen() with the SMS in lang ("ur", "ps", "ur-Latn"; anything
   else is English): the code and the "never share it" warning first, so
   that they are in its first part. */
int codes_issue_unseen_in(struct codes *c, const struct codes_request *req, const char *lang,
                          int64_t now, struct codes_result *res);

/*
 * Verify a typed code for the binding in req (msisdn is ignored).
 * 0 (verified: the code is used up), -KP_ERR_WRONG (res->tries_left),
 * -KP_ERR_EXPIRED, -KP_ERR_USED, -KP_ERR_LOCKED (res->until), -KP_ERR_LIMIT
 * (dead after too many wrong tries), -KP_ERR_NOTFOUND (no code for this
 * binding: also what a code issued for another office gets),
 * -KP_ERR_DENIED (the citizen is no longer active; nothing is counted),
 * -KP_ERR_DB.  Audit rows: code.verified, code.failed, code.locked.
 */
int codes_verify(struct codes *c, const struct codes_request *req, const char *typed, int64_t now,
                 struct codes_result *res);

/*
 * Is the citizen with row id citizen_id locked out of codes at now (too
 * many wrong codes, DESIGN.md §6)?  *until is the lockout's end, or 0 when
 * there is none.  Reads only.  0 or -KP_ERR_DB.
 */
int codes_locked_until(struct codes *c, int64_t citizen_id, int64_t now, int64_t *until);

#endif
