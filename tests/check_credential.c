/* SPDX-License-Identifier: ISC */
/*
 * Credentials in the store: serial text forms (good and bad side by
 * side), verdict names and the mapping from kp1's errors, recording
 * credentials (the audit row, refusals for blocked, deceased and unknown
 * citizens, bad fields, a taken serial, nothing written on refusal),
 * listing, revoking, the check table (valid, revoked, unknown serial,
 * CNIC mismatch, a record that disagrees, inactive citizen), full
 * verification at the edges of validity and with rotated, retired,
 * unknown and forged keys, and the table's CHECK constraints.
 */
#include <check.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/id/base45.h"
#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/audit.h"
#include "kpass/store/credential.h"
#include "kpass/verify/credential.h"
#include "testutil.h"

#define T0 1735689600 /* 2025-01-01T00:00:00Z */

static char *dir;
static char path[512];
static struct store *st;
static struct registry *reg; /* over st */
static uint8_t ckey[CNIC_KEY_BYTES], akey[AUDIT_KEY_BYTES];
static struct keys_signer signer, old_signer, stranger;
static struct trust_list trust; /* signer active, old_signer verify */
static struct store_citizen ahmad, ayesha;

static void add_citizen(const char *cnic, const char *en, struct store_citizen *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name_en, sizeof(c->name_en), "%s", en);
    snprintf(c->name_ur, sizeof(c->name_ur), "%s", "احمد");
    snprintf(c->district, sizeof(c->district), "%s", "PSH");
    ck_assert_int_eq(registry_citizen_add(reg, cnic, c, "kpass", T0), 0);
}

static void trust_add(const struct keys_signer *s, enum trust_status status)
{
    ck_assert_int_eq(keys_signer_trust(s, status, &trust), 0);
}

static void cred_setup(void)
{
    uint8_t seed[KEYS_SEED_BYTES];

    dir = tu_tmpdir("cred");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    randombytes_buf(ckey, sizeof(ckey));
    randombytes_buf(akey, sizeof(akey));
    ck_assert_int_eq(tu_store_open(path, STORE_CREATE, &st), 0);
    reg = registry_new(st);
    ck_assert_int_eq(registry_use_key(reg, ckey), 0);
    audit_use_key(st, akey);
    add_citizen("3520212345671", "Ahmad Khan", &ahmad);
    add_citizen("1730176543219", "Ayesha Bibi", &ayesha);
    memset(seed, 1, sizeof(seed));
    ck_assert_int_eq(keys_signer_from_seed(&signer, seed), 0);
    memset(seed, 2, sizeof(seed));
    ck_assert_int_eq(keys_signer_from_seed(&old_signer, seed), 0);
    memset(seed, 3, sizeof(seed));
    ck_assert_int_eq(keys_signer_from_seed(&stranger, seed), 0);
    trust_add(&signer, TRUST_ACTIVE);
    trust_add(&old_signer, TRUST_VERIFY);
}

static void cred_teardown(void)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};

    registry_free(reg);
    reg = NULL;
    store_close(st);
    keys_signer_clear(&signer);
    keys_signer_clear(&old_signer);
    keys_signer_clear(&stranger);
    trust_list_free(&trust);
    tu_run(argv, NULL, NULL, 5000);
    free(dir);
}

static long long sql_int(const char *sql)
{
    return tu_sql_int(path, sql);
}

