/* SPDX-License-Identifier: ISC */
/*
 * One-time codes and the SMS outbox end to end, with the real daemon:
 *   - server mode: a citizen asks for a code over USSD with `kpass phone`,
 *     and the SMS arrives on the phone's own bind;
 *   - the USSD replies to a code request are the same whoever calls
 *     (registered or not, right or wrong CNIC digits, blocked);
 *   - client mode: kpassd binds to the test SMSC (smsc.js --dlr), the code
 *     goes out as submit_sm with the right fields, the receipt comes back
 *     and `kpass sms show` says delivered;
 *   - a long text as several parts with a UDH, or in message_payload.
 * Every test ends by checking the daemon's log for codes, CNICs and
 * numbers.  Retries, waiting, expiry and crashes: check_sms_retry.c.
 */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "kpass/core/mem.h"
#include "kpass/store/store.h"
#include "kpass/store/sms.h"
#include "kpass/text/text.h"
#include "sms_e2e.h"
#include "testutil.h"

static struct tu_daemon d;
static struct tu_proc smsc;

/* ---- shared helpers (sms_e2e.h) ---- */

void se_prepare(struct tu_daemon *dd, const char *extra_conf)
{
    char csv[600], *out = NULL;
    int rc;

    tu_daemon_prepare(dd, extra_conf);
    rc = tu_kpass(dd, NULL, &out, "import", "seed", NULL);
    ck_assert_msg(rc == 0, "import seed: %s", out);
    free(out);
    snprintf(csv, sizeof(csv), "%s/etc/seed/citizens.csv", tu_top());
    rc = tu_kpass(dd, NULL, &out, "import", "citizens", csv, NULL);
    ck_assert_msg(rc == 0, "import citizens: %s", out);
    free(out);
}

static void se_password_file(struct tu_daemon *dd, const char *pw, char *path, size_t size)
{
    char text[64];

    snprintf(path, size, "%s/pw", dd->dir);
    snprintf(text, sizeof(text), "%s\n", pw);
    ck_assert_int_eq(tu_write_file(path, text), 0);
}

