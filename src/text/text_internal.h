/* SPDX-License-Identifier: ISC */
/*
 * Private to the text codecs: the GSM 03.38 lookup tables (gsm7.c) shared by
 * the encoder, decoder and unit counter (text.c).
 */
#ifndef KPASS_USSD_TEXT_INTERNAL_H
#define KPASS_USSD_TEXT_INTERNAL_H

#include <stdint.h>

#define GSM7_ESC 0x1b

/* Septet -> Unicode for the basic table (3GPP TS 23.038 §6.2.1); [0x1b] is ESC. */
extern const uint16_t gsm7_basic[128];
/* Septet after ESC -> Unicode (§6.2.1.1), 0 where the table has no character. */
extern const uint16_t gsm7_ext[128];

/*
 * Unicode -> GSM for code points below GSM7_REV_SIZE: 0 when absent, else
 * GSM7_REV_BASIC | septet or GSM7_REV_EXT | septet.  U+20AC (the euro sign,
 * the one extension character above the table) is handled by gsm7_lookup().
 */
#define GSM7_REV_SIZE  0x400
#define GSM7_REV_BASIC 0x100
#define GSM7_REV_EXT   0x200
extern const uint16_t gsm7_rev[GSM7_REV_SIZE];

/* The reverse entry for any code point (0 when it is not in GSM 03.38). */
static inline unsigned gsm7_lookup(uint32_t cp)
{
    if (cp < GSM7_REV_SIZE)
        return gsm7_rev[cp];
    if (cp == 0x20ac)
        return GSM7_REV_EXT | 0x65;
    return 0;
}

#endif
