/* SPDX-License-Identifier: ISC */
/*
 * Texts for enum kp_err and -errno values.
 */
#include <string.h>

#include "kpass/core/err.h"

static const char *const kp_err_texts[] = {
    [KP_ERR_NOMEM - KP_ERR_NOMEM] = "out of memory",
    [KP_ERR_INVAL - KP_ERR_NOMEM] = "invalid argument",
    [KP_ERR_PARSE - KP_ERR_NOMEM] = "parse error",
    [KP_ERR_RANGE - KP_ERR_NOMEM] = "value out of range",
    [KP_ERR_TOOLONG - KP_ERR_NOMEM] = "too long",
    [KP_ERR_TRUNC - KP_ERR_NOMEM] = "truncated input",
    [KP_ERR_ENCODING - KP_ERR_NOMEM] = "invalid text encoding",
    [KP_ERR_NOTFOUND - KP_ERR_NOMEM] = "not found",
    [KP_ERR_EXISTS - KP_ERR_NOMEM] = "already exists",
    [KP_ERR_IO - KP_ERR_NOMEM] = "input/output error",
    [KP_ERR_DB - KP_ERR_NOMEM] = "database error",
    [KP_ERR_AUTH - KP_ERR_NOMEM] = "authentication failed",
    [KP_ERR_DENIED - KP_ERR_NOMEM] = "not allowed",
    [KP_ERR_LIMIT - KP_ERR_NOMEM] = "limit reached",
    [KP_ERR_EXPIRED - KP_ERR_NOMEM] = "expired",
    [KP_ERR_USED - KP_ERR_NOMEM] = "already used",
    [KP_ERR_LOCKED - KP_ERR_NOMEM] = "locked",
    [KP_ERR_STATE - KP_ERR_NOMEM] = "not allowed in this state",
    [KP_ERR_CRYPTO - KP_ERR_NOMEM] = "signature check failed",
    [KP_ERR_TIMEOUT - KP_ERR_NOMEM] = "timed out",
    [KP_ERR_CLOSED - KP_ERR_NOMEM] = "closed",
    [KP_ERR_BUSY - KP_ERR_NOMEM] = "busy",
    [KP_ERR_CONFIG - KP_ERR_NOMEM] = "configuration error",
    [KP_ERR_UNSUPPORTED - KP_ERR_NOMEM] = "not supported",
    [KP_ERR_WRONG - KP_ERR_NOMEM] = "wrong code",
};

const char *kp_strerror(int err)
{
    int e = err < 0 ? -err : err;

    if (e == 0)
        return "success";
    if (e >= KP_ERR_NOMEM && e < KP_ERR__MAX)
        return kp_err_texts[e - KP_ERR_NOMEM];
    return strerror(e);
}
