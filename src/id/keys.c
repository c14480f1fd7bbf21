/* SPDX-License-Identifier: ISC */
/*
 * The key folder: creating, checking and loading secret files, the
 * signing-key life cycle (init, rotate, retire), the ring a daemon loads,
 * and sealing partner passwords with partner.key.
 *
 * Files are written under a temporary name (".<name>.tmp", O_EXCL, final
 * mode), fsync'ed, then put in place: link(2) for secrets (refuses to
 * replace an existing key) and rename(2) for trust.list; then the folder
 * is fsync'ed.  A crash leaves either the old state or the new one, plus
 * at worst a stale temporary file that the next write removes.
 */
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

#define KEYS_PATH_MAX  4096
#define KEYS_TRUST_MAX (1024 * 1024) /* refuse absurd trust lists */
#define KEYS_SEAL_PAD  64
#define KEYS_SEAL_RAW  (crypto_secretbox_NONCEBYTES + KEYS_SEAL_PAD + crypto_secretbox_MACBYTES)

static int keys_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);

    return n < 0 || (size_t)n >= size ? -KP_ERR_TOOLONG : 0;
}

/* "sign-9d24e2ee.key" */
static void keys_sign_name(const uint8_t id[TRUST_ID_BYTES], char *buf, size_t size)
{
    char hex[TRUST_ID_HEX];

    trust_id_hex(id, hex);
    snprintf(buf, size, "sign-%s.key", hex);
}

static int keys_errno(int e)
{
    return e == ENOENT ? -KP_ERR_NOTFOUND : -e;
}

/* The folder must exist, be a folder, and be closed to group and others:
   writable, they could swap keys; readable, they could list and, with a
   slip in a file's mode, read them (DESIGN.md §11: keys 0700). */
static int keys_folder_check(const char *dir, struct kp_buf *err)
{
    struct stat st;

    if (stat(dir, &st) < 0) {
        int e = errno;
        kp_buf_printf(err, "keys: %s: %s%s\n", dir, strerror(e),
                      e == ENOENT ? " (run `kpass init`)" : "");
        return keys_errno(e);
    }
    if (!S_ISDIR(st.st_mode)) {
        kp_buf_printf(err, "keys: %s: not a folder\n", dir);
        return -KP_ERR_INVAL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        kp_buf_printf(err, "keys: %s: mode %04o lets group or others %s keys; it must be 0700\n",
                      dir, (unsigned)(st.st_mode & 07777),
                      st.st_mode & (S_IWGRP | S_IWOTH) ? "change" : "see");
        return -KP_ERR_DENIED;
    }
    return 0;
}

/*
 * Open dir/name for reading and check it: a regular file (no symlink),
 * with none of the mode bits in forbidden.  Returns the fd or an error.
 */
static int keys_open_checked(const char *path, mode_t forbidden, off_t *size, struct kp_buf *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;
        kp_buf_printf(err, "keys: %s: %s\n", path, strerror(e));
        return keys_errno(e);
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        kp_buf_printf(err, "keys: %s: not a regular file\n", path);
        close(fd);
        return -KP_ERR_INVAL;
    }
    if (st.st_mode & forbidden) {
        kp_buf_printf(err, "keys: %s: mode %04o lets group or others %s it; it must be %s\n", path,
                      (unsigned)(st.st_mode & 07777),
                      forbidden & (S_IRGRP | S_IROTH) ? "read or change" : "change",
                      forbidden & (S_IRGRP | S_IROTH) ? "0600" : "0644 or stricter");
        close(fd);
        return -KP_ERR_DENIED;
    }
    *size = st.st_size;
    return fd;
}

static int keys_read_all(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -KP_ERR_IO;
        got += (size_t)r;
    }
    return 0;
}

/* Read the len-octet secret dir/name into buf. */
static int keys_read_secret(const char *dir, const char *name, uint8_t *buf, size_t len,
                            struct kp_buf *err)
{
    char path[KEYS_PATH_MAX];
    off_t size = 0;
    int fd, rc;

