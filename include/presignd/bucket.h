/*
 * bucket.h - the bucket audit and lock-down service behind `presignd audit`
 * and `presignd enforce-private`.
 *
 * An audit reads the bucket's Block Public Access flags, policy (and the
 * store's policy status), ACL, object ownership, the ACLs of N object keys
 * sampled from Postgres, probes those keys with a real anonymous GET (must be
 * denied) and a presigned GET (must succeed), and counts host rows that
 * still reach the bucket only through a legacy public URL. Each check keeps
 * its own state, so a store that lacks an operation is reported as such.
 *
 * Enforcing turns an audit into a plan (all four Block Public Access flags;
 * public policy statements stripped or the policy deleted, since radosgw
 * ignores RestrictPublicBuckets; public ACL grants removed from the bucket
 * and the sampled objects; BucketOwnerEnforced where supported), saves what
 * it will change to a rollback file first, applies it, and is verified by a
 * second audit. Nothing here prints: reports are formatted into buffers.
 */
#ifndef PRESIGND_BUCKET_H
#define PRESIGND_BUCKET_H

#include "presignd/buf.h"
#include "presignd/error.h"
#include "presignd/hostsql.h"
#include "presignd/s3api.h"
#include "presignd/s3url.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define BUCKET_DEFAULT_SAMPLE 5
#define BUCKET_MAX_SAMPLE     100
#define BUCKET_MAX_REASONS    16

/* Everything an audit or an enforcement works with (all borrowed). */
struct bucket_ctx {
    const char *bucket;
    unsigned sample; /* keys to sample from Postgres, 0..BUCKET_MAX_SAMPLE */
    struct s3api_client *s3;
    PGconn *db;           /* NULL: the database checks are reported as failed */
    const char *db_error; /* why db is NULL, for the report */
    const struct hostsql *queries;
    const struct s3url_config *legacy; /* how legacy URLs are parsed */
    /* When set, these keys are probed instead of a fresh sample (so the
     * audit after an enforcement looks at the same objects). */
    char *const *keys;
    size_t key_count;
};

enum bucket_state {
    BUCKET_CHECKED = 0,
    BUCKET_UNSUPPORTED, /* the store does not implement the operation */
    BUCKET_FAILED,      /* the check could not be made: detail says why */
    BUCKET_SKIPPED,     /* not applicable (detail says why) */
};

struct bucket_check {
    enum bucket_state state;
    char detail[PD_ERR_MSG_MAX];
};

/* One GET probe: checked means status/code are the store's answer. */
struct bucket_probe {
    struct bucket_check check;
    long status;
    char code[S3API_CODE_MAX];
};

struct bucket_object {
    char *key;
    struct bucket_check acl_check;
    struct s3api_acl *acl; /* NULL unless read */
    size_t public_grants;
    struct bucket_probe anonymous; /* expected: 401/403 */
    struct bucket_probe presigned; /* expected: 2xx */
};

enum bucket_verdict {
    BUCKET_PRIVATE_READY = 0, /* private and nothing needs public access */
    BUCKET_PUBLIC,            /* something grants anonymous access */
    BUCKET_NOT_READY,         /* private-able, but rows still need URLs */
    BUCKET_UNKNOWN,           /* a check needed for the verdict failed */
};

struct bucket_audit {
    char bucket[64];
    char endpoint[300];

    struct bucket_check pab_check;
    bool pab_present;
    struct s3api_pab pab;

    struct bucket_check policy_check;
    bool policy_present;
    char *policy;            /* the policy JSON, or NULL */
    char *public_statements; /* JSON array of the public statements */
    size_t public_statement_count;

    struct bucket_check status_check; /* GetBucketPolicyStatus */
    bool status_public;

    struct bucket_check ownership_check;
    bool ownership_present;
    char ownership[S3API_OWNERSHIP_MAX];

    struct bucket_check acl_check;
    struct s3api_acl *acl;
    size_t acl_public_grants;

    struct bucket_probe listing; /* anonymous GET of the bucket */

    struct bucket_object *objects;
    size_t object_count;

    struct bucket_check db_check;
    long long refs;        /* object_refs rows into this bucket */
    long long legacy_rows; /* rows reaching it only by a legacy URL */

    enum bucket_verdict verdict;
    char reasons[BUCKET_MAX_REASONS][256];
    size_t reason_count;
};

/*
 * Audits ctx->bucket into *out (which the caller releases). PD_OK whenever
 * a report was made, even with failed checks (see out->verdict). Fails -
 * leaving only out->bucket set - when the bucket cannot be examined at all:
 * PD_ENOTFOUND (no such bucket), PD_EAUTH (credentials refused), PD_EIO
 * (store unreachable), with err naming the S3 code.
 */
PD_MUST_CHECK enum pd_code bucket_audit_run(const struct bucket_ctx *ctx,
                                            struct bucket_audit *out,
                                            struct pd_err *err);
void bucket_audit_release(struct bucket_audit *a);

/* A short name of the verdict: "private", "public", "not ready", ... */
const char *bucket_verdict_name(enum bucket_verdict v);

/* The readable report, or one JSON object, appended to out. */
PD_MUST_CHECK enum pd_code bucket_report_text(const struct bucket_audit *a,
                                              struct pd_buf *out);
