/* SPDX-License-Identifier: ISC */
/*
 * The office desk API (doc/http-api.md): sign-in (the PIN check runs in the
 * worker thread), scanning a KP1 card, sending a code, confirming it with a
 * signed receipt.  Every step that a person is told happened is committed
 * (with its audit row) before the answer; every refusal is counted and
 * audited.  Citizens appear masked only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <sodium.h>

#include "http_internal.h"
#include "kpass/audit/audit.h"
#include "kpass/core/clock.h"
#include "kpass/id/cnic.h"
#include "kpass/verify/codes.h"
#include "kpass/core/err.h"
#include "kpass/http/request.h"
#include "kpass/id/keys.h"
#include "kpass/id/kp1.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/id/msisdn.h"
#include "kpass/sms/outbox.h"
#include "kpass/store/audit.h"
#include "kpass/store/citizen.h"
#include "kpass/store/credential.h"
#include "kpass/verify/credential.h"
#include "kpass/verify/desk.h"
#include "kpass/office/office.h"
#include "kpass/store/desk.h"
#include "kpass/store/directory.h"
#include "kpass/core/worker.h"

/* The audit actor of desk id: "desk:<id>", or "desk:?" before one is known. */
static void desk_actor(const char *id, char actor[48])
{
    snprintf(actor, 48, "desk:%s", id[0] ? id : "?");
}

/* Audit a refusal: the event names the step, the detail says why. */
static void desk_audit(struct http_req *r, const char *event, const uint8_t *subject,
                       const char *detail)
{
    char actor[48];

    desk_actor(r->session.desk, actor);
    store_batch(r->api->d.st);
    audit_append(r->api->d.st, kp_time_s(), event, actor, subject, detail);
}

static void desk_refuse(struct http_req *r, int status, const char *kind, const char *reason,
                        const uint8_t *subject)
{
    char detail[160];

    snprintf(detail, sizeof(detail), "route=%s status=%d reason=%s", http_route_names[r->route],
             status, kind);
    desk_audit(r, "desk.refused", subject, detail);
    http_reply_error(r, status, kind, reason);
}

/* ---- sign-in ---- */

struct desk_signin {
    struct http_api *api;
    struct evhttp_request *req; /* NULL once the client went away */
    struct http_req r;          /* copied request context */
    struct store_desk desk;
    struct store_staff staff;
    char staff_id[32];
    char pin[16];
    int rc;
};

static void desk_signin_closed(struct evhttp_connection *evcon, void *arg)
{
    struct desk_signin *s = arg;

    s->req = NULL; /* libevent frees the request; the result is still recorded */
    http_conn_closed(s->api, evcon);
}

/* In the worker thread, on the worker's own store connection. */
static void desk_signin_run(void *arg)
{
    struct desk_signin *s = arg;
    char actor[48];

    snprintf(actor, sizeof(actor), "desk:%s", s->desk.id);
    s->rc = office_staff_check_pin(s->api->wst, s->api->d.desk_key, s->desk.office, s->staff_id,
                                   s->pin, s->api->set.pin_failures, actor, kp_time_s(), &s->staff);
    sodium_memzero(s->pin, sizeof(s->pin));
}

