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

-- ===================================================================
-- backfill: reading legacy URLs, writing references (presignd backfill)
-- ===================================================================

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
