/* SPDX-License-Identifier: ISC */
/*
 * The HTTP/1.1 client of `kpass desk` (see http_client.h): URL parsing,
 * the request writer, the pure response parser (status line, fields,
 * Content-Length, chunked coding, RFC 9112 §4-§7), and one blocking
 * exchange over a TCP socket with a deadline on every connect, write and
 * read.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "http_client.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"

#define HTTP_LINE_MAX     1024 /* a chunk-size line or a trailer field */
#define HTTP_READ_CHUNK   4096
#define HTTP_WIRE_MAX     (HTTP_HEADER_MAX + HTTP_BODY_MAX + 16384) /* with chunk framing */
#define HTTP_DEFAULT_PORT "80"

/* ---- URLs ---- */

static int http_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* RFC 3986 §3.3 pchar, and '/': what a base path may hold here. */
static int http_path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~!$&'()*+,;=:@/%", c) != NULL;
}

/* host[:port] from s[0..n) into u.  0 or -KP_ERR_PARSE. */
static int http_url_authority(const char *s, size_t n, struct http_url *u)
{
    const char *port = NULL;
    size_t hlen;
    int v6 = 0;

    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        unsigned char tmp[16];
        if (close == NULL || (size_t)(close - s - 1) >= sizeof(u->host))
            return -KP_ERR_PARSE;
        hlen = (size_t)(close - s - 1);
        memcpy(u->host, s + 1, hlen);
        u->host[hlen] = '\0';
        if (inet_pton(AF_INET6, u->host, tmp) != 1)
            return -KP_ERR_PARSE;
        if (close + 1 < s + n && close[1] != ':')
            return -KP_ERR_PARSE;
        port = close + 1 < s + n ? close + 2 : NULL;
        v6 = 1;
    } else {
        const char *colon = memchr(s, ':', n);
        hlen = colon ? (size_t)(colon - s) : n;
        if (hlen == 0 || hlen >= sizeof(u->host))
            return -KP_ERR_PARSE;
        for (size_t i = 0; i < hlen; i++)
            if (!http_host_char(s[i]))
                return -KP_ERR_PARSE;
        memcpy(u->host, s, hlen);
        u->host[hlen] = '\0';
        port = colon ? colon + 1 : NULL;
    }
    if (port != NULL) {
        size_t plen = (size_t)(s + n - port);
        unsigned long v = 0;
        if (plen == 0 || plen > 5)
            return -KP_ERR_PARSE;
        for (size_t i = 0; i < plen; i++) {
            if (port[i] < '0' || port[i] > '9')
                return -KP_ERR_PARSE;
            v = v * 10 + (unsigned long)(port[i] - '0');
        }
        if (v < 1 || v > 65535)
            return -KP_ERR_PARSE;
        snprintf(u->port, sizeof(u->port), "%lu", v);
    } else {
        snprintf(u->port, sizeof(u->port), "%s", HTTP_DEFAULT_PORT);
    }
    snprintf(u->authority, sizeof(u->authority), v6 ? "[%s]:%s" : "%s:%s", u->host, u->port);
    return 0;
}

int http_url_parse(const char *text, struct http_url *out)
{
    const char *auth, *path;
    size_t plen;

    memset(out, 0, sizeof(*out));
    if (strncasecmp(text, "https://", 8) == 0)
        return -KP_ERR_UNSUPPORTED;
    if (strncasecmp(text, "http://", 7) != 0)
        return -KP_ERR_PARSE;
    auth = text + 7;
    path = auth + strcspn(auth, "/?#");
    if (*path == '?' || *path == '#' || memchr(auth, '@', (size_t)(path - auth)) != NULL ||
        http_url_authority(auth, (size_t)(path - auth), out) < 0)
        goto bad;
    plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    if (plen >= sizeof(out->base))
        goto bad;
    for (size_t i = 0; i < plen; i++)
        if (!http_path_char(path[i]))
            goto bad;
    memcpy(out->base, path, plen);
    out->base[plen] = '\0';
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return -KP_ERR_PARSE;
}

int http_url_is_loopback(const struct http_url *u)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (strcasecmp(u->host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, u->host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, u->host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

/* ---- the response parser (pure) ---- */

/* What the head said about the body. */
struct http_head {
    int status;
    long long length; /* Content-Length, -1 when absent */
    int chunked;
    long retry_after;
    char content_type[64];
};

/* Offset just past the empty line ending the head.  0, -KP_ERR_TRUNC or -KP_ERR_TOOLONG. */
static int http_head_end(const uint8_t *buf, size_t len, size_t *end)
{
    size_t limit = len < HTTP_HEADER_MAX ? len : HTTP_HEADER_MAX;

    for (size_t i = 0; i < limit; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n') {
            *end = i + 2;
            return 0;
        }
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
            *end = i + 3;
            return 0;
        }
    }
    return len >= HTTP_HEADER_MAX ? -KP_ERR_TOOLONG : -KP_ERR_TRUNC;
}

