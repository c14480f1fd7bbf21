/* SPDX-License-Identifier: ISC */
/*
 * ussd profile: src/ussd/profile.c alone (pure).  Every profile with every
 * ussd_service_op value (SMPP 3.4 §5.3.2.44), the session key each profile
 * builds, the exact command_status for a message it cannot take, the text
 * from short_message or message_payload in each data_coding, and the reply:
 * addresses mirrored, its_session_info echoed with the next sequence number
 * and the end bit (§5.3.2.43), user_message_reference echoed (§5.3.2.17),
 * data_sm carrying message_payload (§4.7.1), as golden PDUs in hex.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/smpp/pdu.h"
#include "kpass/ussd/ussd.h"
#include "testutil.h"

/* An MO from +923001234567 to 789 with text and both session TLVs. */
static void mo_init(struct smpp_pdu *p, uint32_t cmd, uint8_t op, const char *text)
{
    smpp_pdu_init(p, cmd, 9);
    strcpy(p->sm.service_type, "USSD");
    p->sm.source_addr_ton = 1;
    p->sm.source_addr_npi = 1;
    strcpy(p->sm.source_addr, "923001234567");
    p->sm.dest_addr_ton = 0;
    p->sm.dest_addr_npi = 1;
    strcpy(p->sm.destination_addr, "789");
    p->sm.sm_length = (uint8_t)strlen(text);
    memcpy(p->sm.short_message, text, p->sm.sm_length);
    p->tlv.present =
        SMPP_TLV_USSD_SERVICE_OP | SMPP_TLV_ITS_SESSION_INFO | SMPP_TLV_USER_MESSAGE_REFERENCE;
    p->tlv.ussd_service_op = op;
    p->tlv.its_session_info = 0x2A04; /* session 42, sequence 2, not the end */
    p->tlv.user_message_reference = 0x1234;
}

START_TEST(test_profiles_known)
{
    static const struct {
        const char *name;
        enum ussd_sid sid;
        enum ussd_reply reply;
    } want[] = {
        {"its-session", USSD_SID_ITS, USSD_REPLY_AUTO},
        {"umr", USSD_SID_UMR, USSD_REPLY_AUTO},
        {"msisdn", USSD_SID_MSISDN, USSD_REPLY_AUTO},
        {"data-sm", USSD_SID_MSISDN, USSD_REPLY_DATA_SM},
    };
    size_t n;
    const struct ussd_profile *list = ussd_profile_list(&n);

    ck_assert_uint_eq(n, KP_ARRAY_LEN(want));
    for (size_t i = 0; i < KP_ARRAY_LEN(want); i++) {
        const struct ussd_profile *p = ussd_profile_find(want[i].name);
        ck_assert_ptr_nonnull(p);
        ck_assert_ptr_eq(p, &list[i]);
        ck_assert_int_eq(p->sid, want[i].sid);
        ck_assert_int_eq(p->reply, want[i].reply);
        /* 0x81, the release several gateways send (DESIGN.md §4) */
        ck_assert_uint_eq(p->nabort, 1);
        ck_assert_uint_eq(p->abort_ops[0], 0x81);
    }
    ck_assert_ptr_null(ussd_profile_find("its"));
    ck_assert_ptr_null(ussd_profile_find(""));
    ck_assert_ptr_null(ussd_profile_find("ITS-SESSION"));
}
END_TEST

/* Every op value (SMPP 3.4 §5.3.2.44) as it arrives from the network. */
static const struct {
    uint8_t op;
    enum ussd_kind kind;
} ops[] = {
    {0, USSD_BEGIN},        /* PSSD indication */
    {1, USSD_BEGIN},        /* PSSR indication */
    {2, USSD_ABORT},        /* USSR request: ours, not the network's */
    {3, USSD_ABORT},        /* USSN request */
    {16, USSD_ABORT},       /* PSSD response */
    {17, USSD_ABORT},       /* PSSR response */
    {18, USSD_CONTINUE},    /* USSR confirm: the user's reply */
    {19, USSD_NOTIFY_CONF}, /* USSN confirm */
    {4, USSD_ABORT},        /* reserved */
    {32, USSD_ABORT},       /* vendor, not named */
    {0x81, USSD_ABORT},     /* vendor release */
    {255, USSD_ABORT},
};

