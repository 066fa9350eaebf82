/*
 * sigv4.h - AWS Signature Version 4 for S3: presigned URLs and signed
 * request headers, computed locally.
 *
 * Pure: no I/O, no clock (the signing time is always passed in), no shared
 * mutable globals (each signing thread keeps one reusable OpenSSL digest
 * context, freed when the thread exits). The derived signing key is cached
 * inside a signer per (date, region, service), two dates at a time, and
 * wiped when replaced or freed. A signer may be shared by many threads:
 * sigv4_presign and sigv4_sign_headers are thread-safe on one signer, and
 * reading the cache takes no lock (a sequence counter; only the first
 * request of a new date writes). Secrets are never copied into error
 * details.
 *
 * S3 rules apply (no path normalisation, single encoding). The generic SigV4
 * rules used by other AWS services (normalised, double-encoded paths) are
 * available for the official test suite through sigv4_canonical_request.
 */
#ifndef PRESIGND_SIGV4_H
#define PRESIGND_SIGV4_H

#include "presignd/buf.h"
#include "presignd/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SIGV4_MAX_KEY_LEN    1024
#define SIGV4_MAX_EXPIRES    604800 /* 7 days, S3's limit */
#define SIGV4_ACCESS_KEY_MAX 128
#define SIGV4_SECRET_MAX     128
#define SIGV4_TOKEN_MAX      4096
#define SIGV4_REGION_MAX     64
#define SIGV4_HOST_MAX       256
#define SIGV4_OVERRIDE_MAX   4096 /* bytes per response-* override */

struct sigv4_credentials {
    char access_key_id[SIGV4_ACCESS_KEY_MAX];
    char secret_access_key[SIGV4_SECRET_MAX];
    char session_token[SIGV4_TOKEN_MAX]; /* "" for long-term keys */
    time_t expiration;                   /* 0: does not expire */
};

/* Wipes the secret and token. */
void sigv4_credentials_wipe(struct sigv4_credentials *c);

enum sigv4_addressing {
    /* Virtual-hosted on AWS endpoints unless the bucket cannot be a host
     * name (dots under https, "-." or ".-"); path style on custom
     * endpoints, as botocore and the AWS CLI do. */
    SIGV4_ADDRESSING_AUTO = 0,
    SIGV4_ADDRESSING_VIRTUAL,
    SIGV4_ADDRESSING_PATH,
};

/* Parses "auto", "virtual" or "path". */
PD_MUST_CHECK enum pd_code sigv4_addressing_parse(const char *s,
                                                  enum sigv4_addressing *out,
                                                  struct pd_err *err);

/* Where requests go: an AWS regional endpoint or a custom one. */
struct sigv4_endpoint {
    bool https;
    char host[SIGV4_HOST_MAX]; /* lower case, no port */
    unsigned port;             /* 0: the scheme's default */
    bool custom;               /* not an AWS host (MinIO, Ceph RGW, R2 ...) */
};

/*
 * The AWS endpoint for region: s3.REGION.amazonaws.com, .amazonaws.com.cn
 * for cn-* regions, s3.dualstack.REGION... when dualstack is set.
 */
PD_MUST_CHECK enum pd_code sigv4_endpoint_aws(struct sigv4_endpoint *out,
                                              const char *region,
                                              bool dualstack,
                                              struct pd_err *err);

/*
 * A custom endpoint from a URL "http[s]://host[:port][/]". An explicit
 * default port (:443 for https, :80 for http) is dropped. Paths, queries,
 * userinfo and fragments are errors.
 */
PD_MUST_CHECK enum pd_code sigv4_endpoint_parse(struct sigv4_endpoint *out,
                                                const char *url,
                                                struct pd_err *err);

/*
 * Checks a bucket name against S3's rules (3-63 chars of a-z 0-9 . -,
 * starting and ending with a letter or digit, no "..", not an IP address).
 */
PD_MUST_CHECK enum pd_code sigv4_bucket_validate(const char *bucket,
                                                 struct pd_err *err);

struct sigv4_signer;

/*
 * A new signer for (credentials, region, service) - service is "s3" for
 * everything presignd does. Copies what it needs; the caller may wipe its
 * own credentials afterwards. Free with sigv4_signer_free.
 */
PD_MUST_CHECK enum pd_code
sigv4_signer_new(struct sigv4_signer **out,
                 const struct sigv4_credentials *creds, const char *region,
                 const char *service, struct pd_err *err);

/* Wipes and frees. NULL is allowed. */
void sigv4_signer_free(struct sigv4_signer *s);

/* The expiration of the signer's credentials (0: none). */
time_t sigv4_signer_expiration(const struct sigv4_signer *s);

