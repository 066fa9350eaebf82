/*
 * test_config.c - custom endpoint and CDN specs, their limits, and the
 * PRESIGND_S3_ENDPOINTS / PRESIGND_CDNS environment variables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/s3url.h"

static void endpoint_spec_is_normalised(void **state)
{
    struct s3url_config c;
    struct pd_err err;

    (void)state;
    s3url_config_init(&c);
    assert_int_equal(s3url_config_add_endpoint(
                         &c, "HTTP://MinIO.Internal:9000@us-east-1", &err),
                     PD_OK);
    assert_int_equal(
        s3url_config_add_endpoint(&c, "https://rgw.local:443/", &err), PD_OK);
    assert_int_equal(
        s3url_config_add_endpoint(&c, "http://127.0.0.1:7480", &err), PD_OK);
    assert_int_equal(c.endpoint_count, 3);
    assert_string_equal(c.endpoints[0].scheme_host_port,
                        "http://minio.internal:9000");
    assert_string_equal(c.endpoints[0].host, "minio.internal");
    assert_int_equal(c.endpoints[0].port, 9000);
    assert_string_equal(c.endpoints[0].region, "us-east-1");
    assert_string_equal(c.endpoints[1].scheme_host_port, "https://rgw.local");
    assert_int_equal(c.endpoints[1].port, 0);
    assert_null(c.endpoints[1].region);
    assert_string_equal(c.endpoints[2].host, "127.0.0.1");
    s3url_config_release(&c);
    assert_int_equal(c.endpoint_count, 0);
}

struct bad_spec {
    const char *spec;
    enum pd_code code;
    const char *msg;
};

static void bad_endpoint_specs_are_refused(void **state)
{
    static const struct bad_spec bad[] = {
        {"ftp://files.local", PD_ECONFIG,
         "endpoint 'ftp://files.local' is not an http:// or https:// URL"},
        {"http://bad host", PD_ECONFIG,
         "'http://bad host' is not a URL: Bad hostname"},
        {"http://files.local/prefix", PD_ECONFIG,
         "endpoint 'http://files.local/prefix' must have no path, query or "
         "fragment"},
        {"http://files.local/?x=1", PD_ECONFIG,
         "endpoint 'http://files.local/?x=1' must have no path, query or "
         "fragment"},
        {"http://user:pw@files.local", PD_ECONFIG,
         "'files.local' is not a region name (1-63 of A-Z a-z 0-9 - _)"},
        {"http://user@files.local@eu-west-1", PD_ECONFIG,
         "endpoint 'http://user@files.local' must not carry user information"},
        {"http://files.local@bad region", PD_ECONFIG,
         "'bad region' is not a region name (1-63 of A-Z a-z 0-9 - _)"},
        {"http://files.local@", PD_ECONFIG,
         "'' is not a region name (1-63 of A-Z a-z 0-9 - _)"},
        {"http://b\xc3\xbc"
         "cket.local",
         PD_ECONFIG, "endpoint host must be ASCII (use punycode)"},
        {"files.local:9000", PD_ECONFIG,
         "endpoint 'files.local:9000' is not an http:// or https:// URL"},
    };
    struct s3url_config c;
    struct pd_err err;

    (void)state;
    s3url_config_init(&c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(s3url_config_add_endpoint(&c, bad[i].spec, &err),
                         bad[i].code);
        assert_string_equal(err.msg, bad[i].msg);
    }
    assert_int_equal(c.endpoint_count, 0);
    assert_int_equal(s3url_config_add_endpoint(&c, "http://a.local:1", &err),
                     PD_OK);
    /* the same endpoint again is one declaration; its region is kept */
    assert_int_equal(s3url_config_add_endpoint(&c, "http://A.local:1@x", &err),
                     PD_OK);
    assert_int_equal(s3url_config_add_endpoint(&c, "http://a.local:1", &err),
                     PD_OK);
    assert_int_equal(c.endpoint_count, 1);
    assert_string_equal(c.endpoints[0].region, "x");
    /* two regions for one endpoint cannot both be right */
    assert_int_equal(s3url_config_add_endpoint(&c, "http://a.local:1@y", &err),
                     PD_ECONFIG);
    assert_string_equal(err.msg, "endpoint 'http://a.local:1' is given twice, "
                                 "with regions 'x' and 'y'");
    assert_int_equal(c.endpoint_count, 1);
    s3url_config_release(&c);
}

