/*
 * backfill.h - turns the host's legacy object URLs into rows of
 * presignd.object_refs, batch by batch.
 *
 * The walk: keyset pagination over the host rows in primary-key order (host
 * queries backfill_first / backfill_next); for each batch, parse every URL
 * in C (s3url) and write all new references with one multi-row
 * INSERT ... ON CONFLICT DO NOTHING (internal query backfill_insert), which
 * is the batch's transaction. A reference is written only where none exists,
 * so a re-run is a no-op, concurrent runs neither duplicate nor lose rows,
 * and a run killed mid-batch loses only that uncommitted batch, which the
 * next run redoes. Memory is bounded by the batch size.
 *
 * A URL that does not yield a reference in a configured bucket is never
 * written: it is counted and handed to the caller's on_item hook with its
 * reason. Nothing here prints.
 */
#ifndef PRESIGND_BACKFILL_H
#define PRESIGND_BACKFILL_H

#include "presignd/error.h"
#include "presignd/hostsql.h"
#include "presignd/s3url.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define BACKFILL_MAX_BATCH   100000
#define BACKFILL_MAX_BUCKETS 64

enum backfill_kind {
    BACKFILL_KIND_ALL = 0,
    BACKFILL_KIND_AVATAR,
    BACKFILL_KIND_SIGNATURE,
};

/* Parses "avatar", "signature" or "all". */
PD_MUST_CHECK enum pd_code backfill_kind_parse(const char *s,
                                               enum backfill_kind *out);

/* What happened to one (row, kind) item. */
enum backfill_outcome {
    BACKFILL_CONVERTED = 0, /* reference written (dry run: would be) */
    BACKFILL_ALREADY,       /* a reference existed already */
    BACKFILL_NO_URL,        /* the URL is NULL: nothing to convert */
    BACKFILL_EXTERNAL,      /* not an object-store URL (gravatar ...) */
    BACKFILL_UNPARSEABLE,   /* empty, garbage, bad escape, bad key ... */
    BACKFILL_UNCONFIGURED,  /* an object in a bucket not configured */
    BACKFILL_OUTCOME_COUNT,
};

/* A stable snake_case name, e.g. "already_converted". */
const char *backfill_outcome_name(enum backfill_outcome o);

struct backfill_stats {
    unsigned long long rows;    /* host rows walked */
    unsigned long long items;   /* (row, kind) items examined */
    unsigned long long batches; /* batches committed */
    unsigned long long outcomes[BACKFILL_OUTCOME_COUNT];
    unsigned long long ambiguous_plus; /* converted from a raw '+' */
    unsigned long long verified;       /* --verify: HEAD said it exists */
    unsigned long long missing;        /* --verify: object not found */
    unsigned long long plus_as_plus;   /* --verify: kept '+' as a plus */
    unsigned long long verify_failed;  /* --verify: could not check */
};

/* One item worth reporting: not converted, or converted but missing. */
struct backfill_item {
    const char *subject_id;
    const char *kind;
    const char *url; /* NULL when the URL is NULL */
    enum backfill_outcome outcome;
    const char *reason; /* e.g. "external", "bad-escape", "missing" */
    const char *detail; /* readable, may be "" */
    const char *bucket; /* "" unless parsed */
    const char *key;    /* NULL unless parsed */
    size_t key_len;
};

/* What a check found. */
enum backfill_exists {
    BACKFILL_EXISTS = 0,
    BACKFILL_MISSING,
    BACKFILL_CHECK_FAILED, /* network or store error: unknown */
};

/* One object to check with --verify, and the answer. */
struct backfill_check {
    const struct s3url_result *parsed; /* bucket, region, endpoint */
    const char *key;
    size_t key_len;
    enum backfill_exists exists; /* out */
    char content_type[128];      /* out: the store's, or "" */
    char detail[256];            /* out: why, when not BACKFILL_EXISTS */
};

/*
 * The --verify hook: checks n objects (a signed HEAD each, as many at once
 * as the verifier likes) and fills their out fields. Never fails the
 * batch: errors are BACKFILL_CHECK_FAILED with a detail.
 */
struct backfill_verifier {
    void *arg;
    void (*check)(void *arg, struct backfill_check *checks, size_t n);
};

/* The caller's hooks; any may be NULL. */
struct backfill_hooks {
    void *arg;
    /* After each committed batch; cursor is the last row's. */
    void (*on_batch)(void *arg, const struct backfill_stats *s);
    /* For each reported item; an error stops the run. */
    enum pd_code (*on_item)(void *arg, const struct backfill_item *it,
                            struct pd_err *err);
};

struct backfill_options {
    const struct hostsql *host;     /* backfill_first, backfill_next */
    const struct hostsql *internal; /* backfill_insert */
    const struct s3url_config *parser;
    const char *const *buckets; /* the buckets references may point into */
    size_t bucket_count;
    enum backfill_kind kind;
    size_t batch_size;        /* host rows per batch, 1..BACKFILL_MAX_BATCH */
    unsigned long long limit; /* host rows at most; 0: all */
    bool dry_run;             /* read and report only; write nothing */
    const struct backfill_verifier *verify; /* NULL: no --verify */
};

/*
 * The content type implied by the key's extension (.png, .jpg, .jpeg,
 * .gif, .webp, .svg, .pdf, ...), or NULL when unknown.
 */
const char *backfill_content_type(const char *key, size_t key_len);

/* The classification of one URL, without touching the database. */
struct backfill_ref {
    enum backfill_outcome outcome; /* CONVERTED means "convertible" */
    const char *reason;            /* NULL when convertible */
    struct s3url_result parsed;
};

/* Parses url (may be NULL) and checks the bucket against o->buckets. */
void backfill_classify(const struct backfill_options *o, const char *url,
                       struct backfill_ref *out);

/*
 * Runs the walk. reader and writer are two connections to the same
 * database, neither in a transaction, so that reading the next batch,
 * classifying this one and inserting the previous one overlap; writer may
 * be NULL for a dry run. Each batch's references are written by one INSERT
 * (one transaction). stats is zeroed first and counts committed batches
 * only, also after a failure. Fails on database and on_item errors.
 */
PD_MUST_CHECK enum pd_code backfill_run(PGconn *reader, PGconn *writer,
                                        const struct backfill_options *o,
                                        const struct backfill_hooks *h,
                                        struct backfill_stats *stats,
                                        struct pd_err *err);

/* Host rows the walk would visit (host query backfill_count). */
PD_MUST_CHECK enum pd_code backfill_count(PGconn *conn,
                                          const struct hostsql *host,
                                          unsigned long long *out,
                                          struct pd_err *err);

#endif
