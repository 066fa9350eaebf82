/*
 * migrate.c - applies presignd's embedded migrations under an advisory lock
 * and records them (see migrate.h).
 */
#include "presignd/migrate.h"

#include "presignd/db.h"
#include "presignd/embedded.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATIONS_DIR "migrations/"

enum pd_code migrate_internal_sql(struct hostsql **out, struct pd_err *err)
{
    const struct pd_embedded_file *f = pd_embedded_find("internal.sql");

    *out = NULL;
    if (f == NULL)
        return pd_fail(err, PD_ECONFIG, "no built-in internal.sql");
    return hostsql_parse(out, f->data, "built-in internal.sql", err);
}

static enum pd_code sha256_hex(const char *data, size_t len, char out[65],
                               struct pd_err *err)
{
    unsigned char md[32];
    unsigned int md_len = 0;

    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 ||
        md_len != sizeof(md))
        return pd_fail(err, PD_EIO, "SHA-256 failed");
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return PD_OK;
}

/* "migrations/0001_object_refs.sql" -> version 1, name "object_refs". */
static enum pd_code parse_file_name(const char *path, struct migrate_entry *e,
                                    struct pd_err *err)
{
    const char *base = path + strlen(MIGRATIONS_DIR);
    const char *p = base;
    size_t name_len;
    long v = 0;

    while (isdigit((unsigned char)*p) && p - base < 6)
        v = v * 10 + (*p++ - '0');
    name_len = strlen(p);
    if (p - base != 4 || *p != '_' || name_len < 6 || name_len > 4 + 80 ||
        strcmp(p + name_len - 4, ".sql") != 0 || v == 0)
        return pd_fail(err, PD_EINVAL,
                       "migration file '%s' is not named NNNN_name.sql "
                       "(version 0001 or higher)",
                       path);
    e->version = (int)v;
    memcpy(e->name, p + 1, name_len - 5);
    e->name[name_len - 5] = '\0';
    return PD_OK;
}

static enum pd_code add_embedded(struct migrate_plan *plan,
                                 const struct pd_embedded_file *f,
                                 struct pd_err *err)
{
    struct migrate_entry *e;
    enum pd_code rc;

    if (plan->count == MIGRATE_MAX)
        return pd_fail(err, PD_ELIMIT, "more than %d migrations", MIGRATE_MAX);
    e = &plan->entries[plan->count];
    memset(e, 0, sizeof(*e));
    rc = parse_file_name(f->path, e, err);
    if (rc == PD_OK)
        rc = sha256_hex(f->data, f->len, e->checksum, err);
    if (rc != PD_OK)
        return rc;
    e->sql = f->data;
    e->state = MIGRATE_PENDING;
    /* Embedded files are sorted by path, so versions must ascend. */
    if (plan->count > 0 && plan->entries[plan->count - 1].version >= e->version)
        return pd_fail(err, PD_EINVAL, "migration version %04d is used twice",
                       e->version);
    plan->count++;
    return PD_OK;
}

enum pd_code migrate_plan_embedded(struct migrate_plan *plan,
                                   struct pd_err *err)
{
    enum pd_code rc;

    plan->count = 0;
    for (size_t i = 0; i < pd_embedded_count; i++) {
        const struct pd_embedded_file *f = &pd_embedded_files[i];

        if (strncmp(f->path, MIGRATIONS_DIR, strlen(MIGRATIONS_DIR)) != 0)
            continue;
        rc = add_embedded(plan, f, err);
        if (rc != PD_OK)
            return rc;
    }
    return PD_OK;
}

static struct migrate_entry *find_version(struct migrate_plan *plan, int v)
{
    for (size_t i = 0; i < plan->count; i++)
        if (plan->entries[i].version == v)
            return &plan->entries[i];
    return NULL;
}

/* Keeps entries in version order after an unknown one was appended. */
static int by_version(const void *a, const void *b)
{
    const struct migrate_entry *x = a, *y = b;

    return (x->version > y->version) - (x->version < y->version);
}

