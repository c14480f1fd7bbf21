/* SPDX-License-Identifier: ISC */
/*
 * The PostgreSQL schema (src/store/schema_pg.c) against SQLite's
 * (schema.c), by introspection of both: the same tables, columns (name,
 * type, nullability, order), primary and unique keys, foreign keys and
 * indexes, so that the two cannot drift apart.  SQLite's side comes from
 * sqlite_master and the pragma functions, PostgreSQL's from
 * information_schema and pg_catalog.  Left out on purpose: SQLite's FTS5
 * index service_fts and its shadow tables.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/store/db.h"
#include "../src/store/db_pg.h"
#include "../src/store/store_internal.h"
#include "kpass/core/err.h"
#include "pgtest.h"
#include "testutil.h"

struct lines {
    char *s;
    size_t n, cap;
};

static void lines_add(struct lines *l, const char *line)
{
    size_t k = strlen(line);

    if (l->n + k + 2 > l->cap) {
        l->cap = (l->n + k + 2) * 2;
        l->s = realloc(l->s, l->cap);
    }
    memcpy(l->s + l->n, line, k);
    l->n += k;
    l->s[l->n++] = '\n';
    l->s[l->n] = '\0';
}

/* Every row of sql, its columns joined by spaces, one line each. */
static void sqlite_lines(sqlite3 *db, const char *sql, struct lines *l)
{
    sqlite3_stmt *s;

    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    while (sqlite3_step(s) == SQLITE_ROW) {
        char line[512] = "";
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            const char *t = (const char *)sqlite3_column_text(s, i);
            snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "",
                     t ? t : "-");
        }
        lines_add(l, line);
    }
    sqlite3_finalize(s);
}

static void pg_lines(struct db *db, const char *sql, struct lines *l)
{
    struct db_stmt *s;
    int rc;

    ck_assert_int_eq(db_prepare(db, sql, &s), 0);
    while ((rc = db_step(s)) == DB_ROW) {
        char line[512] = "";
        for (int i = 0; i < db_column_count(s); i++) {
            const char *t = db_col_text(s, i);
            snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "",
                     t ? t : "-");
        }
        lines_add(l, line);
    }
    ck_assert_msg(rc == DB_DONE, "%s: %s", sql, db_errmsg(db));
    db_finalize(s);
}

/* The SQLite side's tables, without FTS5's. */
#define SQ_TABLES                                                                                  \
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "            \
    "AND name NOT LIKE 'service_fts%'"

