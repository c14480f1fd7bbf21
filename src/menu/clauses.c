/* SPDX-License-Identifier: ISC */
/*
 * The pieces the menu statements are made of (kpass-menu(5) "LEXICAL
 * STRUCTURE", "STATEMENTS"): names, values (a string or a variable),
 * texts with their language variants, {var} templates, `set` clauses,
 * `-> screen` targets and built-in calls, each parsed from the current
 * token into the graph's arrays, with one error per statement reported.
 * The statements themselves are in parser.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

void menu_parse_error(struct parser *p, struct menu_loc loc, const char *fmt, ...)
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

void menu_parse_next(struct parser *p)
{
    menu_lex_next(&p->lx);
    if (p->lx.tok == TK_ERROR)
        p->failed = 1; /* the lexer reported it */
}

void menu_parse_unexpected(struct parser *p, const char *wanted)
{
    if (p->lx.tok == TK_IDENT || p->lx.tok == TK_NUMBER)
        menu_parse_error(p, p->lx.loc, "expected %s, found '%.*s'", wanted, (int)p->lx.tlen,
                         p->lx.tp);
    else
        menu_parse_error(p, p->lx.loc, "expected %s, found %s", wanted, menu_tok_name(p->lx.tok));
}

int menu_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > 64 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.' || s[i] == '-')
            return 0;
    return 1;
}

