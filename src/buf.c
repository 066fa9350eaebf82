/* buf.c - bounded growable buffers (see buf.h for the contract). */
#include "presignd/buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pd_buf_init(struct pd_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void pd_buf_release(struct pd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pd_buf_release_wipe(struct pd_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    pd_buf_release(b);
}

void pd_buf_mask_controls(struct pd_buf *b, size_t from)
{
    size_t end = b->len;

    if (end > 0 && b->data[end - 1] == '\n')
        end--;
    for (size_t i = from; i < end; i++)
        if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
            b->data[i] = '?';
}

void pd_buf_reset(struct pd_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

enum pd_code pd_buf_reserve(struct pd_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return PD_ELIMIT;
    need = b->len + n + 1;
    if (need <= b->cap)
        return PD_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (p == NULL)
        return PD_ENOMEM;
    b->data = p;
    b->cap = cap;
    return PD_OK;
}

enum pd_code pd_buf_append(struct pd_buf *b, const void *p, size_t n)
{
    enum pd_code rc = pd_buf_reserve(b, n);

    if (rc != PD_OK)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return PD_OK;
}

enum pd_code pd_buf_puts(struct pd_buf *b, const char *s)
{
    return pd_buf_append(b, s, strlen(s));
}

enum pd_code pd_buf_putc(struct pd_buf *b, char c)
{
    return pd_buf_append(b, &c, 1);
}

enum pd_code pd_buf_vprintf(struct pd_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;
    enum pd_code rc;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return PD_EINVAL;
    rc = pd_buf_reserve(b, (size_t)n);
    if (rc != PD_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return PD_OK;
}

enum pd_code pd_buf_printf(struct pd_buf *b, const char *fmt, ...)
{
    va_list ap;
    enum pd_code rc;

    va_start(ap, fmt);
    rc = pd_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *pd_buf_detach(struct pd_buf *b, size_t *len)
{
    char *p = b->data;

    if (len != NULL)
        *len = b->len;
    if (p == NULL)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

int pd_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
