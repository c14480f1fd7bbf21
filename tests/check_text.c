/* SPDX-License-Identifier: ISC */
/*
 * text: GSM 03.38 and UCS-2 codecs.  Every GSM character both ways, the
 * extension table costing two septets, golden wire bytes with the spec
 * reference, text_choose / text_fit at every boundary, and tables of
 * invalid UTF-8, UCS-2 and GSM input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "testutil.h"

static void hex_of(const struct kp_buf *b, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < b->len && n + 4 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%02X", i ? " " : "", (uint8_t)b->data[i]);
}

/*
 * Every code point below U+0400 and the euro sign: the ones that encode in
 * GSM must decode back to themselves, and exactly 127 basic characters
 * (128 septets minus ESC) plus 10 extension characters must encode.
 */
START_TEST(test_gsm7_every_char)
{
    int basic = 0, ext = 0;

    for (uint32_t cp = 0; cp <= 0x20ac; cp = cp == 0x3ff ? 0x20ac : cp + 1) {
        char u[4];
        size_t n = text_utf8_put(cp, u);
        struct kp_buf wire = KP_BUF_INIT, back = KP_BUF_INIT;
        int rc = text_encode(u, n, TEXT_GSM7, &wire);
        int units = text_units(u, n, TEXT_GSM7);

        if (rc < 0) {
            ck_assert_int_eq(rc, -KP_ERR_ENCODING);
            ck_assert_int_eq(units, -KP_ERR_ENCODING);
            ck_assert_uint_eq(wire.len, 0);
            ck_assert_int_eq(text_choose(u, n), TEXT_UCS2);
        } else {
            ck_assert_int_eq(rc, units);
            ck_assert_int_eq(text_choose(u, n), TEXT_GSM7);
            if (rc == 1) {
                basic++;
                ck_assert_uint_lt((uint8_t)wire.data[0], 0x80);
                ck_assert_uint_ne((uint8_t)wire.data[0], 0x1b);
            } else {
                ck_assert_int_eq(rc, 2);
                ck_assert_uint_eq((uint8_t)wire.data[0], 0x1b);
                ext++;
            }
            ck_assert_int_eq(text_decode((const uint8_t *)wire.data, wire.len, 0, &back), (int)n);
            ck_assert_mem_eq(back.data, u, n);
        }
        kp_buf_free(&wire);
        kp_buf_free(&back);
    }
    ck_assert_int_eq(basic, 127);
    ck_assert_int_eq(ext, 10);
}
END_TEST

/* Every septet decodes and re-encodes to itself (ESC aside). */
START_TEST(test_gsm7_every_septet)
{
    for (int s = 0; s < 0x80; s++) {
        uint8_t in[1] = {(uint8_t)s};
        struct kp_buf u = KP_BUF_INIT, wire = KP_BUF_INIT;

        if (s == 0x1b) {
            ck_assert_int_eq(text_decode(in, 1, 0, &u), -KP_ERR_ENCODING);
            kp_buf_free(&u);
            continue;
        }
        ck_assert_int_gt(text_decode(in, 1, 0, &u), 0);
        ck_assert_int_eq(text_encode(u.data, u.len, TEXT_GSM7, &wire), 1);
        ck_assert_uint_eq((uint8_t)wire.data[0], (uint8_t)s);
        kp_buf_free(&u);
        kp_buf_free(&wire);
    }
}
END_TEST

/* The named characters of the brief, each as its septet (23.038 §6.2.1). */
static const struct {
    const char *utf8;
    const char *hex;
} gsm_golden[] = {
    {"@£$¥èéùìòÇ\nØø\rÅå", "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"},
    {"Δ_ΦΓΛΩΠΨΣΘΞ", "10 11 12 13 14 15 16 17 18 19 1A"},
    {"ÆæßÉ ¤¡ÄÖÑÜ§¿äöñüà", "1C 1D 1E 1F 20 24 40 5B 5C 5D 5E 5F 60 7B 7C 7D 7E 7F"},
    {"Hello", "48 65 6C 6C 6F"},
    /* §6.2.1.1 extension table: ESC (0x1B) + code, two septets each */
    {"^{}\\[~]|€\f", "1B 14 1B 28 1B 29 1B 2F 1B 3C 1B 3D 1B 3E 1B 40 1B 65 1B 0A"},
    {"Fee: €5 [paid]", "46 65 65 3A 20 1B 65 35 20 1B 3C 70 61 69 64 1B 3E"},
    {"", ""},
};

