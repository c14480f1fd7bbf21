/* SPDX-License-Identifier: ISC */
/*
 * The menu language's statements (kpass-menu(5) "SCREENS", "STATEMENTS"):
 * one per line, `screen NAME KIND [flags] [call]` starting a screen and the
 * lines after it filling it in.  Statements go straight into the graph's
 * arrays; names are resolved later by the checker.  Every error is reported
 * with its position and the rest of the line is skipped, so that one run
 * reports every error in every file (OpenSMTPD's parse.y habit).  The
 * clauses statements are made of are in clauses.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

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
        menu_parse_error(p, at, "'%s' outside a screen", kw);
        return NULL;
    }
    s = &p->g->screens[p->screen];
    if (!(kinds & (1u << s->kind))) {
        menu_parse_error(p, at, "'%s' is not allowed in %s screen '%s'", kw,
                         menu_kind_name(s->kind), GSTR(p->g, s->name));
        return NULL;
    }
    return s;
}

/*
 * The department app an app screen hands the dialog to: a name as
 * `kpass app add` registered it.  The inputs sent to it and the caller's
 * pseudonym live in two hidden variables (their names cannot be written
 * in a menu, so no screen can show or set them).
 */
static void parse_app_name(struct parser *p, uint32_t k)
{
    struct menu_graph *g = p->g;

    if (p->lx.tok != TK_IDENT || !menu_name_valid(p->lx.tp, p->lx.tlen)) {
        menu_parse_unexpected(p, "the name of a department app");
        return;
    }
    g->screens[k].app = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    if (g->app_text == MENU_NONE) {
        g->app_text = menu_var_intern(g, MENU_APP_TEXT_VAR, strlen(MENU_APP_TEXT_VAR));
        g->app_id = menu_var_intern(g, MENU_APP_ID_VAR, strlen(MENU_APP_ID_VAR));
    }
    menu_parse_next(p);
}

static void stmt_screen(struct parser *p)
{
    struct menu_graph *g = p->g;
    struct menu_screen_def *s;
    uint32_t k, other;
    int kind = -1;

    menu_parse_next(p);
    if (p->lx.tok != TK_IDENT || !menu_name_valid(p->lx.tp, p->lx.tlen)) {
        p->screen = MENU_NONE;
        menu_parse_unexpected(p, "a screen name");
        return;
    }
    k = MENU_PUSH(g, screens);
    s = &g->screens[k];
    s->name = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    s->loc = p->lx.loc;
    s->text = s->header = s->var = s->call = s->app = MENU_NONE;
    s->opt = (uint32_t)g->noptions;
    s->chk = (uint32_t)g->nchecks;
    s->br = (uint32_t)g->nbranches;
    p->screen = k;
    other = menu_screen_find(g, GSTR(g, s->name));
    if (menu_screen_index(g, k) < 0) {
        struct menu_loc o = g->screens[other].loc;
        menu_parse_error(p, s->loc, "screen '%s' is already defined at %s:%u", GSTR(g, s->name),
                         p->cc->src[o.file].name, o.line);
        return;
    }
    menu_parse_next(p);
    for (int i = 0; i < MK__COUNT; i++)
        if (menu_lex_is(&p->lx, menu_kind_name((enum menu_kind)i)))
            kind = i;
    if (kind < 0) {
        menu_parse_unexpected(p, "a screen kind (menu, input, info, end, action, router or app)");
        return;
    }
    s->kind = (enum menu_kind)kind;
    menu_parse_next(p);
    for (;;) {
        if (menu_lex_is(&p->lx, "sensitive"))
            s->flags |= MF_SENSITIVE;
        else if (menu_lex_is(&p->lx, "noresume"))
            s->flags |= MF_NORESUME;
        else
            break;
        menu_parse_next(p);
    }
    if (s->kind == MK_ACTION)
        g->screens[k].call = menu_parse_call(p);
    else if (s->kind == MK_APP)
        parse_app_name(p, k);
}