    if ((rc = keys_folder_check(dir, err)) < 0)
        return rc;
    if ((rc = keys_path(path, sizeof(path), dir, name)) < 0)
        return rc;
    fd = keys_open_checked(path, S_IRWXG | S_IRWXO, &size, err);
    if (fd < 0)
        return fd;
    if (size != (off_t)len) {
        kp_buf_printf(err, "keys: %s: %lld octets, expected %zu\n", path, (long long)size, len);
        rc = -KP_ERR_INVAL;
    } else if ((rc = keys_read_all(fd, buf, len)) < 0) {
        kp_buf_printf(err, "keys: %s: read failed\n", path);
    }
    close(fd);
    return rc;
}

static int keys_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

static int keys_write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -KP_ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/*
 * Write dir/name with mode from the start: temporary file (O_EXCL), data,
 * fsync, then link (replace == 0: -KP_ERR_EXISTS if present) or rename.
 */
static int keys_write_file(const char *dir, const char *name, const void *data, size_t len,
                           mode_t mode, int replace, struct kp_buf *err)
{
    char path[KEYS_PATH_MAX], tmp[KEYS_PATH_MAX], tname[256];
    int fd, rc;

    snprintf(tname, sizeof(tname), ".%s.tmp", name);
    if ((rc = keys_path(path, sizeof(path), dir, name)) < 0 ||
        (rc = keys_path(tmp, sizeof(tmp), dir, tname)) < 0)
        return rc;
    if (unlink(tmp) < 0 && errno != ENOENT) {
        rc = -errno;
        kp_buf_printf(err, "keys: %s: %s\n", tmp, strerror(-rc));
        return rc;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        rc = -errno;
        kp_buf_printf(err, "keys: %s: %s\n", tmp, strerror(-rc));
        return rc;
    }
    rc = keys_write_all(fd, data, len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -KP_ERR_IO;
    if (close(fd) < 0 && rc == 0)
        rc = -KP_ERR_IO;
    if (rc == 0 && replace && rename(tmp, path) < 0)
        rc = -errno;
    if (rc == 0 && !replace && link(tmp, path) < 0)
        rc = errno == EEXIST ? -KP_ERR_EXISTS : -errno;
    if (rc < 0)
        kp_buf_printf(err, "keys: %s: cannot write: %s\n", path, kp_strerror(rc));
    if (rc < 0 || !replace)
        unlink(tmp);
    if (rc == 0)
        rc = keys_fsync_dir(dir);
    return rc;
}

/* Read and parse dir/trust.list (not writable by group or others). */
static int keys_read_trust(const char *dir, struct trust_list *t, struct kp_buf *err)
{
    char path[KEYS_PATH_MAX];
    off_t size = 0;
    uint8_t *text = NULL;
    int fd, rc;

    if ((rc = keys_folder_check(dir, err)) < 0)
        return rc;
    if ((rc = keys_path(path, sizeof(path), dir, KEYS_TRUST)) < 0)
        return rc;
    fd = keys_open_checked(path, S_IWGRP | S_IWOTH, &size, err);
    if (fd == -KP_ERR_NOTFOUND)
        kp_buf_puts(err, "keys: `kpass init` creates the key folder\n");
    if (fd < 0)
        return fd;
    if (size > KEYS_TRUST_MAX) {
        kp_buf_printf(err, "keys: %s: too large\n", path);
        rc = -KP_ERR_TOOLONG;
        goto out;
    }
    text = kp_malloc((size_t)size + 1);
    if ((rc = keys_read_all(fd, text, (size_t)size)) < 0) {
        kp_buf_printf(err, "keys: %s: read failed\n", path);
        goto out;
    }
    rc = trust_list_parse(t, path, (const char *)text, (size_t)size, err);
out:
    free(text);
    close(fd);
    return rc;
}

static int keys_write_trust(const char *dir, const struct trust_list *t, struct kp_buf *err)
{
    struct kp_buf text = KP_BUF_INIT;
    int rc;

    trust_list_format(t, &text);
    rc = keys_write_file(dir, KEYS_TRUST, text.data, text.len, 0644, 1, err);
    kp_buf_free(&text);
    return rc;
}

int keys_signer_from_seed(struct keys_signer *s, const uint8_t seed[KEYS_SEED_BYTES])
{
    memset(s, 0, sizeof(*s));
    s->sk = sodium_malloc(KEYS_SK_BYTES);
    if (s->sk == NULL)
        return -KP_ERR_NOMEM;
    crypto_sign_seed_keypair(s->pk, s->sk, seed);
    sodium_mprotect_readonly(s->sk);
    trust_key_id(s->pk, s->id);
    return 0;
}

int keys_signer_trust(const struct keys_signer *s, enum trust_status status, struct trust_list *t)
{
    struct trust_key k;

    memset(&k, 0, sizeof(k));
    memcpy(k.id, s->id, TRUST_ID_BYTES);
    memcpy(k.pk, s->pk, TRUST_PK_BYTES);
    k.status = status;
    return trust_list_add(t, &k);
}

void keys_signer_clear(struct keys_signer *s)
{
    if (s->sk != NULL)
        sodium_free(s->sk); /* sodium_free wipes before unmapping */
    memset(s, 0, sizeof(*s));
}

int keys_signer_sign(const struct keys_signer *s, const void *tag, size_t taglen,
                     const uint8_t *msg, size_t len, uint8_t sig[KEYS_SIG_BYTES])
{
    uint8_t buf[256];

    if (s == NULL || s->sk == NULL)
        return -KP_ERR_STATE;
    if (taglen + len > sizeof(buf))
        return -KP_ERR_TOOLONG;
    memcpy(buf, tag, taglen);
    memcpy(buf + taglen, msg, len);
    crypto_sign_detached(sig, NULL, buf, taglen + len, s->sk);
    return 0;
}

/* Load the seed of key id from dir into a signer, checked against pk. */
static int keys_signer_load(const char *dir, const struct trust_key *k, struct keys_signer *s,
                            struct kp_buf *err)
{
    char name[64];
    uint8_t *seed = sodium_malloc(KEYS_SEED_BYTES);
    int rc;

    if (seed == NULL)
        return -KP_ERR_NOMEM;
    keys_sign_name(k->id, name, sizeof(name));
    rc = keys_read_secret(dir, name, seed, KEYS_SEED_BYTES, err);
    if (rc == -KP_ERR_NOTFOUND)
        kp_buf_printf(err, "keys: the active key's seed is missing; `kpass keys rotate` makes a "
                           "new active key\n");
    if (rc == 0)
        rc = keys_signer_from_seed(s, seed);
    sodium_free(seed);
    if (rc == 0 && sodium_memcmp(s->pk, k->pk, TRUST_PK_BYTES) != 0) {
        kp_buf_printf(err, "keys: %s/%s: does not match its public key in %s\n", dir, name,
                      KEYS_TRUST);
        keys_signer_clear(s);
        rc = -KP_ERR_CRYPTO;
    }
    return rc;
}

int keys_ring_open(const char *dir, int with_signer, struct keys_ring **out, struct kp_buf *err)
{
    struct keys_ring *r = kp_calloc(1, sizeof(*r));
    const struct trust_key *active;
    int rc;

    *out = NULL;
    if ((rc = keys_read_trust(dir, &r->trust, err)) < 0)
        goto out;
    if (with_signer) {
        if ((active = trust_list_active(&r->trust)) == NULL) {
            kp_buf_printf(err, "keys: %s/%s: no active signing key\n", dir, KEYS_TRUST);
            rc = -KP_ERR_NOTFOUND;
            goto out;
        }
        if ((rc = keys_signer_load(dir, active, &r->signer, err)) < 0)
            goto out;
    }
    *out = r;
    return 0;
out:
    keys_ring_free(r);
    return rc;
}

void keys_ring_free(struct keys_ring *r)
{
    if (r == NULL)
        return;
    keys_signer_clear(&r->signer);
    trust_list_free(&r->trust);
    free(r);
}

const struct keys_signer *keys_ring_signer(const struct keys_ring *r)
{
    return r->signer.sk != NULL ? &r->signer : NULL;
}

int keys_ring_lookup(void *ctx, const uint8_t id[TRUST_ID_BYTES], uint8_t pk[TRUST_PK_BYTES])
{
    struct keys_ring *r = ctx;

    return trust_list_lookup(&r->trust, id, pk);
}

/*
 * A new signing key: a random seed written as sign-<id>.key, and its
 * entry (status given) appended to t.  The id is unique in t.
 */
static int keys_sign_create(const char *dir, int64_t now, enum trust_status status,
                            struct trust_list *t, uint8_t id[TRUST_ID_BYTES], struct kp_buf *err)
{
    struct keys_signer s;
    struct trust_key k;
    uint8_t *seed = sodium_malloc(KEYS_SEED_BYTES);
    char name[64];
    int rc;

    if (seed == NULL)
        return -KP_ERR_NOMEM;
    memset(&k, 0, sizeof(k));
    do {
        randombytes_buf(seed, KEYS_SEED_BYTES);
        if ((rc = keys_signer_from_seed(&s, seed)) < 0)
            goto out;
        memcpy(k.id, s.id, TRUST_ID_BYTES);
        memcpy(k.pk, s.pk, TRUST_PK_BYTES);
        keys_signer_clear(&s);
    } while (trust_list_find(t, k.id) != NULL); /* a 32-bit id may collide */
    keys_sign_name(k.id, name, sizeof(name));
    if ((rc = keys_write_file(dir, name, seed, KEYS_SEED_BYTES, 0600, 0, err)) < 0)
        goto out;
    k.created = now;
    k.status = status;
    rc = trust_list_add(t, &k);
    if (id != NULL)
        memcpy(id, k.id, TRUST_ID_BYTES);
out:
    sodium_free(seed);
    return rc;
}

/* Make sure the symmetric key dir/name exists and loads; 1 if created. */
static int keys_sym_ensure(const char *dir, const char *name, struct kp_buf *err)
{
    struct kp_buf ignore = KP_BUF_INIT;
    uint8_t *key = NULL;
    int rc = keys_secret_load(dir, name, &key, &ignore);

    if (rc == -KP_ERR_NOTFOUND) {
        if ((key = sodium_malloc(KEYS_SYM_BYTES)) == NULL) {
            rc = -KP_ERR_NOMEM;
            goto out;
        }
        randombytes_buf(key, KEYS_SYM_BYTES);
        rc = keys_write_file(dir, name, key, KEYS_SYM_BYTES, 0600, 0, err);
        if (rc == 0)
            rc = 1;
    } else if (rc < 0) {
        kp_buf_append(err, ignore.data, ignore.len);
    }
out:
    kp_buf_free(&ignore);
    keys_secret_free(key);
    return rc;
}

/* Make sure trust.list exists with an active key whose seed loads; 2 if created. */
static int keys_sign_ensure(const char *dir, int64_t now, struct kp_buf *err)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct keys_ring *r = NULL;
    char path[KEYS_PATH_MAX];
    int rc;

    if ((rc = keys_path(path, sizeof(path), dir, KEYS_TRUST)) < 0)
        return rc;
    if (access(path, F_OK) == 0 || errno != ENOENT) {
        rc = keys_ring_open(dir, 1, &r, err);
        keys_ring_free(r);
        return rc;
    }
    rc = keys_sign_create(dir, now, TRUST_ACTIVE, &t, NULL, err);
    if (rc == 0)
        rc = keys_write_trust(dir, &t, err);
    trust_list_free(&t);
    return rc < 0 ? rc : 2;
}

