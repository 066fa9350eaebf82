/*
 * bucket_setup.c - the S3 client, database connection, queries and legacy
 * URL rules an audit or enforcement needs, built from the environment (see
 * bucket_session_init in bucket.h).
 */
#include "presignd/bucket.h"

#include "presignd/awsenv.h"
#include "presignd/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * PRESIGND_S3_RESOLVE: comma-separated "HOST:PORT:ADDRESS" pins (curl's
 * --resolve form), so a named endpoint is reached without a DNS lookup.
 * *pins keeps the split copy the config's entries point into.
 */
static enum pd_code read_pins(struct s3api_config *cfg, char **pins,
                              struct pd_err *err)
{
    const char *v = getenv("PRESIGND_S3_RESOLVE");
    char *item, *save = NULL;

    if (v == NULL || v[0] == '\0')
        return PD_OK;
    *pins = strdup(v);
    if (*pins == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    for (item = strtok_r(*pins, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        if (cfg->resolve_count == S3API_MAX_RESOLVE)
            return pd_fail(err, PD_ECONFIG,
                           "PRESIGND_S3_RESOLVE: more than %d pins",
                           S3API_MAX_RESOLVE);
        cfg->resolve[cfg->resolve_count++] = item;
    }
    return PD_OK;
}

static enum pd_code open_s3(struct bucket_session *s, struct pd_err *err)
{
    struct sigv4_credentials creds;
    struct s3api_config cfg;
    enum pd_code rc;

    char *pins = NULL;

    memset(&creds, 0, sizeof(creds));
    s3api_config_init(&cfg);
    rc = awsenv_credentials(&creds, err);
    if (rc == PD_OK)
        rc = read_pins(&cfg, &pins, err);
    if (rc == PD_OK)
        rc = s3api_client_new(&s->s3, &cfg, &creds, err);
    sigv4_credentials_wipe(&creds);
    free(pins);
    return rc;
}

/* Adds each entry of a comma-separated environment variable. */
static enum pd_code add_env_list(struct s3url_config *c, const char *name,
                                 bool cdn, struct pd_err *err)
{
    const char *v = getenv(name);
    char *copy, *item, *save = NULL;
    enum pd_code rc = PD_OK;

    if (v == NULL || v[0] == '\0')
        return PD_OK;
    copy = strdup(v);
    if (copy == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    for (item = strtok_r(copy, ",", &save); item != NULL && rc == PD_OK;
         item = strtok_r(NULL, ",", &save))
        rc = cdn ? s3url_config_add_cdn(c, item, err)
                 : s3url_config_add_endpoint(c, item, err);
    free(copy);
    return rc;
}

static enum pd_code open_legacy(struct bucket_session *s,
                                const struct bucket_session_options *o,
                                struct pd_err *err)
{
    const char *ep = s3api_client_endpoint_url(s->s3);
    enum pd_code rc = PD_OK;

    rc = s3url_config_add_store(&s->legacy, ep, NULL, err);
    for (size_t i = 0; rc == PD_OK && i < o->legacy_endpoint_count; i++)
        rc = s3url_config_add_endpoint(&s->legacy, o->legacy_endpoints[i], err);
    for (size_t i = 0; rc == PD_OK && i < o->legacy_cdn_count; i++)
        rc = s3url_config_add_cdn(&s->legacy, o->legacy_cdns[i], err);
    /* the same variables `presignd backfill` reads */
    if (rc == PD_OK)
        rc = add_env_list(&s->legacy, "PRESIGND_S3_ENDPOINTS", false, err);
    if (rc == PD_OK)
        rc = add_env_list(&s->legacy, "PRESIGND_CDNS", true, err);
    return rc;
}

static void open_db(struct bucket_session *s)
{
    struct pd_err err;

    if (db_connect(&s->db, NULL, &err) != PD_OK) {
        s->db = NULL;
        snprintf(s->db_error, sizeof(s->db_error), "%s", err.msg);
    }
}

enum pd_code bucket_session_init(struct bucket_session *s,
                                 const struct bucket_session_options *o,
                                 struct pd_err *err)
{
    enum pd_code rc;

    memset(s, 0, sizeof(*s));
    s3url_config_init(&s->legacy);
    rc = open_s3(s, err);
    if (rc == PD_OK)
        rc = open_legacy(s, o, err);
    if (rc == PD_OK)
        rc = hostsql_load(&s->queries, NULL, err);
    if (rc != PD_OK) {
        bucket_session_release(s);
        return rc;
    }
    if (o->need_db)
        open_db(s);
    else
        snprintf(s->db_error, sizeof(s->db_error), "not connected");
    s->ctx.bucket = o->bucket;
    s->ctx.sample = o->sample;
    s->ctx.s3 = s->s3;
    s->ctx.db = s->db;
    s->ctx.db_error = s->db_error;
    s->ctx.queries = s->queries;
    s->ctx.legacy = &s->legacy;
    return PD_OK;
}

void bucket_session_release(struct bucket_session *s)
{
    s3api_client_free(s->s3);
    if (s->db != NULL)
        PQfinish(s->db);
    hostsql_free(s->queries);
    s3url_config_release(&s->legacy);
    memset(s, 0, sizeof(*s));
}
