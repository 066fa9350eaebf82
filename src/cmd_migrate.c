/*
 * cmd_migrate.c - `presignd migrate`: applies presignd's migrations, then
 * the host setup (invalidation triggers); shows their state with --status;
 * drops the legacy URL columns only with --drop-legacy-columns.
 */
#include "commands.h"
#include "presignd/db.h"
#include "presignd/embedded.h"
#include "presignd/hostsql.h"
#include "presignd/migrate.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct migrate_opts {
    bool status;
    bool dry_run;
    bool reference_schema;
    bool host_setup;
    bool drop_legacy;
    const char *queries; /* NULL: $PRESIGND_QUERIES or built-in */
};

static void usage(FILE *out)
{
    fputs(
        "usage: presignd migrate [OPTIONS]\n"
        "\n"
        "Applies presignd's numbered migrations (schema \"presignd\"), each in "
        "its own\n"
        "transaction, recorded in presignd.schema_migrations; then runs the\n"
        "host_setup block of the queries file (invalidation triggers on the "
        "host's\n"
        "tables). Re-running is a no-op; concurrent runs wait for each other\n"
        "(advisory lock).\n"
        "\n"
        "options:\n"
        "  --status               list applied and pending migrations; change "
        "nothing\n"
        "  --dry-run              say what would be done; change nothing\n"
        "  --reference-schema     first create the reference host schema "
        "(demo, tests)\n"
        "  --skip-host-setup      do not run the host_setup block\n"
        "  --drop-legacy-columns  then drop the legacy URL columns (queries "
        "block\n"
        "                         drop_legacy_columns), only if no row still "
        "has a\n"
        "                         legacy URL without a reference\n"
        "  --queries FILE         host queries file (default: "
        "$PRESIGND_QUERIES, else\n"
        "                         the built-in sql/queries.sql)\n"
        "  -h, --help             show this help\n"
        "\n"
        "Database: DATABASE_URL (libpq URI or conninfo) or the PG* variables.\n"
        "exit status: 0 success, 1 failure (including a refused drop), 2 usage "
        "error.\n",
        out);
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct migrate_opts *o)
{
    static const struct option longopts[] = {
        {"status", no_argument, NULL, 's'},
        {"dry-run", no_argument, NULL, 'n'},
        {"reference-schema", no_argument, NULL, 'r'},
        {"skip-host-setup", no_argument, NULL, 'k'},
        {"drop-legacy-columns", no_argument, NULL, 'D'},
        {"queries", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->host_setup = true;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->status = true;
            break;
        case 'n':
            o->dry_run = true;
            break;
        case 'r':
            o->reference_schema = true;
            break;
        case 'k':
            o->host_setup = false;
            break;
        case 'D':
            o->drop_legacy = true;
            break;
        case 'q':
            o->queries = optarg;
            break;
        case 'h':
            usage(stdout);
            return PD_EXIT_OK;
        default:
            usage(stderr);
            return PD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "presignd migrate: unexpected argument '%s'\n",
                argv[optind]);
        return PD_EXIT_USAGE;
    }
    return -1;
}

static const char *state_name(enum migrate_state s)
{
    switch (s) {
    case MIGRATE_PENDING:
        return "pending";
    case MIGRATE_APPLIED:
        return "applied";
    case MIGRATE_CHANGED:
        return "changed";
    case MIGRATE_UNKNOWN:
        return "unknown";
    }
    return "?";
}

static void print_status(const struct migrate_plan *plan)
{
    size_t n[4];

    printf("%-8s %-32s %-8s %s\n", "version", "name", "state", "applied_at");
    for (size_t i = 0; i < plan->count; i++) {
        const struct migrate_entry *e = &plan->entries[i];

        printf("%04d     %-32s %-8s %s\n", e->version, e->name,
               state_name(e->state), e->applied_at[0] ? e->applied_at : "-");
    }
    migrate_plan_count(plan, n);
    printf("%zu applied, %zu pending", n[MIGRATE_APPLIED], n[MIGRATE_PENDING]);
    if (n[MIGRATE_CHANGED] > 0)
        printf(", %zu CHANGED after being applied", n[MIGRATE_CHANGED]);
    if (n[MIGRATE_UNKNOWN] > 0)
        printf(", %zu unknown to this binary (newer presignd?)",
               n[MIGRATE_UNKNOWN]);
    printf("\n");
}

/* Everything a run needs, so one cleanup path frees it. */
struct migrate_ctx {
    struct migrate_opts opts;
    struct hostsql *internal;
    struct hostsql *host; /* NULL unless host_setup or drop is needed */
    struct migrate_plan plan;
    PGconn *conn;
    struct pd_err err;
};

static enum pd_code refuse_changed(const struct migrate_plan *plan,
                                   struct pd_err *err)
{
    for (size_t i = 0; i < plan->count; i++)
        if (plan->entries[i].state == MIGRATE_CHANGED)
            return pd_fail(err, PD_ECONFIG,
                           "migration %04d_%s was changed after it was "
                           "applied; refusing to go on",
                           plan->entries[i].version, plan->entries[i].name);
    return PD_OK;
}

static enum pd_code apply_pending(struct migrate_ctx *x)
{
    enum pd_code rc = refuse_changed(&x->plan, &x->err);
    size_t applied = 0;

    for (size_t i = 0; i < x->plan.count && rc == PD_OK; i++) {
        struct migrate_entry *e = &x->plan.entries[i];

        if (e->state != MIGRATE_PENDING)
            continue;
        rc = migrate_apply(x->conn, x->internal, e, &x->err);
        if (rc == PD_OK) {
            printf("applied %04d_%s\n", e->version, e->name);
            applied++;
        }
    }
    if (rc == PD_OK && applied == 0)
        printf("migrations: nothing to apply (%zu applied)\n", x->plan.count);
    return rc;
}