START_TEST(test_gsm7_golden)
{
    struct kp_buf wire = KP_BUF_INIT, back = KP_BUF_INIT;
    const char *u = gsm_golden[_i].utf8;
    char hex[512];

    ck_assert_int_ge(text_encode(u, strlen(u), TEXT_GSM7, &wire), 0);
    hex_of(&wire, hex, sizeof(hex));
    ck_assert_str_eq(hex, gsm_golden[_i].hex);
    ck_assert_int_eq(text_units(u, strlen(u), TEXT_GSM7), (int)wire.len);
    ck_assert_int_eq(text_decode((const uint8_t *)wire.data, wire.len, 0, &back), (int)strlen(u));
    ck_assert_str_eq(back.data ? back.data : "", u);
    kp_buf_free(&wire);
    kp_buf_free(&back);
}
END_TEST

/* UCS-2 big-endian, SMPP 3.4 §5.2.19 data_coding 8; RFC 2781 surrogates. */
static const struct {
    const char *utf8;
    const char *hex;
    int units;
} ucs2_golden[] = {
    {"اردو", "06 27 06 31 06 2F 06 48", 4},
    {"خیبر پاس", "06 2E 06 CC 06 28 06 31 00 20 06 7E 06 27 06 33", 8},
    {"A€", "00 41 20 AC", 2},
    {"A😀", "00 41 D8 3D DE 00", 3},
    {"\xf4\x8f\xbf\xbf", "DB FF DF FF", 2}, /* U+10FFFF */
};

START_TEST(test_ucs2_golden)
{
    struct kp_buf wire = KP_BUF_INIT, back = KP_BUF_INIT;
    const char *u = ucs2_golden[_i].utf8;
    char hex[512];

    ck_assert_int_eq(text_encode(u, strlen(u), TEXT_UCS2, &wire), (int)ucs2_golden[_i].units * 2);
    hex_of(&wire, hex, sizeof(hex));
    ck_assert_str_eq(hex, ucs2_golden[_i].hex);
    ck_assert_int_eq(text_units(u, strlen(u), TEXT_UCS2), ucs2_golden[_i].units);
    ck_assert_int_eq(text_decode((const uint8_t *)wire.data, wire.len, 8, &back), (int)strlen(u));
    ck_assert_str_eq(back.data, u);
    kp_buf_free(&wire);
    kp_buf_free(&back);
}
END_TEST

static const struct {
    const char *utf8;
    enum text_enc enc;
    int gsm_units; /* -1: not GSM */
} choose_cases[] = {
    {"", TEXT_GSM7, 0},
    {"1 Find a service\n2 Get a code", TEXT_GSM7, 29},
    {"Price: 5€ {approx}", TEXT_GSM7, 21},
    {"اردو", TEXT_UCS2, -1},
    {"1 اردو", TEXT_UCS2, -1},
    {"Khyber Pass / خیبر پاس", TEXT_UCS2, -1},
    {"`backtick`", TEXT_UCS2, -1},
    {"ç (small c cedilla is not GSM)", TEXT_UCS2, -1},
    {"Ça", TEXT_GSM7, 2},
    {"tab\there", TEXT_UCS2, -1},
    {"bad \xff utf8", TEXT_UCS2, -1},
};

START_TEST(test_choose)
{
    const char *s = choose_cases[_i].utf8;

    ck_assert_int_eq(text_choose(s, strlen(s)), choose_cases[_i].enc);
    if (choose_cases[_i].gsm_units >= 0)
        ck_assert_int_eq(text_units(s, strlen(s), TEXT_GSM7), choose_cases[_i].gsm_units);
    else
        ck_assert_int_eq(text_units(s, strlen(s), TEXT_GSM7), -KP_ERR_ENCODING);
}
END_TEST

