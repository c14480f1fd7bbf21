/* SPDX-License-Identifier: ISC */
/*
 * `kpass keys` and `kpass qr` run as the real program on a folder made by
 * `kpass init`, with the demo citizens imported: issue and verify round
 * trips (the token's text, a PNG read back with zbar, standard input),
 * the terminal drawing's size, revoked, expired and not-yet-valid tokens,
 * a rotated key that still verifies and a retired one that does not,
 * blocked and deceased citizens, damaged tokens, listing, usage errors,
 * and the audit rows each change leaves.  Every output of every run is
 * scanned: no full CNIC and no full mobile number may appear in any.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpass/id/kp1.h"
#include "kpass/core/mem.h"
#include "kpass/id/qr.h"
#include "testutil.h"

static struct tu_daemon d;

static void cli_setup(void)
{
    char *out, seed[1024];
    int rc;

    tu_daemon_prepare(&d, NULL);
    tu_import_districts(&d);
    snprintf(seed, sizeof(seed), "%s/etc/seed/citizens.csv", tu_top());
    rc = tu_kpass(&d, NULL, &out, "import", "citizens", seed, NULL);
    ck_assert_msg(rc == 0, "import: %s", out);
    free(out);
}

static void cli_teardown(void)
{
    tu_daemon_cleanup(&d);
}

/* Run `kpass -c conf ARGS...` (NULL-terminated), stdin from in; the output is scanned. */
#define run(in, out, ...)    tu_kpass_masked(&d, (in), (out), __VA_ARGS__)
#define RUN(out, ...)        run(NULL, out, __VA_ARGS__, (const char *)NULL)
#define RUN_IN(in, out, ...) run(in, out, __VA_ARGS__, (const char *)NULL)

/* Check a run's exit status and a part of its output (freed). */
static void expect(int rc, char **out, int want_rc, const char *want)
{
    ck_assert_msg(rc == want_rc, "exit %d, want %d: %s", rc, want_rc, *out);
    ck_assert_msg(strstr(*out, want) != NULL, "want '%s' in: %s", want, *out);
    free(*out);
    *out = NULL;
}

/* The token line of `kpass qr issue`'s output, into tok. */
static void token_of(const char *out, char tok[KP1_TEXT_SIZE])
{
    const char *k = strstr(out, "\n" KP1_PREFIX);

    ck_assert_msg(k != NULL, "no token in: %s", out);
    ck_assert_msg(strlen(k + 1) > KP1_TEXT_LEN && k[1 + KP1_TEXT_LEN] == '\n', "%s", out);
    memcpy(tok, k + 1, KP1_TEXT_LEN);
    tok[KP1_TEXT_LEN] = '\0';
}

/* Issue a credential for cnic (extra options, NULL-terminated); its token into tok. */
static void issue(const char *cnic, char tok[KP1_TEXT_SIZE], const char *opt1, const char *opt2)
{
    char *out;
    int rc = RUN(&out, "qr", "issue", cnic, opt1, opt2);

    ck_assert_msg(rc == 0, "issue: %s", out);
    token_of(out, tok);
    free(out);
}

/* The serial ("0a1b2c3d:4e5f6071:8293a4b5") named on the "serial:" line of verify. */
static void serial_of(const char *tok, char serial[27])
{
    char *out, *s;

    RUN(&out, "qr", "verify", tok);
    ck_assert_ptr_nonnull(s = strstr(out, "serial:    "));
    memcpy(serial, s + 11, 26);
    serial[26] = '\0';
    free(out);
}

/* The number of rows in the audit log (not scanned: the head's hash is hex). */
static int audit_rows(void)
{
    char *out;
    int rows = -1;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "verify", NULL), 0);
    ck_assert_int_eq(sscanf(out, "audit: %d rows, chain intact", &rows), 1);
    free(out);
    return rows;
}

