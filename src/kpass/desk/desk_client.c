/* SPDX-License-Identifier: ISC */
/*
 * The talking half of `kpass desk` (see desk_client.h): prompts and
 * answers on two streams, and the four API calls of a desk
 * (doc/http-api.md): sign in, scan, send the code, confirm.  Each citizen
 * is one pass: scan, purpose, code, confirm.  A pass ends only when the
 * rules end the verification (the card refused, the citizen locked out of
 * codes, the verification expired) or staff cancel it: a code not yet
 * allowed, an expired code and a code killed by wrong tries all leave it
 * waiting for a new code.  A session that ends (401) sends the staff
 * member back to sign in.  Before the first sign-in the program checks
 * that kpassd answers at its URL.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "desk_client.h"
#include "http_client.h"
#include "kpass/verify/codes.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/id/kp1.h"
#include "kpass/text/text.h"

#define DESK_TIMEOUT_MS 10000
#define DESK_CODE_LEN   6 /* DESIGN.md §6 */
#define DESK_GREEN      "\033[1;32m"
#define DESK_RED        "\033[1;31m"
#define DESK_RESET      "\033[0m"

/* What one pass over a citizen ends with. */
enum desk_next {
    DESK_NEXT = 0,    /* the next citizen */
    DESK_EOF = -1,    /* input ended */
    DESK_SIGN_IN = 2, /* the session ended: sign in again */
};

struct desk_ctx {
    const struct desk_client_opts *o;
    struct http_url url;
    FILE *in, *out;
    int tty;       /* in is a terminal: echo off for the PIN, prompts without newline */
    char *session; /* sodium_malloc()'d, DESK_SESSION_SIZE; "" when signed out */
    char staff[16];
    char desk[16];
};

