/* SPDX-License-Identifier: ISC */
/*
 * CNIC parsing, formatting, masking, the BCD last-4 field of the KP1 token,
 * and the keyed lookup index.  The accepted forms are exactly the two that
 * NADRA prints: "#####-#######-#" and the 13 digits run together.
 */
#include <sodium.h>
#include <string.h>

#include "kpass/id/cnic.h"
#include "kpass/core/err.h"

/* NADRA region codes (first digit): 1 Khyber Pakhtunkhwa, 2 FATA (merged),
   3 Punjab, 4 Sindh, 5 Balochistan, 6 Islamabad, 7 Gilgit-Baltistan. */
#define CNIC_REGION_MIN '1'
#define CNIC_REGION_MAX '7'

/* Positions of the dashes in "35202-1234567-1". */
#define CNIC_DASH1 5
#define CNIC_DASH2 13

static const char *const cnic_fault_texts[] = {
    [CNIC_FAULT_NONE] = "valid CNIC",
    [CNIC_FAULT_EMPTY] = "empty CNIC",
    [CNIC_FAULT_CHAR] = "a CNIC has only digits and dashes",
    [CNIC_FAULT_SHORT] = "a CNIC has 13 digits; found fewer",
    [CNIC_FAULT_LONG] = "a CNIC has 13 digits; found more",
    [CNIC_FAULT_DASH] = "dashes go only after the 5th and 12th digits (#####-#######-#)",
    [CNIC_FAULT_REGION] = "a CNIC starts with a region code 1-7",
};

const char *cnic_fault_text(enum cnic_fault fault)
{
    if ((unsigned)fault >= sizeof(cnic_fault_texts) / sizeof(cnic_fault_texts[0]))
        return "invalid CNIC";
    return cnic_fault_texts[fault];
}

static int cnic_fail(enum cnic_fault *fault, enum cnic_fault why)
{
    if (fault)
        *fault = why;
    return -KP_ERR_PARSE;
}

static int cnic_is_space(char c)
{
    return c == ' ' || c == '\t';
}

int cnic_parse(const char *s, size_t len, char out[CNIC_SIZE], enum cnic_fault *fault)
{
    size_t digits = 0, dashes = 0, dash_at[2] = {0, 0};

    while (len > 0 && cnic_is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && cnic_is_space(s[len - 1]))
        len--;
    if (len == 0)
        return cnic_fail(fault, CNIC_FAULT_EMPTY);
    /* Characters first (so "35202-I234567-1" says "letter", not "short"),
       then the digit count, then where the dashes stand. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (digits < CNIC_DIGITS)
                out[digits] = s[i];
            digits++;
        } else if (s[i] == '-') {
            if (dashes < 2)
                dash_at[dashes] = i;
            dashes++;
        } else {
            return cnic_fail(fault, CNIC_FAULT_CHAR);
        }
    }
    if (digits < CNIC_DIGITS)
        return cnic_fail(fault, CNIC_FAULT_SHORT);
    if (digits > CNIC_DIGITS)
        return cnic_fail(fault, CNIC_FAULT_LONG);
    if (dashes != 0 && (dashes != 2 || dash_at[0] != CNIC_DASH1 || dash_at[1] != CNIC_DASH2))
        return cnic_fail(fault, CNIC_FAULT_DASH);
    if (out[0] < CNIC_REGION_MIN || out[0] > CNIC_REGION_MAX)
        return cnic_fail(fault, CNIC_FAULT_REGION);
    out[CNIC_DIGITS] = '\0';
    if (fault)
        *fault = CNIC_FAULT_NONE;
    return 0;
}

int cnic_is_normal(const char *s)
{
    for (size_t i = 0; i < CNIC_DIGITS; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s[CNIC_DIGITS] == '\0' && s[0] >= CNIC_REGION_MIN && s[0] <= CNIC_REGION_MAX;
}

int cnic_format(const char *cnic, char out[CNIC_TEXT_SIZE])
{
    if (!cnic_is_normal(cnic))
        return -KP_ERR_INVAL;
    memcpy(out, cnic, 5);
    out[CNIC_DASH1] = '-';
    memcpy(out + 6, cnic + 5, 7);
    out[CNIC_DASH2] = '-';
    out[14] = cnic[12];
    out[15] = '\0';
    return 0;
}

int cnic_mask(const char *cnic, char out[CNIC_TEXT_SIZE])
{
    int rc = cnic_format(cnic, out);

    if (rc < 0)
        return rc;
    /* Hide every digit but the last four: positions 0-4 and 6-9. */
    for (size_t i = 0; i < 10; i++)
        if (out[i] != '-')
            out[i] = '*';
    return 0;
}

int cnic_mask_short(const char *cnic, char out[CNIC_TEXT_SIZE])
{
    int rc = cnic_mask(cnic, out);

    if (rc < 0)
        return rc;
    out[10] = out[11] = '*'; /* "#####-####XY#-#": the 10th and 11th digits */
    return 0;
}

int cnic_last4_bcd(const char *cnic, uint8_t bcd[2])
{
    if (!cnic_is_normal(cnic))
        return -KP_ERR_INVAL;
    return cnic_last4_parse(cnic + CNIC_DIGITS - 4, 4, bcd) < 0 ? -KP_ERR_INVAL : 0;
}

int cnic_last4_parse(const char *digits, size_t len, uint8_t bcd[2])
{
    if (len != 4)
        return -KP_ERR_PARSE;
    for (size_t i = 0; i < 4; i++)
        if (digits[i] < '0' || digits[i] > '9')
            return -KP_ERR_PARSE;
    bcd[0] = (uint8_t)((digits[0] - '0') << 4 | (digits[1] - '0'));
    bcd[1] = (uint8_t)((digits[2] - '0') << 4 | (digits[3] - '0'));
    return 0;
}

int cnic_last4_text(const uint8_t bcd[2], char out[5])
{
    for (size_t i = 0; i < 2; i++) {
        unsigned hi = bcd[i] >> 4, lo = bcd[i] & 0x0F;
        if (hi > 9 || lo > 9)
            return -KP_ERR_PARSE;
        out[2 * i] = (char)('0' + hi);
        out[2 * i + 1] = (char)('0' + lo);
    }
    out[4] = '\0';
    return 0;
}

int cnic_index(const char *cnic, const uint8_t key[CNIC_KEY_BYTES], uint8_t out[CNIC_INDEX_BYTES])
{
    if (!cnic_is_normal(cnic))
        return -KP_ERR_INVAL;
    /* Keyed BLAKE2b-256 (RFC 7693) over the 13 ASCII digits. */
    if (crypto_generichash(out, CNIC_INDEX_BYTES, (const unsigned char *)cnic, CNIC_DIGITS, key,
                           CNIC_KEY_BYTES) != 0)
        return -KP_ERR_CRYPTO;
    return 0;
}

int cnic_index_hex(const char *cnic, const uint8_t key[CNIC_KEY_BYTES], char out[CNIC_INDEX_HEX])
{
    uint8_t raw[CNIC_INDEX_BYTES];
    int rc = cnic_index(cnic, key, raw);

    if (rc < 0)
        return rc;
    sodium_bin2hex(out, CNIC_INDEX_HEX, raw, sizeof(raw));
    return 0;
}
