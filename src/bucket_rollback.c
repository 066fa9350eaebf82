/*
 * bucket_rollback.c - the rollback file of enforce-private: the bucket's
 * public-access settings as they were, written before anything changes,
 * and put back by `enforce-private --rollback FILE` (see bucket.h).
 *
 * The file is JSON: {"presignd_rollback": 1, "bucket", "endpoint",
 * "saved_at", "public_access_block": null | {present, four flags},
 * "policy": absent | null | "<policy JSON text>", "ownership": absent |
 * {present, value}, "acls": [{"key": null | "<key>", "owner_id", ...,
 * "grants": [...]}]}.
 * Only what was read is saved; only what is saved is restored.
 */
#include "presignd/bucket.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROLLBACK_VERSION 1

static const char *const grantee_types[] = {"CanonicalUser", "Group",
                                            "AmazonCustomerByEmail", "Unknown"};

static json_t *acl_to_json(const char *key, const struct s3api_acl *acl)
{
    json_t *grants = json_array();

    for (size_t i = 0; i < acl->grant_count; i++) {
        const struct s3api_grant *g = &acl->grants[i];
        json_array_append_new(grants,
                              json_pack("{s:s,s:s,s:s,s:s}", "type",
                                        grantee_types[g->type], "id", g->id,
                                        "display_name", g->display_name,
                                        "permission", g->permission));
    }
    return json_pack("{s:s?,s:s,s:s,s:o}", "key", key, "owner_id",
                     acl->owner_id, "owner_display_name",
                     acl->owner_display_name, "grants", grants);
}

static json_t *pab_to_json(const struct bucket_audit *a)
{
    if (a->pab_check.state != BUCKET_CHECKED)
        return json_null();
    return json_pack("{s:b,s:b,s:b,s:b,s:b}", "present", a->pab_present,
                     "BlockPublicAcls", a->pab.block_public_acls,
                     "IgnorePublicAcls", a->pab.ignore_public_acls,
                     "BlockPublicPolicy", a->pab.block_public_policy,
                     "RestrictPublicBuckets", a->pab.restrict_public_buckets);
}

static json_t *rollback_json(const struct bucket_audit *a,
                             const struct bucket_plan *p)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    json_t *root, *acls = json_array();

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    root = json_pack("{s:i,s:s,s:s,s:s,s:o}", "presignd_rollback",
                     ROLLBACK_VERSION, "bucket", a->bucket, "endpoint",
                     a->endpoint, "saved_at", stamp, "public_access_block",
                     pab_to_json(a));
    if (root == NULL || acls == NULL) {
        json_decref(root);
        json_decref(acls);
        return NULL;
    }
    if (a->policy_check.state == BUCKET_CHECKED)
        json_object_set_new(root, "policy",
                            a->policy_present ? json_string(a->policy)
                                              : json_null());
    if (a->ownership_check.state == BUCKET_CHECKED)
        json_object_set_new(root, "ownership",
                            json_pack("{s:b,s:s}", "present",
                                      a->ownership_present, "value",
                                      a->ownership));
    if (a->acl != NULL)
        json_array_append_new(acls, acl_to_json(NULL, a->acl));
    for (size_t i = 0; i < p->acl_count; i++) {
        for (size_t j = 0; p->acls[i].key && j < a->object_count; j++)
            if (strcmp(a->objects[j].key, p->acls[i].key) == 0)
                json_array_append_new(
                    acls, acl_to_json(a->objects[j].key, a->objects[j].acl));
    }
    json_object_set_new(root, "acls", acls);
    return root;
}

/* Creates DIR/presignd-rollback-BUCKET-STAMP-XXXXXX.json, mode 0600. */
static enum pd_code create_file(const char *dir, const char *bucket,
                                struct pd_buf *path, FILE **out,
                                struct pd_err *err)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int fd;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (pd_buf_printf(path, "%s/presignd-rollback-%s-%s-XXXXXX.json", dir,
                      bucket, stamp) != PD_OK)
        return pd_fail(err, PD_ELIMIT, "rollback path too long");
    fd = mkstemps(path->data, 5); /* never overwrites; creates 0600 */
    if (fd < 0)
        return pd_fail(err, PD_EIO, "cannot create a rollback file in %s", dir);
    *out = fdopen(fd, "w");
    if (*out == NULL) {
        close(fd);
        return pd_fail(err, PD_EIO, "cannot write %s", path->data);
    }
    return PD_OK;
}

