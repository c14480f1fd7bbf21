/* SPDX-License-Identifier: ISC */
/*
 * One-time codes (after NIST SP 800-63B §5.1.3, out-of-band
 * authenticators): 6 random digits, stored only as a keyed BLAKE2b hash
 * bound to the citizen, the purpose and (when an office asked) the office
 * and desk; and the pure policy that decides issuing, wrong tries, expiry
 * and lockout (DESIGN.md §6).
 *
 * The store keeps the counters and timestamps; the functions here take
 * them with `now` and say what to do and what the new counters are.  No
 * clock, no I/O.
 */
#ifndef KPASS_OTP_H
#define KPASS_OTP_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/conf.h"

#define OTP_DIGITS     6
#define OTP_CODE_SIZE  7  /* 6 digits + NUL */
#define OTP_KEY_BYTES  32 /* otp.key */
#define OTP_HASH_BYTES 32
#define OTP_FIELD_MAX  255 /* longest citizen/purpose/office/desk id */

/*
 * A code waiting in the SMS outbox is sealed (XChaCha20-Poly1305, the
 * destination number as associated data) under a key derived from otp.key,
 * which never is in the database: the file alone yields no code, live or
 * past.  Sealed form: nonce (24) || ciphertext (6) || tag (16).
 */
#define OTP_SEAL_KEY_BYTES 32
#define OTP_SEALED_BYTES   (24 + OTP_DIGITS + 16)

/* The sealing key from otp.key (crypto_kdf, its own subkey id and context:
   no new file, so an existing key folder keeps working).  0 or -KP_ERR_CRYPTO. */
int otp_seal_key_derive(const uint8_t otp_key[OTP_KEY_BYTES], uint8_t out[OTP_SEAL_KEY_BYTES]);
/* Seal code (6 digits) for msisdn into out.  0 or -KP_ERR_PARSE. */
int otp_code_seal(const uint8_t key[OTP_SEAL_KEY_BYTES], const char *code, const char *msisdn,
                  uint8_t out[OTP_SEALED_BYTES]);
/* Open a sealed code for msisdn into code (the caller wipes it).  0, or
   -KP_ERR_CRYPTO (wrong key, other number, altered). */
int otp_code_unseal(const uint8_t key[OTP_SEAL_KEY_BYTES], const uint8_t in[OTP_SEALED_BYTES],
                    const char *msisdn, char code[OTP_CODE_SIZE]);

/* What a code is bound to.  office and desk may be NULL (a USSD request);
   desk needs office.  The strings are the store's ids, as text. */
struct otp_binding {
    const char *citizen;
    const char *purpose;
    const char *office;
    const char *desk;
};

/* A fresh code: randombytes_uniform(1000000), zero-padded ("004217"). */
void otp_code_generate(char code[OTP_CODE_SIZE]);

/*
 * A code as typed (spaces and dashes between digits allowed: "123 456")
 * into the 6 digits.  0 or -KP_ERR_PARSE.
 */
int otp_code_parse(const char *s, size_t len, char code[OTP_CODE_SIZE]);

/*
 * The stored form of a code: keyed BLAKE2b-256 (key: otp.key) over
 * "kpass-otp-v1" and the code and binding, each field length-prefixed (see
 * otp.c), so that no two different (code, binding) tuples share an input.
 * 0, -KP_ERR_PARSE (code not 6 digits), -KP_ERR_INVAL (missing citizen or
 * purpose, desk without office), -KP_ERR_TOOLONG (a field over OTP_FIELD_MAX).
 */
int otp_code_hash(const uint8_t key[OTP_KEY_BYTES], const char *code, const struct otp_binding *b,
                  uint8_t out[OTP_HASH_BYTES]);

/*
 * Compare a typed code with a stored hash in constant time
 * (crypto_verify_32).  0 when it matches; -KP_ERR_WRONG otherwise,
 * including a code that is not 6 digits or a binding that differs.
 */
int otp_code_verify(const uint8_t key[OTP_KEY_BYTES], const char *code, const struct otp_binding *b,
                    const uint8_t hash[OTP_HASH_BYTES]);

