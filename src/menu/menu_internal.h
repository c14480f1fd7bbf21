/* SPDX-License-Identifier: ISC */
/*
 * Private to src/menu/: the compiled graph (flat arrays indexed by uint32,
 * strings as offsets into one pool), the compiler's context and
 * diagnostics, the lexer's tokens, the dialog state's layout, and the
 * functions the files share.
 */
#ifndef KPASS_MENU_INTERNAL_H
#define KPASS_MENU_INTERNAL_H

#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/menu/menu.h"

#define MENU_NONE        UINT32_MAX
#define MENU_VAR_LANG    0u  /* variable 0 is the dialog language */
#define MENU_HISTORY_MAX 16  /* back stack depth; older entries fall off */
#define MENU_ARGS_MAX    8   /* arguments of one call */
#define MENU_HOP_STEPS   64  /* action/router screens followed in one hop */
#define MENU_KEY_MAX     4   /* option key text, with its NUL */
#define MENU_INPUT_MAX   160 /* bytes of one reply an input screen accepts */
#define MENU_VERSION_LEN 16  /* BLAKE2b output bytes */
/* Hidden variables of app screens: the inputs so far and the pseudonym. */
#define MENU_APP_TEXT_VAR ".app"
#define MENU_APP_ID_VAR   ".appid"

enum menu_kind { MK_MENU, MK_INPUT, MK_INFO, MK_END, MK_ACTION, MK_ROUTER, MK_APP, MK__COUNT };

#define MF_SENSITIVE 0x01
#define MF_NORESUME  0x02

/* System texts, each definable per language with `system KEY TEXT`. */
enum menu_sys {
    MS_MORE,
    MS_BACK,
    MS_HOME,
    MS_INVALID,
    MS_INVALID_INPUT,
    MS_RESUME,
    MS_CONTINUE,
    MS_RESTART,
    MS_EXPIRED,
    MS_ERROR,
    MS_NO_SERVICE, /* a dialled code no menus serve (kpassd.conf(5) [ussd]) */
    MS__COUNT
};

struct menu_loc {
    uint32_t file; /* index into the compiler's sources; MENU_NONE: none */
    uint32_t line, col;
};

/* A template: segs[first .. first + n) are literal runs or variables. */
struct menu_seg {
    uint32_t off, len; /* literal: pool bytes */
    uint32_t var;      /* MENU_NONE for a literal */
};
struct menu_tpl {
    uint32_t first, n;
};

/* A text: one template per language (MENU_NONE: missing, fall back to en). */
struct menu_text {
    uint32_t tpl[MENU_LANG_MAX];
    struct menu_loc loc;
};

struct menu_set {
    uint32_t var;
    uint32_t tpl;
};

/* A way on: to target, setting variables on the way. */
struct menu_edge {
    uint32_t target;      /* screen index once resolved */
    uint32_t target_name; /* pool offset */
    uint32_t set, nset;
    struct menu_loc loc; /* of the target name */
};

struct menu_option {
    char key[MENU_KEY_MAX]; /* "" until numbered; explicit keys given in source */
    uint8_t explicit_key;
    uint8_t is_list;   /* generated from call's items */
    uint32_t text;     /* static option */
    uint32_t call;     /* list */
    uint32_t list_var; /* list: receives the chosen item's value */
    struct menu_edge edge;
    struct menu_loc loc;
};

enum menu_check_kind { MC_DIGITS, MC_LENGTH, MC_REGEX, MC_CNIC, MC_MSISDN };

struct menu_check {
    enum menu_check_kind kind;
    unsigned min, max; /* MC_LENGTH, characters */
    uint32_t regex;    /* index into graph->regexes */
    uint32_t text;     /* error text, or MENU_NONE for the system one */
    struct menu_loc loc;
};

struct menu_arg {
    uint32_t tpl; /* a bare variable is the template "{var}" */
};