/* Print a line, in colour (DESK_GREEN, DESK_RED or NULL) when allowed. */
static void desk_say(struct desk_ctx *c, const char *colour, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void desk_say(struct desk_ctx *c, const char *colour, const char *fmt, ...)
{
    va_list ap;

    if (colour && c->o->colour)
        fputs(colour, c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    if (colour && c->o->colour)
        fputs(DESK_RESET, c->out);
    fputc('\n', c->out);
    fflush(c->out);
}

/*
 * Ask: print prompt, read one line (at most cap - 1 octets) without its
 * newline.  secret turns echo off on a terminal.  Returns the length,
 * DESK_EOF at the end of input; a longer line is refused and asked again.
 */
static int desk_ask(struct desk_ctx *c, const char *prompt, char *buf, size_t cap, int secret)
{
    struct termios old, quiet;
    int quiet_on = 0;

    for (;;) {
        size_t n;
        char *got;
        fputs(prompt, c->out);
        fputc(c->tty ? ' ' : '\n', c->out);
        fflush(c->out);
        if (secret && c->tty && tcgetattr(fileno(c->in), &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            quiet_on = tcsetattr(fileno(c->in), TCSAFLUSH, &quiet) == 0;
        }
        got = fgets(buf, (int)cap, c->in);
        if (quiet_on) {
            tcsetattr(fileno(c->in), TCSAFLUSH, &old);
            fputc('\n', c->out);
        }
        if (got == NULL)
            return DESK_EOF;
        n = strcspn(buf, "\n");
        if (buf[n] == '\n' || feof(c->in)) {
            buf[n] = '\0';
            if (n > 0 && buf[n - 1] == '\r')
                buf[--n] = '\0';
            return (int)n;
        }
        /* Longer than cap: drop the rest of the line and ask again. */
        for (int ch; (ch = fgetc(c->in)) != EOF && ch != '\n';)
            ;
        sodium_memzero(buf, cap);
        desk_say(c, NULL, "That line is too long (at most %zu characters).", cap - 2);
    }
}

/* One API call; the answer parsed into a.  0, or < 0 when there is no answer. */
static int desk_call(struct desk_ctx *c, const char *method, const char *path, const char *body,
                     struct desk_answer *a)
{
    struct http_response r;
    int rc;

    rc = http_request(&c->url, method, path, c->session[0] ? c->session : NULL, body,
                      c->o->timeout_ms ? c->o->timeout_ms : DESK_TIMEOUT_MS, &r);
    if (rc < 0)
        return rc;
    desk_answer_parse(r.status, r.body, r.body_len, a);
    if (a->retry_after < 0)
        a->retry_after = r.retry_after;
    http_response_free(&r);
    return 0;
}

#define DESK_CLOCK_SIZE 24

/* "HH:MM" local time for t, with the day when it is not today ("09:30 on
   9 Dec"): a lockout can last days (DESIGN.md §6, doubling to 30). */
static const char *desk_clock(int64_t t, char out[DESK_CLOCK_SIZE])
{
    time_t tt = (time_t)t, now = time(NULL);
    struct tm tm, today;

    if (t <= 0 || localtime_r(&tt, &tm) == NULL || localtime_r(&now, &today) == NULL ||
        strftime(out, DESK_CLOCK_SIZE,
                 tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday ? "%H:%M"
                                                                            : "%H:%M on %-d %b",
                 &tm) == 0)
        snprintf(out, DESK_CLOCK_SIZE, "?");
    return out;
}

/* An answer that no step expects: say what the server said. */
static void desk_unexpected(struct desk_ctx *c, const struct desk_answer *a)
{
    if (a->status >= 500)
        desk_say(c, DESK_RED, "The server could not do it (%d%s%s). Try again.", a->status,
                 a->reason[0] ? ": " : "", a->reason);
    else if (a->status == 429)
        desk_say(c, DESK_RED, "Too many requests from this desk: wait %ld seconds.",
                 a->retry_after > 0 ? a->retry_after : 60);
    else
        desk_say(c, DESK_RED, "The server refused it (%d %s%s%s).", a->status,
                 a->error[0] ? a->error : "error", a->reason[0] ? ": " : "", a->reason);
}

static void desk_network(struct desk_ctx *c, int rc)
{
    desk_say(c, DESK_RED, "Cannot reach kpassd at http://%s%s: %s.", c->url.authority, c->url.base,
             kp_strerror(rc));
}

/* A staff id as typed: letters upper-cased; 0, or -1 when it cannot be one. */
static int desk_staff_id(char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= 16)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            s[i] = (char)(s[i] - 'a' + 'A');
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return -1;
    }
    return 0;
}

static int desk_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);

    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* What a sign-in answer means: 0 signed in, 1 give up, 2 ask again. */
static int desk_sign_in_answer(struct desk_ctx *c, const struct desk_answer *a, const char *staff)
{
    char until[DESK_CLOCK_SIZE];

    switch (a->status) {
    case 201:
        if (a->session[0] == '\0') {
            desk_say(c, DESK_RED, "The server's answer was not understood.");
            return 1;
        }
        memcpy(c->session, a->session, DESK_SESSION_SIZE);
        /* desk_staff_id() kept the typed id under 16 octets; the precision says so to
           -Wformat-truncation, which cannot see it at -O1. */
        snprintf(c->staff, sizeof(c->staff), "%.15s", a->staff[0] ? a->staff : staff);
        snprintf(c->desk, sizeof(c->desk), "%s", a->desk);
        desk_say(c, NULL, "Signed in: %s at desk %s, %s (%s), until %s.", c->staff, c->desk,
                 a->office_name, a->office_code, desk_clock(a->expires_at, until));
        return 0;
    case 401:
        desk_say(c, DESK_RED, "Wrong staff id or PIN.");
        return 2;
    case 423:
        desk_say(c, DESK_RED,
                 "%s is locked after too many wrong PINs: ask the administrator "
                 "(kpass staff unlock %s).",
                 staff, staff);
        return 2;
    case 403:
        desk_say(c, DESK_RED,
                 "This desk has been revoked: ask the administrator for a new "
                 "desk token.");
        return 1;
    case 400:
        desk_say(c, DESK_RED, "The server refused the sign-in (%s): check the desk token file.",
                 a->reason[0] ? a->reason : "bad request");
        return 1;
    default:
        desk_unexpected(c, a);
        return 2;
    }
}

