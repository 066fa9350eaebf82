/*
 * log.h - the one error/event logger: one line per event on stderr.
 *
 * Lines are JSON objects {"time":..,"level":..,"msg":..} when the format is
 * PD_LOG_JSON (the default for services) or "presignd: level: msg" when it is
 * PD_LOG_TEXT (the default for one-shot commands on a terminal). The level is
 * checked before anything is formatted. Thread-safe: each line is written
 * with a single call. Callers must never pass secrets, cookies, signatures,
 * presigned query strings or connection strings.
 */
#ifndef PRESIGND_LOG_H
#define PRESIGND_LOG_H

#include "presignd/buf.h"
#include "presignd/error.h"

enum pd_log_level {
    PD_LOG_DEBUG = 0,
    PD_LOG_INFO,
    PD_LOG_WARN,
    PD_LOG_ERROR,
};

enum pd_log_format {
    PD_LOG_TEXT = 0,
    PD_LOG_JSON,
};

/* Sets the minimum level and the format. Not thread-safe; call at start. */
void pd_log_setup(enum pd_log_level min, enum pd_log_format format);

/* Parses "debug", "info", "warn" or "error". */
PD_MUST_CHECK enum pd_code pd_log_level_parse(const char *s,
                                              enum pd_log_level *out);

int pd_log_enabled(enum pd_log_level level);

void pd_log(enum pd_log_level level, const char *fmt, ...) PD_PRINTF(2, 3);

/* Appends s as the body of a JSON string (no quotes), escaping as needed. */
PD_MUST_CHECK enum pd_code pd_json_escape(struct pd_buf *b, const char *s);

#endif