static int sql_exec(const char *sql)
{
    sqlite3 *db;
    int rc;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int64_t audit_count(void)
{
    struct audit_report rep;

    ck_assert_int_eq(audit_verify(st, &rep), 0);
    return rep.rows;
}

/* A token for citizen c (its last 4 unless last4 is given), signed by s, in *t and text. */
static void make_token(const struct keys_signer *s, const struct store_citizen *c,
                       const char *last4, uint32_t issued, uint16_t days, struct kp1_token *t,
                       char text[KP1_TEXT_SIZE])
{
    memset(t, 0, sizeof(*t));
    kp1_serial_generate(t->serial);
    ck_assert_int_eq(cnic_last4_parse(last4 ? last4 : c->last4, 4, t->cnic_last4), 0);
    t->issued_at = issued;
    t->valid_days = days;
    ck_assert_int_eq(kp1_encode(s, t, text), KP1_TEXT_LEN);
}

/* make_token, then record it for c. */
static void issue(const struct keys_signer *s, const struct store_citizen *c, uint32_t issued,
                  uint16_t days, struct kp1_token *t, char text[KP1_TEXT_SIZE])
{
    struct store_credential cred;

    make_token(s, c, NULL, issued, days, t, text);
    store_credential_from_token(t, c->id, &cred);
    ck_assert_int_eq(verify_credential_issue(st, &cred, "kpass", issued), 0);
}

/* ---- pure parts ---- */

static const struct {
    const char *text;
    const char *hex; /* NULL: refused */
} serial_cases[] = {
    {"0a1b2c3d4e5f60718293a4b5", "0a1b2c3d4e5f60718293a4b5"},
    {"0A1B2C3D4E5F60718293A4B5", "0a1b2c3d4e5f60718293a4b5"},
    {"0a1b2c3d:4e5f6071:8293a4b5", "0a1b2c3d4e5f60718293a4b5"},
    {"0A1B2C3D:4e5f6071:8293A4B5", "0a1b2c3d4e5f60718293a4b5"},
    {"000000000000000000000000", "000000000000000000000000"},
    {"0a1b2c3d4e5f60718293a4b", NULL},   /* 23 */
    {"0a1b2c3d4e5f60718293a4b5c", NULL}, /* 25 */
    {"0a1b2c3d:4e5f6071:8293a4b", NULL},
    {"0a1b2c3d:4e5f60718:293a4b5", NULL},
    {"0a1b2c3d-4e5f6071-8293a4b5", NULL},
    {"0a1b2c3d4e5f6071:293a4b5", NULL},
    {"0a1b2c3d4e5f60718293a4g5", NULL},
    {"0a1b2c3d4e5f60718293a4 5", NULL},
    {":a1b2c3d4e5f60718293a4b5", NULL},
    {"", NULL},
};

START_TEST(test_serial_forms)
{
    uint8_t serial[KP1_SERIAL_BYTES];
    char hex[STORE_CREDENTIAL_SERIAL_HEX], text[STORE_CREDENTIAL_SERIAL_TEXT];
    int rc = store_credential_serial_parse(serial_cases[_i].text, serial);

    if (serial_cases[_i].hex == NULL) {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        return;
    }
    ck_assert_int_eq(rc, 0);
    store_credential_serial_hex(serial, hex);
    ck_assert_str_eq(hex, serial_cases[_i].hex);
    store_credential_serial_text(serial, text);
    ck_assert_int_eq(strlen(text), 26);
    ck_assert_int_eq(memcmp(text, hex, 8), 0);
    ck_assert_int_eq(text[8], ':');
    ck_assert_int_eq(memcmp(text + 9, hex + 8, 8), 0);
    ck_assert_int_eq(text[17], ':');
    ck_assert_int_eq(memcmp(text + 18, hex + 16, 8), 0);
}
END_TEST

static const struct {
    int kp1_rc;
    enum verify_credential_verdict v;
    const char *name;
} verdict_cases[] = {
    {0, VERIFY_CREDENTIAL_VALID, "valid"},
    {-KP_ERR_PARSE, VERIFY_CREDENTIAL_FORMAT, "format"},
    {-KP_ERR_TRUNC, VERIFY_CREDENTIAL_FORMAT, "format"},
    {-KP_ERR_TOOLONG, VERIFY_CREDENTIAL_FORMAT, "format"},
    {-KP_ERR_ENCODING, VERIFY_CREDENTIAL_FORMAT, "format"},
    {-KP_ERR_UNSUPPORTED, VERIFY_CREDENTIAL_FORMAT, "format"},
    {-KP_ERR_INVAL, VERIFY_CREDENTIAL_FORMAT, "format"},
    {-KP_ERR_CRYPTO, VERIFY_CREDENTIAL_SIGNATURE, "signature"},
    {-KP_ERR_NOTFOUND, VERIFY_CREDENTIAL_UNKNOWN_KEY, "unknown_key"},
    {-KP_ERR_DENIED, VERIFY_CREDENTIAL_RETIRED_KEY, "retired_key"},
    {-KP_ERR_EXPIRED, VERIFY_CREDENTIAL_EXPIRED, "expired"},
    {-KP_ERR_RANGE, VERIFY_CREDENTIAL_NOT_YET_VALID, "not_yet_valid"},
};

START_TEST(test_verdicts)
{
    enum verify_credential_verdict v = verify_credential_verdict_of(verdict_cases[_i].kp1_rc);

    ck_assert_int_eq(v, verdict_cases[_i].v);
    ck_assert_str_eq(verify_credential_verdict_name(v), verdict_cases[_i].name);
    ck_assert_ptr_nonnull(verify_credential_verdict_text(v));
}
END_TEST

START_TEST(test_verdict_names)
{
    /* The database's verdicts, named as the HTTP API's reasons (doc/http-api.md). */
    ck_assert_str_eq(verify_credential_verdict_name(VERIFY_CREDENTIAL_REVOKED), "revoked");
    ck_assert_str_eq(verify_credential_verdict_name(VERIFY_CREDENTIAL_UNKNOWN_SERIAL),
                     "unknown_serial");
    ck_assert_str_eq(verify_credential_verdict_name(VERIFY_CREDENTIAL_CITIZEN_INACTIVE),
                     "citizen_inactive");
    ck_assert_str_eq(verify_credential_verdict_name(VERIFY_CREDENTIAL_CITIZEN_MISMATCH),
                     "citizen_mismatch");
    ck_assert_str_eq(verify_credential_verdict_name((enum verify_credential_verdict)99), "unknown");
    ck_assert_str_eq(verify_credential_verdict_text(VERIFY_CREDENTIAL_REVOKED),
                     "the credential was revoked");
}
END_TEST

/* ---- recording, listing, revoking ---- */

START_TEST(test_add_get_list)
{
    struct store_credential c, *v;
    struct store_audit_row *rows;
    struct store_audit_filter f;
    struct kp1_token t1, t2;
    char text[KP1_TEXT_SIZE], serial[STORE_CREDENTIAL_SERIAL_TEXT], want[128];
    int64_t before = audit_count();

    issue(&signer, &ahmad, T0, 365, &t1, text);
    issue(&signer, &ahmad, T0 + 60, 30, &t2, text);
    ck_assert_int_eq(audit_count(), before + 2);
    ck_assert_int_eq(store_credential_get(st, t1.serial, &c), 0);
    ck_assert_mem_eq(c.serial, t1.serial, KP1_SERIAL_BYTES);
    ck_assert_int_eq(c.citizen_id, ahmad.id);
    ck_assert_mem_eq(c.key_id, signer.id, TRUST_ID_BYTES);
    ck_assert_int_eq(c.issued_at, T0);
    ck_assert_int_eq(c.valid_days, 365);
    ck_assert_int_eq(c.expires_at, T0 + 365 * 86400LL);
    ck_assert_int_eq(c.revoked, 0);
    ck_assert_str_eq(store_credential_status(&c, T0), "valid");
    ck_assert_str_eq(store_credential_status(&c, T0 - 301), "not yet valid");
    ck_assert_str_eq(store_credential_status(&c, T0 + 365 * 86400LL), "expired");
    /* Newest first; the other citizen has none. */
    ck_assert_int_eq(store_credential_list(st, ahmad.id, &v), 2);
    ck_assert_mem_eq(v[0].serial, t2.serial, KP1_SERIAL_BYTES);
    ck_assert_mem_eq(v[1].serial, t1.serial, KP1_SERIAL_BYTES);
    free(v);
    ck_assert_int_eq(store_credential_list(st, ayesha.id, &v), 0);
    ck_assert_ptr_null(v);
    /* The audit row: the citizen as subject, the serial in groups. */
    memset(&f, 0, sizeof(f));
    f.subject = ahmad.cnic_index;
    f.event = "credential.issued";
    f.limit = 10;
    ck_assert_int_eq(store_audit_list(st, &f, &rows), 2);
    store_credential_serial_text(t1.serial, serial);
    snprintf(want, sizeof(want), "serial %s, key %02x%02x%02x%02x, 365 days", serial, signer.id[0],
             signer.id[1], signer.id[2], signer.id[3]);
    ck_assert_str_eq(rows[1].detail, want);
    ck_assert_str_eq(rows[1].actor, "kpass");
    ck_assert_int_eq(rows[1].at, T0);
    free(rows);
}
END_TEST

/* A serial of only decimal digits in hex: in groups of 8, the audit guard takes it. */
START_TEST(test_add_digit_serial)
{
    struct store_credential c;
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];

    make_token(&signer, &ahmad, NULL, T0, 10, &t, text);
    tu_hex("123456789012345678901234", t.serial, sizeof(t.serial));
    store_credential_from_token(&t, ahmad.id, &c);
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), 0);
    ck_assert_int_eq(verify_credential_revoke(st, t.serial, NULL, "kpass", T0 + 1), 1);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE detail LIKE "
                             "'serial 12345678:90123456:78901234%'"),
                     2);
}
END_TEST

