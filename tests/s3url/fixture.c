/* fixture.c - the parser configuration and table runner the tests share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

static void add(enum pd_code rc, const struct pd_err *err)
{
    if (rc != PD_OK) {
        fprintf(stderr, "fixture config refused: %s\n", err->msg);
        abort();
    }
}

void fixture_config(struct s3url_config *c)
{
    struct pd_err err;

    s3url_config_init(c);
    add(s3url_config_add_endpoint(c, "http://minio.internal:9000@us-east-1",
                                  &err),
        &err);
    add(s3url_config_add_endpoint(c, "http://[::1]:7480", &err), &err);
    add(s3url_config_add_endpoint(c, "https://storage.example.net", &err),
        &err);
    add(s3url_config_add_cdn(c, "cdn.example.com=avatars", &err), &err);
    add(s3url_config_add_cdn(c, "img.example.com=media/users@eu-west-1", &err),
        &err);
    add(s3url_config_add_cdn(c, "static.example.org:8080=assets", &err), &err);
}

int fixture_run_table(const char *group, void (*fn)(void **), const void *rows,
                      size_t row_size, size_t n,
                      const char *(*name_of)(const void *row))
{
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    int failed;

    if (tests == NULL)
        return 1;
    for (size_t i = 0; i < n; i++) {
        const void *row = (const char *)rows + i * row_size;

        tests[i].name = name_of(row);
        tests[i].test_func = fn;
        tests[i].initial_state = (void *)(uintptr_t)row;
    }
    failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return failed;
}
