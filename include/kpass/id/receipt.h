/* SPDX-License-Identifier: ISC */
/*
 * Signed receipts of an in-person verification (DESIGN.md §7,
 * doc/kp1-token.md "KPR1 receipts").  After a desk confirms a citizen's
 * code, the daemon signs a receipt with the active key:
 *
 *   text = "KPR1:" || base64url(body || signature)     (RFC 4648 §5, no padding)
 *   body (48 octets, integers big-endian):
 *     0      version          1
 *     1..4   key id
 *     5..20  verification id  16 random octets
 *     21..32 credential serial (the KP1 token's)
 *     33..36 office id
 *     37..40 desk id
 *     41..42 purpose code
 *     43..46 verified at      Unix seconds
 *     47     outcome          bit 0: code confirmed; bits 1-2: biometric
 *                             outcome reported by the desk; bits 3-7: 0
 *   signature = Ed25519(secret key, "KPR1-receipt\0" || body)
 *
 * 48 + 64 = 112 octets -> 150 base64url characters + 5 = 155.  Receipts
 * travel in JSON, SMS and print rather than QR codes, hence base64url.
 * The short receipt id people read out is the first 10 characters of the
 * RFC 4648 Base32 of BLAKE2b-256(body || signature).
 *
 * Pure: keys and time are arguments.
 */
#ifndef KPASS_RECEIPT_H
#define KPASS_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/keys.h"
#include "kpass/id/trust.h"

#define RECEIPT_VERSION    1
#define RECEIPT_PREFIX     "KPR1:"
#define RECEIPT_PREFIX_LEN 5
#define RECEIPT_BODY_BYTES 48
#define RECEIPT_SIG_BYTES  64
#define RECEIPT_RAW_BYTES  (RECEIPT_BODY_BYTES + RECEIPT_SIG_BYTES) /* 112 */
#define RECEIPT_B64_LEN    150
#define RECEIPT_TEXT_LEN   (RECEIPT_PREFIX_LEN + RECEIPT_B64_LEN) /* 155 */
#define RECEIPT_TEXT_SIZE  (RECEIPT_TEXT_LEN + 1)
#define RECEIPT_VID_BYTES  16
#define RECEIPT_ID_LEN     10
#define RECEIPT_ID_SIZE    (RECEIPT_ID_LEN + 1)

/* The signed message is RECEIPT_TAG (its NUL included) || body. */
#define RECEIPT_TAG     "KPR1-receipt"
#define RECEIPT_TAG_LEN 13

/* Biometric outcome as reported by the desk (outcome bits 1-2). */
enum receipt_bio {
    RECEIPT_BIO_NONE = 0,     /* not performed */
    RECEIPT_BIO_MATCH = 1,    /* the desk's device matched the citizen */
    RECEIPT_BIO_NO_MATCH = 2, /* the device did not match */
    RECEIPT_BIO_FAILED = 3,   /* attempted, could not complete (device error) */
};

struct receipt {
    uint8_t version;
    uint8_t key_id[TRUST_ID_BYTES];
    uint8_t verification_id[RECEIPT_VID_BYTES];
    uint8_t serial[12]; /* KP1_SERIAL_BYTES */
    uint32_t office_id;
    uint32_t desk_id;
    uint16_t purpose;
    uint32_t verified_at;
    int code_confirmed;   /* outcome bit 0 */
    enum receipt_bio bio; /* outcome bits 1-2 */
    uint8_t sig[RECEIPT_SIG_BYTES];
};

/* 16 fresh random octets for a new receipt's verification id. */
void receipt_vid_generate(uint8_t vid[RECEIPT_VID_BYTES]);

/*
 * Sign and encode.  The caller fills every field but version, key_id and
 * sig, which receipt_encode sets.  Writes the 155-character text,
 * NUL-terminated.  Returns RECEIPT_TEXT_LEN, -KP_ERR_INVAL (bio out of
 * range) or -KP_ERR_STATE (signer without secret).
 */
int receipt_encode(const struct keys_signer *s, struct receipt *r, char out[RECEIPT_TEXT_SIZE]);

/*
 * Decode without checking the signature.  -KP_ERR_PARSE (no "KPR1:"
 * prefix), -KP_ERR_TRUNC / -KP_ERR_TOOLONG (length), -KP_ERR_ENCODING (not
 * canonical base64url), -KP_ERR_UNSUPPORTED (version), -KP_ERR_INVAL
 * (reserved outcome bits set).
 */
int receipt_decode(const char *text, size_t len, struct receipt *r);

/*
 * Decode and check key and signature: 0, a decode error, -KP_ERR_NOTFOUND
 * (unknown key), -KP_ERR_DENIED (retired key), -KP_ERR_CRYPTO (signature).
 * A receipt has no expiry: it records what happened.
 */
int receipt_verify(const char *text, size_t len, trust_lookup_fn lookup, void *ctx,
                   struct receipt *r);

/* The short id people read out ("Q4ZK7MWB2X"), NUL-terminated. */
void receipt_id(const struct receipt *r, char out[RECEIPT_ID_SIZE]);

/* The 48-octet body of r (what is signed after the tag). */
void receipt_body_pack(const struct receipt *r, uint8_t body[RECEIPT_BODY_BYTES]);

#endif
