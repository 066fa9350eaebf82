/* fixture.h - the parser configuration the s3url tests share. */
#ifndef S3URL_TEST_FIXTURE_H
#define S3URL_TEST_FIXTURE_H

#include "presignd/s3url.h"

/*
 * Custom endpoints: http://minio.internal:9000 (us-east-1), http://[::1]:7480,
 * https://storage.example.net (no port: http and https URLs both match).
 * CDNs: cdn.example.com -> avatars; img.example.com -> media/users
 * (eu-west-1); static.example.org:8080 -> assets.
 * Aborts the test program when a spec is refused.
 */
void fixture_config(struct s3url_config *c);

/* Runs n table cases, one cmocka test each, named by name_of(case). */
int fixture_run_table(const char *group, void (*fn)(void **), const void *rows,
                      size_t row_size, size_t n,
                      const char *(*name_of)(const void *row));

#endif
