/* SPDX-License-Identifier: ISC */
/*
 * The menu language's tokens (kpass-menu(5) "LEXICAL STRUCTURE"): words,
 * numbers, double-quoted strings with \" \\ \n escapes, -> ( ) , = == != ..
 * and newlines, with # comments.  A line whose first word is a language
 * tag followed by a string (`ur "..."`, `ur-Latn "..."`) continues the
 * previous line, so a translation can sit under the text it translates.
 * A word may hold a '-' before a letter, for such tags; names refuse it.  Columns count
 * characters, not bytes, so carets line up under Urdu text too.
 */
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

void menu_lex_init(struct menu_lexer *lx, struct menu_cc *cc, uint32_t file)
{
    memset(lx, 0, sizeof(*lx));
    lx->cc = cc;
    lx->file = file;
    lx->start = lx->p = cc->src[file].text;
    lx->end = lx->p + cc->src[file].len;
    lx->line = 1;
    lx->col = 1;
}

void menu_lex_free(struct menu_lexer *lx)
{
    kp_buf_free(&lx->str);
}

const char *menu_tok_name(enum menu_tok t)
{
    static const char *const names[] = {
        [TK_EOF] = "end of file", [TK_NL] = "end of line", [TK_IDENT] = "word",
        [TK_NUMBER] = "number",   [TK_STRING] = "string",  [TK_ARROW] = "'->'",
        [TK_LPAREN] = "'('",      [TK_RPAREN] = "')'",     [TK_COMMA] = "','",
        [TK_ASSIGN] = "'='",      [TK_EQ] = "'=='",        [TK_NE] = "'!='",
        [TK_DOTDOT] = "'..'",     [TK_ERROR] = "error",
    };
    return names[t];
}

int menu_lex_is(const struct menu_lexer *lx, const char *word)
{
    size_t n = strlen(word);

    return lx->tok == TK_IDENT && lx->tlen == n && memcmp(lx->tp, word, n) == 0;
}

static struct menu_loc lex_here(const struct menu_lexer *lx)
{
    struct menu_loc l = {lx->file, lx->line, lx->col};
    return l;
}

/* Move over n bytes within one line, counting characters for the column. */
static void lex_skip(struct menu_lexer *lx, size_t n)
{
    for (size_t i = 0; i < n; i++, lx->p++)
        if (((uint8_t)*lx->p & 0xc0) != 0x80)
            lx->col++;
}

static int is_word_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_word(char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9') || c == '.';
}

/* Does the word go on at p?  "ur-Latn" is one word, "a->b" is not. */
static int lex_word_goes_on(const char *p, const char *end)
{
    if (*p == '-')
        return end - p > 1 && is_word_start(p[1]);
    return is_word(*p);
}

/*
 * After a newline at p: does the next line start with a language tag and a
 * string (a continuation line)?
 */
static int lex_continues(const char *p, const char *end)
{
    char tag[MENU_LANG_NAME_MAX + 1];
    size_t n = 0;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (p < end && n < sizeof(tag) - 1 && (is_word_start(*p) || *p == '-'))
        tag[n++] = *p++;
    tag[n] = '\0';
    if (p >= end || (*p != ' ' && *p != '\t') || menu_lang_parse(tag) < 0)
        return 0;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p < end && *p == '"';
}

static void lex_newline(struct menu_lexer *lx)
{
    lx->p++;
    lx->line++;
    lx->col = 1;
}

