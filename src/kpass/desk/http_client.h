/* SPDX-License-Identifier: ISC */
/*
 * A small blocking HTTP/1.1 client for `kpass desk` (RFC 9110, RFC 9112):
 * one request per TCP connection ("Connection: close"), every read and
 * write bounded by one deadline per request, and every size bounded
 * (headers HTTP_HEADER_MAX, bodies HTTP_BODY_MAX).  Plain HTTP only: for a
 * daemon on another host, put a TLS tunnel in front (doc/kpass-desk.md).
 *
 * The response parser is pure (bytes in, a struct out) so that it can be
 * tested and fuzzed alone; http_request() owns the socket.
 *
 * Built into libkpass.a (src/kpass/module.mk) so that the Check suite and
 * the fuzz target reach it.
 *
 *   struct http_url u;
 *   struct http_response r;
 *   http_url_parse("http://127.0.0.1:8080", &u);
 *   if (http_request(&u, "GET", "/healthz", NULL, NULL, 5000, &r) == 0)
 *       printf("%d %s\n", r.status, r.body);
 *   http_response_free(&r);
 */
#ifndef KPASS_HTTP_CLIENT_H
#define KPASS_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEADER_MAX  8192  /* status line and header fields, octets */
#define HTTP_BODY_MAX    65536 /* response body, octets (the API's are at most 16 KiB) */
#define HTTP_REQUEST_MAX 16384 /* request body, octets (doc/http-api.md) */

struct http_url {
    char host[256];      /* a name or a numeric address, without brackets */
    char port[6];        /* "8080" */
    char base[128];      /* path prefix without the trailing '/', "" for none */
    char authority[272]; /* for the Host header: "127.0.0.1:8080", "[::1]:8080" */
};

struct http_response {
    int status;            /* 100..599 */
    long retry_after;      /* Retry-After in seconds (RFC 9110 §10.2.3), -1 when absent */
    char content_type[64]; /* as sent, "" when absent */
    char *body;            /* malloc'd, NUL-terminated (not counted); "" when none */
    size_t body_len;
};

/*
 * Parse "http://host[:port][/base]" (host a name, an IPv4 address or an
 * IPv6 address in brackets; port 1..65535, default 80).  0,
 * -KP_ERR_UNSUPPORTED ("https://": use a TLS tunnel), or -KP_ERR_PARSE.
 */
int http_url_parse(const char *text, struct http_url *out);

/* 1 when the URL's host is this machine (localhost, 127.0.0.0/8, ::1), else 0. */
int http_url_is_loopback(const struct http_url *u);

/*
 * Parse one response from buf[0..len).  eof says the peer has closed, so
 * that a body with neither Content-Length nor chunked coding ends there
 * (RFC 9112 §6.3).  On success out holds the response (free it with
 * http_response_free) and the number of octets it took is returned (> 0).
 * -KP_ERR_TRUNC (more octets are needed), -KP_ERR_PARSE (not HTTP/1.x, or
 * a malformed field, length or chunk), -KP_ERR_TOOLONG (over a limit),
 * -KP_ERR_UNSUPPORTED (a transfer coding other than chunked); out is then
 * empty.  Pure.
 */
int http_response_parse(const uint8_t *buf, size_t len, int eof, struct http_response *out);

/* Free r's body; r is empty afterwards.  Safe on an empty response. */
void http_response_free(struct http_response *r);

/*
 * Send one request (method, base + path, a JSON body when body is not
 * NULL, "Authorization: Bearer <bearer>" when bearer is not NULL) and read
 * the answer, all within timeout_ms.  Interim 1xx answers are skipped.
 * 0 with *out filled whatever the status (free it), -KP_ERR_INVAL (a path
 * or bearer with characters a request line or field may not hold, or a
 * body over HTTP_REQUEST_MAX), -KP_ERR_NOTFOUND (the name does not
 * resolve), -KP_ERR_TIMEOUT, -KP_ERR_CLOSED (closed before a whole
 * answer), -errno (connect, send, recv), or a parse error as above.
 */
int http_request(const struct http_url *u, const char *method, const char *path, const char *bearer,
                 const char *body, unsigned timeout_ms, struct http_response *out);

#endif
