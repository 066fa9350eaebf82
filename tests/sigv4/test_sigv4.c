/*
 * test_sigv4.c - the signing core's contract: endpoints, bucket rules,
 * addressing, exact errors, Content-Disposition, X-Amz-Date, header
 * signing, the allocation-free presign path agreeing with the general
 * path, and the key cache under concurrent threads and changing dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/sigv4.h"

#define T0 1796385600 /* 2026-12-04T12:00:00Z */

static struct sigv4_signer *signer(const char *token, const char *region)
{
    struct sigv4_credentials c = {
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    struct sigv4_signer *s = NULL;
    struct pd_err err;

    snprintf(c.session_token, sizeof(c.session_token), "%s",
             token ? token : "");
    assert_int_equal(sigv4_signer_new(&s, &c, region, "s3", &err), PD_OK);
    sigv4_credentials_wipe(&c);
    return s;
}

static void endpoint_is(const char *url, bool https, const char *host,
                        unsigned port)
{
    struct sigv4_endpoint e;
    struct pd_err err;

    assert_int_equal(sigv4_endpoint_parse(&e, url, &err), PD_OK);
    assert_int_equal(e.https, https);
    assert_string_equal(e.host, host);
    assert_int_equal(e.port, port);
    assert_true(e.custom);
}

static void endpoints_parse_and_drop_default_ports(void **state)
{
    (void)state;
    endpoint_is("http://127.0.0.1:7480", false, "127.0.0.1", 7480);
    endpoint_is("HTTPS://MinIO.Internal:443/", true, "minio.internal", 0);
    endpoint_is("http://h:80", false, "h", 0);
    endpoint_is("http://h:443", false, "h", 443);
    endpoint_is("https://h:80", true, "h", 80);
    endpoint_is("http://[::1]:9000", false, "[::1]", 9000);
    endpoint_is("https://acct.r2.cloudflarestorage.com", true,
                "acct.r2.cloudflarestorage.com", 0);
}

static void aws_endpoints_cover_partitions(void **state)
{
    struct sigv4_endpoint e;
    struct pd_err err;

    (void)state;
    assert_int_equal(sigv4_endpoint_aws(&e, "eu-west-1", false, &err), PD_OK);
    assert_string_equal(e.host, "s3.eu-west-1.amazonaws.com");
    assert_true(e.https && !e.custom && e.port == 0);
    assert_int_equal(sigv4_endpoint_aws(&e, "cn-north-1", false, &err), PD_OK);
    assert_string_equal(e.host, "s3.cn-north-1.amazonaws.com.cn");
    assert_int_equal(sigv4_endpoint_aws(&e, "us-east-2", true, &err), PD_OK);
    assert_string_equal(e.host, "s3.dualstack.us-east-2.amazonaws.com");
    assert_int_equal(sigv4_endpoint_aws(&e, "", false, &err), PD_EINVAL);
    assert_string_equal(err.msg, "region is empty");
    assert_int_equal(sigv4_endpoint_aws(&e, "EU/1", false, &err), PD_EINVAL);
    assert_string_equal(err.msg, "invalid region 'EU/1': only a-z, 0-9 and "
                                 "'-' are allowed");
}

static void bucket_rules(void **state)
{
    static const char *good[] = {"abc", "my.bucket", "a-b-c",
                                 "123", "a1.b2",     NULL};
    static const char *bad[][2] = {
        {"", "bucket name is empty"},
        {"ab", "bucket name 'ab' must be 3 to 63 characters long"},
        {"Abc", "bucket name 'Abc' may contain only lower-case letters, "
                "digits, '.' and '-'"},
        {"a_b", "bucket name 'a_b' may contain only lower-case letters, "
                "digits, '.' and '-'"},
        {"abc-", "bucket name 'abc-' must start and end with a letter or "
                 "digit"},
        {"a..b", "bucket name 'a..b' must not contain '..'"},
        {"10.0.0.1", "bucket name '10.0.0.1' must not look like an IP "
                     "address"},
        {"xn--abc", "bucket name 'xn--abc' uses a prefix or suffix S3 "
                    "reserves"},
        {"abc-s3alias", "bucket name 'abc-s3alias' uses a prefix or suffix "
                        "S3 reserves"},
    };
    struct pd_err err;

    (void)state;
    for (int i = 0; good[i] != NULL; i++)
        assert_int_equal(sigv4_bucket_validate(good[i], &err), PD_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sigv4_bucket_validate(bad[i][0], &err), PD_EINVAL);
        assert_string_equal(err.msg, bad[i][1]);
    }
    assert_int_equal(sigv4_bucket_validate(NULL, &err), PD_EINVAL);
}

