/* SPDX-License-Identifier: ISC */
/*
 * `kpass desk`, the counter program, against a scripted server in the test
 * (fake_http.h) with every answer piped in: a whole verification (the
 * requests it makes, octet for octet where it matters, and what it shows);
 * refusals of the card, the code request and the code; sign-in refusals,
 * a revoked desk and an ended session; cancelling, resending, a scanner's
 * AIM prefix, a QR code read from a PNG; the options it refuses; and the
 * pure layer: cleaning server texts, masking a CNIC or number the server
 * sends in full, and reading answers.  No output may hold a full CNIC or
 * number, the PIN, the code or a token.
 */
#include <check.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef KP_HAVE_ZBAR
#include <qrencode.h>
#endif

#include "../src/kpass/desk/desk_client.h"
#include "fake_http.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "testutil.h"

#define DESK_TOKEN "kd1_63qm-x14uT5ER8ns7b6OdMYbnupCPfhEl75xZ6RcG4A"
#define QR_TOKEN   "KP1:6BFOXN*TS0BI$ZD-PHQ7I9AD66V5B22CH9M9ESI9XBHX "
/* As the client sends it (kp1_text_normalise: no KP1 text ends in a blank). */
#define QR_SENT "KP1:6BFOXN*TS0BI$ZD-PHQ7I9AD66V5B22CH9M9ESI9XBHX"

#define ANS_SIGNED_IN                                                                              \
    "{\"session\":\"ks1_s3cr3t\",\"expires_at\":1795766400,\"office\":{\"code\":\"PSHDC1\","       \
    "\"name\":\"Deputy Commissioner Office Peshawar\"},\"desk\":\"PSHDC1-1\","                     \
    "\"staff\":\"PSH-0042\"}"
#define ANS_SCANNED                                                                                \
    "{\"id\":\"9f2c4e\",\"state\":\"scanned\",\"citizen\":{\"name\":\"Ayesha Khan\","              \
    "\"name_ur\":\"عائشہ خان\",\"cnic\":\"*****-****567-1\",\"msisdn\":\"+92300****567\"," \
    "\"district\":\"PSH\"},\"credential\":{\"serial\":\"0a1b\",\"status\":\"valid\","              \
    "\"expires_at\":1826000000}}"
#define ANS_CODE_SENT                                                                              \
    "{\"state\":\"code_sent\",\"msisdn\":\"+92300****567\",\"expires_at\":1795737900}"
#define ANS_VERIFIED                                                                               \
    "{\"result\":\"verified\",\"receipt\":\"KPR1:xyz\",\"receipt_id\":\"K7Q2M9X4TB\"}"

struct run {
    struct fake_server srv;
    char *out;
    int rc;
};

#define ANS_HEALTHY "{\"status\":\"ok\",\"database\":\"ok\",\"smpp_links\":1}"

/*
 * Run the client over script (stdin) against replies; output in r->out.
 * The client first checks that kpassd answers (GET /healthz): that request
 * is answered here and checked, and left out of r->srv, so that replies
 * and r->srv.requests[i] are the steps after it.
 */
