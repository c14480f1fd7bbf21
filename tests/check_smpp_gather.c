/* SPDX-License-Identifier: ISC */
/*
 * smpp: gathered output (smpp_hub_gather).  kpassd's replies must not
 * reach a socket before the pass's commit, and then leave in one write:
 * a link over a socketpair, PDUs written, nothing readable on the other end
 * until smpp_hub_flush, then all of them in order; a link that closes after
 * its last response closes at the flush; a closed link's output is dropped.
 * A failed pass (smpp_hub_abort, the database away): its responses to
 * submit_sm/deliver_sm/data_sm become ESME_RTHROTTLED, the deliver_sm we
 * sent is withdrawn (its callback told, its window slot free), and
 * enquire_link_resp leaves as it was.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "../src/smpp/smpp_internal.h"
#include "kpass/core/err.h"
#include "kpass/smpp/pdu.h"

struct gather_fx {
    struct event_base *base;
    struct smpp_hub *hub;
    struct smpp_link *link;
    int peer; /* the other end of the socketpair */
};

static void gather_setup(struct gather_fx *f)
{
    struct smpp_settings set;
    struct smpp_ops ops;
    struct bufferevent *bev;
    int sv[2];

    memset(&set, 0, sizeof(set));
    memset(&ops, 0, sizeof(ops));
    set.window = 8;
    f->base = event_base_new();
    ck_assert_ptr_nonnull(f->base);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    evutil_make_socket_nonblocking(sv[0]);
    evutil_make_socket_nonblocking(sv[1]);
    f->hub = smpp_hub_new(f->base, &set, &ops);
    bev = bufferevent_socket_new(f->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    f->link = smpp_link_new(f->hub, SMPP_ROLE_SMSC, bev, NULL, 0);
    f->peer = sv[1];
    smpp_hub_gather(f->hub, 1);
}

static void gather_teardown(struct gather_fx *f)
{
    smpp_hub_free(f->hub);
    event_base_free(f->base);
    close(f->peer);
}

/* What the peer can read now, without waiting. */
static ssize_t gather_read(struct gather_fx *f, uint8_t *buf, size_t cap)
{
    return recv(f->peer, buf, cap, MSG_DONTWAIT);
}

START_TEST(test_gather_until_flush)
{
    struct gather_fx f;
    uint8_t buf[256];
    ssize_t n;

    gather_setup(&f);
    for (uint32_t seq = 1; seq <= 3; seq++)
        smpp_link_write_header(f.link, SMPP_ENQUIRE_LINK_RESP, 0, seq);
    /* Even a turn of the loop sends nothing before the flush. */
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    n = gather_read(&f, buf, sizeof(buf));
    ck_assert_int_eq(n, -1);
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
    smpp_hub_flush(f.hub);
    n = gather_read(&f, buf, sizeof(buf));
    ck_assert_int_eq(n, 3 * SMPP_HEADER_LEN);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(buf[i * 16 + 4], 0x80);
        ck_assert_uint_eq(buf[i * 16 + 15], (unsigned)(i + 1)); /* in order */
    }
    /* Flushed: nothing more, and a second flush writes nothing. */
    smpp_hub_flush(f.hub);
    ck_assert_int_eq(gather_read(&f, buf, sizeof(buf)), -1);
    gather_teardown(&f);
}
END_TEST

START_TEST(test_gather_close_after_flush)
{
    struct gather_fx f;
    uint8_t buf[64];

    gather_setup(&f);
    smpp_link_write_header(f.link, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, 9);
    f.link->close_after_flush = 1;
    ck_assert_int_ne(smpp_link_state(f.link), SMPP_LINK_CLOSED);
    smpp_hub_flush(f.hub);
    ck_assert_int_eq(gather_read(&f, buf, sizeof(buf)), SMPP_HEADER_LEN);
    ck_assert_int_eq(smpp_link_state(f.link), SMPP_LINK_CLOSED);
    gather_teardown(&f);
}
END_TEST

START_TEST(test_gather_closed_link)
{
    struct gather_fx f;
    uint8_t buf[64];

    gather_setup(&f);
    smpp_link_write_header(f.link, SMPP_ENQUIRE_LINK_RESP, 0, 1);
    smpp_link_close(f.link, "test");
    smpp_hub_flush(f.hub); /* the link is off the queue: nothing, no crash */
    ck_assert_int_eq(smpp_hub_link_count(f.hub), 0);
    ck_assert_int_le(gather_read(&f, buf, sizeof(buf)), 0);
    gather_teardown(&f);
}
END_TEST