static void desk_signin_done(void *arg)
{
    struct desk_signin *s = arg;
    struct http_req *r = &s->r;
    uint8_t raw[32], hash[32];
    char token[64], b64[48], actor[48];
    int64_t now = kp_time_s();

    if (s->req == NULL)
        goto out;
    snprintf(actor, sizeof(actor), "desk:%s", s->desk.id);
    r->req = s->req;
    http_conn_watch(s->api, evhttp_request_get_connection(s->req));
    snprintf(r->session.desk, sizeof(r->session.desk), "%s", s->desk.id);
    if (s->rc == -KP_ERR_LOCKED) {
        desk_refuse(r, 423, "locked", "this staff member is locked: ask an administrator", NULL);
        goto out;
    }
    if (s->rc == -KP_ERR_WRONG || s->rc == -KP_ERR_NOTFOUND) {
        desk_refuse(r, 401, "unauthorized", "wrong staff id or PIN", NULL);
        goto out;
    }
    if (s->rc < 0) {
        http_reply_error(r, 500, "internal", "cannot check the PIN");
        goto out;
    }
    /* A bearer token: 32 random octets; the store keeps only its hash. */
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(token, sizeof(token), "ks1_%s", b64);
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)token, strlen(token), NULL, 0);
    struct store_session ss;
    memset(&ss, 0, sizeof(ss));
    memcpy(ss.hash, hash, sizeof(hash));
    snprintf(ss.desk, sizeof(ss.desk), "%s", s->desk.id);
    snprintf(ss.staff, sizeof(ss.staff), "%s", s->staff.id);
    snprintf(ss.office, sizeof(ss.office), "%s", s->desk.office);
    ss.created_at = now;
    ss.expires_at = now + s->api->set.session_ttl_s;
    /* The PIN just checked: if it changed meanwhile, the session never stands. */
    ss.pin_version = s->staff.pin_version;
    char detail[96];
    snprintf(detail, sizeof(detail), "staff=%s office=%s", s->staff.id, s->desk.office);
    if (store_tx_begin(s->api->d.st) < 0 || store_session_add(s->api->d.st, &ss) < 0 ||
        audit_append(s->api->d.st, now, "desk.signin", actor, NULL, detail) < 0 ||
        store_tx_commit(s->api->d.st) < 0) {
        store_tx_rollback(s->api->d.st);
        http_reply_error(r, 500, "internal", "cannot store the session");
        goto out;
    }
    struct store_dir_office off;
    const char *oname = store_dir_office_get(s->api->d.st, s->desk.office, &off) == 0
                            ? off.name.en
                            : s->desk.office;
    http_reply_json(r, 201,
                    json_pack("{s:s, s:I, s:{s:s, s:s}, s:s, s:s}", "session", token, "expires_at",
                              (json_int_t)ss.expires_at, "office", "code", s->desk.office, "name",
                              oname, "desk", s->desk.id, "staff", s->staff.id));
    sodium_memzero(token, sizeof(token));
    sodium_memzero(b64, sizeof(b64));
out:
    sodium_memzero(s, sizeof(*s));
    free(s);
}

void http_desk_session(struct http_req *r)
{
    struct http_session_req q;
    struct desk_signin *s;
    const char *reason;
    int rc;

    if (http_parse_session(r->body, r->body_len, &q, &reason) < 0) {
        desk_refuse(r, 400, "bad_request", reason, NULL);
        return;
    }
    s = kp_calloc(1, sizeof(*s));
    rc = office_desk_authenticate(r->api->d.st, r->api->d.desk_key, q.desk_token, &s->desk);
    if (rc < 0) {
        sodium_memzero(&q, sizeof(q));
        free(s);
        if (rc == -KP_ERR_DENIED)
            desk_refuse(r, 403, "forbidden", "this desk has been revoked", NULL);
        else if (rc == -KP_ERR_AUTH)
            desk_refuse(r, 401, "unauthorized", "unknown desk token", NULL);
        else
            http_reply_error(r, 500, "internal", "store");
        return;
    }
    s->api = r->api;
    s->req = r->req;
    s->r = *r;
    memcpy(s->staff_id, q.staff_id, sizeof(s->staff_id));
    memcpy(s->pin, q.pin, sizeof(s->pin));
    sodium_memzero(&q, sizeof(q));
    /* The answer comes when the worker is done; if the client leaves first,
       the PIN check still counts. */
    evhttp_connection_set_closecb(evhttp_request_get_connection(r->req), desk_signin_closed, s);
    kp_worker_submit(r->api->worker, desk_signin_run, desk_signin_done, s);
}

/* DELETE /v1/desk/sessions: the bearer's session ends (sign-out). */
void http_desk_signout(struct http_req *r)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
    uint8_t hash[32];
    char detail[64];

    if (http_auth(r) < 0)
        return;
    /* http_auth checked the header's form. */
    crypto_generichash(hash, sizeof(hash), (const uint8_t *)h + 7, strlen(h + 7), NULL, 0);
    snprintf(detail, sizeof(detail), "staff=%s office=%s", r->session.staff, r->session.office);
    store_batch(r->api->d.st);
    if (store_session_end(r->api->d.st, hash) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return;
    }
    desk_audit(r, "desk.signout", NULL, detail);
    http_reply_json(r, 200, json_pack("{s:s}", "result", "signed_out"));
}

