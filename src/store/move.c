/* SPDX-License-Identifier: ISC */
/*
 * store_move_copy(): a SQLite installation into a PostgreSQL schema.  The
 * tables come from the source's catalogue (sqlite_master), the columns and
 * their types from both catalogues, the order from the target's foreign
 * keys: a table added to the schema later is copied without anyone
 * remembering to list it here, and one the PostgreSQL schema lacks stops
 * the move instead of being dropped.
 *
 * These are the only statements of the store built at run time: a table
 * or column name is spliced in only after it was read from a catalogue
 * AND passed mv_ident_ok() (lower-case letters, digits, '_'), and it is
 * quoted as well; every value still goes through a bound parameter.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/move.h"
#include "store_internal.h"

#define MV_COLS  64   /* columns of one table (the widest has 24) */
#define MV_SQL   4096 /* one statement */
#define MV_SYNC  2000 /* rows between two syncs of the PostgreSQL pipeline */
#define MV_TABLE STORE_MOVE_NAME

enum mv_type {
    MV_INT,
    MV_TEXT,
    MV_BLOB,
};

struct mv_table {
    char name[MV_TABLE];
    int ncols;
    char cols[MV_COLS][MV_TABLE];
    enum mv_type type[MV_COLS];
    char order[MV_SQL / 4]; /* the source's primary key: ORDER BY (audit: its ids in order) */
    int placed;
};

struct mv_plan {
    struct mv_table *t; /* the source's tables, then copy order */
    int n;
    char (*target)[MV_TABLE]; /* the target's tables */
    int ntarget;
};

/* Kept by each database for itself: see move.h. */
static const char *const mv_own[] = {"schema_version", "change_counter"};

/* Only names a catalogue gave us and that need no escaping. */
static int mv_ident_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n >= MV_TABLE || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int mv_is_own(const char *name)
{
    for (size_t i = 0; i < KP_ARRAY_LEN(mv_own); i++)
        if (strcmp(name, mv_own[i]) == 0)
            return 1;
    return 0;
}

static int mv_fail(struct kp_buf *why, int rc, const char *fmt, ...) KP_PRINTF(3, 4);
static int mv_fail(struct kp_buf *why, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kp_buf_reset(why);
    kp_buf_puts(why, msg);
    return rc;
}

/* Statement text built into out from names checked by mv_ident_ok(). */
static int mv_sql(char *out, const char *fmt, ...) KP_PRINTF(2, 3);
static int mv_sql(char *out, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, MV_SQL, fmt, ap);
    va_end(ap);
    return n < 0 || n >= MV_SQL ? -KP_ERR_TOOLONG : 0;
}

/* The source's tables: SQLite's full-text virtual tables and their
   shadow tables (named "<virtual>_...") are derived from the others. */
static int mv_source_tables(struct store *src, struct mv_plan *p, struct kp_buf *why)
{
    static const char sql[] = "SELECT name, coalesce(sql, '') FROM sqlite_master"
                              " WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name";
    char virt[16][MV_TABLE];
    int nvirt = 0, rc;
    struct db_stmt *s;

    if (db_prepare(src->db, sql, &s) < 0)
        return mv_fail(why, -KP_ERR_DB, "source: %s", db_errmsg(src->db));
    while ((rc = db_step(s)) == DB_ROW) {
        const char *name = db_col_text(s, 0), *def = db_col_text(s, 1);
        if (!mv_ident_ok(name)) {
            mv_fail(why, -KP_ERR_STATE, "source: a table named %.64s", name);
            db_finalize(s);
            return -KP_ERR_STATE;
        }
        if (strncmp(def, "CREATE VIRTUAL TABLE", 20) == 0) {
            if (nvirt < (int)KP_ARRAY_LEN(virt))
                snprintf(virt[nvirt++], MV_TABLE, "%s", name);
            continue;
        }
        if (mv_is_own(name))
            continue;
        p->t = kp_realloc(p->t, ((size_t)p->n + 1) * sizeof(*p->t));
        memset(&p->t[p->n], 0, sizeof(*p->t));
        snprintf(p->t[p->n++].name, MV_TABLE, "%s", name);
    }
    db_finalize(s);
    if (rc != DB_DONE)
        return mv_fail(why, -KP_ERR_DB, "source: %s", db_errmsg(src->db));
    /* Shadow tables sort after their virtual table's name: drop them now. */
    for (int i = 0; i < p->n; i++)
        for (int v = 0; v < nvirt; v++) {
            size_t len = strlen(virt[v]);
            if (strncmp(p->t[i].name, virt[v], len) == 0 && p->t[i].name[len] == '_') {
                p->t[i--] = p->t[--p->n];
                break;
            }
        }
    return 0;
}

