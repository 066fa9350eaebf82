/*
 * s3api_ops.c - the S3 operations presignd uses, built on s3api_call_run
 * (see s3api.h): Block Public Access, bucket policy and its status, ACLs,
 * object ownership, and the URLs of the GET probes.
 */
#include "s3api_internal.h"

#include <stdio.h>
#include <string.h>

static enum pd_code run(struct s3api_client *c, const char *op,
                        const char *method, const char *bucket, const char *key,
                        const char *sub, struct pd_err *err)
{
    struct s3api_call call = {op, method, bucket, key, sub, NULL, 0, NULL};

    return s3api_call_run(c, &call, err);
}

static enum pd_code run_body(struct s3api_client *c, const char *op,
                             const char *bucket, const char *key,
                             const char *sub, const struct pd_buf *body,
                             const char *type, struct pd_err *err)
{
    struct s3api_call call = {op,  "PUT",      bucket,    key,
                              sub, body->data, body->len, type};

    return s3api_call_run(c, &call, err);
}

/* True when the last answer carried this S3 error code. */
static bool last_code_is(const struct s3api_client *c, const char *code)
{
    return strcmp(c->reply.code, code) == 0;
}

/* Adds the operation's name to a parse error. */
static enum pd_code parse_fail(enum pd_code rc, const char *op,
                               struct pd_err *err)
{
    char detail[PD_ERR_MSG_MAX];

    if (err == NULL)
        return rc;
    snprintf(detail, sizeof(detail), "%s", err->msg);
    return pd_fail(err, rc, "S3 %s: %s", op, detail);
}

enum pd_code s3api_get_pab(struct s3api_client *c, const char *bucket,
                           struct s3api_pab *out, bool *present,
                           struct pd_err *err)
{
    const char *op = "GetPublicAccessBlock";
    enum pd_code rc = run(c, op, "GET", bucket, NULL, "publicAccessBlock", err);

    *present = false;
    memset(out, 0, sizeof(*out));
    if (rc != PD_OK && last_code_is(c, "NoSuchPublicAccessBlockConfiguration"))
        return PD_OK;
    if (rc != PD_OK)
        return rc;
    rc = s3api_parse_pab(c->body.data, c->body.len, out, err);
    if (rc != PD_OK)
        return parse_fail(rc, op, err);
    *present = true;
    return PD_OK;
}

enum pd_code s3api_put_pab(struct s3api_client *c, const char *bucket,
                           const struct s3api_pab *pab, struct pd_err *err)
{
    struct pd_buf body;
    enum pd_code rc;

    pd_buf_init(&body, 4096);
    rc = s3api_format_pab(pab, &body, err);
    if (rc == PD_OK)
        rc = run_body(c, "PutPublicAccessBlock", bucket, NULL,
                      "publicAccessBlock", &body, "application/xml", err);
    pd_buf_release(&body);
    return rc;
}

enum pd_code s3api_delete_pab(struct s3api_client *c, const char *bucket,
                              struct pd_err *err)
{
    return run(c, "DeletePublicAccessBlock", "DELETE", bucket, NULL,
               "publicAccessBlock", err);
}

enum pd_code s3api_get_policy(struct s3api_client *c, const char *bucket,
                              struct pd_buf *out, bool *present,
                              struct pd_err *err)
{
    enum pd_code rc =
        run(c, "GetBucketPolicy", "GET", bucket, NULL, "policy", err);

    *present = false;
    if (rc != PD_OK && last_code_is(c, "NoSuchBucketPolicy"))
        return PD_OK;
    if (rc != PD_OK)
        return rc;
    rc = pd_buf_append(out, c->body.data ? c->body.data : "", c->body.len);
    if (rc != PD_OK)
        return pd_fail(err, rc, "bucket policy too large");
    *present = true;
    return PD_OK;
}

enum pd_code s3api_put_policy(struct s3api_client *c, const char *bucket,
                              const char *json, struct pd_err *err)
{
    struct pd_buf body;
    enum pd_code rc;

    pd_buf_init(&body, S3API_MAX_BODY);
    rc = pd_buf_puts(&body, json);
    if (rc != PD_OK)
        return pd_fail(err, rc, "bucket policy too large");
    rc = run_body(c, "PutBucketPolicy", bucket, NULL, "policy", &body,
                  "application/json", err);
    pd_buf_release(&body);
    return rc;
}

enum pd_code s3api_delete_policy(struct s3api_client *c, const char *bucket,
                                 struct pd_err *err)
{
    return run(c, "DeleteBucketPolicy", "DELETE", bucket, NULL, "policy", err);
}

enum pd_code s3api_get_policy_status(struct s3api_client *c, const char *bucket,
                                     bool *is_public, struct pd_err *err)
{
    const char *op = "GetBucketPolicyStatus";
    enum pd_code rc = run(c, op, "GET", bucket, NULL, "policyStatus", err);

    *is_public = false;
    if (rc != PD_OK && last_code_is(c, "NoSuchBucketPolicy"))
        return PD_OK; /* AWS: no policy, so the policy is not public */
    if (rc != PD_OK)
        return rc;
    rc = s3api_parse_policy_status(c->body.data, c->body.len, is_public, err);
    return rc == PD_OK ? PD_OK : parse_fail(rc, op, err);
}

