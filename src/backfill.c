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
        out->reason = "no-url";
    } else if (s3url_parse(o->parser, url, &out->parsed) != PD_OK) {
        out->outcome = p->reason == S3URL_EXTERNAL ? BACKFILL_EXTERNAL
                                                   : BACKFILL_UNPARSEABLE;
        out->reason = s3url_reason_name(p->reason);
    } else if (memchr(p->key, '\0', p->key_len) != NULL) {
        /* Postgres text cannot hold NUL: storing a cut key would be wrong. */
        out->outcome = BACKFILL_UNPARSEABLE;
        out->reason = "nul-in-key";
    } else if (!bucket_configured(o, p->bucket)) {
        out->outcome = BACKFILL_UNCONFIGURED;
        out->reason = "bucket-not-configured";
    } else {
        out->outcome = BACKFILL_CONVERTED;
    }
}

/* The SQL the walk needs, found once. */
struct walk_sql {
    const char *first, *next;
    const char *insert;         /* plain INSERT: the fast path */
    const char *insert_or_skip; /* ON CONFLICT DO NOTHING: after a race */
};

/* Rows checked together: enough to keep the store busy, few enough that
 * their parse results (about 3.5 kB each) stay small. */
#define VERIFY_CHUNK 256

struct verify_slot {
    int row;
    struct backfill_ref ref;
};