static int mv_target_tables(struct store *dst, struct mv_plan *p, struct kp_buf *why)
{
    static const char sql[] = "SELECT table_name FROM information_schema.tables"
                              " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                              " ORDER BY table_name";
    struct db_stmt *s;
    int rc;

    if ((s = store_stmt(dst, sql)) == NULL)
        return mv_fail(why, -KP_ERR_DB, "target: %s", db_errmsg(dst->db));
    while ((rc = db_step(s)) == DB_ROW) {
        const char *name = db_col_text(s, 0);
        if (!mv_ident_ok(name)) {
            mv_fail(why, -KP_ERR_STATE, "target: a table named %.64s", name);
            db_reset(s);
            return -KP_ERR_STATE;
        }
        p->target = kp_realloc(p->target, ((size_t)p->ntarget + 1) * sizeof(*p->target));
        snprintf(p->target[p->ntarget++], MV_TABLE, "%s", name);
    }
    db_reset(s);
    return rc == DB_DONE ? 0 : mv_fail(why, -KP_ERR_DB, "target: %s", db_errmsg(dst->db));
}

static int mv_has_target(const struct mv_plan *p, const char *name)
{
    for (int i = 0; i < p->ntarget; i++)
        if (strcmp(p->target[i], name) == 0)
            return 1;
    return 0;
}

/* The target's type of a column: what the value is read and bound as. */
static int mv_type_of(const char *pgtype, enum mv_type *out)
{
    if (strcmp(pgtype, "bigint") == 0 || strcmp(pgtype, "integer") == 0 ||
        strcmp(pgtype, "smallint") == 0)
        *out = MV_INT;
    else if (strcmp(pgtype, "text") == 0 || strcmp(pgtype, "character varying") == 0)
        *out = MV_TEXT;
    else if (strcmp(pgtype, "bytea") == 0)
        *out = MV_BLOB;
    else
        return -1;
    return 0;
}

/* t's columns: every one of the source's, each with the target's type. */
static int mv_columns(struct store *src, struct store *dst, struct mv_table *t, struct kp_buf *why)
{
    static const char src_sql[] = "SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid";
    static const char dst_sql[] = "SELECT data_type FROM information_schema.columns"
                                  " WHERE table_schema = current_schema() AND table_name = ?1"
                                  " AND column_name = ?2";
    struct db_stmt *s, *d;
    char pk[8][MV_TABLE];
    int npk = 0, rc;

    if ((s = store_stmt(src, src_sql)) == NULL || (d = store_stmt(dst, dst_sql)) == NULL)
        return mv_fail(why, -KP_ERR_DB, "%s: cannot read the columns", t->name);
    db_bind_text(s, 1, t->name);
    while ((rc = db_step(s)) == DB_ROW) {
        const char *col = db_col_text(s, 0);
        int64_t pkpos = db_col_int64(s, 1);
        if (!mv_ident_ok(col) || t->ncols == MV_COLS) {
            mv_fail(why, -KP_ERR_STATE, "%s: column %.64s cannot be moved", t->name, col);
            db_reset(s);
            return -KP_ERR_STATE;
        }
        snprintf(t->cols[t->ncols], MV_TABLE, "%s", col);
        if (pkpos >= 1 && pkpos <= (int64_t)KP_ARRAY_LEN(pk)) {
            snprintf(pk[pkpos - 1], MV_TABLE, "%s", col);
            npk = (int)pkpos > npk ? (int)pkpos : npk;
        }
        db_reset(d);
        db_bind_text(d, 1, t->name);
        db_bind_text(d, 2, col);
        if (db_step(d) != DB_ROW) {
            db_reset(d);
            db_reset(s);
            return mv_fail(why, -KP_ERR_STATE,
                           "the PostgreSQL schema has no column %s.%s: this build cannot move it",
                           t->name, t->cols[t->ncols]);
        }
        if (mv_type_of(db_col_text(d, 0), &t->type[t->ncols]) < 0) {
            mv_fail(why, -KP_ERR_STATE, "%s.%s: type %.40s cannot be moved", t->name,
                    t->cols[t->ncols], db_col_text(d, 0));
            db_reset(d);
            db_reset(s);
            return -KP_ERR_STATE;
        }
        db_reset(d);
        t->ncols++;
    }
    db_reset(s);
    if (rc != DB_DONE || t->ncols == 0)
        return mv_fail(why, -KP_ERR_DB, "%s: cannot read the columns", t->name);
    for (int i = 0; i < npk; i++) {
        size_t len = strlen(t->order);
        snprintf(t->order + len, sizeof(t->order) - len, "%s\"%s\"", i ? ", " : " ORDER BY ",
                 pk[i]);
    }
    return 0;
}

