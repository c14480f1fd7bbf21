/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the text codecs.  The first byte picks a data_coding; the
 * rest is decoded, and whatever decodes must be valid UTF-8 that re-encodes
 * (GSM or UCS-2 as text_choose says) within the unit count text_units
 * reports.  Arbitrary bytes also go through clean, choose and fit.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/text/text.h"

static const int codings[] = {0, 8, 1, 3, 2};

KP_FUZZ_TARGET(text)
{
    struct kp_buf dec = KP_BUF_INIT, enc = KP_BUF_INIT, clean = KP_BUF_INIT;
    int dc, n;

    if (size == 0)
        return 0;
    dc = codings[data[0] % 5];
    n = text_decode(data + 1, size - 1, dc, &dec);
    if (n >= 0) {
        enum text_enc e = text_choose(dec.data, dec.len);
        int units = text_units(dec.data, dec.len, e);
        if (text_utf8_valid(dec.data, dec.len) != 0 || units < 0)
            abort();
        n = text_encode(dec.data, dec.len, e, &enc);
        if (n < 0 || (e == TEXT_GSM7 && n != units) || (e == TEXT_UCS2 && n != 2 * units))
            abort();
        if (text_fit(dec.data, dec.len, e, (size_t)units) != dec.len)
            abort();
    }
    /* the raw bytes as (possibly invalid) UTF-8 */
    text_utf8_clean((const char *)data, size, &clean);
    if (text_utf8_valid(clean.data, clean.len) != 0)
        abort();
    if (text_utf8_valid((const char *)data, size) == 0 && clean.len != size)
        abort();
    size_t f = text_fit((const char *)data, size, TEXT_UCS2, data[0]);
    if (f > size || text_utf8_valid((const char *)data, f) != 0)
        abort();
    kp_buf_reset(&enc);
    text_encode((const char *)data, size, text_choose((const char *)data, size), &enc);
    kp_buf_free(&dec);
    kp_buf_free(&enc);
    kp_buf_free(&clean);
    return 0;
}
