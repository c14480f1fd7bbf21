/* SPDX-License-Identifier: ISC */
/*
 * Golden PDUs as hex with the SMPP 3.4 section they follow, and malformed
 * PDUs with the exact answer each must get: checked by check_smpp_pdu.c
 * and run through both codecs by check_smpp_diff.c.
 */
#ifndef KPASS_TESTS_SMPP_GOLDENS_H
#define KPASS_TESTS_SMPP_GOLDENS_H

#include <stdint.h>

#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"

struct smpp_golden {
    const char *name;
    const char *hex;
};

static const struct smpp_golden smpp_goldens[] = {
    /* §4.11.1 enquire_link, sequence 7 */
    {"enquire_link", "00000010 00000015 00000000 00000007"},
    /* §4.11.2 enquire_link_resp */
    {"enquire_link_resp", "00000010 80000015 00000000 00000007"},
    /* §4.3.1 generic_nack ESME_RINVCMDID */
    {"generic_nack", "00000010 80000000 00000003 00000009"},
    /* §4.2.1 unbind */
    {"unbind", "00000010 00000006 00000000 00000002"},
    /* §4.1.5 bind_transceiver: system_id "kpass", password "secret", system_type "",
       interface_version 0x34, addr_ton 0, addr_npi 0, address_range "" */
    {"bind_transceiver", "00000022 00000009 00000000 00000001"
                         "6b7061737300 73656372657400 00 34 00 00 00"},
    /* §4.1.6 bind_transceiver_resp: system_id "kpass" + sc_interface_version 0x34 */
    {"bind_transceiver_resp", "0000001b 80000009 00000000 00000001 6b7061737300 0210 0001 34"},
    /* §4.4.1 submit_sm: a USSD begin (PSSR indication, §5.3.2.44) from
       +923001234567 to 789, "*789#", its_session_info session 1 */
    {"submit_sm_ussd", "00000040 00000004 00000000 00000003"
                       "00 01 01 39323330303132333435363700 00 00 37383900"
                       "00 00 00 00 00 00 00 00 00 05 2a37383923"
                       "0501 0001 01 1383 0002 0100"},
    /* §4.4.2 submit_sm_resp, message_id "abc" */
    {"submit_sm_resp", "00000014 80000004 00000000 00000003 61626300"},
    /* §4.6.1 deliver_sm: a plain SMS "hi" to +923001234567 */
    {"deliver_sm", "00000032 00000005 00000000 00000004"
                   "00 00 00 37383900 01 01 39323330303132333435363700"
                   "00 00 00 00 00 00 00 00 00 02 6869"},
    /* §4.6.2 deliver_sm_resp: message_id unused (NUL) */
    {"deliver_sm_resp", "00000011 80000005 00000000 00000004 00"},
    /* §4.7.1 data_sm with user_message_reference 0x0102 and message_payload "hello"
       (TLVs in the order kpass writes them) */
    {"data_sm", "00000038 00000103 00000000 00000005"
                "00 01 01 39323330303132333435363700 00 00 37383900 00 00 00"
                "0204 0002 0102 0424 0005 68656c6c6f"},
};

/* Malformed requests and the exact answer each must get. */
static const struct {
    const char *name;
    const char *hex;
    int rc;
    int nack;
    uint32_t status;
} smpp_bad[] = {
    {"unknown command id", "00000010 00000099 00000000 00000001", -KP_ERR_UNSUPPORTED, 1,
     SMPP_ESME_RINVCMDID},
    {"vendor command id", "00000010 00010200 00000000 00000001", -KP_ERR_UNSUPPORTED, 1,
     SMPP_ESME_RINVCMDID},
    {"enquire_link with a body", "00000014 00000015 00000000 00000001 00000000", -KP_ERR_PARSE, 1,
     SMPP_ESME_RINVCMDLEN},
    {"submit_sm body cut in source_addr", "00000018 00000004 00000000 00000001 00 01 01 3932 3330",
     -KP_ERR_PARSE, 1, SMPP_ESME_RINVCMDLEN},
    {"submit_sm sm_length beyond the PDU",
     "00000029 00000004 00000000 00000003 00 01 01 393200 00 00 37383900"
     "00 00 00 00 00 00 00 00 00 c8 2a3738",
     -KP_ERR_PARSE, 1, SMPP_ESME_RINVCMDLEN},
    {"submit_sm source_addr_ton 7",
     "00000026 00000004 00000000 00000003 00 07 01 393200 00 00 37383900"
     "00 00 00 00 00 00 00 00 00 01 2a",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVSRCTON},
    {"submit_sm source_addr of 24 digits",
     "0000003b 00000004 00000000 00000003 00 01 01 "
     "39323330303132333435363739323330303132333435363700 00 00 37383900"
     "00 00 00 00 00 00 00 00 00 01 2a",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVSRCADR},
    {"submit_sm destination_addr of 24 digits",
     "0000003b 00000004 00000000 00000003 00 01 01 393200 00 00 "
     "39323330303132333435363739323330303132333435363700"
     "00 00 00 00 00 00 00 00 00 01 2a",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVDSTADR},
    {"submit_sm ussd_service_op of 2 octets",
     "0000002d 00000004 00000000 00000003 00 01 01 393200 00 00 37383900"
     "00 00 00 00 00 00 00 00 00 01 2a 0501 0002 0101",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVPARLEN},
    {"submit_sm its_session_info of 1 octet",
     "0000002c 00000004 00000000 00000003 00 01 01 393200 00 00 37383900"
     "00 00 00 00 00 00 00 00 00 01 2a 1383 0001 01",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVPARLEN},
    {"submit_sm TLV header cut",
     "00000028 00000004 00000000 00000003 00 01 01 393200 00 00 37383900"
     "00 00 00 00 00 00 00 00 00 01 2a 05",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVOPTPARSTREAM}, /* SMPP 3.4 §5.1.3 */
    {"bind system_id of 16 chars",
     "0000002d 00000002 00000000 00000001 6b70617373616263646566676869 6a6b6c00"
     "7300 00 34 00 00 00",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVSYSID},
    {"bind password of 9 chars",
     "00000026 00000002 00000000 00000001 6b7000 313233343536373839 00 00 34 00 00 00",
     -KP_ERR_PARSE, 0, SMPP_ESME_RINVPASWD},
    {"bind with trailing garbage",
     "00000023 00000002 00000000 00000001 6b7000 7300 00 34 00 00 00 ff ff ff ff ff ff ff ff ff",
     -KP_ERR_PARSE, 1, SMPP_ESME_RINVCMDLEN},
};

#endif
