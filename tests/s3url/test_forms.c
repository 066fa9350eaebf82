/*
 * test_forms.c - every URL form the parser must turn into a reference, one
 * cmocka test per row: bucket, key bytes, region, style, version id,
 * endpoint and the '+' ambiguity are all checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fixture.h"

struct form {
    const char *name;
    const char *url;
    const char *bucket;
    const char *key;
    const char *region; /* NULL: the URL does not reveal one */
    const char *style;
    const char *version_id; /* NULL: none */
    const char *endpoint;   /* NULL: none */
    const char *plus_alt;   /* NULL: no raw '+'; else the literal reading */
};

#define B "my-bucket"

static const struct form forms[] = {
    /* AWS host shapes, virtual-hosted and path-style. */
    {"global_virtual", "https://my-bucket.s3.amazonaws.com/avatars/1.png", B,
     "avatars/1.png", NULL, "virtual"},
    {"global_path", "https://s3.amazonaws.com/my-bucket/avatars/1.png", B,
     "avatars/1.png", NULL, "path"},
    {"regional_virtual", "https://my-bucket.s3.eu-west-1.amazonaws.com/a.png",
     B, "a.png", "eu-west-1", "virtual"},
    {"regional_path", "https://s3.eu-west-1.amazonaws.com/my-bucket/a.png", B,
     "a.png", "eu-west-1", "path"},
    {"gov_region_virtual",
     "https://my-bucket.s3.us-gov-west-1.amazonaws.com/a.png", B, "a.png",
     "us-gov-west-1", "virtual"},
    {"legacy_dash_virtual",
     "https://my-bucket.s3-us-west-2.amazonaws.com/a.png", B, "a.png",
     "us-west-2", "virtual"},
    {"legacy_dash_path", "https://s3-us-west-2.amazonaws.com/my-bucket/a.png",
     B, "a.png", "us-west-2", "path"},
    {"external_1_virtual",
     "https://my-bucket.s3-external-1.amazonaws.com/a.png", B, "a.png",
     "us-east-1", "virtual"},
    {"external_1_path", "https://s3-external-1.amazonaws.com/my-bucket/a.png",
     B, "a.png", "us-east-1", "path"},
    {"dualstack_virtual",
     "https://my-bucket.s3.dualstack.ap-south-1.amazonaws.com/a.png", B,
     "a.png", "ap-south-1", "virtual"},
    {"dualstack_path",
     "https://s3.dualstack.ap-south-1.amazonaws.com/my-bucket/a.png", B,
     "a.png", "ap-south-1", "path"},
    {"accelerate", "https://my-bucket.s3-accelerate.amazonaws.com/a.png", B,
     "a.png", NULL, "accelerate"},
    {"accelerate_dualstack",
     "https://my-bucket.s3-accelerate.dualstack.amazonaws.com/a.png", B,
     "a.png", NULL, "accelerate"},
    {"fips_virtual",
     "https://my-bucket.s3-fips.us-gov-west-1.amazonaws.com/a.png", B, "a.png",
     "us-gov-west-1", "virtual"},
    {"fips_path", "https://s3-fips.us-east-2.amazonaws.com/my-bucket/a.png", B,
     "a.png", "us-east-2", "path"},
    {"fips_dualstack_virtual",
     "https://my-bucket.s3-fips.dualstack.us-east-1.amazonaws.com/a.png", B,
     "a.png", "us-east-1", "virtual"},
    {"fips_dualstack_path",
     "https://s3-fips.dualstack.us-west-2.amazonaws.com/my-bucket/a.png", B,
     "a.png", "us-west-2", "path"},
    {"fips_legacy_dash_path",
     "https://s3-fips-us-gov-west-1.amazonaws.com/my-bucket/a.png", B, "a.png",
     "us-gov-west-1", "path"},
    {"china_virtual", "https://my-bucket.s3.cn-north-1.amazonaws.com.cn/a.png",
     B, "a.png", "cn-north-1", "virtual"},
    {"china_path", "https://s3.cn-northwest-1.amazonaws.com.cn/my-bucket/a.png",
     B, "a.png", "cn-northwest-1", "path"},
    {"china_dualstack_path",
     "https://s3.dualstack.cn-north-1.amazonaws.com.cn/my-bucket/a.png", B,
     "a.png", "cn-north-1", "path"},
    {"website_dash",
     "http://my-bucket.s3-website-us-east-1.amazonaws.com/a.png", B, "a.png",
     "us-east-1", "website"},
    {"website_dot",
     "http://my-bucket.s3-website.eu-central-1.amazonaws.com/a.png", B, "a.png",
     "eu-central-1", "website"},
    {"website_china",
     "http://my-bucket.s3-website.cn-north-1.amazonaws.com.cn/a.png", B,
     "a.png", "cn-north-1", "website"},
    {"plain_http", "http://my-bucket.s3.amazonaws.com/a.png", B, "a.png", NULL,
     "virtual"},

    /* s3:// URIs: the key is literal, as the AWS CLI writes it. */
    {"s3_uri", "s3://my-bucket/avatars/1.png", B, "avatars/1.png", NULL,
     "s3-uri"},
    {"s3_uri_key_is_literal", "S3://my-bucket/a%20b+c?x=1#y", B,
     "a%20b+c?x=1#y", NULL, "s3-uri"},
    {"s3_uri_dotted_bucket", "s3://my.dotted.bucket/./k", "my.dotted.bucket",
     "./k", NULL, "s3-uri"},

    /* Configured endpoints (path-style) and CDNs. */
    {"custom_endpoint", "http://minio.internal:9000/my-bucket/a.png", B,
     "a.png", "us-east-1", "path", NULL, "http://minio.internal:9000"},
    {"custom_endpoint_upper_case_host",
     "http://MINIO.Internal:9000/my-bucket/a+b.png", B, "a b.png", "us-east-1",
     "path", NULL, "http://minio.internal:9000", "a+b.png"},
    {"custom_endpoint_ipv6_loopback", "http://[::1]:7480/my-bucket/a.png", B,
     "a.png", NULL, "path", NULL, "http://[::1]:7480"},
    {"custom_endpoint_without_port_https",
     "https://storage.example.net/my-bucket/a.png", B, "a.png", NULL, "path",
     NULL, "https://storage.example.net"},
    {"custom_endpoint_without_port_http",
     "http://storage.example.net:80/my-bucket/a.png", B, "a.png", NULL, "path",
     NULL, "https://storage.example.net"},
    {"cdn", "https://cdn.example.com/a/b.png", "avatars", "a/b.png", NULL,
     "cdn"},
    {"cdn_with_prefix_and_region", "https://IMG.example.com/a/b.png", "media",
     "users/a/b.png", "eu-west-1", "cdn"},
    {"cdn_with_port", "http://static.example.org:8080/x%20y.png", "assets",
     "x y.png", NULL, "cdn"},
    {"cdn_drops_query", "https://cdn.example.com/a.png?w=64&h=64", "avatars",
     "a.png", NULL, "cdn"},

    /* Keys: decoded exactly once, S3's '+', no normalisation. */
    {"percent_decoded_once",
     "https://my-bucket.s3.amazonaws.com/a%2520b%41.png", B, "a%20bA.png", NULL,
     "virtual"},
    {"plus_is_space_and_ambiguous",
     "https://my-bucket.s3.amazonaws.com/a+b%20c+.png", B, "a b c .png", NULL,
     "virtual", NULL, NULL, "a+b c+.png"},
    {"encoded_plus_is_plus", "https://my-bucket.s3.amazonaws.com/a%2Bb.png", B,
     "a+b.png", NULL, "virtual"},
    {"encoded_slash_decodes_into_key",
     "https://s3.amazonaws.com/my-bucket/a%2Fb%2f.png", B, "a/b/.png", NULL,
     "path"},
    {"nfc_bytes_kept", "https://my-bucket.s3.amazonaws.com/caf%C3%A9", B,
     "caf\xc3\xa9", NULL, "virtual"},
    {"nfd_bytes_kept", "https://my-bucket.s3.amazonaws.com/cafe%CC%81", B,
     "cafe\xcc\x81", NULL, "virtual"},
    {"dot_segments_kept",
     "https://my-bucket.s3.amazonaws.com/a/../b/./c/%2E%2E/d", B,
     "a/../b/./c/../d", NULL, "virtual"},
    {"leading_dot_segments_kept", "https://s3.amazonaws.com/my-bucket/../x/.",
     B, "../x/.", NULL, "path"},
    {"double_slashes_kept", "https://my-bucket.s3.amazonaws.com//a//b/", B,
     "/a//b/", NULL, "virtual"},
    {"path_style_double_slash", "https://s3.amazonaws.com/my-bucket//a", B,
     "/a", NULL, "path"},
    {"raw_space_accepted", "https://my-bucket.s3.amazonaws.com/my photo.png", B,
     "my photo.png", NULL, "virtual"},
    {"raw_unicode_accepted",
     "https://s3.amazonaws.com/my-bucket/\xe6\x97\xa5\xe6\x9c\xac.png", B,
     "\xe6\x97\xa5\xe6\x9c\xac.png", NULL, "path"},
    {"reserved_characters_kept",
     "https://my-bucket.s3.amazonaws.com/a;b=c,d:e@f!$'()*~", B,
     "a;b=c,d:e@f!$'()*~", NULL, "virtual"},
    {"control_character_encoded", "https://my-bucket.s3.amazonaws.com/a%01b", B,
     "a\x01"
     "b",
     NULL, "virtual"},

    /* Query strings and fragments. */
    {"sigv2_query_dropped",
     "https://my-bucket.s3.amazonaws.com/a.png?AWSAccessKeyId=AKIAEXAMPLE&"
     "Expires=1300000000&Signature=abc%2Bdef%3D",
     B, "a.png", NULL, "virtual"},
    {"sigv4_query_dropped",
     "https://s3.us-east-2.amazonaws.com/my-bucket/a.png?X-Amz-Algorithm="
     "AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20200101%2Fus-east-2%2Fs3%2F"
     "aws4_request&X-Amz-Date=20200101T000000Z&X-Amz-Expires=900&"
     "X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef",
     B, "a.png", "us-east-2", "path"},
    {"fragment_dropped", "https://my-bucket.s3.amazonaws.com/a.png#top", B,
     "a.png", NULL, "virtual"},
    {"version_id_reported",
     "https://my-bucket.s3.amazonaws.com/a.png?versionId="
     "3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
     B, "a.png", NULL, "virtual",
     "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"},
    {"version_id_among_stale_signature",
     "https://s3.amazonaws.com/my-bucket/a.png?X-Amz-Signature=ff&versionId="
     "null&X-Amz-Expires=60#f",
     B, "a.png", NULL, "path", "null"},
    {"empty_version_id_is_absent",
     "https://my-bucket.s3.amazonaws.com/a.png?versionId=", B, "a.png", NULL,
     "virtual"},

    /* Host spelling. */
    {"upper_case_host_and_scheme",
     "HTTPS://MY-BUCKET.S3.EU-WEST-1.AMAZONAWS.COM/Key.PNG", B, "Key.PNG",
     "eu-west-1", "virtual"},
    {"explicit_default_port_https",
     "https://my-bucket.s3.amazonaws.com:443/a.png", B, "a.png", NULL,
     "virtual"},
    {"explicit_default_port_http", "http://s3.amazonaws.com:80/my-bucket/a.png",
     B, "a.png", NULL, "path"},
    {"trailing_dot_host", "https://my-bucket.s3.amazonaws.com./a.png", B,
     "a.png", NULL, "virtual"},
    {"dotted_bucket_virtual",
     "https://my.dotted.bucket.s3.us-east-2.amazonaws.com/a.png",
     "my.dotted.bucket", "a.png", "us-east-2", "virtual"},
    {"dotted_bucket_path",
     "https://s3.us-east-2.amazonaws.com/my.dotted.bucket/a.png",
     "my.dotted.bucket", "a.png", "us-east-2", "path"},
    {"bucket_labels_that_look_like_endpoints",
     "https://s3.backup.s3-us-west-1.amazonaws.com/a.png", "s3.backup", "a.png",
     "us-west-1", "virtual"},
    {"website_bucket_named_like_a_domain",
     "http://www.example.com.s3-website-us-west-2.amazonaws.com/index.html",
     "www.example.com", "index.html", "us-west-2", "website"},

    /* How apps stored them. */
    {"surrounding_whitespace_trimmed",
     " \thttps://my-bucket.s3.amazonaws.com/a.png \r\n", B, "a.png", NULL,
     "virtual"},
    {"scheme_relative", "//my-bucket.s3.amazonaws.com/a.png", B, "a.png", NULL,
     "virtual"},
};

