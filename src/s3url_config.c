/*
 * s3url_config.c - what the URL parser knows beyond AWS: custom S3-compatible
 * endpoints ("URL[@REGION]") and CDN hosts ("HOST=BUCKET[/PREFIX][@REGION]"),
 * from flags or from PRESIGND_S3_ENDPOINTS / PRESIGND_CDNS.
 */
#include "presignd/s3url.h"

#include "s3url_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void s3url_config_init(struct s3url_config *c)
{
    memset(c, 0, sizeof(*c));
}

static void endpoint_release(struct s3url_endpoint *e)
{
    free(e->scheme_host_port);
    free(e->region);
    free(e->host);
    memset(e, 0, sizeof(*e));
}

static void cdn_release(struct s3url_cdn *d)
{
    free(d->host);
    free(d->bucket);
    free(d->prefix);
    free(d->region);
    memset(d, 0, sizeof(*d));
}

void s3url_config_release(struct s3url_config *c)
{
    for (size_t i = 0; i < c->endpoint_count; i++)
        endpoint_release(&c->endpoints[i]);
    for (size_t i = 0; i < c->cdn_count; i++)
        cdn_release(&c->cdns[i]);
    s3url_config_init(c);
}

/* Custom stores name regions freely ("default", "us-east-1"). */
static bool config_region_valid(const char *r)
{
    size_t n = strlen(r);

    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = r[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

static char *dup_range(const char *p, size_t n)
{
    char *s = malloc(n + 1);

    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/*
 * Splits "...@REGION" off spec: *body_len is the length before the last
 * '@' (or all of it); *region is a new string or NULL. Returns PD_ECONFIG
 * for an invalid region.
 */
static enum pd_code split_region(const char *spec, size_t *body_len,
                                 char **region, struct pd_err *err)
{
    const char *at = strrchr(spec, '@');

    *region = NULL;
    *body_len = strlen(spec);
    if (at == NULL)
        return PD_OK;
    if (!config_region_valid(at + 1))
        return pd_fail(err, PD_ECONFIG,
                       "'%s' is not a region name (1-63 of A-Z a-z 0-9 - _)",
                       at + 1);
    *body_len = (size_t)(at - spec);
    *region = dup_range(at + 1, strlen(at + 1));
    return *region == NULL ? PD_ENOMEM : PD_OK;
}

static void lower(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

/* 0 for no port or the scheme's default one. */
static unsigned effective_port(const char *scheme, const char *port)
{
    unsigned long n = port != NULL ? strtoul(port, NULL, 10) : 0;

    if ((n == 80 && strcmp(scheme, "http") == 0) ||
        (n == 443 && strcmp(scheme, "https") == 0))
        return 0;
    return (unsigned)n;
}

struct url_bits {
    char *scheme, *user, *password, *host, *port, *path, *query, *fragment;
};

static void url_bits_release(struct url_bits *b)
{
    curl_free(b->scheme);
    curl_free(b->user);
    curl_free(b->password);
    curl_free(b->host);
    curl_free(b->port);
    curl_free(b->path);
    curl_free(b->query);
    curl_free(b->fragment);
}

static enum pd_code split_endpoint_url(const char *url, struct url_bits *b,
                                       struct pd_err *err)
{
    CURLU *u = curl_url();
    CURLUcode rc;
    enum pd_code code = PD_ENOMEM;

    /* Checked first: curl would guess or complain in its own words. */
    if (strncasecmp(url, "http://", 7) != 0 &&
        strncasecmp(url, "https://", 8) != 0) {
        code = pd_fail(err, PD_ECONFIG,
                       "endpoint '%s' is not an http:// or https:// URL", url);
        goto done;
    }
    if (u == NULL)
        goto done;
    rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc != CURLUE_OK) {
        code = rc == CURLUE_OUT_OF_MEMORY
                   ? PD_ENOMEM
                   : pd_fail(err, PD_ECONFIG, "'%s' is not a URL: %s", url,
                             curl_url_strerror(rc));
        goto done;
    }
    /* Absent parts stay NULL; they are checked by the caller. */
    (void)curl_url_get(u, CURLUPART_SCHEME, &b->scheme, 0);
    (void)curl_url_get(u, CURLUPART_USER, &b->user, 0);
    (void)curl_url_get(u, CURLUPART_PASSWORD, &b->password, 0);
    (void)curl_url_get(u, CURLUPART_HOST, &b->host, 0);
    (void)curl_url_get(u, CURLUPART_PORT, &b->port, 0);
    (void)curl_url_get(u, CURLUPART_PATH, &b->path, 0);
    (void)curl_url_get(u, CURLUPART_QUERY, &b->query, 0);
    (void)curl_url_get(u, CURLUPART_FRAGMENT, &b->fragment, 0);
    code = b->scheme != NULL && b->host != NULL && b->path != NULL ? PD_OK
                                                                   : PD_ENOMEM;
done:
    curl_url_cleanup(u);
    return code;
}

static enum pd_code check_endpoint_bits(const char *url,
                                        const struct url_bits *b,
                                        struct pd_err *err)
{
    if (b->user != NULL || b->password != NULL)
        return pd_fail(err, PD_ECONFIG,
                       "endpoint '%s' must not carry user information", url);
    if (strcmp(b->path, "/") != 0 || b->query != NULL || b->fragment != NULL)
        return pd_fail(err, PD_ECONFIG,
                       "endpoint '%s' must have no path, query or fragment",
                       url);
    /* Hosts are compared byte for byte and printed in JSON: ASCII only. */
    for (const char *h = b->host; *h != '\0'; h++)
        if (*h <= 0x20 || *h >= 0x7f)
            return pd_fail(err, PD_ECONFIG,
                           "endpoint host must be ASCII (use punycode)");
    return PD_OK;
}

/* Fills e from a checked URL; strings are new. */
static enum pd_code fill_endpoint(struct s3url_endpoint *e,
                                  const struct url_bits *b)
{
    size_t n = strlen(b->host), cap;

    if (n > 1 && b->host[n - 1] == '.')
        n--;
    e->host = dup_range(b->host, n);
    if (e->host == NULL)
        return PD_ENOMEM;
    lower(e->host);
    e->port = effective_port(b->scheme, b->port);
    cap = strlen(b->scheme) + n + 16;
    e->scheme_host_port = malloc(cap);
    if (e->scheme_host_port == NULL)
        return PD_ENOMEM;
    if (e->port != 0)
        snprintf(e->scheme_host_port, cap, "%s://%s:%u", b->scheme, e->host,
                 e->port);
    else
        snprintf(e->scheme_host_port, cap, "%s://%s", b->scheme, e->host);
    return PD_OK;
}

/* The endpoint already declared for e's host and port, or NULL. */
static struct s3url_endpoint *endpoint_find(struct s3url_config *c,
                                            const struct s3url_endpoint *e)
{
    for (size_t i = 0; i < c->endpoint_count; i++)
        if (strcmp(c->endpoints[i].host, e->host) == 0 &&
            c->endpoints[i].port == e->port)
            return &c->endpoints[i];
    return NULL;
}

/*
 * The same endpoint may reach one command twice (its own --endpoint and
 * PRESIGND_S3_ENDPOINTS, say): that is one declaration, and a region given
 * either time is kept. Only two different regions for it are a conflict.
 */
static enum pd_code endpoint_merge(struct s3url_endpoint *known,
                                   struct s3url_endpoint *e, const char *url,
                                   struct pd_err *err)
{
    if (e->region == NULL)
        return PD_OK;
    if (known->region == NULL) {
        known->region = e->region;
        e->region = NULL;
        return PD_OK;
    }
    if (strcmp(known->region, e->region) == 0)
        return PD_OK;
    return pd_fail(err, PD_ECONFIG,
                   "endpoint '%s' is given twice, with regions '%s' and '%s'",
                   url, known->region, e->region);
}

enum pd_code s3url_config_add_endpoint(struct s3url_config *c, const char *spec,
                                       struct pd_err *err)
{
    struct s3url_endpoint e, *known;
    struct url_bits b;
    char *url = NULL;
    size_t n;
    enum pd_code rc;

    memset(&e, 0, sizeof(e));
    memset(&b, 0, sizeof(b));
    if (c->endpoint_count >= S3URL_MAX_ENDPOINTS)
        return pd_fail(err, PD_ELIMIT, "more than %d custom endpoints",
                       S3URL_MAX_ENDPOINTS);
    rc = split_region(spec, &n, &e.region, err);
    if (rc == PD_OK && (url = dup_range(spec, n)) == NULL)
        rc = PD_ENOMEM;
    if (rc == PD_OK)
        rc = split_endpoint_url(url, &b, err);
    if (rc == PD_OK)
        rc = check_endpoint_bits(url, &b, err);
    if (rc == PD_OK)
        rc = fill_endpoint(&e, &b);
    if (rc == PD_OK && (known = endpoint_find(c, &e)) != NULL)
        rc = endpoint_merge(known, &e, url, err);
    else if (rc == PD_OK) {
        c->endpoints[c->endpoint_count++] = e;
        memset(&e, 0, sizeof(e));
    }
    if (rc == PD_ENOMEM)
        pd_fail(err, PD_ENOMEM, "out of memory");
    endpoint_release(&e);
    url_bits_release(&b);
    free(url);
    return rc;
}

/* HOST[:PORT]: DNS characters, an optional numeric port. */
static bool cdn_host_valid(const char *h, size_t n)
{
    const char *colon = memchr(h, ':', n);
    size_t hn = colon != NULL ? (size_t)(colon - h) : n;

    if (hn == 0 || hn > 253)
        return false;
    for (size_t i = 0; i < hn; i++) {
        char ch = (char)(h[i] | 0x20);

        if (!((ch >= 'a' && ch <= 'z') || (h[i] >= '0' && h[i] <= '9') ||
              h[i] == '.' || h[i] == '-'))
            return false;
    }
    if (colon == NULL)
        return true;
    if (n - hn < 2 || n - hn > 6)
        return false;
    for (size_t i = hn + 1; i < n; i++)
        if (h[i] < '0' || h[i] > '9')
            return false;
    return strtoul(colon + 1, NULL, 10) <= 65535;
}

/* Fills d->host (lower case; a trailing dot dropped) from spec[0..n). */
static enum pd_code cdn_host(struct s3url_cdn *d, const char *h, size_t n,
                             struct pd_err *err)
{
    char *colon;

    if (!cdn_host_valid(h, n))
        return pd_fail(err, PD_ECONFIG, "'%.*s' is not a HOST[:PORT]", (int)n,
                       h);
    d->host = dup_range(h, n);
    if (d->host == NULL)
        return PD_ENOMEM;
    lower(d->host);
    colon = strchr(d->host, ':');
    /* The parser drops default ports and a trailing dot; so do we. */
    if (colon != NULL &&
        (strcmp(colon, ":80") == 0 || strcmp(colon, ":443") == 0))
        *colon = '\0';
    n = colon != NULL ? (size_t)(colon - d->host) : strlen(d->host);
    if (n > 1 && d->host[n - 1] == '.')
        memmove(d->host + n - 1, d->host + n, strlen(d->host + n) + 1);
    return PD_OK;
}

/* Fills d->bucket and d->prefix from "BUCKET[/PREFIX]". */
static enum pd_code cdn_target(struct s3url_cdn *d, const char *t, size_t n,
                               struct pd_err *err)
{
    const char *slash = memchr(t, '/', n), *why;
    size_t bn = slash != NULL ? (size_t)(slash - t) : n;
    const char *p = slash != NULL ? slash + 1 : t + n;
    size_t pn = (size_t)(t + n - p);

    if (!s3url_bucket_valid(t, bn, &why))
        return pd_fail(err, PD_ECONFIG, "bucket name '%.*s' %s", (int)bn, t,
                       why);
    while (pn > 0 && p[pn - 1] == '/')
        pn--;
    while (pn > 0 && p[0] == '/') {
        p++;
        pn--;
    }
    if (pn >= S3URL_KEY_MAX || !s3url_utf8_valid(p, pn))
        return pd_fail(err, PD_ECONFIG,
                       "the key prefix must be UTF-8, under %d bytes",
                       S3URL_KEY_MAX);
    d->bucket = dup_range(t, bn);
    d->prefix = dup_range(p, pn);
    return d->bucket == NULL || d->prefix == NULL ? PD_ENOMEM : PD_OK;
}

static enum pd_code parse_cdn(struct s3url_cdn *d, const char *spec,
                              struct pd_err *err)
{
    const char *eq = strchr(spec, '=');
    size_t n;
    enum pd_code rc;

    if (eq == NULL)
        return pd_fail(err, PD_ECONFIG,
                       "'%s' is not HOST=BUCKET[/PREFIX][@REGION]", spec);
    rc = split_region(eq + 1, &n, &d->region, err);
    if (rc == PD_OK)
        rc = cdn_host(d, spec, (size_t)(eq - spec), err);
    if (rc == PD_OK)
        rc = cdn_target(d, eq + 1, n, err);
    return rc;
}

enum pd_code s3url_config_add_cdn(struct s3url_config *c, const char *spec,
                                  struct pd_err *err)
{
    struct s3url_cdn d;
    enum pd_code rc;

    memset(&d, 0, sizeof(d));
    if (c->cdn_count >= S3URL_MAX_CDNS)
        return pd_fail(err, PD_ELIMIT, "more than %d CDN mappings",
                       S3URL_MAX_CDNS);
    rc = parse_cdn(&d, spec, err);
    for (size_t i = 0; rc == PD_OK && i < c->cdn_count; i++)
        if (strcmp(c->cdns[i].host, d.host) == 0)
            rc = pd_fail(err, PD_ECONFIG, "CDN host '%s' is given twice",
                         d.host);
    if (rc == PD_OK) {
        c->cdns[c->cdn_count++] = d;
        memset(&d, 0, sizeof(d));
    }
    if (rc == PD_ENOMEM)
        pd_fail(err, PD_ENOMEM, "out of memory");
    cdn_release(&d);
    return rc;
}

typedef enum pd_code (*add_fn)(struct s3url_config *, const char *,
                               struct pd_err *);

/* Adds each comma-separated item of variable name with add. */
static enum pd_code add_list(struct s3url_config *c, const char *name,
                             add_fn add, struct pd_err *err)
{
    const char *v = getenv(name);
    enum pd_code rc = PD_OK;
    char item[2048];

    for (const char *s = v; s != NULL && *s != '\0' && rc == PD_OK;) {
        const char *end = strchr(s, ',');
        size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n >= sizeof(item))
            rc = pd_fail(err, PD_ECONFIG, "an item is too long");
        else if (n > 0) {
            memcpy(item, s, n);
            item[n] = '\0';
            rc = add(c, item, err);
        }
        s = end != NULL ? end + 1 : NULL;
    }
    if (rc != PD_OK && err != NULL) {
        char msg[PD_ERR_MSG_MAX];

        snprintf(msg, sizeof(msg), "%s", err->msg);
        pd_fail(err, rc, "%s: %.400s", name, msg);
    }
    return rc;
}

enum pd_code s3url_config_from_env(struct s3url_config *c, struct pd_err *err)
{
    enum pd_code rc =
        add_list(c, "PRESIGND_S3_ENDPOINTS", s3url_config_add_endpoint, err);

    if (rc == PD_OK)
        rc = add_list(c, "PRESIGND_CDNS", s3url_config_add_cdn, err);
    return rc;
}

enum pd_code s3url_config_add_store(struct s3url_config *c, const char *url,
                                    const char *region, struct pd_err *err)
{
    char spec[512];
    int n;

    if (url == NULL || url[0] == '\0' || strstr(url, ".amazonaws.com") != NULL)
        return PD_OK;
    n = region != NULL && region[0] != '\0'
            ? snprintf(spec, sizeof(spec), "%s@%s", url, region)
            : snprintf(spec, sizeof(spec), "%s", url);
    if (n < 0 || (size_t)n >= sizeof(spec))
        return pd_fail(err, PD_ECONFIG, "endpoint URL is too long");
    return s3url_config_add_endpoint(c, spec, err);
}