static void run_desk(struct run *r, const struct fake_reply *replies, size_t n, const char *script,
                     int colour, const char *image)
{
    struct fake_reply all[FAKE_MAX];
    struct desk_client_opts o;
    char url[64], *copy;
    size_t len = 0;
    FILE *in, *out;

    ck_assert_uint_lt(n, FAKE_MAX);
    all[0] = (struct fake_reply){200, ANS_HEALTHY, NULL, 0, 0};
    memcpy(all + 1, replies, n * sizeof(*replies));
    fake_start(&r->srv, all, n + 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", r->srv.port);
    o = (struct desk_client_opts){url, DESK_TOKEN, image, 5000, colour, 0};
    copy = strdup(script); /* fmemopen wants a writable buffer */
    in = fmemopen(copy, strlen(copy), "r");
    out = open_memstream(&r->out, &len);
    r->rc = desk_client_run(&o, in, out);
    fclose(in);
    free(copy);
    fclose(out);
    fake_stop(&r->srv);
    ck_assert_uint_ge(r->srv.served, 1);
    ck_assert_ptr_nonnull(strstr(r->srv.requests[0], "GET /healthz HTTP/1.1\r\n"));
    ck_assert_ptr_nonnull(strstr(r->out, "Connected to kpassd at http://127.0.0.1:"));
    free(r->srv.requests[0]);
    memmove(r->srv.requests, r->srv.requests + 1, (FAKE_MAX - 1) * sizeof(r->srv.requests[0]));
    r->srv.requests[FAKE_MAX - 1] = NULL;
    r->srv.served--;
    r->srv.replies = replies;
    r->srv.n = n;
    tu_assert_masked(r->out);
    ck_assert_ptr_null(strstr(r->out, "ks1_s3cr3t"));
    ck_assert_ptr_null(strstr(r->out, DESK_TOKEN));
}

static void run_free(struct run *r)
{
    fake_free(&r->srv);
    free(r->out);
}

static void want(const struct run *r, const char *text)
{
    ck_assert_msg(strstr(r->out, text) != NULL, "want '%s' in:\n%s", text, r->out);
}

static void want_request(const struct run *r, size_t i, const char *text)
{
    ck_assert_msg(i < r->srv.served && strstr(r->srv.requests[i], text) != NULL,
                  "want '%s' in request %zu:\n%s", text, i,
                  i < r->srv.served ? r->srv.requests[i] : "(none)");
}

START_TEST(test_whole_verification)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0},
        {422, "{\"error\":\"refused\",\"result\":\"wrong\",\"tries_left\":4}", NULL, 0, 0},
        {200, ANS_VERIFIED, NULL, 0, 0},
        {200, "{\"result\":\"signed_out\"}", NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "psh-0042\n4821\n" QR_TOKEN "\n2\n654 321\n123-456\n", 0, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_uint_eq(r.srv.served, 6);
    /* Sign in: the token, the upper-cased staff id, the PIN; no bearer yet. */
    want_request(&r, 0, "POST /v1/desk/sessions HTTP/1.1\r\n");
    want_request(&r, 0,
                 "{\"desk_token\":\"" DESK_TOKEN "\",\"staff_id\":\"PSH-0042\","
                 "\"pin\":\"4821\"}");
    ck_assert_ptr_null(strstr(r.srv.requests[0], "Authorization"));
    /* Scan: the token as scanned, less the blank a scanner added after it. */
    want_request(&r, 1, "POST /v1/verifications HTTP/1.1\r\n");
    want_request(&r, 1, "Authorization: Bearer ks1_s3cr3t\r\n");
    want_request(&r, 1, "{\"token\":\"" QR_SENT "\"}");
    want_request(&r, 2, "POST /v1/verifications/9f2c4e/code HTTP/1.1\r\n");
    want_request(&r, 2, "{\"purpose\":\"sehat\"}");
    want_request(&r, 3, "POST /v1/verifications/9f2c4e/confirm HTTP/1.1\r\n");
    want_request(&r, 3, "{\"code\":\"654321\"}");
    want_request(&r, 4, "{\"code\":\"123456\"}");
    /* The end of input signs out on the server too. */
    want_request(&r, 5, "DELETE /v1/desk/sessions HTTP/1.1\r\n");
    want_request(&r, 5, "Authorization: Bearer ks1_s3cr3t\r\n");
    ck_assert_ptr_null(strstr(r.out, "could not be told"));
    /* What staff saw. */
    want(&r, "Staff id (q to quit):\n");
    want(&r, "Signed in: PSH-0042 at desk PSHDC1-1, Deputy Commissioner Office Peshawar (PSHDC1)");
    want(&r, "  Name:      Ayesha Khan\n");
    want(&r, "  Urdu name: عائشہ خان\n");
    want(&r, "  CNIC:      *****-****567-1\n");
    want(&r, "  Mobile:    +92300****567\n");
    want(&r, "  District:  PSH\n");
    want(&r, "  Card:      valid, valid until 2027-11-12\n");
    want(&r, "  2 Sehat Card\n");
    want(&r, "Code sent by SMS to +92300****567");
    want(&r, "Wrong code: 4 tries left.\n");
    want(&r, "VERIFIED\nReceipt: K7Q2M9X4TB\n");
    /* The end of input ends the program quietly; nothing secret was echoed. */
    ck_assert_ptr_null(strstr(r.out, "4821"));
    ck_assert_ptr_null(strstr(r.out, "123456"));
    ck_assert_ptr_null(strstr(r.out, "\033"));
    run_free(&r);
}
END_TEST

