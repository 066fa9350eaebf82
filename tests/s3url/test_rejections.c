/*
 * test_rejections.c - every kind of URL the parser must refuse, one cmocka
 * test per row, each asserting the exact reason and detail; then the key
 * length limit at its boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

struct rejection {
    const char *name;
    const char *url;
    enum s3url_reason reason;
    const char *detail;
    const char *host; /* external_host, for S3URL_EXTERNAL */
};

static const struct rejection rejections[] = {
    {"null", NULL, S3URL_EMPTY, "no URL (NULL)"},
    {"empty", "", S3URL_EMPTY, "the URL is empty"},
    {"blank", " \t\r\n", S3URL_EMPTY, "the URL is empty"},
    {"relative_path", "/uploads/a.png", S3URL_SYNTAX, "not an absolute URL"},
    {"garbage", "not a url", S3URL_SYNTAX, "not an absolute URL"},
    {"no_host", "https://", S3URL_SYNTAX, "the URL has no host"},
    {"empty_authority", "https:///my-bucket/a.png", S3URL_SYNTAX,
     "the URL has no host"},
    {"missing_slashes", "https:my-bucket.s3.amazonaws.com/a.png", S3URL_SYNTAX,
     "the URL has no host"},
    {"s3_uri_missing_slashes", "s3:my-bucket/a.png", S3URL_SYNTAX,
     "an s3 URI is s3://BUCKET/KEY"},
    {"bad_port", "https://my-bucket.s3.amazonaws.com:99999/a", S3URL_SYNTAX,
     "not a valid URL: Port number was not a decimal number between 0 and "
     "65535"},
    {"newline_inside", "https://my-bucket.s3.amazonaws.com/a\nb", S3URL_SYNTAX,
     "not a valid URL: Bad path"},

    /* Not http, https or s3. */
    {"ftp_scheme", "ftp://my-bucket.s3.amazonaws.com/a.png", S3URL_SCHEME,
     "scheme 'ftp' is not http, https or s3"},
    {"file_scheme", "file:///etc/passwd", S3URL_SCHEME,
     "scheme 'file' is not http, https or s3"},
    {"data_uri", "data:image/png;base64,iVBORw0KGgo=", S3URL_SCHEME,
     "scheme 'data' is not http, https or s3"},
    {"javascript_uri", "javascript:alert(1)", S3URL_SCHEME,
     "scheme 'javascript' is not http, https or s3"},
    {"hadoop_s3a", "s3a://my-bucket/a.png", S3URL_SCHEME,
     "scheme 's3a' is not http, https or s3"},

    /* User information. */
    {"userinfo_user", "https://x@my-bucket.s3.amazonaws.com/a.png",
     S3URL_USERINFO, "the URL carries user information before the host"},
    {"userinfo_user_password",
     "https://user:secret@s3.amazonaws.com/my-bucket/a.png", S3URL_USERINFO,
     "the URL carries user information before the host"},
    {"userinfo_empty", "https://:@my-bucket.s3.amazonaws.com/a.png",
     S3URL_USERINFO, "the URL carries user information before the host"},

    /* Hosts that are not S3. */
    {"gravatar",
     "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346",
     S3URL_EXTERNAL, "external host, not S3: www.gravatar.com",
     "www.gravatar.com"},
    {"external_upper_case", "https://SECURE.Gravatar.COM/avatar/x",
     S3URL_EXTERNAL, "external host, not S3: secure.gravatar.com",
     "secure.gravatar.com"},
    {"lookalike_suffix",
     "https://my-bucket.s3.amazonaws.com.evil.example/a.png", S3URL_EXTERNAL,
     "lookalike host, not an AWS S3 endpoint: "
     "my-bucket.s3.amazonaws.com.evil.example",
     "my-bucket.s3.amazonaws.com.evil.example"},
    {"lookalike_path_style",
     "https://s3.amazonaws.com.evil.example/my-bucket/a", S3URL_EXTERNAL,
     "lookalike host, not an AWS S3 endpoint: s3.amazonaws.com.evil.example",
     "s3.amazonaws.com.evil.example"},
    {"lookalike_dash", "https://my-bucket.s3-amazonaws.com/a.png",
     S3URL_EXTERNAL,
     "lookalike host, not an AWS S3 endpoint: my-bucket.s3-amazonaws.com",
     "my-bucket.s3-amazonaws.com"},
    {"lookalike_prefix", "https://evilamazonaws.com/my-bucket/a.png",
     S3URL_EXTERNAL,
     "lookalike host, not an AWS S3 endpoint: evilamazonaws.com",
     "evilamazonaws.com"},
    {"aws_but_not_s3", "https://ec2.us-east-1.amazonaws.com/my-bucket/a.png",
     S3URL_EXTERNAL,
     "AWS host that is not an S3 endpoint: ec2.us-east-1.amazonaws.com",
     "ec2.us-east-1.amazonaws.com"},
    {"aws_bad_region", "https://s3.moon-base.amazonaws.com/my-bucket/a.png",
     S3URL_EXTERNAL,
     "AWS host that is not an S3 endpoint: s3.moon-base.amazonaws.com",
     "s3.moon-base.amazonaws.com"},
    {"aws_host_odd_port", "https://my-bucket.s3.amazonaws.com:8443/a.png",
     S3URL_EXTERNAL,
     "port 8443 is not an AWS S3 port: my-bucket.s3.amazonaws.com",
     "my-bucket.s3.amazonaws.com"},
    {"endpoint_host_other_port", "http://minio.internal:9001/my-bucket/a.png",
     S3URL_EXTERNAL, "external host, not S3: minio.internal", "minio.internal"},
    {"endpoint_with_port_needs_it", "http://minio.internal/my-bucket/a.png",
     S3URL_EXTERNAL, "external host, not S3: minio.internal", "minio.internal"},
    {"cdn_other_port", "https://cdn.example.com:8443/a.png", S3URL_EXTERNAL,
     "external host, not S3: cdn.example.com", "cdn.example.com"},

    /* No key. */
    {"virtual_root", "https://my-bucket.s3.amazonaws.com/", S3URL_NO_KEY,
     "the URL names no object key"},
    {"virtual_no_path", "https://my-bucket.s3.amazonaws.com?versionId=1",
     S3URL_NO_KEY, "the URL names no object key"},
    {"path_bucket_only", "https://s3.amazonaws.com/my-bucket", S3URL_NO_KEY,
     "the URL names no object key"},
    {"path_bucket_slash", "https://s3.amazonaws.com/my-bucket/", S3URL_NO_KEY,
     "the URL names no object key"},
    {"path_no_bucket", "https://s3.us-east-2.amazonaws.com/", S3URL_NO_KEY,
     "the path names no bucket"},
    {"s3_uri_bucket_only", "s3://my-bucket", S3URL_NO_KEY,
     "the URL names no object key"},
    {"s3_uri_bucket_slash", "s3://my-bucket/", S3URL_NO_KEY,
     "the URL names no object key"},
    {"cdn_root", "https://cdn.example.com/", S3URL_NO_KEY,
     "the URL names no object key"},
    {"cdn_prefix_root", "https://img.example.com/", S3URL_NO_KEY,
     "the URL names no object key"},
    {"endpoint_bucket_only", "http://minio.internal:9000/my-bucket",
     S3URL_NO_KEY, "the URL names no object key"},

    /* Invalid bucket names. */
    {"bucket_upper_case_path", "https://s3.amazonaws.com/My-Bucket/a.png",
     S3URL_BAD_BUCKET,
     "bucket name 'My-Bucket' may hold only a-z, 0-9, '.' and '-'"},
    {"bucket_underscore_virtual", "https://my_bucket.s3.amazonaws.com/a.png",
     S3URL_BAD_BUCKET,
     "bucket name 'my_bucket' may hold only a-z, 0-9, '.' and '-'"},
    {"bucket_too_short", "https://ab.s3.amazonaws.com/a.png", S3URL_BAD_BUCKET,
     "bucket name 'ab' must be 3 to 63 characters long"},
    {"bucket_too_long",
     "https://s3.amazonaws.com/"
     "a123456789b123456789c123456789d123456789e123456789f123456789xyzw/k",
     S3URL_BAD_BUCKET,
     "bucket name "
     "'a123456789b123456789c123456789d123456789e123456789f123456789xyzw' must "
     "be 3 to 63 characters long"},
    {"bucket_adjacent_dots", "https://s3.amazonaws.com/my..bucket/a.png",
     S3URL_BAD_BUCKET,
     "bucket name 'my..bucket' must not hold two adjacent dots"},
    {"bucket_ip_address", "https://s3.amazonaws.com/192.168.5.4/a.png",
     S3URL_BAD_BUCKET,
     "bucket name '192.168.5.4' must not look like an IP address"},
    {"bucket_leading_hyphen", "https://s3.amazonaws.com/-bucket/a.png",
     S3URL_BAD_BUCKET,
     "bucket name '-bucket' must begin and end with a lower-case letter or "
     "digit"},
    {"bucket_reserved_prefix", "https://s3.amazonaws.com/xn--bucket/a.png",
     S3URL_BAD_BUCKET,
     "bucket name 'xn--bucket' uses a prefix or suffix S3 reserves"},
    {"bucket_reserved_suffix", "s3://bucket-s3alias/a.png", S3URL_BAD_BUCKET,
     "bucket name 'bucket-s3alias' uses a prefix or suffix S3 reserves"},
    {"bucket_encoded", "https://s3.amazonaws.com/my%2Dbucket/a.png",
     S3URL_BAD_BUCKET,
     "bucket name 'my%2Dbucket' may hold only a-z, 0-9, '.' and '-'"},
    {"s3_uri_bad_bucket", "s3://Bad_Bucket/a.png", S3URL_BAD_BUCKET,
     "bucket name 'Bad_Bucket' may hold only a-z, 0-9, '.' and '-'"},
    {"s3_uri_empty_bucket", "s3:///a.png", S3URL_BAD_BUCKET,
     "bucket name '' must be 3 to 63 characters long"},
    {"accelerate_dotted_bucket",
     "https://my.bucket.s3-accelerate.amazonaws.com/a.png", S3URL_BAD_BUCKET,
     "bucket name 'my.bucket' has dots, which transfer acceleration does not "
     "allow"},
    {"accelerate_path_style",
     "https://s3-accelerate.amazonaws.com/my-bucket/a.png", S3URL_BAD_BUCKET,
     "accelerate endpoints need the bucket in the host name"},
    {"website_path_style",
     "http://s3-website-us-east-1.amazonaws.com/my-bucket/a.png",
     S3URL_BAD_BUCKET, "website endpoints need the bucket in the host name"},

    /* Percent escapes. */
    {"escape_not_hex", "https://my-bucket.s3.amazonaws.com/a%zzb",
     S3URL_BAD_ESCAPE, "bad percent escape '%zz' at byte 1 of the path"},
    {"escape_truncated", "https://my-bucket.s3.amazonaws.com/a%2",
     S3URL_BAD_ESCAPE, "bad percent escape '%2' at byte 1 of the path"},
    {"escape_bare_percent", "https://my-bucket.s3.amazonaws.com/100%.png",
     S3URL_BAD_ESCAPE, "bad percent escape '%.p' at byte 3 of the path"},
    {"escape_nul", "https://my-bucket.s3.amazonaws.com/a%00b", S3URL_BAD_ESCAPE,
     "%00 (NUL) at byte 1 of the path"},
    {"escape_in_version_id",
     "https://my-bucket.s3.amazonaws.com/a.png?versionId=ab%4",
     S3URL_BAD_ESCAPE, "bad percent escape in versionId"},

    /* UTF-8 after decoding. */
    {"utf8_bad_continuation", "https://my-bucket.s3.amazonaws.com/%C3%28",
     S3URL_BAD_UTF8, "the key is not valid UTF-8 after decoding"},
    {"utf8_latin1_byte", "https://my-bucket.s3.amazonaws.com/caf%E9",
     S3URL_BAD_UTF8, "the key is not valid UTF-8 after decoding"},
    {"utf8_overlong", "https://my-bucket.s3.amazonaws.com/%C0%AF",
     S3URL_BAD_UTF8, "the key is not valid UTF-8 after decoding"},
    {"utf8_surrogate", "https://my-bucket.s3.amazonaws.com/%ED%A0%80",
     S3URL_BAD_UTF8, "the key is not valid UTF-8 after decoding"},
    {"utf8_above_max", "https://my-bucket.s3.amazonaws.com/%F4%90%80%80",
     S3URL_BAD_UTF8, "the key is not valid UTF-8 after decoding"},
    {"utf8_raw_bad_byte", "https://my-bucket.s3.amazonaws.com/a\xff.png",
     S3URL_BAD_UTF8, "the key is not valid UTF-8 after decoding"},
    {"utf8_s3_uri", "s3://my-bucket/a\xc3", S3URL_BAD_UTF8,
     "the key is not valid UTF-8 after decoding"},

    /* The query. */
    {"two_version_ids",
     "https://my-bucket.s3.amazonaws.com/a.png?versionId=a&versionId=b",
     S3URL_SYNTAX, "the query holds more than one versionId"},
    {"version_id_with_space",
     "https://my-bucket.s3.amazonaws.com/a.png?versionId=a%20b", S3URL_SYNTAX,
     "versionId holds a byte that is not printable ASCII"},
};

