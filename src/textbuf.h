/*
 * textbuf.h - bounded text building without printf, for the hot path
 * (cache keys, header values, the access-log line). Each redirect used to
 * make half a dozen snprintf calls; these appenders do the same for a
 * fraction of the cost. Header-only; the caller owns the storage.
 */
#ifndef PRESIGND_TEXTBUF_H
#define PRESIGND_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct textbuf {
    char *p;
    size_t len, cap; /* cap includes room for the final NUL */
    bool overflow;   /* something did not fit: the text is unusable */
};

static inline void tb_init(struct textbuf *t, char *buf, size_t cap)
{
    t->p = buf;
    t->len = 0;
    t->cap = cap;
    t->overflow = cap == 0;
}

static inline void tb_mem(struct textbuf *t, const char *s, size_t n)
{
    if (t->overflow || n >= t->cap - t->len) {
        t->overflow = true;
        return;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

static inline void tb_str(struct textbuf *t, const char *s)
{
    tb_mem(t, s, strlen(s));
}

/* Decimal, at least min_digits wide (zero-padded). */
static inline void tb_uint(struct textbuf *t, uint64_t v, int min_digits)
{
    char d[24];
    int n = 0;

    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 || n < min_digits);
    tb_mem(t, d + sizeof(d) - n, (size_t)n);
}

static inline void tb_hex(struct textbuf *t, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char d[16];
    int n = 0;

    do {
        d[sizeof(d) - 1 - n++] = digits[v & 15];
        v >>= 4;
    } while (v != 0);
    tb_mem(t, d + sizeof(d) - n, (size_t)n);
}

/* NUL-terminates; the text, or NULL when something did not fit. */
static inline const char *tb_done(struct textbuf *t)
{
    if (t->overflow)
        return NULL;
    t->p[t->len] = '\0';
    return t->p;
}

#endif
