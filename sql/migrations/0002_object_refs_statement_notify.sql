-- 0002_object_refs_statement_notify.sql: the same invalidation as 0001
-- (channel presignd_invalidate, payload "user:<subject_id>" for every
-- reference inserted, updated or deleted), fired once per statement with a
-- transition table instead of once per row.
--
-- Why: the backfill writes references a batch at a time (one INSERT of
-- thousands of rows); a row-level PL/pgSQL trigger was a third of its cost.
-- Payloads and channel are unchanged, so listeners need no change. One
-- trigger per event because a trigger with transition tables may only
-- handle one event.

DROP TRIGGER object_refs_notify ON presignd.object_refs;

CREATE FUNCTION presignd.notify_object_refs_new() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('presignd_invalidate', 'user:' || subject_id)
    FROM new_refs;
    RETURN NULL;
END;
$$;

CREATE FUNCTION presignd.notify_object_refs_old() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('presignd_invalidate', 'user:' || subject_id)
    FROM old_refs;
    RETURN NULL;
END;
$$;

CREATE TRIGGER object_refs_notify_insert
    AFTER INSERT ON presignd.object_refs
    REFERENCING NEW TABLE AS new_refs
    FOR EACH STATEMENT EXECUTE FUNCTION presignd.notify_object_refs_new();

-- An update may move a reference to another subject: tell both.
CREATE TRIGGER object_refs_notify_update_new
    AFTER UPDATE ON presignd.object_refs
    REFERENCING NEW TABLE AS new_refs
    FOR EACH STATEMENT EXECUTE FUNCTION presignd.notify_object_refs_new();

CREATE TRIGGER object_refs_notify_update_old
    AFTER UPDATE ON presignd.object_refs
    REFERENCING OLD TABLE AS old_refs
    FOR EACH STATEMENT EXECUTE FUNCTION presignd.notify_object_refs_old();

CREATE TRIGGER object_refs_notify_delete
    AFTER DELETE ON presignd.object_refs
    REFERENCING OLD TABLE AS old_refs
    FOR EACH STATEMENT EXECUTE FUNCTION presignd.notify_object_refs_old();

-- 0001's row-level function is no longer used by any trigger.
DROP FUNCTION presignd.notify_object_ref_change();