/* Each profile x each op: the kind, and the key that profile builds. */
START_TEST(test_op_values)
{
    size_t np;
    const struct ussd_profile *p = &ussd_profile_list(&np)[_i / KP_ARRAY_LEN(ops)];
    size_t k = (size_t)_i % KP_ARRAY_LEN(ops);
    static const char *const keys[] = {"its:42:+923001234567", "umr:4660:+923001234567",
                                       "msisdn:+923001234567:789", "msisdn:+923001234567:789"};
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint32_t status = 0xDEAD;

    mo_init(&pdu, SMPP_SUBMIT_SM, ops[k].op, "*789#");
    ck_assert_int_eq(ussd_mo_parse(p, &pdu, &mo, &status), 0);
    ck_assert_uint_eq(status, 0xDEAD); /* untouched on success */
    ck_assert_msg(mo.kind == ops[k].kind, "%s op %u: kind %d, want %d", p->name, ops[k].op, mo.kind,
                  ops[k].kind);
    ck_assert_uint_eq(mo.op, ops[k].op);
    ck_assert_str_eq(mo.key, keys[_i / KP_ARRAY_LEN(ops)]);
    ck_assert_str_eq(mo.msisdn, "+923001234567");
    ck_assert_str_eq(mo.service, "789");
    ck_assert_str_eq(mo.text, "*789#");
    ck_assert_uint_eq(mo.text_len, 5);
    ck_assert(mo.has_its && mo.its == 0x2A04);
    ck_assert(mo.has_umr && mo.umr == 0x1234);
    ck_assert(!mo.bad_text);
}
END_TEST

/*
 * The session keys at the edges of their parts (its session 0 and 255, umr
 * 0 and 65535, a 21-digit service code) are what the
 * former snprintf formats gave: stored dialogs are found by them.
 */
START_TEST(test_session_keys)
{
    static const uint16_t its[] = {0x0000, 0x0104, 0xff01, 0x2a04};
    static const uint16_t umr[] = {0, 1, 9, 10, 65535};
    static const char *const services[] = {"789", "123456789012345678901", "1"};
    static const char *const numbers[] = {"923001234567", "923459876543"};
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint32_t status;
    char want[64];

    for (size_t s = 0; s < KP_ARRAY_LEN(services); s++)
        for (size_t n = 0; n < KP_ARRAY_LEN(numbers); n++)
            for (size_t i = 0; i < KP_ARRAY_LEN(its); i++) {
                mo_init(&pdu, SMPP_DELIVER_SM, 1, "*789#");
                strcpy(pdu.sm.destination_addr, services[s]);
                strcpy(pdu.sm.source_addr, numbers[n]);
                pdu.tlv.its_session_info = its[i];
                pdu.tlv.user_message_reference = umr[i];
                ck_assert_int_eq(
                    ussd_mo_parse(ussd_profile_find("its-session"), &pdu, &mo, &status), 0);
                snprintf(want, sizeof(want), "its:%u:+%s", its[i] >> 8, numbers[n]);
                ck_assert_str_eq(mo.key, want);
                ck_assert_str_eq(mo.service, services[s]);
                ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("umr"), &pdu, &mo, &status), 0);
                snprintf(want, sizeof(want), "umr:%u:+%s", umr[i], numbers[n]);
                ck_assert_str_eq(mo.key, want);
                pdu.tlv.user_message_reference = umr[4];
                ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("umr"), &pdu, &mo, &status), 0);
                snprintf(want, sizeof(want), "umr:65535:+%s", numbers[n]);
                ck_assert_str_eq(mo.key, want);
                ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("msisdn"), &pdu, &mo, &status), 0);
                snprintf(want, sizeof(want), "msisdn:+%s:%s", numbers[n], services[s]);
                ck_assert_str_eq(mo.key, want);
            }
}
END_TEST

