/*
 * sigv4_presign.c - presigned S3 URLs on the hot path.
 *
 * The URL is written straight into the caller's buffer in canonical query
 * order (every X-Amz-* name sorts before the lower-case response-* ones), so
 * the canonical request can be hashed from the URL's own bytes: the path and
 * query are contiguous there, separated by the '?' that the canonical form
 * wants as '\n'. No allocation of our own, no EVP object creation and no
 * lock (the key cache is read under a sequence counter). Known shortcoming:
 * OpenSSL 3.0 itself allocates and frees its provider context inside every
 * EVP_DigestInit_ex2, three times per URL (see sigv4_crypto.c).
 * sigv4_request.c is the general path; tests check this one against it.
 */
#include "sigv4_internal.h"

#include <openssl/crypto.h>
#include <string.h>

static const char *override_name[3] = {
    "response-cache-control",
    "response-content-disposition",
    "response-content-type",
};

static enum pd_code check_override(const char *name, const char *v, size_t *len,
                                   struct pd_err *err)
{
    size_t n = v == NULL ? 0 : strlen(v);

    *len = n;
    if (n > SIGV4_OVERRIDE_MAX)
        return pd_fail(err, PD_EINVAL, "%s is %zu bytes; the limit is %d", name,
                       n, SIGV4_OVERRIDE_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return pd_fail(err, PD_EINVAL, "%s has a control character", name);
    return PD_OK;
}

static enum pd_code check_method(const char *m, struct pd_err *err)
{
    if (m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
                      strcmp(m, "PUT") == 0))
        return PD_OK;
    return pd_fail(err, PD_EINVAL,
                   "invalid method '%.16s': expected GET, HEAD or PUT",
                   m == NULL ? "" : m);
}

static enum pd_code check_request(const struct sigv4_signer *s,
                                  const struct sigv4_presign_request *r,
                                  const char *ov[3], size_t ovlen[3],
                                  struct pd_err *err)
{
    enum pd_code rc = check_method(r->method, err);

    if (rc == PD_OK)
        rc = sigv4_bucket_validate(r->bucket, err);
    if (rc != PD_OK)
        return rc;
    if (r->key == NULL || r->key_len == 0)
        return pd_fail(err, PD_EINVAL, "object key is empty");
    if (r->key_len > SIGV4_MAX_KEY_LEN)
        return pd_fail(err, PD_EINVAL,
                       "object key is %zu bytes; the limit "
                       "is %d",
                       r->key_len, SIGV4_MAX_KEY_LEN);
    if (r->expires < 1 || r->expires > SIGV4_MAX_EXPIRES)
        return pd_fail(err, PD_EINVAL,
                       "expiry %u seconds is out of range: "
                       "1 to %d (7 days)",
                       r->expires, SIGV4_MAX_EXPIRES);
    if (r->endpoint == NULL)
        return pd_fail(err, PD_EINVAL, "no endpoint");
    if (r->now < 0 || r->now > 253402300799) /* X-Amz-Date has 4-digit years */
        return pd_fail(err, PD_EINVAL, "signing time is out of range");
    if (s->expiration != 0 && r->now + (time_t)r->expires > s->expiration)
        return pd_fail(err, PD_EINVAL,
                       "the credentials expire before the "
                       "URL would; use a shorter expiry or fresh credentials");
    for (int i = 0; i < 3 && rc == PD_OK; i++)
        rc = check_override(override_name[i], ov[i], &ovlen[i], err);
    if (rc == PD_OK && r->method[0] == 'P' &&
        ovlen[0] + ovlen[1] + ovlen[2] > 0)
        return pd_fail(err, PD_EINVAL,
                       "response overrides apply only to "
                       "GET and HEAD");
    return rc;
}

/* Where the pieces of the canonical request sit inside the URL. */
struct marks {
    size_t host, host_len;
    size_t path;  /* path, then '?', then the query */
    size_t query; /* offset of the '?' */
    size_t end;
};

