/*
 * backfill.c - the batch walk from legacy URLs to presignd.object_refs (see
 * backfill.h): keyset-paginated reads, parsing in C, one multi-row insert
 * per batch with the columns as binary text[] parameters.
 */
#include "presignd/backfill.h"

#include "presignd/buf.h"
#include "presignd/db.h"
#include "presignd/pgarray.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Columns of backfill_first / backfill_next, in the documented order. */
enum { COL_CURSOR, COL_SUBJECT, COL_KIND, COL_URL, COL_CONVERTED, COL_COUNT };

/* Parameters of backfill_insert, in order. */
enum { P_SUBJECT, P_KIND, P_BUCKET, P_KEY, P_CTYPE, P_SOURCE, P_COUNT };

/* The insert's arrays may hold a whole batch of long URLs, never more. */
#define ARRAY_MAX ((size_t)1 << 30)

enum pd_code backfill_kind_parse(const char *s, enum backfill_kind *out)
{
    if (strcmp(s, "all") == 0)
        *out = BACKFILL_KIND_ALL;
    else if (strcmp(s, "avatar") == 0)
        *out = BACKFILL_KIND_AVATAR;
    else if (strcmp(s, "signature") == 0)
        *out = BACKFILL_KIND_SIGNATURE;
    else
        return PD_EINVAL;
    return PD_OK;
}

static const char *kind_param(enum backfill_kind k)
{
    return k == BACKFILL_KIND_AVATAR      ? "avatar"
           : k == BACKFILL_KIND_SIGNATURE ? "signature"
                                          : "all";
}

const char *backfill_outcome_name(enum backfill_outcome o)
{
    switch (o) {
    case BACKFILL_CONVERTED:
        return "converted";
    case BACKFILL_ALREADY:
        return "already_converted";
    case BACKFILL_NO_URL:
        return "no_url";
    case BACKFILL_EXTERNAL:
        return "external";
    case BACKFILL_UNPARSEABLE:
        return "unparseable";
    case BACKFILL_UNCONFIGURED:
        return "bucket_not_configured";
    case BACKFILL_OUTCOME_COUNT:
        break;
    }
    return "unknown";
}

const char *backfill_content_type(const char *key, size_t key_len)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".png", "image/png"},       {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},     {".gif", "image/gif"},
        {".webp", "image/webp"},     {".svg", "image/svg+xml"},
        {".avif", "image/avif"},     {".bmp", "image/bmp"},
        {".tif", "image/tiff"},      {".tiff", "image/tiff"},
        {".pdf", "application/pdf"},
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t n = strlen(types[i].ext);

        if (key_len > n && strncasecmp(key + key_len - n, types[i].ext, n) == 0)
            return types[i].type;
    }
    return NULL;
}

static bool bucket_configured(const struct backfill_options *o,
                              const char *bucket)
{
    for (size_t i = 0; i < o->bucket_count; i++)
        if (strcmp(o->buckets[i], bucket) == 0)
            return true;
    return false;
}

void backfill_classify(const struct backfill_options *o, const char *url,
                       struct backfill_ref *out)
{
    const struct s3url_result *p = &out->parsed;

    out->reason = NULL;
    if (url == NULL) {
        memset(&out->parsed, 0, sizeof(out->parsed));
        out->outcome = BACKFILL_NO_URL;
        out->reason = "no_url";
    } else if (s3url_parse(o->parser, url, &out->parsed) != PD_OK) {
        out->outcome = p->reason == S3URL_EXTERNAL ? BACKFILL_EXTERNAL
                                                   : BACKFILL_UNPARSEABLE;
        out->reason = s3url_reason_name(p->reason);
    } else if (memchr(p->key, '\0', p->key_len) != NULL) {
        /* Postgres text cannot hold NUL: storing a cut key would be wrong. */
        out->outcome = BACKFILL_UNPARSEABLE;
        out->reason = "nul_in_key";
    } else if (!bucket_configured(o, p->bucket)) {
        out->outcome = BACKFILL_UNCONFIGURED;
        out->reason = "bucket_not_configured";
    } else {
        out->outcome = BACKFILL_CONVERTED;
    }
}

/* One batch's state: the insert's columns, reused from batch to batch. */
struct batch {
    const struct backfill_options *o;
    const struct backfill_hooks *h;
    struct backfill_stats *st;
    struct pgarray cols[P_COUNT];
    struct backfill_ref ref; /* large: kept here, not on the stack */
    struct backfill_ref alt; /* the other reading of an ambiguous '+' */
    struct pd_buf cursor;    /* the last row's cursor */
    char content_type[128];
    char detail[256];
};