enum pd_code bucket_rollback_save(const struct bucket_audit *a,
                                  const struct bucket_plan *p, const char *dir,
                                  struct pd_buf *path, struct pd_err *err)
{
    json_t *root = rollback_json(a, p);
    FILE *f = NULL;
    enum pd_code rc;
    int bad;

    if (root == NULL)
        return pd_fail(err, PD_ENOMEM, "cannot build the rollback document");
    rc = create_file(dir, a->bucket, path, &f, err);
    if (rc != PD_OK) {
        json_decref(root);
        return rc;
    }
    bad = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    bad |= fputc('\n', f) == EOF;
    bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    json_decref(root);
    if (bad) {
        unlink(path->data);
        return pd_fail(err, PD_EIO, "cannot write the rollback file %s",
                       path->data);
    }
    return PD_OK;
}

static enum pd_code acl_from_json(json_t *j, struct s3api_acl *acl,
                                  struct pd_err *err)
{
    const char *owner = NULL, *display = "";
    json_t *grants = NULL, *g;
    size_t i;

    memset(acl, 0, sizeof(*acl));
    if (json_unpack(j, "{s:s,s?s,s:o}", "owner_id", &owner,
                    "owner_display_name", &display, "grants", &grants) != 0 ||
        !json_is_array(grants) || json_array_size(grants) > S3API_MAX_GRANTS)
        return pd_fail(err, PD_EINVAL, "rollback file: malformed ACL");
    snprintf(acl->owner_id, sizeof(acl->owner_id), "%s", owner);
    snprintf(acl->owner_display_name, sizeof(acl->owner_display_name), "%s",
             display);
    json_array_foreach(grants, i, g)
    {
        struct s3api_grant *out = &acl->grants[acl->grant_count++];
        const char *type = "", *id = "", *perm = "", *name = "";
        if (json_unpack(g, "{s:s,s:s,s:s,s?s}", "type", &type, "id", &id,
                        "permission", &perm, "display_name", &name) != 0)
            return pd_fail(err, PD_EINVAL, "rollback file: malformed grant");
        out->type = S3API_GRANTEE_UNKNOWN;
        for (int t = 0; t < 3; t++)
            if (strcmp(type, grantee_types[t]) == 0)
                out->type = (enum s3api_grantee_type)t;
        snprintf(out->id, sizeof(out->id), "%s", id);
        snprintf(out->permission, sizeof(out->permission), "%s", perm);
        snprintf(out->display_name, sizeof(out->display_name), "%s", name);
    }
    return PD_OK;
}

static enum pd_code load_file(const char *path, const char *bucket,
                              json_t **out, struct pd_err *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *name;

    *out = NULL;
    if (root == NULL)
        return pd_fail(err, PD_EINVAL, "rollback file %s: %s", path, jerr.text);
    name = json_object_get(root, "bucket");
    if (json_integer_value(json_object_get(root, "presignd_rollback")) !=
            ROLLBACK_VERSION ||
        !json_is_string(name)) {
        json_decref(root);
        return pd_fail(err, PD_EINVAL,
                       "%s is not a presignd rollback file (version %d)", path,
                       ROLLBACK_VERSION);
    }
    if (bucket != NULL && strcmp(bucket, json_string_value(name)) != 0) {
        pd_fail(err, PD_EINVAL, "rollback file %s is for bucket '%s', not '%s'",
                path, json_string_value(name), bucket);
        json_decref(root);
        return PD_EINVAL;
    }
    *out = root;
    return PD_OK;
}

static enum pd_code restore_acls(const struct bucket_ctx *ctx,
                                 const char *bucket, json_t *acls,
                                 struct pd_buf *log, struct pd_err *err)
{
    struct s3api_acl *acl = malloc(sizeof(*acl));
    enum pd_code rc = acl ? PD_OK : pd_fail(err, PD_ENOMEM, "out of memory");
    json_t *entry;
    size_t i;