/* "c1", "c2", ... of t into out. */
static void mv_col_list(const struct mv_table *t, char *out, size_t size)
{
    out[0] = '\0';
    for (int i = 0; i < t->ncols; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s\"%s\"", i ? ", " : "", t->cols[i]);
    }
}

/* The copy order: a table after every table its foreign keys name (the
   target's keys: the rows must satisfy them as they are inserted). */
static int mv_order(struct store *dst, struct mv_plan *p, struct kp_buf *why)
{
    static const char sql[] =
        "SELECT f.relname FROM pg_constraint k"
        " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid"
        " WHERE k.contype = 'f' AND c.relname = ?1"
        " AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())";
    struct mv_table *sorted = kp_calloc((size_t)p->n ? (size_t)p->n : 1, sizeof(*sorted));
    int done = 0;

    while (done < p->n) {
        int progress = 0;
        for (int i = 0; i < p->n; i++) {
            struct db_stmt *s;
            int ready = 1, rc;
            if (p->t[i].placed)
                continue;
            if ((s = store_stmt(dst, sql)) == NULL) {
                free(sorted);
                return mv_fail(why, -KP_ERR_DB, "target: %s", db_errmsg(dst->db));
            }
            db_bind_text(s, 1, p->t[i].name);
            while ((rc = db_step(s)) == DB_ROW) {
                const char *ref = db_col_text(s, 0);
                if (strcmp(ref, p->t[i].name) == 0)
                    continue;
                for (int j = 0; j < p->n; j++)
                    if (!p->t[j].placed && strcmp(p->t[j].name, ref) == 0)
                        ready = 0;
            }
            db_reset(s);
            if (rc != DB_DONE) {
                free(sorted);
                return mv_fail(why, -KP_ERR_DB, "target: %s", db_errmsg(dst->db));
            }
            if (ready) {
                p->t[i].placed = 1;
                sorted[done++] = p->t[i];
                progress = 1;
            }
        }
        if (!progress) {
            free(sorted);
            return mv_fail(why, -KP_ERR_STATE, "the target's foreign keys form a cycle");
        }
    }
    free(p->t);
    p->t = sorted;
    return 0;
}

/* Does table name of st hold a row?  1, 0, or < 0. */
static int mv_has_rows(struct store *st, const char *name)
{
    char sql[MV_SQL];
    struct db_stmt *s;
    int rc;

    if (mv_sql(sql, "SELECT 1 FROM \"%s\" LIMIT 1", name) < 0 || db_prepare(st->db, sql, &s) < 0)
        return -KP_ERR_DB;
    rc = db_step(s);
    db_finalize(s);
    return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -KP_ERR_DB;
}

/* A row's digest: each value with its kind and length, as the target's
   type reads it; rows are summed, so the order they come in is free. */
