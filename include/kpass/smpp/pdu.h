/* SPDX-License-Identifier: ISC */
/*
 * SMPP 3.4 PDUs: framing, and a codec.  submit_sm, deliver_sm, data_sm and
 * their responses (every USSD hop) are kpass's own (src/smpp/sm.c), with
 * libsmpp34's limits and answers; the session PDUs go through libsmpp34,
 * which is also the oracle the tests hold sm.c to.
 *
 * Framing is ours (SMPP 3.4 §3.2): the 16-octet header is read first and its
 * command_length bounded before any body is touched.  The other bodies are
 * handed to libsmpp34 with its pitfalls worked around here and nowhere else: the
 * buffer always ends in a NUL sentinel (libsmpp34 strlen()s C-octet
 * strings), values libsmpp34 refuses although SMPP allows them
 * (interface_version other than 0x34, vendor command_status 0x400-0x4FF,
 * sequence number 0) are masked during the call and restored after, TLV
 * lists are freed after every unpack (failed or not), and smpp34_strerror is
 * turned into an SMPP command_status instead of reaching anyone.
 *
 * Header-only PDUs (enquire_link, unbind, generic_nack and their responses)
 * never reach libsmpp34: the header is all there is.
 *
 * Pure: no sockets, no event loop, no logging.
 */
#ifndef KPASS_SMPP_PDU_H
#define KPASS_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#define SMPP_HEADER_LEN 16
#define SMPP_PDU_MAX    65536       /* largest command_length we accept (DESIGN §3) */
#define SMPP_SEQ_MAX    0x7FFFFFFFu /* SMPP 3.4 §5.1.4: 0x00000001..0x7FFFFFFF */
#define SMPP_RESP_BIT   0x80000000u

/* command_id values, SMPP 3.4 §5.1.2.1 */
enum smpp_command {
    SMPP_GENERIC_NACK = 0x80000000u,
    SMPP_BIND_RECEIVER = 0x00000001u,
    SMPP_BIND_RECEIVER_RESP = 0x80000001u,
    SMPP_BIND_TRANSMITTER = 0x00000002u,
    SMPP_BIND_TRANSMITTER_RESP = 0x80000002u,
    SMPP_QUERY_SM = 0x00000003u,
    SMPP_QUERY_SM_RESP = 0x80000003u,
    SMPP_SUBMIT_SM = 0x00000004u,
    SMPP_SUBMIT_SM_RESP = 0x80000004u,
    SMPP_DELIVER_SM = 0x00000005u,
    SMPP_DELIVER_SM_RESP = 0x80000005u,
    SMPP_UNBIND = 0x00000006u,
    SMPP_UNBIND_RESP = 0x80000006u,
    SMPP_REPLACE_SM = 0x00000007u,
    SMPP_REPLACE_SM_RESP = 0x80000007u,
    SMPP_CANCEL_SM = 0x00000008u,
    SMPP_CANCEL_SM_RESP = 0x80000008u,
    SMPP_BIND_TRANSCEIVER = 0x00000009u,
    SMPP_BIND_TRANSCEIVER_RESP = 0x80000009u,
    SMPP_OUTBIND = 0x0000000Bu,
    SMPP_ENQUIRE_LINK = 0x00000015u,
    SMPP_ENQUIRE_LINK_RESP = 0x80000015u,
    SMPP_SUBMIT_MULTI = 0x00000021u,
    SMPP_SUBMIT_MULTI_RESP = 0x80000021u,
    SMPP_ALERT_NOTIFICATION = 0x00000102u,
    SMPP_DATA_SM = 0x00000103u,
    SMPP_DATA_SM_RESP = 0x80000103u,
};