START_TEST(test_add_refused)
{
    struct store_credential c, ok;
    struct store_citizen dead;
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];
    int64_t before;

    add_citizen("6110111111111", "Late Person", &dead);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, dead.id, STORE_CITIZEN_DECEASED, NULL, "kpass", T0), 1);
    ck_assert_int_eq(
        registry_citizen_set_status(reg, ayesha.id, STORE_CITIZEN_BLOCKED, NULL, "kpass", T0), 1);
    before = audit_count();
    make_token(&signer, &ahmad, NULL, T0, 10, &t, text);
    store_credential_from_token(&t, ahmad.id, &ok);
    c = ok;
    c.citizen_id = ayesha.id;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_DENIED);
    c.citizen_id = dead.id;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_DENIED);
    c.citizen_id = 999;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_NOTFOUND);
    c = ok;
    c.valid_days = 0;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_INVAL);
    c = ok;
    c.expires_at++;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_INVAL);
    c = ok;
    c.issued_at = 4294967296LL;
    c.expires_at = c.issued_at + 86400LL * c.valid_days;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_INVAL);
    c = ok;
    ck_assert_int_eq(verify_credential_issue(st, &c, "Bad Actor", T0), -KP_ERR_INVAL);
    /* Nothing of the refusals was written. */
    ck_assert_int_eq(audit_count(), before);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM credential"), 0);
    ck_assert_int_eq(verify_credential_issue(st, &ok, "kpass", T0), 0);
    ck_assert_int_eq(verify_credential_issue(st, &ok, "kpass", T0), -KP_ERR_EXISTS);
    ck_assert_int_eq(audit_count(), before + 1);
    /* Inside the caller's transaction, a refusal leaves the rest of it alone. */
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(verify_credential_issue(st, &ok, "kpass", T0), -KP_ERR_EXISTS);
    make_token(&signer, &ahmad, NULL, T0, 10, &t, text);
    store_credential_from_token(&t, ahmad.id, &c);
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), 0);
    ck_assert_int_eq(store_tx_commit(st), 0);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM credential"), 2);
    ck_assert_int_eq(audit_count(), before + 2);
}
END_TEST