static const struct {
    const char *what, *sqlite, *pg;
} queries[] = {
    {"tables", SQ_TABLES " ORDER BY name",
     "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
     "AND table_type = 'BASE TABLE' ORDER BY table_name"},
    /* name, position, type, nullability (a primary key column is never NULL) */
    {"columns",
     "SELECT m.name, p.cid + 1, p.name, CASE upper(p.type) WHEN 'INTEGER' THEN 'bigint' "
     "WHEN 'TEXT' THEN 'text' WHEN 'BLOB' THEN 'bytea' ELSE p.type END, "
     "CASE WHEN p.\"notnull\" OR p.pk > 0 THEN 'NO' ELSE 'YES' END "
     "FROM (" SQ_TABLES ") m, pragma_table_info(m.name) p ORDER BY m.name, p.cid",
     "SELECT table_name, ordinal_position, column_name, data_type, is_nullable "
     "FROM information_schema.columns WHERE table_schema = current_schema() "
     "ORDER BY table_name, ordinal_position"},
    {"primary keys",
     "SELECT t, group_concat(c, ',') FROM (SELECT m.name t, p.name c FROM (" SQ_TABLES ") m, "
     "pragma_table_info(m.name) p WHERE p.pk > 0 ORDER BY m.name, p.pk) GROUP BY t ORDER BY t",
     "SELECT t.relname, string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_constraint c "
     "JOIN pg_class t ON t.oid = c.conrelid, unnest(c.conkey) WITH ORDINALITY k(attnum, ord) "
     "JOIN pg_attribute a ON a.attnum = k.attnum WHERE a.attrelid = c.conrelid "
     "AND c.contype = 'p' AND c.connamespace = current_schema()::regnamespace "
     "GROUP BY t.relname ORDER BY t.relname"},
    {"unique keys",
     "SELECT m.name, (SELECT group_concat(name, ',') FROM (SELECT name FROM "
     "pragma_index_info(l.name) ORDER BY seqno)) FROM (" SQ_TABLES ") m, "
     "pragma_index_list(m.name) l WHERE l.origin = 'u' ORDER BY 1, 2",
     "SELECT t.relname, string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_constraint c "
     "JOIN pg_class t ON t.oid = c.conrelid, unnest(c.conkey) WITH ORDINALITY k(attnum, ord) "
     "JOIN pg_attribute a ON a.attnum = k.attnum WHERE a.attrelid = c.conrelid "
     "AND c.contype = 'u' AND c.connamespace = current_schema()::regnamespace "
     "GROUP BY t.relname, c.conname ORDER BY 1, 2"},
    {"foreign keys",
     "SELECT m.name, f.\"from\", f.\"table\", f.\"to\", upper(f.on_delete) "
     "FROM (" SQ_TABLES ") m, pragma_foreign_key_list(m.name) f ORDER BY 1, 2",
     "SELECT t.relname, a.attname, r.relname, ra.attname, CASE c.confdeltype "
     "WHEN 'a' THEN 'NO ACTION' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' "
     "WHEN 'r' THEN 'RESTRICT' ELSE 'SET DEFAULT' END FROM pg_constraint c "
     "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
     "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
     "JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] "
     "WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace "
     "ORDER BY 1, 2"},
    /* the indexes made by CREATE INDEX (not those of keys), with their
       columns and whether they are partial */
    {"indexes",
     "SELECT m.tbl_name, m.name, (SELECT group_concat(name, ',') FROM (SELECT name FROM "
     "pragma_index_info(m.name) ORDER BY seqno)), l.partial FROM sqlite_master m, "
     "pragma_index_list(m.tbl_name) l WHERE m.type = 'index' AND m.sql IS NOT NULL "
     "AND l.name = m.name AND m.tbl_name NOT LIKE 'service_fts%' ORDER BY 1, 2",
     "SELECT t.relname, i.relname, string_agg(a.attname, ',' ORDER BY k.ord), "
     "CASE WHEN x.indpred IS NULL THEN 0 ELSE 1 END FROM pg_index x "
     "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid, "
     "unnest(x.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attnum = k.attnum "
     "WHERE a.attrelid = x.indrelid AND t.relnamespace = current_schema()::regnamespace "
     "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
     "GROUP BY t.relname, i.relname, x.indpred ORDER BY 1, 2"},
};

static const struct tu_pg *pg;

static void pg_setup(void)
{
    pg = tu_pg_start();
    ck_assert_ptr_nonnull(pg);
}

/* A fresh schema with the PostgreSQL migrations applied. */
static struct db *pg_schema(const char *tag)
{
    char *dsn = tu_pg_fresh(tag);
    struct db_params p = {.kind = DB_POSTGRESQL, .dsn = dsn, .passfile = pg->passfile};
    struct db *db = NULL;
    int n;
    const struct store_migration *m = store_migrations_pg(&n);

    ck_assert_int_eq(db_open(&p, &db), 0);
    free(dsn);
    for (int i = 0; i < n; i++)
        ck_assert_msg(db_exec(db, m[i].sql) == 0, "migration %d: %s", m[i].version, db_errmsg(db));
    return db;
}

