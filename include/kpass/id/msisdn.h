/* SPDX-License-Identifier: ISC */
/*
 * Mobile numbers (MSISDN) in E.164 form ("+923001234567", ITU-T E.164 §6).
 * Pakistani mobiles are +92 3XX XXXXXXX (10 digits after the country code,
 * the first of them 3) and are accepted in the ways people write them
 * (03001234567, 923001234567, +92 300 1234567, 0092 300-1234567,
 * 3001234567).  Other countries only in full international form
 * (+<country code><number>, 8 to 15 digits).  Logs show only the mask
 * "+92300****567".
 *
 * Pure: no I/O.
 */
#ifndef KPASS_MSISDN_H
#define KPASS_MSISDN_H

#include <stddef.h>
#include <stdint.h>

#define MSISDN_SIZE       17 /* '+', at most 15 digits (E.164 §6.1), NUL */
#define MSISDN_SMPP_SIZE  16 /* at most 15 digits, NUL (fits SMPP's 21-octet address) */
#define MSISDN_MIN_DIGITS 8
#define MSISDN_MAX_DIGITS 15

/* SMPP 3.4 §5.2.5 type of number and §5.2.6 numbering plan indicator. */
#define MSISDN_TON_UNKNOWN       0
#define MSISDN_TON_INTERNATIONAL 1
#define MSISDN_TON_NATIONAL      2
#define MSISDN_NPI_UNKNOWN       0
#define MSISDN_NPI_E164          1

/* Why a text is not an MSISDN (see msisdn_fault_text). */
enum msisdn_fault {
    MSISDN_FAULT_NONE = 0,
    MSISDN_FAULT_EMPTY,      /* nothing but spaces */
    MSISDN_FAULT_CHAR,       /* a letter or a character other than digits, ' ', '-', leading '+' */
    MSISDN_FAULT_SEPARATOR,  /* ' ' or '-' not between two digits */
    MSISDN_FAULT_SHORT,      /* too few digits */
    MSISDN_FAULT_LONG,       /* too many digits */
    MSISDN_FAULT_NOT_MOBILE, /* a Pakistani number that is not a mobile (+92 3...) */
    MSISDN_FAULT_COUNTRY,    /* a foreign number not written +<cc>..., or a country code 0 */
    MSISDN_FAULT_TON,        /* an SMPP TON/NPI pair that is not a phone number */
};

/* A short English reason for fault; never NULL. */
const char *msisdn_fault_text(enum msisdn_fault fault);

/*
 * Parse s[0..len) (spaces and tabs around allowed) into E.164 in out
 * ("+923001234567").  Returns 0, or -KP_ERR_PARSE with *fault (may be NULL)
 * saying why.
 */
int msisdn_parse(const char *s, size_t len, char out[MSISDN_SIZE], enum msisdn_fault *fault);

/* True (1) when s is E.164 as msisdn_parse writes it. */
int msisdn_is_e164(const char *s);

/* True (1) when e164 is a Pakistani number (+92...). */
int msisdn_is_pakistani(const char *e164);

/*
 * Mask for logs: keep '+', the country code and operator prefix (the first
 * 5 digits, fewer for short numbers so that at least 4 stay hidden) and the
 * last 3 digits: "+923001234567" -> "+92300****567".
 * 0 or -KP_ERR_INVAL when e164 is not E.164.
 */
int msisdn_mask(const char *e164, char out[MSISDN_SIZE]);

/*
 * An SMPP address (SMPP 3.4 §5.2.5, §5.2.6) to E.164: TON 1 (international)
 * with NPI 1 or 0 carries the digits without '+' (a '+' is tolerated);
 * TON 2 (national) and TON 0 (unknown) follow the Pakistani rules of
 * msisdn_parse.  Any other TON or NPI: -KP_ERR_PARSE with MSISDN_FAULT_TON.
 */
int msisdn_from_smpp(uint8_t ton, uint8_t npi, const char *addr, char out[MSISDN_SIZE],
                     enum msisdn_fault *fault);

/*
 * E.164 to an SMPP address: TON 1, NPI 1, the digits without '+'.
 * 0 or -KP_ERR_INVAL.
 */
int msisdn_to_smpp(const char *e164, uint8_t *ton, uint8_t *npi, char out[MSISDN_SMPP_SIZE]);

#endif