/* Bad fields are INVAL whatever the citizen's status: the field check
   comes before the citizen is read (the store's order before issue 9). */
START_TEST(test_add_invalid_before_inactive)
{
    struct store_credential c, ok;
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];
    int64_t before;

    ck_assert_int_eq(
        registry_citizen_set_status(reg, ayesha.id, STORE_CITIZEN_BLOCKED, NULL, "kpass", T0), 1);
    before = audit_count();
    make_token(&signer, &ayesha, NULL, T0, 10, &t, text);
    store_credential_from_token(&t, ayesha.id, &ok);
    c = ok;
    c.valid_days = 0;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_INVAL);
    c = ok;
    c.expires_at++;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_INVAL);
    c = ok;
    c.citizen_id = 0;
    ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), -KP_ERR_INVAL);
    /* The well-formed credential of the same blocked citizen is DENIED. */
    ck_assert_int_eq(verify_credential_issue(st, &ok, "kpass", T0), -KP_ERR_DENIED);
    ck_assert_int_eq(audit_count(), before);
    ck_assert_int_eq(sql_int("SELECT count(*) FROM credential"), 0);
}
END_TEST

START_TEST(test_revoke)
{
    struct store_credential c;
    struct kp1_token t;
    uint8_t unknown[KP1_SERIAL_BYTES] = {0};
    char text[KP1_TEXT_SIZE], long_reason[STORE_CREDENTIAL_REASON_MAX + 2];
    int64_t before;

    issue(&signer, &ahmad, T0, 365, &t, text);
    before = audit_count();
    ck_assert_int_eq(verify_credential_revoke(st, t.serial, "see 35202-1234567-1", "kpass", T0),
                     -KP_ERR_DENIED);
    memset(long_reason, 'x', sizeof(long_reason) - 1);
    long_reason[sizeof(long_reason) - 1] = '\0';
    ck_assert_int_eq(verify_credential_revoke(st, t.serial, long_reason, "kpass", T0),
                     -KP_ERR_INVAL);
    ck_assert_int_eq(verify_credential_revoke(st, t.serial, "a\nb", "kpass", T0), -KP_ERR_INVAL);
    ck_assert_int_eq(verify_credential_revoke(st, unknown, NULL, "kpass", T0), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(audit_count(), before);
    ck_assert_int_eq(verify_credential_revoke(st, t.serial, "card lost", "kpass", T0 + 5), 1);
    ck_assert_int_eq(verify_credential_revoke(st, t.serial, "again", "kpass", T0 + 9), 0);
    ck_assert_int_eq(audit_count(), before + 1);
    ck_assert_int_eq(store_credential_get(st, t.serial, &c), 0);
    ck_assert_int_eq(c.revoked, 1);
    ck_assert_int_eq(c.revoked_at, T0 + 5);
    ck_assert_str_eq(c.revoke_reason, "card lost");
    ck_assert_str_eq(store_credential_status(&c, T0), "revoked");
    ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE event = 'credential.revoked' "
                             "AND detail LIKE '%: card lost'"),
                     1);
}
END_TEST