static char *put(char *p, const void *src, size_t n)
{
    memcpy(p, src, n);
    return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *write_query(const struct sigv4_signer *s,
                         const struct sigv4_presign_request *r,
                         const char date[17], const char *ov[3],
                         const size_t ovlen[3], char *p)
{
    p = PUT_LIT(p, "X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=");
    p = put(p, s->akid_enc, s->akid_enc_len);
    p = PUT_LIT(p, "%2F");
    p = put(p, date, 8);
    p = put(p, s->scope_tail_enc, s->scope_tail_enc_len);
    p = PUT_LIT(p, "&X-Amz-Date=");
    p = put(p, date, 16);
    p = PUT_LIT(p, "&X-Amz-Expires=");
    p += sigv4_utoa(p, r->expires);
    if (s->token_enc_len > 0) {
        p = PUT_LIT(p, "&X-Amz-Security-Token=");
        p = put(p, s->token_enc, s->token_enc_len);
    }
    p = PUT_LIT(p, "&X-Amz-SignedHeaders=host");
    for (int i = 0; i < 3; i++) {
        if (ovlen[i] == 0)
            continue;
        *p++ = '&';
        p = put(p, override_name[i], strlen(override_name[i]));
        *p++ = '=';
        p += sigv4_encode(p, ov[i], ovlen[i], false);
    }
    return p;
}

/* Writes scheme://host/path?query (no signature) at base; fills m. */
static void write_url(const struct sigv4_signer *s,
                      const struct sigv4_presign_request *r,
                      const struct sigv4_target *t, const char date[17],
                      const char *ov[3], const size_t ovlen[3], char *base,
                      struct marks *m)
{
    char *p = base;

    p = r->endpoint->https ? PUT_LIT(p, "https://") : PUT_LIT(p, "http://");
    m->host = (size_t)(p - base);
    m->host_len = t->host_len;
    p = put(p, t->host, t->host_len);
    m->path = (size_t)(p - base);
    p = put(p, t->prefix, t->prefix_len);
    *p++ = '/';
    p += sigv4_encode(p, r->key, r->key_len, true);
    m->query = (size_t)(p - base);
    *p++ = '?';
    p = write_query(s, r, date, ov, ovlen, p);
    m->end = (size_t)(p - base);
}

/* Task 1: SHA-256 of the canonical request, hashed from the URL's bytes:
 * METHOD \n path \n query \n host:HOST \n \n host \n UNSIGNED-PAYLOAD. */
static enum pd_code canonical_hash(const char *method, char *base,
                                   const struct marks *m, unsigned char md[32])
{
    char head[8], tail[SIGV4_HOST_MAX + 128];
    size_t tn, ml = strlen(method);
    struct sigv4_span spans[3];
    enum pd_code rc;

    memcpy(head, method, ml);
    head[ml] = '\n';
    tn = (size_t)(PUT_LIT(tail, "\nhost:") - tail);
    tn = (size_t)(put(tail + tn, base + m->host, m->host_len) - tail);
    tn = (size_t)(PUT_LIT(tail + tn, "\n\nhost\n" SIGV4_UNSIGNED) - tail);
    spans[0] = (struct sigv4_span){head, ml + 1};
    spans[1] = (struct sigv4_span){base + m->path, m->end - m->path};
    spans[2] = (struct sigv4_span){tail, tn};
    base[m->query] = '\n'; /* the canonical form's separator, for a moment */
    rc = sigv4_sha256_spans(spans, 3, md);
    base[m->query] = '?';
    return rc;
}

/* Task 2: the string to sign; returns its length (sts holds 320 bytes). */
static size_t string_to_sign(const struct sigv4_signer *s, const char date[17],
                             const unsigned char md[32], char *sts)
{
    char *p = sts;

    p = PUT_LIT(p, SIGV4_ALGORITHM "\n");
    p = put(p, date, 16);
    *p++ = '\n';
    p = put(p, date, 8);
    *p++ = '/';
    p = put(p, s->region, strlen(s->region));
    *p++ = '/';
    p = put(p, s->service, strlen(s->service));
    p = PUT_LIT(p, "/aws4_request\n");
    sigv4_hex32(md, p);
    return (size_t)(p + 64 - sts);
}

/* Tasks 1 to 4: the hex signature of the URL written at base. */
static enum pd_code sign_url(struct sigv4_signer *s, const char *method,
                             char *base, const struct marks *m,
                             const char date[17], char hex[65])
{
    char sts[320];
    unsigned char md[32];
    enum pd_code rc = canonical_hash(method, base, m, md);

    if (rc == PD_OK)
        rc = sigv4_signer_sign_raw(s, date, sts,
                                   string_to_sign(s, date, md, sts), md);
    if (rc == PD_OK)
        sigv4_hex32(md, hex);
    OPENSSL_cleanse(md, sizeof(md));
    return rc;
}

enum pd_code sigv4_presign(struct sigv4_signer *s,
                           const struct sigv4_presign_request *r,
                           struct pd_buf *out, struct pd_err *err)
{
    const char *ov[3] = {r->response_cache_control,
                         r->response_content_disposition,
                         r->response_content_type};
    size_t ovlen[3], need;
    struct sigv4_target t;
    struct marks m;
    char date[17], hex[65];
    enum pd_code rc = check_request(s, r, ov, ovlen, err);

    if (rc == PD_OK)
        rc = sigv4_target_resolve(&t, r->endpoint, r->addressing, r->bucket,
                                  err);
    if (rc != PD_OK)
        return rc;
    sigv4_format_amz_date(r->now, date);
    /* Fixed text (< 300 bytes) plus everything that varies, encoded. */
    need = 400 + t.host_len + t.prefix_len + 3 * r->key_len + s->akid_enc_len +
           s->scope_tail_enc_len + s->token_enc_len +
           3 * (ovlen[0] + ovlen[1] + ovlen[2]);
    rc = pd_buf_reserve(out, need);
    if (rc != PD_OK)
        return pd_fail(err, rc, "presigned URL does not fit its buffer");
    write_url(s, r, &t, date, ov, ovlen, out->data + out->len, &m);
    rc = sign_url(s, r->method, out->data + out->len, &m, date, hex);
    if (rc != PD_OK)
        return pd_fail(err, rc, "signing failed (OpenSSL)");
    memcpy(out->data + out->len + m.end, "&X-Amz-Signature=", 17);
    memcpy(out->data + out->len + m.end + 17, hex, 64);
    out->len += m.end + 17 + 64;
    out->data[out->len] = '\0';
    return PD_OK;
}
