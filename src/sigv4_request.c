/*
 * sigv4_request.c - signing whole requests: sigv4_sign_request runs every
 * stage for any request (header or query placement, S3 or generic rules),
 * and sigv4_sign_headers builds and signs an S3 API call on top of it.
 */
#include "sigv4_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX (64 * 1024)

void sigv4_signing_init(struct sigv4_signing *g)
{
    pd_buf_init(&g->canonical_request, TEXT_MAX);
    pd_buf_init(&g->string_to_sign, TEXT_MAX);
    pd_buf_init(&g->query, TEXT_MAX);
    for (size_t i = 0; i < SIGV4_MAX_ADDED; i++)
        pd_buf_init(&g->added[i], TEXT_MAX);
    g->signature[0] = '\0';
    g->added_count = 0;
}

void sigv4_signing_release(struct sigv4_signing *g)
{
    pd_buf_release(&g->canonical_request);
    pd_buf_release(&g->string_to_sign);
    pd_buf_release_wipe(&g->query);
    for (size_t i = 0; i < SIGV4_MAX_ADDED; i++)
        pd_buf_release_wipe(&g->added[i]);
    g->added_count = 0;
}

static const char *const reserved_headers[] = {"authorization", "x-amz-date",
                                               "x-amz-security-token",
                                               "x-amz-content-sha256", NULL};

static const char *const reserved_params[] = {
    "X-Amz-Algorithm",     "X-Amz-Credential",
    "X-Amz-Date",          "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token",
    "X-Amz-Signature",     NULL};

static enum pd_code check_reserved(const struct sigv4_request *r, bool query,
                                   struct pd_err *err)
{
    for (size_t i = 0; i < r->header_count; i++)
        for (const char *const *n = reserved_headers; *n != NULL; n++)
            if (strcasecmp(r->headers[i].name, *n) == 0)
                return pd_fail(err, PD_EINVAL,
                               "header '%s' is set by the signer, not the "
                               "caller",
                               r->headers[i].name);
    for (size_t i = 0; query && i < r->query_count; i++)
        for (const char *const *n = reserved_params; *n != NULL; n++)
            if (strcasecmp(r->query[i].name, *n) == 0)
                return pd_fail(err, PD_EINVAL,
                               "query parameter '%s' is set by the signer",
                               r->query[i].name);
    return PD_OK;
}

/* What the signer adds, shared by both placements. */
struct added {
    char date[17];
    char credential[SIGV4_ACCESS_KEY_MAX + 160];
    char expires[16];
    struct pd_buf signed_headers;
};

static enum pd_code sign_text(struct sigv4_signer *s,
                              const struct sigv4_request *r, time_t now,
                              struct sigv4_signing *out, struct pd_buf *names,
                              struct pd_err *err)
{
    enum pd_code rc;

    rc = sigv4_canonical_request(&out->canonical_request, names, r, err);
    if (rc == PD_OK)
        rc = sigv4_string_to_sign(&out->string_to_sign, now, s->region,
                                  s->service, out->canonical_request.data,
                                  out->canonical_request.len, err);
    if (rc == PD_OK)
        rc = sigv4_signer_signature(s, now, out->string_to_sign.data,
                                    out->string_to_sign.len, out->signature,
                                    err);
    return rc;
}

/* Header placement: X-Amz-Date (+ token, + content hash) join the signed
 * headers; Authorization carries the result. */
static enum pd_code sign_in_header(struct sigv4_signer *s,
                                   const struct sigv4_request *r, time_t now,
                                   const struct sigv4_sign_options *o,
                                   struct added *a, struct sigv4_signing *out,
                                   struct pd_err *err)
{
    struct sigv4_header h[SIGV4_MAX_HEADERS + SIGV4_MAX_ADDED];
    struct sigv4_request full = *r;
    size_t n = r->header_count;
    enum pd_code rc;

