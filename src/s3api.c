/*
 * s3api.c - the S3 client's transport: one reused curl handle, SigV4 header
 * signing, timeouts, bounded bodies, and retries with backoff and jitter
 * (see s3api.h). The operations themselves live in s3api_ops.c.
 */
#include "s3api_internal.h"

#include "presignd/awsenv.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PROBE_BODY_MAX (64 * 1024) /* enough for any <Error> document */

void s3api_config_init(struct s3api_config *c)
{
    memset(c, 0, sizeof(*c));
    c->addressing = SIGV4_ADDRESSING_AUTO;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 30000;
    c->max_attempts = 4;
    c->backoff_base_ms = 200;
    c->backoff_max_ms = 4000;
}

static enum pd_code client_endpoint(struct s3api_client *c,
                                    const struct s3api_config *cfg,
                                    struct pd_err *err)
{
    const char *url =
        cfg->endpoint_url ? cfg->endpoint_url : awsenv_endpoint_url();
    const char *region = cfg->region ? cfg->region : awsenv_region();
    enum pd_code rc;

    snprintf(c->region, sizeof(c->region), "%s",
             region != NULL && region[0] != '\0' ? region : "us-east-1");
    if (url != NULL && url[0] != '\0')
        rc = sigv4_endpoint_parse(&c->endpoint, url, err);
    else
        rc = sigv4_endpoint_aws(&c->endpoint, c->region, false, err);
    if (rc != PD_OK) {
        char why[PD_ERR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", err ? err->msg : "");
        return pd_fail(err, PD_ECONFIG, "S3 endpoint: %s", why);
    }
    snprintf(c->endpoint_url, sizeof(c->endpoint_url), "%s://%s",
             c->endpoint.https ? "https" : "http", c->endpoint.host);
    if (c->endpoint.port != 0) {
        size_t n = strlen(c->endpoint_url);
        snprintf(c->endpoint_url + n, sizeof(c->endpoint_url) - n, ":%u",
                 c->endpoint.port);
    }
    c->addressing = cfg->addressing;
    if (c->addressing == SIGV4_ADDRESSING_AUTO && c->endpoint.custom)
        c->addressing = SIGV4_ADDRESSING_PATH;
    return PD_OK;
}

static enum pd_code client_pins(struct s3api_client *c,
                                const struct s3api_config *cfg,
                                struct pd_err *err)
{
    struct curl_slist *next;

    if (cfg->resolve_count > S3API_MAX_RESOLVE)
        return pd_fail(err, PD_ELIMIT, "more than %d name pins",
                       S3API_MAX_RESOLVE);
    for (size_t i = 0; i < cfg->resolve_count; i++) {
        next = curl_slist_append(c->resolve, cfg->resolve[i]);
        if (next == NULL)
            return pd_fail(err, PD_ENOMEM, "out of memory");
        c->resolve = next;
    }
    return PD_OK;
}

enum pd_code s3api_client_new(struct s3api_client **out,
                              const struct s3api_config *cfg,
                              const struct sigv4_credentials *creds,
                              struct pd_err *err)
{
    struct s3api_client *c = calloc(1, sizeof(*c));
    enum pd_code rc;

    *out = NULL;
    if (c == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    c->cfg = *cfg;
    /* the pin strings are borrowed: curl's list keeps copies */
    memset(c->cfg.resolve, 0, sizeof(c->cfg.resolve));
    c->cfg.resolve_count = 0;
    rc = client_endpoint(c, cfg, err);
    if (rc == PD_OK)
        rc = client_pins(c, cfg, err);
    if (rc == PD_OK)
        rc = sigv4_signer_new(&c->signer, creds, c->region, "s3", err);
    if (rc == PD_OK && (c->curl = curl_easy_init()) == NULL)
        rc = pd_fail(err, PD_ENOMEM, "cannot create a curl handle");
    if (rc != PD_OK) {
        s3api_client_free(c);
        return rc;
    }
    pd_buf_init(&c->body, S3API_MAX_BODY);
    *out = c;
    return PD_OK;
}

void s3api_client_free(struct s3api_client *c)
{
    if (c == NULL)
        return;
    sigv4_signer_free(c->signer);
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->resolve);
    pd_buf_release(&c->body);
    free(c);
}

const char *s3api_client_endpoint_url(const struct s3api_client *c)
{
    return c->endpoint_url;
}

const struct s3api_reply *s3api_last_reply(const struct s3api_client *c)
{
    return &c->reply;
}

struct sink {
    struct pd_buf *body;
    bool overflow;
    bool truncate_ok; /* probes: keep the status, drop the rest */
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;