static const struct {
    const char *utf8;
    enum text_enc enc;
    size_t max;
    size_t bytes;
} fit_cases[] = {
    /* "ab€cd": a=1 b=1 €=2 (ESC + 0x65) c=1 d=1 septets; € is 3 UTF-8 bytes */
    {"ab€cd", TEXT_GSM7, 0, 0},
    {"ab€cd", TEXT_GSM7, 1, 1},
    {"ab€cd", TEXT_GSM7, 2, 2},
    {"ab€cd", TEXT_GSM7, 3, 2}, /* never split ESC + code */
    {"ab€cd", TEXT_GSM7, 4, 5},
    {"ab€cd", TEXT_GSM7, 5, 6},
    {"ab€cd", TEXT_GSM7, 6, 7},
    {"ab€cd", TEXT_GSM7, 100, 7},
    {"{", TEXT_GSM7, 1, 0},
    {"{", TEXT_GSM7, 2, 1},
    /* UCS-2: a multi-byte UTF-8 character is one unit and never split */
    {"ab€cd", TEXT_UCS2, 2, 2},
    {"ab€cd", TEXT_UCS2, 3, 5},
    {"aاب", TEXT_UCS2, 1, 1},
    {"aاب", TEXT_UCS2, 2, 3},
    {"aاب", TEXT_UCS2, 3, 5},
    /* a surrogate pair costs 2 and is never split */
    {"a😀b", TEXT_UCS2, 1, 1},
    {"a😀b", TEXT_UCS2, 2, 1},
    {"a😀b", TEXT_UCS2, 3, 5},
    {"a😀b", TEXT_UCS2, 4, 6},
    /* stops before a character the encoding cannot carry, or bad UTF-8 */
    {"abاc", TEXT_GSM7, 10, 2},
    {"ab\xe2\x82", TEXT_UCS2, 10, 2},
    {"é", TEXT_GSM7, 1, 2},
};

START_TEST(test_fit)
{
    const char *s = fit_cases[_i].utf8;

    ck_assert_uint_eq(text_fit(s, strlen(s), fit_cases[_i].enc, fit_cases[_i].max),
                      fit_cases[_i].bytes);
}
END_TEST

/* text_fit on a long mixed string at every max: the prefix always ends on a
   character boundary, fits, and one more character would not fit. */
START_TEST(test_fit_every_boundary)
{
    static const char gsm[] = "1 Find a service €{x} [ok]\n2 Get a code ^~|\\ Δ";
    static const char ucs[] = "1 سروس تلاش کریں\n2 😀 کوڈ حاصل کریں";
    const struct {
        const char *s;
        enum text_enc enc;
    } t[] = {{gsm, TEXT_GSM7}, {ucs, TEXT_UCS2}};

    for (size_t k = 0; k < 2; k++) {
        size_t len = strlen(t[k].s);
        int total = text_units(t[k].s, len, t[k].enc);
        ck_assert_int_gt(total, 0);
        for (size_t max = 0; max <= (size_t)total + 1; max++) {
            size_t n = text_fit(t[k].s, len, t[k].enc, max);
            int u = text_units(t[k].s, n, t[k].enc);
            ck_assert_int_eq(text_utf8_valid(t[k].s, n), 0);
            ck_assert_int_ge(u, 0);
            ck_assert_uint_le((size_t)u, max);
            if (n < len) {
                uint32_t cp;
                int cl = text_utf8_next(t[k].s + n, len - n, &cp);
                ck_assert_int_gt(cl, 0);
                ck_assert_uint_gt((size_t)text_units(t[k].s, n + (size_t)cl, t[k].enc), max);
            } else {
                ck_assert_int_eq(u, total);
            }
        }
    }
}
END_TEST

