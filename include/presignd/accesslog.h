/*
 * accesslog.h - the access log's output: whole lines, buffered per thread
 * and written to stdout in batches.
 *
 * One write(2) per request costs about a fifth of a warm redirect's CPU
 * time, so each thread gathers its lines in its own buffer (no shared
 * lock on the hot path) and a buffer is written out when it is full or
 * when accesslog_flush runs (the serve main loop calls it every 200 ms).
 * Lines are never split; lines of different threads may appear out of
 * time order within a flush interval. Known shortcoming: a crash loses up
 * to one interval of lines.
 *
 * Thread-safe.
 */
#ifndef PRESIGND_ACCESSLOG_H
#define PRESIGND_ACCESSLOG_H

#include <stddef.h>

/* Queues one complete line (with its '\n'); n at most 4096. */
void accesslog_write(const char *line, size_t n);

/* Writes out every thread's buffered lines. */
void accesslog_flush(void);

/* Flushes and frees all buffers; no thread may log afterwards. */
void accesslog_shutdown(void);

#endif
