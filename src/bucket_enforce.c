/*
 * bucket_enforce.c - turns an audit into the changes that make a bucket
 * private, describes them, applies them in a safe order, and judges the
 * audit made afterwards (see bucket.h).
 */
#include "presignd/bucket.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct s3api_pab all_on = {true, true, true, true};

static bool pab_all_on(const struct s3api_pab *p)
{
    return p->block_public_acls && p->ignore_public_acls &&
           p->block_public_policy && p->restrict_public_buckets;
}

/* Copies acl without its grants to AllUsers and AuthenticatedUsers. */
static struct s3api_acl *acl_without_public(const struct s3api_acl *acl,
                                            size_t *removed)
{
    struct s3api_acl *out = malloc(sizeof(*out));

    *removed = 0;
    if (out == NULL)
        return NULL;
    *out = *acl;
    out->grant_count = 0;
    for (size_t i = 0; i < acl->grant_count; i++) {
        if (s3api_grant_public_group(&acl->grants[i]) != NULL)
            (*removed)++;
        else
            out->grants[out->grant_count++] = acl->grants[i];
    }
    return out;
}

static enum pd_code plan_acl(struct bucket_plan *p, const char *key,
                             const struct s3api_acl *acl, struct pd_err *err)
{
    struct bucket_acl_change *ch = &p->acls[p->acl_count];

    ch->acl = acl_without_public(acl, &ch->removed);
    ch->key = key ? strdup(key) : NULL;
    if (ch->acl == NULL || (key != NULL && ch->key == NULL)) {
        free(ch->acl);
        free(ch->key);
        return pd_fail(err, PD_ENOMEM, "out of memory");
    }
    p->acl_count++;
    return PD_OK;
}

static enum pd_code plan_acls(const struct bucket_audit *a,
                              struct bucket_plan *p, struct pd_err *err)
{
    enum pd_code rc = PD_OK;

    p->acls = calloc(a->object_count + 1, sizeof(*p->acls));
    if (p->acls == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    if (a->acl != NULL && a->acl_public_grants > 0)
        rc = plan_acl(p, NULL, a->acl, err);
    for (size_t i = 0; i < a->object_count && rc == PD_OK; i++)
        if (a->objects[i].acl != NULL && a->objects[i].public_grants > 0)
            rc = plan_acl(p, a->objects[i].key, a->objects[i].acl, err);
    return rc;
}

/* The settings a plan rests on must have been read (or be unsupported by
 * the store, which then has nothing of that kind to change). */
static enum pd_code plan_inputs_ok(const struct bucket_audit *a,
                                   struct pd_err *err)
{
    if (a->pab_check.state == BUCKET_FAILED)
        return pd_fail(err, PD_EIO, "cannot plan: %s", a->pab_check.detail);
    if (a->policy_check.state == BUCKET_FAILED)
        return pd_fail(err, PD_EIO, "cannot plan: bucket policy: %s",
                       a->policy_check.detail);
    if (a->acl_check.state == BUCKET_FAILED)
        return pd_fail(err, PD_EIO, "cannot plan: bucket ACL: %s",
                       a->acl_check.detail);
    if (a->ownership_check.state == BUCKET_FAILED)
        return pd_fail(err, PD_EIO, "cannot plan: object ownership: %s",
                       a->ownership_check.detail);
    return PD_OK;
}

enum pd_code bucket_plan_make(const struct bucket_audit *a,
                              struct bucket_plan *out, struct pd_err *err)
{
    enum pd_code rc;