    if (n > SIGV4_MAX_HEADERS)
        return pd_fail(err, PD_EINVAL, "more than %d headers to sign",
                       SIGV4_MAX_HEADERS);
    if (n > 0)
        memcpy(h, r->headers, n * sizeof(*h));
    h[n++] = (struct sigv4_header){"X-Amz-Date", a->date};
    if (o->content_sha256_header)
        h[n++] = (struct sigv4_header){"X-Amz-Content-Sha256", r->payload_hash};
    if (s->session_token[0] != '\0' && !o->token_unsigned)
        h[n++] =
            (struct sigv4_header){"X-Amz-Security-Token", s->session_token};
    full.headers = h;
    full.header_count = n;
    rc = sign_text(s, &full, now, out, &a->signed_headers, err);
    if (rc != PD_OK)
        return rc;
    for (size_t i = r->header_count; i < n && rc == PD_OK; i++)
        rc = pd_buf_printf(&out->added[out->added_count++], "%s:%s", h[i].name,
                           h[i].value);
    if (rc == PD_OK && s->session_token[0] != '\0' && o->token_unsigned)
        rc = pd_buf_printf(&out->added[out->added_count++],
                           "X-Amz-Security-Token:%s", s->session_token);
    if (rc == PD_OK)
        rc = pd_buf_printf(&out->added[out->added_count++],
                           "Authorization:" SIGV4_ALGORITHM
                           " Credential=%s, SignedHeaders=%s, Signature=%s",
                           a->credential, a->signed_headers.data,
                           out->signature);
    if (rc != PD_OK)
        return pd_fail(err, rc, "signed headers do not fit");
    return PD_OK;
}

static enum pd_code put_param(struct pd_buf *b, const char *name,
                              const char *value)
{
    enum pd_code rc = PD_OK;

    if (b->len > 0)
        rc = pd_buf_putc(b, '&');
    if (rc == PD_OK)
        rc = pd_buf_printf(b, "%s=", name);
    if (rc == PD_OK)
        rc = sigv4_buf_encode(b, value, strlen(value), false);
    return rc;
}

/* Query placement: the X-Amz-* parameters are signed along with the
 * request's own, which needs the signed-header list first. */
static enum pd_code sign_in_query(struct sigv4_signer *s,
                                  const struct sigv4_request *r, time_t now,
                                  const struct sigv4_sign_options *o,
                                  struct added *a, struct sigv4_signing *out,
                                  struct pd_err *err)
{
    struct sigv4_request full = *r, bare = *r;
    struct sigv4_header *q;
    struct pd_buf scratch;
    size_t n = r->query_count;
    enum pd_code rc;

    pd_buf_init(&scratch, TEXT_MAX);
    bare.query_count = 0;
    rc = sigv4_canonical_request(&scratch, &a->signed_headers, &bare, err);
    pd_buf_release(&scratch);
    if (rc != PD_OK)
        return rc;
    q = calloc(n + 6, sizeof(*q));
    if (q == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    if (n > 0)
        memcpy(q, r->query, n * sizeof(*q));
    q[n++] = (struct sigv4_header){"X-Amz-Algorithm", SIGV4_ALGORITHM};
    q[n++] = (struct sigv4_header){"X-Amz-Credential", a->credential};
    q[n++] = (struct sigv4_header){"X-Amz-Date", a->date};
    q[n++] = (struct sigv4_header){"X-Amz-Expires", a->expires};
    if (s->session_token[0] != '\0' && !o->token_unsigned)
        q[n++] =
            (struct sigv4_header){"X-Amz-Security-Token", s->session_token};
    q[n++] =
        (struct sigv4_header){"X-Amz-SignedHeaders", a->signed_headers.data};
    full.query = q;
    full.query_count = n;
    pd_buf_init(&scratch, TEXT_MAX); /* the same list again; unused */
    rc = sign_text(s, &full, now, out, &scratch, err);
    pd_buf_release(&scratch);
    if (rc != PD_OK)
        goto done;
    for (size_t i = r->query_count; i < n && rc == PD_OK; i++)
        rc = put_param(&out->query, q[i].name, q[i].value);
    if (rc == PD_OK && s->session_token[0] != '\0' && o->token_unsigned)
        rc = put_param(&out->query, "X-Amz-Security-Token", s->session_token);
    if (rc == PD_OK)
        rc = put_param(&out->query, "X-Amz-Signature", out->signature);
    if (rc != PD_OK)
        pd_fail(err, rc, "signed query does not fit");
done:
    free(q);
    return rc;
}

enum pd_code sigv4_sign_request(struct sigv4_signer *s,
                                const struct sigv4_request *r, time_t now,
                                const struct sigv4_sign_options *o,
                                struct sigv4_signing *out, struct pd_err *err)
{
    struct added a;
    enum pd_code rc = check_reserved(r, o->placement == SIGV4_PLACE_QUERY, err);

