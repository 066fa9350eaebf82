/* metrics.c - atomic counters and their Prometheus text (see metrics.h). */
#include "presignd/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The statuses the gateway answers with; anything else counts as "other". */
static const unsigned statuses[] = {200, 204, 302, 304, 400, 401, 403,
                                    404, 405, 413, 431, 500, 503};
#define STATUS_COUNT (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Latency bucket bounds in microseconds. */
static const int64_t bounds_us[] = {100,   250,    500,    1000,
                                    2500,  5000,   10000,  25000,
                                    50000, 100000, 250000, 1000000};
#define BOUND_COUNT (sizeof(bounds_us) / sizeof(bounds_us[0]))

static const char *const route_names[METRICS_ROUTE_COUNT] = {
    "avatar",  "signature", "me_avatar", "me_signature",
    "healthz", "readyz",    "metrics",   "other"};
static const char *const cache_names[METRICS_CACHE_COUNT] = {
    "session", "visibility", "image"};
static const char *const legacy_names[METRICS_LEGACY_COUNT] = {
    "presigned", "external", "rejected"};

static struct {
    _Atomic uint64_t requests[METRICS_ROUTE_COUNT][STATUS_COUNT];
    _Atomic uint64_t buckets[BOUND_COUNT + 1]; /* last: +Inf only */
    _Atomic uint64_t latency_sum_us;
    _Atomic uint64_t latency_count;
    _Atomic uint64_t cache_hits[METRICS_CACHE_COUNT];
    _Atomic uint64_t cache_misses[METRICS_CACHE_COUNT];
    _Atomic uint64_t db_errors;
    _Atomic uint64_t legacy[METRICS_LEGACY_COUNT];
    _Atomic int db_up;
    _Atomic int listener_up;
} m;

#define ADD(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define GET(x) atomic_load_explicit(&(x), memory_order_relaxed)

const char *metrics_route_name(enum metrics_route r)
{
    return r < METRICS_ROUTE_COUNT ? route_names[r] : "other";
}

static size_t status_index(unsigned status)
{
    for (size_t i = 0; i + 1 < STATUS_COUNT; i++)
        if (statuses[i] == status)
            return i;
    return STATUS_COUNT - 1;
}

void metrics_request(enum metrics_route route, unsigned status,
                     int64_t latency_us)
{
    size_t b = 0;

    if (route >= METRICS_ROUTE_COUNT)
        route = METRICS_ROUTE_OTHER;
    if (latency_us < 0)
        latency_us = 0;
    ADD(m.requests[route][status_index(status)]);
    while (b < BOUND_COUNT && latency_us > bounds_us[b])
        b++;
    ADD(m.buckets[b]);
    atomic_fetch_add_explicit(&m.latency_sum_us, (uint64_t)latency_us,
                              memory_order_relaxed);
    ADD(m.latency_count);
}

void metrics_cache(enum metrics_cache cache, bool hit)
{
    if (hit)
        ADD(m.cache_hits[cache]);
    else
        ADD(m.cache_misses[cache]);
}

void metrics_db_error(void)
{
    ADD(m.db_errors);
}

void metrics_legacy(enum metrics_legacy outcome)
{
    ADD(m.legacy[outcome]);
}

void metrics_set_db_up(bool up)
{
    atomic_store_explicit(&m.db_up, up, memory_order_relaxed);
}

void metrics_set_listener_up(bool up)
{
    atomic_store_explicit(&m.listener_up, up, memory_order_relaxed);
}

static enum pd_code render_requests(struct pd_buf *out)
{
    enum pd_code rc = pd_buf_puts(
        out, "# HELP presignd_requests_total Requests by route and status.\n"
             "# TYPE presignd_requests_total counter\n");

