/* SPDX-License-Identifier: ISC */
/*
 * The desk API's request bodies (doc/http-api.md), parsed from JSON with
 * jansson into fixed structs.  Pure: bytes in, a struct or a reason out;
 * fuzzed (tests/fuzz/fuzz_http_json.c).  Secrets (PINs, codes, tokens) land
 * in the struct only; the caller wipes it.
 */
#ifndef KPASS_HTTP_REQUEST_H
#define KPASS_HTTP_REQUEST_H

#include <stddef.h>

#define HTTP_BODY_MAX 16384

struct http_session_req {
    char desk_token[64];
    char staff_id[32];
    char pin[16];
};

struct http_scan_req {
    char token[160]; /* "KP1:" + 135 Base45 characters */
};

struct http_code_req {
    char purpose[32];
};

enum http_biometric {
    HTTP_BIO_NONE = 0, /* not reported */
    HTTP_BIO_MATCH,
    HTTP_BIO_NO_MATCH,
    HTTP_BIO_NOT_DONE,
};

struct http_confirm_req {
    char code[16];
    enum http_biometric biometric;
};

/*
 * Parse a body of len bytes.  0, or -KP_ERR_PARSE with *reason a short
 * text for the 400 answer ("body is not a JSON object", "field pin must be
 * a string of 4 to 8 digits", ...): never echoing the value.
 */
int http_parse_session(const char *body, size_t len, struct http_session_req *out,
                       const char **reason);
int http_parse_scan(const char *body, size_t len, struct http_scan_req *out, const char **reason);
int http_parse_code(const char *body, size_t len, struct http_code_req *out, const char **reason);
int http_parse_confirm(const char *body, size_t len, struct http_confirm_req *out,
                       const char **reason);

const char *http_biometric_name(enum http_biometric b);

#endif
