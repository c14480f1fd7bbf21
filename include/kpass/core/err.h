/* SPDX-License-Identifier: ISC */
/*
 * One error enum for every fallible kpass call (after kcgi's enum kcgi_err).
 * Functions return 0 on success and a negative value on failure: either a
 * negated enum kp_err value below, or -errno from the C library.  The two
 * ranges do not overlap (errno values are small positive numbers).
 */
#ifndef KPASS_ERR_H
#define KPASS_ERR_H

enum kp_err {
    KP_OK = 0,
    KP_ERR_NOMEM = 1000, /* allocation failed */
    KP_ERR_INVAL,        /* an argument or input value is invalid */
    KP_ERR_PARSE,        /* text or bytes could not be parsed */
    KP_ERR_RANGE,        /* a number is out of its allowed range */
    KP_ERR_TOOLONG,      /* input or output longer than allowed */
    KP_ERR_TRUNC,        /* input ends early: need more bytes */
    KP_ERR_ENCODING,     /* text not representable or not valid UTF-8/UCS-2 */
    KP_ERR_NOTFOUND,     /* no such object */
    KP_ERR_EXISTS,       /* object already exists */
    KP_ERR_IO,           /* file or socket I/O failed */
    KP_ERR_DB,           /* the store failed (details logged) */
    KP_ERR_AUTH,         /* credentials refused */
    KP_ERR_DENIED,       /* not allowed for this caller */
    KP_ERR_LIMIT,        /* rate or count limit reached */
    KP_ERR_EXPIRED,      /* past its validity */
    KP_ERR_USED,         /* single-use object already consumed */
    KP_ERR_LOCKED,       /* locked out after repeated failures */
    KP_ERR_STATE,        /* not allowed in the current state */
    KP_ERR_CRYPTO,       /* signature or MAC check failed */
    KP_ERR_TIMEOUT,      /* no answer in time */
    KP_ERR_CLOSED,       /* the link or session is gone */
    KP_ERR_BUSY,         /* window full or resource busy: try later */
    KP_ERR_CONFIG,       /* configuration refused (details reported) */
    KP_ERR_UNSUPPORTED,  /* a valid request this build does not handle */
    KP_ERR_WRONG,        /* a wrong code or PIN (tries may remain) */
    KP_ERR__MAX
};

/* A short English text for err (a negated kp_err or -errno); never NULL. */
const char *kp_strerror(int err);

#endif
