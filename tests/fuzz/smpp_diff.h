/* SPDX-License-Identifier: ISC */
/*
 * kpass's codec for the hot PDUs (src/smpp/sm.c) against libsmpp34, the
 * oracle: shared by the fuzz target fuzz_smpp_diff.c and the test over the
 * golden PDUs (tests/check_smpp_diff.c).
 */
#ifndef KPASS_TESTS_SMPP_DIFF_H
#define KPASS_TESTS_SMPP_DIFF_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one whole PDU (len == its command_length) with both codecs; when
 * it decodes, encode it with both; and encode the first octets of buf taken
 * as a struct smpp_pdu's fields with both.  Returns 0 when they agree
 * (outcome, command_status and generic_nack or not, every mandatory field,
 * every octet encoded) or differ only where kpass deliberately does (sm.c
 * lists where), else -1 with what differed in why.
 */
int smpp_diff_check(const uint8_t *buf, size_t len, char *why, size_t whysize);

#endif
