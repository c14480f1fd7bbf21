/* SPDX-License-Identifier: ISC */
/*
 * menu state: the dialog state codec.  Round trips after real hops, every
 * truncation and extension of a real encoding refused, a table of
 * malformed encodings side by side with good ones, and states that decode
 * but do not belong to the graph refused by the engine (a forged
 * sensitive value is dropped).
 */
#include "menu_fixture.h"

#include "kpass/core/mem.h"

#define P "01 00000000000000000000000000000000 " /* format, zero digest */

static const struct {
    const char *hex;
    int ok;
} cases[] = {
    {P "00 00 00 00 00 00 00", 1}, /* minimal, not begun */
    {"", 0},
    {"02 00000000000000000000000000000000 00 00 00 00 00 00 00", 0}, /* unknown format */
    {"01 000000", 0},                                                /* short digest */
    {P "00 00 00 03 00 00 00", 1},                                   /* ur-Latn */
    {P "00 00 00 04 00 00 00", 0},                                   /* language 4 */
    {P "00 00 00 02 00 00 00", 1},                                   /* ps */
    {P "00 00 00 00 20 00 00", 0},                                   /* unknown flag */
    {P "00 00 00 00 10 01 02 03 04 00 00", 1},                       /* list hash */
    {P "00 00 00 00 10 00 00", 0},                                   /* list hash missing */
    {P "00 00 00 00 00 01 05 07 00", 1},                             /* one history entry */
    {P "00 00 00 00 00 10"
       "0000000000000000000000000000000000000000000000000000000000000000 00",
     1}, /* 16 entries */
    {P "00 00 00 00 00 11"
       "000000000000000000000000000000000000000000000000000000000000000000"
       "00 00",
     0},                                       /* 17 entries */
    {P "00 00 00 00 00 02 05 07 00", 0},       /* history cut short */
    {P "ff ff ff ff 0f 00 00 00 00 00 00", 1}, /* screen 2^32-1 decodes (the engine refuses it) */
    {P "ff ff ff ff 1f 00 00 00 00 00 00", 0}, /* > 32 bits */
    {P "80 80 80 80 80 01 00 00 00 00 00 00", 0},    /* 6-byte varint */
    {P "80 00 00 00 00 00 00 00", 0},                /* not minimal */
    {P "00 00 00 00 00 00 01 01 02 68 69", 1},       /* var 1 = "hi" */
    {P "00 00 00 00 00 00 01 01 00", 1},             /* var 1 = "" */
    {P "00 00 00 00 00 00 01 00 02 68 69", 0},       /* var 0 is the language */
    {P "00 00 00 00 00 00 02 02 01 61 01 01 62", 0}, /* unsorted */
    {P "00 00 00 00 00 00 02 01 01 61 01 01 62", 0}, /* duplicate */
    {P "00 00 00 00 00 00 02 01 01 61 02 01 62", 1},
    {P "00 00 00 00 00 00 01 01 01 00", 0},    /* NUL in a value */
    {P "00 00 00 00 00 00 01 01 01 ff", 0},    /* invalid UTF-8 */
    {P "00 00 00 00 00 00 01 01 02 d8 a7", 1}, /* "ا" */
    {P "00 00 00 00 00 00 01 01 05 61", 0},    /* value beyond the end */
    {P "00 00 00 00 00 00 00 00", 0},          /* a trailing byte */
    {P "00 00 00 00 00 00 81 08", 0},          /* 1025 variables */
    {P "00 00 00 00 00 00", 0},                /* no variable count */
};

static int hexbytes(const char *hex, uint8_t *out, size_t cap)
{
    int n = tu_hex(hex, out, cap);
    ck_assert_int_ge(n, 0);
    return n;
}

