/*
 * backfill_verify.c - signed HEAD requests for `presignd backfill --verify`
 * (see backfill_verify.h): each object gets a presigned HEAD URL, computed
 * locally, and one libcurl request; up to --verify-concurrency requests are
 * in flight at once, each handle reusing its connection.
 */
#include "presignd/backfill_verify.h"

#include "presignd/awsenv.h"
#include "presignd/buf.h"
#include "presignd/sigv4.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
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

/* One request in flight: a handle that keeps its connection between
 * requests, and the check it answers. */
struct head_slot {
    CURL *curl;
    struct pd_buf url; /* the presigned URL, wiped after use */
    struct backfill_check *job;
};

struct backfill_verify_s3 {
    struct backfill_verifier hook;
    struct sigv4_credentials creds; /* wiped on free */
    struct region_signer signers[MAX_REGIONS];
    size_t signer_count;
    /* AWS_ENDPOINT_URL(_S3): every request goes there, path-style. */
    struct sigv4_endpoint forced;
    bool has_forced;
    CURLM *multi;
    struct curl_slist *pins; /* PRESIGND_S3_RESOLVE, as audit reads it */
    struct head_slot slots[BACKFILL_VERIFY_MAX_CONCURRENCY];
    size_t concurrency;
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
                                 struct head_slot *slot, struct pd_err *err)
{
    const struct backfill_check *c = slot->job;
    struct sigv4_presign_request r = {0};
    struct sigv4_endpoint ep;
    struct sigv4_signer *signer;
    const char *region;
    enum pd_code rc = target(v, c->parsed, &ep, &region, &r.addressing, err);

    if (rc != PD_OK)
        return rc;
    signer = signer_for(v, region, err);
    if (signer == NULL)
        return PD_ECONFIG;
    r.method = "HEAD";
    r.bucket = c->parsed->bucket;
    r.key = c->key;
    r.key_len = c->key_len;
    r.endpoint = &ep;
    r.now = time(NULL);
    r.expires = HEAD_EXPIRES;
    pd_buf_reset(&slot->url);
    return sigv4_presign(signer, &r, &slot->url, err);
}

/* Signs the slot's check and hands it to the multi handle. */
static bool start(struct backfill_verify_s3 *v, struct head_slot *slot)
{
    struct pd_err err;

    pd_err_clear(&err);
    if (presign_head(v, slot, &err) != PD_OK) {
        slot->job->exists = BACKFILL_CHECK_FAILED;
        snprintf(slot->job->detail, sizeof(slot->job->detail),
                 "cannot sign: %.200s", err.msg);
        return false;
    }
    curl_easy_setopt(slot->curl, CURLOPT_URL, slot->url.data);
    curl_easy_setopt(slot->curl, CURLOPT_PRIVATE, slot);
    if (curl_multi_add_handle(v->multi, slot->curl) != CURLM_OK) {
        slot->job->exists = BACKFILL_CHECK_FAILED;
        snprintf(slot->job->detail, sizeof(slot->job->detail),
                 "cannot start the HEAD request");
        return false;
    }
    return true;
}

/* Records what the store answered for a finished request. */
static void finish(struct backfill_verify_s3 *v, struct head_slot *slot,
                   CURLcode cc)
{
    struct backfill_check *c = slot->job;
    long status = 0;
    char *ct = NULL;

    curl_multi_remove_handle(v->multi, slot->curl);
    /* The presigned URL is a bearer credential for 5 minutes: drop it. */
    if (slot->url.data != NULL)
        OPENSSL_cleanse(slot->url.data, slot->url.len);
    pd_buf_reset(&slot->url);
    slot->job = NULL;
    if (cc != CURLE_OK) {
        c->exists = BACKFILL_CHECK_FAILED;
        snprintf(c->detail, sizeof(c->detail), "HEAD failed: %s",
                 curl_easy_strerror(cc));
        return;
    }
    curl_easy_getinfo(slot->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        c->exists = BACKFILL_EXISTS;
        if (curl_easy_getinfo(slot->curl, CURLINFO_CONTENT_TYPE, &ct) ==
                CURLE_OK &&
            ct != NULL && strlen(ct) < sizeof(c->content_type))
            snprintf(c->content_type, sizeof(c->content_type), "%s", ct);
        return;
    }
    snprintf(c->detail, sizeof(c->detail), "HEAD answered %ld", status);
    /* S3 answers 403, not 404, for a missing key when the caller may not
     * list the bucket: that is "unknown", not "missing". */
    c->exists = status == 404 ? BACKFILL_MISSING : BACKFILL_CHECK_FAILED;
}