/* A configured abort op makes that value a release, and only that one. */
START_TEST(test_abort_ops_configured)
{
    struct ussd_profile p = *ussd_profile_find("msisdn");
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint32_t status;

    p.abort_ops[0] = 0x7F;
    p.abort_ops[1] = 0x90;
    p.nabort = 2;
    for (unsigned op = 0; op < 256; op++) {
        mo_init(&pdu, SMPP_DELIVER_SM, (uint8_t)op, "");
        ck_assert_int_eq(ussd_mo_parse(&p, &pdu, &mo, &status), 0);
        if (op <= 1)
            ck_assert_int_eq(mo.kind, USSD_BEGIN);
        else if (op == 18)
            ck_assert_int_eq(mo.kind, USSD_CONTINUE);
        else if (op == 19)
            ck_assert_int_eq(mo.kind, USSD_NOTIFY_CONF);
        else
            ck_assert_int_eq(mo.kind, USSD_ABORT);
    }
}
END_TEST

/* What a profile cannot take, and the command_status it answers with. */
static const struct {
    const char *profile;
    uint32_t drop;    /* TLV bits removed */
    uint8_t ton, npi; /* source address */
    const char *addr;
    uint32_t status; /* 0: accepted */
    const char *key;
} refusals[] = {
    {"its-session", SMPP_TLV_ITS_SESSION_INFO, 1, 1, "923001234567", SMPP_ESME_RMISSINGOPTPARAM,
     NULL},
    {"its-session", SMPP_TLV_USER_MESSAGE_REFERENCE, 1, 1, "923001234567", 0,
     "its:42:+923001234567"},
    {"umr", SMPP_TLV_USER_MESSAGE_REFERENCE, 1, 1, "923001234567", SMPP_ESME_RMISSINGOPTPARAM,
     NULL},
    {"umr", SMPP_TLV_ITS_SESSION_INFO, 1, 1, "923001234567", 0, "umr:4660:+923001234567"},
    {"msisdn", SMPP_TLV_ITS_SESSION_INFO | SMPP_TLV_USER_MESSAGE_REFERENCE, 1, 1, "923001234567", 0,
     "msisdn:+923001234567:789"},
    {"data-sm", SMPP_TLV_ITS_SESSION_INFO | SMPP_TLV_USER_MESSAGE_REFERENCE, 1, 1, "923001234567",
     0, "msisdn:+923001234567:789"},
    /* the source must be a phone number, for every profile */
    {"its-session", 0, 1, 1, "", SMPP_ESME_RINVSRCADR, NULL},
    {"umr", 0, 5, 0, "KPASS", SMPP_ESME_RINVSRCADR, NULL},           /* alphanumeric */
    {"msisdn", 0, 1, 1, "9230", SMPP_ESME_RINVSRCADR, NULL},         /* too short */
    {"msisdn", 0, 1, 9, "923001234567", SMPP_ESME_RINVSRCADR, NULL}, /* NPI private */
    /* national and unknown TON follow the Pakistani rules */
    {"msisdn", 0, 2, 1, "03001234567", 0, "msisdn:+923001234567:789"},
    {"msisdn", 0, 0, 1, "+923001234567", 0, "msisdn:+923001234567:789"},
    /* the address is checked before the session TLVs */
    {"its-session", SMPP_TLV_ITS_SESSION_INFO, 5, 0, "KPASS", SMPP_ESME_RINVSRCADR, NULL},
};

START_TEST(test_refusals)
{
    const struct ussd_profile *p = ussd_profile_find(refusals[_i].profile);
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint32_t status = 0;
    int rc;

    mo_init(&pdu, SMPP_DELIVER_SM, USSD_OP_USSR_CONF, "1");
    pdu.tlv.present &= ~refusals[_i].drop;
    pdu.sm.source_addr_ton = refusals[_i].ton;
    pdu.sm.source_addr_npi = refusals[_i].npi;
    strcpy(pdu.sm.source_addr, refusals[_i].addr);
    rc = ussd_mo_parse(p, &pdu, &mo, &status);
    if (refusals[_i].status) {
        ck_assert_int_eq(rc, -KP_ERR_INVAL);
        ck_assert_msg(status == refusals[_i].status, "%d: status 0x%x, want 0x%x", _i, status,
                      refusals[_i].status);
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(mo.key, refusals[_i].key);
        ck_assert_int_eq(mo.kind, USSD_CONTINUE);
    }
}
END_TEST

