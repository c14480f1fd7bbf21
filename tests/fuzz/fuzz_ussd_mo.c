/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: a USSD message as kpassd receives it (src/ussd/profile.c).
 * The first octet picks the command (submit_sm, deliver_sm, data_sm) and
 * the partner profile; the rest is the PDU body, behind a 16-octet header
 * made here with the right command_length so that the fuzzer spends its
 * time in the body.  What decodes goes through ussd_mo_parse; a refusal
 * must carry one of its two command_status values, an accepted message
 * must hold a NUL-terminated key, an E.164 number and valid UTF-8 text.
 * The reply to it (the text echoed as the screen) must encode and decode
 * again with the addresses mirrored and the session TLVs echoed.  And
 * libsmpp34's log never fills up (it used to overflow: see
 * src/smpp/tlv_guard.c).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"
#include "kpass/text/text.h"
#include "kpass/ussd/ussd.h"

static const uint32_t commands[] = {SMPP_SUBMIT_SM, SMPP_DELIVER_SM, SMPP_DATA_SM};

/* libsmpp34's log of its last unpack: it must stay inside its buffer
   (src/smpp/tlv_guard.c).  Read here as an oracle only. */
extern char smpp34_strerror[2048];

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* The reply to mo in cmd carrying its own text: it encodes and decodes back. */
static void fuzz_reply(const struct ussd_mo *mo, uint32_t cmd, int end)
{
    static struct smpp_pdu mt, back;
    static uint8_t buf[SMPP_PDU_MAX + 1];
    struct smpp_decode_error err;
    enum text_enc enc = text_choose(mo->text, mo->text_len);
    int n;

    if (ussd_mt_build(mo, cmd, mo->text, mo->text_len, enc, end, &mt) < 0)
        return; /* too long for the PDU: refused, not cut */
    if (mt.tlv.ussd_service_op != (end ? USSD_OP_PSSR_RESP : USSD_OP_USSR_REQ) ||
        strcmp(mt.sm.destination_addr, mo->src_addr) != 0 ||
        strcmp(mt.sm.source_addr, mo->dst_addr) != 0)
        abort();
    if (mo->has_its && ((mt.tlv.its_session_info ^ mo->its) & 0xFF00 ||
                        (mt.tlv.its_session_info & 1) != (end ? 1 : 0)))
        abort();
    if (mo->has_umr && mt.tlv.user_message_reference != mo->umr)
        abort();
    mt.sequence_number = 2;
    n = smpp_pdu_encode(&mt, buf, sizeof(buf));
    if (n < 0)
        return; /* an address too long for this command's field (data_sm allows 64) */
    if (smpp_pdu_decode(buf, (size_t)n, &back, &err) != 0 ||
        strcmp(back.sm.destination_addr, mo->src_addr) != 0 ||
        back.tlv.ussd_service_op != mt.tlv.ussd_service_op)
        abort();
}

KP_FUZZ_TARGET(ussd_mo)
{
    static uint8_t buf[SMPP_PDU_MAX + 1];
    static struct smpp_pdu pdu;
    static struct ussd_mo mo;
    struct smpp_decode_error err;
    const struct ussd_profile *profiles, *p;
    size_t np, len;
    uint32_t status = 0, cmd;
    int rc;

    if (size < 1 || size - 1 > SMPP_PDU_MAX - SMPP_HEADER_LEN)
        return 0;
    profiles = ussd_profile_list(&np);
    cmd = commands[data[0] % 3];
    p = &profiles[(data[0] / 3) % np];
    len = SMPP_HEADER_LEN + size - 1;
    put32(buf, (uint32_t)len);
    put32(buf + 4, cmd);
    put32(buf + 8, 0);
    put32(buf + 12, 1);
    memcpy(buf + SMPP_HEADER_LEN, data + 1, size - 1);
    rc = smpp_pdu_decode(buf, len, &pdu, &err);
    if (strnlen(smpp34_strerror, sizeof(smpp34_strerror)) >= sizeof(smpp34_strerror) - 1)
        abort();
    if (rc != 0)
        return 0;
    rc = ussd_mo_parse(p, &pdu, &mo, &status);
    if (rc < 0) {
        if (rc != -KP_ERR_INVAL ||
            (status != SMPP_ESME_RINVSRCADR && status != SMPP_ESME_RMISSINGOPTPARAM))
            abort();
        return 0;
    }
    if (mo.kind == USSD_NONE)
        return 0;
    if (!terminated(mo.text, sizeof(mo.text)) || strlen(mo.text) != mo.text_len ||
        text_utf8_valid(mo.text, mo.text_len) != 0 || (mo.bad_text && mo.text_len != 0) ||
        !terminated(mo.key, sizeof(mo.key)) || mo.key[0] == '\0' || mo.msisdn[0] != '+' ||
        !terminated(mo.msisdn, sizeof(mo.msisdn)) || !terminated(mo.service, sizeof(mo.service)))
        abort();
    if (mo.kind != USSD_BEGIN && mo.kind != USSD_CONTINUE && mo.kind != USSD_ABORT &&
        mo.kind != USSD_NOTIFY_CONF)
        abort();
    fuzz_reply(&mo, commands[data[0] % 3], data[0] & 0x80);
    fuzz_reply(&mo, SMPP_DATA_SM, !(data[0] & 0x80));
    return 0;
}
