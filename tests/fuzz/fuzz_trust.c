/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the trust-list parser.  Any text parses or is refused with
 * messages; whatever keys were read format back to a text that parses to
 * the same keys without error.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kpass/id/trust.h"

KP_FUZZ_TARGET(trust)
{
    struct trust_list t = TRUST_LIST_INIT, again = TRUST_LIST_INIT;
    struct kp_buf err = KP_BUF_INIT, text = KP_BUF_INIT;

    if (size > 65536)
        return 0;
    trust_list_parse(&t, "fuzz", (const char *)data, size, &err);
    trust_list_format(&t, &text);
    if (trust_list_parse(&again, "again", text.data, text.len, &err) != 0 || again.n != t.n)
        abort();
    for (size_t i = 0; i < t.n; i++) {
        const struct trust_key *a = &t.keys[i], *b = &again.keys[i];
        if (memcmp(a->id, b->id, TRUST_ID_BYTES) != 0 || a->created != b->created ||
            a->status != b->status || memcmp(a->pk, b->pk, TRUST_PK_BYTES) != 0)
            abort();
    }
    trust_list_free(&t);
    trust_list_free(&again);
    kp_buf_free(&err);
    kp_buf_free(&text);
    return 0;
}
