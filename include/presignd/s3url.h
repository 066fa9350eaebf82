/*
 * s3url.h - legacy object URLs to (bucket, key): every real-world S3 URL form.
 *
 * Pure: no I/O, no globals beyond the configuration passed in. The same code
 * serves `presignd parse-url`, the backfill and the gateway's fallback for
 * rows not yet backfilled. URL syntax is parsed with libcurl's URL API; the
 * S3 host grammar (virtual-hosted, path-style, dash and dot regions,
 * s3-external-1, dual-stack, accelerate, FIPS, China, website endpoints) is
 * ours. Keys are percent-decoded exactly once; '+' in a path means a space.
 *
 * Forms understood (style in brackets):
 *   https://BUCKET.s3[.REGION].amazonaws.com/KEY                 [virtual]
 *   https://s3[.REGION].amazonaws.com/BUCKET/KEY                 [path]
 *   hosts s3-REGION, s3-external-1 (us-east-1), s3.dualstack.REGION,
 *   s3-fips[-REGION|.REGION|.dualstack.REGION], all of them also under
 *   amazonaws.com.cn, in either style                            [virtual|path]
 *   https://BUCKET.s3-accelerate[.dualstack].amazonaws.com/KEY   [accelerate]
 *   http://BUCKET.s3-website(-|.)REGION.amazonaws.com/KEY        [website]
 *   s3://BUCKET/KEY                                              [s3-uri]
 *   a configured custom endpoint: ENDPOINT/BUCKET/KEY            [path]
 *   a configured CDN host: https://HOST/PATH is PREFIX/PATH      [cdn]
 *
 * Rules, in the order they apply:
 * - Surrounding ASCII whitespace is trimmed; "//host/..." is read as https.
 * - s3:// URIs are taken as the AWS CLI writes them: everything after
 *   "s3://BUCKET/" is the key, literally (no percent-decoding, '?' and '#'
 *   are part of the key).
 * - http(s) URLs: the query (stale SigV2/SigV4 signatures and the like) and
 *   the fragment are dropped; a versionId parameter is reported in
 *   version_id (%XX decoded, a raw '+' kept, since version ids never hold
 *   spaces). User information, a non-default port on an AWS host and hosts
 *   that merely contain an AWS name ("b.s3.amazonaws.com.evil.example") are
 *   refused. Host case does not matter; a trailing dot and an explicit
 *   default port are accepted.
 * - The key is the path after the bucket, percent-decoded exactly once: '+'
 *   is a space (S3's reading; ambiguous_plus tells the caller), %2B a plus,
 *   %2F a slash; '.', '..' and empty segments are kept verbatim; raw spaces
 *   and raw UTF-8 are accepted; bytes are not Unicode-normalised. A key must
 *   be valid UTF-8 without NUL, 1 to 1024 bytes.
 * - Bucket names follow S3's current rules (3-63 of a-z 0-9 . -, starting
 *   and ending with a letter or digit, no "..", not an IPv4 address, not
 *   xn--, sthree-, -s3alias or --ol-s3). Legacy us-east-1 names with
 *   capitals or underscores are refused (known limitation).
 *
 * Configuration shared by the CLI, the backfill and serve (see
 * s3url_config_from_env):
 *   PRESIGND_S3_ENDPOINTS  comma-separated URL[@REGION], custom S3-compatible
 *                          endpoints whose URLs are path-style
 *   PRESIGND_CDNS          comma-separated HOST=BUCKET[/PREFIX][@REGION]
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

/* A short stable name for a reason, e.g. "external". Never NULL. */
const char *s3url_reason_name(enum s3url_reason r);

/* The style as printed: "virtual", "path", "s3-uri", "accelerate",
 * "website" or "cdn". Never NULL. */
const char *s3url_style_name(enum s3url_style s);

#define S3URL_MAX_ENDPOINTS 16
#define S3URL_MAX_CDNS      16

struct s3url_endpoint {
    char *scheme_host_port; /* normalised "http://minio.internal:9000" */
    char *region;           /* NULL when unknown */
    char *host;             /* lower case, IPv6 in brackets, no port */
    unsigned port;          /* the spec's explicit port; 0 when it had none */
};