/* ---- the check table ---- */

enum check_setup {
    CHECK_VALID,
    CHECK_REVOKED,
    CHECK_UNKNOWN_SERIAL,
    CHECK_LAST4,   /* signed with another citizen's last 4 digits */
    CHECK_RECORD,  /* the record says another issue time */
    CHECK_BLOCKED, /* the citizen was blocked after the issue */
    CHECK_DECEASED,
    CHECK_OLD_KEY, /* signed by a key that now only verifies */
};

static const struct {
    enum check_setup setup;
    enum verify_credential_verdict want;
} check_cases[] = {
    {CHECK_VALID, VERIFY_CREDENTIAL_VALID},
    {CHECK_REVOKED, VERIFY_CREDENTIAL_REVOKED},
    {CHECK_UNKNOWN_SERIAL, VERIFY_CREDENTIAL_UNKNOWN_SERIAL},
    {CHECK_LAST4, VERIFY_CREDENTIAL_CITIZEN_MISMATCH},
    {CHECK_RECORD, VERIFY_CREDENTIAL_CITIZEN_MISMATCH},
    {CHECK_BLOCKED, VERIFY_CREDENTIAL_CITIZEN_INACTIVE},
    {CHECK_DECEASED, VERIFY_CREDENTIAL_CITIZEN_INACTIVE},
    {CHECK_OLD_KEY, VERIFY_CREDENTIAL_VALID},
};

