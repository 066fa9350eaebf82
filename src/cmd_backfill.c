/*
 * cmd_backfill.c - `presignd backfill`: reads the options, runs the
 * backfill service, shows progress (a status line on a terminal, one JSON
 * line per batch otherwise, both on stderr), writes the --report file and
 * prints the summary as one JSON line on stdout.
 */
#include "cli.h"
#include "commands.h"
#include "presignd/awsenv.h"
#include "presignd/backfill.h"
#include "presignd/backfill_verify.h"
#include "presignd/buf.h"
#include "presignd/db.h"
#include "presignd/hostsql.h"
#include "presignd/log.h"
#include "presignd/migrate.h"
#include "presignd/s3url.h"
#include "presignd/sigv4.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Exit status when some rows could not be parsed (the run itself ended). */
#define BACKFILL_EXIT_UNPARSEABLE 3
#define BACKFILL_EXIT_UNVERIFIED  4

enum progress_mode {
    PROGRESS_AUTO,
    PROGRESS_TTY,
    PROGRESS_JSON,
    PROGRESS_NONE
};

struct backfill_cli {
    struct backfill_options opts;
    struct s3url_config parser;
    const char *buckets[BACKFILL_MAX_BUCKETS];
    char *bucket_env; /* strdup of PRESIGND_BUCKETS, split in place */
    const char *endpoint_flags[S3URL_MAX_ENDPOINTS];
    size_t endpoint_flag_count;
    const char *cdn_flags[S3URL_MAX_CDNS];
    size_t cdn_flag_count;
    const char *queries;
    const char *report_path;
    bool verify;
    size_t verify_concurrency;
    enum progress_mode progress;
    /* run state */
    struct hostsql *host;
    struct hostsql *internal;
    struct backfill_verify_s3 *verifier;
    PGconn *conn;   /* reads batches */
    PGconn *writer; /* inserts references; NULL for a dry run */
    FILE *report;
    unsigned long long total; /* host rows expected, for the ETA */
    struct timespec start;
    struct pd_err err;
};

static void usage(FILE *out)
{
    fputs(
        "usage: presignd backfill --bucket NAME [OPTIONS]\n"
        "\n"
        "Turns the host's legacy image URLs into object references\n"
        "(presignd.object_refs), in primary-key order, one transaction per "
        "batch.\n"
        "Only missing references are written: re-running is a no-op, and a run "
        "that\n"
        "was killed can simply be started again.\n"
        "\n"
        "options:\n"
        "  --bucket NAME        a bucket references may point into "
        "(repeatable; also\n"
        "                       PRESIGND_BUCKETS=a,b); other buckets are not "
        "written\n"
        "  --dry-run            change nothing; report what a real run would "
        "do\n"
        "  --batch-size N       host rows per batch (default 5000, max "
        "100000)\n"
        "  --limit N            stop after N host rows\n"
        "  --kind K             avatar, signature or all (default)\n"
        "  --report FILE        every item not converted (and, with --verify, "
        "every\n"
        "                       missing object) as JSON lines, with the "
        "reason\n"
        "  --verify             check each object with a signed HEAD (AWS_* "
        "settings);\n"
        "                       for a raw '+', keep the reading that exists\n"
        "  --verify-concurrency N  HEAD requests in flight (default 16, max "
        "64)\n"
        "  --s3-endpoint URL[@REGION]  a custom path-style S3 endpoint "
        "(repeatable;\n"
        "                       also PRESIGND_S3_ENDPOINTS, comma-separated)\n"
        "  --cdn HOST=BUCKET[/PREFIX][@REGION]  a CDN host serving a bucket\n"
        "                       (repeatable; also PRESIGND_CDNS, "
        "comma-separated)\n"
        "  --queries FILE       host queries file (default: $PRESIGND_QUERIES, "
        "else\n"
        "                       the built-in sql/queries.sql)\n"
        "  --progress MODE      on stderr: auto (a status line on a terminal, "
        "else\n"
        "                       one JSON line per batch), tty, json or none\n"
        "  -h, --help           show this help\n"
        "\n"
        "The summary is one JSON line on stdout: rows, items, converted,\n"
        "already_converted, no_url, external, unparseable, "
        "bucket_not_configured,\n"
        "ambiguous_plus; with --verify also verified, missing, plus_as_plus,\n"
        "verify_failed.\n"
        "Database: DATABASE_URL (libpq URI or conninfo) or the PG* variables.\n"
        "exit status: 0 done, 1 failure, 2 usage error, 3 done but some URLs "
        "could\n"
        "not be parsed (see --report), 4 done but --verify found objects "
        "missing\n"
        "or could not check them (see --report).\n",
        out);
}

