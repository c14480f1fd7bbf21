/* SPDX-License-Identifier: ISC */
/*
 * Server mode: listeners, accepting links, and binds from partners
 * (SMPP 3.4 §4.1): partner lookup, source address allowlist, bind count,
 * failed-bind rate limit per source address, and the password check, which
 * runs off the event loop (auth.c) unless this password was verified before.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <sodium.h>

#include "kpass/core/accept_guard.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"
#include "kpass/core/mem.h"
#include "kpass/core/worker.h"
#include "kpass/smpp/fsm.h"
#include "smpp_internal.h"

static struct kp_worker *server_worker(struct smpp_hub *h);

/* ---- admission: who may hold a connection that has not bound yet ---- */

/* The same host (the port aside). */
static int server_same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family)
        return 0;
    if (b->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (b->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return 0;
}

static int server_link_unbound(const struct smpp_link *l)
{
    return l->role == SMPP_ROLE_SMSC &&
           (l->state == SMPP_LINK_OPEN || l->state == SMPP_LINK_BINDING);
}

/* True when some enabled partner allows a bind from sa (the cached union
   of their allowlists; unknown yet: every address). */
static int server_addr_allowed(const struct smpp_hub *h, const struct sockaddr *sa)
{
    if (!h->allow_known || h->allow_any)
        return 1;
    for (int i = 0; i < h->nallow; i++)
        if (kp_cidr_match(&h->allow[i], sa))
            return 1;
    return 0;
}

void smpp_hub_refresh_allowlist(struct smpp_hub *h)
{
    struct kp_cidr *list = NULL;
    int any = 0, n;

    h->allow_ms = h->now_ms;
    if (h->ops.partner_allowlist == NULL)
        return;
    n = h->ops.partner_allowlist(h->ops.arg, &list, &any);
    if (n < 0) {
        free(list);
        return; /* the store failed: keep what was known */
    }
    free(h->allow);
    h->allow = list;
    h->nallow = n;
    h->allow_any = any;
    h->allow_known = 1;
}

/*
 * Make room for one more unbound connection from sa: beyond the caps per
 * address and in total, the oldest unbound connection (from that address,
 * or from any) that has not sent a bind is closed.  Bound links are never
 * touched, so a partner that connects and binds always gets in.  0, or -1
 * when every unbound slot is taken by a bind being checked.
 */
static int server_make_room(struct smpp_hub *h, const struct sockaddr *sa)
{
    struct smpp_link *l, *oldest_here = NULL, *oldest = NULL;
    unsigned here = 0, all = 0;

    TAILQ_FOREACH(l, &h->links, hub_entry)
    {
        int same;
        if (!server_link_unbound(l))
            continue;
        same = l->peerlen && server_same_host(&l->peer, sa);
        all++;
        here += same;
        if (l->state != SMPP_LINK_OPEN)
            continue;
        if (oldest == NULL)
            oldest = l;
        if (same && oldest_here == NULL)
            oldest_here = l;
    }
    if (here >= h->set.max_unbound_per_addr) {
        if (oldest_here == NULL)
            return -1;
        if (oldest == oldest_here)
            oldest = NULL;
        smpp_link_close(oldest_here, "unbound connections from this address at their cap");
        all--;
    }
    if (all >= h->set.max_unbound) {
        if (oldest == NULL)
            return -1;
        smpp_link_close(oldest, "unbound connections at their cap");
    }
    return 0;
}

static void server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                             int salen, void *arg)
{
    struct smpp_hub *h = arg;
    struct bufferevent *bev;
    char peer[64];
    int one = 1;

    (void)lev;
    h->now_ms = kp_clock_ms();
    if (!server_addr_allowed(h, sa)) {
        /* Debug only: whoever scans the port decides how often this happens. */
        h->stats.refused_addr++;
        log_debug("smpp: connection from %s refused: no enabled partner allows it",
                  kp_addr_ntop(sa, peer, sizeof(peer)));
        evutil_closesocket(fd);
        return;
    }
    if (server_make_room(h, sa) < 0) {
        h->stats.refused_full++;
        log_debug("smpp: connection from %s refused: unbound slots full of binds in progress",
                  kp_addr_ntop(sa, peer, sizeof(peer)));
        evutil_closesocket(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        evutil_closesocket(fd);
        return;
    }
    struct smpp_link *l = smpp_link_new(h, SMPP_ROLE_SMSC, bev, sa, (socklen_t)salen);
    log_debug("smpp: link %u accepted from %s", l->id, l->peer_text);
}

int smpp_hub_listen(struct smpp_hub *h, const struct kp_addr *addr)
{
    struct smpp_listener *sl;

    if (h->nlisteners == SMPP_HUB_MAX_LISTENERS)
        return -KP_ERR_LIMIT;
    sl = &h->listeners[h->nlisteners];
    sl->lev = evconnlistener_new_bind(h->base, server_accept_cb, h,
                                      LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 128,
                                      (const struct sockaddr *)&addr->ss, (int)addr->len);
    if (sl->lev == NULL)
        return -errno;
    kp_accept_guard_add(h->guard, sl->lev); /* out of descriptors: pause, shed, no spin */
    server_worker(h);                       /* the dummy hash is ready before the first bind */
    if (!h->allow_known)
        smpp_hub_refresh_allowlist(h);
    sl->addr = *addr;
    h->nlisteners++;
    log_info("smpp: listening on %s", addr->text);
    return 0;
}

void smpp_hub_stop_listening(struct smpp_hub *h)
{
    for (int i = 0; i < h->nlisteners; i++) {
        kp_accept_guard_remove(h->guard, h->listeners[i].lev);
        evconnlistener_free(h->listeners[i].lev);
        h->listeners[i].lev = NULL;
    }
    h->nlisteners = 0;
}

/*
 * Is the link's address past the failed-bind limit?  1 yes, 0 no, < 0 the
 * count is not known.  Counted outside (a cluster's nodes share it), the
 * attempt takes its place now and the link holds it until the bind ends:
 * binds tried at once on several nodes cannot all pass before any failed.
 */
static int server_failures_over(struct smpp_link *l)
{
    struct smpp_hub *h = l->hub;
    char addr[INET6_ADDRSTRLEN];
    unsigned n;

    if (h->ops.bind_failure_take == NULL)
        return smpp_failmap_blocked(h->failmap, (struct sockaddr *)&l->peer, h->now_ms);
    smpp_failmap_addr((struct sockaddr *)&l->peer, addr, sizeof(addr));
    if (h->ops.bind_failure_take(h->ops.arg, addr, h->now_ms, &n, &l->bind_place) < 0)
        return -KP_ERR_DB;
    return n > h->failmap->limit;
}

/* The bind ended: a failure that counts keeps its place (or is counted
   now, in memory); anything else gives the place back. */
static void server_failures_settle(struct smpp_link *l, int failed)
{
    struct smpp_hub *h = l->hub;
    char addr[INET6_ADDRSTRLEN];

    if (h->ops.bind_failure_take == NULL) {
        if (failed)
            smpp_failmap_record(h->failmap, (struct sockaddr *)&l->peer, h->now_ms);
        return;
    }
    if (l->bind_place && !failed && h->ops.bind_failure_give) {
        smpp_failmap_addr((struct sockaddr *)&l->peer, addr, sizeof(addr));
        h->ops.bind_failure_give(h->ops.arg, addr, l->bind_place);
    }
    l->bind_place = 0;
}

static void server_bind_fail(struct smpp_link *l, const struct smpp_pdu *bind, uint32_t status,
                             const char *why, int count)
{
    struct smpp_hub *h = l->hub;

    h->stats.binds_failed++;
    if (l->peerlen)
        server_failures_settle(l, count);
    /* The system_id is not a secret; the password is never logged. */
    log_info("smpp: link %u bind as '%s' from %s refused: %s (%s)", l->id, bind->bind.system_id,
             l->peer_text, why, smpp_status_name(status));
    smpp_link_refuse(l, bind->command_id, status, bind->sequence_number);
    smpp_link_enter_state(l, SMPP_LINK_OPEN);
    l->close_after_flush = 1;
    bufferevent_disable(l->bev, EV_READ);
}

static int server_peer_allowed(const struct smpp_link *l, const struct smpp_partner_conf *c)
{
    if (c->ncidrs == 0)
        return 1;
    for (int i = 0; i < c->ncidrs; i++)
        if (kp_cidr_match(&c->cidrs[i], (const struct sockaddr *)&l->peer))
            return 1;
    return 0;
}

/* Keyed hash of (partner, stored hash, password): remembers a verified
   password without keeping it, and forgets it when the stored hash changes. */
static void server_auth_tag(const struct smpp_hub *h, const struct smpp_partner_conf *c,
                            const char *password, uint8_t out[32])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, h->auth_key, sizeof(h->auth_key), 32);
    crypto_generichash_update(&st, (const uint8_t *)&c->id, sizeof(c->id));
    crypto_generichash_update(&st, (const uint8_t *)c->pwhash, strlen(c->pwhash) + 1);
    crypto_generichash_update(&st, (const uint8_t *)password, strlen(password));
    crypto_generichash_final(&st, out, 32);
}