/* ---- verifications ---- */

/* The citizen as a desk may see it: names, masked CNIC and number, district. */
static json_t *desk_citizen_json(struct store *st, const struct store_citizen *c)
{
    char masked[CNIC_TEXT_SIZE], nums[1][MSISDN_SIZE], m[MSISDN_SIZE] = "";

    /* From the last 4 digits: the same mask, and no CNIC decrypted. */
    store_citizen_mask(c, masked);
    if (store_citizen_msisdns(st, c->id, nums, 1) == 1)
        msisdn_mask(nums[0], m);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", c->name_en, "name_ur", c->name_ur,
                     "cnic", masked, "msisdn", m, "district", c->district, "status",
                     store_citizen_status_name(c->status));
}

/* A verification's new state, in the metrics (doc/http-api.md, /metrics). */
static void desk_count(struct http_req *r, const struct store_verification *v)
{
    static const enum http_vout vout[] = {
        [STORE_VERIF_SCANNED] = HTTP_VOUT_SCANNED,   [STORE_VERIF_CODE_SENT] = HTTP_VOUT_CODE_SENT,
        [STORE_VERIF_VERIFIED] = HTTP_VOUT_VERIFIED, [STORE_VERIF_FAILED] = HTTP_VOUT_FAILED,
        [STORE_VERIF_EXPIRED] = HTTP_VOUT_EXPIRED,
    };

    if ((size_t)v->state < KP_ARRAY_LEN(vout))
        http_count_verification(r->api, v->office, vout[v->state]);
}

/* Verify the scanned token of q in full (verify_credential_verify). */
static int desk_token_verify(struct http_req *r, const struct http_scan_req *q, int64_t now,
                             struct verify_credential_result *cr)
{
    /* As a scanner typed it: blanks around it, Caps Lock (kp1_text_normalise). */
    char token[sizeof(q->token)];
    int len = kp1_text_normalise(q->token, strlen(q->token), token, sizeof(token));

    return verify_credential_verify(r->api->d.st, token, len < 0 ? 0 : (size_t)len,
                                    keys_ring_lookup, r->api->d.keys, now, cr);
}

void http_desk_scan(struct http_req *r)
{
    struct http_scan_req q;
    struct verify_credential_result cr;
    struct store_verification v;
    const char *reason;
    uint8_t vid[16];
    char detail[128], actor[48];
    int64_t now = kp_time_s();
    int rc;

    if (http_auth(r) < 0)
        return;
    if (http_parse_scan(r->body, r->body_len, &q, &reason) < 0) {
        desk_refuse(r, 400, "bad_request", reason, NULL);
        return;
    }
    rc = desk_token_verify(r, &q, now, &cr);
    if (rc < 0) {
        http_reply_error(r, 500, "internal", "store");
        return;
    }
    if (cr.verdict != VERIFY_CREDENTIAL_VALID) {
        http_count_verification(r->api, r->session.office, HTTP_VOUT_CARD_REFUSED);
        desk_refuse(r, 422, "credential", verify_credential_verdict_name(cr.verdict),
                    cr.found ? cr.citizen.cnic_index : NULL);
        return;
    }
    memset(&v, 0, sizeof(v));
    randombytes_buf(vid, sizeof(vid));
    sodium_bin2hex(v.id, sizeof(v.id), vid, sizeof(vid));
    snprintf(v.office, sizeof(v.office), "%s", r->session.office);
    snprintf(v.desk, sizeof(v.desk), "%s", r->session.desk);
    snprintf(v.staff, sizeof(v.staff), "%s", r->session.staff);
    v.citizen_id = cr.citizen.id;
    store_credential_serial_hex(cr.token.serial, v.serial);
    snprintf(detail, sizeof(detail), "verification=%.8s serial=%.8s staff=%s", v.id, v.serial,
             r->session.staff);
    desk_actor(r->session.desk, actor);
    struct verify_desk_step step = {.actor = actor, .detail = detail};
    if (verify_desk_apply(r->api->d.st, &v, &cr.citizen, VERIFY_DESK_SCAN, &step, now) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return;
    }
    desk_count(r, &v);
    http_simswap_start(r->api, &v, &cr.citizen); /* answered by the time a code is asked */
    json_t *b =
        json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:I}}", "id", v.id, "state", "scanned", "citizen",
                  desk_citizen_json(r->api->d.st, &cr.citizen), "credential", "serial", v.serial,
                  "status", "valid", "expires_at", (json_int_t)cr.cred.expires_at);
    /* Said now rather than after a purpose was chosen: no code can go out. */
    int64_t until;
    if (codes_locked_until(r->api->d.codes, cr.citizen.id, now, &until) == 0 && until > 0)
        json_object_set_new(b, "locked_until", json_integer(until));
    http_reply_json(r, 201, b);
}

