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
-- An organisation's settings (require_mfa) decide whether its members'
-- sessions are valid: tell the gateways about every member.
CREATE OR REPLACE FUNCTION presignd.notify_organisation_change()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('presignd_invalidate', 'user:' || m.user_id)
    FROM memberships m WHERE m.organisation_id = NEW.id;
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
CREATE OR REPLACE TRIGGER presignd_organisations_notify
    AFTER UPDATE ON organisations
    FOR EACH ROW EXECUTE FUNCTION presignd.notify_organisation_change();

-- The rules that make a session good, in one place for both serve_session
-- queries below: a simple view, so the planner still uses the index on
-- sessions.token_sha256 (or the primary key) through it.
CREATE OR REPLACE VIEW presignd.session_facts AS
SELECT s.id AS session_id,
       s.token_sha256,
       s.user_id::text AS user_id,
       extract(epoch FROM s.expires_at)::bigint AS expires_epoch,
       s.revoked_at IS NOT NULL AS revoked,
       u.active AS user_active,
       EXISTS (SELECT 1 FROM memberships m
               WHERE m.user_id = s.user_id AND m.active
                 AND (s.organisation_id IS NULL
                      OR m.organisation_id = s.organisation_id))
           AS membership_active,
       s.mfa_verified OR NOT EXISTS (
           SELECT 1 FROM memberships m
           JOIN organisations o ON o.id = m.organisation_id
           WHERE m.user_id = s.user_id AND m.active AND o.require_mfa
             AND (s.organisation_id IS NULL
                  OR m.organisation_id = s.organisation_id)) AS mfa_ok
FROM sessions s
JOIN users u ON u.id = s.user_id;

-- ===================================================================
-- serve: the gateway's lookups (presignd serve)
-- ===================================================================
-- Every serve query takes text parameters and returns text columns; the
-- gateway prepares them once per connection. An id the host schema cannot
-- represent (SQLSTATE 22P02 or 22003, e.g. 'abc' for a bigint key) is
-- treated as "no such row", so the queries may cast freely.

-- name: serve_session
-- The session behind a cookie. $1: hex SHA-256 of the cookie token.
-- No row: unknown session. One row, the columns of presignd.session_facts
-- (defined in host_setup above):
--   user_id            text     the session's user
--   expires_epoch      bigint   when the session ends (Unix seconds)
--   revoked            boolean  the session was revoked
--   user_active        boolean  the user account is active
--   membership_active  boolean  the user's membership in the session's
--                               organisation (or, without one, in any
--                               organisation) is active
--   mfa_ok             boolean  MFA is verified, or not required
SELECT user_id, expires_epoch, revoked, user_active, membership_active,
       mfa_ok
FROM presignd.session_facts
WHERE token_sha256 = decode($1, 'hex');

-- name: serve_session_by_id
-- The same as serve_session, for JWT cookies carrying a session id: $1 is
-- the token's "sid" claim. Same result columns, plus
--   token_sha256_hex   text  the session's hex token hash (optional: lets a
--                            "session:HEX" notification reach this entry)
SELECT user_id, expires_epoch, revoked, user_active, membership_active,
       mfa_ok, encode(token_sha256, 'hex')
FROM presignd.session_facts
WHERE session_id = $1::bigint;

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
-- $2 comes from the request path: it must match only when spelled exactly
-- as the id's text form (so not "007" for 7), because cached answers are
-- keyed and invalidated ("user:<id>") by that text. ($2 is text first, so
-- that the text comparison sees it as sent; the bigint one uses the index.)
SELECT COALESCE(bool_or(true), false),
       COALESCE(bool_or(v.role IN ('owner', 'admin')), false)
FROM memberships v
JOIN memberships s ON s.organisation_id = v.organisation_id
JOIN users su ON su.id = s.user_id
WHERE s.user_id::text = $2::text AND s.user_id = $2::bigint
  AND v.user_id = $1::bigint AND v.active
  AND s.active AND su.active;

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
--
-- The walk is keyset pagination over the host rows in primary-key order:
-- backfill_first reads the first batch, backfill_next the batch after the
-- cursor of the previous batch's last row. One result row per (host row,
-- kind); every host row of the batch must appear (with url NULL when it has
-- none) so the cursor always advances. Parameters:
--     $1  batch size: how many host rows (LIMIT applies to host rows)
--     $2  kind filter: 'avatar', 'signature' or 'all'
--     $3  (backfill_next only) the cursor of the previous batch's last row
-- Result columns, in this order:
--     cursor       text, opaque to presignd, ascending: passed back as $3
--     subject_id   text, the id stored in presignd.object_refs.subject_id
--     kind         'avatar' or 'signature'
--     url          the legacy URL as stored (may be NULL or garbage)
--     converted    boolean: presignd.object_refs already has this reference
-- Look the reference up with a correlated EXISTS (an index probe per row):
-- a join lets the planner hash the whole of presignd.object_refs for every
-- batch, which makes the walk quadratic as references accumulate.

