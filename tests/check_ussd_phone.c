/* SPDX-License-Identifier: ISC */
/*
 * ussd phone: the golden transcripts of tests/dialogs played against the
 * real kpassd over SMPP.  Each dialog of a transcript (a dial and its
 * replies) is sent by `kpass phone --script ... --json`, a feature phone
 * behind a gateway binding as partner "phone", and every screen that comes
 * back must be the transcript's, text, encoding and end, for each partner
 * profile (its-session, umr, msisdn, data-sm).  The same dialogs are driven
 * by the npm smpp package (tests/peers/client.js ussd), an SMPP
 * implementation that shares no code with kpass.  A code requested over
 * USSD arrives as an SMS at the phone.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/mem.h"
#include "testutil.h"

#define SEG_MAX     16
#define SEG_SCREENS 48

/* One expected screen. */
struct xscreen {
    char text[1024];
    int ucs2, end;
    char lang[8]; /* the language the hop changed to, or "" */
};

/* One dialog of a transcript: the dial, its replies, and their screens. */
struct seg {
    char dial[64];
    char need[8]; /* the caller's language at the dial (the transcript's `lang`) */
    char replies[SEG_SCREENS][128];
    int nreplies;
    struct xscreen x[SEG_SCREENS];
    int nx;
    unsigned line; /* of the dial */
};

struct script {
    char file[64];
    char msisdn[24];
    struct seg seg[SEG_MAX];
    int nseg;
};

static struct tu_daemon d;
static char pwfile[600];
static char remembered[8]; /* the language kpassd remembers for the caller */

/* Read a transcript as dialogs the phone can play; 0, or -1 with why. */
static int script_load(const char *name, struct script *s, char *why, size_t cap)
{
    char path[1024], lang[8] = "en";
    char *text, *next, *line;
    unsigned no = 0;
    struct seg *g = NULL;

    memset(s, 0, sizeof(*s));
    snprintf(s->file, sizeof(s->file), "%s", name);
    snprintf(s->msisdn, sizeof(s->msisdn), "+923000000101");
    snprintf(path, sizeof(path), "%s/tests/dialogs/%s", tu_top(), name);
    text = (char *)tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    for (line = text; line; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        no++;
        if (line[0] == '\0')
            continue;
        if (line[0] == '#')
            continue;
        if (strncmp(line, "caller ", 7) == 0) {
            /* one caller a file: the phone has one number */
            char number[24] = "", l[8] = "";
            sscanf(line, "caller %23s lang %7s", number, l);
            if (s->nseg && strcmp(number, s->msisdn) != 0) {
                snprintf(why, cap, "%s:%u: a second caller", name, no);
                goto bad;
            }
            snprintf(s->msisdn, sizeof(s->msisdn), "%s", number);
            if (l[0])
                snprintf(lang, sizeof(lang), "%s", l);
        } else if (strncmp(line, "lang ", 5) == 0) {
            snprintf(lang, sizeof(lang), "%s", line + 5);
        } else if (strncmp(line, "! dial ", 7) == 0) {
            if (s->nseg == SEG_MAX)
                break;
            g = &s->seg[s->nseg++];
            snprintf(g->dial, sizeof(g->dial), "%s", line + 7);
            snprintf(g->need, sizeof(g->need), "%s", lang);
            g->line = no;
        } else if (line[0] == '>' && g) {
            if (line[1] == '\0' || strchr(line + 2, ',') || line[2] == '*') {
                snprintf(why, cap, "%s:%u: a reply the phone cannot send", name, no);
                goto bad;
            }
            snprintf(g->replies[g->nreplies++], sizeof(g->replies[0]), "%s", line + 2);
        } else if (line[0] == '<' && g) {
            struct xscreen *x = &g->x[g->nx++];
            char enc[8], kind[12];
            sscanf(line, "< %7s %11s lang %7s", enc, kind, x->lang);
            x->ucs2 = strcmp(enc, "ucs2") == 0;
            x->end = strcmp(kind, "end") == 0;
        } else if (line[0] == '|' && g && g->nx) {
            struct xscreen *x = &g->x[g->nx - 1];
            size_t n = strlen(x->text);
            snprintf(x->text + n, sizeof(x->text) - n, "%s%s", n ? "\n" : "",
                     line[1] ? line + 2 : "");
        } else {
            snprintf(why, cap, "%s:%u: '%s' cannot be played over SMPP", name, no, line);
            goto bad;
        }
    }
    for (int i = 0; i < s->nseg; i++) {
        if (s->seg[i].nx != s->seg[i].nreplies + 1) {
            snprintf(why, cap, "%s:%u: every hop needs its screen", name, s->seg[i].line);
            goto bad;
        }
    }
    free(text);
    return 0;
bad:
    free(text);
    return -1;
}

