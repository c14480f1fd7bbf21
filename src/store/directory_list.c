/* SPDX-License-Identifier: ISC */
/*
 * The services directory, many rows at a time: the paginated lists the
 * USSD menus walk (departments, services of a department, districts with
 * offices, offices of a district or of a service), keyword search over
 * the FTS5 index of the service texts, and whole walks for kpass.
 *
 * Every list runs on an index that yields its rows in order
 * (department_sort, service_department, district_sort, office_district,
 * office_service_service): a page costs the rows it skips and returns,
 * never a sort of the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory_internal.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "store_internal.h"

/*
 * A list query and the parameters it has, numbered in this order from ?1
 * (dir_query_bind): the page's limit and offset, the parent's code
 * (copied into each item; CAST: a parameter that is only selected has no
 * type PostgreSQL could infer), a row id, a second row id, the main
 * departments wanted (DIR_OFF_MAIN_IN).  Names:
 * DIR_*_NAMES (directory_internal.h).
 */
enum {
    DIR_Q_PAGE = 1,   /* limit, offset */
    DIR_Q_PARENT = 2, /* text */
    DIR_Q_ID = 4,     /* NULL when 0 */
    DIR_Q_ID2 = 8,
    DIR_Q_DEPTS = 16, /* text: dir_depts_key's " CODE CODE ", NULL: any */
};

struct dir_sql {
    const char *sql;
    unsigned params; /* DIR_Q_* */
};

static const struct dir_sql sql_department_list = {
    "SELECT x.code, '', " DIR_DEPT_NAMES("x") " FROM department x ORDER BY x.sort, x.code "
                                              "LIMIT ?1 OFFSET ?2",
    DIR_Q_PAGE};
static const struct dir_sql sql_department_total = {"SELECT count(*) FROM department", 0};
static const struct dir_sql sql_service_list = {
    "SELECT x.code, CAST(?3 AS TEXT), " DIR_SERV_NAMES(
        "x") " FROM service x WHERE x.department_id = ?4 "
             "ORDER BY x.sort, x.code LIMIT ?1 OFFSET ?2",
    DIR_Q_PAGE | DIR_Q_PARENT | DIR_Q_ID};
static const struct dir_sql sql_service_total = {
    "SELECT count(*) FROM service WHERE department_id = ?1", DIR_Q_ID};
/* Every district: one without an office of its own lists the nearest. */
static const struct dir_sql sql_district_list = {
    "SELECT x.code, '', " DIR_DIST_NAMES("x") " FROM district x ORDER BY x.sort, x.code "
                                              "LIMIT ?1 OFFSET ?2",
    DIR_Q_PAGE};
static const struct dir_sql sql_district_total = {"SELECT count(*) FROM district", 0};
static const struct dir_sql sql_district_in = {
    "SELECT x.code, CAST(?3 AS TEXT), " DIR_DIST_NAMES("x") " FROM district x WHERE x.division = "
                                                            "?3 ORDER BY x.sort, x.code LIMIT ?1 "
                                                            "OFFSET ?2",
    DIR_Q_PAGE | DIR_Q_PARENT};
static const struct dir_sql sql_district_in_total = {
    "SELECT count(*) FROM district WHERE division = ?1", DIR_Q_PARENT};
static const struct dir_sql sql_office_list = {
    "SELECT x.code, CAST(?3 AS TEXT), " DIR_OFF_NAMES("x") " FROM office x WHERE x.district_id = "
                                                           "?4 ORDER BY x.sort, x.code LIMIT ?1 "
                                                           "OFFSET ?2",
    DIR_Q_PAGE | DIR_Q_PARENT | DIR_Q_ID};
static const struct dir_sql sql_office_total = {
    "SELECT count(*) FROM office WHERE district_id = ?1", DIR_Q_ID};
static const struct dir_sql sql_office_find = {
    "SELECT o.code, d.code, " DIR_OFF_NAMES(
        "o") " FROM office_service os "
             "JOIN office o ON o.id = os.office_id JOIN district d ON d.id = o.district_id "
             "WHERE os.service_id = ?3 ORDER BY o.sort, o.code LIMIT ?1 OFFSET ?2",
    DIR_Q_PAGE | DIR_Q_ID};
static const struct dir_sql sql_office_find_total = {
    "SELECT count(*) FROM office_service WHERE service_id = ?1", DIR_Q_ID};
