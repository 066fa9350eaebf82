/*
 * http.c - the gateway's HTTP server on libmicrohttpd: daemon set-up,
 * dispatch, health/readiness/metrics, the access log, and draining.
 * (Responses are built in http_respond.c, image requests answered in
 * serve_image.c.)
 *
 * Threading: MHD_USE_EPOLL_INTERNAL_THREAD with a thread pool of
 * cfg->workers threads, each running its own epoll loop and answering its
 * connections' requests on that thread, on the access callback's second
 * call (see on_request).
 */
#include "http_request.h"

#include "presignd/accesslog.h"
#include "presignd/log.h"
#include "presignd/metrics.h"
#include "presignd/netaddr.h"
#include "textbuf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Request line + headers must fit in this much memory per connection:
 * bigger requests get 431 (or 414) from libmicrohttpd itself. */
#define HTTP_CONNECTION_MEMORY (16 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    struct gateway *gw;
    unsigned port;
};

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Ready: credentials loaded and the database answers. */
static enum MHD_Result serve_readyz(struct http_request *rq)
{
    struct sigv4_signer *signer = atomic_load(&rq->gw->signer);
    time_t exp = signer ? sigv4_signer_expiration(signer) : 0;
    PGresult *res = NULL;
    struct pd_err err;

    if (signer == NULL || (exp != 0 && exp <= time(NULL)))
        return http_respond_error(rq, 503, "credentials not loaded\n");
    if (db_pool_query(rq->gw->pool, "ping", 0, NULL, &res, &err) != PD_OK) {
        metrics_set_db_up(false);
        return http_respond_error(rq, 503, "database unavailable\n");
    }
    PQclear(res);
    metrics_set_db_up(true);
    return http_respond_text(rq, 200, "text/plain; charset=utf-8", "ready\n",
                             6);
}

static enum MHD_Result serve_metrics(struct http_request *rq)
{
    struct pd_buf out;
    enum MHD_Result r;

    pd_buf_init(&out, 1024 * 1024);
    if (metrics_render(&out) != PD_OK) {
        pd_buf_release(&out);
        return http_respond_error(rq, 500, "internal error\n");
    }
    r = http_respond_text(rq, 200, "text/plain; version=0.0.4; charset=utf-8",
                          out.data, out.len);
    pd_buf_release(&out);
    return r;
}

static bool wants_json(struct MHD_Connection *conn)
{
    const char *fmt =
        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
    const char *accept =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");

    if (fmt != NULL)
        return strcmp(fmt, "json") == 0;
    return accept != NULL && strstr(accept, "application/json") != NULL;
}

static enum MHD_Result dispatch(struct http_request *rq, const char *path,
                                const char *method)
{
    enum pd_code rc = http_route_parse(path, &rq->route);
    bool options = strcmp(method, "OPTIONS") == 0;

    if (rc == PD_ENOTFOUND)
        return http_respond_error(rq, 404, "not found\n");
    if (rc != PD_OK)
        return http_respond_error(rq, 400, "malformed id\n");
    if (options && rq->route.kind == HTTP_ROUTE_IMAGE)
        return http_respond_preflight(rq);
    rq->head = strcmp(method, "HEAD") == 0;
    if (!rq->head && strcmp(method, "GET") != 0)
        return http_respond_error(rq, 405, "method not allowed\n");
    switch (rq->route.kind) {
    case HTTP_ROUTE_HEALTHZ:
        return http_respond_text(rq, 200, "text/plain; charset=utf-8", "ok\n",
                                 3);
    case HTTP_ROUTE_READYZ:
        return serve_readyz(rq);
    case HTTP_ROUTE_METRICS:
        return serve_metrics(rq);
    case HTTP_ROUTE_IMAGE:
        break;
    }
    rq->json = wants_json(rq->conn);
    return serve_image(rq);
}

/* All X-Forwarded-For lines of a request, joined by ", " in order. */
struct xff_join {
    char text[HTTP_CONNECTION_MEMORY];
    size_t len;
    bool overflow;
};