/* Presigns GET bucket/key at T0 and returns the URL (caller frees). */
static char *url_for(struct sigv4_signer *s, const struct sigv4_endpoint *e,
                     enum sigv4_addressing a, const char *bucket,
                     const char *key, enum pd_code want, struct pd_err *err)
{
    struct sigv4_presign_request r = {.method = "GET",
                                      .bucket = bucket,
                                      .key = key,
                                      .key_len = strlen(key),
                                      .endpoint = e,
                                      .addressing = a,
                                      .now = T0,
                                      .expires = 60};
    struct pd_buf b;

    pd_buf_init(&b, 1 << 16);
    assert_int_equal(sigv4_presign(s, &r, &b, err), want);
    return pd_buf_detach(&b, NULL);
}

static void starts_with(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", s, prefix);
}

static void auto_addressing_follows_the_sdks(void **state)
{
    struct sigv4_signer *s = signer(NULL, "eu-west-1");
    struct sigv4_endpoint aws, ip, plain, v6;
    struct pd_err err;
    char *u;

    (void)state;
    assert_int_equal(sigv4_endpoint_aws(&aws, "eu-west-1", false, &err), 0);
    assert_int_equal(sigv4_endpoint_parse(&ip, "http://127.0.0.1:7480", &err),
                     0);
    assert_int_equal(sigv4_endpoint_parse(&plain, "http://minio:9000", &err),
                     0);
    assert_int_equal(sigv4_endpoint_parse(&v6, "http://[::1]:9000", &err), 0);
    struct {
        const struct sigv4_endpoint *e;
        const char *bucket, *prefix;
    } cases[] = {
        {&aws, "plain", "https://plain.s3.eu-west-1.amazonaws.com/k?"},
        {&aws, "dot.ted", "https://s3.eu-west-1.amazonaws.com/dot.ted/k?"},
        {&aws, "a.-b", "https://s3.eu-west-1.amazonaws.com/a.-b/k?"},
        {&plain, "dot.ted", "http://minio:9000/dot.ted/k?"},
        {&plain, "plain", "http://minio:9000/plain/k?"},
        {&ip, "plain", "http://127.0.0.1:7480/plain/k?"},
        {&v6, "plain", "http://[::1]:9000/plain/k?"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        u = url_for(s, cases[i].e, SIGV4_ADDRESSING_AUTO, cases[i].bucket, "k",
                    PD_OK, &err);
        starts_with(u, cases[i].prefix);
        free(u);
    }
    u = url_for(s, &ip, SIGV4_ADDRESSING_VIRTUAL, "plain", "k", PD_EINVAL,
                &err);
    free(u);
    assert_string_equal(err.msg, "bucket 'plain' cannot be addressed "
                                 "virtual-hosted at 127.0.0.1 (use path or "
                                 "auto addressing)");
    u = url_for(s, &aws, SIGV4_ADDRESSING_PATH, "plain", "a b/c", PD_OK, &err);
    starts_with(u, "https://s3.eu-west-1.amazonaws.com/plain/a%20b/c?");
    free(u);
    sigv4_signer_free(s);
}

static void expect_err(struct sigv4_signer *s,
                       const struct sigv4_presign_request *r, struct pd_buf *b,
                       const char *want)
{
    struct pd_err err;

    assert_int_equal(sigv4_presign(s, r, b, &err), PD_EINVAL);
    assert_string_equal(err.msg, want);
    assert_int_equal(b->len, 0);
}

static void presign_errors_are_exact(void **state)
{
    struct sigv4_signer *s = signer(NULL, "eu-west-1");
    struct sigv4_endpoint e;
    struct pd_err err;
    char longkey[SIGV4_MAX_KEY_LEN + 2], big[SIGV4_OVERRIDE_MAX + 2];
    struct pd_buf b;
    struct sigv4_presign_request r = {.method = "GET",
                                      .bucket = "bucket",
                                      .key = "k",
                                      .key_len = 1,
                                      .endpoint = &e,
                                      .now = T0,
                                      .expires = 60};

    (void)state;
    assert_int_equal(sigv4_endpoint_aws(&e, "eu-west-1", false, &err), 0);
    pd_buf_init(&b, 1 << 16);
    r.key_len = 0;
    expect_err(s, &r, &b, "object key is empty");
    memset(longkey, 'k', sizeof(longkey));
    r.key = longkey;
    r.key_len = SIGV4_MAX_KEY_LEN + 1;
    expect_err(s, &r, &b, "object key is 1025 bytes; the limit is 1024");
    r.key_len = SIGV4_MAX_KEY_LEN; /* exactly the limit is fine */
    assert_int_equal(sigv4_presign(s, &r, &b, &err), PD_OK);
    pd_buf_reset(&b);
    r.expires = 0;
    expect_err(s, &r, &b,
               "expiry 0 seconds is out of range: 1 to 604800 (7 days)");
    r.expires = 604801;
    expect_err(s, &r, &b,
               "expiry 604801 seconds is out of range: 1 to 604800 (7 days)");
    r.expires = 60;
    r.method = "get";
    expect_err(s, &r, &b, "invalid method 'get': expected GET, HEAD or PUT");
    r.method = "GET";
    memset(big, 'x', sizeof(big));
    big[SIGV4_OVERRIDE_MAX + 1] = '\0';
    r.response_cache_control = big;
    expect_err(s, &r, &b,
               "response-cache-control is 4097 bytes; the limit is 4096");
    r.response_cache_control = "no-store";
    r.method = "PUT";
    expect_err(s, &r, &b, "response overrides apply only to GET and HEAD");
    r.method = "GET";
    r.bucket = "Bad_Bucket";
    expect_err(s, &r, &b,
               "bucket name 'Bad_Bucket' may contain only lower-case "
               "letters, digits, '.' and '-'");
    r.bucket = "bucket";
    r.now = -1;
    expect_err(s, &r, &b, "signing time is out of range");
    r.now = T0;
    pd_buf_release(&b);
    pd_buf_init(&b, 100); /* too small for any URL */
    assert_int_equal(sigv4_presign(s, &r, &b, &err), PD_ELIMIT);
    assert_string_equal(err.msg, "presigned URL does not fit its buffer");
    pd_buf_release(&b);
    sigv4_signer_free(s);
}

static void expiring_credentials_bound_the_url(void **state)
{
    struct sigv4_credentials c = {.access_key_id = "ASIAEXAMPLE",
                                  .secret_access_key = "s",
                                  .session_token = "tok",
                                  .expiration = T0 + 600};
    struct sigv4_signer *s;
    struct sigv4_endpoint e;
    struct pd_err err;
    char *u;

    (void)state;
    assert_int_equal(sigv4_signer_new(&s, &c, "eu-west-1", "s3", &err), 0);
    assert_int_equal(sigv4_signer_expiration(s), T0 + 600);
    assert_int_equal(sigv4_endpoint_aws(&e, "eu-west-1", false, &err), 0);
    u = url_for(s, &e, SIGV4_ADDRESSING_AUTO, "bucket", "k", PD_OK, &err);
    assert_non_null(strstr(u, "&X-Amz-Security-Token=tok&"));
    free(u);
    sigv4_signer_free(s);
    c.expiration = T0 + 59;
    assert_int_equal(sigv4_signer_new(&s, &c, "eu-west-1", "s3", &err), 0);
    u = url_for(s, &e, SIGV4_ADDRESSING_AUTO, "bucket", "k", PD_EINVAL, &err);
    free(u);
    assert_string_equal(err.msg, "the credentials expire before the URL "
                                 "would; use a shorter expiry or fresh "
                                 "credentials");
    sigv4_signer_free(s);
}

static void disposition_is(bool attachment, const char *name, const char *want)
{
    struct pd_buf b;
    struct pd_err err;

    pd_buf_init(&b, 8192);
    assert_int_equal(sigv4_content_disposition(&b, attachment, name, &err),
                     PD_OK);
    assert_string_equal(b.data, want);
    pd_buf_release(&b);
}

static void content_disposition_per_rfc6266(void **state)
{
    struct pd_buf b;
    struct pd_err err;

    (void)state;
    disposition_is(true, "report.pdf", "attachment; filename=\"report.pdf\"");
    disposition_is(false, NULL, "inline");
    disposition_is(true, "", "attachment");
    disposition_is(true, "say \"hi\"\\.txt",
                   "attachment; filename=\"say \\\"hi\\\"\\\\.txt\"");
    disposition_is(false, "résumé 2026.pdf",
                   "inline; filename=\"r_sum_ 2026.pdf\"; "
                   "filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf");
    disposition_is(true, "日本.png",
                   "attachment; filename=\"__.png\"; "
                   "filename*=UTF-8''%E6%97%A5%E6%9C%AC.png");
    disposition_is(true, "a\tb\"c'd",
                   "attachment; filename=\"a_b\\\"c'd\"; "
                   "filename*=UTF-8''a%09b%22c%27d");
    pd_buf_init(&b, 8192);
    assert_int_equal(sigv4_content_disposition(&b, true, "bad\xff.txt", &err),
                     PD_EINVAL);
    assert_string_equal(err.msg, "file name is not valid UTF-8 (byte 4)");
    assert_int_equal(sigv4_content_disposition(&b, true, "\xc0\xaf", &err),
                     PD_EINVAL); /* overlong '/' */
    pd_buf_release(&b);
}

static void amz_dates_round_trip(void **state)
{
    static const char *dates[] = {"19700101T000000Z", "20000229T235959Z",
                                  "20261204T120000Z", "21000301T000000Z",
                                  "99991231T235959Z", NULL};
    static const char *bad[] = {"20261204T120000",
                                "2026-12-04T12:00:00Z",
                                "20210229T000000Z",
                                "21000229T000000Z",
                                "20261232T000000Z",
                                "20261204T240000Z",
                                "19691231T235959Z",
                                "2026120xT000000Z",
                                "",
                                NULL};
    char out[17];
    time_t t;
    struct pd_err err;

    (void)state;
    for (int i = 0; dates[i] != NULL; i++) {
        assert_int_equal(sigv4_parse_amz_date(dates[i], &t, &err), PD_OK);
        sigv4_format_amz_date(t, out);
        assert_string_equal(out, dates[i]);
    }
    assert_int_equal(sigv4_parse_amz_date("20261204T120000Z", &t, &err), 0);
    assert_int_equal(t, T0);
    for (int i = 0; bad[i] != NULL; i++)
        assert_int_equal(sigv4_parse_amz_date(bad[i], &t, &err), PD_EINVAL);
    assert_string_equal(err.msg, "invalid time '': expected "
                                 "YYYYMMDDTHHMMSSZ (UTC), e.g. "
                                 "20260131T235959Z");
}

/* An independent S3 path encoder for the comparison below. */
static size_t encode_path(char *dst, const unsigned char *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~' || c == '/')
            dst[o++] = (char)c;
        else
            o += (size_t)sprintf(dst + o, "%%%02X", c);
    }
    dst[o] = '\0';
    return o;
}

