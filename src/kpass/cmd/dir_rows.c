/* SPDX-License-Identifier: ISC */
/*
 * The rules of the directory files (etc/seed/README.md), one row at a
 * time.  They are the same rules tests/seed_check.py applies, minus the
 * ones that only hold for the shipped sample (sample phone numbers, row
 * counts) and the finer Urdu/Pashto spelling checks (Arabic kaf or yeh in
 * Urdu, Urdu letters in Pashto), which stay the checker's job: here a name
 * in Urdu or Pashto must be Arabic script without Latin letters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dir_rows.h"
#include "kpass/core/mem.h"

const char *const dir_department_columns[DIR_DEPARTMENT_COLUMNS] = {"code", "name_en", "name_ur",
                                                                    "name_ps"};
const char *const dir_district_columns[DIR_DISTRICT_COLUMNS] = {"code", "name_en", "name_ur",
                                                                "name_ps", "division"};
const char *const dir_service_columns[DIR_SERVICE_COLUMNS] = {
    "code",           "department",     "name_en", "name_ur",   "name_ps",
    "description_en", "description_ur", "fee",     "documents", "processing_time",
    "where_to_apply", "online",         "ussd"};
const char *const dir_office_columns[DIR_OFFICE_COLUMNS] = {
    "code", "district", "name_en", "name_ur", "address", "hours", "phone", "services"};

const char *const dir_text_columns[DIR_TEXT_COLUMNS] = {"kind", "code", "field", "lang", "text"};
const char *const dir_distance_columns[DIR_DISTANCE_COLUMNS] = {"district", "near", "km"};

static const char *const dir_divisions[] = {"Peshawar", "Mardan", "Malakand",        "Hazara",
                                            "Kohat",    "Bannu",  "Dera Ismail Khan"};

/* 3GPP TS 23.038 §6.2.1: the printable ASCII of the GSM 7-bit basic table.
   [ \ ] ^ { | } ~ are only in the extension table (two septets each, and
   some handsets drop them); ` is not in GSM 7-bit at all. */
