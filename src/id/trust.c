/* SPDX-License-Identifier: ISC */
/*
 * The trust list: key ids, parsing and formatting the text form, lookups.
 * The parser reports every bad line ("name:line: reason") before refusing
 * the text, like the config parser.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/trust.h"

#define TRUST_PK_HEX 65
#define TRUST_FIELDS 5

static const char *const trust_status_names[] = {
    [TRUST_ACTIVE] = "active",
    [TRUST_VERIFY] = "verify",
    [TRUST_RETIRED] = "retired",
};

void trust_key_id(const uint8_t pk[TRUST_PK_BYTES], uint8_t id[TRUST_ID_BYTES])
{
    uint8_t h[crypto_generichash_BYTES];

    crypto_generichash(h, sizeof(h), pk, TRUST_PK_BYTES, NULL, 0);
    memcpy(id, h, TRUST_ID_BYTES);
}

void trust_id_hex(const uint8_t id[TRUST_ID_BYTES], char out[TRUST_ID_HEX])
{
    sodium_bin2hex(out, TRUST_ID_HEX, id, TRUST_ID_BYTES);
}

/* Exactly n * 2 hex digits in s[0..len) into out[0..n).  0 or -KP_ERR_PARSE. */
static int trust_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
    size_t got = 0;
    const char *end = NULL;

    if (len != n * 2)
        return -KP_ERR_PARSE;
    if (sodium_hex2bin(out, n, s, len, NULL, &got, &end) != 0 || got != n || end != s + len)
        return -KP_ERR_PARSE;
    return 0;
}

int trust_id_parse(const char *s, uint8_t id[TRUST_ID_BYTES])
{
    return trust_hex(s, strlen(s), id, TRUST_ID_BYTES);
}

const char *trust_status_name(enum trust_status s)
{
    if ((unsigned)s > TRUST_RETIRED)
        return "?";
    return trust_status_names[s];
}

void trust_list_free(struct trust_list *t)
{
    if (t == NULL)
        return;
    free(t->keys);
    t->keys = NULL;
    t->n = t->cap = 0;
}

struct trust_key *trust_list_find(const struct trust_list *t, const uint8_t id[TRUST_ID_BYTES])
{
    for (size_t i = 0; i < t->n; i++)
        if (memcmp(t->keys[i].id, id, TRUST_ID_BYTES) == 0)
            return &t->keys[i];
    return NULL;
}

struct trust_key *trust_list_active(const struct trust_list *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->keys[i].status == TRUST_ACTIVE)
            return &t->keys[i];
    return NULL;
}

int trust_list_add(struct trust_list *t, const struct trust_key *k)
{
    uint8_t id[TRUST_ID_BYTES];

    trust_key_id(k->pk, id);
    if (memcmp(id, k->id, TRUST_ID_BYTES) != 0)
        return -KP_ERR_CRYPTO;
    if ((unsigned)k->status > TRUST_RETIRED)
        return -KP_ERR_INVAL;
    if (trust_list_find(t, k->id) != NULL)
        return -KP_ERR_EXISTS;
    if (k->status == TRUST_ACTIVE && trust_list_active(t) != NULL)
        return -KP_ERR_STATE;
    t->keys = kp_grow(t->keys, &t->cap, t->n + 1, sizeof(*t->keys));
    t->keys[t->n++] = *k;
    return 0;
}

int trust_list_lookup(void *ctx, const uint8_t id[TRUST_ID_BYTES], uint8_t pk[TRUST_PK_BYTES])
{
    const struct trust_key *k = trust_list_find(ctx, id);

    if (k == NULL)
        return -KP_ERR_NOTFOUND;
    if (k->status == TRUST_RETIRED)
        return -KP_ERR_DENIED;
    memcpy(pk, k->pk, TRUST_PK_BYTES);
    return 0;
}

