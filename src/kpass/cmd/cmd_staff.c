/* SPDX-License-Identifier: ISC */
/*
 * kpass staff: add, list, lock, unlock the staff of offices and give them
 * a new PIN.  PINs are read from standard input (echo off on a terminal,
 * asked twice there) or the first line of --pin-file, never from the
 * command line, and never printed.  Every change writes an audit row
 * (actor "kpass:<user>", see cli_actor) in the same transaction.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/store/audit.h"
#include "kpass/office/office.h"
#include "kpass/store/desk.h"

#define STAFF_ACTOR cli_actor()

static const char staff_usage_text[] =
    "kpass staff add OFFICE STAFF_ID --name NAME [--pin-file FILE]\n"
    "       kpass staff list [--office OFFICE]\n"
    "       kpass staff lock|unlock STAFF_ID [--reason TEXT]\n"
    "       kpass staff pin STAFF_ID [--pin-file FILE]\n"
    "       kpass staff remove STAFF_ID";

enum staff_opt {
    OPT_NAME = 1000,
    OPT_PIN_FILE,
    OPT_OFFICE,
    OPT_REASON,
};

static const struct option staff_opts[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"pin-file", required_argument, NULL, OPT_PIN_FILE},
    {"office", required_argument, NULL, OPT_OFFICE},
    {"reason", required_argument, NULL, OPT_REASON},
    {NULL, 0, NULL, 0},
};

struct staff_args {
    const char *name, *pin_file, *office, *reason;
};

#define STAFF_ALLOW(o) (1u << ((o)-OPT_NAME))

/*
 * argv[1..operands] are the operands, options follow them (the parse is in
 * order: see main.c).  0 or an exit status.
 */
static int staff_parse(struct staff_args *a, unsigned allowed, int argc, char **argv, int operands)
{
    int ch;

    memset(a, 0, sizeof(*a));
    if (argc < operands + 1)
        return cli_usage(staff_usage_text);
    optind = operands + 1;
    while ((ch = getopt_long(argc, argv, "", staff_opts, NULL)) != -1) {
        if (ch < OPT_NAME || !(allowed & STAFF_ALLOW(ch)))
            return cli_usage(staff_usage_text);
        if (ch == OPT_NAME)
            a->name = optarg;
        else if (ch == OPT_PIN_FILE)
            a->pin_file = optarg;
        else if (ch == OPT_OFFICE)
            a->office = optarg;
        else
            a->reason = optarg;
    }
    return optind == argc ? 0 : cli_usage(staff_usage_text);
}

/* Why a PIN was refused, in words. */
static int staff_pin_refused(int rc)
{
    if (rc == -KP_ERR_DENIED)
        return cli_fail("that PIN is too easy to guess (one digit repeated, or a run such as "
                        "1234 or 9876): choose another");
    return cli_fail("a PIN is %d to %d digits", STORE_STAFF_PIN_MIN, STORE_STAFF_PIN_MAX);
}

/* Read a new PIN (twice on a terminal) into pin.  0 or an exit status. */
static int staff_read_pin(const char *file, char pin[STORE_STAFF_PIN_SIZE + 1])
{
    char again[STORE_STAFF_PIN_SIZE + 1];
    int rc;

    if (cli_read_secret("New PIN: ", file, pin, STORE_STAFF_PIN_SIZE + 1) < 0)
        return 1;
    if ((rc = store_staff_pin_valid(pin)) < 0) {
        sodium_memzero(pin, STORE_STAFF_PIN_SIZE + 1);
        return staff_pin_refused(rc);
    }
    if (file == NULL && isatty(STDIN_FILENO)) {
        if (cli_read_secret("Repeat the PIN: ", NULL, again, sizeof(again)) < 0)
            return 1;
        rc = strcmp(pin, again);
        sodium_memzero(again, sizeof(again));
        if (rc != 0) {
            sodium_memzero(pin, STORE_STAFF_PIN_SIZE + 1);
            return cli_fail("the two PINs differ");
        }
    }
    return 0;
}

static int staff_add(struct kp_cli *cli, int argc, char **argv)
{
    char pin[STORE_STAFF_PIN_SIZE + 1];
    struct store_staff s;
    struct staff_args a;
    uint8_t *key;
    int rc;

    if ((rc = staff_parse(&a, STAFF_ALLOW(OPT_NAME) | STAFF_ALLOW(OPT_PIN_FILE), argc, argv, 2)) !=
        0)
        return rc;
    memset(&s, 0, sizeof(s));
    if (store_desk_office_valid(argv[1]) < 0)
        return cli_fail("'%s' is not an office code (2 to 8 of A-Z 0-9)", argv[1]);
    if (store_staff_id_valid(argv[2]) < 0)
        return cli_fail("'%s' is not a staff id: 2 to 8 of A-Z 0-9 starting with a letter, "
                        "'-', 1 to 6 digits (PSH-0042)",
                        argv[2]);
    if (a.name == NULL || store_desk_name_valid(a.name, STORE_STAFF_NAME_CHARS) < 0)
        return cli_fail("--name: 1 to %d characters, no control characters, no spaces around",
                        STORE_STAFF_NAME_CHARS);
    snprintf(s.office, sizeof(s.office), "%s", argv[1]);
    snprintf(s.id, sizeof(s.id), "%s", argv[2]);
    snprintf(s.name, sizeof(s.name), "%s", a.name);
    if (cli_desk_key(cli, &key) < 0)
        return 1;
    if ((rc = staff_read_pin(a.pin_file, pin)) != 0) {
        sodium_free(key);
        return rc;
    }
    rc = office_staff_add(cli->st, key, &s, pin, STAFF_ACTOR, kp_time_s());
    sodium_memzero(pin, sizeof(pin));
    sodium_free(key);
    if (rc == -KP_ERR_EXISTS)
        return cli_fail("staff id %s is taken", s.id);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no office %s (see kpass office list)", s.office);
    if (rc < 0)
        return cli_fail("cannot add staff %s: %s", s.id, kp_strerror(rc));
    printf("staff %s added at office %s (%s)\n", s.id, s.office, s.name);
    return 0;
}