static enum pd_code report(struct batch *b, PGresult *res, int row,
                           const struct backfill_ref *r, const char *reason,
                           const char *detail, struct pd_err *err)
{
    struct backfill_item it = {
        .subject_id = PQgetvalue(res, row, COL_SUBJECT),
        .kind = PQgetvalue(res, row, COL_KIND),
        .url = PQgetisnull(res, row, COL_URL) ? NULL
                                              : PQgetvalue(res, row, COL_URL),
        .outcome = r->outcome,
        .reason = reason,
        .detail = detail,
        .bucket = r->parsed.bucket,
        .key = r->parsed.key_len > 0 ? r->parsed.key : NULL,
        .key_len = r->parsed.key_len,
    };

    if (b->h == NULL || b->h->on_item == NULL)
        return PD_OK;
    return b->h->on_item(b->h->arg, &it, err);
}

/* The URL with every '+' of its path written as %2B: the "plus" reading. */
static bool plus_reading(struct batch *b, const char *url)
{
    struct pd_buf alt;
    size_t path_end = strcspn(url, "?#");
    bool ok = true;

    pd_buf_init(&alt, 16384);
    for (size_t i = 0; i < path_end && ok; i++)
        ok = (url[i] == '+' ? pd_buf_puts(&alt, "%2B")
                            : pd_buf_putc(&alt, url[i])) == PD_OK;
    ok = ok && pd_buf_puts(&alt, url + path_end) == PD_OK;
    if (ok)
        backfill_classify(b->o, alt.data, &b->alt);
    pd_buf_release(&alt);
    return ok && b->alt.outcome == BACKFILL_CONVERTED &&
           strcmp(b->alt.parsed.bucket, b->ref.parsed.bucket) == 0;
}

static enum backfill_exists head(struct batch *b, const struct backfill_ref *r)
{
    struct backfill_object obj = {&r->parsed, r->parsed.key, r->parsed.key_len};

    b->content_type[0] = '\0';
    b->detail[0] = '\0';
    return b->o->verify->head(b->o->verify->arg, &obj, b->content_type,
                              sizeof(b->content_type), b->detail,
                              sizeof(b->detail));
}

/*
 * --verify: HEAD the object; when it is missing and the URL had a raw '+',
 * try the other reading and keep whichever exists (b->ref becomes it).
 */
static enum pd_code verify(struct batch *b, PGresult *res, int row,
                           const char *url, struct pd_err *err)
{
    enum backfill_exists ex = head(b, &b->ref);

    if (ex == BACKFILL_MISSING && b->ref.parsed.ambiguous_plus &&
        plus_reading(b, url) && head(b, &b->alt) == BACKFILL_EXISTS) {
        memcpy(&b->ref.parsed, &b->alt.parsed, sizeof(b->ref.parsed));
        b->st->plus_as_plus++;
        ex = BACKFILL_EXISTS;
    }
    if (ex == BACKFILL_EXISTS) {
        b->st->verified++;
        return PD_OK;
    }
    if (ex == BACKFILL_MISSING)
        b->st->missing++;
    else
        b->st->verify_failed++;
    return report(b, res, row, &b->ref,
                  ex == BACKFILL_MISSING ? "missing" : "verify_failed",
                  b->detail, err);
}

static enum pd_code push_ref(struct batch *b, PGresult *res, int row,
                             const char *url)
{
    const struct s3url_result *p = &b->ref.parsed;
    const char *ct = b->content_type[0] != '\0'
                         ? b->content_type
                         : backfill_content_type(p->key, p->key_len);
    const char *subject = PQgetvalue(res, row, COL_SUBJECT);
    const char *kind = PQgetvalue(res, row, COL_KIND);
    enum pd_code rc;

    rc = pgarray_push(&b->cols[P_SUBJECT], subject, strlen(subject));
    if (rc == PD_OK)
        rc = pgarray_push(&b->cols[P_KIND], kind, strlen(kind));
    if (rc == PD_OK)
        rc = pgarray_push(&b->cols[P_BUCKET], p->bucket, strlen(p->bucket));
    if (rc == PD_OK)
        rc = pgarray_push(&b->cols[P_KEY], p->key, p->key_len);
    if (rc == PD_OK)
        rc = pgarray_push(&b->cols[P_CTYPE], ct, ct ? strlen(ct) : 0);
    if (rc == PD_OK)
        rc = pgarray_push(&b->cols[P_SOURCE], url, strlen(url));
    return rc;
}

