/* netaddr.c - IP addresses, CIDR ranges, X-Forwarded-For (see netaddr.h). */
#include "presignd/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                                   0, 0, 0, 0, 0xff, 0xff};

enum pd_code netaddr_parse(struct netaddr *out, const char *s)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (inet_pton(AF_INET, s, &v4) == 1) {
        memcpy(out->bytes, v4_mapped_prefix, 12);
        memcpy(out->bytes + 12, &v4, 4);
        return PD_OK;
    }
    if (inet_pton(AF_INET6, s, &v6) == 1) {
        memcpy(out->bytes, &v6, 16);
        return PD_OK;
    }
    return PD_EINVAL;
}

static bool is_v4(const struct netaddr *a)
{
    return memcmp(a->bytes, v4_mapped_prefix, 12) == 0;
}

static bool host_bits_zero(const struct netaddr *a, unsigned prefix)
{
    for (unsigned bit = prefix; bit < 128; bit++)
        if (a->bytes[bit / 8] & (0x80u >> (bit % 8)))
            return false;
    return true;
}

enum pd_code netaddr_cidr_parse(struct netaddr_cidr *out, const char *s,
                                struct pd_err *err)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    char *end;
    long prefix;

    if (n == 0 || n >= sizeof(addr))
        return pd_fail(err, PD_EINVAL, "bad CIDR '%s'", s);
    memcpy(addr, s, n);
    addr[n] = '\0';
    if (netaddr_parse(&out->base, addr) != PD_OK)
        return pd_fail(err, PD_EINVAL, "bad address in CIDR '%s'", s);
    out->prefix = 128;
    if (slash == NULL)
        return PD_OK;
    prefix = strtol(slash + 1, &end, 10);
    if (slash[1] == '\0' || *end != '\0' || prefix < 0 ||
        prefix > (is_v4(&out->base) ? 32 : 128))
        return pd_fail(err, PD_EINVAL, "bad prefix length in CIDR '%s'", s);
    out->prefix = (unsigned)prefix + (is_v4(&out->base) ? 96 : 0);
    if (!host_bits_zero(&out->base, out->prefix))
        return pd_fail(err, PD_EINVAL, "CIDR '%s' has host bits set", s);
    return PD_OK;
}

enum pd_code netaddr_from_sockaddr(struct netaddr *out,
                                   const struct sockaddr *sa)
{
    if (sa == NULL)
        return PD_EINVAL;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(out->bytes, v4_mapped_prefix, 12);
        memcpy(out->bytes + 12, &in->sin_addr, 4);
        return PD_OK;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(out->bytes, &in6->sin6_addr, 16);
        return PD_OK;
    }
    return PD_EINVAL;
}

bool netaddr_in_cidr(const struct netaddr *a, const struct netaddr_cidr *c)
{
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    unsigned char mask;

    if (memcmp(a->bytes, c->base.bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    mask = (unsigned char)(0xffu << (8 - rest));
    return (a->bytes[full] & mask) == (c->base.bytes[full] & mask);
}

void netaddr_format(const struct netaddr *a, char out[NETADDR_TEXT_MAX])
{
    if (is_v4(a))
        inet_ntop(AF_INET, a->bytes + 12, out, NETADDR_TEXT_MAX);
    else
        inet_ntop(AF_INET6, a->bytes, out, NETADDR_TEXT_MAX);
}

static bool trusted_addr(const struct netaddr *a,
                         const struct netaddr_cidr *trusted, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (netaddr_in_cidr(a, &trusted[i]))
            return true;
    return false;
}

/* Parses the entry xff[start, end) with surrounding spaces trimmed. */
static bool parse_entry(const char *start, const char *end, struct netaddr *out)
{
    char tmp[64];

    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (end == start || (size_t)(end - start) >= sizeof(tmp))
        return false;
    memcpy(tmp, start, (size_t)(end - start));
    tmp[end - start] = '\0';
    return netaddr_parse(out, tmp) == PD_OK;
}

struct netaddr netaddr_client(const struct netaddr *peer, const char *xff,
                              const struct netaddr_cidr *trusted,
                              size_t trusted_count)
{
    struct netaddr client = *peer, hop;
    const char *end;

    if (xff == NULL || !trusted_addr(peer, trusted, trusted_count))
        return client;
    /* Walk right to left: each trusted hop vouches for the one before. */
    end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        if (!parse_entry(start, end, &hop))
            break;
        client = hop;
        if (!trusted_addr(&hop, trusted, trusted_count))
            break;
        end = start > xff ? start - 1 : xff;
    }
    return client;
}
