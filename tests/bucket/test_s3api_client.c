/* test_s3api_client.c - what the S3 client decides without a network: the
 * endpoint it talks to, the anonymous probe URLs (path style, S3 encoding),
 * and a clear error for a bad endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/s3api.h"

static const struct sigv4_credentials creds = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", 0};

static struct s3api_client *client_for(const char *endpoint)
{
    struct s3api_config cfg;
    struct s3api_client *c = NULL;
    struct pd_err err;

    s3api_config_init(&cfg);
    cfg.endpoint_url = endpoint;
    cfg.region = "eu-west-1";
    assert_int_equal(s3api_client_new(&c, &cfg, &creds, &err), PD_OK);
    return c;
}

static void anonymous_urls_are_path_style_and_encoded(void **state)
{
    struct s3api_client *c = client_for("http://127.0.0.1:9/");
    struct pd_buf url;
    struct pd_err err;

    (void)state;
    assert_string_equal(s3api_client_endpoint_url(c), "http://127.0.0.1:9");
    pd_buf_init(&url, 4096);
    assert_int_equal(s3api_anonymous_url(c, "my-bucket",
                                         "a b+c/\xc3\xbc~x=1&y.png", &url,
                                         &err),
                     PD_OK);
    assert_string_equal(url.data, "http://127.0.0.1:9/my-bucket/"
                                  "a%20b%2Bc/%C3%BC~x%3D1%26y.png");
    pd_buf_reset(&url);
    assert_int_equal(s3api_anonymous_url(c, "my-bucket", NULL, &url, &err),
                     PD_OK);
    assert_string_equal(url.data, "http://127.0.0.1:9/my-bucket/");
    pd_buf_reset(&url);
    assert_int_equal(s3api_anonymous_url(c, "My_Bucket", "k", &url, &err),
                     PD_EINVAL);
    pd_buf_release(&url);
    s3api_client_free(c);
}

static void aws_region_gives_the_regional_endpoint(void **state)
{
    struct s3api_config cfg;
    struct s3api_client *c = NULL;
    struct pd_err err;

    (void)state;
    s3api_config_init(&cfg);
    cfg.endpoint_url = "";
    cfg.region = "eu-west-1";
    assert_int_equal(s3api_client_new(&c, &cfg, &creds, &err), PD_OK);
    assert_string_equal(s3api_client_endpoint_url(c),
                        "https://s3.eu-west-1.amazonaws.com");
    assert_int_equal(s3api_last_reply(c)->status, 0);
    s3api_client_free(c);
}

static void bad_endpoint_is_a_configuration_error(void **state)
{
    struct s3api_config cfg;
    struct s3api_client *c = NULL;
    struct pd_err err;

    (void)state;
    s3api_config_init(&cfg);
    cfg.endpoint_url = "http://127.0.0.1:9/some/path";
    assert_int_equal(s3api_client_new(&c, &cfg, &creds, &err), PD_ECONFIG);
    assert_null(c);
    assert_string_equal(err.msg, "S3 endpoint: endpoint URL "
                                 "'http://127.0.0.1:9/some/path' must not "
                                 "have a path, query or fragment");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(anonymous_urls_are_path_style_and_encoded),
        cmocka_unit_test(aws_region_gives_the_regional_endpoint),
        cmocka_unit_test(bad_endpoint_is_a_configuration_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
