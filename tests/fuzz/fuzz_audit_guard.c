/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the audit log's text checks (store_audit_detail_check,
 * store_audit_event_check, store_audit_actor_check).  Any bytes (as a C
 * string) must be judged without a crash, and an accepted detail must
 * pass a simpler, independent oracle: at most 200 octets, no control
 * characters, no 10 consecutive digits, no '+' before 8 digits.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/store/audit.h"

static int guard_oracle_fails(const char *s)
{
    size_t len = strlen(s), run = 0;

    if (len > STORE_AUDIT_DETAIL_MAX)
        return 1;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
        run = s[i] >= '0' && s[i] <= '9' ? run + 1 : 0;
        if (run >= 10)
            return 1;
        if (s[i] == '+' && len - i > 8 && strspn(s + i + 1, "0123456789") >= 8)
            return 1;
    }
    return 0;
}

KP_FUZZ_TARGET(audit_guard)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (store_audit_detail_check(s) == 0 && guard_oracle_fails(s))
        abort();
    store_audit_event_check(s);
    store_audit_actor_check(s);
    free(s);
    return 0;
}
