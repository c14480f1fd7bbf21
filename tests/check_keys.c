/* SPDX-License-Identifier: ISC */
/*
 * The trust list (a table of good and bad texts with the exact
 * "name:line: reason") and the key folder on disk: file modes from the
 * start, idempotent init, refusing loose modes, symlinks and wrong sizes,
 * rotate and retire with their effect on lookups, a seed that does not
 * match its public key, and sealing partner passwords.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"
#include "kpass/id/trust.h"
#include "testutil.h"

/* Seed 00..1f (doc/kp1-token.md) and seed 42..42, computed with Python's cryptography. */
#define PK_A "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
#define ID_A "9d24e2ee"
#define PK_B "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12"
#define ID_B "26e88ab5"

static void assert_same_keys(const struct trust_list *a, const struct trust_list *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_mem_eq(a->keys[i].id, b->keys[i].id, TRUST_ID_BYTES);
        ck_assert_int_eq(a->keys[i].created, b->keys[i].created);
        ck_assert_int_eq(a->keys[i].status, b->keys[i].status);
        ck_assert_mem_eq(a->keys[i].pk, b->keys[i].pk, TRUST_PK_BYTES);
    }
}

static const struct {
    const char *text;
    int nkeys;         /* when error is NULL */
    const char *error; /* the exact first error line */
} trust_cases[] = {
    {"", 0, NULL},
    {"# only comments\n\n   \n", 0, NULL},
    {"key " ID_A " 1735689600 active " PK_A "\n", 1, NULL},
    {"key " ID_A " 1735689600 active " PK_A, 1, NULL},
    {"\tkey\t" ID_A "  0 verify " PK_A " \r\n", 1, NULL},
    {"key 9D24E2EE 1 retired " PK_A "\n", 1, NULL},
    {"key " ID_A " 1 active " PK_A "\nkey " ID_B " 2 verify " PK_B "\n", 2, NULL},
    {"key " ID_A " 1 retired " PK_A "\nkey " ID_B " 2 retired " PK_B "\n", 2, NULL},
    {"key " ID_A " 1735689600 active\n", 0,
     "t:1: expected 'key <id> <created> <status> <public key>'\n"},
    {"key " ID_A " 1 active " PK_A " extra\n", 0,
     "t:1: expected 'key <id> <created> <status> <public key>'\n"},
    {"kee " ID_A " 1 active " PK_A "\n", 0,
     "t:1: expected 'key <id> <created> <status> <public key>'\n"},
    {"\n# c\nkey 9d24e2e 1 active " PK_A "\n", 0, "t:3: key id: expected 8 hex digits\n"},
    {"key 9d24e2eg 1 active " PK_A "\n", 0, "t:1: key id: expected 8 hex digits\n"},
    {"key " ID_A " -1 active " PK_A "\n", 0, "t:1: created: expected Unix seconds\n"},
    {"key " ID_A " 17x active " PK_A "\n", 0, "t:1: created: expected Unix seconds\n"},
    {"key " ID_A " 99999999999999999999 active " PK_A "\n", 0,
     "t:1: created: expected Unix seconds\n"},
    {"key " ID_A " 1 Active " PK_A "\n", 0, "t:1: status: expected active, verify or retired\n"},
    {"key " ID_A " 1 active " PK_A "0\n", 0, "t:1: public key: expected 64 hex digits\n"},
    {"key " ID_A " 1 active 2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db1\n", 0,
     "t:1: public key: expected 64 hex digits\n"},
    {"key " ID_A " 1 active " PK_B "\n", 0, "t:1: key id does not match the public key\n"},
    {"key " ID_A " 1 active " PK_A "\nkey " ID_A " 2 verify " PK_A "\n", 0,
     "t:2: key id listed twice\n"},
    {"key " ID_A " 1 active " PK_A "\nkey " ID_B " 2 active " PK_B "\n", 0,
     "t:2: a second active key\n"},
};

