/* SPDX-License-Identifier: ISC */
/*
 * Department USSD apps in the store (issue 13): the dept_app table's
 * rows, one per app a menu's `app` screen may name.  A row says where the
 * app listens, which file holds the secret its requests are signed with
 * (the secret itself never enters the database), how long the app may
 * take, and from which service codes it may be reached.  What the rows
 * mean (signing, pseudonyms, the circuit breaker) is src/ussd/app.c's.
 */
#ifndef KPASS_STORE_APP_H
#define KPASS_STORE_APP_H

#include <stdint.h>

#include "kpass/store/store.h"

/* One row; text columns NUL-terminated. */
struct store_app {
    char name[33];          /* as the menus name it: [a-z0-9_]+ */
    char department[17];    /* the department code its pseudonyms are made for */
    char url[256];          /* http://127.0.0.1:.../path or https://host/path */
    char secret_file[256];  /* the shared secret, read by kpassd */
    unsigned timeout_ms;    /* the longest the app may take to answer */
    char service_codes[96]; /* "*789#,*790#"; "" for any */
    int enabled;
    int64_t created_at, updated_at;
};

/* Add a row (created_at and updated_at are set now).  0, -KP_ERR_EXISTS or -KP_ERR_DB. */
int store_app_add(struct store *st, const struct store_app *a);
/* The row named name into out.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_app_get(struct store *st, const char *name, struct store_app *out);
/* Remove the row named name.  0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_app_remove(struct store *st, const char *name);
/* Every row, by name, into a new array (*out, freed by the caller).  Count or -KP_ERR_DB. */
int store_app_list(struct store *st, struct store_app **out);

#endif
