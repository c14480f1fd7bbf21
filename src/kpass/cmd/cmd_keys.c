/* SPDX-License-Identifier: ISC */
/*
 * kpass keys: the key folder's signing keys (keys.h, doc/kp1-token.md §3
 * and §7).
 *
 *   kpass keys init            create whatever keys are missing (kpass init does it too)
 *   kpass keys list            id, status (active/verify/retired), created
 *   kpass keys rotate          a new active key; the old one only verifies
 *   kpass keys retire ID       tokens and receipts signed by ID are refused
 *   kpass keys export-public   the trust list, for whoever verifies tokens
 *
 * Rotating and retiring write an audit row (key.rotated, key.retired) in
 * a transaction opened before the key folder changes, so that the row is
 * committed right after the change; the folder and the database cannot
 * change atomically together, so a failure between the two is reported
 * as such.  The same transaction bumps the change counter
 * (store_change.h): a running kpassd reloads its key ring within a tick
 * (0.1 s) and confirms, and only then does the command say the change is
 * in force.
 */
#include <stdio.h>
#include <string.h>

#include "../cli.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/store/audit.h"
#include "kpass/store/change.h"

#define KEYS_ACTOR cli_actor()

static const char keys_usage_text[] = "kpass keys init|list|rotate|export-public\n"
                                      "       kpass keys retire ID";

/* Print err's lines (the key functions' reasons), then a summary; returns 1. */
static int keys_fail(struct kp_buf *err, const char *what, int rc)
{
    if (err->len > 0)
        fputs(err->data, stderr);
    cli_fail("%s: %s", what, kp_strerror(rc));
    kp_buf_free(err);
    return 1;
}

static int keys_init(struct kp_cli *cli)
{
    struct kp_buf err = KP_BUF_INIT;
    int rc;

    if (cli_config(cli) < 0)
        return 1;
    if ((rc = keys_dir_init(cli->cfg.keys_dir, kp_time_s(), &err)) < 0)
        return keys_fail(&err, "cannot prepare the key folder", rc);
    kp_buf_free(&err);
    if (rc == 0)
        printf("key folder %s: complete, nothing created\n", cli->cfg.keys_dir);
    else
        printf("key folder %s: %d files created\n", cli->cfg.keys_dir, rc);
    return 0;
}

static int keys_list(struct kp_cli *cli)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct kp_buf err = KP_BUF_INIT;
    int rc;

    if (cli_config(cli) < 0)
        return 1;
    if ((rc = keys_dir_list(cli->cfg.keys_dir, &t, &err)) < 0)
        return keys_fail(&err, "cannot read the trust list", rc);
    printf("%-8s  %-7s  %s\n", "ID", "STATUS", "CREATED");
    for (size_t i = 0; i < t.n; i++) {
        char id[TRUST_ID_HEX], when[CLI_TIME_SIZE];
        trust_id_hex(t.keys[i].id, id);
        printf("%-8s  %-7s  %s\n", id, trust_status_name(t.keys[i].status),
               cli_time(t.keys[i].created, when));
    }
    trust_list_free(&t);
    kp_buf_free(&err);
    return 0;
}

/*
 * Commit the audit row of a change already made to the key folder, with
 * a bump of the change counter that tells a running kpassd to reload its
 * key ring (store_change.h).  0 or 1 (reported).
 */
static int keys_audit(struct kp_cli *cli, const char *event, const char *detail, int64_t now)
{
    int64_t id = audit_append(cli->st, now, event, KEYS_ACTOR, NULL, detail);

    if (id >= 0 && store_change_bump(cli->st, STORE_CHANGE_KEYS) < 0)
        id = -KP_ERR_DB;
    if (id < 0 || store_tx_commit(cli->st) < 0) {
        store_tx_rollback(cli->st);
        return cli_fail("the key folder changed (%s) but its audit row could not be written: %s",
                        detail, kp_strerror(id < 0 ? (int)id : -KP_ERR_DB));
    }
    return 0;
}

