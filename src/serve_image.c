/*
 * serve_image.c - the hot path: an image URL is answered by authenticating
 * the cookie, authorising the viewer, resolving the subject's image and
 * signing a URL for it, all from memory when the caches are warm.
 *
 * Each step is a `..._or_respond` helper: on failure it queues the error
 * response itself and returns false, so serve_image reads as the happy
 * path.
 */
#include "http_request.h"

#include "presignd/log.h"
#include "presignd/metrics.h"
#include "presignd/serve_url.h"
#include "textbuf.h"

#include <stdio.h>
#include <string.h>

#define COOKIE_MAX 4096

/* Cookie values we accept: visible ASCII, no separators (RFC 6265). */
static bool token_ok(const char *t)
{
    size_t n = 0;

    for (; t[n] != '\0'; n++)
        if (t[n] <= 0x20 || t[n] >= 0x7f || t[n] == '"' || t[n] == ',' ||
            t[n] == ';' || t[n] == '\\' || n >= COOKIE_MAX)
            return false;
    return n > 0;
}

/* Maps a lookup failure to its answer: 401/404 for "no", 503 for down. */
static enum MHD_Result lookup_failed(struct http_request *rq, enum pd_code rc,
                                     unsigned not_found_status,
                                     const struct pd_err *err)
{
    if (rc == PD_ENOTFOUND)
        return http_respond_error(rq, not_found_status,
                                  not_found_status == 401 ? "unauthorised\n"
                                                          : "not found\n");
    if (rc == PD_EDB) {
        /* An outage fails every request: say so once a second, not each. */
        static _Atomic time_t last_warned;
        time_t now = time(NULL), last = atomic_load(&last_warned);
        if (now != last &&
            atomic_compare_exchange_strong(&last_warned, &last, now))
            pd_log(PD_LOG_WARN, "request %s: %s (answering 503)",
                   rq->request_id, err->msg);
        return http_respond_error(rq, 503, "temporarily unavailable\n");
    }
    pd_log(PD_LOG_ERROR, "request %s: %s", rq->request_id, err->msg);
    return http_respond_error(rq, 500, "internal error\n");
}

/* The token's session row, which must belong to the token's subject: the
 * viewer is always "sub", never whoever owns the "sid" session. */
static enum pd_code session_of_sid(struct http_request *rq,
                                   const struct jwtauth_claims *claims,
                                   struct access_session *s, struct pd_err *err)
{
    enum pd_code rc =
        access_session_by_sid(rq->gw->access, claims->sid, s, err);

    if (rc == PD_OK && strcmp(s->user_id, claims->sub) != 0) {
        pd_log(PD_LOG_DEBUG, "request %s: JWT sid belongs to another user",
               rq->request_id);
        return PD_ENOTFOUND;
    }
    return rc;
}

static enum pd_code session_of(struct http_request *rq, const char *cookie,
                               struct access_session *s, struct pd_err *err)
{
    struct jwtauth *jwt = atomic_load(&rq->gw->jwt);
    struct jwtauth_claims claims;
    char hex[65];

    if (jwt == NULL) {
        /* The signer's SHA-256: a per-thread context, no lookup. */
        if (sigv4_sha256_hex(cookie, strlen(cookie), hex, err) != PD_OK)
            return PD_ENOMEM;
        return access_session_by_token(rq->gw->access, hex, s, err);
    }
    if (jwtauth_verify(jwt, cookie, time(NULL), &claims, err) != PD_OK) {
        pd_log(PD_LOG_DEBUG, "request %s: %s", rq->request_id, err->msg);
        return PD_ENOTFOUND;
    }
    if (claims.sid[0] != '\0')
        return session_of_sid(rq, &claims, s, err);
    return access_session_by_user(rq->gw->access, claims.sub, claims.mfa, s,
                                  err);
}

/*
 * A browser may send two cookies of the same name (one set for a longer
 * path, or a stale one on a parent domain), and which one the app honours
 * depends on its framework. Every candidate is tried, in order, and the
 * first live session wins; a few at most, so a client cannot turn one
 * request into many lookups.
 */
#define SESSION_COOKIES_MAX 4

struct cookie_candidates {
    const char *name;
    const char *value[SESSION_COOKIES_MAX];
    size_t count;
};