void se_server_partner(struct tu_daemon *dd)
{
    char pw[600], *out = NULL;
    int rc;

    se_password_file(dd, "secret", pw, sizeof(pw));
    rc = tu_kpass(dd, NULL, &out, "partner", "add", "phone", "--sms", "--password-file", pw, NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
}

void se_client_partner(struct tu_daemon *dd, int port)
{
    char pw[600], portarg[32], *out = NULL;
    int rc;

    se_password_file(dd, "pw4smsc", pw, sizeof(pw));
    snprintf(portarg, sizeof(portarg), "--port=%d", port);
    rc = tu_kpass(dd, NULL, &out, "partner", "add", "kpass", "--client", "--host=127.0.0.1",
                  portarg, "--sms", "--password-file", pw, NULL);
    ck_assert_msg(rc == 0, "partner add: %s", out);
    free(out);
}

int se_smsc_start(struct tu_proc *p, int port, ...)
{
    char *argv[32], path[1024], portarg[16];
    int argc = 0, got;
    va_list ap;
    char *line;

    snprintf(path, sizeof(path), "%s/tests/peers/smsc.js", tu_top());
    snprintf(portarg, sizeof(portarg), "%d", port);
    argv[argc++] = (char *)"node";
    argv[argc++] = path;
    argv[argc++] = (char *)"--port";
    argv[argc++] = portarg;
    argv[argc++] = (char *)"--system-id";
    argv[argc++] = (char *)"kpass";
    argv[argc++] = (char *)"--password";
    argv[argc++] = (char *)"pw4smsc";
    va_start(ap, port);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    tu_proc_start(p, argv);
    line = tu_proc_expect(p, 10000, "\"listening\"", NULL);
    ck_assert_msg(line != NULL, "smsc.js did not start");
    got = (int)tu_json_int(line, "port");
    free(line);
    return got;
}

void se_smsc_stop(struct tu_proc *p)
{
    char *line;

    if (p->pid <= 0)
        return;
    close(p->in);
    p->in = -1;
    /* Its last line is the stats line; EOF or 5 s end the wait too. */
    while ((line = tu_proc_expect(p, 5000, NULL)) != NULL) {
        int last = strstr(line, "\"event\":\"stats\"") != NULL;
        free(line);
        if (last)
            break;
    }
    tu_proc_stop(p);
}

void se_smsc_bound(struct tu_proc *p)
{
    char *line = tu_proc_expect(p, 10000, "\"event\":\"bind\"", "\"status\":0", NULL);

    ck_assert_msg(line != NULL, "kpassd did not bind to smsc.js");
    free(line);
}

int64_t se_queue(struct tu_daemon *dd, const char *msisdn, const char *text, int is_code,
                 int64_t valid_s)
{
    char db[600];
    struct store *st;
    int64_t id = 0, now = (int64_t)time(NULL);

    snprintf(db, sizeof(db), "%s/kpass.db", dd->dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    ck_assert_int_eq(store_tx_begin(st), 0);
    ck_assert_int_eq(store_sms_queue(st, msisdn, text, is_code, NULL, now + valid_s, now, &id), 0);
    ck_assert_int_eq(store_tx_commit(st), 0);
    store_close(st);
    return id;
}

void se_show(struct tu_daemon *dd, int64_t id, const char *key, char *out, size_t size)
{
    char idtext[24], want[32], *text = NULL, *p;
    int rc;

    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    rc = tu_kpass(dd, NULL, &text, "sms", "show", idtext, NULL);
    ck_assert_msg(rc == 0, "kpass sms show %s: %s", idtext, text);
    snprintf(want, sizeof(want), "\n%s:", key);
    out[0] = '\0';
    /* The first line has no newline before it. */
    p = strncmp(text, want + 1, strlen(want + 1)) == 0 ? text - 1 : strstr(text, want);
    if (p != NULL) {
        p += strlen(want);
        p += strspn(p, " ");
        snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
    }
    free(text);
}

int se_wait_state(struct tu_daemon *dd, int64_t id, const char *state, int timeout_ms)
{
    char got[32];

    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        se_show(dd, id, "state", got, sizeof(got));
        if (strcmp(got, state) == 0)
            return 0;
        usleep(100000);
    }
    return -1;
}

char *se_next_sms(struct tu_proc *p, int timeout_ms)
{
    for (int left = timeout_ms; left > 0; left -= 50) {
        char *line =
            tu_proc_expect(p, left, "\"event\":\"pdu\"", "\"command\":\"submit_sm\"", NULL);
        if (line == NULL)
            return NULL;
        if (strstr(line, "ussd_service_op") == NULL)
            return line;
        free(line);
    }
    return NULL;
}

int se_json_str(const char *line, const char *key, char *out, size_t size)
{
    char pat[80];
    const char *p;
    size_t n = 0;

    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    if ((p = strstr(line, pat)) == NULL)
        return -1;
    for (p += strlen(pat); *p && *p != '"' && n + 1 < size; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            out[n++] = *p == 'n' ? '\n' : *p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return *p == '"' ? 0 : -1;
}

int se_code_of(const char *text, char code[7])
{
    const char *p = strstr(text, " is ");

    if (p == NULL || strspn(p + 4, "0123456789") != 6)
        return -1;
    memcpy(code, p + 4, 6);
    code[6] = '\0';
    return 0;
}

long se_validity_s(const char *vp)
{
    unsigned yy, mo, dd, hh, mm, ss;

    if (strlen(vp) != 16 || vp[15] != 'R' ||
        sscanf(vp, "%2u%2u%2u%2u%2u%2u", &yy, &mo, &dd, &hh, &mm, &ss) != 6)
        return -1;
    if (yy || mo || hh > 23 || mm > 59 || ss > 59)
        return -1;
    return (long)dd * 86400 + hh * 3600 + mm * 60 + ss;
}

void se_log_clean(struct tu_daemon *dd, char codes[][7], int n)
{
    char csv[600], line[512];
    char *log = tu_daemon_log(dd);
    FILE *f;

    for (int i = 0; i < n; i++)
        ck_assert_msg(strstr(log, codes[i]) == NULL, "code %s in the log", codes[i]);
    snprintf(csv, sizeof(csv), "%s/etc/seed/citizens.csv", tu_top());
    f = fopen(csv, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f)) {
        char cnic[16], digits[14], msisdn[20];
        size_t k = 0;
        if (sscanf(line, "%15[0-9-],%*[^,],%*[^,],%*[^,],%19[+0-9]", cnic, msisdn) != 2)
            continue;
        for (const char *c = cnic; *c && k < 13; c++)
            if (*c != '-')
                digits[k++] = *c;
        digits[k] = '\0';
        ck_assert_msg(strstr(log, cnic) == NULL, "CNIC %s in the log", cnic);
        ck_assert_msg(strstr(log, digits) == NULL, "CNIC %s in the log", digits);
        /* +923001234567, 923001234567, 3001234567 (so 03001234567 too) */
        ck_assert_msg(strstr(log, msisdn + 3) == NULL, "MSISDN %s in the log", msisdn);
    }
    fclose(f);
    free(log);
}

/* ---- this suite ---- */

static void e2e_teardown(void)
{
    /* The daemon first: it inherited smsc.js's stdin, which must reach EOF. */
    tu_daemon_cleanup(&d);
    se_smsc_stop(&smsc);
}

/* Run kpass phone as msisdn through script; its JSON lines (malloc'd). */
static char *phone(const char *msisdn, const char *script, const char *wait_sms)
{
    char pw[600], *out = NULL;
    int rc;

    snprintf(pw, sizeof(pw), "%s/pw", d.dir);
    rc = tu_kpass(&d, NULL, &out, "phone", "--password-file", pw, "--msisdn", msisdn, "--script",
                  script, "--wait-sms", wait_sms, "--timeout", "10", "--json", NULL);
    ck_assert_msg(rc == 0, "kpass phone %s: %d: %s", msisdn, rc, out);
    return out;
}

/* Only the "screen" lines of a phone's output. */
static char *screens_of(const char *out)
{
    size_t n = 0;
    char *s = malloc(strlen(out) + 1);

    for (const char *p = out; *p;) {
        size_t len = strcspn(p, "\n");
        if (strncmp(p, "{\"screen\":", 10) == 0) {
            memcpy(s + n, p, len + 1);
            n += len + 1;
        }
        p += len + (p[len] == '\n');
    }
    s[n] = '\0';
    return s;
}

static const char code_script[] = "*789#,4,1,0011"; /* Ahmad Khan: CNIC ...0001-1 */

START_TEST(test_server_code_by_ussd)
{
    char code[1][7], text[400], *out, *line, state[32];

    se_prepare(&d, NULL);
    se_server_partner(&d);
    tu_daemon_start(&d);
    out = phone("+923000000101", code_script, "1");
    ck_assert_msg(strstr(out, "\"screen\":\"If this number is registered and the digits are right, "
                              "a code will arrive by SMS. Staff never phone you for it.") != NULL,
                  "%s", out);
    /* The code, on the phone's own bind, from KPASS. */
    line = strstr(out, "{\"sms\":");
    ck_assert_msg(line != NULL, "no SMS: %s", out);
    ck_assert_int_eq(se_json_str(line, "sms", text, sizeof(text)), 0);
    ck_assert_ptr_nonnull(strstr(line, "\"from\":\"KPASS\""));
    ck_assert_ptr_nonnull(strstr(text, "Khyber Pass: your code for identity check is "));
    ck_assert_ptr_nonnull(strstr(text, "never phone"));
    ck_assert_int_eq(se_code_of(text, code[0]), 0);
    free(out);
    /* The outbox: answered by the phone (deliver_sm_resp), the text never shown. */
    ck_assert_int_eq(se_wait_state(&d, 1, "sent", 5000), 0);
    se_show(&d, 1, "text", text, sizeof(text));
    ck_assert_str_eq(text, "(code message)");
    se_show(&d, 1, "to", text, sizeof(text));
    ck_assert_str_eq(text, "+92300****101");
    se_show(&d, 1, "attempts", state, sizeof(state));
    ck_assert_str_eq(state, "1"); /* not sent twice */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "sms", "list", NULL), 0);
    ck_assert_ptr_null(strstr(out, code[0]));
    free(out);
    /* The audit log: issued and sent, about this citizen, without the code. */
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--cnic", "10000-0000001-1", NULL),
                     0);
    ck_assert_msg(strstr(out, "code.issued") && strstr(out, "code.sent"), "%s", out);
    ck_assert_ptr_null(strstr(out, code[0]));
    free(out);
    se_log_clean(&d, code, 1);
}
END_TEST

