/* SPDX-License-Identifier: ISC */
/*
 * The services directory, one row at a time: upserts that say whether they
 * added, updated or left a row alone (so that an import can count and a
 * second import changes nothing), lookups by code, existence checks and
 * counts.  Lists and search are in directory_list.c.
 */
#include <stdio.h>
#include <string.h>

#include "directory_internal.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "store_internal.h"

static const char sql_department_id[] = "SELECT id FROM department WHERE code = ?1";
static const char sql_district_id[] = "SELECT id FROM district WHERE code = ?1";
static const char sql_service_id[] = "SELECT id FROM service WHERE code = ?1";
static const char sql_office_id[] = "SELECT id FROM office WHERE code = ?1";

/*
 * Inserts and updates share their parameters: ?1 the code, then the row's
 * fields, then the parent's id (services and offices), then, in updates,
 * the row's id (dir_put).  An update's WHERE compares every field, so that
 * an identical row is not written; the columns are NOT NULL and so are the
 * values bound, which makes <> the same as SQLite's IS NOT (PostgreSQL has
 * no IS NOT for values, and SQLite's IS DISTINCT FROM is 3.39's).
 */
static const char sql_department_insert[] =
    "INSERT INTO department (code, name_en, name_ur, name_ps, sort) VALUES (?1, ?2, ?3, ?4, ?5) "
    "RETURNING id";
static const char sql_department_update[] =
    "UPDATE department SET name_en = ?2, name_ur = ?3, name_ps = ?4, sort = ?5 "
    "WHERE id = ?6 AND code = ?1 AND (name_en <> ?2 OR name_ur <> ?3 OR name_ps <> ?4 "
    "OR sort <> ?5)";
static const char sql_district_insert[] =
    "INSERT INTO district (code, name_en, name_ur, name_ps, division, sort) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
static const char sql_district_update[] =
    "UPDATE district SET name_en = ?2, name_ur = ?3, name_ps = ?4, division = ?5, sort = ?6 "
    "WHERE id = ?7 AND code = ?1 AND (name_en <> ?2 OR name_ur <> ?3 OR name_ps <> ?4 "
    "OR division <> ?5 OR sort <> ?6)";
static const char sql_service_insert[] =
    "INSERT INTO service (code, department_id, name_en, name_ur, name_ps, description_en, "
    "description_ur, fee, documents, processing_time, where_to_apply, online, ussd, sort) "
    "VALUES (?1, ?14, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id";
static const char sql_service_update[] =
    "UPDATE service SET department_id = ?14, name_en = ?2, name_ur = ?3, name_ps = ?4, "
    "description_en = ?5, description_ur = ?6, fee = ?7, documents = ?8, "
    "processing_time = ?9, where_to_apply = ?10, online = ?11, ussd = ?12, sort = ?13 "
    "WHERE id = ?15 AND code = ?1 AND (department_id <> ?14 OR name_en <> ?2 "
    "OR name_ur <> ?3 OR name_ps <> ?4 OR description_en <> ?5 OR description_ur <> ?6 "
    "OR fee <> ?7 OR documents <> ?8 OR processing_time <> ?9 "
    "OR where_to_apply <> ?10 OR online <> ?11 OR ussd <> ?12 OR sort <> ?13)";
static const char sql_office_insert[] =
    "INSERT INTO office (code, district_id, name_en, name_ur, address, hours, phone, sort) "
    "VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id";
static const char sql_office_update[] =
    "UPDATE office SET district_id = ?8, name_en = ?2, name_ur = ?3, address = ?4, "
    "hours = ?5, phone = ?6, sort = ?7 "
    "WHERE id = ?9 AND code = ?1 AND (district_id <> ?8 OR name_en <> ?2 OR name_ur <> ?3 "
    "OR address <> ?4 OR hours <> ?5 OR phone <> ?6 OR sort <> ?7)";
static const char sql_office_links[] =
    "SELECT service_id FROM office_service WHERE office_id = ?1 ORDER BY pos";
static const char sql_office_unlink[] = "DELETE FROM office_service WHERE office_id = ?1";
static const char sql_office_link[] =
    "INSERT INTO office_service (office_id, service_id, pos) VALUES (?1, ?2, ?3)";
static const char sql_office_remove[] = "DELETE FROM office WHERE code = ?1";
static const char sql_service_unlink[] =
    "DELETE FROM office_service WHERE service_id = (SELECT id FROM service WHERE code = ?1)";