static uint64_t mv_row_digest(struct db_stmt *s, const struct mv_table *t)
{
    crypto_generichash_state h;
    unsigned char md[8];
    uint64_t v = 0;

    crypto_generichash_init(&h, NULL, 0, sizeof(md));
    for (int i = 0; i < t->ncols; i++) {
        unsigned char tag = db_col_is_null(s, i) ? 'N' : (unsigned char)('0' + t->type[i]);
        uint64_t len = 0;
        const void *data = NULL;
        int64_t iv;
        crypto_generichash_update(&h, &tag, 1);
        if (tag == 'N')
            continue;
        if (t->type[i] == MV_INT) {
            iv = db_col_int64(s, i);
            data = &iv;
            len = sizeof(iv);
        } else {
            data = t->type[i] == MV_TEXT ? (const void *)db_col_text(s, i) : db_col_blob(s, i);
            len = db_col_bytes(s, i);
        }
        crypto_generichash_update(&h, (const unsigned char *)&len, sizeof(len));
        if (len)
            crypto_generichash_update(&h, data, len);
    }
    crypto_generichash_final(&h, md, sizeof(md));
    memcpy(&v, md, sizeof(v));
    return v;
}

/* Bind the source row's column i to the insert's parameter i + 1. */
static void mv_bind(struct db_stmt *ins, struct db_stmt *s, const struct mv_table *t, int i)
{
    if (db_col_is_null(s, i))
        db_bind_null(ins, i + 1);
    else if (t->type[i] == MV_INT)
        db_bind_int64(ins, i + 1, db_col_int64(s, i));
    else if (t->type[i] == MV_TEXT)
        db_bind_textn(ins, i + 1, db_col_text(s, i), db_col_bytes(s, i));
    else
        db_bind_blob(ins, i + 1, db_col_blob(s, i), db_col_bytes(s, i));
}

/* Copy one table; *rows and *digest say what was read from the source. */
static int mv_copy_table(struct store *src, struct store *dst, const struct mv_table *t,
                         int64_t *rows, uint64_t *digest, struct kp_buf *why)
{
    char cols[MV_SQL], sql[MV_SQL], params[MV_SQL] = "";
    struct db_stmt *s = NULL, *ins = NULL;
    int rc;

    mv_col_list(t, cols, sizeof(cols));
    for (int i = 0; i < t->ncols; i++) {
        size_t len = strlen(params);
        snprintf(params + len, sizeof(params) - len, "%s?%d", i ? ", " : "", i + 1);
    }
    *rows = 0;
    *digest = 0;
    if (mv_sql(sql, "SELECT %s FROM \"%s\"%s", cols, t->name, t->order) < 0 ||
        db_prepare(src->db, sql, &s) < 0)
        return mv_fail(why, -KP_ERR_DB, "%s: cannot read the source", t->name);
    if (mv_sql(sql, "INSERT INTO \"%s\" (%s) VALUES (%s)", t->name, cols, params) < 0 ||
        db_prepare(dst->db, sql, &ins) < 0) {
        db_finalize(s);
        return mv_fail(why, -KP_ERR_DB, "%s: %s", t->name, db_errmsg(dst->db));
    }
    while ((rc = db_step(s)) == DB_ROW) {
        *digest += mv_row_digest(s, t);
        db_reset(ins);
        for (int i = 0; i < t->ncols; i++)
            mv_bind(ins, s, t, i);
        if ((rc = db_step(ins)) < 0)
            break;
        /* Bound the queue of pipelined inserts, and hear of a refusal early. */
        if (++*rows % MV_SYNC == 0 && db_changes(dst->db) < 0) {
            rc = -KP_ERR_DB;
            break;
        }
    }
    if (rc == DB_DONE && db_changes(dst->db) < 0)
        rc = -KP_ERR_DB;
    db_finalize(ins);
    db_finalize(s);
    if (rc != DB_DONE)
        return mv_fail(why, rc == -KP_ERR_EXISTS ? -KP_ERR_STATE : -KP_ERR_DB,
                       "%s: row %lld refused by the target: %s", t->name, (long long)*rows + 1,
                       db_errmsg(dst->db));
    return 0;
}