    if (rc != PD_OK)
        return rc;
    if (now < 0 || now > 253402300799) /* X-Amz-Date has 4-digit years */
        return pd_fail(err, PD_EINVAL, "signing time is out of range");
    if (o->placement == SIGV4_PLACE_QUERY &&
        (o->expires < 1 || o->expires > SIGV4_MAX_EXPIRES))
        return pd_fail(err, PD_EINVAL,
                       "expiry %u is out of range: 1 to %d seconds", o->expires,
                       SIGV4_MAX_EXPIRES);
    sigv4_format_amz_date(now, a.date);
    snprintf(a.credential, sizeof(a.credential), "%s/%.8s/%s/%s/aws4_request",
             s->access_key_id, a.date, s->region, s->service);
    snprintf(a.expires, sizeof(a.expires), "%u", o->expires);
    pd_buf_init(&a.signed_headers, TEXT_MAX);
    if (o->placement == SIGV4_PLACE_QUERY)
        rc = sign_in_query(s, r, now, o, &a, out, err);
    else
        rc = sign_in_header(s, r, now, o, &a, out, err);
    pd_buf_release(&a.signed_headers);
    return rc;
}

void sigv4_signed_request_init(struct sigv4_signed_request *r)
{
    pd_buf_init(&r->url, TEXT_MAX);
    for (size_t i = 0; i < SIGV4_MAX_HEADERS + 5; i++)
        pd_buf_init(&r->header_lines[i], TEXT_MAX);
    r->header_count = 0;
}

void sigv4_signed_request_release(struct sigv4_signed_request *r)
{
    pd_buf_release(&r->url);
    for (size_t i = 0; i < SIGV4_MAX_HEADERS + 5; i++)
        pd_buf_release_wipe(&r->header_lines[i]);
    r->header_count = 0;
}

static enum pd_code check_call(const struct sigv4_header_request *r,
                               struct pd_err *err)
{
    if (r->method == NULL || r->method[0] == '\0' || r->endpoint == NULL)
        return pd_fail(err, PD_EINVAL, "request without method or endpoint");
    for (const char *m = r->method; *m != '\0'; m++)
        if (*m < 'A' || *m > 'Z')
            return pd_fail(err, PD_EINVAL, "invalid method '%.16s'", r->method);
    if (r->bucket == NULL && r->key != NULL)
        return pd_fail(err, PD_EINVAL, "an object key needs a bucket");
    if (r->key != NULL &&
        (r->key[0] == '\0' || strlen(r->key) > SIGV4_MAX_KEY_LEN))
        return pd_fail(err, PD_EINVAL, "object key must be 1 to %d bytes long",
                       SIGV4_MAX_KEY_LEN);
    if (r->header_count > SIGV4_MAX_HEADERS)
        return pd_fail(err, PD_EINVAL, "more than %d extra headers",
                       SIGV4_MAX_HEADERS);
    for (size_t i = 0; i < r->header_count; i++) {
        const char *v = r->headers[i].value;
        if (strcasecmp(r->headers[i].name, "host") == 0)
            return pd_fail(err, PD_EINVAL,
                           "the Host header is set by the "
                           "signer");
        if (v == NULL || strpbrk(v, "\r\n") != NULL)
            return pd_fail(err, PD_EINVAL,
                           "header '%.64s' has no value or "
                           "a line break in it",
                           r->headers[i].name);
    }
    if (r->payload_sha256_hex != NULL &&
        (strlen(r->payload_sha256_hex) != 64 ||
         strspn(r->payload_sha256_hex, "0123456789abcdef") != 64))
        return pd_fail(err, PD_EINVAL,
                       "payload hash must be 64 lower-case "
                       "hex digits");
    if (r->bucket != NULL)
        return sigv4_bucket_validate(r->bucket, err);
    return PD_OK;
}

/* Host and raw path ("/bucket/key", "/key", "/bucket" or "/"). */
static enum pd_code call_target(const struct sigv4_header_request *r,
                                struct sigv4_target *t, struct pd_buf *path,
                                struct pd_err *err)
{
    enum pd_code rc;

