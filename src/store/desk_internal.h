/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/desk.c and staff.c: the atomic-change scope both
 * use (a savepoint inside the caller's transaction, else a transaction of
 * their own).
 */
#ifndef KPASS_STORE_DESK_INTERNAL_H
#define KPASS_STORE_DESK_INTERNAL_H

#include "store_internal.h"

enum desk_scope {
    DESK_SCOPE_SAVEPOINT, /* inside the caller's transaction */
    DESK_SCOPE_OWN_TX,    /* no transaction was open: ours */
};

/* Begin an atomic change; -KP_ERR_STATE without an audit key. */
int desk_scope_begin(struct store *st, enum desk_scope *scope);
/* End it: keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
int desk_scope_end(struct store *st, enum desk_scope scope, int rc);

#endif
