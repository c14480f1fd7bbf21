/* SPDX-License-Identifier: ISC */
/*
 * kpass qr: QR credentials (DESIGN.md §7, doc/kp1-token.md).
 *
 *   kpass qr issue CNIC [--days N] [--png FILE] [--terminal] [--invert]
 *       sign a new KP1 token for an active citizen with the active key,
 *       record it (credential.issued), print it, and draw it as a PNG
 *       and/or on the terminal;
 *   kpass qr verify TOKEN|- [--at TIME]
 *   kpass qr verify --image FILE [--at TIME]
 *       the verdict: valid, or exactly why not; exit 0 only when valid.
 *       "-" reads the token as a line from standard input (as a handheld
 *       scanner types it); --image reads it from a PNG (needs libzbar);
 *       --at verifies as of another time (Unix seconds or ISO 8601 UTC);
 *   kpass qr revoke SERIAL [--reason TEXT]   (credential.revoked)
 *   kpass qr resume SERIAL                   lift a suspension its citizen made
 *                                            (credential.resumed), after an
 *                                            in-person check
 *   kpass qr list CNIC                       serials, status, expiry
 *
 * Output never shows a full CNIC: citizens appear masked
 * ("*****-****567-1"); the token itself carries only the last 4 digits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../cli.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"
#include "kpass/id/qr.h"
#include "kpass/store/audit.h"
#include "kpass/store/credential.h"
#include "kpass/verify/credential.h"

#define QR_ACTOR        cli_actor()
#define QR_DAYS_DEFAULT 365
#define QR_DAYS_MAX     3650       /* ten years, as long as a CNIC card is valid */
#define QR_IMAGE_MAX    (16 << 20) /* octets: larger "PNG" files are refused */
#define QR_LINE_MAX     1024       /* a token typed on standard input */

static const char qr_usage_text[] =
    "kpass qr issue CNIC [--days N] [--png FILE] [--terminal] [--invert]\n"
    "       kpass qr verify TOKEN|- [--at TIME]\n"
    "       kpass qr verify --image FILE [--at TIME]\n"
    "       kpass qr revoke SERIAL [--reason TEXT]\n"
    "       kpass qr resume SERIAL\n"
    "       kpass qr list CNIC";

enum qr_opt {
    OPT_DAYS = 1000,
    OPT_PNG,
    OPT_TERMINAL,
    OPT_INVERT,
    OPT_IMAGE,
    OPT_AT,
    OPT_REASON,
};

static const struct option qr_opts[] = {
    {"days", required_argument, NULL, OPT_DAYS},     {"png", required_argument, NULL, OPT_PNG},
    {"terminal", no_argument, NULL, OPT_TERMINAL},   {"invert", no_argument, NULL, OPT_INVERT},
    {"image", required_argument, NULL, OPT_IMAGE},   {"at", required_argument, NULL, OPT_AT},
    {"reason", required_argument, NULL, OPT_REASON}, {NULL, 0, NULL, 0},
};

#define QR_ALLOW(o) (1u << ((o)-OPT_DAYS))

struct qr_args {
    unsigned long days;
    const char *png, *image, *reason;
    int terminal, invert, at_given;
    int64_t at;
    const char *pos[2]; /* positional arguments after the verb */
    int npos;
};

/* One option into a.  0, or an exit status after reporting. */
static int qr_opt(struct qr_args *a, int ch, const char *v)
{
    char *end;

    switch (ch) {
    case OPT_DAYS:
        a->days = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end != '\0' || a->days < 1 || a->days > QR_DAYS_MAX)
            return cli_fail("--days: a number from 1 to %d", QR_DAYS_MAX);
        return 0;
    case OPT_PNG:
        a->png = v;
        return 0;
    case OPT_TERMINAL:
        a->terminal = 1;
        return 0;
    case OPT_INVERT:
        a->invert = 1;
        return 0;
    case OPT_IMAGE:
        a->image = v;
        return 0;
    case OPT_AT:
        a->at_given = 1;
        if (cli_time_parse(v, 0, 0, &a->at) < 0)
            return cli_fail("--at: Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        return 0;
    case OPT_REASON:
        if (strlen(v) > STORE_CREDENTIAL_REASON_MAX)
            return cli_fail("--reason: at most %d characters", STORE_CREDENTIAL_REASON_MAX);
        if (store_audit_detail_check(v) < 0)
            return cli_fail("--reason: refused: the audit log takes no control characters, "
                            "full CNICs, full numbers or codes");
        a->reason = v;
        return 0;
    default:
        return cli_usage(qr_usage_text);
    }
}

