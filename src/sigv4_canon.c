/*
 * sigv4_canon.c - the text stages of SigV4: percent-encoding, the canonical
 * request (task 1 of the SigV4 documentation), the string to sign (task 2)
 * and the X-Amz-Date format.
 *
 * This is the general, allocation-using path: header signing and the test
 * suites go through it. Presigning has its own allocation-free path in
 * sigv4_presign.c, which tests check against this one.
 */
#include "sigv4_internal.h"

#include <stdlib.h>
#include <string.h>

#define U1(c) [c] = 1
const unsigned char sigv4_unreserved[256] = {
    U1('-'), U1('.'), U1('_'), U1('~'), U1('0'), U1('1'), U1('2'), U1('3'),
    U1('4'), U1('5'), U1('6'), U1('7'), U1('8'), U1('9'), U1('A'), U1('B'),
    U1('C'), U1('D'), U1('E'), U1('F'), U1('G'), U1('H'), U1('I'), U1('J'),
    U1('K'), U1('L'), U1('M'), U1('N'), U1('O'), U1('P'), U1('Q'), U1('R'),
    U1('S'), U1('T'), U1('U'), U1('V'), U1('W'), U1('X'), U1('Y'), U1('Z'),
    U1('a'), U1('b'), U1('c'), U1('d'), U1('e'), U1('f'), U1('g'), U1('h'),
    U1('i'), U1('j'), U1('k'), U1('l'), U1('m'), U1('n'), U1('o'), U1('p'),
    U1('q'), U1('r'), U1('s'), U1('t'), U1('u'), U1('v'), U1('w'), U1('x'),
    U1('y'), U1('z'),
};
#undef U1

size_t sigv4_encode(char *dst, const void *src, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = src;
    char *d = dst;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (sigv4_unreserved[c] || (c == '/' && keep_slash)) {
            *d++ = (char)c;
        } else {
            d[0] = '%';
            d[1] = hex[c >> 4];
            d[2] = hex[c & 15];
            d += 3;
        }
    }
    return (size_t)(d - dst);
}

enum pd_code sigv4_buf_encode(struct pd_buf *b, const void *src, size_t n,
                              bool keep_slash)
{
    enum pd_code rc;

    if (n > (b->max / 3) + 1)
        return PD_ELIMIT;
    rc = pd_buf_reserve(b, 3 * n);
    if (rc != PD_OK)
        return rc;
    b->len += sigv4_encode(b->data + b->len, src, n, keep_slash);
    b->data[b->len] = '\0';
    return PD_OK;
}

size_t sigv4_utoa(char *dst, unsigned long v)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    return n;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic:
 * 400-year eras of 146097 days, years starting in March). */
static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    long era, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static long days_from_civil(long y, unsigned m, unsigned d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void sigv4_format_amz_date(time_t t, char out[17])
{
    long y, days = (long)(t / 86400), secs = (long)(t % 86400);
    unsigned m, d;

    memcpy(out, "00000000T000000Z", 17);
    if (t < 0 || t > 253402300799) /* 9999-12-31T23:59:59Z */
        return;
    civil_from_days(days, &y, &m, &d);
    put2(out, (unsigned)(y / 100));
    put2(out + 2, (unsigned)(y % 100));
    put2(out + 4, m);
    put2(out + 6, d);
    put2(out + 9, (unsigned)(secs / 3600));
    put2(out + 11, (unsigned)(secs / 60 % 60));
    put2(out + 13, (unsigned)(secs % 60));
}

static int digits(const char *s, size_t n)
{
    int v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

enum pd_code sigv4_parse_amz_date(const char *s, time_t *out,
                                  struct pd_err *err)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se;

    if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        goto bad;
    y = digits(s, 4);
    mo = digits(s + 4, 2);
    d = digits(s + 6, 2);
    h = digits(s + 9, 2);
    mi = digits(s + 11, 2);
    se = digits(s + 13, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || se < 0 || se > 59 || (unsigned)d > mdays[mo - 1])
        goto bad;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        goto bad;
    *out = (time_t)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
           h * 3600 + mi * 60 + se;
    return PD_OK;
bad:
    return pd_fail(err, PD_EINVAL,
                   "invalid time '%.40s': expected YYYYMMDDTHHMMSSZ (UTC), "
                   "e.g. 20260131T235959Z",
                   s == NULL ? "" : s);
}

/*
 * Generic rules: removes "." and ".." segments (RFC 3986 section 5.2.4) and
 * empty segments, keeping a leading and a trailing '/'. Writes at most n+1
 * bytes to dst; returns the length.
 */
static size_t normalize_path(char *dst, const char *p, size_t n)
{
    size_t out = 0, i = 0;
    bool trailing = n > 0 && p[n - 1] == '/';

    dst[out++] = '/';
    while (i < n) {
        size_t start, len;
        while (i < n && p[i] == '/')
            i++;
        start = i;
        while (i < n && p[i] != '/')
            i++;
        len = i - start;
        if (len == 0 || (len == 1 && p[start] == '.'))
            continue;
        if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
            /* Drop the last segment written, if any. */
            while (out > 1 && dst[out - 1] == '/')
                out--;
            while (out > 1 && dst[out - 1] != '/')
                out--;
            continue;
        }
        if (out > 1 && dst[out - 1] != '/')
            dst[out++] = '/';
        memcpy(dst + out, p + start, len);
        out += len;
    }
    if (trailing && out > 1)
        dst[out++] = '/';
    return out;
}