static enum MHD_Result xff_append(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    struct xff_join *j = cls;
    size_t n = value != NULL ? strlen(value) : 0;

    (void)kind;
    if (key == NULL || strcasecmp(key, "X-Forwarded-For") != 0 || n == 0)
        return MHD_YES;
    if (j->len + n + 3 > sizeof(j->text)) {
        j->overflow = true;
        return MHD_NO;
    }
    if (j->len > 0) {
        memcpy(j->text + j->len, ", ", 2);
        j->len += 2;
    }
    memcpy(j->text + j->len, value, n + 1);
    j->len += n;
    return MHD_YES;
}

/*
 * The peer, or the client a trusted proxy names. A proxy may append its
 * own X-Forwarded-For line after the client's (HAProxy does), so every
 * line counts, in order, as if joined into one.
 */
static void client_ip(struct http_request *rq, char out[NETADDR_TEXT_MAX])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct serve_config *cfg = rq->gw->cfg;
    struct netaddr peer, client;
    struct xff_join xff = {.len = 0, .overflow = false};

    if (ci == NULL || netaddr_from_sockaddr(&peer, ci->client_addr) != PD_OK) {
        strcpy(out, "-");
        return;
    }
    xff.text[0] = '\0';
    if (cfg->trusted_proxy_count > 0)
        MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, xff_append, &xff);
    client =
        netaddr_client(&peer, xff.len > 0 && !xff.overflow ? xff.text : NULL,
                       cfg->trusted_proxies, cfg->trusted_proxy_count);
    netaddr_format(&client, out);
}

/* Copies s keeping only characters that need no JSON escaping in an id. */
static void safe_copy(char *out, size_t cap, const char *s)
{
    size_t n = 0;

    for (; *s && n + 1 < cap; s++)
        out[n++] =
            (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') ? *s : '?';
    out[n] = '\0';
}

/*
 * One JSON line per request on stdout (batched, see accesslog.h). Never
 * the cookie, the path's query string or the presigned URL.
 */
static void access_log(struct http_request *rq, const char *method,
                       int64_t latency_us)
{
    /* The seconds part of the time changes once a second: format it then. */
    static _Thread_local char when[32];
    static _Thread_local time_t when_sec = -1;
    char line[512], ip[NETADDR_TEXT_MAX], user[ACCESS_ID_MAX];
    struct timespec ts;
    struct tm tm;
    struct textbuf t;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != when_sec) {
        gmtime_r(&ts.tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        when_sec = ts.tv_sec;
    }
    client_ip(rq, ip);
    safe_copy(user, sizeof(user), rq->user_id);
    tb_init(&t, line, sizeof(line));
    tb_str(&t, "{\"time\":\"");
    tb_str(&t, when);
    tb_mem(&t, ".", 1);
    tb_uint(&t, (uint64_t)ts.tv_nsec / 1000000, 3);
    tb_str(&t, "Z\",\"request_id\":\"");
    tb_str(&t, rq->request_id);
    tb_str(&t, "\",\"method\":\"");
    tb_str(&t, method);
    tb_str(&t, "\",\"route\":\"");
    tb_str(&t, metrics_route_name((enum metrics_route)rq->route.metric));
    tb_str(&t, "\",\"status\":");
    tb_uint(&t, rq->status, 1);
    tb_str(&t, ",\"user_id\":");
    if (user[0] != '\0') {
        tb_mem(&t, "\"", 1);
        tb_str(&t, user);
        tb_mem(&t, "\"", 1);
    } else {
        tb_str(&t, "null");
    }
    tb_str(&t, ",\"latency_ms\":");
    tb_uint(&t, (uint64_t)latency_us / 1000, 1);
    tb_mem(&t, ".", 1);
    tb_uint(&t, (uint64_t)latency_us % 1000, 3);
    tb_str(&t, ",\"client_ip\":\"");
    tb_str(&t, ip);
    tb_str(&t, "\"}\n");
    if (tb_done(&t) != NULL)
        accesslog_write(line, t.len);
}

static const char *known_method(const char *m)
{
    static const char *const methods[] = {"GET", "HEAD",   "OPTIONS", "POST",
                                          "PUT", "DELETE", "PATCH"};

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(m, methods[i]) == 0)
            return methods[i];
    return "OTHER";
}

