/* SPDX-License-Identifier: ISC */
/*
 * A guard in front of libsmpp34's unpacker.  libsmpp34 (1.14) logs every
 * field and optional parameter it reads into smpp34_strerror, 2048
 * octets, and once that is full goes on writing past its end: its PUTLOG
 * adds snprintf's would-be length to the pointer and takes it from an int
 * that turns negative.  A body with a few dozen TLVs from a bound partner
 * overwrote memory and killed kpassd.  This file walks the optional
 * parameters the way libsmpp34 will, and counts its steps, so that pdu.c
 * can refuse a body with too many before libsmpp34 sees it.
 *
 * libsmpp34 does not walk TLVs by their declared lengths: it reads the
 * values of the tags it knows as fixed-size at that size, whatever the
 * length says, and every other value at its declared length.  The tables
 * below list, per command, the tags its def_frame/<command>.tlv reads at a
 * fixed size (checked against the headers Debian 12's libsmpp34-dev 1.14.1
 * installs under /usr/include/libsmpp34/def_frame: the same as upstream
 * 1.14.4).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kpass/mem.h"
#include "smpp_internal.h"

struct tlv_fixed {
    uint16_t tag;
    uint8_t size;
};

static const struct tlv_fixed fixed_submit[] = {
    {0x0204, 2}, {0x020A, 2}, {0x000D, 1}, {0x020B, 2}, {0x0005, 1}, {0x020C, 2}, {0x020E, 1},
    {0x020F, 1}, {0x0426, 1}, {0x0019, 1}, {0x0201, 1}, {0x0302, 1}, {0x0205, 1}, {0x1201, 1},
    {0x1203, 2}, {0x1204, 1}, {0x0030, 1}, {0x0304, 1}, {0x020D, 1}, {0x1380, 1}, {0x1383, 2},
};

static const struct tlv_fixed fixed_deliver[] = {
    {0x0204, 2}, {0x020A, 2}, {0x020B, 2}, {0x020C, 2}, {0x020E, 1}, {0x020F, 1},
    {0x0205, 1}, {0x0201, 1}, {0x0019, 1}, {0x020D, 1}, {0x1383, 2}, {0x0427, 1},
};

static const struct tlv_fixed fixed_data[] = {
    {0x020A, 2}, {0x000D, 1}, {0x000E, 1}, {0x000F, 1}, {0x0010, 1}, {0x020B, 2},
    {0x0005, 1}, {0x0006, 1}, {0x0007, 1}, {0x0008, 2}, {0x020C, 2}, {0x020E, 1},
    {0x020F, 1}, {0x0426, 1}, {0x0017, 4}, {0x0019, 1}, {0x0421, 1}, {0x0427, 1},
    {0x0204, 2}, {0x0201, 1}, {0x0302, 1}, {0x0205, 1}, {0x1201, 1}, {0x1203, 2},
    {0x1204, 1}, {0x0030, 1}, {0x0304, 1}, {0x020D, 1}, {0x1380, 1}, {0x1383, 2},
};

static const struct tlv_fixed fixed_data_resp[] = {{0x0425, 1}, {0x0420, 1}};

static const struct tlv_fixed fixed_bind_resp[] = {{0x0210, 1}};

/* The mandatory fields before the TLVs (SMPP 3.4 §4.1.2, §4.4.1, §4.6.1,
   §4.7.1, §4.7.2): c a C-octet string, 1 an octet, m sm_length and its
   short_message. */
static const char *tlv_layout(uint32_t id, const struct tlv_fixed **fixed, size_t *nfixed)
{
    switch (id) {
    case SMPP_SUBMIT_SM:
        *fixed = fixed_submit;
        *nfixed = KP_ARRAY_LEN(fixed_submit);
        return "c11c11c111cc1111m";
    case SMPP_DELIVER_SM:
        *fixed = fixed_deliver;
        *nfixed = KP_ARRAY_LEN(fixed_deliver);
        return "c11c11c111cc1111m";
    case SMPP_DATA_SM:
        *fixed = fixed_data;
        *nfixed = KP_ARRAY_LEN(fixed_data);
        return "c11c11c111";
    case SMPP_DATA_SM_RESP:
        *fixed = fixed_data_resp;
        *nfixed = KP_ARRAY_LEN(fixed_data_resp);
        return "c";
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSCEIVER_RESP:
        *fixed = fixed_bind_resp;
        *nfixed = KP_ARRAY_LEN(fixed_bind_resp);
        return "c";
    default:
        return NULL;
    }
}

static unsigned tlv_fixed_size(const struct tlv_fixed *fixed, size_t n, uint16_t tag)
{
    for (size_t i = 0; i < n; i++)
        if (fixed[i].tag == tag)
            return fixed[i].size;
    return 0;
}

unsigned smpp_tlv_steps(const uint8_t *buf, size_t len, uint32_t command_id, unsigned max)
{
    const struct tlv_fixed *fixed = NULL;
    size_t nfixed = 0, off = SMPP_HEADER_LEN;
    const char *f = tlv_layout(command_id, &fixed, &nfixed);
    unsigned steps = 0;

    if (f == NULL)
        return 0; /* libsmpp34 reads no TLVs in this body */
    for (; *f; f++) {
        if (off >= len)
            return 0; /* the mandatory part is cut: refused before any TLV */
        if (*f == 'c')
            off += strnlen((const char *)buf + off, len - off) + 1;
        else if (*f == '1')
            off++;
        else
            off += 1 + (size_t)buf[off];
    }
    /* One step per TLV, and one more for the one it fails on. */
    while (off < len && steps <= max) {
        size_t left = len - off, size;
        steps++;
        if (left < 4)
            break;
        size = tlv_fixed_size(fixed, nfixed, (uint16_t)(buf[off] << 8 | buf[off + 1]));
        if (size == 0)
            size = (size_t)buf[off + 2] << 8 | buf[off + 3];
        if (size > left - 4)
            break;
        off += 4 + size;
    }
    return steps;
}