/* Sign in: 0 signed in, 1 give up, DESK_EOF at the end of input (or "q"). */
static int desk_sign_in(struct desk_ctx *c)
{
    char staff[64], pin[64], body[256];
    struct desk_answer a;
    int rc;

    for (;;) {
        if ((rc = desk_ask(c, "Staff id (q to quit):", staff, sizeof(staff), 0)) == DESK_EOF)
            return DESK_EOF;
        if (strcmp(staff, "q") == 0 || strcmp(staff, "Q") == 0)
            return DESK_EOF;
        if (rc == 0)
            continue;
        if (desk_staff_id(staff) < 0) {
            desk_say(c, NULL, "That is not a staff id (like PSH-0042).");
            continue;
        }
        if (desk_ask(c, "PIN:", pin, sizeof(pin), 1) == DESK_EOF)
            return DESK_EOF;
        if (!desk_digits(pin, 4, 8)) {
            sodium_memzero(pin, sizeof(pin));
            desk_say(c, NULL, "A PIN is 4 to 8 digits.");
            continue;
        }
        /* Every value was checked to need no JSON escaping. */
        snprintf(body, sizeof(body), "{\"desk_token\":\"%s\",\"staff_id\":\"%s\",\"pin\":\"%s\"}",
                 c->o->token, staff, pin);
        sodium_memzero(pin, sizeof(pin));
        rc = desk_call(c, "POST", "/v1/desk/sessions", body, &a);
        sodium_memzero(body, sizeof(body));
        if (rc < 0) {
            desk_network(c, rc);
            return 1;
        }
        rc = desk_sign_in_answer(c, &a, staff);
        sodium_memzero(&a, sizeof(a));
        if (rc != 2)
            return rc;
    }
}

/* A POST whose body is one string field.  As desk_call. */
static int desk_post1(struct desk_ctx *c, const char *path, const char *key, const char *value,
                      struct desk_answer *a)
{
    json_t *o = json_pack("{s:s}", key, value); /* NULL when value is not UTF-8 */
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    int rc;

    if (o == NULL)
        return -KP_ERR_ENCODING;
    json_decref(o);
    if (body == NULL)
        return -KP_ERR_NOMEM;
    rc = desk_call(c, "POST", path, body, a);
    sodium_memzero(body, strlen(body));
    free(body);
    return rc;
}

/* Choose a purpose: its code, NULL to cancel, or *eof set. */
static const char *desk_purpose(struct desk_ctx *c, int *eof)
{
    const char *const *p = codes_purposes();
    char line[32];
    size_t n = 0;

    desk_say(c, NULL, "Purpose of the check:");
    for (; p[n] != NULL; n++)
        desk_say(c, NULL, "  %zu %s", n + 1, codes_purpose_label(p[n]));
    desk_say(c, NULL, "  0 cancel (next citizen)");
    for (;;) {
        char prompt[48];
        snprintf(prompt, sizeof(prompt), "Choose 1-%zu:", n);
        if (desk_ask(c, prompt, line, sizeof(line), 0) == DESK_EOF) {
            *eof = 1;
            return NULL;
        }
        if (strcmp(line, "0") == 0)
            return NULL;
        if (desk_digits(line, 1, 2) && atoi(line) >= 1 && (size_t)atoi(line) <= n)
            return p[atoi(line) - 1];
    }
}

/* What asking for a code came to. */
enum desk_code_out {
    DESK_CODE_SENT,    /* a code is on its way */
    DESK_CODE_LATER,   /* none now (rate limit, or no answer): the verification goes on */
    DESK_CODE_REFUSED, /* the verification has ended (locked out, card, expired) */
    DESK_CODE_SIGN_IN, /* the session ended */
};

