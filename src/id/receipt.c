/* SPDX-License-Identifier: ISC */
/*
 * KPR1 receipts: packing the 48-octet body, Ed25519 over its own domain
 * tag (so a token signature never passes as a receipt's and back), the
 * base64url text (RFC 4648 §5 without padding; libsodium refuses
 * non-canonical trailing bits, so each receipt has one text), and the
 * short Base32 (RFC 4648 §6) receipt id.
 */
#include <sodium.h>
#include <string.h>

#include "id_internal.h"
#include "kpass/core/err.h"
#include "kpass/id/receipt.h"

#define RECEIPT_OFF_VERSION 0
#define RECEIPT_OFF_KEYID   1
#define RECEIPT_OFF_VID     5
#define RECEIPT_OFF_SERIAL  21
#define RECEIPT_OFF_OFFICE  33
#define RECEIPT_OFF_DESK    37
#define RECEIPT_OFF_PURPOSE 41
#define RECEIPT_OFF_AT      43
#define RECEIPT_OFF_OUTCOME 47

#define RECEIPT_CODE_OK   0x01
#define RECEIPT_BIO_SHIFT 1
#define RECEIPT_BIO_MASK  0x06
#define RECEIPT_RESERVED  0xF8

#define RECEIPT_B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

_Static_assert(RECEIPT_OFF_OUTCOME + 1 == RECEIPT_BODY_BYTES, "KPR1 body layout");
_Static_assert(sizeof(RECEIPT_TAG) == RECEIPT_TAG_LEN, "KPR1 tag with its NUL");
_Static_assert(sodium_base64_ENCODED_LEN(RECEIPT_RAW_BYTES, RECEIPT_B64_VARIANT) ==
                   RECEIPT_B64_LEN + 1,
               "KPR1 base64url length");

/*
 * Every character in the base64url alphabet (RFC 4648 §5).  Checked here
 * because libsodium 1.0.18's sodium_base642bin() reads characters as
 * signed and takes every octet 0x80-0xFF for '_': without this check a
 * receipt would have 128 more spellings per '_' (found by fuzz_receipt).
 */