/* Without ussd_service_op it is no USSD message at all (a plain SMS). */
START_TEST(test_not_ussd)
{
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint32_t status = 0;

    mo_init(&pdu, SMPP_DELIVER_SM, 1, "hello");
    pdu.tlv.present &= ~SMPP_TLV_USSD_SERVICE_OP;
    strcpy(pdu.sm.source_addr, ""); /* not even looked at */
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("its-session"), &pdu, &mo, &status), 0);
    ck_assert_int_eq(mo.kind, USSD_NONE);
    ck_assert_uint_eq(status, 0);
}
END_TEST

/* The text, by data_coding (SMPP 3.4 §5.2.19), from short_message or
   message_payload (which wins when both are there). */
static const struct {
    uint8_t dc;
    const char *sm_hex;      /* short_message */
    const char *payload_hex; /* message_payload, NULL: none */
    const char *text;        /* NULL: undecodable */
} texts[] = {
    {0, "2a3738392a322a3123", NULL, "*789*2*1#"}, /* GSM 7-bit, one per octet */
    {0, "", NULL, ""},                            /* an empty reply */
    {0, "1b65", NULL, "€"},                       /* GSM extension table */
    {0, "1b", NULL, NULL},                        /* a trailing ESC */
    {0, "80", NULL, NULL},                        /* not a septet */
    {8, "0031", NULL, "1"},                       /* UCS-2 */
    {8, "06a906480688", NULL, "کوڈ"},             /* UCS-2 Urdu */
    {8, "003", NULL, NULL},                       /* odd length (see below) */
    {8, "d800", NULL, NULL},                      /* unpaired high surrogate */
    {8, "dc000031", NULL, NULL},                  /* unpaired low surrogate */
    {8, "d83dde00", NULL, "\xf0\x9f\x98\x80"},    /* a pair: U+1F600 */
    {8, "00310000", NULL, NULL},                  /* U+0000 */
    {1, "3100", NULL, NULL},                      /* IA5 NUL */
    {0, "0031", NULL, "@1"},                      /* GSM 0x00 is '@' */
    {1, "3132", NULL, "12"},                      /* IA5 */
    {3, "e9", NULL, "é"},                         /* Latin-1 */
    {4, "3132", NULL, NULL},                      /* 8-bit binary: no text */
    {0, "31", "3232", "22"},                      /* payload wins */
    {8, "", "00310032", "12"},                    /* data_sm: payload only */
    {8, "", "003", NULL},                         /* odd payload */
};

START_TEST(test_texts)
{
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint8_t raw[64];
    uint32_t status;
    int n;

    mo_init(&pdu, _i % 2 ? SMPP_DATA_SM : SMPP_SUBMIT_SM, USSD_OP_USSR_CONF, "");
    pdu.sm.data_coding = texts[_i].dc;
    /* "003" is three hex digits: an odd octet count is made by hand */
    if (strcmp(texts[_i].sm_hex, "003") == 0) {
        pdu.sm.sm_length = 3;
        memcpy(pdu.sm.short_message, "\x00\x31\x00", 3);
    } else {
        n = tu_hex(texts[_i].sm_hex, raw, sizeof(raw));
        ck_assert_int_ge(n, 0);
        pdu.sm.sm_length = (uint8_t)n;
        memcpy(pdu.sm.short_message, raw, (size_t)n);
    }
    if (texts[_i].payload_hex && strcmp(texts[_i].payload_hex, "003") == 0) {
        pdu.tlv.present |= SMPP_TLV_MESSAGE_PAYLOAD;
        pdu.tlv.payload_len = 3;
        memcpy(pdu.tlv.message_payload, "\x00\x31\x00", 3);
    } else if (texts[_i].payload_hex) {
        n = tu_hex(texts[_i].payload_hex, raw, sizeof(raw));
        pdu.tlv.present |= SMPP_TLV_MESSAGE_PAYLOAD;
        pdu.tlv.payload_len = (uint16_t)n;
        memcpy(pdu.tlv.message_payload, raw, (size_t)n);
    }
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("umr"), &pdu, &mo, &status), 0);
    if (texts[_i].text == NULL) {
        ck_assert_msg(mo.bad_text, "%d: decoded as '%s'", _i, mo.text);
        ck_assert_str_eq(mo.text, "");
        ck_assert_uint_eq(mo.text_len, 0);
    } else {
        ck_assert_msg(!mo.bad_text, "%d: not decoded", _i);
        ck_assert_str_eq(mo.text, texts[_i].text);
        ck_assert_uint_eq(mo.text_len, strlen(texts[_i].text));
    }
}
END_TEST