START_TEST(test_trust_parse)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct kp_buf err = KP_BUF_INIT;
    const char *text = trust_cases[_i].text;
    int rc = trust_list_parse(&t, "t", text, strlen(text), &err);

    if (trust_cases[_i].error == NULL) {
        ck_assert_msg(rc == 0, "case %d: %s", _i, err.data);
        ck_assert_int_eq((int)t.n, trust_cases[_i].nkeys);
    } else {
        ck_assert_int_eq(rc, -KP_ERR_PARSE);
        ck_assert_ptr_nonnull(err.data);
        size_t first = strcspn(err.data, "\n") + 1;
        ck_assert_msg(first == strlen(trust_cases[_i].error) &&
                          memcmp(err.data, trust_cases[_i].error, first) == 0,
                      "case %d: got '%s'", _i, err.data);
    }
    kp_buf_free(&err);
    trust_list_free(&t);
}
END_TEST

START_TEST(test_trust_lookup_format)
{
    static const char text[] =
        "key " ID_A " 10 verify " PK_A "\nkey " ID_B " 20 retired " PK_B "\nbad line\n";
    struct trust_list t = TRUST_LIST_INIT, again = TRUST_LIST_INIT;
    struct kp_buf err = KP_BUF_INIT, out = KP_BUF_INIT;
    uint8_t id[TRUST_ID_BYTES], pk[TRUST_PK_BYTES], want[TRUST_PK_BYTES];

    /* Bad lines are reported; good ones are still read. */
    ck_assert_int_eq(trust_list_parse(&t, "x", text, sizeof(text) - 1, &err), -KP_ERR_PARSE);
    ck_assert_str_eq(err.data, "x:3: expected 'key <id> <created> <status> <public key>'\n");
    ck_assert_uint_eq(t.n, 2);
    ck_assert_ptr_null(trust_list_active(&t));
    ck_assert_int_eq(trust_id_parse(ID_A, id), 0);
    ck_assert_int_eq(trust_list_lookup(&t, id, pk), 0);
    tu_hex(PK_A, want, sizeof(want));
    ck_assert_mem_eq(pk, want, 32);
    ck_assert_int_eq(trust_id_parse(ID_B, id), 0);
    ck_assert_int_eq(trust_list_lookup(&t, id, pk), -KP_ERR_DENIED);
    id[0] ^= 1;
    ck_assert_int_eq(trust_list_lookup(&t, id, pk), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(trust_id_parse("9d24e2e", id), -KP_ERR_PARSE);
    ck_assert_int_eq(trust_id_parse("9d24e2ee0", id), -KP_ERR_PARSE);
    /* Format, parse again: the same list. */
    trust_list_format(&t, &out);
    ck_assert_ptr_nonnull(strstr(out.data, "key " ID_A " 10 verify " PK_A "\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "key " ID_B " 20 retired " PK_B "\n"));
    kp_buf_reset(&err);
    ck_assert_int_eq(trust_list_parse(&again, "y", out.data, out.len, &err), 0);
    assert_same_keys(&again, &t);
    trust_list_free(&t);
    trust_list_free(&again);
    trust_list_free(NULL);
    kp_buf_free(&err);
    kp_buf_free(&out);
}
END_TEST

/* A fresh folder path (not created yet) under a new temporary folder. */
static char *keys_tmp(char *dir, size_t size)
{
    char *top = tu_tmpdir("keys");

    snprintf(dir, size, "%s/keys", top);
    return top;
}

static void rm_tree(char *top)
{
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", top, NULL};

    tu_run(argv, NULL, NULL, 10000);
}

static mode_t mode_of(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (lstat(path, &st) < 0)
        return (mode_t)-1;
    return st.st_mode & 07777;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void sign_name(const struct keys_signer *s, char *buf, size_t size)
{
    char hex[TRUST_ID_HEX];

    trust_id_hex(s->id, hex);
    snprintf(buf, size, "sign-%s.key", hex);
}

START_TEST(test_keys_init)
{
    char dir[512], name[64], path[1024];
    char *top = keys_tmp(dir, sizeof(dir));
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    uint8_t *k1 = NULL, *k2 = NULL, pk[TRUST_PK_BYTES];

    umask(022);
    ck_assert_int_eq(keys_dir_init(dir, 1735689600, &err), 6);
    ck_assert_msg(err.len == 0, "%s", err.data);
    ck_assert_uint_eq(mode_of(dir, "."), 0700);
    ck_assert_uint_eq(mode_of(dir, KEYS_OTP), 0600);
    ck_assert_uint_eq(mode_of(dir, KEYS_CNIC), 0600);
    ck_assert_uint_eq(mode_of(dir, KEYS_PARTNER), 0600);
    ck_assert_uint_eq(mode_of(dir, KEYS_AUDIT), 0600);
    ck_assert_uint_eq(mode_of(dir, KEYS_TRUST), 0644);
    ck_assert_int_eq(count_files(dir), 6);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    ck_assert_uint_eq(ring->trust.n, 1);
    ck_assert_int_eq(ring->trust.keys[0].status, TRUST_ACTIVE);
    ck_assert_int_eq(ring->trust.keys[0].created, 1735689600);
    ck_assert_ptr_nonnull(keys_ring_signer(ring));
    sign_name(keys_ring_signer(ring), name, sizeof(name));
    ck_assert_uint_eq(mode_of(dir, name), 0600);
    ck_assert_int_eq(keys_ring_lookup(ring, ring->signer.id, pk), 0);
    ck_assert_mem_eq(pk, ring->signer.pk, 32);

    /* Keys differ from each other; a second init changes nothing. */
    ck_assert_int_eq(keys_secret_load(dir, KEYS_OTP, &k1, &err), 0);
    ck_assert_int_eq(keys_secret_load(dir, KEYS_CNIC, &k2, &err), 0);
    ck_assert_int_ne(memcmp(k1, k2, KEYS_SYM_BYTES), 0);
    keys_secret_free(k2);
    ck_assert_int_eq(keys_secret_load(dir, KEYS_AUDIT, &k2, &err), 0);
    ck_assert_int_ne(memcmp(k1, k2, KEYS_SYM_BYTES), 0);
    keys_secret_free(k2);
    ck_assert_int_eq(keys_dir_init(dir, 1800000000, &err), 0);
    ck_assert_int_eq(keys_secret_load(dir, KEYS_OTP, &k2, &err), 0);
    ck_assert_mem_eq(k1, k2, KEYS_SYM_BYTES);
    keys_secret_free(k1);
    keys_secret_free(k2);
    keys_secret_free(NULL);
    ck_assert_int_eq(count_files(dir), 6);
    keys_ring_free(ring);
    ck_assert_int_eq(keys_ring_open(dir, 0, &ring, &err), 0);
    ck_assert_ptr_null(keys_ring_signer(ring));
    ck_assert_int_eq(ring->trust.keys[0].created, 1735689600);
    keys_ring_free(ring);
    keys_ring_free(NULL);
    /* init recreates a missing symmetric key and nothing else. */
    snprintf(path, sizeof(path), "%s/%s", dir, KEYS_PARTNER);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(keys_dir_init(dir, 1800000000, &err), 1);
    ck_assert_uint_eq(mode_of(dir, KEYS_PARTNER), 0600);
    kp_buf_free(&err);
    rm_tree(top);
    free(top);
}
END_TEST

START_TEST(test_keys_refuse)
{
    char dir[512], path[1024], link[1024];
    char *top = keys_tmp(dir, sizeof(dir));
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    uint8_t *k = NULL;
    int fd;

    ck_assert_int_ge(keys_dir_init(dir, 1, &err), 6);
    snprintf(path, sizeof(path), "%s/%s", dir, KEYS_OTP);

    /* Readable by group or others: refused, and the message says why. */
    static const mode_t loose[] = {0640, 0604, 0620, 0602, 0660, 0644};
    for (size_t i = 0; i < KP_ARRAY_LEN(loose); i++) {
        char want[64];
        ck_assert_int_eq(chmod(path, loose[i]), 0);
        kp_buf_reset(&err);
        ck_assert_int_eq(keys_secret_load(dir, KEYS_OTP, &k, &err), -KP_ERR_DENIED);
        ck_assert_ptr_null(k);
        snprintf(want, sizeof(want), "mode %04o lets group or others", (unsigned)loose[i]);
        ck_assert_msg(strstr(err.data, want) != NULL, "%s", err.data);
        /* init checks existing keys too, and never "fixes" them. */
        ck_assert_int_eq(keys_dir_init(dir, 1, &err), -KP_ERR_DENIED);
        ck_assert_uint_eq(mode_of(dir, KEYS_OTP), loose[i]);
    }
    ck_assert_int_eq(chmod(path, 0400), 0);
    ck_assert_int_eq(keys_secret_load(dir, KEYS_OTP, &k, &err), 0);
    keys_secret_free(k);

    /* Missing, wrong size, a symlink, not a file. */
    kp_buf_reset(&err);
    ck_assert_int_eq(keys_secret_load(dir, "nosuch.key", &k, &err), -KP_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.data, "kpass init"));
    snprintf(path, sizeof(path), "%s/short.key", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
    close(fd);
    kp_buf_reset(&err);
    ck_assert_int_eq(keys_secret_load(dir, "short.key", &k, &err), -KP_ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err.data, "10 octets, expected 32"));
    snprintf(link, sizeof(link), "%s/link.key", dir);
    snprintf(path, sizeof(path), "%s/%s", dir, KEYS_CNIC);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(keys_secret_load(dir, "link.key", &k, &err), -ELOOP);
    snprintf(path, sizeof(path), "%s/sub.key", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(keys_secret_load(dir, "sub.key", &k, &err), -KP_ERR_INVAL);

    /* A folder others may write to: nothing loads. */
    ck_assert_int_eq(chmod(dir, 0770), 0);
    kp_buf_reset(&err);
    ck_assert_int_eq(keys_secret_load(dir, KEYS_CNIC, &k, &err), -KP_ERR_DENIED);
    ck_assert_ptr_nonnull(strstr(err.data, "mode 0770"));
    ck_assert_int_eq(keys_ring_open(dir, 0, &ring, &err), -KP_ERR_DENIED);
    ck_assert_ptr_null(ring);
    ck_assert_int_eq(chmod(dir, 0700), 0);

    /* trust.list writable by others: refused (anyone could add a key). */
    snprintf(path, sizeof(path), "%s/%s", dir, KEYS_TRUST);
    ck_assert_int_eq(chmod(path, 0646), 0);
    ck_assert_int_eq(keys_ring_open(dir, 0, &ring, &err), -KP_ERR_DENIED);
    ck_assert_int_eq(chmod(path, 0444), 0);
    ck_assert_int_eq(keys_ring_open(dir, 0, &ring, &err), 0);
    keys_ring_free(ring);

    /* A missing folder. */
    kp_buf_reset(&err);
    snprintf(path, sizeof(path), "%s/nothere", top);
    ck_assert_int_eq(keys_ring_open(path, 1, &ring, &err), -KP_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.data, "kpass init"));
    kp_buf_free(&err);
    rm_tree(top);
    free(top);
}
END_TEST

START_TEST(test_keys_rotate_retire)
{
    char dir[512], name[64];
    char *top = keys_tmp(dir, sizeof(dir));
    struct kp_buf err = KP_BUF_INIT, out = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    struct trust_list t = TRUST_LIST_INIT, exported = TRUST_LIST_INIT;
    uint8_t first[TRUST_ID_BYTES], second[TRUST_ID_BYTES], third[TRUST_ID_BYTES];
    uint8_t pk[TRUST_PK_BYTES], nosuch[TRUST_ID_BYTES] = {1, 2, 3, 4};

    ck_assert_int_eq(keys_dir_init(dir, 100, &err), 6);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    memcpy(first, ring->signer.id, TRUST_ID_BYTES);
    sign_name(&ring->signer, name, sizeof(name));
    keys_ring_free(ring);

    ck_assert_int_eq(keys_dir_rotate(dir, 200, second, &err), 0);
    ck_assert_int_ne(memcmp(first, second, TRUST_ID_BYTES), 0);
    /* The old seed is gone; its public key still verifies. */
    ck_assert_uint_eq(mode_of(dir, name), (mode_t)-1);
    ck_assert_int_eq(count_files(dir), 6);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    ck_assert_mem_eq(ring->signer.id, second, TRUST_ID_BYTES);
    ck_assert_int_eq(keys_ring_lookup(ring, first, pk), 0);
    ck_assert_int_eq(keys_ring_lookup(ring, second, pk), 0);
    ck_assert_mem_eq(pk, ring->signer.pk, 32);
    keys_ring_free(ring);

    ck_assert_int_eq(keys_dir_rotate(dir, 300, third, &err), 0);
    ck_assert_int_eq(keys_dir_list(dir, &t, &err), 0);
    ck_assert_uint_eq(t.n, 3);
    ck_assert_int_eq(trust_list_find(&t, first)->status, TRUST_VERIFY);
    ck_assert_int_eq(trust_list_find(&t, second)->status, TRUST_VERIFY);
    ck_assert_int_eq(trust_list_find(&t, third)->status, TRUST_ACTIVE);
    ck_assert_int_eq(trust_list_find(&t, third)->created, 300);
    trust_list_free(&t);

    /* Retire: refused for the active and unknown keys, idempotent otherwise. */
    kp_buf_reset(&err);
    ck_assert_int_eq(keys_dir_retire(dir, third, &err), -KP_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(err.data, "rotate first"));
    ck_assert_int_eq(keys_dir_retire(dir, nosuch, &err), -KP_ERR_NOTFOUND);
    ck_assert_int_eq(keys_dir_retire(dir, first, &err), 0);
    ck_assert_int_eq(keys_dir_retire(dir, first, &err), 0);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    ck_assert_int_eq(keys_ring_lookup(ring, first, pk), -KP_ERR_DENIED);
    ck_assert_int_eq(keys_ring_lookup(ring, second, pk), 0);
    ck_assert_int_eq(keys_ring_lookup(ring, nosuch, pk), -KP_ERR_NOTFOUND);

    /* The export is the trust list, readable by a verifier elsewhere. */
    ck_assert_int_eq(keys_dir_export(dir, &out, &err), 0);
    ck_assert_int_eq(trust_list_parse(&exported, "export", out.data, out.len, &err), 0);
    ck_assert_uint_eq(exported.n, 3);
    assert_same_keys(&exported, &ring->trust);
    ck_assert_ptr_nonnull(strstr(out.data, " retired "));
    ck_assert_uint_eq(mode_of(dir, KEYS_TRUST) & 022, 0);
    trust_list_free(&exported);
    keys_ring_free(ring);
    kp_buf_free(&err);
    kp_buf_free(&out);
    rm_tree(top);
    free(top);
}
END_TEST

START_TEST(test_keys_seed_mismatch)
{
    char dir[512], name[64], path[1024];
    char *top = keys_tmp(dir, sizeof(dir));
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    uint8_t other[KEYS_SEED_BYTES];
    int fd;

    ck_assert_int_eq(keys_dir_init(dir, 1, &err), 6);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), 0);
    sign_name(&ring->signer, name, sizeof(name));
    keys_ring_free(ring);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_int_eq(unlink(path), 0);
    /* No seed: the ring opens for verifying only; signing needs rotate. */
    kp_buf_reset(&err);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), -KP_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.data, "kpass keys rotate"));
    ck_assert_int_eq(keys_ring_open(dir, 0, &ring, &err), 0);
    keys_ring_free(ring);
    /* Another seed under the active key's name. */
    memset(other, 0x42, sizeof(other));
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_eq(write(fd, other, sizeof(other)), (ssize_t)sizeof(other));
    close(fd);
    kp_buf_reset(&err);
    ck_assert_int_eq(keys_ring_open(dir, 1, &ring, &err), -KP_ERR_CRYPTO);
    ck_assert_ptr_nonnull(strstr(err.data, "does not match"));
    kp_buf_free(&err);
    rm_tree(top);
    free(top);
}
END_TEST

