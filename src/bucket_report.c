/*
 * bucket_report.c - an audit as a readable table, as JSON, and two audits
 * side by side (before/after an enforcement). See bucket.h.
 */
#include "presignd/bucket.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW "  %-24s %s\n"

static const char *onoff(bool b)
{
    return b ? "on" : "off";
}

/* "unsupported by the store" / "failed: ..." / NULL when checked. */
static const char *check_problem(const struct bucket_check *c, char *buf,
                                 size_t n)
{
    switch (c->state) {
    case BUCKET_CHECKED:
        return NULL;
    case BUCKET_UNSUPPORTED:
        snprintf(buf, n, "not supported by this store");
        return buf;
    case BUCKET_SKIPPED:
        snprintf(buf, n, "skipped: %s", c->detail);
        return buf;
    case BUCKET_FAILED:
        break;
    }
    snprintf(buf, n, "COULD NOT CHECK: %s", c->detail);
    return buf;
}

static void pab_text(const struct bucket_audit *a, char *buf, size_t n)
{
    const char *p = check_problem(&a->pab_check, buf, n);

    if (p != NULL)
        return;
    if (!a->pab_present) {
        snprintf(buf, n, "none set");
        return;
    }
    snprintf(buf, n,
             "BlockPublicAcls=%s IgnorePublicAcls=%s BlockPublicPolicy=%s "
             "RestrictPublicBuckets=%s",
             onoff(a->pab.block_public_acls), onoff(a->pab.ignore_public_acls),
             onoff(a->pab.block_public_policy),
             onoff(a->pab.restrict_public_buckets));
}

static void policy_text(const struct bucket_audit *a, char *buf, size_t n)
{
    if (check_problem(&a->policy_check, buf, n) != NULL)
        return;
    if (!a->policy_present)
        snprintf(buf, n, "none");
    else if (a->public_statement_count == 0)
        snprintf(buf, n, "present, no public statement");
    else
        snprintf(buf, n, "PUBLIC: %zu statement(s) %.300s",
                 a->public_statement_count, a->public_statements);
}

static void status_text(const struct bucket_audit *a, char *buf, size_t n)
{
    if (check_problem(&a->status_check, buf, n) == NULL)
        snprintf(buf, n, "IsPublic=%s (the store's own view)",
                 a->status_public ? "true" : "false");
}

/* "private" or "PUBLIC: AllUsers READ, ..." for an ACL. */
static void acl_text(const struct s3api_acl *acl, char *buf, size_t n)
{
    size_t used = 0;

    snprintf(buf, n, "no public grant");
    for (size_t i = 0; acl != NULL && i < acl->grant_count; i++) {
        const char *group = s3api_grant_public_group(&acl->grants[i]);
        if (group == NULL || used >= n)
            continue;
        used += (size_t)snprintf(buf + used, n - used, "%s%s %s",
                                 used ? ", " : "PUBLIC: ", group,
                                 acl->grants[i].permission);
    }
}

static void ownership_text(const struct bucket_audit *a, char *buf, size_t n)
{
    if (check_problem(&a->ownership_check, buf, n) != NULL)
        return;
    if (!a->ownership_present)
        snprintf(buf, n, "none set (ACLs on)");
    else
        snprintf(buf, n, "%s%s", a->ownership,
                 strcmp(a->ownership, "BucketOwnerEnforced") == 0
                     ? " (ACLs off)"
                     : " (ACLs on)");
}

static void probe_text(const struct bucket_probe *p, bool want_denied,
                       char *buf, size_t n)
{
    bool ok;

    if (check_problem(&p->check, buf, n) != NULL)
        return;
    ok = want_denied ? (p->status == 401 || p->status == 403)
                     : p->status / 100 == 2;
    snprintf(buf, n, "%ld%s%s %s", p->status, p->code[0] ? " " : "", p->code,
             ok ? "(ok)" : "(UNEXPECTED)");
}

