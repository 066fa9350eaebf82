/*
 * s3url.c - legacy object URLs to (bucket, key): the entry point.
 *
 * Splits the URL with libcurl's URL API (dot segments kept, raw spaces
 * allowed), chooses who the host is (a configured CDN, a configured
 * endpoint, or AWS by the grammar in s3url_host.c), then takes the bucket
 * and key from the path (s3url_key.c) and the versionId from the query.
 * See s3url.h for the rules.
 */
#include "presignd/s3url.h"

#include "s3url_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The parts of an http(s) URL we use; curl owns the strings. */
struct url_parts {
    char *scheme;
    char *host;
    char *port;
    char *path;
    char *query;
    char host_lc[256]; /* lower case, no trailing dot */
    unsigned port_num; /* 0 when absent or the scheme's default */
};

const char *s3url_reason_name(enum s3url_reason r)
{
    static const char *const names[] = {
        "ok",         "empty",    "syntax",       "scheme",
        "userinfo",   "external", "no-key",       "bad-bucket",
        "bad-escape", "bad-utf8", "key-too-long",
    };

    if ((size_t)r < sizeof(names) / sizeof(names[0]))
        return names[r];
    return "unknown";
}

const char *s3url_style_name(enum s3url_style s)
{
    static const char *const names[] = {"virtual",    "path",    "s3-uri",
                                        "accelerate", "website", "cdn"};

    if ((size_t)s < sizeof(names) / sizeof(names[0]))
        return names[s];
    return "unknown";
}

static void parts_release(struct url_parts *p)
{
    curl_free(p->scheme);
    curl_free(p->host);
    curl_free(p->port);
    curl_free(p->path);
    curl_free(p->query);
}

/* A part curl may lack (user, port, query): NULL when absent. */
static CURLUcode get_optional(CURLU *u, CURLUPart part, char **out)
{
    CURLUcode rc = curl_url_get(u, part, out, 0);

    if (rc == CURLUE_OUT_OF_MEMORY)
        return rc;
    if (rc != CURLUE_OK)
        *out = NULL;
    return CURLUE_OK;
}

static enum s3url_reason check_userinfo(CURLU *u, struct s3url_result *out,
                                        CURLUcode *rc)
{
    char *user = NULL, *password = NULL;
    bool has;

    *rc = get_optional(u, CURLUPART_USER, &user);
    if (*rc == CURLUE_OK)
        *rc = get_optional(u, CURLUPART_PASSWORD, &password);
    has = user != NULL || password != NULL;
    curl_free(user);
    curl_free(password);
    if (*rc != CURLUE_OK)
        return S3URL_SYNTAX;
    if (has)
        return s3url_fail(out, S3URL_USERINFO,
                          "the URL carries user information before the host");
    return S3URL_OK;
}

/* Lower-cases the host, drops one trailing dot, and reads the port. */
static enum s3url_reason normalise_host(struct url_parts *p,
                                        struct s3url_result *out)
{
    size_t n = strlen(p->host);
    unsigned long port;

