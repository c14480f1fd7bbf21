/* SPDX-License-Identifier: ISC */
/*
 * The SIM-swap check before a desk code (issue 13): an operator's API in
 * the shape of CAMARA "SIM Swap" (POST .../check {"phoneNumber",
 * "maxAge" in hours} -> {"swapped": true|false}), configured per partner
 * for the numbers it serves (`kpass simswap set`).  The question goes out
 * when the card is scanned, so that the answer is in hand when the staff
 * member asks for a code a few seconds later and the loop never waits:
 * a recent swap holds the code ("SIM changed recently: verify by other
 * means"), audited; no answer by then (or a failed call) sends or holds as
 * the row says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/dept.h"
#include "kpass/ussd/app.h"

#define SS_SLOTS 256

enum ss_state { SS_PENDING = 0, SS_CLEAR, SS_SWAPPED, SS_UNKNOWN };

struct ss_slot {
    int used;
    unsigned gen; /* which question an answer belongs to */
    char verification[33];
    enum ss_state state;
    int hold_on_timeout;
    int64_t at;
};

struct http_simswap {
    struct http_api *a;
    struct ss_slot slots[SS_SLOTS];
    unsigned gen;
    uint64_t counts[4]; /* by enum ss_state at the code step, for the log */
};

struct ss_ask {
    struct http_simswap *s;
    size_t slot;
    unsigned gen;
};

struct http_simswap *http_simswap_new(struct http_api *a)
{
    struct http_simswap *s = kp_calloc(1, sizeof(*s));

    s->a = a;
    return s;
}

void http_simswap_free(struct http_simswap *s)
{
    free(s);
}

static void ss_answer(void *arg, enum ussd_simswap_answer ans, int hold)
{
    struct ss_ask *q = arg;
    struct ss_slot *slot = &q->s->slots[q->slot];

    (void)hold;
    if (slot->used && slot->gen == q->gen)
        slot->state = ans == USSD_SIMSWAP_SWAPPED ? SS_SWAPPED
                      : ans == USSD_SIMSWAP_CLEAR ? SS_CLEAR
                                                  : SS_UNKNOWN;
    free(q);
}

void http_simswap_start(struct http_api *a, const struct store_verification *v,
                        const struct store_citizen *c)
{
    struct http_simswap *s = a->simswap;
    char nums[1][MSISDN_SIZE];
    struct ss_slot *slot = NULL;
    struct ss_ask *q;
    int hold = 0, rc;

    if (s == NULL || a->d.apps == NULL || store_citizen_msisdns(a->d.st, c->id, nums, 1) < 1)
        return;
    for (size_t i = 0; i < SS_SLOTS && slot == NULL; i++)
        if (!s->slots[i].used || s->slots[i].at < kp_time_s() - 3600)
            slot = &s->slots[i];
    if (slot == NULL)
        return;
    q = kp_calloc(1, sizeof(*q));
    q->s = s;
    q->slot = (size_t)(slot - s->slots);
    q->gen = ++s->gen;
    rc = ussd_simswap_ask(a->d.apps, a->d.st, nums[0], ss_answer, q, &hold);
    if (rc == 0) { /* no operator API serves this number */
        free(q);
        return;
    }
    memset(slot, 0, sizeof(*slot));
    slot->used = 1;
    slot->gen = q->gen;
    snprintf(slot->verification, sizeof(slot->verification), "%s", v->id);
    slot->hold_on_timeout = hold;
    slot->at = kp_time_s();
    slot->state = rc == 1 ? SS_PENDING : SS_UNKNOWN;
    if (rc < 0)
        free(q);
}

int http_simswap_holds(struct http_req *r, const struct store_verification *v,
                       const struct store_citizen *c)
{
    struct http_simswap *s = r->api->simswap;
    struct ss_slot *slot = NULL;
    const char *kind, *reason;
    char actor[48], detail[64];
    int hold;

    for (size_t i = 0; s && i < SS_SLOTS && slot == NULL; i++)
        if (s->slots[i].used && strcmp(s->slots[i].verification, v->id) == 0)
            slot = &s->slots[i];
    if (slot == NULL)
        return 0; /* no operator API serves this number */
    s->counts[slot->state]++;
    hold = slot->state == SS_SWAPPED ||
           ((slot->state == SS_PENDING || slot->state == SS_UNKNOWN) && slot->hold_on_timeout);
    if (!hold)
        return 0;
    if (slot->state == SS_SWAPPED) {
        kind = "sim_swap";
        reason = "SIM changed recently: verify by other means";
    } else {
        kind = "sim_unchecked";
        reason = "the SIM could not be checked in time: verify by other means";
    }
    snprintf(actor, sizeof(actor), "desk:%s", v->desk);
    snprintf(detail, sizeof(detail), "verification %.8s: code held, %s", v->id,
             slot->state == SS_SWAPPED ? "SIM swapped recently" : "SIM check unanswered");
    if (store_batch(r->api->d.st) < 0 ||
        audit_append(r->api->d.st, kp_time_s(), "code.held", actor, c->cnic_index, detail) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return 1;
    }
    http_reply_json(r, 409, json_pack("{s:s, s:s}", "error", kind, "reason", reason));
    return 1;
}
