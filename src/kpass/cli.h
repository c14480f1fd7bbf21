/* SPDX-License-Identifier: ISC */
/*
 * Private to the kpass command-line tool: the shared context of every
 * subcommand (configuration, store), and the helpers they share.
 */
#ifndef KPASS_CLI_H
#define KPASS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "kpass/config.h"
#include "kpass/store.h"

struct kp_cli {
    const char *conf_path;
    struct kp_config cfg;
    int cfg_loaded;
    struct store *st;
    int tty_out; /* stdout is a terminal: colour and progress bars allowed */
};

/* Load the configuration (once); print its errors.  0 or -KP_ERR_CONFIG. */
int cli_config(struct kp_cli *cli);
/* Open the store named by the configuration (once).  0 or < 0 (reported). */
int cli_store(struct kp_cli *cli);

/*
 * Read a secret (a password or PIN): the first line of file when given, else
 * a line from standard input, with echo turned off on a terminal.  The
 * newline is dropped.  Returns its length, or -KP_ERR_INVAL (empty, or
 * longer than cap - 1, reported on stderr).
 */
int cli_read_secret(const char *prompt, const char *file, char *out, size_t cap);

/* Print "kpass: <message>" to stderr; returns 1 (an exit status). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print usage text for a subcommand to stderr; returns 2. */
int cli_usage(const char *text);

/* Subcommands: each takes argv with argv[0] = its own name. */
int cmd_init(struct kp_cli *cli, int argc, char **argv);
int cmd_partner(struct kp_cli *cli, int argc, char **argv);
int cmd_bench(struct kp_cli *cli, int argc, char **argv);
int cmd_phone(struct kp_cli *cli, int argc, char **argv);
int cmd_import(struct kp_cli *cli, int argc, char **argv);
int cmd_service(struct kp_cli *cli, int argc, char **argv);
int cmd_office(struct kp_cli *cli, int argc, char **argv);

#endif