struct menu_callsite {
    uint32_t builtin; /* index into graph->builtins; MENU_NONE: unknown */
    uint32_t name;    /* pool */
    uint32_t arg, narg;
    struct menu_loc loc;
};

enum menu_cond_kind { MCOND_EQ, MCOND_NE, MCOND_SET, MCOND_UNSET };

struct menu_cond {
    enum menu_cond_kind kind;
    uint32_t var;
    uint32_t tpl; /* MCOND_EQ/NE */
};

/* An action's `on KEY` branch (key set) or a router's `if` rule (conds set). */
struct menu_branch {
    uint32_t key; /* pool; MENU_NONE for a rule */
    uint32_t cond, ncond;
    struct menu_edge edge;
    struct menu_loc loc;
};

struct menu_screen_def {
    uint32_t name; /* pool */
    enum menu_kind kind;
    unsigned flags;
    uint32_t text;   /* MENU_NONE when absent */
    uint32_t header; /* one line atop every page (`header`), MENU_NONE when absent */
    uint32_t opt, nopt;
    uint32_t var; /* input: receives the reply */
    uint32_t chk, nchk;
    uint32_t call; /* action */
    uint32_t app;  /* app: the department app's name (pool), else MENU_NONE */
    uint32_t br, nbr;
    uint8_t has_next, has_else, has_list;
    /* Bit per language: no variable in the screen's texts and no list, so
       its pages depend only on the page and "0 Back" (menu_memo). */
    uint8_t fixed;
    struct menu_edge next;  /* input `->` */
    struct menu_edge other; /* action/router `else` */
    struct menu_loc loc;
    struct menu_loc text_loc, var_loc;
};

struct menu_var {
    uint32_t name; /* pool */
    uint8_t sensitive;
};

struct menu_bi {
    uint32_t name; /* pool */
    enum menu_builtin_kind kind;
    unsigned min_args, max_args;
    uint32_t outcome, noutcome; /* into graph->bi_strs (pool offsets) */
    uint32_t sets, nsets;       /* into graph->bi_strs (variable ids) */
};

struct menu_graph {
    atomic_uint refs;
    char version[2 * MENU_VERSION_LEN + 1];
    uint8_t digest[MENU_VERSION_LEN];
    uint32_t home;
    uint32_t app_text, app_id; /* hidden variables of app screens (MENU_NONE without) */
    struct kp_buf pool;
    uint32_t sys[MS__COUNT];    /* text index or MENU_NONE: the English default */
    struct menu_validators val; /* from menu_options; NULL members refuse */

#define MENU_ARRAY(type, name)                                                                     \
    type *name;                                                                                    \
    size_t n##name, cap_##name
    MENU_ARRAY(struct menu_screen_def, screens);
    MENU_ARRAY(struct menu_option, options);
    MENU_ARRAY(struct menu_set, sets);
    MENU_ARRAY(struct menu_text, texts);
    MENU_ARRAY(struct menu_tpl, tpls);
    MENU_ARRAY(struct menu_seg, segs);
    MENU_ARRAY(struct menu_check, checks);
    MENU_ARRAY(struct menu_arg, args);
    MENU_ARRAY(struct menu_callsite, calls);
    MENU_ARRAY(struct menu_cond, conds);
    MENU_ARRAY(struct menu_branch, branches);
    MENU_ARRAY(struct menu_var, vars);
    MENU_ARRAY(struct menu_bi, bis);
    MENU_ARRAY(uint32_t, bi_strs);
    MENU_ARRAY(regex_t, regexes);
    MENU_ARRAY(uint32_t, files); /* pool: each source's last name component, by loc.file */
#undef MENU_ARRAY

    /* name -> id hash tables (open addressing, power-of-two sizes) */
    uint32_t *var_hash;
    size_t var_hash_size;
    uint32_t *screen_hash;
    size_t screen_hash_size;
};

#define GSTR(g, off) ((const char *)(g)->pool.data + (off))

