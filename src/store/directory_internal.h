/* SPDX-License-Identifier: ISC */
/*
 * Private to the directory files of src/store/ (directory.c writes and
 * reads single rows, directory_list.c lists and searches).
 */
#ifndef KPASS_STORE_DIRECTORY_INTERNAL_H
#define KPASS_STORE_DIRECTORY_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "kpass/store/directory.h"

/* The row id of code in the table of kind: 0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int dir_id(struct store *st, enum store_dir_kind kind, const char *code, int64_t *id);

/* Fill a name from columns i (en), i + 1 (ur), i + 2 (ps). */
void dir_name_row(sqlite3_stmt *s, int i, struct store_dir_name *n);

#endif