static const struct dir_sql sql_office_find_in = {
    "SELECT o.code, CAST(?3 AS TEXT), " DIR_OFF_NAMES(
        "o") " FROM office o WHERE o.district_id = ?5 AND "
             "EXISTS (SELECT 1 FROM office_service os WHERE "
             "os.office_id = o.id AND os.service_id = ?4) "
             "ORDER BY o.sort, o.code LIMIT ?1 OFFSET ?2",
    DIR_Q_PAGE | DIR_Q_PARENT | DIR_Q_ID | DIR_Q_ID2};
static const struct dir_sql sql_office_find_in_total = {
    "SELECT count(*) FROM office o WHERE district_id = ?2 AND EXISTS "
    "(SELECT 1 FROM office_service os WHERE os.office_id = o.id AND os.service_id = ?1)",
    DIR_Q_ID | DIR_Q_ID2};
/*
 * An office's main department: that of the first service it lists (the
 * order of offices.csv), so that every office with a service is in
 * exactly one department's list.  ?P is the wanted department codes with
 * a space before and after each (" EDU HED "), bound as a parameter; the
 * code is in it when removing it changes it (replace(), where SQLite
 * would say instr and PostgreSQL strpos; both case-sensitive, as instr).
 */
#define DIR_OFF_MAIN_IN(A, P)                                                                      \
    "replace(CAST(?" P                                                                             \
    " AS TEXT), ' ' || (SELECT d6.code FROM office_service os6 JOIN service s6 ON s6.id = "        \
    "os6.service_id JOIN department d6 ON d6.id = s6.department_id WHERE os6.office_id = " A       \
    ".id ORDER BY os6.pos LIMIT 1) || ' ', '') <> CAST(?" P " AS TEXT)"
static const struct dir_sql sql_office_dept = {
    "SELECT x.code, CAST(?3 AS TEXT), " DIR_OFF_NAMES(
        "x") " FROM office x WHERE x.district_id = ?4 AND " DIR_OFF_MAIN_IN("x",
                                                                            "5") " ORDER BY "
                                                                                 "x.sort, x.code "
                                                                                 "LIMIT ?1 "
                                                                                 "OFFSET ?2",
    DIR_Q_PAGE | DIR_Q_PARENT | DIR_Q_ID | DIR_Q_DEPTS};
static const struct dir_sql sql_office_dept_total = {
    "SELECT count(*) FROM office x WHERE x.district_id = ?1 AND " DIR_OFF_MAIN_IN("x", "2"),
    DIR_Q_ID | DIR_Q_DEPTS};
/* For store_dir_office_near: the distance table, and the offices of one
   district (?2; with ?1, a service id, only those offering it; with ?3,
   only those of those main departments). */
static const char sql_distances[] = "SELECT district_id, near_id, km FROM district_distance";
static const struct dir_sql sql_office_in = {
    "SELECT o.code, d.code, " DIR_OFF_NAMES(
        "o") " FROM office o "
             "JOIN district d ON d.id = o.district_id WHERE o.district_id = ?2 AND (?1 IS NULL "
             "OR EXISTS (SELECT 1 FROM office_service os WHERE os.office_id = o.id AND "
             "os.service_id = ?1)) AND (CAST(?3 AS TEXT) IS NULL OR " DIR_OFF_MAIN_IN(
                 "o", "3") ") "
                           "ORDER BY "
                           "o.sort, o.code",
    DIR_Q_ID | DIR_Q_ID2 | DIR_Q_DEPTS};
#define DIR_STR_(x) #x
#define DIR_STR(x)  DIR_STR_(x)
/* Best first: BM25 with names (en, ur, ps) ten times the descriptions;
   at most STORE_DIR_SEARCH_MAX.  SQLite's FTS5: store_dir_service_search
   runs it on SQLite only. */
static const char sql_search[] = "SELECT s.code, d.code, " DIR_SERV_NAMES(
    "s") " FROM service_fts "
         "JOIN service s ON s.id = service_fts.rowid JOIN department d ON d.id = s.department_id "
         "WHERE service_fts MATCH ?1 "
         "ORDER BY bm25(service_fts, 10.0, 10.0, 10.0, 1.0, 1.0), s.sort, s.code "
         "LIMIT " DIR_STR(STORE_DIR_SEARCH_MAX);
/* The same on PostgreSQL, which has no bm25: every service with the texts
   service_fts indexes, in the order that breaks ties (directory_rank.c
   finds and ranks them as FTS5 would). */
