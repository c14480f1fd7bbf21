/* SPDX-License-Identifier: ISC */
/*
 * The services directory in the store: departments (the topics citizens
 * browse), districts, services and offices, keyed by their codes (2 to 8
 * of A-Z 0-9, the natural keys of the etc/seed CSV files).  Writers upsert one
 * row at a time (an import wraps them in one transaction); readers are the
 * USSD built-ins and kpass.
 *
 * Texts come in every language at once (struct store_dir_name): the caller
 * picks the dialog's language with store_dir_name_pick(), which falls back
 * to English when a variant is empty (kpass service check lists every such
 * gap, so that a fallback is a known, reported one).  The Urdu and Pashto
 * names of the original files are columns of their rows; every other
 * translation (Pashto where that column is empty, Roman Urdu, descriptions,
 * documents, where to apply, addresses, search keywords) is a row of the
 * translations table (store_dir_text_put, etc/seed/translations.csv), read
 * back into the same structs.  Every result is copied into memory
 * the caller provides; nothing is allocated, so there is nothing to free.
 *
 * Lists are paginated: offset and limit (at most STORE_DIR_PAGE_MAX) in,
 * the items of that page out (returning their count), and when total is
 * not NULL the number of items in the whole list.  Order is the order of
 * the imported files (each row's position is kept as its sort key), then
 * the code.  A list of the children of an unknown code (the services of a
 * department that does not exist) is -KP_ERR_NOTFOUND, not an empty list.
 *
 *   struct store_dir_item page[8];
 *   unsigned total;
 *   int n = store_dir_service_list(st, "EXCISE", 0, 8, page, &total);
 *   for (int i = 0; i < n; i++)
 *       printf("%d %s\n", i + 1, store_dir_name_pick(&page[i].name, STORE_DIR_UR));
 */
#ifndef KPASS_STORE_DIRECTORY_H
#define KPASS_STORE_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/store/store.h"

/* Limits (characters), as etc/seed/README.md states them. */
#define STORE_DIR_CODE_MIN            2
#define STORE_DIR_CODE_MAX            8
#define STORE_DIR_DEPARTMENT_NAME_MAX 30
#define STORE_DIR_DISTRICT_NAME_MAX   30
#define STORE_DIR_SERVICE_NAME_MAX    32
#define STORE_DIR_OFFICE_NAME_MAX     40
#define STORE_DIR_NAME_MAX            60 /* Urdu and Pashto names: fits one UCS-2 screen line */
#define STORE_DIR_DESC_MAX            160
#define STORE_DIR_DOCUMENTS_MAX       80
#define STORE_DIR_WHERE_MAX           40
#define STORE_DIR_ADDRESS_MAX         80
#define STORE_DIR_OFFICE_SERVICES     64 /* services one office may list */

/* Buffer sizes in bytes (a character is at most 4 UTF-8 bytes). */
#define STORE_DIR_CODE_SIZE (STORE_DIR_CODE_MAX + 1)
#define STORE_DIR_NAME_SIZE (STORE_DIR_NAME_MAX * 4 + 1)
#define STORE_DIR_DESC_SIZE (STORE_DIR_DESC_MAX * 4 + 1)

#define STORE_DIR_PAGE_MAX    100 /* largest limit a list accepts */
#define STORE_DIR_SEARCH_MAX  50  /* a search finds at most this many services */
#define STORE_DIR_QUERY_MAX   100 /* bytes of a search query */
#define STORE_DIR_QUERY_WORDS 8   /* words of a search query that count */
#define STORE_DIR_NEAR_MAX    5   /* offices store_dir_office_near finds at most */

enum store_dir_lang {
    STORE_DIR_EN = 0,
    STORE_DIR_UR = 1,
    STORE_DIR_PS = 2,
    STORE_DIR_UL = 3, /* Roman Urdu (BCP 47 ur-Latn): Urdu in GSM 7-bit Latin letters */
    STORE_DIR_LANGS
};

/* The fields a translation can be for (the `field` of translations.csv). */
enum store_dir_field {
    STORE_DIR_F_NAME,        /* every kind */
    STORE_DIR_F_DESCRIPTION, /* services */
    STORE_DIR_F_DOCUMENTS,   /* services */
    STORE_DIR_F_WHERE,       /* services: where to apply */
    STORE_DIR_F_KEYWORDS,    /* services: extra search words, any language (en too) */
    STORE_DIR_F_ADDRESS,     /* offices */
    STORE_DIR_FIELDS
};