/*
 * Parse argv[1..] (argv[0] is the verb), options in allowed, and between
 * min and max positional arguments (permuted freely with the options).
 * 0, or an exit status after reporting.
 */
static int qr_parse(struct qr_args *a, unsigned allowed, int min, int max, int argc, char **argv)
{
    int ch, rc;

    memset(a, 0, sizeof(*a));
    a->days = QR_DAYS_DEFAULT;
    /* 0, not 1: glibc re-reads the optstring's leading '-' (positional
       arguments returned in place, so "-" itself is one) only then. */
    optind = 0;
    while ((ch = getopt_long(argc, argv, "-", qr_opts, NULL)) != -1) {
        if (ch == 1) {
            if (a->npos == max)
                return cli_usage(qr_usage_text);
            a->pos[a->npos++] = optarg;
            continue;
        }
        if (ch < OPT_DAYS || !(allowed & QR_ALLOW(ch)))
            return cli_usage(qr_usage_text);
        if ((rc = qr_opt(a, ch, optarg)) != 0)
            return rc;
    }
    for (; optind < argc; optind++) { /* after "--" */
        if (a->npos == max)
            return cli_usage(qr_usage_text);
        a->pos[a->npos++] = argv[optind];
    }
    return a->npos < min ? cli_usage(qr_usage_text) : 0;
}

/* The citizen with the CNIC in arg; mask gets the masked CNIC.  0, or 1 after reporting. */
static int qr_citizen(struct kp_cli *cli, const char *arg, struct store_citizen *c,
                      char mask[CNIC_TEXT_SIZE])
{
    char cnic[CNIC_SIZE];
    enum cnic_fault cf;
    int rc;

    if (cnic_parse(arg, strlen(arg), cnic, &cf) < 0)
        return cli_fail("CNIC: %s", cnic_fault_text(cf));
    cnic_mask(cnic, mask);
    if (cli_store_keys(cli) < 0) {
        sodium_memzero(cnic, sizeof(cnic));
        return 1;
    }
    rc = registry_citizen_get(cli->reg, cnic, c);
    sodium_memzero(cnic, sizeof(cnic));
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no citizen with CNIC %s", mask);
    if (rc < 0)
        return cli_fail("cannot read the registry: %s", kp_strerror(rc));
    return 0;
}

/* The key folder's ring (with the active signer when signer).  NULL after reporting. */
static struct keys_ring *qr_ring(struct kp_cli *cli, int signer)
{
    struct kp_buf err = KP_BUF_INIT;
    struct keys_ring *ring = NULL;
    int rc;

    if (cli_config(cli) < 0)
        return NULL;
    if ((rc = keys_ring_open(cli->cfg.keys_dir, signer, &ring, &err)) < 0) {
        if (err.len > 0)
            fputs(err.data, stderr);
        cli_fail("cannot load the signing keys: %s", kp_strerror(rc));
    }
    kp_buf_free(&err);
    return ring;
}

/* Write data to a new temporary file next to path; its name goes to tmp.  0 or -errno. */
static int qr_file_stage(const char *path, const struct kp_buf *data, char *tmp, size_t size)
{
    const char *p = data->data;
    size_t left = data->len;
    int fd, rc = 0;

    if ((size_t)snprintf(tmp, size, "%s.XXXXXX", path) >= size) {
        tmp[0] = '\0';
        return -ENAMETOOLONG;
    }
    if ((fd = mkstemp(tmp)) < 0) {
        tmp[0] = '\0';
        return -errno;
    }
    if (fchmod(fd, 0644) < 0)
        rc = -errno;
    while (rc == 0 && left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = w < 0 ? -errno : -EIO;
        else {
            p += w;
            left -= (size_t)w;
        }
    }
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        tmp[0] = '\0';
    }
    return rc;
}

/* ---- issue ---- */

