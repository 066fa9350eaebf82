/*
 * db.h - connecting to PostgreSQL with the usual libpq settings.
 *
 * The connection string comes from DATABASE_URL (a libpq URI or a
 * "key=value" conninfo string) or, when that is unset, from libpq's own PG*
 * environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD,
 * PGSERVICE, ...). libpq multi-host strings work unchanged. Error details
 * never include the connection string, which may hold a password.
 */
#ifndef PRESIGND_DB_H
#define PRESIGND_DB_H

#include "presignd/error.h"

#include <libpq-fe.h>

/* $DATABASE_URL, or "" (meaning: let libpq read the PG* variables). */
const char *db_conninfo_from_env(void);

/*
 * Opens a connection (conninfo NULL: db_conninfo_from_env()), with
 * application_name "presignd" unless the string sets one. On success *out
 * is an open connection the caller closes with PQfinish.
 */
PD_MUST_CHECK enum pd_code db_connect(PGconn **out, const char *conninfo,
                                      struct pd_err *err);

/*
 * Records a failed connection attempt as PD_EDB in err: what, then libpq's
 * message with anything it echoed from conninfo (the password, or the
 * quoted parts of a string it could not parse) blanked. conn may be NULL.
 */
enum pd_code db_connect_fail(struct pd_err *err, PGconn *conn,
                             const char *conninfo, const char *what);

/*
 * Records a failed result as PD_EDB in err, with what (e.g. "backfill
 * batch") and the server's message (SQLSTATE included); clears the result.
 */
enum pd_code db_fail(struct pd_err *err, PGresult *res, PGconn *conn,
                     const char *what);

#endif
