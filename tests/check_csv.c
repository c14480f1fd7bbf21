/* SPDX-License-Identifier: ISC */
/*
 * csv: the RFC 4180 reader on a table of good and bad inputs, each with
 * the exact records (and their line numbers) or errors it must give,
 * recovery after an error, the size limits, and the shipped seed files.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/csv.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "testutil.h"

/*
 * Render everything the reader gives for text: a record as
 * "<line>[field|field]", an error as "!<line> <reason>;".
 */
static char *csv_render(const char *text, size_t len)
{
    struct csv_reader r;
    struct csv_record rec;
    struct csv_error e;
    struct kp_buf out = KP_BUF_INIT;
    int rc, guard = 0;

    csv_reader_init(&r, text, len);
    while ((rc = csv_read(&r, &rec, &e)) != 0) {
        ck_assert_int_lt(++guard, 1000);
        if (rc < 0) {
            ck_assert_int_eq(rc, -KP_ERR_PARSE);
            kp_buf_printf(&out, "!%u %s;", e.line, e.reason);
            continue;
        }
        ck_assert_int_eq(rc, 1);
        kp_buf_printf(&out, "%u[", rec.line);
        for (size_t i = 0; i < rec.nfields; i++) {
            ck_assert_uint_eq(strlen(rec.field[i]), rec.len[i]);
            kp_buf_printf(&out, "%s%s", i ? "|" : "", rec.field[i]);
        }
        kp_buf_puts(&out, "]");
    }
    /* At the end every byte has been consumed, and reading again stays at the end. */
    ck_assert_uint_eq(csv_reader_offset(&r), len);
    ck_assert_int_eq(csv_read(&r, &rec, &e), 0);
    csv_reader_free(&r);
    /* kp_buf_steal() of a never-used buffer returns unterminated memory
       (reported to the lead): terminate it first. */
    kp_buf_append(&out, "", 0);
    return kp_buf_steal(&out);
}

