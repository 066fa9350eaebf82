/*
 * pgarray.c - builds text[] parameters in PostgreSQL's binary array format
 * (see pgarray.h). The layout is array_send's: ndim, has-null flag, element
 * type OID, then per dimension its size and lower bound, then each element
 * as a 4-byte length (-1 for NULL) followed by its bytes; all big-endian.
 */
#include "presignd/pgarray.h"

#include <stdint.h>
#include <string.h>

#define HEADER_LEN 20
#define TEXT_OID   25u

static void put_be32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

void pgarray_init(struct pgarray *a, size_t max)
{
    pd_buf_init(&a->buf, max);
    a->count = 0;
    a->has_null = false;
}

void pgarray_release(struct pgarray *a)
{
    pd_buf_release(&a->buf);
    a->count = 0;
    a->has_null = false;
}

void pgarray_reset(struct pgarray *a)
{
    pd_buf_reset(&a->buf);
    a->count = 0;
    a->has_null = false;
}

enum pd_code pgarray_push(struct pgarray *a, const char *s, size_t len)
{
    char head[HEADER_LEN] = {0};
    char n[4];
    enum pd_code rc = PD_OK;

    if (s != NULL && len > INT32_MAX)
        return PD_ELIMIT;
    /* The header is written as zeros first and completed by finish. */
    if (a->buf.len == 0)
        rc = pd_buf_append(&a->buf, head, sizeof(head));
    if (rc != PD_OK)
        return rc;
    put_be32(n, s == NULL ? UINT32_MAX : (uint32_t)len);
    rc = pd_buf_reserve(&a->buf, sizeof(n) + (s ? len : 0));
    if (rc != PD_OK)
        return rc;
    rc = pd_buf_append(&a->buf, n, sizeof(n));
    if (rc == PD_OK && s != NULL)
        rc = pd_buf_append(&a->buf, s, len);
    if (rc != PD_OK)
        return rc;
    a->count++;
    a->has_null = a->has_null || s == NULL;
    return PD_OK;
}

const char *pgarray_finish(struct pgarray *a, int *len)
{
    char *h;
    /* An empty array: zero dimensions, so no size or lower bound. */
    static const char empty[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25};

    if (a->count == 0) {
        *len = (int)sizeof(empty);
        return empty;
    }
    h = a->buf.data;
    put_be32(h, 1);
    put_be32(h + 4, a->has_null ? 1 : 0);
    put_be32(h + 8, TEXT_OID);
    put_be32(h + 12, (uint32_t)a->count);
    put_be32(h + 16, 1);
    *len = (int)a->buf.len;
    return h;
}