/* Sign a new token for citizen c (serial, last 4, issued now, days).  0, or 1 after reporting. */
static int qr_issue_sign(const struct keys_signer *signer, const struct store_citizen *c,
                         unsigned days, int64_t now, struct kp1_token *t, char text[KP1_TEXT_SIZE])
{
    int rc;

    memset(t, 0, sizeof(*t));
    if (now < 0 || now > (int64_t)UINT32_MAX)
        return cli_fail("the clock is outside the token's range (1970 to 2106)");
    kp1_serial_generate(t->serial);
    if (cnic_last4_parse(c->last4, strlen(c->last4), t->cnic_last4) < 0)
        return cli_fail("the registry's record of this citizen is damaged (last 4 digits)");
    t->issued_at = (uint32_t)now;
    t->valid_days = (uint16_t)days;
    if ((rc = kp1_encode(signer, t, text)) < 0)
        return cli_fail("cannot sign the token: %s", kp_strerror(rc));
    return 0;
}

/* The QR drawings the options ask for: the PNG staged next to its path, the terminal text. */
static int qr_issue_draw(const struct qr_args *a, const char *text, struct qr_code **q,
                         struct kp_buf *draw, char *tmp, size_t tmpsize)
{
    struct kp_buf png = KP_BUF_INIT;
    int rc;

    if ((rc = qr_encode(text, KP1_TEXT_LEN, QR_KP1_VERSION, q)) < 0)
        return cli_fail("cannot draw the QR code: %s", kp_strerror(rc));
    if (a->terminal)
        qr_terminal(*q, a->invert, draw);
    if (a->png == NULL)
        return 0;
    if ((rc = qr_png(*q, QR_PNG_SCALE, &png)) == 0)
        rc = qr_file_stage(a->png, &png, tmp, tmpsize);
    kp_buf_free(&png);
    if (rc < 0)
        return cli_fail("cannot write %s: %s", a->png, kp_strerror(rc));
    return 0;
}

static void qr_issue_print(const struct qr_args *a, const struct store_citizen *c, const char *mask,
                           const struct kp1_token *t, const char *text, const struct qr_code *q,
                           const struct kp_buf *draw)
{
    char serial[STORE_CREDENTIAL_SERIAL_TEXT], key[TRUST_ID_HEX], when[CLI_TIME_SIZE];
    int px = (q->width + 2 * QR_QUIET) * QR_PNG_SCALE;

    store_credential_serial_text(t->serial, serial);
    trust_id_hex(t->key_id, key);
    printf("credential %s issued to citizen %s (%s)\n", serial, mask, c->name_en);
    printf("key:       %s\n", key);
    printf("issued:    %s\n", cli_time(t->issued_at, when));
    printf("expires:   %s (%u day%s)\n", cli_time(kp1_expires_at(t), when), (unsigned)t->valid_days,
           t->valid_days == 1 ? "" : "s");
    if (a->png)
        printf("png:       %s (%dx%d pixels, QR version %d-M)\n", a->png, px, px, q->version);
    printf("%s\n", text);
    if (a->terminal)
        fwrite(draw->data, 1, draw->len, stdout);
}

static int qr_issue(struct kp_cli *cli, int argc, char **argv)
{
    struct qr_args a;
    struct store_citizen c;
    struct store_credential cred;
    struct keys_ring *ring = NULL;
    struct qr_code *q = NULL;
    struct kp1_token t;
    struct kp_buf draw = KP_BUF_INIT;
    char mask[CNIC_TEXT_SIZE], text[KP1_TEXT_SIZE], tmp[4096] = "";
    int64_t now = kp_time_s();
    int rc, status = 1;

    if ((rc = qr_parse(&a,
                       QR_ALLOW(OPT_DAYS) | QR_ALLOW(OPT_PNG) | QR_ALLOW(OPT_TERMINAL) |
                           QR_ALLOW(OPT_INVERT),
                       1, 1, argc, argv)) != 0)
        return rc;
    if (a.invert && !a.terminal)
        return cli_fail("--invert goes with --terminal");
    if (qr_citizen(cli, a.pos[0], &c, mask) != 0)
        return 1;
    if (c.status != STORE_CITIZEN_ACTIVE)
        return cli_fail("citizen %s is %s: no credential is issued", mask,
                        store_citizen_status_name(c.status));
    if ((ring = qr_ring(cli, 1)) == NULL ||
        qr_issue_sign(keys_ring_signer(ring), &c, (unsigned)a.days, now, &t, text) != 0 ||
        qr_issue_draw(&a, text, &q, &draw, tmp, sizeof(tmp)) != 0)
        goto out;
    store_credential_from_token(&t, c.id, &cred);
    if ((rc = verify_credential_issue(cli->st, &cred, QR_ACTOR, now)) < 0) {
        cli_fail(rc == -KP_ERR_DENIED ? "citizen %s is no longer active: no credential is issued"
                                      : "cannot record the credential of citizen %s",
                 mask);
        goto out;
    }
    if (tmp[0] && rename(tmp, a.png) < 0) {
        /* Issued all the same: the token is printed below. */
        cli_fail("the credential is issued, but %s could not be written: %s", a.png,
                 strerror(errno));
        a.png = NULL;
    } else {
        tmp[0] = '\0';
        status = 0;
    }
    qr_issue_print(&a, &c, mask, &t, text, q, &draw);
out:
    if (tmp[0])
        unlink(tmp);
    kp_buf_free(&draw);
    qr_free(q);
    keys_ring_free(ring);
    return status;
}