static void stmt_text(struct parser *p, struct menu_loc at, const char *kw)
{
    struct menu_screen_def *s = need_screen(p, at, kw, KINDS(MK_MENU, MK_INPUT, MK_INFO, MK_END));
    uint32_t t;

    if (s == NULL)
        return;
    if (s->text != MENU_NONE) {
        menu_parse_error(p, at, "screen '%s' already has a text", GSTR(p->g, s->name));
        return;
    }
    s->text_loc = at;
    menu_parse_next(p);
    t = menu_parse_text(p, 1);
    p->g->screens[p->screen].text = t;
}

/* `header TEXT`: one line atop every page of a screen (its later pages too). */
static void stmt_header(struct parser *p, struct menu_loc at)
{
    struct menu_screen_def *s = need_screen(p, at, "header", KINDS(MK_MENU, MK_INPUT, MK_INFO));

    if (s == NULL)
        return;
    if (s->header != MENU_NONE) {
        menu_parse_error(p, at, "screen '%s' already has a header", GSTR(p->g, s->name));
        return;
    }
    menu_parse_next(p);
    uint32_t t = menu_parse_text(p, 1);
    p->g->screens[p->screen].header = t;
}

/* An explicit option key: 1..99, no leading zero, not 98 (More). */
static int option_key(struct parser *p, struct menu_option *o)
{
    unsigned v = 0;

    for (size_t i = 0; i < p->lx.tlen && i < 3; i++)
        v = v * 10 + (unsigned)(p->lx.tp[i] - '0');
    if (p->lx.tlen > 2 || p->lx.tp[0] == '0' || v == 98) {
        menu_parse_error(p, p->lx.loc,
                         "option key must be 1 to 99, without a leading 0 (0, 00 and 98 are "
                         "Back, Home and More)");
        return -1;
    }
    memcpy(o->key, p->lx.tp, p->lx.tlen);
    o->key[p->lx.tlen] = '\0';
    o->explicit_key = 1;
    menu_parse_next(p);
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
    menu_parse_next(p);
    if (p->lx.tok == TK_NUMBER && option_key(p, &g->options[k]) < 0)
        return;
    menu_text_acc_init(&acc);
    while (!p->failed) {
        if (menu_parse_text_clause(p, &acc, 1))
            continue;
        if (p->lx.tok == TK_ARROW) {
            if (has_target) {
                menu_parse_error(p, p->lx.loc, "option has two targets");
                return;
            }
            has_target = menu_parse_target(p, &g->options[k].edge) == 0;
        } else if (menu_lex_is(&p->lx, "set")) {
            menu_parse_sets(p, &g->options[k].edge);
        } else {
            break;
        }
    }
    if (p->failed)
        return;
    if (!acc.any)
        menu_parse_error(p, at, "option has no text");
    else if (!has_target)
        menu_parse_error(p, at, "option has no target (-> screen)");
    g->options[k].text = menu_text_store(p, &acc);
}

static void stmt_list(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    struct menu_screen_def *s = need_screen(p, at, "list", KINDS(MK_MENU));
    uint32_t k, call, var;

    if (s == NULL)
        return;
    if (s->has_list) {
        menu_parse_error(p, at, "screen '%s' already has a list", GSTR(g, s->name));
        return;
    }
    s->has_list = 1;
    k = MENU_PUSH(g, options);
    g->screens[p->screen].nopt++;
    g->options[k].loc = at;
    g->options[k].is_list = 1;
    g->options[k].text = MENU_NONE;
    g->options[k].list_var = MENU_NONE;
    menu_parse_next(p);
    if ((call = menu_parse_call(p)) == MENU_NONE)
        return;
    g->options[k].call = call;
    if (!menu_lex_is(&p->lx, "as")) {
        menu_parse_unexpected(p, "'as' and the variable that receives the chosen item");
        return;
    }
    menu_parse_next(p);
    if ((var = menu_parse_var(p)) == MENU_NONE)
        return;
    g->options[k].list_var = var;
    menu_parse_edge(p, &g->options[k].edge);
}

