/* SPDX-License-Identifier: ISC */
/*
 * The citizens registry's field rules, without SQL: status names, the
 * checks on names and district codes (store_citizen_check) and the mask
 * built from the last 4 digits.  Pure: no database, no keys.
 */
#include <stdint.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/citizen.h"

static const char *const citizen_status_names[] = {
    [STORE_CITIZEN_ACTIVE] = "active",
    [STORE_CITIZEN_BLOCKED] = "blocked",
    [STORE_CITIZEN_DECEASED] = "deceased",
};

const char *store_citizen_status_name(enum store_citizen_status status)
{
    if ((unsigned)status >= KP_ARRAY_LEN(citizen_status_names))
        return "unknown";
    return citizen_status_names[status];
}

int store_citizen_status_parse(const char *name)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(citizen_status_names); i++)
        if (strcmp(name, citizen_status_names[i]) == 0)
            return (int)i;
    return -KP_ERR_INVAL;
}

/*
 * Decode one UTF-8 sequence (RFC 3629 §3: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  Returns its length, or 0 when
 * invalid.
 */
static size_t citizen_utf8(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n;
    uint32_t v;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        v = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        v = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        v = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* 3GPP TS 23.038 §6.2.1: printable ASCII in the GSM 7-bit basic set
   (no [ \ ] ^ ` { | } ~, which are absent or need the escape table). */
static int citizen_gsm_ascii(uint32_t c)
{
    return c >= 0x20 && c < 0x7f && strchr("[\\]^`{|}~", (int)c) == NULL;
}

/* Arabic script blocks (Unicode 15: Arabic, Supplement, Extended-A,
   Presentation Forms-A and -B). */
static int citizen_arabic(uint32_t c)
{
    return (c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) ||
           (c >= 0x08A0 && c <= 0x08FF) || (c >= 0xFB50 && c <= 0xFDFF) ||
           (c >= 0xFE70 && c <= 0xFEFF);
}

/* Format controls inside those blocks are not letters of a name: the
   number signs U+0600-0605, ALM U+061C, end of ayah U+06DD and U+08E2,
   and the byte order mark U+FEFF. */
static int citizen_format_char(uint32_t c)
{
    return (c >= 0x0600 && c <= 0x0605) || c == 0x061C || c == 0x06DD || c == 0x08E2 || c == 0xFEFF;
}

static int citizen_urdu_char(uint32_t c)
{
    return (citizen_arabic(c) && !citizen_format_char(c)) || c == ' ' || c == '.' || c == '\'' ||
           c == '-' || c == 0x200C || c == 0x200D;
}

static int citizen_fail(const char **why, const char *text)
{
    *why = text;
    return -KP_ERR_INVAL;
}

/* Check one name; english selects the rule and the field named in *why. */
static int citizen_name_check(const char *name, int english, const char **why)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t chars = 0, i = 0, len = strlen(name);
    int arabic = 0;

    if (len == 0)
        return citizen_fail(why, english ? "name_en: empty" : "name_ur: empty");
    if (s[0] == ' ' || s[len - 1] == ' ' || strstr(name, "  ") != NULL)
        return citizen_fail(why, english ? "name_en: leading, trailing or double space"
                                         : "name_ur: leading, trailing or double space");
    while (i < len) {
        uint32_t c;
        size_t n = citizen_utf8(s + i, &c);
        if (n == 0)
            return citizen_fail(why,
                                english ? "name_en: not valid UTF-8" : "name_ur: not valid UTF-8");
        if (english && !citizen_gsm_ascii(c))
            return citizen_fail(why,
                                "name_en: only letters, digits, spaces and GSM 7-bit punctuation");
        if (!english && !citizen_urdu_char(c))
            return citizen_fail(why, "name_ur: Urdu names are written in Arabic script");
        arabic |= citizen_arabic(c);
        i += n;
        chars++;
    }
    if (chars > STORE_CITIZEN_NAME_CHARS || len >= STORE_CITIZEN_NAME_SIZE)
        return citizen_fail(why, english ? "name_en: longer than 64 characters"
                                         : "name_ur: longer than 64 characters");
    if (!english && !arabic)
        return citizen_fail(why, "name_ur: Urdu names are written in Arabic script");
    return 0;
}

static int citizen_district_check(const char *d)
{
    size_t len = strlen(d);

    if (len < 2 || len > STORE_CITIZEN_DISTRICT_SIZE - 1)
        return -KP_ERR_INVAL;
    for (size_t i = 0; i < len; i++)
        if (!((d[i] >= 'A' && d[i] <= 'Z') || (d[i] >= '0' && d[i] <= '9')))
            return -KP_ERR_INVAL;
    return 0;
}

int store_citizen_check(const struct store_citizen *c, const char **why)
{
    const char *ignored;
    int rc;

    if (why == NULL)
        why = &ignored;
    /* The buffers must hold a NUL: never read past them. */
    if (memchr(c->name_en, '\0', sizeof(c->name_en)) == NULL ||
        memchr(c->name_ur, '\0', sizeof(c->name_ur)) == NULL ||
        memchr(c->district, '\0', sizeof(c->district)) == NULL)
        return citizen_fail(why, "a field is not terminated");
    if ((rc = citizen_name_check(c->name_en, 1, why)) < 0 ||
        (rc = citizen_name_check(c->name_ur, 0, why)) < 0)
        return rc;
    if (citizen_district_check(c->district) < 0)
        return citizen_fail(why, "district: a code of 2 to 8 capital letters and digits");
    if ((unsigned)c->status >= KP_ARRAY_LEN(citizen_status_names))
        return citizen_fail(why, "status: active, blocked or deceased");
    *why = NULL;
    return 0;
}

void store_citizen_mask(const struct store_citizen *c, char out[CNIC_TEXT_SIZE])
{
    /* "*****-****" + digits 10-12 + "-" + digit 13, as cnic_mask() writes it. */
    memcpy(out, "*****-****", 10);
    memcpy(out + 10, c->last4, 3);
    out[13] = '-';
    out[14] = c->last4[3];
    out[15] = '\0';
}