/* A variable name at the current token; returns its id or MENU_NONE. */
uint32_t menu_parse_var(struct parser *p)
{
    uint32_t id;

    if (p->lx.tok != TK_IDENT) {
        menu_parse_unexpected(p, "a variable name");
        return MENU_NONE;
    }
    if (!menu_name_valid(p->lx.tp, p->lx.tlen)) {
        menu_parse_error(p, p->lx.loc, "invalid variable name '%.*s'", (int)p->lx.tlen, p->lx.tp);
        return MENU_NONE;
    }
    id = menu_var_intern(p->g, p->lx.tp, p->lx.tlen);
    menu_parse_next(p);
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
        if (close == NULL || !menu_name_valid(s + i + 1, nlen)) {
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
uint32_t menu_parse_value(struct parser *p, int allow_var)
{
    uint32_t t;

    if (p->lx.tok == TK_STRING) {
        t = menu_tpl_compile(p->cc, p->lx.str.data, p->lx.str.len, str_loc(p), 1);
        menu_parse_next(p);
        return t;
    }
    if (allow_var && p->lx.tok == TK_IDENT) {
        uint32_t var = menu_parse_var(p);
        if (var == MENU_NONE)
            return MENU_NONE;
        t = MENU_PUSH(p->g, tpls);
        p->g->tpls[t].first = (uint32_t)p->g->nsegs;
        p->g->tpls[t].n = 1;
        tpl_seg(p->g, NULL, var);
        return t;
    }
    menu_parse_unexpected(p, allow_var ? "a string or a variable" : "a string");
    return MENU_NONE;
}

/*
 * One text clause at the current token: STRING (English) or LANG STRING.
 * Returns 1 when one was taken, 0 when the token starts something else.
 */
int menu_parse_text_clause(struct parser *p, struct text_acc *acc, int allow_vars)
{
    int lang = MENU_LANG_EN;
    struct menu_loc at = p->lx.loc;

    if (p->lx.tok == TK_IDENT) {
        char name[MENU_LANG_NAME_MAX + 1];
        if (p->lx.tlen >= sizeof(name))
            return 0;
        memcpy(name, p->lx.tp, p->lx.tlen);
        name[p->lx.tlen] = '\0';
        if ((lang = menu_lang_parse(name)) < 0)
            return 0;
        menu_parse_next(p);
        if (p->lx.tok != TK_STRING) {
            menu_parse_unexpected(p, "a string after the language tag");
            return 1;
        }
    } else if (p->lx.tok != TK_STRING) {
        return 0;
    }
    if (acc->tpl[lang] != MENU_NONE) {
        menu_parse_error(p, at, "two '%s' variants of the same text",
                         menu_lang_name((enum menu_lang)lang));
        return 1;
    }
    if (!acc->any)
        acc->loc = at;
    acc->any = 1;
    acc->tpl[lang] = menu_tpl_compile(p->cc, p->lx.str.data, p->lx.str.len, str_loc(p), allow_vars);
    menu_parse_next(p);
    return 1;
}

void menu_text_acc_init(struct text_acc *acc)
{
    memset(acc, 0, sizeof(*acc));
    for (int i = 0; i < MENU_LANG_MAX; i++)
        acc->tpl[i] = MENU_NONE;
}

uint32_t menu_text_store(struct parser *p, const struct text_acc *acc)
{
    uint32_t t = MENU_PUSH(p->g, texts);

    memcpy(p->g->texts[t].tpl, acc->tpl, sizeof(acc->tpl));
    p->g->texts[t].loc = acc->loc;
    return t;
}

/* A whole-line text (after `text`, `system KEY`, `else` of accept). */
uint32_t menu_parse_text(struct parser *p, int allow_vars)
{
    struct text_acc acc;

    menu_text_acc_init(&acc);
    while (menu_parse_text_clause(p, &acc, allow_vars) && !p->failed)
        ;
    if (!acc.any) {
        menu_parse_unexpected(p, "a text (\"...\" or ur \"...\")");
        return MENU_NONE;
    }
    return menu_text_store(p, &acc);
}

/* `set VAR = VALUE {, VAR = VALUE}` clauses; the current token is `set`. */
void menu_parse_sets(struct parser *p, struct menu_edge *e)
{
    do {
        menu_parse_next(p);
        uint32_t var = menu_parse_var(p);
        if (var == MENU_NONE)
            return;
        if (p->lx.tok != TK_ASSIGN) {
            menu_parse_unexpected(p, "'='");
            return;
        }
        menu_parse_next(p);
        uint32_t tpl = menu_parse_value(p, 1);
        if (tpl == MENU_NONE)
            return;
        uint32_t k = MENU_PUSH(p->g, sets);
        p->g->sets[k].var = var;
        p->g->sets[k].tpl = tpl;
        e->nset++;
    } while (p->lx.tok == TK_COMMA);
}

/* `-> NAME` at the current token; the sets after it are left to the caller. */
int menu_parse_target(struct parser *p, struct menu_edge *e)
{
    if (p->lx.tok != TK_ARROW) {
        menu_parse_unexpected(p, "'->' and a screen name");
        return -1;
    }
    menu_parse_next(p);
    if (p->lx.tok != TK_IDENT || !menu_name_valid(p->lx.tp, p->lx.tlen)) {
        menu_parse_unexpected(p, "a screen name");
        return -1;
    }
    e->target = MENU_NONE;
    e->target_name = menu_pool_add(p->g, p->lx.tp, p->lx.tlen);
    e->loc = p->lx.loc;
    menu_parse_next(p);
    return 0;
}

/* `-> NAME [set ...]` */
void menu_parse_edge(struct parser *p, struct menu_edge *e)
{
    e->set = (uint32_t)p->g->nsets;
    if (menu_parse_target(p, e) == 0 && menu_lex_is(&p->lx, "set"))
        menu_parse_sets(p, e);
}

/* NAME ( [ARG {, ARG}] ) ; returns the call index or MENU_NONE. */
uint32_t menu_parse_call(struct parser *p)
{
    struct menu_graph *g = p->g;
    uint32_t c;

    if (p->lx.tok != TK_IDENT) {
        menu_parse_unexpected(p, "a built-in call such as dir.offices(district)");
        return MENU_NONE;
    }
    c = MENU_PUSH(g, calls);
    g->calls[c].name = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    g->calls[c].loc = p->lx.loc;
    g->calls[c].builtin = MENU_NONE;
    g->calls[c].arg = (uint32_t)g->nargs;
    menu_parse_next(p);
    if (p->lx.tok != TK_LPAREN) {
        menu_parse_unexpected(p, "'('");
        return MENU_NONE;
    }
    menu_parse_next(p);
    while (p->lx.tok != TK_RPAREN) {
        if (g->calls[c].narg == MENU_ARGS_MAX) {
            menu_parse_error(p, p->lx.loc, "more than %d arguments", MENU_ARGS_MAX);
            return MENU_NONE;
        }
        uint32_t tpl = menu_parse_value(p, 1);
        if (tpl == MENU_NONE)
            return MENU_NONE;
        uint32_t a = MENU_PUSH(g, args); /* before indexing: it may move the array */
        g->args[a].tpl = tpl;
        g->calls[c].narg++;
        if (p->lx.tok == TK_COMMA)
            menu_parse_next(p);
        else if (p->lx.tok != TK_RPAREN) {
            menu_parse_unexpected(p, "',' or ')'");
            return MENU_NONE;
        }
    }
    menu_parse_next(p);
    return c;
}
