/* SPDX-License-Identifier: ISC */
/*
 * The menu language (kpass-menu(5)): compiling *.menu files into an
 * immutable, reference-counted graph, and the engine that walks a USSD
 * dialog through it one hop at a time, rendering screens that fit the
 * partner's limits (GSM 7-bit or UCS-2, 3GPP TS 23.038).
 *
 * Pure: nothing here touches sockets, the event loop, the clock or the
 * database, and nothing logs.  Built-ins (directory look-ups, one-time
 * codes) live outside and are reached through the menu_env callback.
 *
 *   struct menu_graph *g;
 *   struct kp_buf diag = KP_BUF_INIT;
 *   if (menu_graph_load("menus", &opts, &g, &diag) < 0)
 *       fputs(diag.data, stderr);          // every error, gcc style
 *
 *   struct menu_state *st = menu_state_new();
 *   struct menu_screen scr = MENU_SCREEN_INIT;
 *   menu_dialog_begin(g, &env, st, MENU_LANG_UR, "2*1", &scr);   // *789*2*1#
 *   // send scr.text as scr.enc; if scr.end the dialog is over
 *   menu_state_encode(st, &blob);           // store; next hop:
 *   menu_state_decode(st, blob.data, blob.len);
 *   menu_dialog_input(g, &env, st, "3", 1, &scr);
 */
#ifndef KPASS_MENU_H
#define KPASS_MENU_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/text/text.h"

/* Dialog languages; every text may have one variant per language. */
enum menu_lang {
    MENU_LANG_EN = 0, /* the fallback for a missing variant */
    MENU_LANG_UR = 1,
    MENU_LANG_PS = 2,
    /* Roman Urdu: Urdu in Latin letters, as operators' own menus write it;
       it stays in GSM 7-bit (182 septets a screen, not 80 UCS-2 units).
       Last, so that stored dialog states keep their language numbers. */
    MENU_LANG_UR_LATN = 3,
    MENU_LANG_MAX
};

/* "en", "ur", "ps", "ur-Latn" (NULL for an out-of-range value). */
const char *menu_lang_name(enum menu_lang lang);
/* "en" -> MENU_LANG_EN ...; -KP_ERR_NOTFOUND for anything else (case matters). */
#define MENU_LANG_NAME_MAX 7 /* strlen("ur-Latn") */
int menu_lang_parse(const char *name);

/* Units one screen may use (per partner; SMPP short_message of a USSD hop). */
struct menu_limits {
    unsigned gsm7; /* septets, default 182 */
    unsigned ucs2; /* UTF-16 units, default 80 */
};

/* clang-format off */
#define MENU_LIMITS_DEFAULT {182, 80}
/* clang-format on */

/* ------------------------------------------------------------------ */
/* Built-ins: described to the compiler, called through menu_env.     */

enum menu_builtin_kind {
    MENU_BUILTIN_ACTION = 0, /* an action screen branches on its outcome */
    MENU_BUILTIN_LIST = 1,   /* a menu's `list` generates options from its items */
};

struct menu_builtin {
    const char *name; /* "dir.departments" */
    enum menu_builtin_kind kind;
    unsigned min_args, max_args;
    const char *const *outcomes; /* action: NULL-terminated keys it may return */
    const char *const *sets;     /* NULL-terminated variables it may set (or NULL) */
};

/* One call, as the engine makes it.  Everything is borrowed for the call. */
struct menu_call {
    const char *name; /* the built-in's name */
    unsigned builtin; /* its index in the table given to the compiler */
    unsigned argc;
    const char *const *argv; /* evaluated arguments (UTF-8, never NULL) */
    enum menu_lang lang;     /* the dialog's language: list labels in it */
    const char *msisdn;      /* env->msisdn: the caller, E.164 */
};

/*
 * What a built-in answers: an outcome key (actions), variables, items
 * (lists).  Owned by the engine, reused between calls; every string is
 * copied in, invalid UTF-8 is replaced with U+FFFD, values are cut at
 * MENU_VALUE_MAX bytes and lists at MENU_LIST_MAX items.
 */
struct menu_result;

#define MENU_VALUE_MAX 512 /* bytes of one variable value */
#define MENU_LIST_MAX  96  /* items one list may show (keys 1..97 skip 98) */

/* Set the outcome key (an action must set one of its declared outcomes). */
void menu_result_outcome(struct menu_result *res, const char *outcome);
/* Set variable name to value in the dialog (names the graph never uses are ignored). */
void menu_result_set(struct menu_result *res, const char *name, const char *value);
/* Add a list item: label as shown (already in call->lang), value stored when chosen. */
void menu_result_item(struct menu_result *res, const char *label, const char *value);