START_TEST(test_keys_signer)
{
    uint8_t seed[KEYS_SEED_BYTES], pk[TRUST_PK_BYTES], id[TRUST_ID_BYTES], sig[KEYS_SIG_BYTES];
    struct keys_signer s, none;

    for (int i = 0; i < KEYS_SEED_BYTES; i++)
        seed[i] = (uint8_t)i;
    ck_assert_int_eq(keys_signer_from_seed(&s, seed), 0);
    tu_hex(PK_A, pk, sizeof(pk));
    ck_assert_mem_eq(s.pk, pk, 32);
    tu_hex(ID_A, id, sizeof(id));
    ck_assert_mem_eq(s.id, id, 4);
    ck_assert_int_eq(keys_signer_sign(&s, "T", 2, (const uint8_t *)"msg", 3, sig), 0);
    ck_assert_int_eq(crypto_sign_verify_detached(sig, (const uint8_t *)"T\0msg", 5, pk), 0);
    keys_signer_clear(&s);
    ck_assert_ptr_null(s.sk);
    keys_signer_clear(&s);
    memset(&none, 0, sizeof(none));
    ck_assert_int_eq(keys_signer_sign(&none, "T", 2, (const uint8_t *)"m", 1, sig), -KP_ERR_STATE);
}
END_TEST