/* "45 seconds", "5 minutes": how long to wait. */
static const char *desk_wait(long s, char out[32])
{
    if (s < 120)
        snprintf(out, 32, "%ld second%s", s, s == 1 ? "" : "s");
    else
        snprintf(out, 32, "%ld minutes", (s + 59) / 60);
    return out;
}

/*
 * Ask for a code for verification id.  *valid_until becomes the new
 * code's end when one was sent; left alone otherwise (an earlier code
 * still holds).
 */
static enum desk_code_out desk_send_code(struct desk_ctx *c, const char *id, const char *purpose,
                                         int64_t *valid_until)
{
    struct desk_answer a;
    char path[128], until[DESK_CLOCK_SIZE], wait[32];
    int rc;

    snprintf(path, sizeof(path), "/v1/verifications/%s/code", id);
    if ((rc = desk_post1(c, path, "purpose", purpose, &a)) < 0) {
        desk_network(c, rc);
        return DESK_CODE_LATER;
    }
    switch (a.status) {
    case 202:
        *valid_until = a.expires_at;
        desk_say(c, NULL, "Code sent by SMS to %s (valid until %s). Ask the citizen for it.",
                 a.msisdn[0] ? a.msisdn : "the registered number", desk_clock(a.expires_at, until));
        return DESK_CODE_SENT;
    case 401:
        return DESK_CODE_SIGN_IN;
    case 429:
        desk_say(c, DESK_RED,
                 "NO CODE SENT: the citizen has had too many codes; a new one can be sent "
                 "in %s.",
                 desk_wait(a.retry_after > 0 ? a.retry_after : 60, wait));
        return DESK_CODE_LATER;
    case 423:
        desk_say(c, DESK_RED, "NO CODE SENT: the citizen is locked out of codes until %s.",
                 desk_clock(a.until, until));
        return DESK_CODE_REFUSED;
    case 410:
        desk_say(c, DESK_RED, "This check has expired: scan the card again.");
        return DESK_CODE_REFUSED;
    case 422:
        if (strcmp(a.error, "credential") == 0) {
            desk_say(c, DESK_RED, "REFUSED: %s.", desk_view_scan_refusal(a.reason));
            return DESK_CODE_REFUSED;
        }
        desk_unexpected(c, &a);
        return DESK_CODE_REFUSED;
    default:
        desk_unexpected(c, &a);
        return a.status >= 500 ? DESK_CODE_LATER : DESK_CODE_REFUSED;
    }
}

/* The code as typed, spaces and dashes dropped, into code: 1 when it is 6 digits. */
static int desk_code_text(const char *line, char code[DESK_CODE_LEN + 1])
{
    size_t n = 0;

    for (; *line; line++) {
        if (*line == ' ' || *line == '-')
            continue;
        if (*line < '0' || *line > '9' || n == DESK_CODE_LEN)
            return 0;
        code[n++] = *line;
    }
    code[n] = '\0';
    return n == DESK_CODE_LEN;
}

/* One verification waiting for its code. */
struct desk_check {
    const char *id;
    const char *purpose;
    int64_t valid_until; /* the live code's end; 0: none known */
};

/* r: send a new code.  1 to go on asking for the code, or what the pass ends with. */
static int desk_resend(struct desk_ctx *c, struct desk_check *k)
{
    char until[DESK_CLOCK_SIZE];

    switch (desk_send_code(c, k->id, k->purpose, &k->valid_until)) {
    case DESK_CODE_SENT:
        return 1;
    case DESK_CODE_SIGN_IN:
        return DESK_SIGN_IN;
    case DESK_CODE_REFUSED:
        return DESK_NEXT;
    case DESK_CODE_LATER:
        break;
    }
    /* Not allowed yet: the verification, and any code already sent, go on. */
    if (k->valid_until > (int64_t)time(NULL))
        desk_say(c, NULL, "The code already sent still works until %s: type it when it arrives.",
                 desk_clock(k->valid_until, until));
    else
        desk_say(c, NULL, "Type r to try again then, or 0 to cancel.");
    return 1;
}

