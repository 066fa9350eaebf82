/*
 * metrics.h - the gateway's counters, rendered in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Every counter is a relaxed atomic: recording costs one uncontended atomic
 * add on the hot path, no lock. One process-wide instance.
 */
#ifndef PRESIGND_METRICS_H
#define PRESIGND_METRICS_H

#include "presignd/buf.h"
#include "presignd/error.h"

#include <stdbool.h>
#include <stdint.h>

enum metrics_route {
    METRICS_ROUTE_AVATAR = 0,
    METRICS_ROUTE_SIGNATURE,
    METRICS_ROUTE_ME_AVATAR,
    METRICS_ROUTE_ME_SIGNATURE,
    METRICS_ROUTE_HEALTHZ,
    METRICS_ROUTE_READYZ,
    METRICS_ROUTE_METRICS,
    METRICS_ROUTE_OTHER,
    METRICS_ROUTE_COUNT,
};

enum metrics_cache {
    METRICS_CACHE_SESSION = 0,
    METRICS_CACHE_VISIBILITY,
    METRICS_CACHE_IMAGE,
    METRICS_CACHE_COUNT,
};

enum metrics_legacy {
    METRICS_LEGACY_PRESIGNED = 0, /* legacy URL in a configured bucket */
    METRICS_LEGACY_EXTERNAL,      /* redirect to an allowlisted host */
    METRICS_LEGACY_REJECTED,      /* neither: answered 404 */
    METRICS_LEGACY_COUNT,
};

/* The route's label value, e.g. "avatar". */
const char *metrics_route_name(enum metrics_route r);

/* Counts one finished request. */
void metrics_request(enum metrics_route route, unsigned status,
                     int64_t latency_us);
void metrics_cache(enum metrics_cache cache, bool hit);
void metrics_db_error(void);
void metrics_legacy(enum metrics_legacy outcome);
void metrics_set_db_up(bool up);
void metrics_set_listener_up(bool up);

/* Appends the whole exposition to out. */
PD_MUST_CHECK enum pd_code metrics_render(struct pd_buf *out);

/* Zeroes every counter (tests). */
void metrics_reset(void);

#endif
