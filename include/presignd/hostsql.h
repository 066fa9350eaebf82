/*
 * hostsql.h - every SQL statement presignd runs against the host app's
 * tables, loaded from one file of named queries.
 *
 * The file (default: sql/queries.sql, compiled in; override with the
 * PRESIGND_QUERIES environment variable or an explicit path) holds blocks
 *
 *     -- name: session_lookup
 *     -- any comment lines documenting parameters and result columns
 *     SELECT ... WHERE token_sha256 = $1;
 *
 * A team whose tables are named differently copies the file and edits the
 * SQL; each query's documented parameters and result columns are the
 * contract, the C code never names a host table. Statements are always run
 * with parameters ($1, $2 ...), never built by string concatenation.
 */
#ifndef PRESIGND_HOSTSQL_H
#define PRESIGND_HOSTSQL_H

#include "presignd/error.h"

struct hostsql;

/*
 * Loads the queries from path, or when path is NULL from $PRESIGND_QUERIES,
 * or when that is unset from the compiled-in sql/queries.sql. On success
 * *out is a new object the caller frees with hostsql_free.
 */
PD_MUST_CHECK enum pd_code hostsql_load(struct hostsql **out, const char *path,
                                        struct pd_err *err);

/* Parses queries from text (used by hostsql_load and by tests). */
PD_MUST_CHECK enum pd_code hostsql_parse(struct hostsql **out, const char *text,
                                         const char *origin,
                                         struct pd_err *err);

/* The SQL of the named query (no trailing semicolon), or NULL. */
const char *hostsql_get(const struct hostsql *q, const char *name);

/* Like hostsql_get, but a missing query is an error naming it. */
PD_MUST_CHECK enum pd_code hostsql_require(const struct hostsql *q,
                                           const char *name, const char **sql,
                                           struct pd_err *err);

/* Where the queries came from: a path or "built-in". */
const char *hostsql_origin(const struct hostsql *q);

void hostsql_free(struct hostsql *q);

#endif
