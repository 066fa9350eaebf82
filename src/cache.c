/*
 * cache.c - sharded TTL cache with tag invalidation (see cache.h).
 *
 * Each shard is a chained hash table behind one mutex. An entry is a single
 * allocation: header, key, tags and value bytes. Eviction is simple on
 * purpose: when a shard is full, expired entries are swept; if none were,
 * the new entry is not stored (the caller just asks the database again).
 */
#include "presignd/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SHARDS  32
#define CACHE_BUCKETS 256 /* per shard; chains stay short at our sizes */

struct cache_entry {
    struct cache_entry *next;
    uint64_t hash;
    int64_t expires_ms;
    size_t value_len;
    char key[CACHE_KEY_MAX];
    char tags[2][CACHE_TAG_MAX];
    unsigned char value[]; /* value_len bytes */
};

struct cache_shard {
    pthread_mutex_t lock;
    size_t count;
    struct cache_entry *buckets[CACHE_BUCKETS];
};

struct cache {
    _Atomic uint64_t epoch;
    size_t max_per_shard;
    struct cache_shard shards[CACHE_SHARDS];
};

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
           ((*link)->hash != h || strcmp((*link)->key, key) != 0))
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
        memcpy(buf, (*link)->value, (*link)->value_len);
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
    struct cache_entry *e;

    if (strlen(key) >= CACHE_KEY_MAX || len > CACHE_VALUE_MAX ||
        (tag1 && strlen(tag1) >= CACHE_TAG_MAX) ||
        (tag2 && strlen(tag2) >= CACHE_TAG_MAX))
        return NULL;
    e = calloc(1, sizeof(*e) + len);
    if (e == NULL)
        return NULL;
    strcpy(e->key, key);
    strcpy(e->tags[0], tag1 ? tag1 : "");
    strcpy(e->tags[1], tag2 ? tag2 : "");
    memcpy(e->value, value, len);
    e->value_len = len;
    e->hash = hash_str(key);
    return e;
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
        (s->count >= c->max_per_shard && sweep(s, now_ms) == 0)) {
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
                if (strcmp((*link)->tags[0], tag) == 0 ||
                    strcmp((*link)->tags[1], tag) == 0)
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
