/* SPDX-License-Identifier: ISC */
/*
 * Private to the directory files of src/store/ (directory.c writes and
 * reads single rows, directory_list.c lists and searches).
 */
#ifndef KPASS_STORE_DIRECTORY_INTERNAL_H
#define KPASS_STORE_DIRECTORY_INTERNAL_H

#include <stdint.h>

#include "db.h"
#include "kpass/store/directory.h"

/* The row id of code in the table of kind: 0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int dir_id(struct store *st, enum store_dir_kind kind, const char *code, int64_t *id);

/* Fill a name from columns i (en), i + 1 (ur), i + 2 (ps), i + 3 (ur-Latn). */
void dir_name_row(struct db_stmt *s, int i, struct store_dir_name *n);

/*
 * SQL: the four name columns of a row of kind K (a string literal) under
 * alias A, for dir_name_row: the row's own Urdu and Pashto names where it
 * has them (PS is the Pashto column's expression, '' for offices, which
 * have none), else the translations (dir_text), else "".
 */
#define DIR_TR(K, A, L)                                                                            \
    "(SELECT text FROM dir_text t WHERE t.kind = '" K "' AND t.code = " A ".code AND "             \
    "t.field = 'name' AND t.lang = '" L "')"
#define DIR_NAMES(K, A, PS)                                                                        \
    A ".name_en, coalesce(nullif(" A ".name_ur, ''), " DIR_TR(                                     \
        K, A, "ur") ", ''), "                                                                      \
                    "coalesce(nullif(" PS                                                          \
                    ", ''), " DIR_TR(K, A, "ps") ", ''), "                                         \
                                                 "coalesce(" DIR_TR(K, A, "ur-Latn") ", '')"
#define DIR_DEPT_NAMES(A) DIR_NAMES("department", A, A ".name_ps")
#define DIR_DIST_NAMES(A) DIR_NAMES("district", A, A ".name_ps")
#define DIR_SERV_NAMES(A) DIR_NAMES("service", A, A ".name_ps")
#define DIR_OFF_NAMES(A)  DIR_NAMES("office", A, "''")

/*
 * The word search ranked as SQLite's FTS5 ranks it (directory_rank.c),
 * for PostgreSQL, which has no bm25: a query's phrases, one per word, each
 * its words as unicode61 makes them, the last one a prefix.
 */
#define DIR_BM25_COLS          5 /* name_en, name_ur, name_ps, description_en, description_ur */
#define DIR_BM25_PHRASE_TOKENS (STORE_DIR_QUERY_MAX / 2 + 1)
struct dir_bm25_phrase {
    char buf[STORE_DIR_QUERY_MAX + 1]; /* the words, folded, NUL after each */
    unsigned off[DIR_BM25_PHRASE_TOKENS];
    int ntok;
};
struct dir_bm25_query {
    struct dir_bm25_phrase phrase[STORE_DIR_QUERY_WORDS];
    int n;
};
/* One row as bm25 sees it: its length in words (all columns), each
   phrase's instances times their column's weight, and whether every
   phrase is in it. */
struct dir_bm25_row {
    double freq[STORE_DIR_QUERY_WORDS];
    int len;
    int match;
};

/* Parse query into q as dir_search_expr's FTS5 expression; returns the
   number of phrases (0: nothing to search for). */
int dir_bm25_query(const char *query, struct dir_bm25_query *q);

/* The row of texts col (the service_fts columns, NULL as "") as bm25 sees it. */
void dir_bm25_row(const struct dir_bm25_query *q, const char *const col[DIR_BM25_COLS],
                  struct dir_bm25_row *r);

/* FTS5's IDF of a phrase found in hits of rows rows. */
double dir_bm25_idf(long rows, long hits);

/* FTS5's bm25 of a matching row (lower is better): idf per phrase, avgdl
   the average length in words of all rows. */
double dir_bm25_score(const struct dir_bm25_query *q, const struct dir_bm25_row *r,
                      const double *idf, double avgdl);

#endif