START_TEST(test_state_table)
{
    uint8_t buf[4096];
    int n = hexbytes(cases[_i].hex, buf, sizeof(buf));
    struct menu_state *st = menu_state_new();
    struct kp_buf again = KP_BUF_INIT;
    int rc = menu_state_decode(st, buf, (size_t)n);

    if (cases[_i].ok) {
        ck_assert_msg(rc == 0, "case %d refused", _i);
        /* canonical: encoding gives the same bytes back */
        ck_assert_int_eq(menu_state_encode(st, &again), n);
        ck_assert_mem_eq(again.data, buf, (size_t)n);
    } else {
        ck_assert_msg(rc == -KP_ERR_PARSE, "case %d accepted", _i);
        ck_assert_int_eq(menu_state_resumable(st), 0);
        ck_assert_str_eq(menu_state_version(st), "");
    }
    menu_state_free(st);
    kp_buf_free(&again);
}
END_TEST

/* The longest values: 512 bytes pass, 513 do not. */
START_TEST(test_state_value_max)
{
    struct kp_buf b = KP_BUF_INIT;
    struct menu_state *st = menu_state_new();
    uint8_t head[64];
    int n = hexbytes(P "00 00 00 00 00 00 01 01", head, sizeof(head));

    kp_buf_append(&b, head, (size_t)n);
    kp_buf_append(&b, "\x80\x04", 2); /* 512 */
    for (int i = 0; i < 512; i++)
        kp_buf_putc(&b, 'v');
    ck_assert_int_eq(menu_state_decode(st, (const uint8_t *)b.data, b.len), 0);
    kp_buf_reset(&b);
    kp_buf_append(&b, head, (size_t)n);
    kp_buf_append(&b, "\x81\x04", 2); /* 513 */
    for (int i = 0; i < 513; i++)
        kp_buf_putc(&b, 'v');
    ck_assert_int_eq(menu_state_decode(st, (const uint8_t *)b.data, b.len), -KP_ERR_PARSE);
    menu_state_free(st);
    kp_buf_free(&b);
}
END_TEST

/* Real dialogs: round trip, every truncation refused, size stays small. */
START_TEST(test_state_real)
{
    static const char *const walks[][6] = {
        {NULL},      {"1", "2", NULL},  {"1", "1", "98", NULL}, {"4", "2", "98", NULL},
        {"3", NULL}, {"9", "98", NULL},
    };
    struct fx_dialog d;

    fx_open(&d, fx_sample());
    for (size_t w = 0; w < KP_ARRAY_LEN(walks); w++) {
        struct kp_buf blob = KP_BUF_INIT, again = KP_BUF_INIT;
        struct menu_state *copy = menu_state_new();
        fx_begin(&d, w % 2 ? MENU_LANG_UR : MENU_LANG_EN, NULL);
        for (size_t k = 0; walks[w][k]; k++)
            fx_send(&d, walks[w][k]);
        ck_assert_int_gt(menu_state_encode(d.st, &blob), 0);
        ck_assert_uint_lt(blob.len, 96); /* small enough to store on every hop */
        ck_assert_int_eq(menu_state_decode(copy, (const uint8_t *)blob.data, blob.len), 0);
        menu_state_encode(copy, &again);
        ck_assert_uint_eq(again.len, blob.len);
        ck_assert_mem_eq(again.data, blob.data, blob.len);
        ck_assert_str_eq(menu_state_version(copy), menu_graph_version(d.g));
        ck_assert_int_eq(menu_state_lang(copy), menu_state_lang(d.st));
        ck_assert_str_eq(menu_state_screen(copy, d.g), menu_state_screen(d.st, d.g));
        ck_assert_int_eq(menu_state_resumable(copy), menu_state_resumable(d.st));
        for (size_t cut = 0; cut < blob.len; cut++)
            ck_assert_msg(menu_state_decode(copy, (const uint8_t *)blob.data, cut) == -KP_ERR_PARSE,
                          "walk %zu: %zu of %zu bytes accepted", w, cut, blob.len);
        kp_buf_putc(&blob, 0);
        ck_assert_int_eq(menu_state_decode(copy, (const uint8_t *)blob.data, blob.len),
                         -KP_ERR_PARSE);
        menu_state_free(copy);
        kp_buf_free(&blob);
        kp_buf_free(&again);
    }
    fx_close(&d);
}
END_TEST

