/*
 * cmd_bucket_args.c - option parsing and session setup shared by
 * `presignd audit` and `presignd enforce-private` (see cmd_bucket.h).
 */
#include "cmd_bucket.h"

#include "cli.h"

#include "commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_LEGACY_ENDPOINT = 256, OPT_LEGACY_CDN, OPT_ROLLBACK_DIR };

static const struct option long_opts[] = {
    {"bucket", required_argument, NULL, 'b'},
    {"sample", required_argument, NULL, 'n'},
    {"json", no_argument, NULL, 'j'},
    {"dry-run", no_argument, NULL, 'd'},
    {"force", no_argument, NULL, 'f'},
    {"rollback", required_argument, NULL, 'r'},
    {"rollback-dir", required_argument, NULL, OPT_ROLLBACK_DIR},
    {"s3-endpoint", required_argument, NULL, OPT_LEGACY_ENDPOINT},
    {"cdn", required_argument, NULL, OPT_LEGACY_CDN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad(const char *cmd, const char *msg, const char *arg)
{
    return cli_usage_error(cmd, "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

static int parse_sample(const char *cmd, const char *s, unsigned *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < 0 || v > BUCKET_MAX_SAMPLE)
        return bad(cmd, "--sample must be 0..100", s);
    *out = (unsigned)v;
    return -1;
}

static int add_legacy(const char *cmd, const char **list, size_t *n,
                      const char *v)
{
    if (*n == BUCKET_MAX_LEGACY)
        return bad(cmd, "too many --s3-endpoint or --cdn options", NULL);
    list[(*n)++] = v;
    return -1;
}

/* One option; -1 to go on, else an exit status. */
static int one_option(int c, const char *cmd, bool enforce,
                      struct cmd_bucket_args *a)
{
    struct bucket_session_options *o = &a->opts;

    switch (c) {
    case 'b':
        o->bucket = optarg;
        return -1;
    case 'n':
        return parse_sample(cmd, optarg, &o->sample);
    case 'j':
        a->json = true;
        return enforce ? bad(cmd, "--json is an audit option", NULL) : -1;
    case 'd':
    case 'f':
    case 'r':
    case OPT_ROLLBACK_DIR:
        if (!enforce)
            return bad(cmd, "not an audit option", NULL);
        a->dry_run |= c == 'd';
        a->force |= c == 'f';
        a->rollback = c == 'r' ? optarg : a->rollback;
        a->rollback_dir = c == OPT_ROLLBACK_DIR ? optarg : a->rollback_dir;
        return -1;
    case OPT_LEGACY_ENDPOINT:
        return add_legacy(cmd, o->legacy_endpoints, &o->legacy_endpoint_count,
                          optarg);
    case OPT_LEGACY_CDN:
        return add_legacy(cmd, o->legacy_cdns, &o->legacy_cdn_count, optarg);
    }
    return bad(cmd, "unknown option", NULL);
}

int cmd_bucket_parse(int argc, char **argv, bool enforce,
                     struct cmd_bucket_args *args, void (*usage)(FILE *))
{
    int c, status;

    memset(args, 0, sizeof(*args));
    args->cmd = argv[0];
    args->opts.sample = BUCKET_DEFAULT_SAMPLE;
    args->rollback_dir = ".";
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == '?' || c == ':')
            return bad(argv[0], "unknown option or missing value",
                       argv[optind - 1]);
        if (c == 'h') {
            usage(stdout);
            return PD_EXIT_OK;
        }
        status = one_option(c, argv[0], enforce, args);
        if (status >= 0)
            return status;
    }
    if (optind < argc)
        return bad(argv[0], "unexpected argument", argv[optind]);
    if (args->rollback != NULL && (args->dry_run || args->force))
        return bad(argv[0], "--rollback takes no --dry-run or --force", NULL);
    if (args->opts.bucket == NULL && args->rollback == NULL)
        return bad(argv[0], "--bucket is required", NULL);
    return -1;
}

int cmd_bucket_open(const struct cmd_bucket_args *args, bool need_db,
                    struct bucket_session *s)
{
    struct bucket_session_options o = args->opts;
    struct pd_err err;

    o.need_db = need_db;
    if (bucket_session_init(s, &o, &err) != PD_OK) {
        fprintf(stderr, "presignd %s: %s\n", args->cmd, err.msg);
        return PD_EXIT_UNCHECKED;
    }
    return PD_EXIT_OK;
}