static const struct {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *want;
} csv_cases[] = {
    /* Good input. */
    {"", 0, ""},
    {"a,b,c\n", 0, "1[a|b|c]"},
    {"a,b,c", 0, "1[a|b|c]"},                   /* no final newline */
    {"a,b\r\nc,d\r\n", 0, "1[a|b]2[c|d]"},      /* CRLF */
    {"a,b\nc,d\r\ne\n", 0, "1[a|b]2[c|d]3[e]"}, /* mixed line ends */
    {",,\n", 0, "1[||]"},                       /* empty fields */
    {"a,\n", 0, "1[a|]"},
    {"a,", 0, "1[a|]"},
    {"\n", 0, "1[]"}, /* an empty line: one empty field */
    {"a\n\nb\n", 0, "1[a]2[]3[b]"},
    {"\"a,b\",c\n", 0, "1[a,b|c]"},                   /* quoted comma */
    {"\"say \"\"hi\"\"\",x\n", 0, "1[say \"hi\"|x]"}, /* escaped quotes */
    {"\"\"\"\"\n", 0, "1[\"]"},
    {"\"\",\"\"\n", 0, "1[|]"},                              /* quoted empty fields */
    {"\"line1\nline2\",x\ny\n", 0, "1[line1\nline2|x]3[y]"}, /* embedded newline */
    {"\"a\r\nb\"\r\nc\r\n", 0, "1[a\r\nb]3[c]"},             /* embedded CRLF kept */
    {"\"a\",\"b\"", 0, "1[a|b]"},                            /* quoted, no final newline */
    {"\357\273\277a,b\n", 0, "1[a|b]"},                      /* leading BOM (EF BB BF) skipped */
    {"\xef\xbb\xbf", 0, ""},
    {"a\n\357\273\277b\n", 0, "1[a]2[\357\273\277b]"}, /* only a leading one */
    {"PSH,پشاور,پېښور\n", 0, "1[PSH|پشاور|پېښور]"},
    {"a b , c\n", 0, "1[a b | c]"},                   /* spaces are data */
    {"\xf0\x9f\x98\x80\n", 0, "1[\xf0\x9f\x98\x80]"}, /* 4-byte UTF-8 */
    /* Bad input: the exact line, then recovery at the next record. */
    {"ab\"c\nx\n", 0, "!1 quote inside an unquoted field;2[x]"},
    {"a,b\"\n", 0, "!1 quote inside an unquoted field;"},
    {"\"ab\"c,d\nx\n", 0, "!1 text after a closing quote;2[x]"},
    {"\"a\" ,b\n", 0, "!1 text after a closing quote;"},
    {"x\n\"a\nb\nc\",\"d\"e\nf\n", 0, "1[x]!4 text after a closing quote;5[f]"},
    {"a,\"open\nb\nc\n", 0, "!1 quoted field is never closed;"},
    {"a,b\n\"c\n", 0, "1[a|b]!2 quoted field is never closed;"},
    {"x\n\"a\"\"\n", 0, "1[x]!2 quoted field is never closed;"},
    {"a\rb\nc\n", 0, "!1 CR not followed by LF;2[c]"},
    {"a\r", 0, "!1 CR not followed by LF;"},
    {"a\0b\nc\n", 5, "!1 NUL byte;2[c]"},
    {"\"a\0b\"\nc\n", 7, "!1 NUL byte;2[c]"},
    {"a\n\xff\nb\n", 0, "1[a]!2 not valid UTF-8;3[b]"},
    {"\"x\ny\xc3\",z\n", 0, "!2 not valid UTF-8;"},   /* truncated sequence */
    {"\xc0\xaf\n", 0, "!1 not valid UTF-8;"},         /* overlong '/' */
    {"\xe0\x80\xaf\n", 0, "!1 not valid UTF-8;"},     /* overlong, 3 bytes */
    {"\xed\xa0\x80\n", 0, "!1 not valid UTF-8;"},     /* surrogate U+D800 */
    {"\xf4\x90\x80\x80\n", 0, "!1 not valid UTF-8;"}, /* above U+10FFFF */
    {"\xc3(\n", 0, "!1 not valid UTF-8;"},            /* bad continuation */
    {"ok,\"a\"b\"c\nbad\"\n", 0,
     "!1 text after a closing quote;!2 quote inside an unquoted field;"},
};

START_TEST(test_csv_table)
{
    const char *in = csv_cases[_i].in;
    size_t len = csv_cases[_i].len ? csv_cases[_i].len : strlen(in);
    char *got = csv_render(in, len);

    ck_assert_msg(strcmp(got, csv_cases[_i].want) == 0, "case %d: want '%s', got '%s'", _i,
                  csv_cases[_i].want, got);
    free(got);
}
END_TEST

/* 64 fields are fine, 65 are refused; the next record is still read. */
START_TEST(test_csv_field_limit)
{
    struct kp_buf in = KP_BUF_INIT;
    char *got;

    for (int i = 0; i < CSV_FIELDS_MAX; i++)
        kp_buf_printf(&in, "%s%d", i ? "," : "", i);
    kp_buf_puts(&in, "\n");
    got = csv_render(in.data, in.len);
    ck_assert_ptr_nonnull(strstr(got, "|63]"));
    ck_assert_ptr_null(strchr(got, '!'));
    free(got);
    kp_buf_reset(&in);
    for (int i = 0; i <= CSV_FIELDS_MAX; i++)
        kp_buf_printf(&in, "%s%d", i ? "," : "", i);
    kp_buf_puts(&in, "\nlast\n");
    got = csv_render(in.data, in.len);
    ck_assert_str_eq(got, "!1 more than 64 fields;2[last]");
    free(got);
    kp_buf_free(&in);
}
END_TEST