static const char sql_search_pg[] = "SELECT s.code, d.code, " DIR_SERV_NAMES(
    "s") ", s.name_en, s.name_ur, s.name_ps, s.description_en, s.description_ur "
         "FROM service s JOIN department d ON d.id = s.department_id ORDER BY s.sort, s.code";
#define DIR_PG_TEXT_COL 6 /* the first of the five texts */
/* Every service with its names and its keywords in each language (one
   row each in dir_text: a subquery per language, where SQLite would say
   group_concat and PostgreSQL string_agg), for the typing-error rule. */
#define DIR_KEYWORDS(L)                                                                            \
    "coalesce((SELECT text FROM dir_text t WHERE t.kind = 'service' AND t.code = s.code AND "      \
    "t.field = 'keywords' AND t.lang = '" L "'), '')"
#define DIR_KEYWORD_COL 6 /* the first of the four */
static const char sql_search_fuzzy[] =
    "SELECT s.code, d.code, " DIR_SERV_NAMES("s") ", " DIR_KEYWORDS("en") ", " DIR_KEYWORDS(
        "ps") ", " DIR_KEYWORDS("ur") ", " DIR_KEYWORDS("ur-Latn") " FROM service s JOIN "
                                                                   "department d ON d.id = "
                                                                   "s.department_id ORDER BY "
                                                                   "d.sort, s.sort, s.code";
/* FTS5 'optimize' command: merge the index's segments into one. */
static const char sql_search_optimize[] =
    "INSERT INTO service_fts (service_fts) VALUES ('optimize')";
static const struct dir_sql sql_service_all = {
    "SELECT s.code, d.code, " DIR_SERV_NAMES(
        "s") " FROM department d "
             "JOIN service s ON s.department_id = d.id ORDER BY d.sort, d.code, s.sort, s.code",
    0};
static const struct dir_sql sql_service_each = {
    "SELECT x.code, CAST(?1 AS TEXT), " DIR_SERV_NAMES(
        "x") " FROM service x WHERE x.department_id = ?2 "
             "ORDER BY x.sort, x.code",
    DIR_Q_PARENT | DIR_Q_ID};
static const struct dir_sql sql_office_all = {
    "SELECT o.code, d.code, " DIR_OFF_NAMES(
        "o") " FROM district d "
             "JOIN office o ON o.district_id = d.id ORDER BY d.sort, d.code, o.sort, o.code",
    0};
static const struct dir_sql sql_office_each = {
    "SELECT x.code, CAST(?1 AS TEXT), " DIR_OFF_NAMES("x") " FROM office x WHERE x.district_id = "
                                                           "?2 ORDER BY x.sort, x.code",
    DIR_Q_PARENT | DIR_Q_ID};

/* What one list query needs bound. */
struct dir_query {
    const char *parent; /* DIR_Q_PARENT */
    int64_t id;         /* DIR_Q_ID, or 0 */
    int64_t id2;        /* DIR_Q_ID2, or 0 */
    const char *depts;  /* DIR_Q_DEPTS: " CODE CODE " (dir_depts_key), or NULL */
};

/* Bind the parameters q of the statement of sql has, from ?1 (limit and
   offset too when it is a page). */
static void dir_query_bind(struct db_stmt *s, const struct dir_sql *sql, const struct dir_query *q,
                           unsigned limit, unsigned offset)
{
    int i = 1;

    if (sql->params & DIR_Q_PAGE) {
        db_bind_int64(s, i++, limit);
        db_bind_int64(s, i++, offset);
    }
    if (sql->params & DIR_Q_PARENT)
        db_bind_text(s, i++, q->parent);
    if ((sql->params & DIR_Q_ID) && q->id)
        db_bind_int64(s, i, q->id);
    i += (sql->params & DIR_Q_ID) != 0;
    if ((sql->params & DIR_Q_ID2) && q->id2)
        db_bind_int64(s, i, q->id2);
    i += (sql->params & DIR_Q_ID2) != 0;
    if (sql->params & DIR_Q_DEPTS)
        db_bind_text(s, i, q->depts);
}

#define DIR_DEPTS_SIZE 256 /* " CODE CODE ... " of a department filter */
/*
 * Department codes as the SQL of a main-department filter wants them:
 * each word of depts with one space before and after ("EDU  HED" ->
 * " EDU HED "), so that instr() matches whole codes only.  Returns the
 * number of codes, or -KP_ERR_INVAL when there is none or they are too
 * long together.
 */
