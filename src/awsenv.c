/*
 * awsenv.c - AWS credentials, region and endpoint from the environment and
 * the shared credentials file, the way the AWS CLI and SDKs find them.
 *
 * Deliberately absent: instance metadata (IMDS), ECS/SSO providers and
 * credential_process. presignd never makes a network call to find
 * credentials, so nothing here can reach a metadata address.
 */
#include "presignd/awsenv.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES (SIGV4_TOKEN_MAX + 256)

static const char *env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

const char *awsenv_region(void)
{
    const char *r = env("AWS_REGION");

    return r != NULL ? r : env("AWS_DEFAULT_REGION");
}

const char *awsenv_endpoint_url(void)
{
    const char *e = env("AWS_ENDPOINT_URL_S3");

    return e != NULL ? e : env("AWS_ENDPOINT_URL");
}

static enum pd_code copy_field(char *dst, size_t cap, const char *v,
                               const char *what, struct pd_err *err)
{
    size_t n = strlen(v);

    if (n >= cap)
        return pd_fail(err, PD_ECONFIG, "%s is longer than %zu characters",
                       what, cap - 1);
    memcpy(dst, v, n + 1);
    return PD_OK;
}

/* RFC 3339 ("2026-12-04T16:00:00Z", fractions and +hh:mm offsets too). */
static enum pd_code parse_rfc3339(const char *s, time_t *out,
                                  struct pd_err *err)
{
    char amz[17];
    const char *p = s + 19;
    long off = 0;

    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        goto bad;
    snprintf(amz, sizeof(amz), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", s, s + 5, s + 8,
             s + 11, s + 14, s + 17);
    if (sigv4_parse_amz_date(amz, out, NULL) != PD_OK)
        goto bad;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && p[3] == ':') {
        off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L +
              ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        *out -= p[0] == '+' ? off : -off;
    } else if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0) {
        goto bad;
    }
    return PD_OK;
bad:
    return pd_fail(err, PD_ECONFIG,
                   "AWS_CREDENTIAL_EXPIRATION '%.40s' is not an RFC 3339 "
                   "time",
                   s);
}

static enum pd_code from_env(struct sigv4_credentials *c, const char *akid,
                             const char *secret, struct pd_err *err)
{
    const char *token = env("AWS_SESSION_TOKEN");
    const char *exp = env("AWS_CREDENTIAL_EXPIRATION");
    enum pd_code rc;

    if (akid == NULL || secret == NULL)
        return pd_fail(err, PD_ECONFIG, "%s is set but %s is not",
                       akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                       akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    rc = copy_field(c->access_key_id, sizeof(c->access_key_id), akid,
                    "AWS_ACCESS_KEY_ID", err);
    if (rc == PD_OK)
        rc = copy_field(c->secret_access_key, sizeof(c->secret_access_key),
                        secret, "AWS_SECRET_ACCESS_KEY", err);
    if (rc == PD_OK && token != NULL)
        rc = copy_field(c->session_token, sizeof(c->session_token), token,
                        "AWS_SESSION_TOKEN", err);
    if (rc == PD_OK && exp != NULL)
        rc = parse_rfc3339(exp, &c->expiration, err);
    return rc;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s &&
           (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* One "key = value" line of the wanted profile. */
static enum pd_code profile_line(struct sigv4_credentials *c, char *line,
                                 struct pd_err *err)
{
    char *eq = strchr(line, '='), *k, *v;

    if (eq == NULL)
        return PD_OK;
    *eq = '\0';
    k = trim(line);
    v = trim(eq + 1);
    if (strcasecmp(k, "aws_access_key_id") == 0)
        return copy_field(c->access_key_id, sizeof(c->access_key_id), v,
                          "aws_access_key_id", err);
    if (strcasecmp(k, "aws_secret_access_key") == 0)
        return copy_field(c->secret_access_key, sizeof(c->secret_access_key), v,
                          "aws_secret_access_key", err);
    if (strcasecmp(k, "aws_session_token") == 0 ||
        strcasecmp(k, "aws_security_token") == 0)
        return copy_field(c->session_token, sizeof(c->session_token), v,
                          "aws_session_token", err);
    return PD_OK;
}

/* Reads profile from the INI file f; *found says whether it exists. */
static enum pd_code read_profile(struct sigv4_credentials *c, FILE *f,
                                 const char *profile, bool *found,
                                 struct pd_err *err)
{
    char line[LINE_MAX_BYTES];
    bool in = false;
    enum pd_code rc = PD_OK;

    while (rc == PD_OK && fgets(line, sizeof(line), f) != NULL) {
        char *s = trim(line);
        size_t n = strlen(s);
        if (n == 0 || s[0] == '#' || s[0] == ';')
            continue;
        if (s[0] == '[' && s[n - 1] == ']') {
            s[n - 1] = '\0';
            in = strcmp(trim(s + 1), profile) == 0;
            *found = *found || in;
            continue;
        }
        if (in)
            rc = profile_line(c, s, err);
    }
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

static enum pd_code from_file(struct sigv4_credentials *c, struct pd_err *err)
{
    const char *profile = env("AWS_PROFILE"),
               *file = env("AWS_SHARED_CREDENTIALS_FILE"), *home = env("HOME");
    char path[4096];
    bool found = false;
    FILE *f;
    enum pd_code rc;

    if (file != NULL && strncmp(file, "~/", 2) == 0 && home != NULL)
        snprintf(path, sizeof(path), "%s/%s", home, file + 2);
    else if (file != NULL)
        snprintf(path, sizeof(path), "%s", file);
    else
        snprintf(path, sizeof(path), "%s/.aws/credentials",
                 home != NULL ? home : "");
    f = fopen(path, "r");
    if (f == NULL && profile == NULL && file == NULL)
        return pd_fail(err, PD_ECONFIG,
                       "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                       "AWS_SECRET_ACCESS_KEY, or add a [default] profile "
                       "to ~/.aws/credentials");
    if (f == NULL)
        return pd_fail(err, PD_ECONFIG, "cannot read the credentials file %s",
                       path);
    rc = read_profile(c, f, profile ? profile : "default", &found, err);
    fclose(f);
    if (rc != PD_OK)
        return rc;
    if (!found)
        return pd_fail(err, PD_ECONFIG, "profile '%s' not found in %s",
                       profile ? profile : "default", path);
    if (c->access_key_id[0] == '\0' || c->secret_access_key[0] == '\0')
        return pd_fail(err, PD_ECONFIG, "profile '%s' in %s lacks %s",
                       profile ? profile : "default", path,
                       c->access_key_id[0] == '\0' ? "aws_access_key_id"
                                                   : "aws_secret_access_key");
    return PD_OK;
}

enum pd_code awsenv_credentials(struct sigv4_credentials *c, struct pd_err *err)
{
    const char *akid = env("AWS_ACCESS_KEY_ID");
    const char *secret = env("AWS_SECRET_ACCESS_KEY");
    enum pd_code rc;

    memset(c, 0, sizeof(*c));
    if (akid != NULL || secret != NULL)
        rc = from_env(c, akid, secret, err);
    else
        rc = from_file(c, err);
    if (rc != PD_OK)
        sigv4_credentials_wipe(c);
    return rc;
}