static int keys_rotate(struct kp_cli *cli)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct kp_buf err = KP_BUF_INIT;
    const struct trust_key *old;
    uint8_t id[TRUST_ID_BYTES];
    char old_hex[TRUST_ID_HEX] = "", new_hex[TRUST_ID_HEX], detail[64], done[160];
    int64_t now = kp_time_s();
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    if ((rc = keys_dir_list(cli->cfg.keys_dir, &t, &err)) < 0)
        return keys_fail(&err, "cannot read the trust list", rc);
    if ((old = trust_list_active(&t)) != NULL)
        trust_id_hex(old->id, old_hex);
    trust_list_free(&t);
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot write to the database");
    if ((rc = keys_dir_rotate(cli->cfg.keys_dir, now, id, &err)) < 0) {
        store_tx_rollback(cli->st);
        return keys_fail(&err, "cannot rotate the signing key", rc);
    }
    /* A seed that could not be deleted is reported, but the rotation stands. */
    if (err.len > 0)
        fputs(err.data, stderr);
    kp_buf_free(&err);
    trust_id_hex(id, new_hex);
    if (old_hex[0])
        snprintf(detail, sizeof(detail), "%s -> %s", old_hex, new_hex);
    else
        snprintf(detail, sizeof(detail), "new %s", new_hex);
    if (keys_audit(cli, "key.rotated", detail, now) != 0)
        return 1;
    snprintf(done, sizeof(done), "signing key %s is active", new_hex);
    if (old_hex[0])
        snprintf(done + strlen(done), sizeof(done) - strlen(done),
                 "; %s now only verifies (retire it with: kpass keys retire %s)", old_hex, old_hex);
    cli_change_report(cli, done, "kpassd signs receipts with it");
    return 0;
}

static int keys_retire(struct kp_cli *cli, const char *arg)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct kp_buf err = KP_BUF_INIT;
    const struct trust_key *k;
    enum trust_status status;
    uint8_t id[TRUST_ID_BYTES];
    char hex[TRUST_ID_HEX], done[64];
    int64_t now = kp_time_s();
    int rc;

    if (trust_id_parse(arg, id) < 0)
        return cli_fail("a key id is 8 hex digits (see kpass keys list)");
    trust_id_hex(id, hex);
    if (cli_store_keys(cli) < 0)
        return 1;
    if ((rc = keys_dir_list(cli->cfg.keys_dir, &t, &err)) < 0)
        return keys_fail(&err, "cannot read the trust list", rc);
    k = trust_list_find(&t, id);
    status = k != NULL ? k->status : TRUST_RETIRED;
    trust_list_free(&t);
    kp_buf_free(&err);
    if (k == NULL)
        return cli_fail("no signing key %s", hex);
    if (status == TRUST_ACTIVE)
        return cli_fail("%s is the active key; rotate first (kpass keys rotate)", hex);
    if (status == TRUST_RETIRED) {
        printf("signing key %s is already retired\n", hex);
        return 0;
    }
    if (store_tx_begin(cli->st) < 0)
        return cli_fail("cannot write to the database");
    if ((rc = keys_dir_retire(cli->cfg.keys_dir, id, &err)) < 0) {
        store_tx_rollback(cli->st);
        return keys_fail(&err, "cannot retire the key", rc);
    }
    kp_buf_free(&err);
    if (keys_audit(cli, "key.retired", hex, now) != 0)
        return 1;
    snprintf(done, sizeof(done), "signing key %s retired", hex);
    cli_change_report(cli, done, "everything it signed is refused");
    return 0;
}

static int keys_export(struct kp_cli *cli)
{
    struct kp_buf out = KP_BUF_INIT, err = KP_BUF_INIT;
    int rc;

    if (cli_config(cli) < 0)
        return 1;
    if ((rc = keys_dir_export(cli->cfg.keys_dir, &out, &err)) < 0) {
        kp_buf_free(&out);
        return keys_fail(&err, "cannot read the trust list", rc);
    }
    fwrite(out.data, 1, out.len, stdout);
    kp_buf_free(&out);
    kp_buf_free(&err);
    return 0;
}

int cmd_keys(struct kp_cli *cli, int argc, char **argv)
{
    const char *verb = argc >= 2 ? argv[1] : "";

    if (argc == 2 && strcmp(verb, "init") == 0)
        return keys_init(cli);
    if (argc == 2 && strcmp(verb, "list") == 0)
        return keys_list(cli);
    if (argc == 2 && strcmp(verb, "rotate") == 0)
        return keys_rotate(cli);
    if (argc == 3 && strcmp(verb, "retire") == 0)
        return keys_retire(cli, argv[2]);
    /* doc/kp1-token.md §3 calls it `kpass keys export`. */
    if (argc == 2 && (strcmp(verb, "export-public") == 0 || strcmp(verb, "export") == 0))
        return keys_export(cli);
    return cli_usage(keys_usage_text);
}