/* The server sends what it must not: a full CNIC and number, escapes in a name. */
START_TEST(test_hostile_answer)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {201,
         "{\"id\":\"ab\",\"citizen\":{\"name\":\"Ayesha\\u001b[2J\\u202eKhan\","
         "\"cnic\":\"35202-1234567-1\",\"msisdn\":\"03001234567\",\"district\":\"PSH\"}}",
         NULL, 0, 0},
        {201, "{\"id\":\"../../admin\",\"citizen\":{}}", NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies), "PSH-0042\n4821\nKP1:\xff\xfe\nKP1:A\n0\nKP1:B\n",
             0, NULL);
    ck_assert_int_eq(r.rc, 0);
    want(&r, "  Name:      Ayesha?[2J?Khan\n");
    want(&r, "  CNIC:      *****-****567-1\n");
    want(&r, "  Mobile:    +92300****567\n");
    /* Not UTF-8 (a scanner on the wrong layout): refused here, never sent. */
    want(&r, "REFUSED: this is not a Khyber Pass QR code (scan it again).\n");
    /* An id that could walk the path is not used. */
    want(&r, "The server's answer was not understood.");
    ck_assert_uint_eq(r.srv.served, 3);
    run_free(&r);
}
END_TEST

START_TEST(test_refusals)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {422, "{\"error\":\"refused\",\"reason\":\"revoked\"}", NULL, 0, 0},
        {422, "{\"error\":\"refused\",\"reason\":\"something_new\"}", NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {429, "{\"error\":\"limit\",\"retry_after\":300}", NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {423, "{\"error\":\"locked\",\"until\":1795740000}", NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0},
        {422, "{\"error\":\"refused\",\"result\":\"expired\"}", NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0},
        {423, "{\"error\":\"locked\",\"result\":\"locked\",\"until\":1795740000}", NULL, 0, 0},
        {500, "{\"error\":\"internal\",\"reason\":\"database\"}", NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "PSH-0042\n4821\n"
             "KP1:revoked\nKP1:new\n"
             "KP1:a\n1\n0\n" /* no code yet: the check waits; cancelled */
             "KP1:b\n1\n"
             "KP1:c\n1\n111111\n0\n" /* expired: a new code offered; cancelled */
             "KP1:d\n1\n222222\n"
             "KP1:e\n",
             0, NULL);
    ck_assert_int_eq(r.rc, 0);
    want(&r, "REFUSED: the card has been revoked.\n");
    want(&r, "REFUSED: the card was refused.\n");
    want(&r, "NO CODE SENT: the citizen has had too many codes; a new one can be sent in 5 "
             "minutes.\nType r to try again then, or 0 to cancel.\n");
    want(&r, "NO CODE SENT: the citizen is locked out of codes until ");
    want(&r, "NOT VERIFIED YET: the code has expired.\nSend the citizen a new code? (y: yes, 0: "
             "cancel)\n");
    want(&r, "NOT VERIFIED: the citizen is locked out after too many wrong codes (until ");
    want(&r, "The server could not do it (500: database). Try again.\n");
    ck_assert_uint_eq(r.srv.served, KP_ARRAY_LEN(replies));
    run_free(&r);
}
END_TEST

/* A card its citizen suspended (issue 15): lifted only on "y" after the in-person check. */
START_TEST(test_suspended_resume)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {422, "{\"error\":\"credential\",\"reason\":\"suspended\"}", NULL, 0, 0},
        {422, "{\"error\":\"credential\",\"reason\":\"suspended\"}", NULL, 0, 0},
        {200, "{\"serial\":\"0a1b\",\"status\":\"valid\"}", NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "PSH-0042\n4821\n"
             "KP1:sus\n\n"      /* left suspended */
             "KP1:sus\ny\n"     /* checked in person: lifted */
             "KP1:sus\n0\nq\n", /* scans again */
             0, NULL);
    want(&r, "REFUSED: the card was suspended by its citizen (lost or stolen).\n");
    want(&r, "RESUMED: the card is valid again");
    ck_assert_uint_eq(r.srv.served, KP_ARRAY_LEN(replies));
    want_request(&r, 3, "POST /v1/credentials/resume ");
    want_request(&r, 3, "{\"token\":\"KP1:SUS\"}"); /* as normalised (Caps Lock) */
    run_free(&r);
}
END_TEST