static const char *const seal_secrets[] = {"", "s3cret", "12345678",
                                           "a secret of exactly 63 octets: "
                                           "abcdefghijklmnopqrstuvwxyz012345"};

START_TEST(test_keys_seal)
{
    uint8_t key[KEYS_SYM_BYTES], other[KEYS_SYM_BYTES];
    struct kp_buf a = KP_BUF_INIT, b = KP_BUF_INIT;
    const char *secret = seal_secrets[_i];
    char out[KEYS_SEAL_MAX + 1], small[4];

    ck_assert_uint_le(strlen(secret), KEYS_SEAL_MAX);
    if (_i == (int)KP_ARRAY_LEN(seal_secrets) - 1)
        ck_assert_uint_eq(strlen(secret), KEYS_SEAL_MAX);
    randombytes_buf(key, sizeof(key));
    memcpy(other, key, sizeof(key));
    other[0] ^= 0x80;
    ck_assert_int_eq(keys_seal(key, secret, &a), 0);
    ck_assert_int_eq(keys_seal(key, secret, &b), 0);
    /* Fixed length whatever the secret; a fresh nonce every time. */
    ck_assert_uint_eq(a.len, KEYS_SEAL_HEX_LEN);
    ck_assert_str_ne(a.data, b.data);
    ck_assert_int_eq(keys_unseal(key, a.data, out, sizeof(out)), (int)strlen(secret));
    ck_assert_str_eq(out, secret);
    ck_assert_int_eq(keys_unseal(other, a.data, out, sizeof(out)), -KP_ERR_CRYPTO);
    if (strlen(secret) >= sizeof(small))
        ck_assert_int_eq(keys_unseal(key, a.data, small, sizeof(small)), -KP_ERR_TOOLONG);
    /* Any changed hex digit is refused. */
    for (size_t i = 0; i < a.len; i += 7) {
        char saved = a.data[i];
        a.data[i] = saved == '0' ? '1' : '0';
        ck_assert_int_eq(keys_unseal(key, a.data, out, sizeof(out)), -KP_ERR_CRYPTO);
        a.data[i] = saved;
    }
    a.data[10] = 'x';
    ck_assert_int_eq(keys_unseal(key, a.data, out, sizeof(out)), -KP_ERR_PARSE);
    a.data[a.len - 1] = '\0';
    ck_assert_int_eq(keys_unseal(key, a.data, out, sizeof(out)), -KP_ERR_PARSE);
    kp_buf_free(&a);
    kp_buf_free(&b);
}
END_TEST

