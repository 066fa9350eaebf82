/*
 * bucket_audit.c - reads a bucket's public-access settings, probes sampled
 * objects, counts legacy-only rows in Postgres, and reaches a verdict (see
 * bucket.h).
 */
#include "presignd/bucket.h"

#include "presignd/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_EXPIRES 300 /* seconds a probe's presigned URL lives */

static void check_set(struct bucket_check *c, enum bucket_state state,
                      const char *detail)
{
    c->state = state;
    snprintf(c->detail, sizeof(c->detail), "%s", detail ? detail : "");
    /* one line per finding: libpq's messages span several */
    for (char *p = c->detail; *p != '\0'; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
}

/* Records the outcome of one read: unsupported is not a failure. */
static void check_from(struct bucket_check *c, enum pd_code rc,
                       const struct pd_err *err)
{
    if (rc == PD_OK)
        check_set(c, BUCKET_CHECKED, "");
    else
        check_set(c, rc == PD_EUNSUPPORTED ? BUCKET_UNSUPPORTED : BUCKET_FAILED,
                  err->msg);
}

static void add_reason(struct bucket_audit *a, const char *fmt, ...)
    PD_PRINTF(2, 3);

static void add_reason(struct bucket_audit *a, const char *fmt, ...)
{
    va_list ap;

    if (a->reason_count == BUCKET_MAX_REASONS)
        return;
    va_start(ap, fmt);
    vsnprintf(a->reasons[a->reason_count], sizeof(a->reasons[0]), fmt, ap);
    va_end(ap);
    /* reasons quote keys and store messages: keep them one printable line */
    for (char *p = a->reasons[a->reason_count]; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    a->reason_count++;
}

static size_t count_public_grants(const struct s3api_acl *acl)
{
    size_t n = 0;

    for (size_t i = 0; i < acl->grant_count; i++)
        if (s3api_grant_public_group(&acl->grants[i]) != NULL)
            n++;
    return n;
}

/* The bucket ACL comes first: it also proves the bucket exists and the
 * credentials work, so its failure ends the audit. */
static enum pd_code read_bucket_acl(const struct bucket_ctx *ctx,
                                    struct bucket_audit *a, struct pd_err *err)
{
    enum pd_code rc;

    a->acl = calloc(1, sizeof(*a->acl));
    if (a->acl == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    rc = s3api_get_acl(ctx->s3, ctx->bucket, NULL, a->acl, err);
    check_from(&a->acl_check, rc, err);
    if (rc == PD_ENOTFOUND || rc == PD_EAUTH || rc == PD_EIO || rc == PD_ENOMEM)
        return rc;
    if (rc == PD_OK)
        a->acl_public_grants = count_public_grants(a->acl);
    else {
        free(a->acl);
        a->acl = NULL;
    }
    return PD_OK;
}

static void read_policy(const struct bucket_ctx *ctx, struct bucket_audit *a)
{
    struct pd_buf json;
    struct pd_err err;
    enum pd_code rc;

    pd_buf_init(&json, S3API_MAX_BODY);
    rc =
        s3api_get_policy(ctx->s3, ctx->bucket, &json, &a->policy_present, &err);
    if (rc == PD_OK && a->policy_present) {
        rc = bucket_policy_split(json.data, &a->public_statements,
                                 &a->public_statement_count, NULL, &err);
        a->policy = pd_buf_detach(&json, NULL);
        if (a->policy == NULL && rc == PD_OK)
            rc = pd_fail(&err, PD_ENOMEM, "out of memory");
    }
    check_from(&a->policy_check, rc, &err);
    pd_buf_release(&json);

    rc = s3api_get_policy_status(ctx->s3, ctx->bucket, &a->status_public, &err);
    check_from(&a->status_check, rc, &err);
}

static void read_settings(const struct bucket_ctx *ctx, struct bucket_audit *a)
{
    struct pd_err err;
    enum pd_code rc;

    rc = s3api_get_pab(ctx->s3, ctx->bucket, &a->pab, &a->pab_present, &err);
    check_from(&a->pab_check, rc, &err);
    read_policy(ctx, a);
    rc = s3api_get_ownership(ctx->s3, ctx->bucket, a->ownership,
                             sizeof(a->ownership), &a->ownership_present, &err);
    check_from(&a->ownership_check, rc, &err);
}

static void probe(struct s3api_client *s3, const char *url,
                  struct bucket_probe *p)
{
    struct s3api_probe r;
    struct pd_err err;
    enum pd_code rc = s3api_probe_get(s3, url, &r, &err);

    check_from(&p->check, rc, &err);
    p->status = r.status;
    memcpy(p->code, r.code, sizeof(p->code));
}

/* Anonymous GET (must be denied) and presigned GET (must work) of a key,
 * or, with key NULL, an anonymous listing of the bucket. */
static void probe_object(const struct bucket_ctx *ctx, const char *key,
                         struct bucket_probe *anon, struct bucket_probe *pre)
{
    struct pd_buf url;
    struct pd_err err;
    enum pd_code rc;

    pd_buf_init(&url, 8192);
    rc = s3api_anonymous_url(ctx->s3, ctx->bucket, key, &url, &err);
    if (rc == PD_OK)
        probe(ctx->s3, url.data, anon);
    else
        check_from(&anon->check, rc, &err);
    if (pre != NULL) {
        pd_buf_reset(&url);
        rc = s3api_presign_get(ctx->s3, ctx->bucket, key, time(NULL),
                               PROBE_EXPIRES, &url, &err);
        if (rc == PD_OK)
            probe(ctx->s3, url.data, pre);
        else
            check_from(&pre->check, rc, &err);
    }
    pd_buf_release_wipe(&url); /* it held a signature */
}

static void audit_object(const struct bucket_ctx *ctx, struct bucket_object *o)
{
    struct pd_err err;
    enum pd_code rc;

    o->acl = calloc(1, sizeof(*o->acl));
    rc = o->acl ? s3api_get_acl(ctx->s3, ctx->bucket, o->key, o->acl, &err)
                : pd_fail(&err, PD_ENOMEM, "out of memory");
    check_from(&o->acl_check, rc, &err);
    if (rc == PD_ENOTFOUND)
        check_set(&o->acl_check, BUCKET_SKIPPED, "object does not exist");
    if (rc == PD_OK) {
        o->public_grants = count_public_grants(o->acl);
    } else {
        free(o->acl);
        o->acl = NULL;
    }
    probe_object(ctx, o->key, &o->anonymous, &o->presigned);
}

/* Runs a query whose one row and column is a count. */
static enum pd_code db_count(const struct bucket_ctx *ctx, const char *name,
                             long long *out, struct pd_err *err)
{
    const char *sql, *params[1] = {ctx->bucket};
    PGresult *res;
    enum pd_code rc = hostsql_require(ctx->queries, name, &sql, err);

    if (rc != PD_OK)
        return rc;
    res = PQexecParams(ctx->db, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return db_fail(err, res, ctx->db, name);
    *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return PD_OK;
}

static enum pd_code copy_keys(const struct bucket_ctx *ctx,
                              struct bucket_audit *a, struct pd_err *err)
{
    a->objects = calloc(ctx->key_count + 1, sizeof(*a->objects));
    for (size_t i = 0; a->objects != NULL && i < ctx->key_count; i++) {
        a->objects[i].key = strdup(ctx->keys[i]);
        if (a->objects[i].key == NULL)
            break;
        a->object_count++;
    }
    if (a->objects == NULL || a->object_count != ctx->key_count)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    return PD_OK;
}

static enum pd_code db_sample(const struct bucket_ctx *ctx,
                              struct bucket_audit *a, struct pd_err *err)
{
    char limit[16];
    const char *sql, *params[2] = {ctx->bucket, limit};
    PGresult *res;
    enum pd_code rc =
        hostsql_require(ctx->queries, "bucket_sample_keys", &sql, err);
    int rows;

    if (rc != PD_OK || ctx->sample == 0)
        return rc;
    if (ctx->keys != NULL)
        return copy_keys(ctx, a, err);
    snprintf(limit, sizeof(limit), "%u", ctx->sample);
    res = PQexecParams(ctx->db, sql, 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(err, res, ctx->db, "bucket_sample_keys");
    rows = PQntuples(res);
    a->objects = calloc((size_t)rows + 1, sizeof(*a->objects));
    for (int i = 0; a->objects != NULL && i < rows; i++) {
        a->objects[i].key = strdup(PQgetvalue(res, i, 0));
        if (a->objects[i].key == NULL)
            break;
        a->object_count++;
    }
    PQclear(res);
    if (a->objects == NULL || a->object_count != (size_t)rows)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    return PD_OK;
}

/* Streams the candidate rows and parses each URL: only a real parse can
 * tell whether a URL that mentions the bucket's name points into it. */
static enum pd_code db_legacy(const struct bucket_ctx *ctx, long long *out,
                              struct pd_err *err)
{
    const char *sql, *params[1] = {ctx->bucket};
    struct s3url_result *parsed = malloc(sizeof(*parsed));
    enum pd_code rc =
        hostsql_require(ctx->queries, "bucket_legacy_candidates", &sql, err);
    PGresult *res;

    *out = 0;
    if (rc == PD_OK && parsed == NULL)
        rc = pd_fail(err, PD_ENOMEM, "out of memory");
    if (rc == PD_OK &&
        (!PQsendQueryParams(ctx->db, sql, 1, NULL, params, NULL, NULL, 0) ||
         !PQsetSingleRowMode(ctx->db)))
        rc = db_fail(err, NULL, ctx->db, "bucket_legacy_candidates");
    while (rc == PD_OK && (res = PQgetResult(ctx->db)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE) {
            if (s3url_parse(ctx->legacy, PQgetvalue(res, 0, 2), parsed) ==
                    PD_OK &&
                strcmp(parsed->bucket, ctx->bucket) == 0)
                (*out)++;
        } else if (st != PGRES_TUPLES_OK) {
            rc = db_fail(err, res, ctx->db, "bucket_legacy_candidates");
            res = NULL;
        }
        PQclear(res);
    }
    while (rc != PD_OK && (res = PQgetResult(ctx->db)) != NULL)
        PQclear(res); /* drain, so the connection stays usable */
    free(parsed);
    return rc;
}

static void read_db(const struct bucket_ctx *ctx, struct bucket_audit *a)
{
    struct pd_err err;
    enum pd_code rc;

    if (ctx->db == NULL) {
        check_set(&a->db_check, BUCKET_FAILED,
                  ctx->db_error ? ctx->db_error : "no database connection");
        return;
    }
    rc = db_count(ctx, "bucket_ref_count", &a->refs, &err);
    if (rc == PD_OK)
        rc = db_sample(ctx, a, &err);
    if (rc == PD_OK)
        rc = db_legacy(ctx, &a->legacy_rows, &err);
    check_from(&a->db_check, rc, &err);
}

static bool denied(long status)
{
    return status == 401 || status == 403;
}

static bool public_by_settings(struct bucket_audit *a)
{
    bool acls_count =
        !(a->pab_check.state == BUCKET_CHECKED && a->pab.ignore_public_acls);
    bool found = false;

    /* Counted whatever the flags say: radosgw does not enforce
     * RestrictPublicBuckets, so only removing the statement closes it. */
    if (a->public_statement_count > 0) {
        add_reason(a, "the bucket policy has %zu public statement(s)",
                   a->public_statement_count);
        found = true;
    }
    if (acls_count && a->acl_public_grants > 0) {
        add_reason(a, "the bucket ACL has %zu public grant(s)",
                   a->acl_public_grants);
        found = true;
    }
    for (size_t i = 0; acls_count && i < a->object_count; i++) {
        if (a->objects[i].public_grants > 0) {
            add_reason(a, "object '%s' has a public ACL grant",
                       a->objects[i].key);
            found = true;
        }
    }
    return found;
}

static bool public_by_probes(struct bucket_audit *a)
{
    bool found = false;

    if (a->listing.check.state == BUCKET_CHECKED &&
        a->listing.status / 100 == 2) {
        add_reason(a, "anonymous listing of the bucket answered %ld",
                   a->listing.status);
        found = true;
    }
    for (size_t i = 0; i < a->object_count; i++) {
        const struct bucket_probe *p = &a->objects[i].anonymous;
        if (p->check.state == BUCKET_CHECKED && !denied(p->status) &&
            p->status != 404) {
            add_reason(a, "anonymous GET of '%s' answered %ld",
                       a->objects[i].key, p->status);
            found = true;
        }
    }
    return found;
}

/* A check the verdict needs failed (unsupported ones are only noted). */
static bool something_unchecked(struct bucket_audit *a)
{
    const struct {
        const struct bucket_check *c;
        const char *what;
    } checks[] = {
        {&a->pab_check, "Block Public Access"},
        {&a->policy_check, "bucket policy"},
        {&a->acl_check, "bucket ACL"},
        {&a->listing.check, "anonymous listing probe"},
        {&a->db_check, "database"},
    };
    bool found = false;

    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (checks[i].c->state == BUCKET_FAILED) {
            add_reason(a, "could not check the %s: %s", checks[i].what,
                       checks[i].c->detail);
            found = true;
        }
    }
    for (size_t i = 0; i < a->object_count; i++) {
        const struct bucket_object *o = &a->objects[i];
        if (o->acl_check.state == BUCKET_FAILED ||
            o->anonymous.check.state == BUCKET_FAILED ||
            o->presigned.check.state == BUCKET_FAILED) {
            add_reason(a, "could not check object '%s'", o->key);
            found = true;
        }
    }
    return found;
}

static bool not_ready(struct bucket_audit *a)
{
    bool found = false;

    if (a->legacy_rows > 0) {
        add_reason(a,
                   "%lld row(s) still reach the bucket only through a "
                   "legacy public URL (run presignd backfill)",
                   a->legacy_rows);
        found = true;
    }
    for (size_t i = 0; i < a->object_count; i++) {
        const struct bucket_probe *p = &a->objects[i].presigned;
        if (p->check.state == BUCKET_CHECKED && p->status / 100 != 2) {
            add_reason(a, "presigned GET of '%s' answered %ld %s",
                       a->objects[i].key, p->status, p->code);
            found = true;
        }
    }
    return found;
}

/* Every finding is listed; the verdict is the worst of them, in the order
 * public (proven exposure), could not check, not ready. */
static void decide(struct bucket_audit *a)
{
    bool pub = public_by_settings(a);
    bool unchecked, unready;

    pub = public_by_probes(a) || pub;
    unchecked = something_unchecked(a);
    unready = not_ready(a);
    if (pub)
        a->verdict = BUCKET_PUBLIC;
    else if (unchecked)
        a->verdict = BUCKET_UNKNOWN;
    else if (unready)
        a->verdict = BUCKET_NOT_READY;
    else
        a->verdict = BUCKET_PRIVATE_READY;
    if (a->ownership_check.state == BUCKET_UNSUPPORTED)
        add_reason(a, "note: the store does not support object ownership "
                      "controls; ACLs stay on");
    if (a->status_check.state == BUCKET_UNSUPPORTED)
        add_reason(a, "note: the store does not compute a policy status; "
                      "the statements were judged by presignd");
}

enum pd_code bucket_audit_run(const struct bucket_ctx *ctx,
                              struct bucket_audit *out, struct pd_err *err)
{
    enum pd_code rc;

    memset(out, 0, sizeof(*out));
    snprintf(out->bucket, sizeof(out->bucket), "%s", ctx->bucket);
    snprintf(out->endpoint, sizeof(out->endpoint), "%s",
             s3api_client_endpoint_url(ctx->s3));
    rc = sigv4_bucket_validate(ctx->bucket, err);
    if (rc == PD_OK)
        rc = read_bucket_acl(ctx, out, err);
    if (rc != PD_OK) {
        bucket_audit_release(out);
        snprintf(out->bucket, sizeof(out->bucket), "%s", ctx->bucket);
        return rc;
    }
    read_settings(ctx, out);
    read_db(ctx, out);
    probe_object(ctx, NULL, &out->listing, NULL);
    for (size_t i = 0; i < out->object_count; i++)
        audit_object(ctx, &out->objects[i]);
    decide(out);
    return PD_OK;
}

void bucket_audit_release(struct bucket_audit *a)
{
    for (size_t i = 0; i < a->object_count; i++) {
        free(a->objects[i].key);
        free(a->objects[i].acl);
    }
    free(a->objects);
    free(a->acl);
    free(a->policy);
    free(a->public_statements);
    memset(a, 0, sizeof(*a));
}

const char *bucket_verdict_name(enum bucket_verdict v)
{
    switch (v) {
    case BUCKET_PRIVATE_READY:
        return "private";
    case BUCKET_PUBLIC:
        return "public";
    case BUCKET_NOT_READY:
        return "not ready";
    case BUCKET_UNKNOWN:
        return "could not check";
    }
    return "unknown";
}