START_TEST(test_sign_in)
{
    static const struct fake_reply replies[] = {
        {401, "{\"error\":\"auth\",\"reason\":\"wrong desk token or PIN\"}", NULL, 0, 0},
        {423, "{\"error\":\"locked\"}", NULL, 0, 0},
        {201, ANS_SIGNED_IN, NULL, 0, 0},
    };
    static const struct fake_reply revoked[] = {
        {403, "{\"error\":\"denied\",\"reason\":\"desk revoked\"}", NULL, 0, 0},
    };
    struct run r;

    /* Refused locally (no request): not an id, a PIN that is not 4-8 digits. */
    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "PSH 42\nPSH-0042\n12\nPSH-0042\n9999\nPSH-0007\n1357\nPSH-0042\n4821\nq\nq\n", 0,
             NULL);
    ck_assert_int_eq(r.rc, 0);
    want(&r, "That is not a staff id (like PSH-0042).\n");
    want(&r, "A PIN is 4 to 8 digits.\n");
    want(&r, "Wrong staff id or PIN.\n");
    want(&r, "PSH-0007 is locked after too many wrong PINs");
    want(&r, "Signed in: PSH-0042");
    want(&r, "Signed out.\n");
    ck_assert_uint_eq(r.srv.served, 3);
    run_free(&r);
    /* A revoked desk cannot go on. */
    run_desk(&r, revoked, 1, "PSH-0042\n4821\n", 0, NULL);
    ck_assert_int_eq(r.rc, 1);
    want(&r, "This desk has been revoked");
    run_free(&r);
}
END_TEST

START_TEST(test_session_ends)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {401, "{\"error\":\"auth\",\"reason\":\"session expired\"}", NULL, 0, 0},
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "PSH-0042\n4821\nKP1:x\nPSH-0042\n4821\nKP1:x\n0\n", 0, NULL);
    ck_assert_int_eq(r.rc, 0);
    want(&r, "Your session has ended: sign in again.\n");
    ck_assert_uint_eq(r.srv.served, 4);
    want_request(&r, 2, "POST /v1/desk/sessions ");
    run_free(&r);
}
END_TEST

/* Cancel at the purpose, resend the code, cancel at the code, an AIM prefix, colour. */
START_TEST(test_cancel_resend_colour)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0}, {201, ANS_SCANNED, NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},   {202, ANS_CODE_SENT, NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0}, {201, ANS_SCANNED, NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0}, {200, ANS_VERIFIED, NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "PSH-0042\n4821\n"
             "  ]Q1KP1:one\n9\nx\n0\n"      /* bad choices asked again, then cancel */
             "KP1:two\n8\n12345\nr\n0\n"    /* a code too short, resend, cancel */
             "?\n\nKP1:three\n1\n123456\n", /* help, an empty line */
             1, NULL);
    ck_assert_int_eq(r.rc, 0);
    want_request(&r, 1, "{\"token\":\"KP1:ONE\"}");
    want_request(&r, 3, "{\"purpose\":\"service\"}");
    want_request(&r, 4, "{\"purpose\":\"service\"}");
    want_request(&r, 6, "{\"purpose\":\"identity\"}");
    want(&r, "A code is 6 digits.\n");
    want(&r, "image FILE");
    want(&r, "\033[1;32mVERIFIED\033[0m\n");
    ck_assert_uint_eq(r.srv.served, KP_ARRAY_LEN(replies));
    run_free(&r);
}
END_TEST

/* No dead ends: a resend not yet allowed, a code killed by wrong tries, a
   code sent for, an expired code: the same verification goes on to
   VERIFIED.  A locked-out citizen is told at the scan; a Caps Lock scan
   and a trailing Tab are sent as the card's text. */
