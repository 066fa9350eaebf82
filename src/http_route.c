/* http_route.c - the gateway's URL space (see gateway.h). */
#include "presignd/http.h"
#include "presignd/metrics.h"

#include <string.h>

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* "avatar" or "signature" exactly; false otherwise. */
static bool image_kind(const char *s, enum access_kind *out)
{
    if (strcmp(s, "avatar") == 0) {
        *out = ACCESS_AVATAR;
        return true;
    }
    if (strcmp(s, "signature") == 0) {
        *out = ACCESS_SIGNATURE;
        return true;
    }
    return false;
}

static enum pd_code parse_users(const char *rest, struct http_route *out)
{
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

    if (slash == NULL || !image_kind(slash + 1, &out->image))
        return PD_ENOTFOUND;
    if (n == 0 || n >= ACCESS_ID_MAX)
        return PD_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!id_char(rest[i]))
            return PD_EINVAL;
    memcpy(out->subject, rest, n);
    out->subject[n] = '\0';
    out->metric = out->image == ACCESS_AVATAR ? METRICS_ROUTE_AVATAR
                                              : METRICS_ROUTE_SIGNATURE;
    return PD_OK;
}

enum pd_code http_route_parse(const char *path, struct http_route *out)
{
    memset(out, 0, sizeof(*out));
    out->metric = METRICS_ROUTE_OTHER;
    out->kind = HTTP_ROUTE_IMAGE;
    if (strcmp(path, "/healthz") == 0) {
        out->kind = HTTP_ROUTE_HEALTHZ;
        out->metric = METRICS_ROUTE_HEALTHZ;
        return PD_OK;
    }
    if (strcmp(path, "/readyz") == 0) {
        out->kind = HTTP_ROUTE_READYZ;
        out->metric = METRICS_ROUTE_READYZ;
        return PD_OK;
    }
    if (strcmp(path, "/metrics") == 0) {
        out->kind = HTTP_ROUTE_METRICS;
        out->metric = METRICS_ROUTE_METRICS;
        return PD_OK;
    }
    if (strncmp(path, "/v1/me/", 7) == 0 && image_kind(path + 7, &out->image)) {
        out->me = true;
        out->metric = out->image == ACCESS_AVATAR ? METRICS_ROUTE_ME_AVATAR
                                                  : METRICS_ROUTE_ME_SIGNATURE;
        return PD_OK;
    }
    if (strncmp(path, "/v1/users/", 10) == 0)
        return parse_users(path + 10, out);
    return PD_ENOTFOUND;
}
