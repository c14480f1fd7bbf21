/* SPDX-License-Identifier: ISC */
/*
 * Codes issued and queued per second through codes_issue(): one code for
 * each of N citizens (the issue limits stop a citizen at one a minute, so
 * every code is for another citizen), each issue its own transaction with
 * its rate-limit reads, its keyed hash, its SMS row, its issue log rows and
 * its audit row, as kpassd does it.  A file store in /tmp (WAL,
 * synchronous=NORMAL, as the daemon opens it).  Not a test; prints one line
 * per phase and a final JSON line.
 *
 * With a batch size B > 1 the store is in group mode, as in kpassd: the
 * codes join the group transaction and B of them are committed at once,
 * as kpassd commits once per event-loop pass (B = 1: a commit per code, a
 * lone request on an idle daemon).  The WAL checkpoints run in a thread,
 * as in kpassd.
 *
 *   make bench && build/bench/bench_codes [citizens] [batch]
 *
 * Target (DESIGN.md §9): >= 10,000 codes issued and queued per second.
 */
#include <event2/event.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpass/audit/audit.h"
#include "kpass/registry/registry.h"
#include "kpass/core/clock.h"
#include "kpass/verify/codes.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/store/store.h"
#include "kpass/store/checkpoint.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/sms.h"

#define T0 1800000000LL

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_codes: %s: %s\n", what, kp_strerror(rc));
    exit(1);
}

/* n citizens with one number each, in one transaction. */
static struct registry *reg; /* over the bench's store */

static int64_t *citizens_make(struct store *st, int n)
{
    int64_t *ids = calloc((size_t)n, sizeof(*ids));
    int rc;

    if ((rc = store_tx_begin(st)) < 0 || (rc = store_bulk(st)) < 0)
        die("begin", rc);
    for (int i = 0; i < n; i++) {
        struct registry_import row;
        char cnic[CNIC_SIZE], msisdn[MSISDN_SIZE];
        memset(&row, 0, sizeof(row));
        snprintf(cnic, sizeof(cnic), "35202%08d", i % 100000000);
        snprintf(msisdn, sizeof(msisdn), "+92300%07d", i % 10000000);
        row.cnic = cnic;
        row.msisdns[0] = msisdn;
        row.n_msisdns = 1;
        row.source = "bench";
        snprintf(row.fields.name_en, sizeof(row.fields.name_en), "Citizen %d", i);
        snprintf(row.fields.name_ur, sizeof(row.fields.name_ur), "احمد");
        snprintf(row.fields.district, sizeof(row.fields.district), "PSH");
        if ((rc = registry_citizen_import(reg, &row, "bench", T0 - 100)) < 0)
            die("import", rc);
        if ((rc = registry_citizen_get(reg, cnic, &row.fields)) < 0)
            die("lookup", rc);
        ids[i] = row.fields.id;
    }
    if ((rc = store_tx_commit(st)) < 0)
        die("commit", rc);
    return ids;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 50000, batch = argc > 2 ? atoi(argv[2]) : 1;
    struct event_base *base;
    struct store_checkpointer *ckpt;
    char dir[] = "/tmp/kpass-bench-codes-XXXXXX", path[600];
    uint8_t otp_key[OTP_KEY_BYTES], cnic_key[32], audit_key[32];
    struct otp_policy pol;
    struct store *st;
    struct codes *c;
    struct codes_result r;
    int64_t *ids;
    uint64_t t0, t1;
    int rc;

    if (sodium_init() < 0 || n <= 0 || batch <= 0 || mkdtemp(dir) == NULL)
        return 1;
    log_init("bench", KP_LOG_STDERR, KP_LOG_WARN);
    snprintf(path, sizeof(path), "%s/kpass.db", dir);
    randombytes_buf(otp_key, sizeof(otp_key));
    randombytes_buf(cnic_key, sizeof(cnic_key));
    randombytes_buf(audit_key, sizeof(audit_key));
    if ((rc = store_open(path, STORE_CREATE, &st)) < 0)
        die("open", rc);
    reg = registry_new(st);
    registry_use_key(reg, cnic_key);
    audit_use_key(st, audit_key);
    t0 = kp_clock_ms();
    ids = citizens_make(st, n);
    t1 = kp_clock_ms();
    printf("citizens: %d in %.2f s\n", n, (double)(t1 - t0) / 1000);
    otp_policy_default(&pol);
    c = codes_new(st, NULL, NULL, otp_key, cnic_key, &pol);
    base = event_base_new();
    ckpt = store_checkpointer_new(st, base, 0);
    store_group_mode(st, batch > 1);
    t0 = kp_clock_ms();
    for (int i = 0; i < n; i++) {
        struct codes_request req = {ids[i], "identity", NULL, NULL, NULL, NULL, "bench"};
        /* a different second now and then, as on a live system */
        if ((rc = codes_issue(c, &req, T0 + i / 1000, &r)) < 0)
            die("codes_issue", rc);
        if ((i + 1) % batch == 0) {
            if ((rc = store_flush(st)) < 0)
                die("commit", rc);
            event_base_loop(base, EVLOOP_NONBLOCK);
        }
    }
    if ((rc = store_flush(st)) < 0)
        die("commit", rc);
    t1 = kp_clock_ms();
    double s = (double)(t1 - t0) / 1000, rate = n / (s > 0 ? s : 1e-3);
    uint64_t counts[SMS_STATE_MAX];
    store_sms_counts(st, counts);
    printf("codes_issue: %d codes in %.2f s: %.0f/s (%llu SMS queued)\n", n, s, rate,
           (unsigned long long)counts[SMS_QUEUED]);
    printf("{\"bench\":\"codes_issue\",\"codes\":%d,\"batch\":%d,\"seconds\":%.3f,"
           "\"per_second\":%.0f}\n",
           n, batch, s, rate);
    store_checkpointer_free(ckpt);
    event_base_free(base);
    codes_free(c);
    registry_free(reg);
    store_close(st);
    free(ids);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 && counts[SMS_QUEUED] == (uint64_t)n ? 0 : 1;
}