/* A bind's password check, run by the worker thread.  A bind refused
   before its password is looked at (unknown system_id, partner disabled,
   address not allowed) still runs a check, against the hub's dummy hash,
   and is answered like a wrong password: neither the status nor the time
   tells which system_ids exist (kpassd(8), BIND REFUSALS). */
struct smpp_auth_job {
    struct smpp_link *link; /* NULL once the link closed (loop only) */
    struct smpp_pdu bind;   /* password wiped */
    uint8_t tag[32];
    char pwhash[128];
    const char *dummy; /* the hub's dummy hash, read in the thread; or NULL */
    const char *why;   /* refused whatever the check says, and why (for the log) */
    char password[9];  /* wiped by the thread after use */
    int ok;            /* written by the thread */
};

static void server_auth_run(void *arg)
{
    struct smpp_auth_job *j = arg;
    const char *hash = j->dummy ? j->dummy : j->pwhash;

    j->ok = crypto_pwhash_str_verify(hash, j->password, strlen(j->password)) == 0;
    if (j->why)
        j->ok = 0;
    sodium_memzero(j->password, sizeof(j->password));
}

static void server_auth_done_cb(void *arg)
{
    struct smpp_auth_job *j = arg;
    struct smpp_link *l = j->link;

    if (l != NULL) {
        l->auth_job = NULL;
        l->hub->now_ms = kp_clock_ms();
        if (j->why)
            server_bind_fail(l, &j->bind, SMPP_ESME_RINVPASWD, j->why, 1);
        else
            smpp_server_auth_done(l, &j->bind, j->ok, j->tag);
        if (l->state != SMPP_LINK_CLOSED && !l->close_after_flush)
            smpp_link_resume_read(l);
    }
    sodium_memzero(j, sizeof(*j));
    free(j);
}

