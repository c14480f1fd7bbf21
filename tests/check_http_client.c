/* SPDX-License-Identifier: ISC */
/*
 * The HTTP/1.1 client of `kpass desk`: URLs (good and bad side by side);
 * the response parser on whole answers, every truncation of them, chunked
 * bodies, and malformed, smuggling-shaped and oversized answers; and real
 * exchanges with a scripted server in the test (fake_http.h): the request
 * octets, answers in one-octet pieces, interim 100 answers, a server that
 * answers late (the timeout holds), one that closes early, nobody
 * listening, and header injection refused before any connection.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/kpass/desk/http_client.h"
#include "fake_http.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "testutil.h"

static const struct {
    const char *url;
    int rc;
    const char *host, *port, *base, *authority;
    int loopback;
} url_cases[] = {
    {"http://127.0.0.1:8080", 0, "127.0.0.1", "8080", "", "127.0.0.1:8080", 1},
    {"http://127.0.0.1:8080/", 0, "127.0.0.1", "8080", "", "127.0.0.1:8080", 1},
    {"HTTP://localhost", 0, "localhost", "80", "", "localhost:80", 1},
    {"http://[::1]:8080/kpass/", 0, "::1", "8080", "/kpass", "[::1]:8080", 1},
    {"http://127.9.9.9:1", 0, "127.9.9.9", "1", "", "127.9.9.9:1", 1},
    {"http://desk.example.org:65535/a/b", 0, "desk.example.org", "65535", "/a/b",
     "desk.example.org:65535", 0},
    {"http://10.0.0.5:8080", 0, "10.0.0.5", "8080", "", "10.0.0.5:8080", 0},
    {"http://[2001:db8::1]", 0, "2001:db8::1", "80", "", "[2001:db8::1]:80", 0},
    {"https://127.0.0.1:8443", -KP_ERR_UNSUPPORTED, NULL, NULL, NULL, NULL, 0},
    {"ftp://127.0.0.1", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"127.0.0.1:8080", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://:8080", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1:0", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1:65536", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1:80a", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1:", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://user@127.0.0.1", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1/?q=1", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1?q", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1/a b", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://[::1", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://[nothex]:80", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://[::1]x", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://host_name", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
    {"http://127.0.0.1\r\nX: y", -KP_ERR_PARSE, NULL, NULL, NULL, NULL, 0},
};

START_TEST(test_url_parse)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(url_cases); i++) {
        struct http_url u;
        int rc = http_url_parse(url_cases[i].url, &u);
        ck_assert_msg(rc == url_cases[i].rc, "%s: %d", url_cases[i].url, rc);
        if (rc != 0)
            continue;
        ck_assert_str_eq(u.host, url_cases[i].host);
        ck_assert_str_eq(u.port, url_cases[i].port);
        ck_assert_str_eq(u.base, url_cases[i].base);
        ck_assert_str_eq(u.authority, url_cases[i].authority);
        ck_assert_int_eq(http_url_is_loopback(&u), url_cases[i].loopback);
    }
}
END_TEST

static const char answer_201[] = "HTTP/1.1 201 Created\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: 13\r\n"
                                 "Retry-After: 120\r\n"
                                 "\r\n"
                                 "{\"id\":\"9f2c\"}";

static const char answer_chunked[] = "HTTP/1.1 200 OK\r\n"
                                     "Transfer-Encoding: chunked\r\n"
                                     "\r\n"
                                     "5;name=value\r\n{\"a\":\r\n"
                                     "A\r\n1234567890\r\n"
                                     "1\r\n}\r\n"
                                     "0\r\n"
                                     "X-Trailer: t\r\n"
                                     "\r\n";

START_TEST(test_parse_whole_and_truncated)
{
    struct http_response r;
    size_t n = strlen(answer_201);
    int rc;

    rc = http_response_parse((const uint8_t *)answer_201, n, 0, &r);
    ck_assert_int_eq(rc, (int)n);
    ck_assert_int_eq(r.status, 201);
    ck_assert_int_eq(r.retry_after, 120);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_uint_eq(r.body_len, 13);
    ck_assert_str_eq(r.body, "{\"id\":\"9f2c\"}");
    http_response_free(&r);
    /* Every shorter prefix needs more octets (osmocom habit: feed every truncation). */
    for (size_t k = 0; k < n; k++) {
        rc = http_response_parse((const uint8_t *)answer_201, k, 0, &r);
        ck_assert_msg(rc == -KP_ERR_TRUNC, "prefix %zu: %d", k, rc);
        ck_assert_ptr_null(r.body);
    }
    /* Trailing octets (a second answer) are not taken. */
    {
        char two[512];
        snprintf(two, sizeof(two), "%s%s", answer_201, answer_201);
        ck_assert_int_eq(http_response_parse((const uint8_t *)two, strlen(two), 0, &r), (int)n);
        http_response_free(&r);
    }
    n = strlen(answer_chunked);
    ck_assert_int_eq(http_response_parse((const uint8_t *)answer_chunked, n, 0, &r), (int)n);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"a\":1234567890}");
    ck_assert_int_eq(r.retry_after, -1);
    http_response_free(&r);
    for (size_t k = 0; k < n; k++)
        ck_assert_int_eq(http_response_parse((const uint8_t *)answer_chunked, k, 0, &r),
                         -KP_ERR_TRUNC);
}
END_TEST