static const char dir_gsm_ascii[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789 !\"#$%&'()*+,-./:;<=>?@_";

struct dir_check {
    struct kp_buf *why;
    int n;
};

static void dir_problem(struct dir_check *c, const char *col, const char *fmt, ...) KP_PRINTF(3, 4);

static void dir_problem(struct dir_check *c, const char *col, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kp_buf_printf(c->why, "%s: %s\n", col, msg);
    c->n++;
}

/* v quoted for a message: at most 40 bytes, control characters as '?'. */
static const char *dir_quote(char *buf, size_t cap, const char *v)
{
    size_t n = 0, i;

    buf[n++] = '\'';
    for (i = 0; v[i] && i < 40 && n + 5 < cap; i++)
        buf[n++] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
    if (v[i]) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '\'';
    buf[n] = '\0';
    return buf;
}

#define Q(v) dir_quote((char[64]){0}, 64, (v))

/* The code point at s[*i] (advancing *i), or -1 for bytes that are not UTF-8. */
static long dir_utf8_next(const unsigned char *s, size_t *i)
{
    unsigned c = s[*i];
    long cp;
    int need;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf)
        need = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        need = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 3, cp = c & 0x07;
    else
        return -1;
    for (int k = 1; k <= need; k++) {
        if ((s[*i + k] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[*i + k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *i += (size_t)need + 1;
    return cp;
}

static int dir_bidi_control(long cp)
{
    return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* Rules for every text: UTF-8, no control or bidi-control characters, no
   leading, trailing or double spaces.  Returns the length in characters. */
static size_t dir_check_text(struct dir_check *c, const char *col, const char *v)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t i = 0, chars = 0, len = strlen(v);
    int flagged = 0;

    while (s[i]) {
        long cp = dir_utf8_next(s, &i);
        if (cp < 0) {
            dir_problem(c, col, "not valid UTF-8");
            return len;
        }
        chars++;
        if (flagged)
            continue;
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            dir_problem(c, col, "control character U+%04lX", cp);
            flagged = 1;
        } else if (dir_bidi_control(cp)) {
            dir_problem(c, col, "bidi control U+%04lX", cp);
            flagged = 1;
        }
    }
    if (len && (v[0] == ' ' || v[len - 1] == ' '))
        dir_problem(c, col, "leading or trailing space");
    if (strstr(v, "  "))
        dir_problem(c, col, "double space");
    return chars;
}

static void dir_check_english(struct dir_check *c, const char *col, const char *v, size_t max)
{
    size_t chars = dir_check_text(c, col, v);

    if (*v == '\0') {
        dir_problem(c, col, "empty");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p >= 0x80 || strchr(dir_gsm_ascii, *p) == NULL) {
            size_t i = (size_t)(p - (const unsigned char *)v);
            long cp = dir_utf8_next((const unsigned char *)v, &i);
            dir_problem(c, col, "not GSM 7-bit basic ASCII: U+%04lX", cp < 0 ? 0xfffdL : cp);
            break;
        }
    }
    if (chars > max)
        dir_problem(c, col, "%zu characters, longer than %zu", chars, max);
}

static int dir_arabic_letter(long cp)
{
    /* Arabic, Arabic Supplement and the presentation forms, less digits and
       the Arabic comma, semicolon, question mark and full stop. */
    if ((cp >= 0x0660 && cp <= 0x0669) || (cp >= 0x06f0 && cp <= 0x06f9) || cp == 0x060c ||
        cp == 0x061b || cp == 0x061f || cp == 0x06d4)
        return 0;
    return (cp >= 0x0600 && cp <= 0x06ff) || (cp >= 0x0750 && cp <= 0x077f) ||
           (cp >= 0xfb50 && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfeff);
}

/* Urdu or Pashto: Arabic script, no Latin letters, at most max characters. */
static void dir_check_arabic(struct dir_check *c, const char *col, const char *v, size_t max,
                             int required, const char *lang)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t chars = dir_check_text(c, col, v), i = 0, letters = 0;

    if (*v == '\0') {
        if (required)
            dir_problem(c, col, "empty (%s names are required)", lang);
        return;
    }
    while (s[i]) {
        long cp = dir_utf8_next(s, &i);
        if (cp < 0)
            return; /* reported by dir_check_text */
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) {
            dir_problem(c, col, "Latin letter '%c' in %s text", (char)cp, lang);
            return;
        }
        letters += dir_arabic_letter(cp);
    }
    if (letters == 0)
        dir_problem(c, col, "no Arabic-script letters in %s text", lang);
    if (chars > max)
        dir_problem(c, col, "%zu characters, longer than %zu", chars, max);
}

