/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: reading an API answer in `kpass desk` (desk_answer_parse)
 * and drawing the citizen summary from it, on arbitrary bytes.  Nothing
 * may crash or leak; whatever the server sends, what the desk would show
 * holds no control character but newlines, the CNIC at most 4 digits and
 * the number at most 9, and a session token or id only characters safe in
 * a request.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/kpass/desk/desk_client.h"
#include "fuzz.h"
#include "kpass/core/buf.h"

static size_t fuzz_desk_digits(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s >= '0' && *s <= '9';
    return n;
}

static void fuzz_desk_check_text(const char *s, int newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && !(newlines && *p == '\n')) || *p == 0x7f)
            abort();
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 */
            abort();
    }
}

KP_FUZZ_TARGET(desk_answer)
{
    struct desk_answer a;
    struct kp_buf view = KP_BUF_INIT;

    desk_answer_parse(201, (const char *)data, size, &a);
    if (fuzz_desk_digits(a.citizen.cnic) > 4 || fuzz_desk_digits(a.citizen.msisdn) > 9 ||
        fuzz_desk_digits(a.msisdn) > 9)
        abort();
    for (const char *p = a.session; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            abort();
    for (const char *p = a.id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            abort();
    fuzz_desk_check_text(a.reason, 0);
    fuzz_desk_check_text(a.office_name, 0);
    desk_view_citizen(&a, &view);
    fuzz_desk_check_text(view.data ? view.data : "", 1);
    kp_buf_free(&view);
    return 0;
}
