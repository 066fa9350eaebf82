/*
 * s3url_host.c - the AWS S3 host grammar: which host names are S3 endpoints,
 * which bucket and region they name, and S3's bucket naming rules.
 *
 * A host is [BUCKET.]ENDPOINT.amazonaws.com[.cn]. ENDPOINT is one to three
 * labels that always begin with an "s3" label, while no region label does,
 * so matching the endpoint from the right finds one split at most; whatever
 * is left of it is the (possibly dotted) bucket.
 */
#include "s3url_int.h"

#include <stdio.h>
#include <string.h>

struct label {
    const char *p;
    size_t n;
};

#define MAX_LABELS 128 /* a 253-byte host name has at most 127 */

/* What an endpoint says about the URLs addressed to it. */
struct endpoint {
    enum s3url_style style; /* S3URL_VIRTUAL, _ACCELERATE or _WEBSITE */
    const char *region;     /* NULL, or region bytes in the host */
    size_t region_len;
    const char *fixed_region; /* a region implied by the name */
    bool virtual_only;        /* no path-style form exists */
};

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool all_digits(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

static bool looks_like_ipv4(const char *b, size_t n)
{
    size_t start = 0, parts = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i == n || b[i] == '.') {
            if (!all_digits(b + start, i - start) || i - start > 3)
                return false;
            parts++;
            start = i + 1;
        }
    }
    return parts == 4;
}

static bool has_prefix(const char *p, size_t n, const char *pre)
{
    size_t k = strlen(pre);

    return n >= k && memcmp(p, pre, k) == 0;
}

static bool has_suffix(const char *p, size_t n, const char *suf)
{
    size_t k = strlen(suf);

    return n >= k && memcmp(p + n - k, suf, k) == 0;
}

bool s3url_bucket_valid(const char *b, size_t n, const char **why)
{
    *why = NULL;
    if (n < 3 || n > 63)
        *why = "must be 3 to 63 characters long";
    for (size_t i = 0; *why == NULL && i < n; i++) {
        if (!is_lower_alnum(b[i]) && b[i] != '.' && b[i] != '-')
            *why = "may hold only a-z, 0-9, '.' and '-'";
        else if (b[i] == '.' && i + 1 < n && b[i + 1] == '.')
            *why = "must not hold two adjacent dots";
    }
    if (*why != NULL)
        return false;
    if (!is_lower_alnum(b[0]) || !is_lower_alnum(b[n - 1]))
        *why = "must begin and end with a lower-case letter or digit";
    else if (looks_like_ipv4(b, n))
        *why = "must not look like an IP address";
    else if (has_prefix(b, n, "xn--") || has_prefix(b, n, "sthree-") ||
             has_suffix(b, n, "-s3alias") || has_suffix(b, n, "--ol-s3"))
        *why = "uses a prefix or suffix S3 reserves";
    return *why == NULL;
}

/* "us-east-1": two letters, one or more lower-case words, a number. */
bool s3url_region_valid(const char *r, size_t n)
{
    size_t start = 0, words = 0;

    if (n < 6 || n > 32)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && r[i] != '-')
            continue;
        if (words == 0 && i != 2)
            return false;
        if (i == n)
            return words >= 2 && all_digits(r + start, i - start) &&
                   i - start <= 2;
        for (size_t j = start; j < i; j++)
            if (r[j] < 'a' || r[j] > 'z')
                return false;
        if (i == start)
            return false;
        words++;
        start = i + 1;
    }
    return false;
}

static bool label_is(const struct label *l, const char *s)
{
    return l->n == strlen(s) && memcmp(l->p, s, l->n) == 0;
}

/* "s3-" PREFIX REGION in one label, e.g. s3-website-us-east-1. */
static bool dash_region(const struct label *l, const char *prefix,
                        struct endpoint *e)
{
    size_t k = strlen(prefix);

    if (l->n <= k || memcmp(l->p, prefix, k) != 0 ||
        !s3url_region_valid(l->p + k, l->n - k))
        return false;
    e->region = l->p + k;
    e->region_len = l->n - k;
    return true;
}

static bool set_region(const struct label *l, struct endpoint *e)
{
    if (!s3url_region_valid(l->p, l->n))
        return false;
    e->region = l->p;
    e->region_len = l->n;
    return true;
}

static bool match_one(const struct label *t, struct endpoint *e)
{
    if (label_is(&t[0], "s3"))
        return true;
    if (label_is(&t[0], "s3-external-1")) {
        e->fixed_region = "us-east-1";
        return true;
    }
    if (label_is(&t[0], "s3-accelerate")) {
        e->style = S3URL_ACCELERATE;
        e->virtual_only = true;
        return true;
    }
    if (dash_region(&t[0], "s3-website-", e)) {
        e->style = S3URL_WEBSITE;
        e->virtual_only = true;
        return true;
    }
    return dash_region(&t[0], "s3-fips-", e) || dash_region(&t[0], "s3-", e);
}