static int dir_depts_key(const char *depts, char *out, size_t cap)
{
    size_t n = 0;
    int codes = 0;

    if (cap < 2)
        return -KP_ERR_INVAL;
    out[n++] = ' ';
    for (const char *p = depts; *p;) {
        size_t len = strcspn(p, " ");
        if (len > 0) {
            if (n + len + 2 > cap)
                return -KP_ERR_INVAL;
            memcpy(out + n, p, len);
            n += len;
            out[n++] = ' ';
            codes++;
        }
        p += len + (p[len] == ' ');
    }
    out[n] = '\0';
    return codes ? codes : -KP_ERR_INVAL;
}

static void dir_item_row(struct db_stmt *s, struct store_dir_item *it)
{
    store_col_text(s, 0, it->code, sizeof(it->code));
    store_col_text(s, 1, it->parent, sizeof(it->parent));
    dir_name_row(s, 2, &it->name);
}

/* One page of sql into out, and the count of sql_total into *total. */
static int dir_page(struct store *st, const struct dir_sql *sql, const struct dir_sql *sql_total,
                    const struct dir_query *q, unsigned offset, unsigned limit,
                    struct store_dir_item *out, unsigned *total)
{
    struct db_stmt *s;
    unsigned n = 0;
    int rc = DB_DONE;

    if (limit > STORE_DIR_PAGE_MAX)
        return -KP_ERR_RANGE;
    if (limit > 0) {
        if ((s = store_stmt(st, sql->sql)) == NULL)
            return -KP_ERR_DB;
        dir_query_bind(s, sql, q, limit, offset);
        while (n < limit && (rc = db_step(s)) == DB_ROW)
            dir_item_row(s, &out[n++]);
        db_reset(s);
        if (rc != DB_ROW && rc != DB_DONE)
            return -KP_ERR_DB;
    }
    if (total) {
        if ((s = store_stmt(st, sql_total->sql)) == NULL)
            return -KP_ERR_DB;
        dir_query_bind(s, sql_total, q, 0, 0);
        rc = db_step(s);
        *total = rc == DB_ROW ? (unsigned)db_col_int64(s, 0) : 0;
        db_reset(s);
        if (rc != DB_ROW)
            return -KP_ERR_DB;
    }
    return (int)n;
}

int store_dir_department_list(struct store *st, unsigned offset, unsigned limit,
                              struct store_dir_item *out, unsigned *total)
{
    struct dir_query q = {NULL, 0, 0, NULL};

    return dir_page(st, &sql_department_list, &sql_department_total, &q, offset, limit, out, total);
}

int store_dir_service_list(struct store *st, const char *department, unsigned offset,
                           unsigned limit, struct store_dir_item *out, unsigned *total)
{
    struct dir_query q = {department, 0, 0, NULL};
    int rc = dir_id(st, STORE_DIR_DEPARTMENT, department, &q.id);

    if (rc < 0)
        return rc;
    return dir_page(st, &sql_service_list, &sql_service_total, &q, offset, limit, out, total);
}

int store_dir_district_list(struct store *st, unsigned offset, unsigned limit,
                            struct store_dir_item *out, unsigned *total)
{
    struct dir_query q = {NULL, 0, 0, NULL};

    return dir_page(st, &sql_district_list, &sql_district_total, &q, offset, limit, out, total);
}

int store_dir_district_list_in(struct store *st, const char *division, unsigned offset,
                               unsigned limit, struct store_dir_item *out, unsigned *total)
{
    struct dir_query q = {division, 0, 0, NULL};

    return dir_page(st, &sql_district_in, &sql_district_in_total, &q, offset, limit, out, total);
}

int store_dir_office_list(struct store *st, const char *district, unsigned offset, unsigned limit,
                          struct store_dir_item *out, unsigned *total)
{
    struct dir_query q = {district, 0, 0, NULL};
    int rc = dir_id(st, STORE_DIR_DISTRICT, district, &q.id);

    if (rc < 0)
        return rc;
    return dir_page(st, &sql_office_list, &sql_office_total, &q, offset, limit, out, total);
}

int store_dir_office_list_dept(struct store *st, const char *district, const char *depts,
                               unsigned offset, unsigned limit, struct store_dir_item *out,
                               unsigned *total)
{
    char key[DIR_DEPTS_SIZE];
    struct dir_query q = {district, 0, 0, key};
    int rc = dir_depts_key(depts, key, sizeof(key));

    if (rc < 0 || (rc = dir_id(st, STORE_DIR_DISTRICT, district, &q.id)) < 0)
        return rc;
    return dir_page(st, &sql_office_dept, &sql_office_dept_total, &q, offset, limit, out, total);
}