/* Read t back from dst: its count and digest. */
static int mv_read_back(struct store *dst, const struct mv_table *t, int64_t *rows,
                        uint64_t *digest)
{
    char cols[MV_SQL], sql[MV_SQL];
    struct db_stmt *s;
    int rc;

    *rows = 0;
    *digest = 0;
    mv_col_list(t, cols, sizeof(cols));
    if (mv_sql(sql, "SELECT %s FROM \"%s\"", cols, t->name) < 0 || db_prepare(dst->db, sql, &s) < 0)
        return -KP_ERR_DB;
    while ((rc = db_step(s)) == DB_ROW) {
        *digest += mv_row_digest(s, t);
        ++*rows;
    }
    db_finalize(s);
    return rc == DB_DONE ? 0 : -KP_ERR_DB;
}

/* Every identity column's sequence past the largest id copied, so that the
   next row the cluster inserts does not collide with a moved one. */
static int mv_sequences(struct store *dst, int *count, struct kp_buf *why)
{
    static const char list_sql[] = "SELECT table_name, column_name FROM information_schema.columns"
                                   " WHERE table_schema = current_schema() AND is_identity = 'YES'"
                                   " ORDER BY table_name";
    static const char set_sql[] = "SELECT setval(pg_get_serial_sequence(?1, ?2), ?3)";
    char(*names)[2][MV_TABLE] = NULL;
    struct db_stmt *s;
    int n = 0, rc;

    if ((s = store_stmt(dst, list_sql)) == NULL)
        return mv_fail(why, -KP_ERR_DB, "target: %s", db_errmsg(dst->db));
    while ((rc = db_step(s)) == DB_ROW) {
        names = kp_realloc(names, ((size_t)n + 1) * sizeof(*names));
        snprintf(names[n][0], MV_TABLE, "%s", db_col_text(s, 0));
        snprintf(names[n][1], MV_TABLE, "%s", db_col_text(s, 1));
        n++;
    }
    db_reset(s);
    for (int i = 0; rc == DB_DONE && i < n; i++) {
        char sql[MV_SQL];
        struct db_stmt *m;
        int64_t max = 0;
        if (!mv_ident_ok(names[i][0]) || !mv_ident_ok(names[i][1]) ||
            mv_sql(sql, "SELECT max(\"%s\") FROM \"%s\"", names[i][1], names[i][0]) < 0 ||
            db_prepare(dst->db, sql, &m) < 0) {
            rc = -KP_ERR_DB;
            break;
        }
        if ((rc = db_step(m)) == DB_ROW && !db_col_is_null(m, 0))
            max = db_col_int64(m, 0);
        db_finalize(m);
        if (rc < 0)
            break;
        rc = DB_DONE;
        if (max <= 0)
            continue; /* nothing copied: the sequence starts at 1 */
        if ((s = store_stmt(dst, set_sql)) == NULL) {
            rc = -KP_ERR_DB;
            break;
        }
        db_bind_text(s, 1, names[i][0]);
        db_bind_text(s, 2, names[i][1]);
        db_bind_int64(s, 3, max);
        rc = db_step(s) == DB_ROW ? DB_DONE : -KP_ERR_DB;
        db_reset(s);
        ++*count;
    }
    free(names);
    return rc == DB_DONE ? 0
                         : mv_fail(why, -KP_ERR_DB, "identity sequences: %s", db_errmsg(dst->db));
}

/* No row in any of the target's tables but the migrations' own. */
static int mv_target_empty(struct store *dst, const struct mv_plan *p, struct kp_buf *why)
{
    int rc;

    for (int i = 0; i < p->ntarget; i++) {
        if (mv_is_own(p->target[i]))
            continue;
        if ((rc = mv_has_rows(dst, p->target[i])) != 0)
            return rc < 0 ? mv_fail(why, rc, "target: %s", db_errmsg(dst->db))
                          : mv_fail(why, -KP_ERR_EXISTS,
                                    "the target schema already holds data (table %s): a move "
                                    "goes into a new, empty schema",
                                    p->target[i]);
    }
    return 0;
}

