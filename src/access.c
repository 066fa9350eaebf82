/*
 * access.c - sessions, visibility and image references through cache and
 * database (see access.h).
 */
#include "presignd/access.h"

#include "presignd/cache.h"
#include "presignd/metrics.h"
#include "textbuf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A cached "no such session" lives at most this long: new sessions are
 * inserted without a notification, and garbage cookies should not cost a
 * query each. */
#define NEGATIVE_TTL_MS 2000

struct access_store {
    struct db_pool *pool;
    struct cache *cache;
    int64_t ttl_ms;
    atomic_bool listening;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool access_session_valid(const struct access_session *s, time_t now)
{
    if (s->revoked || !s->user_active || !s->membership_active || !s->mfa_ok)
        return false;
    return s->expires_epoch == 0 || s->expires_epoch > (int64_t)now;
}

const char *access_kind_name(enum access_kind k)
{
    return k == ACCESS_SIGNATURE ? "signature" : "avatar";
}

bool access_may_view(const char *viewer, const char *subject,
                     enum access_kind kind, const struct access_visibility *v)
{
    if (strcmp(viewer, subject) == 0)
        return true;
    if (kind == ACCESS_AVATAR)
        return v->shares_org;
    return v->shares_org && v->is_manager;
}

enum pd_code access_store_new(struct access_store **out, struct db_pool *pool,
                              unsigned cache_ttl_s, size_t max_entries,
                              struct pd_err *err)
{
    struct access_store *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    if (cache_new(&s->cache, max_entries, err) != PD_OK) {
        free(s);
        return PD_ENOMEM;
    }
    s->pool = pool;
    s->ttl_ms = (int64_t)cache_ttl_s * 1000;
    *out = s;
    return PD_OK;
}

void access_store_free(struct access_store *s)
{
    if (s == NULL)
        return;
    cache_free(s->cache);
    free(s);
}

/* Builds prefix + a [+ ":" + b]; an empty key (never cached) when the
 * parts are too long. */
static void make_key(char key[CACHE_KEY_MAX], const char *prefix, const char *a,
                     const char *b)
{
    struct textbuf t;

    tb_init(&t, key, CACHE_KEY_MAX);
    tb_str(&t, prefix);
    tb_str(&t, a);
    if (b != NULL) {
        tb_mem(&t, ":", 1);
        tb_str(&t, b);
    }
    if (tb_done(&t) == NULL)
        key[0] = '\0';
}

/* Cache read; counts the hit or miss. Off while the listener is down. */
static bool cached(struct access_store *s, enum metrics_cache which,
                   const char *key, void *buf, size_t cap, size_t *len)
{
    bool hit = s->ttl_ms > 0 && key[0] != '\0' && atomic_load(&s->listening) &&
               cache_get(s->cache, key, mono_ms(), buf, cap, len);

    metrics_cache(which, hit);
    return hit;
}

static void remember(struct access_store *s, const char *key, const void *value,
                     size_t len, const char *tag1, const char *tag2,
                     int64_t ttl_ms, uint64_t epoch)
{
    if (!atomic_load(&s->listening) || key[0] == '\0')
        return;
    if (ttl_ms > s->ttl_ms)
        ttl_ms = s->ttl_ms;
    cache_put(s->cache, key, value, len, tag1, tag2, mono_ms(), ttl_ms, epoch);
}

/* Runs a query expecting at most one row of at least ncols columns. */
static enum pd_code query_row(struct access_store *s, const char *name,
                              int nparams, const char *const *params, int ncols,
                              PGresult **out, struct pd_err *err)
{
    enum pd_code rc = db_pool_query(s->pool, name, nparams, params, out, err);

    if (rc == PD_EDB)
        metrics_db_error();
    metrics_set_db_up(rc != PD_EDB);
    if (rc != PD_OK)
        return rc;
    if (PQnfields(*out) < ncols) {
        int got = PQnfields(*out);
        PQclear(*out);
        *out = NULL;
        return pd_fail(err, PD_ECONFIG, "query %s returns %d columns, not %d",
                       name, got, ncols);
    }
    if (PQntuples(*out) == 0) {
        PQclear(*out);
        *out = NULL;
        return PD_ENOTFOUND;
    }
    return PD_OK;
}

static bool col_bool(const PGresult *r, int col)
{
    return !PQgetisnull(r, 0, col) && PQgetvalue(r, 0, col)[0] == 't';
}

/* Copies a text column ("" for NULL); false when it does not fit. */
static bool col_text(const PGresult *r, int col, char *out, size_t cap)
{
    const char *v = PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col);
    size_t n = strlen(v);

    if (n >= cap)
        return false;
    memcpy(out, v, n + 1);
    return true;
}

