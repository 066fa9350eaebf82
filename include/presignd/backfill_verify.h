/*
 * backfill_verify.h - the --verify hook of the backfill: a SigV4-signed
 * HEAD request per object, sent with libcurl.
 *
 * Credentials, region and endpoint come from the AWS_* environment
 * (awsenv.h). Requests go to AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when
 * set (path-style), else to the object's custom endpoint when the URL named
 * one, else to the AWS regional endpoint of the object's region (or
 * AWS_REGION, or us-east-1). Presigned URLs and credentials never reach a
 * log or an error detail. Each request times out after 30 s. Not
 * thread-safe: one verifier per thread.
 */
#ifndef PRESIGND_BACKFILL_VERIFY_H
#define PRESIGND_BACKFILL_VERIFY_H

#include "presignd/backfill.h"
#include "presignd/error.h"

struct backfill_verify_s3;

#define BACKFILL_VERIFY_MAX_CONCURRENCY 64

/*
 * A new verifier keeping up to concurrency (1..64) HEAD requests in flight;
 * PD_ECONFIG when no credentials are found.
 */
PD_MUST_CHECK enum pd_code
backfill_verify_s3_new(struct backfill_verify_s3 **out, size_t concurrency,
                       struct pd_err *err);

/* The hook to put in backfill_options.verify (NULL when v is NULL). */
const struct backfill_verifier *
backfill_verify_s3_hook(struct backfill_verify_s3 *v);

void backfill_verify_s3_free(struct backfill_verify_s3 *v);

#endif
