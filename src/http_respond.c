/*
 * http_respond.c - every response the gateway queues: the headers they all
 * carry, errors, redirects (or their JSON form, with CORS), the initials
 * SVG, plain text, and the CORS preflight (see http_request.h).
 */
#include "http_request.h"

#include "presignd/serve_url.h"
#include "textbuf.h"

#include <stdio.h>
#include <string.h>

/* Headers every response carries. */
static void add_common(struct MHD_Response *resp, struct http_request *rq)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Request-Id", rq->request_id);
    if (atomic_load_explicit(&rq->gw->draining, memory_order_relaxed))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

static enum MHD_Result queue(struct http_request *rq, unsigned status,
                             struct MHD_Response *resp)
{
    enum MHD_Result r;

    if (resp == NULL)
        return MHD_NO; /* out of memory: libmicrohttpd closes */
    add_common(resp, rq);
    rq->status = status;
    r = MHD_queue_response(rq->conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static struct MHD_Response *text_response(const char *text)
{
    return MHD_create_response_from_buffer(strlen(text), (void *)text,
                                           MHD_RESPMEM_MUST_COPY);
}

/* CORS for JSON mode: only allowlisted origins, with credentials. */
static void add_cors(struct MHD_Response *resp, struct http_request *rq)
{
    const char *origin =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");

    if (origin == NULL || !serve_config_cors_allowed(rq->gw->cfg, origin))
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(resp, "Access-Control-Allow-Credentials", "true");
}

enum MHD_Result http_respond_error(struct http_request *rq, unsigned status,
                                   const char *text)
{
    struct MHD_Response *resp = text_response(text);

    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    if (status == 503)
        MHD_add_response_header(resp, "Retry-After", "2");
    if (status == 405)
        MHD_add_response_header(resp, "Allow", "GET, HEAD, OPTIONS");
    if (rq->json)
        add_cors(resp, rq); /* so the page can read a 401 or 404 */
    return queue(rq, status, resp);
}

static void add_private_cache(struct MHD_Response *resp, unsigned max_age)
{
    char cc[48];
    struct textbuf t;

    tb_init(&t, cc, sizeof(cc));
    tb_str(&t, "private, max-age=");
    tb_uint(&t, max_age, 1);
    MHD_add_response_header(resp, "Cache-Control", tb_done(&t));
    MHD_add_response_header(resp, "Vary", "Cookie, Accept, Origin");
}

static struct MHD_Response *json_url_body(const char *url, time_t expires_at)
{
    struct pd_buf body;
    char when[32];
    struct MHD_Response *resp = NULL;
    enum pd_code rc;

    pd_buf_init(&body, 16 * 1024);
    rc = pd_buf_puts(&body, "{\"url\":\"");
    if (rc == PD_OK)
        rc = pd_json_escape(&body, url);
    if (rc == PD_OK && expires_at != 0) {
        serve_format_time(expires_at, when);
        rc = pd_buf_printf(&body, "\",\"expires_at\":\"%s\"}", when);
    } else if (rc == PD_OK) {
        rc = pd_buf_puts(&body, "\",\"expires_at\":null}");
    }
    if (rc == PD_OK)
        resp = MHD_create_response_from_buffer(body.len, body.data,
                                               MHD_RESPMEM_MUST_FREE);
    if (resp != NULL)
        body.data = NULL; /* now owned by the response */
    pd_buf_release(&body);
    return resp;
}

enum MHD_Result http_respond_redirect(struct http_request *rq, const char *url,
                                      unsigned max_age, time_t expires_at)
{
    struct MHD_Response *resp;

    if (rq->json) {
        resp = json_url_body(url, expires_at);
        if (resp == NULL)
            return http_respond_error(rq, 500, "internal error\n");
        MHD_add_response_header(resp, "Content-Type", "application/json");
        add_cors(resp, rq);
        add_private_cache(resp, max_age);
        return queue(rq, 200, resp);
    }
    resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    if (MHD_add_response_header(resp, "Location", url) != MHD_YES) {
        MHD_destroy_response(resp);
        return http_respond_error(rq, 500, "internal error\n");
    }
    add_private_cache(resp, max_age);
    return queue(rq, 302, resp);
}

enum MHD_Result http_respond_svg(struct http_request *rq, const char *svg,
                                 size_t len, unsigned max_age)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)svg, MHD_RESPMEM_MUST_COPY);

    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "image/svg+xml");
    /* The SVG is ours, but it is shown on its own URL: nothing may run. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; "
                            "sandbox");
    add_private_cache(resp, max_age);
    return queue(rq, 200, resp);
}

enum MHD_Result http_respond_text(struct http_request *rq, unsigned status,
                                  const char *ctype, const char *text,
                                  size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)text, MHD_RESPMEM_MUST_COPY);

    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return queue(rq, status, resp);
}

/* CORS preflight for the JSON mode of image routes. */
enum MHD_Result http_respond_preflight(struct http_request *rq)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

    if (resp == NULL)
        return MHD_NO;
    add_cors(resp, rq);
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, HEAD");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Accept");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Vary", "Origin");
    return queue(rq, 204, resp);
}
