/*
 * cmd_presign.c - `presignd presign`: prints one presigned S3 URL.
 *
 * Flags and the environment become a sigv4_presign_request; everything
 * else is sigv4's. Exit 2 when the command line is wrong (unknown flag, bad
 * value, invalid bucket, key or expiry), 1 when the environment is (no
 * credentials, bad AWS_ENDPOINT_URL) or signing fails.
 *
 * A hidden --batch flag reads "BUCKET<TAB>HEX-KEY" lines from stdin and
 * prints one URL (or "error: ...") per line with the same options, so the
 * botocore cross-check can sign thousands of keys in one process.
 */
#include "cli.h"
#include "commands.h"
#include "presignd/awsenv.h"
#include "presignd/buf.h"
#include "presignd/sigv4.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct presign_opts {
    const char *method, *region, *endpoint, *bucket, *key;
    const char *content_type, *content_disposition, *cache_control;
    const char *at;
    unsigned long expires;
    enum sigv4_addressing addressing;
    bool dualstack, batch;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: presignd presign [OPTIONS] s3://BUCKET/KEY\n"
            "       presignd presign [OPTIONS] --bucket BUCKET --key KEY\n\n"
            "Prints a SigV4 presigned URL for one object, computed locally.\n"
            "The key is taken literally (no percent-decoding), as the AWS "
            "CLI does.\n\n"
            "options:\n"
            "  --method GET|HEAD|PUT     HTTP method (default GET)\n"
            "  --expires SECONDS         1..604800 (default 3600)\n"
            "  --region REGION           default $AWS_REGION, "
            "$AWS_DEFAULT_REGION;\n"
            "                            us-east-1 for custom endpoints\n"
            "  --endpoint URL            http[s]://host[:port] (default\n"
            "                            $AWS_ENDPOINT_URL_S3, "
            "$AWS_ENDPOINT_URL, else AWS)\n"
            "  --dualstack               AWS dual-stack endpoint (IPv6)\n"
            "  --addressing virtual|path|auto   (default auto)\n"
            "  --at YYYYMMDDTHHMMSSZ     signing time, UTC (default now)\n"
            "  --content-type TYPE       response-content-type override\n"
            "  --content-disposition V   response-content-disposition "
            "override\n"
            "  --cache-control VALUE     response-cache-control override\n"
            "  --bucket B --key K        instead of s3://BUCKET/KEY\n\n"
            "Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
            "AWS_SESSION_TOKEN,\nor AWS_PROFILE in AWS_SHARED_CREDENTIALS_FILE "
            "(default ~/.aws/credentials).\nInstance metadata is never "
            "contacted.\n\n"
            "exit status: 0 printed, 2 bad command line, 1 other failure\n");
}

static int parse_expires(struct presign_opts *o, const char *v)
{
    char *end;

    if (v[0] < '0' || v[0] > '9')
        return cli_usage_error("presign",
                               "--expires '%s' is not a number of seconds", v);
    o->expires = strtoul(v, &end, 10);
    if (*end != '\0' || o->expires > 100000000UL)
        return cli_usage_error("presign",
                               "--expires '%s' is not a number of seconds", v);
    return PD_EXIT_OK;
}

static int parse_target(struct presign_opts *o, const char *uri)
{
    const char *slash;

    if (strncmp(uri, "s3://", 5) != 0)
        return cli_usage_error("presign", "'%s' is not an s3://BUCKET/KEY URI",
                               uri);
    slash = strchr(uri + 5, '/');
    if (slash == NULL || slash[1] == '\0')
        return cli_usage_error("presign",
                               "'%s' has no object key (s3://BUCKET/KEY)", uri);
    o->key = slash + 1;
    o->bucket = strndup(uri + 5, (size_t)(slash - (uri + 5)));
    return o->bucket != NULL ? PD_EXIT_OK : PD_EXIT_FAIL;
}

enum {
    OPT_METHOD = 256,
    OPT_EXPIRES,
    OPT_REGION,
    OPT_ENDPOINT,
    OPT_ADDR,
    OPT_AT,
    OPT_CTYPE,
    OPT_CDISP,
    OPT_CACHE,
    OPT_BUCKET,
    OPT_KEY,
    OPT_DUAL,
    OPT_BATCH,
    OPT_HELP
};