/* A record of exactly CSV_RECORD_MAX bytes of fields passes; one more byte does not. */
START_TEST(test_csv_record_limit)
{
    struct kp_buf in = KP_BUF_INIT;
    struct csv_reader r;
    struct csv_record rec;
    struct csv_error e;

    /* Two fields joined by a comma: exactly the limit. */
    for (int i = 0; i < CSV_RECORD_MAX - 2; i++)
        kp_buf_putc(&in, 'x');
    kp_buf_puts(&in, ",y\n\"");
    for (int i = 0; i < CSV_RECORD_MAX + 1; i++)
        kp_buf_putc(&in, 'z');
    kp_buf_puts(&in, "\"\nend\n");
    csv_reader_init(&r, in.data, in.len);
    ck_assert_int_eq(csv_read(&r, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 2);
    ck_assert_uint_eq(rec.len[0], CSV_RECORD_MAX - 2);
    ck_assert_int_eq(csv_read(&r, &rec, &e), -KP_ERR_PARSE);
    ck_assert_uint_eq(e.line, 2);
    ck_assert_str_eq(e.reason, "record longer than 65536 bytes");
    ck_assert_int_eq(csv_read(&r, &rec, &e), 1);
    ck_assert_uint_eq(rec.line, 3);
    ck_assert_str_eq(rec.field[0], "end");
    ck_assert_int_eq(csv_read(&r, &rec, &e), 0);
    csv_reader_free(&r);
    csv_reader_free(&r); /* freeing twice is harmless */
    kp_buf_free(&in);
}
END_TEST

/* Every input truncated at every length parses without overrunning, and a
   reader reports the offset it reached for progress bars. */
START_TEST(test_csv_truncations)
{
    static const char text[] = "code,name\n\"A,\"\"1\"\"\",پشاور\r\n\"x\ny\",z\n";
    size_t len = sizeof(text) - 1;

    for (size_t n = 0; n <= len; n++) {
        char *copy = kp_malloc(n ? n : 1);
        memcpy(copy, text, n);
        char *got = csv_render(copy, n);
        free(got);
        free(copy);
    }
}
END_TEST

/* The shipped seed files read without error, one record per line, with
   the header's field count everywhere. */
START_TEST(test_csv_seed_files)
{
    static const char *const files[] = {"departments", "districts", "services", "offices",
                                        "citizens"};
    for (size_t f = 0; f < KP_ARRAY_LEN(files); f++) {
        char path[1024];
        size_t len, lines = 0, nrec = 0, width = 0;
        struct csv_reader r;
        struct csv_record rec;
        struct csv_error e;
        int rc;

        snprintf(path, sizeof(path), "%s/etc/seed/%s.csv", tu_top(), files[f]);
        uint8_t *data = tu_read_file(path, &len);
        ck_assert_msg(data != NULL, "cannot read %s", path);
        for (size_t i = 0; i < len; i++)
            lines += data[i] == '\n';
        csv_reader_init(&r, data, len);
        while ((rc = csv_read(&r, &rec, &e)) == 1) {
            nrec++;
            ck_assert_uint_eq(rec.line, nrec);
            if (width == 0)
                width = rec.nfields;
            ck_assert_uint_eq(rec.nfields, width);
        }
        ck_assert_msg(rc == 0, "%s:%u: %s", path, e.line, e.reason);
        ck_assert_uint_eq(nrec, lines);
        ck_assert_uint_ge(width, 4);
        csv_reader_free(&r);
        free(data);
    }
}
END_TEST

Suite *suite_csv(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("csv");

    tcase_add_loop_test(tc, test_csv_table, 0, (int)KP_ARRAY_LEN(csv_cases));
    tcase_add_test(tc, test_csv_field_limit);
    tcase_add_test(tc, test_csv_record_limit);
    tcase_add_test(tc, test_csv_truncations);
    tcase_add_test(tc, test_csv_seed_files);
    suite_add_tcase(s, tc);
    return s;
}
