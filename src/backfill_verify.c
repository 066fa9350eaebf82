/*
 * backfill_verify.c - signed HEAD requests for `presignd backfill --verify`
 * (see backfill_verify.h).
 *
 * Not built yet: this build has no SigV4 signer, so --verify refuses to run
 * rather than pretending to check anything.
 */
#include "presignd/backfill_verify.h"

#include <stddef.h>

enum pd_code backfill_verify_s3_new(struct backfill_verify_s3 **out,
                                    struct pd_err *err)
{
    *out = NULL;
    return pd_fail(err, PD_EUNSUPPORTED,
                   "--verify needs the SigV4 signer, which this build lacks");
}

const struct backfill_verifier *
backfill_verify_s3_hook(struct backfill_verify_s3 *v)
{
    (void)v;
    return NULL;
}

void backfill_verify_s3_free(struct backfill_verify_s3 *v)
{
    (void)v;
}