    json_array_foreach(acls, i, entry)
    {
        const char *key = json_string_value(json_object_get(entry, "key"));
        size_t from = log->len;

        if (rc == PD_OK)
            rc = acl_from_json(entry, acl, err);
        if (rc == PD_OK)
            rc = s3api_put_acl(ctx->s3, bucket, key, acl, err);
        if (rc == PD_OK)
            rc = pd_buf_printf(log, "restored the ACL of %s%s%s\n", bucket,
                               key ? "/" : "", key ? key : "");
        pd_buf_mask_controls(log, from);
    }
    free(acl);
    return rc;
}

static enum pd_code restore_ownership(const struct bucket_ctx *ctx,
                                      const char *bucket, json_t *own,
                                      struct pd_buf *log, struct pd_err *err)
{
    const char *value = json_string_value(json_object_get(own, "value"));
    enum pd_code rc;

    if (json_is_true(json_object_get(own, "present")) && value != NULL)
        rc = s3api_put_ownership(ctx->s3, bucket, value, err);
    else
        rc = s3api_delete_ownership(ctx->s3, bucket, err);
    if (rc == PD_OK)
        rc = pd_buf_printf(log, "restored object ownership (%s)\n",
                           value && value[0] ? value : "none");
    return rc;
}

static enum pd_code restore_policy(const struct bucket_ctx *ctx,
                                   const char *bucket, json_t *policy,
                                   struct pd_buf *log, struct pd_err *err)
{
    enum pd_code rc;

    if (json_is_string(policy))
        rc = s3api_put_policy(ctx->s3, bucket, json_string_value(policy), err);
    else
        rc = s3api_delete_policy(ctx->s3, bucket, err);
    if (rc == PD_OK)
        rc = pd_buf_printf(log, "restored the bucket policy (%s)\n",
                           json_is_string(policy) ? "as saved" : "none");
    return rc;
}

static enum pd_code restore_pab(const struct bucket_ctx *ctx,
                                const char *bucket, json_t *pab,
                                struct pd_buf *log, struct pd_err *err)
{
    struct s3api_pab flags;
    enum pd_code rc;

    if (!json_is_true(json_object_get(pab, "present")))
        return pd_buf_puts(log, "left Block Public Access unset, as saved\n");
    flags.block_public_acls =
        json_is_true(json_object_get(pab, "BlockPublicAcls"));
    flags.ignore_public_acls =
        json_is_true(json_object_get(pab, "IgnorePublicAcls"));
    flags.block_public_policy =
        json_is_true(json_object_get(pab, "BlockPublicPolicy"));
    flags.restrict_public_buckets =
        json_is_true(json_object_get(pab, "RestrictPublicBuckets"));
    rc = s3api_put_pab(ctx->s3, bucket, &flags, err);
    if (rc == PD_OK)
        rc = pd_buf_puts(log, "restored the Block Public Access flags\n");
    return rc;
}

/* Block Public Access is lifted first (else the store refuses public ACLs
 * and policies) and put back last; ownership precedes the ACLs because
 * BucketOwnerEnforced refuses ACL writes. */
enum pd_code bucket_rollback_restore(const struct bucket_ctx *ctx,
                                     const char *path, struct pd_buf *log,
                                     struct pd_err *err)
{
    json_t *root, *pab, *own, *acls;
    const char *bucket;
    enum pd_code rc = load_file(path, ctx->bucket, &root, err);

    if (rc != PD_OK)
        return rc;
    bucket = json_string_value(json_object_get(root, "bucket"));
    pab = json_object_get(root, "public_access_block");
    own = json_object_get(root, "ownership");
    acls = json_object_get(root, "acls");
    if (json_is_object(pab)) {
        rc = s3api_delete_pab(ctx->s3, bucket, err);
        if (rc == PD_OK)
            rc = pd_buf_puts(log, "lifted Block Public Access to restore\n");
    }
    if (rc == PD_OK && json_is_object(own))
        rc = restore_ownership(ctx, bucket, own, log, err);
    if (rc == PD_OK && json_is_array(acls))
        rc = restore_acls(ctx, bucket, acls, log, err);
    if (rc == PD_OK && json_object_get(root, "policy") != NULL)
        rc = restore_policy(ctx, bucket, json_object_get(root, "policy"), log,
                            err);
    if (rc == PD_OK && json_is_object(pab))
        rc = restore_pab(ctx, bucket, pab, log, err);
    json_decref(root);
    return rc;
}