/* A message_payload that decodes to more than USSD_TEXT_MAX bytes is refused
   as text, not cut. */
START_TEST(test_text_too_long)
{
    struct smpp_pdu pdu;
    struct ussd_mo mo;
    uint32_t status;

    mo_init(&pdu, SMPP_DATA_SM, USSD_OP_USSR_CONF, "");
    pdu.sm.data_coding = 8;
    pdu.tlv.present |= SMPP_TLV_MESSAGE_PAYLOAD;
    pdu.tlv.payload_len = SMPP_PAYLOAD_MAX;
    for (int i = 0; i < SMPP_PAYLOAD_MAX; i += 2) {
        pdu.tlv.message_payload[i] = 0x06; /* U+06A9, two UTF-8 bytes each */
        pdu.tlv.message_payload[i + 1] = 0xA9;
    }
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("umr"), &pdu, &mo, &status), 0);
    ck_assert(mo.bad_text);
    /* 511 characters, 1022 bytes of UTF-8, fit */
    pdu.tlv.payload_len = SMPP_PAYLOAD_MAX - 2;
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("umr"), &pdu, &mo, &status), 0);
    ck_assert(!mo.bad_text);
    ck_assert_uint_eq(mo.text_len, SMPP_PAYLOAD_MAX - 2);
}
END_TEST

/* its_session_info on the reply (SMPP 3.4 §5.3.2.43): octet 1 the session
   number as received, octet 2 the next sequence number (bits 7..1, modulo
   128) and the end-of-session bit (bit 0) on the last screen. */
static const struct {
    uint16_t mo;
    int end;
    uint16_t mt;
} its_echo[] = {
    {0x2A00, 0, 0x2A02},                      /* begin, sequence 0 -> 1 */
    {0x2A04, 0, 0x2A06},                      /* sequence 2 -> 3 */
    {0x2A04, 1, 0x2A07},                      /* ... the last screen */
    {0x00FE, 0, 0x0000},                      /* sequence 127 wraps to 0 */
    {0xFFFE, 1, 0xFF01}, {0x0701, 0, 0x0702}, /* an end bit from the MO is not carried over */
    {0x0701, 1, 0x0703},
};

START_TEST(test_its_echo)
{
    struct smpp_pdu pdu, mt;
    struct ussd_mo mo;
    uint32_t status;

    mo_init(&pdu, SMPP_DELIVER_SM, USSD_OP_USSR_CONF, "1");
    pdu.tlv.present &= ~SMPP_TLV_USER_MESSAGE_REFERENCE;
    pdu.tlv.its_session_info = its_echo[_i].mo;
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("its-session"), &pdu, &mo, &status), 0);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_SUBMIT_SM, "Hi", 2, TEXT_GSM7, its_echo[_i].end, &mt),
                     0);
    ck_assert(mt.tlv.present & SMPP_TLV_ITS_SESSION_INFO);
    ck_assert(!(mt.tlv.present & SMPP_TLV_USER_MESSAGE_REFERENCE));
    ck_assert_msg(mt.tlv.its_session_info == its_echo[_i].mt, "%04x -> %04x, want %04x",
                  its_echo[_i].mo, mt.tlv.its_session_info, its_echo[_i].mt);
    ck_assert_uint_eq(mt.tlv.ussd_service_op, its_echo[_i].end ? 17 : 2);
}
END_TEST

/* Golden replies.  deliver_sm (SMPP 3.4 §4.6.1) to an ESME bound to us:
   addresses swapped from the MO with their TON/NPI, service_type USSD,
   data_coding 0, short_message the GSM 7-bit screen one septet per octet,
   then ussd_service_op (0x0501) and the session TLVs. */
