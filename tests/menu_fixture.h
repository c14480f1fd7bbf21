/* SPDX-License-Identifier: ISC */
/*
 * Shared by the menu suites: a fake built-in table (directory lists, a
 * service look-up, one-time codes, a registration look-up) whose answers
 * a test steers through struct fx_ctx, and helpers to compile menus and
 * run hops.  The built-ins here stand in for the real ones the daemon
 * wires to its database.
 */
#ifndef KPASS_TESTS_MENU_FIXTURE_H
#define KPASS_TESTS_MENU_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/ussd/builtins.h"
#include "kpass/core/err.h"
#include "kpass/menu/menu.h"
#include "testutil.h"

enum { FX_DEPARTMENTS, FX_SERVICES, FX_SERVICE, FX_OTP, FX_REG };

static const char *const fx_service_out[] = {"found", "not_found", NULL};
static const char *const fx_service_sets[] = {"service_name", "service_desc", NULL};
static const char *const fx_services_sets[] = {"dept_name", NULL};
static const char *const fx_otp_out[] = {"sent", "rate_limited", NULL};
static const char *const fx_reg_out[] = {"ok", NULL};
static const char *const fx_reg_sets[] = {"status", NULL};

static const struct menu_builtin fx_builtins[] = {
    [FX_DEPARTMENTS] = {"dir.departments", MENU_BUILTIN_LIST, 0, 0, NULL, NULL},
    [FX_SERVICES] = {"dir.services", MENU_BUILTIN_LIST, 1, 1, NULL, fx_services_sets},
    [FX_SERVICE] = {"dir.service", MENU_BUILTIN_ACTION, 1, 1, fx_service_out, fx_service_sets},
    [FX_OTP] = {"otp.issue", MENU_BUILTIN_ACTION, 2, 2, fx_otp_out, NULL},
    [FX_REG] = {"reg.status", MENU_BUILTIN_ACTION, 1, 1, fx_reg_out, fx_reg_sets},
};

struct fx_ctx {
    unsigned fail;          /* bit 1 << FX_x: that built-in fails with -KP_ERR_DB */
    int limited;            /* otp.issue answers rate_limited */
    const char *status;     /* reg.status sets status to this (NULL: unset) */
    int nservices;          /* items dir.services returns */
    const char *long_label; /* dir.services' first item label, if set */
    int calls;
    char last[256]; /* "name(arg,arg) lang msisdn" of the last call */
};

static inline int fx_call(void *vctx, const struct menu_call *c, struct menu_result *r)
{
    struct fx_ctx *x = vctx;
    int n;

    x->calls++;
    n = snprintf(x->last, sizeof(x->last), "%s(", c->name);
    for (unsigned i = 0; i < c->argc && n > 0 && (size_t)n < sizeof(x->last); i++)
        n += snprintf(x->last + n, sizeof(x->last) - (size_t)n, "%s%s", i ? "," : "", c->argv[i]);
    if (n > 0 && (size_t)n < sizeof(x->last))
        snprintf(x->last + n, sizeof(x->last) - (size_t)n, ") %s %s", menu_lang_name(c->lang),
                 c->msisdn);
    if (x->fail & (1u << c->builtin))
        return -KP_ERR_DB;
    switch (c->builtin) {
    case FX_DEPARTMENTS:
        menu_result_item(r, c->lang == MENU_LANG_UR ? "صحت" : "Health", "health");
        menu_result_item(r, c->lang == MENU_LANG_UR ? "تعلیم" : "Education", "education");
        menu_result_item(r, "Revenue", "revenue");
        break;
    case FX_SERVICES:
        menu_result_set(r, "dept_name", strcmp(c->argv[0], "health") == 0 ? "Health" : "Education");
        for (int i = 0; i < (x->nservices ? x->nservices : 3); i++) {
            char label[64], value[16];
            snprintf(label, sizeof(label), "Service %d", i + 1);
            snprintf(value, sizeof(value), "s%d", i + 1);
            menu_result_item(r, i == 0 && x->long_label ? x->long_label : label, value);
        }
        break;
    case FX_SERVICE:
        if (strcmp(c->argv[0], "s3") == 0) {
            menu_result_outcome(r, "not_found");
            break;
        }
        menu_result_outcome(r, "found");
        menu_result_set(r, "service_name", c->argv[0]);
        menu_result_set(r, "service_desc", "Apply at any office.");
        menu_result_set(r, "unknown_var", "ignored");
        break;
    case FX_OTP:
        menu_result_outcome(r, x->limited ? "rate_limited" : "sent");
        break;
    case FX_REG:
        menu_result_outcome(r, "ok");
        if (x->status)
            menu_result_set(r, "status", x->status);
        break;
    default:
        return -KP_ERR_NOTFOUND;
    }
    return 0;
}

