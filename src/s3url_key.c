/*
 * s3url_key.c - object keys from URL paths: percent-decoding exactly once,
 * S3's '+' reading, UTF-8 validation, and readable failure details.
 */
#include "s3url_int.h"

#include "presignd/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum s3url_reason s3url_fail(struct s3url_result *out, enum s3url_reason r,
                             const char *fmt, ...)
{
    va_list ap;

    out->reason = r;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
    return r;
}

void s3url_quote(char *dst, size_t cap, const char *src, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (cap == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        size_t need = (ch >= 0x20 && ch < 0x7f && ch != '\\') ? 1 : 4;

        /* Keep room for "..." and the NUL so a cut is visible. */
        if (o + need + 4 > cap) {
            if (o + 4 <= cap) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (need == 1) {
            dst[o++] = (char)ch;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[ch >> 4];
            dst[o++] = hex[ch & 0xf];
        }
    }
    dst[o] = '\0';
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 when malformed.
 * Ranges per RFC 3629 section 4. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    if (p[0] == 0xe0)
        lo = 0xa0; /* overlong */
    else if (p[0] == 0xed)
        hi = 0x9f; /* surrogates */
    else if (p[0] == 0xf0)
        lo = 0x90; /* overlong */
    else if (p[0] == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

bool s3url_utf8_valid(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;

    while (i < n) {
        size_t len = utf8_seq(u + i, n - i);

        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

/* Shared final checks of a decoded key in out->key[0..out->key_len). */
static enum s3url_reason check_key(struct s3url_result *out)
{
    if (out->key_len == 0)
        return s3url_fail(out, S3URL_NO_KEY, "the URL names no object key");
    if (!s3url_utf8_valid(out->key, out->key_len))
        return s3url_fail(out, S3URL_BAD_UTF8,
                          "the key is not valid UTF-8 after decoding");
    return S3URL_OK;
}

static enum s3url_reason too_long(struct s3url_result *out)
{
    out->key_len = 0;
    out->key[0] = '\0';
    out->key_literal_plus[0] = '\0';
    return s3url_fail(out, S3URL_KEY_TOO_LONG,
                      "the key is longer than %d bytes", S3URL_KEY_MAX);
}

/* Appends one decoded byte to both readings of the key. */
static bool put_byte(struct s3url_result *out, char key, char literal)
{
    if (out->key_len >= S3URL_KEY_MAX)
        return false;
    out->key[out->key_len] = key;
    out->key_literal_plus[out->key_len] = literal;
    out->key_len++;
    return true;
}

/* Decodes "%XX" at raw[i]; returns the byte or -1 when malformed. */
static int escape_at(const char *raw, size_t n, size_t i)
{
    int hi, lo;

    if (i + 2 >= n)
        return -1;
    hi = pd_hex_digit(raw[i + 1]);
    lo = pd_hex_digit(raw[i + 2]);
    if (hi < 0 || lo < 0)
        return -1;
    return hi * 16 + lo;
}

static enum s3url_reason bad_escape(struct s3url_result *out, const char *raw,
                                    size_t n, size_t i)
{
    char shown[16];

    s3url_quote(shown, sizeof(shown), raw + i, n - i < 3 ? n - i : 3);
    return s3url_fail(out, S3URL_BAD_ESCAPE,
                      "bad percent escape '%s' at byte %zu of the path", shown,
                      i);
}

enum s3url_reason s3url_decode_key(const char *prefix, const char *raw,
                                   size_t n, struct s3url_result *out)
{
    size_t plen = strlen(prefix);

    out->key_len = 0;
    if (n == 0)
        return s3url_fail(out, S3URL_NO_KEY, "the URL names no object key");
    for (size_t i = 0; i < plen; i++)
        if (!put_byte(out, prefix[i], prefix[i]))
            return too_long(out);
    if (plen > 0 && !put_byte(out, '/', '/'))
        return too_long(out);

    for (size_t i = 0; i < n; i++) {
        int b = (unsigned char)raw[i];
        char lit = raw[i];

        if (raw[i] == '%') {
            b = escape_at(raw, n, i);
            if (b < 0)
                return bad_escape(out, raw, n, i);
            /* A NUL cannot live in a C string, a Postgres text or XML. */
            if (b == 0)
                return s3url_fail(out, S3URL_BAD_ESCAPE,
                                  "%%00 (NUL) at byte %zu of the path", i);
            lit = (char)b;
            i += 2;
        } else if (raw[i] == '+') {
            /* S3 reads '+' in a path as a space; the app may have meant a
             * plus. Keep both readings. */
            out->ambiguous_plus = true;
            b = ' ';
        }
        if (!put_byte(out, (char)b, lit))
            return too_long(out);
    }
    out->key[out->key_len] = '\0';
    out->key_literal_plus[out->key_len] = '\0';
    if (!out->ambiguous_plus)
        out->key_literal_plus[0] = '\0';
    return check_key(out);
}

enum s3url_reason s3url_literal_key(const char *raw, size_t n,
                                    struct s3url_result *out)
{
    if (n > S3URL_KEY_MAX)
        return too_long(out);
    memcpy(out->key, raw, n);
    out->key[n] = '\0';
    out->key_len = n;
    return check_key(out);
}

enum s3url_reason s3url_decode_version(const char *raw, size_t n,
                                       struct s3url_result *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int b = (unsigned char)raw[i];

        if (raw[i] == '%') {
            b = escape_at(raw, n, i);
            if (b < 0)
                return s3url_fail(out, S3URL_BAD_ESCAPE,
                                  "bad percent escape in versionId");
            i += 2;
        }
        if (b <= 0x20 || b >= 0x7f)
            return s3url_fail(out, S3URL_SYNTAX,
                              "versionId holds a byte that is not printable "
                              "ASCII");
        if (o + 1 >= sizeof(out->version_id))
            return s3url_fail(out, S3URL_SYNTAX,
                              "versionId is longer than %zu bytes",
                              sizeof(out->version_id) - 1);
        out->version_id[o++] = (char)b;
    }
    out->version_id[o] = '\0';
    return S3URL_OK;
}
