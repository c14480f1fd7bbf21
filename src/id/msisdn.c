/* SPDX-License-Identifier: ISC */
/*
 * MSISDN parsing to E.164, masking, and SMPP address conversion.  Parsing
 * first reduces the text to its digits (checking where '+' and separators
 * stand), then classifies the digits: a '+' means a full international
 * number; otherwise the Pakistani national and international prefixes
 * decide (ITU-T E.164; PTA numbering plan: mobiles are 03XX-XXXXXXX).
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/id/msisdn.h"

#define MSISDN_PK_CC     "92"
#define MSISDN_PK_NSN    10 /* national significant number: 3XX XXXXXXX */
#define MSISDN_MASK_KEEP 5  /* leading digits kept by the mask */
#define MSISDN_MASK_TAIL 3  /* trailing digits kept by the mask */
#define MSISDN_MASK_HIDE 4  /* digits always hidden */

static const char *const msisdn_fault_texts[] = {
    [MSISDN_FAULT_NONE] = "valid mobile number",
    [MSISDN_FAULT_EMPTY] = "empty mobile number",
    [MSISDN_FAULT_CHAR] = "a mobile number has only digits, spaces, dashes and a leading +",
    [MSISDN_FAULT_SEPARATOR] = "spaces and dashes go only between digits",
    [MSISDN_FAULT_SHORT] = "too few digits for a mobile number",
    [MSISDN_FAULT_LONG] = "too many digits for a mobile number",
    [MSISDN_FAULT_NOT_MOBILE] = "not a Pakistani mobile number (03XX XXXXXXX)",
    [MSISDN_FAULT_COUNTRY] = "numbers outside Pakistan are written +<country code><number>",
    [MSISDN_FAULT_TON] = "the SMPP address is not a phone number (TON/NPI)",
};

const char *msisdn_fault_text(enum msisdn_fault fault)
{
    if ((unsigned)fault >= sizeof(msisdn_fault_texts) / sizeof(msisdn_fault_texts[0]))
        return "invalid mobile number";
    return msisdn_fault_texts[fault];
}

static int msisdn_fail(enum msisdn_fault *fault, enum msisdn_fault why)
{
    if (fault)
        *fault = why;
    return -KP_ERR_PARSE;
}

static int msisdn_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Reduce s to its digits (at most MSISDN_MAX_DIGITS + 4, enough to tell
 * "too long"), noting a leading '+'.  Returns the digit count or a fault.
 */
static int msisdn_digits(const char *s, size_t len, char *d, size_t cap, int *plus,
                         enum msisdn_fault *why)
{
    size_t n = 0, i = 0;

    *plus = 0;
    if (len > 0 && s[0] == '+') {
        *plus = 1;
        i = 1;
    }
    for (; i < len; i++) {
        char c = s[i];
        if (msisdn_digit(c)) {
            if (n == cap) {
                *why = MSISDN_FAULT_LONG;
                return -1;
            }
            d[n++] = c;
        } else if (c == ' ' || c == '-') {
            /* A separator stands between two digits ("+92 300", not "+ 92"). */
            if (i == 0 || !msisdn_digit(s[i - 1]) || i + 1 == len || !msisdn_digit(s[i + 1])) {
                *why = MSISDN_FAULT_SEPARATOR;
                return -1;
            }
        } else {
            *why = MSISDN_FAULT_CHAR;
            return -1;
        }
    }
    return (int)n;
}

/* A Pakistani national significant number nsn[0..n) into out as +92...; 0 or a fault. */
static int msisdn_pk(const char *nsn, size_t n, char out[MSISDN_SIZE], enum msisdn_fault *fault)
{
    if (n == 0)
        return msisdn_fail(fault, MSISDN_FAULT_SHORT);
    if (nsn[0] != '3')
        return msisdn_fail(fault, MSISDN_FAULT_NOT_MOBILE);
    if (n < MSISDN_PK_NSN)
        return msisdn_fail(fault, MSISDN_FAULT_SHORT);
    if (n > MSISDN_PK_NSN)
        return msisdn_fail(fault, MSISDN_FAULT_LONG);
    out[0] = '+';
    memcpy(out + 1, MSISDN_PK_CC, 2);
    memcpy(out + 3, nsn, n);
    out[3 + n] = '\0';
    return 0;
}

/* Digits written after '+': Pakistani numbers get the mobile rule. */
static int msisdn_international(const char *d, size_t n, char out[MSISDN_SIZE],
                                enum msisdn_fault *fault)
{
    if (n >= 2 && memcmp(d, MSISDN_PK_CC, 2) == 0)
        return msisdn_pk(d + 2, n - 2, out, fault);
    if (n > 0 && d[0] == '0')
        return msisdn_fail(fault, MSISDN_FAULT_COUNTRY); /* no country code starts with 0 */
    if (n < MSISDN_MIN_DIGITS)
        return msisdn_fail(fault, MSISDN_FAULT_SHORT);
    if (n > MSISDN_MAX_DIGITS)
        return msisdn_fail(fault, MSISDN_FAULT_LONG);
    out[0] = '+';
    memcpy(out + 1, d, n);
    out[1 + n] = '\0';
    return 0;
}

