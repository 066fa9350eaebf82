/*
 * http.h - the HTTP side of `presignd serve`: the libmicrohttpd server
 * (http.c) and the URL space it answers (http_route.c).
 */
#ifndef PRESIGND_HTTP_H
#define PRESIGND_HTTP_H

#include "presignd/access.h"
#include "presignd/error.h"
#include "presignd/gateway.h"

#include <stdbool.h>

struct http_server;

/*
 * Listens on cfg->listen_host:listen_port (port 0: any free port) with
 * libmicrohttpd: epoll, one thread per worker, limits from the config.
 */
PD_MUST_CHECK enum pd_code http_server_start(struct http_server **out,
                                             struct gateway *gw,
                                             struct pd_err *err);

/* The port actually bound. */
unsigned http_server_port(const struct http_server *s);

/*
 * Stops accepting, lets in-flight requests finish for up to timeout_ms,
 * then stops the threads and frees.
 */
void http_server_drain_and_stop(struct http_server *s, unsigned timeout_ms);

/* Routing (http_route.c): pure. */

enum http_route_kind {
    HTTP_ROUTE_IMAGE = 0,
    HTTP_ROUTE_HEALTHZ,
    HTTP_ROUTE_READYZ,
    HTTP_ROUTE_METRICS,
};

struct http_route {
    enum http_route_kind kind;
    bool me;                     /* /v1/me/... */
    enum access_kind image;      /* for HTTP_ROUTE_IMAGE */
    char subject[ACCESS_ID_MAX]; /* for /v1/users/{id}/... */
    int metric;                  /* enum metrics_route */
};

/*
 * Parses a request path (no query string). PD_ENOTFOUND for unknown paths,
 * PD_EINVAL for a known shape with a malformed id (ids are 1-63 bytes of
 * A-Z a-z 0-9 '-' '_').
 */
PD_MUST_CHECK enum pd_code http_route_parse(const char *path,
                                            struct http_route *out);

#endif