struct config {
    const char *endpoint, *token, *method;
    enum sigv4_addressing addressing;
    bool overrides;
};

/* The general path's signature for the same presign (S3 rules, query
 * placement, host the only signed header, UNSIGNED-PAYLOAD). */
static void general_signature(struct sigv4_signer *s,
                              const struct sigv4_presign_request *r,
                              const char *host, const char *raw_path,
                              size_t path_len, char sig[65])
{
    struct sigv4_header h = {"Host", host};
    struct sigv4_header q[3] = {
        {"response-content-type", r->response_content_type},
        {"response-content-disposition", r->response_content_disposition},
        {"response-cache-control", r->response_cache_control}};
    struct sigv4_request req = {r->method,
                                raw_path,
                                path_len,
                                SIGV4_RULES_S3,
                                q,
                                r->response_content_type ? 3 : 0,
                                &h,
                                1,
                                "UNSIGNED-PAYLOAD"};
    struct sigv4_sign_options o = {SIGV4_PLACE_QUERY, r->expires, false, false};
    struct sigv4_signing g;
    struct pd_err err;

    sigv4_signing_init(&g);
    assert_int_equal(sigv4_sign_request(s, &req, r->now, &o, &g, &err), PD_OK);
    memcpy(sig, g.signature, 65);
    sigv4_signing_release(&g);
}

