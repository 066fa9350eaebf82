/*
 * sigv4_disposition.c - Content-Disposition values for the
 * response-content-disposition override (RFC 6266, RFC 5987 / 8187).
 *
 * Browsers take filename* (UTF-8, percent-encoded) when they understand it
 * and fall back to the quoted ASCII filename, so both are sent for names
 * that are not plain ASCII.
 */
#include "sigv4_internal.h"

#include <string.h>

#define FILENAME_MAX_BYTES 1024

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

/* The quoted-string fallback: '"' and '\' escaped, and anything that is
 * not printable ASCII (one '_' per character). */
static enum pd_code put_ascii_name(struct pd_buf *out, const unsigned char *s,
                                   size_t n)
{
    enum pd_code rc = pd_buf_puts(out, "; filename=\"");

    for (size_t i = 0; i < n && rc == PD_OK;) {
        size_t len = utf8_len(s + i, n - i);
        unsigned char c = s[i];
        if (c == '"' || c == '\\')
            rc = pd_buf_putc(out, '\\');
        if (rc == PD_OK)
            rc = pd_buf_putc(out, c >= 0x20 && c < 0x7f ? (char)c : '_');
        i += len;
    }
    if (rc == PD_OK)
        rc = pd_buf_putc(out, '"');
    return rc;
}

/* RFC 5987 attr-char: ALPHA DIGIT ! # $ & + - . ^ _ ` | ~ */
static bool attr_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || (c != 0 && strchr("!#$&+-.^_`|~", c));
}

static enum pd_code put_ext_name(struct pd_buf *out, const unsigned char *s,
                                 size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    enum pd_code rc = pd_buf_puts(out, "; filename*=UTF-8''");

    for (size_t i = 0; i < n && rc == PD_OK; i++) {
        if (attr_char(s[i])) {
            rc = pd_buf_putc(out, (char)s[i]);
        } else {
            char e[3] = {'%', hex[s[i] >> 4], hex[s[i] & 15]};
            rc = pd_buf_append(out, e, 3);
        }
    }
    return rc;
}

enum pd_code sigv4_content_disposition(struct pd_buf *out, bool attachment,
                                       const char *filename, struct pd_err *err)
{
    const unsigned char *s = (const unsigned char *)filename;
    size_t n = filename == NULL ? 0 : strlen(filename);
    bool plain = true;
    enum pd_code rc;

    if (n > FILENAME_MAX_BYTES)
        return pd_fail(err, PD_EINVAL,
                       "file name is %zu bytes; the limit "
                       "is %d",
                       n, FILENAME_MAX_BYTES);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(s + i, n - i);
        if (len == 0)
            return pd_fail(err, PD_EINVAL,
                           "file name is not valid UTF-8 "
                           "(byte %zu)",
                           i + 1);
        if (len > 1 || s[i] < 0x20 || s[i] == 0x7f)
            plain = false;
        i += len;
    }
    rc = pd_buf_puts(out, attachment ? "attachment" : "inline");
    if (rc == PD_OK && n > 0)
        rc = put_ascii_name(out, s, n);
    if (rc == PD_OK && n > 0 && !plain)
        rc = put_ext_name(out, s, n);
    if (rc != PD_OK)
        return pd_fail(err, rc, "Content-Disposition does not fit");
    return PD_OK;
}
