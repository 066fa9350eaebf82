/* test_s3api_xml.c - S3 XML answers recorded from radosgw (and written in
 * AWS's documented shape) parse into the right values; bad XML is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/s3api.h"

/* Reads tests/bucket/fixtures/xml/NAME into a heap string. */
static char *fixture(const char *name, size_t *len)
{
    char path[1024];
    const char *src = getenv("PRESIGND_SOURCE_DIR");
    FILE *f;
    char *buf = malloc(1024 * 1024);

    snprintf(path, sizeof(path), "%s/tests/bucket/fixtures/xml/%s",
             src ? src : ".", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, 1024 * 1024 - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void pab_flags_parse_from_both_root_names(void **state)
{
    struct s3api_pab pab;
    struct pd_err err;
    size_t len;
    char *body = fixture("rgw_pab_all_true.xml", &len);

    (void)state;
    assert_int_equal(s3api_parse_pab(body, len, &pab, &err), PD_OK);
    assert_true(pab.block_public_acls && pab.ignore_public_acls &&
                pab.block_public_policy && pab.restrict_public_buckets);
    free(body);
    body = fixture("rgw_pab_all_false.xml", &len);
    assert_int_equal(s3api_parse_pab(body, len, &pab, &err), PD_OK);
    assert_false(pab.block_public_acls || pab.ignore_public_acls ||
                 pab.block_public_policy || pab.restrict_public_buckets);
    free(body);
    /* AWS's root name, upper-case TRUE, a missing flag meaning off */
    body = fixture("aws_pab_mixed.xml", &len);
    assert_int_equal(s3api_parse_pab(body, len, &pab, &err), PD_OK);
    assert_true(pab.block_public_acls);
    assert_false(pab.ignore_public_acls);
    assert_true(pab.block_public_policy);
    assert_false(pab.restrict_public_buckets);
    free(body);
}

static void acl_grants_parse_with_public_groups_named(void **state)
{
    struct s3api_acl *acl = malloc(sizeof(*acl));
    struct pd_err err;
    size_t len;
    char *body = fixture("rgw_bucket_acl_public_read.xml", &len);

    (void)state;
    assert_int_equal(s3api_parse_acl(body, len, acl, &err), PD_OK);
    assert_string_equal(acl->owner_id, "presignd-test");
    assert_string_equal(acl->owner_display_name, "presignd test user");
    assert_int_equal(acl->grant_count, 2);
    assert_int_equal(acl->grants[0].type, S3API_GRANTEE_GROUP);
    assert_string_equal(acl->grants[0].permission, "READ");
    assert_string_equal(s3api_grant_public_group(&acl->grants[0]), "AllUsers");
    assert_int_equal(acl->grants[1].type, S3API_GRANTEE_CANONICAL);
    assert_string_equal(acl->grants[1].id, "presignd-test");
    assert_null(s3api_grant_public_group(&acl->grants[1]));
    free(body);

    body = fixture("aws_acl_authenticated_write.xml", &len);
    assert_int_equal(s3api_parse_acl(body, len, acl, &err), PD_OK);
    assert_string_equal(acl->owner_display_name, "owner & co");
    assert_int_equal(acl->grant_count, 4);
    assert_string_equal(s3api_grant_public_group(&acl->grants[1]),
                        "AuthenticatedUsers");
    assert_string_equal(acl->grants[1].permission, "WRITE");
    /* LogDelivery is a group, but not a public one */
    assert_null(s3api_grant_public_group(&acl->grants[2]));
    assert_string_equal(s3api_grant_public_group(&acl->grants[3]), "AllUsers");
    free(body);
    free(acl);
}

static void acl_round_trips_through_the_writer(void **state)
{
    struct s3api_acl *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    struct pd_buf xml;
    struct pd_err err;
    size_t len;
    char *body = fixture("aws_acl_authenticated_write.xml", &len);

    (void)state;
    pd_buf_init(&xml, 1 << 20);
    assert_int_equal(s3api_parse_acl(body, len, a, &err), PD_OK);
    assert_int_equal(s3api_format_acl(a, &xml, &err), PD_OK);
    assert_non_null(strstr(xml.data, "<DisplayName>owner &amp; co<"));
    assert_int_equal(s3api_parse_acl(xml.data, xml.len, b, &err), PD_OK);
    assert_int_equal(b->grant_count, a->grant_count);
    for (size_t i = 0; i < a->grant_count; i++) {
        assert_int_equal(b->grants[i].type, a->grants[i].type);
        assert_string_equal(b->grants[i].id, a->grants[i].id);
        assert_string_equal(b->grants[i].permission, a->grants[i].permission);
    }
    pd_buf_release(&xml);
    free(body);
    free(a);
    free(b);
}

static void errors_key_on_code_when_message_is_empty(void **state)
{
    struct s3api_reply r;
    size_t len;
    char *body = fixture("rgw_error_no_such_bucket.xml", &len);

    (void)state;
    s3api_parse_error(body, len, &r);
    assert_string_equal(r.code, "NoSuchBucket");
    assert_string_equal(r.message, "");
    assert_string_equal(r.request_id,
                        "tx00000e2ecb26637b97e62-006b12d9bf-100c-default");
    free(body);
    body = fixture("rgw_error_signature.xml", &len);
    s3api_parse_error(body, len, &r);
    assert_string_equal(r.code, "SignatureDoesNotMatch");
    free(body);
    body = fixture("rgw_error_no_such_bucket_policy.xml", &len);
    s3api_parse_error(body, len, &r);
    assert_string_equal(r.code, "NoSuchBucketPolicy");
    assert_string_equal(r.message, "The bucket policy does not exist");
    free(body);
    body = fixture("aws_error_slowdown.xml", &len);
    s3api_parse_error(body, len, &r);
    assert_string_equal(r.code, "SlowDown");
    free(body);
    /* not XML at all: nothing is made up */
    s3api_parse_error("<html>502 Bad Gateway</html>", 28, &r);
    assert_string_equal(r.code, "");
}

static void unsupported_subresource_is_reported_not_guessed(void **state)
{
    char own[S3API_OWNERSHIP_MAX];
    struct pd_err err;
    size_t len;
    char *body = fixture("rgw_ownership_controls_unsupported.xml", &len);

    (void)state;
    assert_int_equal(s3api_parse_ownership(body, len, own, sizeof(own), &err),
                     PD_EUNSUPPORTED);
    assert_string_equal(err.msg, "expected <OwnershipControls>, the store "
                                 "answered <ListBucketResult>");
    free(body);
    body = fixture("aws_ownership_controls_enforced.xml", &len);
    assert_int_equal(s3api_parse_ownership(body, len, own, sizeof(own), &err),
                     PD_OK);
    assert_string_equal(own, "BucketOwnerEnforced");
    free(body);
}

static void policy_status_parses(void **state)
{
    bool pub = false;
    struct pd_err err;
    size_t len;
    char *body = fixture("rgw_policy_status_public.xml", &len);

    (void)state;
    assert_int_equal(s3api_parse_policy_status(body, len, &pub, &err), PD_OK);
    assert_true(pub);
    free(body);
    assert_int_equal(
        s3api_parse_policy_status("<PolicyStatus/>", 15, &pub, &err), PD_ES3);
    assert_string_equal(err.msg, "<PolicyStatus> without <IsPublic>");
}

static void doctype_and_truncated_xml_are_refused(void **state)
{
    struct s3api_acl *acl = malloc(sizeof(*acl));
    struct s3api_reply r;
    struct pd_err err;
    size_t len;
    char *body = fixture("evil_entity_expansion.xml", &len);

    (void)state;
    s3api_parse_error(body, len, &r);
    assert_string_equal(r.code, "");
    assert_int_equal(s3api_parse_acl(body, len, acl, &err), PD_ES3);
    assert_string_equal(err.msg, "malformed XML from the store: DOCTYPE "
                                 "declarations are not accepted");
    free(body);
    body = fixture("truncated_acl.xml", &len);
    assert_int_equal(s3api_parse_acl(body, len, acl, &err), PD_ES3);
    assert_string_equal(err.msg, "malformed XML from the store: no element "
                                 "found");
    free(body);
    free(acl);
}

static void deep_nesting_is_refused(void **state)
{
    struct pd_buf b;
    struct s3api_pab pab;
    struct pd_err err;

    (void)state;
    pd_buf_init(&b, 1 << 20);
    for (int i = 0; i < 40; i++)
        assert_int_equal(pd_buf_puts(&b, "<a>"), PD_OK);
    assert_int_equal(s3api_parse_pab(b.data, b.len, &pab, &err), PD_ES3);
    assert_string_equal(err.msg,
                        "malformed XML from the store: nested too deeply");
    pd_buf_release(&b);
}

static void pab_body_is_what_s3_expects(void **state)
{
    struct s3api_pab on = {true, true, true, true}, back;
    struct pd_buf b;
    struct pd_err err;

    (void)state;
    pd_buf_init(&b, 4096);
    assert_int_equal(s3api_format_pab(&on, &b, &err), PD_OK);
    assert_non_null(strstr(b.data, "<PublicAccessBlockConfiguration xmlns="));
    assert_int_equal(s3api_parse_pab(b.data, b.len, &back, &err), PD_OK);
    assert_memory_equal(&on, &back, sizeof(on));
    pd_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pab_flags_parse_from_both_root_names),
        cmocka_unit_test(acl_grants_parse_with_public_groups_named),
        cmocka_unit_test(acl_round_trips_through_the_writer),
        cmocka_unit_test(errors_key_on_code_when_message_is_empty),
        cmocka_unit_test(unsupported_subresource_is_reported_not_guessed),
        cmocka_unit_test(policy_status_parses),
        cmocka_unit_test(doctype_and_truncated_xml_are_refused),
        cmocka_unit_test(deep_nesting_is_refused),
        cmocka_unit_test(pab_body_is_what_s3_expects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