static void one_comparison(struct sigv4_signer *s, const struct config *c,
                           const unsigned char *key, size_t n)
{
    struct sigv4_endpoint e;
    struct pd_err err;
    struct pd_buf b;
    char host[300], raw[1100], prefix[4000], sig[65];
    size_t raw_len;
    bool virt = c->addressing == SIGV4_ADDRESSING_VIRTUAL;
    struct sigv4_presign_request r = {.method = c->method,
                                      .bucket = "bucket-1",
                                      .key = (const char *)key,
                                      .key_len = n,
                                      .endpoint = &e,
                                      .addressing = c->addressing,
                                      .now = T0 + (time_t)n,
                                      .expires = 1 + (unsigned)n * 500};

    if (c->overrides) {
        r.response_content_type = "text/plain; charset=\"utf-8\"";
        r.response_content_disposition = "attachment; filename=\"\xc3\xa9\"";
        r.response_cache_control = "max-age=0, private";
    }
    assert_int_equal(sigv4_endpoint_parse(&e, c->endpoint, &err), PD_OK);
    snprintf(host, sizeof(host), "%s%s%s", virt ? "bucket-1." : "", e.host,
             e.port == 7480 ? ":7480" : "");
    raw_len =
        (size_t)snprintf(raw, sizeof(raw), "%s/", virt ? "" : "/bucket-1");
    memcpy(raw + raw_len, key, n);
    raw_len += n;
    snprintf(prefix, sizeof(prefix), "%s://%s", e.https ? "https" : "http",
             host);
    encode_path(prefix + strlen(prefix), (const unsigned char *)raw, raw_len);
    strcat(prefix, "?");
    pd_buf_init(&b, 1 << 16);
    assert_int_equal(sigv4_presign(s, &r, &b, &err), PD_OK);
    starts_with(b.data, prefix);
    general_signature(s, &r, host, raw, raw_len, sig);
    assert_string_equal(b.data + b.len - 64, sig);
    pd_buf_release(&b);
}

