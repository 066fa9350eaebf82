/* test_buf.c - bounded buffers grow, cap, detach and fail as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "presignd/buf.h"

static void appends_are_nul_terminated(void **state)
{
    struct pd_buf b;

    (void)state;
    pd_buf_init(&b, 100);
    assert_int_equal(pd_buf_puts(&b, "abc"), PD_OK);
    assert_int_equal(pd_buf_printf(&b, "-%d-", 42), PD_OK);
    assert_string_equal(b.data, "abc-42-");
    assert_int_equal(b.len, 7);
    pd_buf_release(&b);
}

static void growing_past_max_fails_and_keeps_content(void **state)
{
    struct pd_buf b;

    (void)state;
    pd_buf_init(&b, 5);
    assert_int_equal(pd_buf_puts(&b, "12345"), PD_OK);
    assert_int_equal(pd_buf_putc(&b, 'x'), PD_ELIMIT);
    assert_int_equal(pd_buf_printf(&b, "%s", "yy"), PD_ELIMIT);
    assert_string_equal(b.data, "12345");
    pd_buf_release(&b);
}

static void detach_hands_over_and_empties(void **state)
{
    struct pd_buf b;
    size_t len;
    char *s;

    (void)state;
    pd_buf_init(&b, 1000);
    s = pd_buf_detach(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(pd_buf_append(&b, "hello", 5), PD_OK);
    s = pd_buf_detach(&b, &len);
    assert_int_equal(len, 5);
    assert_string_equal(s, "hello");
    assert_null(b.data);
    free(s);
}

static void reset_keeps_allocation(void **state)
{
    struct pd_buf b;

    (void)state;
    pd_buf_init(&b, 1000);
    assert_int_equal(pd_buf_puts(&b, "something long enough"), PD_OK);
    pd_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    pd_buf_release_wipe(&b);
    assert_null(b.data);
}

static void mask_controls_keeps_the_final_newline(void **state)
{
    struct pd_buf b;

    (void)state;
    pd_buf_init(&b, 100);
    assert_int_equal(pd_buf_puts(&b, "a\nb\n"), PD_OK);
    assert_int_equal(pd_buf_puts(&b, "key\r\n\x1b[2J\x7f.png\n"), PD_OK);
    pd_buf_mask_controls(&b, 4);
    assert_string_equal(b.data, "a\nb\nkey??"
                                "?[2J?.png\n");
    pd_buf_mask_controls(&b, 0);
    assert_string_equal(b.data, "a?b?key??"
                                "?[2J?.png\n");
    pd_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_are_nul_terminated),
        cmocka_unit_test(mask_controls_keeps_the_final_newline),
        cmocka_unit_test(growing_past_max_fails_and_keeps_content),
        cmocka_unit_test(detach_hands_over_and_empties),
        cmocka_unit_test(reset_keeps_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
