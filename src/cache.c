/*
 * cache.c - sharded TTL cache with tag invalidation (see cache.h).
 *
 * Each shard is a chained hash table behind one mutex. An entry is a single
 * allocation of exactly the size it needs: header, key, tags and value
 * bytes. Eviction is simple on purpose (see make_room).
 */
#include "presignd/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SHARDS  32
#define CACHE_BUCKETS 256 /* per shard; chains stay short at our sizes */

/* One allocation: the header, then key, tags and value back to back. */
struct cache_entry {
    struct cache_entry *next;
    uint64_t hash;
    int64_t expires_ms;
    uint32_t value_len;
    uint8_t key_len, tag_len[2];
    char data[]; /* key NUL tag1 NUL tag2 NUL value */
};

struct cache_shard {
    pthread_mutex_t lock;
    size_t count;
    int64_t last_sweep_ms;
    size_t evict_cursor; /* next bucket to evict from when full */
    struct cache_entry *buckets[CACHE_BUCKETS];
};

struct cache {
    _Atomic uint64_t epoch;
    size_t max_per_shard;
    struct cache_shard shards[CACHE_SHARDS];
};

static const char *entry_tag(const struct cache_entry *e, int i)
{
    return e->data + e->key_len + 1 + (i ? e->tag_len[0] + 1 : 0);
}

static const unsigned char *entry_value(const struct cache_entry *e)
{
    return (const unsigned char *)e->data + e->key_len + e->tag_len[0] +
           e->tag_len[1] + 3;
}

/* FNV-1a: short keys, no adversary can pick them (they are hashes/ids). */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

enum pd_code cache_new(struct cache **out, size_t max_entries,
                       struct pd_err *err)
{
    struct cache *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory creating a cache");
    c->max_per_shard = max_entries / CACHE_SHARDS + 1;
    for (size_t i = 0; i < CACHE_SHARDS; i++)
        pthread_mutex_init(&c->shards[i].lock, NULL);
    *out = c;
    return PD_OK;
}

static void shard_clear(struct cache_shard *s)
{
    for (size_t b = 0; b < CACHE_BUCKETS; b++) {
        struct cache_entry *e = s->buckets[b], *next;
        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
        s->buckets[b] = NULL;
    }
    s->count = 0;
}

void cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < CACHE_SHARDS; i++) {
        shard_clear(&c->shards[i]);
        pthread_mutex_destroy(&c->shards[i].lock);
    }
    free(c);
}

uint64_t cache_epoch(const struct cache *c)
{
    return atomic_load_explicit(&c->epoch, memory_order_acquire);
}

static struct cache_shard *shard_of(struct cache *c, uint64_t h)
{
    return &c->shards[(h >> 32) % CACHE_SHARDS];
}

/* The link pointing at key's entry in its chain (*link NULL: absent). */
static struct cache_entry **find_link(struct cache_shard *s, uint64_t h,
                                      const char *key)
{
    struct cache_entry **link = &s->buckets[h % CACHE_BUCKETS];

    while (*link != NULL &&
           ((*link)->hash != h || strcmp((*link)->data, key) != 0))
        link = &(*link)->next;
    return link;
}

static void unlink_free(struct cache_shard *s, struct cache_entry **link)
{
    struct cache_entry *e = *link;

    *link = e->next;
    free(e);
    s->count--;
}