static void stmt_var(struct parser *p, struct menu_loc at)
{
    struct menu_screen_def *s = need_screen(p, at, "var", KINDS(MK_INPUT, MK_APP));
    uint32_t var;

    if (s == NULL)
        return;
    if (s->var != MENU_NONE) {
        menu_parse_error(p, at, "screen '%s' already has a variable", GSTR(p->g, s->name));
        return;
    }
    menu_parse_next(p);
    struct menu_loc vloc = p->lx.loc;
    var = menu_parse_var(p);
    p->g->screens[p->screen].var = var;
    p->g->screens[p->screen].var_loc = vloc;
}

static int parse_number(struct parser *p, unsigned *v)
{
    if (p->lx.tok != TK_NUMBER || p->lx.tlen > 6) {
        menu_parse_unexpected(p, "a number");
        return -1;
    }
    *v = 0;
    for (size_t i = 0; i < p->lx.tlen; i++)
        *v = *v * 10 + (unsigned)(p->lx.tp[i] - '0');
    menu_parse_next(p);
    return 0;
}

/*
 * Refuse what makes regcomp(3) blow up before it runs: glibc copies a
 * bounded repeat's subtree once per count, and stacked quantifiers
 * ("[0-9]+++...", undefined in POSIX ERE, accepted by glibc) multiply the
 * copies, so a 40-byte pattern took over 2 GB (found by fuzz_menu_parse).
 * A reply validator needs none of that: at most MENU_REGEX_MAX octets, no
 * quantifier on a quantifier, and the bounds' product at most
 * MENU_REGEX_COPIES.  NULL, or why not.
 */
#define MENU_REGEX_MAX    128
#define MENU_REGEX_COPIES 1024
static const char *regex_unsafe(const char *re)
{
    unsigned long copies = 1;
    int quantified = 0, bracket = 0;

    if (strlen(re) > MENU_REGEX_MAX)
        return "longer than 128 characters";
    for (const char *q = re; *q; q++) {
        if (bracket) { /* [...]: literal but for its end ("[]a]" and "[^]a]" hold a ']') */
            if (*q == ']' && q[-1] != '[' && !(q[-1] == '^' && q[-2] == '['))
                bracket = 0;
            continue;
        }
        if (*q == '\\' && q[1] != '\0') {
            q++;
            quantified = 0;
            continue;
        }
        if (*q == '*' || *q == '+' || *q == '?' || *q == '{') {
            if (quantified)
                return "a quantifier on a quantifier";
            quantified = 1;
            if (*q == '{') {
                unsigned long hi = 0;
                char *end;
                for (const char *b = q + 1; *b && *b != '}'; b++)
                    if (*b >= '0' && *b <= '9') {
                        unsigned long v = strtoul(b, &end, 10);
                        hi = v > hi ? v : hi;
                        b = end - 1;
                    }
                if (hi > 32 || (copies *= hi ? hi : 1) > MENU_REGEX_COPIES)
                    return "repeat counts too large (at most 32 each, 1024 together)";
                q = strchr(q, '}') ? strchr(q, '}') : q + strlen(q) - 1;
            }
            continue;
        }
        quantified = 0;
        if (*q == '[')
            bracket = 1;
    }
    return NULL;
}

static int accept_regex(struct parser *p, struct menu_check *c)
{
    struct menu_graph *g = p->g;
    struct kp_buf pat = KP_BUF_INIT;
    regex_t re;
    int rc;

    if (p->lx.tok != TK_STRING) {
        menu_parse_unexpected(p, "a regular expression in quotes");
        return -1;
    }
    const char *unsafe = regex_unsafe(p->lx.str.data);
    if (unsafe != NULL) {
        menu_parse_error(p, p->lx.loc, "bad regular expression: %s", unsafe);
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
        menu_parse_error(p, p->lx.loc, "bad regular expression: %s", msg);
        return -1;
    }
    c->regex = MENU_PUSH(g, regexes);
    g->regexes[c->regex] = re;
    menu_parse_next(p);
    return 0;
}

