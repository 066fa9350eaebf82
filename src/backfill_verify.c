/*
 * backfill_verify.c - signed HEAD requests for `presignd backfill --verify`
 * (see backfill_verify.h): each object gets a presigned HEAD URL, computed
 * locally, and one libcurl request on a reused connection.
 */
#include "presignd/backfill_verify.h"

#include "presignd/awsenv.h"
#include "presignd/buf.h"
#include "presignd/sigv4.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REGIONS     8 /* signers kept, one per region seen */
#define HEAD_EXPIRES    300
#define CONNECT_TIMEOUT 10L
#define REQUEST_TIMEOUT 30L

struct region_signer {
    char region[SIGV4_REGION_MAX];
    struct sigv4_signer *signer;
};

struct backfill_verify_s3 {
    struct backfill_verifier hook;
    struct sigv4_credentials creds; /* wiped on free */
    struct region_signer signers[MAX_REGIONS];
    size_t signer_count;
    /* AWS_ENDPOINT_URL(_S3): every request goes there, path-style. */
    struct sigv4_endpoint forced;
    bool has_forced;
    CURL *curl;
    struct pd_buf url;
};

/* The signer for region, made on first use. */
static struct sigv4_signer *signer_for(struct backfill_verify_s3 *v,
                                       const char *region, struct pd_err *err)
{
    struct region_signer *rs;

    for (size_t i = 0; i < v->signer_count; i++)
        if (strcmp(v->signers[i].region, region) == 0)
            return v->signers[i].signer;
    if (v->signer_count == MAX_REGIONS) {
        pd_fail(err, PD_ELIMIT, "objects in more than %d regions", MAX_REGIONS);
        return NULL;
    }
    rs = &v->signers[v->signer_count];
    if (sigv4_signer_new(&rs->signer, &v->creds, region, "s3", err) != PD_OK)
        return NULL;
    snprintf(rs->region, sizeof(rs->region), "%s", region);
    v->signer_count++;
    return rs->signer;
}

/* Where the object lives: the forced endpoint, the URL's custom endpoint,
 * or AWS in the URL's (or the environment's) region. */
static enum pd_code target(const struct backfill_verify_s3 *v,
                           const struct s3url_result *p,
                           struct sigv4_endpoint *ep, const char **region,
                           enum sigv4_addressing *addressing,
                           struct pd_err *err)
{
    const char *env_region = awsenv_region();

    *region = p->region[0] != '\0' ? p->region
              : env_region != NULL ? env_region
                                   : "us-east-1";
    *addressing = SIGV4_ADDRESSING_PATH;
    if (v->has_forced) {
        *ep = v->forced;
        if (env_region != NULL)
            *region = env_region;
        return PD_OK;
    }
    if (p->endpoint[0] != '\0')
        return sigv4_endpoint_parse(ep, p->endpoint, err);
    *addressing = SIGV4_ADDRESSING_AUTO;
    return sigv4_endpoint_aws(ep, *region, false, err);
}

static enum pd_code presign_head(struct backfill_verify_s3 *v,
                                 const struct backfill_object *obj,
                                 struct pd_err *err)
{
    struct sigv4_presign_request r = {0};
    struct sigv4_endpoint ep;
    struct sigv4_signer *signer;
    const char *region;
    enum pd_code rc = target(v, obj->parsed, &ep, &region, &r.addressing, err);

    if (rc != PD_OK)
        return rc;
    signer = signer_for(v, region, err);
    if (signer == NULL)
        return err != NULL ? err->code : PD_ECONFIG;
    r.method = "HEAD";
    r.bucket = obj->parsed->bucket;
    r.key = obj->key;
    r.key_len = obj->key_len;
    r.endpoint = &ep;
    r.now = time(NULL);
    r.expires = HEAD_EXPIRES;
    pd_buf_reset(&v->url);
    return sigv4_presign(signer, &r, &v->url, err);
}

static void copy_content_type(CURL *curl, char *out, size_t size)
{
    char *ct = NULL;

    if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
        ct != NULL && strlen(ct) < size)
        snprintf(out, size, "%s", ct);
}

static enum backfill_exists head(void *arg, const struct backfill_object *obj,
                                 char *content_type, size_t ct_size,
                                 char *detail, size_t detail_size)
{
    struct backfill_verify_s3 *v = arg;
    struct pd_err err;
    CURLcode cc;
    long status = 0;

    pd_err_clear(&err);
    if (presign_head(v, obj, &err) != PD_OK) {
        snprintf(detail, detail_size, "cannot sign: %s", err.msg);
        return BACKFILL_CHECK_FAILED;
    }
    curl_easy_setopt(v->curl, CURLOPT_URL, v->url.data);
    cc = curl_easy_perform(v->curl);
    /* The presigned URL is a bearer credential for 5 minutes: drop it. */
    pd_buf_reset(&v->url);
    if (cc != CURLE_OK) {
        snprintf(detail, detail_size, "HEAD failed: %s",
                 curl_easy_strerror(cc));
        return BACKFILL_CHECK_FAILED;
    }
    curl_easy_getinfo(v->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        copy_content_type(v->curl, content_type, ct_size);
        return BACKFILL_EXISTS;
    }
    snprintf(detail, detail_size, "HEAD answered %ld", status);
    if (status == 404)
        return BACKFILL_MISSING;
    /* S3 answers 403, not 404, for a missing key when the caller may not
     * list the bucket: that is "unknown", not "missing". */
    return BACKFILL_CHECK_FAILED;
}

static enum pd_code setup_curl(struct backfill_verify_s3 *v, struct pd_err *err)
{
    v->curl = curl_easy_init();
    if (v->curl == NULL)
        return pd_fail(err, PD_ENOMEM, "cannot create a curl handle");
    curl_easy_setopt(v->curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(v->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(v->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(v->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
    curl_easy_setopt(v->curl, CURLOPT_TIMEOUT, REQUEST_TIMEOUT);
    curl_easy_setopt(v->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(v->curl, CURLOPT_USERAGENT, "presignd-backfill");
    return PD_OK;
}

enum pd_code backfill_verify_s3_new(struct backfill_verify_s3 **out,
                                    struct pd_err *err)
{
    struct backfill_verify_s3 *v = calloc(1, sizeof(*v));
    const char *forced = awsenv_endpoint_url();
    enum pd_code rc;

    *out = NULL;
    if (v == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    pd_buf_init(&v->url, 64 * 1024);
    v->hook.arg = v;
    v->hook.head = head;
    rc = awsenv_credentials(&v->creds, err);
    if (rc == PD_OK && forced != NULL && forced[0] != '\0') {
        rc = sigv4_endpoint_parse(&v->forced, forced, err);
        v->has_forced = rc == PD_OK;
    }
    if (rc == PD_OK)
        rc = setup_curl(v, err);
    if (rc != PD_OK) {
        backfill_verify_s3_free(v);
        return rc;
    }
    *out = v;
    return PD_OK;
}

const struct backfill_verifier *
backfill_verify_s3_hook(struct backfill_verify_s3 *v)
{
    return v != NULL ? &v->hook : NULL;
}

void backfill_verify_s3_free(struct backfill_verify_s3 *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->signer_count; i++)
        sigv4_signer_free(v->signers[i].signer);
    sigv4_credentials_wipe(&v->creds);
    if (v->curl != NULL)
        curl_easy_cleanup(v->curl);
    pd_buf_release_wipe(&v->url);
    free(v);
}