static int dir_code_ok(const char *v)
{
    size_t n = strlen(v);

    if (n < STORE_DIR_CODE_MIN || n > STORE_DIR_CODE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9')))
            return 0;
    return 1;
}

static void dir_check_code(struct dir_check *c, const char *v, char *out)
{
    if (!dir_code_ok(v)) {
        dir_problem(c, "code", "%s is not 2-8 of A-Z and 0-9", Q(v));
        out[0] = '\0';
        return;
    }
    memcpy(out, v, strlen(v) + 1);
}

/* A reference to another row: kind must hold code. */
static void dir_check_ref(struct dir_check *c, const struct dir_refs *refs, const char *col,
                          enum store_dir_kind kind, const char *what, const char *v, char *out)
{
    int rc = dir_code_ok(v) ? refs->exists(refs->ctx, kind, v) : 0;

    out[0] = '\0';
    if (rc < 0)
        dir_problem(c, col, "cannot look up %s %s", what, Q(v));
    else if (rc == 0)
        dir_problem(c, col, "unknown %s %s", what, Q(v));
    else
        memcpy(out, v, strlen(v) + 1);
}

static void dir_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

/* Digits at s[0..n), all of them, as a number; -1 otherwise. */
static long dir_digits(const char *s, size_t n)
{
    long v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return n ? v : -1;
}

/* "Free", "Varies" or "Rs N" with N from 1 to 9,999,999 (no leading zero). */
static int dir_fee_ok(const char *v)
{
    size_t n = strlen(v);

    if (strcmp(v, "Free") == 0 || strcmp(v, "Varies") == 0)
        return 1;
    return n >= 4 && n <= 10 && strncmp(v, "Rs ", 3) == 0 && v[3] != '0' &&
           dir_digits(v + 3, n - 3) > 0;
}

/* "Same day", "Varies" or "N hours|days|weeks" with N from 1 to 99. */
static int dir_time_ok(const char *v)
{
    const char *sp = strchr(v, ' ');

    if (strcmp(v, "Same day") == 0 || strcmp(v, "Varies") == 0)
        return 1;
    if (sp == NULL || sp == v || sp - v > 2 || v[0] == '0' || dir_digits(v, (size_t)(sp - v)) < 1)
        return 0;
    return strcmp(sp + 1, "hours") == 0 || strcmp(sp + 1, "days") == 0 ||
           strcmp(sp + 1, "weeks") == 0;
}

/* "HH:MM" -> minutes, or -1. */
static int dir_clock(const char *s)
{
    long h = dir_digits(s, 2), m = dir_digits(s + 3, 2);

    if (s[2] != ':' || h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    return (int)(h * 60 + m);
}

static void dir_check_hours(struct dir_check *c, const char *v)
{
    static const char *const days[] = {"Mon-Fri ", "Mon-Sat ", "Daily "};
    const char *t = NULL;
    int open = -1, close = -1;

    for (size_t i = 0; i < KP_ARRAY_LEN(days) && t == NULL; i++)
        if (strncmp(v, days[i], strlen(days[i])) == 0)
            t = v + strlen(days[i]);
    if (t && strlen(t) == 11 && t[5] == '-') {
        open = dir_clock(t);
        close = dir_clock(t + 6);
    }
    if (open < 0 || close < 0)
        dir_problem(c, "hours", "%s is not like 'Mon-Fri 09:00-16:00'", Q(v));
    else if (open >= close)
        dir_problem(c, "hours", "%s closes before it opens", Q(v));
}

/* A Pakistani landline: 0, area code, '-', number; 10 digits in all. */
static void dir_check_phone(struct dir_check *c, const char *v)
{
    const char *dash = strchr(v, '-');
    size_t area = dash ? (size_t)(dash - v) : 0, rest = dash ? strlen(dash + 1) : 0;

    if (!dash || area < 3 || area > 4 || v[0] != '0' || v[1] == '0' || area + rest != 10 ||
        rest < 6 || dir_digits(v, area) < 0 || dir_digits(dash + 1, rest) < 0)
        dir_problem(c, "phone", "%s is not like 091-9210000 (area code, 10 digits in all)", Q(v));
}

static void dir_check_flag(struct dir_check *c, const char *col, const char *v, int *out)
{
    *out = strcmp(v, "yes") == 0;
    if (!*out && strcmp(v, "no") != 0)
        dir_problem(c, col, "%s must be yes or no", Q(v));
}

static void dir_check_documents(struct dir_check *c, const char *v)
{
    dir_check_english(c, "documents", v, STORE_DIR_DOCUMENTS_MAX);
    /* Items separated by exactly "; ", none empty. */
    for (const char *p = v; *p; p++) {
        if (*p == ';' && (p[1] != ' ' || p[2] == '\0' || p[2] == ';' || p == v)) {
            dir_problem(c, "documents", "list items must be separated by '; '");
            return;
        }
    }
}

int dir_row_department(const char *const *f, struct store_dir_department *out, struct kp_buf *why)
{
    struct dir_check c = {why, 0};

    memset(out, 0, sizeof(*out));
    dir_check_code(&c, f[0], out->code);
    dir_check_english(&c, "name_en", f[1], STORE_DIR_DEPARTMENT_NAME_MAX);
    dir_check_arabic(&c, "name_ur", f[2], STORE_DIR_NAME_MAX, 1, "Urdu");
    dir_check_arabic(&c, "name_ps", f[3], STORE_DIR_NAME_MAX, 0, "Pashto");
    dir_copy(out->name.en, sizeof(out->name.en), f[1]);
    dir_copy(out->name.ur, sizeof(out->name.ur), f[2]);
    dir_copy(out->name.ps, sizeof(out->name.ps), f[3]);
    return c.n;
}

int dir_row_district(const char *const *f, struct store_dir_district *out, struct kp_buf *why)
{
    struct dir_check c = {why, 0};
    size_t i;

    memset(out, 0, sizeof(*out));
    dir_check_code(&c, f[0], out->code);
    dir_check_english(&c, "name_en", f[1], STORE_DIR_DISTRICT_NAME_MAX);
    dir_check_arabic(&c, "name_ur", f[2], STORE_DIR_NAME_MAX, 1, "Urdu");
    dir_check_arabic(&c, "name_ps", f[3], STORE_DIR_NAME_MAX, 0, "Pashto");
    for (i = 0; i < KP_ARRAY_LEN(dir_divisions); i++)
        if (strcmp(f[4], dir_divisions[i]) == 0)
            break;
    if (i == KP_ARRAY_LEN(dir_divisions))
        dir_problem(&c, "division", "%s is not a KP division", Q(f[4]));
    dir_copy(out->name.en, sizeof(out->name.en), f[1]);
    dir_copy(out->name.ur, sizeof(out->name.ur), f[2]);
    dir_copy(out->name.ps, sizeof(out->name.ps), f[3]);
    dir_copy(out->division, sizeof(out->division), f[4]);
    return c.n;
}

int dir_row_service(const char *const *f, const struct dir_refs *refs,
                    struct store_dir_service *out, struct kp_buf *why)
{
    struct dir_check c = {why, 0};

    memset(out, 0, sizeof(*out));
    dir_check_code(&c, f[0], out->code);
    dir_check_ref(&c, refs, "department", STORE_DIR_DEPARTMENT, "department", f[1],
                  out->department);
    dir_check_english(&c, "name_en", f[2], STORE_DIR_SERVICE_NAME_MAX);
    dir_check_arabic(&c, "name_ur", f[3], STORE_DIR_NAME_MAX, 1, "Urdu");
    dir_check_arabic(&c, "name_ps", f[4], STORE_DIR_NAME_MAX, 0, "Pashto");
    dir_check_english(&c, "description_en", f[5], STORE_DIR_DESC_MAX);
    dir_check_arabic(&c, "description_ur", f[6], STORE_DIR_DESC_MAX, 0, "Urdu");
    if (!dir_fee_ok(f[7]))
        dir_problem(&c, "fee", "%s is not Free, Varies or Rs N", Q(f[7]));
    dir_check_documents(&c, f[8]);
    if (!dir_time_ok(f[9]))
        dir_problem(&c, "processing_time", "%s is not 'Same day', 'Varies' or 'N hours/days/weeks'",
                    Q(f[9]));
    dir_check_english(&c, "where_to_apply", f[10], STORE_DIR_WHERE_MAX);
    dir_check_flag(&c, "online", f[11], &out->online);
    dir_check_flag(&c, "ussd", f[12], &out->ussd);
    dir_copy(out->name.en, sizeof(out->name.en), f[2]);
    dir_copy(out->name.ur, sizeof(out->name.ur), f[3]);
    dir_copy(out->name.ps, sizeof(out->name.ps), f[4]);
    dir_copy(out->description.en, sizeof(out->description.en), f[5]);
    dir_copy(out->description.ur, sizeof(out->description.ur), f[6]);
    dir_copy(out->fee, sizeof(out->fee), f[7]);
    dir_copy(out->documents, sizeof(out->documents), f[8]);
    dir_copy(out->processing_time, sizeof(out->processing_time), f[9]);
    dir_copy(out->where_to_apply, sizeof(out->where_to_apply), f[10]);
    return c.n;
}

/* "CODE CODE ...": single spaces, each a known service, none twice. */
static void dir_check_office_services(struct dir_check *c, const struct dir_refs *refs,
                                      const char *v, struct store_dir_office *out)
{
    char code[48];
    int twice = 0;

    if (*v == '\0' || *v == ' ' || v[strlen(v) - 1] == ' ' || strstr(v, "  ")) {
        dir_problem(c, "services", "empty or not single-space separated");
        return;
    }
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, " ");
        dir_copy(code, n < sizeof(code) ? n + 1 : sizeof(code), p);
        p += n + (p[n] == ' ');
        if (out->nservices == STORE_DIR_OFFICE_SERVICES) {
            dir_problem(c, "services", "more than %d services", STORE_DIR_OFFICE_SERVICES);
            return;
        }
        dir_check_ref(c, refs, "services", STORE_DIR_SERVICE, "service", code,
                      out->services[out->nservices]);
        for (unsigned i = 0; i < out->nservices; i++)
            twice |= strcmp(out->services[i], code) == 0;
        out->nservices++;
    }
    if (twice)
        dir_problem(c, "services", "a service is listed twice");
}