static const char *rejection_name(const void *row)
{
    return ((const struct rejection *)row)->name;
}

static void is_refused_with_reason(void **state)
{
    const struct rejection *t = *state;
    struct s3url_config c;
    struct s3url_result r;
    enum pd_code rc;

    fixture_config(&c);
    rc = s3url_parse(&c, t->url, &r);
    s3url_config_release(&c);
    if (rc == PD_OK)
        fail_msg("%s: accepted as bucket '%s' key '%s'", t->url, r.bucket,
                 r.key);
    assert_int_equal(rc, PD_EINVAL);
    assert_string_equal(s3url_reason_name(r.reason),
                        s3url_reason_name(t->reason));
    assert_string_equal(r.detail, t->detail);
    assert_string_equal(r.external_host, t->host ? t->host : "");
}

/* A URL of the form PREFIX + n bytes of fill (each encoded as enc). */
static char *long_url(const char *prefix, size_t n, const char *enc)
{
    size_t cap = strlen(prefix) + n * strlen(enc) + 1;
    char *u = malloc(cap);

    assert_non_null(u);
    strcpy(u, prefix);
    for (size_t i = 0; i < n; i++)
        strcat(u, enc);
    return u;
}

static void key_length_limit_is_1024_bytes(void **state)
{
    struct s3url_result r;
    char *ok = long_url("https://my-bucket.s3.amazonaws.com/", 1024, "a");
    char *over = long_url("https://my-bucket.s3.amazonaws.com/", 1025, "a");
    char *encoded =
        long_url("https://s3.amazonaws.com/my-bucket/", 1025, "%61");

    (void)state;
    assert_int_equal(s3url_parse(NULL, ok, &r), PD_OK);
    assert_int_equal(r.key_len, 1024);
    assert_int_equal(s3url_parse(NULL, over, &r), PD_EINVAL);
    assert_int_equal(r.reason, S3URL_KEY_TOO_LONG);
    assert_string_equal(r.detail, "the key is longer than 1024 bytes");
    /* The limit applies to decoded bytes, not to the URL text. */
    encoded[strlen(encoded) - 3] = '\0';
    assert_int_equal(s3url_parse(NULL, encoded, &r), PD_OK);
    assert_int_equal(r.key_len, 1024);
    free(ok);
    free(over);
    free(encoded);
}