static const struct {
    const char *what;
    uint32_t mo_cmd, mt_cmd;
    uint32_t tlvs; /* session TLVs on the MO */
    const char *text;
    enum text_enc enc;
    int end;
    const char *hex; /* the whole MT with sequence number 7 */
} golden[] = {
    {"its, continue", SMPP_SUBMIT_SM, SMPP_DELIVER_SM, SMPP_TLV_ITS_SESSION_INFO, "Hi", TEXT_GSM7,
     0,
     "00000041 00000005 00000000 00000007"
     "5553534400 00 01 37383900 01 01 39323330303132333435363700"
     "00 00 00 00 00 00 00 00 00 02 4869"
     "0501 0001 02"     /* ussd_service_op: 2, USSR request */
     "1383 0002 2a06"}, /* its_session_info: session 42, sequence 3 */
    {"umr, end", SMPP_DELIVER_SM, SMPP_SUBMIT_SM, SMPP_TLV_USER_MESSAGE_REFERENCE, "Bye", TEXT_GSM7,
     1,
     "00000042 00000004 00000000 00000007"
     "5553534400 00 01 37383900 01 01 39323330303132333435363700"
     "00 00 00 00 00 00 00 00 00 03 427965"
     "0501 0001 11"     /* 17, PSSR response: the end */
     "0204 0002 1234"}, /* user_message_reference echoed */
    {"msisdn, ucs2", SMPP_SUBMIT_SM, SMPP_DELIVER_SM, 0, "کوڈ", TEXT_UCS2, 0,
     "0000003f 00000005 00000000 00000007"
     "5553534400 00 01 37383900 01 01 39323330303132333435363700"
     "00 00 00 00 00 00 00 08 00 06 06a906480688"
     "0501 0001 02"},
    /* data_sm (§4.7.1) has no short_message: the screen goes in
       message_payload (0x0424, §5.3.2.32) */
    {"data_sm", SMPP_DATA_SM, SMPP_DATA_SM, SMPP_TLV_ITS_SESSION_INFO, "Hi", TEXT_GSM7, 1,
     "0000003e 00000103 00000000 00000007"
     "5553534400 00 01 37383900 01 01 39323330303132333435363700"
     "00 00 00"
     "0501 0001 11"
     "1383 0002 2a07"
     "0424 0002 4869"},
};

START_TEST(test_golden_mt)
{
    struct smpp_pdu pdu, mt, back;
    struct smpp_decode_error err;
    struct ussd_mo mo;
    uint8_t want[256], got[512];
    uint32_t status;
    int nw, ng;

    mo_init(&pdu, golden[_i].mo_cmd, USSD_OP_USSR_CONF, "1");
    pdu.tlv.present = SMPP_TLV_USSD_SERVICE_OP | golden[_i].tlvs;
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("msisdn"), &pdu, &mo, &status), 0);
    ck_assert_int_eq(ussd_mt_build(&mo, golden[_i].mt_cmd, golden[_i].text, strlen(golden[_i].text),
                                   golden[_i].enc, golden[_i].end, &mt),
                     0);
    mt.sequence_number = 7;
    nw = tu_hex(golden[_i].hex, want, sizeof(want));
    ck_assert_int_gt(nw, 16);
    ck_assert_int_eq(want[3], nw); /* the hand-written length is right */
    ng = smpp_pdu_encode(&mt, got, sizeof(got));
    ck_assert_int_eq(ng, nw);
    for (int i = 0; i < nw; i++)
        ck_assert_msg(got[i] == want[i], "%s: octet %d is %02x, want %02x", golden[_i].what, i,
                      got[i], want[i]);
    /* and it decodes to what was built */
    ck_assert_int_eq(smpp_pdu_decode(got, (size_t)ng, &back, &err), 0);
    ck_assert_str_eq(back.sm.destination_addr, "923001234567");
    ck_assert_uint_eq(back.tlv.ussd_service_op, golden[_i].end ? 17 : 2);
}
END_TEST

