/*
 * serve_config.c - flags and environment of `presignd serve` (see
 * serve_config.h). The environment is read first, then flags override it.
 */
#include "presignd/serve_config.h"

#include "presignd/awsenv.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char serve_config_usage[] =
    "usage: presignd serve [OPTIONS]\n\n"
    "Answers GET/HEAD /v1/users/{id}/avatar|signature and /v1/me/... with a\n"
    "302 to a presigned URL after checking the session cookie in Postgres.\n\n"
    "options (environment twin in brackets; flags win):\n"
    "  --listen HOST:PORT       [PRESIGND_LISTEN] 127.0.0.1:8080\n"
    "  --bucket NAME            [PRESIGND_BUCKETS, comma-separated] "
    "repeatable\n"
    "  --endpoint URL           [AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL]\n"
    "  --region R               [AWS_REGION, AWS_DEFAULT_REGION] us-east-1\n"
    "  --addressing auto|virtual|path [PRESIGND_ADDRESSING] auto\n"
    "  --url-ttl SECONDS        [PRESIGND_URL_TTL] 300\n"
    "  --cookie-name NAME       [PRESIGND_COOKIE_NAME] session\n"
    "  --cors-origin ORIGIN     [PRESIGND_CORS_ORIGINS] repeatable\n"
    "  --trusted-proxy CIDR     [PRESIGND_TRUSTED_PROXIES] repeatable\n"
    "  --external-host HOST     [PRESIGND_EXTERNAL_HOSTS] repeatable\n"
    "  --no-image 404|initials|redirect:URL [PRESIGND_NO_IMAGE] initials\n"
    "  --workers N              [PRESIGND_WORKERS] number of cores\n"
    "  --queries FILE           [PRESIGND_QUERIES] built-in sql/queries.sql\n"
    "  --jwt-secret-file FILE   [PRESIGND_JWT_SECRET_FILE] JWT HS256 cookies\n"
    "  --log-level LEVEL        [PRESIGND_LOG_LEVEL] info\n"
    "  --cache-ttl SECONDS      [PRESIGND_CACHE_TTL] 30\n"
    "  --max-connections N      [PRESIGND_MAX_CONNECTIONS] 4096\n"
    "  --idle-timeout SECONDS   [PRESIGND_IDLE_TIMEOUT] 30\n"
    "  --access-log on|off      [PRESIGND_ACCESS_LOG] on (stdout)\n\n"
    "Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN]\n"
    "or AWS_PROFILE. Database: DATABASE_URL or PG* variables.\n"
    "Signals: SIGTERM/SIGINT drain and exit; SIGHUP reloads credentials and\n"
    "the JWT secret and empties the caches.\n";

enum {
    OPT_LISTEN = 256,
    OPT_BUCKET,
    OPT_ENDPOINT,
    OPT_REGION,
    OPT_ADDRESSING,
    OPT_URL_TTL,
    OPT_COOKIE,
    OPT_CORS,
    OPT_PROXY,
    OPT_EXTERNAL,
    OPT_NO_IMAGE,
    OPT_WORKERS,
    OPT_QUERIES,
    OPT_JWT,
    OPT_LOG_LEVEL,
    OPT_CACHE_TTL,
    OPT_MAX_CONN,
    OPT_IDLE,
    OPT_ACCESS_LOG,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"bucket", required_argument, NULL, OPT_BUCKET},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"region", required_argument, NULL, OPT_REGION},
    {"addressing", required_argument, NULL, OPT_ADDRESSING},
    {"url-ttl", required_argument, NULL, OPT_URL_TTL},
    {"cookie-name", required_argument, NULL, OPT_COOKIE},
    {"cors-origin", required_argument, NULL, OPT_CORS},
    {"trusted-proxy", required_argument, NULL, OPT_PROXY},
    {"external-host", required_argument, NULL, OPT_EXTERNAL},
    {"no-image", required_argument, NULL, OPT_NO_IMAGE},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"queries", required_argument, NULL, OPT_QUERIES},
    {"jwt-secret-file", required_argument, NULL, OPT_JWT},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"cache-ttl", required_argument, NULL, OPT_CACHE_TTL},
    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"access-log", required_argument, NULL, OPT_ACCESS_LOG},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void free_list(char **items, size_t *count)
{
    for (size_t i = 0; i < *count; i++)
        free(items[i]);
    *count = 0;
}

void serve_config_release(struct serve_config *c)
{
    free(c->listen_host);
    free_list(c->buckets, &c->bucket_count);
    free(c->endpoint_url);
    free(c->region);
    free(c->cookie_name);
    free_list(c->cors_origins, &c->cors_origin_count);
    free_list(c->external_hosts, &c->external_host_count);
    free(c->no_image_url);
    free(c->queries_file);
    free(c->jwt_secret_file);
    memset(c, 0, sizeof(*c));
}