/* A key for a terminal: control bytes (a key may hold any) become '?'. */
static void printable(const char *key, char *buf, size_t n)
{
    size_t i = 0;

    for (; key[i] != '\0' && i + 1 < n; i++)
        buf[i] = (unsigned char)key[i] < 0x20 || key[i] == 0x7f ? '?' : key[i];
    buf[i] = '\0';
}

static enum pd_code objects_text(const struct bucket_audit *a,
                                 struct pd_buf *out)
{
    char acl[1024], anon[1024], pre[1024], key[1100];
    enum pd_code rc =
        pd_buf_printf(out, "\n  %-32s %-18s %-24s %s\n", "sampled key", "ACL",
                      "anonymous GET", "presigned GET");

    for (size_t i = 0; i < a->object_count && rc == PD_OK; i++) {
        const struct bucket_object *o = &a->objects[i];
        if (check_problem(&o->acl_check, acl, sizeof(acl)) == NULL)
            snprintf(acl, sizeof(acl), "%s",
                     o->public_grants ? "PUBLIC" : "private");
        probe_text(&o->anonymous, true, anon, sizeof(anon));
        probe_text(&o->presigned, false, pre, sizeof(pre));
        printable(o->key, key, sizeof(key));
        rc =
            pd_buf_printf(out, "  %-32s %-18s %-24s %s\n", key, acl, anon, pre);
    }
    if (rc == PD_OK && a->object_count == 0)
        rc = pd_buf_puts(out, "  (no keys probed: --sample 0, or no keys of "
                              "this bucket in presignd.object_refs)\n");
    return rc;
}

static enum pd_code settings_text(const struct bucket_audit *a,
                                  struct pd_buf *out)
{
    char buf[1024];
    enum pd_code rc;

    pab_text(a, buf, sizeof(buf));
    rc = pd_buf_printf(out, ROW, "Block Public Access", buf);
    policy_text(a, buf, sizeof(buf));
    if (rc == PD_OK)
        rc = pd_buf_printf(out, ROW, "Bucket policy", buf);
    status_text(a, buf, sizeof(buf));
    if (rc == PD_OK)
        rc = pd_buf_printf(out, ROW, "Policy status", buf);
    if (check_problem(&a->acl_check, buf, sizeof(buf)) == NULL)
        acl_text(a->acl, buf, sizeof(buf));
    if (rc == PD_OK)
        rc = pd_buf_printf(out, ROW, "Bucket ACL", buf);
    ownership_text(a, buf, sizeof(buf));
    if (rc == PD_OK)
        rc = pd_buf_printf(out, ROW, "Object ownership", buf);
    probe_text(&a->listing, true, buf, sizeof(buf));
    if (rc == PD_OK)
        rc = pd_buf_printf(out, ROW, "Anonymous listing", buf);
    return rc;
}

static enum pd_code db_text(const struct bucket_audit *a, struct pd_buf *out)
{
    char buf[1024];
    enum pd_code rc;

    if (check_problem(&a->db_check, buf, sizeof(buf)) != NULL)
        return pd_buf_printf(out, ROW, "Database", buf);
    snprintf(buf, sizeof(buf), "%lld in presignd.object_refs", a->refs);
    rc = pd_buf_printf(out, ROW, "Object references", buf);
    snprintf(buf, sizeof(buf),
             "%lld row(s) reach this bucket only through a "
             "legacy URL",
             a->legacy_rows);
    if (rc == PD_OK)
        rc = pd_buf_printf(out, ROW, "Legacy-only rows", buf);
    return rc;
}

enum pd_code bucket_report_text(const struct bucket_audit *a,
                                struct pd_buf *out)
{
    enum pd_code rc;

    rc = pd_buf_printf(out, "bucket %s at %s\n\n", a->bucket, a->endpoint);
    if (rc == PD_OK)
        rc = settings_text(a, out);
    if (rc == PD_OK)
        rc = db_text(a, out);
    if (rc == PD_OK)
        rc = objects_text(a, out);
    if (rc == PD_OK)
        rc = pd_buf_printf(out, "\nverdict: %s\n",
                           bucket_verdict_name(a->verdict));
    for (size_t i = 0; i < a->reason_count && rc == PD_OK; i++)
        rc = pd_buf_printf(out, "  - %s\n", a->reasons[i]);
    return rc;
}