START_TEST(test_qr_roundtrip)
{
    char *out, tok[KP1_TEXT_SIZE], line[KP1_TEXT_SIZE + 8];
    int rows = audit_rows();

    expect(RUN(&out, "qr", "issue", "10000-0000001-1"), &out, 0,
           "issued to citizen *****-****001-1 (Ahmad Khan)\n");
    expect(RUN(&out, "qr", "issue", "1000000000011", "--days=30"), &out, 0, " (30 days)\n");
    issue("10000-0000001-1", tok, NULL, NULL);
    ck_assert_int_eq(audit_rows(), rows + 3);
    expect(RUN(&out, "qr", "verify", tok), &out, 0, "verdict:   valid\nkey:       ");
    expect(RUN(&out, "qr", "verify", tok), &out, 0,
           "citizen:   *****-****001-1 Ahmad Khan (active)\n");
    /* As a handheld scanner types it: a line on standard input, CR LF and all. */
    snprintf(line, sizeof(line), "%s\r\n", tok);
    expect(RUN_IN(line, &out, "qr", "verify", "-"), &out, 0, "verdict:   valid\n");
    snprintf(line, sizeof(line), "  %s ", tok);
    expect(RUN(&out, "qr", "verify", line), &out, 0, "verdict:   valid\n");
    expect(RUN(&out, "audit", "show", "--event=credential.issued", "--limit=1"), &out, 0,
           "credential.issued  kpass:root   *****-****001-1 serial ");
    expect(RUN(&out, "qr", "list", "10000-0000001-1"), &out, 0,
           "citizen *****-****001-1 (Ahmad Khan, active): 3 credentials\n"
           "SERIAL                      STATUS         ISSUED                EXPIRES");
    expect(RUN(&out, "qr", "list", "10000-0000002-2"), &out, 0,
           "citizen *****-****002-2 (Ayesha Bibi, active): 0 credentials\n");
    expect(RUN(&out, "qr", "list", "10000-0000099-1"), &out, 1,
           "kpass: no citizen with CNIC *****-****099-1\n");
}
END_TEST

START_TEST(test_qr_png)
{
    char *out, tok[KP1_TEXT_SIZE], png[600], want[700];
    size_t len;
    uint8_t *bytes;

    snprintf(png, sizeof(png), "%s/card.png", d.dir);
    issue("10000-0000002-2", tok, "--png", png);
    bytes = tu_read_file(png, &len);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_int_eq(memcmp(bytes, "\x89PNG\r\n\x1a\n", 8), 0);
    free(bytes);
    snprintf(want, sizeof(want), "png:       %s (392x392 pixels, QR version 6-M)\n", png);
    expect(RUN(&out, "qr", "issue", "10000-0000002-2", "--png", png), &out, 0, want);
    issue("10000-0000002-2", tok, "--png", png);
    if (!qr_can_decode()) {
        expect(RUN(&out, "qr", "verify", "--image", png), &out, 2, "built without libzbar");
        return;
    }
    /* The image decodes back to the very token printed. */
    expect(RUN(&out, "qr", "verify", "--image", png), &out, 0, "verdict:   valid\n");
    expect(RUN(&out, "qr", "verify", tok), &out, 0, "citizen:   *****-****002-2 Ayesha Bibi");
    {
        char serial[27], *o;
        serial_of(tok, serial);
        RUN(&o, "qr", "verify", "--image", png);
        ck_assert_msg(strstr(o, serial) != NULL, "image gave another token: %s", o);
        free(o);
    }
    /* Not an image, no QR code, both sources, a missing file. */
    snprintf(png, sizeof(png), "%s/kpassd.conf", d.dir);
    expect(RUN(&out, "qr", "verify", "--image", png), &out, 1, "not a readable PNG image");
    snprintf(png, sizeof(png), "%s/none.png", d.dir);
    expect(RUN(&out, "qr", "verify", "--image", png), &out, 1, "kpass: cannot read");
    expect(RUN(&out, "qr", "verify", "--image", png, tok), &out, 1, "a token or --image, not both");
    /* No file is left behind when nothing is issued. */
    snprintf(png, sizeof(png), "%s/blocked.png", d.dir);
    expect(RUN(&out, "qr", "issue", "10000-0000011-1", "--png", png), &out, 1, "blocked");
    ck_assert_ptr_null(tu_read_file(png, &len));
}
END_TEST