/* Grow array name of g by one zeroed element; returns its index. */
#define MENU_PUSH(g, name)                                                                         \
    ((g)->name = kp_grow((g)->name, &(g)->cap_##name, (g)->n##name + 1, sizeof(*(g)->name)),       \
     memset(&(g)->name[(g)->n##name], 0, sizeof(*(g)->name)), (uint32_t)(g)->n##name++)

/* ---- the compiler's context (compile.c drives; diag.c, pool.c serve) ---- */

#define MENU_DIAG_MAX 100 /* diagnostics printed in one run; the rest are counted */

struct menu_cc {
    struct menu_graph *g;
    const struct menu_source *src;
    size_t nsrc;
    const struct menu_options *opts;
    struct kp_buf *diag;
    unsigned errors;
    uint32_t home_name; /* pool offset from `home`, or MENU_NONE */
    struct menu_loc home_loc;
    struct menu_loc sys_loc[MS__COUNT];
};

/* diag.c: report at loc ("file:line:col: message", the line, a caret). */
void menu_diag(struct menu_cc *cc, struct menu_loc loc, const char *fmt, ...) KP_PRINTF(3, 4);
const char *menu_kind_name(enum menu_kind kind);

/* pool.c: copy len bytes of s into the pool; returns its offset. */
uint32_t menu_pool_add(struct menu_graph *g, const char *s, size_t len);
/* Intern variable name (len bytes); returns its id. */
uint32_t menu_var_intern(struct menu_graph *g, const char *name, size_t len);
/* Variable id or MENU_NONE. */
uint32_t menu_var_find(const struct menu_graph *g, const char *name, size_t len);
uint32_t menu_screen_find(const struct menu_graph *g, const char *name);
/* Add screen name to the screen table; MENU_NONE when it exists already. */
int menu_screen_index(struct menu_graph *g, uint32_t screen);
/* Free g and everything it owns (menu_graph_unref's last reference). */
void menu_graph_free(struct menu_graph *g);
const char *menu_sys_name(enum menu_sys s);

/* ---- lexer.c ---- */

enum menu_tok {
    TK_EOF,
    TK_NL,
    TK_IDENT,
    TK_NUMBER,
    TK_STRING,
    TK_ARROW,
    TK_LPAREN,
    TK_RPAREN,
    TK_COMMA,
    TK_ASSIGN,
    TK_EQ,
    TK_NE,
    TK_DOTDOT,
    TK_ERROR
};

struct menu_lexer {
    struct menu_cc *cc;
    uint32_t file;
    const char *p, *end, *start;
    uint32_t line, col;
    /* the current token */
    enum menu_tok tok;
    struct menu_loc loc;
    const char *tp; /* token text (IDENT, NUMBER) */
    size_t tlen;
    struct kp_buf str; /* decoded STRING value */
    uint32_t str_col;  /* column of the first character inside the quotes */
};

void menu_lex_init(struct menu_lexer *lx, struct menu_cc *cc, uint32_t file);
void menu_lex_free(struct menu_lexer *lx);
/* Advance to the next token (errors are reported and give TK_ERROR). */
void menu_lex_next(struct menu_lexer *lx);
/* True when the current token is the identifier word. */
int menu_lex_is(const struct menu_lexer *lx, const char *word);
const char *menu_tok_name(enum menu_tok t);

/* ---- parser.c: statements; clauses.c: what they are made of ---- */

/* Parse one source into cc->g; returns the number of errors reported. */
unsigned menu_parse(struct menu_cc *cc, uint32_t file);

struct parser {
    struct menu_cc *cc;
    struct menu_graph *g;
    struct menu_lexer lx;
    uint32_t screen; /* the screen being filled in, or MENU_NONE */
    int failed;      /* this statement had an error: skip to its end */
};

/* A text being collected from STRING / LANG STRING clauses. */
struct text_acc {
    uint32_t tpl[MENU_LANG_MAX];
    struct menu_loc loc;
    int any;
};

/* Report at loc, once per statement (the rest of the line is skipped). */
void menu_parse_error(struct parser *p, struct menu_loc loc, const char *fmt, ...) KP_PRINTF(3, 4);
void menu_parse_next(struct parser *p);
/* "expected WANTED, found ..." at the current token. */
void menu_parse_unexpected(struct parser *p, const char *wanted);
/* A screen or variable name: a word without dots, at most 64 bytes. */
int menu_name_valid(const char *s, size_t len);
/* The clauses, each from the current token; MENU_NONE or -1 after an error. */
uint32_t menu_parse_var(struct parser *p);
uint32_t menu_parse_value(struct parser *p, int allow_var);
void menu_text_acc_init(struct text_acc *acc);
int menu_parse_text_clause(struct parser *p, struct text_acc *acc, int allow_vars);
uint32_t menu_text_store(struct parser *p, const struct text_acc *acc);
uint32_t menu_parse_text(struct parser *p, int allow_vars);
void menu_parse_sets(struct parser *p, struct menu_edge *e);
int menu_parse_target(struct parser *p, struct menu_edge *e);
void menu_parse_edge(struct parser *p, struct menu_edge *e);
uint32_t menu_parse_call(struct parser *p);
/* Compile a template string (loc: of its first character) into a tpl index. */
uint32_t menu_tpl_compile(struct menu_cc *cc, const char *s, size_t len, struct menu_loc loc,
                          int allow_vars);

/* ---- check.c ---- */

/* Resolve names, number options, run every static check; returns errors. */
unsigned menu_check(struct menu_cc *cc);
/*
 * The forward edges of screen si (options, input `->`, `on`, `if`, `else`):
 * fills up to max of edges[], with vars[] the input or list variable each
 * sets (or MENU_NONE) and calls[] the call whose built-in's `sets` apply
 * (or MENU_NONE).  Returns the total count.
 */
size_t menu_screen_edges(struct menu_graph *g, uint32_t si, struct menu_edge **edges,
                         uint32_t *vars, uint32_t *calls, size_t max);
/* check_vars.c: the may-be-set analysis over reachable screens. */
void menu_check_vars(struct menu_cc *cc, const uint8_t *reach);
/* check_pages.c: every static page in every language within the limits. */
void menu_check_pages(struct menu_cc *cc, const uint8_t *reach);

/* ---- render.c ---- */

struct menu_page_in {
    enum text_enc enc;
    unsigned cap;       /* units */
    const char *notice; /* may be NULL */
    size_t notice_len;
    const char *header;
    size_t header_len;
    const char *const *items; /* full option lines "N label" */
    const size_t *item_len;
    const unsigned *item_units; /* each line's units in enc, or NULL: counted as needed */
    size_t nitems;
    const char *back, *home, *more; /* footer lines (NULL: not shown) */
    const char *top;                /* a one-line header atop every page (no '\n'), or NULL */
    size_t top_len;
    size_t pos; /* where the page starts (see render.c) */
};

struct menu_page_out {
    size_t next; /* where the next page starts, or MENU_NONE */
    unsigned units;
    int truncated;   /* something had to be cut to fit (the checker refuses it) */
    size_t cut_item; /* the item cut, or MENU_NONE (the notice or header) */
};

/* TEXT_GSM7 when every piece of the page input is GSM 03.38. */
enum text_enc menu_page_enc(const struct menu_page_in *in);
/* "98 More", "0 Back" or "00 Home" in lang, into out (reset first). */
void menu_nav_line(const struct menu_graph *g, enum menu_sys s, enum menu_lang lang,
                   struct kp_buf *out);
/* Lay out one page into out (appended).  Pure. */
void menu_page_build(const struct menu_page_in *in, struct kp_buf *out, struct menu_page_out *res);

/* Template rendering: variables come from lookup(ctx, var) (NULL: empty). */
typedef const char *(*menu_var_fn)(void *ctx, uint32_t var, size_t *len);
void menu_tpl_render(const struct menu_graph *g, uint32_t tpl, menu_var_fn lookup, void *ctx,
                     struct kp_buf *out);
/* Render header template tpl on one line (line breaks as spaces) into out. */
void menu_header_line(const struct menu_graph *g, uint32_t tpl, menu_var_fn lookup, void *ctx,
                      struct kp_buf *out);
/* The template of text in lang, falling back to en; MENU_NONE if none. */
uint32_t menu_text_tpl(const struct menu_graph *g, uint32_t text, enum menu_lang lang);
/* The static (all variables empty) rendering of system text s in lang. */
void menu_sys_render(const struct menu_graph *g, enum menu_sys s, enum menu_lang lang,
                     struct kp_buf *out);
const char *menu_sys_default(enum menu_sys s);
/* "N label" line for an option. */
void menu_item_line(struct kp_buf *out, const char *key, const char *label, size_t len);
/* Auto key n (1-based position): 1..97, then 99 (98 is "More"); 0 past 99. */
unsigned menu_auto_key(size_t n);

/* ---- result.c ---- */

struct menu_kv {
    uint32_t a, b; /* arena offsets (name/value or label/value) */
};

struct menu_result {
    struct kp_buf arena;
    uint32_t outcome; /* arena offset or MENU_NONE */
    struct menu_kv *sets;
    size_t nsets, cap_sets;
    struct menu_kv *items;
    size_t nitems, cap_items;
};

void menu_result_reset(struct menu_result *r);
void menu_result_free(struct menu_result *r);
#define RSTR(r, off) ((const char *)(r)->arena.data + (off))

/* ---- state.c ---- */

#define MST_BEGUN    0x01
#define MST_ENDED    0x02
#define MST_RESUME   0x04 /* showing the resume prompt */
#define MST_NORESUME 0x08 /* current screen is sensitive or noresume */
#define MST_LIST     0x10 /* list_hash is meaningful */
#define MST__ALL     0x1f

struct menu_slot {
    uint32_t var;
    uint32_t off, len; /* into values */
    uint8_t sensitive;
};

struct menu_hist {
    uint32_t screen, pos;
};

struct menu_state {
    uint8_t digest[MENU_VERSION_LEN];
    char version[2 * MENU_VERSION_LEN + 1];
    uint32_t screen;
    uint32_t pos, next; /* page start; next page start or MENU_NONE */
    uint8_t lang;
    uint8_t flags;
    uint32_t list_hash;
    uint8_t nhist;
    struct menu_hist hist[MENU_HISTORY_MAX];
    struct menu_slot *slots; /* sorted by var */
    size_t nslots, cap_slots;
    struct kp_buf values;
};

void menu_state_clear(struct menu_state *st);
/* Value of var (NULL when unset); *len its length. */
const char *menu_state_value(const struct menu_state *st, uint32_t var, size_t *len);
/* Set var to v (len bytes, cut at MENU_VALUE_MAX; v must not point into st). */
void menu_state_set(struct menu_state *st, uint32_t var, const char *v, size_t len, int sensitive);
void menu_state_unset(struct menu_state *st, uint32_t var);
/* Forget every sensitive value (end of a hop). */
void menu_state_drop_sensitive(struct menu_state *st);

/* ---- validate.c ---- */

/* Check reply s against chk; on success the normalised value goes to out.
   0 or -KP_ERR_INVAL. */
int menu_validate(const struct menu_graph *g, const struct menu_check *chk, const char *s,
                  size_t len, struct kp_buf *out);

/*
 * One rendered page of a fixed screen (menu_screen_def.fixed), kept so
 * that the next hop showing it copies it instead of laying it out again.
 * The graph's digest is part of the key: a reloaded graph with other
 * sources misses (and the same sources give the same pages).
 */
struct menu_memo {
    uint8_t digest[MENU_VERSION_LEN];
    uint32_t screen, pos, next;
    uint8_t lang, back, used;
    enum text_enc enc;
    unsigned gsm7, ucs2; /* the limits it was laid out in */
    unsigned units;
    struct kp_buf text;
};

#define MENU_MEMO_SLOTS 64 /* direct-mapped; a collision only costs a layout */

struct menu_scratch {
    struct kp_buf hdr, tmp, norm, lines, argbuf, notice;
    struct kp_buf more, back, home; /* navigation lines in the dialog's language */
    struct kp_buf top;              /* the screen's `header`, on one line */
    const char **items;             /* option lines of the screen being shown */
    size_t *item_len;
    size_t *item_off; /* into lines */
    char (*keys)[MENU_KEY_MAX];
    uint32_t *item_opt;   /* option index of each item */
    uint32_t *item_val;   /* list: result arena offset of the value, else MENU_NONE */
    unsigned *item_units; /* units of each line in the page's encoding (menu_render_page) */
    size_t nitems, cap_items;
    struct menu_result res;
    uint32_t loaded; /* screen whose items are loaded this hop, or MENU_NONE */
    uint32_t list_hash;
    struct menu_memo *memo; /* MENU_MEMO_SLOTS pages, allocated at first use */
    unsigned memo_slots;    /* how many of them are used (0: all; tests: 1, every key collides) */
    int no_memo;            /* render every page (the report reads the items loaded) */
};

/* One hop in progress. */
struct menu_hop {
    const struct menu_graph *g;
    const struct menu_env *env;
    struct menu_state *st;
    struct menu_screen *out;
    struct menu_scratch *sc;
    enum menu_lang lang0;
};

/* screen.c */
void menu_hop_tpl(struct menu_hop *h, uint32_t tpl, struct kp_buf *out);
void menu_hop_text(struct menu_hop *h, uint32_t text, struct kp_buf *out);
/* Build the option lines of menu screen si (its list built-in is called once per hop). */
int menu_items_load(struct menu_hop *h, uint32_t si);
/* Set menu_screen_def.fixed for every screen of g (once, when compiled). */
void menu_fixed_mark(struct menu_graph *g);
/* memo.c: release the scratch's kept pages. */
void menu_memo_free(struct menu_scratch *sc);
/* memo.c: may the page of the screen the hop is on be kept (a fixed screen)? */
int menu_memo_on(const struct menu_hop *h);
/* memo.c: the kept page at st->pos with or without "0 Back" into the hop's
   screen (st->next too): 0, or -1 when none is kept. */
int menu_memo_get(struct menu_hop *h, int back);
/* memo.c: keep the page just rendered from position pos. */
void menu_memo_put(struct menu_hop *h, int back, uint32_t pos);
/* Render the screen st is on, at st->pos, with an optional notice line. */
int menu_render(struct menu_hop *h, const char *notice, size_t notice_len);
/* The "Continue / Start again" prompt. */
int menu_render_resume(struct menu_hop *h, const char *notice, size_t notice_len);
/* A system text as the dialog's last screen. */
int menu_render_final(struct menu_hop *h, enum menu_sys which);
/* Lay out in (whose texts are set) at st->pos into the hop's screen, and note the next page. */
void menu_render_page(struct menu_hop *h, struct menu_page_in *in, int more);

/* engine.c: the screen's scratch memory, allocated at its first use. */
struct menu_scratch *menu_scratch_get(struct menu_screen *scr);
/* engine.c: set the variables a built-in returned (names the graph does not use are ignored). */
void menu_result_apply(struct menu_hop *h, const struct menu_result *r);
/* engine.c: evaluate call's arguments and run it through the env into res. */
int menu_call_run(struct menu_hop *h, uint32_t call, struct menu_result *res);

#endif