START_TEST(test_same_schema)
{
    struct db *db = pg_schema("same");
    sqlite3 *sq;
    int n, npg;
    const struct store_migration *m = store_migrations(&n), *mp = store_migrations_pg(&npg);

    /* both lists end at the same version */
    ck_assert_int_eq(m[n - 1].version, mp[npg - 1].version);
    ck_assert_int_eq(sqlite3_open(":memory:", &sq), SQLITE_OK);
    for (int i = 0; i < n; i++)
        ck_assert_msg(sqlite3_exec(sq, m[i].sql, NULL, NULL, NULL) == SQLITE_OK,
                      "sqlite migration %d: %s", m[i].version, sqlite3_errmsg(sq));
    for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        struct lines a = {0}, b = {0};
        sqlite_lines(sq, queries[q].sqlite, &a);
        pg_lines(db, queries[q].pg, &b);
        ck_assert_msg(a.n > 0 || q >= 3, "%s: nothing read from SQLite", queries[q].what);
        ck_assert_msg(a.s && b.s && strcmp(a.s, b.s) == 0,
                      "%s differ:\nsqlite:\n%s\npostgresql:\n%s", queries[q].what, a.s ? a.s : "",
                      b.s ? b.s : "");
        free(a.s);
        free(b.s);
    }
    sqlite3_close(sq);
    db_close(db);
}
END_TEST

/* The audit log's guard: appended with the next id only, never changed. */
START_TEST(test_audit_append_only)
{
    struct db *db = pg_schema("audit");
    struct db_stmt *ins;
    static const uint8_t z[32];

    ck_assert_int_eq(db_prepare(db,
                                "INSERT INTO audit (id, at, event, actor, prev, hash) "
                                "VALUES (?1, 1, 'citizen.added', 'test', ?2, ?2)",
                                &ins),
                     0);
    db_bind_int64(ins, 1, 2); /* not the next */
    db_bind_blob(ins, 2, z, sizeof(z));
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    db_reset(ins);
    db_bind_int64(ins, 1, 1);
    db_bind_blob(ins, 2, z, sizeof(z));
    ck_assert_int_eq(db_step(ins), DB_DONE);
    db_reset(ins);
    db_bind_int64(ins, 1, 2);
    db_bind_blob(ins, 2, z, 31); /* a hash of the wrong length */
    ck_assert_int_eq(db_step(ins), -KP_ERR_EXISTS);
    db_finalize(ins);
    ck_assert_int_eq(db_exec(db, "UPDATE audit SET actor = 'x'"), -KP_ERR_EXISTS);
    ck_assert_int_eq(db_exec(db, "DELETE FROM audit"), -KP_ERR_EXISTS);
    ck_assert_int_eq(db_exec(db, "TRUNCATE audit"), -KP_ERR_EXISTS);
    /* the GLOB checks as expressions: a bad event name, a bad code */
    ck_assert_int_eq(db_exec(db, "INSERT INTO department (code, name_en, name_ur) "
                                 "VALUES ('ab', 'A', 'A')"),
                     -KP_ERR_EXISTS);
    ck_assert_int_eq(db_exec(db, "INSERT INTO department (code, name_en, name_ur) "
                                 "VALUES ('AB1', 'A', 'A')"),
                     0);
    ck_assert_int_eq(db_exec(db, "INSERT INTO audit (id, at, event, actor, prev, hash) "
                                 "SELECT 2, 1, 'nodot', 'test', prev, hash FROM audit"),
                     -KP_ERR_EXISTS);
    ck_assert_int_eq(db_exec(db, "INSERT INTO audit (id, at, event, actor, prev, hash) "
                                 "SELECT 2, 1, 'otp.issued', 'test', prev, hash FROM audit"),
                     0);
    db_close(db);
}
END_TEST

Suite *suite_pg_schema(void)
{
    Suite *s = suite_create("pg_schema");
    TCase *tc = tcase_create("schema");
    const char *why;

    if (!tu_pg_available(&why)) {
        fprintf(stderr, "pg_schema: %s\n", why);
        return s;
    }
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, pg_setup, NULL);
    tcase_add_test(tc, test_same_schema);
    tcase_add_test(tc, test_audit_append_only);
    suite_add_tcase(s, tc);
    return s;
}
