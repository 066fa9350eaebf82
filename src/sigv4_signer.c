/*
 * sigv4_signer.c - the signer: credentials, the per-date signing-key cache
 * (task 3 of SigV4: kDate -> kRegion -> kService -> kSigning), and signing
 * any request through every stage (sigv4_sign_request).
 */
#include "sigv4_internal.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void sigv4_credentials_wipe(struct sigv4_credentials *c)
{
    if (c == NULL)
        return;
    OPENSSL_cleanse(c->secret_access_key, sizeof(c->secret_access_key));
    OPENSSL_cleanse(c->session_token, sizeof(c->session_token));
}

static bool field_ok(const char *s, size_t cap, bool allow_empty,
                     const char *forbidden)
{
    size_t n = strnlen(s, cap);

    if (n == cap || (n == 0 && !allow_empty))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || strchr(forbidden, c) != NULL)
            return false;
    }
    return true;
}

static enum pd_code check_inputs(const struct sigv4_credentials *c,
                                 const char *region, const char *service,
                                 struct pd_err *err)
{
    if (c == NULL ||
        !field_ok(c->access_key_id, sizeof(c->access_key_id), false, "/,=;"))
        return pd_fail(err, PD_EINVAL,
                       "access key id is missing or has "
                       "characters other than printable ASCII");
    if (!field_ok(c->secret_access_key, sizeof(c->secret_access_key), false,
                  ""))
        return pd_fail(err, PD_EINVAL,
                       "secret access key is missing or has "
                       "characters other than printable ASCII");
    if (!field_ok(c->session_token, sizeof(c->session_token), true, ""))
        return pd_fail(err, PD_EINVAL,
                       "session token has characters other "
                       "than printable ASCII");
    if (region == NULL || region[0] == '\0' ||
        !field_ok(region, SIGV4_REGION_MAX, false, "/"))
        return pd_fail(err, PD_EINVAL,
                       "region is empty, too long or not "
                       "printable ASCII");
    if (service == NULL || !field_ok(service, SIGV4_SERVICE_MAX, false, "/"))
        return pd_fail(err, PD_EINVAL,
                       "service is empty, too long or not "
                       "printable ASCII");
    return PD_OK;
}

/* The parts of the presigned query string that never change. */
static void precompute(struct sigv4_signer *s)
{
    char *p = s->scope_tail_enc;

    s->akid_enc_len = sigv4_encode(s->akid_enc, s->access_key_id,
                                   strlen(s->access_key_id), false);
    s->token_enc_len = sigv4_encode(s->token_enc, s->session_token,
                                    strlen(s->session_token), false);
    memcpy(p, "%2F", 3);
    p += 3;
    p += sigv4_encode(p, s->region, strlen(s->region), false);
    memcpy(p, "%2F", 3);
    p += 3;
    p += sigv4_encode(p, s->service, strlen(s->service), false);
    memcpy(p, "%2Faws4_request", 15);
    p += 15;
    s->scope_tail_enc_len = (size_t)(p - s->scope_tail_enc);
}

enum pd_code sigv4_signer_new(struct sigv4_signer **out,
                              const struct sigv4_credentials *creds,
                              const char *region, const char *service,
                              struct pd_err *err)
{
    struct sigv4_signer *s;
    char root[4 + SIGV4_SECRET_MAX];
    size_t n;
    enum pd_code rc = check_inputs(creds, region, service, err);

    *out = NULL;
    if (rc != PD_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return pd_fail(err, PD_ENOMEM, "out of memory for the signer");
    memcpy(s->access_key_id, creds->access_key_id, sizeof(s->access_key_id));
    memcpy(s->session_token, creds->session_token, sizeof(s->session_token));
    strcpy(s->region, region);
    strcpy(s->service, service);
    s->expiration = creds->expiration;
    precompute(s);

    n = strlen(creds->secret_access_key);
    memcpy(root, "AWS4", 4);
    memcpy(root + 4, creds->secret_access_key, n);
    rc = sigv4_hmac_key_set(&s->root, root, 4 + n);
    OPENSSL_cleanse(root, sizeof(root));
    if (rc != PD_OK || pthread_mutex_init(&s->write_lock, NULL) != 0) {
        OPENSSL_cleanse(s, sizeof(*s));
        free(s);
        return pd_fail(err, rc != PD_OK ? rc : PD_ENOMEM,
                       "cannot set up the signer");
    }
    *out = s;
    return PD_OK;
}

void sigv4_signer_free(struct sigv4_signer *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->write_lock);
    /* Wipes the cached keys with everything else. */
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

time_t sigv4_signer_expiration(const struct sigv4_signer *s)
{
    return s->expiration;
}

/* kSigning for date, as HMAC pad blocks (SigV4 task 3). */
static enum pd_code derive_key(const struct sigv4_signer *s, const char date[8],
                               struct sigv4_hmac_key *k)
{
    unsigned char mac[32];
    enum pd_code rc;