static const char *state_name(enum bucket_state s)
{
    static const char *const names[] = {"checked", "unsupported", "failed",
                                        "skipped"};

    return names[s];
}

/* {"state": ..., "detail": ...} to which callers add their fields. */
static json_t *json_check(const struct bucket_check *c)
{
    json_t *o = json_object();

    json_object_set_new(o, "state", json_string(state_name(c->state)));
    if (c->state != BUCKET_CHECKED)
        json_object_set_new(o, "detail", json_string(c->detail));
    return o;
}

static json_t *json_acl(const struct bucket_check *c,
                        const struct s3api_acl *acl)
{
    json_t *o = json_check(c), *grants = json_array();

    for (size_t i = 0; acl != NULL && i < acl->grant_count; i++) {
        const char *group = s3api_grant_public_group(&acl->grants[i]);
        if (group != NULL)
            json_array_append_new(grants, json_pack("{s:s,s:s}", "grantee",
                                                    group, "permission",
                                                    acl->grants[i].permission));
    }
    json_object_set_new(o, "public_grants", grants);
    return o;
}

static json_t *json_probe(const struct bucket_probe *p, bool want_denied)
{
    json_t *o = json_check(&p->check);
    bool ok = want_denied ? (p->status == 401 || p->status == 403)
                          : p->status / 100 == 2;

    if (p->check.state == BUCKET_CHECKED) {
        json_object_set_new(o, "status", json_integer(p->status));
        json_object_set_new(o, "code", json_string(p->code));
        json_object_set_new(o, "as_expected", json_boolean(ok));
    }
    return o;
}

static json_t *json_pab(const struct bucket_audit *a)
{
    json_t *o = json_check(&a->pab_check);

    json_object_set_new(o, "present", json_boolean(a->pab_present));
    json_object_set_new(o, "BlockPublicAcls",
                        json_boolean(a->pab.block_public_acls));
    json_object_set_new(o, "IgnorePublicAcls",
                        json_boolean(a->pab.ignore_public_acls));
    json_object_set_new(o, "BlockPublicPolicy",
                        json_boolean(a->pab.block_public_policy));
    json_object_set_new(o, "RestrictPublicBuckets",
                        json_boolean(a->pab.restrict_public_buckets));
    return o;
}

static json_t *json_policy(const struct bucket_audit *a)
{
    json_t *o = json_check(&a->policy_check);
    json_t *pub = a->public_statements
                      ? json_loads(a->public_statements, 0, NULL)
                      : json_array();

    json_object_set_new(o, "present", json_boolean(a->policy_present));
    json_object_set_new(o, "public_statements", pub ? pub : json_array());
    return o;
}

static json_t *json_settings(const struct bucket_audit *a)
{
    json_t *root = json_object(), *o;

    json_object_set_new(root, "bucket", json_string(a->bucket));
    json_object_set_new(root, "endpoint", json_string(a->endpoint));
    json_object_set_new(root, "verdict",
                        json_string(bucket_verdict_name(a->verdict)));
    json_object_set_new(root, "block_public_access", json_pab(a));
    json_object_set_new(root, "policy", json_policy(a));
    o = json_check(&a->status_check);
    json_object_set_new(o, "is_public", json_boolean(a->status_public));
    json_object_set_new(root, "policy_status", o);
    json_object_set_new(root, "bucket_acl", json_acl(&a->acl_check, a->acl));
    o = json_check(&a->ownership_check);
    json_object_set_new(o, "value",
                        a->ownership_present ? json_string(a->ownership)
                                             : json_null());
    json_object_set_new(root, "object_ownership", o);
    json_object_set_new(root, "anonymous_listing",
                        json_probe(&a->listing, true));
    return root;
}

