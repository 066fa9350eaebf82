/*
 * cache.h - a small in-process cache with per-entry time-to-live, bounded
 * size, and invalidation by key, by tag, or all at once.
 *
 * Keys are short strings, values are opaque byte strings copied in and out
 * (so a caller never holds a pointer into the cache). Each entry may carry
 * up to two tags (e.g. the user ids it depends on) so one NOTIFY can drop
 * every entry about a user. Dropping a key or a tag costs O(1), however
 * many entries it touches.
 *
 * Invalidation races: a reader that misses, asks the database and then
 * stores what it read could store a value made stale by a change committed
 * meanwhile. cache_epoch() before the lookup and cache_put(..., epoch)
 * closes that window: a put is refused when its key or one of its tags (or
 * the whole cache) was invalidated after the epoch was read, or when too
 * many invalidations happened since to tell.
 *
 * Thread-safe: the table is split into shards, each with its own mutex.
 * Times are CLOCK_MONOTONIC milliseconds, passed in by the caller.
 */
#ifndef PRESIGND_CACHE_H
#define PRESIGND_CACHE_H

#include "presignd/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX   160
#define CACHE_TAG_MAX   72
#define CACHE_VALUE_MAX 8192

struct cache;

/* A cache holding at most max_entries (spread over the shards). */
PD_MUST_CHECK enum pd_code cache_new(struct cache **out, size_t max_entries,
                                     struct pd_err *err);
void cache_free(struct cache *c);

/* Current invalidation epoch; pass it back to cache_put. */
uint64_t cache_epoch(const struct cache *c);

/*
 * Copies the value of key into buf (capacity cap) and sets *len. Returns
 * false when absent, expired, or larger than cap.
 */
bool cache_get(struct cache *c, const char *key, int64_t now_ms, void *buf,
               size_t cap, size_t *len);

/*
 * Stores a copy of value under key until now_ms + ttl_ms, tagged with tag1
 * and tag2 (either may be NULL). A full cache evicts an expired entry, or
 * else some live one. Does nothing when the key, a tag or the cache was
 * invalidated since epoch (see above), or when the key, a tag or the value
 * is too long: a cache may always forget.
 */
void cache_put(struct cache *c, const char *key, const void *value, size_t len,
               const char *tag1, const char *tag2, int64_t now_ms,
               int64_t ttl_ms, uint64_t epoch);

void cache_drop(struct cache *c, const char *key);
void cache_drop_tag(struct cache *c, const char *tag);
void cache_clear(struct cache *c);

/* Entries held right now, including dead ones not yet freed (tests). */
size_t cache_count(struct cache *c);

#endif