static int add_bucket(struct backfill_cli *c, const char *name)
{
    if (name[0] == '\0')
        return -1;
    if (c->opts.bucket_count == BACKFILL_MAX_BUCKETS)
        return cli_usage_error("backfill",
                               "too many buckets (at most 64): '%s'", name);
    c->buckets[c->opts.bucket_count++] = name;
    return -1;
}

static bool parse_count(const char *s, unsigned long long max,
                        unsigned long long *out)
{
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return false;
    *out = strtoull(s, &end, 10);
    return *end == '\0' && *out >= 1 && *out <= max;
}

/* The environment first, then the flags, as parse-url does. */
static int parser_config(struct backfill_cli *c)
{
    if (s3url_config_from_env(&c->parser, &c->err) != PD_OK ||
        s3url_config_add_store(&c->parser, awsenv_endpoint_url(),
                               awsenv_region(), &c->err) != PD_OK)
        return cli_usage_error("backfill", "%s", c->err.msg);
    for (size_t i = 0; i < c->endpoint_flag_count; i++)
        if (s3url_config_add_endpoint(&c->parser, c->endpoint_flags[i],
                                      &c->err) != PD_OK)
            return cli_usage_error("backfill", "--s3-endpoint: %s", c->err.msg);
    for (size_t i = 0; i < c->cdn_flag_count; i++)
        if (s3url_config_add_cdn(&c->parser, c->cdn_flags[i], &c->err) != PD_OK)
            return cli_usage_error("backfill", "--cdn: %s", c->err.msg);
    return -1;
}

static int buckets_from_env(struct backfill_cli *c)
{
    const char *v = getenv("PRESIGND_BUCKETS");
    char *save = NULL;
    int status = -1;

    if (v == NULL || v[0] == '\0' || c->opts.bucket_count > 0)
        return -1; /* --bucket wins over the environment */
    c->bucket_env = strdup(v);
    if (c->bucket_env == NULL)
        return PD_EXIT_FAIL;
    /* items are trimmed of spaces, as serve reads the same variable */
    for (char *t = strtok_r(c->bucket_env, ",", &save); t && status < 0;
         t = strtok_r(NULL, ",", &save)) {
        size_t n;

        t += strspn(t, " ");
        n = strlen(t);
        while (n > 0 && t[n - 1] == ' ')
            t[--n] = '\0';
        status = add_bucket(c, t);
    }
    return status;
}

/* Bucket names are checked once all options are read, so that an error
 * in another option is reported as such. */
static int buckets_valid(struct backfill_cli *c)
{
    for (size_t i = 0; i < c->opts.bucket_count; i++)
        if (sigv4_bucket_validate(c->buckets[i], &c->err) != PD_OK)
            return cli_usage_error("backfill", "--bucket: %s", c->err.msg);
    return -1;
}

