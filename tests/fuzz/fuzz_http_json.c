/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: the desk API's JSON request bodies, every kind.  The first
 * byte chooses the parser; the rest is the body.
 */
#include "fuzz.h"
#include "kpass/http/request.h"

KP_FUZZ_TARGET(http_json)
{
    const char *body = (const char *)data + 1, *reason = NULL;
    size_t len = size ? size - 1 : 0;

    if (size == 0)
        return 0;
    switch (data[0] & 3) {
    case 0: {
        struct http_session_req r;
        http_parse_session(body, len, &r, &reason);
        break;
    }
    case 1: {
        struct http_scan_req r;
        http_parse_scan(body, len, &r, &reason);
        break;
    }
    case 2: {
        struct http_code_req r;
        http_parse_code(body, len, &r, &reason);
        break;
    }
    default: {
        struct http_confirm_req r;
        http_parse_confirm(body, len, &r, &reason);
        break;
    }
    }
    return 0;
}