START_TEST(test_no_dead_ends)
{
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {202, "{\"state\":\"code_sent\",\"msisdn\":\"+92300****567\",\"expires_at\":4102444800}",
         NULL, 0, 0},
        {429, "{\"error\":\"rate_limited\",\"retry_after\":45}", NULL, 0, 0},
        {422, "{\"error\":\"refused\",\"result\":\"wrong\",\"tries_left\":0,\"state\":\"scanned\"}",
         NULL, 0, 0},
        {429, "{\"error\":\"rate_limited\",\"retry_after\":30}", NULL, 0, 0},
        {409, "{\"error\":\"conflict\",\"reason\":\"send a code first\"}", NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0},
        {422, "{\"error\":\"refused\",\"result\":\"expired\",\"state\":\"scanned\"}", NULL, 0, 0},
        {202, ANS_CODE_SENT, NULL, 0, 0},
        {200, ANS_VERIFIED, NULL, 0, 0},
        {201,
         "{\"id\":\"77aa\",\"state\":\"scanned\",\"citizen\":{\"name\":\"Ayesha Khan\"},"
         "\"locked_until\":4102444800}",
         NULL, 0, 0},
        {422, "{\"error\":\"credential\",\"reason\":\"revoked\"}", NULL, 0, 0},
        {200, "{\"result\":\"signed_out\"}", NULL, 0, 0},
    };
    struct run r;

    run_desk(&r, replies, KP_ARRAY_LEN(replies),
             "PSH-0042\n4821\nKP1:x\n1\n"
             "r\n"         /* too soon: the first code still works */
             "111111\n"    /* the fifth wrong code: a new one offered */
             "y\n"         /* too soon again */
             "222222\n"    /* no live code: told to send one */
             "r\n333333\n" /* expired: a new one offered */
             "y\n444444\n"
             "kp1:locked\n"
             "  KP1:tab\t\r\n",
             0, NULL);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_uint_eq(r.srv.served, KP_ARRAY_LEN(replies));
    want(&r, "NO CODE SENT: the citizen has had too many codes; a new one can be sent in 45 "
             "seconds.\nThe code already sent still works until ");
    want(&r, "NOT VERIFIED YET: too many wrong codes: that code can no longer be used.\n"
             "Send the citizen a new code? (y: yes, 0: cancel)\n");
    want(&r, "a new one can be sent in 30 seconds.\nType r to try again then, or 0 to cancel.\n");
    want(&r, "No code is waiting for this check: type r to send one.\n");
    want(&r, "NOT VERIFIED YET: the code has expired.\n");
    want(&r, "VERIFIED\nReceipt: K7Q2M9X4TB\n");
    /* Every step was on the one verification. */
    for (size_t i = 2; i <= 10; i++)
        want_request(&r, i, "/v1/verifications/9f2c4e/");
    want_request(&r, 11, "{\"token\":\"KP1:LOCKED\"}");
    /* A lockout that ends on another day says which (the hour is this machine's zone). */
    const char *lk = strstr(r.out, "LOCKED OUT: after too many wrong codes this citizen cannot "
                                   "get a code until ");
    ck_assert_ptr_nonnull(lk);
    ck_assert(strstr(lk, " on 1 Jan. Ask them") != NULL ||
              strstr(lk, " on 31 Dec. Ask them") != NULL);
    want_request(&r, 12, "{\"token\":\"KP1:TAB\"}");
    want(&r, "REFUSED: the card has been revoked.\n");
    run_free(&r);
}
END_TEST

