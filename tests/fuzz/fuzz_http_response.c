/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the HTTP/1.1 response parser of `kpass desk`
 * (src/kpass/desk/http_client.c) on arbitrary octets, with the peer still open
 * and closed.  Nothing may crash or leak; a complete answer must stay
 * within the limits, and must parse the same from exactly the octets it
 * took (what follows an answer never changes it).
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/kpass/desk/http_client.h"
#include "fuzz.h"

static void fuzz_http_once(const uint8_t *data, size_t size, int eof)
{
    struct http_response r, again;
    int rc = http_response_parse(data, size, eof, &r);

    if (rc <= 0) {
        if (r.body != NULL)
            abort();
        return;
    }
    if ((size_t)rc > size || r.status < 100 || r.status > 599 || r.body == NULL ||
        r.body_len > HTTP_BODY_MAX || r.body[r.body_len] != '\0')
        abort();
    if (http_response_parse(data, (size_t)rc, eof, &again) != rc || again.status != r.status ||
        again.body_len != r.body_len || memcmp(again.body, r.body, r.body_len) != 0 ||
        again.retry_after != r.retry_after)
        abort();
    http_response_free(&again);
    http_response_free(&r);
}

KP_FUZZ_TARGET(http_response)
{
    fuzz_http_once(data, size, 0);
    fuzz_http_once(data, size, 1);
    return 0;
}
