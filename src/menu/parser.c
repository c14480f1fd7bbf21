/* SPDX-License-Identifier: ISC */
/*
 * The menu language's grammar (kpass-menu(5) "SYNTAX"): one statement per
 * line, `screen NAME KIND [flags] [call]` starting a screen and the lines
 * after it filling it in.  Statements go straight into the graph's arrays;
 * names are resolved later by the checker.  Every error is reported with
 * its position and the rest of the line is skipped, so that one run
 * reports every error in every file (OpenSMTPD's parse.y habit).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/err.h"
#include "kpass/mem.h"
#include "kpass/text.h"
#include "menu_internal.h"

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

static void perr(struct parser *p, struct menu_loc loc, const char *fmt, ...) KP_PRINTF(3, 4);

static void perr(struct parser *p, struct menu_loc loc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (p->failed)
        return; /* one message per statement */
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    menu_diag(p->cc, loc, "%s", msg);
    p->failed = 1;
}

static void next(struct parser *p)
{
    menu_lex_next(&p->lx);
    if (p->lx.tok == TK_ERROR)
        p->failed = 1; /* the lexer reported it */
}

static void unexpected(struct parser *p, const char *wanted)
{
    if (p->lx.tok == TK_IDENT || p->lx.tok == TK_NUMBER)
        perr(p, p->lx.loc, "expected %s, found '%.*s'", wanted, (int)p->lx.tlen, p->lx.tp);
    else
        perr(p, p->lx.loc, "expected %s, found %s", wanted, menu_tok_name(p->lx.tok));
}