static void cdn_spec_is_normalised(void **state)
{
    struct s3url_config c;
    struct pd_err err;

    (void)state;
    s3url_config_init(&c);
    assert_int_equal(s3url_config_add_cdn(&c, "cdn.example.com=avatars", &err),
                     PD_OK);
    assert_int_equal(s3url_config_add_cdn(
                         &c, "IMG.Example.com.:443=media//users/x/@eu-1", &err),
                     PD_OK);
    assert_int_equal(
        s3url_config_add_cdn(&c, "st.example.org:8080=my.assets/", &err),
        PD_OK);
    assert_int_equal(c.cdn_count, 3);
    assert_string_equal(c.cdns[0].host, "cdn.example.com");
    assert_string_equal(c.cdns[0].bucket, "avatars");
    assert_string_equal(c.cdns[0].prefix, "");
    assert_null(c.cdns[0].region);
    assert_string_equal(c.cdns[1].host, "img.example.com");
    assert_string_equal(c.cdns[1].bucket, "media");
    assert_string_equal(c.cdns[1].prefix, "users/x");
    assert_string_equal(c.cdns[1].region, "eu-1");
    assert_string_equal(c.cdns[2].host, "st.example.org:8080");
    assert_string_equal(c.cdns[2].bucket, "my.assets");
    assert_string_equal(c.cdns[2].prefix, "");
    s3url_config_release(&c);
    assert_int_equal(c.cdn_count, 0);
}

static void bad_cdn_specs_are_refused(void **state)
{
    static const struct bad_spec bad[] = {
        {"cdn.example.com", PD_ECONFIG,
         "'cdn.example.com' is not HOST=BUCKET[/PREFIX][@REGION]"},
        {"=avatars", PD_ECONFIG, "'' is not a HOST[:PORT]"},
        {"cdn example=avatars", PD_ECONFIG,
         "'cdn example' is not a HOST[:PORT]"},
        {"cdn.example.com:99999=avatars", PD_ECONFIG,
         "'cdn.example.com:99999' is not a HOST[:PORT]"},
        {"cdn.example.com:=avatars", PD_ECONFIG,
         "'cdn.example.com:' is not a HOST[:PORT]"},
        {"cdn.example.com=Avatars", PD_ECONFIG,
         "bucket name 'Avatars' may hold only a-z, 0-9, '.' and '-'"},
        {"cdn.example.com=", PD_ECONFIG,
         "bucket name '' must be 3 to 63 characters long"},
        {"cdn.example.com=avatars@", PD_ECONFIG,
         "'' is not a region name (1-63 of A-Z a-z 0-9 - _)"},
        {"cdn.example.com=avatars/\xff", PD_ECONFIG,
         "the key prefix must be UTF-8, under 1024 bytes"},
    };
    struct s3url_config c;
    struct pd_err err;

    (void)state;
    s3url_config_init(&c);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(s3url_config_add_cdn(&c, bad[i].spec, &err),
                         bad[i].code);
        assert_string_equal(err.msg, bad[i].msg);
    }
    assert_int_equal(c.cdn_count, 0);
    assert_int_equal(s3url_config_add_cdn(&c, "a.example=bkt1", &err), PD_OK);
    assert_int_equal(s3url_config_add_cdn(&c, "A.example:80=bkt2", &err),
                     PD_ECONFIG);
    assert_string_equal(err.msg, "CDN host 'a.example' is given twice");
    s3url_config_release(&c);
}

static void counts_are_bounded(void **state)
{
    struct s3url_config c;
    struct pd_err err;
    char spec[64];

    (void)state;
    s3url_config_init(&c);
    for (int i = 0; i < S3URL_MAX_ENDPOINTS; i++) {
        snprintf(spec, sizeof(spec), "http://e%d.local:9000", i);
        assert_int_equal(s3url_config_add_endpoint(&c, spec, &err), PD_OK);
    }
    assert_int_equal(s3url_config_add_endpoint(&c, "http://x.local", &err),
                     PD_ELIMIT);
    assert_string_equal(err.msg, "more than 16 custom endpoints");
    for (int i = 0; i < S3URL_MAX_CDNS; i++) {
        snprintf(spec, sizeof(spec), "c%d.local=bucket-%d", i, i);
        assert_int_equal(s3url_config_add_cdn(&c, spec, &err), PD_OK);
    }
    assert_int_equal(s3url_config_add_cdn(&c, "x.local=abc", &err), PD_ELIMIT);
    assert_string_equal(err.msg, "more than 16 CDN mappings");
    s3url_config_release(&c);
}

