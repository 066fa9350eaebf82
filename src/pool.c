/*
 * pool.c - PostgreSQL connection pool with lazy reconnect and back-off
 * (see pool.h).
 */
#include "presignd/pool.h"

#include "presignd/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX_PREPARED 16

struct pool_slot {
    PGconn *conn; /* NULL: not connected */
    bool busy;
};

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *conninfo;
    const struct hostsql *queries;
    const char *prepare[POOL_MAX_PREPARED + 1];
    unsigned statement_timeout_ms, acquire_timeout_ms, retry_ms;
    _Atomic int64_t retry_at_ms; /* refuse work until then (0: up) */
    unsigned size;
    struct pool_slot slots[];
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum pd_code db_pool_new(struct db_pool **out,
                         const struct db_pool_options *opt, struct pd_err *err)
{
    unsigned size = opt->size ? opt->size : 1;
    struct db_pool *p = calloc(1, sizeof(*p) + size * sizeof(p->slots[0]));
    const char *sql;
    size_t n = 0;

    *out = NULL;
    if (p == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory creating the pool");
    for (; opt->prepare[n] != NULL; n++) {
        if (n == POOL_MAX_PREPARED ||
            hostsql_require(opt->queries, opt->prepare[n], &sql, err)) {
            free(p);
            return n == POOL_MAX_PREPARED
                       ? pd_fail(err, PD_ELIMIT, "too many prepared queries")
                       : PD_ECONFIG;
        }
        p->prepare[n] = opt->prepare[n];
    }
    p->conninfo =
        strdup(opt->conninfo ? opt->conninfo : db_conninfo_from_env());
    if (p->conninfo == NULL) {
        free(p);
        return pd_fail(err, PD_ENOMEM, "out of memory creating the pool");
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    p->queries = opt->queries;
    p->statement_timeout_ms = opt->statement_timeout_ms;
    p->acquire_timeout_ms = opt->acquire_timeout_ms;
    p->retry_ms = opt->retry_ms;
    p->size = size;
    *out = p;
    return PD_OK;
}

void db_pool_free(struct db_pool *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < p->size; i++)
        if (p->slots[i].conn != NULL)
            PQfinish(p->slots[i].conn);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p->conninfo);
    free(p);
}

bool db_pool_is_up(struct db_pool *p)
{
    return atomic_load_explicit(&p->retry_at_ms, memory_order_relaxed) == 0;
}

/* Sets the session up: statement timeout, then every prepared query. */
static enum pd_code setup_conn(struct db_pool *p, PGconn *conn,
                               struct pd_err *err)
{
    char set[128];
    PGresult *res;

    snprintf(set, sizeof(set),
             "SET statement_timeout = %u; SET lock_timeout = %u",
             p->statement_timeout_ms, p->statement_timeout_ms);
    res = PQexec(conn, set);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(err, res, conn, "setting the statement timeout");
    PQclear(res);
    for (size_t i = 0; p->prepare[i] != NULL; i++) {
        res = PQprepare(conn, p->prepare[i],
                        hostsql_get(p->queries, p->prepare[i]), 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return db_fail(err, res, conn, p->prepare[i]);
        PQclear(res);
    }
    return PD_OK;
}

/* Opens a connection with a connect timeout the conninfo may override. */
static enum pd_code open_conn(struct db_pool *p, PGconn **out,
                              struct pd_err *err)
{
    const char *keys[] = {"connect_timeout", "dbname",
                          "fallback_application_name", NULL};
    const char *vals[] = {"3", p->conninfo, "presignd", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    enum pd_code rc;

    *out = NULL;
    if (conn == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory connecting");
    if (PQstatus(conn) != CONNECTION_OK) {
        rc = db_connect_fail(err, conn, p->conninfo,
                             "connecting to the database");
        PQfinish(conn);
        return rc;
    }
    rc = setup_conn(p, conn, err);
    if (rc != PD_OK) {
        PQfinish(conn);
        return rc;
    }
    *out = conn;
    return PD_OK;
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Borrows a slot, preferring one that is already connected. */
static enum pd_code acquire(struct db_pool *p, struct pool_slot **out,
                            struct pd_err *err)
{
    struct timespec deadline;
    struct pool_slot *pick;

    deadline_after(&deadline, p->acquire_timeout_ms);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        pick = NULL;
        for (unsigned i = 0; i < p->size; i++) {
            struct pool_slot *s = &p->slots[i];
            if (!s->busy && (pick == NULL || (s->conn && !pick->conn)))
                pick = s;
        }
        if (pick != NULL)
            break;
        if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) ==
            ETIMEDOUT) {
            pthread_mutex_unlock(&p->lock);
            return pd_fail(err, PD_EDB, "all database connections busy");
        }
    }
    pick->busy = true;
    pthread_mutex_unlock(&p->lock);
    *out = pick;
    return PD_OK;
}

static void release(struct db_pool *p, struct pool_slot *s)
{
    pthread_mutex_lock(&p->lock);
    s->busy = false;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

static void mark(struct db_pool *p, bool up)
{
    atomic_store_explicit(&p->retry_at_ms, up ? 0 : now_ms() + p->retry_ms,
                          memory_order_relaxed);
}

static bool unrepresentable(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state != NULL &&
           (strcmp(state, "22P02") == 0 || strcmp(state, "22003") == 0);
}

/* Runs the statement on a connected slot; drops the connection if broken. */
static enum pd_code run(struct db_pool *p, struct pool_slot *s,
                        const char *name, int nparams,
                        const char *const *params, PGresult **out,
                        struct pd_err *err)
{
    PGresult *res =
        PQexecPrepared(s->conn, name, nparams, params, NULL, NULL, 0);

    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        *out = res;
        return PD_OK;
    }
    if (res != NULL && unrepresentable(res)) {
        PQclear(res);
        return pd_fail(err, PD_ENOTFOUND, "%s: parameter out of domain", name);
    }
    db_fail(err, res, s->conn, name);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        PQfinish(s->conn);
        s->conn = NULL;
        mark(p, false);
    }
    return PD_EDB;
}

enum pd_code db_pool_query(struct db_pool *p, const char *name, int nparams,
                           const char *const *params, PGresult **out,
                           struct pd_err *err)
{
    int64_t retry_at =
        atomic_load_explicit(&p->retry_at_ms, memory_order_relaxed);
    struct pool_slot *s = NULL;
    enum pd_code rc;

    *out = NULL;
    if (retry_at != 0 && now_ms() < retry_at)
        return pd_fail(err, PD_EDB, "database unavailable (backing off)");
    rc = acquire(p, &s, err);
    if (rc != PD_OK)
        return rc;
    /* A reused connection may have died while idle (database restart):
     * then one more try on a fresh connection before giving up. */
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = s->conn == NULL;
        if (fresh && (rc = open_conn(p, &s->conn, err)) != PD_OK) {
            mark(p, false);
            break;
        }
        rc = run(p, s, name, nparams, params, out, err);
        if (rc != PD_EDB || s->conn != NULL || fresh)
            break;
    }
    if (rc == PD_OK && !db_pool_is_up(p))
        mark(p, true);
    release(p, s);
    return rc;
}
