/*
 * test_robustness.c - the parser on inputs nobody wrote by hand, and from
 * several threads at once.
 *
 * A seeded, bounded mutation loop (same inputs every run) checks that every
 * answer keeps the contract: a key of 1-1024 bytes of valid UTF-8 without
 * NUL, a valid bucket, a consistent '+' reading, and a printable ASCII
 * detail on refusal. ASan/UBSan runs of this test catch memory errors.
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

#include "fixture.h"
#include "s3url_int.h"

#define ITERATIONS 100000
#define MAX_INPUT  1400

static const char *const seeds[] = {
    "https://my-bucket.s3.amazonaws.com/avatars/1.png",
    "https://s3.eu-west-1.amazonaws.com/my-bucket/a+b%20c.png?versionId=x",
    "http://my.dotted.bucket.s3-website-us-east-1.amazonaws.com/i.html",
    "https://my-bucket.s3-fips.dualstack.us-east-1.amazonaws.com/%E6%97%A5",
    "https://s3.cn-north-1.amazonaws.com.cn/my-bucket/a/../b//c#frag",
    "s3://my-bucket/a%20b+c?x#y",
    "http://minio.internal:9000/my-bucket/k%2Fk",
    "https://img.example.com/a/b.png?w=1",
    "//my-bucket.s3-accelerate.dualstack.amazonaws.com/x",
    "https://x@my-bucket.s3.amazonaws.com.evil.example/a",
    "HTTPS://S3-US-WEST-2.AMAZONAWS.COM:443/my-bucket/K?X-Amz-Signature=1",
};

/* xorshift64: deterministic, so a failure reproduces. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static char interesting(uint64_t *s)
{
    static const char pool[] = "%+/.@:?#&= -_~25AFaf0z\\[]";
    uint64_t r = next(s);

    if (r % 4 == 0)
        return (char)(0x80 + (r >> 8) % 0x80);
    if (r % 4 == 1)
        return (char)(1 + (r >> 8) % 0x7f);
    return pool[(r >> 8) % (sizeof(pool) - 1)];
}

static void mutate(char *buf, size_t *n, uint64_t *s)
{
    uint64_t r = next(s);
    size_t at = *n > 0 ? (size_t)(r >> 8) % *n : 0;

    switch (r % 4) {
    case 0: /* insert */
        if (*n + 1 < MAX_INPUT) {
            memmove(buf + at + 1, buf + at, *n - at);
            buf[at] = interesting(s);
            (*n)++;
        }
        break;
    case 1: /* delete */
        if (*n > 0) {
            memmove(buf + at, buf + at + 1, *n - at - 1);
            (*n)--;
        }
        break;
    case 2: /* replace */
        if (*n > 0)
            buf[at] = interesting(s);
        break;
    default: /* repeat a chunk */
        for (size_t k = 0; k < 8 && *n + 1 < MAX_INPUT && at < *n; k++) {
            buf[*n] = buf[at + k];
            (*n)++;
        }
        break;
    }
    buf[*n] = '\0';
}

static bool printable(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x20 || *s >= 0x7f)
            return false;
    return true;
}

static void check_ok(const char *in, const struct s3url_result *r)
{
    const char *why;

    if (r->key_len == 0 || r->key_len > 1024 || strlen(r->key) != r->key_len)
        fail_msg("bad key length %zu for '%s'", r->key_len, in);
    if (!s3url_utf8_valid(r->key, r->key_len))
        fail_msg("key is not UTF-8 for '%s'", in);
    if (!s3url_bucket_valid(r->bucket, strlen(r->bucket), &why))
        fail_msg("bucket '%s' %s for '%s'", r->bucket, why, in);
    assert_true(r->style <= S3URL_CDN);
    assert_string_equal(r->detail, "");
    if (!r->ambiguous_plus) {
        assert_string_equal(r->key_literal_plus, "");
        return;
    }
    assert_int_equal(strlen(r->key_literal_plus), r->key_len);
    for (size_t i = 0; i < r->key_len; i++)
        if (r->key[i] != r->key_literal_plus[i])
            assert_true(r->key[i] == ' ' && r->key_literal_plus[i] == '+');
}

static void check_one(const struct s3url_config *c, const char *in)
{
    struct s3url_result a, b;
    enum pd_code rc = s3url_parse(c, in, &a);

    assert_true(rc == PD_OK || rc == PD_EINVAL);
    assert_int_equal(rc == PD_OK, a.reason == S3URL_OK);
    if (rc == PD_OK) {
        check_ok(in, &a);
    } else {
        assert_true(a.detail[0] != '\0');
        assert_true(printable(a.detail));
        assert_true(printable(a.external_host));
        assert_int_equal(a.external_host[0] != '\0',
                         a.reason == S3URL_EXTERNAL);
    }
    /* Same input, same answer, byte for byte. */
    assert_int_equal(s3url_parse(c, in, &b), rc);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void mutated_urls_keep_the_contract(void **state)
{
    struct s3url_config c;
    char buf[MAX_INPUT + 1];
    uint64_t seed = 0x5eed5eed12345678u;
    size_t parsed = 0;

    (void)state;
    fixture_config(&c);
    for (int i = 0; i < ITERATIONS; i++) {
        const char *s = seeds[next(&seed) % (sizeof(seeds) / sizeof(seeds[0]))];
        size_t n = strlen(s);
        int rounds = 1 + (int)(next(&seed) % 4);

        memcpy(buf, s, n + 1);
        for (int k = 0; k < rounds; k++)
            mutate(buf, &n, &seed);
        check_one(&c, buf);
        parsed++;
    }
    assert_int_equal(parsed, ITERATIONS);
    s3url_config_release(&c);
}

struct worker {
    const struct s3url_config *c;
    const struct s3url_result *expected;
    int mismatches;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct s3url_result *r = malloc(sizeof(*r));
    size_t n = sizeof(seeds) / sizeof(seeds[0]);

    for (int round = 0; r != NULL && round < 200; round++)
        for (size_t i = 0; i < n; i++) {
            enum pd_code rc = s3url_parse(w->c, seeds[i], r);

            if ((rc == PD_OK) != (r->reason == S3URL_OK) ||
                memcmp(r, &w->expected[i], sizeof(*r)) != 0)
                w->mismatches++;
        }
    if (r == NULL)
        w->mismatches = -1;
    free(r);
    return NULL;
}

static void parallel_parses_agree(void **state)
{
    enum { THREADS = 4 };
    size_t n = sizeof(seeds) / sizeof(seeds[0]);
    struct s3url_result *expected = calloc(n, sizeof(*expected));
    struct worker w[THREADS];
    pthread_t t[THREADS];
    struct s3url_config c;

    (void)state;
    assert_non_null(expected);
    fixture_config(&c);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(s3url_parse(&c, seeds[i], &expected[i]),
                             PD_ENOMEM);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&c, expected, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].mismatches, 0);
    }
    s3url_config_release(&c);
    free(expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mutated_urls_keep_the_contract),
        cmocka_unit_test(parallel_parses_agree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
