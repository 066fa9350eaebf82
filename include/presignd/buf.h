/*
 * buf.h - bounded, growable byte buffers that own their memory.
 *
 * A struct pd_buf always owns its data; it is NUL-terminated after every
 * successful call, so data can be used as a C string when it holds text.
 * Every buffer has a maximum size: growing past it fails with PD_ELIMIT and
 * leaves the buffer as it was. Not thread-safe; one owner at a time.
 */
#ifndef PRESIGND_BUF_H
#define PRESIGND_BUF_H

#include "presignd/error.h"

#include <stdarg.h>
#include <stddef.h>

struct pd_buf {
    char *data; /* NULL until the first append; NUL-terminated after */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* largest len allowed */
};

/* Initialises an empty buffer that may grow to max bytes. */
void pd_buf_init(struct pd_buf *b, size_t max);

/* Frees the data; the buffer is empty and reusable afterwards. */
void pd_buf_release(struct pd_buf *b);

/* Like pd_buf_release, but wipes the bytes first (for secrets). */
void pd_buf_release_wipe(struct pd_buf *b);

/*
 * Replaces each control byte (below 0x20, and 0x7f) of b->data from offset
 * `from` on by '?', except a final '\n': for a line that quotes untrusted
 * bytes (an object key may hold any) on its way to a terminal.
 */
void pd_buf_mask_controls(struct pd_buf *b, size_t from);

/* Empties the buffer, keeping its allocation. */
void pd_buf_reset(struct pd_buf *b);

/* Makes room for n more bytes. */
PD_MUST_CHECK enum pd_code pd_buf_reserve(struct pd_buf *b, size_t n);

PD_MUST_CHECK enum pd_code pd_buf_append(struct pd_buf *b, const void *p,
                                         size_t n);
PD_MUST_CHECK enum pd_code pd_buf_puts(struct pd_buf *b, const char *s);
PD_MUST_CHECK enum pd_code pd_buf_putc(struct pd_buf *b, char c);
PD_MUST_CHECK enum pd_code pd_buf_printf(struct pd_buf *b, const char *fmt, ...)
    PD_PRINTF(2, 3);
PD_MUST_CHECK enum pd_code pd_buf_vprintf(struct pd_buf *b, const char *fmt,
                                          va_list ap) PD_PRINTF(2, 0);

/*
 * Hands the data to the caller (who frees it with free()) and leaves the
 * buffer empty. Returns an empty heap string when the buffer never grew;
 * NULL only when that allocation fails.
 */
char *pd_buf_detach(struct pd_buf *b, size_t *len);

/* The value of one hex digit (either case), or -1 when c is not one. */
int pd_hex_digit(char c);

#endif
