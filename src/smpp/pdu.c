/* SPDX-License-Identifier: ISC */
/*
 * SMPP 3.4 framing and decoding: the hot PDUs by sm.c, the session PDUs
 * (binds, outbind) through a wrapper around libsmpp34 (see pdu.h for the
 * pitfalls handled here), which also decodes everything for the
 * differential tests (smpp_pdu_decode_libsmpp34).  This is the only file
 * that includes libsmpp34's headers for decoding.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
#include <smpp34_heap.h>

#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"
#include "smpp_internal.h"

/* libsmpp34 keeps its last error text here; we read it, never show it. */
extern char smpp34_strerror[2048];

/*
 * libsmpp34 allocates each TLV it unpacks, and leaks the one it was filling
 * when an unpack fails.  It is given no TLVs any more (tlv.c), but should
 * it allocate anyway, its allocator hooks let us own that memory: during
 * an unpack, allocations come from a small arena (or, past it, from malloc
 * with the pointer remembered), and everything is released after we have
 * copied what we need, whatever the outcome.
 */
#define PDU_ARENA_SLOTS 16

static struct {
    int installed;
    int active;
    unsigned used;
    tlv_t slots[PDU_ARENA_SLOTS];
    void **extra;
    size_t nextra, capextra;
} pdu_heap;

static void *pdu_heap_malloc(size_t sz)
{
    void *p;

    if (pdu_heap.active && sz <= sizeof(tlv_t) && pdu_heap.used < PDU_ARENA_SLOTS)
        return &pdu_heap.slots[pdu_heap.used++];
    p = malloc(sz);
    if (p && pdu_heap.active) {
        if (pdu_heap.nextra == pdu_heap.capextra) {
            size_t cap = pdu_heap.capextra ? pdu_heap.capextra * 2 : 16;
            void **v = realloc(pdu_heap.extra, cap * sizeof(*v));
            if (v == NULL) {
                free(p);
                return NULL;
            }
            pdu_heap.extra = v;
            pdu_heap.capextra = cap;
        }
        pdu_heap.extra[pdu_heap.nextra++] = p;
    }
    return p;
}

static void *pdu_heap_realloc(void *ptr, size_t sz)
{
    (void)ptr;
    (void)sz;
    return NULL; /* libsmpp34 does not reallocate while unpacking */
}

static void pdu_heap_free(void *ptr)
{
    /* Only our own release below frees: destroy_tlv() is never called. */
    (void)ptr;
}

static void pdu_heap_begin(void)
{
    if (!pdu_heap.installed) {
        static const struct smpp34_memory_functions mf = {pdu_heap_malloc, pdu_heap_realloc,
                                                          pdu_heap_free};
        smpp34_set_memory_functions(&mf);
        pdu_heap.installed = 1;
    }
    pdu_heap.active = 1;
    pdu_heap.used = 0;
}

static void pdu_heap_end(void)
{
    for (size_t i = 0; i < pdu_heap.nextra; i++)
        free(pdu_heap.extra[i]);
    pdu_heap.nextra = 0;
    pdu_heap.used = 0;
    pdu_heap.active = 0;
}

static uint32_t pdu_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void pdu_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int smpp_frame_check(const uint8_t *buf, size_t avail, struct smpp_hdr *hdr)
{
    if (avail < SMPP_HEADER_LEN)
        return 0;
    hdr->command_length = pdu_get32(buf);
    hdr->command_id = pdu_get32(buf + 4);
    hdr->command_status = pdu_get32(buf + 8);
    hdr->sequence_number = pdu_get32(buf + 12);
    if (hdr->command_length < SMPP_HEADER_LEN || hdr->command_length > SMPP_PDU_MAX)
        return -KP_ERR_RANGE;
    return (int)hdr->command_length;
}

void smpp_pdu_encode_header(uint8_t buf[SMPP_HEADER_LEN], uint32_t command_id,
                            uint32_t command_status, uint32_t sequence_number)
{
    pdu_put32(buf, SMPP_HEADER_LEN);
    pdu_put32(buf + 4, command_id);
    pdu_put32(buf + 8, command_status);
    pdu_put32(buf + 12, sequence_number);
}

void smpp_pdu_init(struct smpp_pdu *pdu, uint32_t command_id, uint32_t sequence_number)
{
    /* Only the small fixed parts need clearing; payload bytes are bounded by payload_len. */
    memset(pdu, 0, offsetof(struct smpp_pdu, tlv) + offsetof(struct smpp_tlvs, message_payload));
    pdu->command_id = command_id;
    pdu->sequence_number = sequence_number;
}