START_TEST(test_gather_off)
{
    struct gather_fx f;
    uint8_t buf[64];

    gather_setup(&f);
    smpp_hub_gather(f.hub, 0);
    smpp_link_write_header(f.link, SMPP_ENQUIRE_LINK_RESP, 0, 1);
    /* Off: the bufferevent sends it on the next turn of the loop. */
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    ck_assert_int_eq(gather_read(&f, buf, sizeof(buf)), SMPP_HEADER_LEN);
    gather_teardown(&f);
}
END_TEST

static void abort_sent_cb(struct smpp_link *l, const struct smpp_pdu *resp, int err, void *arg)
{
    (void)l;
    ck_assert_ptr_null(resp);
    *(int *)arg = err;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

START_TEST(test_gather_abort)
{
    struct gather_fx f;
    struct smpp_pdu r, mt;
    uint8_t buf[1024];
    ssize_t n;
    size_t at = 0;
    int told = 1, npdu = 0;
    const uint32_t want_cmd[] = {SMPP_ENQUIRE_LINK_RESP, SMPP_DELIVER_SM_RESP, SMPP_SUBMIT_SM_RESP};
    const uint32_t want_status[] = {0, SMPP_ESME_RTHROTTLED, SMPP_ESME_RTHROTTLED};

    gather_setup(&f);
    f.link->state = SMPP_LINK_BOUND_TRX;
    smpp_link_write_header(f.link, SMPP_ENQUIRE_LINK_RESP, 0, 1);
    smpp_pdu_init(&r, SMPP_DELIVER_SM_RESP, 2);
    ck_assert_int_eq(smpp_link_write_pdu(f.link, &r), 0);
    smpp_pdu_init(&mt, SMPP_DELIVER_SM, 0); /* a screen of the pass */
    strcpy(mt.sm.source_addr, "789");
    strcpy(mt.sm.destination_addr, "923001234567");
    mt.sm.sm_length = 2;
    memcpy(mt.sm.short_message, "hi", 2);
    ck_assert_int_eq(smpp_link_send(f.link, &mt, abort_sent_cb, &told), 0);
    ck_assert_uint_eq(f.link->outstanding, 1);
    smpp_pdu_init(&r, SMPP_SUBMIT_SM_RESP, 3);
    strcpy(r.message_id, "m3");
    ck_assert_int_eq(smpp_link_write_pdu(f.link, &r), 0);

    ck_assert_uint_eq(smpp_hub_abort(f.hub, SMPP_ESME_RTHROTTLED), 2);
    ck_assert_int_eq(told, -KP_ERR_CLOSED);
    ck_assert_uint_eq(f.link->outstanding, 0);
    smpp_hub_flush(f.hub);
    n = gather_read(&f, buf, sizeof(buf));
    ck_assert_int_gt(n, 0);
    while (at + SMPP_HEADER_LEN <= (size_t)n) {
        uint32_t len = be32(buf + at);
        ck_assert_int_lt(npdu, 3);
        ck_assert_uint_eq(be32(buf + at + 4), want_cmd[npdu]);
        ck_assert_uint_eq(be32(buf + at + 8), want_status[npdu]);
        ck_assert_uint_eq(be32(buf + at + 12), (uint32_t)npdu + 1);
        at += len;
        npdu++;
    }
    ck_assert_int_eq(npdu, 3); /* and no deliver_sm */
    ck_assert_uint_eq(at, (size_t)n);
    gather_teardown(&f);
}
END_TEST

Suite *suite_smpp_gather(void);
Suite *suite_smpp_gather(void)
{
    Suite *s = suite_create("smpp_gather");
    TCase *tc = tcase_create("gather");

    tcase_add_test(tc, test_gather_until_flush);
    tcase_add_test(tc, test_gather_close_after_flush);
    tcase_add_test(tc, test_gather_closed_link);
    tcase_add_test(tc, test_gather_off);
    tcase_add_test(tc, test_gather_abort);
    suite_add_tcase(s, tc);
    return s;
}
