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

#endif
