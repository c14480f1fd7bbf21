/* SPDX-License-Identifier: ISC */
/*
 * Built-ins for the menus: the table the compiler checks calls against, and
 * their implementation over the store.  Directory built-ins read the
 * services directory; identity built-ins (codes, registration, SMS) are in
 * builtins_id.c.  Labels come back in the dialog's language, with English
 * where a translation is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtins_internal.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/backend.h"
#include "kpass/store/change.h"
#include "kpass/store/directory.h"

static const char *const out_found[] = {"found", "not_found", NULL};
static const char *const out_find[] = {"found", "none", NULL};
static const char *const out_district[] = {"offices", "none", "not_found", NULL};
static const char *const out_sent[] = {"sent", "try_later", NULL};
static const char *const out_reg[] = {"registered", "unregistered", "try_later", NULL};
static const char *const sets_services[] = {"dept_name", NULL};
static const char *const sets_offices[] = {"district_name", NULL};
static const char *const sets_offices_for[] = {"service_name", NULL};
static const char *const sets_search[] = {"search_count", NULL};
static const char *const sets_district[] = {"district_name", NULL};
static const char *const sets_districts[] = {"division_name", NULL};
static const char *const sets_service[] = {"service_name",   "service_desc", "service_fee",
                                           "service_docs",   "service_time", "service_where",
                                           "service_online", "service_ussd", NULL};
static const char *const sets_office[] = {"office_name",  "office_address",  "office_hours",
                                          "office_phone", "office_district", NULL};
static const char *const out_done[] = {"done", "try_later", NULL};
static const char *const out_shown[] = {"shown", "try_later", NULL};
static const char *const out_flagged[] = {"flagged", "try_later", NULL};
static const char *const sets_history[] = {"uses", "uses_count", NULL};
static const char *const sets_use[] = {"use_kind", "use_where", "use_when", "use_purpose", NULL};
static const char *const sets_reg[] = {"reg_name",   "reg_cnic",    "reg_district",
                                       "reg_status", "reg_numbers", NULL};

static int bi_departments(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_services(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_service(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_search(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_districts(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_offices(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_offices_for(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_office(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_find(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_district(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_offices_near(struct kp_builtins *, const struct menu_call *, struct menu_result *);
static int bi_divisions(struct kp_builtins *, const struct menu_call *, struct menu_result *);

typedef int (*bi_fn)(struct kp_builtins *, const struct menu_call *, struct menu_result *);

/* The table, in one order for the compiler (menu_builtin) and for dispatch. */
static const struct menu_builtin bi_table[] = {
    {"dir.departments", MENU_BUILTIN_LIST, 0, 1, NULL, NULL},
    {"dir.services", MENU_BUILTIN_LIST, 1, 1, NULL, sets_services},
    {"dir.service", MENU_BUILTIN_ACTION, 1, 1, out_found, sets_service},
    {"dir.search", MENU_BUILTIN_LIST, 1, 1, NULL, sets_search},
    {"dir.districts", MENU_BUILTIN_LIST, 0, 1, NULL, sets_districts},
    {"dir.offices", MENU_BUILTIN_LIST, 1, 3, NULL, sets_offices},
    {"dir.offices_for", MENU_BUILTIN_LIST, 1, 2, NULL, sets_offices_for},
    {"dir.office", MENU_BUILTIN_ACTION, 1, 1, out_found, sets_office},
    {"otp.issue", MENU_BUILTIN_ACTION, 2, 3, out_sent, NULL},
    {"reg.lookup", MENU_BUILTIN_ACTION, 0, 0, out_reg, sets_reg},
    {"sms.service", MENU_BUILTIN_ACTION, 1, 1, out_sent, NULL},
    {"card.suspend", MENU_BUILTIN_ACTION, 1, 1, out_done, NULL},
    {"id.history", MENU_BUILTIN_ACTION, 1, 1, out_shown, sets_history},
    {"id.uses", MENU_BUILTIN_LIST, 1, 1, NULL, NULL},
    {"id.use", MENU_BUILTIN_ACTION, 1, 1, out_found, sets_use},
    {"id.dispute", MENU_BUILTIN_ACTION, 1, 1, out_flagged, NULL},
    {"dir.find", MENU_BUILTIN_ACTION, 1, 1, out_find, sets_search},
    {"dir.district", MENU_BUILTIN_ACTION, 1, 3, out_district, sets_district},
    {"dir.offices_near", MENU_BUILTIN_LIST, 1, 3, NULL, sets_offices},
    {"dir.divisions", MENU_BUILTIN_LIST, 0, 0, NULL, NULL},
};