    if (r->bucket != NULL) {
        rc =
            sigv4_target_resolve(t, r->endpoint, r->addressing, r->bucket, err);
    } else {
        rc = sigv4_target_resolve(t, r->endpoint, SIGV4_ADDRESSING_PATH, "",
                                  err);
        t->prefix_len = 0;
    }
    if (rc != PD_OK)
        return rc;
    rc = pd_buf_append(path, t->prefix, t->prefix_len);
    if (rc == PD_OK && r->key != NULL)
        rc = pd_buf_printf(path, "/%s", r->key);
    if (rc == PD_OK && path->len == 0)
        rc = pd_buf_putc(path, '/');
    if (rc != PD_OK)
        return pd_fail(err, rc, "request path does not fit");
    return PD_OK;
}

/* scheme://host/encoded-path?name=value&flag (the caller's order; a NULL
 * value sends the bare name, as S3 sub-resources are written). */
static enum pd_code call_url(struct pd_buf *url,
                             const struct sigv4_header_request *r,
                             const struct sigv4_target *t,
                             const struct pd_buf *path)
{
    enum pd_code rc;

    rc = pd_buf_printf(url, "%s://%s", r->endpoint->https ? "https" : "http",
                       t->host);
    if (rc == PD_OK)
        rc = sigv4_buf_encode(url, path->data, path->len, true);
    for (size_t i = 0; i < r->query_count && rc == PD_OK; i++) {
        const char *n = r->query[i].name, *v = r->query[i].value;
        rc = pd_buf_putc(url, i == 0 ? '?' : '&');
        if (rc == PD_OK)
            rc = sigv4_buf_encode(url, n, strlen(n), false);
        if (rc == PD_OK && v != NULL)
            rc = pd_buf_putc(url, '=');
        if (rc == PD_OK && v != NULL)
            rc = sigv4_buf_encode(url, v, strlen(v), false);
    }
    return rc;
}

/* "Name: value" lines: Host, then what the signer added (Authorization
 * last), with the caller's headers before Authorization. */
static enum pd_code call_headers(struct sigv4_signed_request *out,
                                 const struct sigv4_header_request *r,
                                 const struct sigv4_target *t,
                                 const struct sigv4_signing *g)
{
    enum pd_code rc;
    size_t n = 0;

    rc = pd_buf_printf(&out->header_lines[n++], "Host: %s", t->host);
    for (size_t i = 0; i + 1 < g->added_count && rc == PD_OK; i++) {
        const char *line = g->added[i].data, *colon = strchr(line, ':');
        rc = pd_buf_printf(&out->header_lines[n++], "%.*s: %s",
                           (int)(colon - line), line, colon + 1);
    }
    for (size_t i = 0; i < r->header_count && rc == PD_OK; i++)
        rc = pd_buf_printf(&out->header_lines[n++], "%s: %s",
                           r->headers[i].name, r->headers[i].value);
    if (rc == PD_OK)
        rc = pd_buf_printf(&out->header_lines[n++], "Authorization: %s",
                           g->added[g->added_count - 1].data +
                               strlen("Authorization:"));
    out->header_count = n;
    return rc;
}

enum pd_code sigv4_sign_headers(struct sigv4_signer *s,
                                const struct sigv4_header_request *r,
                                struct sigv4_signed_request *out,
                                struct pd_err *err)
{
    struct sigv4_target t;
    struct sigv4_header h[SIGV4_MAX_HEADERS + 1];
    struct sigv4_request cr = {0};
    struct sigv4_sign_options o = {SIGV4_PLACE_HEADER, 0, true, false};
    struct sigv4_signing g;
    struct pd_buf path;
    enum pd_code rc = check_call(r, err);

    if (rc != PD_OK)
        return rc;
    pd_buf_init(&path, 4 * SIGV4_MAX_KEY_LEN);
    sigv4_signing_init(&g);
    rc = call_target(r, &t, &path, err);
    if (rc != PD_OK)
        goto out;
    h[0] = (struct sigv4_header){"Host", t.host};
    if (r->header_count > 0)
        memcpy(h + 1, r->headers, r->header_count * sizeof(*h));
    cr.method = r->method;
    cr.path = path.data;
    cr.path_len = path.len;
    cr.rules = SIGV4_RULES_S3;
    cr.query = r->query;
    cr.query_count = r->query_count;
    cr.headers = h;
    cr.header_count = r->header_count + 1;
    cr.payload_hash =
        r->payload_sha256_hex ? r->payload_sha256_hex : SIGV4_UNSIGNED;
    rc = sigv4_sign_request(s, &cr, r->now, &o, &g, err);
    if (rc != PD_OK)
        goto out;
    rc = call_url(&out->url, r, &t, &path);
    if (rc == PD_OK)
        rc = call_headers(out, r, &t, &g);
    if (rc != PD_OK)
        pd_fail(err, rc, "signed request does not fit");
out:
    sigv4_signing_release(&g);
    pd_buf_release(&path);
    return rc;
}