-- name: backfill_first
SELECT u.id::text AS cursor, u.id::text AS subject_id, k.kind, k.url,
       EXISTS (SELECT FROM presignd.object_refs AS r
               WHERE r.subject_id = u.id::text AND r.kind = k.kind)
           AS converted
FROM (SELECT id, avatar_url, signature_url FROM users
      ORDER BY id LIMIT $1) AS u
CROSS JOIN LATERAL (VALUES ('avatar', u.avatar_url),
                           ('signature', u.signature_url)) AS k (kind, url)
WHERE $2 IN ('all', k.kind)
ORDER BY u.id;

-- name: backfill_next
SELECT u.id::text AS cursor, u.id::text AS subject_id, k.kind, k.url,
       EXISTS (SELECT FROM presignd.object_refs AS r
               WHERE r.subject_id = u.id::text AND r.kind = k.kind)
           AS converted
FROM (SELECT id, avatar_url, signature_url FROM users
      WHERE id > $3 ORDER BY id LIMIT $1) AS u
CROSS JOIN LATERAL (VALUES ('avatar', u.avatar_url),
                           ('signature', u.signature_url)) AS k (kind, url)
WHERE $2 IN ('all', k.kind)
ORDER BY u.id;

-- name: backfill_count
-- How many host rows the walk will visit (for progress and ETA only).
-- Result: one row, one integer column.
SELECT count(*) FROM users;

-- ===================================================================
-- legacy columns: dropped only by `presignd migrate --drop-legacy-columns`
-- ===================================================================
-- These live here rather than in sql/migrations because the column names
-- are the host's, and because a numbered migration would run on every
-- `presignd migrate`; this step must only ever run when asked for. All three
-- run in one transaction: lock, count, and drop only when the count is 0.

-- name: legacy_lock
-- Keeps the app from writing legacy URLs between the count and the drop.
LOCK TABLE users IN SHARE MODE;

-- name: legacy_remaining
-- Rows that still depend on a legacy URL: a URL but no reference. Result:
-- rows of (kind, count); presignd sums the last column.
SELECT k.kind, count(*)
FROM users AS u
CROSS JOIN LATERAL (VALUES ('avatar', u.avatar_url),
                           ('signature', u.signature_url)) AS k (kind, url)
WHERE coalesce(k.url, '') <> ''
  AND NOT EXISTS (SELECT 1 FROM presignd.object_refs AS r
                  WHERE r.subject_id = u.id::text AND r.kind = k.kind)
GROUP BY k.kind;

-- name: drop_legacy_columns
ALTER TABLE users DROP COLUMN avatar_url, DROP COLUMN signature_url;

-- ===================================================================
-- bucket: audit (presignd audit, presignd enforce-private)
-- ===================================================================

-- name: bucket_sample_keys
-- Up to $2 distinct object keys of bucket $1 from presignd.object_refs,
-- picked at random: the objects audit and enforce-private probe.
-- params: $1 bucket (text), $2 how many (int)
-- result: object_key (text)
SELECT object_key
FROM (SELECT DISTINCT object_key FROM presignd.object_refs
      WHERE bucket = $1) AS keys
ORDER BY random()
LIMIT $2;

-- name: bucket_ref_count
-- How many references point into bucket $1.
-- params: $1 bucket (text)
-- result: n (bigint)
SELECT count(*) AS n FROM presignd.object_refs WHERE bucket = $1;

-- name: bucket_legacy_candidates
-- Rows whose only pointer to an image is a legacy URL that mentions bucket
-- $1 somewhere (a cheap prefilter: presignd parses each URL to decide
-- whether it really points into the bucket). One row per URL column.
-- Bucket names hold no '%'; a '_' (legal in old names) only widens it.
-- params: $1 bucket (text)
-- result: subject_id (text), kind (text), url (text)
SELECT u.id::text AS subject_id, 'avatar' AS kind, u.avatar_url AS url
FROM users u
WHERE u.avatar_url LIKE '%' || $1 || '%'
  AND NOT EXISTS (SELECT 1 FROM presignd.object_refs r
                  WHERE r.subject_id = u.id::text AND r.kind = 'avatar')
UNION ALL
SELECT u.id::text, 'signature', u.signature_url
FROM users u
WHERE u.signature_url LIKE '%' || $1 || '%'
  AND NOT EXISTS (SELECT 1 FROM presignd.object_refs r
                  WHERE r.subject_id = u.id::text AND r.kind = 'signature');