/* Undo JSON string escapes (as kpass phone and JSON.stringify write them). */
static void json_unescape(const char *p, char *out, size_t cap)
{
    size_t n = 0;

    for (; *p && *p != '"' && n + 4 < cap; p++) {
        if (*p != '\\') {
            out[n++] = *p;
            continue;
        }
        p++;
        if (*p == 'n')
            out[n++] = '\n';
        else if (*p == 'u') {
            unsigned v = 0;
            sscanf(p + 1, "%4x", &v);
            p += 4;
            if (v < 0x80) {
                out[n++] = (char)v;
            } else if (v < 0x800) {
                out[n++] = (char)(0xC0 | v >> 6);
                out[n++] = (char)(0x80 | (v & 0x3F));
            } else {
                out[n++] = (char)(0xE0 | v >> 12);
                out[n++] = (char)(0x80 | (v >> 6 & 0x3F));
                out[n++] = (char)(0x80 | (v & 0x3F));
            }
        } else {
            out[n++] = *p; /* \" \\ \/ */
        }
    }
    out[n] = '\0';
}

/* The string value of "key" in a JSON line, unescaped; 0 when present. */
static int json_str(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    if ((p = strstr(line, pat)) == NULL)
        return -1;
    json_unescape(p + strlen(pat), out, cap);
    return 0;
}

/* Compare got (a phone's or the peer's screen) with x; fail with where. */
static void screen_check(const struct script *s, const struct seg *g, int k, const char *text,
                         int ucs2, int end, const char *who)
{
    const struct xscreen *x = &g->x[k];

    ck_assert_msg(strcmp(text, x->text) == 0,
                  "%s: %s, dialog at line %u, screen %d:\n%s\ninstead of\n%s", who, s->file,
                  g->line, k + 1, text, x->text);
    ck_assert_msg(ucs2 == x->ucs2, "%s: %s:%u screen %d: encoding", who, s->file, g->line, k + 1);
    ck_assert_msg(end == x->end, "%s: %s:%u screen %d: end", who, s->file, g->line, k + 1);
}

/* Run kpass phone with script for msisdn; the screens in its JSON output. */
static int phone_run(const char *msisdn, const char *session, const char *script, char **out)
{
    return tu_kpass(&d, NULL, out, "phone", "--password-file", pwfile, "--msisdn", msisdn,
                    "--session", session, "--script", script, "--json", "--timeout", "20", NULL);
}

/* Make kpassd remember lang for the caller, the way a caller does it:
   the Language screen by a dialled shortcut. */
static void phone_set_lang(const char *msisdn, const char *session, const char *lang)
{
    char *out = NULL, got[1024];
    const char *script = strcmp(lang, "ur") == 0        ? "*789*6*2#"
                         : strcmp(lang, "ps") == 0      ? "*789*6*3#"
                         : strcmp(lang, "ur-Latn") == 0 ? "*789*6*4#"
                                                        : "*789*6*1#";
    int rc = phone_run(msisdn, session, script, &out);
    char *p = strstr(out, "{\"screen\":");

    ck_assert_msg(rc == 0 && p, "language %s: exit %d: %s", lang, rc, out);
    ck_assert_int_eq(json_str(p, "screen", got, sizeof(got)), 0);
    /* home, in that language */
    ck_assert_msg(strstr(got, strcmp(lang, "en") == 0 || strcmp(lang, "ur-Latn") == 0
                                  ? "Khyber Pass\n1 "
                                  : "خیبر پاس\n1 "),
                  "%s", got);
    free(out);
    snprintf(remembered, sizeof(remembered), "%s", lang);
}