static enum MHD_Result collect_cookie(void *ctx, enum MHD_ValueKind kind,
                                      const char *key, const char *value)
{
    struct cookie_candidates *c = ctx;

    (void)kind;
    if (key != NULL && value != NULL && strcmp(key, c->name) == 0 &&
        token_ok(value))
        c->value[c->count++] = value;
    return c->count < SESSION_COOKIES_MAX ? MHD_YES : MHD_NO;
}

static bool authenticate_or_respond(struct http_request *rq,
                                    struct access_session *s,
                                    enum MHD_Result *r)
{
    struct cookie_candidates c = {rq->gw->cfg->cookie_name, {NULL}, 0};
    struct pd_err err;
    enum pd_code rc = PD_ENOTFOUND;

    pd_err_clear(&err);
    MHD_get_connection_values(rq->conn, MHD_COOKIE_KIND, collect_cookie, &c);
    for (size_t i = 0; i < c.count; i++) {
        rc = session_of(rq, c.value[i], s, &err);
        if (rc == PD_OK && access_session_valid(s, time(NULL))) {
            memcpy(rq->user_id, s->user_id, sizeof(rq->user_id));
            return true;
        }
        if (rc != PD_OK && rc != PD_ENOTFOUND)
            break; /* the database, not the cookie: answer 503 */
        rc = PD_ENOTFOUND;
    }
    *r = lookup_failed(rq, rc, 401, &err);
    return false;
}

static bool authorise_or_respond(struct http_request *rq, const char *viewer,
                                 const char *subject, enum MHD_Result *r)
{
    struct access_visibility v = {false, false};
    struct pd_err err;
    enum pd_code rc;

    pd_err_clear(&err);
    if (strcmp(viewer, subject) != 0) {
        rc = access_visibility_get(rq->gw->access, viewer, subject, &v, &err);
        if (rc != PD_OK) {
            *r = lookup_failed(rq, rc, 404, &err);
            return false;
        }
    }
    if (!access_may_view(viewer, subject, rq->route.image, &v)) {
        /* The same answer as for a user that does not exist. */
        *r = http_respond_error(rq, 404, "not found\n");
        return false;
    }
    return true;
}

static bool resolve_or_respond(struct http_request *rq, const char *subject,
                               struct access_image *im, enum MHD_Result *r)
{
    struct pd_err err;
    enum pd_code rc;

    pd_err_clear(&err);
    rc = access_image_get(rq->gw->access, subject, rq->route.image, im, &err);
    if (rc != PD_OK) {
        *r = lookup_failed(rq, rc, 404, &err);
        return false;
    }
    return true;
}

/* Presigns (bucket, key) for this request's method and redirects to it. */
static enum MHD_Result redirect_presigned(struct http_request *rq,
                                          const char *bucket, const char *key,
                                          size_t key_len,
                                          const char *content_type)
{
    struct gateway *gw = rq->gw;
    struct sigv4_signer *signer = atomic_load(&gw->signer);
    struct serve_content content;
    struct serve_window w;
    struct sigv4_presign_request pr;
    char cache_control[48];
    struct textbuf t;
    struct pd_buf url;
    struct pd_err err;
    enum MHD_Result r;

    pd_err_clear(&err);
    if (signer == NULL || serve_window_compute(time(NULL), gw->cfg->url_ttl,
                                               sigv4_signer_expiration(signer),
                                               &w, &err) != PD_OK) {
        pd_log(PD_LOG_ERROR, "request %s: %s", rq->request_id,
               signer ? err.msg : "no credentials");
        return http_respond_error(rq, 503, "temporarily unavailable\n");
    }
    serve_content_policy(content_type, key, &content);
    /* Constant within a window, so the URL is too. */
    tb_init(&t, cache_control, sizeof(cache_control));
    tb_str(&t, "private, max-age=");
    tb_uint(&t, gw->cfg->url_ttl, 1);
    memset(&pr, 0, sizeof(pr));
    pr.method = rq->head ? "HEAD" : "GET";
    pr.bucket = bucket;
    pr.key = key;
    pr.key_len = key_len;
    pr.endpoint = &gw->endpoint;
    pr.addressing = gw->cfg->addressing;
    pr.now = w.signed_at;
    pr.expires = w.expires;
    pr.response_content_type = content.type;
    pr.response_content_disposition = content.attachment ? "attachment" : NULL;
    pr.response_cache_control = tb_done(&t); /* fits: 17 + 6 digits */
    pd_buf_init(&url, 16 * 1024);
    /* One allocation that fits a typical URL, not a series of doublings. */
    if (pd_buf_reserve(&url, 1024) != PD_OK ||
        sigv4_presign(signer, &pr, &url, &err) != PD_OK) {
        pd_log(PD_LOG_ERROR, "request %s: presign failed: %s", rq->request_id,
               err.msg);
        r = http_respond_error(rq, 500, "internal error\n");
    } else {
        r = http_respond_redirect(rq, url.data, w.max_age, w.expires_at);
    }
    pd_buf_release(&url);
    return r;
}

