/* test_backfill_unit.c - the backfill's pure parts: binary text[] values,
 * URL classification against the configured buckets, content types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/backfill.h"
#include "presignd/pgarray.h"

static void text_array_has_array_send_layout(void **state)
{
    static const unsigned char want[] = {
        0,    0,    0,    1,    0,   0,   0, 1,
        0,    0,    0,    25,                   /* ndim, has null, text */
        0,    0,    0,    3,    0,   0,   0, 1, /* 3 elements from 1 */
        0,    0,    0,    2,    'a', 'b',       /* "ab" */
        0xff, 0xff, 0xff, 0xff,                 /* NULL */
        0,    0,    0,    0,                    /* "" */
    };
    struct pgarray a;
    const char *wire;
    int len;

    (void)state;
    pgarray_init(&a, 1024);
    assert_int_equal(pgarray_push(&a, "abc", 2), PD_OK);
    assert_int_equal(pgarray_push(&a, NULL, 0), PD_OK);
    assert_int_equal(pgarray_push(&a, "", 0), PD_OK);
    wire = pgarray_finish(&a, &len);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(wire, want, sizeof(want));
    pgarray_release(&a);
}

static void empty_and_reset_arrays_have_no_dimensions(void **state)
{
    static const unsigned char want[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25};
    struct pgarray a;
    int len;

    (void)state;
    pgarray_init(&a, 1024);
    assert_int_equal(pgarray_push(&a, NULL, 0), PD_OK);
    pgarray_reset(&a);
    assert_memory_equal(pgarray_finish(&a, &len), want, sizeof(want));
    assert_int_equal(len, 12);
    pgarray_release(&a);
}

static void array_growth_is_bounded(void **state)
{
    struct pgarray a;

    (void)state;
    pgarray_init(&a, 32);
    assert_int_equal(pgarray_push(&a, "0123456789abcdef", 16), PD_ELIMIT);
    pgarray_release(&a);
}

static void classify(const char *url, struct backfill_ref *out)
{
    static const char *const buckets[] = {"media", "docs"};
    static struct s3url_config cfg;
    struct backfill_options o;

    memset(&o, 0, sizeof(o));
    s3url_config_init(&cfg);
    o.parser = &cfg;
    o.buckets = buckets;
    o.bucket_count = 2;
    backfill_classify(&o, url, out);
    s3url_config_release(&cfg);
}

static void urls_are_classified_against_the_configured_buckets(void **state)
{
    static struct backfill_ref r;

    (void)state;
    classify("https://media.s3.amazonaws.com/a/b.png", &r);
    assert_int_equal(r.outcome, BACKFILL_CONVERTED);
    assert_null(r.reason);
    assert_string_equal(r.parsed.bucket, "media");
    assert_string_equal(r.parsed.key, "a/b.png");

    classify("https://other.s3.amazonaws.com/a/b.png", &r);
    assert_int_equal(r.outcome, BACKFILL_UNCONFIGURED);
    assert_string_equal(r.reason, "bucket-not-configured");

    classify("https://www.gravatar.com/avatar/x", &r);
    assert_int_equal(r.outcome, BACKFILL_EXTERNAL);
    assert_string_equal(r.reason, "external");

    classify(NULL, &r);
    assert_int_equal(r.outcome, BACKFILL_NO_URL);
    classify("", &r);
    assert_int_equal(r.outcome, BACKFILL_UNPARSEABLE);
    assert_string_equal(r.reason, "empty");
    classify("https://media.s3.amazonaws.com/a%00b.png", &r);
    assert_int_equal(r.outcome, BACKFILL_UNPARSEABLE);
}

static void content_types_follow_the_extension(void **state)
{
    (void)state;
    assert_string_equal(backfill_content_type("a/b.PNG", 7), "image/png");
    assert_string_equal(backfill_content_type("x.jpeg", 6), "image/jpeg");
    assert_string_equal(backfill_content_type("x.svg", 5), "image/svg+xml");
    assert_null(backfill_content_type("x.png.bak", 9));
    assert_null(backfill_content_type(".png", 4));
    assert_null(backfill_content_type("noext", 5));
}

static void kinds_and_outcomes_have_stable_names(void **state)
{
    enum backfill_kind k;

    (void)state;
    assert_int_equal(backfill_kind_parse("avatar", &k), PD_OK);
    assert_int_equal(k, BACKFILL_KIND_AVATAR);
    assert_int_equal(backfill_kind_parse("all", &k), PD_OK);
    assert_int_equal(k, BACKFILL_KIND_ALL);
    assert_int_equal(backfill_kind_parse("Avatar", &k), PD_EINVAL);
    assert_string_equal(backfill_outcome_name(BACKFILL_ALREADY),
                        "already_converted");
    assert_string_equal(backfill_outcome_name(BACKFILL_UNCONFIGURED),
                        "bucket_not_configured");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_array_has_array_send_layout),
        cmocka_unit_test(empty_and_reset_arrays_have_no_dimensions),
        cmocka_unit_test(array_growth_is_bounded),
        cmocka_unit_test(urls_are_classified_against_the_configured_buckets),
        cmocka_unit_test(content_types_follow_the_extension),
        cmocka_unit_test(kinds_and_outcomes_have_stable_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