static const bi_fn bi_fns[] = {
    bi_departments, bi_services,     bi_service,    bi_search,       bi_districts,
    bi_offices,     bi_offices_for,  bi_office,     bi_otp_issue,    bi_reg_lookup,
    bi_sms_service, bi_card_suspend, bi_id_history, bi_id_uses,      bi_id_use,
    bi_id_dispute,  bi_find,         bi_district,   bi_offices_near, bi_divisions,
};

_Static_assert(KP_ARRAY_LEN(bi_table) == KP_ARRAY_LEN(bi_fns), "one function per built-in");

int64_t bi_now(const struct kp_builtins *b)
{
    return b->now ? b->now : kp_time_s();
}

/* By tag, so that every menu language the directory has maps to it (Roman
   Urdu to the directory's Roman Urdu, English where that is missing). */
enum store_dir_lang bi_lang(const struct menu_call *c)
{
    const char *tag = menu_lang_name(c->lang);
    int l = tag ? store_dir_lang_parse(tag) : -1;

    return l < 0 ? STORE_DIR_EN : (enum store_dir_lang)l;
}

const char *bi_lang_tag(const struct menu_call *c)
{
    return store_dir_lang_name(bi_lang(c));
}

int kp_builtin_pure(const char *name)
{
    return strncmp(name, "dir.", 4) == 0;
}

static int bi_call(void *ctx, const struct menu_call *call, struct menu_result *res)
{
    struct kp_builtins *b = ctx;

    if (b == NULL || call->builtin >= KP_ARRAY_LEN(bi_fns))
        return -KP_ERR_UNSUPPORTED;
    return bi_fns[call->builtin](b, call, res);
}

struct ussd_builtins kp_builtins_table(struct kp_builtins *b)
{
    struct ussd_builtins t = {bi_table, KP_ARRAY_LEN(bi_table), bi_call, b, &kp_validators};
    return t;
}

void kp_builtins_set_now(struct kp_builtins *b, int64_t now)
{
    b->now = now;
}

/* ---- the services directory ---- */

/*
 * Departments by code, as read: dir.departments' groups and dir.services'
 * title ask for the same few on every walk through "Find a service", two
 * statements each (the row and its translations).  Only operators change
 * the directory, with kpass, which bumps the change counter in the same
 * transaction; kpassd drops the memo when it sees the counter move
 * (kp_builtins_dir_changed), before it tells the CLI the change is in force.
 *
 * On a node of a cluster the CLI may have run against another node and
 * this one may not have ticked yet: there each builtin that shows
 * departments reads the counter first (bi_dept_fresh: one row, instead of
 * two statements per department) and drops the memo when it moved, so the
 * next screen after the change's commit shows it on every node.
 */
#define BI_DEPT_MEMO 64 /* the directory has 15; codes beyond are read each time */

struct bi_dept_memo {
    char code[STORE_DIR_CODE_SIZE];
    int found;
    struct store_dir_department d;
};

/* The department code names, or NULL (none such, or the store failed). */
static const struct store_dir_department *bi_department(struct kp_builtins *b, const char *code)
{
    struct bi_dept_memo *m;
    struct store_dir_department d;
    int rc;

    for (unsigned i = 0; i < b->ndepts; i++)
        if (strcmp(b->depts[i].code, code) == 0)
            return b->depts[i].found ? &b->depts[i].d : NULL;
    if (strlen(code) >= STORE_DIR_CODE_SIZE)
        return NULL;
    rc = store_dir_department_get(b->st, code, &d);
    if (rc < 0 && rc != -KP_ERR_NOTFOUND)
        return NULL; /* not remembered: the next call asks again */
    if (b->depts == NULL)
        b->depts = kp_calloc(BI_DEPT_MEMO, sizeof(*b->depts));
    /* full: the last slot takes each new code in turn */
    m = &b->depts[b->ndepts < BI_DEPT_MEMO ? b->ndepts : BI_DEPT_MEMO - 1];
    snprintf(m->code, sizeof(m->code), "%s", code);
    m->found = rc == 0;
    m->d = d;
    if (b->ndepts < BI_DEPT_MEMO)
        b->ndepts++;
    return m->found ? &m->d : NULL;
}

/*
 * On a shared store: drop the memo when the change counter moved since it
 * was filled.  The counter is read before the departments, so a memo is
 * never older than the version it is kept under.  -KP_ERR_DB: the caller
 * reads nothing from the memo then (the store failed, the screen too).
 */