static enum pd_code run_reference_schema(struct migrate_ctx *x)
{
    const struct pd_embedded_file *f =
        pd_embedded_find("reference/host_schema.sql");
    enum pd_code rc;

    if (f == NULL)
        return pd_fail(&x->err, PD_ECONFIG, "no built-in host_schema.sql");
    rc = migrate_run_block(x->conn, f->data, "reference host schema", &x->err);
    if (rc == PD_OK)
        printf("reference host schema: ok\n");
    return rc;
}

static enum pd_code run_host_setup(struct migrate_ctx *x)
{
    const char *sql;
    enum pd_code rc = hostsql_require(x->host, "host_setup", &sql, &x->err);

    if (rc == PD_OK)
        rc = migrate_run_block(x->conn, sql, "host_setup", &x->err);
    if (rc == PD_OK)
        printf("host_setup: ok (%s)\n", hostsql_origin(x->host));
    return rc;
}

static enum pd_code run_drop_legacy(struct migrate_ctx *x)
{
    struct migrate_legacy out;
    enum pd_code rc =
        migrate_drop_legacy(x->conn, x->host, x->opts.dry_run, &out, &x->err);

    if (rc != PD_OK)
        return rc;
    if (out.remaining > 0)
        return pd_fail(&x->err, PD_EINVAL,
                       "not dropping the legacy URL columns: %lld rows still "
                       "have a legacy URL and no reference (run presignd "
                       "backfill --report FILE to see them)",
                       out.remaining);
    printf(x->opts.dry_run ? "legacy URL columns: would be dropped (no row "
                             "depends on them)\n"
                           : "legacy URL columns: dropped\n");
    return PD_OK;
}

static enum pd_code dry_run(struct migrate_ctx *x)
{
    size_t n[4];
    enum pd_code rc = refuse_changed(&x->plan, &x->err);

    migrate_plan_count(&x->plan, n);
    for (size_t i = 0; i < x->plan.count && rc == PD_OK; i++)
        if (x->plan.entries[i].state == MIGRATE_PENDING)
            printf("would apply %04d_%s\n", x->plan.entries[i].version,
                   x->plan.entries[i].name);
    if (rc == PD_OK && n[MIGRATE_PENDING] == 0)
        printf("migrations: nothing to apply\n");
    if (rc == PD_OK && x->opts.reference_schema)
        printf("would create the reference host schema\n");
    if (rc == PD_OK && x->opts.host_setup)
        printf("would run host_setup (%s)\n", hostsql_origin(x->host));
    if (rc == PD_OK && x->opts.drop_legacy)
        rc = run_drop_legacy(x);
    return rc;
}

static enum pd_code migrate_all(struct migrate_ctx *x)
{
    enum pd_code rc = migrate_lock(x->conn, x->internal, &x->err);

    if (rc != PD_OK)
        return rc;
    if (x->opts.reference_schema)
        rc = run_reference_schema(x);
    if (rc == PD_OK)
        rc = migrate_bootstrap(x->conn, x->internal, &x->err);
    /* The state is read under the lock: a run that waited sees what the
     * run before it applied. */
    if (rc == PD_OK)
        rc = migrate_plan_load_state(x->conn, x->internal, &x->plan, &x->err);
    if (rc == PD_OK)
        rc = apply_pending(x);
    if (rc == PD_OK && x->opts.host_setup)
        rc = run_host_setup(x);
    if (rc == PD_OK && x->opts.drop_legacy)
        rc = run_drop_legacy(x);
    migrate_unlock(x->conn, x->internal);
    return rc;
}

static void ignore_notice(void *arg, const char *msg)
{
    /* "already exists, skipping" notices are expected on re-runs. */
    (void)arg;
    (void)msg;
}

static enum pd_code prepare(struct migrate_ctx *x)
{
    enum pd_code rc = migrate_internal_sql(&x->internal, &x->err);

    if (rc == PD_OK && (x->opts.host_setup || x->opts.drop_legacy) &&
        !x->opts.status)
        rc = hostsql_load(&x->host, x->opts.queries, &x->err);
    if (rc == PD_OK)
        rc = migrate_plan_embedded(&x->plan, &x->err);
    if (rc == PD_OK)
        rc = db_connect(&x->conn, NULL, &x->err);
    if (rc == PD_OK)
        PQsetNoticeProcessor(x->conn, ignore_notice, NULL);
    return rc;
}

int cmd_migrate(int argc, char **argv)
{
    static struct migrate_ctx x; /* large (the plan); one run per process */
    int status = parse_args(argc, argv, &x.opts);
    enum pd_code rc;

    if (status >= 0)
        return status;
    pd_err_clear(&x.err);
    rc = prepare(&x);
    if (rc == PD_OK && (x.opts.status || x.opts.dry_run))
        rc = migrate_plan_load_state(x.conn, x.internal, &x.plan, &x.err);
    if (rc == PD_OK && x.opts.status)
        print_status(&x.plan);
    else if (rc == PD_OK && x.opts.dry_run)
        rc = dry_run(&x);
    else if (rc == PD_OK)
        rc = migrate_all(&x);
    fflush(stdout);
    if (rc != PD_OK)
        fprintf(stderr, "presignd migrate: %s\n", x.err.msg);
    PQfinish(x.conn);
    hostsql_free(x.host);
    hostsql_free(x.internal);
    return rc == PD_OK ? PD_EXIT_OK : PD_EXIT_FAIL;
}
