/* SPDX-License-Identifier: ISC */
/*
 * One-time codes: generation, the keyed hash that is all the store keeps,
 * and the policy decisions (issue limits, wrong tries, lockout).
 *
 * The hash input is canonical: the domain tag and then each field as
 * presence (1 octet: 1 present, 0 absent), length (1 octet) and bytes, in
 * the order code, citizen, purpose, office, desk.  Length prefixes keep
 * ("12", "3") and ("1", "23") apart; the presence octet keeps an absent
 * office apart from an empty one.
 */
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/id/otp.h"

static const char otp_tag[] = "kpass-otp-v1";

/* crypto_kdf context and subkey id of the SMS sealing key. */
#define OTP_SEAL_CONTEXT "kpsmscod"
#define OTP_SEAL_SUBKEY  1

int otp_seal_key_derive(const uint8_t otp_key[OTP_KEY_BYTES], uint8_t out[OTP_SEAL_KEY_BYTES])
{
    if (crypto_kdf_derive_from_key(out, OTP_SEAL_KEY_BYTES, OTP_SEAL_SUBKEY, OTP_SEAL_CONTEXT,
                                   otp_key) != 0)
        return -KP_ERR_CRYPTO;
    return 0;
}

int otp_code_seal(const uint8_t key[OTP_SEAL_KEY_BYTES], const char *code, const char *msisdn,
                  uint8_t out[OTP_SEALED_BYTES])
{
    enum { NB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };

    if (strlen(code) != OTP_DIGITS || strspn(code, "0123456789") != OTP_DIGITS)
        return -KP_ERR_PARSE;
    randombytes_buf(out, NB);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + NB, NULL, (const uint8_t *)code, OTP_DIGITS,
                                               (const uint8_t *)msisdn, strlen(msisdn), NULL, out,
                                               key);
    return 0;
}

int otp_code_unseal(const uint8_t key[OTP_SEAL_KEY_BYTES], const uint8_t in[OTP_SEALED_BYTES],
                    const char *msisdn, char code[OTP_CODE_SIZE])
{
    enum { NB = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };

    if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)code, NULL, NULL, in + NB,
                                                   OTP_SEALED_BYTES - NB, (const uint8_t *)msisdn,
                                                   strlen(msisdn), in, key) != 0) {
        sodium_memzero(code, OTP_CODE_SIZE);
        return -KP_ERR_CRYPTO;
    }
    code[OTP_DIGITS] = '\0';
    return 0;
}

void otp_policy_default(struct otp_policy *p)
{
    p->validity_s = 300;
    p->max_tries = 5;
    p->issue_gap_s = 60;
    p->issue_window_s = 3600;
    p->issue_window_max = 5;
    p->lockout_after = 10;
    p->lockout_s = 3600;
    p->lockout_max_s = 30 * 24 * 3600;
}

/* CONF_UINT and CONF_SECONDS write an unsigned. */
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "otp_policy fields are written as unsigned");

#define OTP_OFF(f) offsetof(struct otp_policy, f)
#define OTP_MS_DAY (24u * 3600u * 1000u)

/* Bounds in milliseconds, as kpassd.conf(5) states them (errors name them
   in the key's units); stored in seconds. */
static const struct conf_key otp_conf_keys[] = {
    {"otp", "validity", CONF_SECONDS, OTP_OFF(validity_s), 60000, 3600000, NULL, 0},
    {"otp", "max_tries", CONF_UINT, OTP_OFF(max_tries), 1, 20, NULL, 0},
    {"otp", "issue_gap", CONF_SECONDS, OTP_OFF(issue_gap_s), 0, 3600000, NULL, 0},
    {"otp", "issue_window", CONF_SECONDS, OTP_OFF(issue_window_s), 60000, OTP_MS_DAY, NULL, 0},
    {"otp", "issue_window_max", CONF_UINT, OTP_OFF(issue_window_max), 1, 1000, NULL, 0},
    {"otp", "lockout_after", CONF_UINT, OTP_OFF(lockout_after), 1, 1000, NULL, 0},
    {"otp", "lockout", CONF_SECONDS, OTP_OFF(lockout_s), 60000, 7u * OTP_MS_DAY, NULL, 0},
};