/* A code request from each kind of caller: the screens must not differ. */
static const struct {
    const char *msisdn, *last4;
    int gets_code;
} callers[] = {
    {"+923000000101", "0011", 1}, /* registered, right digits */
    {"+923009999999", "0011", 0}, /* not registered */
    {"+923110000102", "9999", 0}, /* registered, wrong digits */
    {"+923000000111", "0111", 0}, /* registered, right digits, blocked */
    {"+923110000112", "0123", 0}, /* registered, right digits, deceased */
};

START_TEST(test_same_replies)
{
    char *first[2] = {NULL, NULL}, script[64], code[1][7] = {""};
    int nsms = 0;

    se_prepare(&d, NULL);
    se_server_partner(&d);
    tu_daemon_start(&d);
    for (size_t i = 0; i < KP_ARRAY_LEN(callers); i++) {
        /* Twice each: the second within the minute meets the limit, which
           must not differ either. */
        for (int k = 0; k < 2; k++) {
            char *out, *screens;
            snprintf(script, sizeof(script), "*789#,4,2,%s", callers[i].last4);
            out = phone(callers[i].msisdn, script, callers[i].gets_code && k == 0 ? "1" : "0");
            screens = screens_of(out);
            if (strstr(out, "{\"sms\":") != NULL) {
                char text[400];
                nsms++;
                ck_assert_int_eq(se_json_str(strstr(out, "{\"sms\":"), "sms", text, sizeof(text)),
                                 0);
                ck_assert_int_eq(se_code_of(text, code[0]), 0);
            }
            if (first[k] == NULL)
                first[k] = screens;
            else {
                ck_assert_msg(strcmp(first[k], screens) == 0, "caller %zu, request %d:\n%s\nvs\n%s",
                              i, k + 1, first[k], screens);
                free(screens);
            }
            free(out);
        }
    }
    ck_assert_ptr_nonnull(strstr(first[0], "a code will arrive by SMS"));
    ck_assert_ptr_nonnull(strstr(first[1], "Too many requests"));
    /* Only the registered caller with the right digits got a code. */
    ck_assert_int_eq(nsms, 1);
    free(first[0]);
    free(first[1]);
    se_log_clean(&d, code, 1);
}
END_TEST

