/* SPDX-License-Identifier: ISC */
/*
 * bench_http issue: the setup's credentials.  For every citizen of a CSV
 * in the `kpass import citizens` format, a KP1 token signed with the
 * active key and recorded as `kpass qr issue` does (kp1_encode, then
 * verify_credential_issue with its credential.issued audit row), all in one
 * transaction; the output file gets "E164<TAB>KP1:..." per citizen.  A
 * scratch file for a benchmark: it holds full (fictitious) numbers.
 */
#include <stdio.h>
#include <string.h>

#include "bench_http.h"
#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/core/buf.h"
#include "kpass/core/clock.h"
#include "kpass/id/cnic.h"
#include "kpass/core/config.h"
#include "kpass/core/csv.h"
#include "kpass/http/api.h"
#include "kpass/id/keys.h"
#include "kpass/id/otp.h"
#include "kpass/sms/outbox.h"
#include "kpass/ussd/dialog.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/credential.h"
#include "kpass/verify/credential.h"

/* Sign and record one citizen's credential, as `kpass qr issue` does.  0 or < 0. */
static struct registry *hb_reg; /* over the bench's store */

static int hb_issue_one(struct store *st, const struct keys_signer *signer, const char *cnic_text,
                        int64_t now, char text[KP1_TEXT_SIZE])
{
    struct store_credential cred;
    struct store_citizen c;
    struct kp1_token t;
    char cnic[CNIC_SIZE];
    int rc;

    if ((rc = cnic_parse(cnic_text, strlen(cnic_text), cnic, NULL)) < 0 ||
        (rc = registry_citizen_get(hb_reg, cnic, &c)) < 0)
        return rc;
    memset(&t, 0, sizeof(t));
    kp1_serial_generate(t.serial);
    if ((rc = cnic_last4_parse(c.last4, strlen(c.last4), t.cnic_last4)) < 0)
        return rc;
    t.issued_at = (uint32_t)now;
    t.valid_days = 365;
    if ((rc = kp1_encode(signer, &t, text)) < 0)
        return rc;
    store_credential_from_token(&t, c.id, &cred);
    return verify_credential_issue(st, &cred, "kpass", now);
}

int hb_issue(const char *conf, const char *csv_path, const char *out_path)
{
    struct kp_config cfg;
    struct otp_policy otp;
    struct sms_settings sms;
    struct ussd_settings ussd;
    struct http_settings http;
    struct smpp_settings smpp;
    struct kp_buf err = KP_BUF_INIT, data = KP_BUF_INIT;
    struct store *st = NULL;
    struct keys_ring *ring = NULL;
    uint8_t *ckey = NULL, *akey = NULL;
    struct csv_reader r;
    struct csv_record rec;
    struct csv_error e;
    char text[KP1_TEXT_SIZE], e164[MSISDN_SIZE];
    int64_t now = kp_time_s();
    FILE *out = NULL;
    long n = 0;
    int rc, status = 1;

    kp_config_init(&cfg);
    kp_config_add(&cfg, &smpp_conf_table, &smpp);
    kp_config_add(&cfg, &ussd_conf_table, &ussd);
    kp_config_add(&cfg, &sms_conf_table, &sms);
    kp_config_add(&cfg, &otp_conf_table, &otp);
    kp_config_add(&cfg, &http_conf_table, &http);
    if (kp_config_load(&cfg, conf, &err) < 0 || store_open(cfg.database, 0, &st) < 0 ||
        keys_secret_load(cfg.keys_dir, KEYS_CNIC, &ckey, &err) < 0 ||
        keys_secret_load(cfg.keys_dir, KEYS_AUDIT, &akey, &err) < 0 ||
        registry_use_key(hb_reg = registry_new(st), ckey) < 0 ||
        keys_ring_open(cfg.keys_dir, 1, &ring, &err) < 0 ||
        kp_buf_read_file(&data, csv_path, (size_t)1 << 30) < 0 ||
        (out = fopen(out_path, "w")) == NULL || store_tx_begin(st) < 0) {
        fprintf(stderr, "bench_http: issue: cannot set up: %s\n", err.data ? err.data : "");
        goto out;
    }
    audit_use_key(st, akey);
    csv_reader_init(&r, data.data, data.len);
    while ((rc = csv_read(&r, &rec, &e)) != 0) {
        if (rc < 0 || rec.nfields < 5 || strcmp(rec.field[0], "cnic") == 0)
            continue;
        if (msisdn_parse(rec.field[4], rec.len[4], e164, NULL) < 0 ||
            hb_issue_one(st, keys_ring_signer(ring), rec.field[0], now, text) < 0) {
            fprintf(stderr, "bench_http: issue: %s:%u: refused\n", csv_path, rec.line);
            store_tx_rollback(st);
            csv_reader_free(&r);
            goto out;
        }
        fprintf(out, "%s\t%s\n", e164, text);
        n++;
    }
    csv_reader_free(&r);
    if (store_tx_commit(st) < 0 || fclose(out) != 0) {
        out = NULL;
        fprintf(stderr, "bench_http: issue: cannot commit\n");
        goto out;
    }
    out = NULL;
    printf("bench_http: %ld credentials issued, tokens in %s\n", n, out_path);
    status = 0;
out:
    if (out)
        fclose(out);
    keys_ring_free(ring);
    keys_secret_free(ckey);
    keys_secret_free(akey);
    registry_free(hb_reg);
    store_close(st);
    kp_buf_free(&data);
    kp_buf_free(&err);
    kp_config_free(&cfg);
    return status;
}