/* The code can no longer be used: offer a new one in the same verification. */
static int desk_offer(struct desk_ctx *c, struct desk_check *k)
{
    char line[16];

    k->valid_until = 0;
    for (;;) {
        if (desk_ask(c, "Send the citizen a new code? (y: yes, 0: cancel)", line, sizeof(line),
                     0) == DESK_EOF)
            return DESK_EOF;
        if (strcmp(line, "y") == 0 || strcmp(line, "Y") == 0)
            return desk_resend(c, k);
        if (strcmp(line, "0") == 0 || strcmp(line, "n") == 0 || strcmp(line, "N") == 0)
            return DESK_NEXT;
    }
}

/* Does a refused code leave the verification waiting for a new code? */
static int desk_code_void(const struct desk_answer *a)
{
    if (strcmp(a->state, "scanned") == 0)
        return 1; /* the server said so (doc/http-api.md) */
    return strcmp(a->result, "expired") == 0 || strcmp(a->result, "dead") == 0 ||
           (strcmp(a->result, "wrong") == 0 && a->tries_left == 0);
}

/* One confirm answer: DESK_NEXT when done, 1 to ask again, DESK_SIGN_IN, DESK_EOF. */
static int desk_confirm_answer(struct desk_ctx *c, struct desk_check *k,
                               const struct desk_answer *a)
{
    char until[DESK_CLOCK_SIZE];

    if (a->status == 200 && strcmp(a->result, "verified") == 0) {
        desk_say(c, DESK_GREEN, "VERIFIED");
        desk_say(c, NULL, "Receipt: %s", a->receipt_id[0] ? a->receipt_id : "?");
        return DESK_NEXT;
    }
    if (a->status == 401)
        return DESK_SIGN_IN;
    if (a->status == 422 && strcmp(a->result, "wrong") == 0 && a->tries_left > 0) {
        desk_say(c, DESK_RED, "Wrong code: %ld %s left.", a->tries_left,
                 a->tries_left == 1 ? "try" : "tries");
        return 1;
    }
    if (a->status == 422 && desk_code_void(a)) {
        desk_say(c, DESK_RED, "NOT VERIFIED YET: %s.",
                 desk_view_confirm_refusal(strcmp(a->result, "wrong") == 0 ? "dead" : a->result));
        return desk_offer(c, k);
    }
    if (a->status == 409) {
        desk_say(c, NULL, "No code is waiting for this check: type r to send one.");
        return 1;
    }
    if (a->status == 410) {
        desk_say(c, DESK_RED, "This check has expired: scan the card again.");
        return DESK_NEXT;
    }
    if (a->status == 423)
        desk_say(c, DESK_RED, "NOT VERIFIED: %s (until %s).", desk_view_confirm_refusal("locked"),
                 desk_clock(a->until, until));
    else if (a->status == 422)
        desk_say(c, DESK_RED, "NOT VERIFIED: %s.", desk_view_confirm_refusal(a->result));
    else
        desk_unexpected(c, a);
    return a->status >= 500 ? 1 : DESK_NEXT;
}

/* Ask for the code and confirm it.  DESK_NEXT, DESK_EOF or DESK_SIGN_IN. */
static int desk_confirm(struct desk_ctx *c, struct desk_check *k)
{
    char line[64], code[DESK_CODE_LEN + 1], path[128];
    struct desk_answer a;
    int rc;

    snprintf(path, sizeof(path), "/v1/verifications/%s/confirm", k->id);
    for (;;) {
        if (desk_ask(c, "Code from the citizen (r: send a new code, 0: cancel):", line,
                     sizeof(line), 0) == DESK_EOF)
            return DESK_EOF;
        if (strcmp(line, "0") == 0)
            return DESK_NEXT;
        if (strcmp(line, "r") == 0 || strcmp(line, "R") == 0) {
            if ((rc = desk_resend(c, k)) != 1)
                return rc;
            continue;
        }
        if (!desk_code_text(line, code)) {
            desk_say(c, NULL, "A code is %d digits.", DESK_CODE_LEN);
            continue;
        }
        rc = desk_post1(c, path, "code", code, &a);
        sodium_memzero(line, sizeof(line));
        sodium_memzero(code, sizeof(code));
        if (rc < 0) {
            desk_network(c, rc);
            continue;
        }
        if ((rc = desk_confirm_answer(c, k, &a)) != 1)
            return rc;
    }
}

