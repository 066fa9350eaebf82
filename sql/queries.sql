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