/*
 * Only https URLs on the default port, without spaces or controls, leave as
 * Location: the allowlist names a host, and neither a downgrade to http nor
 * another service on another port of that host is what it allowed.
 */
static bool safe_external_url(const char *url)
{
    const char *authority, *colon;
    size_t n;

    if (strncmp(url, "https://", 8) != 0)
        return false;
    authority = url + 8;
    n = strcspn(authority, "/?#");
    colon = memchr(authority, ':', n);
    if (colon != NULL &&
        !(authority + n - colon == 4 && strncmp(colon, ":443", 4) == 0))
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

/*
 * A row the backfill has not reached: presign the legacy URL's key when it
 * names one of our buckets, follow it when it is on an allowlisted host,
 * and answer 404 for anything else. Never a redirect anywhere else.
 */
static enum MHD_Result legacy_fallback(struct http_request *rq,
                                       const struct access_image *im)
{
    struct s3url_result res;
    const struct serve_config *cfg = rq->gw->cfg;

    if (s3url_parse(&rq->gw->legacy, im->legacy_url, &res) == PD_OK &&
        serve_config_has_bucket(cfg, res.bucket)) {
        metrics_legacy(METRICS_LEGACY_PRESIGNED);
        return redirect_presigned(rq, res.bucket, res.key, res.key_len, NULL);
    }
    if (res.reason == S3URL_EXTERNAL &&
        serve_config_external_host_allowed(cfg, res.external_host) &&
        safe_external_url(im->legacy_url)) {
        metrics_legacy(METRICS_LEGACY_EXTERNAL);
        return http_respond_redirect(rq, im->legacy_url, cfg->url_ttl, 0);
    }
    metrics_legacy(METRICS_LEGACY_REJECTED);
    return http_respond_error(rq, 404, "not found\n");
}

static enum MHD_Result no_image(struct http_request *rq, const char *subject,
                                const struct access_image *im)
{
    const struct serve_config *cfg = rq->gw->cfg;
    struct pd_buf svg;
    enum MHD_Result r;

    if (cfg->no_image == SERVE_NO_IMAGE_REDIRECT)
        return http_respond_redirect(rq, cfg->no_image_url, cfg->url_ttl, 0);
    /* JSON clients get no URL for a generated image. */
    if (cfg->no_image == SERVE_NO_IMAGE_404 || rq->json)
        return http_respond_error(rq, 404, "not found\n");
    pd_buf_init(&svg, 4096);
    if (serve_initials_svg(&svg, im->display_name, subject) != PD_OK)
        r = http_respond_error(rq, 500, "internal error\n");
    else
        r = http_respond_svg(rq, svg.data, svg.len, cfg->url_ttl);
    pd_buf_release(&svg);
    return r;
}

enum MHD_Result serve_image(struct http_request *rq)
{
    struct access_session viewer;
    struct access_image im;
    const char *subject;
    enum MHD_Result r = MHD_NO;

    if (!authenticate_or_respond(rq, &viewer, &r))
        return r;
    subject = rq->route.me ? viewer.user_id : rq->route.subject;
    if (!authorise_or_respond(rq, viewer.user_id, subject, &r))
        return r;
    if (!resolve_or_respond(rq, subject, &im, &r))
        return r;
    if (im.bucket[0] != '\0') {
        if (rq->gw->cfg->bucket_count > 0 &&
            !serve_config_has_bucket(rq->gw->cfg, im.bucket)) {
            pd_log(PD_LOG_WARN,
                   "request %s: reference to unconfigured "
                   "bucket %s refused",
                   rq->request_id, im.bucket);
            return http_respond_error(rq, 404, "not found\n");
        }
        return redirect_presigned(rq, im.bucket, im.key, strlen(im.key),
                                  im.content_type);
    }
    if (im.legacy_url[0] != '\0')
        return legacy_fallback(rq, &im);
    return no_image(rq, subject, &im);
}