/* What an upsert did. */
enum store_dir_change {
    STORE_DIR_UNCHANGED = 0,
    STORE_DIR_ADDED = 1,
    STORE_DIR_UPDATED = 2,
};

enum store_dir_kind {
    STORE_DIR_DEPARTMENT,
    STORE_DIR_DISTRICT,
    STORE_DIR_SERVICE,
    STORE_DIR_OFFICE,
};

/* A name in each language; "" where there is none (English never is). */
struct store_dir_name {
    char en[STORE_DIR_NAME_SIZE];
    char ur[STORE_DIR_NAME_SIZE];
    char ps[STORE_DIR_NAME_SIZE];
    char ul[STORE_DIR_NAME_SIZE]; /* Roman Urdu */
};

/* A longer text (description, documents, where to apply, address) in each
   language; "" where there is none.  For keywords en may be "" too. */
struct store_dir_desc {
    char en[STORE_DIR_DESC_SIZE];
    char ur[STORE_DIR_DESC_SIZE];
    char ps[STORE_DIR_DESC_SIZE];
    char ul[STORE_DIR_DESC_SIZE];
};

/* One line of a list. */
struct store_dir_item {
    char code[STORE_DIR_CODE_SIZE];
    /* The parent's code: a service's department, an office's district;
       "" for departments and districts. */
    char parent[STORE_DIR_CODE_SIZE];
    struct store_dir_name name;
};

struct store_dir_department {
    char code[STORE_DIR_CODE_SIZE];
    struct store_dir_name name;
    unsigned sort; /* position in its file; lists are ordered by it */
};

struct store_dir_district {
    char code[STORE_DIR_CODE_SIZE];
    struct store_dir_name name;
    char division[32]; /* Peshawar, Mardan, Malakand, Hazara, Kohat, Bannu, Dera Ismail Khan */
    unsigned sort;
};

struct store_dir_service {
    char code[STORE_DIR_CODE_SIZE];
    char department[STORE_DIR_CODE_SIZE];
    struct store_dir_name name;
    struct store_dir_desc description;
    char fee[16];                                /* "Free", "Varies" or "Rs N" (N < 10,000,000) */
    char documents[STORE_DIR_DOCUMENTS_MAX + 1]; /* "; "-separated, or "None" */
    char processing_time[17];                    /* "Same day", "Varies", "N hours|days|weeks" */
    char where_to_apply[STORE_DIR_WHERE_MAX + 1];
    int online; /* 1: can be done on an official website or app */
    int ussd;   /* 1: can be done or checked over USSD */
    unsigned sort;
    /* Read only (store_dir_service_get): documents and where_to_apply with
       their translations (en: the columns above), and the search keywords. */
    struct store_dir_desc docs, where, keywords;
};

struct store_dir_office {
    char code[STORE_DIR_CODE_SIZE];
    char district[STORE_DIR_CODE_SIZE];
    struct store_dir_name name; /* en and ur; ps and ul from translations */
    char address[STORE_DIR_ADDRESS_MAX + 1];
    struct store_dir_desc addr; /* read only: the address translated (en: address) */
    char hours[25];             /* "Mon-Fri 09:00-16:00" */
    char phone[17];             /* "091-0000101" */
    unsigned nservices;
    char services[STORE_DIR_OFFICE_SERVICES][STORE_DIR_CODE_SIZE]; /* in the office's order */
    unsigned sort;
};

struct store_dir_counts {
    unsigned departments, districts, services, offices;
    unsigned links; /* office-service pairs */
};

/* The name in lang, or the English one when that is empty.  Never NULL. */
const char *store_dir_name_pick(const struct store_dir_name *n, enum store_dir_lang lang);
/* The text in lang, or the English one when that is empty.  Never NULL. */
const char *store_dir_desc_pick(const struct store_dir_desc *d, enum store_dir_lang lang);
/* The name or text in lang exactly ("" when missing): for checks.  Never NULL. */
const char *store_dir_name_in(const struct store_dir_name *n, enum store_dir_lang lang);
const char *store_dir_desc_in(const struct store_dir_desc *d, enum store_dir_lang lang);
/* "en", "ur", "ps", "ur-Latn" -> the language; -KP_ERR_INVAL otherwise. */
int store_dir_lang_parse(const char *s);
/* The language's tag as store_dir_lang_parse takes it. */
const char *store_dir_lang_name(enum store_dir_lang lang);
/* "name", "description", "documents", "where", "keywords", "address" ->
   the field; -KP_ERR_INVAL otherwise. */