/* The rules (DESIGN.md §6).  otp_policy_default() fills the defaults shown. */
struct otp_policy {
    uint32_t validity_s;       /* 300: a code lives 5 minutes */
    uint32_t max_tries;        /* 5 wrong tries kill a code */
    uint32_t issue_gap_s;      /* 60: at most one code per 60 s per CNIC and per MSISDN */
    uint32_t issue_window_s;   /* 3600 ... */
    uint32_t issue_window_max; /* 5: ... at most 5 codes per hour per CNIC and per MSISDN */
    uint32_t lockout_after;    /* 10 consecutive wrong tries lock the citizen out */
    uint32_t lockout_s;        /* 3600 for the first lockout, doubling on each repeat */
    uint32_t lockout_max_s;    /* 2592000 (30 days): the doubling stops here */
};

/* DESIGN.md §6's rules: the one place the [otp] defaults are written. */
void otp_policy_default(struct otp_policy *p);

/* kpassd.conf's [otp] (kpassd.conf(5)) over a struct otp_policy, defaults
   from otp_policy_default; lockout_max_s is not a key. */
extern const struct conf_table otp_conf_table;

/* A citizen's failure record (the store keeps one per citizen). */
struct otp_lock {
    uint32_t failures;    /* consecutive wrong tries since the last success or lockout */
    uint32_t lockouts;    /* lockouts so far; reset by a success */
    int64_t locked_until; /* 0 or the end of the current lockout (Unix seconds) */
};

/* One issued code as the store keeps it (besides its hash and binding). */
struct otp_code_state {
    int64_t issued_at;
    uint32_t wrong_tries;
    int used; /* consumed by a successful verify */
};

/* The outcome's details: when a limit ends, how many tries remain. */
struct otp_verdict {
    int64_t until;       /* -KP_ERR_LIMIT / -KP_ERR_LOCKED: when to try again */
    uint32_t tries_left; /* -KP_ERR_WRONG: wrong tries left on this code */
    int lockout_started; /* this wrong try started (or escalated) a lockout */
};

/*
 * One subject's issues inside the window (issue_window_s back from now),
 * as the store counts them: all the rules need, whatever issue_window_max
 * is (a list of the newest N capped N, and with it the limit).
 */
struct otp_recent {
    uint32_t count; /* issues in the window */
    int64_t newest; /* the newest one's time (count > 0) */
    int64_t nth;    /* the issue_window_max-th newest one's time (count >= max) */
};

/*
 * May a code be issued now?  lock is the citizen's record (may be NULL);
 * cnic and msisdn are the issues for this CNIC and for this MSISDN (NULL:
 * none).  Returns 0 (issue), -KP_ERR_LOCKED (v->until: end of lockout) or
 * -KP_ERR_LIMIT (v->until: the first second both limits allow a code).
 */
int otp_issue_check(const struct otp_policy *p, const struct otp_lock *lock,
                    const struct otp_recent *cnic, const struct otp_recent *msisdn, int64_t now,
                    struct otp_verdict *v);

/*
 * One subject's rate limit alone (1 per issue_gap_s, issue_window_max per
 * issue_window_s); r may be NULL (none).  0, or -KP_ERR_LIMIT with *until set.
 */
int otp_rate_check(const struct otp_policy *p, const struct otp_recent *r, int64_t now,
                   int64_t *until);

/*
 * A verify attempt on code (the live code for this binding, or NULL when
 * there is none) by a citizen with record lock (never NULL); matched is the result of
 * otp_code_verify() == 0 and is looked at only when the code may still be
 * tried.  Updates *code and *lock to the counters the store must write back
 * (in the same transaction that consumes the code).  Returns:
 *   0               ok: code->used = 1, lock failures and lockouts reset
 *   -KP_ERR_WRONG   wrong; v->tries_left left on this code (0: the code is
 *                   now dead); lock->failures counted
 *   -KP_ERR_LOCKED  locked out (v->until), before or by this try
 *                   (v->lockout_started); the code is not looked at
 *   -KP_ERR_NOTFOUND there is no code (code is NULL)
 *   -KP_ERR_EXPIRED the code is older than validity_s
 *   -KP_ERR_USED    the code was already used
 *   -KP_ERR_LIMIT   the code is dead after max_tries wrong tries
 * Checked in that order: lock, missing, used, expired, dead, then the
 * code.  Only a wrong try changes counters; a try while locked, or on a
 * missing, used, expired or dead code, counts nothing.
 */
int otp_verify_decide(const struct otp_policy *p, struct otp_code_state *code,
                      struct otp_lock *lock, int matched, int64_t now, struct otp_verdict *v);

/* The length of the n-th lockout (n = 0 the first): lockout_s << n, capped. */
uint32_t otp_lockout_length(const struct otp_policy *p, uint32_t n);

#endif