/* Scan answer: 1 to go on with a->id, else what the pass ends with. */
static int desk_scanned(struct desk_ctx *c, const struct desk_answer *a)
{
    struct kp_buf view = KP_BUF_INIT;
    char until[DESK_CLOCK_SIZE];

    if (a->status == 201 && a->id[0]) {
        desk_view_citizen(a, &view);
        desk_say(c, NULL, "Citizen:\n%s", view.data ? view.data : "");
        kp_buf_free(&view);
        if (a->locked_until <= 0)
            return 1;
        /* No code can reach them before then: said now, not after a purpose. */
        desk_say(c, DESK_RED,
                 "LOCKED OUT: after too many wrong codes this citizen cannot get a code "
                 "until %s. Ask them to come back then.",
                 desk_clock(a->locked_until, until));
        return DESK_NEXT;
    }
    if (a->status == 401)
        return DESK_SIGN_IN;
    if (a->status == 201)
        desk_say(c, DESK_RED, "The server's answer was not understood.");
    else if (a->status == 422)
        desk_say(c, DESK_RED, "REFUSED: %s.", desk_view_scan_refusal(a->reason));
    else
        desk_unexpected(c, a);
    return DESK_NEXT;
}

/*
 * A card its citizen suspended (issue 15): after the staff member checked
 * the holder in person, "y" lifts the suspension (POST
 * /v1/credentials/resume) and the card can be scanned again.  DESK_NEXT,
 * DESK_EOF or DESK_SIGN_IN.
 */
static int desk_offer_resume(struct desk_ctx *c, const char *token)
{
    struct desk_answer a;
    char line[16];
    int rc;

    if (desk_ask(c,
                 "Only if you have checked the holder's CNIC in person: y to lift the "
                 "suspension, Enter to leave it:",
                 line, sizeof(line), 0) == DESK_EOF)
        return DESK_EOF;
    if (strcmp(line, "y") != 0 && strcmp(line, "Y") != 0)
        return DESK_NEXT;
    if ((rc = desk_post1(c, "/v1/credentials/resume", "token", token, &a)) < 0) {
        desk_network(c, rc);
        return DESK_NEXT;
    }
    if (a.status == 401)
        return DESK_SIGN_IN;
    if (a.status == 200)
        desk_say(c, DESK_GREEN, "RESUMED: the card is valid again; scan it to verify.");
    else if (a.status == 422)
        desk_say(c, DESK_RED, "NOT RESUMED: %s.", desk_view_scan_refusal(a.reason));
    else
        desk_unexpected(c, &a);
    return DESK_NEXT;
}

/* One citizen, from the scanned token text.  DESK_NEXT, DESK_EOF or DESK_SIGN_IN. */
static int desk_citizen(struct desk_ctx *c, const char *scanned)
{
    struct desk_answer a;
    struct desk_check k = {NULL, NULL, 0};
    char id[DESK_ID_SIZE], token[DESK_LINE_MAX];
    int rc, eof = 0;

    /* A scanner on the wrong keyboard layout can type anything: not UTF-8 is not a card. */
    if (text_utf8_valid(scanned, strlen(scanned)) < 0 ||
        kp1_text_normalise(scanned, strlen(scanned), token, sizeof(token)) < 0) {
        desk_say(c, DESK_RED, "REFUSED: %s.", desk_view_scan_refusal("format"));
        return DESK_NEXT;
    }
    if ((rc = desk_post1(c, "/v1/verifications", "token", token, &a)) < 0) {
        desk_network(c, rc);
        return DESK_NEXT;
    }
    if ((rc = desk_scanned(c, &a)) != 1)
        return rc == DESK_NEXT && a.status == 422 && strcmp(a.reason, "suspended") == 0
                   ? desk_offer_resume(c, token)
                   : rc;
    memcpy(id, a.id, sizeof(id));
    k.id = id;
    if ((k.purpose = desk_purpose(c, &eof)) == NULL)
        return eof ? DESK_EOF : DESK_NEXT;
    switch (desk_send_code(c, id, k.purpose, &k.valid_until)) {
    case DESK_CODE_SIGN_IN:
        return DESK_SIGN_IN;
    case DESK_CODE_REFUSED:
        return DESK_NEXT;
    case DESK_CODE_LATER:
        desk_say(c, NULL, "Type r to try again then, or 0 to cancel.");
        break;
    case DESK_CODE_SENT:
        break;
    }
    return desk_confirm(c, &k);
}

