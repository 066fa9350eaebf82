/* db.c - libpq connections from DATABASE_URL or PG* (see db.h). */
#include "presignd/db.h"

#include <stdlib.h>
#include <string.h>

const char *db_conninfo_from_env(void)
{
    const char *url = getenv("DATABASE_URL");

    return url != NULL ? url : "";
}

/* Drops the trailing newline libpq puts on its messages. */
static void chomp(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

enum pd_code db_connect(PGconn **out, const char *conninfo, struct pd_err *err)
{
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *vals[] = {NULL, "presignd", NULL};
    PGconn *conn;
    enum pd_code rc;

    *out = NULL;
    vals[0] = conninfo != NULL ? conninfo : db_conninfo_from_env();
    /* expand_dbname=1: the dbname value may be a full URI or conninfo. */
    conn = PQconnectdbParams(keys, vals, 1);
    if (conn == NULL)
        return pd_fail(err, PD_ENOMEM,
                       "out of memory connecting to "
                       "the database");
    if (PQstatus(conn) != CONNECTION_OK) {
        rc = pd_fail(err, PD_EDB, "cannot connect to the database: %s",
                     PQerrorMessage(conn));
        if (err != NULL)
            chomp(err->msg);
        PQfinish(conn);
        return rc;
    }
    *out = conn;
    return PD_OK;
}

enum pd_code db_fail(struct pd_err *err, PGresult *res, PGconn *conn,
                     const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : 0;
    const char *msg = res ? PQresultErrorMessage(res) : "";

    if (msg == NULL || msg[0] == '\0')
        msg = PQerrorMessage(conn);
    pd_fail(err, PD_EDB, "%s failed%s%s%s: %s", what,
            state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "",
            msg);
    if (err != NULL)
        chomp(err->msg);
    PQclear(res);
    return PD_EDB;
}