/* The dummy hash: made once in the worker with the parameters `kpass
   partner add` uses, so that checking against it costs what a real check
   costs.  Jobs queued after it find it made (the worker runs in order). */
static void server_dummy_run(void *arg)
{
    struct smpp_hub *h = arg;
    char pw[16];

    randombytes_buf(pw, sizeof(pw));
    if (crypto_pwhash_str(h->dummy_hash, pw, sizeof(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        h->dummy_hash[0] = '\0'; /* verify then fails at once; logged by no one, rare */
    sodium_memzero(pw, sizeof(pw));
}

static void server_dummy_done(void *arg)
{
    (void)arg;
}

/* The worker, and the dummy hash queued first on it. */
static struct kp_worker *server_worker(struct smpp_hub *h)
{
    if (h->worker == NULL) {
        h->worker = kp_worker_new(h->base);
        kp_worker_submit(h->worker, server_dummy_run, server_dummy_done, h);
    }
    return h->worker;
}

/* Hand the bind's password check to the worker; PDUs behind it wait.
   why != NULL: refuse after checking against the dummy hash. */
static void server_auth_submit(struct smpp_link *l, const struct smpp_pdu *bind,
                               const struct smpp_partner_conf *conf, const uint8_t tag[32],
                               const char *why)
{
    struct smpp_hub *h = l->hub;
    struct kp_worker *w = server_worker(h);
    struct smpp_auth_job *j = kp_calloc(1, sizeof(*j));

    smpp_link_enter_state(l, SMPP_LINK_BINDING);
    bufferevent_disable(l->bev, EV_READ);
    j->link = l;
    j->bind = *bind;
    sodium_memzero(j->bind.bind.password, sizeof(j->bind.bind.password));
    if (tag)
        memcpy(j->tag, tag, sizeof(j->tag));
    if (why) {
        j->dummy = h->dummy_hash;
        j->why = why;
    } else {
        smpp_strlcpy(j->pwhash, sizeof(j->pwhash), conf->pwhash);
    }
    memcpy(j->password, bind->bind.password, sizeof(j->password));
    j->password[sizeof(j->password) - 1] = '\0';
    l->auth_job = j;
    kp_worker_submit(w, server_auth_run, server_auth_done_cb, j);
}

void smpp_server_auth_cancel(struct smpp_auth_job *job)
{
    job->link = NULL;
}

void smpp_server_bind(struct smpp_link *l, const struct smpp_pdu *bind)
{
    struct smpp_hub *h = l->hub;
    struct smpp_partner_conf conf;
    struct smpp_partner *p;
    const char *why = NULL;
    uint8_t tag[32];
    int rc;

    if (l->peerlen && (rc = server_failures_over(l)) != 0) {
        server_bind_fail(l, bind, rc < 0 ? SMPP_ESME_RSYSERR : SMPP_ESME_RBINDFAIL,
                         rc < 0 ? "failed-bind count unavailable"
                                : "too many failed binds from this address",
                         0);
        return;
    }
    memset(&conf, 0, sizeof(conf));
    rc = h->ops.partner_lookup ? h->ops.partner_lookup(h->ops.arg, bind->bind.system_id, &conf)
                               : -KP_ERR_NOTFOUND;
    if (rc < 0 && rc != -KP_ERR_NOTFOUND) {
        server_bind_fail(l, bind, SMPP_ESME_RSYSERR, "partner lookup failed", 0);
        return;
    }
    if (rc == -KP_ERR_NOTFOUND || conf.mode != SMPP_PARTNER_SERVER)
        why = "unknown system_id";
    else if (!conf.enabled)
        why = "partner disabled";
    else if (!server_peer_allowed(l, &conf))
        why = "source address not allowed";
    if (why != NULL) {
        server_auth_submit(l, bind, NULL, NULL, why);
        return;
    }
    /* Too many binds is told only after the password (smpp_server_auth_done):
       before it, it would tell that the system_id exists. */
    p = smpp_hub_partner_get(h, &conf);
    server_auth_tag(h, &conf, bind->bind.password, tag);
    if (p->auth_tag_valid && sodium_memcmp(tag, p->auth_tag, sizeof(tag)) == 0) {
        smpp_server_auth_done(l, bind, 1, tag);
        return;
    }
    server_auth_submit(l, bind, &conf, tag, NULL);
}

/* Links bound to us now (max_links counts these, not connections). */
static unsigned server_bound_links(const struct smpp_hub *h)
{
    const struct smpp_link *l;
    unsigned n = 0;

    TAILQ_FOREACH(l, &h->links, hub_entry)
    n += l->role == SMPP_ROLE_SMSC && l->partner != NULL;
    return n;
}

void smpp_server_auth_done(struct smpp_link *l, const struct smpp_pdu *bind, int ok,
                           const uint8_t tag[32])
{
    struct smpp_hub *h = l->hub;
    struct smpp_partner_conf conf;
    struct smpp_partner *p;
    struct smpp_pdu resp;

    /* Look the partner up again: it may have changed while the worker ran. */
    if (h->ops.partner_lookup(h->ops.arg, bind->bind.system_id, &conf) < 0 ||
        conf.mode != SMPP_PARTNER_SERVER || !conf.enabled || !server_peer_allowed(l, &conf)) {
        server_bind_fail(l, bind, SMPP_ESME_RINVPASWD, "partner changed during the bind", 1);
        goto out;
    }
    if (!ok) {
        server_bind_fail(l, bind, SMPP_ESME_RINVPASWD, "wrong password", 1);
        goto out;
    }
    p = smpp_hub_partner_get(h, &conf);
    if (p->nlinks >= conf.max_binds) {
        server_bind_fail(l, bind, SMPP_ESME_RBINDFAIL, "too many binds", 0);
        goto out;
    }
    if (server_bound_links(h) >= h->set.max_links) {
        server_bind_fail(l, bind, SMPP_ESME_RBINDFAIL, "max_links bound links reached", 0);
        goto out;
    }
    /* Remember the verified password only if the stored hash is still the one checked. */
    if (strcmp(conf.pwhash, p->conf.pwhash) == 0) {
        memcpy(p->auth_tag, tag, sizeof(p->auth_tag));
        p->auth_tag_valid = 1;
    }
    if (l->peerlen)
        server_failures_settle(l, 0);
    smpp_link_attach_partner(l, p);
    smpp_link_enter_state(l, smpp_fsm_bound_state(bind->command_id));
    smpp_pdu_init(&resp, smpp_resp_id(bind->command_id), bind->sequence_number);
    smpp_strlcpy(resp.bind.system_id, sizeof(resp.bind.system_id), h->set.system_id);
    /* SMPP 3.4 §5.3.2.25: tell the ESME which version we speak. */
    resp.tlv.present = SMPP_TLV_SC_INTERFACE_VERSION;
    resp.tlv.sc_interface_version = 0x34;
    smpp_link_write_pdu(l, &resp);
    h->stats.binds_ok++;
    log_info("smpp: link %u bound as %s (%s) from %s", l->id, conf.system_id,
             smpp_link_state_name(l->state), l->peer_text);
    if (h->ops.on_bound)
        h->ops.on_bound(h->ops.arg, l);
out:
    return;
}
