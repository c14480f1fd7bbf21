/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: kpassd.conf parsing (any bytes must give 0 or a list of
 * "file:line: reason" errors, never a crash or a leak).
 */
#include <stdlib.h>

#include "fuzz.h"
#include "kpass/config.h"

KP_FUZZ_TARGET(config)
{
    struct kp_config c;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    kp_config_parse(&c, "fuzz.conf", (const char *)data, size, &err);
    kp_buf_free(&err);
    kp_config_free(&c);
    return 0;
}
