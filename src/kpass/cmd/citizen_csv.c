/* SPDX-License-Identifier: ISC */
/*
 * citizens.csv lines into checked rows (see citizen_csv.h): a one-line
 * RFC 4180 splitter, the header check and the per-field rules.
 */
#include <stdio.h>
#include <string.h>

#include "citizen_csv.h"
#include "kpass/core/err.h"

static int csv_fail(char *why, size_t size, const char *text)
{
    snprintf(why, size, "%s", text);
    return -KP_ERR_PARSE;
}

/* One quoted field starting after its opening quote at line[*i]; unescaped in place. */
static int csv_quoted(char *line, size_t len, size_t *i, char **start, char *why, size_t size)
{
    size_t out = *i;

    *start = line + out;
    while (*i < len) {
        if (line[*i] != '"') {
            line[out++] = line[(*i)++];
            continue;
        }
        if (*i + 1 < len && line[*i + 1] == '"') { /* "" is one quote */
            line[out++] = '"';
            *i += 2;
            continue;
        }
        (*i)++; /* the closing quote */
        if (*i < len && line[*i] != ',')
            return csv_fail(why, size, "text after a closing quote");
        line[out] = '\0';
        return 0;
    }
    return csv_fail(why, size, "a quoted field does not end on its line");
}

int citizen_csv_split(char *line, size_t len, char **fields, int max, char *why, size_t whysize)
{
    size_t i = 0;
    int n = 0;

    for (;;) {
        char *start;
        if (i < len && line[i] == '"') {
            i++;
            if (csv_quoted(line, len, &i, &start, why, whysize) < 0)
                return -KP_ERR_PARSE;
        } else {
            start = line + i;
            while (i < len && line[i] != ',') {
                if (line[i] == '"')
                    return csv_fail(why, whysize, "a quote inside an unquoted field");
                i++;
            }
        }
        if (n < max)
            fields[n] = start;
        n++;
        if (i >= len) {
            line[len] = '\0'; /* ends the last unquoted field */
            return n;
        }
        line[i++] = '\0'; /* the comma */
    }
}

int citizen_csv_header(const char *line, size_t len, char *why, size_t whysize)
{
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    if (len != strlen(CITIZEN_CSV_HEADER) || memcmp(line, CITIZEN_CSV_HEADER, len) != 0)
        return csv_fail(why, whysize, "the header must be " CITIZEN_CSV_HEADER);
    return 0;
}

/* Copy src into a field buffer; -1 when it does not fit. */
static int csv_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* The ';'-separated numbers of field f into row.  0 or -KP_ERR_PARSE with why. */
static int csv_msisdns(char *f, struct citizen_csv_row *row, char *why, size_t whysize)
{
    enum msisdn_fault mf;
    char *p = f, *semi;
    int n = 0;

    do {
        char *e164 = row->msisdn[n];
        if ((semi = strchr(p, ';')) != NULL)
            *semi = '\0';
        if (n == STORE_CITIZEN_MSISDNS) {
            snprintf(why, whysize, "msisdn: at most %d numbers per citizen", STORE_CITIZEN_MSISDNS);
            return -KP_ERR_PARSE;
        }
        if (msisdn_parse(p, strlen(p), e164, &mf) < 0) {
            if (n == 0 && semi == NULL)
                snprintf(why, whysize, "msisdn: %s", msisdn_fault_text(mf));
            else
                snprintf(why, whysize, "msisdn %d: %s", n + 1, msisdn_fault_text(mf));
            return -KP_ERR_PARSE;
        }
        for (int k = 0; k < n; k++)
            if (strcmp(row->msisdn[k], e164) == 0) {
                snprintf(why, whysize, "msisdn %d: the same number as msisdn %d", n + 1, k + 1);
                return -KP_ERR_PARSE;
            }
        n++;
        p = semi + 1;
    } while (semi != NULL);
    row->nmsisdn = n;
    return 0;
}

int citizen_csv_row(char *line, size_t len, struct citizen_csv_row *row, char *why, size_t whysize)
{
    char *f[CITIZEN_CSV_FIELDS];
    enum cnic_fault cf;
    const char *reason;
    int n, status;

    memset(row, 0, sizeof(*row));
    if (len == 0)
        return csv_fail(why, whysize, "empty line");
    n = citizen_csv_split(line, len, f, CITIZEN_CSV_FIELDS, why, whysize);
    if (n < 0)
        return n;
    if (n != CITIZEN_CSV_FIELDS) {
        snprintf(why, whysize, "expected %d fields, found %d", CITIZEN_CSV_FIELDS, n);
        return -KP_ERR_PARSE;
    }
    if (cnic_parse(f[0], strlen(f[0]), row->cnic, &cf) < 0) {
        snprintf(why, whysize, "cnic: %s", cnic_fault_text(cf));
        return -KP_ERR_PARSE;
    }
    if (csv_copy(row->fields.name_en, sizeof(row->fields.name_en), f[1]) < 0)
        return csv_fail(why, whysize, "name_en: longer than 64 characters");
    if (csv_copy(row->fields.name_ur, sizeof(row->fields.name_ur), f[2]) < 0)
        return csv_fail(why, whysize, "name_ur: longer than 64 characters");
    if (csv_copy(row->fields.district, sizeof(row->fields.district), f[3]) < 0)
        return csv_fail(why, whysize, "district: a code of 2 to 8 capital letters and digits");
    if (csv_msisdns(f[4], row, why, whysize) < 0)
        return -KP_ERR_PARSE;
    if ((status = store_citizen_status_parse(f[5])) < 0)
        return csv_fail(why, whysize, "status: active, blocked or deceased");
    row->fields.status = (enum store_citizen_status)status;
    if (store_citizen_check(&row->fields, &reason) < 0)
        return csv_fail(why, whysize, reason);
    return 0;
}
