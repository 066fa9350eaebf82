/*
 * presign_bench.c - presigned URLs per second from one signer.
 *
 *   presign_bench [SECONDS] [THREADS]     defaults: 2 seconds, 1 thread
 *
 * Every iteration signs a distinct key out of 65,536 made up front (so key
 * formatting stays out of the figure); the signing key is warm after the
 * first call, as in the gateway. Prints "presigns/s: N"; with THREADS > 1
 * all threads share one signer, as the gateway's do.
 */
#include "presignd/sigv4.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS 65536

static char keys[KEYS][40];
static size_t key_lens[KEYS];

struct run {
    struct sigv4_signer *signer;
    const struct sigv4_endpoint *ep;
    double seconds;
    unsigned long count;
    size_t bytes;
};

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *loop(void *arg)
{
    struct run *r = arg;
    struct sigv4_presign_request req = {0};
    struct pd_buf url;
    struct pd_err err;
    double start = now_s(), stop = start + r->seconds;

    pd_buf_init(&url, 8192);
    req.method = "GET";
    req.bucket = "avatars-prod";
    req.endpoint = r->ep;
    req.addressing = SIGV4_ADDRESSING_AUTO;
    req.now = 1796371200; /* 2026-12-04T08:00:00Z */
    req.expires = 300;
    while (now_s() < stop) {
        /* 1024 per clock read keeps the timer out of the figure. */
        for (int i = 0; i < 1024; i++, r->count++) {
            req.key = keys[r->count % KEYS];
            req.key_len = key_lens[r->count % KEYS];
            pd_buf_reset(&url);
            if (sigv4_presign(r->signer, &req, &url, &err) != PD_OK) {
                fprintf(stderr, "presign_bench: %s\n", err.msg);
                exit(1);
            }
            r->bytes += url.len;
        }
    }
    r->seconds = now_s() - start;
    pd_buf_release(&url);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    struct sigv4_credentials c = {.access_key_id = "AKIDEXAMPLE",
                                  .secret_access_key = "bench-secret"};
    struct sigv4_endpoint ep;
    struct sigv4_signer *s;
    struct run runs[64];
    pthread_t tid[64];
    double rate = 0;
    struct pd_err err;

    for (int i = 0; i < KEYS; i++)
        key_lens[i] = (size_t)snprintf(keys[i], sizeof(keys[i]),
                                       "users/%d/avatar-%d.jpg", i * 7919, i);
    if (threads < 1 || threads > 64 || seconds <= 0) {
        fprintf(stderr, "usage: presign_bench [SECONDS] [THREADS<=64]\n");
        return 2;
    }
    if (sigv4_endpoint_aws(&ep, "eu-west-1", false, &err) != PD_OK ||
        sigv4_signer_new(&s, &c, "eu-west-1", "s3", &err) != PD_OK) {
        fprintf(stderr, "presign_bench: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < threads; i++) {
        runs[i] = (struct run){s, &ep, seconds, 0, 0};
        pthread_create(&tid[i], NULL, loop, &runs[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        rate += (double)runs[i].count / runs[i].seconds;
    }
    printf("threads: %d\npresigns/s: %.0f\nns/presign/thread: %.0f\n", threads,
           rate, 1e9 * threads / rate);
    sigv4_signer_free(s);
    return 0;
}