static void phone_play(const struct script *s, const char *session)
{
    for (int i = 0; i < s->nseg; i++) {
        const struct seg *g = &s->seg[i];
        char script[2048], *out = NULL, text[1024], enc[8];
        int n = 0, rc;

        if (strcmp(g->need, remembered) != 0)
            phone_set_lang(s->msisdn, session, g->need);
        snprintf(script, sizeof(script), "%s", g->dial);
        for (int r = 0; r < g->nreplies; r++)
            snprintf(script + strlen(script), sizeof(script) - strlen(script), ",%s",
                     g->replies[r]);
        rc = phone_run(s->msisdn, session, script, &out);
        ck_assert_msg(rc == 0, "%s:%u (%s): kpass phone exit %d:\n%s", s->file, g->line, session,
                      rc, out);
        for (char *p = strstr(out, "{\"screen\":"); p; p = strstr(p + 1, "{\"screen\":")) {
            char *eol = strchr(p, '\n');
            if (eol)
                *eol = '\0';
            ck_assert_msg(n < g->nx, "%s:%u: more screens than the transcript has:\n%s", s->file,
                          g->line, p);
            ck_assert_int_eq(json_str(p, "screen", text, sizeof(text)), 0);
            ck_assert_int_eq(json_str(p, "encoding", enc, sizeof(enc)), 0);
            screen_check(s, g, n, text, strcmp(enc, "ucs2") == 0, strstr(p, "\"end\":true") != NULL,
                         session);
            if (g->x[n].lang[0])
                snprintf(remembered, sizeof(remembered), "%s", g->x[n].lang);
            n++;
            if (eol)
                *eol = '\n';
        }
        ck_assert_msg(n == g->nx, "%s:%u (%s): %d screens of %d", s->file, g->line, session, n,
                      g->nx);
        free(out);
    }
}

/* ---- the daemon ---- */

static void phone_daemon(const char *profile, int sms)
{
    char seed[1024], citizens[1100], *out = NULL;
    int rc;

    /* No resume: every `! dial` of a transcript begins afresh. */
    tu_daemon_prepare(&d, "[ussd]\nresume_window = 0\n");
    snprintf(seed, sizeof(seed), "%s/etc/seed", tu_top());
    snprintf(citizens, sizeof(citizens), "%s/citizens.csv", seed);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "seed", seed, NULL) == 0, "%s", out);
    free(out);
    ck_assert_msg(tu_kpass(&d, NULL, &out, "import", "citizens", citizens, NULL) == 0, "%s", out);
    free(out);
    snprintf(pwfile, sizeof(pwfile), "%s/phone.pw", d.dir);
    tu_write_file(pwfile, "phone-pw\n");
    rc = tu_kpass(&d, NULL, &out, "partner", "add", "phone", "--password-file", pwfile,
                  sms ? "--sms" : "--no-sms", NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
    tu_daemon_start(&d);
    /* The profile is read at each bind: set it on the running daemon. */
    rc = tu_kpass(&d, NULL, &out, "partner", "set", "phone", "--profile", profile, NULL);
    ck_assert_msg(rc == 0, "partner set: %s", out);
    free(out);
    strcpy(remembered, "en");
}

static void phone_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Transcripts that need no resume, no expiry, no empty reply; together
   they use each rate-limited request once per caller. */
static const char *const played[] = {
    "en_browse.dialog",   "en_services.dialog", "en_search.dialog",       "en_offices.dialog",
    "language.dialog",    "ur_offices.dialog",  "en_unregistered.dialog", "en_blocked.dialog",
    "en_controls.dialog", "ur_controls.dialog", "ps_controls.dialog",
};

/* Partner profile and the phone's session identity for it. */
static const struct {
    const char *profile;
    const char *session;
} profiles[] = {
    {"its-session", "its"},
    {"umr", "umr"},
    {"msisdn", "msisdn"},
    {"data-sm", "msisdn"}, /* screens come as data_sm with message_payload */
};