struct menu_env {
    void *ctx;
    /* Run call; fill res; return 0, or a negative kp_err: the engine then
       takes the action's `on error` branch, or ends the dialog with the
       system "error" text.  May be NULL when the menus call no built-in. */
    int (*call)(void *ctx, const struct menu_call *call, struct menu_result *res);
    const char *msisdn;        /* passed to built-ins; never rendered */
    struct menu_limits limits; /* this partner's page limits */
};

/* ------------------------------------------------------------------ */
/* Compiling.                                                          */

struct menu_graph;

struct menu_source {
    const char *name; /* file name used in diagnostics (and the version hash) */
    const char *text; /* need not be NUL-terminated */
    size_t len;
};

/*
 * The parsers behind `accept cnic` and `accept msisdn`.  The rules are the
 * identity module's (cnic_parse, msisdn_parse); the programs pass them in
 * so that the menu does not link it.  Each writes the normalised value
 * into out (empty on entry) and returns 0, or a negative kp_err when s is
 * not one.  Without them, every such reply is refused.
 */
struct menu_validators {
    int (*cnic)(const char *s, size_t len, struct kp_buf *out);
    int (*msisdn)(const char *s, size_t len, struct kp_buf *out);
};

struct menu_options {
    const struct menu_builtin *builtins; /* may be NULL when nbuiltins is 0 */
    size_t nbuiltins;
    struct menu_limits limits;                /* the limits every static page is checked against */
    const struct menu_validators *validators; /* copied; NULL: cnic and msisdn refuse */
};

/*
 * Parse, resolve and check the sources (pure).  On success *out holds a new
 * graph with one reference and 0 is returned.  Otherwise -KP_ERR_PARSE (a
 * syntax error) or -KP_ERR_CONFIG (the checker refused it), *out is NULL,
 * and diag has every problem as "file:line:col: message", the source line
 * and a caret line.  The builtins table is copied: it need not outlive the
 * call.  opts may be NULL: no built-ins, MENU_LIMITS_DEFAULT.
 */
int menu_graph_compile(const struct menu_source *src, size_t nsrc, const struct menu_options *opts,
                       struct menu_graph **out, struct kp_buf *diag);

/*
 * Read every *.menu file in dir (sorted by name) and compile them.  Errors
 * as menu_graph_compile(); an unreadable folder or file is -KP_ERR_IO with
 * a "path: reason" line in diag.
 */
int menu_graph_load(const char *dir, const struct menu_options *opts, struct menu_graph **out,
                    struct kp_buf *diag);

/* Take one more reference (returns g); drop one, freeing at zero.  NULL is a no-op. */
struct menu_graph *menu_graph_ref(struct menu_graph *g);
void menu_graph_unref(struct menu_graph *g);

/* Hex BLAKE2b-128 of the sorted sources: the version dialogs are pinned to. */
const char *menu_graph_version(const struct menu_graph *g);
size_t menu_graph_screens(const struct menu_graph *g);
/* Name of screen i (< menu_graph_screens), or NULL. */
const char *menu_graph_screen_name(const struct menu_graph *g, size_t i);

/* The index of the home screen. */
size_t menu_graph_home(const struct menu_graph *g);
/* The file (its last name component, "main.menu") screen i comes from, or NULL. */
const char *menu_graph_screen_file(const struct menu_graph *g, size_t i);

/* ------------------------------------------------------------------ */
/* The report of `kpass menu check`: pages per screen and language.    */

/*
 * One screen in one language.  A screen reached from home through options
 * (static ones, list items, and actions whose built-in only reads) is
 * measured by walking the engine with the env's built-ins, every list item
 * up to a bound, its pages turned with "98" (walks > 0); any other screen
 * with its static texts, variables empty.  A page counts the option lines
 * it shows besides navigation.
 */
struct menu_report_row {
    size_t screen; /* index (menu_graph_screen_name) */
    enum menu_lang lang;
    unsigned pages;      /* the most pages any walk needed */
    unsigned longest;    /* units of the longest page */
    unsigned cap;        /* the limit of that page's encoding */
    enum text_enc enc;   /* that page's encoding */
    unsigned options;    /* option lines of the screen (the most any walk saw) */
    unsigned fewest;     /* fewest options on a page that shows one; 0: none does */
    unsigned thin_pages; /* pages with exactly one option of a screen with more */
    unsigned missing;    /* texts of the screen without a variant in lang */
    unsigned walks;      /* dialogs walked to it (0: measured statically) */
};

struct menu_report {
    struct menu_report_row *rows; /* screens shown (no action, router), each language */
    size_t nrows;
    unsigned sys_missing[MENU_LANG_MAX]; /* system texts without a variant */
};