/* The verification of r's {id}, if this session's office may see it. */
static int desk_load(struct http_req *r, struct store_verification *v, struct store_citizen *c)
{
    int rc = store_verification_get(r->api->d.st, r->id, v);

    if (rc == -KP_ERR_NOTFOUND) {
        desk_refuse(r, 404, "not_found", "no such verification", NULL);
        return rc;
    }
    if (rc < 0 || store_citizen_get_by_id(r->api->d.st, v->citizen_id, c) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return -KP_ERR_DB;
    }
    if (strcmp(v->office, r->session.office) != 0) {
        desk_refuse(r, 403, "forbidden", "this verification belongs to another office",
                    c->cnic_index);
        return -KP_ERR_DENIED;
    }
    return 0;
}

static void desk_office_name(struct store *st, const char *code, char *out, size_t size)
{
    struct store_dir_office o;

    snprintf(out, size, "%s", store_dir_office_get(st, code, &o) == 0 ? o.name.en : code);
}

/* v ends (failed or expired, by event ev) at now, in the pass's commit. */
static void desk_finish(struct http_req *r, struct store_verification *v, enum verify_desk_event ev,
                        int64_t now)
{
    struct verify_desk_step step = {.actor = NULL};

    /* In the group commit: the answer reports the table's state even if
       the write failed (it is retried by nothing), as it always did. */
    if (verify_desk_apply(r->api->d.st, v, NULL, ev, &step, now) != -KP_ERR_STATE)
        desk_count(r, v);
}

/*
 * v's code can no longer be confirmed (dead after its wrong tries, or
 * expired), in the pass's commit: the verification waits for a new code
 * (scanned again) instead of ending.  Not counted: nothing began or ended.
 */
static void desk_code_void(struct http_req *r, struct store_verification *v, int64_t now)
{
    struct verify_desk_step step = {.actor = NULL};

    verify_desk_apply(r->api->d.st, v, NULL, VERIFY_DESK_CODE_VOID, &step, now);
}

/* 423 for a citizen locked out of codes, with the lockout's end. */
static void desk_refuse_locked(struct http_req *r, const uint8_t *subject, int64_t until)
{
    char detail[160];

    snprintf(detail, sizeof(detail), "route=%s status=423 reason=locked",
             http_route_names[r->route]);
    desk_audit(r, "desk.refused", subject, detail);
    http_reply_json(r, 423,
                    json_pack("{s:s, s:s, s:I}", "error", "locked", "reason",
                              "this citizen is locked out of codes for now", "until",
                              (json_int_t)until));
}

/*
 * Before a step on a verification under way: is it still in time, and
 * does its credential still hold (verify_credential_recheck: revoked,
 * expired, a retired or unknown key, the citizen blocked or deceased)?
 * 0 to go on; otherwise the verification has ended (expired, or failed),
 * the refusal is audited and answered (410 expired, 422 credential), and
 * < 0 is returned.
 */
