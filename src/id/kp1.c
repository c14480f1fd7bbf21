/* SPDX-License-Identifier: ISC */
/*
 * The KP1 token: packing the 26-octet body, Ed25519 over the domain tag
 * and body, Base45 text (RFC 9285), and the checks a verifier makes in
 * order: prefix, length, Base45, version, fields, key, signature, time.
 */
#include <sodium.h>
#include <string.h>

#include "id_internal.h"
#include "kpass/id/base45.h"
#include "kpass/core/err.h"
#include "kpass/id/kp1.h"

/* Body offsets (doc/kp1-token.md). */
#define KP1_OFF_VERSION 0
#define KP1_OFF_KEYID   1
#define KP1_OFF_SERIAL  5
#define KP1_OFF_LAST4   17
#define KP1_OFF_ISSUED  19
#define KP1_OFF_DAYS    23
#define KP1_OFF_FLAGS   25

_Static_assert(KP1_OFF_FLAGS + 1 == KP1_BODY_BYTES, "KP1 body layout");
_Static_assert(KP1_B45_LEN == KP1_RAW_BYTES / 2 * 3, "KP1 Base45 length");
_Static_assert(sizeof(KP1_TAG) == KP1_TAG_LEN, "KP1 tag with its NUL");

void kp1_serial_generate(uint8_t serial[KP1_SERIAL_BYTES])
{
    randombytes_buf(serial, KP1_SERIAL_BYTES);
}

void kp1_body_pack(const struct kp1_token *t, uint8_t body[KP1_BODY_BYTES])
{
    body[KP1_OFF_VERSION] = t->version;
    memcpy(body + KP1_OFF_KEYID, t->key_id, TRUST_ID_BYTES);
    memcpy(body + KP1_OFF_SERIAL, t->serial, KP1_SERIAL_BYTES);
    memcpy(body + KP1_OFF_LAST4, t->cnic_last4, 2);
    id_put32(body + KP1_OFF_ISSUED, t->issued_at);
    id_put16(body + KP1_OFF_DAYS, t->valid_days);
    body[KP1_OFF_FLAGS] = t->flags;
}

static int kp1_bcd_valid(const uint8_t b[2])
{
    return (b[0] >> 4) <= 9 && (b[0] & 0x0F) <= 9 && (b[1] >> 4) <= 9 && (b[1] & 0x0F) <= 9;
}

/* The field rules shared by encode and decode. */
static int kp1_fields_valid(const struct kp1_token *t)
{
    return kp1_bcd_valid(t->cnic_last4) && t->valid_days > 0 && (t->flags & ~KP1_FLAGS_KNOWN) == 0;
}

int kp1_encode(const struct keys_signer *s, struct kp1_token *t, char out[KP1_TEXT_SIZE])
{
    uint8_t raw[KP1_RAW_BYTES];
    int rc;

    if (!kp1_fields_valid(t))
        return -KP_ERR_INVAL;
    t->version = KP1_VERSION;
    memcpy(t->key_id, s->id, TRUST_ID_BYTES);
    kp1_body_pack(t, raw);
    rc = keys_signer_sign(s, KP1_TAG, KP1_TAG_LEN, raw, KP1_BODY_BYTES, t->sig);
    if (rc < 0)
        return rc;
    memcpy(raw + KP1_BODY_BYTES, t->sig, KP1_SIG_BYTES);
    memcpy(out, KP1_PREFIX, KP1_PREFIX_LEN);
    rc = base45_encode(raw, sizeof(raw), out + KP1_PREFIX_LEN, KP1_TEXT_SIZE - KP1_PREFIX_LEN);
    return rc < 0 ? rc : KP1_TEXT_LEN;
}