START_TEST(test_check)
{
    enum check_setup setup = check_cases[_i].setup;
    struct verify_credential_result r;
    struct store_credential c;
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];

    make_token(setup == CHECK_OLD_KEY ? &old_signer : &signer, &ahmad,
               setup == CHECK_LAST4 ? ayesha.last4 : NULL, T0, 365, &t, text);
    store_credential_from_token(&t, ahmad.id, &c);
    if (setup == CHECK_RECORD)
        c.issued_at -= 1, c.expires_at -= 1;
    if (setup != CHECK_UNKNOWN_SERIAL)
        ck_assert_int_eq(verify_credential_issue(st, &c, "kpass", T0), 0);
    if (setup == CHECK_REVOKED)
        ck_assert_int_eq(verify_credential_revoke(st, t.serial, NULL, "kpass", T0), 1);
    if (setup == CHECK_BLOCKED || setup == CHECK_DECEASED)
        ck_assert_int_eq(registry_citizen_set_status(reg, ahmad.id,
                                                     setup == CHECK_BLOCKED
                                                         ? STORE_CITIZEN_BLOCKED
                                                         : STORE_CITIZEN_DECEASED,
                                                     NULL, "kpass", T0),
                         1);
    /* The decoded body alone, then the whole token through the trust list. */
    ck_assert_int_eq(verify_credential_check(st, &t, &r), (int)check_cases[_i].want);
    ck_assert_int_eq(r.verdict, check_cases[_i].want);
    ck_assert_int_eq(r.found, setup != CHECK_UNKNOWN_SERIAL);
    if (r.found) {
        ck_assert_int_eq(r.citizen.id, ahmad.id);
        ck_assert_str_eq(r.citizen.last4, "5671");
        ck_assert_mem_eq(r.cred.serial, t.serial, KP1_SERIAL_BYTES);
    }
    ck_assert_int_eq(
        verify_credential_verify(st, text, KP1_TEXT_LEN, trust_list_lookup, &trust, T0 + 86400, &r),
        (int)check_cases[_i].want);
    ck_assert_int_eq(r.kp1_rc, 0);
    ck_assert_int_eq(r.decoded, 1);
    ck_assert_mem_eq(r.token.serial, t.serial, KP1_SERIAL_BYTES);
}
END_TEST

/* ---- verification of the whole token ---- */

enum verify_token {
    TOKEN_GOOD,     /* signed by the active key, recorded */
    TOKEN_STRANGER, /* signed by a key not in the trust list */
    TOKEN_RETIRED,  /* signed by the old key, then retired */
    TOKEN_FORGED,   /* a signature byte changed */
};

static const struct {
    enum verify_token token;
    int64_t at; /* seconds after T0 */
    enum verify_credential_verdict want;
    int found;
} verify_cases[] = {
    {TOKEN_GOOD, 0, VERIFY_CREDENTIAL_VALID, 1},
    {TOKEN_GOOD, -300, VERIFY_CREDENTIAL_VALID, 1}, /* the skew */
    {TOKEN_GOOD, -301, VERIFY_CREDENTIAL_NOT_YET_VALID, 1},
    {TOKEN_GOOD, 7 * 86400 - 1, VERIFY_CREDENTIAL_VALID, 1},
    {TOKEN_GOOD, 7 * 86400, VERIFY_CREDENTIAL_EXPIRED, 1},
    {TOKEN_STRANGER, 0, VERIFY_CREDENTIAL_UNKNOWN_KEY, 0},
    {TOKEN_RETIRED, 0, VERIFY_CREDENTIAL_RETIRED_KEY, 0},
    {TOKEN_FORGED, 0, VERIFY_CREDENTIAL_SIGNATURE, 0},
    {TOKEN_FORGED, 7 * 86400, VERIFY_CREDENTIAL_SIGNATURE, 0}, /* time only after the signature */
};