START_TEST(test_phone_transcripts)
{
    char why[256] = "";
    struct script *s = calloc(1, sizeof(*s));

    phone_daemon(profiles[_i].profile, 0);
    for (size_t f = 0; f < KP_ARRAY_LEN(played); f++) {
        ck_assert_msg(script_load(played[f], s, why, sizeof(why)) == 0, "%s", why);
        ck_assert_int_gt(s->nseg, 0);
        phone_play(s, profiles[_i].session);
    }
    free(s);
    /* every hop was answered and every screen accepted */
    char *log = tu_daemon_log(&d);
    ck_assert_msg(strstr(log, "screen not accepted") == NULL, "%s", log);
    ck_assert_msg(strstr(log, "refused a message") == NULL, "%s", log);
    free(log);
}
END_TEST

/* A transcript the phone cannot play is refused, not half-played. */
START_TEST(test_unplayable_refused)
{
    static const char *const unplayable[] = {"en_home.dialog", "en_identity.dialog", "ps.dialog"};
    char why[256];
    struct script *s = calloc(1, sizeof(*s));

    for (size_t i = 0; i < KP_ARRAY_LEN(unplayable); i++) {
        why[0] = '\0';
        ck_assert_int_eq(script_load(unplayable[i], s, why, sizeof(why)), -1);
        ck_assert_msg(strstr(why, unplayable[i]) != NULL, "%s", why);
    }
    free(s);
}
END_TEST

/* A code requested over USSD by a registered caller arrives by SMS at the
   phone (the partner carries SMS), naming its purpose; the screen is the
   transcript's. */
START_TEST(test_code_by_sms)
{
    char *out = NULL, sms[512];
    const char *p;
    int rc;

    phone_daemon("its-session", 1);
    rc = tu_kpass(&d, NULL, &out, "phone", "--password-file", pwfile, "--msisdn", "+923000000101",
                  "--script", "*789*4*3#,0011", "--json", "--wait-sms", "1", "--timeout", "20",
                  NULL);
    ck_assert_msg(rc == 0, "kpass phone exit %d:\n%s", rc, out);
    /* the same answer either way, with the digits again on offer */
    ck_assert_ptr_nonnull(strstr(out, "{\"screen\":\"If this number is registered and the digits "
                                      "are right, a code will arrive by SMS. Staff never phone "
                                      "you for it.\\n1 No SMS? Enter the digits again\\n0 Back\","
                                      "\"encoding\":\"gsm7\",\"end\":false}"));
    p = strstr(out, "{\"sms\":");
    ck_assert_msg(p != NULL, "no SMS:\n%s", out);
    ck_assert_int_eq(json_str(p, "sms", sms, sizeof(sms)), 0);
    ck_assert_msg(strncmp(sms, "Khyber Pass: your code for ", 27) == 0, "%s", sms);
    ck_assert_msg(strstr(sms, "land record") != NULL || strstr(sms, "Land record") != NULL, "%s",
                  sms);
    p = strstr(sms, " is ");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq((int)strspn(p + 4, "0123456789"), 6);
    free(out);
    /* the wrong digits: the same screen, and no SMS within a few seconds */
    rc =
        tu_kpass(&d, NULL, &out, "phone", "--password-file", pwfile, "--msisdn", "+923110000102",
                 "--script", "*789*4*1#,0011", "--json", "--wait-sms", "1", "--timeout", "3", NULL);
    ck_assert_int_eq(rc, 1); /* timed out waiting for the SMS */
    ck_assert_ptr_nonnull(strstr(out, "{\"screen\":\"If this number is registered"));
    ck_assert_ptr_null(strstr(out, "{\"sms\":"));
    free(out);
}
END_TEST

/* ---- the npm smpp peer as the gateway ---- */

static const struct {
    const char *profile;
    const char *tlv; /* client.js --session-tlv */
    const char *mo;  /* client.js --mo-pdu */
} npm[] = {
    {"its-session", "its", "submit_sm"},
    {"umr", "umr", "submit_sm"},
    {"msisdn", "none", "submit_sm"},
    {"data-sm", "none", "data_sm"},
};