static void key_length_limit_counts_cdn_prefix_and_s3_uri(void **state)
{
    struct s3url_config c;
    struct s3url_result r;
    char *cdn = long_url("https://img.example.com/", 1018, "b");
    char *uri = long_url("s3://my-bucket/", 1025, "k");

    (void)state;
    fixture_config(&c);
    /* "users/" + 1018 bytes = 1024 */
    assert_int_equal(s3url_parse(&c, cdn, &r), PD_OK);
    assert_int_equal(r.key_len, 1024);
    cdn = realloc(cdn, strlen(cdn) + 2);
    assert_non_null(cdn);
    strcat(cdn, "b");
    assert_int_equal(s3url_parse(&c, cdn, &r), PD_EINVAL);
    assert_int_equal(r.reason, S3URL_KEY_TOO_LONG);
    assert_int_equal(s3url_parse(&c, uri, &r), PD_EINVAL);
    assert_int_equal(r.reason, S3URL_KEY_TOO_LONG);
    s3url_config_release(&c);
    free(cdn);
    free(uri);
}

static void url_length_is_bounded(void **state)
{
    struct s3url_result r;
    char *u = long_url("https://my-bucket.s3.amazonaws.com/a?", 16400, "x");

    (void)state;
    assert_int_equal(s3url_parse(NULL, u, &r), PD_EINVAL);
    assert_int_equal(r.reason, S3URL_SYNTAX);
    assert_string_equal(r.detail, "the URL is longer than 16384 bytes");
    free(u);
}