bool cache_get(struct cache *c, const char *key, int64_t now_ms, void *buf,
               size_t cap, size_t *len)
{
    uint64_t h = hash_str(key);
    struct cache_shard *s = shard_of(c, h);
    struct cache_entry **link;
    bool found = false;

    pthread_mutex_lock(&s->lock);
    link = find_link(s, h, key);
    if (*link != NULL && (*link)->expires_ms <= now_ms) {
        unlink_free(s, link);
    } else if (*link != NULL && (*link)->value_len <= cap) {
        memcpy(buf, entry_value(*link), (*link)->value_len);
        *len = (*link)->value_len;
        found = true;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* Drops expired entries of a full shard; returns how many were dropped. */
static size_t sweep(struct cache_shard *s, int64_t now_ms)
{
    size_t dropped = 0;

    for (size_t b = 0; b < CACHE_BUCKETS; b++) {
        struct cache_entry **link = &s->buckets[b];
        while (*link != NULL) {
            if ((*link)->expires_ms <= now_ms) {
                unlink_free(s, link);
                dropped++;
            } else {
                link = &(*link)->next;
            }
        }
    }
    return dropped;
}

static struct cache_entry *entry_new(const char *key, const void *value,
                                     size_t len, const char *tag1,
                                     const char *tag2)
{
    size_t kl = strlen(key), t1 = tag1 ? strlen(tag1) : 0,
           t2 = tag2 ? strlen(tag2) : 0;
    struct cache_entry *e;
    char *p;

    if (kl >= CACHE_KEY_MAX || t1 >= CACHE_TAG_MAX || t2 >= CACHE_TAG_MAX ||
        len > CACHE_VALUE_MAX)
        return NULL;
    e = malloc(sizeof(*e) + kl + t1 + t2 + 3 + len);
    if (e == NULL)
        return NULL;
    e->next = NULL;
    e->key_len = (uint8_t)kl;
    e->tag_len[0] = (uint8_t)t1;
    e->tag_len[1] = (uint8_t)t2;
    e->value_len = (uint32_t)len;
    p = e->data;
    memcpy(p, key, kl + 1);
    p += kl + 1;
    memcpy(p, t1 ? tag1 : "", t1 + 1);
    p += t1 + 1;
    memcpy(p, t2 ? tag2 : "", t2 + 1);
    p += t2 + 1;
    memcpy(p, value, len);
    e->hash = hash_str(key);
    return e;
}

/*
 * Makes room in a full shard: expired entries go first (swept at most once
 * a second, since a sweep walks the shard); otherwise one live entry is
 * evicted, taken round-robin over the buckets. Cheap and good enough for
 * short-lived entries; not LRU.
 */
static bool make_room(struct cache_shard *s, int64_t now_ms)
{
    if (now_ms - s->last_sweep_ms >= 1000) {
        s->last_sweep_ms = now_ms;
        if (sweep(s, now_ms) > 0)
            return true;
    }
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        size_t b = (s->evict_cursor + i) % CACHE_BUCKETS;
        struct cache_entry **link = &s->buckets[b];
        if (*link == NULL)
            continue;
        while ((*link)->next != NULL) /* the oldest is at the tail */
            link = &(*link)->next;
        s->evict_cursor = (b + 1) % CACHE_BUCKETS;
        unlink_free(s, link);
        return true;
    }
    return false;
}

void cache_put(struct cache *c, const char *key, const void *value, size_t len,
               const char *tag1, const char *tag2, int64_t now_ms,
               int64_t ttl_ms, uint64_t epoch)
{
    struct cache_entry *e, **link;
    struct cache_shard *s;

    if (ttl_ms <= 0 || (e = entry_new(key, value, len, tag1, tag2)) == NULL)
        return;
    e->expires_ms = now_ms + ttl_ms;
    s = shard_of(c, e->hash);
    pthread_mutex_lock(&s->lock);
    /* Checked under the shard lock: invalidations bump the epoch first and
     * then take this lock, so either we see the bump or they see us. */
    if (cache_epoch(c) != epoch ||
        (s->count >= c->max_per_shard && !make_room(s, now_ms))) {
        pthread_mutex_unlock(&s->lock);
        free(e);
        return;
    }
    link = find_link(s, e->hash, key);
    if (*link != NULL)
        unlink_free(s, link);
    e->next = s->buckets[e->hash % CACHE_BUCKETS];
    s->buckets[e->hash % CACHE_BUCKETS] = e;
    s->count++;
    pthread_mutex_unlock(&s->lock);
}

void cache_drop(struct cache *c, const char *key)
{
    uint64_t h = hash_str(key);
    struct cache_shard *s = shard_of(c, h);
    struct cache_entry **link;

    atomic_fetch_add_explicit(&c->epoch, 1, memory_order_acq_rel);
    pthread_mutex_lock(&s->lock);
    link = find_link(s, h, key);
    if (*link != NULL)
        unlink_free(s, link);
    pthread_mutex_unlock(&s->lock);
}

void cache_drop_tag(struct cache *c, const char *tag)
{
    atomic_fetch_add_explicit(&c->epoch, 1, memory_order_acq_rel);
    for (size_t i = 0; i < CACHE_SHARDS; i++) {
        struct cache_shard *s = &c->shards[i];
        pthread_mutex_lock(&s->lock);
        for (size_t b = 0; b < CACHE_BUCKETS; b++) {
            struct cache_entry **link = &s->buckets[b];
            while (*link != NULL) {
                if (strcmp(entry_tag(*link, 0), tag) == 0 ||
                    strcmp(entry_tag(*link, 1), tag) == 0)
                    unlink_free(s, link);
                else
                    link = &(*link)->next;
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
}

void cache_clear(struct cache *c)
{
    atomic_fetch_add_explicit(&c->epoch, 1, memory_order_acq_rel);
    for (size_t i = 0; i < CACHE_SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        shard_clear(&c->shards[i]);
        pthread_mutex_unlock(&c->shards[i].lock);
    }
}

size_t cache_count(struct cache *c)
{
    size_t n = 0;

    for (size_t i = 0; i < CACHE_SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        n += c->shards[i].count;
        pthread_mutex_unlock(&c->shards[i].lock);
    }
    return n;
}