static int accept_kind(struct parser *p, struct menu_check *c)
{
    static const struct {
        const char *name;
        enum menu_check_kind kind;
    } kinds[] = {{"digits", MC_DIGITS},
                 {"length", MC_LENGTH},
                 {"regex", MC_REGEX},
                 {"cnic", MC_CNIC},
                 {"msisdn", MC_MSISDN}};
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (menu_lex_is(&p->lx, kinds[i].name))
            break;
    if (i == sizeof(kinds) / sizeof(kinds[0])) {
        menu_parse_unexpected(p, "a check (digits, length, regex, cnic or msisdn)");
        return -1;
    }
    c->kind = kinds[i].kind;
    struct menu_loc at = p->lx.loc;
    menu_parse_next(p);
    if (c->kind == MC_REGEX)
        return accept_regex(p, c);
    if (c->kind != MC_LENGTH)
        return 0;
    if (parse_number(p, &c->min) < 0)
        return -1;
    c->max = c->min;
    if (p->lx.tok == TK_DOTDOT) {
        menu_parse_next(p);
        if (parse_number(p, &c->max) < 0)
            return -1;
    }
    if (c->min < 1 || c->min > c->max || c->max > MENU_INPUT_MAX) {
        menu_parse_error(p, at, "length must be N or N..M with 1 <= N <= M <= %d", MENU_INPUT_MAX);
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
    menu_parse_next(p);
    if (accept_kind(p, &c) < 0)
        return;
    if (menu_lex_is(&p->lx, "else")) {
        menu_parse_next(p);
        c.text = menu_parse_text(p, 1);
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
        menu_parse_error(p, at, "screen '%s' already has a '->'", GSTR(p->g, s->name));
        return;
    }
    s->has_next = 1;
    menu_parse_edge(p, &s->next);
}

static void stmt_on(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    struct menu_screen_def *s = need_screen(p, at, "on", KINDS(MK_ACTION, MK_APP));
    uint32_t k;

    if (s == NULL)
        return;
    menu_parse_next(p);
    if (p->lx.tok != TK_IDENT) {
        menu_parse_unexpected(p, "an outcome name");
        return;
    }
    for (uint32_t i = s->br; i < s->br + s->nbr; i++) {
        const char *key = GSTR(g, g->branches[i].key);
        if (strlen(key) == p->lx.tlen && memcmp(key, p->lx.tp, p->lx.tlen) == 0) {
            menu_parse_error(p, p->lx.loc, "outcome '%s' is handled twice", key);
            return;
        }
    }
    k = MENU_PUSH(g, branches);
    g->screens[p->screen].nbr++;
    g->branches[k].key = menu_pool_add(g, p->lx.tp, p->lx.tlen);
    g->branches[k].loc = at;
    menu_parse_next(p);
    menu_parse_edge(p, &g->branches[k].edge);
}

static int parse_cond(struct parser *p)
{
    struct menu_graph *g = p->g;
    struct menu_cond c;

    memset(&c, 0, sizeof(c));
    c.tpl = MENU_NONE;
    if (menu_lex_is(&p->lx, "set") || menu_lex_is(&p->lx, "unset")) {
        c.kind = menu_lex_is(&p->lx, "set") ? MCOND_SET : MCOND_UNSET;
        menu_parse_next(p);
        if ((c.var = menu_parse_var(p)) == MENU_NONE)
            return -1;
    } else {
        if ((c.var = menu_parse_var(p)) == MENU_NONE)
            return -1;
        if (p->lx.tok != TK_EQ && p->lx.tok != TK_NE) {
            menu_parse_unexpected(p, "'==' or '!='");
            return -1;
        }
        c.kind = p->lx.tok == TK_EQ ? MCOND_EQ : MCOND_NE;
        menu_parse_next(p);
        if ((c.tpl = menu_parse_value(p, 1)) == MENU_NONE)
            return -1;
    }
    uint32_t k = MENU_PUSH(g, conds); /* before indexing: it may move the array */
    g->conds[k] = c;
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
        menu_parse_next(p);
        if (parse_cond(p) < 0)
            return;
        g->branches[k].ncond++;
    } while (menu_lex_is(&p->lx, "and"));
    menu_parse_edge(p, &g->branches[k].edge);
}

