/* SPDX-License-Identifier: ISC */
/*
 * Private to the kpass command-line tool: the shared context of every
 * subcommand (configuration, store), and the helpers they share.
 */
#ifndef KPASS_CLI_H
#define KPASS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpass/core/config.h"
#include "kpass/registry/registry.h"
#include "kpass/http/api.h"
#include "kpass/id/otp.h"
#include "kpass/smpp/smpp.h"
#include "kpass/sms/outbox.h"
#include "kpass/ussd/dialog.h"
#include "kpass/store/backend.h"
#include "kpass/store/store.h"

struct kp_cli {
    const char *conf_path;
    struct kp_config cfg;
    struct ussd_settings ussd; /* [ussd]: the menus folder, the page limits */
    struct otp_policy otp;     /* [otp], [sms]: read so that the file is accepted whole */
    struct sms_settings sms;
    struct http_settings http;   /* [http]: where kpass desk finds the API */
    struct smpp_settings smpp;   /* [smpp]: where kpass bench and phone find kpassd */
    struct store_settings store; /* [store]: SQLite ([daemon] database) or PostgreSQL */
    int cfg_loaded;
    struct store *st;
    struct registry *reg; /* the citizen registry over st, once cli_store_keys() made it */
    int tty_out;          /* stdout is a terminal: colour and progress bars allowed */
    uint8_t *cnic_key;    /* keys/cnic.key once cli_store_keys() loaded it (sodium memory) */
    uint8_t *audit_key;   /* keys/audit.key, likewise */
};

#define CLI_TIME_SIZE 21 /* "2025-01-31T10:00:00Z" + NUL */

/* Load the configuration (once); print its errors.  0 or -KP_ERR_CONFIG. */
int cli_config(struct kp_cli *cli);
/* Open the store named by the configuration (once).  0 or < 0 (reported). */
int cli_store(struct kp_cli *cli);
/*
 * Open the store and give it the keys that the registry and the audit log
 * need (cnic.key, audit.key; loaded once, freed when kpass exits).
 * 0 or < 0 (reported).
 */
int cli_store_keys(struct kp_cli *cli);

/*
 * The audit log's actor for a change made with kpass: "kpass:<user>", or
 * "kpass:<user>(sudo:<SUDO_USER>)" when run through sudo, so that an
 * operator's change names the person, not just the tool.  Static storage.
 */
const char *cli_actor(void);

#define CLI_CHANGE_WAIT_MS 2000 /* how long a change waits for kpassd to confirm it */
#define CLI_CHANGE_STEP_MS 20

/*
 * After a committed change that a running kpassd must follow (it bumped
 * the change counter, store_change.h): wait up to CLI_CHANGE_WAIT_MS for
 * the daemon to confirm it has applied it, and only then print
 * "<done>: <in_force> from now on".  Otherwise say what is true: no
 * daemon is running (it applies at start), or the running one has not
 * confirmed yet.  On a cluster's store (store_shared) any node's
 * confirmation counts and no pid is looked at: the nodes run on other
 * machines.  The store must be open.
 */
void cli_change_report(struct kp_cli *cli, const char *done, const char *in_force);

/* t (Unix seconds) as ISO 8601 UTC, "2025-01-31T10:00:00Z"; returns out. */
const char *cli_time(int64_t t, char out[CLI_TIME_SIZE]);

/*
 * Read a secret (a password or PIN): the first line of file when given, else
 * a line from standard input, with echo turned off on a terminal.  The
 * newline is dropped.  Returns its length, or -KP_ERR_INVAL (empty, or
 * longer than cap - 1, reported on stderr).
 */
int cli_read_secret(const char *prompt, const char *file, char *out, size_t cap);

/*
 * Open the store with its keys (cli_store_keys) and derive the desk key
 * from keys/partner.key (office_desk_key_derive) into new sodium_malloc()
 * memory at *key; the caller sodium_free()s it.  0 or < 0 (reported).
 */
int cli_desk_key(struct kp_cli *cli, uint8_t **key);

/* A secret's file (a token, a signing secret): a regular file no one but
   its owner may read.  0, or 1 (reported). */
int cli_secret_file(const char *path);
/* Print "kpass: <message>" to stderr; returns 1 (an exit status). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print usage text for a subcommand to stderr; returns 2. */
int cli_usage(const char *text);
/* Unix seconds, "YYYY-MM-DD[THH:MM[:SS][Z]]" (UTC), and with relative set
   "30m", "24h", "7d" before now.  0 or -1. */
int cli_time_parse(const char *s, int64_t now, int relative, int64_t *out);

/* Subcommands: each takes argv with argv[0] = its own name. */
int cmd_init(struct kp_cli *cli, int argc, char **argv);
int cmd_partner(struct kp_cli *cli, int argc, char **argv);
int cmd_bench(struct kp_cli *cli, int argc, char **argv);
int cmd_phone(struct kp_cli *cli, int argc, char **argv);
int cmd_menu(struct kp_cli *cli, int argc, char **argv);
int cmd_import(struct kp_cli *cli, int argc, char **argv);
/* The default seed folder (the source tree's etc/seed, else the installed
   one): a malloc'd path, or NULL after reporting. */
char *cli_seed_dir(void);
int cmd_service(struct kp_cli *cli, int argc, char **argv);
int cmd_app(struct kp_cli *cli, int argc, char **argv);
int cmd_department(struct kp_cli *cli, int argc, char **argv);
int cmd_webhook(struct kp_cli *cli, int argc, char **argv);
int cmd_simswap(struct kp_cli *cli, int argc, char **argv);
int cmd_office(struct kp_cli *cli, int argc, char **argv);
int cmd_citizen(struct kp_cli *cli, int argc, char **argv);
int cmd_audit(struct kp_cli *cli, int argc, char **argv);
int cmd_keys(struct kp_cli *cli, int argc, char **argv);
int cmd_qr(struct kp_cli *cli, int argc, char **argv);
int cmd_desk(struct kp_cli *cli, int argc, char **argv);
int cmd_receipt(struct kp_cli *cli, int argc, char **argv);
int cmd_staff(struct kp_cli *cli, int argc, char **argv);
int cmd_sms(struct kp_cli *cli, int argc, char **argv);
int cmd_backup(struct kp_cli *cli, int argc, char **argv);
int cmd_restore(struct kp_cli *cli, int argc, char **argv);
int cmd_migrate(struct kp_cli *cli, int argc, char **argv);
/* `kpass import citizens ...` (argv[0] = "citizens"), for whichever cmd_import dispatches. */
int import_citizens(struct kp_cli *cli, int argc, char **argv);

#endif