    memset(out, 0, sizeof(*out));
    rc = plan_inputs_ok(a, err);
    if (rc != PD_OK)
        return rc;
    if (a->pab_check.state == BUCKET_CHECKED &&
        !(a->pab_present && pab_all_on(&a->pab))) {
        out->set_pab = true;
        out->pab = all_on;
    }
    if (a->public_statement_count > 0) {
        rc = bucket_policy_split(a->policy, NULL, NULL, &out->new_policy, err);
        out->policy_action =
            out->new_policy ? BUCKET_POLICY_REPLACE : BUCKET_POLICY_DELETE;
    }
    if (rc == PD_OK)
        rc = plan_acls(a, out, err);
    if (a->ownership_check.state == BUCKET_CHECKED &&
        !(a->ownership_present &&
          strcmp(a->ownership, "BucketOwnerEnforced") == 0))
        out->set_ownership = true;
    if (rc != PD_OK)
        bucket_plan_release(out);
    return rc;
}

void bucket_plan_release(struct bucket_plan *p)
{
    for (size_t i = 0; i < p->acl_count; i++) {
        free(p->acls[i].key);
        free(p->acls[i].acl);
    }
    free(p->acls);
    free(p->new_policy);
    memset(p, 0, sizeof(*p));
}

bool bucket_plan_empty(const struct bucket_plan *p)
{
    return !p->set_pab && p->policy_action == BUCKET_POLICY_KEEP &&
           p->acl_count == 0 && !p->set_ownership;
}

static enum pd_code describe_acls(const struct bucket_plan *p,
                                  const char *bucket, struct pd_buf *out)
{
    enum pd_code rc = PD_OK;

    for (size_t i = 0; i < p->acl_count && rc == PD_OK; i++) {
        const struct bucket_acl_change *ch = &p->acls[i];
        size_t from = out->len;

        if (ch->key == NULL)
            rc = pd_buf_printf(out,
                               "PutBucketAcl %s: remove %zu public "
                               "grant(s), keep %zu\n",
                               bucket, ch->removed, ch->acl->grant_count);
        else
            rc = pd_buf_printf(out,
                               "PutObjectAcl %s/%s: remove %zu public "
                               "grant(s), keep %zu\n",
                               bucket, ch->key, ch->removed,
                               ch->acl->grant_count);
        pd_buf_mask_controls(out, from);
    }
    return rc;
}

enum pd_code bucket_plan_describe(const struct bucket_plan *p,
                                  const char *bucket, struct pd_buf *out)
{
    enum pd_code rc = PD_OK;

    if (p->set_pab)
        rc = pd_buf_printf(out,
                           "PutPublicAccessBlock %s: BlockPublicAcls, "
                           "IgnorePublicAcls, BlockPublicPolicy, "
                           "RestrictPublicBuckets all true\n",
                           bucket);
    if (rc == PD_OK && p->policy_action == BUCKET_POLICY_DELETE)
        rc = pd_buf_printf(out,
                           "DeleteBucketPolicy %s: every statement is "
                           "public\n",
                           bucket);
    if (rc == PD_OK && p->policy_action == BUCKET_POLICY_REPLACE)
        rc = pd_buf_printf(out,
                           "PutBucketPolicy %s: without its public "
                           "statements: %s\n",
                           bucket, p->new_policy);
    if (rc == PD_OK)
        rc = describe_acls(p, bucket, out);
    if (rc == PD_OK && p->set_ownership)
        rc = pd_buf_printf(out,
                           "PutBucketOwnershipControls %s: "
                           "ObjectOwnership=BucketOwnerEnforced (ACLs "
                           "off)\n",
                           bucket);
    return rc;
}

static enum pd_code apply_acls(const struct bucket_ctx *ctx,
                               const struct bucket_plan *p, struct pd_buf *log,
                               struct pd_err *err)
{
    enum pd_code rc = PD_OK;

    for (size_t i = 0; i < p->acl_count && rc == PD_OK; i++) {
        const struct bucket_acl_change *ch = &p->acls[i];
        size_t from = log->len;

        rc = s3api_put_acl(ctx->s3, ctx->bucket, ch->key, ch->acl, err);
        if (rc == PD_OK)
            rc = pd_buf_printf(log,
                               "removed %zu public grant(s) from the "
                               "ACL of %s%s%s\n",
                               ch->removed, ctx->bucket, ch->key ? "/" : "",
                               ch->key ? ch->key : "");
        pd_buf_mask_controls(log, from);
    }
    return rc;
}

/* Order matters: the flags first (nothing new can be made public while we
 * work), the policy next (radosgw ignores RestrictPublicBuckets), then the
 * ACLs, and ownership last (AWS refuses BucketOwnerEnforced while the
 * bucket ACL still grants to others). */
enum pd_code bucket_plan_apply(const struct bucket_ctx *ctx,
                               const struct bucket_plan *p, struct pd_buf *log,
                               struct pd_err *err)
{
    enum pd_code rc = PD_OK;

