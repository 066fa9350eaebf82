/*
 * migrate.h - presignd's numbered schema migrations and the host setup.
 *
 * Migrations are the files sql/migrations/NNNN_name.sql compiled into the
 * binary (embedded.h), applied in version order, each in its own
 * transaction together with its row in presignd.schema_migrations (version,
 * name, hex SHA-256 checksum, applied_at). A migration whose file changed
 * after it was applied is reported and blocks further migrations. A
 * migration file must not contain transaction control (BEGIN/COMMIT) or
 * statements that refuse to run in a transaction (CREATE INDEX
 * CONCURRENTLY).
 *
 * Concurrency: migrate_lock takes a session-level advisory lock; callers hold
 * it across reading the state and applying, so two runs never apply the same
 * migration. Nothing here prints; the command reports.
 */
#ifndef PRESIGND_MIGRATE_H
#define PRESIGND_MIGRATE_H

#include "presignd/error.h"
#include "presignd/hostsql.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#define MIGRATE_MAX      128
#define MIGRATE_NAME_MAX 96

enum migrate_state {
    MIGRATE_PENDING = 0,
    MIGRATE_APPLIED,
    MIGRATE_CHANGED, /* applied, but the file differs from what was applied */
    MIGRATE_UNKNOWN, /* recorded in the database, absent from this binary */
};

/* One migration: the embedded file and what the database says about it. */
struct migrate_entry {
    int version;
    char name[MIGRATE_NAME_MAX]; /* "object_refs" */
    const char *sql;             /* NULL for MIGRATE_UNKNOWN */
    char checksum[65];           /* hex SHA-256 of the file */
    enum migrate_state state;
    char applied_at[32]; /* "YYYY-MM-DDTHH:MM:SSZ", "" when pending */
};

/* Every known migration, in version order. */
struct migrate_plan {
    struct migrate_entry entries[MIGRATE_MAX];
    size_t count;
};

/* presignd's own statements (sql/internal.sql). Free with hostsql_free. */
PD_MUST_CHECK enum pd_code migrate_internal_sql(struct hostsql **out,
                                                struct pd_err *err);

/*
 * Fills plan with the embedded migrations, all pending. Fails with
 * PD_EINVAL naming the file when a name is not NNNN_name.sql or two files
 * share a version.
 */
PD_MUST_CHECK enum pd_code migrate_plan_embedded(struct migrate_plan *plan,
                                                 struct pd_err *err);

/*
 * Marks plan's entries with what presignd.schema_migrations records (adding
 * MIGRATE_UNKNOWN entries for versions this binary lacks). Reads only: a
 * database without the table leaves everything pending.
 */
PD_MUST_CHECK enum pd_code migrate_plan_load_state(PGconn *conn,
                                                   const struct hostsql *in,
                                                   struct migrate_plan *plan,
                                                   struct pd_err *err);

/* The number of entries in each state (counts indexed by migrate_state). */
void migrate_plan_count(const struct migrate_plan *plan, size_t counts[4]);

/* Takes / releases the migration advisory lock (waits for other runs). */
PD_MUST_CHECK enum pd_code migrate_lock(PGconn *conn, const struct hostsql *in,
                                        struct pd_err *err);
void migrate_unlock(PGconn *conn, const struct hostsql *in);

/* Creates presignd.schema_migrations when missing (under the lock). */
PD_MUST_CHECK enum pd_code
migrate_bootstrap(PGconn *conn, const struct hostsql *in, struct pd_err *err);

/*
 * Applies one pending migration and records it, in one transaction; on
 * failure the transaction is rolled back and err names the migration.
 */
PD_MUST_CHECK enum pd_code migrate_apply(PGconn *conn, const struct hostsql *in,
                                         struct migrate_entry *e,
                                         struct pd_err *err);

/*
 * Runs a multi-statement SQL block without parameters in one transaction
 * (used for host_setup and the reference schema); what names it in errors.
 */
PD_MUST_CHECK enum pd_code migrate_run_block(PGconn *conn, const char *sql,
                                             const char *what,
                                             struct pd_err *err);

/* Legacy URL columns still needed: rows with a URL but no reference. */
struct migrate_legacy {
    long long remaining; /* rows that still depend on a legacy URL */
    bool dropped;
};

/*
 * The explicit, one-way step after the backfill: in one transaction, runs
 * the host queries legacy_lock, legacy_remaining and, only when no row
 * still depends on a legacy URL and dry_run is false, drop_legacy_columns.
 * Refusing is not an error: out->dropped stays false.
 */
PD_MUST_CHECK enum pd_code
migrate_drop_legacy(PGconn *conn, const struct hostsql *host, bool dry_run,
                    struct migrate_legacy *out, struct pd_err *err);

#endif