int keys_dir_init(const char *dir, int64_t now, struct kp_buf *err)
{
    static const char *const sym[] = {KEYS_OTP, KEYS_CNIC, KEYS_PARTNER, KEYS_AUDIT};
    int created = 0, rc;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        rc = -errno;
        kp_buf_printf(err, "keys: %s: cannot create: %s\n", dir, strerror(-rc));
        return rc;
    }
    if ((rc = keys_folder_check(dir, err)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof(sym) / sizeof(sym[0]); i++) {
        if ((rc = keys_sym_ensure(dir, sym[i], err)) < 0)
            return rc;
        created += rc;
    }
    if ((rc = keys_sign_ensure(dir, now, err)) < 0)
        return rc;
    return created + rc;
}

int keys_dir_rotate(const char *dir, int64_t now, uint8_t new_id[TRUST_ID_BYTES],
                    struct kp_buf *err)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct trust_key *old;
    uint8_t old_id[TRUST_ID_BYTES], id[TRUST_ID_BYTES];
    char name[64], path[KEYS_PATH_MAX];
    int rc, had_old = 0;

    if ((rc = keys_read_trust(dir, &t, err)) < 0)
        goto out;
    if ((old = trust_list_active(&t)) != NULL) {
        old->status = TRUST_VERIFY;
        memcpy(old_id, old->id, TRUST_ID_BYTES);
        had_old = 1;
    }
    if ((rc = keys_sign_create(dir, now, TRUST_ACTIVE, &t, id, err)) < 0)
        goto out;
    if ((rc = keys_write_trust(dir, &t, err)) < 0)
        goto out;
    if (new_id != NULL)
        memcpy(new_id, id, TRUST_ID_BYTES);
    if (had_old) {
        /* The old key never signs again: its seed goes. */
        keys_sign_name(old_id, name, sizeof(name));
        if (keys_path(path, sizeof(path), dir, name) == 0 && unlink(path) < 0 && errno != ENOENT)
            kp_buf_printf(err, "keys: %s: cannot delete: %s\n", path, strerror(errno));
        keys_fsync_dir(dir);
    }