    if (p->set_pab) {
        rc = s3api_put_pab(ctx->s3, ctx->bucket, &p->pab, err);
        if (rc == PD_OK)
            rc = pd_buf_puts(log, "turned on all four Block Public Access "
                                  "flags\n");
    }
    if (rc == PD_OK && p->policy_action == BUCKET_POLICY_DELETE) {
        rc = s3api_delete_policy(ctx->s3, ctx->bucket, err);
        if (rc == PD_OK)
            rc = pd_buf_puts(log, "deleted the public bucket policy\n");
    }
    if (rc == PD_OK && p->policy_action == BUCKET_POLICY_REPLACE) {
        rc = s3api_put_policy(ctx->s3, ctx->bucket, p->new_policy, err);
        if (rc == PD_OK)
            rc = pd_buf_puts(log, "removed the public statements from the "
                                  "bucket policy\n");
    }
    if (rc == PD_OK)
        rc = apply_acls(ctx, p, log, err);
    if (rc == PD_OK && p->set_ownership) {
        rc = s3api_put_ownership(ctx->s3, ctx->bucket, "BucketOwnerEnforced",
                                 err);
        if (rc == PD_OK)
            rc = pd_buf_puts(log, "set object ownership to "
                                  "BucketOwnerEnforced\n");
    }
    return rc;
}

/* Notes one failed verification; a full buffer only shortens the note. */
static void fail_line(bool *ok, struct pd_buf *why, const char *fmt, ...)
    PD_PRINTF(3, 4);

static void fail_line(bool *ok, struct pd_buf *why, const char *fmt, ...)
{
    va_list ap;
    enum pd_code rc;
    size_t from = why->len;

    *ok = false;
    va_start(ap, fmt);
    rc = pd_buf_vprintf(why, fmt, ap);
    va_end(ap);
    pd_buf_mask_controls(why, from); /* reasons quote keys */
    if (rc == PD_OK)
        rc = pd_buf_putc(why, '\n');
    (void)rc;
}

static bool verify_settings(const struct bucket_audit *a, struct pd_buf *why)
{
    bool ok = true;

    if (a->pab_check.state == BUCKET_CHECKED && !pab_all_on(&a->pab))
        fail_line(&ok, why, "Block Public Access flags are not all on");
    if (a->policy_check.state == BUCKET_FAILED)
        fail_line(&ok, why, "bucket policy unreadable: %s",
                  a->policy_check.detail);
    if (a->public_statement_count > 0)
        fail_line(&ok, why, "the bucket policy is still public");
    if (a->acl_check.state == BUCKET_FAILED)
        fail_line(&ok, why, "bucket ACL unreadable: %s", a->acl_check.detail);
    if (a->acl_public_grants > 0)
        fail_line(&ok, why, "the bucket ACL still has public grants");
    if (a->listing.check.state != BUCKET_CHECKED)
        fail_line(&ok, why, "anonymous listing probe failed: %s",
                  a->listing.check.detail);
    else if (a->listing.status != 401 && a->listing.status != 403)
        fail_line(&ok, why, "anonymous listing answered %ld",
                  a->listing.status);
    return ok;
}

static bool denied(const struct bucket_probe *p)
{
    return p->check.state == BUCKET_CHECKED &&
           (p->status == 401 || p->status == 403);
}

bool bucket_verify(const struct bucket_audit *after, struct pd_buf *why)
{
    bool ok = verify_settings(after, why);

    for (size_t i = 0; i < after->object_count; i++) {
        const struct bucket_object *o = &after->objects[i];
        if (!denied(&o->anonymous))
            fail_line(&ok, why, "anonymous GET of '%s' was not denied (%ld %s)",
                      o->key, o->anonymous.status, o->anonymous.code);
        if (o->presigned.check.state != BUCKET_CHECKED ||
            o->presigned.status / 100 != 2)
            fail_line(&ok, why, "presigned GET of '%s' failed (%ld %s)", o->key,
                      o->presigned.status, o->presigned.code);
    }
    return ok;
}
