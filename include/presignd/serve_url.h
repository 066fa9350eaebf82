/*
 * serve_url.h - the gateway's pure decisions about the URLs it hands out:
 * window-aligned signing times and cache lifetimes, which stored content
 * types may be shown inline, and the generated initials image.
 *
 * No I/O, no clock (now is passed in), no globals. Thread-safe.
 */
#ifndef PRESIGND_SERVE_URL_H
#define PRESIGND_SERVE_URL_H

#include "presignd/buf.h"
#include "presignd/error.h"

#include <stdbool.h>
#include <time.h>

/*
 * When a URL is signed and how long it lives. The signing time is now
 * rounded down to a multiple of the lifetime (the window), and the URL
 * lives one window longer than the lifetime: within a window every request
 * gets the same URL (so browsers' image caches work) and every URL still
 * has at least the configured lifetime left when it is handed out.
 */
struct serve_window {
    time_t signed_at;  /* X-Amz-Date */
    unsigned expires;  /* X-Amz-Expires */
    time_t expires_at; /* signed_at + expires */
    unsigned max_age;  /* Cache-Control max-age: below what is left */
};

/*
 * Computes the window for a URL of lifetime ttl (seconds, >= 10) issued at
 * now. cred_expiration (0: none) caps the URL: no URL outlives the
 * credentials. PD_EAUTH when the credentials expire within a second.
 */
PD_MUST_CHECK enum pd_code serve_window_compute(time_t now, unsigned ttl,
                                                time_t cred_expiration,
                                                struct serve_window *out,
                                                struct pd_err *err);

/* How an object may be shown in a browser. */
struct serve_content {
    const char *type; /* response-content-type to force (static string) */
    bool attachment;  /* add response-content-disposition: attachment */
};

/*
 * Decides from the stored content type (NULL or "" when unknown) and the
 * key: raster image types on the allowlist are forced inline with their
 * own type; an unknown type is guessed from the key's extension; anything
 * else (SVG, HTML, unknown) becomes an application/octet-stream attachment
 * so it can never run script in the object store's origin.
 */
void serve_content_policy(const char *stored_type, const char *key,
                          struct serve_content *out);

/*
 * Appends an SVG image showing up to two initials of display_name on a
 * colour derived from seed (the user id). Only letters and digits reach
 * the SVG, so no markup can be injected.
 */
PD_MUST_CHECK enum pd_code serve_initials_svg(struct pd_buf *out,
                                              const char *display_name,
                                              const char *seed);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ". */
void serve_format_time(time_t t, char out[32]);

#endif
