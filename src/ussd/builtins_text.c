/* SPDX-License-Identifier: ISC */
/*
 * The directory's fixed-form values in the dialog's language: fees,
 * processing times, opening hours, yes/no and a citizen's status.  The
 * seed keeps them in their checked English forms ("Free", "Rs 500",
 * "10 days", "Mon-Fri 09:00-16:00"); each form has one rendering per
 * language here, so that no screen shows an English word in an Urdu,
 * Pashto or Roman Urdu dialog.  A value that is not in a known form is
 * shown as stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins_internal.h"
#include "kpass/core/mem.h"

/* One word or phrase in en, ur, ps, ur-Latn (enum store_dir_lang order). */
struct bi_word {
    const char *v[STORE_DIR_LANGS];
};

static const struct bi_word bi_free = {{"Free", "مفت", "وړیا", "Muft"}};
static const struct bi_word bi_varies = {{"Varies", "مختلف", "بېلابېل", "Mukhtalif"}};
static const struct bi_word bi_rupees = {{"Rs %s", "%s روپے", "%s روپۍ", "Rs %s"}};
static const struct bi_word bi_same_day = {{"Same day", "اسی دن", "په همغه ورځ", "Usi din"}};
static const struct bi_word bi_hours = {{"%s hours", "%s گھنٹے", "%s ساعته", "%s ghante"}};
static const struct bi_word bi_days = {{"%s days", "%s دن", "%s ورځې", "%s din"}};
static const struct bi_word bi_weeks = {{"%s weeks", "%s ہفتے", "%s اونۍ", "%s haftay"}};
static const struct bi_word bi_yes = {{"yes", "ہاں", "هو", "haan"}};
static const struct bi_word bi_no = {{"no", "نہیں", "نه", "nahin"}};

static const struct {
    const char *en;
    struct bi_word w;
} bi_days_of[] = {
    {"Mon-Fri", {{"Mon-Fri", "پیر تا جمعہ", "دوشنبې تر جمعې", "Peer se Juma"}}},
    {"Mon-Sat", {{"Mon-Sat", "پیر تا ہفتہ", "دوشنبې تر شنبې", "Peer se Hafta"}}},
    {"Daily", {{"Daily", "روزانہ", "هره ورځ", "Rozana"}}},
};

static const struct {
    const char *en;
    struct bi_word w;
} bi_statuses[] = {
    {"active", {{"active", "فعال", "فعال", "faal"}}},
    {"blocked", {{"blocked", "بند", "بند", "band"}}},
    {"deceased", {{"deceased", "وفات شدہ", "مړ شوی", "wafat shuda"}}},
};

/* The seven divisions of Khyber Pakhtunkhwa (etc/seed/README.md: nothing
   else is accepted), in north-to-south order as the district file lists
   them. */
static const struct {
    const char *en;
    struct bi_word w;
} bi_divisions[] = {
    {"Peshawar", {{"Peshawar", "پشاور", "پېښور", "Peshawar"}}},
    {"Mardan", {{"Mardan", "مردان", "مردان", "Mardan"}}},
    {"Malakand", {{"Malakand", "مالاکنڈ", "ملاکنډ", "Malakand"}}},
    {"Hazara", {{"Hazara", "ہزارہ", "هزاره", "Hazara"}}},
    {"Kohat", {{"Kohat", "کوہاٹ", "کوهاټ", "Kohat"}}},
    {"Bannu", {{"Bannu", "بنوں", "بنو", "Bannu"}}},
    {"Dera Ismail Khan", {{"D.I. Khan", "ڈی آئی خان", "ډي آی خان", "D.I. Khan"}}},
};

static const char *bi_word(const struct bi_word *w, enum store_dir_lang lang)
{
    return w->v[(unsigned)lang < STORE_DIR_LANGS ? lang : STORE_DIR_EN];
}

/* The pattern of w with one number in it. */
static void bi_number(char *out, size_t size, const struct bi_word *w, enum store_dir_lang lang,
                      const char *num)
{
    const char *pat = bi_word(w, lang), *at = strstr(pat, "%s");

    snprintf(out, size, "%.*s%s%s", (int)(at - pat), pat, num, at + 2);
}

void bi_fee_text(const char *fee, enum store_dir_lang lang, char *out, size_t size)
{
    if (strcmp(fee, "Free") == 0)
        snprintf(out, size, "%s", bi_word(&bi_free, lang));
    else if (strcmp(fee, "Varies") == 0)
        snprintf(out, size, "%s", bi_word(&bi_varies, lang));
    else if (strncmp(fee, "Rs ", 3) == 0)
        bi_number(out, size, &bi_rupees, lang, fee + 3);
    else
        snprintf(out, size, "%s", fee);
}

void bi_time_text(const char *t, enum store_dir_lang lang, char *out, size_t size)
{
    const char *sp = strchr(t, ' ');
    char num[8];

    if (strcmp(t, "Same day") == 0) {
        snprintf(out, size, "%s", bi_word(&bi_same_day, lang));
        return;
    }
    if (strcmp(t, "Varies") == 0) {
        snprintf(out, size, "%s", bi_word(&bi_varies, lang));
        return;
    }
    const struct bi_word *unit = NULL;

    if (sp && sp - t < (long)sizeof(num)) {
        snprintf(num, sizeof(num), "%.*s", (int)(sp - t), t);
        unit = strcmp(sp + 1, "hours") == 0   ? &bi_hours
               : strcmp(sp + 1, "days") == 0  ? &bi_days
               : strcmp(sp + 1, "weeks") == 0 ? &bi_weeks
                                              : NULL;
    }
    if (unit)
        bi_number(out, size, unit, lang, num);
    else
        snprintf(out, size, "%s", t);
}

void bi_hours_text(const char *h, enum store_dir_lang lang, char *out, size_t size)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(bi_days_of); i++) {
        size_t n = strlen(bi_days_of[i].en);
        if (strncmp(h, bi_days_of[i].en, n) == 0 && h[n] == ' ') {
            snprintf(out, size, "%s%s", bi_word(&bi_days_of[i].w, lang), h + n);
            return;
        }
    }
    snprintf(out, size, "%s", h);
}

const char *bi_yes_no(int yes, enum store_dir_lang lang)
{
    return bi_word(yes ? &bi_yes : &bi_no, lang);
}

const char *bi_status_text(const char *status, enum store_dir_lang lang)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(bi_statuses); i++)
        if (strcmp(status, bi_statuses[i].en) == 0)
            return bi_word(&bi_statuses[i].w, lang);
    return status;
}

size_t bi_division_count(void)
{
    return KP_ARRAY_LEN(bi_divisions);
}

const char *bi_division(size_t i, enum store_dir_lang lang, const char **label)
{
    if (i >= KP_ARRAY_LEN(bi_divisions))
        return NULL;
    *label = bi_word(&bi_divisions[i].w, lang);
    return bi_divisions[i].en;
}

const char *bi_division_label(const char *division, enum store_dir_lang lang)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(bi_divisions); i++)
        if (strcmp(bi_divisions[i].en, division) == 0)
            return bi_word(&bi_divisions[i].w, lang);
    return division;
}
