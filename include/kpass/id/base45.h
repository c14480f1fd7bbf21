/* SPDX-License-Identifier: ISC */
/*
 * Base45 (RFC 9285): two octets become three characters of a 45-character
 * alphabet that QR codes carry in alphanumeric mode ("0-9A-Z $%*+-./:").
 * Used for the KP1 QR token.  Pure: no I/O, no allocation.
 *
 *   "AB" -> "BB8"   ("AB" = 0x4142 = 16706 = 11 + 45*11 + 2025*8)
 */
#ifndef KPASS_BASE45_H
#define KPASS_BASE45_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed for n octets: 3 per pair, 2 for a trailing octet (no NUL). */
size_t base45_encoded_len(size_t n);

/* Octets that a text of len characters decodes to (when it is valid). */
size_t base45_decoded_len(size_t len);

/*
 * Encode in[0..n) as Base45 (RFC 9285 §4) into out, NUL-terminated; out must
 * hold base45_encoded_len(n) + 1 bytes.  Returns the number of characters,
 * or -KP_ERR_TOOLONG when cap is too small (or n above INT_MAX / 3 * 2).
 */
int base45_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/*
 * Decode len characters of Base45 (RFC 9285 §4.2) into out (cap octets).
 * Returns the number of octets, or:
 *   -KP_ERR_ENCODING  a character outside the 45-character alphabet
 *                     (lower-case letters included, RFC 9285 §6)
 *   -KP_ERR_TRUNC     a single character left over at the end
 *   -KP_ERR_RANGE     a triplet above 65535 or a final pair above 255
 *   -KP_ERR_TOOLONG   out too small
 * When errpos is not NULL it receives the offset of the offending character
 * (the start of the offending group for -KP_ERR_RANGE).
 */
int base45_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *errpos);

#endif