out:
    trust_list_free(&t);
    return rc;
}

int keys_dir_retire(const char *dir, const uint8_t id[TRUST_ID_BYTES], struct kp_buf *err)
{
    struct trust_list t = TRUST_LIST_INIT;
    struct trust_key *k;
    char hex[TRUST_ID_HEX];
    int rc;

    if ((rc = keys_read_trust(dir, &t, err)) < 0)
        goto out;
    trust_id_hex(id, hex);
    if ((k = trust_list_find(&t, id)) == NULL) {
        kp_buf_printf(err, "keys: no signing key %s\n", hex);
        rc = -KP_ERR_NOTFOUND;
    } else if (k->status == TRUST_ACTIVE) {
        kp_buf_printf(err, "keys: %s is the active key; rotate first\n", hex);
        rc = -KP_ERR_STATE;
    } else if (k->status == TRUST_VERIFY) {
        k->status = TRUST_RETIRED;
        rc = keys_write_trust(dir, &t, err);
    }
out:
    trust_list_free(&t);
    return rc;
}

int keys_dir_list(const char *dir, struct trust_list *out, struct kp_buf *err)
{
    return keys_read_trust(dir, out, err);
}

int keys_dir_export(const char *dir, struct kp_buf *out, struct kp_buf *err)
{
    struct trust_list t = TRUST_LIST_INIT;
    int rc = keys_read_trust(dir, &t, err);

    if (rc == 0)
        trust_list_format(&t, out);
    trust_list_free(&t);
    return rc;
}