static int parse_option(struct backfill_cli *c, int opt, const char *arg)
{
    unsigned long long n;

    switch (opt) {
    case 'b':
        return add_bucket(c, arg);
    case 'n':
        c->opts.dry_run = true;
        return -1;
    case 'B':
        if (!parse_count(arg, BACKFILL_MAX_BATCH, &n))
            return cli_usage_error(
                "backfill", "--batch-size must be 1..100000, not '%s'", arg);
        c->opts.batch_size = (size_t)n;
        return -1;
    case 'l':
        if (!parse_count(arg, ~0ULL, &c->opts.limit))
            return cli_usage_error(
                "backfill", "--limit must be a positive number, not '%s'", arg);
        return -1;
    case 'k':
        if (backfill_kind_parse(arg, &c->opts.kind) != PD_OK)
            return cli_usage_error("backfill",
                                   "--kind must be avatar, signature or all, "
                                   "not '%s'",
                                   arg);
        return -1;
    case 'r':
        c->report_path = arg;
        return -1;
    case 'v':
        c->verify = true;
        return -1;
    case 'V':
        if (!parse_count(arg, BACKFILL_VERIFY_MAX_CONCURRENCY, &n))
            return cli_usage_error(
                "backfill", "--verify-concurrency must be 1..%d, not '%s'",
                BACKFILL_VERIFY_MAX_CONCURRENCY, arg);
        c->verify_concurrency = (size_t)n;
        return -1;
    case 'q':
        c->queries = arg;
        return -1;
    case 'e':
        if (c->endpoint_flag_count == S3URL_MAX_ENDPOINTS)
            return cli_usage_error("backfill", "at most %d --s3-endpoint",
                                   S3URL_MAX_ENDPOINTS);
        c->endpoint_flags[c->endpoint_flag_count++] = arg;
        return -1;
    case 'c':
        if (c->cdn_flag_count == S3URL_MAX_CDNS)
            return cli_usage_error("backfill", "at most %d --cdn",
                                   S3URL_MAX_CDNS);
        c->cdn_flags[c->cdn_flag_count++] = arg;
        return -1;
    case 'p':
        if (strcmp(arg, "auto") == 0)
            c->progress = PROGRESS_AUTO;
        else if (strcmp(arg, "tty") == 0)
            c->progress = PROGRESS_TTY;
        else if (strcmp(arg, "json") == 0)
            c->progress = PROGRESS_JSON;
        else if (strcmp(arg, "none") == 0)
            c->progress = PROGRESS_NONE;
        else
            return cli_usage_error(
                "backfill",
                "--progress must be auto, tty, json or none, "
                "not '%s'",
                arg);
        return -1;
    case 'h':
        usage(stdout);
        return PD_EXIT_OK;
    default:
        usage(stderr);
        return PD_EXIT_USAGE;
    }
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct backfill_cli *c)
{
    static const struct option longopts[] = {
        {"bucket", required_argument, NULL, 'b'},
        {"dry-run", no_argument, NULL, 'n'},
        {"batch-size", required_argument, NULL, 'B'},
        {"limit", required_argument, NULL, 'l'},
        {"kind", required_argument, NULL, 'k'},
        {"report", required_argument, NULL, 'r'},
        {"verify", no_argument, NULL, 'v'},
        {"verify-concurrency", required_argument, NULL, 'V'},
        {"queries", required_argument, NULL, 'q'},
        {"s3-endpoint", required_argument, NULL, 'e'},
        {"cdn", required_argument, NULL, 'c'},
        {"progress", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt, status = -1;

    c->opts.batch_size = 5000;
    c->verify_concurrency = 16;
    optind = 1;
    while (status < 0 &&
           (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        status = parse_option(c, opt, optarg);
    if (status < 0 && optind != argc)
        status = cli_usage_error("backfill", "unexpected argument '%s'",
                                 argv[optind]);
    if (status < 0)
        status = buckets_from_env(c);
    if (status < 0)
        status = parser_config(c);
    if (status < 0 && c->opts.bucket_count == 0)
        status = cli_usage_error("backfill", "%s",
                                 "no bucket configured: give --bucket NAME "
                                 "or PRESIGND_BUCKETS");
    if (status < 0)
        status = buckets_valid(c);
    return status;
}

static double elapsed(const struct backfill_cli *c)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - c->start.tv_sec) +
           (double)(now.tv_nsec - c->start.tv_nsec) / 1e9;
}

static void progress_tty(struct backfill_cli *c, const struct backfill_stats *s)
{
    double t = elapsed(c), rate = t > 0 ? (double)s->rows / t : 0;
    unsigned long long total = c->total;

    if (total < s->rows)
        total = s->rows;
    fprintf(stderr,
            "\r%llu/%llu rows (%.0f%%)  %.0f rows/s  ETA %.0fs  "
            "converted %llu  not converted %llu   ",
            s->rows, total,
            total ? 100.0 * (double)s->rows / (double)total : 100, rate,
            rate > 0 ? (double)(total - s->rows) / rate : 0,
            s->outcomes[BACKFILL_CONVERTED],
            s->outcomes[BACKFILL_EXTERNAL] + s->outcomes[BACKFILL_UNPARSEABLE] +
                s->outcomes[BACKFILL_UNCONFIGURED]);
}

/* Appends the counters shared by the batch lines and the summary. */
static enum pd_code put_counts(struct pd_buf *b, const struct backfill_stats *s,
                               bool verify)
{
    enum pd_code rc =
        pd_buf_printf(b, "\"rows\":%llu,\"items\":%llu", s->rows, s->items);

    for (int i = 0; i < BACKFILL_OUTCOME_COUNT && rc == PD_OK; i++)
        rc = pd_buf_printf(b, ",\"%s\":%llu",
                           backfill_outcome_name((enum backfill_outcome)i),
                           s->outcomes[i]);
    if (rc == PD_OK)
        rc = pd_buf_printf(b, ",\"ambiguous_plus\":%llu", s->ambiguous_plus);
    if (rc == PD_OK && verify)
        rc = pd_buf_printf(b,
                           ",\"verified\":%llu,\"missing\":%llu,"
                           "\"plus_as_plus\":%llu,\"verify_failed\":%llu",
                           s->verified, s->missing, s->plus_as_plus,
                           s->verify_failed);
    return rc;
}

static void progress_json(struct backfill_cli *c,
                          const struct backfill_stats *s)
{
    struct pd_buf b;
    double t = elapsed(c);

    pd_buf_init(&b, 4096);
    if (pd_buf_printf(&b, "{\"batch\":%llu,\"total\":%llu,", s->batches,
                      c->total) == PD_OK &&
        put_counts(&b, s, c->verify) == PD_OK &&
        pd_buf_printf(&b, ",\"elapsed_s\":%.3f,\"rows_per_s\":%.0f}\n", t,
                      t > 0 ? (double)s->rows / t : 0) == PD_OK)
        fwrite(b.data, 1, b.len, stderr);
    pd_buf_release(&b);
}

static void on_batch(void *arg, const struct backfill_stats *s)
{
    struct backfill_cli *c = arg;

    if (c->progress == PROGRESS_TTY)
        progress_tty(c, s);
    else if (c->progress == PROGRESS_JSON)
        progress_json(c, s);
}

static enum pd_code put_field(struct pd_buf *b, const char *name,
                              const char *value)
{
    enum pd_code rc;

    if (value == NULL)
        return pd_buf_printf(b, ",\"%s\":null", name);
    rc = pd_buf_printf(b, ",\"%s\":\"", name);
    if (rc == PD_OK)
        rc = pd_json_escape(b, value);
    if (rc == PD_OK)
        rc = pd_buf_putc(b, '"');
    return rc;
}

/* One JSON line of the --report file. */

/*
 * The stored URL without its query string: stale presigned URLs carry
 * X-Amz-Signature, X-Amz-Credential and session tokens there, and a report
 * is a file ops pass around. The path is what a reader needs to find the
 * row's problem; "?<removed>" says a query was there.
 */
static enum pd_code put_url(struct pd_buf *b, const char *url)
{
    const char *q = url != NULL ? strchr(url, '?') : NULL;
    struct pd_buf cut;
    enum pd_code rc;

    if (q == NULL)
        return put_field(b, "url", url);
    pd_buf_init(&cut, (size_t)(q - url) + 16);
    rc = pd_buf_append(&cut, url, (size_t)(q - url));
    if (rc == PD_OK)
        rc = pd_buf_puts(&cut, "?<removed>");
    if (rc == PD_OK)
        rc = put_field(b, "url", cut.data);
    pd_buf_release(&cut);
    return rc;
}

static enum pd_code on_item(void *arg, const struct backfill_item *it,
                            struct pd_err *err)
{
    struct backfill_cli *c = arg;
    struct pd_buf b;
    enum pd_code rc;

    if (c->report == NULL)
        return PD_OK;
    pd_buf_init(&b, 1 << 20);
    rc = pd_buf_puts(&b, "{\"subject_id\":\"");
    if (rc == PD_OK)
        rc = pd_json_escape(&b, it->subject_id);
    if (rc == PD_OK)
        rc = pd_buf_printf(&b, "\",\"kind\":\"%s\",\"outcome\":\"%s\"",
                           it->kind[0] == 'a' ? "avatar" : "signature",
                           backfill_outcome_name(it->outcome));
    if (rc == PD_OK)
        rc = put_field(&b, "reason", it->reason);
    if (rc == PD_OK)
        rc = put_field(&b, "detail", it->detail ? it->detail : "");
    if (rc == PD_OK)
        rc = put_url(&b, it->url);
    if (rc == PD_OK && it->key != NULL)
        rc = put_field(&b, "bucket", it->bucket);
    if (rc == PD_OK && it->key != NULL)
        rc = put_field(&b, "key", it->key);
    if (rc == PD_OK)
        rc = pd_buf_puts(&b, "}\n");
    if (rc == PD_OK && fwrite(b.data, 1, b.len, c->report) != b.len)
        rc = pd_fail(err, PD_EIO, "cannot write the report file %s",
                     c->report_path);
    else if (rc != PD_OK)
        rc = pd_fail(err, rc, "report line too long");
    pd_buf_release(&b);
    return rc;
}

static void print_summary(struct backfill_cli *c,
                          const struct backfill_stats *s, bool complete)
{
    struct pd_buf b;
    double t = elapsed(c);

    if (c->progress == PROGRESS_TTY)
        fputc('\n', stderr);
    pd_buf_init(&b, 4096);
    if (pd_buf_printf(&b, "{\"summary\":true,\"complete\":%s,\"dry_run\":%s,",
                      complete ? "true" : "false",
                      c->opts.dry_run ? "true" : "false") == PD_OK &&
        put_counts(&b, s, c->verify) == PD_OK &&
        pd_buf_printf(&b,
                      ",\"batches\":%llu,\"elapsed_s\":%.3f,"
                      "\"rows_per_s\":%.0f}\n",
                      s->batches, t, t > 0 ? (double)s->rows / t : 0) == PD_OK)
        fwrite(b.data, 1, b.len, stdout);
    fflush(stdout);
    pd_buf_release(&b);
}

static void ignore_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static enum pd_code open_conn(struct backfill_cli *c, PGconn **conn)
{
    enum pd_code rc = db_connect(conn, NULL, &c->err);

    if (rc != PD_OK)
        return rc;
    PQsetNoticeProcessor(*conn, ignore_notice, NULL);
    /* URLs arrive and keys leave as UTF-8 whatever the server encoding. */
    if (PQsetClientEncoding(*conn, "UTF8") != 0)
        return pd_fail(&c->err, PD_EDB, "cannot set client_encoding UTF8");
    return PD_OK;
}

static enum pd_code prepare(struct backfill_cli *c)
{
    enum pd_code rc = hostsql_load(&c->host, c->queries, &c->err);

    if (rc == PD_OK)
        rc = migrate_internal_sql(&c->internal, &c->err);
    if (rc == PD_OK && c->report_path != NULL &&
        (c->report = fopen(c->report_path, "w")) == NULL)
        rc = pd_fail(&c->err, PD_EIO, "cannot create the report file %s",
                     c->report_path);
    if (rc == PD_OK && c->verify &&
        curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = pd_fail(&c->err, PD_EIO, "cannot initialise libcurl");
    if (rc == PD_OK && c->verify)
        rc = backfill_verify_s3_new(&c->verifier, c->verify_concurrency,
                                    &c->err);
    if (rc == PD_OK)
        rc = open_conn(c, &c->conn);
    if (rc == PD_OK && !c->opts.dry_run)
        rc = open_conn(c, &c->writer);
    if (rc != PD_OK)
        return rc;
    if (c->progress != PROGRESS_NONE)
        rc = backfill_count(c->conn, c->host, &c->total, &c->err);
    if (c->opts.limit > 0 && c->total > c->opts.limit)
        c->total = c->opts.limit;
    return rc;
}

static int finish(struct backfill_cli *c, enum pd_code rc,
                  const struct backfill_stats *s)
{
    if (c->report != NULL && fclose(c->report) != 0 && rc == PD_OK)
        rc = pd_fail(&c->err, PD_EIO, "cannot write the report file %s",
                     c->report_path);
    c->report = NULL;
    if (rc != PD_OK)
        fprintf(stderr, "presignd backfill: %s\n", c->err.msg);
    PQfinish(c->conn);
    PQfinish(c->writer);
    hostsql_free(c->host);
    hostsql_free(c->internal);
    backfill_verify_s3_free(c->verifier);
    if (c->verify)
        curl_global_cleanup();
    s3url_config_release(&c->parser);
    free(c->bucket_env);
    if (rc != PD_OK)
        return PD_EXIT_FAIL;
    /* Scripts must notice both: what could not be read comes first. */
    if (s->outcomes[BACKFILL_UNPARSEABLE] > 0)
        return BACKFILL_EXIT_UNPARSEABLE;
    if (s->missing > 0 || s->verify_failed > 0)
        return BACKFILL_EXIT_UNVERIFIED;
    return PD_EXIT_OK;
}

int cmd_backfill(int argc, char **argv)
{
    static struct backfill_cli c; /* one run per process */
    struct backfill_stats stats;
    struct backfill_hooks hooks = {&c, on_batch, on_item};
    int status;
    enum pd_code rc;

    s3url_config_init(&c.parser);
    memset(&stats, 0, sizeof(stats));
    status = parse_args(argc, argv, &c);
    if (status >= 0) {
        s3url_config_release(&c.parser);
        free(c.bucket_env);
        return status;
    }
    if (c.progress == PROGRESS_AUTO)
        c.progress = isatty(STDERR_FILENO) ? PROGRESS_TTY : PROGRESS_JSON;
    c.opts.parser = &c.parser;
    c.opts.buckets = c.buckets;
    clock_gettime(CLOCK_MONOTONIC, &c.start);
    pd_err_clear(&c.err);

    rc = prepare(&c);
    c.opts.host = c.host;
    c.opts.internal = c.internal;
    c.opts.verify = backfill_verify_s3_hook(c.verifier);
    if (rc == PD_OK)
        rc = backfill_run(c.conn, c.writer, &c.opts, &hooks, &stats, &c.err);
    if (rc == PD_OK || stats.batches > 0)
        print_summary(&c, &stats, rc == PD_OK);
    return finish(&c, rc, &stats);
}