static const char *form_name(const void *row)
{
    return ((const struct form *)row)->name;
}

static void parses_as_expected(void **state)
{
    const struct form *f = *state;
    struct s3url_config c;
    struct s3url_result r;
    enum pd_code rc;

    fixture_config(&c);
    rc = s3url_parse(&c, f->url, &r);
    s3url_config_release(&c);
    if (rc != PD_OK)
        fail_msg("%s: refused (%s): %s", f->url, s3url_reason_name(r.reason),
                 r.detail);

    assert_int_equal(r.reason, S3URL_OK);
    assert_string_equal(r.bucket, f->bucket);
    assert_int_equal(r.key_len, strlen(f->key));
    assert_memory_equal(r.key, f->key, r.key_len);
    assert_int_equal(r.key[r.key_len], '\0');
    assert_string_equal(r.region, f->region ? f->region : "");
    assert_string_equal(s3url_style_name(r.style), f->style);
    assert_string_equal(r.version_id, f->version_id ? f->version_id : "");
    assert_string_equal(r.endpoint, f->endpoint ? f->endpoint : "");
    assert_int_equal(r.ambiguous_plus, f->plus_alt != NULL);
    assert_string_equal(r.key_literal_plus, f->plus_alt ? f->plus_alt : "");
    assert_string_equal(r.detail, "");
}

int main(void)
{
    return fixture_run_table("s3url forms", parses_as_expected, forms,
                             sizeof(forms[0]), sizeof(forms) / sizeof(forms[0]),
                             form_name);
}