    if (pd_buf_append(s->body, p, size * n) != PD_OK) {
        s->overflow = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return size * n;
}

/* Options every request shares; curl_easy_reset keeps the connections. */
static void set_common(struct s3api_client *c, struct sink *sink,
                       const char *url)
{
    CURL *h = c->curl;

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    /* S3 keys are literal: "a/../b" must not be squashed into "b". */
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never an environment proxy */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    if (c->resolve != NULL)
        curl_easy_setopt(h, CURLOPT_RESOLVE, c->resolve);
}

static bool curl_error_retryable(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return true;
    default:
        return false;
    }
}

/*
 * Waits before retry number attempt (1 = first retry): an exponential
 * ceiling, then a random point in its upper half ("equal jitter"), so
 * clients that failed together do not retry together.
 */
static void backoff_sleep(const struct s3api_config *cfg, unsigned attempt)
{
    unsigned long ceiling = cfg->backoff_base_ms;
    unsigned int r = 0;
    struct timespec ts;
    unsigned long ms;

    for (unsigned i = 1; i < attempt && ceiling < cfg->backoff_max_ms; i++)
        ceiling *= 2;
    if (ceiling > cfg->backoff_max_ms)
        ceiling = cfg->backoff_max_ms;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (unsigned int)rand();
    ms = ceiling / 2 + (ceiling > 1 ? r % (ceiling / 2 + 1) : 0);
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static enum pd_code hex_sha256(const char *body, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;

    if (EVP_Digest(body ? body : "", len, md, &n, EVP_sha256(), NULL) != 1)
        return PD_ENOMEM;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return PD_OK;
}

/* Content-MD5 (base64 of the MD5): S3 requires it on ACL, policy and
 * Block Public Access writes. */
static enum pd_code content_md5(const char *body, size_t len, char out[32])
{
    unsigned char md[16];
    unsigned int n = 0;

    if (EVP_Digest(body, len, md, &n, EVP_md5(), NULL) != 1)
        return PD_EUNSUPPORTED;
    EVP_EncodeBlock((unsigned char *)out, md, (int)n);
    return PD_OK;
}

/* Signs the call at the current time into *sr and a curl header list. */
static enum pd_code sign_call(struct s3api_client *c,
                              const struct s3api_call *call,
                              struct sigv4_signed_request *sr,
                              struct curl_slist **headers, struct pd_err *err)
{
    struct sigv4_header query = {call->subresource, ""};
    struct sigv4_header extra[2];
    struct sigv4_header_request r = {0};
    char sha[65], md5[32];
    struct curl_slist *next;
    enum pd_code rc;

    if (hex_sha256(call->body, call->body_len, sha) != PD_OK)
        return pd_fail(err, PD_ENOMEM, "cannot hash the request body");
    r.method = call->method;
    r.endpoint = &c->endpoint;
    r.addressing = c->addressing;
    r.bucket = call->bucket;
    r.key = call->key;
    r.query = call->subresource ? &query : NULL;
    r.query_count = call->subresource ? 1 : 0;
    if (call->body != NULL) {
        if (content_md5(call->body, call->body_len, md5) != PD_OK)
            return pd_fail(err, PD_EUNSUPPORTED, "MD5 is not available");
        extra[0] = (struct sigv4_header){"Content-Type", call->content_type};
        extra[1] = (struct sigv4_header){"Content-MD5", md5};
        r.headers = extra;
        r.header_count = 2;
    }
    r.payload_sha256_hex = sha;
    r.now = time(NULL);
    rc = sigv4_sign_headers(c->signer, &r, sr, err);
    for (size_t i = 0; rc == PD_OK && i < sr->header_count + 1; i++) {
        /* "Expect:" stops curl from waiting for 100-continue on PUTs. */
        next = curl_slist_append(*headers, i < sr->header_count
                                               ? sr->header_lines[i].data
                                               : "Expect:");
        if (next == NULL)
            rc = pd_fail(err, PD_ENOMEM, "out of memory");
        else
            *headers = next;
    }
    return rc;
}

static void set_method(CURL *h, const struct s3api_call *call)
{
    if (strcmp(call->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(call->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call->method);
        if (call->body != NULL) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, call->body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)call->body_len);
        }
    }
}

