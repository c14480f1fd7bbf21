/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the CSV reader.  Any bytes must give records and errors
 * until the end, never a crash, a leak or a read past the input; every
 * record's fields are NUL-terminated at their stated length, every error
 * names a line within the input, and the reader always makes progress.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/core/csv.h"
#include "kpass/core/log.h"

KP_FUZZ_TARGET(csv)
{
    struct csv_reader r;
    struct csv_record rec;
    struct csv_error e;
    size_t lines = 1, last = 0;
    int rc;

    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    csv_reader_init(&r, data, size);
    while ((rc = csv_read(&r, &rec, &e)) != 0) {
        size_t at = csv_reader_offset(&r);
        if (at <= last && at != size)
            fatalx("fuzz csv: no progress at %zu", at);
        last = at;
        if (rc < 0) {
            if (e.line == 0 || e.line > lines || e.reason == NULL)
                fatalx("fuzz csv: bad error line %u", e.line);
            continue;
        }
        if (rec.nfields == 0 || rec.nfields > CSV_FIELDS_MAX || rec.line > lines)
            fatalx("fuzz csv: bad record");
        for (size_t i = 0; i < rec.nfields; i++)
            if (strlen(rec.field[i]) != rec.len[i])
                fatalx("fuzz csv: field %zu length", i);
    }
    csv_reader_free(&r);
    return 0;
}
