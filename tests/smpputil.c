/* SPDX-License-Identifier: ISC */
/*
 * A blocking SMPP peer for tests (see smpputil.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smpputil.h"
#include "testutil.h"

static int su_write_all(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int tu_smpp_send(int fd, const struct smpp_pdu *p)
{
    uint8_t buf[SMPP_PDU_MAX + 1];
    int n = smpp_pdu_encode(p, buf, sizeof(buf));

    return n < 0 ? -1 : su_write_all(fd, buf, (size_t)n);
}

int tu_smpp_send_hex(int fd, const char *hex)
{
    uint8_t buf[4096];
    int n = tu_hex(hex, buf, sizeof(buf));

    ck_assert_msg(n >= 0, "bad hex in test: %s", hex);
    /* Hand-written PDUs must say their own length, unless the length is the point. */
    if (n >= 4) {
        uint32_t len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | buf[2] << 8 | buf[3];
        ck_assert_msg(len == (uint32_t)n || len < 16 || len > SMPP_PDU_MAX,
                      "test PDU says %u octets, has %d: %s", len, n, hex);
    }
    return su_write_all(fd, buf, (size_t)n);
}

static long su_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read exactly n octets before deadline: 0, -1 timeout, -2 closed. */
static int su_read_all(int fd, uint8_t *b, size_t n, long deadline)
{
    while (n) {
        struct pollfd pf = {fd, POLLIN, 0};
        long left = deadline - su_ms();
        if (left <= 0)
            return -1;
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -2;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

int tu_smpp_recv(int fd, struct smpp_pdu *p, int timeout_ms)
{
    static uint8_t buf[SMPP_PDU_MAX + 1];
    long deadline = su_ms() + timeout_ms;
    struct smpp_hdr h;
    struct smpp_decode_error err;
    int rc, n;

    memset(p, 0, sizeof(*p));
    if ((rc = su_read_all(fd, buf, SMPP_HEADER_LEN, deadline)) < 0)
        return rc;
    n = smpp_frame_check(buf, SMPP_HEADER_LEN, &h);
    if (n < 0)
        return -3;
    if ((rc = su_read_all(fd, buf + SMPP_HEADER_LEN, (size_t)n - SMPP_HEADER_LEN, deadline)) < 0)
        return rc;
    return smpp_pdu_decode(buf, (size_t)n, p, &err) == 0 ? 0 : -3;
}

int tu_smpp_expect(int fd, uint32_t command_id, struct smpp_pdu *p, int timeout_ms)
{
    long deadline = su_ms() + timeout_ms;

    for (;;) {
        long left = deadline - su_ms();
        int rc = tu_smpp_recv(fd, p, left > 0 ? (int)left : 0);
        if (rc < 0 && rc != -3)
            return rc;
        if (p->command_id == command_id)
            return rc;
        if (p->command_id == SMPP_ENQUIRE_LINK) {
            struct smpp_pdu r;
            smpp_pdu_init(&r, SMPP_ENQUIRE_LINK_RESP, p->sequence_number);
            tu_smpp_send(fd, &r);
        }
    }
}

int tu_smpp_closed(int fd, int timeout_ms)
{
    long deadline = su_ms() + timeout_ms;
    uint8_t b[4096];

    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        long left = deadline - su_ms();
        if (left <= 0)
            return 0;
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        ssize_t r = read(fd, b, sizeof(b));
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return 1;
    }
}

int tu_smpp_bind(int port, uint32_t bind_cmd, const char *system_id, const char *password,
                 uint32_t *status)
{
    struct smpp_pdu p;
    int fd = tu_connect(port, 3000);

    if (fd < 0)
        return -1;
    smpp_pdu_init(&p, bind_cmd, 1);
    smpp_strlcpy(p.bind.system_id, sizeof(p.bind.system_id), system_id);
    smpp_strlcpy(p.bind.password, sizeof(p.bind.password), password);
    p.bind.interface_version = 0x34;
    if (tu_smpp_send(fd, &p) < 0 || tu_smpp_expect(fd, smpp_resp_id(bind_cmd), &p, 5000) < 0) {
        close(fd);
        return -1;
    }
    *status = p.command_status;
    return fd;
}