int store_dir_field_parse(const char *s);
/* "department", "district", "service", "office" -> the kind; -KP_ERR_INVAL otherwise. */
int store_dir_kind_parse(const char *s);

/*
 * A translation: the text of field of the row code of kind in lang (at
 * most STORE_DIR_DESC_MAX characters; "" removes it).  The row must exist
 * (-KP_ERR_NOTFOUND).  Names in ur and ps that the row itself has win over
 * a translation.  enum store_dir_change, -KP_ERR_INVAL or -KP_ERR_DB.
 */
int store_dir_text_put(struct store *st, enum store_dir_kind kind, const char *code,
                       enum store_dir_field field, enum store_dir_lang lang, const char *text);

/*
 * Distances between districts, for "the nearest offices" of a district
 * that has none: km from district to near (stored both ways).  Both must
 * exist (-KP_ERR_NOTFOUND); km 1..2000 (-KP_ERR_INVAL).  enum
 * store_dir_change or -KP_ERR_DB.
 */
int store_dir_distance_put(struct store *st, const char *district, const char *near, unsigned km);

/*
 * Upserts: insert the row with that code, or update it when any field
 * differs.  Return enum store_dir_change (>= 0), -KP_ERR_NOTFOUND when a
 * referenced code (department, district, a service of an office) does not
 * exist, -KP_ERR_INVAL when a value breaks the table's constraints (the
 * caller validates first: see kpass import), or -KP_ERR_DB.  An office's
 * service list is part of the office: a different list (or order) is an
 * update.
 */
int store_dir_department_put(struct store *st, const struct store_dir_department *d);
int store_dir_district_put(struct store *st, const struct store_dir_district *d);
int store_dir_service_put(struct store *st, const struct store_dir_service *s);
int store_dir_office_put(struct store *st, const struct store_dir_office *o);
/* Remove an office and its service links.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_dir_office_remove(struct store *st, const char *code);
/*
 * Remove service code.  An office that offers it keeps it on its list
 * unless cascade: then the service goes from every office's list too
 * (the offices stay).  Run it inside a transaction when the links must
 * go with the service.  0, -KP_ERR_NOTFOUND, -KP_ERR_EXISTS (an office
 * offers it and not cascade), -KP_ERR_DB.
 */
int store_dir_service_remove(struct store *st, const char *code, int cascade);

/* 1 when a row of that kind has code, 0 when not, or -KP_ERR_DB. */
int store_dir_exists(struct store *st, enum store_dir_kind kind, const char *code);
/* Row counts of every directory table.  0 or -KP_ERR_DB. */
int store_dir_count(struct store *st, struct store_dir_counts *out);

/* One row in full by code.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_dir_department_get(struct store *st, const char *code, struct store_dir_department *out);
int store_dir_district_get(struct store *st, const char *code, struct store_dir_district *out);
int store_dir_service_get(struct store *st, const char *code, struct store_dir_service *out);
int store_dir_office_get(struct store *st, const char *code, struct store_dir_office *out);

/*
 * Paginated lists for the menus (see the top of this file): out holds at
 * least limit items.  Return the number of items written, -KP_ERR_RANGE
 * when limit > STORE_DIR_PAGE_MAX, -KP_ERR_NOTFOUND for an unknown parent
 * code, or -KP_ERR_DB.
 */
/* Every department. */
int store_dir_department_list(struct store *st, unsigned offset, unsigned limit,
                              struct store_dir_item *out, unsigned *total);
/* The services of a department. */
int store_dir_service_list(struct store *st, const char *department, unsigned offset,
                           unsigned limit, struct store_dir_item *out, unsigned *total);
/* Every district (also those without an office: see store_dir_office_near). */
int store_dir_district_list(struct store *st, unsigned offset, unsigned limit,
                            struct store_dir_item *out, unsigned *total);
/* The districts of a division ("Hazara" ...), each item's parent the
   division; an unknown division is an empty list. */
int store_dir_district_list_in(struct store *st, const char *division, unsigned offset,
                               unsigned limit, struct store_dir_item *out, unsigned *total);
/* The offices of a district. */
int store_dir_office_list(struct store *st, const char *district, unsigned offset, unsigned limit,
                          struct store_dir_item *out, unsigned *total);
