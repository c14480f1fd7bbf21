/* SPDX-License-Identifier: ISC */
/*
 * Notices by CNIC (issue 13, doc/http-api.md): a department, with its own
 * bearer token (`kpass department add`), asks kpass to send a citizen an
 * SMS from one of its templates.  kpass finds the citizen's registered
 * number, writes the template in the citizen's language (the one they
 * chose on USSD; English when the department has no such variant), queues
 * it in the durable outbox and audits it; the department gets an id and,
 * later, the delivery state, never the number.  A department's notices are
 * counted against its daily quota.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "http_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/id/cnic.h"
#include "kpass/sms/outbox.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/dept.h"
#include "kpass/store/dialog.h"
#include "kpass/store/sms.h"
#include "kpass/text/text.h"

#define NOTICE_PARAMS    8
#define NOTICE_PARAM_MAX 100   /* bytes of one parameter's value */
#define NOTICE_VALID_S   86400 /* an undelivered notice expires after a day */
#define NOTICE_DAY_S     86400

/* The department whose bearer token this is, or a 401 already sent. */
int http_dept_auth(struct http_req *r, struct store_dept *dept)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    uint8_t hash[STORE_DEPT_HASH_BYTES];
    char key[48];
    int rc;

    if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) > 128) {
        http_reply_error(r, 401, "unauthorized", "a department token is required");
        return -KP_ERR_AUTH;
    }
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)h + 7, strlen(h + 7), NULL, 0);
    rc = store_dept_by_token(r->api->d.st, hash, dept);
    if (rc < 0) {
        http_reply_error(r, rc == -KP_ERR_NOTFOUND ? 401 : 500,
                         rc == -KP_ERR_NOTFOUND ? "unauthorized" : "internal",
                         rc == -KP_ERR_NOTFOUND ? "unknown department token" : "store");
        return rc;
    }
    snprintf(key, sizeof(key), "n:%s", dept->department);
    return http_limit(r, key, r->api->set.desk_rate, r->api->set.desk_burst);
}

/* A parameter value kpass will put into an SMS: short UTF-8, no controls, no braces. */
static int notice_value_ok(const char *v)
{
    size_t n = strlen(v);

    if (n > NOTICE_PARAM_MAX || text_utf8_valid(v, n) < 0)
        return 0;
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == '{' || *v == '}')
            return 0;
    return 1;
}

/*
 * The template with {name} replaced by params' values into out.  0, or
 * -KP_ERR_INVAL with *why: a placeholder without a value, or too long.
 */
static int notice_render(const char *tpl, json_t *params, char *out, size_t cap, const char **why)
{
    size_t n = 0;

    for (const char *p = tpl; *p;) {
        const char *v = p, *e;
        size_t len = 1;
        char name[33];
        if (*p == '{' && (e = strchr(p, '}')) != NULL && (size_t)(e - p - 1) < sizeof(name)) {
            memcpy(name, p + 1, (size_t)(e - p - 1));
            name[e - p - 1] = '\0';
            json_t *j = params ? json_object_get(params, name) : NULL;
            if (!json_is_string(j)) {
                *why = "the template names a parameter the request does not give";
                return -KP_ERR_INVAL;
            }
            v = json_string_value(j);
            len = strlen(v);
            p = e + 1;
        } else {
            p++;
        }
        if (n + len + 1 > cap) {
            *why = "the message is too long";
            return -KP_ERR_INVAL;
        }
        memcpy(out + n, v, len);
        n += len;
    }
    out[n] = '\0';
    return 0;
}

/* The request's fields, checked; 0 or a 4xx already sent. */
static int notice_parse(struct http_req *r, json_t **root, char cnic[CNIC_SIZE], const char **tpl,
                        json_t **params)
{
    json_error_t jerr;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    const char *k, *c;
    json_t *v;

    *root = j;
    if (!json_is_object(j)) {
        http_reply_error(r, 400, "bad_request", "a JSON object is expected");
        return -KP_ERR_PARSE;
    }
    c = json_string_value(json_object_get(j, "cnic"));
    *tpl = json_string_value(json_object_get(j, "template"));
    *params = json_object_get(j, "params");
    if (c == NULL || *tpl == NULL || !text_word_ok(*tpl, 32) ||
        (*params && (!json_is_object(*params) || json_object_size(*params) > NOTICE_PARAMS))) {
        http_reply_error(r, 400, "bad_request", "cnic, template (and params) expected");
        return -KP_ERR_PARSE;
    }
    json_object_foreach(*params, k, v)
    {
        if (!json_is_string(v) || !notice_value_ok(json_string_value(v))) {
            http_reply_error(r, 422, "bad_param", "parameters are short texts without braces");
            return -KP_ERR_INVAL;
        }
    }
    if (cnic_parse(c, strlen(c), cnic, NULL) < 0) {
        http_reply_error(r, 422, "bad_cnic", "not a CNIC");
        return -KP_ERR_INVAL;
    }
    return 0;
}

/* The registered number of the active citizen with index idx ("" for none). */
static void notice_number(struct store *st, const uint8_t *idx, char msisdn[MSISDN_SIZE])
{
    struct store_citizen cz;
    char nums[1][MSISDN_SIZE];

    msisdn[0] = '\0';
    if (store_citizen_get_by_index(st, idx, &cz) == 0 && cz.status == STORE_CITIZEN_ACTIVE &&
        store_citizen_msisdns(st, cz.id, nums, 1) > 0)
        snprintf(msisdn, MSISDN_SIZE, "%s", nums[0]);
}

