/* SPDX-License-Identifier: ISC */
/*
 * `kpass desk` and `kpass staff` run as the real program: a desk's token
 * shown once (printed, or written to a new 0600 file) and found nowhere in
 * the database; listing, revoking; staff added with PINs from stdin and
 * from a file, weak PINs and bad ids refused with their messages, locking,
 * unlocking and a new PIN; every change in the audit log and the chain
 * intact; an office with desks kept.  Then `kpass desk run` as staff use
 * it, against a scripted server: the token file's mode checked, the URL
 * taken from [http] listen, a whole verification.  No output holds a full
 * CNIC or number, a PIN or a token other than the one shown at creation.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_http.h"
#include "kpass/core/mem.h"
#include "testutil.h"

static struct tu_daemon d;

static void cli_setup(void)
{
    char *out = NULL;

    tu_daemon_prepare(&d, NULL);
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "import", "seed", NULL), 0);
    free(out);
}

static void cli_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Run kpass ARGS... with stdin in; check the exit status and a part of the output. */
static char *run(const char *in, int want_rc, const char *want, ...)
{
    char *out = NULL;
    va_list ap;
    int rc;

    va_start(ap, want);
    rc = tu_kpass_v(&d, in, &out, ap);
    va_end(ap);
    ck_assert_ptr_nonnull(out);
    tu_assert_masked(out);
    ck_assert_msg(rc == want_rc, "exit %d, want %d: %s", rc, want_rc, out);
    ck_assert_msg(strstr(out, want) != NULL, "want '%s' in: %s", want, out);
    return out;
}

#define RUN(in, rc, want, ...) free(run(in, rc, want, __VA_ARGS__, (const char *)NULL))

/* `kpass audit verify` says the chain is intact (its head hash is hex: not scanned). */
static void assert_chain(void)
{
    char *out = NULL;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "chain intact"));
    free(out);
}

static void path_in(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", d.dir, name);
}

/* Does any of the database's files hold text? */
static int db_has(const char *text)
{
    static const char *const suffix[] = {"", "-wal"};
    int found = 0;

    for (size_t i = 0; i < KP_ARRAY_LEN(suffix) && !found; i++) {
        char path[600];
        size_t len = 0;
        uint8_t *data;
        snprintf(path, sizeof(path), "%s/kpass.db%s", d.dir, suffix[i]);
        if ((data = tu_read_file(path, &len)) == NULL)
            continue;
        for (size_t j = 0; j + strlen(text) <= len && !found; j++)
            found = memcmp(data + j, text, strlen(text)) == 0;
        free(data);
    }
    return found;
}

