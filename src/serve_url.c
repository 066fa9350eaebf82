/* serve_url.c - signing windows, content policy, initials (serve_url.h). */
#include "presignd/serve_url.h"

#include "presignd/sigv4.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum pd_code serve_window_compute(time_t now, unsigned ttl,
                                  time_t cred_expiration,
                                  struct serve_window *out, struct pd_err *err)
{
    time_t left;
    unsigned margin;

    if (ttl < 10 || ttl > SIGV4_MAX_EXPIRES / 2)
        return pd_fail(err, PD_EINVAL, "URL lifetime %u out of range", ttl);
    out->signed_at = now - now % (time_t)ttl;
    out->expires = 2 * ttl;
    out->expires_at = out->signed_at + out->expires;
    if (cred_expiration != 0 && cred_expiration < out->expires_at) {
        if (cred_expiration - out->signed_at < 2 || cred_expiration <= now + 1)
            return pd_fail(err, PD_EAUTH, "the signing credentials expired");
        out->expires_at = cred_expiration;
        out->expires = (unsigned)(cred_expiration - out->signed_at);
    }
    left = out->expires_at - now;
    /* Leave the browser a margin to follow the cached redirect. */
    margin = (unsigned)(left / 5 > 60 ? 60 : left / 5);
    if (margin == 0)
        margin = 1;
    out->max_age = left > (time_t)margin ? (unsigned)(left - margin) : 0;
    return PD_OK;
}

static const struct {
    const char *type;
    const char *ext1, *ext2;
} inline_types[] = {
    {"image/png", ".png", NULL},   {"image/jpeg", ".jpg", ".jpeg"},
    {"image/gif", ".gif", NULL},   {"image/webp", ".webp", NULL},
    {"image/avif", ".avif", NULL},
};
#define INLINE_COUNT (sizeof(inline_types) / sizeof(inline_types[0]))

/* True when s (up to ';' or space) equals type, ignoring case. */
static bool media_type_is(const char *s, const char *type)
{
    size_t n = strlen(type);

    while (*s == ' ')
        s++;
    return strncasecmp(s, type, n) == 0 &&
           (s[n] == '\0' || s[n] == ';' || s[n] == ' ');
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return m <= n && strcasecmp(s + n - m, suffix) == 0;
}

void serve_content_policy(const char *stored_type, const char *key,
                          struct serve_content *out)
{
    bool unknown = stored_type == NULL || stored_type[0] == '\0';

    for (size_t i = 0; i < INLINE_COUNT; i++) {
        bool match = unknown
                         ? (key && (ends_with_ci(key, inline_types[i].ext1) ||
                                    (inline_types[i].ext2 &&
                                     ends_with_ci(key, inline_types[i].ext2))))
                         : media_type_is(stored_type, inline_types[i].type);
        if (match) {
            out->type = inline_types[i].type;
            out->attachment = false;
            return;
        }
    }
    out->type = "application/octet-stream";
    out->attachment = true;
}

/* Length of the UTF-8 sequence at p if it is a well-formed one, else 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n;

    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Appends the first letter/digit (or non-ASCII character) of a word. */
static size_t word_initial(const unsigned char *w, char *out)
{
    size_t n;

    if (*w < 0x80) {
        if (!isalnum(*w))
            return 0;
        out[0] = (char)toupper(*w);
        return 1;
    }
    n = utf8_len(w);
    memcpy(out, w, n);
    return n;
}

/* Up to two initials: the first and the last word's. */
static void pick_initials(const char *name, char out[16])
{
    const unsigned char *p = (const unsigned char *)(name ? name : "");
    const unsigned char *first = NULL, *last = NULL;
    size_t n = 0;

    for (; *p; p++)
        if ((p == (const unsigned char *)name || p[-1] == ' ') && *p != ' ') {
            if (first == NULL)
                first = p;
            else
                last = p;
        }
    if (first != NULL)
        n += word_initial(first, out + n);
    if (last != NULL)
        n += word_initial(last, out + n);
    if (n == 0)
        out[n++] = '?';
    out[n] = '\0';
}

enum pd_code serve_initials_svg(struct pd_buf *out, const char *display_name,
                                const char *seed)
{
    uint32_t h = 2166136261u;
    char initials[16];

    for (const char *s = seed ? seed : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    pick_initials(display_name, initials);
    return pd_buf_printf(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"128\" "
        "height=\"128\" viewBox=\"0 0 128 128\"><rect width=\"128\" "
        "height=\"128\" fill=\"hsl(%u,45%%,42%%)\"/><text x=\"64\" y=\"64\" "
        "dy=\".35em\" text-anchor=\"middle\" font-family=\"sans-serif\" "
        "font-size=\"52\" fill=\"#ffffff\">%s</text></svg>",
        (unsigned)(h % 360), initials);
}

void serve_format_time(time_t t, char out[32])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
