/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: citizens.csv reading (src/kpass/cmd/citizen_csv.c).  The input
 * is a whole file: the first line goes to the header check, every other
 * line to the row reader, as `kpass import citizens` does.  Any bytes must
 * give a row or a reason, never a crash; an accepted row must hold a
 * normalised CNIC, an E.164 number and fields that pass the store's check.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/kpass/cmd/citizen_csv.h"
#include "fuzz.h"

KP_FUZZ_TARGET(citizen_csv)
{
    char *copy = malloc(size + 1), why[CITIZEN_CSV_WHY];
    struct citizen_csv_row row;
    size_t pos = 0;
    int first = 1;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    while (pos < size) {
        char *line = copy + pos;
        char *nl = memchr(line, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + 1;
        if (first) {
            first = 0;
            citizen_csv_header(line, len, why, sizeof(why));
            continue;
        }
        /* The reader writes a NUL at line[len]: the newline's place, or the copy's end. */
        if (citizen_csv_row(line, len, &row, why, sizeof(why)) != 0)
            continue;
        if (!cnic_is_normal(row.cnic) || row.nmsisdn < 1 || row.nmsisdn > STORE_CITIZEN_MSISDNS ||
            store_citizen_check(&row.fields, NULL) != 0)
            abort();
        for (int i = 0; i < row.nmsisdn; i++)
            if (!msisdn_is_e164(row.msisdn[i]))
                abort();
    }
    free(copy);
    return 0;
}