/* The drawing after the token: 25 lines of 49 half blocks. */
START_TEST(test_qr_terminal)
{
    static const char *const opts[] = {"--terminal", "--invert"};
    char *out, *p;

    for (int inverted = 0; inverted < 2; inverted++) {
        int lines = 0;
        RUN(&out, "qr", "issue", "10000-0000003-3", opts[0], inverted ? opts[1] : NULL);
        ck_assert_ptr_nonnull(p = strstr(out, "\n" KP1_PREFIX));
        p = strchr(p + 1, '\n') + 1;
        for (; *p; lines++) {
            int cols = 0;
            while (*p != '\n') {
                if (*p == ' ') {
                    p++;
                } else {
                    ck_assert_int_eq(memcmp(p, "\xE2\x96", 2), 0);
                    ck_assert(p[2] == '\x80' || p[2] == '\x84' || p[2] == '\x88');
                    p += 3;
                }
                cols++;
            }
            ck_assert_int_eq(cols, 49);
            p++;
        }
        ck_assert_int_eq(lines, 25);
        free(out);
    }
    expect(RUN(&out, "qr", "issue", "10000-0000003-3", "--invert"), &out, 1,
           "--invert goes with --terminal");
}
END_TEST

START_TEST(test_qr_revoke)
{
    char *out, tok[KP1_TEXT_SIZE], other[KP1_TEXT_SIZE], serial[27], want[200];
    int rows;

    issue("10000-0000004-4", tok, NULL, NULL);
    issue("10000-0000004-4", other, NULL, NULL);
    serial_of(tok, serial);
    rows = audit_rows();
    expect(RUN(&out, "qr", "revoke", serial, "--reason", "see 10000-0000004-4"), &out, 1,
           "kpass: --reason: refused");
    snprintf(want, sizeof(want), "credential %s revoked", serial);
    expect(RUN(&out, "qr", "revoke", serial, "--reason=card reported lost"), &out, 0, want);
    snprintf(want, sizeof(want), "credential %s was already revoked", serial);
    expect(RUN(&out, "qr", "revoke", serial), &out, 0, want);
    ck_assert_int_eq(audit_rows(), rows + 1);
    expect(RUN(&out, "qr", "verify", tok), &out, 1,
           "verdict:   refused: revoked (the credential was revoked)\n");
    expect(RUN(&out, "qr", "verify", tok), &out, 1, ": card reported lost\n");
    expect(RUN(&out, "qr", "verify", other), &out, 0, "verdict:   valid\n");
    snprintf(want, sizeof(want), "%s  revoked  ", serial);
    expect(RUN(&out, "qr", "list", "10000-0000004-4"), &out, 0, want);
    expect(RUN(&out, "qr", "list", "10000-0000004-4"), &out, 0, "  valid  ");
    snprintf(want, sizeof(want), "serial %s: card reported lost\n", serial);
    expect(RUN(&out, "audit", "show", "--event=credential.revoked"), &out, 0, want);
    /* The same serial without its colons, in capitals; an unknown one; a bad one. */
    {
        char bare[25], *q = bare;
        for (const char *s = serial; *s; s++)
            if (*s != ':')
                *q++ = (char)(*s >= 'a' && *s <= 'f' ? *s - 32 : *s);
        *q = '\0';
        snprintf(want, sizeof(want), "credential %s was already revoked", serial);
        expect(RUN(&out, "qr", "revoke", bare), &out, 0, want);
    }
    expect(RUN(&out, "qr", "revoke", "000000000000000000000000"), &out, 1,
           "kpass: no credential 00000000:00000000:00000000\n");
    expect(RUN(&out, "qr", "revoke", "0a1b2c3d-4e5f6071-8293a4b5"), &out, 1,
           "kpass: a serial is 24 hex digits");
}
END_TEST

