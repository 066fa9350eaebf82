/*
 * cmd_serve.c - `presignd serve`: reads the configuration, builds the
 * gateway (signer, database pool, caches, invalidation listener), starts
 * the HTTP server and then waits for signals: SIGHUP reloads, SIGTERM and
 * SIGINT drain and exit.
 *
 * Signals are blocked before any thread starts, so every thread inherits
 * the mask and only the main thread's sigwait ever sees them.
 */
#include "commands.h"
#include "presignd/accesslog.h"
#include "presignd/awsenv.h"
#include "presignd/http.h"
#include "presignd/hostsql.h"
#include "presignd/log.h"
#include "presignd/metrics.h"
#include "presignd/notify.h"
#include "presignd/pool.h"

#include <malloc.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define DRAIN_TIMEOUT_MS     10000
#define STATEMENT_TIMEOUT_MS 2000
/* About 200 bytes each: the caches stay under ~15 MB. */
#define CACHE_MAX_ENTRIES 65536

static const char *const serve_queries[] = {
    "ping",
    "serve_session",
    "serve_session_by_id",
    "serve_jwt_user",
    "serve_visibility",
    "serve_image",
    NULL,
};

struct serve_state {
    struct serve_config cfg;
    struct hostsql *queries;
    struct db_pool *pool;
    struct gateway gw;
    struct notify_listener *listener;
    struct http_server *http;
};

/* (Re)loads the credentials into a new signer. */
static enum pd_code load_signer(struct serve_state *st, struct pd_err *err)
{
    struct sigv4_credentials creds;
    struct sigv4_signer *signer = NULL;
    enum pd_code rc;

    memset(&creds, 0, sizeof(creds));
    rc = awsenv_credentials(&creds, err);
    if (rc == PD_OK)
        rc = sigv4_signer_new(&signer, &creds, st->cfg.region, "s3", err);
    sigv4_credentials_wipe(&creds);
    if (rc == PD_OK)
        rc = gateway_set_signer(&st->gw, signer, err);
    return rc;
}

static enum pd_code load_jwt(struct serve_state *st, struct pd_err *err)
{
    struct jwtauth *jwt = NULL;

    if (st->cfg.jwt_secret_file == NULL)
        return PD_OK;
    if (jwtauth_load(&jwt, st->cfg.jwt_secret_file, err) != PD_OK)
        return err->code;
    return gateway_set_jwt(&st->gw, jwt, err);
}

/* Where presigned URLs point, and what legacy URLs count as ours. */
static enum pd_code setup_endpoint(struct serve_state *st, struct pd_err *err)
{
    enum pd_code rc;

    s3url_config_init(&st->gw.legacy);
    rc = s3url_config_from_env(&st->gw.legacy, err);
    if (rc != PD_OK)
        return rc;
    if (st->cfg.endpoint_url == NULL)
        return sigv4_endpoint_aws(&st->gw.endpoint, st->cfg.region, false, err);
    rc = sigv4_endpoint_parse(&st->gw.endpoint, st->cfg.endpoint_url, err);
    if (rc != PD_OK)
        return rc;
    return s3url_config_add_store(&st->gw.legacy, st->cfg.endpoint_url,
                                  st->cfg.region, err);
}

static void on_payload(void *ctx, const char *payload)
{
    access_store_invalidate(ctx, payload);
}

static void on_state(void *ctx, bool listening)
{
    access_store_set_listening(ctx, listening);
}

static enum pd_code setup_database(struct serve_state *st, struct pd_err *err)
{
    struct db_pool_options po = {
        .conninfo = NULL,
        .queries = st->queries,
        .prepare = serve_queries,
        .size = st->cfg.workers + 2,
        .statement_timeout_ms = STATEMENT_TIMEOUT_MS,
        .acquire_timeout_ms = 1000,
        .retry_ms = 500,
    };
    struct notify_handlers h = {on_payload, on_state, NULL};