int dir_row_office(const char *const *f, const struct dir_refs *refs, struct store_dir_office *out,
                   struct kp_buf *why)
{
    struct dir_check c = {why, 0};

    memset(out, 0, sizeof(*out));
    dir_check_code(&c, f[0], out->code);
    dir_check_ref(&c, refs, "district", STORE_DIR_DISTRICT, "district", f[1], out->district);
    dir_check_english(&c, "name_en", f[2], STORE_DIR_OFFICE_NAME_MAX);
    dir_check_arabic(&c, "name_ur", f[3], STORE_DIR_NAME_MAX, 1, "Urdu");
    dir_check_english(&c, "address", f[4], STORE_DIR_ADDRESS_MAX);
    dir_check_text(&c, "hours", f[5]);
    dir_check_hours(&c, f[5]);
    dir_check_phone(&c, f[6]);
    dir_check_text(&c, "services", f[7]);
    dir_check_office_services(&c, refs, f[7], out);
    dir_copy(out->name.en, sizeof(out->name.en), f[2]);
    dir_copy(out->name.ur, sizeof(out->name.ur), f[3]);
    dir_copy(out->address, sizeof(out->address), f[4]);
    dir_copy(out->hours, sizeof(out->hours), f[5]);
    dir_copy(out->phone, sizeof(out->phone), f[6]);
    return c.n;
}