static int staff_list(struct kp_cli *cli, int argc, char **argv)
{
    struct store_staff *v;
    struct staff_args a;
    int rc, n;

    if ((rc = staff_parse(&a, STAFF_ALLOW(OPT_OFFICE), argc, argv, 0)) != 0)
        return rc;
    if (cli_store(cli) < 0)
        return 1;
    if ((n = store_staff_list(cli->st, a.office, &v)) < 0)
        return cli_fail("cannot read the staff");
    printf("%-15s %-8s %-8s %-6s %s\n", "ID", "OFFICE", "STATUS", "WRONG", "NAME");
    for (int i = 0; i < n; i++)
        printf("%-15s %-8s %-8s %-6u %s\n", v[i].id, v[i].office, v[i].locked ? "locked" : "active",
               v[i].failed_pins, v[i].name);
    printf("%d staff\n", n);
    free(v);
    return 0;
}

static int staff_lock(struct kp_cli *cli, int argc, char **argv, int lock)
{
    char done[64];
    struct staff_args a;
    const char *id;
    int rc;

    if ((rc = staff_parse(&a, STAFF_ALLOW(OPT_REASON), argc, argv, 1)) != 0)
        return rc;
    id = argv[1];
    if (a.reason && (strlen(a.reason) > 150 || store_audit_detail_check(a.reason) < 0))
        return cli_fail("--reason: at most 150 characters, and the audit log takes no control "
                        "characters, full CNICs, full numbers or codes");
    if (cli_store_keys(cli) < 0)
        return 1;
    rc = lock ? office_staff_lock(cli->st, id, a.reason, STAFF_ACTOR, kp_time_s())
              : office_staff_unlock(cli->st, id, a.reason, STAFF_ACTOR, kp_time_s());
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no staff %s", id);
    if (rc < 0)
        return cli_fail("cannot change staff %s: %s", id, kp_strerror(rc));
    if (rc == 0) {
        printf("staff %s is already %s\n", id, lock ? "locked" : "unlocked");
        return 0;
    }
    snprintf(done, sizeof(done), "staff %s %s", id, lock ? "locked" : "unlocked");
    cli_change_report(cli, done,
                      lock ? "their sessions and sign-ins are refused" : "they may sign in");
    return 0;
}

static int staff_pin(struct kp_cli *cli, int argc, char **argv)
{
    char pin[STORE_STAFF_PIN_SIZE + 1], done[128];
    struct store_staff s;
    struct staff_args a;
    const char *id;
    uint8_t *key;
    int rc;

    if ((rc = staff_parse(&a, STAFF_ALLOW(OPT_PIN_FILE), argc, argv, 1)) != 0)
        return rc;
    id = argv[1];
    if (cli_desk_key(cli, &key) < 0)
        return 1;
    if ((rc = store_staff_get(cli->st, id, &s)) < 0) {
        sodium_free(key);
        return rc == -KP_ERR_NOTFOUND ? cli_fail("no staff %s", id)
                                      : cli_fail("cannot read the staff");
    }
    if ((rc = staff_read_pin(a.pin_file, pin)) != 0) {
        sodium_free(key);
        return rc;
    }
    rc = office_staff_set_pin(cli->st, key, id, pin, STAFF_ACTOR, kp_time_s());
    sodium_memzero(pin, sizeof(pin));
    sodium_free(key);
    if (rc < 0)
        return cli_fail("cannot change the PIN of %s: %s", id, kp_strerror(rc));
    snprintf(done, sizeof(done), "staff %s has a new PIN%s", id,
             s.locked ? " (still locked: kpass staff unlock to let them sign in)" : "");
    cli_change_report(cli, done, "sessions made with the old PIN are refused");
    return 0;
}

static int staff_remove(struct kp_cli *cli, int argc, char **argv)
{
    struct staff_args a;
    char done[64];
    const char *id;
    int rc;

    if ((rc = staff_parse(&a, 0, argc, argv, 1)) != 0)
        return rc;
    id = argv[1];
    if (cli_store_keys(cli) < 0)
        return 1;
    rc = office_staff_remove(cli->st, id, STAFF_ACTOR, kp_time_s());
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no staff %s", id);
    if (rc < 0)
        return cli_fail("cannot remove staff %s: %s", id, kp_strerror(rc));
    snprintf(done, sizeof(done), "staff %s removed", id);
    cli_change_report(cli, done, "their sessions and sign-ins are refused");
    return 0;
}

int cmd_staff(struct kp_cli *cli, int argc, char **argv)
{
    const char *verb;

    if (argc < 2)
        return cli_usage(staff_usage_text);
    verb = argv[1];
    argc--;
    argv++;
    if (strcmp(verb, "add") == 0)
        return staff_add(cli, argc, argv);
    if (strcmp(verb, "list") == 0)
        return staff_list(cli, argc, argv);
    if (strcmp(verb, "lock") == 0 || strcmp(verb, "unlock") == 0)
        return staff_lock(cli, argc, argv, verb[0] == 'l');
    if (strcmp(verb, "pin") == 0)
        return staff_pin(cli, argc, argv);
    if (strcmp(verb, "remove") == 0)
        return staff_remove(cli, argc, argv);
    return cli_usage(staff_usage_text);
}
