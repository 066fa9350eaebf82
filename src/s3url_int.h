/*
 * s3url_int.h - the pieces of the legacy-URL parser, shared by its files and
 * its unit tests; not a contract for other modules (use s3url.h).
 *
 *   s3url.c        entry point, URL syntax (libcurl), path and query
 *   s3url_host.c   the AWS S3 host grammar, bucket and region names
 *   s3url_key.c    percent-decoding, UTF-8 validation, readable details
 *   s3url_config.c custom endpoints and CDN mappings
 */
#ifndef PRESIGND_S3URL_INT_H
#define PRESIGND_S3URL_INT_H

#include "presignd/s3url.h"

#include <stdbool.h>
#include <stddef.h>

/* S3's documented maximum key length in bytes. */
#define S3URL_KEY_MAX 1024

/* Longest input accepted; a stale presigned URL with a session token fits. */
#define S3URL_URL_MAX 16384

/* Sets out->reason and a printf-style detail; returns the reason. */
enum s3url_reason s3url_fail(struct s3url_result *out, enum s3url_reason r,
                             const char *fmt, ...) PD_PRINTF(3, 4);

/*
 * Writes n bytes of src into dst (size cap) as printable ASCII: other bytes
 * become \xNN, and a long text is cut with "...". For details only.
 */
void s3url_quote(char *dst, size_t cap, const char *src, size_t n);

/* True when p[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool s3url_utf8_valid(const char *p, size_t n);

/*
 * Decodes the raw URL path tail raw[0..n) into out->key after prefix
 * (joined with '/' when prefix is not empty): %XX once, '+' as a space
 * (recording the other reading, see s3url_result), other bytes as they
 * are. Fails with S3URL_BAD_ESCAPE, S3URL_KEY_TOO_LONG, S3URL_BAD_UTF8 or
 * S3URL_NO_KEY (nothing after the prefix).
 */
enum s3url_reason s3url_decode_key(const char *prefix, const char *raw,
                                   size_t n, struct s3url_result *out);

/* Copies a literal key (s3:// URIs) into out->key, with the same checks. */
enum s3url_reason s3url_literal_key(const char *raw, size_t n,
                                    struct s3url_result *out);

/*
 * Decodes a versionId query value into out->version_id: %XX once, '+'
 * literal; the result must be 1-255 printable ASCII bytes (an empty value
 * counts as absent). Fails with S3URL_BAD_ESCAPE or S3URL_SYNTAX.
 */
enum s3url_reason s3url_decode_version(const char *raw, size_t n,
                                       struct s3url_result *out);

/* Checks a bucket name against S3's rules; *why says what broke. */
bool s3url_bucket_valid(const char *b, size_t n, const char **why);

/* True for an AWS region shape: "us-east-1", "us-gov-west-1", "cn-north-1". */
bool s3url_region_valid(const char *r, size_t n);

/*
 * Reads host (lower case, no port, no trailing dot) with the AWS S3 grammar.
 * On S3URL_OK: out->style is S3URL_VIRTUAL, S3URL_PATH, S3URL_ACCELERATE or
 * S3URL_WEBSITE, out->region is set when the host names one, and out->bucket
 * holds a validated bucket for every style but S3URL_PATH (where it is "").
 * Otherwise S3URL_EXTERNAL (not S3; out->external_host set) or
 * S3URL_BAD_BUCKET.
 */
enum s3url_reason s3url_aws_host(const char *host, struct s3url_result *out);

#endif
