-- internal.sql: statements on presignd's own tables (schema "presignd").
--
-- Unlike queries.sql this file is not meant to be edited per host: it names
-- no host table, only what presignd's migrations create. It is compiled in
-- and cannot be overridden. Same format as queries.sql ("-- name:" blocks,
-- parameters as $1, $2 ...).

-- ===================================================================
-- migrate: the record of applied migrations (presignd migrate)
-- ===================================================================

-- name: migrate_lock
-- Session-level advisory lock held for the whole `presignd migrate` run, so
-- concurrent runs queue up instead of applying a migration twice. The key
-- is the bytes of "presignd" read as a big-endian bigint.
SELECT pg_advisory_lock(8102650225956974180);

-- name: migrate_unlock
SELECT pg_advisory_unlock(8102650225956974180);

-- name: migrate_bootstrap
-- Creates the record table (idempotent; run under migrate_lock).
CREATE SCHEMA IF NOT EXISTS presignd;
CREATE TABLE IF NOT EXISTS presignd.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL, -- hex SHA-256 of the migration file
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- name: migrate_table_exists
-- Result: one row, one boolean column. Lets --status and --dry-run look
-- without creating anything.
SELECT to_regclass('presignd.schema_migrations') IS NOT NULL;

-- name: migrate_applied
-- Result columns: version, name, checksum, applied_at (text, UTC).
SELECT version, name, checksum,
       to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM presignd.schema_migrations
ORDER BY version;

-- name: migrate_record
-- $1 version, $2 name, $3 checksum. Runs in the migration's transaction.
INSERT INTO presignd.schema_migrations (version, name, checksum)
VALUES ($1::integer, $2, $3);

-- ===================================================================
-- backfill: writing references (presignd backfill)
-- ===================================================================

-- name: backfill_insert
-- One statement per batch (its own transaction). Parameters are parallel
-- text[] arrays sent in binary: $1 subject_id, $2 kind, $3 bucket,
-- $4 object_key, $5 content_type (elements may be NULL), $6 source_url.
-- The batch holds only references its read found missing, so a plain
-- INSERT is the fast path; if one was written meanwhile (by the app or a
-- concurrent copy) the statement fails as a whole with unique_violation and
-- presignd resends the batch as backfill_insert_or_skip. The command tag's
-- row count says how many were inserted.
INSERT INTO presignd.object_refs
    (subject_id, kind, bucket, object_key, content_type, source_url)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                     $5::text[], $6::text[]);

-- name: backfill_insert_or_skip
-- The same batch, leaving every reference that already exists alone.
INSERT INTO presignd.object_refs
    (subject_id, kind, bucket, object_key, content_type, source_url)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                     $5::text[], $6::text[])
ON CONFLICT (subject_id, kind) DO NOTHING;