START_TEST(test_npm_ussd_dialog)
{
    char why[256], port[16], script[1024], inputs[1024] = "", digits[20], dial[64], tlv[8];
    char mo[16];
    char *argv[32], *out = NULL;
    struct script *s = calloc(1, sizeof(*s));
    const struct seg *g;
    int argc = 0, rc, n = 0;

    phone_daemon(npm[_i].profile, 0);
    ck_assert_int_eq(script_load("en_browse.dialog", s, why, sizeof(why)), 0);
    g = &s->seg[0]; /* *789#, 1, 1, 2, 1 */
    ck_assert_str_eq(g->dial, "*789#");
    for (int r = 0; r < g->nreplies; r++)
        snprintf(inputs + strlen(inputs), sizeof(inputs) - strlen(inputs), "%s%s", r ? "," : "",
                 g->replies[r]);
    ck_assert_str_eq(inputs, "1,1,2,1");
    snprintf(port, sizeof(port), "%d", d.smpp_port);
    snprintf(script, sizeof(script), "%s/tests/peers/client.js", tu_top());
    snprintf(digits, sizeof(digits), "%s", s->msisdn + 1);
    snprintf(dial, sizeof(dial), "%s", g->dial);
    snprintf(tlv, sizeof(tlv), "%s", npm[_i].tlv);
    snprintf(mo, sizeof(mo), "%s", npm[_i].mo);
    argv[argc++] = (char *)"/usr/bin/env";
    argv[argc++] = (char *)"node";
    argv[argc++] = script;
    argv[argc++] = (char *)"--port";
    argv[argc++] = port;
    argv[argc++] = (char *)"--system-id";
    argv[argc++] = (char *)"phone";
    argv[argc++] = (char *)"--password";
    argv[argc++] = (char *)"phone-pw";
    argv[argc++] = (char *)"ussd";
    argv[argc++] = (char *)"--msisdn";
    argv[argc++] = digits;
    argv[argc++] = (char *)"--dial";
    argv[argc++] = dial;
    argv[argc++] = (char *)"--inputs";
    argv[argc++] = inputs;
    argv[argc++] = (char *)"--session-tlv";
    argv[argc++] = tlv;
    argv[argc++] = (char *)"--mo-pdu";
    argv[argc++] = mo;
    argv[argc] = NULL;
    rc = tu_run(argv, NULL, &out, 30000);
    ck_assert_msg(rc == 0, "client.js ussd (%s) failed (%d):\n%s", npm[_i].profile, rc, out);
    ck_assert_ptr_nonnull(strstr(out, "{\"result\":\"ok\",\"screens\":5,\"ended\":false"));
    for (char *p = strstr(out, "{\"screen\":"); p; p = strstr(p + 1, "{\"screen\":")) {
        char text[1024];
        ck_assert_int_lt(n, g->nx);
        ck_assert_int_eq(json_str(p, "screen", text, sizeof(text)), 0);
        ck_assert_ptr_nonnull(strstr(p, "\"op\":2,\"data_coding\":0"));
        screen_check(s, g, n, text, 0, 0, npm[_i].profile);
        n++;
    }
    ck_assert_int_eq(n, g->nx);
    /* the screens came in the PDU the profile says */
    ck_assert_ptr_nonnull(strstr(out, strcmp(npm[_i].profile, "data-sm") == 0
                                          ? "\"command\":\"data_sm\""
                                          : "\"command\":\"deliver_sm\""));
    free(out);
    free(s);
}
END_TEST

Suite *suite_ussd_phone(void)
{
    Suite *s = suite_create("ussd_phone");
    TCase *tc = tcase_create("phone");
    TCase *peer = tcase_create("npm");

    tcase_add_checked_fixture(tc, NULL, phone_teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_phone_transcripts, 0, (int)KP_ARRAY_LEN(profiles));
    tcase_add_test(tc, test_unplayable_refused);
    tcase_add_test(tc, test_code_by_sms);
    suite_add_tcase(s, tc);
    tcase_add_checked_fixture(peer, NULL, phone_teardown);
    tcase_set_timeout(peer, 60);
    tcase_add_loop_test(peer, test_npm_ussd_dialog, 0, (int)KP_ARRAY_LEN(npm));
    suite_add_tcase(s, peer);
    return s;
}
