/*
 * cache.c - sharded TTL cache with O(1) invalidation by key or tag (see
 * cache.h).
 *
 * Each shard is a chained hash table behind one mutex. An entry is a single
 * allocation of exactly the size it needs: header, key and value bytes.
 *
 * Invalidation never walks the table. Keys and tags hash into a table of
 * generation counters; an entry remembers the generations of its key and
 * tags (and of the whole cache) when it was stored, and a lookup that finds
 * any of them moved treats the entry as gone and frees it. So dropping a
 * user costs one increment however many entries mention them, which
 * matters when the backfill writes thousands of references (thousands of
 * notifications) in one batch. Hash collisions only cost extra misses.
 *
 * The race of cache.h (read the database, a change commits, store the
 * stale read) is closed with a ring of the most recent invalidations: a
 * put checks whether anything about its key or tags was invalidated since
 * the caller's epoch. Puts and invalidations are serialised by one mutex;
 * both are rare next to lookups, which never take it.
 */
#include "presignd/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SHARDS  32
#define CACHE_BUCKETS 256  /* per shard; chains stay short at our sizes */
#define GEN_SLOTS     4096 /* generation counters for keys and tags */
#define RING_SIZE     1024 /* invalidations a put can look back on */
#define NO_SLOT       UINT16_MAX

struct cache_entry {
    struct cache_entry *next;
    uint64_t hash;
    int64_t expires_ms;
    uint32_t value_len;
    uint32_t clear_gen;
    uint16_t slot[3]; /* key, tag1, tag2 (NO_SLOT: no tag) */
    uint32_t gen[3];
    uint8_t key_len;
    char data[]; /* key NUL value */
};

struct cache_shard {
    pthread_mutex_t lock;
    size_t count;
    int64_t last_sweep_ms;
    size_t evict_cursor; /* next bucket to evict from when full */
    struct cache_entry *buckets[CACHE_BUCKETS];
};

struct cache_event {
    uint64_t seq;
    uint64_t hash; /* of the key or tag dropped */
    bool clear;
};