START_TEST(test_desk_admin)
{
    char *out, token[64] = "", file[600], *line;
    struct stat sb;

    out = run(NULL, 0, "desk PSHDC1-1 added at office PSHDC1 (Front counter)\n", "desk", "add",
              "PSHDC1", "--name", "Front counter", NULL);
    ck_assert_ptr_nonnull((line = strstr(out, "token: kd1_")));
    ck_assert_int_eq(sscanf(line, "token: %63s", token), 1);
    ck_assert_uint_eq(strlen(token), 47);
    ck_assert_ptr_nonnull(strstr(out, "shown only this once"));
    free(out);
    ck_assert_msg(!db_has(token) && !db_has(token + 4), "the token is in the database");
    /* To a file instead: a new file, mode 0600, never over an existing one. */
    path_in(file, sizeof(file), "desk2.token");
    out = run(NULL, 0, "token written to ", "desk", "add", "PSHDC1", "--token-file", file, NULL);
    ck_assert_ptr_null(strstr(out, "kd1_"));
    free(out);
    ck_assert_int_eq(stat(file, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0600);
    RUN(NULL, 1, "exists: the token goes only to a new file", "desk", "add", "PSHDC1",
        "--token-file", file);
    RUN(NULL, 0, "desk PSHEX1-1 added", "desk", "add", "PSHEX1");
    RUN(NULL, 1, "no office NOSUCH", "desk", "add", "NOSUCH");
    RUN(NULL, 1, "'pshdc1' is not an office code", "desk", "add", "pshdc1");
    RUN(NULL, 1, "--name: 1 to 40 characters", "desk", "add", "PSHDC1", "--name", " x");
    RUN(NULL, 2, "usage:", "desk", "add", "PSHDC1", "extra");
    /* Listing shows no token. */
    out = run(NULL, 0, "PSHDC1-1       PSHDC1   active", "desk", "list", NULL);
    ck_assert_ptr_nonnull(strstr(out, "PSHDC1-2"));
    ck_assert_ptr_nonnull(strstr(out, "PSHEX1-1"));
    ck_assert_ptr_nonnull(strstr(out, "3 desks\n"));
    ck_assert_ptr_null(strstr(out, "kd1_"));
    free(out);
    out = run(NULL, 0, "1 desk\n", "desk", "list", "--office", "PSHEX1", NULL);
    ck_assert_ptr_null(strstr(out, "PSHDC1"));
    free(out);
    RUN(NULL, 0, "desk PSHDC1-1 revoked; no kpassd is running", "desk", "revoke", "PSHDC1-1");
    RUN(NULL, 0, "desk PSHDC1-1 was already revoked\n", "desk", "revoke", "PSHDC1-1");
    RUN(NULL, 1, "no desk PSHDC1-9", "desk", "revoke", "PSHDC1-9");
    RUN(NULL, 0, "PSHDC1-1       PSHDC1   revoked", "desk", "list");
    RUN(NULL, 1, "office PSHDC1 has desks or staff on record", "office", "remove", "PSHDC1");
    RUN(NULL, 0, "desk.revoked", "audit", "show");
    assert_chain();
}
END_TEST

START_TEST(test_staff_admin)
{
    char file[600], *out;

    RUN("4821\n", 0, "staff PSH-0042 added at office PSHDC1 (Ayesha Khan)\n", "staff", "add",
        "PSHDC1", "PSH-0042", "--name", "Ayesha Khan");
    path_in(file, sizeof(file), "pin");
    ck_assert_int_eq(tu_write_file(file, "7305\n"), 0);
    RUN(NULL, 0, "staff PSH-0007 added", "staff", "add", "PSHDC1", "PSH-0007", "--name", "Bilal",
        "--pin-file", file);
    RUN("1234\n", 1, "that PIN is too easy to guess", "staff", "add", "PSHDC1", "PSH-0043",
        "--name", "X");
    RUN("0000\n", 1, "that PIN is too easy to guess", "staff", "add", "PSHDC1", "PSH-0043",
        "--name", "X");
    RUN("48a1\n", 1, "a PIN is 4 to 8 digits", "staff", "add", "PSHDC1", "PSH-0043", "--name", "X");
    RUN("482\n", 1, "a PIN is 4 to 8 digits", "staff", "add", "PSHDC1", "PSH-0043", "--name", "X");
    RUN("", 1, "empty secret", "staff", "add", "PSHDC1", "PSH-0043", "--name", "X");
    RUN("5813\n", 1, "staff id PSH-0042 is taken", "staff", "add", "PSHEX1", "PSH-0042", "--name",
        "X");
    RUN("5813\n", 1, "no office NOSUCH", "staff", "add", "NOSUCH", "PSH-0043", "--name", "X");
    RUN("5813\n", 1, "'psh-43' is not a staff id", "staff", "add", "PSHDC1", "psh-43", "--name",
        "X");
    RUN("5813\n", 1, "--name: 1 to 64 characters", "staff", "add", "PSHDC1", "PSH-0043");
    RUN(NULL, 2, "usage:", "staff", "add", "PSHDC1");
    out = run(NULL, 0, "PSH-0042        PSHDC1   active   0      Ayesha Khan\n", "staff", "list",
              NULL);
    ck_assert_ptr_nonnull(strstr(out, "2 staff\n"));
    ck_assert_ptr_null(strstr(out, "4821"));
    ck_assert_ptr_null(strstr(out, "argon2"));
    free(out);
    RUN(NULL, 0, "0 staff\n", "staff", "list", "--office", "PSHEX1");
    RUN(NULL, 0, "staff PSH-0042 locked; no kpassd is running", "staff", "lock", "PSH-0042",
        "--reason", "on leave");
    RUN(NULL, 0, "staff PSH-0042 is already locked\n", "staff", "lock", "PSH-0042");
    RUN(NULL, 0, "PSH-0042        PSHDC1   locked", "staff", "list");
    RUN("9021\n", 0, "staff PSH-0042 has a new PIN (still locked", "staff", "pin", "PSH-0042");
    RUN(NULL, 0, "staff PSH-0042 unlocked; no kpassd is running", "staff", "unlock", "PSH-0042");
    RUN("9021\n", 0, "staff PSH-0042 has a new PIN; no kpassd is running", "staff", "pin",
        "PSH-0042");
    RUN("1111\n", 1, "too easy to guess", "staff", "pin", "PSH-0042");
    RUN("9021\n", 1, "no staff PSH-0099", "staff", "pin", "PSH-0099");
    RUN(NULL, 1, "no staff PSH-0099", "staff", "unlock", "PSH-0099");
    RUN(NULL, 1, "--reason: at most 150 characters", "staff", "lock", "PSH-0007", "--reason",
        "CNIC 35202 123456");
    out = run(NULL, 0, "staff.added", "audit", "show", NULL);
    ck_assert_ptr_nonnull(strstr(out, "staff.locked"));
    ck_assert_ptr_nonnull(strstr(out, "staff.unlocked"));
    ck_assert_ptr_nonnull(strstr(out, "staff.pin_changed"));
    ck_assert_ptr_nonnull(strstr(out, "staff PSH-0042 reason: on leave"));
    free(out);
    assert_chain();
    ck_assert(!db_has("4821") && !db_has("9021") && !db_has("7305"));
}
END_TEST

START_TEST(test_desk_run)
{
    static const struct fake_reply replies[] = {
        {200, "{\"status\":\"ok\"}", NULL, 0, 0}, /* GET /healthz before the staff id */
        {201,
         "{\"session\":\"ks1_s3cr3t\",\"expires_at\":1795766400,\"office\":{\"code\":"
         "\"PSHDC1\",\"name\":\"DC Office Peshawar\"},\"desk\":\"PSHDC1-2\",\"staff\":"
         "\"PSH-0042\"}",
         NULL, 0, 0},
        {201,
         "{\"id\":\"9f2c4e\",\"citizen\":{\"name\":\"Ayesha Khan\",\"cnic\":\"35202-1234567-1\","
         "\"msisdn\":\"+923001234567\"}}",
         NULL, 0, 0},
        {202, "{\"state\":\"code_sent\",\"msisdn\":\"+92300****567\",\"expires_at\":1}", NULL, 0,
         0},
        {200, "{\"result\":\"verified\",\"receipt_id\":\"K7Q2M9X4TB\"}", NULL, 0, 0},
    };
    char file[600], conf[600], url[64], text[128], token[64], *out, *line;
    struct fake_server s;

    path_in(file, sizeof(file), "desk.token");
    out = run(NULL, 0, "token written", "desk", "add", "PSHDC1", "--token-file", file, NULL);
    free(out);
    out = (char *)tu_read_file(file, NULL);
    ck_assert_int_eq(sscanf(out, "%63s", token), 1);
    free(out);
    /* The token file must be the owner's alone; a missing one is named. */
    chmod(file, 0640);
    RUN("", 1, "only its owner may read (chmod 600", "desk", "run", "--token-file", file);
    chmod(file, 0600);
    RUN("", 1, "--token-file FILE", "desk", "run");
    RUN("", 2, "this client speaks plain HTTP", "desk", "--token-file", file, "--url",
        "https://127.0.0.1:1");
    RUN("", 2, "usage:", "desk", "run", "--token-file", file, "--nope");

    fake_start(&s, replies, KP_ARRAY_LEN(replies));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    out = run("PSH-0042\n4821\nKP1:TOKEN\n1\n123456\n", 0, "VERIFIED\nReceipt: K7Q2M9X4TB\n",
              "desk", "--token-file", file, "--url", url, NULL);
    fake_stop(&s);
    ck_assert_ptr_nonnull(strstr(out, "  CNIC:      *****-****567-1\n"));
    ck_assert_ptr_nonnull(strstr(out, "  Mobile:    +92300****567\n"));
    ck_assert_ptr_null(strstr(out, "\033")); /* not a terminal: no colour */
    ck_assert_ptr_null(strstr(out, token));
    free(out);
    snprintf(text, sizeof(text), "\"desk_token\":\"%s\"", token);
    ck_assert_ptr_nonnull(strstr(s.requests[0], "GET /healthz "));
    ck_assert_ptr_nonnull(strstr(s.requests[1], text));
    ck_assert_ptr_nonnull(strstr(s.requests[4], "{\"code\":\"123456\"}"));
    fake_free(&s);

    /* The URL from [http] listen of the configuration (0.0.0.0: this machine). */
    fake_start(&s, replies, 2);
    path_in(conf, sizeof(conf), "desk.conf");
    snprintf(text, sizeof(text), "[daemon]\ndatabase = /nonexistent\n[http]\nlisten = 0.0.0.0:%d\n",
             s.port);
    ck_assert_int_eq(tu_write_file(conf, text), 0);
    {
        char *argv[] = {strdup(tu_bin("kpass")), strdup("-c"), conf, strdup("desk"),
                        strdup("--token-file"),  file,         NULL};
        ck_assert_int_eq(tu_run(argv, "PSH-0042\n4821\n", &out, 30000), 0);
        free(argv[0]);
        free(argv[1]);
        free(argv[3]);
        free(argv[4]);
    }
    fake_stop(&s);
    ck_assert_msg((line = strstr(out, "Signed in: PSH-0042 at desk PSHDC1-2")) != NULL, "%s", out);
    free(out);
    fake_free(&s);
}
END_TEST

Suite *suite_desk_cli(void)
{
    Suite *s = suite_create("desk_cli");
    TCase *tc = tcase_create("cli");

    tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_desk_admin);
    tcase_add_test(tc, test_staff_admin);
    tcase_add_test(tc, test_desk_run);
    suite_add_tcase(s, tc);
    return s;
}
