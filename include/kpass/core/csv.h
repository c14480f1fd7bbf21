/* SPDX-License-Identifier: ISC */
/*
 * A small RFC 4180 CSV reader: a buffer in, one record of fields out per
 * call, with the line number of every record and of every error.  Pure: the
 * caller reads the file; no I/O, no logging.
 *
 * What it accepts (RFC 4180 §2, with the usual relaxations):
 *   - records end with LF or CRLF; the last record may lack one;
 *   - fields are separated by ',' and may be quoted with '"'; a quote
 *     inside a quoted field is written twice ("a ""b"" c"); a quoted field
 *     may hold commas and line breaks (kept as they are);
 *   - an empty line is a record with one empty field;
 *   - a UTF-8 byte order mark at the very start is skipped (spreadsheets
 *     write one when saving "CSV UTF-8"; it carries no data).
 * What it refuses, each as an error naming the line:
 *   - a quote inside an unquoted field ("ab"c), anything but a comma or a
 *     line end after a closing quote ("ab"c), a quoted field never closed
 *     (named by the line it opened on), a CR not followed by LF, a NUL
 *     byte, bytes that are not UTF-8 (RFC 3629), more than CSV_FIELDS_MAX
 *     fields, a record whose fields (unquoted, joined by commas) take more
 *     than CSV_RECORD_MAX bytes.
 * After an error the reader has consumed the whole bad record (for an
 * unclosed quote: the rest of the input), so the caller may keep calling
 * csv_read() to report every bad record of a file in one run.
 *
 *   struct csv_reader r;  struct csv_record rec;  struct csv_error e;
 *   csv_reader_init(&r, text, len);
 *   while ((rc = csv_read(&r, &rec, &e)) != 0)
 *       if (rc < 0) printf("f.csv:%u: %s\n", e.line, e.reason);
 *       else        use(rec.field[0], rec.nfields);
 *   csv_reader_free(&r);
 */
#ifndef KPASS_CSV_H
#define KPASS_CSV_H

#include <stddef.h>

#include "kpass/core/buf.h"

#define CSV_FIELDS_MAX 64
#define CSV_RECORD_MAX 65536 /* bytes of a record's fields joined by commas */

struct csv_reader {
    const char *data;
    size_t len;
    size_t pos;        /* next byte to read */
    unsigned line;     /* physical line of data[pos], from 1 */
    struct kp_buf buf; /* the current record's fields, each NUL-terminated */
    size_t start[CSV_FIELDS_MAX];
};

struct csv_record {
    unsigned line;  /* line the record starts on */
    size_t nfields; /* at least 1 */
    /* NUL-terminated fields (no NUL inside: refused), valid until the next
       csv_read() or csv_reader_free(); owned by the reader. */
    const char *field[CSV_FIELDS_MAX];
    size_t len[CSV_FIELDS_MAX];
};

struct csv_error {
    unsigned line;      /* where the problem is (1-based) */
    const char *reason; /* static English text, e.g. "quoted field is never closed" */
};

/* Start reading len bytes at data (not copied: keep it alive). */
void csv_reader_init(struct csv_reader *r, const void *data, size_t len);
/* Release the reader's memory; the reader may be initialised again. */
void csv_reader_free(struct csv_reader *r);

/*
 * Read the next record into rec.  Returns 1 for a record, 0 at the end of
 * the input, or -KP_ERR_PARSE with *err set (the bad record is skipped;
 * calling again continues after it).
 */
int csv_read(struct csv_reader *r, struct csv_record *rec, struct csv_error *err);

/* Bytes of the input consumed so far (for progress reports). */
size_t csv_reader_offset(const struct csv_reader *r);

#endif