static const struct {
    const char *bytes;
    int valid;
    const char *cleaned; /* text_utf8_clean output (U+FFFD per maximal subpart) */
} utf8_cases[] = {
    {"", 1, ""},
    {"plain", 1, "plain"},
    {"\x7f", 1, "\x7f"},
    {"\xc2\x80", 1, "\xc2\x80"},                 /* U+0080 */
    {"\xdf\xbf", 1, "\xdf\xbf"},                 /* U+07FF */
    {"\xe0\xa0\x80", 1, "\xe0\xa0\x80"},         /* U+0800 */
    {"\xed\x9f\xbf", 1, "\xed\x9f\xbf"},         /* U+D7FF */
    {"\xee\x80\x80", 1, "\xee\x80\x80"},         /* U+E000 */
    {"\xef\xbf\xbf", 1, "\xef\xbf\xbf"},         /* U+FFFF */
    {"\xf0\x90\x80\x80", 1, "\xf0\x90\x80\x80"}, /* U+10000 */
    {"\xf4\x8f\xbf\xbf", 1, "\xf4\x8f\xbf\xbf"}, /* U+10FFFF */
    /* overlongs */
    {"\xc0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xc1\xbf", 0, "\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xe0\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xe0\x9f\xbf", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xf0\x80\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xf0\x8f\xbf\xbf", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    /* surrogates U+D800, U+DFFF */
    {"\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xed\xbf\xbf", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    /* above U+10FFFF */
    {"\xf4\x90\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xf5\x80\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xff", 0, "\xef\xbf\xbd"},
    /* truncated sequences: one U+FFFD for the maximal subpart */
    {"a\xe2\x82", 0, "a\xef\xbf\xbd"},
    {"\xe2\x82"
     "b",
     0,
     "\xef\xbf\xbd"
     "b"},
    {"\xf0\x9f\x98", 0, "\xef\xbf\xbd"},
    {"\xf0\x9f\x98"
     "a",
     0,
     "\xef\xbf\xbd"
     "a"},
    {"\xc3", 0, "\xef\xbf\xbd"},
    /* lone continuation bytes */
    {"\x80", 0, "\xef\xbf\xbd"},
    {"a\xbf"
     "b",
     0,
     "a\xef\xbf\xbd"
     "b"},
};

START_TEST(test_utf8)
{
    const char *s = utf8_cases[_i].bytes;
    struct kp_buf out = KP_BUF_INIT;

    ck_assert_int_eq(text_utf8_valid(s, strlen(s)), utf8_cases[_i].valid ? 0 : -KP_ERR_ENCODING);
    ck_assert_int_eq(text_units(s, strlen(s), TEXT_UCS2) >= 0, utf8_cases[_i].valid);
    text_utf8_clean(s, strlen(s), &out);
    ck_assert_str_eq(out.data, utf8_cases[_i].cleaned);
    ck_assert_int_eq(text_utf8_valid(out.data, out.len), 0);
    kp_buf_reset(&out);
    ck_assert_int_eq(text_encode(s, strlen(s), TEXT_UCS2, &out) >= 0, utf8_cases[_i].valid);
    if (!utf8_cases[_i].valid)
        ck_assert_uint_eq(out.len, 0);
    kp_buf_free(&out);
}
END_TEST

static const struct {
    int dc;
    const char *hex;
    const char *utf8; /* NULL: must be refused with -KP_ERR_ENCODING */
} decode_cases[] = {
    {8, "00 41", "A"},
    {8, "", ""},
    {8, "00", NULL},                /* odd length */
    {8, "00 41 06", NULL},          /* odd length */
    {8, "D8 3D", NULL},             /* high surrogate at the end */
    {8, "D8 3D 00 41", NULL},       /* high surrogate not followed by a low one */
    {8, "D8 3D D8 3D DE 00", NULL}, /* two highs */
    {8, "DE 00", NULL},             /* a low surrogate alone */
    {8, "00 41 DC 00 00 42", NULL},
    {8, "D8 3D DE 00", "😀"},
    {0, "48 69", "Hi"},
    {0, "80", NULL}, /* septets are 7-bit */
    {0, "41 FF", NULL},
    {0, "41 1B", NULL}, /* trailing ESC */
    {0, "1B", NULL},
    {0, "1B 80", NULL},
    {0, "1B 65", "€"},
    {0, "1B 41", "A"}, /* ESC + septet outside the extension table: basic char */
    {0, "1B 00", "@"},
    {0, "1B 0D", "\r"},     /* CR2 (reserved): basic CR */
    {0, "1B 1B 41", " A"},  /* ESC ESC: reserved, displayed as a space */
    {1, "48 69 21", "Hi!"}, /* IA5 / ASCII */
    {1, "48 E9", NULL},
    {3, "43 61 66 E9", "Café"}, /* Latin-1 */
    {3, "A3 FF", "£ÿ"},
    {2, "41", NULL}, /* 8-bit binary: not text */
    {4, "41", NULL},
    {-1, "41", NULL},
    {0x18, "41", NULL},
};

START_TEST(test_decode)
{
    uint8_t in[64];
    struct kp_buf out = KP_BUF_INIT;
    int n = tu_hex(decode_cases[_i].hex, in, sizeof(in)), rc;

    ck_assert_int_ge(n, 0);
    kp_buf_puts(&out, "pre:");
    rc = text_decode(in, (size_t)n, decode_cases[_i].dc, &out);
    if (decode_cases[_i].utf8 == NULL) {
        ck_assert_int_eq(rc, -KP_ERR_ENCODING);
        ck_assert_str_eq(out.data, "pre:"); /* appends nothing */
    } else {
        ck_assert_int_eq(rc, (int)strlen(decode_cases[_i].utf8));
        ck_assert_str_eq(out.data + 4, decode_cases[_i].utf8);
    }
    kp_buf_free(&out);
}
END_TEST

START_TEST(test_encode_refused)
{
    struct kp_buf out = KP_BUF_INIT;

    kp_buf_puts(&out, "x");
    ck_assert_int_eq(text_encode("ok اردو", strlen("ok اردو"), TEXT_GSM7, &out), -KP_ERR_ENCODING);
    ck_assert_str_eq(out.data, "x");
    ck_assert_int_eq(text_encode("a\xc0\x80", 3, TEXT_UCS2, &out), -KP_ERR_ENCODING);
    ck_assert_int_eq(text_encode("a", 1, (enum text_enc)3, &out), -KP_ERR_ENCODING);
    ck_assert_uint_eq(out.len, 1);
    ck_assert_int_eq(text_units("a", 1, (enum text_enc)3), -KP_ERR_ENCODING);
    kp_buf_free(&out);
}
END_TEST

/* text_word_ok: the names menus, templates and the APIs use. */
START_TEST(test_word_ok)
{
    ck_assert_int_eq(text_word_ok("code_sent2", 32), 1);
    ck_assert_int_eq(text_word_ok("a", 1), 1);
    ck_assert_int_eq(text_word_ok("ab", 1), 0);
    ck_assert_int_eq(text_word_ok("", 32), 0);
    ck_assert_int_eq(text_word_ok("Code", 32), 0);
    ck_assert_int_eq(text_word_ok("code-sent", 32), 0);
    ck_assert_int_eq(text_word_ok("code sent", 32), 0);
    ck_assert_int_eq(text_word_ok("caf\xc3\xa9", 32), 0);
}
END_TEST

START_TEST(test_utf8_helpers)
{
    uint32_t cp = 0;

    ck_assert_int_eq(text_utf8_chars("aاب😀", strlen("aاب😀")), 4);
    ck_assert_int_eq(text_utf8_chars("a\xff", 2), -KP_ERR_ENCODING);
    ck_assert_int_eq(text_utf8_next("€", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x20ac);
    ck_assert_int_eq(text_utf8_next("€", 2, &cp), -KP_ERR_ENCODING);
    ck_assert_int_eq(text_utf8_next("", 0, &cp), -KP_ERR_TRUNC);
}
END_TEST

Suite *suite_text(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("gsm7");

    tcase_add_test(tc, test_gsm7_every_char);
    tcase_add_test(tc, test_word_ok);
    tcase_add_test(tc, test_gsm7_every_septet);
    tcase_add_loop_test(tc, test_gsm7_golden, 0, (int)KP_ARRAY_LEN(gsm_golden));
    suite_add_tcase(s, tc);

    tc = tcase_create("ucs2");
    tcase_add_loop_test(tc, test_ucs2_golden, 0, (int)KP_ARRAY_LEN(ucs2_golden));
    tcase_add_loop_test(tc, test_decode, 0, (int)KP_ARRAY_LEN(decode_cases));
    tcase_add_test(tc, test_encode_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8");
    tcase_add_loop_test(tc, test_choose, 0, (int)KP_ARRAY_LEN(choose_cases));
    tcase_add_loop_test(tc, test_fit, 0, (int)KP_ARRAY_LEN(fit_cases));
    tcase_add_test(tc, test_fit_every_boundary);
    tcase_add_loop_test(tc, test_utf8, 0, (int)KP_ARRAY_LEN(utf8_cases));
    tcase_add_test(tc, test_utf8_helpers);
    suite_add_tcase(s, tc);
    return s;
}
