/* SPDX-License-Identifier: ISC */
/*
 * The pure half of `kpass desk` (see desk_client.h): reading the API's
 * JSON answers (doc/http-api.md) into one flat struct, cleaning every text
 * the server sends before a terminal shows it, masking any CNIC or mobile
 * number that arrives unmasked, the citizen summary, and plain words for
 * every refusal.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "desk_client.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"

/* C0, DEL, C1, and bidirectional overrides and isolates (Unicode UAX #9 §2). */
static int desk_char_bad(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

char *desk_view_clean(const char *s, char *out, size_t cap)
{
    size_t len = strlen(s), i = 0, o = 0;

    while (i < len) {
        uint32_t cp;
        int n = text_utf8_next(s + i, len - i, &cp);
        if (n < 0 || desk_char_bad(cp)) {
            if (o + 1 >= cap)
                break;
            out[o++] = '?';
            i += n < 0 ? 1 : (size_t)n;
            continue;
        }
        if (o + (size_t)n >= cap)
            break;
        memcpy(out + o, s + i, (size_t)n);
        o += (size_t)n;
        i += (size_t)n;
    }
    out[o] = '\0';
    return out;
}

void desk_view_cnic(const char *s, char out[CNIC_TEXT_SIZE])
{
    char cnic[CNIC_SIZE];
    size_t n = strlen(s), digits = 0;

    if (cnic_parse(s, n, cnic, NULL) == 0) {
        cnic_mask(cnic, out);
        sodium_memzero(cnic, sizeof(cnic));
        return;
    }
    if (n == 0 || n >= CNIC_TEXT_SIZE)
        goto unknown;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] != '*' && s[i] != '-')
            goto unknown;
    }
    if (digits > 4)
        goto unknown;
    memcpy(out, s, n + 1);
    return;
unknown:
    snprintf(out, CNIC_TEXT_SIZE, "?");
}

void desk_view_msisdn(const char *s, char out[MSISDN_SIZE])
{
    char e164[MSISDN_SIZE];
    size_t n = strlen(s), digits = 0, stars = 0;

    if (msisdn_parse(s, n, e164, NULL) == 0) {
        msisdn_mask(e164, out);
        return;
    }
    if (n == 0 || n >= MSISDN_SIZE)
        goto unknown;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '*')
            stars++;
        else if (!(s[i] == '+' && i == 0))
            goto unknown;
    }
    if (digits > 9 || stars == 0)
        goto unknown;
    memcpy(out, s, n + 1);
    return;
unknown:
    snprintf(out, MSISDN_SIZE, "?");
}

/* obj[key] as cleaned text into out; "" when absent or not a string. */
static void desk_json_text(const json_t *obj, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(obj, key);

    out[0] = '\0';
    if (json_is_string(v))
        desk_view_clean(json_string_value(v), out, cap);
}

/* obj[key] as an integer, or dflt. */
static long long desk_json_int(const json_t *obj, const char *key, long long dflt)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

/* obj[key] copied only when every character passes ok() and it fits. */
static void desk_json_token(const json_t *obj, const char *key, char *out, size_t cap,
                            int (*ok)(char))
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    size_t n = strlen(s);

    out[0] = '\0';
    if (n == 0 || n >= cap)
        return;
    for (size_t i = 0; i < n; i++)
        if (!ok(s[i]))
            return;
    memcpy(out, s, n + 1);
}

static int desk_visible(char c)
{
    return c > 0x20 && c < 0x7f;
}

static int desk_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static void desk_parse_citizen(const json_t *root, struct desk_answer *a)
{
    const json_t *c = json_object_get(root, "citizen");
    const json_t *cred = json_object_get(root, "credential");
    char raw[64];

    if (json_is_object(c)) {
        desk_json_text(c, "name", a->citizen.name, sizeof(a->citizen.name));
        desk_json_text(c, "name_ur", a->citizen.name_ur, sizeof(a->citizen.name_ur));
        desk_json_text(c, "district", a->citizen.district, sizeof(a->citizen.district));
        desk_json_text(c, "cnic", raw, sizeof(raw));
        desk_view_cnic(raw, a->citizen.cnic);
        desk_json_text(c, "msisdn", raw, sizeof(raw));
        desk_view_msisdn(raw, a->citizen.msisdn);
        sodium_memzero(raw, sizeof(raw));
    }
    if (json_is_object(cred)) {
        desk_json_text(cred, "status", a->citizen.status, sizeof(a->citizen.status));
        a->citizen.expires_at = desk_json_int(cred, "expires_at", 0);
    }
}