static int valid_name(const char *s, size_t len)
{
    if (len == 0 || len > 64 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.')
            return 0;
    return 1;
}

/* A variable name at the current token; returns its id or MENU_NONE. */
static uint32_t parse_var(struct parser *p)
{
    uint32_t id;

    if (p->lx.tok != TK_IDENT) {
        unexpected(p, "a variable name");
        return MENU_NONE;
    }
    if (!valid_name(p->lx.tp, p->lx.tlen)) {
        perr(p, p->lx.loc, "invalid variable name '%.*s'", (int)p->lx.tlen, p->lx.tp);
        return MENU_NONE;
    }
    id = menu_var_intern(p->g, p->lx.tp, p->lx.tlen);
    next(p);
    return id;
}

static uint32_t tpl_seg(struct menu_graph *g, struct kp_buf *lit, uint32_t var)
{
    uint32_t k = MENU_PUSH(g, segs);

    g->segs[k].var = var;
    if (var == MENU_NONE) {
        g->segs[k].off = menu_pool_add(g, lit->data, lit->len);
        g->segs[k].len = (uint32_t)lit->len;
        kp_buf_reset(lit);
    }
    return k;
}

uint32_t menu_tpl_compile(struct menu_cc *cc, const char *s, size_t len, struct menu_loc loc,
                          int allow_vars)
{
    struct menu_graph *g = cc->g;
    struct kp_buf lit = KP_BUF_INIT;
    uint32_t t = MENU_PUSH(g, tpls);
    size_t i = 0;

    g->tpls[t].first = (uint32_t)g->nsegs;
    while (i < len) {
        if (s[i] != '{') {
            kp_buf_putc(&lit, s[i++]);
            continue;
        }
        if (i + 1 < len && s[i + 1] == '{') {
            kp_buf_putc(&lit, '{');
            i += 2;
            continue;
        }
        const char *close = memchr(s + i, '}', len - i);
        size_t nlen = close ? (size_t)(close - s - i - 1) : 0;
        struct menu_loc at = loc;
        at.col += (uint32_t)text_utf8_chars(s, i);
        if (close == NULL || !valid_name(s + i + 1, nlen)) {
            menu_diag(cc, at, "malformed variable reference (write {name}, or {{ for a brace)");
            break;
        }
        if (!allow_vars) {
            menu_diag(cc, at, "variables cannot be used in system texts");
            break;
        }
        if (lit.len)
            tpl_seg(g, &lit, MENU_NONE);
        tpl_seg(g, &lit, menu_var_intern(g, s + i + 1, nlen));
        i += nlen + 2;
    }
    if (lit.len)
        tpl_seg(g, &lit, MENU_NONE);
    g->tpls[t].n = (uint32_t)g->nsegs - g->tpls[t].first;
    kp_buf_free(&lit);
    return t;
}

/* The location of the first character inside the current STRING's quotes. */
static struct menu_loc str_loc(const struct parser *p)
{
    struct menu_loc l = p->lx.loc;
    l.col = p->lx.str_col;
    return l;
}

/* A template from the current STRING (or a bare variable name if allowed). */
static uint32_t parse_value(struct parser *p, int allow_var)
{
    uint32_t t;

    if (p->lx.tok == TK_STRING) {
        t = menu_tpl_compile(p->cc, p->lx.str.data, p->lx.str.len, str_loc(p), 1);
        next(p);
        return t;
    }
    if (allow_var && p->lx.tok == TK_IDENT) {
        uint32_t var = parse_var(p);
        if (var == MENU_NONE)
            return MENU_NONE;
        t = MENU_PUSH(p->g, tpls);
        p->g->tpls[t].first = (uint32_t)p->g->nsegs;
        p->g->tpls[t].n = 1;
        tpl_seg(p->g, NULL, var);
        return t;
    }
    unexpected(p, allow_var ? "a string or a variable" : "a string");
    return MENU_NONE;
}

/*
 * One text clause at the current token: STRING (English) or LANG STRING.
 * Returns 1 when one was taken, 0 when the token starts something else.
 */
static int parse_text_clause(struct parser *p, struct text_acc *acc, int allow_vars)
{
    int lang = MENU_LANG_EN;
    struct menu_loc at = p->lx.loc;

    if (p->lx.tok == TK_IDENT) {
        char name[8];
        if (p->lx.tlen >= sizeof(name))
            return 0;
        memcpy(name, p->lx.tp, p->lx.tlen);
        name[p->lx.tlen] = '\0';
        if ((lang = menu_lang_parse(name)) < 0)
            return 0;
        next(p);
        if (p->lx.tok != TK_STRING) {
            unexpected(p, "a string after the language tag");
            return 1;
        }
    } else if (p->lx.tok != TK_STRING) {
        return 0;
    }
    if (acc->tpl[lang] != MENU_NONE) {
        perr(p, at, "two '%s' variants of the same text", menu_lang_name((enum menu_lang)lang));
        return 1;
    }
    if (!acc->any)
        acc->loc = at;
    acc->any = 1;
    acc->tpl[lang] = menu_tpl_compile(p->cc, p->lx.str.data, p->lx.str.len, str_loc(p),
                                      allow_vars);
    next(p);
    return 1;
}

static void text_acc_init(struct text_acc *acc)
{
    memset(acc, 0, sizeof(*acc));
    for (int i = 0; i < MENU_LANG_MAX; i++)
        acc->tpl[i] = MENU_NONE;
}

static uint32_t text_store(struct parser *p, const struct text_acc *acc)
{
    uint32_t t = MENU_PUSH(p->g, texts);

    memcpy(p->g->texts[t].tpl, acc->tpl, sizeof(acc->tpl));
    p->g->texts[t].loc = acc->loc;
    return t;
}

/* A whole-line text (after `text`, `system KEY`, `else` of accept). */
static uint32_t parse_text(struct parser *p, int allow_vars)
{
    struct text_acc acc;

    text_acc_init(&acc);
    while (parse_text_clause(p, &acc, allow_vars) && !p->failed)
        ;
    if (!acc.any) {
        unexpected(p, "a text (\"...\" or ur \"...\")");
        return MENU_NONE;
    }
    return text_store(p, &acc);
}

/* `set VAR = VALUE {, VAR = VALUE}` clauses; the current token is `set`. */
static void parse_sets(struct parser *p, struct menu_edge *e)
{
    do {
        next(p);
        uint32_t var = parse_var(p);
        if (var == MENU_NONE)
            return;
        if (p->lx.tok != TK_ASSIGN) {
            unexpected(p, "'='");
            return;
        }
        next(p);
        uint32_t tpl = parse_value(p, 1);
        if (tpl == MENU_NONE)
            return;
        uint32_t k = MENU_PUSH(p->g, sets);
        p->g->sets[k].var = var;
        p->g->sets[k].tpl = tpl;
        e->nset++;
    } while (p->lx.tok == TK_COMMA);
}

/* `-> NAME` at the current token; the sets after it are left to the caller. */
static int parse_target(struct parser *p, struct menu_edge *e)
{
    if (p->lx.tok != TK_ARROW) {
        unexpected(p, "'->' and a screen name");
        return -1;
    }
    next(p);
    if (p->lx.tok != TK_IDENT || !valid_name(p->lx.tp, p->lx.tlen)) {
        unexpected(p, "a screen name");
        return -1;
    }
    e->target = MENU_NONE;
    e->target_name = menu_pool_add(p->g, p->lx.tp, p->lx.tlen);
    e->loc = p->lx.loc;
    next(p);
    return 0;
}

/* `-> NAME [set ...]` */
static void parse_edge(struct parser *p, struct menu_edge *e)
{
    e->set = (uint32_t)p->g->nsets;
    if (parse_target(p, e) == 0 && menu_lex_is(&p->lx, "set"))
        parse_sets(p, e);
}

/* NAME ( [ARG {, ARG}] ) ; returns the call index or MENU_NONE. */
static uint32_t parse_call(struct parser *p)
{
    struct menu_graph *g = p->g;
    uint32_t c;

    if (p->lx.tok != TK_IDENT) {
        unexpected(p, "a built-in call such as dir.offices(district)");
        return MENU_NONE;
    }
    c = MENU_PUSH(g, calls);
    g->calls[c].name = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    g->calls[c].loc = p->lx.loc;
    g->calls[c].builtin = MENU_NONE;
    g->calls[c].arg = (uint32_t)g->nargs;
    next(p);
    if (p->lx.tok != TK_LPAREN) {
        unexpected(p, "'('");
        return MENU_NONE;
    }
    next(p);
    while (p->lx.tok != TK_RPAREN) {
        if (g->calls[c].narg == MENU_ARGS_MAX) {
            perr(p, p->lx.loc, "more than %d arguments", MENU_ARGS_MAX);
            return MENU_NONE;
        }
        uint32_t tpl = parse_value(p, 1);
        if (tpl == MENU_NONE)
            return MENU_NONE;
        g->args[MENU_PUSH(g, args)].tpl = tpl;
        g->calls[c].narg++;
        if (p->lx.tok == TK_COMMA)
            next(p);
        else if (p->lx.tok != TK_RPAREN) {
            unexpected(p, "',' or ')'");
            return MENU_NONE;
        }
    }
    next(p);
    return c;
}


/* ---- statements ---- */

#define KINDS(...) kinds_mask((const enum menu_kind[]){__VA_ARGS__, MK__COUNT})

static unsigned kinds_mask(const enum menu_kind *k)
{
    unsigned m = 0;

    for (; *k != MK__COUNT; k++)
        m |= 1u << *k;
    return m;
}

/* The current screen, if the statement kw may appear in it. */
static struct menu_screen_def *need_screen(struct parser *p, struct menu_loc at, const char *kw,
                                           unsigned kinds)
{
    struct menu_screen_def *s;

    if (p->screen == MENU_NONE) {
        perr(p, at, "'%s' outside a screen", kw);
        return NULL;
    }
    s = &p->g->screens[p->screen];
    if (!(kinds & (1u << s->kind))) {
        perr(p, at, "'%s' is not allowed in %s screen '%s'", kw, menu_kind_name(s->kind),
             GSTR(p->g, s->name));
        return NULL;
    }
    return s;
}

static void stmt_screen(struct parser *p)
{
    struct menu_graph *g = p->g;
    struct menu_screen_def *s;
    uint32_t k, other;
    int kind = -1;

    next(p);
    if (p->lx.tok != TK_IDENT || !valid_name(p->lx.tp, p->lx.tlen)) {
        p->screen = MENU_NONE;
        unexpected(p, "a screen name");
        return;
    }
    k = MENU_PUSH(g, screens);
    s = &g->screens[k];
    s->name = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    s->loc = p->lx.loc;
    s->text = s->var = s->call = MENU_NONE;
    s->opt = (uint32_t)g->noptions;
    s->chk = (uint32_t)g->nchecks;
    s->br = (uint32_t)g->nbranches;
    p->screen = k;
    other = menu_screen_find(g, GSTR(g, s->name));
    if (menu_screen_index(g, k) < 0) {
        struct menu_loc o = g->screens[other].loc;
        perr(p, s->loc, "screen '%s' is already defined at %s:%u", GSTR(g, s->name),
             p->cc->src[o.file].name, o.line);
        return;
    }
    next(p);
    for (int i = 0; i < MK__COUNT; i++)
        if (menu_lex_is(&p->lx, menu_kind_name((enum menu_kind)i)))
            kind = i;
    if (kind < 0) {
        unexpected(p, "a screen kind (menu, input, info, end, action or router)");
        return;
    }
    s->kind = (enum menu_kind)kind;
    next(p);
    for (;;) {
        if (menu_lex_is(&p->lx, "sensitive"))
            s->flags |= MF_SENSITIVE;
        else if (menu_lex_is(&p->lx, "noresume"))
            s->flags |= MF_NORESUME;
        else
            break;
        next(p);
    }
    if (s->kind == MK_ACTION)
        g->screens[k].call = parse_call(p);
}

static void stmt_text(struct parser *p, struct menu_loc at, const char *kw)
{
    struct menu_screen_def *s = need_screen(p, at, kw, KINDS(MK_MENU, MK_INPUT, MK_INFO, MK_END));
    uint32_t t;

    if (s == NULL)
        return;
    if (s->text != MENU_NONE) {
        perr(p, at, "screen '%s' already has a text", GSTR(p->g, s->name));
        return;
    }
    s->text_loc = at;
    next(p);
    t = parse_text(p, 1);
    p->g->screens[p->screen].text = t;
}

/* An explicit option key: 1..99, no leading zero, not 98 (More). */
static int option_key(struct parser *p, struct menu_option *o)
{
    unsigned v = 0;

    for (size_t i = 0; i < p->lx.tlen && i < 3; i++)
        v = v * 10 + (unsigned)(p->lx.tp[i] - '0');
    if (p->lx.tlen > 2 || p->lx.tp[0] == '0' || v == 98) {
        perr(p, p->lx.loc, "option key must be 1 to 99, without a leading 0 (0, 00 and 98 are "
                           "Back, Home and More)");
        return -1;
    }
    memcpy(o->key, p->lx.tp, p->lx.tlen);
    o->key[p->lx.tlen] = '\0';
    o->explicit_key = 1;
    next(p);
    return 0;
}

static void stmt_option(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    struct text_acc acc;
    uint32_t k;
    int has_target = 0;

    if (need_screen(p, at, "option", KINDS(MK_MENU)) == NULL)
        return;
    k = MENU_PUSH(g, options);
    g->screens[p->screen].nopt++;
    g->options[k].loc = at;
    g->options[k].text = MENU_NONE;
    g->options[k].edge.set = (uint32_t)g->nsets;
    next(p);
    if (p->lx.tok == TK_NUMBER && option_key(p, &g->options[k]) < 0)
        return;
    text_acc_init(&acc);
    while (!p->failed) {
        if (parse_text_clause(p, &acc, 1))
            continue;
        if (p->lx.tok == TK_ARROW) {
            if (has_target) {
                perr(p, p->lx.loc, "option has two targets");
                return;
            }
            has_target = parse_target(p, &g->options[k].edge) == 0;
        } else if (menu_lex_is(&p->lx, "set")) {
            parse_sets(p, &g->options[k].edge);
        } else {
            break;
        }
    }
    if (p->failed)
        return;
    if (!acc.any)
        perr(p, at, "option has no text");
    else if (!has_target)
        perr(p, at, "option has no target (-> screen)");
    g->options[k].text = text_store(p, &acc);
}

static void stmt_list(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    struct menu_screen_def *s = need_screen(p, at, "list", KINDS(MK_MENU));
    uint32_t k, call, var;

    if (s == NULL)
        return;
    if (s->has_list) {
        perr(p, at, "screen '%s' already has a list", GSTR(g, s->name));
        return;
    }
    s->has_list = 1;
    k = MENU_PUSH(g, options);
    g->screens[p->screen].nopt++;
    g->options[k].loc = at;
    g->options[k].is_list = 1;
    g->options[k].text = MENU_NONE;
    g->options[k].list_var = MENU_NONE;
    next(p);
    if ((call = parse_call(p)) == MENU_NONE)
        return;
    g->options[k].call = call;
    if (!menu_lex_is(&p->lx, "as")) {
        unexpected(p, "'as' and the variable that receives the chosen item");
        return;
    }
    next(p);
    if ((var = parse_var(p)) == MENU_NONE)
        return;
    g->options[k].list_var = var;
    parse_edge(p, &g->options[k].edge);
}

static void stmt_var(struct parser *p, struct menu_loc at)
{
    struct menu_screen_def *s = need_screen(p, at, "var", KINDS(MK_INPUT));
    uint32_t var;

    if (s == NULL)
        return;
    if (s->var != MENU_NONE) {
        perr(p, at, "screen '%s' already has a variable", GSTR(p->g, s->name));
        return;
    }
    next(p);
    struct menu_loc vloc = p->lx.loc;
    var = parse_var(p);
    p->g->screens[p->screen].var = var;
    p->g->screens[p->screen].var_loc = vloc;
}

static int parse_number(struct parser *p, unsigned *v)
{
    if (p->lx.tok != TK_NUMBER || p->lx.tlen > 6) {
        unexpected(p, "a number");
        return -1;
    }
    *v = 0;
    for (size_t i = 0; i < p->lx.tlen; i++)
        *v = *v * 10 + (unsigned)(p->lx.tp[i] - '0');
    next(p);
    return 0;
}

static int accept_regex(struct parser *p, struct menu_check *c)
{
    struct menu_graph *g = p->g;
    struct kp_buf pat = KP_BUF_INIT;
    regex_t re;
    int rc;

    if (p->lx.tok != TK_STRING) {
        unexpected(p, "a regular expression in quotes");
        return -1;
    }
    /* anchored: the whole reply must match (POSIX ERE, regcomp(3)) */
    kp_buf_printf(&pat, "^(%s)$", p->lx.str.data);
    if ((rc = regcomp(&re, p->lx.str.data, REG_EXTENDED | REG_NOSUB)) == 0) {
        regfree(&re);
        rc = regcomp(&re, pat.data, REG_EXTENDED | REG_NOSUB);
    }
    kp_buf_free(&pat);
    if (rc != 0) {
        char msg[128];
        regerror(rc, NULL, msg, sizeof(msg));
        perr(p, p->lx.loc, "bad regular expression: %s", msg);
        return -1;
    }
    c->regex = MENU_PUSH(g, regexes);
    g->regexes[c->regex] = re;
    next(p);
    return 0;
}

static int accept_kind(struct parser *p, struct menu_check *c)
{
    static const struct {
        const char *name;
        enum menu_check_kind kind;
    } kinds[] = {{"digits", MC_DIGITS}, {"length", MC_LENGTH}, {"regex", MC_REGEX},
                 {"cnic", MC_CNIC},     {"msisdn", MC_MSISDN}};
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (menu_lex_is(&p->lx, kinds[i].name))
            break;
    if (i == sizeof(kinds) / sizeof(kinds[0])) {
        unexpected(p, "a check (digits, length, regex, cnic or msisdn)");
        return -1;
    }
    c->kind = kinds[i].kind;
    struct menu_loc at = p->lx.loc;
    next(p);
    if (c->kind == MC_REGEX)
        return accept_regex(p, c);
    if (c->kind != MC_LENGTH)
        return 0;
    if (parse_number(p, &c->min) < 0)
        return -1;
    c->max = c->min;
    if (p->lx.tok == TK_DOTDOT) {
        next(p);
        if (parse_number(p, &c->max) < 0)
            return -1;
    }
    if (c->min < 1 || c->min > c->max || c->max > MENU_INPUT_MAX) {
        perr(p, at, "length must be N or N..M with 1 <= N <= M <= %d", MENU_INPUT_MAX);
        return -1;
    }
    return 0;
}

static void stmt_accept(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    struct menu_check c;
    uint32_t k;

    if (need_screen(p, at, "accept", KINDS(MK_INPUT)) == NULL)
        return;
    memset(&c, 0, sizeof(c));
    c.loc = at;
    c.text = MENU_NONE;
    next(p);
    if (accept_kind(p, &c) < 0)
        return;
    if (menu_lex_is(&p->lx, "else")) {
        next(p);
        c.text = parse_text(p, 1);
    }
    k = MENU_PUSH(g, checks);
    g->checks[k] = c;
    g->screens[p->screen].nchk++;
}

static void stmt_next(struct parser *p, struct menu_loc at)
{
    struct menu_screen_def *s = need_screen(p, at, "->", KINDS(MK_INPUT));

    if (s == NULL)
        return;
    if (s->has_next) {
        perr(p, at, "screen '%s' already has a '->'", GSTR(p->g, s->name));
        return;
    }
    s->has_next = 1;
    parse_edge(p, &s->next);
}

static void stmt_on(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    struct menu_screen_def *s = need_screen(p, at, "on", KINDS(MK_ACTION));
    uint32_t k;

    if (s == NULL)
        return;
    next(p);
    if (p->lx.tok != TK_IDENT) {
        unexpected(p, "an outcome name");
        return;
    }
    for (uint32_t i = s->br; i < s->br + s->nbr; i++) {
        const char *key = GSTR(g, g->branches[i].key);
        if (strlen(key) == p->lx.tlen && memcmp(key, p->lx.tp, p->lx.tlen) == 0) {
            perr(p, p->lx.loc, "outcome '%s' is handled twice", key);
            return;
        }
    }
    k = MENU_PUSH(g, branches);
    g->screens[p->screen].nbr++;
    g->branches[k].key = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    g->branches[k].loc = at;
    next(p);
    parse_edge(p, &g->branches[k].edge);
}

static int parse_cond(struct parser *p)
{
    struct menu_graph *g = p->g;
    struct menu_cond c;

    memset(&c, 0, sizeof(c));
    c.tpl = MENU_NONE;
    if (menu_lex_is(&p->lx, "set") || menu_lex_is(&p->lx, "unset")) {
        c.kind = menu_lex_is(&p->lx, "set") ? MCOND_SET : MCOND_UNSET;
        next(p);
        if ((c.var = parse_var(p)) == MENU_NONE)
            return -1;
    } else {
        if ((c.var = parse_var(p)) == MENU_NONE)
            return -1;
        if (p->lx.tok != TK_EQ && p->lx.tok != TK_NE) {
            unexpected(p, "'==' or '!='");
            return -1;
        }
        c.kind = p->lx.tok == TK_EQ ? MCOND_EQ : MCOND_NE;
        next(p);
        if ((c.tpl = parse_value(p, 1)) == MENU_NONE)
            return -1;
    }
    g->conds[MENU_PUSH(g, conds)] = c;
    return 0;
}

static void stmt_if(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    uint32_t k;

    if (need_screen(p, at, "if", KINDS(MK_ROUTER)) == NULL)
        return;
    k = MENU_PUSH(g, branches);
    g->screens[p->screen].nbr++;
    g->branches[k].key = MENU_NONE;
    g->branches[k].loc = at;
    g->branches[k].cond = (uint32_t)g->nconds;
    do {
        next(p);
        if (parse_cond(p) < 0)
            return;
        g->branches[k].ncond++;
    } while (menu_lex_is(&p->lx, "and"));
    parse_edge(p, &g->branches[k].edge);
}

static void stmt_else(struct parser *p, struct menu_loc at)
{
    struct menu_screen_def *s = need_screen(p, at, "else", KINDS(MK_ACTION, MK_ROUTER));

    if (s == NULL)
        return;
    if (s->has_else) {
        perr(p, at, "screen '%s' already has an 'else'", GSTR(p->g, s->name));
        return;
    }
    s->has_else = 1;
    next(p);
    parse_edge(p, &s->other);
}

static void stmt_system(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    int k = -1;

    next(p);
    for (int i = 0; i < MS__COUNT; i++)
        if (menu_lex_is(&p->lx, menu_sys_name((enum menu_sys)i)))
            k = i;
    if (k < 0) {
        unexpected(p, "a system text name (more, back, home, invalid, invalid_input, resume, "
                      "continue, restart, expired or error)");
        return;
    }
    if (g->sys[k] != MENU_NONE) {
        struct menu_loc o = p->cc->sys_loc[k];
        perr(p, at, "system text '%s' is already defined at %s:%u", menu_sys_name((enum menu_sys)k),
             p->cc->src[o.file].name, o.line);
        return;
    }
    p->cc->sys_loc[k] = at;
    next(p);
    g->sys[k] = parse_text(p, 0);
}

static void stmt_home(struct parser *p, struct menu_loc at)
{
    if (p->cc->home_name != MENU_NONE) {
        struct menu_loc o = p->cc->home_loc;
        perr(p, at, "'home' is already given at %s:%u", p->cc->src[o.file].name, o.line);
        return;
    }
    next(p);
    if (p->lx.tok != TK_IDENT || !valid_name(p->lx.tp, p->lx.tlen)) {
        unexpected(p, "a screen name");
        return;
    }
    p->cc->home_name = menu_pool_add(p->g, p->lx.tp, p->lx.tlen);
    p->cc->home_loc = p->lx.loc;
    next(p);
}

static void statement(struct parser *p)
{
    struct menu_loc at = p->lx.loc;

    if (p->lx.tok == TK_ARROW) {
        stmt_next(p, at);
        return;
    }
    if (p->lx.tok != TK_IDENT) {
        unexpected(p, "a statement");
        return;
    }
    if (menu_lex_is(&p->lx, "screen"))
        stmt_screen(p);
    else if (menu_lex_is(&p->lx, "text") || menu_lex_is(&p->lx, "title") ||
             menu_lex_is(&p->lx, "prompt")) {
        char kw[8];
        snprintf(kw, sizeof(kw), "%.*s", (int)p->lx.tlen, p->lx.tp);
        stmt_text(p, at, kw);
    } else if (menu_lex_is(&p->lx, "option"))
        stmt_option(p, at);
    else if (menu_lex_is(&p->lx, "list"))
        stmt_list(p, at);
    else if (menu_lex_is(&p->lx, "var"))
        stmt_var(p, at);
    else if (menu_lex_is(&p->lx, "accept"))
        stmt_accept(p, at);
    else if (menu_lex_is(&p->lx, "on"))
        stmt_on(p, at);
    else if (menu_lex_is(&p->lx, "if"))
        stmt_if(p, at);
    else if (menu_lex_is(&p->lx, "else"))
        stmt_else(p, at);
    else if (menu_lex_is(&p->lx, "system"))
        stmt_system(p, at);
    else if (menu_lex_is(&p->lx, "home"))
        stmt_home(p, at);
    else
        perr(p, at, "unknown statement '%.*s'", (int)p->lx.tlen, p->lx.tp);
}

unsigned menu_parse(struct menu_cc *cc, uint32_t file)
{
    struct parser p;
    unsigned before = cc->errors;

    memset(&p, 0, sizeof(p));
    p.cc = cc;
    p.g = cc->g;
    p.screen = MENU_NONE;
    menu_lex_init(&p.lx, cc, file);
    next(&p);
    while (p.lx.tok != TK_EOF) {
        p.failed = p.lx.tok == TK_ERROR;
        if (p.lx.tok == TK_NL) {
            next(&p);
            continue;
        }
        if (!p.failed)
            statement(&p);
        if (!p.failed && p.lx.tok != TK_NL && p.lx.tok != TK_EOF)
            unexpected(&p, "the end of the line");
        while (p.lx.tok != TK_NL && p.lx.tok != TK_EOF)
            menu_lex_next(&p.lx);
    }
    menu_lex_free(&p.lx);
    return cc->errors - before;
}
