/*
 * serve_config.h - the settings of `presignd serve`: flags, their
 * environment twins, and defaults (the contract in README "serve").
 *
 * Flags win over the environment. Parsing never prints: a bad value is a
 * PD_EINVAL/PD_ECONFIG error naming the flag. Secrets (credentials, the
 * JWT key) are not part of this struct; they are loaded by the server and
 * reloaded on SIGHUP.
 */
#ifndef PRESIGND_SERVE_CONFIG_H
#define PRESIGND_SERVE_CONFIG_H

#include "presignd/error.h"
#include "presignd/log.h"
#include "presignd/netaddr.h"
#include "presignd/sigv4.h"

#include <stdbool.h>

#define SERVE_MAX_LIST 16

enum serve_no_image {
    SERVE_NO_IMAGE_404 = 0,
    SERVE_NO_IMAGE_INITIALS,
    SERVE_NO_IMAGE_REDIRECT,
};

struct serve_config {
    char *listen_host; /* "127.0.0.1", "::1" ... */
    unsigned listen_port;
    char *buckets[SERVE_MAX_LIST]; /* the first is the default */
    size_t bucket_count;
    char *endpoint_url; /* NULL: AWS's endpoint for the region */
    char *region;
    enum sigv4_addressing addressing;
    unsigned url_ttl;
    char *cookie_name;
    char *cors_origins[SERVE_MAX_LIST];
    size_t cors_origin_count;
    struct netaddr_cidr trusted_proxies[SERVE_MAX_LIST];
    size_t trusted_proxy_count;
    char *external_hosts[SERVE_MAX_LIST]; /* lower case */
    size_t external_host_count;
    enum serve_no_image no_image;
    char *no_image_url; /* for SERVE_NO_IMAGE_REDIRECT */
    unsigned workers;
    char *queries_file; /* NULL: built-in */
    char *jwt_secret_file;
    enum pd_log_level log_level;
    unsigned cache_ttl;       /* seconds an entry may live (--cache-ttl) */
    unsigned max_connections; /* --max-connections */
    unsigned idle_timeout;    /* seconds (--idle-timeout) */
    bool access_log;          /* --access-log on|off */
    bool help;                /* --help was given */
};

/*
 * Fills c from argv (argv[0] is the command name) and the environment.
 * On failure c holds whatever was parsed; release it either way.
 */
PD_MUST_CHECK enum pd_code serve_config_parse(struct serve_config *c, int argc,
                                              char **argv, struct pd_err *err);

void serve_config_release(struct serve_config *c);

/* True when bucket is one of the configured buckets. */
bool serve_config_has_bucket(const struct serve_config *c, const char *bucket);

/* True when host (any case) is on the external-host allowlist. */
bool serve_config_external_host_allowed(const struct serve_config *c,
                                        const char *host);

/* True when origin exactly matches one of the CORS origins. */
bool serve_config_cors_allowed(const struct serve_config *c,
                               const char *origin);

/* The --help text. */
extern const char serve_config_usage[];

#endif
