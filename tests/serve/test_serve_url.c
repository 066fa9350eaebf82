/* test_serve_url.c - signing windows, content policy, initials SVG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/serve_url.h"

static void window_is_stable_and_leaves_full_lifetime(void **state)
{
    struct serve_window a, b;

    (void)state;
    assert_int_equal(serve_window_compute(1000200, 300, 0, &a, NULL), PD_OK);
    assert_int_equal(serve_window_compute(1000499, 300, 0, &b, NULL), PD_OK);
    assert_int_equal(a.signed_at, 1000200);
    assert_int_equal(b.signed_at, a.signed_at);
    assert_int_equal(b.expires, a.expires);
    for (time_t now = 1000200; now < 1000500; now += 37) {
        assert_int_equal(serve_window_compute(now, 300, 0, &a, NULL), PD_OK);
        assert_true(a.expires_at - now >= 300);
        assert_true((time_t)a.max_age < a.expires_at - now);
    }
}

static void credentials_cap_the_url(void **state)
{
    struct serve_window w;
    struct pd_err err;

    (void)state;
    assert_int_equal(serve_window_compute(1000250, 300, 1000400, &w, NULL),
                     PD_OK);
    assert_int_equal(w.expires_at, 1000400);
    assert_true((time_t)w.max_age < 150);
    assert_int_equal(serve_window_compute(1000250, 300, 1000250, &w, &err),
                     PD_EAUTH);
}

static void only_raster_images_are_inline(void **state)
{
    struct serve_content c;

    (void)state;
    serve_content_policy("image/png", "a.bin", &c);
    assert_string_equal(c.type, "image/png");
    assert_false(c.attachment);
    serve_content_policy("IMAGE/JPEG; charset=x", "a", &c);
    assert_string_equal(c.type, "image/jpeg");
    serve_content_policy(NULL, "dir/photo.JPG", &c);
    assert_string_equal(c.type, "image/jpeg");
    assert_false(c.attachment);
    const char *bad[] = {"image/svg+xml", "text/html", "image/pngx",
                         "application/octet-stream"};
    for (size_t i = 0; i < 4; i++) {
        serve_content_policy(bad[i], "a.png", &c);
        assert_string_equal(c.type, "application/octet-stream");
        assert_true(c.attachment);
    }
    serve_content_policy("", "evil.svg", &c);
    assert_true(c.attachment);
}

static void initials_take_first_and_last_word(void **state)
{
    struct pd_buf b;

    (void)state;
    pd_buf_init(&b, 4096);
    assert_int_equal(serve_initials_svg(&b, "grace brewster hopper", "7"),
                     PD_OK);
    assert_non_null(strstr(b.data, ">GH</text>"));
    pd_buf_reset(&b);
    assert_int_equal(serve_initials_svg(&b, "<script>x</script> &amp", "7"),
                     PD_OK);
    assert_null(strstr(b.data, "<script"));
    assert_null(strstr(b.data, "&amp"));
    pd_buf_reset(&b);
    assert_int_equal(serve_initials_svg(&b, "\xc3\x89mile Zola", "7"), PD_OK);
    assert_non_null(strstr(b.data, ">\xc3\x89Z</text>"));
    pd_buf_reset(&b);
    assert_int_equal(serve_initials_svg(&b, NULL, "7"), PD_OK);
    assert_non_null(strstr(b.data, ">?</text>"));
    pd_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_is_stable_and_leaves_full_lifetime),
        cmocka_unit_test(credentials_cap_the_url),
        cmocka_unit_test(only_raster_images_are_inline),
        cmocka_unit_test(initials_take_first_and_last_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