START_TEST(test_verify)
{
    enum verify_token which = verify_cases[_i].token;
    const struct keys_signer *s = which == TOKEN_STRANGER  ? &stranger
                                  : which == TOKEN_RETIRED ? &old_signer
                                                           : &signer;
    struct verify_credential_result r;
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];
    uint8_t raw[KP1_RAW_BYTES];

    /* Every token is on record: only the key, signature or time can refuse it. */
    issue(s, &ahmad, T0, 7, &t, text);
    if (which == TOKEN_RETIRED)
        trust_list_find(&trust, old_signer.id)->status = TRUST_RETIRED;
    if (which == TOKEN_FORGED) {
        kp1_body_pack(&t, raw);
        memcpy(raw + KP1_BODY_BYTES, t.sig, KP1_SIG_BYTES);
        raw[KP1_RAW_BYTES - 1] ^= 0x01;
        ck_assert_int_eq(base45_encode(raw, sizeof(raw), text + 4, KP1_TEXT_SIZE - 4), KP1_B45_LEN);
    }
    ck_assert_int_eq(verify_credential_verify(st, text, KP1_TEXT_LEN, trust_list_lookup, &trust,
                                              T0 + verify_cases[_i].at, &r),
                     (int)verify_cases[_i].want);
    ck_assert_int_eq(r.verdict, verify_cases[_i].want);
    ck_assert_int_eq(r.found, verify_cases[_i].found);
    ck_assert_int_eq(r.decoded, 1);
    if (r.found)
        ck_assert_int_eq(r.citizen.id, ahmad.id);
}
END_TEST

/* ---- a later step's check (verify_credential_recheck) ---- */

enum recheck_change {
    RE_NONE,
    RE_REVOKED,
    RE_BLOCKED,
    RE_DECEASED,
    RE_RETIRED,  /* its key retired after the scan */
    RE_STRANGER, /* its key not (any more) in the trust list */
    RE_UNKNOWN,  /* no record */
};

static const struct {
    enum recheck_change change;
    int64_t at; /* seconds after T0 */
    enum verify_credential_verdict want;
} recheck_cases[] = {
    {RE_NONE, 0, VERIFY_CREDENTIAL_VALID},
    {RE_NONE, 7 * 86400 - 1, VERIFY_CREDENTIAL_VALID},
    {RE_NONE, 7 * 86400, VERIFY_CREDENTIAL_EXPIRED},
    {RE_REVOKED, 0, VERIFY_CREDENTIAL_REVOKED},
    {RE_BLOCKED, 0, VERIFY_CREDENTIAL_CITIZEN_INACTIVE},
    {RE_DECEASED, 0, VERIFY_CREDENTIAL_CITIZEN_INACTIVE},
    {RE_RETIRED, 0, VERIFY_CREDENTIAL_RETIRED_KEY},
    {RE_RETIRED, 7 * 86400, VERIFY_CREDENTIAL_RETIRED_KEY}, /* the key before the time */
    {RE_STRANGER, 0, VERIFY_CREDENTIAL_UNKNOWN_KEY},
    {RE_UNKNOWN, 0, VERIFY_CREDENTIAL_UNKNOWN_SERIAL},
};

/* The recheck of a serial says what verifying its whole token would say at the same time. */
START_TEST(test_recheck)
{
    enum recheck_change change = recheck_cases[_i].change;
    struct verify_credential_result r, v;
    struct kp1_token t;
    char text[KP1_TEXT_SIZE];
    int64_t at = T0 + recheck_cases[_i].at;

    if (change == RE_UNKNOWN)
        make_token(&signer, &ahmad, NULL, T0, 7, &t, text);
    else
        issue(change == RE_STRANGER ? &stranger : &old_signer, &ahmad, T0, 7, &t, text);
    if (change == RE_REVOKED)
        ck_assert_int_eq(verify_credential_revoke(st, t.serial, "stolen", "kpass", T0), 1);
    if (change == RE_BLOCKED || change == RE_DECEASED)
        ck_assert_int_eq(registry_citizen_set_status(reg, ahmad.id,
                                                     change == RE_BLOCKED ? STORE_CITIZEN_BLOCKED
                                                                          : STORE_CITIZEN_DECEASED,
                                                     NULL, "kpass", T0),
                         1);
    if (change == RE_RETIRED)
        trust_list_find(&trust, old_signer.id)->status = TRUST_RETIRED;
    ck_assert_int_eq(
        verify_credential_recheck(st, t.serial, NULL, trust_list_lookup, &trust, at, &r),
        (int)recheck_cases[_i].want);
    ck_assert_int_eq(r.verdict, recheck_cases[_i].want);
    ck_assert_int_eq(r.found, change != RE_UNKNOWN);
    ck_assert_int_eq(
        verify_credential_verify(st, text, KP1_TEXT_LEN, trust_list_lookup, &trust, at, &v),
        (int)r.verdict);
}
END_TEST

