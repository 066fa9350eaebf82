/*
 * error.h - the one error type of presignd.
 *
 * Every fallible function returns an enum pd_code (PD_OK on success) and, on
 * failure, fills a caller-provided struct pd_err with a human-readable detail.
 * The detail is printed once, at the edge (CLI or HTTP), never deep inside.
 * Details must never contain secrets, cookies, signatures or passwords.
 */
#ifndef PRESIGND_ERROR_H
#define PRESIGND_ERROR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define PD_MUST_CHECK      __attribute__((warn_unused_result))
#define PD_PRINTF(fmt, va) __attribute__((format(printf, fmt, va)))
#else
#define PD_MUST_CHECK
#define PD_PRINTF(fmt, va)
#endif

enum pd_code {
    PD_OK = 0,
    PD_EINVAL,       /* bad input: the detail names what was wrong */
    PD_ENOMEM,       /* allocation failed */
    PD_ELIMIT,       /* a size or count limit was exceeded */
    PD_ENOTFOUND,    /* the thing asked for does not exist */
    PD_ECONFIG,      /* missing or inconsistent configuration */
    PD_EDB,          /* database error */
    PD_ES3,          /* the object store answered with an error */
    PD_EIO,          /* network, file or system-call failure */
    PD_EAUTH,        /* authentication or authorisation failure */
    PD_EUNSUPPORTED, /* the peer or platform does not support it */
};

#define PD_ERR_MSG_MAX 512

struct pd_err {
    enum pd_code code;
    char msg[PD_ERR_MSG_MAX];
};

/* Resets err to PD_OK with an empty message. err may be NULL. */
void pd_err_clear(struct pd_err *err);

/*
 * Records a failure in err (which may be NULL) and returns code, so callers
 * can write `return pd_fail(err, PD_EINVAL, "bucket name is empty");`.
 */
enum pd_code pd_fail(struct pd_err *err, enum pd_code code, const char *fmt,
                     ...) PD_PRINTF(3, 4);

/* A short stable name for a code, e.g. "invalid input". Never NULL. */
const char *pd_code_name(enum pd_code code);

#endif
