/* SPDX-License-Identifier: ISC */
/*
 * Private to kpass: the rules of the directory files (etc/seed/README.md)
 * applied to one row of fields, shared by `kpass import` and `kpass office
 * add`.  Each check fills a store struct and appends one line per problem,
 * "column: reason\n", in column order; the caller prefixes "file:line: ".
 * References to other rows (a service's department, an office's district
 * and services) are checked through a lookup the caller provides, so the
 * rules themselves touch no database.
 */
#ifndef KPASS_DIR_ROWS_H
#define KPASS_DIR_ROWS_H

#include "kpass/core/buf.h"
#include "kpass/store/directory.h"

/* Column lists, in file order. */
#define DIR_DEPARTMENT_COLUMNS 4
#define DIR_DISTRICT_COLUMNS   5
#define DIR_SERVICE_COLUMNS    13
#define DIR_OFFICE_COLUMNS     8
#define DIR_TEXT_COLUMNS       5
#define DIR_DISTANCE_COLUMNS   3
extern const char *const dir_department_columns[DIR_DEPARTMENT_COLUMNS];
extern const char *const dir_district_columns[DIR_DISTRICT_COLUMNS];
extern const char *const dir_service_columns[DIR_SERVICE_COLUMNS];
extern const char *const dir_office_columns[DIR_OFFICE_COLUMNS];
extern const char *const dir_text_columns[DIR_TEXT_COLUMNS];
extern const char *const dir_distance_columns[DIR_DISTANCE_COLUMNS];

/* Does code exist as kind?  1 yes, 0 no, < 0 error (reported as a problem). */
struct dir_refs {
    int (*exists)(void *ctx, enum store_dir_kind kind, const char *code);
    void *ctx;
};

/*
 * Check one row (f has the file's columns in order) and fill out (its sort
 * is left 0 for the caller).  Problems go to why.  Returns the number of
 * problems (0: out is ready to store).
 */
int dir_row_department(const char *const *f, struct store_dir_department *out, struct kp_buf *why);
int dir_row_district(const char *const *f, struct store_dir_district *out, struct kp_buf *why);
int dir_row_service(const char *const *f, const struct dir_refs *refs,
                    struct store_dir_service *out, struct kp_buf *why);
int dir_row_office(const char *const *f, const struct dir_refs *refs, struct store_dir_office *out,
                   struct kp_buf *why);

/* One translation (translations.csv: kind,code,field,lang,text). */
struct dir_text_row {
    enum store_dir_kind kind;
    char code[STORE_DIR_CODE_SIZE];
    enum store_dir_field field;
    enum store_dir_lang lang;
    char text[STORE_DIR_DESC_SIZE];
};
int dir_row_text(const char *const *f, const struct dir_refs *refs, struct dir_text_row *out,
                 struct kp_buf *why);

/* One distance (distances.csv: district,near,km). */
struct dir_distance_row {
    char district[STORE_DIR_CODE_SIZE], near[STORE_DIR_CODE_SIZE];
    unsigned km;
};
int dir_row_distance(const char *const *f, const struct dir_refs *refs,
                     struct dir_distance_row *out, struct kp_buf *why);

/* kpass service check (cmd_service_check.c): missing translations. */
struct kp_cli;
int cmd_service_check(struct kp_cli *cli, int argc, char **argv);

#endif
