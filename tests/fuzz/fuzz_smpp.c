/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: SMPP framing and decoding.  The input is a byte stream as a
 * socket would deliver it: frames are cut with smpp_frame_check exactly as
 * the link layer does, each is decoded, and whatever decodes is encoded
 * again and must decode again (the codec never produces what it refuses).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/smpp/pdu.h"

KP_FUZZ_TARGET(smpp)
{
    static struct smpp_pdu pdu, again;
    static uint8_t out[SMPP_PDU_MAX + 1];
    struct smpp_decode_error err;
    struct smpp_hdr h;
    size_t pos = 0;

    while (pos < size) {
        int n = smpp_frame_check(data + pos, size - pos, &h);
        if (n <= 0 || (size_t)n > size - pos)
            break; /* need more, or a length the link closes on */
        if (smpp_pdu_decode(data + pos, (size_t)n, &pdu, &err) == 0) {
            int m = smpp_pdu_encode(&pdu, out, sizeof(out));
            if (m > 0 && smpp_pdu_decode(out, (size_t)m, &again, &err) != 0)
                abort();
        }
        pos += (size_t)n;
    }
    return 0;
}