START_TEST(test_qr_times)
{
    char *out, tok[KP1_TEXT_SIZE], at[32];
    long long now = (long long)time(NULL);

    issue("10000-0000005-5", tok, "--days", "1");
    snprintf(at, sizeof(at), "%lld", now + 2 * 86400);
    expect(RUN(&out, "qr", "verify", tok, "--at", at), &out, 1,
           "verdict:   refused: expired (the credential has expired)\n");
    expect(RUN(&out, "qr", "verify", "--at", at, tok), &out, 1,
           "citizen:   *****-****005-5 Imran Ali (active)\n");
    snprintf(at, sizeof(at), "%lld", now + 86400 - 600);
    expect(RUN(&out, "qr", "verify", tok, "--at", at), &out, 0, "verdict:   valid\n");
    expect(RUN(&out, "qr", "verify", tok, "--at", "2020-01-01"), &out, 1,
           "verdict:   refused: not_yet_valid (the credential is not valid yet)\n");
    expect(RUN(&out, "qr", "verify", tok, "--at", "2099-01-01T00:00:00Z"), &out, 1,
           "refused: expired");
    expect(RUN(&out, "qr", "verify", tok, "--at", "yesterday"), &out, 1, "kpass: --at: ");
    expect(RUN(&out, "qr", "issue", "10000-0000005-5", "--days", "0"), &out, 1,
           "kpass: --days: a number from 1 to 3650\n");
    expect(RUN(&out, "qr", "issue", "10000-0000005-5", "--days", "3651"), &out, 1,
           "kpass: --days: a number from 1 to 3650\n");
}
END_TEST

START_TEST(test_qr_keys)
{
    char *out, old_tok[KP1_TEXT_SIZE], new_tok[KP1_TEXT_SIZE], old_id[9], new_id[9], want[300];
    int rows;

    issue("10000-0000006-6", old_tok, NULL, NULL);
    RUN(&out, "keys", "list");
    ck_assert_int_eq(sscanf(out, "ID STATUS CREATED\n%8s active ", old_id), 1);
    free(out);
    rows = audit_rows();
    expect(RUN(&out, "keys", "retire", old_id), &out, 1, "is the active key; rotate first");
    RUN(&out, "keys", "rotate");
    ck_assert_int_eq(sscanf(out, "signing key %8s is active", new_id), 1);
    snprintf(want, sizeof(want), "; %s now only verifies", old_id);
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    free(out);
    snprintf(want, sizeof(want), "%s  verify ", old_id);
    expect(RUN(&out, "keys", "list"), &out, 0, want);
    snprintf(want, sizeof(want), "%s  active ", new_id);
    expect(RUN(&out, "keys", "list"), &out, 0, want);
    /* The old key's tokens still verify; new ones are signed by the new key. */
    expect(RUN(&out, "qr", "verify", old_tok), &out, 0, "verdict:   valid\n");
    snprintf(want, sizeof(want), "key:       %s (verify)\n", old_id);
    expect(RUN(&out, "qr", "verify", old_tok), &out, 0, want);
    issue("10000-0000006-6", new_tok, NULL, NULL);
    snprintf(want, sizeof(want), "key:       %s (active)\n", new_id);
    expect(RUN(&out, "qr", "verify", new_tok), &out, 0, want);
    /* Retired: refused from now on, and listed as such. */
    snprintf(want, sizeof(want), "signing key %s retired", old_id);
    expect(RUN(&out, "keys", "retire", old_id), &out, 0, want);
    snprintf(want, sizeof(want), "signing key %s is already retired", old_id);
    expect(RUN(&out, "keys", "retire", old_id), &out, 0, want);
    snprintf(want, sizeof(want),
             "verdict:   refused: retired_key (signed by a retired key)\nkey:       %s (retired)\n",
             old_id);
    expect(RUN(&out, "qr", "verify", old_tok), &out, 1, want);
    expect(RUN(&out, "qr", "list", "10000-0000006-6"), &out, 0, "  retired key  ");
    expect(RUN(&out, "qr", "verify", new_tok), &out, 0, "verdict:   valid\n");
    ck_assert_int_eq(audit_rows(), rows + 3); /* rotated, retired, one credential issued */
    snprintf(want, sizeof(want), "key.rotated        kpass:root   -               %s -> %s\n",
             old_id, new_id);
    expect(RUN(&out, "audit", "show", "--event=key.rotated"), &out, 0, want);
    snprintf(want, sizeof(want), "key.retired        kpass:root   -               %s\n", old_id);
    expect(RUN(&out, "audit", "show", "--event=key.retired"), &out, 0, want);
    /* The trust list for verifiers: both keys, public halves only (not
       scanned: creation times are 10-digit Unix seconds). */
    snprintf(want, sizeof(want), "\nkey %s ", new_id);
    expect(tu_kpass(&d, NULL, &out, "keys", "export-public", NULL), &out, 0, want);
    snprintf(want, sizeof(want), "\nkey %s ", old_id);
    expect(tu_kpass(&d, NULL, &out, "keys", "export-public", NULL), &out, 0, want);
    expect(tu_kpass(&d, NULL, &out, "keys", "export-public", NULL), &out, 0, " retired ");
    expect(RUN(&out, "keys", "retire", "12345678"), &out, 1, "kpass: no signing key 12345678\n");
    expect(RUN(&out, "keys", "retire", "xyz"), &out, 1, "kpass: a key id is 8 hex digits");
    expect(RUN(&out, "keys", "init"), &out, 0, ": complete, nothing created\n");
    expect(RUN(&out, "keys"), &out, 2, "usage: kpass keys init|list|rotate|export-public");
    expect(RUN(&out, "keys", "rotate", "now"), &out, 2, "usage: kpass keys");
}
END_TEST

