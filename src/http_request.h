/*
 * http_request.h - one request of the gateway while it is being answered,
 * and the helpers that queue its response (private to http*.c and
 * serve_image.c).
 *
 * A request lives on the stack of the libmicrohttpd access callback: the
 * gateway answers on the first callback (GET and HEAD have no body), so
 * no per-request heap state is needed.
 */
#ifndef PRESIGND_HTTP_REQUEST_H
#define PRESIGND_HTTP_REQUEST_H

#include "presignd/http.h"

#include <microhttpd.h>
#include <stdint.h>
#include <time.h>

struct http_request {
    struct MHD_Connection *conn;
    struct gateway *gw;
    bool head;
    bool json; /* ?format=json or Accept: application/json */
    struct http_route route;
    unsigned status;
    char user_id[ACCESS_ID_MAX]; /* the viewer, once known (for the log) */
    char request_id[32];
};

/* An error: no-store, nosniff, a short text body; 503 adds Retry-After. */
enum MHD_Result http_respond_error(struct http_request *rq, unsigned status,
                                   const char *text);

/*
 * The answer for an image URL: 302 to url, or in JSON mode 200 with
 * {"url":..,"expires_at":..} (expires_at 0: null). Browser-cacheable for
 * max_age seconds, privately, varying on Cookie.
 */
enum MHD_Result http_respond_redirect(struct http_request *rq, const char *url,
                                      unsigned max_age, time_t expires_at);

/* The generated initials SVG (strict CSP, nosniff). */
enum MHD_Result http_respond_svg(struct http_request *rq, const char *svg,
                                 size_t len, unsigned max_age);

/* Plain text (or another type) with no-store. */
enum MHD_Result http_respond_text(struct http_request *rq, unsigned status,
                                  const char *ctype, const char *text,
                                  size_t len);

/* The answer to a CORS preflight on an image route (204). */
enum MHD_Result http_respond_preflight(struct http_request *rq);

/* Authenticates, authorises, resolves, signs and answers (serve_image.c). */
enum MHD_Result serve_image(struct http_request *rq);

#endif