static enum pd_code mark_applied(struct migrate_plan *plan, PGresult *res,
                                 int row, struct pd_err *err)
{
    int v = atoi(PQgetvalue(res, row, 0));
    struct migrate_entry *e = find_version(plan, v);

    if (e == NULL) {
        if (plan->count == MIGRATE_MAX)
            return pd_fail(err, PD_ELIMIT, "more than %d migrations",
                           MIGRATE_MAX);
        e = &plan->entries[plan->count++];
        memset(e, 0, sizeof(*e));
        e->version = v;
        snprintf(e->name, sizeof(e->name), "%s", PQgetvalue(res, row, 1));
        e->state = MIGRATE_UNKNOWN;
    } else {
        e->state = strcmp(e->checksum, PQgetvalue(res, row, 2)) == 0
                       ? MIGRATE_APPLIED
                       : MIGRATE_CHANGED;
    }
    snprintf(e->applied_at, sizeof(e->applied_at), "%s",
             PQgetvalue(res, row, 3));
    return PD_OK;
}

static enum pd_code table_exists(PGconn *conn, const struct hostsql *in,
                                 bool *exists, struct pd_err *err)
{
    const char *sql;
    PGresult *res;
    enum pd_code rc = hostsql_require(in, "migrate_table_exists", &sql, err);

    if (rc != PD_OK)
        return rc;
    res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        return db_fail(err, res, conn, "reading the migration state");
    *exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return PD_OK;
}

enum pd_code migrate_plan_load_state(PGconn *conn, const struct hostsql *in,
                                     struct migrate_plan *plan,
                                     struct pd_err *err)
{
    const char *sql;
    PGresult *res;
    bool exists = false;
    enum pd_code rc = table_exists(conn, in, &exists, err);

    if (rc != PD_OK || !exists)
        return rc;
    rc = hostsql_require(in, "migrate_applied", &sql, err);
    if (rc != PD_OK)
        return rc;
    res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(err, res, conn, "reading applied migrations");
    for (int i = 0; i < PQntuples(res) && rc == PD_OK; i++)
        rc = mark_applied(plan, res, i, err);
    PQclear(res);
    qsort(plan->entries, plan->count, sizeof(plan->entries[0]), by_version);
    return rc;
}

void migrate_plan_count(const struct migrate_plan *plan, size_t counts[4])
{
    counts[0] = counts[1] = counts[2] = counts[3] = 0;
    for (size_t i = 0; i < plan->count; i++)
        counts[plan->entries[i].state]++;
}

/* Runs a named internal statement that takes no parameters. */
static enum pd_code exec_named(PGconn *conn, const struct hostsql *in,
                               const char *name, struct pd_err *err)
{
    const char *sql;
    PGresult *res;
    ExecStatusType st;
    enum pd_code rc = hostsql_require(in, name, &sql, err);

    if (rc != PD_OK)
        return rc;
    res = PQexec(conn, sql);
    st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, name);
    PQclear(res);
    return PD_OK;
}

enum pd_code migrate_lock(PGconn *conn, const struct hostsql *in,
                          struct pd_err *err)
{
    return exec_named(conn, in, "migrate_lock", err);
}

void migrate_unlock(PGconn *conn, const struct hostsql *in)
{
    /* Closing the session releases the lock too; this is a courtesy. */
    (void)exec_named(conn, in, "migrate_unlock", NULL);
}

enum pd_code migrate_bootstrap(PGconn *conn, const struct hostsql *in,
                               struct pd_err *err)
{
    return exec_named(conn, in, "migrate_bootstrap", err);
}

static enum pd_code exec_simple(PGconn *conn, const char *sql, const char *what,
                                struct pd_err *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, what);
    PQclear(res);
    return PD_OK;
}

static void rollback(PGconn *conn)
{
    PQclear(PQexec(conn, "ROLLBACK"));
}