/* command_status values, SMPP 3.4 §5.1.3 */
enum smpp_status {
    SMPP_ESME_ROK = 0x00,
    SMPP_ESME_RINVMSGLEN = 0x01,
    SMPP_ESME_RINVCMDLEN = 0x02,
    SMPP_ESME_RINVCMDID = 0x03,
    SMPP_ESME_RINVBNDSTS = 0x04,
    SMPP_ESME_RALYBND = 0x05,
    SMPP_ESME_RINVPRTFLG = 0x06,
    SMPP_ESME_RINVREGDLVFLG = 0x07,
    SMPP_ESME_RSYSERR = 0x08,
    SMPP_ESME_RINVSRCADR = 0x0A,
    SMPP_ESME_RINVDSTADR = 0x0B,
    SMPP_ESME_RINVMSGID = 0x0C,
    SMPP_ESME_RBINDFAIL = 0x0D,
    SMPP_ESME_RINVPASWD = 0x0E,
    SMPP_ESME_RINVSYSID = 0x0F,
    SMPP_ESME_RCANCELFAIL = 0x11,
    SMPP_ESME_RREPLACEFAIL = 0x13,
    SMPP_ESME_RMSGQFUL = 0x14,
    SMPP_ESME_RINVSERTYP = 0x15,
    SMPP_ESME_RINVESMCLASS = 0x43,
    SMPP_ESME_RSUBMITFAIL = 0x45,
    SMPP_ESME_RINVSRCTON = 0x48,
    SMPP_ESME_RINVSRCNPI = 0x49,
    SMPP_ESME_RINVDSTTON = 0x50,
    SMPP_ESME_RINVDSTNPI = 0x51,
    SMPP_ESME_RINVSYSTYP = 0x53,
    SMPP_ESME_RTHROTTLED = 0x58,
    SMPP_ESME_RINVSCHED = 0x61,
    SMPP_ESME_RINVEXPIRY = 0x62,
    SMPP_ESME_RX_T_APPN = 0x64,
    SMPP_ESME_RX_P_APPN = 0x65,
    SMPP_ESME_RX_R_APPN = 0x66,
    SMPP_ESME_RQUERYFAIL = 0x67,
    SMPP_ESME_RINVOPTPARSTREAM = 0xC0,
    SMPP_ESME_ROPTPARNOTALLWD = 0xC1,
    SMPP_ESME_RINVPARLEN = 0xC2,
    SMPP_ESME_RMISSINGOPTPARAM = 0xC3,
    SMPP_ESME_RINVOPTPARAMVAL = 0xC4,
    SMPP_ESME_RDELIVERYFAILURE = 0xFE,
    SMPP_ESME_RUNKNOWNERR = 0xFF,
};

/* Optional parameter tags kpass understands, SMPP 3.4 §5.3.2 */
enum smpp_tag {
    SMPP_TAG_RECEIPTED_MESSAGE_ID = 0x001E,
    SMPP_TAG_USER_MESSAGE_REFERENCE = 0x0204,
    SMPP_TAG_SAR_MSG_REF_NUM = 0x020C,
    SMPP_TAG_SAR_TOTAL_SEGMENTS = 0x020E,
    SMPP_TAG_SAR_SEGMENT_SEQNUM = 0x020F,
    SMPP_TAG_SC_INTERFACE_VERSION = 0x0210,
    SMPP_TAG_NETWORK_ERROR_CODE = 0x0423,
    SMPP_TAG_MESSAGE_PAYLOAD = 0x0424,
    SMPP_TAG_MESSAGE_STATE = 0x0427,
    SMPP_TAG_USSD_SERVICE_OP = 0x0501,
    SMPP_TAG_ITS_SESSION_INFO = 0x1383,
};

/* Bits of smpp_tlvs.present: which optional parameters were given. */
enum smpp_tlv_bit {
    SMPP_TLV_RECEIPTED_MESSAGE_ID = 1u << 0,
    SMPP_TLV_USER_MESSAGE_REFERENCE = 1u << 1,
    SMPP_TLV_SAR = 1u << 2, /* all three sar_* together */
    SMPP_TLV_SC_INTERFACE_VERSION = 1u << 3,
    SMPP_TLV_NETWORK_ERROR_CODE = 1u << 4,
    SMPP_TLV_MESSAGE_PAYLOAD = 1u << 5,
    SMPP_TLV_MESSAGE_STATE = 1u << 6,
    SMPP_TLV_USSD_SERVICE_OP = 1u << 7,
    SMPP_TLV_ITS_SESSION_INFO = 1u << 8,
};

#define SMPP_PAYLOAD_MAX 1024 /* libsmpp34 caps octet TLVs at 1024 octets */

/* The optional parameters kpass uses; others are ignored (SMPP 3.4 §3.2.4). */
struct smpp_tlvs {
    uint32_t present;
    char receipted_message_id[65];
    uint16_t user_message_reference;
    uint16_t sar_msg_ref_num;
    uint8_t sar_total_segments;
    uint8_t sar_segment_seqnum;
    uint8_t sc_interface_version;
    uint8_t network_error_code[3];
    uint8_t message_state;
    uint8_t ussd_service_op;
    uint16_t its_session_info; /* SMPP 3.4 §5.3.2.43: session number << 8 | seq << 1 | end */
    uint16_t payload_len;
    uint8_t message_payload[SMPP_PAYLOAD_MAX];
};

/* bind_* (SMPP 3.4 §4.1), outbind, and bind_*_resp (system_id only). */
struct smpp_bind {
    char system_id[16];
    char password[9];
    char system_type[13];
    uint8_t interface_version;
    uint8_t addr_ton;
    uint8_t addr_npi;
    char address_range[41];
};