/* Classifies one result row; queues it for the insert when convertible. */
static enum pd_code process_row(struct batch *b, PGresult *res, int row,
                                struct pd_err *err)
{
    const char *url =
        PQgetisnull(res, row, COL_URL) ? NULL : PQgetvalue(res, row, COL_URL);
    enum pd_code rc;

    b->st->items++;
    if (strcmp(PQgetvalue(res, row, COL_CONVERTED), "t") == 0) {
        b->st->outcomes[BACKFILL_ALREADY]++;
        return PD_OK;
    }
    backfill_classify(b->o, url, &b->ref);
    if (b->ref.outcome != BACKFILL_CONVERTED) {
        b->st->outcomes[b->ref.outcome]++;
        if (b->ref.outcome == BACKFILL_NO_URL)
            return PD_OK;
        return report(b, res, row, &b->ref, b->ref.reason, b->ref.parsed.detail,
                      err);
    }
    b->content_type[0] = '\0';
    if (b->o->verify != NULL) {
        rc = verify(b, res, row, url, err);
        if (rc != PD_OK)
            return rc;
    }
    if (b->ref.parsed.ambiguous_plus)
        b->st->ambiguous_plus++;
    rc = push_ref(b, res, row, url);
    if (rc != PD_OK)
        return pd_fail(err, rc,
                       "backfill batch is too large for memory "
                       "limits; use a smaller --batch-size");
    return PD_OK;
}

/* One multi-row insert; counts what it wrote and what someone else had. */
static enum pd_code insert_refs(struct batch *b, PGconn *conn, const char *sql,
                                struct pd_err *err)
{
    const Oid types[P_COUNT] = {PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID,
                                PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID,
                                PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID};
    const int formats[P_COUNT] = {1, 1, 1, 1, 1, 1};
    const char *values[P_COUNT];
    int lengths[P_COUNT];
    size_t attempted = b->cols[P_SUBJECT].count;
    size_t inserted;
    PGresult *res;

    for (int i = 0; i < P_COUNT; i++)
        values[i] = pgarray_finish(&b->cols[i], &lengths[i]);
    res = PQexecParams(conn, sql, P_COUNT, types, values, lengths, formats, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, "backfill insert");
    inserted = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    /* A conflict means a concurrent writer got there first: converted. */
    b->st->outcomes[BACKFILL_CONVERTED] += inserted;
    b->st->outcomes[BACKFILL_ALREADY] += attempted - inserted;
    return PD_OK;
}

static enum pd_code exec_cmd(PGconn *conn, const char *sql, const char *what,
                             struct pd_err *err)
{
    PGresult *res = PQexec(conn, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, what);
    PQclear(res);
    return PD_OK;
}

/* Reads one batch of at most n host rows after the cursor. */
static PGresult *read_batch(struct batch *b, PGconn *conn, const char *sql,
                            size_t n)
{
    char limit[32];
    const char *params[3] = {limit, kind_param(b->o->kind), b->cursor.data};

    snprintf(limit, sizeof(limit), "%zu", n);
    return PQexecParams(conn, sql, b->st->batches == 0 ? 2 : 3, NULL, params,
                        NULL, NULL, 0);
}

/* Counts the batch's host rows and remembers the last one's cursor. */
static enum pd_code advance(struct batch *b, PGresult *res, size_t *host_rows,
                            struct pd_err *err)
{
    int n = PQntuples(res);

    *host_rows = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(PQgetvalue(res, i, COL_CURSOR),
                             PQgetvalue(res, i - 1, COL_CURSOR)) != 0)
            (*host_rows)++;
    pd_buf_reset(&b->cursor);
    if (pd_buf_puts(&b->cursor, PQgetvalue(res, n - 1, COL_CURSOR)) != PD_OK)
        return pd_fail(err, PD_ELIMIT, "backfill cursor is too long");
    b->st->rows += *host_rows;
    return PD_OK;
}

static enum pd_code check_shape(PGresult *res, const struct hostsql *host,
                                struct pd_err *err)
{
    int n = PQnfields(res);

    if (n == COL_COUNT)
        return PD_OK;
    PQclear(res);
    return pd_fail(err, PD_ECONFIG,
                   "%s: the backfill batch query returns %d columns, "
                   "expected %d (cursor, subject_id, kind, url, converted)",
                   hostsql_origin(host), n, COL_COUNT);
}