static int receipt_b64_clean(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

void receipt_vid_generate(uint8_t vid[RECEIPT_VID_BYTES])
{
    randombytes_buf(vid, RECEIPT_VID_BYTES);
}

void receipt_body_pack(const struct receipt *r, uint8_t body[RECEIPT_BODY_BYTES])
{
    body[RECEIPT_OFF_VERSION] = r->version;
    memcpy(body + RECEIPT_OFF_KEYID, r->key_id, TRUST_ID_BYTES);
    memcpy(body + RECEIPT_OFF_VID, r->verification_id, RECEIPT_VID_BYTES);
    memcpy(body + RECEIPT_OFF_SERIAL, r->serial, sizeof(r->serial));
    id_put32(body + RECEIPT_OFF_OFFICE, r->office_id);
    id_put32(body + RECEIPT_OFF_DESK, r->desk_id);
    id_put16(body + RECEIPT_OFF_PURPOSE, r->purpose);
    id_put32(body + RECEIPT_OFF_AT, r->verified_at);
    body[RECEIPT_OFF_OUTCOME] = (uint8_t)((r->code_confirmed ? RECEIPT_CODE_OK : 0) |
                                          ((unsigned)r->bio << RECEIPT_BIO_SHIFT));
}

int receipt_encode(const struct keys_signer *s, struct receipt *r, char out[RECEIPT_TEXT_SIZE])
{
    uint8_t raw[RECEIPT_RAW_BYTES];
    int rc;

    if ((unsigned)r->bio > RECEIPT_BIO_FAILED)
        return -KP_ERR_INVAL;
    r->version = RECEIPT_VERSION;
    memcpy(r->key_id, s->id, TRUST_ID_BYTES);
    receipt_body_pack(r, raw);
    rc = keys_signer_sign(s, RECEIPT_TAG, RECEIPT_TAG_LEN, raw, RECEIPT_BODY_BYTES, r->sig);
    if (rc < 0)
        return rc;
    memcpy(raw + RECEIPT_BODY_BYTES, r->sig, RECEIPT_SIG_BYTES);
    memcpy(out, RECEIPT_PREFIX, RECEIPT_PREFIX_LEN);
    sodium_bin2base64(out + RECEIPT_PREFIX_LEN, RECEIPT_TEXT_SIZE - RECEIPT_PREFIX_LEN, raw,
                      sizeof(raw), RECEIPT_B64_VARIANT);
    return RECEIPT_TEXT_LEN;
}

int receipt_decode(const char *text, size_t len, struct receipt *r)
{
    uint8_t b[RECEIPT_RAW_BYTES];
    size_t got = 0;

    memset(r, 0, sizeof(*r));
    if (len < RECEIPT_PREFIX_LEN || memcmp(text, RECEIPT_PREFIX, RECEIPT_PREFIX_LEN) != 0)
        return -KP_ERR_PARSE;
    if (len < RECEIPT_TEXT_LEN)
        return -KP_ERR_TRUNC;
    if (len > RECEIPT_TEXT_LEN)
        return -KP_ERR_TOOLONG;
    if (!receipt_b64_clean(text + RECEIPT_PREFIX_LEN, RECEIPT_B64_LEN) ||
        sodium_base642bin(b, sizeof(b), text + RECEIPT_PREFIX_LEN, RECEIPT_B64_LEN, NULL, &got,
                          NULL, RECEIPT_B64_VARIANT) != 0 ||
        got != RECEIPT_RAW_BYTES)
        return -KP_ERR_ENCODING;
    if (b[RECEIPT_OFF_VERSION] != RECEIPT_VERSION)
        return -KP_ERR_UNSUPPORTED;
    if (b[RECEIPT_OFF_OUTCOME] & RECEIPT_RESERVED)
        return -KP_ERR_INVAL;
    r->version = b[RECEIPT_OFF_VERSION];
    memcpy(r->key_id, b + RECEIPT_OFF_KEYID, TRUST_ID_BYTES);
    memcpy(r->verification_id, b + RECEIPT_OFF_VID, RECEIPT_VID_BYTES);
    memcpy(r->serial, b + RECEIPT_OFF_SERIAL, sizeof(r->serial));
    r->office_id = id_get32(b + RECEIPT_OFF_OFFICE);
    r->desk_id = id_get32(b + RECEIPT_OFF_DESK);
    r->purpose = id_get16(b + RECEIPT_OFF_PURPOSE);
    r->verified_at = id_get32(b + RECEIPT_OFF_AT);
    r->code_confirmed = (b[RECEIPT_OFF_OUTCOME] & RECEIPT_CODE_OK) != 0;
    r->bio = (enum receipt_bio)((b[RECEIPT_OFF_OUTCOME] & RECEIPT_BIO_MASK) >> RECEIPT_BIO_SHIFT);
    memcpy(r->sig, b + RECEIPT_BODY_BYTES, RECEIPT_SIG_BYTES);
    return 0;
}

int receipt_verify(const char *text, size_t len, trust_lookup_fn lookup, void *ctx,
                   struct receipt *r)
{
    uint8_t msg[RECEIPT_TAG_LEN + RECEIPT_BODY_BYTES], pk[TRUST_PK_BYTES];
    int rc = receipt_decode(text, len, r);

    if (rc < 0)
        return rc;
    if ((rc = lookup(ctx, r->key_id, pk)) < 0)
        return rc == -KP_ERR_DENIED ? rc : -KP_ERR_NOTFOUND;
    memcpy(msg, RECEIPT_TAG, RECEIPT_TAG_LEN);
    receipt_body_pack(r, msg + RECEIPT_TAG_LEN);
    if (crypto_sign_verify_detached(r->sig, msg, sizeof(msg), pk) != 0)
        return -KP_ERR_CRYPTO;
    return 0;
}

void receipt_id(const struct receipt *r, char out[RECEIPT_ID_SIZE])
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; /* RFC 4648 §6 */
    uint8_t raw[RECEIPT_RAW_BYTES], h[crypto_generichash_BYTES];
    uint64_t bits = 0;

    receipt_body_pack(r, raw);
    memcpy(raw + RECEIPT_BODY_BYTES, r->sig, RECEIPT_SIG_BYTES);
    crypto_generichash(h, sizeof(h), raw, sizeof(raw), NULL, 0);
    /* The first 50 bits of the hash, 5 bits per character, most significant first. */
    for (int i = 0; i < 7; i++)
        bits = bits << 8 | h[i];
    bits >>= 6; /* 56 bits -> 50 */
    for (int i = RECEIPT_ID_LEN - 1; i >= 0; i--) {
        out[i] = b32[bits & 31];
        bits >>= 5;
    }
    out[RECEIPT_ID_LEN] = '\0';
}