static int desk_recheck(struct http_req *r, struct store_verification *v,
                        const struct store_citizen *c, int64_t now)
{
    struct verify_credential_result cr;
    uint8_t serial[KP1_SERIAL_BYTES];
    int rc;

    if (verify_desk_overdue(v, r->api->set.verification_ttl_s, now))
        desk_finish(r, v, VERIFY_DESK_EXPIRE, now);
    if (v->state == STORE_VERIF_EXPIRED) {
        desk_refuse(r, 410, "expired", "this verification has expired: scan the card again",
                    c->cnic_index);
        return -KP_ERR_EXPIRED;
    }
    if (!verify_desk_allows((int)v->state, VERIFY_DESK_CREDENTIAL_REFUSED))
        return 0; /* finished: each step answers that itself */
    if (store_credential_serial_parse(v->serial, serial) < 0 ||
        (rc = verify_credential_recheck(r->api->d.st, serial, c, keys_ring_lookup, r->api->d.keys,
                                        now, &cr)) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return -KP_ERR_DB;
    }
    if (cr.verdict == VERIFY_CREDENTIAL_VALID)
        return 0;
    desk_finish(r, v, VERIFY_DESK_CREDENTIAL_REFUSED, now);
    desk_refuse(r, 422, "credential", verify_credential_verdict_name(cr.verdict), c->cnic_index);
    return -KP_ERR_DENIED;
}

void http_desk_code(struct http_req *r)
{
    struct store_verification v;
    struct store_citizen c;
    struct http_code_req q;
    struct codes_result res;
    const char *reason;
    char office_name[260], actor[48];
    int64_t now = kp_time_s();
    int rc;

    if (http_auth(r) < 0 || desk_load(r, &v, &c) < 0 || desk_recheck(r, &v, &c, now) < 0)
        return;
    if (!verify_desk_allows((int)v.state, VERIFY_DESK_SEND_CODE)) {
        desk_refuse(r, 409, "conflict", "this verification is finished", c.cnic_index);
        return;
    }
    if (http_parse_code(r->body, r->body_len, &q, &reason) < 0 ||
        codes_purpose_label(q.purpose) == NULL) {
        desk_refuse(r, 400, "bad_request", "field purpose must be a known purpose code",
                    c.cnic_index);
        return;
    }
    if (http_simswap_holds(r, &v, &c)) /* a recent SIM swap holds the code */
        return;
    desk_office_name(r->api->d.st, v.office, office_name, sizeof(office_name));
    desk_actor(v.desk, actor);
    struct codes_request cr = {c.id, q.purpose, v.office, office_name, v.desk, NULL, actor};
    rc = codes_issue(r->api->d.codes, &cr, now, &res);
    if (rc == -KP_ERR_LIMIT) {
        char ra[24];
        snprintf(ra, sizeof(ra), "%lld", (long long)(res.until > now ? res.until - now : 1));
        evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", ra);
        desk_refuse(r, 429, "rate_limited", "too many codes for this citizen: wait", c.cnic_index);
        return;
    }
    if (rc == -KP_ERR_LOCKED) {
        desk_refuse_locked(r, c.cnic_index, res.until);
        return;
    }
    if (rc < 0) {
        desk_refuse(r, rc == -KP_ERR_DB ? 500 : 422, "no_code",
                    rc == -KP_ERR_NOTFOUND ? "the citizen has no registered number"
                                           : "a code cannot be sent to this citizen",
                    c.cnic_index);
        return;
    }
    struct verify_desk_step step = {.purpose = q.purpose};
    /* In the group commit: the code itself is already committed. */
    verify_desk_apply(r->api->d.st, &v, &c, VERIFY_DESK_SEND_CODE, &step, now);
    desk_count(r, &v);
    http_push_ask(r->api, &v, &c, office_name, q.purpose, now); /* if configured */
    http_reply_json(r, 202,
                    json_pack("{s:s, s:s, s:s, s:I}", "id", v.id, "state", "code_sent", "msisdn",
                              res.msisdn_masked, "expires_at", (json_int_t)res.expires_at));
}

/* codes_verify's answers about the code itself; anything else is a failure to check it. */
static int desk_verify_refusal(int rc)
{
    return rc == -KP_ERR_WRONG || rc == -KP_ERR_EXPIRED || rc == -KP_ERR_USED ||
           rc == -KP_ERR_LIMIT || rc == -KP_ERR_LOCKED || rc == -KP_ERR_NOTFOUND;
}

