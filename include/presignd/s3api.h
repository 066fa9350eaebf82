/*
 * s3api.h - a small S3 control-plane client: the bucket settings presignd
 * reads and writes (Block Public Access, policy, ACLs, object ownership) and
 * plain GET probes (anonymous and presigned).
 *
 * Requests go over libcurl, one easy handle per client so connections are
 * reused, signed with the header mode of sigv4. Each call has a connect and
 * a total timeout; failures that may pass (connection errors, timeouts, HTTP
 * 5xx, SlowDown) are retried with exponential backoff and jitter, 4xx never.
 * Response bodies are size-limited. Errors name the operation, the HTTP
 * status and the S3 error <Code> (radosgw sends an empty <Message>, so the
 * code is what callers key on) plus the message when there is one. Proxies
 * from the environment are not used, and no request ever goes to instance
 * metadata: credentials are passed in.
 *
 * Response parsing (s3api_parse_*) is pure and separate from the transport
 * so recorded bodies can be tested without a server. XML is parsed with
 * expat; documents with a DOCTYPE are refused (no entity expansion).
 *
 * A client is not thread-safe: one thread uses it at a time.
 */
#ifndef PRESIGND_S3API_H
#define PRESIGND_S3API_H

#include "presignd/buf.h"
#include "presignd/error.h"
#include "presignd/sigv4.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define S3API_MAX_BODY      (1024 * 1024) /* API answers; policies are 20 KB */
#define S3API_MAX_RESOLVE   8
#define S3API_MAX_GRANTS    100
#define S3API_CODE_MAX      64
#define S3API_ID_MAX        256
#define S3API_NAME_MAX      128
#define S3API_PERM_MAX      16
#define S3API_OWNERSHIP_MAX 32

struct s3api_config {
    /* NULL: awsenv_endpoint_url(), else the AWS endpoint of the region. */
    const char *endpoint_url;
    /* NULL: awsenv_region(), else "us-east-1". */
    const char *region;
    /* AUTO: path style for custom endpoints, virtual for AWS. */
    enum sigv4_addressing addressing;
    long connect_timeout_ms;  /* per attempt; default 5000 */
    long timeout_ms;          /* per attempt, whole transfer; default 30000 */
    unsigned max_attempts;    /* default 4 (1 = no retries) */
    unsigned backoff_base_ms; /* first retry waits about this; default 200 */
    unsigned backoff_max_ms;  /* cap of one wait; default 4000 */
    /* Name pins in curl's "HOST:PORT:ADDRESS" form (CURLOPT_RESOLVE), so a
     * named endpoint can be used without a DNS lookup. Borrowed strings. */
    const char *resolve[S3API_MAX_RESOLVE];
    size_t resolve_count;
};

/* Fills the defaults above (all pointers NULL). */
void s3api_config_init(struct s3api_config *c);

/* What the store answered to the last request (status 0: no answer). */
struct s3api_reply {
    long status;
    char code[S3API_CODE_MAX]; /* S3 <Code>, "" when none */
    char message[256];         /* S3 <Message>, often "" on radosgw */
    char request_id[128];
};

struct s3api_client;

/*
 * A new client. cfg and creds are copied (the caller may wipe creds). Fails
 * with PD_ECONFIG for a bad endpoint URL or PD_ENOMEM. No network I/O.
 */
PD_MUST_CHECK enum pd_code
s3api_client_new(struct s3api_client **out, const struct s3api_config *cfg,
                 const struct sigv4_credentials *creds, struct pd_err *err);

/* Wipes the credentials, closes connections and frees. NULL is allowed. */
void s3api_client_free(struct s3api_client *c);

/* The endpoint as "scheme://host[:port]", for messages and probes. */
const char *s3api_client_endpoint_url(const struct s3api_client *c);

/* The last request's answer (status 0 before any, or on transport errors). */
const struct s3api_reply *s3api_last_reply(const struct s3api_client *c);

/* --- Block Public Access ------------------------------------------------ */

struct s3api_pab {
    bool block_public_acls;
    bool ignore_public_acls;
    bool block_public_policy;
    bool restrict_public_buckets;
};

/*
 * Reads the bucket's Block Public Access configuration. *present is false
 * when none is set (AWS: 404 NoSuchPublicAccessBlockConfiguration; radosgw
 * answers all-false instead). PD_EUNSUPPORTED when the store does not
 * implement it.
 */