/* One road of the distance table. */
struct dir_road {
    int64_t from, to;
    unsigned km;
};

/* The distance table, both ways as stored; *n roads (freed by the caller). */
static int dir_roads(struct store *st, struct dir_road **out, size_t *n)
{
    struct db_stmt *s = store_stmt(st, sql_distances);
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (s == NULL)
        return -KP_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            *out = kp_realloc(*out, cap * sizeof(**out));
        }
        (*out)[*n].from = db_col_int64(s, 0);
        (*out)[*n].to = db_col_int64(s, 1);
        (*out)[(*n)++].km = (unsigned)db_col_int64(s, 2);
    }
    db_reset(s);
    return rc == DB_DONE ? 0 : -KP_ERR_DB;
}

/*
 * Dijkstra over the distance table from district id `from`: the other
 * districts it reaches, nearest first, into near[] (ids; *nnear of them).
 * A few dozen districts and a few hundred roads: a linear scan for the next
 * nearest is plenty.
 */
static void dir_nearest(const struct dir_road *r, size_t nr, int64_t from, int64_t *near,
                        size_t *nnear, size_t cap)
{
    int64_t *id = kp_calloc(2 * nr + 1, sizeof(*id));
    unsigned *dist = kp_calloc(2 * nr + 1, sizeof(*dist));
    unsigned char *done = kp_calloc(2 * nr + 1, 1);
    size_t n = 0;

    id[n] = from, dist[n++] = 0;
    *nnear = 0;
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && (best == n || dist[i] < dist[best]))
                best = i;
        if (best == n)
            break;
        done[best] = 1;
        if (id[best] != from && *nnear < cap)
            near[(*nnear)++] = id[best];
        for (size_t k = 0; k < nr; k++) {
            size_t j;
            if (r[k].from != id[best])
                continue;
            for (j = 0; j < n && id[j] != r[k].to; j++)
                ;
            if (j == n)
                id[n] = r[k].to, dist[n] = UINT32_MAX, n++;
            if (!done[j] && dist[best] + r[k].km < dist[j])
                dist[j] = dist[best] + r[k].km;
        }
    }
    free(id);
    free(dist);
    free(done);
}

/* store_dir_office_near and store_dir_office_near_dept: the offices of
   the nearest districts offering service (if not NULL) and of a main
   department in depts_key (if not NULL, as dir_depts_key makes it). */
static int dir_office_near(struct store *st, const char *district, const char *service,
                           const char *depts_key, unsigned offset, unsigned limit,
                           struct store_dir_item *out, unsigned *total)
{
    struct store_dir_item found[STORE_DIR_NEAR_MAX];
    struct dir_road *roads;
    int64_t from, svc = 0, *near;
    size_t nroads, nnear;
    unsigned n = 0, got = 0;
    int rc;

    if (limit > STORE_DIR_PAGE_MAX)
        return -KP_ERR_RANGE;
    if ((rc = dir_id(st, STORE_DIR_DISTRICT, district, &from)) < 0)
        return rc;
    if (service && (rc = dir_id(st, STORE_DIR_SERVICE, service, &svc)) < 0)
        return rc;
    if ((rc = dir_roads(st, &roads, &nroads)) < 0) {
        free(roads);
        return rc;
    }
    near = kp_calloc(nroads + 1, sizeof(*near));
    dir_nearest(roads, nroads, from, near, &nnear, nroads + 1);
    free(roads);
    /* The offices of the nearest districts, in order, up to the cap. */
    for (size_t i = 0; rc == 0 && i < nnear && n < STORE_DIR_NEAR_MAX; i++) {
        struct db_stmt *s = store_stmt(st, sql_office_in.sql);
        struct dir_query q = {NULL, svc, near[i], depts_key};
        if (s == NULL) {
            rc = -KP_ERR_DB;
            break;
        }
        dir_query_bind(s, &sql_office_in, &q, 0, 0);
        while (n < STORE_DIR_NEAR_MAX && (rc = db_step(s)) == DB_ROW)
            dir_item_row(s, &found[n++]);
        db_reset(s);
        rc = rc == DB_ROW || rc == DB_DONE ? 0 : -KP_ERR_DB;
    }
    free(near);
    if (rc < 0)
        return rc;
    for (unsigned i = offset; i < n && got < limit; i++)
        out[got++] = found[i];
    if (total)
        *total = n;
    return (int)got;
}

