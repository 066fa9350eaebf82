/*
 * sign_tool.c - signs one S3 API call with sigv4_sign_headers and prints
 * the URL, then one "Name: value" header per line, for curl in the radosgw
 * test. Credentials come from the environment (awsenv).
 *
 *   sign_tool METHOD ENDPOINT BUCKET|- KEY|- BODY_FILE|- [NAME[=VALUE]...]
 */
#include "presignd/awsenv.h"
#include "presignd/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int body_hash(const char *path, char hex[65])
{
    static char body[1 << 20];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return -1;
    n = fread(body, 1, sizeof(body), f);
    fclose(f);
    return sigv4_sha256_hex(body, n, hex, NULL) == PD_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct sigv4_credentials c;
    struct sigv4_endpoint ep;
    struct sigv4_signer *s = NULL;
    struct sigv4_header q[16];
    struct sigv4_header_request r = {0};
    struct sigv4_signed_request out;
    struct pd_err err;
    char hex[65];
    int rc = 1;

    pd_err_clear(&err);

    if (argc < 6 || argc > 6 + 16)
        return 2;
    for (int i = 6; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq != NULL)
            *eq = '\0';
        q[i - 6] = (struct sigv4_header){argv[i], eq ? eq + 1 : NULL};
    }
    sigv4_signed_request_init(&out);
    if (awsenv_credentials(&c, &err) != PD_OK ||
        sigv4_endpoint_parse(&ep, argv[2], &err) != PD_OK ||
        sigv4_signer_new(&s, &c, "us-east-1", "s3", &err) != PD_OK)
        goto out;
    if (strcmp(argv[5], "-") != 0 && body_hash(argv[5], hex) != 0) {
        pd_fail(&err, PD_EIO, "cannot read %s", argv[5]);
        goto out;
    }
    r.method = argv[1];
    r.endpoint = &ep;
    r.addressing = SIGV4_ADDRESSING_PATH;
    r.bucket = strcmp(argv[3], "-") ? argv[3] : NULL;
    r.key = strcmp(argv[4], "-") ? argv[4] : NULL;
    r.query = q;
    r.query_count = (size_t)(argc - 6);
    r.payload_sha256_hex = strcmp(argv[5], "-") ? hex : NULL;
    r.now = time(NULL);
    if (sigv4_sign_headers(s, &r, &out, &err) != PD_OK)
        goto out;
    printf("%s\n", out.url.data);
    for (size_t i = 0; i < out.header_count; i++)
        printf("%s\n", out.header_lines[i].data);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "sign_tool: %s\n", err.msg);
    sigv4_credentials_wipe(&c);
    sigv4_signer_free(s);
    sigv4_signed_request_release(&out);
    return rc;
}