/* ---- verify ---- */

/* Read at most max octets of path into out.  0, or 1 after reporting. */
static int qr_file_read(const char *path, size_t max, struct kp_buf *out)
{
    int rc = kp_buf_read_file(out, path, max);

    if (rc == -KP_ERR_TOOLONG)
        return cli_fail("%s: too large for an image of a QR code", path);
    if (rc < 0)
        return cli_fail("cannot read %s: %s", path, strerror(-rc));
    return 0;
}

/* The token text from the image, standard input or the argument, into tok.  0 or an exit status. */
static int qr_verify_input(const struct qr_args *a, struct kp_buf *tok)
{
    struct kp_buf img = KP_BUF_INIT;
    char line[QR_LINE_MAX];
    int rc;

    if (a->image == NULL && a->npos == 0)
        return cli_usage(qr_usage_text);
    if (a->image != NULL && a->npos > 0)
        return cli_fail("a token or --image, not both");
    if (a->image == NULL && strcmp(a->pos[0], "-") != 0) {
        kp_buf_puts(tok, a->pos[0]);
        return 0;
    }
    if (a->image == NULL) {
        if (fgets(line, sizeof(line), stdin) == NULL)
            return cli_fail("no token on standard input");
        kp_buf_puts(tok, line);
        return 0;
    }
    if (!qr_can_decode()) {
        fprintf(stderr, "kpass: this kpass was built without libzbar, so --image cannot read "
                        "QR codes; give the token's text instead\n");
        return 2;
    }
    if (qr_file_read(a->image, QR_IMAGE_MAX, &img) != 0)
        return 1;
    rc = qr_png_decode((const uint8_t *)img.data, img.len, tok);
    kp_buf_free(&img);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("%s: no QR code found in the image", a->image);
    if (rc < 0)
        return cli_fail("%s: not a readable PNG image (%s)", a->image, kp_strerror(rc));
    return 0;
}

/* Drop CR, LF, spaces and tabs at both ends (a token never begins or ends with one). */
static void qr_trim(struct kp_buf *b)
{
    size_t start = 0;

    if (b->data == NULL)
        return;
    while (b->len > 0 && strchr("\r\n \t", b->data[b->len - 1]) != NULL && b->data[b->len - 1])
        b->data[--b->len] = '\0';
    while (start < b->len && strchr("\r\n \t", b->data[start]) != NULL && b->data[start])
        start++;
    memmove(b->data, b->data + start, b->len - start + 1);
    b->len -= start;
}

