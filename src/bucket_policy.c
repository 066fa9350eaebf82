/*
 * bucket_policy.c - which statements of a bucket policy make it public,
 * and the policy without them (see bucket_policy_split in bucket.h).
 *
 * A statement is public when it allows (Effect Allow) a principal of "*"
 * (as "*", {"AWS": "*"}, or "*" in a list) or uses NotPrincipal, unless a
 * condition pins the caller to something fixed (a source IP, VPC, account,
 * organisation...). This follows AWS's documented rule in spirit but is
 * simpler: any condition on those keys counts as restricting, whatever its
 * value. Everything else is kept as it was.
 */
#include "presignd/bucket.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool value_is_star(const json_t *v)
{
    size_t i;
    json_t *item;

    if (json_is_string(v))
        return strcmp(json_string_value(v), "*") == 0;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            if (json_is_string(item) &&
                strcmp(json_string_value(item), "*") == 0)
                return true;
        }
    }
    return false;
}

static bool principal_is_public(const json_t *p)
{
    const char *name;
    json_t *v;

    if (value_is_star(p))
        return true;
    if (json_is_object(p)) {
        json_object_foreach((json_t *)p, name, v)
        {
            (void)name;
            if (value_is_star(v))
                return true;
        }
    }
    return false;
}

/* Condition keys that tie a "*" principal to something fixed. */
static bool key_restricts(const char *key)
{
    static const char *const keys[] = {
        "aws:SourceIp",          "aws:SourceVpc",
        "aws:SourceVpce",        "aws:SourceAccount",
        "aws:SourceArn",         "aws:SourceOwner",
        "aws:PrincipalOrgID",    "aws:PrincipalAccount",
        "aws:PrincipalArn",      "aws:userid",
        "aws:PrincipalOrgPaths", "s3:DataAccessPointAccount",
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcasecmp(key, keys[i]) == 0)
            return true;
    return false;
}

static bool condition_restricts(const json_t *cond)
{
    const char *op, *key;
    json_t *block, *v;

    if (!json_is_object(cond))
        return false;
    json_object_foreach((json_t *)cond, op, block)
    {
        (void)op;
        if (!json_is_object(block))
            continue;
        json_object_foreach(block, key, v)
        {
            (void)v;
            if (key_restricts(key))
                return true;
        }
    }
    return false;
}

static bool statement_is_public(const json_t *st)
{
    const json_t *effect = json_object_get(st, "Effect");

    if (!json_is_string(effect) ||
        strcmp(json_string_value(effect), "Allow") != 0)
        return false;
    if (condition_restricts(json_object_get(st, "Condition")))
        return false;
    if (json_object_get(st, "NotPrincipal") != NULL)
        return true;
    return principal_is_public(json_object_get(st, "Principal"));
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* Sorts the statements of policy into pub (public) and keep (the rest). */
static enum pd_code sort_statements(json_t *policy, json_t *pub, json_t *keep,
                                    struct pd_err *err)
{
    json_t *stmts = json_object_get(policy, "Statement");
    json_t *st;
    size_t i;

    if (json_is_object(stmts)) {
        return json_array_append(statement_is_public(stmts) ? pub : keep,
                                 stmts) == 0
                   ? PD_OK
                   : pd_fail(err, PD_ENOMEM, "out of memory");
    }
    if (!json_is_array(stmts))
        return pd_fail(err, PD_EINVAL, "bucket policy has no Statement list");
    json_array_foreach(stmts, i, st)
    {
        if (!json_is_object(st))
            return pd_fail(err, PD_EINVAL,
                           "bucket policy statement %zu is not an object", i);
        if (json_array_append(statement_is_public(st) ? pub : keep, st) != 0)
            return pd_fail(err, PD_ENOMEM, "out of memory");
    }
    return PD_OK;
}

enum pd_code bucket_policy_split(const char *json, char **public_json,
                                 size_t *public_count, char **rest_json,
                                 struct pd_err *err)
{
    json_error_t jerr;
    json_t *policy = json_loads(json, 0, &jerr);
    json_t *pub = json_array(), *keep = json_array();
    enum pd_code rc = PD_OK;

    if (public_json)
        *public_json = NULL;
    if (rest_json)
        *rest_json = NULL;
    if (public_count)
        *public_count = 0;
    if (policy == NULL || !json_is_object(policy))
        rc = pd_fail(err, PD_EINVAL, "bucket policy is not a JSON object: %s",
                     policy ? "" : jerr.text);
    else if (pub == NULL || keep == NULL)
        rc = pd_fail(err, PD_ENOMEM, "out of memory");
    if (rc == PD_OK)
        rc = sort_statements(policy, pub, keep, err);
    if (rc == PD_OK && public_count)
        *public_count = json_array_size(pub);
    if (rc == PD_OK && public_json && (*public_json = dump(pub)) == NULL)
        rc = pd_fail(err, PD_ENOMEM, "out of memory");
    if (rc == PD_OK && rest_json && json_array_size(keep) > 0) {
        if (json_object_set(policy, "Statement", keep) != 0 ||
            (*rest_json = dump(policy)) == NULL)
            rc = pd_fail(err, PD_ENOMEM, "out of memory");
    }
    if (rc != PD_OK && public_json) {
        free(*public_json);
        *public_json = NULL;
    }
    json_decref(policy);
    json_decref(pub);
    json_decref(keep);
    return rc;
}
