/* SPDX-License-Identifier: ISC */
/*
 * The key folder (kpassd.conf [daemon] keys): secrets on disk and in
 * memory.  Layout (doc/kp1-token.md, "Key folder"):
 *
 *   keys/                 mode 0700
 *     otp.key             32 random octets: one-time code hashes   (0600)
 *     cnic.key            32 random octets: the CNIC index          (0600)
 *     partner.key         32 random octets: crypto_secretbox key for
 *                         client-mode SMPP passwords               (0600)
 *     audit.key           32 random octets: the audit log's keyed
 *                         hash chain (audit/audit.h)               (0600)
 *     sign-<id>.key       32-octet Ed25519 seed of the active key  (0600)
 *     trust.list          the trust list (see trust.h)             (0644)
 *
 * Secret files are created with O_EXCL and mode 0600 from the start
 * (written under a temporary name, then linked into place), never
 * chmod'ed, and refused on load when group or others may read or write
 * them.  Loaded secrets live in sodium_malloc() memory, read-only, and are
 * wiped when freed.
 *
 * Only the active signing key keeps its secret: rotating makes a new
 * active key and deletes the previous key's seed (its public key stays in
 * the trust list with status "verify" until it is retired).
 *
 * These functions touch the file system; they never log.  Each reports
 * problems as lines in err ("keys: <path>: reason") and returns a negative
 * kp_err value.  The functions that create keys take the time as `now`.
 */
#ifndef KPASS_KEYS_H
#define KPASS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "kpass/core/buf.h"
#include "kpass/id/trust.h"

#define KEYS_SYM_BYTES  32 /* crypto_generichash_KEYBYTES == crypto_secretbox_KEYBYTES */
#define KEYS_SEED_BYTES 32 /* crypto_sign_SEEDBYTES */
#define KEYS_SK_BYTES   64 /* crypto_sign_SECRETKEYBYTES */
#define KEYS_SIG_BYTES  64 /* crypto_sign_BYTES */

#define KEYS_OTP     "otp.key"
#define KEYS_CNIC    "cnic.key"
#define KEYS_PARTNER "partner.key"
#define KEYS_AUDIT   "audit.key"
#define KEYS_TRUST   "trust.list"

/* Longest secret keys_seal() takes (SMPP passwords are at most 8, SMPP 3.4 §4.1.1). */
#define KEYS_SEAL_MAX 63
/* Length of keys_seal()'s hex text: 2 * (24 nonce + 64 padded + 16 MAC). */
#define KEYS_SEAL_HEX_LEN 208

/* An Ed25519 signing key. */
struct keys_signer {
    uint8_t id[TRUST_ID_BYTES];
    uint8_t pk[TRUST_PK_BYTES];
    uint8_t *sk; /* KEYS_SK_BYTES in sodium_malloc() memory, read-only; NULL: none */
};

/*
 * The key pair for a 32-octet seed (crypto_sign_seed_keypair), its id
 * (trust_key_id).  0 or -KP_ERR_NOMEM.  Free with keys_signer_clear().
 */
int keys_signer_from_seed(struct keys_signer *s, const uint8_t seed[KEYS_SEED_BYTES]);

/* Wipe and free s->sk; s is zeroed.  A cleared signer is a no-op. */
void keys_signer_clear(struct keys_signer *s);
/* Add s's public key to t with status.  0, or trust_list_add()'s error. */
int keys_signer_trust(const struct keys_signer *s, enum trust_status status, struct trust_list *t);

/*
 * Sign tag || msg (Ed25519, crypto_sign_detached) with s.  The domain tag
 * keeps a token signature from ever passing as a receipt signature.
 * 0, or -KP_ERR_STATE when s has no secret.
 */
int keys_signer_sign(const struct keys_signer *s, const void *tag, size_t taglen,
                     const uint8_t *msg, size_t len, uint8_t sig[KEYS_SIG_BYTES]);

/* What a daemon or verifier loads: the trust list and, maybe, the active signer. */
struct keys_ring {
    struct trust_list trust;
    struct keys_signer signer; /* signer.sk is NULL when opened without it */
};

