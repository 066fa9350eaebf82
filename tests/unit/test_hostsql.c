/* test_hostsql.c - named host queries parse, and bad files are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/hostsql.h"

static void named_blocks_become_queries(void **state)
{
    struct hostsql *q = NULL;
    struct pd_err err;
    const char *text = "-- header comment\n"
                       "-- name: first\n"
                       "-- params: $1 id\n"
                       "SELECT 1 WHERE $1 = 1;\n\n"
                       "-- name: second\n"
                       "UPDATE t SET a = $1;\n";

    (void)state;
    assert_int_equal(hostsql_parse(&q, text, "test", &err), PD_OK);
    assert_string_equal(hostsql_get(q, "first"),
                        "-- params: $1 id\nSELECT 1 WHERE $1 = 1");
    assert_string_equal(hostsql_get(q, "second"), "UPDATE t SET a = $1");
    assert_null(hostsql_get(q, "third"));
    hostsql_free(q);
}

static void missing_query_is_named_in_error(void **state)
{
    struct hostsql *q = NULL;
    struct pd_err err;
    const char *sql;

    (void)state;
    assert_int_equal(hostsql_parse(&q, "-- name: a\nSELECT 1;", "f.sql", &err),
                     PD_OK);
    assert_int_equal(hostsql_require(q, "b", &sql, &err), PD_ECONFIG);
    assert_string_equal(err.msg, "f.sql: query 'b' is missing");
    hostsql_free(q);
}

static void duplicate_and_empty_queries_are_refused(void **state)
{
    struct hostsql *q = NULL;
    struct pd_err err;

    (void)state;
    assert_int_equal(hostsql_parse(&q,
                                   "-- name: a\nSELECT 1;\n-- name: a\n"
                                   "SELECT 2;",
                                   "f.sql", &err),
                     PD_EINVAL);
    assert_string_equal(err.msg, "f.sql: query 'a' defined twice");
    assert_null(q);
    assert_int_equal(hostsql_parse(&q, "-- name: a\n", "f.sql", &err),
                     PD_EINVAL);
    assert_string_equal(err.msg, "f.sql: query 'a' has no SQL");
    assert_int_equal(hostsql_parse(&q, "SELECT 1;", "f.sql", &err), PD_EINVAL);
    assert_string_equal(err.msg, "f.sql: no '-- name:' queries found");
}

static void builtin_queries_load(void **state)
{
    struct hostsql *q = NULL;
    struct pd_err err;

    (void)state;
    assert_int_equal(hostsql_load(&q, NULL, &err), PD_OK);
    assert_non_null(hostsql_get(q, "ping"));
    hostsql_free(q);
    assert_int_equal(hostsql_load(&q, "/nonexistent/q.sql", &err), PD_EIO);
    assert_string_equal(err.msg, "cannot open queries file /nonexistent/q.sql");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(named_blocks_become_queries),
        cmocka_unit_test(missing_query_is_named_in_error),
        cmocka_unit_test(duplicate_and_empty_queries_are_refused),
        cmocka_unit_test(builtin_queries_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