static inline struct menu_options fx_options(void)
{
    struct menu_options o = {fx_builtins, sizeof(fx_builtins) / sizeof(fx_builtins[0]),
                             MENU_LIMITS_DEFAULT, kp_builtins_table(NULL).validators};
    return o;
}

static inline struct menu_env fx_env(struct fx_ctx *x)
{
    struct menu_env e = {x, fx_call, "+923001234567", MENU_LIMITS_DEFAULT};
    return e;
}

/* Compile one in-memory file named t.menu; diag gets the messages. */
static inline int fx_compile(const char *text, struct menu_graph **g, struct kp_buf *diag)
{
    struct menu_options o = fx_options();
    struct menu_source src = {"t.menu", text, strlen(text)};

    kp_buf_reset(diag);
    kp_buf_append(diag, "", 0); /* allocated and NUL-terminated */
    return menu_graph_compile(&src, 1, &o, g, diag);
}

/* The sample menus in tests/menus (must compile). */
static inline struct menu_graph *fx_sample(void)
{
    struct menu_options o = fx_options();
    struct menu_graph *g = NULL;
    struct kp_buf diag = KP_BUF_INIT;
    char dir[1024];
    int rc;

    snprintf(dir, sizeof(dir), "%s/tests/menus", tu_top());
    rc = menu_graph_load(dir, &o, &g, &diag);
    ck_assert_msg(rc == 0, "sample menus: %s", diag.data);
    kp_buf_free(&diag);
    return g;
}

/* One dialog: graph, state, screen, env. */
struct fx_dialog {
    struct menu_graph *g;
    struct menu_state *st;
    struct menu_screen scr;
    struct menu_env env;
    struct fx_ctx ctx;
};

static inline void fx_open(struct fx_dialog *d, struct menu_graph *g)
{
    memset(d, 0, sizeof(*d));
    d->g = g;
    d->st = menu_state_new();
    d->env = fx_env(&d->ctx);
    d->env.ctx = &d->ctx;
}

static inline void fx_close(struct fx_dialog *d)
{
    menu_state_free(d->st);
    menu_screen_free(&d->scr);
    menu_graph_unref(d->g);
}

/* Store and reload the state between hops, as the daemon does. */
static inline void fx_reload(struct fx_dialog *d)
{
    struct kp_buf b = KP_BUF_INIT;
    struct kp_buf again = KP_BUF_INIT;

    ck_assert_int_gt(menu_state_encode(d->st, &b), 0);
    ck_assert_int_eq(menu_state_decode(d->st, (const uint8_t *)b.data, b.len), 0);
    menu_state_encode(d->st, &again);
    ck_assert_uint_eq(b.len, again.len);
    ck_assert_mem_eq(b.data, again.data, b.len);
    kp_buf_free(&b);
    kp_buf_free(&again);
}

static inline void fx_begin(struct fx_dialog *d, enum menu_lang lang, const char *steps)
{
    ck_assert_int_eq(menu_dialog_begin(d->g, &d->env, d->st, lang, steps, &d->scr), 0);
    fx_reload(d);
}

static inline void fx_send(struct fx_dialog *d, const char *reply)
{
    ck_assert_int_eq(menu_dialog_input(d->g, &d->env, d->st, reply, strlen(reply), &d->scr), 0);
    fx_reload(d);
}

/* The screen must be exactly text, in enc, ending or not. */
#define fx_expect(d, want_text, want_enc, want_end)                                                \
    do {                                                                                           \
        ck_assert_str_eq((d)->scr.text.data, (want_text));                                         \
        ck_assert_int_eq((d)->scr.enc, (want_enc));                                                \
        ck_assert_int_eq((d)->scr.end, (want_end));                                                \
    } while (0)

#endif