PD_MUST_CHECK enum pd_code s3api_get_pab(struct s3api_client *c,
                                         const char *bucket,
                                         struct s3api_pab *out, bool *present,
                                         struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_put_pab(struct s3api_client *c,
                                         const char *bucket,
                                         const struct s3api_pab *pab,
                                         struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_delete_pab(struct s3api_client *c,
                                            const char *bucket,
                                            struct pd_err *err);

/* --- Bucket policy ------------------------------------------------------ */

/* Appends the policy JSON to out; *present false on NoSuchBucketPolicy. */
PD_MUST_CHECK enum pd_code s3api_get_policy(struct s3api_client *c,
                                            const char *bucket,
                                            struct pd_buf *out, bool *present,
                                            struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_put_policy(struct s3api_client *c,
                                            const char *bucket,
                                            const char *json,
                                            struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_delete_policy(struct s3api_client *c,
                                               const char *bucket,
                                               struct pd_err *err);

/*
 * The store's own verdict (GetBucketPolicyStatus). No policy counts as not
 * public. radosgw also counts public ACLs here and ignores Block Public
 * Access, so callers must not treat this as proof either way.
 */
PD_MUST_CHECK enum pd_code s3api_get_policy_status(struct s3api_client *c,
                                                   const char *bucket,
                                                   bool *is_public,
                                                   struct pd_err *err);

/* --- ACLs ---------------------------------------------------------------- */

enum s3api_grantee_type {
    S3API_GRANTEE_CANONICAL = 0, /* id = canonical user id */
    S3API_GRANTEE_GROUP,         /* id = group URI */
    S3API_GRANTEE_EMAIL,         /* id = e-mail address */
    S3API_GRANTEE_UNKNOWN,
};

struct s3api_grant {
    enum s3api_grantee_type type;
    char id[S3API_ID_MAX];
    char display_name[S3API_NAME_MAX];
    char permission[S3API_PERM_MAX]; /* READ, WRITE, READ_ACP, ... */
};

struct s3api_acl {
    char owner_id[S3API_ID_MAX];
    char owner_display_name[S3API_NAME_MAX];
    struct s3api_grant grants[S3API_MAX_GRANTS];
    size_t grant_count;
};

/* "AllUsers" or "AuthenticatedUsers" for grants to those groups, else NULL. */
const char *s3api_grant_public_group(const struct s3api_grant *g);

/* Reads the ACL of the bucket (key NULL) or of one object. */
PD_MUST_CHECK enum pd_code s3api_get_acl(struct s3api_client *c,
                                         const char *bucket, const char *key,
                                         struct s3api_acl *out,
                                         struct pd_err *err);
/* Replaces the ACL of the bucket (key NULL) or of one object. */
PD_MUST_CHECK enum pd_code s3api_put_acl(struct s3api_client *c,
                                         const char *bucket, const char *key,
                                         const struct s3api_acl *acl,
                                         struct pd_err *err);

/* --- Object ownership --------------------------------------------------- */

/*
 * Reads the ObjectOwnership rule ("BucketOwnerEnforced", ...) into out.
 * *present is false when no controls are set. PD_EUNSUPPORTED when the
 * store does not implement them (radosgw 16 answers a bucket listing).
 */
PD_MUST_CHECK enum pd_code s3api_get_ownership(struct s3api_client *c,
                                               const char *bucket, char *out,
                                               size_t out_size, bool *present,
                                               struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_put_ownership(struct s3api_client *c,
                                               const char *bucket,
                                               const char *ownership,
                                               struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_delete_ownership(struct s3api_client *c,
                                                  const char *bucket,
                                                  struct pd_err *err);

/* --- Probes -------------------------------------------------------------- */

struct s3api_probe {
    long status;               /* HTTP status */
    char code[S3API_CODE_MAX]; /* S3 <Code> of an error answer, or "" */
};

/*
 * An unsigned GET of url (an anonymous URL or a presigned one); the body
 * is read only far enough to find an error code. PD_OK whenever the store
 * answered (any status); PD_EIO when it could not be reached.
 */
PD_MUST_CHECK enum pd_code s3api_probe_get(struct s3api_client *c,
                                           const char *url,
                                           struct s3api_probe *out,
                                           struct pd_err *err);

/*
 * Appends the anonymous path-style URL of an object (key NULL: of the
 * bucket itself, a listing) at the client's endpoint to out.
 */
PD_MUST_CHECK enum pd_code
s3api_anonymous_url(const struct s3api_client *c, const char *bucket,
                    const char *key, struct pd_buf *out, struct pd_err *err);

/* Appends a GET URL presigned with the client's credentials to out. */
PD_MUST_CHECK enum pd_code
s3api_presign_get(struct s3api_client *c, const char *bucket, const char *key,
                  time_t now, unsigned expires, struct pd_buf *out,
                  struct pd_err *err);

/* --- Pure parsing and formatting (no I/O; tested with recorded bodies) -- */

/* Fills code, message and request id from an <Error> body (else ""). */
void s3api_parse_error(const char *body, size_t len, struct s3api_reply *out);

/* PD_EUNSUPPORTED when the body is some other document. */
PD_MUST_CHECK enum pd_code s3api_parse_pab(const char *body, size_t len,
                                           struct s3api_pab *out,
                                           struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_parse_acl(const char *body, size_t len,
                                           struct s3api_acl *out,
                                           struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_parse_policy_status(const char *body,
                                                     size_t len,
                                                     bool *is_public,
                                                     struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_parse_ownership(const char *body, size_t len,
                                                 char *out, size_t out_size,
                                                 struct pd_err *err);

/* Appends the PutBucketAcl / PutPublicAccessBlock request bodies to out. */
PD_MUST_CHECK enum pd_code s3api_format_acl(const struct s3api_acl *acl,
                                            struct pd_buf *out,
                                            struct pd_err *err);
PD_MUST_CHECK enum pd_code s3api_format_pab(const struct s3api_pab *pab,
                                            struct pd_buf *out,
                                            struct pd_err *err);

#endif
