/* SPDX-License-Identifier: ISC */
/*
 * Parsing the desk API's JSON request bodies (see http_request.h).  Every
 * field is checked for type and shape here, so that the handlers only see
 * well-formed values; unknown fields are refused, so that a typo in a
 * client is found at once instead of silently ignored.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/http/request.h"
#include "kpass/core/mem.h"

struct req_field {
    const char *name;
    char *dst;
    size_t size;
    int required;
    int (*valid)(const char *s);
    const char *why; /* the reason when invalid */
};

static int req_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);

    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int req_pin(const char *s)
{
    return req_digits(s, 4, 8);
}

/* A code as typed: 6 digits, spaces or dashes allowed between them. */
static int req_code(const char *s)
{
    size_t digits = 0;

    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digits++;
        else if (*s != ' ' && *s != '-')
            return 0;
    }
    return digits == 6;
}

/* Printable ASCII without spaces: ids and tokens. */
static int req_word(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7F)
            return 0;
    return 1;
}

static int req_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A scanned token: printable ASCII (Base45 has a space in its alphabet),
   with the Tab, CR or LF a scanner may add around it (kp1_text_normalise
   drops them). */
static int req_token(const char *s)
{
    size_t b = 0, e = strlen(s);

    while (b < e && req_blank(s[b]))
        b++;
    while (e > b && req_blank(s[e - 1]))
        e--;
    if (b == e)
        return 0;
    for (; b < e; b++)
        if (s[b] < ' ' || s[b] >= 0x7F)
            return 0;
    return 1;
}

static int req_purpose(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Load body as one JSON object, then fill fields; every failure has a reason. */
static int req_parse(const char *body, size_t len, struct req_field *f, size_t nf, json_t **extra,
                     const char **reason)
{
    json_error_t jerr;
    json_t *root;
    const char *key;
    json_t *val;
    int rc = -KP_ERR_PARSE;

    if (len > HTTP_BODY_MAX) {
        *reason = "body too large";
        return rc;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        *reason = "body is not valid JSON";
        return rc;
    }
    if (!json_is_object(root)) {
        *reason = "body is not a JSON object";
        goto out;
    }
    json_object_foreach(root, key, val)
    {
        size_t i;
        for (i = 0; i < nf; i++)
            if (strcmp(key, f[i].name) == 0)
                break;
        if (i == nf) {
            if (extra && strcmp(key, "biometric") == 0) {
                *extra = json_incref(val);
                continue;
            }
            *reason = "unknown field";
            goto out;
        }
        const char *s = json_string_value(val);
        if (s == NULL || strlen(s) >= f[i].size || !f[i].valid(s)) {
            *reason = f[i].why;
            goto out;
        }
        memcpy(f[i].dst, s, strlen(s) + 1);
    }
    for (size_t i = 0; i < nf; i++) {
        if (f[i].required && f[i].dst[0] == '\0') {
            *reason = f[i].why;
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int http_parse_session(const char *body, size_t len, struct http_session_req *out,
                       const char **reason)
{
    struct req_field f[] = {
        {"desk_token", out->desk_token, sizeof(out->desk_token), 1, req_word,
         "field desk_token must be the desk's token"},
        {"staff_id", out->staff_id, sizeof(out->staff_id), 1, req_word,
         "field staff_id must be a staff id"},
        {"pin", out->pin, sizeof(out->pin), 1, req_pin,
         "field pin must be a string of 4 to 8 digits"},
    };
    int rc;

    memset(out, 0, sizeof(*out));
    rc = req_parse(body, len, f, KP_ARRAY_LEN(f), NULL, reason);
    if (rc < 0)
        sodium_memzero(out, sizeof(*out));
    return rc;
}

int http_parse_scan(const char *body, size_t len, struct http_scan_req *out, const char **reason)
{
    struct req_field f[] = {
        {"token", out->token, sizeof(out->token), 1, req_token,
         "field token must be the scanned QR text"},
    };

    memset(out, 0, sizeof(*out));
    return req_parse(body, len, f, KP_ARRAY_LEN(f), NULL, reason);
}

int http_parse_code(const char *body, size_t len, struct http_code_req *out, const char **reason)
{
    struct req_field f[] = {
        {"purpose", out->purpose, sizeof(out->purpose), 1, req_purpose,
         "field purpose must be a purpose code"},
    };

    memset(out, 0, sizeof(*out));
    return req_parse(body, len, f, KP_ARRAY_LEN(f), NULL, reason);
}

static const char *const bio_names[] = {"", "match", "no_match", "not_done"};

const char *http_biometric_name(enum http_biometric b)
{
    return (unsigned)b < KP_ARRAY_LEN(bio_names) ? bio_names[b] : "";
}

int http_parse_confirm(const char *body, size_t len, struct http_confirm_req *out,
                       const char **reason)
{
    struct req_field f[] = {
        {"code", out->code, sizeof(out->code), 1, req_code, "field code must be the 6-digit code"},
    };
    json_t *bio = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = req_parse(body, len, f, KP_ARRAY_LEN(f), &bio, reason);
    if (rc == 0 && bio) {
        const char *s = json_string_value(bio);
        rc = -KP_ERR_PARSE;
        *reason = "field biometric must be match, no_match or not_done";
        for (unsigned i = 1; s && i < KP_ARRAY_LEN(bio_names); i++) {
            if (strcmp(s, bio_names[i]) == 0) {
                out->biometric = (enum http_biometric)i;
                rc = 0;
            }
        }
    }
    json_decref(bio);
    if (rc < 0)
        sodium_memzero(out, sizeof(*out));
    return rc;
}
