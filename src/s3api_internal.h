/*
 * s3api_internal.h - what the S3 client's source files share: the client
 * structure and the one request runner. Not part of the public contract.
 */
#ifndef PRESIGND_S3API_INTERNAL_H
#define PRESIGND_S3API_INTERNAL_H

#include "presignd/s3api.h"

#include <curl/curl.h>

struct s3api_client {
    struct s3api_config cfg;
    struct sigv4_endpoint endpoint;
    enum sigv4_addressing addressing; /* resolved: never AUTO for custom */
    char region[SIGV4_REGION_MAX];
    char endpoint_url[SIGV4_HOST_MAX + 32];
    struct sigv4_signer *signer;
    CURL *curl; /* kept for the client's life: connections are reused */
    struct curl_slist *resolve;
    struct pd_buf body; /* the last answer's body */
    struct s3api_reply reply;
};

/* One S3 API request. */
struct s3api_call {
    const char *op;          /* "GetBucketAcl": named in errors */
    const char *method;      /* GET, PUT, DELETE, HEAD */
    const char *bucket;      /* NULL for service calls */
    const char *key;         /* NULL for bucket calls */
    const char *subresource; /* "acl", "policy", ... or NULL */
    const char *body;        /* NULL: no body */
    size_t body_len;
    const char *content_type; /* with a body */
};

/*
 * Runs call with retries; on PD_OK the answer is 2xx and its body is in
 * c->body. Otherwise err names the operation, status and S3 code, and
 * c->reply holds them for callers that key on a code.
 */
PD_MUST_CHECK enum pd_code s3api_call_run(struct s3api_client *c,
                                          const struct s3api_call *call,
                                          struct pd_err *err);

#endif