int smpp_strlcpy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size) {
        dst[0] = '\0';
        return -KP_ERR_TOOLONG;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

/* Names, SMPP 3.4 §5.1.2.1 */
static const struct {
    uint32_t id;
    const char *name;
} pdu_commands[] = {
    {SMPP_GENERIC_NACK, "generic_nack"},
    {SMPP_BIND_RECEIVER, "bind_receiver"},
    {SMPP_BIND_RECEIVER_RESP, "bind_receiver_resp"},
    {SMPP_BIND_TRANSMITTER, "bind_transmitter"},
    {SMPP_BIND_TRANSMITTER_RESP, "bind_transmitter_resp"},
    {SMPP_QUERY_SM, "query_sm"},
    {SMPP_QUERY_SM_RESP, "query_sm_resp"},
    {SMPP_SUBMIT_SM, "submit_sm"},
    {SMPP_SUBMIT_SM_RESP, "submit_sm_resp"},
    {SMPP_DELIVER_SM, "deliver_sm"},
    {SMPP_DELIVER_SM_RESP, "deliver_sm_resp"},
    {SMPP_UNBIND, "unbind"},
    {SMPP_UNBIND_RESP, "unbind_resp"},
    {SMPP_REPLACE_SM, "replace_sm"},
    {SMPP_REPLACE_SM_RESP, "replace_sm_resp"},
    {SMPP_CANCEL_SM, "cancel_sm"},
    {SMPP_CANCEL_SM_RESP, "cancel_sm_resp"},
    {SMPP_BIND_TRANSCEIVER, "bind_transceiver"},
    {SMPP_BIND_TRANSCEIVER_RESP, "bind_transceiver_resp"},
    {SMPP_OUTBIND, "outbind"},
    {SMPP_ENQUIRE_LINK, "enquire_link"},
    {SMPP_ENQUIRE_LINK_RESP, "enquire_link_resp"},
    {SMPP_SUBMIT_MULTI, "submit_multi"},
    {SMPP_SUBMIT_MULTI_RESP, "submit_multi_resp"},
    {SMPP_ALERT_NOTIFICATION, "alert_notification"},
    {SMPP_DATA_SM, "data_sm"},
    {SMPP_DATA_SM_RESP, "data_sm_resp"},
};

const char *smpp_command_name(uint32_t command_id)
{
    for (size_t i = 0; i < sizeof(pdu_commands) / sizeof(pdu_commands[0]); i++)
        if (pdu_commands[i].id == command_id)
            return pdu_commands[i].name;
    return NULL;
}

/* Names, SMPP 3.4 §5.1.3 */
static const struct {
    uint32_t status;
    const char *name;
} pdu_statuses[] = {
    {SMPP_ESME_ROK, "ESME_ROK"},
    {SMPP_ESME_RINVMSGLEN, "ESME_RINVMSGLEN"},
    {SMPP_ESME_RINVCMDLEN, "ESME_RINVCMDLEN"},
    {SMPP_ESME_RINVCMDID, "ESME_RINVCMDID"},
    {SMPP_ESME_RINVBNDSTS, "ESME_RINVBNDSTS"},
    {SMPP_ESME_RALYBND, "ESME_RALYBND"},
    {SMPP_ESME_RINVPRTFLG, "ESME_RINVPRTFLG"},
    {SMPP_ESME_RINVREGDLVFLG, "ESME_RINVREGDLVFLG"},
    {SMPP_ESME_RSYSERR, "ESME_RSYSERR"},
    {SMPP_ESME_RINVSRCADR, "ESME_RINVSRCADR"},
    {SMPP_ESME_RINVDSTADR, "ESME_RINVDSTADR"},
    {SMPP_ESME_RINVMSGID, "ESME_RINVMSGID"},
    {SMPP_ESME_RBINDFAIL, "ESME_RBINDFAIL"},
    {SMPP_ESME_RINVPASWD, "ESME_RINVPASWD"},
    {SMPP_ESME_RINVSYSID, "ESME_RINVSYSID"},
    {SMPP_ESME_RCANCELFAIL, "ESME_RCANCELFAIL"},
    {SMPP_ESME_RREPLACEFAIL, "ESME_RREPLACEFAIL"},
    {SMPP_ESME_RMSGQFUL, "ESME_RMSGQFUL"},
    {SMPP_ESME_RINVSERTYP, "ESME_RINVSERTYP"},
    {SMPP_ESME_RINVESMCLASS, "ESME_RINVESMCLASS"},
    {SMPP_ESME_RSUBMITFAIL, "ESME_RSUBMITFAIL"},
    {SMPP_ESME_RINVSRCTON, "ESME_RINVSRCTON"},
    {SMPP_ESME_RINVSRCNPI, "ESME_RINVSRCNPI"},
    {SMPP_ESME_RINVDSTTON, "ESME_RINVDSTTON"},
    {SMPP_ESME_RINVDSTNPI, "ESME_RINVDSTNPI"},
    {SMPP_ESME_RINVSYSTYP, "ESME_RINVSYSTYP"},
    {SMPP_ESME_RTHROTTLED, "ESME_RTHROTTLED"},
    {SMPP_ESME_RINVSCHED, "ESME_RINVSCHED"},
    {SMPP_ESME_RINVEXPIRY, "ESME_RINVEXPIRY"},
    {SMPP_ESME_RX_T_APPN, "ESME_RX_T_APPN"},
    {SMPP_ESME_RX_P_APPN, "ESME_RX_P_APPN"},
    {SMPP_ESME_RX_R_APPN, "ESME_RX_R_APPN"},
    {SMPP_ESME_RQUERYFAIL, "ESME_RQUERYFAIL"},
    {SMPP_ESME_RINVOPTPARSTREAM, "ESME_RINVOPTPARSTREAM"},
    {SMPP_ESME_ROPTPARNOTALLWD, "ESME_ROPTPARNOTALLWD"},
    {SMPP_ESME_RINVPARLEN, "ESME_RINVPARLEN"},
    {SMPP_ESME_RMISSINGOPTPARAM, "ESME_RMISSINGOPTPARAM"},
    {SMPP_ESME_RINVOPTPARAMVAL, "ESME_RINVOPTPARAMVAL"},
    {SMPP_ESME_RDELIVERYFAILURE, "ESME_RDELIVERYFAILURE"},
    {SMPP_ESME_RUNKNOWNERR, "ESME_RUNKNOWNERR"},
};

const char *smpp_status_name(uint32_t status)
{
    for (size_t i = 0; i < sizeof(pdu_statuses) / sizeof(pdu_statuses[0]); i++)
        if (pdu_statuses[i].status == status)
            return pdu_statuses[i].name;
    if (status >= 0x400 && status <= 0x4FF)
        return "vendor";
    return "reserved";
}

int smpp_command_header_only(uint32_t command_id)
{
    switch (command_id) {
    case SMPP_ENQUIRE_LINK:
    case SMPP_ENQUIRE_LINK_RESP:
    case SMPP_UNBIND:
    case SMPP_UNBIND_RESP:
    case SMPP_GENERIC_NACK:
    case SMPP_CANCEL_SM_RESP:
    case SMPP_REPLACE_SM_RESP:
        return 1;
    default:
        return 0;
    }
}

/* Does libsmpp34 know this command_status?  (It refuses the others.) */
static int pdu_status_known(uint32_t status)
{
    char b[SMALL_BUFF];

    str_command_status(status, b);
    return b[0] != '\0';
}

/*
 * Which command_status answers a libsmpp34 failure.  Its error text is a
 * list of "[field:value(verdict)]" entries, the failing one last.  A field
 * that overran the PDU means the length is wrong (generic_nack
 * ESME_RINVCMDLEN); a field with a bad value gets that field's status in
 * the command's own response.
 */
static const struct {
    const char *field;
    uint32_t status;
} pdu_field_status[] = {
    {"service_type", SMPP_ESME_RINVSERTYP},     {"source_addr_ton", SMPP_ESME_RINVSRCTON},
    {"source_addr_npi", SMPP_ESME_RINVSRCNPI},  {"source_addr", SMPP_ESME_RINVSRCADR},
    {"dest_addr_ton", SMPP_ESME_RINVDSTTON},    {"dest_addr_npi", SMPP_ESME_RINVDSTNPI},
    {"destination_addr", SMPP_ESME_RINVDSTADR}, {"esm_class", SMPP_ESME_RINVESMCLASS},
    {"priority_flag", SMPP_ESME_RINVPRTFLG},    {"schedule_delivery_time", SMPP_ESME_RINVSCHED},
    {"validity_period", SMPP_ESME_RINVEXPIRY},  {"registered_delivery", SMPP_ESME_RINVREGDLVFLG},
    {"sm_length", SMPP_ESME_RINVMSGLEN},        {"short_message", SMPP_ESME_RINVMSGLEN},
    {"system_id", SMPP_ESME_RINVSYSID},         {"password", SMPP_ESME_RINVPASWD},
    {"system_type", SMPP_ESME_RINVSYSTYP},      {"addr_ton", SMPP_ESME_RBINDFAIL},
    {"addr_npi", SMPP_ESME_RBINDFAIL},          {"address_range", SMPP_ESME_RBINDFAIL},
    {"message_id", SMPP_ESME_RINVMSGID},        {"tag", SMPP_ESME_RINVOPTPARSTREAM},
    {"length", SMPP_ESME_RINVOPTPARSTREAM},     {"value", SMPP_ESME_RINVOPTPARSTREAM},
};

static void pdu_map_error(struct smpp_decode_error *err)
{
    const char *last = strrchr(smpp34_strerror, '[');
    size_t n;

    err->nack = 1;
    err->status = SMPP_ESME_RINVCMDLEN;
    if (last == NULL)
        return;
    if (strstr(last, "exceed buffer length") || strstr(last, "Error in PDU length"))
        return; /* the body is shorter or longer than command_length says */
    last++;
    n = strcspn(last, ":");
    for (size_t i = 0; i < sizeof(pdu_field_status) / sizeof(pdu_field_status[0]); i++) {
        if (strlen(pdu_field_status[i].field) == n &&
            strncmp(last, pdu_field_status[i].field, n) == 0) {
            err->nack = 0;
            err->status = pdu_field_status[i].status;
            return;
        }
    }
    err->status = SMPP_ESME_RSYSERR;
}

/* Copy a libsmpp34 C-octet field (NUL-terminated inside src_size) into dst. */
static void pdu_copy_cstr(char *dst, size_t dst_size, const uint8_t *src, size_t src_size)
{
    size_t n = strnlen((const char *)src, src_size);

    if (n >= dst_size)
        n = dst_size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

#define PDU_CSTR(dst, src) pdu_copy_cstr((dst), sizeof(dst), (src), sizeof(src))

/* All libsmpp34 structs that kpass decodes, in one piece of memory. */
union pdu_raw {
    bind_transmitter_t bind_tx;
    bind_receiver_t bind_rx;
    bind_transceiver_t bind_trx;
    bind_transmitter_resp_t bind_tx_resp;
    bind_receiver_resp_t bind_rx_resp;
    bind_transceiver_resp_t bind_trx_resp;
    outbind_t outbind;
    submit_sm_t submit;
    submit_sm_resp_t submit_resp;
    deliver_sm_t deliver;
    deliver_sm_resp_t deliver_resp;
    data_sm_t data;
    data_sm_resp_t data_resp;
};

static void pdu_raw_take(union pdu_raw *r, uint32_t id, struct smpp_pdu *out)
{
    switch (id) {
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSCEIVER: {
        /* The three bind structs share one layout (SMPP 3.4 §4.1.1). */
        const bind_transmitter_t *b = &r->bind_tx;
        PDU_CSTR(out->bind.system_id, b->system_id);
        PDU_CSTR(out->bind.password, b->password);
        PDU_CSTR(out->bind.system_type, b->system_type);
        out->bind.addr_ton = b->addr_ton;
        out->bind.addr_npi = b->addr_npi;
        PDU_CSTR(out->bind.address_range, b->address_range);
        break;
    }
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSCEIVER_RESP:
        PDU_CSTR(out->bind.system_id, r->bind_tx_resp.system_id);
        break;
    case SMPP_OUTBIND:
        PDU_CSTR(out->bind.system_id, r->outbind.system_id);
        PDU_CSTR(out->bind.password, r->outbind.password);
        break;
    case SMPP_SUBMIT_SM:
        SMPP_SM_FIELDS(&out->sm, &r->submit, PDU_CSTR);
        SMPP_SHORT_SM_FIELDS(&out->sm, &r->submit, PDU_CSTR);
        break;
    case SMPP_DELIVER_SM:
        SMPP_SM_FIELDS(&out->sm, &r->deliver, PDU_CSTR);
        SMPP_SHORT_SM_FIELDS(&out->sm, &r->deliver, PDU_CSTR);
        break;
    case SMPP_DATA_SM:
        SMPP_SM_FIELDS(&out->sm, &r->data, PDU_CSTR);
        break;
    case SMPP_SUBMIT_SM_RESP:
        PDU_CSTR(out->message_id, r->submit_resp.message_id);
        break;
    case SMPP_DATA_SM_RESP:
        PDU_CSTR(out->message_id, r->data_resp.message_id);
        break;
    default:
        break;
    }
}

/* Commands whose body libsmpp34 decodes for us. */
static int pdu_body_decoded(uint32_t id)
{
    switch (id) {
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSCEIVER:
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSCEIVER_RESP:
    case SMPP_OUTBIND:
    case SMPP_SUBMIT_SM:
    case SMPP_SUBMIT_SM_RESP:
    case SMPP_DELIVER_SM:
    case SMPP_DELIVER_SM_RESP:
    case SMPP_DATA_SM:
    case SMPP_DATA_SM_RESP:
        return 1;
    default:
        return 0;
    }
}

/*
 * Run libsmpp34 on a private copy of the PDU: NUL sentinel after the end,
 * and the values it refuses although SMPP 3.4 allows them masked.
 */
static int pdu_unpack(const uint8_t *buf, size_t len, size_t tlv_start, uint32_t id,
                      union pdu_raw *raw, uint8_t *interface_version, struct smpp_decode_error *err)
{
    uint8_t copy[SMPP_PDU_MAX + 1];
    uint32_t status = pdu_get32(buf + 8);
    int rc;

    memcpy(copy, buf, len);
    copy[len] = '\0';
    if (!pdu_status_known(status))
        pdu_put32(copy + 8, SMPP_ESME_RUNKNOWNERR); /* vendor 0x400-0x4FF etc. */
    if (pdu_get32(copy + 12) == 0)
        pdu_put32(copy + 12, 1); /* libsmpp34 refuses sequence 0 */
    if (id == SMPP_BIND_TRANSMITTER || id == SMPP_BIND_RECEIVER || id == SMPP_BIND_TRANSCEIVER) {
        /* SMPP 3.4 §4.1.1: interface_version follows system_id, password, system_type. */
        size_t off = SMPP_HEADER_LEN;
        for (int i = 0; i < 3 && off < len; i++)
            off += strnlen((const char *)copy + off, len - off) + 1;
        if (off < len) {
            *interface_version = copy[off];
            copy[off] = 0x34;
        }
    }
    if (tlv_start > 0) {
        /* libsmpp34 sees the mandatory part only (tlv.c says why). */
        len = tlv_start;
        pdu_put32(copy, (uint32_t)len);
        copy[len] = '\0';
    }
    memset(raw, 0, sizeof(*raw));
    rc = smpp34_unpack(id, raw, copy, (int)len);
    if (rc != 0) {
        pdu_heap_end(); /* the partial TLV list goes with the arena */
        pdu_map_error(err);
        return -KP_ERR_PARSE;
    }
    return 0;
}

/* Decode with libsmpp34 for every body (pure 0) or only for the session
   PDUs, the hot ones going to sm.c (pure 1). */
static int pdu_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                      struct smpp_decode_error *err, int pure)
{
    struct smpp_hdr h;
    union pdu_raw raw;
    size_t tlv_start;
    int rc;

    err->nack = 1;
    err->status = SMPP_ESME_RINVCMDLEN;
    if (smpp_frame_check(buf, len, &h) <= 0 || h.command_length != len)
        return -KP_ERR_PARSE;
    smpp_pdu_init(out, h.command_id, h.sequence_number);
    out->command_status = h.command_status;

    if (smpp_command_name(h.command_id) == NULL) {
        err->status = SMPP_ESME_RINVCMDID;
        return -KP_ERR_UNSUPPORTED;
    }
    if (smpp_command_header_only(h.command_id))
        return len == SMPP_HEADER_LEN ? 0 : -KP_ERR_PARSE;
    if (!pdu_body_decoded(h.command_id))
        return 0; /* known, body not used by kpass (query_sm, submit_multi, ...) */

    out->bind.interface_version = 0x34;
    if (pure && smpp_sm_handles(h.command_id))
        return smpp_sm_decode(buf, len, out, err);
    tlv_start = smpp_tlv_start(buf, len, h.command_id);
    pdu_heap_begin();
    rc = pdu_unpack(buf, len, tlv_start, h.command_id, &raw, &out->bind.interface_version, err);
    if (rc < 0)
        return rc;
    pdu_raw_take(&raw, h.command_id, out);
    pdu_heap_end();
    if (tlv_start > 0)
        rc = smpp_tlvs_parse(buf + tlv_start, len - tlv_start, SMPP_PDU_TLV_MAX, &out->tlv, err);
    return rc;
}

int smpp_pdu_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                    struct smpp_decode_error *err)
{
    return pdu_decode(buf, len, out, err, 1);
}

int smpp_pdu_decode_libsmpp34(const uint8_t *buf, size_t len, struct smpp_pdu *out,
                              struct smpp_decode_error *err)
{
    return pdu_decode(buf, len, out, err, 0);
}