/* Measure every shown screen of g in every language within env->limits.
   env->call may be NULL: lists are then empty.  pure(name) says which
   action built-ins only read, so that the walk may go through them (to a
   service's details); NULL: none.  0 or -KP_ERR_NOMEM. */
int menu_graph_report(const struct menu_graph *g, const struct menu_env *env,
                      int (*pure)(const char *builtin), struct menu_report *out);
void menu_report_free(struct menu_report *r);
/*
 * Append one line per text of screen (or of the system texts when screen
 * is (size_t)-1) without a variant in lang: "file:line:col: no 'ps'
 * variant of \"English text\"".  Returns how many.
 */
unsigned menu_report_missing(const struct menu_graph *g, size_t screen, enum menu_lang lang,
                             struct kp_buf *out);

/* Append the graph as Graphviz DOT (one node per screen, one edge per way on). */
int menu_graph_dot(const struct menu_graph *g, struct kp_buf *out);

/* ------------------------------------------------------------------ */
/* Dialog state: where one dialog is, stored by the caller between hops. */

struct menu_state;

/* A new, empty state (not yet begun).  Free with menu_state_free(). */
struct menu_state *menu_state_new(void);
void menu_state_free(struct menu_state *st);

/*
 * Append the state's compact encoding to out (sensitive variables are
 * never written).  Returns the byte count.
 */
int menu_state_encode(const struct menu_state *st, struct kp_buf *out);
/*
 * Replace st with the decoded bytes.  Any malformed input is refused with
 * -KP_ERR_PARSE (st is then empty); the screen and variable numbers are
 * checked against the graph by the engine (-KP_ERR_STATE).
 */
int menu_state_decode(struct menu_state *st, const uint8_t *data, size_t len);

/* Hex version of the graph the dialog began with ("" before menu_dialog_begin). */
const char *menu_state_version(const struct menu_state *st);
/* True when a redial may offer "Continue / Start again": begun, not ended,
   and not on the home screen, an info or end screen, or a `sensitive` or
   `noresume` screen. */
int menu_state_resumable(const struct menu_state *st);
/* True while the resume prompt is shown: the next reply answers it. */
int menu_state_resuming(const struct menu_state *st);
/* True once an end screen's last page was rendered. */
int menu_state_ended(const struct menu_state *st);
enum menu_lang menu_state_lang(const struct menu_state *st);
/* The current screen's name in g (for logs), or NULL. */
const char *menu_state_screen(const struct menu_state *st, const struct menu_graph *g);
/* A variable's value (NULL when unset); "lang" gives the language name. */
const char *menu_state_get(const struct menu_state *st, const struct menu_graph *g,
                           const char *name);

/* ------------------------------------------------------------------ */
/* The engine: one call per hop, each rendering one screen.            */

struct menu_scratch;

struct menu_screen {
    struct kp_buf text;           /* UTF-8, within the env's limits for enc */
    enum text_enc enc;            /* TEXT_GSM7 when every character is GSM 03.38 */
    unsigned units;               /* septets or UTF-16 units of text */
    int end;                      /* the dialog ends with this screen */
    int lang_changed;             /* the menus changed the language: remember it */
    enum menu_lang lang;          /* the dialog's language after this hop */
    int call_error;               /* a built-in failed this hop (its negative code), else 0 */
    struct menu_scratch *scratch; /* the engine's reusable memory */
    /*
     * An app screen (kpass-menu(5)): when app is not NULL the hop is not
     * over.  Nothing is to be sent yet: the caller asks department app
     * `app` (a name in the graph) with app_text, then hands its answer to
     * menu_dialog_app_reply() or its failure to menu_dialog_app_fail(),
     * which render the screen to send.
     */
    const char *app;
    struct kp_buf app_text; /* the inputs since the app screen, joined by '*' ("" at first) */
    int app_first;          /* this hop entered the app screen: a new app session */
    struct kp_buf app_cnic; /* app_first: the screen's `var` (a CNIC), wiped at the next hop */
};

/* clang-format off */
#define MENU_SCREEN_INIT {KP_BUF_INIT, TEXT_GSM7, 0, 0, 0, MENU_LANG_EN, 0, NULL, \
                          NULL, KP_BUF_INIT, 0, KP_BUF_INIT}
/* clang-format on */

/* Release a screen's memory; it is MENU_SCREEN_INIT again afterwards. */
void menu_screen_free(struct menu_screen *scr);

/*
 * Begin a dialog in st (any previous content is dropped) at the home screen,
 * in lang, then walk steps: the dialled shortcut after the service code,
 * "2*1" or "2*1#" for *789*2*1#, NULL or "" for none.  Each step chooses an
 * option; the walk stops at the first screen that cannot take one.
 * Returns 0 with the screen in *out, or a negative kp_err.
 */