PD_MUST_CHECK enum pd_code bucket_report_json(const struct bucket_audit *a,
                                              struct pd_buf *out);
/* The before/after table of an enforcement. */
PD_MUST_CHECK enum pd_code bucket_report_compare(const struct bucket_audit *b,
                                                 const struct bucket_audit *a,
                                                 struct pd_buf *out);

/*
 * Splits a policy document: *public_json gets a JSON array of the
 * statements that grant access to everyone ("*" principals without a
 * restricting condition such as aws:SourceIp), *rest_json the policy
 * without them, or NULL when no statement would remain. Either out pointer
 * may be NULL; the caller frees the strings.
 */
PD_MUST_CHECK enum pd_code
bucket_policy_split(const char *json, char **public_json, size_t *public_count,
                    char **rest_json, struct pd_err *err);

/* --- setting up from the environment ---------------------------------- */

#define BUCKET_MAX_LEGACY 16

struct bucket_session_options {
    const char *bucket;
    unsigned sample;
    bool need_db; /* false: no database connection is made */
    /* Extra legacy URL forms, as s3url_config_add_endpoint / _add_cdn take
     * them (--s3-endpoint, --cdn), added to PRESIGND_S3_ENDPOINTS and
     * PRESIGND_CDNS (comma-separated, as for `presignd backfill`). The S3
     * endpoint itself is always added when it is custom. */
    const char *legacy_endpoints[BUCKET_MAX_LEGACY];
    size_t legacy_endpoint_count;
    const char *legacy_cdns[BUCKET_MAX_LEGACY];
    size_t legacy_cdn_count;
};

/* What a command holds while it works on a bucket; ctx points into it. */
struct bucket_session {
    struct bucket_ctx ctx;
    struct s3api_client *s3;
    PGconn *db;
    struct hostsql *queries;
    struct s3url_config legacy;
    char db_error[PD_ERR_MSG_MAX];
};

/*
 * Builds the S3 client from the AWS environment (awsenv.h), connects to
 * Postgres (db.h) and loads the queries. A database that cannot be reached
 * is not an error here: ctx.db is NULL and db_error says why, so the audit
 * can report it as a failed check. S3 settings errors are PD_ECONFIG.
 */
PD_MUST_CHECK enum pd_code
bucket_session_init(struct bucket_session *s,
                    const struct bucket_session_options *o, struct pd_err *err);
void bucket_session_release(struct bucket_session *s);

/* --- enforce-private ---------------------------------------------------- */

enum bucket_policy_action {
    BUCKET_POLICY_KEEP = 0,
    BUCKET_POLICY_DELETE,
    BUCKET_POLICY_REPLACE,
};

struct bucket_acl_change {
    char *key;             /* NULL: the bucket's ACL */
    struct s3api_acl *acl; /* the new ACL */
    size_t removed;        /* public grants removed */
};

struct bucket_plan {
    bool set_pab;
    struct s3api_pab pab;
    enum bucket_policy_action policy_action;
    char *new_policy; /* with BUCKET_POLICY_REPLACE */
    struct bucket_acl_change *acls;
    size_t acl_count;
    bool set_ownership; /* to BucketOwnerEnforced */
};

/* The changes that make the audited bucket private; empty when it is. */
PD_MUST_CHECK enum pd_code bucket_plan_make(const struct bucket_audit *a,
                                            struct bucket_plan *out,
                                            struct pd_err *err);
void bucket_plan_release(struct bucket_plan *p);
bool bucket_plan_empty(const struct bucket_plan *p);

/* The exact changes, one per line, appended to out. */
PD_MUST_CHECK enum pd_code bucket_plan_describe(const struct bucket_plan *p,
                                                const char *bucket,
                                                struct pd_buf *out);

/*
 * Writes the audited (current) settings the plan will change to a new
 * rollback file in dir (mode 0600, never overwriting) and puts its path in
 * path. Must succeed before bucket_plan_apply is called.
 */
PD_MUST_CHECK enum pd_code
bucket_rollback_save(const struct bucket_audit *a, const struct bucket_plan *p,
                     const char *dir, struct pd_buf *path, struct pd_err *err);

/*
 * Applies the plan in a safe order (Block Public Access, policy, ACLs,
 * ownership), appending a line per change made to log. Stops at the first
 * failure, naming the step.
 */
PD_MUST_CHECK enum pd_code bucket_plan_apply(const struct bucket_ctx *ctx,
                                             const struct bucket_plan *p,
                                             struct pd_buf *log,
                                             struct pd_err *err);

/*
 * Restores the settings saved in a rollback file to ctx->bucket (which must
 * be the file's bucket; ctx->bucket NULL takes the file's). Block Public
 * Access is lifted first and restored last, so public ACLs and policies can
 * be put back. One line per change is appended to log.
 */
PD_MUST_CHECK enum pd_code bucket_rollback_restore(const struct bucket_ctx *ctx,
                                                   const char *path,
                                                   struct pd_buf *log,
                                                   struct pd_err *err);

/*
 * Whether an audit made after enforcing proves the lock: all four flags on,
 * no public policy statement or ACL grant, every anonymous probe denied and
 * every presigned probe answered 2xx. Reasons for a failure are appended to
 * why, one per line.
 */
bool bucket_verify(const struct bucket_audit *after, struct pd_buf *why);

#endif
