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
