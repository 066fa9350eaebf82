/*
 * pool.h - a small pool of PostgreSQL connections for the gateway, with
 * the serve queries prepared on each, that reconnects by itself.
 *
 * A connection that breaks is closed and reopened on its next use. After a
 * failed connect the pool refuses work for a short back-off (so a database
 * outage costs each request microseconds, not a connect attempt) and then
 * tries again: service resumes without a restart when the database does.
 * Every connection runs with a statement timeout.
 *
 * Thread-safe: any thread may run queries; each call borrows one connection
 * for its duration (waiting briefly when all are busy).
 */
#ifndef PRESIGND_POOL_H
#define PRESIGND_POOL_H

#include "presignd/error.h"
#include "presignd/hostsql.h"

#include <libpq-fe.h>
#include <stdbool.h>

struct db_pool;

struct db_pool_options {
    const char *conninfo;          /* NULL: DATABASE_URL or PG* */
    const struct hostsql *queries; /* borrowed; must outlive the pool */
    const char *const *prepare;    /* names to prepare, NULL-terminated */
    unsigned size;                 /* connections, at least 1 */
    unsigned statement_timeout_ms;
    unsigned acquire_timeout_ms; /* how long to wait for a free one */
    unsigned retry_ms;           /* back-off after a failed connect */
};

/*
 * Creates the pool; connects nothing yet (the first query does), so a
 * gateway can start while the database is down. Fails only on a missing
 * query name or memory.
 */
PD_MUST_CHECK enum pd_code db_pool_new(struct db_pool **out,
                                       const struct db_pool_options *opt,
                                       struct pd_err *err);

/* Closes every connection and frees. No query may be running. */
void db_pool_free(struct db_pool *p);

/*
 * Runs the prepared query name with text parameters and returns its rows
 * in *out (the caller PQclears it). PD_EDB when the database is down, the
 * pool is exhausted, or the statement failed; PD_ENOTFOUND when the
 * database refused a parameter as unrepresentable (SQLSTATE 22P02 or
 * 22003: e.g. "abc" as a bigint id), which callers treat as "no such row".
 */
PD_MUST_CHECK enum pd_code db_pool_query(struct db_pool *p, const char *name,
                                         int nparams, const char *const *params,
                                         PGresult **out, struct pd_err *err);

/* False while the pool is in its back-off after a failure. */
bool db_pool_is_up(struct db_pool *p);

#endif