/* Addresses are mirrored as received, whatever their form. */
START_TEST(test_address_mirror)
{
    struct smpp_pdu pdu, mt;
    struct ussd_mo mo;
    uint32_t status;

    mo_init(&pdu, SMPP_DELIVER_SM, USSD_OP_PSSR_IND, "*789#");
    pdu.sm.source_addr_ton = 2;
    pdu.sm.source_addr_npi = 1;
    strcpy(pdu.sm.source_addr, "03001234567");
    pdu.sm.dest_addr_ton = 3;
    pdu.sm.dest_addr_npi = 9;
    strcpy(pdu.sm.destination_addr, "*789#");
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("msisdn"), &pdu, &mo, &status), 0);
    ck_assert_str_eq(mo.msisdn, "+923001234567");
    ck_assert_str_eq(mo.key, "msisdn:+923001234567:*789#");
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DELIVER_SM, "x", 1, TEXT_GSM7, 0, &mt), 0);
    ck_assert_uint_eq(mt.sm.source_addr_ton, 3);
    ck_assert_uint_eq(mt.sm.source_addr_npi, 9);
    ck_assert_str_eq(mt.sm.source_addr, "*789#");
    ck_assert_uint_eq(mt.sm.dest_addr_ton, 2);
    ck_assert_uint_eq(mt.sm.dest_addr_npi, 1);
    ck_assert_str_eq(mt.sm.destination_addr, "03001234567");
    ck_assert_str_eq(mt.sm.service_type, "USSD");
    /* the session TLVs the MO had, both */
    ck_assert(mt.tlv.present & SMPP_TLV_ITS_SESSION_INFO);
    ck_assert(mt.tlv.present & SMPP_TLV_USER_MESSAGE_REFERENCE);
    ck_assert_uint_eq(mt.tlv.user_message_reference, 0x1234);
}
END_TEST

/* Screens that cannot go: more than 254 octets of short_message, more than
   the payload TLV holds, or a character the encoding lacks. */
START_TEST(test_mt_limits)
{
    static char big[1100];
    struct smpp_pdu pdu, mt;
    struct ussd_mo mo;
    uint32_t status;

    mo_init(&pdu, SMPP_DELIVER_SM, USSD_OP_USSR_CONF, "1");
    ck_assert_int_eq(ussd_mo_parse(ussd_profile_find("its-session"), &pdu, &mo, &status), 0);
    memset(big, 'a', sizeof(big) - 1);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DELIVER_SM, big, 254, TEXT_GSM7, 0, &mt), 0);
    ck_assert_uint_eq(mt.sm.sm_length, 254);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DELIVER_SM, big, 255, TEXT_GSM7, 0, &mt),
                     -KP_ERR_TOOLONG);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_SUBMIT_SM, big, 128, TEXT_UCS2, 0, &mt),
                     -KP_ERR_TOOLONG);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DATA_SM, big, 1024, TEXT_GSM7, 0, &mt), 0);
    ck_assert_uint_eq(mt.tlv.payload_len, 1024);
    ck_assert_uint_eq(mt.sm.sm_length, 0);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DATA_SM, big, 1025, TEXT_GSM7, 0, &mt),
                     -KP_ERR_TOOLONG);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DELIVER_SM, "کوڈ", strlen("کوڈ"), TEXT_GSM7, 0, &mt),
                     -KP_ERR_ENCODING);
    ck_assert_int_eq(ussd_mt_build(&mo, SMPP_DELIVER_SM, "\xff", 1, TEXT_UCS2, 0, &mt),
                     -KP_ERR_ENCODING);
}
END_TEST

Suite *suite_ussd_profile(void)
{
    Suite *s = suite_create("ussd_profile");
    TCase *tc = tcase_create("profile");
    size_t np;

    ussd_profile_list(&np);
    tcase_add_test(tc, test_profiles_known);
    tcase_add_loop_test(tc, test_op_values, 0, (int)(np * KP_ARRAY_LEN(ops)));
    tcase_add_test(tc, test_abort_ops_configured);
    tcase_add_test(tc, test_session_keys);
    tcase_add_loop_test(tc, test_refusals, 0, (int)KP_ARRAY_LEN(refusals));
    tcase_add_test(tc, test_not_ussd);
    tcase_add_loop_test(tc, test_texts, 0, (int)KP_ARRAY_LEN(texts));
    tcase_add_test(tc, test_text_too_long);
    tcase_add_loop_test(tc, test_its_echo, 0, (int)KP_ARRAY_LEN(its_echo));
    tcase_add_loop_test(tc, test_golden_mt, 0, (int)KP_ARRAY_LEN(golden));
    tcase_add_test(tc, test_address_mirror);
    tcase_add_test(tc, test_mt_limits);
    suite_add_tcase(s, tc);
    return s;
}