/* One presigned request. Strings are borrowed for the call only. */
struct sigv4_presign_request {
    const char *method; /* "GET", "HEAD" or "PUT" */
    const char *bucket;
    const char *key; /* raw bytes, not percent-encoded; need not be text */
    size_t key_len;
    const struct sigv4_endpoint *endpoint;
    enum sigv4_addressing addressing;
    time_t now;       /* signing time (X-Amz-Date) */
    unsigned expires; /* 1..SIGV4_MAX_EXPIRES seconds */
    /* Optional response overrides; NULL or "" to leave out. */
    const char *response_content_type;
    const char *response_content_disposition;
    const char *response_cache_control;
};

/*
 * Appends the presigned URL to out (which the caller owns). Fails with
 * PD_EINVAL naming the problem: bad method, bucket, key (empty, over
 * SIGV4_MAX_KEY_LEN), expiry out of range, credentials expiring before the
 * URL would, an override over SIGV4_OVERRIDE_MAX bytes or holding a control
 * character, overrides on PUT; PD_ELIMIT when out cannot grow enough.
 * Allocates nothing itself once out has room (OpenSSL 3.0 allocates inside
 * each digest); lock-free once the date's key is cached.
 */
PD_MUST_CHECK enum pd_code sigv4_presign(struct sigv4_signer *s,
                                         const struct sigv4_presign_request *r,
                                         struct pd_buf *out,
                                         struct pd_err *err);

/*
 * Builds a Content-Disposition value: `attachment` or `inline`, with a
 * quoted ASCII filename (quotes and backslashes escaped, non-ASCII bytes
 * replaced) and, for non-ASCII names, an RFC 5987 filename* parameter.
 */
PD_MUST_CHECK enum pd_code sigv4_content_disposition(struct pd_buf *out,
                                                     bool attachment,
                                                     const char *filename,
                                                     struct pd_err *err);

/* A header of a request to be signed (name in any case; value untrimmed). */
struct sigv4_header {
    const char *name;
    const char *value;
};

#define SIGV4_MAX_HEADERS 32

/* An S3 API request to sign with an Authorization header. */
struct sigv4_header_request {
    const char *method;
    const struct sigv4_endpoint *endpoint;
    enum sigv4_addressing addressing;
    const char *bucket; /* NULL for service-level calls */
    const char *key;    /* NULL or raw key bytes (NUL-terminated) */
    /* Raw (unencoded) query parameters; value NULL means "?name" alone,
     * e.g. {"publicAccessBlock", ""} or {"acl", ""}. */
    const struct sigv4_header *query;
    size_t query_count;
    /* Extra headers to send and sign (e.g. Content-Type, Content-MD5). */
    const struct sigv4_header *headers;
    size_t header_count;
    const char *payload_sha256_hex; /* NULL: "UNSIGNED-PAYLOAD" */
    time_t now;
};

/* The result of sigv4_sign_headers: a URL and the headers to send. */
struct sigv4_signed_request {
    struct pd_buf url; /* scheme://host[:port]/path?query */
    /* "Name: value" lines: Host, X-Amz-Date, X-Amz-Content-Sha256,
     * X-Amz-Security-Token (when present), the extra headers, and
     * Authorization, each without a line ending. */
    struct pd_buf header_lines[SIGV4_MAX_HEADERS + 5];
    size_t header_count;
};

void sigv4_signed_request_init(struct sigv4_signed_request *r);
/* Frees the URL and lines; the lines (token, signature) are wiped first. */
void sigv4_signed_request_release(struct sigv4_signed_request *r);

/*
 * Signs an S3 API call for the Authorization header (S3 rules: the key is
 * encoded once, never normalised). Always sends and signs
 * X-Amz-Content-Sha256 (radosgw refuses requests without it) and, with
 * temporary credentials, X-Amz-Security-Token. out must be initialised and
 * empty. PD_EINVAL naming the problem: bad method (not upper-case letters),
 * bucket, key (empty, over SIGV4_MAX_KEY_LEN, or without a bucket), a Host,
 * X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256 or Authorization
 * among the extra headers, a header value with a line break, a payload hash
 * that is not 64 lower-case hex digits. Thread-safe on one signer.
 */
PD_MUST_CHECK enum pd_code
sigv4_sign_headers(struct sigv4_signer *s, const struct sigv4_header_request *r,
                   struct sigv4_signed_request *out, struct pd_err *err);

/* Parses "YYYYMMDDTHHMMSSZ" (UTC) into *out. */
PD_MUST_CHECK enum pd_code sigv4_parse_amz_date(const char *s, time_t *out,
                                                struct pd_err *err);

/* Formats t (UTC) as "YYYYMMDDTHHMMSSZ" into out (17 bytes with the NUL).
 * Years 1970..9999 only; others give "00000000T000000Z". Thread-safe (no
 * gmtime, no locale, no lock). */
void sigv4_format_amz_date(time_t t, char out[17]);

/*
 * The stages of a signature, exposed so tests can check each one against
 * the official suites, and the rule sets they run under.
 */

