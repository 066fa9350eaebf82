-- queries.sql: every statement presignd runs against the host app's tables.
--
-- This file is the one place that knows the host schema's names. A team
-- whose tables differ copies it, edits the SQL, and points PRESIGND_QUERIES
-- at the copy; the documented parameters and result columns of each query
-- are the contract the C code relies on. See README "Integrating with an
-- existing schema".

-- name: ping
-- A trivial statement used by readiness checks. Returns one row.
SELECT 1;

-- ===================================================================
-- host_setup: run by `presignd migrate` after presignd's own migrations
-- (idempotent). Installs triggers on the host's tables that tell running
-- gateways to drop cached entries at once, on the channel
-- presignd_invalidate with the payloads
--     session:<hex SHA-256 of the cookie token>   a session changed
--     user:<user id>                              a user, their images or
--                                                 memberships changed
-- A team with other table names edits this block like the queries below.
-- ===================================================================

-- name: host_setup
CREATE OR REPLACE FUNCTION presignd.notify_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('presignd_invalidate',
                          'session:' || encode(OLD.token_sha256, 'hex'));
    ELSE
        PERFORM pg_notify('presignd_invalidate',
                          'session:' || encode(NEW.token_sha256, 'hex'));
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION presignd.notify_user_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('presignd_invalidate', 'user:' || NEW.id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('presignd_invalidate', 'user:' || OLD.user_id);
    ELSE
        PERFORM pg_notify('presignd_invalidate', 'user:' || NEW.user_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER presignd_sessions_notify
    AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION presignd.notify_session_change();
CREATE OR REPLACE TRIGGER presignd_users_notify
    AFTER UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION presignd.notify_user_change();
CREATE OR REPLACE TRIGGER presignd_memberships_notify
    AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION presignd.notify_user_change();

-- ===================================================================
-- serve: the gateway's lookups (presignd serve)
-- ===================================================================
-- Every serve query takes text parameters and returns text columns; the
-- gateway prepares them once per connection. An id the host schema cannot
-- represent (SQLSTATE 22P02 or 22003, e.g. 'abc' for a bigint key) is
-- treated as "no such row", so the queries may cast freely.

-- name: serve_session
-- The session behind a cookie. $1: hex SHA-256 of the cookie token.
-- No row: unknown session. One row:
--   user_id            text     the session's user
--   expires_epoch      bigint   when the session ends (Unix seconds)
--   revoked            boolean  the session was revoked
--   user_active        boolean  the user account is active
--   membership_active  boolean  the user's membership in the session's
--                               organisation (or, without one, in any
--                               organisation) is active
--   mfa_ok             boolean  MFA is verified, or not required
SELECT s.user_id::text,
       extract(epoch FROM s.expires_at)::bigint,
       s.revoked_at IS NOT NULL,
       u.active,
       EXISTS (SELECT 1 FROM memberships m
               WHERE m.user_id = s.user_id AND m.active
                 AND (s.organisation_id IS NULL
                      OR m.organisation_id = s.organisation_id)),
       s.mfa_verified OR NOT EXISTS (
           SELECT 1 FROM memberships m
           JOIN organisations o ON o.id = m.organisation_id
           WHERE m.user_id = s.user_id AND m.active AND o.require_mfa
             AND (s.organisation_id IS NULL
                  OR m.organisation_id = s.organisation_id))
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.token_sha256 = decode($1, 'hex');

-- name: serve_session_by_id
-- The same as serve_session, for JWT cookies carrying a session id: $1 is
-- the token's "sid" claim. Same result columns, plus
--   token_sha256_hex   text  the session's hex token hash (optional: lets a
--                            "session:HEX" notification reach this entry)
SELECT s.user_id::text,
       extract(epoch FROM s.expires_at)::bigint,
       s.revoked_at IS NOT NULL,
       u.active,
       EXISTS (SELECT 1 FROM memberships m
               WHERE m.user_id = s.user_id AND m.active
                 AND (s.organisation_id IS NULL
                      OR m.organisation_id = s.organisation_id)),
       s.mfa_verified OR NOT EXISTS (
           SELECT 1 FROM memberships m
           JOIN organisations o ON o.id = m.organisation_id
           WHERE m.user_id = s.user_id AND m.active AND o.require_mfa
             AND (s.organisation_id IS NULL
                  OR m.organisation_id = s.organisation_id)),
       encode(s.token_sha256, 'hex')
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1::bigint;

-- name: serve_jwt_user
-- For JWT cookies without a session id: the user named by the "sub" claim
-- ($1) and whether the token says MFA was done ($2, 'true' or 'false').
-- Same result columns as serve_session (expires_epoch NULL, revoked false).
SELECT u.id::text,
       NULL::bigint,
       false,
       u.active,
       EXISTS (SELECT 1 FROM memberships m
               WHERE m.user_id = u.id AND m.active),
       $2::boolean OR NOT EXISTS (
           SELECT 1 FROM memberships m
           JOIN organisations o ON o.id = m.organisation_id
           WHERE m.user_id = u.id AND m.active AND o.require_mfa)
FROM users u
WHERE u.id = $1::bigint;

-- name: serve_visibility
-- What viewer $1 may see of subject $2 (both user ids). One row:
--   shares_org    boolean  both are active members of one organisation and
--                          the subject's account is active
--   is_manager    boolean  ...and in such an organisation the viewer is an
--                          owner or admin
SELECT COALESCE(bool_or(true), false),
       COALESCE(bool_or(v.role IN ('owner', 'admin')), false)
FROM memberships v
JOIN memberships s ON s.organisation_id = v.organisation_id
JOIN users su ON su.id = s.user_id
WHERE v.user_id = $1::bigint AND v.active
  AND s.user_id = $2::bigint AND s.active AND su.active;

-- name: serve_image
-- The image of kind $2 ('avatar' or 'signature') of user $1. No row: no
-- such user. One row:
--   bucket, object_key, content_type  the backfilled reference (NULL when
--                                     the backfill has not reached it)
--   legacy_url    text  the URL the app stored (NULL when none)
--   display_name  text  for the generated initials image
SELECT r.bucket, r.object_key, r.content_type,
       CASE $2 WHEN 'avatar' THEN u.avatar_url
               WHEN 'signature' THEN u.signature_url END,
       u.display_name
FROM users u
LEFT JOIN presignd.object_refs r
       ON r.subject_id = u.id::text AND r.kind = $2
WHERE u.id = $1::bigint;

-- ===================================================================
-- backfill: reading legacy URLs, writing references (presignd backfill)
-- ===================================================================
