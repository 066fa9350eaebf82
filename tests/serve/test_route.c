/* test_route.c - the URL space and the visibility rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/http.h"
#include "presignd/metrics.h"

static void known_routes_parse(void **state)
{
    struct http_route r;

    (void)state;
    assert_int_equal(http_route_parse("/v1/users/42/avatar", &r), PD_OK);
    assert_int_equal(r.kind, HTTP_ROUTE_IMAGE);
    assert_false(r.me);
    assert_int_equal(r.image, ACCESS_AVATAR);
    assert_string_equal(r.subject, "42");
    assert_int_equal(http_route_parse("/v1/users/a-b_C/signature", &r), PD_OK);
    assert_int_equal(r.image, ACCESS_SIGNATURE);
    assert_int_equal(r.metric, METRICS_ROUTE_SIGNATURE);
    assert_int_equal(http_route_parse("/v1/me/signature", &r), PD_OK);
    assert_true(r.me);
    assert_int_equal(http_route_parse("/metrics", &r), PD_OK);
    assert_int_equal(r.kind, HTTP_ROUTE_METRICS);
}

static void malformed_routes_are_refused(void **state)
{
    struct http_route r;
    const char *unknown[] = {"/",
                             "/v1/users/1",
                             "/v1/users/1/avatar/",
                             "/v1/me/avatarx",
                             "/v1/users/1/photo",
                             "/healthz/",
                             "/v1/me/"};
    const char *bad_id[] = {"/v1/users//avatar", "/v1/users/a.b/avatar",
                            "/v1/users/a%20b/avatar", "/v1/users/../avatar"};

    (void)state;
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_int_equal(http_route_parse(unknown[i], &r), PD_ENOTFOUND);
    for (size_t i = 0; i < sizeof(bad_id) / sizeof(bad_id[0]); i++)
        assert_int_equal(http_route_parse(bad_id[i], &r), PD_EINVAL);
}

static void visibility_rules(void **state)
{
    struct access_visibility none = {false, false}, member = {true, false},
                             admin = {true, true};

    (void)state;
    assert_true(access_may_view("1", "1", ACCESS_SIGNATURE, &none));
    assert_false(access_may_view("1", "2", ACCESS_AVATAR, &none));
    assert_true(access_may_view("1", "2", ACCESS_AVATAR, &member));
    assert_false(access_may_view("1", "2", ACCESS_SIGNATURE, &member));
    assert_true(access_may_view("1", "2", ACCESS_SIGNATURE, &admin));
}

static void session_validity(void **state)
{
    struct access_session s = {"1", 2000, false, true, true, true};

    (void)state;
    assert_true(access_session_valid(&s, 1999));
    assert_false(access_session_valid(&s, 2000));
    s.mfa_ok = false;
    assert_false(access_session_valid(&s, 1));
    s.mfa_ok = true;
    s.revoked = true;
    assert_false(access_session_valid(&s, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_routes_parse),
        cmocka_unit_test(malformed_routes_are_refused),
        cmocka_unit_test(visibility_rules),
        cmocka_unit_test(session_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
