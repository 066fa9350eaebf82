/* test_config.c - serve flags, their environment twins, and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/serve_config.h"

static const char *const vars[] = {
    "PRESIGND_LISTEN",          "PRESIGND_BUCKETS",
    "PRESIGND_URL_TTL",         "PRESIGND_COOKIE_NAME",
    "PRESIGND_CORS_ORIGINS",    "PRESIGND_NO_IMAGE",
    "PRESIGND_WORKERS",         "AWS_REGION",
    "AWS_DEFAULT_REGION",       "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",      "PRESIGND_ADDRESSING",
    "PRESIGND_TRUSTED_PROXIES", "PRESIGND_EXTERNAL_HOSTS",
};

static int clean_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static enum pd_code parse(struct serve_config *c, char **argv,
                          struct pd_err *err)
{
    int argc = 0;

    while (argv[argc] != NULL)
        argc++;
    return serve_config_parse(c, argc, argv, err);
}

static void defaults_match_the_contract(void **state)
{
    struct serve_config c;
    char *argv[] = {"serve", NULL};

    (void)state;
    assert_int_equal(parse(&c, argv, NULL), PD_OK);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(c.url_ttl, 300);
    assert_string_equal(c.cookie_name, "session");
    assert_int_equal(c.no_image, SERVE_NO_IMAGE_INITIALS);
    assert_int_equal(c.addressing, SIGV4_ADDRESSING_AUTO);
    assert_int_equal(c.bucket_count, 0);
    assert_true(c.workers >= 1);
    assert_string_equal(c.region, "us-east-1");
    serve_config_release(&c);
}

static void environment_twins_and_flags_win(void **state)
{
    struct serve_config c;
    char *argv[] = {"serve", "--bucket", "flag-bucket", "--url-ttl",
                    "60",    "--listen", "[::1]:9000",  NULL};

    (void)state;
    setenv("PRESIGND_BUCKETS", "env-one, env-two", 1);
    setenv("PRESIGND_URL_TTL", "120", 1);
    setenv("PRESIGND_COOKIE_NAME", "sid", 1);
    setenv("PRESIGND_CORS_ORIGINS", "https://a.example,https://b.example", 1);
    setenv("PRESIGND_NO_IMAGE", "redirect:https://cdn.example/d.png", 1);
    setenv("AWS_REGION", "eu-west-3", 1);
    assert_int_equal(parse(&c, argv, NULL), PD_OK);
    assert_int_equal(c.bucket_count, 1);
    assert_string_equal(c.buckets[0], "flag-bucket");
    assert_int_equal(c.url_ttl, 60);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_string_equal(c.cookie_name, "sid");
    assert_true(serve_config_cors_allowed(&c, "https://b.example"));
    assert_false(serve_config_cors_allowed(&c, "https://c.example"));
    assert_int_equal(c.no_image, SERVE_NO_IMAGE_REDIRECT);
    assert_string_equal(c.no_image_url, "https://cdn.example/d.png");
    assert_string_equal(c.region, "eu-west-3");
    serve_config_release(&c);
    clean_env(NULL);
    setenv("PRESIGND_BUCKETS", "env-one, env-two", 1);
    char *none[] = {"serve", NULL};
    assert_int_equal(parse(&c, none, NULL), PD_OK);
    assert_int_equal(c.bucket_count, 2);
    assert_string_equal(c.buckets[1], "env-two");
    serve_config_release(&c);
}

static void bad_values_name_the_flag(void **state)
{
    struct serve_config c;
    struct pd_err err;
    char *cases[][3] = {
        {"serve", "--url-ttl=5", NULL},
        {"serve", "--listen=nohost", NULL},
        {"serve", "--bucket=B!", NULL},
        {"serve", "--no-image=redirect:javascript:x", NULL},
        {"serve", "--trusted-proxy=10.0.0.1/8", NULL},
        {"serve", "--workers=0", NULL},
        {"serve", "--nope", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pd_err_clear(&err);
        assert_int_not_equal(parse(&c, cases[i], &err), PD_OK);
        assert_true(err.msg[0] != '\0');
        serve_config_release(&c);
    }
    setenv("PRESIGND_URL_TTL", "abc", 1);
    char *argv[] = {"serve", NULL};
    assert_int_equal(parse(&c, argv, &err), PD_EINVAL);
    assert_non_null(strstr(err.msg, "PRESIGND_URL_TTL"));
    serve_config_release(&c);
    unsetenv("PRESIGND_URL_TTL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(defaults_match_the_contract, clean_env),
        cmocka_unit_test_setup(environment_twins_and_flags_win, clean_env),
        cmocka_unit_test_setup(bad_values_name_the_flag, clean_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