static void qr_verify_print(const struct verify_credential_result *r, const struct keys_ring *ring)
{
    char serial[STORE_CREDENTIAL_SERIAL_TEXT], key[TRUST_ID_HEX], when[CLI_TIME_SIZE];
    char mask[CNIC_TEXT_SIZE], last4[5];
    const struct trust_key *k;

    if (r->verdict == VERIFY_CREDENTIAL_VALID)
        printf("verdict:   valid\n");
    else if (r->verdict == VERIFY_CREDENTIAL_FORMAT)
        printf("verdict:   refused: format (%s)\n", kp1_strerror(r->kp1_rc));
    else
        printf("verdict:   refused: %s (%s)\n", verify_credential_verdict_name(r->verdict),
               verify_credential_verdict_text(r->verdict));
    if (!r->decoded)
        return;
    trust_id_hex(r->token.key_id, key);
    k = trust_list_find(&ring->trust, r->token.key_id);
    printf("key:       %s (%s)\n", key, k ? trust_status_name(k->status) : "not in the trust list");
    /* Nothing else of a token whose signature was not (or could not be) checked. */
    if (r->verdict == VERIFY_CREDENTIAL_SIGNATURE || r->verdict == VERIFY_CREDENTIAL_UNKNOWN_KEY ||
        r->verdict == VERIFY_CREDENTIAL_RETIRED_KEY)
        return;
    store_credential_serial_text(r->token.serial, serial);
    printf("serial:    %s\n", serial);
    if (r->found) {
        store_citizen_mask(&r->citizen, mask);
        printf("citizen:   %s %s (%s)\n", mask, r->citizen.name_en,
               store_citizen_status_name(r->citizen.status));
    } else if (cnic_last4_text(r->token.cnic_last4, last4) == 0) {
        printf("last 4:    %s (the CNIC's last 4 digits in the token)\n", last4);
    }
    printf("issued:    %s\n", cli_time(r->token.issued_at, when));
    printf("expires:   %s\n", cli_time(kp1_expires_at(&r->token), when));
    if (r->found && r->cred.revoked)
        printf("revoked:   %s%s%s\n", cli_time(r->cred.revoked_at, when),
               r->cred.revoke_reason[0] ? ": " : "", r->cred.revoke_reason);
    if (r->found && r->cred.suspended && !r->cred.revoked)
        printf("suspended: %s (by its citizen; kpass qr resume lifts it)\n",
               cli_time(r->cred.suspended_at, when));
}

static int qr_verify(struct kp_cli *cli, int argc, char **argv)
{
    struct verify_credential_result r;
    struct keys_ring *ring = NULL;
    struct kp_buf tok = KP_BUF_INIT;
    struct qr_args a;
    int rc, status = 1;

    if ((rc = qr_parse(&a, QR_ALLOW(OPT_IMAGE) | QR_ALLOW(OPT_AT), 0, 1, argc, argv)) != 0)
        return rc;
    if ((rc = qr_verify_input(&a, &tok)) != 0) {
        kp_buf_free(&tok);
        return rc;
    }
    qr_trim(&tok);
    if ((ring = qr_ring(cli, 0)) == NULL || cli_store(cli) < 0)
        goto out;
    rc = verify_credential_verify(cli->st, tok.data, tok.len, keys_ring_lookup, ring,
                                  a.at_given ? a.at : kp_time_s(), &r);
    if (rc < 0) {
        cli_fail("cannot read the credentials: %s", kp_strerror(rc));
        goto out;
    }
    qr_verify_print(&r, ring);
    status = r.verdict == VERIFY_CREDENTIAL_VALID ? 0 : 1;
out:
    kp_buf_free(&tok);
    keys_ring_free(ring);
    return status;
}

/* ---- revoke, list ---- */

static int qr_revoke(struct kp_cli *cli, int argc, char **argv)
{
    struct store_credential c;
    uint8_t serial[KP1_SERIAL_BYTES];
    char text[STORE_CREDENTIAL_SERIAL_TEXT], when[CLI_TIME_SIZE], done[64];
    struct qr_args a;
    int rc;

    if ((rc = qr_parse(&a, QR_ALLOW(OPT_REASON), 1, 1, argc, argv)) != 0)
        return rc;
    if (store_credential_serial_parse(a.pos[0], serial) < 0)
        return cli_fail("a serial is 24 hex digits (as kpass qr list shows it)");
    store_credential_serial_text(serial, text);
    if (cli_store_keys(cli) < 0)
        return 1;
    rc = verify_credential_revoke(cli->st, serial, a.reason, QR_ACTOR, kp_time_s());
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no credential %s", text);
    if (rc < 0)
        return cli_fail("cannot revoke credential %s: %s", text, kp_strerror(rc));
    if (rc == 0 && store_credential_get(cli->st, serial, &c) == 0) {
        printf("credential %s was already revoked (%s)\n", text, cli_time(c.revoked_at, when));
        return 0;
    }
    snprintf(done, sizeof(done), "credential %s revoked", text);
    cli_change_report(cli, done, "every scan and every verification under way refuses it");
    return 0;
}

