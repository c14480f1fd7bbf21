/* SPDX-License-Identifier: ISC */
/*
 * The checks an input screen applies to a reply (`accept` in
 * kpass-menu(5)): digits, a length range in characters, a POSIX extended
 * regular expression matching the whole reply, a CNIC (13 digits, written
 * #####-#######-# or plain) and a Pakistani mobile number (03xxxxxxxxx,
 * 923xxxxxxxxx or +923xxxxxxxxx).  CNICs are stored as 13 digits and
 * numbers as E.164 (+923xxxxxxxxx, ITU-T E.164).
 */
#include <string.h>

#include "kpass/err.h"
#include "kpass/text.h"
#include "menu_internal.h"

static int all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return len > 0;
}

/* 13 digits, or 5-7-1 digits with dashes between; normalised to 13 digits. */
static int check_cnic(const char *s, size_t len, struct kp_buf *norm)
{
    if (len == 13 && all_digits(s, 13)) {
        kp_buf_append(norm, s, 13);
        return 0;
    }
    if (len == 15 && s[5] == '-' && s[13] == '-' && all_digits(s, 5) && all_digits(s + 6, 7) &&
        all_digits(s + 14, 1)) {
        kp_buf_append(norm, s, 5);
        kp_buf_append(norm, s + 6, 7);
        kp_buf_append(norm, s + 14, 1);
        return 0;
    }
    return -KP_ERR_INVAL;
}

/* A Pakistani mobile number (the 3xx network codes) in national,
   international or E.164 form; normalised to +923xxxxxxxxx. */
static int check_msisdn(const char *s, size_t len, struct kp_buf *norm)
{
    const char *subscriber; /* "3" and 9 digits */

    if (len == 11 && memcmp(s, "03", 2) == 0)
        subscriber = s + 1;
    else if (len == 12 && memcmp(s, "923", 3) == 0)
        subscriber = s + 2;
    else if (len == 13 && memcmp(s, "+923", 4) == 0)
        subscriber = s + 3;
    else
        return -KP_ERR_INVAL;
    if (!all_digits(subscriber, 10))
        return -KP_ERR_INVAL;
    kp_buf_puts(norm, "+92");
    kp_buf_append(norm, subscriber, 10);
    return 0;
}

int menu_validate(const struct menu_graph *g, const struct menu_check *chk, const char *s,
                  size_t len, struct kp_buf *norm)
{
    int n;

    switch (chk->kind) {
    case MC_DIGITS:
        return all_digits(s, len) ? 0 : -KP_ERR_INVAL;
    case MC_LENGTH:
        n = text_utf8_chars(s, len);
        return n >= (int)chk->min && n <= (int)chk->max ? 0 : -KP_ERR_INVAL;
    case MC_REGEX:
        /* s is NUL-terminated at len by the engine */
        return regexec(&g->regexes[chk->regex], s, 0, NULL, 0) == 0 ? 0 : -KP_ERR_INVAL;
    case MC_CNIC:
        kp_buf_reset(norm);
        return check_cnic(s, len, norm);
    case MC_MSISDN:
        kp_buf_reset(norm);
        return check_msisdn(s, len, norm);
    }
    return -KP_ERR_INVAL;
}