static const struct option long_opts[] = {
    {"method", required_argument, NULL, OPT_METHOD},
    {"expires", required_argument, NULL, OPT_EXPIRES},
    {"region", required_argument, NULL, OPT_REGION},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"addressing", required_argument, NULL, OPT_ADDR},
    {"at", required_argument, NULL, OPT_AT},
    {"content-type", required_argument, NULL, OPT_CTYPE},
    {"content-disposition", required_argument, NULL, OPT_CDISP},
    {"cache-control", required_argument, NULL, OPT_CACHE},
    {"bucket", required_argument, NULL, OPT_BUCKET},
    {"key", required_argument, NULL, OPT_KEY},
    {"dualstack", no_argument, NULL, OPT_DUAL},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* One flag; returns an exit status (PD_EXIT_OK to go on). */
static int take_flag(struct presign_opts *o, int c, const char *v)
{
    struct pd_err err;

    switch (c) {
    case OPT_METHOD:
        o->method = v;
        return PD_EXIT_OK;
    case OPT_EXPIRES:
        return parse_expires(o, v);
    case OPT_REGION:
        o->region = v;
        return PD_EXIT_OK;
    case OPT_ENDPOINT:
        o->endpoint = v;
        return PD_EXIT_OK;
    case OPT_AT:
        o->at = v;
        return PD_EXIT_OK;
    case OPT_CTYPE:
        o->content_type = v;
        return PD_EXIT_OK;
    case OPT_CDISP:
        o->content_disposition = v;
        return PD_EXIT_OK;
    case OPT_CACHE:
        o->cache_control = v;
        return PD_EXIT_OK;
    case OPT_BUCKET:
        o->bucket = v;
        return PD_EXIT_OK;
    case OPT_KEY:
        o->key = v;
        return PD_EXIT_OK;
    case OPT_DUAL:
        o->dualstack = true;
        return PD_EXIT_OK;
    case OPT_BATCH:
        o->batch = true;
        return PD_EXIT_OK;
    case OPT_ADDR:
        if (sigv4_addressing_parse(v, &o->addressing, &err) != PD_OK)
            return cli_usage_error("presign", "%s", err.msg);
        return PD_EXIT_OK;
    default:
        return PD_EXIT_USAGE;
    }
}

static int parse_args(struct presign_opts *o, int argc, char **argv,
                      char **owned_bucket)
{
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        if (c == OPT_HELP || c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            return cli_usage_error("presign",
                                   c == ':' ? "option '%s' needs a value"
                                            : "unknown option '%s'",
                                   argv[optind - 1]);
        }
        rc = take_flag(o, c, optarg);
        if (rc != PD_EXIT_OK)
            return rc;
    }
    if (optind < argc - 1)
        return cli_usage_error("presign", "unexpected argument '%s'",
                               argv[optind + 1]);
    if (optind == argc - 1) {
        if (o->bucket != NULL || o->key != NULL)
            return cli_usage_error(
                "presign",
                "give s3://BUCKET/KEY or --bucket/--key, not "
                "both ('%s')",
                argv[optind]);
        rc = parse_target(o, argv[optind]);
        *owned_bucket = (char *)o->bucket;
        return rc;
    }
    if (!o->batch && (o->bucket == NULL || o->key == NULL))
        return cli_usage_error("presign", "%s",
                               "missing s3://BUCKET/KEY (or --bucket and "
                               "--key)");
    return PD_EXIT_OK;
}

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "presignd presign: %s%s\n", what, detail);
    return PD_EXIT_FAIL;
}

/* The endpoint: --endpoint, else the environment's, else AWS's. */
static int pick_endpoint(const struct presign_opts *o,
                         struct sigv4_endpoint *ep)
{
    const char *url = awsenv_endpoint_url();
    const char *var = getenv("AWS_ENDPOINT_URL_S3") != NULL &&
                              getenv("AWS_ENDPOINT_URL_S3")[0] != '\0'
                          ? "AWS_ENDPOINT_URL_S3: "
                          : "AWS_ENDPOINT_URL: ";
    struct pd_err err;

    ep->custom = false;
    if (o->endpoint != NULL) {
        if (sigv4_endpoint_parse(ep, o->endpoint, &err) != PD_OK)
            return cli_usage_error("presign", "--endpoint: %s", err.msg);
    } else if (url != NULL && !o->dualstack) {
        if (sigv4_endpoint_parse(ep, url, &err) != PD_OK)
            return fail(var, err.msg);
    }
    return PD_EXIT_OK;
}

static int make_signer(const struct presign_opts *o, const char *region,
                       struct sigv4_signer **signer)
{
    struct sigv4_credentials creds;
    struct pd_err err;
    enum pd_code rc;