static void desk_parse_fields(const json_t *root, struct desk_answer *a)
{
    const json_t *office = json_object_get(root, "office");
    char raw[64];

    desk_json_text(root, "error", a->error, sizeof(a->error));
    desk_json_text(root, "reason", a->reason, sizeof(a->reason));
    desk_json_text(root, "result", a->result, sizeof(a->result));
    desk_json_text(root, "state", a->state, sizeof(a->state));
    a->tries_left = (long)desk_json_int(root, "tries_left", -1);
    a->retry_after = (long)desk_json_int(root, "retry_after", -1);
    a->until = desk_json_int(root, "until", 0);
    a->locked_until = desk_json_int(root, "locked_until", 0);
    a->expires_at = desk_json_int(root, "expires_at", 0);
    desk_json_token(root, "id", a->id, sizeof(a->id), desk_id_char);
    desk_json_token(root, "session", a->session, sizeof(a->session), desk_visible);
    desk_json_text(root, "desk", a->desk, sizeof(a->desk));
    desk_json_text(root, "staff", a->staff, sizeof(a->staff));
    desk_json_text(root, "receipt_id", a->receipt_id, sizeof(a->receipt_id));
    if (json_is_object(office)) {
        desk_json_text(office, "code", a->office_code, sizeof(a->office_code));
        desk_json_text(office, "name", a->office_name, sizeof(a->office_name));
    }
    desk_json_text(root, "msisdn", raw, sizeof(raw));
    if (raw[0] != '\0')
        desk_view_msisdn(raw, a->msisdn);
    sodium_memzero(raw, sizeof(raw));
    desk_parse_citizen(root, a);
}

int desk_answer_parse(int status, const char *body, size_t len, struct desk_answer *a)
{
    json_error_t err;
    json_t *root;

    memset(a, 0, sizeof(*a));
    a->status = status;
    a->tries_left = -1;
    a->retry_after = -1;
    if (len == 0)
        return -KP_ERR_PARSE;
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(root)) {
        json_decref(root);
        return -KP_ERR_PARSE;
    }
    desk_parse_fields(root, a);
    json_decref(root);
    return 0;
}

/* "2027-11-12" (UTC) for t; "?" when t is 0 or out of range. */
static const char *desk_date(int64_t t, char out[16])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(out, 16, "%Y-%m-%d", &tm) == 0)
        snprintf(out, 16, "?");
    return out;
}

void desk_view_citizen(const struct desk_answer *a, struct kp_buf *out)
{
    char date[16];

    kp_buf_printf(out, "  Name:      %s\n", a->citizen.name[0] ? a->citizen.name : "?");
    if (a->citizen.name_ur[0])
        kp_buf_printf(out, "  Urdu name: %s\n", a->citizen.name_ur);
    kp_buf_printf(out, "  CNIC:      %s\n", a->citizen.cnic[0] ? a->citizen.cnic : "?");
    kp_buf_printf(out, "  Mobile:    %s\n", a->citizen.msisdn[0] ? a->citizen.msisdn : "?");
    if (a->citizen.district[0])
        kp_buf_printf(out, "  District:  %s\n", a->citizen.district);
    if (a->citizen.status[0] || a->citizen.expires_at)
        kp_buf_printf(out, "  Card:      %s, valid until %s\n",
                      a->citizen.status[0] ? a->citizen.status : "?",
                      desk_date(a->citizen.expires_at, date));
}

static const struct {
    const char *key, *text;
} desk_scan_refusals[] =
    {
        {"format", "this is not a Khyber Pass QR code (scan it again)"},
        {"signature", "the card's signature is not valid: it was altered or forged"},
        {"unknown_key", "the card was signed with a key this service does not know"},
        {"retired_key", "the card was signed with a retired key: it must be reissued"},
        {"expired", "the card has expired"},
        {"not_yet_valid", "the card is not valid yet (check this computer's clock)"},
        {"revoked", "the card has been revoked"},
        {"unknown_serial", "there is no such card on record"},
        {"citizen_inactive", "the citizen's record is not active"},
        {"suspended", "the card was suspended by its citizen (lost or stolen)"},
},
  desk_confirm_refusals[] = {
      {"wrong", "the code is wrong"},
      {"expired", "the code has expired"},
      {"used", "the code has already been used"},
      {"dead", "too many wrong codes: that code can no longer be used"},
      {"no_code", "no code was sent for this check at this office"},
      {"locked", "the citizen is locked out after too many wrong codes"},
};

const char *desk_view_scan_refusal(const char *reason)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(desk_scan_refusals); i++)
        if (strcmp(reason, desk_scan_refusals[i].key) == 0)
            return desk_scan_refusals[i].text;
    return "the card was refused";
}

const char *desk_view_confirm_refusal(const char *result)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(desk_confirm_refusals); i++)
        if (strcmp(result, desk_confirm_refusals[i].key) == 0)
            return desk_confirm_refusals[i].text;
    return "the code was refused";
}

const char *desk_scan_text(char *line)
{
    size_t n;

    while (*line == ' ' || *line == '\t')
        line++;
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    /* ISO/IEC 15424: ']', the symbology code character, a modifier character. */
    if (n >= 3 && line[0] == ']' &&
        ((line[1] >= 'A' && line[1] <= 'Z') || (line[1] >= 'a' && line[1] <= 'z')) &&
        ((line[2] >= '0' && line[2] <= '9') || (line[2] >= 'A' && line[2] <= 'Z')))
        line += 3;
    return line;
}