int store_dir_office_near(struct store *st, const char *district, const char *service,
                          unsigned offset, unsigned limit, struct store_dir_item *out,
                          unsigned *total)
{
    return dir_office_near(st, district, service, NULL, offset, limit, out, total);
}

int store_dir_office_near_dept(struct store *st, const char *district, const char *depts,
                               unsigned offset, unsigned limit, struct store_dir_item *out,
                               unsigned *total)
{
    char key[DIR_DEPTS_SIZE];
    int rc = dir_depts_key(depts, key, sizeof(key));

    if (rc < 0)
        return rc;
    return dir_office_near(st, district, NULL, key, offset, limit, out, total);
}

int store_dir_office_find(struct store *st, const char *service, const char *district,
                          unsigned offset, unsigned limit, struct store_dir_item *out,
                          unsigned *total)
{
    struct dir_query q = {district, 0, 0, NULL};
    int rc = dir_id(st, STORE_DIR_SERVICE, service, &q.id);

    if (rc < 0)
        return rc;
    if (district == NULL)
        return dir_page(st, &sql_office_find, &sql_office_find_total, &q, offset, limit, out,
                        total);
    if ((rc = dir_id(st, STORE_DIR_DISTRICT, district, &q.id2)) < 0)
        return rc;
    return dir_page(st, &sql_office_find_in, &sql_office_find_in_total, &q, offset, limit, out,
                    total);
}

/* A byte that can be part of a word: an ASCII letter or digit, or any byte
   of a multi-byte UTF-8 character (the tokenizer decides about those). */
static int dir_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/*
 * Turn the query into an FTS5 expression: each word becomes a quoted
 * string with its quotes doubled, marked as a prefix, and the words are
 * joined by AND ("veh reg" -> "veh"* AND "reg"*).  Quoting makes every
 * byte of the input literal text to the FTS5 query syntax (SQLite FTS5
 * §3.1, "strings").  Words without a letter or digit are dropped.
 * Returns the number of words kept.
 */
static int dir_search_expr(const char *query, char *out, size_t cap)
{
    size_t n = 0;
    int words = 0;
    const char *p = query;

    while (*p && words < STORE_DIR_QUERY_WORDS) {
        const char *w;
        int useful = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        for (w = p; *p && *p != ' ' && *p != '\t'; p++)
            useful |= dir_word_byte((unsigned char)*p);
        if (!useful)
            continue;
        /* Worst case: every byte doubled, plus AND, quotes and '*'. */
        if (n + 2 * (size_t)(p - w) + 10 >= cap)
            break;
        if (words++) {
            memcpy(out + n, " AND ", 5);
            n += 5;
        }
        out[n++] = '"';
        for (; w < p; w++) {
            if (*w == '"')
                out[n++] = '"';
            out[n++] = *w;
        }
        out[n++] = '"';
        out[n++] = '*';
    }
    out[n] = '\0';
    return words;
}

/* A service found by the search, and how well (0 best). */
struct dir_hit {
    struct store_dir_item item;
    unsigned score;
};

/* The words of query (the first STORE_DIR_QUERY_WORDS), NUL-separated in
   buf; returns their count. */