/* One USSD hop from the network through smsc.js; returns kpassd's screen
   (the submit_sm line) and sets *seq to the sequence number to answer with. */
static char *ussd_hop(const char *addr, const char *text, int op, int *seq)
{
    char cmd[1024], *line, *its;

    snprintf(cmd, sizeof(cmd),
             "{\"cmd\":\"send\",\"pdu\":\"deliver_sm\",\"fields\":{\"service_type\":\"USSD\","
             "\"source_addr_ton\":1,\"source_addr_npi\":1,\"source_addr\":\"%s\","
             "\"destination_addr\":\"789\",\"short_message_text\":\"%s\",\"data_coding\":0,"
             "\"ussd_service_op\":%d,\"its_session_info\":{\"session_number\":9,"
             "\"sequence_number\":%d,\"end\":false}}}",
             addr, text, op, *seq);
    tu_proc_send(&smsc, cmd);
    line = tu_proc_expect(&smsc, 5000, "\"event\":\"pdu\"", "\"command\":\"submit_sm\"",
                          "ussd_service_op", NULL);
    ck_assert_msg(line != NULL, "no screen after '%s'", text);
    its = strstr(line, "\"its_session_info\":{");
    ck_assert_ptr_nonnull(its);
    *seq = (int)tu_json_int(its, "sequence_number") + 1;
    return line;
}