/* One transaction: read, classify, insert, commit. *done at the end. */
static enum pd_code run_batch(struct batch *b, PGconn *conn, const char *select,
                              const char *insert, size_t n, bool *done,
                              struct pd_err *err)
{
    PGresult *res = NULL;
    size_t host_rows = 0;
    enum pd_code rc = exec_cmd(
        conn, b->o->dry_run ? "BEGIN READ ONLY" : "BEGIN", "BEGIN", err);

    if (rc != PD_OK)
        return rc;
    res = read_batch(b, conn, select, n);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = db_fail(err, res, conn, "backfill batch read");
    else
        rc = check_shape(res, b->o->host, err);
    if (rc != PD_OK)
        goto rollback;
    for (int i = 0; i < P_COUNT; i++)
        pgarray_reset(&b->cols[i]);
    for (int i = 0; i < PQntuples(res) && rc == PD_OK; i++)
        rc = process_row(b, res, i, err);
    if (rc == PD_OK && PQntuples(res) > 0)
        rc = advance(b, res, &host_rows, err);
    if (rc == PD_OK && b->cols[P_SUBJECT].count > 0) {
        if (b->o->dry_run)
            b->st->outcomes[BACKFILL_CONVERTED] += b->cols[P_SUBJECT].count;
        else
            rc = insert_refs(b, conn, insert, err);
    }
    PQclear(res);
    if (rc != PD_OK)
        goto rollback;
    *done = host_rows < n;
    return exec_cmd(conn, "COMMIT", "backfill batch commit", err);

rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

static enum pd_code check_options(const struct backfill_options *o,
                                  struct pd_err *err)
{
    if (o->batch_size < 1 || o->batch_size > BACKFILL_MAX_BATCH)
        return pd_fail(err, PD_EINVAL, "batch size must be 1..%d",
                       BACKFILL_MAX_BATCH);
    if (o->bucket_count == 0)
        return pd_fail(err, PD_ECONFIG, "no bucket configured");
    return PD_OK;
}

static enum pd_code walk(struct batch *b, PGconn *conn, struct pd_err *err)
{
    const char *first, *next, *insert;
    const struct backfill_options *o = b->o;
    bool done = false;
    enum pd_code rc;

    if ((rc = hostsql_require(o->host, "backfill_first", &first, err)) !=
            PD_OK ||
        (rc = hostsql_require(o->host, "backfill_next", &next, err)) != PD_OK ||
        (rc = hostsql_require(o->internal, "backfill_insert", &insert, err)) !=
            PD_OK)
        return rc;
    while (!done && rc == PD_OK) {
        size_t n = o->batch_size;

        if (o->limit > 0 && o->limit - b->st->rows < n)
            n = (size_t)(o->limit - b->st->rows);
        if (n == 0)
            break;
        rc = run_batch(b, conn, b->st->batches == 0 ? first : next, insert, n,
                       &done, err);
        if (rc != PD_OK)
            break;
        b->st->batches++;
        if (b->h != NULL && b->h->on_batch != NULL)
            b->h->on_batch(b->h->arg, b->st);
    }
    return rc;
}

enum pd_code backfill_run(PGconn *conn, const struct backfill_options *o,
                          const struct backfill_hooks *h,
                          struct backfill_stats *stats, struct pd_err *err)
{
    struct batch *b = NULL;
    enum pd_code rc;

    memset(stats, 0, sizeof(*stats));
    rc = check_options(o, err);
    if (rc != PD_OK)
        return rc;
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    b->o = o;
    b->h = h;
    b->st = stats;
    for (int i = 0; i < P_COUNT; i++)
        pgarray_init(&b->cols[i], ARRAY_MAX);
    pd_buf_init(&b->cursor, 4096);

    rc = walk(b, conn, err);

    for (int i = 0; i < P_COUNT; i++)
        pgarray_release(&b->cols[i]);
    pd_buf_release(&b->cursor);
    free(b);
    return rc;
}

enum pd_code backfill_count(PGconn *conn, const struct hostsql *host,
                            unsigned long long *out, struct pd_err *err)
{
    const char *sql;
    PGresult *res;
    enum pd_code rc = hostsql_require(host, "backfill_count", &sql, err);

    *out = 0;
    if (rc != PD_OK)
        return rc;
    res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return db_fail(err, res, conn, "backfill_count");
    *out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return PD_OK;
}