/* export-public writes exactly the key folder's trust.list: public keys, ids,
   creation times, nothing else. */
START_TEST(test_keys_export)
{
    char *out, trust[600];
    size_t len;
    uint8_t *file;

    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "keys", "export-public", NULL), 0);
    snprintf(trust, sizeof(trust), "%s/keys/trust.list", d.dir);
    ck_assert_ptr_nonnull(file = tu_read_file(trust, &len));
    ck_assert_str_eq(out, (const char *)file);
    ck_assert_ptr_null(strstr(out, "sign-"));
    free(file);
    free(out);
}
END_TEST

START_TEST(test_qr_citizens)
{
    char *out, tok[KP1_TEXT_SIZE], dead[KP1_TEXT_SIZE];
    int rows = audit_rows();

    /* The seed's blocked (011) and deceased (012) citizens get nothing. */
    expect(RUN(&out, "qr", "issue", "10000-0000011-1"), &out, 1,
           "kpass: citizen *****-****011-1 is blocked: no credential is issued\n");
    expect(RUN(&out, "qr", "issue", "10000-0000012-3"), &out, 1,
           "kpass: citizen *****-****012-3 is deceased: no credential is issued\n");
    expect(RUN(&out, "qr", "issue", "10000-0000099-1"), &out, 1,
           "kpass: no citizen with CNIC *****-****099-1\n");
    expect(RUN(&out, "qr", "issue", "1000-0000099-1"), &out, 1,
           "kpass: CNIC: a CNIC has 13 digits; found fewer\n");
    ck_assert_int_eq(audit_rows(), rows);
    /* A token issued while active is refused once the citizen is blocked. */
    issue("10000-0000007-7", tok, NULL, NULL);
    issue("10000-0000008-8", dead, NULL, NULL);
    expect(RUN(&out, "citizen", "block", "10000-0000007-7"), &out, 0, "blocked");
    expect(RUN(&out, "citizen", "set", "10000-0000008-8", "--status=deceased"), &out, 0, "updated");
    expect(RUN(&out, "qr", "verify", tok), &out, 1,
           "verdict:   refused: citizen_inactive (the citizen is blocked or deceased)\n");
    expect(RUN(&out, "qr", "verify", tok), &out, 1, "(blocked)\n");
    expect(RUN(&out, "qr", "verify", dead), &out, 1, "refused: citizen_inactive");
    expect(RUN(&out, "citizen", "unblock", "10000-0000007-7"), &out, 0, "unblocked");
    expect(RUN(&out, "qr", "verify", tok), &out, 0, "verdict:   valid\n");
}
END_TEST