    if (n > 0 && p->host[n - 1] == '.')
        n--;
    if (n == 0 || n >= sizeof(p->host_lc))
        return s3url_fail(out, S3URL_SYNTAX, "the host name is %s",
                          n == 0 ? "empty" : "too long");
    for (size_t i = 0; i < n; i++) {
        char ch = p->host[i];

        p->host_lc[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    p->host_lc[n] = '\0';

    p->port_num = 0;
    if (p->port != NULL) {
        port = strtoul(p->port, NULL, 10); /* curl checked the digits */
        if (!(port == 443 && strcmp(p->scheme, "https") == 0) &&
            !(port == 80 && strcmp(p->scheme, "http") == 0))
            p->port_num = (unsigned)port;
    }
    return S3URL_OK;
}

static enum s3url_reason curl_failed(struct s3url_result *out, CURLUcode rc)
{
    return s3url_fail(out, S3URL_SYNTAX, "not a valid URL: %s",
                      curl_url_strerror(rc));
}

/*
 * Splits url into parts. Dot segments must survive: they are part of the
 * key to S3, so CURLU_PATH_AS_IS; apps stored raw spaces, so
 * CURLU_ALLOW_SPACE. Sets *nomem when curl ran out of memory.
 */
static enum s3url_reason split_url(const char *url, struct url_parts *p,
                                   struct s3url_result *out, bool *nomem)
{
    CURLU *u = curl_url();
    CURLUcode rc = CURLUE_OUT_OF_MEMORY;
    enum s3url_reason r = S3URL_SYNTAX;

    if (u == NULL)
        goto done;
    rc = curl_url_set(u, CURLUPART_URL, url,
                      CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE);
    if (rc != CURLUE_OK)
        goto done;
    r = check_userinfo(u, out, &rc);
    if (r != S3URL_OK || rc != CURLUE_OK)
        goto done;
    rc = curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_HOST, &p->host, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_PATH, &p->path, 0);
    if (rc == CURLUE_OK)
        rc = get_optional(u, CURLUPART_PORT, &p->port);
    if (rc == CURLUE_OK)
        rc = get_optional(u, CURLUPART_QUERY, &p->query);
    r = rc == CURLUE_OK ? normalise_host(p, out) : S3URL_SYNTAX;
done:
    curl_url_cleanup(u);
    *nomem = rc == CURLUE_OUT_OF_MEMORY;
    if (rc != CURLUE_OK && !*nomem)
        r = curl_failed(out, rc);
    return r;
}

static const struct s3url_cdn *find_cdn(const struct s3url_config *c,
                                        const struct url_parts *p)
{
    char hostport[272];

    if (p->port_num != 0)
        snprintf(hostport, sizeof(hostport), "%s:%u", p->host_lc, p->port_num);
    else
        snprintf(hostport, sizeof(hostport), "%s", p->host_lc);
    for (size_t i = 0; c != NULL && i < c->cdn_count; i++)
        if (strcmp(c->cdns[i].host, hostport) == 0)
            return &c->cdns[i];
    return NULL;
}

static const struct s3url_endpoint *find_endpoint(const struct s3url_config *c,
                                                  const struct url_parts *p)
{
    for (size_t i = 0; c != NULL && i < c->endpoint_count; i++) {
        const struct s3url_endpoint *e = &c->endpoints[i];

        if (strcmp(e->host, p->host_lc) == 0 && e->port == p->port_num)
            return e;
    }
    return NULL;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (src != NULL)
        snprintf(dst, cap, "%s", src);
}

/* Path-style: "/BUCKET/KEY..." */
static enum s3url_reason path_style(const char *path, struct s3url_result *out)
{
    const char *b = path + 1, *slash = strchr(b, '/');
    size_t n = slash != NULL ? (size_t)(slash - b) : strlen(b);
    const char *why;
    char shown[96];

    if (n == 0)
        return s3url_fail(out, S3URL_NO_KEY, "the path names no bucket");
    if (!s3url_bucket_valid(b, n, &why)) {
        s3url_quote(shown, sizeof(shown), b, n);
        return s3url_fail(out, S3URL_BAD_BUCKET, "bucket name '%s' %s", shown,
                          why);
    }
    memcpy(out->bucket, b, n);
    out->bucket[n] = '\0';
    if (slash == NULL)
        return s3url_fail(out, S3URL_NO_KEY, "the URL names no object key");
    return s3url_decode_key("", slash + 1, strlen(slash + 1), out);
}

static enum s3url_reason from_cdn(const struct s3url_cdn *cdn,
                                  const struct url_parts *p,
                                  struct s3url_result *out)
{
    out->style = S3URL_CDN;
    copy_str(out->bucket, sizeof(out->bucket), cdn->bucket);
    copy_str(out->region, sizeof(out->region), cdn->region);
    return s3url_decode_key(cdn->prefix, p->path + 1, strlen(p->path + 1), out);
}

static enum s3url_reason from_endpoint(const struct s3url_endpoint *e,
                                       const struct url_parts *p,
                                       struct s3url_result *out)
{
    out->style = S3URL_PATH;
    copy_str(out->endpoint, sizeof(out->endpoint), e->scheme_host_port);
    copy_str(out->region, sizeof(out->region), e->region);
    return path_style(p->path, out);
}

static enum s3url_reason from_aws(const struct url_parts *p,
                                  struct s3url_result *out)
{
    enum s3url_reason r = s3url_aws_host(p->host_lc, out);

