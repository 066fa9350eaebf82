/*
 * s3url_parse.c - benchmark (not a test): legacy URLs parsed per second on
 * one thread, over a mix of virtual-hosted, path-style with a stale SigV4
 * query, external and s3:// URLs.
 *
 *   build/gcc/tests/s3url/s3url_bench [COUNT]    (default 1,000,000)
 */
#include "presignd/s3url.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *const urls[] = {
    "https://my-bucket.s3.amazonaws.com/avatars/12345/photo.png",
    "https://s3.eu-west-1.amazonaws.com/my-bucket/signatures/u%2012345+x.png"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20200101T000000Z"
    "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef",
    "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346",
    "s3://my-bucket/avatars/12345/photo.png",
};

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 1000000;
    size_t n = sizeof(urls) / sizeof(urls[0]);
    struct s3url_result r;
    struct timespec a, b;
    long ok = 0;
    double s;

    if (count <= 0)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < count; i++)
        ok += s3url_parse(NULL, urls[(size_t)i % n], &r) == PD_OK;
    clock_gettime(CLOCK_MONOTONIC, &b);
    s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("{\"parses\":%ld,\"parsed_ok\":%ld,\"seconds\":%.3f,"
           "\"per_second\":%.0f}\n",
           count, ok, s, (double)count / s);
    return 0;
}
