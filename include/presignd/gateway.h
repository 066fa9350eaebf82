/*
 * gateway.h - the state every request of `presignd serve` reads, and the
 * HTTP server that answers them.
 *
 * cmd_serve.c builds one struct gateway, starts the server on it, and owns
 * both. Requests only read the gateway, except for the signer and the JWT
 * key, which SIGHUP replaces: those are atomic pointers, and the replaced
 * objects are retired (kept until exit) rather than freed, because a
 * request on another thread may still be using them. A reload is rare, so
 * the retired list stays tiny.
 */
#ifndef PRESIGND_GATEWAY_H
#define PRESIGND_GATEWAY_H

#include "presignd/access.h"
#include "presignd/error.h"
#include "presignd/jwtauth.h"
#include "presignd/s3url.h"
#include "presignd/serve_config.h"
#include "presignd/sigv4.h"

#include <stdatomic.h>
#include <stdbool.h>

#define GATEWAY_MAX_RETIRED 64

struct gateway {
    const struct serve_config *cfg;
    struct access_store *access;
    struct db_pool *pool;
    struct sigv4_endpoint endpoint;
    struct s3url_config legacy; /* knows our endpoint for path-style URLs */
    _Atomic(struct sigv4_signer *) signer;
    _Atomic(struct jwtauth *) jwt; /* NULL: opaque session tokens */
    atomic_bool draining;          /* answer with Connection: close */
    atomic_uint_fast64_t request_seq;
    char request_id_prefix[12];
    /* Replaced signers and keys, freed by gateway_release. */
    struct sigv4_signer *retired_signers[GATEWAY_MAX_RETIRED];
    struct jwtauth *retired_jwt[GATEWAY_MAX_RETIRED];
    size_t retired_signer_count, retired_jwt_count;
};

/* Installs a new signer (taking ownership), retiring the old one. */
PD_MUST_CHECK enum pd_code gateway_set_signer(struct gateway *gw,
                                              struct sigv4_signer *signer,
                                              struct pd_err *err);

/* Installs a new JWT key (taking ownership; NULL allowed). */
PD_MUST_CHECK enum pd_code
gateway_set_jwt(struct gateway *gw, struct jwtauth *jwt, struct pd_err *err);

/* Frees the signer, key and everything retired (not cfg/access/pool). */
void gateway_release(struct gateway *gw);

/* ---- the HTTP server (http.c) ---- */

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

/* ---- routing (http_route.c; pure) ---- */

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