static void desk_help(struct desk_ctx *c)
{
    desk_say(c, NULL,
             "Scan the citizen's QR card with the scanner, or type:\n"
             "  image FILE   read the QR code from a PNG picture\n"
             "  q            sign out");
}

/* The scanned text of one line: commands handled; NULL when none to serve. */
static const char *desk_line(struct desk_ctx *c, char *line, char *img, size_t cap, int *quit)
{
    const char *text = desk_scan_text(line);
    int n;

    if (strcmp(text, "q") == 0 || strcmp(text, "quit") == 0) {
        *quit = 1;
        return NULL;
    }
    if (strcmp(text, "?") == 0 || strcmp(text, "help") == 0) {
        desk_help(c);
        return NULL;
    }
    if (strncmp(text, "image ", 6) != 0)
        return text[0] ? text : NULL;
    if ((n = desk_image_scan(text + 6, img, cap)) < 0) {
        desk_say(c, DESK_RED, "No QR code read from %s: %s.", text + 6,
                 n == -KP_ERR_UNSUPPORTED ? "this kpass was built without libzbar"
                                          : kp_strerror(n));
        return NULL;
    }
    return img;
}

/* Serve citizens until the staff member signs out.  DESK_NEXT (signed out),
   DESK_EOF or DESK_SIGN_IN. */
static int desk_serve(struct desk_ctx *c, int *first)
{
    char line[DESK_LINE_MAX], img[DESK_LINE_MAX];
    const char *text;
    int rc, quit = 0;

    for (;;) {
        if (*first && c->o->image) {
            snprintf(line, sizeof(line), "image %s", c->o->image);
        } else if (desk_ask(c, "Scan a QR card (? for help, q to sign out):", line, sizeof(line),
                            0) == DESK_EOF) {
            return DESK_EOF;
        }
        *first = 0;
        if ((text = desk_line(c, line, img, sizeof(img), &quit)) == NULL) {
            if (quit)
                return DESK_NEXT;
            continue;
        }
        if ((rc = desk_citizen(c, text)) != DESK_NEXT)
            return rc;
        desk_say(c, NULL, "----");
    }
}

static int desk_token_ok(const char *t)
{
    if (strlen(t) != 47 || strncmp(t, "kd1_", 4) != 0)
        return 0;
    for (t += 4; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
              *t == '-' || *t == '_'))
            return 0;
    return 1;
}

static int desk_setup(struct desk_ctx *c, const struct desk_client_opts *o)
{
    int rc = http_url_parse(o->url, &c->url);

    if (rc == -KP_ERR_UNSUPPORTED) {
        fprintf(stderr,
                "kpass: desk: %s: this client speaks plain HTTP; reach an HTTPS "
                "server through a local TLS tunnel (see doc/kpass-desk.md)\n",
                o->url);
        return 2;
    }
    if (rc < 0) {
        fprintf(stderr, "kpass: desk: '%s' is not a URL such as http://127.0.0.1:8080\n", o->url);
        return 2;
    }
    if (!http_url_is_loopback(&c->url) && !o->insecure) {
        fprintf(stderr,
                "kpass: desk: %s is not this machine: the desk token and PINs would "
                "cross the network in clear; use a TLS tunnel to a local port, or "
                "--insecure-http on a network you trust\n",
                o->url);
        return 2;
    }
    if (!desk_token_ok(o->token)) {
        fprintf(stderr, "kpass: desk: the desk token file does not hold a desk token "
                        "(kd1_ and 43 characters)\n");
        return 2;
    }
    return 0;
}

