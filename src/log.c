/* log.c - one-line-per-event logger on stderr (see log.h). */
#include "presignd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum pd_log_level min_level = PD_LOG_INFO;
static enum pd_log_format log_format = PD_LOG_TEXT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void pd_log_setup(enum pd_log_level min, enum pd_log_format format)
{
    min_level = min;
    log_format = format;
}

enum pd_code pd_log_level_parse(const char *s, enum pd_log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum pd_log_level)i;
            return PD_OK;
        }
    }
    return PD_EINVAL;
}

int pd_log_enabled(enum pd_log_level level)
{
    return level >= min_level;
}

enum pd_code pd_json_escape(struct pd_buf *b, const char *s)
{
    enum pd_code rc = PD_OK;

    for (const unsigned char *p = (const unsigned char *)s;
         *p != '\0' && rc == PD_OK; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = pd_buf_append(b, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            rc = pd_buf_printf(b, "\\u%04x", *p);
        } else {
            rc = pd_buf_putc(b, (char)*p);
        }
    }
    return rc;
}

static void format_time(char *out, size_t n)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000);
}

void pd_log(enum pd_log_level level, const char *fmt, ...)
{
    char msg[2048];
    char when[96];
    struct pd_buf line;
    va_list ap;
    enum pd_code rc;

    if (!pd_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    pd_buf_init(&line, sizeof(msg) * 7 + 128);
    if (log_format == PD_LOG_JSON) {
        format_time(when, sizeof(when));
        rc = pd_buf_printf(&line,
                           "{\"time\":\"%s\",\"level\":\"%s\","
                           "\"msg\":\"",
                           when, level_names[level]);
        if (rc == PD_OK)
            rc = pd_json_escape(&line, msg);
        if (rc == PD_OK)
            rc = pd_buf_puts(&line, "\"}\n");
    } else {
        rc =
            pd_buf_printf(&line, "presignd: %s: %s\n", level_names[level], msg);
    }
    if (rc == PD_OK)
        fwrite(line.data, 1, line.len, stderr);
    pd_buf_release(&line);
}
