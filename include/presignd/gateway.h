/*
 * gateway.h - the state every request of `presignd serve` reads (the HTTP
 * server that answers them is in http.h).
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

#endif
