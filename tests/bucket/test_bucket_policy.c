/* test_bucket_policy.c - the statements that make a bucket policy public are
 * found, and the policy without them keeps everything else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/bucket.h"

struct split {
    char *pub;
    char *rest;
    size_t n;
};

static struct split split_ok(const char *policy)
{
    struct split s = {NULL, NULL, 0};
    struct pd_err err;

    assert_int_equal(bucket_policy_split(policy, &s.pub, &s.n, &s.rest, &err),
                     PD_OK);
    return s;
}

static void split_free(struct split *s)
{
    free(s->pub);
    free(s->rest);
}

static void star_principals_in_every_spelling_are_public(void **state)
{
    const char *forms[] = {
        "\"*\"",
        "{\"AWS\":\"*\"}",
        "{\"AWS\":[\"arn:aws:iam::1:root\",\"*\"]}",
        "{\"CanonicalUser\":\"*\"}",
    };
    char policy[512];

    (void)state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        struct split s;
        snprintf(policy, sizeof(policy),
                 "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":%s,"
                 "\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}",
                 forms[i]);
        s = split_ok(policy);
        assert_int_equal(s.n, 1);
        assert_null(s.rest); /* nothing left: the policy is deleted */
        split_free(&s);
    }
}

static void deny_named_and_restricted_statements_are_kept(void **state)
{
    struct split s = split_ok(
        "{\"Version\":\"2012-10-17\",\"Statement\":["
        "{\"Sid\":\"Pub\",\"Effect\":\"Allow\",\"Principal\":\"*\","
        "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"},"
        "{\"Sid\":\"Deny\",\"Effect\":\"Deny\",\"Principal\":\"*\","
        "\"Action\":\"s3:*\",\"Resource\":\"*\"},"
        "{\"Sid\":\"Office\",\"Effect\":\"Allow\",\"Principal\":\"*\","
        "\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":"
        "{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}},"
        "{\"Sid\":\"Referer\",\"Effect\":\"Allow\",\"Principal\":\"*\","
        "\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringLike\":{\"aws:Referer\":\"https://app/*\"}}},"
        "{\"Sid\":\"App\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
        "\"arn:aws:iam::1:user/app\"},\"Action\":\"s3:*\","
        "\"Resource\":\"*\"}]}");

    (void)state;
    /* a Referer condition is no restriction: anyone can send one */
    assert_int_equal(s.n, 2);
    assert_non_null(strstr(s.pub, "\"Sid\":\"Pub\""));
    assert_non_null(strstr(s.pub, "\"Sid\":\"Referer\""));
    assert_non_null(s.rest);
    assert_string_equal(
        s.rest, "{\"Version\":\"2012-10-17\",\"Statement\":["
                "{\"Sid\":\"Deny\",\"Effect\":\"Deny\",\"Principal\":\"*\","
                "\"Action\":\"s3:*\",\"Resource\":\"*\"},"
                "{\"Sid\":\"Office\",\"Effect\":\"Allow\",\"Principal\":\"*\","
                "\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":"
                "{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}},"
                "{\"Sid\":\"App\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                "\"arn:aws:iam::1:user/app\"},\"Action\":\"s3:*\","
                "\"Resource\":\"*\"}]}");
    split_free(&s);
}

static void single_statement_object_and_not_principal(void **state)
{
    struct split s = split_ok("{\"Statement\":{\"Effect\":\"Allow\","
                              "\"NotPrincipal\":{\"AWS\":\"x\"},"
                              "\"Action\":\"s3:GetObject\"}}");

    (void)state;
    assert_int_equal(s.n, 1);
    assert_null(s.rest);
    split_free(&s);
}

static void broken_policies_are_errors(void **state)
{
    char *pub = NULL, *rest = NULL;
    size_t n;
    struct pd_err err;

    (void)state;
    assert_int_equal(
        bucket_policy_split("{\"Version\":1}", &pub, &n, &rest, &err),
        PD_EINVAL);
    assert_string_equal(err.msg, "bucket policy has no Statement list");
    assert_int_equal(bucket_policy_split("[1]", &pub, &n, &rest, &err),
                     PD_EINVAL);
    assert_string_equal(err.msg, "bucket policy is not a JSON object: ");
    assert_int_equal(
        bucket_policy_split("{\"Statement\":[1]}", &pub, &n, &rest, &err),
        PD_EINVAL);
    assert_string_equal(err.msg, "bucket policy statement 0 is not an object");
    assert_null(pub);
    assert_null(rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(star_principals_in_every_spelling_are_public),
        cmocka_unit_test(deny_named_and_restricted_statements_are_kept),
        cmocka_unit_test(single_statement_object_and_not_principal),
        cmocka_unit_test(broken_policies_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