START_TEST(test_qr_damaged)
{
    char *out, tok[KP1_TEXT_SIZE], bad[KP1_TEXT_SIZE + 1];

    issue("10000-0000009-9", tok, NULL, NULL);
    /* One character changed in the signature part: the signature fails (or, when
       the change breaks a Base45 group, the format). */
    memcpy(bad, tok, sizeof(tok));
    bad[KP1_TEXT_LEN - 5] = bad[KP1_TEXT_LEN - 5] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(RUN(&out, "qr", "verify", bad), 1);
    ck_assert_msg(strstr(out, "refused: signature") || strstr(out, "refused: format"), "%s", out);
    /* Nothing read from a token whose signature failed is shown but its key. */
    ck_assert_msg(strstr(out, "serial:") == NULL && strstr(out, "issued:") == NULL, "%s", out);
    free(out);
    /* A change in the body (the serial's first character): the signature fails. */
    memcpy(bad, tok, sizeof(tok));
    bad[KP1_PREFIX_LEN + 9] = bad[KP1_PREFIX_LEN + 9] == '0' ? '1' : '0';
    RUN(&out, "qr", "verify", bad);
    ck_assert_msg(strstr(out, "refused: signature") || strstr(out, "refused: format"), "%s", out);
    free(out);
    expect(RUN(&out, "qr", "verify", "KP1:abc"), &out, 1,
           "verdict:   refused: format (token too short (cut off?))\n");
    expect(RUN(&out, "qr", "verify", "kp1:abc"), &out, 1,
           "verdict:   refused: format (not a KP1 token (no KP1: prefix))\n");
    memcpy(bad, tok, sizeof(tok));
    bad[KP1_TEXT_LEN] = 'A';
    bad[KP1_TEXT_LEN + 1] = '\0';
    expect(RUN(&out, "qr", "verify", bad), &out, 1, "refused: format (token too long");
    expect(RUN_IN("", &out, "qr", "verify", "-"), &out, 1, "kpass: no token on standard input");
}
END_TEST

START_TEST(test_qr_usage)
{
    char *out;

    expect(RUN(&out, "qr"), &out, 2, "usage: kpass qr issue CNIC");
    expect(RUN(&out, "qr", "issue"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "verify"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "verify", "a", "b"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "revoke"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "list"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "issue", "10000-0000001-1", "--reason=x"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "verify", "KP1:", "--png=x"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "list", "10000-0000001-1", "--days=3"), &out, 2, "usage:");
    expect(RUN(&out, "qr", "frobnicate"), &out, 2, "usage:");
}
END_TEST

Suite *suite_qr_cli(void)
{
    Suite *s = suite_create("qr_cli");
    TCase *tc = tcase_create("cli");

    tcase_add_checked_fixture(tc, cli_setup, cli_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_qr_roundtrip);
    tcase_add_test(tc, test_qr_png);
    tcase_add_test(tc, test_qr_terminal);
    tcase_add_test(tc, test_qr_revoke);
    tcase_add_test(tc, test_qr_times);
    tcase_add_test(tc, test_qr_keys);
    tcase_add_test(tc, test_keys_export);
    tcase_add_test(tc, test_qr_citizens);
    tcase_add_test(tc, test_qr_damaged);
    tcase_add_test(tc, test_qr_usage);
    suite_add_tcase(s, tc);
    return s;
}
