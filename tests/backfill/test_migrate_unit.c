/* test_migrate_unit.c - the embedded migrations are numbered, ordered and
 * checksummed; presignd's own statements are all there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/migrate.h"

static struct migrate_plan plan;

static void embedded_migrations_are_numbered_in_order(void **state)
{
    struct pd_err err;

    (void)state;
    assert_int_equal(migrate_plan_embedded(&plan, &err), PD_OK);
    assert_true(plan.count >= 2);
    assert_int_equal(plan.entries[0].version, 1);
    assert_string_equal(plan.entries[0].name, "object_refs");
    assert_int_equal(plan.entries[1].version, 2);
    assert_string_equal(plan.entries[1].name, "object_refs_statement_notify");
    for (size_t i = 0; i < plan.count; i++) {
        assert_int_equal(plan.entries[i].state, MIGRATE_PENDING);
        assert_int_equal(strlen(plan.entries[i].checksum), 64);
        assert_int_equal(strspn(plan.entries[i].checksum, "0123456789abcdef"),
                         64);
        assert_non_null(plan.entries[i].sql);
        if (i > 0)
            assert_true(plan.entries[i - 1].version < plan.entries[i].version);
    }
}

static void states_are_counted(void **state)
{
    struct pd_err err;
    size_t n[4];

    (void)state;
    assert_int_equal(migrate_plan_embedded(&plan, &err), PD_OK);
    plan.entries[0].state = MIGRATE_APPLIED;
    migrate_plan_count(&plan, n);
    assert_int_equal(n[MIGRATE_APPLIED], 1);
    assert_int_equal(n[MIGRATE_PENDING], plan.count - 1);
    assert_int_equal(n[MIGRATE_CHANGED] + n[MIGRATE_UNKNOWN], 0);
}

static void internal_statements_are_all_present(void **state)
{
    static const char *const names[] = {
        "migrate_lock",    "migrate_unlock",          "migrate_bootstrap",
        "migrate_applied", "migrate_record",          "migrate_table_exists",
        "backfill_insert", "backfill_insert_or_skip",
    };
    struct hostsql *q = NULL;
    struct pd_err err;
    const char *sql;

    (void)state;
    assert_int_equal(migrate_internal_sql(&q, &err), PD_OK);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_int_equal(hostsql_require(q, names[i], &sql, &err), PD_OK);
    hostsql_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embedded_migrations_are_numbered_in_order),
        cmocka_unit_test(states_are_counted),
        cmocka_unit_test(internal_statements_are_all_present),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