int kp1_decode(const char *text, size_t len, struct kp1_token *t)
{
    uint8_t raw[KP1_RAW_BYTES];
    const uint8_t *b = raw;

    memset(t, 0, sizeof(*t));
    if (len < KP1_PREFIX_LEN || memcmp(text, KP1_PREFIX, KP1_PREFIX_LEN) != 0)
        return -KP_ERR_PARSE;
    if (len < KP1_TEXT_LEN)
        return -KP_ERR_TRUNC;
    if (len > KP1_TEXT_LEN)
        return -KP_ERR_TOOLONG;
    if (base45_decode(text + KP1_PREFIX_LEN, KP1_B45_LEN, raw, sizeof(raw), NULL) != KP1_RAW_BYTES)
        return -KP_ERR_ENCODING;
    if (b[KP1_OFF_VERSION] != KP1_VERSION)
        return -KP_ERR_UNSUPPORTED;
    t->version = b[KP1_OFF_VERSION];
    memcpy(t->key_id, b + KP1_OFF_KEYID, TRUST_ID_BYTES);
    memcpy(t->serial, b + KP1_OFF_SERIAL, KP1_SERIAL_BYTES);
    memcpy(t->cnic_last4, b + KP1_OFF_LAST4, 2);
    t->issued_at = id_get32(b + KP1_OFF_ISSUED);
    t->valid_days = id_get16(b + KP1_OFF_DAYS);
    t->flags = b[KP1_OFF_FLAGS];
    memcpy(t->sig, b + KP1_BODY_BYTES, KP1_SIG_BYTES);
    return kp1_fields_valid(t) ? 0 : -KP_ERR_INVAL;
}

static int kp1_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int kp1_text_normalise(const char *in, size_t len, char *out, size_t cap)
{
    size_t b = 0, e = len;

    while (b < e && kp1_blank(in[b]))
        b++;
    while (e > b && kp1_blank(in[e - 1]))
        e--;
    if (cap == 0 || e - b > cap - 1)
        return -KP_ERR_TOOLONG;
    for (size_t i = b; i < e; i++)
        out[i - b] = in[i] >= 'a' && in[i] <= 'z' ? (char)(in[i] - 'a' + 'A') : in[i];
    out[e - b] = '\0';
    return (int)(e - b);
}

int64_t kp1_expires_at(const struct kp1_token *t)
{
    return (int64_t)t->issued_at + (int64_t)t->valid_days * KP1_DAY_S;
}

int kp1_check(const struct kp1_token *t, trust_lookup_fn lookup, void *ctx, int64_t now,
              uint32_t skew_s)
{
    uint8_t msg[KP1_TAG_LEN + KP1_BODY_BYTES], pk[TRUST_PK_BYTES];
    int rc;

    if ((rc = lookup(ctx, t->key_id, pk)) < 0)
        return rc == -KP_ERR_DENIED ? rc : -KP_ERR_NOTFOUND;
    memcpy(msg, KP1_TAG, KP1_TAG_LEN);
    kp1_body_pack(t, msg + KP1_TAG_LEN);
    if (crypto_sign_verify_detached(t->sig, msg, sizeof(msg), pk) != 0)
        return -KP_ERR_CRYPTO;
    /* Time only once the signature holds: a forger learns nothing more. */
    if (now < (int64_t)t->issued_at - (int64_t)skew_s)
        return -KP_ERR_RANGE;
    if (now >= kp1_expires_at(t))
        return -KP_ERR_EXPIRED;
    return 0;
}

int kp1_verify(const char *text, size_t len, trust_lookup_fn lookup, void *ctx, int64_t now,
               uint32_t skew_s, struct kp1_token *t)
{
    int rc = kp1_decode(text, len, t);

    return rc < 0 ? rc : kp1_check(t, lookup, ctx, now, skew_s);
}

const char *kp1_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "valid token";
    case -KP_ERR_PARSE:
        return "not a KP1 token (no KP1: prefix)";
    case -KP_ERR_TRUNC:
        return "token too short (cut off?)";
    case -KP_ERR_TOOLONG:
        return "token too long (extra characters?)";
    case -KP_ERR_ENCODING:
        return "token damaged (invalid Base45)";
    case -KP_ERR_UNSUPPORTED:
        return "unknown token version";
    case -KP_ERR_INVAL:
        return "token fields invalid";
    case -KP_ERR_NOTFOUND:
        return "token signed by an unknown key";
    case -KP_ERR_DENIED:
        return "token signed by a retired key";
    case -KP_ERR_CRYPTO:
        return "token signature invalid (forged or altered)";
    case -KP_ERR_RANGE:
        return "token not valid yet (issued in the future)";
    case -KP_ERR_EXPIRED:
        return "token expired";
    default:
        return kp_strerror(rc);
    }
}