static void fast_path_agrees_with_general_path(void **state)
{
    static const struct config configs[] = {
        {"https://s3.eu-west-1.amazonaws.com", NULL, "GET",
         SIGV4_ADDRESSING_VIRTUAL, false},
        {"http://127.0.0.1:7480", "tok/+=", "HEAD", SIGV4_ADDRESSING_PATH,
         true},
        {"https://minio.example:443", "t", "PUT", SIGV4_ADDRESSING_VIRTUAL,
         false},
        {"http://127.0.0.1:7480", NULL, "GET", SIGV4_ADDRESSING_PATH, true},
    };
    unsigned char key[SIGV4_MAX_KEY_LEN];
    unsigned seed = 12345;

    (void)state;
    for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
        struct sigv4_signer *s = signer(configs[c].token, "eu-west-1");
        for (int i = 0; i < 600; i++) {
            /* Any bytes at all, NUL included, up to the 1024 limit. */
            size_t n = 1 + (size_t)(rand_r(&seed) % SIGV4_MAX_KEY_LEN);
            if (i % 3 == 0)
                n = 1 + n % 40;
            for (size_t j = 0; j < n; j++)
                key[j] = (unsigned char)(i % 2 ? rand_r(&seed) % 256
                                               : "a/b .~%+"[rand_r(&seed) % 8]);
            one_comparison(s, &configs[c], key, n);
        }
        sigv4_signer_free(s);
    }
}