struct s3url_cdn {
    char *host; /* lower case, may include ":port" */
    char *bucket;
    char *prefix; /* "" or "a/b" (no leading or trailing '/'), literal */
    char *region; /* NULL when unknown */
};

/* What the parser knows beyond AWS's own hosts. */
struct s3url_config {
    struct s3url_endpoint endpoints[S3URL_MAX_ENDPOINTS];
    size_t endpoint_count;
    struct s3url_cdn cdns[S3URL_MAX_CDNS];
    size_t cdn_count;
};

/* Makes c empty. */
void s3url_config_init(struct s3url_config *c);

/* Frees everything c owns; c is empty (and reusable) afterwards. */
void s3url_config_release(struct s3url_config *c);

/*
 * Adds "URL[@REGION]" as a custom path-style endpoint, e.g.
 * "http://minio.internal:9000@us-east-1". URL is http or https, without
 * user information, path, query or fragment. REGION is 1-63 of
 * [A-Za-z0-9_-]. A URL matches when its host is the endpoint's and its port
 * is the spec's explicit port, or, when the spec had none, the URL has no
 * port other than 80/443 (so http and https URLs of one host both match).
 * Fails with PD_ECONFIG (bad spec), PD_ELIMIT (S3URL_MAX_ENDPOINTS reached)
 * or PD_ENOMEM; c is unchanged on failure. spec is copied.
 */
PD_MUST_CHECK enum pd_code s3url_config_add_endpoint(struct s3url_config *c,
                                                     const char *spec,
                                                     struct pd_err *err);

/*
 * Adds "HOST=BUCKET[/PREFIX][@REGION]" as a CDN mapping, e.g.
 * "cdn.example.com=avatars/users@eu-west-1": https://HOST/a/b becomes key
 * "PREFIX/a/b" (or "a/b" without a prefix) in BUCKET. HOST may carry a
 * ":port"; it matches case-insensitively. PREFIX is literal (not
 * percent-decoded). Failures as for s3url_config_add_endpoint
 * (S3URL_MAX_CDNS).
 */
PD_MUST_CHECK enum pd_code s3url_config_add_cdn(struct s3url_config *c,
                                                const char *spec,
                                                struct pd_err *err);

/*
 * Adds the endpoints in PRESIGND_S3_ENDPOINTS and the CDN mappings in
 * PRESIGND_CDNS (both comma-separated, items as above, blanks around items
 * ignored, unset or empty means none) to c. Command-line flags are added
 * after this, so both sources count. Fails like the add functions, with
 * the variable's name in the detail. Reads the environment: call it before
 * starting threads.
 */
PD_MUST_CHECK enum pd_code s3url_config_from_env(struct s3url_config *c,
                                                 struct pd_err *err);

/*
 * Declares the object store presignd itself talks to (url as given to
 * --endpoint or AWS_ENDPOINT_URL, region may be NULL) as a legacy-URL
 * endpoint too, since a custom store's public URLs are path-style URLs on
 * it. AWS hosts are known to the parser already and are left alone; a store
 * also listed in PRESIGND_S3_ENDPOINTS counts once. Every command that
 * parses legacy URLs calls this, so one environment serves them all.
 */
PD_MUST_CHECK enum pd_code s3url_config_add_store(struct s3url_config *c,
                                                  const char *url,
                                                  const char *region,
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
    /* When ambiguous_plus: the other reading, each raw '+' kept as a plus
     * (same length as key). "" otherwise. */
    char key_literal_plus[1025];
};

/*
 * Parses url into *out (fully overwritten). c may be NULL (AWS hosts only).
 * Returns PD_OK when a reference was found; PD_EINVAL with out->reason and
 * out->detail saying why when the URL is not one (then only reason, detail
 * and external_host are meaningful); PD_ENOMEM (reason
 * S3URL_SYNTAX, detail "out of memory") when memory ran out, which says
 * nothing about the URL. Details hold printable ASCII only (other bytes as
 * \xNN) and never the query string. Pure and thread-safe: c is only read.
 */
PD_MUST_CHECK enum pd_code s3url_parse(const struct s3url_config *c,
                                       const char *url,
                                       struct s3url_result *out);

#endif
