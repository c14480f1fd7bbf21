/* SPDX-License-Identifier: ISC */
/*
 * The operators' SIM-swap APIs (issue 13), in the shape of the CAMARA
 * "SIM Swap" check: POST {"phoneNumber": E.164, "maxAge": hours} with
 * the operator's bearer token, answered {"swapped": true|false}.  Which
 * operator serves a number is a row of simswap_api (`kpass simswap set`:
 * number prefixes).  Asked by the desk at a scan (src/http/simswap.c) and
 * before a USSD code request's code is issued (builtins_id.c); the loop
 * never waits: the answer comes to a callback.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/store/dept.h"
#include "kpass/ussd/app.h"

struct simswap_ask {
    ussd_simswap_cb cb;
    void *arg;
    int hold;
};

/* Is msisdn among "+92300,+92301"? */
static int simswap_serves(const char *prefixes, const char *msisdn)
{
    for (const char *p = prefixes; *p;) {
        size_t n = strcspn(p, ", ");
        if (n && strncmp(msisdn, p, n) == 0)
            return 1;
        p += n;
        p += strspn(p, ", ");
    }
    return 0;
}

/* The bearer token from its file (one line); "" without one. */
static int simswap_token(const char *path, char *out, size_t cap)
{
    int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    ssize_t n;

    out[0] = '\0';
    if (fd < 0)
        return path[0] ? -KP_ERR_IO : 0;
    n = read(fd, out, cap - 1);
    close(fd);
    if (n < 0)
        return -KP_ERR_IO;
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static void simswap_answer(void *arg, int status, const char *body, size_t len)
{
    struct simswap_ask *q = arg;
    json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *sw = j ? json_object_get(j, "swapped") : NULL;
    enum ussd_simswap_answer a = json_is_true(sw)    ? USSD_SIMSWAP_SWAPPED
                                 : json_is_false(sw) ? USSD_SIMSWAP_CLEAR
                                                     : USSD_SIMSWAP_UNKNOWN;

    if (a == USSD_SIMSWAP_UNKNOWN)
        log_info("ussd: a SIM-swap check had no answer (status %d)", status);
    json_decref(j);
    q->cb(q->arg, a, q->hold);
    free(q);
}

int ussd_simswap_ask(struct ussd_apps *a, struct store *st, const char *msisdn, ussd_simswap_cb cb,
                     void *arg, int *hold_on_timeout)
{
    struct store_simswap *rows = NULL, *row = NULL;
    char token[512], body[128];
    int n = store_simswap_list(st, &rows), rc = 0;

    *hold_on_timeout = 0;
    for (int i = 0; i < n && row == NULL; i++)
        if (simswap_serves(rows[i].prefixes, msisdn))
            row = &rows[i];
    if (row != NULL) {
        struct simswap_ask *q = kp_calloc(1, sizeof(*q));
        *hold_on_timeout = row->hold_on_timeout;
        q->cb = cb;
        q->arg = arg;
        q->hold = row->hold_on_timeout;
        snprintf(body, sizeof(body), "{\"phoneNumber\":\"%s\",\"maxAge\":%u}", msisdn,
                 row->max_age_h);
        rc = simswap_token(row->token_file, token, sizeof(token));
        if (rc == 0) {
            struct ussd_post post = {
                row->url, body,           strlen(body), NULL, 0, token[0] ? token : NULL,
                NULL,     row->timeout_ms};
            rc = ussd_apps_post(a, &post, simswap_answer, q);
        }
        if (rc < 0)
            free(q);
        else
            rc = 1;
        sodium_memzero(token, sizeof(token));
        sodium_memzero(body, sizeof(body));
    }
    free(rows);
    return n < 0 ? n : rc;
}