/* The code request over USSD in client mode; the SMS line smsc.js saw. */
static char *client_code_request(void)
{
    static const struct {
        const char *text;
        int op;
    } hops[] = {{"*789#", 1}, {"4", 18}, {"1", 18}, {"0011", 18}};
    int seq = 0;

    for (size_t i = 0; i < KP_ARRAY_LEN(hops); i++) {
        char *screen = ussd_hop("923000000101", hops[i].text, hops[i].op, &seq);
        if (i + 1 == KP_ARRAY_LEN(hops))
            ck_assert_msg(strstr(screen, "a code will arrive by SMS"), "%s", screen);
        free(screen);
    }
    return se_next_sms(&smsc, 5000);
}

START_TEST(test_client_code_and_receipt)
{
    char code[1][7], text[400], vp[32], *line, *out;
    long v;
    int port = se_smsc_start(&smsc, 0, "--dlr", NULL);

    se_prepare(&d, NULL);
    se_client_partner(&d, port);
    tu_daemon_start(&d);
    se_smsc_bound(&smsc);
    line = client_code_request();
    ck_assert_msg(line != NULL, "the code SMS did not reach the SMSC");
    /* submit_sm (SMPP 3.4 §4.4.1): from the alphanumeric sender KPASS (TON 5,
       NPI 0), to the registered number in international form (TON 1, NPI 1),
       GSM 7-bit (data_coding 0), a receipt asked for (registered_delivery 1),
       valid as long as the code (relative, §7.1.1.2). */
    static const char *const want[] = {
        "\"source_addr_ton\":5",     "\"source_addr_npi\":0",
        "\"source_addr\":\"KPASS\"", "\"dest_addr_ton\":1",
        "\"dest_addr_npi\":1",       "\"destination_addr\":\"923000000101\"",
        "\"esm_class\":0",           "\"registered_delivery\":1",
        "\"data_coding\":0",
    };
    for (size_t i = 0; i < KP_ARRAY_LEN(want); i++)
        ck_assert_msg(strstr(line, want[i]) != NULL, "no %s in %s", want[i], line);
    ck_assert_int_eq(se_json_str(line, "validity_period", vp, sizeof(vp)), 0);
    v = se_validity_s(vp);
    ck_assert_msg(v > 290 && v <= 300, "validity_period %s", vp);
    ck_assert_int_eq(se_json_str(line, "text", text, sizeof(text)), 0);
    ck_assert_ptr_nonnull(strstr(text, "your code for identity check is "));
    ck_assert_int_eq(se_code_of(text, code[0]), 0);
    free(line);
    /* The SMSC's receipt comes back: delivered, and the text scrubbed. */
    line = tu_proc_expect(&smsc, 5000, "\"event\":\"dlr\"", NULL);
    ck_assert_msg(line != NULL, "no receipt sent");
    free(line);
    line = tu_proc_expect(&smsc, 5000, "\"event\":\"resp\"", "deliver_sm_resp", NULL);
    ck_assert_msg(line != NULL, "no answer to the receipt");
    ck_assert_ptr_nonnull(strstr(line, "\"command_status\":0"));
    free(line);
    ck_assert_int_eq(se_wait_state(&d, 1, "delivered", 5000), 0);
    se_show(&d, 1, "text", text, sizeof(text));
    ck_assert_str_eq(text, "(code message)");
    se_show(&d, 1, "message_id", text, sizeof(text));
    ck_assert_str_ne(text, "-");
    se_show(&d, 1, "partner", text, sizeof(text));
    ck_assert_str_eq(text, "kpass");
    ck_assert_int_eq(tu_kpass(&d, NULL, &out, "audit", "show", "--cnic", "10000-0000001-1", NULL),
                     0);
    ck_assert_msg(strstr(out, "code.issued") && strstr(out, "code.sent") &&
                      strstr(out, "code.delivered"),
                  "%s", out);
    free(out);
    char db[600];
    struct store *st;
    struct store_sms *m = calloc(1, sizeof(*m));
    snprintf(db, sizeof(db), "%s/kpass.db", d.dir);
    ck_assert_int_eq(tu_store_open(db, 0, &st), 0);
    ck_assert_int_eq(store_sms_get(st, 1, m), 0);
    ck_assert(m->scrubbed);
    store_close(st);
    free(m);
    se_log_clean(&d, code, 1);
}
END_TEST

