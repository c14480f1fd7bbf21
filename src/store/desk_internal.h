/* SPDX-License-Identifier: ISC */
/*
 * Private to src/store/desk.c and staff.c: the atomic-change scope both
 * use (the store's, after checking the audit key is there).
 */
#ifndef KPASS_STORE_DESK_INTERNAL_H
#define KPASS_STORE_DESK_INTERNAL_H

#include "store_internal.h"

/* Begin an atomic change (store_scope_begin); -KP_ERR_STATE without an audit key. */
int desk_scope_begin(struct store *st, enum store_scope *scope);
/* End it: keep the change when rc >= 0, undo it otherwise.  Returns rc or a commit error. */
int desk_scope_end(struct store *st, enum store_scope scope, int rc);

#endif