static void collect_done(struct backfill_verify_s3 *v, size_t *running)
{
    CURLMsg *msg;
    int left;
    struct head_slot *slot;

    while ((msg = curl_multi_info_read(v->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        slot = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&slot);
        if (slot == NULL)
            continue;
        finish(v, slot, msg->data.result);
        (*running)--;
    }
}

static struct head_slot *free_slot(struct backfill_verify_s3 *v)
{
    for (size_t i = 0; i < v->concurrency; i++)
        if (v->slots[i].job == NULL)
            return &v->slots[i];
    return NULL;
}

/* The hook: keeps up to `concurrency` HEADs in flight until all n are
 * answered (each request is bounded by REQUEST_TIMEOUT). */
static void check(void *arg, struct backfill_check *checks, size_t n)
{
    struct backfill_verify_s3 *v = arg;
    size_t next = 0, running = 0;
    struct head_slot *slot;
    int still;

    while (next < n || running > 0) {
        while (next < n && (slot = free_slot(v)) != NULL) {
            slot->job = &checks[next++];
            if (start(v, slot))
                running++;
            else
                slot->job = NULL;
        }
        curl_multi_perform(v->multi, &still);
        collect_done(v, &running);
        if (running > 0)
            curl_multi_poll(v->multi, NULL, 0, 1000, NULL);
    }
}

/*
 * PRESIGND_S3_RESOLVE: comma-separated "HOST:PORT:ADDRESS" pins, so a named
 * endpoint is reached without a DNS lookup (the audit commands read the
 * same variable).
 */
static enum pd_code read_pins(struct backfill_verify_s3 *v, struct pd_err *err)
{
    const char *p = getenv("PRESIGND_S3_RESOLVE");
    char item[512];

    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, ",");
        struct curl_slist *next;

        if (n >= sizeof(item))
            return pd_fail(err, PD_ECONFIG,
                           "PRESIGND_S3_RESOLVE: a pin is "
                           "over 511 bytes");
        memcpy(item, p, n);
        item[n] = '\0';
        if (n > 0) {
            next = curl_slist_append(v->pins, item);
            if (next == NULL)
                return pd_fail(err, PD_ENOMEM, "out of memory");
            v->pins = next;
        }
        p += n + (p[n] == ',');
    }
    return PD_OK;
}

static enum pd_code setup_curl(struct backfill_verify_s3 *v, struct pd_err *err)
{
    if (read_pins(v, err) != PD_OK)
        return err->code;
    v->multi = curl_multi_init();
    if (v->multi == NULL)
        return pd_fail(err, PD_ENOMEM, "cannot create a curl handle");
    for (size_t i = 0; i < v->concurrency; i++) {
        CURL *c = curl_easy_init();

        if (c == NULL)
            return pd_fail(err, PD_ENOMEM, "cannot create a curl handle");
        v->slots[i].curl = c;
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        /* S3 keys are literal: "a/../b" is not "b". */
        curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, REQUEST_TIMEOUT);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "presignd-backfill");
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never an environment proxy */
        if (v->pins != NULL)
            curl_easy_setopt(c, CURLOPT_RESOLVE, v->pins);
    }
    return PD_OK;
}

enum pd_code backfill_verify_s3_new(struct backfill_verify_s3 **out,
                                    size_t concurrency, struct pd_err *err)
{
    struct backfill_verify_s3 *v = calloc(1, sizeof(*v));
    const char *forced = awsenv_endpoint_url();
    enum pd_code rc;

    *out = NULL;
    if (v == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    if (concurrency < 1 || concurrency > BACKFILL_VERIFY_MAX_CONCURRENCY)
        concurrency = BACKFILL_VERIFY_MAX_CONCURRENCY;
    v->concurrency = concurrency;
    for (size_t i = 0; i < concurrency; i++)
        pd_buf_init(&v->slots[i].url, 64 * 1024);
    v->hook.arg = v;
    v->hook.check = check;
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
    for (size_t i = 0; i < v->concurrency; i++) {
        if (v->slots[i].curl != NULL) {
            if (v->multi != NULL && v->slots[i].job != NULL)
                curl_multi_remove_handle(v->multi, v->slots[i].curl);
            curl_easy_cleanup(v->slots[i].curl);
        }
        pd_buf_release_wipe(&v->slots[i].url);
    }
    if (v->multi != NULL)
        curl_multi_cleanup(v->multi);
    curl_slist_free_all(v->pins);
    free(v);
}