/* "HTTP/1.1 201 Created" (RFC 9112 §4; the reason may be empty or absent). */
static int http_status_line(const char *s, size_t n, int *status)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return -KP_ERR_PARSE;
    for (int i = 9; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return -KP_ERR_PARSE;
    *status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (*status < 100 || *status > 599 || (n > 12 && s[12] != ' '))
        return -KP_ERR_PARSE;
    return 0;
}

/* 1*DIGIT of at most digits digits; -1 when not. */
static long long http_digits(const char *v, size_t n, size_t digits)
{
    long long x = 0;

    if (n == 0 || n > digits)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

static int http_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One field line "name: value" (RFC 9112 §5) into h. */
static int http_field(const char *s, size_t n, struct http_head *h)
{
    size_t name = 0, a, b;

    while (name < n && http_token_char(s[name]))
        name++;
    if (name == 0 || name == n || s[name] != ':')
        return -KP_ERR_PARSE; /* also an obs-fold line, which starts with a space */
    for (a = name + 1; a < n && (s[a] == ' ' || s[a] == '\t'); a++)
        ;
    for (b = n; b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'); b--)
        ;
    for (size_t i = a; i < b; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return -KP_ERR_PARSE;
    if (name == 14 && strncasecmp(s, "content-length", 14) == 0) {
        long long v = http_digits(s + a, b - a, 18);
        if (v < 0 || (h->length >= 0 && v != h->length))
            return -KP_ERR_PARSE;
        h->length = v;
    } else if (name == 17 && strncasecmp(s, "transfer-encoding", 17) == 0) {
        if (b - a != 7 || strncasecmp(s + a, "chunked", 7) != 0)
            return -KP_ERR_UNSUPPORTED;
        if (h->chunked)
            return -KP_ERR_PARSE; /* chunked twice (RFC 9112 §7) */
        h->chunked = 1;
    } else if (name == 12 && strncasecmp(s, "content-type", 12) == 0) {
        size_t m = b - a < sizeof(h->content_type) ? b - a : sizeof(h->content_type) - 1;
        memcpy(h->content_type, s + a, m);
        h->content_type[m] = '\0';
    } else if (name == 11 && strncasecmp(s, "retry-after", 11) == 0) {
        long long v = http_digits(s + a, b - a, 9); /* an HTTP-date is left out */
        h->retry_after = v < 0 ? -1 : (long)v;
    }
    return 0;
}

/* Parse the head buf[0..end) (which ends with an empty line). */
static int http_head_parse(const uint8_t *buf, size_t end, struct http_head *h)
{
    const char *s = (const char *)buf;
    size_t pos = 0;
    int first = 1, rc;

    memset(h, 0, sizeof(*h));
    h->length = -1;
    h->retry_after = -1;
    while (pos < end) {
        const char *nl = memchr(s + pos, '\n', end - pos);
        size_t n = (size_t)(nl - (s + pos));
        if (n > 0 && s[pos + n - 1] == '\r')
            n--;
        if (memchr(s + pos, '\0', n) != NULL)
            return -KP_ERR_PARSE;
        if (n == 0)
            break; /* the empty line */
        rc = first ? http_status_line(s + pos, n, &h->status) : http_field(s + pos, n, h);
        if (rc < 0)
            return rc;
        first = 0;
        pos = (size_t)(nl - s) + 1;
    }
    return first ? -KP_ERR_PARSE : 0;
}

/* The line at buf[pos..len) (without CRLF) and the offset after it. */
static int http_line(const uint8_t *buf, size_t len, size_t pos, size_t *n, size_t *next)
{
    size_t avail = len - pos, limit = avail < HTTP_LINE_MAX ? avail : HTTP_LINE_MAX;
    const uint8_t *nl = memchr(buf + pos, '\n', limit);

    if (nl == NULL)
        return avail >= HTTP_LINE_MAX ? -KP_ERR_TOOLONG : -KP_ERR_TRUNC;
    *n = (size_t)(nl - (buf + pos));
    *next = pos + *n + 1;
    if (*n > 0 && buf[pos + *n - 1] == '\r')
        (*n)--;
    return 0;
}

/* chunk-size [chunk-ext] (RFC 9112 §7.1): hex digits, then only an extension. */
static long long http_chunk_size(const uint8_t *s, size_t n)
{
    long long v = 0;
    size_t i = 0;

    for (; i < n; i++) {
        int d = s[i] >= '0' && s[i] <= '9'                     ? s[i] - '0'
                : (s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f' ? (s[i] | 0x20) - 'a' + 10
                                                               : -1;
        if (d < 0)
            break;
        if (i == 8)
            return -1; /* over 4 GiB: far over any limit here */
        v = v * 16 + d;
    }
    if (i == 0 || (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'))
        return -1;
    return v;
}

/* Decode the chunked body at buf[pos..len) into body; *end after the trailers. */
static int http_dechunk(const uint8_t *buf, size_t len, size_t pos, struct kp_buf *body,
                        size_t *end)
{
    size_t n, next;
    int rc;

    for (;;) {
        long long size;
        if ((rc = http_line(buf, len, pos, &n, &next)) < 0)
            return rc;
        if ((size = http_chunk_size(buf + pos, n)) < 0)
            return -KP_ERR_PARSE;
        pos = next;
        if (size == 0)
            break;
        if ((size_t)size > HTTP_BODY_MAX - body->len)
            return -KP_ERR_TOOLONG;
        if (len - pos < (size_t)size + 1)
            return -KP_ERR_TRUNC;
        kp_buf_append(body, buf + pos, (size_t)size);
        pos += (size_t)size;
        if (buf[pos] == '\r' && len - pos < 2)
            return -KP_ERR_TRUNC;
        if (buf[pos] == '\n')
            pos += 1;
        else if (buf[pos] == '\r' && buf[pos + 1] == '\n')
            pos += 2;
        else
            return -KP_ERR_PARSE;
    }
    /* Trailer fields, ignored, up to the empty line. */
    for (size_t trailers = 0;; trailers += n) {
        if (trailers > HTTP_HEADER_MAX)
            return -KP_ERR_TOOLONG;
        if ((rc = http_line(buf, len, pos, &n, &next)) < 0)
            return rc;
        pos = next;
        if (n == 0)
            break;
    }
    *end = pos;
    return 0;
}

/* The body after a head ending at hend; *end past it.  rc as http_response_parse. */
static int http_body(const uint8_t *buf, size_t len, int eof, const struct http_head *h,
                     size_t hend, struct kp_buf *body, size_t *end)
{
    /* RFC 9112 §6.3: no body for 1xx, 204, 304; then chunked, length, close. */
    if (h->status < 200 || h->status == 204 || h->status == 304) {
        *end = hend;
        return 0;
    }
    if (h->chunked)
        return http_dechunk(buf, len, hend, body, end);
    if (h->length >= 0) {
        if (h->length > HTTP_BODY_MAX)
            return -KP_ERR_TOOLONG;
        if (len - hend < (size_t)h->length)
            return -KP_ERR_TRUNC;
        kp_buf_append(body, buf + hend, (size_t)h->length);
        *end = hend + (size_t)h->length;
        return 0;
    }
    if (len - hend > HTTP_BODY_MAX)
        return -KP_ERR_TOOLONG;
    if (!eof)
        return -KP_ERR_TRUNC;
    kp_buf_append(body, buf + hend, len - hend);
    *end = len;
    return 0;
}

int http_response_parse(const uint8_t *buf, size_t len, int eof, struct http_response *out)
{
    struct kp_buf body = KP_BUF_INIT;
    struct http_head h;
    size_t hend, end = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->retry_after = -1;
    if ((rc = http_head_end(buf, len, &hend)) < 0) {
        /* A closed connection ends a head that lacks its empty line. */
        return rc == -KP_ERR_TRUNC && eof && len > 0 ? -KP_ERR_PARSE : rc;
    }
    if ((rc = http_head_parse(buf, hend, &h)) < 0 ||
        (rc = http_body(buf, len, eof, &h, hend, &body, &end)) < 0) {
        kp_buf_free(&body);
        return rc;
    }
    out->status = h.status;
    out->retry_after = h.retry_after;
    memcpy(out->content_type, h.content_type, sizeof(out->content_type));
    out->body_len = body.len;
    out->body = kp_buf_steal(&body);
    return end > 0 ? (int)end : -KP_ERR_PARSE;
}

void http_response_free(struct http_response *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
    r->retry_after = -1;
}

/* ---- one exchange over a socket ---- */

static int http_visible(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* The request's octets into req.  0 or -KP_ERR_INVAL. */
static int http_build(const struct http_url *u, const char *method, const char *path,
                      const char *bearer, const char *body, struct kp_buf *req)
{
    size_t blen = body ? strlen(body) : 0;

    for (const char *m = method; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return -KP_ERR_INVAL;
    if (*method == '\0' || path[0] != '/' || !http_visible(path) ||
        (bearer && (*bearer == '\0' || !http_visible(bearer))) || blen > HTTP_REQUEST_MAX)
        return -KP_ERR_INVAL;
    kp_buf_printf(req,
                  "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kpass-desk/1\r\n"
                  "Accept: application/json\r\nConnection: close\r\n",
                  method, u->base, path, u->authority);
    if (bearer)
        kp_buf_printf(req, "Authorization: Bearer %s\r\n", bearer);
    if (body)
        kp_buf_printf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
    else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        kp_buf_puts(req, "Content-Length: 0\r\n");
    kp_buf_puts(req, "\r\n");
    if (body)
        kp_buf_append(req, body, blen);
    return 0;
}

/* Wait for events on fd until deadline.  0, -KP_ERR_TIMEOUT or -errno. */
static int http_wait(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = kp_clock_ms();
        struct pollfd p = {fd, events, 0};
        int rc;
        if (now >= deadline)
            return -KP_ERR_TIMEOUT;
        rc = poll(&p, 1, (int)(deadline - now));
        if (rc > 0)
            return 0;
        if (rc == 0)
            return -KP_ERR_TIMEOUT;
        if (errno != EINTR)
            return -errno;
    }
}

/* Connect a non-blocking socket to one of addr's addresses.  fd or < 0. */
static int http_connect_one(const struct addrinfo *ai, uint64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int err = 0, rc;
    socklen_t elen = sizeof(err);

    if (fd < 0)
        return -errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if ((rc = http_wait(fd, POLLOUT, deadline)) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
        close(fd);
        return rc < 0 ? rc : -(err ? err : EIO);
    }
    return fd;
}

static int http_connect(const struct http_url *u, uint64_t deadline)
{
    struct addrinfo hints, *res = NULL;
    int rc, fd = -ECONNREFUSED;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0)
        return rc == EAI_NONAME || rc == EAI_NODATA ? -KP_ERR_NOTFOUND : -KP_ERR_IO;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = http_connect_one(ai, deadline);
        if (fd >= 0 || fd == -KP_ERR_TIMEOUT)
            break;
    }
    freeaddrinfo(res);
    return fd;
}

static int http_send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        int rc;
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -errno;
        if ((rc = http_wait(fd, POLLOUT, deadline)) < 0)
            return rc;
    }
    return 0;
}

/* Read until one final (non-1xx) answer is whole. */
static int http_read(int fd, uint64_t deadline, struct http_response *out)
{
    struct kp_buf in = KP_BUF_INIT;
    int rc, eof = 0;

    for (;;) {
        rc = in.len > 0 || eof ? http_response_parse((const uint8_t *)in.data, in.len, eof, out)
                               : -KP_ERR_TRUNC;
        if (rc > 0 && out->status < 200) {
            /* An interim answer (RFC 9110 §15.2): drop it and read on. */
            memmove(in.data, in.data + rc, in.len - (size_t)rc);
            in.len -= (size_t)rc;
            http_response_free(out);
            continue;
        }
        if (rc != -KP_ERR_TRUNC)
            break;
        if (eof) {
            rc = -KP_ERR_CLOSED;
            break;
        }
        if (in.len >= HTTP_WIRE_MAX) {
            rc = -KP_ERR_TOOLONG;
            break;
        }
        if ((rc = http_wait(fd, POLLIN, deadline)) < 0)
            break;
        kp_buf_reserve(&in, HTTP_READ_CHUNK);
        ssize_t r = recv(fd, in.data + in.len, HTTP_READ_CHUNK, 0);
        if (r > 0)
            in.len += (size_t)r;
        else if (r == 0)
            eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            rc = -errno;
            break;
        }
    }
    kp_buf_free(&in);
    return rc > 0 ? 0 : rc;
}

int http_request(const struct http_url *u, const char *method, const char *path, const char *bearer,
                 const char *body, unsigned timeout_ms, struct http_response *out)
{
    struct kp_buf req = KP_BUF_INIT;
    uint64_t deadline = kp_clock_ms() + timeout_ms;
    int fd = -1, rc;

    memset(out, 0, sizeof(*out));
    out->retry_after = -1;
    if ((rc = http_build(u, method, path, bearer, body, &req)) < 0)
        goto out;
    if ((rc = fd = http_connect(u, deadline)) < 0)
        goto out;
    if ((rc = http_send_all(fd, req.data, req.len, deadline)) < 0)
        goto out;
    rc = http_read(fd, deadline, out);
out:
    if (fd >= 0)
        close(fd);
    /* The request held the bearer token and maybe a PIN. */
    if (req.data)
        sodium_memzero(req.data, req.cap);
    kp_buf_free(&req);
    return rc;
}
