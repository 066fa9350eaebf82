/* accesslog.c - per-thread buffered access-log lines (see accesslog.h). */
#include "presignd/accesslog.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ACCESSLOG_BUFFER 16384

struct accesslog_buffer {
    pthread_mutex_t lock; /* the owner thread, or the flusher */
    size_t len;
    struct accesslog_buffer *next;
    char data[ACCESSLOG_BUFFER];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct accesslog_buffer *registry;
static _Thread_local struct accesslog_buffer *mine;

/* Writes everything, retrying short writes; drops it on error. */
static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to log to: not worth failing requests */
        p += w;
        n -= (size_t)w;
    }
}

/* The calling thread's buffer, created and registered on first use. */
static struct accesslog_buffer *own_buffer(void)
{
    struct accesslog_buffer *b = mine;

    if (b != NULL)
        return b;
    b = malloc(sizeof(*b));
    if (b == NULL)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    b->len = 0;
    pthread_mutex_lock(&registry_lock);
    b->next = registry;
    registry = b;
    pthread_mutex_unlock(&registry_lock);
    mine = b;
    return b;
}

void accesslog_write(const char *line, size_t n)
{
    struct accesslog_buffer *b = own_buffer();

    if (b == NULL || n > ACCESSLOG_BUFFER) {
        write_all(line, n);
        return;
    }
    pthread_mutex_lock(&b->lock);
    if (b->len + n > ACCESSLOG_BUFFER) {
        write_all(b->data, b->len);
        b->len = 0;
    }
    memcpy(b->data + b->len, line, n);
    b->len += n;
    pthread_mutex_unlock(&b->lock);
}

void accesslog_flush(void)
{
    pthread_mutex_lock(&registry_lock);
    for (struct accesslog_buffer *b = registry; b != NULL; b = b->next) {
        pthread_mutex_lock(&b->lock);
        write_all(b->data, b->len);
        b->len = 0;
        pthread_mutex_unlock(&b->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

void accesslog_shutdown(void)
{
    struct accesslog_buffer *b, *next;

    accesslog_flush();
    pthread_mutex_lock(&registry_lock);
    for (b = registry; b != NULL; b = next) {
        next = b->next;
        pthread_mutex_destroy(&b->lock);
        free(b);
    }
    registry = NULL;
    pthread_mutex_unlock(&registry_lock);
    mine = NULL;
}
