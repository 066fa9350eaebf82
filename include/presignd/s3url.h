/*
 * s3url.h - legacy object URLs to (bucket, key): every real-world S3 URL form.
 *
 * Pure: no I/O, no globals beyond the configuration passed in. The same code
 * serves `presignd parse-url`, the backfill and the gateway's fallback for
 * rows not yet backfilled. URL syntax is parsed with libcurl's URL API; the
 * S3 host grammar (virtual-hosted, path-style, dash and dot regions,
 * s3-external-1, dual-stack, accelerate, FIPS, China, website endpoints) is
 * ours. Keys are percent-decoded exactly once; '+' in a path means a space.
 */
#ifndef PRESIGND_S3URL_H
#define PRESIGND_S3URL_H

#include "presignd/error.h"

#include <stdbool.h>
#include <stddef.h>

enum s3url_style {
    S3URL_VIRTUAL = 0,
    S3URL_PATH,
    S3URL_S3_URI,
    S3URL_ACCELERATE,
    S3URL_WEBSITE,
    S3URL_CDN,
};

/* Why a URL did not yield an object reference. */
enum s3url_reason {
    S3URL_OK = 0,
    S3URL_EMPTY,        /* NULL or empty string */
    S3URL_SYNTAX,       /* not a URL at all */
    S3URL_SCHEME,       /* not http, https or s3 */
    S3URL_USERINFO,     /* user:password@ in the authority */
    S3URL_EXTERNAL,     /* a host that is not S3 (e.g. gravatar) */
    S3URL_NO_KEY,       /* bucket but no object key */
    S3URL_BAD_BUCKET,   /* bucket name breaks S3's rules */
    S3URL_BAD_ESCAPE,   /* malformed %XX */
    S3URL_BAD_UTF8,     /* key is not valid UTF-8 after decoding */
    S3URL_KEY_TOO_LONG, /* over 1024 bytes */
};

/* A short stable name for a reason, e.g. "external". */
const char *s3url_reason_name(enum s3url_reason r);

#define S3URL_MAX_ENDPOINTS 16
#define S3URL_MAX_CDNS      16

struct s3url_endpoint {
    char *scheme_host_port; /* normalised "http://minio.internal:9000" */
    char *region;           /* NULL when unknown */
};

struct s3url_cdn {
    char *host; /* lower case, may include ":port" */
    char *bucket;
    char *prefix; /* "" or "a/b" (no leading or trailing '/') */
    char *region; /* NULL when unknown */
};

/* What the parser knows beyond AWS's own hosts. */
struct s3url_config {
    struct s3url_endpoint endpoints[S3URL_MAX_ENDPOINTS];
    size_t endpoint_count;
    struct s3url_cdn cdns[S3URL_MAX_CDNS];
    size_t cdn_count;
};

void s3url_config_init(struct s3url_config *c);
void s3url_config_release(struct s3url_config *c);

/* Adds "URL[@REGION]" as a custom path-style endpoint. */
PD_MUST_CHECK enum pd_code s3url_config_add_endpoint(struct s3url_config *c,
                                                     const char *spec,
                                                     struct pd_err *err);

/* Adds "HOST=BUCKET[/PREFIX][@REGION]" as a CDN mapping. */
PD_MUST_CHECK enum pd_code s3url_config_add_cdn(struct s3url_config *c,
                                                const char *spec,
                                                struct pd_err *err);

struct s3url_result {
    enum s3url_reason reason; /* S3URL_OK on success */
    char detail[256];         /* readable reason when not OK */
    enum s3url_style style;
    char bucket[64];
    char key[1025]; /* decoded bytes, NUL-terminated */
    size_t key_len;
    char region[64];         /* "" when the URL does not reveal it */
    char version_id[256];    /* "" when absent */
    char endpoint[256];      /* "" unless a custom endpoint matched */
    char external_host[256]; /* set when reason is S3URL_EXTERNAL */
    bool ambiguous_plus;     /* the key came from a raw '+' (space or plus?) */
};

/*
 * Parses url into *out. Returns PD_OK when a reference was found; otherwise
 * PD_EINVAL with out->reason and out->detail saying why. Thread-safe.
 */
PD_MUST_CHECK enum pd_code s3url_parse(const struct s3url_config *c,
                                       const char *url,
                                       struct s3url_result *out);

#endif