static enum pd_code set_str(char **slot, const char *v, struct pd_err *err)
{
    char *copy = strdup(v);

    if (copy == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory reading options");
    free(*slot);
    *slot = copy;
    return PD_OK;
}

static enum pd_code parse_uint(const char *what, const char *v, unsigned lo,
                               unsigned hi, unsigned *out, struct pd_err *err)
{
    char *end;
    unsigned long n;

    if (v[0] < '0' || v[0] > '9')
        return pd_fail(err, PD_EINVAL, "%s: '%s' is not a number", what, v);
    n = strtoul(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        return pd_fail(err, PD_EINVAL, "%s: '%s' is not in %u..%u", what, v, lo,
                       hi);
    *out = (unsigned)n;
    return PD_OK;
}

/* "HOST:PORT" or "[V6]:PORT". */
static enum pd_code parse_listen(struct serve_config *c, const char *v,
                                 struct pd_err *err)
{
    const char *colon = strrchr(v, ':');
    char host[64];
    size_t n;

    if (colon == NULL)
        return pd_fail(err, PD_EINVAL, "--listen: '%s' is not HOST:PORT", v);
    n = (size_t)(colon - v);
    if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
        v++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(host))
        return pd_fail(err, PD_EINVAL, "--listen: bad host in '%s'", v);
    memcpy(host, v, n);
    host[n] = '\0';
    if (parse_uint("--listen port", colon + 1, 0, 65535, &c->listen_port,
                   err) != PD_OK)
        return PD_EINVAL;
    return set_str(&c->listen_host, host, err);
}

/* Adds one item to a list, lower-casing it when asked. */
static enum pd_code list_add(char **items, size_t *count, const char *what,
                             const char *v, bool lower, struct pd_err *err)
{
    char *copy;

    if (v[0] == '\0')
        return PD_OK;
    if (*count == SERVE_MAX_LIST)
        return pd_fail(err, PD_ELIMIT, "%s: more than %d values", what,
                       SERVE_MAX_LIST);
    copy = strdup(v);
    if (copy == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory reading options");
    for (char *p = copy; lower && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    items[(*count)++] = copy;
    return PD_OK;
}

static enum pd_code add_proxy(struct serve_config *c, const char *v,
                              struct pd_err *err)
{
    if (v[0] == '\0')
        return PD_OK;
    if (c->trusted_proxy_count == SERVE_MAX_LIST)
        return pd_fail(err, PD_ELIMIT, "--trusted-proxy: more than %d",
                       SERVE_MAX_LIST);
    return netaddr_cidr_parse(&c->trusted_proxies[c->trusted_proxy_count++], v,
                              err);
}

static enum pd_code parse_no_image(struct serve_config *c, const char *v,
                                   struct pd_err *err)
{
    if (strcmp(v, "404") == 0) {
        c->no_image = SERVE_NO_IMAGE_404;
        return PD_OK;
    }
    if (strcmp(v, "initials") == 0) {
        c->no_image = SERVE_NO_IMAGE_INITIALS;
        return PD_OK;
    }
    if (strncmp(v, "redirect:", 9) == 0 &&
        (strncmp(v + 9, "https://", 8) == 0 ||
         strncmp(v + 9, "http://", 7) == 0) &&
        strpbrk(v + 9, " \t\r\n") == NULL) {
        c->no_image = SERVE_NO_IMAGE_REDIRECT;
        return set_str(&c->no_image_url, v + 9, err);
    }
    return pd_fail(err, PD_EINVAL,
                   "--no-image: '%s' is not 404, initials or "
                   "redirect:http(s)://...",
                   v);
}

static enum pd_code parse_onoff(const char *what, const char *v, bool *out,
                                struct pd_err *err)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        *out = true;
        return PD_OK;
    }
    if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
        strcmp(v, "false") == 0) {
        *out = false;
        return PD_OK;
    }
    return pd_fail(err, PD_EINVAL, "%s: '%s' is not on or off", what, v);
}

static enum pd_code apply_list_opt(struct serve_config *c, int opt,
                                   const char *v, struct pd_err *err)
{
    switch (opt) {
    case OPT_BUCKET:
        if (sigv4_bucket_validate(v, err) != PD_OK)
            return PD_EINVAL;
        return list_add(c->buckets, &c->bucket_count, "--bucket", v, false,
                        err);
    case OPT_CORS:
        return list_add(c->cors_origins, &c->cors_origin_count, "--cors-origin",
                        v, false, err);
    case OPT_PROXY:
        return add_proxy(c, v, err);
    case OPT_EXTERNAL:
        return list_add(c->external_hosts, &c->external_host_count,
                        "--external-host", v, true, err);
    }
    return pd_fail(err, PD_EINVAL, "unknown list option");
}