/* One batch's state: the insert's columns, reused from batch to batch. */
struct batch {
    const struct backfill_options *o;
    const struct backfill_hooks *h;
    struct backfill_stats *st;       /* committed batches only */
    struct backfill_stats cur;       /* the batch being classified */
    struct backfill_stats pend;      /* the batch whose insert is in flight */
    bool pending;                    /* an insert was sent, not yet answered */
    size_t pend_attempted;           /* references that insert tried to write */
    struct pgarray sets[2][P_COUNT]; /* double buffer: */
    struct pgarray *cols;            /* the batch being classified, and */
    struct pgarray *pend_cols;       /* the batch in flight, kept for a retry */
    const struct walk_sql *q;
    struct backfill_ref ref; /* large: kept here, not on the stack */
    struct pd_buf cursor;    /* the last row's cursor */
    /* --verify: convertible rows wait here until a chunk is checked. */
    struct verify_slot *slots;
    size_t slot_count;
    struct backfill_check *checks; /* the first reading of each slot */
    struct backfill_check *alts;   /* '+' as a plus, for the missing */
    size_t *alt_slot;              /* alts[j] belongs to slots[alt_slot[j]] */
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

static enum pd_code push_ref(struct batch *b, PGresult *res, int row,
                             const struct backfill_ref *r,
                             const char *store_type)
{
    const struct s3url_result *p = &r->parsed;
    const char *ct = store_type != NULL && store_type[0] != '\0'
                         ? store_type
                         : backfill_content_type(p->key, p->key_len);
    const char *subject = PQgetvalue(res, row, COL_SUBJECT);
    const char *kind = PQgetvalue(res, row, COL_KIND);
    const char *url = PQgetvalue(res, row, COL_URL);
    enum pd_code rc;

    if (p->ambiguous_plus)
        b->cur.ambiguous_plus++;
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

static void check_init(struct backfill_check *c, const struct s3url_result *p,
                       const char *key)
{
    c->parsed = p;
    c->key = key;
    c->key_len = p->key_len;
    c->exists = BACKFILL_CHECK_FAILED;
    c->content_type[0] = '\0';
    c->detail[0] = '\0';
}

/*
 * One checked slot: keeps the '+'-as-plus reading when only it exists,
 * counts, reports a missing or unchecked object (which is still written:
 * the URL said so), and queues the reference.
 */
static enum pd_code finish_slot(struct batch *b, PGresult *res,
                                struct verify_slot *s,
                                const struct backfill_check *c,
                                const struct backfill_check *alt,
                                struct pd_err *err)
{
    struct s3url_result *p = &s->ref.parsed;
    enum pd_code rc = PD_OK;

    if (alt != NULL && alt->exists == BACKFILL_EXISTS) {
        memcpy(p->key, p->key_literal_plus, sizeof(p->key));
        b->cur.plus_as_plus++;
        c = alt;
    }
    if (c->exists == BACKFILL_EXISTS)
        b->cur.verified++;
    else if (c->exists == BACKFILL_MISSING)
        b->cur.missing++;
    else
        b->cur.verify_failed++;
    if (c->exists != BACKFILL_EXISTS)
        rc = report(b, res, s->row, &s->ref,
                    c->exists == BACKFILL_MISSING ? "missing" : "verify-failed",
                    c->detail, err);
    if (rc == PD_OK &&
        push_ref(b, res, s->row, &s->ref, c->content_type) != PD_OK)
        rc = pd_fail(err, PD_ELIMIT,
                     "backfill batch is too large for memory limits; use a "
                     "smaller --batch-size");
    return rc;
}

/*
 * --verify: checks the waiting slots at once; a key read from a raw '+'
 * whose object is missing is checked again with each '+' as a plus, and
 * the reading that exists is kept.
 */
static enum pd_code flush_verify(struct batch *b, PGresult *res,
                                 struct pd_err *err)
{
    const struct backfill_verifier *v = b->o->verify;
    size_t n = b->slot_count, m = 0, j = 0;
    enum pd_code rc = PD_OK;

    for (size_t i = 0; i < n; i++)
        check_init(&b->checks[i], &b->slots[i].ref.parsed,
                   b->slots[i].ref.parsed.key);
    if (n > 0)
        v->check(v->arg, b->checks, n);
    for (size_t i = 0; i < n; i++) {
        const struct s3url_result *p = &b->slots[i].ref.parsed;

        if (b->checks[i].exists != BACKFILL_MISSING || !p->ambiguous_plus)
            continue;
        check_init(&b->alts[m], p, p->key_literal_plus);
        b->alt_slot[m++] = i;
    }
    if (m > 0)
        v->check(v->arg, b->alts, m);
    for (size_t i = 0; i < n && rc == PD_OK; i++) {
        const struct backfill_check *alt = NULL;

        if (j < m && b->alt_slot[j] == i)
            alt = &b->alts[j++];
        rc = finish_slot(b, res, &b->slots[i], &b->checks[i], alt, err);
    }
    b->slot_count = 0;
    return rc;
}

/* Classifies one result row; queues it for the insert when convertible. */
static enum pd_code process_row(struct batch *b, PGresult *res, int row,
                                struct pd_err *err)
{
    const char *url =
        PQgetisnull(res, row, COL_URL) ? NULL : PQgetvalue(res, row, COL_URL);
    enum pd_code rc;

    b->cur.items++;
    if (strcmp(PQgetvalue(res, row, COL_CONVERTED), "t") == 0) {
        b->cur.outcomes[BACKFILL_ALREADY]++;
        return PD_OK;
    }
    backfill_classify(b->o, url, &b->ref);
    if (b->ref.outcome != BACKFILL_CONVERTED) {
        b->cur.outcomes[b->ref.outcome]++;
        if (b->ref.outcome == BACKFILL_NO_URL)
            return PD_OK;
        return report(b, res, row, &b->ref, b->ref.reason, b->ref.parsed.detail,
                      err);
    }
    if (b->o->verify != NULL) {
        /* Checked with others of its chunk, then queued in row order. */
        b->slots[b->slot_count].row = row;
        b->slots[b->slot_count++].ref = b->ref;
        return b->slot_count == VERIFY_CHUNK ? flush_verify(b, res, err)
                                             : PD_OK;
    }
    rc = push_ref(b, res, row, &b->ref, NULL);
    if (rc != PD_OK)
        return pd_fail(err, rc,
                       "backfill batch is too large for memory "
                       "limits; use a smaller --batch-size");
    return PD_OK;
}

/* Adds a committed batch's counts to the totals. */
static void merge(struct backfill_stats *to, const struct backfill_stats *d)
{
    to->rows += d->rows;
    to->items += d->items;
    for (int i = 0; i < BACKFILL_OUTCOME_COUNT; i++)
        to->outcomes[i] += d->outcomes[i];
    to->ambiguous_plus += d->ambiguous_plus;
    to->verified += d->verified;
    to->missing += d->missing;
    to->plus_as_plus += d->plus_as_plus;
    to->verify_failed += d->verify_failed;
}

static void committed(struct batch *b, const struct backfill_stats *d)
{
    merge(b->st, d);
    b->st->batches++;
    if (b->h != NULL && b->h->on_batch != NULL)
        b->h->on_batch(b->h->arg, b->st);
}

/* Waits for the single result of the last query sent on conn. */
static PGresult *await(PGconn *conn)
{
    PGresult *res = PQgetResult(conn), *extra;

    while ((extra = PQgetResult(conn)) != NULL)
        PQclear(extra);
    return res;
}

static void wire_values(struct pgarray *cols, const char *values[P_COUNT],
                        int lengths[P_COUNT])
{
    for (int i = 0; i < P_COUNT; i++)
        values[i] = pgarray_finish(&cols[i], &lengths[i]);
}

static const Oid insert_types[P_COUNT] = {
    PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID,
    PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID, PGARRAY_TEXT_ARRAY_OID};
static const int insert_formats[P_COUNT] = {1, 1, 1, 1, 1, 1};

/*
 * Sends the batch's references as one plain INSERT (its own transaction)
 * and returns at once. The batch's arrays are kept for a retry; the other
 * set takes the next batch while the server works.
 */
static enum pd_code send_insert(struct batch *b, PGconn *conn,
                                struct pd_err *err)
{
    const char *values[P_COUNT];
    int lengths[P_COUNT];

    wire_values(b->cols, values, lengths);
    if (!PQsendQueryParams(conn, b->q->insert, P_COUNT, insert_types, values,
                           lengths, insert_formats, 0))
        return db_fail(err, NULL, conn, "backfill insert");
    b->pend = b->cur;
    b->pend_attempted = b->cols[P_SUBJECT].count;
    b->pending = true;
    b->pend_cols = b->cols;
    b->cols = b->cols == b->sets[0] ? b->sets[1] : b->sets[0];
    return PD_OK;
}

static bool is_unique_violation(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state != NULL && strcmp(state, "23505") == 0;
}

/*
 * The plain INSERT met a reference written since the batch was read (by
 * the app or another copy): the whole statement was rolled back, so the
 * batch is sent again, skipping what exists.
 */
static PGresult *insert_or_skip(struct batch *b, PGconn *conn)
{
    const char *values[P_COUNT];
    int lengths[P_COUNT];

    wire_values(b->pend_cols, values, lengths);
    return PQexecParams(conn, b->q->insert_or_skip, P_COUNT, insert_types,
                        values, lengths, insert_formats, 0);
}

/* Collects the in-flight insert: counts what it wrote, commits the batch. */
static enum pd_code finish_insert(struct batch *b, PGconn *conn,
                                  struct pd_err *err)
{
    PGresult *res;
    size_t inserted;

    if (!b->pending)
        return PD_OK;
    b->pending = false;
    res = await(conn);
    if (PQresultStatus(res) == PGRES_FATAL_ERROR && is_unique_violation(res)) {
        PQclear(res);
        res = insert_or_skip(b, conn);
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, "backfill insert");
    inserted = (size_t)strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    /* What was not inserted had been written by someone else meanwhile. */
    b->pend.outcomes[BACKFILL_CONVERTED] += inserted;
    b->pend.outcomes[BACKFILL_ALREADY] += b->pend_attempted - inserted;
    committed(b, &b->pend);
    return PD_OK;
}

/* Asks for the next batch: at most n host rows after the cursor. */
static enum pd_code send_read(struct batch *b, PGconn *conn, const char *sql,
                              bool first, size_t n, struct pd_err *err)
{
    char limit[32];
    const char *params[3] = {limit, kind_param(b->o->kind), b->cursor.data};

    snprintf(limit, sizeof(limit), "%zu", n);
    if (!PQsendQueryParams(conn, sql, first ? 2 : 3, NULL, params, NULL, NULL,
                           0))
        return db_fail(err, NULL, conn, "backfill batch read");
    return PD_OK;
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
    if (n > 0 &&
        pd_buf_puts(&b->cursor, PQgetvalue(res, n - 1, COL_CURSOR)) != PD_OK)
        return pd_fail(err, PD_ELIMIT, "backfill cursor is too long");
    return PD_OK;
}

static enum pd_code await_read(PGconn *conn, const struct hostsql *host,
                               PGresult **out, struct pd_err *err)
{
    PGresult *res = await(conn);
    int cols;

    *out = NULL;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(err, res, conn, "backfill batch read");
    cols = PQnfields(res);
    if (cols != COL_COUNT) {
        PQclear(res);
        return pd_fail(err, PD_ECONFIG,
                       "%s: the backfill batch query returns %d columns, "
                       "expected %d (cursor, subject_id, kind, url, "
                       "converted)",
                       hostsql_origin(host), cols, COL_COUNT);
    }
    *out = res;
    return PD_OK;
}

static enum pd_code classify_batch(struct batch *b, PGresult *res,
                                   struct pd_err *err)
{
    enum pd_code rc = PD_OK;

    memset(&b->cur, 0, sizeof(b->cur));
    for (int i = 0; i < P_COUNT; i++)
        pgarray_reset(&b->cols[i]);
    for (int i = 0; i < PQntuples(res) && rc == PD_OK; i++)
        rc = process_row(b, res, i, err);
    if (rc == PD_OK && b->o->verify != NULL)
        rc = flush_verify(b, res, err);
    return rc;
}

/* Hands the classified batch on: to the writer, or straight to the totals
 * when there is nothing to write (or this is a dry run). */
static enum pd_code write_batch(struct batch *b, PGconn *writer,
                                struct pd_err *err)
{
    enum pd_code rc = finish_insert(b, writer, err);

    if (rc != PD_OK)
        return rc;
    if (b->cols[P_SUBJECT].count > 0 && !b->o->dry_run)
        return send_insert(b, writer, err);
    b->cur.outcomes[BACKFILL_CONVERTED] += b->cols[P_SUBJECT].count;
    committed(b, &b->cur);
    return PD_OK;
}

static size_t next_size(const struct batch *b, unsigned long long walked)
{
    size_t n = b->o->batch_size;

    if (b->o->limit > 0 && b->o->limit - walked < n)
        n = (size_t)(b->o->limit - walked);
    return n;
}

/*
 * The pipeline: while the reader connection fetches batch N+1 and the
 * writer connection inserts batch N-1, this process classifies batch N.
 * Each insert is one statement, hence one transaction; a batch counts as
 * done only when its insert has committed.
 */
static enum pd_code walk(struct batch *b, PGconn *reader, PGconn *writer,
                         const struct walk_sql *q, struct pd_err *err)
{
    unsigned long long walked = 0;
    size_t n = next_size(b, 0), host_rows = 0;
    PGresult *res = NULL;
    bool more = n > 0;
    enum pd_code rc =
        more ? send_read(b, reader, q->first, true, n, err) : PD_OK;

    while (rc == PD_OK && more) {
        rc = await_read(reader, b->o->host, &res, err);
        if (rc == PD_OK)
            rc = advance(b, res, &host_rows, err);
        if (rc != PD_OK || host_rows == 0)
            break;
        walked += host_rows;
        more = host_rows == n && (n = next_size(b, walked)) > 0;
        if (more)
            rc = send_read(b, reader, q->next, false, n, err);
        if (rc == PD_OK)
            rc = classify_batch(b, res, err);
        b->cur.rows = host_rows;
        PQclear(res);
        res = NULL;
        if (rc == PD_OK)
            rc = write_batch(b, writer, err);
    }
    PQclear(res);
    if (rc == PD_OK)
        rc = finish_insert(b, writer, err);
    return rc;
}

static enum pd_code check_options(const struct backfill_options *o,
                                  PGconn *writer, struct pd_err *err)
{
    if (o->batch_size < 1 || o->batch_size > BACKFILL_MAX_BATCH)
        return pd_fail(err, PD_EINVAL, "batch size must be 1..%d",
                       BACKFILL_MAX_BATCH);
    if (o->bucket_count == 0)
        return pd_fail(err, PD_ECONFIG, "no bucket configured");
    if (writer == NULL && !o->dry_run)
        return pd_fail(err, PD_EINVAL,
                       "a real run needs a writer "
                       "connection");
    return PD_OK;
}

static enum pd_code find_sql(const struct backfill_options *o,
                             struct walk_sql *q, struct pd_err *err)
{
    enum pd_code rc =
        hostsql_require(o->host, "backfill_first", &q->first, err);

    if (rc == PD_OK)
        rc = hostsql_require(o->host, "backfill_next", &q->next, err);
    if (rc == PD_OK)
        rc = hostsql_require(o->internal, "backfill_insert", &q->insert, err);
    if (rc == PD_OK)
        rc = hostsql_require(o->internal, "backfill_insert_or_skip",
                             &q->insert_or_skip, err);
    return rc;
}

static enum pd_code alloc_verify(struct batch *b, struct pd_err *err)
{
    if (b->o->verify == NULL)
        return PD_OK;
    b->slots = calloc(VERIFY_CHUNK, sizeof(*b->slots));
    b->checks = calloc(VERIFY_CHUNK, sizeof(*b->checks));
    b->alts = calloc(VERIFY_CHUNK, sizeof(*b->alts));
    b->alt_slot = calloc(VERIFY_CHUNK, sizeof(*b->alt_slot));
    if (b->slots == NULL || b->checks == NULL || b->alts == NULL ||
        b->alt_slot == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    return PD_OK;
}

enum pd_code backfill_run(PGconn *reader, PGconn *writer,
                          const struct backfill_options *o,
                          const struct backfill_hooks *h,
                          struct backfill_stats *stats, struct pd_err *err)
{
    struct batch *b = NULL;
    struct walk_sql q;
    enum pd_code rc;

    memset(stats, 0, sizeof(*stats));
    rc = check_options(o, writer, err);
    if (rc == PD_OK)
        rc = find_sql(o, &q, err);
    if (rc != PD_OK)
        return rc;
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    b->o = o;
    b->h = h;
    b->st = stats;
    b->q = &q;
    for (int i = 0; i < P_COUNT; i++) {
        pgarray_init(&b->sets[0][i], ARRAY_MAX);
        pgarray_init(&b->sets[1][i], ARRAY_MAX);
    }
    b->cols = b->sets[0];
    pd_buf_init(&b->cursor, 4096);

    rc = alloc_verify(b, err);
    if (rc == PD_OK)
        rc = walk(b, reader, writer, &q, err);

    for (int i = 0; i < P_COUNT; i++) {
        pgarray_release(&b->sets[0][i]);
        pgarray_release(&b->sets[1][i]);
    }
    pd_buf_release(&b->cursor);
    free(b->slots);
    free(b->checks);
    free(b->alts);
    free(b->alt_slot);
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
