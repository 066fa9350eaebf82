/* jwtauth.c - HS256 JWT session cookies via libjwt (see jwtauth.h). */
#include "presignd/jwtauth.h"

#include <errno.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JWTAUTH_SECRET_MAX 1024
#define NBF_LEEWAY_S       5

struct jwtauth {
    size_t len;
    unsigned char key[JWTAUTH_SECRET_MAX];
};

enum pd_code jwtauth_new(struct jwtauth **out, const unsigned char *key,
                         size_t len, struct pd_err *err)
{
    struct jwtauth *j;

    *out = NULL;
    if (len < JWTAUTH_SECRET_MIN || len > JWTAUTH_SECRET_MAX)
        return pd_fail(err, PD_ECONFIG,
                       "JWT secret must be %d to %d bytes long",
                       JWTAUTH_SECRET_MIN, JWTAUTH_SECRET_MAX);
    j = calloc(1, sizeof(*j));
    if (j == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    memcpy(j->key, key, len);
    j->len = len;
    *out = j;
    return PD_OK;
}

enum pd_code jwtauth_load(struct jwtauth **out, const char *path,
                          struct pd_err *err)
{
    unsigned char buf[JWTAUTH_SECRET_MAX + 2];
    size_t n;
    FILE *f = fopen(path, "rb");
    enum pd_code rc;

    *out = NULL;
    if (f == NULL)
        return pd_fail(err, PD_ECONFIG, "cannot open the JWT secret file %s",
                       path);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    rc = jwtauth_new(out, buf, n, err);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

void jwtauth_free(struct jwtauth *j)
{
    if (j == NULL)
        return;
    OPENSSL_cleanse(j, sizeof(*j));
    free(j);
}

/* A claim that may be a JSON string or a number, as text. */
static bool claim_text(jwt_t *jwt, const char *name, char *out, size_t cap)
{
    const char *s = jwt_get_grant(jwt, name);
    long n;

    if (s != NULL) {
        if (s[0] == '\0' || strlen(s) >= cap)
            return false;
        strcpy(out, s);
        return true;
    }
    errno = 0;
    n = jwt_get_grant_int(jwt, name);
    if (errno != 0)
        return false;
    snprintf(out, cap, "%ld", n);
    return true;
}

static enum pd_code check_times(jwt_t *jwt, time_t now, struct pd_err *err)
{
    long exp, nbf;

    errno = 0;
    exp = jwt_get_grant_int(jwt, "exp");
    if (errno != 0)
        return pd_fail(err, PD_EAUTH, "JWT has no numeric exp");
    if ((long long)exp <= (long long)now)
        return pd_fail(err, PD_EAUTH, "JWT expired");
    errno = 0;
    nbf = jwt_get_grant_int(jwt, "nbf");
    if (errno == 0 && (long long)nbf > (long long)now + NBF_LEEWAY_S)
        return pd_fail(err, PD_EAUTH, "JWT not valid yet");
    return PD_OK;
}

enum pd_code jwtauth_verify(const struct jwtauth *j, const char *token,
                            time_t now, struct jwtauth_claims *out,
                            struct pd_err *err)
{
    jwt_t *jwt = NULL;
    enum pd_code rc;

    memset(out, 0, sizeof(*out));
    if (strlen(token) > JWTAUTH_TOKEN_MAX)
        return pd_fail(err, PD_EAUTH, "JWT too long");
    if (jwt_decode(&jwt, token, j->key, (int)j->len) != 0 || jwt == NULL)
        return pd_fail(err, PD_EAUTH, "JWT signature or syntax invalid");
    /* Pinned: libjwt verified with whatever the header named. */
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        rc = pd_fail(err, PD_EAUTH, "JWT algorithm is not HS256");
        goto out;
    }
    rc = check_times(jwt, now, err);
    if (rc != PD_OK)
        goto out;
    if (!claim_text(jwt, "sub", out->sub, sizeof(out->sub))) {
        rc = pd_fail(err, PD_EAUTH, "JWT has no usable sub");
        goto out;
    }
    if (!claim_text(jwt, "sid", out->sid, sizeof(out->sid)))
        out->sid[0] = '\0';
    errno = 0;
    out->mfa = jwt_get_grant_bool(jwt, "mfa") == 1 && errno == 0;
out:
    jwt_free(jwt);
    return rc;
}