static void environment_adds_endpoints_and_cdns(void **state)
{
    struct s3url_config c;
    struct s3url_result r;
    struct pd_err err;

    (void)state;
    setenv("PRESIGND_S3_ENDPOINTS",
           " http://minio.internal:9000@us-east-1 , ,http://[::1]:7480", 1);
    setenv("PRESIGND_CDNS", "cdn.example.com=avatars/u@eu-west-1", 1);
    s3url_config_init(&c);
    assert_int_equal(s3url_config_from_env(&c, &err), PD_OK);
    assert_int_equal(c.endpoint_count, 2);
    assert_string_equal(c.endpoints[1].scheme_host_port, "http://[::1]:7480");
    assert_int_equal(c.cdn_count, 1);
    /* Flags add to what the environment gave. */
    assert_int_equal(s3url_config_add_cdn(&c, "img.example.com=media", &err),
                     PD_OK);

    assert_int_equal(s3url_parse(&c, "https://cdn.example.com/a.png", &r),
                     PD_OK);
    assert_string_equal(r.bucket, "avatars");
    assert_string_equal(r.key, "u/a.png");
    assert_string_equal(r.region, "eu-west-1");
    assert_int_equal(s3url_parse(&c, "http://[::1]:7480/bkt/k", &r), PD_OK);
    assert_string_equal(r.endpoint, "http://[::1]:7480");
    s3url_config_release(&c);
    unsetenv("PRESIGND_S3_ENDPOINTS");
    unsetenv("PRESIGND_CDNS");
}

static void unset_or_empty_environment_adds_nothing(void **state)
{
    struct s3url_config c;
    struct pd_err err;

    (void)state;
    unsetenv("PRESIGND_S3_ENDPOINTS");
    setenv("PRESIGND_CDNS", "", 1);
    s3url_config_init(&c);
    assert_int_equal(s3url_config_from_env(&c, &err), PD_OK);
    assert_int_equal(c.endpoint_count + c.cdn_count, 0);
    unsetenv("PRESIGND_CDNS");
}

static void bad_environment_names_the_variable(void **state)
{
    struct s3url_config c;
    struct pd_err err;

    (void)state;
    setenv("PRESIGND_CDNS", "cdn.example.com=avatars,broken", 1);
    s3url_config_init(&c);
    assert_int_equal(s3url_config_from_env(&c, &err), PD_ECONFIG);
    assert_string_equal(
        err.msg,
        "PRESIGND_CDNS: 'broken' is not HOST=BUCKET[/PREFIX][@REGION]");
    s3url_config_release(&c);
    unsetenv("PRESIGND_CDNS");

    setenv("PRESIGND_S3_ENDPOINTS", "gopher://x", 1);
    s3url_config_init(&c);
    assert_int_equal(s3url_config_from_env(&c, &err), PD_ECONFIG);
    assert_string_equal(err.msg, "PRESIGND_S3_ENDPOINTS: endpoint "
                                 "'gopher://x' is not an http:// or https:// "
                                 "URL");
    s3url_config_release(&c);
    unsetenv("PRESIGND_S3_ENDPOINTS");
}

static void null_config_means_aws_only(void **state)
{
    struct s3url_result r;

    (void)state;
    assert_int_equal(s3url_parse(NULL, "https://cdn.example.com/a.png", &r),
                     PD_EINVAL);
    assert_int_equal(r.reason, S3URL_EXTERNAL);
    assert_int_equal(
        s3url_parse(NULL, "https://my-bucket.s3.amazonaws.com/a.png", &r),
        PD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(endpoint_spec_is_normalised),
        cmocka_unit_test(bad_endpoint_specs_are_refused),
        cmocka_unit_test(cdn_spec_is_normalised),
        cmocka_unit_test(bad_cdn_specs_are_refused),
        cmocka_unit_test(counts_are_bounded),
        cmocka_unit_test(environment_adds_endpoints_and_cdns),
        cmocka_unit_test(unset_or_empty_environment_adds_nothing),
        cmocka_unit_test(bad_environment_names_the_variable),
        cmocka_unit_test(null_config_means_aws_only),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