/* How the path of a canonical request is formed. */
enum sigv4_rules {
    /* S3: the path is the raw object path ("/bucket/key" bytes, not
     * percent-encoded); it is encoded exactly once and never normalised,
     * so "a//b/../c" is signed as written. */
    SIGV4_RULES_S3 = 0,
    /* Every other service: the path is the URI path as sent (already
     * percent-encoded); dot segments and empty segments are removed and the
     * result is encoded again ("double encoding": "%20" becomes "%2520"). */
    SIGV4_RULES_GENERIC,
};

/* A request for the stage functions. Strings are borrowed. */
struct sigv4_request {
    const char *method;
    const char *path; /* see enum sigv4_rules; "" means "/" */
    size_t path_len;
    enum sigv4_rules rules;
    /* Raw (decoded) query parameters; a NULL value is signed as "". */
    const struct sigv4_header *query;
    size_t query_count;
    /* Every header to sign, Host included; repeated names are joined with
     * ',' in the order given; values are trimmed and inner runs of
     * whitespace folded to one space, as SigV4 requires. */
    const struct sigv4_header *headers;
    size_t header_count;
    const char *payload_hash; /* lower-case hex SHA-256, or UNSIGNED-PAYLOAD */
};

/*
 * Stage 1: appends the canonical request to out and, when signed_headers is
 * not NULL, the "a;b;c" list of signed header names to it. PD_EINVAL for a
 * missing method, path or payload hash, more than SIGV4_MAX_HEADERS headers
 * or a header name that is empty or not a token.
 */
PD_MUST_CHECK enum pd_code
sigv4_canonical_request(struct pd_buf *out, struct pd_buf *signed_headers,
                        const struct sigv4_request *r, struct pd_err *err);

/*
 * Stage 2: appends "AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256 of
 * the canonical request>" to out, scope being DATE/REGION/SERVICE/aws4_request.
 */
PD_MUST_CHECK enum pd_code sigv4_string_to_sign(struct pd_buf *out, time_t now,
                                                const char *region,
                                                const char *service,
                                                const char *canonical_request,
                                                size_t len, struct pd_err *err);

/*
 * Stage 3: the hex signature of string_to_sign with the signer's key for
 * the date of now (derived once per date, then cached). Thread-safe.
 */
PD_MUST_CHECK enum pd_code sigv4_signer_signature(struct sigv4_signer *s,
                                                  time_t now,
                                                  const char *string_to_sign,
                                                  size_t len, char hex[65],
                                                  struct pd_err *err);

/* The lower-case hex SHA-256 of n bytes at p. */
PD_MUST_CHECK enum pd_code sigv4_sha256_hex(const void *p, size_t n,
                                            char hex[65], struct pd_err *err);

/* Where the signature goes. */
enum sigv4_placement {
    SIGV4_PLACE_HEADER = 0, /* X-Amz-Date + Authorization headers */
    SIGV4_PLACE_QUERY,      /* X-Amz-* query parameters (presigning) */
};

struct sigv4_sign_options {
    enum sigv4_placement placement;
    unsigned expires; /* query placement: X-Amz-Expires, 1..604800 */
    /* Header placement: also send and sign x-amz-content-sha256 (S3 and
     * Ceph radosgw require it). */
    bool content_sha256_header;
    /* Add the session token after signing, unsigned. Some services want
     * that; S3 does not (presignd's own S3 paths always sign it). */
    bool token_unsigned;
};

#define SIGV4_MAX_ADDED 4

/* Everything a signature produced: each stage and what to add. */
struct sigv4_signing {
    struct pd_buf canonical_request;
    struct pd_buf string_to_sign;
    char signature[65];
    /* Query placement: the encoded parameters to append to the request's
     * query, "X-Amz-Algorithm=...&...&X-Amz-Signature=...". */
    struct pd_buf query;
    /* Header placement: "Name:value" lines to add (X-Amz-Date, then maybe
     * X-Amz-Content-Sha256 and X-Amz-Security-Token, then Authorization). */
    struct pd_buf added[SIGV4_MAX_ADDED];
    size_t added_count;
};

void sigv4_signing_init(struct sigv4_signing *g);
void sigv4_signing_release(struct sigv4_signing *g);

/*
 * Signs r at time now with the signer's credentials, region and service,
 * running every stage. The request must not carry X-Amz-Date,
 * X-Amz-Security-Token, x-amz-content-sha256 or Authorization headers (or
 * X-Amz-* signing parameters): the signer adds them. The session token, if
 * any, is signed unless o->token_unsigned. Thread-safe on one signer.
 */
PD_MUST_CHECK enum pd_code
sigv4_sign_request(struct sigv4_signer *s, const struct sigv4_request *r,
                   time_t now, const struct sigv4_sign_options *o,
                   struct sigv4_signing *out, struct pd_err *err);

#endif
