/* db.c - libpq connections from DATABASE_URL or PG* (see db.h). */
#include "presignd/db.h"

#include <stdio.h>
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

/* Replaces every "quoted" span of msg (PD_ERR_MSG_MAX) by "...". */
static void blank_quoted(char *msg)
{
    char in[PD_ERR_MSG_MAX];
    const char *r = in;
    size_t w = 0;

    snprintf(in, sizeof(in), "%s", msg);
    while (*r != '\0' && w + 6 < sizeof(in)) {
        const char *end = *r == '"' ? strchr(r + 1, '"') : NULL;

        if (end == NULL) {
            msg[w++] = *r++;
            continue;
        }
        memcpy(msg + w, "\"...\"", 5);
        w += 5;
        r = end + 1;
    }
    msg[w] = '\0';
}

/* Replaces each occurrence of secret in msg by stars, in place. */
static void blank_secret(char *msg, const char *secret)
{
    size_t n = strlen(secret), stars = n < 3 ? n : 3;
    char *hit = msg;

    if (n == 0)
        return;
    while ((hit = strstr(hit, secret)) != NULL) {
        memset(hit, '*', stars);
        memmove(hit + stars, hit + n, strlen(hit + n) + 1);
        hit += stars;
    }
}

/*
 * libpq echoes parts of a connection string it cannot parse (a bad
 * percent-escape inside the password, the whole URI for a bad IPv6 host):
 * such messages lose every quoted span. Of a parseable string, only the
 * password is blanked wherever it appears.
 */
static void redact_conn_message(char *msg, const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    PQconninfoOption *o;

    if (opts == NULL) {
        blank_quoted(msg);
        return;
    }
    for (o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
            blank_secret(msg, o->val);
    PQconninfoFree(opts);
}

enum pd_code db_connect_fail(struct pd_err *err, PGconn *conn,
                             const char *conninfo, const char *what)
{
    const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";

    pd_fail(err, PD_EDB, "%s: %s", what, msg);
    if (err != NULL) {
        chomp(err->msg);
        redact_conn_message(err->msg, conninfo != NULL ? conninfo : "");
    }
    return PD_EDB;
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
        rc = db_connect_fail(err, conn, vals[0],
                             "cannot connect to the database");
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