/* A long text: as parts with a concatenation UDH, or whole in message_payload. */
static const struct {
    const char *conf;
    int payload;
} longs[] = {
    {NULL, 0},
    {"[sms]\nlong_messages = payload\n", 1},
};

/* "Send details by SMS" for the first service found for "vehicle". */
static void client_service_request(void)
{
    static const char *const hops[] = {"*789#", "2", "vehicle", "1", "5"};
    int seq = 0;

    for (size_t i = 0; i < KP_ARRAY_LEN(hops); i++) {
        char *screen = ussd_hop("923110000102", hops[i], i ? 18 : 1, &seq);
        if (i + 1 == KP_ARRAY_LEN(hops))
            ck_assert_msg(strstr(screen, "The details will arrive by SMS"), "%s", screen);
        free(screen);
    }
}

/* The text of an SMS PDU line: UDH stripped, GSM 7-bit or UCS-2 decoded. */
static void pdu_text(const char *line, int *udh_ref, int *udh_total, int *udh_seq,
                     struct kp_buf *all)
{
    char hex[1200];
    uint8_t raw[600];
    int n, dc = (int)tu_json_int(line, "data_coding"), off = 0;

    if (se_json_str(line, "short_message_hex", hex, sizeof(hex)) < 0 || hex[0] == '\0')
        ck_assert_int_eq(se_json_str(line, "message_payload_hex", hex, sizeof(hex)), 0);
    n = tu_hex(hex, raw, sizeof(raw));
    ck_assert_int_gt(n, 0);
    *udh_ref = *udh_total = *udh_seq = -1;
    if (tu_json_int(line, "esm_class") & 0x40) {
        /* 3GPP TS 23.040 §9.2.3.24.1: 05 00 03 ref total seq */
        ck_assert_int_ge(n, 6);
        ck_assert_int_eq(raw[0], 5);
        ck_assert_int_eq(raw[1], 0);
        ck_assert_int_eq(raw[2], 3);
        *udh_ref = raw[3];
        *udh_total = raw[4];
        *udh_seq = raw[5];
        off = 6;
    }
    ck_assert_int_ge(text_decode(raw + off, (size_t)(n - off), (uint8_t)dc, all), 0);
}