/* A string: decode into lx->str.  Returns 0 or -1 after reporting. */
static int lex_string(struct menu_lexer *lx)
{
    kp_buf_reset(&lx->str);
    lex_skip(lx, 1);
    lx->str_col = lx->col;
    while (lx->p < lx->end && *lx->p != '"') {
        char c = *lx->p;
        if (c == '\n' || c == '\r') {
            menu_diag(lx->cc, lx->loc, "unterminated string");
            return -1;
        }
        if (c == '\\') {
            struct menu_loc at = lex_here(lx);
            char e = lx->p + 1 < lx->end ? lx->p[1] : '\0';
            if (e == 'n')
                kp_buf_putc(&lx->str, '\n');
            else if (e == '"' || e == '\\')
                kp_buf_putc(&lx->str, e);
            else {
                menu_diag(lx->cc, at, "unknown escape in string (use \\n, \\\" or \\\\)");
                lex_skip(lx, 1);
                continue;
            }
            lex_skip(lx, 2);
            continue;
        }
        if ((uint8_t)c < 0x20 && c != '\t') {
            menu_diag(lx->cc, lex_here(lx), "control character in string");
            lex_skip(lx, 1);
            continue;
        }
        kp_buf_putc(&lx->str, c);
        lex_skip(lx, 1);
    }
    if (lx->p >= lx->end) {
        menu_diag(lx->cc, lx->loc, "unterminated string");
        return -1;
    }
    lex_skip(lx, 1);
    kp_buf_append(&lx->str, "", 0); /* allocated and NUL-terminated */
    if (text_utf8_valid(lx->str.data, lx->str.len) < 0) {
        menu_diag(lx->cc, lx->loc, "invalid UTF-8 in string");
        return -1;
    }
    return 0;
}

/* Skip blanks, comments and continuation newlines; true at a real newline/EOF. */
static void lex_blank(struct menu_lexer *lx)
{
    for (;;) {
        while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
            lex_skip(lx, 1);
        if (lx->p < lx->end && *lx->p == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                lx->p++;
        }
        if (lx->p < lx->end && *lx->p == '\n' && lex_continues(lx->p + 1, lx->end)) {
            lex_newline(lx);
            continue;
        }
        return;
    }
}

static int lex_punct(struct menu_lexer *lx)
{
    static const struct {
        const char *s;
        enum menu_tok t;
    } punct[] = {
        {"->", TK_ARROW}, {"==", TK_EQ},    {"!=", TK_NE},   {"..", TK_DOTDOT},
        {"(", TK_LPAREN}, {")", TK_RPAREN}, {",", TK_COMMA}, {"=", TK_ASSIGN},
    };

    for (size_t i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
        size_t n = strlen(punct[i].s);
        if ((size_t)(lx->end - lx->p) >= n && memcmp(lx->p, punct[i].s, n) == 0) {
            lx->tok = punct[i].t;
            lex_skip(lx, n);
            return 1;
        }
    }
    return 0;
}

void menu_lex_next(struct menu_lexer *lx)
{
    uint32_t cp;

    lex_blank(lx);
    lx->loc = lex_here(lx);
    lx->tp = lx->p;
    lx->tlen = 0;
    if (lx->p >= lx->end) {
        lx->tok = TK_EOF;
        return;
    }
    char c = *lx->p;
    if (c == '\n') {
        lx->tok = TK_NL;
        lex_newline(lx);
        return;
    }
    if (is_word_start(c) || (c >= '0' && c <= '9')) {
        int number = !is_word_start(c);
        while (lx->p < lx->end &&
               (number ? (*lx->p >= '0' && *lx->p <= '9') : lex_word_goes_on(lx->p, lx->end)))
            lex_skip(lx, 1);
        lx->tok = number ? TK_NUMBER : TK_IDENT;
        lx->tlen = (size_t)(lx->p - lx->tp);
        return;
    }
    if (c == '"') {
        lx->tok = lex_string(lx) == 0 ? TK_STRING : TK_ERROR;
        return;
    }
    if (lex_punct(lx))
        return;
    int n = text_utf8_next(lx->p, (size_t)(lx->end - lx->p), &cp);
    if (n < 0) {
        menu_diag(lx->cc, lx->loc, "invalid UTF-8");
        lx->p++;
    } else {
        menu_diag(lx->cc, lx->loc, "unexpected character '%.*s'", n, lx->p);
        lex_skip(lx, (size_t)n);
    }
    lx->tok = TK_ERROR;
}