static bool match_two(const struct label *t, struct endpoint *e)
{
    if (label_is(&t[0], "s3-accelerate") && label_is(&t[1], "dualstack")) {
        e->style = S3URL_ACCELERATE;
        e->virtual_only = true;
        return true;
    }
    if (label_is(&t[0], "s3-website") && set_region(&t[1], e)) {
        e->style = S3URL_WEBSITE;
        e->virtual_only = true;
        return true;
    }
    return (label_is(&t[0], "s3") || label_is(&t[0], "s3-fips")) &&
           set_region(&t[1], e);
}

static bool match_three(const struct label *t, struct endpoint *e)
{
    return (label_is(&t[0], "s3") || label_is(&t[0], "s3-fips")) &&
           label_is(&t[1], "dualstack") && set_region(&t[2], e);
}

/* Finds the endpoint among the last labels; returns its label count. */
static size_t match_endpoint(const struct label *l, size_t count,
                             struct endpoint *e)
{
    for (size_t k = 1; k <= 3 && k <= count; k++) {
        const struct label *t = l + count - k;

        memset(e, 0, sizeof(*e));
        e->style = S3URL_VIRTUAL;
        if ((k == 1 && match_one(t, e)) || (k == 2 && match_two(t, e)) ||
            (k == 3 && match_three(t, e)))
            return k;
    }
    return 0;
}

static size_t split_labels(const char *p, size_t n, struct label *l)
{
    size_t count = 0, start = 0;

    for (size_t i = 0; i <= n && count < MAX_LABELS; i++) {
        if (i == n || p[i] == '.') {
            l[count].p = p + start;
            l[count].n = i - start;
            count++;
            start = i + 1;
        }
    }
    return count;
}

static enum s3url_reason external(struct s3url_result *out, const char *host,
                                  const char *what)
{
    s3url_quote(out->external_host, sizeof(out->external_host), host,
                strlen(host));
    return s3url_fail(out, S3URL_EXTERNAL, "%s: %s", what, out->external_host);
}

/* Length of host before ".amazonaws.com[.cn]", or -1 when not under it. */
static long aws_prefix_len(const char *host, size_t n)
{
    static const char *const suffixes[] = {".amazonaws.com",
                                           ".amazonaws.com.cn"};

    for (size_t i = 0; i < 2; i++)
        if (has_suffix(host, n, suffixes[i]))
            return (long)(n - strlen(suffixes[i]));
    return -1;
}

static enum s3url_reason take_bucket(struct s3url_result *out, const char *host,
                                     size_t n, const struct endpoint *e)
{
    const char *why;
    char shown[96];

    if (!s3url_bucket_valid(host, n, &why)) {
        s3url_quote(shown, sizeof(shown), host, n);
        return s3url_fail(out, S3URL_BAD_BUCKET, "bucket name '%s' %s", shown,
                          why);
    }
    /* Accelerate endpoints refuse dotted names (TLS wildcard rules). */
    if (e->style == S3URL_ACCELERATE && memchr(host, '.', n) != NULL) {
        s3url_quote(shown, sizeof(shown), host, n);
        return s3url_fail(out, S3URL_BAD_BUCKET,
                          "bucket name '%s' has dots, which transfer "
                          "acceleration does not allow",
                          shown);
    }
    memcpy(out->bucket, host, n);
    out->bucket[n] = '\0';
    return S3URL_OK;
}

enum s3url_reason s3url_aws_host(const char *host, struct s3url_result *out)
{
    struct label labels[MAX_LABELS];
    struct endpoint e;
    size_t n = strlen(host), count, k;
    long plen = aws_prefix_len(host, n);

    if (plen < 0)
        return external(out, host,
                        strstr(host, "amazonaws") != NULL
                            ? "lookalike host, not an AWS S3 endpoint"
                            : "external host, not S3");
    count = plen > 0 ? split_labels(host, (size_t)plen, labels) : 0;
    k = match_endpoint(labels, count, &e);
    if (k == 0)
        return external(out, host, "AWS host that is not an S3 endpoint");

    if (e.region != NULL)
        snprintf(out->region, sizeof(out->region), "%.*s", (int)e.region_len,
                 e.region);
    else if (e.fixed_region != NULL)
        snprintf(out->region, sizeof(out->region), "%s", e.fixed_region);
    out->style = e.style;
    if (k == count) {
        if (e.virtual_only)
            return s3url_fail(out, S3URL_BAD_BUCKET,
                              "%s endpoints need the bucket in the host name",
                              s3url_style_name(e.style));
        out->style = S3URL_PATH;
        return S3URL_OK;
    }
    /* The bucket is everything before the endpoint's first label. */
    return take_bucket(out, host, (size_t)(labels[count - k].p - host) - 1, &e);
}