/* Re-encode a state with one byte changed at offset off. */
static int forge(struct fx_dialog *d, size_t off, uint8_t value)
{
    struct kp_buf blob = KP_BUF_INIT;
    int rc;

    menu_state_encode(d->st, &blob);
    ck_assert_uint_lt(off, blob.len);
    blob.data[off] = (char)value;
    rc = menu_state_decode(d->st, (const uint8_t *)blob.data, blob.len);
    kp_buf_free(&blob);
    return rc;
}

/* States that decode but do not fit the graph are refused by the engine. */
START_TEST(test_state_foreign)
{
    struct fx_dialog d;

    fx_open(&d, fx_sample());
    fx_begin(&d, MENU_LANG_EN, "1");
    ck_assert_int_eq(forge(&d, 1, 0xee), 0); /* another graph's digest */
    ck_assert_int_eq(menu_dialog_input(d.g, &d.env, d.st, "1", 1, &d.scr), -KP_ERR_STATE);
    fx_begin(&d, MENU_LANG_EN, "1");
    ck_assert_int_eq(forge(&d, 17, 0x7f), 0); /* screen 127 */
    ck_assert_int_eq(menu_dialog_input(d.g, &d.env, d.st, "1", 1, &d.scr), -KP_ERR_STATE);
    fx_close(&d);
}
END_TEST

/* A sensitive value smuggled into a stored state is dropped, and a
   variable number past the graph's is refused. */
START_TEST(test_state_forged_vars)
{
    struct fx_dialog d;
    struct kp_buf blob = KP_BUF_INIT;
    int found = 0;

    fx_open(&d, fx_sample());
    for (uint8_t id = 1; id < 60 && !found; id++) {
        fx_begin(&d, MENU_LANG_EN, "1"); /* no variables yet: the blob ends with count 0 */
        kp_buf_reset(&blob);
        menu_state_encode(d.st, &blob);
        ck_assert_int_eq(blob.data[blob.len - 1], 0);
        blob.len--;
        kp_buf_append(&blob, "\x01", 1);
        kp_buf_append(&blob, &id, 1);
        kp_buf_append(&blob,
                      "\x04"
                      "1234",
                      5);
        ck_assert_int_eq(menu_state_decode(d.st, (const uint8_t *)blob.data, blob.len), 0);
        const char *cnic = menu_state_get(d.st, d.g, "cnic");
        if (cnic == NULL)
            continue;
        found = 1;
        ck_assert_str_eq(cnic, "1234");
        fx_send(&d, "98"); /* any hop */
        ck_assert_ptr_null(menu_state_get(d.st, d.g, "cnic"));
    }
    ck_assert(found);
    fx_begin(&d, MENU_LANG_EN, "1");
    kp_buf_reset(&blob);
    menu_state_encode(d.st, &blob);
    blob.len--;
    kp_buf_append(&blob, "\x01\x7f\x01x", 4); /* variable 127: the graph has fewer */
    ck_assert_int_eq(menu_state_decode(d.st, (const uint8_t *)blob.data, blob.len), 0);
    ck_assert_int_eq(menu_dialog_input(d.g, &d.env, d.st, "1", 1, &d.scr), -KP_ERR_STATE);
    kp_buf_free(&blob);
    fx_close(&d);
}
END_TEST

START_TEST(test_state_free_null)
{
    menu_state_free(NULL);
    struct menu_screen s = MENU_SCREEN_INIT;
    menu_screen_free(&s);
    ck_assert_ptr_null(s.text.data);
}
END_TEST

Suite *suite_menu_state(void)
{
    Suite *s = suite_create("menu_state");
    TCase *tc = tcase_create("state");

    tcase_add_loop_test(tc, test_state_table, 0, (int)KP_ARRAY_LEN(cases));
    tcase_add_test(tc, test_state_value_max);
    tcase_add_test(tc, test_state_real);
    tcase_add_test(tc, test_state_foreign);
    tcase_add_test(tc, test_state_forged_vars);
    tcase_add_test(tc, test_state_free_null);
    suite_add_tcase(s, tc);
    return s;
}