static const char *desk_verify_result(int rc)
{
    switch (rc) {
    case -KP_ERR_WRONG:
        return "wrong";
    case -KP_ERR_EXPIRED:
        return "expired";
    case -KP_ERR_USED:
        return "used";
    case -KP_ERR_LIMIT:
        return "dead";
    case -KP_ERR_LOCKED:
        return "locked";
    default:
        return "no_code";
    }
}

static enum receipt_bio desk_receipt_bio(enum http_biometric b)
{
    return b == HTTP_BIO_MATCH      ? RECEIPT_BIO_MATCH
           : b == HTTP_BIO_NO_MATCH ? RECEIPT_BIO_NO_MATCH
                                    : RECEIPT_BIO_NONE;
}

void http_desk_confirm(struct http_req *r)
{
    struct store_verification v;
    struct store_citizen c;
    struct http_confirm_req q;
    struct codes_result res;
    const char *reason;
    char actor[48], office_name[260], text[RECEIPT_TEXT_SIZE], rid[11], detail[128];
    int64_t now = kp_time_s();
    int rc;

    if (http_auth(r) < 0 || desk_load(r, &v, &c) < 0 || desk_recheck(r, &v, &c, now) < 0)
        return;
    if (!verify_desk_allows((int)v.state, VERIFY_DESK_CONFIRM_OK)) {
        desk_refuse(r, 409, "conflict",
                    v.state == STORE_VERIF_VERIFIED ? "this verification is already confirmed"
                                                    : "send a code first",
                    c.cnic_index);
        return;
    }
    if (http_parse_confirm(r->body, r->body_len, &q, &reason) < 0) {
        desk_refuse(r, 400, "bad_request", reason, c.cnic_index);
        return;
    }
    desk_actor(v.desk, actor);
    struct codes_request cr = {c.id, v.purpose, v.office, NULL, v.desk, NULL, actor};
    rc = codes_verify(r->api->d.codes, &cr, q.code, now, &res);
    sodium_memzero(q.code, sizeof(q.code));
    if (rc < 0 && !desk_verify_refusal(rc)) {
        /* The code could not be checked (the database failed): not a
           refusal, which would send the desk for a new code; 500, or 503
           while the database is away (http_reply_error). */
        http_reply_error(r, 500, "internal", "the code could not be checked");
        return;
    }
    if (rc < 0) {
        /* Locked out: the verification ends.  A code that can no longer be
           confirmed does not end it: a new one may be sent (the answer's
           state says so). */
        if (rc == -KP_ERR_LOCKED)
            desk_finish(r, &v, VERIFY_DESK_CONFIRM_DEAD, now);
        else if (rc == -KP_ERR_LIMIT || rc == -KP_ERR_EXPIRED ||
                 (rc == -KP_ERR_WRONG && res.tries_left == 0))
            desk_code_void(r, &v, now);
        json_t *b =
            json_pack("{s:s, s:s, s:s}", "error", "refused", "result", desk_verify_result(rc),
                      "state", store_verification_state_name(v.state));
        if (rc == -KP_ERR_WRONG)
            json_object_set_new(b, "tries_left", json_integer(res.tries_left));
        if (rc == -KP_ERR_LOCKED)
            json_object_set_new(b, "until", json_integer(res.until));
        snprintf(detail, sizeof(detail), "route=confirm result=%s", desk_verify_result(rc));
        desk_audit(r, "desk.refused", c.cnic_index, detail);
        http_reply_json(r, rc == -KP_ERR_LOCKED ? 423 : 422, b);
        return;
    }
    desk_office_name(r->api->d.st, v.office, office_name, sizeof(office_name));
    if (verify_desk_receipt(r->api->d.st, keys_ring_signer(r->api->d.keys), &v,
                            desk_receipt_bio(q.biometric), now, text, rid) < 0) {
        http_reply_error(r, 500, "internal", "cannot sign the receipt");
        return;
    }
    const char *bio = http_biometric_name(q.biometric);
    /* The purpose too: the citizen's "where was my identity used" reads it (verify_uses.h). */
    snprintf(detail, sizeof(detail), "verification=%.8s receipt=%s biometric=%s purpose=%s", v.id,
             rid, bio[0] ? bio : "none", v.purpose);
    struct verify_desk_step step = {.actor = actor,
                                    .detail = detail,
                                    .receipt_id = rid,
                                    .receipt = text,
                                    .biometric = bio,
                                    .office_name = office_name,
                                    .helpline = r->api->set.helpline};
    if (verify_desk_apply(r->api->d.st, &v, &c, VERIFY_DESK_CONFIRM_OK, &step, now) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return;
    }
    /* Departments subscribed to the purpose hear of it (issue 13), with this commit. */
    struct http_verified vf = {text, rid, office_name, bio};
    if (http_webhooks_verified(r->api, &v, c.cnic_index, &vf, now) < 0)
        log_warnx("http: verification %.8s: the departments' callbacks could not be queued", v.id);
    http_push_ask(r->api, &v, &c, office_name, NULL, now); /* "was this you?" */
    desk_count(r, &v);
    if (r->api->d.outbox)
        sms_outbox_kick(r->api->d.outbox);
    http_reply_json(r, 200,
                    json_pack("{s:s, s:s, s:s, s:s}", "id", v.id, "result", "verified", "receipt",
                              text, "receipt_id", rid));
}