static enum pd_code record(PGconn *conn, const struct hostsql *in,
                           const struct migrate_entry *e, struct pd_err *err)
{
    char version[16];
    const char *params[3] = {version, e->name, e->checksum};
    const char *sql;
    PGresult *res;
    enum pd_code rc = hostsql_require(in, "migrate_record", &sql, err);

    if (rc != PD_OK)
        return rc;
    snprintf(version, sizeof(version), "%d", e->version);
    res = PQexecParams(conn, sql, 3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, "recording the migration");
    PQclear(res);
    return PD_OK;
}

enum pd_code migrate_apply(PGconn *conn, const struct hostsql *in,
                           struct migrate_entry *e, struct pd_err *err)
{
    char what[MIGRATE_NAME_MAX + 32];
    enum pd_code rc;

    snprintf(what, sizeof(what), "migration %04d_%s", e->version, e->name);
    rc = exec_simple(conn, "BEGIN", what, err);
    if (rc != PD_OK)
        return rc;
    rc = exec_simple(conn, e->sql, what, err);
    if (rc == PD_OK)
        rc = record(conn, in, e, err);
    if (rc == PD_OK)
        rc = exec_simple(conn, "COMMIT", what, err);
    if (rc != PD_OK) {
        rollback(conn);
        return rc;
    }
    e->state = MIGRATE_APPLIED;
    return PD_OK;
}

enum pd_code migrate_run_block(PGconn *conn, const char *sql, const char *what,
                               struct pd_err *err)
{
    enum pd_code rc = exec_simple(conn, "BEGIN", what, err);

    if (rc != PD_OK)
        return rc;
    rc = exec_simple(conn, sql, what, err);
    if (rc == PD_OK)
        rc = exec_simple(conn, "COMMIT", what, err);
    if (rc != PD_OK)
        rollback(conn);
    return rc;
}

/* Sums the counts legacy_remaining returns (one row per kind, or one). */
static enum pd_code count_remaining(PGconn *conn, const char *sql,
                                    long long *out, struct pd_err *err)
{
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    int col;

    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return db_fail(err, res, conn, "legacy_remaining");
    col = PQnfields(res) - 1;
    *out = 0;
    for (int i = 0; i < PQntuples(res) && col >= 0; i++)
        *out += strtoll(PQgetvalue(res, i, col), NULL, 10);
    PQclear(res);
    return PD_OK;
}

enum pd_code migrate_drop_legacy(PGconn *conn, const struct hostsql *host,
                                 bool dry_run, struct migrate_legacy *out,
                                 struct pd_err *err)
{
    const char *lock, *remaining, *drop;
    enum pd_code rc;

    out->remaining = 0;
    out->dropped = false;
    if ((rc = hostsql_require(host, "legacy_lock", &lock, err)) != PD_OK ||
        (rc = hostsql_require(host, "legacy_remaining", &remaining, err)) !=
            PD_OK ||
        (rc = hostsql_require(host, "drop_legacy_columns", &drop, err)) !=
            PD_OK)
        return rc;

    /* The lock keeps the app from writing a legacy URL between the count
     * and the drop; everything commits together or not at all. */
    rc = exec_simple(conn, "BEGIN", "drop_legacy_columns", err);
    if (rc == PD_OK)
        rc = exec_simple(conn, lock, "legacy_lock", err);
    if (rc == PD_OK)
        rc = count_remaining(conn, remaining, &out->remaining, err);
    if (rc == PD_OK && out->remaining == 0 && !dry_run) {
        rc = exec_simple(conn, drop, "drop_legacy_columns", err);
        out->dropped = rc == PD_OK;
    }
    if (rc == PD_OK && out->dropped)
        rc = exec_simple(conn, "COMMIT", "drop_legacy_columns", err);
    else
        rollback(conn);
    if (rc != PD_OK)
        out->dropped = false;
    return rc;
}
