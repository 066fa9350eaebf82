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

/* What a claim holds. libjwt 1.10 reads a claim of another type as the
 * integer 0 without an error, so the type is taken from its JSON text. */
enum claim_kind { CLAIM_ABSENT, CLAIM_TEXT, CLAIM_INT, CLAIM_OTHER };

static enum claim_kind claim_kind(jwt_t *jwt, const char *name)
{
    char *json = jwt_get_grants_json(jwt, name);
    const char *digits;
    enum claim_kind k = CLAIM_OTHER;

    if (json == NULL)
        return CLAIM_ABSENT;
    digits = json + (json[0] == '-');
    if (json[0] == '"')
        k = CLAIM_TEXT;
    else if (digits[0] != '\0' && digits[strspn(digits, "0123456789")] == '\0')
        k = CLAIM_INT;
    free(json);
    return k;
}

/* A claim that is a non-empty JSON string or an integer, as text. */
static bool claim_text(jwt_t *jwt, const char *name, char *out, size_t cap)
{
    enum claim_kind k = claim_kind(jwt, name);
    const char *s;

    if (k == CLAIM_INT) {
        errno = 0;
        snprintf(out, cap, "%ld", jwt_get_grant_int(jwt, name));
        return errno == 0;
    }
    s = k == CLAIM_TEXT ? jwt_get_grant(jwt, name) : NULL;
    if (s == NULL || s[0] == '\0' || strlen(s) >= cap)
        return false;
    strcpy(out, s);
    return true;
}

static enum pd_code check_times(jwt_t *jwt, time_t now, struct pd_err *err)
{
    long exp, nbf;

    if (claim_kind(jwt, "exp") != CLAIM_INT)
        return pd_fail(err, PD_EAUTH, "JWT has no numeric exp");
    errno = 0;
    exp = jwt_get_grant_int(jwt, "exp");
    if (errno != 0)
        return pd_fail(err, PD_EAUTH, "JWT has no numeric exp");
    if ((long long)exp <= (long long)now)
        return pd_fail(err, PD_EAUTH, "JWT expired");
    switch (claim_kind(jwt, "nbf")) {
    case CLAIM_ABSENT:
        return PD_OK;
    case CLAIM_INT:
        break;
    default:
        return pd_fail(err, PD_EAUTH, "JWT nbf is not a number");
    }
    errno = 0;
    nbf = jwt_get_grant_int(jwt, "nbf");
    if (errno != 0)
        return pd_fail(err, PD_EAUTH, "JWT nbf is not a number");
    if ((long long)nbf > (long long)now + NBF_LEEWAY_S)
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
    /* A sid that is there but unusable (too long, not text or an integer)
     * is refused: ignoring it would skip the revocation check. */
    if (claim_kind(jwt, "sid") != CLAIM_ABSENT &&
        !claim_text(jwt, "sid", out->sid, sizeof(out->sid))) {
        rc = pd_fail(err, PD_EAUTH, "JWT sid is not usable");
        goto out;
    }
    errno = 0;
    out->mfa = jwt_get_grant_bool(jwt, "mfa") == 1 && errno == 0;
out:
    jwt_free(jwt);
    return rc;
}
