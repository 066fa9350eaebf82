/* test_cache.c - TTL, tags, epochs and concurrent use of the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "presignd/cache.h"

static struct cache *fresh(size_t max)
{
    struct cache *c = NULL;

    assert_int_equal(cache_new(&c, max, NULL), PD_OK);
    return c;
}

static bool has(struct cache *c, const char *key, int64_t now, char *out)
{
    size_t len = 0;
    bool hit = cache_get(c, key, now, out, 64, &len);

    if (hit)
        out[len] = '\0';
    return hit;
}

static void entries_expire(void **state)
{
    struct cache *c = fresh(100);
    char v[65];

    (void)state;
    cache_put(c, "k", "value", 5, NULL, NULL, 1000, 500, cache_epoch(c));
    assert_true(has(c, "k", 1499, v));
    assert_string_equal(v, "value");
    assert_false(has(c, "k", 1500, v));
    assert_int_equal(cache_count(c), 0);
    cache_free(c);
}

static void tags_drop_every_entry_about_a_user(void **state)
{
    struct cache *c = fresh(100);
    char v[65];

    (void)state;
    cache_put(c, "vis:1:2", "a", 1, "1", "2", 0, 1000, cache_epoch(c));
    cache_put(c, "vis:3:2", "b", 1, "3", "2", 0, 1000, cache_epoch(c));
    cache_put(c, "vis:3:4", "c", 1, "3", "4", 0, 1000, cache_epoch(c));
    cache_drop_tag(c, "2");
    assert_false(has(c, "vis:1:2", 1, v));
    assert_false(has(c, "vis:3:2", 1, v));
    assert_true(has(c, "vis:3:4", 1, v));
    cache_drop(c, "vis:3:4");
    assert_int_equal(cache_count(c), 0);
    cache_free(c);
}

static void put_after_relevant_invalidation_is_refused(void **state)
{
    struct cache *c = fresh(100);
    uint64_t epoch = cache_epoch(c);
    char v[65];

    (void)state;
    /* Unrelated invalidations do not matter... */
    cache_drop(c, "unrelated");
    cache_drop_tag(c, "99");
    cache_put(c, "a", "fresh", 5, "1", "2", 0, 1000, epoch);
    assert_true(has(c, "a", 1, v));
    /* ...but a reader that read the database before a NOTIFY about its
     * key or one of its tags must not store what it read. */
    epoch = cache_epoch(c);
    cache_drop(c, "b");
    cache_put(c, "b", "stale", 5, NULL, NULL, 0, 1000, epoch);
    assert_false(has(c, "b", 1, v));
    epoch = cache_epoch(c);
    cache_drop_tag(c, "2");
    cache_put(c, "c", "stale", 5, "1", "2", 0, 1000, epoch);
    assert_false(has(c, "c", 1, v));
    epoch = cache_epoch(c);
    cache_clear(c);
    cache_put(c, "d", "stale", 5, NULL, NULL, 0, 1000, epoch);
    assert_false(has(c, "d", 1, v));
    /* Too many invalidations since the epoch to tell: refused. */
    epoch = cache_epoch(c);
    for (int i = 0; i < 2000; i++)
        cache_drop_tag(c, "x");
    cache_put(c, "e", "maybe", 5, NULL, NULL, 0, 1000, epoch);
    assert_false(has(c, "e", 1, v));
    cache_free(c);
}

static void entries_stored_before_a_drop_die(void **state)
{
    struct cache *c = fresh(100);
    char v[65];

    (void)state;
    cache_put(c, "k", "v", 1, "7", NULL, 0, 1000, cache_epoch(c));
    cache_drop_tag(c, "7");
    assert_false(has(c, "k", 1, v));
    cache_put(c, "k", "v2", 2, "7", NULL, 0, 1000, cache_epoch(c));
    assert_true(has(c, "k", 1, v));
    assert_string_equal(v, "v2");
    cache_free(c);
}

static void full_cache_evicts_instead_of_growing(void **state)
{
    struct cache *c = fresh(64);
    char key[32], v[65];

    (void)state;
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        cache_put(c, key, "v", 1, NULL, NULL, 0, 1000, cache_epoch(c));
    }
    assert_true(cache_count(c) <= 64 + 32);
    /* The newest entry made it in: the full cache made room. */
    assert_true(has(c, "k9999", 1, v));
    cache_clear(c);
    assert_int_equal(cache_count(c), 0);
    cache_free(c);
}

static void *hammer(void *arg)
{
    struct cache *c = arg;
    char key[32], v[65];

    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "k%d", i % 97);
        if (!has(c, key, i, v))
            cache_put(c, key, key, strlen(key), "t", NULL, i, 50,
                      cache_epoch(c));
        if (i % 1000 == 0)
            cache_drop_tag(c, "t");
    }
    return NULL;
}

static void concurrent_use_is_safe(void **state)
{
    struct cache *c = fresh(1000);
    pthread_t t[4];

    (void)state;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, c), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries_expire),
        cmocka_unit_test(tags_drop_every_entry_about_a_user),
        cmocka_unit_test(put_after_relevant_invalidation_is_refused),
        cmocka_unit_test(entries_stored_before_a_drop_die),
        cmocka_unit_test(full_cache_evicts_instead_of_growing),
        cmocka_unit_test(concurrent_use_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
