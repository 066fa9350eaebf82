/*
 * access.h - who is asking and what they may see: session lookup, the
 * visibility rules, and the subject's image reference, each read through
 * the serve queries of sql/queries.sql and cached in process.
 *
 * Caches are trusted only while the invalidation listener is connected
 * (access_store_set_listening): when it is down, every lookup goes to the
 * database, and when it comes back every entry made before is forgotten,
 * since notifications may have been missed meanwhile.
 *
 * Lookups return PD_OK (found), PD_ENOTFOUND (no such session, user or
 * row) or PD_EDB (database unavailable: answer 503). Thread-safe.
 */
#ifndef PRESIGND_ACCESS_H
#define PRESIGND_ACCESS_H

#include "presignd/error.h"
#include "presignd/pool.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define ACCESS_ID_MAX 64 /* user ids: at most 63 bytes */

struct access_session {
    char user_id[ACCESS_ID_MAX];
    int64_t expires_epoch; /* 0: no expiry of its own (JWT without sid) */
    bool revoked;
    bool user_active;
    bool membership_active;
    bool mfa_ok;
};

/* Pure: the session may be used at now (not expired, revoked...). */
bool access_session_valid(const struct access_session *s, time_t now);

enum access_kind {
    ACCESS_AVATAR = 0,
    ACCESS_SIGNATURE,
};

/* "avatar" or "signature". */
const char *access_kind_name(enum access_kind k);

struct access_visibility {
    bool shares_org; /* both active members of one organisation */
    bool is_manager; /* ...where the viewer is an owner or admin */
};

/*
 * Pure: may viewer see subject's image of kind? Anyone sees their own;
 * avatars need a shared organisation, signatures a shared organisation in
 * which the viewer is an owner or admin.
 */
bool access_may_view(const char *viewer, const char *subject,
                     enum access_kind kind, const struct access_visibility *v);

struct access_image {
    char bucket[64];        /* "" when not backfilled */
    char key[1025];         /* raw object key */
    char content_type[128]; /* "" when unknown */
    char legacy_url[2048];  /* "" when none */
    char display_name[256];
};

struct access_store;

PD_MUST_CHECK enum pd_code
access_store_new(struct access_store **out, struct db_pool *pool,
                 unsigned cache_ttl_s, size_t max_entries, struct pd_err *err);
void access_store_free(struct access_store *s);

/* The session whose token hashes to sha256_hex (64 lower-case digits). */
PD_MUST_CHECK enum pd_code access_session_by_token(struct access_store *s,
                                                   const char *sha256_hex,
                                                   struct access_session *out,
                                                   struct pd_err *err);

/* The session with id sid (JWT "sid" claim). */
PD_MUST_CHECK enum pd_code access_session_by_sid(struct access_store *s,
                                                 const char *sid,
                                                 struct access_session *out,
                                                 struct pd_err *err);

/* The user of a JWT without sid: "sub" and whether it says MFA was done. */
PD_MUST_CHECK enum pd_code access_session_by_user(struct access_store *s,
                                                  const char *user_id, bool mfa,
                                                  struct access_session *out,
                                                  struct pd_err *err);

PD_MUST_CHECK enum pd_code access_visibility_get(struct access_store *s,
                                                 const char *viewer,
                                                 const char *subject,
                                                 struct access_visibility *out,
                                                 struct pd_err *err);

/* The image of kind of subject; PD_ENOTFOUND when the user does not exist. */
PD_MUST_CHECK enum pd_code access_image_get(struct access_store *s,
                                            const char *subject,
                                            enum access_kind kind,
                                            struct access_image *out,
                                            struct pd_err *err);

/* Applies one presignd_invalidate payload ("session:HEX" or "user:ID"). */
void access_store_invalidate(struct access_store *s, const char *payload);

/* The listener's state (see above). */
void access_store_set_listening(struct access_store *s, bool listening);

/* Forgets everything cached. */
void access_store_clear(struct access_store *s);

#endif