static int dir_query_words(const char *query, char *buf, size_t cap, const char **w)
{
    int n = 0;

    snprintf(buf, cap, "%s", query);
    for (char *p = buf; *p && n < STORE_DIR_QUERY_WORDS;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* The names of a sql_search_fuzzy row and its keywords (the non-empty ones,
   one space apart) as one text. */
static void dir_fuzzy_text(struct db_stmt *s, char *text, size_t cap)
{
    int n = snprintf(text, cap, "%s %s %s %s ", db_col_text(s, 2), db_col_text(s, 3),
                     db_col_text(s, 4), db_col_text(s, 5));
    const char *sep = "";

    for (int i = DIR_KEYWORD_COL; i < DIR_KEYWORD_COL + 4 && n >= 0 && (size_t)n < cap; i++) {
        const char *k = db_col_text(s, i);
        if (k == NULL || k[0] == '\0')
            continue;
        n += snprintf(text + n, cap - (size_t)n, "%s%s", sep, k);
        sep = " ";
    }
}

/*
 * The typing-error pass: append to hits (n of them, at most cap) every
 * service not found yet whose names or keywords are within the edit bound
 * of every query word, fewest edits first, then file order.
 */
static int dir_search_fuzzy(struct store *st, const char *query, struct dir_hit *hits, unsigned *n,
                            unsigned cap)
{
    char buf[STORE_DIR_QUERY_MAX + 1], text[6 * STORE_DIR_NAME_SIZE + STORE_DIR_DESC_SIZE];
    const char *w[STORE_DIR_QUERY_WORDS];
    struct db_stmt *s;
    unsigned first = *n;
    int words = dir_query_words(query, buf, sizeof(buf), w), rc;

    if (words == 0 || (s = store_stmt(st, sql_search_fuzzy)) == NULL)
        return words == 0 ? 0 : -KP_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        unsigned score = 0, k;
        int ok = 1;
        const char *code = db_col_text(s, 0);
        for (k = 0; k < *n; k++)
            if (strcmp(hits[k].item.code, code) == 0)
                break;
        if (k < *n)
            continue; /* found by the word search already */
        dir_fuzzy_text(s, text, sizeof(text));
        for (int i = 0; i < words && ok; i++) {
            int d = store_dir_fuzzy_match(w[i], text);
            ok = d >= 0;
            score += ok ? (unsigned)d : 0;
        }
        if (!ok)
            continue;
        /* Keep the pass sorted by score, file order among equals. */
        for (k = *n; k > first && hits[k - 1].score > score; k--)
            if (k < cap)
                hits[k] = hits[k - 1];
        if (k >= cap)
            continue;
        dir_item_row(s, &hits[k].item);
        hits[k].score = score;
        if (*n < cap)
            (*n)++;
    }
    db_reset(s);
    return rc == DB_DONE ? 0 : -KP_ERR_DB;
}

/* A service the PostgreSQL search found: its row, how bm25 sees it, its
   bm25, and its place in sql_search_pg (which breaks ties). */
struct dir_ranked {
    struct store_dir_item item;
    struct dir_bm25_row row;
    double score;
    unsigned order;
};

/* Best bm25 first (the lowest), then sql_search_pg's order, as sql_search. */
static int dir_ranked_cmp(const void *a, const void *b)
{
    const struct dir_ranked *x = a, *y = b;

    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * The word search on PostgreSQL: every service read; those with every
 * phrase of query ranked by FTS5's bm25 over the counts of all of them
 * (rows, words, rows with each phrase: what FTS5 keeps in its index), the
 * best STORE_DIR_SEARCH_MAX into hits (*n of them).  The service table is
 * small (hundreds of rows): reading it is cheaper than a second index.
 */
static int dir_search_pg(struct store *st, const char *query, struct dir_hit *hits, unsigned *n)
{
    struct dir_bm25_query *q = kp_calloc(1, sizeof(*q));
    struct dir_ranked *found = NULL;
    struct db_stmt *s = NULL;
    size_t cap = 0, nfound = 0;
    long rows = 0, words = 0, with[STORE_DIR_QUERY_WORDS] = {0};
    double idf[STORE_DIR_QUERY_WORDS];
    int rc = -KP_ERR_INVAL;

    if (dir_bm25_query(query, q) == 0 || (s = store_stmt(st, sql_search_pg)) == NULL) {
        rc = q->n == 0 ? -KP_ERR_INVAL : -KP_ERR_DB;
        goto out;
    }
    while ((rc = db_step(s)) == DB_ROW) {
        const char *col[DIR_BM25_COLS];
        struct dir_bm25_row r;
        for (int c = 0; c < DIR_BM25_COLS; c++)
            col[c] = db_col_text(s, DIR_PG_TEXT_COL + c);
        dir_bm25_row(q, col, &r);
        rows++;
        words += r.len;
        for (int i = 0; i < q->n; i++)
            with[i] += r.freq[i] > 0.0;
        if (!r.match)
            continue;
        found = kp_grow(found, &cap, nfound + 1, sizeof(*found));
        dir_item_row(s, &found[nfound].item);
        found[nfound].row = r;
        found[nfound].order = (unsigned)nfound;
        nfound++;
    }
    db_reset(s);
    if (rc != DB_DONE) {
        rc = -KP_ERR_DB;
        goto out;
    }
    for (int i = 0; i < q->n; i++)
        idf[i] = dir_bm25_idf(rows, with[i]);
    for (size_t k = 0; k < nfound; k++)
        found[k].score = dir_bm25_score(q, &found[k].row, idf, (double)words / (double)rows);
    if (nfound > 1) /* found is NULL when nothing is */
        qsort(found, nfound, sizeof(*found), dir_ranked_cmp);
    for (*n = 0; *n < nfound && *n < STORE_DIR_SEARCH_MAX; (*n)++)
        hits[*n].item = found[*n].item;
    rc = 0;
out:
    free(found);
    free(q);
    return rc;
}

int store_dir_service_search(struct store *st, const char *query, unsigned offset, unsigned limit,
                             struct store_dir_item *out, unsigned *total)
{
    /* FTS5: every byte doubled at worst, and " AND ", quotes and '*'. */
    char expr[2 * STORE_DIR_QUERY_MAX + 10 * STORE_DIR_QUERY_WORDS + 16];
    struct dir_hit *hits;
    struct db_stmt *s;
    unsigned i, n = 0, got = 0;
    int rc = DB_DONE; /* STORE_DIR_SEARCH_MAX > 0: the loop sets it */

    if (limit > STORE_DIR_PAGE_MAX)
        return -KP_ERR_RANGE;
    if (strlen(query) > STORE_DIR_QUERY_MAX)
        return -KP_ERR_INVAL;
    /* The ranked word search first (FTS5's on SQLite, the same ranks
       computed here on PostgreSQL), then the typing-error pass. */
    if (db_kind(st->db) != DB_SQLITE) {
        hits = kp_calloc(STORE_DIR_SEARCH_MAX, sizeof(*hits));
        if ((rc = dir_search_pg(st, query, hits, &n)) < 0) {
            free(hits);
            return rc;
        }
        rc = DB_DONE;
    } else {
        if (dir_search_expr(query, expr, sizeof(expr)) == 0)
            return -KP_ERR_INVAL;
        if ((s = store_stmt(st, sql_search)) == NULL)
            return -KP_ERR_DB;
        hits = kp_calloc(STORE_DIR_SEARCH_MAX, sizeof(*hits));
        db_bind_text(s, 1, expr);
        while (n < STORE_DIR_SEARCH_MAX && (rc = db_step(s)) == DB_ROW)
            dir_item_row(s, &hits[n++].item);
        db_reset(s);
    }
    if (rc != DB_DONE && rc != DB_ROW)
        rc = -KP_ERR_DB;
    else
        rc = dir_search_fuzzy(st, query, hits, &n, STORE_DIR_SEARCH_MAX);
    for (i = offset; rc == 0 && i < n && got < limit; i++)
        out[got++] = hits[i].item;
    free(hits);
    if (rc < 0)
        return rc;
    if (total)
        *total = n;
    return (int)got;
}

int store_dir_optimize(struct store *st)
{
    if (db_kind(st->db) != DB_SQLITE)
        return 0; /* no FTS5 index to merge */
    return store_exec(st, sql_search_optimize);
}

static int dir_each(struct store *st, const struct dir_sql *sql, const struct dir_query *q,
                    store_dir_each_fn fn, void *ctx)
{
    struct db_stmt *s = store_stmt(st, sql->sql);
    struct store_dir_item it;
    int rc, stop = 0;

    if (s == NULL)
        return -KP_ERR_DB;
    dir_query_bind(s, sql, q, 0, 0);
    while ((rc = db_step(s)) == DB_ROW) {
        dir_item_row(s, &it);
        if ((stop = fn(ctx, &it)) != 0)
            break;
    }
    db_reset(s);
    if (stop)
        return stop;
    return rc == DB_DONE ? 0 : -KP_ERR_DB;
}

int store_dir_service_each(struct store *st, const char *department, store_dir_each_fn fn,
                           void *ctx)
{
    struct dir_query q = {department, 0, 0, NULL};
    int rc;

    if (department == NULL)
        return dir_each(st, &sql_service_all, &q, fn, ctx);
    if ((rc = dir_id(st, STORE_DIR_DEPARTMENT, department, &q.id)) < 0)
        return rc;
    return dir_each(st, &sql_service_each, &q, fn, ctx);
}

int store_dir_office_each(struct store *st, const char *district, store_dir_each_fn fn, void *ctx)
{
    struct dir_query q = {district, 0, 0, NULL};
    int rc;

    if (district == NULL)
        return dir_each(st, &sql_office_all, &q, fn, ctx);
    if ((rc = dir_id(st, STORE_DIR_DISTRICT, district, &q.id)) < 0)
        return rc;
    return dir_each(st, &sql_office_each, &q, fn, ctx);
}