/* What the session cache stores: found or not, and the row. */
struct session_entry {
    bool found;
    struct access_session session;
};

static enum pd_code session_from_row(const PGresult *r,
                                     struct access_session *out,
                                     struct pd_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!col_text(r, 0, out->user_id, sizeof(out->user_id)) ||
        out->user_id[0] == '\0')
        return pd_fail(err, PD_ECONFIG, "session query: bad user id");
    out->expires_epoch =
        PQgetisnull(r, 0, 1) ? 0 : strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    out->revoked = col_bool(r, 2);
    out->user_active = col_bool(r, 3);
    out->membership_active = col_bool(r, 4);
    out->mfa_ok = col_bool(r, 5);
    return PD_OK;
}

/* The common path of the three session lookups. */
static enum pd_code session_lookup(struct access_store *s, const char *key,
                                   const char *query, int nparams,
                                   const char *const *params,
                                   struct access_session *out,
                                   struct pd_err *err)
{
    struct session_entry e;
    uint64_t epoch = cache_epoch(s->cache);
    int64_t ttl_ms = NEGATIVE_TTL_MS;
    char token_tag[CACHE_TAG_MAX] = "";
    PGresult *r = NULL;
    size_t len;
    enum pd_code rc;

    if (cached(s, METRICS_CACHE_SESSION, key, &e, sizeof(e), &len) &&
        len == sizeof(e)) {
        *out = e.session;
        return e.found ? PD_OK : PD_ENOTFOUND;
    }
    memset(&e, 0, sizeof(e));
    rc = query_row(s, query, nparams, params, 6, &r, err);
    if (rc == PD_OK)
        rc = session_from_row(r, &e.session, err);
    /* An optional 7th column names the session's token hash, so that a
     * "session:HEX" notification also reaches entries keyed otherwise. */
    if (rc == PD_OK && PQnfields(r) > 6 &&
        !col_text(r, 6, token_tag, sizeof(token_tag)))
        token_tag[0] = '\0';
    PQclear(r);
    if (rc != PD_OK && rc != PD_ENOTFOUND)
        return rc;
    e.found = rc == PD_OK;
    if (e.found) {
        int64_t left = e.session.expires_epoch - (int64_t)time(NULL);
        ttl_ms = e.session.expires_epoch == 0 ? s->ttl_ms : left * 1000;
    }
    remember(s, key, &e, sizeof(e), e.found ? e.session.user_id : NULL,
             token_tag[0] ? token_tag : NULL, ttl_ms, epoch);
    *out = e.session;
    return rc;
}

enum pd_code access_session_by_token(struct access_store *s,
                                     const char *sha256_hex,
                                     struct access_session *out,
                                     struct pd_err *err)
{
    char key[CACHE_KEY_MAX];

    make_key(key, "session:", sha256_hex, NULL);
    return session_lookup(s, key, "serve_session", 1, &sha256_hex, out, err);
}

enum pd_code access_session_by_sid(struct access_store *s, const char *sid,
                                   struct access_session *out,
                                   struct pd_err *err)
{
    char key[CACHE_KEY_MAX];

    if (strlen(sid) >= ACCESS_ID_MAX)
        return PD_ENOTFOUND;
    make_key(key, "sid:", sid, NULL);
    return session_lookup(s, key, "serve_session_by_id", 1, &sid, out, err);
}

enum pd_code access_session_by_user(struct access_store *s, const char *user_id,
                                    bool mfa, struct access_session *out,
                                    struct pd_err *err)
{
    char key[CACHE_KEY_MAX];
    const char *params[2] = {user_id, mfa ? "true" : "false"};

    if (strlen(user_id) >= ACCESS_ID_MAX)
        return PD_ENOTFOUND;
    make_key(key, mfa ? "jwtuser-mfa:" : "jwtuser:", user_id, NULL);
    return session_lookup(s, key, "serve_jwt_user", 2, params, out, err);
}

enum pd_code access_visibility_get(struct access_store *s, const char *viewer,
                                   const char *subject,
                                   struct access_visibility *out,
                                   struct pd_err *err)
{
    char key[CACHE_KEY_MAX];
    const char *params[2] = {viewer, subject};
    uint64_t epoch = cache_epoch(s->cache);
    PGresult *r = NULL;
    size_t len;
    enum pd_code rc;