/* Split line[0..len) at spaces and tabs into at most max fields; returns the count. */
static size_t trust_split(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
    size_t n = 0, i = 0;

    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        if (n == max)
            return max + 1;
        f[n] = line + i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        flen[n] = (size_t)(line + i - f[n]);
        n++;
    }
    return n;
}

static int trust_status_parse(const char *s, size_t len, enum trust_status *st)
{
    for (int i = TRUST_ACTIVE; i <= TRUST_RETIRED; i++) {
        if (strlen(trust_status_names[i]) == len && memcmp(s, trust_status_names[i], len) == 0) {
            *st = (enum trust_status)i;
            return 0;
        }
    }
    return -KP_ERR_PARSE;
}

/* Decimal Unix seconds, 0 .. INT64_MAX, digits only. */
static int trust_time_parse(const char *s, size_t len, int64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 19)
        return -KP_ERR_PARSE;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -KP_ERR_PARSE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > INT64_MAX)
        return -KP_ERR_PARSE;
    *out = (int64_t)v;
    return 0;
}

/* One non-comment line; returns NULL or the reason it is refused. */
static const char *trust_line(struct trust_list *t, const char *line, size_t len)
{
    const char *f[TRUST_FIELDS];
    size_t fl[TRUST_FIELDS];
    struct trust_key k;
    int rc;

    memset(&k, 0, sizeof(k));
    if (trust_split(line, len, f, fl, TRUST_FIELDS) != TRUST_FIELDS || fl[0] != 3 ||
        memcmp(f[0], "key", 3) != 0)
        return "expected 'key <id> <created> <status> <public key>'";
    if (trust_hex(f[1], fl[1], k.id, TRUST_ID_BYTES) < 0)
        return "key id: expected 8 hex digits";
    if (trust_time_parse(f[2], fl[2], &k.created) < 0)
        return "created: expected Unix seconds";
    if (trust_status_parse(f[3], fl[3], &k.status) < 0)
        return "status: expected active, verify or retired";
    if (trust_hex(f[4], fl[4], k.pk, TRUST_PK_BYTES) < 0)
        return "public key: expected 64 hex digits";
    rc = trust_list_add(t, &k);
    if (rc == -KP_ERR_CRYPTO)
        return "key id does not match the public key";
    if (rc == -KP_ERR_EXISTS)
        return "key id listed twice";
    if (rc == -KP_ERR_STATE)
        return "a second active key";
    return NULL;
}

int trust_list_parse(struct trust_list *t, const char *name, const char *text, size_t len,
                     struct kp_buf *err)
{
    unsigned lineno = 0;
    int rc = 0;

    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        const char *why;

        pos += ll + (nl != NULL);
        lineno++;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        while (ll > 0 && (*line == ' ' || *line == '\t')) {
            line++;
            ll--;
        }
        if (ll == 0 || line[0] == '#')
            continue;
        if (memchr(line, '\0', ll) != NULL)
            why = "NUL byte in line";
        else
            why = trust_line(t, line, ll);
        if (why != NULL) {
            kp_buf_printf(err, "%s:%u: %s\n", name, lineno, why);
            rc = -KP_ERR_PARSE;
        }
    }
    return rc;
}

void trust_list_format(const struct trust_list *t, struct kp_buf *out)
{
    kp_buf_puts(out, "# kpass trust list: Ed25519 keys for KP1 tokens and KPR1 receipts\n"
                     "# key <key id> <created, Unix seconds> <active|verify|retired> "
                     "<public key>\n");
    for (size_t i = 0; i < t->n; i++) {
        const struct trust_key *k = &t->keys[i];
        char id[TRUST_ID_HEX], pk[TRUST_PK_HEX];

        trust_id_hex(k->id, id);
        sodium_bin2hex(pk, sizeof(pk), k->pk, TRUST_PK_BYTES);
        kp_buf_printf(out, "key %s %" PRId64 " %s %s\n", id, k->created,
                      trust_status_name(k->status), pk);
    }
}
