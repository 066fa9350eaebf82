/*
 * jwtauth.h - session cookies that are signed JWTs (HS256 only).
 *
 * The algorithm is pinned: a token whose header names anything but HS256
 * (including "none") is refused whatever its signature. "exp" is required
 * and checked, "nbf" is checked when present. Claims used: "sub" (user
 * id), optional "sid" (session id, checked against the sessions table for
 * revocation) and optional boolean "mfa". Uses Debian's libjwt.
 */
#ifndef PRESIGND_JWTAUTH_H
#define PRESIGND_JWTAUTH_H

#include "presignd/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define JWTAUTH_TOKEN_MAX  4096
#define JWTAUTH_SECRET_MIN 32 /* bytes: HS256 keys shorter are guessable */

struct jwtauth;

/* Reads the HMAC key from path (one trailing newline is dropped). */
PD_MUST_CHECK enum pd_code jwtauth_load(struct jwtauth **out, const char *path,
                                        struct pd_err *err);

/* Like jwtauth_load, from bytes (tests). */
PD_MUST_CHECK enum pd_code jwtauth_new(struct jwtauth **out,
                                       const unsigned char *key, size_t len,
                                       struct pd_err *err);

/* Wipes the key and frees. NULL is allowed. */
void jwtauth_free(struct jwtauth *j);

struct jwtauth_claims {
    char sub[64];
    char sid[64]; /* "" when absent */
    bool mfa;
};

/*
 * Verifies token at time now and fills out. PD_EAUTH with a reason (never
 * the token) when the signature, algorithm, expiry or claims are wrong.
 * Thread-safe.
 */
PD_MUST_CHECK enum pd_code jwtauth_verify(const struct jwtauth *j,
                                          const char *token, time_t now,
                                          struct jwtauth_claims *out,
                                          struct pd_err *err);

#endif