struct cache {
    pthread_mutex_t inval_lock; /* orders invalidations against puts */
    uint64_t seq;               /* invalidations so far (under the lock) */
    _Atomic uint64_t seq_pub;   /* the same, for lock-free cache_epoch */
    struct cache_event ring[RING_SIZE];
    _Atomic uint32_t gens[GEN_SLOTS];
    _Atomic uint32_t clear_gen;
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

static const unsigned char *entry_value(const struct cache_entry *e)
{
    return (const unsigned char *)e->data + e->key_len + 1;
}

/* False once the key, a tag or the whole cache was invalidated. */
static bool entry_current(struct cache *c, const struct cache_entry *e)
{
    if (atomic_load_explicit(&c->clear_gen, memory_order_acquire) !=
        e->clear_gen)
        return false;
    for (int i = 0; i < 3; i++)
        if (e->slot[i] != NO_SLOT &&
            atomic_load_explicit(&c->gens[e->slot[i]], memory_order_acquire) !=
                e->gen[i])
            return false;
    return true;
}

enum pd_code cache_new(struct cache **out, size_t max_entries,
                       struct pd_err *err)
{
    struct cache *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory creating a cache");
    c->max_per_shard = max_entries / CACHE_SHARDS + 1;
    pthread_mutex_init(&c->inval_lock, NULL);
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
    pthread_mutex_destroy(&c->inval_lock);
    free(c);
}

uint64_t cache_epoch(const struct cache *c)
{
    return atomic_load_explicit(&c->seq_pub, memory_order_acquire);
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
    if (*link != NULL &&
        ((*link)->expires_ms <= now_ms || !entry_current(c, *link))) {
        unlink_free(s, link);
    } else if (*link != NULL && (*link)->value_len <= cap) {
        memcpy(buf, entry_value(*link), (*link)->value_len);
        *len = (*link)->value_len;
        found = true;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* Drops expired and invalidated entries; returns how many. */
static size_t sweep(struct cache *c, struct cache_shard *s, int64_t now_ms)
{
    size_t dropped = 0;

    for (size_t b = 0; b < CACHE_BUCKETS; b++) {
        struct cache_entry **link = &s->buckets[b];
        while (*link != NULL) {
            if ((*link)->expires_ms <= now_ms || !entry_current(c, *link)) {
                unlink_free(s, link);
                dropped++;
            } else {
                link = &(*link)->next;
            }
        }
    }
    return dropped;
}

/*
 * Makes room in a full shard: dead entries go first (swept at most once a
 * second, since a sweep walks the shard); otherwise one live entry is
 * evicted, the oldest of a bucket taken round-robin. Cheap, not LRU.
 */
static bool make_room(struct cache *c, struct cache_shard *s, int64_t now_ms)
{
    if (now_ms - s->last_sweep_ms >= 1000) {
        s->last_sweep_ms = now_ms;
        if (sweep(c, s, now_ms) > 0)
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

static struct cache_entry *entry_new(const char *key, const void *value,
                                     size_t len)
{
    size_t kl = strlen(key);
    struct cache_entry *e;

    if (kl >= CACHE_KEY_MAX || len > CACHE_VALUE_MAX)
        return NULL;
    e = malloc(sizeof(*e) + kl + 1 + len);
    if (e == NULL)
        return NULL;
    e->next = NULL;
    e->key_len = (uint8_t)kl;
    e->value_len = (uint32_t)len;
    memcpy(e->data, key, kl + 1);
    memcpy(e->data + kl + 1, value, len);
    e->hash = hash_str(key);
    return e;
}

/*
 * Under inval_lock: refuses (false) when the key, a tag or the whole cache
 * was invalidated after epoch, or when too many invalidations happened to
 * tell; otherwise records the current generations in e.
 */
static bool stamp(struct cache *c, struct cache_entry *e, const uint64_t h[3],
                  uint64_t epoch)
{
    if (c->seq - epoch >= RING_SIZE)
        return false;
    for (uint64_t s = epoch + 1; s <= c->seq; s++) {
        const struct cache_event *ev = &c->ring[s % RING_SIZE];
        if (ev->clear || ev->hash == h[0] || ev->hash == h[1] ||
            ev->hash == h[2])
            return false;
    }
    e->clear_gen = atomic_load(&c->clear_gen);
    for (int i = 0; i < 3; i++) {
        e->slot[i] =
            i > 0 && h[i] == 0 ? NO_SLOT : (uint16_t)(h[i] % GEN_SLOTS);
        e->gen[i] =
            e->slot[i] == NO_SLOT ? 0 : atomic_load(&c->gens[e->slot[i]]);
    }
    return true;
}

void cache_put(struct cache *c, const char *key, const void *value, size_t len,
               const char *tag1, const char *tag2, int64_t now_ms,
               int64_t ttl_ms, uint64_t epoch)
{
    uint64_t h[3] = {0, tag1 ? hash_str(tag1) : 0, tag2 ? hash_str(tag2) : 0};
    struct cache_entry *e, **link;
    struct cache_shard *s;
    bool ok;

    if (ttl_ms <= 0 || (tag1 && strlen(tag1) >= CACHE_TAG_MAX) ||
        (tag2 && strlen(tag2) >= CACHE_TAG_MAX) ||
        (e = entry_new(key, value, len)) == NULL)
        return;
    h[0] = e->hash;
    e->expires_ms = now_ms + ttl_ms;
    pthread_mutex_lock(&c->inval_lock);
    ok = stamp(c, e, h, epoch);
    pthread_mutex_unlock(&c->inval_lock);
    s = shard_of(c, e->hash);
    pthread_mutex_lock(&s->lock);
    if (!ok || (s->count >= c->max_per_shard && !make_room(c, s, now_ms))) {
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

/* Records an invalidation and moves the generation it maps to. */
static void invalidate(struct cache *c, uint64_t hash, bool clear)
{
    struct cache_event *ev;

    pthread_mutex_lock(&c->inval_lock);
    c->seq++;
    ev = &c->ring[c->seq % RING_SIZE];
    ev->seq = c->seq;
    ev->hash = hash;
    ev->clear = clear;
    if (clear)
        atomic_fetch_add(&c->clear_gen, 1);
    else
        atomic_fetch_add(&c->gens[hash % GEN_SLOTS], 1);
    atomic_store_explicit(&c->seq_pub, c->seq, memory_order_release);
    pthread_mutex_unlock(&c->inval_lock);
}

void cache_drop(struct cache *c, const char *key)
{
    uint64_t h = hash_str(key);
    struct cache_shard *s = shard_of(c, h);
    struct cache_entry **link;

    invalidate(c, h, false);
    pthread_mutex_lock(&s->lock);
    link = find_link(s, h, key);
    if (*link != NULL)
        unlink_free(s, link);
    pthread_mutex_unlock(&s->lock);
}

void cache_drop_tag(struct cache *c, const char *tag)
{
    /* Entries carrying the tag die lazily, at their next lookup or sweep. */
    invalidate(c, hash_str(tag), false);
}

void cache_clear(struct cache *c)
{
    invalidate(c, 0, true);
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
