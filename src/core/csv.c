/* SPDX-License-Identifier: ISC */
/*
 * The RFC 4180 CSV reader (see csv.h for what it accepts and refuses).
 * One call reads one record: fields are unquoted into the reader's buffer,
 * each NUL-terminated; the first problem met in a record is remembered with
 * its line while the rest of the record is still consumed, so that parsing
 * resumes cleanly at the next record.
 */
#include <string.h>

#include "kpass/core/csv.h"
#include "kpass/core/err.h"

enum csv_end { CSV_MORE, CSV_END };

struct csv_state {
    const char *reason; /* first problem in this record, or NULL */
    unsigned line;      /* its line */
    int overflow;       /* the record outgrew CSV_RECORD_MAX */
};

void csv_reader_init(struct csv_reader *r, const void *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
    r->line = 1;
    /* A UTF-8 byte order mark (EF BB BF) carries no data: skip it. */
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        r->pos = 3;
}

void csv_reader_free(struct csv_reader *r)
{
    kp_buf_free(&r->buf);
    memset(r, 0, sizeof(*r));
}

size_t csv_reader_offset(const struct csv_reader *r)
{
    return r->pos;
}

static void csv_fail(struct csv_state *cs, unsigned line, const char *reason)
{
    if (cs->reason == NULL) {
        cs->reason = reason;
        cs->line = line;
    }
}

static void csv_put(struct csv_reader *r, struct csv_state *cs, const char *p, size_t n)
{
    if (n == 0 || cs->overflow)
        return;
    if (r->buf.len + n > CSV_RECORD_MAX) {
        cs->overflow = 1;
        csv_fail(cs, r->line, "record longer than 65536 bytes");
        return;
    }
    kp_buf_append(&r->buf, p, n);
}

/* The offset of the first byte of s[0..n) that breaks UTF-8 (RFC 3629 §4:
   no overlong forms, no surrogates, nothing above U+10FFFF), or n. */
static size_t csv_utf8_check(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], need, min, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, min = 0x80, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, min = 0x800, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, min = 0x10000, cp = c & 0x07;
        else
            return i;
        if (n - i <= need)
            return i;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += need + 1;
    }
    return n;
}

/* After a field's text: a comma, a line end (LF or CRLF) or the input's end. */
static int csv_field_end(struct csv_reader *r, struct csv_state *cs, int *done)
{
    char c = r->data[r->pos];

    *done = 1;
    if (c == ',') {
        r->pos++;
        return CSV_MORE;
    }
    if (c == '\n') {
        r->pos++;
        r->line++;
        return CSV_END;
    }
    if (c == '\r' && r->pos + 1 < r->len && r->data[r->pos + 1] == '\n') {
        r->pos += 2;
        r->line++;
        return CSV_END;
    }
    *done = 0;
    if (c == '\r')
        csv_fail(cs, r->line, "CR not followed by LF");
    else if (c == '\0')
        csv_fail(cs, r->line, "NUL byte");
    return CSV_MORE;
}

/* An unquoted field (or what follows a closing quote): up to ',' or a line end. */
static int csv_field_plain(struct csv_reader *r, struct csv_state *cs)
{
    for (;;) {
        size_t s = r->pos;
        int done, end;
        while (r->pos < r->len) {
            char c = r->data[r->pos];
            if (c == ',' || c == '\n' || c == '\r' || c == '"' || c == '\0')
                break;
            r->pos++;
        }
        csv_put(r, cs, r->data + s, r->pos - s);
        if (r->pos >= r->len)
            return CSV_END;
        if (r->data[r->pos] == '"') {
            /* RFC 4180 §2.5: quotes may not appear inside an unquoted field. */
            csv_fail(cs, r->line, "quote inside an unquoted field");
            csv_put(r, cs, "\"", 1);
            r->pos++;
            continue;
        }
        end = csv_field_end(r, cs, &done);
        if (done)
            return end;
        r->pos++; /* a bare CR or a NUL: reported, dropped */
    }
}

/* A quoted field, r->pos on the opening quote (RFC 4180 §2.5-2.7). */
static int csv_field_quoted(struct csv_reader *r, struct csv_state *cs)
{
    unsigned opened = r->line;
    int done, end;

    r->pos++;
    for (;;) {
        size_t s = r->pos;
        while (r->pos < r->len) {
            char c = r->data[r->pos];
            if (c == '"' || c == '\n' || c == '\0')
                break;
            r->pos++;
        }
        csv_put(r, cs, r->data + s, r->pos - s);
        if (r->pos >= r->len) {
            csv_fail(cs, opened, "quoted field is never closed");
            return CSV_END;
        }
        char c = r->data[r->pos++];
        if (c == '\n') {
            r->line++;
            csv_put(r, cs, "\n", 1);
        } else if (c == '\0') {
            csv_fail(cs, r->line, "NUL byte");
        } else if (r->pos < r->len && r->data[r->pos] == '"') {
            csv_put(r, cs, "\"", 1); /* "" is one quote */
            r->pos++;
        } else {
            break; /* the closing quote */
        }
    }
    if (r->pos >= r->len)
        return CSV_END;
    end = csv_field_end(r, cs, &done);
    if (done)
        return end;
    csv_fail(cs, r->line, "text after a closing quote");
    return csv_field_plain(r, cs);
}

int csv_read(struct csv_reader *r, struct csv_record *rec, struct csv_error *err)
{
    struct csv_state cs = {NULL, 0, 0};
    size_t nf = 0;
    int end;

    if (r->pos >= r->len)
        return 0;
    kp_buf_reset(&r->buf);
    rec->line = r->line;
    do {
        unsigned fline = r->line;
        size_t fstart = r->buf.len, bad;
        if (nf == CSV_FIELDS_MAX)
            csv_fail(&cs, r->line, "more than 64 fields");
        if (r->pos < r->len && r->data[r->pos] == '"')
            end = csv_field_quoted(r, &cs);
        else
            end = csv_field_plain(r, &cs);
        bad = csv_utf8_check((const unsigned char *)r->buf.data + fstart, r->buf.len - fstart);
        if (bad < r->buf.len - fstart) {
            const char *p = r->buf.data + fstart;
            for (size_t i = 0; i < bad; i++)
                fline += p[i] == '\n';
            csv_fail(&cs, fline, "not valid UTF-8");
        }
        kp_buf_append(&r->buf, "", 1); /* the field's NUL */
        if (nf < CSV_FIELDS_MAX)
            r->start[nf] = fstart;
        nf++;
    } while (end == CSV_MORE);
    if (cs.reason) {
        err->line = cs.line;
        err->reason = cs.reason;
        return -KP_ERR_PARSE;
    }
    rec->nfields = nf;
    for (size_t i = 0; i < nf; i++) {
        rec->field[i] = r->buf.data + r->start[i];
        rec->len[i] = (i + 1 < nf ? r->start[i + 1] : r->buf.len) - r->start[i] - 1;
    }
    return 1;
}