static void header_signing_for_s3_calls(void **state)
{
    struct sigv4_signer *s = signer("tok", "eu-west-1");
    struct sigv4_endpoint e;
    struct sigv4_signed_request out;
    struct sigv4_header q[] = {{"acl", NULL}};
    struct sigv4_header_request r = {.method = "GET",
                                     .endpoint = &e,
                                     .addressing = SIGV4_ADDRESSING_PATH,
                                     .bucket = "bucket",
                                     .query = q,
                                     .query_count = 1,
                                     .now = T0};
    const char *creq =
        "GET\n/bucket\nacl=\nhost:127.0.0.1:7480\n"
        "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20261204T120000Z\n"
        "x-amz-security-token:tok\n\n"
        "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
        "UNSIGNED-PAYLOAD";
    struct pd_buf sts;
    struct pd_err err;
    char sig[65], auth[400];

    (void)state;
    assert_int_equal(sigv4_endpoint_parse(&e, "http://127.0.0.1:7480", &err),
                     0);
    sigv4_signed_request_init(&out);
    assert_int_equal(sigv4_sign_headers(s, &r, &out, &err), PD_OK);
    assert_string_equal(out.url.data, "http://127.0.0.1:7480/bucket?acl");
    assert_int_equal(out.header_count, 5);
    assert_string_equal(out.header_lines[0].data, "Host: 127.0.0.1:7480");
    assert_string_equal(out.header_lines[1].data,
                        "X-Amz-Date: 20261204T120000Z");
    assert_string_equal(out.header_lines[2].data,
                        "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD");
    assert_string_equal(out.header_lines[3].data, "X-Amz-Security-Token: tok");
    /* The signature is that of the hand-written canonical request. */
    pd_buf_init(&sts, 4096);
    assert_int_equal(sigv4_string_to_sign(&sts, T0, "eu-west-1", "s3", creq,
                                          strlen(creq), &err),
                     0);
    assert_int_equal(
        sigv4_signer_signature(s, T0, sts.data, sts.len, sig, &err), 0);
    snprintf(auth, sizeof(auth),
             "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20261204/eu-west-1/s3/aws4_request, SignedHeaders=host;"
             "x-amz-content-sha256;x-amz-date;x-amz-security-token, "
             "Signature=%s",
             sig);
    assert_string_equal(out.header_lines[4].data, auth);
    pd_buf_release(&sts);
    sigv4_signed_request_release(&out);
    sigv4_signer_free(s);
}

static void header_signing_errors(void **state)
{
    struct sigv4_signer *s = signer(NULL, "eu-west-1");
    struct sigv4_endpoint e;
    struct sigv4_signed_request out;
    struct sigv4_header h[] = {{"Content-Type", "text/plain"},
                               {"X-Amz-Date", "x"}};
    struct sigv4_header_request r = {.method = "PUT",
                                     .endpoint = &e,
                                     .addressing = SIGV4_ADDRESSING_VIRTUAL,
                                     .bucket = "bucket",
                                     .key = "a b",
                                     .headers = h,
                                     .header_count = 1,
                                     .now = T0};
    struct pd_err err;

    (void)state;
    assert_int_equal(sigv4_endpoint_parse(&e, "http://minio:9000", &err), 0);
    sigv4_signed_request_init(&out);
    assert_int_equal(sigv4_sign_headers(s, &r, &out, &err), PD_OK);
    assert_string_equal(out.url.data, "http://bucket.minio:9000/a%20b");
    assert_string_equal(out.header_lines[3].data, "Content-Type: text/plain");
    sigv4_signed_request_release(&out);
    r.header_count = 2;
    assert_int_equal(sigv4_sign_headers(s, &r, &out, &err), PD_EINVAL);
    assert_string_equal(err.msg,
                        "header 'X-Amz-Date' is set by the signer, not the "
                        "caller");
    r.header_count = 1;
    r.payload_sha256_hex = "ABC";
    assert_int_equal(sigv4_sign_headers(s, &r, &out, &err), PD_EINVAL);
    assert_string_equal(err.msg,
                        "payload hash must be 64 lower-case hex digits");
    r.payload_sha256_hex = NULL;
    r.bucket = NULL;
    assert_int_equal(sigv4_sign_headers(s, &r, &out, &err), PD_EINVAL);
    assert_string_equal(err.msg, "an object key needs a bucket");
    sigv4_signed_request_release(&out);
    sigv4_signer_free(s);
}

#define THREADS    4
#define PER_THREAD 1500
#define DATES      3

struct shared {
    struct sigv4_signer *signer;
    const struct sigv4_endpoint *e;
    char *expected[PER_THREAD][DATES];
    int mismatches[THREADS];
};

struct worker {
    struct shared *sh;
    int id;
};