/* Which fields each kind has translations of: a bit per enum store_dir_field. */
static unsigned dir_text_fields(enum store_dir_kind kind)
{
    switch (kind) {
    case STORE_DIR_SERVICE:
        return 1u << STORE_DIR_F_NAME | 1u << STORE_DIR_F_DESCRIPTION |
               1u << STORE_DIR_F_DOCUMENTS | 1u << STORE_DIR_F_WHERE | 1u << STORE_DIR_F_KEYWORDS;
    case STORE_DIR_OFFICE:
        return 1u << STORE_DIR_F_NAME | 1u << STORE_DIR_F_ADDRESS;
    default:
        return 1u << STORE_DIR_F_NAME;
    }
}

/* The longest text of a field in characters (Roman Urdu as the English
   column's limit where there is one: it is shown in the same 7-bit screen). */
static size_t dir_text_max(enum store_dir_kind kind, enum store_dir_field field, int latin)
{
    switch (field) {
    case STORE_DIR_F_NAME:
        if (!latin)
            return STORE_DIR_NAME_MAX;
        return kind == STORE_DIR_OFFICE    ? STORE_DIR_OFFICE_NAME_MAX
               : kind == STORE_DIR_SERVICE ? STORE_DIR_SERVICE_NAME_MAX + 8
                                           : STORE_DIR_DEPARTMENT_NAME_MAX + 8;
    case STORE_DIR_F_DOCUMENTS:
        return STORE_DIR_DOCUMENTS_MAX + 20;
    case STORE_DIR_F_WHERE:
        return STORE_DIR_WHERE_MAX + 20;
    case STORE_DIR_F_ADDRESS:
        return STORE_DIR_ADDRESS_MAX;
    default:
        return STORE_DIR_DESC_MAX;
    }
}

