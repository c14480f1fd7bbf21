/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: Base45 (RFC 9285).  Any bytes decode or are refused; what
 * decodes encodes back to exactly the same text (one text per octet
 * string); any bytes encode and decode back to themselves.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/id/base45.h"

#define FUZZ_B45_MAX 4096

KP_FUZZ_TARGET(base45)
{
    static uint8_t dec[FUZZ_B45_MAX];
    static char enc[FUZZ_B45_MAX * 2];
    int n, m;

    if (size > FUZZ_B45_MAX)
        return 0;
    n = base45_decode((const char *)data, size, dec, sizeof(dec), NULL);
    if (n >= 0) {
        if ((size_t)n != base45_decoded_len(size))
            abort();
        m = base45_encode(dec, (size_t)n, enc, sizeof(enc));
        if (m < 0 || (size_t)m != size || memcmp(enc, data, size) != 0)
            abort();
    }
    m = base45_encode(data, size, enc, sizeof(enc));
    if (m < 0 || (size_t)m != base45_encoded_len(size))
        abort();
    n = base45_decode(enc, (size_t)m, dec, sizeof(dec), NULL);
    if (n < 0 || (size_t)n != size || memcmp(dec, data, size) != 0)
        abort();
    return 0;
}