/* submit_sm (§4.4.1), deliver_sm (§4.6.1), data_sm (§4.7.1). */
struct smpp_sm {
    char service_type[6];
    uint8_t source_addr_ton;
    uint8_t source_addr_npi;
    char source_addr[65]; /* 21 for submit/deliver, 65 for data_sm */
    uint8_t dest_addr_ton;
    uint8_t dest_addr_npi;
    char destination_addr[65];
    uint8_t esm_class;
    uint8_t protocol_id;
    uint8_t priority_flag;
    char schedule_delivery_time[17];
    char validity_period[17];
    uint8_t registered_delivery;
    uint8_t replace_if_present_flag;
    uint8_t data_coding;
    uint8_t sm_default_msg_id;
    uint8_t sm_length;
    uint8_t short_message[255];
};

/*
 * One PDU.  Only the parts its command_id uses are meaningful: bind for
 * binds and outbind, bind.system_id for bind_*_resp, sm for
 * submit/deliver/data_sm, message_id for submit_sm_resp/data_sm_resp, tlv
 * for every PDU that may carry optional parameters.
 */
struct smpp_pdu {
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence_number;
    struct smpp_bind bind;
    struct smpp_sm sm;
    char message_id[65];
    struct smpp_tlvs tlv;
};

/* The header alone, as read off the wire. */
struct smpp_hdr {
    uint32_t command_length;
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence_number;
};

/* How a PDU that cannot be decoded must be answered. */
struct smpp_decode_error {
    uint32_t status; /* the command_status to answer with */
    int nack;        /* 1: answer generic_nack; 0: answer the command's own *_resp */
};

/*
 * Framing.  Look at the first avail octets of a stream: returns 0 while
 * fewer than 16 octets are there, else fills *hdr and returns its
 * command_length (16..65536), or -KP_ERR_RANGE when command_length is < 16
 * or > 65536 (answer generic_nack ESME_RINVCMDLEN and close the link).
 */
int smpp_frame_check(const uint8_t *buf, size_t avail, struct smpp_hdr *hdr);

/*
 * Decode exactly one whole PDU (len == its command_length) into *out.
 * Returns 0, or -KP_ERR_PARSE with *err saying how to answer (for a
 * request) or -KP_ERR_UNSUPPORTED for a command_id that is not SMPP 3.4
 * (err: generic_nack ESME_RINVCMDID).
 *
 *   uint8_t b[] = {0,0,0,16, 0,0,0,0x15, 0,0,0,0, 0,0,0,7};   // enquire_link
 *   smpp_pdu_decode(b, 16, &pdu, &err);  // 0; pdu.command_id == SMPP_ENQUIRE_LINK
 */
int smpp_pdu_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                    struct smpp_decode_error *err);

/*
 * Encode pdu into buf (cap octets).  Returns the PDU's length, or
 * -KP_ERR_TOOLONG when it does not fit, -KP_ERR_INVAL for a field libsmpp34
 * refuses (too long a string, an unknown command_id).
 */
int smpp_pdu_encode(const struct smpp_pdu *pdu, uint8_t *buf, size_t cap);

/* Encode a header-only PDU (enquire_link, generic_nack, ...) into buf[16]. */
void smpp_pdu_encode_header(uint8_t buf[SMPP_HEADER_LEN], uint32_t command_id,
                            uint32_t command_status, uint32_t sequence_number);

/* Initialise pdu for command_id with sequence_number (everything else zero). */
void smpp_pdu_init(struct smpp_pdu *pdu, uint32_t command_id, uint32_t sequence_number);

/* "submit_sm", "bind_transceiver_resp", ... or NULL when not SMPP 3.4. */
const char *smpp_command_name(uint32_t command_id);
/* "ESME_RTHROTTLED", ..., "vendor" (0x400-0x4FF) or "reserved". */
const char *smpp_status_name(uint32_t status);
/* The response command_id for a request (command_id | 0x80000000). */
static inline uint32_t smpp_resp_id(uint32_t command_id)
{
    return command_id | SMPP_RESP_BIT;
}
static inline int smpp_is_resp(uint32_t command_id)
{
    return (command_id & SMPP_RESP_BIT) != 0;
}
/* True when the command carries only a header (no body). */
int smpp_command_header_only(uint32_t command_id);

/* Put a C string into a fixed SMPP field; -KP_ERR_TOOLONG if it does not fit. */
int smpp_strlcpy(char *dst, size_t size, const char *src);

#endif
