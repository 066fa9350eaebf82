-- load.sql - the benchmark's users, organisations, memberships, sessions
-- and object references (reference host schema + presignd.object_refs).
--
-- psql variables: users (even), orgs, bucket. Deterministic, so the wrk
-- scripts can rebuild every cookie without reading the database:
--   user i (1..users) is in organisation ((i-1)/2 % orgs)+1, so users 2k-1
--   and 2k ("partners") always share one; every user has one live session
--   whose cookie token is 'bt' || lpad(i, 41, '0') (43 characters, the size
--   of 32 random bytes in base64url) and an avatar reference.
-- Only the SHA-256 of each token is stored, as the host app does.

\set ON_ERROR_STOP on
BEGIN;

INSERT INTO organisations (id, name, require_mfa)
SELECT o, 'bench org ' || o, o % 10 = 0
FROM generate_series(1, :orgs) AS o;

INSERT INTO users (id, email, display_name, avatar_url)
SELECT i, 'user' || i || '@bench.example', 'Bench User ' || i,
       'https://' || :'bucket' || '.s3.amazonaws.com/avatars/' || md5(i::text)
           || '.jpg'
FROM generate_series(1, :users) AS i;

INSERT INTO memberships (organisation_id, user_id, role)
SELECT ((i - 1) / 2) % :orgs + 1, i,
       CASE WHEN i % 50 = 1 THEN 'owner' WHEN i % 10 = 1 THEN 'admin'
            ELSE 'member' END
FROM generate_series(1, :users) AS i;

-- MFA is verified on every session, so organisations that require it admit
-- them too (the check still runs).
INSERT INTO sessions (token_sha256, user_id, organisation_id, mfa_verified,
                      expires_at)
SELECT sha256(convert_to('bt' || lpad(i::text, 41, '0'), 'UTF8')), i,
       ((i - 1) / 2) % :orgs + 1, true, now() + interval '1 day'
FROM generate_series(1, :users) AS i;

INSERT INTO presignd.object_refs (subject_id, kind, bucket, object_key,
                                  content_type, source_url)
SELECT i::text, 'avatar', :'bucket', 'avatars/' || md5(i::text) || '.jpg',
       'image/jpeg', NULL
FROM generate_series(1, :users) AS i;

-- Identity columns were given explicit ids: move the sequences past them.
SELECT setval(pg_get_serial_sequence('organisations', 'id'), :orgs);
SELECT setval(pg_get_serial_sequence('users', 'id'), :users);

COMMIT;
ANALYZE;
