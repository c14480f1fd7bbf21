/* SPDX-License-Identifier: ISC */
/*
 * CNIC numbers (NADRA Computerised National Identity Card): 13 digits,
 * written "35202-1234567-1" (5-digit locality, 7-digit family/serial,
 * 1 check/gender digit).  The first digit is the province/region code
 * (1-7).  kpass stores the normalised 13-digit string, shows only a mask
 * ("*****-****567-1") and looks citizens up by a keyed BLAKE2b index, since
 * an unkeyed hash of 13 digits is brute-forced in seconds.
 *
 * Pure: bytes in, results out; cnic_index takes the key as an argument.
 */
#ifndef KPASS_CNIC_H
#define KPASS_CNIC_H

#include <stddef.h>
#include <stdint.h>

#define CNIC_DIGITS      13
#define CNIC_SIZE        14 /* normalised digits + NUL */
#define CNIC_TEXT_SIZE   16 /* "35202-1234567-1" + NUL, also the mask */
#define CNIC_KEY_BYTES   32 /* crypto_generichash_KEYBYTES */
#define CNIC_INDEX_BYTES 32
#define CNIC_INDEX_HEX   65 /* 64 hex digits + NUL */

/* Why a text is not a CNIC (for precise messages; see cnic_fault_text). */
enum cnic_fault {
    CNIC_FAULT_NONE = 0,
    CNIC_FAULT_EMPTY,  /* nothing but spaces */
    CNIC_FAULT_CHAR,   /* a letter or other character that is not a digit or '-' */
    CNIC_FAULT_SHORT,  /* fewer than 13 digits */
    CNIC_FAULT_LONG,   /* more than 13 digits */
    CNIC_FAULT_DASH,   /* dashes not exactly at #####-#######-# */
    CNIC_FAULT_REGION, /* first digit not a region code 1-7 */
};

/* A short English reason for fault ("expected 13 digits, found fewer"); never NULL. */
const char *cnic_fault_text(enum cnic_fault fault);

/*
 * Parse s[0..len) ("35202-1234567-1" or "3520212345671", spaces and tabs
 * around allowed) into the normalised 13 digits, NUL-terminated, in out.
 * Returns 0, or -KP_ERR_PARSE with *fault (may be NULL) saying why.
 */
int cnic_parse(const char *s, size_t len, char out[CNIC_SIZE], enum cnic_fault *fault);

/* True (1) when s is a normalised CNIC (13 digits, region 1-7, NUL after). */
int cnic_is_normal(const char *s);

/* "3520212345671" -> "35202-1234567-1".  0 or -KP_ERR_INVAL (not normalised). */
int cnic_format(const char *cnic, char out[CNIC_TEXT_SIZE]);

/*
 * "3520212345671" -> "*****-****567-1": only the last 4 digits are shown.
 * 0 or -KP_ERR_INVAL.
 */
int cnic_mask(const char *cnic, char out[CNIC_TEXT_SIZE]);

/*
 * "3520212345671" -> "*****-******7-1": only the last 2 digits, for
 * screens a caller sees without proving anything (USSD "My
 * registration"), where the last 4 are what a code request asks for.
 * 0 or -KP_ERR_INVAL.
 */
int cnic_mask_short(const char *cnic, char out[CNIC_TEXT_SIZE]);

/*
 * The last 4 digits as 2 octets of packed BCD, high nibble first
 * ("...5671" -> 0x56 0x71), as the KP1 token carries them.
 * 0 or -KP_ERR_INVAL.
 */
int cnic_last4_bcd(const char *cnic, uint8_t bcd[2]);

/*
 * "5671" (exactly 4 digits, as a citizen types them) -> 0x56 0x71.
 * 0 or -KP_ERR_PARSE.
 */
int cnic_last4_parse(const char *digits, size_t len, uint8_t bcd[2]);

/* 0x56 0x71 -> "5671".  0, or -KP_ERR_PARSE when a nibble is above 9. */
int cnic_last4_text(const uint8_t bcd[2], char out[5]);

/*
 * The database index of a normalised CNIC: keyed BLAKE2b-256
 * (crypto_generichash, key from cnic.key) of its 13 ASCII digits.
 * 0 or -KP_ERR_INVAL (not normalised).
 */
int cnic_index(const char *cnic, const uint8_t key[CNIC_KEY_BYTES], uint8_t out[CNIC_INDEX_BYTES]);

/* The same as 64 lower-case hex digits, NUL-terminated.  0 or -KP_ERR_INVAL. */
int cnic_index_hex(const char *cnic, const uint8_t key[CNIC_KEY_BYTES], char out[CNIC_INDEX_HEX]);

#endif