void http_desk_get(struct http_req *r)
{
    struct store_verification v;
    struct store_citizen c;
    int64_t now = kp_time_s();

    if (http_auth(r) < 0 || desk_load(r, &v, &c) < 0)
        return;
    /* Shown as it is now, not as the last sweep left it. */
    if (verify_desk_overdue(&v, r->api->set.verification_ttl_s, now))
        desk_finish(r, &v, VERIFY_DESK_EXPIRE, now);
    http_reply_json(r, 200,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "id", v.id, "state",
                              store_verification_state_name(v.state), "office", v.office, "desk",
                              v.desk, "purpose", v.purpose, "receipt_id", v.receipt_id, "citizen",
                              desk_citizen_json(r->api->d.st, &c), "created_at",
                              (json_int_t)v.created_at, "updated_at", (json_int_t)v.updated_at));
}

/*
 * POST /v1/credentials/resume {"token": "..."}: the desk has checked in
 * person the holder of a card its citizen suspended (issue 15), and lifts
 * the suspension (credential.resumed, actor the desk).  The token is
 * verified in full first: only a card whose one fault is the suspension
 * is resumed (422 credential with the verdict otherwise; 409 when it is
 * not suspended).
 */
void http_desk_resume(struct http_req *r)
{
    struct http_scan_req q;
    struct verify_credential_result cr;
    const char *reason;
    char detail[96], actor[48], serial[STORE_CREDENTIAL_SERIAL_HEX];
    int64_t now = kp_time_s();
    int rc;

    if (http_auth(r) < 0)
        return;
    if (http_parse_scan(r->body, r->body_len, &q, &reason) < 0) {
        desk_refuse(r, 400, "bad_request", reason, NULL);
        return;
    }
    if (desk_token_verify(r, &q, now, &cr) < 0) {
        http_reply_error(r, 500, "internal", "store");
        return;
    }
    if (cr.verdict == VERIFY_CREDENTIAL_VALID) {
        desk_refuse(r, 409, "conflict", "this card is not suspended", cr.citizen.cnic_index);
        return;
    }
    if (cr.verdict != VERIFY_CREDENTIAL_SUSPENDED) {
        desk_refuse(r, 422, "credential", verify_credential_verdict_name(cr.verdict),
                    cr.found ? cr.citizen.cnic_index : NULL);
        return;
    }
    snprintf(detail, sizeof(detail), "staff=%s office=%s, checked in person", r->session.staff,
             r->session.office);
    desk_actor(r->session.desk, actor);
    rc = verify_credential_resume(r->api->d.st, cr.token.serial, detail, actor, now);
    if (rc < 0) {
        http_reply_error(r, 500, "internal", "store");
        return;
    }
    store_credential_serial_hex(cr.token.serial, serial);
    http_reply_json(r, 200, json_pack("{s:s, s:s}", "serial", serial, "status", "valid"));
}