int keys_dir_check(const char *dir, struct kp_buf *err)
{
    struct dirent *e;
    struct stat sb;
    char path[KEYS_PATH_MAX];
    DIR *dp;
    int rc;

    if ((rc = keys_folder_check(dir, err)) < 0)
        return rc;
    if ((dp = opendir(dir)) == NULL) {
        kp_buf_printf(err, "keys: %s: %s\n", dir, strerror(errno));
        return keys_errno(errno);
    }
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, KEYS_TRUST) == 0 ||
            keys_path(path, sizeof(path), dir, e->d_name) < 0 || lstat(path, &sb) < 0)
            continue;
        if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
            kp_buf_printf(err,
                          "keys: %s: mode %04o lets group or others read it; it must be 0600\n",
                          path, (unsigned)(sb.st_mode & 07777));
            rc = -KP_ERR_DENIED;
        }
    }
    closedir(dp);
    return rc;
}

int keys_secret_load(const char *dir, const char *name, uint8_t **key, struct kp_buf *err)
{
    uint8_t *k = sodium_malloc(KEYS_SYM_BYTES);
    int rc;

    *key = NULL;
    if (k == NULL)
        return -KP_ERR_NOMEM;
    rc = keys_read_secret(dir, name, k, KEYS_SYM_BYTES, err);
    if (rc == -KP_ERR_NOTFOUND)
        kp_buf_puts(err, "keys: `kpass init` creates the missing keys\n");
    if (rc < 0) {
        sodium_free(k);
        return rc;
    }
    sodium_mprotect_readonly(k);
    *key = k;
    return 0;
}