/* One attempt: sign, send, read the answer into c->body and c->reply. */
static CURLcode attempt(struct s3api_client *c, const struct s3api_call *call,
                        struct sink *sink, enum pd_code *rc, struct pd_err *err)
{
    struct sigv4_signed_request sr;
    struct curl_slist *headers = NULL;
    CURLcode cc = CURLE_OK;

    sigv4_signed_request_init(&sr);
    *rc = sign_call(c, call, &sr, &headers, err);
    if (*rc == PD_OK) {
        set_common(c, sink, sr.url.data);
        set_method(c->curl, call);
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
        cc = curl_easy_perform(c->curl);
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->reply.status);
    }
    curl_slist_free_all(headers);
    sigv4_signed_request_release(&sr);
    return cc;
}

/* The pd_code for an S3 error answer. */
static enum pd_code classify(const struct s3api_reply *r)
{
    if (strcmp(r->code, "NoSuchBucket") == 0 ||
        strcmp(r->code, "NoSuchKey") == 0 || r->status == 404)
        return PD_ENOTFOUND;
    /* Stores answer an operation they lack with 501, or with 405 for a
     * subresource they do not route. */
    if (strcmp(r->code, "NotImplemented") == 0 || r->status == 501 ||
        r->status == 405)
        return PD_EUNSUPPORTED;
    if (r->status == 401 || r->status == 403)
        return PD_EAUTH;
    return PD_ES3;
}

static enum pd_code fail_reply(struct s3api_client *c,
                               const struct s3api_call *call,
                               struct pd_err *err)
{
    const struct s3api_reply *r = &c->reply;

    return pd_fail(
        err, classify(r), "S3 %s on bucket '%s': HTTP %ld %s%s%s%s%s", call->op,
        call->bucket ? call->bucket : "", r->status,
        r->code[0] ? r->code : "(no error code)", r->message[0] ? ": " : "",
        r->message, r->request_id[0] ? ", request id " : "", r->request_id);
}

static bool reply_retryable(const struct s3api_reply *r)
{
    return r->status >= 500 || strcmp(r->code, "SlowDown") == 0;
}

enum pd_code s3api_call_run(struct s3api_client *c,
                            const struct s3api_call *call, struct pd_err *err)
{
    unsigned max = c->cfg.max_attempts ? c->cfg.max_attempts : 1;
    struct sink sink = {&c->body, false, false};
    enum pd_code rc = PD_OK;
    CURLcode cc = CURLE_OK;
    unsigned n;

    for (n = 1; n <= max; n++) {
        if (n > 1)
            backoff_sleep(&c->cfg, n - 1);
        memset(&c->reply, 0, sizeof(c->reply));
        pd_buf_reset(&c->body);
        sink.overflow = false;
        cc = attempt(c, call, &sink, &rc, err);
        if (rc != PD_OK)
            return rc;
        if (cc == CURLE_OK && c->reply.status / 100 != 2)
            s3api_parse_error(c->body.data, c->body.len, &c->reply);
        if (cc != CURLE_OK ? !curl_error_retryable(cc)
                           : !reply_retryable(&c->reply))
            break;
    }
    if (n > max)
        n = max;
    if (sink.overflow)
        return pd_fail(err, PD_ELIMIT, "S3 %s: answer over %d bytes", call->op,
                       S3API_MAX_BODY);
    if (cc != CURLE_OK)
        return pd_fail(err, PD_EIO, "S3 %s: cannot reach %s: %s (%u attempt%s)",
                       call->op, c->endpoint_url, curl_easy_strerror(cc), n,
                       n == 1 ? "" : "s");
    if (c->reply.status / 100 != 2)
        return fail_reply(c, call, err);
    return PD_OK;
}

enum pd_code s3api_probe_get(struct s3api_client *c, const char *url,
                             struct s3api_probe *out, struct pd_err *err)
{
    struct pd_buf body;
    struct sink sink = {&body, false, true};
    CURLcode cc;

    memset(out, 0, sizeof(*out));
    pd_buf_init(&body, PROBE_BODY_MAX);
    set_common(c, &sink, url);
    cc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
    if (cc != CURLE_OK && !(sink.overflow && out->status != 0)) {
        pd_buf_release(&body);
        return pd_fail(err, PD_EIO, "GET probe: cannot reach %s: %s",
                       c->endpoint_url, curl_easy_strerror(cc));
    }
    if (out->status / 100 != 2) {
        struct s3api_reply r;
        s3api_parse_error(body.data, body.len, &r);
        memcpy(out->code, r.code, sizeof(out->code));
    }
    pd_buf_release(&body);
    return PD_OK;
}
