/* SPDX-License-Identifier: ISC */
/*
 * kpassd.conf: the daemon's configuration (see kpassd.conf(5)).  kpass reads
 * the same file to find the database and key folder.
 *
 * struct kp_config holds the sections core still keeps; a module that owns
 * its section ([ussd]: ussd_conf_table in ussd/dialog.c, [sms]:
 * sms_conf_table in sms/outbox.c, [otp]: otp_conf_table in id/otp.c,
 * [http]: http_conf_table in http/server.c, [smpp]: smpp_conf_table in
 * smpp/hub.c) is
 * added by the
 * program with kp_config_add, with the settings struct it fills.
 */
#ifndef KPASS_CONFIG_H
#define KPASS_CONFIG_H

#include <stdint.h>

#include "kpass/core/addr.h"
#include "kpass/core/buf.h"
#include "kpass/core/conf.h"

#define KP_CONFIG_MAX_SECTIONS 8 /* modules' own sections, added by the program */

enum kp_config_log_target { KP_CONFIG_LOG_STDERR = 0, KP_CONFIG_LOG_SYSLOG = 1 };

struct kp_config {
    char *path;          /* the file this came from, or NULL for defaults */
    unsigned *key_lines; /* the line each key was set on (0: default), for later errors */
    struct conf_section sections[KP_CONFIG_MAX_SECTIONS]; /* the modules' own, in order */
    size_t nsections;

    /* [daemon] */
    char *database;
    char *keys_dir;
    char *system_id;
    char *node;               /* this node's name in a cluster (default: the host's) */
    int log_level;            /* enum kp_log_level */
    int log_target;           /* enum kp_config_log_target */
    unsigned audit_verify_ms; /* how often kpassd walks the audit chain; 0: never */
};

/* Defaults for every key (the values kpassd.conf(5) documents). */
void kp_config_init(struct kp_config *c);
/*
 * Add a module's section: its keys are parsed into set (borrowed: it must
 * outlive c), whose defaults are written now.  Called by the programs
 * between kp_config_init and kp_config_load, which assemble the list (a
 * file naming a section nobody added is refused as unknown).
 */
void kp_config_add(struct kp_config *c, const struct conf_table *t, void *set);
void kp_config_free(struct kp_config *c);

/*
 * Parse text as a kpassd.conf named file into c (which holds defaults).
 * Errors go to err as "file:line: reason" lines.  0 or -KP_ERR_CONFIG.
 */
int kp_config_parse(struct kp_config *c, const char *file, const char *text, size_t len,
                    struct kp_buf *err);

/* Read and parse path; a missing file is an error too.  0 or -KP_ERR_CONFIG. */
int kp_config_load(struct kp_config *c, const char *path, struct kp_buf *err);
#define KP_PATH_DIR   1 /* a folder, else a regular file */
#define KP_PATH_WRITE 2 /* writable too, not only readable */
/*
 * Check that path, the value of the key name, is a folder or a regular
 * file (flags: KP_PATH_*) that this process can read (and write).  0, or
 * -KP_ERR_CONFIG after appending "file:line: name: path: reason" to err
 * (the line the key was set on; "(default)" when the file did not set it).
 */
int kp_config_path_check(const struct kp_config *c, const char *name, const char *path, int flags,
                         struct kp_buf *err);

/* The config file to use: explicit, else $KPASS_CONF, else the installed default. */
const char *kp_config_default_path(const char *explicit_path);

#endif
