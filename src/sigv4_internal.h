/*
 * sigv4_internal.h - what the sigv4_*.c files share and nobody else uses:
 * the SHA-256/HMAC primitives, byte encoders and the signer's layout.
 */
#ifndef PRESIGND_SIGV4_INTERNAL_H
#define PRESIGND_SIGV4_INTERNAL_H

#include "presignd/sigv4.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGV4_ALGORITHM   "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED    "UNSIGNED-PAYLOAD"
#define SIGV4_SERVICE_MAX 64

/* A byte range to hash; lets one digest cover text spread over buffers. */
struct sigv4_span {
    const void *p;
    size_t n;
};

/*
 * An HMAC-SHA256 key as its two pad blocks (key XOR ipad, key XOR opad).
 * Holding the blocks instead of OpenSSL midstates keeps the hot path free of
 * heap allocation: hashing one extra block costs about as much as copying a
 * digest context (measured), and copying allocates.
 */
struct sigv4_hmac_key {
    unsigned char ipad[64];
    unsigned char opad[64];
};

/* Builds the pad blocks; keys longer than 64 bytes are hashed first. */
PD_MUST_CHECK enum pd_code sigv4_hmac_key_set(struct sigv4_hmac_key *k,
                                              const void *key, size_t len);

/* out = SHA-256 over the spans, in order. Thread-safe. */
PD_MUST_CHECK enum pd_code sigv4_sha256_spans(const struct sigv4_span *s,
                                              size_t count,
                                              unsigned char out[32]);

/* out = HMAC-SHA256(k, msg). Thread-safe. */
PD_MUST_CHECK enum pd_code sigv4_hmac(const struct sigv4_hmac_key *k,
                                      const void *msg, size_t n,
                                      unsigned char out[32]);

/* Writes 64 lower-case hex digits and a NUL. */
void sigv4_hex32(const unsigned char in[32], char out[65]);

/* RFC 3986 unreserved characters: A-Z a-z 0-9 - _ . ~ */
extern const unsigned char sigv4_unreserved[256];

/*
 * Percent-encodes n bytes into dst (which has room for 3n bytes): every byte
 * but the unreserved ones (and '/' when keep_slash) becomes %XX with
 * upper-case hex. Returns the bytes written.
 */
size_t sigv4_encode(char *dst, const void *src, size_t n, bool keep_slash);

/* Appends the encoding of n bytes to b. */
PD_MUST_CHECK enum pd_code sigv4_buf_encode(struct pd_buf *b, const void *src,
                                            size_t n, bool keep_slash);

/* Writes the decimal digits of v; returns how many. */
size_t sigv4_utoa(char *dst, unsigned long v);

/*
 * One cached signing key, for one date (the region and service are the
 * signer's own). Fields are atomics because readers copy them without a lock
 * under the signer's sequence counter (see sigv4_signer.c).
 */
#define SIGV4_KEY_SLOTS 2

struct sigv4_key_slot {
    _Atomic uint64_t date;      /* "YYYYMMDD" packed; 0 when empty */
    _Atomic uint64_t words[16]; /* struct sigv4_hmac_key, 128 bytes */
};
struct sigv4_signer {
    char access_key_id[SIGV4_ACCESS_KEY_MAX];
    char session_token[SIGV4_TOKEN_MAX];
    char region[SIGV4_REGION_MAX];
    char service[SIGV4_SERVICE_MAX];
    time_t expiration;
    /* Precomputed pieces of the query string (see sigv4_presign.c). */
    char akid_enc[3 * SIGV4_ACCESS_KEY_MAX];
    size_t akid_enc_len;
    char scope_tail_enc[3 * (SIGV4_REGION_MAX + SIGV4_SERVICE_MAX) + 32];
    size_t scope_tail_enc_len;
    char token_enc[3 * SIGV4_TOKEN_MAX];
    size_t token_enc_len;
    /* HMAC key "AWS4" + secret, the root of every derived key. */
    struct sigv4_hmac_key root;
    /*
     * Derived keys, two dates wide so requests on both sides of midnight
     * never thrash. A sequence lock: readers never write shared memory (so
     * threads scale), and the writer - once per new date - holds a mutex
     * and makes the counter odd while it replaces a slot.
     */
    _Atomic unsigned seq;
    pthread_mutex_t write_lock;
    struct sigv4_key_slot slots[SIGV4_KEY_SLOTS];
    unsigned next_slot;
};

/*
 * Computes the signature of the string to sign (sts, n bytes) for the date
 * "YYYYMMDD" into out. Thread-safe.
 */
PD_MUST_CHECK enum pd_code sigv4_signer_sign_raw(struct sigv4_signer *s,
                                                 const char date[8],
                                                 const char *sts, size_t n,
                                                 unsigned char out[32]);

/* Host header value ("host" or "host:port") for a request to bucket under
 * the addressing, and the path prefix ("" or "/bucket"). */
struct sigv4_target {
    char host[SIGV4_HOST_MAX + 72]; /* bucket. + host + :port */
    size_t host_len;
    char prefix[72]; /* "/bucket" for path style, else "" */
    size_t prefix_len;
};

PD_MUST_CHECK enum pd_code sigv4_target_resolve(struct sigv4_target *t,
                                                const struct sigv4_endpoint *e,
                                                enum sigv4_addressing a,
                                                const char *bucket,
                                                struct pd_err *err);

#endif
