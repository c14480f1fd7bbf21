/* SPDX-License-Identifier: ISC */
/*
 * USSD and SMS text: the GSM 03.38 default alphabet with its extension
 * table (3GPP TS 23.038 §6.2.1), carried one septet per octet as SMPP does
 * for data_coding 0 (SMPP 3.4 §5.2.19), and UCS-2 big-endian (data_coding 8).
 * Menus and the store hold UTF-8; these convert at the wire.
 *
 * Pure: no I/O, no allocation except where a kp_buf is passed in.
 * Lengths are in "units": septets for GSM 7-bit (an extension-table
 * character such as '€' or '{' costs 2: ESC + char), UTF-16 code units for
 * UCS-2 (a character outside the BMP would cost 2, but see below).
 */
#ifndef KPASS_TEXT_H
#define KPASS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"

enum text_enc {
    TEXT_GSM7 = 0, /* SMPP data_coding 0x00: SMSC default alphabet, GSM 03.38 */
    TEXT_UCS2 = 8, /* SMPP data_coding 0x08: UCS-2 (ISO/IEC 10646), big-endian */
};

/*
 * Validate UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 * Returns 0 or -KP_ERR_ENCODING.
 */
int text_utf8_valid(const char *s, size_t len);
/* A name as menus, templates and the APIs write it: 1 to max bytes of
   a-z, 0-9 and _.  1 or 0. */
int text_word_ok(const char *s, size_t max);

/* Append s to out with every invalid UTF-8 sequence replaced by U+FFFD
   (one per maximal subpart, Unicode §3.9). */
void text_utf8_clean(const char *s, size_t len, struct kp_buf *out);

/*
 * Decode the UTF-8 character at s (len bytes left) into *cp.  Returns its
 * length in bytes (1..4), -KP_ERR_ENCODING when invalid, -KP_ERR_TRUNC when
 * len is 0.
 */
int text_utf8_next(const char *s, size_t len, uint32_t *cp);

/* Write cp (<= U+10FFFF, not a surrogate) as UTF-8 into out; returns 1..4. */
size_t text_utf8_put(uint32_t cp, char out[4]);

/* Characters (code points) in s, or -KP_ERR_ENCODING for invalid UTF-8. */
int text_utf8_chars(const char *s, size_t len);

/*
 * Units s needs in enc: septets for TEXT_GSM7 (-KP_ERR_ENCODING when a
 * character is outside the GSM alphabet and its extension table), UTF-16
 * code units for TEXT_UCS2 (-KP_ERR_ENCODING for invalid UTF-8).
 */
int text_units(const char *s, size_t len, enum text_enc enc);

/* TEXT_GSM7 when every character of s is in GSM 03.38, else TEXT_UCS2. */
enum text_enc text_choose(const char *s, size_t len);

/*
 * Encode UTF-8 s in enc, appending octets to out: GSM one septet per octet
 * (extension characters as 0x1B + code), UCS-2 as big-endian pairs
 * (characters outside the BMP as UTF-16 surrogate pairs).
 * Returns the number of octets appended or -KP_ERR_ENCODING.
 */
int text_encode(const char *s, size_t len, enum text_enc enc, struct kp_buf *out);

/*
 * Decode wire octets in enc (data_coding 0, 8; also 1 = IA5/ASCII and 3 =
 * Latin-1, which some gateways send) into UTF-8 appended to out.  Invalid
 * input (an odd UCS-2 length, an unpaired surrogate, a septet > 0x7F, a
 * trailing ESC, an IA5 octet > 0x7F, an unknown data_coding) gives
 * -KP_ERR_ENCODING and appends nothing.
 * GSM: ESC followed by a septet without an extension-table entry decodes as
 * that septet's basic-table character, and ESC ESC as a space (3GPP TS
 * 23.038 §6.2.1.1).  Returns the number of bytes appended.
 */
int text_decode(const uint8_t *in, size_t len, int data_coding, struct kp_buf *out);

/*
 * The longest prefix of UTF-8 s (in bytes, ending on a character boundary)
 * that fits in max_units of enc.  For choosing page breaks: a GSM
 * extension character (ESC + code) and a UTF-16 surrogate pair are never
 * split.  The prefix also stops before the first character that is invalid
 * UTF-8 or, for TEXT_GSM7, outside the alphabet.
 */
size_t text_fit(const char *s, size_t len, enum text_enc enc, size_t max_units);

#endif