int dir_row_text(const char *const *f, const struct dir_refs *refs, struct dir_text_row *out,
                 struct kp_buf *why)
{
    struct dir_check c = {why, 0};
    int kind = store_dir_kind_parse(f[0]), field = store_dir_field_parse(f[2]);
    int lang = store_dir_lang_parse(f[3]);
    char ref[STORE_DIR_CODE_SIZE];

    memset(out, 0, sizeof(*out));
    if (kind < 0)
        dir_problem(&c, "kind", "%s is not department, district, service or office", Q(f[0]));
    if (field < 0)
        dir_problem(&c, "field",
                    "%s is not name, description, documents, where, keywords or address", Q(f[2]));
    else if (kind >= 0 && !(dir_text_fields((enum store_dir_kind)kind) & 1u << field))
        dir_problem(&c, "field", "a %s has no %s", f[0], f[2]);
    if (kind >= 0)
        dir_check_ref(&c, refs, "code", (enum store_dir_kind)kind, f[0], f[1], ref);
    if (lang < 0 || (lang == STORE_DIR_EN && field != STORE_DIR_F_KEYWORDS))
        dir_problem(&c, "lang", "%s is not ur, ps or ur-Latn (en: keywords only)", Q(f[3]));
    if (c.n)
        return c.n;
    size_t max = dir_text_max((enum store_dir_kind)kind, (enum store_dir_field)field,
                              lang == STORE_DIR_UL || lang == STORE_DIR_EN);
    if (lang == STORE_DIR_UL || lang == STORE_DIR_EN)
        dir_check_english(&c, "text", f[4], max);
    else
        dir_check_arabic(&c, "text", f[4], max, 1, lang == STORE_DIR_UR ? "Urdu" : "Pashto");
    out->kind = (enum store_dir_kind)kind;
    out->field = (enum store_dir_field)field;
    out->lang = (enum store_dir_lang)lang;
    dir_copy(out->code, sizeof(out->code), ref);
    dir_copy(out->text, sizeof(out->text), f[4]);
    return c.n;
}

int dir_row_distance(const char *const *f, const struct dir_refs *refs,
                     struct dir_distance_row *out, struct kp_buf *why)
{
    struct dir_check c = {why, 0};
    long km = dir_digits(f[2], strlen(f[2]));

    memset(out, 0, sizeof(*out));
    dir_check_ref(&c, refs, "district", STORE_DIR_DISTRICT, "district", f[0], out->district);
    dir_check_ref(&c, refs, "near", STORE_DIR_DISTRICT, "district", f[1], out->near);
    if (c.n == 0 && strcmp(f[0], f[1]) == 0)
        dir_problem(&c, "near", "a district is not near itself");
    if (km < 1 || km > 2000 || f[2][0] == '0')
        dir_problem(&c, "km", "%s is not a whole number of km from 1 to 2000", Q(f[2]));
    out->km = km > 0 ? (unsigned)km : 0;
    return c.n;
}
