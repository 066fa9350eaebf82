/*
 * pgarray.h - one-dimensional PostgreSQL text[] values in binary wire
 * format, for passing a whole batch as one query parameter.
 *
 * Binary format means no quoting or escaping: element bytes travel as they
 * are (they must not contain NUL and must be valid in the client encoding,
 * as for any text value). Pass the finished value with paramFormats 1 and
 * paramTypes PGARRAY_TEXT_ARRAY_OID. Memory grows with the elements pushed,
 * up to the maximum given at init.
 */
#ifndef PRESIGND_PGARRAY_H
#define PRESIGND_PGARRAY_H

#include "presignd/buf.h"
#include "presignd/error.h"

#include <stdbool.h>
#include <stddef.h>

#define PGARRAY_TEXT_ARRAY_OID 1009u /* text[] */

struct pgarray {
    struct pd_buf buf; /* 20-byte header, then (length, bytes) elements */
    size_t count;
    bool has_null;
};

/* Initialises an empty array whose wire form may grow to max bytes. */
void pgarray_init(struct pgarray *a, size_t max);
void pgarray_release(struct pgarray *a);

/* Empties the array, keeping its allocation. */
void pgarray_reset(struct pgarray *a);

/* Appends s[0..len) as an element; s NULL appends SQL NULL. */
PD_MUST_CHECK enum pd_code pgarray_push(struct pgarray *a, const char *s,
                                        size_t len);

/*
 * Completes the header and returns the wire bytes (owned by a, valid until
 * the next push, reset or release) with their length in *len.
 */
const char *pgarray_finish(struct pgarray *a, int *len);

#endif