    if (r != S3URL_OK)
        return r;
    /* AWS serves S3 on 80 and 443 only; anything else is someone else. */
    if (p->port_num != 0) {
        s3url_quote(out->external_host, sizeof(out->external_host), p->host_lc,
                    strlen(p->host_lc));
        return s3url_fail(out, S3URL_EXTERNAL,
                          "port %u is not an AWS S3 port: %s", p->port_num,
                          out->external_host);
    }
    if (out->style == S3URL_PATH)
        return path_style(p->path, out);
    return s3url_decode_key("", p->path + 1, strlen(p->path + 1), out);
}

/*
 * Finds versionId=VALUE in a query of '&'-separated parameters. The value
 * is %XX-decoded; a raw '+' stays a plus because S3 version ids may hold
 * '+' but never a space. Every other parameter is stale and dropped.
 */
static enum s3url_reason find_version_id(const char *q,
                                         struct s3url_result *out)
{
    static const char name[] = "versionId=";
    size_t nl = sizeof(name) - 1;
    bool seen = false;

    for (const char *s = q; s != NULL && *s != '\0';) {
        const char *end = strchr(s, '&');
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

        if (n >= nl && memcmp(s, name, nl) == 0) {
            enum s3url_reason r;

            if (seen)
                return s3url_fail(out, S3URL_SYNTAX,
                                  "the query holds more than one versionId");
            seen = true;
            r = s3url_decode_version(s + nl, n - nl, out);
            if (r != S3URL_OK)
                return r;
        }
        s = end != NULL ? end + 1 : NULL;
    }
    return S3URL_OK;
}

static enum s3url_reason parse_http(const struct s3url_config *c,
                                    const char *url, struct s3url_result *out,
                                    bool *nomem)
{
    struct url_parts p;
    const struct s3url_cdn *cdn;
    const struct s3url_endpoint *e;
    enum s3url_reason r;

    memset(&p, 0, sizeof(p));
    r = split_url(url, &p, out, nomem);
    if (r != S3URL_OK)
        goto done;
    if ((cdn = find_cdn(c, &p)) != NULL)
        r = from_cdn(cdn, &p, out);
    else if ((e = find_endpoint(c, &p)) != NULL)
        r = from_endpoint(e, &p, out);
    else
        r = from_aws(&p, out);
    if (r == S3URL_OK)
        r = find_version_id(p.query, out);
done:
    parts_release(&p);
    return r;
}

/* s3://BUCKET/KEY as the AWS CLI writes it: the key is literal. */
static enum s3url_reason parse_s3_uri(const char *uri, size_t n,
                                      struct s3url_result *out)
{
    const char *b = uri + 5, *slash = memchr(b, '/', n - 5);
    size_t bn = slash != NULL ? (size_t)(slash - b) : n - 5;
    const char *why;
    char shown[96];