    make_key(key, "vis:", viewer, subject);
    if (cached(s, METRICS_CACHE_VISIBILITY, key, out, sizeof(*out), &len) &&
        len == sizeof(*out))
        return PD_OK;
    memset(out, 0, sizeof(*out));
    rc = query_row(s, "serve_visibility", 2, params, 2, &r, err);
    if (rc == PD_OK) {
        out->shares_org = col_bool(r, 0);
        out->is_manager = col_bool(r, 1);
    }
    PQclear(r);
    if (rc == PD_ENOTFOUND)
        rc = PD_OK; /* no row: sees nothing */
    if (rc == PD_OK)
        remember(s, key, out, sizeof(*out), viewer, subject, s->ttl_ms, epoch);
    return rc;
}

/* The image cache stores the five strings back to back, NUL-separated:
 * small entries instead of the 3.5 KB struct. */
static size_t image_pack(const struct access_image *im, char *buf, size_t cap)
{
    const char *parts[5] = {im->bucket, im->key, im->content_type,
                            im->legacy_url, im->display_name};
    size_t n = 0;

    for (size_t i = 0; i < 5; i++) {
        size_t len = strlen(parts[i]) + 1;
        if (n + len > cap)
            return 0;
        memcpy(buf + n, parts[i], len);
        n += len;
    }
    return n;
}

static bool image_unpack(const char *buf, size_t len, struct access_image *im)
{
    char *parts[5] = {im->bucket, im->key, im->content_type, im->legacy_url,
                      im->display_name};
    const size_t caps[5] = {sizeof(im->bucket), sizeof(im->key),
                            sizeof(im->content_type), sizeof(im->legacy_url),
                            sizeof(im->display_name)};
    size_t off = 0;

    for (size_t i = 0; i < 5; i++) {
        const char *end = memchr(buf + off, '\0', len - off);
        size_t n;
        if (end == NULL)
            return false;
        n = (size_t)(end - (buf + off));
        if (n >= caps[i])
            return false;
        memcpy(parts[i], buf + off, n + 1);
        off += n + 1;
        if (off > len || (i < 4 && off == len))
            return false;
    }
    return true;
}

static enum pd_code image_from_row(const PGresult *r, struct access_image *im,
                                   struct pd_err *err)
{
    memset(im, 0, sizeof(*im));
    if (!col_text(r, 0, im->bucket, sizeof(im->bucket)) ||
        !col_text(r, 1, im->key, sizeof(im->key)) ||
        !col_text(r, 2, im->content_type, sizeof(im->content_type)))
        return pd_fail(err, PD_EINVAL, "image reference too long");
    /* An overlong legacy URL or name is dropped, not fatal. */
    if (!col_text(r, 3, im->legacy_url, sizeof(im->legacy_url)))
        im->legacy_url[0] = '\0';
    if (!col_text(r, 4, im->display_name, sizeof(im->display_name)))
        im->display_name[0] = '\0';
    if ((im->bucket[0] == '\0') != (im->key[0] == '\0'))
        im->bucket[0] = im->key[0] = '\0';
    return PD_OK;
}

enum pd_code access_image_get(struct access_store *s, const char *subject,
                              enum access_kind kind, struct access_image *out,
                              struct pd_err *err)
{
    char key[CACHE_KEY_MAX], packed[CACHE_VALUE_MAX];
    const char *params[2] = {subject, access_kind_name(kind)};
    uint64_t epoch = cache_epoch(s->cache);
    PGresult *r = NULL;
    size_t len;
    enum pd_code rc;

    make_key(key, kind == ACCESS_SIGNATURE ? "sig:" : "avatar:", subject, NULL);
    if (cached(s, METRICS_CACHE_IMAGE, key, packed, sizeof(packed), &len) &&
        image_unpack(packed, len, out))
        return PD_OK;
    rc = query_row(s, "serve_image", 2, params, 5, &r, err);
    if (rc == PD_OK)
        rc = image_from_row(r, out, err);
    PQclear(r);
    if (rc == PD_OK && (len = image_pack(out, packed, sizeof(packed))) > 0)
        remember(s, key, packed, len, subject, NULL, s->ttl_ms, epoch);
    return rc;
}

void access_store_invalidate(struct access_store *s, const char *payload)
{
    if (strncmp(payload, "session:", 8) == 0) {
        cache_drop(s->cache, payload);
        cache_drop_tag(s->cache, payload + 8);
    } else if (strncmp(payload, "user:", 5) == 0 && payload[5] != '\0') {
        cache_drop_tag(s->cache, payload + 5);
    } else {
        /* Unknown payload: be safe, forget everything. */
        cache_clear(s->cache);
    }
}

void access_store_set_listening(struct access_store *s, bool listening)
{
    /* Clear before trusting again: notifications may have been missed. */
    cache_clear(s->cache);
    atomic_store(&s->listening, listening);
    metrics_set_listener_up(listening);
}

void access_store_clear(struct access_store *s)
{
    cache_clear(s->cache);
}
