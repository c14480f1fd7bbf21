/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target: kpassd.conf parsing (any bytes must give 0 or a list of
 * "file:line: reason" errors, never a crash or a leak), with every
 * module's section added as kpassd adds them.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "kpass/core/config.h"
#include "kpass/http/api.h"
#include "kpass/id/otp.h"
#include "kpass/smpp/smpp.h"
#include "kpass/sms/outbox.h"
#include "kpass/ussd/dialog.h"

KP_FUZZ_TARGET(config)
{
    static struct smpp_settings smpp;
    static struct ussd_settings ussd;
    static struct sms_settings sms;
    static struct otp_policy otp;
    static struct http_settings http;
    struct kp_config c;
    struct kp_buf err = KP_BUF_INIT;

    kp_config_init(&c);
    kp_config_add(&c, &smpp_conf_table, &smpp);
    kp_config_add(&c, &ussd_conf_table, &ussd);
    kp_config_add(&c, &sms_conf_table, &sms);
    kp_config_add(&c, &otp_conf_table, &otp);
    kp_config_add(&c, &http_conf_table, &http);
    kp_config_parse(&c, "fuzz.conf", (const char *)data, size, &err);
    kp_buf_free(&err);
    kp_config_free(&c);
    return 0;
}