/*
 * Open the folder dir: check its mode, read trust.list and, when
 * with_signer, the active key's seed (checked against the trust list).
 * On success *out is a new ring owned by the caller (keys_ring_free).
 * -KP_ERR_NOTFOUND (missing files; run `kpass init`), -KP_ERR_DENIED (bad
 * modes), -KP_ERR_PARSE (bad trust.list), -KP_ERR_CRYPTO (seed and trust
 * list disagree), -KP_ERR_IO / -errno.
 */
int keys_ring_open(const char *dir, int with_signer, struct keys_ring **out, struct kp_buf *err);

/* Free a ring and wipe its secret.  NULL is a no-op. */
void keys_ring_free(struct keys_ring *r);

/* The active signer, or NULL when the ring was opened without it. */
const struct keys_signer *keys_ring_signer(const struct keys_ring *r);

/* trust_lookup_fn over a struct keys_ring (ctx). */
int keys_ring_lookup(void *ctx, const uint8_t id[TRUST_ID_BYTES], uint8_t pk[TRUST_PK_BYTES]);

/*
 * Create dir (0700) and whatever keys are missing: otp.key, cnic.key,
 * partner.key, audit.key, and a first active signing key with trust.list.  Existing
 * files are checked, never replaced, so running it again is harmless.
 * Returns the number of files created (0: all were there) or an error.
 */
int keys_dir_init(const char *dir, int64_t now, struct kp_buf *err);

/*
 * Make a new active signing key (created = now); the previous active key
 * becomes "verify" and its seed is deleted.  The new id goes to new_id
 * (may be NULL).  0 or an error.
 */
int keys_dir_rotate(const char *dir, int64_t now, uint8_t new_id[TRUST_ID_BYTES],
                    struct kp_buf *err);

/*
 * Retire a "verify" key: tokens and receipts it signed are refused from
 * now on.  Retiring a retired key is a no-op.  -KP_ERR_NOTFOUND (unknown
 * id), -KP_ERR_STATE (the active key: rotate first).
 */
int keys_dir_retire(const char *dir, const uint8_t id[TRUST_ID_BYTES], struct kp_buf *err);

/* Read dir's trust list into *out (appending; free with trust_list_free). */
int keys_dir_list(const char *dir, struct trust_list *out, struct kp_buf *err);

/* Append dir's trust list as text to out (what `kpass keys export` prints). */
int keys_dir_export(const char *dir, struct kp_buf *out, struct kp_buf *err);

/*
 * Load the 32-octet secret file name (KEYS_OTP, KEYS_CNIC, KEYS_PARTNER, KEYS_AUDIT)
 * from dir into new sodium_malloc() memory, read-only, at *key; the caller
 * frees it with keys_secret_free().  Refused (-KP_ERR_DENIED, with the
 * reason in err) when the file may be read or written by group or others,
 * is not a regular file, or the folder is writable by group or others.
 */
int keys_secret_load(const char *dir, const char *name, uint8_t **key, struct kp_buf *err);

/*
 * Check the whole key folder before the daemon starts: the folder 0700 (no
 * group or other bits) and every file in it but trust.list (public keys)
 * closed to group and others, not just the files this run happens to load
 * (a retired signing key left 0644 is still a key).  Every fault is listed
 * in err.  0 or -KP_ERR_DENIED (or the folder's error).
 */
int keys_dir_check(const char *dir, struct kp_buf *err);

/* Wipe and free a key from keys_secret_load().  NULL is a no-op. */
void keys_secret_free(uint8_t *key);

/*
 * Encrypt a short secret (a partner's SMPP password, at most
 * KEYS_SEAL_MAX octets) with partner.key for the database:
 * hex(nonce || crypto_secretbox_easy(padded secret)), always
 * KEYS_SEAL_HEX_LEN characters (the secret is padded to 64 octets so its
 * length does not show).  Appends to out.  0 or -KP_ERR_TOOLONG.
 */
int keys_seal(const uint8_t key[KEYS_SYM_BYTES], const char *secret, struct kp_buf *out);

/*
 * Decrypt keys_seal()'s text into out (cap octets, NUL-terminated; the
 * caller wipes it).  Returns the secret's length, -KP_ERR_PARSE (not our
 * format), -KP_ERR_CRYPTO (wrong key or altered), -KP_ERR_TOOLONG (cap).
 */
int keys_unseal(const uint8_t key[KEYS_SYM_BYTES], const char *hex, char *out, size_t cap);

#endif
