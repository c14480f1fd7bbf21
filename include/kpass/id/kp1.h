/* SPDX-License-Identifier: ISC */
/*
 * The KP1 QR token (DESIGN.md §7, doc/kp1-token.md): a citizen's signed
 * credential, printed as a QR code.
 *
 *   text = "KP1:" || Base45(body || signature)              (RFC 9285)
 *   body (26 octets, integers big-endian):
 *     0      version      1
 *     1..4   key id       first 4 octets of BLAKE2b-256(public key)
 *     5..16  serial       12 random octets, the database key
 *     17..18 CNIC last 4  packed BCD ("5671" -> 0x56 0x71)
 *     19..22 issued at    Unix seconds
 *     23..24 valid days   1..65535
 *     25     flags        KP1_FLAG_*; unknown bits are refused
 *   signature = Ed25519(secret key, "KP1-token\0" || body)  (64 octets)
 *
 * 26 + 64 = 90 octets = 45 pairs -> 135 Base45 characters, + 4 for the
 * prefix = 139 characters, all in the QR alphanumeric set: QR version 6 at
 * level M (154 alphanumeric characters; version 5-M holds only 122).
 * No name, CNIC or photo: revocation and the citizen's record are looked
 * up by serial in the database.
 *
 * Pure: encoding and verifying take keys and the time as arguments.
 */
#ifndef KPASS_KP1_H
#define KPASS_KP1_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/id/keys.h"
#include "kpass/id/trust.h"

#define KP1_VERSION      1
#define KP1_PREFIX       "KP1:"
#define KP1_PREFIX_LEN   4
#define KP1_BODY_BYTES   26
#define KP1_SIG_BYTES    64
#define KP1_RAW_BYTES    (KP1_BODY_BYTES + KP1_SIG_BYTES) /* 90 */
#define KP1_B45_LEN      135                              /* Base45 of 90 octets */
#define KP1_TEXT_LEN     (KP1_PREFIX_LEN + KP1_B45_LEN)   /* 139 */
#define KP1_TEXT_SIZE    (KP1_TEXT_LEN + 1)
#define KP1_SERIAL_BYTES 12
#define KP1_SKEW_S       300 /* a token issued up to 5 minutes "in the future" is accepted */
#define KP1_DAY_S        86400

/* The signed message is KP1_TAG (KP1_TAG_LEN octets, its NUL included) || body. */
#define KP1_TAG     "KP1-token"
#define KP1_TAG_LEN 10

/* Flags (body octet 25). */
#define KP1_FLAG_DEMO   0x01 /* issued for a demonstration or test, not a real credential */
#define KP1_FLAGS_KNOWN 0x01

struct kp1_token {
    uint8_t version;
    uint8_t key_id[TRUST_ID_BYTES];
    uint8_t serial[KP1_SERIAL_BYTES];
    uint8_t cnic_last4[2]; /* BCD; see cnic_last4_bcd() */
    uint32_t issued_at;
    uint16_t valid_days;
    uint8_t flags;
    uint8_t sig[KP1_SIG_BYTES];
};

/* 12 fresh random octets (randombytes_buf) for a new token's serial. */
void kp1_serial_generate(uint8_t serial[KP1_SERIAL_BYTES]);

/*
 * Sign and encode a token.  The caller fills serial, cnic_last4,
 * issued_at, valid_days and flags; kp1_encode sets version, key_id (the
 * signer's) and sig, and writes the 139-character text, NUL-terminated.
 * Returns KP1_TEXT_LEN, -KP_ERR_INVAL (last 4 not BCD, valid_days 0,
 * unknown flags) or -KP_ERR_STATE (signer without secret).
 */
int kp1_encode(const struct keys_signer *s, struct kp1_token *t, char out[KP1_TEXT_SIZE]);

/*
 * Decode text[0..len) into *t without checking the signature.  Each
 * failure has its own value:
 *   -KP_ERR_PARSE       not starting with "KP1:" (case matters)
 *   -KP_ERR_TRUNC       shorter than 139 characters
 *   -KP_ERR_TOOLONG     longer than 139 characters
 *   -KP_ERR_ENCODING    not valid Base45
 *   -KP_ERR_UNSUPPORTED a version other than 1
 *   -KP_ERR_INVAL       last 4 not BCD, valid days 0, or unknown flags
 */
int kp1_decode(const char *text, size_t len, struct kp1_token *t);

/*
 * A KP1 text as a handheld scanner typed it, made what kp1_decode reads:
 * blanks around it (space, Tab, CR, LF: a scanner's prefix or suffix key)
 * dropped, and every a-z upper-cased (a scanner typing with Caps Lock on
 * inverts the case of letters, and of nothing else).  Both are lossless
 * for a real token: Base45 (RFC 9285 §4) has no lower-case letter, so no
 * two tokens differ by case; its one blank, space (value 36), is never a
 * token's first character ("KP1:") nor its last (the last of each triple
 * is n / 45^2 <= 32 for two octets n, and 90 octets are whole triples).
 * Blanks inside are kept: they are part of the text.  Writes the result
 * and a NUL to out; its length, or -KP_ERR_TOOLONG when it needs more
 * than cap - 1 octets.  Pure.
 *
 *   "  kp1:6bfor3..%\t\r" -> "KP1:6BFOR3..%"
 */
int kp1_text_normalise(const char *in, size_t len, char *out, size_t cap);

/*
 * Check a decoded token: its key (through lookup), its signature, and its
 * validity at now.  Returns 0, or:
 *   -KP_ERR_NOTFOUND  unknown key id
 *   -KP_ERR_DENIED    the key is retired
 *   -KP_ERR_CRYPTO    the signature does not verify
 *   -KP_ERR_RANGE     not valid yet: now < issued_at - skew_s
 *   -KP_ERR_EXPIRED   now >= issued_at + valid_days * 86400
 * Revocation is the caller's: look the serial up in the database.
 */
int kp1_check(const struct kp1_token *t, trust_lookup_fn lookup, void *ctx, int64_t now,
              uint32_t skew_s);

/* kp1_decode then kp1_check; *t holds the body when it returns 0. */
int kp1_verify(const char *text, size_t len, trust_lookup_fn lookup, void *ctx, int64_t now,
               uint32_t skew_s, struct kp1_token *t);

/* The first second at which t is expired. */
int64_t kp1_expires_at(const struct kp1_token *t);

/* The 26-octet body of t (what is signed after the tag). */
void kp1_body_pack(const struct kp1_token *t, uint8_t body[KP1_BODY_BYTES]);

/* What a kp1_decode/kp1_check error means for a token ("token expired"); never NULL. */
const char *kp1_strerror(int rc);

#endif