/* POST /v1/notices */
void http_notice_post(struct http_req *r)
{
    struct store *st = r->api->d.st;
    struct store_dept dept;
    struct store_notice n;
    char cnic[CNIC_SIZE], msisdn[MSISDN_SIZE], text[STORE_TEMPLATE_MAX + 1],
        body[STORE_SMS_BODY_MAX], idx_hex[CNIC_INDEX_HEX], actor[32], detail[64],
        lang[STORE_LANG_SIZE];
    uint8_t idx[CNIC_INDEX_BYTES], rnd[16];
    const char *tpl, *why = NULL;
    json_t *root = NULL, *params;
    int64_t now = kp_time_s();
    int rc;

    if (http_dept_auth(r, &dept) < 0 || notice_parse(r, &root, cnic, &tpl, &params) < 0)
        goto out;
    if ((rc = store_notice_count(st, dept.department, now - NOTICE_DAY_S)) < 0 ||
        (unsigned)rc >= dept.quota_day) {
        http_reply_error(r, rc < 0 ? 500 : 429, rc < 0 ? "internal" : "quota",
                         rc < 0 ? "store" : "the department's notices for today are used up");
        goto out;
    }
    if (cnic_index(cnic, r->api->d.cnic_key, idx) < 0 ||
        cnic_index_hex(cnic, r->api->d.cnic_key, idx_hex) < 0) {
        http_reply_error(r, 500, "internal", "keys");
        goto out;
    }
    sodium_memzero(cnic, sizeof(cnic));
    notice_number(st, idx, msisdn);
    /* the citizen's own language when the department wrote the template in it */
    snprintf(lang, sizeof(lang), "en");
    if (msisdn[0] && store_lang_get(st, msisdn, lang) < 0)
        snprintf(lang, sizeof(lang), "en");
    if (store_template_get(st, dept.department, tpl, lang, text, sizeof(text)) < 0) {
        snprintf(lang, sizeof(lang), "en");
        if (store_template_get(st, dept.department, tpl, lang, text, sizeof(text)) < 0) {
            http_reply_error(r, 422, "unknown_template", "no such template (in English)");
            goto out;
        }
    }
    if (notice_render(text, params, body, sizeof(body), &why) < 0) {
        http_reply_error(r, 422, "bad_template", why);
        goto out;
    }
    memset(&n, 0, sizeof(n));
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(n.id, sizeof(n.id), rnd, sizeof(rnd));
    snprintf(n.department, sizeof(n.department), "%s", dept.department);
    snprintf(n.template_name, sizeof(n.template_name), "%s", tpl);
    snprintf(n.lang, sizeof(n.lang), "%s", lang);
    n.created_at = now;
    n.callback_done = dept.callback_url[0] == '\0';
    snprintf(actor, sizeof(actor), "dept:%s", dept.department);
    snprintf(detail, sizeof(detail), "template %s", tpl);
    /* queued, recorded and audited together, committed before the answer leaves */
    rc = store_batch(st);
    if (rc == 0 && msisdn[0])
        rc = store_sms_queue(st, msisdn, body, 0, idx_hex, now + NOTICE_VALID_S, now, &n.sms_id);
    if (rc == 0)
        rc = store_notice_add(st, &n);
    if (rc == 0 && audit_append(st, now, msisdn[0] ? "notice.queued" : "notice.no_number", actor,
                                idx, detail) < 0)
        rc = -KP_ERR_DB;
    if (rc < 0) {
        http_reply_error(r, 500, "internal", "store");
        goto out;
    }
    if (n.sms_id)
        sms_outbox_kick(r->api->d.outbox);
    /* The same answer whether or not the CNIC has a number: the state tells later. */
    http_reply_json(r, 202, json_pack("{s:s, s:s}", "id", n.id, "state", "accepted"));
out:
    sodium_memzero(cnic, sizeof(cnic));
    json_decref(root);
}

/* The state a department sees: the outbox row's, or "undeliverable" without one. */
const char *http_notice_state(struct store *st, const struct store_notice *n, int *final)
{
    struct store_sms sms;

    *final = 1;
    if (n->sms_id == 0 || store_sms_get(st, n->sms_id, &sms) < 0)
        return "undeliverable";
    *final = sms.state == SMS_DELIVERED || sms.state == SMS_UNDELIVERABLE ||
             sms.state == SMS_EXPIRED || sms.state == SMS_FAILED;
    return sms_state_name(sms.state);
}

/* GET /v1/notices/{id} */
void http_notice_get(struct http_req *r)
{
    struct store_dept dept;
    struct store_notice n;
    int rc, final;
    const char *state;

    if (http_dept_auth(r, &dept) < 0)
        return;
    rc = store_notice_get(r->api->d.st, dept.department, r->id, &n);
    if (rc < 0) {
        http_reply_error(r, rc == -KP_ERR_NOTFOUND ? 404 : 500,
                         rc == -KP_ERR_NOTFOUND ? "not_found" : "internal",
                         rc == -KP_ERR_NOTFOUND ? "no such notice" : "store");
        return;
    }
    state = http_notice_state(r->api->d.st, &n, &final);
    http_reply_json(r, 200,
                    json_pack("{s:s, s:s, s:s, s:b, s:I}", "id", n.id, "template", n.template_name,
                              "state", state, "final", final, "created_at",
                              (json_int_t)n.created_at));
}