static int bi_dept_fresh(struct kp_builtins *b)
{
    struct store_change ch;

    if (!store_shared(b->st))
        return 0; /* one node: kpassd's tick drops it (kp_builtins_dir_changed) */
    if (store_change_get(b->st, &ch) < 0)
        return -KP_ERR_DB;
    if (ch.version != b->depts_version) {
        b->ndepts = 0;
        b->depts_version = ch.version;
    }
    return 0;
}

void kp_builtins_dir_changed(struct kp_builtins *b)
{
    if (b)
        b->ndepts = 0;
}

/* Add list items in the caller's language (MENU_LIST_MAX at most). */
static void bi_items(struct menu_result *res, const struct store_dir_item *v, int n,
                     enum store_dir_lang lang)
{
    for (int i = 0; i < n; i++)
        menu_result_item(res, store_dir_name_pick(&v[i].name, lang), v[i].code);
}

#define BI_PAGE (MENU_LIST_MAX < STORE_DIR_PAGE_MAX ? MENU_LIST_MAX : STORE_DIR_PAGE_MAX)

/*
 * dir.departments([codes]): every department, or those whose codes the
 * argument lists (space-separated, in that order; unknown ones left out),
 * so that a menu can group fifteen topics under a few that fit one page.
 */
static int bi_departments(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    const struct store_dir_department *d;
    unsigned total;
    int n;

    if (c->argc > 0 && c->argv[0][0]) {
        char code[STORE_DIR_CODE_SIZE];
        if (bi_dept_fresh(b) < 0)
            return -KP_ERR_DB;
        for (const char *p = c->argv[0]; *p;) {
            size_t len = strcspn(p, " ");
            if (len > 0 && len < sizeof(code)) {
                memcpy(code, p, len);
                code[len] = '\0';
                if ((d = bi_department(b, code)) != NULL)
                    menu_result_item(res, store_dir_name_pick(&d->name, bi_lang(c)), d->code);
            }
            p += len + (p[len] == ' ');
        }
        return 0;
    }
    if ((n = store_dir_department_list(b->st, 0, BI_PAGE, v, &total)) < 0)
        return n;
    bi_items(res, v, n, bi_lang(c));
    return 0;
}

static int bi_services(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    const struct store_dir_department *d;
    unsigned total;
    int n;

    if (bi_dept_fresh(b) < 0)
        return -KP_ERR_DB;
    if ((d = bi_department(b, c->argv[0])) != NULL)
        menu_result_set(res, "dept_name", store_dir_name_pick(&d->name, bi_lang(c)));
    n = store_dir_service_list(b->st, c->argv[0], 0, BI_PAGE, v, &total);
    if (n == -KP_ERR_NOTFOUND)
        return 0; /* an empty list: the menu shows only its own options */
    if (n < 0)
        return n;
    bi_items(res, v, n, bi_lang(c));
    return 0;
}

static int bi_service(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_service s;
    char text[64];
    enum store_dir_lang lang = bi_lang(c);
    int rc = store_dir_service_get(b->st, c->argv[0], &s);

    if (rc == -KP_ERR_NOTFOUND) {
        menu_result_outcome(res, "not_found");
        return 0;
    }
    if (rc < 0)
        return rc;
    menu_result_outcome(res, "found");
    menu_result_set(res, "service_name", store_dir_name_pick(&s.name, lang));
    menu_result_set(res, "service_desc", store_dir_desc_pick(&s.description, lang));
    bi_fee_text(s.fee, lang, text, sizeof(text));
    menu_result_set(res, "service_fee", text);
    menu_result_set(res, "service_docs", store_dir_desc_pick(&s.docs, lang));
    bi_time_text(s.processing_time, lang, text, sizeof(text));
    menu_result_set(res, "service_time", text);
    menu_result_set(res, "service_where", store_dir_desc_pick(&s.where, lang));
    menu_result_set(res, "service_online", bi_yes_no(s.online, lang));
    menu_result_set(res, "service_ussd", bi_yes_no(s.ussd, lang));
    return 0;
}

static int bi_search(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    unsigned total = 0;
    char count[16];
    int n = store_dir_service_search(b->st, c->argv[0], 0, BI_PAGE, v, &total);

    if (n == -KP_ERR_INVAL) /* no word in the query: nothing found */
        n = 0;
    if (n < 0)
        return n;
    snprintf(count, sizeof(count), "%d", n);
    menu_result_set(res, "search_count", count);
    bi_items(res, v, n, bi_lang(c));
    return 0;
}

