/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the text a citizen or a gateway sends as a CNIC, an MSISDN,
 * an SMPP address or a one-time code.  Anything accepted is normal form,
 * parses again to itself, and masks without showing more than allowed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/id/cnic.h"
#include "kpass/id/msisdn.h"
#include "kpass/id/otp.h"

static void fuzz_idtext_cnic(const char *s, size_t len)
{
    char out[CNIC_SIZE], again[CNIC_SIZE], text[CNIC_TEXT_SIZE], mask[CNIC_TEXT_SIZE];
    uint8_t bcd[2];
    char l4[5];

    if (cnic_parse(s, len, out, NULL) != 0)
        return;
    if (!cnic_is_normal(out) || cnic_format(out, text) != 0 || cnic_mask(out, mask) != 0 ||
        cnic_parse(text, strlen(text), again, NULL) != 0 || strcmp(out, again) != 0 ||
        strspn(mask, "*-") != 10 || cnic_last4_bcd(out, bcd) != 0 ||
        cnic_last4_text(bcd, l4) != 0 || memcmp(l4, out + 9, 4) != 0)
        abort();
}

static void fuzz_idtext_msisdn(const char *s, size_t len)
{
    char out[MSISDN_SIZE], again[MSISDN_SIZE], mask[MSISDN_SIZE], smpp[MSISDN_SMPP_SIZE];
    uint8_t ton, npi;

    if (msisdn_parse(s, len, out, NULL) != 0)
        return;
    if (!msisdn_is_e164(out) || msisdn_parse(out, strlen(out), again, NULL) != 0 ||
        strcmp(out, again) != 0 || msisdn_mask(out, mask) != 0 || strstr(mask, "****") == NULL ||
        msisdn_to_smpp(out, &ton, &npi, smpp) != 0 ||
        msisdn_from_smpp(ton, npi, smpp, again, NULL) != 0 || strcmp(out, again) != 0)
        abort();
}

KP_FUZZ_TARGET(idtext)
{
    char buf[64], code[OTP_CODE_SIZE], out[MSISDN_SIZE];

    if (size > 256)
        return 0;
    fuzz_idtext_cnic((const char *)data, size);
    fuzz_idtext_msisdn((const char *)data, size);
    if (otp_code_parse((const char *)data, size, code) == 0 && strspn(code, "0123456789") != 6)
        abort();
    if (size > 1 && size < sizeof(buf)) {
        /* First octet as TON/NPI, the rest as an SMPP address. */
        memcpy(buf, data + 1, size - 1);
        buf[size - 1] = '\0';
        if (msisdn_from_smpp(data[0] & 7, data[0] >> 3 & 1, buf, out, NULL) == 0 &&
            !msisdn_is_e164(out))
            abort();
    }
    return 0;
}