    out->style = S3URL_S3_URI;
    if (!s3url_bucket_valid(b, bn, &why)) {
        s3url_quote(shown, sizeof(shown), b, bn);
        return s3url_fail(out, S3URL_BAD_BUCKET, "bucket name '%s' %s", shown,
                          why);
    }
    memcpy(out->bucket, b, bn);
    out->bucket[bn] = '\0';
    if (slash == NULL)
        return s3url_fail(out, S3URL_NO_KEY, "the URL names no object key");
    return s3url_literal_key(slash + 1, (size_t)(uri + n - slash - 1), out);
}

static bool is_scheme_char(char ch, bool first)
{
    char lower = (char)(ch | 0x20);

    if (lower >= 'a' && lower <= 'z')
        return true;
    return !first &&
           ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.');
}

/* Length of an RFC 3986 scheme at the start of s, 0 when there is none. */
static size_t scheme_len(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && is_scheme_char(s[i], i == 0))
        i++;
    return i > 0 && i < n && s[i] == ':' ? i : 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool scheme_is(const char *s, size_t k, const char *name)
{
    return k == strlen(name) && strncasecmp(s, name, k) == 0;
}

/* Reads s[0..n) as http(s) via a trimmed, NUL-terminated copy; a
 * scheme-relative "//host/..." (k == 0) is read as https. */
static enum s3url_reason http_copy(const struct s3url_config *c, const char *s,
                                   size_t n, size_t k, struct s3url_result *out,
                                   bool *nomem)
{
    const char *auth = k == 0 ? s + 2 : s + k + 3;
    char *copy;
    enum s3url_reason r;

    /* curl reads "https:///x" as host x; an empty authority is no URL. */
    if (auth >= s + n || *auth == '/' || *auth == '?' || *auth == '#')
        return s3url_fail(out, S3URL_SYNTAX, "the URL has no host");
    copy = malloc(n + 7);
    if (copy == NULL) {
        *nomem = true;
        return S3URL_SYNTAX;
    }
    snprintf(copy, n + 7, "%s%.*s", k == 0 ? "https:" : "", (int)n, s);
    r = parse_http(c, copy, out, nomem);
    free(copy);
    return r;
}

static enum s3url_reason dispatch(const struct s3url_config *c, const char *s,
                                  size_t n, struct s3url_result *out,
                                  bool *nomem)
{
    size_t k = scheme_len(s, n);
    bool slashes = n >= k + 3 && s[k + 1] == '/' && s[k + 2] == '/';
    char shown[40];

    if (k == 0 && n > 2 && s[0] == '/' && s[1] == '/')
        return http_copy(c, s, n, 0, out, nomem);
    if (k == 0)
        return s3url_fail(out, S3URL_SYNTAX, "not an absolute URL");
    if (scheme_is(s, k, "s3") && slashes)
        return parse_s3_uri(s, n, out);
    if (scheme_is(s, k, "s3"))
        return s3url_fail(out, S3URL_SYNTAX, "an s3 URI is s3://BUCKET/KEY");
    if (!scheme_is(s, k, "http") && !scheme_is(s, k, "https")) {
        s3url_quote(shown, sizeof(shown), s, k);
        return s3url_fail(out, S3URL_SCHEME,
                          "scheme '%s' is not http, https or s3", shown);
    }
    if (!slashes)
        return s3url_fail(out, S3URL_SYNTAX, "the URL has no host");
    return http_copy(c, s, n, k, out, nomem);
}

enum pd_code s3url_parse(const struct s3url_config *c, const char *url,
                         struct s3url_result *out)
{
    size_t n;
    bool nomem = false;

    memset(out, 0, sizeof(*out));
    if (url == NULL) {
        s3url_fail(out, S3URL_EMPTY, "no URL (NULL)");
        return PD_EINVAL;
    }
    while (is_blank(*url))
        url++;
    n = strlen(url);
    while (n > 0 && is_blank(url[n - 1]))
        n--;
    if (n == 0)
        s3url_fail(out, S3URL_EMPTY, "the URL is empty");
    else if (n > S3URL_URL_MAX)
        s3url_fail(out, S3URL_SYNTAX, "the URL is longer than %d bytes",
                   S3URL_URL_MAX);
    else
        dispatch(c, url, n, out, &nomem);

    if (nomem) {
        memset(out, 0, sizeof(*out));
        s3url_fail(out, S3URL_SYNTAX, "out of memory");
        return PD_ENOMEM;
    }
    return out->reason == S3URL_OK ? PD_OK : PD_EINVAL;
}