/*
 * The offices of a district whose main department is one of depts
 * (department codes separated by spaces, "EDU HED"; unknown codes match
 * nothing).  An office's main department is the department of the first
 * service it lists (offices.csv puts an office's main business first), so
 * that every office is in exactly one department's list: "Every office"
 * of a large district split by topic.  As store_dir_office_list, and
 * -KP_ERR_INVAL when depts names no code or is over 250 bytes.
 */
int store_dir_office_list_dept(struct store *st, const char *district, const char *depts,
                               unsigned offset, unsigned limit, struct store_dir_item *out,
                               unsigned *total);
/* The offices that offer a service, within district when it is not NULL. */
int store_dir_office_find(struct store *st, const char *service, const char *district,
                          unsigned offset, unsigned limit, struct store_dir_item *out,
                          unsigned *total);
/*
 * The offices nearest to district (which has none, or none offering
 * service when service is not NULL): those of the other districts by
 * their shortest road distance through the distance table (neighbours of
 * neighbours too), nearest first, then file order; at most
 * STORE_DIR_NEAR_MAX, so that the list stays short.  Each item's parent is
 * the office's district.  As store_dir_office_find.
 */
int store_dir_office_near(struct store *st, const char *district, const char *service,
                          unsigned offset, unsigned limit, struct store_dir_item *out,
                          unsigned *total);
/* The same for the offices of a main department in depts (as
   store_dir_office_list_dept): a district without one of its own lists
   the nearest of that topic. */
int store_dir_office_near_dept(struct store *st, const char *district, const char *depts,
                               unsigned offset, unsigned limit, struct store_dir_item *out,
                               unsigned *total);

/*
 * Keyword search over service names (en, ur, ps) and descriptions (en,
 * ur).  The rule: the query is split at spaces into words (the first
 * STORE_DIR_QUERY_WORDS count); a service matches when EVERY word begins
 * a word of its texts, in any language ("veh reg" finds "Vehicle
 * registration").  Letters are compared without case and without Latin
 * diacritics (Unicode 6.1 case folding, as SQLite's unicode61 tokenizer
 * does); other scripts compare as written.  Best matches first (BM25, a
 * name counting ten times a description), then file order.
 * Then, after those, the services found by the typing-error rule
 * (store_dir_fuzzy_match): every query word is within a small edit
 * distance of a word of a name (any language) or of a keyword, best first
 * (fewest edits), then file order.  At most
 * STORE_DIR_SEARCH_MAX services are ever found: total is capped there,
 * and a page beyond it is empty.
 * Returns the number of items written, -KP_ERR_INVAL for a query with no
 * word or longer than STORE_DIR_QUERY_MAX bytes, -KP_ERR_RANGE for a limit
 * over STORE_DIR_PAGE_MAX, or -KP_ERR_DB.
 */
int store_dir_service_search(struct store *st, const char *query, unsigned offset, unsigned limit,
                             struct store_dir_item *out, unsigned *total);

/*
 * The typing-error rule of the search, alone: the number of edits
 * (insertions, deletions, substitutions, swaps of two neighbours) between
 * word and the closest word of text, when it is within the bound for
 * word's length (0 up to 3 characters, 1 up to 5, 2 above; 0 for a word
 * with a digit), or -1.  A word
 * that begins a word of text (3 characters or more) is 0.  Compared
 * without case (ASCII) and with Arabic-script spellings folded (Arabic kaf,
 * yeh and heh as the Urdu letters, no vowel marks).
 */
int store_dir_fuzzy_match(const char *word, const char *text);

/*
 * Merge the search index into one segment (FTS5 'optimize').  Row-by-row
 * upserts leave it in many small segments, each of which a search must
 * visit: run this after a bulk import (kpass import does) to make searches
 * several times faster.  0 or -KP_ERR_DB.
 */
int store_dir_optimize(struct store *st);

/*
 * Walk every service (of department, or all when NULL) or every office
 * (of district, or all when NULL) in list order, calling fn for each; for
 * kpass listings of any length.  fn returning non-zero stops the walk and
 * is returned.  0, that value, -KP_ERR_NOTFOUND (unknown parent) or
 * -KP_ERR_DB.
 */
typedef int (*store_dir_each_fn)(void *ctx, const struct store_dir_item *item);
int store_dir_service_each(struct store *st, const char *department, store_dir_each_fn fn,
                           void *ctx);
int store_dir_office_each(struct store *st, const char *district, store_dir_each_fn fn, void *ctx);

#endif