static enum pd_code canon_path(struct pd_buf *out,
                               const struct sigv4_request *r)
{
    enum pd_code rc;
    char *tmp;
    size_t n;

    if (r->path_len == 0)
        return pd_buf_putc(out, '/');
    if (r->rules == SIGV4_RULES_S3)
        return sigv4_buf_encode(out, r->path, r->path_len, true);
    tmp = malloc(r->path_len + 2);
    if (tmp == NULL)
        return PD_ENOMEM;
    n = normalize_path(tmp, r->path, r->path_len);
    rc = sigv4_buf_encode(out, tmp, n, true);
    free(tmp);
    return rc;
}

/* One encoded query parameter: offsets into a shared scratch buffer. */
struct qparam {
    size_t name, name_len, value, value_len;
    const char *base;
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->base + x->name, y->base + y->name, n);

    if (c != 0 || x->name_len != y->name_len)
        return c != 0 ? c : (x->name_len < y->name_len ? -1 : 1);
    n = x->value_len < y->value_len ? x->value_len : y->value_len;
    c = memcmp(x->base + x->value, y->base + y->value, n);
    if (c != 0 || x->value_len == y->value_len)
        return c;
    return x->value_len < y->value_len ? -1 : 1;
}

/* Canonical query string: every name and value encoded, sorted by encoded
 * name then value, joined with '&'. */
static enum pd_code canon_query(struct pd_buf *out,
                                const struct sigv4_request *r)
{
    struct pd_buf scratch;
    struct qparam *q = NULL;
    enum pd_code rc = PD_OK;

    if (r->query_count == 0)
        return PD_OK;
    pd_buf_init(&scratch, out->max);
    q = calloc(r->query_count, sizeof(*q));
    if (q == NULL)
        return PD_ENOMEM;
    for (size_t i = 0; i < r->query_count && rc == PD_OK; i++) {
        const char *v = r->query[i].value ? r->query[i].value : "";
        q[i].name = scratch.len;
        rc = sigv4_buf_encode(&scratch, r->query[i].name,
                              strlen(r->query[i].name), false);
        q[i].name_len = scratch.len - q[i].name;
        q[i].value = scratch.len;
        if (rc == PD_OK)
            rc = sigv4_buf_encode(&scratch, v, strlen(v), false);
        q[i].value_len = scratch.len - q[i].value;
    }
    for (size_t i = 0; i < r->query_count && rc == PD_OK; i++)
        q[i].base = scratch.data;
    if (rc == PD_OK)
        qsort(q, r->query_count, sizeof(*q), qparam_cmp);
    for (size_t i = 0; i < r->query_count && rc == PD_OK; i++) {
        if (i > 0)
            rc = pd_buf_putc(out, '&');
        if (rc == PD_OK)
            rc = pd_buf_append(out, scratch.data + q[i].name, q[i].name_len);
        if (rc == PD_OK)
            rc = pd_buf_putc(out, '=');
        if (rc == PD_OK)
            rc = pd_buf_append(out, scratch.data + q[i].value, q[i].value_len);
    }
    free(q);
    pd_buf_release(&scratch);
    return rc;
}

#define CANON_MAX_HEADERS (SIGV4_MAX_HEADERS + SIGV4_MAX_ADDED)