static enum pd_code apply_opt(struct serve_config *c, int opt, const char *v,
                              struct pd_err *err)
{
    switch (opt) {
    case OPT_LISTEN:
        return parse_listen(c, v, err);
    case OPT_ENDPOINT:
        return set_str(&c->endpoint_url, v, err);
    case OPT_REGION:
        return set_str(&c->region, v, err);
    case OPT_ADDRESSING:
        return sigv4_addressing_parse(v, &c->addressing, err);
    case OPT_URL_TTL:
        return parse_uint("--url-ttl", v, 10, SIGV4_MAX_EXPIRES / 2,
                          &c->url_ttl, err);
    case OPT_COOKIE:
        if (v[0] == '\0' || strpbrk(v, "=; \t,\"") != NULL)
            return pd_fail(err, PD_EINVAL, "--cookie-name: bad name");
        return set_str(&c->cookie_name, v, err);
    case OPT_NO_IMAGE:
        return parse_no_image(c, v, err);
    case OPT_WORKERS:
        return parse_uint("--workers", v, 1, 256, &c->workers, err);
    case OPT_QUERIES:
        return set_str(&c->queries_file, v, err);
    case OPT_JWT:
        return set_str(&c->jwt_secret_file, v, err);
    case OPT_LOG_LEVEL:
        if (pd_log_level_parse(v, &c->log_level) != PD_OK)
            return pd_fail(err, PD_EINVAL, "--log-level: '%s' is unknown", v);
        return PD_OK;
    case OPT_CACHE_TTL:
        return parse_uint("--cache-ttl", v, 0, 3600, &c->cache_ttl, err);
    case OPT_MAX_CONN:
        return parse_uint("--max-connections", v, 1, 1000000,
                          &c->max_connections, err);
    case OPT_IDLE:
        return parse_uint("--idle-timeout", v, 1, 3600, &c->idle_timeout, err);
    case OPT_ACCESS_LOG:
        return parse_onoff("--access-log", v, &c->access_log, err);
    }
    return apply_list_opt(c, opt, v, err);
}

static bool is_list_opt(int opt)
{
    return opt == OPT_BUCKET || opt == OPT_CORS || opt == OPT_PROXY ||
           opt == OPT_EXTERNAL;
}

/* Applies a comma-separated environment list item by item. */
static enum pd_code apply_env_list(struct serve_config *c, int opt,
                                   const char *v, struct pd_err *err)
{
    char item[512];

    while (*v != '\0') {
        const char *comma = strchr(v, ',');
        size_t n = comma ? (size_t)(comma - v) : strlen(v);
        while (n > 0 && (*v == ' ')) {
            v++;
            n--;
        }
        while (n > 0 && v[n - 1] == ' ')
            n--;
        if (n >= sizeof(item))
            return pd_fail(err, PD_EINVAL, "list item too long");
        memcpy(item, v, n);
        item[n] = '\0';
        if (apply_opt(c, opt, item, err) != PD_OK)
            return PD_EINVAL;
        v += comma ? (size_t)(comma - v) + 1 : strlen(v);
    }
    return PD_OK;
}

static const struct {
    const char *name;
    int opt;
} env_twins[] = {
    {"PRESIGND_LISTEN", OPT_LISTEN},
    {"PRESIGND_BUCKETS", OPT_BUCKET},
    {"AWS_REGION", OPT_REGION},
    {"PRESIGND_ADDRESSING", OPT_ADDRESSING},
    {"PRESIGND_URL_TTL", OPT_URL_TTL},
    {"PRESIGND_COOKIE_NAME", OPT_COOKIE},
    {"PRESIGND_CORS_ORIGINS", OPT_CORS},
    {"PRESIGND_TRUSTED_PROXIES", OPT_PROXY},
    {"PRESIGND_EXTERNAL_HOSTS", OPT_EXTERNAL},
    {"PRESIGND_NO_IMAGE", OPT_NO_IMAGE},
    {"PRESIGND_WORKERS", OPT_WORKERS},
    {"PRESIGND_QUERIES", OPT_QUERIES},
    {"PRESIGND_JWT_SECRET_FILE", OPT_JWT},
    {"PRESIGND_LOG_LEVEL", OPT_LOG_LEVEL},
    {"PRESIGND_CACHE_TTL", OPT_CACHE_TTL},
    {"PRESIGND_MAX_CONNECTIONS", OPT_MAX_CONN},
    {"PRESIGND_IDLE_TIMEOUT", OPT_IDLE},
    {"PRESIGND_ACCESS_LOG", OPT_ACCESS_LOG},
};

