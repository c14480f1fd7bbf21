/* SPDX-License-Identifier: ISC */
/*
 * The checks an input screen applies to a reply (`accept` in
 * kpass-menu(5)): digits, a length range in characters, a POSIX extended
 * regular expression matching the whole reply, a CNIC and a Pakistani
 * mobile number.  The last two follow the identity module's rules
 * (cnic_parse, msisdn_parse: the same inputs as the desk and the CLI),
 * reached through the menu_validators the program passed to the compiler,
 * so that the menu does not link src/id (and libsodium).  CNICs are stored
 * as 13 digits and numbers as E.164 (+923xxxxxxxxx, ITU-T E.164).
 */
#include "kpass/core/err.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

static int all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return len > 0;
}

/* A CNIC or a mobile number: the identity module's rule, passed in. */
static int check_with(int (*parse)(const char *, size_t, struct kp_buf *), const char *s,
                      size_t len, struct kp_buf *norm)
{
    kp_buf_reset(norm);
    if (parse == NULL)
        return -KP_ERR_INVAL;
    return parse(s, len, norm) < 0 ? -KP_ERR_INVAL : 0;
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
        return check_with(g->val.cnic, s, len, norm);
    case MC_MSISDN:
        return check_with(g->val.msisdn, s, len, norm);
    }
    return -KP_ERR_INVAL;
}
