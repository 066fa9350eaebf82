/*
 * notify.c - the LISTEN thread: connect, LISTEN, wait on the socket,
 * deliver payloads; on any failure report it, back off and start over.
 */
#include "presignd/notify.h"

#include "presignd/db.h"
#include "presignd/log.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOTIFY_POLL_MS     200
#define NOTIFY_BACKOFF_MIN 100
#define NOTIFY_BACKOFF_MAX 2000

struct notify_listener {
    pthread_t thread;
    atomic_bool stop;
    char *conninfo;
    char *channel;
    struct notify_handlers h;
    PGconn *conn;
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Connects and issues LISTEN; keepalives catch a silently dead peer. */
static enum pd_code listen_connect(struct notify_listener *l,
                                   struct pd_err *err)
{
    const char *keys[] = {"connect_timeout",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "dbname",
                          "fallback_application_name",
                          NULL};
    const char *vals[] = {"3", "10", "5", "3", l->conninfo, "presignd", NULL};
    char *quoted = NULL, sql[256];
    PGresult *res;

    l->conn = PQconnectdbParams(keys, vals, 1);
    if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK)
        return db_connect_fail(err, l->conn, l->conninfo, "listener connect");
    quoted = PQescapeIdentifier(l->conn, l->channel, strlen(l->channel));
    if (quoted == NULL)
        return db_fail(err, NULL, l->conn, "quoting the channel");
    snprintf(sql, sizeof(sql), "LISTEN %s", quoted);
    PQfreemem(quoted);
    res = PQexec(l->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return db_fail(err, res, l->conn, "LISTEN");
    PQclear(res);
    return PD_OK;
}

static void disconnect(struct notify_listener *l)
{
    if (l->conn != NULL)
        PQfinish(l->conn);
    l->conn = NULL;
}

static void deliver(struct notify_listener *l)
{
    PGnotify *n;

    while ((n = PQnotifies(l->conn)) != NULL) {
        l->h.on_payload(l->h.ctx, n->extra);
        PQfreemem(n);
    }
}

/* Waits for input; false when the connection is gone. */
static bool pump(struct notify_listener *l)
{
    struct pollfd pfd = {PQsocket(l->conn), POLLIN, 0};
    int r = poll(&pfd, 1, NOTIFY_POLL_MS);

    if (r < 0 || pfd.fd < 0)
        return false;
    if (r > 0 && !PQconsumeInput(l->conn))
        return false;
    deliver(l);
    return PQstatus(l->conn) == CONNECTION_OK;
}

static void *listener_main(void *arg)
{
    struct notify_listener *l = arg;
    unsigned backoff = NOTIFY_BACKOFF_MIN;
    bool warned = false;
    struct pd_err err;

    while (!atomic_load(&l->stop)) {
        if (listen_connect(l, &err) != PD_OK) {
            disconnect(l);
            /* Say it once per outage, not at every retry. */
            pd_log(warned ? PD_LOG_DEBUG : PD_LOG_WARN,
                   "invalidation listener: %s (retrying)", err.msg);
            warned = true;
            sleep_ms(backoff);
            backoff = backoff * 2 > NOTIFY_BACKOFF_MAX ? NOTIFY_BACKOFF_MAX
                                                       : backoff * 2;
            continue;
        }
        backoff = NOTIFY_BACKOFF_MIN;
        warned = false;
        pd_log(PD_LOG_INFO, "invalidation listener connected");
        l->h.on_state(l->h.ctx, true);
        while (!atomic_load(&l->stop) && pump(l))
            ;
        disconnect(l);
        l->h.on_state(l->h.ctx, false);
        if (!atomic_load(&l->stop))
            pd_log(PD_LOG_WARN, "invalidation listener lost its connection; "
                                "caches are bypassed until it is back");
    }
    return NULL;
}

void notify_listener_stop(struct notify_listener *l)
{
    if (l == NULL)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    disconnect(l);
    free(l->conninfo);
    free(l->channel);
    free(l);
}

enum pd_code notify_listener_start(struct notify_listener **out,
                                   const char *conninfo, const char *channel,
                                   const struct notify_handlers *h,
                                   struct pd_err *err)
{
    struct notify_listener *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (l == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory starting listener");
    l->conninfo = strdup(conninfo ? conninfo : db_conninfo_from_env());
    l->channel = strdup(channel);
    l->h = *h;
    if (l->conninfo == NULL || l->channel == NULL) {
        free(l->conninfo);
        free(l->channel);
        free(l);
        return pd_fail(err, PD_ENOMEM, "out of memory starting listener");
    }
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        free(l->conninfo);
        free(l->channel);
        free(l);
        return pd_fail(err, PD_EIO, "cannot start the listener thread");
    }
    *out = l;
    return PD_OK;
}
