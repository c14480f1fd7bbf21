/* SPDX-License-Identifier: ISC */
/*
 * A blocking SMPP peer for tests: encode with the project's codec, write to
 * a loopback socket, read back exactly one PDU with a timeout.
 */
#ifndef KPASS_TESTS_SMPPUTIL_H
#define KPASS_TESTS_SMPPUTIL_H

#include <stdint.h>

#include "kpass/smpp/pdu.h"

/* Encode and send; the sequence number is the pdu's.  0 or -1. */
int tu_smpp_send(int fd, const struct smpp_pdu *p);
/* Send raw octets (hex); 0 or -1. */
int tu_smpp_send_hex(int fd, const char *hex);
/* Read one PDU within timeout_ms: 0, -1 on timeout, -2 when the peer closed,
   -3 when it does not decode (the header is still filled in). */
int tu_smpp_recv(int fd, struct smpp_pdu *p, int timeout_ms);
/* Read PDUs until one with command_id arrives (answering enquire_link on
   the way); 0, or < 0 as tu_smpp_recv. */
int tu_smpp_expect(int fd, uint32_t command_id, struct smpp_pdu *p, int timeout_ms);
/* True when the peer closes the connection within timeout_ms (PDUs before it are skipped). */
int tu_smpp_closed(int fd, int timeout_ms);
/*
 * Connect to 127.0.0.1:port and bind with bind_cmd (SMPP_BIND_TRANSCEIVER,
 * ...).  Returns the fd with *status the bind_resp's command_status
 * (the fd is returned even when the bind was refused), or -1.
 */
int tu_smpp_bind(int port, uint32_t bind_cmd, const char *system_id, const char *password,
                 uint32_t *status);

#endif
