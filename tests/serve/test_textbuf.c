/* test_textbuf.c - the printf-free appenders of the hot path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "textbuf.h"

static void appends_text_numbers_and_hex(void **state)
{
    char buf[64];
    struct textbuf t;

    (void)state;
    tb_init(&t, buf, sizeof(buf));
    tb_str(&t, "a=");
    tb_uint(&t, 0, 1);
    tb_str(&t, " b=");
    tb_uint(&t, 7, 3);
    tb_str(&t, " c=");
    tb_uint(&t, UINT64_MAX, 1);
    tb_str(&t, " d=");
    tb_hex(&t, 0xbeef);
    assert_string_equal(tb_done(&t), "a=0 b=007 c=18446744073709551615 d=beef");
}

static void overflow_is_reported_not_truncated(void **state)
{
    char buf[8];
    struct textbuf t;

    (void)state;
    tb_init(&t, buf, sizeof(buf));
    tb_str(&t, "1234567");
    assert_non_null(tb_done(&t)); /* exactly fits with the NUL */
    tb_init(&t, buf, sizeof(buf));
    tb_str(&t, "12345678");
    tb_str(&t, "x");
    assert_null(tb_done(&t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_text_numbers_and_hex),
        cmocka_unit_test(overflow_is_reported_not_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