static void details_are_printable_ascii(void **state)
{
    struct s3url_result r;

    (void)state;
    assert_int_equal(s3url_parse(NULL,
                                 "https://s3.amazonaws.com/b\xc3\xa4"
                                 "d/k",
                                 &r),
                     PD_EINVAL);
    assert_string_equal(r.detail,
                        "bucket name 'b\\xc3\\xa4d' may hold only a-z, 0-9, "
                        "'.' and '-'");
    assert_int_equal(s3url_parse(NULL,
                                 "https://b\xc3\xbc"
                                 "cket.example/k",
                                 &r),
                     PD_EINVAL);
    assert_string_equal(r.external_host, "b\\xc3\\xbccket.example");
}

static void signatures_never_reach_the_detail(void **state)
{
    struct s3url_result r;

    (void)state;
    assert_int_equal(
        s3url_parse(NULL,
                    "https://www.gravatar.com/a?X-Amz-Signature=SECRETSIG", &r),
        PD_EINVAL);
    assert_null(strstr(r.detail, "SECRETSIG"));
    assert_int_equal(
        s3url_parse(NULL,
                    "https://s3.amazonaws.com/my-bucket/?Signature=SECRETSIG",
                    &r),
        PD_EINVAL);
    assert_null(strstr(r.detail, "SECRETSIG"));
}