enum pd_code bucket_report_json(const struct bucket_audit *a,
                                struct pd_buf *out)
{
    json_t *root = json_settings(a), *o, *objs = json_array(), *rs;
    char *text;
    enum pd_code rc;

    o = json_check(&a->db_check);
    json_object_set_new(o, "object_refs", json_integer(a->refs));
    json_object_set_new(o, "legacy_only_rows", json_integer(a->legacy_rows));
    json_object_set_new(root, "database", o);
    for (size_t i = 0; i < a->object_count; i++) {
        const struct bucket_object *ob = &a->objects[i];
        json_array_append_new(
            objs, json_pack("{s:s,s:o,s:o,s:o}", "key", ob->key, "acl",
                            json_acl(&ob->acl_check, ob->acl), "anonymous_get",
                            json_probe(&ob->anonymous, true), "presigned_get",
                            json_probe(&ob->presigned, false)));
    }
    json_object_set_new(root, "sampled_objects", objs);
    rs = json_array();
    for (size_t i = 0; i < a->reason_count; i++)
        json_array_append_new(rs, json_string(a->reasons[i]));
    json_object_set_new(root, "reasons", rs);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text == NULL)
        return PD_ENOMEM;
    rc = pd_buf_puts(out, text);
    if (rc == PD_OK)
        rc = pd_buf_putc(out, '\n');
    free(text);
    return rc;
}

/* One cell of the before/after table for an audit. */
static void cell(const struct bucket_audit *a, int row, char *buf, size_t n)
{
    size_t denied = 0, ok = 0, pub = 0;

    for (size_t i = 0; i < a->object_count; i++) {
        long st = a->objects[i].anonymous.status;
        denied += st == 401 || st == 403;
        ok += a->objects[i].presigned.status / 100 == 2;
        pub += a->objects[i].public_grants > 0;
    }
    switch (row) {
    case 0:
        if (check_problem(&a->pab_check, buf, n) == NULL)
            snprintf(buf, n, "%d of 4 on",
                     a->pab.block_public_acls + a->pab.ignore_public_acls +
                         a->pab.block_public_policy +
                         a->pab.restrict_public_buckets);
        break;
    case 1:
        if (check_problem(&a->policy_check, buf, n) == NULL)
            snprintf(buf, n, "%s",
                     !a->policy_present              ? "none"
                     : a->public_statement_count > 0 ? "PUBLIC"
                                                     : "not public");
        break;
    case 2:
        if (check_problem(&a->acl_check, buf, n) == NULL)
            snprintf(buf, n, "%zu", a->acl_public_grants);
        break;
    case 3:
        snprintf(buf, n, "%zu of %zu", pub, a->object_count);
        break;
    case 4:
        ownership_text(a, buf, n);
        break;
    case 5:
        probe_text(&a->listing, true, buf, n);
        break;
    case 6:
        snprintf(buf, n, "%zu of %zu", denied, a->object_count);
        break;
    case 7:
        snprintf(buf, n, "%zu of %zu", ok, a->object_count);
        break;
    default:
        snprintf(buf, n, "%s", bucket_verdict_name(a->verdict));
    }
}

enum pd_code bucket_report_compare(const struct bucket_audit *b,
                                   const struct bucket_audit *a,
                                   struct pd_buf *out)
{
    static const char *const rows[] = {
        "Block Public Access",
        "Bucket policy",
        "Bucket ACL public grants",
        "Objects with public ACL",
        "Object ownership",
        "Anonymous listing",
        "Anonymous GETs denied",
        "Presigned GETs 2xx",
        "Verdict",
    };
    char before[1024], after[1024];
    enum pd_code rc =
        pd_buf_printf(out, "%-26s %-30s %s\n", "check", "before", "after");

    for (int i = 0; i < (int)(sizeof(rows) / sizeof(rows[0])) && rc == PD_OK;
         i++) {
        cell(b, i, before, sizeof(before));
        cell(a, i, after, sizeof(after));
        rc = pd_buf_printf(out, "%-26s %-34.34s %s\n", rows[i], before, after);
    }
    return rc;
}
