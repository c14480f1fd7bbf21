/* SPDX-License-Identifier: ISC */
/*
 * One-time codes in the store: the codes (only their keyed hashes), the
 * issue log behind the rate limits, and each citizen's lockout counters.
 */
#ifndef KPASS_STORE_OTP_H
#define KPASS_STORE_OTP_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/otp.h"
#include "kpass/store/store.h"

enum store_otp_use {
    STORE_OTP_LIVE = 0,
    STORE_OTP_USED = 1,       /* consumed by a successful verify */
    STORE_OTP_DEAD = 2,       /* too many wrong tries */
    STORE_OTP_SUPERSEDED = 3, /* a newer code was issued for the same binding */
};

struct store_otp {
    int64_t id;
    int64_t citizen_id;
    char purpose[32];
    char office[16];
    char desk[32];
    uint8_t hash[OTP_HASH_BYTES];
    char msisdn[17];
    int64_t issued_at;
    int64_t expires_at;
    unsigned tries;
    enum store_otp_use use;
    int64_t sms_id;
};

/* Insert a code (p->id set); older live codes of the same binding are superseded. */
int store_otp_insert(struct store *st, struct store_otp *p);
/* The newest code of a binding (any use state): 0, -KP_ERR_NOTFOUND. */
int store_otp_latest(struct store *st, int64_t citizen_id, const char *purpose, const char *office,
                     const char *desk, struct store_otp *out);
/*
 * Count a wrong try on a live code in one statement (never read, then
 * written: several nodes may count on the same code): *tries is its count
 * now, and the try that reaches max_tries kills it.  0, or what the code
 * became meanwhile (store_otp_gone).
 */
int store_otp_wrong(struct store *st, int64_t id, unsigned max_tries, unsigned *tries);
/* Consume a live code, exactly once: -KP_ERR_USED if it is no longer live. */
int store_otp_consume(struct store *st, int64_t id);
/* Why code id is not live: -KP_ERR_USED, -KP_ERR_LIMIT (dead),
   -KP_ERR_NOTFOUND (superseded), or -KP_ERR_DB. */
int store_otp_gone(struct store *st, int64_t id);

/* The issue log: keys such as "c:<citizen id>" or "m:<msisdn>". */
int store_otp_log(struct store *st, const char *key, int64_t at);
/*
 * The issues under key at or after since, counted in the database: their
 * number, the newest, and the nth newest (nth >= 1; 0 when there are
 * fewer).  0 or -KP_ERR_DB.  On a node of a cluster (store_shared) this
 * opens the group transaction and holds key's lock in it, so that the
 * count and the store_otp_log that follows are one step on every node.
 */
int store_otp_window(struct store *st, const char *key, int64_t since, uint32_t nth,
                     struct otp_recent *out);
/* Forget issue log entries older than before. */
int store_otp_log_prune(struct store *st, int64_t before);

/*
 * USSD code requests waiting to be issued (builtins_id.c): each is written
 * in the hop that answers it, the same way whether it matched a citizen or
 * not, and issued (or dropped) after that answer has left.
 */
struct store_code_request {
    int64_t id;
    char msisdn[17];
    char purpose[32];
    int64_t citizen_id; /* 0: no match, nothing to issue */
    int64_t at;
    char lang[8]; /* the dialog's language ("en", "ur", "ps", "ur-Latn"): the SMS's */
};

/* Add one (citizen_id 0: no match; lang NULL: "en"); *id its row id.  0 or < 0. */
int store_code_request_add(struct store *st, const char *msisdn, const char *purpose,
                           const char *lang, int64_t citizen_id, int64_t at, int64_t *id);
/* The oldest request with an id at most upto: 0, -KP_ERR_NOTFOUND, -KP_ERR_DB.
   On PostgreSQL it is claimed (held to the commit; call it in the transaction
   that deletes it) and requests other nodes hold are passed over. */
int store_code_request_next(struct store *st, int64_t upto, struct store_code_request *out);
int store_code_request_delete(struct store *st, int64_t id);
/* The newest request's id (0: none), or -KP_ERR_DB. */
int64_t store_code_request_last(struct store *st);

/* A citizen's lockout counters (zero when none stored). */
int store_otp_lock_get(struct store *st, int64_t citizen_id, struct otp_lock *out);
/* Count a wrong try on the citizen's record in one statement; *out the
   record after it.  The row stays locked to the transaction's end. */
int store_otp_lock_fail(struct store *st, int64_t citizen_id, struct otp_lock *out);
/* Start a lockout until until: failures back to 0, one more lockout. */
int store_otp_lock_start(struct store *st, int64_t citizen_id, int64_t until);
/* A success: the record cleared, unless a lockout is in force at now. */
int store_otp_lock_clear(struct store *st, int64_t citizen_id, int64_t now);

#endif