int store_move_target_empty(struct store *dst, struct kp_buf *why)
{
    struct mv_plan p = {0};
    int rc;

    if ((rc = mv_target_tables(dst, &p, why)) == 0)
        rc = mv_target_empty(dst, &p, why);
    free(p.target);
    return rc;
}

/* The plan: tables, columns, order; the target must hold no rows. */
static int mv_plan(struct store *src, struct store *dst, struct mv_plan *p, struct kp_buf *why)
{
    int rc;

    if (db_kind(src->db) != DB_SQLITE || db_kind(dst->db) != DB_POSTGRESQL)
        return mv_fail(why, -KP_ERR_INVAL, "a move goes from SQLite to PostgreSQL");
    if (store_schema_version(src) != store_schema_version(dst))
        return mv_fail(why, -KP_ERR_STATE, "the source is at schema %d, the target at %d",
                       store_schema_version(src), store_schema_version(dst));
    if ((rc = mv_source_tables(src, p, why)) < 0 || (rc = mv_target_tables(dst, p, why)) < 0)
        return rc;
    for (int i = 0; i < p->n; i++) {
        if (!mv_has_target(p, p->t[i].name))
            return mv_fail(why, -KP_ERR_STATE,
                           "the PostgreSQL schema has no table %s: this build cannot move it",
                           p->t[i].name);
        if ((rc = mv_columns(src, dst, &p->t[i], why)) < 0)
            return rc;
    }
    if ((rc = mv_target_empty(dst, p, why)) < 0)
        return rc;
    return mv_order(dst, p, why);
}

static void mv_report_add(struct store_move_report *rep, const char *name, int target_only)
{
    struct store_move_table *t;

    rep->tables = kp_realloc(rep->tables, ((size_t)rep->n + 1) * sizeof(*rep->tables));
    t = &rep->tables[rep->n++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->target_only = target_only;
}

int store_move_copy(struct store *src, struct store *dst, struct store_move_report *rep,
                    struct kp_buf *why)
{
    struct mv_plan p = {0};
    int rc, bad = 0;

    memset(rep, 0, sizeof(*rep));
    if ((rc = mv_plan(src, dst, &p, why)) < 0)
        goto out;
    /* One read transaction on the source: every table from one snapshot. */
    if ((rc = store_exec(src, "BEGIN")) < 0)
        goto out;
    for (int i = 0; i < p.n && rc == 0; i++) {
        struct store_move_table *r;
        uint64_t want, got;
        mv_report_add(rep, p.t[i].name, 0);
        r = &rep->tables[rep->n - 1];
        if ((rc = mv_copy_table(src, dst, &p.t[i], &r->rows, &want, why)) < 0)
            break;
        if ((rc = mv_read_back(dst, &p.t[i], &r->target_rows, &got)) < 0) {
            mv_fail(why, rc, "%s: cannot read it back: %s", p.t[i].name, db_errmsg(dst->db));
            break;
        }
        r->same = r->rows == r->target_rows && want == got;
        bad += !r->same;
        rep->rows += r->rows;
    }
    store_exec(src, "ROLLBACK");
    if (rc < 0)
        goto out;
    for (int i = 0; i < p.ntarget; i++) {
        int found = mv_is_own(p.target[i]);
        for (int j = 0; j < p.n && !found; j++)
            found = strcmp(p.t[j].name, p.target[i]) == 0;
        if (!found)
            mv_report_add(rep, p.target[i], 1);
    }
    if ((rc = mv_sequences(dst, &rep->sequences, why)) < 0)
        goto out;
    if (bad) {
        for (int i = 0; i < rep->n; i++)
            if (!rep->tables[i].target_only && !rep->tables[i].same) {
                rc = mv_fail(why, -KP_ERR_STATE,
                             "table %s differs after the copy (%lld rows read, %lld written)",
                             rep->tables[i].name, (long long)rep->tables[i].rows,
                             (long long)rep->tables[i].target_rows);
                break;
            }
    }
out:
    free(p.t);
    free(p.target);
    if (rc < 0)
        log_debug("store: move: %s", why->data ? why->data : "?");
    return rc;
}

void store_move_report_free(struct store_move_report *rep)
{
    free(rep->tables);
    memset(rep, 0, sizeof(*rep));
}