static void stmt_else(struct parser *p, struct menu_loc at)
{
    struct menu_screen_def *s = need_screen(p, at, "else", KINDS(MK_ACTION, MK_ROUTER, MK_APP));

    if (s == NULL)
        return;
    if (s->has_else) {
        menu_parse_error(p, at, "screen '%s' already has an 'else'", GSTR(p->g, s->name));
        return;
    }
    s->has_else = 1;
    menu_parse_next(p);
    menu_parse_edge(p, &s->other);
}

static void stmt_system(struct parser *p, struct menu_loc at)
{
    struct menu_graph *g = p->g;
    int k = -1;

    menu_parse_next(p);
    for (int i = 0; i < MS__COUNT; i++)
        if (menu_lex_is(&p->lx, menu_sys_name((enum menu_sys)i)))
            k = i;
    if (k < 0) {
        menu_parse_unexpected(
            p, "a system text name (more, back, home, invalid, invalid_input, resume, "
               "continue, restart, expired, error or no_service)");
        return;
    }
    if (g->sys[k] != MENU_NONE) {
        struct menu_loc o = p->cc->sys_loc[k];
        menu_parse_error(p, at, "system text '%s' is already defined at %s:%u",
                         menu_sys_name((enum menu_sys)k), p->cc->src[o.file].name, o.line);
        return;
    }
    p->cc->sys_loc[k] = at;
    menu_parse_next(p);
    g->sys[k] = menu_parse_text(p, 0);
}

static void stmt_home(struct parser *p, struct menu_loc at)
{
    if (p->cc->home_name != MENU_NONE) {
        struct menu_loc o = p->cc->home_loc;
        menu_parse_error(p, at, "'home' is already given at %s:%u", p->cc->src[o.file].name,
                         o.line);
        return;
    }
    menu_parse_next(p);
    if (p->lx.tok != TK_IDENT || !menu_name_valid(p->lx.tp, p->lx.tlen)) {
        menu_parse_unexpected(p, "a screen name");
        return;
    }
    p->cc->home_name = menu_pool_add(p->g, p->lx.tp, p->lx.tlen);
    p->cc->home_loc = p->lx.loc;
    menu_parse_next(p);
}

static void statement(struct parser *p)
{
    struct menu_loc at = p->lx.loc;

    if (p->lx.tok == TK_ARROW) {
        stmt_next(p, at);
        return;
    }
    if (p->lx.tok != TK_IDENT) {
        menu_parse_unexpected(p, "a statement");
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
    else if (menu_lex_is(&p->lx, "header"))
        stmt_header(p, at);
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
        menu_parse_error(p, at, "unknown statement '%.*s'", (int)p->lx.tlen, p->lx.tp);
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
    menu_parse_next(&p);
    while (p.lx.tok != TK_EOF) {
        p.failed = p.lx.tok == TK_ERROR;
        if (p.lx.tok == TK_NL) {
            menu_parse_next(&p);
            continue;
        }
        if (!p.failed)
            statement(&p);
        if (!p.failed && p.lx.tok != TK_NL && p.lx.tok != TK_EOF)
            menu_parse_unexpected(&p, "the end of the line");
        while (p.lx.tok != TK_NL && p.lx.tok != TK_EOF)
            menu_lex_next(&p.lx);
    }
    menu_lex_free(&p.lx);
    return cc->errors - before;
}