static const struct {
    const char *raw;
    int eof;
    int rc; /* > 0: complete with this status */
    const char *body;
} parse_cases[] = {
    /* Good variants */
    {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 200, "ok"},
    {"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0, 200, ""},
    {"HTTP/1.1 404\r\ncontent-length:3\r\n\r\nno!", 0, 404, "no!"},
    {"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, 200, "ok"}, /* bare LF */
    {"HTTP/1.1 204 No Content\r\n\r\n", 0, 204, ""},
    {"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", 0, 304, ""},
    {"HTTP/1.1 100 Continue\r\n\r\n", 0, 100, ""},
    {"HTTP/1.1 200 OK\r\n\r\nuntil close", 1, 200, "until close"},
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 0, 200, "ok"},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n"
     "2\r\nok\r\n0\r\n\r\n",
     0, 200, "ok"}, /* RFC 9112 §6.3: chunked overrides the length */
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 200, ""},
    {"HTTP/1.1 429 Too Many\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n"
     "Content-Length: 0\r\n\r\n",
     0, 429, ""},
    /* Not finished yet */
    {"HTTP/1.1 200 OK\r\n\r\nuntil close", 0, -KP_ERR_TRUNC, NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", 1, -KP_ERR_TRUNC, NULL},
    /* Malformed */
    {"HTTP/1.1 200 OK\r\nContent-Length", 1, -KP_ERR_PARSE, NULL},
    {"HTTP/2 200 OK\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"http/1.1 200 OK\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 20 OK\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 2000 OK\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 099 Low\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 600 High\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", 0, -KP_ERR_PARSE, NULL}, /* obs-fold */
    {"HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", 0, -KP_ERR_PARSE,
     NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, -KP_ERR_UNSUPPORTED, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n", 0, -KP_ERR_PARSE,
     NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2x\r\nok\r\n", 0, -KP_ERR_PARSE, NULL},
    /* Over the limits */
    {"HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n", 0, -KP_ERR_TOOLONG, NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, -KP_ERR_PARSE, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", 0, -KP_ERR_TOOLONG, NULL},
};

START_TEST(test_parse_table)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(parse_cases); i++) {
        struct http_response r;
        const char *raw = parse_cases[i].raw;
        int rc = http_response_parse((const uint8_t *)raw, strlen(raw), parse_cases[i].eof, &r);
        if (parse_cases[i].rc > 0) {
            ck_assert_msg(rc > 0, "case %zu: %d", i, rc);
            ck_assert_int_eq(r.status, parse_cases[i].rc);
            ck_assert_str_eq(r.body, parse_cases[i].body);
            http_response_free(&r);
        } else {
            ck_assert_msg(rc == parse_cases[i].rc, "case %zu: %d, want %d", i, rc,
                          parse_cases[i].rc);
            ck_assert_ptr_null(r.body);
        }
    }
}
END_TEST

/* Heads and bodies just over the limits. */
START_TEST(test_parse_limits)
{
    struct kp_buf b = KP_BUF_INIT;
    struct http_response r;

    kp_buf_puts(&b, "HTTP/1.1 200 OK\r\n");
    while (b.len < HTTP_HEADER_MAX)
        kp_buf_puts(&b, "X-Filler: 0123456789012345678901234567890123456789\r\n");
    ck_assert_int_eq(http_response_parse((const uint8_t *)b.data, b.len, 0, &r), -KP_ERR_TOOLONG);
    kp_buf_reset(&b);
    /* A body without a length, over the limit before the end. */
    kp_buf_puts(&b, "HTTP/1.1 200 OK\r\n\r\n");
    while (b.len < HTTP_BODY_MAX + 100)
        kp_buf_puts(&b, "0123456789012345678901234567890123456789");
    ck_assert_int_eq(http_response_parse((const uint8_t *)b.data, b.len, 0, &r), -KP_ERR_TOOLONG);
    kp_buf_reset(&b);
    /* Exactly the limit is fine. */
    kp_buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", HTTP_BODY_MAX);
    for (int i = 0; i < HTTP_BODY_MAX; i++)
        kp_buf_putc(&b, 'x');
    ck_assert_int_eq(http_response_parse((const uint8_t *)b.data, b.len, 0, &r), (int)b.len);
    ck_assert_uint_eq(r.body_len, HTTP_BODY_MAX);
    http_response_free(&r);
    kp_buf_free(&b);
}
END_TEST

static void url_of(struct http_url *u, const struct fake_server *s)
{
    char text[64];

    snprintf(text, sizeof(text), "http://127.0.0.1:%d/base", s->port);
    ck_assert_int_eq(http_url_parse(text, u), 0);
}

START_TEST(test_request_octets)
{
    static const struct fake_reply replies[] = {{.raw = answer_201}, {.raw = answer_chunked}};
    struct fake_server s;
    struct http_response r;
    struct http_url u;
    char want[128];

    fake_start(&s, replies, 2);
    url_of(&u, &s);
    ck_assert_int_eq(
        http_request(&u, "POST", "/v1/verifications", "ks1_abc", "{\"token\":\"x\"}", 5000, &r), 0);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(r.body, "{\"id\":\"9f2c\"}");
    http_response_free(&r);
    ck_assert_int_eq(http_request(&u, "GET", "/healthz", NULL, NULL, 5000, &r), 0);
    ck_assert_str_eq(r.body, "{\"a\":1234567890}");
    http_response_free(&r);
    fake_stop(&s);
    ck_assert_ptr_nonnull(strstr(s.requests[0], "POST /base/v1/verifications HTTP/1.1\r\n"));
    snprintf(want, sizeof(want), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    ck_assert_ptr_nonnull(strstr(s.requests[0], want));
    ck_assert_ptr_nonnull(strstr(s.requests[0], "\r\nAuthorization: Bearer ks1_abc\r\n"));
    ck_assert_ptr_nonnull(strstr(s.requests[0], "\r\nContent-Type: application/json\r\n"));
    ck_assert_ptr_nonnull(strstr(s.requests[0], "\r\nContent-Length: 13\r\n"));
    ck_assert_ptr_nonnull(strstr(s.requests[0], "\r\nConnection: close\r\n"));
    ck_assert_ptr_nonnull(strstr(s.requests[0], "\r\n\r\n{\"token\":\"x\"}"));
    ck_assert_ptr_nonnull(strstr(s.requests[1], "GET /base/healthz HTTP/1.1\r\n"));
    ck_assert_ptr_null(strstr(s.requests[1], "Authorization"));
    ck_assert_ptr_null(strstr(s.requests[1], "Content-Length"));
    fake_free(&s);
}
END_TEST

/* Answers in one-octet pieces, after an interim 100, and one ended by closing. */
START_TEST(test_request_pieces)
{
    static const struct fake_reply replies[] = {
        {.raw = answer_chunked, .piece = 1},
        {.raw = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
        {.raw = "HTTP/1.1 200 OK\r\n\r\nbody until the close", .piece = 7},
    };
    struct fake_server s;
    struct http_response r;
    struct http_url u;

    fake_start(&s, replies, 3);
    url_of(&u, &s);
    ck_assert_int_eq(http_request(&u, "GET", "/a", NULL, NULL, 5000, &r), 0);
    ck_assert_str_eq(r.body, "{\"a\":1234567890}");
    http_response_free(&r);
    ck_assert_int_eq(http_request(&u, "GET", "/b", NULL, NULL, 5000, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "ok");
    http_response_free(&r);
    ck_assert_int_eq(http_request(&u, "GET", "/c", NULL, NULL, 5000, &r), 0);
    ck_assert_str_eq(r.body, "body until the close");
    http_response_free(&r);
    fake_stop(&s);
    fake_free(&s);
}
END_TEST

START_TEST(test_request_failures)
{
    static const struct fake_reply replies[] = {
        {.raw = answer_201, .delay_ms = 1500},                         /* too late */
        {.raw = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"}, /* closed early */
        {.raw = NULL},                                                 /* closed without a word */
        {.raw = "SSH-2.0-OpenSSH_9.2\r\n\r\n"},                        /* not HTTP */
    };
    struct fake_server s;
    struct http_response r;
    struct http_url u;
    uint64_t t0;
    int port;

    fake_start(&s, replies, 4);
    url_of(&u, &s);
    t0 = kp_clock_ms();
    ck_assert_int_eq(http_request(&u, "GET", "/slow", NULL, NULL, 300, &r), -KP_ERR_TIMEOUT);
    ck_assert_uint_lt(kp_clock_ms() - t0, 1200); /* the deadline held */
    ck_assert_ptr_null(r.body);
    ck_assert_int_eq(http_request(&u, "GET", "/short", NULL, NULL, 5000, &r), -KP_ERR_CLOSED);
    ck_assert_int_eq(http_request(&u, "GET", "/none", NULL, NULL, 5000, &r), -KP_ERR_CLOSED);
    ck_assert_int_eq(http_request(&u, "GET", "/ssh", NULL, NULL, 5000, &r), -KP_ERR_PARSE);
    /* Header injection and oversized bodies: refused before connecting. */
    ck_assert_int_eq(http_request(&u, "GET", "/x\r\nX-Evil: 1", NULL, NULL, 5000, &r),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(http_request(&u, "GET", "/x", "tok\r\nX-Evil: 1", NULL, 5000, &r),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(http_request(&u, "GET", "/x y", NULL, NULL, 5000, &r), -KP_ERR_INVAL);
    ck_assert_int_eq(http_request(&u, "GET", "x", NULL, NULL, 5000, &r), -KP_ERR_INVAL);
    ck_assert_int_eq(http_request(&u, "get", "/x", NULL, NULL, 5000, &r), -KP_ERR_INVAL);
    ck_assert_int_eq(http_request(&u, "GET", "/x", "", NULL, 5000, &r), -KP_ERR_INVAL);
    {
        char *big = malloc(HTTP_REQUEST_MAX + 2);
        memset(big, 'x', HTTP_REQUEST_MAX + 1);
        big[HTTP_REQUEST_MAX + 1] = '\0';
        ck_assert_int_eq(http_request(&u, "POST", "/x", NULL, big, 5000, &r), -KP_ERR_INVAL);
        free(big);
    }
    fake_stop(&s);
    ck_assert_uint_eq(s.served, 4); /* the refused requests never connected */
    fake_free(&s);
    /* Nobody listening. */
    port = tu_free_port();
    {
        char text[64];
        snprintf(text, sizeof(text), "http://127.0.0.1:%d", port);
        ck_assert_int_eq(http_url_parse(text, &u), 0);
    }
    ck_assert_int_eq(http_request(&u, "GET", "/", NULL, NULL, 2000, &r), -ECONNREFUSED);
    /* A name that does not resolve. */
    ck_assert_int_eq(http_url_parse("http://no-such-host.invalid:8080", &u), 0);
    ck_assert_int_lt(http_request(&u, "GET", "/", NULL, NULL, 2000, &r), 0);
}
END_TEST

START_TEST(test_request_oversized_answer)
{
    static char big[HTTP_BODY_MAX + 512];
    static struct fake_reply replies[1];
    struct fake_server s;
    struct http_response r;
    struct http_url u;
    int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n\r\n");

    memset(big + n, 'x', sizeof(big) - (size_t)n - 1);
    big[sizeof(big) - 1] = '\0';
    replies[0].raw = big;
    fake_start(&s, replies, 1);
    url_of(&u, &s);
    ck_assert_int_eq(http_request(&u, "GET", "/big", NULL, NULL, 5000, &r), -KP_ERR_TOOLONG);
    fake_stop(&s);
    fake_free(&s);
}
END_TEST

Suite *suite_http_client(void)
{
    Suite *s = suite_create("http_client");
    TCase *pure = tcase_create("parse");
    TCase *net = tcase_create("exchange");

    tcase_add_test(pure, test_url_parse);
    tcase_add_test(pure, test_parse_whole_and_truncated);
    tcase_add_test(pure, test_parse_table);
    tcase_add_test(pure, test_parse_limits);
    suite_add_tcase(s, pure);
    tcase_set_timeout(net, 30);
    tcase_add_test(net, test_request_octets);
    tcase_add_test(net, test_request_pieces);
    tcase_add_test(net, test_request_failures);
    tcase_add_test(net, test_request_oversized_answer);
    suite_add_tcase(s, net);
    return s;
}