/* dir.districts([division]): every district, or those of a division. */
static int bi_districts(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    unsigned total;
    int n;

    if (c->argc > 0 && c->argv[0][0]) {
        menu_result_set(res, "division_name", bi_division_label(c->argv[0], bi_lang(c)));
        n = store_dir_district_list_in(b->st, c->argv[0], 0, BI_PAGE, v, &total);
    } else {
        n = store_dir_district_list(b->st, 0, BI_PAGE, v, &total);
    }
    if (n < 0)
        return n;
    bi_items(res, v, n, bi_lang(c));
    return 0;
}

/* dir.divisions(): the seven divisions, labelled in the dialog's language;
   the value is the division as the directory's districts name it. */
static int bi_divisions(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    const char *label, *name;

    (void)b;
    for (size_t i = 0; (name = bi_division(i, bi_lang(c), &label)) != NULL; i++)
        menu_result_item(res, label, name);
    return 0;
}

/* Optional argument i of the office built-ins (a service, a topic's
   departments): NULL when absent or empty, for "any". */
static const char *bi_service_arg(const struct menu_call *c, unsigned i)
{
    return c->argc > i && c->argv[i][0] ? c->argv[i] : NULL;
}

/*
 * The length of an office's name without its district's name at the end
 * ("Land Record Centre Charsadda", "..., Swat", "...، سوات"): under
 * "Offices in Charsadda" it says nothing new, and on an 80-unit UCS-2 page
 * it is what keeps a second office off the first page.  The whole name
 * when it is nothing else or does not end so.
 */
static size_t bi_name_in(const char *name, const char *district)
{
    size_t n = strlen(name), d = strlen(district);

    if (d == 0 || n <= d + 1 || strcmp(name + n - d, district) != 0 || name[n - d - 1] != ' ')
        return strlen(name);
    n -= d + 1;
    if (n >= 1 && name[n - 1] == ',')
        n--;
    else if (n >= 2 && memcmp(name + n - 2, "\xd8\x8c", 2) == 0) /* U+060C ARABIC COMMA */
        n -= 2;
    while (n > 0 && name[n - 1] == ' ')
        n--;
    return n ? n : strlen(name);
}

/*
 * The offices of district d for the office built-ins' optional arguments
 * (dir.offices, dir.district): those offering c's service (argument 1)
 * when it is not empty, else those of a main department its argument 2
 * lists (a topic of "Every office"), else all of them.  As the store's
 * lists.
 */
static int bi_district_offices(struct kp_builtins *b, const struct menu_call *c, const char *d,
                               unsigned limit, struct store_dir_item *v, unsigned *total)
{
    const char *service = bi_service_arg(c, 1), *depts = bi_service_arg(c, 2);

    if (service)
        return store_dir_office_find(b->st, service, d, 0, limit, v, total);
    if (depts)
        return store_dir_office_list_dept(b->st, d, depts, 0, limit, v, total);
    return store_dir_office_list(b->st, d, 0, limit, v, total);
}

/* dir.offices(district[, service[, depts]]): a district's offices, or
   those of it that offer the service (the kind of office the caller
   chose), or those of a topic (bi_district_offices). */
static int bi_offices(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    struct store_dir_district d;
    unsigned total;
    int n;

    if (store_dir_district_get(b->st, c->argv[0], &d) != 0)
        d.name.en[0] = '\0';
    else
        menu_result_set(res, "district_name", store_dir_name_pick(&d.name, bi_lang(c)));
    n = bi_district_offices(b, c, c->argv[0], BI_PAGE, v, &total);
    if (n == -KP_ERR_NOTFOUND || n == -KP_ERR_INVAL)
        return 0;
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        const char *name = store_dir_name_pick(&v[i].name, bi_lang(c));
        char label[STORE_DIR_NAME_SIZE];
        int len =
            (int)bi_name_in(name, d.name.en[0] ? store_dir_name_pick(&d.name, bi_lang(c)) : "");
        snprintf(label, sizeof(label), "%.*s", len, name);
        menu_result_item(res, label, v[i].code);
    }
    return 0;
}

static int bi_offices_for(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    struct store_dir_service s;
    unsigned total;
    int n;

    if (store_dir_service_get(b->st, c->argv[0], &s) == 0)
        menu_result_set(res, "service_name", store_dir_name_pick(&s.name, bi_lang(c)));
    n = store_dir_office_find(b->st, c->argv[0], c->argc > 1 && c->argv[1][0] ? c->argv[1] : NULL,
                              0, BI_PAGE, v, &total);
    if (n == -KP_ERR_NOTFOUND)
        return 0;
    if (n < 0)
        return n;
    bi_items(res, v, n, bi_lang(c));
    return 0;
}

