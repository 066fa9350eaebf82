/* test_db.c - connection errors never echo the password of DATABASE_URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/db.h"

/* Connects (no server is needed: these strings fail before that). */
static void assert_connect_hides(const char *conninfo, const char *secret)
{
    struct pd_err err;
    PGconn *conn = NULL;

    pd_err_clear(&err);
    assert_int_equal(db_connect(&conn, conninfo, &err), PD_EDB);
    assert_null(conn);
    assert_non_null(strstr(err.msg, "cannot connect to the database: "));
    if (strstr(err.msg, secret) != NULL)
        fail_msg("password leaked: %s", err.msg);
}

static void bad_percent_escape_in_password_is_not_echoed(void **state)
{
    (void)state;
    assert_connect_hides("postgresql://u:Hunter%zz2pw@127.0.0.1:1/db",
                         "Hunter");
}

static void bad_ipv6_host_does_not_echo_the_uri(void **state)
{
    (void)state;
    assert_connect_hides("postgresql://u:Hunter2pw@[::1/db", "Hunter2pw");
}

static void nul_escape_in_password_is_not_echoed(void **state)
{
    (void)state;
    assert_connect_hides("postgresql://u:Hunter%002pw@127.0.0.1:1/db",
                         "Hunter");
}

static void parse_errors_still_say_what_was_wrong(void **state)
{
    struct pd_err err;
    PGconn *conn = NULL;

    (void)state;
    pd_err_clear(&err);
    assert_int_equal(
        db_connect(&conn, "postgresql://u:pw@127.0.0.1:1/db?nosuch=1", &err),
        PD_EDB);
    assert_string_equal(err.msg, "cannot connect to the database: "
                                 "invalid URI query parameter: \"...\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_percent_escape_in_password_is_not_echoed),
        cmocka_unit_test(bad_ipv6_host_does_not_echo_the_uri),
        cmocka_unit_test(nul_escape_in_password_is_not_echoed),
        cmocka_unit_test(parse_errors_still_say_what_was_wrong),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