/*
 * End the session on the server too (DELETE /v1/desk/sessions), so that
 * it cannot be used from anywhere once staff leave the desk.  0 when the
 * server ended it (or it had already ended), < 0 when it could not be told.
 */
static int desk_sign_out(struct desk_ctx *c)
{
    struct desk_answer a;
    int rc;

    if (c->session[0] == '\0')
        return 0;
    rc = desk_call(c, "DELETE", "/v1/desk/sessions", NULL, &a);
    if (rc < 0 || (a.status != 200 && a.status != 204 && a.status != 401)) {
        desk_say(c, DESK_RED, "The server could not be told (%s): the session ends at its expiry.",
                 rc < 0 ? kp_strerror(rc) : "refused");
        return rc < 0 ? rc : -KP_ERR_STATE;
    }
    return 0;
}

/*
 * Is kpassd there?  GET /healthz before staff type an id and a PIN, so
 * that a wrong URL or a stopped daemon is said at once, with the URL.
 * Any JSON answer is kpassd's (with an operations address /healthz moves
 * there and the desks' address answers 404 in JSON).  0, or 1 (told).
 */
static int desk_probe(struct desk_ctx *c)
{
    struct http_response r;
    struct desk_answer a;
    int rc;

    rc = http_request(&c->url, "GET", "/healthz", NULL, NULL,
                      c->o->timeout_ms ? c->o->timeout_ms : DESK_TIMEOUT_MS, &r);
    if (rc < 0) {
        desk_network(c, rc);
        desk_say(c, NULL,
                 "Is kpassd running? The address comes from --url, or from [http] listen "
                 "in kpassd.conf.");
        return 1;
    }
    rc = desk_answer_parse(r.status, r.body, r.body_len, &a);
    http_response_free(&r);
    if (rc < 0) {
        desk_say(c, DESK_RED, "Something answers at http://%s%s, but it is not kpassd (%d).",
                 c->url.authority, c->url.base, a.status);
        return 1;
    }
    if (a.status >= 500)
        desk_say(c, DESK_RED, "kpassd at http://%s%s is not well (%d%s%s): sign-in may fail.",
                 c->url.authority, c->url.base, a.status, a.reason[0] ? ": " : "", a.reason);
    else
        desk_say(c, NULL, "Connected to kpassd at http://%s%s.", c->url.authority, c->url.base);
    return 0;
}

int desk_client_run(const struct desk_client_opts *o, FILE *in, FILE *out)
{
    struct desk_ctx c;
    int rc, first = 1;

    memset(&c, 0, sizeof(c));
    c.o = o;
    c.in = in;
    c.out = out;
    c.tty = isatty(fileno(in));
    if ((rc = desk_setup(&c, o)) != 0 || (rc = desk_probe(&c)) != 0)
        return rc;
    if ((c.session = sodium_malloc(DESK_SESSION_SIZE)) == NULL)
        return 1;
    c.session[0] = '\0';
    for (;;) {
        if (c.session[0] == '\0' && (rc = desk_sign_in(&c)) != 0)
            break;
        rc = desk_serve(&c, &first);
        if (rc == DESK_SIGN_IN)
            desk_say(&c, NULL, "Your session has ended: sign in again.");
        /* q, or the end of input: the session ends on the server as well. */
        if (rc != DESK_SIGN_IN)
            desk_sign_out(&c);
        if (rc == DESK_NEXT)
            desk_say(&c, NULL, "Signed out.");
        sodium_memzero(c.session, DESK_SESSION_SIZE);
        if (rc == DESK_EOF)
            break;
    }
    sodium_free(c.session);
    return rc == DESK_EOF ? 0 : rc;
}