static void names_are_stable(void **state)
{
    static const char *const reasons[] = {
        "ok",         "empty",    "syntax",      "scheme",
        "userinfo",   "external", "no-key",      "bad-bucket",
        "bad-escape", "bad-utf8", "key-too-long"};
    static const char *const styles[] = {"virtual",    "path",    "s3-uri",
                                         "accelerate", "website", "cdn"};

    (void)state;
    for (int i = 0; i <= S3URL_KEY_TOO_LONG; i++)
        assert_string_equal(s3url_reason_name((enum s3url_reason)i),
                            reasons[i]);
    for (int i = 0; i <= S3URL_CDN; i++)
        assert_string_equal(s3url_style_name((enum s3url_style)i), styles[i]);
    assert_string_equal(s3url_reason_name((enum s3url_reason)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest limits[] = {
        cmocka_unit_test(key_length_limit_is_1024_bytes),
        cmocka_unit_test(key_length_limit_counts_cdn_prefix_and_s3_uri),
        cmocka_unit_test(url_length_is_bounded),
        cmocka_unit_test(details_are_printable_ascii),
        cmocka_unit_test(signatures_never_reach_the_detail),
        cmocka_unit_test(names_are_stable),
    };
    int failed = fixture_run_table("s3url rejections", is_refused_with_reason,
                                   rejections, sizeof(rejections[0]),
                                   sizeof(rejections) / sizeof(rejections[0]),
                                   rejection_name);

    return failed + cmocka_run_group_tests(limits, NULL, NULL);
}
