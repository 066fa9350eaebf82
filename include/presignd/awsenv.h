/*
 * awsenv.h - credentials and settings the way the AWS tools find them.
 *
 * Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
 * + AWS_CREDENTIAL_EXPIRATION as RFC 3339), else the profile AWS_PROFILE
 * (default "default") of the shared credentials file
 * AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials). Region: AWS_REGION,
 * else AWS_DEFAULT_REGION. Endpoint: AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL. Instance metadata (IMDS) and credential_process are never
 * used: presignd makes no network call to find credentials.
 */
#ifndef PRESIGND_AWSENV_H
#define PRESIGND_AWSENV_H

#include "presignd/error.h"
#include "presignd/sigv4.h"

/* Fills creds; PD_ECONFIG naming what is missing when none are found. */
PD_MUST_CHECK enum pd_code awsenv_credentials(struct sigv4_credentials *creds,
                                              struct pd_err *err);

/* The region from the environment, or NULL. */
const char *awsenv_region(void);

/* The custom endpoint URL from the environment, or NULL. */
const char *awsenv_endpoint_url(void);

#endif