static const struct {
    const char *text;
    int kp1_rc;
} format_cases[] = {
    {"", -KP_ERR_PARSE},
    {"kp1:", -KP_ERR_PARSE},
    {"KPR1:abc", -KP_ERR_PARSE},
    {"KP1:890$", -KP_ERR_TRUNC},
    {"KP1:abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh"
     "ijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcde",
     -KP_ERR_ENCODING},
};

START_TEST(test_verify_format)
{
    struct verify_credential_result r;
    const char *text = format_cases[_i].text;

    ck_assert_int_eq(
        verify_credential_verify(st, text, strlen(text), trust_list_lookup, &trust, T0, &r),
        VERIFY_CREDENTIAL_FORMAT);
    ck_assert_int_eq(r.kp1_rc, format_cases[_i].kp1_rc);
    ck_assert_int_eq(r.decoded, 0);
    ck_assert_int_eq(r.found, 0);
}
END_TEST

/* ---- the table's constraints ---- */

static const struct {
    const char *values;
    int ok;
} schema_cases[] = {
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 0, 1, 86400, NULL, ''", 1},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 4294967295, 65535, 4294967295 + 65535 * 86400, "
     "5, 'lost'",
     1},
    {"'0A1B2C3D4E5F60718293A4B5', 1, '9d24e2ee', 0, 1, 86400, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b', 1, '9d24e2ee', 0, 1, 86400, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 99, '9d24e2ee', 0, 1, 86400, NULL, ''", 0}, /* no citizen */
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9D24E2EE', 0, 1, 86400, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 0, 0, 0, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 0, 65536, 65536 * 86400, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 4294967296, 1, 4294967296 + 86400, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 0, 1, 86401, NULL, ''", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 0, 1, 86400, NULL, 'lost'", 0},
    {"'0a1b2c3d4e5f60718293a4b5', 1, '9d24e2ee', 0, 1, 86400, -1, ''", 0},
};

START_TEST(test_schema)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "PRAGMA foreign_keys = ON; INSERT INTO credential (serial, citizen_id, key_id, "
             "issued_at, valid_days, expires_at, revoked_at, revoke_reason) VALUES (%s)",
             schema_cases[_i].values);
    ck_assert_msg((sql_exec(sql) == SQLITE_OK) == schema_cases[_i].ok, "case %d", _i);
    /* Every lookup has its index. */
    ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                             "name = 'credential_citizen'"),
                     1);
}
END_TEST

Suite *suite_credential(void)
{
    Suite *s = suite_create("credential");
    TCase *tc = tcase_create("store");

    if (sodium_init() < 0)
        return s;
    tcase_add_checked_fixture(tc, cred_setup, cred_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_serial_forms, 0, (int)KP_ARRAY_LEN(serial_cases));
    tcase_add_loop_test(tc, test_verdicts, 0, (int)KP_ARRAY_LEN(verdict_cases));
    tcase_add_test(tc, test_verdict_names);
    tcase_add_test(tc, test_add_get_list);
    tcase_add_test(tc, test_add_digit_serial);
    tcase_add_test(tc, test_add_refused);
    tcase_add_test(tc, test_add_invalid_before_inactive);
    tcase_add_test(tc, test_revoke);
    tcase_add_loop_test(tc, test_check, 0, (int)KP_ARRAY_LEN(check_cases));
    tcase_add_loop_test(tc, test_verify, 0, (int)KP_ARRAY_LEN(verify_cases));
    tcase_add_loop_test(tc, test_recheck, 0, (int)KP_ARRAY_LEN(recheck_cases));
    tcase_add_loop_test(tc, test_verify_format, 0, (int)KP_ARRAY_LEN(format_cases));
    tcase_add_loop_test(tc, test_schema, 0, (int)KP_ARRAY_LEN(schema_cases));
    suite_add_tcase(s, tc);
    return s;
}
