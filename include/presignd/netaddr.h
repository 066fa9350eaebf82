/*
 * netaddr.h - IP addresses, CIDR ranges and the client address behind
 * trusted reverse proxies.
 *
 * Pure: no I/O, no name resolution. Thread-safe.
 */
#ifndef PRESIGND_NETADDR_H
#define PRESIGND_NETADDR_H

#include "presignd/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define NETADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/* An address as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
struct netaddr {
    unsigned char bytes[16];
};

struct netaddr_cidr {
    struct netaddr base;
    unsigned prefix; /* 0..128, counted on the 16-byte form */
};

/* Parses a literal IPv4 or IPv6 address. */
PD_MUST_CHECK enum pd_code netaddr_parse(struct netaddr *out, const char *s);

/* Parses "ADDR" or "ADDR/PREFIX"; host bits must be zero. */
PD_MUST_CHECK enum pd_code
netaddr_cidr_parse(struct netaddr_cidr *out, const char *s, struct pd_err *err);

/* Converts a socket address (AF_INET or AF_INET6); PD_EINVAL otherwise. */
PD_MUST_CHECK enum pd_code netaddr_from_sockaddr(struct netaddr *out,
                                                 const struct sockaddr *sa);

bool netaddr_in_cidr(const struct netaddr *a, const struct netaddr_cidr *c);

/* Writes the usual text form (IPv4-mapped shown as a.b.c.d). */
void netaddr_format(const struct netaddr *a, char out[NETADDR_TEXT_MAX]);

/*
 * The client address of a request. When peer is inside one of the trusted
 * ranges and xff (the X-Forwarded-For value, may be NULL) is present, the
 * rightmost address in xff that is not itself trusted; otherwise the peer.
 * A malformed xff entry stops the walk and the last good address is kept.
 */
struct netaddr netaddr_client(const struct netaddr *peer, const char *xff,
                              const struct netaddr_cidr *trusted,
                              size_t trusted_count);

#endif