    if (db_pool_new(&st->pool, &po, err) != PD_OK)
        return err->code;
    st->gw.pool = st->pool;
    if (access_store_new(&st->gw.access, st->pool, st->cfg.cache_ttl,
                         CACHE_MAX_ENTRIES, err) != PD_OK)
        return err->code;
    h.ctx = st->gw.access;
    return notify_listener_start(&st->listener, NULL, "presignd_invalidate", &h,
                                 err);
}

static enum pd_code setup(struct serve_state *st, struct pd_err *err)
{
    unsigned char rnd[4];

    st->gw.cfg = &st->cfg;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        memset(rnd, 0, sizeof(rnd));
    snprintf(st->gw.request_id_prefix, sizeof(st->gw.request_id_prefix),
             "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
    if (hostsql_load(&st->queries, st->cfg.queries_file, err) != PD_OK ||
        setup_endpoint(st, err) != PD_OK || load_signer(st, err) != PD_OK ||
        load_jwt(st, err) != PD_OK || setup_database(st, err) != PD_OK)
        return err->code;
    return http_server_start(&st->http, &st->gw, err);
}

static void teardown(struct serve_state *st)
{
    http_server_drain_and_stop(st->http, DRAIN_TIMEOUT_MS);
    accesslog_shutdown();
    notify_listener_stop(st->listener);
    access_store_free(st->gw.access);
    db_pool_free(st->pool);
    gateway_release(&st->gw);
    s3url_config_release(&st->gw.legacy);
    hostsql_free(st->queries);
    serve_config_release(&st->cfg);
}

static void reload(struct serve_state *st)
{
    struct pd_err err;

    pd_err_clear(&err);
    if (load_signer(st, &err) != PD_OK || load_jwt(st, &err) != PD_OK) {
        pd_log(PD_LOG_ERROR, "reload failed, keeping the old settings: %s",
               err.msg);
        return;
    }
    access_store_clear(st->gw.access);
    pd_log(PD_LOG_INFO, "reloaded credentials and keys; caches emptied");
}

static void log_listening(struct serve_state *st)
{
    bool v6 = strchr(st->cfg.listen_host, ':') != NULL;

    pd_log(PD_LOG_INFO, "listening on http://%s%s%s:%u (%u workers)",
           v6 ? "[" : "", st->cfg.listen_host, v6 ? "]" : "",
           http_server_port(st->http), st->cfg.workers);
}

/* Waits for signals until one asks to stop, flushing the access log. */
static void signal_loop(struct serve_state *st, const sigset_t *set)
{
    int sig;

    const struct timespec tick = {0, 200 * 1000 * 1000};

    for (;;) {
        /* Wake every 200 ms to write out buffered access-log lines. */
        sig = sigtimedwait(set, NULL, &tick);
        accesslog_flush();
        if (sig < 0)
            continue;
        if (sig == SIGHUP) {
            reload(st);
            continue;
        }
        pd_log(PD_LOG_INFO, "%s received: draining",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return;
    }
}

int cmd_serve(int argc, char **argv)
{
    static struct serve_state st; /* large; one per process */
    struct pd_err err;
    sigset_t set;
    int status = PD_EXIT_OK;

    pd_err_clear(&err);
    if (serve_config_parse(&st.cfg, argc, argv, &err) != PD_OK) {
        fprintf(stderr, "presignd serve: %s\n", err.msg);
        serve_config_release(&st.cfg);
        return PD_EXIT_USAGE;
    }
    if (st.cfg.help) {
        fputs(serve_config_usage, stdout);
        serve_config_release(&st.cfg);
        return PD_EXIT_OK;
    }
    pd_log_setup(st.cfg.log_level, PD_LOG_JSON);
    /* glibc would allow 8 malloc arenas per core; one per worker (plus
     * the main and listener threads) avoids lock contention between
     * workers and keeps the resident size small. */
    mallopt(M_ARENA_MAX, (int)st.cfg.workers + 2);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (setup(&st, &err) == PD_OK) {
        log_listening(&st);
        signal_loop(&st, &set);
    } else {
        pd_log(PD_LOG_ERROR, "cannot start: %s", err.msg);
        status = PD_EXIT_FAIL;
    }
    teardown(&st);
    if (status == PD_EXIT_OK)
        pd_log(PD_LOG_INFO, "stopped");
    return status;
}