enum pd_code s3api_get_acl(struct s3api_client *c, const char *bucket,
                           const char *key, struct s3api_acl *out,
                           struct pd_err *err)
{
    const char *op = key ? "GetObjectAcl" : "GetBucketAcl";
    enum pd_code rc = run(c, op, "GET", bucket, key, "acl", err);

    if (rc != PD_OK)
        return rc;
    rc = s3api_parse_acl(c->body.data, c->body.len, out, err);
    return rc == PD_OK ? PD_OK : parse_fail(rc, op, err);
}

enum pd_code s3api_put_acl(struct s3api_client *c, const char *bucket,
                           const char *key, const struct s3api_acl *acl,
                           struct pd_err *err)
{
    struct pd_buf body;
    enum pd_code rc;

    pd_buf_init(&body, S3API_MAX_BODY);
    rc = s3api_format_acl(acl, &body, err);
    if (rc == PD_OK)
        rc = run_body(c, key ? "PutObjectAcl" : "PutBucketAcl", bucket, key,
                      "acl", &body, "application/xml", err);
    pd_buf_release(&body);
    return rc;
}

enum pd_code s3api_get_ownership(struct s3api_client *c, const char *bucket,
                                 char *out, size_t out_size, bool *present,
                                 struct pd_err *err)
{
    const char *op = "GetBucketOwnershipControls";
    enum pd_code rc = run(c, op, "GET", bucket, NULL, "ownershipControls", err);

    *present = false;
    out[0] = '\0';
    if (rc != PD_OK && last_code_is(c, "OwnershipControlsNotFoundError"))
        return PD_OK;
    if (rc != PD_OK)
        return rc;
    rc = s3api_parse_ownership(c->body.data, c->body.len, out, out_size, err);
    if (rc != PD_OK)
        return parse_fail(rc, op, err);
    *present = true;
    return PD_OK;
}

enum pd_code s3api_put_ownership(struct s3api_client *c, const char *bucket,
                                 const char *ownership, struct pd_err *err)
{
    struct pd_buf body;
    enum pd_code rc;

    pd_buf_init(&body, 4096);
    rc = pd_buf_printf(&body,
                       "<OwnershipControls xmlns=\"http://s3.amazonaws.com/"
                       "doc/2006-03-01/\"><Rule><ObjectOwnership>%s"
                       "</ObjectOwnership></Rule></OwnershipControls>",
                       ownership);
    if (rc != PD_OK || strpbrk(ownership, "<>&") != NULL)
        rc = pd_fail(err, PD_EINVAL, "bad object ownership value");
    else
        rc = run_body(c, "PutBucketOwnershipControls", bucket, NULL,
                      "ownershipControls", &body, "application/xml", err);
    pd_buf_release(&body);
    return rc;
}

enum pd_code s3api_delete_ownership(struct s3api_client *c, const char *bucket,
                                    struct pd_err *err)
{
    return run(c, "DeleteBucketOwnershipControls", "DELETE", bucket, NULL,
               "ownershipControls", err);
}

/* S3's URI encoding of a key: unreserved bytes and '/' stay, others %XX. */
static enum pd_code encode_key(struct pd_buf *out, const char *key)
{
    static const char hex[] = "0123456789ABCDEF";
    enum pd_code rc = PD_OK;

    for (const unsigned char *p = (const unsigned char *)key;
         *p != '\0' && rc == PD_OK; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL) {
            rc = pd_buf_putc(out, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = pd_buf_append(out, esc, 3);
        }
    }
    return rc;
}

enum pd_code s3api_anonymous_url(const struct s3api_client *c,
                                 const char *bucket, const char *key,
                                 struct pd_buf *out, struct pd_err *err)
{
    enum pd_code rc = sigv4_bucket_validate(bucket, err);

    if (rc != PD_OK)
        return rc;
    rc = pd_buf_printf(out, "%s/%s/", c->endpoint_url, bucket);
    if (rc == PD_OK && key != NULL)
        rc = encode_key(out, key);
    if (rc != PD_OK)
        return pd_fail(err, rc, "object URL too long");
    return PD_OK;
}

enum pd_code s3api_presign_get(struct s3api_client *c, const char *bucket,
                               const char *key, time_t now, unsigned expires,
                               struct pd_buf *out, struct pd_err *err)
{
    struct sigv4_presign_request r = {0};

    r.method = "GET";
    r.bucket = bucket;
    r.key = key;
    r.key_len = strlen(key);
    r.endpoint = &c->endpoint;
    r.addressing = c->addressing;
    r.now = now;
    r.expires = expires;
    return sigv4_presign(c->signer, &r, out, err);
}