/* Lift a suspension (issue 15): the operator has checked the holder in person. */
static int qr_resume(struct kp_cli *cli, int argc, char **argv)
{
    uint8_t serial[KP1_SERIAL_BYTES];
    char text[STORE_CREDENTIAL_SERIAL_TEXT], done[64];
    struct qr_args a;
    int rc;

    if ((rc = qr_parse(&a, 0, 1, 1, argc, argv)) != 0)
        return rc;
    if (store_credential_serial_parse(a.pos[0], serial) < 0)
        return cli_fail("a serial is 24 hex digits (as kpass qr list shows it)");
    store_credential_serial_text(serial, text);
    if (cli_store_keys(cli) < 0)
        return 1;
    rc = verify_credential_resume(cli->st, serial, "checked in person", QR_ACTOR, kp_time_s());
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no credential %s", text);
    if (rc < 0)
        return cli_fail("cannot resume credential %s: %s", text, kp_strerror(rc));
    if (rc == 0)
        return cli_fail("credential %s is not suspended (a revoked one is never resumed)", text);
    snprintf(done, sizeof(done), "credential %s resumed", text);
    cli_change_report(cli, done, "scans accept it again");
    return 0;
}

static int qr_list(struct kp_cli *cli, int argc, char **argv)
{
    struct store_credential *v = NULL;
    struct store_citizen c;
    struct keys_ring *ring;
    struct qr_args a;
    char mask[CNIC_TEXT_SIZE];
    int64_t now = kp_time_s();
    int rc, n;

    if ((rc = qr_parse(&a, 0, 1, 1, argc, argv)) != 0)
        return rc;
    if (qr_citizen(cli, a.pos[0], &c, mask) != 0 || (ring = qr_ring(cli, 0)) == NULL)
        return 1;
    if ((n = store_credential_list(cli->st, c.id, &v)) < 0) {
        keys_ring_free(ring);
        return cli_fail("cannot read the credentials");
    }
    printf("citizen %s (%s, %s): %d credential%s\n", mask, c.name_en,
           store_citizen_status_name(c.status), n, n == 1 ? "" : "s");
    if (n > 0)
        printf("%-26s  %-13s  %-20s  %-20s  %s\n", "SERIAL", "STATUS", "ISSUED", "EXPIRES", "KEY");
    for (int i = 0; i < n; i++) {
        const struct trust_key *k = trust_list_find(&ring->trust, v[i].key_id);
        char serial[STORE_CREDENTIAL_SERIAL_TEXT], key[TRUST_ID_HEX];
        char issued[CLI_TIME_SIZE], expires[CLI_TIME_SIZE];
        const char *status = store_credential_status(&v[i], now);

        /* A token of a retired or unknown key is refused whatever its record says. */
        if (!v[i].revoked && !v[i].suspended && (k == NULL || k->status == TRUST_RETIRED))
            status = k == NULL ? "unknown key" : "retired key";
        store_credential_serial_text(v[i].serial, serial);
        trust_id_hex(v[i].key_id, key);
        printf("%-26s  %-13s  %-20s  %-20s  %s\n", serial, status, cli_time(v[i].issued_at, issued),
               cli_time(v[i].expires_at, expires), key);
    }
    free(v);
    keys_ring_free(ring);
    return 0;
}

int cmd_qr(struct kp_cli *cli, int argc, char **argv)
{
    const char *verb = argc >= 2 ? argv[1] : "";

    if (strcmp(verb, "issue") == 0)
        return qr_issue(cli, argc - 1, argv + 1);
    if (strcmp(verb, "verify") == 0)
        return qr_verify(cli, argc - 1, argv + 1);
    if (strcmp(verb, "revoke") == 0)
        return qr_revoke(cli, argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0)
        return qr_list(cli, argc - 1, argv + 1);
    if (strcmp(verb, "resume") == 0)
        return qr_resume(cli, argc - 1, argv + 1);
    return cli_usage(qr_usage_text);
}