    if (awsenv_credentials(&creds, &err) != PD_OK)
        return fail("", err.msg);
    rc = sigv4_signer_new(signer, &creds, region, "s3", &err);
    sigv4_credentials_wipe(&creds);
    if (rc != PD_OK)
        return o->region != NULL ? cli_usage_error("presign", "%s", err.msg)
                                 : fail("", err.msg);
    return PD_EXIT_OK;
}

/* Everything but the bucket and key: time, endpoint, region, signer. */
static int setup(const struct presign_opts *o, struct sigv4_endpoint *ep,
                 struct sigv4_presign_request *req,
                 struct sigv4_signer **signer)
{
    const char *region = o->region != NULL ? o->region : awsenv_region();
    struct pd_err err;
    int rc;

    req->now = time(NULL);
    if (o->at != NULL && sigv4_parse_amz_date(o->at, &req->now, &err) != PD_OK)
        return cli_usage_error("presign", "--at: %s", err.msg);
    rc = pick_endpoint(o, ep);
    if (rc != PD_EXIT_OK)
        return rc;
    if (region == NULL && ep->custom)
        region = "us-east-1"; /* what S3-compatible stores expect */
    if (region == NULL)
        return fail("no region: pass --region or set AWS_REGION", "");
    if (!ep->custom &&
        sigv4_endpoint_aws(ep, region, o->dualstack, &err) != PD_OK)
        return o->region != NULL
                   ? cli_usage_error("presign", "--region: %s", err.msg)
               : getenv("AWS_REGION") != NULL && getenv("AWS_REGION")[0]
                   ? fail("AWS_REGION: ", err.msg)
                   : fail("AWS_DEFAULT_REGION: ", err.msg);
    req->method = o->method;
    req->endpoint = ep;
    req->addressing = o->addressing;
    req->expires = (unsigned)o->expires;
    req->response_content_type = o->content_type;
    req->response_content_disposition = o->content_disposition;
    req->response_cache_control = o->cache_control;
    return make_signer(o, region, signer);
}

/* --batch: "BUCKET\tHEXKEY" per line in, one URL or "error: ..." out. */
static int run_batch(struct sigv4_signer *signer,
                     struct sigv4_presign_request *req)
{
    char *line = NULL, key[4 * SIGV4_MAX_KEY_LEN];
    size_t cap = 0;
    struct pd_buf url;
    struct pd_err err;

    pd_buf_init(&url, 1 << 20);
    while (getline(&line, &cap, stdin) > 0) {
        char *tab = strchr(line, '\t'), *h;
        size_t n = 0;
        if (tab == NULL)
            continue;
        *tab = '\0';
        for (h = tab + 1; pd_hex_digit(h[0]) >= 0 && pd_hex_digit(h[1]) >= 0 &&
                          n < sizeof(key);
             h += 2)
            key[n++] = (char)(pd_hex_digit(h[0]) * 16 + pd_hex_digit(h[1]));
        req->bucket = line;
        req->key = key;
        req->key_len = n;
        pd_buf_reset(&url);
        if (sigv4_presign(signer, req, &url, &err) == PD_OK)
            printf("%s\n", url.data);
        else
            printf("error: %s\n", err.msg);
    }
    free(line);
    pd_buf_release(&url);
    return PD_EXIT_OK;
}

int cmd_presign(int argc, char **argv)
{
    struct presign_opts o = {.method = "GET", .expires = 3600};
    struct sigv4_endpoint ep;
    struct sigv4_presign_request req = {0};
    struct sigv4_signer *signer = NULL;
    struct pd_buf url;
    struct pd_err err;
    char *owned_bucket = NULL;
    int rc = parse_args(&o, argc, argv, &owned_bucket);

    pd_buf_init(&url, 64 * 1024);
    if (rc != PD_EXIT_OK) {
        rc = rc < 0 ? PD_EXIT_OK : rc;
        goto out;
    }
    rc = setup(&o, &ep, &req, &signer);
    if (rc != PD_EXIT_OK)
        goto out;
    if (o.batch) {
        rc = run_batch(signer, &req);
        goto out;
    }
    req.bucket = o.bucket;
    req.key = o.key;
    req.key_len = strlen(o.key);
    if (sigv4_presign(signer, &req, &url, &err) != PD_OK) {
        rc = err.code == PD_EINVAL ? cli_usage_error("presign", "%s", err.msg)
                                   : fail("", err.msg);
        goto out;
    }
    printf("%s\n", url.data);
    rc = fflush(stdout) == 0 ? PD_EXIT_OK : PD_EXIT_FAIL;
out:
    sigv4_signer_free(signer);
    pd_buf_release(&url);
    free(owned_bucket);
    return rc;
}