static void presign_into(struct sigv4_signer *s, const struct sigv4_endpoint *e,
                         int i, int d, struct pd_buf *b)
{
    char key[32];
    struct pd_err err;
    struct sigv4_presign_request r = {.method = "GET",
                                      .bucket = "bucket",
                                      .key = key,
                                      .endpoint = e,
                                      .now = T0 + d * 86400 + i,
                                      .expires = 300};

    r.key_len = (size_t)snprintf(key, sizeof(key), "k/%d", i);
    pd_buf_reset(b);
    if (sigv4_presign(s, &r, b, &err) != PD_OK)
        abort();
}

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct pd_buf b;

    pd_buf_init(&b, 4096);
    for (int i = 0; i < PER_THREAD; i++) {
        int d = (i / 7 + w->id) % DATES; /* dates keep evicting each other */
        presign_into(w->sh->signer, w->sh->e, i, d, &b);
        if (strcmp(b.data, w->sh->expected[i][d]) != 0)
            w->sh->mismatches[w->id]++;
    }
    pd_buf_release(&b);
    return NULL;
}

static void key_cache_is_thread_safe_across_dates(void **state)
{
    static struct shared sh;
    struct worker w[THREADS];
    pthread_t t[THREADS];
    struct sigv4_endpoint e;
    struct pd_buf b;
    struct pd_err err;

    (void)state;
    assert_int_equal(sigv4_endpoint_aws(&e, "eu-west-1", false, &err), 0);
    pd_buf_init(&b, 4096);
    /* Expected URLs from a fresh signer per date: no shared cache. */
    for (int d = 0; d < DATES; d++) {
        struct sigv4_signer *fresh = signer(NULL, "eu-west-1");
        for (int i = 0; i < PER_THREAD; i++) {
            presign_into(fresh, &e, i, d, &b);
            sh.expected[i][d] = strdup(b.data);
        }
        sigv4_signer_free(fresh);
    }
    sh.signer = signer(NULL, "eu-west-1");
    sh.e = &e;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&sh, i};
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(sh.mismatches[i], 0);
    }
    sigv4_signer_free(sh.signer);
    for (int d = 0; d < DATES; d++)
        for (int i = 0; i < PER_THREAD; i++)
            free(sh.expected[i][d]);
    pd_buf_release(&b);
}

/* Bounded random inputs to every parser: no crash (ASan/UBSan run this
 * too), and only the documented outcomes. */
static void random_inputs_never_crash(void **state)
{
    static const char alphabet[] = "ab.-_:/@?#[]1234567890%HTTPShttps\xc3"
                                   "\xa9\xff\" \t";
    unsigned seed = 777;
    char in[96];
    struct sigv4_endpoint e;
    struct pd_buf b;
    struct pd_err err;
    time_t t;

    (void)state;
    pd_buf_init(&b, 1 << 16);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)rand_r(&seed) % (sizeof(in) - 1);
        for (size_t j = 0; j < n; j++)
            in[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
        in[n] = '\0';
        if (i % 2 == 0 && n > 8)
            memcpy(in, i % 4 ? "https://" : "http://[", 8);
        enum pd_code rc = sigv4_endpoint_parse(&e, in, &err);
        assert_true(rc == PD_OK || rc == PD_EINVAL);
        if (rc == PD_OK)
            assert_true(strlen(e.host) > 0 && e.port <= 65535);
        rc = sigv4_bucket_validate(in, &err);
        assert_true(rc == PD_OK || rc == PD_EINVAL);
        rc = sigv4_parse_amz_date(in, &t, &err);
        assert_true(rc == PD_OK || rc == PD_EINVAL);
        pd_buf_reset(&b);
        rc = sigv4_content_disposition(&b, i % 2, in, &err);
        assert_true(rc == PD_OK || rc == PD_EINVAL);
    }
    pd_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoints_parse_and_drop_default_ports),
        cmocka_unit_test(aws_endpoints_cover_partitions),
        cmocka_unit_test(bucket_rules),
        cmocka_unit_test(auto_addressing_follows_the_sdks),
        cmocka_unit_test(presign_errors_are_exact),
        cmocka_unit_test(expiring_credentials_bound_the_url),
        cmocka_unit_test(content_disposition_per_rfc6266),
        cmocka_unit_test(amz_dates_round_trip),
        cmocka_unit_test(fast_path_agrees_with_general_path),
        cmocka_unit_test(header_signing_for_s3_calls),
        cmocka_unit_test(header_signing_errors),
        cmocka_unit_test(key_cache_is_thread_safe_across_dates),
        cmocka_unit_test(random_inputs_never_crash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