    for (size_t r = 0; r < METRICS_ROUTE_COUNT && rc == PD_OK; r++) {
        for (size_t s = 0; s < STATUS_COUNT && rc == PD_OK; s++) {
            uint64_t n = GET(m.requests[r][s]);
            char status[16] = "other";
            if (n == 0)
                continue;
            if (s + 1 < STATUS_COUNT)
                snprintf(status, sizeof(status), "%u", statuses[s]);
            rc = pd_buf_printf(out,
                               "presignd_requests_total{route=\"%s\","
                               "status=\"%s\"} %llu\n",
                               route_names[r], status, (unsigned long long)n);
        }
    }
    return rc;
}

static enum pd_code render_latency(struct pd_buf *out)
{
    uint64_t cumulative = 0;
    enum pd_code rc =
        pd_buf_puts(out, "# HELP presignd_request_duration_seconds Time from "
                         "request headers to response queued.\n"
                         "# TYPE presignd_request_duration_seconds "
                         "histogram\n");

    for (size_t b = 0; b <= BOUND_COUNT && rc == PD_OK; b++) {
        cumulative += GET(m.buckets[b]);
        if (b < BOUND_COUNT)
            rc = pd_buf_printf(out,
                               "presignd_request_duration_seconds_bucket"
                               "{le=\"%g\"} %llu\n",
                               (double)bounds_us[b] / 1e6,
                               (unsigned long long)cumulative);
        else
            rc = pd_buf_printf(out,
                               "presignd_request_duration_seconds_bucket"
                               "{le=\"+Inf\"} %llu\n",
                               (unsigned long long)cumulative);
    }
    if (rc == PD_OK)
        rc = pd_buf_printf(out,
                           "presignd_request_duration_seconds_sum %.6f\n"
                           "presignd_request_duration_seconds_count %llu\n",
                           (double)GET(m.latency_sum_us) / 1e6,
                           (unsigned long long)GET(m.latency_count));
    return rc;
}

static enum pd_code render_labelled(struct pd_buf *out, const char *name,
                                    const char *help, const char *label,
                                    const char *const *values,
                                    _Atomic uint64_t *counters, size_t n)
{
    enum pd_code rc = pd_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n",
                                    name, help, name);

    for (size_t i = 0; i < n && rc == PD_OK; i++)
        rc = pd_buf_printf(out, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
                           (unsigned long long)GET(counters[i]));
    return rc;
}

enum pd_code metrics_render(struct pd_buf *out)
{
    enum pd_code rc = render_requests(out);

    if (rc == PD_OK)
        rc = render_latency(out);
    if (rc == PD_OK)
        rc = render_labelled(out, "presignd_cache_hits_total",
                             "Cache lookups answered from memory.", "cache",
                             cache_names, m.cache_hits, METRICS_CACHE_COUNT);
    if (rc == PD_OK)
        rc =
            render_labelled(out, "presignd_cache_misses_total",
                            "Cache lookups that went to the database.", "cache",
                            cache_names, m.cache_misses, METRICS_CACHE_COUNT);
    if (rc == PD_OK)
        rc = render_labelled(out, "presignd_legacy_fallbacks_total",
                             "Requests served from a legacy URL.", "outcome",
                             legacy_names, m.legacy, METRICS_LEGACY_COUNT);
    if (rc == PD_OK)
        rc = pd_buf_printf(
            out,
            "# HELP presignd_db_errors_total Failed database calls.\n"
            "# TYPE presignd_db_errors_total counter\n"
            "presignd_db_errors_total %llu\n"
            "# HELP presignd_db_up Whether the last database call worked.\n"
            "# TYPE presignd_db_up gauge\npresignd_db_up %d\n"
            "# HELP presignd_listener_up Whether invalidations are heard.\n"
            "# TYPE presignd_listener_up gauge\npresignd_listener_up %d\n",
            (unsigned long long)GET(m.db_errors), GET(m.db_up),
            GET(m.listener_up));
    return rc;
}

void metrics_reset(void)
{
    memset(&m, 0, sizeof(m));
}
