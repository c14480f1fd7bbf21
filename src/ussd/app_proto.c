/* SPDX-License-Identifier: ISC */
/*
 * Department apps, the pure half (see ussd/app.h): the CON/END answer
 * parser, the form body, the request signature and the pseudonyms.  No
 * sockets, no clock, no store: fuzzed alone (tests/fuzz/fuzz_app_reply.c).
 */
#include <sodium.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/text/text.h"
#include "kpass/ussd/app.h"

int ussd_app_reply_parse(const char *body, size_t len, int *end, const char **text,
                         size_t *text_len)
{
    const char *t;
    size_t n;

    if (len < 3 || len > USSD_APP_REPLY_MAX)
        return -KP_ERR_PARSE;
    if (memcmp(body, "CON", 3) == 0)
        *end = 0;
    else if (memcmp(body, "END", 3) == 0)
        *end = 1;
    else
        return -KP_ERR_PARSE;
    t = body + 3;
    n = len - 3;
    if (n > 0) {
        if (t[0] != ' ' && t[0] != '\n')
            return -KP_ERR_PARSE; /* "CONTINUE", "END." ...: not the convention */
        t++;
        n--;
    }
    if (n > 0 && t[n - 1] == '\n')
        n--;
    if (n > 0 && t[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x20 && t[i] != '\n')
            return -KP_ERR_PARSE; /* NUL, CR inside, escapes: nothing a phone shows */
    if (text_utf8_valid(t, n) < 0)
        return -KP_ERR_PARSE;
    *text = t;
    *text_len = n;
    return 0;
}

/* RFC 3986 unreserved characters stay; everything else is %XX (HTML form rules, with %20). */
static void form_escape(struct kp_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            kp_buf_putc(b, (char)c);
        } else {
            kp_buf_putc(b, '%');
            kp_buf_putc(b, hex[c >> 4]);
            kp_buf_putc(b, hex[c & 15]);
        }
    }
}

void ussd_app_form_add(struct kp_buf *body, const char *name, const char *value)
{
    if (body->len)
        kp_buf_putc(body, '&');
    form_escape(body, name);
    kp_buf_putc(body, '=');
    form_escape(body, value);
}

void ussd_app_sign(const uint8_t *secret, size_t secret_len, int64_t ts, const char *body,
                   size_t len, char out[3 + USSD_APP_SIG_HEX + 1])
{
    crypto_auth_hmacsha256_state h;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    char tsbuf[24];
    int n = snprintf(tsbuf, sizeof(tsbuf), "%lld.", (long long)ts);

    crypto_auth_hmacsha256_init(&h, secret, secret_len);
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)tsbuf, (size_t)n);
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)body, len);
    crypto_auth_hmacsha256_final(&h, mac);
    memcpy(out, "v1=", 3);
    sodium_bin2hex(out + 3, USSD_APP_SIG_HEX + 1, mac, sizeof(mac));
    sodium_memzero(&h, sizeof(h));
}

void ussd_app_pseudo_key(const uint8_t cnic_key[32], uint8_t out[USSD_APP_KEY_BYTES])
{
    static const char ctx[] = "kpass-app-pseudonym-v1";

    crypto_generichash(out, USSD_APP_KEY_BYTES, (const uint8_t *)ctx, sizeof(ctx) - 1, cnic_key,
                       32);
}

void ussd_app_pseudonym(const uint8_t key[USSD_APP_KEY_BYTES], const char *kind,
                        const char *department, const uint8_t *value, size_t len,
                        char out[USSD_APP_PSEUDO_HEX + 1])
{
    crypto_generichash_state h;
    uint8_t d[USSD_APP_PSEUDO_HEX / 2];

    /* kind and department end with a NUL each, so that no two inputs join alike */
    crypto_generichash_init(&h, key, USSD_APP_KEY_BYTES, sizeof(d));
    crypto_generichash_update(&h, (const uint8_t *)kind, strlen(kind) + 1);
    crypto_generichash_update(&h, (const uint8_t *)department, strlen(department) + 1);
    crypto_generichash_update(&h, value, len);
    crypto_generichash_final(&h, d, sizeof(d));
    sodium_bin2hex(out, USSD_APP_PSEUDO_HEX + 1, d, sizeof(d));
}
