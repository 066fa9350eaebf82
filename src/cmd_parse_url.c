/*
 * cmd_parse_url.c - `presignd parse-url`: shows how one legacy URL maps to
 * bucket and key, with the same parser and configuration as the backfill.
 *
 * Prints one JSON object on stdout, for success (exit 0) and for a URL that
 * is no object reference (exit 1); usage and configuration errors go to
 * stderr (exit 2).
 */
#include "commands.h"
#include "presignd/s3url.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_usage(FILE *out)
{
    fprintf(
        out,
        "usage: presignd parse-url [--s3-endpoint URL[@REGION]]...\n"
        "                          [--cdn HOST=BUCKET[/PREFIX][@REGION]]... "
        "URL\n\n"
        "Shows how a legacy object URL maps to a bucket and key, as the\n"
        "backfill reads it. Prints one JSON object:\n"
        "  {\"bucket\":..,\"key\":..,\"region\":..|null,\"style\":..}\n"
        "  plus \"version_id\", \"endpoint\" and \"ambiguous_plus\" "
        "when present;\n"
        "  or {\"error\":..,\"reason\":..} (and \"host\" for external "
        "hosts).\n"
        "style is virtual, path, s3-uri, accelerate, website or cdn.\n\n"
        "options:\n"
        "  --s3-endpoint URL[@REGION]  a custom S3-compatible endpoint "
        "whose\n"
        "                              URLs are path-style (repeatable)\n"
        "  --cdn HOST=BUCKET[/PREFIX][@REGION]\n"
        "                              https://HOST/a/b is key PREFIX/a/b "
        "in\n"
        "                              BUCKET (repeatable; PREFIX "
        "without '@')\n"
        "  -h, --help                  show this help\n\n"
        "environment (read first; the options add to it):\n"
        "  PRESIGND_S3_ENDPOINTS  comma-separated URL[@REGION]\n"
        "  PRESIGND_CDNS          comma-separated "
        "HOST=BUCKET[/PREFIX][@REGION]\n\n"
        "s3://BUCKET/KEY is read as the AWS CLI writes it: the key is "
        "literal.\n"
        "In http(s) paths the key is percent-decoded once and '+' is a "
        "space.\n\n"
        "exit status: 0 parsed, 1 not an object URL (reason in the "
        "JSON),\n"
        "2 usage or configuration error.\n");
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past the value. */
static const char *option_value(int argc, char **argv, int *i, const char *name,
                                bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int usage_error(const char *what, const char *detail)
{
    fprintf(stderr, "presignd parse-url: %s%s\n", what, detail);
    fprintf(stderr, "see 'presignd parse-url --help'\n");
    return PD_EXIT_USAGE;
}

/* Reads the options into c and finds the one URL; an exit code or -1. */
static int parse_args(int argc, char **argv, struct s3url_config *c,
                      const char **url)
{
    struct pd_err err;
    bool missing = false, only_args = false;
    const char *v;

    *url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        enum pd_code rc = PD_OK;

        if (!only_args && strcmp(a, "--") == 0) {
            only_args = true;
        } else if (!only_args &&
                   (v = option_value(argc, argv, &i, "--s3-endpoint",
                                     &missing)) != NULL) {
            rc = s3url_config_add_endpoint(c, v, &err);
        } else if (!only_args && (v = option_value(argc, argv, &i, "--cdn",
                                                   &missing)) != NULL) {
            rc = s3url_config_add_cdn(c, v, &err);
        } else if (missing) {
            return usage_error("a value is missing after ", a);
        } else if (!only_args && a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option ", a);
        } else if (*url != NULL) {
            return usage_error("more than one URL given", "");
        } else {
            *url = a;
        }
        if (rc != PD_OK) {
            fprintf(stderr, "presignd parse-url: %s: %s\n", a, err.msg);
            return PD_EXIT_USAGE;
        }
    }
    if (*url == NULL)
        return usage_error("no URL given", "");
    return -1;
}

static json_t *result_json(const struct s3url_result *r)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "bucket", json_string(r->bucket));
    json_object_set_new(o, "key", json_stringn(r->key, r->key_len));
    json_object_set_new(o, "region",
                        r->region[0] ? json_string(r->region) : json_null());
    json_object_set_new(o, "style", json_string(s3url_style_name(r->style)));
    if (r->version_id[0])
        json_object_set_new(o, "version_id", json_string(r->version_id));
    if (r->endpoint[0])
        json_object_set_new(o, "endpoint", json_string(r->endpoint));
    if (r->ambiguous_plus)
        json_object_set_new(o, "ambiguous_plus", json_true());
    return o;
}

static json_t *error_json(const struct s3url_result *r)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "error", json_string(r->detail));
    json_object_set_new(o, "reason", json_string(s3url_reason_name(r->reason)));
    if (r->reason == S3URL_EXTERNAL)
        json_object_set_new(o, "host", json_string(r->external_host));
    return o;
}

/* Prints o as one line; false when it could not be built or written. */
static bool print_json(json_t *o)
{
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    bool ok = text != NULL && printf("%s\n", text) >= 0 && fflush(stdout) == 0;

    free(text);
    json_decref(o);
    return ok;
}

int cmd_parse_url(int argc, char **argv)
{
    struct s3url_config c;
    struct s3url_result *r = NULL;
    struct pd_err err;
    const char *url;
    int status;
    enum pd_code rc;

    s3url_config_init(&c);
    /* Help first, so a broken environment cannot hide it. */
    if (wants_help(argc, argv)) {
        print_usage(stdout);
        status = PD_EXIT_OK;
        goto done;
    }
    if (s3url_config_from_env(&c, &err) != PD_OK) {
        fprintf(stderr, "presignd parse-url: %s\n", err.msg);
        status = PD_EXIT_USAGE;
        goto done;
    }
    status = parse_args(argc, argv, &c, &url);
    if (status >= 0)
        goto done;

    r = malloc(sizeof(*r));
    rc = r != NULL ? s3url_parse(&c, url, r) : PD_ENOMEM;
    if (rc == PD_ENOMEM) {
        fprintf(stderr, "presignd parse-url: out of memory\n");
        status = PD_EXIT_FAIL;
    } else if (rc == PD_OK) {
        status = print_json(result_json(r)) ? PD_EXIT_OK : PD_EXIT_FAIL;
    } else {
        print_json(error_json(r));
        status = PD_EXIT_FAIL;
    }
done:
    free(r);
    s3url_config_release(&c);
    return status;
}
