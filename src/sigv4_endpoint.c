/*
 * sigv4_endpoint.c - where a request goes: AWS and custom endpoints, bucket
 * name rules, and the choice between virtual-hosted and path-style
 * addressing.
 */
#include "sigv4_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum pd_code sigv4_addressing_parse(const char *s, enum sigv4_addressing *out,
                                    struct pd_err *err)
{
    if (s != NULL && strcmp(s, "auto") == 0)
        *out = SIGV4_ADDRESSING_AUTO;
    else if (s != NULL && strcmp(s, "virtual") == 0)
        *out = SIGV4_ADDRESSING_VIRTUAL;
    else if (s != NULL && strcmp(s, "path") == 0)
        *out = SIGV4_ADDRESSING_PATH;
    else
        return pd_fail(err, PD_EINVAL,
                       "invalid addressing '%.32s': expected auto, virtual "
                       "or path",
                       s == NULL ? "" : s);
    return PD_OK;
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static enum pd_code region_validate(const char *region, struct pd_err *err)
{
    size_t n = region == NULL ? 0 : strlen(region);

    if (n == 0)
        return pd_fail(err, PD_EINVAL, "region is empty");
    if (n >= SIGV4_REGION_MAX)
        return pd_fail(err, PD_EINVAL, "region is longer than %d characters",
                       SIGV4_REGION_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(region[i]) && region[i] != '-')
            return pd_fail(err, PD_EINVAL,
                           "invalid region '%.64s': only a-z, 0-9 and '-' "
                           "are allowed",
                           region);
    return PD_OK;
}

enum pd_code sigv4_endpoint_aws(struct sigv4_endpoint *out, const char *region,
                                bool dualstack, struct pd_err *err)
{
    enum pd_code rc = region_validate(region, err);
    /* The China partition has its own DNS suffix. */
    const char *suffix =
        strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";

    if (rc != PD_OK)
        return rc;
    memset(out, 0, sizeof(*out));
    out->https = true;
    snprintf(out->host, sizeof(out->host), "s3.%s%s.%s",
             dualstack ? "dualstack." : "", region, suffix);
    return PD_OK;
}

static bool is_host_char(char c)
{
    return is_lower_alnum(c) || c == '-' || c == '.' || c == '_';
}

/* Copies the host (lower-cased) of an authority; *p moves past it. */
static enum pd_code parse_host(struct sigv4_endpoint *out, const char **pp,
                               const char *end, struct pd_err *err)
{
    const char *h = *pp, *p = *pp;
    size_t n = 0;

    if (p < end && *p == '[') { /* IPv6 literal, kept with its brackets */
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (close == NULL)
            return pd_fail(err, PD_EINVAL,
                           "endpoint URL has an unclosed '[' in its host");
        p = close + 1;
    } else {
        while (p < end && *p != ':')
            p++;
    }
    if (p == h)
        return pd_fail(err, PD_EINVAL, "endpoint URL has no host");
    if ((size_t)(p - h) >= sizeof(out->host))
        return pd_fail(err, PD_EINVAL, "endpoint host is too long");
    for (const char *q = h; q < p; q++) {
        char c = (*q >= 'A' && *q <= 'Z') ? (char)(*q + 32) : *q;
        bool ok = h[0] == '['
                      ? (c == '[' || c == ']' || c == ':' || c == '.' ||
                         (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                      : is_host_char(c);
        if (!ok)
            return pd_fail(err, PD_EINVAL,
                           "endpoint host has an invalid character '%c'", *q);
        out->host[n++] = c;
    }
    out->host[n] = '\0';
    *pp = p;
    return PD_OK;
}

static enum pd_code parse_port(struct sigv4_endpoint *out, const char *p,
                               const char *end, struct pd_err *err)
{
    unsigned long port = 0;

    if (p == end)
        return PD_OK;
    if (*p != ':' || p + 1 == end || end - p > 6)
        return pd_fail(err, PD_EINVAL, "endpoint URL has an invalid port");
    for (p++; p < end; p++) {
        if (*p < '0' || *p > '9')
            return pd_fail(err, PD_EINVAL, "endpoint URL has an invalid port");
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port == 0 || port > 65535)
        return pd_fail(err, PD_EINVAL, "endpoint port %lu is out of range",
                       port);
    /* An explicit default port is neither signed nor shown. */
    if ((out->https && port == 443) || (!out->https && port == 80))
        port = 0;
    out->port = (unsigned)port;
    return PD_OK;
}

enum pd_code sigv4_endpoint_parse(struct sigv4_endpoint *out, const char *url,
                                  struct pd_err *err)
{
    const char *p, *end;

    memset(out, 0, sizeof(*out));
    out->custom = true;
    if (url == NULL || url[0] == '\0')
        return pd_fail(err, PD_EINVAL, "endpoint URL is empty");
    /* Checked first so a password never reaches an error message. */
    if (strchr(url, '@') != NULL)
        return pd_fail(err, PD_EINVAL,
                       "endpoint URL must not contain user information");
    if (strncasecmp(url, "https://", 8) == 0) {
        out->https = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else {
        return pd_fail(err, PD_EINVAL,
                       "endpoint URL '%.200s' must start "
                       "with http:// or https://",
                       url);
    }
    end = p + strcspn(p, "/?#");
    if (*end != '\0' && strcmp(end, "/") != 0)
        return pd_fail(err, PD_EINVAL,
                       "endpoint URL '%.200s' must not have "
                       "a path, query or fragment",
                       url);
    if (parse_host(out, &p, end, err) != PD_OK)
        return PD_EINVAL;
    return parse_port(out, p, end, err);
}

/* Four dot-separated runs of digits: S3 refuses such bucket names, and
 * an endpoint like that cannot take a bucket as a subdomain. */
static bool looks_like_ipv4(const char *s)
{
    int dots = 0, run = 0;

    for (; *s != '\0'; s++) {
        if (*s == '.') {
            if (run == 0)
                return false;
            dots++;
            run = 0;
        } else if (*s >= '0' && *s <= '9') {
            run++;
        } else {
            return false;
        }
    }
    return dots == 3 && run > 0;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);

    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

enum pd_code sigv4_bucket_validate(const char *b, struct pd_err *err)
{
    size_t n = b == NULL ? 0 : strlen(b);

    if (n == 0)
        return pd_fail(err, PD_EINVAL, "bucket name is empty");
    if (n < 3 || n > 63)
        return pd_fail(err, PD_EINVAL,
                       "bucket name '%.80s' must be 3 to 63 characters long",
                       b);
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(b[i]) && b[i] != '-' && b[i] != '.')
            return pd_fail(err, PD_EINVAL,
                           "bucket name '%.80s' may contain only lower-case "
                           "letters, digits, '.' and '-'",
                           b);
    if (!is_lower_alnum(b[0]) || !is_lower_alnum(b[n - 1]))
        return pd_fail(err, PD_EINVAL,
                       "bucket name '%s' must start and end with a letter "
                       "or digit",
                       b);
    if (strstr(b, "..") != NULL)
        return pd_fail(err, PD_EINVAL, "bucket name '%s' must not contain '..'",
                       b);
    if (looks_like_ipv4(b))
        return pd_fail(err, PD_EINVAL,
                       "bucket name '%s' must not look like an IP address", b);
    if (strncmp(b, "xn--", 4) == 0 || strncmp(b, "sthree-", 7) == 0 ||
        has_suffix(b, n, "-s3alias") || has_suffix(b, n, "--ol-s3") ||
        has_suffix(b, n, ".mrap"))
        return pd_fail(err, PD_EINVAL,
                       "bucket name '%s' uses a prefix or suffix S3 reserves",
                       b);
    return PD_OK;
}

/* Can the bucket be a DNS label sequence in front of the endpoint host? */
static bool virtual_ok(const struct sigv4_endpoint *e, const char *bucket,
                       bool strict_dots)
{
    if (e->host[0] == '[' || looks_like_ipv4(e->host))
        return false;
    if (strstr(bucket, ".-") != NULL || strstr(bucket, "-.") != NULL)
        return false;
    /* A dotted bucket breaks the *.s3 wildcard certificate under TLS. */
    return !(strict_dots && e->https && strchr(bucket, '.') != NULL);
}

enum pd_code sigv4_target_resolve(struct sigv4_target *t,
                                  const struct sigv4_endpoint *e,
                                  enum sigv4_addressing a, const char *bucket,
                                  struct pd_err *err)
{
    size_t blen = strlen(bucket), hlen = strlen(e->host);
    /* botocore and the AWS CLI choose path style for custom endpoints
     * under "auto": MinIO and Ceph RGW rarely have wildcard DNS. */
    bool virt = a == SIGV4_ADDRESSING_VIRTUAL ||
                (a == SIGV4_ADDRESSING_AUTO && !e->custom &&
                 virtual_ok(e, bucket, true));
    char *h = t->host;

    if (a == SIGV4_ADDRESSING_VIRTUAL && !virtual_ok(e, bucket, false))
        return pd_fail(err, PD_EINVAL,
                       "bucket '%s' cannot be addressed virtual-hosted at "
                       "%s (use path or auto addressing)",
                       bucket, e->host);
    if (hlen == 0)
        return pd_fail(err, PD_EINVAL, "endpoint has no host");
    if (virt) {
        memcpy(h, bucket, blen);
        h[blen] = '.';
        h += blen + 1;
        t->prefix_len = 0;
    } else {
        t->prefix[0] = '/';
        memcpy(t->prefix + 1, bucket, blen);
        t->prefix_len = blen + 1;
    }
    memcpy(h, e->host, hlen);
    h += hlen;
    if (e->port != 0) {
        *h++ = ':';
        h += sigv4_utoa(h, e->port);
    }
    *h = '\0';
    t->prefix[t->prefix_len] = '\0';
    t->host_len = (size_t)(h - t->host);
    return PD_OK;
}