struct hdr {
    char name[128];
    const char *value;
    size_t order;
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c != 0)
        return c;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static bool is_tchar(unsigned char c)
{
    return sigv4_unreserved[c] || (c != 0 && strchr("!#$%&'*+^`|", c));
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A header value trimmed, with inner whitespace runs folded to one space
 * (this also joins obsolete multi-line values). */
static enum pd_code put_header_value(struct pd_buf *out, const char *v)
{
    enum pd_code rc = PD_OK;
    bool pending_space = false, started = false;

    for (; *v != '\0' && rc == PD_OK; v++) {
        if (is_space(*v)) {
            pending_space = started;
            continue;
        }
        if (pending_space)
            rc = pd_buf_putc(out, ' ');
        if (rc == PD_OK)
            rc = pd_buf_putc(out, *v);
        pending_space = false;
        started = true;
    }
    return rc;
}

static enum pd_code load_headers(struct hdr *h, const struct sigv4_request *r,
                                 struct pd_err *err)
{
    for (size_t i = 0; i < r->header_count; i++) {
        const char *n = r->headers[i].name;
        size_t len = n ? strlen(n) : 0;

        if (len == 0 || len >= sizeof(h[i].name))
            return pd_fail(err, PD_EINVAL,
                           "header %zu: empty or over-long "
                           "name",
                           i + 1);
        for (size_t j = 0; j < len; j++) {
            unsigned char c = (unsigned char)n[j];
            if (!is_tchar(c))
                return pd_fail(err, PD_EINVAL,
                               "header name '%.64s' is not an HTTP token", n);
            h[i].name[j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        h[i].name[len] = '\0';
        h[i].value = r->headers[i].value ? r->headers[i].value : "";
        h[i].order = i;
    }
    qsort(h, r->header_count, sizeof(*h), hdr_cmp);
    return PD_OK;
}

/* Canonical headers ("name:value\n" each) and the signed-header list. */
static enum pd_code canon_headers(struct pd_buf *out, struct pd_buf *names,
                                  const struct sigv4_request *r,
                                  struct pd_err *err)
{
    struct hdr h[CANON_MAX_HEADERS];
    enum pd_code rc;

    if (r->header_count > CANON_MAX_HEADERS)
        return pd_fail(err, PD_EINVAL, "more than %d headers to sign",
                       CANON_MAX_HEADERS);
    rc = load_headers(h, r, err);
    if (rc != PD_OK)
        return rc;
    for (size_t i = 0; i < r->header_count && rc == PD_OK; i++) {
        bool first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
        bool last =
            i + 1 == r->header_count || strcmp(h[i].name, h[i + 1].name) != 0;
        if (first) {
            rc = pd_buf_printf(out, "%s:", h[i].name);
            if (rc == PD_OK && names->len > 0)
                rc = pd_buf_putc(names, ';');
            if (rc == PD_OK)
                rc = pd_buf_puts(names, h[i].name);
        } else {
            rc = pd_buf_putc(out, ',');
        }
        if (rc == PD_OK)
            rc = put_header_value(out, h[i].value);
        if (rc == PD_OK && last)
            rc = pd_buf_putc(out, '\n');
    }
    if (rc != PD_OK)
        return pd_fail(err, rc, "canonical headers do not fit");
    return PD_OK;
}

enum pd_code sigv4_canonical_request(struct pd_buf *out,
                                     struct pd_buf *signed_headers,
                                     const struct sigv4_request *r,
                                     struct pd_err *err)
{
    struct pd_buf names;
    enum pd_code rc;

    if (r->method == NULL || r->method[0] == '\0' || r->path == NULL ||
        r->payload_hash == NULL)
        return pd_fail(err, PD_EINVAL,
                       "request without method, path or "
                       "payload hash");
    pd_buf_init(&names, 8192);
    rc = pd_buf_printf(out, "%s\n", r->method);
    if (rc == PD_OK)
        rc = canon_path(out, r);
    if (rc == PD_OK)
        rc = pd_buf_putc(out, '\n');
    if (rc == PD_OK)
        rc = canon_query(out, r);
    if (rc == PD_OK)
        rc = pd_buf_putc(out, '\n');
    if (rc == PD_OK) {
        rc = canon_headers(out, &names, r, err);
        if (rc != PD_OK)
            goto done; /* err says which header */
    }
    if (rc == PD_OK)
        rc = pd_buf_printf(out, "\n%s\n%s", names.data ? names.data : "",
                           r->payload_hash);
    if (rc == PD_OK && signed_headers != NULL)
        rc = pd_buf_append(signed_headers, names.data, names.len);
    if (rc != PD_OK)
        pd_fail(err, rc, "canonical request does not fit");
done:
    pd_buf_release(&names);
    return rc;
}

enum pd_code sigv4_string_to_sign(struct pd_buf *out, time_t now,
                                  const char *region, const char *service,
                                  const char *creq, size_t len,
                                  struct pd_err *err)
{
    char date[17], hex[65];
    enum pd_code rc;

    rc = sigv4_sha256_hex(creq, len, hex, err);
    if (rc != PD_OK)
        return rc;
    sigv4_format_amz_date(now, date);
    rc = pd_buf_printf(out, SIGV4_ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s",
                       date, date, region, service, hex);
    if (rc != PD_OK)
        return pd_fail(err, rc, "string to sign does not fit");
    return PD_OK;
}