static const char sql_service_remove[] = "DELETE FROM service WHERE code = ?1";

static const char sql_department_get[] =
    "SELECT code, name_en, name_ur, name_ps, sort FROM department WHERE code = ?1";
static const char sql_district_get[] =
    "SELECT code, name_en, name_ur, name_ps, division, sort FROM district WHERE code = ?1";
static const char sql_service_get[] =
    "SELECT s.code, d.code, s.name_en, s.name_ur, s.name_ps, s.description_en, "
    "s.description_ur, s.fee, s.documents, s.processing_time, s.where_to_apply, s.online, "
    "s.ussd, s.sort FROM service s JOIN department d ON d.id = s.department_id "
    "WHERE s.code = ?1";
static const char sql_office_get[] =
    "SELECT o.id, o.code, d.code, o.name_en, o.name_ur, o.address, o.hours, o.phone, o.sort "
    "FROM office o JOIN district d ON d.id = o.district_id WHERE o.code = ?1";
static const char sql_text_get[] =
    "SELECT field, lang, text FROM dir_text WHERE kind = ?1 AND code = ?2";
static const char sql_text_same[] =
    "SELECT 1 FROM dir_text WHERE kind = ?1 AND code = ?2 AND field = ?3 AND lang = ?4 "
    "AND text = ?5";
static const char sql_text_set[] =
    "INSERT INTO dir_text (kind, code, field, lang, text) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (kind, code, field, lang) DO UPDATE SET text = excluded.text";
static const char sql_text_del[] =
    "DELETE FROM dir_text WHERE kind = ?1 AND code = ?2 AND field = ?3 AND lang = ?4";
static const char sql_distance_same[] =
    "SELECT 1 FROM district_distance WHERE district_id = ?1 AND near_id = ?2 AND km = ?3";
static const char sql_distance_set[] =
    "INSERT INTO district_distance (district_id, near_id, km) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (district_id, near_id) DO UPDATE SET km = excluded.km";
static const char sql_office_services[] =
    "SELECT s.code FROM office_service os JOIN service s ON s.id = os.service_id "
    "WHERE os.office_id = ?1 ORDER BY os.pos";
static const char sql_count[] =
    "SELECT (SELECT count(*) FROM department), (SELECT count(*) FROM district), "
    "(SELECT count(*) FROM service), (SELECT count(*) FROM office), "
    "(SELECT count(*) FROM office_service)";

/* The number of each kind's last field parameter (?1 the code included). */
#define DIR_F_DEPARTMENT 5
#define DIR_F_DISTRICT   6
#define DIR_F_SERVICE    13
#define DIR_F_OFFICE     7

/* Step a write; a broken CHECK or foreign key is the caller's bad value. */
static int dir_step_done(struct store *st, struct db_stmt *s)
{
    int rc = store_step_done(st, s);

    return rc == -KP_ERR_EXISTS ? -KP_ERR_INVAL : rc;
}

static const char *const dir_lang_tags[STORE_DIR_LANGS] = {"en", "ur", "ps", "ur-Latn"};
static const char *const dir_field_names[STORE_DIR_FIELDS] = {"name",  "description", "documents",
                                                              "where", "keywords",    "address"};
static const char *const dir_kind_names[] = {
    [STORE_DIR_DEPARTMENT] = "department",
    [STORE_DIR_DISTRICT] = "district",
    [STORE_DIR_SERVICE] = "service",
    [STORE_DIR_OFFICE] = "office",
};

const char *store_dir_name_in(const struct store_dir_name *n, enum store_dir_lang lang)
{
    switch (lang) {
    case STORE_DIR_UR:
        return n->ur;
    case STORE_DIR_PS:
        return n->ps;
    case STORE_DIR_UL:
        return n->ul;
    default:
        return n->en;
    }
}

const char *store_dir_desc_in(const struct store_dir_desc *d, enum store_dir_lang lang)
{
    switch (lang) {
    case STORE_DIR_UR:
        return d->ur;
    case STORE_DIR_PS:
        return d->ps;
    case STORE_DIR_UL:
        return d->ul;
    default:
        return d->en;
    }
}

const char *store_dir_name_pick(const struct store_dir_name *n, enum store_dir_lang lang)
{
    const char *v = store_dir_name_in(n, lang);

    return v[0] ? v : n->en;
}

