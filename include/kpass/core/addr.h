/* SPDX-License-Identifier: ISC */
/*
 * Numeric socket addresses ("127.0.0.1:2775", "[::1]:2775") and CIDR
 * blocks ("10.0.0.0/8", "2001:db8::/32") for listeners and partner
 * allowlists.  Pure parsing with inet_pton(3): no name resolution.
 */
#ifndef KPASS_ADDR_H
#define KPASS_ADDR_H

#include <stdint.h>
#include <sys/socket.h>

struct kp_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[64]; /* as written, normalised: "127.0.0.1:2775" */
};

struct kp_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t net[16];
    unsigned prefix;
};

/* Parse "host:port" with a numeric host; port 1..65535.  0 or -KP_ERR_PARSE. */
int kp_addr_parse(const char *s, struct kp_addr *out);
/* Parse "a.b.c.d/n", "a.b.c.d", "x::y/n" into *out.  0 or -KP_ERR_PARSE. */
int kp_cidr_parse(const char *s, struct kp_cidr *out);
/* Parse a comma- or space-separated CIDR list; at most max entries.
   Returns the count (0 for an empty list) or -KP_ERR_PARSE / -KP_ERR_TOOLONG. */
int kp_cidr_list_parse(const char *s, struct kp_cidr *out, int max);
/* True when sa (AF_INET, AF_INET6 or v4-mapped v6) lies inside c. */
int kp_cidr_match(const struct kp_cidr *c, const struct sockaddr *sa);
/* "1.2.3.4" or "::1" for a peer address, into buf (at least 48 bytes). */
const char *kp_addr_ntop(const struct sockaddr *sa, char *buf, size_t size);

#endif