static void otp_conf_defaults(void *set)
{
    otp_policy_default(set);
}

const struct conf_table otp_conf_table = {"otp", otp_conf_keys,
                                          sizeof(otp_conf_keys) / sizeof(otp_conf_keys[0]),
                                          otp_conf_defaults, NULL};

void otp_code_generate(char code[OTP_CODE_SIZE])
{
    uint32_t v = randombytes_uniform(1000000);

    for (int i = OTP_DIGITS - 1; i >= 0; i--) {
        code[i] = (char)('0' + v % 10);
        v /= 10;
    }
    code[OTP_DIGITS] = '\0';
}

int otp_code_parse(const char *s, size_t len, char code[OTP_CODE_SIZE])
{
    size_t n = 0;

    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (n == OTP_DIGITS)
                return -KP_ERR_PARSE;
            code[n++] = s[i];
        } else if ((s[i] == ' ' || s[i] == '-') && n > 0 && i + 1 < len && s[i + 1] >= '0' &&
                   s[i + 1] <= '9') {
            continue; /* "123 456", "123-456" */
        } else {
            return -KP_ERR_PARSE;
        }
    }
    if (n != OTP_DIGITS)
        return -KP_ERR_PARSE;
    code[n] = '\0';
    return 0;
}

static int otp_code_valid(const char *code)
{
    for (int i = 0; i < OTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0;
    return code[OTP_DIGITS] == '\0';
}

/* Hash one field: presence, length, bytes. */
static void otp_hash_field(crypto_generichash_state *st, const char *s)
{
    uint8_t head[2] = {0, 0};

    if (s != NULL) {
        head[0] = 1;
        head[1] = (uint8_t)strlen(s);
    }
    crypto_generichash_update(st, head, 2);
    if (s != NULL)
        crypto_generichash_update(st, (const unsigned char *)s, head[1]);
}

static int otp_binding_check(const struct otp_binding *b)
{
    const char *f[4] = {b->citizen, b->purpose, b->office, b->desk};

    if (b->citizen == NULL || b->citizen[0] == '\0' || b->purpose == NULL ||
        b->purpose[0] == '\0' || (b->desk != NULL && b->office == NULL))
        return -KP_ERR_INVAL;
    for (int i = 0; i < 4; i++)
        if (f[i] != NULL && strlen(f[i]) > OTP_FIELD_MAX)
            return -KP_ERR_TOOLONG;
    return 0;
}

int otp_code_hash(const uint8_t key[OTP_KEY_BYTES], const char *code, const struct otp_binding *b,
                  uint8_t out[OTP_HASH_BYTES])
{
    crypto_generichash_state st;
    int rc;

    if (!otp_code_valid(code))
        return -KP_ERR_PARSE;
    if ((rc = otp_binding_check(b)) < 0)
        return rc;
    crypto_generichash_init(&st, key, OTP_KEY_BYTES, OTP_HASH_BYTES);
    otp_hash_field(&st, otp_tag);
    otp_hash_field(&st, code);
    otp_hash_field(&st, b->citizen);
    otp_hash_field(&st, b->purpose);
    otp_hash_field(&st, b->office);
    otp_hash_field(&st, b->desk);
    crypto_generichash_final(&st, out, OTP_HASH_BYTES);
    sodium_memzero(&st, sizeof(st));
    return 0;
}

int otp_code_verify(const uint8_t key[OTP_KEY_BYTES], const char *code, const struct otp_binding *b,
                    const uint8_t hash[OTP_HASH_BYTES])
{
    uint8_t h[OTP_HASH_BYTES];
    int rc = -KP_ERR_WRONG;

    if (otp_code_hash(key, code, b, h) == 0 && crypto_verify_32(h, hash) == 0)
        rc = 0;
    sodium_memzero(h, sizeof(h));
    return rc;
}

int otp_rate_check(const struct otp_policy *p, const struct otp_recent *r, int64_t now,
                   int64_t *until)
{
    int64_t u = now;

    if (r == NULL || r->count == 0)
        return 0;
    /* One per issue_gap_s: the newest issue must be at least that old. */
    if (now < r->newest + (int64_t)p->issue_gap_s)
        u = r->newest + (int64_t)p->issue_gap_s;
    /* issue_window_max per issue_window_s: the window is full while the
       max-th newest is still inside it, and frees a place the moment that
       one leaves. */
    if (p->issue_window_max > 0 && r->count >= p->issue_window_max) {
        int64_t t = r->nth + (int64_t)p->issue_window_s;
        if (now < t && t > u)
            u = t;
    }
    if (u > now) {
        *until = u;
        return -KP_ERR_LIMIT;
    }
    return 0;
}

int otp_issue_check(const struct otp_policy *p, const struct otp_lock *lock,
                    const struct otp_recent *cnic, const struct otp_recent *msisdn, int64_t now,
                    struct otp_verdict *v)
{
    int64_t u1 = now, u2 = now;
    int r1, r2;

    memset(v, 0, sizeof(*v));
    if (lock != NULL && now < lock->locked_until) {
        v->until = lock->locked_until;
        return -KP_ERR_LOCKED;
    }
    r1 = otp_rate_check(p, cnic, now, &u1);
    r2 = otp_rate_check(p, msisdn, now, &u2);
    if (r1 == 0 && r2 == 0)
        return 0;
    v->until = u1 > u2 ? u1 : u2;
    return -KP_ERR_LIMIT;
}

uint32_t otp_lockout_length(const struct otp_policy *p, uint32_t n)
{
    uint64_t len;

    if (n >= 32)
        return p->lockout_max_s;
    len = (uint64_t)p->lockout_s << n;
    return len > p->lockout_max_s ? p->lockout_max_s : (uint32_t)len;
}

/* A wrong try: count it on the code and on the citizen; maybe lock out. */
static int otp_wrong(const struct otp_policy *p, struct otp_code_state *code, struct otp_lock *lock,
                     int64_t now, struct otp_verdict *v)
{
    code->wrong_tries++;
    v->tries_left = code->wrong_tries >= p->max_tries ? 0 : p->max_tries - code->wrong_tries;
    lock->failures++;
    if (lock->failures >= p->lockout_after) {
        lock->locked_until = now + (int64_t)otp_lockout_length(p, lock->lockouts);
        lock->lockouts++;
        lock->failures = 0;
        v->until = lock->locked_until;
        v->lockout_started = 1;
        return -KP_ERR_LOCKED;
    }
    return -KP_ERR_WRONG;
}

int otp_verify_decide(const struct otp_policy *p, struct otp_code_state *code,
                      struct otp_lock *lock, int matched, int64_t now, struct otp_verdict *v)
{
    memset(v, 0, sizeof(*v));
    if (now < lock->locked_until) {
        v->until = lock->locked_until;
        return -KP_ERR_LOCKED;
    }
    if (code == NULL)
        return -KP_ERR_NOTFOUND;
    if (code->used)
        return -KP_ERR_USED;
    if (now >= code->issued_at + (int64_t)p->validity_s)
        return -KP_ERR_EXPIRED;
    if (code->wrong_tries >= p->max_tries)
        return -KP_ERR_LIMIT;
    if (!matched)
        return otp_wrong(p, code, lock, now, v);
    code->used = 1;
    lock->failures = 0;
    lock->lockouts = 0;
    lock->locked_until = 0;
    return 0;
}