/* Digits written without '+': only the Pakistani forms. */
static int msisdn_national(const char *d, size_t n, char out[MSISDN_SIZE], enum msisdn_fault *fault)
{
    if (n >= 4 && memcmp(d, "0092", 4) == 0)
        return msisdn_pk(d + 4, n - 4, out, fault); /* 0092 300 1234567 */
    if (n >= 2 && memcmp(d, "00", 2) == 0)
        return msisdn_fail(fault, MSISDN_FAULT_COUNTRY); /* 0044 ...: write +44 */
    if (n >= 1 && d[0] == '0')
        return msisdn_pk(d + 1, n - 1, out, fault); /* 0300 1234567 */
    if (n >= 2 && memcmp(d, MSISDN_PK_CC, 2) == 0)
        return msisdn_pk(d + 2, n - 2, out, fault); /* 92 300 1234567 */
    return msisdn_pk(d, n, out, fault);             /* 300 1234567 */
}

int msisdn_parse(const char *s, size_t len, char out[MSISDN_SIZE], enum msisdn_fault *fault)
{
    char d[MSISDN_MAX_DIGITS + 4];
    enum msisdn_fault why = MSISDN_FAULT_NONE;
    int plus, n, rc;

    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return msisdn_fail(fault, MSISDN_FAULT_EMPTY);
    n = msisdn_digits(s, len, d, sizeof(d), &plus, &why);
    if (n < 0)
        return msisdn_fail(fault, why);
    if (n == 0)
        return msisdn_fail(fault, plus ? MSISDN_FAULT_SHORT : MSISDN_FAULT_CHAR);
    if (plus)
        rc = msisdn_international(d, (size_t)n, out, fault);
    else
        rc = msisdn_national(d, (size_t)n, out, fault);
    if (rc == 0 && fault)
        *fault = MSISDN_FAULT_NONE;
    return rc;
}

int msisdn_is_e164(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] != '+' || s[1] == '0')
        return 0;
    for (s++; msisdn_digit(*s); s++)
        n++;
    return *s == '\0' && n >= MSISDN_MIN_DIGITS && n <= MSISDN_MAX_DIGITS;
}

int msisdn_is_pakistani(const char *e164)
{
    return msisdn_is_e164(e164) && strncmp(e164 + 1, MSISDN_PK_CC, 2) == 0;
}

int msisdn_mask(const char *e164, char out[MSISDN_SIZE])
{
    size_t n, keep;

    if (!msisdn_is_e164(e164))
        return -KP_ERR_INVAL;
    n = strlen(e164) - 1;
    /* At least MSISDN_MASK_HIDE digits stay hidden, whatever the length. */
    keep = n - MSISDN_MASK_TAIL - MSISDN_MASK_HIDE;
    if (keep > MSISDN_MASK_KEEP)
        keep = MSISDN_MASK_KEEP;
    memcpy(out, e164, n + 2);
    for (size_t i = 1 + keep; i < 1 + n - MSISDN_MASK_TAIL; i++)
        out[i] = '*';
    return 0;
}

int msisdn_from_smpp(uint8_t ton, uint8_t npi, const char *addr, char out[MSISDN_SIZE],
                     enum msisdn_fault *fault)
{
    size_t len = strlen(addr);

    if (npi != MSISDN_NPI_E164 && npi != MSISDN_NPI_UNKNOWN)
        return msisdn_fail(fault, MSISDN_FAULT_TON);
    switch (ton) {
    case MSISDN_TON_INTERNATIONAL: {
        /* SMPP 3.4 §5.2.5: an international number without its '+'. */
        char buf[MSISDN_MAX_DIGITS + 3];
        if (addr[0] == '+') {
            addr++;
            len--;
        }
        if (len + 2 > sizeof(buf))
            return msisdn_fail(fault, MSISDN_FAULT_LONG);
        for (size_t i = 0; i < len; i++)
            if (!msisdn_digit(addr[i]))
                return msisdn_fail(fault, MSISDN_FAULT_CHAR);
        buf[0] = '+';
        memcpy(buf + 1, addr, len);
        return msisdn_parse(buf, len + 1, out, fault);
    }
    case MSISDN_TON_NATIONAL:
    case MSISDN_TON_UNKNOWN:
        if (addr[0] == '+' && ton == MSISDN_TON_NATIONAL)
            return msisdn_fail(fault, MSISDN_FAULT_CHAR);
        return msisdn_parse(addr, len, out, fault);
    default:
        return msisdn_fail(fault, MSISDN_FAULT_TON);
    }
}

int msisdn_to_smpp(const char *e164, uint8_t *ton, uint8_t *npi, char out[MSISDN_SMPP_SIZE])
{
    if (!msisdn_is_e164(e164))
        return -KP_ERR_INVAL;
    *ton = MSISDN_TON_INTERNATIONAL;
    *npi = MSISDN_NPI_E164;
    memcpy(out, e164 + 1, strlen(e164)); /* the digits and the NUL */
    return 0;
}
