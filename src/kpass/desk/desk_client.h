/* SPDX-License-Identifier: ISC */
/*
 * `kpass desk`: the terminal program for office staff (DESIGN.md §7), a
 * client of the HTTP API in doc/http-api.md.  Staff sign in (desk token
 * from a file, staff id and PIN), then for each citizen: scan the QR card
 * (a handheld scanner types the KP1 token and Enter, or an image file),
 * check the summary, choose the purpose, send the code, type the code the
 * citizen reads out, and see VERIFIED or the refusal, with the receipt id.
 *
 * It runs over any pair of streams: on a terminal it turns echo off for
 * the PIN and may use colour; with stdin not a terminal every prompt ends
 * with a newline (so a test can read prompt lines) and there is no colour.
 * Nothing it prints holds a full CNIC or a full mobile number, even when
 * the server sends one, nor a PIN, a code or a token, and every text that
 * comes from the server is cleaned of terminal control characters.
 *
 * Two layers: the pure one (desk_answer_parse and the desk_view_*
 * functions: an API answer in, a struct or text out) and desk_client_run,
 * which does the talking.  Built into libkpass.a so that the Check suite
 * and the fuzz target reach it.
 */
#ifndef KPASS_DESK_CLIENT_H
#define KPASS_DESK_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpass/core/buf.h"
#include "kpass/id/cnic.h"
#include "kpass/id/msisdn.h"

#define DESK_SESSION_SIZE 257  /* a bearer session token, visible ASCII */
#define DESK_ID_SIZE      65   /* a verification id: [A-Za-z0-9_-], 1 to 64 */
#define DESK_TEXT_SIZE    161  /* a name or reason after cleaning */
#define DESK_LINE_MAX     1024 /* one line of input */

/* What the client takes from one API answer (doc/http-api.md); "" and -1 when absent. */
struct desk_answer {
    int status;                  /* the HTTP status */
    char error[32];              /* "error" kind of an error answer */
    char reason[DESK_TEXT_SIZE]; /* "reason" */
    char result[16]; /* confirm: verified, wrong, expired, used, dead, no_code, locked */
    char state[16];  /* scanned, code_sent, verified, failed, expired */
    long tries_left;
    long retry_after;      /* seconds: the "retry_after" field */
    int64_t until;         /* a lock's end, Unix seconds; 0 when absent */
    int64_t locked_until;  /* scan: the citizen's lockout from codes ends; 0 when none */
    int64_t expires_at;    /* a session's or a code's end */
    char id[DESK_ID_SIZE]; /* a verification's id */
    char session[DESK_SESSION_SIZE];
    char office_code[16];
    char office_name[DESK_TEXT_SIZE];
    char desk[16];
    char staff[16];
    char receipt_id[33];
    char msisdn[MSISDN_SIZE]; /* masked: where the code went */
    struct {
        char name[DESK_TEXT_SIZE];
        char name_ur[DESK_TEXT_SIZE];
        char cnic[CNIC_TEXT_SIZE]; /* masked */
        char msisdn[MSISDN_SIZE];  /* masked */
        char district[16];
        char status[16];    /* the credential's */
        int64_t expires_at; /* the credential's */
    } citizen;
};

/*
 * Parse an answer's JSON body (len octets; an empty or non-JSON body
 * leaves only status set).  Every text is cleaned (desk_view_clean), the
 * CNIC and numbers are masked (desk_view_cnic, desk_view_msisdn), and a
 * session token or id with characters it may not hold is dropped.
 * 0, or -KP_ERR_PARSE when the body is not a JSON object (a is still
 * usable).  Pure.
 */
int desk_answer_parse(int status, const char *body, size_t len, struct desk_answer *a);

/*
 * Copy s into out (cap octets, NUL-terminated), replacing every control
 * character (C0, DEL, C1), bidirectional override or isolate, and invalid
 * UTF-8 by '?', and cutting at a character boundary.  Returns out.  Pure.
 */
char *desk_view_clean(const char *s, char *out, size_t cap);

/*
 * A CNIC as the server sent it, made safe to show: a full CNIC (either
 * form) is masked ("*****-****567-1"); a text that is already masked
 * (only digits, '*' and '-', at most 4 digits) is kept; anything else is
 * "?".  Pure.
 */
void desk_view_cnic(const char *s, char out[CNIC_TEXT_SIZE]);

/* The same for a mobile number: a full number is masked ("+92300****567"); a
   masked one (digits, '*', a leading '+', at most 9 digits, at least one '*')
   is kept; anything else is "?".  Pure. */
void desk_view_msisdn(const char *s, char out[MSISDN_SIZE]);

/* The citizen summary of a scan answer, lines appended to out.  Pure. */
void desk_view_citizen(const struct desk_answer *a, struct kp_buf *out);

/* Plain words for a refused scan's reason ("the card has been revoked"). */
const char *desk_view_scan_refusal(const char *reason);

/* Plain words for a refused confirmation's result ("the code has expired"). */
const char *desk_view_confirm_refusal(const char *result);

/*
 * What a scanned line holds: leading blanks and an AIM symbology
 * identifier ("]Q1", ISO/IEC 15424) are dropped, trailing CR/LF too; the
 * rest is kept as is (Base45 has a space in its alphabet, RFC 9285 §4, so
 * trailing spaces stay).  Returns a pointer into line.  Pure.
 */
const char *desk_scan_text(char *line);

struct desk_client_opts {
    const char *url;     /* "http://127.0.0.1:8080[/base]" */
    const char *token;   /* the desk token text ("kd1_..."); the caller wipes it */
    const char *image;   /* the first citizen's QR from this image file, or NULL */
    unsigned timeout_ms; /* per request; 0: 10 s */
    int colour;          /* 1: ANSI colours (the caller decides: a terminal, no NO_COLOR) */
    int insecure;        /* 1: allow plain HTTP to another host */
};

/*
 * Run the desk program: sign in, then serve citizens until "q" or the end
 * of in.  Prompts and results go to out.  Returns an exit status: 0 (done),
 * 1 (could not go on: bad URL, server unreachable at sign-in, desk revoked
 * or refused), 2 (bad options).
 */
int desk_client_run(const struct desk_client_opts *o, FILE *in, FILE *out);

/*
 * Decode the first QR code in the PNG file path into out (cap octets,
 * NUL-terminated) with libzbar.  Returns the text's length, -KP_ERR_NOTFOUND
 * (no QR code in it), -KP_ERR_PARSE (not a readable PNG), -KP_ERR_TOOLONG,
 * -KP_ERR_RANGE (an image over 40 megapixels), or -KP_ERR_UNSUPPORTED
 * (built without libzbar).
 */
int desk_image_scan(const char *path, char *out, size_t cap);

#endif