const char *store_dir_desc_pick(const struct store_dir_desc *d, enum store_dir_lang lang)
{
    const char *v = store_dir_desc_in(d, lang);

    return v[0] ? v : d->en;
}

/* The index of s in names[0..n), or -KP_ERR_INVAL. */
static int dir_lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    return -KP_ERR_INVAL;
}

int store_dir_lang_parse(const char *s)
{
    return dir_lookup(dir_lang_tags, STORE_DIR_LANGS, s);
}

const char *store_dir_lang_name(enum store_dir_lang lang)
{
    return (unsigned)lang < STORE_DIR_LANGS ? dir_lang_tags[lang] : "en";
}

int store_dir_field_parse(const char *s)
{
    return dir_lookup(dir_field_names, STORE_DIR_FIELDS, s);
}

int store_dir_kind_parse(const char *s)
{
    return dir_lookup(dir_kind_names, (int)KP_ARRAY_LEN(dir_kind_names), s);
}

/* The text of d in lang, writable. */
static char *dir_desc_slot(struct store_dir_desc *d, int lang)
{
    return lang == STORE_DIR_UR   ? d->ur
           : lang == STORE_DIR_PS ? d->ps
           : lang == STORE_DIR_UL ? d->ul
                                  : d->en;
}

/* Where the translations of one row go: NULL for fields it has none of. */
struct dir_texts {
    struct store_dir_name *name;
    struct store_dir_desc *field[STORE_DIR_FIELDS];
};

/*
 * Read the translations of (kind, code) into t: a name in ur or ps fills
 * only an empty slot (the row's own column wins), every other field its
 * slot in the language.  0 or -KP_ERR_DB.
 */
static int dir_texts_load(struct store *st, enum store_dir_kind kind, const char *code,
                          struct dir_texts *t)
{
    struct db_stmt *s = store_stmt(st, sql_text_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, dir_kind_names[kind]);
    db_bind_text(s, 2, code);
    while ((rc = db_step(s)) == DB_ROW) {
        int f = store_dir_field_parse(db_col_text(s, 0));
        int l = store_dir_lang_parse(db_col_text(s, 1));
        if (f < 0 || l < 0)
            continue;
        if (f == STORE_DIR_F_NAME && t->name && l != STORE_DIR_EN) {
            char *slot = l == STORE_DIR_UR   ? t->name->ur
                         : l == STORE_DIR_PS ? t->name->ps
                                             : t->name->ul;
            if (slot[0] == '\0')
                store_col_text(s, 2, slot, STORE_DIR_NAME_SIZE);
        } else if (f != STORE_DIR_F_NAME && t->field[f]) {
            char *slot = dir_desc_slot(t->field[f], l);
            if (slot[0] == '\0')
                store_col_text(s, 2, slot, STORE_DIR_DESC_SIZE);
        }
    }
    db_reset(s);
    return rc == DB_DONE ? 0 : -KP_ERR_DB;
}

int store_dir_text_put(struct store *st, enum store_dir_kind kind, const char *code,
                       enum store_dir_field field, enum store_dir_lang lang, const char *text)
{
    struct db_stmt *s;
    int rc;

