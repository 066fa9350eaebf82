/* error.c - the project's error type: a code plus a readable detail. */
#include "presignd/error.h"

#include <stdarg.h>
#include <stdio.h>

void pd_err_clear(struct pd_err *err)
{
    if (err == NULL)
        return;
    err->code = PD_OK;
    err->msg[0] = '\0';
}

enum pd_code pd_fail(struct pd_err *err, enum pd_code code, const char *fmt,
                     ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

const char *pd_code_name(enum pd_code code)
{
    switch (code) {
    case PD_OK:
        return "ok";
    case PD_EINVAL:
        return "invalid input";
    case PD_ENOMEM:
        return "out of memory";
    case PD_ELIMIT:
        return "limit exceeded";
    case PD_ENOTFOUND:
        return "not found";
    case PD_ECONFIG:
        return "configuration error";
    case PD_EDB:
        return "database error";
    case PD_ES3:
        return "object store error";
    case PD_EIO:
        return "I/O error";
    case PD_EAUTH:
        return "not authorised";
    case PD_EUNSUPPORTED:
        return "not supported";
    }
    return "unknown error";
}
