/* test_jwt.c - HS256 cookies: pinned algorithm, exp/nbf, claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/jwtauth.h"

#define NOW 1700000000L

static const unsigned char key[] = "0123456789abcdef0123456789abcdef-key";

/* A token signed with alg over k, with exp/nbf (0: absent). */
static char *token(jwt_alg_t alg, const unsigned char *k, long exp, long nbf,
                   const char *sid)
{
    jwt_t *j = NULL;
    char *s;

    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grant_int(j, "sub", 42), 0);
    if (exp)
        assert_int_equal(jwt_add_grant_int(j, "exp", exp), 0);
    if (nbf)
        assert_int_equal(jwt_add_grant_int(j, "nbf", nbf), 0);
    if (sid)
        assert_int_equal(jwt_add_grant(j, "sid", sid), 0);
    assert_int_equal(jwt_add_grant_bool(j, "mfa", 1), 0);
    assert_int_equal(
        jwt_set_alg(j, alg, alg == JWT_ALG_NONE ? NULL : k,
                    alg == JWT_ALG_NONE ? 0 : (int)strlen((const char *)k)),
        0);
    s = jwt_encode_str(j);
    jwt_free(j);
    assert_non_null(s);
    return s;
}

static enum pd_code verify(const char *t, struct jwtauth_claims *c)
{
    struct jwtauth *j = NULL;
    enum pd_code rc;

    assert_int_equal(jwtauth_new(&j, key, strlen((const char *)key), NULL),
                     PD_OK);
    rc = jwtauth_verify(j, t, NOW, c, NULL);
    jwtauth_free(j);
    return rc;
}

static void valid_token_yields_claims(void **state)
{
    struct jwtauth_claims c;
    char *t = token(JWT_ALG_HS256, key, NOW + 60, NOW - 1, "7");

    (void)state;
    assert_int_equal(verify(t, &c), PD_OK);
    assert_string_equal(c.sub, "42");
    assert_string_equal(c.sid, "7");
    assert_true(c.mfa);
    free(t);
}

static void wrong_tokens_are_refused(void **state)
{
    struct jwtauth_claims c;
    static const unsigned char other[] = "another-key-of-sufficient-length-x";
    char *bad[] = {
        token(JWT_ALG_HS256, key, NOW - 1, 0, NULL),      /* expired */
        token(JWT_ALG_HS256, key, 0, 0, NULL),            /* no exp */
        token(JWT_ALG_HS256, key, NOW + 60, NOW + 60, 0), /* not yet */
        token(JWT_ALG_HS256, other, NOW + 60, 0, NULL),   /* wrong key */
        token(JWT_ALG_HS384, key, NOW + 60, 0, NULL),     /* not pinned */
        token(JWT_ALG_NONE, key, NOW + 60, 0, NULL),      /* unsigned */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(verify(bad[i], &c), PD_EAUTH);
        free(bad[i]);
    }
    assert_int_equal(verify("", &c), PD_EAUTH);
    assert_int_equal(verify("a.b.c", &c), PD_EAUTH);
}

/* An HS256 token over key with the claims given as JSON. */
static char *token_json(const char *claims)
{
    jwt_t *j = NULL;
    char *s;

    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grants_json(j, claims), 0);
    assert_int_equal(
        jwt_set_alg(j, JWT_ALG_HS256, key, (int)strlen((const char *)key)), 0);
    s = jwt_encode_str(j);
    jwt_free(j);
    assert_non_null(s);
    return s;
}

/* A claim that is present but unusable must not count as absent: an
 * ignored sid would skip the revocation check, an ignored nbf the wait. */
static void present_but_unusable_claims_are_refused(void **state)
{
    struct jwtauth_claims c;
    char *bad[] = {
        token_json("{\"sub\":\"42\",\"exp\":1700000060,\"sid\":\""
                   "0123456789abcdef0123456789abcdef"
                   "0123456789abcdef0123456789abcdef\"}"), /* too long */
        token_json("{\"sub\":\"42\",\"exp\":1700000060,\"sid\":true}"),
        token_json("{\"sub\":\"42\",\"exp\":1700000060,\"sid\":\"\"}"),
        token_json("{\"sub\":\"42\",\"exp\":1700000060,\"nbf\":\"x\"}"),
        token_json("{\"sub\":true,\"exp\":1700000060}"), /* not user 0 */
        token_json("{\"sub\":\"42\",\"exp\":1700000060.5}"),
    };
    char *good = token_json("{\"sub\":\"42\",\"exp\":1700000060}");

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(verify(bad[i], &c), PD_EAUTH);
        free(bad[i]);
    }
    assert_int_equal(verify(good, &c), PD_OK);
    assert_string_equal(c.sid, "");
    free(good);
}

static void short_secret_is_refused(void **state)
{
    struct jwtauth *j = NULL;
    struct pd_err err;

    (void)state;
    assert_int_equal(jwtauth_new(&j, (const unsigned char *)"short", 5, &err),
                     PD_ECONFIG);
    assert_null(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_token_yields_claims),
        cmocka_unit_test(wrong_tokens_are_refused),
        cmocka_unit_test(present_but_unusable_claims_are_refused),
        cmocka_unit_test(short_secret_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