/* PREFIX-SEQ: the process's random prefix and a per-process counter. */
static void request_id(struct http_request *rq)
{
    struct textbuf t;

    tb_init(&t, rq->request_id, sizeof(rq->request_id));
    tb_str(&t, rq->gw->request_id_prefix);
    tb_mem(&t, "-", 1);
    tb_hex(&t, atomic_fetch_add_explicit(&rq->gw->request_seq, 1,
                                         memory_order_relaxed));
    if (tb_done(&t) == NULL)
        rq->request_id[0] = '\0';
}

/* Markers for *con_cls (only their addresses matter). */
static char headers_seen, answered;

static bool bodiless(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "OPTIONS") == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct gateway *gw = cls;
    struct http_request rq;
    int64_t start = mono_us(), elapsed;
    enum MHD_Result r;

    (void)version;
    (void)upload;
    /*
     * libmicrohttpd calls once when the headers are in and again when the
     * (empty) body is: a response queued on the first call would close
     * the connection, so GET/HEAD/OPTIONS are answered on the second.
     * Other methods are refused at once (and the connection closed) rather
     * than reading a body nobody wants. *con_cls holds a marker saying
     * which call this is: no per-request allocation.
     */
    if (*con_cls == NULL && bodiless(method)) {
        *con_cls = &headers_seen;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0; /* discard */
        return MHD_YES;
    }
    if (*con_cls == &answered)
        return MHD_YES;
    *con_cls = &answered;
    memset(&rq, 0, sizeof(rq));
    rq.conn = conn;
    rq.gw = gw;
    rq.route.metric = METRICS_ROUTE_OTHER;
    request_id(&rq);
    r = dispatch(&rq, url, method);
    elapsed = mono_us() - start;
    metrics_request((enum metrics_route)rq.route.metric, rq.status, elapsed);
    if (gw->cfg->access_log)
        access_log(&rq, known_method(method), elapsed);
    return r;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) PD_PRINTF(2, 0);

/* libmicrohttpd's own messages, routed into our logger. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    pd_log(PD_LOG_WARN, "libmicrohttpd: %s", msg);
}

/* Fills a socket address for host:port (literal IPs only: no DNS). */
static enum pd_code listen_addr(const struct serve_config *cfg,
                                struct sockaddr_storage *ss, bool *v6,
                                struct pd_err *err)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    const char *host = cfg->listen_host;

    memset(ss, 0, sizeof(*ss));
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)cfg->listen_port);
        *v6 = false;
        return PD_OK;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->listen_port);
        *v6 = true;
        return PD_OK;
    }
    return pd_fail(err, PD_ECONFIG,
                   "--listen: '%s' is not an IP address (names are not "
                   "resolved)",
                   cfg->listen_host);
}

enum pd_code http_server_start(struct http_server **out, struct gateway *gw,
                               struct pd_err *err)
{
    const struct serve_config *cfg = gw->cfg;
    struct http_server *s = calloc(1, sizeof(*s));
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    bool v6 = false;

    *out = NULL;
    if (s == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory");
    if (listen_addr(cfg, &ss, &v6, err) != PD_OK) {
        free(s);
        return PD_ECONFIG;
    }
    if (v6)
        flags |= MHD_USE_IPv6;
    s->gw = gw;
    /* The logger comes first, or libmicrohttpd prints the messages about
     * the options before it in plain text on stderr. A pool of one thread
     * is no pool (and earns a warning): the option is left out then. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, gw, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_logger, NULL, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->idle_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTP_CONNECTION_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        cfg->workers > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
        (unsigned)cfg->workers, MHD_OPTION_END);
    if (s->daemon == NULL) {
        free(s);
        return pd_fail(err, PD_EIO, "cannot listen on %s:%u", cfg->listen_host,
                       cfg->listen_port);
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->listen_port;
    *out = s;
    return PD_OK;
}

unsigned http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_drain_and_stop(struct http_server *s, unsigned timeout_ms)
{
    MHD_socket fd;
    const union MHD_DaemonInfo *info;

    if (s == NULL)
        return;
    atomic_store(&s->gw->draining, true);
    fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    /* In-flight requests finish; keep-alive clients are told to close. */
    for (unsigned waited = 0; waited < timeout_ms; waited += 50) {
        info =
            MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info == NULL || info->num_connections == 0)
            break;
        usleep(50 * 1000);
    }
    MHD_stop_daemon(s->daemon);
    free(s);
}