void keys_secret_free(uint8_t *key)
{
    if (key != NULL)
        sodium_free(key);
}

int keys_seal(const uint8_t key[KEYS_SYM_BYTES], const char *secret, struct kp_buf *out)
{
    uint8_t pad[KEYS_SEAL_PAD], raw[KEYS_SEAL_RAW];
    char hex[KEYS_SEAL_HEX_LEN + 1];
    size_t len = strlen(secret), padded = 0;

    if (len > KEYS_SEAL_MAX)
        return -KP_ERR_TOOLONG;
    /* ISO/IEC 7816-4 padding to one 64-octet block hides the length. */
    memcpy(pad, secret, len);
    sodium_pad(&padded, pad, len, KEYS_SEAL_PAD, sizeof(pad));
    randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, pad, padded, raw, key);
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    kp_buf_append(out, hex, KEYS_SEAL_HEX_LEN);
    sodium_memzero(pad, sizeof(pad));
    return 0;
}

int keys_unseal(const uint8_t key[KEYS_SYM_BYTES], const char *hex, char *out, size_t cap)
{
    uint8_t raw[KEYS_SEAL_RAW], pad[KEYS_SEAL_PAD];
    size_t got = 0, len = 0;
    const char *end = NULL;
    int rc = 0;

    if (strlen(hex) != KEYS_SEAL_HEX_LEN ||
        sodium_hex2bin(raw, sizeof(raw), hex, KEYS_SEAL_HEX_LEN, NULL, &got, &end) != 0 ||
        got != sizeof(raw) || end != hex + KEYS_SEAL_HEX_LEN)
        return -KP_ERR_PARSE;
    if (crypto_secretbox_open_easy(pad, raw + crypto_secretbox_NONCEBYTES,
                                   sizeof(raw) - crypto_secretbox_NONCEBYTES, raw, key) != 0)
        return -KP_ERR_CRYPTO;
    if (sodium_unpad(&len, pad, sizeof(pad), KEYS_SEAL_PAD) != 0)
        rc = -KP_ERR_PARSE;
    else if (len + 1 > cap)
        rc = -KP_ERR_TOOLONG;
    else {
        memcpy(out, pad, len);
        out[len] = '\0';
        rc = (int)len;
    }
    sodium_memzero(pad, sizeof(pad));
    return rc;
}