START_TEST(test_client_long)
{
    char body[1300], *line;
    struct kp_buf all = KP_BUF_INIT;
    int ref0 = -1, total = 0, port = se_smsc_start(&smsc, 0, "--dlr", NULL);

    se_prepare(&d, longs[_i].conf);
    se_client_partner(&d, port);
    tu_daemon_start(&d);
    se_smsc_bound(&smsc);
    client_service_request();
    /* The parts arrive in order on the one bind; put the text together. */
    for (int part = 1;; part++) {
        int ref, tot, seq;
        line = se_next_sms(&smsc, 5000);
        ck_assert_msg(line != NULL, "part %d missing", part);
        ck_assert_ptr_nonnull(strstr(line, "\"destination_addr\":\"923110000102\""));
        ck_assert_ptr_nonnull(strstr(line, "\"registered_delivery\":1"));
        pdu_text(line, &ref, &tot, &seq, &all);
        free(line);
        if (longs[_i].payload) {
            ck_assert_int_eq(ref, -1); /* no UDH: the whole text in one PDU */
            break;
        }
        ck_assert_int_ge(tot, 2);
        ck_assert_int_eq(seq, part);
        if (part == 1) {
            ref0 = ref;
            total = tot;
        }
        ck_assert_int_eq(ref, ref0);
        ck_assert_int_eq(tot, total);
        if (part == total)
            break;
    }
    /* The same text as the outbox holds (not a code: shown). */
    ck_assert_int_eq(se_wait_state(&d, 1, "delivered", 5000), 0);
    se_show(&d, 1, "text", body, sizeof(body));
    ck_assert_ptr_nonnull(strstr(body, "Fee: "));
    ck_assert_str_eq(all.data, body);
    ck_assert_int_gt((int)strlen(body), 160);
    se_show(&d, 1, "parts", body, sizeof(body));
    ck_assert_int_eq(atoi(body), longs[_i].payload ? 1 : total);
    kp_buf_free(&all);
    se_log_clean(&d, NULL, 0);
}
END_TEST

START_TEST(test_client_ucs2_and_validity)
{
    /* An Urdu text of 100 characters: UCS-2 (data_coding 8) in 2 parts of
       at most 67 characters; one that lives 3 days has a relative validity
       with the days in DD (hh stays 00-23). */
    char text[1000] = "", *line, vp[32];
    struct kp_buf all = KP_BUF_INIT;
    int port = se_smsc_start(&smsc, 0, NULL);

    for (int i = 0; i < 100; i++)
        strcat(text, "\xd8\xb3"); /* U+0633 */
    se_prepare(&d, NULL);
    se_client_partner(&d, port);
    int64_t id = se_queue(&d, "+923210000103", text, 0, 3 * 86400);
    tu_daemon_start(&d);
    se_smsc_bound(&smsc);
    for (int part = 1; part <= 2; part++) {
        int ref, tot, seq;
        line = se_next_sms(&smsc, 5000);
        ck_assert_msg(line != NULL, "part %d missing", part);
        ck_assert_int_eq(tu_json_int(line, "data_coding"), 8);
        ck_assert_int_eq(se_json_str(line, "validity_period", vp, sizeof(vp)), 0);
        ck_assert_msg(se_validity_s(vp) > 3 * 86400 - 60 && se_validity_s(vp) <= 3 * 86400, "%s",
                      vp);
        pdu_text(line, &ref, &tot, &seq, &all);
        ck_assert_int_eq(tot, 2);
        ck_assert_int_eq(seq, part);
        free(line);
    }
    ck_assert_str_eq(all.data, text);
    ck_assert_int_eq(se_wait_state(&d, id, "sent", 5000), 0);
    kp_buf_free(&all);
    se_log_clean(&d, NULL, 0);
}
END_TEST

Suite *suite_sms_e2e(void)
{
    Suite *s = suite_create("sms_e2e");
    TCase *tc;

    if (sodium_init() < 0)
        abort();
    tc = tcase_create("server");
    tcase_add_checked_fixture(tc, NULL, e2e_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_server_code_by_ussd);
    tcase_add_test(tc, test_same_replies);
    suite_add_tcase(s, tc);
    tc = tcase_create("client");
    tcase_add_checked_fixture(tc, NULL, e2e_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_client_code_and_receipt);
    tcase_add_loop_test(tc, test_client_long, 0, (int)KP_ARRAY_LEN(longs));
    tcase_add_test(tc, test_client_ucs2_and_validity);
    suite_add_tcase(s, tc);
    return s;
}
