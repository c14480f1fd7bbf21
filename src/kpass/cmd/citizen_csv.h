/* SPDX-License-Identifier: ISC */
/*
 * Private to `kpass import citizens`: reading one line of citizens.csv
 * (etc/seed/README.md: cnic,name_en,name_ur,district,msisdn,status) into
 * a checked row.  Pure: a line in, a row or the reason out.  The msisdn
 * column holds one number or several separated by ';'
 * ("0300 1234567;+923451234567"), at most STORE_CITIZEN_MSISDNS.
 *
 * The line splitter here is a tiny RFC 4180 reader for one line (the
 * README forbids fields that span lines).  It is local on purpose: the
 * shared CSV reader (include/kpass/csv.h) was being written in another
 * branch at the same time; once both are merged, citizen_csv_split()
 * should give way to it.
 *
 * This file is built into libkpass.a (see src/kpass/module.mk) so that the
 * Check suite and the fuzz target can call it directly.
 */
#ifndef KPASS_CITIZEN_CSV_H
#define KPASS_CITIZEN_CSV_H

#include <stddef.h>

#include "kpass/id/cnic.h"
#include "kpass/id/msisdn.h"
#include "kpass/store/citizen.h"

#define CITIZEN_CSV_FIELDS 6
#define CITIZEN_CSV_HEADER "cnic,name_en,name_ur,district,msisdn,status"
#define CITIZEN_CSV_WHY    128 /* room for a reason */

struct citizen_csv_row {
    char cnic[CNIC_SIZE];                            /* normalised */
    char msisdn[STORE_CITIZEN_MSISDNS][MSISDN_SIZE]; /* E.164, nmsisdn of them */
    int nmsisdn;                                     /* 1 to STORE_CITIZEN_MSISDNS */
    struct store_citizen fields;
};

/*
 * Split line[0..len) (no line end) into at most max fields, in place:
 * quotes are removed and "" inside a quoted field becomes ", each field is
 * NUL-terminated (line needs room for len + 1 octets).  RFC 4180 §2: a
 * field is quoted only as a whole; a quote inside an unquoted field, text
 * after a closing quote and an unterminated quote are errors.  Returns the
 * field count (counting past max, so "too many" can be told), or
 * -KP_ERR_PARSE with the reason in why.
 */
int citizen_csv_split(char *line, size_t len, char **fields, int max, char *why, size_t whysize);

/*
 * Check the header line: exactly CITIZEN_CSV_HEADER, after a UTF-8 byte
 * order mark if there is one (spreadsheet programs on Windows write one;
 * it carries no data, and the directory's CSV reader skips it too).
 * 0 or -KP_ERR_PARSE with why.
 */
int citizen_csv_header(const char *line, size_t len, char *why, size_t whysize);

/*
 * One data line into row: split, then every field checked (cnic_parse,
 * msisdn_parse on each ';'-separated number, no number twice,
 * store_citizen_check, the status name).  The reasons name the field (and
 * which number of a list: "msisdn 2: ...") and never quote a CNIC or a
 * number ("cnic: a CNIC has 13 digits; found fewer").  line is changed in
 * place.  0 or -KP_ERR_PARSE.
 */
int citizen_csv_row(char *line, size_t len, struct citizen_csv_row *row, char *why, size_t whysize);

#endif
