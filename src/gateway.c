/* gateway.c - swapping the signer and JWT key on reload (see gateway.h). */
#include "presignd/gateway.h"

enum pd_code gateway_set_signer(struct gateway *gw, struct sigv4_signer *signer,
                                struct pd_err *err)
{
    struct sigv4_signer *old;

    if (gw->retired_signer_count == GATEWAY_MAX_RETIRED) {
        sigv4_signer_free(signer);
        return pd_fail(err, PD_ELIMIT, "too many reloads; restart presignd");
    }
    old = atomic_exchange(&gw->signer, signer);
    if (old != NULL)
        gw->retired_signers[gw->retired_signer_count++] = old;
    return PD_OK;
}

enum pd_code gateway_set_jwt(struct gateway *gw, struct jwtauth *jwt,
                             struct pd_err *err)
{
    struct jwtauth *old;

    if (gw->retired_jwt_count == GATEWAY_MAX_RETIRED) {
        jwtauth_free(jwt);
        return pd_fail(err, PD_ELIMIT, "too many reloads; restart presignd");
    }
    old = atomic_exchange(&gw->jwt, jwt);
    if (old != NULL)
        gw->retired_jwt[gw->retired_jwt_count++] = old;
    return PD_OK;
}

void gateway_release(struct gateway *gw)
{
    sigv4_signer_free(atomic_exchange(&gw->signer, NULL));
    jwtauth_free(atomic_exchange(&gw->jwt, NULL));
    for (size_t i = 0; i < gw->retired_signer_count; i++)
        sigv4_signer_free(gw->retired_signers[i]);
    for (size_t i = 0; i < gw->retired_jwt_count; i++)
        jwtauth_free(gw->retired_jwt[i]);
    gw->retired_signer_count = gw->retired_jwt_count = 0;
}