static int bi_office(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_office o;
    struct store_dir_district d;
    char hours[96];
    enum store_dir_lang lang = bi_lang(c);
    int rc = store_dir_office_get(b->st, c->argv[0], &o);

    if (rc == -KP_ERR_NOTFOUND) {
        menu_result_outcome(res, "not_found");
        return 0;
    }
    if (rc < 0)
        return rc;
    menu_result_outcome(res, "found");
    menu_result_set(res, "office_name", store_dir_name_pick(&o.name, lang));
    menu_result_set(res, "office_address", store_dir_desc_pick(&o.addr, lang));
    bi_hours_text(o.hours, lang, hours, sizeof(hours));
    menu_result_set(res, "office_hours", hours);
    menu_result_set(res, "office_phone", o.phone);
    if (store_dir_district_get(b->st, o.district, &d) == 0)
        menu_result_set(res, "office_district", store_dir_name_pick(&d.name, lang));
    return 0;
}

/* dir.find(query): whether a search finds anything, and how many: the menu
   shows a hint and a way back instead of an empty list. */
static int bi_find(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_item v[1];
    unsigned total = 0;
    char count[16];
    int n = store_dir_service_search(b->st, c->argv[0], 0, 1, v, &total);

    if (n == -KP_ERR_INVAL) /* no word in the query */
        n = 0, total = 0;
    if (n < 0)
        return n;
    snprintf(count, sizeof(count), "%u", total);
    menu_result_set(res, "search_count", count);
    menu_result_outcome(res, total ? "found" : "none");
    return 0;
}

/* dir.district(code[, service[, depts]]): its name, and whether it has
   offices of its own (offering service, or of a topic, when given:
   bi_district_offices); else the menu lists the nearest
   (dir.offices_near). */
static int bi_district(struct kp_builtins *b, const struct menu_call *c, struct menu_result *res)
{
    struct store_dir_district d;
    unsigned total = 0;
    int rc = store_dir_district_get(b->st, c->argv[0], &d);

    if (rc == -KP_ERR_NOTFOUND) {
        menu_result_outcome(res, "not_found");
        return 0;
    }
    if (rc < 0)
        return rc;
    menu_result_set(res, "district_name", store_dir_name_pick(&d.name, bi_lang(c)));
    rc = bi_district_offices(b, c, d.code, 0, NULL, &total);
    /* a service the directory does not have, a topic of no code: no office */
    if (rc == -KP_ERR_NOTFOUND || rc == -KP_ERR_INVAL)
        rc = 0, total = 0;
    if (rc < 0)
        return rc;
    menu_result_outcome(res, total ? "offices" : "none");
    return 0;
}

/*
 * Nearest offices shown in a language written in Arabic script: its pages
 * are UCS-2 (80 units), where an office's name and district take a third
 * of a page, so the five nearest needed four pages, with one office on
 * most of them.  Two, under a short header, share the first page (the
 * issue 11 page goals: at most 3 pages, none with a single option).
 */
#define BI_NEAR_UCS2 2

/* dir.offices_near(district[, service[, depts]]): the nearest offices of
   a district that has none (of that service, or of that topic). */
static int bi_offices_near(struct kp_builtins *b, const struct menu_call *c,
                           struct menu_result *res)
{
    struct store_dir_item v[BI_PAGE];
    struct store_dir_district d;
    enum store_dir_lang lang = bi_lang(c);
    unsigned total, limit = lang == STORE_DIR_UR || lang == STORE_DIR_PS ? BI_NEAR_UCS2 : BI_PAGE;
    int n;

    if (store_dir_district_get(b->st, c->argv[0], &d) == 0)
        menu_result_set(res, "district_name", store_dir_name_pick(&d.name, lang));
    if (bi_service_arg(c, 1) == NULL && bi_service_arg(c, 2) != NULL)
        n = store_dir_office_near_dept(b->st, c->argv[0], c->argv[2], 0, limit, v, &total);
    else
        n = store_dir_office_near(b->st, c->argv[0], bi_service_arg(c, 1), 0, limit, v, &total);
    if (n == -KP_ERR_NOTFOUND || n == -KP_ERR_INVAL)
        return 0;
    if (n < 0)
        return n;
    bi_items(res, v, n, bi_lang(c));
    return 0;
}