static enum pd_code apply_env(struct serve_config *c, int opt, const char *v,
                              struct pd_err *err)
{
    if (is_list_opt(opt))
        return apply_env_list(c, opt, v, err);
    return apply_opt(c, opt, v, err);
}

/* Prefixes the detail with the variable's name. */
static enum pd_code env_fail(const char *name, struct pd_err *err)
{
    char detail[PD_ERR_MSG_MAX];

    if (err == NULL)
        return PD_EINVAL;
    snprintf(detail, sizeof(detail), "%s", err->msg);
    return pd_fail(err, err->code, "%s: %s", name, detail);
}

static enum pd_code set_defaults(struct serve_config *c, struct pd_err *err)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(c, 0, sizeof(*c));
    c->listen_port = 8080;
    c->addressing = SIGV4_ADDRESSING_AUTO;
    c->url_ttl = 300;
    c->no_image = SERVE_NO_IMAGE_INITIALS;
    c->workers = cores > 0 && cores < 256 ? (unsigned)cores : 1;
    c->log_level = PD_LOG_INFO;
    c->cache_ttl = 30;
    c->max_connections = 4096;
    c->idle_timeout = 30;
    c->access_log = true;
    if (set_str(&c->listen_host, "127.0.0.1", err) != PD_OK ||
        set_str(&c->cookie_name, "session", err) != PD_OK)
        return PD_ENOMEM;
    return PD_OK;
}

static enum pd_code read_env(struct serve_config *c, struct pd_err *err)
{
    const char *v;

    for (size_t i = 0; i < sizeof(env_twins) / sizeof(env_twins[0]); i++) {
        v = getenv(env_twins[i].name);
        if (v == NULL || v[0] == '\0')
            continue;
        if (apply_env(c, env_twins[i].opt, v, err) != PD_OK)
            return env_fail(env_twins[i].name, err);
    }
    if (c->region == NULL && (v = awsenv_region()) != NULL &&
        set_str(&c->region, v, err) != PD_OK)
        return PD_ENOMEM;
    if ((v = awsenv_endpoint_url()) != NULL &&
        set_str(&c->endpoint_url, v, err) != PD_OK)
        return PD_ENOMEM;
    return PD_OK;
}

/* Clears a list the first time a flag for it is seen: flags win. */
static void reset_list_once(struct serve_config *c, int opt, unsigned *seen)
{
    unsigned bit = 1u << (opt - OPT_LISTEN);

    if (*seen & bit)
        return;
    *seen |= bit;
    if (opt == OPT_BUCKET)
        free_list(c->buckets, &c->bucket_count);
    else if (opt == OPT_CORS)
        free_list(c->cors_origins, &c->cors_origin_count);
    else if (opt == OPT_EXTERNAL)
        free_list(c->external_hosts, &c->external_host_count);
    else if (opt == OPT_PROXY)
        c->trusted_proxy_count = 0;
}

enum pd_code serve_config_parse(struct serve_config *c, int argc, char **argv,
                                struct pd_err *err)
{
    unsigned seen = 0;
    int opt;

    if (set_defaults(c, err) != PD_OK || read_env(c, err) != PD_OK)
        return err ? err->code : PD_EINVAL;
    optind = 0; /* glibc: 0 also resets its internal state */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (opt == OPT_HELP || opt == 'h') {
            c->help = true;
            return PD_OK;
        }
        if (opt == '?' || opt == ':')
            return pd_fail(err, PD_EINVAL, "unknown or incomplete option '%s'",
                           argv[optind - 1]);
        if (is_list_opt(opt))
            reset_list_once(c, opt, &seen);
        if (apply_opt(c, opt, optarg, err) != PD_OK)
            return err ? err->code : PD_EINVAL;
    }
    if (optind < argc)
        return pd_fail(err, PD_EINVAL, "unexpected argument '%s'",
                       argv[optind]);
    if (c->region == NULL && set_str(&c->region, "us-east-1", err) != PD_OK)
        return PD_ENOMEM;
    return PD_OK;
}

bool serve_config_has_bucket(const struct serve_config *c, const char *bucket)
{
    for (size_t i = 0; i < c->bucket_count; i++)
        if (strcmp(c->buckets[i], bucket) == 0)
            return true;
    return false;
}

bool serve_config_external_host_allowed(const struct serve_config *c,
                                        const char *host)
{
    for (size_t i = 0; i < c->external_host_count; i++)
        if (strcasecmp(c->external_hosts[i], host) == 0)
            return true;
    return false;
}

bool serve_config_cors_allowed(const struct serve_config *c, const char *origin)
{
    for (size_t i = 0; i < c->cors_origin_count; i++)
        if (strcmp(c->cors_origins[i], origin) == 0)
            return true;
    return false;
}