int menu_dialog_begin(const struct menu_graph *g, const struct menu_env *env, struct menu_state *st,
                      enum menu_lang lang, const char *steps, struct menu_screen *out);

/*
 * The user's reply (UTF-8, len bytes) to the screen st is on.  0 with the
 * next screen in *out; -KP_ERR_STATE when st is not a live dialog of g
 * (another graph version, ended, or damaged).
 */
int menu_dialog_input(const struct menu_graph *g, const struct menu_env *env, struct menu_state *st,
                      const char *text, size_t len, struct menu_screen *out);

/*
 * A redial within the resume window: show the system resume prompt
 * ("1 Continue", "2 Start again"); the answer goes to menu_dialog_input().
 * -KP_ERR_STATE when menu_state_resumable(st) is false.
 */
int menu_dialog_resume(const struct menu_graph *g, const struct menu_env *env,
                       struct menu_state *st, struct menu_screen *out);

/*
 * A department app's answer to the hop that left st waiting on an app
 * screen (menu_screen.app): its text (UTF-8, len bytes, the part after
 * "CON " or "END ") shown as one page, cut to the env's limits; end: the
 * dialog ends with it (END), else the next reply goes to the app (CON).
 * 0, or -KP_ERR_STATE when st is not waiting on an app screen of g.
 */
int menu_dialog_app_reply(const struct menu_graph *g, const struct menu_env *env,
                          struct menu_state *st, int end, const char *text, size_t len,
                          struct menu_screen *out);

/*
 * The app gave no usable answer: follow the app screen's `on outcome`
 * line ("timeout", "unavailable" or "error"), else its `else`, else end
 * with the "error" system text.  0 or -KP_ERR_STATE as above.  The screen
 * reached may be another app screen (out->app is then set again).
 */
int menu_dialog_app_fail(const struct menu_graph *g, const struct menu_env *env,
                         struct menu_state *st, const char *outcome, struct menu_screen *out);

/*
 * The caller's pseudonym for the app of the screen st is on, kept with
 * the dialog for the app session's later hops (never a CNIC: the caller
 * stores a keyed hash).  Set returns 0 or -KP_ERR_STATE; get gives NULL
 * when unset.
 */
int menu_state_app_id_set(struct menu_state *st, const struct menu_graph *g, const char *id);
const char *menu_state_app_id(const struct menu_state *st, const struct menu_graph *g);

/* The system texts a caller may need outside a dialog. */
enum menu_sys_screen {
    MENU_SYS_EXPIRED = 0,    /* "Your session has expired..." */
    MENU_SYS_ERROR = 1,      /* "Service unavailable..." */
    MENU_SYS_NO_SERVICE = 2, /* "This code is not in service." (a dialled code no menus serve) */
};

/* Render a system text as a final screen in lang within limits. */
int menu_system_render(const struct menu_graph *g, enum menu_lang lang, enum menu_sys_screen which,
                       const struct menu_limits *limits, struct menu_screen *out);

/*
 * The shortcut part of a dialled string for a service code: for "*789#",
 * "*789*2*1#" gives "2*1#" and "*789#" gives "#".  NULL when dialled is not
 * that service.  The result points into dialled.
 */
const char *menu_dial_steps(const char *dialled, const char *service);

/* ------------------------------------------------------------------ */
/* Golden transcripts (*.dialog, see kpass-menu(5)).                   */

#define MENU_CALLER_MAX  17 /* "+" and 15 digits, NUL */
#define MENU_PROFILE_MAX 32 /* a partner profile's name, NUL */

struct menu_transcript_result {
    unsigned exchanges;             /* screens compared */
    unsigned failures;              /* screens that differed */
    char profile[MENU_PROFILE_MAX]; /* the last `caller ... profile P` ("" when none) */
};

/*
 * Run the transcript text (named file in messages) against g with env, in
 * process.  Every mismatch is appended to report as "file:line: ..." with
 * the expected and actual screens.  Returns 0 when the transcript could be
 * run (look at res->failures), -KP_ERR_PARSE when it is malformed (report
 * says where).
 */
int menu_transcript_run(const struct menu_graph *g, const struct menu_env *env, const char *file,
                        const char *text, size_t len, struct kp_buf *report,
                        struct menu_transcript_result *res);

/* Read path and run it as above; -KP_ERR_IO when it cannot be read. */
int menu_transcript_run_file(const struct menu_graph *g, const struct menu_env *env,
                             const char *path, struct kp_buf *report,
                             struct menu_transcript_result *res);

#endif