    rc = sigv4_hmac(&s->root, date, 8, mac);
    if (rc == PD_OK)
        rc = sigv4_hmac_key_set(k, mac, 32);
    if (rc == PD_OK)
        rc = sigv4_hmac(k, s->region, strlen(s->region), mac);
    if (rc == PD_OK)
        rc = sigv4_hmac_key_set(k, mac, 32);
    if (rc == PD_OK)
        rc = sigv4_hmac(k, s->service, strlen(s->service), mac);
    if (rc == PD_OK)
        rc = sigv4_hmac_key_set(k, mac, 32);
    if (rc == PD_OK)
        rc = sigv4_hmac(k, "aws4_request", 12, mac);
    if (rc == PD_OK)
        rc = sigv4_hmac_key_set(k, mac, 32);
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}

static uint64_t pack_date(const char date[8])
{
    uint64_t v;

    memcpy(&v, date, 8);
    return v;
}

/*
 * Copies the cached key for date into k; false when it is not cached.
 * Seqlock read side (C11 fences as in Boehm, "Can seqlocks get along with
 * programming language memory models?"): retried if the writer ran
 * meanwhile. Reads only, so any number of threads sign at once.
 */
static bool cache_read(struct sigv4_signer *s, uint64_t date,
                       struct sigv4_hmac_key *k)
{
    uint64_t w[16];
    unsigned s1;
    bool found;

    for (;;) {
        s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
        found = false;
        for (size_t i = 0; i < SIGV4_KEY_SLOTS && !(s1 & 1); i++) {
            struct sigv4_key_slot *slot = &s->slots[i];
            if (atomic_load_explicit(&slot->date, memory_order_relaxed) != date)
                continue;
            for (size_t j = 0; j < 16; j++)
                w[j] =
                    atomic_load_explicit(&slot->words[j], memory_order_relaxed);
            found = true;
            break;
        }
        atomic_thread_fence(memory_order_acquire);
        if (!(s1 & 1) &&
            atomic_load_explicit(&s->seq, memory_order_relaxed) == s1)
            break;
    }
    if (found)
        memcpy(k, w, sizeof(*k));
    OPENSSL_cleanse(w, sizeof(w));
    return found;
}

/* Publishes k for date, replacing (and wiping) the older slot. */
static void cache_write(struct sigv4_signer *s, uint64_t date,
                        const struct sigv4_hmac_key *k)
{
    uint64_t w[16];
    struct sigv4_key_slot *slot;
    unsigned q;

    memcpy(w, k, sizeof(w));
    pthread_mutex_lock(&s->write_lock);
    for (size_t i = 0; i < SIGV4_KEY_SLOTS; i++)
        if (atomic_load_explicit(&s->slots[i].date, memory_order_relaxed) ==
            date)
            goto out; /* another thread won */
    slot = &s->slots[s->next_slot];
    s->next_slot = (s->next_slot + 1) % SIGV4_KEY_SLOTS;
    q = atomic_load_explicit(&s->seq, memory_order_relaxed);
    atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&slot->date, date, memory_order_relaxed);
    for (size_t j = 0; j < 16; j++)
        atomic_store_explicit(&slot->words[j], w[j], memory_order_relaxed);
    atomic_store_explicit(&s->seq, q + 2, memory_order_release);
out:
    pthread_mutex_unlock(&s->write_lock);
    OPENSSL_cleanse(w, sizeof(w));
}

enum pd_code sigv4_signer_sign_raw(struct sigv4_signer *s, const char date[8],
                                   const char *sts, size_t n,
                                   unsigned char out[32])
{
    struct sigv4_hmac_key k;
    uint64_t d = pack_date(date);
    enum pd_code rc = PD_OK;

    if (!cache_read(s, d, &k)) {
        /* A new date: derive outside the lock, then publish. */
        rc = derive_key(s, date, &k);
        if (rc == PD_OK)
            cache_write(s, d, &k);
    }
    if (rc == PD_OK)
        rc = sigv4_hmac(&k, sts, n, out);
    OPENSSL_cleanse(&k, sizeof(k));
    return rc;
}

enum pd_code sigv4_signer_signature(struct sigv4_signer *s, time_t now,
                                    const char *sts, size_t len, char hex[65],
                                    struct pd_err *err)
{
    char date[17];
    unsigned char mac[32];
    enum pd_code rc;

    sigv4_format_amz_date(now, date);
    rc = sigv4_signer_sign_raw(s, date, sts, len, mac);
    if (rc != PD_OK)
        return pd_fail(err, rc, "signing failed (OpenSSL)");
    sigv4_hex32(mac, hex);
    return PD_OK;
}