START_TEST(test_keys_seal_long)
{
    uint8_t key[KEYS_SYM_BYTES] = {0};
    struct kp_buf a = KP_BUF_INIT;
    char secret[KEYS_SEAL_MAX + 2];

    memset(secret, 'x', sizeof(secret) - 1);
    secret[sizeof(secret) - 1] = '\0';
    ck_assert_int_eq(keys_seal(key, secret, &a), -KP_ERR_TOOLONG);
    ck_assert_uint_eq(a.len, 0);
}
END_TEST

Suite *suite_keys(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("trust");

    if (sodium_init() < 0)
        return s;
    tcase_add_loop_test(tc, test_trust_parse, 0, (int)KP_ARRAY_LEN(trust_cases));
    tcase_add_test(tc, test_trust_lookup_format);
    suite_add_tcase(s, tc);

    tc = tcase_create("folder");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_keys_init);
    tcase_add_test(tc, test_keys_refuse);
    tcase_add_test(tc, test_keys_rotate_retire);
    tcase_add_test(tc, test_keys_seed_mismatch);
    tcase_add_test(tc, test_keys_signer);
    tcase_add_loop_test(tc, test_keys_seal, 0, (int)KP_ARRAY_LEN(seal_secrets));
    tcase_add_test(tc, test_keys_seal_long);
    suite_add_tcase(s, tc);
    return s;
}
