/* SPDX-License-Identifier: ISC */
/*
 * Numeric address and CIDR parsing and matching.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/addr.h"
#include "kpass/core/err.h"

int kp_addr_parse(const char *s, struct kp_addr *out)
{
    char host[48]; /* INET6_ADDRSTRLEN (46) fits */
    const char *port;
    size_t hlen;
    char *end;
    long p;

    memset(out, 0, sizeof(*out));
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -KP_ERR_PARSE;
        hlen = (size_t)(close - s - 1);
        if (hlen == 0 || hlen >= sizeof(host))
            return -KP_ERR_PARSE;
        memcpy(host, s + 1, hlen);
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || strchr(s, ':') != colon)
            return -KP_ERR_PARSE;
        hlen = (size_t)(colon - s);
        if (hlen == 0 || hlen >= sizeof(host))
            return -KP_ERR_PARSE;
        memcpy(host, s, hlen);
        port = colon + 1;
    }
    host[hlen] = '\0';
    if (*port < '0' || *port > '9')
        return -KP_ERR_PARSE;
    p = strtol(port, &end, 10);
    if (*end != '\0' || p < 1 || p > 65535)
        return -KP_ERR_PARSE;

    struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)p);
        out->len = sizeof(*sin);
        snprintf(out->text, sizeof(out->text), "%s:%ld", host, p);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)p);
        out->len = sizeof(*sin6);
        snprintf(out->text, sizeof(out->text), "[%s]:%ld", host, p);
    } else {
        return -KP_ERR_PARSE;
    }
    return 0;
}

int kp_cidr_parse(const char *s, struct kp_cidr *out)
{
    char host[64];
    const char *slash = strchr(s, '/');
    size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
    long prefix = -1;

    memset(out, 0, sizeof(*out));
    if (hlen == 0 || hlen >= sizeof(host))
        return -KP_ERR_PARSE;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    if (slash) {
        char *end;
        if (slash[1] < '0' || slash[1] > '9')
            return -KP_ERR_PARSE;
        prefix = strtol(slash + 1, &end, 10);
        if (*end != '\0')
            return -KP_ERR_PARSE;
    }
    if (inet_pton(AF_INET, host, out->net) == 1) {
        out->family = AF_INET;
        if (prefix < 0)
            prefix = 32;
        if (prefix > 32)
            return -KP_ERR_PARSE;
    } else if (inet_pton(AF_INET6, host, out->net) == 1) {
        out->family = AF_INET6;
        if (prefix < 0)
            prefix = 128;
        if (prefix > 128)
            return -KP_ERR_PARSE;
    } else {
        return -KP_ERR_PARSE;
    }
    out->prefix = (unsigned)prefix;
    return 0;
}

int kp_cidr_list_parse(const char *s, struct kp_cidr *out, int max)
{
    char item[64];
    int n = 0;

    while (*s) {
        size_t len = strcspn(s, ", \t");
        if (len == 0) {
            s++;
            continue;
        }
        if (len >= sizeof(item))
            return -KP_ERR_PARSE;
        if (n == max)
            return -KP_ERR_TOOLONG;
        memcpy(item, s, len);
        item[len] = '\0';
        if (kp_cidr_parse(item, &out[n]) < 0)
            return -KP_ERR_PARSE;
        n++;
        s += len;
    }
    return n;
}

static int kp_prefix_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
    unsigned bytes = prefix / 8, bits = prefix % 8;

    if (memcmp(a, b, bytes) != 0)
        return 0;
    if (bits == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

int kp_cidr_match(const struct kp_cidr *c, const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        if (c->family != AF_INET)
            return 0;
        return kp_prefix_match(c->net, (const uint8_t *)&sin->sin_addr, c->prefix);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *a = sin6->sin6_addr.s6_addr;
        if (c->family == AF_INET6)
            return kp_prefix_match(c->net, a, c->prefix);
        /* A v4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 blocks. */
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
            return kp_prefix_match(c->net, a + 12, c->prefix);
    }
    return 0;
}

const char *kp_addr_ntop(const struct sockaddr *sa, char *buf, size_t size)
{
    const void *src = NULL;

    if (sa->sa_family == AF_INET)
        src = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (src == NULL || inet_ntop(sa->sa_family, src, buf, (socklen_t)size) == NULL)
        snprintf(buf, size, "?");
    return buf;
}
