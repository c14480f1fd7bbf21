/* SPDX-License-Identifier: ISC */
/*
 * USSD dialog state in the store, and each MSISDN's chosen language.
 * Dialog rows are written inside the group transaction (store_batch), the
 * pass's dialogs together just before it commits, once per event-loop pass.
 */
#ifndef KPASS_STORE_DIALOG_H
#define KPASS_STORE_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/store/store.h"

/* A language tag and its NUL: "en", "ur", "ps", "ur-Latn" (kpass-menu(5)). */
#define STORE_LANG_SIZE 8

struct store_dialog {
    int64_t partner_id;
    char key[64];     /* the session key within the partner (ussd_mo.key) */
    char msisdn[17];  /* E.164 */
    char version[40]; /* the menu graph version the dialog is pinned to */
    char screen[64];  /* the current screen's name (for operators) */
    char lang[STORE_LANG_SIZE];
    int resumable;
    int64_t started_at;
    int64_t updated_at;
    const uint8_t *state; /* menu_state encoding (put: borrowed) */
    size_t state_len;
};

/* Insert or replace the dialog (partner_id, key).  0 or -KP_ERR_DB. */
int store_dialog_put(struct store *st, const struct store_dialog *d);
/* The same for n dialogs (distinct keys) in as few statements as may be:
   ceil(n / 32) or a few more.  0 or -KP_ERR_DB (some may be written: the
   caller's transaction is rolled back). */
int store_dialog_put_many(struct store *st, const struct store_dialog *const *d, size_t n);
/* Read one dialog; its state is copied into state (out->state points there).
   0, -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_dialog_get(struct store *st, int64_t partner_id, const char *key,
                     struct store_dialog *out, struct kp_buf *state);
/* The most recently updated dialog of msisdn at partner_id, updated at or
   after since, resumable or not: only the caller's last dialog may be
   offered for "Continue / Start again".  As store_dialog_get. */
int store_dialog_latest(struct store *st, int64_t partner_id, const char *msisdn, int64_t since,
                        struct store_dialog *out, struct kp_buf *state);
int store_dialog_delete(struct store *st, int64_t partner_id, const char *key);
/* Delete the dialogs (partner_id, key) of d[0..n) (other fields unread), in
   as few statements as store_dialog_put_many.  0 or -KP_ERR_DB. */
int store_dialog_delete_many(struct store *st, const struct store_dialog *const *d, size_t n);
/* Delete every dialog of msisdn at partner_id (a new dial supersedes them). */
int store_dialog_forget(struct store *st, int64_t partner_id, const char *msisdn);
/* Delete dialogs not updated since before; returns how many, or -KP_ERR_DB. */
int store_dialog_reap(struct store *st, int64_t before);
/* Number of dialogs stored, or -KP_ERR_DB. */
int store_dialog_count(struct store *st);

/* The language remembered for msisdn ("en", "ur", "ps", "ur-Latn"): 0,
   -KP_ERR_NOTFOUND or -KP_ERR_DB. */
int store_lang_get(struct store *st, const char *msisdn, char lang[STORE_LANG_SIZE]);
int store_lang_set(struct store *st, const char *msisdn, const char *lang, int64_t now);

#endif