START_TEST(test_options_refused)
{
    static const struct {
        const char *url, *token;
        int insecure, rc;
    } cases[] = {
        {"https://127.0.0.1:8443", DESK_TOKEN, 0, 2},
        {"127.0.0.1:8080", DESK_TOKEN, 0, 2},
        {"http://10.0.0.5:8080", DESK_TOKEN, 0, 2},
        {"http://127.0.0.1:8080", "kd1_short", 0, 2},
        {"http://127.0.0.1:8080", DESK_TOKEN "x", 0, 2},
        {"http://127.0.0.1:8080", "kd1_63qm-x14uT5ER8ns7b6OdMYbnupCPfhEl75xZ6RcG4\"", 0, 2},
    };
    char *out = NULL, script[] = "PSH-0042\n4821\n";
    size_t len = 0;

    for (size_t i = 0; i < KP_ARRAY_LEN(cases); i++) {
        struct desk_client_opts o = {cases[i].url,     cases[i].token, NULL, 1000, 0,
                                     cases[i].insecure};
        FILE *in = fmemopen(script, strlen(script), "r");
        FILE *f = open_memstream(&out, &len);
        ck_assert_msg(desk_client_run(&o, in, f) == cases[i].rc, "case %zu", i);
        fclose(in);
        fclose(f);
        free(out);
    }
    /* Nobody listening: said plainly, exit 1. */
    {
        char url[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", tu_free_port());
        struct desk_client_opts o = {url, DESK_TOKEN, NULL, 1000, 0, 0};
        FILE *in = fmemopen(script, strlen(script), "r");
        FILE *f = open_memstream(&out, &len);
        ck_assert_int_eq(desk_client_run(&o, in, f), 1);
        fclose(in);
        fclose(f);
        ck_assert_ptr_nonnull(strstr(out, "Cannot reach kpassd at http://127.0.0.1:"));
        ck_assert_ptr_nonnull(strstr(out, "Is kpassd running?"));
        ck_assert_ptr_null(strstr(out, "Staff id"));
        free(out);
    }
    /* Something else answers there (not JSON): not kpassd, exit 1, no staff id asked. */
    {
        static const struct fake_reply other[] = {
            {0, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 0},
        };
        struct fake_server srv;
        char url[64];
        fake_start(&srv, other, 1);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
        struct desk_client_opts o = {url, DESK_TOKEN, NULL, 1000, 0, 0};
        FILE *in = fmemopen(script, strlen(script), "r");
        FILE *f = open_memstream(&out, &len);
        ck_assert_int_eq(desk_client_run(&o, in, f), 1);
        fclose(in);
        fclose(f);
        fake_stop(&srv);
        ck_assert_ptr_nonnull(strstr(srv.requests[0], "GET /healthz "));
        ck_assert_msg(strstr(out, "but it is not kpassd (200)") != NULL, "%s", out);
        ck_assert_ptr_null(strstr(out, "Staff id"));
        fake_free(&srv);
        free(out);
    }
}
END_TEST

#ifdef KP_HAVE_ZBAR
/* A PNG of text's QR code (4-module quiet zone, 4 pixels a module). */
static void write_qr_png(const char *path, const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    png_image img;
    unsigned scale = 4, quiet = 4, w;
    unsigned char *px;

    ck_assert_ptr_nonnull(qr);
    w = ((unsigned)qr->width + 2 * quiet) * scale;
    px = malloc((size_t)w * w);
    memset(px, 0xff, (size_t)w * w);
    for (unsigned y = 0; y < (unsigned)qr->width; y++)
        for (unsigned x = 0; x < (unsigned)qr->width; x++)
            if (qr->data[y * (unsigned)qr->width + x] & 1)
                for (unsigned dy = 0; dy < scale; dy++)
                    memset(px + ((y + quiet) * scale + dy) * w + (x + quiet) * scale, 0, scale);
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    img.width = w;
    img.height = w;
    img.format = PNG_FORMAT_GRAY;
    ck_assert_int_ne(png_image_write_to_file(&img, path, 0, px, 0, NULL), 0);
    free(px);
    QRcode_free(qr);
}
#endif

START_TEST(test_image)
{
#ifdef KP_HAVE_ZBAR
    static const struct fake_reply replies[] = {
        {201, ANS_SIGNED_IN, NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
        {201, ANS_SCANNED, NULL, 0, 0},
    };
    char *dir = tu_tmpdir("deskimg"), png[512], script[1200], text[256], notpng[512];
    struct run r;

    snprintf(png, sizeof(png), "%s/card.png", dir);
    snprintf(notpng, sizeof(notpng), "%s/notes.txt", dir);
    write_qr_png(png, QR_TOKEN);
    ck_assert_int_eq(tu_write_file(notpng, "not a picture\n"), 0);
    ck_assert_int_eq(desk_image_scan(png, text, sizeof(text)), (int)strlen(QR_TOKEN));
    ck_assert_str_eq(text, QR_TOKEN);
    ck_assert_int_eq(desk_image_scan(png, text, 8), -KP_ERR_TOOLONG);
    ck_assert_int_eq(desk_image_scan(notpng, text, sizeof(text)), -KP_ERR_PARSE);
    /* --image for the first citizen, then "image FILE" typed. */
    snprintf(script, sizeof(script), "PSH-0042\n4821\n0\nimage %s\n0\nimage %s\n", png, notpng);
    run_desk(&r, replies, KP_ARRAY_LEN(replies), script, 0, png);
    ck_assert_int_eq(r.rc, 0);
    want_request(&r, 1, "{\"token\":\"" QR_SENT "\"}");
    want_request(&r, 2, "{\"token\":\"" QR_SENT "\"}");
    want(&r, "No QR code read from ");
    run_free(&r);
    {
        char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};
        tu_run(argv, NULL, NULL, 5000);
    }
    free(dir);
#else
    char text[16];
    ck_assert_int_eq(desk_image_scan("/nonexistent.png", text, sizeof(text)), -KP_ERR_UNSUPPORTED);
#endif
}
END_TEST

/* ---- the pure layer ---- */

static const struct {
    const char *in, *cnic;
} cnic_cases[] = {
    {"35202-1234567-1", "*****-****567-1"},
    {"3520212345671", "*****-****567-1"},
    {"*****-****567-1", "*****-****567-1"},
    {"*****-*******-1", "*****-*******-1"},
    {"*****-**34567-1", "?"},
    {"9520212345671", "?"}, /* not a region: still hidden */
    {"35202 1234567 1", "?"},
    {"", "?"},
    {"<b>", "?"},
    {"*****-****567-1*", "?"},
};

static const struct {
    const char *in, *msisdn;
} msisdn_cases[] = {
    {"+923001234567", "+92300****567"},
    {"03001234567", "+92300****567"},
    {"0300 1234567", "+92300****567"},
    {"+92300****567", "+92300****567"},
    {"+9230012****7", "+9230012****7"},
    {"+9230012345****", "?"},
    {"92300123456789", "?"},
    {"12345678", "?"},
    {"+92 300 ****567", "?"},
    {"", "?"},
    {"****", "****"},
};

START_TEST(test_mask)
{
    char c[CNIC_TEXT_SIZE], m[MSISDN_SIZE];

    for (size_t i = 0; i < KP_ARRAY_LEN(cnic_cases); i++) {
        desk_view_cnic(cnic_cases[i].in, c);
        ck_assert_msg(strcmp(c, cnic_cases[i].cnic) == 0, "'%s' -> '%s'", cnic_cases[i].in, c);
    }
    for (size_t i = 0; i < KP_ARRAY_LEN(msisdn_cases); i++) {
        desk_view_msisdn(msisdn_cases[i].in, m);
        ck_assert_msg(strcmp(m, msisdn_cases[i].msisdn) == 0, "'%s' -> '%s'", msisdn_cases[i].in,
                      m);
    }
}
END_TEST

static const struct {
    const char *in;
    size_t cap;
    const char *out;
} clean_cases[] = {
    {"Ayesha Khan", 64, "Ayesha Khan"},
    {"عائشہ خان", 64, "عائشہ خان"},
    {"a\033[31mb", 64, "a?[31mb"},
    {"a\tb\nc\rd\x7f", 64, "a?b?c?d?"},
    {"a\xc2\x9b"
     "b",
     64, "a?b"}, /* C1 CSI */
    {"a\xe2\x80\xae"
     "b\xe2\x81\xa6",
     64, "a?b?"}, /* RLO, LRI */
    {"a\xff\xfe"
     "b",
     64, "a??b"},
    {"abcdef", 4, "abc"},
    {"عائشہ", 4, "ع"}, /* cut at a character boundary */
    {"", 4, ""},
};

START_TEST(test_clean_and_scan_text)
{
    static const struct {
        const char *line, *text;
    } scans[] = {
        {"KP1:ABC\r\n", "KP1:ABC"},
        {"  \tKP1:ABC \n", "KP1:ABC "},
        {"]Q1KP1:ABC\n", "KP1:ABC"},
        {"]Q0KP1:ABC", "KP1:ABC"},
        {"]q", "]q"},
        {"]1KP1", "]1KP1"},
        {"\n", ""},
    };
    char out[64], line[64];

    for (size_t i = 0; i < KP_ARRAY_LEN(clean_cases); i++) {
        desk_view_clean(clean_cases[i].in, out, clean_cases[i].cap);
        ck_assert_msg(strcmp(out, clean_cases[i].out) == 0, "case %zu: '%s'", i, out);
    }
    for (size_t i = 0; i < KP_ARRAY_LEN(scans); i++) {
        snprintf(line, sizeof(line), "%s", scans[i].line);
        ck_assert_str_eq(desk_scan_text(line), scans[i].text);
    }
}
END_TEST

START_TEST(test_answer_parse)
{
    struct desk_answer a;
    struct kp_buf view = KP_BUF_INIT;

    ck_assert_int_eq(desk_answer_parse(201, ANS_SIGNED_IN, strlen(ANS_SIGNED_IN), &a), 0);
    ck_assert_str_eq(a.session, "ks1_s3cr3t");
    ck_assert_str_eq(a.office_code, "PSHDC1");
    ck_assert_str_eq(a.desk, "PSHDC1-1");
    ck_assert_int_eq(a.expires_at, 1795766400);
    ck_assert_int_eq(a.tries_left, -1);
    /* Not JSON, not an object, duplicate keys, an empty body: only the status. */
    ck_assert_int_eq(desk_answer_parse(502, "<html>", 6, &a), -KP_ERR_PARSE);
    ck_assert_int_eq(a.status, 502);
    ck_assert_int_eq(desk_answer_parse(200, "[1]", 3, &a), -KP_ERR_PARSE);
    ck_assert_int_eq(desk_answer_parse(200, "{\"id\":\"a\",\"id\":\"b\"}", 19, &a), -KP_ERR_PARSE);
    ck_assert_str_eq(a.id, "");
    ck_assert_int_eq(desk_answer_parse(200, "", 0, &a), -KP_ERR_PARSE);
    /* Wrong types are absent; a session with a space or a bad id is dropped. */
    {
        static const char odd[] = "{\"tries_left\":\"4\",\"session\":\"a b\",\"id\":\"a/b\","
                                  "\"citizen\":[],\"office\":\"x\"}";
        ck_assert_int_eq(desk_answer_parse(200, odd, strlen(odd), &a), 0);
    }
    ck_assert_int_eq(a.tries_left, -1);
    ck_assert_str_eq(a.session, "");
    ck_assert_str_eq(a.id, "");
    /* A summary with nothing in it still says so. */
    desk_view_citizen(&a, &view);
    ck_assert_str_eq(view.data, "  Name:      ?\n  CNIC:      ?\n  Mobile:    ?\n");
    kp_buf_free(&view);
    ck_assert_str_eq(desk_view_scan_refusal("unknown_serial"), "there is no such card on record");
    ck_assert_str_eq(desk_view_confirm_refusal("used"), "the code has already been used");
}
END_TEST

Suite *suite_desk_client(void)
{
    Suite *s = suite_create("desk_client");
    TCase *pure = tcase_create("view");
    TCase *run = tcase_create("run");

    tcase_add_test(pure, test_mask);
    tcase_add_test(pure, test_clean_and_scan_text);
    tcase_add_test(pure, test_answer_parse);
    suite_add_tcase(s, pure);
    tcase_set_timeout(run, 60);
    tcase_add_test(run, test_whole_verification);
    tcase_add_test(run, test_hostile_answer);
    tcase_add_test(run, test_refusals);
    tcase_add_test(run, test_suspended_resume);
    tcase_add_test(run, test_sign_in);
    tcase_add_test(run, test_session_ends);
    tcase_add_test(run, test_cancel_resend_colour);
    tcase_add_test(run, test_no_dead_ends);
    tcase_add_test(run, test_options_refused);
    tcase_add_test(run, test_image);
    suite_add_tcase(s, run);
    return s;
}