    if ((unsigned)kind >= KP_ARRAY_LEN(dir_kind_names) || (unsigned)field >= STORE_DIR_FIELDS ||
        (unsigned)lang >= STORE_DIR_LANGS || text == NULL)
        return -KP_ERR_INVAL;
    if ((rc = store_dir_exists(st, kind, code)) <= 0)
        return rc == 0 ? -KP_ERR_NOTFOUND : rc;
    if ((s = store_stmt(st, text[0] ? sql_text_same : sql_text_del)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, dir_kind_names[kind]);
    db_bind_text(s, 2, code);
    db_bind_text(s, 3, dir_field_names[field]);
    db_bind_text(s, 4, dir_lang_tags[lang]);
    if (text[0] == '\0') {
        if ((rc = dir_step_done(st, s)) < 0)
            return rc;
        return db_changes(st->db) ? STORE_DIR_UPDATED : STORE_DIR_UNCHANGED;
    }
    db_bind_text(s, 5, text);
    rc = db_step(s);
    db_reset(s);
    if (rc == DB_ROW)
        return STORE_DIR_UNCHANGED;
    if (rc != DB_DONE || (s = store_stmt(st, sql_text_set)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, dir_kind_names[kind]);
    db_bind_text(s, 2, code);
    db_bind_text(s, 3, dir_field_names[field]);
    db_bind_text(s, 4, dir_lang_tags[lang]);
    db_bind_text(s, 5, text);
    if ((rc = dir_step_done(st, s)) < 0)
        return rc;
    return STORE_DIR_ADDED;
}

/* Write one direction of a distance: enum store_dir_change or < 0. */
static int dir_distance_one(struct store *st, int64_t a, int64_t b, unsigned km)
{
    struct db_stmt *s = store_stmt(st, sql_distance_same);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, a);
    db_bind_int64(s, 2, b);
    db_bind_int64(s, 3, km);
    rc = db_step(s);
    db_reset(s);
    if (rc == DB_ROW)
        return STORE_DIR_UNCHANGED;
    if (rc != DB_DONE || (s = store_stmt(st, sql_distance_set)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, a);
    db_bind_int64(s, 2, b);
    db_bind_int64(s, 3, km);
    if ((rc = dir_step_done(st, s)) < 0)
        return rc;
    return STORE_DIR_ADDED;
}

int store_dir_distance_put(struct store *st, const char *district, const char *near, unsigned km)
{
    int64_t a, b;
    int rc, r2;

    if (km < 1 || km > 2000 || strcmp(district, near) == 0)
        return -KP_ERR_INVAL;
    if ((rc = dir_id(st, STORE_DIR_DISTRICT, district, &a)) < 0 ||
        (rc = dir_id(st, STORE_DIR_DISTRICT, near, &b)) < 0)
        return rc;
    if ((rc = dir_distance_one(st, a, b, km)) < 0 || (r2 = dir_distance_one(st, b, a, km)) < 0)
        return rc < 0 ? rc : r2;
    return rc > r2 ? rc : r2;
}

int dir_id(struct store *st, enum store_dir_kind kind, const char *code, int64_t *id)
{
    static const char *const sql[] = {
        [STORE_DIR_DEPARTMENT] = sql_department_id,
        [STORE_DIR_DISTRICT] = sql_district_id,
        [STORE_DIR_SERVICE] = sql_service_id,
        [STORE_DIR_OFFICE] = sql_office_id,
    };
    struct db_stmt *s;
    int rc;

    if ((unsigned)kind >= KP_ARRAY_LEN(sql) || (s = store_stmt(st, sql[kind])) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    rc = db_step(s);
    if (rc == DB_ROW)
        *id = db_col_int64(s, 0);
    db_reset(s);
    if (rc == DB_ROW)
        return 0;
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

void dir_name_row(struct db_stmt *s, int i, struct store_dir_name *n)
{
    store_col_text(s, i, n->en, sizeof(n->en));
    store_col_text(s, i + 1, n->ur, sizeof(n->ur));
    store_col_text(s, i + 2, n->ps, sizeof(n->ps));
    store_col_text(s, i + 3, n->ul, sizeof(n->ul));
}

/* The row's own three name columns (en, ur, ps) from i; ul from dir_texts_load. */
static void dir_name_cols(struct db_stmt *s, int i, struct store_dir_name *n)
{
    store_col_text(s, i, n->en, sizeof(n->en));
    store_col_text(s, i + 1, n->ur, sizeof(n->ur));
    store_col_text(s, i + 2, n->ps, sizeof(n->ps));
    n->ul[0] = '\0';
}

int store_dir_exists(struct store *st, enum store_dir_kind kind, const char *code)
{
    int64_t id;
    int rc = dir_id(st, kind, code, &id);

    if (rc == -KP_ERR_NOTFOUND)
        return 0;
    return rc < 0 ? rc : 1;
}

typedef void (*dir_bind_fn)(struct db_stmt *s, const void *row);

/*
 * Insert the row with code, or update it where a field differs (the
 * update's WHERE compares every field, so an identical row is not
 * written).  bind binds the fields, ?2 to ?fields; the parent's id (when
 * not 0) and the row's id follow.  *id receives the row id.
 * enum store_dir_change or < 0.
 */
static int dir_put(struct store *st, enum store_dir_kind kind, const char *code,
                   const char *sql_insert, const char *sql_update, dir_bind_fn bind, int fields,
                   const void *row, int64_t parent, int64_t *id)
{
    struct db_stmt *s;
    int rc = dir_id(st, kind, code, id), insert = rc == -KP_ERR_NOTFOUND, p = fields + 1;

    if (rc < 0 && !insert)
        return rc;
    if ((s = store_stmt(st, insert ? sql_insert : sql_update)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    bind(s, row);
    if (parent)
        db_bind_int64(s, p++, parent);
    if (!insert)
        db_bind_int64(s, p, *id);
    if (insert) {
        if ((rc = store_step_id(st, s, id)) < 0)
            return rc == -KP_ERR_EXISTS ? -KP_ERR_INVAL : rc;
        return STORE_DIR_ADDED;
    }
    if ((rc = dir_step_done(st, s)) < 0)
        return rc;
    return db_changes(st->db) ? STORE_DIR_UPDATED : STORE_DIR_UNCHANGED;
}

static void dir_bind_names(struct db_stmt *s, int i, const struct store_dir_name *n)
{
    db_bind_text(s, i, n->en);
    db_bind_text(s, i + 1, n->ur);
    db_bind_text(s, i + 2, n->ps);
}

static void department_bind(struct db_stmt *s, const void *row)
{
    const struct store_dir_department *d = row;

    dir_bind_names(s, 2, &d->name);
    db_bind_int64(s, 5, d->sort);
}

int store_dir_department_put(struct store *st, const struct store_dir_department *d)
{
    int64_t id;

    return dir_put(st, STORE_DIR_DEPARTMENT, d->code, sql_department_insert, sql_department_update,
                   department_bind, DIR_F_DEPARTMENT, d, 0, &id);
}

static void district_bind(struct db_stmt *s, const void *row)
{
    const struct store_dir_district *d = row;

    dir_bind_names(s, 2, &d->name);
    db_bind_text(s, 5, d->division);
    db_bind_int64(s, 6, d->sort);
}

int store_dir_district_put(struct store *st, const struct store_dir_district *d)
{
    int64_t id;

    return dir_put(st, STORE_DIR_DISTRICT, d->code, sql_district_insert, sql_district_update,
                   district_bind, DIR_F_DISTRICT, d, 0, &id);
}

static void service_bind(struct db_stmt *s, const void *row)
{
    const struct store_dir_service *v = row;

    dir_bind_names(s, 2, &v->name);
    db_bind_text(s, 5, v->description.en);
    db_bind_text(s, 6, v->description.ur);
    db_bind_text(s, 7, v->fee);
    db_bind_text(s, 8, v->documents);
    db_bind_text(s, 9, v->processing_time);
    db_bind_text(s, 10, v->where_to_apply);
    db_bind_int64(s, 11, v->online ? 1 : 0);
    db_bind_int64(s, 12, v->ussd ? 1 : 0);
    db_bind_int64(s, 13, v->sort);
}

int store_dir_service_put(struct store *st, const struct store_dir_service *v)
{
    int64_t dept, id;
    int rc;

    if ((rc = dir_id(st, STORE_DIR_DEPARTMENT, v->department, &dept)) < 0)
        return rc;
    return dir_put(st, STORE_DIR_SERVICE, v->code, sql_service_insert, sql_service_update,
                   service_bind, DIR_F_SERVICE, v, dept, &id);
}

static void office_bind(struct db_stmt *s, const void *row)
{
    const struct store_dir_office *o = row;

    db_bind_text(s, 2, o->name.en);
    db_bind_text(s, 3, o->name.ur);
    db_bind_text(s, 4, o->address);
    db_bind_text(s, 5, o->hours);
    db_bind_text(s, 6, o->phone);
    db_bind_int64(s, 7, o->sort);
}

/* 1 when the office's stored links are ids[0..n) in that order, 0 if not, < 0 on error. */
static int office_links_same(struct store *st, int64_t office, const int64_t *ids, unsigned n)
{
    struct db_stmt *s = store_stmt(st, sql_office_links);
    unsigned i = 0;
    int rc, same = 1;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, office);
    while ((rc = db_step(s)) == DB_ROW) {
        if (i >= n || db_col_int64(s, 0) != ids[i])
            same = 0;
        i++;
    }
    db_reset(s);
    if (rc != DB_DONE)
        return -KP_ERR_DB;
    return same && i == n;
}

static int office_links_set(struct store *st, int64_t office, const int64_t *ids, unsigned n)
{
    struct db_stmt *s = store_stmt(st, sql_office_unlink);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, office);
    if ((rc = dir_step_done(st, s)) < 0)
        return rc;
    for (unsigned i = 0; i < n; i++) {
        if ((s = store_stmt(st, sql_office_link)) == NULL)
            return -KP_ERR_DB;
        db_bind_int64(s, 1, office);
        db_bind_int64(s, 2, ids[i]);
        db_bind_int64(s, 3, i + 1);
        if ((rc = dir_step_done(st, s)) < 0)
            return rc; /* a service listed twice breaks the primary key */
    }
    return 0;
}

int store_dir_office_put(struct store *st, const struct store_dir_office *o)
{
    int64_t district, id, ids[STORE_DIR_OFFICE_SERVICES];
    int rc, change;

    if (o->nservices > STORE_DIR_OFFICE_SERVICES)
        return -KP_ERR_INVAL;
    if ((rc = dir_id(st, STORE_DIR_DISTRICT, o->district, &district)) < 0)
        return rc;
    for (unsigned i = 0; i < o->nservices; i++)
        if ((rc = dir_id(st, STORE_DIR_SERVICE, o->services[i], &ids[i])) < 0)
            return rc;
    change = dir_put(st, STORE_DIR_OFFICE, o->code, sql_office_insert, sql_office_update,
                     office_bind, DIR_F_OFFICE, o, district, &id);
    if (change < 0)
        return change;
    if ((rc = office_links_same(st, id, ids, o->nservices)) < 0)
        return rc;
    if (rc == 1)
        return change;
    if ((rc = office_links_set(st, id, ids, o->nservices)) < 0)
        return rc;
    return change == STORE_DIR_UNCHANGED ? STORE_DIR_UPDATED : change;
}

int store_dir_office_remove(struct store *st, const char *code)
{
    struct db_stmt *s = store_stmt(st, sql_office_remove);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    return db_changes(st->db) ? 0 : -KP_ERR_NOTFOUND;
}

int store_dir_service_remove(struct store *st, const char *code, int cascade)
{
    struct db_stmt *s;
    int rc;

    if (cascade) {
        if ((s = store_stmt(st, sql_service_unlink)) == NULL)
            return -KP_ERR_DB;
        db_bind_text(s, 1, code);
        if ((rc = store_step_done(st, s)) < 0)
            return rc;
    }
    if ((s = store_stmt(st, sql_service_remove)) == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    /* Without cascade, office_service's foreign key refuses (-KP_ERR_EXISTS). */
    if ((rc = store_step_done(st, s)) < 0)
        return rc;
    return db_changes(st->db) ? 0 : -KP_ERR_NOTFOUND;
}

/* Step a single-row lookup: 1 with a row, or -KP_ERR_NOTFOUND / -KP_ERR_DB (reset). */
static int dir_get_step(struct db_stmt *s)
{
    int rc = db_step(s);

    if (rc == DB_ROW)
        return 1;
    db_reset(s);
    return rc == DB_DONE ? -KP_ERR_NOTFOUND : -KP_ERR_DB;
}

int store_dir_department_get(struct store *st, const char *code, struct store_dir_department *out)
{
    struct db_stmt *s = store_stmt(st, sql_department_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    if ((rc = dir_get_step(s)) < 0)
        return rc;
    store_col_text(s, 0, out->code, sizeof(out->code));
    dir_name_cols(s, 1, &out->name);
    out->sort = (unsigned)db_col_int64(s, 4);
    db_reset(s);
    struct dir_texts t = {&out->name, {NULL}};
    return dir_texts_load(st, STORE_DIR_DEPARTMENT, out->code, &t);
}

int store_dir_district_get(struct store *st, const char *code, struct store_dir_district *out)
{
    struct db_stmt *s = store_stmt(st, sql_district_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    if ((rc = dir_get_step(s)) < 0)
        return rc;
    store_col_text(s, 0, out->code, sizeof(out->code));
    dir_name_cols(s, 1, &out->name);
    store_col_text(s, 4, out->division, sizeof(out->division));
    out->sort = (unsigned)db_col_int64(s, 5);
    db_reset(s);
    struct dir_texts t = {&out->name, {NULL}};
    return dir_texts_load(st, STORE_DIR_DISTRICT, out->code, &t);
}

int store_dir_service_get(struct store *st, const char *code, struct store_dir_service *out)
{
    struct db_stmt *s = store_stmt(st, sql_service_get);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    if ((rc = dir_get_step(s)) < 0)
        return rc;
    store_col_text(s, 0, out->code, sizeof(out->code));
    store_col_text(s, 1, out->department, sizeof(out->department));
    dir_name_cols(s, 2, &out->name);
    store_col_text(s, 5, out->description.en, sizeof(out->description.en));
    store_col_text(s, 6, out->description.ur, sizeof(out->description.ur));
    store_col_text(s, 7, out->fee, sizeof(out->fee));
    store_col_text(s, 8, out->documents, sizeof(out->documents));
    store_col_text(s, 9, out->processing_time, sizeof(out->processing_time));
    store_col_text(s, 10, out->where_to_apply, sizeof(out->where_to_apply));
    out->online = db_col_int64(s, 11);
    out->ussd = db_col_int64(s, 12);
    out->sort = (unsigned)db_col_int64(s, 13);
    db_reset(s);
    memset(&out->docs, 0, sizeof(out->docs));
    memset(&out->where, 0, sizeof(out->where));
    memset(&out->keywords, 0, sizeof(out->keywords));
    out->description.ps[0] = out->description.ul[0] = '\0';
    snprintf(out->docs.en, sizeof(out->docs.en), "%s", out->documents);
    snprintf(out->where.en, sizeof(out->where.en), "%s", out->where_to_apply);
    struct dir_texts t = {&out->name, {NULL}};
    t.field[STORE_DIR_F_DESCRIPTION] = &out->description;
    t.field[STORE_DIR_F_DOCUMENTS] = &out->docs;
    t.field[STORE_DIR_F_WHERE] = &out->where;
    t.field[STORE_DIR_F_KEYWORDS] = &out->keywords;
    return dir_texts_load(st, STORE_DIR_SERVICE, out->code, &t);
}

int store_dir_office_get(struct store *st, const char *code, struct store_dir_office *out)
{
    struct db_stmt *s = store_stmt(st, sql_office_get);
    int64_t id;
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    db_bind_text(s, 1, code);
    if ((rc = dir_get_step(s)) < 0)
        return rc;
    id = db_col_int64(s, 0);
    store_col_text(s, 1, out->code, sizeof(out->code));
    store_col_text(s, 2, out->district, sizeof(out->district));
    store_col_text(s, 3, out->name.en, sizeof(out->name.en));
    store_col_text(s, 4, out->name.ur, sizeof(out->name.ur));
    out->name.ps[0] = out->name.ul[0] = '\0';
    store_col_text(s, 5, out->address, sizeof(out->address));
    memset(&out->addr, 0, sizeof(out->addr));
    snprintf(out->addr.en, sizeof(out->addr.en), "%s", out->address);
    store_col_text(s, 6, out->hours, sizeof(out->hours));
    store_col_text(s, 7, out->phone, sizeof(out->phone));
    out->sort = (unsigned)db_col_int64(s, 8);
    db_reset(s);
    if ((s = store_stmt(st, sql_office_services)) == NULL)
        return -KP_ERR_DB;
    db_bind_int64(s, 1, id);
    out->nservices = 0;
    while ((rc = db_step(s)) == DB_ROW && out->nservices < STORE_DIR_OFFICE_SERVICES)
        store_col_text(s, 0, out->services[out->nservices++], STORE_DIR_CODE_SIZE);
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return -KP_ERR_DB;
    struct dir_texts t = {&out->name, {NULL}};
    t.field[STORE_DIR_F_ADDRESS] = &out->addr;
    return dir_texts_load(st, STORE_DIR_OFFICE, out->code, &t);
}

int store_dir_count(struct store *st, struct store_dir_counts *out)
{
    struct db_stmt *s = store_stmt(st, sql_count);
    int rc;

    if (s == NULL)
        return -KP_ERR_DB;
    if ((rc = db_step(s)) == DB_ROW) {
        out->departments = (unsigned)db_col_int64(s, 0);
        out->districts = (unsigned)db_col_int64(s, 1);
        out->services = (unsigned)db_col_int64(s, 2);
        out->offices = (unsigned)db_col_int64(s, 3);
        out->links = (unsigned)db_col_int64(s, 4);
    }
    db_reset(s);
    return rc == DB_ROW ? 0 : -KP_ERR_DB;
}
