/*
 * notify.h - a dedicated PostgreSQL connection that LISTENs on one channel
 * and hands every notification payload to a callback, reconnecting by
 * itself when the connection is lost.
 *
 * Notifications sent while the listener was disconnected are lost, so the
 * owner is told about every state change (on_state) and must treat "not
 * connected" as "caches cannot be trusted" and "connected again" as "forget
 * everything cached before".
 */
#ifndef PRESIGND_NOTIFY_H
#define PRESIGND_NOTIFY_H

#include "presignd/error.h"

#include <stdbool.h>

struct notify_handlers {
    /* A payload arrived (called on the listener thread). */
    void (*on_payload)(void *ctx, const char *payload);
    /* LISTEN is active (true), or the connection was lost (false). */
    void (*on_state)(void *ctx, bool listening);
    void *ctx;
};

struct notify_listener;

/*
 * Starts the listener thread (conninfo NULL: DATABASE_URL or PG*). Returns
 * at once; the first connection is made on the thread, so a database that
 * is down at start is not an error.
 */
PD_MUST_CHECK enum pd_code
notify_listener_start(struct notify_listener **out, const char *conninfo,
                      const char *channel, const struct notify_handlers *h,
                      struct pd_err *err);

/* Stops the thread (within about 200 ms), closes and frees. NULL is ok. */
void notify_listener_stop(struct notify_listener *l);

#endif
